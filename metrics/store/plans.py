"""The plans' versions: every saved TOML document of a (year, unit)'s plan, kept as it was; and the same for the
performance cycle (cycle.toml), one sequence of versions for the whole county."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from metrics.errors import StoreOperation
from metrics.plans.plan import StoredPlan
from metrics.store.audit import Audit, AuditEntry
from metrics.store.repository import Repository
from metrics.store.schema import _aware, _dump_json, _load_json, _now, cycle_versions_table, plan_versions_table


@dataclass(frozen=True)
class StoredCycle:
    """One stored version of the performance cycle: the TOML document and who saved it, when and why."""

    id: int
    number: int
    document: str
    created_at: dt.datetime
    author: str
    note: str
    origin: str
    changes: tuple[str, ...]


class Plans(Repository):
    """The stored versions of the plans."""

    def save_plan_version(self, year: int, unit: str, document: str, *, author: str = "", note: str = "",
                          origin: str = "", changes: Sequence[str] = (), sample: bool = False,
                          audit: Audit = None) -> StoredPlan:
        """Add the next version of a (year, unit)'s plan; earlier versions are kept as they were."""
        def write(connection: Connection) -> StoredPlan:
            return self._insert_plan_version(connection, int(year), unit, document, author.strip(), note.strip(),
                                             origin, list(changes), sample)

        with self._errors(StoreOperation.SAVE_PLAN, unit=unit, year=year):
            return self._write(write, audit)

    def seed_plans(self, plans: Sequence[tuple[int, str, str, str, bool]], *, author: str, note: str,
                   audit: Audit = None) -> list[StoredPlan]:
        """Each (year, unit, document, origin, sample) that has no version yet becomes its version 1 with `note`, in
        one transaction; plans already in the store are left as they are (the store is the truth once seeded)."""
        def write(connection: Connection) -> list[StoredPlan]:
            table = plan_versions_table
            present = {(row.year, row.unit) for row in connection.execute(sa.select(table.c.year, table.c.unit).distinct())}
            return [self._insert_plan_version(connection, year, unit, document, author, note, origin, [],
                                              sample)
                    for year, unit, document, origin, sample in plans if (year, unit) not in present]

        if not plans:
            return []
        with self._errors(StoreOperation.CREATE_PLANS):
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
        with self._errors(StoreOperation.READ_PLANS), self._reading() as connection:
            return [_stored_plan(row) for row in connection.execute(query)]

    def plan_version(self, year: int, unit: str, number: int | None = None) -> StoredPlan | None:
        """One version of a (year, unit)'s plan (the latest when `number` is None), or None."""
        versions = self.plan_versions(year, unit)
        if number is None:
            return versions[-1] if versions else None
        return next((version for version in versions if version.number == number), None)

    # ---- the performance cycle ----

    def save_cycle_version(self, document: str, *, author: str, note: str = "", origin: str = "",
                           changes: Sequence[str] = (), seed: bool = False, audit: Audit = None) -> StoredCycle | None:
        """Add the next version of the cycle. `seed`: only when the store has none yet (else None, nothing written),
        decided inside the write transaction so that two servers starting together store one version 1."""
        table = cycle_versions_table

        def write(connection: Connection) -> StoredCycle | None:
            latest = connection.execute(sa.select(sa.func.max(table.c.number))).scalar()
            if seed and latest is not None:
                return None
            created_at = _now()
            number = (latest or 0) + 1
            result = connection.execute(table.insert().values(
                number=number, document=document, created_at=created_at, author=author.strip(), note=note.strip(),
                origin=origin, changes=_dump_json(list(changes))))
            return StoredCycle(int(result.inserted_primary_key[0]), number, document, _aware(created_at),
                               author.strip(), note.strip(), origin, tuple(changes))

        def rows(stored: StoredCycle | None) -> Sequence[AuditEntry]:
            return audit(stored) if callable(audit) and stored is not None else []

        with self._errors(StoreOperation.SAVE_CYCLE):
            return self._write(write, rows if callable(audit) else audit)

    def cycle_versions(self) -> list[StoredCycle]:
        """Every stored version of the cycle, oldest first."""
        table = cycle_versions_table
        with self._errors(StoreOperation.READ_CYCLE), self._reading() as connection:
            return [_stored_cycle(row) for row in connection.execute(sa.select(table).order_by(table.c.number))]

    def cycle_version(self, number: int | None = None) -> StoredCycle | None:
        """One version of the cycle (the latest, in force, when `number` is None), or None."""
        table = cycle_versions_table
        query = sa.select(table).order_by(table.c.number.desc()).limit(1) if number is None \
            else sa.select(table).where(table.c.number == int(number))
        with self._errors(StoreOperation.READ_CYCLE), self._reading() as connection:
            row = connection.execute(query).first()
        return _stored_cycle(row) if row is not None else None


def _stored_cycle(row: sa.Row) -> StoredCycle:
    return StoredCycle(row.id, row.number, row.document, _aware(row.created_at), row.author, row.note, row.origin,
                       tuple(_load_json(row.changes)))


def _stored_plan(row: sa.Row) -> StoredPlan:
    return StoredPlan(row.id, row.year, row.unit, row.number, row.document, _aware(row.created_at), row.author,
                      row.note, row.origin, tuple(_load_json(row.changes)), bool(row.sample))
