"""Reading an uploaded monthly report, .xlsx or .csv, long or wide (data contract §4), into the tidy frame.

Rows are read first, their unit (through the catalogue's names and aliases) and year resolved; then the
figures are grouped by (year, unit) and each group is validated against its own plan. A group without
a plan is refused, naming the plans that exist: no figure is ever checked against another unit's or
another year's plan.

Long: one figure per row, columns 年度, 月份, 單位, 項目代碼 (or 項目名稱), 數值 — or year, month, unit,
field, value. Wide: the template the app hands out, a sheet 月報 with a header row holding 項目代碼 and/or
項目名稱 and one column per month. In both the header may sit anywhere in the first 30 rows; above it,
cells such as "單位：政風處" and "年度：112" supply the unit and year the table leaves out; what the file
does not say at all comes from the caller (the period chosen on the page, or --year/--unit).

Every problem found is collected and raised together as one InputError; nothing is returned half-read.
"""

from __future__ import annotations

import codecs
import csv
import io
import itertools
import operator
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

import pandas as pd

from metrics.intake import columnar, parsing, validation
from metrics.intake import safety
from metrics.errors import InputError, NoTableError, Problem
from metrics.intake.tidy import TIDY_COLUMNS
from metrics.plans.catalogue import Catalogue
from metrics.intake.upload import Upload
from metrics.plans.plan import MonthlyField
from metrics.intake.sheet_xml import cell_name, column_letters

HEADER_SCAN_ROWS = 30
TEMPLATE_SHEET = "月報"
DELIMITERS = (",", "\t", ";")

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
    not_numbers: frozenset[tuple[int, int]] = frozenset()  # 0-based number cells holding NaN (no Excel writes one)

    def unreadable(self, filename: str, row: int, column: int, field_name: str = "") -> Problem | None:
        """The problem with a cell whose value calamine cannot give (it reads both kinds as blank)."""
        if (row, column) in self.uncached:
            return _uncached_problem(filename, self.name, row, column, field_name)
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


# Public API -----------------------------------------------------------------------------------------

def load_grids(data: bytes | Upload, filename: str = "") -> list[tuple[str, list[list[object]]]]:
    """After the safety checks: every sheet as (sheet name, rows of raw cell values); a CSV is one sheet ''.

    Empty cells are '' (rows may differ in length). An .xlsx formula that was never calculated is an
    error naming its sheet and cell, never a silent blank.
    """
    upload = Upload.of(data, filename)
    data, filename = upload.data, upload.name
    kind = safety.check_upload(upload)
    if kind == "csv":
        text, _utf8 = _csv_text(data, filename)
        return [("", _csv_rows(text, _delimiter_order(text)[0], filename))]
    sheets = _xlsx_sheets(upload)
    problems = [sheet.unreadable(filename, row, column)
                for sheet in sheets for row, column in sorted(sheet.uncached | sheet.errors)]
    if problems:
        raise InputError(validation.capped(problems))
    return [(sheet.name, sheet.rows) for sheet in sheets]


def read_upload(data: bytes | Upload, filename: str, catalogue: Catalogue, *, year: int | None = None,
                unit: str | None = None) -> pd.DataFrame:
    """Bytes of an uploaded .xlsx/.csv (long or wide format) -> validated tidy frame.

    year, unit: for figures whose file names neither (a canonical unit name).
    Columns exactly metrics.evaluation.figures.TIDY_COLUMNS; value is Decimal; year is ROC; unit is canonical; rows
    sorted by year, month, unit and field order. Blank cells are 'not reported' and produce no row. Raises
    InputError listing every problem (capped), PlanNotFound's message among them for a (year, unit)
    without a plan.
    """
    return read_table(data, filename, catalogue, year=year, unit=unit)[0]


def read_table(data: bytes | Upload, filename: str, catalogue: Catalogue, *, year: int | None = None,
               unit: str | None = None) -> tuple[pd.DataFrame, str]:
    """read_upload's frame and the kind of table it came from: "wide" when any table has a column per
    month, else "long"."""
    upload = Upload.of(data, filename)
    filename = upload.name
    kind = safety.check_upload(upload)
    try:
        return _read(upload, kind, catalogue, Defaults(year, unit))
    except InputError as error:
        mismatch = safety.describe_mismatch(filename, kind)
        if mismatch:
            raise InputError([Problem(mismatch, file=filename), *error.problems]) from None
        raise


# Loading --------------------------------------------------------------------------------------------

def _csv_text(data: bytes, filename: str) -> tuple[str, bytes]:
    """The decoded text and the same text as UTF-8 without a byte-order mark, after the checks every CSV passes."""
    try:
        text, encoding = parsing.decode_text(data)
    except UnicodeError:  # a UTF-16 byte-order mark over bytes that are not UTF-16
        raise InputError(Problem("檔案編碼無法辨識（開頭像 UTF-16 但內容無法解讀）；請在 Excel 以「CSV UTF-8（逗號分隔）」"
                                 "另存後再上傳", file=filename)) from None
    except ValueError as error:
        raise InputError(Problem(str(error), file=filename)) from None
    safety.check_csv_lines(text, filename)
    utf8 = data if encoding == "UTF-8" else data[len(codecs.BOM_UTF8):] if encoding == "UTF-8 (BOM)" else text.encode()
    if safety.has_control_characters(text, utf8):
        raise InputError(Problem("內容不是文字（CSV）檔，可能是其他格式的檔案被改了副檔名；"
                                 "請上傳 Excel 活頁簿（.xlsx）或從 Excel 另存的 CSV 檔", file=filename))
    if not text or text.isspace():  # strip() would copy the whole text
        raise InputError(Problem("檔案是空的（沒有任何文字）；請確認已存檔後再上傳", file=filename))
    return text, utf8


def _csv_rows(text: str, delimiter: str, filename: str) -> list[list[object]]:
    try:
        return list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))  # each row a new list already
    except csv.Error as error:
        raise InputError(Problem(f"CSV 格式有誤，無法讀取（{error}）；請在 Excel 開啟後另存為「CSV UTF-8（逗號分隔）」"
                                 "再上傳", file=filename)) from None


def _delimiter_order(text: str) -> list[str]:
    """Comma first unless another delimiter splits more of the first lines."""
    lines = [line for line in _LINE_BREAK.split(_first_lines(text, 50)) if line.strip()]
    scores = {delimiter: sum(1 for line in lines if delimiter in line) for delimiter in DELIMITERS}
    return sorted(DELIMITERS, key=lambda delimiter: (-scores[delimiter], DELIMITERS.index(delimiter)))


_LINE_BREAK = re.compile(r"\r\n|\r|\n")


def _first_lines(text: str, count: int) -> str:
    """The text up to the end of its `count`-th line (the whole text when it has fewer), without copying the rest."""
    for number, match in enumerate(_LINE_BREAK.finditer(text), start=1):
        if number == count:
            return text[:match.end()]
    return text


def _first_records(text: str, delimiter: str, count: int) -> list[list[str]]:
    """The first `count` CSV records, read from as few lines as hold them (a quoted cell may span lines)."""
    lines = count + 1
    while True:
        prefix = _first_lines(text, lines)
        records = list(itertools.islice(csv.reader(io.StringIO(prefix, newline=""), delimiter=delimiter), count + 1))
        if len(prefix) == len(text):
            return records[:count]
        if len(records) > count:  # the last record read may be cut short by the prefix; the first `count` are whole
            return records[:count]
        lines *= 2


def _xlsx_sheets(upload: Upload) -> list[Sheet]:
    data, filename = upload.data, upload.name
    scans = {scan.name: scan for scan in safety.inspect_workbook(upload, max_cells=safety.TEMPLATE_SHEET_CELLS)}
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
            # calamine gives a NaN number cell as float NaN, which reads as blank: "not reported" by mistake.
            not_numbers = frozenset((row, column) for row, cells in enumerate(rows)
                                    for column, value in enumerate(cells) if isinstance(value, float) and value != value)
            sheets.append(Sheet(name, rows, frozenset(scan.uncached_formulas), frozenset(scan.error_cells),
                                not_numbers))
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


_ROLE_LABELS = {"year": "年度", "month": "月份", "unit": "單位", "code": "項目代碼", "name": "項目名稱", "value": "數值"}
TABLE_PROBLEM_SHEETS = 5


def table_problems(data: bytes | Upload, filename: str, kind: str) -> list[Problem]:
    """Why a file the user says is a monthly template ("template") or a long table ("long") cannot be read as
    one: per sheet, the row that looks most like that kind's header row, what it lacks and how to fix it."""
    upload = Upload.of(data, filename)
    filename = upload.name
    try:
        grids = load_grids(upload)
    except InputError as error:
        return error.problems
    problems = []
    for name, rows in grids[:TABLE_PROBLEM_SHEETS]:
        best: tuple[int, int, dict[str, int], list[int]] | None = None
        for row in range(min(HEADER_SCAN_ROWS, len(rows))):
            roles: dict[str, int] = {}
            for column, raw in enumerate(rows[row]):
                key = _header_key(raw)
                for role, synonyms in _ROLE_SYNONYMS.items():
                    if key in synonyms and role not in roles:
                        roles[role] = column
            months = [column for column, raw in enumerate(rows[row]) if column not in roles.values()
                      and not parsing.is_blank(raw) and _month_header(raw) is not None]
            if kind == "template":  # a lone number in a data row is no month header
                score = ("code" in roles or "name" in roles) + (len(months) >= 2 or bool(months) and bool(roles))
            else:
                score = len({"code" if role == "name" else role for role in roles} & {"code", "month", "value"})
            if score and (best is None or score > best[0]):
                best = (score, row, roles, months)
        end = 0 if best is None else max((column + 1 for column, raw in enumerate(rows[best[1]])
                                          if not parsing.is_blank(raw)), default=0)
        problems.append(_table_problem(filename, name, kind, best, end))
    return problems


def _table_problem(filename: str, sheet: str, kind: str,
                   best: tuple[int, int, dict[str, int], list[int]] | None, end: int) -> Problem:
    if best is None:
        wanted = ("「項目代碼」或「項目名稱」欄，以及每月一欄（如「112年1月」）" if kind == "template"
                  else "「年度、月份、單位、項目代碼、數值」欄（單位可省略）")
        fix = ("請下載月報範本，把數字貼進範本後上傳" if kind == "template"
               else "請在第一列寫上這些標題，每列一個數字")
        return Problem(f"前 {HEADER_SCAN_ROWS} 列中找不到{'月報範本' if kind == 'template' else '長表'}的標題列："
                       f"須有{wanted}。{fix}", filename, sheet)
    _, row, roles, months = best
    found = "、".join(f"「{_ROLE_LABELS[role]}」" for role in roles)
    if kind == "template":
        if not months:
            after = end
            return Problem(f"第 {row + 1} 列有{found}欄，但沒有任何月份欄：範本每月一欄，請從儲存格 "
                           f"{cell_name(row, after)} 起把標題寫成「112年1月」「1月」或「112/01」", filename, sheet,
                           cell_name(row, after))
        first = min(months)
        free = next((column for column in range(first) if column not in roles.values()), None)
        where = (f"請在儲存格 {cell_name(row, free)} 寫上「項目代碼」或「項目名稱」，其下各列填項目的代碼或名稱"
                 if free is not None else "請在月份欄左邊插入一欄，標題寫「項目代碼」或「項目名稱」，其下各列填項目的代碼或名稱")
        return Problem(f"第 {row + 1} 列有 {len(months)} 個月份欄，但沒有「項目代碼」或「項目名稱」欄。{where}", filename,
                       sheet, cell_name(row, free if free is not None else first))
    missing = [label for role, label in (("month", "月份"), ("value", "數值")) if role not in roles]
    if "code" not in roles and "name" not in roles:
        missing.insert(0, "項目代碼")
    after = end
    return Problem(f"第 {row + 1} 列有{found}欄，缺少" + "、".join(f"「{label}」" for label in missing)
                   + f"欄：長表的標題列要有「年度、月份、單位、項目代碼、數值」（單位可省略）。請從儲存格 "
                   f"{cell_name(row, after)} 起補上缺少的標題，或把現有標題改成這些名稱", filename, sheet,
                   cell_name(row, after))


def _find_table(sheet: Sheet) -> Table | None:
    for row in range(min(HEADER_SCAN_ROWS, len(sheet.rows))):
        table = _classify(sheet, row)
        if table is not None:
            return table
    return None


# Words that follow 「單位：」 above a table to say what the figures are measured in, not who reports them.
MEASUREMENT_UNITS = frozenset({"千元", "元", "萬元", "新臺幣元", "新台幣元", "新臺幣千元", "新台幣千元", "人", "件", "案",
                               "次", "場", "%", "百分比"})


def _heading(sheet: Sheet, table: Table, catalogue: Catalogue, filename: str, problems: list[Problem]) -> Heading:
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
                    unit = _known_unit(stated, catalogue, filename, sheet.name, row, at if at is not None else column,
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


def _known_unit(text: str, catalogue: Catalogue, filename: str, sheet: str, row: int, column: int,
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


# Reading the rows -----------------------------------------------------------------------------------

class _Reader:
    """Reads one table of one sheet into records, collecting problems."""

    def __init__(self, sheet: Sheet, table: Table, catalogue: Catalogue, defaults: Defaults, filename: str,
                 problems: list[Problem]):
        self.sheet = sheet
        self.table = table
        self.catalogue = catalogue
        self.filename = filename
        self.problems = problems
        self.records: list[Record] = []
        self.fields = _field_lookup(catalogue.fields)
        heading = _heading(sheet, table, catalogue, filename, problems)
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
                text, self.catalogue.fields, file=self.filename, sheet=self.sheet.name, cell=cell_name(row, column)))
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
            return _known_unit(text, self.catalogue, self.filename, self.sheet.name, row, column, self.problems)
        if self.unit is None:
            self.missing("unit")
        return self.unit

    # Wide -------------------------------------------------------------------------------------------

    def read_wide(self) -> None:
        table = self.table
        data_rows = range(table.header_row + 1, len(self.sheet.rows))
        filled_columns = {column for column in [m.column for m in table.months] + [c for c, _ in table.bad_months]
                          if any(self.is_filled(row, column) for row in data_rows)}
        example = f"{self.year or 112}年1月"
        for column, text in table.bad_months:
            if column in filled_columns:
                self.problem(f"月份欄標題「{text}」不是有效的月份（月份須為 1 至 12）；請改成如「{example}」",
                             table.header_row, column, value=text)
        usable = [month_column for month_column in table.months if month_column.column in filled_columns]
        for row in data_rows:
            filled = [month_column for month_column in usable if self.is_filled(row, month_column.column)]
            if not filled:
                continue
            monthly_field = self.resolve_field(row)
            if monthly_field is None:
                continue
            row_year = None
            if "year" in table.columns and self.is_filled(row, table.columns["year"]):
                row_year = self._long_year(row, table.columns["year"], monthly_field.name)
                if row_year is None:
                    continue
            unit = self.row_unit(row)
            for month_column in filled:
                year = self._column_year(month_column, row_year, row, monthly_field.name)
                if year is None or unit is None:
                    continue
                value = self.number(row, month_column.column, monthly_field)
                if value is not None:
                    self.add(year, month_column.month, unit, monthly_field, value, row, month_column.column)

    def _column_year(self, month_column: MonthColumn, row_year: int | None, row: int, name: str) -> int | None:
        """A figure's year: its row's 年度 cell, the year its month header names, or the sheet's year."""
        if row_year is not None and month_column.year is not None and row_year != month_column.year:
            header = _header_text(self.sheet.value(self.table.header_row, month_column.column))
            self.problem(f"月份欄標題「{header}」是 {month_column.year} 年，與同列的年度 {row_year} 年不符；"
                         "請修正欄標題或年度", row, month_column.column, name, header)
            return None
        if (month_column.year is not None and self.heading_year is not None and month_column.year != self.heading_year
                and row_year is None):
            if month_column.column not in self.conflicts_reported:
                self.conflicts_reported.add(month_column.column)
                header = _header_text(self.sheet.value(self.table.header_row, month_column.column))
                self.problem(f"月份欄標題「{header}」是 {month_column.year} 年，但表格上方（儲存格 {self.year_cell}）"
                             f"寫的是 {self.heading_year} 年度；兩者不一致，請修正其中之一（複製去年的範本時，"
                             "年度與每個月份欄標題都要改）", self.table.header_row, month_column.column, value=header)
            return None
        year = row_year if row_year is not None else month_column.year if month_column.year is not None else self.year
        if year is None:
            self.missing("year")
        return year

    # Long -------------------------------------------------------------------------------------------

    def read_long(self) -> None:
        columns = self.table.columns
        value_column = columns["value"]
        # A long table repeats few years, months, units and fields, and its values repeat too: a row whose
        # (year, month, unit, field) cells and whose value cell were each read cleanly before is read from
        # those results. Only sheets where every cell reads as itself (no formula or error cells) take this path.
        plain = not (self.sheet.uncached or self.sheet.errors or self.sheet.not_numbers)
        context_columns = [column for column in (columns.get(role) for role in ("year", "month", "unit", "code", "name"))
                           if column is not None]
        context_of = operator.itemgetter(*context_columns, value_column)  # a tuple whose last item is the value
        contexts: dict[tuple, tuple[int, int, str, str]] = {}
        values: dict[str, Decimal] = {}
        sheet_name = self.sheet.name
        letters = column_letters(value_column)
        rows = self.sheet.rows
        for row in range(self.table.header_row + 1, len(rows)):
            cells = rows[row]
            key = None
            if plain:
                try:
                    key = context_of(cells)
                except IndexError:  # a row shorter than the table: read the slow way, never remembered
                    key = None
                else:
                    known_value = values.get(key[-1])
                    context = contexts.get(key[:-1]) if known_value is not None else None
                    if context is not None:
                        year, month, unit, code = context
                        self.records.append(Record(year, month, unit, code, known_value, sheet_name,
                                                   f"{letters}{row + 1}"))
                        continue
            if not self.is_filled(row, value_column):
                continue
            before = len(self.problems)
            added = len(self.records)
            monthly_field = self.resolve_field(row)
            name = monthly_field.name if monthly_field else ""
            year = self._long_year(row, columns.get("year"), name)
            month = self._long_month(row, columns["month"], year, name)
            unit = self.row_unit(row)
            value = self.number(row, value_column, monthly_field) if monthly_field else None
            if len(self.problems) == before and monthly_field and year and month and unit and value is not None:
                self.add(year, month, unit, monthly_field, value, row, value_column)
            if key is not None and len(self.problems) == before and len(self.records) == added + 1 and all(
                    type(cell) is str for cell in key):  # text only: 1 == 1.0 == True would mix cell types
                record = self.records[-1]
                values[key[-1]] = record.value
                contexts[key[:-1]] = (record.year, record.month, record.unit, record.field)

    def _long_year(self, row: int, column: int | None, name: str) -> int | None:
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
            self.problem(_sentence(error), row, column, name, raw)
            return None

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


def _field_lookup(fields: tuple[MonthlyField, ...]) -> dict[str, MonthlyField]:
    lookup: dict[str, MonthlyField] = {}
    for monthly_field in fields:
        lookup.setdefault(validation.field_key(monthly_field.code), monthly_field)
        lookup.setdefault(validation.field_key(monthly_field.name), monthly_field)
    return lookup


# Putting it together --------------------------------------------------------------------------------

def _read(upload: Upload, kind: str, catalogue: Catalogue, defaults: Defaults) -> tuple[pd.DataFrame, str]:
    data, filename = upload.data, upload.name
    if kind == "csv":
        text, utf8 = _csv_text(data, filename)
        delimiter, head, table = _csv_head(text, filename)
        frame = _read_by_column(Sheet("", head), table, catalogue, defaults, filename,  # the cells above the header
                                lambda _shape: columnar.csv_cells(utf8, delimiter, len(head[table.header_row]), head))
        if frame is not None:
            return frame, table.kind
        sheet = Sheet("", _csv_rows(text, delimiter, filename))
        _refuse_overlong_rows(sheet, table, filename)
        tables = [(sheet, table)]
    else:
        tables = _xlsx_tables(upload)
        sheet, table = tables[0]
        # Only a single table whose every cell reads as itself (no formula without a result, no error value,
        # no NaN) is read column by column.
        if len(tables) == 1 and not (sheet.uncached or sheet.errors or sheet.not_numbers):
            frame = _read_by_column(sheet, table, catalogue, defaults, filename,
                                    lambda shape: columnar.grid_cells(sheet.rows, shape))
            if frame is not None:
                return frame, table.kind
    problems: list[Problem] = []
    records: list[Record] = []
    for sheet, table in tables:
        reader = _Reader(sheet, table, catalogue, defaults, filename, problems)
        if table.kind == "long":
            reader.read_long()
        else:
            reader.read_wide()
        records.extend(reader.records)
    records = _merge_duplicates(records, catalogue, filename, problems)
    frame = _frame(records, catalogue, filename)
    if records or not problems:
        problems.extend(validate_groups(frame, catalogue, file=filename))
    if problems:
        raise InputError(validation.capped(problems))
    return frame, "wide" if any(table.kind == "wide" for _sheet, table in tables) else "long"


def _read_by_column(sheet: Sheet, table: Table, catalogue: Catalogue, defaults: Defaults, filename: str,
                    cells_of: Callable[[columnar.TableShape], pd.DataFrame | None]) -> pd.DataFrame | None:
    """The table read column by column (metrics.intake.columnar) and validated; None when only the row-by-row reader
    can say what is wrong with it. `cells_of` gives the table's cells as categorical columns."""
    problems: list[Problem] = []
    reader = _Reader(sheet, table, catalogue, defaults, filename, problems)  # what the cells above the table say
    if problems:
        return None
    shape = columnar.TableShape(
        table.header_row, table.columns, [(month.column, month.year, month.month) for month in table.months],
        [column for column, _text in table.bad_months], reader.year, reader.heading_year, reader.unit)
    cells = cells_of(shape)
    frame = None if cells is None else columnar.read(cells, table.kind, shape, catalogue, reader.fields,
                                                     filename=filename, sheet=sheet.name)
    if frame is None:
        return None
    problems = validate_groups(frame, catalogue, file=filename)
    if problems:
        raise InputError(validation.capped(problems))
    return frame


def validate_groups(frame: pd.DataFrame, catalogue: Catalogue, *, file: str) -> list[Problem]:
    """Each (year, unit) of the frame against its own plan; a group without a plan is one problem that
    names the year, the unit, where its first figure sits and which plans exist."""
    if frame.empty:
        try:
            validation.validate(frame, None, file=file)
        except InputError as error:
            return list(error.problems)
        return []
    problems: list[Problem] = []
    for (year, unit), group in frame.groupby(["year", "unit"], sort=True):
        plan = catalogue.find(int(year), str(unit))
        if plan is None:
            first = group.iloc[0]
            problems.append(Problem(
                f"這個檔案有 {unit} {int(year)} 年度的數字（{len(group):,} 筆），但沒有 {unit} {int(year)} 年度的計畫，"
                f"無法檢查或計算，整個檔案都不會儲存。{catalogue.available_text()}請確認年度與單位，"
                "或請管理者先新增該年度該單位的計畫", file=file, sheet=str(first["source_sheet"]),
                cell=str(first["source_cell"])))
            continue
        try:
            validation.validate(group, plan, file=file)
        except InputError as error:
            problems.extend(error.problems)
    return problems


def _csv_head(text: str, filename: str) -> tuple[str, list[list[object]], Table]:
    """The delimiter, the records down to the header row and the table: the first delimiter whose records
    hold a header within the first rows."""
    for delimiter in _delimiter_order(text):
        try:
            head = _first_records(text, delimiter, HEADER_SCAN_ROWS)
        except csv.Error:
            head = _csv_rows(text, delimiter, filename)[:HEADER_SCAN_ROWS]  # names the error as the full read does
        table = _find_table(Sheet("", head))
        if table is not None:
            return delimiter, head[:table.header_row + 1], table
    raise NoTableError(Problem(f"找不到月報表格。{EXPECTED_HEADER}", file=filename))


OVERLONG_ROWS_SHOWN = 20


def _refuse_overlong_rows(sheet: Sheet, table: Table, filename: str) -> None:
    """A CSV row with more fields than its header is never read: the usual cause is a number written with
    an unquoted thousands separator (21,288), which would otherwise be stored as 21 (and 288 in the next month)."""
    header_width = len(sheet.rows[table.header_row])
    problems = []
    for row_index in range(table.header_row + 1, len(sheet.rows)):
        row = sheet.rows[row_index]
        width = len(row)  # Excel writes every row as wide as the widest: a longer row was not written by it
        if width > header_width:
            problems.append(Problem(
                f"第 {row_index + 1} 列有 {width} 個欄位，比標題列的 {header_width} 欄多；常見原因是數字中的千分位逗號"
                "（如 21,288）把一個數字分成兩欄。數字中的千分位逗號請加引號（\"21,288\"）或去掉，或改存成 .xlsx 上傳",
                file=filename, cell=cell_name(row_index, header_width),
                value=",".join(parsing.normalize_text(value) for value in row[:width])))
    if len(problems) > OVERLONG_ROWS_SHOWN:
        more = len(problems) - OVERLONG_ROWS_SHOWN
        problems = problems[:OVERLONG_ROWS_SHOWN] + [Problem(f"…另有 {more:,} 列欄位過多", file=filename)]
    if problems:
        raise InputError(problems)


def _xlsx_tables(upload: Upload) -> list[tuple[Sheet, Table]]:
    filename = upload.name
    sheets = _xlsx_sheets(upload)
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


def _merge_duplicates(records: list[Record], catalogue: Catalogue, filename: str,
                      problems: list[Problem]) -> list[Record]:
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
        name = catalogue.field_by_code[record.field].name
        where = (f"工作表「{earlier.sheet}」儲存格 {earlier.cell}" if earlier.sheet != record.sheet
                 else f"儲存格 {earlier.cell}")
        problems.append(Problem(
            f"{record.year} 年 {record.month} 月的「{name}」填了兩次且數值不同：{where} 是 "
            f"{validation.show(earlier.value)}，這一格是 {validation.show(record.value)}；請只保留正確的一格",
            file=filename, sheet=record.sheet, cell=record.cell, field=name, value=validation.show(record.value)))
    return list(kept.values())


def _frame(records: list[Record], catalogue: Catalogue, filename: str) -> pd.DataFrame:
    order = {monthly_field.code: index for index, monthly_field in enumerate(catalogue.fields)}
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

