"""Decisions of a plan document settled by a person: a formula not recognised (a kind and its operands chosen among
the fields), a weight or target not read (typed), a new field accepted; each typed value kept as typed and said.
New fields are the plan's own: matched by name once a plan in force has them, never given a code in use."""

from __future__ import annotations

from decimal import Decimal

import pytest

from catalogues import CATALOGUE
from metrics.errors import InputError
from metrics.plans.documents import draft_plan, plan_toml
from metrics.plans.documents.decide import FormulaAnswer, decide, settable_kinds
from metrics.plans.documents.draft import DecisionKind
from metrics.plans.kinds import Direction
from test_plan_documents import COMMON_ROWS, document, draft_of

TEXT = document("新竹縣政府人事處 112 年度施政計畫", "\n".join([
    "1. 強化人力培訓(業務)\t公務人員訓練成效\t統計數據\t訓練完成率×100%\t二成\t十二場",
    "2. 推動終身學習(業務)\t公務人員線上學習達成率\t統計數據\t完成線上學習人數÷應參訓人數×100%\t15.0%\t92.5%",
    COMMON_ROWS]))
DRAFT = draft_of(TEXT, unit="人事處")
COUNT = FormulaAnswer("count", ("harassment_courses",))
SETTLED = {0: "45%", 1: "12 場", 2: COUNT, 3: "new_2_n1", 4: "staff_headcount"}


def test_the_document_leaves_a_weight_a_target_a_formula_and_two_operands_to_decide():
    assert [(d.kind, d.indicator) for d in DRAFT.needs_decision] == [
        (DecisionKind.WEIGHT, "1"), (DecisionKind.TARGET, "1"), (DecisionKind.FORMULA, "1"),
        (DecisionKind.OPERAND, "2"), (DecisionKind.OPERAND, "2")]
    assert DRAFT.notices[0] == "權重合計 55%（不是 100%）：照計畫書呈現，系統不自行調整"  # 0 + 15 + the common 40


def test_settled_on_the_page_the_plan_builds_with_what_was_typed_and_says_so():
    done = decide(DRAFT, CATALOGUE, SETTLED)
    assert done.needs_decision == ()
    one = done.indicators[0]
    assert (one.weight, one.target, one.unit, one.formula, [t.field for t in one.numerator], one.denominator) == (
        Decimal(45), Decimal(12), "場", "count", ["harassment_courses"], ())
    assert one.notes[-3:] == ("權重於匯入頁輸入為 45%（計畫書寫「二成」）", "目標值於匯入頁輸入為 12 場（計畫書寫「十二場」）",
                              "公式於匯入頁選定：count：harassment_courses（衡量標準「訓練完成率×100%」無法辨識）")
    assert not any(notice.startswith("權重合計") for notice in done.notices)  # 45 + 15 + 40 = 100
    assert [(f.code, f.name) for f in done.fields] == [("new_2_n1", "完成線上學習人數")]
    plan = draft_plan(done, CATALOGUE)
    assert (plan.indicator_by_id["1"].weight, plan.indicator_by_id["1"].target, plan.weight_total) == (45, 12, 100)
    assert [t.field for t in plan.indicator_by_id["2"].numerator] == ["new_2_n1"]
    assert plan.field("new_2_n1").unit == "人" and "new_2_n1" not in {f.code for f in CATALOGUE.fields}
    assert plan_toml(done, CATALOGUE).splitlines().count("[[field]]") == 1


@pytest.mark.parametrize(("answers", "expected"), [
    # (answers by decision, the weights said), hand-added: typed + 15 + the common 40
    ({0: "40"}, "權重合計 95%（不是 100%）：照計畫書呈現，系統不自行調整"),
    ({0: "12.5%"}, "權重合計 67.5%（不是 100%）：照計畫書呈現，系統不自行調整"),
    ({0: "45"}, None),
])
def test_the_weights_notice_follows_a_typed_weight(answers, expected):
    notices = [notice for notice in decide(DRAFT, CATALOGUE, answers).notices if notice.startswith("權重合計")]
    assert notices == ([expected] if expected else [])


def test_a_ceiling_typed_as_the_target_turns_the_indicator_and_says_so():
    one = decide(DRAFT, CATALOGUE, {1: "≤ 5 日"}).indicators[0]
    assert (one.target, one.unit, one.direction) == (Decimal(5), "日", Direction.AT_MOST)
    assert one.notes[-1] == "目標值於匯入頁輸入為 ≤ 5 日（計畫書寫「十二場」）"


@pytest.mark.parametrize(("answers", "expected"), [
    ({0: "二成"}, "權重「二成」不是大於 0、不超過 100 的百分比數字（例如 12.5 或 12.5%）"),
    ({0: "0"}, "權重「0」不是大於 0、不超過 100 的百分比數字"),
    ({0: "120%"}, "權重「120%」不是大於 0、不超過 100 的百分比數字"),
    ({1: "十二場"}, "目標值「十二場」讀不出數字"),
    ({1: "12"}, "目標值「12」沒有單位"),
    ({2: "count"}, "請選擇指標種類與分子（分母）項目"),
    ({0: COUNT}, "此項不是公式"),
    ({2: FormulaAnswer("milestone", ("harassment_courses",))}, "指標種類「milestone」不能在此選擇"),
    ({2: FormulaAnswer("percent", ("harassment_courses",))}, "指標種類 percent 是比率，須選分母項目"),
    ({2: FormulaAnswer("count", ("harassment_courses",), ("staff_headcount",))}, "指標種類 count 不是比率，不能有分母"),
    ({2: FormulaAnswer("latest", ("harassment_courses", "staff_headcount"))}, "指標種類 latest 只讀一個項目，卻選了 2 個"),
    ({2: FormulaAnswer("count", ("no_such",))}, "項目「no_such」不是 fields.toml、現行計畫或本次建議新增的項目"),
    ({3: "no_such"}, "「no_such」不是 fields.toml 或現行計畫中的項目代碼，也不是建議新增的 new_2_n1"),
])
def test_an_answer_that_does_not_fit_is_refused_naming_it(answers, expected):
    with pytest.raises(InputError) as caught:
        decide(DRAFT, CATALOGUE, answers)
    assert expected in str(caught.value)


def test_the_kinds_offered_need_only_fields():
    offered = settable_kinds()
    assert offered and not any(kind.staged or kind.based for kind in offered)


def test_a_new_field_in_force_is_matched_by_name_and_a_code_in_use_is_not_given_again():
    saved = draft_plan(decide(DRAFT, CATALOGUE, SETTLED), CATALOGUE)
    in_force = CATALOGUE.with_plans({**CATALOGUE.plans, saved.key: saved})
    assert [f.code for f in in_force.local_fields] == ["new_2_n1"]
    again = draft_of(TEXT.replace("人事處", "政風處"), catalogue=in_force).indicators[1]
    assert [(t.field, t.new) for t in again.numerator] == [("new_2_n1", False)]  # the field in force, by name
    other = draft_of(TEXT.replace("人事處", "政風處").replace("完成線上學習人數", "完成實體課程人數"),
                     catalogue=in_force)
    assert [f.code for f in other.fields][:1] == ["new_2_n1_2"]


def test_a_formula_chosen_without_the_proposed_operand_leaves_no_decision_about_it():
    text = TEXT.replace("公務人員訓練成效\t統計數據\t訓練完成率×100%\t二成\t十二場",
                        "公務人員訓練中心遷建\t完成工作項目\t依進度完成\t45%\t100%")
    draft = draft_of(text, unit="人事處")
    assert [(d.kind, d.indicator) for d in draft.needs_decision][:2] == [
        (DecisionKind.FORMULA, "1"), (DecisionKind.OPERAND, "1")]  # stages not listed: a stage field proposed
    done = decide(draft, CATALOGUE, {0: FormulaAnswer("latest", ("hakka_certified",))})
    assert [(d.kind, d.indicator) for d in done.needs_decision] == [(DecisionKind.OPERAND, "2")] * 2
    assert [f.code for f in done.fields] == ["new_2_n1", "new_2_d1"]
