"""read_any: every accepted kind of file through one entry point, hand-counted; unrecognizable files;
column mappings remembered in the store; nothing identifying ever reaches the database."""

from __future__ import annotations

from decimal import Decimal

import pytest
import sqlalchemy as sa

from metrics.intake import sources
from metrics.errors import InputError
from metrics.intake.exports import ExportOptions, MappingNeeded
from synthetic_exports import csv_bytes, xlsx_bytes
from catalogues import CATALOGUE, PLAN_112
from metrics.intake.sources import (KIND_LABELS, REMEMBERED_NOTE, KindNeeded, logical_names, mapping_choices, mapping_problems,
                             mapping_reason, read_any, remember_mapping, remembered_mapping)
from metrics.store import Store
from metrics.outputs.template import build_template

DOC_HEADER = ["文號", "收發別", "收文日期", "發文日期", "創稿日期", "交換方式", "簽核方式", "密等", "主旨", "承辦人"]
DOC_TITLES = [["新竹縣政府政風處 公文清單"], ["查詢期間：112/01/01-112/02/28"]]
DOC_ROWS = [  # sheet rows 4..8
    ["府政字第1120000001號", "發文", None, "112/01/05", None, "電子交換", None, "普通", "函覆議員質詢", "王大明"],
    ["府政字第1120000002號", "發文", None, "112/02/15", None, "紙本", None, "普通", "寄送公告", "陳美玲"],
    ["府收字第1120000003號", "收文", "112/01/10", None, None, "電子交換", "線上簽核", "普通", "陳情案", "林志強"],
    ["府收字第1120000004號", "收文", "112/02/14", None, None, "紙本", "線上簽核", "密", "人事案", "張淑芬"],
    ["府簽字第1120000005號", "創稿", None, None, "112/02/20", None, "紙本簽核", "普通", "會議紀錄", "李建宏"],
]
# 1月: 發文 1 件（電子）；電子收文 1 件（線上簽核）。2月: 發文 1 件（紙本）；紙本收文線上簽核 1 件（密件）；創稿 1 件（紙本簽核）。
DOC_EXPECTED = {
    "edoc_sent_total": {1: 1, 2: 1},
    "edoc_sent_electronic": {1: 1, 2: 0},
    "edoc_received_electronic": {1: 1, 2: 0},
    "paper_received_signed_online": {1: 0, 2: 1},
    "self_created_drafts": {1: 0, 2: 1},
    "online_signed": {1: 1, 2: 1},
}

ROSTER_HEADER = ["姓名", "身分證字號", "人員類別", "到職日期", "離職日期", "客語認證級別", "客語認證通過日期"]
ROSTER_TITLE = ["新竹縣政府政風處 人員名冊（資料日期：截至112年3月31日）"]
ROSTER_ROWS = [
    ["王大明", "A123456789", "公務人員", "100/08/01", None, "初級", "111/05/01"],  # all year, certified
    ["陳美玲", "B223456789", "約僱人員", "112/02/15", None, None, None],  # from February, not certified
    ["林志強", "C123456780", "臨時人員", "110/01/01", None, "中級", "110/01/01"],  # 臨時人員 are not counted
]
ROSTER_EXPECTED = {"staff_headcount": {1: 1, 2: 2, 3: 2}, "hakka_certified": {1: 1, 2: 1, 3: 1}}

LEDGER_TITLES = [["新竹縣政府政風處 112年度歲出預算執行表"], ["112年1月至10月", None, None, None, None, None, "單位：元"]]
LEDGER_HEADER = ["科目代碼", "科目名稱", "預算數", "累計實支數", "應付數", "節餘數", "控留數"]
LEDGER_ROWS = [["5", "一般行政", "10,000,000", "7,000,500", "200,000", "50,000", "100,000"]]
# 元 → 千元, as of October
LEDGER_EXPECTED = {"budget_amount": {10: Decimal(10000)}, "actual_spent": {10: Decimal("7000.5")},
                   "payables": {10: Decimal(200)}, "savings": {10: Decimal(50)}, "reserved": {10: Decimal(100)}}

CASE_HEADER = ["案號", "案件類別", "案由", "陳情人", "辦理日期", "結案日期"]
CASE_ROWS = [
    ["112001", "預警", "工程延宕", "", "112/01/05", "112/02/10"],  # counted when completed: February
    ["112002", "採購稽核", "", "", "112/01/15", "112/03/01"],  # counted when held: January
    ["112003", "陳情檢舉", "噪音陳情", "王大明", "112/01/03", "112/01/25"],  # completed in January
    ["112004", "陳情檢舉", "違法兼職", "陳美玲", "112/02/01", None],  # still open: not counted
]
CASE_EXPECTED = {"warning_cases": {1: 0, 2: 1}, "procurement_audits": {1: 1, 2: 0},
                 "complaints_completed": {1: 1, 2: 0}, **{code: {1: 0, 2: 0} for code in (
                     "infosec_audits", "pinhole_inspections", "harassment_courses", "gender_analyses",
                     "gender_impact_reviews")}}

# Everything in the fixtures that identifies a person or a case: none of it may reach the database.
IDENTIFYING = ["王大明", "陳美玲", "林志強", "張淑芬", "李建宏", "A123456789", "B223456789", "C123456780",
               "A12", "府政字", "府收字", "1120000001", "1120000004", "函覆議員質詢", "陳情案", "人事案", "會議紀錄",
               "工程延宕", "噪音陳情", "違法兼職", "112001", "112004"]

ODD_HEADER = ["文號", "方向", "收文日期", "發文日期", "創稿日期", "交換方式", "簽核方式", "密等", "主旨", "承辦人"]


def values_of(frame) -> dict[str, dict[int, Decimal]]:
    found: dict[str, dict[int, Decimal]] = {}
    for code, month, value in zip(frame["field"], frame["month"], frame["value"]):
        found.setdefault(code, {})[int(month)] = value
    return found


def long_csv(rows: list[tuple[int, str, int]]) -> bytes:
    lines = ["年度,月份,單位,項目代碼,數值", *(f"112,{month},政風處,{code},{value}" for month, code, value in rows)]
    return ("\n".join(lines) + "\n").encode("utf-8")


def long_xlsx(rows: list[tuple[int, str, int]]) -> bytes:
    return xlsx_bytes([["年度", "月份", "單位", "項目代碼", "數值"], *((112, month, "政風處", code, value)
                                                                for month, code, value in rows)])


def template(values: dict[tuple[str, int], int]) -> bytes:
    return build_template(PLAN_112, values={key: Decimal(value) for key, value in values.items()})


def wide_csv() -> bytes:
    return "項目代碼,項目名稱,1月,2月\nprocurement_audits,採購稽核案件數,3,\n".encode("cp950")


def document_log(kind: str = "xlsx", header=DOC_HEADER, rows=DOC_ROWS) -> bytes:
    table = [*DOC_TITLES, header, *rows]
    return xlsx_bytes(table, sheet="公文清單") if kind == "xlsx" else csv_bytes(table, encoding="cp950")


def roster(title: bool = True) -> bytes:
    return csv_bytes([*([ROSTER_TITLE] if title else []), ROSTER_HEADER, *ROSTER_ROWS], encoding="cp950")


FILES = {
    "template, one month": (lambda: template({("procurement_audits", 1): 11}), "112-01.xlsx", "template",
                            {"procurement_audits": {1: 11}}),
    "template, two months": (lambda: template({("procurement_audits", 1): 11, ("warning_cases", 2): 0}), "q.xlsx",
                             "template", {"procurement_audits": {1: 11}, "warning_cases": {2: 0}}),
    "template saved as CSV": (wide_csv, "wide.csv", "template", {"procurement_audits": {1: 3}}),
    "long CSV, one month": (lambda: long_csv([(3, "procurement_audits", 12), (3, "warning_cases", 1)]), "long.csv",
                            "long", {"procurement_audits": {3: 12}, "warning_cases": {3: 1}}),
    "long xlsx, two months": (lambda: long_xlsx([(1, "infosec_audits", 1), (2, "infosec_audits", 0)]), "long.xlsx",
                              "long", {"infosec_audits": {1: 1, 2: 0}}),
    "document log xlsx": (document_log, "公文清單.xlsx", "document_log", DOC_EXPECTED),
    "document log CP950 CSV": (lambda: document_log("csv"), "公文清單.csv", "document_log", DOC_EXPECTED),
    "roster": (roster, "名冊.csv", "roster", ROSTER_EXPECTED),
    "ledger": (lambda: xlsx_bytes([*LEDGER_TITLES, LEDGER_HEADER, *LEDGER_ROWS]), "執行表.xlsx", "ledger",
               LEDGER_EXPECTED),
    "case log": (lambda: xlsx_bytes([CASE_HEADER, *CASE_ROWS]), "案件.xlsx", "case_log", CASE_EXPECTED),
}


@pytest.mark.parametrize(("make", "name", "kind", "expected"), FILES.values(), ids=list(FILES))
def test_every_kind_of_file_reads_through_one_entry_point(make, name, kind, expected) -> None:
    read = read_any(make(), name, CATALOGUE, year=112, unit="政風處")
    assert (read.kind, read.label) == (kind, KIND_LABELS[kind])
    assert values_of(read.frame) == expected
    assert set(read.frame["source_file"]) == {name}
    assert read.is_export == (kind not in ("template", "long"))
    assert (read.preview is not None) == read.is_export
    assert not read.remembered


@pytest.mark.parametrize(("kind", "label"), [
    ("template", "月報範本"), ("long", "長表"), ("document_log", "公文清單（公文管理系統匯出）"),
    ("roster", "人事名冊（人事系統匯出）"), ("ledger", "歲出預算執行表（會計系統匯出）"), ("case_log", "政風案件紀錄"),
])
def test_labels(kind: str, label: str) -> None:
    assert KIND_LABELS[kind] == label


def test_an_exports_rows_notes_and_masked_preview() -> None:
    read = read_any(document_log(), "公文清單.xlsx", CATALOGUE, year=112, unit="政風處")
    assert (read.rows_read, read.rows_used) == (5, 5)
    assert read.notes == ["讀取 5 列資料，計入 5 列。", "資料涵蓋 112年1月至2月；其間沒有資料的月份以 0 計。"]
    assert read.applied == ()
    assert "主旨" not in read.preview.columns and "承辦人" not in read.preview.columns
    assert len(read.preview) == 5
    cells = dict(zip(zip(read.frame["field"], read.frame["month"]), read.frame["source_cell"]))
    assert cells[("edoc_sent_total", 1)] == "第 4 列（1 筆）"  # provenance: the rows a figure came from


@pytest.mark.parametrize(("options", "applied", "online_february", "paper_february"), [
    (ExportOptions(), (), 1, 1),
    (ExportOptions(exclude_confidential_from_signoff=True), ("密件不計入線上簽核比率（排除 1 列）",), 0, 0),
])
def test_exclusions_reach_the_export_reader(options, applied, online_february, paper_february) -> None:
    read = read_any(document_log(), "公文清單.xlsx", CATALOGUE, year=112, unit="政風處", options=options)
    assert read.applied == applied
    values = values_of(read.frame)
    assert (values["online_signed"][2], values["paper_received_signed_online"][2]) == (online_february,
                                                                                      paper_february)


@pytest.mark.parametrize(("month", "expected"), [
    (2, {"staff_headcount": {1: 1, 2: 2}, "hakka_certified": {1: 1, 2: 1}}),
    (3, ROSTER_EXPECTED),
])
def test_a_roster_without_a_date_takes_the_month_given(month: int, expected) -> None:
    with pytest.raises(InputError, match="請在上傳時選擇資料月份"):
        read_any(roster(title=False), "名冊.csv", CATALOGUE, year=112, unit="政風處")
    assert values_of(read_any(roster(title=False), "名冊.csv", CATALOGUE, year=112, unit="政風處", month=month).frame) == expected


def test_progress_is_reported_to_the_end() -> None:
    for data, name in ((document_log(), "公文清單.xlsx"), (long_csv([(1, "warning_cases", 1)]), "long.csv")):
        reports: list[float] = []
        read_any(data, name, CATALOGUE, year=112, unit="政風處", progress=lambda fraction, message: reports.append(fraction))
        assert reports[-1] == 1.0 and reports == sorted(reports)


@pytest.mark.parametrize(("data", "name", "fragments", "refused"), [
    (b"a,b,c\n1,2,3\n", "x.csv", ["「a」、「b」、「c」"], KindNeeded),  # headers to map: the kind is asked for
    (xlsx_bytes([["會議紀錄"], ["出席", "請假"], ["3", "1"]]), "會議.xlsx", ["「出席」、「請假」"], KindNeeded),
    (b"", "empty.csv", [], InputError),  # nothing to map a column from
])
def test_an_unrecognizable_file_says_what_was_expected(data: bytes, name: str, fragments: list[str],
                                                       refused: type) -> None:
    with pytest.raises(refused) as caught:
        read_any(data, name, CATALOGUE, year=112, unit="政風處")
    text = str(caught.value)
    assert f"檔案「{name}」" in text
    if data:
        assert "既不是月報範本或長表，也不是可辨識的系統匯出" in text
        for expected in ["項目代碼", "年度、月份、單位、項目代碼、數值", "公文清單（公文管理系統匯出）要有「收發別」、「交換方式」",
                         "人事名冊", "歲出預算執行表", "政風案件紀錄", *fragments]:
            assert expected in text
    assert "Traceback" not in text


def test_a_template_with_a_bad_value_keeps_the_templates_own_message() -> None:
    data = "年度,月份,單位,項目代碼,數值\n112,3,政風處,warning_cases,abc\n".encode()
    with pytest.raises(InputError) as caught:
        read_any(data, "壞檔.csv", CATALOGUE, year=112, unit="政風處")
    assert caught.value.problems[0].cell == "E2"
    assert "系統匯出" not in str(caught.value)


def test_a_large_file_recognized_as_an_export_skips_the_template_reader(monkeypatch) -> None:
    monkeypatch.setattr(sources, "QUICK_TEMPLATE_BYTES", 0)
    calls: list[str] = []
    real = sources.read_table
    monkeypatch.setattr(sources, "read_table",
                        lambda data, name, catalogue, **period: calls.append(name) or real(data, name, catalogue, **period))
    assert read_any(document_log(), "公文清單.xlsx", CATALOGUE, year=112, unit="政風處").kind == "document_log"
    assert calls == []
    assert read_any(template({("warning_cases", 1): 1}), "t.xlsx", CATALOGUE, year=112, unit="政風處").kind == "template"  # not an export: read as one
    assert calls == ["t.xlsx"]


def test_a_file_over_the_template_limit_is_only_tried_as_an_export(monkeypatch) -> None:
    monkeypatch.setattr(sources, "TEMPLATE_MAX_BYTES", 100)
    assert read_any(document_log(), "公文清單.xlsx", CATALOGUE, year=112, unit="政風處").kind == "document_log"
    with pytest.raises(KindNeeded, match="不會是月報範本或長表"):  # still a choice: it may be an export to map
        read_any(template({("warning_cases", 1): 1}), "t.xlsx", CATALOGUE, year=112, unit="政風處")
    assert "不會是月報範本" in str(sources.kind_problems(template({("warning_cases", 1): 1}), "t.xlsx", "template",
                                                         CATALOGUE)[0])


def odd_log() -> bytes:
    return document_log("csv", header=ODD_HEADER)


def test_a_mapping_is_asked_for_then_remembered(tmp_path) -> None:
    store = Store(f"sqlite:///{tmp_path / 'kpi.sqlite3'}")
    with pytest.raises(MappingNeeded) as caught:
        read_any(odd_log(), "odd.csv", CATALOGUE, year=112, unit="政風處", store=store)
    needed = caught.value
    assert (needed.source, needed.source_guess) == (None, "document_log")
    assert "方向" in needed.headers and "kind" in needed.missing
    assert mapping_reason(needed) == ("無法判斷這是哪一種系統匯出（公文清單、人事名冊、歲出預算執行表或政風案件紀錄）；"
                                      "找不到「收發別」欄。")
    assert remembered_mapping(store, needed, year=112, unit="政風處") is None

    assert remember_mapping(store, needed, {"kind": "方向"}, year=112, unit="政風處") == "document_log"
    assert store.load_mapping("document_log", needed.signature, year=112, unit="政風處") == {"kind": "方向"}
    read = read_any(odd_log(), "odd.csv", CATALOGUE, year=112, unit="政風處", store=store)
    assert read.remembered and read.notes[0] == f"{REMEMBERED_NOTE}（公文清單（公文管理系統匯出））。"
    assert values_of(read.frame) == DOC_EXPECTED
    assert read.mapping["kind"] == "方向"
    with pytest.raises(MappingNeeded):
        read_any(odd_log(), "odd.csv", CATALOGUE, year=112, unit="政風處")  # without the store nothing is remembered


def test_a_mapping_saved_for_another_kind_is_found(tmp_path) -> None:
    store = Store(f"sqlite:///{tmp_path / 'kpi.sqlite3'}")
    with pytest.raises(MappingNeeded) as caught:
        read_any(odd_log(), "odd.csv", CATALOGUE, year=112, unit="政風處")
    store.save_mapping("case_log", caught.value.signature, {"case_type": "方向"}, year=112, unit="政風處")
    assert remembered_mapping(store, caught.value, year=112, unit="政風處") == ("case_log", {"case_type": "方向"})
    assert remembered_mapping(store, caught.value, "document_log", year=112, unit="政風處") is None


@pytest.mark.parametrize(("mapping", "source"), [
    ({"kind": "方向"}, None),
    ({"收發別": "方向"}, None),  # the Chinese label works as well
    ({"kind": "方向", "status": None}, "document_log"),
])
def test_an_explicit_mapping_reads_at_once(mapping, source) -> None:
    read = read_any(odd_log(), "odd.csv", CATALOGUE, year=112, unit="政風處", mapping=mapping, source=source)
    assert read.kind == "document_log" and values_of(read.frame) == DOC_EXPECTED


@pytest.mark.parametrize(("mapping", "fragments"), [
    ({}, ["請指定「收發別」對應的標題"]),  # the rest is matched automatically
    ({"kind": "方向", "exchange": None}, ["請指定「交換方式」對應的標題"]),
    ({"kind": "方向", "exchange": "交換方式", "received_date": None, "sent_date": None, "created_date": None},
     ["至少需要指定「收文日期」或「發文日期」或「創稿日期」或「日期」其中一欄"]),
    ({"kind": "方向", "exchange": "方向", "received_date": "收文日期"}, ["標題「方向」被指定給多個欄位（收發別、交換方式）"]),
    ({"kind": "沒有這欄", "exchange": "交換方式", "received_date": "收文日期"}, ["標題「沒有這欄」不在檔案的標題列中"]),
    ({"kind": "方向", "exchange": "交換方式", "received_date": "收文日期", "color": "密等"}, ["「color」不是公文清單"]),
])
def test_a_wrong_mapping_is_refused_before_it_is_saved(tmp_path, mapping, fragments) -> None:
    store = Store(f"sqlite:///{tmp_path / 'kpi.sqlite3'}")
    with pytest.raises(MappingNeeded) as caught:
        read_any(odd_log(), "odd.csv", CATALOGUE, year=112, unit="政風處")
    with pytest.raises(InputError) as refused:
        remember_mapping(store, caught.value, mapping, year=112, unit="政風處")
    for fragment in fragments:
        assert fragment in str(refused.value)
    assert remembered_mapping(store, caught.value, year=112, unit="政風處") is None


def test_mapping_choices_for_the_guessed_and_for_another_kind() -> None:
    with pytest.raises(MappingNeeded) as caught:
        read_any(odd_log(), "odd.csv", CATALOGUE, year=112, unit="政風處")
    guessed = mapping_choices(caught.value)
    assert guessed.source == "document_log"
    assert guessed.required == {"kind": "收發別", "exchange": "交換方式"}
    assert (guessed.guesses["kind"], guessed.guesses["exchange"], guessed.guesses["status"]) == (None, "交換方式", None)
    assert guessed.headers == tuple(ODD_HEADER)
    other = mapping_choices(caught.value, "case_log")
    assert other.required == {"case_type": "案件類別"}
    assert other.one_of == (("completed_date", "held_date"),)
    assert other.guesses["case_number"] == "文號"


@pytest.mark.parametrize(("mapping", "expected"), [
    ({"kind": "A", "交換方式": "B", "status": ""}, {"kind": "A", "exchange": "B", "status": None}),
    ({}, {}),
])
def test_logical_names_accept_codes_and_labels(mapping, expected) -> None:
    assert logical_names("document_log", mapping) == expected


def test_logical_names_refuse_an_unknown_column() -> None:
    with pytest.raises(InputError, match="「種類」不是公文清單.*可用：doc_number（文號）"):
        logical_names("document_log", {"種類": "A"})


def test_mapping_problems_of_a_complete_mapping_are_none() -> None:
    assert mapping_problems("roster", {"category": "類別", "start": "到職", "hakka_level": "客語"},
                            ["類別", "到職", "客語"]) == []


def dump_database(url: str) -> str:
    engine = sa.create_engine(url)
    texts = []
    with engine.connect() as connection:
        for table in sa.inspect(engine).get_table_names():
            for row in connection.execute(sa.text(f'SELECT * FROM "{table}"')):
                texts.extend(str(value) for value in row)
    engine.dispose()
    return "\n".join(texts)


def test_nothing_identifying_is_stored(tmp_path) -> None:
    url = f"sqlite:///{tmp_path / 'kpi.sqlite3'}"
    store = Store(url)
    files = [(document_log(), "公文清單.xlsx"), (roster(), "名冊.csv"), (xlsx_bytes([CASE_HEADER, *CASE_ROWS]), "案件.xlsx")]
    reads = [read_any(data, name, CATALOGUE, year=112, unit="政風處") for data, name in files]
    with pytest.raises(MappingNeeded) as caught:
        read_any(odd_log(), "odd.csv", CATALOGUE, year=112, unit="政風處")
    remember_mapping(store, caught.value, {"kind": "方向"}, year=112, unit="政風處")
    reads.append(read_any(odd_log(), "odd.csv", CATALOGUE, year=112, unit="政風處", store=store))
    store.ingest_many([(read.frame, name, data) for read, (data, name) in zip(reads, [*files, (odd_log(), "odd.csv")])])
    text = dump_database(url)
    assert "公文清單.xlsx" in text and "第 4 列（1 筆）" in text  # the provenance is there
    leaked = [word for word in IDENTIFYING if word in text]
    assert leaked == []


def test_a_mapping_meant_for_an_export_leaves_a_template_alone() -> None:
    read = read_any(template({("warning_cases", 1): 1}), "t.xlsx", CATALOGUE, year=112, unit="政風處", mapping={"kind": "方向"})
    assert read.kind == "template"
    with pytest.raises(InputError, match="請同時指定資料種類"):
        read_any(b"a,b,c\n1,2,3\n", "x.csv", CATALOGUE, year=112, unit="政風處", mapping={"kind": "a"})


@pytest.mark.parametrize(("files", "kept", "repeated"), [
    ([], [], []),
    ([("a.csv", b"1")], ["a.csv"], []),
    ([("a.csv", b"1"), ("a.csv", b"1")], ["a.csv"], [("a.csv", "a.csv")]),  # the same file chosen twice
    ([("a.csv", b"1"), ("b.csv", b"2"), ("a (1).csv", b"1"), ("c.csv", b"1")], ["a.csv", "b.csv"],
     [("a (1).csv", "a.csv"), ("c.csv", "a.csv")]),
    ([("a.csv", b"1"), ("a.csv", b"2")], ["a.csv", "a.csv"], []),  # same name, other content: both read
])
def test_distinct_files(files, kept, repeated) -> None:
    from metrics.intake.selection import distinct_files

    found, skipped = distinct_files(files)
    assert [upload.name for upload in found] == kept and skipped == repeated


def test_repeated_text() -> None:
    from metrics.intake.selection import repeated_text

    assert repeated_text([("a.csv", "a.csv"), ("b.csv", "a.csv")]) == (
        "已略過重複選取的檔案：「a.csv」（選取了兩次）、「b.csv」（與「a.csv」內容相同）；每個檔案只讀取與儲存一次。")
