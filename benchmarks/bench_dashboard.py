"""How fast the dashboard answers, with the 112 sample year stored, next to a bare Streamlit floor.

    python benchmarks/bench_dashboard.py [--reruns 30] [--quick] [--no-browser] [--no-cold-start] [--profile]

1. Reruns, server side, through streamlit.testing.v1.AppTest (median and p90 over --reruns):
   - 總覽 rerun: the overview page run again with nothing changed;
   - 情境模擬 after an edit: a new target typed into the what-if editor (through its session state);
   - 總覽 after a what-if edit: the same session switching back to the overview;
   against the floor: a bare script drawing 13 Plotly gauges (go.Indicator, gauge+number+delta) from
   constants with st.plotly_chart. The ratio app ÷ floor is the figure to watch (target ≤ 1.3× for the
   overview); the floor and the app are measured in turn, so machine noise hits both alike.
2. Cold start of `streamlit run dashboard.py` (headless, a free port on 127.0.0.1, KPI_DB_URL set to
   the stored year): until /_stcore/health answers, and until a headless Chromium shows the 13 gauges
   (13 .js-plotly-plot elements) with the script idle; then a reload of the same page (warm). The same
   for the floor script, for comparison. Waits on signals (the server's URL line, the page's DOM), never
   on sleeps.

Prints figures only; asserts nothing. --quick: 3 reruns and no cold start of the floor (used by the
tests). --profile: cProfile of the reruns inside the script's thread, overall and this project's
functions, instead of the timings.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import logging
import os
import pstats
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import unicodedata
import urllib.request
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

SAMPLE = ROOT / "sample_data" / "112-full-year.csv"
DASHBOARD = ROOT / "dashboard.py"
WHATIF_PAGE = "pages/3_情境模擬.py"
GAUGES = 13
TARGET_RATIO = 1.3
APP_TIMEOUT = 60
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--disable-quic", "--no-first-run"]
RENDERED = f"""() => document.querySelectorAll('.js-plotly-plot').length >= {GAUGES}
    && document.querySelector('[data-testid="stApp"][data-test-script-state="notRunning"]') !== null
    && document.querySelector('[data-testid="stStatusWidgetRunningIcon"]') === null"""

FLOOR_SCRIPT = f'''
import plotly.graph_objects as go
import streamlit as st

for number in range({GAUGES}):
    figure = go.Figure(go.Indicator(
        mode="gauge+number+delta", value=80 + number, number={{"suffix": "%"}},
        delta={{"reference": 90}}, title={{"text": f"指標 {{number + 1}}"}},
        gauge={{"axis": {{"range": [0, 100]}}, "threshold": {{"value": 90}},
                "steps": [{{"range": [0, 45], "color": "#f8d7d7"}}, {{"range": [45, 90], "color": "#fdefc3"}},
                          {{"range": [90, 100], "color": "#d7ecd9"}}]}},
    ))
    figure.update_layout(height=250)
    st.plotly_chart(figure, key=f"floor_{{number}}")
'''


# ---- printing ----

def width(text: str) -> int:
    """Columns a terminal gives the text: CJK characters take two."""
    return sum(2 if unicodedata.east_asian_width(character) in "WF" else 1 for character in text)


def left(text: str, columns: int) -> str:
    return text + " " * max(0, columns - width(text))


def right(text: str, columns: int) -> str:
    return " " * max(0, columns - width(text)) + text


# ---- setup ----

def store_sample_year(folder: Path) -> str:
    """A SQLite store in `folder` holding the sample year as one upload; returns its URL."""
    from metrics.catalogue import load_catalogue
    from metrics.reading import read_upload
    from metrics.store import Store

    url = f"sqlite:///{folder / 'kpi.sqlite3'}"
    data = SAMPLE.read_bytes()
    store = Store(url)
    store.ingest(read_upload(data, SAMPLE.name, load_catalogue()), file_name=SAMPLE.name, file_bytes=data, uploader="benchmark")
    store.close()
    return url


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


# ---- 1. reruns through AppTest ----

def _checked(app, doing: str):
    if app.exception:
        raise SystemExit(f"{doing}: the app raised {[error.value for error in app.exception]}")
    return app


def _timed(action: Callable[[], object]) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def _edit_target(app, value: float) -> None:
    """Type a what-if target for indicator 2 (row 1) the way the editor reports an edit."""
    key = f"whatif_targets_editor_{app.session_state.get('whatif_generation', 0)}"
    app.session_state[key] = {"edited_rows": {1: {"模擬目標值": value}}, "added_rows": [], "deleted_rows": []}


def count_gauges(app) -> int:
    return len([chart for chart in app.get("plotly_chart") if "_gauge_" in chart.proto.id])


def _gauge(app, key: str) -> dict:
    charts = [chart for chart in app.get("plotly_chart") if chart.proto.id.endswith(f"-{key}")]
    if len(charts) != 1:
        raise SystemExit(f"expected one chart {key}, found {len(charts)}")
    return json.loads(charts[0].proto.spec)["data"][0]


class Sessions:
    """Three AppTest sessions: the floor, the overview alone, and one that edits what-if then goes back."""

    def __init__(self) -> None:
        from streamlit.testing.v1 import AppTest

        self.floor = _checked(AppTest.from_string(FLOOR_SCRIPT, default_timeout=APP_TIMEOUT).run(), "floor")
        self.overview = _checked(AppTest.from_file(str(DASHBOARD), default_timeout=APP_TIMEOUT).run(), "總覽")
        self.whatif = _checked(AppTest.from_file(str(DASHBOARD), default_timeout=APP_TIMEOUT).run(), "總覽")
        self.whatif.switch_page(WHATIF_PAGE)
        _checked(self.whatif.run(), "情境模擬")
        self.edits = 0
        gauges = count_gauges(self.overview)
        if gauges != GAUGES:
            raise SystemExit(f"總覽 shows {gauges} gauges, expected {GAUGES}")

    def floor_rerun(self) -> float:
        return _timed(lambda: _checked(self.floor.run(), "floor"))

    def overview_rerun(self) -> float:
        return _timed(lambda: _checked(self.overview.run(), "總覽 rerun"))

    def whatif_edit(self) -> float:
        self.edits += 1
        _edit_target(self.whatif, 130 + self.edits)  # a new value every time: nothing can be served stale
        seconds = _timed(lambda: _checked(self.whatif.run(), "情境模擬 edit"))
        threshold = _gauge(self.whatif, "whatif_gauge_2")["gauge"]["threshold"]["value"]
        if threshold != 130 + self.edits:  # the edit went through and the gauge was recomputed
            raise SystemExit(f"情境模擬: target {130 + self.edits} typed, gauge 2 shows {threshold}")
        return seconds

    def overview_after_edit(self) -> float:
        self.whatif_edit()
        self.whatif.switch_page("dashboard.py")
        seconds = _timed(lambda: _checked(self.whatif.run(), "總覽 after a what-if edit"))
        self.whatif.switch_page(WHATIF_PAGE)
        _checked(self.whatif.run(), "情境模擬")
        return seconds


def measure_reruns(reruns: int) -> dict[str, list[float]]:
    sessions = Sessions()
    for warm in (sessions.floor_rerun, sessions.overview_rerun, sessions.whatif_edit, sessions.overview_after_edit):
        warm()  # the first rerun fills caches and imports lazily loaded modules
    timings: dict[str, list[float]] = {"floor": [], "overview": [], "whatif": [], "after_edit": []}
    for _ in range(reruns):  # interleaved, so a noisy moment hits the floor and the app alike
        timings["floor"].append(sessions.floor_rerun())
        timings["overview"].append(sessions.overview_rerun())
        timings["whatif"].append(sessions.whatif_edit())
        timings["after_edit"].append(sessions.overview_after_edit())
    return timings


def profile_reruns(reruns: int, limit: int = 30) -> None:
    """cProfile inside the script's thread (AppTest runs each script in a thread of its own)."""
    from streamlit.runtime.scriptrunner.script_runner import ScriptRunner

    profiler = cProfile.Profile()
    original = ScriptRunner._run_script

    def profiled(self, rerun_data):
        profiler.enable()
        try:
            return original(self, rerun_data)
        finally:
            profiler.disable()

    sessions = Sessions()
    sessions.whatif_edit()
    sessions.overview_rerun()
    ScriptRunner._run_script = profiled
    try:
        for title, action in (("情境模擬 after an edit", sessions.whatif_edit), ("總覽 rerun", sessions.overview_rerun),
                              ("floor", sessions.floor_rerun)):
            profiler.clear()
            for _ in range(reruns):
                action()
            for order, restriction in (("cumulative", ()), ("tottime", ()), ("cumulative", (str(ROOT),))):
                text = io.StringIO()
                pstats.Stats(profiler, stream=text).sort_stats(order).print_stats(*restriction, limit)
                scope = "this project's functions" if restriction else "all functions"
                print(f"\n==== cProfile: {title}, {reruns} reruns, {scope} by {order} ====")
                print(text.getvalue())
    finally:
        ScriptRunner._run_script = original


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))
    return ordered[index]


LABEL_COLUMNS = 62


def rerun_table(timings: dict[str, list[float]]) -> list[str]:
    floor = statistics.median(timings["floor"])
    labels = {
        "floor": "基準：13 個 Plotly 儀表（常數）/ floor: 13 bare gauges",
        "overview": "總覽 重新執行 / overview rerun",
        "whatif": "情境模擬 修改目標後 / what-if page after an edit",
        "after_edit": "修改後回到總覽 / overview after a what-if edit",
    }
    lines = [f"  {left('項目 / measurement', LABEL_COLUMNS)}{right('中位數 median', 16)}{right('p90', 12)}"
             f"{right('倍數 ratio', 12)}",
             "  " + "─" * (LABEL_COLUMNS + 40)]
    for key, label in labels.items():
        values = timings[key]
        median = statistics.median(values)
        ratio = median / floor if floor else float("nan")
        verdict = "" if key == "floor" else ("  ✓ 達標 ok" if ratio <= TARGET_RATIO else "  ✗ 高於目標 above target")
        lines.append(f"  {left(label, LABEL_COLUMNS)}{right(f'{median * 1000:,.1f} ms', 16)}"
                     f"{right(f'{percentile(values, 0.9) * 1000:,.1f} ms', 12)}{right(f'{ratio:.2f}×', 12)}{verdict}")
    return lines


# ---- 2. cold start ----

class Server:
    """`streamlit run SCRIPT` in a subprocess; `ready` is set when it prints its URL."""

    def __init__(self, script: Path, url: str, port: int) -> None:
        command = [sys.executable, "-m", "streamlit", "run", str(script), "--server.headless=true",
                   f"--server.port={port}", "--server.address=127.0.0.1", "--browser.gatherUsageStats=false",
                   "--server.fileWatcherType=none", "--server.runOnSave=false"]
        self.port = port
        self.ready = threading.Event()
        self.output: list[str] = []
        self.started = time.perf_counter()
        self.process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                        text=True, env={**os.environ, "KPI_DB_URL": url, "PYTHONUNBUFFERED": "1"})
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.output.append(line)
            if f":{self.port}" in line:  # "URL: http://127.0.0.1:PORT", printed once the server listens
                self.ready.set()
        self.ready.set()  # the process ended: stop waiting

    def health(self) -> bool:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/_stcore/health", timeout=10) as response:
                return response.status == 200 and response.read().strip() == b"ok"
        except OSError:
            return False

    def wait_healthy(self, timeout: float) -> float:
        if not self.ready.wait(timeout) or self.process.poll() is not None:
            raise SystemExit("streamlit did not start:\n" + "".join(self.output))
        if not self.health():
            raise SystemExit("streamlit printed its URL but /_stcore/health does not answer:\n" + "".join(self.output))
        return time.perf_counter() - self.started

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


class Browser:
    """A headless Chromium, launched before any server so that its start-up is not counted."""

    def __init__(self) -> None:
        from playwright.sync_api import sync_playwright

        started = time.perf_counter()
        self.playwright = sync_playwright().start()
        try:
            self.chromium = self.playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        except Exception:
            self.playwright.stop()
            raise
        self.launch = time.perf_counter() - started

    def close(self) -> None:
        self.chromium.close()
        self.playwright.stop()


def cold_start(script: Path, url: str, browser: Browser | None, *, titled: bool) -> dict[str, float]:
    """Start the server, wait for health, then open the page and wait for every gauge with the script idle.
    `titled`: the page has an st.title, a milestone for when the script has got going."""
    figures: dict[str, float] = {}
    server = Server(script, url, free_port())
    try:
        figures["health"] = server.wait_healthy(timeout=120)
        if browser is None:
            return figures
        page = browser.chromium.new_page(viewport={"width": 1400, "height": 1000})
        opened = time.perf_counter()
        page.goto(f"http://127.0.0.1:{server.port}/", wait_until="domcontentloaded")
        page.wait_for_selector('[data-testid="stApp"]', state="attached", timeout=120_000)
        figures["shell"] = time.perf_counter() - opened
        if titled:
            page.wait_for_selector('[data-testid="stMainBlockContainer"] h1', state="attached", timeout=120_000)
            figures["first_content"] = time.perf_counter() - opened
        page.wait_for_selector(".js-plotly-plot", state="attached", timeout=120_000)
        figures["first_gauge"] = time.perf_counter() - opened
        page.wait_for_function(RENDERED, timeout=120_000, polling="raf")
        now = time.perf_counter()
        figures["rendered"] = now - server.started
        figures["page_load"] = now - opened
        reloaded = time.perf_counter()
        page.reload(wait_until="domcontentloaded")
        page.wait_for_function(RENDERED, timeout=120_000, polling="raf")
        figures["warm_reload"] = time.perf_counter() - reloaded
        page.close()
    finally:
        server.stop()
    return figures


COLD_LABELS = {
    "health": "啟動至 /_stcore/health 回應 / start → health answers",
    "rendered": "啟動至 13 個儀表完成 / start → 13 gauges rendered",
    "page_load": "　其中：開啟網頁至完成 / of which: page open → rendered",
    "shell": "　　開啟網頁至框架出現 / page open → app shell",
    "first_content": "　　開啟網頁至頁面標題 / page open → page title",
    "first_gauge": "　　開啟網頁至第一個儀表 / page open → first gauge",
    "warm_reload": "重新整理網頁（已暖機）/ reload, warm server",
}


def cold_start_table(dashboard: dict[str, float], floor: dict[str, float] | None) -> list[str]:
    lines = [f"  {left('項目 / measurement', LABEL_COLUMNS)}{right('總覽 dashboard', 16)}{right('基準 floor', 14)}",
             "  " + "─" * (LABEL_COLUMNS + 30)]
    for key, label in COLD_LABELS.items():
        if key not in dashboard:
            continue
        ours = f"{dashboard[key] * 1000:,.0f} ms"
        bare = f"{floor[key] * 1000:,.0f} ms" if floor and key in floor else "—"
        lines.append(f"  {left(label, LABEL_COLUMNS)}{right(ours, 16)}{right(bare, 14)}")
    return lines


def measure_cold_starts(folder: Path, url: str, *, browser: bool, floor: bool) -> list[str]:
    notes = []
    chromium = None
    if browser and not Path(CHROMIUM).exists():
        notes.append(f"  略過瀏覽器：找不到 {CHROMIUM} / browser skipped: no {CHROMIUM}")
    elif browser:
        chromium = Browser()
        notes.append(f"  （啟動 Chromium 另需 {chromium.launch * 1000:,.0f} ms，不計入 / "
                     f"Chromium launch {chromium.launch * 1000:,.0f} ms, not counted）")
    try:
        dashboard = cold_start(DASHBOARD, url, chromium, titled=True)
        bare = None
        if floor:
            script = folder / "floor.py"
            script.write_text(FLOOR_SCRIPT, encoding="utf-8")
            bare = cold_start(script, url, chromium, titled=False)
        else:
            notes.append("  基準略過（--quick）/ floor skipped (--quick)")
    finally:
        if chromium is not None:
            chromium.close()
    return cold_start_table(dashboard, bare) + notes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--reruns", type=int, default=30, help="measured reruns of each kind (default 30)")
    parser.add_argument("--quick", action="store_true", help="3 reruns: a few seconds (used by the tests)")
    parser.add_argument("--no-browser", action="store_true", help="cold start without Chromium (health only)")
    parser.add_argument("--no-cold-start", action="store_true", help="reruns only")
    parser.add_argument("--profile", action="store_true", help="cProfile the reruns instead of timing them")
    arguments = parser.parse_args()
    reruns = 3 if arguments.quick else max(1, arguments.reruns)
    with tempfile.TemporaryDirectory(prefix="bench_dashboard_") as folder:
        url = store_sample_year(Path(folder))
        os.environ["KPI_DB_URL"] = url  # AppTest runs the pages in this process
        import plotly
        import streamlit
        # AppTest's main thread warns of a missing ScriptRunContext on every edit: noise here.
        logging.getLogger("streamlit.runtime.scriptrunner_utils.script_run_context").addFilter(
            lambda record: "missing ScriptRunContext" not in record.getMessage())

        if arguments.profile:
            profile_reruns(reruns)
            return
        print(f"儀表板效能 / dashboard performance — 112 年範例全年已存入 SQLite / sample year stored; "
              f"Python {sys.version.split()[0]}, streamlit {streamlit.__version__}, plotly {plotly.__version__}, "
              f"{os.cpu_count()} CPU(s)")
        print()
        print(f"1. 重新執行（伺服器端，AppTest，{reruns:,} 次）/ reruns, server side, AppTest, {reruns:,} each; "
              f"target for the overview ≤ {TARGET_RATIO}× floor")
        for line in rerun_table(measure_reruns(reruns)):
            print(line)
        print("  目標針對總覽；情境模擬頁另有兩個編輯表、比較表與 13 個儀表的官方對照 / the target is the overview's;"
              " the what-if page also draws two editors, a comparison table and official figures per gauge")
        if arguments.no_cold_start:
            return
        print()
        print("2. 冷啟動 streamlit run dashboard.py（對照：只畫 13 個儀表的腳本）/ cold start (against the bare floor script)")
        for line in measure_cold_starts(Path(folder), url, browser=not arguments.no_browser, floor=not arguments.quick):
            print(line)


if __name__ == "__main__":
    main()
