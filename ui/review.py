"""The cycle's steps on the 填報進度 page, each through metrics.services.review.Review (which checks the account
and writes the audit): a reporter sends the unit's 自評, 研考 comments per indicator and returns or passes it,
the board approves or returns it, an approved 自評 is reopened with a reason. Returning, approving and reopening
are confirmed in a dialog. Also: the reminders (「寄送催報通知」), the mail settings form for 帳號管理, and the
reviewers' comments shown next to an indicator on 指標明細."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from metrics.plans.roles import Action
from metrics.plans.cycle import STEP_KEY_LABELS, Checkpoint
from metrics.plans.plan import plain_number
from metrics.errors import InputError, KpiError
from metrics.intake.parsing import format_taiwan_time
from metrics.services.reminders import PASSWORD_VARIABLE
from metrics.services.review import COMMENT_MAX, EXPLANATION_MAX, Review, UnitStatus
from metrics.store import AssessmentItem, State, StoredAssessment
from ui.cycle import review_of
from ui.layout import Context, flash
from ui.progress import UNIT_KEY, roc_date
from ui.widgets import ask_confirmation, confirmation_buttons, escape_markdown, pending_confirmation, settle_confirmation

DONE = {"return": "已退回修正", "pass": "已初核通過，送複核", "approve": "已核定；涵蓋月份的數字已鎖定",
        "reopen": "已重新開放；涵蓋月份的數字已解除鎖定，單位可修正後重新送出"}
# The state a 自評 is in → the [steps] key of cycle.toml that acts next.
NEXT_STEP = {None: "submit", State.RETURNED: "submit", State.SUBMITTED: "review", State.PASSED: "approve",
             State.APPROVED: "reopen"}
TITLES = {"return": "確認退回修正", "approve": "確認核定", "reopen": "確認重新開放"}


def problems_text(error: KpiError) -> str:
    if isinstance(error, InputError) and len(error.problems) > 1:
        return "\n".join(f"- {escape_markdown(problem)}" for problem in error.problems)
    return escape_markdown(error)


def workflow(context: Context, review: Review, point: Checkpoint, rows: list[UnitStatus]) -> None:
    """One unit's 自評 at the checkpoint: its state and history, its indicators, and the step the account may do."""
    names = [row.unit for row in rows]
    if not names:
        return
    if st.session_state.get(UNIT_KEY) not in names:
        own = [unit for unit in (context.actor.account.units if context.actor.account else ()) if unit in names]
        st.session_state[UNIT_KEY] = own[0] if own else context.unit if context.unit in names else names[0]
    states = {row.unit: row for row in rows}
    unit = st.selectbox("單位", names, key=UNIT_KEY,
                        format_func=lambda name: f"{name}（{states[name].state.value}）")
    row = states[unit]
    label = f"{unit} {point.label(context.year)}自評"
    st.markdown(f"**{escape_markdown(label)}**：目前狀態「{row.state.value}」，自評期限 {roc_date(row.deadline)}")
    if row.state is State.NO_PLAN:
        st.info(f"{escape_markdown(unit)} 尚無 {context.year} 年度計畫，無法填報或送出自評；請洽計畫管理者於「計畫管理」建立計畫。",
                icon=":material/event_busy:")
        return
    stored = row.assessment
    items = review.items_of(stored) if stored is not None else []
    if stored is not None:
        history(review, stored)
        since_reopening(review, stored)
        indicator_table(items)
    may = {action: context.can(action, unit).allowed for action in (
        Action.SUBMIT_ASSESSMENT, Action.REVIEW_ASSESSMENT, Action.APPROVE_ASSESSMENT, Action.REOPEN_ASSESSMENT)}
    acted = False
    if may[Action.SUBMIT_ASSESSMENT] and (stored is None or stored.state is State.RETURNED):
        submit_form(context, review, point, unit, items)
        acted = True
    if stored is not None and stored.state is State.SUBMITTED and may[Action.REVIEW_ASSESSMENT]:
        review_form(context, review, point, unit, items, stored, "review")
        acted = True
    if stored is not None and stored.state is State.PASSED and may[Action.APPROVE_ASSESSMENT]:
        review_form(context, review, point, unit, items, stored, "approve")
        acted = True
    if stored is not None and stored.state is State.APPROVED and may[Action.REOPEN_ASSESSMENT]:
        reopen_form(context, review, point, unit)
        acted = True
    if not acted:
        step = NEXT_STEP[stored.state if stored else None]
        roles = review.cycle.step_roles(step, context.services.roles)
        st.caption(f"下一步「{STEP_KEY_LABELS[step]}」由「{roles}」辦理" + ("（負責此單位者）" if step == "submit" else "")
                   + ("；您目前沒有此權限。" if context.actor.account is not None else "；請先登入。"))


def history(review: Review, stored: StoredAssessment) -> None:
    transitions = review.history_of(stored)
    with st.expander(f"流程紀錄（{len(transitions)} 筆）", icon=":material/history:"):
        for item in transitions:
            st.markdown(f"- {format_taiwan_time(item.at)}｜{escape_markdown(item.account)}｜{item.step.label}"
                        f"（{item.from_state.value if item.from_state else '尚未送出'} → {item.to_state.value}）"
                        + (f"：{escape_markdown(item.comment)}" if item.comment else ""))


def since_reopening(review: Review, stored: StoredAssessment) -> None:
    """For a reopened 自評: which figures and notes differ from what they were at the reopening (until it was approved
    again), each with its value before and after, and the changes of the audit trail with who made them."""
    reopened = review.since_reopening(stored)
    if reopened is None:
        return
    when = format_taiwan_time(reopened.reopening.at)
    until = f"至 {format_taiwan_time(reopened.approval.at)} 再次核定" if reopened.approval else "至今"
    counted = f"數字 {len(reopened.figures)} 筆、說明 {len(reopened.notes)} 筆"
    title = f"重新開放後的修改（{when} {until}，{counted}）"
    changed = bool(reopened.figures or reopened.notes or reopened.changes)
    with st.expander(title, icon=":material/difference:", expanded=reopened.approval is None and changed):
        if not changed:
            st.caption("重新開放後沒有上傳、復原、說明或計畫的修改。")
        if reopened.figures:
            st.markdown("**數字**（重新開放時 → " + ("再次核定時" if reopened.approval else "目前") + "）")
            st.dataframe(pd.DataFrame([{
                "月份": f"{item.month}月", "指標": "、".join(item.indicators) or "（計畫未使用）",
                "填報項目": item.field_name, "修改前": plain_number(item.before) if item.before is not None else "未填報",
                "修改後": plain_number(item.after) if item.after is not None else "未填報（已復原）"}
                for item in reopened.figures]), hide_index=True, width="stretch", key=f"reopened_figures_{stored.id}")
        if reopened.notes:
            st.markdown("**落後原因與改進措施**")
            st.dataframe(pd.DataFrame([{
                "月份": f"{item.month}月", "指標": item.indicator,
                "修改前": _note_text(item.before), "修改後": _note_text(item.after)} for item in reopened.notes]),
                hide_index=True, width="stretch", key=f"reopened_notes_{stored.id}",
                column_config={"修改前": st.column_config.TextColumn(width="large"),
                               "修改後": st.column_config.TextColumn(width="large")})
        if reopened.changes:
            st.markdown("**操作紀錄**（上傳、復原、說明、計畫版本）")
        for row in reopened.changes:
            st.markdown(f"- {format_taiwan_time(row.at)}｜{escape_markdown(row.account)}｜{escape_markdown(row.action)}"
                        f"｜{escape_markdown(row.subject)}" + (f"：{escape_markdown(row.detail)}" if row.detail else ""))


def _note_text(note: tuple[str, str] | None) -> str:
    if note is None:
        return "（無）"
    reason, action = note
    return f"落後原因：{reason or '—'}；改進措施：{action or '—'}"


def indicator_table(items: list[AssessmentItem]) -> None:
    if not items:
        return
    st.dataframe(pd.DataFrame([{
        "指標": f"{item.indicator_id} {item.name}", "實際值": item.result,
        "達成度": f"{item.achievement}%" if item.achievement is not None else "—", "燈號": item.light,
        "自評說明": item.explanation, "審核意見": item.review_comment} for item in items]),
        hide_index=True, width="stretch", key="review_items", height=35 * (len(items) + 1) + 3,
        column_config={"自評說明": st.column_config.TextColumn(width="large"),
                       "審核意見": st.column_config.TextColumn(width="large")})


def submit_form(context: Context, review: Review, point: Checkpoint, unit: str, items: list[AssessmentItem]) -> None:
    """The 自評 to send: each indicator's result and light from the store, its explanation (the notes already
    written, or what was sent before a return) editable."""
    st.markdown("##### 送出自評")
    try:
        draft = review.draft(context.year, unit, point.id)
    except KpiError as error:
        st.error(escape_markdown(error))
        return
    if draft.lacking:
        st.warning("檢核點月份的數字尚未齊全，補齊後才能送出自評：\n\n"
                   + "\n".join(f"- {escape_markdown(text)}" for text in draft.lacking), icon=":material/rule:")
        return
    before = {item.indicator_id: item.explanation for item in items}
    comments = {item.indicator_id: item.review_comment for item in items if item.review_comment}
    key = f"{context.year}_{unit}_{point.id}"
    with st.form(f"submit_{key}"):
        explanations = {}
        for item in draft.items:
            achievement = f"，達成度 {item.achievement}%" if item.achievement is not None else ""
            st.markdown(f"**指標 {escape_markdown(item.indicator_id)} {escape_markdown(item.name)}**：{escape_markdown(item.result)}{achievement}，"
                        f"{item.light}燈")
            if item.indicator_id in comments:
                st.info(f"審核意見：{escape_markdown(comments[item.indicator_id])}", icon=":material/rate_review:")
            offered = before.get(item.indicator_id, item.explanation)
            explanations[item.indicator_id] = st.text_area(  # a longer draft (old notes) is shown whole
                "自評說明", value=offered, key=f"explain_{key}_{item.indicator_id}",
                max_chars=max(EXPLANATION_MAX, len(offered)), height=80)
        comment = st.text_input("送出說明（選填）", key=f"submit_comment_{key}", max_chars=COMMENT_MAX)
        sent = st.form_submit_button("送出自評", type="primary")
    st.caption("自評說明預設取自檢核點最後一個月已填寫的落後原因與改進措施；送出後由研考初核。")
    if sent:
        try:
            review.submit(context.actor, context.year, unit, point.id, comment, explanations)
        except KpiError as error:
            st.error(problems_text(error))
        else:
            flash("success", f"已送出 {escape_markdown(unit)} {point.label(context.year)}自評，等待研考初核。")
            st.rerun()


def review_form(context: Context, review: Review, point: Checkpoint, unit: str, items: list[AssessmentItem],
                stored: StoredAssessment, kind: str) -> None:
    """初核 (kind review: comments per indicator, return or pass) or 複核 (kind approve: approve or return)."""
    key = f"{context.year}_{unit}_{point.id}"
    st.markdown("##### 初核" if kind == "review" else "##### 複核")
    if context.actor.account is not None and stored.submitted_by_id == context.actor.account.id:
        st.warning("這份自評是您送出的，須由其他同仁初核或複核。", icon=":material/person_off:")
        return
    with st.form(f"{kind}_{key}"):
        if kind == "review":
            for item in items:
                st.text_area(f"指標 {escape_markdown(item.indicator_id)} {escape_markdown(item.name)} 的意見（選填）",
                             value=item.review_comment,
                             key=f"comment_{key}_{item.indicator_id}", max_chars=COMMENT_MAX, height=68)
        st.text_area("說明（退回時必填：請寫明要修正什麼）", key=f"{kind}_comment_{key}", max_chars=COMMENT_MAX, height=80)
        left, right = st.columns(2)
        forward = "初核通過" if kind == "review" else "核定"
        with left:
            if kind == "review":
                passed = st.form_submit_button(forward, type="primary")
            else:
                passed = False
                st.form_submit_button(forward, type="primary", on_click=ask_confirmation,
                                      args=("review_approve", key))
        with right:
            st.form_submit_button("退回修正", on_click=ask_confirmation, args=("review_return", key))
    comments = {item.indicator_id: st.session_state.get(f"comment_{key}_{item.indicator_id}", "")
                for item in items} if kind == "review" else {}
    comments = {indicator: text for indicator, text in comments.items() if text.strip()}
    comment = st.session_state.get(f"{kind}_comment_{key}", "")
    if passed:
        _act(lambda: review.pass_(context.actor, context.year, unit, point.id, comment, comments), "pass")
    if pending_confirmation("review_return") == key:
        confirm_step(context, review, point, unit, "return", comment, comments)
    if pending_confirmation("review_approve") == key:
        confirm_step(context, review, point, unit, "approve", comment, {})


def _act(step, kind: str) -> None:
    try:
        stored = step()
    except KpiError as error:
        st.error(problems_text(error))
    else:
        flash("success", f"{escape_markdown(stored.unit)} {stored.year} 年度{escape_markdown(stored.checkpoint_name)}自評：{DONE[kind]}。")
        st.rerun()


def reopen_form(context: Context, review: Review, point: Checkpoint, unit: str) -> None:
    key = f"{context.year}_{unit}_{point.id}"
    st.markdown("##### 重新開放")
    st.caption("已核定的自評重新開放後，涵蓋月份的數字解除鎖定，狀態回到「退回修正」；理由記入操作紀錄。")
    st.text_area("重新開放的理由（必填）", key=f"reopen_reason_{key}", max_chars=COMMENT_MAX, height=80)
    st.button("重新開放", key=f"reopen_{key}", on_click=ask_confirmation, args=("review_reopen", key))
    if pending_confirmation("review_reopen") == key:
        confirm_step(context, review, point, unit, "reopen", st.session_state.get(f"reopen_reason_{key}", ""), {})


@st.dialog("請確認", on_dismiss=settle_confirmation)
def confirm_step(context: Context, review: Review, point: Checkpoint, unit: str, kind: str, comment: str,
                 comments: dict[str, str]) -> None:
    label = f"{escape_markdown(unit)} {point.label(context.year)}自評"
    if kind == "return":
        st.markdown(f"確定要**退回** {label} 嗎？單位須修正後重新送出。")
    elif kind == "approve":
        st.markdown(f"確定要**核定** {label} 嗎？核定後 {point.months[0]}月至{point.last_month}月的數字即鎖定，"
                    "上傳、復原、說明與計畫都不能再改，除非重新開放。")
    else:
        st.markdown(f"確定要**重新開放** {label} 嗎？涵蓋月份的數字將解除鎖定。")
    st.markdown(f"說明：{escape_markdown(comment) or '（空白）'}")
    for indicator, text in comments.items():
        st.markdown(f"- 指標 {escape_markdown(indicator)}：{escape_markdown(text)}")
    step = {"return": lambda: review.return_(context.actor, context.year, unit, point.id, comment, comments),
            "approve": lambda: review.approve(context.actor, context.year, unit, point.id, comment),
            "reopen": lambda: review.reopen(context.actor, context.year, unit, point.id, comment)}[kind]

    def act() -> str:
        stored = step()
        return f"{escape_markdown(stored.unit)} {stored.year} 年度{escape_markdown(stored.checkpoint_name)}自評：{DONE[kind]}。"

    confirmation_buttons(TITLES[kind], f"confirm_{kind}", f"cancel_{kind}", act, describe=problems_text)


# ---- reminders ----

def remind_section(context: Context, review: Review, point: Checkpoint) -> None:
    """「寄送催報通知」 for 研考 (who may review): the list first, then a confirmation; each mail is audited."""
    if not context.can(Action.REVIEW_ASSESSMENT).allowed:
        return
    with st.expander("催報通知（以電子郵件通知逾期或退回修正的單位）", icon=":material/mail:"):
        settings = review.mail_settings()
        st.caption(f"郵件伺服器：{escape_markdown(settings.text())}（由系統管理者於「帳號管理」的「系統設定」設定）")
        try:
            reminders = review.reminders(context.year, point.id)
        except KpiError as error:
            st.error(escape_markdown(error))
            return
        if not reminders:
            st.success(f"{point.label(context.year)}沒有逾期或退回修正的單位。")
            return
        st.dataframe(pd.DataFrame([{"單位": item.unit, "狀態": item.state.value, "收件人": item.to_text}
                                   for item in reminders]), hide_index=True, width="stretch", key="remind_list")
        st.button("寄送催報通知", key="remind", type="primary", disabled=not settings.configured,
                  on_click=ask_confirmation, args=("remind", point.id),
                  help=None if settings.configured else "尚未設定郵件伺服器")
        if pending_confirmation("remind") == point.id:
            confirm_remind(context, review, point, len(reminders))


@st.dialog("確認寄送催報通知", on_dismiss=settle_confirmation)
def confirm_remind(context: Context, review: Review, point: Checkpoint, count: int) -> None:
    st.markdown(f"將寄出 {point.label(context.year)}的催報通知給 {count} 個單位的填報人，每封信都記入操作紀錄。")

    def act() -> str:
        results = review.remind(context.actor, context.year, point.id)
        sent = sum(1 for item in results if item.sent)
        unsent = [f"{item.unit}（{item.problem}）" for item in results if not item.sent]
        return f"已寄出 {sent} 封催報通知。" + (f"未寄送：{escape_markdown('、'.join(unsent))}" if unsent else "")

    confirmation_buttons("確認寄送", "remind_confirm", "remind_cancel", act, describe=problems_text)


def mail_settings_form(context: Context) -> None:
    """For 帳號管理 → 系統設定: the mail server of the reminders (the password only from the environment)."""
    st.markdown("##### 郵件通知（催報）")
    try:
        review = review_of(context.services, repair=True)  # the mail server does not depend on the cycle's steps
        settings = review.mail_settings()
    except KpiError as error:
        st.error(escape_markdown(error))
        return
    st.caption(f"目前：{escape_markdown(settings.text())}。密碼不存入資料庫：請在執行本系統（及排程寄送）的主機上設定環境變數 "
               f"{PASSWORD_VARIABLE}。主機留空即不寄送。")
    with st.form("mail_settings"):
        left, right = st.columns([3, 1])
        host = left.text_input("郵件伺服器（SMTP）主機", value=settings.host, key="mail_host")
        port = right.number_input("連接埠", min_value=1, max_value=65535, value=settings.port, key="mail_port")
        starttls = st.checkbox("使用 STARTTLS 加密", value=settings.starttls, key="mail_starttls")
        left, right = st.columns(2)
        sender = left.text_input("寄件者電子郵件", value=settings.sender, key="mail_sender")
        user = right.text_input("登入帳號（不需登入者留空）", value=settings.user, key="mail_user")
        submitted = st.form_submit_button("儲存郵件設定")
    if submitted:
        try:
            review.save_mail_settings(context.actor, host=host, port=int(port), starttls=starttls, sender=sender,
                                      user=user)
        except KpiError as error:
            st.error(problems_text(error))
        else:
            flash("success", "已儲存郵件設定。")
            st.rerun()


# ---- 指標明細 ----

def indicator_notices(context: Context, indicator_id: str) -> None:
    """On 指標明細: the reviewers' comments on this indicator in a returned 自評 of the unit (what to fix, where it
    is), and that the month is locked by an approved one (before anybody types a note that would be refused)."""
    try:
        review = review_of(context.services, repair=True)  # comments and locks are stored, whatever the steps
        found = review.returned_comments(context.year, context.unit).get(indicator_id, [])
        locking = review.locking(context.year, context.unit, context.month)
    except KpiError:
        return  # only notices: the page works without them
    if locking is not None:
        st.info(f"{escape_markdown(locking.unit)} {locking.year} 年度{escape_markdown(locking.checkpoint_name)}自評已於 "
                f"{format_taiwan_time(locking.approved_at)} 由 {escape_markdown(locking.approved_by)} 核定，"
                f"{min(locking.months)}月至{max(locking.months)}月的數字與說明已鎖定；如需修改，須先重新開放該自評。",
                icon=":material/lock:")
    for label, item in found:
        st.info(f"**{escape_markdown(label)}自評退回修正**，審核意見（{escape_markdown(item.reviewed_by)}）：{escape_markdown(item.review_comment)}",
                icon=":material/rate_review:")
