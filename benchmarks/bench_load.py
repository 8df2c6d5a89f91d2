"""How many people one dashboard server holds: N browser sessions change the overview's month while M reporters
upload, on SQLite and on PostgreSQL.

    python benchmarks/bench_load.py [--sessions 1,4,8,16] [--reporters 2] [--changes 5] [--interval 1.0]
                                    [--stores sqlite,postgresql] [--quick]

For each store: a fresh SQLite file or a fresh PostgreSQL schema (dropped at the end) holding the 112 sample year
of 政風處 and one account (so the overview shows, not the first-run setup), served by one
`streamlit run dashboard.py` on a free port. Then, for every (N, M):

- N sessions: one headless Chromium (Debian's), N Playwright contexts (N Streamlit sessions) driven at once with
  asyncio. Each opens the overview and waits for 「政風處｜統計至 112年12月」 with the script idle; then, all at
  once, each changes 「統計至」 in the sidebar K times (--changes) through the select box, timed from the click on
  the month to the new heading 「政風處｜統計至 112年M月」 shown with the script idle (the same signals as the
  browser tests, polled on every animation frame; no sleeps). The page also notes when the script last ended,
  which splits a change into the server's part (until the script ended) and the browser's tail after it.
- M reporters: processes of their own, as the command line would be, each uploading one value at a time through
  metrics.services.Services.upload (a command-line actor) for as long as the sessions are changing months,
  one upload every --interval seconds, each with a value never sent before; every write is timed. A reporter
  owns its (field, month) pairs, so the last value it sent is the one that must be in effect.
- Counted at the end of each row: batches in the store = 1 (the sample year) + uploads confirmed so far, and
  every (field, month) a reporter wrote holds the last value sent; printed as 「無遺失 / nothing lost」 or the
  difference. An upload refused because the store stayed locked (StoreBusy, after 8 s) is counted apart: the
  reporter was told, nothing was lost.
- Where the time goes, over the months-changing phase: CPU seconds of the server process, of the browser (the
  Playwright driver and every Chromium process), of the reporters and (PostgreSQL) of all postgres processes on
  the machine, read from /proc; and the machine's busy share of its CPUs.

Prints figures only; asserts nothing timed. --quick: sessions 1,2, 2 changes, SQLite only (used by the tests).
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import queue
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Collection, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks.bench_dashboard import (CHROMIUM, CHROMIUM_ARGS, SAMPLE, Server, free_port,  # noqa: E402
                                        percentile, right)
from tests.browser.helpers import IDLE_SCRIPT, VIEWPORT, add_account  # noqa: E402

YEAR = 112
UNIT = "政風處"
LATEST_MONTH = 12
DEFAULT_POSTGRES_URL = "postgresql+psycopg://root@127.0.0.1:5432/test"
# Counts with no ratio check between them, so any whole number is a sound upload.
REPORTED_FIELDS = ("warning_cases", "procurement_audits", "complaints_completed", "infosec_audits",
                   "pinhole_inspections", "harassment_courses")
PAGE_TIMEOUT_MS = 300_000
READY_SECONDS = 120
ROW_VALUES = 100_000  # values sent in row r start at r × this: never a value sent before for the same pair

HEADING = f"{UNIT}｜統計至 {YEAR}年"

# The time the script last ended, as the page learns it: the split between the server's part and the browser's.
SCRIPT_END_OBSERVER = """
window.__kpiScriptEnded = 0;
new MutationObserver((mutations) => {
  for (const mutation of mutations) {
    const target = mutation.target;
    if (target.dataset && target.dataset.testid === 'stApp' && target.dataset.testScriptState === 'notRunning') {
      window.__kpiScriptEnded = performance.now();
    }
  }
}).observe(document, {subtree: true, attributes: true, attributeFilter: ['data-test-script-state']});
"""

# The overview shows the month with the script idle; returns the browser's milliseconds since the script ended.
SHOWN_SCRIPT = f"""(month) => {{
  if (!({IDLE_SCRIPT})()) return false;
  const wanted = `{HEADING}${{month}}月（`;
  const headings = document.querySelectorAll('[data-testid="stMainBlockContainer"] h3');
  if (!Array.from(headings).some((heading) => heading.textContent.startsWith(wanted))) return false;
  return {{tail: window.__kpiScriptEnded ? performance.now() - window.__kpiScriptEnded : -1}};
}}"""


# ---- CPU time from /proc ----

TICKS = os.sysconf("SC_CLK_TCK")


def _stat(pid: int) -> tuple[int, float] | None:
    """(parent pid, CPU seconds of the process and its reaped children), or None when it has gone."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = text[text.rindex(")") + 2:].split()
    return int(fields[1]), sum(int(value) for value in fields[11:15]) / TICKS


def _command(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/comm").read_text().strip()
    except OSError:
        return ""


def _processes() -> dict[int, tuple[int, float]]:
    found = {}
    for entry in os.scandir("/proc"):
        if entry.name.isdigit() and (stat := _stat(int(entry.name))) is not None:
            found[int(entry.name)] = stat
    return found


def _subtree(processes: dict[int, tuple[int, float]], root: int) -> set[int]:
    members = {root}
    grown = True
    while grown:
        grown = False
        for pid, (parent, _) in processes.items():
            if parent in members and pid not in members:
                members.add(pid)
                grown = True
    return members & processes.keys()


def machine_busy() -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine since boot, from /proc/stat."""
    values = [int(value) for value in Path("/proc/stat").read_text().splitlines()[0].split()[1:9]]
    user, nice, system, idle, iowait, irq, softirq, steal = values
    busy = user + nice + system + irq + softirq + steal
    return busy / TICKS, (busy + idle + iowait) / TICKS


@dataclass(frozen=True)
class CpuSnapshot:
    server: float
    browser: float
    postgres: float
    busy: float
    total: float
    wall: float
    servers: tuple[float, ...] = ()  # each server's own, in the order given
    own: float = 0.0  # this process: the protocol clients, or Playwright's Python side

    @property
    def clients(self) -> float:
        """What driving the sessions costs: the browser's processes and this one."""
        return self.browser + self.own


def cpu_snapshot(server_pid: int | Collection[int], reporter_pids: set[int]) -> CpuSnapshot:
    """The servers' trees (one or several app servers, a proxy); the browser's: every other descendant of this
    process but the reporters; this process's own."""
    processes = _processes()
    roots = [server_pid] if isinstance(server_pid, int) else list(server_pid)
    trees = [_subtree(processes, pid) for pid in roots]
    server = set().union(*trees)
    ours = _subtree(processes, os.getpid()) - {os.getpid()} - server - set().union(
        *(_subtree(processes, pid) for pid in reporter_pids))
    postgres = sum(cpu for pid, (_, cpu) in processes.items() if _command(pid).startswith("postgres"))
    busy, total = machine_busy()
    own = os.times()
    return CpuSnapshot(sum(processes[pid][1] for pid in server), sum(processes[pid][1] for pid in ours), postgres,
                       busy, total, time.perf_counter(),
                       tuple(sum(processes[pid][1] for pid in tree) for tree in trees), own.user + own.system)


# ---- stores ----

def fill(url: str) -> None:
    """The 112 sample year of 政風處 as one upload, and one administrator (not a fresh install)."""
    from metrics.plans.roles import load_roles
    from metrics.plans.catalogue import PLANS_DIRECTORY, load_catalogue
    from metrics.intake.monthly import read_upload
    from metrics.services import Services, command_line
    from metrics.store import Store

    data = SAMPLE.read_bytes()
    with Store(url) as store:
        Services(store, load_roles(PLANS_DIRECTORY)).upload(
            command_line("benchmark"), [(read_upload(data, SAMPLE.name, load_catalogue()), SAMPLE.name, data)])
    add_account(url, "benchmark", roles=("administrator",), display_name="效能測試")


@contextmanager
def prepared_store(kind: str, folder: Path) -> Iterator[str]:
    if kind == "sqlite":
        url = f"sqlite:///{folder / 'load.sqlite3'}"
        fill(url)
        yield url
        return
    import sqlalchemy as sa

    server_url = os.environ.get("KPI_TEST_POSTGRES_URL") or DEFAULT_POSTGRES_URL
    schema = f"kpi_load_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(server_url, poolclass=sa.pool.NullPool, connect_args={"connect_timeout": 5})
    with admin.begin() as connection:
        connection.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    try:
        url = sa.engine.make_url(server_url).update_query_dict({"options": f"-csearch_path={schema}"})
        url = url.render_as_string(hide_password=False)
        fill(url)
        yield url
    finally:
        with admin.begin() as connection:
            connection.execute(sa.text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        admin.dispose()


def postgres_reachable() -> str | None:
    """None when the PostgreSQL server answers, else why not."""
    import sqlalchemy as sa

    url = os.environ.get("KPI_TEST_POSTGRES_URL") or DEFAULT_POSTGRES_URL
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool, connect_args={"connect_timeout": 5})
    try:
        with engine.connect() as connection:
            connection.execute(sa.text("SELECT 1"))
        return None
    except Exception as error:  # any failure to reach the server means the same thing here
        return str(error).splitlines()[0]
    finally:
        engine.dispose()


# ---- reporters ----

def reporter_pairs(number: int, reporters: int) -> list[tuple[str, int]]:
    """The (field, month) pairs reporter `number` alone writes: a field of its own, or a share of its months."""
    sharing = -(-reporters // len(REPORTED_FIELDS))  # reporters per field
    field_code = REPORTED_FIELDS[number % len(REPORTED_FIELDS)]
    share = number // len(REPORTED_FIELDS)
    return [(field_code, month) for month in range(1, 13) if (month - 1) % sharing == share]


@dataclass
class ReporterResult:
    number: int
    writes: list[tuple[float, str, int, int, int | None]] = field(default_factory=list)  # seconds, pair, value, batch
    refused: list[str] = field(default_factory=list)  # StoreBusy: the reporter was told, nothing written
    failed: list[str] = field(default_factory=list)
    cpu: float = 0.0


def report(url: str, number: int, reporters: int, first_value: int, interval: float, start, stop, results) -> None:
    """One reporter (a process of its own, as `python -m metrics upload` would be): uploads until `stop`."""
    from metrics.plans.roles import load_roles
    from metrics.plans.catalogue import PLANS_DIRECTORY, load_catalogue
    from metrics.errors import KpiError, StoreBusy
    from metrics.intake.monthly import read_upload
    from metrics.services import Services, command_line
    from metrics.store import Store

    catalogue = load_catalogue()
    result = ReporterResult(number)
    pairs = reporter_pairs(number, reporters)
    with Store(url) as store:
        services = Services(store, load_roles(PLANS_DIRECTORY))
        actor = command_line(f"reporter{number + 1}")
        results.put(("ready", number))
        start.wait()
        cpu_started = time.process_time()
        upload = 0
        while True:
            field_code, month = pairs[upload % len(pairs)]
            value = first_value + upload
            name = f"reporter{number + 1}-{upload + 1}.csv"
            data = f"年度,月份,單位,項目代碼,數值\n{YEAR},{month},{UNIT},{field_code},{value}\n".encode()
            frame = read_upload(data, name, catalogue)
            started = time.perf_counter()
            try:
                batch = services.upload(actor, [(frame, name, data)])[0].batch_id
            except StoreBusy as error:
                result.refused.append(str(error))
            except KpiError as error:
                result.failed.append(str(error))
            else:
                result.writes.append((time.perf_counter() - started, field_code, month, value, batch))
            upload += 1
            if stop.wait(interval):
                break
        result.cpu = time.process_time() - cpu_started
    results.put(("done", result))


class Reporters:
    """M reporter processes (spawned: nothing of this process's browser or event loop is inherited)."""

    def __init__(self, url: str, count: int, first_value: int, interval: float) -> None:
        context = multiprocessing.get_context("spawn")
        self.start, self.stop, self.results = context.Event(), context.Event(), context.Queue()
        self.processes = [context.Process(target=report, args=(url, number, count, first_value, interval,
                                                                 self.start, self.stop, self.results), daemon=True)
                          for number in range(count)]
        for process in self.processes:
            process.start()

    def wait_ready(self) -> None:
        for _ in self.processes:
            self._next("ready")

    def _next(self, kind: str):
        try:
            message = self.results.get(timeout=READY_SECONDS)
        except queue.Empty:
            raise SystemExit(f"a reporter did not answer within {READY_SECONDS} s") from None
        if message[0] != kind:
            raise SystemExit(f"a reporter said {message[0]!r}, expected {kind!r}")
        return message[1]

    @property
    def pids(self) -> set[int]:
        return {process.pid for process in self.processes if process.pid is not None}

    def finish(self) -> list[ReporterResult]:
        self.stop.set()
        results = [self._next("done") for _ in self.processes]
        for process in self.processes:
            process.join(timeout=READY_SECONDS)
        return sorted(results, key=lambda result: result.number)

    def close(self) -> None:
        """After `finish` they have ended; after a failure they are ended here."""
        for process in self.processes:
            if process.is_alive():
                process.terminate()
            process.join(timeout=READY_SECONDS)


# ---- sessions ----

@dataclass(frozen=True)
class Change:
    seconds: float
    tail: float | None  # seconds the browser went on after the script ended; None when no end was seen


async def open_overview(context, url: str, errors: list[str]):
    page = await context.new_page()
    page.on("pageerror", lambda error: errors.append(str(error)))
    started = time.perf_counter()
    await page.goto(url, wait_until="domcontentloaded", timeout=PAGE_TIMEOUT_MS)
    await page.wait_for_function(SHOWN_SCRIPT, arg=LATEST_MONTH, polling="raf", timeout=PAGE_TIMEOUT_MS)
    return page, time.perf_counter() - started


def changed_month(session: int, change: int) -> int:
    return (session + change) % (LATEST_MONTH - 1) + 1  # never the month shown before; differs between sessions


async def change_months(page, session: int, changes: int) -> list[Change]:
    """Through the sidebar's 「統計至」 select box as a user would; months differ from session to session."""
    timings = []
    for change in range(changes):
        month = changed_month(session, change)
        await page.locator('[data-testid="stSidebar"] .st-key-period_month input').click()
        option = page.get_by_role("option", name=f"{YEAR}年{month}月", exact=True)
        await option.wait_for(timeout=PAGE_TIMEOUT_MS)
        await page.evaluate("window.__kpiScriptEnded = 0")
        started = time.perf_counter()
        await option.click(timeout=PAGE_TIMEOUT_MS)
        shown = await page.wait_for_function(SHOWN_SCRIPT, arg=month, polling="raf", timeout=PAGE_TIMEOUT_MS)
        seconds = time.perf_counter() - started
        tail = (await shown.json_value())["tail"]
        timings.append(Change(seconds, tail / 1000 if tail >= 0 else None))
    return timings


class BrowserSessions:
    """N Playwright contexts of one Chromium: N Streamlit sessions drawn as a user sees them."""

    name = "瀏覽器"
    english = "browser"

    def __init__(self, browser) -> None:
        self.browser = browser
        self.contexts: list = []

    async def open(self, url: str, count: int, errors: list[str]) -> list[tuple[object, float]]:
        self.contexts = [await self.browser.new_context(viewport=VIEWPORT, locale="zh-TW", timezone_id="Asia/Taipei")
                         for _ in range(count)]
        for context in self.contexts:
            context.set_default_timeout(PAGE_TIMEOUT_MS)
            await context.add_init_script(SCRIPT_END_OBSERVER)
        return list(await asyncio.gather(*(open_overview(context, url, errors) for context in self.contexts)))

    async def change(self, page, session: int, changes: int) -> list[Change]:
        return await change_months(page, session, changes)

    async def close(self) -> None:
        for context in self.contexts:
            await context.close()
        self.contexts = []


class ProtocolSessions:
    """N sessions of benchmarks/st_client.py: the same reruns as a browser's (tests/test_st_client.py), nothing
    drawn. A change is timed from sending the rerun to script_finished with the new heading among the elements."""

    name = "協定"
    english = "protocol"

    def __init__(self) -> None:
        self.sessions: list = []

    async def _open(self, url: str):
        from benchmarks.st_client import Session

        session = Session(url, timeout=PAGE_TIMEOUT_MS / 1000)
        self.sessions.append(session)
        started = time.perf_counter()
        run = await session.open()
        if not any(text.startswith(f"{HEADING}{LATEST_MONTH}月（") for text in run.texts("heading")):
            raise RuntimeError(f"the overview did not show {HEADING}{LATEST_MONTH}月: {run.texts('heading')}")
        return session, time.perf_counter() - started

    async def open(self, url: str, count: int, errors: list[str]) -> list[tuple[object, float]]:
        return list(await asyncio.gather(*(self._open(url) for _ in range(count))))

    async def change(self, session, number: int, changes: int) -> list[Change]:
        timings = []
        for change in range(changes):
            month = changed_month(number, change)
            started = time.perf_counter()
            run = await session.select("統計至", f"{YEAR}年{month}月")
            seconds = time.perf_counter() - started
            if not any(text.startswith(f"{HEADING}{month}月（") for text in run.texts("heading")):
                raise RuntimeError(f"month {month} not shown: {run.texts('heading')}")
            timings.append(Change(seconds, None))
        return timings

    async def close(self) -> None:
        for session in self.sessions:
            await session.close()
        self.sessions = []


# ---- one row: N sessions, M reporters ----

@dataclass
class Row:
    sessions: int
    reporters: int
    opened: list[float]
    changes: list[Change]
    results: list[ReporterResult]
    before: CpuSnapshot
    after: CpuSnapshot
    reporter_cpu: float
    lost: str
    errors: list[str]

    @property
    def writes(self) -> list[float]:
        return [write[0] for result in self.results for write in result.writes]

    @property
    def refused(self) -> int:
        return sum(len(result.refused) + len(result.failed) for result in self.results)


class Ledger:
    """What the reporters were told was stored, across the rows of one store: what must be found there."""

    def __init__(self) -> None:
        self.batches = 1  # the sample year
        self.last: dict[tuple[str, int], int] = {}

    def record(self, results: list[ReporterResult]) -> None:
        for result in results:
            for _, field_code, month, value, batch in result.writes:
                if batch is not None:
                    self.batches += 1
                self.last[(field_code, month)] = value

    def check(self, url: str) -> str:
        from metrics.store import Store

        with Store(url) as store:
            batches = store.row_counts()["batches"]
            frame = store.current_frame(YEAR, UNIT)
        stored = {(row.field, int(row.month)): row.value for row in frame.itertuples()}
        wrong = [pair for pair, value in self.last.items() if stored.get(pair) != value]
        if batches == self.batches and not wrong:
            return ""
        parts = []
        if batches != self.batches:
            parts.append(f"批次 {batches:,} ≠ 送出 {self.batches:,} / batches {batches:,} vs {self.batches:,} sent")
        if wrong:
            parts.append(f"{len(wrong):,} 個數值不是最後送出的 / values not the last sent: {wrong[:5]}")
        return "；".join(parts)


async def measure_row(browser, server: Server, url: str, ledger: Ledger, *, sessions: int, reporters: int,
                      changes: int, interval: float, row_number: int, base: str | None = None,
                      server_pids: Collection[int] | None = None) -> Row:
    """One row; `browser`: a Chromium, or BrowserSessions / ProtocolSessions; `base` and `server_pids`: the
    sessions go through a proxy to several servers (bench_deploy.py)."""
    overview = f"{base or f'http://127.0.0.1:{server.port}'}/"
    pids = list(server_pids) if server_pids else server.process.pid
    clients = browser if isinstance(browser, (BrowserSessions, ProtocolSessions)) else BrowserSessions(browser)
    team = Reporters(url, reporters, (row_number + 1) * ROW_VALUES, interval) if reporters else None
    errors: list[str] = []
    try:
        # The reporters start up (import, connect) while the pages open; they upload only once all have opened.
        opened, _ = await asyncio.gather(clients.open(overview, sessions, errors),
                                         asyncio.to_thread(team.wait_ready) if team else asyncio.sleep(0))
        reporter_pids = team.pids if team else set()
        before = cpu_snapshot(pids, reporter_pids)
        if team:
            team.start.set()
        try:
            async with asyncio.TaskGroup() as group:  # one session failing stops the others
                tasks = [group.create_task(clients.change(handle, number, changes))
                         for number, (handle, _) in enumerate(opened)]
        finally:
            after = cpu_snapshot(pids, reporter_pids)
            # Even when a session failed, what the reporters were told was stored is the ledger's.
            results = team.finish() if team else []
            ledger.record(results)
    finally:
        if team:
            team.close()
        await clients.close()
    changed = [change for task in tasks for change in task.result()]
    return Row(sessions, reporters, [seconds for _, seconds in opened], changed, results, before, after,
               sum(result.cpu for result in results), ledger.check(url), errors)


# ---- printing ----

def milliseconds(seconds: float | None) -> str:
    return "—" if seconds is None else f"{seconds * 1000:,.0f}"


TIME_COLUMNS = (("工作階段 N", 10), ("填報者 M", 9), ("開啟 p50", 10), ("換月份次數", 11), ("p50", 8), ("p95", 8),
                ("最大", 8), ("×N₀", 7), ("伺服器 p50", 11), ("瀏覽器 p50", 11), ("寫入次數", 9), ("寫入 p50", 10),
                ("寫入 p95", 10), ("拒絕", 7), ("遺失", 8))
TIME_ENGLISH = ("sessions", "reporters", "open", "changes", "p50 ms", "p95 ms", "max ms", "ratio", "server",
                "browser", "writes", "write p50", "write p95", "refused", "lost")


def table_line(cells, columns) -> str:
    return "  " + " ".join(right(cell, width) for cell, (_, width) in zip(cells, columns))


def time_table(rows: list[Row]) -> list[str]:
    reference = statistics.median(change.seconds for change in rows[0].changes)
    lines = [table_line([title for title, _ in TIME_COLUMNS], TIME_COLUMNS), table_line(TIME_ENGLISH, TIME_COLUMNS),
             "  " + "─" * (sum(width for _, width in TIME_COLUMNS) + len(TIME_COLUMNS) - 1)]
    for row in rows:
        seconds = [change.seconds for change in row.changes]
        tails = [change.tail for change in row.changes if change.tail is not None]
        servers = [change.seconds - change.tail for change in row.changes if change.tail is not None]
        median = statistics.median(seconds)
        writes = row.writes
        cells = (str(row.sessions), str(row.reporters), milliseconds(statistics.median(row.opened)),
                 f"{len(seconds):,}", milliseconds(median), milliseconds(percentile(seconds, 0.95)),
                 milliseconds(max(seconds)), f"{median / reference:.2f}×",
                 milliseconds(statistics.median(servers) if servers else None),
                 milliseconds(statistics.median(tails) if tails else None), f"{len(writes):,}",
                 milliseconds(statistics.median(writes) if writes else None),
                 milliseconds(percentile(writes, 0.95) if writes else None), f"{row.refused:,}",
                 "0" if not row.lost else "有 / yes")
        lines.append(table_line(cells, TIME_COLUMNS))
    return lines


CPU_COLUMNS = (("工作階段 N", 10), ("填報者 M", 9), ("時段 秒", 9), ("伺服器 CPU 秒", 14), ("每次換月份", 11),
               ("佔一核", 8), ("瀏覽器 CPU 秒", 14), ("填報者 CPU 秒", 14), ("PostgreSQL 秒", 15), ("整機忙碌", 10))
CPU_ENGLISH = ("sessions", "reporters", "wall s", "server CPU s", "per change", "of a core", "browser CPU s",
               "reporters s", "postgres s", "machine busy")


def cpu_table(rows: list[Row], postgres: bool) -> list[str]:
    lines = [table_line([title for title, _ in CPU_COLUMNS], CPU_COLUMNS), table_line(CPU_ENGLISH, CPU_COLUMNS),
             "  " + "─" * (sum(width for _, width in CPU_COLUMNS) + len(CPU_COLUMNS) - 1)]
    for row in rows:
        wall = row.after.wall - row.before.wall
        server = row.after.server - row.before.server
        busy = (row.after.busy - row.before.busy) / max(row.after.total - row.before.total, 1e-9)
        cells = (str(row.sessions), str(row.reporters), f"{wall:,.1f}", f"{server:,.1f}",
                 f"{server / max(len(row.changes), 1) * 1000:,.0f} ms", f"{server / wall:.0%}",
                 f"{row.after.browser - row.before.browser:,.1f}", f"{row.reporter_cpu:,.1f}",
                 f"{row.after.postgres - row.before.postgres:,.1f}" if postgres else "—", f"{busy:.0%}")
        lines.append(table_line(cells, CPU_COLUMNS))
    return lines


def outcome_lines(rows: list[Row]) -> list[str]:
    lines = []
    for row in rows:
        if row.lost:
            lines.append(f"  ✗ N={row.sessions} M={row.reporters}：{row.lost}")
        for result in row.results:
            for message in (result.refused + result.failed)[:3]:
                lines.append(f"  填報者 {result.number + 1} 被拒 / reporter {result.number + 1} refused: {message}")
        for error in row.errors[:3]:
            lines.append(f"  網頁錯誤 / JavaScript error (N={row.sessions}): {error}")
    sent = sum(len(row.writes) for row in rows)
    if not any(row.lost for row in rows):
        lines.append(f"  ✓ 無遺失 / nothing lost：{sent:,} 次上傳全部在資料庫中（批次數＝確認的上傳數＋1），"
                     "每個填報項目都是最後送出的數值 / every confirmed upload is a batch, every pair holds the last "
                     "value sent")
    return lines


STORE_TITLES = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}


async def measure_store(kind: str, folder: Path, arguments: argparse.Namespace) -> list[str]:
    from playwright.async_api import async_playwright

    lines = []
    with prepared_store(kind, folder) as url:
        server = Server(ROOT / "dashboard.py", url, free_port())
        try:
            started = server.wait_healthy(timeout=READY_SECONDS)
            driver = await async_playwright().start()
            try:
                browser = await driver.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
                ledger = Ledger()
                rows: list[Row] = []
                failures: list[str] = []
                for reporters in arguments.reporters:
                    for sessions in arguments.sessions:
                        try:
                            rows.append(await measure_row(browser, server, url, ledger, sessions=sessions,
                                                          reporters=reporters, changes=arguments.changes,
                                                          interval=arguments.interval, row_number=len(rows)))
                        except Exception as error:  # a row that cannot finish is reported; the others stand
                            failures.append(f"  ✗ N={sessions} M={reporters} 未完成 / did not finish: "
                                            f"{first_line(error)}")
                        print(f"  … N={sessions} M={reporters} finished", file=sys.stderr, flush=True)
                if failures and (lost := ledger.check(url)):  # after a failed row: is everything still there?
                    failures.append(f"  ✗ 最後清點 / final count: {lost}")
                await browser.close()
            finally:
                await driver.stop()
        finally:
            server.stop()
    lines.append(f"  伺服器啟動 {started:,.1f} 秒 / server ready in {started:,.1f} s")
    lines.append("  換月份（毫秒）：自點選月份至新標題出現且腳本閒置；伺服器＝至腳本結束，瀏覽器＝之後的收尾；×N₀＝p50 對第一列 /")
    lines.append("  month change (ms): click → new heading with the script idle; server = until the script ended, "
                 "browser = the tail after it; ×N₀ = p50 against the first row")
    if rows:
        lines += time_table(rows)
        lines.append("")
        lines.append("  時間花在哪裡（換月份期間的 CPU 秒）/ where the time goes (CPU seconds while months change):")
        lines += cpu_table(rows, postgres=kind == "postgresql")
        if kind == "postgresql":
            lines.append("  PostgreSQL 一欄是本機所有 postgres 行程，含其他人的工作 / all postgres processes, others' work "
                         "included")
        lines += outcome_lines(rows)
    return lines + failures


def first_line(error: BaseException) -> str:
    if isinstance(error, BaseExceptionGroup):
        return first_line(error.exceptions[0])
    return f"{type(error).__name__}: {(str(error).strip().splitlines() or [''])[0]}"


def numbers(text: str) -> list[int]:
    return [int(part) for part in text.split(",") if part.strip()]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sessions", type=numbers, default=[1, 4, 8, 16], help="browser sessions, e.g. 1,4,8,16")
    parser.add_argument("--reporters", type=numbers, default=[2], help="concurrent reporters, e.g. 2 or 2,4")
    parser.add_argument("--changes", type=int, default=5, help="month changes per session (default 5)")
    parser.add_argument("--interval", type=float, default=1.0, help="seconds between a reporter's uploads (1.0)")
    parser.add_argument("--stores", default="sqlite,postgresql", help="sqlite, postgresql or both")
    parser.add_argument("--quick", action="store_true", help="sessions 1,2, 2 changes, SQLite: a smoke test")
    arguments = parser.parse_args()
    if arguments.quick:
        arguments.sessions, arguments.changes, arguments.stores = [1, 2], 2, "sqlite"
    stores = [kind.strip() for kind in arguments.stores.split(",") if kind.strip()]
    unknown = [kind for kind in stores if kind not in STORE_TITLES]
    if unknown or not stores:
        parser.error(f"--stores: {unknown or 'none'}; expected sqlite and/or postgresql")
    if not Path(CHROMIUM).exists():
        raise SystemExit(f"找不到瀏覽器 {CHROMIUM} / no Chromium at {CHROMIUM}")
    import streamlit

    print(f"負載量測 / load test — 政風處 112 年範例全年；Python {sys.version.split()[0]}, streamlit "
          f"{streamlit.__version__}, {os.cpu_count()} CPU(s)；每位工作階段換月份 {arguments.changes} 次，"
          f"每位填報者每 {arguments.interval:g} 秒上傳一次 / {arguments.changes} changes per session, "
          f"one upload per reporter every {arguments.interval:g} s")
    with tempfile.TemporaryDirectory(prefix="bench_load_") as folder:
        for kind in stores:
            print()
            print(f"{STORE_TITLES[kind]}")
            if kind == "postgresql" and (reason := postgres_reachable()) is not None:
                print(f"  略過：PostgreSQL 無法連線 / skipped, PostgreSQL not reachable: {reason}")
                continue
            for line in asyncio.run(measure_store(kind, Path(folder), arguments)):
                print(line)


if __name__ == "__main__":
    main()
