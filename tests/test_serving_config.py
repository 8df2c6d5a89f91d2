"""What keeps serving cheap and must not come back unnoticed: no full garbage collection after every rerun, and a
command line whose help and whose file-only `evaluate` import only what they need."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

IMPORTED = """
import json, sys
from metrics.cli import main
try:
    main(sys.argv[1:])
except SystemExit:
    pass
print(json.dumps(sorted(name for name in ("pandas", "numpy", "sqlalchemy", "openpyxl", "plotly", "streamlit")
                        if name in sys.modules)), file=sys.stderr)
"""


def test_streamlit_does_not_collect_all_garbage_after_every_rerun():
    # gc.collect(2) after each script run walked every object of the shared caches: most of a rerun's CPU
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8"))
    assert config["runner"]["postScriptGC"] is False


@pytest.mark.parametrize(("arguments", "heavy"), [
    (["--help"], []),  # the help: the parser only
    (["plans", "--help"], []),
    (["evaluate", "sample_data/112-full-year.csv", "--year", "112", "--unit", "政風處"], ["numpy", "pandas"]),  # no store
])
def test_a_command_imports_what_it_needs(arguments, heavy, tmp_path):
    environment = {"PATH": "/usr/bin:/bin", "KPI_DB_URL": f"sqlite:///{tmp_path / 'none.sqlite3'}",
                   "PYTHONPATH": str(ROOT), "KPI_PLANS_DIR": os.environ["KPI_PLANS_DIR"]}  # conftest's plans
    completed = subprocess.run([sys.executable, "-c", IMPORTED, *arguments], capture_output=True, text=True, cwd=ROOT,
                               env=environment, timeout=120)
    assert json.loads(completed.stderr.strip().splitlines()[-1]) == heavy, completed.stdout + completed.stderr
