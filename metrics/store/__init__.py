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
from metrics.store.figures import (CHANGE_ADDED, CHANGE_CHANGED, CHANGE_SAME, CHANGES_SHOWN, BatchInfo, Figures,
                                   IngestResult, Provenance, UndoResult)

T = TypeVar("T")


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


def _stored_plan(row: sa.Row) -> StoredPlan:
    return StoredPlan(row.id, row.year, row.unit, row.number, row.document, _aware(row.created_at), row.author,
                      row.note, row.origin, tuple(_load_json(row.changes)), bool(row.sample))


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
        self._figures = Figures(self.database, self.field_names)
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
        return self._figures.preview(frame)

    def ingest(self, frame: pd.DataFrame, *, file_name: str, file_bytes: bytes, uploader: str = "",
               audit: Audit = None) -> IngestResult:
        return self._figures.ingest(frame, file_name=file_name, file_bytes=file_bytes, uploader=uploader, audit=audit)

    def ingest_many(self, files: Sequence[tuple[pd.DataFrame, str, bytes]], *, uploader: str = "",
                    audit: Audit = None) -> list[IngestResult]:
        return self._figures.ingest_many(files, uploader=uploader, audit=audit)

    def current_frame(self, year: int | None = None, unit: str | None = None) -> pd.DataFrame:
        return self._figures.current_frame(year, unit)

    def value_provenance(self, year: int, unit: str, field: str, month: int) -> Provenance | None:
        return self._figures.value_provenance(year, unit, field, month)

    def years_and_units(self) -> list[tuple[int, str]]:
        return self._figures.years_and_units()

    def is_empty(self) -> bool:
        return self._figures.is_empty()

    def history(self, *, year: int | None = None, unit: str | None = None) -> list[BatchInfo]:
        return self._figures.history(year=year, unit=unit)

    def batch(self, batch_id: int) -> BatchInfo:
        return self._figures.batch(batch_id)

    def batch_values(self, batch_id: int) -> pd.DataFrame:
        return self._figures.batch_values(batch_id)

    def undo(self, batch_id: int, *, user: str = "", audit: Audit = None) -> UndoResult:
        return self._figures.undo(batch_id, user=user, audit=audit)

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
        return self._figures.data_version()
