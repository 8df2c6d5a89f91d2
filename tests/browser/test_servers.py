"""Two app servers on one PostgreSQL database, as a county runs them behind a proxy: what one server writes,
the other shows on its session's next rerun (no cache of another process's data is trusted)."""

from __future__ import annotations

import pytest

from .conftest import ACTION_TIMEOUT_MS, VIEWPORT, running_app
from .helpers import button, expect, log_in, open_page, wait_for_app_idle
from .test_flows import FEBRUARY, JANUARY, file_input, store_file, upload_payload, workbook_bytes

pytestmark = pytest.mark.postgres


def rerun(page) -> None:
    """A rerun of the same session (Streamlit's R shortcut), not a new session as a reload would be."""
    page.evaluate("document.activeElement && document.activeElement.blur()")  # the shortcut is off in a field
    page.keyboard.press("r")


def test_a_write_on_one_server_shows_on_the_other_at_its_next_rerun(postgres_url, tmp_path, chromium) -> None:
    with running_app(tmp_path / "a", database_url=postgres_url) as server_a, \
            running_app(tmp_path / "b", database_url=postgres_url, first_run=True) as server_b:
        store_file(server_a, "112-01.xlsx", workbook_bytes(JANUARY))
        contexts = [chromium.new_context(viewport=VIEWPORT, locale="zh-TW", timezone_id="Asia/Taipei")
                    for _ in range(2)]
        try:
            for context in contexts:
                context.set_default_timeout(ACTION_TIMEOUT_MS)
            page_a, page_b = (context.new_page() for context in contexts)
            open_page(page_b, server_b.page_url(), "總覽")
            january = page_b.get_by_role("heading", name="政風處｜統計至 112年1月（最新填報：112年1月）")
            february = page_b.get_by_role("heading", name="政風處｜統計至 112年2月（最新填報：112年2月）")
            expect(january).to_be_visible()

            open_page(page_a, server_a.page_url("資料上傳"), "資料上傳")
            log_in(page_a)
            file_input(page_a).set_input_files([upload_payload("112-02.xlsx", workbook_bytes(FEBRUARY))])
            button(page_a, "confirm_upload").click()
            expect(page_a.get_by_test_id("stAlertContentSuccess")).to_contain_text("已儲存「112-02.xlsx」為第 2 批")
            wait_for_app_idle(page_a)

            rerun(page_b)
            expect(february).to_be_visible()
            wait_for_app_idle(page_b)

            button(page_a, "undo_2").click()
            page_a.get_by_role("dialog").get_by_role("button", name="確認復原").click()
            expect(page_a.get_by_test_id("stAlertContentSuccess")).to_contain_text("已復原第 2 批")
            wait_for_app_idle(page_a)

            rerun(page_b)
            expect(january).to_be_visible()
            expect(february).to_have_count(0)
        finally:
            for context in contexts:
                context.close()
