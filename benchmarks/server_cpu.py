"""Server CPU per month change in a real `streamlit run`, one browser session per page, against floor pages
served by the same server in the same run (used by bench_dashboard.py; runnable alone).

The app's scripts are copied into a folder of their own with two floor pages added (the project's ui/ and
metrics/ linked, so the code run is the project's): 13 constant Plotly gauges, and bare coloured tables of
the county page's size, each with the same 「統計至」 select in the sidebar, which writes the month into the URL
as the app does. A headless Chromium opens every page in a context of its own (a session each) and changes the
month through the select box as a user would, waiting for the month in the URL with the script idle (the
browser tests' signals, no sleeps). Per batch of changes: CPU seconds of the server process and of the
Chromium processes (from /proc), and the wall time of each change. Batches of all pages take turns, so a
noisy moment of the machine hits the floors and the pages alike.

Month changes: months 12…7 are each shown once (the first visit: the page computes that month) before the
measured batches, which go through the same months again. 全府比較's first visits are measured apart, on
months 1…6 that no page has shown. Then rounds of month end: before each change of the overview and 全府比較
another process uploads one figure of another unit (a new data version each time), with the floors measured
again in the same rounds.
"""

from __future__ import annotations

import os
import shutil
import signal
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote, urlencode

ROOT = Path(__file__).resolve().parents[1]

FLOOR_HEAD = '''
import streamlit as st

month = st.sidebar.selectbox("統計至", list(range(1, 13)), index=int(st.query_params.get("month", 12)) - 1,
                             key="period_month", format_func=lambda value: f"{YEAR}年{value}月")
st.query_params["month"] = str(month)
'''

IDLE = """() => {
  const app = document.querySelector('[data-testid="stApp"]');
  return app !== null && app.dataset.testScriptState === 'notRunning'
    && app.dataset.testConnectionState === 'CONNECTED'
    && document.querySelector('[data-testid="stStatusWidget"]') === null
    && document.querySelector('[data-stale="true"]') === null
    && document.querySelector('[data-testid="stSkeleton"]') === null;
}"""
SHOWN = f"""(month) => ({IDLE})() && new URLSearchParams(window.location.search).get('month') === month"""
GAUGES_DRAWN = f"""(count) => ({IDLE})() && document.querySelectorAll('.js-plotly-plot .indicatorlayer').length >= count"""


def app_folder(folder: Path, year: int, gauge_floor: str, table_floor: str) -> Path:
    """A copy of the app's scripts with the floor pages; returns its main script. A third floor draws the same
    gauges with values that follow the month: what redrawing 13 changed gauges costs the browser."""
    app = folder / "app"
    (app / "pages").mkdir(parents=True)
    shutil.copy(ROOT / "dashboard.py", app / "dashboard.py")
    for page in (ROOT / "pages").glob("*.py"):
        shutil.copy(page, app / "pages" / page.name)
    for package in ("ui", "metrics"):
        (app / package).symlink_to(ROOT / package)
    head = FLOOR_HEAD.replace("{YEAR}", str(year))
    (app / "pages" / "97_floor_gauges.py").write_text(head + gauge_floor, encoding="utf-8")
    (app / "pages" / "98_floor_tables.py").write_text(head + table_floor, encoding="utf-8")
    if "value=80 + number" not in gauge_floor:
        raise SystemExit("the gauge floor script changed: update server_cpu.app_folder")
    (app / "pages" / "99_floor_moving.py").write_text(head + gauge_floor.replace("value=80 + number",
                                                                                "value=30 + number + month * 5"),
                                                      encoding="utf-8")
    return app / "dashboard.py"


# ---- CPU from /proc ----

TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return 0.0
    fields = text[text.rindex(")") + 2:].split()
    return sum(int(value) for value in fields[11:15]) / TICKS


def chromium_pids() -> list[int]:
    """Every Chromium process (the browser, its renderers and helpers) descending from this process."""
    parents: dict[int, int] = {}
    names: dict[int, str] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            text = Path(f"/proc/{entry.name}/stat").read_text()
        except OSError:
            continue
        names[int(entry.name)] = text[text.index("(") + 1:text.rindex(")")]
        parents[int(entry.name)] = int(text[text.rindex(")") + 2:].split()[1])
    ours = {os.getpid()}
    grown = True
    while grown:
        grown = False
        for pid, parent in parents.items():
            if parent in ours and pid not in ours:
                ours.add(pid)
                grown = True
    return [pid for pid in ours if "chrom" in names.get(pid, "") or "headless" in names.get(pid, "")]


def chromium_cpu() -> float:
    return sum(cpu_seconds(pid) for pid in chromium_pids())


def load_average() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


# ---- driving pages ----

@dataclass
class Tally:
    changes: int = 0
    server: float = 0.0
    browser: float = 0.0
    walls: list[float] = field(default_factory=list)
    rounds: list[Tally] = field(default_factory=list)  # what was added, batch by batch (one per round)

    def add(self, other: Tally) -> None:
        self.changes += other.changes
        self.server += other.server
        self.browser += other.browser
        self.walls += other.walls
        self.rounds.append(other)

    def per_change(self, what: str) -> float:
        return getattr(self, what) / max(self.changes, 1)


class Session:
    """One page open in a browser context of its own (a Streamlit session of its own)."""

    def __init__(self, browser, base: str, path: str, params: dict[str, str], year: int) -> None:
        self.context = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="zh-TW")
        self.context.set_default_timeout(180_000)
        self.page = self.context.new_page()
        self.year = year
        self.page.goto(f"{base}/{quote(path)}?{urlencode(params)}", wait_until="domcontentloaded")
        self.page.wait_for_function(SHOWN, arg=params["month"], polling=20)

    def change(self, month: int) -> float:
        page = self.page
        page.locator('[data-testid="stSidebar"] .st-key-period_month input').click()
        option = page.get_by_role("option", name=f"{self.year}年{month}月", exact=True)
        option.wait_for()
        started = time.perf_counter()
        option.click()
        page.wait_for_function(SHOWN, arg=str(month), polling=20)
        return time.perf_counter() - started

    def batch(self, server_pid: int, months: list[int], before: Callable[[], None] | None = None) -> Tally:
        """Changes to `months`; `before` runs ahead of each (another process's upload: not the server's CPU)."""
        self.page.bring_to_front()
        server, browser = cpu_seconds(server_pid), chromium_cpu()
        walls = []
        for month in months:
            if before is not None:
                before()
            walls.append(self.change(month))
        return Tally(len(months), cpu_seconds(server_pid) - server, chromium_cpu() - browser, walls)

    def close(self) -> None:
        self.context.close()


class Uploader:
    """Another process's uploads (as the command line or another app server would write them): one figure of a
    unit for a month, a different unit each time, never the unit the overview shows."""

    def __init__(self, url: str, year: int, units: list[str]) -> None:
        from metrics.store import Store

        self.store, self.year, self.units, self.count = Store(url), year, units, 0

    def __call__(self) -> None:
        import pandas as pd

        from metrics.intake.tidy import TIDY_COLUMNS

        self.count += 1
        unit = self.units[self.count % len(self.units)]
        data = pd.DataFrame([(self.year, 1 + self.count % 12, unit, "staff_headcount", 500 + self.count, "upload.csv",
                              "", "E2")], columns=list(TIDY_COLUMNS))
        self.store.ingest(data, file_name=f"upload-{self.count}.csv", file_bytes=f"upload {self.count}".encode())

    def close(self) -> None:
        self.store.close()


def first_open(browser, base: str, path: str, params: dict[str, str], server_pid: int, gauges: int) -> Tally:
    """A new session opening the page: URL → every gauge drawn with the script idle."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="zh-TW")
    try:
        page = context.new_page()
        server, chromium = cpu_seconds(server_pid), chromium_cpu()
        started = time.perf_counter()
        page.goto(f"{base}/{quote(path)}?{urlencode(params)}", wait_until="domcontentloaded", timeout=180_000)
        page.wait_for_function(GAUGES_DRAWN, arg=gauges, polling=20, timeout=180_000)
        wall = time.perf_counter() - started
        return Tally(1, cpu_seconds(server_pid) - server, chromium_cpu() - chromium, [wall])
    finally:
        context.close()


@dataclass(frozen=True)
class Target:
    key: str
    label: str
    path: str
    floor: str  # the key of its floor ("" for a floor)


TARGETS = (
    Target("gauge_floor", "基準：13 個常數儀表＋月份選單 / floor page: 13 gauges", "floor_gauges", ""),
    Target("moving_floor", "　同上，數值隨月份改變 / floor page, values following the month", "floor_moving",
           "gauge_floor"),
    Target("overview", "總覽 換月份 / overview: month change", "", "gauge_floor"),
    Target("detail", "指標明細 換月份 / detail: month change", "指標明細", "gauge_floor"),
    Target("whatif", "情境模擬 換月份 / what-if: month change", "情境模擬", "gauge_floor"),
    Target("table_floor", "基準：全府大小的表格＋月份選單 / floor page: county-size tables", "floor_tables", ""),
    Target("county", "全府比較 換月份 / county page: month change", "全府比較", "table_floor"),
)
WARM_MONTHS = [12, 11, 10, 9, 8, 7]
FIRST_MONTHS = [1, 2, 3, 4, 5, 6]


def measure(server, *, year: int, unit: str, rounds: int, changes: int, gauges: int,
            profile: Path | None = None, uploader: Uploader | None = None) -> dict[str, Tally]:
    """Month changes on every target, in turns; with `profile`, each target's changes in one block, the
    server's sampler cleared before and dumped after (no turns: the sampler needs phases)."""
    from playwright.sync_api import sync_playwright

    from benchmarks.bench_dashboard import CHROMIUM, CHROMIUM_ARGS

    base = f"http://127.0.0.1:{server.port}"
    params = {"year": str(year), "unit": unit, "month": "12"}
    pid = server.process.pid
    tallies: dict[str, Tally] = {target.key: Tally() for target in TARGETS}
    tallies.update(overview_first=Tally(), county_first=Tally(), open_overview=Tally(), open_floor=Tally(),
                   overview_upload=Tally(), county_upload=Tally(), gauge_floor_again=Tally(),
                   table_floor_again=Tally())
    with sync_playwright() as driver:
        browser = driver.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        sessions = {target.key: Session(browser, base, target.path, params, year) for target in TARGETS}
        try:
            for key, session in sessions.items():  # the first visits of the measured months
                def warm(session=session) -> Tally:
                    return session.batch(pid, WARM_MONTHS[1:] + [12])

                if profile is not None and key in {"overview", "county"}:
                    phase(server, profile, f"{key}: months first shown", warm)
                    continue
                tally = warm()
                if key == "overview":
                    tallies["overview_first"].add(tally)
            if profile is not None:
                for target in TARGETS:
                    phase(server, profile, target.label, lambda: sessions[target.key].batch(
                        pid, (WARM_MONTHS[1:] + [12]) * rounds))  # never the month shown: no rerun
                return tallies
            firsts = iter(FIRST_MONTHS * 4)
            per_round = max(1, len(FIRST_MONTHS) // rounds)
            for _ in range(rounds):
                for target in TARGETS:
                    months = (WARM_MONTHS * (changes // len(WARM_MONTHS) + 1))[:changes]
                    tallies[target.key].add(sessions[target.key].batch(pid, months))
                tallies["county_first"].add(sessions["county"].batch(pid, [next(firsts) for _ in range(per_round)]))
                tallies["open_floor"].add(first_open(browser, base, "floor_gauges", params, pid, gauges))
                tallies["open_overview"].add(first_open(browser, base, "", params, pid, gauges))
            # Month end: the months were seen, but another unit uploaded before each change. Rounds of their own,
            # after the others (whose pages would otherwise meet a new data version too), with the floors again.
            for _ in range(rounds if uploader is not None else 0):
                months = (WARM_MONTHS * (changes // len(WARM_MONTHS) + 1))[:changes]
                for key, floor in (("overview", "gauge_floor"), ("county", "table_floor")):
                    tallies[f"{floor}_again"].add(sessions[floor].batch(pid, months))
                    tallies[f"{key}_upload"].add(sessions[key].batch(pid, months, before=uploader))
        finally:
            for session in sessions.values():
                session.close()
            browser.close()
    return tallies


def phase(server, profile: Path, title: str, action) -> None:
    Path(str(profile) + ".title").write_text(title, encoding="utf-8")
    done = Path(str(profile) + ".done")
    done.unlink(missing_ok=True)
    server.process.send_signal(signal.SIGUSR2)
    action()
    server.process.send_signal(signal.SIGUSR1)
    deadline = time.monotonic() + 60
    while not done.exists() and time.monotonic() < deadline:  # the server writes it between two of its tasks
        time.sleep(0.05)


def table(tallies: dict[str, Tally], *, target_ratio: float) -> list[str]:
    from benchmarks.bench_dashboard import left, right

    def ms(seconds: float) -> str:
        return f"{seconds * 1000:,.0f} ms"

    lines = [f"  {left('項目 / measurement', 58)}{right('次數 n', 8)}{right('伺服器CPU/次', 14)}{right('倍數', 8)}"
             f"{right('瀏覽器CPU/次', 14)}{right('倍數', 8)}{right('時間 p50', 10)}",
             f"  {left('', 58)}{right('', 8)}{right('server CPU', 14)}{right('ratio', 8)}{right('Chromium', 14)}"
             f"{right('ratio', 8)}{right('wall', 10)}", "  " + "─" * 120]
    rows = [(target.key, target.label, target.floor) for target in TARGETS]
    rows.insert(3, ("overview_first", "總覽 第一次顯示該月（暖機時）/ overview: month first shown", "gauge_floor"))
    rows.append(("county_first", "全府比較 第一次顯示該月 / county page: month first shown", "table_floor"))
    rows += [("gauge_floor_again", "基準（上傳各輪）：13 個常數儀表 / floor, upload rounds: 13 gauges", ""),
             ("overview_upload", "總覽 每次換月份前別的單位上傳 / overview: another unit uploaded before each change",
              "gauge_floor_again"),
             ("table_floor_again", "基準（上傳各輪）：全府大小的表格 / floor, upload rounds: county-size tables", ""),
             ("county_upload", "全府比較 每次換月份前別的單位上傳 / county page: another unit uploaded before each "
                               "change", "table_floor_again")]
    rows += [("open_floor", "新工作階段開啟基準頁至 13 個儀表畫好 / new session: floor page → 13 gauges drawn", ""),
             ("open_overview", "新工作階段開啟總覽至 13 個儀表畫好 / new session: overview → 13 gauges drawn",
              "open_floor")]
    spreads: list[str] = []
    for key, label, floor in rows:
        tally = tallies[key]
        if not tally.changes:
            continue
        server_ratio = browser_ratio = ""
        verdict = ""
        if floor and tallies[floor].changes:
            base = tallies[floor]
            ratio = tally.per_change("server") / max(base.per_change("server"), 1e-9)
            paired = round_ratios(tally, base)
            if len(paired) > 1:  # the median round's: a noisy moment of the machine hits one round, not all
                spreads.append(f"  {left(label, 58)}{right(f'{ratio:.2f}×', 8)}{right(f'{statistics.median(paired):.2f}×', 8)}"
                               f"  {min(paired):.2f}–{max(paired):.2f}×  ({len(paired)})")
                ratio = statistics.median(paired)
            server_ratio = f"{ratio:.2f}×"
            browser_ratio = f"{tally.per_change('browser') / max(base.per_change('browser'), 1e-9):.2f}×"
            if key in {"overview", "detail", "whatif", "county", "county_first", "overview_upload", "county_upload"}:
                verdict = "  ✓" if ratio <= target_ratio else "  ✗ above target"
        elif not floor:
            server_ratio = browser_ratio = "1.00×"
        lines.append(f"  {left(label, 58)}{right(str(tally.changes), 8)}{right(ms(tally.per_change('server')), 14)}"
                     f"{right(server_ratio, 8)}{right(ms(tally.per_change('browser')), 14)}{right(browser_ratio, 8)}"
                     f"{right(ms(statistics.median(tally.walls)), 10)}{verdict}")
    if spreads:
        lines += ["", "  伺服器 CPU 倍數：全部合計、逐輪（同一輪的頁面與基準頁相比）的中位數、最低–最高（輪數）；上表的倍數與 ✓/✗ 為"
                  "逐輪中位數 / server CPU ratio: all changes together, the median of the rounds (each page against its "
                  "floor in the same round), their range (rounds); the table above shows the median", *spreads]
    return lines


def round_ratios(tally: Tally, floor: Tally) -> list[float]:
    """Per round, the page's server CPU per change over its floor's in the same round (rounds where both ran)."""
    return [page.per_change("server") / max(base.per_change("server"), 1e-9)
            for page, base in zip(tally.rounds, floor.rounds) if page.changes and base.changes]


def run(folder: Path, *, quick: bool, target_ratio: float, profile: bool = False,
        keep: Path | None = None, rounds: int | None = None) -> list[str]:
    """County-scale data (bench_dashboard's), one server, every target; the printed lines. With `profile` and
    `keep`, each phase's cProfile statistics are copied into `keep` (N.pstats, phases in order)."""
    from benchmarks import bench_dashboard as bench
    from metrics.plans.catalogue import load_catalogue

    units, years = (5, (112, 113)) if quick else (30, (112, 113, 114, 115))
    rounds, changes = (1, 2) if quick else (rounds or 5, 6)
    started = time.perf_counter()
    work = folder / "server_cpu"
    work.mkdir()
    plans, names = bench.county_catalogue(work, units, years)
    url = bench.county_store(work, names, years)
    indicators = len(load_catalogue(plans).common.indicators)
    script = app_folder(work, bench.COUNTY_YEAR, bench.FLOOR_SCRIPT,
                        bench.county_floor_script(units, indicators))
    out = work / "server-profile.txt" if profile else None
    previous = os.environ.get("KPI_PLANS_DIR")
    os.environ["KPI_PLANS_DIR"] = str(plans)
    try:
        server = bench.Server(script, url, bench.free_port(), profile=out)
    finally:
        if previous is None:
            os.environ.pop("KPI_PLANS_DIR")
        else:
            os.environ["KPI_PLANS_DIR"] = previous
    loads = [load_average()]
    try:
        server.wait_healthy(timeout=120)
        setup = time.perf_counter() - started
        uploader = Uploader(url, bench.COUNTY_YEAR, names[1:])
        tallies = measure(server, year=bench.COUNTY_YEAR, unit=names[0], rounds=rounds, changes=changes,
                          gauges=bench.GAUGES, profile=out, uploader=uploader)
        uploader.close()
    finally:
        server.stop()
    loads.append(load_average())
    lines = [f"  資料：{units} 個單位 × {len(years)} 年，{names[0]} {bench.COUNTY_YEAR} 年；一個 streamlit run，每頁一個 "
             f"Chromium 工作階段；{rounds} 輪 × 每頁 {changes} 次換月份，輪流量測；準備 {setup:,.0f} 秒 / "
             f"one server, one session per page, {rounds} rounds × {changes} changes, in turns",
             f"  負載平均 / load average: 開始 {loads[0]}，結束 {loads[1]}（{os.cpu_count()} CPU）"]
    if out is not None:
        if keep is not None:
            keep.mkdir(parents=True, exist_ok=True)
            for statistics_file in out.parent.glob(out.name + ".*.pstats"):
                shutil.copy(statistics_file, keep / statistics_file.name.removeprefix(out.name + "."))
        return lines + [out.read_text(encoding="utf-8") if out.exists() else "  (no profile written)"]
    return lines + table(tallies, target_ratio=target_ratio)


if __name__ == "__main__":
    import argparse
    import tempfile

    sys.path.insert(0, str(ROOT))
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--profile", action="store_true", help="sample the server's CPU by function instead")
    parser.add_argument("--rounds", type=int, default=5, help="rounds of every page's month changes (default 5)")
    parser.add_argument("--keep", type=Path, help="with --profile: a folder to keep each phase's cProfile statistics in")
    arguments = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="server_cpu_") as temporary:
        for line in run(Path(temporary), quick=arguments.quick, target_ratio=1.3, profile=arguments.profile,
                        keep=arguments.keep, rounds=max(1, arguments.rounds)):
            print(line)
