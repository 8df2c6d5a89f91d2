"""The monthly report workbook (月報) the upload page hands out, optionally pre-filled.

The layout is a contract with the wide-format reader: sheet 月報, header on row 4
(項目代碼, 項目名稱, 計量, one column per month, 說明), one field per row from row 5 in the
plan's order. Every cell holds a value or text, never a formula.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from decimal import Decimal

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Protection, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.page import PageMargins
from openpyxl.worksheet.worksheet import Worksheet

from metrics.plans.plan import Aggregation, MonthlyField, Plan, Quantity
from metrics.texts import visible

SHEET_NAME = "月報"
GUIDE_SHEET_NAME = "說明"
HEADER_ROW = 4
FIRST_FIELD_ROW = 5
FIRST_MONTH_COLUMN = 4  # D
HELP_COLUMN = FIRST_MONTH_COLUMN + 12  # P
NOTE = "請於當月欄位填入數字；空白表示未填報（不是 0）。人數、金額類填月底（累計）數。"

COUNT_FORMAT = "#,##0"
# "#,##0.###" would show 21288 as "21,288." in Excel; one fixed decimal reads cleanly.
AMOUNT_FORMAT = "#,##0.0##"

_THIN = Side(style="thin", color="999999")
_BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
_INPUT_FILL = PatternFill("solid", fgColor="FFFDE7")
_STOCK_NOTE = "月底數"
_FLOW_NOTE = "當月數"


def month_header(year: int, month: int) -> str:
    return f"{year}年{month}月"


def month_column(month: int) -> int:
    """The 1-based worksheet column of a month's input cells (1月 is column D)."""
    return FIRST_MONTH_COLUMN + month - 1


def build_template(plan: Plan, values: Mapping[tuple[str, int], Decimal] | None = None) -> bytes:
    """The 月報 workbook of one plan (its unit, its year, its fields) as .xlsx bytes; `values` maps
    (field code, month) to a pre-filled figure."""
    year = plan.year
    unit = plan.unit_name
    values = values or {}
    unknown = sorted({code for code, _ in values if code not in plan.field_by_code})
    if unknown:
        raise ValueError(f"預填資料含計畫未宣告的項目代碼：{'、'.join(unknown)}")
    bad_months = sorted({month for _, month in values if not 1 <= month <= 12})
    if bad_months:
        raise ValueError(f"預填資料的月份須為 1 至 12：{bad_months}")

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = SHEET_NAME
    _write_report_sheet(sheet, plan, year, unit, values)
    _write_guide_sheet(workbook.create_sheet(GUIDE_SHEET_NAME), plan, year)
    workbook.active = 0

    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _cell_value(value: Decimal) -> int | float:
    number = Decimal(value)
    if number == number.to_integral_value():
        return int(number)
    return float(number)


def _write_report_sheet(sheet: Worksheet, plan: Plan, year: int, unit: str,
                        values: Mapping[tuple[str, int], Decimal]) -> None:
    last_column = HELP_COLUMN
    # A plan version stored before the cleaning rule may hold control characters: shown visibly (metrics.texts).
    sheet["A1"] = visible(f"{plan.organisation} {year} 年度施政計畫績效指標月報" + ("（範例計畫）" if plan.sample else ""))
    sheet["A1"].font = Font(size=14, bold=True)
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=last_column)
    sheet["A2"] = visible(f"單位：{unit}")
    sheet["D2"] = f"年度：{year}"
    sheet["A2"].font = sheet["D2"].font = Font(bold=True)
    sheet["A3"] = NOTE
    sheet["A3"].font = Font(color="C00000")

    headers = ["項目代碼", "項目名稱", "計量", *(month_header(year, month) for month in range(1, 13)), "說明"]
    for column, text in enumerate(headers, start=1):
        cell = sheet.cell(row=HEADER_ROW, column=column, value=text)
        cell.font = Font(bold=True)
        cell.fill = _HEADER_FILL
        cell.border = _BORDER
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)

    count_validation = DataValidation(
        type="whole", operator="greaterThanOrEqual", formula1="0", allow_blank=True,
        showErrorMessage=True, showInputMessage=True, errorStyle="stop",
        errorTitle="請填整數", error="本項目須填 0 以上的整數（例如 12）；未發生請填 0，尚未統計請留白。",
        promptTitle="填寫說明", prompt="請填 0 以上的整數；空白表示未填報。",
    )
    sheet.add_data_validation(count_validation)
    # An amount is any number >= 0 in its field's own unit (千元, 分, 公尺 …): one validation per unit, so that
    # the message a cell shows names the unit of that row and never 千元 for a score.
    amount_validations: dict[str, DataValidation] = {}

    for offset, monthly_field in enumerate(plan.fields):
        row = FIRST_FIELD_ROW + offset
        for column, text in ((1, monthly_field.code), (2, monthly_field.name), (3, monthly_field.unit)):
            cell = sheet.cell(row=row, column=column, value=visible(text))
            cell.border = _BORDER
            cell.alignment = Alignment(vertical="center", wrap_text=column == 2)
        number_format = AMOUNT_FORMAT if monthly_field.quantity is Quantity.AMOUNT else COUNT_FORMAT
        for month in range(1, 13):
            cell = sheet.cell(row=row, column=month_column(month))
            value = values.get((monthly_field.code, month))
            if value is not None:
                cell.value = _cell_value(value)
            cell.number_format = number_format
            cell.protection = Protection(locked=False)
            cell.fill = _INPUT_FILL
            cell.border = _BORDER
        first = sheet.cell(row=row, column=month_column(1)).coordinate
        last = sheet.cell(row=row, column=month_column(12)).coordinate
        if monthly_field.quantity is Quantity.AMOUNT:
            validation = amount_validations.get(monthly_field.unit)
            if validation is None:
                validation = amount_validations[monthly_field.unit] = _amount_validation(monthly_field.unit)
                sheet.add_data_validation(validation)
        else:
            validation = count_validation
        validation.add(f"{first}:{last}")
        notes = [indicator.kind.template_note(indicator) for indicator in plan.indicators
                 if monthly_field.code in indicator.fields]
        help_text = "\n".join([monthly_field.help, *(note for note in notes if note)])
        help_cell = sheet.cell(row=row, column=HELP_COLUMN, value=visible(help_text))
        help_cell.border = _BORDER
        help_cell.alignment = Alignment(vertical="center", wrap_text=True)

    widths = {"A": 28, "B": 30, "C": 6, get_column_letter(HELP_COLUMN): 48}
    for month in range(1, 13):
        widths[get_column_letter(month_column(month))] = 11
    for letter, width in widths.items():
        sheet.column_dimensions[letter].width = width
    sheet.row_dimensions[HEADER_ROW].height = 30

    sheet.freeze_panes = sheet.cell(row=FIRST_FIELD_ROW, column=FIRST_MONTH_COLUMN).coordinate
    sheet.print_title_rows = f"1:{HEADER_ROW}"
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.page_margins = PageMargins(left=0.4, right=0.4, top=0.6, bottom=0.6)
    sheet.oddFooter.center.text = "第 &P 頁，共 &N 頁"
    # Protected without a password: codes and headers stay intact, yet anyone can lift it.
    sheet.protection.sheet = True
    sheet.protection.formatColumns = False
    sheet.protection.formatRows = False


def _amount_validation(unit: str) -> DataValidation:
    """The check of an amount row: a number >= 0, decimals allowed, in the field's unit (named when it has one)."""
    unit = visible(unit).strip()
    in_unit = f"（單位：{unit}，例如 1234.5）" if unit else "（例如 1234.5）"
    of_unit = f"（{unit}）" if unit else ""
    return DataValidation(
        type="decimal", operator="greaterThanOrEqual", formula1="0", allow_blank=True,
        showErrorMessage=True, showInputMessage=True, errorStyle="stop",
        errorTitle="請填數字", error=f"本項目須填 0 以上的數字{in_unit}；尚未統計請留白。",
        promptTitle="填寫說明", prompt=f"請填 0 以上的數字{of_unit}，可含小數；空白表示未填報。",
    )


def _aggregation_text(monthly_field: MonthlyField) -> str:
    if monthly_field.aggregation is Aggregation.FLOW:
        return f"{_FLOW_NOTE}：只填該月發生的數量，系統將 1 月起各月相加"
    return f"{_STOCK_NOTE}：填該月月底的數字（累計數），系統取最近一個月，不相加"


def _write_guide_sheet(sheet: Worksheet, plan: Plan, year: int) -> None:
    sheet["A1"] = visible(f"{plan.organisation} {year} 年度施政計畫績效指標月報　填寫說明")
    sheet["A1"].font = Font(size=14, bold=True)
    instructions = (
        "一、請在「月報」工作表中，於該月份欄位（例如「" + month_header(year, 3) + "」）填入數字，其他欄位請勿修改。",
        "二、空白表示「未填報」，不是 0；當月確實沒有發生（例如沒有預警案件），請填 0。",
        "三、「當月數」只填該月份發生的數量；「月底數」填該月月底的人數或年初至月底的累計金額。",
        "四、人數、件數請填整數；金額、分數等依「計量」欄所列的單位填寫（例如金額以千元計），可含小數。數字可以有千分位逗號。",
        "五、可以只填一個月份，也可以一次填多個月份；填好後存檔，到績效指標系統的上傳頁面上傳。",
        "六、工作表已設保護（無密碼），只有黃色欄位可以輸入；如需調整，請用「校閱 > 取消保護工作表」。",
    )
    for offset, text in enumerate(instructions):
        sheet.cell(row=3 + offset, column=1, value=text)

    header_row = 3 + len(instructions) + 1
    headers = ("項目代碼", "項目名稱", "計量", "填報方式", "填報說明", "使用此項目的績效指標")
    for column, text in enumerate(headers, start=1):
        cell = sheet.cell(row=header_row, column=column, value=text)
        cell.font = Font(bold=True)
        cell.fill = _HEADER_FILL
        cell.border = _BORDER
    for offset, monthly_field in enumerate(plan.fields):
        row = header_row + 1 + offset
        users = [f"{indicator.id} {indicator.short_name}" for indicator in plan.indicators
                 if monthly_field.code in indicator.fields]
        notes = [indicator.kind.template_note(indicator) for indicator in plan.indicators
                 if monthly_field.code in indicator.fields]
        texts = (monthly_field.code, monthly_field.name, monthly_field.unit, _aggregation_text(monthly_field),
                 "\n".join([monthly_field.help, *(note for note in notes if note)]), "、".join(users) if users else "（無）")
        for column, text in enumerate(texts, start=1):
            cell = sheet.cell(row=row, column=column, value=visible(text))
            cell.border = _BORDER
            cell.alignment = Alignment(vertical="top", wrap_text=True)
    for letter, width in {"A": 28, "B": 30, "C": 6, "D": 40, "E": 50, "F": 36}.items():
        sheet.column_dimensions[letter].width = width
    sheet.print_title_rows = f"{header_row}:{header_row}"
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
