"""How fast raw exports become monthly figures, next to the bare readers underneath.

    python benchmarks/bench_exports.py [--rows 500000] [--csv-rows 1000000] [--small] [--full]

Generates a synthetic 公文清單 (document log) as .xlsx (inline strings, as xlsxwriter's constant-memory mode and
many export programs write it) and as CP950 .csv in a temporary folder,
then measures, each in its own subprocess so that peak memory does not mix:

- xlsx: our read_export (read + aggregate) against fastexcel reading the same sheet (the fastest
  bare read here), python-calamine, openpyxl (only with --full: it takes minutes) and unzipping
  alone; the ratio ours ÷ fastexcel (target ≤ 1.5×).
- csv: our read_export against bare pandas.read_csv of the same file (target ≤ 1.5×).
- both: the whole `python -m metrics evaluate FILE --year 112 --unit 政風處` process against a process that only
  imports the bare reader and reads the file (target ≤ 1.3×), wall and CPU seconds.

Prints figures only; asserts nothing. --small runs in a few seconds (used by the tests).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from itertools import chain
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
for folder in (ROOT, ROOT / "tests"):  # tests/: the synthetic exports
    if str(folder) not in sys.path:
        sys.path.insert(0, str(folder))

TARGET_RATIO = 1.5
PROCESS_TARGET_RATIO = 1.3


def _peak_kilobytes() -> int:
    """This process's peak resident memory. Linux keeps ru_maxrss across exec (a child would report its
    parent's peak), so the kernel's own high-water mark of this address space is read instead."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    import resource

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak // 1024 if sys.platform == "darwin" else peak  # macOS reports bytes, Linux kilobytes


def _measure(kind: str, path: str) -> dict[str, float]:
    """Runs one reader on one file in this (fresh) process: seconds and peak memory."""
    import io
    import warnings
    import zipfile

    # Each library is imported before the baseline and the clock: the work is what is measured.
    import pandas as pd

    if kind == "ours":
        import defusedxml.ElementTree  # noqa: F401  (what read_export imports on first use)
        import fastexcel  # noqa: F401
        import pyarrow.csv  # noqa: F401

        from metrics.plans.catalogue import load_catalogue
        from metrics.intake.exports import read_export

        plan = load_catalogue().plan(112, "政風處")
    elif kind == "fastexcel":
        import fastexcel
    elif kind == "calamine":
        import python_calamine
    elif kind == "openpyxl":
        import openpyxl
    data = Path(path).read_bytes()
    name = Path(path).name
    baseline = _peak_kilobytes()
    started = time.perf_counter()
    rows = 0
    if kind == "ours":
        result = read_export(data, name, plan)
        rows = result.rows_read
    elif kind == "fastexcel":
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            frame = fastexcel.read_excel(data).load_sheet(0, header_row=2).to_pandas()
        rows = len(frame)
    elif kind == "calamine":
        workbook = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
        rows = len(workbook.get_sheet_by_index(0).to_python())
    elif kind == "openpyxl":
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True)
        rows = sum(1 for _ in workbook.worksheets[0].iter_rows(values_only=True))
    elif kind == "unzip":
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            rows = sum(len(archive.read(member)) for member in archive.namelist())
    elif kind == "pandas":
        frame = pd.read_csv(io.BytesIO(data), encoding="cp950", dtype=str, skiprows=2)
        rows = len(frame)
    else:
        raise SystemExit(f"unknown measurement {kind}")
    seconds = time.perf_counter() - started
    return {"seconds": seconds, "peak_kb": _peak_kilobytes(), "baseline_kb": baseline, "rows": rows}


def _once(kind: str, path: str) -> dict[str, float]:
    output = subprocess.run([sys.executable, __file__, "--measure", kind, path], check=True,
                            capture_output=True, text=True, env={**os.environ, "PYTHONWARNINGS": "ignore"})
    return json.loads(output.stdout.strip().splitlines()[-1])


def _run(kinds: list[str], path: str, repeat: int) -> dict[str, dict[str, float]]:
    """The best of `repeat` runs of each reader, each run in a new interpreter; the readers take
    turns, so that a busy machine slows them alike."""
    best: dict[str, dict[str, float]] = {}
    for _ in range(repeat):
        for kind in kinds:
            measured = _once(kind, path)
            if kind not in best or measured["seconds"] < best[kind]["seconds"]:
                best[kind] = measured
    return best


def _generate(folder: Path, rows: int, csv_rows: int) -> tuple[Path, Path, float, float]:
    from synthetic_exports import (
        DOCUMENT_LOG_HEADER,
        DOCUMENT_LOG_TITLES,
        document_log_rows,
        write_large_csv,
        write_large_xlsx,
    )

    workbook = folder / "公文清單.xlsx"
    text = folder / "公文清單.csv"
    started = time.perf_counter()
    write_large_xlsx(str(workbook), chain(DOCUMENT_LOG_TITLES, [DOCUMENT_LOG_HEADER], document_log_rows(rows)),
                     inline_strings=True)
    xlsx_seconds = time.perf_counter() - started
    started = time.perf_counter()
    write_large_csv(str(text), chain(DOCUMENT_LOG_TITLES, [DOCUMENT_LOG_HEADER], document_log_rows(csv_rows)))
    csv_seconds = time.perf_counter() - started
    return workbook, text, xlsx_seconds, csv_seconds


BARE_PROCESS = {
    "xlsx": """
import sys, warnings
import fastexcel
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    frame = fastexcel.read_excel(open(sys.argv[1], "rb").read()).load_sheet(0, header_row=2).to_pandas()
print(len(frame))
""",
    "csv": """
import sys
import pandas as pd
frame = pd.read_csv(sys.argv[1], encoding="cp950", dtype=str, skiprows=2)
print(len(frame))
""",
}


def _whole_processes(path: str, kind: str, repeat: int, cache: Path) -> dict[str, tuple[float, float]]:
    """(wall, CPU) seconds of `python -m metrics evaluate FILE --year 112 --unit 政風處` (start, imports, safety
    checks, read, aggregate, evaluate, print) against a process that only imports its reader and reads the file
    (fastexcel for .xlsx, pandas.read_csv for the CP950 .csv): what a user waits for. Both run once unmeasured
    first, with their bytecode cached in `cache` as an installed copy has it (this machine may set
    PYTHONDONTWRITEBYTECODE, which would compile this project's modules in every run)."""
    import resource

    commands = {
        "evaluate": [sys.executable, "-m", "metrics", "evaluate", path, "--year", "112", "--unit", "政風處"],
        "bare": [sys.executable, "-c", BARE_PROCESS[kind], path],
    }
    best = {name: (float("inf"), float("inf")) for name in commands}
    environment = {key: value for key, value in os.environ.items()
                   if key not in {"KPI_DB_URL", "PYTHONDONTWRITEBYTECODE"}}
    environment["KPI_DB_URL"] = "sqlite:////nonexistent/kpi.sqlite3"  # no store: the files alone
    environment["PYTHONPYCACHEPREFIX"] = str(cache)
    for run in range(repeat + 1):
        for name, command in commands.items():
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            started = time.perf_counter()
            subprocess.run(command, check=True, capture_output=True, cwd=ROOT, env=environment)
            wall = time.perf_counter() - started
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
            if run:  # the first run fills the bytecode cache
                best[name] = (min(best[name][0], wall), min(best[name][1], cpu))
    return best


def _whole_line(kind: str, best: dict[str, tuple[float, float]]) -> str:
    (wall, cpu), (bare_wall, bare_cpu) = best["evaluate"], best["bare"]
    reader = "fastexcel" if kind == "xlsx" else "pandas.read_csv"
    ratio = wall / bare_wall
    return (f"  whole process: python -m metrics evaluate {wall:.2f} s (CPU {cpu:.2f} s), a process that imports {reader} "
            f"and reads the file {bare_wall:.2f} s (CPU {bare_cpu:.2f} s): {ratio:.2f}× wall, {cpu / bare_cpu:.2f}× CPU "
            f"(target ≤ {PROCESS_TARGET_RATIO}×, {'ok' if ratio <= PROCESS_TARGET_RATIO else 'ABOVE TARGET'}); "
            f"load average {' '.join(Path('/proc/loadavg').read_text().split()[:3])}")


def _line(label: str, measured: dict[str, float], reference: dict[str, float] | None = None) -> str:
    memory = measured["peak_kb"] / 1024
    extra = (measured["peak_kb"] - measured["baseline_kb"]) / 1024
    text = f"  {label:<34} {measured['seconds']:>8.2f} s   peak {memory:>8.1f} MB (+{extra:,.1f} MB for the work)"
    if reference is not None:
        ratio = measured["seconds"] / reference["seconds"]
        verdict = "ok" if ratio <= TARGET_RATIO else "ABOVE TARGET"
        text += f"   ratio {ratio:.2f}× (target ≤ {TARGET_RATIO}×, {verdict})"
    return text


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=500_000, help="rows of the .xlsx document log")
    parser.add_argument("--csv-rows", type=int, default=1_000_000, help="rows of the CP950 .csv document log")
    parser.add_argument("--small", action="store_true", help="20,000 / 40,000 rows: a few seconds")
    parser.add_argument("--full", action="store_true", help="also openpyxl (slow)")
    parser.add_argument("--repeat", type=int, default=None, help="runs per measurement, best kept")
    parser.add_argument("--measure", nargs=2, metavar=("KIND", "PATH"), help=argparse.SUPPRESS)
    arguments = parser.parse_args()
    if arguments.measure:
        print(json.dumps(_measure(*arguments.measure)))
        return
    rows, csv_rows = (20_000, 40_000) if arguments.small else (arguments.rows, arguments.csv_rows)
    repeat = arguments.repeat or (1 if arguments.small else 2)
    with tempfile.TemporaryDirectory(prefix="bench_exports_") as folder:
        workbook, text, xlsx_seconds, csv_seconds = _generate(Path(folder), rows, csv_rows)
        print(f"Document log, synthetic: {rows:,} rows .xlsx ({workbook.stat().st_size / 1024 / 1024:,.1f} MB, "
              f"written in {xlsx_seconds:.1f} s); {csv_rows:,} rows CP950 .csv "
              f"({text.stat().st_size / 1024 / 1024:,.1f} MB, written in {csv_seconds:.1f} s)")
        print(f"Each figure: best of {repeat} run(s), each in a fresh process; Python {sys.version.split()[0]}, "
              f"{os.cpu_count()} CPU(s)")
        print()
        print(f".xlsx, {rows:,} rows")
        kinds = ["ours", "fastexcel", "calamine", "unzip"] + (["openpyxl"] if arguments.full else [])
        measured = _run(kinds, str(workbook), repeat)
        print(_line("read_export (read + aggregate)", measured["ours"], measured["fastexcel"]))
        print(_line("fastexcel bare read (all columns)", measured["fastexcel"]))
        print(_line("python-calamine bare read", measured["calamine"]))
        if arguments.full:
            print(_line("openpyxl read-only iteration", measured["openpyxl"]))
        else:
            print("  openpyxl read-only iteration        (skipped; --full to include)")
        print(_line("unzip only", measured["unzip"]))
        cache = Path(folder) / "pycache"
        print(_whole_line("xlsx", _whole_processes(str(workbook), "xlsx", repeat, cache)))
        print()
        print(f"CP950 .csv, {csv_rows:,} rows")
        measured = _run(["ours", "pandas"], str(text), repeat)
        print(_line("read_export (read + aggregate)", measured["ours"], measured["pandas"]))
        print(_line("pandas.read_csv bare (all columns)", measured["pandas"]))
        print(_whole_line("csv", _whole_processes(str(text), "csv", repeat, cache)))


if __name__ == "__main__":
    main()
