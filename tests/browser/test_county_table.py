"""全府比較's table in Chromium (the grid is a canvas: clicks land where cells are drawn). The sample year as of
6月 ranks 人事處 68.66, 政風處 67.36, 主計處 54.58: a click on the 加權分數 header sorts from the lowest score
(主計處 first), opens nothing and chooses no row; ticking the first drawn row's box then opens 主計處's overview
at the page's year and month."""

from __future__ import annotations

import pytest

from .helpers import (GRID_ROW_PIXELS, Page, StreamlitApp, assert_no_error_shown, expect, open_page,
                      save_screenshot, table_with_column, title, wait_for_app_idle)

pytestmark = pytest.mark.browser

ROW_BOX_PIXELS = 20  # inside the box column glide draws left of the first column when rows can be chosen
# ui.county's widths for the sample: 單位 as wide as 「人事處（範例）」, 名次 as wide as its header
UNIT_PIXELS, RANK_PIXELS = 125, 70


def test_a_header_click_sorts_and_a_ticked_row_opens_its_unit_at_the_same_month(shared_app: StreamlitApp,
                                                                                 page: Page) -> None:
    open_page(page, shared_app.page_url("全府比較") + "?year=112&month=6", "全府比較")
    table = table_with_column(page, "名次")
    first_unit = table.get_by_test_id("glide-cell-1-0")  # column 0 holds the rows' boxes
    expect(first_unit).to_have_text("人事處（範例）")
    grid = table.get_by_test_id("stDataFrameResizable")
    grid.scroll_into_view_if_needed()
    box = grid.bounding_box()
    assert box is not None
    page.mouse.click(box["x"] + ROW_BOX_PIXELS + UNIT_PIXELS + RANK_PIXELS + 30, box["y"] + GRID_ROW_PIXELS / 2)
    expect(first_unit).to_have_text("主計處（範例）")
    wait_for_app_idle(page)
    save_screenshot(page, "county-sorted")
    expect(title(page, "全府比較")).to_be_visible()
    assert "unit=%E6%94%BF%E9%A2%A8%E8%99%95" in page.url  # still the page's own unit (政風處): nothing opened
    assert_no_error_shown(page)

    page.mouse.click(box["x"] + ROW_BOX_PIXELS / 2, box["y"] + GRID_ROW_PIXELS * 1.5)  # the first drawn row's box
    expect(title(page, "總覽")).to_be_visible()
    expect(page.get_by_role("heading", name="主計處｜統計至 112年6月（最新填報：112年12月）")).to_be_visible()
    wait_for_app_idle(page)
    assert "year=112" in page.url and "month=6" in page.url and "unit=%E4%B8%BB%E8%A8%88%E8%99%95" in page.url
    assert_no_error_shown(page)
