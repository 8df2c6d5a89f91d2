"""Detecting the source and its columns; asking for a mapping when unsure; remembering it."""

from __future__ import annotations

import pytest

from catalogues import CATALOGUE, PLAN_112
from metrics.errors import InputError
from metrics.intake.exports import SOURCES, MappingNeeded, detect_source, mapping_signature, read_export
from synthetic_exports import csv_bytes, xlsx_bytes


@pytest.mark.parametrize(("headers", "source"), [
    (["文號", "收發別", "收文日期", "發文日期", "交換方式", "簽核方式"], "document_log"),
    (["公文文號", "公文類別", "日期", "是否電子交換", "是否線上簽核", "密等"], "document_log"),
    (["姓名", "身分證字號", "人員類別", "到職日期", "離職日期", "客語認證級別"], "roster"),
    (["員工編號", "身分別", "報到日期", "通過日期"], "roster"),
    (["科目代碼", "科目名稱", "預算數", "累計實支數", "應付數", "節餘數", "控留數"], "ledger"),
    (["科目", "預算數(元)", "實支數(元)"], "ledger"),
    (["案號", "案件類別", "案由", "辦理日期", "結案日期"], "case_log"),
    (["類型", "完成日期"], "case_log"),
    (["品名", "數量", "單價"], None),
    ([], None),
])
def test_detect_source(headers: list[str], source: str | None) -> None:
    assert detect_source(headers) == source


def test_missing_required_column_asks_for_a_mapping_then_accepts_it() -> None:
    rows = [["姓名", "人員類別", "生效日", "客語認證級別"], ["王大明", "公務人員", "112/02/01", "初級"]]
    data = xlsx_bytes([["截至112年3月31日"], *rows])
    with pytest.raises(MappingNeeded) as caught:
        read_export(data, "名冊.xlsx", PLAN_112, source="roster")
    needed = caught.value
    assert needed.source == "roster"
    assert needed.missing == ["start"]
    assert needed.headers == ["姓名", "人員類別", "生效日", "客語認證級別"]
    assert needed.required == {"category": "人員類別", "start": "到職日期"}
    assert needed.guesses["category"] == "人員類別" and needed.guesses["start"] is None
    assert needed.signature == mapping_signature(needed.headers)
    assert "找不到「到職日期」欄" in str(needed) and "王大明" not in str(needed)
    result = read_export(data, "名冊.xlsx", PLAN_112, source="roster", mapping={"start": "生效日"})
    assert result.mapping["start"] == "生效日"
    assert result.signature == needed.signature
    frame = result.frame
    headcount = dict(zip(frame["month"][frame["field"] == "staff_headcount"],
                         frame["value"][frame["field"] == "staff_headcount"]))
    assert headcount == {1: 0, 2: 1, 3: 1}


def test_two_equally_good_headers_are_ambiguous() -> None:
    rows = [["收發別", "發文日期", "交換方式(收文)", "交換方式(發文)"], ["發文", "112/01/05", "", "電子"]]
    with pytest.raises(MappingNeeded) as caught:
        read_export(csv_bytes(rows), "a.csv", PLAN_112)
    assert caught.value.ambiguous == {"exchange": ["交換方式(收文)", "交換方式(發文)"]}
    assert caught.value.source == "document_log"
    result = read_export(csv_bytes(rows), "a.csv", PLAN_112, mapping={"exchange": "交換方式(發文)"})
    assert result.mapping["exchange"] == "交換方式(發文)"
    assert list(result.frame["value"][result.frame["field"] == "edoc_sent_electronic"]) == [1]


def test_unrecognizable_file_asks_for_source_and_mapping() -> None:
    rows = [["公文一覽"], ["編", "別", "收日", "方式", "簽"], ["1", "發文", "112/01/05", "電子", ""]]
    with pytest.raises(MappingNeeded) as caught:
        read_export(csv_bytes(rows), "a.csv", PLAN_112)
    assert caught.value.source is None
    assert caught.value.headers == ["編", "別", "收日", "方式", "簽"]
    mapping = {"kind": "別", "sent_date": "收日", "exchange": "方式", "sign": None}
    result = read_export(csv_bytes(rows), "a.csv", PLAN_112, source="document_log", mapping=mapping)
    assert result.mapping == {"kind": "別", "sent_date": "收日", "exchange": "方式"}


@pytest.mark.parametrize(("mapping", "words"), [
    ({"nonsense": "收發別"}, "不是公文清單（公文管理系統匯出）的欄位"),
    ({"kind": "不存在的欄"}, "標題「不存在的欄」不在檔案的標題列中"),
])
def test_a_wrong_mapping_is_an_input_error(mapping: dict, words: str) -> None:
    rows = [["收發別", "發文日期", "交換方式"], ["發文", "112/01/05", "電子"]]
    with pytest.raises(InputError) as caught:
        read_export(csv_bytes(rows), "a.csv", PLAN_112, source="document_log", mapping=mapping)
    assert words in str(caught.value)


def test_unknown_source_name() -> None:
    with pytest.raises(InputError):
        read_export(csv_bytes([["a", "b"]]), "a.csv", PLAN_112, source="payroll")


@pytest.mark.parametrize(("first", "second", "same"), [
    (["收發別", "收文日期", "交換方式"], ["交換方式", "收發別", "收文日期"], True),
    (["收發別", "收文日期"], ["收發別 ", "收文 日期"], True),
    (["預算數（元）"], ["預算數(元)"], True),
    (["收發別", "收文日期"], ["收發別", "收文日期", "密等"], False),
    (["收發別", "收文日期"], ["收發別", "發文日期"], False),
    (["收發別", "", None], ["收發別"], True),
])
def test_signature_ignores_order_spacing_and_width(first: list, second: list, same: bool) -> None:
    assert (mapping_signature(first) == mapping_signature(second)) is same
    assert len(mapping_signature(first)) == 16


def test_every_source_declares_labels_and_fields_of_the_catalogue() -> None:
    produced = [code for spec in SOURCES.values() for code in spec.fields]
    assert len(produced) == len(set(produced)) == 21
    assert set(produced) <= set(CATALOGUE.field_by_code)
    for spec in SOURCES.values():
        assert spec.required and all(column.label and column.synonyms for column in spec.columns)


def test_with_a_known_source_but_no_header_the_form_still_has_its_columns() -> None:
    rows = [["公文一覽"], ["編", "別", "收日", "方式"], ["1", "發文", "112/01/05", "電子"]]
    with pytest.raises(MappingNeeded) as caught:
        read_export(csv_bytes(rows), "a.csv", PLAN_112, source="document_log")
    needed = caught.value
    assert needed.source == "document_log" and needed.headers == ["編", "別", "收日", "方式"]
    assert needed.required == {"kind": "收發別", "exchange": "交換方式"}
    assert needed.missing == ["kind", "exchange"]


LETTERS = [["府政字第1", "發文", "112/01/05", "電子交換", None], ["府收字第2", "收文", "112/01/06", "電子交換", "線上簽核"],
           ["府收字第3", "收文", "112/02/07", "紙本", "線上簽核"]]
# 1月: 發文 1（電子）、電子收文 1（線上）；2月: 紙本收文線上簽核 1


@pytest.mark.parametrize("date_header", ["收發文日期", "收發日期", "日期時間", "日期", "登記日期", "收發文日期(民國)"])
def test_a_date_column_shared_by_every_kind_of_letter_is_recognized(date_header: str) -> None:
    rows = [["收發別", "文號", date_header, "交換方式", "簽核方式"], *[[row[1], row[0], *row[2:]] for row in LETTERS]]
    result = read_export(xlsx_bytes(rows), "公文.xlsx", PLAN_112)
    assert result.mapping["date"] == date_header and "sent_date" not in result.mapping
    counts = {(int(month), code): int(value) for month, code, value in
              zip(result.frame["month"], result.frame["field"], result.frame["value"]) if value}
    assert counts == {(1, "edoc_sent_total"): 1, (1, "edoc_sent_electronic"): 1, (1, "edoc_received_electronic"): 1,
                      (1, "online_signed"): 1, (2, "paper_received_signed_online"): 1, (2, "online_signed"): 1}


@pytest.mark.parametrize(("source", "others", "date_header", "column"), [
    ("document_log", ["收發別", "交換方式"], "收文日期時間", "received_date"),
    ("document_log", ["收發別", "交換方式"], "發文日期時間", "sent_date"),
    ("document_log", ["收發別", "交換方式"], "來文日", "received_date"),
    ("document_log", ["收發別", "交換方式"], "創稿日期時間", "created_date"),
    ("document_log", ["收發別", "交換方式"], "收文年月日", "received_date"),
    ("document_log", ["收發別", "交換方式"], "發文年月日", "sent_date"),
    ("case_log", ["案件類別"], "結案年月日", "completed_date"),
    ("case_log", ["案件類別"], "辦理年月日", "held_date"),
    ("roster", ["人員類別"], "到職年月日", "start"),
])
def test_date_header_variants(source: str, others: list[str], date_header: str, column: str) -> None:
    from metrics.intake.exports.detect import resolve

    resolution = resolve(SOURCES[source], dict(enumerate([date_header, *others])))
    assert resolution.columns[column] == 0


def test_a_date_column_that_fits_only_some_rows_asks_for_a_mapping() -> None:
    """Letters received, but the only date column is 發文日期: the reader asks (it used to refuse the file)."""
    rows = [["文號", "收發別", "發文日期", "交換方式", "簽核方式"], *LETTERS]
    data = xlsx_bytes(rows)
    with pytest.raises(MappingNeeded) as caught:
        read_export(data, "公文.xlsx", PLAN_112)
    needed = caught.value
    assert needed.source == "document_log"
    assert "有 2 列收文，但找不到「收文日期」或「日期」欄" in str(needed)
    assert needed.guesses["date"] == "發文日期" and needed.guesses["sent_date"] is None  # offered as the shared date
    assert needed.guesses["kind"] == "收發別" and needed.guesses["exchange"] == "交換方式"
    result = read_export(data, "公文.xlsx", PLAN_112, mapping={"date": "發文日期", "sent_date": None})
    assert int(sum(result.frame["value"])) == 6


@pytest.mark.parametrize(("headers", "column", "guess"), [
    (["姓名", "人員類別", "就職日期", "客語認證級別"], "start", "就職日期"),  # 3 of 4 characters of 到職日期
    (["姓名", "人員類別", "生效日", "客語認證級別"], "start", None),  # nothing near enough
    (["姓名", "人員種類", "到職日期", "客語認證級別"], "category", "人員種類"),  # 人員類別 with one character off
])
def test_a_missing_required_column_is_prefilled_with_the_nearest_header(headers, column, guess) -> None:
    data = xlsx_bytes([["截至112年3月31日"], headers, ["王大明", "公務人員", "112/02/01", "初級"]])
    with pytest.raises(MappingNeeded) as caught:
        read_export(data, "名冊.xlsx", PLAN_112, source="roster")
    assert caught.value.missing == [column]
    assert caught.value.guesses[column] == guess


WRONGLY_MATCHED = [["文號", "類別", "方向", "發文日期", "交換方式"], ["府政字第1", "函", "發文", "112/01/05", "電子交換"],
                   ["府政字第2", "書函", "發文", "112/01/06", "紙本"]]


def test_a_refused_export_carries_its_mapping_question() -> None:
    from metrics.intake.exports.common import ExportRefused

    with pytest.raises(ExportRefused) as caught:
        read_export(xlsx_bytes(WRONGLY_MATCHED), "公文.xlsx", PLAN_112)
    assert any("欄位對應可能有誤" in problem.message for problem in caught.value.problems)
    question = caught.value.question
    assert (question.source, question.headers) == ("document_log", ["文號", "類別", "方向", "發文日期", "交換方式"])
    assert (question.guesses["kind"], question.guesses["sent_date"]) == ("類別", "發文日期")
    assert question.signature == mapping_signature(question.headers)


def test_a_saved_mapping_is_applied_to_an_export_that_was_refused(tmp_path) -> None:
    from metrics.intake.exports.common import ExportRefused
    from metrics.intake.sources import read_any, remember_mapping
    from metrics.store import Store

    store = Store(f"sqlite:///{tmp_path / 'kpi.sqlite3'}")
    data = xlsx_bytes(WRONGLY_MATCHED)
    with pytest.raises(ExportRefused) as caught:
        read_any(data, "公文.xlsx", CATALOGUE, year=112, unit="政風處", store=store)
    remember_mapping(store, caught.value.question, {"kind": "方向"}, year=112, unit="政風處")
    read = read_any(data, "公文.xlsx", CATALOGUE, year=112, unit="政風處", store=store)
    assert read.remembered and read.mapping["kind"] == "方向"
    assert {code: int(value) for code, value in zip(read.frame["field"], read.frame["value"])} == {
        "edoc_sent_total": 2, "edoc_sent_electronic": 1}
