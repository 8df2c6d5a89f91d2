"""The roles of the accounts as data (plans/roles.toml): the actions there are, what each role may do, and whether it
may do it only for the account's own units. Read and checked here; who may do what is decided from them in one
place, metrics.services.accounts.allowed.

    roles = load_roles(directory)   # PlanError names the file and role of every mistake
    roles.get("uploader").can       # frozenset of Action
"""

from __future__ import annotations

import enum
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from metrics.plans.catalogue import ROLES_FILE
from metrics.plans.toml_reading import decode_error
from metrics.errors import PlanError


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
