"""人事名冊 → staff_headcount and hakka_certified on every month's last day, hand-counted."""

from __future__ import annotations

import datetime as dt

import pytest

from catalogues import PLAN_112
from metrics.errors import InputError
from metrics.intake.exports import ExportOptions, read_export
from synthetic_exports import csv_bytes, xlsx_bytes

HEADER = ["姓名", "身分證字號", "人員類別", "到職日期", "離職日期", "客語認證級別", "客語認證通過日期"]
PEOPLE = [
    ["王大明", "A123456789", "公務人員", "100/08/01", None, "初級", "111/05/01"],  # all year, certified
    ["陳美玲", "B223456789", "約僱人員", dt.date(2023, 3, 15), None, "中級", "1120410"],  # from Mar, certified from Apr
    ["林志強", "C123456780", "聘用人員", "105.01.01", "112/04/30", "基礎級", None],  # Jan–Mar; level without date
    ["張淑芬", "D223456780", "臨時人員", "110/01/01", None, "中級", "110/01/01"],  # never counted
    ["李建宏", "E123456781", "技工", "109/01/01", None, None, None],  # never counted
    ["黃美華", "F223456782", "公務人員", "中華民國112年1月31日", None, "無", None],  # from Jan, not certified
    ["周子豪", "G123456783", "公務人員", "2023-06-30", None, "中高級", "2023/06/30"],  # Jun, certified Jun
    ["王大明", "A123456789", "公務人員", "100/08/01", None, "初級", "111/05/01"],  # the same person again
]
TITLE = ["新竹縣政府政風處 人員名冊（資料日期：截至112年6月30日）"]
HEADCOUNT = {1: 3, 2: 3, 3: 4, 4: 3, 5: 3, 6: 4}
CERTIFIED = {1: 2, 2: 2, 3: 2, 4: 2, 5: 2, 6: 3}


def values_of(frame) -> dict[str, dict[int, int]]:
    found: dict[str, dict[int, int]] = {}
    for code, month, value in zip(frame["field"], frame["month"], frame["value"]):
        found.setdefault(code, {})[int(month)] = int(value)
    return found


def roster(kind: str = "xlsx", people=PEOPLE, title=TITLE, header=HEADER) -> tuple[bytes, str]:
    rows = [title, header, *people] if title else [header, *people]
    if kind == "xlsx":
        return xlsx_bytes(rows, sheet="名冊"), "名冊.xlsx"
    return csv_bytes([[value.isoformat() if isinstance(value, dt.date) else value for value in row]
                      for row in rows], encoding="cp950"), "名冊.csv"


@pytest.mark.parametrize("kind", ["xlsx", "csv"])
def test_month_end_counts_follow_joining_leaving_and_passing(kind: str) -> None:
    data, name = roster(kind)
    result = read_export(data, name, PLAN_112)
    assert result.source == "roster"
    assert values_of(result.frame) == {"staff_headcount": HEADCOUNT, "hakka_certified": CERTIFIED}
    assert result.months == (1, 2, 3, 4, 5, 6)
    assert any("1 人在名冊中出現多列" in note for note in result.notes)


@pytest.mark.parametrize(("month", "months"), [(3, (1, 2, 3)), (12, tuple(range(1, 13)))])
def test_callers_month_overrides_the_title(month: int, months: tuple[int, ...]) -> None:
    data, name = roster()
    result = read_export(data, name, PLAN_112, month=month)
    assert result.months == months
    assert values_of(result.frame)["staff_headcount"][3] == 4


@pytest.mark.parametrize(("title", "words"), [
    (None, "無法從名冊的標題判斷資料日期"),
    (["人員名冊 截至111年12月31日"], "資料日期為 111年12月，與計畫年度 112 年不符"),
    (["人員名冊 列印日期：112/07/01"], "無法從名冊的標題判斷資料日期"),
])
def test_without_a_data_date_the_month_is_asked_for(title, words: str) -> None:
    data, name = roster(title=title)
    with pytest.raises(InputError) as caught:
        read_export(data, name, PLAN_112)
    assert words in str(caught.value)
    assert read_export(data, name, PLAN_112, month=6).months == (1, 2, 3, 4, 5, 6)


def test_without_ids_each_row_is_one_person_by_name() -> None:
    header = ["姓名", "人員類別", "到職日期", "客語認證級別"]
    people = [["王大明", "公務人員", "100/01/01", "初級"], ["王大明", "公務人員", "100/01/01", "初級"],
              ["陳美玲", "約聘人員", "100/01/01", None]]
    data, name = roster(people=people, header=header)
    assert values_of(read_export(data, name, PLAN_112).frame)["staff_headcount"][6] == 2


def test_without_any_person_key_rows_are_people() -> None:
    header = ["人員類別", "到職日期", "客語認證通過日期"]
    people = [["公務人員", "100/01/01", "110/01/01"], ["公務人員", "100/01/01", None]]
    data, name = roster(people=people, header=header)
    found = values_of(read_export(data, name, PLAN_112).frame)
    assert found["staff_headcount"][1] == 2 and found["hakka_certified"][1] == 1


def test_extra_staff_categories_are_a_setting() -> None:
    people = [["甲", "A100000001", "約用人員(縣款)", "100/01/01", None, "初級", None], *PEOPLE]
    data, name = roster(people=people)
    with pytest.raises(InputError) as caught:
        read_export(data, name, PLAN_112)
    assert "人員類別「約用人員(縣款)」無法辨識" in str(caught.value)
    options = ExportOptions(staff_categories=(("約用人員(縣款)", True),))
    assert values_of(read_export(data, name, PLAN_112, options=options).frame)["staff_headcount"][1] == HEADCOUNT[1] + 1


@pytest.mark.parametrize(("person", "cell", "words"), [
    (["甲", "A100000001", "公務人員", "112/02/30", None, None, None], "D3", "到職日期欄的日期「112/02/30」無法辨識"),
    (["甲", "A100000001", "公務人員", None, None, None, None], "D3", "到職日期空白"),
    (["甲", "A100000001", "公務人員", "112/05/01", "112/04/01", None, None], "E3", "離職日期早於到職日期"),
    (["甲", "A100000001", "", "112/05/01", None, None, None], "C3", "人員類別空白"),
    (["甲", "A100000001", "公務人員", "112/05/01", None, None, "明年"], "G3", "客語認證通過日期欄的內容無法辨識為日期"),
])
def test_a_bad_row_is_named_by_its_cell(person: list, cell: str, words: str) -> None:
    data, name = roster(people=[person, *PEOPLE])
    with pytest.raises(InputError) as caught:
        read_export(data, name, PLAN_112)
    found = [f"{problem.cell}|{problem.message}" for problem in caught.value.problems]
    assert any(item.startswith(cell + "|") and words in item for item in found), found
