"""The login kept by the browser (AppTest): a new session resumes the login whose token the cookie holds only if
the core still accepts it (an ended, idle, too old, unknown token, or a disabled account or a reset password, is
refused and the cookie cleared); a login sets the cookie and a logout clears it. The account box says when the
login ends, and its own run by its timer shows a login that ended without counting as activity.

The cookie the browser sent is st.context.cookies, which AppTest cannot give: the `cookies` fixture stands in.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import secrets
from collections.abc import Callable

import pytest
import sqlalchemy as sa
from streamlit.runtime.context import ContextProxy
from streamlit.testing.v1 import AppTest

from markup import seen
from metrics.intake.parsing import TAIWAN, format_taiwan_time
from metrics.services import command_line
from metrics.store import Store, login_sessions_table
from signing import PASSWORD, make_account, services, token

TIMEOUT = 30
COOKIE = "kpi_login"
LOGGED_OUT = "未登入：可檢視，不能上傳或修改。"
REPORTER = {"username": "wang", "roles": ("reporter",), "units": ("政風處",), "display_name": "王小明"}
LOGGED_IN = "已登入：**王小明（wang）**"
IDLE = "閒置超過 30 分鐘，已自動登出，請重新登入"
BOX_SCRIPT = """
import streamlit as st
from ui.auth import _account_fragment, current_actor, get_services

services = get_services()
if st.session_state.pop("timer", False):  # the box alone, as its timer runs it: the page's run is not repeated
    state = st.session_state["box"]
else:
    st.session_state["page_runs"] = st.session_state.get("page_runs", 0) + 1
    state = st.session_state["box"] = {"actor": current_actor(services), "drawn": False}
with st.sidebar:
    _account_fragment(services, state)
"""


@pytest.fixture
def cookies(monkeypatch) -> dict[str, str]:
    """The cookies the browser sent when the session connected, as the test sets them."""
    sent: dict[str, str] = {}
    monkeypatch.setattr(ContextProxy, "cookies", property(lambda self: sent))
    return sent


def dashboard() -> AppTest:
    return AppTest.from_file("../dashboard.py", default_timeout=TIMEOUT)


def texts(app: AppTest) -> str:
    return "\n".join(seen(element.value) for kind in ("markdown", "caption", "warning", "info", "error", "success",
                                                     "title") for element in getattr(app, kind))


def shown(end: dt.datetime) -> str:
    """How the box writes a time: the hour and minute today (Taiwan time), else with the date."""
    end = end.astimezone(TAIWAN)
    return f"{end:%H:%M}" if end.date() == dt.datetime.now(TAIWAN).date() else format_taiwan_time(end)


def cookie_actions(app: AppTest) -> list[dict[str, str]]:
    """What this run's scripts do to the browser's cookie: {"set": token} or {"clear": token}."""
    bodies = [element.proto.body for element in app.get("html") if "document.cookie" in element.proto.body]
    return [json.loads(re.search(r"const action = (\{.*?\});", body).group(1)) for body in bodies]


def session_row(url: str, value: str):
    engine = sa.create_engine(url)
    try:
        with engine.connect() as connection:
            return connection.execute(login_sessions_table.select().where(
                login_sessions_table.c.token_hash == hashlib.sha256(value.encode()).hexdigest())).first()
    finally:
        engine.dispose()


def backdate(url: str, value: str, **ago: dt.timedelta) -> None:
    """Moves a login session's last_seen_at and/or created_at that far into the past."""
    now = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
    engine = sa.create_engine(url)
    try:
        with engine.begin() as connection:
            connection.execute(login_sessions_table.update().where(
                login_sessions_table.c.token_hash == hashlib.sha256(value.encode()).hexdigest()).values(
                **{f"{column}_at": now - moment for column, moment in ago.items()}))
    finally:
        engine.dispose()


def logged_out(url: str, value: str) -> str:
    services(url).logout(services(url).actor(value))
    return value


def idle(url: str, value: str) -> str:
    backdate(url, value, last_seen=dt.timedelta(minutes=31))
    return value


def too_old(url: str, value: str) -> str:  # active a minute ago, but logged in 12 hours and a minute ago
    backdate(url, value, last_seen=dt.timedelta(minutes=1), created=dt.timedelta(hours=12, minutes=1))
    return value


def disabled(url: str, value: str) -> str:
    services(url).set_active(command_line("tests"), "wang", False)
    return value


def password_reset(url: str, value: str) -> str:
    services(url).reset_password(command_line("tests"), "wang", "another password for tests")
    return value


def unknown(url: str, value: str) -> str:
    return secrets.token_urlsafe(32)  # our token's shape, but never issued


# (what happened to the login the cookie holds, notice shown once, login kept)
RESUMES: list[tuple[Callable[[str, str], str] | None, str | None, bool]] = [
    (None, None, True),
    (logged_out, None, False),
    (idle, IDLE, False),
    (too_old, "登入已超過 12 小時，已自動登出，請重新登入", False),
    (disabled, None, False),
    (password_reset, None, False),
    (unknown, None, False),
]


@pytest.mark.parametrize(("change", "notice", "kept"), RESUMES,
                         ids=[change.__name__ if change else "valid" for change, _, _ in RESUMES])
def test_a_new_session_resumes_the_login_in_the_cookie_only_while_it_is_valid(database, cookies, change, notice,
                                                                              kept):
    make_account(database, "admin", roles=("administrator",))
    value = token(database, **REPORTER)
    if change is not None:
        value = change(database, value)
    cookies[COOKIE] = value
    app = dashboard().run()
    assert not app.exception, [error.value for error in app.exception]
    if kept:
        assert LOGGED_IN in texts(app) and LOGGED_OUT not in texts(app)
        assert app.session_state["login_token"] == value
        assert cookie_actions(app) == []  # the cookie is right as it is
        assert session_row(database, value).ended_at is None
    else:
        assert LOGGED_OUT in texts(app) and "已登入" not in texts(app)
        assert "login_token" not in app.session_state
        assert cookie_actions(app) == [{"clear": value}]
        assert [error.value for error in app.sidebar.error] == ([notice] if notice else [])
    app.run()  # the cookie the session was opened with is tried once: no second attempt, nothing written again
    assert cookie_actions(app) == []
    assert (LOGGED_IN in texts(app)) is kept and (LOGGED_OUT in texts(app)) is not kept
    assert Store(database).audit_log(action="登入")[0].detail == "以密碼登入"  # a resume writes no login row


@pytest.mark.parametrize("sent", ["short", "a;b=c" * 8, "x" * 101, "ab cd" * 10, ""])
def test_a_cookie_not_of_our_shape_is_ignored(database, cookies, sent):
    make_account(database, "admin", roles=("administrator",))
    cookies[COOKIE] = sent
    app = dashboard().run()
    assert not app.exception
    assert LOGGED_OUT in texts(app) and cookie_actions(app) == [] and "login_token" not in app.session_state


def test_a_login_sets_the_cookie_and_the_logout_clears_it(database, cookies):
    make_account(database, **REPORTER)
    app = dashboard().run()
    assert cookie_actions(app) == []
    app.sidebar.text_input(key="login_username_sidebar").input("wang")
    app.sidebar.text_input(key="login_password_sidebar").input(PASSWORD)
    app.sidebar.button[0].click().run()
    value = app.session_state["login_token"]
    assert LOGGED_IN in texts(app)
    assert cookie_actions(app) == [{"set": value}]
    app.run()
    assert cookie_actions(app) == []  # written once, not on every run

    next(button for button in app.sidebar.button if button.label == "登出").click().run()
    assert LOGGED_OUT in texts(app)
    assert cookie_actions(app) == [{"clear": value}]
    assert session_row(database, value).ended_at is not None

    cookies[COOKIE] = value  # a reload with a cookie the script could not clear (scripts blocked, say)
    again = dashboard().run()
    assert LOGGED_OUT in texts(again) and cookie_actions(again) == [{"clear": value}]


def test_the_cookie_script_keeps_to_the_app_path_and_clears_only_the_ended_token(database, cookies):
    make_account(database, **REPORTER)
    app = dashboard().run()
    app.sidebar.text_input(key="login_username_sidebar").input("wang")
    app.sidebar.text_input(key="login_password_sidebar").input(PASSWORD)
    app.sidebar.button[0].click().run()
    [body] = [element.proto.body for element in app.get("html") if "document.cookie" in element.proto.body]
    assert '"; Path=" + "/" + "; SameSite=Strict"' in body and '"https:" ? "; Secure"' in body
    assert "Max-Age" not in body.split("if (action.set)")[1].split("} else")[0]  # forgotten when the browser closes
    assert 'includes("kpi_login" + "=" + action.clear)' in body  # another tab's newer login is left alone


def test_the_account_box_says_when_the_login_ends(database, cookies):
    make_account(database, **REPORTER)
    value = token(database, **REPORTER)
    cookies[COOKIE] = value
    app = dashboard().run()
    last_seen = session_row(database, value).last_seen_at.replace(tzinfo=dt.timezone.utc)
    end = (last_seen + dt.timedelta(minutes=30)).astimezone(TAIWAN)
    [caption] = [caption.value for caption in app.sidebar.caption if "已登入" in caption.value]
    assert caption.endswith(f"若無操作，將於 {shown(end)} 自動登出")

    backdate(database, value, last_seen=dt.timedelta(minutes=5), created=dt.timedelta(hours=11, minutes=50))
    app.run()  # the login's 12 hours end before the idle time would: said so
    end = (dt.datetime.now(dt.timezone.utc) + dt.timedelta(minutes=10)).astimezone(TAIWAN)
    [caption] = [caption.value for caption in app.sidebar.caption if "已登入" in caption.value]
    assert re.search(r"將於 (.+) 自動登出（登入時間上限）$", caption).group(1) in (
        shown(end), shown(end - dt.timedelta(minutes=1)))


def test_any_run_after_the_idle_time_shows_the_logout_in_the_box(database, cookies):
    make_account(database, **REPORTER)
    value = token(database, **REPORTER)
    cookies[COOKIE] = value
    app = dashboard().run()
    assert LOGGED_IN in texts(app)
    idle(database, value)
    app.run()
    assert LOGGED_OUT in texts(app) and "已登入" not in texts(app)
    assert [error.value for error in app.sidebar.error] == [IDLE]


def test_the_box_run_by_its_timer_shows_an_ended_login_without_a_click(database, cookies):
    make_account(database, **REPORTER)
    value = token(database, **REPORTER)
    cookies[COOKIE] = value
    app = AppTest.from_string(BOX_SCRIPT, default_timeout=TIMEOUT).run()
    assert LOGGED_IN in texts(app)
    idle(database, value)
    app.session_state["timer"] = True
    app.run()
    assert not app.exception, [error.value for error in app.exception]
    assert LOGGED_OUT in texts(app) and "已登入" not in texts(app)
    assert [error.value for error in app.sidebar.error] == [IDLE]
    assert cookie_actions(app) == [{"clear": value}]
    assert "login_token" not in app.session_state
    [ended] = Store(database).audit_log(action="登出")
    assert (ended.account, ended.detail) == ("王小明（wang）", "閒置超過 30 分鐘")
    assert app.session_state["page_runs"] == 1  # the rest of the page is not redrawn (a note being typed stays)

    app.session_state["timer"] = True  # the timer again: nothing more happens
    app.run()
    assert LOGGED_OUT in texts(app) and cookie_actions(app) == [] and len(Store(database).audit_log(action="登出")) == 1


def test_the_box_run_by_its_timer_is_not_activity(database, cookies):
    """The login was kept alive in another tab: the box redraws the page to time its next check, and neither
    that check nor the page's run counts as activity of this tab."""
    make_account(database, **REPORTER)
    value = token(database, **REPORTER)
    cookies[COOKIE] = value
    app = AppTest.from_string(BOX_SCRIPT, default_timeout=TIMEOUT).run()
    backdate(database, value, last_seen=dt.timedelta(minutes=5))
    before = session_row(database, value).last_seen_at
    app.session_state["timer"] = True
    app.run()
    assert not app.exception, [error.value for error in app.exception]
    assert session_row(database, value).last_seen_at == before
    end = (before.replace(tzinfo=dt.timezone.utc) + dt.timedelta(minutes=30)).astimezone(TAIWAN)
    [caption] = [caption.value for caption in app.sidebar.caption if "已登入" in caption.value]
    assert caption.endswith(f"若無操作，將於 {shown(end)} 自動登出")
    assert "login_quiet_run" not in app.session_state
    app.run()  # the person's next run is activity again
    assert session_row(database, value).last_seen_at > before


def test_when_viewing_needs_a_login_the_timer_redraws_the_whole_page_at_the_expiry(database, cookies):
    make_account(database, **REPORTER)
    services(database).save_settings(command_line("tests"), view_needs_login=True, idle_minutes=30)
    value = token(database, **REPORTER)
    cookies[COOKIE] = value
    app = AppTest.from_string(BOX_SCRIPT, default_timeout=TIMEOUT).run()
    assert LOGGED_IN in texts(app) and app.session_state["page_runs"] == 1
    idle(database, value)
    app.session_state["timer"] = True
    app.run()
    assert not app.exception, [error.value for error in app.exception]
    assert app.session_state["page_runs"] == 2  # the page's own run followed, which hides what needs a login
    assert LOGGED_OUT in texts(app) and [error.value for error in app.sidebar.error] == [IDLE]
    assert cookie_actions(app) == [{"clear": value}]
