"""Accounts and the one place where permissions are decided.

Roles are data (plans/roles.toml, read by metrics.plans.roles): what each role may do, and whether it may do it only
for the account's own units. `allowed` is a small pure function of (account, action, unit); metrics.services calls it
before every write and records the decision, and the pages call it only to hide what an account may not do.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from metrics.plans.roles import UNIT_ACTIONS, Action, Roles
from metrics.errors import KpiError

MINIMUM_PASSWORD_LENGTH = 10
# A bound on what is hashed: a pasted megabyte would otherwise be hashed on every login attempt.
MAXIMUM_PASSWORD_LENGTH = 256
USERNAME_MAX = 64
USERNAME = re.compile(rf"^[A-Za-z0-9_.@-]{{2,{USERNAME_MAX}}}$")
# Characters of a person's name as accounts show it: a name with a title fits; the name labels every audit row
# the account writes, so a longer one (kept from before the limit) is shortened there with 「…」.
DISPLAY_NAME_MAX = 50


class PermissionDenied(KpiError):
    """The acting account may not do this; the message says what and why, for the person reading it."""


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
