"""情境模擬 state: the two editors (targets/weights, assumed additional figures) kept in session state
under our own keys, so edits survive switching pages, and named scenarios in the store."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

import pandas as pd
import streamlit as st
from pandas.io.formats.style import Styler

from metrics.plans.roles import Action
from metrics.errors import KpiError, Problem
from metrics.evaluation.core import Evaluation, evaluate
from metrics.evaluation.figures import Figures
from metrics.outputs.presentation import (apply_additions, additions_table, comparison_changes, comparison_table,
                                  read_additions_table, read_targets_table, report_heading, report_rows,
                                  scenario_from_payload, scenario_month, scenario_payload, targets_table)
from metrics.outputs.report import build_report
from metrics.store import Store
from metrics.plans.plan import Plan
from ui.auth import refusal_text
from ui.data import Source, cached_on_source
from ui.frozen import frozen
from ui.layout import Context, official_evaluation, period_figures
from ui.widgets import (INDICATOR_TABLE_HEIGHT, ask_confirmation, confirmation_buttons, escape_markdown,
                        pending_confirmation, settle_confirmation)

GENERATION = "whatif_generation"
TARGETS = "whatif_targets"
ADDITIONS = "whatif_additions"
PLAN_SHOWN = "whatif_plan"  # whose plan the editors hold: another year, unit or version starts them over
NAME = "whatif_name"  # the 情境名稱 box
NAME_KEPT = "whatif_name_kept"  # its text, kept while the box is not drawn (another page, a viewer's session)
MESSAGE = "whatif_message"  # what the last save, load or delete did, shown next to its button
CHANGED_ROW_STYLE = "background-color: #fff4cc"


def editor_key(name: str) -> str:
    """The editor widget's key; a new generation (reset, load) starts an editor with no pending edits."""
    return f"{name}_editor_{st.session_state.get(GENERATION, 0)}"


def _base(name: str, initial: Callable[[], pd.DataFrame]) -> pd.DataFrame:
    """What the editor starts from: the last edited table when the editor's own state is gone
    (first visit, or back from another page), otherwise the same base as on the previous run."""
    base_key = f"{name}_base"
    if editor_key(name) not in st.session_state or base_key not in st.session_state:
        st.session_state[base_key] = st.session_state[name] if name in st.session_state else initial()
    return st.session_state[base_key]


def _start_over(targets: pd.DataFrame, additions: pd.DataFrame) -> None:
    st.session_state[TARGETS] = targets
    st.session_state[ADDITIONS] = additions
    for name in (TARGETS, ADDITIONS):
        st.session_state.pop(f"{name}_base", None)
    st.session_state[GENERATION] = st.session_state.get(GENERATION, 0) + 1


def plan_identity(plan: Plan) -> tuple:
    return plan.year, plan.unit, plan.version.number if plan.version else plan.origin


def reset_to_plan(plan: Plan) -> None:
    _start_over(targets_table(plan), additions_table(plan))


def editors(plan: Plan) -> tuple[pd.DataFrame, pd.DataFrame]:
    shown = st.session_state.get(PLAN_SHOWN)
    if shown != plan_identity(plan):
        st.session_state[PLAN_SHOWN] = plan_identity(plan)
        if shown is not None:  # edits made for another plan mean nothing for this one
            reset_to_plan(plan)
    st.markdown("##### 目標值與權重（可修改「模擬目標值」與「模擬權重」）")
    # The editable columns come right after the pinned indicator, where a phone shows them without scrolling.
    targets = st.data_editor(
        _base(TARGETS, lambda: targets_table(plan)), key=editor_key(TARGETS), num_rows="fixed", hide_index=True,
        width="stretch", height=INDICATOR_TABLE_HEIGHT, disabled=["指標", "名稱", "計畫目標值", "單位", "計畫權重"],
        column_order=["指標", "名稱", "模擬目標值", "模擬權重", "計畫目標值", "計畫權重", "單位"],
        column_config={
            "指標": st.column_config.TextColumn("指標", width=40, pinned=True),
            "名稱": st.column_config.TextColumn("名稱", width=110, pinned=True),
            # No min_value or max_value: the grid would clamp what is typed (120 became 100) without a word;
            # read_targets_table warns about a number out of range, naming the indicator and the value.
            "模擬目標值": st.column_config.NumberColumn("模擬目標值", format="localized", width=100),
            "模擬權重": st.column_config.NumberColumn("模擬權重", format="localized", width=80),
        })
    st.markdown("##### 假設今年其餘月份再增加的數字（選填）")
    left, right = st.columns([3, 2])
    with left:
        additions = st.data_editor(
            _base(ADDITIONS, lambda: additions_table(plan)), key=editor_key(ADDITIONS), num_rows="dynamic",
            hide_index=True, width="stretch",
            column_config={
                "項目": st.column_config.SelectboxColumn("項目", options=[field.name for field in plan.fields],
                                                         required=True, width="medium"),
                "月份": st.column_config.NumberColumn("月份", required=True),  # checked by read_additions_table
                "數量": st.column_config.NumberColumn("數量", format="localized", required=True),
            })
    right.caption("例如「採購稽核案件數、12 月、5」表示假設 12 月再多 5 案。件數類為當月增加數；"
                  "人數、金額類（月底數）自該月起增加。加入後，模擬結果統計至最後一個假設的月份。")
    st.session_state[TARGETS] = targets
    st.session_state[ADDITIONS] = additions
    return targets, additions


@dataclass(frozen=True)
class Scenario:
    targets: dict[str, Decimal]
    weights: dict[str, Decimal]
    additions: list[tuple[str, int, Decimal]]
    figures: Figures
    evaluation: Evaluation
    problems: list[Problem]
    table: pd.DataFrame | Styler  # official and what-if side by side, changed rows tinted (shared: never modified)
    changed: list[bool]  # per row of the table: whether the scenario changed it

    @property
    def payload(self) -> dict[str, object]:
        return scenario_payload(self.targets, self.weights, self.additions)


@cached_on_source(max_entries=64)
def _evaluate_scenario(source: Source, year: int, unit: str, month: int, targets: tuple[tuple[str, Decimal], ...],
                       weights: tuple[tuple[str, Decimal], ...],
                       additions: tuple[tuple[str, int, Decimal], ...]) -> tuple[Figures, Evaluation]:
    """The scenario on a period's official figures; shared between sessions like the official evaluation, so
    never modified."""
    figures = apply_additions(period_figures(source, year, unit), additions)
    evaluation = evaluate(figures, scenario_month(month, additions), targets=dict(targets), weights=dict(weights))
    return figures, evaluation


@cached_on_source(max_entries=64)
def _comparison(source: Source, year: int, unit: str, month: int, targets: tuple[tuple[str, Decimal], ...],
                weights: tuple[tuple[str, Decimal], ...],
                additions: tuple[tuple[str, int, Decimal], ...]) -> tuple[pd.DataFrame | Styler, list[bool]]:
    """The comparison table of the scenario against the official evaluation, and its changed rows: once per scenario
    and month (a month change on this page otherwise wrote every cell again). Only a changed row is tinted: with
    none (as after a month change), no Styler, which costs the most of the table."""
    _, evaluation = _evaluate_scenario(source, year, unit, month, targets, weights, additions)
    official = official_evaluation(source, year, unit, month)
    table, changed = comparison_table(official, evaluation), comparison_changes(official, evaluation)
    if any(changed):
        return frozen(table.style.apply(lambda row: [CHANGED_ROW_STYLE if changed[row.name] else ""] * len(row),
                                        axis=1)), changed
    return frozen(table), changed


def compute(context: Context, targets_frame: pd.DataFrame, additions_frame: pd.DataFrame) -> Scenario:
    targets, weights, problems = read_targets_table(targets_frame, context.plan)
    additions, addition_problems = read_additions_table(additions_frame, context.plan)
    key = (context.source, context.year, context.unit, context.month, tuple(targets.items()), tuple(weights.items()),
           tuple(additions))
    figures, evaluation = _evaluate_scenario(*key)
    table, changed = _comparison(*key)
    return Scenario(targets, weights, additions, figures, evaluation, problems + addition_problems, table, changed)


def _say(place: str, kind: str, text: str) -> None:
    """A message for the next run, shown under the button at `place` (save, load) rather than at the page's top."""
    st.session_state[MESSAGE] = (place, kind, text)


def _said(place: str) -> None:
    message = st.session_state.get(MESSAGE)
    if message is not None and message[0] == place:
        del st.session_state[MESSAGE]
        getattr(st, message[1])(escape_markdown(message[2]))


def scenario_name() -> str:
    """The 情境名稱 typed or loaded, kept across reruns and pages ('' when none)."""
    return str(st.session_state.get(NAME, st.session_state.get(NAME_KEPT, ""))).strip()


def _keep_name() -> None:
    st.session_state[NAME_KEPT] = st.session_state.get(NAME, "")


def _set_name(name: str) -> None:
    st.session_state[NAME] = st.session_state[NAME_KEPT] = name


def comparison(context: Context, scenario: Scenario) -> None:
    """Official and what-if side by side, one short column per quantity; rows the scenario changed are tinted."""
    count = sum(scenario.changed)
    st.caption(f"「官方 → 模擬」表示情境改變的數字；有變動的 {count:,} 項指標以黃底標示。" if count
               else "情境尚未改變任何指標的目標、權重或結果。")
    st.dataframe(scenario.table, hide_index=True, width="stretch", height=INDICATOR_TABLE_HEIGHT, key="whatif_comparison",
                 column_config={"指標": st.column_config.TextColumn("指標", pinned=True)})


def _load(store: Store, plan: Plan, name: str) -> None:
    try:
        targets, weights, additions = scenario_from_payload(store.load_scenario(plan.year, plan.unit, name), plan)
    except KpiError as error:
        _say("load", "error", str(error))
        return
    _start_over(targets_table(plan, targets, weights), additions_table(plan, additions))
    _set_name(name)
    _say("load", "success", f"已載入情境「{name}」。")


@st.dialog("確認覆蓋情境", on_dismiss=settle_confirmation)
def confirm_overwrite(context: Context, name: str, payload: dict[str, object]) -> None:
    st.markdown(f"{context.plan.label}已有名為「**{escape_markdown(name)}**」的情境。要以目前的設定覆蓋它嗎？原本的設定將被取代"
                "（操作紀錄會記下覆蓋）。")
    confirmation_buttons("確認覆蓋", "whatif_overwrite_confirm", "whatif_overwrite_cancel",
                         lambda: _save(context, name, payload, overwrite=True))


@st.dialog("確認刪除情境", on_dismiss=settle_confirmation)
def confirm_delete(context: Context, name: str) -> None:
    st.markdown(f"確定要刪除{context.plan.label}的情境「**{escape_markdown(name)}**」嗎？刪除後無法復原（操作紀錄會記下刪除）。")

    def delete() -> None:
        context.services.delete_scenario(context.actor, context.plan.year, context.plan.unit, name)
        _say("load", "success", f"已刪除情境「{name}」。")

    confirmation_buttons("確認刪除", "whatif_delete_confirm", "whatif_delete_cancel", delete)


def _save(context: Context, name: str, payload: dict[str, object], *, overwrite: bool = False) -> None:
    try:
        context.services.save_scenario(context.actor, context.plan.year, context.plan.unit, name, payload,
                                       overwrite=overwrite)
    except KpiError as error:
        _say("save", "error", str(error))
        return
    _say("save", "success", f"已儲存情境「{name}」。")


def export_json(name: str, scenario: Scenario, context: Context) -> bytes:
    document = {"name": name, "year": context.year, "unit": context.unit, "scenario": scenario.payload,
                "evaluation": scenario.evaluation.to_json()}
    return json.dumps(document, ensure_ascii=False, indent=2).encode("utf-8")


def export_workbook(name: str, scenario: Scenario, context: Context) -> bytes:
    title, subtitle = report_heading(scenario.evaluation, label=f"情境模擬「{name or '未命名'}」（非官方數字）")
    return build_report(report_rows(scenario.evaluation), title=title, subtitle=subtitle)


def manager(context: Context, scenario: Scenario) -> None:
    store = context.source.store
    st.markdown("##### 情境存取與匯出")
    save, load, export = st.columns(3)
    try:
        names = store.scenarios(context.year, context.unit)  # read each run: another server may have saved one
    except KpiError as error:
        st.error(escape_markdown(error))
        names = []
    with save:
        may_save = context.can(Action.SAVE_SCENARIO, context.unit)
        if may_save.allowed:
            if NAME not in st.session_state:  # the box was not drawn on the last run: it starts from the kept text
                st.session_state[NAME] = st.session_state.get(NAME_KEPT, "")
            st.text_input("情境名稱", key=NAME, placeholder="例如：線上簽核目標 70%", on_change=_keep_name)
            if st.button("儲存情境", key="whatif_save"):
                name = scenario_name()
                if name in names:
                    ask_confirmation("overwrite_scenario", name)
                else:
                    _save(context, name, scenario.payload)
                    st.rerun()
            _said("save")
            if (name := pending_confirmation("overwrite_scenario")) is not None:
                confirm_overwrite(context, name, scenario.payload)
        else:
            st.caption(f"模擬不需登入，也不會改變正式數字。儲存情境：{refusal_text(may_save)}")
        st.button("回復計畫值", key="whatif_reset", on_click=reset_to_plan, args=(context.plan,))
    with load:
        if names:
            chosen = st.selectbox(f"已儲存的情境（{context.plan.label}）", names, key="whatif_saved")
            st.button("載入", key="whatif_load", on_click=_load, args=(store, context.plan, chosen))
            if context.can(Action.DELETE_SCENARIO, context.unit).allowed:
                st.button("刪除", key="whatif_delete", on_click=ask_confirmation, args=("delete_scenario", chosen))
            if (name := pending_confirmation("delete_scenario")) in names:
                confirm_delete(context, name)
        else:
            st.caption("尚無已儲存的情境。")
        _said("load")
    with export:
        # The files are made when a button is clicked, not on every edit: the workbook alone costs
        # more than the rest of the page's rerun. A click reruns nothing: a rerun would replace the other
        # button's file while a quick second click still asks for the old one.
        name = scenario_name() or "情境"
        st.download_button("下載情境（JSON）", data=lambda: export_json(name, scenario, context), key="whatif_json",
                           file_name=f"情境模擬_{name}.json", mime="application/json", on_click="ignore")
        st.download_button("下載情境報表（.xlsx）", data=lambda: export_workbook(name, scenario, context),
                           key="whatif_xlsx", file_name=f"情境模擬_{name}.xlsx", on_click="ignore",
                           mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
