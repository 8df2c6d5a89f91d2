"""Plan files with ceilings and quotients: accepted as the spec writes them, every mistake refused naming the
file, the key and the line (tests/fixture_kinds/114/丁處.toml edited in a copy)."""

from decimal import Decimal
from pathlib import Path

import pytest

from metrics import cli
from metrics.plans.catalogue import load_catalogue, parse_plan
from metrics.plans.toml_writing import plan_document
from metrics.errors import PlanError
from test_catalogue import broken_copy

KINDS_PLANS = Path(__file__).resolve().parent / "fixture_kinds"
OWN = "114/丁處.toml"
FILE = "114/丁處.toml"

BROKEN = [
    ("a quotient without a denominator", ('denominator = ["cases_closed"]\nhelp = "合計後相除', 'help = "合計後相除'),
     ["（指標 2 的 denominator", "指標 2 的公式 quotient 是比率，須有分母項目（denominator）"]),
    ("a scale a quotient does not use", ("scale = 10000\nplaces = 2", "scale = 100\nplaces = 2"),
     ["（指標 3 的 scale，第 ", "指標 3 的 scale 100 不可用（可用：1、1000、10000、100000）"]),
    ("a scale on a count", ('direction = "at_most"\nnumerator = ["deaths"]', 'scale = 1000\ndirection = "at_most"\n'
                                                                            'numerator = ["deaths"]'),
     ["（指標 1 的 scale，第 ", "指標 1 的公式 count 不用 scale"]),
    ("scale as text", ("scale = 10000\nplaces = 2", 'scale = "萬"\nplaces = 2'),
     ["指標 3）的 scale，第 ", "應為整數，卻是 '萬'"]),
    ("places out of range", ("places = 1\ndirection", "places = 9\ndirection"),
     ["（指標 2 的 places，第 ", "指標 2 的 places 須為 0 至 6 的整數（目前是 9）"]),
    ("places on a count", ('direction = "at_most"\nnumerator = ["deaths"]', 'places = 1\ndirection = "at_most"\n'
                                                                           'numerator = ["deaths"]'),
     ["（指標 1 的 places，第 ", "指標 1 的公式 count 不用 places"]),
    ("a direction that does not exist", ('direction = "at_most"\nnumerator = ["deaths"]',
                                          'direction = "below"\nnumerator = ["deaths"]'),
     ["（第 1 個 indicator（指標 1）的 direction，第 ", "方向「below」不存在（可用：at_least、at_most"]),
    ("a ceiling with a gap rule for shares", ('direction = "at_most"\nnumerator = ["overdue"]',
                                              'direction = "at_most"\ngap_rule = "growing_denominator"\n'
                                              'numerator = ["overdue"]'),
     ["（指標 5 的 gap_rule，第 ", "指標 5 是反向指標（direction = \"at_most\"），差距規則須為 count 或 "
                                                  "difference（目前是 growing_denominator）"]),
    ("a latest value of two fields", ('numerator = ["satisfaction"]', 'numerator = ["satisfaction", "waiting"]'),
     ["（指標 6 的 numerator，第 ", "指標 6 的公式 latest 取一個項目最近一個月的填報值，分子須恰為一個項目（不加係數）"]),
    ("a latest value with a denominator", ('numerator = ["satisfaction"]',
                                           'numerator = ["satisfaction"]\ndenominator = ["waiting"]'),
     ["（指標 6 的 denominator，第 ", "指標 6 的公式 latest 取最近一個月的填報值，不可有分母"]),
]


def test_plans_check_refuses_a_quotient_without_a_denominator(tmp_path, capsys):
    folder = broken_copy(tmp_path, KINDS_PLANS, {OWN: BROKEN[0][1]})
    assert cli.main(["--plans", str(folder), "plans", "check"]) == 2
    error = capsys.readouterr().err
    assert "須有分母項目（denominator）" in error and FILE in error and "Traceback" not in error


def test_a_plan_with_every_new_key_survives_export_and_import():
    catalogue = load_catalogue(KINDS_PLANS)
    plan = catalogue.plan(114, "丁處")
    again = parse_plan(plan_document(plan), catalogue, origin="匯出再匯入")
    assert [(i.formula, i.direction, i.scale, i.places, i.gap_rule, i.gap_template) for i in again.indicators] == \
        [(i.formula, i.direction, i.scale, i.places, i.gap_rule, i.gap_template) for i in plan.indicators]


def test_a_new_version_says_when_the_direction_scale_or_places_changed():
    from dataclasses import replace

    from metrics.plans.kinds import Direction
    from metrics.plans.planning import plan_changes

    plan = load_catalogue(KINDS_PLANS).plan(114, "丁處")
    edited = replace(plan, indicators=tuple(
        replace(indicator, direction=Direction.AT_LEAST, places=None, scale=1000) if indicator.id == "3" else indicator
        for indicator in plan.indicators))
    assert plan_changes(plan, edited) == ["指標 3 方向 越低越好（反向指標，目標為上限） → 越高越好",
                                          "指標 3 倍數（scale） 10000 → 1000", "指標 3 小數位數（places） 2 → 預設"]


MILESTONE_BROKEN = [
    ("stages that do not increase", ("name = \"完成土地規劃\"\npercent = 50", "name = \"完成土地規劃\"\npercent = 25"),
     ["（指標 8 的 stage，第 ", "指標 8 的第 2 階段「完成土地規劃」的 percent 25 須大於前一階段的 25"]),
    ("a last stage over 100", ("name = \"完成遷建\"\npercent = 100", "name = \"完成遷建\"\npercent = 120"),
     ["指標 8 最後一個階段的 percent 120 超過 100"]),
    ("a planned month of 13", ("percent = 100\nplanned_month = 12", "percent = 100\nplanned_month = 13"),
     ["指標 8 的第 4 階段「完成遷建」的 planned_month 13 須為 1 至 12"]),
    ("a stage without a name", ("name = \"完成招標\"\npercent = 75", "percent = 75"),
     ["（指標 8 的第 3 個階段（stage）的 name，第 ", "缺少此設定"]),
    ("a stage percent as text", ("name = \"完成招標\"\npercent = 75", "name = \"完成招標\"\npercent = \"75%\""),
     ["（指標 8 的第 3 個階段（stage）的 percent，第 ", "應為數字（不要加引號或 %），卻是 '75%'"]),
    ("a milestone on a flow field", ('field = "relocation_stage"', 'field = "deaths"'),
     ["（指標 8 的 numerator，第 ", "指標 8 的公式 milestone 讀月底數，項目 deaths 須為月底數（aggregation = \"stock\"）"]),
    ("a milestone without stages", ("[[indicator.stage]]\nname = \"系統上線\"\npercent = 100\n", ""),
     ["（指標 9 的 stage，第 ", "指標 9 的公式 milestone 須列出各階段"]),
    ("a ceiling milestone", ('formula = "milestone"\nfield = "system_done"',
                            'formula = "milestone"\ndirection = "at_most"\nfield = "system_done"'),
     ["指標 9 的公式 milestone 是完成進度，不可為反向指標"]),
    ("field and numerator both", ('field = "system_done"', 'field = "system_done"\nnumerator = ["system_done"]'),
     ["（第 9 個 indicator（指標 9）的 field，第 ", "field 與 numerator 只能擇一"]),
]


def test_a_milestone_target_above_its_last_stage_is_refused(tmp_path):
    folder = broken_copy(tmp_path, KINDS_PLANS, {OWN: ('name = "完成遷建"\npercent = 100', 'name = "完成遷建"\npercent = 60')})
    with pytest.raises(PlanError) as caught:
        load_catalogue(folder)
    assert "指標 8 目標值 70% 超過最後一個階段的 60%，無法達成" in str(caught.value)


def test_stages_on_another_kind_are_refused(tmp_path):
    folder = broken_copy(tmp_path, KINDS_PLANS, {OWN: ('help = "各月合計，越少越好。"',
                                                       'help = "各月合計，越少越好。"\n[[indicator.stage]]\nname = "x"\n'
                                                       'percent = 10')})
    with pytest.raises(PlanError) as caught:
        load_catalogue(folder)
    assert "指標 1 的公式 count 不用階段（只有 milestone 可列 [[indicator.stage]]）" in str(caught.value)


GROWTH_BROKEN = [
    ("growth without a base year", ("base_year = 113\n", ""),
     ["（指標 10 的 base_year，第 ", "指標 10 的公式 growth 須寫基準年度（base_year，例如 111）"]),
    ("a base year not before the plan's", ("base_year = 113\n", "base_year = 114\n"),
     ["（指標 10 的 base_year，第 ", "指標 10 的基準年度 114 須早於計畫年度 114"]),
    ("a base value of 0", ("base_value = 40\n", "base_value = 0\n"),
     ["（指標 12 的 base_value，第 ", "指標 12 的基準值 base_value 須大於 0（目前是 0）"]),
    ("a base value on a count", ('direction = "at_most"\nnumerator = ["deaths"]',
                                 'direction = "at_most"\nbase_value = 5\nnumerator = ["deaths"]'),
     ["（指標 1 的 base_value，第 ", "指標 1 的公式 count 不用 base_value（只有 growth 比較基準年度）"]),
    ("a growth target as text", ("target = -10\n", 'target = "-10%"\n'),
     ["（第 11 個 indicator（指標 11）的 target，第 ", "應為數字（不要加引號或 %），卻是 '-10%'"]),
    ("a negative target where it means nothing", ("target = 24\n", "target = -24\n"),
     ["（第 1 個 indicator（指標 1）的 target，第 ", "應為大於 0 的數字，卻是 -24"]),
]


@pytest.mark.parametrize("case", BROKEN + MILESTONE_BROKEN + GROWTH_BROKEN, ids=lambda case: case[0])
def test_every_mistake_names_the_file_the_key_and_the_line(case, tmp_path):
    _, edit, fragments = case
    folder = broken_copy(tmp_path, KINDS_PLANS, {OWN: edit})
    with pytest.raises(PlanError) as caught:
        load_catalogue(folder)
    message = str(caught.value)
    assert FILE in message, message
    for fragment in fragments:
        assert fragment in message, message


def test_a_new_version_says_when_stages_or_the_base_changed():
    from dataclasses import replace

    from metrics.plans.planning import plan_changes

    plan = load_catalogue(KINDS_PLANS).plan(114, "丁處")
    edited = replace(plan, indicators=tuple(
        replace(indicator, stages=indicator.stages[:1]) if indicator.id == "8" else
        replace(indicator, base_year=111, base_value=Decimal(1300)) if indicator.id == "11" else indicator
        for indicator in plan.indicators))
    assert plan_changes(plan, edited) == [
        "指標 8 階段「完成專業規劃委託服務 25%、完成土地規劃 50%、完成招標 75%、完成遷建 100%」→「完成專業規劃委託服務 25%」",
        "指標 11 基準年度（base_year） 110 → 111", "指標 11 基準值（base_value） 1200 → 1300"]
