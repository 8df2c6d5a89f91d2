"""The plan editor's tables read back into a plan (issue 19): a wrong number is refused naming the indicator and
the value, never changed (−5 is not 5, 120 is not 100) and a blank is never read as 0."""

from __future__ import annotations

import pytest

from catalogues import CATALOGUE, PLAN_112
from metrics.plans.planning import goals_table, indicators_table, plan_from_tables


def read(edits: dict[str, object], row: int = 0) -> tuple[object, list[str]]:
    table = indicators_table(PLAN_112)
    for column, value in edits.items():
        table[column] = table[column].astype(object)
        table.at[row, column] = value
    return plan_from_tables(PLAN_112, goals_table(PLAN_112), table, CATALOGUE, title=PLAN_112.title,
                            source=PLAN_112.source)


@pytest.mark.parametrize(("edits", "problems"), [
    ({"權重": -5}, ["第 1 列「權重」欄：指標 1 權重缺漏或不大於 0（目前是 -5）"]),
    ({"權重": 0}, ["第 1 列「權重」欄：指標 1 權重缺漏或不大於 0（目前是 0）"]),
    ({"權重": 120}, ["第 1 列「權重」欄：指標 1 權重 120% 超過 100%（權重是占全部指標的百分比）"]),
    ({"權重": None}, ["指標 1：請填權重（%）"]),
    ({"權重": "abc"}, ["指標 1：權重（%）「abc」不是數字"]),
    ({"目標值": None}, ["指標 1：請填目標值"]),  # was 「目標值缺漏或不大於 0（目前是 0）」: a blank is not 0
    ({"目標值": "  "}, ["指標 1：請填目標值"]),
    ({"目標值": -2}, ["第 1 列「目標值」欄：指標 1 目標值缺漏或不大於 0（目前是 -2）"]),
    ({"權重": None, "目標值": None}, ["指標 1：請填權重（%）", "指標 1：請填目標值"]),
    ({"策略目標": 1.5}, ["指標 1：所屬策略目標須為目標編號（整數）"]),
])
def test_a_wrong_or_blank_number_is_refused_as_typed(edits, problems):
    plan, found = read(edits)
    assert plan is None
    assert found == problems


@pytest.mark.parametrize(("weight", "target"), [(100, 2), (0.5, 1), (12.5, 0.01)])
def test_numbers_in_range_are_kept_exactly(weight, target):
    plan, problems = read({"權重": weight, "目標值": target})
    assert problems == []
    indicator = plan.indicator_by_id["1"]
    assert (float(indicator.weight), float(indicator.target)) == (weight, target)


def test_a_goal_number_that_is_not_a_positive_integer_is_named():
    goals = goals_table(PLAN_112)
    goals.at[0, "目標編號"] = -1
    plan, problems = plan_from_tables(PLAN_112, goals, indicators_table(PLAN_112), CATALOGUE, title="", source="")
    assert plan is None and problems == ["策略目標第 1 列：目標編號須為正整數（目前是 -1）"]
