"""Evaluation as of a month (data contract §3; docs/資料規格.md 第六節), against hand calculations."""

from fractions import Fraction

import pytest

from metrics.errors import InputError
from metrics.evaluation.core import evaluate, json_number, parse_target
from metrics.plans.formulas import round_half_up
from metrics.evaluation.figures import Figures
from catalogues import PLAN_112

F = Fraction


def figures(**values):
    return Figures.from_mapping(PLAN_112, values)


def result(values, month, indicator_id, **options):
    return evaluate(figures(**values), month, **options).result(indicator_id)


@pytest.mark.parametrize(("months", "as_of", "expected"), [
    ({1: 10, 2: 12, 3: 11}, 3, 33),  # flow: sum of months 1..M
    ({1: 10, 2: 12, 3: 11}, 2, 22),
    ({1: 10, 3: 11}, 2, 10),  # a missing month is not zero, just not there
    ({2: 5}, 1, None),  # nothing reported up to M
])
def test_flow_adds_up_over_months(months, as_of, expected):
    assert figures(procurement_audits=months).as_of("procurement_audits", as_of) == (
        None if expected is None else F(expected))


LARGE, TINY = "1" + "0" * 60, "0." + "0" * 39 + "1"  # 61 digits before the point, 40 after


@pytest.mark.parametrize(("months", "as_of", "expected"), [
    ({1: LARGE, 2: TINY}, 2, F(10**60) + F(1, 10**40)),  # 101 significant digits: more than any Decimal context
    ({1: TINY, 2: LARGE, 3: "-" + LARGE}, 3, F(1, 10**40)),
    ({1: "1" * 90}, 1, F(int("1" * 90))),
])
def test_a_flow_of_many_digits_adds_up_exactly(months, as_of, expected):
    assert figures(procurement_audits=months).as_of("procurement_audits", as_of) == expected


@pytest.mark.parametrize(("months", "as_of", "expected"), [
    ({1: 25, 2: 26, 3: 27}, 3, 27),  # stock: the latest reported month ≤ M
    ({1: 25, 2: 26, 3: 27}, 2, 26),
    ({1: 25, 4: 27}, 3, 25),  # carried forward from the last report
    ({4: 27}, 3, None),
])
def test_stock_is_the_latest_month(months, as_of, expected):
    assert figures(staff_headcount=months).as_of("staff_headcount", as_of) == (
        None if expected is None else F(expected))


def test_ratio_of_sums_not_mean_of_ratios():
    # January 1/1 = 100 %, February 90/100 = 90 %: mean of ratios 95 %, ratio of sums 91/101 = 90.099… %
    outcome = result({"edoc_sent_electronic": {1: 1, 2: 90}, "edoc_sent_total": {1: 1, 2: 100}}, 2, "10-1")
    assert outcome.actual == F(9010, 100)
    assert (outcome.computation.numerator, outcome.computation.denominator) == (91, 101)


@pytest.mark.parametrize(("monthly", "status"), [
    # target 130: pace at month 6 is 130 × 6 ÷ 12 = 65
    ([11, 11, 11, 11, 11, 11], "on_track"),  # 66 ≥ 65
    ([10, 11, 11, 11, 11, 11], "on_track"),  # 65: exactly on the pace line counts as on track
    ([10, 10, 11, 11, 11, 11], "behind"),  # 64 < 65
    ([11] * 12, "met"),  # 132 ≥ 130
    ([10] * 12, "behind"),  # 120 < 130 at year end: no 'on track' left
    ([10] * 11 + [20], "met"),  # 130 exactly is met
])
def test_on_track_vs_behind_at_the_pace_boundary(monthly, status):
    months = dict(enumerate(monthly, start=1))
    assert result({"procurement_audits": months}, len(monthly), "2").status == status


@pytest.mark.parametrize(("values", "as_of", "indicator_id", "status"), [
    ({"warning_cases": {3: 2}}, 3, "1", "met"),
    ({"warning_cases": {3: 0}}, 3, "1", "behind"),  # pace 0.5 at March
    ({"warning_cases": {1: 0}}, 1, "1", "behind"),  # pace 1/6: 0 is behind
    ({"procurement_audits": {1: 11}}, 1, "1", "no_data"),
    ({"hakka_certified": {1: 10}, "staff_headcount": {1: 27}}, 1, "7", "behind"),  # ratios never 'on track'
    ({"hakka_certified": {1: 11}, "staff_headcount": {1: 27}}, 1, "7", "met"),
    ({"hakka_certified": {1: 11}, "staff_headcount": {1: 0}}, 1, "7", "not_applicable"),
    # 8 accrues: 9,000 ÷ 21,288 = 42.28 % ≥ 85 × 6 ÷ 12 = 42.5? no → behind
    ({"actual_spent": {6: 9000}, "budget_amount": {6: 21288}}, 6, "8", "behind"),
    ({"actual_spent": {6: 9100}, "budget_amount": {6: 21288}}, 6, "8", "on_track"),  # 42.75 ≥ 42.5
])
def test_status(values, as_of, indicator_id, status):
    assert result(values, as_of, indicator_id).status == status


@pytest.mark.parametrize(("values", "as_of", "indicator_id", "gap", "text"), [
    ({"complaints_completed": {month: 12 for month in range(1, 11)}}, 10, "3", 30, "還需 30 案"),
    ({"warning_cases": {2: 2}}, 2, "1", 0, "已達標"),
    # 7: ceil(40.7 % × 27) − 9 = ceil(10.989) − 9 = 2
    ({"hakka_certified": {1: 9}, "staff_headcount": {1: 27}}, 1, "7", 2, "還需 2 人通過客語認證"),
    # 8: the shown 85.00 % is reached from 84.995 %: 0.84995 × 21,288 − 17,000.5 = 18,093.7356 − 17,000.5
    ({"actual_spent": {12: "17000.5"}, "budget_amount": {12: 21288}}, 12, "8", F(10932356, 10000),
     "還需執行 1,093.24 千元"),
    # 10-1: smallest k with (180 + k) ÷ (187 + k) ≥ 96.995 %: k ≥ (181.38065 − 180) ÷ 0.03005 = 45.9 → 46
    ({"edoc_sent_electronic": {1: 180}, "edoc_sent_total": {1: 187}}, 1, "10-1", 46, "還需 46 件電子發文"),
    # 7: 34 ÷ 86 = 39.53 %; 35 ÷ 86 = 40.698 % shows as 40.70 and meets 40.7: one more person, not two
    ({"hakka_certified": {1: 34}, "staff_headcount": {1: 86}}, 1, "7", 1, "還需 1 人通過客語認證"),
    # 6: target 50 %, D = 3: numerator must exceed 49 × 3 ÷ 100 = 1.47, in steps of ½ → 1.5; has 1 → 0.5
    ({"reduced_contract": {1: 1}, "new_positions": {1: 3}}, 1, "6", F(1, 2), "還需精簡 0.5 人"),
])
def test_gap_in_natural_units(values, as_of, indicator_id, gap, text):
    outcome = result(values, as_of, indicator_id)
    assert outcome.gap == F(gap)
    assert outcome.gap_text.startswith(text)


def test_gap_for_growing_denominator_is_enough_and_minimal():
    outcome = result({"edoc_sent_electronic": {1: 180}, "edoc_sent_total": {1: 187}}, 1, "10-1")
    k = int(outcome.gap)
    shown = lambda electronic, total: round_half_up(F(electronic * 100, total), 2)  # noqa: E731
    assert shown(180 + k, 187 + k) >= 97 > shown(180 + k - 1, 187 + k - 1)


@pytest.mark.parametrize(("values", "as_of", "indicator_id", "pace", "projection"), [
    ({"procurement_audits": {month: 11 for month in range(1, 7)}}, 6, "2", 65, 132),
    ({"warning_cases": {3: 1}}, 3, "1", F(1, 2), 4),
    ({"hakka_certified": {3: 10}, "staff_headcount": {3: 25}}, 3, "7", None, 40),  # not accruing: current value
])
def test_pace_and_projection(values, as_of, indicator_id, pace, projection):
    outcome = result(values, as_of, indicator_id)
    assert outcome.pace == (None if pace is None else F(pace))
    assert outcome.projection == F(projection)


@pytest.mark.parametrize(("spent", "as_of", "projection", "trend", "text"), [
    # 521.9 of 1,000 千元 by May: 52.19 % × 12 ÷ 5 = 125.256 %, but an execution rate cannot pass 100 %
    (521.9, 5, 100, F("125.256"), "100%（依趨勢推估為 125.26%，預算執行率不會超過 100%）"),
    (500, 6, 100, 100, "100%"),  # exactly at the bound: nothing capped, nothing to say
    (916.7, 11, 100, F("91.67") * 12 / 11, "100%"),  # 100.0036 % shows as 100 %: nothing to say
    (250.2, 3, 100, F("100.08"), "100%（依趨勢推估為 100.08%，預算執行率不會超過 100%）"),
    (400, 6, 80, 80, "80%"),  # 40 % × 12 ÷ 6
    (1000, 12, 100, 100, "100%"),
    (None, 6, None, None, "—"),
])
def test_a_projection_is_capped_at_the_indicators_upper_bound_and_says_so(spent, as_of, projection, trend, text):
    values = {"budget_amount": {1: 1000}, **({"actual_spent": {as_of: spent}} if spent is not None else {})}
    outcome = result(values, as_of, "8")
    assert PLAN_112.indicator_by_id["8"].upper_bound == 100
    assert (outcome.projection, outcome.trend) == (None if projection is None else F(projection),
                                                   None if trend is None else F(trend))
    assert outcome.projection_text == text
    assert outcome.projection_capped == (text != "—" and "依趨勢" in text)


def test_an_indicator_without_a_bound_projects_past_its_target():
    outcome = result({"procurement_audits": {month: 11 for month in range(1, 7)}}, 6, "2")
    assert PLAN_112.indicator_by_id["2"].upper_bound is None
    assert (outcome.projection, outcome.projection_text) == (132, "132 案")


FULL_YEAR = {
    "warning_cases": {3: 1, 9: 1},  # 2 of 2: achievement 1
    "procurement_audits": {month: 10 for month in range(1, 13)},  # 120 of 130
    "complaints_completed": {month: 12 for month in range(1, 13)},  # 144 of 150
    "infosec_audits": {5: 2},  # 2 of 1: capped at 1
    "pinhole_inspections": {3: 1, 6: 1, 9: 1, 12: 1},  # 4 of 4
    "harassment_courses": {4: 1},  # 1 of 1
    "new_positions": {12: 2}, "reduced_contract": {12: 1}, "reduced_temp": {12: 0},  # 50 of 50
    "hakka_certified": {12: 10}, "staff_headcount": {12: 25},  # 40 of 40.7
    "actual_spent": {12: 17000}, "payables": {12: 500}, "savings": {12: 594}, "budget_amount": {12: 21288},
    "gender_analyses": {6: 1},  # 1 of 1
    # 9-2 not reported: no_data counts as 0
    "edoc_sent_electronic": {12: 97}, "edoc_sent_total": {12: 100},  # 97 of 97
    "online_signed": {12: 70}, "edoc_received_electronic": {12: 100},  # 70 of 72
}


def test_weighted_score_by_hand():
    evaluation = evaluate(figures(**FULL_YEAR), 12)
    # indicator 8: (17,000 + 500 + 594) ÷ 21,288 = 18,094 ÷ 21,288 = 84.996… → 85.00 (two decimals): met
    assert evaluation.result("8").actual == 85
    earned = (F(25, 2) * 1 + F(25, 2) * F(120, 130) + F(25, 2) * F(144, 150) + F(25, 2) * 1
              + F(5, 2) * 1 + F(5, 2) * 1 + 5 * 1 + 5 * (F(40) / F(407, 10)) + 10 * 1
              + 5 * 1 + 5 * 0 + 5 * 1 + 5 * F(70, 72))
    assert evaluation.weight_total == 95
    assert evaluation.weighted_score == earned / 95 * 100
    # 12.5 + 11.5385 + 12 + 12.5 + 2.5 + 2.5 + 5 + 4.9140 + 10 + 5 + 0 + 5 + 4.8611 = 88.3136; ÷ 95 × 100
    assert json_number(evaluation.weighted_score) == 92.96


def test_not_applicable_leaves_the_score_denominator():
    values = dict(FULL_YEAR, new_positions={12: 0})
    evaluation = evaluate(figures(**values), 12)
    assert evaluation.result("6").status == "not_applicable"
    assert evaluation.weight_total == 90
    assert evaluation.plan_weight_total == 95


def test_what_if_target_changes_only_that_indicator():
    official = evaluate(figures(**FULL_YEAR), 12)
    what_if = evaluate(figures(**FULL_YEAR), 12, targets={"2": F(120)})
    assert official.result("2").status == "behind" and what_if.result("2").status == "met"
    assert what_if.weighted_score - official.weighted_score == F(25, 2) * (1 - F(120, 130)) / 95 * 100
    assert PLAN_112.indicator_by_id["2"].target == 130  # the plan itself never changes


@pytest.mark.parametrize(("text", "expected"), [("98", F(98)), ("97.5%", F(195, 2)), ("１３０", F(130))])
def test_parse_target(text, expected):
    assert parse_target("10-1", text, PLAN_112) == ("10-1", expected)


@pytest.mark.parametrize(("indicator_id", "text", "message"), [
    ("99", "1", "指標代號「99」不存在"),
    ("10-1", "abc", "須為大於 0 的數字"),
    ("10-1", "0", "須為大於 0 的數字"),
    ("10-1", "-5", "須為大於 0 的數字"),
])
def test_parse_target_errors(indicator_id, text, message):
    with pytest.raises(InputError, match=message):
        parse_target(indicator_id, text, PLAN_112)


def test_default_month_is_the_latest_reported():
    assert evaluate(figures(warning_cases={3: 1}, staff_headcount={5: 20})).as_of_month == 5


def test_no_figures_at_all_is_an_input_error():
    with pytest.raises(InputError, match="沒有任何已填報的數字"):
        evaluate(figures())


def test_missing_months_are_flagged():
    outcome = result({"procurement_audits": {1: 10, 2: 11, 4: 9}}, 4, "2")
    assert outcome.missing_months == (3,)
