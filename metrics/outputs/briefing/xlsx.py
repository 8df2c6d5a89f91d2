"""The county briefing as an .xlsx workbook: the ranking, the scores month by month, the behind indicators with
their notes (whole, as stored), the units that have not reported and goal 6's multi-year points, one sheet each.

Numbers stay numbers with the screen's number formats; every text goes through metrics.outputs.report.neutralize
(never a formula, control characters visible); every sheet's print header names the year, month and read time.
"""

from __future__ import annotations

from fractions import Fraction

from openpyxl import Workbook
from openpyxl.worksheet.worksheet import Worksheet

from metrics.outputs.briefing.model import BEHIND, MET, NO_DATA, ON_TRACK, Briefing, quarter_score
from metrics.outputs.report import Quantity, _heading, _print_setup, _saved, measured, table_rows
from metrics.plans.formulas import round_half_up
from metrics.texts import visible

SCORE_FORMAT = '0.00" 分"'
MISSING = "—"
SHEETS = ("排名", "逐月趨勢", "落後指標", "未填報單位", "跨年度計分")
STATUS_FILLS = {"達標": "E2EFDA", "符合進度": "DDEBF7", "落後": "FCE4D6", "未達標": "FCE4D6"}


def score_value(score: Fraction | None) -> float | str:
    """A score as the screen rounds it (two decimals, half up: 78.125 is 78.13), a number; 「—」 without one."""
    return MISSING if score is None else float(round_half_up(score, 2))


def build_briefing_xlsx(briefing: Briefing) -> bytes:
    workbook = Workbook()
    first = workbook.active
    if not briefing.units:
        first.title = "全府簡報"
        _heading(first, briefing.title, briefing.heading, [("說明", 100)])
        table_rows(first, [[briefing.empty_text]], [None], centre_short_text=True)
        _finish(first, briefing)
        return _saved(workbook)
    first.title = SHEETS[0]
    _ranking(first, briefing)
    _trend(workbook.create_sheet(SHEETS[1]), briefing)
    _behind(workbook.create_sheet(SHEETS[2]), briefing)
    _not_reported(workbook.create_sheet(SHEETS[3]), briefing)
    _multi_year(workbook.create_sheet(SHEETS[4]), briefing)
    return _saved(workbook)


def _subtitle(briefing: Briefing, what: str = "") -> str:
    parts = [briefing.heading, what, briefing.empty_text]
    return "｜".join(part for part in parts if part)


def _ranking(sheet: Worksheet, briefing: Briefing) -> None:
    quarters = briefing.quarters
    common = "、".join(f"{indicator_id} {name}" for indicator_id, name in briefing.indicators)
    columns = [("名次", 6), ("單位", 18), ("共同性指標加權分數", 12), *((label, 11) for label, _ in quarters),
               ("本身計畫加權分數", 12), ("達標", 7), ("符合進度", 8), ("落後", 7), ("無資料", 7), ("未填報項目數", 9),
               ("填報項目數", 9)]
    _heading(sheet, briefing.title, _subtitle(briefing, f"名次依共同性指標（{common}）的加權分數；項數計各單位計畫的全部指標"),
             columns)
    rows = []
    for unit in briefing.units:
        rows.append([MISSING if unit.rank is None else unit.rank, unit.name, score_value(unit.score),
                     *(score_value(quarter_score(unit, month)) for _, month in quarters), score_value(unit.own_score),
                     unit.count(MET), unit.count(ON_TRACK), unit.count(BEHIND), unit.count(NO_DATA),
                     len(unit.missing_fields), unit.field_count])
    formats = [None, None, SCORE_FORMAT, *(SCORE_FORMAT for _ in quarters), SCORE_FORMAT, *["0"] * 6]
    table_rows(sheet, rows, formats, centre_short_text=True)
    _finish(sheet, briefing)


def _trend(sheet: Worksheet, briefing: Briefing) -> None:
    months = range(1, briefing.month + 1)
    _heading(sheet, briefing.title, _subtitle(briefing, "各月份統計的共同性指標加權分數"),
             [("名次", 6), ("單位", 18), *((f"{month}月", 9) for month in months)])
    rows = [[MISSING if unit.rank is None else unit.rank, unit.name,
             *(score_value(unit.monthly[month - 1]) for month in months)] for unit in briefing.units]
    table_rows(sheet, rows, [None, None, *(SCORE_FORMAT for _ in months)], centre_short_text=True)
    _finish(sheet, briefing)


def _behind(sheet: Worksheet, briefing: Briefing) -> None:
    columns = [("名次", 6), ("單位", 16), ("績效指標", 28), ("共同性指標", 8), ("狀態", 8), ("實際值", 11), ("目標值", 11),
               ("差距", 22), ("落後原因", 45), ("改進措施", 45), ("說明填寫月份", 9)]
    _heading(sheet, briefing.title, _subtitle(briefing, f"統計至 {briefing.month} 月落後的指標；說明為該月所填，"
                                                      "該月未填者為本年度較早月份最近一次所填"), columns)
    rows, fills = [], []
    for unit in briefing.units:
        for item in unit.behind:
            note = item.note
            target: Quantity | str = measured(item.target, item.unit)
            if str(target) != item.target_text:  # a ceiling: 「≤ 5 日」 stays the screen's words
                target = item.target_text
            rows.append([MISSING if unit.rank is None else unit.rank, unit.name, f"{item.indicator_id} {item.name}",
                         "是" if item.common else "", item.status, measured(item.actual, item.unit), target,
                         item.gap_text, note.reason if note is not None else "",
                         note.action if note is not None else "",
                         f"{note.month}月" if note is not None else "未填寫"])
            fills.append([None] * 4 + [STATUS_FILLS.get(item.status)] + [None] * 6)
    if not rows:
        rows = [[MISSING, f"統計至 {briefing.month} 月沒有落後的指標", *[""] * 9]]
    table_rows(sheet, rows, [None] * len(columns), fills, centre_short_text=True)
    _finish(sheet, briefing)


def _not_reported(sheet: Worksheet, briefing: Briefing) -> None:
    _heading(sheet, briefing.title, _subtitle(briefing, f"{briefing.year} 年 {briefing.month} 月尚未填報完整的單位"),
             [("單位", 18), ("未填報項目數", 10), ("已填報項目數", 10), ("未填報的項目", 60)])
    rows: list[list[object]] = [[unit.name, len(unit.missing_fields), unit.field_count - len(unit.missing_fields),
                                 "、".join(unit.missing_fields)] for unit in briefing.not_reported]
    if not rows:
        rows = [[f"所有單位都已填報 {briefing.year} 年 {briefing.month} 月的全部項目", None, None, ""]]
    table_rows(sheet, rows, [None, "0", "0", None], centre_short_text=True)
    _finish(sheet, briefing)


def _multi_year(sheet: Worksheet, briefing: Briefing) -> None:
    columns = briefing.multi_year_columns or ("單位",)
    _heading(sheet, briefing.title,
             _subtitle(briefing, f"{briefing.multi_year_rule}；「—」為尚無法判定" if briefing.multi_year_rule
                       else "本年度的計畫沒有跨年度計分"),
             [(column, 18 if index == 0 else 11) for index, column in enumerate(columns)])
    rows = [[MISSING if value is None else value for value in row] for row in briefing.multi_year_rows]
    table_rows(sheet, rows, [None, "0", *["0.##"] * (len(columns) - 2)], centre_short_text=True)
    _finish(sheet, briefing)


def _finish(sheet: Worksheet, briefing: Briefing) -> None:
    """A4 landscape as the county report prints, with the briefing's head on every printed page."""
    _print_setup(sheet)
    for header in (sheet.oddHeader, sheet.evenHeader):
        header.left.text = _header_text(briefing.title)
        header.right.text = _header_text(briefing.heading)


def _header_text(text: str) -> str:
    """Text in a printed page's header: & starts a code there (&P is the page number), so it is doubled."""
    return visible(text).replace("\n", " ").replace("&", "&&")
