"""The evaluation's arithmetic shortcuts (one Fraction normalisation, integer floor, Decimal sums) against their
definitions in plain Fraction arithmetic, on negatives, zeros, coefficients other than 1, required terms and values
of many digits."""

from decimal import Decimal
from fractions import Fraction
import math

from hypothesis import given, settings
from hypothesis import strategies as st

from catalogues import PLAN_112
from metrics.evaluation.figures import Figures
from metrics.plans.formulas import Term, percent, round_half_up, sum_terms

FRACTIONS = st.fractions(max_denominator=10**12)
# Exact decimals of up to some 100 significant digits, with points anywhere: what a sheet's text cell can hold.
DECIMALS = st.builds(lambda digits, places: Decimal(f"{digits}E-{places}"), st.integers(-10**100, 10**100),
                     st.integers(0, 60))


@settings(max_examples=500, deadline=None)
@given(FRACTIONS, FRACTIONS.filter(bool))
def test_percent_is_the_fraction_times_a_hundred(numerator, denominator):
    assert percent(numerator, denominator) == numerator * 100 / denominator


@settings(max_examples=500, deadline=None)
@given(FRACTIONS, st.integers(0, 6))
def test_round_half_up_is_the_floor_of_the_value_plus_a_half(value, places):
    scale = 10**places
    assert round_half_up(value, places) == Fraction(math.floor(value * scale + Fraction(1, 2)), scale)


@settings(max_examples=500, deadline=None)
@given(st.lists(st.tuples(st.sampled_from("abcd"), FRACTIONS, st.booleans()), max_size=5),
       st.dictionaries(st.sampled_from("abcd"), FRACTIONS))
def test_sum_terms_is_its_definition(terms, values):
    terms = tuple(Term(field, coefficient, required) for field, coefficient, required in terms)
    reported = [(term, values.get(term.field)) for term in terms]
    expected = (None if all(value is None for _, value in reported)
                or any(term.required and value is None for term, value in reported)
                else sum((term.coefficient * value for term, value in reported if value is not None), Fraction(0)))
    found = sum_terms(terms, values)
    assert found == expected and type(found) is type(expected)


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.integers(1, 12), DECIMALS, min_size=1), st.integers(1, 12))
def test_a_flow_is_the_exact_sum_of_its_months(months, as_of):
    reported = [Fraction(value) for month, value in months.items() if month <= as_of]
    expected = sum(reported, Fraction(0)) if reported else None
    assert Figures(PLAN_112, {"procurement_audits": months}).as_of("procurement_audits", as_of) == expected
