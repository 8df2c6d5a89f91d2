"""Numbers typed into the editors' grids in Chromium (issue 19): the grid itself used to change them without a word
(min_value=0 turned −5 into 5, max_value=100 turned 120 into 100); now what is typed reaches the checks, which
refuse or warn naming the indicator and the value. Only a browser shows this: AppTest bypasses the grid."""

from __future__ import annotations

import pytest

from .helpers import Page, StreamlitApp, edit_grid_number, expect, log_in, open_page, wait_for_app_idle

pytestmark = pytest.mark.browser
ROW_MARKERS = 48  # a dynamic editor's row-selection column: a click there selects a row instead of a cell


def test_a_negative_plan_weight_typed_in_the_grid_is_refused_as_typed(fresh_app: StreamlitApp, page: Page) -> None:
    page.set_viewport_size({"width": 3200, "height": 1200})  # the grid draws only the columns in view: 權重 too
    open_page(page, fresh_app.page_url("計畫管理"), "計畫管理")
    log_in(page)
    tab = page.get_by_role("tab", name="編修計畫")
    tab.click()
    expect(tab).to_have_attribute("aria-selected", "true")
    wait_for_app_idle(page)
    editor = page.locator('[class*="st-key-edit_plan_indicators_"]')
    expect(editor).to_be_visible()
    edit_grid_number(page, editor, "權重（%）", 0, "-5", first="指標代號", row_markers=ROW_MARKERS)  # row 0 is indicator 1
    expect(page.get_by_text("指標 1 權重缺漏或不大於 0（目前是 -5）")).to_be_visible()
    wait_for_app_idle(page)
    expect(page.get_by_role("button", name="儲存為新版本")).to_have_count(0)


def test_a_what_if_weight_of_120_typed_in_the_grid_is_warned_about(fresh_app: StreamlitApp, page: Page) -> None:
    open_page(page, fresh_app.page_url("情境模擬"), "情境模擬")
    editor = page.locator(".st-key-whatif_targets_editor_0")
    edit_grid_number(page, editor, "模擬權重", 8, "120")  # row 8 is indicator 8
    expect(page.get_by_text("指標 8（預算執行率）的模擬權重（目前是 120）須為 0 至 100 的數字，暫以計畫權重 10 計算。")
           ).to_be_visible()
