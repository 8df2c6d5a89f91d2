"""A checkpoint of the performance cycle in the year-end report: the report is then as of the checkpoint's last
month and says where the unit's 自評 of that checkpoint stands (送出自評, 初核, 核定: who and when, from the stored
assessment, and every transition with its comment); an indicator's row shows the 自評說明 and the reviewers'
comment where the 自評 has them, else the year's notes.

    record = read_review_record(store, cycle, 112, "政風處", "half")   # CycleError names the checkpoints there are
    report = assemble(plan, frame, review=record, ...)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from metrics.outputs.presentation import taiwan_time
from metrics.store.assessments import AssessmentItem, State, StoredAssessment, Transition
from metrics.texts import visible

if TYPE_CHECKING:
    from metrics.plans.cycle import Cycle
    from metrics.store import Store

NOT_SUBMITTED = "尚未送出自評"
NOT_YET = "—"
# The stored fields of each step's who and when, and the states in which that step stands (a return or a reopening
# undoes the later steps, whose names the store still holds: the transitions keep them).
STEP_ROWS: tuple[tuple[str, str, frozenset[State]], ...] = (
    ("送出自評", "submitted", frozenset({State.SUBMITTED, State.PASSED, State.APPROVED, State.RETURNED})),
    ("初核通過", "passed", frozenset({State.PASSED, State.APPROVED})),
    ("核定", "approved", frozenset({State.APPROVED})),
)
STEP_COLUMNS: tuple[str, ...] = ("步驟", "辦理人", "時間")
TRANSITION_COLUMNS: tuple[str, ...] = ("時間", "步驟", "狀態", "辦理人", "說明")
SECTION = "肆、檢核點考核狀態"
NO_TRANSITIONS = "本檢核點尚未送出自評，尚無審核歷程。"


@dataclass(frozen=True)
class ReviewRecord:
    """What the store holds of one checkpoint of a unit's year: the checkpoint (as its 自評 was sent, else as the
    cycle declares it), the assessment if one was sent, its indicators and its transitions (oldest first)."""

    checkpoint: str
    name: str
    months: tuple[int, ...]
    assessment: StoredAssessment | None = None
    items: tuple[AssessmentItem, ...] = ()
    transitions: tuple[Transition, ...] = ()

    @property
    def last_month(self) -> int:
        return max(self.months)


def read_review_record(store: Store, cycle: Cycle, year: int, unit: str, checkpoint: str) -> ReviewRecord:
    """The checkpoint `checkpoint` of the unit's year: one the cycle declares, or one a 自評 was sent for before the
    cycle changed; any other is refused (CycleError) naming the checkpoints the cycle declares."""
    stored = store.assessment(year, unit, checkpoint)
    if stored is None:
        point = cycle.checkpoint(checkpoint)
        return ReviewRecord(point.id, point.name, point.months)
    # a 自評 keeps the name and months it was sent with, so what an approval locked is what the report covers
    declared = next((point for point in cycle.checkpoints if point.id == checkpoint), None)
    name = stored.checkpoint_name or (declared.name if declared else checkpoint)
    months = stored.months or (declared.months if declared else ())
    if not months:
        cycle.checkpoint(checkpoint)  # nothing to report as of: refused as unknown, naming those there are
    return ReviewRecord(checkpoint, name, tuple(months), stored, tuple(store.assessment_items(stored.id)),
                        tuple(store.assessment_transitions(stored.id)))


@dataclass(frozen=True)
class IndicatorReview:
    """One indicator of a sent 自評 as the report prints it."""

    explanation: str  # 自評說明
    comment: str  # the reviewers' comment
    reviewed_by: str


@dataclass(frozen=True)
class CheckpointReview:
    """The review state of the checkpoint as the report prints it, every text visible-safe."""

    name: str  # '上半年'
    label: str  # '112 年度上半年'
    months: str  # '1～6 月'
    state: str  # '已核定' or '尚未送出自評'
    steps: tuple[tuple[str, str, str], ...]  # (步驟, 辦理人, 時間), NOT_YET for a step not (or no longer) taken
    transitions: tuple[tuple[str, str, str, str, str], ...]  # by TRANSITION_COLUMNS, oldest first
    indicators: dict[str, IndicatorReview]

    @property
    def summary(self) -> str:
        return f"檢核點：{self.label}（{self.months}）｜考核狀態：{self.state}"

    @property
    def steps_line(self) -> str:
        """The steps on one line, for the report's opening: 送出自評 王小明 112/07/15 10:00；初核通過 —；…"""
        return "；".join(f"{step} {who}" + (f"（{when}）" if when != NOT_YET else "") for step, who, when in self.steps)


def months_label(months: Sequence[int]) -> str:
    """'1～6 月' for a run of months, else '1、3、5 月'."""
    ordered = sorted(months)
    if len(ordered) > 1 and ordered == list(range(ordered[0], ordered[-1] + 1)):
        return f"{ordered[0]}～{ordered[-1]} 月"
    return "、".join(str(month) for month in ordered) + " 月"


def checkpoint_review(record: ReviewRecord, year: int) -> CheckpointReview:
    stored = record.assessment
    steps = []
    for label, prefix, states in STEP_ROWS:
        if stored is not None and stored.state in states:
            who = getattr(stored, f"{prefix}_by") or NOT_YET
            steps.append((label, visible(who), taiwan_time(getattr(stored, f"{prefix}_at"))))
        else:
            steps.append((label, NOT_YET, NOT_YET))
    transitions = tuple(
        (taiwan_time(item.at), item.step.label,
         f"{item.from_state.value if item.from_state else NOT_SUBMITTED} → {item.to_state.value}",
         visible(item.account) or NOT_YET, visible(item.comment) or NOT_YET)
        for item in record.transitions)
    indicators = {visible(item.indicator_id): IndicatorReview(visible(item.explanation), visible(item.review_comment),
                                                              visible(item.reviewed_by))
                  for item in record.items}
    return CheckpointReview(
        name=visible(record.name), label=visible(f"{year} 年度{record.name}"), months=months_label(record.months),
        state=stored.state.value if stored is not None else NOT_SUBMITTED, steps=tuple(steps),
        transitions=transitions, indicators=indicators)
