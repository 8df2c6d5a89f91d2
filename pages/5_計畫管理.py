"""計畫管理: the plans in force, the versions of the chosen plan and what each changed, editing it as a new
version, and next year's plan drafted from the last one. Nothing here changes a stored figure."""

import streamlit as st

from metrics.plans.roles import Action
from ui import plan_documents, plans
from ui.auth import refusal
from ui.layout import start_page
from ui.widgets import escape_markdown

context = start_page("計畫管理", about_data=False)
st.caption(plans.PERMISSION_NOTE)
overview, history, edit, create, document = st.tabs(["計畫一覽", f"{context.plan.label}：版本與修改紀錄", "編修計畫",
                                                    "新增年度計畫", "由計畫書匯入"])
with overview:
    plans.overview(context)
with history:
    plans.versions(context)
may_edit = context.can(Action.EDIT_PLAN, context.unit)
with edit:
    if not may_edit.allowed:
        refusal(may_edit)
    else:
        st.markdown(f"編修 **{context.plan.label}** 計畫（{escape_markdown(context.plan.version_text)}）；儲存後成為新版本，舊版本保留可查。")
        uploaded = plans.upload_plan(context)
        if uploaded is not None and uploaded.key != context.plan.key:
            st.error(f"上傳的計畫是 {uploaded.label}，與左側選擇的 {context.plan.label} 不同；請先在左側切換年度與單位。")
        else:
            plans.editor(context, uploaded or context.plan, prefix="edit_plan", current=context.plan)
with create:
    if may_edit.allowed:
        plans.new_plan(context)
    else:
        refusal(may_edit)
with document:
    if may_edit.allowed:
        plan_documents.import_document(context)
    else:
        refusal(may_edit)
