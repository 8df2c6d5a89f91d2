"""The audit trail: its rows, written with every change in the same transaction and chained by hash, and the
queries and verification of it."""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from metrics.errors import StoreOperation
from metrics.store import audit_chain
from metrics.store.repository import Repository
from metrics.store.schema import _aware, _now, audit_table

class Outcome(str, enum.Enum):
    """How an attempt ended, as the audit trail shows it."""

    ALLOWED = "允許"
    DENIED = "拒絕"
    FAILED = "失敗"


@dataclass(frozen=True)
class AuditEntry:
    """One row of the audit trail: who did (or tried) what, to which unit and year, and what changed."""

    account: str
    action: str
    outcome: Outcome
    subject: str = ""
    detail: str = ""
    unit: str = ""
    year: int | None = None


@dataclass(frozen=True)
class AuditRow(AuditEntry):
    id: int = 0
    at: dt.datetime | None = None


Audit = Sequence[AuditEntry] | Callable[[Any], Sequence[AuditEntry]] | None


class AuditLog(Repository):
    """The audit trail's rows on their own, its queries and the verification of its hash chain."""

    def record(self, entries: Sequence[AuditEntry]) -> None:
        """Audit rows on their own: a denial, a failed login (nothing else is written with them)."""
        with self._errors(StoreOperation.WRITE_AUDIT):
            self._write(lambda connection: _insert_audit(connection, entries))

    def audit_log(self, *, since: dt.datetime | None = None, until: dt.datetime | None = None,
                  account: str | None = None, action: str | None = None, unit: str | None = None,
                  outcome: Outcome | None = None, limit: int | None = None) -> list[AuditRow]:
        """The audit trail, newest first, filtered; there is no way to change or delete a row of it. `account`
        matches what an account did (part of its name) and what was done to it (an account change names it)."""
        table = audit_table
        query = sa.select(table).order_by(table.c.id.desc())
        if since is not None:
            query = query.where(table.c.at >= since.astimezone(dt.timezone.utc).replace(tzinfo=None))
        if until is not None:
            query = query.where(table.c.at < until.astimezone(dt.timezone.utc).replace(tzinfo=None))
        if account:
            query = query.where(sa.or_(table.c.account.icontains(account, autoescape=True),
                                       sa.func.lower(table.c.subject) == account.strip().lower()))
        if action:
            query = query.where(table.c.action == action)
        if unit:
            query = query.where(table.c.unit == unit)
        if outcome is not None:
            query = query.where(table.c.outcome == Outcome(outcome).value)
        if limit is not None:
            query = query.limit(limit)
        with self._errors(StoreOperation.READ_AUDIT), self._reading() as connection:
            return [AuditRow(row.account, row.action, Outcome(row.outcome), row.subject, row.detail, row.unit,
                             row.year, row.id, _aware(row.at)) for row in connection.execute(query)]

    def audit_actions(self) -> list[str]:
        """The actions the audit trail holds, for a filter's choices."""
        with self._errors(StoreOperation.READ_AUDIT), self._reading() as connection:
            return sorted(connection.execute(sa.select(audit_table.c.action).distinct()).scalars())

    def verify_audit_chain(self, anchor: tuple[int, str] | None = None) -> audit_chain.ChainReport:
        """Walk the audit trail's hash chain in id order, streamed, up to the first broken row; `anchor`
        (id, row_hash) written down earlier must still be there."""
        table = audit_table

        def rows(connection: Connection) -> Iterator[audit_chain.ChainRow]:
            result = connection.execute(sa.select(table).order_by(table.c.id), execution_options={"yield_per": 2_000})
            for row in result.mappings():
                yield _chain_row(row)

        with self._errors(StoreOperation.VERIFY_AUDIT), self._reading(whole=True) as connection:
            return audit_chain.walk(rows(connection), _ChainLookup(connection), anchor)


def _insert_audit(connection: Connection, entries: Sequence[AuditEntry]) -> None:
    now = _now()
    records = [{
        "at": now, "account": entry.account, "action": entry.action, "outcome": Outcome(entry.outcome).value,
        "unit": entry.unit or "", "year": entry.year, "subject": entry.subject[:500], "detail": entry.detail[:20_000],
    } for entry in entries]
    if not records:
        return
    _chain_audit(connection, records)
    connection.execute(audit_table.insert(), records)


def _chain_audit(connection: Connection, records: list[dict[str, Any]]) -> None:
    """Give the rows about to be written their ids and hashes, following the last row written. Every writer of
    the audit trail holds the store's write lock (SQLite: BEGIN IMMEDIATE; PostgreSQL: the advisory lock) until
    it commits, so no two read the same last row and the chain never forks; on PostgreSQL a lock of the audit
    trail's own is taken too, in case a writer without the store's lock ever writes an audit row. Ids are
    counted here rather than by a sequence, which a rolled-back transaction would leave with a gap that looks
    like a deleted row."""
    if connection.dialect.name == "postgresql":
        connection.execute(sa.text("SELECT pg_advisory_xact_lock(hashtext('kpi-audit-chain:' || current_schema()))"))
    table = audit_table
    last = connection.execute(sa.select(table.c.id, table.c.row_hash).order_by(table.c.id.desc()).limit(1)).first()
    next_id = (last.id if last is not None else 0) + 1
    previous = (last.row_hash if last is not None else None) or audit_chain.GENESIS
    for record in records:
        record["id"] = next_id
        record["previous_hash"] = previous
        record["row_hash"] = previous = audit_chain.row_hash(previous, record)
        next_id += 1


def _chain_row(row: Mapping[str, Any]) -> audit_chain.ChainRow:
    computed = audit_chain.row_hash(row["previous_hash"], row) if row["previous_hash"] else None
    return audit_chain.ChainRow(row["id"], _aware(row["at"]), row["account"], row["action"], row["previous_hash"],
                                row["row_hash"], computed)


class _ChainLookup:
    """audit_chain.Lookup on an open connection."""

    def __init__(self, connection: Connection) -> None:
        self.connection = connection

    def holder_of(self, hashed: str) -> int | None:
        table = audit_table
        return self.connection.execute(sa.select(sa.func.min(table.c.id)).where(table.c.row_hash == hashed)).scalar()

    def row_after(self, row_id: int) -> audit_chain.ChainRow | None:
        table = audit_table
        row = self.connection.execute(sa.select(table).where(table.c.id > row_id).order_by(table.c.id).limit(1))
        found = row.mappings().first()
        return None if found is None else _chain_row(found)

    def hash_of(self, row_id: int) -> str | None:
        table = audit_table
        return self.connection.execute(sa.select(table.c.row_hash).where(table.c.id == row_id)).scalar()
