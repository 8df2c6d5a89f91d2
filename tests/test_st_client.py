"""The protocol client (benchmarks/st_client.py) stands in for a browser in the load benchmarks only if a month
change through it makes the server do what a browser's makes. One `streamlit run dashboard.py` on the sample
store the benchmarks use; a Chromium session and a protocol session each open the overview and change 「統計至」
from 112年12月 to 112年5月 once. Seen on the WebSocket (Chromium's frames read through Playwright):

- on opening, each sends one rerun_script and the two are equal;
- each sends exactly one BackMsg for the change, and the two rerun_script messages are equal: query string, page
  script hash, every widget's value (the month as its label, the other widgets as the frontend holds them),
  cached message hashes, context;
- the server starts the script once for each (one new_session), it finishes successfully, and the elements it
  sends are the same, element by element, heading 「政風處｜統計至 112年5月（…」 included.

Chromium and playwright are needed (marker `browser`; skipped without them, except in CI or with
KPI_REQUIRE_BROWSER=1, where it fails). Nothing timed is asserted.
"""

from __future__ import annotations

import asyncio
import importlib.util
import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = Path(os.environ.get("KPI_CHROMIUM") or "/usr/bin/chromium")
MONTH = 5
SESSION = 4  # bench_load.change_months: session 4's first change goes to month (4 + 0) % 11 + 1 = 5


def browser_required() -> bool:
    return bool(os.environ.get("CI")) or os.environ.get("KPI_REQUIRE_BROWSER") == "1"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    if not CHROMIUM.is_file() or importlib.util.find_spec("playwright") is None:
        reason = f"Chromium ({CHROMIUM}) or the playwright package is missing"
        if browser_required():
            pytest.fail(f"{reason} (CI or KPI_REQUIRE_BROWSER=1: the browser tests must run)", pytrace=False)
        pytest.skip(reason)
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    from benchmarks import bench_load as load
    from benchmarks.bench_dashboard import Server, free_port

    with load.prepared_store("sqlite", tmp_path_factory.mktemp("st_client")) as url:
        running = Server(ROOT / "dashboard.py", url, free_port())
        try:
            running.wait_healthy(timeout=load.READY_SECONDS)
            yield running
        finally:
            running.stop()


async def browser_change(base: str):
    """Chromium opens the overview and changes the month as bench_load's sessions do; returns the BackMsgs it sent
    and the run decoded from the ForwardMsgs it received during the change."""
    from playwright.async_api import async_playwright
    from streamlit.proto.BackMsg_pb2 import BackMsg

    from benchmarks import bench_load as load
    from benchmarks.bench_dashboard import CHROMIUM_ARGS
    from benchmarks.st_client import Decoder
    from tests.browser.helpers import VIEWPORT

    sent: list[bytes] = []
    received: list[bytes] = []

    def watch(socket) -> None:
        socket.on("framesent", lambda payload: sent.append(payload))
        socket.on("framereceived", lambda payload: received.append(payload))

    driver = await async_playwright().start()
    try:
        browser = await driver.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        context = await browser.new_context(viewport=VIEWPORT, locale="zh-TW", timezone_id="Asia/Taipei")
        await context.add_init_script(load.SCRIPT_END_OBSERVER)
        context.on("page", lambda page: page.on("websocket", watch))
        errors: list[str] = []
        page, _ = await load.open_overview(context, f"{base}/", errors)
        decoder = Decoder()
        for data in received:  # the first run, for the message cache the frontend holds
            decoder.feed(data)
        opened_sent, opened_received = len(sent), len(received)
        await load.change_months(page, SESSION, 1)
        await browser.close()
    finally:
        await driver.stop()
    assert not errors, errors
    run = decoder.start()
    for data in received[opened_received:]:
        decoder.feed(data)
    messages = []
    for data in sent:
        message = BackMsg()
        message.ParseFromString(data)
        messages.append(message)
    return messages[:opened_sent], messages[opened_sent:], run


async def protocol_change(base: str):
    from benchmarks.st_client import Session

    session = Session(base)
    try:
        await session.open()
        opened = len(session.sent)
        run = await session.select("統計至", f"112年{MONTH}月")
    finally:
        await session.close()
    return session.sent[:opened], session.sent[opened:], run


def test_a_month_change_through_the_protocol_client_is_the_browsers_rerun(server) -> None:
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

    base = f"http://127.0.0.1:{server.port}"
    browser_opening, browser_sent, browser_run = asyncio.run(browser_change(base))
    client_opening, client_sent, client_run = asyncio.run(protocol_change(base))

    assert client_opening == browser_opening  # the first rerun_script: no widgets, the URL's query, the context

    assert [message.WhichOneof("type") for message in browser_sent] == ["rerun_script"]
    assert [message.WhichOneof("type") for message in client_sent] == ["rerun_script"]
    browser_rerun, client_rerun = browser_sent[0].rerun_script, client_sent[0].rerun_script
    month_widget = next(widget for widget in browser_rerun.widget_states.widgets if widget.id.endswith("period_month"))
    assert month_widget.string_value == f"112年{MONTH}月"
    widgets = {widget.id: widget for widget in client_rerun.widget_states.widgets}
    assert widgets == {widget.id: widget for widget in browser_rerun.widget_states.widgets}
    browser_rerun.widget_states.Clear()  # the order of the widgets is the frontend's map's, not significant
    client_rerun.widget_states.Clear()
    assert client_rerun == browser_rerun

    for run in (browser_run, client_run):
        assert run.script_runs == 1  # the server ran the page once for the change
        assert run.finished == [ForwardMsg.ScriptFinishedStatus.FINISHED_SUCCESSFULLY]
        assert any(text.startswith(f"政風處｜統計至 112年{MONTH}月（") for text in run.texts("heading"))
        assert f"month={MONTH}" in run.query_string
    assert client_run.shape() == browser_run.shape()
    assert len(client_run.elements) > 100  # the whole overview: sidebar, metrics, 13 gauges
    for path, element in browser_run.elements.items():
        assert client_run.elements[path].proto == element.proto, path
