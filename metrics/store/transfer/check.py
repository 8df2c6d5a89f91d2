"""A backup file read through, every byte checked before it is believed: its header and trailer, every row against
the store's columns, keys and references, the audit trail's hash chain, its checksum and (with the key) its HMAC."""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import gzip
import hashlib
import hmac
import json
import operator
import re
import tomllib
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import IO, Any

import sqlalchemy as sa

from metrics.errors import MISSING, BackupFault, BackupProblem, BackupRefused
from metrics.store import SCHEMA_VERSION, TRANSFER_TABLES, audit_chain
from metrics.store.transfer.format import (AUDIT_TABLE, BACKUP_FORMAT, BACKUP_FORMAT_VERSION, BACKUP_MAX_BYTES,
                                           KEY_VARIABLE, ROW_LINE_MAX_BYTES, SHORT_LINE_MAX_BYTES, UNVERIFIABLE_FORMAT_VERSION,
                                           BackupCheck, Progress, Stage, TransferStep, Verified, quiet)

_CHUNK_BYTES = 1024 * 1024

# ---- reading a backup: every byte checked before it is believed ----

_HEADER_KEYS = {"format", "format_version", "schema_version", "created_at", "database", "tables"}
_TRAILER_KEYS = {"end", "lines", "rows", "sha256"}
_TRAILER_OPTIONAL = {"hmac_sha256", "audit_anchor"}  # audit_anchor: written since the anchor was kept in the trailer
PLAN_TABLE = "plan_versions"
CYCLE_TABLE = "cycle_versions"
_INTEGER_RANGE = (-2**31, 2**31 - 1)  # the portable INTEGER of SQLite and PostgreSQL
_DATETIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{6})?")
_DECIMAL = re.compile(r"-?\d+(\.\d+)?")
_HEX_DIGEST = re.compile(r"[0-9a-f]{64}")
# Text columns holding a decimal number or a JSON document: the other columns are checked by their declared type.
DECIMAL_TEXT_COLUMNS = {("current_values", "value"), ("value_changes", "value"),
                        ("value_changes", "previous_value")}
JSON_TEXT_COLUMNS: dict[tuple[str, str], type] = {
    ("accounts", "roles"): list, ("accounts", "units"): list, ("scenarios", "payload"): dict,
    ("column_mappings", "mapping"): dict, ("plan_versions", "changes"): list, ("cycle_versions", "changes"): list}



class _Lines:
    """The decompressed lines of a backup, read in bounded chunks: a line longer than the caller's limit or a file
    larger than `max_bytes` is refused having held no more than that line and one chunk."""

    def __init__(self, raw: IO[bytes], file_name: str, max_bytes: int) -> None:
        self.raw, self.file_name, self.max_bytes = raw, file_name, max_bytes
        self.buffer = bytearray()
        self.position = 0  # where the next line starts in buffer
        self.scanned = 0  # buffer[:scanned] holds no newline after position
        self.total = 0
        self.number = 0  # of the last line returned
        self.ended = False

    def refuse(self, problem: BackupProblem, number: int | None = None, **values: Any) -> BackupRefused:
        """The file refused at line `number` (else the line being read)."""
        return BackupRefused(problem, file=self.file_name, line=number or self.number + 1, **values)

    def next(self, limit: int) -> bytes | None:
        """The next line with its newline, or None at the end of the file."""
        while True:
            end = self.buffer.find(b"\n", max(self.position, self.scanned))
            if end != -1:
                length = end - self.position
                if length > limit:
                    raise self.refuse(BackupProblem.LINE_TOO_LONG, length=length, limit=limit,
                                      of_rows=limit == ROW_LINE_MAX_BYTES)
                line = bytes(self.buffer[self.position:end + 1])
                self.position = end + 1
                self.number += 1
                return line
            pending = len(self.buffer) - self.position
            if pending > limit:
                raise self.refuse(BackupProblem.LINE_UNENDED, limit=limit, of_rows=limit == ROW_LINE_MAX_BYTES)
            if self.ended:
                if pending:
                    raise self.refuse(BackupProblem.CUT_MID_LINE)
                return None
            del self.buffer[:self.position]
            self.position, self.scanned = 0, len(self.buffer)
            chunk = self._read()
            if not chunk:
                self.ended = True
                continue
            self.total += len(chunk)
            if self.total > self.max_bytes:
                raise self.refuse(BackupProblem.TOO_LARGE, max_bytes=self.max_bytes)
            self.buffer += chunk

    def _read(self) -> bytes:
        try:
            return self.raw.read(_CHUNK_BYTES)
        except (OSError, EOFError, zlib.error) as error:
            raise self.refuse(BackupProblem.NOT_DECOMPRESSIBLE, detail=str(error)) from error


class _DuplicateKeys(ValueError):
    def __init__(self, keys: list[str]) -> None:
        super().__init__(keys)
        self.keys = keys


class _Constant(ValueError):
    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.name = name


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    keys = [key for key, _ in pairs]
    if len(set(keys)) != len(keys):
        raise _DuplicateKeys(sorted({key for key in keys if keys.count(key) > 1}))
    return dict(pairs)


def _no_constant(name: str) -> Any:
    raise _Constant(name)


_DECODER = json.JSONDecoder(object_pairs_hook=_no_duplicates, parse_constant=_no_constant, parse_float=Decimal)


def _parse(lines: _Lines, line: bytes) -> Any:
    """One line as JSON; deep nesting, bad UTF-8, NaN and duplicate keys are refused, not raised raw."""
    try:
        text = line.decode("utf-8")
    except UnicodeDecodeError as error:
        raise lines.refuse(BackupProblem.NOT_UTF8, lines.number, byte=error.start + 1) from error
    try:
        return _DECODER.decode(text)
    except RecursionError as error:
        raise lines.refuse(BackupProblem.NESTED_TOO_DEEP, lines.number) from error
    except _DuplicateKeys as error:
        raise lines.refuse(BackupProblem.DUPLICATE_KEYS, lines.number, keys=error.keys) from error
    except _Constant as error:
        raise lines.refuse(BackupProblem.NOT_A_NUMBER, lines.number, constant=error.name) from error
    except ValueError as error:
        raise lines.refuse(BackupProblem.NOT_JSON, lines.number, detail=str(error)) from error


def _integer(value: Any) -> bool:
    return type(value) is int  # not bool, a subclass of int


def _aware_time(value: Any) -> bool:
    if not isinstance(value, str) or len(value) > 64:
        return False
    try:
        return dt.datetime.fromisoformat(value).tzinfo is not None
    except ValueError:
        return False


def _check_header(lines: _Lines, header: Any, *, accept_unverified: bool) -> dict[str, Any]:
    name = lines.file_name
    if not isinstance(header, dict) or header.get("format") != BACKUP_FORMAT:
        raise BackupRefused(BackupProblem.NOT_A_BACKUP, file=name)

    def wrong(field: str, expected: str | None = None) -> BackupRefused:
        return lines.refuse(BackupProblem.HEADER_FIELD_WRONG, 1, field=field, expected=expected or field,
                            value=header.get(field, MISSING))

    version = header.get("format_version")
    if not _integer(version):
        raise wrong("format_version")
    if version > BACKUP_FORMAT_VERSION or version < UNVERIFIABLE_FORMAT_VERSION:
        raise BackupRefused(BackupProblem.FORMAT_VERSION_UNKNOWN, file=name, version=version,
                            lowest=UNVERIFIABLE_FORMAT_VERSION, highest=BACKUP_FORMAT_VERSION)
    schema = header.get("schema_version")
    if not _integer(schema):
        raise wrong("schema_version")
    if schema > SCHEMA_VERSION:
        raise BackupRefused(BackupProblem.SCHEMA_NEWER, file=name, schema=schema, supported=SCHEMA_VERSION)
    if schema < SCHEMA_VERSION:
        raise BackupRefused(BackupProblem.SCHEMA_OLDER, file=name, schema=schema, supported=SCHEMA_VERSION)
    unknown = sorted(set(header) - _HEADER_KEYS)
    if unknown:
        raise lines.refuse(BackupProblem.HEADER_UNKNOWN_FIELDS, 1, keys=unknown)
    if not _aware_time(header.get("created_at")):
        raise wrong("created_at")
    if header.get("database") not in {"sqlite", "postgresql"}:
        raise wrong("database")
    known = [table.name for table in TRANSFER_TABLES]
    tables = header.get("tables")
    if version == UNVERIFIABLE_FORMAT_VERSION:
        if not isinstance(tables, dict) or not all(_integer(count) and count >= 0 for count in tables.values()):
            raise wrong("tables", "table_counts")
        if not accept_unverified:
            raise BackupRefused(BackupProblem.FORMAT_1_NOT_ACCEPTED, file=name)
    elif not isinstance(tables, list) or not all(isinstance(table, str) for table in tables) \
            or len(set(tables)) != len(tables):
        raise wrong("tables")
    if set(tables) != set(known):
        raise lines.refuse(BackupProblem.HEADER_TABLES_DIFFER, 1,
                           missing=[table for table in known if table not in tables],
                           extra=[table for table in tables if table not in known])
    return header


Check = Callable[[Any], bool]


class ColumnKind(enum.Enum):
    """What a column's value must be in a backup (BackupProblem.ROW_VALUE_WRONG says which)."""

    DECIMAL_TEXT = "decimal_text"
    JSON_LIST = "json_list"
    JSON_OBJECT = "json_object"
    BOOLEAN = "boolean"
    INTEGER = "integer"  # low, high
    DATETIME = "datetime"
    TEXT = "text"  # length (None: unlimited)


@dataclass(frozen=True)
class ColumnExpected:
    kind: ColumnKind
    nullable: bool = False
    low: int | None = None
    high: int | None = None
    length: int | None = None


@dataclass(frozen=True)
class _Column:
    name: str
    check: Check
    expected: ColumnExpected


def _text_check(length: int | None) -> Check:
    def check(value: Any) -> bool:
        if type(value) is not str or "\x00" in value or (length is not None and len(value) > length):
            return False
        if value.isascii():
            return True
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:  # a lone surrogate from a \\ud800 escape
            return False
        return True
    return check


def _datetime_check(value: Any) -> bool:
    if not isinstance(value, str) or not _DATETIME.fullmatch(value):
        return False
    try:
        dt.datetime.fromisoformat(value)
    except ValueError:
        return False
    return True


def _json_check(kind: type) -> Check:
    def check(value: Any) -> bool:
        if not isinstance(value, str):
            return False
        try:
            return isinstance(json.loads(value), kind)
        except (ValueError, RecursionError):
            return False
    return check


def _column(table: sa.Table, column: sa.Column) -> _Column:
    """What a value of `column` must be, from the type the store declares for it."""
    kind = column.type
    if (table.name, column.name) in DECIMAL_TEXT_COLUMNS:
        check = lambda value: isinstance(value, str) and bool(_DECIMAL.fullmatch(value))  # noqa: E731
        expected = ColumnExpected(ColumnKind.DECIMAL_TEXT)
    elif (table.name, column.name) in JSON_TEXT_COLUMNS:
        wanted = JSON_TEXT_COLUMNS[(table.name, column.name)]
        check = _json_check(wanted)
        expected = ColumnExpected(ColumnKind.JSON_LIST if wanted is list else ColumnKind.JSON_OBJECT)
    elif isinstance(kind, sa.Boolean):
        check, expected = (lambda value: isinstance(value, bool)), ColumnExpected(ColumnKind.BOOLEAN)
    elif isinstance(kind, sa.Integer):
        low, high = _INTEGER_RANGE
        check = lambda value: type(value) is int and low <= value <= high  # noqa: E731
        expected = ColumnExpected(ColumnKind.INTEGER, low=low, high=high)
    elif isinstance(kind, sa.DateTime):
        check, expected = _datetime_check, ColumnExpected(ColumnKind.DATETIME)
    else:  # String, Text and anything else the store keeps as text
        length = getattr(kind, "length", None)
        check, expected = _text_check(length), ColumnExpected(ColumnKind.TEXT, length=length)
    if not column.nullable:
        return _Column(column.name, check, expected)
    return _Column(column.name, lambda value, inner=check: value is None or inner(value),
                   dataclasses.replace(expected, nullable=True))


def _wrong_row(lines: _Lines, row: Any, checks: list[_Column], table: str, number: int) -> BackupRefused:
    """What is wrong with a row that failed the quick check."""
    if not isinstance(row, list):
        return lines.refuse(BackupProblem.ROW_NOT_A_LIST, lines.number, table=table, row=number, value=row)
    if len(row) != len(checks):
        return lines.refuse(BackupProblem.ROW_WIDTH, lines.number, table=table, row=number, expected=len(checks),
                            found=len(row))
    column, value = next((column, value) for column, value in zip(checks, row) if not column.check(value))
    if _surrogate(value):
        return lines.refuse(BackupProblem.ROW_SURROGATE, lines.number, table=table, row=number, column=column.name)
    return lines.refuse(BackupProblem.ROW_VALUE_WRONG, lines.number, table=table, row=number, column=column.name,
                        expected=column.expected, value=value)


def _surrogate(value: Any) -> bool:
    return isinstance(value, str) and not value.isascii() and any("\ud800" <= char <= "\udfff" for char in value)


# ---- what the database would refuse, found while the file is read: keys, unique constraints, references ----

RowProblem = Callable[[list[Any]], BackupFault | None]


def _key_digest(values: tuple) -> bytes:
    """A key as 16 bytes: a table of a million rows keeps 16 MB of keys, not its texts."""
    return hashlib.blake2b(repr(values).encode("utf-8", "surrogatepass"), digest_size=16).digest()


def _expression_value(expression: Any, columns: list[str]) -> Callable[[list[Any]], Any]:
    """How a row (in the file's column order) gives the value of an index expression the store declares."""
    if isinstance(expression, sa.Column):
        return operator.itemgetter(columns.index(expression.name))
    if isinstance(expression, sa.sql.functions.Function) and expression.name == "lower":
        (inner,) = expression.clauses.clauses
        value = _expression_value(inner, columns)
        return lambda row: None if (found := value(row)) is None else str(found).lower()
    raise NotImplementedError(f"backup check: index expression {expression!r} is not understood")


def _condition(where: Any, columns: list[str]) -> Callable[[list[Any]], bool]:
    """Whether a row is in a partial index, for the conditions the store declares (column = / != a value)."""
    if where is None:
        return lambda row: True
    if isinstance(where, sa.sql.elements.BinaryExpression) and isinstance(where.left, sa.Column) \
            and isinstance(where.right, sa.sql.elements.BindParameter) and where.operator in (operator.eq, operator.ne):
        value, compare, wanted = _expression_value(where.left, columns), where.operator, where.right.value
        return lambda row: (found := value(row)) is not None and compare(found, wanted)
    raise NotImplementedError(f"backup check: index condition {where!r} is not understood")


class UniqueKind(enum.Enum):
    """Which of a table's declarations a duplicate key breaks (BackupProblem.DUPLICATE_KEY)."""

    PRIMARY = "primary"
    CONSTRAINT = "constraint"
    INDEX = "index"
    PARTIAL_INDEX = "partial_index"


@dataclass
class _Unique:
    kind: UniqueKind
    names: tuple[str, ...]
    values: Callable[[list[Any]], tuple]
    applies: Callable[[list[Any]], bool]
    primary: bool  # NULL in a unique key is never a conflict; a primary key has none (checked as NOT NULL)
    seen: set[bytes]


def _uniques(table: sa.Table, columns: list[str]) -> list[_Unique]:
    """The primary key, unique constraints and unique indexes `table` declares, as checks of a row."""
    found: list[_Unique] = []

    def add(kind: UniqueKind, expressions: list[Any], where: Any = None, primary: bool = False) -> None:
        getters = [_expression_value(expression, columns) for expression in expressions]
        names = tuple(str(getattr(expression, "name", expression)) if isinstance(expression, sa.Column)
                      else f"{expression.name}({', '.join(column.name for column in expression.clauses.clauses)})"
                      for expression in expressions)
        found.append(_Unique(kind, names, lambda row: tuple(get(row) for get in getters), _condition(where, columns),
                             primary, set()))

    add(UniqueKind.PRIMARY, list(table.primary_key.columns), primary=True)
    for constraint in table.constraints:
        if isinstance(constraint, sa.UniqueConstraint):
            add(UniqueKind.CONSTRAINT, list(constraint.columns))
    for index in table.indexes:
        if index.unique:
            where = index.dialect_options["sqlite"].get("where") or index.dialect_options["postgresql"].get("where")
            add(UniqueKind.INDEX if where is None else UniqueKind.PARTIAL_INDEX, list(index.expressions), where)
    return found


class _Integrity:
    """Keys unique per table and every reference to a row present earlier in the file (TRANSFER_TABLES puts
    parents before children), from the store's own declarations; what the database would refuse with its own
    English text at the end of a restore, refused here at the line. Memory: 16 bytes per key of the table being
    read, and the referenced keys (ids) of parent tables."""

    def __init__(self) -> None:
        self.referenced: dict[tuple[str, str], set[Any]] = {
            (key.column.table.name, key.column.name): set() for table in TRANSFER_TABLES for key in table.foreign_keys}
        order = [table.name for table in TRANSFER_TABLES]
        for table in TRANSFER_TABLES:
            for key in table.foreign_keys:
                assert order.index(key.column.table.name) < order.index(table.name), "parents before children"

    def checks(self, table: sa.Table, columns: list[str]) -> RowProblem:
        uniques = _uniques(table, columns)
        references = [(key.parent.name, operator.itemgetter(columns.index(key.parent.name)), key.column.table.name,
                       key.column.name, self.referenced[(key.column.table.name, key.column.name)])
                      for key in sorted(table.foreign_keys, key=lambda key: key.parent.name)]
        kept = [(operator.itemgetter(columns.index(column)), held) for (name, column), held in self.referenced.items()
                if name == table.name]

        def problem(row: list[Any]) -> BackupFault | None:
            for unique in uniques:
                if not unique.applies(row):
                    continue
                values = unique.values(row)
                if not unique.primary and any(value is None for value in values):
                    continue
                digest = _key_digest(values)
                if digest in unique.seen:
                    return BackupFault(BackupProblem.DUPLICATE_KEY,
                                       {"unique": unique.kind, "names": unique.names, "values": values})
                unique.seen.add(digest)
            for name, value, parent, parent_column, held in references:
                found = value(row)
                if found is not None and found not in held:
                    return BackupFault(BackupProblem.DANGLING_REFERENCE, {"column": name, "value": found,
                                                                          "parent": parent,
                                                                          "parent_column": parent_column})
            for value, held in kept:
                held.add(value(row))
            return None
        return problem


def _plan_document(columns: list[str], cycle: bool = False) -> RowProblem:
    """A plan's (or the cycle's) version's document is TOML, as every reader of it will parse it."""
    index = columns.index("document")

    def problem(row: list[Any]) -> BackupFault | None:
        try:
            tomllib.loads(row[index], parse_float=Decimal)
        except tomllib.TOMLDecodeError as error:
            return BackupFault(BackupProblem.DOCUMENT_NOT_TOML,
                               {"cycle": cycle, "error": error, "document": row[index]})
        except RecursionError:
            return BackupFault(BackupProblem.DOCUMENT_TOO_DEEP, {"cycle": cycle})
        return None
    return problem


class _NothingKnown:
    """audit_chain.Lookup for a chain read once from a file: no row is looked up again, so a break is named from
    the rows around it (the walk's explanation without the holder of a hash)."""

    def holder_of(self, hashed: str) -> int | None:
        return None

    def row_after(self, row_id: int) -> audit_chain.ChainRow | None:
        return None

    def hash_of(self, row_id: int) -> str | None:
        return None


class _AuditChain:
    """The audit trail's hash chain walked as its rows are read; its last (id, row_hash) is the backup's anchor.
    Rows without hashes at all are from before the chain: accepted only with --accept-unverified."""

    def __init__(self, columns: list[str], accept_unverified: bool, notes: list[BackupFault]) -> None:
        self.columns, self.accept, self.notes = columns, accept_unverified, notes
        self.walker = audit_chain.Walker(_NothingKnown())
        self.unchained: bool | None = None  # decided by the first row

    def __call__(self, row: list[Any]) -> BackupFault | None:
        record = dict(zip(self.columns, row))
        record["at"] = dt.datetime.fromisoformat(record["at"])
        if self.unchained is None:
            self.unchained = record["previous_hash"] is None and record["row_hash"] is None
            if self.unchained and not self.accept:
                return BackupFault(BackupProblem.AUDIT_UNCHAINED, {})
            if self.unchained:
                self.notes.append(BackupFault(BackupProblem.UNCHAINED_ACCEPTED, {}))
        if self.unchained:
            if record["previous_hash"] is not None or record["row_hash"] is not None:
                return BackupFault(BackupProblem.AUDIT_CHAIN_RESUMED, {})
            return None
        computed = audit_chain.row_hash(record["previous_hash"], record) if record["previous_hash"] else None
        report = self.walker.step(audit_chain.ChainRow(
            record["id"], record["at"], record["account"], record["action"], record["previous_hash"],
            record["row_hash"], computed))
        if report is None or report.broken is None:
            return None
        return BackupFault(BackupProblem.AUDIT_CHAIN_BROKEN, {"broken": report.broken})

    @property
    def anchor(self) -> tuple[int, str] | None:
        if self.unchained:
            return None
        before = self.walker.before
        return (before.id, before.row_hash) if before is not None and before.row_hash else None


def sections(path: Path, *, key: bytes | None, accept_unverified: bool, max_bytes: int,
              outcome: dict[str, Any]) -> Iterator[tuple[str, list[str], Iterator[list[Any]]]]:
    """(table, columns, rows) of a backup as it is read, each row checked against the store's columns; after the
    last section the file's end, counts, checksum and HMAC are checked, so a consumer that writes the rows inside
    a transaction sees any problem before it commits. `outcome` receives what a BackupCheck reports."""
    raw = _open_backup(path)
    with raw:
        lines = _Lines(raw, path.name, max_bytes)
        first, parsed = _first_line(lines)
        header = _check_header(lines, parsed, accept_unverified=accept_unverified)
        version = header["format_version"]
        digest = hashlib.sha256(first)
        signature = hmac.new(key, first, hashlib.sha256) if key is not None else None
        counts: dict[str, int] = {}
        notes: list[BackupFault] = []
        integrity = _Integrity()
        chain: _AuditChain | None = None

        def take(limit: int) -> bytes | None:
            line = lines.next(limit)
            if line is not None and version != UNVERIFIABLE_FORMAT_VERSION:
                digest.update(line)
                if signature is not None:
                    signature.update(line)
            return line

        for table in TRANSFER_TABLES:
            name = table.name
            line = take(SHORT_LINE_MAX_BYTES)
            if line is None:
                raise lines.refuse(BackupProblem.TABLES_CUT, table=name)
            section = _parse(lines, line)
            if not isinstance(section, dict) or "table" not in section:
                raise lines.refuse(BackupProblem.NOT_A_SECTION, lines.number, table=name, value=section)
            if section["table"] != name:
                raise lines.refuse(BackupProblem.WRONG_SECTION, lines.number, table=name, found=str(section["table"]))
            columns, count = section.get("columns"), section.get("rows")
            if set(section) != {"table", "columns", "rows"} or not _integer(count) or count < 0:
                raise lines.refuse(BackupProblem.SECTION_FIELDS, lines.number, table=name)
            if version == UNVERIFIABLE_FORMAT_VERSION and count != header["tables"][name]:
                raise lines.refuse(BackupProblem.SECTION_COUNT_DIFFERS, lines.number, table=name, count=count,
                                   declared=header["tables"][name])
            declared = [column.name for column in table.columns]
            if not isinstance(columns, list) or not all(isinstance(column, str) for column in columns) \
                    or len(set(columns)) != len(columns) or set(columns) != set(declared):
                raise lines.refuse(BackupProblem.SECTION_COLUMNS, lines.number, table=name, declared=declared,
                                   columns=columns)
            checks = [_column(table, table.columns[column]) for column in columns]
            problems = [integrity.checks(table, columns)]
            if name in (PLAN_TABLE, CYCLE_TABLE):
                problems.append(_plan_document(columns, cycle=name == CYCLE_TABLE))
            if name == AUDIT_TABLE:
                chain = _AuditChain(columns, accept_unverified, notes)
                problems.append(chain)

            def rows(count: int = count, checks: list[_Column] = checks, name: str = name,
                     problems: list[RowProblem] = problems) -> Iterator[list[Any]]:
                functions, width = [column.check for column in checks], len(checks)
                for number in range(1, count + 1):
                    line = take(ROW_LINE_MAX_BYTES)
                    if line is None:
                        raise lines.refuse(BackupProblem.ROWS_CUT, table=name, count=count, read=number - 1)
                    row = _parse(lines, line)
                    if type(row) is not list or len(row) != width or not all(map(operator.call, functions, row)):
                        raise _wrong_row(lines, row, checks, name, number)
                    for problem in problems:
                        found = problem(row)
                        if found is not None:
                            raise lines.refuse(found.problem, lines.number, table=name, row=number, **found.values)
                    yield row

            pending = rows()
            yield table.name, columns, pending
            for _ in pending:  # a consumer that stopped early still has every row checked
                pass
            counts[table.name] = count

        anchor = chain.anchor if chain is not None else None
        if version == UNVERIFIABLE_FORMAT_VERSION:
            if lines.next(SHORT_LINE_MAX_BYTES) is not None:
                raise lines.refuse(BackupProblem.DATA_AFTER_TABLES, lines.number)
            notes.append(BackupFault(BackupProblem.FORMAT_1_ACCEPTED, {}, path.name))
            outcome.update(header=header, counts=counts, sha256=None, verified=Verified.NONE, notes=notes,
                           anchor=anchor)
            return
        before = lines.number
        line = lines.next(SHORT_LINE_MAX_BYTES)
        if line is None:
            raise lines.refuse(BackupProblem.TRAILER_MISSING)
        trailer = _parse(lines, line)
        if not isinstance(trailer, dict) or trailer.get("end") != BACKUP_FORMAT:
            raise lines.refuse(BackupProblem.NOT_A_TRAILER, lines.number, value=trailer)
        if set(trailer) - _TRAILER_OPTIONAL != _TRAILER_KEYS \
                or not all(isinstance(trailer.get(field), str) and _HEX_DIGEST.fullmatch(trailer[field])
                           for field in ("sha256", "hmac_sha256") if field in trailer):
            raise lines.refuse(BackupProblem.TRAILER_FIELDS, lines.number)
        if lines.next(SHORT_LINE_MAX_BYTES) is not None:
            raise lines.refuse(BackupProblem.DATA_AFTER_TRAILER, lines.number)
        if not hmac.compare_digest(trailer["sha256"], digest.hexdigest()):
            raise lines.refuse(BackupProblem.CHECKSUM_DIFFERS, before + 1)
        if signature is not None:
            if "hmac_sha256" not in trailer and not accept_unverified:
                raise lines.refuse(BackupProblem.HMAC_MISSING, before + 1, variable=KEY_VARIABLE)
            if "hmac_sha256" in trailer and not hmac.compare_digest(trailer["hmac_sha256"], signature.hexdigest()):
                raise lines.refuse(BackupProblem.HMAC_DIFFERS, before + 1, variable=KEY_VARIABLE)
        if trailer["lines"] != before or trailer["rows"] != counts:
            raise lines.refuse(BackupProblem.TRAILER_COUNTS_DIFFER, before + 1)
        if "audit_anchor" in trailer and trailer["audit_anchor"] != (
                {"id": anchor[0], "row_hash": anchor[1]} if anchor else None):
            raise lines.refuse(BackupProblem.TRAILER_ANCHOR_DIFFERS, before + 1)
        if signature is not None and "hmac_sha256" in trailer:
            verified = Verified.HMAC
        else:
            verified = Verified.CHECKSUM
            if signature is not None:
                notes.append(BackupFault(BackupProblem.NO_HMAC_ACCEPTED, {}, path.name))
            elif "hmac_sha256" in trailer:
                notes.append(BackupFault(BackupProblem.HMAC_NOT_VERIFIED, {"variable": KEY_VARIABLE}, path.name))
        outcome.update(header=header, counts=counts, sha256=digest.hexdigest(), verified=verified,
                       notes=notes, anchor=anchor)


def _open_backup(path: Path) -> IO[bytes]:
    try:
        return gzip.open(path, "rb")
    except OSError as error:
        raise BackupRefused(BackupProblem.CANNOT_OPEN, file=path.name, path=str(path),
                            detail=error.strerror or str(error), errno=error.errno) from error


def _first_line(lines: _Lines) -> tuple[bytes, Any]:
    """The header line and its JSON; a file that is not gzip, or whose first line is not JSON, is not a backup."""
    try:
        first = lines.next(SHORT_LINE_MAX_BYTES)
        if first is None:
            raise BackupRefused(BackupProblem.EMPTY, file=lines.file_name)
        return first, _parse(lines, first)
    except BackupRefused as error:
        raise BackupRefused(BackupProblem.NO_HEADER, file=lines.file_name, cause=error.fault) from error


def check_backup(path: Path, *, key: bytes | None = None, accept_unverified: bool = False,
                 max_bytes: int = BACKUP_MAX_BYTES, progress: Progress = quiet) -> BackupCheck:
    """Read a backup through without writing anything: its header, every row against the store's columns, its
    completeness, checksum and (with `key`) HMAC. Raises BackupRefused naming the line, table and column."""
    outcome: dict[str, Any] = {}
    for name, _columns, rows in sections(path, key=key, accept_unverified=accept_unverified, max_bytes=max_bytes,
                                          outcome=outcome):
        progress(TransferStep(Stage.CHECK, name))
        for _ in rows:
            pass
    return BackupCheck(outcome["header"], outcome["counts"], outcome["sha256"], outcome["verified"],
                       tuple(outcome["notes"]), outcome["anchor"])
