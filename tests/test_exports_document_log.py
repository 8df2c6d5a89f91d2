"""公文清單 → the six monthly fields of indicators 10-1 and 10-2, hand-counted."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from metrics.errors import InputError
from metrics.intake.exports import ExportOptions, read_export
from synthetic_exports import csv_bytes, xlsx_bytes
from metrics.evaluation.figures import Figures
from metrics.intake.tidy import TIDY_COLUMNS
from catalogues import PLAN_112

HEADER = ["文號", "收發別", "收文日期", "發文日期", "創稿日期", "交換方式", "簽核方式", "密等", "主旨", "承辦人"]
TITLES = [["新竹縣政府政風處 公文清單"], ["查詢期間：112/01/01-112/03/31"]]
# Sheet rows 4..14 add (發 = 發文總件數, 電 = 電子發文件數, 電收 = 電子公文收文總數, 紙線 = 紙本來文線上簽核數,
# 創 = 自創簽稿數, 線上 = 公文線上簽核件數):
#   row 4: 1月 發+電
#   row 5: 1月 發
#   row 6: 2月 發+電
#   row 7: 1月 電收+線上
#   row 8: 1月 電收
#   row 9: 2月 紙線+線上
#   row 10: 不計
#   row 11: 1月 創+線上
#   row 12: 3月 創
#   row 13: 3月 電收+線上 (密)
#   row 14: 3月 發+電 (密)
ROWS = [
    ["府政字第1120000001號", "發文", None, "112/01/05", None, "電子交換", None, "普通", "函覆議員質詢", "王大明"],
    ["府政字第1120000002號", "發文", None, "1120115", None, "紙本", None, "普通", "寄送公告", "王大明"],
    ["府政字第1120000003號", "發文", None, dt.datetime(2023, 2, 3, 14, 5), None, "電子交換", None, "普通", "", ""],
    ["府收字第1120000004號", "收文", "112.01.10", None, None, "電子交換", "線上簽核", "普通", "x", "陳美玲"],
    ["府收字第1120000005號", "收文", "中華民國112年1月20日", None, None, "電子交換", "紙本簽核", "普通", "x", "林志強"],
    ["府收字第1120000006號", "收文", "2023-02-14", None, None, "紙本", "線上簽核", "普通", "x", "林志強"],
    ["府收字第1120000007號", "收文", "112/02/15", None, None, "紙本", "紙本簽核", "普通", "x", "張淑芬"],
    ["府簽字第1120000008號", "創稿", None, None, "112/01/31", None, "線上簽核", "普通", "x", "張淑芬"],
    ["府簽字第1120000009號", "簽稿", None, None, "1120301", None, "紙本簽核", "普通", "x", "李建宏"],
    ["府收字第1120000010號", "收文", "２０２３/３/５", None, None, "電子交換", "線上簽核", "密", "x", "李建宏"],
    ["府政字第1120000011號", "發文", None, "112/03/31", None, "電子交換", None, "密", "x", "李建宏"],
]

EXPECTED = {
    "edoc_sent_total": {1: 2, 2: 1, 3: 1},
    "edoc_sent_electronic": {1: 1, 2: 1, 3: 1},
    "edoc_received_electronic": {1: 2, 2: 0, 3: 1},
    "paper_received_signed_online": {1: 0, 2: 1, 3: 0},
    "self_created_drafts": {1: 1, 2: 0, 3: 1},
    "online_signed": {1: 2, 2: 1, 3: 1},
}


def values_of(frame) -> dict[str, dict[int, int]]:
    found: dict[str, dict[int, int]] = {}
    for code, month, value in zip(frame["field"], frame["month"], frame["value"]):
        assert isinstance(value, Decimal)
        found.setdefault(code, {})[int(month)] = int(value)
    return found


def document_log(kind: str, rows=ROWS, titles=TITLES) -> tuple[bytes, str]:
    table = [*titles, HEADER, *rows]
    if kind == "xlsx":
        return xlsx_bytes(table, sheet="公文清單"), "公文清單.xlsx"
    encoding, bom = {"utf-8": ("utf-8", False), "utf-8-bom": ("utf-8", True), "cp950": ("cp950", False)}[kind]
    text_rows = [[value.strftime("%Y/%m/%d %H:%M") if isinstance(value, dt.datetime) else value for value in row]
                 for row in table]
    return csv_bytes(text_rows, encoding=encoding, bom=bom), "公文清單.csv"


@pytest.mark.parametrize("kind", ["xlsx", "utf-8", "utf-8-bom", "cp950"])
def test_counts_each_field_by_its_month(kind: str) -> None:
    data, name = document_log(kind)
    result = read_export(data, name, PLAN_112)
    assert result.source == "document_log"
    assert list(result.frame.columns) == list(TIDY_COLUMNS)
    assert values_of(result.frame) == EXPECTED
    assert set(result.frame["year"]) == {112}
    assert set(result.frame["unit"]) == {"政風處"}
    assert result.months == (1, 2, 3)
    assert result.rows_read == 11
    assert result.rows_used == 10  # the paper-received, paper-signed row counts nowhere
    assert result.applied == ()


@pytest.mark.parametrize(("kind", "sheet"), [("xlsx", "公文清單"), ("cp950", "")])
def test_source_cells_describe_the_rows(kind: str, sheet: str) -> None:
    data, name = document_log(kind)
    frame = read_export(data, name, PLAN_112).frame
    cell = dict(zip(zip(frame["field"], frame["month"]), frame["source_cell"]))
    assert cell[("edoc_sent_total", 1)] == "第 4–5 列（2 筆）"
    assert cell[("edoc_sent_total", 2)] == "第 6 列（1 筆）"
    assert cell[("paper_received_signed_online", 1)] == "無符合的列（0 筆）"
    assert set(frame["source_sheet"]) == {sheet}
    assert set(frame["source_file"]) == {name}


@pytest.mark.parametrize(("options", "changed", "applied"), [
    (ExportOptions(exclude_confidential_from_signoff=True),
     {"edoc_received_electronic": {3: 0}, "online_signed": {3: 0}}, "密件不計入線上簽核比率（排除 1 列）"),
    (ExportOptions(exclude_confidential_from_exchange=True),
     {"edoc_sent_total": {3: 0}, "edoc_sent_electronic": {3: 0}}, "密件不計入電子交換比率（排除 1 件發文）"),
])
def test_confidential_exclusions_are_settings(options: ExportOptions, changed: dict, applied: str) -> None:
    data, name = document_log("xlsx")
    result = read_export(data, name, PLAN_112, options=options)
    expected = {code: {**months, **changed.get(code, {})} for code, months in EXPECTED.items()}
    assert values_of(result.frame) == expected
    assert result.applied == (applied,)
    assert "密等" in result.preview.columns


def test_online_signed_never_exceeds_its_denominator() -> None:
    data, name = document_log("xlsx")
    figures = Figures.from_frame(PLAN_112, read_export(data, name, PLAN_112).frame)
    for month in (1, 2, 3):
        denominator = sum(figures.monthly(code, month) for code in
                          ("edoc_received_electronic", "paper_received_signed_online", "self_created_drafts"))
        assert figures.monthly("online_signed", month) <= denominator


def test_cancelled_documents_are_left_out_when_asked() -> None:
    header = ["收發別", "發文日期", "交換方式", "狀態"]
    rows = [["發文", "112/01/05", "電子交換", "已發文"], ["發文", "112/01/06", "電子交換", "作廢"],
            ["發文", "112/01/07", "紙本", "銷號"]]
    data = csv_bytes([header, *rows])
    assert values_of(read_export(data, "a.csv", PLAN_112).frame)["edoc_sent_total"] == {1: 3}
    result = read_export(data, "a.csv", PLAN_112, options=ExportOptions(exclude_cancelled=True))
    assert values_of(result.frame)["edoc_sent_total"] == {1: 1}
    assert result.applied == ("作廢、銷號公文不計（排除 2 列）",)


def test_without_sign_off_column_only_the_sent_fields_are_produced() -> None:
    data = csv_bytes([["收發別", "收文日期", "發文日期", "交換方式"],
                      ["發文", None, "112/04/01", "電子交換"], ["收文", "112/04/02", None, "電子交換"]])
    result = read_export(data, "a.csv", PLAN_112)
    assert values_of(result.frame) == {"edoc_sent_total": {4: 1}, "edoc_sent_electronic": {4: 1}}
    assert any("簽核方式" in note for note in result.notes)


def test_generic_date_column_serves_every_kind() -> None:
    data = csv_bytes([["類別", "日期", "交換方式", "簽核方式"],
                      ["發文", "112/05/02", "電子", ""], ["收文", "112/05/03", "紙本", "線上"],
                      ["簽稿", "112/06/01", "", "線上"]])
    assert values_of(read_export(data, "a.csv", PLAN_112).frame) == {
        "edoc_sent_total": {5: 1, 6: 0}, "edoc_sent_electronic": {5: 1, 6: 0},
        "edoc_received_electronic": {5: 0, 6: 0}, "paper_received_signed_online": {5: 1, 6: 0},
        "self_created_drafts": {5: 0, 6: 1}, "online_signed": {5: 1, 6: 1},
    }


@pytest.mark.parametrize(("month", "expected_months", "note"), [
    (None, (1, 2, 3), None),
    (2, (1, 2), "未計入"),
    (5, (1, 2, 3, 4, 5), None),
])
def test_callers_month_ends_the_covered_period(month, expected_months, note) -> None:
    data, name = document_log("xlsx")
    result = read_export(data, name, PLAN_112, month=month)
    assert result.months == expected_months
    if month == 5:
        assert values_of(result.frame)["edoc_sent_total"][4] == 0
    if note:
        assert any(note in text for text in result.notes)


def test_duplicate_rows_are_counted_once_when_asked() -> None:
    rows = [*ROWS, ROWS[0]]
    data, name = document_log("xlsx", rows=rows)
    plain = read_export(data, name, PLAN_112)
    assert values_of(plain.frame)["edoc_sent_total"][1] == 3  # counted twice unless asked
    once = read_export(data, name, PLAN_112, options=ExportOptions(deduplicate=True))
    assert values_of(once.frame)["edoc_sent_total"][1] == 2
    assert once.applied == ("文號與收發別相同的列只計一次（排除 1 列）",)
    assert values_of(once.frame) == EXPECTED


# ---------------------------------------------------------------------------------------------
# Bad rows


def problems_of(error: InputError) -> list[str]:
    return [f"{problem.cell}|{problem.message}" for problem in error.problems]


@pytest.mark.parametrize(("row", "cell", "words"), [
    (["x", "收件匣", None, "112/01/05", None, "電子交換", None, "普通", "", ""], "B4", "收發別「收件匣」無法辨識"),
    (["x", "王大明", None, "112/01/05", None, "電子交換", None, "普通", "", ""], "B4", "收發別的內容無法辨識"),
    (["x", "發文", None, "112/13/01", None, "電子交換", None, "普通", "", ""], "D4", "日期「112/13/01」"),
    (["x", "發文", None, "", None, "電子交換", None, "普通", "", ""], "D4", "發文日期空白"),
    (["x", "發文", None, "112/01/05", None, "", None, "普通", "", ""], "F4", "交換方式空白"),
    (["x", "收文", "112/01/05", None, None, "電子交換", "", "普通", "", ""], "G4", "簽核方式空白"),
    (["x", "收文", "112/01/05", None, None, "人工送件", "線上簽核", "普通", "", ""], "F4",
     "交換方式「人工送件」無法辨識"),
    (["x", "收文", "112/01/05", None, None, "飛鴿", "線上簽核", "普通", "", ""], "F4", "交換方式的內容無法辨識"),
])
def test_a_bad_row_is_named_by_its_cell(row: list, cell: str, words: str) -> None:
    data, name = document_log("xlsx", rows=[row, *ROWS])
    with pytest.raises(InputError) as caught:
        read_export(data, name, PLAN_112)
    found = problems_of(caught.value)
    assert any(item.startswith(cell + "|") and words in item for item in found), found
    assert all(problem.file == name and problem.sheet == "公文清單" for problem in caught.value.problems)


def test_other_years_are_an_error_or_ignored_with_a_count() -> None:
    old = [["x", "發文", None, "111/12/30", None, "電子交換", None, "普通", "", ""],
           ["x", "發文", None, "2022/12/31", None, "電子交換", None, "普通", "", ""]]
    data, name = document_log("xlsx", rows=[*old, *ROWS])
    with pytest.raises(InputError) as caught:
        read_export(data, name, PLAN_112)
    message = str(caught.value)
    assert "有 2 列公文的日期不在計畫年度 112 年（111 年）" in message and "D4、D5" in message
    result = read_export(data, name, PLAN_112, options=ExportOptions(ignore_other_years=True))
    assert values_of(result.frame) == EXPECTED
    assert any("有 2 列公文的日期不在 112 年" in note for note in result.notes)


def test_problems_are_collected_and_capped() -> None:
    bad = [["x", "發文", None, f"112/{month}/{day:02d}", None, "電子交換", None, "", "", ""]
           for month in (13, 14) for day in range(1, 29)]
    data, name = document_log("xlsx", rows=[*bad, *ROWS])
    with pytest.raises(InputError) as caught:
        read_export(data, name, PLAN_112)
    problems = caught.value.problems
    assert len(problems) == 51
    assert "另有" in problems[-1].message and "個問題未列出" in problems[-1].message


def test_many_rows_with_one_bad_date_value_are_summarized() -> None:
    bad = [["x", "發文", None, "112/02/30", None, "電子交換", None, "", "", ""] for _ in range(12)]
    data, name = document_log("xlsx", rows=[*ROWS, *bad])
    with pytest.raises(InputError) as caught:
        read_export(data, name, PLAN_112)
    problems = caught.value.problems
    assert [problem.cell for problem in problems[:5]] == ["D15", "D16", "D17", "D18", "D19"]
    assert "另有 7 列相同問題（共 12 列）" in problems[5].message
    assert len(problems) == 6
