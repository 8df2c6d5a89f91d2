"""The plan editor's kind columns (方向, 倍數, 小數位數, 基準年度, 基準值, 階段) read back into a plan on the
fixture plan of every kind (tests/fixture_kinds/114/丁處.toml): a table that is not edited gives the plan back
unchanged, and each mistake is named with its row and column."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from metrics.plans.catalogue import load_catalogue
from metrics.plans.kinds import Direction, Stage
from metrics.plans.planning import goals_table, indicators_table, parse_stages, plan_from_tables, stages_text

CATALOGUE = load_catalogue(Path(__file__).resolve().parent / "fixture_kinds")
PLAN = CATALOGUE.plan(114, "丁處")
ROW = {indicator.id: number for number, indicator in enumerate(PLAN.indicators)}


def read(edits: dict[tuple[str, str], object]):
    table = indicators_table(PLAN)
    for (indicator_id, column), value in edits.items():
        table[column] = table[column].astype(object)
        table.at[ROW[indicator_id], column] = value
    return plan_from_tables(PLAN, goals_table(PLAN), table, CATALOGUE, title=PLAN.title, source=PLAN.source)


def test_the_tables_of_every_kind_give_the_plan_back():
    plan, problems = read({})
    assert problems == []
    assert plan.indicators == PLAN.indicators


def test_the_kind_columns_show_what_the_file_says():
    table = indicators_table(PLAN).set_index("指標代號")
    assert table.at["2", "方向"] == "≤ 反向指標（目標為上限）"
    assert table.at["4", "方向"] == "≥ 越高越好"
    assert (table.at["3", "倍數"], table.at["3", "小數位數"]) == (10000, 2)
    assert (table.at["11", "基準年度"], table.at["11", "基準值"]) == (110, 1200.0)
    assert table.at["8", "階段"] == "完成專業規劃委託服務：25%：3月；完成土地規劃：50%：6月；完成招標：75%：9月；完成遷建：100%：12月"
    assert table.at["9", "階段"] == "系統上線：100%"


@pytest.mark.parametrize(("text", "stages"), [
    ("", ()),
    ("系統上線：100%", (Stage("系統上線", Decimal(100)),)),
    ("規劃:25:3月; 招標：50%：6", (Stage("規劃", Decimal(25), 3), Stage("招標", Decimal(50), 6))),
    ("規劃：25％\n招標：50％：", (Stage("規劃", Decimal(25)), Stage("招標", Decimal(50)))),
    ("規劃：12.5%；；", (Stage("規劃", Decimal("12.5")),)),
])
def test_stages_are_read_as_written(text, stages):
    assert parse_stages(text) == stages
    assert parse_stages(stages_text(stages)) == stages


@pytest.mark.parametrize(("edits", "check"), [
    ({("1", "方向"): "≥"}, lambda i: i["1"].direction is Direction.AT_LEAST),
    ({("4", "方向"): "反向指標"},
     lambda i: i["4"].direction is Direction.AT_MOST and i["4"].gap_template == "超出 {amount} {unit}"),
    ({("4", "方向"): None}, lambda i: i["4"].direction is Direction.AT_LEAST),
    ({("3", "倍數"): 1000.0, ("3", "小數位數"): 1.0}, lambda i: (i["3"].scale, i["3"].places) == (1000, 1)),
    ({("2", "小數位數"): None}, lambda i: i["2"].places is None),
    ({("11", "基準年度"): 111, ("11", "基準值"): 1000.5},
     lambda i: (i["11"].base_year, i["11"].base_value) == (111, Decimal("1000.5"))),
    ({("8", "階段"): "規劃：40%：4月；完成：70%"},
     lambda i: i["8"].stages == (Stage("規劃", Decimal(40), 4), Stage("完成", Decimal(70)))),
])
def test_a_kind_column_edits_the_indicator(edits, check):
    plan, problems = read(edits)
    assert problems == []
    assert check(plan.indicator_by_id)


# Rows are counted from 1 as the editor shows them: indicator 2 is row 2, indicator 8 row 8, indicator 10 row 10.
@pytest.mark.parametrize(("edits", "problems"), [
    ({("2", "方向"): "below"}, ["第 2 列（指標 2）「方向」欄：「below」不是可用的方向（請選 ≥ 越高越好 或 ≤ 反向指標（目標為上限））"]),
    ({("3", "倍數"): 2.5}, ["第 3 列（指標 3）「倍數」欄：「2.5」須為整數"]),
    ({("3", "倍數"): 100}, ["第 3 列「倍數」欄：指標 3 的 scale 100 不可用（可用：1、1000、10000、100000）"]),
    ({("1", "倍數"): 1000}, ["第 1 列「倍數」欄：指標 1 的公式 count 不用 scale（只有 quotient 可乘以 1000、10000 等）"]),
    ({("2", "小數位數"): 9}, ["第 2 列「小數位數」欄：指標 2 的 places 須為 0 至 6 的整數（目前是 9）"]),
    ({("2", "分母"): None}, ["第 2 列「分母」欄：指標 2 的公式 quotient 是比率，須有分母項目（denominator）"]),
    ({("10", "基準年度"): None}, ["第 10 列「基準年度」欄：指標 10 的公式 growth 須寫基準年度（base_year，例如 111）"]),
    ({("10", "基準年度"): 114}, ["第 10 列「基準年度」欄：指標 10 的基準年度 114 須早於計畫年度 114"]),
    ({("11", "基準值"): "千二"}, ["第 11 列（指標 11）「基準值」欄：「千二」不是數字"]),
    ({("11", "基準值"): 0}, ["第 11 列「基準值」欄：指標 11 的基準值 base_value 須大於 0（目前是 0）"]),
    ({("1", "基準年度"): 110}, ["第 1 列「基準年度」欄：指標 1 的公式 count 不用 base_year（只有 growth 比較基準年度）"]),
    ({("8", "階段"): "規劃 25%"},
     ["第 8 列（指標 8）「階段」欄：第 1 段「規劃 25%」看不懂；請寫「名稱：百分比：預定月份；名稱：百分比：預定月份"
      "（預定月份可省略）」，例如「完成規劃：25%：3月；完成招標：50%：6月」"]),
    ({("8", "階段"): "規劃：50%；招標：50%；完成：100%"},
     ["第 8 列「階段」欄：指標 8 的第 2 階段「招標」的 percent 50 須大於前一階段的 50（各階段的百分比須逐階增加）"]),
    ({("8", "階段"): "規劃：60%；招標：40%；完成：100%"},
     ["第 8 列「階段」欄：指標 8 的第 2 階段「招標」的 percent 40 須大於前一階段的 60（各階段的百分比須逐階增加）"]),
    ({("8", "階段"): "規劃：50%；完成：120%"}, ["第 8 列「階段」欄：指標 8 最後一個階段的 percent 120 超過 100"]),
    ({("8", "階段"): "規劃：50%：13月；完成：100%"},
     ["第 8 列「階段」欄：指標 8 的第 1 階段「規劃」的 planned_month 13 須為 1 至 12"]),
    ({("8", "階段"): None}, ["第 8 列「階段」欄：指標 8 的公式 milestone 須列出各階段（[[indicator.stage]]，每階段有 name 與 percent）"]),
    ({("8", "階段"): "規劃：30%；完成：60%"}, ["第 8 列「目標值」欄：指標 8 目標值 70% 超過最後一個階段的 60%，無法達成"]),
    ({("1", "階段"): "完成：100%"}, ["第 1 列「階段」欄：指標 1 的公式 count 不用階段（只有 milestone 可列 [[indicator.stage]]）"]),
    ({("8", "方向"): "≤"}, ["第 8 列「方向」欄：指標 8 的公式 milestone 是完成進度，不可為反向指標（direction = \"at_most\"）"]),
])
def test_each_mistake_names_its_row_and_column(edits, problems):
    plan, found = read(edits)
    assert plan is None
    assert found == problems
