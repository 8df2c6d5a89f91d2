"""A login session's end, as the core says it (Services.actor): the idle limit, the 12-hour lifetime (or the idle
setting when longer), the expiry it reports for the account box, and a check that is not activity. On SQLite and
PostgreSQL: the session rows are moved into the past by hand."""

from __future__ import annotations

import datetime as dt
import hashlib

import pytest
import sqlalchemy as sa
from argon2 import PasswordHasher

from catalogues import FIXTURE_PLANS
from metrics.plans.roles import load_roles
from metrics.services import Services, command_line
from metrics.store import Store, login_sessions_table

ROLES = load_roles(FIXTURE_PLANS)
FAST = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
PASSWORD = "correct horse battery"
SYSTEM = command_line("tester")
MINUTE, HOUR = dt.timedelta(minutes=1), dt.timedelta(hours=1)
CLOSE = dt.timedelta(seconds=20)  # the test's own runtime on a loaded machine


@pytest.fixture
def services(store_url: str) -> Services:
    with Store(store_url) as store:
        yield Services(store, ROLES, hasher=FAST)


def log_in(services: Services, *, idle: int, started: dt.timedelta, seen: dt.timedelta) -> str:
    """A viewer's login that started `started` ago and was last active `seen` ago, with the idle setting."""
    services.save_settings(SYSTEM, view_needs_login=False, idle_minutes=idle)
    services.add_account(SYSTEM, "viewer", display_name="檢視者", roles=["viewer"], password=PASSWORD)
    token, _ = services.login("viewer", PASSWORD)
    now = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
    engine = sa.create_engine(services.store.url)
    try:
        with engine.begin() as connection:
            connection.execute(login_sessions_table.update().where(
                login_sessions_table.c.token_hash == hashlib.sha256(token.encode()).hexdigest()).values(
                created_at=now - started, last_seen_at=now - seen))
    finally:
        engine.dispose()
    return token


def last_seen(services: Services, token: str) -> dt.datetime:
    return services.store.session(hashlib.sha256(token.encode()).hexdigest())[1]


# idle setting (minutes), login started … ago, last active … ago → expires in … from now (None: ended), by idle
# or the lifetime, why it ended
CASES = [
    (30, 10 * MINUTE, 10 * MINUTE, 30 * MINUTE, True, ""),  # this check is activity: 30 minutes from now
    (30, 40 * MINUTE, 29 * MINUTE, 30 * MINUTE, True, ""),
    (30, 40 * MINUTE, 31 * MINUTE, None, None, "閒置超過 30 分鐘，已自動登出，請重新登入"),
    (30, 11 * HOUR + 50 * MINUTE, MINUTE / 2, 10 * MINUTE, False, ""),  # the lifetime ends first
    (30, 12 * HOUR - MINUTE, MINUTE / 2, MINUTE, False, ""),
    (30, 12 * HOUR + MINUTE, MINUTE / 2, None, None, "登入已超過 12 小時，已自動登出，請重新登入"),
    (1000, 12 * HOUR + MINUTE, MINUTE, 1000 * MINUTE - 12 * HOUR - MINUTE, False, ""),  # idle longer: its length
    (1000, 1001 * MINUTE, MINUTE, None, None, "登入已超過 1000 分鐘，已自動登出，請重新登入"),
]


@pytest.mark.parametrize(("idle", "started", "seen", "expires_in", "by_idle", "ended"), CASES)
def test_when_a_login_ends(services, idle, started, seen, expires_in, by_idle, ended):
    token = log_in(services, idle=idle, started=started, seen=seen)
    actor = services.actor(token)
    now = dt.datetime.now(dt.timezone.utc)
    if expires_in is None:
        assert actor.account is None and actor.ended == ended and actor.expires_at is None
        [row] = services.store.audit_log(action="登出")
        assert row.detail == ended.split("，")[0].replace("已超過", "超過")
        assert services.actor(token).ended == "已登出"  # ended for good
    else:
        assert actor.account.username == "viewer" and actor.by_idle is by_idle
        assert abs(actor.expires_at - (now + expires_in)) < CLOSE


def test_a_check_that_is_not_activity_leaves_the_last_activity(services):
    token = log_in(services, idle=30, started=10 * MINUTE, seen=10 * MINUTE)
    before = last_seen(services, token)
    quiet = services.actor(token, touch=False)
    assert quiet.account is not None and last_seen(services, token) == before
    assert abs(quiet.expires_at - (before + 30 * MINUTE)) < dt.timedelta(seconds=1)
    active = services.actor(token)
    assert last_seen(services, token) > before and active.expires_at > quiet.expires_at + 9 * MINUTE
