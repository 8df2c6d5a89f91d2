"""The evaluation over time, by hand: the score month by month against the pace, last month, last year."""

from __future__ import annotations

import math
from decimal import Decimal
from pathlib import Path

import pytest

from catalogues import CATALOGUE, PLAN_112
from metrics.evaluation.core import evaluate, pace_score
from metrics.evaluation.figures import Figures
from metrics.intake.monthly import read_upload
from metrics.evaluation.trends import change_text, last_month, last_year, score_series

SAMPLE = Path(__file__).resolve().parent.parent / "sample_data" / "112-full-year.csv"


def sample_figures() -> Figures:
    return Figures.from_frame(PLAN_112, read_upload(SAMPLE.read_bytes(), SAMPLE.name, CATALOGUE))


@pytest.mark.parametrize(("month", "pace"), [
    # accruing weights 12.5×4 + 2.5×2 + 10 + 5×2 = 75 at M ÷ 12; the others (5×4 = 20) at their target; ÷ 95
    (12, 100.0), (6, round((75 * 6 / 12 + 20) / 95 * 100, 10)), (1, round((75 / 12 + 20) / 95 * 100, 10)),
])
def test_the_pace_score(month, pace):
    assert float(pace_score(PLAN_112, month)) == pytest.approx(pace, abs=1e-9)


def test_the_score_month_by_month_stops_at_the_month_shown():
    series = score_series(sample_figures(), 6)
    assert series["label"].tolist() == [f"{month}月" for month in range(1, 13)]
    assert series.loc[5, "score"] == pytest.approx(51.44, abs=0.005)  # the 6月 score of the overview test
    assert all(math.isnan(value) for value in series["score"][6:])
    assert series["pace"].iloc[-1] == 100


def values(month: int, **codes) -> Figures:
    return Figures.from_mapping(PLAN_112, {code: {m: v for m, v in enumerate(series, start=1)} for code, series in
                                           codes.items()})


@pytest.mark.parametrize(("indicator_id", "codes", "expected"), [
    ("2", {"procurement_audits": [11, 13]}, "較上月 +13 案"),
    ("10-1", {"edoc_sent_electronic": [97, 95], "edoc_sent_total": [100, 100]}, "較上月 -1 個百分點"),  # 97 → 96
    ("7", {"hakka_certified": [11, 11], "staff_headcount": [27, 27]}, "較上月 無變化"),
    ("1", {"procurement_audits": [1, 1]}, ""),  # no value either month
])
def test_change_since_last_month(indicator_id, codes, expected):
    figures = values(2, **codes)
    now, before = evaluate(figures, 2), evaluate(figures, 1)
    assert change_text(now.result(indicator_id), before.result(indicator_id), "較上月") == expected
    assert last_month(now, before)[indicator_id] == expected


def test_the_same_month_last_year_is_judged_by_last_years_plan():
    from dataclasses import replace

    earlier_plan = replace(PLAN_112, indicators=tuple(replace(indicator, target=Decimal(120)) if indicator.id == "2"
                                                      else indicator for indicator in PLAN_112.indicators), year=111)
    earlier = evaluate(Figures.from_mapping(earlier_plan, {"procurement_audits": {1: 10, 2: 9}}), 2)
    now = evaluate(values(2, procurement_audits=[11, 13]), 2)
    assert last_year(now, earlier) == {"2": "去年同期 19 案（落後，目標 120 案）"}
    assert last_year(now, None) == {}
