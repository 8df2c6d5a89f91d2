"""Accounts, roles and the one place where permissions are decided.

Roles are data (plans/roles.toml): what each role may do, and whether it may do it only for the account's own
units. `allowed` is a small pure function of (account, action, unit); metrics.services calls it before every
write and records the decision, and the pages call it only to hide what an account may not do.
"""

from __future__ import annotations

import enum
import re
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from metrics.plans.catalogue import ROLES_FILE
from metrics.plans.toml_reading import decode_error
from metrics.errors import KpiError, PlanError

MINIMUM_PASSWORD_LENGTH = 10
# A bound on what is hashed: a pasted megabyte would otherwise be hashed on every login attempt.
MAXIMUM_PASSWORD_LENGTH = 256
USERNAME_MAX = 64
USERNAME = re.compile(rf"^[A-Za-z0-9_.@-]{{2,{USERNAME_MAX}}}$")
# Characters of a person's name as accounts show it: a name with a title fits; the name labels every audit row
# the account writes, so a longer one (kept from before the limit) is shortened there with 「…」.
DISPLAY_NAME_MAX = 50


class Action(enum.Enum):
    VIEW = "view"
    VIEW_AUDIT = "view_audit"
    UPLOAD = "upload"
    UNDO = "undo"
    WRITE_NOTE = "write_note"
    SAVE_SCENARIO = "save_scenario"
    DELETE_SCENARIO = "delete_scenario"
    EDIT_PLAN = "edit_plan"
    MANAGE_ACCOUNTS = "manage_accounts"
    MANAGE_SETTINGS = "manage_settings"
    SUBMIT_ASSESSMENT = "submit_assessment"
    REVIEW_ASSESSMENT = "review_assessment"
    APPROVE_ASSESSMENT = "approve_assessment"
    REOPEN_ASSESSMENT = "reopen_assessment"

    @property
    def label(self) -> str:
        return ACTION_LABELS[self]

    def phrase(self, unit: str | None = None) -> str:
        """The action as a refusal names it: 上傳人事處資料, or 上傳數字 when no unit is concerned."""
        template = UNIT_PHRASES.get(self)
        return template.format(unit=unit) if unit and template else self.label


ACTION_LABELS = {
    Action.VIEW: "檢視", Action.VIEW_AUDIT: "查看操作紀錄", Action.UPLOAD: "上傳數字", Action.UNDO: "復原上傳",
    Action.WRITE_NOTE: "填寫落後原因與改進措施", Action.SAVE_SCENARIO: "儲存情境", Action.DELETE_SCENARIO: "刪除情境",
    Action.EDIT_PLAN: "編修計畫", Action.MANAGE_ACCOUNTS: "管理帳號", Action.MANAGE_SETTINGS: "變更系統設定",
    Action.SUBMIT_ASSESSMENT: "送出自評", Action.REVIEW_ASSESSMENT: "初核自評", Action.APPROVE_ASSESSMENT: "複核自評",
    Action.REOPEN_ASSESSMENT: "重新開放已核定的自評",
}

UNIT_PHRASES = {
    Action.UPLOAD: "上傳{unit}資料", Action.UNDO: "復原{unit}上傳資料", Action.WRITE_NOTE: "填寫{unit}落後原因與改進措施",
    Action.SAVE_SCENARIO: "儲存{unit}情境", Action.DELETE_SCENARIO: "刪除{unit}情境", Action.EDIT_PLAN: "編修{unit}計畫",
    Action.SUBMIT_ASSESSMENT: "送出{unit}自評", Action.REVIEW_ASSESSMENT: "初核{unit}自評",
    Action.APPROVE_ASSESSMENT: "複核{unit}自評", Action.REOPEN_ASSESSMENT: "重新開放{unit}已核定的自評",
}
# The actions that concern one unit's figures or plan: a role limited to its units may do them only for a unit named
# and among the account's; every other action of such a role (view, …) is not about a unit.
UNIT_ACTIONS = frozenset(UNIT_PHRASES)


class PermissionDenied(KpiError):
    """The acting account may not do this; the message says what and why, for the person reading it."""


@dataclass(frozen=True)
class Role:
    name: str
    label: str
    can: frozenset[Action]
    units_only: bool = False


@dataclass(frozen=True)
class Roles:
    roles: Mapping[str, Role]
    directory: Path | None = field(default=None, compare=False)  # the catalogue folder they were read from

    def get(self, name: str) -> Role | None:
        return self.roles.get(name)

    def labels(self, names: Iterable[str]) -> str:
        return "、".join(self.roles[name].label if name in self.roles else name for name in names)


@dataclass(frozen=True)
class Account:
    id: int
    username: str
    display_name: str
    roles: tuple[str, ...]
    units: tuple[str, ...] = ()
    email: str = ""
    active: bool = True
    has_password: bool = True

    @property
    def shown(self) -> str:
        """'王小明（wang）' as the history and the audit trail name an account."""
        if not self.display_name:
            return self.username
        name = self.display_name if len(self.display_name) <= DISPLAY_NAME_MAX else \
            self.display_name[:DISPLAY_NAME_MAX - 1] + "…"
        return f"{name}（{self.username}）"


@dataclass(frozen=True)
class Decision:
    allowed: bool
    reason: str = ""  # why not, in a sentence for the person: 「您沒有上傳人事處資料的權限」


@dataclass(frozen=True)
class Settings:
    """What an administrator may change; defaults as a fresh install has them."""

    view_needs_login: bool = False  # viewing is open on the intranet; every change needs a login
    idle_minutes: int = 30  # a login ends after this long without any activity


def allowed(account: Account | None, action: Action, roles: Roles, *, unit: str | None = None,
            settings: Settings = Settings()) -> Decision:
    """Whether `account` (None: nobody logged in) may do `action` (for `unit`, where the action concerns one)."""
    what = action.phrase(unit)
    if account is None:
        if action is Action.VIEW and not settings.view_needs_login:
            return Decision(True)
        return Decision(False, f"請先登入才能{what}")
    if not account.active:
        return Decision(False, f"帳號 {account.username} 已停用，不能{what}")
    scoped = False
    for name in account.roles:
        role = roles.get(name)
        if role is None or action not in role.can:
            continue
        if not role.units_only or action not in UNIT_ACTIONS or (unit is not None and unit in account.units):
            return Decision(True)
        scoped = True
    if scoped:
        units = "、".join(account.units) or "（尚未指派單位）"
        if unit is None:
            return Decision(False, f"{what}須指明單位，您只能處理負責的單位（{units}）")
        return Decision(False, f"您沒有{what}的權限（您負責的單位：{units}）")
    return Decision(False, f"您沒有{what}的權限（您的角色：{roles.labels(account.roles) or '無'}）")


def load_roles(directory: Path) -> Roles:
    """plans/roles.toml, checked: every action named must exist; PlanError names the file and role."""
    path = Path(directory) / ROLES_FILE
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise PlanError(f"{path}：找不到角色檔（{ROLES_FILE}）") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise PlanError(f"{path}：{decode_error(error, text)}") from None
    problems = []
    roles = {}
    known = {action.value: action for action in Action}
    for name, table in data.items():
        if not isinstance(table, dict):
            problems.append(f"{path}：「{name}」應寫成 [{name}] 表格")
            continue
        unknown = [item for item in table.get("can", []) if item not in known]
        if unknown:
            problems.append(f"{path}（[{name}] 的 can）：動作 {'、'.join(unknown)} 不存在（可用：{'、'.join(known)}）")
            continue
        roles[name] = Role(name, str(table.get("label", name)), frozenset(known[item] for item in table.get("can", [])),
                           bool(table.get("units_only", False)))
    if problems:
        raise PlanError("角色檔有誤：\n" + "\n".join(problems))
    return Roles(roles, Path(directory))


def password_problem(password: str, username: str = "") -> str | None:
    """What is wrong with a new password, or None."""
    if len(password) < MINIMUM_PASSWORD_LENGTH:
        return f"密碼至少要 {MINIMUM_PASSWORD_LENGTH} 個字元"
    if len(password) > MAXIMUM_PASSWORD_LENGTH:
        return f"密碼最多 {MAXIMUM_PASSWORD_LENGTH} 個字元（輸入的有 {len(password):,} 個）"
    if username and password.lower() == username.lower():
        return "密碼不可與帳號相同"
    return None


def username_problem(username: str) -> str | None:
    if not USERNAME.match(username):
        return "帳號只能用英文字母、數字與 _ . @ -，長度 2 至 64 個字元"
    return None
