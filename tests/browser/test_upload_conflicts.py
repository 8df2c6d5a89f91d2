"""Two files that disagree on March's 預警案件數 (12 in A.csv, 4 in B.csv), chosen together in Chromium: the
conflict is shown side by side and the confirm button is disabled; choosing B.csv for all enables it, and B's 4
is what gets stored, with A's other figures."""

from __future__ import annotations

from decimal import Decimal

import pytest

from metrics.store import Store

from .helpers import Page, StreamlitApp, assert_no_error_shown, button, expect, log_in, open_page, wait_for_app_idle
from .test_flows import file_input, upload_payload

pytestmark = pytest.mark.browser

HEADER = "年度,月份,單位,項目代碼,數值\n"
A = (HEADER + "112,3,政風處,warning_cases,12\n112,3,政風處,procurement_audits,7\n").encode("utf-8")
B = (HEADER + "112,3,政風處,warning_cases,4\n").encode("utf-8")


def test_files_that_disagree_are_settled_before_anything_is_stored(fresh_app: StreamlitApp, page: Page) -> None:
    open_page(page, fresh_app.page_url("資料上傳"), "資料上傳")
    log_in(page)
    file_input(page).set_input_files([upload_payload("A.csv", A), upload_payload("B.csv", B)])
    expect(page.get_by_test_id("stAlertContentError")).to_contain_text(
        "所選的檔案中有 1 個數字互相矛盾：同一個月份的同一個項目，在不同檔案中的數值不同"
        "（例如 112年3月 預警案件數：「A.csv」為 12（E2）、「B.csv」為 4（E2））")
    expect(button(page, "confirm_upload")).to_be_disabled()
    expect(page.get_by_text("3. 確認將儲存的數字")).to_have_count(0)
    wait_for_app_idle(page)

    page.get_by_role("button", name="以「B.csv」為準").click()
    expect(page.get_by_test_id("stAlertContentSuccess")).to_contain_text("1 個不一致的數字都已決定以哪個檔案為準")
    expect(page.get_by_text("A.csv：112年3月，共 1 筆（新增 1、修改 0、相同 0）")).to_be_visible()
    expect(button(page, "confirm_upload")).to_be_enabled()
    wait_for_app_idle(page)
    with Store(fresh_app.database_url) as store:
        assert store.is_empty()

    button(page, "confirm_upload").click()
    expect(page.get_by_test_id("stAlertContentSuccess").first).to_contain_text("已儲存「A.csv」為第 1 批")
    wait_for_app_idle(page)
    with Store(fresh_app.database_url) as store:
        frame = store.current_frame()
    assert dict(zip(frame["field"], frame["value"])) == {"warning_cases": Decimal(4), "procurement_audits": Decimal(7)}
    assert_no_error_shown(page)
