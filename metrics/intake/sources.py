"""Any uploaded file in, the tidy frame of monthly figures out: the monthly template or a long
table (metrics.intake.monthly), or a raw system export (metrics.intake.exports).

    attempt = read_upload(upload, catalogue, year=112, unit="政風處", mappings=store)   # page and command line
    read = read_any(data, "公文清單.xlsx", catalogue, year=112, unit="政風處", store=store)  # the same, raising
    read.kind, read.label, read.frame, read.notes
    except MappingNeeded as needed: ... remember_mapping(store, needed, {...}); read_any(...) again

Which reader reads a file is the registry's (metrics.intake.readers). The template reader goes first: it is
strict, so it refuses anything that is not a monthly table. It is not fast to refuse a large export, though
(a 19 MB document log took it 8 s, the export reader needs 5 s for the whole file), so every file is first looked
at by the export readers, from the first rows only (milliseconds, and kept for the export reader): an export whose
header row and every column are found there is never read as a table; a file over QUICK_TEMPLATE_BYTES is not
when any export fits. Nothing recognized: the user chooses the kind (KindNeeded).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Protocol

import pandas as pd

from metrics.intake import safety
from metrics.errors import InputError, KpiError, NoTableError, Problem
from metrics.intake.exports import SOURCES, ExportOptions, MappingNeeded, read_export
from metrics.intake.exports.common import SOURCE_NAMES, ExportRefused, LeftOut, Progress, header_display
from metrics.intake.exports.detect import resolve
from metrics.intake.readers import READERS, TABLE_KINDS, Fit, best_export, export_fits, first_look
from metrics.plans.catalogue import Catalogue
from metrics.intake.upload import FileDigest, Upload
from metrics.plans.plan import Plan
from metrics.intake.monthly import read_table, table_problems
from metrics.intake.monthly_table import Defaults
from metrics.intake.validation import validate

TEMPLATE_MAX_BYTES = safety.TEMPLATE_MAX_BYTES
EXPORT_MAX_BYTES = safety.EXPORT_MAX_BYTES
QUICK_TEMPLATE_BYTES = 2 * 1024 * 1024
TEMPLATE_LABELS = {kind: READERS[kind].label for kind in TABLE_KINDS}
KIND_LABELS: dict[str, str] = {kind: reader.label for kind, reader in READERS.items()}
# The kinds a user may choose for a file nothing recognized, in the project's one name for each (SOURCE_NAMES).
KIND_NAMES: dict[str, str] = {kind: READERS[kind].name for kind in (*TABLE_KINDS, *SOURCE_NAMES)}
REMEMBERED_NOTE = "已套用先前儲存的欄位對應"

# The ExportOptions switches an office may turn on, as the page and the command line offer them.
OPTION_LABELS: dict[str, str] = {
    "exclude_confidential_from_signoff": "密件不計入線上簽核比率（分子與分母皆不計）",
    "exclude_confidential_from_exchange": "密件不計入電子交換比率（發文總件數與電子發文件數皆不計）",
    "exclude_cancelled": "狀態為作廢、銷號、撤銷或註銷的公文不計",
    "deduplicate": "重複的列只計一次（文號＋收發別、案號＋案件類別相同者；名冊的同一人一律只計一次）",
    "ignore_other_years": "略過非計畫年度的列（預設視為錯誤並拒收檔案）",
}
AMOUNT_UNITS = ("元", "千元", "萬元")


class MappingStore(Protocol):
    """Column mappings remembered per kind of export, header row, and the (year, unit) they were made for."""

    def save_mapping(self, source: str, signature: str, mapping: dict, *, year: int, unit: str) -> None: ...

    def load_mapping(self, source: str, signature: str, *, year: int, unit: str) -> dict | None: ...


@dataclass(eq=False)
class SourceRead:
    """One file read: what it was recognized as and the monthly figures it gave."""

    kind: str  # template | long | document_log | roster | ledger | case_log
    label: str  # 月報範本, 長表, or the export's label such as 公文清單（公文管理系統匯出）
    frame: pd.DataFrame  # metrics.evaluation.figures.TIDY_COLUMNS
    notes: list[str]
    applied: tuple[str, ...]  # the exclusions that took effect, in Chinese
    preview: pd.DataFrame | None  # the used columns' first rows, personal columns masked; None for a template
    rows_read: int
    rows_used: int
    mapping: dict[str, str] = field(default_factory=dict)  # logical column → header, exports only
    signature: str = ""  # the header row's fingerprint, exports only
    remembered: bool = False  # a mapping saved earlier was applied
    left_out: LeftOut = field(default_factory=LeftOut)  # the export's rows read but not counted, and why

    @property
    def is_export(self) -> bool:
        return self.kind in SOURCES


@dataclass(frozen=True)
class MappingChoices:
    """What a mapping form offers for one kind of export."""

    source: str
    label: str
    headers: tuple[str, ...]  # the file's headers, each once, in file order
    required: dict[str, str]  # logical column → label
    optional: dict[str, str]
    guesses: dict[str, str | None]
    one_of: tuple[tuple[str, ...], ...]  # at least one column of each group must be given
    samples: dict[str, tuple[str, ...]] = field(default_factory=dict)  # header → example values (masked)

    def shown(self, header: str) -> str:
        """A header as the form lists it: 「公文性質（例：收文、發文）」."""
        examples = self.samples.get(header)
        return f"{header}（例：{'、'.join(examples)}）" if examples else header


class KindNeeded(MappingNeeded):
    """Nothing recognized the file (neither a template nor a long table, no export's columns): the user chooses
    its kind (KIND_NAMES) and, for an export, maps its columns. The message says what each kind must have."""

    def __init__(self, needed: MappingNeeded, explanation: str):
        super().__init__(filename=needed.filename, source=None, headers=needed.headers, signature=needed.signature,
                         required={}, optional={}, guesses={}, missing=[], ambiguous={}, one_of=[],
                         reason=explanation, samples=needed.samples)


@dataclass(frozen=True)
class Attempt:
    """One read as the page and the command line act on it: the figures, or the problems, or the question."""

    read: SourceRead | None = None
    problems: tuple[Problem, ...] = ()
    needed: MappingNeeded | None = None  # the columns (or the kind of file) need the user's choice
    question: MappingNeeded | None = None  # a refused export's header row, for a mapping form
    remembered: tuple[MappingNeeded, str, dict] | None = None  # the question a saved mapping answered
    error: KpiError | None = field(default=None, compare=False)  # what the read raised, as raised

    def result(self) -> SourceRead:
        """The read, or the exception it ended with."""
        if self.read is not None:
            return self.read
        if self.error is not None:
            raise self.error
        raise InputError(list(self.problems))


def attempt(read: Callable[[], SourceRead]) -> Attempt:
    """A read's result or the problem it ended with (cacheable; nothing is raised)."""
    try:
        return Attempt(read=read())
    except MappingNeeded as needed:
        return Attempt(needed=needed, error=needed)
    except ExportRefused as error:
        return Attempt(problems=tuple(error.problems), question=error.question, error=error)
    except InputError as error:
        return Attempt(problems=tuple(error.problems), error=error)


def with_remembered(read: Callable[[str | None, Mapping[str, str | None] | None], Attempt], store: MappingStore,
                    *, year: int, unit: str, source: str | None = None) -> Attempt:
    """The one way a remembered column mapping is applied, on the page and on the command line: read the file
    (`read(source, mapping)`); when it asks for a mapping (or was refused with its header row known), the
    mapping saved for that header row and unit, if any, is applied and the file read again with it.
    A store error while looking the mapping up propagates (StoreError)."""
    first = read(source, None)
    asked = first.needed or first.question
    if asked is None:
        return first
    found = remembered_mapping(store, asked, source, year=year, unit=unit)
    if found is None:
        return first
    name, mapping = found
    second = read(name, mapping)
    return replace(second, read=mark_remembered(second.read) if second.read is not None else None,
                   remembered=(asked, name, mapping))


@dataclass(frozen=True)
class FileRead:
    """One uploaded file as read, on the page and on the command line: the figures, or the problems, or the
    question its columns (or its kind) still need answered."""

    upload: Upload
    read: SourceRead | None
    problems: tuple[Problem, ...] = ()
    needed: MappingNeeded | None = None  # the columns still need the user's choice
    remembered: tuple[MappingNeeded, str, dict] | None = None  # the question a saved mapping answered
    question: MappingNeeded | None = None  # a refused export's header row: its columns may be matched wrongly

    @property
    def name(self) -> str:
        return self.upload.name

    @property
    def digest(self) -> str:
        return self.upload.digest

    @property
    def frame(self) -> pd.DataFrame:
        return self.read.frame

    def stored(self) -> tuple[pd.DataFrame, str, FileDigest]:
        """What the store is given: the figures, the file's name and its digest (never the bytes)."""
        return self.read.frame, self.name, self.upload.file_digest


CACHE_ENTRIES = 32


class ReadCache:
    """The latest reads, shared by all sessions; what it holds is never modified (copies are made). Keyed on
    content (the digest), so a file chosen again is not read again."""

    def __init__(self, entries: int = CACHE_ENTRIES):
        self.entries = entries
        self.lock = threading.Lock()
        self.outcomes: OrderedDict[tuple, Attempt] = OrderedDict()

    def get(self, key: tuple) -> Attempt | None:
        with self.lock:
            outcome = self.outcomes.get(key)
            if outcome is not None:
                self.outcomes.move_to_end(key)
            return outcome

    def put(self, key: tuple, outcome: Attempt) -> None:
        with self.lock:
            self.outcomes[key] = outcome
            while len(self.outcomes) > self.entries:
                self.outcomes.popitem(last=False)


def read_upload(upload: Upload, catalogue: Catalogue, *, year: int | None = None, unit: str | None = None,
                mappings: MappingStore | None = None, source: str | None = None,
                mapping: Mapping[str, str | None] | None = None, options: ExportOptions | None = None,
                month: int | None = None, progress: Progress | None = None, cache: ReadCache | None = None,
                cache_key: tuple = ()) -> Attempt:
    """The one read of an upload, for the page and the command line alike (see read_any for the arguments).

    A column mapping saved in `mappings` for the file's header row and (year, unit) is applied when the read
    asks for one (with_remembered), unless a mapping is given. `cache` keeps attempts by content, options and
    mapping; `cache_key` adds what else they depend on (the page: the data version of the plans in force).
    A store error while looking a mapping up propagates (StoreError)."""
    if source is not None and source not in SOURCES:
        raise InputError(Problem(f"未知的資料種類「{source}」（可用：{'、'.join(SOURCES)}）", upload.name))
    defaults = Defaults(year, unit)

    def read(kind: str | None, columns: Mapping[str, str | None] | None) -> Attempt:
        def fresh() -> Attempt:
            return attempt(lambda: _read(upload, catalogue, defaults, kind, columns, options, month, progress))
        if cache is None:
            return fresh()
        key = (upload.digest, upload.name, options, month, kind, tuple(sorted((columns or {}).items())), *cache_key,
               year, unit)
        outcome = cache.get(key)
        if outcome is None:
            outcome = fresh()
            cache.put(key, outcome)
        return outcome

    if mappings is None or mapping or year is None or unit is None:
        return read(source, mapping)
    return with_remembered(read, mappings, year=year, unit=unit, source=source)


def read_file(upload: Upload, catalogue: Catalogue, *, year: int, unit: str, mappings: MappingStore,
              options: ExportOptions | None = None, month: int | None = None, progress: Progress | None = None,
              cache: ReadCache | None = None, cache_key: tuple = ()) -> FileRead:
    """One file of a selection on the page, read_upload's way: nothing is raised, a saved mapping that cannot be
    looked up is the file's problem."""
    try:
        outcome = read_upload(upload, catalogue, year=year, unit=unit, mappings=mappings, options=options, month=month,
                              progress=progress, cache=cache, cache_key=cache_key)
    except KpiError as error:
        return FileRead(upload, None, (Problem(f"無法讀取已儲存的欄位對應：{error}", upload.name),))
    return FileRead(upload, outcome.read, outcome.problems, outcome.needed, outcome.remembered,
                    None if outcome.remembered else outcome.question)


def kind_problems(data: bytes | Upload, filename: str, kind: str, catalogue: Catalogue, *, year: int | None = None,
                  unit: str | None = None) -> list[Problem]:
    """Why a file the user says is a monthly template or a long table cannot be read as one (file, sheet, cell
    and the fix); [] when it can."""
    if kind not in TEMPLATE_LABELS:
        raise ValueError(kind)
    data = Upload.of(data, filename)
    filename = data.name
    if len(data) > TEMPLATE_MAX_BYTES:
        return [Problem(f"檔案超過 {TEMPLATE_MAX_BYTES // 1024 // 1024} MB，不會是{TEMPLATE_LABELS[kind]}"
                        f"（{TEMPLATE_LABELS[kind]}每檔 {TEMPLATE_MAX_BYTES // 1024 // 1024} MB 以內）；"
                        "若是系統匯出檔，請選擇它是哪一種系統匯出", filename)]
    try:
        read_table(data, filename, catalogue, year=year, unit=unit)
    except NoTableError:
        return table_problems(data, filename, kind)
    except InputError as error:
        return list(error.problems)
    return []


def read_any(data: bytes | Upload, filename: str, catalogue: Catalogue, *, year: int | None = None, unit: str | None = None,
             store: MappingStore | None = None, source: str | None = None,
             mapping: Mapping[str, str | None] | None = None, options: ExportOptions | None = None,
             month: int | None = None, progress: Progress | None = None) -> SourceRead:
    """Read an uploaded file of any accepted kind.

    year, unit: the (year, unit) of figures whose file does not say them: a monthly table that names
        neither, and every system export (exports name neither; their plan is the one of this year and unit).

    source, mapping: the kind of export and its column mapping as confirmed by the user; without a
        mapping, one saved in `store` for the same header row is applied (noted as REMEMBERED_NOTE).
    options, month: exclusions and the 資料截至月份 of an export (see metrics.intake.exports.read_export).
    Raises MappingNeeded when an export's columns need the user's choice, InputError otherwise
    (ExportRefused for an export whose header row was recognized: its question offers a mapping form).
    """
    return read_upload(Upload.of(data, filename), catalogue, year=year, unit=unit, mappings=store, source=source,
                       mapping=mapping, options=options, month=month, progress=progress).result()


def export_plan(catalogue: Catalogue, defaults: Defaults, filename: str) -> Plan:
    """The plan a system export is read for: exports name neither their unit nor (reliably) their year."""
    if defaults.year is None or defaults.unit is None:
        raise InputError(Problem("系統匯出檔沒有註明單位與年度：請選擇要匯入的年度與單位（網頁側邊欄，或命令列 --year 與 --unit）",
                                 filename))
    return catalogue.plan(defaults.year, defaults.unit)


def mark_remembered(read: SourceRead) -> SourceRead:
    """The same read, saying that a saved column mapping was applied (a copy: reads may be cached and shared)."""
    return replace(read, remembered=True, notes=[f"{REMEMBERED_NOTE}（{read.label}）。", *read.notes])


def remembered_mapping(store: MappingStore, needed: MappingNeeded, source: str | None = None, *, year: int,
                       unit: str) -> tuple[str, dict[str, str | None]] | None:
    """(source, mapping) saved earlier for this header row and unit; the given source only, when one is given."""
    candidates = [source] if source else [needed.source, needed.source_guess, *SOURCES]
    for name in dict.fromkeys(candidate for candidate in candidates if candidate):
        saved = store.load_mapping(name, needed.signature, year=year, unit=unit)
        if saved:
            return name, saved
    return None


def remember_mapping(store: MappingStore, needed: MappingNeeded, mapping: Mapping[str, str | None], *,
                     year: int, unit: str, source: str | None = None) -> str:
    """Save a mapping the user confirmed for this header row (and kind of export); returns the kind.

    Raises InputError when the mapping leaves a required column out or names a header twice.
    """
    name = source or needed.source or needed.source_guess
    if name not in SOURCES:
        raise InputError(Problem("請先選擇資料種類（公文清單、人事名冊、歲出預算執行表或政風案件紀錄）", needed.filename))
    problems = mapping_problems(name, mapping, needed.headers, needed.filename,
                                guesses=mapping_choices(needed, name).guesses)
    if problems:
        raise InputError(problems)
    store.save_mapping(name, needed.signature, {key: (value or None) for key, value in mapping.items()},
                       year=year, unit=unit)
    return name


def mapping_reason(needed: MappingNeeded) -> str:
    """Why the columns need the user's choice, without the file name and the page's instructions."""
    text = str(needed)
    prefix = f"檔案「{needed.filename}」："
    text = text[len(prefix):] if text.startswith(prefix) else text
    return text.split("。請在頁面上", 1)[0].rstrip("。") + "。"


def mapping_choices(needed: MappingNeeded, source: str | None = None) -> MappingChoices:
    """The columns a form asks for when the file is read as `source` (default: the detected kind)."""
    name = source or needed.source or needed.source_guess
    if name not in SOURCES:
        raise InputError(Problem("請先選擇資料種類", needed.filename))
    spec = SOURCES[name]
    headers = tuple(dict.fromkeys(needed.headers))
    if name == (needed.source or needed.source_guess) and needed.guesses:
        guesses = {column.name: needed.guesses.get(column.name) for column in spec.columns}
    else:
        resolution = resolve(spec, dict(enumerate(needed.headers)))
        guesses = {column.name: None for column in spec.columns}
        for column_name, index in resolution.columns.items():
            guesses[column_name] = needed.headers[index]
        for column_name, indexes in resolution.ambiguous.items():
            guesses[column_name] = needed.headers[indexes[0]]
    return MappingChoices(
        source=name, label=spec.label, headers=headers,
        required={column.name: column.label for column in spec.columns if column.required},
        optional={column.name: column.label for column in spec.columns if not column.required},
        guesses=guesses, one_of=spec.one_of, samples=dict(needed.samples))


def mapping_problems(source: str, mapping: Mapping[str, str | None], headers: list[str] | tuple[str, ...],
                     filename: str = "", *, guesses: Mapping[str, str | None] | None = None) -> list[Problem]:
    """What is wrong with a mapping the user chose: required columns left out, one-of groups unmet,
    headers not in the file, one header chosen for two columns. A column the mapping does not name
    is matched automatically when read: its guess (if any) stands in for it."""
    spec = SOURCES[source]
    chosen = {name: header for name, header in {**(guesses or {}), **mapping}.items() if header}
    labels = {column.name: column.label for column in spec.columns}
    problems = [Problem(f"「{labels.get(name, name)}」不是{spec.label}的欄位", filename)
                for name in mapping if name not in labels]
    known = {header_display(header) for header in headers}
    problems += [Problem(f"標題「{header}」不在檔案的標題列中", filename, field=labels.get(name, name))
                 for name, header in chosen.items() if header_display(header) not in known]
    problems += [Problem(f"請指定「{column.label}」對應的標題（必要欄位）", filename, field=column.label)
                 for column in spec.required if column.name not in chosen]
    problems += [Problem("至少需要指定" + "或".join(f"「{labels[name]}」" for name in group) + "其中一欄", filename)
                 for group in spec.one_of if not any(name in chosen for name in group)]
    by_header: dict[str, list[str]] = {}
    for name, header in chosen.items():
        by_header.setdefault(header_display(header), []).append(labels.get(name, name))
    problems += [Problem(f"標題「{header}」被指定給多個欄位（{'、'.join(names)}），每個標題只能對應一個欄位", filename)
                 for header, names in by_header.items() if len(names) > 1]
    return problems


def logical_names(source: str, mapping: Mapping[str, str | None], filename: str = "") -> dict[str, str | None]:
    """A mapping keyed by logical names or by their Chinese labels (收發別=類別) → keyed by logical names."""
    spec = SOURCES[source]
    by_label = {column.label: column.name for column in spec.columns}
    names = {column.name for column in spec.columns}
    result: dict[str, str | None] = {}
    problems = []
    for key, header in mapping.items():
        name = key if key in names else by_label.get(key)
        if name is None:
            available = "、".join(f"{column.name}（{column.label}）" for column in spec.columns)
            problems.append(Problem(f"欄位對應中的「{key}」不是{spec.label}的欄位；可用：{available}", filename))
            continue
        result[name] = header or None
    if problems:
        raise InputError(problems)
    return result


def detected_source(data: bytes | Upload, filename: str = "") -> str | None:
    """The kind of export the first rows suggest (detected or best guess); None when none fits."""
    return best_export(Upload.of(data, filename))


# ---------------------------------------------------------------------------------------------


def _read(upload: Upload, catalogue: Catalogue, defaults: Defaults, source: str | None,
          mapping: Mapping[str, str | None] | None, options: ExportOptions | None, month: int | None,
          progress: Progress | None) -> SourceRead:
    filename = upload.name
    if mapping and source is None:
        source = detected_source(upload)
    if mapping and source is not None:
        mapping = logical_names(source, mapping, filename)
    small_enough = len(upload) <= TEMPLATE_MAX_BYTES
    if small_enough and _may_be_table(upload, source, mapping):
        try:
            frame, table_kind = read_table(upload, filename, catalogue, year=defaults.year, unit=defaults.unit)
        except NoTableError:
            pass
        else:
            kind = "long" if table_kind == "long" else "template"
            if progress:
                progress(1.0, "完成")
            notes = [f"讀取 {len(frame):,} 筆數字。", *(f"{note}。" for note in safety.workbook_notes(upload))]
            return SourceRead(kind, TEMPLATE_LABELS[kind], frame, notes, (), None, len(frame), len(frame))
    if mapping and source is None:  # a mapping's column names mean nothing until the kind of export is known
        raise InputError(Problem("無法判斷這是哪一種系統匯出，請同時指定資料種類（document_log、roster、ledger、"
                                 "case_log）", filename))
    try:
        plan = export_plan(catalogue, defaults, filename)
    except InputError:
        if not _export_recognized(upload, source, mapping):  # not an export either: say what is accepted
            raise InputError(_unrecognized(filename, [], too_large=not small_enough)) from None
        raise
    try:
        return _read_export(upload, plan, source, mapping, options, month, progress)
    except MappingNeeded as needed:
        if needed.source or needed.source_guess:
            raise
        unrecognized = _unrecognized(filename, needed.headers, too_large=not small_enough)
        if not needed.headers:  # not a word to map a column from: say what is accepted
            raise InputError(unrecognized) from None
        raise KindNeeded(needed, unrecognized.message.removesuffix(_UNRECOGNIZED_FIX).rstrip("。")) from None


def _read_export(upload: Upload, plan: Plan, source: str | None,
                 mapping: Mapping[str, str | None] | None, options: ExportOptions | None, month: int | None,
                 progress: Progress | None) -> SourceRead:
    result = read_export(upload, upload.name, plan, source=source, mapping=mapping, options=options, month=month,
                         progress=progress, max_bytes=EXPORT_MAX_BYTES,
                         located=first_look(upload, source, mapping).located)  # the first look, taken once
    validate(result.frame, plan, file=upload.name)  # the same domain rules as a typed-in template
    notes = [*result.notes, *(f"{note}。" for note in safety.workbook_notes(upload))]
    return SourceRead(result.source, KIND_LABELS[result.source], result.frame, notes, result.applied,
                      result.preview, result.rows_read, result.rows_used, dict(result.mapping), result.signature,
                      left_out=result.left_out)


def _export_recognized(upload: Upload, source: str | None, mapping: Mapping[str, str | None] | None) -> bool:
    return bool(export_fits(upload, source, mapping))


def _may_be_table(upload: Upload, source: str | None, mapping: Mapping[str, str | None] | None) -> bool:
    """Whether the monthly-table readers (which read the whole workbook) are tried, decided from the first look
    (the first rows, taken once and used again by the export reader): never for an export whose header row and
    every column it needs were found, whatever its size; for a large file, only when no export fits at all."""
    fits = export_fits(upload, source, mapping)
    if fits and fits[0][0] is Fit.SURE:
        return False
    return len(upload) <= QUICK_TEMPLATE_BYTES or not fits


def _unrecognized(filename: str, headers: list[str], *, too_large: bool) -> Problem:
    expected = []
    for spec in SOURCES.values():
        parts = "、".join(f"「{column.label}」" for column in spec.required)
        for group in spec.one_of:
            parts += "，及" + "或".join(f"「{spec.column(name).label}」" for name in group)
        expected.append(f"{spec.label}要有{parts}")
    shown = "、".join(f"「{header}」" for header in headers[:12]) + ("…" if len(headers) > 12 else "")
    found = f"檔案中看似標題的內容：{shown}。" if headers else ""
    size = f"（檔案超過 {TEMPLATE_MAX_BYTES // 1024 // 1024} MB，不會是月報範本或長表）" if too_large else ""
    return Problem(
        f"{UNRECOGNIZED}{size}。"
        "月報範本要有「項目代碼」或「項目名稱」欄及每月一欄（如「112年1月」）；"
        "長表要有「年度、月份、單位、項目代碼、數值」欄；"
        f"系統匯出：{'；'.join(expected)}。{found}" + _UNRECOGNIZED_FIX, filename)


UNRECOGNIZED = "無法辨識檔案內容：既不是月報範本或長表，也不是可辨識的系統匯出"
_UNRECOGNIZED_FIX = "請確認選對檔案（標題列須在前 40 列內），或下載月報範本填寫。"
