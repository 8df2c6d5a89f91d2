"""A whole store moved and kept: copy SQLite ⇄ PostgreSQL, backup and restore, and the verification that two
stores evaluate alike. The store is filled the way people fill it: uploads through the command line, an undo,
a note, a scenario, an account, with their audit rows."""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pandas as pd
import pytest

from metrics.plans.roles import load_roles
from catalogues import GOLDEN_PLANS
from metrics.plans.catalogue import load_catalogue
from metrics.errors import BackupRefused, StoreError
from metrics.intake.tidy import TIDY_COLUMNS
from metrics.services import Services, command_line
from metrics.services.review import Review
from metrics.store import SCHEMA_VERSION, Store
from metrics.evaluation.copies import verify
from metrics.store.transfer.restore import restore_backup
from metrics.store.transfer.write import copy_store, write_backup

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "sample_data"
FILES = load_catalogue(GOLDEN_PLANS)


def run(*arguments: str) -> subprocess.CompletedProcess:
    environment = {key: value for key, value in os.environ.items() if key != "KPI_DB_URL"}
    return subprocess.run([sys.executable, "-m", "metrics", *arguments], cwd=ROOT, capture_output=True, text=True,
                          timeout=300, env=environment)


def fill(url: str) -> None:
    completed = run("ingest", *(str(SAMPLE / name) for name in ("112-01.xlsx", "112-02.xlsx", "112-03.xlsx")),
                    "--db", url)
    assert completed.returncode == 0, completed.stderr
    with Store(url) as store:
        services = Services(store, load_roles(GOLDEN_PLANS))
        operator = command_line("tester")
        services.undo(operator, 3)
        services.save_note(operator, 112, "政風處", 2, "10-1", "系統轉換期間人工收文", "3 月起全面線上簽核")
        services.save_scenario(operator, 112, "政風處", "樂觀", {"targets": {"10-1": "98"}})
        services.add_account(operator, "reporter.a", display_name="王填報", roles=["reporter"], units=["政風處"],
                             password="correct horse battery")
        review = Review.in_force(services, GOLDEN_PLANS, load_catalogue(GOLDEN_PLANS))  # cycle.toml as version 1
        review.save_cycle(operator, (GOLDEN_PLANS / "cycle.toml").read_text(encoding="utf-8").replace(
            "yellow = 80", "yellow = 75"), note="燈號門檻調整")


def content(store: Store) -> list:
    return [(name, columns, rows) for name, columns, rows in store.table_rows()]


@pytest.fixture(scope="module")
def filled_sqlite(tmp_path_factory) -> str:
    url = f"sqlite:///{tmp_path_factory.mktemp('source') / 'kpi.sqlite3'}"
    fill(url)
    return url


@pytest.mark.postgres
def test_sqlite_to_postgresql_and_back_is_identical(filled_sqlite: str, postgres_url: str, tmp_path: Path) -> None:
    completed = run("copy", "--from", filled_sqlite, "--to", postgres_url)
    assert completed.returncode == 0, completed.stderr
    assert "驗證通過" in completed.stdout and "評核結果完全一致" in completed.stdout
    back = f"sqlite:///{tmp_path / 'back.sqlite3'}"
    completed = run("copy", "--from", postgres_url, "--to", back)
    assert completed.returncode == 0, completed.stderr
    with Store(filled_sqlite) as original, Store(postgres_url) as middle, Store(back) as returned:
        assert content(returned) == content(original)
        assert content(middle) == content(original)
        counts = original.row_counts()
        assert counts["batches"] == 3 and counts["notes"] == 1 and counts["scenarios"] == 1
        assert counts["accounts"] == 1 and counts["audit_log"] >= 6
        # 政風處 112 evaluated for 12 months (the sample plans are not official: not in the store's catalogue)
        assert verify(original, returned, FILES).evaluations == 12
        # the copy goes on working: new rows take the next numbers
        services = Services(middle, load_roles(GOLDEN_PLANS))
        services.save_note(command_line("tester"), 112, "政風處", 3, "10-1", "原因", "措施")
        assert middle.row_counts()["notes_history"] == counts["notes_history"] + 1


def test_copy_and_restore_refuse_a_store_that_holds_data(filled_sqlite: str, store_url: str, tmp_path: Path) -> None:
    with Store(store_url) as target:
        target.ingest(one_value(), file_name="a.csv", file_bytes=b"a")
        with Store(filled_sqlite) as source, pytest.raises(StoreError, match="不是空的（上傳批次 1 筆"):
            copy_store(source, target)
        backup = tmp_path / "kpi.jsonl.gz"
        with Store(filled_sqlite) as source:
            write_backup(source, backup)
        with pytest.raises(StoreError, match="只能寫入全新、空白的資料庫"):
            restore_backup(backup, target)
        assert target.row_counts()["batches"] == 1


def one_value() -> pd.DataFrame:
    return pd.DataFrame.from_records([(112, 1, "政風處", "warning_cases", Decimal(1), "a.csv", "", "B2")],
                                     columns=list(TIDY_COLUMNS))


def test_backup_restores_to_an_identical_store(filled_sqlite: str, store_url: str, tmp_path: Path) -> None:
    backup = tmp_path / "kpi-1150131.jsonl.gz"
    completed = run("backup", str(backup), "--db", filled_sqlite)
    assert completed.returncode == 0, completed.stderr
    assert "已備份" in completed.stdout
    with gzip.open(backup, "rt", encoding="utf-8") as stream:
        header = json.loads(stream.readline())
    assert header["format"] == "kpi-store-backup" and header["schema_version"] == SCHEMA_VERSION
    completed = run("restore", str(backup), "--db", store_url)
    assert completed.returncode == 0, completed.stderr
    with Store(filled_sqlite) as original, Store(store_url) as restored:
        assert content(restored) == content(original)
        verification = verify(original, restored, FILES)
        assert verification.identical, verification.summary()


def _rewritten(backup: Path, target: Path, change) -> Path:
    with gzip.open(backup, "rt", encoding="utf-8") as stream:
        lines = stream.read().splitlines()
    lines = change(lines)
    with gzip.open(target, "wt", encoding="utf-8") as stream:
        stream.write("\n".join(lines) + "\n")
    return target


def test_restore_refuses_a_newer_schema_and_a_damaged_file(filled_sqlite: str, tmp_path: Path) -> None:
    backup = tmp_path / "kpi.jsonl.gz"
    with Store(filled_sqlite) as source:
        write_backup(source, backup)

    def newer(lines):
        header = json.loads(lines[0])
        header["schema_version"] = SCHEMA_VERSION + 1
        return [json.dumps(header), *lines[1:]]

    future = _rewritten(backup, tmp_path / "future.jsonl.gz", newer)
    target = tmp_path / "restored.sqlite3"
    completed = run("restore", str(future), "--db", f"sqlite:///{target}")
    assert completed.returncode == 2  # the file is refused, as any invalid input
    assert f"來自資料庫結構第 {SCHEMA_VERSION + 1} 版，比本程式支援的第 {SCHEMA_VERSION} 版新" in completed.stderr
    assert not target.exists()  # refused before any database was created

    truncated = _rewritten(backup, tmp_path / "cut.jsonl.gz", lambda lines: lines[:-3])
    with Store(f"sqlite:///{target}") as store:
        with pytest.raises(BackupRefused, match="不完整"):
            restore_backup(truncated, store)
        assert not any(store.row_counts().values())  # all or nothing

    not_a_backup = tmp_path / "notes.txt"
    not_a_backup.write_text("hello")
    completed = run("restore", str(not_a_backup), "--db", f"sqlite:///{tmp_path / 'x.sqlite3'}")
    assert completed.returncode == 2 and "不是本系統的備份檔" in completed.stderr


def test_a_whole_store_read_is_one_snapshot_while_another_server_writes(store_url: str) -> None:
    """A backup taken while people upload: tables read after another process committed still agree with the
    ones read before (no value whose batch is missing)."""
    with Store(store_url, read_seconds=1) as reader, Store(store_url) as writer:
        writer.ingest(one_value(), file_name="a.csv", file_bytes=b"a")
        rows = reader.table_rows()
        first_name, _columns, _rows = next(rows)
        writer.ingest(one_value().assign(month=2), file_name="b.csv", file_bytes=b"b")
        read = {first_name: _rows, **{name: table for name, _, table in rows}}
        assert len(read["batches"]) == 1 and len(read["current_values"]) == 1
        assert len(writer.current_frame()) == 2


ACCOUNT_COLUMNS = ["id", "username", "display_name", "email", "roles", "units", "active", "password_hash",
                   "failed_logins", "locked_until", "created_at", "updated_at"]


def account_row(account_id: int, username: str) -> list:
    return [account_id, username, "", "", "[]", "[]", True, None, 0, None, "2026-01-01T08:00:00",
            "2026-01-01T08:00:00"]


@pytest.mark.parametrize(("what", "tables", "expected"), [
    ("a duplicate account id", [("accounts", ACCOUNT_COLUMNS, [account_row(1, "a.b"), account_row(1, "c.d")])],
     r"寫入帳號（accounts）第 1～2 筆中的一筆時，資料庫拒絕寫入：違反唯一性或關聯的限制"),
    ("a session of a missing account",
     [("accounts", ACCOUNT_COLUMNS, []),
      ("login_sessions", ["token_hash", "account_id", "method", "created_at", "last_seen_at", "ended_at"],
       [["f" * 64, 777, "password", "2026-01-01T08:00:00", "2026-01-01T08:00:00", None]])],
     r"寫入登入紀錄（login_sessions）第 1 筆時，資料庫拒絕寫入：違反唯一性或關聯的限制"),
])
def test_what_the_database_refuses_in_a_load_is_said_naming_the_table(store_url: str, what, tables,
                                                                       expected) -> None:
    """The checks of a backup find these first; a copy from another store, or anything they miss, still gets a
    message in words naming the table and the rows, with the database's own text only after it."""
    with Store(store_url) as target:
        with pytest.raises(StoreError, match=expected) as refused:
            target.load_rows(tables)
        assert "所有資料均未寫入" in str(refused.value) and "資料庫的原文：" in str(refused.value)
        assert not any(target.row_counts().values())
