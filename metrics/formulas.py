"""The plan's formulas as small, exact functions.

All arithmetic is on `fractions.Fraction`, so 11 ÷ 10 × 100 is exactly 110 and a round-up
never sees floating-point residue. Presentation rounding happens once, here, as the plan says:
indicator 6 rounds up to a whole percent; the other ratios are given to two decimals (half up).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from fractions import Fraction
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the plan validates itself against FORMULAS, so only its types are needed here
    from metrics.plan import Indicator, Term

Values = Mapping[str, Fraction | None]

NO_DATA = "no_data"
NOT_APPLICABLE = "not_applicable"


@dataclass(frozen=True)
class Computation:
    actual: Fraction | None  # in the indicator's unit (percent points for ratios), rounded as the plan says
    numerator: Fraction | None = None
    denominator: Fraction | None = None
    status: str | None = None  # NO_DATA or NOT_APPLICABLE when there is no actual
    note: str = ""


def sum_terms(terms: tuple[Term, ...], values: Values) -> Fraction | None:
    """A sum whose missing parts count as 0 once any part is reported; None when none is, or when a
    required part (the 實支數 of budget execution) is missing."""
    reported = [(term, values.get(term.field)) for term in terms]
    if all(value is None for _, value in reported):
        return None
    if any(term.required and value is None for term, value in reported):
        return None
    return sum((term.coefficient * value for term, value in reported if value is not None), Fraction(0))


def percent(numerator: Fraction, denominator: Fraction) -> Fraction:
    return Fraction(numerator) * 100 / Fraction(denominator)


def round_half_up(value: Fraction, places: int = 2) -> Fraction:
    scale = 10**places
    return Fraction(math.floor(Fraction(value) * scale + Fraction(1, 2)), scale)


def percent_rounded_up(numerator: Fraction, denominator: Fraction) -> Fraction:
    """The plan's 計算結果如有小數點，應無條件進位: a whole percent, rounded up, exactly."""
    return Fraction(math.ceil(percent(numerator, denominator)))


def reduction_denominator(new_positions: Fraction | None, contract_budget_positions: Fraction | None,
                          temp_budget_positions: Fraction | None) -> tuple[Fraction | None, str]:
    """Indicator 6's denominator with the plan's rule (三), and a sentence saying which was used.

    D is the new (incl. released) budget positions, unless the county-funded contract positions
    plus half the temporary positions are fewer, in which case D is that sum.
    """
    if new_positions is None:
        return None, "新增(含解控)預算員額數未填報"
    if contract_budget_positions is None and temp_budget_positions is None:
        return new_positions, (f"分母採新增(含解控)預算員額數 {format_number(new_positions)} 人"
                               "（未填報縣款聘僱／臨時預算員額數，未檢核補充說明（三））")
    budget = (contract_budget_positions or 0) + Fraction(temp_budget_positions or 0) / 2
    if budget < new_positions:
        return budget, (f"分母改採縣款聘僱預算員額數＋臨時人員預算員額數÷2＝{format_number(budget)} 人，"
                        f"因少於新增(含解控)預算員額數 {format_number(new_positions)} 人（計畫補充說明（三））")
    return new_positions, (f"分母採新增(含解控)預算員額數 {format_number(new_positions)} 人"
                           f"（縣款聘僱＋臨時÷2＝{format_number(budget)} 人，未少於新增員額數）")


def count(indicator: Indicator, values: Values) -> Computation:
    total = sum_terms(indicator.numerator, values)
    if total is None:
        return Computation(None, status=NO_DATA, note="尚無填報資料")
    return Computation(total, numerator=total)


def _ratio(numerator: Fraction | None, denominator: Fraction | None,
           rounding: Callable[[Fraction, Fraction], Fraction], note: str = "") -> Computation:
    if denominator == 0:
        return Computation(None, numerator, denominator, NOT_APPLICABLE, note or "分母為 0，本指標不適用")
    if numerator is None:
        return Computation(None, None, denominator, NO_DATA, note or "分子尚無填報資料")
    if denominator is None:
        return Computation(None, numerator, None, NO_DATA, note or "分母尚無填報資料")
    return Computation(rounding(numerator, denominator), numerator, denominator, None, note)


def percent_two_decimals(numerator: Fraction, denominator: Fraction) -> Fraction:
    return round_half_up(percent(numerator, denominator), 2)


def ratio(indicator: Indicator, values: Values) -> Computation:
    return _ratio(sum_terms(indicator.numerator, values), sum_terms(indicator.denominator, values),
                  percent_two_decimals)


def reduction_rate(indicator: Indicator, values: Values) -> Computation:
    denominator, note = reduction_denominator(values.get("new_positions"), values.get("contract_budget_positions"),
                                              values.get("temp_budget_positions"))
    return _ratio(sum_terms(indicator.numerator, values), denominator, percent_rounded_up, note)


FORMULAS: dict[str, Callable[[Indicator, Values], Computation]] = {
    "count": count,
    "percent": ratio,
    "reduction_rate": reduction_rate,
}


# How far an indicator is from its target, in its natural unit (None when met or not computable).
def gap_count(target: Fraction, computation: Computation) -> Fraction:
    return Fraction(math.ceil(target - computation.actual))


def met_threshold(target: Fraction) -> Fraction:
    """The exact share (in percent) from which the two-decimal, half-up actual reaches the target.

    Status is judged on the shown value, so the gap must be too: 35 ÷ 86 = 40.698…% shows as 40.70 and
    meets 40.7. rounded ≥ T ⟺ exact ≥ (T rounded up to 2 decimals) − 0.005.
    """
    return Fraction(math.ceil(Fraction(target) * 100), 100) - Fraction(1, 200)


def gap_whole_fixed_denominator(target: Fraction, computation: Computation) -> Fraction:
    """People still to certify, the headcount staying as it is: ceil(threshold × headcount) − certified."""
    return Fraction(math.ceil(met_threshold(target) / 100 * computation.denominator) - computation.numerator)


def gap_amount_fixed_denominator(target: Fraction, computation: Computation) -> Fraction:
    """Amount still to execute against a fixed budget: threshold × budget − executed."""
    return met_threshold(target) / 100 * computation.denominator - computation.numerator


def gap_growing_denominator(target: Fraction, computation: Computation) -> Fraction:
    """Items still needed when each new one adds to both sides: smallest k with (n+k)/(d+k) ≥ threshold."""
    share = met_threshold(target) / 100
    if share >= 1:
        return Fraction(math.ceil(computation.denominator - computation.numerator)) if share == 1 else Fraction(0)
    return Fraction(math.ceil((share * computation.denominator - computation.numerator) / (1 - share)))


def gap_reduction(target: Fraction, computation: Computation) -> Fraction:
    """Person-equivalents still to reduce (a temporary worker counts ½) to reach the rounded-up rate.

    ceil(x) ≥ T ⟺ x > ceil(T) − 1, so the numerator must exceed (ceil(T) − 1) × D ÷ 100; it moves in
    steps of ½, the smallest reduction there is.
    """
    threshold = Fraction(math.ceil(target) - 1) * computation.denominator / 100
    needed = Fraction(math.floor(threshold * 2) + 1, 2)
    return max(needed - computation.numerator, Fraction(0))


GAP_RULES: dict[str, Callable[[Fraction, Computation], Fraction]] = {
    "count": gap_count,
    "whole_fixed_denominator": gap_whole_fixed_denominator,
    "amount_fixed_denominator": gap_amount_fixed_denominator,
    "growing_denominator": gap_growing_denominator,
    "reduction": gap_reduction,
}


def format_number(value: Fraction | float | int | None, places: int = 2) -> str:
    """Thousands separators; whole numbers without decimals; others to `places` decimals, half up."""
    if value is None:
        return "—"
    exact = Fraction(value) if not isinstance(value, float) else Fraction(str(value))
    if exact.denominator == 1:
        return f"{exact.numerator:,}"
    rounded = round_half_up(exact, places)
    whole = math.floor(abs(rounded))
    sign = "-" if rounded < 0 else ""
    fraction_digits = f"{int((abs(rounded) - whole) * 10**places):0{places}d}".rstrip("0")
    return f"{sign}{whole:,}" + (f".{fraction_digits}" if fraction_digits else "")
