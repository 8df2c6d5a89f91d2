"""The month's indicator table as .xlsx, and the guard against formula injection."""

from __future__ import annotations

import io
import zipfile
from decimal import Decimal

import openpyxl
import pytest

from catalogues import PLAN_112
from metrics.evaluation.core import evaluate
from metrics.evaluation.figures import Figures
from metrics.outputs.report import COLUMNS, Quantity, build_report, formula_like, report_values

HEADERS = ["策略目標", "績效指標", "權重", "目標值", "實際值", "達成率", "狀態", "差距", "年底預估", "落後原因", "改進措施"]
TITLE = "新竹縣政府政風處 112 年度施政計畫績效指標執行情形"
SUBTITLE = "統計至 112 年 10 月，加權分數 87.35 分（權重合計 95%）"


# (text, guarded): whether Excel would read it as a formula, so the cell gets quotePrefix; the text is stored as is.
GUARDS = [
    ("=1+1", True),
    ('=HYPERLINK("http://example.com","按我")', True),
    ("=", True),
    ("+1", True),
    ("+ 加強", True),  # Excel reads any leading + as a formula
    ("@SUM(A1:A2)", True),
    ("-2", True),
    ("-1+2", True),
    ("-A1", True),
    ("-SUM(A1)", True),
    ("-加強", True),  # no space after the minus: Excel tries a formula
    ("- 1", True),  # a space, then a number: still -1
    ("- (2)", True),
    ("-  =1", True),
    ("- ", True),  # nothing after the space: Excel would ask to fix a formula
    ("- 加強宣導", False),  # a list item, as people write it
    ("- 第一點\n- 第二點", False),
    ("-  Review the cases", False),
    ("-", False),  # a lone dash (the screen's 「—」 has its own character) is text in Excel
    ("—", False),
    (" =1+1", True),  # leading spaces or line breaks do not hide the sign
    ("   -2", True),
    ("   - 加強", False),
    ("\u3000=1", True),
    ("\n+1", True),
    ("\t=1", True),
    ("\tabc", True),  # tab and CR are guarded even without a formula sign after them
    ("\rabc", True),
    ("達標", False),
    ("86.2%", False),
    ("還需 3 案", False),
    ("a=b", False),
    ("1-2", False),
    ("", False),
    (" ", False),
    ("'=already", False),
]


@pytest.mark.parametrize(("text", "guarded"), GUARDS)
def test_formula_like(text: str, guarded: bool) -> None:
    assert formula_like(text) is guarded


@pytest.mark.parametrize(("text", "guarded"), GUARDS)
def test_a_guarded_text_is_stored_unchanged_with_quote_prefix(text: str, guarded: bool) -> None:
    data = build_report([row("1. 目標", "1 指標", "12.5", reason=text)], title="t", subtitle="s")
    cell = openpyxl.load_workbook(io.BytesIO(data)).active["J4"]
    # XML turns a bare CR into LF on reading
    assert (cell.value or "", cell.quotePrefix) == (text.replace("\r", "\n"), guarded)
    assert cell.data_type == "s" or not text  # openpyxl reads an empty string back as an inline one


CASES = '#,##0" 案"'
TIMES = '#,##0" 次"'


def row(goal_text: str, indicator_text: str, weight_text: str, **overrides: object) -> dict[str, object]:
    values: dict[str, object] = {
        "goal": goal_text, "indicator": indicator_text, "weight": Decimal(weight_text),
        "target": Quantity(130, CASES, "130 案"), "actual": Quantity(112, CASES, "112 案"),
        "achievement": Quantity(0.862, "#,##0.0%", "86.2%"), "status": "符合進度",
        "gap": Quantity(18, '"還需 "#,##0" 案"', "還需 18 案"), "projection": Quantity(134, CASES, "134 案"),
        "reason": "", "action": "",
    }
    values.update(overrides)
    return values


ROWS = [
    row("1. 建立防貪機制，預防機關發生貪瀆不法", "1 辦理預警案件", "12.5", target=Quantity(2, CASES, "2 案"),
        actual=Quantity(2, CASES, "2 案"), achievement=Quantity(1, "#,##0%", "100%"), status="達標", gap="",
        projection=Quantity(2, CASES, "2 案")),
    row("5. 配合辦理本府 111 年至 113 年推動各機關性別主流化實施計畫，推行「性平好生活」", "5-1 反針孔檢查",
        "2.5", target=Quantity(4, TIMES, "4 次"), actual=Quantity(2, TIMES, "2 次"),
        achievement=Quantity(0.5, "#,##0%", "50%"), status="符合進度"),
    row("5. 配合辦理本府 111 年至 113 年推動各機關性別主流化實施計畫，推行「性平好生活」", "5-2 性騷擾防治課程",
        "2.5", target=Quantity(1, TIMES, "1 次"), actual=Quantity(0, TIMES, "0 次"),
        achievement=Quantity(0, "#,##0%", "0%"), status="落後", reason="講師檔期延後", action="11 月辦理"),
    row("8. 提升資源使用效益，妥適配置政府資源", "8 預算執行率", "10.0", target=Quantity(85, '#,##0"%"', "85%"),
        actual=Quantity(71.2, '#,##0.0"%"', "71.2%"), achievement=Quantity(0.838, "#,##0.0%", "83.8%"),
        status="符合進度"),
    row("10. 提升行政效率推動公文無紙化作業", "10-1 公文電子交換比率", "5.0", target=Quantity(97, '#,##0"%"', "97%"),
        actual=Quantity(97.4, '#,##0.0"%"', "97.4%"), achievement=Quantity(1.004, "#,##0.0%", "100.4%"),
        status="達標"),
    row("10. 提升行政效率推動公文無紙化作業", "10-2 公文線上簽核比率", "5.0", target=Quantity(72, '#,##0"%"', "72%"),
        actual="—", achievement="—", status="無資料", gap="—", projection="—", reason="紙本來文掃描量大",
        action="增購掃描器，並要求各科創簽一律線上"),
]


@pytest.fixture(scope="module")
def report_sheet():
    return openpyxl.load_workbook(io.BytesIO(build_report(ROWS, title=TITLE, subtitle=SUBTITLE))).active


def test_title_subtitle_and_headers(report_sheet) -> None:
    assert report_sheet["A1"].value == TITLE
    assert report_sheet["A2"].value == SUBTITLE
    assert [cell.value for cell in report_sheet[3]] == HEADERS
    assert [header for _, header, _ in COLUMNS] == HEADERS
    merged = {str(cell_range) for cell_range in report_sheet.merged_cells.ranges}
    assert {"A1:K1", "A2:K2"} <= merged


@pytest.mark.parametrize(("cell", "expected"), [
    ("A4", "1. 建立防貪機制，預防機關發生貪瀆不法"),
    ("B4", "1 辦理預警案件"),
    ("C4", 12.5),
    ("D4", 2),
    ("E4", 2),
    ("F4", 1),
    ("G4", "達標"),
    ("H4", None),  # an empty gap is an empty cell
    ("B6", "5-2 性騷擾防治課程"),
    ("J6", "講師檔期延後"),
    ("K6", "11 月辦理"),
    ("C7", 10),
    ("E9", "—"),  # no value: the screen's dash, as text
    ("K9", "增購掃描器，並要求各科創簽一律線上"),
    ("A10", None),
])
def test_rows_in_column_order(report_sheet, cell: str, expected: object) -> None:
    assert report_sheet[cell].value == expected


def test_weight_is_a_number_shown_as_percent(report_sheet) -> None:
    for row_number, data in enumerate(ROWS, start=4):
        cell = report_sheet[f"C{row_number}"]
        assert cell.data_type == "n"
        assert Decimal(str(cell.value)) == data["weight"]
        assert cell.number_format == '0.0"%"'


@pytest.mark.parametrize(("cell", "value", "number_format"), [
    ("D4", 2, CASES),  # reads 2 案
    ("E5", 2, TIMES),  # reads 2 次
    ("F5", 0.5, "#,##0%"),  # reads 50%
    ("E6", 0, TIMES),  # a reported zero is a number, not blank
    ("F6", 0, "#,##0%"),
    ("H5", 18, '"還需 "#,##0" 案"'),  # reads 還需 18 案
    ("I5", 134, CASES),
    ("D7", 85, '#,##0"%"'),  # percentages as percent points, like the county report
    ("E7", 71.2, '#,##0.0"%"'),  # reads 71.2%
    ("F7", 0.838, "#,##0.0%"),  # reads 83.8%
    ("F8", 1.004, "#,##0.0%"),  # above 100% stays above
])
def test_numbers_are_numbers_with_the_screens_format(report_sheet, cell: str, value: float,
                                                    number_format: str) -> None:
    assert report_sheet[cell].data_type == "n"
    assert report_sheet[cell].value == pytest.approx(value)
    assert report_sheet[cell].number_format == number_format


def test_missing_values_and_status_stay_text(report_sheet) -> None:
    for cell in ("E9", "F9", "H9", "I9", "G4", "G9"):
        assert report_sheet[cell].data_type == "s", cell
    assert [report_sheet[cell].value for cell in ("E9", "F9", "H9", "I9", "G9")] == ["—", "—", "—", "—", "無資料"]


def test_a_number_too_wide_for_its_column_stays_text() -> None:
    """Excel shows #### for a number wider than its column and never wraps it: the plan's long sentence is text."""
    long_gap = Quantity(3, '"還需 "#,##0" 件電子發文（以後續發文全數電子交換計）"', "還需 3 件電子發文（以後續發文全數電子交換計）")
    sheet = openpyxl.load_workbook(io.BytesIO(build_report([row("1. 目標", "1 指標", "5", gap=long_gap)],
                                                           title="t", subtitle="s"))).active
    assert sheet["H4"].data_type == "s"
    assert sheet["H4"].value == "還需 3 件電子發文（以後續發文全數電子交換計）"
    assert sheet.row_dimensions[4].height > 15  # wrapped onto more lines


AUDITS_HALF_YEAR = {"procurement_audits": {month: 11 for month in range(1, 7)},
                    "edoc_sent_electronic": {1: 1180}, "edoc_sent_total": {1: 1216},
                    "warning_cases": {1: 3}, "budget_amount": {1: 21288}, "actual_spent": {1: "15000.5"}}


@pytest.mark.parametrize(("indicator_id", "key", "value", "number_format", "text"), [
    # 2: 6 × 11 = 66 of 130 cases; 66 ÷ 130 = 50.77% → 50.8%; still 64 to go; 66 × 12 ÷ 6 = 132 by year end
    ("2", "target", 130, CASES, "130 案"),
    ("2", "actual", 66, CASES, "66 案"),
    ("2", "achievement", 0.508, "#,##0.0%", "50.8%"),
    ("2", "gap", 64, '"還需 "#,##0" 案"', "還需 64 案"),
    ("2", "projection", 132, CASES, "132 案"),
    # 1: 3 cases against a target of 2: 150%, met (gap 0 reads 已達標)
    ("1", "achievement", 1.5, "#,##0%", "150%"),
    ("1", "gap", 0, '"已達標"', "已達標"),
    # 10-1: 1,180 ÷ 1,216 = 97.039…% → 97.04% against 97%: 100.04% → 100%
    ("10-1", "actual", 97.04, '#,##0.00"%"', "97.04%"),
    ("10-1", "target", 97, '#,##0"%"', "97%"),
    ("10-1", "achievement", 1, "#,##0%", "100%"),
    # 8: 15,000.5 ÷ 21,288 = 70.46% against 85%; the gap is in 千元 from the rate that shows as 85%:
    # 84.995% × 21,288 − 15,000.5 = 3,093.2356 → 3,093.24
    ("8", "actual", 70.46, '#,##0.00"%"', "70.46%"),
    ("8", "gap", 3093.24, '"還需執行 "#,##0.00" 千元"', "還需執行 3,093.24 千元"),
])
def test_report_values_from_an_evaluation(indicator_id: str, key: str, value: float, number_format: str,
                                          text: str) -> None:
    evaluation = evaluate(Figures.from_mapping(PLAN_112, AUDITS_HALF_YEAR), 6)
    rows = {str(data["indicator"]).split()[0]: data for data in report_values(evaluation)}
    quantity = rows[indicator_id][key]
    assert quantity == Quantity(value, number_format, text)
    assert str(quantity) == text


def test_report_values_without_data_keep_the_dash() -> None:
    evaluation = evaluate(Figures.from_mapping(PLAN_112, {}), 3)
    first = report_values(evaluation)[0]
    assert [first[key] for key in ("actual", "achievement", "gap", "projection")] == ["—"] * 4
    assert first["target"] == Quantity(2, CASES, "2 案")


def test_goal_cells_merged_for_their_indicators(report_sheet) -> None:
    merged = {str(cell_range) for cell_range in report_sheet.merged_cells.ranges}
    assert merged == {"A1:K1", "A2:K2", "A5:A6", "A8:A9"}
    assert report_sheet["A5"].value.startswith("5. 配合辦理")
    assert report_sheet["A8"].value.startswith("10. 提升行政效率")


@pytest.mark.parametrize(("goals", "merged"), [
    ([], set()),
    (["1"], set()),
    (["1", "1", "1"], {"A4:A6"}),
    (["1", "2", "2", "3"], {"A5:A6"}),
    (["1", "1", "2", "1"], {"A4:A5"}),  # only consecutive rows merge
])
def test_goal_merging_cases(goals: list[str], merged: set[str]) -> None:
    rows = [row(goal, f"指標 {index}", "5") for index, goal in enumerate(goals)]
    sheet = openpyxl.load_workbook(io.BytesIO(build_report(rows, title="t", subtitle="s"))).active
    found = {str(cell_range) for cell_range in sheet.merged_cells.ranges} - {"A1:K1", "A2:K2"}
    assert found == merged
    assert [cell.value for cell in sheet[3]] == HEADERS


def test_print_setup(report_sheet) -> None:
    setup = report_sheet.page_setup
    assert setup.orientation == "landscape"
    assert str(setup.paperSize) == "9"  # A4
    assert setup.fitToWidth == 1
    assert setup.fitToHeight == 0
    assert report_sheet.sheet_properties.pageSetUpPr.fitToPage
    assert report_sheet.print_title_rows == "$3:$3"
    assert report_sheet.page_margins.left == pytest.approx(0.4)
    assert report_sheet.page_margins.bottom == pytest.approx(0.7)
    assert "&P" in report_sheet.oddFooter.center.text and "&N" in report_sheet.oddFooter.center.text
    assert report_sheet.freeze_panes == "A4"


def test_wrapping_borders_and_status_colours(report_sheet) -> None:
    for column in "ABCDEFGHIJK":
        cell = report_sheet[f"{column}4"]
        assert cell.alignment.wrap_text
        assert cell.border.left.style == "thin"
    assert report_sheet["G4"].fill.fgColor.rgb.endswith("E2EFDA")  # 達標
    assert report_sheet["G6"].fill.fgColor.rgb.endswith("FCE4D6")  # 落後
    # the long recommendation in K9 needs more than one printed line
    assert report_sheet.row_dimensions[9].height > 15


MALICIOUS = [
    '=HYPERLINK("http://evil.example","點我")',
    "+1",
    "-2",
    "@SUM(A1:A9)",
    " =1+1",
    "\t=cmd|' /C calc'!A0",
    "\r=1",
]


@pytest.mark.parametrize("payload", MALICIOUS)
@pytest.mark.parametrize("key", ["goal", "indicator", "target", "actual", "achievement", "status", "gap",
                                 "projection", "reason", "action"])
def test_user_text_is_stored_as_guarded_text(key: str, payload: str) -> None:
    data = build_report([row("1. 目標", "1 指標", "12.5", **{key: payload})], title="t", subtitle="s")
    sheet = openpyxl.load_workbook(io.BytesIO(data)).active
    column = [name for name, _, _ in COLUMNS].index(key) + 1
    cell = sheet.cell(row=4, column=column)
    assert cell.data_type == "s" and cell.quotePrefix
    # XML turns a bare CR into LF on reading; the text itself is unchanged (no apostrophe shows)
    assert cell.value == payload.replace("\r", "\n")


def test_title_and_subtitle_are_guarded_and_no_formula_in_the_file() -> None:
    rows = [row("=1", "+2", "5", reason="=HYPERLINK(\"http://x\",\"y\")", action="@SUM(A1)", gap="-2")]
    data = build_report(rows, title="=TITLE()", subtitle="-subtitle")
    book = openpyxl.load_workbook(io.BytesIO(data))
    sheet = book.active
    assert (sheet["A1"].value, sheet["A1"].quotePrefix) == ("=TITLE()", True)
    assert (sheet["A2"].value, sheet["A2"].quotePrefix) == ("-subtitle", True)
    for cells in sheet.iter_rows():
        for cell in cells:
            assert cell.data_type != "f", cell.coordinate
            if isinstance(cell.value, str):
                assert cell.quotePrefix == formula_like(cell.value), cell.coordinate
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        sheet_xml = archive.read("xl/worksheets/sheet1.xml").decode("utf-8")
    assert "<f>" not in sheet_xml and "<f " not in sheet_xml


@pytest.mark.parametrize(("weight", "stored"), [
    (Decimal("12.5"), 12.5),
    (5, 5),
    (None, None),
    ("12.5%", "12.5%"),
    ("=1", "=1"),  # text, with quotePrefix
])
def test_weight_values(weight: object, stored: object) -> None:
    data = build_report([row("1. 目標", "1 指標", "1", weight=weight)], title="t", subtitle="s")
    assert openpyxl.load_workbook(io.BytesIO(data)).active["C4"].value == stored


def test_missing_keys_leave_blank_cells() -> None:
    data = build_report([{"goal": "1. 目標", "indicator": "1 指標"}], title="t", subtitle="s")
    sheet = openpyxl.load_workbook(io.BytesIO(data)).active
    assert [sheet.cell(row=4, column=column).value for column in range(1, 12)] == \
        ["1. 目標", "1 指標", *[None] * 9]


@pytest.mark.parametrize(("spent", "shown"), [
    # 521.9 of 1,000 千元 by May: 52.19 % × 12 ÷ 5 = 125.256 %, capped at 100 %: the report says so
    (521.9, "100%（依趨勢推估為 125.26%，預算執行率不會超過 100%）"),
    (400, 96.0),  # 40 % × 12 ÷ 5 = 96 %: under the bound, a number as before
])
def test_a_capped_projection_is_explained_in_the_report_not_shown_as_a_bare_100(spent, shown):
    evaluation = evaluate(Figures.from_mapping(PLAN_112, {"budget_amount": {1: 1000}, "actual_spent": {5: spent}}), 5)
    row = next(row for row in report_values(evaluation) if row["indicator"].startswith("8 "))
    assert str(row["projection"]) == (shown if isinstance(shown, str) else "96%")
    sheet = openpyxl.load_workbook(io.BytesIO(build_report(report_values(evaluation), title=TITLE,
                                                           subtitle=SUBTITLE))).active
    cell = next(cell for cell in sheet["I"] if cell.row > 3 and str(sheet.cell(cell.row, 2).value).startswith("8 "))
    assert cell.value == shown
