"""Hostile strings in Chromium (issue 13, item 8): with a file name `[請點此重新登入](http://evil.example)…`, a
display name holding an image, a note, a scenario, a plan version and a unit all holding links, images and HTML,
every page shows them as text: no link or image points outside the app, the browser asks no outside host for
anything, and the file name reads literally where it is shown."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from urllib.parse import urlsplit

import pytest

from signing import PASSWORD as HOSTILE_PASSWORD
from test_markup_injection import ATTACKS, DISPLAY_NAME, LINK_NAME, REASON, USERNAME, store_hostile
from ui.widgets import WORD_JOINER

from .conftest import ROOT, STARTUP_SECONDS, free_port, is_healthy, stop
from .helpers import Page, StreamlitApp, assert_no_error_shown, expect, go_to, log_in, open_page, wait_for_app_idle

pytestmark = pytest.mark.browser

LOCAL_HOSTS = {"127.0.0.1", "localhost"}
PAGES = ("總覽", "全府比較", "指標明細", "資料上傳", "情境模擬", "報表匯出", "計畫管理", "操作紀錄", "帳號管理")
ADDRESSES = """selector => Array.from(document.querySelectorAll(selector), element =>
  element.href !== undefined && element.tagName === 'A' ? element.href : element.src || '')"""


def outside(address: str) -> bool:
    parts = urlsplit(address)
    return parts.scheme in ("http", "https", "ws", "wss") and parts.hostname not in LOCAL_HOSTS


def shown_text(page: Page) -> str:
    return page.locator("body").inner_text().replace(WORD_JOINER, "")


def test_every_page_shows_hostile_strings_as_text(fresh_app: StreamlitApp, page: Page):
    store_hostile(fresh_app.database_url)
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url) if outside(request.url) else None)
    open_page(page, fresh_app.page_url() + "?year=112&unit=%E6%94%BF%E9%A2%A8%E8%99%95&month=12", "總覽")
    log_in(page, USERNAME, HOSTILE_PASSWORD)
    sidebar = page.get_by_test_id("stSidebar")
    expect(sidebar.get_by_text("已登入：")).to_contain_text("王[明](http")
    for title in PAGES:
        if title != "總覽":
            go_to(page, title)
        assert_no_error_shown(page)
        links = [address for address in page.evaluate(ADDRESSES, "a[href]") if outside(address)]
        images = [address for address in page.evaluate(ADDRESSES, "img") if outside(address) or "evil" in address
                  or address.endswith("/x")]
        assert not links and not images, (title, links, images)
        text = shown_text(page)
        assert LINK_NAME in text, title  # the sidebar names the latest upload on every page
        assert DISPLAY_NAME in text, title
        if title == "資料上傳":
            assert f"｜{LINK_NAME}![](http://evil.example/file.png)<img src=x onerror=alert(1)>" in text
        if title == "指標明細":
            page.get_by_test_id("stExpander").filter(has_text="說明的修改紀錄").locator("summary").click()
            expect(page.get_by_text("改進措施：# 大標題").first).to_be_visible()
            assert REASON in shown_text(page)
    assert not requested, requested


ATTACK_SCRIPT = """
import json
import pathlib
import streamlit as st
from ui.widgets import escape_markdown
ATTACKS = json.loads((pathlib.Path(__file__).parent / "attacks.json").read_text(encoding="utf-8"))
for number, attack in enumerate(ATTACKS):
    with st.container(key=f"attack_{number}"):
        st.markdown(escape_markdown(attack))
    with st.container(key=f"alert_{number}"):
        st.error(escape_markdown(attack))
st.caption("done")
"""


def test_each_escaped_attack_reads_as_its_text(tmp_path, page: Page):
    """escape_markdown()'s table, rendered by Streamlit's own Markdown in Chromium: the text a person reads is the
    string."""
    script = tmp_path / "attacks.py"
    script.write_text(ATTACK_SCRIPT, encoding="utf-8")
    (tmp_path / "attacks.json").write_text(json.dumps(ATTACKS, ensure_ascii=False), encoding="utf-8")
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    environment = {name: value for name, value in os.environ.items() if not name.startswith("STREAMLIT_")}
    environment["PYTHONPATH"] = str(ROOT)
    with (tmp_path / "streamlit.log").open("wb") as log:
        process = subprocess.Popen([sys.executable, "-m", "streamlit", "run", str(script), "--server.headless", "true",
                                    "--server.port", str(port), "--server.address", "127.0.0.1",
                                    "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none"],
                                   cwd=ROOT, env=environment, stdout=log, stderr=subprocess.STDOUT,
                                   start_new_session=True)
    try:
        deadline = time.monotonic() + STARTUP_SECONDS
        while not is_healthy(url):
            assert process.poll() is None and time.monotonic() < deadline, "the attack page did not start"
            time.sleep(0.2)  # polling interval of the health check, not a wait for the page
        requested: list[str] = []
        page.on("request", lambda request: requested.append(request.url) if outside(request.url) else None)
        page.goto(url)
        expect(page.get_by_text("done", exact=True)).to_be_visible()
        wait_for_app_idle(page)
        for number, attack in enumerate(ATTACKS):
            for kind in ("attack", "alert"):
                box = page.locator(f".st-key-{kind}_{number} [data-testid='stMarkdownContainer']")
                assert box.inner_text().replace(WORD_JOINER, "") == attack, (kind, attack)
                assert box.locator("a, img, script, h1, h2, strong, em, del, code, table, .katex").count() == 0, attack
        assert not requested, requested
    finally:
        stop(process)
