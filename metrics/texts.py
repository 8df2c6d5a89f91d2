"""One rule for every text a person gives that the store keeps, and one for every text an output shows.

In: `clean_text(text, kind, field)`. A field's kind says whether line breaks and tabs belong in it and whether
anything else invisible is refused (names, plan texts: what is stored is what was typed, or nothing) or removed
and said (notes pasted from Word: a vertical tab there is a line break the person meant). Control characters
(C0, C1, DEL), invisible format characters (bidirectional overrides and isolates, zero-width characters, the
byte-order mark), lone surrogates and noncharacters never enter the store: an escape sequence or a newline could
forge lines in a terminal, a bidirectional override reorders what a reader sees, and Excel's file format cannot
hold most of them at all (openpyxl raises IllegalCharacterError).

Out: `visible(text)` for documents (xlsx, pdf) and `terminal(text)` for the command line: whatever the store
already holds (rows saved before this rule) is shown as a visible escape such as \\u001b, never written raw.
"""

from __future__ import annotations

import enum
import errno
import re
import unicodedata
from dataclasses import dataclass

from metrics.errors import InputError, Problem


class Policy(enum.Enum):
    REFUSE = "refuse"  # nothing is stored; the message names the field, the character and the fix
    CLEAN = "clean"  # removed (or made a line break) and the person is told what changed


class TextKind(enum.Enum):
    """What a stored text field may hold: (line breaks and tabs allowed, what happens to anything else)."""

    NOTE = (True, Policy.CLEAN)  # 落後原因、改進措施: several lines typed or pasted from Word
    PROSE = (True, Policy.REFUSE)  # a plan's explanations (衡量標準、評估方式、說明): lines allowed, nothing else
    LINE = (False, Policy.REFUSE)  # names, titles, units, sources, comments, e-mail addresses: one line

    @property
    def multiline(self) -> bool:
        return self.value[0]

    @property
    def policy(self) -> Policy:
        return self.value[1]


# Breaks a word processor writes that mean a new line: Word's line break (U+000B) and page break (U+000C),
# NEL, and the Unicode line and paragraph separators.
LINE_BREAKS = frozenset("\r\x0b\x0c\x85\u2028\u2029")
_NAMES = {
    0x00: "空字元 NUL", 0x08: "倒退字元", 0x09: "定位字元 Tab", 0x0A: "換行字元", 0x0B: "垂直定位字元，即 Word 的分行符號",
    0x0C: "換頁字元，即 Word 的分頁符號", 0x0D: "歸位字元 CR", 0x1B: "跳脫字元 ESC，終端機控制碼的開頭", 0x7F: "刪除字元 DEL",
    0x85: "下一行字元 NEL", 0xAD: "軟連字號", 0x061C: "阿拉伯字母標記", 0x180E: "蒙古文母音分隔符",
    0x200B: "零寬空格", 0x200C: "零寬不連字", 0x200D: "零寬連字", 0x200E: "由左至右標記", 0x200F: "由右至左標記",
    0x2028: "行分隔字元", 0x2029: "段落分隔字元", 0x202A: "由左至右嵌入", 0x202B: "由右至左嵌入",
    0x202C: "結束雙向格式", 0x202D: "由左至右覆寫", 0x202E: "由右至左覆寫，會使文字反向顯示",
    0x2060: "字連接符", 0x2066: "由左至右隔離", 0x2067: "由右至左隔離", 0x2068: "第一強方向隔離",
    0x2069: "結束雙向隔離", 0xFEFF: "位元組順序記號 BOM",
}


# Every character no stored text keeps (whether line breaks and tabs may stay is the field kind's decision): the
# Unicode categories Cc (controls), Cf (invisible formats: bidirectional marks, overrides and isolates,
# zero-width characters, BOM), Cs (lone surrogates), Zl and Zp (line and paragraph separators), and the
# noncharacters (U+FDD0–U+FDEF, U+xFFFE–U+xFFFF), as of Unicode 14. Written out rather than asked of
# unicodedata so that the rule does not move with the Python version (tests/test_texts.py checks it against
# this Python's Unicode data).
UNWANTED_RANGES = (
    (0x0, 0x1F), (0x7F, 0x9F), (0xAD, 0xAD), (0x600, 0x605), (0x61C, 0x61C), (0x6DD, 0x6DD), (0x70F, 0x70F),
    (0x890, 0x891), (0x8E2, 0x8E2), (0x180E, 0x180E), (0x200B, 0x200F), (0x2028, 0x202E), (0x2060, 0x2064),
    (0x2066, 0x206F), (0xD800, 0xDFFF), (0xFDD0, 0xFDEF), (0xFEFF, 0xFEFF), (0xFFF9, 0xFFFB), (0xFFFE, 0xFFFF),
    (0x110BD, 0x110BD), (0x110CD, 0x110CD), (0x13430, 0x13438), (0x1BCA0, 0x1BCA3), (0x1D173, 0x1D17A),
    *((plane + 0xFFFE, plane + 0xFFFF) for plane in range(0x10000, 0xE0000, 0x10000)),
    (0xE0001, 0xE0001), (0xE0020, 0xE007F), (0xEFFFE, 0xEFFFF), (0xFFFFE, 0xFFFFF), (0x10FFFE, 0x10FFFF),
)
_UNWANTED = re.compile("[" + "".join(f"\\U{first:08x}-\\U{last:08x}" for first, last in UNWANTED_RANGES) + "]")


def is_unwanted(character: str) -> bool:
    return _UNWANTED.match(character) is not None


def describe(character: str) -> str:
    """「U+000B（垂直定位字元（Word 的「分行符號」））」: the code point and what people call it."""
    code = ord(character)
    category = unicodedata.category(character)
    name = _NAMES.get(code) or (
        "控制字元" if category == "Cc" else "不可見的格式字元" if category == "Cf" else
        "無效的代理字元" if category == "Cs" else "Unicode 保留不用的非字元")
    return f"U+{code:04X}（{name}）"


@dataclass(frozen=True)
class Cleaned:
    """A text as the store keeps it, and what was changed (empty when it is kept as given)."""

    text: str
    field: str
    made_breaks: tuple[str, ...] = ()  # characters turned into line breaks
    removed: tuple[str, ...] = ()  # characters removed

    @property
    def changed(self) -> bool:
        return bool(self.made_breaks or self.removed)

    def notice(self) -> str:
        """What the person is told, or ''."""
        parts = []
        if self.made_breaks:
            parts.append(f"{'、'.join(describe(character) for character in self.made_breaks)}已改為一般換行")
        if self.removed:
            parts.append(f"看不見的字元 {'、'.join(describe(character) for character in self.removed)}已移除")
        if not parts:
            return ""
        return f"「{self.field}」中" + "，".join(parts) + "（常見於從 Word 或網頁複製的文字）；請確認儲存的內容。"


def _found(characters: list[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(characters))


def text_problems(text: str, kind: TextKind, field: str) -> list[Problem]:
    """For a REFUSE field: one Problem per distinct character it may not hold, naming the field, the character
    (U+XXXX), the first place it occurs and the fix; [] when the text may be stored as it is."""
    bad: dict[str, int] = {}
    for position, character in enumerate(text, start=1):
        if is_unwanted(character) and not (kind.multiline and character in "\n\t\r"):
            bad.setdefault(character, position)
    problems = []
    for character, position in bad.items():
        if character in "\n\t" or character in LINE_BREAKS:
            fix = ("這個欄位只能有一行文字，請刪除換行或 Tab，改用空格或「；」分隔" if not kind.multiline
                   else "請刪除該字元，需要分行處改用一般換行（Enter）")
        else:
            fix = "這是看不見的控制或格式字元（常見於從 Word、網頁或終端機複製的文字），請刪除後重新輸入該段文字"
        before = terminal(text[max(position - 9, 0):position - 1])
        after = f"（在「{before}」之後）" if before.strip() else ""
        problems.append(Problem(f"「{field}」第 {position:,} 個字{after}是不允許的字元 {describe(character)}；{fix}",
                                value=describe(character)))
    return problems


def clean_text(text: str, kind: TextKind, field: str) -> Cleaned:
    """The text as the store keeps it. A REFUSE field with anything it may not hold raises InputError (nothing
    is stored); a CLEAN field has Word's breaks made line breaks and other invisible characters removed, and
    the returned Cleaned says which. CRLF and CR become LF without a word: that is how a line ends anyway."""
    text = str(text)
    if kind.policy is Policy.REFUSE:
        problems = text_problems(text, kind, field)
        if problems:
            raise InputError(problems)
        if kind.multiline:
            text = text.replace("\r\n", "\n").replace("\r", "\n")
        return Cleaned(text, field)
    text = text.replace("\r\n", "\n")
    pieces: list[str] = []
    breaks: list[str] = []
    removed: list[str] = []
    for character in text:
        if character == "\r" or (kind.multiline and character in LINE_BREAKS):
            pieces.append("\n" if kind.multiline else " ")
            if character != "\r":
                breaks.append(character)
        elif character in "\n\t":
            if kind.multiline:
                pieces.append(character)
            else:
                pieces.append(" ")
                removed.append(character)
        elif is_unwanted(character):
            removed.append(character)
        else:
            pieces.append(character)
    return Cleaned("".join(pieces), field, _found(breaks), _found(removed))


def check_texts(fields: list[tuple[str, TextKind, str]]) -> None:
    """Several (text, kind, field) of one write at once: every problem of every field in one InputError."""
    problems = [problem for text, kind, field in fields for problem in text_problems(str(text), kind, field)]
    if problems:
        raise InputError(problems)


# ---- out ----

def _escape(character: str) -> str:
    code = ord(character)
    if code <= 0xFFFF:
        return f"\\u{code:04x}"
    # As a UTF-16 pair: inside a JSON string (`--json` output) the escape still means the same character.
    code -= 0x10000
    return f"\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04x}"


def visible(text: object) -> str:
    """Stored text as a document (an .xlsx cell, a PDF line) may show it: line breaks and tabs kept, Word's
    breaks (U+000B, U+000C, U+2028, U+2029, CR) shown as line breaks, any other invisible character as a
    visible escape such as \\u001b: Excel can save it and nobody is misled by what it would do."""
    text = str(text).replace("\r\n", "\n")
    return _UNWANTED.sub(lambda found: _visible_character(found.group()), text)


def _visible_character(character: str) -> str:
    if character in LINE_BREAKS:
        return "\n"
    if character in "\n\t" or not is_unwanted(character):
        return character
    return _escape(character)


def terminal(text: object) -> str:
    """Text for a terminal line: newlines and tabs kept (the command line's own layout), everything else that a
    terminal would obey or hide (ESC, CR, U+000B, bidirectional overrides) written as a visible escape."""
    return _UNWANTED.sub(
        lambda found: found.group() if found.group() in "\n\t" else _escape(found.group()), str(text))


class VisibleStream:
    """A text stream (sys.stdout, sys.stderr) that writes `terminal(text)`: every print of the command line is
    safe for whatever the store holds, whichever command prints it."""

    def __init__(self, stream):
        self.stream = stream

    def write(self, text: str) -> int:
        self.stream.write(terminal(text))
        return len(text)

    def __getattr__(self, name: str):
        return getattr(self.stream, name)


# ---- a plan's texts ----

_PLAN_TEXTS = (("unit", "單位", TextKind.LINE), ("organisation", "機關全銜", TextKind.LINE),
               ("unit_name", "單位名稱", TextKind.LINE), ("title", "計畫名稱", TextKind.LINE),
               ("source", "依據", TextKind.LINE))
_GOAL_TEXTS = (("title", "名稱", TextKind.LINE), ("kind", "類別", TextKind.LINE), ("summary", "說明", TextKind.PROSE))
_INDICATOR_TEXTS = (("id", "編號", TextKind.LINE), ("name", "名稱", TextKind.LINE),
                    ("short_name", "簡稱", TextKind.LINE), ("method", "評估方式", TextKind.PROSE),
                    ("measure", "衡量標準", TextKind.PROSE), ("unit", "單位", TextKind.LINE),
                    ("formula", "公式", TextKind.LINE), ("alternative_reason", "替代分母的依據", TextKind.PROSE),
                    ("gap_template", "差距的寫法", TextKind.LINE), ("gap_unit", "差距的單位", TextKind.LINE),
                    ("help", "說明", TextKind.PROSE))
_FIELD_TEXTS = (("code", "代碼", TextKind.LINE), ("name", "名稱", TextKind.LINE), ("unit", "單位", TextKind.LINE),
                ("help", "說明", TextKind.PROSE))


def plan_text_problems(plan) -> list[Problem]:
    """Every text of a plan (metrics.plans.plan.Plan) that holds a character the store does not keep, each named as
    「指標 3 的名稱（name）」 so that it can be found in the plan file or on the plan page."""
    texts: list[tuple[str, TextKind, str]] = []

    def add(owner: object, table: tuple[tuple[str, str, TextKind], ...], place: str) -> None:
        for key, label, kind in table:
            texts.append((str(getattr(owner, key, "") or ""), kind, f"{place}{label}（{key}）"))

    add(plan, _PLAN_TEXTS, "計畫的")
    for goal in plan.goals:
        add(goal, _GOAL_TEXTS, f"目標 {goal.number} 的")
    for indicator in plan.indicators:
        add(indicator, _INDICATOR_TEXTS, f"指標 {terminal(indicator.id)} 的")
        for number, stage in enumerate(getattr(indicator, "stages", ()), start=1):
            texts.append((stage.name, TextKind.LINE, f"指標 {terminal(indicator.id)} 的第 {number} 階段名稱（stage.name）"))
    for monthly_field in plan.fields:
        add(monthly_field, _FIELD_TEXTS, f"填報項目 {terminal(monthly_field.code)} 的")
    if plan.multi_year is not None:
        texts.append((plan.multi_year.source, TextKind.LINE, "跨年度計分的依據（multi_year.source）"))
    return [problem for text, kind, field in texts for problem in text_problems(text, kind, field)]


def check_plan_texts(plan) -> None:
    problems = plan_text_problems(plan)
    if problems:
        raise InputError([Problem("計畫中有不允許的字元，未儲存任何版本：")] + problems)


def escaped(text: object) -> str:
    """One line of stored text with every invisible character, line breaks and tabs too, as a visible escape:
    for a value written inside a sentence (an audit row's subject, a name in a message)."""
    return _UNWANTED.sub(lambda found: _escape(found.group()), str(text))


OS_REASONS = {errno.ENOENT: "找不到檔案或資料夾", errno.EACCES: "沒有權限", errno.EPERM: "沒有權限",
              errno.EISDIR: "這是資料夾，不是檔案", errno.ENOTDIR: "路徑中有一段不是資料夾", errno.ENOSPC: "磁碟空間不足",
              errno.EROFS: "磁碟是唯讀的", errno.EEXIST: "檔案已存在", errno.ENAMETOOLONG: "檔名太長"}


def os_reason_of(number: int | None, text: str) -> str:
    """The operating system's reason (errno) in the users' words; its own text (English) when there are none."""
    return OS_REASONS.get(number, text) if number is not None else text


def os_reason(error: OSError) -> str:
    """An OSError's reason in the users' words (its own text is English)."""
    return os_reason_of(error.errno, error.strerror or type(error).__name__)
