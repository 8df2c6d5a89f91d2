"""Growth over a base year (formula = "growth"), hand-computed as shared/spec/indicator-kinds.md §5 defines it, on
tests/fixture_kinds/114/丁處.toml: 10 觀光人次較 113 年成長 5 % (a flow, base from the store), 11 事故件數較 110 年
減少 10 % (a flow ceiling, target −10, base_value 1,200 pro-rated), 12 充電站數較 110 年成長 0 % 以上 (a stock,
base_value 40 as it is)."""

from dataclasses import replace
from decimal import Decimal
from fractions import Fraction as F

import pandas as pd
import pytest

from metrics.evaluation.core import BEHIND, MET, evaluate, evaluate_indicator
from metrics.evaluation.figures import Figures
from metrics.plans.formulas import NO_DATA, NOT_APPLICABLE
from metrics.outputs.presentation import formula_text, gauge_lines
from test_kinds_evaluation import PLAN, months

STORE_NOTE = "基準：113 年同期觀光人次 {} 人次（資料庫）"


def figures(this: dict[str, dict[int, int]], base: dict[int, dict[str, dict[int, int]]] | None = None) -> Figures:
    def exact(fields):
        return {code: {month: Decimal(value) for month, value in by_month.items()} for code, by_month in fields.items()}

    return Figures(PLAN, exact(this), {year: exact(fields) for year, fields in (base or {}).items()})


def result(indicator_id: str, month: int, this, base=None):
    indicator = PLAN.indicator_by_id[indicator_id]
    return evaluate_indicator(indicator, PLAN.goal_by_number[1], figures(this, base), month, F(indicator.target),
                              F(indicator.weight))


def check(found, actual, status, achievement, gap, gap_text, note):
    assert (found.actual, found.status, found.achievement, found.gap, found.gap_text, found.computation.note) == \
        (actual, status, achievement, gap, gap_text, note)


@pytest.mark.parametrize(("this", "base", "actual", "status", "achievement", "gap", "gap_text"), [
    # (330 − 300) ÷ 300 × 100 = 10: met; achievement 10 ÷ 5 clamped to 1
    (months(100, 110, 120), months(100, 100, 100), F(10), MET, F(1), F(0), "已達標"),
    # (314 − 300) ÷ 300 × 100 = 4.666… → 4.67: achievement 4.67 ÷ 5, still 0.33 to go
    (months(100, 100, 114), months(100, 100, 100), F(467, 100), BEHIND, F(467, 500), F(33, 100), "還需 0.33 %"),
    # 100 ÷ 2,002 × 100 = 4.99500… → 5.00 (half up): met as shown
    ({3: 2102}, {3: 2002}, F(5), MET, F(1), F(0), "已達標"),
    # 100 ÷ 2,003 × 100 = 4.99251… → 4.99
    ({3: 2103}, {3: 2003}, F(499, 100), BEHIND, F(499, 500), F(1, 100), "還需 0.01 %"),
    # a fall: −10 %, achievement clamped to 0
    (months(90, 90, 90), months(100, 100, 100), F(-10), BEHIND, F(0), F(15), "還需 15 %"),
])
def test_growth_over_a_stored_base_year(this, base, actual, status, achievement, gap, gap_text):
    found = result("10", 3, {"visitors": this}, {113: {"visitors": base}})
    check(found, actual, status, achievement, gap, gap_text, STORE_NOTE.format(f"{sum(base.values()):,}"))


@pytest.mark.parametrize(("this", "base", "status", "note"), [
    (months(10), None, NO_DATA, "缺少 113 年（基準年度）的觀光人次，計畫也沒有基準值（base_value）"),
    (months(10), {112: {"visitors": months(5)}}, NO_DATA,  # another year is not the base year
     "缺少 113 年（基準年度）的觀光人次，計畫也沒有基準值（base_value）"),
    (months(10), {113: {"visitors": months(0)}}, NOT_APPLICABLE, STORE_NOTE.format(0) + "；基準為 0，本指標不適用"),
    ({}, {113: {"visitors": months(7)}}, NO_DATA, STORE_NOTE.format(7) + "；本年度尚無填報資料"),
])
def test_growth_without_a_base_or_without_figures(this, base, status, note):
    found = result("10", 1, {"visitors": this} if this else {}, base)
    assert (found.actual, found.status, found.computation.note, found.gap_text) == (None, status, note, "")


PLAN_NOTE = "基準：計畫所訂 110 年全年事故件數 1,200 件 × {m} ÷ 12 ＝ {base} 件"


@pytest.mark.parametrize(("month", "total", "actual", "status", "achievement", "gap", "gap_text"), [
    # base 1,200 × 6 ÷ 12 = 600: (540 − 600) ÷ 600 = −10 % ≤ −10: met, achievement −10 ÷ −10
    (6, 540, F(-10), MET, F(1), F(0), "已達標"),
    (6, 480, F(-20), MET, F(1), F(0), "已達標"),  # −20 ÷ −10 = 2, clamped to 1
    # −5 % is 5 points above the ceiling of −10 %; achievement −5 ÷ −10
    (6, 570, F(-5), BEHIND, F(1, 2), F(5), "超出 5 %"),
    (6, 660, F(10), BEHIND, F(0), F(20), "超出 20 %"),  # a rise: 10 ÷ −10 < 0, clamped to 0
    (12, 1080, F(-10), MET, F(1), F(0), "已達標"),  # December: the whole base year
])
def test_a_fall_of_a_flow_against_a_planned_base_value(month, total, actual, status, achievement, gap, gap_text):
    found = result("11", month, {"accidents": {month: total}})
    check(found, actual, status, achievement, gap, gap_text,
          PLAN_NOTE.format(m=month, base=f"{1200 * month // 12:,}"))


def test_a_stored_base_year_comes_before_the_plans_base_value():
    found = result("11", 6, {"accidents": {6: 540}}, {110: {"accidents": {1: 300, 6: 300}}})
    assert (found.actual, found.computation.note) == (F(-10), "基準：110 年同期事故件數 600 件（資料庫）")


@pytest.mark.parametrize(("stations", "actual", "status", "achievement", "gap", "gap_text"), [
    (44, F(10), MET, F(1), F(0), "已達標"),  # (44 − 40) ÷ 40 = 10 %; a target of 0 met is achievement 1
    (40, F(0), MET, F(1), F(0), "已達標"),
    (38, F(-5), BEHIND, F(0), F(5), "還需 5 %"),  # a target of 0 missed is achievement 0
])
def test_growth_of_a_stock_against_a_planned_base_value(stations, actual, status, achievement, gap, gap_text):
    found = result("12", 5, {"stations": {2: 1, 5: stations}})
    check(found, actual, status, achievement, gap, gap_text, "基準：計畫所訂 110 年充電站數 40 站")


def test_growth_reads_with_its_base_and_the_gauge_says_where_the_base_came_from():
    this, base = {"visitors": months(100, 110, 120)}, {113: {"visitors": months(100, 100, 100)}}
    found = result("10", 3, this, base)
    assert formula_text(found, figures(this, base)) == "(觀光人次 330 − 113 年基準 300) ÷ 300 × 100% ＝ 10%（較 113 年）"
    assert STORE_NOTE.format(300) in gauge_lines(found, figures(this, base))


def test_the_base_year_comes_from_the_same_frame_for_the_same_unit():
    rows = [(114, 1, "丁處", "visitors", 110), (113, 1, "丁處", "visitors", 100), (113, 1, "戊處", "visitors", 1),
            (112, 1, "丁處", "visitors", 50)]
    frame = pd.DataFrame([{"year": y, "month": m, "unit": u, "field": f, "value": Decimal(v), "source_file": "x",
                           "source_sheet": "", "source_cell": ""} for y, m, u, f, v in rows])
    loaded = Figures.from_frame(PLAN, frame)
    assert loaded.base_values == {113: {"visitors": {1: Decimal(100)}}}
    assert Figures.for_plans([PLAN], frame)[PLAN.key].base_values == loaded.base_values
    rows = {row["id"]: row for row in (r.to_json() for r in evaluate(loaded, 1).results)}
    assert (rows["10"]["kind"], rows["10"]["actual"], rows["10"]["status"]) == ("growth", 10, "met")


def test_the_what_if_editor_takes_a_growth_target_of_0_or_less_and_refuses_it_elsewhere():
    from metrics.outputs.presentation import read_targets_table, targets_table

    table = targets_table(PLAN)
    table.loc[table["指標"] == "11", "模擬目標值"] = -15.0
    table.loc[table["指標"] == "12", "模擬目標值"] = 0.0
    table.loc[table["指標"] == "1", "模擬目標值"] = -5.0
    targets, _, problems = read_targets_table(table, PLAN)
    assert targets == {"11": Decimal(-15)}  # 12's 0 is its plan target already
    assert [problem.message for problem in problems] == [
        "指標 1（死亡人數上限）的模擬目標值（目前是 -5）須為大於 0 的數字，暫以計畫目標值 24 計算。"]


# ---- property: for any figures, the shown value, status and achievement follow §5 exactly ----

from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402


def half_up(value: F, places: int) -> F:
    shifted = value * 10**places + F(1, 2)
    return F(shifted.numerator // shifted.denominator, 10**places)


@settings(max_examples=200, deadline=None)
@given(this=st.lists(st.integers(0, 500), min_size=1, max_size=12), base=st.integers(1, 20_000))
def test_a_fall_against_a_planned_base_follows_the_spec(this, base):
    month = len(this)
    indicator = PLAN.indicator_by_id["11"]
    found = evaluate_indicator(replace(indicator, base_value=Decimal(base)), PLAN.goal_by_number[1],
                               figures({"accidents": months(*this)}), month, F(-10), F(indicator.weight))
    base_then = F(base) * month / 12
    shown = half_up((sum(this) - base_then) / base_then * 100, 2)
    assert found.actual == shown
    assert found.status == (MET if shown <= -10 else BEHIND)
    assert found.achievement == min(max(shown / -10, F(0)), F(1))


@settings(max_examples=200, deadline=None)
@given(stations=st.integers(0, 200), target=st.integers(-50, 50))
def test_growth_of_a_stock_follows_the_spec(stations, target):
    found = evaluate_indicator(PLAN.indicator_by_id["12"], PLAN.goal_by_number[1], figures({"stations": {4: stations}}),
                               4, F(target), F(10))
    shown = half_up(F(stations - 40, 40) * 100, 2)
    assert (found.actual, found.status) == (shown, MET if shown >= target else BEHIND)
    expected = (F(1) if shown >= 0 else F(0)) if target == 0 else min(max(shown / target, F(0)), F(1))
    assert found.achievement == expected


def test_a_gauge_makes_room_below_0_for_a_fall():
    from metrics.outputs.charts import gauge_figure

    found = result("11", 6, {"accidents": {6: 480}})  # −20 % against a ceiling of −10 %
    gauge = gauge_figure(found).data[0].gauge
    assert list(gauge.axis.range) == [-25, 100]
    assert [(step.name, list(step.range)) for step in gauge.steps] == [("met", [-25, -10]), ("behind", [-10, 100])]
