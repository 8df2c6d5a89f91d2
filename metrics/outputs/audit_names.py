"""The audit trail in users' words. Rows are stored as they were written (the trail is append-only and never
rewritten); internal names in them, the kinds of system export, their columns and the monthly fields' codes,
are put into the names users know when a row is shown or exported."""

from __future__ import annotations

import re
from collections.abc import Mapping

MAPPING_ACTION = "欄位對應"
ACCOUNT_ACTION = "修改帳號"
ROLES_CHANGE = re.compile(r"^角色：(?P<before>.*) → (?P<after>.*)$", re.DOTALL)
NO_COLUMN = "（無）"  # how metrics.services writes an unmapped column
# "112年3月 procurement_audits：11 → 20", as metrics.store writes a changed value into an upload's detail
CHANGED_FIELD = re.compile(r"(?P<period>\d{2,4}年\d{1,2}月) (?P<code>[A-Za-z][A-Za-z0-9_]*)：")
MAPPING_ITEM = re.compile(r"^(?P<key>[A-Za-z][A-Za-z0-9_]*)＝(?P<value>.*)$", re.DOTALL)


def source_name(code: str) -> str:
    """公文清單 for document_log; an unknown code stays as it is."""
    from metrics.intake.exports import SOURCES

    spec = SOURCES.get(code)
    return spec.label.split("（", 1)[0] if spec is not None else code


def _column_label(source: str, key: str) -> str:
    from metrics.intake.exports import SOURCES

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


def roles_text(detail: str, role_names: Mapping[str, str]) -> str:
    """「角色：reporter → reporter、planner」 → 「角色：填報人 → 填報人、計畫管理者」."""
    def names(text: str) -> str:
        return "、".join(role_names.get(role, role) for role in text.split("、"))

    parts = []
    for part in detail.split("；"):
        match = ROLES_CHANGE.match(part)
        parts.append(f"角色：{names(match['before'])} → {names(match['after'])}" if match else part)
    return "；".join(parts)


def readable(action: str, subject: str, detail: str, field_names: Mapping[str, str],
             role_names: Mapping[str, str] | None = None) -> tuple[str, str]:
    """A row's subject and detail as users read them (field_names: the monthly fields' code → Chinese name;
    role_names: a role's name → its label)."""
    if action == MAPPING_ACTION:
        return source_name(subject), mapping_text(subject, detail)
    if action == ACCOUNT_ACTION:
        return subject, roles_text(detail, role_names or {})
    detail = CHANGED_FIELD.sub(lambda match: f"{match['period']} {field_names.get(match['code'], match['code'])}：",
                               detail)
    return subject, detail
