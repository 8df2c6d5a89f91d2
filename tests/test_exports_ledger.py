"""歲出預算執行表 → the five cumulative amounts in 千元, never adding a parent to its children."""

from __future__ import annotations

from decimal import Decimal

import pytest

from catalogues import PLAN_112
from metrics.errors import InputError
from metrics.intake.exports import ExportOptions, read_export
from metrics.intake.exports.common import period_in_titles
from synthetic_exports import csv_bytes, xlsx_bytes

TITLES = [["新竹縣政府政風處 112年度歲出預算執行表"], ["112年1月至10月", None, None, None, None, None, "單位：元"]]
HEADER = ["科目代碼", "科目名稱", "預算數", "累計實支數", "應付數", "節餘數", "控留數"]
LINES = [  # rows 4..8: 5 is the parent of 51 and 52; 51 the parent of 5101 and 5102
    ["5", "一般行政", "10,000,000", "7,000,500", "200,000", "50,000", "100,000"],
    ["51", "人事費", "6,000,000", "4,500,000", "-", "0", "-"],
    ["5101", "法定編制人員待遇", 5000000, 3800000, None, None, None],
    ["5102", "加班值班費", "1,000,000", "700,000", "-", "-", "-"],
    ["52", "業務費", "4,000,000", "2,500,500", "200,000", "50,000", "100,000"],
]
TOTAL = ["合計", None, "10,000,000", "7,000,500", "200,000", "50,000", "100,000"]
EXPECTED = {"budget_amount": Decimal("10000"), "actual_spent": Decimal("7000.5"), "payables": Decimal("200"),
            "savings": Decimal("50"), "reserved": Decimal("100")}


def values_of(frame) -> dict[str, Decimal]:
    assert set(frame["month"]) <= {10}
    return dict(zip(frame["field"], frame["value"]))


def ledger(kind: str = "xlsx", titles=TITLES, header=HEADER, lines=LINES, total=True) -> tuple[bytes, str]:
    rows = [*titles, header, *lines, *([TOTAL] if total else [])]
    if kind == "xlsx":
        return xlsx_bytes(rows, sheet="執行表"), "執行表.xlsx"
    return csv_bytes(rows, encoding="cp950"), "執行表.csv"


@pytest.mark.parametrize("kind", ["xlsx", "csv"])
@pytest.mark.parametrize("total", [True, False])
def test_amounts_in_yuan_become_thousands_without_double_counting(kind: str, total: bool) -> None:
    data, name = ledger(kind, total=total)
    result = read_export(data, name, PLAN_112)
    assert result.source == "ledger"
    assert values_of(result.frame) == EXPECTED
    assert result.months == (10,)
    cells = dict(zip(result.frame["field"], result.frame["source_cell"]))
    if total:
        assert cells["budget_amount"] == "C9（合計列）"
        assert any("使用第 9 列的合計數" in note for note in result.notes)
    else:
        assert cells["budget_amount"] == "第 6–8 列（3 筆）加總"
        assert any("依科目代碼加總沒有下層的科目：3 列明細，略過 2 列上層科目" in note for note in result.notes)


def test_outline_levels_pick_the_leaves_and_parentheses_are_negative() -> None:
    header = ["層級", "科目名稱", "預算數(千元)", "實支數(千元)", "應付數(千元)"]
    lines = [
        [1, "總務", "1,000", "790", "-"],
        [2, "甲", "600", "500", "-"],
        [2, "乙", "400", "290", "-"],
        [3, "乙之一", "250", "200", "5"],
        [3, "乙之二", "150", "(10)", "-"],
        [2, "乙小計", "400", "190", "5"],
    ]
    data = xlsx_bytes([header, *lines])
    result = read_export(data, "a.xlsx", PLAN_112, month=5)
    assert dict(zip(result.frame["field"], result.frame["value"])) == {
        "budget_amount": Decimal(1000), "actual_spent": Decimal(690), "payables": Decimal(5)}
    assert set(result.frame["month"]) == {5}
    assert any("未產生該項" in note and "節餘數" in note for note in result.notes)


@pytest.mark.parametrize(("unit_title", "options", "budget"), [
    ("單位：新臺幣元", ExportOptions(), Decimal("1234.567")),
    ("單位:千元", ExportOptions(), Decimal("1234567")),
    ("金額單位：萬元", ExportOptions(), Decimal("12345670")),
    ("", ExportOptions(amount_unit="元"), Decimal("1234.567")),
    ("", ExportOptions(amount_unit="千元"), Decimal("1234567")),
])
def test_the_unit_comes_from_the_title_or_the_caller(unit_title: str, options: ExportOptions, budget: Decimal) -> None:
    rows = [["112年度歲出預算執行表 截至112年10月31日"], [unit_title], ["科目名稱", "預算數", "實支數"],
            ["合計", "1,234,567", "0"]]
    result = read_export(csv_bytes(rows), "a.csv", PLAN_112, options=options)
    assert values_of(result.frame)["budget_amount"] == budget


def test_without_a_unit_the_caller_is_asked() -> None:
    rows = [["截至112年10月31日"], ["科目名稱", "預算數", "實支數"], ["合計", "1,234,567", "0"]]
    with pytest.raises(InputError) as caught:
        read_export(csv_bytes(rows), "a.csv", PLAN_112)
    assert "無法判斷金額單位" in str(caught.value)


def test_month_from_a_date_column() -> None:
    rows = [["單位：千元"], ["科目名稱", "預算數", "實支數", "資料日期"],
            ["合計", "100", "50", "112/09/30"]]
    assert read_export(csv_bytes(rows), "a.csv", PLAN_112).months == (9,)


@pytest.mark.parametrize(("lines", "words"), [
    ([["51", "人事費", "abc", "1"]], "預算數的內容不是金額"),
    ([["51", "人事費", "12,34", "1"]], "預算數「12,34」不是金額"),
    ([["合計", None, "1", "1"], ["總計", None, "1", "1"], ["總計", None, "1", "1"]], "有 2 列合計"),
    ([["51", "人事費", "-5", "1"]], "預算數合計為負數（-0.005 千元）"),
    ([["51", "人事費", "5", "1"], [None, "其他", "5", "1"]], "科目代碼空白但有金額"),
])
def test_bad_ledgers_are_explained(lines: list, words: str) -> None:
    rows = [["截至112年10月31日 單位：元"], ["科目代碼", "科目名稱", "預算數", "實支數"], *lines]
    with pytest.raises(InputError) as caught:
        read_export(xlsx_bytes(rows), "a.xlsx", PLAN_112)
    assert words in str(caught.value)


def test_a_total_that_disagrees_with_its_lines_is_noted() -> None:
    lines = [*LINES[:-1], ["52", "業務費", "4,000,000", "2,500,000", "200,000", "50,000", "100,000"]]
    data, name = ledger(lines=lines)
    result = read_export(data, name, PLAN_112)
    assert values_of(result.frame)["actual_spent"] == Decimal("7000.5")
    assert any("合計列 7,000.5 千元與明細加總 7,000 千元不同" in note for note in result.notes)


@pytest.mark.parametrize(("lines", "expected"), [
    (["112年1月至10月"], (112, 10)),
    (["截至112年10月31日"], (112, 10)),
    (["資料期間：112/01/01-112/09/30"], (112, 9)),
    (["中華民國112年8月份"], (112, 8)),
    (["2023年7月"], (112, 7)),
    (["112年度歲出預算執行表", "列印日期：112/11/02"], None),
    (["112年度"], None),
    (["報表 112年1-6月", "製表日期：112年7月3日"], (112, 6)),
])
def test_period_in_titles(lines: list[str], expected) -> None:
    assert period_in_titles(lines) == expected
