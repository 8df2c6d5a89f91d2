"""報表匯出: the month's table as the page shows and prints it, and the two downloads (.xlsx and PDF).

The table is HTML rather than st.dataframe: a data grid cannot wrap text, so long goals, indicators, gaps and notes
were cut or scrolled off the right edge, and printing dropped the note columns. Every text is escaped here."""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import streamlit as st

from metrics.errors import KpiError, RenderingUnavailable
from metrics.outputs.presentation import CENTRED_COLUMNS, NoteLike, report_columns
from metrics.outputs.report import STATUS_FILLS, build_report, report_values
from ui.data import Source, cached_on_source
from ui.widgets import escape_markdown

if TYPE_CHECKING:
    from ui.layout import Context

# (row key, header, share of the table's width in percent): all eleven columns fit 1440 px without scrolling
COLUMNS = report_columns({"goal": 13, "indicator": 13, "weight": 5, "target": 6.5, "actual": 6.5, "achievement": 6,
                          "status": 5.5, "gap": 10.5, "projection": 6.5, "reason": 13.75, "action": 13.75})
TABLE_STYLE = """
<style>
.kpi-report { width: 100%; border-collapse: collapse; table-layout: fixed; font-size: 0.82rem; line-height: 1.35; }
.kpi-report th, .kpi-report td { border: 1px solid #9e9e9e; padding: 0.25rem 0.35rem; vertical-align: middle;
  overflow-wrap: anywhere; word-break: break-word; white-space: pre-wrap; }
.kpi-report th { background: #d9e1f2; text-align: center; font-weight: 600; }
.kpi-report td.centred { text-align: center; }
/* A phone scrolls the table sideways rather than squeezing 11 columns into one character each. */
.kpi-report-frame { overflow-x: auto; }
@media screen and (max-width: 760px) { .kpi-report { min-width: 760px; } }
</style>
"""
PDF_STATE = "report_pdf_made"  # the cache key of the PDF this session made, so its button shows at once
PDF_MIME = "application/pdf"
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _weight_text(value: object) -> str:
    from metrics.outputs.presentation import weight_text

    try:
        return weight_text(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return "" if value is None else str(value)


def table_html(rows: Sequence[Mapping[str, object]]) -> str:
    """The report rows as one wrapped HTML table, goals merged over their indicators, status cells coloured."""
    widths = "".join(f'<col style="width:{share}%">' for _, _, share in COLUMNS)
    header = "".join(f"<th>{html.escape(title)}</th>" for _, title, _ in COLUMNS)
    body = []
    for index, row in enumerate(rows):
        cells = []
        for key, _, _ in COLUMNS:
            if key == "goal":
                if index and rows[index - 1].get("goal") == row.get("goal"):
                    continue
                span = 1
                while index + span < len(rows) and rows[index + span].get("goal") == row.get("goal"):
                    span += 1
                spanned = f' rowspan="{span}"' if span > 1 else ""
                cells.append(f"<td{spanned}>{html.escape(str(row.get(key) or ''))}</td>")
                continue
            value = row.get(key)
            text = _weight_text(value) if key == "weight" else "" if value is None else str(value)
            attributes = ' class="centred"' if key in CENTRED_COLUMNS else ""
            colour = STATUS_FILLS.get(text) if key == "status" else None
            if colour:
                attributes += f' style="background:#{colour}"'
            cells.append(f"<td{attributes}>{html.escape(text)}</td>")
        body.append(f"<tr>{''.join(cells)}</tr>")
    return (f'{TABLE_STYLE}<div class="kpi-report-frame"><table class="kpi-report"><colgroup>{widths}</colgroup>'
            f"<thead><tr>{header}</tr></thead><tbody>{''.join(body)}</tbody></table></div>")


def show_table(rows: Sequence[Mapping[str, object]]) -> None:
    st.html(table_html(rows))


def report_file_name(unit_name: str, year: int, month: int, suffix: str) -> str:
    return f"績效指標執行情形_{unit_name}_{year}年{month}月{suffix}"


@dataclass(frozen=True)
class PdfNote:
    """What of a note the report shows: a note saved again with the same words makes no new PDF."""

    reason: str
    action: str


def pdf_notes(notes: Mapping[str, NoteLike]) -> tuple[tuple[str, PdfNote], ...]:
    return tuple(sorted((str(indicator), PdfNote(note.reason, note.action)) for indicator, note in notes.items()))


@cached_on_source(max_entries=16, copied=True)
def pdf_bytes(source: Source, year: int, unit: str, month: int, notes: tuple[tuple[str, PdfNote], ...],
              label: str) -> bytes:
    """Drawn once per data version, period, notes' words and label."""
    from metrics.outputs.pdf_report import build_pdf, report_page
    from ui.layout import official_evaluation

    return build_pdf([report_page(official_evaluation(source, year, unit, month), dict(notes), label=label)])


def renderer_problem() -> str | None:
    """What this server lacks to draw the PDF, in Chinese, or None."""
    from metrics.outputs.pdf_report import check_renderer

    try:
        check_renderer()
    except RenderingUnavailable as error:
        return str(error)
    return None


def downloads(context: Context, notes: Mapping[str, object], title: str, subtitle: str, label: str) -> None:
    """The .xlsx and the PDF side by side; the PDF is drawn on request (5 to 10 seconds), then kept."""
    evaluation = context.evaluation
    plan = context.plan
    xlsx_column, pdf_column = st.columns(2)
    with xlsx_column:
        st.download_button("下載報表（.xlsx）",
                           data=lambda: build_report(report_values(evaluation, notes), title=title, subtitle=subtitle),
                           file_name=report_file_name(plan.unit_name, context.year, context.month, ".xlsx"),
                           key="report_download", mime=XLSX_MIME, type="primary")
    with pdf_column:
        problem = renderer_problem()
        if problem:
            st.warning(f"本伺服器目前無法產生 PDF 報表：{problem}。請洽系統管理者；.xlsx 報表不受影響。")
            return
        shown = pdf_notes(notes)
        made = context.source.data_version, context.year, context.unit, context.month, shown, label
        if st.session_state.get(PDF_STATE) != made:
            if not st.button("產生 PDF 報表", key="report_pdf_make", help="繪製儀表圖並排成一頁 A4 橫式，約需 5～10 秒"):
                return
        try:
            with st.spinner("正在繪製儀表圖並排版 PDF 報表（約 5～10 秒）…"):
                data = pdf_bytes(context.source, context.year, context.unit, context.month, shown, label)
        except KpiError as error:
            st.error(f"PDF 報表產生失敗：{escape_markdown(error)}")
            return
        st.session_state[PDF_STATE] = made
        st.download_button("下載 PDF 報表", data=data, mime=PDF_MIME, key="report_pdf_download", type="primary",
                           file_name=report_file_name(plan.unit_name, context.year, context.month, ".pdf"))
