"""政風案件紀錄 → the eight case-count fields, by completion or by the date the work was done."""

from __future__ import annotations

import pytest

from catalogues import PLAN_112
from metrics.errors import InputError
from metrics.intake.exports import ExportOptions, read_export
from synthetic_exports import csv_bytes, xlsx_bytes

HEADER = ["案號", "案件類別", "案由", "陳情人", "辦理日期", "結案日期"]
CASES = [  # rows 2..15
    ["112001", "預警", "工程延宕", "", "112/01/05", "112/02/10"],  # warning: Feb (completed)
    ["112002", "預警案件", "採購異常", "", "112/01/20", None],  # open: not counted
    ["112003", "採購稽核", "", "", "112/01/15", "112/03/01"],  # procurement: Jan (done)
    ["112004", "採購稽核", "", "", None, "112/02/20"],  # procurement: Feb (falls back to 結案日期)
    ["112005", "陳情檢舉", "噪音陳情", "王大明", "112/01/03", "112/01/25"],  # complaint: Jan
    ["112006", "檢舉", "違法兼職", "陳美玲", "112/02/01", None],  # open: not counted
    ["112007", "民眾陳情", "服務態度", "林志強", "112/02/05", "1120310"],  # complaint: Mar
    ["112008", "資通安全稽核", "", "", "112.03.20", None],  # infosec: Mar
    ["112009", "反針孔檢查", "", "", "112/01/10", None],  # pinhole: Jan
    ["112010", "反針孔", "", "", "2023-03-10", None],  # pinhole: Mar
    ["112011", "性騷擾防治課程", "", "", "112/02/22", None],  # harassment: Feb
    ["112012", "性別分析", "", "", "112/01/05", "112/03/30"],  # gender analysis: Mar
    ["112013", "性別影響評估", "", "", "112/02/01", "112/02/28"],  # gender impact: Feb
    ["112014", "財產申報", "", "", "112/01/10", None],  # not an indicator's type
]
EXPECTED = {
    "warning_cases": {1: 0, 2: 1, 3: 0},
    "procurement_audits": {1: 1, 2: 1, 3: 0},
    "complaints_completed": {1: 1, 2: 0, 3: 1},
    "infosec_audits": {1: 0, 2: 0, 3: 1},
    "pinhole_inspections": {1: 1, 2: 0, 3: 1},
    "harassment_courses": {1: 0, 2: 1, 3: 0},
    "gender_analyses": {1: 0, 2: 0, 3: 1},
    "gender_impact_reviews": {1: 0, 2: 1, 3: 0},
}


def values_of(frame) -> dict[str, dict[int, int]]:
    found: dict[str, dict[int, int]] = {}
    for code, month, value in zip(frame["field"], frame["month"], frame["value"]):
        found.setdefault(code, {})[int(month)] = int(value)
    return found


@pytest.mark.parametrize("kind", ["xlsx", "csv"])
def test_cases_count_in_the_month_that_matters(kind: str) -> None:
    rows = [HEADER, *CASES]
    data = xlsx_bytes(rows) if kind == "xlsx" else csv_bytes(rows, encoding="cp950")
    result = read_export(data, f"案件.{kind}", PLAN_112)
    assert result.source == "case_log"
    assert values_of(result.frame) == EXPECTED
    assert result.rows_used == 11
    assert any("有 2 案（陳情檢舉完成件數、預警案件數）尚無結案日期，未計入" in note for note in result.notes)
    assert any("財產申報 1 列" in note for note in result.notes)
    assert set(result.mapping) == {"case_number", "case_type", "held_date", "completed_date"}
    assert "案由" not in result.preview.columns and "陳情人" not in result.preview.columns


def test_extra_case_types_are_a_setting() -> None:
    rows = [HEADER, *CASES, ["112015", "哺乳室偵測", "", "", "112/02/14", None]]
    plain = values_of(read_export(xlsx_bytes(rows), "a.xlsx", PLAN_112).frame)
    assert plain["pinhole_inspections"][2] == 0
    options = ExportOptions(case_types=(("哺乳室偵測", "pinhole_inspections"),))
    assert values_of(read_export(xlsx_bytes(rows), "a.xlsx", PLAN_112, options=options).frame)["pinhole_inspections"][2] == 1


def test_without_a_completion_column_the_completed_fields_are_not_produced() -> None:
    rows = [["案件類別", "辦理日期"], ["採購稽核", "112/04/01"], ["預警", "112/04/02"]]
    result = read_export(csv_bytes(rows), "a.csv", PLAN_112)
    assert values_of(result.frame) == {"procurement_audits": {4: 1}, "infosec_audits": {4: 0},
                                       "pinhole_inspections": {4: 0}, "harassment_courses": {4: 0}}
    assert any("沒有「結案日期」欄" in note for note in result.notes)


@pytest.mark.parametrize(("case", "cell", "words"), [
    (["x", "採購稽核", "", "", None, None], "E2", "辦理日期與結案日期都空白"),
    (["x", "", "", "", "112/01/01", None], "B2", "案件類別空白"),
    (["x", "陳情", "", "", "112/01/01", "112/1/32"], "F2", "結案日期欄的日期「112/1/32」無法辨識"),
])
def test_a_bad_case_is_named_by_its_cell(case: list, cell: str, words: str) -> None:
    with pytest.raises(InputError) as caught:
        read_export(xlsx_bytes([HEADER, case, *CASES]), "a.xlsx", PLAN_112)
    found = [f"{problem.cell}|{problem.message}" for problem in caught.value.problems]
    assert any(item.startswith(cell + "|") and words in item for item in found), found


def test_duplicates_count_once_when_asked() -> None:
    rows = [HEADER, *CASES, CASES[4]]
    assert values_of(read_export(xlsx_bytes(rows), "a.xlsx", PLAN_112).frame)["complaints_completed"][1] == 2
    result = read_export(xlsx_bytes(rows), "a.xlsx", PLAN_112, options=ExportOptions(deduplicate=True))
    assert values_of(result.frame) == EXPECTED
    assert result.applied == ("案號與類別相同的列只計一次（排除 1 列）",)


def test_a_case_completed_next_year_is_an_error_unless_ignored() -> None:
    rows = [HEADER, *CASES, ["112099", "陳情", "", "", "112/12/20", "113/01/05"]]
    with pytest.raises(InputError) as caught:
        read_export(xlsx_bytes(rows), "a.xlsx", PLAN_112)
    assert "有 1 列案件的計入日期不在計畫年度 112 年（113 年），如 F16" in str(caught.value)
    result = read_export(xlsx_bytes(rows), "a.xlsx", PLAN_112, options=ExportOptions(ignore_other_years=True))
    assert values_of(result.frame) == EXPECTED
