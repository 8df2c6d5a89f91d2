"""Milestones (formula = "milestone", 完成工作項目), hand-computed as shared/spec/indicator-kinds.md §3 defines
them, on tests/fixture_kinds/114/丁處.toml: indicator 8 (stages 25/50/75/100 % planned by months 3/6/9/12,
target 70 %) and indicator 9 (one stage of 100 %: 完成／未完成)."""

from decimal import Decimal
from fractions import Fraction as F

import openpyxl
import pandas as pd
import pytest

from metrics.outputs.charts import gauge_figure
from metrics.errors import InputError
from metrics.evaluation.core import BEHIND, MET, ON_TRACK, evaluate
from metrics.plans.formulas import NO_DATA
from metrics.outputs.presentation import formula_text
from metrics.outputs.template import FIRST_FIELD_ROW, HELP_COLUMN, SHEET_NAME, build_template
from metrics.intake.validation import validate
from test_kinds_evaluation import PLAN, figures, result

NEXT_1 = "下一階段：完成專業規劃委託服務（預定 3 月）"


@pytest.mark.parametrize(("month", "stages", "actual", "status", "achievement", "gap", "gap_text"), [
    # nothing planned by February: stage 0 is on pace
    (2, {2: 0}, F(0), ON_TRACK, F(0), F(70), NEXT_1),
    # stage 1 was planned by March
    (3, {2: 0}, F(0), BEHIND, F(0), F(70), NEXT_1),
    (4, {2: 1}, F(25), ON_TRACK, F(25, 70), F(45), "下一階段：完成土地規劃（預定 6 月）"),
    (7, {2: 1, 6: 2}, F(50), ON_TRACK, F(50, 70), F(20), "下一階段：完成招標（預定 9 月）"),
    (10, {6: 2}, F(50), BEHIND, F(50, 70), F(20), "下一階段：完成招標（預定 9 月）"),
    # a stage once completed stays completed: the highest reported by M counts
    (8, {5: 2, 8: 1}, F(50), ON_TRACK, F(50, 70), F(20), "下一階段：完成招標（預定 9 月）"),
    # 75 ≥ 70 is met; achievement 75 ÷ 70 capped at 1
    (9, {9: 3}, F(75), MET, F(1), F(0), "已達標"),
    (12, {12: 4}, F(100), MET, F(1), F(0), "已達標"),
    (12, {12: 2}, F(50), BEHIND, F(50, 70), F(20), "下一階段：完成招標（預定 9 月）"),
])
def test_a_milestone(month, stages, actual, status, achievement, gap, gap_text):
    found = result("8", month, relocation_stage=stages)
    assert (found.actual, found.status, found.achievement, found.gap, found.gap_text) == \
        (actual, status, achievement, gap, gap_text)
    assert found.pace is None


@pytest.mark.parametrize(("stages", "note"), [
    ({}, "尚無填報資料"),
    ({1: 5}, "填報的階段編號 5 不在 0～4 之間"),  # stored before the upload check: said, not guessed
])
def test_a_milestone_without_a_stage_has_no_data(stages, note):
    found = result("8", 3, relocation_stage=stages)
    assert (found.actual, found.status, found.computation.note) == (None, NO_DATA, note)


@pytest.mark.parametrize(("done", "actual", "status", "gap_text", "text"), [
    (0, F(0), BEHIND, "下一階段：系統上線", "未完成「系統上線」＝ 0%"),
    (1, F(100), MET, "已達標", "已完成「系統上線」＝ 100%"),
])
def test_one_stage_of_100_percent_is_yes_or_no(done, actual, status, gap_text, text):
    found = result("9", 5, system_done={5: done})
    assert (found.actual, found.status, found.gap_text) == (actual, status, gap_text)
    assert formula_text(found, figures(system_done={5: done})) == text


@pytest.mark.parametrize(("stages", "text"), [
    ({4: 2}, "已完成第 2 階段「完成土地規劃」（共 4 階段）＝ 50%"),
    ({4: 0}, "尚未完成任何階段（共 4 階段）＝ 0%"),
])
def test_a_milestone_reads_as_its_stage(stages, text):
    assert formula_text(result("8", 4, relocation_stage=stages), figures(relocation_stage=stages)) == text


def test_evaluate_json_gives_the_completed_stage():
    rows = {row["id"]: row for row in (r.to_json() for r in evaluate(figures(relocation_stage={2: 2}), 2).results)}
    assert (rows["8"]["kind"], rows["8"]["stage"], rows["8"]["actual"]) == ("milestone", 2, 50)
    assert rows["9"]["stage"] is None and "stage" not in rows["1"]


def tidy(code: str, value: str, cell: str = "E7") -> pd.DataFrame:
    return pd.DataFrame([{"year": 114, "month": 2, "unit": "丁處", "field": code, "value": Decimal(value),
                          "source_file": "月報.xlsx", "source_sheet": "月報", "source_cell": cell}])


@pytest.mark.parametrize("value", ["5", "-1", "1.5"])
def test_an_upload_refuses_a_stage_number_outside_0_to_n(value):
    with pytest.raises(InputError) as caught:
        validate(tidy("relocation_stage", value), PLAN, file="月報.xlsx")
    message = str(caught.value)
    assert "E7" in message and "市場遷建完成階段" in message, message
    if value == "5":
        assert "是指標 8 的完成階段編號，須為 0 至 4 的整數（0＝尚未完成任何階段；1＝完成專業規劃委託服務（25%）" in message


@pytest.mark.parametrize("value", ["0", "4"])
def test_an_upload_takes_a_stage_number_from_0_to_n(value):
    assert validate(tidy("relocation_stage", value), PLAN, file="月報.xlsx") is None


def test_the_month_template_says_what_to_type_in_a_milestone_row():
    sheet = openpyxl.load_workbook(__import__("io").BytesIO(build_template(PLAN)))[SHEET_NAME]
    row = FIRST_FIELD_ROW + [field.code for field in PLAN.fields].index("relocation_stage")
    assert sheet.cell(row=row, column=1).value == "relocation_stage"
    assert sheet.cell(row=row, column=HELP_COLUMN).value == (
        "月底已完成的階段編號。\n指標 8：請填已完成的階段編號（0＝尚未完成任何階段；1＝完成專業規劃委託服務（25%）；"
        "2＝完成土地規劃（50%）；3＝完成招標（75%）；4＝完成遷建（100%））")


def test_the_gauge_names_the_stages_along_its_axis():
    axis = gauge_figure(result("8", 4, relocation_stage={2: 1})).data[0].gauge.axis
    assert list(axis.tickvals) == [0, 25, 50, 75, 100]
    # wrapped on lines of at most 5 characters, split evenly: at 11 characters a line the end names were cut off
    # beside a gauge a third of the page wide (seen in the browser on the sample 工務處 113 plan)
    assert list(axis.ticktext) == ["0", "完成專業規<br>劃委託服務", "完成土<br>地規劃", "完成招標", "完成遷建"]


@pytest.mark.parametrize(("name", "label"), [
    ("完成驗收", "完成驗收"),  # five or fewer: one line
    ("完成細部設計", "完成細<br>部設計"),
    ("完成專業規劃委託服務再驗收", "完成專業規<br>劃委託服務<br>再驗收"),
    ("A&B<C>完成", "A&amp;B&lt;<br>C&gt;完成"),  # escaped line by line: a break never splits an escape
])
def test_stage_labels_are_wrapped(name, label):
    from metrics.outputs.charts import stage_label

    assert stage_label(name) == label


def test_a_milestone_gauge_leaves_room_beside_its_arc():
    figure = gauge_figure(result("8", 4, relocation_stage={2: 1}))
    assert (figure.layout.margin.l, figure.layout.margin.r) == (60, 60)
    assert figure.data[0].gauge.axis.tickfont.size == 10


from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402


@settings(max_examples=200, deadline=None)
@given(reported=st.dictionaries(st.integers(1, 12), st.integers(0, 4), min_size=1), month=st.integers(1, 12))
def test_a_milestone_follows_the_spec(reported, month):
    found = result("8", month, relocation_stage=reported)
    earlier = [stage for reported_month, stage in reported.items() if reported_month <= month]
    if not earlier:
        assert found.status == NO_DATA
        return
    stage = max(earlier)
    value = F((0, 25, 50, 75, 100)[stage])
    planned = sum(1 for planned_month in (3, 6, 9, 12) if planned_month <= month)
    assert found.actual == value and found.achievement == min(value / 70, F(1))
    assert found.status == (MET if value >= 70 else ON_TRACK if stage >= planned else BEHIND)


# The gauge follows the milestone's own pace (its status does: 符合進度 when the stage planned by M is done): stages
# 25/50/75/100 % planned by months 3/6/9/12, target 70 %. It used to draw every value below the target in red and
# read "較目標 −45 個百分點" in red beside a 符合進度 status.
@pytest.mark.parametrize(("month", "stage", "status", "pace", "reference", "words"), [
    (4, 1, ON_TRACK, 25, None, None),  # stage 1 (25 %) is the one planned by April: on pace, nothing to add
    (7, 1, BEHIND, 50, 50, "較進度 "),  # stage 2 was due in June: 25 % is 25 points short of it, in red
    (2, 1, ON_TRACK, 0, 0, "較進度 "),  # nothing planned by February: a pace of 0 %, 25 % ahead of it, in green
])
def test_a_milestone_gauge_draws_its_own_pace(month, stage, status, pace, reference, words):
    found = result("8", month, relocation_stage={1: stage})
    assert found.status == status
    gauge = gauge_figure(found).data[0]
    expected = [("behind", 0, pace), ("on_track", pace, 70), ("met", 70, 100)]
    assert [(step.name, step.range[0], step.range[1]) for step in gauge.gauge.steps] == [
        band for band in expected if band[2] > band[1]]
    if reference is None:
        assert gauge.mode == "gauge+number"
    else:
        assert (gauge.delta.reference, gauge.delta.prefix) == (reference, words)
