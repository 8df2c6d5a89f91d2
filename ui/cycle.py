"""The performance cycle for every page: the Review over the page's services, the count of what waits for the
account (shown in the sidebar next to 填報進度), and the notice a reporter gets when their unit has no plan.

Nothing here is cached per process: the cycle in force (its latest stored version) and the count are read from the
store on every run, so every server sharing the database shows the same.
"""

from __future__ import annotations

import streamlit as st

from metrics.services.accounts import Settings
from metrics.plans.roles import Action
from metrics.plans.catalogue import Catalogue, plans_directory
from metrics.errors import KpiError
from metrics.services import Actor, Services
from metrics.services.review import Review
from ui.data import plan_files
from ui.widgets import escape_markdown

PROGRESS_PAGE = "pages/9_填報進度.py"
LANDING_KEY = "landing_units"  # a reporter's units, set at login: the default unit of the sidebar


def review_of(services: Services, *, repair: bool = False) -> Review:
    """The cycle in force is the store's latest version (cycle.toml seeds it); raises PlanError when neither is
    usable (the page says so). With `repair`, a version whose steps disagree with roles.toml is still read, for the
    administrator's cycle settings (Review.mismatched_steps says which steps to fix)."""
    return Review.in_force(services, plans_directory(), plan_files(), repair=repair)


def waiting_count(services: Services, actor: Actor, official: Catalogue, settings: Settings) -> int | None:
    """How many items wait for the account (one read of the store); None without a login or a cycle file."""
    if actor.account is None:
        return None
    try:
        return len(review_of(services).inbox(actor, official, settings))
    except KpiError:
        return None  # no cycle.toml, or the store busy: the sidebar shows no count, the page says why


def own_units_without_plan(actor: Actor, services: Services, official: Catalogue, year: int,
                           settings: Settings) -> None:
    """A reporter whose unit has no plan for the year is told so, and whom to ask (rather than being shown
    another unit's pages without a word)."""
    account = actor.account
    if account is None or not account.units:
        return
    missing = [unit for unit in account.units if official.find(year, unit) is None
               and services.can(actor, Action.UPLOAD, unit, settings).allowed]
    if missing:
        st.warning(f"您負責的 {escape_markdown('、'.join(missing))} 尚無 {year} 年度計畫，因此無法選擇、上傳或送出自評；"
                   "請洽計畫管理者於「計畫管理」建立計畫（可以去年或其他單位的計畫為底稿）。",
                   icon=":material/event_busy:")
