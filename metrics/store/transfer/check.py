"""A backup file read through, every byte checked before it is believed: its header and trailer, every row against
the store's columns, keys and references, the audit trail's hash chain, its checksum and (with the key) its HMAC."""

from __future__ import annotations

import datetime as dt
import gzip
import hashlib
import hmac
import json
import operator
import re
import tomllib
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import IO, Any

import sqlalchemy as sa

from metrics.errors import BackupRefused
from metrics.names import TABLE_LABELS, printable
from metrics.plans.toml_reading import decode_error
from metrics.store import SCHEMA_VERSION, TRANSFER_TABLES, audit_chain
from metrics.store.transfer.format import (AUDIT_TABLE, BACKUP_FORMAT, BACKUP_FORMAT_VERSION, BACKUP_MAX_BYTES,
                                           KEY_VARIABLE, ROW_LINE_MAX_BYTES, SHORT_LINE_MAX_BYTES, UNVERIFIABLE_FORMAT_VERSION,
                                           BackupCheck, Progress, Verified, quiet)

_CHUNK_BYTES = 1024 * 1024

# ---- reading a backup: every byte checked before it is believed ----

REFUSED = "已拒絕此備份檔，未寫入任何資料。"
_HEADER_KEYS = {"format", "format_version", "schema_version", "created_at", "database", "tables"}
_TRAILER_KEYS = {"end", "lines", "rows", "sha256"}
_TRAILER_OPTIONAL = {"hmac_sha256", "audit_anchor"}  # audit_anchor: written since the anchor was kept in the trailer
PLAN_TABLE = "plan_versions"
CYCLE_TABLE = "cycle_versions"
_INTEGER_RANGE = (-2**31, 2**31 - 1)  # the portable INTEGER of SQLite and PostgreSQL
_DATETIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{6})?")
_DECIMAL = re.compile(r"-?\d+(\.\d+)?")
_HEX_DIGEST = re.compile(r"[0-9a-f]{64}")
# Text columns holding a decimal number or a JSON document: the other columns are checked by their declared type.
DECIMAL_TEXT_COLUMNS = {("current_values", "value"), ("value_changes", "value"),
                        ("value_changes", "previous_value")}
JSON_TEXT_COLUMNS: dict[tuple[str, str], type] = {
    ("accounts", "roles"): list, ("accounts", "units"): list, ("scenarios", "payload"): dict,
    ("column_mappings", "mapping"): dict, ("plan_versions", "changes"): list, ("cycle_versions", "changes"): list}


def _shown(value: Any) -> str:
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


def _table_words(name: str) -> str:
    label = TABLE_LABELS.get(name)
    return f"{label}（{name}）" if label else f"「{printable(name)}」"


class _Lines:
    """The decompressed lines of a backup, read in bounded chunks: a line longer than the caller's limit or a file
    larger than `max_bytes` is refused having held no more than that line and one chunk."""

    def __init__(self, raw: IO[bytes], file_name: str, max_bytes: int) -> None:
        self.raw, self.file_name, self.max_bytes = raw, file_name, max_bytes
        self.buffer = bytearray()
        self.position = 0  # where the next line starts in buffer
        self.scanned = 0  # buffer[:scanned] holds no newline after position
        self.total = 0
        self.number = 0  # of the last line returned
        self.ended = False

    def refuse(self, message: str, number: int | None = None) -> BackupRefused:
        return BackupRefused(f"備份檔「{self.file_name}」第 {number or self.number + 1:,} 行：{message}{REFUSED}")

    def next(self, limit: int) -> bytes | None:
        """The next line with its newline, or None at the end of the file."""
        while True:
            end = self.buffer.find(b"\n", max(self.position, self.scanned))
            if end != -1:
                length = end - self.position
                if length > limit:
                    raise self.refuse(f"這一行長 {length:,} 位元組，超過上限 {limit:,} 位元組（{_limit_use(limit)}）；"
                                      "檔案可能遭竄改或不是本系統產生的。")
                line = bytes(self.buffer[self.position:end + 1])
                self.position = end + 1
                self.number += 1
                return line
            pending = len(self.buffer) - self.position
            if pending > limit:
                raise self.refuse(f"這一行超過上限 {limit:,} 位元組（{_limit_use(limit)}）仍未結束；"
                                  "檔案可能遭竄改或不是本系統產生的。")
            if self.ended:
                if pending:
                    raise self.refuse("檔案在這一行的中途結束（備份檔不完整，可能複製時中斷）。")
                return None
            del self.buffer[:self.position]
            self.position, self.scanned = 0, len(self.buffer)
            chunk = self._read()
            if not chunk:
                self.ended = True
                continue
            self.total += len(chunk)
            if self.total > self.max_bytes:
                raise self.refuse(f"解壓縮後已超過 {self.max_bytes:,} 位元組，超過備份檔的大小上限；檔案可能是"
                                  "惡意的壓縮炸彈。若確實是這麼大的資料庫的備份，請以 --max-mb 提高上限後再試。")
            self.buffer += chunk

    def _read(self) -> bytes:
        try:
            return self.raw.read(_CHUNK_BYTES)
        except (OSError, EOFError, zlib.error) as error:
            raise self.refuse(f"壓縮資料損壞或不完整，無法解壓縮（{error}）；檔案可能複製不完整或已損壞。") from error


def _limit_use(limit: int) -> str:
    return "資料列" if limit == ROW_LINE_MAX_BYTES else "檔頭、資料表開頭與結尾行"


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    keys = [key for key, _ in pairs]
    if len(set(keys)) != len(keys):
        raise ValueError(f"欄位名稱重複：{'、'.join(sorted({key for key in keys if keys.count(key) > 1}))}")
    return dict(pairs)


def _no_constant(name: str) -> Any:
    raise ValueError(f"不接受 {name}")


_DECODER = json.JSONDecoder(object_pairs_hook=_no_duplicates, parse_constant=_no_constant, parse_float=Decimal)


def _parse(lines: _Lines, line: bytes) -> Any:
    """One line as JSON; deep nesting, bad UTF-8, NaN and duplicate keys are refused, not raised raw."""
    try:
        text = line.decode("utf-8")
    except UnicodeDecodeError as error:
        raise lines.refuse(f"第 {error.start + 1:,} 個位元組不是 UTF-8 文字；檔案已損壞或遭竄改。", lines.number) \
            from error
    try:
        return _DECODER.decode(text)
    except RecursionError as error:
        raise lines.refuse("內容的巢狀層次太深（清單或物件層層相套），不是本系統產生的格式；檔案可能遭竄改。",
                           lines.number) from error
    except ValueError as error:
        raise lines.refuse(f"不是正確的 JSON（{printable(str(error))[:200]}）；檔案已損壞或遭竄改。", lines.number) \
            from error


def _integer(value: Any) -> bool:
    return type(value) is int  # not bool, a subclass of int


def _aware_time(value: Any) -> bool:
    if not isinstance(value, str) or len(value) > 64:
        return False
    try:
        return dt.datetime.fromisoformat(value).tzinfo is not None
    except ValueError:
        return False


def _check_header(lines: _Lines, header: Any, *, accept_unverified: bool) -> dict[str, Any]:
    name = lines.file_name
    if not isinstance(header, dict) or header.get("format") != BACKUP_FORMAT:
        raise BackupRefused(f"「{name}」不是本系統的備份檔（以 python -m metrics backup 產生的 .gz 檔）。{REFUSED}")

    def wrong(field: str, expected: str) -> BackupRefused:
        found = _shown(header[field]) if field in header else "沒有這個欄位"
        return lines.refuse(f"檔頭的 {field} 應為{expected}，卻是{found}；檔案已損壞或遭竄改。", 1)

    version = header.get("format_version")
    if not _integer(version):
        raise wrong("format_version", "整數")
    if version > BACKUP_FORMAT_VERSION or version < UNVERIFIABLE_FORMAT_VERSION:
        raise BackupRefused(f"「{name}」的備份格式版本為 {version}，本程式只讀得懂第 {UNVERIFIABLE_FORMAT_VERSION} 至 "
                            f"{BACKUP_FORMAT_VERSION} 版；請改用產生它的程式版本還原。{REFUSED}")
    schema = header.get("schema_version")
    if not _integer(schema):
        raise wrong("schema_version", "整數（資料庫結構版本）")
    if schema > SCHEMA_VERSION:
        raise BackupRefused(f"「{name}」來自資料庫結構第 {schema} 版，比本程式支援的第 {SCHEMA_VERSION} 版新；"
                            f"請改用較新版的程式還原。為避免資料損壞，未寫入任何資料。")
    if schema < SCHEMA_VERSION:
        raise BackupRefused(f"「{name}」來自資料庫結構第 {schema} 版，本程式為第 {SCHEMA_VERSION} 版；請先以產生"
                            "此備份的程式版本還原，再以本程式開啟該資料庫（會自動升級），然後重新備份。未寫入任何資料。")
    unknown = sorted(set(header) - _HEADER_KEYS)
    if unknown:
        raise lines.refuse(f"檔頭有不認得的欄位 {'、'.join(printable(key) for key in unknown)}；檔案可能遭竄改。", 1)
    if not _aware_time(header.get("created_at")):
        raise wrong("created_at", "含時區的備份時間，例如 2026-01-31T02:30:00+00:00")
    if header.get("database") not in {"sqlite", "postgresql"}:
        raise wrong("database", "sqlite 或 postgresql")
    known = [table.name for table in TRANSFER_TABLES]
    tables = header.get("tables")
    if version == UNVERIFIABLE_FORMAT_VERSION:
        if not isinstance(tables, dict) or not all(_integer(count) and count >= 0 for count in tables.values()):
            raise wrong("tables", "各資料表的筆數（非負整數）")
        if not accept_unverified:
            raise BackupRefused(
                f"「{name}」是第 1 版的備份檔，沒有檢查碼，無法確認內容在備份後未被修改或截斷。若確定這個檔案"
                "來自本機構的備份且未經他人經手，可加上 --accept-unverified 還原（仍會檢查每一行的格式與筆數）；"
                f"否則請改用新版程式產生的備份。{REFUSED}")
    elif not isinstance(tables, list) or not all(isinstance(table, str) for table in tables) \
            or len(set(tables)) != len(tables):
        raise wrong("tables", "資料表名稱的清單（不重複）")
    if set(tables) != set(known):
        missing = [_table_words(table) for table in known if table not in tables]
        extra = [_table_words(table) for table in tables if table not in known]
        parts = ([f"缺少 {'、'.join(missing)}"] if missing else []) + ([f"多了 {'、'.join(extra)}"] if extra else [])
        raise lines.refuse(f"檔頭列出的資料表與本程式的資料庫結構不符（{'；'.join(parts)}）；檔案已損壞或遭竄改。", 1)
    return header


Check = Callable[[Any], bool]


@dataclass(frozen=True)
class _Column:
    name: str
    check: Check
    expected: str


def _text_check(length: int | None) -> Check:
    def check(value: Any) -> bool:
        if type(value) is not str or "\x00" in value or (length is not None and len(value) > length):
            return False
        if value.isascii():
            return True
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:  # a lone surrogate from a \\ud800 escape
            return False
        return True
    return check


def _datetime_check(value: Any) -> bool:
    if not isinstance(value, str) or not _DATETIME.fullmatch(value):
        return False
    try:
        dt.datetime.fromisoformat(value)
    except ValueError:
        return False
    return True


def _json_check(kind: type) -> Check:
    def check(value: Any) -> bool:
        if not isinstance(value, str):
            return False
        try:
            return isinstance(json.loads(value), kind)
        except (ValueError, RecursionError):
            return False
    return check


def _column(table: sa.Table, column: sa.Column) -> _Column:
    """What a value of `column` must be, from the type the store declares for it."""
    kind = column.type
    if (table.name, column.name) in DECIMAL_TEXT_COLUMNS:
        check, expected = (lambda value: isinstance(value, str) and bool(_DECIMAL.fullmatch(value))), \
            "以文字寫成的數字，例如 \"12.5\""
    elif (table.name, column.name) in JSON_TEXT_COLUMNS:
        wanted = JSON_TEXT_COLUMNS[(table.name, column.name)]
        check, expected = _json_check(wanted), f"JSON 文字（{'清單' if wanted is list else '物件'}）"
    elif isinstance(kind, sa.Boolean):
        check, expected = (lambda value: isinstance(value, bool)), "true 或 false"
    elif isinstance(kind, sa.Integer):
        low, high = _INTEGER_RANGE
        check, expected = (lambda value: type(value) is int and low <= value <= high), f"整數（{low:,} 至 {high:,}）"
    elif isinstance(kind, sa.DateTime):
        check, expected = _datetime_check, "不含時區的日期時間，例如 2026-01-31T08:00:00"
    else:  # String, Text and anything else the store keeps as text
        length = getattr(kind, "length", None)
        check = _text_check(length)
        expected = "文字（不含 NUL 字元）" + (f"，最多 {length:,} 字" if length else "")
    if not column.nullable:
        return _Column(column.name, check, expected)
    return _Column(column.name, lambda value, inner=check: value is None or inner(value), expected + "或 null")


def _wrong_row(lines: _Lines, row: Any, checks: list[_Column], where: str) -> BackupRefused:
    """What is wrong with a row that failed the quick check, in words."""
    if not isinstance(row, list):
        return lines.refuse(f"{where}應為一列值（清單），卻是{_shown(row)}；可能是筆數與實際不符。", lines.number)
    if len(row) != len(checks):
        return lines.refuse(f"{where}應有 {len(checks)} 個值，卻有 {len(row)} 個。", lines.number)
    column, value = next((column, value) for column, value in zip(checks, row) if not column.check(value))
    if _surrogate(value):
        return lines.refuse(f"{where}，欄位 {column.name}：文字中有不成對的代理字元（以 \\ud800 這類跳脫碼寫成），"
                            "不是有效的 Unicode 文字，無法儲存；檔案已損壞或遭竄改。", lines.number)
    return lines.refuse(f"{where}，欄位 {column.name}：應為{column.expected}，卻是{_shown(value)}。", lines.number)



def _surrogate(value: Any) -> bool:
    return isinstance(value, str) and not value.isascii() and any("\ud800" <= char <= "\udfff" for char in value)


# ---- what the database would refuse, found while the file is read: keys, unique constraints, references ----

RowProblem = Callable[[list[Any]], str | None]


def _key_digest(values: tuple) -> bytes:
    """A key as 16 bytes: a table of a million rows keeps 16 MB of keys, not its texts."""
    return hashlib.blake2b(repr(values).encode("utf-8", "surrogatepass"), digest_size=16).digest()


def _expression_value(expression: Any, columns: list[str]) -> Callable[[list[Any]], Any]:
    """How a row (in the file's column order) gives the value of an index expression the store declares."""
    if isinstance(expression, sa.Column):
        return operator.itemgetter(columns.index(expression.name))
    if isinstance(expression, sa.sql.functions.Function) and expression.name == "lower":
        (inner,) = expression.clauses.clauses
        value = _expression_value(inner, columns)
        return lambda row: None if (found := value(row)) is None else str(found).lower()
    raise NotImplementedError(f"backup check: index expression {expression!r} is not understood")


def _condition(where: Any, columns: list[str]) -> Callable[[list[Any]], bool]:
    """Whether a row is in a partial index, for the conditions the store declares (column = / != a value)."""
    if where is None:
        return lambda row: True
    if isinstance(where, sa.sql.elements.BinaryExpression) and isinstance(where.left, sa.Column) \
            and isinstance(where.right, sa.sql.elements.BindParameter) and where.operator in (operator.eq, operator.ne):
        value, compare, wanted = _expression_value(where.left, columns), where.operator, where.right.value
        return lambda row: (found := value(row)) is not None and compare(found, wanted)
    raise NotImplementedError(f"backup check: index condition {where!r} is not understood")


@dataclass
class _Unique:
    words: str  # 主鍵 id / 唯一的 username …, as a message names it
    names: tuple[str, ...]
    values: Callable[[list[Any]], tuple]
    applies: Callable[[list[Any]], bool]
    primary: bool  # NULL in a unique key is never a conflict; a primary key has none (checked as NOT NULL)
    seen: set[bytes]


def _uniques(table: sa.Table, columns: list[str]) -> list[_Unique]:
    """The primary key, unique constraints and unique indexes `table` declares, as checks of a row."""
    found: list[_Unique] = []

    def add(words: str, expressions: list[Any], where: Any = None, primary: bool = False) -> None:
        getters = [_expression_value(expression, columns) for expression in expressions]
        names = tuple(str(getattr(expression, "name", expression)) if isinstance(expression, sa.Column)
                      else f"{expression.name}({', '.join(column.name for column in expression.clauses.clauses)})"
                      for expression in expressions)
        found.append(_Unique(words, names, lambda row: tuple(get(row) for get in getters), _condition(where, columns),
                             primary, set()))

    add("主鍵", list(table.primary_key.columns), primary=True)
    for constraint in table.constraints:
        if isinstance(constraint, sa.UniqueConstraint):
            add("唯一鍵", list(constraint.columns))
    for index in table.indexes:
        if index.unique:
            where = index.dialect_options["sqlite"].get("where") or index.dialect_options["postgresql"].get("where")
            add("唯一索引" if where is None else "唯一索引（部分）", list(index.expressions), where)
    return found


class _Integrity:
    """Keys unique per table and every reference to a row present earlier in the file (TRANSFER_TABLES puts
    parents before children), from the store's own declarations; what the database would refuse with its own
    English text at the end of a restore, refused here at the line. Memory: 16 bytes per key of the table being
    read, and the referenced keys (ids) of parent tables."""

    def __init__(self) -> None:
        self.referenced: dict[tuple[str, str], set[Any]] = {
            (key.column.table.name, key.column.name): set() for table in TRANSFER_TABLES for key in table.foreign_keys}
        order = [table.name for table in TRANSFER_TABLES]
        for table in TRANSFER_TABLES:
            for key in table.foreign_keys:
                assert order.index(key.column.table.name) < order.index(table.name), "parents before children"

    def checks(self, table: sa.Table, columns: list[str]) -> RowProblem:
        uniques = _uniques(table, columns)
        references = [(key.parent.name, operator.itemgetter(columns.index(key.parent.name)), key.column.table.name,
                       key.column.name, self.referenced[(key.column.table.name, key.column.name)])
                      for key in sorted(table.foreign_keys, key=lambda key: key.parent.name)]
        kept = [(operator.itemgetter(columns.index(column)), held) for (name, column), held in self.referenced.items()
                if name == table.name]

        def problem(row: list[Any]) -> str | None:
            for unique in uniques:
                if not unique.applies(row):
                    continue
                values = unique.values(row)
                if not unique.primary and any(value is None for value in values):
                    continue
                digest = _key_digest(values)
                if digest in unique.seen:
                    shown = "、".join(f"{name}＝{printable(str(value))[:80]}"
                                     for name, value in zip(unique.names, values))
                    return f"{unique.words} {shown} 與前面的一筆重複（同一個資料表中不能有兩筆）"
                unique.seen.add(digest)
            for name, value, parent, parent_column, held in references:
                found = value(row)
                if found is not None and found not in held:
                    return (f"欄位 {name}＝{printable(str(found))[:80]} 指向的{_table_words(parent)}不存在（備份檔中"
                            f"沒有 {parent_column}＝{printable(str(found))[:80]} 的那一筆）")
            for value, held in kept:
                held.add(value(row))
            return None
        return problem


def _plan_document(columns: list[str], what: str = "計畫") -> RowProblem:
    """A plan's (or the cycle's) version's document is TOML, as every reader of it will parse it."""
    index = columns.index("document")

    def problem(row: list[Any]) -> str | None:
        try:
            tomllib.loads(row[index], parse_float=Decimal)
        except tomllib.TOMLDecodeError as error:
            return (f"欄位 document：{what}內容不是正確的 TOML（{printable(decode_error(error, row[index]))[:200]}），"
                    f"這一版{what}將無法讀取")
        except RecursionError:
            return f"欄位 document：{what}內容的巢狀層次太深，不是正確的{what}"
        return None
    return problem


class _NothingKnown:
    """audit_chain.Lookup for a chain read once from a file: no row is looked up again, so a break is named from
    the rows around it (the walk's explanation without the holder of a hash)."""

    def holder_of(self, hashed: str) -> int | None:
        return None

    def row_after(self, row_id: int) -> audit_chain.ChainRow | None:
        return None

    def hash_of(self, row_id: int) -> str | None:
        return None


class _AuditChain:
    """The audit trail's hash chain walked as its rows are read; its last (id, row_hash) is the backup's anchor.
    Rows without hashes at all are from before the chain: accepted only with --accept-unverified."""

    def __init__(self, columns: list[str], accept_unverified: bool, warnings: list[str]) -> None:
        self.columns, self.accept, self.warnings = columns, accept_unverified, warnings
        self.walker = audit_chain.Walker(_NothingKnown())
        self.unchained: bool | None = None  # decided by the first row

    def __call__(self, row: list[Any]) -> str | None:
        record = dict(zip(self.columns, row))
        record["at"] = dt.datetime.fromisoformat(record["at"])
        if self.unchained is None:
            self.unchained = record["previous_hash"] is None and record["row_hash"] is None
            if self.unchained and not self.accept:
                return ("沒有雜湊值：這份備份的操作紀錄沒有雜湊鏈，無法確認未被改寫。若確定這是雜湊鏈啟用之前的備份且"
                        "未經他人經手，可加上 --accept-unverified 還原")
            if self.unchained:
                self.warnings.append("操作紀錄沒有雜湊鏈（雜湊鏈啟用之前的紀錄），無法驗證是否被改寫；"
                                     "是依 --accept-unverified 接受的。")
        if self.unchained:
            if record["previous_hash"] is not None or record["row_hash"] is not None:
                return "有雜湊值，但前面的紀錄沒有：操作紀錄的雜湊鏈不完整，檔案可能遭竄改"
            return None
        computed = audit_chain.row_hash(record["previous_hash"], record) if record["previous_hash"] else None
        report = self.walker.step(audit_chain.ChainRow(
            record["id"], record["at"], record["account"], record["action"], record["previous_hash"],
            record["row_hash"], computed))
        if report is None or report.broken is None:
            return None
        broken = report.broken
        what = "　".join(part for part in (broken.account, broken.action) if part)
        return (f"操作紀錄的雜湊鏈在編號 {broken.row_id:,}"
                f"{'（' + printable(what)[:80] + '）' if what else ''}中斷，{broken.kind.value}："
                f"{broken.explanation}備份檔中的操作紀錄被改寫過，不能據以還原")

    @property
    def anchor(self) -> tuple[int, str] | None:
        if self.unchained:
            return None
        before = self.walker.before
        return (before.id, before.row_hash) if before is not None and before.row_hash else None


def sections(path: Path, *, key: bytes | None, accept_unverified: bool, max_bytes: int,
              outcome: dict[str, Any]) -> Iterator[tuple[str, list[str], Iterator[list[Any]]]]:
    """(table, columns, rows) of a backup as it is read, each row checked against the store's columns; after the
    last section the file's end, counts, checksum and HMAC are checked, so a consumer that writes the rows inside
    a transaction sees any problem before it commits. `outcome` receives what a BackupCheck reports."""
    raw = _open_backup(path)
    with raw:
        lines = _Lines(raw, path.name, max_bytes)
        first, parsed = _first_line(lines)
        header = _check_header(lines, parsed, accept_unverified=accept_unverified)
        version = header["format_version"]
        digest = hashlib.sha256(first)
        signature = hmac.new(key, first, hashlib.sha256) if key is not None else None
        counts: dict[str, int] = {}
        warnings: list[str] = []
        integrity = _Integrity()
        chain: _AuditChain | None = None

        def take(limit: int) -> bytes | None:
            line = lines.next(limit)
            if line is not None and version != UNVERIFIABLE_FORMAT_VERSION:
                digest.update(line)
                if signature is not None:
                    signature.update(line)
            return line

        for table in TRANSFER_TABLES:
            words = _table_words(table.name)
            line = take(SHORT_LINE_MAX_BYTES)
            if line is None:
                raise lines.refuse(f"檔案在此結束，缺少 {words} 與之後的資料表（備份檔不完整，可能被截斷）。")
            section = _parse(lines, line)
            if not isinstance(section, dict) or "table" not in section:
                raise lines.refuse(f"應為 {words} 資料表的開頭，卻是{_shown(section)}；缺少此資料表，或上一個資料表的"
                                   "筆數與實際不符。", lines.number)
            if section["table"] != table.name:
                raise lines.refuse(f"應為 {words} 資料表的開頭，卻是「{printable(str(section['table']))}」；"
                                   "檔頭列出的資料表缺少或順序不對。", lines.number)
            columns, count = section.get("columns"), section.get("rows")
            if set(section) != {"table", "columns", "rows"} or not _integer(count) or count < 0:
                raise lines.refuse(f"{words} 資料表的開頭應有 table、columns 與 rows（非負整數）。", lines.number)
            if version == UNVERIFIABLE_FORMAT_VERSION and count != header["tables"][table.name]:
                raise lines.refuse(f"{words} 資料表的筆數為 {count:,}，與檔頭記載的 "
                                   f"{header['tables'][table.name]:,} 筆不符。", lines.number)
            declared = [column.name for column in table.columns]
            if not isinstance(columns, list) or not all(isinstance(column, str) for column in columns) \
                    or len(set(columns)) != len(columns) or set(columns) != set(declared):
                raise lines.refuse(f"{words} 資料表的欄位應為 {'、'.join(declared)}，卻是"
                                   f"{printable(json.dumps(columns, ensure_ascii=False))[:300]}。", lines.number)
            checks = [_column(table, table.columns[column]) for column in columns]
            problems = [integrity.checks(table, columns)]
            if table.name in (PLAN_TABLE, CYCLE_TABLE):
                problems.append(_plan_document(columns, "計畫" if table.name == PLAN_TABLE else "考核週期"))
            if table.name == AUDIT_TABLE:
                chain = _AuditChain(columns, accept_unverified, warnings)
                problems.append(chain)

            def rows(count: int = count, checks: list[_Column] = checks, words: str = words,
                     problems: list[RowProblem] = problems) -> Iterator[list[Any]]:
                functions, width = [column.check for column in checks], len(checks)
                for number in range(1, count + 1):
                    line = take(ROW_LINE_MAX_BYTES)
                    if line is None:
                        raise lines.refuse(f"檔案在此結束：{words} 應有 {count:,} 筆，只讀到 {number - 1:,} 筆"
                                           "（備份檔不完整，可能被截斷）。")
                    row = _parse(lines, line)
                    if type(row) is not list or len(row) != width or not all(map(operator.call, functions, row)):
                        raise _wrong_row(lines, row, checks, f"{words} 第 {number:,} 筆")
                    for problem in problems:
                        found = problem(row)
                        if found is not None:
                            raise lines.refuse(f"{words} 第 {number:,} 筆：{found}。", lines.number)
                    yield row

            pending = rows()
            yield table.name, columns, pending
            for _ in pending:  # a consumer that stopped early still has every row checked
                pass
            counts[table.name] = count

        anchor = chain.anchor if chain is not None else None
        if version == UNVERIFIABLE_FORMAT_VERSION:
            if lines.next(SHORT_LINE_MAX_BYTES) is not None:
                raise lines.refuse("最後一個資料表之後還有資料（檔頭沒有列出）；檔案已損壞或遭竄改。", lines.number)
            warnings.append(f"「{path.name}」是第 1 版的備份檔，沒有檢查碼：內容未經驗證，是依 --accept-unverified 接受的。")
            outcome.update(header=header, counts=counts, sha256=None, verified=Verified.NONE, warnings=warnings,
                           anchor=anchor)
            return
        before = lines.number
        line = lines.next(SHORT_LINE_MAX_BYTES)
        if line is None:
            raise lines.refuse("檔案在此結束，缺少結尾的檢查碼行（備份檔不完整，可能被截斷）。")
        trailer = _parse(lines, line)
        if not isinstance(trailer, dict) or trailer.get("end") != BACKUP_FORMAT:
            raise lines.refuse(f"最後一個資料表之後應為結尾的檢查碼行，卻是{_shown(trailer)}；可能多了檔頭沒有列出的資料，"
                               "或筆數與實際不符。", lines.number)
        if set(trailer) - _TRAILER_OPTIONAL != _TRAILER_KEYS \
                or not all(isinstance(trailer.get(field), str) and _HEX_DIGEST.fullmatch(trailer[field])
                           for field in ("sha256", "hmac_sha256") if field in trailer):
            raise lines.refuse("結尾行應有 end、lines、rows、sha256（64 位十六進位）與選用的 hmac_sha256、audit_anchor。",
                               lines.number)
        if lines.next(SHORT_LINE_MAX_BYTES) is not None:
            raise lines.refuse("結尾的檢查碼行之後還有資料；檔案已損壞或遭竄改。", lines.number)
        if not hmac.compare_digest(trailer["sha256"], digest.hexdigest()):
            raise lines.refuse("內容的 SHA-256 檢查碼不符：檔案在備份之後被修改或已損壞。", before + 1)
        if signature is not None:
            if "hmac_sha256" not in trailer and not accept_unverified:
                raise lines.refuse(f"已設定 {KEY_VARIABLE}，但這個備份檔沒有來源驗證碼（HMAC）：它不是以此金鑰產生的"
                                   "（可能是設定金鑰之前的備份，或被人移除了驗證碼）。若確定檔案來自本機構，可加上 "
                                   "--accept-unverified 還原。", before + 1)
            if "hmac_sha256" in trailer and not hmac.compare_digest(trailer["hmac_sha256"], signature.hexdigest()):
                raise lines.refuse(f"來源驗證碼（HMAC）不符：這個備份檔不是以目前的 {KEY_VARIABLE} 產生的，或內容在備份"
                                   "之後被修改（即使重新計算了 SHA-256 檢查碼）。請確認金鑰與檔案來源。", before + 1)
        if trailer["lines"] != before or trailer["rows"] != counts:
            raise lines.refuse("結尾行記載的行數或各資料表筆數與實際內容不符；檔案已損壞或遭竄改。", before + 1)
        if "audit_anchor" in trailer and trailer["audit_anchor"] != (
                {"id": anchor[0], "row_hash": anchor[1]} if anchor else None):
            raise lines.refuse("結尾行記載的操作紀錄最後一筆（audit_anchor）與備份內容的操作紀錄不符；檔案已損壞或遭竄改。",
                               before + 1)
        if signature is not None and "hmac_sha256" in trailer:
            verified = Verified.HMAC
        else:
            verified = Verified.CHECKSUM
            if signature is not None:
                warnings.append(f"「{path.name}」沒有來源驗證碼（HMAC），是依 --accept-unverified 接受的；"
                                "只驗證了內容完整（SHA-256），未驗證來源。")
            elif "hmac_sha256" in trailer:
                warnings.append(f"「{path.name}」帶有來源驗證碼（HMAC），但未設定 {KEY_VARIABLE}，無法驗證來源；"
                                "只驗證了內容完整（SHA-256）。")
        outcome.update(header=header, counts=counts, sha256=digest.hexdigest(), verified=verified,
                       warnings=warnings, anchor=anchor)


def _open_backup(path: Path) -> IO[bytes]:
    try:
        return gzip.open(path, "rb")
    except OSError as error:
        raise BackupRefused(f"無法開啟備份檔「{path}」：{error.strerror or error}") from error


def _first_line(lines: _Lines) -> tuple[bytes, Any]:
    """The header line and its JSON; a file that is not gzip, or whose first line is not JSON, is not a backup."""
    try:
        first = lines.next(SHORT_LINE_MAX_BYTES)
        if first is None:
            raise BackupRefused("檔案是空的。")
        return first, _parse(lines, first)
    except BackupRefused as error:
        raise BackupRefused(f"「{lines.file_name}」不是本系統的備份檔（以 python -m metrics backup 產生的 .gz 檔），"
                            f"無法讀取檔頭：{error}") from error


def check_backup(path: Path, *, key: bytes | None = None, accept_unverified: bool = False,
                 max_bytes: int = BACKUP_MAX_BYTES, progress: Progress = quiet) -> BackupCheck:
    """Read a backup through without writing anything: its header, every row against the store's columns, its
    completeness, checksum and (with `key`) HMAC. Raises BackupRefused naming the line, table and column."""
    outcome: dict[str, Any] = {}
    for name, _columns, rows in sections(path, key=key, accept_unverified=accept_unverified, max_bytes=max_bytes,
                                          outcome=outcome):
        progress(f"檢查{TABLE_LABELS.get(name, name)}")
        for _ in rows:
            pass
    return BackupCheck(outcome["header"], outcome["counts"], outcome["sha256"], outcome["verified"],
                       tuple(outcome["warnings"]), outcome["anchor"])
