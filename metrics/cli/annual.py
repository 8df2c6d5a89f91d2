"""`report --annual`: the unit's year-end 施政績效報告 (.docx or .pdf, by the output's suffix) from the store."""

from __future__ import annotations

import argparse
from pathlib import Path

from metrics.cli.common import catalogue_of, file_catalogue, open_store, os_reason, resolve_unit
from metrics.errors import InputError


def add_annual_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--annual", action="store_true",
                        help="改為產生單位的年度施政績效報告（須指定 --year 與 --unit；輸出 .docx 為 Word 文件，.pdf 為 A4 直式 PDF）")


def command_annual_report(arguments: argparse.Namespace) -> int:
    from metrics.outputs.annual import RENDERERS, read_annual_report, render

    output = Path(arguments.output)
    suffix = output.suffix.lower()
    if suffix not in RENDERERS:
        choices = "、".join(f"{name}（{label}）" for name, (label, _) in RENDERERS.items())
        raise InputError(f"輸出檔「{output.name}」的副檔名「{output.suffix or '（無）'}」無法產生年度績效報告；"
                         f"請使用 {choices}，例如 -o 施政績效報告.docx")
    if arguments.year is None or arguments.unit is None:
        raise InputError("年度績效報告須以 --year 與 --unit 指定年度與單位，例如 --annual --year 112 --unit 政風處")
    if arguments.as_of is not None and not 1 <= arguments.as_of <= 12:
        raise InputError(f"--as-of「{arguments.as_of}」須為 1 至 12 的月份")
    if suffix == ".pdf":
        from metrics.outputs.annual.pdf import check_renderer

        check_renderer()  # before reading the store: say what to install first
    files = file_catalogue(arguments)
    store = open_store(arguments.db, create=False, catalogue=files)
    catalogue = catalogue_of(store, files)
    report = read_annual_report(store, catalogue, arguments.year, resolve_unit(arguments.unit, catalogue),
                                as_of=arguments.as_of)
    data = render(report, suffix)
    try:
        output.write_bytes(data)
    except OSError as error:
        raise InputError(f"無法寫入輸出檔「{output}」：{os_reason(error)}") from None
    period = f"統計至 {report.year} 年 {report.as_of_month} 月" if report.as_of_month else "尚無填報數字"
    print(f"已產生 {report.unit_name} {report.year} 年度施政績效報告（{period}）：{output}")
    return 0
