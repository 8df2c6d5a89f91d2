"""Month end in Chromium: a 公文清單 whose only date column is 發文日期 opens the column mapping form (the
shared date offered as 日期), the preview names the row left out and the month still incomplete, the
checklist shows what each source has delivered, and the overview stays on the last complete month.

By hand: March is stored complete (the sample year's figures of 1–3月). The export holds three letters of
April: row 2 sent electronically, row 3 received electronically and signed online, row 4 received on paper
and signed on paper — which no field counts. So April gets 發文總件數 1, 電子發文件數 1, 電子公文收文總數 1,
公文線上簽核件數 1, 紙本來文線上簽核數 0, 自創簽稿數 0, and still lacks the other 20 fields.
"""

from __future__ import annotations

import pytest

from catalogues import CATALOGUE
from synthetic_exports import xlsx_bytes
from metrics.intake.monthly import read_upload
from metrics.store import Store

from .helpers import (Page, StreamlitApp, assert_no_error_shown, button, expect, go_to, log_in, open_page,
                      save_screenshot, table_with_column, wait_for_app_idle)
from .test_flows import file_input, upload_payload

pytestmark = pytest.mark.browser

SAMPLE = "sample_data/112-full-year.csv"
LETTERS = [["文號", "收發別", "發文日期", "交換方式", "簽核方式", "主旨"],
           ["府政字第1", "發文", "112/04/05", "電子交換", None, "函覆"],
           ["府收字第2", "收文", "112/04/06", "電子交換", "線上簽核", "陳情"],
           ["府收字第3", "收文", "112/04/09", "紙本", "紙本簽核", "公告"]]


def store_first_quarter(app: StreamlitApp) -> None:
    from pathlib import Path

    data = (Path(__file__).resolve().parents[2] / SAMPLE).read_bytes()
    frame = read_upload(data, "112-full-year.csv", CATALOGUE)
    frame = frame[(frame["unit"] == "政風處") & (frame["month"] <= 3)]
    with Store(app.database_url) as store:
        store.ingest(frame, file_name="112-01至03.csv", file_bytes=b"first quarter")


def test_month_end_with_an_export_that_needs_a_mapping(fresh_app: StreamlitApp, page: Page) -> None:
    store_first_quarter(fresh_app)
    open_page(page, fresh_app.page_url("資料上傳"), "資料上傳")
    log_in(page)
    file_input(page).set_input_files([upload_payload("公文清單.xlsx", xlsx_bytes(LETTERS))])

    warning = page.get_by_test_id("stAlertContentWarning").filter(has_text="需要指定欄位對應")
    expect(warning).to_contain_text("有 2 列收文，但找不到「收文日期」或「日期」欄")
    expect(page.get_by_test_id("stAlertContentError")).to_have_count(0)
    form = page.get_by_test_id("stForm")
    expect(form.get_by_label("日期", exact=True)).to_have_value("發文日期")  # the best guess, preselected
    save_screenshot(page, "05-month-end-mapping")
    form.get_by_role("button", name="儲存欄位對應並重新讀取").click()

    expect(page.get_by_text("辨識為：公文清單（公文管理系統匯出）｜讀取 3 列，計入 2 列")).to_be_visible()
    page.get_by_text("未計入的 1 列及原因").click()
    left_out = table_with_column(page, "未計入原因")
    expect(left_out).to_be_visible()
    expect(page.get_by_test_id("stAlertContentWarning").filter(has_text="儲存後下列月份的數字仍不齊全")).to_contain_text(
        "112年4月尚缺 20 項")
    wait_for_app_idle(page)
    save_screenshot(page, "05-month-end-preview")
    button(page, "confirm_upload").click()
    expect(page.get_by_test_id("stAlertContentSuccess")).to_contain_text("已儲存「公文清單.xlsx」為第 2 批")
    wait_for_app_idle(page)
    expect(table_with_column(page, "政風案件紀錄")).to_be_visible()  # the month checklist
    assert_no_error_shown(page)

    go_to(page, "總覽")
    expect(page.get_by_role("heading", name="政風處｜統計至 112年3月（最新填報：112年4月）")).to_be_visible()
    assert_no_error_shown(page)
    save_screenshot(page, "05-month-end-overview")
