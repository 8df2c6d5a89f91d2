"""The 填報進度 page's overview: what waits for the account, the checkpoint, every unit of units.toml with its
state (counts, a filter by state, sorting, a link that opens the unit), and the line 全府比較 shows about the
units without a plan or not started."""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlencode

import pandas as pd
import streamlit as st

from metrics.plans.cycle import Checkpoint
from metrics.intake.parsing import format_taiwan_time
from metrics.services.review import InboxItem, Review, UnitStatus
from metrics.store import State
from ui.cycle import PROGRESS_PAGE
from ui.data import Source, cached_on_source, figures_per_unit
from ui.layout import Context
from ui.links import period_params
from ui.widgets import escape_markdown

OVERVIEW = "dashboard.py"
TABLE_KEY = "progress_table"
TARGET = "progress_target"  # where a click on the table asked to go
CHECKPOINT_KEY = "progress_checkpoint"
UNIT_KEY = "review_unit"  # the unit the workflow below acts on
SORTS = {"單位（依單位目錄順序）": "order", "狀態（依流程先後）": "state", "逾期月份（多者在前）": "overdue"}
STATE_ORDER = {state: index for index, state in enumerate(State)}
STATE_HELP = {
    State.NO_PLAN: "該年度尚無此單位的計畫", State.NOT_STARTED: "檢核點的月份尚無任何數字",
    State.REPORTING: "已有部分數字，尚未送出自評", State.OVERDUE: "過了每月填報期限數字仍未齊全，或過了自評期限仍未送出",
    State.SUBMITTED: "等待研考初核", State.RETURNED: "等待單位修正後重新送出", State.PASSED: "等待複核",
    State.APPROVED: "已核定，涵蓋月份的數字已鎖定",
}


def roc_date(day: dt.date) -> str:
    return f"{day.year - 1911}/{day.month:02d}/{day.day:02d}"


def inbox(context: Context, review: Review) -> None:
    """我的待辦: each item a button that brings its unit and checkpoint into the workflow below."""
    if context.actor.account is None:
        st.caption("登入後，這裡會列出等待您辦理的事項（送出自評、初核、複核）。")
        return
    items = review.inbox(context.actor, context.source.official, context.settings)
    if not items:
        st.success("目前沒有等待您辦理的事項。", icon=":material/task_alt:")
        return
    overdue = sum(1 for item in items if item.overdue)
    st.markdown(f"**等待您辦理的事項：{len(items)} 件**" + (f"（其中 {overdue} 件已逾期）" if overdue else ""))
    for index, item in enumerate(items):
        st.button(escape_markdown(item.text), key=f"inbox_{index}", on_click=_open_item, args=(item,),
                  icon=":material/priority_high:" if item.overdue else ":material/arrow_forward:",
                  type="tertiary")


def _open_item(item: InboxItem) -> None:
    st.session_state[UNIT_KEY] = item.unit
    st.session_state[CHECKPOINT_KEY] = item.checkpoint.id
    if item.year != st.session_state.get("period_year_chosen"):
        st.session_state["period_year_chosen"] = item.year


def choose_checkpoint(context: Context, review: Review) -> Checkpoint:
    """The checkpoint shown; by default the first whose 自評 is not yet past its deadline (else the last)."""
    points = {point.id: point for point in review.cycle.checkpoints}
    today = review.today()
    upcoming = [point.id for point in review.cycle.checkpoints if point.due(context.year) >= today]
    if st.session_state.get(CHECKPOINT_KEY) not in points:
        st.session_state[CHECKPOINT_KEY] = upcoming[0] if upcoming else list(points)[-1]
    chosen = st.selectbox("檢核點", list(points), key=CHECKPOINT_KEY, format_func=lambda value: (
        f"{points[value].label(context.year)}（{points[value].months[0]}月至{points[value].last_month}月，"
        f"自評期限 {roc_date(points[value].due(context.year))}）"))
    return points[chosen]


def counts(rows: list[UnitStatus]) -> None:
    """How many units are in each state, every state shown (0 included)."""
    columns = st.columns(4)
    for index, state in enumerate(State):
        number = sum(1 for row in rows if row.state is state)
        columns[index % 4].metric(state.value, f"{number} 個單位", help=STATE_HELP[state], border=True)


def _who(row: UnitStatus) -> tuple[str, str]:
    stored = row.assessment
    if stored is None:
        return "", ""
    sent = f"{stored.submitted_by}，{format_taiwan_time(stored.submitted_at)}" if stored.submitted_at else ""
    approved = f"{stored.approved_by}，{format_taiwan_time(stored.approved_at)}" if stored.approved_at else ""
    return sent, approved


def link_of(row: UnitStatus) -> str | None:
    """The unit's overview as of the checkpoint's last month (a relative address: it works under any base path)."""
    if row.state is State.NO_PLAN:
        return None
    return "./?" + urlencode(period_params(row.year, row.unit, row.checkpoint.last_month))


def arranged(rows: list[UnitStatus], states: list[State], sort: str) -> list[UnitStatus]:
    """The rows of the states chosen (every state when none is), in the order asked for."""
    shown = [row for row in rows if not states or row.state in states]
    if sort == "state":
        return sorted(shown, key=lambda row: STATE_ORDER[row.state])  # stable: units.toml's order within a state
    if sort == "overdue":
        return sorted(shown, key=lambda row: -len(row.overdue_months))
    return shown


def frame_of(rows: list[UnitStatus]) -> pd.DataFrame:
    records = []
    for row in rows:
        sent, approved = _who(row)
        records.append({"單位": row.unit, "狀態": row.state.value, "自評期限": roc_date(row.deadline),
                        "逾期未齊全的月份": "、".join(f"{month}月" for month in row.overdue_months),
                        "送出自評": sent, "核定": approved, "開啟": link_of(row)})
    return pd.DataFrame(records, columns=["單位", "狀態", "自評期限", "逾期未齊全的月份", "送出自評", "核定", "開啟"])


def table(context: Context, rows: list[UnitStatus]) -> None:
    target = st.session_state.pop(TARGET, None)
    if target is not None:
        st.switch_page(OVERVIEW, query_params=target)
    left, right = st.columns([3, 2])
    states = left.multiselect("依狀態篩選（不選則全部）", list(State), key="progress_states",
                              format_func=lambda state: state.value, placeholder="全部狀態")
    sort = right.selectbox("排序", list(SORTS), key="progress_sort")
    shown = arranged(rows, states, SORTS[sort])
    st.caption(f"共 {len(shown)} 個單位" + (f"（全部 {len(rows)} 個）" if len(shown) != len(rows) else "")
               + "。勾選單位左側的方框，或點「開啟總覽」，開啟該單位截至檢核點最後一個月的總覽；未訂計畫的單位請洽計畫管理者建立計畫。")
    st.dataframe(frame_of(shown), hide_index=True, width="stretch", key=TABLE_KEY, selection_mode="single-row",
                 on_select=lambda: _clicked(shown), column_config={
                     "開啟": st.column_config.LinkColumn("開啟", display_text="開啟總覽"),
                     "逾期未齊全的月份": st.column_config.TextColumn(width="medium")},
                 height=min(35 * (len(shown) + 1) + 3, 720), placeholder="—")


def _clicked(rows: list[UnitStatus]) -> None:
    chosen = list(st.session_state[TABLE_KEY].selection.rows)
    if not chosen or not 0 <= chosen[0] < len(rows):
        return
    row = rows[chosen[0]]
    if row.state is State.NO_PLAN:
        st.session_state[UNIT_KEY] = row.unit  # the workflow below says it has no plan
        return
    st.session_state[TARGET] = period_params(row.year, row.unit, row.checkpoint.last_month)


@cached_on_source(max_entries=16)
def _unit_notes(source: Source, year: int) -> tuple[list[str], list[str]]:
    """The units of the year without a plan, and those with a plan but no figure (reading the whole frame: once
    per data version, not on every rerun)."""
    units = [unit.name for unit in source.catalogue.units.units if unit.since is None or unit.since <= year]
    without = [unit for unit in units if source.catalogue.find(year, unit) is None]
    reported = {unit for figures_year, unit in figures_per_unit(source) if figures_year == year}
    return without, [unit for unit in units if unit not in without and unit not in reported]


def county_note(context: Context) -> None:
    """For 全府比較, which lists only the units with a plan: who has no plan, who has not reported anything."""
    without, silent = _unit_notes(context.source, context.year)
    parts = []
    if without:
        parts.append(f"尚未訂定 {context.year} 年度計畫的單位（{len(without)} 個，未列入上表）：{escape_markdown('、'.join(without))}")
    if silent:
        parts.append(f"有計畫但尚未填報任何數字的單位：{escape_markdown('、'.join(silent))}")
    if parts:
        st.info("；".join(parts) + "。", icon=":material/group_off:")
    st.page_link(PROGRESS_PAGE, label="各單位填報與自評進度（含未訂計畫的單位）", icon=":material/checklist:",
                 query_params=period_params(context.year, context.unit, context.month))
