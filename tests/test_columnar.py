"""The column-wise CSV reader (metrics.intake.columnar) gives exactly the row-by-row reader's frame, and declines
(so the row-by-row reader names the problem) for every file that reader would refuse."""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from catalogues import SIDE_BY_SIDE
from metrics.intake import columnar
from metrics.intake import monthly
from metrics.errors import InputError

HEADER = "年度,月份,單位,項目代碼,數值"


def _outcome(data: bytes, filename: str) -> tuple[str, object]:
    try:
        return "frame", monthly.read_upload(data, filename, SIDE_BY_SIDE, year=112, unit="政風處")
    except InputError as error:
        return "refused", [str(problem) for problem in error.problems]


def _both(data: bytes, monkeypatch, filename: str = "月報.csv") -> tuple[tuple[str, object], tuple[str, object], bool]:
    """(column-wise outcome, row-by-row outcome, whether the column-wise reader answered itself)."""
    answered = []
    original = columnar.read

    def watched(*arguments, **keywords):
        frame = original(*arguments, **keywords)
        answered.append(frame is not None)
        return frame

    with monkeypatch.context() as patch:
        patch.setattr(columnar, "read", watched)
        fast = _outcome(data, filename)
    with monkeypatch.context() as patch:
        patch.setattr(columnar, "read", lambda *arguments, **keywords: None)
        slow = _outcome(data, filename)
    return fast, slow, any(answered)


def _same(fast: tuple[str, object], slow: tuple[str, object]) -> None:
    assert fast[0] == slow[0], (fast, slow)
    if fast[0] == "frame":
        pd.testing.assert_frame_equal(fast[1], slow[1])
    else:
        assert fast[1] == slow[1]


def _csv(*lines: str, ending: str = "\r\n") -> bytes:
    return (ending.join(lines) + ending).encode("utf-8")


ACCEPTED = {
    "long, every column": _csv(HEADER, "112,1,政風處,warning_cases,3", "112,2,政風處,warning_cases,4"),
    "long, English header": _csv("year,month,unit,field,value", "112,1,政風處,procurement_audits,11"),
    "long, without year and unit columns": _csv("月份,項目代碼,數值", "1,warning_cases,3", "3月,infosec_audits,0"),
    "long, year and unit above the table": _csv("單位：人事處", "年度：112", "月份,項目代碼,數值", "1,warning_cases,3"),
    "long, field by name": _csv("年度,月份,項目名稱,數值", "112,1,預警案件數,3"),
    "long, code and name agree": _csv("月份,項目代碼,項目名稱,數值", "1,warning_cases,預警案件數,3"),
    "long, western year, month with its year": _csv(HEADER, "2023,112年3月,政風處,warning_cases,3"),
    "long, quoted thousands": _csv(HEADER, '112,1,政風處,procurement_audits,"21,288"'),
    "long, equal values twice merge (1 and 1.0)": _csv(HEADER, "112,1,政風處,warning_cases,1",
                                                      "112,1,政風處,warning_cases,1.0"),
    "long, blank value rows skipped": _csv(HEADER, "112,1,政風處,warning_cases,", "abc,,,,", "",
                                          "112,2,政風處,warning_cases,5"),
    "long, short rows": _csv(HEADER, "112,1,政風處,warning_cases,2", "112,2"),
    "long, two units": _csv(HEADER, "112,1,人事處,warning_cases,2", "112,1,政風處,warning_cases,3"),
    "long, full-width digits and spaces": _csv(HEADER, "１１２, 1 ,政風處, warning_cases ,３"),
    "long, CR line endings": _csv(HEADER, "112,1,政風處,warning_cases,3", ending="\r"),
    "long, LF line endings": _csv(HEADER, "112,1,政風處,warning_cases,3", ending="\n"),
    "long, a quoted line break above": _csv('"月報\n說明",,,,', HEADER, "112,1,政風處,warning_cases,3"),
    "long, tab separated": _csv("年度\t月份\t單位\t項目代碼\t數值", "112\t1\t政風處\twarning_cases\t3"),
    "wide": _csv("項目代碼,項目名稱,112年1月,112年2月", "warning_cases,預警案件數,1,2", "infosec_audits,,0,"),
    "wide, months without year": _csv("年度：112", "項目代碼,1月,2月,3月", "warning_cases,1,,3"),
    "wide, unit and year columns": _csv("單位,年度,項目代碼,1月,2月", "人事處,112,warning_cases,1,2",
                                        "政風處,,warning_cases,3,"),
    "wide, the same figure in two rows": _csv("項目代碼,1月", "warning_cases,3", "預警案件數,3"),
}


REFUSED = {
    "unquoted thousands": _csv(HEADER, "112,1,政風處,procurement_audits,21,288"),
    "wide, unquoted thousands": _csv("項目代碼,1月,2月", "procurement_audits,21,288,"),
    "unknown unit": _csv(HEADER, "112,1,王小明 A123456789,warning_cases,3"),
    "unknown field": _csv(HEADER, "112,1,政風處,warnings,3"),
    "code and name disagree": _csv("月份,項目代碼,項目名稱,數值", "1,warning_cases,採購稽核案件數,3"),
    "not a number": _csv(HEADER, "112,1,政風處,warning_cases,三"),
    "month 13": _csv(HEADER, "112,13,政風處,warning_cases,3"),
    "blank month": _csv(HEADER, "112,,政風處,warning_cases,3"),
    "month of another year": _csv(HEADER, "112,111年3月,政風處,warning_cases,3"),
    "two values for one figure": _csv(HEADER, "112,1,政風處,warning_cases,3", "112,1,政風處,warning_cases,4"),
    "no plan for the year": _csv(HEADER, "111,1,政風處,warning_cases,3"),
    "negative": _csv(HEADER, "112,1,政風處,warning_cases,-3"),
    "wide, month header 13月 filled": _csv("項目代碼,1月,13月", "warning_cases,1,2"),
    "wide, header year against the year above": _csv("年度：111", "項目代碼,112年1月", "warning_cases,1"),
    "wide, row year against the header": _csv("年度,項目代碼,112年1月", "111,warning_cases,1"),
    "wide, unit above unknown": _csv("單位：市長室", "項目代碼,1月", "warning_cases,1"),
}


def test_the_long_sample_year_is_read_column_wise(monkeypatch):
    from pathlib import Path

    data = (Path(__file__).resolve().parents[1] / "sample_data" / "112-full-year.csv").read_bytes()
    fast, slow, answered = _both(data, monkeypatch)
    assert answered and fast[0] == "frame" and len(fast[1]) > 100
    _same(fast, slow)


# Random files: whatever the column-wise reader answers, the row-by-row reader answers the same.

_HEADERS = [HEADER, "月份,項目代碼,數值", "year,month,unit,field,value", "月份,項目代碼,項目名稱,數值",
            "項目代碼,項目名稱,1月,2月,3月", "項目代碼,112年1月,112年2月", "單位,年度,項目代碼,1月,2月"]
_TITLES = ["", "單位：政風處", "單位：人事處", "年度：112", "年度：111", "112年度 月報", "單位：千元"]
_CELLS = ["112", "2023", "111", "", " ", "abc", "1", "2", "3", "12", "13", "0", "112年3月", "一月", "政風處", "人事處",
          "新竹縣政府政風處", "王小明", "warning_cases", "infosec_audits", "預警案件數", "採購稽核案件數", "nope",
          "1.0", "21,288", "-1", "0.5", "1e3", "３", "NaN", "=1+1", "x\ny", '"', 'a"b']
_ENDINGS = ["\r\n", "\n", "\r"]


def _field(text: str, quote: bool) -> str:
    if quote or any(mark in text for mark in ",\r\n"):
        return '"' + text.replace('"', '""') + '"'
    return text  # a stray quote (a"b) left as written: both readers must take it the same way


@st.composite
def _random_csv(draw) -> bytes:
    header = draw(st.sampled_from(_HEADERS))
    width = header.count(",") + 1
    lines = [title for title in draw(st.lists(st.sampled_from(_TITLES), max_size=2)) if title]
    lines.append(header)
    for _ in range(draw(st.integers(0, 8))):
        count = draw(st.sampled_from([width, width, width, width - 1, width + 1, 1]))
        cells = [_field(draw(st.sampled_from(_CELLS)), draw(st.booleans())) for _ in range(max(count, 0))]
        lines.append(",".join(cells))
    ending = draw(st.sampled_from(_ENDINGS))
    return (ending.join(lines) + draw(st.sampled_from([ending, ""]))).encode("utf-8")


_VALID = {  # cells each role accepts, so that most random files are read and their frames compared
    "年度": ["112", "2023", "", "１１２", " 112 "], "year": ["112"],
    "月份": ["1", "03", "12", "3月", "112年3月", "一月"], "month": ["2", "11"],
    "單位": ["政風處", "人事處", "新竹縣政府政風處", ""], "unit": ["政風處"],
    "項目代碼": ["warning_cases", "infosec_audits", "procurement_audits", "WARNING_CASES"],
    "field": ["warning_cases", "infosec_audits"],
    "項目名稱": ["預警案件數", "資通安全稽核件數", ""],
    "數值": ["1", "1.0", "0", "21,288", "0.5", "3", ""], "value": ["2", "2.00"],
}
_MONTH_VALUES = ["1", "2", "1.0", "", "", "0", "7"]


@st.composite
def _mostly_valid_csv(draw) -> bytes:
    header = draw(st.sampled_from(_HEADERS))
    names = header.split(",")
    lines = [title for title in draw(st.lists(st.sampled_from(["", "單位：政風處", "年度：112", "單位：千元"]),
                                              max_size=2)) if title]
    lines.append(header)
    for _ in range(draw(st.integers(1, 10))):
        cells = []
        for name in names:
            pool = _VALID.get(name, _MONTH_VALUES)
            text = draw(st.sampled_from(_CELLS)) if draw(st.integers(0, 19)) == 0 else draw(st.sampled_from(pool))
            cells.append(_field(text, draw(st.integers(0, 4)) == 0))
        lines.append(",".join(cells))
    ending = draw(st.sampled_from(_ENDINGS))
    return (ending.join(lines) + ending).encode("utf-8")


EITHER_WAY = settings(max_examples=200, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])


def _read_the_same(data: bytes, filename: str = "月報.csv") -> None:
    with pytest.MonkeyPatch.context() as monkeypatch:
        fast, slow, _answered = _both(data, monkeypatch, filename)
    _same(fast, slow)


@EITHER_WAY
@given(data=st.one_of(_random_csv(), _mostly_valid_csv()))
def test_random_tables_read_the_same_either_way(data):
    _read_the_same(data)


# The same tables as worksheets: numbers typed as numbers, the rest as text.

def _typed(text: str) -> object:
    try:
        number = float(text)
    except ValueError:
        return text
    return int(number) if number.is_integer() and "." not in text and "e" not in text.lower() else number


def _workbook(data: bytes, typed: bool = True, extra: object = None) -> bytes:
    import csv
    import io

    import openpyxl

    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "長表"
    text = data.decode("utf-8")
    for record in csv.reader(io.StringIO(text, newline="")):
        sheet.append([_typed(cell) if typed else cell for cell in record])
    if extra is not None:
        sheet.cell(row=sheet.max_row, column=5, value=extra)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _as(kind: str, data: bytes) -> tuple[bytes, str]:
    return (data, "月報.csv") if kind == "csv" else (_workbook(data), "月報.xlsx")


NOT_IN_A_WORKBOOK = {"long, tab separated", "long, CR line endings"}  # ways of writing text, not cells


@pytest.mark.parametrize("name, kind", [(name, kind) for name in ACCEPTED for kind in ("csv", "xlsx")
                                         if kind == "csv" or name not in NOT_IN_A_WORKBOOK])
def test_accepted_files_read_column_wise_give_the_same_frame(name, kind, monkeypatch):
    data, filename = _as(kind, ACCEPTED[name])
    fast, slow, answered = _both(data, monkeypatch, filename)
    assert fast[0] == "frame", fast
    _same(fast, slow)
    assert answered, "the column-wise reader should have read this file itself"


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
@pytest.mark.parametrize("name", REFUSED)
def test_refused_files_give_the_row_by_row_messages(name, kind, monkeypatch):
    data, filename = _as(kind, REFUSED[name])
    fast, slow, _answered = _both(data, monkeypatch, filename)
    if kind == "csv":  # a worksheet keeps 21 and 288 in separate cells: there, a thousands comma is no problem
        assert fast[0] == "refused", fast
    _same(fast, slow)


@pytest.mark.parametrize("extra", [True, False, 1, 1.0, "1", 0.5])
def test_a_true_false_cell_is_left_to_the_row_by_row_reader(extra, monkeypatch):
    data = _csv(HEADER, "112,1,政風處,warning_cases,1", "112,2,政風處,warning_cases,1")
    fast, slow, answered = _both(_workbook(data, extra=extra), monkeypatch, "月報.xlsx")
    _same(fast, slow)
    assert answered is (type(extra) is not bool)


@EITHER_WAY
@given(data=_mostly_valid_csv(), typed=st.booleans())
def test_random_worksheets_read_the_same_either_way(data, typed):
    _read_the_same(_workbook(data, typed), "月報.xlsx")


def test_a_field_longer_than_the_csv_module_reads_is_refused_either_way(monkeypatch):
    rows = [HEADER + ",備註", *["112,1,政風處,warning_cases,3,ok"] * 35, "112,2,政風處,warning_cases,3," + "x" * 200_000]
    fast, slow, answered = _both(_csv(*rows), monkeypatch)
    assert fast[0] == "refused" and not answered
    _same(fast, slow)


def test_a_month_naming_year_0_is_refused_either_way(monkeypatch):
    fast, slow, _answered = _both(_csv(HEADER, "112,00年1月,政風處,warning_cases,3"), monkeypatch)
    assert fast[0] == "refused"
    _same(fast, slow)


@pytest.mark.parametrize("value", ["1e3", "1234567890.123456789", "01", "3"])
def test_a_column_of_numbers_only_is_read_as_written(value, monkeypatch):
    """Month headers 1, 2 make whole columns of numbers, which pandas would read as floats (1e3 as 1000, a long
    decimal rounded): those columns go to the row-by-row reader, which reads each cell as written."""
    fast, slow, answered = _both(_csv("項目代碼,1,2", f"procurement_audits,{value},4"), monkeypatch)
    _same(fast, slow)
    assert not answered


def test_the_first_rows_of_a_random_table_as_csv_need_text_categories(monkeypatch):
    fast, slow, _answered = _both(_csv("項目代碼,1"), monkeypatch)  # found by tests/test_reading_fuzz.py
    _same(fast, slow)
