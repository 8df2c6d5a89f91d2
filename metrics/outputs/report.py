"""The month's official indicator table as an .xlsx workbook, ready to print on A4.

Every string that reaches a cell is written by `neutralize`: reasons and actions are typed by users, and a
text Excel would read as a formula (「=…」, 「-1+2」) gets the cell's quotePrefix style, so that it stays text
even when someone edits the cell, while the cell still shows exactly what was typed (no apostrophe).
"""

from __future__ import annotations

import io
import math
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import TYPE_CHECKING

from openpyxl import Workbook
from openpyxl.cell.cell import Cell
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.page import PageMargins
from openpyxl.worksheet.worksheet import Worksheet

from metrics.plans.formulas import format_number, round_half_up
from metrics.outputs.notes import shortened
from metrics.outputs.presentation import report_columns
from metrics.texts import escaped, visible

if TYPE_CHECKING:
    from metrics.evaluation.core import Evaluation, IndicatorResult
    from metrics.outputs.presentation import NoteLike

SHEET_NAME = "績效指標執行情形"
TITLE_ROW = 1
SUBTITLE_ROW = 2
HEADER_ROW = 3
FIRST_DATA_ROW = 4

# (row key, header, column width in Excel characters)
COLUMNS = report_columns({"goal": 24, "indicator": 30, "weight": 7, "target": 10, "actual": 11, "achievement": 9,
                          "status": 9, "gap": 24, "projection": 14, "reason": 30, "action": 30})

_FORMULA_STARTS = ("=", "+", "@")
_CONTROL_STARTS = ("\t", "\r")
# After 「- 」 these make a formula (「- 1」 is -1, 「- (2)」 too); anything else (「- 加強宣導」) is a list item.
_NUMBER_STARTS = tuple("0123456789.,($=+-@")
EXCEL_TEXT_LIMIT = 32767  # characters in one cell; Excel cuts a longer text without a word
MAX_ROW_HEIGHT = 409.0  # points: Excel refuses a taller row
STATUS_FILLS = {
    "達標": "E2EFDA",
    "符合進度": "DDEBF7",
    "落後": "FCE4D6",
    "未達標": "FCE4D6",  # a ceiling missed at month 12
    "無資料": "EDEDED",
    "不適用": "EDEDED",
}
_THIN = Side(style="thin", color="808080")
_BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_LINE_HEIGHT = 15.0


@dataclass(frozen=True)
class Quantity:
    """A number of the report: the value a spreadsheet can add up, and the number format that makes its cell
    read exactly like the screen's text (which str() gives, for the page and the PDF)."""

    value: float
    number_format: str
    text: str

    def __str__(self) -> str:
        return self.text


def measured(value: Fraction | None, unit: str) -> Quantity | str:
    """A target, actual or projection in the indicator's unit: 71.2 with 0.0"%", 2 with 0" 案"."""
    if value is None:
        return "—"
    digits = format_number(value)
    suffix = '"%"' if unit == "%" else f'" {_quoted(unit)}"' if unit else ""
    text = f"{digits}%" if unit == "%" else f"{digits} {unit}" if unit else digits
    return Quantity(_shown(digits), _number_code(digits) + suffix, text)


def achieved(achievement: Fraction | None) -> Quantity | str:
    """The achievement as a spreadsheet percentage (0.862 shown 86.2%), one decimal as on the screen."""
    if achievement is None:
        return "—"
    digits = format_number(achievement * 100, 1)
    return Quantity(float(Decimal(digits.replace(",", "")) / 100), _number_code(digits) + "%", f"{digits}%")


def gap_quantity(result: IndicatorResult) -> Quantity | str:
    """The gap as its number inside the plan's own sentence (還需 64 案 is 64 shown as "還需 "#,##0" 案"); a met
    indicator's gap is 0 shown as 已達標; no gap (no data, not applicable) stays the screen's text."""
    if result.gap is None:
        return result.gap_text or "—"
    if result.gap == 0 and result.gap_text == "已達標":
        return Quantity(0, '"已達標"', "已達標")
    indicator = result.indicator
    marker = "\x00"
    sentence = indicator.gap_template.format(amount=marker, unit=indicator.gap_unit or indicator.unit)
    before, found, after = sentence.partition(marker)
    if not found or marker in after:
        return result.gap_text
    digits = format_number(result.gap)
    return Quantity(_shown(digits), _literal(before) + _number_code(digits) + _literal(after), result.gap_text)


def report_values(evaluation: Evaluation, notes: Mapping[str, NoteLike] | None = None) -> list[dict[str, object]]:
    """The rows of metrics.outputs.presentation.report_rows with their numbers as Quantity: the same texts on the screen
    and in the PDF, numbers a spreadsheet can add up in the .xlsx."""
    from metrics.outputs.presentation import report_rows

    rows = report_rows(evaluation, notes)
    for row, result in zip(rows, evaluation.results, strict=True):
        unit = result.indicator.unit
        row["target"] = measured(result.target, unit)
        row["actual"] = measured(result.actual, unit)
        # A projection capped at the indicator's bound stays the sentence that says so, as text, rather than a
        # bare 100 that looks like the run rate.
        row["projection"] = result.projection_text if result.projection_capped else measured(result.projection, unit)
        row["achievement"] = achieved(result.achievement)
        row["gap"] = gap_quantity(result)
        for key in ("reason", "action"):  # a note saved before the limit existed: cut, and said so
            row[key] = shortened(str(row[key] or ""))
    return rows


def _shown(digits: str) -> float | int:
    number = Decimal(digits.replace(",", ""))
    return int(number) if number == number.to_integral_value() else float(number)


def _number_code(digits: str) -> str:
    """#,##0 with as many decimals as the screen's text shows."""
    _, _, decimals = digits.partition(".")
    return "#,##0" + (f".{'0' * len(decimals)}" if decimals else "")


def _quoted(text: str) -> str:
    return escaped(text).replace('"', "")


def _literal(text: str) -> str:
    """Text inside a number format; a double quote cannot be escaped there, so it is left out."""
    return f'"{_quoted(text)}"' if text else ""


def formula_like(text: str) -> bool:
    """Whether Excel would read the text as a formula when it is typed (or the cell edited): it starts with
    「=」「+」「@」, with 「-」 then anything but a space and ordinary text, or with a tab or a carriage return.
    Leading spaces and line breaks do not hide a formula sign behind them."""
    if text.startswith(_CONTROL_STARTS):
        return True
    stripped = text.lstrip()
    if stripped.startswith(_FORMULA_STARTS):
        return True
    if not stripped.startswith("-") or len(stripped) == 1:
        return False
    after = stripped[1:]
    if not after[0].isspace():
        return True  # 「-2」「-A1」「-SUM(A1)」
    rest = after.lstrip()
    return not rest or rest.startswith(_NUMBER_STARTS)


def neutralize(cell: Cell, text: str) -> None:
    """The text into the cell as text (never a formula), with quotePrefix where Excel would otherwise read it as a
    formula; a text longer than a cell holds is cut with a visible note rather than silently by Excel. Whatever
    the store holds (a note saved before the cleaning rule, with U+000B or ESC) is shown visibly
    (metrics.texts.visible): a character the file format cannot hold would fail the whole workbook."""
    shown = shortened(visible(text), EXCEL_TEXT_LIMIT)
    cell.value = shown
    cell.data_type = "s"
    cell.quotePrefix = formula_like(shown) or formula_like(text)


def _height(sheet: Worksheet, row: int, points: float) -> None:
    sheet.row_dimensions[row].height = min(points, MAX_ROW_HEIGHT)


def build_report(rows: Sequence[Mapping[str, object]], *, title: str, subtitle: str) -> bytes:
    """One row per indicator under a title, a subtitle and the column headers; goal cells merged."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = SHEET_NAME
    _heading(sheet, title, subtitle, [(header, width) for _, header, width in COLUMNS])

    for offset, data in enumerate(rows):
        row = FIRST_DATA_ROW + offset
        lines = 1
        for column, (key, _, width) in enumerate(COLUMNS, start=1):
            cell = sheet.cell(row=row, column=column)
            _write_value(cell, key, data.get(key), width)
            cell.border = _BORDER
            centred = key in {"weight", "target", "actual", "achievement", "status"}
            cell.alignment = Alignment(horizontal="center" if centred else "left", vertical="center",
                                       wrap_text=True)
            if key == "status" and str(data.get(key) or "") in STATUS_FILLS:
                cell.fill = PatternFill("solid", fgColor=STATUS_FILLS[str(data[key])])
            if key != "goal":
                lines = max(lines, _lines_needed(cell.value, width))
        _height(sheet, row, lines * _LINE_HEIGHT)

    _merge_goals(sheet, rows)

    _print_setup(sheet)
    return _saved(workbook)


def _heading(sheet: Worksheet, title: str, subtitle: str, columns: Sequence[tuple[str, float]]) -> None:
    """The title and subtitle merged across the table, then the bold column headers with their widths."""
    last_column = len(columns)
    for row, text, size in ((TITLE_ROW, title, 14), (SUBTITLE_ROW, subtitle, 11)):
        cell = sheet.cell(row=row, column=1)
        neutralize(cell, str(text))
        cell.font = Font(size=size, bold=row == TITLE_ROW)
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        sheet.merge_cells(start_row=row, start_column=1, end_row=row, end_column=last_column)
    sheet.row_dimensions[TITLE_ROW].height = 24
    sheet.row_dimensions[SUBTITLE_ROW].height = 20
    for column, (header, width) in enumerate(columns, start=1):
        cell = sheet.cell(row=HEADER_ROW, column=column)
        neutralize(cell, header)
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="D9E1F2")
        cell.border = _BORDER
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        sheet.column_dimensions[get_column_letter(column)].width = width
    _height(sheet, HEADER_ROW, max(_lines_needed(header, width) for header, width in columns) * _LINE_HEIGHT)


def _print_setup(sheet: Worksheet) -> None:
    """A4 landscape, one page wide, the header row repeated on every page, page numbers in the footer."""
    sheet.freeze_panes = sheet.cell(row=FIRST_DATA_ROW, column=1).coordinate
    sheet.print_title_rows = f"{HEADER_ROW}:{HEADER_ROW}"
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.page_margins = PageMargins(left=0.4, right=0.4, top=0.6, bottom=0.7, header=0.3, footer=0.3)
    sheet.print_options.horizontalCentered = True
    sheet.oddFooter.center.text = "第 &P 頁，共 &N 頁"
    sheet.evenFooter.center.text = "第 &P 頁，共 &N 頁"


def _saved(workbook: Workbook) -> bytes:
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _write_value(cell: Cell, key: str, value: object, width: float) -> None:
    if value is None:
        cell.value = ""
        return
    if key == "weight" and isinstance(value, (int, float, Decimal, Fraction)) and not isinstance(value, bool):
        cell.value = float(value) if not isinstance(value, int) else value
        cell.number_format = '0.0"%"'
        return
    # Excel never wraps a number: one wider than its column shows as ####, so a long sentence stays text.
    if isinstance(value, Quantity) and _display_width(value.text) <= width - 1:
        cell.value = value.value
        cell.number_format = value.number_format
        return
    neutralize(cell, str(value))


def _display_width(text: str) -> int:
    """Characters as Excel lays them out: CJK and full-width count double."""
    return sum(2 if unicodedata.east_asian_width(character) in "WF" else 1 for character in text)


def _lines_needed(value: object, width: float) -> int:
    if not isinstance(value, str) or not value:
        return 1
    usable = max(width - 1, 1)
    return sum(max(1, math.ceil(_display_width(line) / usable)) for line in value.split("\n"))


def _merge_goals(sheet: Worksheet, rows: Sequence[Mapping[str, object]]) -> None:
    """Merge each run of consecutive rows with the same goal, and make the run tall enough for it."""
    goal_width = COLUMNS[0][2]
    start = 0
    for index in range(1, len(rows) + 1):
        if index < len(rows) and rows[index].get("goal") == rows[start].get("goal"):
            continue
        first_row, last_row = FIRST_DATA_ROW + start, FIRST_DATA_ROW + index - 1
        goal_cell = sheet.cell(row=first_row, column=1)
        goal_cell.alignment = Alignment(horizontal="left", vertical="center", wrap_text=True)
        if last_row > first_row:
            sheet.merge_cells(start_row=first_row, start_column=1, end_row=last_row, end_column=1)
        needed = _lines_needed(goal_cell.value, goal_width) * _LINE_HEIGHT
        available = sum(sheet.row_dimensions[row].height or _LINE_HEIGHT for row in range(first_row, last_row + 1))
        if needed > available:
            _height(sheet, last_row, (sheet.row_dimensions[last_row].height or _LINE_HEIGHT) + needed - available)
        start = index


# ---- the county report: the comparison, the missing reports, the multi-year points ----

def _number_format(unit: str) -> str:
    return '0.00"%"' if unit == "%" else f'#,##0" {unit}"' if unit else "#,##0"


def table_rows(sheet: Worksheet, rows: Sequence[Sequence[object]], formats: Sequence[str | None],
               fills: Sequence[Sequence[str | None]] | None = None, *, centre_short_text: bool = False) -> None:
    """Data rows under the header: numbers (and a Quantity's value with its format) stay numbers, with their formats;
    text is neutralised and left-aligned (centred up to 3 characters with centre_short_text, as the briefing's
    status words)."""
    for offset, values in enumerate(rows):
        row = FIRST_DATA_ROW + offset
        for column, value in enumerate(values, start=1):
            cell = sheet.cell(row=row, column=column)
            if value is None:
                cell.value = None
            elif isinstance(value, Quantity):
                cell.value = value.value
                cell.number_format = value.number_format
            elif isinstance(value, (int, float, Decimal, Fraction)) and not isinstance(value, bool):
                cell.value = value if isinstance(value, int) else float(value)
                if formats[column - 1]:
                    cell.number_format = formats[column - 1]
            else:
                neutralize(cell, str(value))
            cell.border = _BORDER
            left = isinstance(cell.value, str) and (not centre_short_text or len(cell.value) > 3)
            cell.alignment = Alignment(horizontal="left" if left else "center", vertical="center", wrap_text=True)
            colour = fills[offset][column - 1] if fills else None
            if colour:
                cell.fill = PatternFill("solid", fgColor=colour.lstrip("#"))


COUNTY_MISSING = "—"  # as the 全府比較 page shows a missing rank, score or value


def build_county_report(view, points, catalogue, *, title: str) -> bytes:
    """Three sheets: 全府比較 (units × common indicators, score and rank), 未填報單位, 跨年度計分.

    view: metrics.evaluation.county.CountyView; points: its units' MultiYearPoints; catalogue: for the units' names."""
    from metrics.evaluation.county import STATUS_COLOURS, missing_frame, multi_year_frame

    workbook = Workbook()
    comparison = workbook.active
    comparison.title = "全府比較"
    units = [indicator for indicator in catalogue.common.indicators]
    headers = [("名次", 6), ("單位", 16), ("共同性指標加權分數", 11)] + [
        (f"{indicator.id} {indicator.short_name}", 12) for indicator in units]
    subtitle = f"統計至 {view.year} 年 {view.month} 月｜各單位依其本年度計畫計算；加權分數只計共同性指標；「—」為尚無資料"
    _heading(comparison, title, subtitle, headers)
    rows, fills = [], []
    for standing in view.standings:
        name = standing.plan.unit_name + ("（範例）" if standing.plan.sample else "")
        score = None if standing.common_score is None else float(round_half_up(standing.common_score))
        values = [result.actual if result is not None and result.actual is not None else None
                  for result in standing.common]
        rows.append([COUNTY_MISSING if standing.rank is None else standing.rank, name,
                     COUNTY_MISSING if score is None else score,
                     *(COUNTY_MISSING if value is None else float(value) for value in values)])
        fills.append([None, None, None, *(STATUS_COLOURS.get(result.status) if result is not None else None
                                          for result in standing.common)])
    table_rows(comparison, rows, [None, None, "0.00", *(_number_format(indicator.unit) for indicator in units)], fills)
    _print_setup(comparison)

    missing = workbook.create_sheet("未填報單位")
    missing_rows = missing_frame(view)
    _heading(missing, title, f"{view.year} 年 {view.month} 月尚未填報完整的單位",
             [("單位", 16), ("未填報項目數", 10), ("已填報項目數", 10), ("未填報的項目", 60)])
    table_rows(missing, missing_rows.values.tolist(), [None, "#,##0", "#,##0", None])
    _print_setup(missing)

    multi = workbook.create_sheet("跨年度計分")
    multi_rows = multi_year_frame(catalogue, points, view.year)
    rule = points[0].rule if points else None
    _heading(multi, title, f"指標 {rule.indicator} 跨年度計分（{rule.source}）；「—」為尚無法判定" if rule else "跨年度計分",
             [(column, 16 if column == "單位" else 11) for column in multi_rows.columns])
    table_rows(multi, [[COUNTY_MISSING if pd_isna(value) else value for value in row]
                   for row in multi_rows.values.tolist()],
           [None, "0", *["0.##"] * (len(multi_rows.columns) - 2)])
    _print_setup(multi)
    return _saved(workbook)


def pd_isna(value: object) -> bool:
    """pandas' missing values (NaN, NA) as Python's None."""
    return value is None or (isinstance(value, float) and value != value) or type(value).__name__ == "NAType"


AUDIT_COLUMNS = (("時間", 17), ("帳號", 22), ("動作", 12), ("結果", 7), ("年度", 7), ("單位", 12), ("對象", 30),
                 ("內容", 70))


def audit_records(rows, field_names: Mapping[str, str] | None = None,
                  role_names: Mapping[str, str] | None = None) -> list[list[object]]:
    """Rows of the audit trail (metrics.store.AuditRow) as the page and the workbook show them: internal names
    (kinds of export, their columns, fields' codes → field_names, roles → role_names) in users' words."""
    from metrics.outputs.audit_names import readable
    from metrics.store import format_taiwan_time

    records = []
    for row in rows:
        subject, detail = readable(row.action, row.subject, row.detail, field_names or {}, role_names)
        # Rows written before the cleaning rule may hold control characters: shown visibly on the page too.
        records.append([format_taiwan_time(row.at), visible(row.account), visible(row.action), row.outcome.value,
                        row.year, visible(row.unit), visible(subject), visible(detail)])
    return records


def build_audit_report(rows, *, title: str, subtitle: str, field_names: Mapping[str, str] | None = None,
                       role_names: Mapping[str, str] | None = None) -> bytes:
    """The audit trail as filtered on the page, one row per entry, newest first; every text neutralised."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "操作紀錄"
    _heading(sheet, title, subtitle, AUDIT_COLUMNS)
    table_rows(sheet, audit_records(rows, field_names, role_names), [None, None, None, None, "0", None, None, None])
    _print_setup(sheet)
    return _saved(workbook)
