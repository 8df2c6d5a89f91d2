"""The 範例 plan of every kind, 工務處 113 (sample_data/plans/113/工務處.toml), evaluated from its sample file
(sample_data/範例-工務處-113.csv) and checked by hand against the figures in make_sample_data.py:

1-1 坑洞通報件數 ≤ 600 件 (a ceiling that accrues): Σ 52 48 61 55 47 50 = 313 by June; pace 600 × 6 ÷ 12 = 300,
    313 > 300 → 落後, 超出進度 13 件; in January 52 > 50 → 超出進度 2 件; in February 100 = 100 → 符合進度.
1-2 平均修補日數 ≤ 3 日 (a quotient, places 1): January 150 ÷ 50 = 3.0 → 達標 at the boundary;
    June Σ891 ÷ Σ306 = 2.9118 → 2.9 → 達標.
1-3 道路拓寬工程 (milestone, target 90 %): stage 2 by June = 40 %; stages planned by June: 2 → 符合進度;
    next 完成工程招標（預定 7 月）; achievement 40 ÷ 90.
2-1 公共工程滿意度 ≥ 85 分 (latest, places 1): May reads March's 82.6 → 落後, 還需 2.4 分; June 86.4 → 達標.
2-2 人行道改善成長率 ≥ 10 % (growth, base_value 12,000 pro-rated): January 1,100 vs 1,000 = 10 % → 達標 at the
    boundary; February 2,050 vs 2,000 = 2.5 % → 落後; June 6,800 vs 6,000 = 13.33 % → 達標.
"""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import pandas as pd
import pytest

from catalogues import SAMPLE_CATALOGUE
from metrics.evaluation.county import county_view
from metrics.evaluation.core import evaluate
from metrics.evaluation.figures import Figures
from metrics.intake.monthly import read_upload

SAMPLE = Path(__file__).resolve().parent.parent / "sample_data" / "範例-工務處-113.csv"
PLAN = SAMPLE_CATALOGUE.plan(113, "工務處")
FRAME = read_upload(SAMPLE.read_bytes(), SAMPLE.name, SAMPLE_CATALOGUE)


def test_the_plan_uses_every_kind_and_both_directions():
    own = [indicator for indicator in PLAN.indicators if not indicator.common]
    assert [(indicator.id, indicator.formula, indicator.direction.value) for indicator in own] == [
        ("1-1", "count", "at_most"), ("1-2", "quotient", "at_most"), ("1-3", "milestone", "at_least"),
        ("2-1", "latest", "at_least"), ("2-2", "growth", "at_least")]
    assert PLAN.sample and "範例" in PLAN.label and PLAN.weight_total == 100
    assert any(indicator.common for indicator in PLAN.indicators)


@pytest.mark.parametrize(("month", "indicator_id", "actual", "status", "gap_text", "achievement"), [
    (1, "1-1", 52, "behind", "超出進度 2 件", 1),
    (2, "1-1", 100, "on_track", "未超出進度", 1),
    (6, "1-1", 313, "behind", "超出進度 13 件", 1),
    (1, "1-2", 3, "met", "已達標", 1),
    (6, "1-2", Fraction("2.9"), "met", "已達標", 1),
    (1, "1-3", 0, "on_track", "下一階段：完成細部設計（預定 3 月）", 0),
    (6, "1-3", 40, "on_track", "下一階段：完成工程招標（預定 7 月）", Fraction(40, 90)),
    (2, "2-1", None, "no_data", "", None),
    (5, "2-1", Fraction("82.6"), "behind", "還需 2.4 分", Fraction("82.6") / 85),
    (6, "2-1", Fraction("86.4"), "met", "已達標", Fraction("86.4") / 85),
    (1, "2-2", 10, "met", "已達標", 1),
    (2, "2-2", Fraction("2.5"), "behind", "還需 7.5 %", Fraction(1, 4)),
    (6, "2-2", Fraction("13.33"), "met", "已達標", 1),
])
def test_the_sample_figures_give_the_hand_computed_values(month, indicator_id, actual, status, gap_text, achievement):
    result = next(result for result in evaluate(Figures.from_frame(PLAN, FRAME), month).results
                  if result.indicator.id == indicator_id)
    assert (result.actual, result.status, result.gap_text) == (actual, status, gap_text)
    assert result.achievement == achievement


def test_the_county_view_of_113_holds_both_sample_units():
    frames = [FRAME, read_upload((SAMPLE.parent / "範例-政風處-113.csv").read_bytes(), "範例-政風處-113.csv",
                                 SAMPLE_CATALOGUE)]
    view = county_view(SAMPLE_CATALOGUE, pd.concat(frames, ignore_index=True), 113, 6)
    assert {standing.unit for standing in view.standings} == {"工務處", "政風處"}
