"""Ceilings (direction = "at_most") and quotients (formula = "quotient"), hand-computed as
shared/spec/indicator-kinds.md §1–§2 defines them, on the fixture plan tests/fixture_kinds/114/丁處.toml:

1 死亡人數 ≤ 24 人 (count, accruing ceiling)    2 平均處理天數 ≤ 5 日 (quotient, places 1, ceiling)
3 每萬人口犯罪率 ≤ 30 件 (quotient × 10000, places 2, ceiling)    4 每萬人口志工數 ≥ 12.5 人 (quotient × 10000,
places 1)    5 逾期結案比率 ≤ 10 % (percent, ceiling)
"""

from decimal import Decimal
from fractions import Fraction as F
from pathlib import Path

import pytest

from metrics.plans.catalogue import load_catalogue
from metrics.evaluation.core import BEHIND, MET, ON_TRACK, evaluate, evaluate_indicator, pace_score
from metrics.evaluation.figures import Figures
from metrics.plans.formulas import NO_DATA, NOT_APPLICABLE
from metrics.plans.kinds import Direction
from metrics.outputs.presentation import formula_text

KINDS_PLANS = Path(__file__).resolve().parent / "fixture_kinds"
CATALOGUE = load_catalogue(KINDS_PLANS)
PLAN = CATALOGUE.plan(114, "丁處")


def figures(**fields: dict[int, int | Decimal]) -> Figures:
    return Figures(PLAN, {code: {month: Decimal(value) for month, value in months.items()}
                          for code, months in fields.items()})


def result(indicator_id: str, month: int, target: F | None = None, **fields: dict[int, int]):
    indicator = PLAN.indicator_by_id[indicator_id]
    goal = PLAN.goal_by_number[indicator.goal]
    target = F(indicator.target) if target is None else target
    return evaluate_indicator(indicator, goal, figures(**fields), month, target, F(indicator.weight))


def check(found, actual, status, achievement, gap, gap_text):
    assert (found.actual, found.status, found.achievement, found.gap, found.gap_text) == \
        (actual, status, achievement, gap, gap_text)


def months(*values: int) -> dict[int, int]:
    return dict(enumerate(values, start=1))


# ---- §1 a ceiling on an accruing count: pace before month 12, met or not at month 12 ----

@pytest.mark.parametrize(("month", "deaths", "target", "actual", "status", "achievement", "gap", "gap_text"), [
    # pace 24 × 3 ÷ 12 = 6: 6 is on pace; achievement 24 ÷ 6 capped at 1
    (3, months(2, 2, 2), None, F(6), ON_TRACK, F(1), F(0), "未超出進度"),
    # 7 > 6: behind pace by 1 person; 24 ÷ 7 > 1 → 1
    (3, months(3, 2, 2), None, F(7), BEHIND, F(1), F(1), "超出進度 1 人"),
    # pace 25 × 1 ÷ 12 = 2.083…: 3 exceeds it by 0.92 → 1 whole person
    (1, months(3), F(25), F(3), BEHIND, F(1), F(1), "超出進度 1 人"),
    # already past the ceiling in June: 30 > 24, achievement 24 ÷ 30
    (6, months(5, 5, 5, 5, 5, 5), None, F(30), BEHIND, F(4, 5), F(6), "超出 6 人"),
    # a ceiling is met only at month 12 (later months still add): 11 ≤ 22 in November is on pace
    (11, months(1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1), None, F(11), ON_TRACK, F(1), F(0), "未超出進度"),
    (12, months(2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2), None, F(24), MET, F(1), F(0), "已達標"),
    (12, months(2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 3), None, F(25), BEHIND, F(24, 25), F(1), "超出 1 人"),
    # value 0 → achievement 1
    (12, months(*[0] * 12), None, F(0), MET, F(1), F(0), "已達標"),
])
def test_an_accruing_ceiling(month, deaths, target, actual, status, achievement, gap, gap_text):
    check(result("1", month, target, deaths=deaths), actual, status, achievement, gap, gap_text)


def test_an_accruing_ceiling_without_figures_has_no_data():
    found = result("1", 3)
    assert (found.actual, found.status, found.achievement, found.gap_text) == (None, NO_DATA, None, "")


def test_a_ceiling_pace_and_the_score_of_a_unit_on_pace():
    found = result("1", 3, deaths=months(2, 2, 2))
    assert found.pace == F(6)
    # every indicator on pace scores fully: a ceiling kept is all of its achievement, whatever the month
    assert pace_score(PLAN, 3) == F(100)


# ---- §2 quotients, and §1 on a quotient and on a percentage ----

@pytest.mark.parametrize(("month", "fields", "actual", "status", "achievement", "gap", "gap_text"), [
    # 412 ÷ 96 = 4.2916… → 4.3 ≤ 5; achievement 5 ÷ 4.3 capped at 1
    (2, {"days_spent": months(200, 212), "cases_closed": months(50, 46)}, F(43, 10), MET, F(1), F(0), "已達標"),
    # 101 ÷ 20 = 5.05 → 5.1 (half up) > 5: exceeds by 0.1 日, achievement 5 ÷ 5.1
    (1, {"days_spent": months(101), "cases_closed": months(20)}, F(51, 10), BEHIND, F(50, 51), F(1, 10),
     "超出 0.1 日"),
    # 99 ÷ 20 = 4.95 → 5.0: the shown value meets the ceiling
    (1, {"days_spent": months(99), "cases_closed": months(20)}, F(5), MET, F(1), F(0), "已達標"),
    # 201 ÷ 40 = 5.025 → 5.0: above 5 exactly, met as shown
    (1, {"days_spent": months(201), "cases_closed": months(40)}, F(5), MET, F(1), F(0), "已達標"),
    # not accruing: the same rule at month 12
    (12, {"days_spent": {12: 101}, "cases_closed": {12: 20}}, F(51, 10), BEHIND, F(50, 51), F(1, 10), "超出 0.1 日"),
])
def test_a_quotient_ceiling_in_days(month, fields, actual, status, achievement, gap, gap_text):
    check(result("2", month, **fields), actual, status, achievement, gap, gap_text)


@pytest.mark.parametrize(("fields", "status", "note"), [
    ({"days_spent": months(10), "cases_closed": months(0)}, NOT_APPLICABLE, "分母為 0，本指標不適用"),
    ({"days_spent": months(10)}, NO_DATA, "分母尚無填報資料"),
    ({"cases_closed": months(3)}, NO_DATA, "分子尚無填報資料"),
    ({}, NO_DATA, "分子尚無填報資料"),
])
def test_a_quotient_without_a_denominator(fields, status, note):
    found = result("2", 1, **fields)
    assert (found.actual, found.status, found.computation.note, found.gap_text) == (None, status, note, "")


@pytest.mark.parametrize(("crimes", "population", "actual", "status", "achievement", "gap", "gap_text"), [
    # 123 ÷ 41,000 × 10,000 = 30 exactly: at the ceiling is met
    (months(40, 41, 42), {3: 41_000}, F(30), MET, F(1), F(0), "已達標"),
    # 124 ÷ 41,000 × 10,000 = 30.2439… → 30.24
    (months(40, 41, 43), {3: 41_000}, F(3024, 100), BEHIND, F(30) / F(3024, 100), F(24, 100), "超出 0.24 件"),
    # 6,001 ÷ 2,000,000 × 10,000 = 30.005 → 30.01 (half up at the .xx5 boundary)
    (months(6001), {1: 2_000_000}, F(3001, 100), BEHIND, F(30) / F(3001, 100), F(1, 100), "超出 0.01 件"),
    # 60,009 ÷ 20,000,000 × 10,000 = 30.0045 → 30.00
    (months(60009), {1: 20_000_000}, F(30), MET, F(1), F(0), "已達標"),
    # a stock denominator is the latest month: 40 ÷ 40,000 (March) × 10,000 = 10
    (months(20, 10, 10), {1: 10, 3: 40_000}, F(10), MET, F(1), F(0), "已達標"),
])
def test_a_quotient_per_ten_thousand_ceiling(crimes, population, actual, status, achievement, gap, gap_text):
    month = max(crimes)
    check(result("3", max(month, max(population)), crimes=crimes, population=population), actual, status,
          achievement, gap, gap_text)


@pytest.mark.parametrize(("volunteers", "population", "actual", "status", "achievement", "gap", "gap_text"), [
    (50, 40_000, F(25, 2), MET, F(1), F(0), "已達標"),  # 12.5 exactly
    # 49 ÷ 40,000 × 10,000 = 12.25 → 12.3: still needs 0.2; achievement 12.3 ÷ 12.5
    (49, 40_000, F(123, 10), BEHIND, F(123, 125), F(2, 10), "還需 0.2 人"),
    # 50 ÷ 40,017 × 10,000 = 12.4947… → 12.5: met as shown
    (50, 40_017, F(25, 2), MET, F(1), F(0), "已達標"),
    # 0 volunteers: 0 → behind by the whole target
    (0, 40_000, F(0), BEHIND, F(0), F(25, 2), "還需 12.5 人"),
])
def test_a_quotient_per_ten_thousand_rising(volunteers, population, actual, status, achievement, gap, gap_text):
    check(result("4", 2, volunteers={2: volunteers}, population={2: population}), actual, status, achievement,
          gap, gap_text)


@pytest.mark.parametrize(("population", "status"), [(0, NOT_APPLICABLE), (None, NO_DATA)])
def test_a_rising_quotient_without_a_denominator(population, status):
    fields = {"volunteers": {1: 10}} | ({} if population is None else {"population": {1: population}})
    assert result("4", 1, **fields).status == status


@pytest.mark.parametrize(("overdue", "cases", "actual", "status", "achievement", "gap", "gap_text"), [
    (9, 90, F(10), MET, F(1), F(0), "已達標"),
    # 10 ÷ 90 = 11.111…% → 11.11: exceeds by 1.11 points
    (10, 90, F(1111, 100), BEHIND, F(1000, 1111), F(111, 100), "超出 1.11 %"),
    # 2,001 ÷ 20,000 = 10.005% → 10.01 (half up)
    (2001, 20_000, F(1001, 100), BEHIND, F(1000, 1001), F(1, 100), "超出 0.01 %"),
    (2000, 20_000, F(10), MET, F(1), F(0), "已達標"),
    (0, 10, F(0), MET, F(1), F(0), "已達標"),  # value 0 → achievement 1
])
def test_a_percentage_ceiling(overdue, cases, actual, status, achievement, gap, gap_text):
    check(result("5", 4, overdue={4: overdue}, cases_closed={4: cases}), actual, status, achievement, gap, gap_text)


def test_a_percentage_ceiling_with_a_zero_denominator_does_not_apply():
    assert result("5", 4, overdue={4: 0}, cases_closed={4: 0}).status == NOT_APPLICABLE


# ---- what people read ----

@pytest.mark.parametrize(("indicator_id", "month", "fields", "text"), [
    ("2", 2, {"days_spent": months(200, 212), "cases_closed": months(50, 46)},
     "Σ處理日數 412 ÷ Σ結案件數 96 ＝ 4.3 日"),
    ("3", 3, {"crimes": months(40, 41, 43), "population": {3: 41_000}},
     "Σ犯罪件數 124 ÷ 人口數 41,000 × 10,000 ＝ 30.24 件"),
    ("1", 3, {"deaths": months(3, 2, 2)}, "死亡人數（114年1月至3月合計）＝ 3 ＋ 2 ＋ 2 ＝ 7 人"),
    ("5", 1, {"overdue": months(10), "cases_closed": months(90)}, "逾期件數 10 ÷ 結案件數 90 × 100% ＝ 11.11%"),
])
def test_the_formula_reads_with_the_months_numbers(indicator_id, month, fields, text):
    found = result(indicator_id, month, **fields)
    assert formula_text(found, figures(**fields)) == text


def test_evaluate_json_names_the_kind_and_the_direction():
    evaluation = evaluate(figures(deaths=months(2), days_spent=months(10), cases_closed=months(4)), 1)
    rows = {row["id"]: row for row in (result.to_json() for result in evaluation.results)}
    assert [(rows[key]["kind"], rows[key]["direction"]) for key in "1234567"] == [
        ("count", "at_most"), ("quotient", "at_most"), ("quotient", "at_most"), ("quotient", "at_least"),
        ("percent", "at_most"), ("latest", "at_least"), ("latest", "at_most")]
    assert rows["2"]["actual"] == 2.5  # 10 ÷ 4 = 2.5 日


def test_the_directions_of_the_plan():
    assert [indicator.direction for indicator in PLAN.indicators] == [
        Direction.AT_MOST, Direction.AT_MOST, Direction.AT_MOST, Direction.AT_LEAST, Direction.AT_MOST,
        Direction.AT_LEAST, Direction.AT_MOST, Direction.AT_LEAST, Direction.AT_LEAST, Direction.AT_LEAST,
        Direction.AT_MOST, Direction.AT_LEAST]
    assert [indicator.accrues for indicator in PLAN.indicators] == [True] + [False] * 11


# ---- §4 the latest value: never summed, not accruing ----

@pytest.mark.parametrize(("month", "scores", "actual", "status", "achievement", "gap", "gap_text"), [
    # a flow field, yet not summed: March's 4.3 is the value as of March
    (3, {1: "4.1", 3: "4.3"}, F(43, 10), MET, F(43, 42), F(0), "已達標"),
    # as of February the latest reported month is January
    (2, {1: "4.1", 3: "4.3"}, F(41, 10), BEHIND, F(41, 42), F(1, 10), "還需 0.1 分"),
    # 4.195 → 4.20 (half up to 2 places): met as shown; achievement 4.2 ÷ 4.2
    (5, {5: "4.195"}, F(42, 10), MET, F(1), F(0), "已達標"),
    (5, {5: "4.194"}, F(419, 100), BEHIND, F(419, 420), F(1, 100), "還需 0.01 分"),
    # the same rule in December: no pace, no accrual
    (12, {12: "4.2"}, F(42, 10), MET, F(1), F(0), "已達標"),
    (12, {4: "0"}, F(0), BEHIND, F(0), F(42, 10), "還需 4.2 分"),
])
def test_a_latest_value(month, scores, actual, status, achievement, gap, gap_text):
    found = result("6", month, satisfaction={m: Decimal(v) for m, v in scores.items()})
    check(found, actual, status, achievement, gap, gap_text)
    assert found.pace is None


@pytest.mark.parametrize(("month", "waiting", "actual", "status", "achievement", "gap", "gap_text"), [
    (2, {1: 130, 2: 90}, F(90), MET, F(1), F(0), "已達標"),  # a ceiling on a stock: February's 90 ≤ 100
    (3, {1: 90, 3: 125}, F(125), BEHIND, F(100, 125), F(25), "超出 25 人"),
    (3, {1: 0}, F(0), MET, F(1), F(0), "已達標"),  # value 0 → achievement 1
])
def test_a_latest_value_under_a_ceiling(month, waiting, actual, status, achievement, gap, gap_text):
    check(result("7", month, waiting=waiting), actual, status, achievement, gap, gap_text)


@pytest.mark.parametrize(("month", "scores"), [(3, {}), (2, {3: "4.5"})])
def test_a_latest_value_blank_up_to_the_month_has_no_data(month, scores):
    found = result("6", month, satisfaction={m: Decimal(v) for m, v in scores.items()})
    assert (found.actual, found.status, found.gap_text) == (None, NO_DATA, "")


def test_a_latest_value_reads_as_the_month_it_came_from():
    fields = {"satisfaction": {1: Decimal("4.1"), 3: Decimal("4.35")}}
    assert formula_text(result("6", 4, **fields), figures(**fields)) == \
        "滿意度（114年3月填報，取最近一個月）4.35 ＝ 4.35 分"


# ---- property: for any figures, the shown value, status and achievement follow the spec's formulas ----

from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402


def half_up(value: F, places: int) -> F:
    """Round half up, written independently of metrics.plans.formulas: shift, add ½, take the whole part."""
    shifted = value * 10**places + F(1, 2)
    return F(shifted.numerator // shifted.denominator, 10**places)


@settings(max_examples=200, deadline=None)
@given(days=st.integers(0, 10_000), cases=st.integers(1, 2_000), target=st.integers(1, 200), month=st.integers(1, 12))
def test_a_quotient_ceiling_follows_the_spec(days, cases, target, month):
    found = result("2", month, F(target, 10), days_spent={month: days}, cases_closed={month: cases})
    shown = half_up(F(days, cases), 1)
    ceiling = F(target, 10)
    assert found.actual == shown
    assert found.status == (MET if shown <= ceiling else BEHIND)
    assert found.achievement == (F(1) if shown == 0 else min(ceiling / shown, F(1)))


@settings(max_examples=200, deadline=None)
@given(volunteers=st.integers(0, 5_000), population=st.integers(1, 500_000), target=st.integers(1, 500))
def test_a_rising_quotient_follows_the_spec(volunteers, population, target):
    found = result("4", 1, F(target, 10), volunteers={1: volunteers}, population={1: population})
    shown = half_up(F(volunteers, population) * 10_000, 1)
    assert found.actual == shown
    assert found.status == (MET if shown >= F(target, 10) else BEHIND)
    assert found.achievement == shown / F(target, 10)


@settings(max_examples=200, deadline=None)
@given(deaths=st.lists(st.integers(0, 9), min_size=1, max_size=12), target=st.integers(1, 60))
def test_an_accruing_ceiling_follows_the_spec(deaths, target):
    month = len(deaths)
    found = result("1", month, F(target), deaths=months(*deaths))
    value, pace = F(sum(deaths)), F(target) * month / 12
    assert found.actual == value
    if month == 12:
        expected = MET if value <= target else BEHIND
    else:
        expected = ON_TRACK if value <= pace else BEHIND
    assert found.status == expected
    assert found.achievement == (F(1) if value == 0 else min(F(target) / value, F(1)))


def test_a_ceilings_gauge_is_green_below_the_target_and_red_above():
    from metrics.outputs.charts import gauge_figure

    found = result("1", 12, deaths=months(3, 2, 2))  # December: ceiling 24, 7 deaths
    gauge = gauge_figure(found).data[0]
    assert [(step.name, list(step.range)) for step in gauge.gauge.steps] == [("met", [0, 24]), ("behind", [24, 30])]
    assert (gauge.delta.reference, gauge.delta.prefix) == (24, "較目標 ")
    assert (gauge.delta.increasing.color, gauge.delta.decreasing.color) == ("#c62828", "#2e7d32")  # more is worse


# Before December an accruing ceiling is on pace up to the pace and behind above it (the spec's §1); the gauge says
# the same: its bands are the status a value there has, and it compares the value with the pace. It used to draw
# 7 deaths by March (pace 6: 落後) inside a yellow on-pace band, reading "較目標 −17" in green.
@pytest.mark.parametrize(("deaths", "status", "reference", "words", "more_than_reference"), [
    ((3, 2, 2), BEHIND, 6, "較進度 ", True),  # 7 > 24 × 3 ÷ 12 = 6: 落後, "+1" in red
    ((1, 2, 1), ON_TRACK, 6, "較進度 ", False),  # 4 ≤ 6: 符合進度, "−2" in green
    ((9, 9, 9), BEHIND, 24, "較目標 ", True),  # 27 > 24: over the year's ceiling already, "+3" against it
])
def test_an_accruing_ceilings_gauge_before_december(deaths, status, reference, words, more_than_reference):
    from metrics.outputs.charts import gauge_figure

    found = result("1", 3, deaths=months(*deaths))
    assert found.status == status
    gauge = gauge_figure(found).data[0]
    assert [(step.name, list(step.range)) for step in gauge.gauge.steps] == [("on_track", [0, 6]),
                                                                              ("behind", [6, gauge.gauge.axis.range[1]])]
    assert (gauge.delta.reference, gauge.delta.prefix) == (reference, words)
    assert (float(found.actual) > reference) == more_than_reference


def test_a_ceiling_reads_as_one_wherever_its_target_is_shown():
    from metrics.outputs.charts import gauge_title
    from metrics.outputs.presentation import gauge_lines, report_rows

    fields = {"days_spent": months(101), "cases_closed": months(20)}
    found = result("2", 1, **fields)
    assert found.target_text == "≤ 5 日"
    assert "目標 ≤ 5 日｜落後" in gauge_title(found)
    assert "狀態：落後｜目標 ≤ 5 日｜達成率 98%" in gauge_lines(found, figures(**fields))
    row = next(row for row in report_rows(evaluate(figures(**fields), 1)) if row["indicator"].startswith("2 "))
    assert (row["target"], row["actual"], row["gap"]) == ("≤ 5 日", "5.1 日", "超出 0.1 日")
    assert result("4", 1, volunteers={1: 5}, population={1: 4000}).target_text == "12.5 人"
