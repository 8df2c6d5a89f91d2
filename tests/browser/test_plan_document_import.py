"""計畫管理 →「由計畫書匯入」in Chromium, as a planner would: the seed document as a Word file in which the unit
wrote indicator 1's target 「≧3案」 and indicator 2's 「130以上」 (no unit: a decision), 權重 headed 「權重(%)」.
The planner types the unit the page asks for, sees the change it will record, and saves a new version; someone
not logged in sees the tab refuse them."""

from __future__ import annotations

import pytest

from metrics.store import Store

from .helpers import add_account, assert_no_error_shown, expect, go_to, log_in, open_page, wait_for_app_idle

pytestmark = pytest.mark.browser

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def variant_docx() -> bytes:
    from plan_documents import as_docx, seed_text

    text = (seed_text().replace("辦理案件數\t12.5%\t2 案", "辦理案件數\t12.5%\t≧3案")
            .replace("辦理案件數\t12.5%\t130 案", "辦理案件數\t12.5%\t130以上")
            .replace("衡量標準\t權重\t目標值", "衡量標準\t權重(%)\t目標值"))
    return as_docx(text)


def document_tab(page):
    go_to(page, "計畫管理")
    page.get_by_role("tab", name="由計畫書匯入").click()
    wait_for_app_idle(page)
    return page.get_by_test_id("stMain")


def test_a_planner_answers_the_decision_and_saves_the_document_as_a_new_version(fresh_app, page) -> None:
    add_account(fresh_app.database_url, "wang", roles=("planner",), display_name="王科長")
    open_page(page, fresh_app.url, "總覽")
    log_in(page, "wang")
    main = document_tab(page)
    main.locator('.st-key-document_file input[type="file"]').set_input_files(
        files=[{"name": "政風處112年度施政計畫.docx", "mimeType": DOCX, "buffer": variant_docx()}])
    expect(main).to_contain_text("新竹縣政府政風處 112 年度施政計畫")
    expect(main).to_contain_text("需要決定的事項（1 項）")
    expect(main).to_contain_text("指標 2：目標值「130以上」沒有單位")
    wait_for_app_idle(page)
    assert_no_error_shown(page)

    unit = main.get_by_label("指標 2：目標值「130以上」沒有單位")
    unit.fill("案")
    unit.press("Enter")
    expect(main).to_contain_text("將記錄的修改")
    expect(main).to_contain_text("目標值")
    wait_for_app_idle(page)
    main.get_by_role("button", name="儲存為新版本").click()
    expect(page.get_by_test_id("stAlertContentSuccess").first).to_contain_text("已儲存 政風處 112 年度計畫第")
    wait_for_app_idle(page)
    assert_no_error_shown(page)

    with Store(fresh_app.database_url) as store:
        versions = store.plan_versions(112, "政風處")
    latest = max(versions, key=lambda version: version.number)
    assert "王科長" in latest.author and latest.origin == "計畫書 政風處112年度施政計畫.docx"
    assert 'target = 3' in latest.document and 'unit = "案"' in latest.document


def test_someone_not_logged_in_is_refused_on_the_tab(fresh_app, page) -> None:
    open_page(page, fresh_app.url, "總覽")
    main = document_tab(page)
    expect(main).to_contain_text("請先登入")
    expect(main.locator('.st-key-document_file')).to_have_count(0)
