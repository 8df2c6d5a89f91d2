"""The rows an export reads but does not count are named with their Excel row number and the reason
(「讀取 14 列，計入 11 列」 says which 3 and why); hand-worked from the source tests' tables."""

from __future__ import annotations

import numpy as np
import pytest

from catalogues import PLAN_112
from metrics.intake.exports import ExportOptions, read_export
from metrics.intake.exports.common import LeftOut, left_out_rows
from synthetic_exports import xlsx_bytes
from test_exports_case_log import CASES, HEADER as CASE_HEADER
from test_exports_document_log import HEADER as DOCUMENT_HEADER, ROWS as DOCUMENTS, TITLES as DOCUMENT_TITLES
from test_exports_ledger import ledger
from test_exports_roster import roster

PAPER = "不屬任何計算項目（例如紙本來文以紙本簽核）"
BLANK = "空白列或表尾說明列"


def read_rows(rows, options: ExportOptions | None = None):
    return read_export(xlsx_bytes(rows), "匯出.xlsx", PLAN_112, options=options)


@pytest.mark.parametrize(("extra", "options", "expected"), [
    # rows 4..14 are the 11 letters; row 10 is a paper letter signed on paper, which no field counts
    ([], None, [(10, PAPER)]),
    # a blank row and a footer below the data
    ([[None] * 10, ["共 11 筆"]], None, [(10, PAPER), (15, BLANK), (16, BLANK)]),
    # row 15 repeats row 4 (same 文號 and 收發別): counted twice unless the office asks otherwise
    ([DOCUMENTS[0]], None, [(10, PAPER)]),
    ([DOCUMENTS[0]], ExportOptions(deduplicate=True), [(10, PAPER), (15, "文號與收發別和前面的列相同，依設定只計一次")]),
])
def test_document_log_rows_left_out(extra, options, expected) -> None:
    result = read_rows([*DOCUMENT_TITLES, DOCUMENT_HEADER, *DOCUMENTS, *extra], options)
    assert list(result.left_out.rows) == expected
    assert result.left_out.total == len(expected) == result.rows_read - result.rows_used


def test_case_log_rows_left_out() -> None:
    result = read_rows([CASE_HEADER, *CASES])  # rows 2..15
    assert list(result.left_out.rows) == [(3, "尚無結案日期（案件未完成）"), (7, "尚無結案日期（案件未完成）"),
                                          (15, "案件類別不屬任何指標")]
    assert result.left_out.by_reason == (("尚無結案日期（案件未完成）", 2), ("案件類別不屬任何指標", 1))
    assert (result.rows_read, result.rows_used) == (14, 11)


def test_roster_rows_left_out() -> None:
    data, name = roster()  # title, header, people in rows 3..10; 張淑芬 (臨時人員) row 6 and 李建宏 (技工) row 7
    result = read_export(data, name, PLAN_112)
    assert list(result.left_out.rows) == [(6, "人員類別不計入（例如臨時人員、工友）"),
                                          (7, "人員類別不計入（例如臨時人員、工友）")]


@pytest.mark.parametrize(("total", "expected"), [
    (True, [(row, "已使用全表的合計列，明細不另加總") for row in range(4, 9)]),
    (False, [(4, "上層科目（已加總其下層科目）"), (5, "上層科目（已加總其下層科目）")]),  # 5 and 51 have children
])
def test_ledger_rows_left_out(total: bool, expected) -> None:
    data, name = ledger(total=total)
    assert list(read_export(data, name, PLAN_112).left_out.rows) == expected


@pytest.mark.parametrize(("count", "shown", "more"), [(0, 0, 0), (1, 1, 0), (20, 20, 0), (21, 20, 1), (45, 20, 25)])
def test_at_most_twenty_rows_are_listed(count: int, shown: int, more: int) -> None:
    rows = np.arange(2, 2 + 50)
    used = np.ones(50, dtype=bool)
    used[:count] = False
    left_out = left_out_rows(rows, used, [], "不屬任何計算項目")
    assert (len(left_out.rows), left_out.more, left_out.total) == (shown, more, count)
    assert [row for row, _ in left_out.rows] == list(range(2, 2 + shown))


def test_the_first_matching_reason_wins_and_blank_rows_sort_in() -> None:
    rows = np.array([3, 4, 6, 7])
    used = np.array([False, False, True, False])
    reasons = [(np.array([True, False, False, False]), "甲"), (np.array([True, True, False, False]), "乙")]
    left_out = left_out_rows(rows, used, reasons, "其他", blank_rows=np.array([5]))
    assert left_out == LeftOut(((3, "甲"), (4, "乙"), (5, BLANK), (7, "其他")), 4,
                               (("甲", 1), ("乙", 1), ("其他", 1), (BLANK, 1)))
