"""Fixtures of the browser suite: the dashboard served by `streamlit run` on a free port with a store of
its own, and Debian's Chromium (/usr/bin/chromium) driven by Playwright's sync API.

`shared_app` is one server per test module whose store stays empty (tests using it must not write);
`fresh_app` is one server per test, for tests that upload or undo. Each test gets a new browser context,
that is a new Streamlit session.

Without Chromium (or the playwright package) the suite is skipped, except in CI (env CI set) or with
KPI_REQUIRE_BROWSER=1, where it fails: CI must never skip it silently. KPI_CHROMIUM names another binary.
"""

from __future__ import annotations

import importlib.util
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

import pytest

from .helpers import (ACTION_TIMEOUT_MS, GOLDEN_PLANS, TESTER, VIEWPORT, StreamlitApp, add_account, plans_of_tests,
                      save_screenshot)

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path(os.environ.get("KPI_CHROMIUM") or "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--disable-quic", "--no-first-run"]
STARTUP_SECONDS = 60
STOP_SECONDS = 10


def browser_required() -> bool:
    return bool(os.environ.get("CI")) or os.environ.get("KPI_REQUIRE_BROWSER") == "1"


def unavailable(reason: str) -> None:
    if browser_required():
        pytest.fail(f"{reason} (CI or KPI_REQUIRE_BROWSER=1: the browser tests must run)", pytrace=False)
    pytest.skip(reason)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def is_healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
            return response.read().strip() == b"ok"
    except (urllib.error.URLError, OSError):
        return False


def stop(process: subprocess.Popen) -> None:
    """SIGTERM to the server's own process group (it was started in a session of its own), then SIGKILL."""
    if process.poll() is not None:
        return
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=STOP_SECONDS)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=STOP_SECONDS)
    except ProcessLookupError:
        pass


EVERY_UNIT = ("政風處", "人事處", "主計處")


@contextmanager
def running_app(directory: Path, *, first_run: bool = False, database_url: str | None = None
                ) -> Iterator[StreamlitApp]:
    """`streamlit run dashboard.py` with a fresh SQLite store in `directory` (or the store at `database_url`),
    ready when /_stcore/health says ok; the store is given the account TESTER (every role) unless `first_run`
    (a fresh install, no account; or a second server on a store that has it already)."""
    port = free_port()
    directory.mkdir(parents=True, exist_ok=True)
    app = StreamlitApp(url=f"http://127.0.0.1:{port}",
                       database_url=database_url or f"sqlite:///{directory / 'kpi.sqlite3'}",
                       log_path=directory / "streamlit.log")
    if not first_run:
        add_account(app.database_url, TESTER, roles=("reporter", "planner", "administrator"), units=EVERY_UNIT,
                    display_name="測試員")
    environment = {name: value for name, value in os.environ.items() if not name.startswith("STREAMLIT_")}
    environment["KPI_DB_URL"] = app.database_url
    environment["KPI_PLANS_DIR"] = str(plans_of_tests())  # never plans/, also for servers started per module
    environment.setdefault("KPI_SAMPLE_PLANS_BASE", str(GOLDEN_PLANS))
    command = [sys.executable, "-m", "streamlit", "run", "dashboard.py", "--server.headless", "true",
               "--server.port", str(port), "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false",
               "--server.fileWatcherType", "none"]
    with app.log_path.open("wb") as log:
        process = subprocess.Popen(command, cwd=ROOT, env=environment, stdout=log, stderr=subprocess.STDOUT,
                                   start_new_session=True)
    try:
        deadline = time.monotonic() + STARTUP_SECONDS
        while not is_healthy(app.url):
            if process.poll() is not None:
                pytest.fail(f"streamlit exited with status {process.returncode} before it was ready:\n"
                            f"{app.log_tail()}", pytrace=False)
            if time.monotonic() > deadline:
                pytest.fail(f"streamlit was not ready within {STARTUP_SECONDS} s:\n{app.log_tail()}", pytrace=False)
            time.sleep(0.2)  # polling interval of the health check, not a wait for the page
        yield app
    finally:
        stop(process)


@pytest.fixture(scope="session", autouse=True)
def browser_available() -> None:
    """Checked before any server starts, so a missing browser skips (or fails) at once."""
    if not CHROMIUM.is_file() or not os.access(CHROMIUM, os.X_OK):
        unavailable(f"Chromium not found at {CHROMIUM} (Debian: apt-get install chromium fonts-noto-cjk)")
    if importlib.util.find_spec("playwright") is None:
        unavailable("the playwright package is not installed (pip install -r requirements-dev.txt)")


@pytest.fixture(scope="session")
def playwright_driver(browser_available):
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=ACTION_TIMEOUT_MS)
    driver = sync_playwright().start()
    try:
        yield driver
    finally:
        driver.stop()


@pytest.fixture(scope="session")
def chromium(playwright_driver):
    browser = playwright_driver.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
    try:
        yield browser
    finally:
        browser.close()


@pytest.fixture(scope="module")
def shared_app(tmp_path_factory) -> Iterator[StreamlitApp]:
    with running_app(tmp_path_factory.mktemp("shared_app")) as app:
        yield app


@pytest.fixture
def fresh_app(tmp_path, request) -> Iterator[StreamlitApp]:
    with running_app(tmp_path) as app:
        yield app
        call = request.node.stash.get(REPORTS, {}).get("call")
        if call is not None and call.failed:
            print("The server's log (its end):", app.log_tail(), sep="\n")


@pytest.fixture
def first_run_app(tmp_path) -> Iterator[StreamlitApp]:
    with running_app(tmp_path, first_run=True) as app:
        yield app


REPORTS = pytest.StashKey[dict]()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    item.stash.setdefault(REPORTS, {})[report.when] = report


@pytest.fixture
def page(chromium, request):
    """A new browser context (a new Streamlit session) per test; uncaught JavaScript errors fail the test,
    and a failed test leaves a screenshot FAILED-<test>.png next to the others."""
    from playwright.sync_api import Error as PlaywrightError

    context = chromium.new_context(viewport=VIEWPORT, locale="zh-TW", timezone_id="Asia/Taipei",
                                   accept_downloads=True)
    context.set_default_timeout(ACTION_TIMEOUT_MS)
    browser_page = context.new_page()
    errors: list[str] = []
    browser_page.on("pageerror", lambda error: errors.append(str(error)))
    # What went over the app's WebSocket, printed when the test fails: it tells a click the browser never sent
    # from one the server did not answer.
    frames: list[str] = []
    started = time.monotonic()

    def watch(socket) -> None:
        def record(direction: str):
            def add(payload: bytes | str) -> None:
                data = payload if isinstance(payload, bytes) else payload.encode()
                frames.append(f"{time.monotonic() - started:8.2f}s {direction} {len(data)} bytes")
            return add
        socket.on("framesent", record("sent"))
        socket.on("framereceived", record("received"))
        socket.on("close", lambda _socket: frames.append(f"{time.monotonic() - started:8.2f}s closed"))
    browser_page.on("websocket", watch)
    try:
        yield browser_page
        call = request.node.stash.get(REPORTS, {}).get("call")
        if call is not None and call.failed:
            safe_name = "".join(c if c.isalnum() or c in "-_" else "_" for c in request.node.name)
            with suppress(PlaywrightError):  # a crashed page must not hide the test's own failure
                save_screenshot(browser_page, f"FAILED-{safe_name}", wait=False)
            print("WebSocket frames (the last 300):", *frames[-300:], sep="\n")
        assert not errors, f"JavaScript errors on the page: {errors}"
    finally:
        context.close()
