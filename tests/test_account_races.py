"""Logins and account changes made at the same moment, on SQLite and PostgreSQL, with real threads each holding a
store of its own (as several app servers would):

- lock-out: of 21 parallel wrong passwords exactly 5 are checked and counted, the account locks, and the right
  password is refused once the fifth has been reserved; a right password reserved before keeps only the failures
  reserved after it;
- enumeration: an unknown name, a locked account and a wrong password get the same words and one password check
  each, with the same hash parameters;
- the last administrator: two administrators disabling or demoting each other at once cannot both succeed.

The hasher below counts each check and can hold it, so that the attempts overlap however the threads are
scheduled: waits are on barriers and events (with a timeout that only a defect reaches), never sleeps.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import pytest
import sqlalchemy as sa
from argon2 import PasswordHasher

from catalogues import FIXTURE_PLANS
from metrics.plans.roles import load_roles
from metrics.errors import InputError
from metrics.services.core import LOCK_AFTER, WRONG_PASSWORD, LoginFailed, Services, command_line
from metrics.store import Store, login_sessions_table

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


def test_of_21_parallel_wrong_passwords_exactly_5_are_checked_and_the_account_locks(url):
    hasher = SpyHasher()
    everyone_checking = threading.Barrier(21, timeout=WAIT)  # every attempt reserved before any is counted
    hasher.hold = lambda password: everyone_checking.wait()
    stored_hash = account_hash(url)
    with ThreadPoolExecutor(21) as pool:
        answers = list(pool.map(lambda _: attempt(url, hasher, WRONG), range(21)))
    assert hasher.checked.count(stored_hash) == LOCK_AFTER == 5  # the other 16 against the dummy hash
    assert answers == [WRONG_PASSWORD] * 21
    with Store(url) as store:
        stored = store.account(username="admin")
    assert stored.failed_logins == 5 and stored.locked_until is not None
    rows = login_rows(url)
    assert sorted(outcome for outcome, _ in rows) == ["失敗"] * 5 + ["拒絕"] * 16
    assert [detail for outcome, detail in rows if outcome == "失敗"].count("密碼錯誤") == 4
    assert attempt(url, SpyHasher(), PASSWORD) == WRONG_PASSWORD  # locked: the right password does not help


def test_the_right_password_during_a_burst_is_refused_once_the_lock_is_reached(url):
    """20 wrong passwords are being checked (held) when the right one arrives: 5 of them are already counted,
    so the account is locked and the right password is not even checked."""
    hasher = SpyHasher()
    checking = threading.Semaphore(0)
    release = threading.Event()

    def hold(password: str) -> None:
        if password == WRONG:
            checking.release()
            assert release.wait(WAIT)

    hasher.hold = hold
    stored_hash = account_hash(url)
    with ThreadPoolExecutor(20) as pool:
        wrong = [pool.submit(attempt, url, hasher, WRONG) for _ in range(20)]
        for _ in range(20):
            assert checking.acquire(timeout=WAIT)  # all 20 are in their check: every one has been reserved
        try:
            assert attempt(url, hasher, PASSWORD) == WRONG_PASSWORD
        finally:
            release.set()
        assert [future.result() for future in wrong] == [WRONG_PASSWORD] * 20
    assert hasher.checked.count(stored_hash) == 5
    with Store(url) as store:
        stored = store.account(username="admin")
    assert stored.failed_logins == 5 and stored.locked_until is not None
    assert sorted(outcome for outcome, _ in login_rows(url)) == ["失敗"] * 5 + ["拒絕"] * 16


def test_a_right_password_reserved_before_the_burst_keeps_only_the_failures_after_it(url):
    """In the order attempts are reserved: the right password, then 4 wrong ones (the fifth attempt locks), then
    16 refused. The login succeeds and the account is left with exactly the 4 failures after it, unlocked."""
    hasher = SpyHasher()
    right_checking, burst_done = threading.Event(), threading.Event()
    wrong_checking = threading.Barrier(20, timeout=WAIT)

    def hold(password: str) -> None:
        if password == PASSWORD:
            right_checking.set()
            assert burst_done.wait(WAIT)
        else:
            wrong_checking.wait()

    hasher.hold = hold
    stored_hash = account_hash(url)
    with ThreadPoolExecutor(21) as pool:
        right = pool.submit(attempt, url, hasher, PASSWORD)
        assert right_checking.wait(WAIT)
        try:
            wrong = [future.result() for future in [pool.submit(attempt, url, hasher, WRONG) for _ in range(20)]]
        finally:
            burst_done.set()
        assert right.result() == "ok"
    assert hasher.checked.count(stored_hash) == 1 + 4
    assert wrong == [WRONG_PASSWORD] * 20
    with Store(url) as store:
        stored = store.account(username="admin")
    assert (stored.failed_logins, stored.locked_until) == (4, None)
    assert attempt(url, SpyHasher(), WRONG) == WRONG_PASSWORD  # the fifth failure in a row locks
    assert attempt(url, SpyHasher(), PASSWORD) == WRONG_PASSWORD


@pytest.mark.parametrize(("case", "username", "outcome", "detail"), [
    ("unknown name", "nobody", "失敗", "帳號或密碼錯誤"),
    ("the password typed as the name", PASSWORD, "失敗", "帳號或密碼錯誤"),
    ("a single sign-on account without a password", "sso", "失敗", "帳號或密碼錯誤"),
    ("wrong password", "admin", "失敗", "密碼錯誤"),
    ("locked account", "admin", "拒絕", "帳號暫時鎖定至"),
    ("locked account, right password", "admin", "拒絕", "帳號暫時鎖定至"),
])
def test_unknown_locked_and_wrong_get_the_same_words_after_the_same_work(url, case, username, outcome, detail):
    hasher = SpyHasher()
    with Store(url) as store:
        services = Services(store, ROLES, hasher=hasher)
        services.add_account(SYSTEM, "sso", display_name="單一登入", roles=["viewer"], email="sso@example.gov.tw")
        if case.startswith("locked"):
            for _ in range(LOCK_AFTER):
                with pytest.raises(LoginFailed):
                    services.login("admin", WRONG)
        hasher.checked.clear()
        with pytest.raises(LoginFailed) as failed:
            services.login(username, PASSWORD if case.endswith("right password") else WRONG)
        assert str(failed.value) == WRONG_PASSWORD
        assert len(hasher.checked) == 1  # one check, whether or not there is an account or it is locked
        parameters = store.account(username="admin").password_hash.rsplit("$", 2)[0]
        assert hasher.checked[0].startswith(parameters + "$")  # the dummy hash costs what a real one does
        row = store.audit_log(action="登入", limit=1)[0]
    assert row.outcome.value == outcome and row.detail.startswith(detail)
    assert PASSWORD not in repr(row) and WRONG not in repr(row)


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


@pytest.mark.parametrize(("wrong_before", "active", "answer", "left"), [
    (0, True, "ok", 0),
    (3, True, "ok", 0),  # a right password ends the run of failures before it
    (4, True, "ok", 0),
    (3, False, "此帳號已停用，請洽系統管理者。", 0),  # right but disabled: not a failure, and no session
    (5, True, WRONG_PASSWORD, 5),  # locked: not checked, not counted
])
def test_what_a_right_password_leaves_of_the_count(url, wrong_before, active, answer, left):
    hasher = SpyHasher()
    with Store(url) as store:
        services = Services(store, ROLES, hasher=hasher)
        services.add_account(SYSTEM, "wang", display_name="王小明", roles=["viewer"], password=PASSWORD)
        for _ in range(wrong_before):
            with pytest.raises(LoginFailed):
                services.login("wang", WRONG)
        if not active:
            services.set_active(SYSTEM, "wang", False)
        assert attempt(url, hasher, PASSWORD, "wang") == answer
        stored = store.account(username="wang")
    assert stored.failed_logins == left and (stored.locked_until is not None) == (left >= LOCK_AFTER)


@pytest.mark.parametrize(("change", "detail"), [
    pytest.param(lambda services: services.reset_password(SYSTEM, "admin", "a brand new passphrase"),
                 "檢查密碼期間密碼已被重設或帳號已停用", id="password reset"),
    pytest.param(lambda services: services.set_active(SYSTEM, "admin", False),
                 "檢查密碼期間密碼已被重設或帳號已停用", id="account disabled"),
])
def test_a_password_reset_or_disable_during_the_check_starts_no_session(url, change, detail):
    """An administrator resets the password (or disables the account) while the old password is being checked:
    the reset ends every session, and the login under way must not start one after it."""
    with Store(url) as store:
        second = Services(store, ROLES, hasher=SpyHasher())
        second.add_account(SYSTEM, "other.admin", display_name="另一位管理者", roles=["administrator"], password=PASSWORD)
    hasher = SpyHasher()

    def during_check(_password: str) -> None:
        hasher.hold = lambda password: None
        with Store(url) as other:
            change(Services(other, ROLES, hasher=SpyHasher()))

    hasher.hold = during_check
    assert attempt(url, hasher, PASSWORD) == WRONG_PASSWORD
    with Store(url) as store, store._reading() as connection:
        assert connection.execute(sa.select(sa.func.count()).select_from(login_sessions_table)).scalar() == 0
    assert login_rows(url)[0] == ("拒絕", detail)
