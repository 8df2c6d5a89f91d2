"""The store's refusals and results in people's words: the store raises a StoreError with a StoreProblem and its
values (which table, field, batch or value, and what was expected), or a RefusedInput of located Refusals, and
returns structured results (IngestResult, UndoResult); this module says them in Traditional Chinese. Importing
metrics.services installs `words` on StoreError and `refusal` on Refusal, so a page or a command shows these words
whichever layer caught the error."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from metrics.errors import Problem, Refusal, StoreError, StoreOperation, StoreProblem, ValueFault
from metrics.intake.parsing import format_taiwan_time
from metrics.names import TABLE_LABELS
from metrics.texts import os_reason_of
from metrics.plans.plan import plain_number
from metrics.outputs.batches import counts_text
from metrics.store.copying import RowsRefused
from metrics.store.figures import CHANGES_SHOWN, IngestResult, LaterBatch, UndoResult

P = StoreProblem


_DOING: dict[StoreOperation, str] = {
    StoreOperation.READ: "讀取資料",
    StoreOperation.READ_ASSESSMENTS: "讀取自評",
    StoreOperation.READ_ACCOUNTS: "讀取帳號",
    StoreOperation.LOG_IN: "登入",
    StoreOperation.READ_NOTES: "讀取說明",
    StoreOperation.READ_CYCLE: "讀取考核週期",
    StoreOperation.READ_AUDIT: "讀取操作紀錄",
    StoreOperation.READ_BATCHES: "讀取上傳紀錄",
    StoreOperation.READ_SCENARIO: "讀取情境「{name}」",
    StoreOperation.UNDO: "復原第 {batch_id:,} 批",
    StoreOperation.CREATE_ACCOUNT: "建立帳號「{username}」",
    StoreOperation.DELETE_SCENARIO: "刪除情境「{name}」",
    StoreOperation.SAVE_SCENARIO: "儲存情境「{name}」",
    StoreOperation.SAVE_FILES: "儲存{files}",
    StoreOperation.SAVE_PLAN: "儲存 {unit} {year} 年度計畫",
    StoreOperation.ASSESSMENT: "{unit} {year} 年度自評",
    StoreOperation.VERIFY_AUDIT: "驗證操作紀錄",
    StoreOperation.OPEN: "開啟資料庫",
    StoreOperation.READ_SETTINGS: "讀取設定",
    StoreOperation.READ_PLANS: "讀取計畫",
    StoreOperation.READ_ASSESSMENT_STEPS: "讀取自評流程",
    StoreOperation.READ_LOGIN: "讀取登入狀態",
    StoreOperation.READ_MAPPINGS: "讀取欄位對應",
    StoreOperation.READ_SCENARIOS: "讀取情境",
    StoreOperation.GRANT_RUNTIME_ROLE: "設定執行角色的權限",
    StoreOperation.END_LOGIN: "結束登入",
    StoreOperation.LOG_OUT: "登出",
    StoreOperation.UPDATE_LOGIN: "更新登入狀態",
    StoreOperation.UPDATE_ACCOUNT: "更新帳號",
    StoreOperation.CREATE_PLANS: "建立計畫",
    StoreOperation.LOAD_ROWS: "寫入資料",
    StoreOperation.WRITE_AUDIT: "寫入操作紀錄",
    StoreOperation.SAVE_NOTE: "儲存說明",
    StoreOperation.SAVE_SETTINGS: "儲存設定",
    StoreOperation.SAVE_CYCLE: "儲存考核週期",
    StoreOperation.SAVE_MAPPING: "儲存欄位對應",
    StoreOperation.SAVE: "儲存",
}


def _doing(doing: StoreOperation, about: Mapping[str, Any]) -> str:
    """What the store was doing, e.g. 「儲存情境「年底」」."""
    values = dict(about)
    if "files" in values:
        values["files"] = "、".join(f"「{name}」" for name in values["files"])
    return _DOING[doing].format(**values)


def _key(key: tuple[int, str, str, int]) -> str:
    year, unit, field, month = key
    return f"{year}年{month}月 {unit}「{field}」"


def _batch(batch_id: int, file_name: str) -> str:
    return f"第 {batch_id:,} 批「{file_name}」"


def _no_batch(batch_id: int, undoing: bool = False) -> str:
    return f"找不到第 {batch_id:,} 批上傳紀錄{'，無法復原' if undoing else ''}。"


def _undo_blocked(batch_id: int, file_name: str, later: list[LaterBatch]) -> str:
    parts = [f"{_batch(batch.id, batch.file_name)}（{format_taiwan_time(batch.uploaded_at)} 上傳）"
             f"也填報了其中 {batch.count:,} 筆數值，例如 {_key(batch.example)}" for batch in later]
    order = "、".join(f"第 {batch.id:,} 批" for batch in later)
    return (f"無法復原{_batch(batch_id, file_name)}：之後的" + "；".join(parts) +
            f"。請先復原{order}，再復原第 {batch_id:,} 批。")


def _not_empty(url: str, filled: Mapping[str, int]) -> str:
    listed = "、".join(f"{TABLE_LABELS.get(name, name)} {count:,} 筆" for name, count in filled.items())
    return f"資料庫 {url} 不是空的（{listed}）；只能寫入全新、空白的資料庫，以免與既有資料混在一起。"


_WHY_REFUSED = {
    RowsRefused.DUPLICATE_OR_DANGLING: "違反唯一性或關聯的限制（有重複的編號或鍵值，或指向不存在的資料）",
    RowsRefused.VALUE_UNFIT: "有值的型態、長度或範圍不合這個資料表的欄位",
    RowsRefused.STRUCTURE_UNFIT: "資料表的結構與資料不合",
}


def _rows_refused(table: str, first: int, last: int, reason: RowsRefused, detail: str) -> str:
    rows = f"第 {first:,} 筆" if first == last else f"第 {first:,}～{last:,} 筆中的一筆"
    return (f"寫入{TABLE_LABELS.get(table, table)}（{table}）{rows}時，資料庫拒絕寫入：{_WHY_REFUSED[reason]}；"
            f"所有資料均未寫入，資料庫仍是空的。（資料庫的原文：{detail}）")


def _no_privilege(url: str, version: int | None, supported: int) -> str:
    doing = "建立資料表" if version is None else f"將資料庫結構由第 {version} 版升級到第 {supported} 版"
    return (f"資料庫 {url} 需要{doing}，但目前的資料庫帳號沒有權限（執行時使用的帳號不擁有資料表）；"
            "請由擁有資料表的帳號執行 python -m metrics migrate --db 擁有者的資料庫位址，再啟動本程式。未寫入任何資料。")


_VALUE_FAULTS = {
    ValueFault.FLOAT: "必須是精確的十進位數（Decimal），不接受浮點數",
    ValueFault.TRUTH_VALUE: "是「是／否」的值，不是數字",
    ValueFault.NOT_FINITE: "不是有限的數字",
    ValueFault.OTHER: "不是數字（請填阿拉伯數字，例如 12 或 3.5）",
}


def _not_storable(value: str, fault: ValueFault, detail: str) -> str:
    return f"數值「{value}」無法儲存：{_VALUE_FAULTS[fault]}"


_WORDS: dict[StoreProblem, Callable[..., str]] = {
    P.BAD_URL: lambda url, detail: f"資料庫位址「{url}」格式不正確：{detail}",
    P.UNSUPPORTED_DATABASE: lambda dialect: f"不支援的資料庫「{dialect}」：請使用 SQLite 或 PostgreSQL（postgresql+psycopg://…）。",
    P.SCHEMA_ONLY_POSTGRESQL: lambda: "schema 選項只適用於 PostgreSQL，SQLite 請改用不同的資料庫檔案。",
    P.BAD_SCHEMA_NAME: lambda schema: f"schema 名稱「{schema}」不合法：只能用英文字母、數字與底線。",
    P.NO_SCHEMA_IN_SEARCH_PATH: lambda url: f"資料庫 {url} 的 search_path 沒有可用的 schema，請先建立 schema。",
    P.NEWER_SCHEMA: lambda url, version, supported: (
        f"資料庫 {url} 的結構版本為 {version}，比本程式支援的版本 {supported} 新；"
        "請改用較新版的程式開啟，為避免損壞資料，本程式不會寫入。"),
    P.NO_PRIVILEGE_TO_MIGRATE: _no_privilege,
    P.BAD_SECONDS: lambda environment, text: (
        f"環境變數 {environment} 的值「{text}」不是有效的秒數：應為大於 0、至多 86400 的數字（例如 8）。"),
    P.WRITE_REFUSED: lambda doing, about, detail: f"{_doing(doing, about)}失敗，資料庫拒絕寫入，所有數值均未儲存：{detail}",
    P.FAILED: lambda doing, about, url, detail: f"{_doing(doing, about)}失敗（資料庫 {url}）：{detail}",
    P.CONNECTION_LOST: lambda url, doing, about: (
        f"與資料庫 {url} 的連線中斷（資料庫重新啟動或網路中斷），{_doing(doing, about)}未完成，"
        "也未寫入任何資料；請重新整理頁面或再操作一次，系統會自動重新連線。"),
    P.BUSY_READING: lambda seconds: (f"資料庫忙碌中（另一項作業正在寫入或鎖定資料），已等待 {seconds:g} 秒仍無法讀取；"
                                     "未變更任何資料，請稍候再試。"),
    P.READ_TIMED_OUT: lambda seconds: f"資料庫忙碌中，讀取超過 {seconds:g} 秒仍未完成，已中止；未變更任何資料，請稍候再試。",
    P.BUSY_WRITING: lambda seconds: (f"另一位同仁的上傳或修改正在進行中，等候 {seconds:g} 秒仍未輪到；"
                                     "這次未儲存任何資料，請稍候再試一次。"),
    P.ACCOUNTS_EXIST: lambda: "已經有帳號，第一位系統管理者已建立；請登入。",
    P.USERNAME_TAKEN: lambda username: f"帳號「{username}」已經存在，請換一個帳號名稱。",
    P.UNKNOWN_ACCOUNT_COLUMNS: lambda columns: f"帳號沒有這些欄位：{'、'.join(columns)}",
    P.NO_SUCH_BATCH: _no_batch,
    P.ALREADY_UNDONE: lambda batch_id, file_name, undone_at: (
        f"{_batch(batch_id, file_name)}已於 {format_taiwan_time(undone_at)} 復原過，不能重複復原。"),
    P.UNDO_INCONSISTENT: lambda batch_id, file_name, key: (
        f"無法復原{_batch(batch_id, file_name)}：資料庫中的數值與上傳紀錄不一致（{_key(key)}），請聯絡系統管理者。"),
    P.UNDO_BLOCKED: _undo_blocked,
    P.NO_SUCH_SCENARIO: lambda unit, year, name: f"找不到 {unit} {year} 年度名為「{name}」的情境，可能已被刪除。",
    P.EMPTY_SCENARIO_NAME: lambda: "情境名稱不可空白，請輸入名稱後再儲存。",
    P.FRAME_MISSING_COLUMNS: lambda columns: f"資料表缺少欄位：{'、'.join(columns)}（程式內部錯誤，請回報）",
    P.VALUE_NOT_STORABLE: _not_storable,
    P.NO_UNIT_OR_FIELD: lambda: "缺少單位或項目代碼，無法儲存",
    P.ROW_TWICE: lambda key, earlier: (
        f"{_key(key)} 在同一個檔案中出現兩次（另一次在 {earlier or '前面的列'}），請只保留一個數值"),
    P.STORE_NOT_EMPTY: _not_empty,
    P.UNKNOWN_TABLE: lambda table: f"不認得的資料表「{table}」：這份資料可能來自其他程式或較新的版本。",
    P.UNKNOWN_COLUMNS: lambda table, columns: f"資料表「{table}」沒有欄位 {'、'.join(columns)}：這份資料可能來自較新的版本。",
    P.ROWS_REFUSED: _rows_refused,
    P.SCHEMA_VERSIONS_DIFFER: lambda: "來源與目標資料庫的結構版本不同，請以同一版本的程式開啟兩者後再複製。",
    P.BACKUP_LINE_TOO_LONG: lambda line, size, limit: (
        f"第 {line:,} 行有 {size:,} 位元組，超過備份檔每行的上限 {limit:,} 位元組"
        "（可能是一份過大的計畫或情境）；備份未完成，請先縮減該筆資料。"),
    P.BACKUP_NOT_WRITTEN: lambda path, detail, errno=None: (f"無法寫入備份檔「{path}」：{os_reason_of(errno, detail)}；"
                                                            "未留下任何檔案。"),
    P.BAD_ROLE_NAME: lambda role: f"角色名稱「{role}」不合法：只能用小寫英文字母、數字與底線，且不以數字開頭。",
    P.GRANT_ONLY_POSTGRESQL: lambda: "--grant 只適用於 PostgreSQL；SQLite 沒有資料庫帳號，請以檔案權限保護資料庫檔。",
    P.NO_SUCH_ROLE: lambda role: f"資料庫沒有角色「{role}」；請先以 CREATE ROLE {role} LOGIN PASSWORD '…' 建立。",
    P.ROLE_IS_SUPERUSER: lambda role: f"角色「{role}」是超級使用者，任何權限設定都限制不了它；執行時請改用一般角色。",
    P.ROLE_OWNS_TABLES: lambda role: (f"角色「{role}」擁有這些資料表（可停用或刪除操作紀錄的保護）；"
                                      "執行時請改用另一個不擁有資料表的角色。"),
}


def ingested(result: IngestResult) -> str:
    """What an upload of one file did, in the words its confirmation used before: the notice about its name first."""
    name = result.file_name
    if result.unchanged:
        if result.same:
            text = f"「{name}」的 {result.same:,} 筆數值與資料庫目前的數值完全相同，未建立新的上傳批次。"
        else:
            text = f"「{name}」沒有任何數值，未建立新的上傳批次。"
        if result.duplicate_of is not None:
            when = f"（{format_taiwan_time(result.duplicate_uploaded_at)} 上傳）" if result.duplicate_uploaded_at else ""
            text += f"此檔案與第 {result.duplicate_of:,} 批{when}內容相同。"
    else:
        text = (f"已儲存「{name}」為第 {result.batch_id:,} 批：新增 {result.added:,} 筆、"
                f"修改 {result.changed:,} 筆、相同 {result.same:,} 筆。")
        if result.duplicate_of is not None:
            text += f"此檔案曾於第 {result.duplicate_of:,} 批上傳過。"
    return result.notice + text


def changes(result: IngestResult) -> list[str]:
    """The values an upload replaced, one line each as the audit trail records them ("112年3月 field：old → new",
    field as its code), the first CHANGES_SHOWN and how many more."""
    lines = [f"{change.year}年{change.month}月 {change.field}：{plain_number(change.old)} → {plain_number(change.new)}"
             for change in result.changes[:CHANGES_SHOWN]]
    if result.changed > len(lines):
        lines.append(f"…另 {result.changed - len(lines):,} 筆修改")
    return lines


def undone(result: UndoResult) -> str:
    """What an undo did, in the words its confirmation used before."""
    counts = counts_text(result.restored, result.removed, result.unchanged, done=True)
    return f"已復原{_batch(result.batch_id, result.file_name)}：{counts}。"


def words(error: StoreError) -> str:
    """What a person reads for this refusal of the store."""
    values: dict[str, Any] = dict(error.values)
    return _WORDS[error.problem](**values)


# The field a refusal is about, when the store names it by the problem rather than the input's own name.
_FIELDS = {P.EMPTY_SCENARIO_NAME: "情境名稱"}


def refusal(refused: Refusal) -> Problem:
    """A refusal of the store's input as a located problem, in people's words."""
    return Problem(_WORDS[refused.problem](**refused.values), file=refused.file, sheet=refused.sheet,
                   cell=refused.cell, field=refused.field or _FIELDS.get(refused.problem, ""), value=refused.value)


def install() -> None:
    StoreError.wording = words
    Refusal.wording = refusal
