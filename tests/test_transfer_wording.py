"""The backup checks and the audit chain say what they found as data (a BackupFault, a ChainBreak); the services say
it in people's words (metrics.services.transfer_wording), the same words the store used to write itself."""

from __future__ import annotations

import pytest

from metrics.errors import MISSING, BackupFault, BackupProblem, BackupRefused, InputError
from metrics.services import transfer_wording
from metrics.store.audit_chain import BreakKind, BreakReason, ChainBreak
from metrics.store.transfer.check import ColumnExpected, ColumnKind, UniqueKind
from metrics.store.transfer.format import Stage, TransferStep, Verified

B = BackupProblem
END = "已拒絕此備份檔，未寫入任何資料。"

# (problem, file, line, values) → the words, written out by hand
FAULTS = [
    (B.TABLES_CUT, "b.gz", 41, {"table": "assessments"},
     f"備份檔「b.gz」第 41 行：檔案在此結束，缺少 考核自評（assessments） 與之後的資料表（備份檔不完整，可能被截斷）。{END}"),
    (B.HEADER_FIELD_WRONG, "b.gz", 1, {"field": "created_at", "expected": "created_at", "value": MISSING},
     "備份檔「b.gz」第 1 行：檔頭的 created_at 應為含時區的備份時間，例如 2026-01-31T02:30:00+00:00，卻是沒有這個欄位；"
     f"檔案已損壞或遭竄改。{END}"),
    (B.HEADER_FIELD_WRONG, "b.gz", 1, {"field": "tables", "expected": "table_counts", "value": "3"},
     f"備份檔「b.gz」第 1 行：檔頭的 tables 應為各資料表的筆數（非負整數），卻是文字「3」；檔案已損壞或遭竄改。{END}"),
    (B.HEADER_TABLES_DIFFER, "b.gz", 1, {"missing": ["audit_log"], "extra": ["extra"]},
     "備份檔「b.gz」第 1 行：檔頭列出的資料表與本程式的資料庫結構不符（缺少 操作紀錄（audit_log）；多了 「extra」）；"
     f"檔案已損壞或遭竄改。{END}"),
    (B.ROW_VALUE_WRONG, "b.gz", 9, {"table": "notes", "row": 1_200, "column": "reason",
                                   "expected": ColumnExpected(ColumnKind.TEXT, nullable=True, length=2_000),
                                   "value": 12},
     f"備份檔「b.gz」第 9 行：落後說明（notes） 第 1,200 筆，欄位 reason：應為文字（不含 NUL 字元），最多 2,000 字或 null，"
     f"卻是整數 12。{END}"),
    (B.DUPLICATE_KEY, "b.gz", 7, {"table": "accounts", "row": 2, "unique": UniqueKind.PRIMARY, "names": ("id",),
                                  "values": (1,)},
     f"備份檔「b.gz」第 7 行：帳號（accounts） 第 2 筆：主鍵 id＝1 與前面的一筆重複（同一個資料表中不能有兩筆）。{END}"),
    (B.DANGLING_REFERENCE, "b.gz", 30, {"table": "current_values", "row": 3, "column": "batch_id", "value": 55,
                                        "parent": "batches", "parent_column": "id"},
     "備份檔「b.gz」第 30 行：現行數值（current_values） 第 3 筆：欄位 batch_id＝55 指向的上傳批次（batches）不存在"
     f"（備份檔中沒有 id＝55 的那一筆）。{END}"),
    (B.DUPLICATE_KEYS, "b.gz", 1, {"keys": ["a", "b"]},
     f"備份檔「b.gz」第 1 行：不是正確的 JSON（欄位名稱重複：a、b）；檔案已損壞或遭竄改。{END}"),
    (B.LINE_TOO_LONG, "b.gz", 12, {"length": 3_000, "limit": 2_048, "of_rows": True},
     "備份檔「b.gz」第 12 行：這一行長 3,000 位元組，超過上限 2,048 位元組（資料列）；檔案可能遭竄改或不是本系統產生的。"
     f"{END}"),
    (B.SCHEMA_NEWER, "b.gz", None, {"schema": 7, "supported": 6},
     "「b.gz」來自資料庫結構第 7 版，比本程式支援的第 6 版新；請改用較新版的程式還原。為避免資料損壞，未寫入任何資料。"),
    (B.CHANGED_DURING_RESTORE, "b.gz", None, {}, f"備份檔「b.gz」在檢查之後、還原之中被更換或修改；{END}"),
    (B.KEY_TOO_SHORT, "", None, {"variable": "KPI_BACKUP_KEY", "length": 5, "minimum": 16},
     "環境變數 KPI_BACKUP_KEY 已設定，但只有 5 個字元，太短而不足以當作金鑰（至少 16 個字元；可用 openssl rand -hex 32 產生）；"
     "請設定正確的金鑰，或取消設定此變數。未寫入任何資料。"),
    (B.NO_HEADER, "e.gz", None, {"cause": BackupFault(B.EMPTY, {}, "e.gz")},
     "「e.gz」不是本系統的備份檔（以 python -m metrics backup 產生的 .gz 檔），無法讀取檔頭：檔案是空的。"),
]


@pytest.mark.parametrize(("problem", "file", "line", "values", "expected"), FAULTS,
                         ids=[f"{case[0].value}-{index}" for index, case in enumerate(FAULTS)])
def test_the_services_word_each_backup_fault(problem, file, line, values, expected) -> None:
    refused = BackupRefused(problem, file=file, line=line, **values)
    assert str(refused) == expected
    assert isinstance(refused, InputError) and [str(found) for found in refused.problems] == [expected]


def test_every_backup_problem_has_words() -> None:
    worded = set(transfer_wording._ROW_FAULTS) | set(transfer_wording._AT_LINE) | set(transfer_wording._WHOLE)
    assert worded == set(BackupProblem)
    assert set(transfer_wording._ROW_FAULTS).isdisjoint(transfer_wording._AT_LINE)
    assert set(transfer_wording._VERIFIED) == set(Verified) and set(transfer_wording._STAGES) == set(Stage)
    assert set(transfer_wording._COLUMN_KINDS) == set(ColumnKind) and set(transfer_wording._UNIQUES) == set(UniqueKind)


# (reason, values) → kind, explanation, written out by hand
BREAKS = [
    (BreakReason.CONTENT_CHANGED, {}, BreakKind.CHANGED,
     "這筆的內容（時間、帳號、動作、結果、單位、年度、對象或內容）與寫入時算出的雜湊值不符：寫入後被修改過。"),
    (BreakReason.SLIPPED_IN, {"holder": 3, "next_id": 14, "first": 4, "last": 13}, BreakKind.INSERTED,
     "編號 3 之後原本緊接的是編號 14；編號 4～13 不在原本的鏈結中，是後來插入的紀錄。"),
    (BreakReason.DELETED_BETWEEN, {"before_id": 2, "first": 3, "last": 3}, BreakKind.MISSING,
     "這筆原本的前一筆已不在資料表中（編號 3 不見了）：編號 2 與這筆之間的紀錄被刪除了。"),
    (BreakReason.ANCHOR_GONE, {"anchor_id": 1_234, "anchor_hash": "ab" * 32}, BreakKind.ANCHOR,
     "先前記下的編號 1,234（雜湊值 abababababababab…）已不在資料表中：這一筆與其後的紀錄被刪除了。"),
]


@pytest.mark.parametrize(("reason", "values", "kind", "expected"), BREAKS, ids=[case[0].value for case in BREAKS])
def test_the_services_explain_each_break(reason, values, kind, expected) -> None:
    broken = ChainBreak(reason, 5, None, "甲", "上傳", values)
    assert (broken.kind, broken.explanation) == (kind, expected)
    assert transfer_wording.who_did_what(broken) == "甲　上傳"


def test_every_break_reason_is_explained() -> None:
    assert set(transfer_wording._EXPLANATIONS) == set(BreakReason)


def test_progress_counts_and_verification_in_words() -> None:
    assert [transfer_wording.step(done) for done in (TransferStep(Stage.BACKUP, "accounts", 1_200),
                                                       TransferStep(Stage.CHECK, "audit_log"))] == \
        ["備份帳號：1,200 筆", "檢查操作紀錄"]
    assert transfer_wording.counts({"accounts": 2, "notes": 0, "audit_log": 14}) == "帳號 2 筆、操作紀錄 14 筆"
    assert transfer_wording.counts({"accounts": 0}) == "（沒有資料）"
    assert transfer_wording.verified(Verified.CHECKSUM) == "內容完整（SHA-256 檢查碼相符）；未驗證來源（沒有以金鑰驗證）"


def test_without_the_services_a_fault_says_only_what_happened(monkeypatch) -> None:
    monkeypatch.setattr(BackupFault, "wording", None)
    monkeypatch.setattr(ChainBreak, "wording", None)
    assert str(BackupRefused(B.CHECKSUM_DIFFERS, file="b.gz", line=20)) == "b.gz:20: checksum_differs()"
    assert ChainBreak(BreakReason.REHASHED, 3, None, "", "", {"next_id": 4}).explanation == "rehashed(next_id=4)"


@pytest.mark.parametrize(("where", "expected"), [
    ("no such folder/kpi.jsonl.gz", "找不到檔案或資料夾"),
    ("", "這是資料夾，不是檔案"),  # the temporary folder itself
])
def test_a_backup_not_written_says_why_in_chinese(tmp_path, where: str, expected: str) -> None:
    """The operating system's own words are English: the reason is said in the users' words."""
    from metrics.store import Store
    from metrics.store.transfer.write import write_backup

    with Store(f"sqlite:///{tmp_path / 'kpi.sqlite3'}") as store:
        with pytest.raises(InputError) as raised:
            write_backup(store, tmp_path / where if where else tmp_path)
    message = str(raised.value)
    assert expected in message and "未留下任何檔案" in message
    assert "No such file" not in message and "Is a directory" not in message


def test_a_backup_that_cannot_be_opened_says_why_in_chinese(tmp_path) -> None:
    from metrics.store.transfer.check import check_backup

    with pytest.raises(BackupRefused) as raised:
        check_backup(tmp_path / "沒有這個檔.jsonl.gz")
    assert "找不到檔案或資料夾" in str(raised.value) and "No such file" not in str(raised.value)
