"""The 參、年度績效指標 table found among a document's rows, its rows cut by a page break joined again,
and the goals of 貳、關鍵策略目標與重點 with their summaries and notes.

A row cut by a page break goes on after a repeated header row (the seed's goal 4: 「協助機關強化資」 / 「訊機密
維護措施…」, its 評估方式 「統計」 / 「數據」, and 10-2's 衡量標準). A row is such a continuation when it starts
neither a goal (「4.」) nor an indicator (「(2)」) and does not bring a second weight or target; its cells are
appended to the row before, cell by cell, in whichever column it broke.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from metrics.plans.documents.readers import DocumentRow

COLUMNS = {  # the column's key and the header words that name it (spaces ignored)
    "goal": ("關鍵策略目標", "策略目標", "關鍵績效目標"),
    "name": ("績效指標", "衡量指標", "關鍵績效指標"),
    "method": ("評估方式", "評估體制"),
    "measure": ("衡量標準", "衡量方式", "計算公式"),
    "weight": ("權重",),
    "target": ("目標值", "年度目標值"),
    "unit": ("計量單位", "目標值單位", "衡量單位"),  # a target's unit in its own column: 「130」 | 「案」 (not 「單位」: an office)
}
REQUIRED = ("name", "measure", "weight", "target")
GOAL_START = re.compile(r"^\s*(\d+|[一二三四五六七八九十]+)\s*[.．、]")  # 「4.」, 「4、」, 「四、」
INDICATOR_START = re.compile(r"^\s*[(（]\s*(\d+|[一二三四五六七八九十]+)\s*[)）]")  # 「(2)」, 「（二）」
# The other ways an indicator's number is written before its name: 「5-2 」, 「5.2」, 「2.」, 「2、」, 「②」, 「二、」.
INDICATOR_NUMBERED = (re.compile(r"^\s*\d+\s*[-－–]\s*(\d+)\s*"), re.compile(r"^\s*\d+\s*[.．]\s*(\d+)(?![\d.．%％])\s*"),
                      re.compile(r"^\s*(\d+)\s*[.．、](?!\d)\s*"), re.compile(r"^\s*([①-⑳])\s*"),
                      re.compile(r"^\s*([一二三四五六七八九十]+)\s*、\s*"))
SECTION = re.compile(r"^\s*[-•・]?\s*([壹貳參肆伍陸柒捌玖拾]+)\s*、")
GOAL_HEADING = re.compile(r"^\s*[-•・]?\s*([一二三四五六七八九十]+)\s*、\s*(.+)$")
SUB_HEADING = re.compile(r"^\s*[-•・]?\s*([(（][一二三四五六七八九十]+[)）]|\d+\s*、)")
NUMERALS = "一二三四五六七八九"
HEADER_NOTE = re.compile(r"\([^)]*\)")  # 「權重(%)」, 「目標值(112年)」: the header's word without its note
HEADER_YEAR = re.compile(r"^\d{2,3}年度?")  # 「112年度目標值」


def chinese_number(text: str) -> int | None:
    """一 → 1, 十 → 10, 十二 → 12, 二十三 → 23; None when it is not one."""
    if not text or any(char not in NUMERALS + "十" for char in text):
        return None
    if "十" not in text:
        return NUMERALS.index(text) + 1 if len(text) == 1 else None
    tens, _, ones = text.partition("十")
    return (NUMERALS.index(tens) + 1 if tens else 1) * 10 + (NUMERALS.index(ones) + 1 if ones else 0)


def _compact(text: str) -> str:
    return "".join(unicodedata.normalize("NFKC", text).split())


def _ascii_word(char: str) -> bool:
    return char.isascii() and char.isalnum()


def joined(before: str, after: str) -> str:
    """Two pieces of one cell's text as one: Chinese runs on without a space, two ASCII words keep one."""
    if not before or not after:
        return before or after
    return before + (" " if _ascii_word(before[-1]) and _ascii_word(after[0]) else "") + after


def cell_text(text: str) -> str:
    """A cell's lines as one text: lines of Chinese run on, other line ends become a space."""
    lines = [line.strip() for line in text.replace("\r", "\n").split("\n") if line.strip()]
    result = ""
    for line in lines:
        wide = result and unicodedata.east_asian_width(result[-1]) in "WF" and \
            unicodedata.east_asian_width(line[0]) in "WF"
        result = result + line if wide or not result else f"{result} {line}"
    return result


def header_columns(row: DocumentRow) -> dict[str, int] | None:
    """The column of each key when the row is the table's header row, else None."""
    if not row.table:
        return None
    found: dict[str, int] = {}
    for index, cell in enumerate(row.cells):
        words = HEADER_YEAR.sub("", HEADER_NOTE.sub("", _compact(cell)))
        for key, names in COLUMNS.items():
            if key not in found and words in names:
                found[key] = index
    if not all(key in found for key in REQUIRED):
        return None
    after = found["target"] + 1  # 目標值 merged over two columns, the number's and the unit's
    if "unit" not in found and after < len(row.cells) and not row.cells[after].strip() and after not in found.values():
        found["unit"] = after
    return found


@dataclass(frozen=True)
class TableRow:
    """One row of the indicators table, its pieces joined: the text of each column, and the document rows it
    was read from (to be shown beside what was read)."""

    cells: dict[str, str]
    source: tuple[str, ...]
    joined_across_break: bool = False

    def get(self, key: str) -> str:
        return self.cells.get(key, "")


def _starts_row(cells: dict[str, str]) -> bool:
    return bool(GOAL_START.match(cells.get("goal", "")) or indicator_start(cells.get("name", "")))


def indicator_rows(rows: list[DocumentRow]) -> list[TableRow]:
    """The rows of the indicators table (empty when the document has none), header rows left out, rows cut by a
    page break joined."""
    start = next((index for index, row in enumerate(rows) if header_columns(row)), None)
    if start is None:
        return []
    columns = header_columns(rows[start])
    table: list[TableRow] = []
    after_header = False
    for row in rows[start + 1:]:
        if not row.table:
            if SECTION.match(row.cells[0]):
                break
            continue  # a page header or footer between two pages of the table
        repeated = header_columns(row)
        if repeated:
            columns, after_header = repeated, True
            continue
        if len(row.cells) <= max(columns.values()) and not any(row.cells):
            continue
        cells = {key: cell_text(row.cells[index]) if index < len(row.cells) else "" for key, index in columns.items()}
        if not any(cells.values()):
            continue
        previous = table[-1] if table else None
        if previous is None and not _starts_row(cells) and not cells.get("name") and not cells.get("goal"):
            continue  # the header's second row (「(%)」 under 權重), before any indicator
        doubled = previous is not None and ((cells["weight"] and previous.get("weight")) or
                                            (cells["target"] and previous.get("target")))
        if previous is not None and not _starts_row(cells) and not doubled and \
                (after_header or not (cells["weight"] or cells["target"])):
            merged = {key: joined(previous.get(key), cells.get(key, "")) for key in columns}
            table[-1] = TableRow(merged, previous.source + (row.text,), previous.joined_across_break or after_header)
        else:
            table.append(TableRow(cells, (row.text,)))
        after_header = False
    return table


@dataclass(frozen=True)
class StrategySection:
    """One goal of 貳、關鍵策略目標與重點: its number, title as written, first paragraph and all its paragraphs."""

    number: int
    title: str
    summary: str
    notes: tuple[str, ...]


def strategy_sections(rows: list[DocumentRow]) -> dict[int, StrategySection]:
    """The goals of section 貳 by number (empty when the document has no such section)."""
    sections: dict[int, StrategySection] = {}
    inside = False
    current: list = []

    def close() -> None:
        if current:
            number, title, paragraphs = current
            summary = next((text for text in paragraphs if not SUB_HEADING.match(text)),
                           paragraphs[0] if paragraphs else "")
            sections.setdefault(number, StrategySection(number, title, summary, tuple(paragraphs)))

    for row in rows:
        if row.table:
            continue
        text = row.cells[0].strip()
        section = SECTION.match(text)
        if section:
            if inside:
                break
            inside = section.group(1) == "貳"
            continue
        if not inside:
            continue
        heading = GOAL_HEADING.match(text)
        number = chinese_number(heading.group(1)) if heading else None
        if number is not None:
            close()
            current = [number, heading.group(2).strip(), []]
        elif current:
            current[2].append(text)
    close()
    return sections


def numbered(text: str) -> int | None:
    """The number a goal or indicator starts with, in digits (「4」, 「４」) or Chinese (「四」); None otherwise."""
    return int(text) if text.isdecimal() else chinese_number(text)


def indicator_start(name: str) -> tuple[int, int] | None:
    """(the indicator's number within its goal, where its name begins) when the name cell starts with one."""
    for pattern in (INDICATOR_START, *INDICATOR_NUMBERED):
        found = pattern.match(name)
        if found:
            text = found.group(1)
            number = ord(text) - ord("①") + 1 if "①" <= text <= "⑳" else numbered(text)
            if number is not None:
                return number, found.end()
    return None
