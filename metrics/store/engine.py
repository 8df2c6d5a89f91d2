"""The store's engine: one SQLAlchemy engine per store (SQLite or PostgreSQL, each with its connect hooks), its
read and write transactions, the store-wide write lock, retries and timeouts, and database errors translated into
what happened (StoreError, StoreBusy, each with its StoreProblem; metrics.services.wording says it to people)."""

from __future__ import annotations

import os
import random
import re
import time
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from metrics.errors import InputError, StoreBusy, StoreError, StoreOperation, StoreProblem
from metrics.location import default_url
from metrics.store.audit import Audit, _insert_audit
from metrics.store.schema import SCHEMA_VERSION, _check_not_newer, _create_or_migrate, _stored_version

_WRITE_ATTEMPTS = 5
# How long a writer waits for another writer's transaction before giving up with StoreBusy: longer than any
# ordinary upload holds the lock, short enough that a person is told rather than left waiting.
LOCK_WAIT_SECONDS = 8.0
# A statement that runs longer than this is cut off (PostgreSQL), rather than holding the lock for ever.
STATEMENT_SECONDS = 300
# A read (a page, a report, evaluate --db) waits for a lock held by another transaction at most the store's lock wait,
# and runs at most this long (PostgreSQL), rather than leaving a person before a page that never ends.
READ_SECONDS = 60.0
# The deployment's choice of both, in seconds (read once when a store is opened).
LOCK_WAIT_ENVIRONMENT = "KPI_DB_LOCK_WAIT_SECONDS"
READ_ENVIRONMENT = "KPI_DB_READ_SECONDS"
_SCHEMA_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,62}$")
T = TypeVar("T")
# Checks every write made in a `guarded` block runs in its own transaction, after its change and before its audit
# rows: a refusal there (a month locked by an approval, metrics.services.review) rolls the change back, and no
# approval can commit between the check and the change, since both hold the store's write lock.
Guard = Callable[[Connection, Any], None]
_GUARDS: ContextVar[tuple[Guard, ...]] = ContextVar("kpi_write_guards", default=())


@contextmanager
def guarded(*guards: Guard) -> Iterator[None]:
    """Every store write inside the block runs `guards(connection, its result)` in its transaction."""
    token = _GUARDS.set(_GUARDS.get() + guards)
    try:
        yield
    finally:
        _GUARDS.reset(token)


def masked_url(url: str) -> str:
    return sa.engine.make_url(url).render_as_string(hide_password=True)


class Database:
    """The connection to the store's database at one URL, shared by every repository of a Store."""

    def __init__(self, url: str | None = None, *, schema: str | None = None, lock_wait_seconds: float | None = None,
                 read_seconds: float | None = None) -> None:
        self.url: str = url or default_url()
        self.lock_wait_seconds = _seconds(lock_wait_seconds, LOCK_WAIT_ENVIRONMENT, LOCK_WAIT_SECONDS)
        self.read_seconds = _seconds(read_seconds, READ_ENVIRONMENT, READ_SECONDS)
        self.schema = schema
        try:
            parsed = sa.engine.make_url(self.url)
        except sa.exc.ArgumentError as error:
            raise StoreError(StoreProblem.BAD_URL, url=self.url, detail=str(error)) from error
        self._dialect = parsed.get_backend_name()
        if self._dialect not in {"sqlite", "postgresql"}:
            raise StoreError(StoreProblem.UNSUPPORTED_DATABASE, dialect=self._dialect)
        self._engine = self._create_engine(parsed)
        self._lock_key = 0
        try:
            with self._errors(StoreOperation.OPEN):
                self._prepare()
        except BaseException:
            self._engine.dispose()
            raise

    def display_url(self) -> str:
        """The URL with any password masked, for showing to users."""
        return masked_url(self.url)

    def close(self) -> None:
        self._engine.dispose()

    def _create_engine(self, parsed: sa.URL) -> Engine:
        if self._dialect == "sqlite":
            if self.schema is not None:
                raise StoreError(StoreProblem.SCHEMA_ONLY_POSTGRESQL)
            database = parsed.database or ""
            if database and database != ":memory:" and not database.startswith("file:"):
                Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
            engine = sa.create_engine(parsed, connect_args={"timeout": self.lock_wait_seconds})
            busy_milliseconds = int(self.lock_wait_seconds * 1000)
            sa.event.listen(engine, "connect", lambda connection, _record: _sqlite_on_connect(connection,
                                                                                            busy_milliseconds))
            sa.event.listen(engine, "begin", _sqlite_on_begin)
            return engine
        connect_args: dict[str, Any] = {"connect_timeout": 10}
        if self.schema is not None:
            if not _SCHEMA_NAME.match(self.schema):
                raise StoreError(StoreProblem.BAD_SCHEMA_NAME, schema=self.schema)
            connect_args["options"] = f"-csearch_path={self.schema}"
        engine = sa.create_engine(parsed, connect_args=connect_args, pool_pre_ping=True)
        # Per connection, not in the URL's options (which carry the search_path): a write's SET LOCAL overrides both.
        timeouts = (int(self.lock_wait_seconds * 1000), int(self.read_seconds * 1000))
        sa.event.listen(engine, "connect", lambda connection, _record: _postgresql_on_connect(connection, *timeouts))
        return engine

    @contextmanager
    def _errors(self, doing: StoreOperation, **about: Any) -> Iterator[None]:
        """Database errors in the block as StoreErrors saying what was being done (`doing`, about what)."""
        try:
            yield
        except (StoreError, InputError):
            raise
        except sa.exc.DBAPIError as error:
            if _connection_lost(error):
                raise self._lost(doing, about) from error
            if isinstance(error, sa.exc.IntegrityError):
                raise StoreError(StoreProblem.WRITE_REFUSED, doing=doing, about=about,
                                 detail=str(error.orig)) from error
            raise self._failed(doing, about, error) from error
        except sa.exc.SQLAlchemyError as error:
            raise self._failed(doing, about, error) from error

    def _failed(self, doing: StoreOperation, about: dict[str, Any], error: sa.exc.SQLAlchemyError) -> StoreError:
        detail = getattr(error, "orig", None) or error
        return StoreError(StoreProblem.FAILED, doing=doing, about=about, url=self.display_url(),
                          detail=str(detail))

    def _lost(self, doing: StoreOperation = StoreOperation.READ, about: dict[str, Any] | None = None) -> StoreError:
        return StoreError(StoreProblem.CONNECTION_LOST, url=self.display_url(), doing=doing, about=about or {})

    @contextmanager
    def _reading(self, *, whole: bool = False) -> Iterator[Connection]:
        """A read transaction. `whole` reads the entire store (backup, copy, audit verification): on PostgreSQL one
        REPEATABLE READ snapshot, so tables read one after another agree with each other while others write, and
        no statement limit, since such a read is long by nature (lock waits still time out). SQLite's read
        transaction is a snapshot already."""
        try:
            with self._engine.connect() as connection:
                if whole and self._dialect == "postgresql":
                    connection.execution_options(isolation_level="REPEATABLE READ")
                with connection.begin():
                    if whole and self._dialect == "postgresql":
                        connection.execute(sa.text("SET LOCAL statement_timeout = 0"))
                    yield connection
        except sa.exc.DBAPIError as error:
            if _connection_lost(error):  # the pool has dropped that connection; the next read makes a new one
                raise self._lost() from error
            if isinstance(error, sa.exc.OperationalError) and _is_lock_wait(error):
                raise StoreBusy(StoreProblem.BUSY_READING, seconds=self.lock_wait_seconds) from error
            if getattr(error.orig, "sqlstate", None) == "57014":  # statement_timeout
                raise StoreBusy(StoreProblem.READ_TIMED_OUT, seconds=self.read_seconds) from error
            raise

    def _write(self, action: Callable[[Connection], T], audit: Audit = None, *, store_lock: bool = True) -> T:
        """Run `action` in one transaction under the store-wide write lock, retrying lock errors; the audit rows
        (given, or made from the action's result) are written in the same transaction: no write without its row.
        `store_lock=False` for a one-row update that never races with figures (a login session's last activity)."""
        for attempt in range(1, _WRITE_ATTEMPTS + 1):
            try:
                with self._engine.connect() as connection:
                    connection.execution_options(kpi_write=True)
                    with connection.begin():
                        if self._dialect == "postgresql":
                            # Without a lock timeout the advisory lock waits for ever, even for a killed client.
                            wait = int(self.lock_wait_seconds * 1000)
                            connection.execute(sa.text(f"SET LOCAL lock_timeout = {wait}"))
                            connection.execute(sa.text(f"SET LOCAL statement_timeout = {STATEMENT_SECONDS * 1000}"))
                            if store_lock:
                                connection.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"),
                                                   {"key": self._lock_key})
                        result = action(connection)
                        for guard in _GUARDS.get():
                            guard(connection, result)
                        entries = audit(result) if callable(audit) else audit
                        if entries:
                            _insert_audit(connection, entries)
                        return result
            except sa.exc.OperationalError as error:
                if _connection_lost(error):  # rolled back by the server: nothing was written
                    raise self._lost(StoreOperation.SAVE) from error
                if _is_lock_wait(error):  # the wait has already lasted lock_wait_seconds: tell the person now
                    raise StoreBusy(StoreProblem.BUSY_WRITING, seconds=self.lock_wait_seconds) from error
                if attempt == _WRITE_ATTEMPTS or not _is_transient(error):
                    raise
                time.sleep(random.uniform(0.05, 0.25) * attempt)
        raise AssertionError("unreachable")  # pragma: no cover

    def _prepare(self) -> None:
        if self._dialect == "postgresql":
            if self.schema is not None:
                with self._engine.begin() as connection:  # a role that may not create schemas uses an existing one
                    if connection.execute(sa.text("SELECT 1 FROM pg_namespace WHERE nspname = :name"),
                                          {"name": self.schema}).first() is None:
                        connection.execute(sa.text(f'CREATE SCHEMA IF NOT EXISTS "{self.schema}"'))
            with self._reading() as connection:
                current_schema = connection.execute(sa.text("SELECT current_schema()")).scalar()
            if current_schema is None:
                raise StoreError(StoreProblem.NO_SCHEMA_IN_SEARCH_PATH, url=self.display_url())
            # Stores in different schemas of one database must not wait on each other.
            self._lock_key = zlib.crc32(f"kpi-store:{current_schema}".encode())
        unread: StoreBusy | None = None
        try:
            with self._reading() as connection:
                version = _stored_version(connection)
        except StoreBusy as busy:
            if self._dialect != "sqlite":
                raise
            # Several processes opening a new SQLite file at once: a reader can be told "locked" at once while
            # another switches the file to WAL, without waiting. The write below waits its turn and checks again.
            unread, version = busy, None
        if version == SCHEMA_VERSION:  # nothing to create: a role that does not own the tables opens it too
            return
        _check_not_newer(version, self.display_url())
        try:
            self._write(lambda connection: _create_or_migrate(connection, self.display_url()))
        except StoreBusy:
            if unread is not None:  # still locked: the person asked to read, so say that
                raise unread from None
            raise
        except sa.exc.ProgrammingError as error:
            if getattr(error.orig, "sqlstate", None) != "42501":  # insufficient privilege
                raise
            raise StoreError(StoreProblem.NO_PRIVILEGE_TO_MIGRATE, url=self.display_url(), version=version,
                             supported=SCHEMA_VERSION) from error

    @property
    def dialect(self) -> str:
        return self._dialect


def _sqlite_on_connect(dbapi_connection: Any, busy_milliseconds: int) -> None:
    # pysqlite's own implicit BEGIN is disabled so that _sqlite_on_begin decides the BEGIN kind.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute(f"PRAGMA busy_timeout = {busy_milliseconds}")
    cursor.execute("PRAGMA journal_mode = WAL")
    cursor.execute("PRAGMA foreign_keys = ON")
    cursor.close()


def _postgresql_on_connect(dbapi_connection: Any, lock_milliseconds: int, statement_milliseconds: int) -> None:
    autocommit = dbapi_connection.autocommit
    dbapi_connection.autocommit = True
    cursor = dbapi_connection.cursor()
    cursor.execute(f"SET lock_timeout = {lock_milliseconds}")
    cursor.execute(f"SET statement_timeout = {statement_milliseconds}")
    cursor.close()
    dbapi_connection.autocommit = autocommit


def _seconds(given: float | None, environment: str, default: float) -> float:
    """A wait in seconds: the one given, else the environment's, else the default; nothing that is not a positive
    number up to a day."""
    if given is not None:
        return float(given)
    text = os.environ.get(environment, "").strip()
    if not text:
        return default
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not 0 < value <= 86_400:  # also refuses nan and inf
        raise StoreError(StoreProblem.BAD_SECONDS, environment=environment, text=text)
    return value


def _sqlite_on_begin(connection: Connection) -> None:
    # A writer takes the write lock up front: a deferred transaction that later upgrades can
    # fail with SQLITE_BUSY at once in WAL mode, without waiting for the busy timeout.
    if connection.get_execution_options().get("kpi_write"):
        connection.exec_driver_sql("BEGIN IMMEDIATE")
    else:
        connection.exec_driver_sql("BEGIN")


def _connection_lost(error: sa.exc.DBAPIError) -> bool:
    """The server went away mid-session (restart, administrator, network), as opposed to a bad statement."""
    if error.connection_invalidated:
        return True
    state = getattr(error.orig, "sqlstate", None) or ""
    return state.startswith("08") or state in {"57P01", "57P02", "57P03"}


def _is_lock_wait(error: sa.exc.OperationalError) -> bool:
    """The lock wait ran out: PostgreSQL's lock_timeout (55P03), SQLite's busy timeout."""
    original = error.orig
    if getattr(original, "sqlstate", None) == "55P03":
        return True
    text = str(original).lower()
    return "database is locked" in text or "database is busy" in text or "database table is locked" in text


def _is_transient(error: sa.exc.OperationalError) -> bool:
    return getattr(error.orig, "sqlstate", None) in {"40001", "40P01"}  # serialization failure, deadlock
