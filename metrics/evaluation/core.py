"""Evaluation of the plan as of a month: actual, achievement, status, pace, projection, gap, score.

The rules are the data contract's §3, docs/資料規格.md 第六節 (評核規則) for users; everything is exact (Fraction)
until `to_json` or the formatting helpers turn it into what people read.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, replace
from decimal import Decimal
from fractions import Fraction

import pandas as pd

from metrics.errors import InputError
from metrics.evaluation.figures import Figures
from metrics.plans.formulas import (BEHIND, MET, MULTI_YEAR_RULES, NO_DATA, NOT_APPLICABLE, ON_TRACK, Computation,
                              format_number, round_half_up)
from metrics.plans.plan import Goal, Indicator, MultiYearScoring, Plan

ZERO = Fraction(0)
STATUSES: tuple[str, ...] = (MET, ON_TRACK, BEHIND, NO_DATA, NOT_APPLICABLE)
STATUS_LABELS: dict[str, str] = {
    MET: "達標",
    ON_TRACK: "符合進度",
    BEHIND: "落後",
    NO_DATA: "無資料",
    NOT_APPLICABLE: "不適用",
}


@dataclass(frozen=True)
class IndicatorResult:
    indicator: Indicator
    goal: Goal
    as_of_month: int
    target: Fraction
    weight: Fraction
    computation: Computation
    achievement: Fraction | None
    status: str
    pace: Fraction | None  # what the target asks for by this month (accruing indicators only)
    projection: Fraction | None  # year-end value at the current run rate (accruing) or the current value
    gap: Fraction | None  # still needed, in the gap's natural unit; 0 when met
    gap_text: str
    reported_months: tuple[int, ...]  # months 1..M in which any of its fields was reported
    numerator_label: str
    denominator_label: str
    trend: Fraction | None = None  # the projection at the run rate before the indicator's upper bound caps it

    @property
    def projection_capped(self) -> bool:
        """The run rate passes the indicator's upper bound, by more than the shown decimals hide."""
        return (self.trend is not None and self.projection is not None and self.trend > self.projection
                and self.format_value(self.trend) != self.format_value(self.projection))

    @property
    def projection_text(self) -> str:
        """'100%（依趨勢推估為 125.26%，預算執行率不會超過 100%）' when capped, else the projection as a value."""
        shown = self.format_value(self.projection)
        if not self.projection_capped:
            return shown
        return (f"{shown}（依趨勢推估為 {self.format_value(self.trend)}，{self.indicator.short_name}不會超過 "
                f"{self.format_value(self.projection)}）")

    @property
    def actual(self) -> Fraction | None:
        return self.computation.actual

    @property
    def status_label(self) -> str:
        """The status in words; the status value itself stays the contract's (behind), only the word differs."""
        if self.status == BEHIND:
            return self.indicator.direction.missed_label(self.as_of_month) or STATUS_LABELS[BEHIND]
        return STATUS_LABELS[self.status]

    @property
    def missing_months(self) -> tuple[int, ...]:
        return tuple(month for month in range(1, self.as_of_month + 1) if month not in self.reported_months)

    @property
    def target_text(self) -> str:
        """'≤ 5 日' for a ceiling, '150 案' otherwise."""
        return self.indicator.direction.target_text(self.format_value(self.target))

    def format_value(self, value: Fraction | None) -> str:
        if value is None:
            return "—"
        unit = self.indicator.unit
        return f"{format_number(value)}%" if unit == "%" else f"{format_number(value)} {unit}"

    def to_json(self) -> dict[str, object]:
        return {
            "id": self.indicator.id,
            "goal": self.goal.number,
            "name": self.indicator.name,
            "weight": json_number(self.weight),
            "target": json_number(self.target),
            "unit": self.indicator.unit,
            "kind": self.indicator.formula,
            "direction": self.indicator.direction.value,
            "actual": json_number(self.actual),
            "achievement": json_number(self.achievement, 4),
            "status": self.status,
            "status_label": self.status_label,
            "pace": json_number(self.pace),
            "projection": json_number(self.projection),
            "projection_trend": json_number(self.trend),
            "gap": json_number(self.gap),
            "gap_text": self.gap_text,
            "numerator": json_number(self.computation.numerator),
            "denominator": json_number(self.computation.denominator),
            "note": self.computation.note,
            "missing_months": list(self.missing_months),
            **self.indicator.kind.json_fields(self.computation),
        }


@dataclass(frozen=True)
class Evaluation:
    plan: Plan
    as_of_month: int
    results: tuple[IndicatorResult, ...]
    weighted_score: Fraction | None  # 0–100 over applicable indicators
    weight_total: Fraction  # weights of the applicable indicators the score is divided by

    @property
    def plan_weight_total(self) -> Decimal:
        return self.plan.weight_total

    def result(self, indicator_id: str) -> IndicatorResult:
        for result in self.results:
            if result.indicator.id == indicator_id:
                return result
        raise KeyError(indicator_id)

    def of_goal(self, goal: int) -> tuple[IndicatorResult, ...]:
        return tuple(result for result in self.results if result.goal.number == goal)

    def status_counts(self) -> dict[str, int]:
        counts = {status: 0 for status in STATUSES}
        for result in self.results:
            counts[result.status] += 1
        return counts

    def missed_count(self) -> int:
        """Of the behind indicators, those a year-end word calls 未達標 rather than 落後 (a missed ceiling)."""
        return sum(1 for result in self.results
                   if result.status == BEHIND and result.status_label != STATUS_LABELS[BEHIND])

    def status_count_labels(self) -> list[tuple[str, str, int]]:
        """(status, word, count) in the contract's order, as a summary line or the overview's boxes show them:
        a behind indicator is counted under the word its row shows, 未達標 apart from 落後 (only when there is one)."""
        counts, missed = self.status_counts(), self.missed_count()
        rows = [(status, STATUS_LABELS[status], counts[status] - (missed if status == BEHIND else 0))
                for status in STATUSES]
        if missed:
            rows.insert(STATUSES.index(BEHIND) + 1, (BEHIND, "未達標", missed))
        return rows

    def to_json(self) -> dict[str, object]:
        return {
            "organisation": self.plan.organisation,
            "unit": self.plan.unit,
            "year": self.plan.year,
            "plan": plan_json(self.plan),
            "as_of_month": self.as_of_month,
            "weighted_score": json_number(self.weighted_score),
            "weight_total": json_number(self.weight_total),
            "plan_weight_total": json_number(Fraction(self.plan.weight_total)),
            "status_counts": self.status_counts(),
            "indicators": [result.to_json() for result in self.results],
        }


def json_number(value: Fraction | None, places: int = 2) -> int | float | None:
    """Whole numbers as ints; others rounded half up to `places` decimals."""
    if value is None:
        return None
    value = Fraction(value)
    if value.denominator == 1:
        return value.numerator
    rounded = round_half_up(value, places)
    return rounded.numerator if rounded.denominator == 1 else float(rounded)


def plan_json(plan: Plan) -> dict[str, object]:
    """Which plan an evaluation used: enough to find that very version again."""
    version = plan.version
    return {
        "year": plan.year,
        "unit": plan.unit,
        "unit_name": plan.unit_name,
        "organisation": plan.organisation,
        "sample": plan.sample,
        "version": version.number if version else None,
        "version_created_at": version.created_at.isoformat() if version else None,
        "version_author": version.author if version else None,
        "origin": version.origin if version else plan.origin,
        "description": plan.version_text,
    }


def parse_target(indicator_id: str, text: str, plan: Plan) -> tuple[str, Fraction]:
    """A what-if target as typed on the command line or in the editor: '97', '97%', '１３０'."""
    from metrics.intake.parsing import parse_number

    indicator = plan.indicator_by_id.get(indicator_id.strip())
    if indicator is None:
        known = "、".join(plan.indicator_by_id)
        raise InputError(f"指標代號「{indicator_id}」不存在，可用的代號：{known}")
    cleaned = text.strip().rstrip("%％")
    try:
        value = parse_number(cleaned)
    except ValueError:
        value = None
    if value is None or value <= 0:
        raise InputError(f"指標 {indicator.id}（{indicator.short_name}）的目標值「{text}」須為大於 0 的數字"
                         f"（例如 {format_number(Fraction(indicator.target))}）")
    return indicator.id, Fraction(value)


def evaluate(figures: Figures, as_of_month: int | None = None, *,
             targets: Mapping[str, Fraction | Decimal] | None = None,
             weights: Mapping[str, Fraction | Decimal] | None = None) -> Evaluation:
    """Evaluate every indicator of the figures' plan as of `as_of_month` (default: latest reported)."""
    plan = figures.plan
    if as_of_month is None:
        as_of_month = figures.latest_month()
        if as_of_month is None:
            raise InputError("沒有任何已填報的數字，無法計算指標；請先上傳月報")
    if not 1 <= as_of_month <= 12:
        raise InputError(f"統計月份「{as_of_month}」須為 1 至 12")
    targets = targets or {}
    weights = weights or {}
    exact = plan.exact_targets_weights
    results = tuple(
        evaluate_indicator(
            indicator, plan.goal_by_number[indicator.goal], figures, as_of_month,
            Fraction(targets[indicator.id]) if indicator.id in targets else exact[indicator.id][0],
            Fraction(weights[indicator.id]) if indicator.id in weights else exact[indicator.id][1],
        )
        for indicator in plan.indicators
    )
    score, weight_total = weighted_score(results)
    return Evaluation(plan, as_of_month, results, score, weight_total)


def evaluate_some(figures: Figures, as_of_month: int, ids: Collection[str]) -> dict[str, IndicatorResult]:
    """The results of the plan's indicators among `ids` as of `as_of_month`, each exactly as evaluate gives it
    (an indicator's result depends on its own figures, target and weight only): the county compares the
    common indicators of 30 plans and needs nothing else of them."""
    if not 1 <= as_of_month <= 12:
        raise InputError(f"統計月份「{as_of_month}」須為 1 至 12")
    plan = figures.plan
    exact = plan.exact_targets_weights
    return {indicator.id: evaluate_indicator(indicator, plan.goal_by_number[indicator.goal], figures, as_of_month,
                                             *exact[indicator.id])
            for indicator in plan.indicators if indicator.id in ids}


def weighted_score(results: Iterable[IndicatorResult]) -> tuple[Fraction | None, Fraction]:
    """(Σ weight × min(achievement, 1) ÷ Σ weight × 100, Σ weight) over the applicable results; no_data counts 0."""
    applicable = [result for result in results if result.status != NOT_APPLICABLE]
    weight_total = sum((result.weight for result in applicable), ZERO)
    if weight_total <= 0:
        return None, weight_total
    earned = sum((result.weight if result.achievement >= 1 else result.weight * result.achievement
                  for result in applicable if result.achievement), ZERO)
    return earned / weight_total * 100, weight_total


def pace_score(plan: Plan, month: int, ids: Iterable[str] | None = None) -> Fraction | None:
    """The weighted score of a unit exactly on pace in `month`: each accruing indicator at target × M ÷ 12,
    every other indicator at its target (the line a month-by-month score is read against); with `ids`, over
    those of the plan's indicators only (the county's common set)."""
    chosen = None if ids is None else set(ids)
    weights = [(Fraction(indicator.weight), indicator.direction.pace_share(indicator.accrues, month))
               for indicator in plan.indicators if chosen is None or indicator.id in chosen]
    total = sum((weight for weight, _ in weights), Fraction(0))
    return None if total <= 0 else sum((weight * share for weight, share in weights), Fraction(0)) / total * 100


def evaluate_indicator(indicator: Indicator, goal: Goal, figures: Figures, month: int, target: Fraction,
                       weight: Fraction) -> IndicatorResult:
    values = indicator.kind.values(indicator, figures, month)
    computation = indicator.kind.compute(indicator, values, figures.plan.field_by_code)
    pace = Fraction(target.numerator * month, target.denominator * 12) if indicator.accrues else None
    achievement = projection = trend = gap = None
    gap_text = ""
    if computation.actual is None:
        status = computation.status or NO_DATA
    else:
        actual = computation.actual
        achievement = indicator.kind.achievement(indicator, actual, target)
        status = indicator.kind.status(indicator, computation, target, pace, month)
        trend = Fraction(actual.numerator * 12, actual.denominator * month) if indicator.accrues else actual
        bound = indicator.upper_bound
        projection = trend if bound is None else min(trend, Fraction(bound))
        gap, gap_text = indicator.kind.gap(indicator, target, pace, computation, status)
    reported = tuple(month_number for month_number in figures.reported_months(indicator.fields) if month_number <= month)
    numerator_label, denominator_label = figures.plan.term_labels[indicator.id]
    return IndicatorResult(indicator, goal, month, target, weight, computation, achievement, status, pace,
                           projection, gap, gap_text, reported, numerator_label, denominator_label, trend)


# ---- multi-year scoring (the plan's 計分說明 (四) of goal 6) ----

@dataclass(frozen=True)
class YearStanding:
    """How one year of a multi-year span stands for one unit."""

    year: int
    has_plan: bool
    as_of_month: int | None  # the month the year was judged at (its latest reported month); None without figures
    status: str | None  # the indicator's status then; None without a plan or figures
    actual: Fraction | None
    target: Fraction | None
    points: Fraction | None  # None: not known yet

    @property
    def met(self) -> bool | None:
        if self.status in (None, NO_DATA, NOT_APPLICABLE):
            return None
        return self.status == MET

    @property
    def final(self) -> bool:
        """Judged on December's figures; before that the year's points may still change."""
        return self.as_of_month == 12


@dataclass(frozen=True)
class MultiYearPoints:
    rule: MultiYearScoring
    unit: str
    first_met_year: int | None
    years: tuple[YearStanding, ...]

    def to_json(self) -> dict[str, object]:
        return {
            "indicator": self.rule.indicator,
            "rule": self.rule.rule,
            "source": self.rule.source,
            "full_points": json_number(Fraction(self.rule.full_points)),
            "first_met_year": self.first_met_year,
            "years": [{
                "year": standing.year,
                "has_plan": standing.has_plan,
                "as_of_month": standing.as_of_month,
                "final": standing.final,
                "status": standing.status,
                "actual": json_number(standing.actual),
                "target": json_number(standing.target),
                "points": json_number(standing.points),
            } for standing in self.years],
        }


def multi_year_points(rule: MultiYearScoring, unit: str, plans: Mapping[int, Plan | None],
                      frame: pd.DataFrame, *, figures_of: Mapping[tuple[int, str], Figures] | None = None
                      ) -> MultiYearPoints:
    """Each year of the rule's span judged against that year's own plan of the unit, from `frame` (tidy
    figures of any years); the year first met and the points of every year follow by the rule. `figures_of`:
    each plan's figures split from `frame` at once (Figures.for_plans), for a caller judging many units."""
    standings = []
    for year in rule.years:
        plan = plans.get(year)
        indicator = plan.indicator_by_id.get(rule.indicator) if plan is not None else None
        if plan is None or indicator is None or plan.unit != unit:
            standings.append(YearStanding(year, plan is not None, None, None, None, None, None))
            continue
        figures = figures_of[plan.key] if figures_of is not None else Figures.from_frame(plan, frame)
        months = figures.reported_months(indicator.fields)
        target = Fraction(indicator.target)
        if not months:
            standings.append(YearStanding(year, True, None, None, None, target, None))
            continue
        result = evaluate_indicator(indicator, plan.goal_by_number[indicator.goal], figures, months[-1], target,
                                    Fraction(indicator.weight))
        standings.append(YearStanding(year, True, months[-1], result.status, result.actual, target, None))
    met = {standing.year: standing.met for standing in standings}
    first, points = MULTI_YEAR_RULES[rule.rule](met, rule.years, {year: Fraction(value) for year, value in rule.points.items()},
                                                Fraction(rule.not_met_points))
    standings = [replace(standing, points=points[standing.year]) for standing in standings]
    return MultiYearPoints(rule, unit, first, tuple(standings))
