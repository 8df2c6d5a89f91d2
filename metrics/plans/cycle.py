"""The county's performance cycle as data (plans/cycle.toml): checkpoints and their months, deadlines, the lights
by achievement, and which roles act at each step; with the states an assessment goes through.

    cycle = load_cycle(directory, roles)   # PlanError names the file, key and line of every mistake
    cycle.checkpoint("half").due(112)      # the date 上半年 自評 of 112 is due (Gregorian)
    cycle.light(Fraction(9, 10))           # Light.YELLOW with the default thresholds

Who may do a step is decided in one place, metrics.services.accounts.allowed, from roles.toml; the [steps] of the cycle
file must name exactly the roles that hold the step's action there, so that the two files cannot disagree.
"""

from __future__ import annotations

import datetime as dt
import enum
import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

from metrics.plans.roles import Action, Roles
from metrics.plans.catalogue import CYCLE_FILE
from metrics.plans.toml_reading import Document, Entry, entries, read_document, shown_path
from metrics.plans.toml_writing import toml_bool, toml_number, toml_string
from metrics.errors import KpiError, PlanError

ROC_OFFSET = 1911
CHECKPOINT_ID = re.compile(r"^[A-Za-z0-9_]{1,32}$")
DUE = re.compile(r"^\s*(\d{1,2})\s*/\s*(\d{1,2})\s*$")


# The [steps] keys of the cycle file → the action of roles.toml that lets a role do it.
STEP_ACTIONS: dict[str, Action] = {"submit": Action.SUBMIT_ASSESSMENT, "review": Action.REVIEW_ASSESSMENT,
                                   "approve": Action.APPROVE_ASSESSMENT, "reopen": Action.REOPEN_ASSESSMENT}
STEP_KEY_LABELS = {"submit": "送出自評", "review": "初核", "approve": "複核", "reopen": "重新開放"}


class Light(enum.Enum):
    GREEN = "綠"
    YELLOW = "黃"
    RED = "紅"
    WHITE = "白"


@dataclass(frozen=True)
class Checkpoint:
    id: str
    name: str
    months: tuple[int, ...]
    due_month: int
    due_day: int
    due_next_year: bool = False

    @property
    def last_month(self) -> int:
        return max(self.months)

    def due(self, year: int) -> dt.date:
        """The day the 自評 of ROC `year` is due, inclusive."""
        return dt.date(year + ROC_OFFSET + (1 if self.due_next_year else 0), self.due_month, self.due_day)

    def label(self, year: int) -> str:
        return f"{year} 年度{self.name}"


@dataclass(frozen=True)
class Cycle:
    checkpoints: tuple[Checkpoint, ...]
    monthly_due_day: int
    green: Decimal  # achievement in percent from which the light is green
    yellow: Decimal
    steps: Mapping[str, tuple[str, ...]]  # [steps] key → the roles that act
    source: str = ""

    def checkpoint(self, checkpoint_id: str) -> Checkpoint:
        for checkpoint in self.checkpoints:
            if checkpoint.id == checkpoint_id:
                return checkpoint
        known = "、".join(f"{item.id}（{item.name}）" for item in self.checkpoints)
        raise CycleError(f"檢核點「{checkpoint_id}」不存在；{self.source or CYCLE_FILE} 宣告的檢核點：{known}")

    def month_due(self, year: int, month: int) -> dt.date:
        """The day the figures of `month` of ROC `year` are due: monthly_due_day of the following month."""
        following = dt.date(year + ROC_OFFSET + month // 12, month % 12 + 1, 1)
        return following.replace(day=self.monthly_due_day)

    def light(self, achievement: Fraction | None) -> Light:
        if achievement is None:
            return Light.WHITE
        percent = achievement * 100
        if percent >= Fraction(self.green):
            return Light.GREEN
        if percent >= Fraction(self.yellow):
            return Light.YELLOW
        return Light.RED

    def step_roles(self, key: str, roles: Roles) -> str:
        """The roles that act at a step, as people read them: 複核."""
        return roles.labels(self.steps.get(key, ())) or "（未指定）"


class CycleError(KpiError):
    """A checkpoint or step the cycle does not have."""


def load_cycle(directory: Path, roles: Roles) -> Cycle:
    """cycle.toml of the catalogue `directory`, checked (against the roles for its [steps])."""
    problems: list[str] = []
    path = Path(directory) / CYCLE_FILE
    if not path.exists():
        raise PlanError(f"{shown_path(path)}：找不到此檔案（計畫目錄必須有 {CYCLE_FILE}，宣告考核檢核點與期限）")
    document = read_document(path, problems)
    cycle = _parse_cycle(document, roles) if document is not None and document.parsed else None
    if problems or cycle is None:
        raise PlanError("考核週期檔有誤，請修正下列問題：\n" + "\n".join(f"- {problem}" for problem in problems),
                        issues=problems)
    return cycle


def parse_cycle(text: str, roles: Roles, shown: str = "考核週期") -> Cycle:
    """A cycle document given as text (a stored version, or one an administrator edits), checked as load_cycle
    checks the file: PlanError lists every mistake, each naming its table, entry and key."""
    problems: list[str] = []
    document = Document(text, shown, problems)
    cycle = _parse_cycle(document, roles) if document.parsed else None
    if problems or cycle is None:
        raise PlanError("考核週期有誤，請修正下列問題：\n" + "\n".join(f"- {problem}" for problem in problems),
                        issues=problems)
    return cycle


@dataclass(frozen=True)
class CheckpointForm:
    """One checkpoint as a form or table holds it: texts and a flag, checked only when the document is parsed."""

    id: str
    name: str
    months: str  # "1-6", "1, 2, 3" or "1–3, 7"
    due: str  # "07/20"
    due_next_year: bool = False


def months_text(months: tuple[int, ...]) -> str:
    """Months as a form shows them: 1-6 for a run, else 1, 3, 5."""
    if months and months == tuple(range(min(months), max(months) + 1)) and len(months) > 1:
        return f"{min(months)}-{max(months)}"
    return ", ".join(str(month) for month in months)


def _months_value(text: str) -> str:
    """The months of a form as a TOML value: a list when every part reads as a month or a run of them, else the
    text itself (quoted), so that the check names the field and what was typed."""
    months: list[int] = []
    for part in re.split(r"[,，、\s]+", str(text).strip()):
        if not part:
            continue
        run = re.fullmatch(r"(\d{1,2})\s*[-–~～至]\s*(\d{1,2})", part)
        if run and int(run.group(1)) <= int(run.group(2)):
            months += range(int(run.group(1)), int(run.group(2)) + 1)
        elif part.isdigit() and len(part) <= 2:
            months.append(int(part))
        else:
            return toml_string(str(text))
    return f"[{', '.join(str(month) for month in months)}]"


def form_document(due_day: int, checkpoints: list[CheckpointForm], green: Decimal | int | str,
                  yellow: Decimal | int | str, steps: Mapping[str, list[str]]) -> str:
    """The TOML document of a cycle as a page's form holds it, for parse_cycle to check like the file."""
    lines = ["# 績效考核週期（由系統內編修產生；各設定的說明見 plans/cycle.toml）", "", "[monthly]",
             f"due_day = {int(due_day)}", ""]
    for point in checkpoints:
        lines += ["[[checkpoint]]", f"id = {toml_string(point.id.strip())}", f"name = {toml_string(point.name.strip())}",
                  f"months = {_months_value(point.months)}", f"due = {toml_string(point.due.strip())}"]
        if point.due_next_year:
            lines.append(f"due_next_year = {toml_bool(True)}")
        lines.append("")
    lines += ["[lights]", f"green = {toml_number(Decimal(green))}", f"yellow = {toml_number(Decimal(yellow))}", "",
              "[steps]"]
    lines += [f"{key} = [{', '.join(toml_string(name) for name in steps.get(key, []))}]" for key in STEP_ACTIONS]
    return "\n".join(lines) + "\n"


def checkpoint_form(point: Checkpoint) -> CheckpointForm:
    return CheckpointForm(point.id, point.name, months_text(point.months), f"{point.due_month:02d}/{point.due_day:02d}",
                          point.due_next_year)


def cycle_document(cycle: Cycle) -> str:
    """The cycle as a TOML document that parse_cycle reads back to an equal cycle."""
    return form_document(cycle.monthly_due_day, [checkpoint_form(point) for point in cycle.checkpoints], cycle.green,
                         cycle.yellow, {key: list(names) for key, names in cycle.steps.items()})


def _point_text(point: Checkpoint) -> str:
    months = f"{min(point.months)}–{max(point.months)} 月" if point.months == tuple(
        range(min(point.months), max(point.months) + 1)) else "、".join(str(month) for month in point.months) + " 月"
    return (f"{point.name}，{months}，期限{'次年' if point.due_next_year else ''} "
            f"{point.due_month:02d}/{point.due_day:02d}")


def cycle_changes(old: Cycle | None, new: Cycle) -> list[str]:
    """What `new` changes against `old`, one sentence each (old → new), in the order of the file."""
    if old is None:
        return []
    changes: list[str] = []
    if old.monthly_due_day != new.monthly_due_day:
        changes.append(f"每月填報期限：次月 {old.monthly_due_day} 日 → 次月 {new.monthly_due_day} 日")
    before = {point.id: point for point in old.checkpoints}
    after = {point.id: point for point in new.checkpoints}
    for point in new.checkpoints:
        if point.id not in before:
            changes.append(f"新增檢核點 {point.id}：{_point_text(point)}")
        elif before[point.id] != point:
            changes.append(f"檢核點 {point.id}：{_point_text(before[point.id])} → {_point_text(point)}")
    changes += [f"刪除檢核點 {point.id}（{point.name}）" for point in old.checkpoints if point.id not in after]
    for label, was, now in (("綠燈門檻", old.green, new.green), ("黃燈門檻", old.yellow, new.yellow)):
        if was != now:
            changes.append(f"{label}：{toml_number(was)}% → {toml_number(now)}%")
    for key in STEP_ACTIONS:
        if tuple(old.steps.get(key, ())) != tuple(new.steps.get(key, ())):
            changes.append(f"{STEP_KEY_LABELS[key]}的角色：{'、'.join(old.steps.get(key, ())) or '—'} → "
                           f"{'、'.join(new.steps.get(key, ())) or '—'}")
    return changes


def _parse_cycle(document: Document, roles: Roles, check_roles: bool = True) -> Cycle:
    for key in document.data:
        if key not in ("monthly", "checkpoint", "lights", "steps"):
            document.problem(f"未知的設定「{key}」（可用：monthly、checkpoint、lights、steps）", key=key)
    monthly = _table(document, "monthly")
    monthly_entry = Entry(document, "monthly", None, monthly, "每月填報期限", ("due_day",))
    due_day = monthly_entry.integer("due_day", 10)
    if due_day is not None and not 1 <= due_day <= 28:
        monthly_entry.problem(f"應為 1 至 28 的整數（每個月都有的日子），卻是 {due_day}", "due_day")
    checkpoints = _parse_checkpoints(document)
    lights = _table(document, "lights")
    lights_entry = Entry(document, "lights", None, lights, "燈號門檻", ("green", "yellow"))
    green, yellow = lights_entry.number("green"), lights_entry.number("yellow")
    if green is not None and yellow is not None and yellow > green:
        lights_entry.problem(f"黃燈門檻 {yellow} 不可高於綠燈門檻 {green}", "yellow")
    steps = _parse_steps(document, roles, check_roles)
    return Cycle(tuple(checkpoints), due_day or 10, green or Decimal(100), yellow or Decimal(80), steps,
                 document.shown)


def _table(document: Document, name: str) -> Mapping:
    value = document.data.get(name, {})
    if not isinstance(value, dict):
        document.problem(f"「{name}」應寫成 [{name}] 表格", key=name)
        return {}
    return value


def _parse_checkpoints(document: Document) -> list[Checkpoint]:
    checkpoints: list[Checkpoint] = []
    raw = entries(document, "checkpoint")
    if not raw and not document.failed:
        document.problem("至少要宣告一個 [[checkpoint]]（例如上半年、年終）", key="checkpoint")
    for index, data in enumerate(raw):
        entry = Entry(document, "checkpoint", index, data, f"第 {index + 1} 個 checkpoint「{data.get('id', '')}」",
                       ("id", "name", "months", "due", "due_next_year"))
        checkpoint_id, name = entry.text("id"), entry.text("name")
        if checkpoint_id and not CHECKPOINT_ID.match(checkpoint_id):
            entry.problem(f"代碼「{checkpoint_id}」只能用英文字母、數字與底線（至多 32 字元）", "id")
        if checkpoint_id in {item.id for item in checkpoints}:
            entry.problem(f"代碼「{checkpoint_id}」重複；每個檢核點的代碼必須不同", "id")
        months = data.get("months")
        if not isinstance(months, list) or not months or not all(
                isinstance(month, int) and not isinstance(month, bool) and 1 <= month <= 12 for month in months):
            entry.problem(f"應為 1 至 12 的月份清單，例如 [1, 2, 3, 4, 5, 6]，卻是 {months!r}", "months")
            months = []
        elif len(set(months)) != len(months):
            entry.problem(f"月份重複：{months}", "months")
        due = entry.text("due")
        match = DUE.match(due) if due else None
        due_month = due_day = 0
        if due and match is None:
            entry.problem(f"應為「月/日」，例如 \"07/20\"，卻是「{due}」", "due")
        elif match is not None:
            due_month, due_day = int(match.group(1)), int(match.group(2))
            try:
                dt.date(2001, due_month, due_day)  # a year without 29 February: the date exists every year
            except ValueError:
                entry.problem(f"「{due}」不是每年都有的日期", "due")
        next_year = entry.flag("due_next_year", False)
        if months and due_month and not next_year and due_month <= max(months):
            entry.problem(f"期限 {due} 不晚於涵蓋的最後一個月（{max(months)} 月）；期限在次一年度時請加上 "
                          "due_next_year = true", "due")
        if not entry.failed:
            checkpoints.append(Checkpoint(checkpoint_id, name, tuple(sorted(months)), due_month, due_day, next_year))
    return checkpoints


def step_holders(key: str, roles: Roles) -> tuple[str, ...]:
    """The roles of roles.toml that hold the action of a [steps] key: the only list the step may name."""
    return tuple(role.name for role in roles.roles.values() if STEP_ACTIONS[key] in role.can)


def step_problems(key: str, names: tuple[str, ...], roles: Roles) -> list[str]:
    """Why a step's roles disagree with roles.toml (empty when they agree), one sentence each."""
    action = STEP_ACTIONS[key]
    problems: list[str] = []
    for name in names:
        role = roles.get(name)
        if role is None:
            problems.append(f"角色「{name}」不在 roles.toml 中（現有：{'、'.join(roles.roles)}）")
        elif action not in role.can:
            problems.append(f"角色「{name}」（{role.label}）在 roles.toml 沒有 {action.value} 權限；"
                            f"請在其 can 加上 \"{action.value}\"，或自此刪除")
    holders = [name for name in step_holders(key, roles) if name not in names]
    if holders:
        problems.append(f"roles.toml 中具有 {action.value} 權限的角色 {'、'.join(holders)} 未列在此；兩處須一致")
    return problems


def mismatched_steps(cycle: Cycle, roles: Roles) -> dict[str, list[str]]:
    """[steps] key → why its roles no longer agree with roles.toml, for the steps that do not (a cycle stored before
    roles.toml changed)."""
    found = {key: step_problems(key, tuple(cycle.steps.get(key, ())), roles) for key in STEP_ACTIONS}
    return {key: problems for key, problems in found.items() if problems}


def read_stored_cycle(text: str, roles: Roles, shown: str) -> tuple[Cycle, dict[str, list[str]]]:
    """A stored version of the cycle, and the steps whose roles disagree with roles.toml as it is now (empty when the
    version is usable). A version was checked when it was saved, so only roles.toml changing since can make its
    steps disagree; the cycle is then still read, for an administrator to fix the steps. Any other mistake raises
    PlanError as parse_cycle does."""
    problems: list[str] = []
    document = Document(text, shown, problems)
    cycle = _parse_cycle(document, roles, check_roles=False) if document.parsed else None
    if problems or cycle is None:
        raise PlanError("考核週期有誤，請修正下列問題：\n" + "\n".join(f"- {problem}" for problem in problems),
                        issues=problems)
    return cycle, mismatched_steps(cycle, roles)


def _parse_steps(document: Document, roles: Roles, check_roles: bool = True) -> dict[str, tuple[str, ...]]:
    table = _table(document, "steps")
    entry = Entry(document, "steps", None, table, "各步驟辦理的角色", tuple(STEP_ACTIONS))
    steps: dict[str, tuple[str, ...]] = {}
    for key in STEP_ACTIONS:
        names = table.get(key)
        if not isinstance(names, list) or not names or not all(isinstance(name, str) for name in names):
            entry.problem(f"應為角色名稱的清單，例如 [\"reporter\"]（{STEP_KEY_LABELS[key]}由哪些角色辦理），"
                          f"卻是 {names!r}", key)
            continue
        for problem in step_problems(key, tuple(names), roles) if check_roles else ():
            entry.problem(problem, key)
        steps[key] = tuple(names)
    return steps
