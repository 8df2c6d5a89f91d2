"""Golden tests of the real plan: what the 112 plan of 新竹縣政府政風處 states, read from plans/ as the app
reads it, and that build_plan names every inconsistency."""

from dataclasses import replace
from decimal import Decimal

import pytest

from catalogues import PLAN_112
from metrics.errors import PlanError
from metrics.plans.formulas import GAP_RULES
from metrics.plans.kinds import KINDS
from metrics.plans.formulas import Term
from metrics.plans.plan import Aggregation, Quantity, build_plan

FIELDS, GOALS, INDICATORS = PLAN_112.fields, PLAN_112.goals, PLAN_112.indicators

# (id, goal, weight %, target, unit) exactly as the plan's table 參、年度績效指標 states them.
PLAN_TABLE = [
    ("1", 1, "12.5", "2", "案"),
    ("2", 2, "12.5", "130", "案"),
    ("3", 3, "12.5", "150", "案"),
    ("4", 4, "12.5", "1", "案"),
    ("5-1", 5, "2.5", "4", "次"),
    ("5-2", 5, "2.5", "1", "次"),
    ("6", 6, "5.0", "50", "%"),
    ("7", 7, "5.0", "40.7", "%"),
    ("8", 8, "10.0", "85", "%"),
    ("9-1", 9, "5.0", "1", "件"),
    ("9-2", 9, "5.0", "2", "件"),
    ("10-1", 10, "5.0", "97", "%"),
    ("10-2", 10, "5.0", "72", "%"),
]


def test_plan_has_ten_goals_thirteen_indicators_twenty_six_fields():
    assert [goal.number for goal in PLAN_112.goals] == list(range(1, 11))
    assert len(PLAN_112.indicators) == 13
    assert len(PLAN_112.fields) == 26


@pytest.mark.parametrize(("indicator_id", "goal", "weight", "target", "unit"), PLAN_TABLE)
def test_indicator_matches_the_plan_table(indicator_id, goal, weight, target, unit):
    indicator = PLAN_112.indicator_by_id[indicator_id]
    assert indicator.goal == goal
    assert indicator.weight == Decimal(weight)
    assert indicator.target == Decimal(target)
    assert indicator.unit == unit


def test_indicators_are_in_plan_order():
    assert [indicator.id for indicator in PLAN_112.indicators] == [row[0] for row in PLAN_TABLE]


def test_weights_add_up_to_95_percent_as_the_plan_says():
    assert PLAN_112.weight_total == Decimal("95")


@pytest.mark.parametrize(("number", "kind", "common"), [
    (1, "業務", False), (2, "業務", False), (3, "業務", False), (4, "業務", False), (5, "業務", False),
    (6, "人力", True), (7, "人力", True), (8, "經費", True), (9, "性別平等", True), (10, "其他", True),
])
def test_goal_kinds(number, kind, common):
    goal = PLAN_112.goal_by_number[number]
    assert (goal.kind, goal.common) == (kind, common)
    assert goal.title


@pytest.mark.parametrize("indicator", INDICATORS, ids=lambda indicator: indicator.id)
def test_every_indicator_is_complete(indicator):
    assert indicator.formula in KINDS
    assert indicator.gap_rule in GAP_RULES
    assert indicator.help and indicator.measure and indicator.name and indicator.short_name
    assert indicator.target > 0 and indicator.weight > 0
    for code in indicator.fields:
        assert code in PLAN_112.field_by_code


def test_the_plan_is_the_file_of_政風處_for_112_with_the_common_set():
    assert (PLAN_112.year, PLAN_112.unit, PLAN_112.organisation) == (112, "政風處", "新竹縣政府政風處")
    assert not PLAN_112.sample
    assert PLAN_112.origin == "tests/golden_plans/112/政風處.toml"
    assert [indicator.id for indicator in PLAN_112.common_indicators] == ["6", "7", "8", "9-1", "9-2", "10-1", "10-2"]
    assert [goal.number for goal in PLAN_112.goals if goal.common] == [6, 7, 8, 9, 10]


def test_indicator_6_denominator_and_its_alternative_are_declared():
    indicator = PLAN_112.indicator_by_id["6"]
    assert [term.field for term in indicator.denominator] == ["new_positions"]
    assert [(term.field, term.coefficient) for term in indicator.alternative_denominator] == [
        ("contract_budget_positions", 1), ("temp_budget_positions", Decimal(1) / 2)]
    assert indicator.alternative_reason == "計畫補充說明（三）"


def test_goal_6_is_scored_over_112_to_115_as_the_plan_says():
    rule = PLAN_112.multi_year
    assert (rule.indicator, rule.years, rule.full_points) == ("6", (112, 113, 114, 115), 5)
    assert rule.points == {112: 5, 113: 5, 114: 4, 115: 3}


@pytest.mark.parametrize(("indicator_id", "fields"), [
    ("6", {"reduced_contract", "reduced_temp", "new_positions", "contract_budget_positions", "temp_budget_positions"}),
    ("7", {"hakka_certified", "staff_headcount"}),
    ("8", {"actual_spent", "payables", "savings", "reserved", "budget_amount"}),
    ("10-1", {"edoc_sent_electronic", "edoc_sent_total"}),
    ("10-2", {"online_signed", "edoc_received_electronic", "paper_received_signed_online", "self_created_drafts"}),
])
def test_ratio_indicators_read_the_contract_fields(indicator_id, fields):
    assert set(PLAN_112.indicator_by_id[indicator_id].fields) == fields


def test_every_field_feeds_an_indicator():
    used = {code for indicator in INDICATORS for code in indicator.fields}
    assert used == {field.code for field in FIELDS}


@pytest.mark.parametrize(("code", "aggregation", "quantity", "unit"), [
    ("warning_cases", Aggregation.FLOW, Quantity.COUNT, "案"),
    ("harassment_courses", Aggregation.FLOW, Quantity.COUNT, "場"),
    ("staff_headcount", Aggregation.STOCK, Quantity.COUNT, "人"),
    ("budget_amount", Aggregation.STOCK, Quantity.AMOUNT, "千元"),
    ("actual_spent", Aggregation.STOCK, Quantity.AMOUNT, "千元"),
    ("edoc_sent_total", Aggregation.FLOW, Quantity.COUNT, "件"),
])
def test_field_rules_follow_the_contract(code, aggregation, quantity, unit):
    field = PLAN_112.field_by_code[code]
    assert (field.aggregation, field.quantity, field.unit) == (aggregation, quantity, unit)


def test_accruing_indicators_are_the_counts_and_budget_execution():
    accruing = {indicator.id for indicator in INDICATORS if indicator.accrues}
    assert accruing == {"1", "2", "3", "4", "5-1", "5-2", "8", "9-1", "9-2"}


def test_field_lookup_by_code_or_chinese_name():
    assert PLAN_112.field("預警案件數").code == "warning_cases"
    assert PLAN_112.field(" warning_cases ").code == "warning_cases"
    assert PLAN_112.field("不存在") is None


@pytest.mark.parametrize(("change", "message"), [
    (lambda indicators: indicators + (indicators[0],), "指標 1 重複宣告"),
    (lambda indicators: (replace(indicators[0], denominator=(Term("no_such_field"),)),) + indicators[1:],
     "未宣告的項目 no_such_field"),
    (lambda indicators: (replace(indicators[0], weight=None),) + indicators[1:], "權重缺漏"),
    (lambda indicators: (replace(indicators[0], target=Decimal(0)),) + indicators[1:], "目標值缺漏或不大於 0"),
    (lambda indicators: (replace(indicators[0], formula="median"),) + indicators[1:], "公式 median 不存在"),
    (lambda indicators: (replace(indicators[0], help=""),) + indicators[1:], "缺少說明文字"),
    (lambda indicators: (replace(indicators[0], goal=11),) + indicators[1:], "策略目標 11 不存在"),
])
def test_a_broken_declaration_is_named(change, message):
    with pytest.raises(PlanError, match=message):
        build_plan(year=112, unit="單位", organisation="機關", goals=GOALS, indicators=change(INDICATORS), fields=FIELDS)
