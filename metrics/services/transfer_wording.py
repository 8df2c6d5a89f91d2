"""Backups, copies, restores and the audit chain's report in people's words: the store (metrics.store.transfer,
metrics.store.audit_chain) says what it found as data (a BackupFault of a BackupProblem and its values, a
ChainBreak of a BreakReason and its ids and hashes, the Verified level, a TransferStep) and this module says it in
Traditional Chinese. Importing metrics.services installs `fault` on BackupFault and `explanation` on ChainBreak, so a
page or a command shows these words whichever layer caught the refusal."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any

from metrics.errors import MISSING, BackupFault, BackupProblem
from metrics.names import TABLE_LABELS, printable
from metrics.texts import os_reason_of
from metrics.plans.toml_reading import decode_error
from metrics.store.audit_chain import BreakKind, BreakReason, ChainBreak
from metrics.store.transfer.check import ColumnExpected, ColumnKind, UniqueKind
from metrics.store.transfer.format import Stage, TransferStep, Verified

B = BackupProblem
R = BreakReason

REFUSED = "已拒絕此備份檔，未寫入任何資料。"
NOT_A_BACKUP = "不是本系統的備份檔（以 python -m metrics backup 產生的 .gz 檔）"


# ---- the audit chain ----

def _ids(first: int, last: int) -> str:
    return f"編號 {first:,}" if first == last else f"編號 {first:,}～{last:,}"


def _anchor(anchor_id: int, anchor_hash: str, state: str) -> str:
    return f"先前記下的編號 {anchor_id:,}（雜湊值 {anchor_hash[:16]}…）{state}。"


_EXPLANATIONS: dict[BreakReason, Callable[..., str]] = {
    R.UNHASHED: lambda: "這筆沒有雜湊值，不是由本系統寫入的：是在系統之外直接插入資料表的紀錄。",
    R.CONTENT_CHANGED: lambda: ("這筆的內容（時間、帳號、動作、結果、單位、年度、對象或內容）與寫入時算出的雜湊值不符："
                                "寫入後被修改過。"),
    R.MATCHES_NOTHING: lambda: "這筆的雜湊值與內容、與前一筆都對不上：不是由本系統寫入的，是後來插入或整筆替換的紀錄。",
    R.MOVED: lambda holder: f"這筆寫入時緊接在現在的編號 {holder:,} 之後，現在卻排在它前面：紀錄的編號被改過、順序被調動。",
    R.SLIPPED_IN: lambda holder, next_id, first, last: (
        f"編號 {holder:,} 之後原本緊接的是編號 {next_id:,}；{_ids(first, last)} 不在原本的鏈結中，是後來插入的紀錄。"),
    R.SECOND_START: lambda: "這筆自稱是第一筆紀錄，但前面還有紀錄：是後來另起一條鏈插入的紀錄。",
    R.FIRST_DELETED: lambda: "這筆之前原本還有紀錄，現在已不在資料表中：最早的紀錄被刪除了。",
    R.REHASHED: lambda next_id: (f"這筆寫入後被修改過，雜湊值也被重新計算：下一筆（編號 {next_id:,}）寫入時記下的前一筆雜湊值"
                                 "與它不同（或它與下一筆之間的紀錄被刪除後重新編號）。"),
    R.DELETED_BETWEEN: lambda before_id, first, last: (
        f"這筆原本的前一筆已不在資料表中（{_ids(first, last)} 不見了）：編號 {before_id:,} 與這筆之間的紀錄被刪除了。"),
    R.ANCHOR_GONE: lambda anchor_id, anchor_hash: _anchor(anchor_id, anchor_hash,
                                                          "已不在資料表中：這一筆與其後的紀錄被刪除了"),
    R.ANCHOR_CHANGED: lambda anchor_id, anchor_hash: _anchor(
        anchor_id, anchor_hash, "的雜湊值已不同：這一筆或更早的紀錄被改動過，整條鏈又被重新計算"),
}


def explanation(broken: ChainBreak) -> str:
    """Why the chain breaks at this row, for the report of `audit --verify` and of a backup's check."""
    return _EXPLANATIONS[broken.reason](**broken.values)


BREAK_KIND_WORDS: dict[BreakKind, str] = {
    BreakKind.CHANGED: "內容被修改",
    BreakKind.MISSING: "紀錄遺失（被刪除）",
    BreakKind.REORDERED: "順序被調動",
    BreakKind.INSERTED: "被插入的紀錄",
    BreakKind.ANCHOR: "已記下的最後一筆不符",
}


def break_kind(kind: BreakKind) -> str:
    """What the first broken link shows, as the report says it after the row."""
    return BREAK_KIND_WORDS[kind]


def who_did_what(broken: ChainBreak) -> str:
    """Who did what, as the broken row says, to find it on the 操作紀錄 page ("" for a written-down anchor)."""
    return "　".join(part for part in (broken.account, broken.action) if part)


# ---- what a backup holds ----

def table_words(name: str) -> str:
    label = TABLE_LABELS.get(name)
    return f"{label}（{name}）" if label else f"「{printable(name)}」"


def counts(counts: Mapping[str, int]) -> str:
    """Rows per table, e.g. 「帳號 2 筆、操作紀錄 14 筆」; the tables without rows left out."""
    return "、".join(f"{TABLE_LABELS.get(name, name)} {count:,} 筆" for name, count in counts.items() if count) \
        or "（沒有資料）"


_VERIFIED = {
    Verified.HMAC: "來源與內容均已驗證（HMAC-SHA256，金鑰 KPI_BACKUP_KEY）",
    Verified.CHECKSUM: "內容完整（SHA-256 檢查碼相符）；未驗證來源（沒有以金鑰驗證）",
    Verified.NONE: "未驗證（第 1 版備份檔沒有檢查碼，依 --accept-unverified 接受）",
}


def verified(level: Verified) -> str:
    return _VERIFIED[level]


_STAGES = {Stage.COPY: "複製", Stage.BACKUP: "備份", Stage.CHECK: "檢查", Stage.RESTORE: "還原"}


def step(done: TransferStep) -> str:
    """A progress line: 「備份帳號：2 筆」, 「檢查帳號」."""
    text = f"{_STAGES[done.stage]}{TABLE_LABELS.get(done.table, done.table)}"
    return text if done.rows is None else f"{text}：{done.rows:,} 筆"


# ---- what is wrong with a backup ----

def shown(value: Any) -> str:
    """A value found in a backup as a message shows it: its kind and a short, printable rendering."""
    if value is None:
        return "null（空值）"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return f"整數 {value}"
    if isinstance(value, Decimal):
        return f"小數 {value}"
    if isinstance(value, str):
        text = value if len(value) <= 40 else value[:40] + "…"
        return f"文字「{printable(text)}」"
    if isinstance(value, list):
        return f"清單（{len(value):,} 項）"
    if isinstance(value, dict):
        return f"物件（{len(value):,} 個欄位）"
    return type(value).__name__


def _limit_use(of_rows: bool) -> str:
    return "資料列" if of_rows else "檔頭、資料表開頭與結尾行"


_HEADER_EXPECTED = {
    "format_version": "整數",
    "schema_version": "整數（資料庫結構版本）",
    "created_at": "含時區的備份時間，例如 2026-01-31T02:30:00+00:00",
    "database": "sqlite 或 postgresql",
    "tables": "資料表名稱的清單（不重複）",
    "table_counts": "各資料表的筆數（非負整數）",
}


def _header_field(field: str, expected: str, value: Any) -> str:
    found = "沒有這個欄位" if value is MISSING else shown(value)
    return f"檔頭的 {field} 應為{_HEADER_EXPECTED[expected]}，卻是{found}；檔案已損壞或遭竄改。"


def _tables_differ(missing: list[str], extra: list[str]) -> str:
    parts = ([f"缺少 {'、'.join(table_words(table) for table in missing)}"] if missing else []) + \
            ([f"多了 {'、'.join(table_words(table) for table in extra)}"] if extra else [])
    return f"檔頭列出的資料表與本程式的資料庫結構不符（{'；'.join(parts)}）；檔案已損壞或遭竄改。"


_COLUMN_KINDS: dict[ColumnKind, Callable[[ColumnExpected], str]] = {
    ColumnKind.DECIMAL_TEXT: lambda expected: "以文字寫成的數字，例如 \"12.5\"",
    ColumnKind.JSON_LIST: lambda expected: "JSON 文字（清單）",
    ColumnKind.JSON_OBJECT: lambda expected: "JSON 文字（物件）",
    ColumnKind.BOOLEAN: lambda expected: "true 或 false",
    ColumnKind.INTEGER: lambda expected: f"整數（{expected.low:,} 至 {expected.high:,}）",
    ColumnKind.DATETIME: lambda expected: "不含時區的日期時間，例如 2026-01-31T08:00:00",
    ColumnKind.TEXT: lambda expected: "文字（不含 NUL 字元）" + (f"，最多 {expected.length:,} 字" if expected.length else ""),
}


def column_expected(expected: ColumnExpected) -> str:
    return _COLUMN_KINDS[expected.kind](expected) + ("或 null" if expected.nullable else "")


_UNIQUES = {UniqueKind.PRIMARY: "主鍵", UniqueKind.CONSTRAINT: "唯一鍵", UniqueKind.INDEX: "唯一索引",
            UniqueKind.PARTIAL_INDEX: "唯一索引（部分）"}


def _duplicate_key(unique: UniqueKind, names: tuple[str, ...], values: tuple) -> str:
    keys = "、".join(f"{name}＝{printable(str(value))[:80]}" for name, value in zip(names, values))
    return f"{_UNIQUES[unique]} {keys} 與前面的一筆重複（同一個資料表中不能有兩筆）"


def _dangling(column: str, value: Any, parent: str, parent_column: str) -> str:
    found = printable(str(value))[:80]
    return f"欄位 {column}＝{found} 指向的{table_words(parent)}不存在（備份檔中沒有 {parent_column}＝{found} 的那一筆）"


def _not_toml(cycle: bool, error: Any, document: str) -> str:
    what = "考核週期" if cycle else "計畫"
    return f"欄位 document：{what}內容不是正確的 TOML（{printable(decode_error(error, document))[:200]}），這一版{what}將無法讀取"


def _too_deep(cycle: bool) -> str:
    what = "考核週期" if cycle else "計畫"
    return f"欄位 document：{what}內容的巢狀層次太深，不是正確的{what}"


def _chain_broken(broken: ChainBreak) -> str:
    what = who_did_what(broken)
    return (f"操作紀錄的雜湊鏈在編號 {broken.row_id:,}{'（' + printable(what)[:80] + '）' if what else ''}中斷，"
            f"{break_kind(broken.kind)}：{explanation(broken)}備份檔中的操作紀錄被改寫過，不能據以還原")


def _not_json(detail: str) -> str:
    return f"不是正確的 JSON（{printable(detail)[:200]}）；檔案已損壞或遭竄改。"


# A row's faults: said after 「{table} 第 n 筆：」 and ended with 「。」.
_ROW_FAULTS: dict[BackupProblem, Callable[..., str]] = {
    B.DUPLICATE_KEY: _duplicate_key,
    B.DANGLING_REFERENCE: _dangling,
    B.DOCUMENT_NOT_TOML: _not_toml,
    B.DOCUMENT_TOO_DEEP: _too_deep,
    B.AUDIT_UNCHAINED: lambda: ("沒有雜湊值：這份備份的操作紀錄沒有雜湊鏈，無法確認未被改寫。若確定這是雜湊鏈啟用之前的備份且"
                                "未經他人經手，可加上 --accept-unverified 還原"),
    B.AUDIT_CHAIN_RESUMED: lambda: "有雜湊值，但前面的紀錄沒有：操作紀錄的雜湊鏈不完整，檔案可能遭竄改",
    B.AUDIT_CHAIN_BROKEN: _chain_broken,
}

# Said after 「備份檔「file」第 n 行：」 and before 「已拒絕此備份檔，未寫入任何資料。」; a row's name (table, row) first
# where the problem is a row's.
_AT_LINE: dict[BackupProblem, Callable[..., str]] = {
    B.LINE_TOO_LONG: lambda length, limit, of_rows: (f"這一行長 {length:,} 位元組，超過上限 {limit:,} 位元組"
                                                     f"（{_limit_use(of_rows)}）；檔案可能遭竄改或不是本系統產生的。"),
    B.LINE_UNENDED: lambda limit, of_rows: (f"這一行超過上限 {limit:,} 位元組（{_limit_use(of_rows)}）仍未結束；"
                                            "檔案可能遭竄改或不是本系統產生的。"),
    B.CUT_MID_LINE: lambda: "檔案在這一行的中途結束（備份檔不完整，可能複製時中斷）。",
    B.TOO_LARGE: lambda max_bytes: (f"解壓縮後已超過 {max_bytes:,} 位元組，超過備份檔的大小上限；檔案可能是"
                                    "惡意的壓縮炸彈。若確實是這麼大的資料庫的備份，請以 --max-mb 提高上限後再試。"),
    B.NOT_DECOMPRESSIBLE: lambda detail: f"壓縮資料損壞或不完整，無法解壓縮（{detail}）；檔案可能複製不完整或已損壞。",
    B.NOT_UTF8: lambda byte: f"第 {byte:,} 個位元組不是 UTF-8 文字；檔案已損壞或遭竄改。",
    B.NESTED_TOO_DEEP: lambda: "內容的巢狀層次太深（清單或物件層層相套），不是本系統產生的格式；檔案可能遭竄改。",
    B.NOT_JSON: _not_json,
    B.DUPLICATE_KEYS: lambda keys: _not_json(f"欄位名稱重複：{'、'.join(keys)}"),
    B.NOT_A_NUMBER: lambda constant: _not_json(f"不接受 {constant}"),
    B.HEADER_FIELD_WRONG: _header_field,
    B.HEADER_UNKNOWN_FIELDS: lambda keys: (f"檔頭有不認得的欄位 {'、'.join(printable(key) for key in keys)}；"
                                           "檔案可能遭竄改。"),
    B.HEADER_TABLES_DIFFER: _tables_differ,
    B.TABLES_CUT: lambda table: f"檔案在此結束，缺少 {table_words(table)} 與之後的資料表（備份檔不完整，可能被截斷）。",
    B.NOT_A_SECTION: lambda table, value: (f"應為 {table_words(table)} 資料表的開頭，卻是{shown(value)}；缺少此資料表，"
                                           "或上一個資料表的筆數與實際不符。"),
    B.WRONG_SECTION: lambda table, found: (f"應為 {table_words(table)} 資料表的開頭，卻是「{printable(found)}」；"
                                           "檔頭列出的資料表缺少或順序不對。"),
    B.SECTION_FIELDS: lambda table: f"{table_words(table)} 資料表的開頭應有 table、columns 與 rows（非負整數）。",
    B.SECTION_COUNT_DIFFERS: lambda table, count, declared: (
        f"{table_words(table)} 資料表的筆數為 {count:,}，與檔頭記載的 {declared:,} 筆不符。"),
    B.SECTION_COLUMNS: lambda table, declared, columns: (
        f"{table_words(table)} 資料表的欄位應為 {'、'.join(declared)}，卻是"
        f"{printable(json.dumps(columns, ensure_ascii=False))[:300]}。"),
    B.ROWS_CUT: lambda table, count, read: (f"檔案在此結束：{table_words(table)} 應有 {count:,} 筆，只讀到 {read:,} 筆"
                                            "（備份檔不完整，可能被截斷）。"),
    B.ROW_NOT_A_LIST: lambda table, row, value: (f"{table_words(table)} 第 {row:,} 筆應為一列值（清單），"
                                                 f"卻是{shown(value)}；可能是筆數與實際不符。"),
    B.ROW_WIDTH: lambda table, row, expected, found: (f"{table_words(table)} 第 {row:,} 筆應有 {expected} 個值，"
                                                      f"卻有 {found} 個。"),
    B.ROW_SURROGATE: lambda table, row, column: (
        f"{table_words(table)} 第 {row:,} 筆，欄位 {column}：文字中有不成對的代理字元（以 \\ud800 這類跳脫碼寫成），"
        "不是有效的 Unicode 文字，無法儲存；檔案已損壞或遭竄改。"),
    B.ROW_VALUE_WRONG: lambda table, row, column, expected, value: (
        f"{table_words(table)} 第 {row:,} 筆，欄位 {column}：應為{column_expected(expected)}，卻是{shown(value)}。"),
    B.DATA_AFTER_TABLES: lambda: "最後一個資料表之後還有資料（檔頭沒有列出）；檔案已損壞或遭竄改。",
    B.TRAILER_MISSING: lambda: "檔案在此結束，缺少結尾的檢查碼行（備份檔不完整，可能被截斷）。",
    B.NOT_A_TRAILER: lambda value: (f"最後一個資料表之後應為結尾的檢查碼行，卻是{shown(value)}；可能多了檔頭沒有列出的資料，"
                                    "或筆數與實際不符。"),
    B.TRAILER_FIELDS: lambda: "結尾行應有 end、lines、rows、sha256（64 位十六進位）與選用的 hmac_sha256、audit_anchor。",
    B.DATA_AFTER_TRAILER: lambda: "結尾的檢查碼行之後還有資料；檔案已損壞或遭竄改。",
    B.CHECKSUM_DIFFERS: lambda: "內容的 SHA-256 檢查碼不符：檔案在備份之後被修改或已損壞。",
    B.HMAC_MISSING: lambda variable: (f"已設定 {variable}，但這個備份檔沒有來源驗證碼（HMAC）：它不是以此金鑰產生的"
                                      "（可能是設定金鑰之前的備份，或被人移除了驗證碼）。若確定檔案來自本機構，可加上 "
                                      "--accept-unverified 還原。"),
    B.HMAC_DIFFERS: lambda variable: (f"來源驗證碼（HMAC）不符：這個備份檔不是以目前的 {variable} 產生的，或內容在備份"
                                      "之後被修改（即使重新計算了 SHA-256 檢查碼）。請確認金鑰與檔案來源。"),
    B.TRAILER_COUNTS_DIFFER: lambda: "結尾行記載的行數或各資料表筆數與實際內容不符；檔案已損壞或遭竄改。",
    B.TRAILER_ANCHOR_DIFFERS: lambda: "結尾行記載的操作紀錄最後一筆（audit_anchor）與備份內容的操作紀錄不符；檔案已損壞或遭竄改。",
}

# The file as a whole, or the key: said as they are (file: the backup's name).
_WHOLE: dict[BackupProblem, Callable[..., str]] = {
    B.KEY_TOO_SHORT: lambda file, variable, length, minimum: (
        f"環境變數 {variable} 已設定，但只有 {length} 個字元，太短而不足以當作金鑰（至少 {minimum} 個字元；"
        "可用 openssl rand -hex 32 產生）；請設定正確的金鑰，或取消設定此變數。未寫入任何資料。"),
    B.CANNOT_OPEN: lambda file, path, detail, errno=None: f"無法開啟備份檔「{path}」：{os_reason_of(errno, detail)}",
    B.EMPTY: lambda file: "檔案是空的。",
    B.NO_HEADER: lambda file, cause: f"「{file}」{NOT_A_BACKUP}，無法讀取檔頭：{fault(cause)}",
    B.NOT_A_BACKUP: lambda file: f"「{file}」{NOT_A_BACKUP}。{REFUSED}",
    B.FORMAT_VERSION_UNKNOWN: lambda file, version, lowest, highest: (
        f"「{file}」的備份格式版本為 {version}，本程式只讀得懂第 {lowest} 至 {highest} 版；"
        f"請改用產生它的程式版本還原。{REFUSED}"),
    B.SCHEMA_NEWER: lambda file, schema, supported: (
        f"「{file}」來自資料庫結構第 {schema} 版，比本程式支援的第 {supported} 版新；"
        "請改用較新版的程式還原。為避免資料損壞，未寫入任何資料。"),
    B.SCHEMA_OLDER: lambda file, schema, supported: (
        f"「{file}」來自資料庫結構第 {schema} 版，本程式為第 {supported} 版；請先以產生"
        "此備份的程式版本還原，再以本程式開啟該資料庫（會自動升級），然後重新備份。未寫入任何資料。"),
    B.FORMAT_1_NOT_ACCEPTED: lambda file: (
        f"「{file}」是第 1 版的備份檔，沒有檢查碼，無法確認內容在備份後未被修改或截斷。若確定這個檔案"
        "來自本機構的備份且未經他人經手，可加上 --accept-unverified 還原（仍會檢查每一行的格式與筆數）；"
        f"否則請改用新版程式產生的備份。{REFUSED}"),
    B.CHANGED_DURING_RESTORE: lambda file: f"備份檔「{file}」在檢查之後、還原之中被更換或修改；{REFUSED}",
    B.UNCHAINED_ACCEPTED: lambda file: ("操作紀錄沒有雜湊鏈（雜湊鏈啟用之前的紀錄），無法驗證是否被改寫；"
                                        "是依 --accept-unverified 接受的。"),
    B.FORMAT_1_ACCEPTED: lambda file: f"「{file}」是第 1 版的備份檔，沒有檢查碼：內容未經驗證，是依 --accept-unverified 接受的。",
    B.NO_HMAC_ACCEPTED: lambda file: (f"「{file}」沒有來源驗證碼（HMAC），是依 --accept-unverified 接受的；"
                                      "只驗證了內容完整（SHA-256），未驗證來源。"),
    B.HMAC_NOT_VERIFIED: lambda file, variable: (f"「{file}」帶有來源驗證碼（HMAC），但未設定 {variable}，無法驗證來源；"
                                                 "只驗證了內容完整（SHA-256）。"),
}


def fault(found: BackupFault) -> str:
    """What a person reads for a backup refused (or accepted with a warning)."""
    values = dict(found.values)
    if found.problem in _ROW_FAULTS:
        table, row = values.pop("table"), values.pop("row")
        text = f"{table_words(table)} 第 {row:,} 筆：{_ROW_FAULTS[found.problem](**values)}。"
    elif found.problem in _AT_LINE:
        text = _AT_LINE[found.problem](**values)
    else:
        return _WHOLE[found.problem](file=found.file, **values)
    return f"備份檔「{found.file}」第 {found.line:,} 行：{text}{REFUSED}"


def install() -> None:
    BackupFault.wording = fault
    ChainBreak.wording = explanation
