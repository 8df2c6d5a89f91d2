"""What people keep beside the figures: notes on indicators behind plan (and their history), what-if scenarios
and the column mappings remembered for exports."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from metrics.errors import Refusal, RefusedInput, StoreError, StoreOperation, StoreProblem
from metrics.store.audit import Audit
from metrics.store.repository import Repository
from metrics.store.schema import (_aware, _dump_json, _load_json, _now, column_mappings_table, notes_history_table,
                                  notes_table, scenarios_table)

@dataclass(frozen=True)
class Note:
    indicator_id: str
    reason: str  # 落後原因
    action: str  # 改進措施
    author: str
    updated_at: dt.datetime


class Workspace(Repository):
    """Notes, scenarios and column mappings."""

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

        with self._errors(StoreOperation.SAVE_NOTE):
            self._write(write, audit)

    def note_history(self, year: int, unit: str, month: int, indicator_id: str) -> list[Note]:
        """Every text saved for one indicator in one month, newest first."""
        table = notes_history_table
        query = (sa.select(table).where(table.c.year == int(year), table.c.unit == unit, table.c.month == int(month),
                                        table.c.indicator_id == str(indicator_id))
                 .order_by(table.c.id.desc()))
        with self._errors(StoreOperation.READ_NOTES), self._reading() as connection:
            return [Note(row.indicator_id, row.reason, row.action, row.author, _aware(row.saved_at))
                    for row in connection.execute(query)]

    def notes_at(self, year: int, unit: str, moments: list[dt.datetime | None]
                 ) -> list[dict[tuple[int, str], tuple[str, str]]]:
        """The unit's notes of the year as they stood at each moment (None: now), (month, indicator) → (落後原因,
        改進措施), from the notes' history (an empty pair is a cleared note, left out)."""
        table = notes_history_table
        query = sa.select(table).where(table.c.year == int(year), table.c.unit == unit).order_by(table.c.id)
        with self._errors(StoreOperation.READ_NOTES), self._reading() as connection:
            rows = connection.execute(query).all()
        states = []
        for moment in moments:
            texts: dict[tuple[int, str], tuple[str, str]] = {}
            for row in rows:
                if moment is None or _aware(row.saved_at) <= moment:
                    texts[(row.month, row.indicator_id)] = (row.reason, row.action)
            states.append({key: pair for key, pair in texts.items() if pair != ("", "")})
        return states

    def notes(self, year: int, unit: str, month: int) -> dict[str, Note]:
        table = notes_table
        query = sa.select(table).where(table.c.year == year, table.c.unit == unit, table.c.month == month)
        with self._errors(StoreOperation.READ_NOTES), self._reading() as connection:
            return {row.indicator_id: Note(row.indicator_id, row.reason, row.action, row.author,
                                           _aware(row.updated_at))
                    for row in connection.execute(query)}

    def notes_of_year(self, year: int, unit: str) -> dict[int, dict[str, Note]]:
        """The notes in force of every month of a unit's year, by month then indicator (one query)."""
        table = notes_table
        query = sa.select(table).where(table.c.year == int(year), table.c.unit == unit).order_by(table.c.month)
        found: dict[int, dict[str, Note]] = {}
        with self._errors(StoreOperation.READ_NOTES), self._reading() as connection:
            for row in connection.execute(query):
                found.setdefault(int(row.month), {})[row.indicator_id] = Note(
                    row.indicator_id, row.reason, row.action, row.author, _aware(row.updated_at))
        return found

    def note_history_of_year(self, year: int, unit: str) -> list[tuple[int, Note]]:
        """(month, text saved) for every save of every indicator in a unit's year, by month, then in saving
        order (a cleared note is a save with both texts empty)."""
        table = notes_history_table
        query = (sa.select(table).where(table.c.year == int(year), table.c.unit == unit)
                 .order_by(table.c.month, table.c.id))
        with self._errors(StoreOperation.READ_NOTES), self._reading() as connection:
            return [(int(row.month), Note(row.indicator_id, row.reason, row.action, row.author, _aware(row.saved_at)))
                    for row in connection.execute(query)]

    def save_scenario(self, year: int, unit: str, name: str, payload: dict, *, audit: Audit = None) -> None:
        name = name.strip()
        if not name:
            raise RefusedInput(Refusal(StoreProblem.EMPTY_SCENARIO_NAME, {}))
        text = _dump_json(payload)
        table = scenarios_table
        where = sa.and_(table.c.year == int(year), table.c.unit == unit, table.c.name == name)

        def write(connection: Connection) -> None:
            now = _now()
            updated = connection.execute(table.update().where(where).values(payload=text, updated_at=now))
            if updated.rowcount == 0:
                connection.execute(table.insert().values(year=int(year), unit=unit, name=name, payload=text,
                                                         created_at=now, updated_at=now))

        with self._errors(StoreOperation.SAVE_SCENARIO, name=name):
            self._write(write, audit)

    def scenarios(self, year: int, unit: str) -> list[str]:
        """The names of the scenarios saved for one unit's plan of one year."""
        table = scenarios_table
        query = (sa.select(table.c.name).where(table.c.year == int(year), table.c.unit == unit)
                 .order_by(table.c.name))
        with self._errors(StoreOperation.READ_SCENARIOS), self._reading() as connection:
            return list(connection.execute(query).scalars())

    def load_scenario(self, year: int, unit: str, name: str) -> dict:
        table = scenarios_table
        query = sa.select(table.c.payload).where(table.c.year == int(year), table.c.unit == unit,
                                                 table.c.name == name.strip())
        with self._errors(StoreOperation.READ_SCENARIO, name=name), self._reading() as connection:
            text = connection.execute(query).scalar()
        if text is None:
            raise StoreError(StoreProblem.NO_SUCH_SCENARIO, unit=unit, year=year, name=name)
        return _load_json(text)

    def delete_scenario(self, year: int, unit: str, name: str, *, audit: Audit = None) -> None:
        """Delete a scenario; deleting one that is already gone does nothing."""
        table = scenarios_table
        where = sa.and_(table.c.year == int(year), table.c.unit == unit, table.c.name == name.strip())
        with self._errors(StoreOperation.DELETE_SCENARIO, name=name):
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

        with self._errors(StoreOperation.SAVE_MAPPING):
            self._write(write, audit)

    def load_mapping(self, source: str, signature: str, *, year: int, unit: str) -> dict | None:
        """The unit's mapping for this header row: the one saved for that year, else its latest earlier one
        (an export keeps its layout from one year to the next)."""
        table = column_mappings_table
        query = (sa.select(table.c.mapping)
                 .where(table.c.unit == unit, table.c.source == source, table.c.signature == signature,
                        table.c.year <= int(year))
                 .order_by(table.c.year.desc()).limit(1))
        with self._errors(StoreOperation.READ_MAPPINGS), self._reading() as connection:
            text = connection.execute(query).scalar()
        return None if text is None else _load_json(text)
