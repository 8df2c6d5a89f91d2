"""What an app server spends reading the figures again after an upload, at county scale (30 units × 4 years × 26
fields × 12 months stored): the whole frame read again (what every new data version cost before) against the
frame held from the version before brought up to date with the new batch's values only (ui.data.FrameHolder).

    python benchmarks/bench_reload.py [--uploads 10] [--units 30] [--years 4] [--postgres URL] [--no-sessions]

Each upload is one unit-month (26 values, some changed), written by another Store object as another app server or
the command line would; after each, both reloads run in turn (CPU of this process by time.process_time, and wall
time), and the two frames are compared (printed, not asserted). --postgres: the same figures copied into a fresh
schema on that server (dropped at the end); the database server's own CPU is not in the CPU column there.
Then the pages open on one server: a fifth of the units' overviews and the county page rerun after each of
further uploads by other units, against the same reruns with nothing changed (--no-sessions: not this part).
Prints figures only; asserts nothing.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks.bench_dashboard import county_catalogue, county_store  # noqa: E402


def timed(action):
    cpu, wall = time.process_time(), time.perf_counter()
    result = action()
    return result, time.process_time() - cpu, time.perf_counter() - wall


def postgres_copy(sqlite_url: str, server_url: str) -> tuple[str, callable]:
    import sqlalchemy as sa

    from metrics.store import Store

    schema = f"kpi_bench_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(server_url, poolclass=sa.pool.NullPool)
    with admin.begin() as connection:
        connection.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    url = sa.engine.make_url(server_url).update_query_dict({"options": f"-csearch_path={schema}"})
    url = url.render_as_string(hide_password=False)
    with Store(sqlite_url) as source, Store(url) as target:
        target.load_rows(source.table_rows())

    def drop() -> None:
        with admin.begin() as connection:
            connection.execute(sa.text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        admin.dispose()

    return url, drop


def measure(url: str, units: list[str], years: tuple[int, ...], uploads: int) -> list[str]:
    import pandas as pd

    from metrics.intake.tidy import TIDY_COLUMNS
    from metrics.store import Store
    from ui.data import DataVersion, FrameHolder

    reader, writer = Store(url), Store(url)  # the app server, and another process uploading
    holder = FrameHolder()
    version = DataVersion(url, reader.data_version())
    holder.frame(version, reader.history(), reader.current_frame)
    fields = sorted(set(reader.current_frame(year=years[0], unit=units[0])["field"]))
    full_cpu, full_wall, held_cpu, held_wall, identical, unchanged = [], [], [], [], 0, 0
    for number in range(uploads):
        year, unit, month = years[number % len(years)], units[(7 * number) % len(units)], 1 + number % 12
        rows = [(year, month, unit, field, 1000 + number + index, "upload.csv", "", f"E{index + 2}")
                for index, field in enumerate(fields)]
        data = pd.DataFrame(rows, columns=list(TIDY_COLUMNS))
        if writer.ingest(data, file_name=f"upload-{number}.csv", file_bytes=f"upload {number}".encode()).unchanged:
            unchanged += 1
        version = DataVersion(url, reader.data_version())
        history = reader.history()  # read on every new version either way (load_history)
        full, cpu, wall = timed(reader.current_frame)
        full_cpu.append(cpu)
        full_wall.append(wall)
        held, cpu, wall = timed(lambda: holder.frame(version, history, reader.current_frame))
        held_cpu.append(cpu)
        held_wall.append(wall)
        try:
            pd.testing.assert_frame_equal(held, full, check_exact=True)
            identical += 1
        except AssertionError:
            pass
    reader.close()
    writer.close()
    full_ms, held_ms = statistics.median(full_cpu) * 1000, statistics.median(held_cpu) * 1000
    return [f"  whole frame read again   CPU {full_ms:7.1f} ms  wall {statistics.median(full_wall) * 1000:7.1f} ms",
            f"  new batch's values only  CPU {held_ms:7.1f} ms  wall {statistics.median(held_wall) * 1000:7.1f} ms",
            f"  ratio (incremental ÷ whole) CPU {held_ms / full_ms:.3f}×, wall "
            f"{statistics.median(held_wall) / statistics.median(full_wall):.3f}×; "
            f"frames identical after {identical} of {uploads} uploads"
            + (f" ({unchanged} changed nothing: not measured as meant)" if unchanged else "")]


def measure_sessions(folder: Path, url: str, units: list[str], year: int, rounds: int) -> list[str]:
    """Open pages of a server after somebody else's upload: overviews of some units and the county page
    (AppTest, in this process), each rerun after an upload of another unit's month, against the same reruns
    with nothing changed (the floor, in the same run). Keys per unit (ui.data.unit_key) keep what the upload did
    not touch; the frame, the batches and the county's tables are made again for the new data version."""
    import logging
    import os

    import pandas as pd
    from streamlit.testing.v1 import AppTest

    from metrics.intake.tidy import TIDY_COLUMNS
    from metrics.store import Store

    logging.getLogger("streamlit.runtime.scriptrunner_utils.script_run_context").addFilter(
        lambda record: "missing ScriptRunContext" not in record.getMessage())
    os.environ["KPI_PLANS_DIR"], os.environ["KPI_DB_URL"] = str(folder / "plans"), url
    viewers = units[:max(1, len(units) // 5)]
    uploaders = [unit for unit in units if unit not in viewers] or units
    sessions = []
    for unit in viewers:
        app = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=120)
        app.query_params.update(year=str(year), unit=unit, month="12")
        sessions.append(app.run())
    county = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=120)
    county.query_params.update(year=str(year), unit=viewers[0], month="12")
    county.run()
    county.switch_page("pages/6_全府比較.py")
    county.query_params.update(year=str(year), unit=viewers[0], month="12")
    sessions.append(county.run())
    if any(app.exception for app in sessions):
        raise SystemExit("a page failed: " + "; ".join(str(error.value) for app in sessions for error in app.exception))
    writer = Store(url)

    def every_session() -> float:
        started = time.process_time()
        for app in sessions:
            app.run()
        return time.process_time() - started

    after, unchanged = [], []
    for number in range(rounds):
        unit = uploaders[number % len(uploaders)]
        data = pd.DataFrame([(year, 1 + number % 12, unit, "staff_headcount", 500 + number, "upload.csv", "", "E2")],
                            columns=list(TIDY_COLUMNS))
        writer.ingest(data, file_name=f"sessions-{number}.csv", file_bytes=f"sessions {number}".encode())
        after.append(every_session())
        unchanged.append(every_session())
    writer.close()
    after_ms, unchanged_ms = statistics.median(after) * 1000, statistics.median(unchanged) * 1000
    return [f"  {len(viewers)} overviews of other units and the county page, all rerun (median of {rounds} uploads):",
            f"  after another unit's upload  CPU {after_ms:7.1f} ms",
            f"  nothing changed (floor)      CPU {unchanged_ms:7.1f} ms",
            f"  ratio (after an upload ÷ floor) {after_ms / unchanged_ms:.2f}×"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--uploads", type=int, default=10)
    parser.add_argument("--units", type=int, default=30)
    parser.add_argument("--years", type=int, default=4)
    parser.add_argument("--postgres", metavar="URL", help="also on this PostgreSQL server (a fresh schema)")
    parser.add_argument("--no-sessions", action="store_true", help="no open pages rerun after the uploads (AppTest)")
    arguments = parser.parse_args()
    years = tuple(range(112, 112 + arguments.years))
    with tempfile.TemporaryDirectory() as folder:
        _, units = county_catalogue(Path(folder), arguments.units, years)
        url = county_store(Path(folder), units, years)
        values = arguments.units * arguments.years * 26 * 12
        print(f"Reload after one upload of one unit-month, {arguments.units} units × {arguments.years} years "
              f"({values:,} values), median of {arguments.uploads} uploads:")
        # Copied before either is measured: the same uploads then change the same values in both.
        postgres, drop = postgres_copy(url, arguments.postgres) if arguments.postgres else (None, lambda: None)
        try:
            print("SQLite")
            print("\n".join(measure(url, units, years, arguments.uploads)))
            if postgres:
                print("PostgreSQL")
                print("\n".join(measure(postgres, units, years, arguments.uploads)))
        finally:
            drop()
        if not arguments.no_sessions:
            print("Open pages after an upload (SQLite, AppTest in this process)")
            print("\n".join(measure_sessions(Path(folder), url, units, years[-1], arguments.uploads)))


if __name__ == "__main__":
    main()
