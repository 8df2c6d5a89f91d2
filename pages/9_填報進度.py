"""填報進度: every unit of units.toml at a checkpoint of the year with its state (counts, filter, sort, a link to
the unit), what waits for the account, and the 自評 → 初核 → 複核 → 核定 steps of one unit; the reminders."""

import streamlit as st

from metrics.errors import KpiError, PlanError
from ui import cycle_editor, progress, review as steps
from ui.cycle import review_of
from ui.layout import reading, start_page
from ui.widgets import escape_markdown

context = start_page("填報進度", about_data=False)
try:
    review = review_of(context.services)
except PlanError as error:
    st.error(f"考核週期有誤或不存在，考核流程暫停使用：\n\n"
             f"{escape_markdown(error)}")
    try:
        cycle_editor.cycle_settings(context, review_of(context.services, repair=True), key="progress_cycle")
    except KpiError:
        pass  # not a stored version to repair (cycle.toml missing or wrong): the error above says what to fix
    st.stop()
st.markdown("##### 我的待辦")
with reading():
    progress.inbox(context, review)
point = progress.choose_checkpoint(context, review)
try:
    with reading():
        rows = review.status(context.year, point.id)
except KpiError as error:
    st.error(escape_markdown(error))
    st.stop()
st.markdown(f"##### {point.label(context.year)}：各單位狀態（{len(rows)} 個單位）")
progress.counts(rows)
progress.table(context, rows)
steps.remind_section(context, review, point)
st.markdown("##### 自評與審核")
with reading():
    steps.workflow(context, review, point, rows)
cycle_editor.cycle_settings(context, review, key="progress_cycle")
