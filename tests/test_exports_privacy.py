"""Only monthly aggregates leave: no name, ID number, complainant, case text or document number
in the frame, the notes, the mapping or any message; the preview masks what it must show."""

from __future__ import annotations

import pytest

from catalogues import PLAN_112
from metrics.errors import InputError
from metrics.intake.exports import ExportOptions, MappingNeeded, preview, read_export
from metrics.names import mask_id, mask_name, mask_partial
from synthetic_exports import csv_bytes, xlsx_bytes

SECRETS = ["王大明", "陳美玲", "林志強", "A123456789", "B223456789", "府政字第1120000001號", "函覆議員質詢",
           "噪音陳情", "違法兼職", "0912345678"]

DOCUMENTS = [["文號", "收發別", "發文日期", "交換方式", "主旨", "承辦人"],
             ["府政字第1120000001號", "發文", "112/01/05", "電子交換", "函覆議員質詢", "王大明"],
             ["府政字第1120000002號", "發文", "112/02/05", "紙本", "函覆議員質詢", "陳美玲"]]
ROSTER = [["截至112年2月28日"], ["姓名", "身分證字號", "人員類別", "到職日期", "客語認證級別", "手機"],
          ["王大明", "A123456789", "公務人員", "100/01/01", "初級", "0912345678"],
          ["陳美玲", "B223456789", "約僱人員", "112/02/01", None, "0912345678"]]
CASES = [["案號", "案件類別", "案由", "陳情人", "辦理日期", "結案日期"],
         ["112001", "陳情檢舉", "噪音陳情", "林志強", "112/01/03", "112/01/25"],
         ["112002", "檢舉", "違法兼職", "王大明", "112/02/01", "112/02/20"]]


def leaks(*texts: object) -> list[str]:
    joined = "\n".join(str(text) for text in texts)
    return [secret for secret in SECRETS if secret in joined]


def result_text(result) -> list[object]:
    return [result.frame.to_string(), result.notes, result.applied, result.mapping, result.months]


@pytest.mark.parametrize(("rows", "options"), [
    (DOCUMENTS, ExportOptions()),
    (DOCUMENTS, ExportOptions(deduplicate=True)),
    (ROSTER, ExportOptions()),
    (CASES, ExportOptions(deduplicate=True)),
])
@pytest.mark.parametrize("kind", ["xlsx", "csv"])
def test_results_hold_aggregates_only(rows: list, options: ExportOptions, kind: str) -> None:
    data = xlsx_bytes(rows) if kind == "xlsx" else csv_bytes(rows, encoding="cp950")
    result = read_export(data, f"a.{kind}", PLAN_112, options=options)
    assert leaks(*result_text(result)) == []
    assert leaks(result.preview.to_string()) == []


@pytest.mark.parametrize(("rows", "bad_row", "mapping"), [
    (DOCUMENTS, ["府政字第1120000001號", "發文", "0912345678", "電子交換", "函覆議員質詢", "王大明"], None),
    (DOCUMENTS, ["府政字第1120000001號", "王大明", "112/01/05", "電子交換", "函覆議員質詢", "王大明"], None),
    (DOCUMENTS, None, {"kind": "承辦人"}),
    (DOCUMENTS, None, {"sent_date": "主旨"}),
    (ROSTER, ["王大明", "A123456789", "公務人員", "A123456789", "初級", "0912345678"], None),
    (ROSTER, None, {"category": "姓名"}),
    (ROSTER, None, {"start": "身分證字號"}),
    (ROSTER, None, {"category": "身分證字號"}),
    (CASES, ["112003", "陳情", "噪音陳情", "林志強", "林志強", "違法兼職"], None),
])
def test_messages_never_repeat_personal_data(rows: list, bad_row: list | None, mapping: dict | None) -> None:
    table = [*rows, bad_row] if bad_row else rows
    with pytest.raises(InputError) as caught:
        read_export(xlsx_bytes(table), "a.xlsx", PLAN_112, mapping=mapping)
    error = caught.value
    assert leaks(str(error), *(problem.value for problem in error.problems)) == []


def test_a_case_type_column_holding_names_is_not_listed_in_notes() -> None:
    result = read_export(xlsx_bytes(CASES), "a.xlsx", PLAN_112, mapping={"case_type": "陳情人"})
    assert leaks(*result_text(result)) == []
    assert any("請確認「案件類別」欄的對應" in note for note in result.notes)


def test_mapping_needed_carries_headers_only() -> None:
    rows = [["姓名", "身分證字號", "生效日"], ["王大明", "A123456789", "112/01/01"]]
    with pytest.raises(MappingNeeded) as caught:
        read_export(xlsx_bytes(rows), "a.xlsx", PLAN_112, source="roster")
    needed = caught.value
    assert leaks(str(needed), needed.headers, needed.guesses, needed.ambiguous) == []


def test_preview_shows_used_columns_masked() -> None:
    shown = preview(xlsx_bytes(ROSTER), "名冊.xlsx")
    assert list(shown.columns) == ["列", "身分證字號", "人員類別", "到職日期", "客語認證級別"]
    assert list(shown["身分證字號"]) == ["A12****789", "B22****789"]
    assert list(shown["列"]) == [3, 4]
    documents = preview(csv_bytes(DOCUMENTS), "a.csv", options=ExportOptions(deduplicate=True))
    assert "主旨" not in documents.columns and "承辦人" not in documents.columns
    assert list(documents["文號"]) == ["府政字第******0001號", "府政字第******0002號"]


def test_preview_uses_names_only_without_ids() -> None:
    rows = [["姓名", "人員類別", "到職日期", "客語認證級別"], ["王大明", "公務人員", "100/01/01", "初級"],
            ["歐陽小明", "公務人員", "100/01/01", None]]
    assert list(preview(xlsx_bytes(rows), "a.xlsx")["姓名"]) == ["王○明", "歐○○明"]


@pytest.mark.parametrize(("function", "raw", "masked"), [
    (mask_name, "王大明", "王○明"),
    (mask_name, "王明", "王○"),
    (mask_name, "歐陽小明", "歐○○明"),
    (mask_name, "王", "○"),
    (mask_name, "", ""),
    (mask_id, "A123456789", "A12****789"),
    (mask_id, "a123456789", "A12****789"),
    (mask_id, "E0012", "E***2"),
    (mask_partial, "府政字第1120000001號", "府政字第******0001號"),
    (mask_partial, "112001", "1***01"),
    (mask_partial, "AB", "**"),
])
def test_masks(function, raw: str, masked: str) -> None:
    assert function(raw) == masked
