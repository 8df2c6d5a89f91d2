"""The unit's year-end 施政績效報告: the model (model.py: AnnualReport, assembled from the store or from figures in
hand) and its renderings, chosen by the output file's suffix: .docx (word.py, for the unit to edit and file) and
.pdf (pdf.py, A4 with Noto Sans CJK embedded)."""

from __future__ import annotations

from collections.abc import Callable

from metrics.errors import InputError
from metrics.outputs.annual.model import AnnualReport, assemble, read_annual_report


def _docx(report: AnnualReport) -> bytes:
    from metrics.outputs.annual.word import build_docx

    return build_docx(report)


def _pdf(report: AnnualReport) -> bytes:
    from metrics.outputs.annual.pdf import build_pdf

    return build_pdf(report)


# suffix → (what it is called, renderer)
RENDERERS: dict[str, tuple[str, Callable[[AnnualReport], bytes]]] = {
    ".docx": ("Word 文件", _docx),
    ".pdf": ("PDF", _pdf),
}


def render(report: AnnualReport, suffix: str) -> bytes:
    """The report as the file of that suffix (.docx, .pdf, in any case); any other suffix is refused, naming those."""
    found = RENDERERS.get(suffix.lower())
    if found is None:
        choices = "、".join(f"{name}（{label}）" for name, (label, _) in RENDERERS.items())
        raise InputError(f"年度績效報告無法產生副檔名「{suffix or '（無）'}」的檔案；請使用 {choices}")
    return found[1](report)


__all__ = ["AnnualReport", "RENDERERS", "assemble", "read_annual_report", "render"]
