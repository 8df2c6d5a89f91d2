"""Crafted files against the readers: time and peak memory of each refusal, memory per accepted MB, and the
long-table read against a bare pandas.read_csv of the same file.

    python benchmarks/bench_hostile.py [--small]

Each file is read in its own fresh process through metrics.intake.sources.read_any (what the page and the command
line call), its peak resident memory taken from the kernel (VmHWM). The corpus is tests/hostile_corpus.py.
Targets (issue 13): every refusal within a second and under 200 MB; an accepted file's peak at most
8 × its size on disk plus a fixed base (the interpreter with its libraries, and the 2-million-cell grid any
file may make the template reader allocate); the long table ≤ 1.5 × pandas.read_csv plus validation.
Prints figures only; asserts nothing. --small runs in seconds (used by the tests).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
for folder in (ROOT, ROOT / "tests"):
    if str(folder) not in sys.path:
        sys.path.insert(0, str(folder))

REFUSAL_SECONDS = 1.0
REFUSAL_MEGABYTES = 200
MEMORY_PER_MEGABYTE = 8
FIXED_MEGABYTES = 64  # what any accepted file may use beyond the interpreter, however small (a tiny template: ~10 MB)
LONG_TABLE_RATIO = 1.5


def _peak_kilobytes() -> int:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return 0


def _measure(kind: str, path: str) -> dict[str, object]:
    """One read of one file in this fresh process."""
    import pandas as pd

    from catalogues import CATALOGUE
    from metrics.errors import InputError
    from metrics.intake.sources import read_any
    import metrics.intake.exports  # noqa: F401  # every library imported before the baseline and the clock
    import python_calamine  # noqa: F401
    import fastexcel  # noqa: F401
    import pyarrow.csv  # noqa: F401

    data = Path(path).read_bytes()
    baseline = _peak_kilobytes()
    started = time.perf_counter()
    outcome = ""
    if kind == "ours":
        try:
            read = read_any(data, Path(path).name, CATALOGUE, year=112, unit="政風處")
            outcome = f"accepted, {len(read.frame):,} monthly figures"
        except InputError as error:
            outcome = "refused: " + str(error).splitlines()[0][:110]
    elif kind == "pandas":  # the bare read the long-table reader is compared with
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
        outcome = f"{len(frame):,} rows"
    else:
        raise SystemExit(f"unknown measurement {kind}")
    seconds = time.perf_counter() - started
    return {"seconds": seconds, "peak_kb": _peak_kilobytes(), "baseline_kb": baseline, "outcome": outcome}


def _once(kind: str, path: str) -> dict[str, object]:
    completed = subprocess.run([sys.executable, __file__, "--measure", kind, path], check=True, capture_output=True,
                               text=True, cwd=ROOT, env={**os.environ, "PYTHONWARNINGS": "ignore"})
    return json.loads(completed.stdout.strip().splitlines()[-1])


def _megabytes(kilobytes: float) -> str:
    return f"{kilobytes / 1024:,.1f} MB"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--small", action="store_true", help="a smaller long table and export: seconds")
    parser.add_argument("--measure", nargs=2, metavar=("KIND", "PATH"), help=argparse.SUPPRESS)
    arguments = parser.parse_args()
    if arguments.measure:
        print(json.dumps(_measure(*arguments.measure)))
        return

    import hostile_corpus as corpus
    from catalogues import PLAN_112
    from decimal import Decimal
    from itertools import chain

    from synthetic_exports import DOCUMENT_LOG_HEADER, DOCUMENT_LOG_TITLES, document_log_rows, write_large_csv, \
        write_large_xlsx
    from metrics.outputs.template import build_template

    long_values = 20_000 if arguments.small else 499_000
    export_rows = 20_000 if arguments.small else 500_000
    with tempfile.TemporaryDirectory(prefix="bench_hostile_") as folder_name:
        folder = Path(folder_name)
        print(f"Python {sys.version.split()[0]}, {os.cpu_count()} CPU(s); each line a fresh process")
        print()
        print(f"Refused (target: within {REFUSAL_SECONDS:.0f} s and a peak under {REFUSAL_MEGABYTES} MB)")
        for name, (make, filename, _phrase) in corpus.REFUSED.items():
            path = folder / filename
            path.write_bytes(make())
            measured = _once("ours", str(path))
            ok = measured["seconds"] <= REFUSAL_SECONDS and measured["peak_kb"] / 1024 <= REFUSAL_MEGABYTES
            print(f"  {name:<24} {path.stat().st_size / 1024:>9,.0f} KB {measured['seconds']:>6.2f} s  "
                  f"peak {_megabytes(measured['peak_kb']):>9}  {'ok' if ok else 'ABOVE TARGET'}  {measured['outcome']}")
            path.unlink()
        print()
        print(f"Accepted (target: peak ≤ the interpreter's base + {MEMORY_PER_MEGABYTE} × size + {FIXED_MEGABYTES} MB)")
        accepted = {
            "月報範本 .xlsx": ("月報.xlsx", build_template(PLAN_112, values={(PLAN_112.fields[0].code, 1): Decimal(3)})),
            f"長表 .csv（{long_values:,} 列）": ("長表.csv", corpus.long_table_csv(long_values)),
        }
        for label, (filename, data) in accepted.items():
            (folder / filename).write_bytes(data)
        write_large_xlsx(str(folder / "公文清單.xlsx"),
                         chain(DOCUMENT_LOG_TITLES, [DOCUMENT_LOG_HEADER], document_log_rows(export_rows)))
        write_large_csv(str(folder / "公文清單.csv"),
                        chain(DOCUMENT_LOG_TITLES, [DOCUMENT_LOG_HEADER], document_log_rows(export_rows)))
        accepted[f"公文清單 .xlsx（{export_rows:,} 列）"] = ("公文清單.xlsx", b"")
        accepted[f"公文清單 CP950 .csv（{export_rows:,} 列）"] = ("公文清單.csv", b"")
        results = {}
        for label, (filename, _data) in accepted.items():
            path = folder / filename
            measured = _once("ours", str(path))
            results[label] = measured
            size = path.stat().st_size / 1024 / 1024
            work = (measured["peak_kb"] - measured["baseline_kb"]) / 1024
            per_megabyte = work / size
            allowed = MEMORY_PER_MEGABYTE * size + FIXED_MEGABYTES
            print(f"  {label:<30} {size:>7.2f} MB {measured['seconds']:>6.2f} s  peak {_megabytes(measured['peak_kb'])}"
                  f" (base {_megabytes(measured['baseline_kb'])}, +{work:,.1f} MB = {per_megabyte:,.1f} MB per MB; "
                  f"allowed +{allowed:,.0f} MB: {'ok' if work <= allowed else 'ABOVE TARGET'})  {measured['outcome']}")
        print()
        long_label = next(label for label in accepted if label.startswith("長表"))
        ours = results[long_label]
        bare = _once("pandas", str(folder / "長表.csv"))
        ratio = ours["seconds"] / bare["seconds"]
        print(f"Long table: read_any {ours['seconds']:.2f} s against pandas.read_csv {bare['seconds']:.2f} s "
              f"(peak {_megabytes(bare['peak_kb'])}): {ratio:.2f}× (target ≤ {LONG_TABLE_RATIO}× plus validation, "
              f"{'ok' if ratio <= LONG_TABLE_RATIO else 'ABOVE TARGET'})")


if __name__ == "__main__":
    main()
