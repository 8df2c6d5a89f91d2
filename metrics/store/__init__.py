"""The store: every uploaded month, every batch that set it, and what each batch replaced.

One SQLAlchemy Core schema serves SQLite (the default, a file under data/) and PostgreSQL.

- Values are kept as canonical decimal strings ("21288", "1234.567", "0.1"), never as a
  database number: SQLite's NUMERIC is a float and would lose digits. Canonical means the
  shortest plain notation (21288.0 → "21288", 1.50 → "1.5"), so equal numbers store equal.
- Every write is one transaction under one store-wide write lock (SQLite: BEGIN IMMEDIATE
  on a WAL database with a busy timeout; PostgreSQL: pg_advisory_xact_lock), retried a few
  times on a transient lock error. Batch ids therefore follow the order in which writes commit.
- A value's history is a stack of the batches that set it. Undo removes the top of the
  stack only; a batch whose values a later batch still in effect has set again is refused,
  naming that batch, rather than guessing which report should win.
- A file that changes no value creates no batch. A batch that changes at least one value also
  records the values it re-sent unchanged (相同): they take that batch's provenance, the latest
  file that reported them, and so also stand in the way of undoing an earlier batch.
- Times are stored as naive UTC and returned as aware UTC datetimes; `format_taiwan_time`
  turns them into what users read.
"""

from __future__ import annotations

import datetime as dt
import enum
import hashlib
import itertools
import json
import os
import random
import re
import time
import zlib
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager
import dataclasses
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, TypeVar

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from metrics import audit_chain
from metrics.batches import counts_text
from metrics.errors import InputError, Problem, StoreBusy, StoreError
from metrics.figures import TIDY_COLUMNS, empty_tidy_frame
from metrics.location import default_url
from metrics.names import clean_file_name, without_controls
from metrics.parsing import TAIWAN, format_taiwan_time  # noqa: F401 (also imported from here)
from metrics.plan import plain_number
from metrics.store.schema import (  # noqa: F401 (also imported from here)
    APPEND_ONLY_MESSAGE, MIGRATIONS, REPLACE_MESSAGE, SCHEMA_VERSION, TABLE_LABELS, TRANSFER_TABLES, _aware,
    _check_not_newer, _create_or_migrate, _dump_json, _guard_audit, _load_json, _now, _stored_version,
    _unguard_audit, accounts_table, audit_table, batches_table, canonical_decimal, column_mappings_table,
    current_values_table, login_sessions_table, metadata, notes_history_table, notes_table, plan_versions_table,
    scenarios_table, schema_version_table, settings_table, value_changes_table)
from metrics.store.engine import (LOCK_WAIT_ENVIRONMENT, LOCK_WAIT_SECONDS, READ_ENVIRONMENT, READ_SECONDS,
                                  STATEMENT_SECONDS, Database, masked_url)
from metrics.store.audit import Audit, AuditEntry, AuditLog, AuditRow, Outcome

CHANGE_ADDED = "新增"
CHANGE_CHANGED = "修改"
CHANGE_SAME = "相同"
_MAX_PROBLEMS = 50
T = TypeVar("T")


@dataclass(frozen=True)
class IngestResult:
    batch_id: int | None
    unchanged: bool
    added: int
    changed: int
    same: int
    duplicate_of: int | None
    message: str
    changes: tuple[str, ...] = ()  # "112年3月 field：old → new" for values replaced, the first CHANGES_SHOWN


CHANGES_SHOWN = 50


@dataclass(frozen=True)
class UndoResult:
    batch_id: int
    restored: int  # values set back to a different value they had before the batch
    removed: int  # values the batch had created, now "not reported" again
    message: str
    unchanged: int = 0  # values the batch had re-sent unchanged: their provenance goes back, the number stays


@dataclass(frozen=True)
class BatchInfo:
    id: int
    file_name: str
    sha256: str
    uploaded_at: dt.datetime
    uploader: str
    row_count: int
    undone_at: dt.datetime | None
    undone_by: str
    values_set: int
    periods: tuple[tuple[int, str], ...] = ()  # the (year, unit)s whose figures the batch set

    @property
    def is_undone(self) -> bool:
        return self.undone_at is not None

    @property
    def periods_text(self) -> str:
        return "、".join(f"{unit} {year}年" for year, unit in self.periods)


@dataclass(frozen=True)
class Provenance:
    year: int
    unit: str
    field: str
    month: int
    value: Decimal
    batch_id: int
    file_name: str  # the uploaded file as the batch recorded it
    source_file: str
    source_sheet: str
    source_cell: str
    uploaded_at: dt.datetime
    uploader: str


@dataclass(frozen=True)
class StoredAccount:
    id: int
    username: str
    display_name: str
    email: str
    roles: tuple[str, ...]
    units: tuple[str, ...]
    active: bool
    password_hash: str | None
    failed_logins: int
    locked_until: dt.datetime | None


@dataclass(frozen=True)
class LoginAttempt:
    """A password login reserved before its password is checked (see `Store.reserve_login`)."""

    account: StoredAccount | None  # None: no account of that name
    number: int  # this attempt's place in the run of failures; 0: not reserved (no account, no password, locked)
    lock_after: int
    locked_until: dt.datetime | None = None  # as this attempt left it (aware UTC)


@dataclass(frozen=True)
class StoredPlan:
    """One stored version of a plan: the TOML document and who saved it, when and why."""

    id: int
    year: int
    unit: str
    number: int
    document: str
    created_at: dt.datetime
    author: str
    note: str
    origin: str
    changes: tuple[str, ...]
    sample: bool


@dataclass(frozen=True)
class Note:
    indicator_id: str
    reason: str  # 落後原因
    action: str  # 改進措施
    author: str
    updated_at: dt.datetime


@dataclass(frozen=True)
class _Incoming:
    year: int
    unit: str
    field: str
    month: int
    value: Decimal
    source_file: str
    source_sheet: str
    source_cell: str

    @property
    def key(self) -> tuple[int, str, str, int]:
        return (self.year, self.unit, self.field, self.month)


def _describe_key(year: int, unit: str, field: str, month: int, names: Mapping[str, str] | None = None) -> str:
    return f"{year}年{month}月 {unit}「{(names or {}).get(field, field)}」"


def _batch_label(batch_id: int, file_name: str) -> str:
    return f"第 {batch_id:,} 批「{file_name}」"


def _take_back(connection: Connection, attempt: LoginAttempt) -> None:
    """A right password ends the run of failures up to and including its own reserved attempt; the attempts
    reserved after it (checked in parallel) stay counted. Only the right password checked twice at the same
    moment (the owner, never a guesser) can take back more than the failures before it."""
    if attempt.account is None or not attempt.number:
        return
    table = accounts_table
    row = connection.execute(sa.select(table.c.failed_logins, table.c.locked_until)
                             .where(table.c.id == attempt.account.id).with_for_update()).one()
    failures = max(0, row.failed_logins - attempt.number)
    connection.execute(table.update().where(table.c.id == attempt.account.id).values(
        failed_logins=failures, locked_until=row.locked_until if failures >= attempt.lock_after else None))


def _stored_account(row: sa.Row) -> StoredAccount:
    return StoredAccount(row.id, row.username, row.display_name, row.email, tuple(json.loads(row.roles)),
                         tuple(json.loads(row.units)), bool(row.active), row.password_hash, row.failed_logins,
                         _aware(row.locked_until))


def _restored(value: Any, kind: sa.types.TypeEngine) -> Any:
    """A value from a backup file (JSON) or another store, as this store's column takes it."""
    if value is None:
        return None
    if isinstance(kind, sa.DateTime) and isinstance(value, str):
        return dt.datetime.fromisoformat(value)
    if isinstance(kind, sa.Boolean):
        return bool(value)
    return value


def _change_kind(before: Decimal | None, incoming: Decimal) -> str:
    if before is None:
        return CHANGE_ADDED
    return CHANGE_SAME if before == incoming else CHANGE_CHANGED


def _key_record(row: _Incoming) -> dict[str, Any]:
    return {"year": row.year, "unit": row.unit, "field": row.field, "month": row.month}


def _value_record(row: _Incoming) -> dict[str, Any]:
    return {"value": canonical_decimal(row.value), "source_file": row.source_file,
            "source_sheet": row.source_sheet, "source_cell": row.source_cell}


def _bound_key(key: tuple[int, str, str, int]) -> dict[str, Any]:
    year, unit, field, month = key
    return {"key_year": year, "key_unit": unit, "key_field": field, "key_month": month}


def _update_current() -> sa.Update:
    table = current_values_table
    return (table.update()
            .where(table.c.year == sa.bindparam("key_year"), table.c.unit == sa.bindparam("key_unit"),
                   table.c.field == sa.bindparam("key_field"), table.c.month == sa.bindparam("key_month"))
            .values(value=sa.bindparam("value"), batch_id=sa.bindparam("batch_id"),
                    source_file=sa.bindparam("source_file"), source_sheet=sa.bindparam("source_sheet"),
                    source_cell=sa.bindparam("source_cell")))


def _change_record(batch_id: int, row: _Incoming, existing: sa.Row | None) -> dict[str, Any]:
    record = {"batch_id": batch_id, **_key_record(row), **_value_record(row),
              "previous_value": None, "previous_batch_id": None, "previous_source_file": None,
              "previous_source_sheet": None, "previous_source_cell": None}
    if existing is not None:
        record.update(previous_value=existing.value, previous_batch_id=existing.batch_id,
                      previous_source_file=existing.source_file, previous_source_sheet=existing.source_sheet,
                      previous_source_cell=existing.source_cell)
    return record


def _stored_plan(row: sa.Row) -> StoredPlan:
    return StoredPlan(row.id, row.year, row.unit, row.number, row.document, _aware(row.created_at), row.author,
                      row.note, row.origin, tuple(_load_json(row.changes)), bool(row.sample))


def _batch_info(row: sa.Row, periods: tuple[tuple[int, str], ...] = ()) -> BatchInfo:
    return BatchInfo(row.id, row.file_name, row.sha256, _aware(row.uploaded_at), row.uploader, row.row_count,
                     _aware(row.undone_at), row.undone_by or "", int(row.values_set), periods)


def _text(raw: object) -> str:
    if raw is None or (isinstance(raw, float) and raw != raw):
        return ""
    return str(raw)


def _incoming_rows(frame: pd.DataFrame, names: Mapping[str, str]) -> list[_Incoming]:
    """The frame's rows as exact, typed values; a frame the readers should never produce is refused."""
    missing = [column for column in TIDY_COLUMNS if column not in frame.columns]
    if missing:
        raise InputError(Problem(f"資料表缺少欄位：{'、'.join(missing)}（程式內部錯誤，請回報）"))
    problems: list[Problem] = []
    rows: list[_Incoming] = []
    seen: dict[tuple, _Incoming] = {}
    columns = [frame[column].tolist() for column in TIDY_COLUMNS]
    names_seen: dict[str, str] = {}

    def stored_name(name: str) -> str:  # one file name repeats on every row
        if name not in names_seen:
            names_seen[name] = clean_file_name(name).text if name else ""
        return names_seen[name]

    for year, month, unit, field, value, source_file, source_sheet, source_cell in zip(*columns):
        place = {"file": _text(source_file), "sheet": _text(source_sheet), "cell": _text(source_cell),
                 "field": _text(field)}
        try:
            exact = _exact_value(value)
            row = _Incoming(int(year), _text(unit).strip(), _text(field).strip(), int(month), exact,
                            stored_name(place["file"]), without_controls(place["sheet"]), place["cell"])
        except (TypeError, ValueError, InvalidOperation, OverflowError) as error:
            problems.append(Problem(f"數值「{_text(value)}」無法儲存：{error}", value=_text(value), **place))
            continue
        if not row.unit or not row.field:
            problems.append(Problem("缺少單位或項目代碼，無法儲存", value=_text(value), **place))
            continue
        earlier = seen.get(row.key)
        if earlier is not None:
            where = f"{earlier.source_sheet} {earlier.source_cell}".strip() or "前面的列"
            problems.append(Problem(
                f"{_describe_key(*row.key, names)} 在同一個檔案中出現兩次（另一次在 {where}），請只保留一個數值",
                value=_text(value), **place))
            continue
        seen[row.key] = row
        rows.append(row)
    if problems:
        raise InputError(problems[:_MAX_PROBLEMS])
    return rows


def _exact_value(value: object) -> Decimal:
    if isinstance(value, bool) or isinstance(value, float):
        raise TypeError("必須是精確的十進位數（Decimal），不接受浮點數")
    if isinstance(value, Decimal):
        exact = value
    elif isinstance(value, (int, str)):
        exact = Decimal(str(value).strip())
    else:
        exact = Decimal(int(value))  # numpy integers
    if not exact.is_finite():
        raise ValueError("不是有限的數字")
    return Decimal(canonical_decimal(exact))


class Store:
    """The KPI store at one database URL (default: env KPI_DB_URL, else data/kpi.sqlite3)."""

    def __init__(self, url: str | None = None, *, schema: str | None = None,
                 field_names: Mapping[str, str] | None = None, lock_wait_seconds: float | None = None,
                 read_seconds: float | None = None) -> None:
        """field_names: code → Chinese name, for messages (codes are shown without it). lock_wait_seconds: how long
        a read or a write waits for another transaction's lock (default: env KPI_DB_LOCK_WAIT_SECONDS, else 8);
        read_seconds: how long one read statement may run on PostgreSQL (env KPI_DB_READ_SECONDS, else 60)."""
        self.database = Database(url, schema=schema, lock_wait_seconds=lock_wait_seconds, read_seconds=read_seconds)
        self.field_names = dict(field_names or {})
        self._audit = AuditLog(self.database)

    # ---- the database ----

    @property
    def url(self) -> str:
        return self.database.url

    @property
    def schema(self) -> str | None:
        return self.database.schema

    @property
    def lock_wait_seconds(self) -> float:
        return self.database.lock_wait_seconds

    @property
    def read_seconds(self) -> float:
        return self.database.read_seconds

    @property
    def dialect(self) -> str:
        return self.database.dialect

    @property
    def _dialect(self) -> str:
        return self.database._dialect

    @property
    def _engine(self) -> Engine:
        return self.database._engine

    @property
    def _lock_key(self) -> int:
        return self.database._lock_key

    def _errors(self, doing: str) -> AbstractContextManager[None]:
        return self.database._errors(doing)

    def _reading(self, *, whole: bool = False) -> AbstractContextManager[Connection]:
        return self.database._reading(whole=whole)

    def _write(self, action: Callable[[Connection], T], audit: Audit = None, *, store_lock: bool = True) -> T:
        return self.database._write(action, audit, store_lock=store_lock)

    def display_url(self) -> str:
        """The URL with any password masked, for showing to users."""
        return self.database.display_url()

    def close(self) -> None:
        self.database.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def stored_schema_version(self) -> int:
        with self._reading() as connection:
            return int(_stored_version(connection) or 0)

    def table_rows(self) -> Iterator[tuple[str, list[str], list[tuple]]]:
        """Every table but schema_version: (name, columns, rows in primary-key order), parents before children,
        all from one snapshot."""
        with self._reading(whole=True) as connection:
            for table in TRANSFER_TABLES:
                columns = [column.name for column in table.columns]
                order = list(table.primary_key.columns) or list(table.columns)
                rows = [tuple(row) for row in connection.execute(sa.select(table).order_by(*order))]
                yield table.name, columns, rows

    def row_counts(self) -> dict[str, int]:
        with self._reading() as connection:
            return self._counts(connection)

    def load_rows(self, tables: Iterable[tuple[str, Sequence[str], Iterable[Sequence[Any]]]]) -> dict[str, int]:
        """Fill an EMPTY store with (table, columns, rows), all in one transaction: a store with any row is refused
        and a failure leaves the store as empty as it was. Returns the rows written per table."""
        known = {table.name: table for table in TRANSFER_TABLES}

        def write(connection: Connection) -> dict[str, int]:
            filled = {name: count for name, count in self._counts(connection).items() if count}
            if filled:
                listed = "、".join(f"{TABLE_LABELS.get(name, name)} {count:,} 筆" for name, count in filled.items())
                raise StoreError(f"資料庫 {self.display_url()} 不是空的（{listed}）；只能寫入全新、空白的資料庫，"
                                 "以免與既有資料混在一起。")
            written: dict[str, int] = {}
            for name, columns, rows in tables:
                table = known.get(name)
                if table is None:
                    raise StoreError(f"不認得的資料表「{name}」：這份資料可能來自其他程式或較新的版本。")
                unknown = [column for column in columns if column not in table.columns]
                if unknown:
                    raise StoreError(f"資料表「{name}」沒有欄位 {'、'.join(unknown)}：這份資料可能來自較新的版本。")
                types = [table.columns[column].type for column in columns]
                pending = iter(rows)  # in slices, so that a file's rows are never all held at once
                while records := [{column: _restored(value, kind) for column, value, kind in zip(columns, row, types)}
                                  for row in itertools.islice(pending, 5_000)]:
                    connection.execute(table.insert(), records)
                    written[name] = written.get(name, 0) + len(records)
                written.setdefault(name, 0)
            if self._dialect == "postgresql":  # explicit ids leave the sequences behind
                for table in TRANSFER_TABLES:
                    identity = table.columns.get("id")
                    if identity is not None and identity.autoincrement is True:
                        connection.execute(sa.text(
                            f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                            f"COALESCE((SELECT MAX(id) FROM {table.name}), 0) + 1, false)"))
            return written

        with self._errors("寫入資料"):
            return self._write(write)

    def _counts(self, connection: Connection) -> dict[str, int]:
        return {table.name: int(connection.execute(sa.select(sa.func.count()).select_from(table)).scalar_one())
                for table in TRANSFER_TABLES}

    def preview(self, frame: pd.DataFrame) -> pd.DataFrame:
        """What ingesting `frame` would do, per incoming row: current, incoming and 新增/修改/相同."""
        incoming = _incoming_rows(frame, self.field_names)
        with self._errors("讀取資料"), self._reading() as connection:
            current = self._current_rows(connection, incoming)
        records = []
        for row in incoming:
            existing = current.get(row.key)
            before = Decimal(existing.value) if existing is not None else None
            records.append({
                "year": row.year, "month": row.month, "unit": row.unit, "field": row.field,
                "current": before, "incoming": row.value, "change": _change_kind(before, row.value),
            })
        columns = ["year", "month", "unit", "field", "current", "incoming", "change"]
        if not records:
            return pd.DataFrame({column: pd.Series(dtype=object) for column in columns})
        return pd.DataFrame.from_records(records, columns=columns)

    def ingest(self, frame: pd.DataFrame, *, file_name: str, file_bytes: bytes, uploader: str = "",
               audit: Audit = None) -> IngestResult:
        """Upsert an already-validated tidy frame as one batch, all or nothing."""
        return self.ingest_many([(frame, file_name, file_bytes)], uploader=uploader, audit=audit)[0]

    def ingest_many(self, files: Sequence[tuple[pd.DataFrame, str, bytes]], *, uploader: str = "",
                    audit: Audit = None) -> list[IngestResult]:
        """Several (frame, file name, file bytes) as one batch each, in order, in ONE transaction:
        either every file is stored or none is."""
        # Names are cleaned here, where every upload enters the store: no control character and no identity
        # number reaches the history, the provenance of a value or a terminal.
        cleaned = [clean_file_name(file_name) for _, file_name, _ in files]
        prepared = [(_incoming_rows(frame, self.field_names), clean.text, hashlib.sha256(file_bytes).hexdigest(),
                     clean.notice(file_name))
                    for (frame, file_name, file_bytes), clean in zip(files, cleaned)]

        def write(connection: Connection) -> list[IngestResult]:
            results = []
            for incoming, file_name, sha256, notice in prepared:
                result = self._ingest(connection, incoming, file_name, sha256, without_controls(uploader).strip())
                results.append(dataclasses.replace(result, message=notice + result.message) if notice else result)
            return results

        names = "、".join(f"「{file_name}」" for _, file_name, _, _ in prepared)
        with self._errors(f"儲存{names}"):
            return self._write(write, audit)

    def _ingest(self, connection: Connection, incoming: list[_Incoming], file_name: str, sha256: str,
                uploader: str) -> IngestResult:
        current = self._current_rows(connection, incoming)
        additions: list[_Incoming] = []
        replacements: list[tuple[_Incoming, sa.Row]] = []  # changed and same values alike
        changed = 0
        changes: list[str] = []
        for row in incoming:
            existing = current.get(row.key)
            if existing is None:
                additions.append(row)
                continue
            replacements.append((row, existing))
            if Decimal(existing.value) != row.value:
                changed += 1
                if len(changes) < CHANGES_SHOWN:
                    changes.append(f"{row.year}年{row.month}月 {row.field}：{plain_number(Decimal(existing.value))} → "
                                   f"{plain_number(row.value)}")
        same = len(replacements) - changed
        duplicate = connection.execute(
            sa.select(batches_table.c.id, batches_table.c.uploaded_at)
            .where(batches_table.c.sha256 == sha256).order_by(batches_table.c.id.desc()).limit(1)
        ).first()
        duplicate_of = duplicate.id if duplicate else None
        if not additions and not changed:
            if not incoming:
                message = f"「{file_name}」沒有任何數值，未建立新的上傳批次。"
            else:
                message = f"「{file_name}」的 {same:,} 筆數值與資料庫目前的數值完全相同，未建立新的上傳批次。"
            if duplicate is not None:
                message += f"此檔案與第 {duplicate.id:,} 批（{format_taiwan_time(_aware(duplicate.uploaded_at))} 上傳）內容相同。"
            return IngestResult(None, True, 0, 0, same, duplicate_of, message)

        batch_id = self._insert_batch(connection, file_name, sha256, uploader, len(incoming))
        self._record_changes(connection, batch_id, additions, replacements)
        self._apply_to_current(connection, batch_id, additions, replacements)
        message = (f"已儲存「{file_name}」為第 {batch_id:,} 批：新增 {len(additions):,} 筆、"
                   f"修改 {changed:,} 筆、相同 {same:,} 筆。")
        if duplicate is not None:
            message += f"此檔案曾於第 {duplicate.id:,} 批上傳過。"
        if changed > len(changes):
            changes.append(f"…另 {changed - len(changes):,} 筆修改")
        return IngestResult(batch_id, False, len(additions), changed, same, duplicate_of, message, tuple(changes))

    def _insert_batch(self, connection: Connection, file_name: str, sha256: str, uploader: str,
                      row_count: int) -> int:
        # Numbered here, under the store's write lock, rather than by a PostgreSQL sequence: a sequence skips the
        # numbers of failed writes, and people read 「第 3 批」 as the third batch.
        batch_id = connection.execute(sa.select(sa.func.coalesce(sa.func.max(batches_table.c.id), 0) + 1)).scalar_one()
        connection.execute(batches_table.insert().values(
            id=batch_id, file_name=file_name, sha256=sha256, uploaded_at=_now(), uploader=uploader,
            row_count=row_count,
        ))
        return int(batch_id)

    def _record_changes(self, connection: Connection, batch_id: int, additions: list[_Incoming],
                        replacements: list[tuple[_Incoming, sa.Row]]) -> None:
        records = [_change_record(batch_id, row, None) for row in additions]
        records += [_change_record(batch_id, row, existing) for row, existing in replacements]
        connection.execute(value_changes_table.insert(), records)

    def _apply_to_current(self, connection: Connection, batch_id: int, additions: list[_Incoming],
                          replacements: list[tuple[_Incoming, sa.Row]]) -> None:
        if additions:
            connection.execute(current_values_table.insert(), [
                {**_key_record(row), **_value_record(row), "batch_id": batch_id} for row in additions
            ])
        if replacements:
            connection.execute(_update_current(), [
                {**_bound_key(row.key), **_value_record(row), "batch_id": batch_id} for row, _ in replacements
            ])

    def _current_rows(self, connection: Connection, incoming: list[_Incoming]) -> dict[tuple, sa.Row]:
        if not incoming:
            return {}
        table = current_values_table
        years = sorted({row.year for row in incoming})
        units = sorted({row.unit for row in incoming})
        wanted = {row.key for row in incoming}
        result = connection.execute(sa.select(table).where(table.c.year.in_(years), table.c.unit.in_(units)))
        rows = {}
        for row in result:
            key = (row.year, row.unit, row.field, row.month)
            if key in wanted:
                rows[key] = row
        return rows

    def current_frame(self, year: int | None = None, unit: str | None = None) -> pd.DataFrame:
        """The values now in effect as a tidy frame, plus batch_id, uploaded_at, uploader."""
        table = current_values_table
        query = (sa.select(table, batches_table.c.uploaded_at, batches_table.c.uploader)
                 .join(batches_table, batches_table.c.id == table.c.batch_id)
                 .order_by(table.c.year, table.c.unit, table.c.month, table.c.field))
        if year is not None:
            query = query.where(table.c.year == year)
        if unit is not None:
            query = query.where(table.c.unit == unit)
        with self._errors("讀取資料"), self._reading() as connection:
            rows = connection.execute(query).all()
        columns = [*TIDY_COLUMNS, "batch_id", "uploaded_at", "uploader"]
        if not rows:
            frame = empty_tidy_frame()
            for column in ("batch_id", "uploaded_at", "uploader"):
                frame[column] = pd.Series(dtype=object)
            return frame[columns]
        records = [{
            "year": row.year, "month": row.month, "unit": row.unit, "field": row.field,
            "value": Decimal(row.value), "source_file": row.source_file, "source_sheet": row.source_sheet,
            "source_cell": row.source_cell, "batch_id": row.batch_id,
            "uploaded_at": _aware(row.uploaded_at), "uploader": row.uploader,
        } for row in rows]
        frame = pd.DataFrame.from_records(records, columns=columns)
        frame["value"] = frame["value"].astype(object)
        return frame

    def value_provenance(self, year: int, unit: str, field: str, month: int) -> Provenance | None:
        table = current_values_table
        query = (sa.select(table, batches_table.c.file_name, batches_table.c.uploaded_at, batches_table.c.uploader)
                 .join(batches_table, batches_table.c.id == table.c.batch_id)
                 .where(table.c.year == year, table.c.unit == unit, table.c.field == field,
                        table.c.month == month))
        with self._errors("讀取資料"), self._reading() as connection:
            row = connection.execute(query).first()
        if row is None:
            return None
        return Provenance(row.year, row.unit, row.field, row.month, Decimal(row.value), row.batch_id,
                          row.file_name, row.source_file, row.source_sheet, row.source_cell,
                          _aware(row.uploaded_at), row.uploader)

    def years_and_units(self) -> list[tuple[int, str]]:
        table = current_values_table
        query = sa.select(table.c.year, table.c.unit).distinct().order_by(table.c.year, table.c.unit)
        with self._errors("讀取資料"), self._reading() as connection:
            return [(row.year, row.unit) for row in connection.execute(query)]

    def is_empty(self) -> bool:
        """True while no value is in effect (nothing uploaded, or everything undone)."""
        with self._errors("讀取資料"), self._reading() as connection:
            return connection.execute(sa.select(current_values_table.c.year).limit(1)).first() is None

    def history(self, *, year: int | None = None, unit: str | None = None) -> list[BatchInfo]:
        """Every batch, newest first; with `year` or `unit`, only the batches that set figures of them."""
        changes = value_changes_table
        counts = (sa.select(changes.c.batch_id, sa.func.count().label("values_set"))
                  .group_by(changes.c.batch_id).subquery())
        query = (sa.select(batches_table, sa.func.coalesce(counts.c.values_set, 0).label("values_set"))
                 .outerjoin(counts, counts.c.batch_id == batches_table.c.id)
                 .order_by(batches_table.c.id.desc()))
        periods_query = sa.select(changes.c.batch_id, changes.c.year, changes.c.unit).distinct()
        with self._errors("讀取上傳紀錄"), self._reading() as connection:
            rows = connection.execute(query).all()
            periods: dict[int, list[tuple[int, str]]] = {}
            for row in connection.execute(periods_query):
                periods.setdefault(row.batch_id, []).append((row.year, row.unit))
        batches = [_batch_info(row, tuple(sorted(periods.get(row.id, [])))) for row in rows]
        if year is not None or unit is not None:
            batches = [batch for batch in batches
                       if any((year is None or batch_year == year) and (unit is None or batch_unit == unit)
                              for batch_year, batch_unit in batch.periods)]
        return batches

    def batch(self, batch_id: int) -> BatchInfo:
        for info in self.history():
            if info.id == batch_id:
                return info
        raise StoreError(f"找不到第 {batch_id:,} 批上傳紀錄。")

    def batch_values(self, batch_id: int) -> pd.DataFrame:
        """What a batch set (value) and what it replaced (previous; None where it created the value)."""
        table = value_changes_table
        with self._errors("讀取上傳紀錄"), self._reading() as connection:
            if connection.execute(sa.select(batches_table.c.id).where(batches_table.c.id == batch_id)).first() is None:
                raise StoreError(f"找不到第 {batch_id:,} 批上傳紀錄。")
            rows = connection.execute(sa.select(table).where(table.c.batch_id == batch_id).order_by(table.c.id)).all()
        columns = ["year", "month", "unit", "field", "value", "previous", "previous_batch_id", "change",
                   "source_file", "source_sheet", "source_cell"]
        records = [{
            "year": row.year, "month": row.month, "unit": row.unit, "field": row.field,
            "value": Decimal(row.value),
            "previous": Decimal(row.previous_value) if row.previous_value is not None else None,
            "previous_batch_id": row.previous_batch_id,
            "change": _change_kind(None if row.previous_value is None else Decimal(row.previous_value),
                                   Decimal(row.value)),
            "source_file": row.source_file, "source_sheet": row.source_sheet, "source_cell": row.source_cell,
        } for row in rows]
        if not records:
            return pd.DataFrame({column: pd.Series(dtype=object) for column in columns})
        frame = pd.DataFrame.from_records(records, columns=columns)
        frame["previous_batch_id"] = frame["previous_batch_id"].astype(object)
        return frame

    def undo(self, batch_id: int, *, user: str = "", audit: Audit = None) -> UndoResult:
        """Restore exactly what was there before the batch; refused if a later batch changed the same values."""
        with self._errors(f"復原第 {batch_id:,} 批"):
            return self._write(lambda connection: self._undo(connection, batch_id, user.strip()), audit)

    def _undo(self, connection: Connection, batch_id: int, user: str) -> UndoResult:
        batch = connection.execute(sa.select(batches_table).where(batches_table.c.id == batch_id)).first()
        if batch is None:
            raise StoreError(f"找不到第 {batch_id:,} 批上傳紀錄，無法復原。")
        label = _batch_label(batch.id, batch.file_name)
        if batch.undone_at is not None:
            raise StoreError(f"{label}已於 {format_taiwan_time(_aware(batch.undone_at))} 復原過，不能重複復原。")
        changes = connection.execute(
            sa.select(value_changes_table).where(value_changes_table.c.batch_id == batch_id)
            .order_by(value_changes_table.c.id)
        ).all()
        table = current_values_table
        current = {
            (row.year, row.unit, row.field, row.month): row
            for row in connection.execute(
                sa.select(table.c.year, table.c.unit, table.c.field, table.c.month, table.c.batch_id)
                .where(table.c.year.in_(sorted({c.year for c in changes})),
                       table.c.unit.in_(sorted({c.unit for c in changes})))
            )
        }
        blocked: dict[int, list[tuple]] = {}
        for change in changes:
            key = (change.year, change.unit, change.field, change.month)
            holder = current.get(key)
            if holder is None or holder.batch_id != batch_id:
                blocked.setdefault(holder.batch_id if holder is not None else 0, []).append(key)
        if blocked:
            raise StoreError(self._blocked_message(connection, label, batch_id, blocked))

        restores = [change for change in changes if change.previous_value is not None]
        removals = [change for change in changes if change.previous_value is None]
        if restores:
            connection.execute(_update_current(), [{
                **_bound_key((c.year, c.unit, c.field, c.month)), "value": c.previous_value,
                "batch_id": c.previous_batch_id, "source_file": c.previous_source_file or "",
                "source_sheet": c.previous_source_sheet or "", "source_cell": c.previous_source_cell or "",
            } for c in restores])
        if removals:
            connection.execute(
                table.delete().where(table.c.year == sa.bindparam("key_year"), table.c.unit == sa.bindparam("key_unit"),
                                     table.c.field == sa.bindparam("key_field"),
                                     table.c.month == sa.bindparam("key_month")),
                [_bound_key((c.year, c.unit, c.field, c.month)) for c in removals],
            )
        self._mark_undone(connection, batch_id, user)
        unchanged = sum(Decimal(change.previous_value) == Decimal(change.value) for change in restores)
        restored = len(restores) - unchanged
        message = f"已復原{label}：{counts_text(restored, len(removals), unchanged, done=True)}。"
        return UndoResult(batch_id, restored, len(removals), message, unchanged)

    def _mark_undone(self, connection: Connection, batch_id: int, user: str) -> None:
        connection.execute(batches_table.update().where(batches_table.c.id == batch_id)
                           .values(undone_at=_now(), undone_by=user))

    def _blocked_message(self, connection: Connection, label: str, batch_id: int,
                         blocked: dict[int, list[tuple]]) -> str:
        if 0 in blocked:  # the stack discipline makes this impossible; say so rather than guess
            return f"無法復原{label}：資料庫中的數值與上傳紀錄不一致（{_describe_key(*blocked[0][0], self.field_names)}），請聯絡系統管理者。"
        later = connection.execute(
            sa.select(batches_table).where(batches_table.c.id.in_(sorted(blocked))).order_by(batches_table.c.id.desc())
        ).all()
        parts = []
        for batch in later:
            keys = blocked[batch.id]
            parts.append(f"{_batch_label(batch.id, batch.file_name)}（{format_taiwan_time(_aware(batch.uploaded_at))} 上傳）"
                         f"也填報了其中 {len(keys):,} 筆數值，例如 {_describe_key(*keys[0], self.field_names)}")
        order = "、".join(f"第 {batch.id:,} 批" for batch in later)
        return (f"無法復原{label}：之後的" + "；".join(parts) +
                f"。請先復原{order}，再復原第 {batch_id:,} 批。")

    def save_note(self, year: int, unit: str, month: int, indicator_id: str, reason: str, action: str,
                  author: str = "", audit: Audit = None) -> None:
        """Save 落後原因 and 改進措施 of one indicator in one month (both empty clears it); every text saved stays
        in the notes' history, so replacing a note never loses what it said."""
        key = {"year": int(year), "unit": unit, "month": int(month), "indicator_id": str(indicator_id)}
        now = _now()
        values = {"reason": reason.strip(), "action": action.strip(), "author": author.strip(), "updated_at": now}
        table = notes_table
        where = sa.and_(*(table.c[name] == value for name, value in key.items()))

        def write(connection: Connection) -> None:
            connection.execute(table.delete().where(where))
            if values["reason"] or values["action"]:
                connection.execute(table.insert().values(**key, **values))
            connection.execute(notes_history_table.insert().values(
                **key, reason=values["reason"], action=values["action"], author=values["author"], saved_at=now))

        with self._errors("儲存說明"):
            self._write(write, audit)

    def note_history(self, year: int, unit: str, month: int, indicator_id: str) -> list[Note]:
        """Every text saved for one indicator in one month, newest first."""
        table = notes_history_table
        query = (sa.select(table).where(table.c.year == int(year), table.c.unit == unit, table.c.month == int(month),
                                        table.c.indicator_id == str(indicator_id))
                 .order_by(table.c.id.desc()))
        with self._errors("讀取說明"), self._reading() as connection:
            return [Note(row.indicator_id, row.reason, row.action, row.author, _aware(row.saved_at))
                    for row in connection.execute(query)]

    def notes(self, year: int, unit: str, month: int) -> dict[str, Note]:
        table = notes_table
        query = sa.select(table).where(table.c.year == year, table.c.unit == unit, table.c.month == month)
        with self._errors("讀取說明"), self._reading() as connection:
            return {row.indicator_id: Note(row.indicator_id, row.reason, row.action, row.author,
                                           _aware(row.updated_at))
                    for row in connection.execute(query)}

    def save_scenario(self, year: int, unit: str, name: str, payload: dict, *, audit: Audit = None) -> None:
        name = name.strip()
        if not name:
            raise InputError(Problem("情境名稱不可空白，請輸入名稱後再儲存。", field="情境名稱"))
        text = _dump_json(payload)
        table = scenarios_table
        where = sa.and_(table.c.year == int(year), table.c.unit == unit, table.c.name == name)

        def write(connection: Connection) -> None:
            now = _now()
            updated = connection.execute(table.update().where(where).values(payload=text, updated_at=now))
            if updated.rowcount == 0:
                connection.execute(table.insert().values(year=int(year), unit=unit, name=name, payload=text,
                                                         created_at=now, updated_at=now))

        with self._errors(f"儲存情境「{name}」"):
            self._write(write, audit)

    def scenarios(self, year: int, unit: str) -> list[str]:
        """The names of the scenarios saved for one unit's plan of one year."""
        table = scenarios_table
        query = (sa.select(table.c.name).where(table.c.year == int(year), table.c.unit == unit)
                 .order_by(table.c.name))
        with self._errors("讀取情境"), self._reading() as connection:
            return list(connection.execute(query).scalars())

    def load_scenario(self, year: int, unit: str, name: str) -> dict:
        table = scenarios_table
        query = sa.select(table.c.payload).where(table.c.year == int(year), table.c.unit == unit,
                                                 table.c.name == name.strip())
        with self._errors(f"讀取情境「{name}」"), self._reading() as connection:
            text = connection.execute(query).scalar()
        if text is None:
            raise StoreError(f"找不到 {unit} {year} 年度名為「{name}」的情境，可能已被刪除。")
        return _load_json(text)

    def delete_scenario(self, year: int, unit: str, name: str, *, audit: Audit = None) -> None:
        """Delete a scenario; deleting one that is already gone does nothing."""
        table = scenarios_table
        where = sa.and_(table.c.year == int(year), table.c.unit == unit, table.c.name == name.strip())
        with self._errors(f"刪除情境「{name}」"):
            self._write(lambda connection: connection.execute(table.delete().where(where)), audit)

    def save_mapping(self, source: str, signature: str, mapping: dict, *, year: int, unit: str,
                     audit: Audit = None) -> None:
        table = column_mappings_table
        text = _dump_json(mapping)
        where = sa.and_(table.c.year == int(year), table.c.unit == unit, table.c.source == source,
                        table.c.signature == signature)

        def write(connection: Connection) -> None:
            connection.execute(table.delete().where(where))
            connection.execute(table.insert().values(year=int(year), unit=unit, source=source, signature=signature,
                                                     mapping=text, updated_at=_now()))

        with self._errors("儲存欄位對應"):
            self._write(write, audit)

    def load_mapping(self, source: str, signature: str, *, year: int, unit: str) -> dict | None:
        """The unit's mapping for this header row: the one saved for that year, else its latest earlier one
        (an export keeps its layout from one year to the next)."""
        table = column_mappings_table
        query = (sa.select(table.c.mapping)
                 .where(table.c.unit == unit, table.c.source == source, table.c.signature == signature,
                        table.c.year <= int(year))
                 .order_by(table.c.year.desc()).limit(1))
        with self._errors("讀取欄位對應"), self._reading() as connection:
            text = connection.execute(query).scalar()
        return None if text is None else _load_json(text)

    def save_plan_version(self, year: int, unit: str, document: str, *, author: str = "", note: str = "",
                          origin: str = "", changes: Sequence[str] = (), sample: bool = False,
                          audit: Audit = None) -> StoredPlan:
        """Add the next version of a (year, unit)'s plan; earlier versions are kept as they were."""
        def write(connection: Connection) -> StoredPlan:
            return self._insert_plan_version(connection, int(year), unit, document, author.strip(), note.strip(),
                                             origin, list(changes), sample)

        with self._errors(f"儲存 {unit} {year} 年度計畫"):
            return self._write(write, audit)

    def seed_plans(self, plans: Sequence[tuple[int, str, str, str, bool]], *, author: str,
                   audit: Audit = None) -> list[StoredPlan]:
        """Each (year, unit, document, origin, sample) that has no version yet becomes its version 1, in one
        transaction; plans already in the store are left as they are (the store is the truth once seeded)."""
        def write(connection: Connection) -> list[StoredPlan]:
            table = plan_versions_table
            present = {(row.year, row.unit) for row in connection.execute(sa.select(table.c.year, table.c.unit).distinct())}
            return [self._insert_plan_version(connection, year, unit, document, author, "由計畫檔建立", origin, [],
                                              sample)
                    for year, unit, document, origin, sample in plans if (year, unit) not in present]

        if not plans:
            return []
        with self._errors("建立計畫"):
            return self._write(write, audit)

    def _insert_plan_version(self, connection: Connection, year: int, unit: str, document: str, author: str,
                             note: str, origin: str, changes: list[str], sample: bool) -> StoredPlan:
        table = plan_versions_table
        latest = connection.execute(sa.select(sa.func.max(table.c.number))
                                    .where(table.c.year == year, table.c.unit == unit)).scalar()
        number = (latest or 0) + 1
        created_at = _now()
        result = connection.execute(table.insert().values(
            year=year, unit=unit, number=number, document=document, created_at=created_at, author=author, note=note,
            origin=origin, changes=_dump_json(changes), sample=sample))
        return StoredPlan(int(result.inserted_primary_key[0]), year, unit, number, document, _aware(created_at),
                          author, note, origin, tuple(changes), sample)

    def plan_versions(self, year: int | None = None, unit: str | None = None, *,
                      latest_only: bool = False) -> list[StoredPlan]:
        """Stored plan versions, oldest first; `latest_only`: the version in force of each (year, unit)."""
        table = plan_versions_table
        query = sa.select(table).order_by(table.c.year, table.c.unit, table.c.number)
        if year is not None:
            query = query.where(table.c.year == int(year))
        if unit is not None:
            query = query.where(table.c.unit == unit)
        if latest_only:
            newest = (sa.select(table.c.year, table.c.unit, sa.func.max(table.c.number).label("number"))
                      .group_by(table.c.year, table.c.unit).subquery())
            query = query.join(newest, sa.and_(table.c.year == newest.c.year, table.c.unit == newest.c.unit,
                                               table.c.number == newest.c.number))
        with self._errors("讀取計畫"), self._reading() as connection:
            return [_stored_plan(row) for row in connection.execute(query)]

    def plan_version(self, year: int, unit: str, number: int | None = None) -> StoredPlan | None:
        """One version of a (year, unit)'s plan (the latest when `number` is None), or None."""
        versions = self.plan_versions(year, unit)
        if number is None:
            return versions[-1] if versions else None
        return next((version for version in versions if version.number == number), None)

    def record(self, entries: Sequence[AuditEntry]) -> None:
        return self._audit.record(entries)

    def account_count(self) -> int:
        with self._errors("讀取帳號"), self._reading() as connection:
            return int(connection.execute(sa.select(sa.func.count()).select_from(accounts_table)).scalar())

    def accounts(self) -> list[StoredAccount]:
        with self._errors("讀取帳號"), self._reading() as connection:
            return [_stored_account(row) for row in
                    connection.execute(sa.select(accounts_table).order_by(accounts_table.c.username))]

    def account(self, *, username: str | None = None, email: str | None = None,
                account_id: int | None = None) -> StoredAccount | None:
        table = accounts_table
        if username is not None:
            where = sa.func.lower(table.c.username) == username.strip().lower()
        elif email is not None:
            where = sa.and_(sa.func.lower(table.c.email) == email.strip().lower(), table.c.email != "")
        else:
            where = table.c.id == account_id
        with self._errors("讀取帳號"), self._reading() as connection:
            row = connection.execute(sa.select(table).where(where)).first()
        return None if row is None else _stored_account(row)

    def add_account(self, username: str, *, display_name: str, email: str, roles: Sequence[str],
                    units: Sequence[str], password_hash: str | None, audit: Audit = None,
                    only_if_none: bool = False) -> StoredAccount:
        """A new account; `only_if_none`: refused when any account exists (the first administrator, created
        once even when two people open a fresh install at the same moment)."""
        table = accounts_table

        def write(connection: Connection) -> StoredAccount:
            if only_if_none and connection.execute(sa.select(table.c.id).limit(1)).first() is not None:
                raise StoreError("已經有帳號，第一位系統管理者已建立；請登入。")
            taken = connection.execute(sa.select(table.c.id).where(
                sa.func.lower(table.c.username) == username.lower())).first()
            if taken is not None:
                raise StoreError(f"帳號「{username}」已經存在，請換一個帳號名稱。")
            now = _now()
            result = connection.execute(table.insert().values(
                username=username, display_name=display_name, email=email, roles=json.dumps(list(roles)),
                units=json.dumps(list(units), ensure_ascii=False), active=True, password_hash=password_hash,
                failed_logins=0, locked_until=None, created_at=now, updated_at=now))
            row = connection.execute(sa.select(table).where(table.c.id == result.inserted_primary_key[0])).one()
            return _stored_account(row)

        with self._errors(f"建立帳號「{username}」"):
            return self._write(write, audit)

    def update_account(self, account_id: int, *, audit: Audit = None,
                       check: Callable[[list[StoredAccount]], None] | None = None, **values: Any) -> None:
        """Change an account's roles, units, names, active flag or password hash (never its username). `check` is
        given every account as stored once the write lock is held, and raises to refuse: a rule about all
        accounts (an administrator remains) holds even when two servers change accounts at the same moment."""
        allowed_columns = {"display_name", "email", "roles", "units", "active", "password_hash", "failed_logins",
                           "locked_until"}
        unknown = set(values) - allowed_columns
        if unknown:
            raise StoreError(f"帳號沒有這些欄位：{'、'.join(sorted(unknown))}")
        for name in ("roles", "units"):
            if name in values:
                values[name] = json.dumps(list(values[name]), ensure_ascii=False)
        values["updated_at"] = _now()
        table = accounts_table

        def write(connection: Connection) -> None:
            if check is not None:
                check([_stored_account(row) for row in connection.execute(sa.select(table).order_by(table.c.id))])
            connection.execute(table.update().where(table.c.id == account_id).values(**values))

        with self._errors("更新帳號"):
            self._write(write, audit)

    def reserve_login(self, username: str, *, lock_after: int, lock_for: dt.timedelta,
                      now: dt.datetime | None = None) -> LoginAttempt:
        """Count a password login as failed before its password is checked, in one short transaction holding the
        account's row (PostgreSQL: FOR UPDATE; SQLite: the write lock): of any number of parallel attempts only
        `lock_after` in a row are checked; the one that reaches it locks the account for `lock_for`, and while
        locked nothing is reserved. A lock that has run out starts the count again. A success takes its attempt
        and those before it back (`start_session(attempt=…)`); the failures reserved after it stay counted."""
        table = accounts_table
        now = now.astimezone(dt.timezone.utc).replace(tzinfo=None) if now is not None else _now()

        def write(connection: Connection) -> LoginAttempt:
            row = connection.execute(sa.select(table).where(
                sa.func.lower(table.c.username) == username.strip().lower()).with_for_update()).first()
            if row is None:
                return LoginAttempt(None, 0, lock_after)
            stored = _stored_account(row)
            if row.password_hash is None or (row.locked_until is not None and row.locked_until > now):
                return LoginAttempt(stored, 0, lock_after, stored.locked_until)
            number = (0 if row.locked_until is not None else row.failed_logins) + 1
            locked = now + lock_for if number >= lock_after else None
            connection.execute(table.update().where(table.c.id == row.id)
                               .values(failed_logins=number, locked_until=locked))
            return LoginAttempt(stored, number, lock_after, _aware(locked))

        with self._errors("登入"):
            return self._write(write, store_lock=False)

    def take_back_login(self, attempt: LoginAttempt, *, audit: Audit = None) -> None:
        """A reserved attempt whose password was right but that starts no session (a disabled account)."""
        with self._errors("登入"):
            self._write(lambda connection: _take_back(connection, attempt), audit)

    def start_session(self, account_id: int, token_hash: str, method: str, *, audit: Audit = None,
                      attempt: LoginAttempt | None = None) -> bool:
        """attempt: the reserved password login this session is for; without one (single sign-on) the count of
        failures starts again. False, and no session, when the account's password was changed or the account
        disabled while the password was being checked (a reset ends every session; this one must not slip in)."""
        def write(connection: Connection) -> bool:
            now = _now()
            if attempt is None:
                connection.execute(accounts_table.update().where(accounts_table.c.id == account_id)
                                   .values(failed_logins=0, locked_until=None))
            else:
                row = connection.execute(sa.select(accounts_table.c.password_hash, accounts_table.c.active)
                                         .where(accounts_table.c.id == account_id).with_for_update()).first()
                if row is None or not row.active or row.password_hash != attempt.account.password_hash:
                    return False
                _take_back(connection, attempt)
            connection.execute(login_sessions_table.insert().values(
                token_hash=token_hash, account_id=account_id, method=method, created_at=now, last_seen_at=now))
            return True

        with self._errors("登入"):
            return self._write(write, audit)

    def session(self, token_hash: str
                ) -> tuple[StoredAccount, dt.datetime, dt.datetime | None, dt.datetime] | None:
        """(account, last seen, ended, started) of a login session, or None for a token that was never issued."""
        sessions, table = login_sessions_table, accounts_table
        query = (sa.select(table, sessions.c.last_seen_at, sessions.c.ended_at,
                           sessions.c.created_at.label("session_started_at"))
                 .join(sessions, sessions.c.account_id == table.c.id).where(sessions.c.token_hash == token_hash))
        with self._errors("讀取登入狀態"), self._reading() as connection:
            row = connection.execute(query).first()
        if row is None:
            return None
        return _stored_account(row), _aware(row.last_seen_at), _aware(row.ended_at), _aware(row.session_started_at)

    def touch_session(self, token_hash: str) -> None:
        table = login_sessions_table
        with self._errors("更新登入狀態"):
            self._write(lambda connection: connection.execute(
                table.update().where(table.c.token_hash == token_hash).values(last_seen_at=_now())), store_lock=False)

    def end_session(self, token_hash: str, *, audit: Audit = None) -> None:
        table = login_sessions_table
        with self._errors("登出"):
            self._write(lambda connection: connection.execute(
                table.update().where(table.c.token_hash == token_hash, table.c.ended_at.is_(None))
                .values(ended_at=_now())), audit)

    def end_sessions_of(self, account_id: int) -> None:
        table = login_sessions_table
        with self._errors("結束登入"):
            self._write(lambda connection: connection.execute(
                table.update().where(table.c.account_id == account_id, table.c.ended_at.is_(None))
                .values(ended_at=_now())))

    def settings(self) -> dict[str, str]:
        with self._errors("讀取設定"), self._reading() as connection:
            return {row.key: row.value for row in connection.execute(sa.select(settings_table))}

    def save_settings(self, values: Mapping[str, str], *, audit: Audit = None) -> None:
        table = settings_table

        def write(connection: Connection) -> None:
            for key, value in values.items():
                connection.execute(table.delete().where(table.c.key == key))
                connection.execute(table.insert().values(key=key, value=str(value)))

        with self._errors("儲存設定"):
            self._write(write, audit)

    def audit_log(self, *, since: dt.datetime | None = None, until: dt.datetime | None = None,
                  account: str | None = None, action: str | None = None, unit: str | None = None,
                  outcome: Outcome | None = None, limit: int | None = None) -> list[AuditRow]:
        return self._audit.audit_log(since=since, until=until, account=account, action=action, unit=unit,
                                     outcome=outcome, limit=limit)

    def audit_actions(self) -> list[str]:
        return self._audit.audit_actions()

    def verify_audit_chain(self, anchor: tuple[int, str] | None = None) -> audit_chain.ChainReport:
        return self._audit.verify_audit_chain(anchor)

    def data_version(self) -> tuple[int, int, int]:
        """What the figures and plans in effect depend on, in one cheap query: a change of any upload, undo or
        plan version changes it, whichever process made it."""
        query = sa.select(
            sa.select(sa.func.coalesce(sa.func.max(batches_table.c.id), 0)).scalar_subquery(),
            sa.select(sa.func.count(batches_table.c.undone_at)).scalar_subquery(),
            sa.select(sa.func.coalesce(sa.func.max(plan_versions_table.c.id), 0)).scalar_subquery(),
        )
        with self._errors("讀取資料"), self._reading() as connection:
            row = connection.execute(query).one()
        return int(row[0]), int(row[1]), int(row[2])
