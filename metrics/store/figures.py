"""The monthly figures: what an upload would change (preview), ingesting it as a batch, the values in effect and
their provenance, the batches' history and undoing a batch."""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any, NamedTuple

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from metrics.errors import Refusal, RefusedInput, StoreError, StoreOperation, StoreProblem, ValueFault
from metrics.intake.tidy import TIDY_COLUMNS, empty_tidy_frame
from metrics.intake.upload import FileDigest
from metrics.names import clean_file_name, without_controls
from metrics.store.audit import Audit
from metrics.store.engine import Database
from metrics.store.repository import Repository
from metrics.store.schema import (_aware, _now, batches_table, canonical_decimal, current_values_table,
                                  plan_versions_table, value_changes_table)



class ChangeKind(enum.Enum):
    """What a value of an upload does to the stored one (the `change` of Figures.preview and batch_values)."""

    ADDED = "added"  # nothing was stored
    CHANGED = "changed"  # a different value was stored
    SAME = "same"  # the same value was stored
_MAX_PROBLEMS = 50


@dataclass(frozen=True)
class ValueChange:
    """One stored value an upload replaced by a different one (field: its code)."""

    year: int
    month: int
    unit: str
    field: str
    old: Decimal
    new: Decimal


@dataclass(frozen=True)
class IngestResult:
    batch_id: int | None  # None: nothing new, no batch made (unchanged)
    unchanged: bool
    added: int
    changed: int
    same: int
    duplicate_of: int | None  # the latest batch of the same content, if any
    file_name: str = ""  # as stored (cleaned)
    notice: str = ""  # why the file name was changed before storing it (metrics.names.CleanName.notice), or ""
    duplicate_uploaded_at: dt.datetime | None = None
    changes: tuple[ValueChange, ...] = ()  # the values replaced by different ones, the first CHANGES_SHOWN
    message: str = ""  # in people's words, filled by the services (metrics.services.wording.ingested)


CHANGES_SHOWN = 50


@dataclass(frozen=True)
class UndoResult:
    batch_id: int
    restored: int  # values set back to a different value they had before the batch
    removed: int  # values the batch had created, now "not reported" again
    unchanged: int = 0  # values the batch had re-sent unchanged: their provenance goes back, the number stays
    file_name: str = ""
    message: str = ""  # in people's words, filled by the services (metrics.services.wording.undone)


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


@dataclass(frozen=True)
class LaterBatch:
    """A later batch in the way of an undo: how many of the batch's values it set again, and one of them
    (year, unit, field as shown, month)."""

    id: int
    file_name: str
    uploaded_at: dt.datetime
    count: int
    example: tuple[int, str, str, int]


class Figures(Repository):
    """The monthly values, their batches and undo; field_names: code → Chinese name, for messages."""

    def __init__(self, database: Database, field_names: Mapping[str, str]) -> None:
        super().__init__(database)
        self.field_names = field_names

    def preview(self, frame: pd.DataFrame) -> pd.DataFrame:
        """What ingesting `frame` would do, per incoming row: current, incoming and its ChangeKind."""
        incoming = _incoming_rows(frame, self.field_names)
        with self._errors(StoreOperation.READ), self._reading() as connection:
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

    def ingest(self, frame: pd.DataFrame, *, file_name: str, file_bytes: bytes | FileDigest, uploader: str = "",
               audit: Audit = None) -> IngestResult:
        """Upsert an already-validated tidy frame as one batch, all or nothing."""
        return self.ingest_many([(frame, file_name, file_bytes)], uploader=uploader, audit=audit)[0]

    def ingest_many(self, files: Sequence[tuple[pd.DataFrame, str, bytes | FileDigest]], *, uploader: str = "",
                    audit: Audit = None) -> list[IngestResult]:
        """Several (frame, file name, file digest) as one batch each, in order, in ONE transaction:
        either every file is stored or none is. The digest is the one the intake computed; bytes are hashed here."""
        # Names are cleaned here, where every upload enters the store: no control character and no identity
        # number reaches the history, the provenance of a value or a terminal.
        cleaned = [clean_file_name(file_name) for _, file_name, _ in files]
        prepared = [(_incoming_rows(frame, self.field_names), clean.text, _sha256(content), clean.notice(file_name))
                    for (frame, file_name, content), clean in zip(files, cleaned)]

        def write(connection: Connection) -> list[IngestResult]:
            results = []
            for incoming, file_name, sha256, notice in prepared:
                result = self._ingest(connection, incoming, file_name, sha256, without_controls(uploader).strip())
                results.append(dataclasses.replace(result, notice=notice) if notice else result)
            return results

        with self._errors(StoreOperation.SAVE_FILES, files=[file_name for _, file_name, _, _ in prepared]):
            return self._write(write, audit)

    def _ingest(self, connection: Connection, incoming: list[_Incoming], file_name: str, sha256: str,
                uploader: str) -> IngestResult:
        current = self._current_rows(connection, incoming)
        additions: list[_Incoming] = []
        replacements: list[tuple[_Incoming, sa.Row]] = []  # changed and same values alike
        changed = 0
        changes: list[ValueChange] = []
        for row in incoming:
            existing = current.get(row.key)
            if existing is None:
                additions.append(row)
                continue
            replacements.append((row, existing))
            if Decimal(existing.value) != row.value:
                changed += 1
                if len(changes) < CHANGES_SHOWN:
                    changes.append(ValueChange(row.year, row.month, row.unit, row.field, Decimal(existing.value),
                                               row.value))
        same = len(replacements) - changed
        duplicate = connection.execute(
            sa.select(batches_table.c.id, batches_table.c.uploaded_at)
            .where(batches_table.c.sha256 == sha256).order_by(batches_table.c.id.desc()).limit(1)
        ).first()
        duplicate_of = duplicate.id if duplicate else None
        duplicate_at = _aware(duplicate.uploaded_at) if duplicate else None
        if not additions and not changed:
            return IngestResult(None, True, 0, 0, same, duplicate_of, file_name, duplicate_uploaded_at=duplicate_at)

        batch_id = self._insert_batch(connection, file_name, sha256, uploader, len(incoming))
        self._record_changes(connection, batch_id, additions, replacements)
        self._apply_to_current(connection, batch_id, additions, replacements)
        return IngestResult(batch_id, False, len(additions), changed, same, duplicate_of, file_name,
                            duplicate_uploaded_at=duplicate_at, changes=tuple(changes))

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

    def current_frame(self, year: int | None = None, unit: str | None = None, *,
                      after_batch: int | None = None) -> pd.DataFrame:
        """The values now in effect as a tidy frame, plus batch_id, uploaded_at, uploader, in key_order. With
        `after_batch`, only the values set by a later batch (for with_newer: what changed since a frame was read)."""
        table = current_values_table
        chosen = [condition for condition in (None if year is None else table.c.year == year,
                                              None if unit is None else table.c.unit == unit,
                                              None if after_batch is None else table.c.batch_id > after_batch)
                  if condition is not None]
        query = (sa.select(table.c.year, table.c.month, table.c.unit, table.c.field, table.c.value,
                           table.c.source_file, table.c.source_sheet, table.c.source_cell, table.c.batch_id)
                 .where(*chosen))
        # A batch's time and uploader are read once per batch, not once per value: every new upload reads the
        # whole frame again (a county's four years are some 40,000 values from a few hundred batches). By its key
        # from the lowest batch the values name, not by scanning current_values again: on PostgreSQL that second
        # statement would see an upload or undo committed meanwhile, and miss a batch whose values it replaced.
        with self._errors(StoreOperation.READ), self._reading() as connection:
            rows = connection.execute(query).all()
            lowest = min((row.batch_id for row in rows), default=0)
            batches = (sa.select(batches_table.c.id, batches_table.c.uploaded_at, batches_table.c.uploader)
                       .where(batches_table.c.id >= lowest))  # batches are never deleted
            by_batch = {row.id: (_aware(row.uploaded_at), row.uploader)
                        for row in (connection.execute(batches) if rows else ())}
        columns = [*TIDY_COLUMNS, "batch_id", "uploaded_at", "uploader"]
        if not rows:
            frame = empty_tidy_frame()
            for column in ("batch_id", "uploaded_at", "uploader"):
                frame[column] = pd.Series(dtype=object)
            return frame[columns]
        years, months, units, fields, values, files, sheets, cells, batch_ids = zip(*rows)
        frame = pd.DataFrame({
            "year": years, "month": months, "unit": units, "field": fields,
            "value": pd.Series([Decimal(value) for value in values], dtype=object), "source_file": files,
            "source_sheet": sheets, "source_cell": cells, "batch_id": batch_ids,
            "uploaded_at": [by_batch[batch][0] for batch in batch_ids],
            "uploader": [by_batch[batch][1] for batch in batch_ids],
        }, columns=columns)
        return key_order(frame)

    def value_provenance(self, year: int, unit: str, field: str, month: int) -> Provenance | None:
        table = current_values_table
        query = (sa.select(table, batches_table.c.file_name, batches_table.c.uploaded_at, batches_table.c.uploader)
                 .join(batches_table, batches_table.c.id == table.c.batch_id)
                 .where(table.c.year == year, table.c.unit == unit, table.c.field == field,
                        table.c.month == month))
        with self._errors(StoreOperation.READ), self._reading() as connection:
            row = connection.execute(query).first()
        if row is None:
            return None
        return Provenance(row.year, row.unit, row.field, row.month, Decimal(row.value), row.batch_id,
                          row.file_name, row.source_file, row.source_sheet, row.source_cell,
                          _aware(row.uploaded_at), row.uploader)

    def years_and_units(self) -> list[tuple[int, str]]:
        table = current_values_table
        query = sa.select(table.c.year, table.c.unit).distinct().order_by(table.c.year, table.c.unit)
        with self._errors(StoreOperation.READ), self._reading() as connection:
            return [(row.year, row.unit) for row in connection.execute(query)]

    def is_empty(self) -> bool:
        """True while no value is in effect (nothing uploaded, or everything undone)."""
        with self._errors(StoreOperation.READ), self._reading() as connection:
            return connection.execute(sa.select(current_values_table.c.year).limit(1)).first() is None

    def history(self, *, year: int | None = None, unit: str | None = None,
                from_batch: int | None = None) -> list[BatchInfo]:
        """Every batch, newest first; with `year` or `unit`, only the batches that set figures of them; with
        `from_batch`, only the batches numbered from it on (an app server bringing a list it holds up to date)."""
        changes = value_changes_table
        since = sa.true() if from_batch is None else changes.c.batch_id >= int(from_batch)
        counts = (sa.select(changes.c.batch_id, sa.func.count().label("values_set")).where(since)
                  .group_by(changes.c.batch_id).subquery())
        query = (sa.select(batches_table, sa.func.coalesce(counts.c.values_set, 0).label("values_set"))
                 .outerjoin(counts, counts.c.batch_id == batches_table.c.id)
                 .order_by(batches_table.c.id.desc()))
        if from_batch is not None:
            query = query.where(batches_table.c.id >= int(from_batch))
        periods_query = sa.select(changes.c.batch_id, changes.c.year, changes.c.unit).where(since).distinct()
        with self._errors(StoreOperation.READ_BATCHES), self._reading() as connection:
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

    def undone_batches(self) -> frozenset[tuple[int, dt.datetime]]:
        """(number, time undone) of every undone batch: one small read, to check a batch list held from before."""
        query = sa.select(batches_table.c.id, batches_table.c.undone_at).where(batches_table.c.undone_at.is_not(None))
        with self._errors(StoreOperation.READ_BATCHES), self._reading() as connection:
            return frozenset((int(row.id), _aware(row.undone_at)) for row in connection.execute(query))

    def batch(self, batch_id: int) -> BatchInfo:
        for info in self.history():
            if info.id == batch_id:
                return info
        raise StoreError(StoreProblem.NO_SUCH_BATCH, batch_id=batch_id)

    def batch_values(self, batch_id: int) -> pd.DataFrame:
        """What a batch set (value) and what it replaced (previous; None where it created the value)."""
        table = value_changes_table
        with self._errors(StoreOperation.READ_BATCHES), self._reading() as connection:
            if connection.execute(sa.select(batches_table.c.id).where(batches_table.c.id == batch_id)).first() is None:
                raise StoreError(StoreProblem.NO_SUCH_BATCH, batch_id=batch_id)
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

    def values_at(self, year: int, unit: str, moments: Sequence[dt.datetime | None]
                  ) -> list[dict[tuple[str, int], Decimal]]:
        """The unit's figures of the year as they stood at each moment (None: now), (field, month) → value, from the
        batches' history: a value is the one set by the latest batch uploaded by then and not undone by then, since
        an undo restores exactly what was there before and only the batch holding a value can be undone."""
        table = value_changes_table
        query = (sa.select(table.c.field, table.c.month, table.c.value, batches_table.c.uploaded_at,
                           batches_table.c.undone_at)
                 .join(batches_table, batches_table.c.id == table.c.batch_id)
                 .where(table.c.year == int(year), table.c.unit == unit).order_by(table.c.batch_id, table.c.id))
        with self._errors(StoreOperation.READ_BATCHES), self._reading() as connection:
            rows = connection.execute(query).all()
        states = []
        for moment in moments:
            values: dict[tuple[str, int], Decimal] = {}
            for row in rows:
                uploaded, undone = _aware(row.uploaded_at), _aware(row.undone_at)
                if moment is not None and (uploaded > moment or (undone is not None and undone <= moment)):
                    continue
                if moment is None and undone is not None:
                    continue
                values[(row.field, row.month)] = Decimal(row.value)
            states.append(values)
        return states

    def undo(self, batch_id: int, *, user: str = "", audit: Audit = None) -> UndoResult:
        """Restore exactly what was there before the batch; refused if a later batch changed the same values."""
        with self._errors(StoreOperation.UNDO, batch_id=batch_id):
            return self._write(lambda connection: self._undo(connection, batch_id, user.strip()), audit)

    def _undo(self, connection: Connection, batch_id: int, user: str) -> UndoResult:
        batch = connection.execute(sa.select(batches_table).where(batches_table.c.id == batch_id)).first()
        if batch is None:
            raise StoreError(StoreProblem.NO_SUCH_BATCH, batch_id=batch_id, undoing=True)
        if batch.undone_at is not None:
            raise StoreError(StoreProblem.ALREADY_UNDONE, batch_id=batch.id, file_name=batch.file_name,
                             undone_at=_aware(batch.undone_at))
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
            raise self._blocked(connection, batch.id, batch.file_name, blocked)

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
        return UndoResult(batch_id, restored, len(removals), unchanged, batch.file_name)

    def _mark_undone(self, connection: Connection, batch_id: int, user: str) -> None:
        connection.execute(batches_table.update().where(batches_table.c.id == batch_id)
                           .values(undone_at=_now(), undone_by=user))

    def _blocked(self, connection: Connection, batch_id: int, file_name: str,
                 blocked: dict[int, list[tuple]]) -> StoreError:
        if 0 in blocked:  # the stack discipline makes this impossible; say so rather than guess
            return StoreError(StoreProblem.UNDO_INCONSISTENT, batch_id=batch_id, file_name=file_name,
                              key=self._shown_key(blocked[0][0]))
        later = connection.execute(
            sa.select(batches_table).where(batches_table.c.id.in_(sorted(blocked))).order_by(batches_table.c.id.desc())
        ).all()
        return StoreError(StoreProblem.UNDO_BLOCKED, batch_id=batch_id, file_name=file_name, later=[
            LaterBatch(batch.id, batch.file_name, _aware(batch.uploaded_at), len(blocked[batch.id]),
                       self._shown_key(blocked[batch.id][0])) for batch in later])

    def _shown_key(self, key: tuple[int, str, str, int]) -> tuple[int, str, str, int]:
        """(year, unit, field, month) with the field's Chinese name where the store knows it."""
        year, unit, field, month = key
        return (year, unit, self.field_names.get(field, field), month)

    def data_version(self) -> DataVersionNumbers:
        """What the figures and plans in effect depend on, in one cheap query: a change of any upload, undo or
        plan version changes it, whichever process made it."""
        query = sa.select(
            sa.select(sa.func.coalesce(sa.func.max(batches_table.c.id), 0)).scalar_subquery(),
            sa.select(sa.func.count(batches_table.c.undone_at)).scalar_subquery(),
            sa.select(sa.func.coalesce(sa.func.max(plan_versions_table.c.id), 0)).scalar_subquery(),
        )
        with self._errors(StoreOperation.READ), self._reading() as connection:
            row = connection.execute(query).one()
        return DataVersionNumbers(int(row[0]), int(row[1]), int(row[2]))


class DataVersionNumbers(NamedTuple):
    """The store's data version: the newest batch, the number of batches undone, the newest plan version."""

    batch: int
    undone: int
    plans: int


CURRENT_KEY = ["year", "unit", "month", "field"]  # the order of current_frame's rows


def key_order(frame: pd.DataFrame) -> pd.DataFrame:
    """The frame's rows by year, unit, month, field, strings in code-point order: the same on every database
    (ORDER BY would follow the database's collation, zh_TW.UTF-8 on one server and C.UTF-8 on another) and the
    same for a frame read whole and one brought up to date by with_newer."""
    return frame.sort_values(CURRENT_KEY, kind="stable", ignore_index=True)


def with_newer(held: pd.DataFrame, newer: pd.DataFrame) -> pd.DataFrame:
    """A frame read earlier (`held`, never modified) brought up to date with `newer`, the values of the batches
    after it (current_frame(after_batch=…)): a new frame equal to reading the whole frame again.

    Exact only while nothing was undone in between: writes are serialised (Database._write takes the store's write
    lock; batch numbers are given under it, in order), an upload only inserts or updates current_values rows and
    sets their batch_id to its own, new batch (Figures._apply_to_current), and only an undo removes a value or sets
    an older batch back (Figures._undo, which counts in the data version's `undone`; an undo is never taken back and
    no batch is deleted, so `undone` only grows). A restore (Contents.load_rows) only fills an empty store. So every
    key that changed after `held` is among `newer`, and every other key is as `held` has it; the same holds when
    `held` was read a little after its version and already has some of `newer`'s values."""
    if newer.empty:
        return held
    if held.empty:
        return newer
    groups = sorted(set(zip(newer["year"].tolist(), newer["unit"].tolist())))  # (year, unit) in key_order's order
    # `held` is in key_order: each (year, unit)'s rows are one run, after every smaller (year, unit). Only the uploaded
    # units' runs are ordered again, with the new values, and put back in place; the rest is copied once, in order
    # (sorting the whole frame again cost 10 ms an upload at county scale).
    years, units = held["year"], held["unit"]
    runs = []
    for year, unit in groups:
        first = int(((years < year) | ((years == year) & (units < unit))).sum())
        runs.append((first, first + int(((years == year) & (units == unit)).sum())))
    part = key_order(pd.concat([*(held.iloc[first:end] for first, end in runs), newer], ignore_index=True)
                     .drop_duplicates(CURRENT_KEY, keep="last"))
    pieces, start, offset = [], 0, 0
    for (year, unit), (first, end) in zip(groups, runs):
        size = int(((part["year"] == year) & (part["unit"] == unit)).sum())
        pieces += [held.iloc[start:first], part.iloc[offset:offset + size]]
        start, offset = end, offset + size
    pieces.append(held.iloc[start:])
    return pd.concat(pieces, ignore_index=True)


def _change_kind(before: Decimal | None, incoming: Decimal) -> ChangeKind:
    if before is None:
        return ChangeKind.ADDED
    return ChangeKind.SAME if before == incoming else ChangeKind.CHANGED


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
        raise RefusedInput(Refusal(StoreProblem.FRAME_MISSING_COLUMNS, {"columns": missing}))
    problems: list[Refusal] = []
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
        except _Unstorable as error:
            problems.append(Refusal(StoreProblem.VALUE_NOT_STORABLE,
                                    {"value": _text(value), "fault": error.fault, "detail": ""},
                                    value=_text(value), **place))
            continue
        except (TypeError, ValueError, InvalidOperation, OverflowError) as error:
            problems.append(Refusal(StoreProblem.VALUE_NOT_STORABLE,
                                    {"value": _text(value), "fault": ValueFault.OTHER, "detail": str(error)},
                                    value=_text(value), **place))
            continue
        if not row.unit or not row.field:
            problems.append(Refusal(StoreProblem.NO_UNIT_OR_FIELD, {}, value=_text(value), **place))
            continue
        earlier = seen.get(row.key)
        if earlier is not None:
            problems.append(Refusal(
                StoreProblem.ROW_TWICE,
                {"key": (row.year, row.unit, names.get(row.field, row.field), row.month),
                 "earlier": f"{earlier.source_sheet} {earlier.source_cell}".strip()},
                value=_text(value), **place))
            continue
        seen[row.key] = row
        rows.append(row)
    if problems:
        raise RefusedInput(problems[:_MAX_PROBLEMS])
    return rows


class _Unstorable(ValueError):
    def __init__(self, fault: ValueFault) -> None:
        super().__init__(fault)
        self.fault = fault


def _exact_value(value: object) -> Decimal:
    if isinstance(value, bool):
        raise _Unstorable(ValueFault.TRUTH_VALUE)
    if isinstance(value, float):
        raise _Unstorable(ValueFault.FLOAT)
    if isinstance(value, Decimal):
        exact = value
    elif isinstance(value, (int, str)):
        exact = Decimal(str(value).strip())
    else:
        exact = Decimal(int(value))  # numpy integers
    if not exact.is_finite():
        raise _Unstorable(ValueFault.NOT_FINITE)
    return Decimal(canonical_decimal(exact))


def _sha256(content: bytes | FileDigest) -> str:
    return content.sha256 if isinstance(content, FileDigest) else hashlib.sha256(content).hexdigest()
