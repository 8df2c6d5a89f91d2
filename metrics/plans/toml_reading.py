"""Reading the plan catalogue's TOML with places: a document that points at the line of a key, typed reads of one
table that report with the line, and the paths shown in messages (relative to the repository). Every problem is
collected, so that a load reports all of them at once (metrics.plans.catalogue, metrics.plans.cycle)."""

from __future__ import annotations

import ast
import difflib
import re
import tomllib
from collections.abc import Iterable, Mapping
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any

from metrics.plans.formulas import Term
from metrics.texts import describe, is_unwanted

REPOSITORY_ROOT = Path(__file__).resolve().parents[2]
FIELDS_FILE = "fields.toml"  # the catalogue's monthly fields, which a formula's field codes must name


class Document:
    """One TOML file (or stored text): its data and how to point at the line of a key in it."""

    def __init__(self, text: str, shown: str, problems: list[str]):
        self.shown = shown
        self.problems = problems  # shared by every document of one load, so all are reported together
        self.start = len(problems)
        self.lines = text.splitlines()
        self.data: dict[str, Any] = {}
        self.parsed = False
        try:
            self.data = tomllib.loads(text, parse_float=Decimal)
            self.parsed = True
        except tomllib.TOMLDecodeError as error:
            self.problems.append(f"{shown}：{decode_error(error, text)}")

    @property
    def failed(self) -> bool:
        return len(self.problems) > self.start

    def _header_lines(self, header: str) -> list[int]:
        pattern = re.compile(r"^\s*\[\[?\s*" + re.escape(header) + r"\s*\]\]?\s*(#.*)?$")
        return [number for number, line in enumerate(self.lines) if pattern.match(line)]

    def line(self, table: str | None = None, index: int | None = None, key: str | None = None) -> int | None:
        """1-based line of `key` in the index-th [[table]] (or in [table], or at the top), or of that table."""
        start, end = 0, len(self.lines)
        if table is not None:
            headers = self._header_lines(table)
            position = index if index is not None else 0
            if position >= len(headers):
                return None
            start = headers[position]
            later = [number for number, line in enumerate(self.lines) if number > start and
                     re.match(r"^\s*\[", line)]
            end = later[0] if later else len(self.lines)
        if key is None:
            return start + 1
        pattern = re.compile(r"^\s*(\"?)" + re.escape(key) + r"\1\s*=")
        for number in range(start, end):
            if pattern.match(self.lines[number]):
                return number + 1
        return start + 1 if table is not None else None

    def problem(self, message: str, *, table: str | None = None, index: int | None = None, key: str | None = None,
                label: str = "") -> None:
        line = self.line(table, index, key)
        where = "，".join(part for part in (label or key_label(table, key), f"第 {line} 行" if line else "") if part)
        self.problems.append(f"{self.shown}（{where}）：{message}" if where else f"{self.shown}：{message}")


# tomllib's messages (Python 3.11), each in Chinese: (its English with {} for what it names, the Chinese)
SYNTAX_MESSAGES = (
    ("Invalid value", "值的寫法不對：文字須加雙引號（例如 name = \"預警案件數\"），數字直接寫（例如 12.5），"
                      "是非寫 true 或 false，清單寫 [ ]"),
    ("Expected '=' after a key in a key/value pair", "鍵之後應接「=」與值（例如 weight = 12.5）；"
                                                      "含中文、空格或符號的鍵須加雙引號"),
    ("Expected ']' at the end of a table declaration", "表格名稱缺少結尾的「]」（例如 [monthly]）"),
    ("Expected ']]' at the end of an array declaration", "表格名稱缺少結尾的「]]」（例如 [[indicator]]）"),
    ("Expected newline or end of document after a statement", "一行只能寫一個「鍵 = 值」：值之後應換行"
                                                                 "（含空格的文字須加雙引號；註解以 # 開頭）"),
    ("Expected {}", "文字缺少結尾的{}（引號須成對）"),
    ("Unclosed array", "清單的「[」沒有對應的「]」"),
    ("Unclosed inline table", "行內表格的「{{」沒有對應的「}}」（行內表格須寫在同一行）"),
    ("Unterminated string", "文字缺少結尾的引號（引號須成對，單引號或雙引號的文字不能跨行；多行文字請用三個引號）"),
    ("Cannot declare {} twice", "{}重複宣告；同一個表格只能寫一次"),
    ("Cannot overwrite a value", "同一個鍵重複設定；每個鍵在一個表格中只能寫一次"),
    ("Cannot mutate immutable namespace {}", "{}已完整宣告，不能再另外加入鍵"),
    ("Cannot redefine namespace {}", "{}已宣告過，不能重新宣告為另一種表格"),
    ("Duplicate inline table key {}", "行內表格中的鍵{}重複"),
    ("Invalid statement", "這一行不是「鍵 = 值」、[表格] 或 [[表格陣列]]（含中文、空格或符號的鍵須加雙引號）"),
    ("Invalid initial character for a key part", "鍵的開頭有不允許的字元；含中文、空格或符號的鍵須加雙引號"),
    ("Found invalid character {}", "有不允許的字元{}（常見於從 Word 或網頁複製的文字）"),
    ("Illegal character {}", "文字中有不允許的字元{}（控制字元須以 \\u 寫出，例如 Tab 寫成 \\t）"),
    ("Invalid date or datetime", "日期或時間的寫法不對（例如 2024-01-05）"),
    ("Invalid hex value", "\\u 或 \\U 之後的十六進位數字不對"),
    ("Escaped character is not a Unicode scalar value", "\\u 或 \\U 之後的數字不是有效的字元"),
    ("Unescaped '\\' in a string", "雙引號文字中的「\\」須寫成「\\\\」，或改用單引號"),
)


def decode_error(error: tomllib.TOMLDecodeError, text: str = "") -> str:
    """「TOML 格式錯誤（第 3 行第 10 字）：值的寫法不對…」: where (the end of the text, with its last line, when
    the parser reached it) and what is wrong in Chinese; the parser's own words in parentheses only when it says
    something this does not know."""
    message = str(error)
    match = re.fullmatch(r"(.*) \(at (?:line (\d+), column (\d+)|(end of document))\)", message, re.DOTALL)
    if match is None:
        return f"TOML 格式錯誤（{message}）；請檢查引號、等號與方括號是否成對"
    english = match.group(1)
    if match.group(4):
        lines = len(text.splitlines())
        where = f"檔案結尾，第 {lines} 行之後" if lines else "檔案結尾"
    else:
        where = f"第 {match.group(2)} 行第 {match.group(3)} 字"
    if english == "Illegal character '\\n'":  # a line break inside a one-line string: its closing quote is missing
        english = "Unterminated string"
    for pattern, chinese in SYNTAX_MESSAGES:
        found = re.fullmatch(re.escape(pattern).replace(r"\{\}", "(.+)"), english, re.DOTALL)
        if found:
            return f"TOML 格式錯誤（{where}）：{chinese.format(*map(_named, found.groups()))}"
    return f"TOML 格式錯誤（{where}）：請檢查引號、等號與方括號是否成對（{english}）"


def _named(text: str) -> str:
    """What a parser's message names (a key as a tuple, a character in quotes), 「shown」 as the file writes it."""
    try:
        value = ast.literal_eval(text)
    except (ValueError, SyntaxError):
        value = text
    if isinstance(value, tuple):
        value = ".".join(map(str, value))
    value = str(value)
    if len(value) == 1 and (is_unwanted(value) or not value.isprintable()):
        return f"「{describe(value)}」"
    return f"「{value}」"


def issue_label(where: str, key: str) -> str:
    """「指標 2 的 denominator」: what a plan check is about, so that a message names the key as well as the line."""
    return f"{where} 的 {key}" if key else where


def key_label(table: str | None, key: str | None) -> str:
    return ".".join(part for part in (table, key) if part)


def shown_path(path: Path) -> str:
    try:
        return path.resolve().relative_to(REPOSITORY_ROOT).as_posix()
    except ValueError:
        return path.as_posix()


def read_document(path: Path, problems: list[str]) -> Document | None:
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        problems.append(f"{shown_path(path)}：不是 UTF-8 文字檔；請以 UTF-8 編碼存檔")
        return None
    except OSError as error:
        problems.append(f"{shown_path(path)}：無法讀取（{error.strerror or error}）")
        return None
    return Document(text, shown_path(path), problems)


class Entry:
    """One table of a document (a [[goal]], an [[indicator]], …): typed reads that report with the line."""

    def __init__(self, document: Document, table: str | None, index: int | None, data: Mapping[str, Any],
                 label: str, allowed: Iterable[str]):
        self.document = document
        self.table = table
        self.index = index
        self.data = data
        self.label = label
        self.failed = False
        unknown = [key for key in data if key not in set(allowed)]
        for key in unknown:
            close = difflib.get_close_matches(key, list(allowed), n=1)
            hint = f"；是不是「{close[0]}」？" if close else f"；可用的設定：{'、'.join(allowed)}"
            self.problem(f"未知的設定「{key}」{hint}", key)

    def problem(self, message: str, key: str | None = None) -> None:
        self.failed = True
        label = f"{self.label}的 {key}" if self.label and key else self.label or key or ""
        self.document.problem(message, table=self.table, index=self.index, key=key, label=label)

    def text(self, key: str, default: str | None = None) -> str:
        value = self.data.get(key, default)
        if value is None:
            self.problem("缺少此設定（應為文字，以雙引號括住）", key)
            return ""
        if not isinstance(value, str):
            self.problem(f"應為文字（以雙引號括住），卻是 {value!r}", key)
            return ""
        return value.strip()

    def integer(self, key: str, default: int | None = None) -> int | None:
        value = self.data.get(key, default)
        if value is None:
            self.problem("缺少此設定（應為整數）", key)
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            self.problem(f"應為整數，卻是 {value!r}", key)
            return None
        return value

    def number(self, key: str, default: Decimal | None = None) -> Decimal | None:
        value = self.data.get(key, default)
        if value is None:
            self.problem("缺少此設定（應為大於 0 的數字，例如 5 或 12.5）", key)
            return None
        return self.checked_number(value, key)

    def signed_number(self, key: str) -> Decimal | None:
        """A number that may be 0 or negative (a growth target: 較基準年減少 10 % is −10)."""
        value = self.data.get(key)
        if isinstance(value, bool) or not isinstance(value, (int, Decimal)) or not Decimal(value).is_finite():
            hint = "（不要加引號或 %）" if isinstance(value, str) else ""
            self.problem(f"應為數字{hint}，卻是 {value!r}" if value is not None else "缺少此設定（應為數字，例如 5 或 -10）",
                         key)
            return None
        return Decimal(value)

    def checked_number(self, value: object, key: str) -> Decimal | None:
        if isinstance(value, bool) or not isinstance(value, (int, Decimal)):
            hint = "（不要加引號或 %）" if isinstance(value, str) else ""
            self.problem(f"應為數字{hint}，卻是 {value!r}", key)
            return None
        number = Decimal(value)
        if not number.is_finite() or number <= 0:
            self.problem(f"應為大於 0 的數字，卻是 {value}", key)
            return None
        return number

    def flag(self, key: str, default: bool) -> bool:
        value = self.data.get(key, default)
        if not isinstance(value, bool):
            self.problem(f"應為 true 或 false，卻是 {value!r}", key)
            return default
        return value

    def terms(self, key: str, codes: set[str] | None) -> tuple[Term, ...]:
        raw = self.data.get(key, [])
        if key == "field" and isinstance(raw, str):  # field = "code": the one field a milestone or latest reads
            raw = [raw]
        if not isinstance(raw, list):
            self.problem('應為項目代碼的清單，例如 ["edoc_sent_total"]', key)
            return ()
        terms = []
        for item in raw:
            term = self._term(item, key)
            if term is None:
                continue
            if codes is not None and term.field not in codes:
                close = difflib.get_close_matches(term.field, sorted(codes), n=1)
                hint = f"；是不是「{close[0]}」？" if close else ""
                self.problem(f"項目「{term.field}」不在 {FIELDS_FILE} 中{hint}", key)
                continue
            terms.append(term)
        return tuple(terms)

    def _term(self, item: object, key: str) -> Term | None:
        if isinstance(item, str):
            return Term(item.strip())
        if not isinstance(item, dict) or not isinstance(item.get("field"), str):
            self.problem(f'每一項應為項目代碼，或如 {{ field = "reduced_temp", divide_by = 2 }}，卻是 {item!r}', key)
            return None
        unknown = sorted(set(item) - {"field", "divide_by", "multiply_by", "required"})
        if unknown:
            self.problem(f"項目「{item['field']}」有未知的設定 {'、'.join(unknown)}（可用：divide_by、multiply_by、required）",
                         key)
            return None
        coefficient = Fraction(1)
        for name, invert in (("divide_by", True), ("multiply_by", False)):
            if name in item:
                number = self.checked_number(item[name], key)
                if number is None:
                    return None
                coefficient *= 1 / Fraction(number) if invert else Fraction(number)
        required = item.get("required", False)
        if not isinstance(required, bool):
            self.problem(f"項目「{item['field']}」的 required 應為 true 或 false", key)
            return None
        return Term(item["field"].strip(), coefficient, required)


def entries(document: Document, name: str) -> list[Mapping[str, Any]]:
    raw = document.data.get(name, [])
    if isinstance(raw, dict):
        document.problem(f"「{name}」應寫成 [[{name}]]（可有多個），而不是 [{name}]", key=name)
        return []
    if not isinstance(raw, list) or not all(isinstance(item, dict) for item in raw):
        document.problem(f"「{name}」應寫成 [[{name}]] 表格", key=name)
        return []
    return raw
