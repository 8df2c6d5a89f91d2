"""Which months are complete (every field the plan's indicators use has that month's figure), hand-worked
on the 政風處 112 plan: 26 fields, all used by its 13 indicators; 21 flow fields… see needed_fields."""

from __future__ import annotations

from decimal import Decimal

import pandas as pd
import pytest

from catalogues import PLAN_112
from metrics.evaluation.completeness import (Delivery, checklist_details, checklist_frame, incomplete_after, latest_complete_month,
                                  lacking_text, month_completeness, needed_fields, period_notice, source_of_fields,
                                  with_frame)
from metrics.evaluation.figures import Figures
from metrics.intake.tidy import TIDY_COLUMNS

NEEDED = needed_fields(PLAN_112)
STOCK = ("new_positions", "reduced_contract", "reduced_temp", "contract_budget_positions", "temp_budget_positions",
         "hakka_certified", "staff_headcount", "budget_amount", "actual_spent", "payables", "savings", "reserved")


def full(months, *, without: dict[int, tuple[str, ...]] | None = None) -> Figures:
    """Every needed field reported in each of `months`, less the (month → fields) in `without`."""
    without = without or {}
    values: dict[str, dict[int, int]] = {}
    for month in months:
        for code in NEEDED:
            if code not in without.get(month, ()):
                values.setdefault(code, {})[month] = 1
    return Figures.from_mapping(PLAN_112, values)


def test_the_plan_needs_all_its_26_fields() -> None:
    assert len(NEEDED) == 26 and set(NEEDED) == set(PLAN_112.field_by_code)
    assert sum(len(fields) for fields in source_of_fields(PLAN_112).values()) == 26
    assert source_of_fields(PLAN_112)["roster"] == ("hakka_certified", "staff_headcount")
    assert source_of_fields(PLAN_112)["template"] == STOCK[:5]  # the five 員額 fields no export delivers


@pytest.mark.parametrize(("figures", "month", "missing", "carried"), [
    (full([]), 1, NEEDED, ()),  # nothing at all
    (full([1, 2, 3]), 3, (), ()),  # complete
    (full([1, 2, 3]), 4, tuple(code for code in NEEDED if code not in STOCK), tuple((code, 3) for code in STOCK
                                                                                    if code in NEEDED)),
    # one flow figure missing in March
    (full([1, 2, 3], without={3: ("warning_cases",)}), 3, ("warning_cases",), ()),
    # a stock figure missing in March: February's stands in, but March is not complete
    (full([1, 2, 3], without={3: ("actual_spent",)}), 3, (), (("actual_spent", 2),)),
    # a stock figure never reported: missing, not carried
    (full([1], without={1: ("budget_amount",)}), 1, ("budget_amount",), ()),
    # a zero is a figure (Figures.from_mapping keeps it)
    (Figures.from_mapping(PLAN_112, {code: {1: 0} for code in NEEDED}), 1, (), ()),
])
def test_month_completeness(figures: Figures, month: int, missing, carried) -> None:
    entry = month_completeness(figures, month)
    assert entry.missing == tuple(missing)
    assert entry.carried == tuple(carried)
    assert entry.complete == (not missing and not carried)


@pytest.mark.parametrize(("figures", "latest"), [
    (full([]), None),
    (full([1, 2, 3]), 3),
    (full([1, 2, 3, 4], without={4: ("warning_cases",)}), 3),  # one April figure short: March stays
    (full([1, 2, 3], without={2: ("payables",)}), 3),  # a gap earlier does not hold the later months back
    (full([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]), 12),
    (full([1], without={1: ("self_created_drafts",)}), None),
])
def test_latest_complete_month(figures: Figures, latest: int | None) -> None:
    assert latest_complete_month(figures) == latest


def test_the_wording_names_the_missing_fields_as_users_know_them() -> None:
    figures = full([1, 2, 3, 4], without={4: ("warning_cases", "procurement_audits", "actual_spent")})
    entry = month_completeness(figures, 4)
    assert entry.delivery("warning_cases") is Delivery.MISSING
    assert entry.delivery("actual_spent") is Delivery.CARRIED
    assert entry.delivery("budget_amount") is Delivery.DELIVERED
    assert lacking_text(PLAN_112, entry) == "112年4月尚缺 3 項：預警案件數、採購稽核案件數、實支數(累計)（沿用3月）"
    assert lacking_text(PLAN_112, entry, limit=2) == "112年4月尚缺 3 項：預警案件數、採購稽核案件數等"
    assert period_notice(PLAN_112, figures, 4) == (
        "112年4月尚缺 3 項：預警案件數、採購稽核案件數、實支數(累計)（沿用3月）。最近一個數字齊全的月份是 112年3月；"
        "未齊全的月份，指標可能因缺數字而顯示落後。")
    assert period_notice(PLAN_112, figures, 3) is None
    assert "112 年尚無數字齊全的月份" in period_notice(PLAN_112, full([1], without={1: ("reserved",)}), 1)


def tidy(rows: list[tuple[int, str, int]], unit: str = "政風處", year: int = 112) -> pd.DataFrame:
    return pd.DataFrame([(year, month, unit, code, Decimal(value), "f.csv", "", "A1") for month, code, value in rows],
                        columns=list(TIDY_COLUMNS))


def test_what_an_upload_would_leave_incomplete() -> None:
    current = full([1, 2, 3], without={3: ("warning_cases",)})
    # the upload fills March's gap and brings one April figure
    frame = tidy([(3, "warning_cases", 2), (4, "warning_cases", 1)])
    after = with_frame(current, frame)
    assert after.values["warning_cases"] == {1: 1, 2: 1, 3: 2, 4: 1}
    assert [entry.month for entry in incomplete_after(current, frame)] == [4]
    assert len(incomplete_after(current, frame)[0].lacking) == 25
    assert incomplete_after(current, tidy([(3, "warning_cases", 2)])) == []  # March is now complete
    assert incomplete_after(current, tidy([(4, "warning_cases", 1)], unit="人事處")) == []  # another unit's


def test_the_checklist_months_by_sources() -> None:
    figures = full([1, 2, 3, 4], without={4: ("warning_cases", "budget_amount", "actual_spent", "payables", "savings",
                                              "reserved")})
    figures.values["staff_headcount"][5] = Decimal(30)
    table = checklist_frame(figures)
    assert list(table.columns) == ["月份", "月報範本", "公文清單", "人事名冊", "歲出預算執行表", "政風案件紀錄", "齊全"]
    assert table.iloc[0].tolist() == ["112年1月", "✓", "✓", "✓", "✓", "✓", "✓"]
    assert table.iloc[3].tolist() == ["112年4月", "✓", "✓", "✓", "未上傳", "缺 1 項", "—"]
    assert table.iloc[4].tolist() == ["112年5月", "未上傳", "未上傳", "缺 1 項", "未上傳", "未上傳", "—"]
    assert len(table) == 12
    details = checklist_details(figures)
    assert len(details) == 2  # April and May; nothing after the latest reported month
    assert details[0] == ("112年4月：歲出預算執行表 缺 預算數、實支數(累計)、應付數(累計)、節餘數(累計)、控留數(累計)；"
                          "政風案件紀錄 缺 預警案件數")
    assert details[1].startswith("112年5月：月報範本 缺 新增(含解控)預算員額數")
    assert checklist_details(full([])) == []
