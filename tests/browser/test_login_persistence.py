"""A password login in Chromium is kept across a reload and a bookmark opened in another tab, until the person
logs out; the cookie that keeps it is SameSite=Strict, a session cookie, and never in the URL. The account box
logs out by itself when the idle time is over, without a click."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from metrics.intake.parsing import TAIWAN, format_taiwan_time
from metrics.store import login_sessions_table

from .helpers import (TESTER, Page, StreamlitApp, expect, log_in, log_out, open_page, plans_of_tests, title,
                      wait_for_app_idle)

pytestmark = pytest.mark.browser

LOGGED_IN = "已登入："
LOGGED_OUT = "未登入：可檢視，不能上傳或修改。"
BOOKMARK = "?year=112&unit=政風處&month=6"
COOKIE = "kpi_login"


def login_cookies(page: Page) -> list[dict]:
    return [cookie for cookie in page.context.cookies() if cookie["name"] == COOKIE]


def sessions(database_url: str) -> list:
    """The store's login sessions, oldest first."""
    engine = sa.create_engine(database_url)
    try:
        with engine.connect() as connection:
            return list(connection.execute(login_sessions_table.select().order_by(login_sessions_table.c.created_at)))
    finally:
        engine.dispose()


def set_idle_minutes(database_url: str, minutes: int) -> None:
    """As an administrator would in 帳號管理 → 系統設定 (through the core, from the command line)."""
    from metrics.plans.roles import load_roles
    from metrics.services import Services, command_line
    from metrics.store import Store

    with Store(database_url) as store:
        Services(store, load_roles(plans_of_tests())).save_settings(command_line("browser tests"),
                                                                  view_needs_login=False, idle_minutes=minutes)


def assert_logged_in(page: Page) -> None:
    expect(page.get_by_test_id("stSidebar").get_by_text(LOGGED_IN)).to_contain_text(f"測試員（{TESTER}）")


def assert_logged_out(page: Page) -> None:
    sidebar = page.get_by_test_id("stSidebar")
    expect(sidebar.get_by_text(LOGGED_OUT)).to_be_visible()
    expect(sidebar.get_by_text(LOGGED_IN)).to_have_count(0)


def test_a_login_lasts_across_a_reload_and_a_bookmark_until_the_logout(fresh_app: StreamlitApp, page: Page) -> None:
    open_page(page, fresh_app.url, "總覽")
    log_in(page)
    page.wait_for_function(f"document.cookie.includes('{COOKIE}=')")  # written by the page after the login
    [cookie] = login_cookies(page)
    assert (cookie["sameSite"], cookie["httpOnly"], cookie["path"], cookie["expires"]) == ("Strict", False, "/", -1)
    [session] = sessions(fresh_app.database_url)
    assert session.ended_at is None and session.token_hash != cookie["value"]  # the store keeps only a hash
    assert cookie["value"] not in page.url

    page.reload()
    expect(title(page, "總覽")).to_be_visible()
    assert_logged_in(page)
    wait_for_app_idle(page)

    bookmark = page.context.new_page()  # another tab of the same browser, opening a bookmarked view
    open_page(bookmark, fresh_app.url + "/" + BOOKMARK, "總覽")
    assert_logged_in(bookmark)
    expect(bookmark.get_by_text("政風處｜統計至 112年6月")).to_be_visible()
    assert cookie["value"] not in bookmark.url
    assert len(sessions(fresh_app.database_url)) == 1  # the same login, not a new one

    log_out(bookmark)
    page.wait_for_function(f"!document.cookie.includes('{COOKIE}=')")
    assert login_cookies(page) == []
    [session] = sessions(fresh_app.database_url)
    assert session.ended_at is not None

    page.reload()
    expect(title(page, "總覽")).to_be_visible()
    assert_logged_out(page)
    bookmark.reload()
    expect(title(bookmark, "總覽")).to_be_visible()
    assert_logged_out(bookmark)
    wait_for_app_idle(bookmark)


def test_the_account_box_logs_out_by_itself_when_the_idle_time_is_over(fresh_app: StreamlitApp, page: Page) -> None:
    set_idle_minutes(fresh_app.database_url, 1)
    open_page(page, fresh_app.url, "總覽")
    log_in(page)
    [session] = sessions(fresh_app.database_url)
    end = (session.last_seen_at.replace(tzinfo=dt.timezone.utc) + dt.timedelta(minutes=1)).astimezone(TAIWAN)
    sidebar = page.get_by_test_id("stSidebar")
    when = f"{end:%H:%M}" if end.date() == dt.datetime.now(TAIWAN).date() else format_taiwan_time(end)
    expect(sidebar.get_by_text(LOGGED_IN)).to_contain_text(f"若無操作，將於 {when} 自動登出")

    # Nothing is clicked from here on: the box's own timer, just after the minute, finds the login ended.
    expect(sidebar.get_by_text(LOGGED_OUT)).to_be_visible(timeout=120_000)
    expect(sidebar.get_by_text("閒置超過 1 分鐘，已自動登出，請重新登入")).to_be_visible()
    expect(sidebar.get_by_text(LOGGED_IN)).to_have_count(0)
    page.wait_for_function(f"!document.cookie.includes('{COOKIE}=')")
    [session] = sessions(fresh_app.database_url)
    assert session.ended_at is not None
    wait_for_app_idle(page)

    page.reload()
    expect(title(page, "總覽")).to_be_visible()
    assert_logged_out(page)
    wait_for_app_idle(page)
