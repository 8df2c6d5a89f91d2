"""One performance cycle in Chromium, each step by its own account in its own browser session: the reporter of
政風處 sends the 年終 自評, 研考 returns it with a comment on indicator 1 (shown on 指標明細), the reporter sends it
again, 研考 passes it, the board approves it (confirmed in a dialog); an upload touching an approved month is
refused; the board reopens it with a reason. The full sample year of 政風處 112 is stored first; the clock is
the real one (every 112 deadline has passed)."""

from __future__ import annotations

import pytest

from metrics.store import State, Store

from .helpers import (ROOT, Page, StreamlitApp, add_account, assert_no_error_shown, expect, go_to, log_in,
                      open_page, save_screenshot, wait_for_app_idle)
from .test_flows import file_input, store_file, upload_payload

SAMPLE_CSV = ROOT / "sample_data" / "112-full-year.csv"

pytestmark = pytest.mark.browser


def state(app: StreamlitApp) -> State | None:
    with Store(app.database_url) as store:
        stored = store.assessment(112, "政風處", "year")
    return stored.state if stored else None


def session(chromium, app: StreamlitApp, username: str) -> Page:
    context = chromium.new_context(viewport={"width": 1400, "height": 1000}, locale="zh-TW",
                                   timezone_id="Asia/Taipei")
    page = context.new_page()
    open_page(page, app.url, "總覽")
    log_in(page, username)
    go_to(page, "填報進度")
    return page


def main(page: Page):
    return page.get_by_test_id("stMain")


def click(page: Page, name: str) -> None:
    main(page).get_by_role("button", name=name, exact=True).click()


def test_one_cycle_in_the_browser(fresh_app: StreamlitApp, chromium, page: Page) -> None:
    store_file(fresh_app, "112-full-year.csv", SAMPLE_CSV.read_bytes())
    for username, roles, units in (("wang", ("reporter",), ("政風處",)), ("lee", ("reviewer",), ()),
                                   ("chang", ("board",), ())):
        add_account(fresh_app.database_url, username, roles=roles, units=units, display_name=username)
    reporter = session(chromium, fresh_app, "wang")
    expect(reporter.get_by_test_id("stSidebar")).to_contain_text("待辦 2 件")
    expect(main(reporter)).to_contain_text("政風處 112 年度年終自評")
    save_screenshot(reporter, "30-progress-reporter")
    click(reporter, "送出自評")
    expect(reporter.get_by_test_id("stAlertContentSuccess").first).to_contain_text("已送出 政風處 112 年度年終自評")
    assert state(fresh_app) is State.SUBMITTED

    reviewer = session(chromium, fresh_app, "lee")
    expect(reviewer.get_by_test_id("stSidebar")).to_contain_text("待辦 1 件")
    reviewer.locator('.st-key-comment_112_---_year_1 textarea').fill("請補充預警案件說明")
    reviewer.locator('.st-key-review_comment_112_---_year textarea').fill("請補充指標 1")
    click(reviewer, "退回修正")
    dialog = reviewer.get_by_role("dialog")
    expect(dialog).to_contain_text("確定要退回")
    save_screenshot(reviewer, "30-progress-return-dialog")
    dialog.get_by_role("button", name="確認退回修正").click()
    expect(reviewer.get_by_test_id("stAlertContentSuccess").first).to_contain_text("已退回修正")
    assert state(fresh_app) is State.RETURNED

    go_to(reporter, "指標明細")
    expect(main(reporter)).to_contain_text("審核意見（lee（lee））：請補充預警案件說明")
    go_to(reporter, "填報進度")
    reporter.locator('.st-key-explain_112_---_year_1 textarea').fill("預警案件皆已結案")
    click(reporter, "送出自評")
    expect(reporter.get_by_test_id("stAlertContentSuccess").first).to_contain_text("已送出")
    assert state(fresh_app) is State.SUBMITTED

    reviewer.reload()
    wait_for_app_idle(reviewer)
    go_to(reviewer, "填報進度")
    click(reviewer, "初核通過")
    expect(reviewer.get_by_test_id("stAlertContentSuccess").first).to_contain_text("已初核通過")
    assert state(fresh_app) is State.PASSED

    board = session(chromium, fresh_app, "chang")
    click(board, "核定")
    board.get_by_role("dialog").get_by_role("button", name="確認核定").click()
    expect(board.get_by_test_id("stAlertContentSuccess").first).to_contain_text("已核定")
    assert state(fresh_app) is State.APPROVED

    go_to(reporter, "資料上傳")
    changed = "年度,月份,單位,項目代碼,數值\n112,3,政風處,procurement_audits,99\n".encode("utf-8")
    file_input(reporter).set_input_files([upload_payload("3月更正.csv", changed)])
    reporter.get_by_role("button", name="確認儲存 1 個檔案").click()
    expect(main(reporter)).to_contain_text("1月至12月的數字已鎖定，不能上傳（涉及 3月）")
    save_screenshot(reporter, "30-locked-upload")

    board.locator('.st-key-reopen_reason_112_---_year textarea').fill("三月數字有誤")
    click(board, "重新開放")
    board.get_by_role("dialog").get_by_role("button", name="確認重新開放").click()
    expect(board.get_by_test_id("stAlertContentSuccess").first).to_contain_text("已重新開放")
    assert state(fresh_app) is State.RETURNED
    assert_no_error_shown(board)
    for other in (reporter, reviewer, board):
        other.context.close()
