"""The plans' versions: every saved TOML document of a (year, unit)'s plan, kept as it was."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from metrics.store.audit import Audit
from metrics.store.repository import Repository
from metrics.store.schema import _aware, _dump_json, _load_json, _now, plan_versions_table

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


class Plans(Repository):
    """The stored versions of the plans."""

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


def _stored_plan(row: sa.Row) -> StoredPlan:
    return StoredPlan(row.id, row.year, row.unit, row.number, row.document, _aware(row.created_at), row.author,
                      row.note, row.origin, tuple(_load_json(row.changes)), bool(row.sample))
