"""The store raises what happened (a StoreProblem and its values); the services say it in people's words
(metrics.services.wording), and every page and command shows those words."""

from __future__ import annotations

import ast
import datetime as dt
from pathlib import Path

import pytest

from decimal import Decimal

from metrics.errors import Refusal, RefusedInput, StoreBusy, StoreError, StoreOperation, StoreProblem, ValueFault
from metrics.services import wording
from metrics.store.copying import RowsRefused
from metrics.store.figures import IngestResult, LaterBatch, ValueChange

P = StoreProblem
UTC = dt.timezone.utc
STORE = Path(__file__).resolve().parent.parent / "metrics" / "store"

CASES = [
    (P.USERNAME_TAKEN, {"username": "amy"}, "帳號「amy」已經存在，請換一個帳號名稱。"),
    (P.UNKNOWN_ACCOUNT_COLUMNS, {"columns": ["a", "b"]}, "帳號沒有這些欄位：a、b"),
    (P.NO_SUCH_BATCH, {"batch_id": 1234}, "找不到第 1,234 批上傳紀錄。"),
    (P.NO_SUCH_BATCH, {"batch_id": 7, "undoing": True}, "找不到第 7 批上傳紀錄，無法復原。"),
    (P.ALREADY_UNDONE, {"batch_id": 3, "file_name": "4月.xlsx", "undone_at": dt.datetime(2024, 5, 1, 1, 2, tzinfo=UTC)},
     "第 3 批「4月.xlsx」已於 113/05/01 09:02 復原過，不能重複復原。"),
    (P.UNDO_INCONSISTENT, {"batch_id": 3, "file_name": "a.csv", "key": (2024, "政風處", "宣導場次", 4)},
     "無法復原第 3 批「a.csv」：資料庫中的數值與上傳紀錄不一致（2024年4月 政風處「宣導場次」），請聯絡系統管理者。"),
    (P.UNDO_BLOCKED, {"batch_id": 1, "file_name": "a.csv", "later": [
        LaterBatch(5, "c.csv", dt.datetime(2024, 5, 2, 0, 0, tzinfo=UTC), 1, (2024, "政風處", "x", 4)),
        LaterBatch(2, "b.csv", dt.datetime(2024, 5, 1, 0, 0, tzinfo=UTC), 1_200, (2024, "政風處", "y", 3))]},
     "無法復原第 1 批「a.csv」：之後的第 5 批「c.csv」（113/05/02 08:00 上傳）也填報了其中 1 筆數值，例如 2024年4月 政風處「x」；"
     "第 2 批「b.csv」（113/05/01 08:00 上傳）也填報了其中 1,200 筆數值，例如 2024年3月 政風處「y」。"
     "請先復原第 5 批、第 2 批，再復原第 1 批。"),
    (P.STORE_NOT_EMPTY, {"url": "sqlite:///x.db", "filled": {"accounts": 2, "batches": 1_000}},
     "資料庫 sqlite:///x.db 不是空的（帳號 2 筆、上傳批次 1,000 筆）；只能寫入全新、空白的資料庫，以免與既有資料混在一起。"),
    (P.UNKNOWN_COLUMNS, {"table": "notes", "columns": ["x", "y"]}, "資料表「notes」沒有欄位 x、y：這份資料可能來自較新的版本。"),
    (P.ROWS_REFUSED, {"table": "notes", "first": 3, "last": 3, "reason": RowsRefused.VALUE_UNFIT, "detail": "too long"},
     "寫入落後說明（notes）第 3 筆時，資料庫拒絕寫入：有值的型態、長度或範圍不合這個資料表的欄位；所有資料均未寫入，資料庫仍是空的。"
     "（資料庫的原文：too long）"),
    (P.ROWS_REFUSED, {"table": "t", "first": 1, "last": 5_000, "reason": RowsRefused.DUPLICATE_OR_DANGLING, "detail": ""},
     "寫入t（t）第 1～5,000 筆中的一筆時，資料庫拒絕寫入：違反唯一性或關聯的限制（有重複的編號或鍵值，或指向不存在的資料）；"
     "所有資料均未寫入，資料庫仍是空的。（資料庫的原文：）"),
    (P.NO_PRIVILEGE_TO_MIGRATE, {"url": "u", "version": None, "supported": 9},
     "資料庫 u 需要建立資料表，但目前的資料庫帳號沒有權限（執行時使用的帳號不擁有資料表）；"
     "請由擁有資料表的帳號執行 python -m metrics migrate --db 擁有者的資料庫位址，再啟動本程式。未寫入任何資料。"),
    (P.NO_PRIVILEGE_TO_MIGRATE, {"url": "u", "version": 7, "supported": 9},
     "資料庫 u 需要將資料庫結構由第 7 版升級到第 9 版，但目前的資料庫帳號沒有權限（執行時使用的帳號不擁有資料表）；"
     "請由擁有資料表的帳號執行 python -m metrics migrate --db 擁有者的資料庫位址，再啟動本程式。未寫入任何資料。"),
    (P.CONNECTION_LOST, {"url": "sqlite:///x.db", "doing": StoreOperation.SAVE_SCENARIO, "about": {"name": "年底"}},
     "與資料庫 sqlite:///x.db 的連線中斷（資料庫重新啟動或網路中斷），儲存情境「年底」未完成，"
     "也未寫入任何資料；請重新整理頁面或再操作一次，系統會自動重新連線。"),
    (P.FAILED, {"doing": StoreOperation.SAVE_FILES, "about": {"files": ["a.csv", "b.xlsx"]}, "url": "u", "detail": "x"},
     "儲存「a.csv」、「b.xlsx」失敗（資料庫 u）：x"),
    (P.WRITE_REFUSED, {"doing": StoreOperation.UNDO, "about": {"batch_id": 1234}, "detail": "FK"},
     "復原第 1,234 批失敗，資料庫拒絕寫入，所有數值均未儲存：FK"),
    (P.FAILED, {"doing": StoreOperation.ASSESSMENT, "about": {"unit": "政風處", "year": 112}, "url": "u", "detail": ""},
     "政風處 112 年度自評失敗（資料庫 u）："),
    (P.BUSY_WRITING, {"seconds": 8.0}, "另一位同仁的上傳或修改正在進行中，等候 8 秒仍未輪到；這次未儲存任何資料，請稍候再試一次。"),
    (P.EMPTY_SCENARIO_NAME, {}, "情境名稱不可空白，請輸入名稱後再儲存。"),
    (P.FRAME_MISSING_COLUMNS, {"columns": ["source_sheet", "source_cell"]},
     "資料表缺少欄位：source_sheet、source_cell（程式內部錯誤，請回報）"),
    (P.VALUE_NOT_STORABLE, {"value": "1.5", "fault": ValueFault.FLOAT, "detail": ""},
     "數值「1.5」無法儲存：必須是精確的十進位數（Decimal），不接受浮點數"),
    (P.VALUE_NOT_STORABLE, {"value": "NaN", "fault": ValueFault.NOT_FINITE, "detail": ""}, "數值「NaN」無法儲存：不是有限的數字"),
    (P.VALUE_NOT_STORABLE, {"value": "x", "fault": ValueFault.OTHER, "detail": "invalid literal for int()"},
     "數值「x」無法儲存：不是數字（請填阿拉伯數字，例如 12 或 3.5）"),  # Python's English is not shown
    (P.VALUE_NOT_STORABLE, {"value": "True", "fault": ValueFault.TRUTH_VALUE, "detail": ""},
     "數值「True」無法儲存：是「是／否」的值，不是數字"),
    (P.NO_UNIT_OR_FIELD, {}, "缺少單位或項目代碼，無法儲存"),
    (P.ROW_TWICE, {"key": (112, "政風處", "宣導場次", 3), "earlier": "月報 C3"},
     "112年3月 政風處「宣導場次」 在同一個檔案中出現兩次（另一次在 月報 C3），請只保留一個數值"),
    (P.ROW_TWICE, {"key": (112, "政風處", "宣導場次", 3), "earlier": ""},
     "112年3月 政風處「宣導場次」 在同一個檔案中出現兩次（另一次在 前面的列），請只保留一個數值"),
    (P.BAD_ROLE_NAME, {"role": "Bad-Name"}, "角色名稱「Bad-Name」不合法：只能用小寫英文字母、數字與底線，且不以數字開頭。"),
    (P.GRANT_ONLY_POSTGRESQL, {}, "--grant 只適用於 PostgreSQL；SQLite 沒有資料庫帳號，請以檔案權限保護資料庫檔。"),
    (P.READ_TIMED_OUT, {"seconds": 0.5}, "資料庫忙碌中，讀取超過 0.5 秒仍未完成，已中止；未變更任何資料，請稍候再試。"),
    (P.BACKUP_LINE_TOO_LONG, {"line": 12, "size": 70_000_000, "limit": 64_000_000},
     "第 12 行有 70,000,000 位元組，超過備份檔每行的上限 64,000,000 位元組（可能是一份過大的計畫或情境）；備份未完成，請先縮減該筆資料。"),
]


@pytest.mark.parametrize(("problem", "values", "expected"), CASES)
def test_the_services_word_each_refusal(problem, values, expected):
    assert str(StoreError(problem, **values)) == expected


def test_every_problem_and_operation_has_words():
    missing = [problem for problem in StoreProblem if problem not in wording._WORDS]
    missing += [operation for operation in StoreOperation if operation not in wording._DOING]
    assert missing == []


def test_a_busy_store_is_a_store_error_with_the_same_words():
    busy = StoreBusy(P.BUSY_READING, seconds=8.0)
    assert isinstance(busy, StoreError) and busy.values == {"seconds": 8.0}
    assert str(busy) == "資料庫忙碌中（另一項作業正在寫入或鎖定資料），已等待 8 秒仍無法讀取；未變更任何資料，請稍候再試。"


def test_without_the_services_the_store_says_only_what_happened(monkeypatch):
    monkeypatch.setattr(StoreError, "wording", None)
    assert str(StoreError(P.USERNAME_TAKEN, username="amy")) == "username_taken(username='amy')"


def test_a_refused_input_is_an_input_error_located_and_worded_by_the_services():
    refused = RefusedInput([
        Refusal(P.ROW_TWICE, {"key": (112, "政風處", "宣導場次", 3), "earlier": "月報 C3"}, file="月報.xlsx", sheet="月報",
                cell="C9", field="talks", value="2"),
        Refusal(P.EMPTY_SCENARIO_NAME, {}),
    ])
    located = [(problem.file, problem.sheet, problem.cell, problem.field, problem.value) for problem in refused.problems]
    assert located == [
        ("月報.xlsx", "月報", "C9", "talks", "2"), ("", "", "", "情境名稱", "")]
    assert str(refused) == ("檔案「月報.xlsx」工作表「月報」儲存格 C9（項目：talks）：112年3月 政風處「宣導場次」 在同一個檔案中"
                            "出現兩次（另一次在 月報 C3），請只保留一個數值\n"
                            "（項目：情境名稱）：情境名稱不可空白，請輸入名稱後再儲存。")


def _result(changed: int, *changes: ValueChange) -> IngestResult:
    return IngestResult(9, False, 0, changed, 0, None, "a.csv", changes=changes)


@pytest.mark.parametrize(("result", "expected"), [
    (_result(0), []),
    (_result(1, ValueChange(112, 3, "政風處", "talks", Decimal("1.50"), Decimal("12000"))), ["112年3月 talks：1.5 → 12000"]),
    # the store keeps the first CHANGES_SHOWN replaced values; the rest are counted
    (_result(52, ValueChange(112, 1, "政風處", "a", Decimal(1), Decimal(2)),
             ValueChange(113, 12, "政風處", "b", Decimal("-0.25"), Decimal(0))),
     ["112年1月 a：1 → 2", "113年12月 b：-0.25 → 0", "…另 50 筆修改"]),
    (_result(1_002, *[ValueChange(112, 1, "甲", "a", Decimal(0), Decimal(1))] * 50),
     ["112年1月 a：0 → 1"] * 50 + ["…另 952 筆修改"]),
])
def test_the_values_an_upload_replaced_are_worded_one_line_each(result, expected):
    assert wording.changes(result) == expected


def test_the_store_words_no_refusal():
    """Every StoreError, StoreBusy and Refusal the store raises names its problem, and every operation it reports a
    failure of is a StoreOperation; none carries a sentence."""
    worded = []
    for path in sorted(STORE.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
                    and node.func.id in {"StoreError", "StoreBusy", "Refusal"}):
                first = node.args[0] if node.args else None
                if not (isinstance(first, ast.Attribute) and isinstance(first.value, ast.Name)
                        and first.value.id == "StoreProblem"):
                    worded.append(f"{path.name}:{node.lineno}")
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                    and node.func.attr in {"_errors", "_lost"} and node.args):
                first = node.args[0]
                if not (isinstance(first, ast.Attribute) and isinstance(first.value, ast.Name)
                        and first.value.id == "StoreOperation") and not isinstance(first, ast.Name):
                    worded.append(f"{path.name}:{node.lineno}")
    assert worded == []
