"""The audit trail's hash chain: every row carries the hash of the row before it and a hash over that and its own
content, so a row changed, deleted, moved or slipped in after it was written is found by walking the chain.

Triggers refuse UPDATE, DELETE and a REPLACE of an existing id, but the owner of the tables can drop (SQLite) or
disable (PostgreSQL) them; the chain is what is left to show that it happened. It has no secret: whoever rewrites
the table and recomputes every hash after the change hides it, unless the last row's hash was written down
elsewhere before (`audit --verify` and every `backup` print it, each backup's trailer keeps it; `--anchor ID:HASH`
or `--anchor-from BACKUP` checks it later).

    row_hash = SHA-256( JSON [previous_hash, at, account, action, outcome, unit, year, subject, detail] )

The id is not hashed: the chain itself is the order, so a renumbered row shows as moved rather than changed.
"""

from __future__ import annotations

import datetime as dt
import enum
import hashlib
import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar, Protocol

# What the first row chains to.
GENESIS = hashlib.sha256(b"kpi-audit-log").hexdigest()

CHAINED_FIELDS = ("at", "account", "action", "outcome", "unit", "year", "subject", "detail")


def row_hash(previous: str, record: Mapping[str, Any]) -> str:
    """The hash of one audit row, given the hash of the row before it (GENESIS for the first)."""
    values: list[Any] = [previous]
    for name in CHAINED_FIELDS:
        value = record[name]
        if isinstance(value, dt.datetime):
            value = value.replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds")
        values.append(value)
    canonical = json.dumps(values, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


class BreakKind(str, enum.Enum):
    """What the first broken link of the chain shows (worded by metrics.services.transfer_wording.break_kind)."""

    CHANGED = "changed"
    MISSING = "missing"
    REORDERED = "reordered"
    INSERTED = "inserted"
    ANCHOR = "anchor"


class BreakReason(enum.Enum):
    """Why a link is broken, for its explanation (worded by the services), with the values ChainBreak keeps."""

    UNHASHED = "unhashed"  # no hash at all: written outside the program
    CONTENT_CHANGED = "content_changed"  # content differs from its own hash, linked to the one before
    MATCHES_NOTHING = "matches_nothing"  # neither content nor link hold
    MOVED = "moved"  # holder: the row it was chained after, now later
    SLIPPED_IN = "slipped_in"  # holder, next_id (the row chained after holder), first, last (the rows slipped in)
    SECOND_START = "second_start"  # chained to GENESIS with rows before it
    FIRST_DELETED = "first_deleted"  # the first row is not the first written
    REHASHED = "rehashed"  # next_id: the row whose link shows this one changed and rehashed
    DELETED_BETWEEN = "deleted_between"  # before_id, first, last (the ids gone)
    ANCHOR_GONE = "anchor_gone"  # anchor_id, anchor_hash
    ANCHOR_CHANGED = "anchor_changed"  # anchor_id, anchor_hash


_KINDS = {BreakReason.UNHASHED: BreakKind.INSERTED, BreakReason.CONTENT_CHANGED: BreakKind.CHANGED,
          BreakReason.MATCHES_NOTHING: BreakKind.INSERTED, BreakReason.MOVED: BreakKind.REORDERED,
          BreakReason.SLIPPED_IN: BreakKind.INSERTED, BreakReason.SECOND_START: BreakKind.INSERTED,
          BreakReason.FIRST_DELETED: BreakKind.MISSING, BreakReason.REHASHED: BreakKind.CHANGED,
          BreakReason.DELETED_BETWEEN: BreakKind.MISSING, BreakReason.ANCHOR_GONE: BreakKind.ANCHOR,
          BreakReason.ANCHOR_CHANGED: BreakKind.ANCHOR}


@dataclass(frozen=True)
class ChainRow:
    id: int
    at: dt.datetime | None
    account: str
    action: str
    previous_hash: str | None
    row_hash: str | None
    computed: str | None  # row_hash recomputed from the stored previous_hash and content


@dataclass(frozen=True)
class ChainBreak:
    """The first broken link: the row named, why, and the ids and hashes that say it. `explanation` is worded by
    the services (metrics.services.transfer_wording, installed when metrics.services is imported)."""

    wording: ClassVar[Callable[[ChainBreak], str] | None] = None

    reason: BreakReason
    row_id: int
    at: dt.datetime | None
    account: str  # who did what, as the row says, to find it on the 操作紀錄 page
    action: str
    values: dict[str, Any] = field(default_factory=dict)

    @property
    def kind(self) -> BreakKind:
        return _KINDS[self.reason]

    @property
    def explanation(self) -> str:
        words = ChainBreak.wording
        if words is not None:
            return words(self)
        listed = ", ".join(f"{name}={value!r}" for name, value in self.values.items())
        return f"{self.reason.value}({listed})"


@dataclass(frozen=True)
class ChainReport:
    rows: int  # rows walked (up to and including the broken one)
    first_id: int | None
    last_id: int | None
    last_at: dt.datetime | None
    last_hash: str | None
    broken: ChainBreak | None

    @property
    def intact(self) -> bool:
        return self.broken is None


class Lookup(Protocol):
    """What the walk asks of the table once it has found a broken link."""

    def holder_of(self, hashed: str) -> int | None:
        """The id of the row whose row_hash this is (the lowest, should there be two)."""

    def row_after(self, row_id: int) -> ChainRow | None:
        """The row with the lowest id above `row_id`."""

    def hash_of(self, row_id: int) -> str | None:
        """The row_hash of row `row_id`; None when there is no such row."""


def walk(rows: Iterable[ChainRow], lookup: Lookup, anchor: tuple[int, str] | None = None) -> ChainReport:
    """Walk `rows` (in id order) and stop at the first broken one; `anchor` (id, row_hash) written down after an
    earlier walk must still be there, or rows after it were deleted or the chain was recomputed."""
    walker = Walker(lookup)
    for row in rows:
        report = walker.step(row)
        if report is not None:
            return report
    return walker.end(anchor)


class Walker:
    """The walk one row at a time, for a reader that hands rows on as it reads them (a backup being restored)."""

    def __init__(self, lookup: Lookup) -> None:
        self.lookup = lookup
        self.expected: str = GENESIS
        self.before: ChainRow | None = None
        self.count = 0
        self.first: int | None = None

    def _broken(self, row: ChainRow, reason: BreakReason, **values: Any) -> ChainReport:
        return ChainReport(self.count, self.first, row.id, row.at, row.row_hash,
                           ChainBreak(reason, row.id, row.at, row.account, row.action, values))

    def step(self, row: ChainRow) -> ChainReport | None:
        """None while the chain holds; the report of the first broken link otherwise."""
        lookup, expected, before, broken = self.lookup, self.expected, self.before, self._broken
        self.count += 1
        self.first = row.id if self.first is None else self.first
        content_ok = row.row_hash is not None and row.computed == row.row_hash
        link_ok = row.previous_hash == expected
        if not content_ok:
            if row.row_hash is None or row.previous_hash is None:
                return broken(row, BreakReason.UNHASHED)
            if link_ok:
                return broken(row, BreakReason.CONTENT_CHANGED)
            return broken(row, BreakReason.MATCHES_NOTHING)
        if not link_ok:
            holder = lookup.holder_of(row.previous_hash or "")
            gap = before is not None and row.id > before.id + 1
            if holder is not None and holder > row.id:
                return broken(row, BreakReason.MOVED, holder=holder)
            if holder is not None and before is not None and holder < before.id:
                inserted = lookup.row_after(holder) or row
                return broken(inserted, BreakReason.SLIPPED_IN, holder=holder, next_id=row.id, first=inserted.id,
                              last=before.id)
            if row.previous_hash == GENESIS:
                return broken(row, BreakReason.SECOND_START)
            if before is None:
                return broken(row, BreakReason.FIRST_DELETED)
            if not gap:  # the row before is self-consistent but not what this one was chained to
                return broken(before, BreakReason.REHASHED, next_id=row.id)
            return broken(row, BreakReason.DELETED_BETWEEN, before_id=before.id, first=before.id + 1,
                          last=row.id - 1)
        self.expected, self.before = row.row_hash, row
        return None

    def end(self, anchor: tuple[int, str] | None = None) -> ChainReport:
        """The report after the last row: intact, unless `anchor` is no longer what it was."""
        count, first, before = self.count, self.first, self.before
        if anchor is not None:
            anchor_id, anchor_hash = anchor
            stored = self.lookup.hash_of(anchor_id)
            if stored is None or stored != anchor_hash:
                reason = BreakReason.ANCHOR_GONE if stored is None else BreakReason.ANCHOR_CHANGED
                return ChainReport(count, first, before.id if before else None, before.at if before else None,
                                   before.row_hash if before else None,
                                   ChainBreak(reason, anchor_id, None, "", "",
                                              {"anchor_id": anchor_id, "anchor_hash": anchor_hash}))
        return ChainReport(count, first, before.id if before else None, before.at if before else None,
                           before.row_hash if before else None, None)
