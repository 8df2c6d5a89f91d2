"""Accounts in Chromium, from a fresh install: the first visitor creates the administrator, who creates a
reporter of 政風處 and a viewer; the reporter uploads a month and logs out; the viewer finds no write control."""

from __future__ import annotations

import pytest

from metrics.store import Store

from .helpers import (PASSWORD, Page, StreamlitApp, assert_no_error_shown, button, expect, go_to, log_in, log_out,
                      open_page, save_screenshot, title, wait_for_app_idle)
from .test_flows import JANUARY, file_input, history_lines, upload_payload, workbook_bytes

pytestmark = pytest.mark.browser


def choose(page: Page, key: str, option: str) -> None:
    """Pick an option of a multiselect as a user does: open it, type, press Enter."""
    field = page.locator(f'[class*="st-key-{key}_"] input')
    field.click()
    field.fill(option)
    page.get_by_role("option", name=option, exact=True).click()
    page.keyboard.press("Escape")


def create_account(page: Page, username: str, name: str, role: str, unit: str | None = None) -> None:
    page.get_by_role("tab", name="新增帳號").click()
    page.locator('[class*="st-key-new_username_"] input').fill(username)
    page.locator('[class*="st-key-new_display_name_"] input').fill(name)
    choose(page, "new_roles", role)
    if unit is not None:
        choose(page, "new_units", unit)
    page.locator('[class*="st-key-new_password_"]:not([class*="again"]) input').fill(PASSWORD)
    page.locator('[class*="st-key-new_password_again_"] input').fill(PASSWORD)
    page.get_by_role("button", name="建立帳號").click()
    expect(page.get_by_test_id("stAlertContentSuccess")).to_contain_text(f"已建立帳號 {username}（{name}）")
    wait_for_app_idle(page)


def test_first_run_then_a_reporter_uploads_and_a_viewer_cannot_write(first_run_app: StreamlitApp,
                                                                      page: Page) -> None:
    open_page(page, first_run_app.url, "首次使用：建立系統管理者")
    expect(page.get_by_test_id("stSidebar")).to_have_count(0)  # nothing but the setup until it is done
    page.locator(".st-key-first_username input").fill("admin")
    page.locator(".st-key-first_name input").fill("系統管理者")
    page.locator(".st-key-first_password input").fill(PASSWORD)
    page.locator(".st-key-first_password_again input").fill(PASSWORD)
    save_screenshot(page, "10-first-run")
    page.get_by_role("button", name="建立系統管理者並登入").click()
    expect(title(page, "總覽")).to_be_visible()
    expect(page.get_by_test_id("stSidebar").get_by_text("已登入：")).to_contain_text("系統管理者（admin）")
    wait_for_app_idle(page)

    go_to(page, "帳號管理")
    create_account(page, "wang", "王小明", "填報人", "政風處")
    create_account(page, "lin", "林檢視", "檢視者")
    save_screenshot(page, "10-accounts")
    with Store(first_run_app.database_url) as store:
        assert [(account.username, account.roles, account.units) for account in store.accounts()] == [
            ("admin", ("administrator",), ()), ("lin", ("viewer",), ()), ("wang", ("reporter",), ("政風處",))]
    log_out(page)

    log_in(page, "wang")
    go_to(page, "資料上傳")
    file_input(page).set_input_files([upload_payload("112-01.xlsx", workbook_bytes(JANUARY))])
    expect(page.get_by_text("上傳者：王小明（wang）（記入上傳紀錄與操作紀錄）")).to_be_visible()
    wait_for_app_idle(page)
    button(page, "confirm_upload").click()
    expect(page.get_by_test_id("stAlertContentSuccess")).to_contain_text("已儲存「112-01.xlsx」為第 1 批")
    wait_for_app_idle(page)
    expect(history_lines(page)).to_contain_text("上傳者 王小明（wang）")
    expect(page.locator(".st-key-undo_1")).to_have_count(1)
    log_out(page)

    log_in(page, "lin")
    go_to(page, "資料上傳")
    expect(page.get_by_text("您沒有上傳政風處資料的權限（您的角色：檢視者）。如需此權限，請洽系統管理者。")).to_be_visible()
    expect(file_input(page)).to_have_count(0)
    expect(page.locator(".st-key-undo_1")).to_have_count(0)
    expect(history_lines(page)).to_have_count(1)
    save_screenshot(page, "10-viewer-upload-page")
    go_to(page, "指標明細")
    page.locator(".st-key-detail_indicator input").click()  # no figures for 3 in January: a reason is asked for
    page.get_by_role("option", name="3 陳情檢舉完成", exact=True).click()
    expect(page.get_by_text("指標 3：")).to_be_visible()
    wait_for_app_idle(page)
    expect(page.get_by_text("您沒有填寫政風處落後原因與改進措施的權限（您的角色：檢視者）。如需此權限，請洽系統管理者。")
           ).to_be_visible()
    expect(page.get_by_role("button", name="儲存說明")).to_have_count(0)
    go_to(page, "情境模擬")
    expect(page.locator(".st-key-whatif_save")).to_have_count(0)
    go_to(page, "操作紀錄")
    expect(page.get_by_text("帳號管理", exact=True)).to_have_count(0)
    assert_no_error_shown(page)
    save_screenshot(page, "10-viewer-audit")
    with Store(first_run_app.database_url) as store:
        # the plans and the cycle seeded from plans/ when the store opened come first; the people's actions follow
        trail = [(row.account, row.action) for row in store.audit_log() if row.action not in ("計畫版本", "考核週期")]
    assert trail[::-1][:5] == [("系統管理者（admin）", "建立帳號"), ("系統管理者（admin）", "登入"),
                               ("系統管理者（admin）", "建立帳號"), ("系統管理者（admin）", "建立帳號"),
                               ("系統管理者（admin）", "登出")]
    assert ("王小明（wang）", "上傳") in trail and ("林檢視（lin）", "登入") in trail
