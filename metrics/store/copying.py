"""The whole store at once, for copying, backing up and restoring: every table's rows from one snapshot, and an
empty store filled in one transaction."""

from __future__ import annotations

import datetime as dt
import enum
import itertools
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from metrics.errors import StoreError, StoreOperation, StoreProblem
from metrics.names import printable
from metrics.store.repository import Repository
from metrics.store.schema import TRANSFER_TABLES, _stored_version


class RowsRefused(enum.Enum):
    """Why the database refused rows being loaded, in kind."""

    DUPLICATE_OR_DANGLING = "duplicate_or_dangling"  # a unique or foreign key
    VALUE_UNFIT = "value_unfit"  # a value's type, length or range
    STRUCTURE_UNFIT = "structure_unfit"


class Contents(Repository):
    """Every table of the store together."""

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
                raise StoreError(StoreProblem.STORE_NOT_EMPTY, url=self.display_url(), filled=filled)
            written: dict[str, int] = {}
            for name, columns, rows in tables:
                table = known.get(name)
                if table is None:
                    raise StoreError(StoreProblem.UNKNOWN_TABLE, table=name)
                unknown = [column for column in columns if column not in table.columns]
                if unknown:
                    raise StoreError(StoreProblem.UNKNOWN_COLUMNS, table=name, columns=unknown)
                types = [table.columns[column].type for column in columns]
                pending = iter(rows)  # in slices, so that a file's rows are never all held at once
                while records := [{column: _restored(value, kind) for column, value, kind in zip(columns, row, types)}
                                  for row in itertools.islice(pending, 5_000)]:
                    first = written.get(name, 0) + 1
                    try:
                        connection.execute(table.insert(), records)
                    except (sa.exc.IntegrityError, sa.exc.DataError, sa.exc.ProgrammingError) as error:
                        raise _refused_rows(name, first, first + len(records) - 1, error) from error
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

        with self._errors(StoreOperation.LOAD_ROWS):
            return self._write(write)

    def _counts(self, connection: Connection) -> dict[str, int]:
        return {table.name: int(connection.execute(sa.select(sa.func.count()).select_from(table)).scalar_one())
                for table in TRANSFER_TABLES}


def _refused_rows(name: str, first: int, last: int, error: sa.exc.DBAPIError) -> StoreError:
    """The database refused rows being loaded: which table and rows, why in kind, and the database's own text."""
    if isinstance(error, sa.exc.IntegrityError):
        reason = RowsRefused.DUPLICATE_OR_DANGLING
    elif isinstance(error, sa.exc.DataError):
        reason = RowsRefused.VALUE_UNFIT
    else:
        reason = RowsRefused.STRUCTURE_UNFIT
    detail = printable(str(getattr(error, "orig", None) or error).splitlines()[0])[:300]
    return StoreError(StoreProblem.ROWS_REFUSED, table=name, first=first, last=last, reason=reason, detail=detail)


def _restored(value: Any, kind: sa.types.TypeEngine) -> Any:
    """A value from a backup file (JSON) or another store, as this store's column takes it."""
    if value is None:
        return None
    if isinstance(kind, sa.DateTime) and isinstance(value, str):
        return dt.datetime.fromisoformat(value)
    if isinstance(kind, sa.Boolean):
        return bool(value)
    return value
