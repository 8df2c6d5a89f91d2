"""A 公文清單 nothing recognizes (issue 20), in Chromium: the user chooses its kind (月報範本 first, and is told why it
is not one), maps the columns from the file's headers with examples beside them, sees the months and counts, saves,
and the next file with the same headers is read without asking.

Expected figures are tests/test_choose_kind.py's, computed by hand: each month 發文 4, 電子發文 3, 電子收文 3,
紙本來文線上簽核 1, 自創簽稿 3, 線上簽核 5 — 18 figures for 112年1月至3月."""

from __future__ import annotations

import pytest

from catalogues import CATALOGUE
from metrics.intake.exports import SOURCES, mapping_signature
from metrics.intake.sources import KindNeeded, mapping_choices, read_any
from metrics.store import Store
from test_choose_kind import DOCUMENT_EXPECTED, DOCUMENT_HEADERS, DOCUMENT_MAPPING, DOCUMENT_ROWS, SAMPLES, xlsx

from .helpers import Page, StreamlitApp, assert_no_error_shown, button, expect, log_in, open_page, wait_for_app_idle
from .test_flows import file_input, history_lines, upload_payload

pytestmark = pytest.mark.browser

SIGNATURE = mapping_signature(DOCUMENT_HEADERS)


def pick(page: Page, key: str, option: str) -> None:
    """Choose a selectbox option as a user does: open the box, type, click the option (a box already showing the
    option, as the guesses preselect it, is left as it is)."""
    wait_for_app_idle(page)
    field = page.locator(f".st-key-{key} input")
    if field.input_value() == option:
        return
    field.click()
    field.fill(option)  # typing opens the list, filtered to the option
    page.get_by_role("option", name=option, exact=True).click()
    expect(field).to_have_value(option)


LETTERS = xlsx([DOCUMENT_HEADERS, *DOCUMENT_ROWS])


def shown(header: str) -> str:
    """A header as the form lists it, with the file's first values (as the core words them)."""
    with pytest.raises(KindNeeded) as caught:
        read_any(LETTERS, "公文清單.xlsx", CATALOGUE, year=112, unit="政風處")
    return mapping_choices(caught.value, "document_log").shown(header)


def test_the_examples_shown_are_the_files_own() -> None:
    assert shown("公文性質") == f"公文性質（例：{'、'.join(SAMPLES['公文清單.xlsx']['公文性質'])}）" == "公文性質（例：收文、發文、創稿）"


def test_choose_the_kind_map_the_columns_save_and_the_same_headers_are_read_without_asking(
        fresh_app: StreamlitApp, page: Page) -> None:
    open_page(page, fresh_app.page_url("資料上傳"), "資料上傳")
    log_in(page)
    file_input(page).set_input_files([upload_payload("公文清單.xlsx", LETTERS)])
    warnings = page.get_by_test_id("stAlertContentWarning")
    expect(warnings.filter(has_text="公文清單.xlsx：無法辨識檔案內容")).to_contain_text("請選擇這個檔案的種類")
    expect(page.get_by_test_id("stAlertContentError")).to_have_count(0)
    wait_for_app_idle(page)

    pick(page, f"mapping_source_0_{SIGNATURE}", "月報範本")  # not one: why, where and what to do
    expect(page.get_by_test_id("stAlertContentError")).to_contain_text(
        "檔案「公文清單.xlsx」工作表「匯出資料」：前 30 列中找不到月報範本的標題列")
    wait_for_app_idle(page)

    pick(page, f"mapping_source_0_{SIGNATURE}", "公文清單")
    prefix = f"mapping_0_{SIGNATURE}_document_log"
    expect(page.locator(f".st-key-{prefix}_kind")).to_be_visible()
    expect(page.get_by_test_id("stAlertContentError")).to_have_count(0)
    wait_for_app_idle(page)
    for column, header in DOCUMENT_MAPPING.items():
        pick(page, f"{prefix}_{column}", shown(header))
    page.get_by_role("button", name="儲存欄位對應並重新讀取").click()

    expect(page.get_by_test_id("stAlertContentSuccess").filter(has_text="已儲存「公文清單.xlsx」的欄位對應")).to_be_visible()
    expect(page.get_by_text(f"已套用先前儲存的欄位對應（{SOURCES['document_log'].label}）。")).to_be_visible()
    expect(page.get_by_text("公文清單.xlsx：112年1月、112年2月、112年3月，共 18 筆（新增 18、修改 0、相同 0）")).to_be_visible()
    expect(page.get_by_text("辨識為：公文清單（公文管理系統匯出）｜讀取 36 列，計入 33 列")).to_be_visible()
    wait_for_app_idle(page)
    button(page, "confirm_upload").click()
    expect(page.get_by_test_id("stAlertContentSuccess")).to_contain_text(
        "已儲存「公文清單.xlsx」為第 1 批：新增 18 筆、修改 0 筆、相同 0 筆。")
    expect(history_lines(page)).to_have_count(1)
    wait_for_app_idle(page)
    with Store(fresh_app.database_url) as store:
        frame = store.current_frame()
    assert {(int(month), code): value for month, code, value in zip(frame["month"], frame["field"], frame["value"])
            } == DOCUMENT_EXPECTED

    # The same headers again (January's letters in another file): read with the saved mapping, no question.
    file_input(page).set_input_files([upload_payload("公文清單 再次.xlsx", xlsx([DOCUMENT_HEADERS, *DOCUMENT_ROWS[:12]]))])
    expect(page.get_by_text("公文清單 再次.xlsx：112年1月，共 6 筆（新增 0、修改 0、相同 6）")).to_be_visible()
    expect(page.get_by_text("已套用先前儲存的欄位對應（公文清單（公文管理系統匯出））。")).to_be_visible()
    expect(warnings.filter(has_text="無法辨識檔案內容")).to_have_count(0)
    expect(button(page, "confirm_upload")).to_be_visible()
    wait_for_app_idle(page)
    assert_no_error_shown(page)
