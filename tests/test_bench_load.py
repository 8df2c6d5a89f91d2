"""The load benchmark stays runnable: --quick in a subprocess (1 and 2 browser sessions changing the overview's
month while 2 reporters upload, on SQLite) prints both tables and finds every upload in the store.

It drives Chromium (marker `browser`): without Chromium or playwright it is skipped, except where the browser
suites are required (CI or KPI_REQUIRE_BROWSER=1), where it fails. Nothing timed is asserted.
"""

from __future__ import annotations

import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

BENCHMARK = Path(__file__).resolve().parents[1] / "benchmarks" / "bench_load.py"
CHROMIUM = Path(os.environ.get("KPI_CHROMIUM") or "/usr/bin/chromium")


def browser_required() -> bool:
    return bool(os.environ.get("CI")) or os.environ.get("KPI_REQUIRE_BROWSER") == "1"


def rows_after(output: str, english_header: str) -> list[list[str]]:
    """The data rows of the table whose English header line starts with `english_header`."""
    lines = output.splitlines()
    start = next(index for index, line in enumerate(lines) if line.strip().startswith(english_header))
    rows = []
    for line in lines[start + 2:]:  # past the header and the rule
        cells = line.split()
        if not cells or not cells[0].isdigit():
            break
        rows.append(cells)
    return rows


@pytest.mark.browser
def test_quick_load_benchmark_prints_both_tables_and_loses_nothing() -> None:
    if not CHROMIUM.is_file() or importlib.util.find_spec("playwright") is None:
        reason = f"Chromium ({CHROMIUM}) or the playwright package is missing"
        if browser_required():
            pytest.fail(f"{reason} (CI or KPI_REQUIRE_BROWSER=1: the browser tests must run)", pytrace=False)
        pytest.skip(reason)
    completed = subprocess.run([sys.executable, str(BENCHMARK), "--quick"], capture_output=True, text=True,
                               timeout=600)
    assert completed.returncode == 0, completed.stdout + completed.stderr
    output = completed.stdout

    assert "\nSQLite\n" in output and "\nPostgreSQL\n" not in output  # --quick: one store
    timings = rows_after(output, "sessions reporters       open")
    assert [(row[0], row[1], row[3]) for row in timings] == [("1", "2", "2"), ("2", "2", "4")]  # N, M, changes
    for row in timings:
        assert all(re.fullmatch(r"[\d,]+", cell) for cell in row[4:7]), row  # p50, p95, max in ms
        assert re.fullmatch(r"\d+\.\d\d×", row[7]), row
        assert int(row[10].replace(",", "")) > 0, row  # the reporters wrote while the sessions changed months
        assert row[-1] == "0", row  # nothing lost in this row
    assert timings[0][7] == "1.00×"

    cpu = rows_after(output, "sessions reporters    wall s")
    assert [(row[0], row[1]) for row in cpu] == [("1", "2"), ("2", "2")]
    for row in cpu:
        assert re.fullmatch(r"\d+%", row[-1]), row  # the machine's busy share

    assert "✓ 無遺失 / nothing lost" in output
    assert "✗" not in output
