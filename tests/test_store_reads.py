"""Reads wait for another transaction's lock only so long (issue 19, item 7): the store, the command line and the
pages say in Chinese that the database is busy, and the next read after the lock is gone works.

The lock is held by another connection: on PostgreSQL an ACCESS EXCLUSIVE lock on current_values in an open
transaction; on SQLite an exclusive lock on the whole file (locking_mode=EXCLUSIVE, the only lock that stops
readers of a WAL database). Timings are bounded generously: the point is that the wait ends, not how exactly."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa

from metrics.errors import StoreBusy, StoreError
from metrics.intake.tidy import TIDY_COLUMNS
from metrics.location import sqlite_file
from metrics.store import LOCK_WAIT_ENVIRONMENT, LOCK_WAIT_SECONDS, READ_ENVIRONMENT, READ_SECONDS, Store

ROOT = Path(__file__).resolve().parent.parent
BUSY = "資料庫忙碌中（另一項作業正在寫入或鎖定資料），已等待 1 秒仍無法讀取；未變更任何資料，請稍候再試。"


def _filled(url: str) -> None:
    frame = pd.DataFrame.from_records([(112, 1, "政風處", "warning_cases", Decimal(3), "一月.csv", "月報", "C3")],
                                      columns=list(TIDY_COLUMNS))
    with Store(url) as store:
        store.ingest(frame, file_name="一月.csv", file_bytes=b"1")


@contextmanager
def locked(url: str) -> Iterator[None]:
    """Another connection holds a lock that stops readers of current_values until the block ends."""
    path = sqlite_file(url)
    if path is not None:
        holder = sqlite3.connect(path, isolation_level=None)
        holder.execute("PRAGMA locking_mode = EXCLUSIVE")
        holder.execute("BEGIN EXCLUSIVE")
        holder.execute("UPDATE current_values SET value = value")
        try:
            yield
        finally:
            holder.execute("ROLLBACK")
            holder.close()
        return
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as connection:
            connection.begin()
            connection.execute(sa.text("LOCK TABLE current_values IN ACCESS EXCLUSIVE MODE"))
            try:
                yield
            finally:
                connection.rollback()
    finally:
        engine.dispose()


def test_a_read_gives_up_while_another_connection_holds_a_lock(store_url: str) -> None:
    _filled(store_url)
    store = Store(store_url, lock_wait_seconds=1)
    store.close()  # no idle SQLite connection of ours in the way of the holder's exclusive lock
    try:
        with locked(store_url):
            started = time.monotonic()
            with pytest.raises(StoreBusy) as raised:
                store.current_frame()
            assert time.monotonic() - started < 10  # waited about 1 s (it waited for as long as the lock lasted)
            assert str(raised.value) == BUSY
        assert store.current_frame()["value"].tolist() == [Decimal(3)]  # the lock gone, the same store reads
    finally:
        store.close()


@pytest.mark.postgres
def test_a_read_running_too_long_is_cut_off(postgres_url: str) -> None:
    with Store(postgres_url, read_seconds=1) as store:
        started = time.monotonic()
        with pytest.raises(StoreBusy, match="資料庫忙碌中，讀取超過 1 秒仍未完成，已中止"):
            with store._reading() as connection:
                connection.execute(sa.text("SELECT pg_sleep(30)"))
        assert time.monotonic() - started < 10
        assert store.current_frame().empty
        _filled(postgres_url)
        # A write keeps its own statement timeout (STATEMENT_SECONDS), not the read's.
        store._write(lambda connection: connection.execute(sa.text("SELECT pg_sleep(1.5)")))


@pytest.mark.parametrize(("environment", "given", "expected"), [
    pytest.param({}, {}, (LOCK_WAIT_SECONDS, READ_SECONDS), id="defaults"),
    pytest.param({LOCK_WAIT_ENVIRONMENT: "1", READ_ENVIRONMENT: "2.5"}, {}, (1.0, 2.5), id="environment"),
    pytest.param({LOCK_WAIT_ENVIRONMENT: "1"}, {"lock_wait_seconds": 3, "read_seconds": 4}, (3.0, 4.0),
                 id="given over environment"),
    pytest.param({LOCK_WAIT_ENVIRONMENT: " 86400 "}, {}, (86400.0, READ_SECONDS), id="a day at most"),
])
def test_waits_are_configured(tmp_path, monkeypatch, environment, given, expected) -> None:
    for name in (LOCK_WAIT_ENVIRONMENT, READ_ENVIRONMENT):
        monkeypatch.delenv(name, raising=False)
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    with Store(f"sqlite:///{tmp_path / 'kpi.sqlite3'}", **given) as store:
        assert (store.lock_wait_seconds, store.read_seconds) == expected


@pytest.mark.parametrize("value", ["abc", "0", "-1", "inf", "nan", "86401"])
def test_a_wrong_wait_setting_is_refused_naming_it(tmp_path, monkeypatch, value) -> None:
    monkeypatch.setenv(LOCK_WAIT_ENVIRONMENT, value)
    with pytest.raises(StoreError, match=f"環境變數 {LOCK_WAIT_ENVIRONMENT} 的值「{value}」不是有效的秒數：應為大於 0、至多 86400"):
        Store(f"sqlite:///{tmp_path / 'kpi.sqlite3'}")


def test_evaluate_from_the_store_says_it_is_busy(store_url: str) -> None:
    _filled(store_url)
    environment = {key: value for key, value in os.environ.items() if key != "KPI_DB_URL"}
    environment[LOCK_WAIT_ENVIRONMENT] = "1"
    with locked(store_url):
        started = time.monotonic()
        completed = subprocess.run([sys.executable, "-m", "metrics", "evaluate", "--db", store_url], cwd=ROOT,
                                   capture_output=True, text=True, timeout=120, env=environment)
        waited = time.monotonic() - started
    assert completed.returncode == 1  # EXIT_STORE
    assert completed.stderr.strip() == f"資料庫錯誤：{BUSY}"
    assert "Traceback" not in completed.stderr
    assert waited < 30  # a process start, the plans read and one wait of 1 s
