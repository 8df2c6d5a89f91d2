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
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

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
    """What the first broken link of the chain shows, in the words of the report."""

    CHANGED = "內容被修改"
    MISSING = "紀錄遺失（被刪除）"
    REORDERED = "順序被調動"
    INSERTED = "被插入的紀錄"
    ANCHOR = "已記下的最後一筆不符"


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
    kind: BreakKind
    row_id: int
    at: dt.datetime | None
    what: str  # who did what, as the row says, to find it on the 操作紀錄 page
    explanation: str


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


def _ids(first: int, last: int) -> str:
    return f"編號 {first:,}" if first == last else f"編號 {first:,}～{last:,}"


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

    def _broken(self, row: ChainRow, kind: BreakKind, explanation: str) -> ChainReport:
        what = "　".join(part for part in (row.account, row.action) if part)
        return ChainReport(self.count, self.first, row.id, row.at, row.row_hash,
                           ChainBreak(kind, row.id, row.at, what, explanation))

    def step(self, row: ChainRow) -> ChainReport | None:
        """None while the chain holds; the report of the first broken link otherwise."""
        lookup, expected, before, broken = self.lookup, self.expected, self.before, self._broken
        self.count += 1
        self.first = row.id if self.first is None else self.first
        content_ok = row.row_hash is not None and row.computed == row.row_hash
        link_ok = row.previous_hash == expected
        if not content_ok:
            if row.row_hash is None or row.previous_hash is None:
                return broken(row, BreakKind.INSERTED, "這筆沒有雜湊值，不是由本系統寫入的：是在系統之外直接插入資料表的紀錄。")
            if link_ok:
                return broken(row, BreakKind.CHANGED,
                              "這筆的內容（時間、帳號、動作、結果、單位、年度、對象或內容）與寫入時算出的雜湊值不符："
                              "寫入後被修改過。")
            return broken(row, BreakKind.INSERTED,
                          "這筆的雜湊值與內容、與前一筆都對不上：不是由本系統寫入的，是後來插入或整筆替換的紀錄。")
        if not link_ok:
            holder = lookup.holder_of(row.previous_hash or "")
            gap = before is not None and row.id > before.id + 1
            if holder is not None and holder > row.id:
                return broken(row, BreakKind.REORDERED,
                              f"這筆寫入時緊接在現在的編號 {holder:,} 之後，現在卻排在它前面：紀錄的編號被改過、順序被調動。")
            if holder is not None and before is not None and holder < before.id:
                inserted = lookup.row_after(holder) or row
                return broken(inserted, BreakKind.INSERTED,
                              f"編號 {holder:,} 之後原本緊接的是編號 {row.id:,}；{_ids(inserted.id, before.id)} "
                              "不在原本的鏈結中，是後來插入的紀錄。")
            if row.previous_hash == GENESIS:
                return broken(row, BreakKind.INSERTED,
                              "這筆自稱是第一筆紀錄，但前面還有紀錄：是後來另起一條鏈插入的紀錄。")
            if before is None:
                return broken(row, BreakKind.MISSING,
                              "這筆之前原本還有紀錄，現在已不在資料表中：最早的紀錄被刪除了。")
            if not gap:  # the row before is self-consistent but not what this one was chained to
                return broken(before, BreakKind.CHANGED,
                              f"這筆寫入後被修改過，雜湊值也被重新計算：下一筆（編號 {row.id:,}）寫入時記下的前一筆雜湊值"
                              "與它不同（或它與下一筆之間的紀錄被刪除後重新編號）。")
            return broken(row, BreakKind.MISSING,
                          f"這筆原本的前一筆已不在資料表中（{_ids(before.id + 1, row.id - 1)} 不見了）："
                          f"編號 {before.id:,} 與這筆之間的紀錄被刪除了。")
        self.expected, self.before = row.row_hash, row
        return None

    def end(self, anchor: tuple[int, str] | None = None) -> ChainReport:
        """The report after the last row: intact, unless `anchor` is no longer what it was."""
        count, first, before = self.count, self.first, self.before
        if anchor is not None:
            anchor_id, anchor_hash = anchor
            stored = self.lookup.hash_of(anchor_id)
            if stored is None or stored != anchor_hash:
                state = ("已不在資料表中：這一筆與其後的紀錄被刪除了" if stored is None
                         else "的雜湊值已不同：這一筆或更早的紀錄被改動過，整條鏈又被重新計算")
                return ChainReport(count, first, before.id if before else None, before.at if before else None,
                                   before.row_hash if before else None,
                                   ChainBreak(BreakKind.ANCHOR, anchor_id, None, "",
                                              f"先前記下的編號 {anchor_id:,}（雜湊值 {anchor_hash[:16]}…）{state}。"))
        return ChainReport(count, first, before.id if before else None, before.at if before else None,
                           before.row_hash if before else None, None)
