"""Whatever bytes arrive, read_upload answers with a frame or a KpiError — never another exception."""

from __future__ import annotations

import csv
import datetime as dt
import io
import zipfile
from decimal import Decimal

import openpyxl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from metrics.errors import KpiError
from metrics.intake.tidy import TIDY_COLUMNS
from catalogues import CATALOGUE, PLAN_112
from metrics.intake.monthly import read_upload
from metrics.outputs.template import build_template

FUZZ = settings(max_examples=34, deadline=None, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

FILENAMES = st.sampled_from(["月報.xlsx", "月報.csv", "a.XLSX", "b.CSV"])


def answers_sanely(data: bytes, filename: str) -> None:
    try:
        frame = read_upload(data, filename, CATALOGUE, year=112, unit="政風處")
    except KpiError:
        return
    assert tuple(frame.columns) == TIDY_COLUMNS
    assert all(type(value) is Decimal for value in frame["value"])
    assert set(frame["year"]) <= {PLAN_112.year}


@FUZZ
@given(data=st.binary(max_size=2_000), filename=FILENAMES)
def test_random_bytes(data, filename):
    answers_sanely(data, filename)


@FUZZ
@given(data=st.binary(max_size=2_000), filename=FILENAMES)
def test_random_bytes_behind_a_zip_header(data, filename):
    answers_sanely(b"PK\x03\x04" + data, filename)


MEMBER_NAMES = st.sampled_from([
    "xl/workbook.xml", "xl/_rels/workbook.xml.rels", "xl/worksheets/sheet1.xml", "[Content_Types].xml",
    "_rels/.rels", "xl/sharedStrings.xml", "xl/styles.xml", "xl/vbaProject.bin", "docProps/app.xml", "x/y.bin",
])
XML_PIECES = st.lists(st.sampled_from([
    "<", ">", "/", '"', "=", " ", "r", "c", "v", "f", "t", "row", "sheet", "sheetData", "A1", "ZZ9", "1048577",
    '<c r="A1">', "<v>1</v>", "<f>1+1</f>", "</c>", '<row r="1">', "</row>", "<sheetData>", "</sheetData>",
    '<sheet name="月報" sheetId="1" r:id="rId1"/>', "<!DOCTYPE x>", "&lol;", "項目代碼", "1月", "\x00",
]), max_size=60).map("".join)


@FUZZ
@given(members=st.dictionaries(MEMBER_NAMES, st.one_of(st.binary(max_size=300), XML_PIECES.map(str.encode)),
                               max_size=8),
       compress=st.booleans(), filename=FILENAMES)
def test_random_small_zips(members, compress, filename):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED if compress else zipfile.ZIP_STORED) as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    answers_sanely(buffer.getvalue(), filename)


TEMPLATE_MEMBERS = {name: zipfile.ZipFile(io.BytesIO(build_template(PLAN_112))).read(name)
                    for name in zipfile.ZipFile(io.BytesIO(build_template(PLAN_112))).namelist()}


@FUZZ
@given(member=st.sampled_from(["xl/worksheets/sheet1.xml", "xl/workbook.xml", "xl/sharedStrings.xml",
                               "xl/_rels/workbook.xml.rels", "[Content_Types].xml"]),
       start=st.floats(0, 1), length=st.integers(0, 40), replacement=XML_PIECES)
def test_the_template_with_its_xml_damaged(member, start, length, replacement):
    members = dict(TEMPLATE_MEMBERS)
    if member not in members:
        return
    content = members[member]
    position = int(start * len(content))
    members[member] = content[:position] + replacement.encode() + content[position + length:]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, body in members.items():
            archive.writestr(name, body)
    answers_sanely(buffer.getvalue(), "月報.xlsx")


CELLS = st.one_of(
    st.none(),
    st.sampled_from(["年度", "月份", "單位", "項目代碼", "項目名稱", "數值", "year", "month", "field", "value", "計量",
                     "說明", "1月", "13月", "112年1月", "111年2月", "112/01", "2023-01", "01", "年度：112", "年度：abc",
                     "單位：法制處", "warning_cases", "預警案件數", "budget_amount", "edoc_sent_total", "-", "1,234",
                     "１２", "1e400", "NaN", "inf", "=1+1", "\u3000", "112", "2023", "0", "-1", "0.5"]),
    st.integers(-10**20, 10**20),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=12),
    st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2100, 12, 31)),
    st.booleans(),
)
TABLES = st.lists(st.lists(CELLS, max_size=8), max_size=14)


def as_csv_text(value: object) -> str:
    return "" if value is None else str(value)


@FUZZ
@given(rows=TABLES, encoding=st.sampled_from(["utf-8", "utf-8-sig", "cp950", "utf-16"]),
       delimiter=st.sampled_from([",", "\t", ";"]))
def test_random_tables_as_csv(rows, encoding, delimiter):
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=delimiter).writerows([[as_csv_text(cell) for cell in row] for row in rows])
    try:
        data = buffer.getvalue().encode(encoding)
    except UnicodeEncodeError:
        data = buffer.getvalue().encode("utf-8", "replace")
    answers_sanely(data, "月報.csv")


def excel_safe(value: object) -> object:
    if isinstance(value, str):
        return "".join(character for character in value if character >= " " or character in "\t\n\r")
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) > 10**15:
        return str(value)
    return value


@FUZZ
@given(rows=TABLES, sheet_name=st.sampled_from(["月報", "資料", "Sheet1"]))
def test_random_tables_as_xlsx(rows, sheet_name):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = sheet_name
    for row in rows:
        sheet.append([excel_safe(cell) for cell in row])
    buffer = io.BytesIO()
    workbook.save(buffer)
    answers_sanely(buffer.getvalue(), "月報.xlsx")
