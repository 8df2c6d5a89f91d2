"""The upload reader: every form of the contract gives the same tidy frame; every bad input its message."""

from __future__ import annotations

import re

import csv
import datetime as dt
import io
import zipfile
from decimal import Decimal
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from dataclasses import replace

from metrics.errors import InputError
from metrics.intake.tidy import TIDY_COLUMNS
from catalogues import CATALOGUE, PLAN_112, SIDE_BY_SIDE
from metrics.intake.monthly import load_grids, read_upload
from metrics.outputs.template import build_template

REPOSITORY = Path(__file__).resolve().parent.parent

# The figures every layout below writes: (month, field code) -> value.
FIGURES: dict[tuple[int, str], Decimal] = {
    (1, "warning_cases"): Decimal(1),
    (1, "procurement_audits"): Decimal(1234),
    (1, "budget_amount"): Decimal("21288.5"),
    (1, "edoc_sent_electronic"): Decimal(97),
    (1, "edoc_sent_total"): Decimal(100),
    (1, "staff_headcount"): Decimal(0),
    (2, "procurement_audits"): Decimal(12),
    (2, "budget_amount"): Decimal("21288.5"),
    (2, "actual_spent"): Decimal("3000.25"),
}
ONE_MONTH = {key: value for key, value in FIGURES.items() if key[0] == 1}
FIELD_ORDER = [monthly_field.code for monthly_field in PLAN_112.fields]


def expected_frame(figures: dict[tuple[int, str], Decimal], unit: str = "政風處") -> pd.DataFrame:
    rows = sorted(((112, month, unit, code, value) for (month, code), value in figures.items()),
                  key=lambda row: (row[1], FIELD_ORDER.index(row[3])))
    return pd.DataFrame(rows, columns=["year", "month", "unit", "field", "value"]).astype(
        {"year": "int64", "month": "int64"})


def assert_figures(frame: pd.DataFrame, figures: dict[tuple[int, str], Decimal], unit: str = "政風處") -> None:
    assert tuple(frame.columns) == TIDY_COLUMNS
    assert all(type(value) is Decimal for value in frame["value"])
    pd.testing.assert_frame_equal(frame[["year", "month", "unit", "field", "value"]], expected_frame(figures, unit))


# Writers ---------------------------------------------------------------------------------------------

def csv_bytes(rows: list[list[object]], encoding: str = "utf-8", delimiter: str = ",") -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n").writerows(
        [["" if cell is None else cell for cell in row] for row in rows])
    return buffer.getvalue().encode(encoding)


def xlsx_bytes(sheets: dict[str, list[list[object]]]) -> bytes:
    workbook = openpyxl.Workbook()
    workbook.remove(workbook.active)
    for name, rows in sheets.items():
        sheet = workbook.create_sheet(name)
        for row in rows:
            sheet.append([None if cell == "" else cell for cell in row])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def plain(value: Decimal) -> str:
    return str(value)


def thousands(value: Decimal) -> str:
    return f"{value:,}"


def full_width(value: Decimal) -> str:
    return str(value).translate(str.maketrans("0123456789.", "０１２３４５６７８９．"))


def excel_number(value: Decimal) -> object:
    return int(value) if value == value.to_integral_value() else float(value)


LONG_HEADER = ["年度", "月份", "單位", "項目代碼", "數值"]


def long_rows(figures, *, year: object = "112", month=lambda month: str(month), number=plain, unit: bool = True,
              header: list[str] | None = None, field=lambda code: code, above: list[list[object]] = ()) -> list:
    header = header or (LONG_HEADER if unit else [c for c in LONG_HEADER if c != "單位"])
    rows = [list(row) for row in above] + [header]
    for (month_number, code), value in sorted(figures.items()):
        row = [year, month(month_number)] + (["政風處"] if unit else []) + [field(code), number(value)]
        rows.append(row)
    return rows


def wide_rows(figures, *, month_header=lambda month: f"112年{month}月", number=plain,
              above: list[list[object]] | None = None, columns: str = "both") -> list:
    months = sorted({month for month, _ in figures})
    above = [["新竹縣政府政風處 112 年度施政計畫績效指標月報"], ["單位：政風處", "", "", "年度：112"],
             ["請於當月欄位填入數字；空白表示未填報（不是 0）。"]] if above is None else above
    labels = {"both": ["項目代碼", "項目名稱"], "code": ["項目代碼"], "name": ["項目名稱"]}[columns]
    rows = [list(row) for row in above] + [labels + ["計量"] + [month_header(m) for m in months] + ["說明"]]
    for monthly_field in PLAN_112.fields:
        label = {"both": [monthly_field.code, monthly_field.name], "code": [monthly_field.code],
                 "name": [monthly_field.name]}[columns]
        values = [number(figures[(m, monthly_field.code)]) if (m, monthly_field.code) in figures else ""
                  for m in months]
        rows.append(label + [monthly_field.unit] + values + [""])
    return rows


# Every form of the contract gives the same frame --------------------------------------------------------

ENCODINGS = ["utf-8", "utf-8-sig", "cp950"]


@pytest.mark.parametrize("encoding", ENCODINGS)
@pytest.mark.parametrize("layout", ["long", "wide"])
def test_csv_in_every_encoding(layout, encoding):
    rows = long_rows(FIGURES) if layout == "long" else wide_rows(FIGURES)
    assert_figures(read_upload(csv_bytes(rows, encoding), "月報.csv", CATALOGUE, year=112, unit="政風處"), FIGURES)


@pytest.mark.parametrize("layout", ["long", "wide"])
def test_xlsx_text_and_numbers(layout):
    for number in (plain, excel_number):
        rows = long_rows(FIGURES, number=number) if layout == "long" else wide_rows(FIGURES, number=number)
        sheet = "月報" if layout == "wide" else "資料"
        assert_figures(read_upload(xlsx_bytes({sheet: rows}), "月報.xlsx", CATALOGUE, year=112, unit="政風處"), FIGURES)


MONTH_HEADERS = {
    "1月": lambda month: f"{month}月",
    "01": lambda month: f"{month:02d}",
    "112年1月": lambda month: f"112年{month}月",
    "112/01": lambda month: f"112/{month:02d}",
    "2023-01": lambda month: f"2023-{month:02d}",
    "2023年1月": lambda month: f"2023年{month}月",
}


@pytest.mark.parametrize("form", ["csv", "xlsx"])
@pytest.mark.parametrize("header", list(MONTH_HEADERS))
def test_wide_month_header_variants(header, form):
    rows = wide_rows(FIGURES, month_header=MONTH_HEADERS[header])
    data = csv_bytes(rows) if form == "csv" else xlsx_bytes({"月報": rows})
    assert_figures(read_upload(data, f"月報.{form}", CATALOGUE, year=112, unit="政風處"), FIGURES)


def test_wide_month_header_as_real_date_cells():
    rows = wide_rows(FIGURES, month_header=lambda month: dt.datetime(2023, month, 1))
    assert_figures(read_upload(xlsx_bytes({"月報": rows}), "月報.xlsx", CATALOGUE, year=112, unit="政風處"), FIGURES)


@pytest.mark.parametrize("number", [plain, thousands, full_width], ids=["plain", "thousands", "full_width"])
@pytest.mark.parametrize("layout", ["long", "wide"])
def test_number_forms(layout, number):
    rows = long_rows(FIGURES, number=number) if layout == "long" else wide_rows(FIGURES, number=number)
    assert_figures(read_upload(csv_bytes(rows), "月報.csv", CATALOGUE, year=112, unit="政風處"), FIGURES)


@pytest.mark.parametrize("year", ["112", "2023", "112年", "民國112年", 112, 2023])
def test_long_year_roc_or_ad(year):
    rows = long_rows(FIGURES, year=year)
    assert_figures(read_upload(xlsx_bytes({"資料": rows}), "a.xlsx", CATALOGUE, year=112, unit="政風處"), FIGURES)


@pytest.mark.parametrize("month", [lambda m: str(m), lambda m: f"{m:02d}", lambda m: f"{m}月", lambda m: f"112年{m}月"],
                         ids=["1", "01", "1月", "112年1月"])
def test_long_month_forms(month):
    assert_figures(read_upload(csv_bytes(long_rows(FIGURES, month=month)), "a.csv", CATALOGUE, year=112, unit="政風處"), FIGURES)


def test_long_english_header_and_chinese_names_as_field():
    rows = long_rows(FIGURES, header=["year", "month", "unit", "field", "value"],
                     field=lambda code: PLAN_112.field_by_code[code].name)
    assert_figures(read_upload(csv_bytes(rows), "a.csv", CATALOGUE, year=112, unit="政風處"), FIGURES)


def test_long_field_name_column():
    rows = long_rows(FIGURES, header=["年度", "月份", "單位", "項目名稱", "數值"],
                     field=lambda code: PLAN_112.field_by_code[code].name)
    assert_figures(read_upload(csv_bytes(rows), "a.csv", CATALOGUE, year=112, unit="政風處"), FIGURES)


@pytest.mark.parametrize("top", [0, 1, 5, 29])
def test_header_not_on_first_row(top):
    above = [["說明文字"]] * top
    assert_figures(read_upload(csv_bytes(long_rows(FIGURES, above=above)), "a.csv", CATALOGUE, year=112, unit="政風處"), FIGURES)
    assert_figures(read_upload(csv_bytes(wide_rows(FIGURES, above=above)), "a.csv", CATALOGUE, year=112, unit="政風處"), FIGURES)


def test_header_below_row_30_is_not_found():
    with pytest.raises(InputError, match="找不到月報表格"):
        read_upload(csv_bytes(long_rows(FIGURES, above=[["x"]] * 30)), "a.csv", CATALOGUE, year=112, unit="政風處")


def test_long_without_unit_column_takes_the_callers_unit():
    assert_figures(read_upload(csv_bytes(long_rows(FIGURES, unit=False)), "a.csv", CATALOGUE, year=112, unit="政風處"), FIGURES)


@pytest.mark.parametrize("unit", [None, "政風處"])
def test_a_file_that_names_no_year_needs_the_callers(unit):
    rows = wide_rows(FIGURES, month_header=lambda month: f"{month}月", above=[])
    with pytest.raises(InputError, match="檔案沒有註明年度"):
        read_upload(csv_bytes(rows), "a.csv", CATALOGUE, unit=unit)


def test_a_file_that_names_no_unit_needs_the_callers():
    with pytest.raises(InputError, match="檔案沒有註明單位"):
        read_upload(csv_bytes(long_rows(FIGURES, unit=False)), "a.csv", CATALOGUE, year=112)


def test_two_units_and_two_years_in_one_file_are_each_checked_against_their_own_plan():
    rows = [LONG_HEADER, ["112", "1", "政風處", "warning_cases", "1"], ["112", "1", "人事處", "warning_cases", "2"],
            ["113", "1", "交旅處", "warning_cases", "3"]]
    catalogue = SIDE_BY_SIDE.with_plans({**SIDE_BY_SIDE.plans, (113, "交通處"): replace(
        PLAN_112, year=113, unit="交通處", unit_name="交通旅遊處", organisation="新竹縣政府交通旅遊處")})
    frame = read_upload(csv_bytes(rows), "a.csv", catalogue)
    assert sorted(zip(frame["year"], frame["unit"], frame["value"])) == [
        (112, "人事處", Decimal(2)), (112, "政風處", Decimal(1)), (113, "交通處", Decimal(3))]


@pytest.mark.parametrize("above, unit", [
    ([["單位：人事處"]], "人事處"),
    ([["單位: 人事處"]], "人事處"),
    ([["單位", "人事處"]], "人事處"),
    ([["填報單位：新竹縣政府人事處", "", "年度：112"]], "人事處"),
    ([["單位：千元"]], "政風處"),  # what the figures are measured in, not who reports them
    ([], "政風處"),
])
def test_wide_unit_from_the_cell_above(above, unit):
    frame = read_upload(csv_bytes(wide_rows(FIGURES, above=above)), "a.csv", SIDE_BY_SIDE, year=112, unit="政風處")
    assert_figures(frame, FIGURES, unit)


@pytest.mark.parametrize("above", [[["年度：112"]], [["112年度"]], [["年度", "2023"]], [["新竹縣政府 112 年度月報"]], []])
def test_wide_year_from_the_cell_above_or_the_plan(above):
    rows = wide_rows(FIGURES, above=above, month_header=lambda month: f"{month}月")
    assert_figures(read_upload(csv_bytes(rows), "a.csv", CATALOGUE, year=112, unit="政風處"), FIGURES)


@pytest.mark.parametrize("columns", ["both", "code", "name"])
def test_wide_code_or_name_columns(columns):
    assert_figures(read_upload(csv_bytes(wide_rows(FIGURES, columns=columns)), "a.csv", CATALOGUE, year=112, unit="政風處"), FIGURES)


@pytest.mark.parametrize("delimiter", [",", "\t", ";"])
def test_csv_delimiters(delimiter):
    rows = long_rows(FIGURES, number=thousands)
    assert_figures(read_upload(csv_bytes(rows, delimiter=delimiter), "a.csv", CATALOGUE, year=112, unit="政風處"), FIGURES)


def test_one_month_or_many():
    assert_figures(read_upload(csv_bytes(wide_rows(ONE_MONTH)), "a.csv", CATALOGUE, year=112, unit="政風處"), ONE_MONTH)
    assert_figures(read_upload(csv_bytes(wide_rows(FIGURES)), "a.csv", CATALOGUE, year=112, unit="政風處"), FIGURES)


def test_the_apps_template_round_trips():
    values = {(code, month): value for (month, code), value in FIGURES.items()}
    frame = read_upload(build_template(PLAN_112, values=values), "112-月報.xlsx", CATALOGUE)
    assert_figures(frame, FIGURES)
    first = frame.iloc[0]
    # warning_cases is the template's first field row (5), January its first month column (D)
    assert (first["field"], first["source_file"], first["source_sheet"], first["source_cell"]) == \
        ("warning_cases", "112-月報.xlsx", "月報", "D5")
    budget_february = frame[(frame["field"] == "budget_amount") & (frame["month"] == 2)].iloc[0]
    assert budget_february["source_cell"] == "E18"


def test_source_cells_of_a_long_csv_are_the_value_column():
    frame = read_upload(csv_bytes(long_rows(ONE_MONTH, above=[["標題"]])), "a.csv", CATALOGUE, year=112, unit="政風處")
    # header on line 2; rows follow sorted by (month, code): budget_amount, edoc_sent_electronic, ...
    by_field = dict(zip(frame["field"], frame["source_cell"]))
    assert by_field == {"budget_amount": "E3", "edoc_sent_electronic": "E4", "edoc_sent_total": "E5",
                        "procurement_audits": "E6", "staff_headcount": "E7", "warning_cases": "E8"}
    assert set(frame["source_sheet"]) == {""}


def test_the_sample_year_reads_the_same_from_both_forms():
    wide = pd.concat([read_upload(path.read_bytes(), path.name, CATALOGUE, year=112, unit="政風處")
                      for path in sorted((REPOSITORY / "sample_data").glob("112-??.xlsx"))], ignore_index=True)
    long = read_upload((REPOSITORY / "sample_data" / "112-full-year.csv").read_bytes(), "112-full-year.csv", CATALOGUE, year=112, unit="政風處")
    key = ["year", "month", "unit", "field", "value"]
    assert len(wide) == len(long) > 0
    pd.testing.assert_frame_equal(wide[key], long[key])


def test_blank_cells_are_not_reported_and_zero_is_kept():
    rows = wide_rows({(1, "warning_cases"): Decimal(0)})
    frame = read_upload(csv_bytes(rows), "a.csv", CATALOGUE, year=112, unit="政風處")
    assert list(frame["field"]) == ["warning_cases"] and frame["value"].iloc[0] == 0


def test_identical_duplicates_merge_silently():
    rows = long_rows(ONE_MONTH)
    rows.append(["2023", "01", "政風處", "warning_cases", "1"])
    assert_figures(read_upload(csv_bytes(rows), "a.csv", CATALOGUE, year=112, unit="政風處"), ONE_MONTH)


def test_extra_columns_and_rows_below_are_ignored():
    rows = wide_rows(ONE_MONTH)
    rows[3].append("備註")
    rows[4].append("這一格不是數字也沒關係")
    rows.append(["填表人：王小明"])
    assert_figures(read_upload(csv_bytes(rows), "a.csv", CATALOGUE, year=112, unit="政風處"), ONE_MONTH)


def test_without_a_month_sheet_any_sheet_with_a_table_is_read():
    data = xlsx_bytes({"封面": [["112 年度月報"]], "資料": long_rows(FIGURES)})
    assert_figures(read_upload(data, "a.xlsx", CATALOGUE, year=112, unit="政風處"), FIGURES)


def test_the_month_sheet_wins_over_other_sheets():
    data = xlsx_bytes({"舊資料": long_rows({(3, "warning_cases"): Decimal(9)}), "月報": wide_rows(FIGURES)})
    assert_figures(read_upload(data, "a.xlsx", CATALOGUE, year=112, unit="政風處"), FIGURES)


def test_content_decides_when_the_extension_is_swapped():
    assert_figures(read_upload(xlsx_bytes({"月報": wide_rows(FIGURES)}), "月報.csv", CATALOGUE, year=112, unit="政風處"), FIGURES)
    assert_figures(read_upload(csv_bytes(long_rows(FIGURES)), "月報.xlsx", CATALOGUE, year=112, unit="政風處"), FIGURES)


def test_a_swapped_extension_is_named_when_the_file_is_refused():
    with pytest.raises(InputError) as caught:  # a table, read as CSV, but not a monthly report
        read_upload(csv_bytes([["說明", "備註"], ["沒有表頭", "x"]]), "月報.xlsx", CATALOGUE, year=112, unit="政風處")
    assert "副檔名是 .xlsx，但內容其實是 CSV" in caught.value.problems[0].message


def test_text_that_is_no_table_is_not_called_a_csv():
    with pytest.raises(InputError) as caught:  # one line of text: not a table, so not "rename it .csv"
        read_upload(csv_bytes([["沒有表頭"]]), "月報.xlsx", CATALOGUE, year=112, unit="政風處")
    message = caught.value.problems[0].message
    assert "改為 .csv" not in message and "也不是可讀取的 CSV 表格" in message


# Bad input: each its message, at the right cell -----------------------------------------------------------

def problems_of(data: bytes, filename: str) -> list:
    with pytest.raises(InputError) as caught:
        read_upload(data, filename, CATALOGUE, year=112, unit="政風處")
    return caught.value.problems


def wide_with(cells: dict[tuple[str, int], object], **options) -> list:
    """The wide table (header on row 4, 1月 and 2月 in D and E) with cells overwritten by (code, month)."""
    rows = wide_rows(FIGURES, **options)
    row_of = {monthly_field.code: 4 + index for index, monthly_field in enumerate(PLAN_112.fields)}
    for (code, month), value in cells.items():
        rows[row_of[code]][2 + month] = value
    return rows


BAD_CASES = [
    # (id, rows builder, filename form, expected cell, expected text)
    ("text in a number cell", lambda: wide_with({("warning_cases", 1): "abc"}), "xlsx", "D5", "「abc」不是數字"),
    ("unit typed with the number", lambda: wide_with({("warning_cases", 1): "3件"}), "csv", "D5", "「3件」不是數字"),
    ("negative count", lambda: wide_with({("procurement_audits", 2): "-1"}), "csv", "E6", "負數"),
    ("negative amount", lambda: wide_with({("budget_amount", 1): -5}), "xlsx", "D18", "負數"),
    ("fractional count", lambda: wide_with({("warning_cases", 1): "1.5"}), "csv", "D5", "有小數"),
    ("count over its denominator", lambda: wide_with({("edoc_sent_electronic", 1): "101"}), "csv", "D25",
     "電子發文件數 101（儲存格 D25）大於發文總件數 100（儲存格 D26）"),
    ("budget over-executed", lambda: wide_with({("actual_spent", 2): "30,000"}), "csv", "E19",
     "大於預算數 21,288.5（儲存格 E18）"),
    ("certified over headcount", lambda: wide_with({("hakka_certified", 1): "1"}), "csv", "D16",
     "已通過客語認證人數 1（儲存格 D16）大於公務人員及聘僱人員現職人數 0"),
    ("a year without a plan in a month header", lambda: wide_rows(FIGURES, month_header=lambda m: f"111年{m}月",
                                                                  above=[["單位：政風處"]]),
     "csv", "D3", "有 政風處 111 年度的數字（9 筆），但沒有 政風處 111 年度的計畫"),
    ("month headers of another year than the year cell", lambda: wide_rows(FIGURES, month_header=lambda m: f"111年{m}月"),
     "csv", "D4", "月份欄標題「111年1月」是 111 年，但表格上方（儲存格 D2）寫的是 112 年度"),
    ("a year without a plan above the header",
     lambda: wide_rows(FIGURES, month_header=lambda m: f"{m}月", above=[["單位：政風處", "", "", "年度：111"]]),
     "csv", "D3", "沒有 政風處 111 年度的計畫，無法檢查或計算，整個檔案都不會儲存。現有計畫："),
    ("a unit that is not the county's", lambda: wide_rows(FIGURES, above=[["單位：法制處"]]), "csv", "A1",
     "單位「法制處」不是本府的單位"),
    ("month 13 in a header", lambda: wide_rows({(1, "warning_cases"): Decimal(1)},
                                               month_header=lambda m: "112年13月"), "csv", "D4", "不是有效的月份"),
    ("unknown field code", lambda: [LONG_HEADER, ["112", "1", "政風處", "warning_case", "1"]], "csv", "D2",
     "您是不是要填「預警案件數」（代碼 warning_cases）"),
    ("unknown field name", lambda: [LONG_HEADER, ["112", "1", "政風處", "預警案件", "1"]], "csv", "D2",
     "項目「預警案件」不是填報項目；您是不是要填「預警案件數」"),
    ("a year without a plan in a long row", lambda: [LONG_HEADER, ["111", "1", "政風處", "warning_cases", "1"]], "csv",
     "E2", "沒有 政風處 111 年度的計畫"),
    ("a unit without a plan in a long row", lambda: [LONG_HEADER, ["112", "1", "新竹縣政府人事處", "warning_cases", "1"]],
     "csv", "E2", "有 人事處 112 年度的數字（1 筆），但沒有 人事處 112 年度的計畫"),
    ("free text as a unit", lambda: [LONG_HEADER, ["112", "1", "王小明 A123456789", "warning_cases", "1"]], "csv", "C2",
     "單位「王小明 A123456789」不是本府的單位"),
    ("month 13 in a long row", lambda: [LONG_HEADER, ["112", "13", "政風處", "warning_cases", "1"]], "xlsx", "B2",
     "月份「13」須為 1 至 12"),
    ("month missing in a long row", lambda: [LONG_HEADER, ["112", "", "政風處", "warning_cases", "1"]], "csv", "B2",
     "月份空白"),
    ("conflicting duplicate", lambda: [LONG_HEADER, ["112", "1", "政風處", "warning_cases", "1"],
                                       ["2023", "01", "政風處", "預警案件數", "2"]], "csv", "E3",
     "填了兩次且數值不同：儲存格 E2 是 1，這一格是 2"),
    ("code and name disagree", lambda: [["項目代碼", "項目名稱", "1月"], ["warning_cases", "採購稽核案件數", "1"]],
     "csv", "A2", "不一致"),
    ("a value without a field", lambda: [["項目代碼", "項目名稱", "1月"], ["", "", "1"]], "csv", "A2",
     "沒有項目代碼或項目名稱"),
]


@pytest.mark.parametrize("case", BAD_CASES, ids=[case[0] for case in BAD_CASES])
def test_bad_input_is_named_at_its_cell(case):
    _, build, form, cell, text = case
    rows = build()
    data = csv_bytes(rows) if form == "csv" else xlsx_bytes({"月報": rows})
    problems = problems_of(data, f"月報.{form}")
    matching = [problem for problem in problems if text in problem.message]
    assert matching, [str(problem) for problem in problems]
    assert matching[0].cell == cell
    assert matching[0].file == f"月報.{form}"
    assert matching[0].sheet == ("月報" if form == "xlsx" else "")


def test_a_problem_reads_as_one_sentence_with_file_sheet_cell_and_field():
    problems = problems_of(xlsx_bytes({"月報": wide_with({("warning_cases", 1): "abc"})}), "月報.xlsx")
    assert str(problems[0]).startswith("檔案「月報.xlsx」工作表「月報」儲存格 D5（項目：預警案件數）：「abc」不是數字")


def test_every_problem_of_a_file_is_listed():
    rows = wide_with({("warning_cases", 1): "abc", ("procurement_audits", 2): "-3", ("infosec_audits", 1): "0.5"})
    problems = problems_of(csv_bytes(rows), "a.csv")
    assert sorted(problem.cell for problem in problems) == ["D5", "D8", "E6"]


def test_problems_are_capped():
    rows = [LONG_HEADER] + [["112", str(1 + index % 12), "政風處", "warning_cases", "x"] for index in range(60)]
    problems = problems_of(csv_bytes(rows), "a.csv")
    assert len(problems) == 51
    assert "另有 10 個問題未列出" in problems[-1].message


def test_a_file_with_no_figures():
    problems = problems_of(build_template(PLAN_112), "月報.xlsx")
    assert [problem.message for problem in problems] == [
        "檔案中沒有任何填報數值（表格內的數字欄都是空白）；請在當月欄位填入數字後再上傳"]


def test_no_table_lists_the_sheets_and_the_expected_header():
    problems = problems_of(xlsx_bytes({"工作表1": [["姓名", "電話"]], "工作表2": [[]]}), "a.xlsx")
    assert "「工作表1」、「工作表2」" in problems[0].message
    assert "項目代碼" in problems[0].message and "年度、月份、單位、項目代碼、數值" in problems[0].message


@pytest.mark.parametrize("data, filename, text", [
    (b"", "a.csv", "檔案是空的"),
    (b"", "a.xlsx", "檔案是空的"),
    (b"  \r\n \r\n", "a.csv", "檔案是空的"),
    (bytes(range(256)) * 4, "a.xlsx", "不是有效的 Excel 檔案"),
    (b"\x00\x01\x02binary", "a.csv", "不是文字（CSV）檔"),
    (b"\xff\xfe\xfd\x80\x81", "a.csv", "檔案編碼無法辨識"),
    (b"PK\x03\x04" + bytes(100), "a.xlsx", "不是有效的 Excel 檔案"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(100), "a.xlsx", "舊版 Excel（.xls）"),
    (b"anything", "a.xls", "舊版 Excel 格式（.xls）不支援"),
    (b"anything", "a.pdf", "只接受 Excel 活頁簿（.xlsx）或 CSV 檔（.csv）"),
    (b"anything", "a", "（沒有副檔名）"),
    (b"anything", "a.xlsm", "含有巨集"),
])
def test_unusable_files(data, filename, text):
    problems = problems_of(data, filename)
    assert text in problems[0].message
    assert problems[0].file == filename


def macro_workbook() -> bytes:
    source = zipfile.ZipFile(io.BytesIO(xlsx_bytes({"月報": wide_rows(FIGURES)})))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name in source.namelist():
            archive.writestr(name, source.read(name))
        archive.writestr("xl/vbaProject.bin", b"\xd0\xcf\x11\xe0 macro")
    return buffer.getvalue()


@pytest.mark.parametrize("filename", ["月報.xlsx", "月報.csv", "月報.XLSX"])
def test_a_macro_workbook_is_refused_whatever_its_name(filename):
    assert "含有巨集（VBA）的活頁簿不接受上傳" in problems_of(macro_workbook(), filename)[0].message


def formula_workbook() -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "月報"
    for row in wide_rows(ONE_MONTH):
        sheet.append([None if cell == "" else cell for cell in row])
    sheet["D5"] = "=1+1"  # warning_cases, January: a formula never calculated
    sheet["P7"] = "=A1"  # the 說明 column is not read, so its formula does not matter
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def test_a_formula_without_a_cached_result_is_named():
    problems = problems_of(formula_workbook(), "月報.xlsx")
    assert [(problem.sheet, problem.cell) for problem in problems] == [("月報", "D5")]
    assert "是公式但沒有計算結果" in problems[0].message and "請在 Excel 開啟後存檔" in problems[0].message


def test_load_grids_refuses_any_uncalculated_formula():
    with pytest.raises(InputError) as caught:
        load_grids(formula_workbook(), "月報.xlsx")
    assert sorted(problem.cell for problem in caught.value.problems) == ["D5", "P7"]


def test_load_grids_gives_every_sheet_raw():
    grids = load_grids(xlsx_bytes({"A": [["x", 1], ["", 2.5]], "B": [["y"]]}), "a.xlsx")
    assert grids == [("A", [["x", 1.0], ["", 2.5]]), ("B", [["y"]])]
    assert load_grids("a,b\n1,\n".encode("cp950"), "a.csv") == [("", [["a", "b"], ["1", ""]])]


def test_load_grids_runs_the_safety_checks():
    with pytest.raises(InputError, match="含有巨集"):
        load_grids(macro_workbook(), "a.xlsx")


@pytest.mark.parametrize(("cell_xml", "said"), [
    ('<c r="D5" s="7" t="e"><f>1/0</f><v>#DIV/0!</v></c>', "Excel 錯誤值"),
    ('<c t="e" r="D5"><v>#REF!</v></c>', "Excel 錯誤值"),  # the type before the reference, no formula
    ('<c r="D5" t="e"><v>#N/A</v></c>', "Excel 錯誤值"),
    ('<c r="D5" s="7" t="n"><v>NaN</v></c>', "內容為 NaN"),  # no Excel writes one; it would read as blank
])
def test_an_excel_error_value_is_named_not_read_as_blank(cell_xml, said):
    import zipfile as zip_module
    from io import BytesIO

    from metrics.outputs.template import build_template

    original = zip_module.ZipFile(BytesIO(build_template(PLAN_112)))
    buffer = BytesIO()
    with zip_module.ZipFile(buffer, "w", zip_module.ZIP_DEFLATED) as archive:
        for item in original.infolist():
            content = original.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                text = content.decode()
                # openpyxl writes an empty cell as <c ...></c> with lxml installed (python-docx brings it), <c ... /> without
                empty = re.compile(r'<c r="(D5|D6)" s="7" t="n"(?:\s*/>|></c>)')
                assert len(empty.findall(text)) == 2
                text = empty.sub(lambda found: cell_xml if found[1] == "D5" else '<c r="D6" s="7" t="n"><v>3</v></c>',
                                 text)
                content = text.encode()
            archive.writestr(item, content)
    with pytest.raises(InputError) as raised:
        read_upload(buffer.getvalue(), "錯誤值.xlsx", CATALOGUE, year=112, unit="政風處")
    problem = raised.value.problems[0]
    assert (problem.sheet, problem.cell) == ("月報", "D5")
    assert said in problem.message


@pytest.mark.parametrize(("text", "expected"), [
    # a wide table with its own 年度 / 單位 columns: each row's year and unit are its own
    ("年度,項目代碼,1月,2月\n112,warning_cases,1,2\n", [(112, 1, "政風處", 1), (112, 2, "政風處", 2)]),
    ("單位,項目代碼,1月,2月\n人事處,warning_cases,1,2\n新竹縣政府政風處,warning_cases,0,1\n",
     [(112, 1, "人事處", 1), (112, 1, "政風處", 0), (112, 2, "人事處", 2), (112, 2, "政風處", 1)]),
    # 「單位：千元」 above the table says what the figures are in, not who reports them
    (",,單位：千元\n項目代碼,項目名稱,1月\nbudget_amount,預算數,21288\n", [(112, 1, "政風處", 21288)]),
])
def test_wide_table_year_and_unit(text, expected):
    frame = read_upload(text.encode("utf-8"), "寬表.csv", SIDE_BY_SIDE, year=112, unit="政風處")
    rows = sorted(zip(frame["year"], frame["month"], frame["unit"], frame["value"]))
    assert rows == sorted((year, month, unit, Decimal(value)) for year, month, unit, value in expected)


def test_wide_table_row_of_a_year_without_a_plan_is_named():
    with pytest.raises(InputError) as raised:
        read_upload("年度,項目代碼,1月\n111,warning_cases,1\n".encode(), "寬表.csv", CATALOGUE, year=112, unit="政風處")
    assert raised.value.problems[0].cell == "C2" and "政風處 111 年度" in raised.value.problems[0].message


def test_a_template_whose_year_cell_was_changed_but_not_its_month_headers_is_refused():
    rows = wide_rows(FIGURES, above=[["新竹縣政府政風處 月報"], ["單位：政風處", "", "", "年度：113"]])
    with pytest.raises(InputError) as caught:
        read_upload(csv_bytes(rows), "去年範本.csv", CATALOGUE, year=112, unit="政風處")
    problems = caught.value.problems
    assert problems[0].cell == "D3"
    assert "月份欄標題「112年1月」是 112 年，但表格上方（儲存格 D2）寫的是 113 年度" in problems[0].message


# ---- a CSV row longer than its header is never read (an unquoted thousands separator) ----

WIDE_HEADER = "項目代碼,項目名稱," + ",".join(f"{month}月" for month in range(1, 13)) + ",備註"


@pytest.mark.parametrize(("text", "cell", "fields", "header"), [
    pytest.param("年度,月份,單位,項目代碼,數值\n112,1,政風處,budget_amount,21,288\n", "F2", 6, 5, id="long"),
    pytest.param(WIDE_HEADER + "\nbudget_amount,預算," + "21,288" + "," * 12 + "\n", "P2", 16, 15,
                 id="wide, January only"),
    pytest.param("年度,月份,單位,項目代碼,數值\n112,1,政風處,warning_cases,1\n112,2,政風處,budget_amount,1,000,000\n",
                 "F3", 7, 5, id="second row, two separators"),
])
def test_a_row_longer_than_its_header_is_refused(text: str, cell: str, fields: int, header: int) -> None:
    with pytest.raises(InputError) as raised:
        read_upload(text.encode(), "月報.csv", CATALOGUE, year=112, unit="政風處")
    [problem] = raised.value.problems
    assert problem.cell == cell
    assert f"有 {fields} 個欄位，比標題列的 {header} 欄多" in problem.message
    assert "千分位逗號請加引號" in problem.message


@pytest.mark.parametrize("text", [
    "年度,月份,單位,項目代碼,數值\n112,1,政風處,budget_amount,\"21,288\"\n",  # quoted: one field
    "年度,月份,單位,項目代碼,數值,\n112,1,政風處,budget_amount,21288,\n",  # Excel's trailing empty column
])
def test_a_quoted_separator_or_an_even_trailing_column_is_read(text: str) -> None:
    frame = read_upload(text.encode(), "月報.csv", CATALOGUE, year=112, unit="政風處")
    assert list(frame["value"]) == [Decimal("21288")]


def test_many_long_rows_are_listed_up_to_twenty() -> None:
    text = "年度,月份,單位,項目代碼,數值\n" + "".join(f"112,1,政風處,budget_amount,{row},000\n" for row in range(25))
    with pytest.raises(InputError) as raised:
        read_upload(text.encode(), "月報.csv", CATALOGUE, year=112, unit="政風處")
    problems = raised.value.problems
    assert len(problems) == 21 and problems[-1].message == "…另有 5 列欄位過多"


def test_problems_are_listed_in_sheet_order():
    """A reading problem (E6, not a number) and a rule broken later (F7, a negative count; D5, a fraction) are
    listed as the sheet reads: row, then column — never F7 before E6."""
    import io

    import openpyxl
    from metrics.outputs.template import build_template
    from metrics.intake.validation import in_sheet_order, cell_position
    from metrics.errors import Problem

    workbook = openpyxl.load_workbook(io.BytesIO(build_template(PLAN_112)))
    sheet = workbook.active
    sheet["F7"] = -1  # 陳情檢舉完成件數, 3月
    sheet["E6"] = "abc"  # 採購稽核案件數, 2月
    sheet["D5"] = 1.5  # 預警案件數, 1月
    buffer = io.BytesIO()
    workbook.save(buffer)
    with pytest.raises(InputError) as caught:
        read_upload(buffer.getvalue(), "月報.xlsx", CATALOGUE)
    assert [problem.cell for problem in caught.value.problems] == ["D5", "E6", "F7"]

    assert [cell_position(cell) for cell in ("E6", "AA10", "E12 等", "第 1,204 列", "")] == [
        (6, 5), (10, 27), (12, 5), (1204, 0), (0, 0)]
    mixed = [Problem("b", "b.csv", "", "C2"), Problem("a2", "a.xlsx", "月報", "B3"), Problem("a0", "a.xlsx", "月報"),
             Problem("a1", "a.xlsx", "月報", "C2"), Problem("s", "a.xlsx", "附表", "A1"), Problem("b0", "b.csv", "", "B2")]
    assert [problem.message for problem in in_sheet_order(mixed)] == ["b0", "b", "a0", "a1", "a2", "s"]


@pytest.mark.parametrize("unit", ["王小明 A123456789", '=HYPERLINK("http://evil.example","政風處")', "政風"])
def test_a_unit_not_in_the_catalogue_is_refused_with_its_cell_and_at_most_ten_nearest(unit: str) -> None:
    text = '年度,月份,單位,項目代碼,數值\n112,1,"' + unit.replace('"', '""') + '",warning_cases,3\n'
    with pytest.raises(InputError) as raised:
        read_upload(text.encode(), "月報.csv", CATALOGUE)
    [problem] = raised.value.problems
    assert problem.cell == "C2" and f"單位「{unit}」不是本府的單位" in problem.message
    nearest = problem.message.split("相近的單位：")[1].split("。")[0].split("、") if "相近的單位：" in problem.message else []
    assert len(nearest) <= 10
