"""操作紀錄: every write, login and refusal, filtered and exported; nothing here changes or deletes a row."""

import streamlit as st

from metrics.plans.roles import Action
from ui.audit import audit_view
from ui.layout import page_requires, start_page

context = start_page("操作紀錄", about_data=False)
page_requires(context, Action.VIEW_AUDIT)
st.caption("每一次上傳、復原、說明、情境、計畫版本、帳號與設定的變更，以及登入、登入失敗與被拒絕的操作，都記錄於此；"
           "紀錄只能新增，不能修改或刪除。")
audit_view(context)
