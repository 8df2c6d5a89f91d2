"""A deployment as the README describes it, measured: nginx in front of one or two `streamlit run dashboard.py`
servers on one PostgreSQL, sessions changing the overview's month through the proxy while reporters upload.

    python benchmarks/bench_deploy.py [--sessions 1,8,16,32] [--servers 1,2] [--reporters 2] [--changes 4]
                                      [--interval 1.0] [--client protocol|browser|protocol,browser]
                                      [--rounds 1] [--quick]

- PostgreSQL: a fresh schema (dropped at the end) holding the 112 sample year of 政風處 and one account, the plans
  and the cycle seeded once before any server starts (as the first server would).
- App servers: `streamlit run dashboard.py` on free ports of 127.0.0.1, all with the same server.cookieSecret
  (a cookie one signed is good on the other) and KPI_DB_URL.
- nginx (the Debian package, /usr/sbin/nginx): its own configuration, pid file, logs and temporary folders in a
  temporary folder, in the foreground (daemon off), listening on a free port of 127.0.0.1. It forwards the
  WebSocket upgrade and keeps each browser on one server (sticky sessions): a browser's first request goes to
  the next server in turn, the answer sets the cookie kpi_route to that server, and every later request of the
  browser, its WebSocket included, goes to the server the cookie names (only the servers configured are
  accepted; anything else goes round the ring again). Round-robin for new browsers rather than ip_hash:
  behind the county's NAT every official comes from one address, and ip_hash would send them all to one server.
- Sessions (--client): `protocol` (the default), benchmarks/st_client.py: Streamlit's own messages over the
  WebSocket, the cookies kept as a browser keeps them, the same rerun a browser sends for a month change
  (tests/test_st_client.py) and nothing drawn, so the machine's CPU goes to the servers and not to 32 Chromium
  pages; `browser`: Chromium pages through Playwright, as bench_load.py drives them.
- Rows: for every server count, client and session count, bench_load's row through the proxy: N sessions open
  the overview and change 「統計至」 K times each, M reporter processes upload meanwhile (each write timed), and
  the store is counted at the end (every confirmed upload a batch, every value the last sent).

Prints per row: p50/p95 of a month change (browser: click → new heading, script idle; protocol: rerun sent →
script_finished with the new heading), month changes per second over the phase, the servers' CPU per change
(both servers' sum, and each server's share: the stickiness spreads sessions), the cores the servers used (CPU
seconds per second of the phase: one server's Python uses about one at most), the clients' CPU per change
(Chromium's processes, or this process running the protocol clients), the store's write latency, whether
anything was lost, and the cores the machine spent on work not this test's (a shared machine); then, with one
and two servers, the month changes per second of two against one, round by round (--rounds: every server count
in turn, so that a busy moment of a shared machine falls on both alike) and their median. Asserts nothing timed. --quick: 1 session, 1 and 2 servers, both clients, 2 changes,
1 reporter (used by the tests).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks import bench_load as load  # noqa: E402
from benchmarks.bench_dashboard import CHROMIUM, CHROMIUM_ARGS, Server, free_port, percentile  # noqa: E402

NGINX = os.environ.get("KPI_NGINX") or "/usr/sbin/nginx"
READY_SECONDS = 120

NGINX_CONFIG = """# nginx in front of the dashboard's servers: WebSocket upgrade, sticky sessions by cookie.
worker_processes 1;
daemon off;
pid {folder}/nginx.pid;
error_log {folder}/error.log warn;
events {{ worker_connections 4096; }}
http {{
    access_log off;
    client_body_temp_path {folder}/body;
    proxy_temp_path {folder}/proxy;
    fastcgi_temp_path {folder}/fastcgi;
    uwsgi_temp_path {folder}/uwsgi;
    scgi_temp_path {folder}/scgi;

    # The WebSocket of a Streamlit session: Upgrade and Connection passed on.
    map $http_upgrade $connection_upgrade {{
        default upgrade;
        ''      close;
    }}
    # A browser whose cookie names one of the servers stays on it; a new browser (or an unknown cookie) goes to
    # the next server in turn.
    map $cookie_kpi_route $kpi_backend {{
{routes}
        default kpi_servers;
    }}
    upstream kpi_servers {{
{servers}
    }}
    server {{
        listen 127.0.0.1:{port};
        client_max_body_size 100m;  # as server.maxUploadSize in .streamlit/config.toml
        location / {{
            proxy_pass http://$kpi_backend;
            proxy_http_version 1.1;
            proxy_set_header Upgrade $http_upgrade;
            proxy_set_header Connection $connection_upgrade;
            proxy_set_header Host $host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto $scheme;
            proxy_read_timeout 1d;  # a session's WebSocket stays open while the page is
            proxy_send_timeout 1d;
            proxy_buffering off;
            add_header Set-Cookie "kpi_route=$upstream_addr; Path=/; HttpOnly; SameSite=Lax" always;
        }}
    }}
}}
"""


def nginx_config(folder: Path, port: int, backends: list[int]) -> str:
    addresses = [f"127.0.0.1:{backend}" for backend in backends]
    return NGINX_CONFIG.format(folder=folder, port=port,
                               routes="\n".join(f'        "{address}" {address};' for address in addresses),
                               servers="\n".join(f"        server {address};" for address in addresses))


class Nginx:
    """nginx in the foreground with its own configuration in `folder`."""

    def __init__(self, folder: Path, backends: list[int]) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.config = folder / "nginx.conf"
        self.config.write_text(nginx_config(folder, self.port, backends), encoding="utf-8")
        self.folder = folder
        self.process = subprocess.Popen([NGINX, "-p", str(folder), "-c", str(self.config), "-e", str(folder / "error.log")],
                                        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        deadline = time.monotonic() + READY_SECONDS
        while not self.answers():
            if self.process.poll() is not None:
                output = self.process.stdout.read() if self.process.stdout else ""
                log = (folder / "error.log").read_text(encoding="utf-8") if (folder / "error.log").exists() else ""
                raise SystemExit(f"nginx did not start:\n{output}\n{log}")
            if time.monotonic() > deadline:
                raise SystemExit("nginx does not answer on its port")
            time.sleep(0.05)  # polling a port that is not open yet: nothing else to wait on

    def answers(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                return True
        except OSError:
            return False

    def health(self) -> bool:
        """/_stcore/health through the proxy."""
        with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/_stcore/health", timeout=10) as response:
            return response.status == 200 and response.read().strip() == b"ok"

    def stop(self) -> None:
        self.process.terminate()  # SIGTERM: fast shutdown
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def seed(url: str) -> None:
    """The plans and the cycle, as the first app server would seed them: servers starting together do not race."""
    from metrics.plans.catalogue import load_catalogue, plans_directory
    from metrics.services.seeding import seed_store
    from metrics.plans.roles import load_roles
    from metrics.services.review import seed_cycle
    from metrics.store import Store

    files = load_catalogue(plans_directory())
    with Store(url) as store:
        seed_store(store, files)
        seed_cycle(store, plans_directory(), load_roles(plans_directory()))


def start_servers(count: int, url: str, secret: str) -> list[Server]:
    servers = [Server(ROOT / "dashboard.py", url, free_port(), environment={"STREAMLIT_SERVER_COOKIE_SECRET": secret})
               for _ in range(count)]
    try:
        for server in servers:
            server.wait_healthy(timeout=READY_SECONDS)
    except BaseException:
        for server in servers:
            server.stop()
        raise
    return servers


COLUMNS = (("伺服器", 7), ("用戶端", 9), ("工作階段", 9), ("填報者", 7), ("換月份", 7), ("p50 ms", 8), ("p95 ms", 8),
           ("次/秒", 8), ("CPU/次 ms", 10), ("各伺服器 CPU s", 18), ("佔核心", 7), ("用戶端/次", 10), ("寫入", 6), ("寫入p50", 8),
           ("寫入p95", 8), ("拒絕", 5), ("遺失", 6), ("整機忙碌", 9),
           ("其他工作佔核", 13))
ENGLISH = ("servers", "client", "sessions", "reporters", "changes", "p50", "p95", "changes/s", "server CPU",
           "each s, nginx", "cores", "client CPU", "writes", "write p50", "write p95", "refused", "lost", "busy",
           "others' cores")


def row_line(servers: int, client: str, row: load.Row) -> str:
    seconds = [change.seconds for change in row.changes]
    wall = row.after.wall - row.before.wall
    cpu = row.after.server - row.before.server
    shares = "/".join(f"{after - before:.1f}" for before, after in zip(row.before.servers, row.after.servers))
    clients = row.after.clients - row.before.clients
    busy = (row.after.busy - row.before.busy) / max(row.after.total - row.before.total, 1e-9)
    # The machine's busy CPU seconds that were none of this test's: other people's work on a shared machine.
    ours = cpu + clients + row.reporter_cpu + (row.after.postgres - row.before.postgres)
    others = max(row.after.busy - row.before.busy - ours, 0.0) / max(wall, 1e-9)
    writes = row.writes
    cells = (str(servers), client, str(row.sessions), str(row.reporters), f"{len(seconds):,}",
             load.milliseconds(statistics.median(seconds)), load.milliseconds(percentile(seconds, 0.95)),
             f"{len(seconds) / max(wall, 1e-9):.2f}", f"{cpu / max(len(seconds), 1) * 1000:,.0f}", shares,
             f"{cpu / max(wall, 1e-9):.2f}", f"{clients / max(len(seconds), 1) * 1000:,.0f}", f"{len(writes):,}",
             load.milliseconds(statistics.median(writes) if writes else None),
             load.milliseconds(percentile(writes, 0.95) if writes else None), f"{row.refused:,}",
             "0" if not row.lost else "有 / yes", f"{busy:.0%}", f"{others:.2f}")
    return load.table_line(cells, COLUMNS)


CLIENTS = ("protocol", "browser")


async def measure(folder: Path, url: str, arguments: argparse.Namespace) -> tuple[list[str], list[str]]:
    secret = secrets.token_urlsafe(32)  # the deployment's own, the same on every server
    ledger = load.Ledger()
    lines: list[str] = []
    problems: list[str] = []
    rates: dict[tuple[str, int, int], list[float]] = defaultdict(list)  # (client, sessions, servers) → changes/s
    driver = browser = None
    if "browser" in arguments.client:
        from playwright.async_api import async_playwright

        driver = await async_playwright().start()
    try:
        if driver is not None:
            browser = await driver.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        number = 0
        for round_number in range(arguments.rounds):
            if arguments.rounds > 1:
                lines.append(f"  第 {round_number + 1} 輪 / round {round_number + 1}")
            for count in arguments.servers:
                servers = start_servers(count, url, secret)
                proxy = None
                try:
                    proxy = Nginx(folder / f"nginx-{round_number}-{count}", [server.port for server in servers])
                    if not proxy.health():
                        raise SystemExit("/_stcore/health does not answer through nginx")
                    for client in arguments.client:
                        for sessions in arguments.sessions:
                            sessions_of = (load.ProtocolSessions() if client == "protocol"
                                           else load.BrowserSessions(browser))
                            try:
                                row = await load.measure_row(
                                    sessions_of, servers[0], url, ledger, sessions=sessions,
                                    reporters=arguments.reporters, changes=arguments.changes,
                                    interval=arguments.interval, row_number=number,
                                    base=f"http://127.0.0.1:{proxy.port}",
                                    server_pids=[server.process.pid for server in servers] + [proxy.process.pid])
                            except Exception as error:  # a row that cannot finish is reported; the others stand
                                problems.append(f"  ✗ {count} 台 {client} N={sessions} 未完成 / did not finish: "
                                                f"{load.first_line(error)}")
                            else:
                                lines.append(row_line(count, client, row))
                                rates[(client, sessions, count)].append(len(row.changes) / max(
                                    row.after.wall - row.before.wall, 1e-9))
                                problems += [line for line in load.outcome_lines([row]) if "✓" not in line]
                            number += 1
                            print(f"  … round {round_number + 1} servers={count} {client} N={sessions} finished",
                                  file=sys.stderr, flush=True)
                finally:
                    if proxy is not None:
                        proxy.stop()
                    for server in servers:
                        server.stop()
        if browser is not None:
            await browser.close()
    finally:
        if driver is not None:
            await driver.stop()
    lines += scaling_lines(rates, arguments)
    final = ledger.check(url)
    sent = ledger.batches - 1
    problems.append(f"  ✗ 最後清點 / final count: {final}" if final else
                    f"  ✓ 無遺失 / nothing lost：{sent:,} 次上傳全部在資料庫中，每個填報項目都是最後送出的數值 / every "
                    "confirmed upload is a batch, every pair holds the last value sent")
    return lines, problems


def scaling_lines(rates: dict[tuple[str, int, int], list[float]], arguments: argparse.Namespace) -> list[str]:
    """Month changes per second of the most servers against the fewest, round by round (a busy moment of the
    machine falls on both counts of a round alike) and their median."""
    fewest, most = min(arguments.servers), max(arguments.servers)
    if fewest == most:
        return []
    lines = [f"  {most} 台 ÷ {fewest} 台 每秒換月份（各輪；中位數）/ changes per second, {most} servers ÷ {fewest} "
             "(each round; median):"]
    for client in arguments.client:
        for sessions in arguments.sessions:
            ratios = [many / few for few, many in zip(rates[(client, sessions, fewest)], rates[(client, sessions, most)])]
            if ratios:
                lines.append(f"    {client} N={sessions}: " + "、".join(f"{ratio:.2f}×" for ratio in ratios)
                             + f"；{statistics.median(ratios):.2f}×")
    return lines


def clients(text: str) -> list[str]:
    chosen = [part.strip() for part in text.split(",") if part.strip()]
    if not chosen or any(part not in CLIENTS for part in chosen):
        raise argparse.ArgumentTypeError(f"{text!r}: protocol and/or browser")
    return chosen


def numbers(text: str) -> list[int]:
    return [int(part) for part in text.split(",") if part.strip()]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sessions", type=numbers, default=[1, 8, 16, 32], help="browser sessions, e.g. 1,8,16,32")
    parser.add_argument("--servers", type=numbers, default=[1, 2], help="app servers behind nginx, e.g. 1,2")
    parser.add_argument("--reporters", type=int, default=2, help="concurrent reporters (default 2)")
    parser.add_argument("--changes", type=int, default=4, help="month changes per session (default 4)")
    parser.add_argument("--interval", type=float, default=1.0, help="seconds between a reporter's uploads (1.0)")
    parser.add_argument("--client", type=clients, default=["protocol"],
                        help="protocol (benchmarks/st_client.py, default), browser (Chromium) or protocol,browser")
    parser.add_argument("--rounds", type=int, default=1,
                        help="rounds of every server count in turn, so that a busy moment hits both (default 1)")
    parser.add_argument("--quick", action="store_true",
                        help="1 session, 1 and 2 servers, 2 changes, 1 reporter, both clients")
    arguments = parser.parse_args()
    if arguments.quick:
        arguments.sessions, arguments.servers, arguments.changes, arguments.reporters = [1], [1, 2], 2, 1
        arguments.client = list(CLIENTS)
    needed = [(NGINX, "nginx")] + ([(CHROMIUM, "Chromium")] if "browser" in arguments.client else [])
    for program, what in needed:
        if not Path(program).exists():
            raise SystemExit(f"找不到 {what}（{program}）/ no {what} at {program}")
    if (reason := load.postgres_reachable()) is not None:
        raise SystemExit(f"PostgreSQL 無法連線 / PostgreSQL not reachable: {reason}")
    started_load = " ".join(Path("/proc/loadavg").read_text().split()[:3])
    print(f"部署量測 / deployment test — nginx → streamlit ×{'/'.join(map(str, arguments.servers))} → PostgreSQL；"
          f"每位工作階段換月份 {arguments.changes} 次，{arguments.reporters} 位填報者每 {arguments.interval:g} 秒上傳一次；"
          f"{os.cpu_count()} CPU，負載平均 / load average {started_load}")
    with tempfile.TemporaryDirectory(prefix="bench_deploy_") as folder:
        with load.prepared_store("postgresql", Path(folder)) as url:
            seed(url)
            lines, problems = asyncio.run(measure(Path(folder), url, arguments))
    print("  換月份（毫秒）：瀏覽器自點選月份至新標題出現且腳本閒置，協定用戶端自送出重跑至 script_finished 且新標題在內；"
          "次/秒＝換月份期間每秒完成的換月份；CPU/次＝所有 app 伺服器與 nginx 的 CPU÷換月份次數；佔核心＝伺服器每秒用掉的 CPU 秒（一台的 Python 至多約一個核心）；用戶端/次＝瀏覽器（或本程式的協定用戶端）"
          "的 CPU÷換月份次數 / month change: browser click → new heading, script idle; protocol: rerun sent → "
          "script_finished with the new heading; changes/s over the phase; server CPU = all app servers and nginx ÷ "
          "changes; cores = the servers' CPU seconds per second of the phase (one server's Python uses at most about one); "
          "client CPU = Chromium (or this process's protocol clients) ÷ changes; others' cores = the machine's busy CPU "
          "seconds per second that were not the servers', the clients', the reporters' or PostgreSQL's")
    print(load.table_line([title for title, _ in COLUMNS], COLUMNS))
    print(load.table_line(ENGLISH, COLUMNS))
    print("  " + "─" * (sum(width for _, width in COLUMNS) + len(COLUMNS) - 1))
    for line in lines:
        print(line)
    for line in problems:
        print(line)
    print(f"  負載平均 / load average at the end: {' '.join(Path('/proc/loadavg').read_text().split()[:3])}")


if __name__ == "__main__":
    main()
