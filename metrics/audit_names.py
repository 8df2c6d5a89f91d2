"""The audit trail in users' words. Rows are stored as they were written (the trail is append-only and never
rewritten); internal names in them, the kinds of system export, their columns and the monthly fields' codes,
are put into the names users know when a row is shown or exported."""

from __future__ import annotations

import re
from collections.abc import Mapping

MAPPING_ACTION = "欄位對應"
NO_COLUMN = "（無）"  # how metrics.services writes an unmapped column
# "112年3月 procurement_audits：11 → 20", as metrics.store writes a changed value into an upload's detail
CHANGED_FIELD = re.compile(r"(?P<period>\d{2,4}年\d{1,2}月) (?P<code>[A-Za-z][A-Za-z0-9_]*)：")
MAPPING_ITEM = re.compile(r"^(?P<key>[A-Za-z][A-Za-z0-9_]*)＝(?P<value>.*)$", re.DOTALL)


def source_name(code: str) -> str:
    """公文清單 for document_log; an unknown code stays as it is."""
    from metrics.exports import SOURCES

    spec = SOURCES.get(code)
    return spec.label.split("（", 1)[0] if spec is not None else code


def _column_label(source: str, key: str) -> str:
    from metrics.exports import SOURCES

    spec = SOURCES.get(source)
    for column in spec.columns if spec is not None else ():
        if column.name == key:
            return column.label
    return key


def mapping_text(source: str, detail: str) -> str:
    """「kind＝收發文別；sign＝（無）」 → 「收發別」對應「收發文別」欄；「簽核方式」不使用."""
    parts = []
    for item in detail.split("；"):
        match = MAPPING_ITEM.match(item)
        if match is None:
            parts.append(item)
            continue
        label, value = _column_label(source, match["key"]), match["value"]
        parts.append(f"「{label}」不使用" if value == NO_COLUMN else f"「{label}」對應「{value}」欄")
    return "；".join(parts)


def readable(action: str, subject: str, detail: str, field_names: Mapping[str, str]) -> tuple[str, str]:
    """A row's subject and detail as users read them (field_names: the monthly fields' code → Chinese name)."""
    if action == MAPPING_ACTION:
        return source_name(subject), mapping_text(subject, detail)
    detail = CHANGED_FIELD.sub(lambda match: f"{match['period']} {field_names.get(match['code'], match['code'])}：",
                               detail)
    return subject, detail
