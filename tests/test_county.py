"""The county view on a hand-computed fixture: three units and two years of the small fixture catalogue.

Common indicator 9 is 認證人數 ÷ 現職人數 × 100, weight 10, target 50 % in 112 and 60 % in 113.
As of 112年3月:
  甲處  certified 3 of staff 5 (reported in January only, a stock carried to March) → 60 %, met; score 100
  乙處  certified 2 of staff 8 (March) → 25 %, behind, achievement 25 ÷ 50 = ½; score 50
  丙處  certified 4 of staff 10 (February) → 40 %, behind, achievement 0.8; score 80
Ranks 甲處 1, 丙處 2, 乙處 3. Not reported in March: 甲處 (認證人數, 現職人數), 丙處 (both); 乙處 reported all.
Goal 9's multi-year points (10 if first met in 112, 8 in 113): 甲處 met in 112 → 10, 10; 乙處 missed 112 → 0,
and has no 113 plan → unknown; 丙處 missed 112 → 0, nothing reported in 113 → unknown.
"""

from __future__ import annotations

import io
from decimal import Decimal
from fractions import Fraction

import pandas as pd
import pytest
from openpyxl import load_workbook

from catalogues import FIXTURE_PLANS
from metrics.plans.catalogue import load_catalogue
from metrics.evaluation.county import (comparison_frame, comparison_parts, comparison_statuses, competition_ranks,
                            county_multi_year, county_view, missing_frame, multi_year_frame)
from metrics.intake.tidy import TIDY_COLUMNS
from metrics.outputs.report import build_county_report

CATALOGUE = load_catalogue(FIXTURE_PLANS)
FIGURES = [
    # (year, month, unit, field, value)
    (112, 1, "甲處", "cases", 3), (112, 2, "甲處", "cases", 4), (112, 3, "甲處", "cases", 2),
    (112, 1, "甲處", "certified", 3), (112, 1, "甲處", "staff", 5),
    (112, 3, "乙處", "done", 7), (112, 3, "乙處", "total", 10), (112, 3, "乙處", "certified", 2),
    (112, 3, "乙處", "staff", 8),
    (112, 2, "丙處", "certified", 4), (112, 2, "丙處", "staff", 10),
    (113, 2, "甲處", "certified", 7), (113, 2, "甲處", "staff", 10), (113, 2, "甲處", "cases", 1),
]


def tidy(rows=FIGURES) -> pd.DataFrame:
    return pd.DataFrame([(year, month, unit, field, Decimal(value), "x.csv", "", f"E{index + 2}")
                         for index, (year, month, unit, field, value) in enumerate(rows)], columns=list(TIDY_COLUMNS))


@pytest.mark.parametrize(("scores", "ranks"), [
    ([90, 80, 80, 70], [1, 2, 2, 4]),
    ([None, 50, None], [None, 1, None]),
    ([], []),
    ([0, 0], [1, 1]),
])
def test_competition_ranks(scores, ranks):
    assert competition_ranks([None if score is None else Fraction(score) for score in scores]) == ranks


def test_the_comparison_as_of_march():
    view = county_view(CATALOGUE, tidy(), 112, 3)
    assert view.indicator_ids == ("9",)
    assert [(standing.unit, standing.rank, standing.common_score) for standing in view.standings] == [
        ("甲處", 1, Fraction(100)), ("丙處", 2, Fraction(80)), ("乙處", 3, Fraction(50))]
    assert [(result.actual, result.status) for standing in view.standings for result in standing.common] == [
        (Fraction(60), "met"), (Fraction(40), "behind"), (Fraction(25), "behind")]
    assert [(standing.unit, standing.missing_fields) for standing in view.missing] == [
        ("甲處", ("認證人數", "現職人數")), ("丙處", ("認證人數", "現職人數"))]
    # each unit's whole plan is its own: 甲處's own indicator 1 counts its cases only (3 + 4 + 2)
    assert view.standings[0].evaluation.result("1").actual == 9
    assert view.standings[2].evaluation.result("1").actual == 70  # 乙處's own 完成率


def test_the_comparison_tables_people_read():
    view = county_view(CATALOGUE, tidy(), 112, 3)
    frame = comparison_frame(view)
    assert frame.to_dict("records") == [
        {"單位": "舊甲處", "名次": 1, "共同性指標加權分數": 100.0, "9 認證率": 60.0},
        {"單位": "丙處", "名次": 2, "共同性指標加權分數": 80.0, "9 認證率": 40.0},
        {"單位": "乙處", "名次": 3, "共同性指標加權分數": 50.0, "9 認證率": 25.0}]
    assert comparison_statuses(view)["9 認證率"].tolist() == ["met", "behind", "behind"]
    parts = comparison_parts(view)
    assert parts["9 認證率"].tolist() == ["60%（3 / 5）", "40%（4 / 10）", "25%（2 / 8）"]
    assert parts["共同性指標加權分數"].tolist() == ["100 分", "80 分", "50 分"]
    assert missing_frame(view).to_dict("records") == [
        {"單位": "舊甲處", "未填報項目數": 2, "已填報項目數": 1, "未填報的項目": "認證人數、現職人數"},
        {"單位": "丙處", "未填報項目數": 2, "已填報項目數": 0, "未填報的項目": "認證人數、現職人數"}]


def test_a_month_nobody_reported_and_the_second_year():
    january = county_view(CATALOGUE, tidy(), 112, 1)
    assert [(standing.unit, standing.rank) for standing in january.standings] == [
        ("甲處", 1), ("乙處", None), ("丙處", None)]  # nothing for 乙處, 丙處 yet: no score, no rank
    assert len(january.missing) == 2
    later = county_view(CATALOGUE, tidy(), 113, 2)
    assert [standing.unit for standing in later.standings] == ["甲處", "丙處"]  # 乙處 has no 113 plan
    assert later.standings[0].common[0].target == 60


def test_multi_year_points_per_unit():
    points = county_multi_year(CATALOGUE, tidy(), 112)
    assert [(unit_points.unit, unit_points.first_met_year, [standing.points for standing in unit_points.years])
            for unit_points in points] == [
        ("甲處", 112, [Fraction(10), Fraction(10)]), ("乙處", None, [Fraction(0), None]),
        ("丙處", None, [Fraction(0), None])]
    frame = multi_year_frame(CATALOGUE, points, 112)
    assert frame.to_dict("records")[0] == {"單位": "舊甲處", "首次達標年度": 112, "112年分數": 10.0, "113年分數": 10.0}


def test_the_county_report_holds_numbers_excel_can_sum():
    view = county_view(CATALOGUE, tidy(), 112, 3)
    data = build_county_report(view, county_multi_year(CATALOGUE, tidy(), 112), CATALOGUE,
                               title="測試縣政府 112 年度施政計畫共同性指標（統計至 112 年 3 月）")
    book = load_workbook(io.BytesIO(data))
    assert book.sheetnames == ["全府比較", "未填報單位", "跨年度計分"]
    comparison = book["全府比較"]
    header = [cell.value for cell in comparison[3]]
    assert header == ["名次", "單位", "共同性指標加權分數", "9 認證率"]
    rows = [[cell.value for cell in row] for row in comparison.iter_rows(min_row=4)]
    assert rows == [[1, "舊甲處", 100, 60], [2, "丙處", 80, 40], [3, "乙處", 50, 25]]
    assert comparison["D4"].number_format == '0.00"%"' and comparison["C4"].number_format == "0.00"
    assert comparison.page_setup.orientation == "landscape" and int(comparison.page_setup.paperSize) == 9  # A4
    missing = [[cell.value for cell in row] for row in book["未填報單位"].iter_rows(min_row=4)]
    assert missing == [["舊甲處", 2, 1, "認證人數、現職人數"], ["丙處", 2, 0, "認證人數、現職人數"]]
    points = [[cell.value for cell in row] for row in book["跨年度計分"].iter_rows(min_row=4)]
    assert points == [["舊甲處", 112, 10, 10], ["乙處", "—", 0, "—"], ["丙處", "—", 0, "—"]]
    assert all(isinstance(value, (int, float)) for row in rows for value in row[2:])


def test_the_county_report_writes_a_dash_where_the_page_does():
    view = county_view(CATALOGUE, tidy(), 112, 1)  # only 甲處 has reported
    book = load_workbook(io.BytesIO(build_county_report(view, [], CATALOGUE, title="測試")))
    rows = [[cell.value for cell in row] for row in book["全府比較"].iter_rows(min_row=4)]
    assert rows == [[1, "舊甲處", 100, 60], ["—", "乙處", "—", "—"], ["—", "丙處", "—", "—"]]


@pytest.mark.parametrize(("score", "shown"), [
    (Fraction(78125, 1000), 78.13),  # half up, as the overview and the briefing show it (not half to even: 78.12)
    (Fraction(5, 1000), 0.01),
    (Fraction(78124999, 1000000), 78.12),
    (Fraction(0), 0.0),
    (Fraction(100), 100.0),
])
def test_the_county_tables_round_a_score_half_up_as_the_overview_does(score, shown):
    from dataclasses import replace
    view = county_view(CATALOGUE, tidy(), 112, 3)
    view = replace(view, standings=tuple(replace(standing, common_score=score) if index == 0 else standing
                                         for index, standing in enumerate(view.standings)))
    assert comparison_frame(view)["共同性指標加權分數"].tolist()[0] == shown
    book = load_workbook(io.BytesIO(build_county_report(view, [], CATALOGUE, title="測試")))
    assert book["全府比較"]["C4"].value == shown


@pytest.mark.parametrize("month", [1, 3, 12])
def test_a_unit_evaluated_for_the_county_alone_or_whole_stands_the_same(month):
    """The county evaluates each unit's common indicators alone unless the unit's whole evaluation is kept: both
    give the same standings, and a standing's whole evaluation is the unit's plan evaluated as evaluate does."""
    from metrics.evaluation.core import evaluate
    from metrics.evaluation.county import year_figures

    figures = year_figures(CATALOGUE, tidy(), 112)
    made: list[str] = []

    def evaluation_of(unit_figures, as_of_month):
        made.append(unit_figures.plan.unit)
        return evaluate(unit_figures, as_of_month)

    alone = county_view(CATALOGUE, tidy(), 112, month, figures=figures, evaluation_of=evaluation_of)
    assert made == []  # nothing evaluated whole until asked
    kept = county_view(CATALOGUE, tidy(), 112, month, figures=figures,
                       common_of=lambda unit_figures, as_of_month, ids: {
                           result.indicator.id: result for result in evaluate(unit_figures, as_of_month).results})
    assert alone.standings == kept.standings  # plan, common results, score, rank, missing fields
    for standing in alone.standings:
        assert standing.evaluation == evaluate(figures[standing.plan.key], month)
        assert standing.evaluation is standing.evaluation  # made once
    assert sorted(made) == sorted(standing.unit for standing in alone.standings)
