"""The performance cycle's assessments: one per (year, unit, checkpoint) once a 自評 was sent, its indicators'
自評 and reviewers' comments, and every transition. A transition is one conditional update (from the state the
caller saw), under the store's write lock, with its audit rows: of two reviewers acting at once, the second finds
the state changed and is refused with what it is now."""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from metrics.errors import KpiError, StoreOperation
from metrics.store.audit import Audit
from metrics.store.repository import Repository
from metrics.store.schema import (_aware, _dump_json, _load_json, _now, assessment_items_table,
                                  assessment_transitions_table, assessments_table, value_changes_table)


class State(enum.Enum):
    """Where a unit stands at one checkpoint. The first four are worked out from the plan, the figures and the
    date (metrics.services.review); the others are what the store holds once a 自評 was sent."""

    NO_PLAN = "未訂計畫"
    NOT_STARTED = "未填報"
    REPORTING = "填報中"
    OVERDUE = "逾期"
    SUBMITTED = "已送自評"
    RETURNED = "退回修正"
    PASSED = "初核通過"
    APPROVED = "已核定"


class Step(enum.Enum):
    """A transition of an assessment."""

    SUBMIT = "submit"
    RETURN = "return"
    PASS = "pass"
    APPROVE = "approve"
    REOPEN = "reopen"

    @property
    def label(self) -> str:
        return STEP_LABELS[self]


STEP_LABELS = {Step.SUBMIT: "送出自評", Step.RETURN: "退回修正", Step.PASS: "初核通過", Step.APPROVE: "核定",
               Step.REOPEN: "重新開放"}


@dataclass(frozen=True)
class StoredAssessment:
    id: int
    year: int
    unit: str
    checkpoint: str
    checkpoint_name: str
    months: tuple[int, ...]
    state: State
    submitted_by: str
    submitted_by_id: int | None
    submitted_at: dt.datetime | None
    passed_by: str
    passed_at: dt.datetime | None
    approved_by: str
    approved_at: dt.datetime | None
    revision: int
    updated_at: dt.datetime


@dataclass(frozen=True)
class AssessmentItem:
    """One indicator of a 自評: its result as sent, the light, the unit's explanation, the reviewers' comment."""

    indicator_id: str
    name: str = ""
    result: str = ""
    achievement: str | None = None  # percent, canonical decimal
    light: str = ""
    explanation: str = ""
    review_comment: str = ""
    reviewed_by: str = ""


@dataclass(frozen=True)
class Transition:
    id: int
    at: dt.datetime
    account: str
    account_id: int | None
    step: Step
    from_state: State | None  # None: the first submission
    to_state: State
    comment: str


@dataclass(frozen=True)
class AssessmentChange:
    """One transition as a service asks for it."""

    year: int
    unit: str
    checkpoint: str
    step: Step
    expected: State | None  # the state the caller saw (None: no assessment yet)
    to_state: State
    account: str
    account_id: int | None
    comment: str = ""
    checkpoint_name: str = ""
    months: tuple[int, ...] = ()
    items: Sequence[AssessmentItem] | None = None  # a submission's indicators: replace every item
    comments: Mapping[str, str] = field(default_factory=dict)  # a reviewer's comment per indicator


NONE_YET = "尚未送出"  # how a transition's missing from-state is stored


class Assessments(Repository):
    def assessment(self, year: int, unit: str, checkpoint: str) -> StoredAssessment | None:
        table = assessments_table
        query = sa.select(table).where(table.c.year == int(year), table.c.unit == unit,
                                       table.c.checkpoint == checkpoint)
        with self._errors(StoreOperation.READ_ASSESSMENTS), self._reading() as connection:
            row = connection.execute(query).first()
        return _assessment(row) if row is not None else None

    def assessments(self, year: int | None = None, unit: str | None = None) -> list[StoredAssessment]:
        table = assessments_table
        query = sa.select(table).order_by(table.c.year, table.c.unit, table.c.checkpoint)
        if year is not None:
            query = query.where(table.c.year == int(year))
        if unit is not None:
            query = query.where(table.c.unit == unit)
        with self._errors(StoreOperation.READ_ASSESSMENTS), self._reading() as connection:
            return [_assessment(row) for row in connection.execute(query)]

    def assessment_items(self, assessment_id: int) -> list[AssessmentItem]:
        table = assessment_items_table
        query = sa.select(table).where(table.c.assessment_id == assessment_id).order_by(table.c.position)
        with self._errors(StoreOperation.READ_ASSESSMENTS), self._reading() as connection:
            return [AssessmentItem(row.indicator_id, row.name, row.result, row.achievement, row.light,
                                   row.explanation, row.review_comment, row.reviewed_by)
                    for row in connection.execute(query)]

    def assessment_transitions(self, assessment_id: int) -> list[Transition]:
        """Oldest first."""
        table = assessment_transitions_table
        query = sa.select(table).where(table.c.assessment_id == assessment_id).order_by(table.c.id)
        with self._errors(StoreOperation.READ_ASSESSMENT_STEPS), self._reading() as connection:
            return [Transition(row.id, _aware(row.at), row.account, row.account_id, Step(row.step),
                               None if row.from_state == NONE_YET else State(row.from_state), State(row.to_state),
                               row.comment) for row in connection.execute(query)]

    def transition_assessment(self, change: AssessmentChange, *,
                              refuse: Callable[[StoredAssessment | None], KpiError],
                              audit: Audit = None) -> StoredAssessment:
        """Move one assessment from `change.expected` to `change.to_state`, or raise refuse(what it is now)."""
        def write(connection: Connection) -> StoredAssessment:
            return _transition(connection, change, refuse)

        with self._errors(StoreOperation.ASSESSMENT, unit=change.unit, year=change.year):
            return self._write(write, audit)


def _transition(connection: Connection, change: AssessmentChange,
                refuse: Callable[[StoredAssessment | None], KpiError]) -> StoredAssessment:
    table = assessments_table
    key = (table.c.year == change.year) & (table.c.unit == change.unit) & (table.c.checkpoint == change.checkpoint)
    lock = sa.select(table).where(key)
    if connection.dialect.name == "postgresql":
        lock = lock.with_for_update()
    row = connection.execute(lock).first()
    current = _assessment(row) if row is not None else None
    if (current.state if current else None) is not change.expected:
        raise refuse(current)
    now = _now()
    values: dict[str, object] = {"state": change.to_state.value, "updated_at": now}
    if change.step is Step.SUBMIT:
        values.update(submitted_by=change.account, submitted_by_id=change.account_id, submitted_at=now,
                      passed_by="", passed_at=None, approved_by="", approved_at=None,
                      checkpoint_name=change.checkpoint_name, months=_dump_json(list(change.months)))
    elif change.step is Step.PASS:
        values.update(passed_by=change.account, passed_at=now)
    elif change.step is Step.APPROVE:
        values.update(approved_by=change.account, approved_at=now)
    if current is None:
        assessment_id = connection.execute(table.insert().values(
            year=change.year, unit=change.unit, checkpoint=change.checkpoint, revision=1, **values)
        ).inserted_primary_key[0]
    else:
        # Conditional on the state and revision read above: never moves an assessment someone else just moved.
        updated = connection.execute(table.update().where(
            (table.c.id == current.id) & (table.c.state == current.state.value) & (table.c.revision == current.revision)
        ).values(revision=table.c.revision + 1, **values))
        if updated.rowcount != 1:
            raise refuse(current)
        assessment_id = current.id
    items = assessment_items_table
    if change.items is not None:
        connection.execute(items.delete().where(items.c.assessment_id == assessment_id))
        if change.items:
            connection.execute(items.insert(), [
                {"assessment_id": assessment_id, "position": position, "indicator_id": item.indicator_id,
                 "name": item.name, "result": item.result, "achievement": item.achievement, "light": item.light,
                 "explanation": item.explanation, "review_comment": "", "reviewed_by": ""}
                for position, item in enumerate(change.items)])
    if change.comments:
        connection.execute(
            items.update().where((items.c.assessment_id == assessment_id)
                                 & (items.c.indicator_id == sa.bindparam("key_indicator")))
            .values(review_comment=sa.bindparam("comment"), reviewed_by=sa.bindparam("by")),
            [{"key_indicator": indicator, "comment": comment, "by": change.account}
             for indicator, comment in change.comments.items()])
    connection.execute(assessment_transitions_table.insert().values(
        assessment_id=assessment_id, at=now, account=change.account, account_id=change.account_id,
        step=change.step.value,
        from_state=change.expected.value if change.expected else NONE_YET, to_state=change.to_state.value,
        comment=change.comment))
    return _assessment(connection.execute(sa.select(table).where(table.c.id == assessment_id)).one())


def approved_in(connection: Connection, year: int, unit: str) -> list[StoredAssessment]:
    """The approved assessments of (year, unit), read in the caller's transaction."""
    table = assessments_table
    rows = connection.execute(sa.select(table).where(
        (table.c.year == int(year)) & (table.c.unit == unit) & (table.c.state == State.APPROVED.value)))
    return [_assessment(row) for row in rows]


def changed_months(connection: Connection, batch_ids: Iterable[int]) -> set[tuple[int, str, int]]:
    """(year, unit, month) whose value the batches added or changed (a value sent again unchanged is not one)."""
    ids = sorted({int(batch_id) for batch_id in batch_ids})
    if not ids:
        return set()
    table = value_changes_table
    rows = connection.execute(sa.select(table.c.year, table.c.unit, table.c.month).distinct().where(
        table.c.batch_id.in_(ids) & (table.c.previous_value.is_(None) | (table.c.previous_value != table.c.value))))
    return {(row.year, row.unit, row.month) for row in rows}


def _assessment(row: sa.Row) -> StoredAssessment:
    return StoredAssessment(
        row.id, row.year, row.unit, row.checkpoint, row.checkpoint_name, tuple(_load_json(row.months)),
        State(row.state), row.submitted_by, row.submitted_by_id, _aware(row.submitted_at), row.passed_by,
        _aware(row.passed_at), row.approved_by, _aware(row.approved_at), row.revision, _aware(row.updated_at))
