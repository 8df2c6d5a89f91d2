"""A monthly table in a sheet: the sheet's cells, where its header row is and whether it is long or wide, what the
cells above it say (unit, year), and the reads of one row that both layouts share (RowReader). The wide reader
(metrics.intake.wide_table) and the long reader (metrics.intake.long_table) build on them; metrics.intake.monthly
reads a whole file with them."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal

from metrics.errors import Problem
from metrics.intake import parsing, validation
from metrics.intake.sheet_xml import cell_name
from metrics.plans.catalogue import Catalogue
from metrics.plans.plan import MonthlyField

HEADER_SCAN_ROWS = 30

ROLE_SYNONYMS: dict[str, frozenset[str]] = {
    "year": frozenset({"年度", "年", "year", "民國年", "年別"}),
    "month": frozenset({"月份", "月", "month", "月別"}),
    "unit": frozenset({"單位", "unit", "單位名稱", "填報單位"}),
    "code": frozenset({"項目代碼", "field", "code", "代碼", "項目代號", "欄位代碼", "fieldcode"}),
    "name": frozenset({"項目名稱", "name", "名稱", "項目", "fieldname"}),
    "value": frozenset({"數值", "value", "值", "數量", "填報數值"}),
}

@dataclass
class Sheet:
    name: str  # "" for a CSV
    rows: list[list[object]]
    uncached: frozenset[tuple[int, int]] = frozenset()  # 0-based cells holding a formula never calculated
    errors: frozenset[tuple[int, int]] = frozenset()  # 0-based cells holding an Excel error value
    not_numbers: frozenset[tuple[int, int]] = frozenset()  # 0-based number cells holding NaN (no Excel writes one)

    def unreadable(self, filename: str, row: int, column: int, field_name: str = "") -> Problem | None:
        """The problem with a cell whose value calamine cannot give (it reads both kinds as blank)."""
        if (row, column) in self.uncached:
            return uncached_problem(filename, self.name, row, column, field_name)
        if (row, column) in self.errors:
            return Problem("是 Excel 錯誤值（如 #DIV/0!、#REF!、#N/A），請修正公式或改填數值",
                           file=filename, sheet=self.name, cell=cell_name(row, column), field=field_name)
        if (row, column) in self.not_numbers:
            return Problem("是數字格式但內容為 NaN（不是數字，Excel 不會產生這種值，檔案可能由其他程式寫出）；"
                           "請改填數值，未填報請留空白",
                           file=filename, sheet=self.name, cell=cell_name(row, column), field=field_name, value="NaN")
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


@dataclass(frozen=True, slots=True)  # one per figure read: half a million in a long table
class Record:
    year: int
    month: int
    unit: str
    field: str
    value: Decimal
    sheet: str
    cell: str


@dataclass(frozen=True)
class Defaults:
    """The unit and year of figures whose file does not say them (the page's period, or --year/--unit)."""

    year: int | None = None
    unit: str | None = None  # a canonical unit name


@dataclass(frozen=True)
class Heading:
    """What the cells above a header say: the unit and year for a table that leaves them out."""

    unit: str | None  # canonical
    year: int | None
    year_cell: str  # where the year came from ("" when it is the caller's)


def uncached_problem(filename: str, sheet: str, row: int, column: int, field_name: str = "") -> Problem:
    return Problem("是公式但沒有計算結果（可能由程式產生、從未在 Excel 開啟），請在 Excel 開啟後存檔，或改填數值",
                   file=filename, sheet=sheet, cell=cell_name(row, column), field=field_name)


# Finding the table ----------------------------------------------------------------------------------

def header_key(raw: object) -> str:
    text = parsing.normalize_text(raw).lower()
    text = re.sub(r"[(\[【].*?[)\]】]", "", text)
    return "".join(text.split()).rstrip(":")


def month_header(raw: object) -> tuple[int | None, int] | None:
    try:
        return parsing.parse_month_header(raw)
    except (ValueError, ArithmeticError, TypeError):
        return None


_MONTH_LIKE = (
    re.compile(r"^(?:民國)?(?:\d{2,4}\s*年\s*)?(\d{1,3})\s*月份?$"),
    re.compile(r"^\d{2,4}\s*[/\-.]\s*(\d{1,3})$"),
)


def looks_like_month(raw: object) -> bool:
    """A header meant as a month that names none (13月, 112/13), so its figures are not dropped silently."""
    if not isinstance(raw, str):
        return False
    text = parsing.normalize_text(raw)
    return any(pattern.match(text) for pattern in _MONTH_LIKE)


def classify(sheet: Sheet, row: int) -> Table | None:
    cells = sheet.rows[row]
    columns: dict[str, int] = {}
    for column, raw in enumerate(cells):
        key = header_key(raw)
        for role, synonyms in ROLE_SYNONYMS.items():
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
        header = month_header(raw)
        if header is not None:
            months.append(MonthColumn(column, header[0], header[1]))
        elif looks_like_month(raw):
            bad_months.append((column, parsing.normalize_text(raw)))
    if months or bad_months:
        wide_columns = {role: column for role, column in columns.items() if role in {"code", "name", "year", "unit"}}
        return Table("wide", row, wide_columns, months, bad_months)
    return None


def find_table(sheet: Sheet) -> Table | None:
    for row in range(min(HEADER_SCAN_ROWS, len(sheet.rows))):
        table = classify(sheet, row)
        if table is not None:
            return table
    return None


# Words that follow 「單位：」 above a table to say what the figures are measured in, not who reports them.
MEASUREMENT_UNITS = frozenset({"千元", "元", "萬元", "新臺幣元", "新台幣元", "新臺幣千元", "新台幣千元", "人", "件", "案",
                               "次", "場", "%", "百分比"})


def read_heading(sheet: Sheet, table: Table, catalogue: Catalogue, filename: str, problems: list[Problem]) -> Heading:
    """The unit and year written above the header ("單位：政風處", "年度：112", "112年度")."""
    unit: str | None = None
    unit_seen = False
    year: int | None = None
    year_cell = ""
    title_year: tuple[int, str] | None = None
    for row in range(table.header_row):
        cells = sheet.rows[row]
        for column, raw in enumerate(cells):
            text = parsing.normalize_text(raw)
            if not text:
                continue
            following_column = next((later for later in range(column + 1, len(cells))
                                     if not parsing.is_blank(cells[later])), None)
            following = parsing.normalize_text(cells[following_column]) if following_column is not None else ""
            unit_match = re.fullmatch(r"(?:填報)?單位\s*:\s*(.*)", text)
            if unit_match or text == "單位":
                stated = unit_match.group(1).strip() if unit_match else ""
                at = column if stated else following_column
                stated = stated or following
                if not unit_seen and stated and stated not in MEASUREMENT_UNITS:  # 「單位：千元」 is a note on the figures
                    unit_seen = True
                    unit = known_unit(stated, catalogue, filename, sheet.name, row, at if at is not None else column,
                                       problems)
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
    return Heading(unit, year, year_cell)


def known_unit(text: str, catalogue: Catalogue, filename: str, sheet: str, row: int, column: int,
                problems: list[Problem]) -> str | None:
    """The canonical name of a unit named in a cell; a problem naming the cell and the nearest units if
    no unit of the catalogue goes by that name."""
    found = catalogue.units.resolve(text)
    if found is not None:
        return found.name
    nearest = catalogue.units.nearest(text)
    hint = f"相近的單位：{'、'.join(nearest)}。" if nearest else ""
    problems.append(Problem(f"單位「{text}」不是本府的單位（單位名稱見 plans/units.toml）；{hint}請填寫正確的單位名稱",
                            file=filename, sheet=sheet, cell=cell_name(row, column), value=text))
    return None


# Reading the rows: what both layouts share -----------------------------------------------------------------------------------

class RowReader:
    """Reads one table of one sheet into records, collecting problems: what both layouts share (the field, unit,
    year and month of a row, a number); WideReader (metrics.intake.wide_table) and LongReader
    (metrics.intake.long_table) read the rows of each."""

    def __init__(self, sheet: Sheet, table: Table, catalogue: Catalogue, defaults: Defaults, filename: str,
                 problems: list[Problem]):
        self.sheet = sheet
        self.table = table
        self.catalogue = catalogue
        self.filename = filename
        self.problems = problems
        self.records: list[Record] = []
        self.fields = field_lookup(catalogue.fields_in_force)
        heading = read_heading(sheet, table, catalogue, filename, problems)
        self.year = heading.year if heading.year is not None else defaults.year
        self.heading_year = heading.year  # what the sheet itself says, to hold the month headers against
        self.year_cell = heading.year_cell
        self.conflicts_reported: set[int] = set()
        self.unit = heading.unit or defaults.unit
        self.missing_reported: set[str] = set()

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
            self.problem(f"{sentence(error)}；請只填數字（可含千分位逗號），未填報請留空白", row, column,
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
                text, self.catalogue.fields_in_force, file=self.filename, sheet=self.sheet.name, cell=cell_name(row, column)))
            return None
        column = code_column if code_column is not None else name_column
        self.problem("這一列有填數值，但沒有項目代碼或項目名稱；請填上項目代碼（或使用範本）", row, column)
        return None

    def add(self, year: int, month: int, unit: str, monthly_field: MonthlyField, value: Decimal, row: int,
            column: int) -> None:
        self.records.append(Record(year, month, unit, monthly_field.code, value, self.sheet.name,
                                   cell_name(row, column)))

    # Year and unit --------------------------------------------------------------------------------

    def missing(self, what: str) -> None:
        """The file says neither the year nor (what) and the caller gave none: said once per sheet."""
        if what in self.missing_reported:
            return
        self.missing_reported.add(what)
        if what == "year":
            message = ("檔案沒有註明年度：請在表格上方填「年度：112」，或使用含年度的月份標題（如「112年1月」），"
                       "或加上「年度」欄；命令列可加 --year")
        else:
            message = ("檔案沒有註明單位：請在表格上方填「單位：政風處」，或加上「單位」欄；"
                       "命令列可加 --unit")
        self.problems.append(Problem(message, file=self.filename, sheet=self.sheet.name))

    def row_unit(self, row: int) -> str | None:
        """The row's own 單位 cell (resolved through the units' names), else the sheet's unit."""
        column = self.table.columns.get("unit")
        if column is not None and self.is_filled(row, column):
            unreadable = self.sheet.unreadable(self.filename, row, column)
            if unreadable is not None:
                self.problems.append(unreadable)
                return None
            text = parsing.normalize_text(self.sheet.value(row, column))
            return known_unit(text, self.catalogue, self.filename, self.sheet.name, row, column, self.problems)
        if self.unit is None:
            self.missing("unit")
        return self.unit

    def row_year(self, row: int, column: int | None, name: str) -> int | None:
        if not self.is_filled(row, column):
            if self.year is None:
                self.missing("year")
            return self.year
        unreadable = self.sheet.unreadable(self.filename, row, column, name)
        if unreadable is not None:
            self.problems.append(unreadable)
            return None
        raw = self.sheet.value(row, column)
        try:
            return parsing.parse_year(raw)
        except (ValueError, ArithmeticError, TypeError) as error:
            self.problem(sentence(error), row, column, name, raw)
            return None

    def row_month(self, row: int, column: int, year: int | None, name: str) -> int | None:
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
            header = month_header(raw)
            if header is None:
                self.problem(sentence(error), row, column, name, raw)
                return None
        month_year, month = header
        if month_year is not None and year is not None and month_year != year:
            self.problem(f"月份「{parsing.normalize_text(raw)}」是 {month_year} 年，與同列的年度 {year} 年不符",
                         row, column, name, raw)
            return None
        return month


def header_text(raw: object) -> str:
    if hasattr(raw, "year") and hasattr(raw, "month"):
        return f"{raw.year}-{raw.month:02d}"
    return parsing.normalize_text(raw)


def sentence(error: BaseException) -> str:
    return str(error) or "無法辨識"


def field_lookup(fields: tuple[MonthlyField, ...]) -> dict[str, MonthlyField]:
    lookup: dict[str, MonthlyField] = {}
    for monthly_field in fields:
        lookup.setdefault(validation.field_key(monthly_field.code), monthly_field)
        lookup.setdefault(validation.field_key(monthly_field.name), monthly_field)
    return lookup
