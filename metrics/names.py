"""File names as the store keeps them, and stored text as a terminal may show it.

A file name is chosen by whoever saved the file and is shown to every viewer of the upload history, so it is
cleaned once, where the store takes it in: control characters go (a newline and an escape sequence could forge
lines in a terminal), and a Taiwanese identity number, with a personal name written next to it, is masked the way
the previews mask them (A12****789, 王○明): the masks are here (mask_name, mask_id, mask_partial), and the export
previews use the same. And the store's tables as people call them (TABLE_LABELS), for the words about copies,
backups and restores."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

# National ID (A123456789), resident certificate old (AB12345678) and new (A812345678) styles; lower case too,
# because a file name is typed by hand.
_IDENTITY = re.compile(r"(?<![A-Za-z0-9])[A-Za-z][12ABCD89abcd]\d{8}(?!\d)")
_SEPARATOR = r"[\s_\-.,，、()（）]*"
# A name is 2–4 Han characters directly beside the number; words the exports and reports use are not names.
_NAME_BEFORE = re.compile(r"([\u4e00-\u9fff]{2,4})" + _SEPARATOR + r"$")
_NAME_AFTER = re.compile(r"^" + _SEPARATOR + r"([\u4e00-\u9fff]{2,4})")
_NAME_LABEL = re.compile(r"(姓名[:：_\-\s]*)([\u4e00-\u9fff]{2,4})")
_NOT_NAMES = ("名冊", "清單", "報表", "匯出", "月報", "公文", "人事", "預算", "案件", "紀錄", "資料", "政風", "執行",
              "人員", "員工", "年度", "月份", "統計", "明細", "附件", "範本", "身分", "證號", "本處", "單位", "新竹")


@dataclass(frozen=True)
class CleanName:
    text: str
    masked: bool  # an identity number (and a name beside it) was masked
    stripped: bool  # control or format characters were removed

    def notice(self, original: str) -> str:
        """What the uploader is told, or '' when the name is kept as given."""
        if self.masked:
            return f"檔名含身分證號碼，為保護個人資料，已改以「{self.text}」保存。"
        if self.stripped:
            return f"檔名含無法顯示的控制字元，已移除後以「{self.text}」保存。"
        return ""


def without_controls(text: str) -> str:
    # Cc: C0/C1 controls incl. ESC and newlines; Cf: bidirectional overrides that reorder what is shown.
    return "".join(character for character in text if unicodedata.category(character) not in ("Cc", "Cf"))


def mask_name(value: str) -> str:
    """王小明 → 王○明, 王明 → 王○, 歐陽小明 → 歐○○明."""
    text = value.strip()
    if len(text) <= 1:
        return "○" if text else ""
    if len(text) == 2:
        return text[0] + "○"
    return text[0] + "○" * (len(text) - 2) + text[-1]


_NATIONAL_ID = re.compile(r"^[A-Z][0-9A-Z]\d{8}$")


def mask_id(value: str) -> str:
    """A123456789 → A12****789; other identifiers keep a third at each end at most."""
    text = value.strip().upper()
    if _NATIONAL_ID.match(text):
        return text[:3] + "****" + text[-3:]
    return mask_partial(text)


def mask_partial(value: str) -> str:
    """Keeps the first 30 % and the last third of the characters: 府政字第1120000001號 → 府政字第******0001號."""
    text = value.strip()
    length = len(text)
    if length <= 2:
        return "*" * length
    keep_start = max(1, length * 3 // 10)
    keep_end = max(1, length // 3)
    return text[:keep_start] + "*" * (length - keep_start - keep_end) + text[length - keep_end:]


def _is_name(word: str) -> bool:
    return not any(part in word for part in _NOT_NAMES)


def _mask_identities(text: str) -> str:
    if not _IDENTITY.search(text):
        return text
    text = _NAME_LABEL.sub(lambda found: found.group(1) + mask_name(found.group(2)), text)
    pieces: list[str] = []
    position = 0
    for match in _IDENTITY.finditer(text):
        before = text[position:match.start()]
        name = _NAME_BEFORE.search(before)
        if name and _is_name(name.group(1)):
            before = before[:name.start(1)] + mask_name(name.group(1)) + before[name.end(1):]
        pieces += [before, mask_id(match.group())]
        position = match.end()
        after = _NAME_AFTER.match(text[position:])
        if after and _is_name(after.group(1)):
            pieces.append(text[position:position + after.start(1)] + mask_name(after.group(1)))
            position += after.end(1)
    pieces.append(text[position:])
    return "".join(pieces)


def clean_file_name(name: str) -> CleanName:
    """The name the store keeps for an uploaded file; cleaning a cleaned name changes nothing."""
    without = without_controls(name)
    visible = without.strip() or "（無檔名）"
    masked = _mask_identities(visible)
    return CleanName(masked, masked != visible, without != name)


def printable(text: str) -> str:
    """Stored text for a terminal: control characters written as visible escapes (\\n, \\x1b), never obeyed."""
    return "".join(character if unicodedata.category(character) not in ("Cc", "Cf")
                   else repr(character)[1:-1] for character in str(text))


# What each of the store's tables holds, in the words of the messages about copies, backups and restores.
TABLE_LABELS = {
    "accounts": "帳號", "audit_log": "操作紀錄", "batches": "上傳批次", "column_mappings": "欄位對應",
    "notes": "落後說明", "notes_history": "說明修改歷程", "plan_versions": "計畫版本", "scenarios": "情境",
    "settings": "系統設定", "current_values": "現行數值", "login_sessions": "登入紀錄", "value_changes": "數值異動紀錄",
    "assessments": "考核自評", "assessment_items": "自評指標", "assessment_transitions": "自評流程紀錄",
    "cycle_versions": "考核週期版本",
}
