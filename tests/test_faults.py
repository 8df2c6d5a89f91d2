"""An upload interrupted at any moment leaves the store with the whole batch or without it, and the next upload
works: the writer is killed (SIGKILL) at random points, before, during and after its transaction, on SQLite and
PostgreSQL. The write is slowed down inside the transaction so that most kills land in the middle of it."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import sqlalchemy as sa

from metrics.store import Store

ROOT = Path(__file__).resolve().parent.parent

WRITER = """
import sys, time
from decimal import Decimal
import pandas as pd
from metrics.intake.tidy import TIDY_COLUMNS
from metrics.store import Store
from metrics.store.figures import Figures

url, attempt = sys.argv[1], int(sys.argv[2])
original = Figures._apply_to_current

def slow(self, connection, batch_id, additions, replacements):
    print("in transaction", flush=True)
    time.sleep(0.4)  # the batch row and its changes are written, the current values not yet
    original(self, connection, batch_id, additions, replacements)
    time.sleep(0.4)

Figures._apply_to_current = slow
rows = [(112, month, "政風處", field, Decimal(attempt * 100 + month), "f.csv", "", f"B{month}")
        for month in range(1, 13) for field in ("warning_cases", "procurement_audits", "edoc_sent_total")]
with Store(url) as store:
    store.ingest(pd.DataFrame.from_records(rows, columns=list(TIDY_COLUMNS)), file_name=f"第{attempt}次.csv",
                 file_bytes=str(attempt).encode())
print("stored", flush=True)
"""

VALUES_PER_BATCH = 36


def consistent(url: str) -> tuple[int, int]:
    """(batches kept, values in effect), after checking that every kept batch is whole and nothing else is there."""
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    with engine.connect() as connection:
        batches = connection.execute(sa.text("SELECT id, row_count FROM batches ORDER BY id")).all()
        changes = dict(connection.execute(sa.text("SELECT batch_id, count(*) FROM value_changes GROUP BY batch_id")).all())
        current = connection.execute(sa.text("SELECT count(*) FROM current_values")).scalar()
        owners = {row[0] for row in connection.execute(sa.text("SELECT DISTINCT batch_id FROM current_values"))}
    engine.dispose()
    assert [batch_id for batch_id, _ in batches] == list(range(1, len(batches) + 1))  # no gap, no half batch
    for batch_id, row_count in batches:
        assert row_count == VALUES_PER_BATCH and changes.get(batch_id) == VALUES_PER_BATCH
    assert set(changes) == {batch_id for batch_id, _ in batches}
    assert current == (VALUES_PER_BATCH if batches else 0)
    assert owners == ({batches[-1][0]} if batches else set())  # every value from the last whole batch
    return len(batches), current


def test_a_killed_upload_leaves_all_or_nothing(store_url: str) -> None:
    with Store(store_url):  # the schema exists before the first kill
        pass
    chance = random.Random(20231231)
    environment = {**os.environ, "PYTHONPATH": str(ROOT)}
    kept = 0
    for attempt in range(1, 9):
        writer = subprocess.Popen([sys.executable, "-c", WRITER, store_url, str(attempt)], cwd=ROOT, env=environment,
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        assert writer.stdout is not None
        assert writer.stdout.readline().strip() == "in transaction", writer.stderr.read() if writer.stderr else ""
        time.sleep(chance.uniform(0, 0.9))  # a random point inside (mostly) or just after the transaction
        writer.send_signal(signal.SIGKILL)
        writer.wait(timeout=60)
        batches, _ = consistent(store_url)
        assert batches in (kept, kept + 1)
        kept = batches
    # the next upload works, and is whole
    finisher = subprocess.run([sys.executable, "-c", WRITER, store_url, "99"], cwd=ROOT, env=environment,
                              capture_output=True, text=True, timeout=120)
    assert finisher.returncode == 0 and finisher.stdout.endswith("stored\n"), finisher.stderr
    assert consistent(store_url)[0] == kept + 1
