"""The plan's formulas against hand-computed cases, exact to the last digit."""

from fractions import Fraction

import pytest

from catalogues import PLAN_112
from metrics.plans.formulas import (
    NO_DATA,
    NOT_APPLICABLE,
    Term,
    alternative_denominator,
    first_year_met,
    format_number,
    percent_rounded_up,
    round_half_up,
    sum_terms,
)

F = Fraction


@pytest.mark.parametrize(("numerator", "denominator", "expected"), [
    (1, 3, 34),  # 33.33… rounds up
    (11, 10, 110),  # 110 exactly, never 111 from floating-point residue
    (1, 2, 50),
    (0, 2, 0),
    (F(3, 2), 3, 50),  # 1 contract + 1 temp ÷ 2 over 3 positions
    (7, 100, 7),  # 7 ÷ 100 × 100 is 7.000000000000001 in floats
    (29, 100, 29),  # 28.999999999999996 in floats
    (2, 3, 67),
    (1, 1000, 1),
])
def test_percent_rounded_up(numerator, denominator, expected):
    assert percent_rounded_up(F(numerator), F(denominator)) == expected


@pytest.mark.parametrize(("new", "contract", "temp", "expected", "fragment"), [
    (2, 3, 2, 2, "未少於"),  # 3 + 2÷2 = 4 ≥ 2: plan denominator
    (4, 2, 2, 3, "分母改採"),  # 2 + 2÷2 = 3 < 4: rule (三) switches to 3
    (2, 1, 1, F(3, 2), "分母改採"),  # 1 + ½ < 2
    (2, 2, 0, 2, "未少於"),  # equal is not fewer
    (2, None, None, 2, "未填報縣款"),
    (2, 1, None, 1, "分母改採"),  # a missing part of the sum counts as 0 once one is reported
    (None, 3, 2, None, "未填報"),
    (0, 3, 2, 0, "未少於"),
])
def test_reduction_denominator_rule(new, contract, temp, expected, fragment):
    as_fraction = lambda value: None if value is None else F(value)  # noqa: E731
    values = {"new_positions": as_fraction(new), "contract_budget_positions": as_fraction(contract),
              "temp_budget_positions": as_fraction(temp)}
    denominator, note = alternative_denominator(PLAN_112.indicator_by_id["6"], values, PLAN_112.field_by_code)
    assert denominator == (None if expected is None else F(expected))
    assert fragment in note


@pytest.mark.parametrize(("values", "expected"), [
    ({"a": F(1), "b": F(2)}, F(3)),
    ({"a": F(1), "b": None}, F(1)),  # missing part counts as 0 once any is reported
    ({"a": None, "b": None}, None),
    ({"a": F(0), "b": None}, F(0)),
    ({}, None),
])
def test_sum_terms(values, expected):
    assert sum_terms((Term("a"), Term("b")), values) == expected


@pytest.mark.parametrize(("values", "expected"), [
    ({"a": F(1), "b": F(2)}, F(3)),
    ({"a": F(1), "b": None}, F(1)),
    ({"a": None, "b": F(2)}, None),  # the required part is missing
])
def test_sum_terms_with_a_required_part(values, expected):
    assert sum_terms((Term("a", required=True), Term("b")), values) == expected


def compute(indicator_id, **values):
    indicator = PLAN_112.indicator_by_id[indicator_id]
    full = {code: None for code in indicator.fields}
    full.update({code: F(value) for code, value in values.items()})
    return indicator.kind.compute(indicator, full, PLAN_112.field_by_code)


@pytest.mark.parametrize(("indicator_id", "values", "actual", "status"), [
    ("1", {"warning_cases": 2}, F(2), None),
    ("1", {"warning_cases": 0}, F(0), None),  # a reported zero is a value
    ("1", {}, None, NO_DATA),
    # 6: (1 + 0÷2) ÷ 2 × 100 = 50
    ("6", {"reduced_contract": 1, "reduced_temp": 0, "new_positions": 2,
           "contract_budget_positions": 3, "temp_budget_positions": 2}, F(50), None),
    # 6: (0 + 1÷2) ÷ 3 × 100 = 16.67 → 17 (rounded up)
    ("6", {"reduced_contract": 0, "reduced_temp": 1, "new_positions": 3}, F(17), None),
    # 6: rule (三): (1 + 0) ÷ (1 + 1÷2) = 66.67 → 67
    ("6", {"reduced_contract": 1, "new_positions": 2, "contract_budget_positions": 1,
           "temp_budget_positions": 1}, F(67), None),
    ("6", {"reduced_contract": 1, "new_positions": 0}, None, NOT_APPLICABLE),
    ("6", {"new_positions": 2}, None, NO_DATA),
    ("6", {"reduced_contract": 1}, None, NO_DATA),
    # 7: 11 ÷ 27 × 100 = 40.740… → 40.74
    ("7", {"hakka_certified": 11, "staff_headcount": 27}, F(4074, 100), None),
    ("7", {"hakka_certified": 0, "staff_headcount": 27}, F(0), None),
    ("7", {"hakka_certified": 3, "staff_headcount": 0}, None, NOT_APPLICABLE),
    ("7", {"staff_headcount": 27}, None, NO_DATA),
    ("7", {"hakka_certified": 3}, None, NO_DATA),
    # 8: (17,500 + 300.5 + 200 + 100) ÷ 21,288 × 100 = 85.0267… → 85.03
    ("8", {"actual_spent": 17500, "payables": F(6010, 20), "savings": 200, "reserved": 100,
           "budget_amount": 21288}, F(8503, 100), None),
    # 8: missing payables/savings/reserved count as 0: 18,000 ÷ 21,288 = 84.554… → 84.55
    ("8", {"actual_spent": 18000, "budget_amount": 21288}, F(8455, 100), None),
    ("8", {"actual_spent": 18000}, None, NO_DATA),
    # 8: 實支數 is the numerator itself; payables alone give no value (contract: missing numerator)
    ("8", {"payables": 50, "budget_amount": 100}, None, NO_DATA),
    # 10-1: 1,180 ÷ 1,216 = 97.0394… → 97.04
    ("10-1", {"edoc_sent_electronic": 1180, "edoc_sent_total": 1216}, F(9704, 100), None),
    # 10-1: 0.125 exactly: 1 ÷ 8 = 12.5
    ("10-1", {"edoc_sent_electronic": 1, "edoc_sent_total": 8}, F(25, 2), None),
    # 10-2: 2,000 ÷ (1,500 + 300 + 1,000) = 71.428… → 71.43
    ("10-2", {"online_signed": 2000, "edoc_received_electronic": 1500, "paper_received_signed_online": 300,
              "self_created_drafts": 1000}, F(7143, 100), None),
    # 10-2: missing parts of the denominator count as 0 once one is reported: 72 ÷ 100
    ("10-2", {"online_signed": 72, "self_created_drafts": 100}, F(72), None),
    ("10-2", {"online_signed": 72}, None, NO_DATA),
    ("10-2", {"online_signed": 0, "edoc_received_electronic": 0}, None, NOT_APPLICABLE),
])
def test_indicator_formulas(indicator_id, values, actual, status):
    computation = compute(indicator_id, **values)
    assert computation.actual == actual
    assert computation.status == status


@pytest.mark.parametrize(("value", "places", "expected"), [
    (F(12345, 1000), 2, F(1235, 100)),  # 12.345 → 12.35 (half up, not banker's)
    (F(12344, 1000), 2, F(1234, 100)),
    (F(1, 3), 2, F(33, 100)),
    (F(2, 3), 2, F(67, 100)),
    (F(5, 1000), 2, F(1, 100)),
])
def test_round_half_up(value, places, expected):
    assert round_half_up(value, places) == expected


@pytest.mark.parametrize(("value", "expected"), [
    (F(1234567), "1,234,567"),
    (F(123456789, 100), "1,234,567.89"),
    (F(1, 3), "0.33"),
    (F(5, 2), "2.5"),
    (F(-5, 2), "-2.5"),
    (F(0), "0"),
    (None, "—"),
    (21288.0, "21,288"),
])
def test_format_number(value, expected):
    assert format_number(value) == expected


FIRST_MET_POINTS = {112: F(5), 113: F(5), 114: F(4), 115: F(3)}
YEARS = (112, 113, 114, 115)


@pytest.mark.parametrize(("met", "first", "points"), [
    # met in 112: full points in 112 itself and in every later year, whatever those years show
    ({112: True, 113: False, 114: None}, 112, {112: 5, 113: 5, 114: 5, 115: 5}),
    # missed in 112, met in 113: 0 for 112, 5 from 113 on
    ({112: False, 113: True}, 113, {112: 0, 113: 5, 114: 5, 115: 5}),
    # first met in 114: 4 for 114 and 115
    ({112: False, 113: False, 114: True, 115: False}, 114, {112: 0, 113: 0, 114: 4, 115: 4}),
    # first met in 115: 3
    ({112: False, 113: False, 114: False, 115: True}, 115, {112: 0, 113: 0, 114: 0, 115: 3}),
    # never met: 0 where judged, unknown where there is nothing to judge yet
    ({112: False, 113: None}, None, {112: 0, 113: None, 114: None, 115: None}),
    # nothing judged at all
    ({}, None, {112: None, 113: None, 114: None, 115: None}),
    # an unknown year before the first met year stays unknown
    ({112: None, 113: True}, 113, {112: None, 113: 5, 114: 5, 115: 5}),
])
def test_first_year_met_scoring(met, first, points):
    found, scored = first_year_met(met, YEARS, FIRST_MET_POINTS, F(0))
    assert found == first
    assert scored == {year: (None if value is None else F(value)) for year, value in points.items()}
