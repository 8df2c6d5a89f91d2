"""`report --annual`: the unit's year-end 施政績效報告 (.docx or .pdf, by the output's suffix) from the store."""

from __future__ import annotations

import argparse
from pathlib import Path

from metrics.cli.common import (catalogue_of, file_catalogue, open_store, os_reason, plans_directory_of,
                                resolve_unit, services_of)
from metrics.errors import InputError


def add_annual_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--annual", action="store_true",
                        help="改為產生單位的年度施政績效報告（須指定 --year 與 --unit；輸出 .docx 為 Word 文件，.pdf 為 A4 直式 PDF）")
    parser.add_argument("--checkpoint", metavar="C",
                        help="年度績效報告：改為考核檢核點的報告（代碼見 review status，例如 half），統計至該檢核點最後一個月，"
                             "並列出自評、初核、核定的辦理人與時間；不可與 --as-of 同時指定")


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
    if arguments.checkpoint is not None and arguments.as_of is not None:
        raise InputError(f"--checkpoint「{arguments.checkpoint}」已決定統計月份（該檢核點的最後一個月），"
                         f"不可再以 --as-of「{arguments.as_of}」指定；請擇一")
    if arguments.as_of is not None and not 1 <= arguments.as_of <= 12:
        raise InputError(f"--as-of「{arguments.as_of}」須為 1 至 12 的月份")
    if suffix == ".pdf":
        from metrics.outputs.annual.pdf import check_renderer

        check_renderer()  # before reading the store: say what to install first
    files = file_catalogue(arguments)
    store = open_store(arguments.db, create=False, catalogue=files)
    catalogue = catalogue_of(store, files)
    cycle = None
    if arguments.checkpoint is not None:
        from metrics.services.review import cycle_to_read

        cycle = cycle_to_read(store, plans_directory_of(arguments), services_of(store, arguments).roles)
    report = read_annual_report(store, catalogue, arguments.year, resolve_unit(arguments.unit, catalogue),
                                as_of=arguments.as_of, checkpoint=arguments.checkpoint, cycle=cycle)
    data = render(report, suffix)
    try:
        output.write_bytes(data)
    except OSError as error:
        raise InputError(f"無法寫入輸出檔「{output}」：{os_reason(error)}") from None
    period = f"統計至 {report.year} 年 {report.as_of_month} 月" if report.as_of_month else "尚無填報數字"
    if report.review is not None:
        period += f"；{report.review.summary}"
    print(f"已產生 {report.unit_name} {report.year} 年度施政績效報告（{period}）：{output}")
    return 0
