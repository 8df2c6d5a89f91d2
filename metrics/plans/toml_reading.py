"""Reading the plan catalogue's TOML with places: a document that points at the line of a key, typed reads of one
table that report with the line, and the paths shown in messages (relative to the repository). Every problem is
collected, so that a load reports all of them at once (metrics.plans.catalogue, metrics.plans.cycle)."""

from __future__ import annotations

import difflib
import re
import tomllib
from collections.abc import Iterable, Mapping
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any

from metrics.plans.formulas import Term

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
            self.problems.append(f"{shown}：TOML 格式錯誤（{decode_error(error)}）；"
                                 "請檢查引號、等號與方括號是否成對")

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


def decode_error(error: tomllib.TOMLDecodeError) -> str:
    text = str(error)
    match = re.search(r"\(at line (\d+), column (\d+)\)", text)
    if match:
        return f"第 {match.group(1)} 行第 {match.group(2)} 字"
    return text


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
