"""Logins and account changes made at the same moment, on SQLite and PostgreSQL, with real threads each holding a
store of its own (as several app servers would):

- the last administrator: two administrators disabling or demoting each other at once cannot both succeed.

The hasher below counts each check and can hold it, so that the attempts overlap however the threads are
scheduled: waits are on barriers and events (with a timeout that only a defect reaches), never sleeps.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import pytest
from argon2 import PasswordHasher

from catalogues import FIXTURE_PLANS
from metrics.accounts import load_roles
from metrics.errors import InputError
from metrics.services import LOCK_AFTER, WRONG_PASSWORD, LoginFailed, Services, command_line
from metrics.store import Store

ROLES = load_roles(FIXTURE_PLANS)
PASSWORD = "correct horse battery"
WRONG = "not the password at all"
WAIT = 60  # seconds: reached only when the code under test is wrong (a barrier never filled)
SYSTEM = command_line("tester")


class SpyHasher(PasswordHasher):
    """Fast parameters; records the hash of every check; `hold(password)` runs inside each check before it."""

    def __init__(self) -> None:
        super().__init__(time_cost=1, memory_cost=8, parallelism=1)
        self.checked: list[str] = []
        self.hold: Callable[[str], None] = lambda password: None
        self._lock = threading.Lock()

    def verify(self, hash: str | bytes, password: str | bytes) -> bool:  # noqa: A002 (argon2's own name)
        with self._lock:
            self.checked.append(hash if isinstance(hash, str) else hash.decode())
        self.hold(password if isinstance(password, str) else password.decode())
        return super().verify(hash, password)


def account_hash(url: str, username: str = "admin") -> str:
    with Store(url) as store:
        return store.account(username=username).password_hash


def attempt(url: str, hasher: SpyHasher, password: str, username: str = "admin") -> str:
    """One login through a store and service layer of its own: "ok", or the words the person is shown."""
    with Store(url) as store:
        try:
            Services(store, ROLES, hasher=hasher).login(username, password)
        except LoginFailed as failed:
            return str(failed)
        return "ok"


@pytest.fixture
def url(store_url: str) -> str:
    with Store(store_url) as store:
        Services(store, ROLES, hasher=SpyHasher()).create_first_administrator("admin", "系統管理者", PASSWORD)
    return store_url


def login_rows(url: str) -> list[tuple[str, str]]:
    with Store(url) as store:
        return [(row.outcome.value, row.detail) for row in store.audit_log(action="登入")]


@pytest.mark.parametrize(("first", "second"), [
    ("disable", "disable"),
    ("demote", "disable"),
    ("demote", "demote"),
])
def test_two_administrators_taking_each_other_away_at_once_leave_one(url, first, second):
    """Both requests pass every check made before the write; the barrier lets them write only together."""
    with Store(url) as store:
        Services(store, ROLES, hasher=SpyHasher()).add_account(SYSTEM, "second", display_name="第二位",
                                                             roles=["administrator"], password=PASSWORD)
    both_writing = threading.Barrier(2, timeout=WAIT)

    def take_away(me: str, other: str, how: str) -> str:
        with Store(url) as store:
            services = Services(store, ROLES, hasher=SpyHasher())
            actor = services.actor(services.login(me, PASSWORD)[0])
            write = store.update_account

            def update_account(*arguments, **keywords):
                both_writing.wait()
                return write(*arguments, **keywords)

            store.update_account = update_account
            try:
                if how == "disable":
                    services.set_active(actor, other, False)
                else:
                    services.update_account(actor, other, roles=["viewer"])
            except InputError as refused:
                return str(refused)
            return "ok"

    with ThreadPoolExecutor(2) as pool:
        answers = sorted(pool.map(take_away, ["admin", "second"], ["second", "admin"], [first, second]))
    assert answers == ["ok", "至少要保留一位啟用中的系統管理者；請先將另一個帳號設為系統管理者，再變更此帳號。"]
    with Store(url) as store:
        administrators = [stored.username for stored in store.accounts()
                          if stored.active and "administrator" in stored.roles]
    assert len(administrators) == 1
