"""A file nothing recognizes is never a dead end (issue 20): the user chooses its kind and maps its columns from
the file's headers, shown with example values; the mapping is remembered per unit and header row, so the next
file with the same headers is read without asking, through the one path the page and the command line share.

The files are built here with openpyxl (or as a CP950 CSV) with the headers a new user actually had."""

from __future__ import annotations

import io
from decimal import Decimal

import openpyxl
import pytest

from catalogues import CATALOGUE
from metrics.cli.evaluate import mapping_help
from metrics.errors import InputError
from metrics.intake.exports import MappingNeeded
from metrics.intake.sources import (KIND_NAMES, REMEMBERED_NOTE, Attempt, KindNeeded, attempt, kind_problems,
                             mapping_choices, read_any, remember_mapping, remembered_mapping, with_remembered)
from metrics.store import Store

DOCUMENT_HEADERS = ["收發文日期", "文號", "公文性質", "電子公文 (是/否)", "線上簽核 (Y/N)"]
# One month's letters: (公文性質, 電子公文, 線上簽核); the same twelve in January, February and March.
MONTH_OF_LETTERS = [("收文", "是", "Y"), ("收文", "是", "N"), ("收文", "否", "Y"), ("收文", "否", "N"),
                    ("發文", "是", "Y"), ("發文", "是", "N"), ("發文", "否", "Y"), ("創稿", "否", "Y"),
                    ("創稿", "否", "N"), ("收文", "是", "Y"), ("發文", "是", "Y"), ("簽稿", "否", "Y")]
DOCUMENT_ROWS = [[f"112/{month:02d}/{day + 1:02d}", f"府政字第112{month:02d}{day:04d}號", kind, electronic, signed]
                 for month in (1, 2, 3) for day, (kind, electronic, signed) in enumerate(MONTH_OF_LETTERS)]
DOCUMENT_MAPPING = {"date": "收發文日期", "doc_number": "文號", "kind": "公文性質", "exchange": "電子公文 (是/否)",
                    "sign": "線上簽核 (Y/N)"}
# Each month, by hand from MONTH_OF_LETTERS: 發文 rows 5, 6, 7, 11; electronic among them 5, 6, 11; 收文 electronic
# 1, 2, 10; 收文 on paper signed online 3; 創稿/簽稿 8, 9, 12; signed online among 1, 2, 10, 3, 8, 9, 12: 1, 10, 3, 8, 12.
DOCUMENT_MONTH = {"edoc_sent_total": 4, "edoc_sent_electronic": 3, "edoc_received_electronic": 3,
                  "paper_received_signed_online": 1, "self_created_drafts": 3, "online_signed": 5}
DOCUMENT_EXPECTED = {(month, code): value for month in (1, 2, 3) for code, value in DOCUMENT_MONTH.items()}

CASE_HEADERS = ["流水號", "工作內容", "完成時點", "處理時點"]
CASE_ROWS = [["1", "預警案件", "112/01/10", None],
             ["2", "陳情檢舉", "112/02/03", "112/01/28"],
             ["3", "採購稽核", None, "112/01/20"],
             ["4", "採購稽核", None, "112/03/05"],
             ["5", "性別分析", "112/03/15", None],
             ["6", "預警案件", None, None],  # not yet completed: not counted
             ["7", "廉政宣導", None, "112/02/01"]]  # no indicator counts it
CASE_MAPPING = {"case_number": "流水號", "case_type": "工作內容", "completed_date": "完成時點", "held_date": "處理時點"}
CASE_EXPECTED = {(month, code): 0 for month in (1, 2, 3) for code in (
    "warning_cases", "procurement_audits", "complaints_completed", "infosec_audits", "pinhole_inspections",
    "harassment_courses", "gender_analyses", "gender_impact_reviews")} | {
    (1, "warning_cases"): 1, (2, "complaints_completed"): 1, (1, "procurement_audits"): 1,
    (3, "procurement_audits"): 1, (3, "gender_analyses"): 1}

ROSTER_TITLE = ["人員名冊（截至112年3月31日）"]
ROSTER_HEADERS = ["員工代碼", "員工姓名", "員工屬性", "報到年月日", "離開年月日", "客家語檢定"]
ROSTER_ROWS = [["A001", "王大明", "公務人員", "100/01/01", None, "初級"],
               ["A002", "陳美玲", "約僱人員", "112/02/15", None, None],
               ["A003", "林小華", "臨時人員", "105/05/01", None, "中級"],  # not counted
               ["A004", "張志強", "公務人員", "101/03/01", "112/01/31", None],  # gone by January's end
               ["A005", "李春嬌", "聘用人員", "111/07/01", None, "中高級"]]
ROSTER_MAPPING = {"person_id": "員工代碼", "name": "員工姓名", "category": "員工屬性", "start": "報到年月日",
                  "end": "離開年月日", "hakka_level": "客家語檢定"}
# In service at each month's end: January 王, 李 (張 left on the 31st); February and March also 陳.
# Certified: 王 and 李 have a level and no date, so from the start of the year.
ROSTER_EXPECTED = {(1, "staff_headcount"): 2, (2, "staff_headcount"): 3, (3, "staff_headcount"): 3,
                   (1, "hakka_certified"): 2, (2, "hakka_certified"): 2, (3, "hakka_certified"): 2}


def xlsx(rows: list[list[object]]) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "匯出資料"
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def cp950_csv(rows: list[list[object]]) -> bytes:
    return "\r\n".join(",".join("" if cell is None else str(cell) for cell in row) for row in rows).encode("cp950")


FILES = {
    "公文清單.xlsx": (xlsx([DOCUMENT_HEADERS, *DOCUMENT_ROWS]), "document_log", DOCUMENT_MAPPING, DOCUMENT_EXPECTED),
    "公文清單.csv": (cp950_csv([DOCUMENT_HEADERS, *DOCUMENT_ROWS]), "document_log", DOCUMENT_MAPPING,
                  DOCUMENT_EXPECTED),
    "政風案件.xlsx": (xlsx([CASE_HEADERS, *CASE_ROWS]), "case_log", CASE_MAPPING, CASE_EXPECTED),
    "名冊.xlsx": (xlsx([ROSTER_TITLE, ROSTER_HEADERS, *ROSTER_ROWS]), "roster", ROSTER_MAPPING, ROSTER_EXPECTED),
}
HEADERS = {"公文清單.xlsx": DOCUMENT_HEADERS, "公文清單.csv": DOCUMENT_HEADERS, "政風案件.xlsx": CASE_HEADERS,
           "名冊.xlsx": ROSTER_HEADERS}
# What the form shows next to a header: the first distinct values, personal ones masked as the preview masks them.
SAMPLES = {
    "公文清單.xlsx": {"公文性質": ("收文", "發文", "創稿"), "電子公文 (是/否)": ("是", "否"), "線上簽核 (Y/N)": ("Y", "N"),
                  "文號": ("府政字第******000號", "府政字第******001號", "府政字第******002號")},
    "公文清單.csv": {"公文性質": ("收文", "發文", "創稿"), "電子公文 (是/否)": ("是", "否")},
    "政風案件.xlsx": {"工作內容": ("預警案件", "陳情檢舉", "採購稽核")},
    "名冊.xlsx": {"員工姓名": ("王○明", "陳○玲", "林○華"), "員工屬性": ("公務人員", "約僱人員", "臨時人員")},
}


def values_of(frame) -> dict[tuple[int, str], Decimal]:
    return {(int(month), code): value for month, code, value in zip(frame["month"], frame["field"], frame["value"])}


@pytest.fixture
def store(tmp_path) -> Store:
    return Store(f"sqlite:///{tmp_path / 'kpi.sqlite3'}")


@pytest.mark.parametrize("name", FILES)
def test_an_unrecognized_file_asks_for_its_kind_then_reads_with_the_mapping_remembered(store, name) -> None:
    data, source, mapping, expected = FILES[name]
    with pytest.raises(KindNeeded) as caught:  # not 「無法辨識檔案內容」 alone: a choice
        read_any(data, name, CATALOGUE, year=112, unit="政風處", store=store)
    needed = caught.value
    assert isinstance(needed, MappingNeeded) and needed.source is None and needed.source_guess is None
    assert needed.headers == HEADERS[name]
    assert "既不是月報範本或長表，也不是可辨識的系統匯出" in str(needed)
    for header, examples in SAMPLES[name].items():
        assert needed.samples[header] == examples
    assert "王大明" not in str(needed.samples) and "王大明" not in str(needed)

    choices = mapping_choices(needed, source)  # the form for the kind chosen: every column, the file's headers
    assert choices.headers == tuple(HEADERS[name])
    assert set(choices.required) == {column for column in choices.required}
    assert set(mapping) <= {*choices.required, *choices.optional}
    header = next(iter(SAMPLES[name]))
    assert choices.shown(header) == f"{header}（例：{'、'.join(SAMPLES[name][header])}）"

    assert remember_mapping(store, needed, mapping, year=112, unit="政風處", source=source) == source
    read = read_any(data, name, CATALOGUE, year=112, unit="政風處", store=store)  # the same headers: no question
    assert (read.kind, read.remembered) == (source, True)
    assert read.signature == needed.signature  # what the command line saves after --mapping is what the page looks up
    assert read.notes[0].startswith(REMEMBERED_NOTE)
    assert values_of(read.frame) == expected
    assert read.mapping == {key: value for key, value in mapping.items()
                            if not (source == "roster" and key == "name")}  # the name is unused beside the id

    assert remembered_mapping(store, needed, year=112, unit="人事處") is None  # remembered per unit
    assert remembered_mapping(store, needed, year=112, unit="政風處") == (source, mapping)


@pytest.mark.parametrize(("name", "kind", "words", "sheet", "cell"), [
    ("公文清單.xlsx", "template", "前 30 列中找不到月報範本的標題列", "匯出資料", ""),
    ("公文清單.xlsx", "long", "前 30 列中找不到長表的標題列", "匯出資料", ""),
    ("months.xlsx", "template", "第 2 列有 3 個月份欄，但沒有「項目代碼」或「項目名稱」欄。請在儲存格 A2 寫上", "匯出資料", "A2"),
    ("codes.xlsx", "template", "第 1 列有「項目代碼」欄，但沒有任何月份欄", "匯出資料", "C1"),
    ("long.csv", "long", "第 1 列有「年度」、「月份」、「項目代碼」欄，缺少「數值」欄", "", "E1"),
])
def test_a_file_chosen_as_template_or_long_table_says_why_it_is_not_one(name, kind, words, sheet, cell) -> None:
    files = {**{key: value[0] for key, value in FILES.items()},
             "months.xlsx": xlsx([["說明"], ["指標", "112年1月", "112年2月", "112年3月"], ["預警", 1, 2, 3]]),
             "codes.xlsx": xlsx([["項目代碼", "說明"], ["warning_cases", "x"]]),
             "long.csv": "年度,月份,項目代碼,件數\n112,1,warning_cases,3\n".encode("cp950")}
    problems = kind_problems(files[name], name, kind, CATALOGUE, year=112, unit="政風處")
    assert len(problems) == 1
    problem = problems[0]
    assert words in problem.message and (problem.file, problem.sheet, problem.cell) == (name, sheet, cell)
    assert "請" in problem.message  # the fix is said


def test_a_readable_template_has_no_kind_problem() -> None:
    data = "年度,月份,單位,項目代碼,數值\n112,1,政風處,warning_cases,3\n".encode()
    assert kind_problems(data, "long.csv", "long", CATALOGUE, year=112, unit="政風處") == []


def test_the_kinds_offered_are_the_projects_own_names() -> None:
    assert KIND_NAMES == {"template": "月報範本", "long": "長表", "document_log": "公文清單", "roster": "人事名冊",
                          "ledger": "歲出預算執行表", "case_log": "政風案件紀錄"}


def test_a_file_with_no_word_to_map_stays_refused_with_what_is_accepted() -> None:
    with pytest.raises(InputError, match="既不是月報範本或長表"):
        read_any(xlsx([[1, 2, 3], [4, 5, 6]]), "數字.xlsx", CATALOGUE, year=112, unit="政風處")


def test_the_command_line_says_how_to_choose_the_kind() -> None:
    data = FILES["公文清單.xlsx"][0]
    with pytest.raises(KindNeeded) as caught:
        read_any(data, "公文清單.xlsx", CATALOGUE, year=112, unit="政風處")
    text = mapping_help(caught.value)
    assert "--source" in text and "document_log（公文清單）" in text and "「公文性質」" in text


class CountingStore(dict):
    """A MappingStore that counts look-ups."""

    def __init__(self) -> None:
        super().__init__()
        self.loads = 0

    def save_mapping(self, source: str, signature: str, mapping: dict, *, year: int, unit: str) -> None:
        self[(source, signature, year, unit)] = mapping

    def load_mapping(self, source: str, signature: str, *, year: int, unit: str) -> dict | None:
        self.loads += 1
        return self.get((source, signature, year, unit))


def test_one_path_applies_a_remembered_mapping_for_the_page_and_the_command_line() -> None:
    data = FILES["公文清單.xlsx"][0]
    store = CountingStore()
    reads: list[tuple[str | None, object]] = []

    def read(source, mapping) -> Attempt:  # as the page does it: each read an Attempt (cached there)
        reads.append((source, mapping))
        return attempt(lambda: read_any(data, "公文清單.xlsx", CATALOGUE, year=112, unit="政風處", source=source,
                                        mapping=mapping))

    first = with_remembered(read, store, year=112, unit="政風處")
    assert first.read is None and isinstance(first.needed, KindNeeded) and first.remembered is None
    with pytest.raises(KindNeeded):
        first.result()
    remember_mapping(store, first.needed, DOCUMENT_MAPPING, year=112, unit="政風處", source="document_log")
    reads.clear()
    page = with_remembered(read, store, year=112, unit="政風處")
    assert [source for source, _ in reads] == [None, "document_log"]  # asked once, then read with the mapping
    assert page.read.remembered and page.remembered[1:] == ("document_log", DOCUMENT_MAPPING)
    assert remembered_mapping(store, first.needed, year=112, unit="政風處") == ("document_log", DOCUMENT_MAPPING)
    command_line = read_any(data, "公文清單.xlsx", CATALOGUE, year=112, unit="政風處", store=store)
    assert values_of(command_line.frame) == values_of(page.read.frame) == DOCUMENT_EXPECTED
    assert command_line.notes == page.read.notes


def test_examples_of_a_column_whose_every_value_differs_are_masked() -> None:
    rows = [["工作內容", "完成時點", "陳情者"], ["預警案件", "112/01/10", "王大明"], ["預警案件", "112/01/11", "陳美玲"],
            ["陳情檢舉", "112/01/12", "林小華"], ["陳情檢舉", "112/01/13", "張志強"]]
    with pytest.raises(KindNeeded) as caught:
        read_any(xlsx(rows), "案件.xlsx", CATALOGUE, year=112, unit="政風處")
    assert caught.value.samples == {"工作內容": ("預警案件", "陳情檢舉"),  # repeated values: categories, shown
                                    "完成時點": ("112/01/10", "112/01/11", "112/01/12"),  # dates: shown
                                    "陳情者": ("王*明", "陳*玲", "林*華")}  # all different words: masked
