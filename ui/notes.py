"""The 落後原因 / 改進措施 form of one indicator in one month (stored with the month)."""

from __future__ import annotations

import streamlit as st

from metrics.errors import KpiError
from metrics.evaluation import IndicatorResult
from metrics.presentation import taiwan_time
from ui.layout import Context


def note_form(context: Context, result: IndicatorResult) -> None:
    store = context.source.store
    indicator_id = result.indicator.id
    st.markdown(f"##### 落後原因與改進措施（{context.period}）")
    if result.status == "behind":
        st.caption("本指標目前落後，請填寫落後原因與改進措施，報表匯出時會一併列出。")
    try:
        note = store.notes(context.year, context.unit, context.month).get(indicator_id)
    except KpiError as error:
        st.error(str(error))
        return
    suffix = f"{indicator_id}_{context.year}_{context.unit}_{context.month}"
    with st.form(key=f"note_form_{suffix}"):
        reason = st.text_area("落後原因", value=note.reason if note else "", key=f"note_reason_{suffix}")
        action = st.text_area("改進措施", value=note.action if note else "", key=f"note_action_{suffix}")
        author = st.text_input("填寫人（選填）", value=note.author if note else "", key=f"note_author_{suffix}")
        submitted = st.form_submit_button("儲存說明")
    if note:
        st.caption(f"上次儲存：{taiwan_time(note.updated_at)}{'，' + note.author if note.author else ''}")
    if submitted:
        try:
            store.save_note(context.year, context.unit, context.month, indicator_id, reason, action, author)
        except KpiError as error:
            st.error(str(error))
        else:
            st.success("已儲存說明。" if reason.strip() or action.strip() else "已清除本月說明。")
