"""The project's one small exception hierarchy.

Every message is in Traditional Chinese, for the civil servant who reads it, and names
where the problem is (file, sheet, cell or row, field), the value found and what was expected.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar


class KpiError(Exception):
    """Base of every error this project raises on purpose."""


class PlanError(KpiError):
    """A plan, a plan file or the plan catalogue is inconsistent; the message names the file, key and line."""

    def __init__(self, message: str, *, issues: list | None = None):
        self.issues = list(issues or [])
        super().__init__(message)


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input, located as precisely as we can."""

    message: str
    file: str = ""
    sheet: str = ""
    cell: str = ""
    field: str = ""
    value: str = ""

    def place(self) -> str:
        parts = []
        if self.file:
            parts.append(f"檔案「{self.file}」")
        if self.sheet:
            parts.append(f"工作表「{self.sheet}」")
        if self.cell:
            parts.append(f"儲存格 {self.cell}")
        return "".join(parts)

    def __str__(self) -> str:
        place = self.place()
        field = f"（項目：{self.field}）" if self.field else ""
        prefix = f"{place}{field}：" if place or field else ""
        return f"{prefix}{self.message}"


class InputError(KpiError):
    """An uploaded file or a command-line argument is not acceptable; nothing was stored."""

    def __init__(self, problems: list[Problem] | Problem | str):
        if isinstance(problems, str):
            problems = [Problem(problems)]
        elif isinstance(problems, Problem):
            problems = [problems]
        self.problems: list[Problem] = list(problems)
        super().__init__("\n".join(str(problem) for problem in self.problems))


class PlanNotFound(InputError):
    """No plan exists for a (year, unit): its figures are refused, never scored against another plan."""


class NoTableError(InputError):
    """The file holds no table this reader knows (another reader, e.g. for system exports, may)."""


class StoreProblem(enum.Enum):
    """What the store could not do, as data: the store raises a StoreError with one of these and the values that
    say which table, field, batch or value and what was expected; the services word it for people
    (metrics.services.wording)."""

    # opening the database
    BAD_URL = "bad_url"  # url, detail
    UNSUPPORTED_DATABASE = "unsupported_database"  # dialect
    SCHEMA_ONLY_POSTGRESQL = "schema_only_postgresql"
    BAD_SCHEMA_NAME = "bad_schema_name"  # schema
    NO_SCHEMA_IN_SEARCH_PATH = "no_schema_in_search_path"  # url
    NEWER_SCHEMA = "newer_schema"  # url, version, supported
    NO_PRIVILEGE_TO_MIGRATE = "no_privilege_to_migrate"  # url, version (None: no tables yet), supported
    BAD_SECONDS = "bad_seconds"  # environment, text
    # any read or write
    WRITE_REFUSED = "write_refused"  # doing (StoreOperation), about (its values), detail
    FAILED = "failed"  # doing, about, url, detail
    CONNECTION_LOST = "connection_lost"  # url, doing, about
    BUSY_READING = "busy_reading"  # seconds
    READ_TIMED_OUT = "read_timed_out"  # seconds
    BUSY_WRITING = "busy_writing"  # seconds
    # accounts
    ACCOUNTS_EXIST = "accounts_exist"
    USERNAME_TAKEN = "username_taken"  # username
    UNKNOWN_ACCOUNT_COLUMNS = "unknown_account_columns"  # columns
    # batches and undo
    NO_SUCH_BATCH = "no_such_batch"  # batch_id, undoing
    ALREADY_UNDONE = "already_undone"  # batch_id, file_name, undone_at
    UNDO_INCONSISTENT = "undo_inconsistent"  # batch_id, file_name, key (year, unit, field, month), field_names
    UNDO_BLOCKED = "undo_blocked"  # batch_id, file_name, later (LaterBatch, newest first), field_names
    # notes, scenarios, mappings
    NO_SUCH_SCENARIO = "no_such_scenario"  # unit, year, name
    EMPTY_SCENARIO_NAME = "empty_scenario_name"
    # rows of a frame to ingest (a RefusedInput: frames the readers should never produce)
    FRAME_MISSING_COLUMNS = "frame_missing_columns"  # columns
    VALUE_NOT_STORABLE = "value_not_storable"  # value, fault (ValueFault), detail
    NO_UNIT_OR_FIELD = "no_unit_or_field"
    ROW_TWICE = "row_twice"  # key (year, unit, field as shown, month), earlier (its "sheet cell", "": unknown)
    # copies, backups and restores
    STORE_NOT_EMPTY = "store_not_empty"  # url, filled {table: rows}
    UNKNOWN_TABLE = "unknown_table"  # table
    UNKNOWN_COLUMNS = "unknown_columns"  # table, columns
    ROWS_REFUSED = "rows_refused"  # table, first, last, reason (RowsRefused), detail
    SCHEMA_VERSIONS_DIFFER = "schema_versions_differ"
    BACKUP_LINE_TOO_LONG = "backup_line_too_long"  # line, size, limit
    BACKUP_NOT_WRITTEN = "backup_not_written"  # path, detail (a RefusedInput: a folder missing, a disk full)
    # PostgreSQL's runtime role
    BAD_ROLE_NAME = "bad_role_name"  # role
    GRANT_ONLY_POSTGRESQL = "grant_only_postgresql"
    NO_SUCH_ROLE = "no_such_role"  # role
    ROLE_IS_SUPERUSER = "role_is_superuser"  # role
    ROLE_OWNS_TABLES = "role_owns_tables"  # role


class ValueFault(enum.Enum):
    """Why a value cannot be stored exactly (StoreProblem.VALUE_NOT_STORABLE)."""

    FLOAT = "float"  # a binary float, never exact
    TRUTH_VALUE = "truth_value"  # True or False: a yes/no, not a number
    NOT_FINITE = "not_finite"  # NaN or an infinity
    OTHER = "other"  # not a number at all: the detail keeps what the conversion said (English, never shown)


class StoreOperation(enum.Enum):
    """What the store was doing when it failed, for the words of the failure (with its values, e.g. the
    scenario's name)."""

    READ = "read"
    READ_ASSESSMENTS = "read_assessments"
    READ_ACCOUNTS = "read_accounts"
    LOG_IN = "log_in"
    READ_NOTES = "read_notes"
    READ_CYCLE = "read_cycle"
    READ_AUDIT = "read_audit"
    READ_BATCHES = "read_batches"
    READ_SCENARIO = "read_scenario"
    UNDO = "undo"
    CREATE_ACCOUNT = "create_account"
    DELETE_SCENARIO = "delete_scenario"
    SAVE_SCENARIO = "save_scenario"
    SAVE_FILES = "save_files"
    SAVE_PLAN = "save_plan"
    ASSESSMENT = "assessment"
    VERIFY_AUDIT = "verify_audit"
    OPEN = "open"
    READ_SETTINGS = "read_settings"
    READ_PLANS = "read_plans"
    READ_ASSESSMENT_STEPS = "read_assessment_steps"
    READ_LOGIN = "read_login"
    READ_MAPPINGS = "read_mappings"
    READ_SCENARIOS = "read_scenarios"
    GRANT_RUNTIME_ROLE = "grant_runtime_role"
    END_LOGIN = "end_login"
    LOG_OUT = "log_out"
    UPDATE_LOGIN = "update_login"
    UPDATE_ACCOUNT = "update_account"
    CREATE_PLANS = "create_plans"
    LOAD_ROWS = "load_rows"
    WRITE_AUDIT = "write_audit"
    SAVE_NOTE = "save_note"
    SAVE_SETTINGS = "save_settings"
    SAVE_CYCLE = "save_cycle"
    SAVE_MAPPING = "save_mapping"
    SAVE = "save"


class StoreError(KpiError):
    """The store could not be read or written (connection, schema, unknown batch): a StoreProblem and its values.

    The store says what happened, never in people's words; the words are the services' (metrics.services.wording),
    which installs them when metrics.services is imported, so every page and command shows them whatever layer
    caught the error. Without them (the store used alone) the message is the problem's name and its values."""

    wording: ClassVar[Callable[[StoreError], str] | None] = None

    def __init__(self, problem: StoreProblem, **values: Any):
        self.problem = problem
        self.values = values
        super().__init__(problem, values)

    def __str__(self) -> str:
        words = StoreError.wording
        if words is not None:
            return words(self)
        listed = ", ".join(f"{name}={value!r}" for name, value in self.values.items())
        return f"{self.problem.value}({listed})"


@dataclass(frozen=True)
class Refusal:
    """One input the store refused, as data: the StoreProblem, its values and where it was (as a Problem locates
    it; field: as the input names it, "" when the refusal is about a field the store names by its problem).
    The services word it (metrics.services.wording), like a StoreError."""

    wording: ClassVar[Callable[[Refusal], Problem] | None] = None

    problem: StoreProblem
    values: dict[str, Any]
    file: str = ""
    sheet: str = ""
    cell: str = ""
    field: str = ""
    value: str = ""

    def worded(self) -> Problem:
        words = Refusal.wording
        if words is not None:
            return words(self)
        return Problem(str(StoreError(self.problem, **self.values)), file=self.file, sheet=self.sheet,
                       cell=self.cell, field=self.field, value=self.value)


class RefusedInput(InputError):
    """Input the store refused before writing anything (a frame the readers should never produce, an empty
    scenario name, a role name): an InputError whose problems are Refusals, worded when read."""

    def __init__(self, refusals: list[Refusal] | Refusal):
        self.refusals: list[Refusal] = [refusals] if isinstance(refusals, Refusal) else list(refusals)
        KpiError.__init__(self, self.refusals)

    @property  # type: ignore[override]
    def problems(self) -> list[Problem]:
        return [refusal.worded() for refusal in self.refusals]

    def __str__(self) -> str:
        return "\n".join(str(problem) for problem in self.problems)


class StoreBusy(StoreError):
    """Another writer held the store's write lock for longer than this writer waits; nothing was written and
    trying again later is the remedy."""


class RenderingUnavailable(KpiError):
    """This machine cannot draw a PDF report: the Chinese font or the browser that draws the charts is missing;
    the message says what to install."""


class BackupProblem(enum.Enum):
    """What a backup file (or the backup key) showed, as data: a BackupFault holds one with the values that say
    which line, table, row, column and value and what was expected; the services word it
    (metrics.services.transfer_wording)."""

    # the key, opening and reading the file's lines
    KEY_TOO_SHORT = "key_too_short"  # variable, length, minimum
    CANNOT_OPEN = "cannot_open"  # path, detail
    EMPTY = "empty"
    NO_HEADER = "no_header"  # cause (the BackupRefused met reading the first line)
    LINE_TOO_LONG = "line_too_long"  # length, limit, of_rows (the limit of a row line, not a short one)
    LINE_UNENDED = "line_unended"  # limit, of_rows
    CUT_MID_LINE = "cut_mid_line"
    TOO_LARGE = "too_large"  # max_bytes
    NOT_DECOMPRESSIBLE = "not_decompressible"  # detail
    NOT_UTF8 = "not_utf8"  # byte (1-based)
    NESTED_TOO_DEEP = "nested_too_deep"
    NOT_JSON = "not_json"  # detail
    DUPLICATE_KEYS = "duplicate_keys"  # keys (a JSON object naming them twice)
    NOT_A_NUMBER = "not_a_number"  # constant (NaN, Infinity, -Infinity)
    # the header
    NOT_A_BACKUP = "not_a_backup"
    HEADER_FIELD_WRONG = "header_field_wrong"  # field, expected (the field, or "table_counts"), value (MISSING)
    FORMAT_VERSION_UNKNOWN = "format_version_unknown"  # version, lowest, highest
    SCHEMA_NEWER = "schema_newer"  # schema, supported
    SCHEMA_OLDER = "schema_older"  # schema, supported
    HEADER_UNKNOWN_FIELDS = "header_unknown_fields"  # keys
    FORMAT_1_NOT_ACCEPTED = "format_1_not_accepted"
    HEADER_TABLES_DIFFER = "header_tables_differ"  # missing, extra (table names)
    # the tables' sections
    TABLES_CUT = "tables_cut"  # table
    NOT_A_SECTION = "not_a_section"  # table, value
    WRONG_SECTION = "wrong_section"  # table, found
    SECTION_FIELDS = "section_fields"  # table
    SECTION_COUNT_DIFFERS = "section_count_differs"  # table, count, declared
    SECTION_COLUMNS = "section_columns"  # table, declared, columns
    ROWS_CUT = "rows_cut"  # table, count, read
    # a row: table, row (its number in the table) and what is wrong
    ROW_NOT_A_LIST = "row_not_a_list"  # value
    ROW_WIDTH = "row_width"  # expected, found
    ROW_SURROGATE = "row_surrogate"  # column
    ROW_VALUE_WRONG = "row_value_wrong"  # column, expected (ColumnExpected), value
    DUPLICATE_KEY = "duplicate_key"  # unique (UniqueKind), names, values
    DANGLING_REFERENCE = "dangling_reference"  # column, value, parent, parent_column
    DOCUMENT_NOT_TOML = "document_not_toml"  # cycle (a cycle's version, else a plan's), error, document
    DOCUMENT_TOO_DEEP = "document_too_deep"  # cycle
    AUDIT_UNCHAINED = "audit_unchained"
    AUDIT_CHAIN_RESUMED = "audit_chain_resumed"
    AUDIT_CHAIN_BROKEN = "audit_chain_broken"  # broken (audit_chain.ChainBreak)
    # the end
    DATA_AFTER_TABLES = "data_after_tables"
    TRAILER_MISSING = "trailer_missing"
    NOT_A_TRAILER = "not_a_trailer"  # value
    TRAILER_FIELDS = "trailer_fields"
    DATA_AFTER_TRAILER = "data_after_trailer"
    CHECKSUM_DIFFERS = "checksum_differs"
    HMAC_MISSING = "hmac_missing"  # variable
    HMAC_DIFFERS = "hmac_differs"  # variable
    TRAILER_COUNTS_DIFFER = "trailer_counts_differ"
    TRAILER_ANCHOR_DIFFERS = "trailer_anchor_differs"
    CHANGED_DURING_RESTORE = "changed_during_restore"
    # accepted, with a warning (BackupCheck.notes)
    UNCHAINED_ACCEPTED = "unchained_accepted"
    FORMAT_1_ACCEPTED = "format_1_accepted"
    NO_HMAC_ACCEPTED = "no_hmac_accepted"
    HMAC_NOT_VERIFIED = "hmac_not_verified"  # variable


MISSING = object()  # BackupProblem.HEADER_FIELD_WRONG: the header has no such field


@dataclass(frozen=True)
class BackupFault:
    """One thing a backup file showed, as data: the problem and its values, the file's name and the line (None:
    the file as a whole, or a row's fault the line is added to when refused). Worded by the services
    (metrics.services.transfer_wording), installed like StoreError's words."""

    wording: ClassVar[Callable[[BackupFault], str] | None] = None

    problem: BackupProblem
    values: dict[str, Any]
    file: str = ""
    line: int | None = None

    def __str__(self) -> str:
        words = BackupFault.wording
        if words is not None:
            return words(self)
        listed = ", ".join(f"{name}={value!r}" for name, value in self.values.items())
        return f"{self.file}:{self.line or ''}: {self.problem.value}({listed})"


class BackupRefused(InputError):
    """A backup file is damaged, incomplete, edited or not verifiable (or the backup key unusable); the fault
    names the line, table, column and what was expected, and nothing was written."""

    def __init__(self, problem: BackupProblem, *, file: str = "", line: int | None = None, **values: Any):
        self.fault = BackupFault(problem, values, file, line)
        KpiError.__init__(self, self.fault)

    @property  # type: ignore[override]
    def problems(self) -> list[Problem]:
        return [Problem(str(self.fault))]

    def __str__(self) -> str:
        return str(self.fault)
