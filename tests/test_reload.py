"""After an upload an app server reads only the new batch's values and puts them into the frame it held
(ui.data.FrameHolder, metrics.store.with_newer); an undo, or anything but uploads since, reads the whole frame. Either
way the frame is exactly the one a whole read gives, row for row, on SQLite and PostgreSQL."""

from __future__ import annotations

import copy
import functools
from decimal import Decimal

import pandas as pd
import pytest

from metrics.intake.tidy import TIDY_COLUMNS
from metrics.store import Store
from ui.data import DataVersion, FrameHolder

Key = tuple[int, str, str, int]  # year, unit, field, month


def upload(store: Store, rows: list[tuple[int, str, str, int, str]], name: str) -> int:
    frame = pd.DataFrame([(year, month, unit, field, Decimal(value), name, "月報", f"C{month + 1}")
                          for year, unit, field, month, value in rows], columns=list(TIDY_COLUMNS))
    return store.ingest(frame, file_name=name, file_bytes=name.encode(), uploader="王小明").batch_id


PROBE: Key = (112, "政風處", "warning_cases", 2)
WHOLE = None

# (what is done, its rows or the step whose batch is undone, the read expected: WHOLE or after which batch,
#  rows in the frame, value and batch of PROBE). Batches are numbered 1, 2, … in the order uploaded, undone ones too.
STEPS = [
    ("upload", [(112, "政風處", "warning_cases", 1, "1"), (112, "政風處", "warning_cases", 2, "2")],
     WHOLE, 2, ("2", 1)),                                           # batch 1, nothing held yet
    ("upload", [(112, "政風處", "warning_cases", 2, "20"), (112, "政風處", "warning_cases", 3, "3")],
     1, 3, ("20", 2)),                                              # batch 2: one value changed, one new
    ("upload", [(113, "人事處", "budget_amount", 1, "1234.567"), (112, "B處", "warning_cases", 1, "5"),
                (112, "a處", "warning_cases", 1, "6"), (112, "政風處", "budget_amount", 1, "0.1")],
     2, 7, ("20", 2)),                                              # batch 3: several units and years
    ("upload", [(112, "政風處", "warning_cases", 2, "200"), (112, "政風處", "warning_cases", 1, "1")],
     3, 7, ("200", 4)),                                             # batch 4: PROBE a third time; 1 month re-sent as is
    ("plan", None, 4, 7, ("200", 4)),                               # a plan version: nothing newer to read
    ("undo", 3, WHOLE, 7, ("20", 2)),                               # batch 4 undone: values set back
    ("upload", [(112, "a處", "warning_cases", 2, "7")], 4, 8, ("20", 2)),  # batch 5, after an undo
    ("undo", 6, WHOLE, 7, ("20", 2)),                               # batch 5 undone: its value removed
    ("upload", [(114, "a處", "warning_cases", 12, "9"), (112, "政風處", "warning_cases", 2, "21")],
     5, 8, ("21", 6)),                                              # batch 6
]
# Code-point order: "B" (U+0042) < "a" (U+0061) < CJK, whatever the database's collation says.
LAST_ORDER = [(112, "B處"), (112, "a處"), (112, "政風處"), (113, "人事處"), (114, "a處")]


def take_step(writer: Store, step: int, what: str, data, batches: dict[int, int]) -> None:
    """One of STEPS, written by another process: an upload (its batch noted under the step), an undo, a plan version."""
    if what == "upload":
        batches[step] = upload(writer, data, f"第{step}次.csv")
    elif what == "undo":
        writer.undo(batches[data])
    else:
        writer.save_plan_version(112, "政風處", 'title = "新"\n', author="王科長")


def assert_exactly_equal(frame: pd.DataFrame, whole: pd.DataFrame, step: int) -> None:
    pd.testing.assert_frame_equal(frame, whole, check_exact=True, obj=f"step {step}")
    assert frame.dtypes.to_dict() == whole.dtypes.to_dict(), step
    assert all(type(value) is Decimal for value in frame["value"]), step


def test_each_upload_reads_only_its_values_and_gives_the_whole_frame_exactly(store_url):
    store, writer = Store(store_url), Store(store_url)  # the app server's store, and another process writing
    holder, reads, batches, previous = FrameHolder(), [], {}, None

    def read(**after):
        reads.append(after.get("after_batch"))
        return store.current_frame(**after)

    for step, (what, data, expected_read, rows, probe) in enumerate(STEPS):
        take_step(writer, step, what, data, batches)
        reads.clear()
        frame = holder.frame(DataVersion(store_url, store.data_version()), store.history(), read)
        assert reads == [expected_read], step
        whole = store.current_frame()
        assert_exactly_equal(frame, whole, step)
        assert len(frame) == rows, step
        found = frame[(frame["year"] == PROBE[0]) & (frame["unit"] == PROBE[1]) & (frame["field"] == PROBE[2])
                      & (frame["month"] == PROBE[3])]
        assert (str(found["value"].iloc[0]), int(found["batch_id"].iloc[0])) == probe, step
        if previous is not None:  # the held frame, shared between sessions, is never modified
            pd.testing.assert_frame_equal(previous[0], previous[1], check_exact=True)
        previous = (frame, copy.deepcopy(frame))
    assert list(dict.fromkeys(zip(frame["year"], frame["unit"]))) == LAST_ORDER
    store.close()
    writer.close()


def test_each_upload_reads_only_the_newer_batches_of_the_history_and_gives_the_whole_list(store_url):
    """The batch list (ui.data.HistoryHolder) through the same steps: after uploads only the batches from the held
    newest one on are read; an undo reads the whole list; either way it equals the store's whole list."""
    from ui.data import HistoryHolder

    store, writer = Store(store_url), Store(store_url)
    holder, reads, batches = HistoryHolder(), [], {}
    whole_history = store.history

    def history(**arguments):
        reads.append(arguments.get("from_batch"))
        return whole_history(**arguments)

    store.history = history
    for step, (what, data, expected_read, *_) in enumerate(STEPS):
        take_step(writer, step, what, data, batches)
        reads.clear()
        listed = holder.history(DataVersion(store_url, store.data_version()), store)
        assert reads == [expected_read], step  # from the held newest batch on: the frame's `after` batch
        assert listed == whole_history(), step
    store.close()
    writer.close()


def test_a_store_made_anew_at_the_same_url_has_its_history_read_whole(tmp_path):
    from ui.data import HistoryHolder

    first, second = Store(f"sqlite:///{tmp_path / 'a.sqlite3'}"), Store(f"sqlite:///{tmp_path / 'b.sqlite3'}")
    upload(first, [(112, "政風處", "warning_cases", 1, "1")], "甲.csv")
    upload(second, [(112, "政風處", "warning_cases", 1, "2")], "乙.csv")
    upload(second, [(112, "政風處", "warning_cases", 2, "3")], "丙.csv")
    holder = HistoryHolder()
    holder.history(DataVersion("sqlite:///same", first.data_version()), first)
    assert holder.history(DataVersion("sqlite:///same", second.data_version()), second) == second.history()


def test_a_store_restored_anew_that_undid_another_batch_is_read_whole_through_the_holders(tmp_path):
    """Found by review: the copy of a store undid batch 1 where the held one undid batch 2 (the same count, the same
    newest batch 3), then took an upload; the batch list and the frame, as load_history and load_frame make them,
    are the restored store's, not the held one's with the upload added."""
    from metrics.store.transfer.write import copy_store
    from ui.data import HistoryHolder

    first, second = Store(f"sqlite:///{tmp_path / 'a.sqlite3'}"), Store(f"sqlite:///{tmp_path / 'b.sqlite3'}")
    for month, name in ((1, "甲.csv"), (2, "乙.csv"), (3, "丙.csv")):
        upload(first, [(112, "政風處", "warning_cases", month, str(month))], name)
    copy_store(first, second)
    first.undo(2)
    histories, frames, reads = HistoryHolder(), FrameHolder(), []
    version = DataVersion("sqlite:///same", first.data_version())
    frames.frame(version, histories.history(version, first), recording(first, reads))
    second.undo(1)
    upload(second, [(112, "政風處", "warning_cases", 4, "4")], "丁.csv")
    version = DataVersion("sqlite:///same", second.data_version())
    history = histories.history(version, second)
    assert history == second.history()
    frame = frames.frame(version, history, recording(second, reads))
    assert list(frame["month"]) == [2, 3, 4]
    assert_exactly_equal(frame, second.current_frame(), 0)


def recording(store: Store, reads: list):
    """The store's current_frame, noting each read: WHOLE, or the batch it read after."""
    def read(**after):
        reads.append(after.get("after_batch"))
        return store.current_frame(**after)
    return read


def test_a_store_made_anew_at_the_same_url_is_read_whole(tmp_path):
    """Another store behind the same URL (restored into an empty database): its batch 1 is not the held one."""
    first, second = Store(f"sqlite:///{tmp_path / 'a.sqlite3'}"), Store(f"sqlite:///{tmp_path / 'b.sqlite3'}")
    upload(first, [(112, "政風處", "warning_cases", 1, "1")], "甲.csv")
    upload(second, [(112, "政風處", "warning_cases", 1, "2")], "乙.csv")
    upload(second, [(112, "政風處", "warning_cases", 2, "3")], "丙.csv")
    holder, reads = FrameHolder(), []
    read_from = functools.partial(recording, reads=reads)

    holder.frame(DataVersion("sqlite:///same", first.data_version()), first.history(), read_from(first))
    frame = holder.frame(DataVersion("sqlite:///same", second.data_version()), second.history(), read_from(second))
    assert reads == [WHOLE, WHOLE]
    assert_exactly_equal(frame, second.current_frame(), 0)


@pytest.mark.parametrize("where", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def test_another_servers_upload_is_seen_exactly_on_the_next_run(where, database, request, monkeypatch):
    from test_data_version import store_months
    from ui.data import HELD_FRAMES, current_source

    url = database if where == "sqlite" else request.getfixturevalue("postgres_url")
    monkeypatch.setenv("KPI_DB_URL", url)
    store_months(url, [1, 3])
    first = current_source()
    assert first.data_version.version[0] == 1 and len(first.frame) == 2
    store_months(url, [2])  # another Store, as another app server or the command line
    second = current_source()
    assert second.data_version.version[:2] == (2, 0)
    assert_exactly_equal(second.frame, Store(url).current_frame(), 1)
    assert list(second.frame["month"]) == [1, 2, 3]
    assert HELD_FRAMES.held.peek(url).frame is second.frame


@pytest.mark.postgres
def test_the_order_is_code_points_whatever_the_databases_collation(postgres_url):
    """A server whose collation is zh_TW (here the units' column in ICU's zh-Hant-TW, stroke order, letters without
    case) orders the units otherwise than another; the frame's order is the same everywhere, whole or incremental."""
    import sqlalchemy as sa

    store = Store(postgres_url)
    units = ["政風處", "甲處", "乙處", "a處", "B處"]
    with store._engine.begin() as connection:
        connection.execute(sa.text('ALTER TABLE current_values ALTER COLUMN unit TYPE VARCHAR COLLATE "zh-Hant-TW-x-icu"'))
    holder = FrameHolder()
    upload(store, [(112, unit, "warning_cases", 1, "1") for unit in units[:3]], "甲.csv")
    holder.frame(DataVersion(postgres_url, store.data_version()), store.history(), store.current_frame)
    upload(store, [(112, unit, "warning_cases", 1, "2") for unit in units[2:]], "乙.csv")
    frame = holder.frame(DataVersion(postgres_url, store.data_version()), store.history(), store.current_frame)
    with store._engine.connect() as connection:
        collated = list(connection.execute(sa.text("SELECT unit FROM current_values ORDER BY unit")).scalars())
    assert collated == ["乙處", "甲處", "政風處", "a處", "B處"]  # strokes 1, 5, 9; then letters, a before B
    assert list(frame["unit"]) == ["B處", "a處", "乙處", "政風處", "甲處"]  # U+0042, U+0061, U+4E59, U+653F, U+7532
    assert_exactly_equal(frame, store.current_frame(), 1)
    store.close()


@pytest.mark.postgres
def test_a_whole_read_while_another_server_replaces_a_batchs_values(postgres_url):
    """PostgreSQL reads each statement at its own moment (READ COMMITTED): an upload committed between the values'
    query and the batches' query, replacing every value of a batch the first one returned, must not leave a value
    without its batch's time and uploader."""
    import sqlalchemy as sa

    store, writer = Store(postgres_url), Store(postgres_url)
    upload(writer, [(112, "政風處", "warning_cases", 1, "1")], "甲.csv")
    upload(writer, [(112, "政風處", "warning_cases", 2, "2")], "乙.csv")
    statements = []

    def between(connection, cursor, statement, parameters, context, executemany):
        statements.append(statement)
        if len(statements) == 2:  # the batches' query, after the values were read
            upload(writer, [(112, "政風處", "warning_cases", 1, "10")], "丙.csv")

    sa.event.listen(store._engine, "before_cursor_execute", between)
    try:
        frame = store.current_frame()
    finally:
        sa.event.remove(store._engine, "before_cursor_execute", between)
    assert list(frame["batch_id"]) == [1, 2]
    assert list(frame["uploader"]) == ["王小明", "王小明"]
    store.close()
    writer.close()


def test_a_store_restored_anew_that_undid_another_batch_is_read_whole(tmp_path):
    """A copy of the store (a backup restored into a fresh database at the same URL) shares its batches, times and
    hashes; the held frame's store undid batch 3, the restored one batch 2. The same number of batches undone is
    not the same undo: the next upload reads the whole frame again."""
    from metrics.store.transfer.write import copy_store

    first, second = Store(f"sqlite:///{tmp_path / 'a.sqlite3'}"), Store(f"sqlite:///{tmp_path / 'b.sqlite3'}")
    for month, name in ((1, "甲.csv"), (2, "乙.csv"), (3, "丙.csv")):
        upload(first, [(112, "政風處", "warning_cases", month, str(month))], name)
    copy_store(first, second)
    first.undo(3)
    holder, reads = FrameHolder(), []
    read_from = functools.partial(recording, reads=reads)

    holder.frame(DataVersion("sqlite:///same", first.data_version()), first.history(), read_from(first))
    second.undo(2)
    upload(second, [(112, "政風處", "warning_cases", 4, "4")], "丁.csv")
    frame = holder.frame(DataVersion("sqlite:///same", second.data_version()), second.history(), read_from(second))
    assert reads == [WHOLE, WHOLE]
    assert_exactly_equal(frame, second.current_frame(), 0)
    assert list(frame["month"]) == [1, 3, 4]
    first.close()
    second.close()


@pytest.mark.parametrize("seed", range(40))
def test_with_newer_equals_ordering_the_whole_frame_again(seed):
    """Random held frames and uploads (new units and years, replaced and new values, units in code-point order
    across ASCII cases and CJK): the runs put back in place give the same frame as sorting everything again."""
    import random

    from metrics.store import key_order, with_newer

    generator = random.Random(seed)
    units, fields = ["B處", "a處", "政風處", "人事處", "A"], ["x", "y", "z"]

    def rows(count: int, tag: str) -> list[tuple]:
        return [(generator.choice([112, 113, 114]), generator.choice(units), generator.randint(1, 12),
                 generator.choice(fields), f"{tag}{index}") for index in range(count)]

    def frame(records: list[tuple]) -> pd.DataFrame:
        made = pd.DataFrame(records, columns=["year", "unit", "month", "field", "value"])
        return key_order(made.drop_duplicates(["year", "unit", "month", "field"], keep="last"))

    held = frame(rows(generator.randint(1, 60), "held"))
    newer = frame(rows(generator.randint(1, 8), "new"))
    whole = key_order(pd.concat([held, newer], ignore_index=True)
                      .drop_duplicates(["year", "unit", "month", "field"], keep="last"))
    pd.testing.assert_frame_equal(with_newer(held, newer), whole, check_exact=True)
