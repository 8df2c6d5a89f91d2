"""Plan documents in (metrics.plans.documents): the seed document read into the very plan tests/golden_plans
holds for 政風處 112, from its text and from the same content as .docx, .odt and .pdf (page break in the same
place); hand-made variants for what else a unit's document does."""

from __future__ import annotations

import shutil
from dataclasses import replace
from decimal import Decimal
from fractions import Fraction

import pandas as pd
import pytest

from catalogues import CATALOGUE, GOLDEN_PLANS, PLAN_112
from metrics.errors import InputError
from metrics.evaluation.core import evaluate
from metrics.evaluation.figures import Figures
from metrics.plans.catalogue import load_catalogue
from metrics.plans.documents import draft_plan, parse_document, plan_toml, read_document
from metrics.plans.documents.draft import DecisionKind
from metrics.plans.documents.tables import chinese_number, indicator_rows
from plan_documents import as_docx, as_odt, as_pdf, seed_text

SAMPLE_YEAR = GOLDEN_PLANS.parent.parent / "sample_data" / "112-full-year.csv"


def draft_of(text: str, *, year: int = 112, unit: str = "政風處", name: str = "計畫書.txt", catalogue=CATALOGUE):
    data = text.encode("utf-8") if isinstance(text, str) else text
    return parse_document(read_document(data, name), catalogue, year=year, unit=unit, document=name)


SEED_DRAFT = draft_of(seed_text())


# ---- the seed, exactly ----

@pytest.mark.parametrize(("indicator_id", "goal", "weight", "target", "unit", "formula", "numerator", "denominator"), [
    ("1", 1, "12.5", "2", "案", "count", ["warning_cases"], []),
    ("2", 2, "12.5", "130", "案", "count", ["procurement_audits"], []),
    ("3", 3, "12.5", "150", "案", "count", ["complaints_completed"], []),
    ("4", 4, "12.5", "1", "案", "count", ["infosec_audits"], []),
    ("5-1", 5, "2.5", "4", "次", "count", ["pinhole_inspections"], []),
    ("5-2", 5, "2.5", "1", "次", "count", ["harassment_courses"], []),
    ("6", 6, "5.0", "50", "%", "reduction_rate", ["reduced_contract", "reduced_temp"], ["new_positions"]),
    ("7", 7, "5.0", "40.7", "%", "percent", ["hakka_certified"], ["staff_headcount"]),
    ("8", 8, "10.0", "85", "%", "percent", ["actual_spent", "payables", "savings", "reserved"], ["budget_amount"]),
    ("9-1", 9, "5.0", "1", "件", "count", ["gender_analyses"], []),  # 「1 件數」 → 1 件
    ("9-2", 9, "5.0", "2", "件", "count", ["gender_impact_reviews"], []),
    ("10-1", 10, "5.0", "97", "%", "percent", ["edoc_sent_electronic"], ["edoc_sent_total"]),
    ("10-2", 10, "5.0", "72", "%", "percent", ["online_signed"],
     ["edoc_received_electronic", "paper_received_signed_online", "self_created_drafts"]),
])
def test_the_seed_reads_to_every_indicator_of_the_plan(indicator_id, goal, weight, target, unit, formula, numerator,
                                                       denominator):
    read = {indicator.id: indicator for indicator in SEED_DRAFT.indicators}[indicator_id]
    assert (read.goal, read.weight, read.target, read.unit, read.formula) == (
        goal, Decimal(weight), Decimal(target), unit, formula)
    assert [term.field for term in read.numerator] == numerator
    assert [term.field for term in read.denominator] == denominator
    assert read.common is (goal >= 6)


def test_the_seed_needs_no_decision_and_says_what_it_noticed():
    assert SEED_DRAFT.needs_decision == ()
    assert [indicator.id for indicator in SEED_DRAFT.indicators] == [i.id for i in PLAN_112.indicators]
    assert SEED_DRAFT.weight_total == 95
    assert "權重合計 95%（不是 100%）：照計畫書呈現，系統不自行調整" in SEED_DRAFT.notices
    assert [goal.kind for goal in SEED_DRAFT.goals] == [goal.kind for goal in PLAN_112.goals]
    assert [goal.common for goal in SEED_DRAFT.goals] == [False] * 5 + [True] * 5
    assert SEED_DRAFT.fields == ()


def test_rows_cut_by_the_page_break_are_joined():
    by_id = {indicator.id: indicator for indicator in SEED_DRAFT.indicators}
    assert SEED_DRAFT.goals[3].title == "協助機關強化資訊機密維護措施，建構資訊安全網絡"
    assert by_id["4"].method == "統計數據"
    assert by_id["4"].name == PLAN_112.indicator_by_id["4"].name
    assert by_id["10-2"].measure == "公文線上簽核件數÷(電子公文收文總數+紙本來文線上簽核數+自創簽稿數) ×100%"
    assert [i.id for i in SEED_DRAFT.indicators if i.joined_across_break] == ["4", "10-2"]


def test_indicator_6_rounds_up_and_takes_its_alternative_denominator_from_the_common_set_citing_the_document():
    six = {indicator.id: indicator for indicator in SEED_DRAFT.indicators}["6"]
    assert [(term.field, term.coefficient) for term in six.numerator] == [("reduced_contract", 1),
                                                                          ("reduced_temp", Fraction(1, 2))]
    assert [(term.field, term.coefficient) for term in six.alternative_denominator] == [
        ("contract_budget_positions", 1), ("temp_budget_positions", Fraction(1, 2))]
    assert any("無條件進位" in note for note in six.notes)
    cited = [note for note in six.notes if "替代分母" in note]
    assert cited and "不在表格文字中，取自 common.toml" in cited[0] and "分母改為縣款預算聘僱人員" in cited[0]


def sample_year(plan):
    frame = pd.read_csv(SAMPLE_YEAR, encoding="utf-8-sig")
    values: dict[str, dict[int, object]] = {}
    for row in frame.itertuples(index=False):
        values.setdefault(row[3], {})[int(row[1])] = row[4]
    return Figures.from_mapping(plan, values)


def outcome(plan, month):
    evaluation = evaluate(sample_year(plan), month)
    return evaluation.weighted_score, [
        (r.indicator.id, r.target, r.weight, r.computation, r.achievement, r.status, r.pace, r.projection, r.gap,
         r.gap_text, r.reported_months, r.numerator_label, r.denominator_label) for r in evaluation.results]


def test_the_seed_plan_evaluates_the_sample_year_exactly_as_the_frozen_plan():
    plan = draft_plan(SEED_DRAFT, CATALOGUE)
    for month in range(1, 13):
        assert outcome(plan, month) == outcome(PLAN_112, month), month
    compared = ("id", "goal", "weight", "target", "unit", "formula", "numerator", "denominator",
                "alternative_denominator", "accrues", "gap_rule", "direction", "upper_bound", "scale", "places", "stages")
    for read, frozen in zip(plan.indicators, PLAN_112.indicators, strict=True):
        assert [getattr(read, key) for key in compared] == [getattr(frozen, key) for key in compared]
    assert plan.multi_year == PLAN_112.multi_year


def test_over_the_plan_in_force_the_short_names_and_help_texts_typed_there_are_kept():
    plan = draft_plan(SEED_DRAFT, CATALOGUE)
    assert [(i.id, i.short_name, i.help) for i in plan.indicators] == [
        (i.id, i.short_name, i.help) for i in PLAN_112.indicators]
    renamed = draft_plan(draft_of(seed_text().replace("\t辦理預警案件\t", "\t辦理廉政預警案件\t")), CATALOGUE)
    assert renamed.indicator_by_id["1"].short_name == "辦理廉政預警案件"  # another name: nothing to keep


def test_the_written_plan_file_passes_the_catalogue_check(tmp_path):
    directory = tmp_path / "plans"
    shutil.copytree(GOLDEN_PLANS, directory)
    (directory / "112" / "政風處.toml").write_text(plan_toml(SEED_DRAFT, CATALOGUE), encoding="utf-8")
    assert load_catalogue(directory).plan(112, "政風處").indicator_by_id["4"].target == 1


@pytest.mark.parametrize(("maker", "name"), [(as_docx, "計畫書.docx"), (as_odt, "計畫書.odt"), (as_pdf, "計畫書.pdf")])
def test_the_same_content_as_docx_odt_and_pdf_reads_to_the_same_draft(maker, name):
    assert replace(draft_of(maker(seed_text()), name=name), document="") == replace(SEED_DRAFT, document="")


# ---- hand-made variants ----

HEADER = "關鍵策略目標\t績效指標\t評估方式\t衡量標準\t權重\t目標值"
COMMON_ROWS = "\n".join(line for line in seed_text().splitlines() if "\t" in line and (
    line.startswith(("6.", "7.", "8.", "9.", "10.")) or line.startswith("\t(")) and "(1)會同" not in line
    and "(2)辦理職場" not in line).replace("自創\t5.0%", "自創簽稿數) ×100%\t5.0%")


SEED_LINES = seed_text().splitlines()
COMMON_STRATEGY = "\n".join(SEED_LINES[SEED_LINES.index("六、調整控管聘僱及臨時人力，落實獎優汰劣之考核用人管理機制(人力)"):
                                        SEED_LINES.index("參、年度績效指標")])


def document(title: str, rows: str) -> str:
    """A unit's document in the seed's layout: 貳 with the common goals' text (goal 6's supplementary rules), 參."""
    return (f"{title}\n\n貳、關鍵策略目標與重點\n\n{COMMON_STRATEGY}\n參、年度績效指標\n\n{HEADER}\n{rows}\n\n"
            "肆、年度重要施政計畫\n")


def test_another_units_plan_proposes_new_fields_and_asks_for_them():
    text = document("新竹縣政府人事處 112 年度施政計畫", "\n".join([
        "1. 強化人力培訓(業務)\t辦理公務人員專業訓練課程\t統計數據\t辦理場次\t20.0%\t12 場",
        "2. 推動終身學習(業務)\t(1)公務人員線上學習達成率\t統計數據\t完成線上學習人數÷應參訓人數×100%\t15.0%\t92.5%",
        "\t(2)辦理預警案件\t統計數據\t辦理案件數\t5.0%\t3 案",
        COMMON_ROWS]))
    draft = draft_of(text, unit="人事處")
    by_id = {indicator.id: indicator for indicator in draft.indicators}
    assert (by_id["1"].formula, by_id["1"].target, by_id["1"].unit) == ("count", 12, "場")
    assert (by_id["2-1"].formula, by_id["2-1"].target, by_id["2-1"].unit) == ("percent", Decimal("92.5"), "%")
    assert by_id["2-2"].numerator[0].field == "warning_cases"  # an existing field, by its name
    assert [(f.code, f.name, f.unit, f.aggregation.value) for f in draft.fields] == [
        ("new_1", "辦理公務人員專業訓練課程場次", "場", "flow"),
        ("new_2_1_n1", "完成線上學習人數", "人", "stock"),
        ("new_2_1_d1", "應參訓人數", "人", "stock")]
    assert [(d.indicator, d.kind) for d in draft.needs_decision] == [
        ("1", DecisionKind.OPERAND), ("2-1", DecisionKind.OPERAND), ("2-1", DecisionKind.OPERAND)]
    plan = draft_plan(draft, CATALOGUE)  # builds once the proposed fields exist
    assert plan.indicator_by_id["2-1"].gap_rule == "whole_fixed_denominator"
    assert plan.indicator_by_id["7"].target == Decimal("40.7")


MILESTONE_ROWS = "\n".join([
    "1. 維護道路品質，確保用路安全(業務)\t(1)道路坑洞通報件數控制在 600 件以內\t統計數據\t全年通報件數\t15.0%\t600 件",
    "\t(2)坑洞平均修補日數\t統計數據\t坑洞修補日數合計÷坑洞修補完成件數\t10.0%\t≤ 3 日",
    "\t(3)竹北市縣道道路拓寬工程\t完成工作項目\t完成工作項目達 90%：1.完成細部設計(20%，3月) 2.完成用地取得(40%，5月) "
    "3.完成工程招標(60%，7月) 4.完成主體工程(90%，11月) 5.完成驗收(100%，12月)\t15.0%\t90%",
    COMMON_ROWS])


def test_milestones_ceilings_and_quotients_are_proposed_from_the_words():
    draft = draft_of(document("新竹縣政府工務處 112 年度施政計畫", MILESTONE_ROWS), unit="工務處")
    by_id = {indicator.id: indicator for indicator in draft.indicators}
    assert (by_id["1-1"].formula, by_id["1-1"].direction.value, by_id["1-1"].numerator[0].field) == (
        "count", "at_most", "pothole_reports")
    assert (by_id["1-2"].formula, by_id["1-2"].direction.value, by_id["1-2"].target, by_id["1-2"].unit) == (
        "quotient", "at_most", 3, "日")
    assert [t.field for t in by_id["1-2"].numerator + by_id["1-2"].denominator] == ["pothole_repair_days",
                                                                                   "potholes_repaired"]
    stages = by_id["1-3"].stages
    assert (by_id["1-3"].formula, by_id["1-3"].numerator[0].field) == ("milestone", "road_widening_stage")
    assert [(s.name, s.percent, s.planned_month) for s in stages] == [
        ("完成細部設計", 20, 3), ("完成用地取得", 40, 5), ("完成工程招標", 60, 7), ("完成主體工程", 90, 11),
        ("完成驗收", 100, 12)]
    assert draft.needs_decision == ()
    plan = draft_plan(draft, CATALOGUE)
    assert plan.indicator_by_id["1-3"].kind.staged and plan.indicator_by_id["1-2"].kind.scaled


@pytest.mark.parametrize(("rows", "name", "method", "weight", "target"), [
    # the indicator's name cut, weight and target on the first part
    ("3. 妥慎處理檢舉案件，樹立廉潔政府(業務)\t受理民眾陳情檢舉，\t統計數據\t辦理案件數\t12.5%\t150 案\n\n"
     f"{HEADER}\n\t並予以完成\t\t\t\t", "受理民眾陳情檢舉，並予以完成", "統計數據", "12.5", "150"),
    # weight and target only after the break; 衡量標準 cut too
    ("3. 妥慎處理檢舉案件，樹立廉潔政府(業務)\t受理民眾陳情檢舉，並予以完成\t統計\t辦理案\t\t\n\n"
     f"{HEADER}\n\t\t數據\t件數\t12.5%\t150 案", "受理民眾陳情檢舉，並予以完成", "統計數據", "12.5", "150"),
])
def test_a_row_cut_by_a_page_break_in_another_column_is_joined(rows, name, method, weight, target):
    text = document("新竹縣政府政風處 112 年度施政計畫", rows + "\n" + COMMON_ROWS)
    three = draft_of(text).indicators[0]
    assert (three.id, three.name, three.method, three.measure, three.weight, three.target) == (
        "3", name, method, "辦理案件數", Decimal(weight), Decimal(target))
    assert three.numerator[0].field == "complaints_completed" and three.joined_across_break


def test_weights_that_do_not_add_up_are_reported_not_fixed():
    text = seed_text().replace("辦理案件數\t12.5%\t2 案", "辦理案件數\t15.0%\t2 案")
    draft = draft_of(text)
    assert draft.indicators[0].weight == 15 and draft.weight_total == Decimal("97.5")
    assert "權重合計 97.5%（不是 100%）：照計畫書呈現，系統不自行調整" in draft.notices
    assert draft_plan(draft, CATALOGUE).indicator_by_id["1"].weight == 15


def test_a_common_target_that_differs_from_the_common_set_is_this_units_override(tmp_path):
    text = seed_text().replace("5.0%\t40.7%", "5.0%\t45%")
    draft = draft_of(text)
    seven = {indicator.id: indicator for indicator in draft.indicators}["7"]
    assert seven.overrides == ("目標值：計畫書 45%，common.toml 112 年度 40.7%",)
    assert any("共同性指標 7 的目標值" in notice for notice in draft.notices)
    assert draft.needs_decision == ()
    written = plan_toml(draft, CATALOGUE)
    assert "include_common = false" in written
    directory = tmp_path / "plans"
    shutil.copytree(GOLDEN_PLANS, directory)
    (directory / "112" / "政風處.toml").write_text(written, encoding="utf-8")
    plan = load_catalogue(directory).plan(112, "政風處")
    assert plan.indicator_by_id["7"].target == 45 and plan.indicator_by_id["7"].common
    assert plan.indicator_by_id["6"].alternative_denominator == PLAN_112.indicator_by_id["6"].alternative_denominator
    assert plan.multi_year == PLAN_112.multi_year
    assert [i.target for i in plan.indicators if i.id != "7"] == [i.target for i in PLAN_112.indicators if i.id != "7"]


def test_a_formula_not_recognised_and_a_target_without_a_unit_ask_for_a_decision():
    text = document("新竹縣政府政風處 112 年度施政計畫", "\n".join([
        "1. 建立防貪機制，預防機關發生貪瀆不法(業務)\t辦理預警案件\t統計數據\t(辦理案件數÷2\t12.5%\t2",
        COMMON_ROWS]))
    decisions = [(d.indicator, d.kind) for d in draft_of(text).needs_decision]
    assert ("1", DecisionKind.UNIT) in decisions and ("1", DecisionKind.FORMULA) in decisions


@pytest.mark.parametrize(("weight", "target", "expected"), [
    ("１２．５％", "１３０　案", ("12.5", "130", "案", "at_least")),  # full-width, as Word's 全形 input writes them
    ("12.5", "130 案", ("12.5", "130", "案", "at_least")),
    ("12.5%", "≧130案", ("12.5", "130", "案", "at_least")),
    ("12.5%", "130 案以上", ("12.5", "130", "案", "at_least")),
    ("12.5%", "至少 130 案", ("12.5", "130", "案", "at_least")),
    ("12.5%", "5 日以內", ("12.5", "5", "日", "at_most")),
    ("12.5%", "5日以下", ("12.5", "5", "日", "at_most")),
    ("12.5%", "≦5日", ("12.5", "5", "日", "at_most")),
    ("12.5%", "１，３００案", ("12.5", "1300", "案", "at_least")),
    ("百分之十二點五", "百分之四十點七", ("12.5", "40.7", "%", "at_least")),  # written in words
    ("百分之十", "百分之九十五以上", ("10", "95", "%", "at_least")),
])
def test_weights_and_targets_as_units_write_them(weight, target, expected):
    text = document("新竹縣政府政風處 112 年度施政計畫", "\n".join([
        f"1. 建立防貪機制，預防機關發生貪瀆不法(業務)\t辦理預警案件\t統計數據\t辦理案件數\t{weight}\t{target}",
        COMMON_ROWS]))
    one = draft_of(text).indicators[0]
    assert (str(one.weight), str(one.target), one.unit, one.direction.value) == expected
    assert not one.decisions


@pytest.mark.parametrize(("weight", "target", "kinds"), [
    ("百分之", "130 案", [DecisionKind.WEIGHT]),
    ("十二點五", "130 案", [DecisionKind.WEIGHT]),
    ("12.5%", "130以上", [DecisionKind.UNIT]),  # 「以上」 is not the unit: the unit is asked for
    ("-5%", "130 案", [DecisionKind.WEIGHT]),
])
def test_a_weight_or_target_that_cannot_be_read_asks_for_a_decision(weight, target, kinds):
    text = document("新竹縣政府政風處 112 年度施政計畫", "\n".join([
        f"1. 建立防貪機制，預防機關發生貪瀆不法(業務)\t辦理預警案件\t統計數據\t辦理案件數\t{weight}\t{target}",
        COMMON_ROWS]))
    assert [d.kind for d in draft_of(text).indicators[0].decisions] == kinds


def test_a_goal_without_its_kind_asks_for_it():
    text = document("新竹縣政府政風處 112 年度施政計畫", "\n".join([
        "1. 建立防貪機制，預防機關發生貪瀆不法\t辦理預警案件\t統計數據\t辦理案件數\t12.5%\t2 案", COMMON_ROWS]))
    assert [(d.goal, d.kind) for d in draft_of(text).needs_decision] == [(1, DecisionKind.GOAL)]


@pytest.mark.parametrize(("data", "name", "expected"), [
    ("政風處計畫\n壹、前言\n沒有表格\n".encode(), "計畫書.txt", "找不到「參、年度績效指標」表格"),
    (b"PK\x03\x04 not really", "計畫書.docx", "不是有效的 Word（.docx）檔"),
    (b"PK\x03\x04 not really", "計畫書.odt", "不是有效的 OpenDocument（.odt）檔"),
    (b"%PDF-1.4 broken", "計畫書.pdf", "不是有效的 PDF 檔"),
    (b"", "計畫書.txt", "檔案是空的"),
    (b"data", "計畫書.xls", "不支援的計畫書格式「.xls」"),
])
def test_an_unreadable_document_is_refused_naming_the_file(data, name, expected):
    with pytest.raises(InputError) as raised:
        parse_document(read_document(data, name), CATALOGUE, year=112, unit="政風處", document=name)
    assert expected in str(raised.value) and name in str(raised.value)


def test_an_unknown_unit_is_refused_with_the_nearest():
    with pytest.raises(InputError, match="單位「政風」不在 units.toml 中；相近的單位：政風處"):
        draft_of(seed_text(), unit="政風")


def test_a_unit_not_yet_established_in_the_year_is_refused():
    with pytest.raises(InputError, match="高齡長照處自 115 年度起才設立，不能有 112 年度的計畫"):
        draft_of(seed_text(), unit="高齡長照處")


@pytest.mark.parametrize(("text", "number"), [("一", 1), ("九", 9), ("十", 10), ("十二", 12), ("二十三", 23), ("甲", None)])
def test_chinese_numbers(text, number):
    assert chinese_number(text) == number


def test_a_header_row_alone_gives_no_rows():
    assert indicator_rows(read_document(f"{HEADER}\n".encode(), "x.txt")) == []


def test_without_the_documents_supplementary_rule_the_alternative_denominator_is_a_decision():
    text = f"新竹縣政府政風處 112 年度施政計畫\n\n參、年度績效指標\n\n{HEADER}\n{COMMON_ROWS}\n"
    decisions = draft_of(text).needs_decision
    assert [(d.indicator, d.kind) for d in decisions] == [("6", DecisionKind.COMMON)]
    assert "替代分母（計畫補充說明（三））在計畫書中找不到依據" in decisions[0].message


# ---- the command line ----

@pytest.fixture
def run(capsys, tmp_path, monkeypatch):
    from metrics import cli

    monkeypatch.setenv("KPI_DB_URL", f"sqlite:///{tmp_path / 'no-store.sqlite3'}")  # the files' plans unless --db

    def call(*arguments: str) -> tuple[int, str, str]:
        status = cli.main(["--plans", str(GOLDEN_PLANS), "plans", "import-document", *arguments])
        captured = capsys.readouterr()
        return status, captured.out, captured.err

    return call


def test_the_command_line_prints_the_json_draft_and_writes_a_plan_that_checks(run, tmp_path):
    import json

    source = tmp_path / "政風處112年度施政計畫.docx"
    source.write_bytes(as_docx(seed_text()))
    output = tmp_path / "plans" / "112" / "政風處.toml"
    shutil.copytree(GOLDEN_PLANS, tmp_path / "plans")
    status, out, err = run(str(source), "--year", "112", "--unit", "政風處", "--json", "-o", str(output))
    assert status == 0, err
    printed = json.loads(out)
    assert set(printed) >= {"goals", "indicators", "fields"}
    six = printed["indicators"][6]
    assert {key: six[key] for key in ("id", "goal", "weight", "target", "unit", "common", "needs_decision")} == {
        "id": "6", "goal": 6, "weight": 5, "target": 50, "unit": "%", "common": True, "needs_decision": []}
    assert six["formula"]["kind"] == "reduction_rate"
    assert [term["coefficient"] for term in six["formula"]["numerator"]] == ["1", "0.5"]
    assert printed["fields"] == []
    from metrics import cli

    assert cli.main(["--plans", str(tmp_path / "plans"), "plans", "check"]) == 0


def test_the_command_line_lists_what_needs_a_decision_and_exits_3(run, tmp_path, capsys):
    source = tmp_path / "人事處.txt"
    source.write_text(document("新竹縣政府人事處 112 年度施政計畫", "\n".join([
        "1. 強化人力培訓(業務)\t辦理公務人員專業訓練課程\t統計數據\t辦理場次\t20.0%\t12 場", COMMON_ROWS])),
        encoding="utf-8")
    status, out, err = run(str(source), "--year", "112", "--unit", "人事處", "-o", str(tmp_path / "人事處.toml"))
    assert status == 3
    assert "尚待決定 1 項" in err and "new_1「辦理公務人員專業訓練課程場次」" in err
    assert not (tmp_path / "人事處_新增項目.toml").exists()  # one file: the new field is the plan's own
    assert "指標 1　辦理公務人員專業訓練課程｜權重 20%｜目標值 12 場" in out
    assert "建議新增項目 new_1「辦理公務人員專業訓練課程場次」（場，當月數）" in out
    written = (tmp_path / "人事處.toml").read_text(encoding="utf-8")
    assert written.splitlines().count("[[field]]") == 1 and 'code = "new_1"' in written
    # the written plan passes the check as it is, fields.toml untouched
    directory = tmp_path / "plans"
    shutil.copytree(GOLDEN_PLANS, directory)
    shutil.copy(tmp_path / "人事處.toml", directory / "112" / "人事處.toml")
    from metrics import cli

    assert cli.main(["--plans", str(directory), "plans", "check"]) == 0
    assert "個填報項目（另有計畫自己的填報項目 1 個）" in capsys.readouterr().out
    catalogue = load_catalogue(directory)
    plan = catalogue.plan(112, "人事處")
    assert plan.indicator_by_id["1"].numerator[0].field == "new_1" and plan.field("new_1").aggregation.value == "flow"
    assert plan.field("new_1").name == "辦理公務人員專業訓練課程場次" and "new_1" not in {f.code for f in catalogue.fields}


def test_the_command_line_refuses_an_unreadable_document_with_exit_2(run, tmp_path):
    source = tmp_path / "計畫書.pdf"
    source.write_bytes(b"%PDF-1.4 broken")
    status, out, err = run(str(source), "--year", "112", "--unit", "政風處")
    assert status == 2 and "檔案「計畫書.pdf」：無法讀取計畫書：不是有效的 PDF 檔" in err and out == ""


@pytest.mark.parametrize(("where", "expected"), [
    ("missing", "計畫書「{path}」無法讀取：找不到檔案或資料夾"),
    ("output", "錯誤：檔案「{path}」無法存取：找不到檔案或資料夾"),  # -o into a folder that does not exist
])
def test_the_command_line_names_a_file_it_cannot_read_or_write_in_chinese(run, tmp_path, where, expected):
    source = tmp_path / "計畫書.txt"
    source.write_text(seed_text(), encoding="utf-8")
    path = tmp_path / ("沒有這個檔.docx" if where == "missing" else "沒有這個資料夾/政風處.toml")
    arguments = [str(path)] if where == "missing" else [str(source), "-o", str(path)]
    status, _, err = run(*arguments, "--year", "112", "--unit", "政風處")
    assert status == 2 and expected.format(path=path) in err and "Traceback" not in err
    assert "No such file" not in err


@pytest.mark.parametrize("year", ["2023", "-1", "99999"])
def test_the_command_line_refuses_a_year_that_is_not_an_roc_year(run, tmp_path, year):
    source = tmp_path / "計畫書.txt"
    source.write_text(seed_text(), encoding="utf-8")
    output = tmp_path / "政風處.toml"
    status, out, err = run(str(source), "--year", year, "--unit", "政風處", "-o", str(output))
    assert status == 2 and f"--year「{year}」不是可用的年度" in err and not output.exists() and out == ""


def test_invisible_characters_from_word_are_taken_out_and_said():
    text = seed_text().replace("辦理預警案件", "辦理\u200b預警案件").replace("辦理採購稽核案件", "辦理採購\u00ad稽核案件")
    draft = draft_of(text)
    assert [indicator.name for indicator in draft.indicators[:2]] == ["辦理預警案件", "辦理採購稽核案件"]
    assert any("零寬空格" in notice and "軟連字號" in notice for notice in draft.notices)
    assert draft.needs_decision == ()


# ---- decisions ----

def test_answers_settle_the_decisions_and_the_plan_then_builds():
    from metrics.plans.documents.decide import decide

    text = document("新竹縣政府人事處 112 年度施政計畫", "\n".join([
        "1. 強化人力培訓\t辦理公務人員專業訓練課程\t統計數據\t辦理場次\t20.0%\t12",
        "2. 推動終身學習(業務)\t公務人員線上學習達成率\t統計數據\t完成線上學習人數÷應參訓人數×100%\t15.0%\t92.5%",
        COMMON_ROWS]))
    draft = draft_of(text, unit="人事處")
    pending = [(d.kind, d.indicator, d.goal) for d in draft.needs_decision]
    assert pending == [(DecisionKind.GOAL, None, 1), (DecisionKind.UNIT, "1", None), (DecisionKind.OPERAND, "1", None),
                       (DecisionKind.OPERAND, "2", None), (DecisionKind.OPERAND, "2", None)]
    assert len(draft.fields) == 3
    partly = decide(draft, CATALOGUE, {0: "業務", 1: "場", 2: "harassment_courses"})
    assert [(d.kind, d.indicator) for d in partly.needs_decision] == [(DecisionKind.OPERAND, "2")] * 2
    assert partly.goals[0].kind == "業務" and partly.indicators[0].unit == "場"
    assert partly.indicators[0].numerator[0].field == "harassment_courses"
    assert [f.code for f in partly.fields] == ["new_2_n1", "new_2_d1"]
    done = decide(partly, CATALOGUE, {0: "hakka_certified", 1: "staff_headcount"})
    assert done.needs_decision == () and done.fields == ()
    plan = draft_plan(done, CATALOGUE)
    assert plan.indicator_by_id["2"].numerator[0].field == "hakka_certified"


@pytest.mark.parametrize(("answer", "expected"), [
    ({2: "no_such_field"}, "「no_such_field」不是 fields.toml 或現行計畫中的項目代碼，也不是建議新增的 new_1"),
    ({0: "教育"}, "類別「教育」不是 業務、人力、經費、性別平等、其他 之一"),
])
def test_an_answer_that_does_not_fit_is_refused(answer, expected):
    from metrics.plans.documents.decide import decide

    text = document("新竹縣政府人事處 112 年度施政計畫", "\n".join([
        "1. 強化人力培訓\t辦理公務人員專業訓練課程\t統計數據\t辦理場次\t20.0%\t12", COMMON_ROWS]))
    with pytest.raises(InputError, match=expected):
        decide(draft_of(text, unit="人事處"), CATALOGUE, answer)


# ---- merged cells, as word processors write them ----

def test_a_goal_cell_merged_down_over_its_indicators_in_word_is_read_once():
    import io

    import docx

    document_ = docx.Document()
    document_.add_paragraph("新竹縣政府政風處 112 年度施政計畫")
    document_.add_paragraph("參、年度績效指標")
    rows = [HEADER.split("\t"),
            ["5. 配合辦理本府 111 年至 113 年推動各機關性別主流化實施計畫，推行「性平好生活」(業務)",
             "(1)會同本府廳舍安全管理權責單位，每年定期進行廁所及哺集乳室反針孔檢查", "統計數據", "檢查次數", "2.5%", "4 次"],
            ["", "(2)辦理職場性騷擾防治相關課程，強化同仁之性別意識並提升性別敏感度，增進知能", "統計數據", "辦理場次", "2.5%",
             "1 次"]]
    table = document_.add_table(rows=3, cols=6)
    for r, row in enumerate(rows):
        for c, text in enumerate(row):
            if text:
                table.cell(r, c).text = text
    table.cell(1, 0).merge(table.cell(2, 0))  # Word's vertical merge: the second row continues the goal cell
    buffer = io.BytesIO()
    document_.save(buffer)
    draft = draft_of(buffer.getvalue(), name="計畫書.docx")
    assert [(i.id, i.goal, i.target, i.unit) for i in draft.indicators] == [("5-1", 5, 4, "次"), ("5-2", 5, 1, "次")]
    assert len(draft.goals) == 1


def test_covered_and_repeated_cells_of_an_odt_table_keep_the_columns():
    import io
    import zipfile

    header = "".join(f"<table:table-cell><text:p>{cell}</text:p></table:table-cell>" for cell in HEADER.split("\t"))
    row = ("<table:table-cell><text:p>1. 建立防貪機制，預防機關發生貪瀆不法(業務)</text:p></table:table-cell>"
           "<table:table-cell><text:p>辦理預警</text:p><text:p>案件</text:p></table:table-cell>"
           "<table:table-cell><text:p>統計<text:s/>數據</text:p></table:table-cell>"
           "<table:table-cell><text:p>辦理案件數</text:p></table:table-cell>"
           "<table:table-cell><text:p>12.5%</text:p></table:table-cell>"
           "<table:table-cell><text:p>2 案</text:p></table:table-cell>"
           '<table:table-cell table:number-columns-repeated="3"/>')
    content = ('<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
               'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" '
               'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0"><office:body><office:text>'
               "<text:h>新竹縣政府政風處 112 年度施政計畫</text:h><text:p>參、年度績效指標</text:p><table:table>"
               f"<table:table-row>{header}</table:table-row><table:table-row>{row}</table:table-row>"
               "</table:table></office:text></office:body></office:document-content>")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("content.xml", content)
    one = draft_of(buffer.getvalue(), name="計畫書.odt").indicators[0]
    assert (one.name, one.method, one.weight, one.target, one.numerator[0].field) == (
        "辦理預警案件", "統計 數據", Decimal("12.5"), 2, "warning_cases")


def test_a_goal_cell_merged_down_in_a_pdf_is_read_with_its_first_row():
    from fpdf import FPDF

    from plan_documents import FONT

    pdf = FPDF(orientation="L")
    pdf.add_font("cjk", fname=FONT)
    pdf.set_font("cjk", size=10)
    pdf.add_page()
    pdf.multi_cell(0, 6, "新竹縣政府政風處 112 年度施政計畫", new_x="LMARGIN", new_y="NEXT")
    pdf.multi_cell(0, 6, "參、年度績效指標", new_x="LMARGIN", new_y="NEXT")
    with pdf.table(col_widths=(45, 75, 22, 85, 15, 20), first_row_as_headings=False, text_align="LEFT") as table:
        row = table.row()
        for cell in HEADER.split("\t"):
            row.cell(cell)
        row = table.row()
        row.cell("5. 配合辦理本府 111 年至 113 年推動各機關性別主流化實施計畫，推行「性平好生活」(業務)", rowspan=2)
        for cell in ("(1)會同本府廳舍安全管理權責單位，每年定期進行廁所及哺集乳室反針孔檢查", "統計數據", "檢查次數", "2.5%", "4 次"):
            row.cell(cell)
        row = table.row()
        for cell in ("(2)辦理職場性騷擾防治相關課程", "統計數據", "辦理場次", "2.5%", "1 次"):
            row.cell(cell)
    draft = draft_of(bytes(pdf.output()), name="計畫書.pdf")
    assert [(i.id, i.goal, i.target, i.unit) for i in draft.indicators] == [("5-1", 5, 4, "次"), ("5-2", 5, 1, "次")]
    assert draft.goals[0].title == "配合辦理本府 111 年至 113 年推動各機關性別主流化實施計畫，推行「性平好生活」"


def test_hostile_or_empty_documents_are_refused_without_harm():
    import io
    import zipfile

    from fpdf import FPDF

    bomb = ('<?xml version="1.0"?><!DOCTYPE d [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">'
            '<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]><d>&c;</d>')
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("content.xml", bomb)
    with pytest.raises(InputError, match="不是有效的 OpenDocument"):
        read_document(buffer.getvalue(), "炸彈.odt")
    pdf = FPDF()
    pdf.add_page()
    pdf.rect(20, 20, 50, 50, style="F")  # a scanned page: a picture, no text
    with pytest.raises(InputError, match="PDF 沒有文字層（可能是掃描影像）"):
        read_document(bytes(pdf.output()), "掃描.pdf")


def test_a_docx_that_unpacks_to_millions_of_paragraphs_is_refused_before_it_is_read():
    import io
    import zipfile

    seed = zipfile.ZipFile(io.BytesIO(as_docx(seed_text())))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for member in seed.infolist():
            data = seed.read(member.filename)
            if member.filename == "word/document.xml":  # 300 KB packed: minutes and gigabytes to read
                data = data.replace(b"<w:body>", b"<w:body>" + b"<w:p/>" * 3_500_000)
            archive.writestr(member.filename, data)
    assert len(buffer.getvalue()) < 1_000_000
    with pytest.raises(InputError, match=r"內容（word/document.xml）解壓縮後超過 20 MB"):
        read_document(buffer.getvalue(), "炸彈.docx")


@pytest.mark.parametrize("header", [
    "關鍵策略目標\t績效指標\t評估方式\t衡量標準\t權重(%)\t目標值(112年)",
    "關鍵策略目標\t績效指標\t評估方式\t衡量標準\t權重（％）\t112年度目標值",
    f"{HEADER}\n\t\t\t\t(%)\t",  # the header's second row: a note under 權重
])
def test_a_header_with_notes_or_a_second_row_still_finds_the_table(header):
    text = document("新竹縣政府政風處 112 年度施政計畫", "\n".join([
        "1. 建立防貪機制，預防機關發生貪瀆不法(業務)\t辦理預警案件\t統計數據\t辦理案件數\t12.5%\t2 案", COMMON_ROWS]))
    draft = draft_of(text.replace(HEADER, header, 1))
    assert [(i.id, i.weight, i.target) for i in draft.indicators][:2] == [("1", 12.5, 2), ("6", 5, 50)]
    assert draft.needs_decision == ()


@pytest.mark.parametrize(("header", "row_end"), [
    ("關鍵策略目標\t績效指標\t評估方式\t衡量標準\t權重\t目標值\t計量單位", "130\t案"),
    ("關鍵策略目標\t績效指標\t評估方式\t衡量標準\t權重\t目標值\t", "130\t案"),  # 目標值 merged over two columns
    ("關鍵策略目標\t績效指標\t評估方式\t衡量標準\t權重\t目標值\t計量單位", "130 案\t案"),  # said twice: once
])
def test_a_targets_unit_in_a_column_of_its_own(header, row_end):
    rows = f"2. 監辦採購業務，落實採購稽核機制，建構本縣公平公開之採購環境(業務)\t辦理採購稽核案件\t統計數據\t辦理案件數\t12.5%\t{row_end}"
    text = document("新竹縣政府政風處 112 年度施政計畫", rows + "\n" + COMMON_ROWS).replace(HEADER, header, 1)
    two = draft_of(text).indicators[0]
    assert (two.id, two.target, two.unit, two.decisions) == ("2", 130, "案", ())


def test_goals_and_indicators_numbered_in_chinese_or_full_width_digits():
    rows = "\n".join([
        "一、建立防貪機制，預防機關發生貪瀆不法(業務)\t辦理預警案件\t統計數據\t辦理案件數\t12.5%\t2 案",
        "５．配合辦理本府性別主流化實施計畫(業務)\t（一）會同本府廳舍安全管理權責單位，每年定期進行廁所及哺集乳室反針孔檢查"
        "\t統計數據\t檢查次數\t2.5%\t4 次",
        "\t（二）辦理職場性騷擾防治相關課程\t統計數據\t辦理場次\t2.5%\t1 次",
        COMMON_ROWS])
    draft = draft_of(document("新竹縣政府政風處 112 年度施政計畫", rows))
    assert [(goal.number, goal.title) for goal in draft.goals][:2] == [
        (1, "建立防貪機制，預防機關發生貪瀆不法"), (5, "配合辦理本府性別主流化實施計畫")]
    assert [indicator.id for indicator in draft.indicators][:3] == ["1", "5-1", "5-2"]
    assert draft.decisions == ()


@pytest.mark.parametrize("mark", ["(共同)", "（共同）", "(共同性)", "（共同性指標）"])
def test_the_common_mark_as_units_write_it(mark):
    draft = draft_of(seed_text().replace("(人力)(共同)", f"(人力){mark}"))
    six = {goal.number: goal for goal in draft.goals}[6]
    assert (six.title, six.kind, six.common) == ("調整控管聘僱及臨時人力，落實獎優汰劣之考核用人管理機制", "人力", True)
    assert draft.needs_decision == ()


def test_a_word_or_opendocument_file_with_an_opening_password_is_refused_saying_so():
    import io
    import zipfile

    compound = bytes.fromhex("d0cf11e0a1b11ae1") + bytes(504)  # how Office stores an encrypted .docx (and a .doc)
    with pytest.raises(InputError, match="這是設有開啟密碼（加密）的 Word 檔，或舊版 Word（.doc）檔"):
        read_document(compound, "加密.docx")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.text")
        archive.writestr("META-INF/manifest.xml", '<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:'
                         'xmlns:manifest:1.0"><manifest:file-entry manifest:full-path="content.xml"><manifest:'
                         'encryption-data manifest:checksum="x"/></manifest:file-entry></manifest:manifest>')
        archive.writestr("content.xml", bytes(range(256)))  # encrypted: not XML
    with pytest.raises(InputError, match="這是設有開啟密碼（加密）的 OpenDocument 檔"):
        read_document(buffer.getvalue(), "加密.odt")


def test_a_header_that_is_not_a_table_is_said_so():
    spaced = seed_text().replace("\t", "  ")  # pasted from a PDF without ruling: columns are only spaces
    with pytest.raises(InputError, match="看起來是「參、年度績效指標」的表頭，但不是表格：PDF 的表格須有框線"):
        draft_of(spaced)


@pytest.mark.parametrize(("first", "second"), [
    ("(1)會同檢查", "(2)辦理課程"), ("5-1 會同檢查", "5-2 辦理課程"), ("5.1會同檢查", "5.2辦理課程"), ("1.會同檢查", "2.辦理課程"),
    ("1、會同檢查", "2、辦理課程"), ("①會同檢查", "②辦理課程"), ("一、會同檢查", "二、辦理課程"),
])
def test_an_indicators_number_as_units_write_it_is_its_id_not_part_of_its_name(first, second):
    rows = "\n".join([f"5. 配合辦理性別主流化(業務)\t{first}\t統計數據\t檢查次數\t2.5%\t4 次",
                      f"\t{second}\t統計數據\t辦理場次\t2.5%\t1 次", COMMON_ROWS])
    draft = draft_of(document("新竹縣政府政風處 112 年度施政計畫", rows))
    assert [(i.id, i.name) for i in draft.indicators[:2]] == [("5-1", "會同檢查"), ("5-2", "辦理課程")]


@pytest.mark.parametrize(("name", "expected"), [
    ("1.受理民眾陳情檢舉，並予以完成", ("3", "受理民眾陳情檢舉，並予以完成")),  # a goal's only indicator keeps the goal's id
    ("(1)受理民眾陳情檢舉，並予以完成", ("3-1", "受理民眾陳情檢舉，並予以完成")),
    ("12.5%以上的陳情檢舉完成", ("3", "12.5%以上的陳情檢舉完成")),  # a number, not a numbering
])
def test_a_goals_only_indicator_numbered_or_not(name, expected):
    rows = f"3. 妥慎處理檢舉案件，樹立廉潔政府(業務)\t{name}\t統計數據\t辦理案件數\t12.5%\t150 案\n{COMMON_ROWS}"
    three = draft_of(document("新竹縣政府政風處 112 年度施政計畫", rows)).indicators[0]
    assert (three.id, three.name) == expected


def test_a_pdf_with_an_opening_password_is_refused_saying_so():
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("helvetica")
    pdf.cell(text="plan")
    pdf.set_encryption(owner_password="owner", user_password="user")
    with pytest.raises(InputError, match="PDF 有開啟密碼（已加密）；請移除密碼後再上傳"):
        read_document(bytes(pdf.output()), "加密.pdf")


def test_a_pdf_of_more_pages_than_any_plan_is_refused_before_its_pages_are_read(monkeypatch):
    from fpdf import FPDF

    from metrics.plans.documents import readers

    monkeypatch.setattr(readers, "MOST_PAGES", 3)  # the same check as at 500 pages, without making 501 of them
    pdf = FPDF()
    pdf.set_font("helvetica")
    for _ in range(4):
        pdf.add_page()
        pdf.cell(text="page")
    with pytest.raises(InputError, match="PDF 有 4 頁，超過 3 頁，不像是一份計畫書"):
        read_document(bytes(pdf.output()), "很多頁.pdf")
    assert readers.READERS[".pdf"] is readers.read_pdf


def _wrapped_docx(wrap) -> bytes:
    import io

    import docx
    from docx.oxml.ns import qn

    document = docx.Document(io.BytesIO(as_docx(seed_text())))
    for table in list(document.element.body.iterchildren(qn("w:tbl"))):
        wrap(document, table)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def _in_content_control(document, table) -> None:
    from docx.oxml import OxmlElement

    control, content = OxmlElement("w:sdt"), OxmlElement("w:sdtContent")
    table.addprevious(control)
    control.append(content)
    content.append(table)


def _in_frame_table(document, table) -> None:
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    frame = document.add_table(rows=1, cols=1)._tbl  # a layout table of one cell around the real one
    table.addprevious(frame)
    cell = frame.find(qn("w:tr")).find(qn("w:tc"))
    cell.append(table)
    cell.append(OxmlElement("w:p"))


@pytest.mark.parametrize("wrap", [_in_content_control, _in_frame_table])
def test_a_table_inside_a_content_control_or_a_frame_table_is_read(wrap):
    draft = draft_of(_wrapped_docx(wrap), name="計畫書.docx")
    assert [(i.id, i.weight, i.target, i.unit) for i in draft.indicators] == [
        (i.id, i.weight, i.target, i.unit) for i in SEED_DRAFT.indicators]
    assert draft.needs_decision == ()


def test_tracked_changes_read_as_accepted():
    import io

    import docx
    from docx.oxml import OxmlElement

    document = docx.Document(io.BytesIO(as_docx(seed_text())))
    cell = next(cell for table in document.tables for row in table.rows for cell in row.cells if cell.text == "130 案")
    paragraph = cell.paragraphs[0]._p
    for tag, inner in (("w:del", "w:delText"), ("w:moveFrom", "w:t")):  # deleted, moved away: neither is there
        change, run, text = OxmlElement(tag), OxmlElement("w:r"), OxmlElement(inner)
        text.text = "120 "
        run.append(text)
        change.append(run)
        paragraph.insert(0, change)
    buffer = io.BytesIO()
    document.save(buffer)
    two = {i.id: i for i in draft_of(buffer.getvalue(), name="修訂.docx").indicators}["2"]
    assert (two.target, two.unit, two.target_text) == (130, "案", "130 案")


def test_a_table_of_more_rows_than_any_units_plan_is_refused_before_drafting():
    rows = "\n".join(f"{n}. 目標{n}(業務)\t指標{n}\t統計數據\t辦理案件數\t1%\t1 案" for n in range(1, 302))
    with pytest.raises(InputError, match="表格有 301 列，超過 300 列，不像是一個單位的績效指標表"):
        draft_of(document("新竹縣政府政風處 112 年度施政計畫", rows))


def test_a_text_file_larger_than_any_plan_is_refused(monkeypatch):
    from metrics.plans.documents import readers

    monkeypatch.setattr(readers, "MOST_TEXT", 1_000)  # the same check as at 5 MB, without writing 5 MB
    with pytest.raises(InputError, match="文字檔超過 0 MB，不像是一份計畫書"):
        read_document(seed_text().encode("utf-8"), "很大.txt")


def test_an_operand_is_matched_by_a_fields_alias():
    fields = tuple(replace(f, aliases=("風險通報件次",)) if f.code == "warning_cases" else f for f in CATALOGUE.fields)
    with_alias = replace(CATALOGUE, fields=fields)
    text = document("新竹縣政府政風處 112 年度施政計畫", "\n".join([
        "1. 建立防貪機制，預防機關發生貪瀆不法(業務)\t受理並完成查處\t統計數據\t風險通報件次\t12.5%\t2 案", COMMON_ROWS]))
    assert draft_of(text).indicators[0].numerator[0].new  # without the alias: a new field is proposed
    one = draft_of(text, catalogue=with_alias).indicators[0]
    assert (one.numerator[0].field, one.numerator[0].new, one.decisions) == ("warning_cases", False, ())


def test_fields_toml_accepts_aliases_and_a_field_is_the_same_with_or_without_them(tmp_path):
    directory = tmp_path / "plans"
    shutil.copytree(GOLDEN_PLANS, directory)
    text = (directory / "fields.toml").read_text(encoding="utf-8")
    (directory / "fields.toml").write_text(text.replace('name = "預警案件數"\n', 'name = "預警案件數"\naliases = ["政風預警案件數"]\n'),
                                           encoding="utf-8")
    catalogue = load_catalogue(directory)
    assert catalogue.field_by_code["warning_cases"].aliases == ("政風預警案件數",)
    assert catalogue.field_by_code["warning_cases"] == CATALOGUE.field_by_code["warning_cases"]
    assert replace(catalogue.plan(112, "政風處"), origin="") == replace(PLAN_112, origin="")


def test_a_year_the_common_set_has_no_targets_for_takes_the_documents_own():
    draft = draft_of(seed_text().replace("112 年度施政計畫", "113 年度施政計畫"), year=113)
    assert all(indicator.overrides == ("common.toml 沒有 113 年度的目標值與權重：以計畫書的目標值與權重為本單位的共同性指標",)
               for indicator in draft.indicators if indicator.common)
    plan = draft_plan(draft, CATALOGUE)
    assert (plan.year, plan.indicator_by_id["7"].target, plan.indicator_by_id["8"].weight) == (113, Decimal("40.7"), 10)
    assert plan.multi_year == PLAN_112.multi_year


def test_with_db_the_document_is_read_over_the_versions_in_force_in_the_store(run, tmp_path, capsys):
    from metrics import cli

    url = f"sqlite:///{tmp_path / 'kpi.sqlite3'}"
    edited = tmp_path / "政風處.toml"  # a version in the store whose short name and help text were edited there
    edited.write_text((GOLDEN_PLANS / "112" / "政風處.toml").read_text(encoding="utf-8").replace(
        'short_name = "辦理預警案件"', 'short_name = "預警（資料庫中修改）"').replace(
        'help = "年度內辦理完成之預警案件數（各月預警案件數加總）。"', 'help = "資料庫中修改的說明"'), encoding="utf-8")
    assert cli.main(["--plans", str(GOLDEN_PLANS), "plans", "import", str(edited), "--db", url]) == 0
    other = tmp_path / "人事處.txt"  # a unit whose stored version brings its own field new_1
    other.write_text(document("新竹縣政府人事處 112 年度施政計畫", "\n".join([
        "1. 強化人力培訓(業務)\t辦理公務人員專業訓練課程\t統計數據\t辦理場次\t20.0%\t12 場", COMMON_ROWS])),
        encoding="utf-8")
    assert run(str(other), "--year", "112", "--unit", "人事處", "-o", str(tmp_path / "人事處.toml"))[0] == 3
    assert cli.main(["--plans", str(GOLDEN_PLANS), "plans", "import", str(tmp_path / "人事處.toml"), "--db", url]) == 0
    capsys.readouterr()

    seed = tmp_path / "政風處.txt"
    seed.write_text(seed_text(), encoding="utf-8")
    status, _, err = run(str(seed), "--year", "112", "--unit", "政風處", "--db", url, "-o", str(tmp_path / "out.toml"))
    assert status == 0, err
    written = (tmp_path / "out.toml").read_text(encoding="utf-8")
    assert 'short_name = "預警（資料庫中修改）"' in written and 'help = "資料庫中修改的說明"' in written
    status, _, _ = run(str(seed), "--year", "112", "--unit", "政風處", "-o", str(tmp_path / "files.toml"))
    assert status == 0 and 'short_name = "辦理預警案件"' in (tmp_path / "files.toml").read_text(encoding="utf-8")

    third = tmp_path / "主計處.txt"  # another unit: new_1 is taken by the stored 人事處 version, so new_1_2
    third.write_text(document("新竹縣政府主計處 112 年度施政計畫", "\n".join([
        "1. 強化會計審核(業務)\t辦理會計業務查核\t統計數據\t查核次數\t20.0%\t6 次", COMMON_ROWS])), encoding="utf-8")
    status, _, err = run(str(third), "--year", "112", "--unit", "主計處", "--db", url)
    assert status == 3 and "建議新增項目 new_1_2" in err, err
    status, _, err = run(str(third), "--year", "112", "--unit", "主計處")  # the files alone know no new_1
    assert status == 3 and "建議新增項目 new_1「" in err, err
