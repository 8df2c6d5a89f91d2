"""Driving the Streamlit pages: waiting on the app's own signals, navigating, reading gauges, metrics and
glide data grids (canvas tables whose cells are mirrored in an accessibility table), editing a grid cell,
and full-page screenshots.

Streamlit scrolls inside [data-testid="stMain"], so a plain full-page screenshot would stop at the
viewport; `save_screenshot` grows the viewport to the content first.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

try:
    from playwright.sync_api import Locator, Page, expect
except ImportError:  # the suite is then skipped (or, in CI, failed) by conftest's playwright_driver fixture
    Locator = Page = expect = None

ROOT = Path(__file__).resolve().parents[2]
GOLDEN_PLANS = ROOT / "tests" / "golden_plans"  # plans/ frozen (tests/catalogues.py): no test reads plans/


def plans_of_tests() -> Path:
    """The plans every server of the suite reads (and the accounts and figures written beside it are checked
    against): tests/golden_plans, as tests/conftest.py sets KPI_PLANS_DIR, unless the run names its own. Read here
    rather than from that fixture, which module-scoped servers start before."""
    return Path(os.environ.get("KPI_PLANS_DIR") or GOLDEN_PLANS)


SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"
VIEWPORT = {"width": 1400, "height": 1000}
ACTION_TIMEOUT_MS = 45_000
MAX_SCREENSHOT_HEIGHT = 16_000
GRID_ROW_PIXELS = 35  # glide's default row (and header) height in st.dataframe / st.data_editor
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
LOG_TAIL_CHARACTERS = 4000

IDLE_SCRIPT = """() => {
  const app = document.querySelector('[data-testid="stApp"]');
  return app !== null
    && app.dataset.testScriptState === 'notRunning'
    && app.dataset.testConnectionState === 'CONNECTED'
    && document.querySelector('[data-testid="stStatusWidget"]') === null
    && document.querySelector('[data-stale="true"]') === null
    && document.querySelector('[data-testid="stSkeleton"]') === null;
}"""

CONTENT_HEIGHT_SCRIPT = """() => {
  const main = document.querySelector('[data-testid="stMain"]');
  const sidebar = document.querySelector('[data-testid="stSidebarContent"]');
  return Math.ceil(Math.max(main ? main.scrollHeight : 0, sidebar ? sidebar.scrollHeight : 0,
                            document.documentElement.scrollHeight));
}"""

@dataclass(frozen=True)
class StreamlitApp:
    url: str
    database_url: str
    log_path: Path

    def page_url(self, page_path: str = "") -> str:
        return f"{self.url}/{quote(page_path)}"

    def log_tail(self) -> str:
        try:
            return self.log_path.read_text(encoding="utf-8", errors="replace")[-LOG_TAIL_CHARACTERS:]
        except OSError:
            return ""


TESTER = "tester"
PASSWORD = "a browser test password"


def add_account(database_url: str, username: str, *, roles: tuple[str, ...], units: tuple[str, ...] = (),
                display_name: str = "") -> None:
    """An account made through the core (as `python -m metrics users add` would), with PASSWORD."""
    from argon2 import PasswordHasher

    from metrics.plans.roles import load_roles
    from metrics.services import Services, command_line
    from metrics.store import Store

    with Store(database_url) as store:
        Services(store, load_roles(plans_of_tests()), hasher=PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
                 ).add_account(command_line("browser tests"), username, display_name=display_name or username,
                               roles=list(roles), units=list(units), password=PASSWORD)


def log_in(page: Page, username: str = TESTER, password: str = PASSWORD) -> None:
    """Through the sidebar's login form, as a user would; the same browser session stays logged in."""
    sidebar = page.get_by_test_id("stSidebar")
    wait_for_app_idle(page)  # a form filled while the page still re-renders can lose its fields or the click
    sidebar.get_by_test_id("stExpander").filter(has_text="登入").locator("summary").click()
    sidebar.get_by_label("帳號").fill(username)
    sidebar.get_by_label("密碼").fill(password)
    submit = sidebar.get_by_role("button", name="登入", exact=True)
    submit.click()
    try:
        expect(sidebar.get_by_text("已登入：")).to_be_visible(timeout=20_000)
    except AssertionError:
        # On a loaded machine a click landing while the page re-renders can be lost (the form still holds both
        # fields and no message says why); a person would press the button again, and so does the test.
        login_box = sidebar.get_by_test_id("stExpander").filter(has_text="登入")
        if login_box.get_by_test_id("stAlert").count() or not submit.is_visible():
            raise  # the login answered (a refusal), or the form is gone: not a lost click
        wait_for_app_idle(page)
        submit.click()
        expect(sidebar.get_by_text("已登入：")).to_be_visible(timeout=20_000)
    wait_for_app_idle(page)


def log_out(page: Page) -> None:
    sidebar = page.get_by_test_id("stSidebar")
    sidebar.get_by_role("button", name="登出").click()
    expect(sidebar.get_by_text("未登入：可檢視，不能上傳或修改。")).to_be_visible()
    wait_for_app_idle(page)


def wait_for_app_idle(page: Page) -> None:
    """The script has finished, the connection is up, the running indicator is gone and nothing on the
    page is stale or still a placeholder. Call it after the change an interaction should cause is visible."""
    page.wait_for_function(IDLE_SCRIPT, timeout=ACTION_TIMEOUT_MS)


def title(page: Page, text: str) -> Locator:
    return page.get_by_role("heading", level=1, name=text, exact=True)


def open_page(page: Page, url: str, page_title: str) -> None:
    page.goto(url)
    expect(title(page, page_title)).to_be_visible()
    wait_for_app_idle(page)


def go_to(page: Page, page_title: str) -> None:
    """Through the sidebar link, as a user would."""
    page.get_by_test_id("stSidebar").get_by_role("link", name=page_title, exact=True).click()
    expect(title(page, page_title)).to_be_visible()
    wait_for_app_idle(page)


def button(page: Page, key: str) -> Locator:
    """The visible button of a widget key (a button with help= also renders a hidden copy for measuring)."""
    return page.locator(f".st-key-{key} button").filter(visible=True)


def assert_no_error_shown(page: Page) -> None:
    expect(page.get_by_test_id("stException")).to_have_count(0)
    text = page.locator("body").inner_text()
    for word in ("Error", "Traceback", "Exception"):
        assert word not in text, f"{word!r} on the page:\n{text}"


def save_screenshot(page: Page, name: str, *, wait: bool = True) -> Path:
    """test-artifacts/screenshots/<name>.png of the whole page; `wait=False` for a page that may be stuck."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    size = page.viewport_size or VIEWPORT
    height = min(max(size["height"], page.evaluate(CONTENT_HEIGHT_SCRIPT)), MAX_SCREENSHOT_HEIGHT)
    page.set_viewport_size({"width": size["width"], "height": height})
    try:
        if wait:
            wait_for_app_idle(page)
        page.screenshot(path=str(path), full_page=True)
    finally:
        page.set_viewport_size(size)
    return path


# ---- gauges and metrics ----

def gauge(page: Page, key: str) -> Locator:
    return page.locator(f".st-key-{key}")


def gauge_number(page: Page, key: str) -> Locator:
    """The big number Plotly draws in the gauge's SVG (absent when the indicator has no value)."""
    return gauge(page, key).locator(".number")


def gauge_caption(page: Page, key: str) -> Locator:
    """The caption lines under a gauge, in the innermost column holding it."""
    column = page.get_by_test_id("stColumn").filter(has=gauge(page, key)).last
    return column.get_by_test_id("stCaptionContainer")


def metric(page: Page, label: str) -> Locator:
    return page.get_by_test_id("stMetric").filter(
        has=page.get_by_test_id("stMetricLabel").get_by_text(label, exact=True))


def metric_value(page: Page, label: str) -> Locator:
    return metric(page, label).get_by_test_id("stMetricValue")


def metric_delta(page: Page, label: str) -> Locator:
    return metric(page, label).get_by_test_id("stMetricDelta")


# ---- glide data grids ----

def header(scope: Page | Locator, column: str) -> Locator:
    """A column header of the accessibility table (hidden, so CSS rather than role locators)."""
    return scope.locator('th[role="columnheader"]', has_text=re.compile(f"^\\s*{re.escape(column)}\\s*$"))


def table_with_column(page: Page, column: str) -> Locator:
    """The st.dataframe / st.data_editor having a column of exactly this name."""
    return page.get_by_test_id("stDataFrame").filter(has=header(page, column))


def column_index(table: Locator, column: str) -> int:
    """0-based, as in the cells' data-testid glide-cell-<column>-<row> (the index column is hidden)."""
    column_header = header(table, column)
    expect(column_header).to_have_count(1)
    return int(column_header.get_attribute("aria-colindex")) - 1


GRID_FOCUS_ATTEMPTS = 3
GRID_FOCUS_MS = 5_000


def grid_cell(table: Locator, column: str, row: int) -> Locator:
    return table.get_by_test_id(f"glide-cell-{column_index(table, column)}-{row}")


def grid_row_count(table: Locator) -> int:
    """Data rows, from the accessibility table's aria-rowcount (which counts the header row too)."""
    return int(table.locator('table[role="grid"]').get_attribute("aria-rowcount")) - 1


def focus_grid(page: Page, table: Locator, row_markers: int = 0) -> None:
    """Click into the grid's first data rows and wait until its canvas has the keyboard. A click measured
    while the grid still settles its size can land beside it; the keys would then move whatever had the
    focus (a tab list switches tabs), so the click is measured and made again until the grid has it."""
    grid = table.get_by_test_id("stDataFrameResizable")
    canvas = table.get_by_test_id("data-grid-canvas")
    for _attempt in range(GRID_FOCUS_ATTEMPTS):
        grid.scroll_into_view_if_needed()
        box = grid.bounding_box()
        assert box is not None, "the data editor is not on screen"
        page.mouse.click(box["x"] + row_markers + 8, box["y"] + GRID_ROW_PIXELS * 2.5)
        try:
            expect(canvas).to_be_focused(timeout=GRID_FOCUS_MS)
            return
        except AssertionError:
            # A click on the cell already selected opens its (read-only) editor, which then holds the keyboard;
            # Escape closes it and gives the keyboard back to the grid, as it would for a person.
            page.keyboard.press("Escape")
            try:
                expect(canvas).to_be_focused(timeout=GRID_FOCUS_MS)
                return
            except AssertionError:
                wait_for_app_idle(page)
    expect(canvas).to_be_focused()


def edit_grid_number(page: Page, table: Locator, column: str, row: int, value: str, *,
                     first: str | None = None, row_markers: int = 0) -> None:
    """Type a number into a cell of an st.data_editor. The grid is a canvas: select a cell with a click,
    walk to the wanted one with the arrow keys (from the top-left corner, so where the click landed does
    not matter), open the cell's editor with Enter, replace its text and commit with Enter. An editor with
    num_rows="dynamic" has a row-selection column `row_markers` pixels wide (a click there selects a row):
    the click lands past it, and the steps right are counted from its first data column `first`."""
    origin = column_index(table, first) if first is not None else 0
    target_column = column_index(table, column) - origin
    columns = target_column + 1 if first is not None else table.locator('th[role="columnheader"]').count()
    rows = grid_row_count(table)
    focus_grid(page, table, row_markers)
    for key, times in (("ArrowLeft", columns), ("ArrowUp", rows), ("ArrowRight", target_column), ("ArrowDown", row)):
        for _ in range(times):
            page.keyboard.press(key)
    page.keyboard.press("Enter")
    editor = page.locator(".gdg-input")
    expect(editor).to_be_focused()
    editor.fill(value)
    editor.press("Enter")
