"""A new field a plan document proposes, edited before saving: its code, name, unit and flow or stock as the
planner types them, checked as a plan file's own [[field]] is (the same checks), refusals naming the value."""

from __future__ import annotations

import pytest

from catalogues import CATALOGUE
from metrics.errors import InputError
from metrics.plans.documents import draft_plan, plan_toml
from metrics.plans.documents.decide import FieldEdit, decide, edit_fields
from metrics.plans.plan import Aggregation
from test_plan_documents_decide import DRAFT, SETTLED

DONE = decide(DRAFT, CATALOGUE, SETTLED)  # new_2_n1「完成線上學習人數」proposed as 人, 月底數 (a headcount)


def test_an_edited_field_is_saved_as_typed_and_its_operand_reads_the_new_code():
    edited = edit_fields(DONE, CATALOGUE, {"new_2_n1": FieldEdit(" elearning_done ", "線上學習完成人次", "人次",
                                                                 Aggregation.FLOW)})
    [field] = edited.fields
    assert (field.code, field.name, field.unit, field.aggregation) == ("elearning_done", "線上學習完成人次", "人次",
                                                                       Aggregation.FLOW)
    plan = draft_plan(edited, CATALOGUE)
    assert [t.field for t in plan.indicator_by_id["2"].numerator] == ["elearning_done"]
    assert (plan.field("elearning_done").name, plan.field("elearning_done").unit,
            plan.field("elearning_done").aggregation) == ("線上學習完成人次", "人次", Aggregation.FLOW)
    assert "new_2_n1" not in plan_toml(edited, CATALOGUE)


def test_no_edit_keeps_the_field_as_proposed():
    assert edit_fields(DONE, CATALOGUE, {}) == DONE


@pytest.mark.parametrize(("edit", "expected"), [
    (FieldEdit("E-Learning", "完成線上學習人數", "人", Aggregation.STOCK),
     "項目代碼「E-Learning」只能用小寫英文字母、數字與底線，且以字母開頭（例如 training_sessions）"),
    (FieldEdit("2nd", "完成線上學習人數", "人", Aggregation.STOCK), "項目代碼「2nd」只能用小寫英文字母"),
    (FieldEdit("", "完成線上學習人數", "人", Aggregation.STOCK), "項目代碼是空的；請填寫項目代碼"),
    (FieldEdit("elearning", "  ", "人", Aggregation.STOCK), "名稱是空的；請填寫名稱"),
    (FieldEdit("elearning", "完成線上學習人數", "", Aggregation.STOCK), "計量單位是空的；請填寫計量單位"),
    (FieldEdit("elearning", "完成\t人數", "人", Aggregation.STOCK), "「名稱」第 3 個字"),
    # fields.toml's code with another definition; fields.toml's name under a new code
    (FieldEdit("warning_cases", "完成線上學習人數", "人", Aggregation.STOCK),
     "項目 warning_cases 與 fields.toml 的宣告不同"),
    (FieldEdit("elearning", "預警案件數", "案", Aggregation.FLOW),
     "項目 elearning 的名稱「預警案件數」已是項目 warning_cases 的名稱；月報依名稱辨識項目"),
])
def test_an_edit_a_plan_file_would_refuse_is_refused_naming_the_value(edit, expected):
    with pytest.raises(InputError) as raised:
        edit_fields(DONE, CATALOGUE, {"new_2_n1": edit})
    assert expected in str(raised.value)
    assert "新增項目 new_2_n1「完成線上學習人數」" in str(raised.value)


def test_a_code_another_plan_in_force_gave_another_definition_is_refused():
    plan = draft_plan(DONE, CATALOGUE)  # a version in force declaring new_2_n1 as 人, 月底數
    catalogue = CATALOGUE.with_plans({**CATALOGUE.plans, (112, "人事處"): plan})
    with pytest.raises(InputError) as raised:
        edit_fields(DONE, catalogue, {"new_2_n1": FieldEdit("new_2_n1", "完成線上學習人數", "人", Aggregation.FLOW)})
    assert "項目 new_2_n1 已由其他計畫以不同的定義使用" in str(raised.value)
