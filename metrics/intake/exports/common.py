"""What every export source shares: declared columns, options, results, the coded table that
raw columns become, vectorized value parsing, problem collection, masking and the tidy frame.

A raw column never survives past `CodedColumn`: it is factorized once into integer codes and
its distinct values, so later steps work on small arrays and a handful of distinct strings;
personal columns are kept only as codes (for duplicate checks) and, for the preview, masked.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cached_property
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from metrics.intake import safety
from metrics.errors import InputError, KpiError, Problem
from metrics.names import mask_id, mask_name, mask_partial
from metrics.intake.tidy import TIDY_COLUMNS
from metrics.intake.parsing import normalize_text, parse_date, parse_number
from metrics.intake.validation import in_sheet_order

if TYPE_CHECKING:
    from metrics.plans.plan import Plan

MAX_PROBLEMS = 50
DEFAULT_MAX_BYTES = safety.EXPORT_MAX_BYTES
PREVIEW_ROWS = 20

Progress = Callable[[float, str], None]


# ---------------------------------------------------------------------------------------------
# Declarations


@dataclass(frozen=True)
class ColumnSpec:
    """One logical column of a source and the headers that name it, best first."""

    name: str
    label: str  # what the user sees, e.g. 收發別
    synonyms: tuple[str, ...]
    required: bool = False
    kind: str = "category"  # category | date | amount | key
    mask: str = ""  # name | id | partial: how the preview hides it ("" shows it as is)
    exclude: tuple[str, ...] = ()  # a header containing one of these never matches by containment
    needed_when: tuple[str, ...] = ()  # ExportOptions flags that make it worth reading; () = always
    help: str = ""

    def needed(self, options: ExportOptions) -> bool:
        return not self.needed_when or any(getattr(options, flag) for flag in self.needed_when)

    @cached_property
    def keys(self) -> tuple[str, ...]:
        """The synonyms as header_key compares them."""
        return tuple(header_key(synonym) for synonym in self.synonyms)


# The one name of each source, used on every page, message, report and document (issue 19: the same source went
# by two names). The template (月報範本) is not an export; its name is completeness.TEMPLATE_SOURCE's label.
SOURCE_NAMES: dict[str, str] = {
    "document_log": "公文清單",
    "roster": "人事名冊",
    "ledger": "歲出預算執行表",
    "case_log": "政風案件紀錄",
}


@dataclass(frozen=True)
class SourceSpec:
    """A kind of system export: its columns and the function that turns it into monthly figures."""

    name: str
    label: str
    columns: tuple[ColumnSpec, ...]
    fields: tuple[str, ...]
    aggregate: Callable[[ExportTable, ExportContext], Aggregate]
    one_of: tuple[tuple[str, ...], ...] = ()  # at least one column of each group must be mapped
    unused_when: tuple[tuple[str, str], ...] = ()  # (column, other): column is not read when other is mapped
    unused_reason: str = "不屬任何計算項目"  # why a row no field counted was left out, when no rule says more

    def column(self, name: str) -> ColumnSpec:
        for column in self.columns:
            if column.name == name:
                return column
        raise KeyError(name)

    @property
    def required(self) -> tuple[ColumnSpec, ...]:
        return tuple(column for column in self.columns if column.required)


@dataclass(frozen=True)
class ExportOptions:
    """Exclusions and choices an office may apply; all off by default."""

    exclude_confidential_from_signoff: bool = False  # 密件不計入線上簽核比率（分子與分母）
    exclude_confidential_from_exchange: bool = False  # 密件不計入電子交換比率（發文總數與電子發文）
    exclude_cancelled: bool = False  # 狀態為作廢、銷號、撤銷、註銷者不計
    deduplicate: bool = False  # 文號＋收發別（或案號＋案件類別）相同的列只計一次；名冊的同一人一律只計一次
    ignore_other_years: bool = False  # 非計畫年度的列略過（預設視為錯誤）
    amount_unit: str | None = None  # 元 | 千元 | 萬元, when a ledger does not state its unit
    case_types: tuple[tuple[str, str], ...] = ()  # extra 案件類別 → field code
    staff_categories: tuple[tuple[str, bool], ...] = ()  # extra 人員類別 → counted or not


LEFT_OUT_SHOWN = 20


@dataclass(frozen=True)
class LeftOut:
    """The data rows read but not counted, and why: the first few by sheet row, and counts per reason."""

    rows: tuple[tuple[int, str], ...] = ()  # (sheet row as in Excel, why), the first LEFT_OUT_SHOWN in sheet order
    total: int = 0
    by_reason: tuple[tuple[str, int], ...] = ()  # largest first

    @property
    def more(self) -> int:
        return self.total - len(self.rows)


@dataclass(eq=False)
class ExportResult:
    source: str
    frame: pd.DataFrame  # the tidy frame (metrics.evaluation.figures.TIDY_COLUMNS)
    rows_read: int
    rows_used: int
    mapping: dict[str, str]  # logical column → header as found in the file
    signature: str
    options: ExportOptions
    applied: tuple[str, ...]  # the options that took effect, in Chinese
    notes: tuple[str, ...]
    months: tuple[int, ...]
    sheet: str
    encoding: str
    preview: pd.DataFrame
    left_out: LeftOut = field(default_factory=LeftOut)


class MappingNeeded(KpiError):
    """The source or some of its columns cannot be told apart with confidence.

    Carries what a mapping form needs: the kind of source (None when even that is unknown), every
    header found, the logical columns (required and optional, with labels), the best guesses, the
    signature under which a confirmed mapping can be remembered and, for the form only, a few
    example values per header (masked where personal). No rows are kept.
    """

    def __init__(self, *, filename: str, source: str | None, headers: list[str], signature: str,
                 required: dict[str, str], optional: dict[str, str], guesses: dict[str, str | None],
                 missing: list[str], ambiguous: dict[str, list[str]], one_of: list[list[str]],
                 source_guess: str | None = None, reason: str = "",
                 samples: Mapping[str, tuple[str, ...]] | None = None):
        self.filename = filename
        self.source = source
        self.headers = headers
        self.signature = signature
        self.required = required
        self.optional = optional
        self.guesses = guesses
        self.missing = missing
        self.ambiguous = ambiguous
        self.one_of = one_of
        self.source_guess = source_guess
        self.reason = reason
        # header → a few distinct values from the rows below it, personal-looking ones masked: shown next to each
        # header in the mapping form so the user can tell which column is which
        self.samples: dict[str, tuple[str, ...]] = dict(samples or {})
        labels = {**required, **optional}
        parts: list[str] = []
        if reason:
            parts.append(reason)
        if missing:
            parts.append("找不到" + "、".join(f"「{labels.get(name, name)}」" for name in missing) + "欄")
        for name, candidates in ambiguous.items():
            parts.append(f"「{labels.get(name, name)}」有多個可能的欄位（{'、'.join(candidates)}）")
        for group in one_of:
            parts.append("至少需要" + "或".join(f"「{labels.get(name, name)}」" for name in group) + "其中一欄")
        detail = "；".join(parts)
        super().__init__(f"檔案「{filename}」：{detail}。請在頁面上選擇資料種類並指定各欄位對應的標題後再匯入。")


class ExportRefused(InputError):
    """An export whose header row was recognized but whose content was refused. The problems may come from a
    column matched to the wrong header (most values of 收發別 unrecognized), so `question` lets the page offer
    the mapping form for the same header row."""

    def __init__(self, problems: list[Problem], question: MappingNeeded):
        super().__init__(problems)
        self.question = question


class ColumnsNeeded(Exception):
    """An aggregate cannot do without a column the header row did not give (a 收文 row, but no 收文日期
    nor 日期 column). The reader turns it into MappingNeeded, so the page opens the mapping form
    instead of refusing the file; `guesses` are the aggregate's suggestions (logical column → header)."""

    def __init__(self, reason: str, guesses: Mapping[str, str | None] | None = None):
        super().__init__(reason)
        self.reason = reason
        self.guesses = dict(guesses or {})


@dataclass(frozen=True)
class ExportContext:
    """What an export's aggregation knows besides its table: the plan, the caller's options and month, and where
    the table came from (file, sheet, the lines above its header, its headers as written)."""

    plan: Plan
    options: ExportOptions
    month: int | None  # the caller's 資料截至月份
    filename: str
    sheet: str
    title_lines: tuple[str, ...]  # text of the rows above the header
    raw_headers: dict[str, str]  # logical column → header exactly as written (units included)

    def field_name(self, code: str) -> str:
        """A field's Chinese name (the code itself for a field the plan does not use: the plan's check names it)."""
        monthly_field = self.plan.field_by_code.get(code)
        return monthly_field.name if monthly_field is not None else code


@dataclass(frozen=True)
class MonthlyValue:
    field: str
    month: int
    value: Decimal
    cell: str


@dataclass
class Aggregate:
    values: list[MonthlyValue]
    rows_used: int
    notes: list[str] = field(default_factory=list)
    applied: list[str] = field(default_factory=list)
    used: np.ndarray | None = None  # per data row: counted in some field
    reasons: list[tuple[np.ndarray, str]] = field(default_factory=list)  # (rows, why they were left out), first wins


# ---------------------------------------------------------------------------------------------
# Headers and signatures

_PARENTHETICAL = re.compile(r"[(（][^)）]*[)）]")
_SPACES = re.compile(r"\s+")


def header_key(raw: object) -> str:
    """A header as compared: full-width folded, spaces and bracketed remarks such as (元) removed."""
    text = normalize_text(raw)
    text = _SPACES.sub("", text)
    stripped = _PARENTHETICAL.sub("", text)
    return stripped or text


def header_display(raw: object) -> str:
    return _SPACES.sub(" ", normalize_text(raw))


def mapping_signature(headers: Iterable[object]) -> str:
    """A short fingerprint of a header row, the same whatever the column order.

    Column order does not matter because a mapping names headers, not positions; spacing and
    full-width forms do not matter either. Blank headers are left out.
    """
    keys = sorted(key for key in (header_key(header) for header in headers) if key)
    digest = hashlib.sha256("\u241f".join(keys).encode("utf-8")).hexdigest()
    return digest[:16]


# ---------------------------------------------------------------------------------------------
# Cells and rows


def column_letter(index: int) -> str:
    """0 → A, 26 → AA."""
    letters = ""
    index += 1
    while index:
        index, remainder = divmod(index - 1, 26)
        letters = chr(65 + remainder) + letters
    return letters


def describe_rows(rows: np.ndarray) -> str:
    """The rows a figure came from, shortly: 第 5–1,204 列（1,150 筆）."""
    if rows.size == 0:
        return "無符合的列（0 筆）"
    return describe_span(int(rows.min()), int(rows.max()), int(rows.size))


def describe_span(first: int, last: int, count: int) -> str:
    if first == last:
        return f"第 {first:,} 列（{count:,} 筆）"
    return f"第 {first:,}–{last:,} 列（{count:,} 筆）"


def cells_of(letter: str, rows: np.ndarray, limit: int = 5) -> str:
    shown = "、".join(f"{letter}{int(row)}" for row in rows[:limit])
    return shown + ("…" if rows.size > limit else "")


# ---------------------------------------------------------------------------------------------
# Problems


class Problems:
    """Collects the problems of one file, capped, and raises them together."""

    def __init__(self, filename: str, sheet: str):
        self.filename = filename
        self.sheet = sheet
        self.items: list[Problem] = []
        self.overflow = 0

    def add(self, message: str, cell: str = "", field: str = "", value: str = "") -> None:
        if len(self.items) >= MAX_PROBLEMS:
            self.overflow += 1
            return
        self.items.append(Problem(message, self.filename, self.sheet, cell, field, value))

    def add_rows(self, letter: str, rows: np.ndarray, message: str, field: str = "", value: str = "",
                 per_row: int = 5) -> None:
        """One problem per row for the first few rows, then one summary for the rest."""
        for row in rows[:per_row]:
            self.add(message, f"{letter}{int(row)}", field, value)
        if rows.size > per_row:
            self.add(f"另有 {rows.size - per_row:,} 列相同問題（共 {rows.size:,} 列）：{message}",
                     f"{letter}{int(rows[per_row])} 等", field, value)

    def __bool__(self) -> bool:
        return bool(self.items)

    def raise_if_any(self) -> None:
        if not self.items:
            return
        problems = in_sheet_order(self.items)
        if self.overflow:
            problems.append(Problem(f"另有 {self.overflow:,} 個問題未列出，請先修正以上問題後再上傳。",
                                    self.filename, self.sheet))
        raise InputError(problems)


# ---------------------------------------------------------------------------------------------
# The coded table


class CodedColumn:
    """A raw column as integer codes into its distinct values; -1 is a blank cell.

    Values of category, date and amount columns are normalized (full-width folded, trimmed) and
    merged after normalization; key columns (document numbers, ID numbers) keep their raw values
    because they are only compared and masked, and normalizing 500,000 of them costs seconds.
    """

    def __init__(self, spec: ColumnSpec, letter: str, header: str, codes: np.ndarray, values: list[str]):
        self.spec = spec
        self.letter = letter
        self.header = header
        self.codes = codes
        self.values = values

    @classmethod
    def from_series(cls, spec: ColumnSpec, letter: str, header: str, series: pd.Series) -> CodedColumn:
        codes, uniques = pd.factorize(series, use_na_sentinel=True)
        codes = np.asarray(codes, dtype=np.int64)
        if spec.kind == "key":
            return cls._from_keys(spec, letter, header, codes, uniques)
        raw_values = [str(value) for value in uniques]
        if spec.kind == "date" and len(raw_values) > 5000:
            codes, raw_values = _fold_times(codes, raw_values)
        merged: dict[str, int] = {}
        values: list[str] = []
        lookup = np.empty(len(raw_values) + 1, dtype=np.int64)
        lookup[-1] = -1
        for index, raw in enumerate(raw_values):
            value = normalize_text(raw)
            if value == "":
                lookup[index] = -1
                continue
            target = merged.get(value)
            if target is None:
                target = merged[value] = len(values)
                values.append(value)
            lookup[index] = target
        return cls(spec, letter, header, lookup[codes], values)

    @classmethod
    def _from_keys(cls, spec: ColumnSpec, letter: str, header: str, codes: np.ndarray,
                   uniques: object) -> CodedColumn:
        """Keys stay as distinct raw values, unlisted: only blanks are found, vectorized."""
        texts = pd.Series(uniques, dtype="str")
        blank = texts.str.strip().eq("").to_numpy(dtype=bool, na_value=True)
        lookup = np.append(np.arange(len(texts), dtype=np.int64), -1)
        lookup[:-1][blank] = -1
        return cls(spec, letter, header, lookup[codes], _LazyValues(texts))

    def take(self, keep: np.ndarray) -> CodedColumn:
        return CodedColumn(self.spec, self.letter, self.header, self.codes[keep], self.values)

    @property
    def blank(self) -> np.ndarray:
        return self.codes < 0

    def classify(self, classify: Callable[[str], int], blank: int = 0) -> tuple[np.ndarray, dict[int, str]]:
        """Per-row class from a function of each distinct value; also the values that gave -1."""
        classes = np.empty(len(self.values) + 1, dtype=np.int64)
        classes[-1] = blank
        unknown: dict[int, str] = {}
        for index, value in enumerate(self.values):
            classes[index] = classify(value)
            if classes[index] == -1:
                unknown[index] = value
        return classes[self.codes], unknown

    def value_at(self, position: int) -> str:
        code = int(self.codes[position])
        return "" if code < 0 else self.values[code]


class _LazyValues:
    """Distinct raw key values, turned into Python strings only when one is asked for."""

    def __init__(self, texts: pd.Series):
        self._texts = texts

    def __len__(self) -> int:
        return len(self._texts)

    def __getitem__(self, index: int) -> str:
        return str(self._texts.iat[index]).strip()

    def __iter__(self):
        return (str(value).strip() for value in self._texts)


_TIME_OF_DAY = r"(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?|\s*(?:上午|下午)\s*\d{1,2}:\d{2}(?::\d{2})?)$"


def _fold_times(codes: np.ndarray, values: list[str]) -> tuple[np.ndarray, list[str]]:
    """Datetimes make almost every cell distinct; drop the time of day, vectorized, and refactorize."""
    dates_only = pd.Series(values, dtype="str").str.replace(_TIME_OF_DAY, "", regex=True)
    folded_codes, folded_values = pd.factorize(dates_only)
    lookup = np.append(np.asarray(folded_codes, dtype=np.int64), -1)
    return lookup[codes], [str(value) for value in folded_values]


@dataclass
class ExportTable:
    """The used columns of one export, coded, with the sheet row of every data row."""

    filename: str
    sheet: str
    header_row: int  # 1-based row of the header
    columns: dict[str, CodedColumn]
    rows: np.ndarray  # 1-based sheet row (CSV: record) of each data row
    encoding: str = ""

    def __len__(self) -> int:
        return int(self.rows.size)

    def has(self, name: str) -> bool:
        return name in self.columns

    def take(self, keep: np.ndarray) -> ExportTable:
        return ExportTable(self.filename, self.sheet, self.header_row,
                     {name: column.take(keep) for name, column in self.columns.items()},
                     self.rows[keep], self.encoding)

    def cell(self, name: str, position: int) -> str:
        return f"{self.columns[name].letter}{int(self.rows[position])}"


# ---------------------------------------------------------------------------------------------
# Values

DATE_BLANK = 0
DATE_INVALID = -1
_SIX_DIGITS = re.compile(r"^\d{6}$")
_SAFE_ECHO = re.compile(r"^[0-9/\-.:年月日民國中華\s()（）,T+上下午時分秒元千萬]{1,24}$")
_LONG_DIGITS = re.compile(r"\d{9,}")
_NATIONAL_ID_LIKE = re.compile(r"[A-Za-z][1289]\d{8}")


def echo(value: str) -> str:
    """A cell value safe to repeat in a message: dates and amounts. Anything else (text, an ID,
    a phone number in the wrong column) is not repeated."""
    return value if _SAFE_ECHO.match(value) and not _LONG_DIGITS.search(value) else ""


def _date_number(text: str) -> int:
    if _SIX_DIGITS.match(text):
        text = "0" + text  # 990101: an ROC date whose leading zero a spreadsheet dropped
    try:
        value = parse_date(text)
    except ValueError:
        return DATE_INVALID
    return value.year * 10000 + value.month * 100 + value.day


def parse_date_column(column: CodedColumn) -> tuple[np.ndarray, dict[int, str]]:
    """yyyymmdd (AD) per row, DATE_BLANK for a blank cell, DATE_INVALID for an unreadable one.

    Parsing happens once per distinct value (a year of dates has at most a few hundred), so
    500,000 rows cost one factorization and a few hundred calls of parsing.parse_date.
    """
    return column.classify(_date_number, blank=DATE_BLANK)


def date_problems(problems: Problems, column: CodedColumn, rows: np.ndarray, dates: np.ndarray,
                  unknown: dict[int, str], considered: np.ndarray | None = None) -> None:
    """One problem per distinct unreadable date, naming its first cells."""
    invalid = dates == DATE_INVALID
    if considered is not None:
        invalid &= considered
    if not invalid.any():
        return
    for code, value in unknown.items():
        at = rows[invalid & (column.codes == code)]
        if at.size == 0:
            continue
        shown = echo(value)
        what = f"日期「{shown}」" if shown else "內容"
        problems.add_rows(column.letter, at,
                          f"{column.header}欄的{what}無法辨識為日期，請改為 112/03/31、1120331 或 2023-03-31 等格式",
                          column.spec.label, shown)


def roc_year_of(dates: np.ndarray) -> np.ndarray:
    return dates // 10000 - 1911


def month_of(dates: np.ndarray) -> np.ndarray:
    return dates // 100 % 100


def parse_amount_column(column: CodedColumn) -> tuple[list[Decimal | None], np.ndarray, dict[int, str]]:
    """Distinct amounts as Decimal (blank and "-" are 0, "(1,234)" is −1,234) and the rows' codes."""
    amounts: list[Decimal | None] = []
    unknown: dict[int, str] = {}
    for index, value in enumerate(column.values):
        try:
            amounts.append(parse_number(value, dash_is_zero=True, allow_parentheses=True))
        except ValueError:
            amounts.append(None)
            unknown[index] = value
    return amounts, column.codes, unknown


def vocabulary(entries: Mapping[int, Iterable[str]]) -> dict[str, int]:
    """{class: words} → {normalized word: class}."""
    table: dict[str, int] = {}
    for value, words in entries.items():
        for word in words:
            table[fold(word)] = value
    return table


def fold(value: str) -> str:
    """A category value as compared: full-width folded, no spaces, upper case."""
    return _SPACES.sub("", normalize_text(value)).upper()


def classifier(table: Mapping[str, int], contains: tuple[tuple[str, int], ...] = ()) -> Callable[[str], int]:
    """A value → class function: the vocabulary first, then words the value contains, else -1."""
    def classify(value: str) -> int:
        key = fold(value)
        if key in table:
            return table[key]
        for word, result in contains:
            if word in key:
                return result
        return -1
    return classify


def unknown_value_problems(problems: Problems, column: CodedColumn, rows: np.ndarray, classes: np.ndarray,
                           unknown: dict[int, str], considered: np.ndarray, fix: str,
                           known: Iterable[str] = ()) -> None:
    """One problem per unrecognized category value.

    A value is repeated in the message only when it looks like a mistyped category: it shares two
    consecutive characters with one of the `known` words (約雇人員 with 約僱人員 or 人員); a name or
    free text in the wrong cell is not repeated. When most of the column is unrecognized the column
    is probably the wrong one, and the mapping is questioned instead.
    """
    bad = considered & (classes == -1)
    if not bad.any():
        return
    filled = considered & ~column.blank
    if bad.sum() * 2 > filled.sum() or len(unknown) > 30:
        distinct = len({int(code) for code in np.unique(column.codes[bad])})
        problems.add_rows(column.letter, rows[bad],
                          f"{column.header}欄大多數內容無法辨識（{distinct:,} 種），欄位對應可能有誤；"
                          f"請確認此欄是「{column.spec.label}」，{fix}", column.spec.label)
        return
    pairs = character_pairs(known)
    for code in unknown:
        at = bad & (column.codes == code)
        if not at.any():
            continue
        value = shown_category(unknown[code], pairs)
        what = f"「{value}」" if value else "的內容"
        problems.add_rows(column.letter, rows[at], f"{column.header}{what}無法辨識；{fix}", column.spec.label, value)


def character_pairs(words: Iterable[str]) -> frozenset[str]:
    return frozenset(word[index:index + 2] for word in (fold(word) for word in words)
                     for index in range(len(word) - 1))


def shown_category(value: str, pairs: frozenset[str]) -> str:
    """A category value as it may appear in a message or note: short, never an ID number, and only
    when it shares two consecutive characters with a known category word."""
    text = value[:20]
    if _NATIONAL_ID_LIKE.search(text):
        return ""
    key = fold(text)
    if any(key[index:index + 2] in pairs for index in range(len(key) - 1)):
        return text
    return ""


def tidy_decimal(value: Decimal) -> Decimal:
    """1234.000 → 1234, 1.50 → 1.5."""
    if value == value.to_integral_value():
        return Decimal(int(value))
    return value.normalize()


_DATE_IN_TITLE = (
    re.compile(r"(?P<year>\d{2,4})\s*年\s*(?P<first>\d{1,2})\s*月?\s*(?:份)?\s*(?:至|到|~|-|—|－)\s*(?P<month>\d{1,2})\s*月"),
    re.compile(r"(?P<year>\d{2,4})\s*年\s*(?P<month>\d{1,2})\s*月(?:\s*(?P<day>\d{1,2})\s*日)?"),
    re.compile(r"(?<!\d)(?P<year>\d{2,4})\s*[./-]\s*(?P<month>\d{1,2})\s*[./-]\s*(?P<day>\d{1,2})(?!\d)"),
)
_PRINTED = re.compile(r"(列印|製表|印表|產製|匯出|查詢時間|下載)[^0-9]{0,6}$")


def period_in_titles(lines: Iterable[str]) -> tuple[int, int] | None:
    """The latest (ROC year, month) a title states as the data's date, e.g. 截至112年10月31日 or
    112年1月至10月; print and export dates (列印日期…) do not count."""
    found: list[tuple[int, int]] = []
    for line in lines:
        text = normalize_text(line)
        for pattern in _DATE_IN_TITLE:
            for match in pattern.finditer(text):
                if _PRINTED.search(text[:match.start()]):
                    continue
                year = int(match.group("year"))
                month = int(match.group("month"))
                if len(match.group("year")) == 4 and year <= 1911:
                    continue
                year = year - 1911 if year > 1911 else year
                if 1 <= month <= 12 and 1 <= year <= 300:
                    found.append((year, month))
    return max(found) if found else None


def data_month(context: ExportContext, problems: Problems, what: str, fallback: int | None = None) -> int | None:
    """The month a snapshot speaks for: the caller's, else the one its title states, else `fallback`."""
    if context.month is not None:
        return context.month
    period = period_in_titles(context.title_lines)
    if period is None:
        if fallback is not None:
            return fallback
        problems.add(f"無法從{what}的標題判斷資料日期（例如「截至112年10月31日」），請在上傳時選擇資料月份")
        return None
    year, month = period
    if year != context.plan.year:
        problems.add(f"{what}標題的資料日期為 {year}年{month}月，與計畫年度 {context.plan.year} 年不符；"
                     f"請上傳 {context.plan.year} 年的資料，或在上傳時選擇資料月份")
        return None
    return month


def month_end(plan_year: int, month: int) -> int:
    """The last day of a month of an ROC year as yyyymmdd (AD)."""
    year = plan_year + 1911
    following = dt.date(year + (month == 12), month % 12 + 1, 1)
    last = following - dt.timedelta(days=1)
    return last.year * 10000 + last.month * 100 + last.day


def year_check(problems: Problems, notes: list[str], context: ExportContext, letters: np.ndarray | str,
               rows: np.ndarray, years: np.ndarray, considered: np.ndarray, what: str) -> np.ndarray:
    """Rows dated outside the plan's year: an error, or (option) left out with a note.

    Returns the mask of rows to keep.
    """
    other = considered & (years != context.plan.year)
    count = int(other.sum())
    if count == 0:
        return np.ones(rows.size, dtype=bool)
    at = np.flatnonzero(other)
    if isinstance(letters, str):
        shown = "、".join(f"{letters}{int(rows[i])}" for i in at[:5])
    else:
        shown = "、".join(f"{letters[i]}{int(rows[i])}" for i in at[:5])
    shown += "…" if count > 5 else ""
    found = sorted({int(year) for year in np.unique(years[other])})
    found_text = "、".join(f"{year} 年" for year in found[:5])
    if context.options.ignore_other_years:
        notes.append(f"有 {count:,} 列{what}不在 {context.plan.year} 年（{found_text}，如 {shown}），已略過。")
        return ~other
    problems.add(f"有 {count:,} 列{what}不在計畫年度 {context.plan.year} 年（{found_text}），如 {shown}。"
                 f"請只匯出 {context.plan.year} 年的資料，或勾選「略過其他年度的資料」後再匯入。",
                 cell=shown)
    return ~other


# ---------------------------------------------------------------------------------------------
# Monthly counts → values


class MonthMasks:
    """Which rows fall in each covered month, computed once and shared by every field."""

    def __init__(self, months: np.ndarray, covered: Iterable[int]):
        self.masks = {month: months == month for month in covered}

    def counts(self, field_code: str, rows: np.ndarray, selected: np.ndarray) -> list[MonthlyValue]:
        """The count of selected rows per covered month; zero months are real zeros."""
        values: list[MonthlyValue] = []
        for month, in_month in self.masks.items():
            chosen = selected & in_month
            count = int(np.count_nonzero(chosen))
            if count == 0:
                cell = describe_rows(rows[:0])
            else:
                first = int(rows[int(np.argmax(chosen))])
                last = int(rows[chosen.size - 1 - int(np.argmax(chosen[::-1]))])
                cell = describe_span(first, last, count)
            values.append(MonthlyValue(field_code, month, Decimal(count), cell))
        return values


def covered_months(months: np.ndarray, considered: np.ndarray, context: ExportContext, notes: list[str],
                   label: str) -> tuple[list[int], np.ndarray]:
    """The months a flow export speaks for: from its first to its last dated row (or the caller's
    month); returns them and the mask of rows inside them."""
    present = months[considered]
    if present.size == 0:
        return [], np.zeros(months.size, dtype=bool)
    first, last = int(present.min()), int(present.max())
    inside = considered.copy()
    if context.month is not None:
        later = considered & (months > context.month)
        if later.any():
            notes.append(f"有 {int(later.sum()):,} 列{label}在 {context.plan.year}年{context.month}月之後，"
                         "未計入（依指定的資料截至月份）。")
            inside &= ~later
        last = context.month
        first = min(first, last)
    notes.append(f"資料涵蓋 {context.plan.year}年{first}月至{last}月；其間沒有資料的月份以 0 計。")
    return list(range(first, last + 1)), inside


@dataclass(frozen=True)
class Dated:
    """How a flow export's rows are dated, in the words of its notes and reasons: what (「案件的計入日期」) for
    rows outside the plan's year, rows (「案件」) for rows after the cut-off month, date (「計入日期」) for the
    reasons a row was left out."""

    what: str
    rows: str
    date: str


@dataclass(frozen=True)
class InPeriod:
    kept: np.ndarray  # the considered rows dated in the plan's year and up to the cut-off month
    months: np.ndarray  # every row's month
    covered: list[int]  # the months the export speaks for


def in_period(problems: Problems, notes: list[str], reasons: list[tuple[np.ndarray, str]], context: ExportContext,
              letters: np.ndarray | str, rows: np.ndarray, dates: np.ndarray, considered: np.ndarray,
              dated: Dated) -> InPeriod:
    """A flow export's rows in its period: the year check (an error, or rows left out by the option), then the
    covered months and the cut-off month; the rows left out on the way get their reasons."""
    in_year = year_check(problems, notes, context, letters, rows, roc_year_of(dates), considered, dated.what)
    reasons.append((considered & ~in_year, f"{dated.date}不在 {context.plan.year} 年，依設定略過"))
    considered = considered & in_year
    months = month_of(dates)
    covered, inside = covered_months(months, considered, context, notes, dated.rows)
    reasons.append((considered & ~inside, f"{dated.date}在指定的資料截至月份之後"))
    return InPeriod(considered & inside, months, covered)


def build_frame(values: list[MonthlyValue], plan: Plan, unit: str, filename: str, sheet: str) -> pd.DataFrame:
    """The tidy frame, ordered as the template reader orders it: by month, then the plan's fields."""
    order = {monthly_field.code: index for index, monthly_field in enumerate(plan.fields)}
    ordered = sorted(values, key=lambda value: (value.month, order.get(value.field, len(order))))
    records = [(plan.year, value.month, unit, value.field, value.value, filename, sheet, value.cell)
               for value in ordered]
    frame = pd.DataFrame.from_records(records, columns=list(TIDY_COLUMNS))
    for column in ("year", "month"):
        frame[column] = frame[column].astype("int64")
    frame["value"] = frame["value"].astype(object)
    return frame


# ---------------------------------------------------------------------------------------------
# Masking (preview only)


MASKS: dict[str, Callable[[str], str]] = {"name": mask_name, "id": mask_id, "partial": mask_partial}


def mask_value(spec: ColumnSpec, value: str) -> str:
    if not value or not spec.mask:
        return value
    return MASKS[spec.mask](value)


def preview_frame(table: ExportTable, rows: int = PREVIEW_ROWS) -> pd.DataFrame:
    """The first rows of the used columns only, personal columns masked; headers as in the file."""
    count = min(rows, len(table))
    data: dict[str, list[object]] = {"列": [int(row) for row in table.rows[:count]]}
    for column in table.columns.values():
        title = column.header if column.header not in data else f"{column.header}（{column.spec.label}）"
        data[title] = [mask_value(column.spec, column.value_at(position)) for position in range(count)]
    return pd.DataFrame(data)


def left_out_rows(rows: np.ndarray, used: np.ndarray, reasons: list[tuple[np.ndarray, str]], fallback: str,
                  blank_rows: np.ndarray | None = None, shown: int = LEFT_OUT_SHOWN) -> LeftOut:
    """The rows not counted, each with the first reason that covers it (else `fallback`); blank rows too."""
    left = ~used
    why = np.full(rows.size, len(reasons), dtype=np.int64)
    for position in range(len(reasons) - 1, -1, -1):
        why[reasons[position][0] & left] = position
    texts = [text for _, text in reasons] + [fallback, "空白列或表尾說明列"]
    all_rows = rows[left]
    all_why = why[left]
    if blank_rows is not None and blank_rows.size:
        all_rows = np.concatenate([all_rows, blank_rows])
        all_why = np.concatenate([all_why, np.full(blank_rows.size, len(texts) - 1, dtype=np.int64)])
    order = np.argsort(all_rows, kind="stable")
    first = order[:shown]
    counts = np.bincount(all_why, minlength=len(texts))
    by_reason = sorted(((texts[index], int(count)) for index, count in enumerate(counts) if count),
                       key=lambda pair: -pair[1])
    return LeftOut(tuple((int(all_rows[index]), texts[int(all_why[index])]) for index in first), int(all_rows.size),
                   tuple(by_reason))


def drop_repeated(keep: np.ndarray, numbers: np.ndarray, categories: np.ndarray, category_count: int,
                  deduplicate: bool, notes: list[str], applied: list[str], *, key: str, hint: str) -> np.ndarray:
    """Rows whose number (文號 / 案號, as factor codes) and category repeat an earlier kept row: dropped when
    the office asked for it, else counted and pointed out. `key` names the pair, `hint` the likely cause."""
    candidates = np.flatnonzero(keep & (numbers >= 0))
    if candidates.size == 0:
        return keep
    combined = numbers[candidates] * (category_count + 1) + categories[candidates]
    _, first = np.unique(combined, return_index=True)
    repeated = np.ones(candidates.size, dtype=bool)
    repeated[first] = False
    count = int(repeated.sum())
    if count == 0:
        return keep
    if deduplicate:
        keep = keep.copy()
        keep[candidates[repeated]] = False
        applied.append(f"{key}相同的列只計一次（排除 {count:,} 列）")
    else:
        notes.append(f"有 {count:,} 列的{key}和前面的列相同，仍各自計入；若為{hint}，請勾選「重複列只計一次」。")
    return keep
