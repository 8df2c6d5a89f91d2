"""帳號管理: accounts and settings, for administrators."""

import streamlit as st

from metrics.plans.roles import Action
from metrics.errors import KpiError
from ui import accounts, cycle_editor, review
from ui.cycle import review_of
from ui.auth import refusal
from ui.layout import page_requires, start_page
from ui.widgets import escape_markdown

context = start_page("帳號管理", about_data=False)
page_requires(context, Action.MANAGE_ACCOUNTS)
try:
    stored = context.source.store.accounts()
except KpiError as error:
    st.error(escape_markdown(error))
    st.stop()
listing, create, change, settings = st.tabs(["帳號一覽", "新增帳號", "修改帳號", "系統設定"])
with listing:
    accounts.account_table(context, stored)
with create:
    accounts.new_account(context)
with change:
    accounts.change_account(context, stored)
with settings:
    if context.can(Action.MANAGE_SETTINGS).allowed:
        accounts.settings_form(context)
        review.mail_settings_form(context)
        try:
            cycle_editor.cycle_settings(context, review_of(context.services, repair=True), key="settings_cycle")
        except KpiError as error:
            st.error(f"考核週期無法讀取：{escape_markdown(error)}")
    else:
        refusal(context.can(Action.MANAGE_SETTINGS))
