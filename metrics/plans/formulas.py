"""The registry of rules a plan may name: formulas, gap rules and multi-year scoring rules.

A plan file names a rule by its key (`formula = "percent"`, `gap_rule = "count"`, `rule =
"first_year_met"`); the functions live here, as small exact functions. What a kind of indicator
means as a whole (which formula, its direction, pace, gap wording, checks) is `metrics.plans.kinds`. This module knows nothing
of plans: a formula reads the terms an indicator declares (numerator, denominator, alternative
denominator) and the names of the fields it is given, so a new indicator that fits an existing
rule is an edit of plan data only.

All arithmetic is on `fractions.Fraction`, so 11 ÷ 10 × 100 is exactly 110 and a round-up
never sees floating-point residue. Presentation rounding happens once, here, as the plan says:
the reduction rate rounds up to a whole percent; the other ratios are given to two decimals (half up).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from fractions import Fraction
from typing import Protocol

Values = Mapping[str, Fraction | None]


@dataclass(frozen=True)
class Term:
    """One part of a sum: coefficient × field."""

    field: str
    coefficient: Fraction = Fraction(1)
    required: bool = False  # without it the sum has no value; other missing parts count as 0


class Named(Protocol):
    """What a formula needs to know of a field: how people call it and what it counts in."""

    name: str
    unit: str


class Formulated(Protocol):
    """What a formula needs to know of an indicator: the sums it declares, its scale and shown decimals."""

    numerator: tuple[Term, ...]
    denominator: tuple[Term, ...]
    alternative_denominator: tuple[Term, ...]
    alternative_reason: str
    unit: str
    scale: int
    places: int | None


Fields = Mapping[str, Named]

MET = "met"
ON_TRACK = "on_track"
BEHIND = "behind"
NO_DATA = "no_data"
NOT_APPLICABLE = "not_applicable"


@dataclass(frozen=True)
class Computation:
    actual: Fraction | None  # in the indicator's unit (percent points for ratios), rounded as the plan says
    numerator: Fraction | None = None
    denominator: Fraction | None = None
    status: str | None = None  # NO_DATA or NOT_APPLICABLE when there is no actual
    note: str = ""
    places: int = 2  # the decimals the actual is shown to: a gap is judged on the shown value too


def sum_terms(terms: tuple[Term, ...], values: Values) -> Fraction | None:
    """A sum whose missing parts count as 0 once any part is reported; None when none is, or when a
    required part (the 實支數 of budget execution) is missing."""
    total = None
    for term in terms:
        value = values.get(term.field)
        if value is None:
            if term.required:
                return None
            continue
        part = value if term.coefficient == 1 else term.coefficient * value
        total = part if total is None else total + part
    return total if total is None or isinstance(total, Fraction) else Fraction(total)


def percent(numerator: Fraction, denominator: Fraction) -> Fraction:
    # One normalisation instead of four: the county view evaluates thousands of these per month shown.
    numerator, denominator = Fraction(numerator), Fraction(denominator)
    return Fraction(numerator.numerator * 100 * denominator.denominator, numerator.denominator * denominator.numerator)


def round_half_up(value: Fraction, places: int = 2) -> Fraction:
    scale = 10**places
    value = Fraction(value)
    # floor(v × scale + ½) in integers: floor((2·n·scale + d) ÷ 2d), d > 0.
    return Fraction((2 * value.numerator * scale + value.denominator) // (2 * value.denominator), scale)


def percent_rounded_up(numerator: Fraction, denominator: Fraction) -> Fraction:
    """The plan's 計算結果如有小數點，應無條件進位: a whole percent, rounded up, exactly."""
    return Fraction(math.ceil(percent(numerator, denominator)))


def terms_label(terms: tuple[Term, ...], fields: Fields) -> str:
    """'實支數(累計)＋應付數(累計)…' or '精簡之縣款臨時人員數÷2', as the plan writes its sums."""
    names = []
    for term in terms:
        name = fields[term.field].name
        if term.coefficient != 1:
            name = f"{name}÷{1 / term.coefficient}" if term.coefficient.numerator == 1 else f"{name}×{term.coefficient}"
        names.append(name)
    return "＋".join(names)


def alternative_denominator(indicator: Formulated, values: Values, fields: Fields) -> tuple[Fraction | None, str]:
    """The denominator with the plan's alternative rule, and a sentence saying which one was used.

    D is the declared denominator, unless the alternative sum (the 政風處 plan's rule (三): county-funded
    contract positions plus half the temporary positions) is reported and smaller, in which case D is that sum.
    """
    primary = sum_terms(indicator.denominator, values)
    if not indicator.alternative_denominator:
        return primary, ""
    primary_label = terms_label(indicator.denominator, fields)
    unit = fields[indicator.denominator[0].field].unit
    if primary is None:
        return None, f"{primary_label}未填報"
    alternative = sum_terms(indicator.alternative_denominator, values)
    alternative_label = terms_label(indicator.alternative_denominator, fields)
    reason = f"（{indicator.alternative_reason}）" if indicator.alternative_reason else ""
    if alternative is None:
        return primary, (f"分母採{primary_label} {format_number(primary)} {unit}"
                         f"（未填報{alternative_label}，未檢核{indicator.alternative_reason or '替代分母'}）")
    if alternative < primary:
        return alternative, (f"分母改採{alternative_label}＝{format_number(alternative)} {unit}，"
                             f"因少於{primary_label} {format_number(primary)} {unit}{reason}")
    return primary, (f"分母採{primary_label} {format_number(primary)} {unit}"
                     f"（{alternative_label}＝{format_number(alternative)} {unit}，未少於{primary_label}）")


def count(indicator: Formulated, values: Values, fields: Fields) -> Computation:
    total = sum_terms(indicator.numerator, values)
    if total is None:
        return Computation(None, status=NO_DATA, note="尚無填報資料")
    return Computation(total, numerator=total)


def _ratio(numerator: Fraction | None, denominator: Fraction | None,
           rounding: Callable[[Fraction, Fraction], Fraction], note: str = "", places: int = 2) -> Computation:
    if denominator == 0:
        return Computation(None, numerator, denominator, NOT_APPLICABLE, note or "分母為 0，本指標不適用", places)
    if numerator is None:
        return Computation(None, None, denominator, NO_DATA, note or "分子尚無填報資料", places)
    if denominator is None:
        return Computation(None, numerator, None, NO_DATA, note or "分母尚無填報資料", places)
    return Computation(rounding(numerator, denominator), numerator, denominator, None, note, places)


def percent_two_decimals(numerator: Fraction, denominator: Fraction) -> Fraction:
    return round_half_up(percent(numerator, denominator), 2)


def shown_places(indicator: Formulated, default: int | None = None) -> int:
    """The decimals a share or quotient is shown to: the plan's `places`, else `default`, else 2 for % and 0 for
    whole units."""
    places = getattr(indicator, "places", None)
    if places is not None:
        return places
    if default is not None:
        return default
    return 2 if indicator.unit == "%" else 0


def ratio(indicator: Formulated, values: Values, fields: Fields) -> Computation:
    denominator, note = alternative_denominator(indicator, values, fields)
    places = shown_places(indicator, 2)
    return _ratio(sum_terms(indicator.numerator, values), denominator,
                  lambda n, d: round_half_up(percent(n, d), places), note, places)


def reduction_rate(indicator: Formulated, values: Values, fields: Fields) -> Computation:
    """The plan's 計算結果如有小數點，應無條件進位: a whole percent, rounded up."""
    denominator, note = alternative_denominator(indicator, values, fields)
    return _ratio(sum_terms(indicator.numerator, values), denominator, percent_rounded_up, note, 0)


def quotient(indicator: Formulated, values: Values, fields: Fields) -> Computation:
    """Σnumerator ÷ Σdenominator × scale, half up to the shown places (平均處理日數, 每萬人口…)."""
    denominator, note = alternative_denominator(indicator, values, fields)
    scale, places = getattr(indicator, "scale", 1), shown_places(indicator)
    return _ratio(sum_terms(indicator.numerator, values), denominator,
                  lambda n, d: round_half_up(Fraction(n) / Fraction(d) * scale, places), note, places)


def latest(indicator: Formulated, values: Values, fields: Fields) -> Computation:
    """The one field's latest reported value (問卷調查, 滿意度, 現況數), half up to the shown places (default 2)."""
    value = values.get(indicator.numerator[0].field)
    places = shown_places(indicator, 2)
    if value is None:
        return Computation(None, status=NO_DATA, note="尚無填報資料", places=places)
    shown = round_half_up(Fraction(value), places)
    return Computation(shown, numerator=Fraction(value), places=places)


def milestone(indicator: Formulated, values: Values, fields: Fields) -> Computation:
    """完成工作項目: the percent of the highest stage completed (the field holds its number; 0 is none yet).
    The numerator carries the stage number; a number that is no stage (refused at upload) is 無資料, said so."""
    stages = getattr(indicator, "stages", ())
    value = values.get(indicator.numerator[0].field)
    if value is None:
        return Computation(None, status=NO_DATA, note="尚無填報資料")
    if value != int(value) or not 0 <= value <= len(stages):
        return Computation(None, numerator=Fraction(value), status=NO_DATA,
                           note=f"填報的階段編號 {format_number(value)} 不在 0～{len(stages)} 之間")
    stage = int(value)
    return Computation(Fraction(stages[stage - 1].percent) if stage else Fraction(0), numerator=Fraction(stage))


# Keys a growth indicator's values carry besides its field: the base figure, and the month a plan's whole-year
# base_value was pro-rated to (absent when the base came from the store).
BASE = "\0base"
BASE_FROM_PLAN = "\0base_from_plan"


def growth(indicator: Formulated, values: Values, fields: Fields) -> Computation:
    """成長率 over a base year: (S_this − S_base) ÷ S_base × 100, half up to 2 decimals; the note says where the
    base came from. Numerator and denominator carry S_this and S_base."""
    code = indicator.numerator[0].field
    this, base = values.get(code), values.get(BASE)
    year = getattr(indicator, "base_year", None)
    unit = fields[code].unit
    if base is None:
        return Computation(None, this, None, NO_DATA, f"缺少 {year} 年（基準年度）的{fields[code].name}，"
                                                      "計畫也沒有基準值（base_value）")
    months = values.get(BASE_FROM_PLAN)
    if months is None:
        note = f"基準：{year} 年同期{fields[code].name} {format_number(base)} {unit}（資料庫）"
    elif months == 0:
        note = f"基準：計畫所訂 {year} 年{fields[code].name} {format_number(base)} {unit}"
    else:
        whole = base * 12 / months
        note = (f"基準：計畫所訂 {year} 年全年{fields[code].name} {format_number(whole)} {unit} × {months} ÷ 12 ＝ "
                f"{format_number(base)} {unit}")
    if base == 0:
        return Computation(None, this, base, NOT_APPLICABLE, f"{note}；基準為 0，本指標不適用")
    if this is None:
        return Computation(None, None, base, NO_DATA, f"{note}；本年度尚無填報資料")
    return Computation(round_half_up((this - base) / base * 100, 2), this, base, None, note)


Formula = Callable[[Formulated, Values, Fields], Computation]


# How far an indicator is from its target, in its natural unit (None when met or not computable).
def gap_count(target: Fraction, computation: Computation) -> Fraction:
    return Fraction(math.ceil(target - computation.actual))


def gap_difference(target: Fraction, computation: Computation) -> Fraction:
    """The shown value's distance from the target, in the indicator's unit (a quotient, a ceiling's excess)."""
    return Fraction(target) - computation.actual


def met_threshold(target: Fraction, places: int = 2) -> Fraction:
    """The exact share (in percent) from which the half-up actual, shown to `places` decimals, reaches the target.

    Status is judged on the shown value, so the gap must be too: 35 ÷ 86 = 40.698…% shows as 40.70 and
    meets 40.7. rounded ≥ T ⟺ exact ≥ (T rounded up to 2 decimals) − 0.005.
    """
    scale = 10**places
    return Fraction(math.ceil(Fraction(target) * scale), scale) - Fraction(1, 2 * scale)


def gap_whole_fixed_denominator(target: Fraction, computation: Computation) -> Fraction:
    """People still to certify, the headcount staying as it is: ceil(threshold × headcount) − certified."""
    threshold = met_threshold(target, computation.places) / 100
    return Fraction(math.ceil(threshold * computation.denominator) - computation.numerator)


def gap_amount_fixed_denominator(target: Fraction, computation: Computation) -> Fraction:
    """Amount still to execute against a fixed budget: threshold × budget − executed."""
    return met_threshold(target, computation.places) / 100 * computation.denominator - computation.numerator


def gap_growing_denominator(target: Fraction, computation: Computation) -> Fraction:
    """Items still needed when each new one adds to both sides: smallest k with (n+k)/(d+k) ≥ threshold."""
    share = met_threshold(target, computation.places) / 100
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
    "difference": gap_difference,
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


# Multi-year scoring: the points of each year of a span, from the years in which an indicator met its target.

def first_year_met(met: Mapping[int, bool | None], years: tuple[int, ...], points_by_first_year: Mapping[int, Fraction],
                   not_met_points: Fraction) -> tuple[int | None, dict[int, Fraction | None]]:
    """The 政風處 112 plan's 計分說明 (四) of goal 6: the first year of the span in which the target was met
    decides the points of that year and of every later year of the span (met in 112 or 113: full points; in
    114: 4; in 115: 3), whatever later years show. A year before it scores `not_met_points` when it was
    evaluated and missed, and None (not known yet) when it has no evaluation.

    met: year → True (met), False (evaluated, not met) or None (no plan or no figures).
    Returns (the year first met or None, year → points or None).
    """
    first = next((year for year in years if met.get(year)), None)
    points: dict[int, Fraction | None] = {}
    for year in years:
        if first is not None and year >= first:
            points[year] = Fraction(points_by_first_year[first])
        elif met.get(year) is False:
            points[year] = Fraction(not_met_points)
        else:
            points[year] = None
    return first, points


MultiYearRule = Callable[[Mapping[int, bool | None], tuple[int, ...], Mapping[int, Fraction], Fraction],
                         tuple[int | None, dict[int, Fraction | None]]]

MULTI_YEAR_RULES: dict[str, MultiYearRule] = {
    "first_year_met": first_year_met,
}
