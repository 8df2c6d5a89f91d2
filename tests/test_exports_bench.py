"""The export benchmark stays runnable: --small in a subprocess (nothing timed is asserted)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

BENCHMARK = Path(__file__).resolve().parents[1] / "benchmarks" / "bench_exports.py"


def test_small_benchmark_runs_and_prints_both_comparisons() -> None:
    completed = subprocess.run([sys.executable, str(BENCHMARK), "--small"], capture_output=True, text=True,
                               timeout=600)
    assert completed.returncode == 0, completed.stderr
    output = completed.stdout
    assert ".xlsx, 20,000 rows" in output and "CP950 .csv, 40,000 rows" in output
    assert len(re.findall(r"ratio \d+\.\d+×", output)) == 2
    for label in ("fastexcel bare read", "python-calamine bare read", "unzip only", "pandas.read_csv bare"):
        assert label in output
    # the whole `python -m metrics evaluate` process against a bare read in its own process: .xlsx, then .csv
    whole = re.findall(r"whole process: python -m metrics evaluate \d+\.\d+ s \(CPU \d+\.\d+ s\), a process that "
                       r"imports (fastexcel|pandas\.read_csv) .*: \d+\.\d+× wall, \d+\.\d+× CPU", output)
    assert whole == ["fastexcel", "pandas.read_csv"], output
