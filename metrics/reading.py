"""Reading an uploaded monthly report, .xlsx or .csv, long or wide (data contract §4), into the tidy frame.

Long: one figure per row, columns 年度, 月份, 單位, 項目代碼 (or 項目名稱), 數值 — or year, month, unit,
field, value. Wide: the template the app hands out, a sheet 月報 with a header row holding 項目代碼 and/or
項目名稱 and one column per month. In both the header may sit anywhere in the first 30 rows; above it,
cells such as "單位：政風處" and "年度：112" supply the unit and year the table leaves out.

Every problem found is collected and raised together as one InputError; nothing is returned half-read.
"""

from __future__ import annotations

import csv
import io
import itertools
import re
from dataclasses import dataclass, field
from decimal import Decimal

import pandas as pd

from metrics import parsing, safety, validation
from metrics.errors import InputError, NoTableError, Problem
from metrics.figures import TIDY_COLUMNS
from metrics.plan import PLAN_112, MonthlyField, Plan
from metrics.safety import cell_name

HEADER_SCAN_ROWS = 30
TEMPLATE_SHEET = "月報"
DELIMITERS = (",", "\t", ";")
MAX_SHEET_CELLS = 2_000_000  # a monthly report needs about a thousand; reading 2 million numbers peaks near 160 MB

_ROLE_SYNONYMS: dict[str, frozenset[str]] = {
    "year": frozenset({"年度", "年", "year", "民國年", "年別"}),
    "month": frozenset({"月份", "月", "month", "月別"}),
    "unit": frozenset({"單位", "unit", "單位名稱", "填報單位"}),
    "code": frozenset({"項目代碼", "field", "code", "代碼", "項目代號", "欄位代碼", "fieldcode"}),
    "name": frozenset({"項目名稱", "name", "名稱", "項目", "fieldname"}),
    "value": frozenset({"數值", "value", "值", "數量", "填報數值"}),
}

EXPECTED_HEADER = (
    "預期的表頭（須在前 30 列內）：範本（寬表）要有「項目代碼」或「項目名稱」欄，以及每月一欄"
    "（如「112年1月」「1月」「01」「112/01」「2023-01」）；長表要有「年度、月份、單位、項目代碼、數值」欄"
    "（單位可省略，也可用英文 year, month, unit, field, value）。建議下載系統提供的範本填寫"
)


@dataclass
class Sheet:
    name: str  # "" for a CSV
    rows: list[list[object]]
    uncached: frozenset[tuple[int, int]] = frozenset()  # 0-based cells holding a formula never calculated
    errors: frozenset[tuple[int, int]] = frozenset()  # 0-based cells holding an Excel error value

    def unreadable(self, filename: str, row: int, column: int, field_name: str = "") -> Problem | None:
        """The problem with a cell whose value calamine cannot give (it reads both kinds as blank)."""
        if (row, column) in self.uncached:
            return _uncached_problem(filename, self.name, row, column, field_name)
        if (row, column) in self.errors:
            return Problem("是 Excel 錯誤值（如 #DIV/0!、#REF!、#N/A），請修正公式或改填數值",
                           file=filename, sheet=self.name, cell=cell_name(row, column), field=field_name)
        return None

    def value(self, row: int, column: int | None) -> object:
        if column is None or row >= len(self.rows) or column >= len(self.rows[row]):
            return None
        return self.rows[row][column]


@dataclass(frozen=True)
class MonthColumn:
    column: int
    year: int | None  # from the header itself, when it names one
    month: int


@dataclass
class Table:
    kind: str  # "long" or "wide"
    header_row: int
    columns: dict[str, int]  # role (year, month, unit, code, name, value) -> column
    months: list[MonthColumn] = field(default_factory=list)
    bad_months: list[tuple[int, str]] = field(default_factory=list)  # headers naming no real month


@dataclass(frozen=True)
class Record:
    year: int
    month: int
    unit: str
    field: str
    value: Decimal
    sheet: str
    cell: str


@dataclass(frozen=True)
class Context:
    """What the cells above a header say: the unit and year for a table that leaves them out."""

    unit: str
    year: int
    year_cell: str  # where the year came from ("" when it is the plan's)


# Public API -----------------------------------------------------------------------------------------

def load_grids(data: bytes, filename: str) -> list[tuple[str, list[list[object]]]]:
    """After the safety checks: every sheet as (sheet name, rows of raw cell values); a CSV is one sheet ''.

    Empty cells are '' (rows may differ in length). An .xlsx formula that was never calculated is an
    error naming its sheet and cell, never a silent blank.
    """
    kind = safety.check_upload(data, filename)
    if kind == "csv":
        text = _csv_text(data, filename)
        return [("", _csv_rows(text, _delimiter_order(text)[0], filename))]
    sheets = _xlsx_sheets(data, filename)
    problems = [sheet.unreadable(filename, row, column)
                for sheet in sheets for row, column in sorted(sheet.uncached | sheet.errors)]
    if problems:
        raise InputError(validation.capped(problems))
    return [(sheet.name, sheet.rows) for sheet in sheets]


def read_upload(data: bytes, filename: str, plan: Plan = PLAN_112) -> pd.DataFrame:
    """Bytes of an uploaded .xlsx/.csv (long or wide format) -> validated tidy frame.

    Columns exactly metrics.figures.TIDY_COLUMNS; value is Decimal; year is ROC; rows sorted by year,
    month, unit and the plan's field order. Blank cells are 'not reported' and produce no row. Raises
    InputError listing every problem (capped).
    """
    kind = safety.check_upload(data, filename)
    try:
        return _read(data, filename, kind, plan)
    except InputError as error:
        mismatch = safety.describe_mismatch(filename, kind)
        if mismatch:
            raise InputError([Problem(mismatch, file=filename), *error.problems]) from None
        raise


# Loading --------------------------------------------------------------------------------------------

def _csv_text(data: bytes, filename: str) -> str:
    try:
        text, _encoding = parsing.decode_text(data)
    except UnicodeError:  # a UTF-16 byte-order mark over bytes that are not UTF-16
        raise InputError(Problem("檔案編碼無法辨識（開頭像 UTF-16 但內容無法解讀）；請在 Excel 以「CSV UTF-8（逗號分隔）」"
                                 "另存後再上傳", file=filename)) from None
    except ValueError as error:
        raise InputError(Problem(str(error), file=filename)) from None
    if safety.control_character_count(text):
        raise InputError(Problem("內容不是文字（CSV）檔，可能是其他格式的檔案被改了副檔名；"
                                 "請上傳 Excel 活頁簿（.xlsx）或從 Excel 另存的 CSV 檔", file=filename))
    if not text.strip():
        raise InputError(Problem("檔案是空的（沒有任何文字）；請確認已存檔後再上傳", file=filename))
    return text


def _csv_rows(text: str, delimiter: str, filename: str) -> list[list[object]]:
    try:
        return [list(row) for row in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)]
    except csv.Error as error:
        raise InputError(Problem(f"CSV 格式有誤，無法讀取（{error}）；請在 Excel 開啟後另存為「CSV UTF-8（逗號分隔）」"
                                 "再上傳", file=filename)) from None


def _delimiter_order(text: str) -> list[str]:
    """Comma first unless another delimiter splits more of the first lines."""
    lines = [line for line in itertools.islice(io.StringIO(text), 50) if line.strip()]
    scores = {delimiter: sum(1 for line in lines if delimiter in line) for delimiter in DELIMITERS}
    return sorted(DELIMITERS, key=lambda delimiter: (-scores[delimiter], DELIMITERS.index(delimiter)))


def _xlsx_sheets(data: bytes, filename: str) -> list[Sheet]:
    scans = {scan.name: scan for scan in safety.inspect_workbook(data, filename, max_cells=MAX_SHEET_CELLS)}
    try:
        import python_calamine

        workbook = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
        names = [metadata.name for metadata in workbook.sheets_metadata
                 if metadata.typ == python_calamine.SheetTypeEnum.WorkSheet]
        sheets = []
        for name in names:
            scan = scans.get(name)
            if scan is None:  # never read a sheet the safety scan did not measure
                continue
            rows = workbook.get_sheet_by_name(name).to_python(skip_empty_area=False)
            sheets.append(Sheet(name, rows, frozenset(scan.uncached_formulas), frozenset(scan.error_cells)))
        return sheets
    except (KeyboardInterrupt, SystemExit, MemoryError):
        raise
    except BaseException as error:  # calamine raises its own errors, and pyo3 panics are BaseException
        raise InputError(Problem(f"{safety.NOT_A_WORKBOOK}（活頁簿內容有誤，檔案可能已損毀）；{safety.SAVE_AS_XLSX}",
                                 file=filename)) from error


def _uncached_problem(filename: str, sheet: str, row: int, column: int, field_name: str = "") -> Problem:
    return Problem("是公式但沒有計算結果（可能由程式產生、從未在 Excel 開啟），請在 Excel 開啟後存檔，或改填數值",
                   file=filename, sheet=sheet, cell=cell_name(row, column), field=field_name)


# Finding the table ----------------------------------------------------------------------------------

def _header_key(raw: object) -> str:
    text = parsing.normalize_text(raw).lower()
    text = re.sub(r"[(\[【].*?[)\]】]", "", text)
    return "".join(text.split()).rstrip(":")


def _month_header(raw: object) -> tuple[int | None, int] | None:
    try:
        return parsing.parse_month_header(raw)
    except (ValueError, ArithmeticError, TypeError):
        return None


_MONTH_LIKE = (
    re.compile(r"^(?:民國)?(?:\d{2,4}\s*年\s*)?(\d{1,3})\s*月份?$"),
    re.compile(r"^\d{2,4}\s*[/\-.]\s*(\d{1,3})$"),
)


def _looks_like_month(raw: object) -> bool:
    """A header meant as a month that names none (13月, 112/13), so its figures are not dropped silently."""
    if not isinstance(raw, str):
        return False
    text = parsing.normalize_text(raw)
    return any(pattern.match(text) for pattern in _MONTH_LIKE)


def _classify(sheet: Sheet, row: int) -> Table | None:
    cells = sheet.rows[row]
    columns: dict[str, int] = {}
    for column, raw in enumerate(cells):
        key = _header_key(raw)
        for role, synonyms in _ROLE_SYNONYMS.items():
            if key in synonyms and role not in columns:
                columns[role] = column
    has_field = "code" in columns or "name" in columns
    if not has_field:
        return None
    if "month" in columns and "value" in columns:
        return Table("long", row, columns)
    taken = set(columns.values())
    months = []
    bad_months = []
    for column, raw in enumerate(cells):
        if column in taken or parsing.is_blank(raw):
            continue
        header = _month_header(raw)
        if header is not None:
            months.append(MonthColumn(column, header[0], header[1]))
        elif _looks_like_month(raw):
            bad_months.append((column, parsing.normalize_text(raw)))
    if months or bad_months:
        wide_columns = {role: column for role, column in columns.items() if role in {"code", "name", "year", "unit"}}
        return Table("wide", row, wide_columns, months, bad_months)
    return None


def _find_table(sheet: Sheet) -> Table | None:
    for row in range(min(HEADER_SCAN_ROWS, len(sheet.rows))):
        table = _classify(sheet, row)
        if table is not None:
            return table
    return None


# Words that follow 「單位：」 above a table to say what the figures are measured in, not who reports them.
MEASUREMENT_UNITS = frozenset({"千元", "元", "萬元", "新臺幣元", "新台幣元", "新臺幣千元", "新台幣千元", "人", "件", "案",
                               "次", "場", "%", "百分比"})


def reporting_unit(text: str, plan: Plan) -> str:
    """The reporting unit as the plan names it: 「新竹縣政府政風處」 and 「政風處」 are the same unit."""
    text = text.strip()
    if text and (text == plan.organisation or text.endswith(plan.unit)):
        return plan.unit
    return text


def _context(sheet: Sheet, table: Table, plan: Plan, filename: str, problems: list[Problem]) -> Context:
    """The unit and year written above the header ("單位：政風處", "年度：112", "112年度")."""
    unit = ""
    year: int | None = None
    year_cell = ""
    title_year: tuple[int, str] | None = None
    for row in range(table.header_row):
        cells = sheet.rows[row]
        for column, raw in enumerate(cells):
            text = parsing.normalize_text(raw)
            if not text:
                continue
            following = next((parsing.normalize_text(cells[later]) for later in range(column + 1, len(cells))
                              if not parsing.is_blank(cells[later])), "")
            unit_match = re.fullmatch(r"(?:填報)?單位\s*:\s*(.*)", text)
            if unit_match or text == "單位":
                stated = (unit_match.group(1).strip() if unit_match else "") or following
                if not unit and stated not in MEASUREMENT_UNITS:  # 「單位：千元」 is a note on the figures
                    unit = reporting_unit(stated, plan)
                continue
            year_text = None
            year_match = re.fullmatch(r"年度\s*:\s*(.*)", text)
            if year_match:
                year_text = year_match.group(1).strip() or following
            elif re.fullmatch(r"(?:中華)?(?:民國)?\s*\d{2,4}\s*年度", text):
                year_text = text
            elif text == "年度":
                year_text = following
            if year_text and year is None:
                try:
                    year = parsing.parse_year(year_text)
                    year_cell = cell_name(row, column)
                except (ValueError, ArithmeticError) as error:
                    problems.append(Problem(str(error), file=filename, sheet=sheet.name, cell=cell_name(row, column),
                                            value=text))
                continue
            title_match = re.search(r"(?<!\d)(\d{2,4})\s*年度", text)
            if title_match and title_year is None:
                try:
                    title_year = (parsing.parse_year(title_match.group(1)), cell_name(row, column))
                except ValueError:
                    pass
    if year is None and title_year is not None:
        year, year_cell = title_year
    return Context(unit or plan.unit, plan.year if year is None else year, year_cell)


# Reading the rows -----------------------------------------------------------------------------------

class _Reader:
    """Reads one table of one sheet into records, collecting problems."""

    def __init__(self, sheet: Sheet, table: Table, plan: Plan, filename: str, problems: list[Problem]):
        self.sheet = sheet
        self.table = table
        self.plan = plan
        self.filename = filename
        self.problems = problems
        self.records: list[Record] = []
        self.fields = _field_lookup(plan)
        self.context = _context(sheet, table, plan, filename, problems)
        self.context_year_reported = False

    def problem(self, message: str, row: int, column: int, field_name: str = "", value: object = "") -> None:
        self.problems.append(Problem(message, file=self.filename, sheet=self.sheet.name,
                                     cell=cell_name(row, column), field=field_name,
                                     value=parsing.normalize_text(value)))

    def is_filled(self, row: int, column: int | None) -> bool:
        if column is None:
            return False
        return (self.sheet.unreadable(self.filename, row, column) is not None
                or not parsing.is_blank(self.sheet.value(row, column)))

    def number(self, row: int, column: int, monthly_field: MonthlyField) -> Decimal | None:
        unreadable = self.sheet.unreadable(self.filename, row, column, monthly_field.name)
        if unreadable is not None:
            self.problems.append(unreadable)
            return None
        raw = self.sheet.value(row, column)
        try:
            return parsing.parse_number(raw)
        except (ValueError, ArithmeticError, TypeError) as error:
            self.problem(f"{_sentence(error)}；請只填數字（可含千分位逗號），未填報請留空白", row, column,
                         monthly_field.name, raw)
            return None

    def resolve_field(self, row: int) -> MonthlyField | None:
        """The row's field from its code and/or name cell; a problem is recorded when there is none."""
        code_column = self.table.columns.get("code")
        name_column = self.table.columns.get("name")
        found: list[tuple[int, str, MonthlyField | None]] = []
        for column in (code_column, name_column):
            if column is None:
                continue
            unreadable = self.sheet.unreadable(self.filename, row, column)
            if unreadable is not None:
                self.problems.append(unreadable)
                return None
            text = parsing.normalize_text(self.sheet.value(row, column))
            if text:
                found.append((column, text, self.fields.get(validation.field_key(text))))
        known = [(column, text, monthly_field) for column, text, monthly_field in found if monthly_field]
        if len(known) == 2 and known[0][2] is not known[1][2]:
            (code_at, code_text, by_code), (name_at, name_text, by_name) = known
            self.problem(f"項目代碼「{code_text}」（{by_code.name}）與同列的項目名稱「{name_text}」"
                         f"（儲存格 {cell_name(row, name_at)}）不一致；請確認這一列是哪個項目", row, code_at,
                         by_code.name, code_text)
            return None
        if known:
            return known[0][2]
        if found:
            column, text, _ = found[0]
            self.problems.append(validation.unknown_field_problem(
                text, self.plan, file=self.filename, sheet=self.sheet.name, cell=cell_name(row, column)))
            return None
        column = code_column if code_column is not None else name_column
        self.problem("這一列有填數值，但沒有項目代碼或項目名稱；請填上項目代碼（或使用範本）", row, column)
        return None

    def add(self, year: int, month: int, unit: str, monthly_field: MonthlyField, value: Decimal, row: int,
            column: int) -> None:
        self.records.append(Record(year, month, unit, monthly_field.code, value, self.sheet.name,
                                   cell_name(row, column)))

    # Wide -------------------------------------------------------------------------------------------

    def read_wide(self) -> None:
        table = self.table
        data_rows = range(table.header_row + 1, len(self.sheet.rows))
        filled_columns = {column for column in [m.column for m in table.months] + [c for c, _ in table.bad_months]
                          if any(self.is_filled(row, column) for row in data_rows)}
        for column, text in table.bad_months:
            if column in filled_columns:
                self.problem(f"月份欄標題「{text}」不是有效的月份（月份須為 1 至 12）；請改成如「{self.plan.year}年1月」",
                             table.header_row, column, value=text)
        usable: list[MonthColumn] = []
        for month_column in table.months:
            if month_column.column not in filled_columns:
                continue
            if month_column.year is not None:
                if month_column.year != self.plan.year:
                    header = self.sheet.value(table.header_row, month_column.column)
                    self.problem(f"月份欄標題「{_header_text(header)}」是 {month_column.year} 年，但本計畫為 "
                                 f"{self.plan.year} 年度；請改用 {self.plan.year} 年度的範本，或修正欄標題",
                                 table.header_row, month_column.column, value=_header_text(header))
                    continue
            elif self.context.year != self.plan.year:
                self._wrong_context_year()
                continue
            usable.append(month_column)
        for row in data_rows:
            filled = [month_column for month_column in usable if self.is_filled(row, month_column.column)]
            if not filled:
                continue
            monthly_field = self.resolve_field(row)
            if monthly_field is None:
                continue
            year = self.plan.year
            if "year" in table.columns:  # a 年度 column: each row's own year, checked like the long format's
                year = self._long_year(row, table.columns["year"], monthly_field.name)
                if year is None:
                    continue
            unit = self.context.unit
            if "unit" in table.columns:
                unit = reporting_unit(parsing.normalize_text(self.sheet.value(row, table.columns["unit"])),
                                      plan=self.plan) or unit
            for month_column in filled:
                value = self.number(row, month_column.column, monthly_field)
                if value is not None:
                    self.add(year, month_column.month, unit, monthly_field, value, row, month_column.column)

    def _wrong_context_year(self) -> None:
        if self.context_year_reported:
            return
        self.context_year_reported = True
        message = (f"表格年度是 {self.context.year} 年，但本計畫為 {self.plan.year} 年度；"
                   f"請改用 {self.plan.year} 年度的範本，或修正年度")
        if self.context.year_cell:
            self.problems.append(Problem(message, file=self.filename, sheet=self.sheet.name,
                                         cell=self.context.year_cell, value=str(self.context.year)))
        else:
            self.problems.append(Problem(message, file=self.filename, sheet=self.sheet.name))

    # Long -------------------------------------------------------------------------------------------

    def read_long(self) -> None:
        columns = self.table.columns
        value_column = columns["value"]
        for row in range(self.table.header_row + 1, len(self.sheet.rows)):
            if not self.is_filled(row, value_column):
                continue
            before = len(self.problems)
            monthly_field = self.resolve_field(row)
            name = monthly_field.name if monthly_field else ""
            year = self._long_year(row, columns.get("year"), name)
            month = self._long_month(row, columns["month"], year, name)
            unit_raw = self.sheet.value(row, columns.get("unit"))
            unit = reporting_unit(parsing.normalize_text(unit_raw), plan=self.plan) or self.context.unit
            value = self.number(row, value_column, monthly_field) if monthly_field else None
            if len(self.problems) == before and monthly_field and year and month and value is not None:
                self.add(year, month, unit, monthly_field, value, row, value_column)

    def _long_year(self, row: int, column: int | None, name: str) -> int | None:
        if not self.is_filled(row, column):
            if self.context.year != self.plan.year:
                self._wrong_context_year()
                return None
            return self.context.year
        unreadable = self.sheet.unreadable(self.filename, row, column, name)
        if unreadable is not None:
            self.problems.append(unreadable)
            return None
        raw = self.sheet.value(row, column)
        try:
            year = parsing.parse_year(raw)
        except (ValueError, ArithmeticError, TypeError) as error:
            self.problem(_sentence(error), row, column, name, raw)
            return None
        if year != self.plan.year:
            self.problem(f"年度是 {year} 年，但本計畫為 {self.plan.year} 年度；請只上傳 {self.plan.year} 年度的數字",
                         row, column, name, raw)
            return None
        return year

    def _long_month(self, row: int, column: int, year: int | None, name: str) -> int | None:
        unreadable = self.sheet.unreadable(self.filename, row, column, name)
        if unreadable is not None:
            self.problems.append(unreadable)
            return None
        raw = self.sheet.value(row, column)
        if parsing.is_blank(raw):
            self.problem("月份空白；請填 1 至 12 的月份", row, column, name)
            return None
        try:
            return parsing.parse_month(raw)
        except (ValueError, ArithmeticError, TypeError) as error:
            header = _month_header(raw)
            if header is None:
                self.problem(_sentence(error), row, column, name, raw)
                return None
        month_year, month = header
        if month_year is not None and year is not None and month_year != year:
            self.problem(f"月份「{parsing.normalize_text(raw)}」是 {month_year} 年，與同列的年度 {year} 年不符",
                         row, column, name, raw)
            return None
        return month


def _header_text(raw: object) -> str:
    if hasattr(raw, "year") and hasattr(raw, "month"):
        return f"{raw.year}-{raw.month:02d}"
    return parsing.normalize_text(raw)


def _sentence(error: BaseException) -> str:
    return str(error) or "無法辨識"


def _field_lookup(plan: Plan) -> dict[str, MonthlyField]:
    lookup: dict[str, MonthlyField] = {}
    for monthly_field in plan.fields:
        lookup.setdefault(validation.field_key(monthly_field.code), monthly_field)
        lookup.setdefault(validation.field_key(monthly_field.name), monthly_field)
    return lookup


# Putting it together --------------------------------------------------------------------------------

def _read(data: bytes, filename: str, kind: str, plan: Plan) -> pd.DataFrame:
    tables = _csv_tables(data, filename) if kind == "csv" else _xlsx_tables(data, filename)
    problems: list[Problem] = []
    records: list[Record] = []
    for sheet, table in tables:
        reader = _Reader(sheet, table, plan, filename, problems)
        if table.kind == "long":
            reader.read_long()
        else:
            reader.read_wide()
        records.extend(reader.records)
    records = _merge_duplicates(records, plan, filename, problems)
    frame = _frame(records, plan, filename)
    if records or not problems:
        try:
            validation.validate(frame, plan, file=filename)
        except InputError as error:
            problems.extend(error.problems)
    if problems:
        raise InputError(validation.capped(problems))
    return frame


def _csv_tables(data: bytes, filename: str) -> list[tuple[Sheet, Table]]:
    text = _csv_text(data, filename)
    for delimiter in _delimiter_order(text):
        sheet = Sheet("", _csv_rows(text, delimiter, filename))
        table = _find_table(sheet)
        if table is not None:
            return [(sheet, table)]
    raise NoTableError(Problem(f"找不到月報表格。{EXPECTED_HEADER}", file=filename))


def _xlsx_tables(data: bytes, filename: str) -> list[tuple[Sheet, Table]]:
    sheets = _xlsx_sheets(data, filename)
    template = [sheet for sheet in sheets if parsing.normalize_text(sheet.name) == TEMPLATE_SHEET]
    for sheet in template:
        table = _find_table(sheet)
        if table is not None:
            return [(sheet, table)]
    found = []
    for sheet in sheets:
        table = _find_table(sheet)
        if table is not None:
            found.append((sheet, table))
    if found:
        return found
    names = "、".join(f"「{sheet.name}」" for sheet in sheets) or "（沒有任何工作表）"
    raise NoTableError(Problem(f"找不到月報表格。檔案內的工作表：{names}。{EXPECTED_HEADER}", file=filename))


def _merge_duplicates(records: list[Record], plan: Plan, filename: str, problems: list[Problem]) -> list[Record]:
    """The same (year, month, unit, field) twice: equal values merge silently, different ones are an error."""
    kept: dict[tuple[int, int, str, str], Record] = {}
    for record in records:
        key = (record.year, record.month, record.unit, record.field)
        earlier = kept.get(key)
        if earlier is None:
            kept[key] = record
            continue
        if earlier.value == record.value:
            continue
        name = plan.field_by_code[record.field].name
        where = (f"工作表「{earlier.sheet}」儲存格 {earlier.cell}" if earlier.sheet != record.sheet
                 else f"儲存格 {earlier.cell}")
        problems.append(Problem(
            f"{record.year} 年 {record.month} 月的「{name}」填了兩次且數值不同：{where} 是 "
            f"{validation.show(earlier.value)}，這一格是 {validation.show(record.value)}；請只保留正確的一格",
            file=filename, sheet=record.sheet, cell=record.cell, field=name, value=validation.show(record.value)))
    return list(kept.values())


def _frame(records: list[Record], plan: Plan, filename: str) -> pd.DataFrame:
    order = {monthly_field.code: index for index, monthly_field in enumerate(plan.fields)}
    ordered = sorted(records, key=lambda record: (record.year, record.month, record.unit,
                                                  order.get(record.field, len(order))))
    frame = pd.DataFrame(
        [(record.year, record.month, record.unit, record.field, record.value, filename, record.sheet, record.cell)
         for record in ordered],
        columns=list(TIDY_COLUMNS),
    )
    if frame.empty:
        return frame.astype({"year": "int64", "month": "int64", "value": object})
    return frame.astype({"year": "int64", "month": "int64"})

