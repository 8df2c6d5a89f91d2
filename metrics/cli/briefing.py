"""`report --county`: the county briefing (全府簡報) of a year as of a month, from the store, as .pdf or .xlsx."""

from __future__ import annotations

import argparse
import sys

from metrics.cli.common import check_as_of, progress_line, report_output, store_and_catalogue, write_output
from metrics.errors import InputError

BRIEFING_SUFFIXES = (".pdf", ".xlsx")


def command_county_report(arguments: argparse.Namespace) -> int:
    output, suffix = report_output(arguments, BRIEFING_SUFFIXES, "全府簡報", ".pdf（A4 簡報）或 .xlsx（Excel），例如 -o 全府簡報.pdf")
    if arguments.unit is not None:
        raise InputError(f"--county 產生所有單位的全府簡報，不需指定 --unit（收到「{arguments.unit}」）；"
                         "單一單位的報表請去掉 --county")
    if arguments.year is None:
        raise InputError("--county 需要 --year：全府簡報的民國年度，例如 --year 113")
    check_as_of(arguments)
    if suffix == ".pdf":
        from metrics.outputs.pdf_report import check_renderer

        check_renderer()  # before reading the store: say what to install first
    from metrics.outputs.briefing.model import briefing_from_store, latest_month

    store, catalogue = store_and_catalogue(arguments)
    year = arguments.year
    if not catalogue.units_in(year):
        raise InputError(f"{year} 年度沒有任何單位的計畫，無法產生全府簡報。{catalogue.available_text()}")
    month = arguments.as_of or latest_month(store.current_frame(year=year), year) or 12
    progress_line(f"計算 {len(catalogue.units_in(year))} 個單位 1 至 {month} 月的分數…")
    briefing = briefing_from_store(store, catalogue, year, month)
    if briefing.empty_text:
        print(f"注意：{briefing.empty_text}", file=sys.stderr)
    if suffix == ".pdf":
        from metrics.outputs.briefing.pdf import build_briefing_pdf

        def said(share: float, words: str) -> None:
            if share < 1:
                progress_line(words)

        data = build_briefing_pdf(briefing, progress=said)
    else:
        from metrics.outputs.briefing.xlsx import build_briefing_xlsx

        data = build_briefing_xlsx(briefing)
    write_output(output, data)
    print(f"已產生 {year} 年度全府簡報（統計至 {year} 年 {month} 月，{len(briefing.units)} 個單位）：{output}")
    return 0
