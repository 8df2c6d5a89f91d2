"""The 帳號管理 page's parts: the accounts, a new account, changes to one (roles, units, names, e-mail), disabling
and enabling (asked once more), a new password, and the settings. Every change goes through the core."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from metrics.services.accounts import DISPLAY_NAME_MAX, USERNAME_MAX
from metrics.errors import InputError, KpiError
from metrics.services.inputs import EMAIL_MAX
from metrics.store import StoredAccount
from ui.layout import Context, flash
from ui.widgets import (ask_confirmation, confirmation_buttons, escape_markdown, pending_confirmation,
                        settle_confirmation)


def _problems(error: KpiError) -> str:
    if isinstance(error, InputError):
        return "\n".join(f"- {escape_markdown(problem)}" for problem in error.problems)
    return escape_markdown(error)


def account_table(context: Context, accounts: list[StoredAccount]) -> None:
    roles = context.services.roles
    st.dataframe(pd.DataFrame([{
        "帳號": account.username, "姓名": account.display_name, "角色": roles.labels(account.roles),
        "負責單位": "、".join(account.units) or "—", "電子郵件": account.email or "—",
        "登入方式": "密碼" + ("、單一登入" if account.email else "") if account.password_hash else "只限單一登入",
        "狀態": "啟用" if account.active else "已停用",
    } for account in accounts]), hide_index=True, width="stretch", key="accounts_table")


def _role_choice(context: Context, key: str, default: tuple[str, ...] = ()) -> list[str]:
    roles = context.services.roles.roles
    return st.multiselect("角色", list(roles), default=[role for role in default if role in roles], key=key,
                          format_func=lambda name: roles[name].label, placeholder="請選擇角色（可複選）",
                          help="檢視者：檢視與查看操作紀錄；填報人：上傳、復原與填寫說明（限負責單位）；"
                               "計畫管理者：情境與計畫；系統管理者：帳號與設定。可複選。")


def _unit_choice(context: Context, key: str, default: tuple[str, ...] = ()) -> list[str]:
    names = [unit.name for unit in context.catalogue.units.units]
    return st.multiselect("負責單位（填報人必填）", names, default=[unit for unit in default if unit in names], key=key,
                          placeholder="請選擇單位（可複選）")


NEW_ACCOUNT_GENERATION = "new_account_generation"


def new_account(context: Context) -> None:
    generation = st.session_state.get(NEW_ACCOUNT_GENERATION, 0)  # a new one empties the form after a success
    with st.form("new_account"):
        left, right = st.columns(2)
        username = left.text_input("帳號（英文字母、數字與 _ . @ -）", key=f"new_username_{generation}",
                                   max_chars=USERNAME_MAX)
        display_name = right.text_input("姓名", key=f"new_display_name_{generation}", max_chars=DISPLAY_NAME_MAX)
        roles = _role_choice(context, f"new_roles_{generation}")
        units = _unit_choice(context, f"new_units_{generation}")
        email = st.text_input("電子郵件（選填；使用單一登入時以此對應帳號）", key=f"new_email_{generation}",
                              max_chars=EMAIL_MAX)
        left, right = st.columns(2)
        password = left.text_input("初始密碼（至少 10 個字元；只用單一登入者可留空）", type="password",
                                   key=f"new_password_{generation}", autocomplete="new-password")
        again = right.text_input("再輸入一次密碼", type="password", key=f"new_password_again_{generation}",
                                 autocomplete="new-password")
        submitted = st.form_submit_button("建立帳號", type="primary")
    if not submitted:
        return
    if password != again:
        st.error("兩次輸入的密碼不同，未建立帳號。")
        return
    try:
        account = context.services.add_account(context.actor, username, display_name=display_name, roles=roles,
                                               units=units, password=password or None, email=email)
    except KpiError as error:
        st.error("未建立帳號，請修正：\n\n" + _problems(error))
        return
    flash("success", f"已建立帳號 {escape_markdown(account.username)}（{escape_markdown(account.display_name)}）。請將帳號與初始密碼交給本人，並請其登入後保管。")
    unplanned = [unit for unit in account.units if context.source.official.find(context.year, unit) is None]
    if unplanned and any(context.services.roles.roles[role].units_only for role in account.roles
                         if role in context.services.roles.roles):
        flash("warning", f"注意：{escape_markdown('、'.join(unplanned))} 尚無 {context.year} 年度計畫，此帳號在計畫建立前無法選擇該單位、"
                         "上傳或送出自評；請計畫管理者於「計畫管理」建立計畫。")
    st.session_state[NEW_ACCOUNT_GENERATION] = generation + 1
    st.rerun()


@st.dialog("確認停用帳號", on_dismiss=settle_confirmation)
def confirm_disable(context: Context, account: StoredAccount) -> None:
    st.markdown(f"確定要停用 **{escape_markdown(account.display_name)}（{escape_markdown(account.username)}）** 嗎？")
    st.markdown("- 此帳號目前的登入立即結束，之後無法登入\n- 此帳號過去的上傳、說明與操作紀錄都保留\n- 之後可再啟用")
    def disable() -> str:
        context.services.set_active(context.actor, account.username, False)
        return f"已停用帳號 {escape_markdown(account.username)}。"

    confirmation_buttons("確認停用", "disable_confirm", "disable_cancel", disable, describe=_problems)


def change_account(context: Context, accounts: list[StoredAccount]) -> None:
    names = [account.username for account in accounts]
    chosen = st.selectbox("帳號", names, key="edit_account", format_func=lambda name: next(
        f"{account.display_name}（{account.username}）{'（已停用）' if not account.active else ''}"
        for account in accounts if account.username == name))
    account = next(account for account in accounts if account.username == chosen)
    with st.form(f"edit_account_{account.username}"):
        # A name or address kept from before the limits is shown whole (Streamlit refuses a longer value); saving
        # it says what to shorten.
        display_name = st.text_input("姓名", value=account.display_name, key=f"edit_name_{account.username}",
                                     max_chars=max(DISPLAY_NAME_MAX, len(account.display_name)))
        roles = _role_choice(context, f"edit_roles_{account.username}", account.roles)
        units = _unit_choice(context, f"edit_units_{account.username}", account.units)
        email = st.text_input("電子郵件", value=account.email, key=f"edit_email_{account.username}",
                              max_chars=max(EMAIL_MAX, len(account.email)))
        submitted = st.form_submit_button("儲存變更")
    if submitted:
        try:
            context.services.update_account(context.actor, account.username, roles=roles, units=units,
                                            display_name=display_name, email=email)
        except KpiError as error:
            st.error("未儲存，請修正：\n\n" + _problems(error))
        else:
            flash("success", f"已更新帳號 {escape_markdown(account.username)}。")
            st.rerun()
    left, right = st.columns(2)
    with left:
        if account.active and context.actor.account is not None and account.id == context.actor.account.id:
            st.caption("這是您目前登入的帳號，不能停用自己。")
        elif account.active:
            st.button("停用此帳號", key=f"disable_{account.username}", on_click=ask_confirmation,
                      args=("disable_account", account.username))
            if pending_confirmation("disable_account") == account.username:
                confirm_disable(context, account)
        elif st.button("重新啟用此帳號", key=f"enable_{account.username}"):
            try:
                context.services.set_active(context.actor, account.username, True)
            except KpiError as error:
                st.error(_problems(error))
            else:
                flash("success", f"已重新啟用帳號 {escape_markdown(account.username)}。")
                st.rerun()
    with right, st.form(f"reset_password_{account.username}", clear_on_submit=True):
        password = st.text_input("新密碼（至少 10 個字元）", type="password", key=f"reset_{account.username}",
                                 autocomplete="new-password")
        again = st.text_input("再輸入一次", type="password", key=f"reset_again_{account.username}",
                              autocomplete="new-password")
        if st.form_submit_button("重設密碼"):
            if password != again:
                st.error("兩次輸入的密碼不同，未重設。")
            else:
                try:
                    context.services.reset_password(context.actor, account.username, password)
                except KpiError as error:
                    st.error(_problems(error))
                else:
                    flash("success", f"已重設 {escape_markdown(account.username)} 的密碼；其原有登入已結束，鎖定已解除。")
                    st.rerun()


def settings_form(context: Context) -> None:
    settings = context.settings
    with st.form("settings"):
        view_needs_login = st.checkbox("檢視也需要登入（預設不需要：內部網路上可直接檢視，任何變更都需要登入）",
                                       value=settings.view_needs_login, key="setting_view_needs_login")
        idle = st.number_input("閒置多久自動登出（分鐘）", min_value=1, max_value=1440, step=5,
                               value=settings.idle_minutes, key="setting_idle_minutes")
        submitted = st.form_submit_button("儲存設定")
    if submitted:
        try:
            context.services.save_settings(context.actor, view_needs_login=view_needs_login, idle_minutes=int(idle))
        except KpiError as error:
            st.error(_problems(error))
        else:
            flash("success", "已儲存設定。")
            st.rerun()
