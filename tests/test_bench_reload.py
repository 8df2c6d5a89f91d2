"""The reload benchmark stays runnable at its smallest size: it prints both reloads and that their frames were the
same after every upload, and the open pages' reruns after an upload against the same reruns with nothing changed
(nothing timed is asserted)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

BENCHMARK = Path(__file__).resolve().parents[1] / "benchmarks" / "bench_reload.py"


def test_the_smallest_reload_benchmark_prints_both_reloads_and_equal_frames() -> None:
    completed = subprocess.run([sys.executable, str(BENCHMARK), "--uploads", "2", "--units", "2", "--years", "1"],
                               capture_output=True, text=True, timeout=600)  # a net for a hang, not a speed check
    assert completed.returncode == 0, completed.stdout + completed.stderr
    lines = completed.stdout.splitlines()
    assert "2 units × 1 years (624 values)" in lines[0]
    assert [line.split("CPU")[0].strip() for line in lines[2:4]] == ["whole frame read again", "new batch's values only"]
    assert lines[4].endswith("frames identical after 2 of 2 uploads")
    assert "Open pages after an upload" in lines[5]
    assert [line.split("CPU")[0].strip() for line in lines[7:9]] == ["after another unit's upload",
                                                                     "nothing changed (floor)"]
    assert "ratio (after an upload ÷ floor)" in lines[9]
