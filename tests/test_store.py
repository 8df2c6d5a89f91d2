"""The store: upsert, history, undo, all-or-nothing, concurrency, exact values, the side tables.

Every test runs on SQLite and on PostgreSQL (see conftest.store_url). Tidy frames are built by
hand; expected values are written out by hand.
"""

from __future__ import annotations

import datetime as dt
import multiprocessing
import uuid
from collections.abc import Iterator
from decimal import Decimal

import pandas as pd
import pytest
import sqlalchemy as sa

from catalogues import CATALOGUE
from metrics.errors import InputError, StoreError
from metrics.services import wording
from metrics.intake.tidy import TIDY_COLUMNS
from metrics.store import (
    SCHEMA_VERSION,
    Store,
    canonical_decimal,
    default_url,
    format_taiwan_time,
    masked_url,
)
from metrics.store.figures import ChangeKind, Figures

UNIT = "政風處"


def tidy(*rows: tuple, file: str = "月報.xlsx", sheet: str = "月報", unit: str = UNIT, year: int = 112) -> pd.DataFrame:
    """Rows (month, field, value) or (month, field, value, cell) as a tidy frame with Decimal values."""
    records = []
    for row in rows:
        month, field, value, *cell = row
        cell = cell[0] if cell else f"{chr(ord('C') + month - 1)}{3 + len(records)}"
        records.append((year, month, unit, field, Decimal(value), file, sheet, cell))
    return pd.DataFrame.from_records(records, columns=list(TIDY_COLUMNS))


def current(store: Store, unit: str = UNIT, year: int = 112) -> dict[tuple[str, int], str]:
    """The values in effect as {(field, month): value as text}, for comparing with hand-written tables."""
    frame = store.current_frame(year, unit)
    return {(field, int(month)): str(value) for field, month, value in zip(frame["field"], frame["month"], frame["value"])}


def snapshot(store: Store) -> tuple:
    frame = store.current_frame()
    values = sorted(zip(frame["year"], frame["unit"], frame["field"], frame["month"], map(str, frame["value"]),
                        frame["batch_id"], frame["source_cell"]))
    return values, store.history()


@pytest.fixture
def store(store_url: str) -> Iterator[Store]:
    with Store(store_url, field_names={field.code: field.name for field in CATALOGUE.fields}) as opened:
        yield opened


def ingest(store: Store, frame: pd.DataFrame, name: str, uploader: str = "") -> int | None:
    return store.ingest(frame, file_name=name, file_bytes=name.encode() + frame.to_csv().encode(),
                        uploader=uploader).batch_id


# ---- upsert and preview ----

@pytest.mark.parametrize(("uploads", "expected_counts", "expected_current"), [
    pytest.param([[(1, "warning_cases", "1")]], (1, 0, 0), {("warning_cases", 1): "1"}, id="first value"),
    pytest.param([[(1, "warning_cases", "1")], [(1, "warning_cases", "3")]], (0, 1, 0),
                 {("warning_cases", 1): "3"}, id="overwrite"),
    pytest.param([[(1, "warning_cases", "1")], [(1, "warning_cases", "1"), (2, "warning_cases", "0")]], (1, 0, 1),
                 {("warning_cases", 1): "1", ("warning_cases", 2): "0"}, id="zero is a value, same kept"),
    pytest.param([[(1, "warning_cases", "1"), (1, "budget_amount", "21288")],
                   [(1, "budget_amount", "21288.5"), (3, "payables", "0.1")]], (1, 1, 0),
                 {("warning_cases", 1): "1", ("budget_amount", 1): "21288.5", ("payables", 3): "0.1"},
                 id="values not in the upload stay"),
])
def test_upsert(store: Store, uploads: list, expected_counts: tuple, expected_current: dict) -> None:
    for number, rows in enumerate(uploads, start=1):
        result = store.ingest(tidy(*rows), file_name=f"{number}.xlsx", file_bytes=str(number).encode())
    assert (result.added, result.changed, result.same) == expected_counts
    assert not result.unchanged
    assert current(store) == expected_current


def test_preview_says_what_each_row_would_do(store: Store) -> None:
    ingest(store, tidy((1, "warning_cases", "1"), (1, "procurement_audits", "10")), "1月.xlsx")
    preview = store.preview(tidy((1, "warning_cases", "1"), (1, "procurement_audits", "12"), (2, "warning_cases", "0")))
    assert list(preview.columns) == ["year", "month", "unit", "field", "current", "incoming", "change"]
    assert list(zip(preview["field"], preview["month"], preview["current"], preview["incoming"], preview["change"])) == [
        ("warning_cases", 1, Decimal(1), Decimal(1), ChangeKind.SAME),
        ("procurement_audits", 1, Decimal(10), Decimal(12), ChangeKind.CHANGED),
        ("warning_cases", 2, None, Decimal(0), ChangeKind.ADDED),
    ]
    assert len(store.history()) == 1  # a preview writes nothing


def test_values_of_other_units_and_years_are_separate(store: Store) -> None:
    ingest(store, tidy((1, "warning_cases", "1")), "a.xlsx")
    ingest(store, tidy((1, "warning_cases", "5"), unit="人事處"), "b.xlsx")
    ingest(store, tidy((1, "warning_cases", "7"), year=113), "c.xlsx")
    assert current(store) == {("warning_cases", 1): "1"}
    assert current(store, unit="人事處") == {("warning_cases", 1): "5"}
    assert current(store, year=113) == {("warning_cases", 1): "7"}
    assert store.years_and_units() == [(112, "人事處"), (112, UNIT), (113, UNIT)]
    assert len(store.current_frame()) == 3


def test_current_frame_columns_and_types(store: Store) -> None:
    assert store.is_empty()
    empty = store.current_frame()
    assert list(empty.columns) == [*TIDY_COLUMNS, "batch_id", "uploaded_at", "uploader"] and empty.empty
    batch = store.ingest(tidy((2, "budget_amount", "1234.567", "D5")), file_name="2月.xlsx", file_bytes=b"x",
                         uploader="王小明").batch_id
    frame = store.current_frame()
    assert list(frame.columns) == [*TIDY_COLUMNS, "batch_id", "uploaded_at", "uploader"]
    row = frame.iloc[0]
    assert (row["year"], row["month"], row["unit"], row["field"]) == (112, 2, UNIT, "budget_amount")
    assert isinstance(row["value"], Decimal) and str(row["value"]) == "1234.567"
    assert (row["source_file"], row["source_sheet"], row["source_cell"]) == ("月報.xlsx", "月報", "D5")
    assert (row["batch_id"], row["uploader"]) == (batch, "王小明")
    assert row["uploaded_at"].tzinfo is not None
    assert not store.is_empty()


# ---- exact values ----

@pytest.mark.parametrize(("typed", "stored"), [
    ("1234.567", "1234.567"),
    ("0.1", "0.1"),
    ("21288", "21288"),
    ("21288.0", "21288"),
    ("1.50", "1.5"),
    ("0", "0"),
    ("0.0000001", "0.0000001"),
    ("1E+3", "1000"),
    ("98765432109876543210.123456789", "98765432109876543210.123456789"),
])
def test_canonical_decimal(typed: str, stored: str) -> None:
    assert canonical_decimal(Decimal(typed)) == stored


@pytest.mark.parametrize("typed", ["1234.567", "0.1", "21288", "0", "0.0000001", "98765432109876543210.123456789"])
def test_decimal_round_trips_exactly(store: Store, typed: str) -> None:
    ingest(store, tidy((1, "budget_amount", typed)), "預算.xlsx")
    value = store.current_frame()["value"].iloc[0]
    assert isinstance(value, Decimal)
    assert value.as_tuple() == Decimal(typed).as_tuple()  # same digits and exponent, not merely equal
    assert store.value_provenance(112, UNIT, "budget_amount", 1).value == Decimal(typed)


def test_equal_numbers_written_differently_are_the_same_value(store: Store) -> None:
    ingest(store, tidy((1, "budget_amount", "21288")), "a.xlsx")
    result = store.ingest(tidy((1, "budget_amount", "21288.00")), file_name="b.xlsx", file_bytes=b"b")
    assert result.unchanged and result.same == 1


# ---- history, provenance, batch values ----

def test_two_uploads_of_the_same_month(store: Store) -> None:
    first = ingest(store, tidy((3, "warning_cases", "1", "E3"), (3, "procurement_audits", "9", "E4")), "3月.xlsx", "甲")
    second = ingest(store, tidy((3, "warning_cases", "2", "E3"), (3, "procurement_audits", "9", "E4")), "3月更正.xlsx", "乙")
    assert second > first
    assert current(store) == {("warning_cases", 3): "2", ("procurement_audits", 3): "9"}
    history = store.history()
    assert [(b.id, b.file_name, b.uploader, b.row_count, b.values_set, b.undone_at) for b in history] == [
        (second, "3月更正.xlsx", "乙", 2, 2, None),
        (first, "3月.xlsx", "甲", 2, 2, None),
    ]
    assert history[0].uploaded_at >= history[1].uploaded_at
    assert history[0].uploaded_at.utcoffset() == dt.timedelta(0)
    replaced = store.batch_values(second)
    assert list(zip(replaced["field"], replaced["month"], replaced["value"], replaced["previous"],
                    replaced["previous_batch_id"], replaced["change"])) == [
        ("warning_cases", 3, Decimal(2), Decimal(1), first, ChangeKind.CHANGED),
        ("procurement_audits", 3, Decimal(9), Decimal(9), first, ChangeKind.SAME),
    ]
    created = store.batch_values(first)
    assert list(zip(created["previous"], created["previous_batch_id"], created["change"])) == [
        (None, None, ChangeKind.ADDED), (None, None, ChangeKind.ADDED),
    ]


def test_provenance_of_a_value(store: Store) -> None:
    frame = tidy((4, "hakka_certified", "37", "F12"), file="客語認證.xlsx", sheet="月報")
    batch = store.ingest(frame, file_name="上傳的檔名.xlsx", file_bytes=b"hakka", uploader="李主任").batch_id
    provenance = store.value_provenance(112, UNIT, "hakka_certified", 4)
    assert provenance is not None
    assert (provenance.value, provenance.batch_id, provenance.file_name, provenance.source_file,
            provenance.source_sheet, provenance.source_cell, provenance.uploader) == (
        Decimal(37), batch, "上傳的檔名.xlsx", "客語認證.xlsx", "月報", "F12", "李主任")
    assert store.value_provenance(112, UNIT, "hakka_certified", 5) is None
    assert store.value_provenance(112, "人事處", "hakka_certified", 4) is None


def test_batch_values_of_unknown_batch(store: Store) -> None:
    with pytest.raises(StoreError, match="找不到第 99 批"):
        store.batch_values(99)


# ---- unchanged re-uploads ----

def test_identical_reupload_changes_nothing_and_names_the_earlier_batch(store: Store) -> None:
    frame = tidy((1, "warning_cases", "1"), (1, "budget_amount", "21,288".replace(",", "")))
    first = store.ingest(frame, file_name="1月.xlsx", file_bytes=b"same bytes")
    again = store.ingest(frame, file_name="1月(1).xlsx", file_bytes=b"same bytes")
    assert (again.batch_id, again.unchanged, again.added, again.changed, again.same, again.duplicate_of) == (
        None, True, 0, 0, 2, first.batch_id)
    assert "未建立新的上傳批次" in wording.ingested(again) and f"第 {first.batch_id} 批" in wording.ingested(again)
    assert len(store.history()) == 1


def test_same_values_in_another_file_change_nothing(store: Store) -> None:
    ingest(store, tidy((1, "warning_cases", "1")), "a.xlsx")
    result = store.ingest(tidy((1, "warning_cases", "1")), file_name="b.csv", file_bytes=b"other bytes")
    assert result.unchanged and result.duplicate_of is None and result.batch_id is None
    assert "1 筆數值與資料庫目前的數值完全相同" in wording.ingested(result)


def test_empty_frame_creates_no_batch(store: Store) -> None:
    result = store.ingest(tidy(), file_name="空白.xlsx", file_bytes=b"")
    assert result.unchanged and result.batch_id is None and "沒有任何數值" in wording.ingested(result)
    assert store.history() == [] and store.is_empty()


def test_reupload_after_undo_is_stored_again(store: Store) -> None:
    frame = tidy((1, "warning_cases", "1"))
    first = store.ingest(frame, file_name="1月.xlsx", file_bytes=b"bytes").batch_id
    store.undo(first)
    again = store.ingest(frame, file_name="1月.xlsx", file_bytes=b"bytes")
    assert not again.unchanged and again.added == 1 and again.duplicate_of == first
    assert current(store) == {("warning_cases", 1): "1"}


# ---- undo ----

def test_scenario_january_february_correction_undo(store: Store) -> None:
    january = ingest(store, tidy((1, "warning_cases", "1"), (1, "procurement_audits", "10"),
                                 (1, "budget_amount", "21288")), "1月.xlsx")
    assert current(store) == {("warning_cases", 1): "1", ("procurement_audits", 1): "10", ("budget_amount", 1): "21288"}

    february = ingest(store, tidy((2, "warning_cases", "0"), (2, "procurement_audits", "12"),
                                  (2, "budget_amount", "21288")), "2月.xlsx")
    after_february = {("warning_cases", 1): "1", ("procurement_audits", 1): "10", ("budget_amount", 1): "21288",
                      ("warning_cases", 2): "0", ("procurement_audits", 2): "12", ("budget_amount", 2): "21288"}
    assert current(store) == after_february

    correction = store.ingest(tidy((1, "warning_cases", "1"), (1, "procurement_audits", "11"),
                                   (1, "budget_amount", "21288"), (1, "payables", "350.5")),
                              file_name="1月更正.xlsx", file_bytes=b"correction")
    assert (correction.added, correction.changed, correction.same) == (1, 1, 2)
    assert current(store) == {**after_february, ("procurement_audits", 1): "11", ("payables", 1): "350.5"}
    assert store.value_provenance(112, UNIT, "procurement_audits", 1).batch_id == correction.batch_id

    undone = store.undo(correction.batch_id)
    # 1 changed (procurement_audits 11 → 10), 1 added (payables), 2 re-sent unchanged: counted as unchanged
    assert (undone.restored, undone.removed, undone.unchanged) == (1, 1, 2)
    assert wording.undone(undone) == (f"已復原第 {correction.batch_id} 批「1月更正.xlsx」：1 個數字恢復為上一次上傳的值，"
                              "1 個數字已變為未填報，2 個數字與上一次上傳相同，不變。")
    assert current(store) == after_february
    assert store.value_provenance(112, UNIT, "procurement_audits", 1).batch_id == january
    assert store.value_provenance(112, UNIT, "warning_cases", 2).batch_id == february
    assert store.value_provenance(112, UNIT, "payables", 1) is None
    assert [(b.id, b.is_undone) for b in store.history()] == [
        (correction.batch_id, True), (february, False), (january, False)]


def test_undo_restores_exactly_including_provenance(store: Store) -> None:
    ingest(store, tidy((1, "warning_cases", "1", "C3"), (1, "budget_amount", "1234.567", "C4"), file="舊.xlsx"), "舊.xlsx")
    before = snapshot(store)[0]
    batch = ingest(store, tidy((1, "warning_cases", "2", "H9"), (1, "budget_amount", "1234.567", "H10"),
                               (2, "warning_cases", "4", "I9"), file="新.xlsx"), "新.xlsx")
    assert snapshot(store)[0] != before
    store.undo(batch, user="陳科員")
    assert snapshot(store)[0] == before
    provenance = store.value_provenance(112, UNIT, "budget_amount", 1)
    assert (provenance.source_file, provenance.source_cell) == ("舊.xlsx", "C4")
    info = store.history()[0]
    assert info.id == batch and info.undone_at is not None and info.undone_by == "陳科員"
    assert info.undone_at >= info.uploaded_at


def test_undo_of_the_only_batch_leaves_nothing_reported(store: Store) -> None:
    batch = ingest(store, tidy((1, "warning_cases", "1"), (2, "warning_cases", "2")), "a.xlsx")
    result = store.undo(batch)
    assert (result.restored, result.removed) == (0, 2)
    assert wording.undone(result) == "已復原第 1 批「a.xlsx」：2 個數字已變為未填報。"
    assert store.is_empty() and store.years_and_units() == [] and current(store) == {}
    assert len(store.history()) == 1


def test_undo_blocked_by_a_later_batch(store: Store) -> None:
    january = ingest(store, tidy((1, "warning_cases", "1"), (1, "procurement_audits", "10")), "1月.xlsx")
    correction = ingest(store, tidy((1, "procurement_audits", "11")), "1月更正.xlsx")
    unrelated = ingest(store, tidy((2, "procurement_audits", "3")), "2月.xlsx")
    before = snapshot(store)
    with pytest.raises(StoreError) as raised:
        store.undo(january)
    message = str(raised.value)
    assert f"第 {correction} 批「1月更正.xlsx」" in message
    assert f"請先復原第 {correction} 批" in message
    assert "2月.xlsx" not in message and "採購稽核案件數" in message
    assert snapshot(store) == before

    store.undo(correction)
    store.undo(january)
    assert current(store) == {("procurement_audits", 2): "3"}
    assert [(b.id, b.is_undone) for b in store.history()] == [(unrelated, False), (correction, True), (january, True)]


def test_undo_blocked_by_a_later_batch_that_resent_the_same_value(store: Store) -> None:
    january = ingest(store, tidy((1, "warning_cases", "1")), "1月.xlsx")
    both = ingest(store, tidy((1, "warning_cases", "1"), (2, "warning_cases", "2")), "1-2月.xlsx")
    with pytest.raises(StoreError, match=f"請先復原第 {both} 批"):
        store.undo(january)
    assert current(store) == {("warning_cases", 1): "1", ("warning_cases", 2): "2"}


def test_undo_lists_every_blocking_batch_newest_first(store: Store) -> None:
    january = ingest(store, tidy((1, "warning_cases", "1"), (1, "procurement_audits", "10")), "1月.xlsx")
    second = ingest(store, tidy((1, "warning_cases", "2")), "b.xlsx")
    third = ingest(store, tidy((1, "procurement_audits", "12")), "c.xlsx")
    with pytest.raises(StoreError, match=f"請先復原第 {third} 批、第 {second} 批，再復原第 {january} 批"):
        store.undo(january)


@pytest.mark.parametrize(("target", "expected"), [
    ("unknown", "找不到第 99 批"),
    ("undone", "復原過，不能重複復原"),
])
def test_undo_refused(store: Store, target: str, expected: str) -> None:
    batch = ingest(store, tidy((1, "warning_cases", "1")), "a.xlsx")
    if target == "undone":
        store.undo(batch)
    before = snapshot(store)
    with pytest.raises(StoreError, match=expected):
        store.undo(99 if target == "unknown" else batch)
    assert snapshot(store) == before


# ---- all or nothing ----

def test_a_value_the_database_rejects_stores_nothing(store: Store) -> None:
    ingest(store, tidy((1, "warning_cases", "1")), "1月.xlsx")
    before = snapshot(store)
    frame = tidy((1, "warning_cases", "5"), (2, "warning_cases", "2"), (13, "warning_cases", "9"))
    with pytest.raises(StoreError, match="所有數值均未儲存"):
        store.ingest(frame, file_name="壞.xlsx", file_bytes=b"bad")
    assert snapshot(store) == before


def test_several_files_are_stored_all_or_nothing(store: Store) -> None:
    before = snapshot(store)
    good = tidy((1, "warning_cases", "1"), file="1月.xlsx")
    bad = tidy((2, "warning_cases", "2"), (13, "warning_cases", "9"), file="2月.xlsx")
    with pytest.raises(StoreError, match="所有數值均未儲存"):
        store.ingest_many([(good, "1月.xlsx", b"1"), (bad, "2月.xlsx", b"2")])
    assert snapshot(store) == before
    results = store.ingest_many([(good, "1月.xlsx", b"1"), (tidy((1, "warning_cases", "3")), "1月更正.xlsx", b"3")],
                                uploader="王小明")
    first, second = (result.batch_id for result in results)
    assert second > first  # PostgreSQL sequences skip the ids of the rolled-back attempt
    assert current(store) == {("warning_cases", 1): "3"}  # the later file of the same call wins
    assert [batch.uploader for batch in store.history()] == ["王小明", "王小明"]


def test_a_failure_after_every_write_stores_nothing(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    ingest(store, tidy((1, "warning_cases", "1")), "1月.xlsx")
    before = snapshot(store)
    original = Figures._apply_to_current

    def apply_then_fail(self: Figures, *args: object) -> None:
        original(self, *args)
        raise sa.exc.OperationalError("COMMIT", {}, Exception("disk I/O error"))

    monkeypatch.setattr(Figures, "_apply_to_current", apply_then_fail)
    with pytest.raises(StoreError, match="disk I/O error"):
        store.ingest(tidy((1, "warning_cases", "5"), (2, "warning_cases", "2")), file_name="2月.xlsx", file_bytes=b"2")
    monkeypatch.undo()
    assert snapshot(store) == before


def test_a_failed_undo_changes_nothing(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    ingest(store, tidy((1, "warning_cases", "1")), "1月.xlsx")
    batch = ingest(store, tidy((1, "warning_cases", "3"), (2, "warning_cases", "2")), "2月.xlsx")
    before = snapshot(store)

    def fail(*args: object) -> None:
        raise sa.exc.OperationalError("UPDATE batches", {}, Exception("connection lost"))

    monkeypatch.setattr(Figures, "_mark_undone", fail)  # runs after the values were restored
    with pytest.raises(StoreError, match="connection lost"):
        store.undo(batch)
    monkeypatch.undo()
    assert snapshot(store) == before


@pytest.mark.parametrize(("frame", "expected"), [
    pytest.param(tidy((1, "warning_cases", "1", "C3"), (1, "warning_cases", "2", "C9")), "出現兩次（另一次在 月報 C3）",
                 id="same month and field twice"),
    pytest.param(tidy((1, "warning_cases", "1")).assign(value=[1.5]), "不接受浮點數", id="float value"),
    pytest.param(tidy((1, "warning_cases", "1")).assign(value=[Decimal("NaN")]), "不是有限的數字", id="NaN"),
    pytest.param(tidy((1, "warning_cases", "1")).assign(value=[True]), "是「是／否」的值，不是數字", id="truth value"),
    pytest.param(tidy((1, "warning_cases", "1")).assign(value=["一二"]), r"不是數字（請填阿拉伯數字", id="not a number"),
    pytest.param(tidy((1, "warning_cases", "1")).drop(columns=["source_cell"]), "缺少欄位：source_cell",
                 id="missing column"),
])
def test_frames_the_readers_never_produce_are_refused(store: Store, frame: pd.DataFrame, expected: str) -> None:
    with pytest.raises(InputError, match=expected):
        store.ingest(frame, file_name="x.xlsx", file_bytes=b"x")
    assert store.history() == [] and store.is_empty()


def test_every_bad_row_is_reported_with_its_cell(store: Store) -> None:
    frame = tidy((1, "warning_cases", "1", "C3"), (2, "warning_cases", "1", "D3"), (3, "warning_cases", "1", "E3"))
    frame["value"] = [Decimal(1), 2.0, Decimal("Infinity")]
    with pytest.raises(InputError) as raised:
        store.ingest(frame, file_name="x.xlsx", file_bytes=b"x")
    assert [(p.file, p.sheet, p.cell, p.field) for p in raised.value.problems] == [
        ("月報.xlsx", "月報", "D3", "warning_cases"), ("月報.xlsx", "月報", "E3", "warning_cases")]


# ---- concurrency ----

UNITS = ("甲課", "乙課", "丙課", "丁課")
MONTHS = range(1, 7)


def _shared_value(process: int, month: int) -> int:
    return 100 * (process + 1) + month


def _upload_months(url: str, process: int, barrier, errors) -> None:
    try:
        barrier.wait(timeout=120)
        # Several processes may also be the first to create the schema. The lock wait is long here because
        # SQLite's busy handler is not fair: on a loaded machine one writer can lose the lock to the other three
        # for longer than the default wait, and the test is about lost updates, not about waiting.
        with Store(url, lock_wait_seconds=120) as store:
            for month in MONTHS:
                frame = pd.concat([
                    tidy((month, "warning_cases", str(month)), (month, "procurement_audits", str(10 * month)),
                         unit=UNITS[process]),
                    tidy((month, "complaints_completed", str(_shared_value(process, month)))),
                ], ignore_index=True)
                result = store.ingest(frame, file_name=f"{UNITS[process]}-{month}月.xlsx",
                                      file_bytes=f"{process}-{month}".encode(), uploader=UNITS[process])
                assert result.batch_id is not None, wording.ingested(result)
    except BaseException as error:  # reported to the parent, which fails the test
        errors.put(f"process {process}: {error!r}")


def test_concurrent_uploads_from_several_processes(store_url: str) -> None:
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(len(UNITS))
    errors = context.Queue()
    processes = [context.Process(target=_upload_months, args=(store_url, index, barrier, errors))
                 for index in range(len(UNITS))]
    for process in processes:
        process.start()
    for process in processes:
        process.join(timeout=240)
    reported = []
    while not errors.empty():
        reported.append(errors.get())
    assert reported == []
    assert [process.exitcode for process in processes] == [0] * len(UNITS)

    with Store(store_url) as store:
        for unit in UNITS:
            assert current(store, unit=unit) == {
                **{("warning_cases", month): str(month) for month in MONTHS},
                **{("procurement_audits", month): str(10 * month) for month in MONTHS},
            }
        history = store.history()
        assert len(history) == len(UNITS) * len(MONTHS)
        assert len({batch.id for batch in history}) == len(history)
        # the shared month was uploaded by every process: the batch that wrote last is current
        last_writer = {}
        for batch in sorted(history, key=lambda info: info.id):
            unit, month = batch.file_name.removesuffix("月.xlsx").split("-")
            last_writer[int(month)] = UNITS.index(unit)
        assert current(store) == {("complaints_completed", month): str(_shared_value(last_writer[month], month))
                                  for month in MONTHS}


def test_sqlite_uses_write_ahead_logging(tmp_path) -> None:
    with Store(f"sqlite:///{tmp_path / 'wal.sqlite3'}") as store:
        with store._engine.connect() as connection:
            assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 5000


# ---- schema version ----

def test_schema_version_is_recorded(store: Store) -> None:
    with store._engine.connect() as connection:
        versions = connection.execute(sa.text("SELECT version FROM schema_version")).scalars().all()
    assert versions == [SCHEMA_VERSION]
    with Store(store.url) as reopened:  # opening again neither fails nor records twice
        assert reopened.is_empty()
    with store._engine.connect() as connection:
        assert connection.execute(sa.text("SELECT count(*) FROM schema_version")).scalar() == 1


def test_a_newer_store_is_refused(store: Store) -> None:
    ingest(store, tidy((1, "warning_cases", "1")), "a.xlsx")
    with store._engine.begin() as connection:
        connection.execute(sa.text("INSERT INTO schema_version (version, applied_at) VALUES (:v, :t)"),
                           {"v": SCHEMA_VERSION + 1, "t": dt.datetime(2024, 1, 1)})
    with pytest.raises(StoreError, match=f"結構版本為 {SCHEMA_VERSION + 1}，比本程式支援的版本 {SCHEMA_VERSION} 新"):
        Store(store.url)


# ---- notes, scenarios, mappings ----

def test_notes_round_trip(store: Store) -> None:
    store.save_note(112, UNIT, 6, "2", "採購案件集中於下半年", "加強事前稽核排程", author="林專員")
    store.save_note(112, UNIT, 6, "8", "工程款尚未請領", "", author="林專員")
    store.save_note(112, UNIT, 7, "2", "七月的說明", "七月的措施")
    notes = store.notes(112, UNIT, 6)
    assert sorted(notes) == ["2", "8"]
    assert (notes["2"].reason, notes["2"].action, notes["2"].author) == ("採購案件集中於下半年", "加強事前稽核排程", "林專員")
    assert notes["2"].updated_at.tzinfo is not None

    store.save_note(112, UNIT, 6, "2", "改寫的原因", "改寫的措施", author="張科長")
    assert (store.notes(112, UNIT, 6)["2"].reason, store.notes(112, UNIT, 6)["2"].author) == ("改寫的原因", "張科長")
    store.save_note(112, UNIT, 6, "8", "  ", "")
    assert sorted(store.notes(112, UNIT, 6)) == ["2"]
    assert store.notes(112, "人事處", 6) == {}
    assert store.notes(112, UNIT, 7)["2"].action == "七月的措施"


def test_scenarios_round_trip(store: Store) -> None:
    payload = {"additions": {"procurement_audits": {"7": Decimal("12"), "8": Decimal("0.5")}}, "as_of": 8,
               "note": "下半年加強稽核", "targets": [1, 2.5, None, True]}
    store.save_scenario(112, UNIT, "加強稽核", payload)
    store.save_scenario(112, UNIT, "保守", {"additions": {}})
    assert store.scenarios(112, UNIT) == sorted(["加強稽核", "保守"])
    loaded = store.load_scenario(112, UNIT, "加強稽核")
    assert loaded == payload
    assert isinstance(loaded["additions"]["procurement_audits"]["8"], Decimal)
    store.save_scenario(112, UNIT, "保守", {"additions": {"warning_cases": {"9": Decimal(1)}}})
    assert store.load_scenario(112, UNIT, "保守") == {"additions": {"warning_cases": {"9": Decimal(1)}}}
    store.delete_scenario(112, UNIT, "保守")
    store.delete_scenario(112, UNIT, "保守")  # deleting twice is harmless
    assert store.scenarios(112, UNIT) == ["加強稽核"]
    with pytest.raises(StoreError, match="找不到 政風處 112 年度名為「保守」的情境"):
        store.load_scenario(112, UNIT, "保守")
    with pytest.raises(InputError, match="情境名稱不可空白"):
        store.save_scenario(112, UNIT, "  ", {})


def test_scenarios_of_one_unit_and_year_are_not_anothers(store: Store) -> None:
    store.save_scenario(112, UNIT, "同名", {"targets": {"1": "3"}})
    store.save_scenario(112, "人事處", "同名", {"targets": {"7": "45"}})
    store.save_scenario(113, UNIT, "同名", {"targets": {"1": "4"}})
    assert store.load_scenario(112, "人事處", "同名") == {"targets": {"7": "45"}}
    assert store.load_scenario(113, UNIT, "同名") == {"targets": {"1": "4"}}
    store.delete_scenario(112, "人事處", "同名")
    assert store.scenarios(112, "人事處") == [] and store.scenarios(112, UNIT) == ["同名"]


def test_mappings_round_trip(store: Store) -> None:
    period = {"year": 112, "unit": UNIT}
    assert store.load_mapping("公文系統", "發文日期|文號|發文方式", **period) is None
    store.save_mapping("公文系統", "發文日期|文號|發文方式", {"發文方式": "channel", "發文日期": "date"}, **period)
    store.save_mapping("會計系統", "發文日期|文號|發文方式", {"x": "y"}, **period)
    assert store.load_mapping("公文系統", "發文日期|文號|發文方式", **period) == {"發文方式": "channel", "發文日期": "date"}
    store.save_mapping("公文系統", "發文日期|文號|發文方式", {"發文方式": "method"}, **period)
    assert store.load_mapping("公文系統", "發文日期|文號|發文方式", **period) == {"發文方式": "method"}
    assert store.load_mapping("會計系統", "發文日期|文號|發文方式", **period) == {"x": "y"}


def test_a_mapping_belongs_to_its_unit_and_carries_over_to_later_years(store: Store) -> None:
    store.save_mapping("document_log", "sig", {"kind": "方向"}, year=112, unit=UNIT)
    assert store.load_mapping("document_log", "sig", year=112, unit="人事處") is None
    assert store.load_mapping("document_log", "sig", year=111, unit=UNIT) is None
    assert store.load_mapping("document_log", "sig", year=113, unit=UNIT) == {"kind": "方向"}
    store.save_mapping("document_log", "sig", {"kind": "收發"}, year=113, unit=UNIT)
    assert store.load_mapping("document_log", "sig", year=114, unit=UNIT) == {"kind": "收發"}
    assert store.load_mapping("document_log", "sig", year=112, unit=UNIT) == {"kind": "方向"}


# ---- URLs and times ----

def test_default_url(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    monkeypatch.delenv("KPI_DB_URL", raising=False)
    assert default_url().endswith("/data/kpi.sqlite3") and default_url().startswith("sqlite:///")
    url = f"sqlite:///{tmp_path / 'nested' / 'folder' / 'kpi.sqlite3'}"
    monkeypatch.setenv("KPI_DB_URL", url)
    with Store() as store:
        assert store.url == url and store.is_empty()
    assert (tmp_path / "nested" / "folder" / "kpi.sqlite3").exists()


@pytest.mark.parametrize(("url", "shown"), [
    ("postgresql+psycopg://kpi:secret@db.example:5432/kpi", "postgresql+psycopg://kpi:***@db.example:5432/kpi"),
    ("postgresql+psycopg://root@127.0.0.1:5432/test", "postgresql+psycopg://root@127.0.0.1:5432/test"),
    ("sqlite:///data/kpi.sqlite3", "sqlite:///data/kpi.sqlite3"),
])
def test_masked_url(url: str, shown: str) -> None:
    assert masked_url(url) == shown


@pytest.mark.parametrize(("url", "expected"), [
    ("mysql://root@localhost/kpi", "不支援的資料庫「mysql」"),
    ("not a url", "格式不正確"),
])
def test_unsupported_urls_are_refused(url: str, expected: str) -> None:
    with pytest.raises(StoreError, match=expected):
        Store(url)


def test_schema_option_is_for_postgresql_only(tmp_path) -> None:
    with pytest.raises(StoreError, match="只適用於 PostgreSQL"):
        Store(f"sqlite:///{tmp_path / 'x.sqlite3'}", schema="kpi")


@pytest.mark.postgres
def test_schema_option_isolates_postgresql_stores(postgres_server_url: str) -> None:
    import uuid

    names = [f"kpi_test_{uuid.uuid4().hex[:16]}" for _ in range(2)]
    try:
        with Store(postgres_server_url, schema=names[0]) as first, Store(postgres_server_url, schema=names[1]) as second:
            ingest(first, tidy((1, "warning_cases", "1")), "a.xlsx")
            assert not first.is_empty() and second.is_empty()
    finally:
        engine = sa.create_engine(postgres_server_url, poolclass=sa.pool.NullPool)
        with engine.begin() as connection:
            for name in names:
                connection.execute(sa.text(f'DROP SCHEMA IF EXISTS "{name}" CASCADE'))
        engine.dispose()


@pytest.mark.parametrize(("utc", "shown"), [
    (dt.datetime(2023, 3, 5, 6, 20, tzinfo=dt.timezone.utc), "112/03/05 14:20"),
    (dt.datetime(2023, 12, 31, 16, 30, tzinfo=dt.timezone.utc), "113/01/01 00:30"),
    (dt.datetime(2023, 1, 1, 0, 0, tzinfo=dt.timezone.utc), "112/01/01 08:00"),
])
def test_format_taiwan_time(utc: dt.datetime, shown: str) -> None:
    assert format_taiwan_time(utc) == shown


@pytest.mark.parametrize("statement", ["UPDATE audit_log SET account = 'someone else'", "DELETE FROM audit_log"])
def test_the_audit_trail_is_append_only_in_the_database_itself(store: Store, statement: str) -> None:
    from metrics.store import AuditEntry, Outcome

    store.record([AuditEntry("王小明（wang）", "上傳", Outcome.ALLOWED, "「月報.xlsx」第 1 批")])
    with pytest.raises(sa.exc.DBAPIError, match="操作紀錄只能新增，不能修改或刪除"):
        with store._engine.begin() as connection:
            connection.execute(sa.text(statement))
    assert [(row.account, row.action) for row in store.audit_log()] == [("王小明（wang）", "上傳")]


# ---- what the store keeps of a file name ----

def test_a_file_name_is_stored_masked_and_without_controls(store: Store) -> None:
    name = "A123456789_王小明\n\x1b[31m.csv"
    result = store.ingest(tidy((1, "warning_cases", "2"), file=name), file_name=name, file_bytes=b"x")
    assert wording.ingested(result).startswith("檔名含身分證號碼，為保護個人資料，已改以「A12****789_王○明[31m.csv」保存。")
    assert [batch.file_name for batch in store.history()] == ["A12****789_王○明[31m.csv"]
    assert set(store.current_frame(112, UNIT)["source_file"]) == {"A12****789_王○明[31m.csv"}
    everything = repr(store.history()) + store.current_frame().to_csv()
    assert "A123456789" not in everything and "王小明" not in everything and "\x1b" not in everything


def test_batch_numbers_have_no_gap_after_a_failed_write(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    assert ingest(store, tidy((1, "warning_cases", "1")), "一月.csv") == 1

    def fail(*_arguments, **_keywords):
        raise sa.exc.IntegrityError("INSERT", {}, Exception("磁碟已滿"))

    monkeypatch.setattr(Figures, "_record_changes", fail)
    with pytest.raises(StoreError):
        ingest(store, tidy((2, "warning_cases", "1")), "二月.csv")
    monkeypatch.undo()
    assert ingest(store, tidy((2, "warning_cases", "1")), "二月.csv") == 2  # a sequence would have given 3
    assert [batch.id for batch in store.history()] == [2, 1]


# ---- a writer that cannot get the lock gives up, in Chinese, and the next one works ----

def test_a_writer_gives_up_when_another_holds_the_lock(store_url: str) -> None:
    from metrics.errors import StoreBusy

    with Store(store_url, lock_wait_seconds=1) as store:
        holder = sa.create_engine(store_url, poolclass=sa.pool.NullPool)
        with holder.connect() as connection:
            if store_url.startswith("sqlite"):
                connection.exec_driver_sql("BEGIN IMMEDIATE")
            else:
                connection.begin()
                connection.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": store._lock_key})
            started = dt.datetime.now()
            with pytest.raises(StoreBusy, match="另一位同仁的上傳或修改正在進行中，等候 1 秒仍未輪到；這次未儲存任何資料"):
                ingest(store, tidy((1, "warning_cases", "1")), "一月.csv")
            waited = (dt.datetime.now() - started).total_seconds()
            connection.rollback()
        holder.dispose()
        assert waited < 30  # one wait, not five retries of 30 s as before
        assert store.history() == []
        assert ingest(store, tidy((1, "warning_cases", "1")), "一月.csv") == 1


# ---- a dropped connection is told in Chinese, and the next use reconnects ----

@pytest.mark.postgres
def test_a_dropped_connection_is_told_and_the_next_read_reconnects(postgres_url: str) -> None:
    import threading

    with Store(postgres_url) as store:
        ingest(store, tidy((1, "warning_cases", "1")), "一月.csv")
        admin = sa.create_engine(postgres_url, poolclass=sa.pool.NullPool)
        # Only this test's query: another test on the same server may be sleeping at the same moment.
        marker = f"dropped_sleeper_{uuid.uuid4().hex}"

        def drop_the_sleeper() -> None:
            with admin.connect() as connection:
                for _ in range(500):  # until the sleeping query has started (a busy machine may take seconds)
                    dropped = connection.execute(sa.text(
                        "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                        f"WHERE query LIKE '%{marker}%' AND pid <> pg_backend_pid()")).scalar()
                    if dropped:
                        return
                    connection.execute(sa.text("SELECT pg_sleep(0.05)"))

        killer = threading.Thread(target=drop_the_sleeper)
        killer.start()
        with pytest.raises(StoreError, match="的連線中斷（資料庫重新啟動或網路中斷），讀取資料未完成") as raised:
            with store._reading() as connection:
                connection.execute(sa.text(f"SELECT pg_sleep(30) AS {marker}"))
        killer.join()
        admin.dispose()
        assert "terminating" not in str(raised.value)
        assert current(store) == {("warning_cases", 1): "1"}  # the next read reconnects
        assert ingest(store, tidy((2, "warning_cases", "1")), "二月.csv") == 2
