"""How the pages look and behave in Chromium (issue 11): on a phone a sidebar link closes the sidebar; no English
from Streamlit on the upload page or in the tables' toolbar; a gauge's link opens its indicator's detail for the
same year, unit and month, and the indicator stays in the URL across reloads; a scenario's name comes back with
it and names the downloads, and the save says so next to its button.

Expected numbers are the sample year's (sample_data/README.md): as of 6月, 採購稽核案件 66 案 against the pace
130 × 6 ÷ 12 = 65 案."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, unquote, urlparse

import pytest

from .helpers import (Page, StreamlitApp, assert_no_error_shown, button, edit_grid_number, expect, gauge, log_in,
                      open_page, save_screenshot, title, wait_for_app_idle)

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
ENGLISH = ("Upload", "Browse files", "Download as CSV", "Show/hide columns", "Search", "Fullscreen")
TOOLBAR = {"顯示／隱藏欄位", "下載 CSV 檔", "搜尋", "全螢幕"}


def query(page: Page) -> dict[str, str]:
    return {key: values[0] for key, values in parse_qs(urlparse(page.url).query).items()}


def chosen_indicator(page: Page):
    return page.locator(".st-key-detail_indicator input")


def test_on_a_phone_a_sidebar_link_closes_the_sidebar(shared_app: StreamlitApp, page: Page) -> None:
    page.set_viewport_size(PHONE)
    open_page(page, shared_app.page_url(), "總覽")
    sidebar = page.get_by_test_id("stSidebar")
    expect(sidebar).to_have_attribute("data-collapsed", "true")  # a phone starts with the page, not the menu
    page.get_by_test_id("stExpandSidebarButton").click()
    expect(sidebar).to_have_attribute("data-collapsed", "false")
    link = sidebar.get_by_role("link", name="情境模擬", exact=True)
    expect(link).to_be_in_viewport()
    link.click()
    expect(title(page, "情境模擬")).to_be_visible()
    expect(sidebar).to_have_attribute("data-collapsed", "true")
    wait_for_app_idle(page)
    box = sidebar.bounding_box()
    assert box is None or box["x"] + box["width"] <= 0, f"the sidebar still covers the page: {box}"
    expect(title(page, "情境模擬")).to_be_in_viewport()
    # the editable column follows the pinned indicator, within the phone's width
    editor = page.locator(".st-key-whatif_targets_editor_0")
    headers = editor.locator('th[role="columnheader"]')
    expect(headers.nth(2)).to_have_text(re.compile(r"^\s*模擬目標值\s*$"))
    save_screenshot(page, "11-phone-after-sidebar-link")


def test_no_english_on_the_upload_page_or_in_the_table_toolbar(fresh_app: StreamlitApp, page: Page) -> None:
    open_page(page, fresh_app.page_url("資料上傳"), "資料上傳")
    log_in(page)
    uploader = page.get_by_test_id("stFileUploaderDropzone")
    expect(uploader).to_be_visible()
    expect(uploader.locator("button")).to_contain_text("選擇檔案")
    label = uploader.locator('button [data-testid="stMarkdownContainer"] p')
    assert label.evaluate("element => getComputedStyle(element, '::after').content") == '"選擇檔案"'
    body = page.locator("body").inner_text()
    assert not [word for word in ENGLISH if word in body], body
    expect(page.get_by_text("請在本頁下方上傳實際月報")).to_be_visible()
    expect(page.locator('[aria-label="file upload"], [aria-label="Upload"]')).to_have_count(0)
    save_screenshot(page, "11-upload-in-chinese")

    open_page(page, fresh_app.page_url("指標明細"), "指標明細")
    table = page.get_by_test_id("stDataFrame").first
    table.scroll_into_view_if_needed()
    table.hover()
    tools = table.locator('[data-testid="stElementToolbarButton"] button')
    expect(tools).to_have_count(len(TOOLBAR))
    labels = {tools.nth(index).get_attribute("aria-label") for index in range(len(TOOLBAR))}
    assert labels == TOOLBAR
    for index in range(len(TOOLBAR)):
        table.hover()
        tool = tools.nth(index)
        tool.hover()
        expect(page.get_by_role("tooltip").filter(has_text=tool.get_attribute("aria-label"))).to_be_visible()
        shown = " ".join(page.get_by_role("tooltip").all_inner_texts())
        assert not [word for word in ENGLISH if word in shown], shown
    for word in ENGLISH:
        expect(page.locator(f'[aria-label="{word}"]')).to_have_count(0)
    assert_no_error_shown(page)


def test_a_gauge_link_opens_its_detail_for_the_same_period_and_reload_keeps_it(shared_app: StreamlitApp,
                                                                               page: Page) -> None:
    open_page(page, shared_app.page_url() + "?year=112&unit=政風處&month=6", "總覽")
    delta = gauge(page, "overview_gauge_2").locator(".delta")
    expect(delta).to_have_text("較進度 +1 案")  # 66 against the pace 65, not −64 against the year's 130
    # 預算執行率 42.72 % against the pace 85 × 6 ÷ 12 = 42.5 %: in percentage points, and inside its gauge
    budget = gauge(page, "overview_gauge_8")
    expect(budget.locator(".delta")).to_have_text("較進度 +0.22 個百分點")
    text_box, gauge_box = budget.locator(".delta").bounding_box(), budget.locator(".main-svg").first.bounding_box()
    assert text_box and gauge_box and gauge_box["x"] <= text_box["x"] and (
        text_box["x"] + text_box["width"] <= gauge_box["x"] + gauge_box["width"]), (text_box, gauge_box)
    page.get_by_role("link", name="2 指標明細", exact=True).click()
    expect(title(page, "指標明細")).to_be_visible()
    wait_for_app_idle(page)
    assert unquote(urlparse(page.url).path).endswith("指標明細")
    assert query(page) == {"year": "112", "unit": "政風處", "month": "6", "indicator": "2"}
    expect(chosen_indicator(page)).to_have_value("2 採購稽核案件")
    expect(page.get_by_text("實際值（至 6 月）")).to_be_visible()

    chart = page.locator(".st-key-detail_series")
    expect(chart.locator(".main-svg").first).to_be_visible()
    expect(chart.locator(".xtitle")).to_have_count(0)  # the year title no longer sits on the legend
    note = chart.locator(".annotation-text")
    expect(note).to_have_text("單位：案")
    box = note.bounding_box()
    assert box is not None and box["width"] > box["height"], "the unit reads level, not rotated"

    chosen_indicator(page).click()
    page.get_by_role("option", name="10-1 公文電子交換比率", exact=True).click()
    expect(page.get_by_text("指標 10-1：")).to_be_visible()
    wait_for_app_idle(page)
    assert query(page)["indicator"] == "10-1"
    page.reload()
    expect(title(page, "指標明細")).to_be_visible()
    wait_for_app_idle(page)
    expect(chosen_indicator(page)).to_have_value("10-1 公文電子交換比率")
    assert query(page) == {"year": "112", "unit": "政風處", "month": "6", "indicator": "10-1"}
    assert_no_error_shown(page)


def test_a_scenario_keeps_its_name_and_names_its_downloads(fresh_app: StreamlitApp, page: Page, tmp_path) -> None:
    open_page(page, fresh_app.page_url("情境模擬"), "情境模擬")
    editor = page.locator(".st-key-whatif_targets_editor_0")
    edit_grid_number(page, editor, "模擬目標值", 1, "140")  # row 1 is indicator 2
    expect(page.get_by_text("有變動的 1 項指標以黃底標示")).to_be_visible()
    wait_for_app_idle(page)
    log_in(page)  # after the edit: the login's welcome message moves the table down
    name_box = page.locator(".st-key-whatif_name input")
    name_box.fill("採購目標 140")
    name_box.press("Enter")
    wait_for_app_idle(page)
    button(page, "whatif_save").click()
    saved = page.get_by_text("已儲存情境「採購目標 140」。")
    expect(saved).to_be_visible()
    wait_for_app_idle(page)
    saved_box, button_box = saved.bounding_box(), button(page, "whatif_save").bounding_box()
    assert saved_box and button_box and abs(saved_box["y"] - button_box["y"]) < 250, (saved_box, button_box)
    expect(name_box).to_have_value("採購目標 140")

    page.reload()  # a new session: still logged in, but the name is gone until the scenario is loaded again
    expect(title(page, "情境模擬")).to_be_visible()
    wait_for_app_idle(page)
    expect(page.get_by_test_id("stSidebar").get_by_text("已登入：")).to_be_visible()
    expect(name_box).to_have_value("")
    button(page, "whatif_load").click()
    loaded = page.get_by_text("已載入情境「採購目標 140」。")
    expect(loaded).to_be_visible()
    wait_for_app_idle(page)
    expect(name_box).to_have_value("採購目標 140")
    loaded_box, load_box = loaded.bounding_box(), button(page, "whatif_load").bounding_box()
    assert loaded_box and load_box and abs(loaded_box["y"] - load_box["y"]) < 250, (loaded_box, load_box)
    for key, file_name in (("whatif_json", "情境模擬_採購目標 140.json"), ("whatif_xlsx", "情境模擬_採購目標 140.xlsx")):
        with page.expect_download() as download:
            button(page, key).click()
        assert download.value.suggested_filename == file_name
    assert_no_error_shown(page)
