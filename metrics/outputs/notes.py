"""How long a 落後原因 or 改進措施 may be, and how a longer one (saved before the limit existed) is shortened
where it is printed: visibly, never silently."""

from __future__ import annotations

from metrics.errors import InputError, Problem

NOTE_LIMIT = 2000  # characters per text: a page of A4, far below an Excel cell's 32,767
NOTE_LABELS = {"reason": "落後原因", "action": "改進措施"}


def note_problems(reason: str, action: str) -> list[Problem]:
    """Each text longer than NOTE_LIMIT, named with its length and the limit."""
    return [Problem(f"{NOTE_LABELS[name]}共 {len(text.strip()):,} 字，超過上限 {NOTE_LIMIT:,} 字；"
                    f"請精簡 {len(text.strip()) - NOTE_LIMIT:,} 字後再儲存（詳細資料可另以附件或公文說明）",
                    value=f"{len(text.strip()):,} 字")
            for name, text in (("reason", reason), ("action", action)) if len(text.strip()) > NOTE_LIMIT]


def check_note(reason: str, action: str) -> None:
    problems = note_problems(reason, action)
    if problems:
        raise InputError(problems)


def shortened(text: str, limit: int = NOTE_LIMIT) -> str:
    """The text itself when within `limit`; otherwise its start and 「…（全文共 N 字，見系統）」, `limit` characters
    in all."""
    if len(text) <= limit:
        return text
    marker = f"…（全文共 {len(text):,} 字，見系統）"
    return text[:max(limit - len(marker), 0)] + marker
