"""A backup is believed only after every byte of it was checked: its sections against the header, its row counts,
its end, its SHA-256 (and HMAC with KPI_BACKUP_KEY), its line lengths and size before parsing, and the type of every
header field and every column of every row. Each refusal names the line (and table and column) and leaves the
target store exactly as empty as it was; the command line exits 2 with the message, never a traceback.

The files are the real backup of a small store, edited the way an attacker or a broken copy would: `sealed` cases
recompute the trailer's counts and SHA-256 (as anyone can), so what refuses them is the check under test."""

from __future__ import annotations

import datetime as dt
import gzip
import hashlib
import hmac
import json
import zlib
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import pandas as pd
import pytest

from metrics import cli
from metrics.store.transfer import check
from metrics.plans.roles import load_roles
from metrics.store.audit_chain import GENESIS, row_hash
from catalogues import GOLDEN_PLANS
from metrics.plans.catalogue import load_catalogue
from metrics.errors import BackupRefused
from metrics.intake.tidy import TIDY_COLUMNS
from metrics.services.seeding import seed_store
from metrics.services import Services, command_line
from metrics.services.review import cycle_in_force
from metrics.store import TRANSFER_TABLES, Store
from metrics.store.transfer.check import check_backup
from metrics.store.transfer.format import BackupCheck, Verified, backup_key
from metrics.store.transfer.restore import restore_backup
from metrics.store.transfer.write import write_backup

KEY = b"a-test-key-of-32-characters-long"
OTHER_KEY = b"another-key-also-32-characters!!"

Lines = list[str]  # the decompressed lines of a backup, without their newlines


def one_value() -> pd.DataFrame:
    return pd.DataFrame.from_records([(112, 1, "政風處", "warning_cases", Decimal("1.5"), "a.csv", "", "B2")],
                                     columns=list(TIDY_COLUMNS))


@pytest.fixture(scope="module")
def made(tmp_path_factory) -> dict[str, Path]:
    """A store with a batch, a note, an account and their audit rows; its backup plain and signed with KEY."""
    folder = tmp_path_factory.mktemp("backups")
    with Store(f"sqlite:///{folder / 'kpi.sqlite3'}") as store:
        store.ingest(one_value(), file_name="a.csv", file_bytes=b"a")
        seed_store(store, load_catalogue(GOLDEN_PLANS))  # as the app does: a note needs the plan
        services = Services(store, load_roles(GOLDEN_PLANS))
        operator = command_line("tester")
        services.save_note(operator, 112, "政風處", 2, "10-1", "系統轉換期間人工收文", "3 月起全面線上簽核")
        services.add_account(operator, "reporter.a", display_name="王填報", roles=["reporter"], units=["政風處"],
                             password="correct horse battery")
        cycle_in_force(services, GOLDEN_PLANS)  # the cycle's version 1
        plain, signed = folder / "plain.jsonl.gz", folder / "signed.jsonl.gz"
        write_backup(store, plain)
        assert write_backup(store, signed, key=KEY).signed
    return {"plain": plain, "signed": signed}


def read_lines(path: Path) -> Lines:
    with gzip.open(path, "rb") as stream:
        return stream.read().decode("utf-8").split("\n")[:-1]


def write_lines(lines: Lines, path: Path) -> Path:
    with gzip.open(path, "wb") as stream:
        stream.write("".join(line + "\n" for line in lines).encode("utf-8"))
    return path


def seal(lines: Lines, *, key: bytes | None = None, keep_hmac: bool = False) -> Lines:
    """The trailer recomputed over the (edited) content, as whoever edited the file can: counts, lines, SHA-256,
    and the HMAC with `key` (the attacker's guess) or the original HMAC kept (`keep_hmac`) or none."""
    content, old = lines[:-1], json.loads(lines[-1])
    data = "".join(line + "\n" for line in content).encode("utf-8")
    rows = {}
    for line in content:
        try:
            document = json.loads(line)
        except (ValueError, RecursionError):
            continue
        if isinstance(document, dict) and "table" in document:
            rows[document["table"]] = document["rows"]
    trailer = {"end": "kpi-store-backup", "lines": len(content), "rows": rows,
               "sha256": hashlib.sha256(data).hexdigest()}
    if key is not None:
        trailer["hmac_sha256"] = hmac.new(key, data, hashlib.sha256).hexdigest()
    elif keep_hmac:
        trailer["hmac_sha256"] = old["hmac_sha256"]
    return [*content, json.dumps(trailer)]


def section(lines: Lines, table: str) -> tuple[int, list[str], int]:
    """(index of the table line, its columns, its row count)."""
    for index, line in enumerate(lines):
        if line.startswith('{"table": "' + table + '"'):
            document = json.loads(line)
            return index, document["columns"], document["rows"]
    raise AssertionError(table)


def edit_header(**changes) -> Callable[[Lines], Lines]:
    def change(lines: Lines) -> Lines:
        header = json.loads(lines[0])
        for name, value in changes.items():
            if value is DELETE:
                del header[name]
            else:
                header[name] = value
        return [json.dumps(header, ensure_ascii=False), *lines[1:]]
    return change


DELETE = object()


def edit_row(table: str, column: str, value, number: int = 1) -> Callable[[Lines], Lines]:
    def change(lines: Lines) -> Lines:
        start, columns, _ = section(lines, table)
        row = json.loads(lines[start + number])
        row[columns.index(column)] = value
        return [*lines[:start + number], json.dumps(row, ensure_ascii=False), *lines[start + number + 1:]]
    return change


def replace_row(table: str, text: str, number: int = 1) -> Callable[[Lines], Lines]:
    def change(lines: Lines) -> Lines:
        start, _, _ = section(lines, table)
        return [*lines[:start + number], text, *lines[start + number + 1:]]
    return change


def drop_section(table: str, *, from_header: bool = False) -> Callable[[Lines], Lines]:
    def change(lines: Lines) -> Lines:
        start, _, count = section(lines, table)
        kept = [*lines[:start], *lines[start + 1 + count:]]
        if from_header:
            header = json.loads(kept[0])
            header["tables"].remove(table)
            kept[0] = json.dumps(header)
        return kept
    return change


def declare_rows(table: str, delta: int) -> Callable[[Lines], Lines]:
    def change(lines: Lines) -> Lines:
        start, _, _ = section(lines, table)
        document = json.loads(lines[start])
        document["rows"] += delta
        return [*lines[:start], json.dumps(document), *lines[start + 1:]]
    return change


def rechain(lines: Lines) -> Lines:
    """The audit rows' hash chain recomputed over their (edited) content, as anyone can: the chain has no secret."""
    start, columns, count = section(lines, "audit_log")
    previous, out = GENESIS, list(lines)
    for index in range(start + 1, start + 1 + count):
        row = json.loads(out[index])
        record = dict(zip(columns, row))
        record["at"] = dt.datetime.fromisoformat(record["at"])
        row[columns.index("previous_hash")] = previous
        row[columns.index("row_hash")] = previous = row_hash(previous, record)
        out[index] = json.dumps(row, ensure_ascii=False)
    return out


def forged_administrator(lines: Lines) -> Lines:
    """The attack of the issue: an administrator added, the audit rows rewritten to hide it (chain recomputed)."""
    start, columns, count = section(lines, "accounts")
    row = json.loads(lines[start + 1])
    row[columns.index("id")] = 99
    row[columns.index("username")] = "intruder"
    row[columns.index("roles")] = '["administrator"]'
    table_line = json.loads(lines[start])
    table_line["rows"] = count + 1
    lines = [*lines[:start], json.dumps(table_line), *lines[start + 1:start + 1 + count],
             json.dumps(row, ensure_ascii=False), *lines[start + 1 + count:]]
    audit, audit_columns, audit_count = section(lines, "audit_log")
    for index in range(audit + 1, audit + 1 + audit_count):
        row = json.loads(lines[index])
        row[audit_columns.index("account")] = "命令列（系統）"
        lines[index] = json.dumps(row, ensure_ascii=False)
    return rechain(lines)


def cut_after_accounts(lines: Lines) -> Lines:
    start, _, count = section(lines, "accounts")
    return lines[:start + 1 + count]


def as_format_1(lines: Lines) -> Lines:
    """The same content as a backup of format 1 wrote it: counts in the header, no trailer."""
    header = json.loads(lines[0])
    header["format_version"] = 1
    header["tables"] = {table.name: section(lines, table.name)[2] for table in TRANSFER_TABLES}
    return [json.dumps(header, ensure_ascii=False), *lines[1:-1]]


def unchanged(lines: Lines) -> Lines:
    return lines


def surrogate_row(lines: Lines) -> Lines:
    start, columns, _ = section(lines, "batches")
    row = json.loads(lines[start + 1])
    row[columns.index("file_name")] = "X"
    text = json.dumps(row, ensure_ascii=False).replace('"X"', '"\\ud800"')
    return [*lines[:start + 1], text, *lines[start + 2:]]


def duplicated(table: str, **changes) -> Callable[[Lines], Lines]:
    """The first row of `table` once more at its end, with `changes` (same primary key unless changed)."""
    def change(lines: Lines) -> Lines:
        start, columns, count = section(lines, table)
        row = json.loads(lines[start + 1])
        for column, value in changes.items():
            row[columns.index(column)] = value
        return declare_rows(table, 1)([*lines[:start + 1 + count], json.dumps(row, ensure_ascii=False),
                                       *lines[start + 1 + count:]])
    return change


def session_of(account_id: int) -> Callable[[Lines], Lines]:
    """A login session added for account `account_id`."""
    def change(lines: Lines) -> Lines:
        start, columns, count = section(lines, "login_sessions")
        values = {"token_hash": "f" * 64, "account_id": account_id, "method": "password",
                  "created_at": "2026-01-01T08:00:00", "last_seen_at": "2026-01-01T08:00:00", "ended_at": None}
        row = [values[column] for column in columns]
        return declare_rows("login_sessions", 1)([*lines[:start + 1 + count], json.dumps(row),
                                                  *lines[start + 1 + count:]])
    return change


def deep(depth: int) -> str:
    return "[" * depth + "]" * depth


# (what, which backup, edit, sealed, restore key, accept_unverified, message expected)
REFUSED = [
    ("cut after the accounts", "plain", cut_after_accounts, False, None, False,
     r"第 \d+ 行：檔案在此結束，缺少 考核自評（assessments） 與之後的資料表"),
    ("cut after the last table", "plain", lambda lines: lines[:-1], False, None, False, "缺少結尾的檢查碼行"),
    ("cut inside a row", "plain", lambda lines: [*lines[:5], lines[5][:10]], "unended", None, False,
     "檔案在這一行的中途結束"),
    ("audit section missing, header unchanged", "plain", drop_section("audit_log"), True, None, False,
     r"應為 操作紀錄（audit_log） 資料表的開頭"),
    ("audit section missing, also from the header", "plain", drop_section("audit_log", from_header=True), True,
     None, False, r"檔頭列出的資料表與本程式的資料庫結構不符（缺少 操作紀錄（audit_log））"),
    ("a table declared with one row too many", "plain", declare_rows("accounts", 1), True, None, False,
     r"帳號（accounts） 第 2 筆應為一列值（清單），卻是物件"),
    ("a table declared with one row too few", "plain", declare_rows("audit_log", -1), True, None, False,
     r"應為 上傳批次（batches） 資料表的開頭，卻是清單"),
    ("a table's count against format 1's header", "plain",
     lambda lines: declare_rows("notes", 1)(as_format_1(lines)), False, None, True,
     r"落後說明（notes） 資料表的筆數為 2，與檔頭記載的 1 筆不符"),
    ("a row edited, checksum not recomputed", "plain", edit_row("current_values", "value", "100"), False, None,
     False, "SHA-256 檢查碼不符"),
    ("an administrator added, checksum not recomputed", "plain", forged_administrator, False, None, False,
     "SHA-256 檢查碼不符"),
    ("an administrator added, checksum recomputed, HMAC kept", "signed", forged_administrator, "keep", KEY, False,
     r"來源驗證碼（HMAC）不符"),
    ("an administrator added, checksum recomputed, HMAC removed", "signed", forged_administrator, True, KEY, False,
     r"沒有來源驗證碼（HMAC）"),
    ("an administrator added, signed with another key", "signed", forged_administrator, OTHER_KEY, KEY, False,
     r"來源驗證碼（HMAC）不符"),
    ("an unsigned backup with the key set", "plain", unchanged, False, KEY, False, r"沒有來源驗證碼（HMAC）"),
    ("a signed backup checked with another key", "signed", unchanged, False, OTHER_KEY, False,
     r"來源驗證碼（HMAC）不符"),
    ("a wrong HMAC even with --accept-unverified", "signed", unchanged, False, OTHER_KEY, True,
     r"來源驗證碼（HMAC）不符"),
    ("a wrong checksum even with --accept-unverified", "plain", edit_row("notes", "reason", "改過"), False, None,
     True, "SHA-256 檢查碼不符"),
    ("a line after the trailer", "plain", lambda lines: [*lines, "[]"], False, None, False,
     "結尾的檢查碼行之後還有資料"),
    ("a section the header does not list", "plain",
     lambda lines: [*lines[:-1], '{"table": "extra", "columns": [], "rows": 0}', lines[-1]], True, None, False,
     "應為結尾的檢查碼行，卻是物件"),
    ("format 1 without --accept-unverified", "plain", as_format_1, False, None, False,
     "第 1 版的備份檔，沒有檢查碼"),
    ("format 1 with a line after the last table", "plain", lambda lines: [*as_format_1(lines), "[]"], False, None,
     True, "最後一個資料表之後還有資料"),
    ("created_at missing", "plain", edit_header(created_at=DELETE), True, None, False,
     "檔頭的 created_at 應為含時區的備份時間.*卻是沒有這個欄位"),
    ("created_at not a date", "plain", edit_header(created_at="昨天"), True, None, False,
     "檔頭的 created_at 應為含時區的備份時間.*卻是文字「昨天」"),
    ("schema_version as text", "plain", edit_header(schema_version="3"), True, None, False,
     r"檔頭的 schema_version 應為整數（資料庫結構版本），卻是文字「3」"),
    ("schema_version true", "plain", edit_header(schema_version=True), True, None, False,
     "檔頭的 schema_version 應為整數.*卻是true"),
    ("format_version as text", "plain", edit_header(format_version="2"), True, None, False,
     "檔頭的 format_version 應為整數，卻是文字「2」"),
    ("database unknown", "plain", edit_header(database="oracle"), True, None, False,
     "檔頭的 database 應為sqlite 或 postgresql"),
    ("tables not a list", "plain", edit_header(tables="all"), True, None, False, "檔頭的 tables 應為資料表名稱的清單"),
    ("an unknown header field", "plain", edit_header(comment="hi"), True, None, False, "檔頭有不認得的欄位 comment"),
    ("a duplicated header field", "plain",
     lambda lines: [lines[0][:-1] + ', "schema_version": 99}', *lines[1:]], True, None, False, "欄位名稱重複"),
    ("a deeply nested header", "plain", lambda lines: [deep(100_000)[:60_000], *lines[1:]], True, None, False,
     "不是本系統的備份檔.*巢狀層次太深"),
    ("a deeply nested row", "plain", replace_row("notes", deep(100_000)), True, None, False,
     r"第 \d+ 行：內容的巢狀層次太深"),
    ("a nested value in a row", "plain", edit_row("notes", "reason", [["x"]]), True, None, False,
     r"落後說明（notes） 第 1 筆，欄位 reason：應為文字（不含 NUL 字元），卻是清單"),
    ("a bad date", "plain", edit_row("audit_log", "at", "2026-13-45T00:00:00"), True, None, False,
     r"操作紀錄（audit_log） 第 1 筆，欄位 at：應為不含時區的日期時間.*卻是文字「2026-13-45T00:00:00」"),
    ("a date with a time zone", "plain", edit_row("notes", "updated_at", "2026-01-01T00:00:00+08:00"), True, None,
     False, "欄位 updated_at：應為不含時區的日期時間"),
    ("created_at of a row missing (null)", "plain", edit_row("accounts", "created_at", None), True, None, False,
     r"帳號（accounts） 第 1 筆，欄位 created_at：應為不含時區的日期時間.*卻是null"),
    ("an integer as text", "plain", edit_row("batches", "id", "1"), True, None, False,
     r"欄位 id：應為整數.*卻是文字「1」"),
    ("an integer as a fraction", "plain", edit_row("notes", "month", 2.5), True, None, False,
     "欄位 month：應為整數.*卻是小數 2.5"),
    ("an integer out of range", "plain", edit_row("notes", "year", 2**40), True, None, False,
     "欄位 year：應為整數（-2,147,483,648 至 2,147,483,647）"),
    ("a boolean as a number", "plain", edit_row("accounts", "active", 1), True, None, False,
     "欄位 active：應為true 或 false，卻是整數 1"),
    ("a decimal not a number", "plain", edit_row("current_values", "value", "1e5"), True, None, False,
     r"現行數值（current_values） 第 1 筆，欄位 value：應為以文字寫成的數字"),
    ("a decimal as a JSON number", "plain", edit_row("current_values", "value", 1.5), True, None, False,
     "欄位 value：應為以文字寫成的數字.*卻是小數 1.5"),
    ("roles not JSON", "plain", edit_row("accounts", "roles", "administrator"), True, None, False,
     "欄位 roles：應為JSON 文字（清單）"),
    ("a text too long for its column", "plain", edit_row("batches", "sha256", "f" * 65), True, None, False,
     "欄位 sha256：應為文字（不含 NUL 字元），最多 64 字"),
    ("a NUL in a text", "plain", edit_row("notes", "reason", "a\u0000b"), True, None, False,
     r"欄位 reason：應為文字（不含 NUL 字元）.*卻是文字「a\\x00b」"),
    ("a lone surrogate in a text", "plain", surrogate_row, True, None, False,
     r"欄位 file_name：文字中有不成對的代理字元（以 \\ud800 這類跳脫碼寫成），不是有效的 Unicode 文字"),
    ("a NaN", "plain", edit_row("notes", "month", float("nan")), True, None, False, "不是正確的 JSON（不接受 NaN）"),
    ("a row with a value too few", "plain", lambda lines: replace_row("notes", "[1]")(lines), True, None, False,
     r"落後說明（notes） 第 1 筆應有 8 個值，卻有 1 個"),
    ("a column renamed", "plain",
     lambda lines: [line.replace('"reason"', '"excuse"') if line.startswith('{"table": "notes"') else line
                    for line in lines], True, None, False, "落後說明（notes） 資料表的欄位應為"),
    ("not UTF-8", "plain", lambda lines: lines, "latin", None, False, "不是 UTF-8 文字"),
    # what the database would refuse at the end of a restore, refused at the line (issue 19, B3)
    ("a duplicate account id", "plain", duplicated("accounts", username="intruder"), True, None, False,
     r"第 \d+ 行：帳號（accounts） 第 2 筆：主鍵 id＝1 與前面的一筆重複"),
    ("a duplicate user name in another case", "plain", duplicated("accounts", id=2, username="REPORTER.A"), True,
     None, False, r"帳號（accounts） 第 2 筆：唯一索引 lower\(username\)＝reporter.a 與前面的一筆重複"),
    ("a duplicate e-mail", "plain", lambda lines: duplicated("accounts", id=2, username="other")(
        edit_row("accounts", "email", "a@example.org")(lines)), True, None, False,
     r"帳號（accounts） 第 2 筆：唯一索引（部分） lower\(email\)＝a@example.org 與前面的一筆重複"),
    ("a duplicate value key", "plain", duplicated("current_values", value="9"), True, None, False,
     r"現行數值（current_values） 第 2 筆：主鍵 year＝112、unit＝政風處、field＝warning_cases、month＝1 與前面的一筆重複"),
    ("a duplicate plan version number", "plain", duplicated("plan_versions", id=999), True, None, False,
     r"計畫版本（plan_versions） 第 \d+ 筆：唯一鍵 year＝\d+、unit＝.*、number＝1 與前面的一筆重複"),
    ("a login session of a missing account", "plain", session_of(777), True, None, False,
     r"登入紀錄（login_sessions） 第 1 筆：欄位 account_id＝777 指向的帳號（accounts）不存在"),
    ("a value of a missing batch", "plain", edit_row("current_values", "batch_id", 55), True, None, False,
     r"現行數值（current_values） 第 1 筆：欄位 batch_id＝55 指向的上傳批次（batches）不存在"),
    ("a change of a missing previous batch", "plain", edit_row("value_changes", "previous_batch_id", 56), True,
     None, False, r"數值異動紀錄（value_changes） 第 1 筆：欄位 previous_batch_id＝56 指向的上傳批次（batches）不存在"),
    # the audit chain and the plans, checked as they are read (B4)
    ("an audit row rewritten, checksum recomputed, chain not", "plain",
     edit_row("audit_log", "detail", "什麼也沒發生"), True, None, False,
     r"操作紀錄（audit_log） 第 1 筆：操作紀錄的雜湊鏈在編號 1（.*）中斷，內容被修改"),
    ("an audit row deleted, checksum recomputed", "plain",
     lambda lines: declare_rows("audit_log", -1)(
         [line for index, line in enumerate(lines) if index != section(lines, "audit_log")[0] + 1]), True, None,
     False, r"操作紀錄（audit_log） 第 1 筆：操作紀錄的雜湊鏈在編號 2.*中斷，紀錄遺失（被刪除）"),
    ("audit rows without hashes", "plain",
     lambda lines: edit_row("audit_log", "row_hash", None)(edit_row("audit_log", "previous_hash", None)(lines)),
     True, None, False, r"操作紀錄（audit_log） 第 1 筆：沒有雜湊值.*--accept-unverified"),
    ("a plan version that is not TOML", "plain", edit_row("plan_versions", "document", "這不是 [TOML"), True, None,
     False, r"計畫版本（plan_versions） 第 1 筆：欄位 document：計畫內容不是正確的 TOML"),
    ("a cycle version that is not TOML", "plain", edit_row("cycle_versions", "document", "[monthly"), True, None,
     False, r"考核週期版本（cycle_versions） 第 1 筆：欄位 document：考核週期內容不是正確的 TOML"),
    ("cycle changes not JSON", "plain", edit_row("cycle_versions", "changes", "改了"), True, None, False,
     "欄位 changes：應為JSON 文字（清單）"),
    ("a trailer's audit anchor not the chain's end", "plain",
     lambda lines: [*lines[:-1],
                    json.dumps({**json.loads(lines[-1]), "audit_anchor": {"id": 1, "row_hash": "0" * 64}})],
     False, None, False, "結尾行記載的操作紀錄最後一筆（audit_anchor）與備份內容的操作紀錄不符"),
]


def prepared(made: dict[str, Path], tmp_path: Path, which: str, change, sealed) -> Path:
    lines = change(read_lines(made[which]))
    if sealed is True:
        lines = seal(lines)
    elif sealed == "keep":
        lines = seal(lines, keep_hmac=True)
    elif isinstance(sealed, bytes):
        lines = seal(lines, key=sealed)
    path = write_lines(lines, tmp_path / "edited.jsonl.gz")
    if sealed == "unended":  # the copy stopped inside the last line
        path.write_bytes(gzip.compress(gzip.decompress(path.read_bytes())[:-1]))
    if sealed == "latin":  # a byte that is not UTF-8 inside a row, the checksum recomputed over the bytes
        data = gzip.decompress(path.read_bytes()).replace("系統轉換".encode(), b"\xff\xfe\xfd\xfc", 1)
        content = data[:data.rstrip(b"\n").rfind(b"\n") + 1]
        trailer = json.loads(data[len(content):])
        trailer["sha256"] = hashlib.sha256(content).hexdigest()
        path.write_bytes(gzip.compress(content + json.dumps(trailer).encode() + b"\n"))
    return path


@pytest.mark.parametrize(("what", "which", "change", "sealed", "key", "accept", "expected"), REFUSED,
                         ids=[case[0] for case in REFUSED])
def test_a_damaged_or_forged_backup_is_refused_and_nothing_is_written(
        made, tmp_path: Path, what, which, change, sealed, key, accept, expected) -> None:
    path = prepared(made, tmp_path, which, change, sealed)
    with pytest.raises(BackupRefused, match=expected) as refused:
        check_backup(path, key=key, accept_unverified=accept)
    assert "未寫入任何資料" in str(refused.value)
    with Store(f"sqlite:///{tmp_path / 'target.sqlite3'}") as target:
        with pytest.raises(BackupRefused, match=expected):
            restore_backup(path, target, key=key, accept_unverified=accept)
        assert not any(target.row_counts().values())


def test_the_command_line_refuses_with_the_message_and_creates_no_database(made, tmp_path: Path, capsys,
                                                                            monkeypatch) -> None:
    monkeypatch.delenv("KPI_BACKUP_KEY", raising=False)
    for what, change, expected in (
            ("created_at missing", edit_header(created_at=DELETE), "檔頭的 created_at 應為"),
            ("schema_version as text", edit_header(schema_version="3"), "schema_version 應為整數"),
            ("a bad date", edit_row("audit_log", "at", "2026-02-30T00:00:00"), "欄位 at：應為不含時區的日期時間"),
            ("a deeply nested row", replace_row("notes", deep(50_000)), "巢狀層次太深"),
            ("a duplicate account id", duplicated("accounts", username="intruder"), "主鍵 id＝1 與前面的一筆重複"),
            ("a value of a missing batch", edit_row("current_values", "batch_id", 55), "指向的上傳批次（batches）不存在")):
        path = write_lines(seal(change(read_lines(made["plain"]))), tmp_path / "edited.jsonl.gz")
        assert cli.main(["verify-backup", str(path)]) == 2, what  # the check an operator runs says what restore says
        assert expected in capsys.readouterr().err, what
        target = tmp_path / "target.sqlite3"
        assert cli.main(["restore", str(path), "--db", f"sqlite:///{target}"]) == 2, what
        error = capsys.readouterr().err
        assert error.splitlines()[-1].startswith("錯誤：備份檔「edited.jsonl.gz」第 ") and expected in error, what
        assert "Traceback" not in error and not target.exists(), what


def test_a_file_changed_between_the_check_and_the_restore_is_rolled_back(made, tmp_path: Path) -> None:
    """The second reading, inside the transaction, checks everything again: a file swapped for another valid one
    after the check is refused at its end, and the rows already inserted are rolled back."""
    original = check_backup(made["plain"])
    swapped = write_lines(seal(edit_row("notes", "reason", "換過")(read_lines(made["plain"]))),
                          tmp_path / "swapped.jsonl.gz")
    with Store(f"sqlite:///{tmp_path / 'target.sqlite3'}") as target:
        with pytest.raises(BackupRefused, match="在檢查之後、還原之中被更換或修改"):
            restore_backup(swapped, target, checked=original)
        assert not any(target.row_counts().values())


class CountingReader:
    """The decompressed stream of a backup, counting the bytes the reader took from it."""

    def __init__(self, stream) -> None:
        self.stream, self.taken = stream, 0

    def read(self, size: int) -> bytes:
        data = self.stream.read(size)
        self.taken += len(data)
        return data

    def __enter__(self):
        return self

    def __exit__(self, *exc_info) -> None:
        self.stream.close()


def compressed_repeat(prefix: bytes, filler: bytes, total: int, suffix: bytes = b"") -> bytes:
    """A gzip file of `prefix`, `filler` repeated up to `total` bytes and `suffix`, compressed a MiB at a time."""
    packer = zlib.compressobj(9, zlib.DEFLATED, 31)
    parts = [packer.compress(prefix)]
    block = filler * (1024 * 1024 // len(filler))
    for _ in range(total // len(block)):
        parts.append(packer.compress(block))
    parts.append(packer.compress(suffix))
    parts.append(packer.flush())
    return b"".join(parts)


@pytest.mark.parametrize(("what", "prefix", "filler", "limit"), [
    ("a header line of 200 MB", b'{"format": "kpi-store-backup", "x": "', b"a", "SHORT_LINE_MAX_BYTES"),
    ("a header of 200 MB of nesting", b"", b"[", "SHORT_LINE_MAX_BYTES"),
])
def test_a_gzip_bomb_is_refused_after_reading_little_of_it(tmp_path: Path, monkeypatch, what, prefix, filler,
                                                           limit) -> None:
    """Bounded by construction: the reader takes no more than the line limit and one chunk from the stream."""
    bomb = tmp_path / "bomb.jsonl.gz"
    bomb.write_bytes(compressed_repeat(prefix, filler, 200 * 1024 * 1024, b'"}\n'))
    assert bomb.stat().st_size < 1024 * 1024
    readers: list[CountingReader] = []
    opened = check._open_backup

    def counting(path: Path) -> CountingReader:
        readers.append(CountingReader(opened(path)))
        return readers[-1]

    monkeypatch.setattr(check, "_open_backup", counting)
    with pytest.raises(BackupRefused, match=r"不是本系統的備份檔.*第 1 行：這一行超過上限 65,536 位元組（檔頭、資料表開頭與結尾行）仍未結束"):
        check_backup(bomb)
    assert readers[0].taken <= getattr(check, limit) + check._CHUNK_BYTES


def test_rows_past_the_size_limit_or_a_row_past_the_line_limit_are_refused(made, tmp_path: Path,
                                                                            monkeypatch) -> None:
    size = len(gzip.decompress(made["plain"].read_bytes()))
    with pytest.raises(BackupRefused, match=f"解壓縮後已超過 {size - 1:,} 位元組，超過備份檔的大小上限.*--max-mb"):
        check_backup(made["plain"], max_bytes=size - 1)
    assert check_backup(made["plain"], max_bytes=size).verified is Verified.CHECKSUM
    monkeypatch.setattr(check, "ROW_LINE_MAX_BYTES", 2048)  # above the cycle version's row (about 1,700)
    long_note = write_lines(seal(edit_row("notes", "reason", "長" * 1000)(read_lines(made["plain"]))),
                            tmp_path / "long.jsonl.gz")
    with pytest.raises(BackupRefused, match=r"第 \d+ 行：這一行長 3,\d+ 位元組，超過上限 2,048 位元組（資料列）"):
        check_backup(long_note)


ACCEPTED = [
    # (what, which backup, edit, restore key, accept_unverified, verified, warning expected)
    ("a plain backup without a key", "plain", unchanged, None, False, Verified.CHECKSUM, None),
    ("a signed backup with its key", "signed", unchanged, KEY, False, Verified.HMAC, None),
    ("a signed backup without a key", "signed", unchanged, None, False, Verified.CHECKSUM, "無法驗證來源"),
    ("a plain backup with the key, accepted unverified", "plain", unchanged, KEY, True, Verified.CHECKSUM,
     "沒有來源驗證碼（HMAC），是依 --accept-unverified 接受的"),
    ("format 1, accepted unverified", "plain", as_format_1, None, True, Verified.NONE, "第 1 版的備份檔，沒有檢查碼"),
    ("a trailer without the audit anchor (an older backup)", "plain",
     lambda lines: [*lines[:-1], json.dumps({key: value for key, value in json.loads(lines[-1]).items()
                                             if key != "audit_anchor"})], None, False, Verified.CHECKSUM, None),
]


@pytest.mark.parametrize(("what", "which", "change", "key", "accept", "verified", "warning"), ACCEPTED,
                         ids=[case[0] for case in ACCEPTED])
def test_a_whole_backup_restores_as_far_as_it_can_be_verified(made, tmp_path: Path, what, which, change, key,
                                                              accept, verified, warning) -> None:
    path = write_lines(change(read_lines(made[which])), tmp_path / "backup.jsonl.gz")
    checked = check_backup(path, key=key, accept_unverified=accept)
    assert isinstance(checked, BackupCheck) and checked.verified is verified
    assert [text for text in checked.warnings if warning and warning in text] if warning else not checked.warnings
    with Store(f"sqlite:///{made['plain'].parent / 'kpi.sqlite3'}") as source, \
            Store(f"sqlite:///{tmp_path / 'target.sqlite3'}") as target:
        written = restore_backup(path, target, key=key, accept_unverified=accept, checked=checked)
        assert written == source.row_counts() == checked.counts
        assert list(target.table_rows()) == list(source.table_rows())
        report = source.verify_audit_chain()
        assert checked.anchor == (report.last_id, report.last_hash)


def test_audit_rows_from_before_the_chain_restore_only_accepted_unverified(made, tmp_path: Path) -> None:
    def unchained(lines: Lines) -> Lines:
        start, columns, count = section(lines, "audit_log")
        for index in range(start + 1, start + 1 + count):
            row = json.loads(lines[index])
            row[columns.index("previous_hash")] = row[columns.index("row_hash")] = None
            lines[index] = json.dumps(row, ensure_ascii=False)
        return lines

    path = write_lines(seal(unchained(read_lines(made["plain"]))), tmp_path / "old.jsonl.gz")
    with pytest.raises(BackupRefused, match="操作紀錄（audit_log） 第 1 筆：沒有雜湊值"):
        check_backup(path)
    checked = check_backup(path, accept_unverified=True)
    assert checked.anchor is None and any("操作紀錄沒有雜湊鏈" in warning for warning in checked.warnings)
    first_unchained = edit_row("audit_log", "row_hash", None)(edit_row("audit_log", "previous_hash", None)(
        read_lines(made["plain"])))
    mixed = write_lines(seal(first_unchained), tmp_path / "mixed.jsonl.gz")
    with pytest.raises(BackupRefused, match="操作紀錄（audit_log） 第 2 筆：有雜湊值，但前面的紀錄沒有"):
        check_backup(mixed, accept_unverified=True)


def test_the_trailer_is_what_standard_tools_compute(made) -> None:
    """What README tells an operator: `zcat FILE | head -n -1 | sha256sum` (and openssl dgst -hmac) give the
    trailer's values."""
    for which, key in (("plain", None), ("signed", KEY)):
        data = gzip.decompress(made[which].read_bytes())
        content = data[:data.rstrip(b"\n").rfind(b"\n") + 1]
        trailer = json.loads(data[len(content):])
        assert trailer["sha256"] == hashlib.sha256(content).hexdigest() == check_backup(made[which]).sha256
        assert trailer.get("hmac_sha256") == (hmac.new(key, content, hashlib.sha256).hexdigest() if key else None)
        assert trailer["lines"] == content.count(b"\n")
        with Store(f"sqlite:///{made['plain'].parent / 'kpi.sqlite3'}") as source:
            report = source.verify_audit_chain()
        assert trailer["audit_anchor"] == {"id": report.last_id, "row_hash": report.last_hash}
        assert check_backup(made[which], key=key).anchor == (report.last_id, report.last_hash)


@pytest.mark.parametrize(("value", "expected"), [
    (None, None), ("x" * 16, b"x" * 16), ("金鑰" * 8, ("金鑰" * 8).encode()),
    ("", "只有 0 個字元"), ("short", "只有 5 個字元"), (" " * 20, "只有 0 個字元"),
])
def test_the_key_comes_from_the_environment_and_a_short_one_is_refused(monkeypatch, value, expected) -> None:
    if value is None:
        monkeypatch.delenv("KPI_BACKUP_KEY", raising=False)
    else:
        monkeypatch.setenv("KPI_BACKUP_KEY", value)
    if isinstance(expected, str):
        with pytest.raises(BackupRefused, match=expected):
            backup_key()
    else:
        assert backup_key() == expected


def test_backup_and_restore_with_the_key_from_the_environment(store_url: str, made, tmp_path: Path, capsys,
                                                              monkeypatch) -> None:
    """The command line signs with KPI_BACKUP_KEY and verifies with it, on SQLite and PostgreSQL."""
    monkeypatch.setenv("KPI_BACKUP_KEY", KEY.decode())
    source = f"sqlite:///{made['plain'].parent / 'kpi.sqlite3'}"
    path = tmp_path / "kpi.jsonl.gz"
    assert cli.main(["backup", str(path), "--db", source]) == 0
    out = capsys.readouterr().out
    assert "內容檢查碼 SHA-256：" in out and "已以 KPI_BACKUP_KEY 加上來源驗證碼（HMAC-SHA256）" in out
    assert cli.main(["verify-backup", str(path)]) == 0
    assert "來源與內容均已驗證（HMAC-SHA256" in capsys.readouterr().out
    assert cli.main(["restore", str(path), "--db", store_url]) == 0
    assert "檢查結果：來源與內容均已驗證" in capsys.readouterr().out
    with Store(source) as original, Store(store_url) as restored:
        assert list(restored.table_rows()) == list(original.table_rows())
    monkeypatch.setenv("KPI_BACKUP_KEY", OTHER_KEY.decode())
    assert cli.main(["verify-backup", str(path)]) == 2
    assert "來源驗證碼（HMAC）不符" in capsys.readouterr().err


def test_a_restore_retried_after_a_deadlock_reads_the_file_again_from_its_start(made, tmp_path: Path,
                                                                                monkeypatch) -> None:
    """The store retries a transaction that met a deadlock; the second attempt must write every table, not the
    rest that the first attempt had not reached."""
    import sqlalchemy as sa

    from metrics.store import copying as store_module

    class Deadlock(Exception):
        sqlstate = "40P01"

    original, calls = store_module._restored, []

    def once_deadlocked(value, kind):
        calls.append(value)
        if len(calls) == 40:
            raise sa.exc.OperationalError("INSERT", {}, Deadlock())
        return original(value, kind)

    monkeypatch.setattr(store_module, "_restored", once_deadlocked)
    with Store(f"sqlite:///{made['plain'].parent / 'kpi.sqlite3'}") as source, \
            Store(f"sqlite:///{tmp_path / 'target.sqlite3'}") as target:
        restore_backup(made["plain"], target)
        assert len(calls) > 40
        assert list(target.table_rows()) == list(source.table_rows())


def test_a_backup_into_a_missing_folder_is_a_message_not_a_traceback(made, tmp_path: Path, capsys) -> None:
    source = f"sqlite:///{made['plain'].parent / 'kpi.sqlite3'}"
    assert cli.main(["backup", str(tmp_path / "missing" / "kpi.jsonl.gz"), "--db", source]) == 2
    assert "無法寫入備份檔" in capsys.readouterr().err and not (tmp_path / "missing").exists()
