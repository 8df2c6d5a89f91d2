"""The county view: every unit with a plan in a year, side by side on the common indicators as of a month;
who has not reported the month; goal 6's multi-year points per unit.

Each unit is evaluated against its own plan (and only its own figures); the common indicators are those
of the catalogue's common set, whatever a unit's own indicators are. The score over the common set is the
same weighted rule as a unit's overall score, restricted to the common indicators.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction

import pandas as pd

from metrics.plans.catalogue import Catalogue
from metrics.evaluation.core import (Evaluation, IndicatorResult, MultiYearPoints, evaluate, evaluate_some,
                                     multi_year_points, weighted_score)
from metrics.evaluation.figures import Figures
from metrics.plans.formulas import NO_DATA, format_number, round_half_up
from metrics.plans.plan import Plan


@dataclass(frozen=True)
class UnitStanding:
    """One unit in the county view. Its whole plan's evaluation is made when first asked for (the briefing
    counts every indicator; the comparison needs the common ones only)."""

    plan: Plan
    whole: Callable[[], Evaluation] = field(repr=False, compare=False)
    common: tuple[IndicatorResult | None, ...]  # the common indicators, in CountyView.indicator_ids order
    common_score: Fraction | None
    rank: int | None  # 1 = best common score; equal scores share a rank; None without a score
    missing_fields: tuple[str, ...]  # the plan's fields with no figure for the month (Chinese names)

    @property
    def unit(self) -> str:
        return self.plan.unit

    @functools.cached_property
    def evaluation(self) -> Evaluation:
        """Its whole plan as of the month."""
        return self.whole()


@dataclass(frozen=True)
class CountyView:
    year: int
    month: int
    indicator_ids: tuple[str, ...]
    indicator_names: tuple[str, ...]
    standings: tuple[UnitStanding, ...]  # in rank order, units without a score last (then by name order)

    @property
    def missing(self) -> tuple[UnitStanding, ...]:
        return tuple(standing for standing in self.standings if standing.missing_fields)


def competition_ranks(scores: Sequence[Fraction | None]) -> list[int | None]:
    """1, 2, 2, 4 for scores 90, 80, 80, 70 (the highest first); None stays unranked."""
    ranked = sorted((score for score in scores if score is not None), reverse=True)
    return [None if score is None else ranked.index(score) + 1 for score in scores]


def missing_fields(figures: Figures, month: int) -> tuple[str, ...]:
    """The plan's fields without a figure for `month`, by name, in the plan's order."""
    return tuple(monthly_field.name for monthly_field in figures.plan.fields
                 if figures.monthly(monthly_field.code, month) is None)


def year_figures(catalogue: Catalogue, frame: pd.DataFrame, year: int) -> dict[tuple[int, str], Figures]:
    """Each unit's figures of the year, against its own plan: what every month of the county view draws on."""
    return Figures.for_plans([catalogue.plan(year, unit) for unit in catalogue.units_in(year)], frame)


def county_view(catalogue: Catalogue, frame: pd.DataFrame, year: int, month: int, *,
                figures: Mapping[tuple[int, str], Figures] | None = None,
                evaluation_of: Callable[[Figures, int], Evaluation] = evaluate,
                common_of: Callable[[Figures, int, tuple[str, ...]], Mapping[str, IndicatorResult]] = evaluate_some
                ) -> CountyView:
    """Every unit with a plan in `year`, as of `month`, against its own plan (`figures`: year_figures, when the
    caller keeps them between months). A unit's common indicators are `common_of`'s (evaluate_some: they alone
    evaluated, or what the caller kept of them); its whole evaluation, when asked for, is `evaluation_of`'s
    (evaluate, or the caller's kept one)."""
    ids = tuple(indicator.id for indicator in catalogue.common.indicators)
    names = tuple(indicator.short_name for indicator in catalogue.common.indicators)
    rows = []
    figures = figures if figures is not None else year_figures(catalogue, frame, year)
    for unit in catalogue.units_in(year):
        plan = catalogue.plan(year, unit)
        unit_figures = figures[plan.key]
        by_id = common_of(unit_figures, month, ids)
        common = tuple(by_id.get(indicator_id) for indicator_id in ids)
        score, _ = weighted_score(result for result in common if result is not None)
        if all(result is None or result.status == NO_DATA for result in common):
            score = None  # nothing reported yet: not last with 0 points, but unranked and listed as missing
        whole = functools.partial(evaluation_of, unit_figures, month)
        rows.append((plan, whole, common, score, missing_fields(unit_figures, month)))
    ranks = competition_ranks([row[3] for row in rows])
    standings = [UnitStanding(plan, whole, common, score, rank, missing)
                 for (plan, whole, common, score, missing), rank in zip(rows, ranks)]
    order = {unit: index for index, unit in enumerate(catalogue.units_in(year))}
    standings.sort(key=lambda standing: (standing.rank is None, standing.rank or 0, order[standing.unit]))
    return CountyView(year, month, ids, names, tuple(standings))


def county_multi_year(catalogue: Catalogue, frame: pd.DataFrame, year: int, *,
                      points_of: Callable[[str], MultiYearPoints] | None = None) -> list[MultiYearPoints]:
    """Goal 6's multi-year points of every unit with a plan in `year` whose plan carries the rule. `points_of`:
    a unit's points as the caller keeps them (the county page: per unit's content, reading only what it lacks)."""
    spans = []
    for unit in catalogue.units_in(year):
        rule = catalogue.plan(year, unit).multi_year
        if rule is not None:
            spans.append((rule, unit, {rule_year: catalogue.find(rule_year, unit) for rule_year in rule.years}))
    if points_of is not None:
        return [points_of(unit) for _, unit, _ in spans]
    # Split once: a mask over the whole frame for each unit and year cost 0.2 s at 30 units × 4 years.
    split = Figures.for_plans({plan.key: plan for *_, plans in spans for plan in plans.values()
                               if plan is not None}.values(), frame)
    return [multi_year_points(rule, unit, plans, frame, figures_of=split) for rule, unit, plans in spans]


# ---- as tables ----

STATUS_COLOURS = {"met": "#E2EFDA", "on_track": "#DDEBF7", "behind": "#FCE4D6", "no_data": "#EDEDED",
                  "not_applicable": "#EDEDED"}


def indicator_column(indicator_id: str, name: str) -> str:
    return f"{indicator_id} {name}"


def comparison_frame(view: CountyView) -> pd.DataFrame:
    """One row per unit: name, rank, common score, then each common indicator's value (a number: sortable)."""
    columns = ["單位", "名次", "共同性指標加權分數"] + [indicator_column(indicator_id, name) for indicator_id, name in
                                                zip(view.indicator_ids, view.indicator_names)]
    records = []
    for standing in view.standings:
        record = {"單位": standing.plan.unit_name + ("（範例）" if standing.plan.sample else ""),
                  "名次": standing.rank,
                  "共同性指標加權分數": None if standing.common_score is None else float(round_half_up(standing.common_score))}
        for column, result in zip(columns[3:], standing.common):
            record[column] = None if result is None or result.actual is None else float(result.actual)
        records.append(record)
    frame = pd.DataFrame(records, columns=columns)
    return frame.astype({"名次": "Int64"})


def comparison_statuses(view: CountyView) -> pd.DataFrame:
    """The status of each cell of comparison_frame (met, behind, …; '' where the plan has no such indicator)."""
    columns = [indicator_column(indicator_id, name) for indicator_id, name in zip(view.indicator_ids,
                                                                               view.indicator_names)]
    return pd.DataFrame([[result.status if result is not None else "" for result in standing.common]
                         for standing in view.standings], columns=columns)


def comparison_parts(view: CountyView) -> pd.DataFrame:
    """comparison_frame as text, each ratio with its numerator and denominator: 「40.74%（11 / 27）」."""
    frame = comparison_frame(view).astype(object)
    for column, results in zip(frame.columns[3:], zip(*(standing.common for standing in view.standings))):
        texts = []
        for result in results:
            if result is None:
                texts.append("—")
                continue
            text = result.format_value(result.actual) if result.actual is not None else result.status_label
            computation = result.computation
            if result.indicator.kind.shows_parts(computation):
                text += f"（{format_number(computation.numerator)} / {format_number(computation.denominator)}）"
            texts.append(text)
        frame[column] = texts
    frame["共同性指標加權分數"] = ["—" if value is None or value != value else f"{format_number(Fraction(str(value)))} 分"
                            for value in frame["共同性指標加權分數"]]
    return frame


def missing_frame(view: CountyView) -> pd.DataFrame:
    records = [{"單位": standing.plan.unit_name + ("（範例）" if standing.plan.sample else ""),
                "未填報項目數": len(standing.missing_fields),
                "已填報項目數": len(standing.plan.fields) - len(standing.missing_fields),
                "未填報的項目": "、".join(standing.missing_fields)}
               for standing in view.missing]
    return pd.DataFrame(records, columns=["單位", "未填報項目數", "已填報項目數", "未填報的項目"])


def multi_year_frame(catalogue: Catalogue, points: Sequence[MultiYearPoints], year: int) -> pd.DataFrame:
    """One row per unit: the year it first met the target and its points in each year of the span."""
    years = points[0].rule.years if points else ()
    records = []
    for unit_points in points:
        plan = catalogue.plan(year, unit_points.unit)
        record: dict[str, object] = {"單位": plan.unit_name + ("（範例）" if plan.sample else ""),
                                     "首次達標年度": unit_points.first_met_year}
        for standing in unit_points.years:
            record[f"{standing.year}年分數"] = None if standing.points is None else float(standing.points)
        records.append(record)
    frame = pd.DataFrame(records, columns=["單位", "首次達標年度", *(f"{year}年分數" for year in years)])
    return frame.astype({"首次達標年度": "Int64"})
