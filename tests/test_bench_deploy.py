"""The deployment benchmark stays runnable: --quick in a subprocess (nginx in front of one, then two streamlit
servers on one PostgreSQL; one session changing the overview's month twice through the proxy while a reporter
uploads, once with the protocol client and once with Chromium) prints a row per server count and client and finds
every upload in the store.

It needs nginx, PostgreSQL (conftest's postgres_server_url: KPI_TEST_POSTGRES_URL or the default) and Chromium:
without one of them it is skipped, except where the browser and
PostgreSQL suites are required (CI, KPI_REQUIRE_BROWSER=1 or KPI_REQUIRE_POSTGRES=1), where it fails. Nothing timed
is asserted.
"""

from __future__ import annotations

import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

BENCHMARK = Path(__file__).resolve().parents[1] / "benchmarks" / "bench_deploy.py"
NGINX = Path(os.environ.get("KPI_NGINX") or "/usr/sbin/nginx")
CHROMIUM = Path(os.environ.get("KPI_CHROMIUM") or "/usr/bin/chromium")


def required() -> bool:
    return bool(os.environ.get("CI")) or "1" in (os.environ.get("KPI_REQUIRE_BROWSER"),
                                                  os.environ.get("KPI_REQUIRE_POSTGRES"))


@pytest.mark.browser
def test_quick_deployment_benchmark_goes_through_nginx_and_loses_nothing(postgres_server_url: str) -> None:
    missing = [str(path) for path in (NGINX, CHROMIUM) if not path.is_file()]
    if importlib.util.find_spec("playwright") is None:
        missing.append("the playwright package")
    if missing:
        if required():
            pytest.fail(f"missing: {', '.join(missing)} (the deployment benchmark must run here)", pytrace=False)
        pytest.skip(f"missing: {', '.join(missing)}")
    completed = subprocess.run([sys.executable, str(BENCHMARK), "--quick"], capture_output=True, text=True,
                               env={**os.environ, "KPI_TEST_POSTGRES_URL": postgres_server_url},
                               timeout=600)  # a safety net for a hang, not a speed check
    assert completed.returncode == 0, completed.stdout + completed.stderr
    output = completed.stdout
    rows = [line.split() for line in output.splitlines() if re.match(r"\s+[12]\s+(protocol|browser)\s+1\s+1\s+2\s", line)]
    # one server, then two, behind the same proxy; each with the protocol client and with Chromium
    assert [row[:2] for row in rows] == [["1", "protocol"], ["1", "browser"], ["2", "protocol"], ["2", "browser"]], output
    for row in rows:
        assert all(re.fullmatch(r"[\d,]+", cell) for cell in row[5:7]), row  # p50, p95 in ms
        assert re.fullmatch(r"\d+\.\d\d", row[7]), row  # month changes per second
        assert len(row[9].split("/")) == int(row[0]) + 1, row  # CPU of each server and of nginx
        assert re.fullmatch(r"\d+\.\d\d", row[10]), row  # cores the servers used
        assert re.fullmatch(r"[\d,]+", row[11]), row  # the clients' CPU per change
        assert int(row[12]) > 0, row  # the reporter wrote while the session changed months
        assert row[16] == "0", row  # nothing lost
    for client in ("protocol", "browser"):  # two servers' month changes per second against one's, printed
        assert re.search(rf"^\s+{client} N=1: \d+\.\d\d×；\d+\.\d\d×$", output, re.MULTILINE), output
    assert "✓ 無遺失 / nothing lost" in output
    assert "✗" not in output
