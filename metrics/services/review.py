"""The performance cycle's writes and its status, over the one write layer (metrics.services): a unit submits its
自評 for a checkpoint, 研考 returns it or passes it (初核), the board approves it (核定) or returns it, and an approved
自評 is reopened only with a reason. Every step takes the acting account, is checked in the one place
(Services._require, roles.toml), validated, and written with its audit row in one transaction; a refusal is
recorded too.

    review = Review.in_force(services, directory, catalogue)  # the cycle in force: the store's latest version
    review.status(112)                                    # every unit of units.toml, with its state
    review.submit(actor, 112, "政風處", "half", "…")
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from metrics.services import inputs
from metrics.services.accounts import PermissionDenied, Settings
from metrics.plans.roles import Action, Roles
from metrics.plans.catalogue import Catalogue
from metrics.evaluation.completeness import lacking_text, month_completeness
from metrics.plans.catalogue import CYCLE_FILE
from metrics.plans.cycle import Checkpoint, Cycle, cycle_changes, load_cycle, parse_cycle, read_stored_cycle
from metrics.errors import InputError, KpiError, PlanError, PlanNotFound, Problem
from metrics.evaluation.core import evaluate
from metrics.evaluation.figures import Figures, stored_frame
from metrics.plans.formulas import round_half_up
from metrics.intake.parsing import TAIWAN, format_taiwan_time
from metrics.plans.plan import Plan
from metrics.services.reminders import MAIL_KEYS, REMINDED, MailFailed, MailSettings, Reminder, check_mail_settings, send
from metrics.services.core import ALLOWED, DENIED, FAILED, Actor, Services, _is_command_line
from metrics.store import (AssessmentChange, AssessmentItem, AuditEntry, AuditRow, Outcome, State, Step, Store,
                           StoredAssessment, StoredCycle, Transition, canonical_decimal)
from metrics.texts import TextKind, check_texts, clean_text, escaped

AUDIT_WORDS = {Step.SUBMIT: "送出自評", Step.RETURN: "退回自評", Step.PASS: "初核自評", Step.APPROVE: "核定自評",
               Step.REOPEN: "重新開放自評"}
# What each stored state waits for, for the message of a step tried from the wrong state.
NEXT = {
    None: "尚未送出自評，須先由單位送出",
    State.SUBMITTED: "正等待研考初核（初核通過或退回）",
    State.RETURNED: "已退回，正等待單位修正後重新送出",
    State.PASSED: "已初核通過，正等待複核（核定或退回）",
    State.APPROVED: "已核定；如需修改須先重新開放",
}
COMMENT_MAX = 2_000
# An explanation drafted from a note holds its 落後原因 and 改進措施 (2,000 characters each) with their labels.
EXPLANATION_MAX = 4_100
# The [steps] key of the cycle file whose roles do each step.
CYCLE_SEED_AUTHOR = "系統（考核週期檔）"
CYCLE_WORD = "考核週期"
CYCLE_DOCUMENT_MAX = 20_000
STEP_KEYS = {Step.SUBMIT: "submit", Step.PASS: "review", Step.RETURN: "review", Step.APPROVE: "approve",
             Step.REOPEN: "reopen"}


@dataclass(frozen=True)
class UnitStatus:
    """One unit at one checkpoint of a year, as the status lists it."""

    year: int
    unit: str
    checkpoint: Checkpoint
    state: State
    deadline: dt.date
    overdue_months: tuple[int, ...] = ()  # months past their monthly deadline without every figure
    assessment: StoredAssessment | None = None

    def to_json(self) -> dict[str, object]:
        stored = self.assessment
        return {
            "unit": self.unit, "year": self.year, "checkpoint": self.checkpoint.id, "state": self.state.value,
            "has_plan": self.state is not State.NO_PLAN, "deadline": self.deadline.isoformat(),
            "overdue_months": list(self.overdue_months),
            "submitted_by": stored.submitted_by if stored else None,
            "submitted_at": stored.submitted_at.isoformat() if stored and stored.submitted_at else None,
            "passed_by": stored.passed_by or None if stored else None,
            "approved_by": stored.approved_by or None if stored else None,
            "approved_at": stored.approved_at.isoformat() if stored and stored.approved_at else None,
        }


class Task(enum.Enum):
    """What an inbox item asks of the account."""

    SUBMIT = "送出自評"
    REVIEW = "初核"
    APPROVE = "複核"


@dataclass(frozen=True)
class InboxItem:
    task: Task
    year: int
    unit: str
    checkpoint: Checkpoint
    assessment: StoredAssessment | None
    deadline: dt.date
    overdue: bool

    @property
    def text(self) -> str:
        state = f"（{self.assessment.state.value}）" if self.assessment is not None else ""
        late = f"，已逾期（期限 {_roc(self.deadline)}）" if self.overdue else f"，期限 {_roc(self.deadline)}" \
            if self.task is Task.SUBMIT else ""
        return f"{self.task.value}：{self.unit} {self.checkpoint.label(self.year)}自評{state}{late}"


# The audit trail's actions that change what an assessment reports: figures, their undo, notes, the plan.
CHANGE_ACTIONS = frozenset({"上傳", "載入範例資料", "復原", "落後說明", "計畫版本"})


@dataclass(frozen=True)
class FigureChange:
    """One figure of the unit's year that differs between two moments (None: not reported then)."""

    month: int
    field: str  # its code
    field_name: str
    indicators: tuple[str, ...]  # "1 辦理預警案件": the plan's indicators that use it
    before: Decimal | None
    after: Decimal | None


@dataclass(frozen=True)
class NoteChange:
    """One indicator's 落後原因 and 改進措施 of a month that differ between two moments (None: none written then)."""

    month: int
    indicator: str  # "1 辦理預警案件"
    before: tuple[str, str] | None
    after: tuple[str, str] | None


@dataclass(frozen=True)
class Reopened:
    """An assessment's latest reopening, its approval after it if any, and what changed in between: the figures and
    notes as they stood at the reopening against the approval (or now), and the audit rows of the changes."""

    reopening: Transition
    approval: Transition | None
    changes: tuple[AuditRow, ...]
    figures: tuple[FigureChange, ...] = ()
    notes: tuple[NoteChange, ...] = ()


@dataclass(frozen=True)
class Draft:
    """A submission as it would be sent now, and the months it still lacks (then it would be refused)."""

    items: tuple[AssessmentItem, ...]
    lacking: tuple[str, ...]


def _roc(day: dt.date) -> str:
    return f"{day.year - 1911}/{day.month:02d}/{day.day:02d}"


def _month_end(year: int, month: int) -> dt.date:
    """The last day of `month` of ROC `year`."""
    following = dt.date(year + 1911 + month // 12, month % 12 + 1, 1)
    return following - dt.timedelta(days=1)


def _too_long(text: str, limit: int, field: str) -> list[Problem]:
    if len(text) <= limit:
        return []
    return [Problem(f"至多 {limit:,} 字，卻有 {len(text):,} 字；詳細資料請另以附件或公文說明。", field=field,
                    value=text[:20] + "…")]


def seed_cycle(store: Store, directory: Path, roles: Roles) -> StoredCycle | None:
    """The cycle file of `directory` as the store's version 1 when the store has none (checked as load_cycle checks
    it: PlanError when it is missing or wrong); None when the store has a version already."""
    if store.cycle_version() is not None:
        return None
    load_cycle(Path(directory), roles)
    text = (Path(directory) / CYCLE_FILE).read_text(encoding="utf-8")
    return store.save_cycle_version(
        text, author=CYCLE_SEED_AUTHOR, note="由考核週期檔建立", origin=CYCLE_FILE, seed=True,
        audit=lambda version: [AuditEntry(CYCLE_SEED_AUTHOR, CYCLE_WORD, ALLOWED, f"考核週期第 {version.number} 版",
                                          f"由 {CYCLE_FILE} 建立")])


def cycle_in_force(services: Services, directory: Path) -> Cycle:
    """The store's latest version of the cycle, the file of `directory` stored first as version 1 when the store has
    none. A PlanError names the version (or file) and every mistake."""
    seed_cycle(services.store, directory, services.roles)
    stored = services.store.cycle_version()
    try:
        return parse_cycle(stored.document, services.roles, _version_shown(stored))
    except PlanError as error:
        raise PlanError(f"{error}\n{CYCLE_REPAIR}", issues=error.issues) from None


# Where a stored version that no longer agrees with roles.toml is fixed (cycle.toml no longer counts once stored).
CYCLE_REPAIR = ("請系統管理者於「帳號管理」→「系統設定」的考核週期修正後儲存為新版本，或以命令列 "
                "python -m metrics review cycle export -o cycle.toml 匯出、修改後以 review cycle import cycle.toml 匯入。")


def cycle_to_read(store: Store, directory: Path, roles: Roles) -> Cycle:
    """The cycle in force for reading only (a report of a checkpoint): the store's latest version, else the cycle
    file of `directory`, without storing it; a version whose steps no longer agree with roles.toml is still read
    (its checkpoints are what a report needs). PlanError names the version (or file) and every mistake."""
    stored = store.cycle_version()
    if stored is None:
        return load_cycle(Path(directory), roles)
    return read_stored_cycle(stored.document, roles, _version_shown(stored))[0]


def _version_shown(stored: StoredCycle) -> str:
    return f"資料庫中的考核週期第 {stored.number} 版"


def cycle_to_repair(services: Services, directory: Path) -> tuple[Cycle, dict[str, list[str]]]:
    """The cycle in force and the steps whose roles no longer agree with roles.toml ([steps] key → why), read even
    when they disagree (roles.toml changed after the version was saved), so that an administrator can fix them."""
    seed_cycle(services.store, directory, services.roles)
    stored = services.store.cycle_version()
    return read_stored_cycle(stored.document, services.roles, _version_shown(stored))


def _indicator_label(plan: Plan | None, indicator_id: str) -> str:
    indicator = plan.indicator_by_id.get(indicator_id) if plan is not None else None
    return f"{indicator_id} {indicator.short_name or indicator.name}" if indicator is not None else indicator_id


def _figure_changes(plan: Plan | None, before: Mapping[tuple[str, int], Decimal],
                    after: Mapping[tuple[str, int], Decimal]) -> tuple[FigureChange, ...]:
    """The figures that differ, by month and in the plan's order of its fields (fields it does not use last)."""
    order = {code: index for index, code in enumerate(
        dict.fromkeys(code for indicator in (plan.indicators if plan else ()) for code in indicator.fields))}
    keys = sorted((key for key in before.keys() | after.keys() if before.get(key) != after.get(key)),
                  key=lambda key: (key[1], order.get(key[0], len(order)), key[0]))
    found = []
    for field, month in keys:
        known = plan.field(field) if plan is not None else None
        users = tuple(_indicator_label(plan, indicator.id) for indicator in (plan.indicators if plan else ())
                      if field in indicator.fields)
        found.append(FigureChange(month, field, known.name if known else field, users, before.get((field, month)),
                                  after.get((field, month))))
    return tuple(found)


def _note_changes(plan: Plan | None, before: Mapping[tuple[int, str], tuple[str, str]],
                  after: Mapping[tuple[int, str], tuple[str, str]]) -> tuple[NoteChange, ...]:
    order = {indicator.id: index for index, indicator in enumerate(plan.indicators if plan else ())}
    keys = sorted((key for key in before.keys() | after.keys() if before.get(key) != after.get(key)),
                  key=lambda key: (key[0], order.get(key[1], len(order)), key[1]))
    return tuple(NoteChange(month, _indicator_label(plan, indicator), before.get((month, indicator)),
                            after.get((month, indicator))) for month, indicator in keys)


def _check_inbox_actor(actor: object) -> None:
    inputs.check_instance(actor, Actor, "操作者", "登入後取得的操作者（Services.actor）或命令列（command_line）")


class Review:
    """The cycle's steps over one Services (its store and roles), with the cycle and the plan files."""

    def __init__(self, services: Services, cycle: Cycle, files: Catalogue,
                 mismatched_steps: Mapping[str, list[str]] | None = None):
        self.services = services
        self.store = services.store
        self.cycle = cycle
        self.files = files
        # [steps] key → why its roles disagree with roles.toml; only a Review opened to repair the cycle has any
        self.mismatched_steps: dict[str, list[str]] = dict(mismatched_steps or {})

    @classmethod
    def in_force(cls, services: Services, directory: Path, files: Catalogue, *, repair: bool = False) -> Review:
        """The Review with the cycle in force: the store's latest version; a store without any gets the cycle
        file of `directory` as its version 1 (checked as load_cycle checks it). With `repair`, a version whose steps
        no longer agree with roles.toml is still read (mismatched_steps says which), for the cycle's settings only."""
        if repair:
            cycle, mismatched = cycle_to_repair(services, directory)
            return cls(services, cycle, files, mismatched)
        return cls(services, cycle_in_force(services, directory), files)

    # ---- the cycle's versions ----

    def save_cycle(self, actor: Actor, document: str, *, note: str = "", origin: str = "系統內編修") -> StoredCycle:
        """Store `document` as the next version of the cycle (an administrator's setting), checked with the rules
        of the cycle file; from then on it is the cycle in force. Assessments already sent keep the checkpoint
        name and months they were sent with, so what an approval locked does not move."""
        document, note = inputs.check_text(document, "考核週期內容"), inputs.check_text(note, "修改說明")
        origin = inputs.check_text(origin, "來源")
        self.services._require(actor, Action.MANAGE_SETTINGS, CYCLE_WORD, subject=CYCLE_WORD)
        problems = _too_long(document, CYCLE_DOCUMENT_MAX, "考核週期內容")
        if problems:
            raise InputError(problems)
        document = document.replace("\r\n", "\n")
        check_texts([(document, TextKind.PROSE, "考核週期內容"), (note, TextKind.LINE, "修改說明")])
        cycle = parse_cycle(document, self.services.roles, "編修的考核週期" if origin == "系統內編修" else origin)
        check_texts([(point.name, TextKind.LINE, f"檢核點 {point.id} 的 name") for point in cycle.checkpoints])
        stored = self.store.cycle_version()
        # the version in force is read even when roles.toml changed since, so that the save can fix its steps
        current = read_stored_cycle(stored.document, self.services.roles, "目前的考核週期")[0] if stored else None
        changes = cycle_changes(current, cycle)
        if current is not None and not changes:
            raise PlanError("考核週期與目前的版本完全相同，未建立新版本。")
        saved = self.store.save_cycle_version(document, author=actor.label, note=note, origin=origin, changes=changes,
                                              audit=lambda version: [AuditEntry(
                                                  actor.label, CYCLE_WORD, ALLOWED, f"考核週期第 {version.number} 版",
                                                  "；".join(version.changes) or note)])
        self.cycle = cycle
        self.mismatched_steps = {}
        return saved

    def cycle_versions(self) -> list[StoredCycle]:
        return self.store.cycle_versions()

    # ---- reading ----

    def today(self) -> dt.date:
        return self.services.clock().astimezone(TAIWAN).date()

    def plans(self) -> Catalogue:
        from metrics.plans.planning import stored_catalogue

        return stored_catalogue(self.store, self.files)

    def units_of(self, year: int) -> list[str]:
        """Every unit of units.toml that exists in `year`, in the file's order."""
        return [unit.name for unit in self.files.units.units if unit.since is None or unit.since <= year]

    def status(self, year: int, checkpoint: str | None = None) -> list[UnitStatus]:
        """Every unit of the year at the checkpoint (every checkpoint when none is named)."""
        year = inputs.check_integer(year, "年度")
        checkpoints = [self.cycle.checkpoint(checkpoint)] if checkpoint is not None else list(self.cycle.checkpoints)
        catalogue = self.plans()
        stored = {(item.unit, item.checkpoint): item for item in self.store.assessments(year)}
        plans = [plan for plan in (catalogue.find(year, unit) for unit in self.units_of(year)) if plan is not None]
        frame = stored_frame(self.store, plans) if plans else self.store.current_frame(year)
        figures = Figures.for_plans(plans, frame)
        today = self.today()
        rows = []
        for point in checkpoints:
            for unit in self.units_of(year):
                plan = catalogue.find(year, unit)
                rows.append(self._unit_status(year, unit, point, plan, figures.get((year, unit)),
                                              stored.get((unit, point.id)), today))
        return rows

    def _unit_status(self, year: int, unit: str, point: Checkpoint, plan: Plan | None, figures: Figures | None,
                     stored: StoredAssessment | None, today: dt.date) -> UnitStatus:
        deadline = point.due(year)
        if stored is not None:
            return UnitStatus(year, unit, point, stored.state, deadline, (), stored)
        if plan is None or figures is None:
            return UnitStatus(year, unit, point, State.NO_PLAN, deadline)
        incomplete = [month for month in point.months if not month_completeness(figures, month).complete]
        overdue = tuple(month for month in incomplete if self.cycle.month_due(year, month) < today)
        reported = any(month in by_month for by_month in figures.values.values() for month in point.months)
        if overdue or today > deadline:
            state = State.OVERDUE
        else:
            state = State.REPORTING if reported else State.NOT_STARTED
        return UnitStatus(year, unit, point, state, deadline, overdue)

    def unit_status(self, year: int, unit: str, checkpoint: str) -> UnitStatus:
        return next(row for row in self.status(year, checkpoint) if row.unit == unit)

    def draft(self, year: int, unit: str, checkpoint: str) -> Draft:
        """What a submission would send now: each indicator's result, light and explanation (the notes already
        written), and what is still missing (a submission is refused while anything is)."""
        year, unit, point, _ = self._arguments(year, unit, checkpoint, "")
        plan = self.plans().plan(year, unit)
        figures = Figures.from_frame(plan, stored_frame(self.store, [plan], unit))
        return Draft(tuple(self._items(plan, figures, point, {})), tuple(self._lacking(plan, figures, point)))

    def items_of(self, assessment: StoredAssessment) -> list[AssessmentItem]:
        return self.store.assessment_items(assessment.id)

    def history_of(self, assessment: StoredAssessment) -> list[Transition]:
        return self.store.assessment_transitions(assessment.id)

    def since_reopening(self, assessment: StoredAssessment) -> Reopened | None:
        """What changed in the unit's year after the assessment's latest reopening (until it was approved again):
        the uploads, undos, notes and plan versions of the audit trail, oldest first; None if never reopened."""
        transitions = self.history_of(assessment)
        reopenings = [index for index, item in enumerate(transitions) if item.step is Step.REOPEN]
        if not reopenings:
            return None
        reopening = transitions[reopenings[-1]]
        approval = next((item for item in transitions[reopenings[-1] + 1:] if item.step is Step.APPROVE), None)
        rows = self.store.audit_log(since=reopening.at, until=approval.at if approval else None,
                                    unit=assessment.unit, outcome=Outcome.ALLOWED)
        changes = tuple(row for row in sorted(rows, key=lambda row: row.id)
                        if row.year == assessment.year and row.action in CHANGE_ACTIONS)
        moments = [reopening.at, approval.at if approval else None]
        figures = self.store.values_at(assessment.year, assessment.unit, moments)
        notes = self.store.notes_at(assessment.year, assessment.unit, moments)
        plan = self.plans().find(assessment.year, assessment.unit)
        return Reopened(reopening, approval, changes, _figure_changes(plan, *figures), _note_changes(plan, *notes))

    def returned_comments(self, year: int, unit: str) -> dict[str, list[tuple[str, AssessmentItem]]]:
        """indicator → (checkpoint label, item) of every returned 自評 of the unit whose reviewer commented on it:
        what the unit is to fix, shown next to the indicator."""
        found: dict[str, list[tuple[str, AssessmentItem]]] = {}
        for stored in self.store.assessments(year, unit):
            if stored.state is not State.RETURNED:
                continue
            label = f"{stored.year} 年度{stored.checkpoint_name or stored.checkpoint}"
            for item in self.store.assessment_items(stored.id):
                if item.review_comment:
                    found.setdefault(item.indicator_id, []).append((label, item))
        return found

    def locking(self, year: int, unit: str, month: int) -> StoredAssessment | None:
        """The approved 自評 whose months hold `month` of the unit's year (then its figures and notes are locked)."""
        return next((stored for stored in self.store.assessments(year, unit)
                     if stored.state is State.APPROVED and month in stored.months), None)

    def inbox(self, actor: Actor, catalogue: Catalogue | None = None,
              settings: Settings | None = None) -> list[InboxItem]:
        """What waits for this account: 自評 to send (checkpoints whose months are over, or returned), to review
        (已送自評) and to confirm (初核通過), each only where the account may act; overdue first. One read of the
        store (the assessments) besides the plans, which a page passes in (`catalogue`)."""
        _check_inbox_actor(actor)
        if actor.account is None:
            return []
        catalogue = catalogue if catalogue is not None else self.plans()
        settings = settings or self.services.settings()
        today = self.today()
        own_id = self._account_id(actor)
        stored = {(item.year, item.unit, item.checkpoint): item for item in self.store.assessments()}
        points = {point.id: point for point in self.cycle.checkpoints}
        items: list[InboxItem] = []

        def may(action: Action, unit: str) -> bool:
            return self.services.can(actor, action, unit, settings).allowed

        for year, unit in sorted(catalogue.official().keys()):
            if unit not in self.units_of(year) or not may(Action.SUBMIT_ASSESSMENT, unit):
                continue
            for point in self.cycle.checkpoints:
                current = stored.get((year, unit, point.id))
                if current is None and today > _month_end(year, point.last_month):
                    items.append(InboxItem(Task.SUBMIT, year, unit, point, None, point.due(year),
                                           today > point.due(year)))
        for (year, unit, checkpoint), current in sorted(stored.items()):
            point = points.get(checkpoint) or Checkpoint(checkpoint, current.checkpoint_name, current.months, 12, 31)
            deadline = point.due(year)
            if current.state is State.RETURNED and may(Action.SUBMIT_ASSESSMENT, unit):
                items.append(InboxItem(Task.SUBMIT, year, unit, point, current, deadline, today > deadline))
            elif current.state is State.SUBMITTED and may(Action.REVIEW_ASSESSMENT, unit) and \
                    (own_id is None or current.submitted_by_id != own_id):
                items.append(InboxItem(Task.REVIEW, year, unit, point, current, deadline, False))
            elif current.state is State.PASSED and may(Action.APPROVE_ASSESSMENT, unit) and \
                    (own_id is None or current.submitted_by_id != own_id):
                items.append(InboxItem(Task.APPROVE, year, unit, point, current, deadline, False))
        return sorted(items, key=lambda item: (not item.overdue, item.deadline, item.year, item.unit))

    # ---- the steps ----

    def submit(self, actor: Actor, year: int, unit: str, checkpoint: str, comment: str = "",
               explanations: Mapping[str, str] | None = None) -> StoredAssessment:
        """The unit's 自評: each indicator's result as of the checkpoint's last month, its light and explanation
        (given, else the notes already written for that month); refused while a figure of its months is missing."""
        year, unit, point, comment = self._arguments(year, unit, checkpoint, comment)
        subject = f"{point.label(year)}自評"
        self.services._require(actor, Action.SUBMIT_ASSESSMENT, AUDIT_WORDS[Step.SUBMIT], unit=unit, year=year,
                               subject=subject)
        current = self.store.assessment(year, unit, point.id)
        expected = current.state if current else None
        if expected not in (None, State.RETURNED):
            self._refuse(actor, Step.SUBMIT, year, unit, subject, self._wrong_state(Step.SUBMIT, year, unit, point,
                                                                                     current))
        try:
            plan = self.plans().plan(year, unit)
        except PlanNotFound as missing:
            self._refuse(actor, Step.SUBMIT, year, unit, subject, missing)
        figures = Figures.from_frame(plan, stored_frame(self.store, [plan], unit))
        lacking = self._lacking(plan, figures, point)
        if lacking:
            self._refuse(actor, Step.SUBMIT, year, unit, subject, InputError(
                [Problem(f"{unit} {point.label(year)}的數字尚未齊全，不能送出自評；請先補齊下列月份後再送出：")]
                + [Problem(text) for text in lacking]))
        items = self._items(plan, figures, point, explanations or {})
        change = AssessmentChange(year, unit, point.id, Step.SUBMIT, expected, State.SUBMITTED, actor.label,
                                  self._account_id(actor), comment, point.name, point.months, items)
        detail = "；".join(f"{item.indicator_id} {item.result}（{item.light}燈）" for item in items)
        return self._write(actor, change, point, subject, (comment + "；" if comment else "") + detail)

    def return_(self, actor: Actor, year: int, unit: str, checkpoint: str, comment: str,
                comments: Mapping[str, str] | None = None) -> StoredAssessment:
        """Back to the unit, with a reason (and comments per indicator): by 研考 from 已送自評, by the board from
        初核通過."""
        year, unit, point, comment = self._arguments(year, unit, checkpoint, comment)
        subject = f"{point.label(year)}自評"
        current = self.store.assessment(year, unit, point.id)
        action = Action.APPROVE_ASSESSMENT if current and current.state is State.PASSED else Action.REVIEW_ASSESSMENT
        self.services._require(actor, action, AUDIT_WORDS[Step.RETURN], unit=unit, year=year, subject=subject)
        self._expect(actor, Step.RETURN, year, unit, point, current, (State.SUBMITTED, State.PASSED))
        if not comment:
            self._refuse(actor, Step.RETURN, year, unit, subject, InputError(Problem(
                "退回須說明原因，讓單位知道要修正什麼。", field="說明", value="（空白）")))
        return self._write(actor, self._change(actor, Step.RETURN, current, State.RETURNED, comment,
                                               self._comments(current, comments)), point, subject, comment)

    def pass_(self, actor: Actor, year: int, unit: str, checkpoint: str, comment: str = "",
              comments: Mapping[str, str] | None = None) -> StoredAssessment:
        """初核通過: 研考 sends a submitted 自評 on to the board; never by the account that submitted it."""
        return self._review(actor, Step.PASS, Action.REVIEW_ASSESSMENT, State.SUBMITTED, State.PASSED, year, unit,
                            checkpoint, comment, comments)

    def approve(self, actor: Actor, year: int, unit: str, checkpoint: str, comment: str = "") -> StoredAssessment:
        """核定: the months of the checkpoint are locked from now on; never by the account that submitted it."""
        return self._review(actor, Step.APPROVE, Action.APPROVE_ASSESSMENT, State.PASSED, State.APPROVED, year, unit,
                            checkpoint, comment, None)

    def reopen(self, actor: Actor, year: int, unit: str, checkpoint: str, reason: str) -> StoredAssessment:
        """An approved 自評 back to the unit, its months unlocked: only with a reason, which the history keeps."""
        year, unit, point, reason = self._arguments(year, unit, checkpoint, reason, field="重新開放的理由")
        subject = f"{point.label(year)}自評"
        self.services._require(actor, Action.REOPEN_ASSESSMENT, AUDIT_WORDS[Step.REOPEN], unit=unit, year=year,
                               subject=subject)
        current = self.store.assessment(year, unit, point.id)
        self._expect(actor, Step.REOPEN, year, unit, point, current, (State.APPROVED,))
        if not reason:
            self._refuse(actor, Step.REOPEN, year, unit, subject, InputError(Problem(
                "重新開放已核定的自評須說明理由（將記入操作紀錄）。", field="重新開放的理由", value="（空白）")))
        return self._write(actor, self._change(actor, Step.REOPEN, current, State.RETURNED, reason), point, subject,
                           f"理由：{reason}；{point.name}月份解除鎖定")

    # ---- reminders ----

    def mail_settings(self) -> MailSettings:
        return MailSettings.from_values(self.store.settings())

    def save_mail_settings(self, actor: Actor, *, host: str, port: int, starttls: bool, sender: str,
                           user: str) -> MailSettings:
        """The mail server of the reminders (an administrator's setting); the password is never stored: it is
        read from the environment variable KPI_SMTP_PASSWORD when mails are sent."""
        self.services._require(actor, Action.MANAGE_SETTINGS, "郵件設定", subject="郵件設定")
        settings = check_mail_settings(host, port, starttls, sender, user)
        before = self.mail_settings()
        changes = [f"{label}：{before.values()[key] or '—'} → {settings.values()[key] or '—'}"
                   for key, label in MAIL_KEYS.items() if before.values()[key] != settings.values()[key]]
        self.store.save_settings(settings.values(), audit=[AuditEntry(actor.label, "郵件設定", ALLOWED, "郵件設定",
                                                                      "；".join(changes) or "無變更")])
        return settings

    def reminders(self, year: int, checkpoint: str | None = None) -> list[Reminder]:
        """A reminder for each unit 逾期 or 退回修正 in `year` (at the checkpoint, or at every one), addressed to the
        active accounts with an e-mail that may submit the unit's 自評."""
        rows = [row for row in self.status(year, checkpoint) if row.state in REMINDED]
        submitters = set(self.cycle.steps.get("submit", ()))
        accounts = [account for account in self.store.accounts()
                    if account.active and account.email and submitters & set(account.roles)]
        return [Reminder(row.year, row.unit, row.checkpoint.id, row.state,
                         tuple((account.display_name or account.username, account.email) for account in accounts
                               if row.unit in account.units),
                         f"【績效考核】{row.unit} {row.checkpoint.label(row.year)}自評：{row.state.value}",
                         self._reminder_body(row)) for row in rows]

    def _reminder_body(self, row: UnitStatus) -> str:
        point = row.checkpoint
        lines = [f"{row.unit} 承辦同仁您好：", "",
                 f"{row.unit} {point.label(row.year)}自評（涵蓋 {point.months[0]}月至{point.last_month}月，"
                 f"自評期限 {_roc(row.deadline)}）目前狀態為「{row.state.value}」。"]
        if row.state is State.OVERDUE:
            if row.overdue_months:
                lines.append("已過填報期限仍未齊全的月份：" + "、".join(f"{month}月" for month in row.overdue_months)
                             + f"（每月數字應於次月 {self.cycle.monthly_due_day} 日前填報）。")
            if self.today() > row.deadline:
                lines.append("已過自評期限，尚未送出自評。")
        elif row.assessment is not None:
            last = self.store.assessment_transitions(row.assessment.id)[-1]
            lines.append(f"{last.account} 於 {format_taiwan_time(last.at)} {last.step.label}："
                         f"{last.comment or '（未說明）'}")
            for item in self.store.assessment_items(row.assessment.id):
                if item.review_comment:
                    lines.append(f"- 指標 {item.indicator_id} {item.name}：{item.review_comment}")
        lines += ["", "請登入績效指標系統，於「填報進度」頁辦理。", "（本信由系統自動寄出，請勿直接回覆。）"]
        return "\n".join(lines)

    def remind(self, actor: Actor, year: int | None = None, checkpoint: str | None = None, *,
               dry_run: bool = False) -> list[Reminder]:
        """E-mail the reminders (研考's task: who may review). Without a year: this year and the last (the 年終
        自評 is due the next year). A dry run only lists them; otherwise each mail sent, or not, is in the audit."""
        self.services._require(actor, Action.REVIEW_ASSESSMENT, "催報通知", subject="催報通知")
        dry_run = inputs.check_flag(dry_run, "僅列出")
        current = self.today().year - 1911
        years = [inputs.check_integer(year, "年度")] if year is not None else [current - 1, current]
        reminders = [reminder for each in years for reminder in self.reminders(each, checkpoint)]
        if dry_run or not reminders:
            return reminders
        settings = self.mail_settings()
        if not settings.configured:
            raise InputError(Problem("尚未設定郵件伺服器，無法寄送；請系統管理者至「帳號管理」的「郵件通知」設定。",
                                     field=MAIL_KEYS["smtp_host"], value="（空白）"))
        try:
            results = send(settings, reminders)
        except MailFailed as failed:
            self.store.record([AuditEntry(actor.label, "催報通知", FAILED, "催報通知", str(failed))])
            raise
        for result in results:
            outcome = ALLOWED if result.sent else FAILED
            detail = f"寄給 {result.to_text}：{result.subject}" + (f"；{result.problem}" if result.problem else "")
            self.store.record([AuditEntry(actor.label, "催報通知", outcome,
                                          f"{result.unit} {result.year} 年度 {result.checkpoint}", detail,
                                          result.unit, result.year)])
        return results

    # ---- helpers ----

    def _review(self, actor: Actor, step: Step, action: Action, source: State, target: State, year: int, unit: str,
                checkpoint: str, comment: str, comments: Mapping[str, str] | None) -> StoredAssessment:
        year, unit, point, comment = self._arguments(year, unit, checkpoint, comment)
        subject = f"{point.label(year)}自評"
        self.services._require(actor, action, AUDIT_WORDS[step], unit=unit, year=year, subject=subject)
        current = self.store.assessment(year, unit, point.id)
        self._expect(actor, step, year, unit, point, current, (source,))
        account_id = self._account_id(actor)
        if account_id is not None and current.submitted_by_id == account_id:
            others = self.cycle.step_roles(STEP_KEYS[step], self.services.roles)
            self._refuse(actor, step, year, unit, subject, PermissionDenied(
                f"您不能{step.label}自己送出的自評（{unit} {point.label(year)}，由您於 "
                f"{format_taiwan_time(current.submitted_at)} 送出）；請由其他具「{others}」角色的同仁辦理。"))
        return self._write(actor, self._change(actor, step, current, target, comment,
                                               self._comments(current, comments)), point, subject, comment)

    def _arguments(self, year: object, unit: object, checkpoint: object, comment: object,
                   field: str = "說明") -> tuple[int, str, Checkpoint, str]:
        year, unit = inputs.check_integer(year, "年度"), inputs.check_text(unit, "單位").strip()
        point = self.cycle.checkpoint(inputs.check_text(checkpoint, "檢核點").strip())
        text = clean_text(inputs.check_text(comment, field), TextKind.NOTE, field).text.strip()
        if len(text) > COMMENT_MAX:
            raise InputError(Problem(f"至多 {COMMENT_MAX:,} 字，卻有 {len(text):,} 字。", field=field,
                                     value=text[:20] + "…"))
        if unit not in self.units_of(year):
            raise InputError(Problem(f"「{escaped(unit)}」不是 {year} 年度的單位（單位名稱見 plans/units.toml）。",
                                     field="單位", value=unit))
        return year, unit, point, text

    def _expect(self, actor: Actor, step: Step, year: int, unit: str, point: Checkpoint,
                current: StoredAssessment | None, states: tuple[State, ...]) -> None:
        if current is None or current.state not in states:
            self._refuse(actor, step, year, unit, f"{point.label(year)}自評",
                         self._wrong_state(step, year, unit, point, current))

    def _wrong_state(self, step: Step, year: int, unit: str, point: Checkpoint,
                     current: StoredAssessment | None) -> InputError:
        if current is None:
            state = self.unit_status(year, unit, point.id).state.value
            return InputError(f"{unit} {point.label(year)}的自評目前為「{state}」（{NEXT[None]}），不能{step.label}。")
        last = self.store.assessment_transitions(current.id)[-1]
        return InputError(f"{unit} {point.label(year)}的自評目前為「{current.state.value}」（{NEXT[current.state]}；"
                          f"最近一次由 {last.account} 於 {format_taiwan_time(last.at)} {last.step.label}），"
                          f"不能{step.label}；請重新整理後再確認。")

    def _refuse(self, actor: Actor, step: Step, year: int, unit: str, subject: str, error: KpiError) -> None:
        self.store.record([AuditEntry(actor.label, AUDIT_WORDS[step], DENIED, subject, str(error), unit, year)])
        raise error

    def _account_id(self, actor: Actor) -> int | None:
        """None for the command line: the machine's administrator, recorded as such, not an account."""
        return None if _is_command_line(actor) or actor.account is None else actor.account.id

    def _change(self, actor: Actor, step: Step, current: StoredAssessment, target: State, comment: str,
                comments: Mapping[str, str] | None = None) -> AssessmentChange:
        return AssessmentChange(current.year, current.unit, current.checkpoint, step, current.state, target,
                                actor.label, self._account_id(actor), comment, comments=dict(comments or {}))

    def _comments(self, current: StoredAssessment, comments: Mapping[str, str] | None) -> dict[str, str]:
        if not comments:
            return {}
        inputs.check_instance(comments, Mapping, "各指標意見", "「指標代碼 → 意見」的表格")
        known = {item.indicator_id for item in self.store.assessment_items(current.id)}
        problems, cleaned = [], {}
        for indicator, text in comments.items():
            if indicator not in known:
                problems.append(Problem(f"指標「{escaped(indicator)}」不在此自評中（自評的指標：{'、'.join(sorted(known))}）。",
                                        field="各指標意見", value=str(indicator)))
                continue
            cleaned[indicator] = clean_text(inputs.check_text(text, "意見"), TextKind.NOTE, f"指標 {indicator} 的意見"
                                            ).text.strip()
            problems += _too_long(cleaned[indicator], COMMENT_MAX, f"指標 {indicator} 的意見")
        if problems:
            raise InputError(problems)
        return cleaned

    def _lacking(self, plan: Plan, figures: Figures, point: Checkpoint) -> list[str]:
        entries = [month_completeness(figures, month) for month in point.months]
        return [lacking_text(plan, entry, limit=100) for entry in entries if not entry.complete]

    def _items(self, plan: Plan, figures: Figures, point: Checkpoint,
               explanations: Mapping[str, str]) -> list[AssessmentItem]:
        evaluation = evaluate(figures, point.last_month)
        notes = self.store.notes(plan.year, plan.unit, point.last_month)
        unknown = sorted(set(explanations) - {indicator.id for indicator in plan.indicators})
        if unknown:
            raise InputError(Problem(f"指標 {'、'.join(map(escaped, unknown))} 不在 {plan.label}計畫中。",
                                     field="自評說明", value="、".join(unknown)))
        items = []
        for result in evaluation.results:
            indicator = result.indicator.id
            if indicator in explanations:
                explanation = clean_text(inputs.check_text(explanations[indicator], "自評說明"), TextKind.NOTE,
                                         f"指標 {indicator} 的自評說明").text.strip()
                problems = _too_long(explanation, EXPLANATION_MAX, f"指標 {indicator} 的自評說明")
                if problems:
                    raise InputError(problems)
            else:
                note = notes.get(indicator)
                explanation = "；".join(part for part in (
                    f"落後原因：{note.reason}" if note and note.reason else "",
                    f"改進措施：{note.action}" if note and note.action else "") if part)
            achievement = None
            if result.achievement is not None:
                percent = round_half_up(result.achievement * 100, 2)  # a denominator of 100: exact as a decimal
                achievement = canonical_decimal(Decimal(percent.numerator) / Decimal(percent.denominator))
            items.append(AssessmentItem(indicator, result.indicator.short_name, result.format_value(result.actual),
                                        achievement, self.cycle.light(result.achievement).value, explanation))
        return items

    def _write(self, actor: Actor, change: AssessmentChange, point: Checkpoint, subject: str,
               detail: str) -> StoredAssessment:
        """The transition, conditional on the state read before: of two at once the second is refused, recorded."""
        entry = AuditEntry(actor.label, AUDIT_WORDS[change.step], ALLOWED, subject,
                           f"{change.expected.value if change.expected else '尚未送出'} → {change.to_state.value}"
                           + (f"；{detail}" if detail else ""), change.unit, change.year)
        try:
            return self.store.transition_assessment(change, refuse=_Raced, audit=[entry])
        except _Raced:
            # Read again outside the rolled-back transaction: the winner's transition is committed by now.
            now = self.store.assessment(change.year, change.unit, change.checkpoint)
            self._refuse(actor, change.step, change.year, change.unit, subject,
                         self._wrong_state(change.step, change.year, change.unit, point, now))
        raise AssertionError("unreachable")  # pragma: no cover


class _Raced(KpiError):
    """The assessment moved between the service's read and its write (another reviewer, at the same moment)."""

    def __init__(self, current: StoredAssessment | None):
        super().__init__(current.state.value if current else "")
