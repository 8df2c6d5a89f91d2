"""The performance cycle's settings for an administrator (填報進度 and 帳號管理 → 系統設定): the version in force, its
earlier versions, a download of it as cycle.toml, and a form whose document the services check with the file's rules
and store as the next version."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from metrics.plans.roles import Action
from metrics.plans.cycle import STEP_KEY_LABELS, CheckpointForm, checkpoint_form, form_document, step_holders
from metrics.errors import KpiError
from metrics.intake.parsing import format_taiwan_time
from metrics.services.review import Review
from ui.layout import Context, flash
from ui.widgets import escape_markdown

COLUMNS = {"id": "代碼", "name": "名稱", "months": "涵蓋月份", "due": "自評期限（月/日）", "due_next_year": "期限在次年"}


def _problems(error: KpiError) -> str:
    issues = getattr(error, "issues", None) or [str(problem) for problem in getattr(error, "problems", [])]
    if len(issues) > 1:
        return "考核週期未儲存：\n" + "\n".join(f"- {escape_markdown(issue)}" for issue in issues)
    return escape_markdown(error)


def cycle_settings(context: Context, review: Review, *, key: str = "cycle") -> None:
    """Shown to whoever may change settings; the form's save is checked again by Review.save_cycle."""
    if not context.can(Action.MANAGE_SETTINGS).allowed:
        return
    st.markdown("##### 考核週期（檢核點、期限、燈號門檻、各步驟角色）")
    try:
        versions = review.cycle_versions()
    except KpiError as error:
        st.error(escape_markdown(error))
        return
    if versions:
        current = versions[-1]
        st.caption(f"目前為第 {current.number} 版（{format_taiwan_time(current.created_at)}，"
                   f"{escape_markdown(current.author)}）。已送出的自評保留送出時的檢核點與月份，修改不影響已核定的鎖定。")
        st.download_button("下載目前的考核週期（cycle.toml）", current.document.encode("utf-8"), file_name="cycle.toml",
                           mime="application/toml", key=f"{key}_download", icon=":material/download:")
        with st.expander(f"歷次版本（{len(versions)}）"):
            st.dataframe(pd.DataFrame([{"版本": version.number, "時間": format_taiwan_time(version.created_at),
                                        "修改人": version.author, "說明": version.note,
                                        "修改內容": "；".join(version.changes)} for version in reversed(versions)]),
                         hide_index=True, width="stretch")
    cycle = review.cycle
    roles = list(context.services.roles.roles)
    defaults = {step: list(cycle.steps.get(step, ())) for step in STEP_KEY_LABELS}
    if review.mismatched_steps:
        defaults |= _mismatched(context, review)
    with st.form(f"{key}_form"):
        left, middle, right = st.columns(3)
        due_day = left.number_input("每月數字於次月幾日前填報", min_value=1, max_value=28, value=cycle.monthly_due_day,
                                    key=f"{key}_due_day")
        green = middle.number_input("綠燈門檻（達成度 %，≥）", min_value=0.0, value=float(cycle.green),
                                    key=f"{key}_green")
        yellow = right.number_input("黃燈門檻（達成度 %，≥）", min_value=0.0, value=float(cycle.yellow),
                                    key=f"{key}_yellow")
        table = pd.DataFrame([vars(checkpoint_form(point)) for point in cycle.checkpoints]).rename(columns=COLUMNS)
        edited = st.data_editor(table, num_rows="dynamic", hide_index=True, key=f"{key}_checkpoints", width="stretch",
                                column_config={COLUMNS["months"]: st.column_config.TextColumn(help="例如 1-6 或 1, 2, 3"),
                                               COLUMNS["due_next_year"]: st.column_config.CheckboxColumn()})
        columns = st.columns(len(STEP_KEY_LABELS))
        steps = {step: column.multiselect(f"{label}的角色", roles, default=defaults[step], key=f"{key}_step_{step}")
                 for column, (step, label) in zip(columns, STEP_KEY_LABELS.items())}
        note = st.text_input("修改說明", key=f"{key}_note", max_chars=200)
        submitted = st.form_submit_button("儲存為新版本")
    if not submitted:
        return
    points = [CheckpointForm(*("" if pd.isna(row[column]) else str(row[column]) for column in list(COLUMNS.values())[:4]),
                             bool(row[COLUMNS["due_next_year"]]) if not pd.isna(row[COLUMNS["due_next_year"]]) else False)
              for _, row in edited.iterrows()]
    document = form_document(int(due_day), points, _number(green), _number(yellow), steps)
    try:
        stored = review.save_cycle(context.actor, document, note=note)
    except KpiError as error:
        st.error(_problems(error))
    else:
        flash("success", f"已儲存考核週期第 {stored.number} 版：{escape_markdown('；'.join(stored.changes))}")
        st.rerun()


def _mismatched(context: Context, review: Review) -> dict[str, list[str]]:
    """Says which steps of the cycle in force disagree with roles.toml (changed since the version was saved) and
    returns, for those steps, the roles that hold the step's permission now: the form offers them, to be checked and
    saved as the next version."""
    roles = context.services.roles
    lines, proposals = [], {}
    for step, problems in review.mismatched_steps.items():
        holders = list(step_holders(step, roles))
        proposals[step] = holders
        offered = (f"表單已預填 roles.toml 中具此權限的角色：{roles.labels(holders)}" if holders else
                   "roles.toml 中沒有任何角色具此權限，須先修改 roles.toml")
        lines.append(f"- **{STEP_KEY_LABELS[step]}**（{step}）：{escape_markdown('；'.join(problems))}。"
                     f"{escape_markdown(offered)}")
    st.warning("角色設定（roles.toml）已變更，目前的考核週期有下列步驟與角色不一致，考核流程暫停使用；請確認下方表單"
               "各步驟的角色後按「儲存為新版本」：\n" + "\n".join(lines), icon=":material/warning:")
    return proposals


def _number(value: float) -> str:
    """A threshold as typed (80.0 → 80), for the document."""
    return f"{value:g}"
