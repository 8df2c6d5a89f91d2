"""Accounts, the reservation of a password login, login sessions and the system's settings."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from metrics.errors import StoreError, StoreOperation, StoreProblem
from metrics.store.audit import Audit
from metrics.store.repository import Repository
from metrics.store.schema import _aware, _now, accounts_table, login_sessions_table, settings_table

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


class Accounts(Repository):
    """Accounts, login attempts and sessions, settings."""

    def account_count(self) -> int:
        with self._errors(StoreOperation.READ_ACCOUNTS), self._reading() as connection:
            return int(connection.execute(sa.select(sa.func.count()).select_from(accounts_table)).scalar())

    def accounts(self) -> list[StoredAccount]:
        with self._errors(StoreOperation.READ_ACCOUNTS), self._reading() as connection:
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
        with self._errors(StoreOperation.READ_ACCOUNTS), self._reading() as connection:
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
                raise StoreError(StoreProblem.ACCOUNTS_EXIST)
            taken = connection.execute(sa.select(table.c.id).where(
                sa.func.lower(table.c.username) == username.lower())).first()
            if taken is not None:
                raise StoreError(StoreProblem.USERNAME_TAKEN, username=username)
            now = _now()
            result = connection.execute(table.insert().values(
                username=username, display_name=display_name, email=email, roles=json.dumps(list(roles)),
                units=json.dumps(list(units), ensure_ascii=False), active=True, password_hash=password_hash,
                failed_logins=0, locked_until=None, created_at=now, updated_at=now))
            row = connection.execute(sa.select(table).where(table.c.id == result.inserted_primary_key[0])).one()
            return _stored_account(row)

        with self._errors(StoreOperation.CREATE_ACCOUNT, username=username):
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
            raise StoreError(StoreProblem.UNKNOWN_ACCOUNT_COLUMNS, columns=sorted(unknown))
        for name in ("roles", "units"):
            if name in values:
                values[name] = json.dumps(list(values[name]), ensure_ascii=False)
        values["updated_at"] = _now()
        table = accounts_table

        def write(connection: Connection) -> None:
            if check is not None:
                check([_stored_account(row) for row in connection.execute(sa.select(table).order_by(table.c.id))])
            connection.execute(table.update().where(table.c.id == account_id).values(**values))

        with self._errors(StoreOperation.UPDATE_ACCOUNT):
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

        with self._errors(StoreOperation.LOG_IN):
            return self._write(write, store_lock=False)

    def take_back_login(self, attempt: LoginAttempt, *, audit: Audit = None) -> None:
        """A reserved attempt whose password was right but that starts no session (a disabled account)."""
        with self._errors(StoreOperation.LOG_IN):
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

        with self._errors(StoreOperation.LOG_IN):
            return self._write(write, audit)

    def session(self, token_hash: str
                ) -> tuple[StoredAccount, dt.datetime, dt.datetime | None, dt.datetime] | None:
        """(account, last seen, ended, started) of a login session, or None for a token that was never issued."""
        sessions, table = login_sessions_table, accounts_table
        query = (sa.select(table, sessions.c.last_seen_at, sessions.c.ended_at,
                           sessions.c.created_at.label("session_started_at"))
                 .join(sessions, sessions.c.account_id == table.c.id).where(sessions.c.token_hash == token_hash))
        with self._errors(StoreOperation.READ_LOGIN), self._reading() as connection:
            row = connection.execute(query).first()
        if row is None:
            return None
        return _stored_account(row), _aware(row.last_seen_at), _aware(row.ended_at), _aware(row.session_started_at)

    def touch_session(self, token_hash: str) -> None:
        table = login_sessions_table
        with self._errors(StoreOperation.UPDATE_LOGIN):
            self._write(lambda connection: connection.execute(
                table.update().where(table.c.token_hash == token_hash).values(last_seen_at=_now())), store_lock=False)

    def end_session(self, token_hash: str, *, audit: Audit = None) -> None:
        table = login_sessions_table
        with self._errors(StoreOperation.LOG_OUT):
            self._write(lambda connection: connection.execute(
                table.update().where(table.c.token_hash == token_hash, table.c.ended_at.is_(None))
                .values(ended_at=_now())), audit)

    def end_sessions_of(self, account_id: int) -> None:
        table = login_sessions_table
        with self._errors(StoreOperation.END_LOGIN):
            self._write(lambda connection: connection.execute(
                table.update().where(table.c.account_id == account_id, table.c.ended_at.is_(None))
                .values(ended_at=_now())))

    def settings(self) -> dict[str, str]:
        with self._errors(StoreOperation.READ_SETTINGS), self._reading() as connection:
            return {row.key: row.value for row in connection.execute(sa.select(settings_table))}

    def save_settings(self, values: Mapping[str, str], *, audit: Audit = None) -> None:
        table = settings_table

        def write(connection: Connection) -> None:
            for key, value in values.items():
                connection.execute(table.delete().where(table.c.key == key))
                connection.execute(table.insert().values(key=key, value=str(value)))

        with self._errors(StoreOperation.SAVE_SETTINGS):
            self._write(write, audit)


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
