"""Files chosen together that disagree (issue 13 item 2): found before anything is stored, shown side by side,
and settled by a choice per conflict. Expectations written out by hand."""

from __future__ import annotations

from decimal import Decimal

import pandas as pd
import pytest

from metrics.intake.conflicts import (FilesConflict, choose_file, conflict_table, file_headers, find_conflicts, resolve,
                               unresolved)
from metrics.intake.tidy import TIDY_COLUMNS

NAMES = {"warning_cases": "預警案件數", "procurement_audits": "採購稽核案件數"}


def frame(name: str, rows: list[tuple], sheet: str = "月報") -> pd.DataFrame:
    """rows: (month, field, value, cell) of 政風處 112, or (year, month, unit, field, value, cell)."""
    records = []
    for row in rows:
        year, month, unit, field, value, cell = row if len(row) == 6 else (112, row[0], "政風處", *row[1:])
        records.append((year, month, unit, field, Decimal(str(value)), name, sheet, cell))
    return pd.DataFrame(records, columns=list(TIDY_COLUMNS))


A = frame("A.xlsx", [(3, "warning_cases", 12, "D5"), (3, "procurement_audits", 7, "D6"), (4, "warning_cases", 1, "E5")])
B = frame("B.xlsx", [(3, "warning_cases", 4, "D5"), (3, "procurement_audits", 7, "D6")])
C = frame("C.csv", [(3, "warning_cases", "4.0", "E2"), (4, "warning_cases", 2, "E3")], sheet="")
EMPTY = frame("空.xlsx", [])


def summary(conflicts) -> list[tuple]:
    return [(conflict.year, conflict.month, conflict.unit, conflict.field,
             [(entry.file, entry.name, entry.value, entry.text) for entry in conflict.entries])
            for conflict in conflicts]


@pytest.mark.parametrize(("files", "expected"), [
    ([], []),
    ([("A.xlsx", A)], []),  # one file never conflicts with itself
    ([("A.xlsx", A), ("空.xlsx", EMPTY)], []),
    # March 預警 12 against 4; 採購稽核 7 in both is the same value: no conflict
    ([("A.xlsx", A), ("B.xlsx", B)],
     [(112, 3, "政風處", "warning_cases", [(0, "A.xlsx", Decimal(12), "12（月報!D5）"),
                                          (1, "B.xlsx", Decimal(4), "4（月報!D5）")])]),
    # 4 and 4.0 are the same number; April 1 against 2 in a CSV (no sheet: the cell alone)
    ([("B.xlsx", B), ("C.csv", C), ("A.xlsx", A)],
     [(112, 3, "政風處", "warning_cases", [(0, "B.xlsx", Decimal(4), "4（月報!D5）"),
                                          (1, "C.csv", Decimal("4.0"), "4（E2）"),
                                          (2, "A.xlsx", Decimal(12), "12（月報!D5）")]),
      (112, 4, "政風處", "warning_cases", [(1, "C.csv", Decimal(2), "2（E3）"),
                                          (2, "A.xlsx", Decimal(1), "1（月報!E5）")])]),
    # the same month and field of another unit or another year is another key
    ([("A.xlsx", A), ("D.xlsx", frame("D.xlsx", [(112, 3, "人事處", "warning_cases", 4, "D5"),
                                                 (113, 3, "政風處", "warning_cases", 4, "D5")]))], []),
    # zero is a value: 0 against 12 conflicts
    ([("A.xlsx", A), ("Z.xlsx", frame("Z.xlsx", [(3, "warning_cases", 0, "D5")]))],
     [(112, 3, "政風處", "warning_cases", [(0, "A.xlsx", Decimal(12), "12（月報!D5）"),
                                          (1, "Z.xlsx", Decimal(0), "0（月報!D5）")])]),
])
def test_find_conflicts(files, expected):
    assert summary(find_conflicts(files)) == expected


def test_two_files_of_the_same_name_are_told_apart_by_position():
    conflicts = find_conflicts([("月報.xlsx", A), ("月報.xlsx", B)])
    assert [entry.file for entry in conflicts[0].entries] == [0, 1]
    assert file_headers(["月報.xlsx", "月報.xlsx", "C.csv"]) == ["月報.xlsx（第 1 個檔案）", "月報.xlsx（第 2 個檔案）",
                                                                  "C.csv"]


def test_the_table_puts_the_files_side_by_side():
    names = ["B.xlsx", "C.csv", "A.xlsx"]
    conflicts = find_conflicts(list(zip(names, [B, C, A])))
    table = conflict_table(conflicts, names, NAMES)
    assert table.columns.tolist() == ["年月", "項目", "B.xlsx", "C.csv", "A.xlsx"]
    assert table.values.tolist() == [["112年3月", "預警案件數", "4（月報!D5）", "4（E2）", "12（月報!D5）"],
                                     ["112年4月", "預警案件數", "—", "2（E3）", "1（月報!E5）"]]


def test_the_table_names_the_unit_when_the_conflicts_span_several():
    other = frame("D.xlsx", [(112, 3, "人事處", "warning_cases", 9, "D5")])
    mine = frame("E.xlsx", [(112, 3, "人事處", "warning_cases", 8, "D5")])
    conflicts = find_conflicts([("A.xlsx", A), ("B.xlsx", B), ("D.xlsx", other), ("E.xlsx", mine)])
    table = conflict_table(conflicts, ["A.xlsx", "B.xlsx", "D.xlsx", "E.xlsx"], NAMES)
    assert table.columns.tolist() == ["單位", "年月", "項目", "A.xlsx", "B.xlsx", "D.xlsx", "E.xlsx"]
    assert table.values.tolist() == [["人事處", "112年3月", "預警案件數", "—", "—", "9（月報!D5）", "8（月報!D5）"],
                                     ["政風處", "112年3月", "預警案件數", "12（月報!D5）", "4（月報!D5）", "—", "—"]]


KEY_MARCH = (112, 3, "政風處", "warning_cases")
KEY_APRIL = (112, 4, "政風處", "warning_cases")


@pytest.mark.parametrize(("choices", "left"), [
    ({}, [KEY_MARCH, KEY_APRIL]),
    ({KEY_MARCH: 1}, [KEY_APRIL]),
    ({KEY_MARCH: 2, KEY_APRIL: 2}, [KEY_APRIL]),  # B.xlsx (2) has no April value: no choice
    ({KEY_MARCH: 5, KEY_APRIL: 0}, [KEY_MARCH]),  # no fifth file
    ({KEY_MARCH: 2, KEY_APRIL: 1}, []),
])
def test_unresolved(choices, left):
    conflicts = find_conflicts([("A.xlsx", A), ("C.csv", C), ("B.xlsx", B)])
    assert [conflict.key for conflict in unresolved(conflicts, choices)] == left


def values(frame: pd.DataFrame) -> list[tuple]:
    return [(int(month), field, value) for month, field, value in zip(frame["month"], frame["field"], frame["value"])]


def test_resolve_leaves_the_losing_value_out_and_keeps_the_rest():
    conflicts = find_conflicts([("A.xlsx", A), ("B.xlsx", B)])
    first, second = resolve([A, B], conflicts, {KEY_MARCH: 1})
    assert values(first) == [(3, "procurement_audits", Decimal(7)), (4, "warning_cases", Decimal(1))]
    assert values(second) == [(3, "warning_cases", Decimal(4)), (3, "procurement_audits", Decimal(7))]
    first, second = resolve([A, B], conflicts, {KEY_MARCH: 0})
    assert values(first) == values(A)
    assert values(second) == [(3, "procurement_audits", Decimal(7))]


def test_resolve_refuses_an_open_conflict():
    conflicts = find_conflicts([("A.xlsx", A), ("B.xlsx", B)])
    with pytest.raises(FilesConflict) as raised:
        resolve([A, B], conflicts, {})
    assert str(raised.value) == ("政風處 112年3月 warning_cases 在所選的檔案中數值不同：「A.xlsx」為 12（月報!D5）、"
                                 "「B.xlsx」為 4（月報!D5）；請選擇以哪個檔案為準，或不使用其中一個檔案")


@pytest.mark.parametrize(("file", "expected"), [
    (0, {KEY_MARCH: 0, KEY_APRIL: 0}),
    (1, {KEY_MARCH: 1, KEY_APRIL: 1}),
    (2, {KEY_MARCH: 2}),  # B.xlsx has no April value: April stays open
])
def test_choose_file_for_all(file, expected):
    conflicts = find_conflicts([("A.xlsx", A), ("C.csv", C), ("B.xlsx", B)])
    assert choose_file(conflicts, file) == expected


def test_the_choice_text_names_the_kept_value_and_the_others():
    conflict = find_conflicts([("A.xlsx", A), ("B.xlsx", B)])[0]
    assert conflict.choice_text(1, NAMES) == "112年3月 預警案件數 以「B.xlsx」的 4 為準（「A.xlsx」為 12）"
    assert conflict.choice_text(0, NAMES) == "112年3月 預警案件數 以「A.xlsx」的 12 為準（「B.xlsx」為 4）"
