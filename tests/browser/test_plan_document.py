"""由計畫書匯入 in Chromium: a planner uploads the seed 施政計畫 as a .docx made in the test, in which indicator 1's
weight (「12,5%」), target (「二案」) and formula (a rate with no ÷) cannot be read and indicator 2's target is 140 案
rather than the plan's 130; the planner types the weight and target, chooses count of 預警案件數, saves, and the new
version is in 計畫一覽 and in the version list with the change it brings.

Expected, by hand: the three decisions of indicator 1 (tests/test_plan_documents_decide.py reads such rows); once
settled indicator 1 is as plan 112 has it (12.5 %, 2 案, count of warning_cases), so the only change of a target is
指標 2 目標值 130 案 → 140 案; the store held version 1 (seeded from tests/golden_plans), the import is version 2."""

from __future__ import annotations

import re

import pytest

from metrics.store import Store
from plan_documents import as_docx, seed_text

from .helpers import (Page, StreamlitApp, assert_no_error_shown, expect, grid_cell, log_in, open_page,
                      table_with_column, wait_for_app_idle)

pytestmark = pytest.mark.browser

DOCUMENT = "政風處112年度施政計畫.docx"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
TEXT = seed_text().replace("預警案件\t統計數據\t辦理案件數\t12.5%\t2 案", "預警案件\t統計數據\t預警案件辦理率×100%\t12,5%\t二案") \
    .replace("辦理案件數\t12.5%\t130 案", "辦理案件數\t12.5%\t140 案")


def decision(page: Page, part: str):
    """A decision's widget by the end of its key (the key starts with the document's digest)."""
    return page.locator(f'[class*="st-key-document_"][class*="_decision_{part}"]').filter(visible=True).first


def choose(page: Page, part: str, typed: str, option: str) -> None:
    """A selectbox or multiselect of a decision, as a user picks: open it, type, click the option."""
    field = decision(page, part).locator("input")
    field.click()
    field.fill(typed)
    page.get_by_role("option", name=option, exact=True).click()
    wait_for_app_idle(page)


def type_in(page: Page, part: str, text: str) -> None:
    field = decision(page, part).locator("input")
    field.fill(text)
    field.press("Enter")
    wait_for_app_idle(page)


def test_a_planner_settles_the_document_on_the_page_and_the_new_version_is_listed(fresh_app: StreamlitApp,
                                                                                   page: Page) -> None:
    assert TEXT.count("140 案") == 1 and TEXT.count("二案") == 1
    open_page(page, fresh_app.page_url("計畫管理"), "計畫管理")
    log_in(page)
    tab = page.get_by_role("tab", name="由計畫書匯入")
    tab.click()
    expect(tab).to_have_attribute("aria-selected", "true")
    wait_for_app_idle(page)
    page.locator('.st-key-document_file input[type="file"]').set_input_files(
        [{"name": DOCUMENT, "mimeType": DOCX, "buffer": as_docx(TEXT)}])
    warning = page.get_by_test_id("stAlertContentWarning").filter(has_text="待決定")
    expect(warning).to_have_text("尚有 3 項待決定，全部決定後才能儲存。")
    wait_for_app_idle(page)

    type_in(page, "0", "12,5%")  # typed again as the document has it: refused, naming it
    expect(page.get_by_test_id("stAlertContentError").filter(has_text="權重「12,5%」")).to_contain_text(
        "權重「12,5%」不是大於 0、不超過 100 的百分比數字（例如 12.5 或 12.5%）")
    type_in(page, "0", "12.5%")
    type_in(page, "1", "2 案")
    expect(warning).to_have_text("尚有 1 項待決定，全部決定後才能儲存。")
    choose(page, "2_kind", "count", "count（各月件數加總）")
    choose(page, "2_numerator", "warning_cases", "warning_cases（預警案件數）")
    page.keyboard.press("Escape")
    wait_for_app_idle(page)

    expect(warning).to_have_count(0)
    changes = page.get_by_test_id("stMarkdownContainer").filter(has_text="將記錄的修改").filter(visible=True)
    expect(changes).to_contain_text("指標 2 目標值 130 案 → 140 案")
    expect(changes).not_to_contain_text("指標 1 目標值")
    expect(changes).not_to_contain_text("指標 1 權重")
    assert_no_error_shown(page)
    page.get_by_role("button", name="儲存為新版本").filter(visible=True).click()
    expect(page.get_by_test_id("stAlertContentSuccess").filter(has_text="已儲存")).to_contain_text(
        re.compile(r"已儲存 政風處 112 年度計畫第 2 版（\d+ 項修改）。"))
    wait_for_app_idle(page)

    overview = page.get_by_role("tab", name="計畫一覽")
    overview.click()
    expect(overview).to_have_attribute("aria-selected", "true")
    table = table_with_column(page, "版本")
    second = table.locator("td", has_text=re.compile(r"^\s*第 2 版\s*$"))  # the only plan with a second version
    expect(second).to_have_count(1)
    row = int(second.get_attribute("id").rsplit("-", 1)[1])
    expect(grid_cell(table, "年度", row)).to_have_text("112年")
    expect(grid_cell(table, "單位", row)).to_have_text("政風處")
    expect(grid_cell(table, "類型", row)).to_have_text("正式")
    versions = page.get_by_role("tab", name=re.compile("版本與修改紀錄"))
    versions.click()
    expect(versions).to_have_attribute("aria-selected", "true")
    lines = page.get_by_test_id("stMarkdownContainer").filter(visible=True)
    expect(lines.filter(has_text="第 2 版（現行）")).to_contain_text(f"修改人：測試員（tester）｜來源：計畫書 {DOCUMENT}")
    expect(lines.filter(has_text="指標 2 目標值 130 案 → 140 案")).to_have_count(1)
    wait_for_app_idle(page)
    assert_no_error_shown(page)
    with Store(fresh_app.database_url) as store:
        stored = store.plan_versions(112, "政風處")
    assert [(version.number, version.origin) for version in stored] == [
        (1, "tests/golden_plans/112/政風處.toml"), (2, f"計畫書 {DOCUMENT}")]
