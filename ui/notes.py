"""The 落後原因 / 改進措施 form of one indicator in one month (stored with the month), and every earlier text
of it: replacing a note never loses what it said before. Text submitted after the login ended (idle) is kept as
a draft and offered again once the person has logged in."""

from __future__ import annotations

import streamlit as st

from metrics.plans.roles import Action
from metrics.errors import KpiError
from metrics.evaluation.core import BEHIND, IndicatorResult
from metrics.plans.formulas import NO_DATA
from metrics.outputs.notes import NOTE_LIMIT
from metrics.outputs.presentation import taiwan_time
from ui.auth import refusal
from ui.layout import Context, flash
from ui.widgets import escape_markdown


# The form is offered where a reason is asked for: behind, or without figures (which scores 0 like a miss). A met or
# on-track indicator is not asked for one; a note it already has is still shown, and can be edited or cleared.
ASKED = frozenset({BEHIND, NO_DATA})


def _shown(note) -> None:
    st.markdown(f"**落後原因**：{escape_markdown(note.reason) or '—'}  \n**改進措施**：{escape_markdown(note.action) or '—'}")
    st.caption(f"{taiwan_time(note.updated_at)}，{escape_markdown(note.author) or '—'}")


def note_form(context: Context, result: IndicatorResult) -> None:
    store = context.source.store
    indicator_id = result.indicator.id
    st.markdown(f"##### 落後原因與改進措施（{context.period}）")
    asked = result.status in ASKED
    if result.status == BEHIND:
        st.caption("本指標目前落後，請填寫落後原因與改進措施，報表匯出時會一併列出。")
    elif result.status == NO_DATA:
        st.caption("本指標本月無資料（計分以 0 計），可說明尚無數字的原因與改善方式，報表匯出時會一併列出。")
    try:
        note = store.notes(context.year, context.unit, context.month).get(indicator_id)
        history = store.note_history(context.year, context.unit, context.month, indicator_id)
    except KpiError as error:
        st.error(escape_markdown(error))
        return
    carried = previous_note(context, result) if note is None and not history else None  # a cleared note stays cleared
    suffix = f"{indicator_id}_{context.year}_{context.unit}_{context.month}"
    reason_key, action_key, draft_key = f"note_reason_{suffix}", f"note_action_{suffix}", f"note_draft_{suffix}"
    saved = (note.reason, note.action) if note else ("", "")
    decision = context.can(Action.WRITE_NOTE, context.unit)
    if not decision.allowed:
        typed = (st.session_state.get(reason_key), st.session_state.get(action_key))
        if typed[0] is not None and typed != saved:  # the form was sent after the login ended: keep the text
            st.session_state[draft_key] = typed
        draft = st.session_state.get(draft_key)
        if draft:
            st.warning("**尚未儲存**：登入已結束，您剛才輸入的說明已暫時保留，請在左側重新登入後按「儲存說明」。\n\n"
                       f"落後原因：{escape_markdown(draft[0]) or '（空白）'}  \n改進措施：{escape_markdown(draft[1]) or '（空白）'}",
                       icon=":material/edit_note:")
        elif note:
            _shown(note)
        else:
            st.caption("本月尚未填寫說明。" if asked else f"本指標本月{result.status_label}，不需填寫落後原因與改進措施。")
        if asked or note:
            refusal(decision)
        _history(history, note)
        return
    draft = st.session_state.get(draft_key)
    if not (asked or draft):
        if note is None:
            st.caption(f"本指標本月{result.status_label}，不需填寫落後原因與改進措施。")
        else:
            _shown(note)
        if note is None or not st.toggle("修改或清除這則說明", key=f"note_edit_{suffix}"):
            _history(history, note)
            return
    offered = draft or carried or saved
    with st.form(key=f"note_form_{suffix}"):
        if carried and not draft:
            st.info(f"**沿用上月內容，請確認後儲存**：以下是 {context.month - 1} 月的落後原因與改進措施，"
                    "本指標本月仍落後；按「儲存說明」後才會成為本月的說明。", icon=":material/content_copy:")
        too_long = [label for label, text in zip(("落後原因", "改進措施"), offered) if len(text) > NOTE_LIMIT]
        if too_long:  # saved before the limit existed: shown whole, to be shortened before it can be saved again
            st.warning(f"目前的{'與'.join(too_long)}超過 {NOTE_LIMIT:,} 字（報表中只列出前段並註明全文字數）；"
                       f"請精簡至 {NOTE_LIMIT:,} 字以內再儲存。", icon=":material/short_text:")
        reason = st.text_area("落後原因", value=offered[0], key=reason_key,
                              max_chars=max(NOTE_LIMIT, len(offered[0])))
        action = st.text_area("改進措施", value=offered[1], key=action_key,
                              max_chars=max(NOTE_LIMIT, len(offered[1])))
        st.caption(f"落後原因與改進措施各以 {NOTE_LIMIT:,} 字為限（約一頁 A4），詳細資料請另以附件或公文說明。"
                   f"填寫人：{escape_markdown(context.actor.label)}")
        submitted = st.form_submit_button("儲存說明")
    if draft and not submitted:
        st.info("表單中是登入結束前輸入、尚未儲存的說明；請確認後按「儲存說明」。", icon=":material/edit_note:")
    if note and (asked or draft):  # otherwise the note is shown above the form already
        st.caption(f"上次儲存：{taiwan_time(note.updated_at)}{'，' + escape_markdown(note.author) if note.author else ''}")
    if submitted:
        try:
            cleaned = context.services.save_note(context.actor, context.year, context.unit, context.month,
                                                 indicator_id, reason, action)
        except KpiError as error:
            st.error(escape_markdown(error))
        else:
            st.session_state.pop(draft_key, None)
            flash("success", ("已儲存說明。" if reason.strip() or action.strip() else
                              "已清除本月說明（先前的內容保留於修改紀錄）。") + escape_markdown(cleaned))
            st.rerun()
    _history(history, note)


def _history(history, note) -> None:
    if len(history) > 1 or (history and not note):
        with st.expander(f"說明的修改紀錄（{len(history):,} 次）"):
            for entry in history:
                st.markdown(f"**{taiwan_time(entry.updated_at)}｜{escape_markdown(entry.author) or '—'}**  \n"
                            f"落後原因：{escape_markdown(entry.reason) or '（空白）'}  \n"
                            f"改進措施：{escape_markdown(entry.action) or '（空白）'}")


def previous_note(context: Context, result: IndicatorResult) -> tuple[str, str] | None:
    """Last month's 落後原因 and 改進措施, offered as this month's draft while the indicator is still behind and
    this month has no note; None otherwise. Nothing is stored until the form is saved."""
    if result.status != "behind" or context.month <= 1:
        return None
    try:
        earlier = context.source.store.notes(context.year, context.unit, context.month - 1).get(result.indicator.id)
    except KpiError:
        return None  # only an offer: the form still works without it
    if earlier is None or not (earlier.reason.strip() or earlier.action.strip()):
        return None
    return earlier.reason, earlier.action
