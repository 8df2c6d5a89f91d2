"""Numbers typed into the editors' grids in Chromium (issue 19): the grid itself used to change them without a word
(min_value=0 turned −5 into 5, max_value=100 turned 120 into 100); now what is typed reaches the checks, which
refuse or warn naming the indicator and the value. Only a browser shows this: AppTest bypasses the grid."""

from __future__ import annotations

import pytest

from .helpers import (GRID_ROW_PIXELS, Locator, Page, StreamlitApp, column_index, edit_grid_number, expect,
                      grid_row_count, log_in, open_page, wait_for_app_idle)

pytestmark = pytest.mark.browser
ROW_MARKERS = 48  # a dynamic editor's row-selection column: a click there selects a row instead of a cell


def edit_dynamic_grid_number(page: Page, table: Locator, first: str, column: str, row: int, value: str) -> None:
    """helpers.edit_grid_number for an editor with num_rows="dynamic": the first click lands past the row markers
    (in the column `first`), and the steps right are counted from there."""
    steps = column_index(table, column) - column_index(table, first)
    grid = table.get_by_test_id("stDataFrameResizable")
    grid.scroll_into_view_if_needed()
    box = grid.bounding_box()
    assert box is not None, "the data editor is not on screen"
    page.mouse.click(box["x"] + ROW_MARKERS + 8, box["y"] + GRID_ROW_PIXELS * 2.5)
    for key, times in (("ArrowLeft", steps + 1), ("ArrowUp", grid_row_count(table)), ("ArrowRight", steps),
                       ("ArrowDown", row)):
        for _ in range(times):
            page.keyboard.press(key)
    page.keyboard.press("Enter")
    editor = page.locator(".gdg-input")
    expect(editor).to_be_focused()
    editor.fill(value)
    editor.press("Enter")


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
    edit_dynamic_grid_number(page, editor, "指標代號", "權重（%）", 0, "-5")  # row 0 is indicator 1
    expect(page.get_by_text("指標 1 權重缺漏或不大於 0（目前是 -5）")).to_be_visible()
    wait_for_app_idle(page)
    expect(page.get_by_role("button", name="儲存為新版本")).to_have_count(0)


def test_a_what_if_weight_of_120_typed_in_the_grid_is_warned_about(fresh_app: StreamlitApp, page: Page) -> None:
    open_page(page, fresh_app.page_url("情境模擬"), "情境模擬")
    editor = page.locator(".st-key-whatif_targets_editor_0")
    edit_grid_number(page, editor, "模擬權重", 8, "120")  # row 8 is indicator 8
    expect(page.get_by_text("指標 8（預算執行率）的模擬權重（目前是 120）須為 0 至 100 的數字，暫以計畫權重 10 計算。")
           ).to_be_visible()
