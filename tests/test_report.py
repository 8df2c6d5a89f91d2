"""The month's indicator table as .xlsx, and the guard against formula injection."""

from __future__ import annotations

import io
import zipfile
from decimal import Decimal

import openpyxl
import pytest

from metrics.report import COLUMNS, build_report, neutralize

HEADERS = ["策略目標", "績效指標", "權重", "目標值", "實際值", "達成率", "狀態", "差距", "年底預估", "落後原因", "改進措施"]
TITLE = "新竹縣政府政風處 112 年度施政計畫績效指標執行情形"
SUBTITLE = "統計至 112 年 10 月，加權分數 87.35 分（權重合計 95%）"


@pytest.mark.parametrize(("value", "expected"), [
    ("=1+1", "'=1+1"),
    ('=HYPERLINK("http://example.com","按我")', '\'=HYPERLINK("http://example.com","按我")'),
    ("+1", "'+1"),
    ("-2", "'-2"),
    ("@SUM(A1:A2)", "'@SUM(A1:A2)"),
    (" =1+1", "' =1+1"),
    ("   -2", "'   -2"),
    ("\u3000=1", "'\u3000=1"),  # a full-width space is still leading whitespace
    ("\n+1", "'\n+1"),
    ("\t=1", "'\t=1"),
    ("\tabc", "'\tabc"),  # tab and CR are guarded even without a formula sign after them
    ("\rabc", "'\rabc"),
    ("達標", "達標"),
    ("86.2%", "86.2%"),
    ("還需 3 案", "還需 3 案"),
    ("a=b", "a=b"),
    ("1-2", "1-2"),
    ("", ""),
    (" ", " "),
    ("'=already", "'=already"),
    (12.5, 12.5),
    (-3, -3),
    (0, 0),
    (Decimal("12.5"), Decimal("12.5")),
    (None, None),
])
def test_neutralize(value: object, expected: object) -> None:
    result = neutralize(value)
    assert result == expected
    assert type(result) is type(expected)


def row(goal_text: str, indicator_text: str, weight_text: str, **overrides: object) -> dict[str, object]:
    values: dict[str, object] = {
        "goal": goal_text, "indicator": indicator_text, "weight": Decimal(weight_text), "target": "130 案",
        "actual": "112 案", "achievement": "86.2%", "status": "符合進度", "gap": "還需 18 案",
        "projection": "134 案", "reason": "", "action": "",
    }
    values.update(overrides)
    return values


ROWS = [
    row("1. 建立防貪機制，預防機關發生貪瀆不法", "1 辦理預警案件", "12.5", target="2 案", actual="2 案",
        achievement="100%", status="達標", gap="", projection="2 案"),
    row("5. 配合辦理本府 111 年至 113 年推動各機關性別主流化實施計畫，推行「性平好生活」", "5-1 反針孔檢查",
        "2.5", target="4 次", actual="2 次", achievement="50%", status="符合進度"),
    row("5. 配合辦理本府 111 年至 113 年推動各機關性別主流化實施計畫，推行「性平好生活」", "5-2 性騷擾防治課程",
        "2.5", target="1 次", actual="0 次", achievement="0%", status="落後", reason="講師檔期延後",
        action="11 月辦理"),
    row("8. 提升資源使用效益，妥適配置政府資源", "8 預算執行率", "10.0", target="85%", actual="71.2%",
        achievement="83.8%", status="符合進度"),
    row("10. 提升行政效率推動公文無紙化作業", "10-1 公文電子交換比率", "5.0", target="97%", actual="97.4%",
        achievement="100.4%", status="達標"),
    row("10. 提升行政效率推動公文無紙化作業", "10-2 公文線上簽核比率", "5.0", target="72%", actual="70.1%",
        achievement="97.4%", status="落後", reason="紙本來文掃描量大", action="增購掃描器，並要求各科創簽一律線上"),
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
    ("D4", "2 案"),
    ("E4", "2 案"),
    ("F4", "100%"),
    ("G4", "達標"),
    ("H4", None),  # an empty gap is an empty cell
    ("B6", "5-2 性騷擾防治課程"),
    ("J6", "講師檔期延後"),
    ("K6", "11 月辦理"),
    ("C7", 10),
    ("E9", "70.1%"),
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
    assert cell.data_type == "s"
    # XML turns a bare CR into LF on reading; the guard in front is what matters
    assert cell.value == "'" + payload.replace("\r", "\n")
    assert cell.value.startswith("'")


def test_title_and_subtitle_are_guarded_and_no_formula_in_the_file() -> None:
    rows = [row("=1", "+2", "5", reason="=HYPERLINK(\"http://x\",\"y\")", action="@SUM(A1)", gap="-2")]
    data = build_report(rows, title="=TITLE()", subtitle="-subtitle")
    book = openpyxl.load_workbook(io.BytesIO(data))
    sheet = book.active
    assert sheet["A1"].value == "'=TITLE()"
    assert sheet["A2"].value == "'-subtitle"
    for cells in sheet.iter_rows():
        for cell in cells:
            assert cell.data_type != "f", cell.coordinate
            if isinstance(cell.value, str):
                assert not cell.value.lstrip().startswith(("=", "+", "-", "@")), cell.coordinate
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        sheet_xml = archive.read("xl/worksheets/sheet1.xml").decode("utf-8")
    assert "<f>" not in sheet_xml and "<f " not in sheet_xml


@pytest.mark.parametrize(("weight", "stored"), [
    (Decimal("12.5"), 12.5),
    (5, 5),
    (None, None),
    ("12.5%", "12.5%"),
    ("=1", "'=1"),
])
def test_weight_values(weight: object, stored: object) -> None:
    data = build_report([row("1. 目標", "1 指標", "1", weight=weight)], title="t", subtitle="s")
    assert openpyxl.load_workbook(io.BytesIO(data)).active["C4"].value == stored


def test_missing_keys_leave_blank_cells() -> None:
    data = build_report([{"goal": "1. 目標", "indicator": "1 指標"}], title="t", subtitle="s")
    sheet = openpyxl.load_workbook(io.BytesIO(data)).active
    assert [sheet.cell(row=4, column=column).value for column in range(1, 12)] == \
        ["1. 目標", "1 指標", *[None] * 9]
