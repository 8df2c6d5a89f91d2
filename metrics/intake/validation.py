"""Domain rules every tidy frame must satisfy before it is stored, each with its own clear message.

The rules come from the plan: counts are whole and not negative, amounts not negative, months 1–12, the
plan's year, known fields only, and no percentage numerator above its denominator in the same month.
"""

from __future__ import annotations

import difflib
import math
import re
import unicodedata
from collections.abc import Iterable, Sequence
from decimal import Decimal, InvalidOperation
from fractions import Fraction

import pandas as pd

from metrics.errors import InputError, Problem
from metrics.plans.formulas import format_number
from metrics.plans.formulas import Term, terms_label
from metrics.plans.plan import Indicator, MonthlyField, Plan, Quantity

MAX_PROBLEMS = 50


_CELL = re.compile(r"^\$?([A-Z]{1,3})\$?(\d+)")
_ROW = re.compile(r"第\s*([\d,]+)\s*列")


def cell_position(cell: str) -> tuple[int, int]:
    """(row, column) of a problem's place — E6, E12 等, 第 4 列 — for ordering; (0, 0) when it names none."""
    text = cell.strip()
    match = _CELL.match(text)
    if match:
        column = 0
        for letter in match.group(1):
            column = column * 26 + ord(letter) - 64
        return int(match.group(2)), column
    match = _ROW.search(text)
    if match:
        return int(match.group(1).replace(",", "")), 0
    return 0, 0


def in_sheet_order(problems: list[Problem]) -> list[Problem]:
    """Problems by file and sheet (in the order they first appear), then row, then column, as a person reads
    the sheet; problems of the whole file or sheet come first, ties keep their order."""
    files: dict[str, int] = {}
    sheets: dict[tuple[str, str], int] = {}
    for problem in problems:
        files.setdefault(problem.file, len(files))
        sheets.setdefault((problem.file, problem.sheet), len(sheets))
    return sorted(problems, key=lambda problem: (files[problem.file], sheets[(problem.file, problem.sheet)],
                                                 *cell_position(problem.cell)))


def capped(problems: list[Problem], limit: int = MAX_PROBLEMS) -> list[Problem]:
    """The first `limit` problems in sheet order and, if there were more, one line saying how many were left out."""
    problems = in_sheet_order(problems)
    if len(problems) <= limit:
        return list(problems)
    rest = len(problems) - limit
    return [*problems[:limit], Problem(f"另有 {rest:,} 個問題未列出；請先修正以上問題後再上傳，其餘問題會再列出",
                                       file=problems[0].file)]


def show(value: Decimal | Fraction | int) -> str:
    """A figure as users read it: thousands separators, exact decimals for Decimal input."""
    if isinstance(value, Decimal):
        return f"{value:,}"
    return format_number(value)


def field_key(text: object) -> str:
    """How field codes and names are compared: full-width folded, case and spaces ignored."""
    return "".join(unicodedata.normalize("NFKC", str(text)).split()).lower()


def suggest_field(text: str, fields: Sequence[MonthlyField]) -> str | None:
    """The code of the field whose code or Chinese name is closest to `text`, or None."""
    key = field_key(text)
    if not key:
        return None
    candidates: dict[str, str] = {}
    for monthly_field in fields:
        candidates.setdefault(field_key(monthly_field.code), monthly_field.code)
        candidates.setdefault(field_key(monthly_field.name), monthly_field.code)
    matches = difflib.get_close_matches(key, list(candidates), n=1, cutoff=0.6)
    if matches:
        return candidates[matches[0]]
    containing = [candidate for candidate in candidates if key in candidate or candidate in key]
    if containing:
        return candidates[max(containing, key=lambda candidate: difflib.SequenceMatcher(None, key, candidate).ratio())]
    return None


def unknown_field_problem(text: str, fields: Sequence[MonthlyField], *, file: str, sheet: str = "",
                          cell: str = "") -> Problem:
    suggestion = suggest_field(text, fields)
    hint = ""
    if suggestion:
        known = next(monthly_field for monthly_field in fields if monthly_field.code == suggestion)
        hint = f"您是不是要填「{known.name}」（代碼 {known.code}）？"
    return Problem(f"項目「{text}」不是填報項目；{hint}請使用範本中的項目代碼或項目名稱",
                   file=file, sheet=sheet, cell=cell, value=str(text))


def outside_plan_problem(code: str, plan: Plan, *, file: str, sheet: str = "", cell: str = "") -> Problem:
    """A field every unit may report, but not one of this unit's plan for this year."""
    if suggest_field(code, plan.fields) is not None:
        return unknown_field_problem(code, plan.fields, file=file, sheet=sheet, cell=cell)
    return Problem(f"項目「{code}」不在{plan.label}計畫中；請使用該計畫月報範本中的項目代碼或項目名稱，"
                   "或確認單位與年度是否填對", file=file, sheet=sheet, cell=cell, value=code)


def checked_ratios(plan: Plan) -> tuple[Indicator, ...]:
    """Percent indicators whose numerator can never legitimately exceed the denominator.

    A percent indicator with a target above 100 % (or one with its own formula, such as the reduction
    rate, which can pass 100 %) is left out, so a new ratio indicator is checked without code changes.
    """
    return tuple(indicator for indicator in plan.indicators
                 if indicator.kind.share_of_whole and indicator.target <= 100)


# No count or 千元 amount of a county office comes near these; beyond them a value is a typo or an attack.
LARGEST_VALUE = Decimal(10) ** 15
SMALLEST_VALUE = Decimal(10) ** -6


def validate(frame: pd.DataFrame, plan: Plan | None, *, file: str) -> None:
    """Raise InputError listing every rule the tidy frame breaks (capped); return None when it is sound.

    The frame holds the figures of the plan's own (year, unit); metrics.intake.monthly.validate_groups splits
    an upload by (year, unit) and finds each group's plan."""
    if frame is None or frame.empty:
        raise InputError(Problem("檔案中沒有任何填報數值（表格內的數字欄都是空白）；請在當月欄位填入數字後再上傳",
                                 file=file))
    problems: list[Problem] = []
    # (unit, year, month) -> field code -> (value, sheet, cell), only rows that passed every row rule
    accepted: dict[tuple[str, int, int], dict[str, tuple[Decimal, str, str]]] = {}
    for row in frame.to_dict("records"):
        sheet = _text(row.get("source_sheet"))
        cell = _text(row.get("source_cell"))
        code = _text(row.get("field"))

        def problem(message: str, field_name: str = "", value: object = "") -> Problem:
            return Problem(message, file=file, sheet=sheet, cell=cell, field=field_name, value=_text(value))

        monthly_field = plan.field_by_code.get(code)
        if monthly_field is None:
            problems.append(outside_plan_problem(code, plan, file=file, sheet=sheet, cell=cell))
            continue
        name = monthly_field.name
        row_problems: list[Problem] = []
        month = _whole(row.get("month"))
        if month is None or not 1 <= month <= 12:
            row_problems.append(problem(f"月份「{_text(row.get('month'))}」不存在，月份須為 1 至 12", name,
                                        row.get("month")))
        year = _whole(row.get("year"))
        if year != plan.year:
            row_problems.append(problem(f"年度為 {_text(row.get('year'))} 年，但本計畫為 {plan.year} 年度；"
                                        f"請只上傳 {plan.year} 年度的數字", name, row.get("year")))
        value = _decimal(row.get("value"))
        if value is None:
            row_problems.append(problem(f"數值「{_text(row.get('value'))}」不是有限的數字；請填入數字", name,
                                        row.get("value")))
        elif abs(value) >= LARGEST_VALUE or (value != 0 and abs(value) < SMALLEST_VALUE):
            shown = _scientific(value)
            row_problems.append(problem(f"數值「{shown}」大小不合理（須小於 1 千兆，且不小於 0.000001）；"
                                        "請確認是否填錯欄位或單位", name, shown))
        elif value < 0:
            row_problems.append(problem(f"數值 {show(value)} 是負數；{name}不可為負數，請填 0 或正數", name, value))
        elif monthly_field.quantity is Quantity.COUNT and value != value.to_integral_value():
            row_problems.append(problem(f"數值 {show(value)} 有小數；{name}是{monthly_field.unit}數，須為整數",
                                        name, value))
        else:
            for indicator in plan.indicators:  # a kind may limit what its field holds (a milestone's stage number)
                if code in indicator.fields:
                    refusal = indicator.kind.reported_value_problem(indicator, value)
                    if refusal:
                        row_problems.append(problem(f"數值 {show(value)} 不合：{name}{refusal}", name, value))
        if row_problems:
            problems.extend(row_problems)
            continue
        unit = _text(row.get("unit")) or plan.unit
        if unit != plan.unit:
            problems.append(problem(f"單位是「{unit}」，但這是{plan.label}的計畫；各單位的數字只依自己的計畫檢查", name, unit))
            continue
        month_values = accepted.setdefault((unit, year, month), {})
        if code in month_values:
            earlier_value, earlier_sheet, earlier_cell = month_values[code]
            if earlier_value != value:
                where = _place(earlier_sheet, earlier_cell, sheet)
                problems.append(problem(f"{year} 年 {month} 月的{name}重複出現：{where} 是 {show(earlier_value)}，"
                                        f"這一格是 {show(value)}，兩者不同；請只保留正確的一格", name, value))
            continue
        month_values[code] = (value, sheet, cell)
    for (_, year, month), month_values in accepted.items():
        for indicator in checked_ratios(plan):
            problem = _ratio_problem(indicator, plan, year, month, month_values, file)
            if problem:
                problems.append(problem)
    if problems:
        raise InputError(capped(problems))


def _ratio_problem(indicator: Indicator, plan: Plan, year: int, month: int,
                   month_values: dict[str, tuple[Decimal, str, str]], file: str) -> Problem | None:
    numerator = _sum(indicator.numerator, month_values)
    denominator = _sum(indicator.denominator, month_values)
    if numerator is None or denominator is None or numerator <= denominator:
        return None
    numerator_cells = _cells(indicator.numerator, month_values)
    denominator_cells = _cells(indicator.denominator, month_values)
    first_sheet, first_cell = numerator_cells[0]
    numerator_label = _terms_label(indicator.numerator, plan)
    denominator_label = _terms_label(indicator.denominator, plan)
    message = (f"{year} 年 {month} 月{numerator_label} {show(numerator)}"
               f"（{_cells_text(numerator_cells, first_sheet)}）大於{denominator_label} {show(denominator)}"
               f"（{_cells_text(denominator_cells, first_sheet)}）；指標 {indicator.id}「{indicator.short_name}」"
               "的分子不可超過分母，請檢查這幾格是否填錯")
    first_field = next(term.field for term in indicator.numerator if term.field in month_values)
    return Problem(message, file=file, sheet=first_sheet, cell=first_cell,
                   field=plan.field_by_code[first_field].name, value=show(numerator))


def _sum(terms: tuple[Term, ...], values: dict[str, tuple[Decimal, str, str]]) -> Fraction | None:
    """Missing parts count as 0 once any part is reported, as the formulas read them."""
    reported = [(term, values[term.field][0]) for term in terms if term.field in values]
    if not reported:
        return None
    return sum((term.coefficient * Fraction(value) for term, value in reported), Fraction(0))


def _cells(terms: tuple[Term, ...], values: dict[str, tuple[Decimal, str, str]]) -> list[tuple[str, str]]:
    return [(values[term.field][1], values[term.field][2]) for term in terms if term.field in values]


def _cells_text(cells: Iterable[tuple[str, str]], home_sheet: str) -> str:
    cells = list(cells)
    if all(cell and (not sheet or sheet == home_sheet) for sheet, cell in cells):
        return "儲存格 " + "、".join(cell for _, cell in cells)
    return "、".join(_place(sheet, cell, home_sheet) for sheet, cell in cells)


def _place(sheet: str, cell: str, home_sheet: str) -> str:
    if sheet and sheet != home_sheet:
        return f"工作表「{sheet}」儲存格 {cell}"
    return f"儲存格 {cell}" if cell else "另一列"


def _terms_label(terms: tuple[Term, ...], plan: Plan) -> str:
    """'電子發文件數', or '實支數(累計)＋應付數(累計)…合計' for a sum."""
    return terms_label(terms, plan.field_by_code) + ("合計" if len(terms) > 1 else "")


def _scientific(value: Decimal) -> str:
    """A number far out of range as Excel shows it (1E+308, 1.5E-09), never hundreds of digits or cut short."""
    mantissa, exponent = f"{value:.6E}".split("E")
    return f"{mantissa.rstrip('0').rstrip('.')}E{exponent}"


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and math.isnan(value):
        return ""
    return str(value)


def _whole(value: object) -> int | None:
    try:
        number = Decimal(str(value).strip())
    except (InvalidOperation, ValueError, TypeError):
        return None
    if not number.is_finite() or number != number.to_integral_value():
        return None
    return int(number)


def _decimal(value: object) -> Decimal | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, Decimal):
        number = value
    elif isinstance(value, (int, float, str)):
        try:
            number = Decimal(str(value).strip()) if not isinstance(value, float) else Decimal(repr(value))
        except (InvalidOperation, ValueError):
            return None
    else:
        return None
    return number if number.is_finite() else None
