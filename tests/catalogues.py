"""The plans the tests use.

Golden tests pin the real plan of 政風處 for 112 exactly as the seed states it (`PLAN_112`), read from a
frozen copy of plans/ in tests/golden_plans/ the way the app reads plans/: plans/ is deployment data that no
test depends on. Mechanism tests (reading, templates, the store, pages) run on small fixture plans in
tests/fixture_plans/ and tests/fixture_kinds/ (the month template: tests/test_template.py), or on the frozen copy,
so that adding an indicator or a unit to plans/ breaks no test.
"""

from __future__ import annotations

from pathlib import Path

from metrics.plans.catalogue import SAMPLE_PLANS_DIRECTORY, load_catalogue

FIXTURE_PLANS = Path(__file__).resolve().parent / "fixture_plans"
FIXTURE_KINDS = Path(__file__).resolve().parent / "fixture_kinds"  # 丁處 114: one indicator of every kind
GOLDEN_PLANS = Path(__file__).resolve().parent / "golden_plans"  # plans/ as of the 政風處 112 golden numbers

CATALOGUE = load_catalogue(GOLDEN_PLANS)
SAMPLE_CATALOGUE = load_catalogue(GOLDEN_PLANS, samples=SAMPLE_PLANS_DIRECTORY)
PLAN_112 = CATALOGUE.plan(112, "政風處")


def _copy(year: int, unit: str, name: str | None = None):
    """政風處's 112 plan copied to another (year, unit): a second plan to keep side by side in mechanism tests."""
    from dataclasses import replace

    named = name or unit
    return replace(PLAN_112, year=year, unit=unit, unit_name=named, organisation=f"新竹縣政府{named}",
                   title=f"測試用計畫（{named} {year} 年度）", origin="tests/catalogues.py")


# Two units and two years side by side: 政風處 112 (the real plan), 人事處 112 and 政風處 113 (copies).
SIDE_BY_SIDE = CATALOGUE.with_plans({**CATALOGUE.plans, (112, "人事處"): _copy(112, "人事處"),
                                     (113, "政風處"): _copy(113, "政風處")})
