"""Months locked by an approved 自評 (核定): the checks an upload, an undo, a note or a plan edit runs inside its own
write transaction (metrics.store.guarded), so that no approval commits between the check and the change.

A value sent again unchanged does not touch a locked month (a monthly template carries the whole year), and an
undo touches the months whose value it would restore to something else or remove.
"""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd
from sqlalchemy.engine import Connection

from metrics.plans.roles import Action, Roles
from metrics.errors import KpiError
from metrics.intake.parsing import format_taiwan_time
from metrics.store import ChangeKind, Store
from metrics.store.assessments import State, StoredAssessment, approved_in, changed_months
from metrics.store.engine import Guard

ALL_MONTHS = tuple(range(1, 13))


class MonthLocked(KpiError):
    """A change touches months of an approved assessment; the message names the checkpoint, who approved it
    and when, and who may reopen it."""

    def __init__(self, message: str, year: int, unit: str):
        super().__init__(message)
        self.year = year
        self.unit = unit


def reopeners(roles: Roles) -> str:
    """The roles that may reopen an approved 自評, as people read them."""
    names = [role.name for role in roles.roles.values() if Action.REOPEN_ASSESSMENT in role.can]
    return roles.labels(names) or "（沒有任何角色具此權限，請洽系統管理者設定 roles.toml）"


def locked_message(assessment: StoredAssessment, touched: Iterable[int], roles: Roles, doing: str) -> str:
    months = "、".join(f"{month}月" for month in sorted(set(touched)))
    when = format_taiwan_time(assessment.approved_at) if assessment.approved_at else "（時間不明）"
    covered = f"{min(assessment.months)}月至{max(assessment.months)}月" if assessment.months else ""
    return (f"{assessment.unit} {assessment.year} 年度{assessment.checkpoint_name or assessment.checkpoint}的自評已於 {when} "
            f"由 {assessment.approved_by or '（不明）'} 核定，{covered}的數字已鎖定，不能{doing}（涉及 {months}）。"
            f"如需修改，請洽「{reopeners(roles)}」重新開放該自評（須說明理由，並記入操作紀錄）。")


def check_locked(connection: Connection, roles: Roles, touched: Iterable[tuple[int, str, int]], doing: str) -> None:
    """Raise MonthLocked when any (year, unit, month) touched lies in an approved assessment's months."""
    by_period: dict[tuple[int, str], set[int]] = {}
    for year, unit, month in touched:
        by_period.setdefault((int(year), str(unit)), set()).add(int(month))
    for (year, unit), months in sorted(by_period.items()):
        for assessment in approved_in(connection, year, unit):
            overlap = months & set(assessment.months)
            if overlap:
                raise MonthLocked(locked_message(assessment, overlap, roles, doing), year, unit)


def locked_previews(store: Store, roles: Roles, previews: Iterable[pd.DataFrame]) -> list[str]:
    """Before an upload is confirmed: a message for each approved assessment whose months the previewed values
    (Store.preview: added or changed) would change. Advice only: the upload's own transaction checks again."""
    touched: dict[tuple[int, str], set[int]] = {}
    for preview in previews:
        changing = preview[preview["change"].isin([ChangeKind.ADDED, ChangeKind.CHANGED])]
        for year, unit, month in zip(changing["year"], changing["unit"], changing["month"]):
            touched.setdefault((int(year), str(unit)), set()).add(int(month))
    messages = []
    for (year, unit), months in sorted(touched.items()):
        for assessment in store.assessments(year, unit):
            overlap = months & set(assessment.months) if assessment.state is State.APPROVED else set()
            if overlap:
                messages.append(locked_message(assessment, overlap, roles, "上傳"))
    return messages


def upload_guard(roles: Roles, doing: str = "上傳") -> Guard:
    """For store.ingest_many: the months whose value the new batches add or change."""
    def guard(connection: Connection, results: object) -> None:
        batches = [result.batch_id for result in results if getattr(result, "batch_id", None)] \
            if isinstance(results, list) else []
        check_locked(connection, roles, changed_months(connection, batches), doing)
    return guard


def undo_guard(roles: Roles, batch_id: int) -> Guard:
    """For store.undo: the months whose value the batch added or changed are those the undo changes back."""
    return lambda connection, _result: check_locked(connection, roles, changed_months(connection, [batch_id]),
                                                    "復原上傳")


def note_guard(roles: Roles, year: int, unit: str, month: int) -> Guard:
    return lambda connection, _result: check_locked(connection, roles, [(year, unit, month)], "修改落後原因與改進措施")


def plan_guard(roles: Roles, year: int, unit: str) -> Guard:
    """A plan edit changes how every month of its year is evaluated."""
    return lambda connection, _result: check_locked(connection, roles, [(year, unit, month) for month in ALL_MONTHS],
                                                    "編修計畫")
