"""Domain validation of tidy frames, built by hand: each rule, its message, its cell; boundaries included."""

from __future__ import annotations

from decimal import Decimal

import pandas as pd
import pytest

from metrics.errors import InputError, Problem
from metrics.intake.tidy import TIDY_COLUMNS
from catalogues import CATALOGUE, PLAN_112
from metrics.plans.formulas import Term
from metrics.plans.plan import Indicator, build_plan

FIELDS, GOALS, INDICATORS = CATALOGUE.fields, PLAN_112.goals, PLAN_112.indicators
from metrics.intake.validation import capped, checked_ratios, suggest_field, validate


def frame(*rows: tuple) -> pd.DataFrame:
    """Rows of (field, value) or (field, value, month) or (field, value, month, year, unit); cells D5, D6, …"""
    defaults = (None, None, 1, 112, "政風處")
    records = []
    for index, row in enumerate(rows):
        code, value, month, year, unit = tuple(row) + defaults[len(row):]
        records.append((year, month, unit, code, value, "月報.xlsx", "月報", f"D{5 + index}"))
    return pd.DataFrame(records, columns=list(TIDY_COLUMNS))


def problems_of(data: pd.DataFrame, plan=PLAN_112) -> list[Problem]:
    with pytest.raises(InputError) as caught:
        validate(data, plan, file="月報.xlsx")
    return caught.value.problems


@pytest.mark.parametrize("rows", [
    [("warning_cases", Decimal(0))],
    [("warning_cases", Decimal(2)), ("procurement_audits", Decimal(1234))],
    [("budget_amount", Decimal("21288.5")), ("actual_spent", Decimal("0.001"))],
    [("edoc_sent_electronic", Decimal(100)), ("edoc_sent_total", Decimal(100))],  # equal is allowed
    [("edoc_sent_electronic", Decimal(101))],  # no denominator reported: nothing to compare
    [("edoc_sent_electronic", Decimal(5), 1), ("edoc_sent_total", Decimal(4), 2)],  # different months
    [("reduced_contract", Decimal(3)), ("new_positions", Decimal(1))],  # indicator 6 may pass 100 %
    [("online_signed", Decimal(300)), ("edoc_received_electronic", Decimal(100)),
     ("paper_received_signed_online", Decimal(100)), ("self_created_drafts", Decimal(100))],
    [("warning_cases", Decimal(1)), ("warning_cases", Decimal(1))],  # identical duplicate
    [("warning_cases", Decimal(1), 12)],
])
def test_sound_frames_pass(rows):
    assert validate(frame(*rows), PLAN_112, file="月報.xlsx") is None


@pytest.mark.parametrize("rows, cell, text", [
    ([("warning_cases", Decimal(-1))], "D5", "數值 -1 是負數；預警案件數不可為負數"),
    ([("budget_amount", Decimal("-0.5"))], "D5", "數值 -0.5 是負數"),
    ([("warning_cases", Decimal("1.5"))], "D5", "數值 1.5 有小數；預警案件數是案數，須為整數"),
    ([("staff_headcount", Decimal("26.01"))], "D5", "須為整數"),
    ([("warning_cases", Decimal(1), 13)], "D5", "月份「13」不存在，月份須為 1 至 12"),
    ([("warning_cases", Decimal(1), 0)], "D5", "月份「0」不存在"),
    ([("warning_cases", Decimal(1), 1, 111, "政風處")], "D5", "年度為 111 年，但本計畫為 112 年度"),
    ([("warning_case", Decimal(1))], "D5", "您是不是要填「預警案件數」（代碼 warning_cases）"),
    ([("預警案件數", Decimal(1))], "D5", "項目「預警案件數」不是填報項目"),
    ([("nonsense_xyz", Decimal(1))], "D5", "項目「nonsense_xyz」不在政風處 112 年度計畫中；請使用該計畫月報範本中的項目代碼"),
    ([("hakka_certified", Decimal(5), 1, 112, "法制處")], "D5", "單位是「法制處」，但這是政風處 112 年度的計畫"),
    ([("warning_cases", float("nan"))], "D5", "不是有限的數字"),
    ([("warning_cases", Decimal("1E+308"))], "D5", "數值「1E+308」大小不合理"),  # not 309 digits cut to 30
    ([("budget_amount", Decimal("1.5E+15"))], "D5", "數值「1.5E+15」大小不合理"),
    ([("budget_amount", Decimal("1E-7"))], "D5", "數值「1E-7」大小不合理"),
    ([("warning_cases", Decimal(1)), ("warning_cases", Decimal(2))], "D6",
     "112 年 1 月的預警案件數重複出現：儲存格 D5 是 1，這一格是 2"),
    ([("edoc_sent_electronic", Decimal(101)), ("edoc_sent_total", Decimal(100))], "D5",
     "112 年 1 月電子發文件數 101（儲存格 D5）大於發文總件數 100（儲存格 D6）；指標 10-1「公文電子交換比率」"),
    ([("hakka_certified", Decimal(12)), ("staff_headcount", Decimal(11))], "D5", "指標 7「客語認證完成率」"),
    ([("budget_amount", Decimal(1000)), ("actual_spent", Decimal(900)), ("reserved", Decimal("100.5"))], "D6",
     "實支數(累計)＋應付數(累計)＋節餘數(累計)＋控留數(累計)合計 1,000.5（儲存格 D6、D7）大於預算數 1,000（儲存格 D5）"),
    ([("online_signed", Decimal(301)), ("edoc_received_electronic", Decimal(100)),
      ("self_created_drafts", Decimal(200))], "D5",
     "公文線上簽核件數 301（儲存格 D5）大於電子公文收文總數＋紙本來文線上簽核數＋自創簽稿數合計 300（儲存格 D6、D7）"),
])
def test_each_rule_names_its_cell(rows, cell, text):
    problems = problems_of(frame(*rows))
    matching = [problem for problem in problems if text in problem.message]
    assert len(matching) == 1, [str(problem) for problem in problems]
    assert (matching[0].file, matching[0].sheet, matching[0].cell) == ("月報.xlsx", "月報", cell)


def test_an_empty_frame_has_no_figures():
    for empty in (frame(), None):
        assert [problem.message for problem in problems_of(empty)] == [
            "檔案中沒有任何填報數值（表格內的數字欄都是空白）；請在當月欄位填入數字後再上傳"]


def test_rows_with_problems_do_not_feed_the_ratio_check():
    problems = problems_of(frame(("edoc_sent_electronic", Decimal("100.5")), ("edoc_sent_total", Decimal(100))))
    assert len(problems) == 1 and "有小數" in problems[0].message


def test_every_problem_is_listed_and_the_list_is_capped():
    problems = problems_of(frame(*[("warning_cases", Decimal(-1), 1 + index % 12, 112, f"單位{index}")
                                   for index in range(70)]))
    assert len(problems) == 51
    assert problems[-1].message.startswith("另有 20 個問題未列出")


def test_the_field_is_named_in_the_sentence():
    [problem] = problems_of(frame(("warning_cases", Decimal(-1))))
    assert str(problem) == ("檔案「月報.xlsx」工作表「月報」儲存格 D5（項目：預警案件數）："
                            "數值 -1 是負數；預警案件數不可為負數，請填 0 或正數")


def test_the_checked_ratios_come_from_the_plan():
    assert [indicator.id for indicator in checked_ratios(PLAN_112)] == ["7", "8", "10-1", "10-2"]


def test_a_new_ratio_indicator_is_checked_without_code_changes():
    extra = Indicator(
        id="11", goal=10, name="測試比率", short_name="測試比率", method="統計數據", measure="a÷b×100%",
        weight=Decimal(1), target=Decimal(50), unit="%", formula="percent",
        numerator=(Term("gender_analyses"),), denominator=(Term("gender_impact_reviews"),), help="測試用")
    plan = build_plan(year=112, unit="政風處", organisation="新竹縣政府政風處", goals=GOALS, indicators=(*INDICATORS, extra),
                      fields=FIELDS)
    rows = (("gender_analyses", Decimal(3)), ("gender_impact_reviews", Decimal(2)))
    assert validate(frame(*rows), PLAN_112, file="月報.xlsx") is None
    [problem] = problems_of(frame(*rows), plan)
    assert "指標 11「測試比率」的分子不可超過分母" in problem.message


def test_a_ratio_target_above_100_is_not_checked():
    generous = Indicator(
        id="12", goal=10, name="成長率", short_name="成長率", method="統計數據", measure="a÷b×100%",
        weight=Decimal(1), target=Decimal(120), unit="%", formula="percent",
        numerator=(Term("gender_analyses"),), denominator=(Term("gender_impact_reviews"),), help="測試用")
    plan = build_plan(year=112, unit="政風處", organisation="新竹縣政府政風處", goals=GOALS,
                      indicators=(*INDICATORS, generous), fields=FIELDS)
    assert "12" not in [indicator.id for indicator in checked_ratios(plan)]


@pytest.mark.parametrize("text, code", [
    ("warning_case", "warning_cases"),
    ("Warning Cases", "warning_cases"),
    ("預警案件", "warning_cases"),
    ("實支數", "actual_spent"),
    ("電子發文數", "edoc_sent_electronic"),
    ("budget", "budget_amount"),
    ("ｓｔａｆｆ＿ｈｅａｄｃｏｕｎｔ", "staff_headcount"),
    ("完全無關的文字", None),
    ("", None),
    ("   ", None),
])
def test_suggest_field(text, code):
    assert suggest_field(text, CATALOGUE.fields) == code


def test_capped_keeps_short_lists():
    problems = [Problem(f"問題 {index}", file="a.csv") for index in range(50)]
    assert capped(problems) == problems
    longer = capped(problems + [Problem("多一個", file="a.csv")])
    assert len(longer) == 51 and longer[-1].message.startswith("另有 1 個問題未列出") and longer[-1].file == "a.csv"
