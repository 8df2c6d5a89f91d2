"""An evaluation over time: the weighted score month by month against the pace, each indicator against last
month and against the same month of the previous year (that year judged by its own plan)."""

from __future__ import annotations

from fractions import Fraction

import pandas as pd

from metrics.evaluation.core import Evaluation, IndicatorResult, evaluate, pace_score
from metrics.evaluation.figures import Figures
from metrics.plans.formulas import format_number


def score_series(figures: Figures, as_of_month: int) -> pd.DataFrame:
    """Months 1..12: the weighted score as of each month up to `as_of_month` (NaN after it, and before the first
    reported month) and the pace score (a unit exactly on pace)."""
    reported = figures.reported_months()
    first = reported[0] if reported else None
    rows = []
    for month in range(1, 13):
        score = None
        if first and first <= month <= as_of_month:
            score = evaluate(figures, month).weighted_score
        pace = pace_score(figures.plan, month)
        rows.append({"month": month, "label": f"{month}月", "score": None if score is None else float(score),
                     "pace": None if pace is None else float(pace)})
    return pd.DataFrame(rows, columns=["month", "label", "score", "pace"]).astype({"score": float, "pace": float})


def change_text(current: IndicatorResult, earlier: IndicatorResult | None, what: str) -> str:
    """'較上月 +3 案', '較上月 -0.04 個百分點', '較上月 無變化'; '' when either side has no value."""
    if earlier is None or current.actual is None or earlier.actual is None:
        return ""
    delta = Fraction(current.actual) - Fraction(earlier.actual)
    if delta == 0:
        return f"{what} 無變化"
    unit = "個百分點" if current.indicator.unit == "%" else current.indicator.unit
    return f"{what} {'+' if delta > 0 else '-'}{format_number(abs(delta))} {unit}"


def last_month(evaluation: Evaluation, previous: Evaluation | None) -> dict[str, str]:
    """Per indicator: the change since last month, as text ('' in January or without a value)."""
    if previous is None:
        return {}
    return {result.indicator.id: change_text(result, _same(previous, result.indicator.id), "較上月")
            for result in evaluation.results}


def last_year(evaluation: Evaluation, earlier: Evaluation | None) -> dict[str, str]:
    """Per indicator: the same month of the previous year, judged by that year's plan ('' where it has none)."""
    if earlier is None:
        return {}
    texts = {}
    for result in evaluation.results:
        before = _same(earlier, result.indicator.id)
        if before is None or before.actual is None:
            continue
        texts[result.indicator.id] = (f"去年同期 {before.format_value(before.actual)}（{before.status_label}，"
                                      f"目標 {before.format_value(before.target)}）")
    return texts


def _same(evaluation: Evaluation, indicator_id: str) -> IndicatorResult | None:
    return next((result for result in evaluation.results if result.indicator.id == indicator_id), None)
