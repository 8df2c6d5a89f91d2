"""The store through the command line, as a user would drive it, on SQLite and on PostgreSQL.

January, then February, then a corrected January, then undo of the correction: the store, the
history and `evaluate --db` agree with a hand calculation at every step.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "sample_data"

# From sample_data/112-full-year.csv: January and February figures used below.
JANUARY = {"procurement_audits": 11, "edoc_sent_electronic": 101, "edoc_sent_total": 104}
FEBRUARY = {"procurement_audits": 11, "edoc_sent_electronic": 109, "edoc_sent_total": 112}


def run(*arguments: str, url: str) -> subprocess.CompletedProcess:
    environment = {key: value for key, value in os.environ.items() if key != "KPI_DB_URL"}
    return subprocess.run([sys.executable, "-m", "metrics", *arguments, "--db", url], cwd=ROOT, capture_output=True,
                          text=True, timeout=120, env=environment)


def indicators(url: str, *extra: str) -> dict[str, dict]:
    completed = run("evaluate", "--json", *extra, url=url)
    assert completed.returncode == 0, completed.stderr
    return {indicator["id"]: indicator for indicator in json.loads(completed.stdout)["indicators"]}


def history(url: str) -> list[dict]:
    completed = run("history", "--json", url=url)
    assert completed.returncode == 0, completed.stderr
    return json.loads(completed.stdout)


def test_january_february_correction_undo(store_url, tmp_path):
    assert run("ingest", str(SAMPLE / "112-01.xlsx"), url=store_url).returncode == 0
    january = indicators(store_url)
    assert january["2"]["actual"] == 11
    assert january["10-1"]["actual"] == 97.12  # 101 ÷ 104 × 100 = 97.115… → 97.12

    assert run("ingest", str(SAMPLE / "112-02.xlsx"), url=store_url).returncode == 0
    february = indicators(store_url)
    assert february["2"]["actual"] == 22
    assert february["10-1"]["actual"] == 97.22  # (101 + 109) ÷ (104 + 112) × 100 = 97.222… → 97.22
    assert february["10-1"]["numerator"] == 210 and february["10-1"]["denominator"] == 216

    correction = tmp_path / "112-01-更正.csv"
    correction.write_text("年度,月份,單位,項目代碼,數值\n112,1,政風處,procurement_audits,14\n", encoding="cp950")
    completed = run("ingest", str(correction), url=store_url)
    assert completed.returncode == 0, completed.stderr
    assert "修改 1 筆" in completed.stdout
    corrected = indicators(store_url)
    assert corrected["2"]["actual"] == 25  # 14 + 11
    assert indicators(store_url, "--as-of", "1")["2"]["actual"] == 14

    batches = history(store_url)
    assert [batch["file_name"] for batch in batches] == ["112-01-更正.csv", "112-02.xlsx", "112-01.xlsx"]
    completed = run("undo", str(batches[0]["id"]), url=store_url)
    assert completed.returncode == 0, completed.stderr
    restored = indicators(store_url)
    assert restored["2"]["actual"] == 22
    assert restored == february
    assert history(store_url)[0]["undone_at"] is not None

    # the same file again changes nothing and says so
    completed = run("ingest", str(SAMPLE / "112-02.xlsx"), url=store_url)
    assert completed.returncode == 0 and "完全相同" in completed.stdout
    assert len(history(store_url)) == 3


def test_a_bad_file_among_good_ones_stores_nothing(store_url, tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("年度,月份,單位,項目代碼,數值\n112,3,政風處,edoc_sent_electronic,120\n"
                   "112,3,政風處,edoc_sent_total,100\n", encoding="utf-8")
    completed = run("ingest", str(SAMPLE / "112-01.xlsx"), str(bad), url=store_url)
    assert completed.returncode == 2
    assert "bad.csv" in completed.stderr and "E2" in completed.stderr and "未儲存任何資料" in completed.stderr
    assert history(store_url) == []


@pytest.mark.parametrize(("arguments", "fragment"), [
    (("undo", "99"), "沒有第 99 批上傳紀錄"),
    (("evaluate",), "沒有任何已填報的數字"),
])
def test_store_commands_refuse_with_exit_2(store_url, arguments, fragment):
    from metrics.store import Store

    Store(store_url).close()  # an empty store that exists
    completed = run(*arguments, url=store_url)
    assert completed.returncode == 2
    assert fragment in completed.stderr and "Traceback" not in completed.stderr


@pytest.mark.parametrize(("url", "fragment"), [
    ("nonsense", "格式不正確"),
    ("mysql://user@host/db", "不支援的資料庫「mysql」"),
    ("sqlite:////no/such/folder/kpi.sqlite3", "不存在"),
])
def test_a_bad_database_address_is_the_users_to_fix(url, fragment):
    completed = run("evaluate", url=url)
    assert completed.returncode == 2
    assert fragment in completed.stderr and "Traceback" not in completed.stderr
    assert not Path("/no/such/folder").exists()  # reading never creates a database


def test_history_never_obeys_control_characters_in_a_stored_name(store_url, tmp_path):
    """A name stored before names were cleaned at intake is printed with its control characters made visible."""
    import sqlalchemy as sa

    assert run("ingest", str(SAMPLE / "112-01.xlsx"), url=store_url).returncode == 0
    forged = "x.csv\n批次 9：\x1b[31m已復原\x1b[0m"
    engine = sa.create_engine(store_url, poolclass=sa.pool.NullPool)
    with engine.begin() as connection:
        connection.execute(sa.text("UPDATE batches SET file_name = :name"), {"name": forged})
    engine.dispose()
    completed = run("history", url=store_url)
    assert completed.returncode == 0, completed.stderr
    assert "\x1b" not in completed.stdout and completed.stdout.count("\n") == 1
    assert "x.csv\\n批次 9：\\x1b[31m已復原" in completed.stdout
