"""`report --annual`: the unit's year-end 施政績效報告 (.docx or .pdf, by the output's suffix) from the store."""

from __future__ import annotations

import argparse

from metrics.cli.common import (check_as_of, plans_directory_of, report_output, resolve_unit, services_of,
                                store_and_catalogue, write_output)
from metrics.errors import InputError


def add_annual_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--annual", action="store_true",
                        help="改為產生單位的年度施政績效報告（須指定 --year 與 --unit；輸出 .docx 為 Word 文件，.pdf 為 A4 直式 PDF）")
    parser.add_argument("--checkpoint", metavar="C",
                        help="年度績效報告：改為考核檢核點的報告（代碼見 review status，例如 half），統計至該檢核點最後一個月，"
                             "並列出自評、初核、核定的辦理人與時間；不可與 --as-of 同時指定")


def command_annual_report(arguments: argparse.Namespace) -> int:
    from metrics.outputs.annual import RENDERERS, read_annual_report, render

    choices = "、".join(f"{name}（{label}）" for name, (label, _) in RENDERERS.items())
    output, suffix = report_output(arguments, tuple(RENDERERS), "年度績效報告", f"{choices}，例如 -o 施政績效報告.docx")
    if arguments.year is None or arguments.unit is None:
        raise InputError("年度績效報告須以 --year 與 --unit 指定年度與單位，例如 --annual --year 112 --unit 政風處")
    if arguments.checkpoint is not None and arguments.as_of is not None:
        raise InputError(f"--checkpoint「{arguments.checkpoint}」已決定統計月份（該檢核點的最後一個月），"
                         f"不可再以 --as-of「{arguments.as_of}」指定；請擇一")
    check_as_of(arguments)
    if suffix == ".pdf":
        from metrics.outputs.annual.pdf import check_renderer

        check_renderer()  # before reading the store: say what to install first
    store, catalogue = store_and_catalogue(arguments)
    cycle = None
    if arguments.checkpoint is not None:
        from metrics.services.review import cycle_to_read

        cycle = cycle_to_read(store, plans_directory_of(arguments), services_of(store, arguments).roles)
    report = read_annual_report(store, catalogue, arguments.year, resolve_unit(arguments.unit, catalogue),
                                as_of=arguments.as_of, checkpoint=arguments.checkpoint, cycle=cycle)
    data = render(report, suffix)
    write_output(output, data)
    period = f"統計至 {report.year} 年 {report.as_of_month} 月" if report.as_of_month else "尚無填報數字"
    if report.review is not None:
        period += f"；{report.review.summary}"
    print(f"已產生 {report.unit_name} {report.year} 年度施政績效報告（{period}）：{output}")
    return 0
