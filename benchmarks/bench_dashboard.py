"""How fast the dashboard answers, with the 112 sample year stored, next to a bare Streamlit floor.

    python benchmarks/bench_dashboard.py [--reruns 30] [--quick] [--no-browser] [--no-cold-start] [--no-county]
                                         [--profile]

1. Reruns, server side, through streamlit.testing.v1.AppTest (median and p90 over --reruns):
   - 總覽 rerun: the overview page run again with nothing changed;
   - 情境模擬 after an edit: a new target typed into the what-if editor (through its session state);
   - 總覽 after a what-if edit: the same session switching back to the overview;
   against the floor: a bare script drawing 13 Plotly gauges (go.Indicator, gauge+number+delta) from
   constants with st.plotly_chart. The ratio app ÷ floor is the figure to watch (target ≤ 1.3× for the
   overview); the floor and the app are measured in turn, so machine noise hits both alike.
2. County scale (30 units × 4 years × 26 fields × 12 months stored, one plan per unit and year, the same
   plans as 政風處's 112 plan under other units): the 全府比較 page's rerun after a month change (a month
   seen before, and the first time a month is shown, its evaluations not cached yet) against a bare page
   drawing the same tables (as many cells, coloured) from constants; the overview's rerun after a month
   change against the 13-gauge floor. --quick uses 5 units × 2 years.
3. Cold start of `streamlit run dashboard.py` (headless, a free port on 127.0.0.1, KPI_DB_URL set to
   the stored year): until /_stcore/health answers, and until a headless Chromium shows the 13 gauges
   (13 .js-plotly-plot elements) with the script idle; then a reload of the same page (warm). The same
   for the floor script, for comparison. Waits on signals (the server's URL line, the page's DOM), never
   on sleeps.

Prints figures only; asserts nothing. --quick: 3 reruns and no cold start of the floor (used by the
tests). --profile: cProfile of the reruns inside the script's thread, overall and this project's
functions, instead of the timings.
4. Server CPU in a real server (benchmarks/server_cpu.py): `streamlit run` of a copy of the app with floor pages
   added, one Chromium session per page changing months through the sidebar in turns; the server's CPU per
   month change (from /proc) for 總覽, 指標明細, 情境模擬 and 全府比較 (a month seen before and a month first
   shown) against the floors in the same server and run, Chromium's CPU likewise, and a new session's time
   from opening the URL to the 13 gauges drawn. --server-profile: CPU by thread and cProfile of the script
   runs per page instead.
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
    from metrics.plans.catalogue import load_catalogue
    from metrics.intake.monthly import read_upload
    from metrics.store import Store

    url = f"sqlite:///{folder / 'kpi.sqlite3'}"
    data = SAMPLE.read_bytes()
    store = Store(url)
    store.ingest(read_upload(data, SAMPLE.name, load_catalogue()), file_name=SAMPLE.name, file_bytes=data, uploader="benchmark")
    with_administrator(store)
    store.close()
    return url


def with_administrator(store) -> None:
    """Not a fresh install (which shows only the setup of the first administrator): one account exists."""
    from metrics.plans.roles import load_roles
    from metrics.services import Services, command_line

    Services(store, load_roles(ROOT / "plans")).add_account(
        command_line("benchmark"), "benchmark", display_name="效能測試", roles=["administrator"],
        password="benchmark password")


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


# ---- 2. county scale ----

COUNTY_PAGE = "pages/6_全府比較.py"
COUNTY_YEAR = 113
EXTRA_UNITS = ("效能測試一處", "效能測試二處", "效能測試三處", "效能測試四處", "效能測試五處", "效能測試六處",
               "效能測試七處", "效能測試八處")


def county_catalogue(folder: Path, units: int, years: tuple[int, ...]) -> tuple[Path, list[str]]:
    """A copy of plans/ with `units` units each holding 政風處's 112 plan in every year (common targets of 112)."""
    import shutil
    import tomllib

    plans = folder / "plans"
    shutil.copytree(ROOT / "plans", plans)
    listed = tomllib.loads((plans / "units.toml").read_text(encoding="utf-8"))["unit"]
    names = [unit["name"] for unit in listed if "since" not in unit]
    extra = [name for name in EXTRA_UNITS][:max(0, units - len(names))]
    with (plans / "units.toml").open("a", encoding="utf-8") as handle:
        handle.writelines(f'\n[[unit]]\nname = "{name}"\n' for name in extra)
    chosen = (names + extra)[:units]
    common = (plans / "common.toml").read_text(encoding="utf-8")
    year_112 = common[common.index("[years.112]"):common.index("# 計畫貳")]
    with (plans / "common.toml").open("a", encoding="utf-8") as handle:
        handle.writelines("\n" + year_112.replace("112", str(year)) for year in years if year != 112)
    template = (ROOT / "plans" / "112" / "政風處.toml").read_text(encoding="utf-8")
    for year in years:
        (plans / str(year)).mkdir(exist_ok=True)
        for unit in chosen:
            text = template.replace("year = 112", f"year = {year}").replace('unit = "政風處"', f'unit = "{unit}"')
            (plans / str(year) / f"{unit}.toml").write_text(text, encoding="utf-8")
    return plans, chosen


def county_store(folder: Path, units: list[str], years: tuple[int, ...]) -> str:
    """Every field of every unit in every month of every year, as one upload; plausible, reproducible numbers."""
    import random
    from decimal import Decimal

    import pandas as pd

    from metrics.plans.catalogue import load_catalogue
    from metrics.intake.tidy import TIDY_COLUMNS
    from metrics.store import Store

    fields = load_catalogue().plan(112, "政風處").fields
    generator = random.Random(112)
    rows = []
    for year in years:
        for unit in units:
            staff = generator.randint(20, 400)
            budget = generator.randint(20_000, 900_000)
            for month in range(1, 13):
                values = {field.code: generator.randint(0, 12) for field in fields}
                values.update(edoc_sent_total=120, edoc_sent_electronic=generator.randint(100, 120),
                              edoc_received_electronic=200, paper_received_signed_online=20, self_created_drafts=60,
                              online_signed=generator.randint(150, 280), staff_headcount=staff,
                              hakka_certified=generator.randint(staff // 3, staff // 2), budget_amount=budget,
                              actual_spent=budget * month // 14, payables=budget // 100, savings=0, reserved=0,
                              new_positions=4, reduced_contract=generator.randint(0, 3), reduced_temp=0,
                              contract_budget_positions=5, temp_budget_positions=2)
                rows += [(year, month, unit, code, Decimal(value), "county.csv", "", "E2")
                         for code, value in values.items()]
    url = f"sqlite:///{folder / 'county.sqlite3'}"
    with Store(url) as store:
        store.ingest(pd.DataFrame(rows, columns=list(TIDY_COLUMNS)), file_name="county.csv", file_bytes=b"county")
        with_administrator(store)
    return url


def county_floor_script(units: int, indicators: int) -> str:
    """The 全府比較 page's tables from constants: as many cells, each coloured and formatted."""
    return f'''
import pandas as pd
import streamlit as st

comparison = pd.DataFrame([[f"單位{{row}}", row + 1, 80.5] + [90.0 + column for column in range({indicators})]
                           for row in range({units})],
                          columns=["單位", "名次", "分數"] + [f"指標{{column}}" for column in range({indicators})])
colours = pd.DataFrame([["", "", ""] + ["background-color: #E2EFDA"] * {indicators}] * {units},
                       columns=comparison.columns)
formats = {{column: "{{:,.2f}}%" for column in comparison.columns[3:]}}
st.title("全府比較")
st.dataframe(comparison.style.apply(lambda _: colours, axis=None).format(formats), hide_index=True,
             key="floor_comparison")
points = pd.DataFrame([[f"單位{{row}}", 112, 5.0, 5.0, 5.0, 5.0] for row in range({units})],
                      columns=["單位", "首次達標年度", "112", "113", "114", "115"])
st.dataframe(points, hide_index=True, key="floor_points")
'''


class CountySessions:
    """The county page, the overview of one unit and their floors, at county scale."""

    def __init__(self, units: int, indicators: int, unit: str) -> None:
        from streamlit.testing.v1 import AppTest

        self.county = AppTest.from_file(str(DASHBOARD), default_timeout=APP_TIMEOUT)
        self.county.query_params.update(year=str(COUNTY_YEAR), month="12")
        _checked(self.county.run(), "總覽")
        self.county.switch_page(COUNTY_PAGE)
        self.county.query_params.update(year=str(COUNTY_YEAR), month="12")
        _checked(self.county.run(), "全府比較")
        shown = len(self.county.dataframe[0].value)
        if shown != units:
            raise SystemExit(f"全府比較 shows {shown} units, expected {units}")
        self.overview = AppTest.from_file(str(DASHBOARD), default_timeout=APP_TIMEOUT)
        self.overview.query_params.update(year=str(COUNTY_YEAR), unit=unit, month="12")
        _checked(self.overview.run(), "總覽")
        self.table_floor = _checked(AppTest.from_string(county_floor_script(units, indicators),
                                                        default_timeout=APP_TIMEOUT).run(), "table floor")
        self.gauge_floor = _checked(AppTest.from_string(FLOOR_SCRIPT, default_timeout=APP_TIMEOUT).run(), "floor")
        self.month = 12

    def _next_month(self) -> int:
        self.month = 11 if self.month == 12 else 12
        return self.month

    def county_month_change(self) -> float:
        self.county.sidebar.selectbox(key="period_month").select(self._next_month())
        return _timed(lambda: _checked(self.county.run(), "全府比較 month change"))

    def county_first_visit(self) -> float:
        from ui.county import _view

        _view.clear()  # as the first time a month is shown after an upload
        self.county.sidebar.selectbox(key="period_month").select(self._next_month())
        return _timed(lambda: _checked(self.county.run(), "全府比較 first visit"))

    def overview_month_change(self) -> float:
        self.overview.sidebar.selectbox(key="period_month").select(self._next_month())
        return _timed(lambda: _checked(self.overview.run(), "總覽 month change"))

    def table_floor_rerun(self) -> float:
        return _timed(lambda: _checked(self.table_floor.run(), "table floor"))

    def gauge_floor_rerun(self) -> float:
        return _timed(lambda: _checked(self.gauge_floor.run(), "floor"))


def measure_county(folder: Path, reruns: int, *, units: int, years: tuple[int, ...]) -> list[str]:
    started = time.perf_counter()
    plans, names = county_catalogue(folder, units, years)
    url = county_store(folder, names, years)
    os.environ["KPI_PLANS_DIR"] = str(plans)
    os.environ["KPI_DB_URL"] = url
    from metrics.plans.catalogue import load_catalogue

    indicators = len(load_catalogue(plans).common.indicators)
    sessions = CountySessions(units, indicators, names[0])
    setup = time.perf_counter() - started
    actions = {"table_floor": sessions.table_floor_rerun, "county": sessions.county_month_change,
               "county_first": sessions.county_first_visit, "gauge_floor": sessions.gauge_floor_rerun,
               "overview": sessions.overview_month_change}
    for action in actions.values():
        action()
    timings: dict[str, list[float]] = {key: [] for key in actions}
    for _ in range(reruns):
        for key, action in actions.items():
            timings[key].append(action())
    values = units * len(years) * 26 * 12
    lines = [f"  資料：{units} 個單位 × {len(years)} 年 × 26 個項目 × 12 個月 ＝ {values:,} 個數字，"
             f"準備 {setup:,.1f} 秒 / data: {values:,} figures stored, set up in {setup:,.1f} s",
             f"  {left('項目 / measurement', LABEL_COLUMNS)}{right('中位數 median', 16)}{right('p90', 12)}"
             f"{right('倍數 ratio', 12)}", "  " + "─" * (LABEL_COLUMNS + 40)]
    rows = (
        ("table_floor", "table_floor", f"基準：{units} 列表格（常數，同樣格數與顏色）/ floor: bare tables"),
        ("county", "table_floor", "全府比較 換月份（已看過的月份）/ county page, month change"),
        ("county_first", "table_floor", "全府比較 換月份（第一次計算）/ county page, month first shown"),
        ("gauge_floor", "gauge_floor", "基準：13 個 Plotly 儀表 / floor for the overview: 13 gauges"),
        ("overview", "gauge_floor", "總覽 換月份 / overview, month change"),
    )
    for key, floor_key, label in rows:
        median = statistics.median(timings[key])
        ratio = median / statistics.median(timings[floor_key])
        verdict = "" if key == floor_key else ("  ✓ 達標 ok" if ratio <= TARGET_RATIO else "  ✗ 高於目標 above target")
        lines.append(f"  {left(label, LABEL_COLUMNS)}{right(f'{median * 1000:,.1f} ms', 16)}"
                     f"{right(f'{percentile(timings[key], 0.9) * 1000:,.1f} ms', 12)}{right(f'{ratio:.2f}×', 12)}{verdict}")
    return lines


# ---- 3. cold start ----

class Server:
    """`streamlit run SCRIPT` in a subprocess; `ready` is set when it prints its URL."""

    def __init__(self, script: Path, url: str, port: int, *, profile: Path | None = None,
                 extra: tuple[str, ...] = (), environment: dict[str, str] | None = None) -> None:
        # With `profile`, the server samples its own CPU by function (benchmarks/sampled_streamlit.py).
        launcher = [str(ROOT / "benchmarks" / "sampled_streamlit.py")] if profile else ["-m", "streamlit"]
        command = [sys.executable, *launcher, "run", str(script), "--server.headless=true",
                   f"--server.port={port}", "--server.address=127.0.0.1", "--browser.gatherUsageStats=false",
                   "--server.fileWatcherType=none", "--server.runOnSave=false", *extra]
        self.port = port
        self.ready = threading.Event()
        self.output: list[str] = []
        self.started = time.perf_counter()
        self.process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                        text=True, env={**os.environ, "KPI_DB_URL": url, "PYTHONUNBUFFERED": "1",
                                                        **({"KPI_SAMPLER_OUT": str(profile)} if profile else {}),
                                                        **(environment or {})})
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
    parser.add_argument("--no-cold-start", action="store_true", help="no cold start")
    parser.add_argument("--no-county", action="store_true", help="no county-scale measurement")
    parser.add_argument("--profile", action="store_true", help="cProfile the reruns instead of timing them")
    parser.add_argument("--no-server", action="store_true", help="no server-CPU measurement in a real server")
    parser.add_argument("--server-profile", action="store_true",
                        help="CPU by thread and cProfile inside a real server, page by page (section 4 only)")
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
        if arguments.server_profile:
            from benchmarks import server_cpu

            for line in server_cpu.run(Path(folder), quick=arguments.quick, target_ratio=TARGET_RATIO, profile=True):
                print(line)
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
        if not arguments.no_cold_start:
            print()
            print("2. 冷啟動 streamlit run dashboard.py（對照：只畫 13 個儀表的腳本）/ cold start (against the bare floor script)")
            for line in measure_cold_starts(Path(folder), url, browser=not arguments.no_browser,
                                            floor=not arguments.quick):
                print(line)
        if not arguments.no_county:
            print()
            units, years = (5, (112, 113)) if arguments.quick else (30, (112, 113, 114, 115))
            print(f"3. 全府規模（AppTest，{reruns:,} 次）/ county scale, server side, {reruns:,} each; "
                  f"target ≤ {TARGET_RATIO}× floor")
            for line in measure_county(Path(folder), reruns, units=units, years=years):
                print(line)
        if not arguments.no_server and not arguments.no_browser and Path(CHROMIUM).exists():
            from benchmarks import server_cpu

            print()
            print(f"4. 伺服器 CPU（真正的 streamlit run 與 Chromium，基準頁在同一伺服器、同一輪量測）/ server CPU per month "
                  f"change in a real server, floors served by the same server in the same run; target ≤ "
                  f"{TARGET_RATIO}× floor")
            for line in server_cpu.run(Path(folder), quick=arguments.quick, target_ratio=TARGET_RATIO):
                print(line)


if __name__ == "__main__":
    main()
