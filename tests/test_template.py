"""The 月報 template workbook, and the sample year built from it."""

from __future__ import annotations

import csv
import importlib.util
import io
import math
import re
import sys
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import openpyxl
import pytest
from dataclasses import replace

from metrics.intake.parsing import parse_month_header, parse_number
from catalogues import FIXTURE_KINDS, PLAN_112, SAMPLE_CATALOGUE, SIDE_BY_SIDE
from metrics.plans.catalogue import load_catalogue
from metrics.plans.plan import Aggregation, Quantity
from metrics.outputs.template import build_template

SAMPLE_DIR = Path(__file__).resolve().parent.parent / "sample_data"
# A renamed unit: 交通處 was 交通旅遊處 until 114, so its 114 template says 交通旅遊處 and still reads as 交通處.
TRANSPORT_114 = replace(PLAN_112, year=114, unit="交通處", unit_name="交通旅遊處", organisation="新竹縣政府交通旅遊處")
# The mechanism is pinned on a small fixture plan of every kind (tests/fixture_kinds/114/丁處.toml: 14 items, one of
# them an amount, two milestones), so that no plan file of the deployment moves a cell these tests name.
PLAN = load_catalogue(FIXTURE_KINDS).plan(114, "丁處")
CODES = [monthly_field.code for monthly_field in PLAN.fields]
LAST_ROW = 4 + len(CODES)  # 18
MONTH_LETTERS = "DEFGHIJKLMNO"


def open_book(data: bytes) -> openpyxl.Workbook:
    return openpyxl.load_workbook(io.BytesIO(data))


@pytest.fixture(scope="module")
def blank_book() -> openpyxl.Workbook:
    return open_book(build_template(PLAN))


# ---------------------------------------------------------------- layout


@pytest.mark.parametrize(("cell", "expected"), [
    ("A1", "測試縣政府丁處 114 年度施政計畫績效指標月報"),
    ("A2", "單位：丁處"),
    ("D2", "年度：114"),
    ("A4", "項目代碼"),
    ("B4", "項目名稱"),
    ("C4", "計量"),
    ("D4", "114年1月"),
    ("E4", "114年2月"),
    ("O4", "114年12月"),
    ("P4", "說明"),
    ("A5", "deaths"),
    ("B5", "死亡人數"),
    ("C5", "人"),
    ("P5", "當月死亡人數。"),
    ("A12", "satisfaction"),
    ("C12", "分"),
    ("P15", "月底是否已上線（0 或 1）。\n指標 9：請填已完成的階段編號（0＝尚未完成任何階段；1＝系統上線（100%））"),
    ("A18", "stations"),
    ("B18", "充電站數"),
    ("A19", None),
])
def test_layout_cells(blank_book: openpyxl.Workbook, cell: str, expected: str | None) -> None:
    assert blank_book.sheetnames == ["月報", "說明"]
    assert blank_book["月報"][cell].value == expected


def test_note_is_one_line_and_says_blank_is_not_zero(blank_book: openpyxl.Workbook) -> None:
    note = blank_book["月報"]["A3"].value
    assert "\n" not in note
    assert "空白表示未填報（不是 0）" in note


def test_fields_in_plan_order_with_names_units_help(blank_book: openpyxl.Workbook) -> None:
    sheet = blank_book["月報"]
    rows = list(sheet.iter_rows(min_row=5, max_row=LAST_ROW, max_col=16, values_only=True))
    assert len(rows) == 14
    assert [row[0] for row in rows] == CODES
    assert [row[1] for row in rows] == [f.name for f in PLAN.fields]
    assert [row[2] for row in rows] == [f.unit for f in PLAN.fields]
    assert [row[15].split("\n")[0] for row in rows] == [f.help for f in PLAN.fields]  # milestones add a line
    assert all(value is None for row in rows for value in row[3:15])


def test_month_headers_are_text_the_parser_reads(blank_book: openpyxl.Workbook) -> None:
    sheet = blank_book["月報"]
    for month, letter in enumerate(MONTH_LETTERS, start=1):
        cell = sheet[f"{letter}4"]
        assert cell.data_type == "s"
        assert parse_month_header(cell.value) == (114, month)


EVERY_PLAN = [SAMPLE_CATALOGUE.plan(*key) for key in SAMPLE_CATALOGUE.keys()] + [
    SIDE_BY_SIDE.plan(112, "人事處"), TRANSPORT_114]


@pytest.mark.parametrize("plan", EVERY_PLAN, ids=lambda plan: plan.label)
def test_every_plan_gets_its_own_template(plan) -> None:
    sheet = open_book(build_template(plan))["月報"]
    assert sheet["A1"].value.startswith(f"{plan.organisation} {plan.year} 年度施政計畫績效指標月報")
    assert sheet["A1"].value.endswith("（範例計畫）") == plan.sample
    assert sheet["A2"].value == f"單位：{plan.unit_name}"
    assert sheet["D2"].value == f"年度：{plan.year}"
    assert sheet["D4"].value == f"{plan.year}年1月"
    assert [sheet.cell(row=row, column=1).value for row in range(5, 5 + len(plan.fields))] == \
        [monthly_field.code for monthly_field in plan.fields]
    assert sheet.cell(row=5 + len(plan.fields), column=1).value is None


@pytest.mark.parametrize("plan", EVERY_PLAN, ids=lambda plan: plan.label)
def test_every_plans_template_once_filled_reads_back_as_that_plans_figures(plan) -> None:
    from metrics.intake.monthly import read_upload

    catalogue = SAMPLE_CATALOGUE.with_plans({**SAMPLE_CATALOGUE.plans, **SIDE_BY_SIDE.plans, TRANSPORT_114.key: TRANSPORT_114})
    values = {(monthly_field.code, 3): Decimal(0) for monthly_field in plan.fields}
    frame = read_upload(build_template(plan, values=values), "月報.xlsx", catalogue)  # no year or unit given
    assert set(zip(frame["year"], frame["unit"])) == {plan.key}
    assert sorted(frame["field"]) == sorted(monthly_field.code for monthly_field in plan.fields)


def test_no_cell_holds_a_formula(blank_book: openpyxl.Workbook) -> None:
    filled = open_book(build_template(PLAN, values={(code, 1): Decimal(1) for code in CODES}))
    for book in (blank_book, filled):
        for sheet in book.worksheets:
            for row in sheet.iter_rows():
                for cell in row:
                    assert cell.data_type != "f", f"{sheet.title}!{cell.coordinate}"
                    assert not (isinstance(cell.value, str) and cell.value.startswith("="))


# ---------------------------------------------------------------- input cells


def validations_by_range(sheet) -> dict[str, object]:
    found = {}
    for validation in sheet.data_validations.dataValidation:
        for cell_range in validation.sqref.ranges:
            found[cell_range.coord] = validation
    return found


def test_every_input_row_has_the_right_validation(blank_book: openpyxl.Workbook) -> None:
    validations = validations_by_range(blank_book["月報"])
    assert len(validations) == 14
    for row, monthly_field in enumerate(PLAN.fields, start=5):
        validation = validations[f"D{row}:O{row}"]
        expected_type = "decimal" if monthly_field.quantity is Quantity.AMOUNT else "whole"
        assert validation.type == expected_type, monthly_field.code
        assert validation.operator == "greaterThanOrEqual"
        assert validation.formula1 == "0"
        assert validation.allow_blank
        assert validation.showErrorMessage
        assert "0 以上" in validation.error
        assert validation.errorTitle and validation.prompt


@pytest.mark.parametrize(("code", "number_format"), [
    ("deaths", "#,##0"),  # a flow count
    ("population", "#,##0"),  # a stock count
    ("relocation_stage", "#,##0"),  # a milestone's stage number
    ("satisfaction", "#,##0.0##"),  # an amount
])
def test_input_cells_formatted_and_unlocked(blank_book: openpyxl.Workbook, code: str, number_format: str) -> None:
    sheet = blank_book["月報"]
    row = 5 + CODES.index(code)
    for letter in MONTH_LETTERS:
        cell = sheet[f"{letter}{row}"]
        assert cell.number_format == number_format
        assert cell.protection.locked is False
    assert sheet[f"A{row}"].protection.locked is True
    assert sheet[f"P{row}"].protection.locked is True
    assert sheet.protection.sheet is True
    assert not sheet.protection.password


def test_freeze_panes_and_print_setup(blank_book: openpyxl.Workbook) -> None:
    sheet = blank_book["月報"]
    assert sheet.freeze_panes == "D5"
    assert sheet.page_setup.orientation == "landscape"
    assert sheet.page_setup.fitToWidth == 1
    assert sheet.page_setup.fitToHeight == 0
    assert sheet.sheet_properties.pageSetUpPr.fitToPage
    assert sheet.print_title_rows == "$1:$4"
    assert sheet.column_dimensions["B"].width >= 20
    assert sheet.column_dimensions["P"].width >= 30


# ---------------------------------------------------------------- pre-filled values


@pytest.mark.parametrize(("values", "expected"), [
    ({}, {}),
    ({("deaths", 3): Decimal(1)}, {"F5": 1}),
    ({("deaths", 1): Decimal(0)}, {"D5": 0}),  # a reported zero stays a zero, not a blank
    ({("satisfaction", 12): Decimal("4.35")}, {"O12": 4.35}),
    ({("population", 6): Decimal("567890"), ("volunteers", 6): Decimal("1234.0")}, {"I10": 567890, "I9": 1234}),
    ({("stations", 7): Decimal("1E+2")}, {"J18": 100}),
    ({("visitors", 2): Decimal("1234"), ("visitors", 11): Decimal("98")}, {"E16": 1234, "N16": 98}),
])
def test_values_prefilled_and_blank_elsewhere(values: dict, expected: dict[str, float]) -> None:
    sheet = open_book(build_template(PLAN, values=values))["月報"]
    for row in range(5, LAST_ROW + 1):
        for letter in MONTH_LETTERS:
            coordinate = f"{letter}{row}"
            actual = sheet[coordinate].value
            if coordinate in expected:
                assert actual == expected[coordinate], coordinate
                assert type(actual) is type(expected[coordinate])
            else:
                assert actual is None, coordinate


@pytest.mark.parametrize(("values", "message"), [
    ({("no_such_field", 1): Decimal(1)}, "no_such_field"),
    ({("deaths", 13): Decimal(1)}, "1 至 12"),
    ({("deaths", 0): Decimal(1)}, "1 至 12"),
])
def test_prefill_rejects_unknown_codes_and_months(values: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        build_template(PLAN, values=values)


# ---------------------------------------------------------------- 說明 sheet


def guide_rows(book: openpyxl.Workbook) -> dict[str, tuple]:
    rows = {}
    for row in book["說明"].iter_rows(values_only=True):
        if row and row[0] in CODES:
            rows[row[0]] = row
    return rows


def test_guide_lists_every_field(blank_book: openpyxl.Workbook) -> None:
    rows = guide_rows(blank_book)
    assert list(rows) == CODES
    for monthly_field in PLAN.fields:
        code, name, unit, how, help_text, users = rows[monthly_field.code][:6]
        assert (name, unit, help_text.split("\n")[0]) == (monthly_field.name, monthly_field.unit, monthly_field.help)
        expected = "當月數" if monthly_field.aggregation is Aggregation.FLOW else "月底數"
        assert how.startswith(expected)


@pytest.mark.parametrize(("code", "indicators"), [
    ("deaths", ["1 死亡人數上限"]),
    ("days_spent", ["2 平均處理天數"]),  # a quotient's numerator
    ("cases_closed", ["2 平均處理天數", "5 逾期結案比率"]),  # a denominator of two
    ("population", ["3 每萬人口犯罪率", "4 每萬人口志工數"]),
    ("satisfaction", ["6 民眾滿意度"]),
    ("relocation_stage", ["8 市場遷建"]),
    ("stations", ["12 充電站成長率"]),
])
def test_guide_names_the_indicators_using_a_field(blank_book: openpyxl.Workbook, code: str,
                                                  indicators: list[str]) -> None:
    assert guide_rows(blank_book)[code][5] == "、".join(indicators)


def test_guide_explains_how_to_fill(blank_book: openpyxl.Workbook) -> None:
    texts = [cell for row in blank_book["說明"].iter_rows(values_only=True) for cell in row if isinstance(cell, str)]
    joined = "\n".join(texts)
    assert "空白表示「未填報」，不是 0" in joined
    assert "114年3月" in joined


# ---------------------------------------------------------------- the sample year

# The sample year is made for the golden plan (政風處 112, its 26 items), so this section reads that plan.
SAMPLE_CODES = [monthly_field.code for monthly_field in PLAN_112.fields]


def load_generator():
    spec = importlib.util.spec_from_file_location("make_sample_data", SAMPLE_DIR / "make_sample_data.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the file executes
    try:
        spec.loader.exec_module(module)
    finally:
        del sys.modules[spec.name]
    return module


def read_month_file(path: Path) -> dict[tuple[str, int], Decimal]:
    sheet = openpyxl.load_workbook(path)["月報"]
    assert sheet["D4"].value == "112年1月"
    values = {}
    for row in range(5, 5 + len(SAMPLE_CODES)):
        code = sheet[f"A{row}"].value
        for month, letter in enumerate(MONTH_LETTERS, start=1):
            raw = sheet[f"{letter}{row}"].value
            if raw is not None:
                values[(code, month)] = parse_number(raw)
    return values


def read_csv(path: Path) -> tuple[list[dict[str, str]], dict[tuple[str, int], Decimal]]:
    data = path.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))
    return rows, {(row["項目代碼"], int(row["月份"])): Decimal(row["數值"]) for row in rows}


@pytest.mark.parametrize("month", range(1, 13))
def test_sample_month_file_fills_exactly_its_month(month: int) -> None:
    values = read_month_file(SAMPLE_DIR / f"112-{month:02d}.xlsx")
    assert {m for _, m in values} == {month}
    assert sorted(code for code, _ in values) == sorted(SAMPLE_CODES)


def test_sample_csv_matches_the_month_files() -> None:
    rows, csv_values = read_csv(SAMPLE_DIR / "112-full-year.csv")
    assert list(rows[0]) == ["年度", "月份", "單位", "項目代碼", "數值"]
    assert len(rows) == 26 * 12
    assert {row["年度"] for row in rows} == {"112"}
    assert {row["單位"] for row in rows} == {"政風處"}
    assert all(row["數值"].strip() for row in rows)
    from_files: dict[tuple[str, int], Decimal] = {}
    for month in range(1, 13):
        from_files.update(read_month_file(SAMPLE_DIR / f"112-{month:02d}.xlsx"))
    assert from_files == csv_values


def as_of(values: dict[tuple[str, int], Decimal], code: str, month: int) -> Fraction:
    """Every sample field is reported every month, so flow = sum of 1..M and stock = month M."""
    if PLAN_112.field_by_code[code].aggregation is Aggregation.FLOW:
        return sum((Fraction(values[(code, m)]) for m in range(1, month + 1)), Fraction(0))
    return Fraction(values[(code, month)])


def two_places(value: Fraction) -> str:
    hundredths = math.floor(value * 100 + Fraction(1, 2))
    return f"{hundredths // 100}.{hundredths % 100:02d}%"


def recompute(values: dict[tuple[str, int], Decimal], indicator_id: str, month: int
              ) -> tuple[list[Fraction], Fraction, str]:
    """(numbers in the README's calculation, actual, result text), from the CSV by the plan's rules."""
    def get(code: str) -> Fraction:
        return as_of(values, code, month)

    indicator = PLAN_112.indicator_by_id[indicator_id]
    if indicator_id == "6":
        contract, temp, new = get("reduced_contract"), get("reduced_temp"), get("new_positions")
        assert get("contract_budget_positions") + get("temp_budget_positions") / 2 >= new  # rule (三) not used
        actual = Fraction(math.ceil((contract + temp / 2) / new * 100))
        return [contract, temp, Fraction(2), new, Fraction(100)], actual, f"{actual}%"
    if not indicator.is_ratio:
        total = get(indicator.numerator[0].field)
        return [total], total, f"{total} {indicator.unit}"
    numerator_parts = [get(term.field) for term in indicator.numerator]
    denominator_parts = [get(term.field) for term in indicator.denominator]
    exact = sum(numerator_parts) / sum(denominator_parts) * 100
    actual = Fraction(math.floor(exact * 100 + Fraction(1, 2)), 100)
    return [*numerator_parts, *denominator_parts, Fraction(100)], actual, two_places(exact)


def status_of(indicator_id: str, actual: Fraction, month: int) -> str:
    indicator = PLAN_112.indicator_by_id[indicator_id]
    if actual >= indicator.target:
        return "達標"
    if indicator.accrues and actual >= Fraction(indicator.target) * month / 12:
        return "符合進度"
    return "落後"


def readme_table() -> dict[str, list[str]]:
    rows = {}
    for line in (SAMPLE_DIR / "README.md").read_text(encoding="utf-8").splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if line.startswith("|") and cells[0] in PLAN_112.indicator_by_id:
            rows[cells[0]] = cells
    return rows


def numbers_in(text: str) -> list[Fraction]:
    return [Fraction(match.replace(",", "")) for match in re.findall(r"\d[\d,]*(?:\.\d+)?", text)]


def test_readme_table_matches_the_csv() -> None:
    _, values = read_csv(SAMPLE_DIR / "112-full-year.csv")
    table = readme_table()
    assert list(table) == [indicator.id for indicator in PLAN_112.indicators]
    for indicator_id, cells in table.items():
        _, name, calculation, result, _, status_12, result_6, status_6 = cells
        assert name == PLAN_112.indicator_by_id[indicator_id].short_name
        numbers, actual, text = recompute(values, indicator_id, 12)
        assert numbers_in(calculation) == numbers, indicator_id
        assert result == text, indicator_id
        assert status_12 == status_of(indicator_id, actual, 12), indicator_id
        _, actual_6, text_6 = recompute(values, indicator_id, 6)
        assert result_6 == text_6, indicator_id
        assert status_6 == status_of(indicator_id, actual_6, 6), indicator_id


# Worked out by hand from the figures in make_sample_data.py.
@pytest.mark.parametrize(("indicator_id", "result_12", "status_12", "status_6"), [
    ("1", "2 案", "達標", "符合進度"),         # 0+0+0+1+0+0 = 1 ≥ 2 × 6 ÷ 12
    ("2", "134 案", "達標", "符合進度"),       # 66 by June ≥ 65
    ("3", "141 案", "落後", "落後"),           # 67 by June < 75
    ("4", "1 案", "達標", "落後"),
    ("5-1", "4 次", "達標", "符合進度"),
    ("5-2", "1 次", "達標", "達標"),
    ("6", "50%", "達標", "達標"),              # (1 + 0 ÷ 2) ÷ 2 × 100
    ("7", "40.74%", "達標", "落後"),           # 11 ÷ 27; June 10 ÷ 27 = 37.04%
    ("8", "86.28%", "達標", "符合進度"),       # 18,368.2 ÷ 21,288; June 9,094.8 ÷ 21,288 = 42.72% ≥ 42.5%
    ("9-1", "1 件", "達標", "落後"),
    ("9-2", "2 件", "達標", "符合進度"),
    ("10-1", "97.40%", "達標", "達標"),        # 1,385 ÷ 1,422; June 679 ÷ 698 = 97.28%
    ("10-2", "70.70%", "落後", "落後"),        # 2,618 ÷ 3,703
])
def test_sample_year_tells_the_intended_story(indicator_id: str, result_12: str, status_12: str,
                                              status_6: str) -> None:
    cells = readme_table()[indicator_id]
    assert (cells[3], cells[5], cells[7]) == (result_12, status_12, status_6)


def test_generator_is_deterministic_and_committed_files_are_current(tmp_path: Path) -> None:
    generator = load_generator()
    generator.main(tmp_path, SAMPLE_CATALOGUE)  # the frozen plans: the sample data is made for the golden plan
    for name in ("112-full-year.csv", "README.md"):
        assert (tmp_path / name).read_bytes() == (SAMPLE_DIR / name).read_bytes(), name
    for month in range(1, 13):
        name = f"112-{month:02d}.xlsx"
        assert read_month_file(tmp_path / name) == read_month_file(SAMPLE_DIR / name), name
    again = tmp_path / "again"
    generator.main(again, SAMPLE_CATALOGUE)
    for month in (1, 12):
        name = f"112-{month:02d}.xlsx"
        assert (again / name).read_bytes() == (tmp_path / name).read_bytes(), name


# An amount row's check names its own field's unit: 滿意度 is in 分, never 千元 (the check used to say 千元 for all).
@pytest.mark.parametrize(("plan", "code", "expected_unit"), [
    (PLAN, "satisfaction", "分"),
    (PLAN_112, "budget_amount", "千元"),
], ids=["score", "money"])
def test_amount_validation_names_the_field_unit(plan, code: str, expected_unit: str) -> None:
    sheet = open_book(build_template(plan))["月報"]
    codes = [monthly_field.code for monthly_field in plan.fields]
    row = 5 + codes.index(code)
    validation = validations_by_range(sheet)[f"D{row}:O{row}"]
    assert validation.type == "decimal"
    assert f"（單位：{expected_unit}，例如 1234.5）" in validation.error
    assert f"0 以上的數字（{expected_unit}）" in validation.prompt
    if expected_unit != "千元":
        assert "千元" not in validation.error + validation.prompt
