"""The 操作紀錄 page's parts: filters (period, account, action, unit, outcome), the table, the xlsx export."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import streamlit as st

from metrics.errors import KpiError
from metrics.intake.parsing import format_roc_date, parse_date
from metrics.outputs.report import AUDIT_COLUMNS, audit_records, build_audit_report
from metrics.store import TAIWAN, Outcome
from ui.layout import Context
from ui.widgets import escape_markdown

SHOWN = 1_000
EXPORTED = 100_000
ALL = "（全部）"


def roc_period(since: str, until: str) -> tuple[dt.date, dt.date] | str:
    """The filter's two ROC dates (113/03/05, 1130305, …), or a sentence naming the field, the value and what is
    expected."""
    days = []
    for label, text in (("起日", since), ("迄日", until)):
        if not text.strip():
            return f"請填寫{label}（民國年/月/日，例如 113/03/05）。"
        try:
            days.append(parse_date(text.strip()))
        except ValueError as error:
            return f"{label}：{error}。"
    if days[0] > days[1]:
        return f"起日 {format_roc_date(days[0])} 晚於迄日 {format_roc_date(days[1])}，請對調或修改。"
    return days[0], days[1]


def audit_view(context: Context) -> None:
    store = context.source.store
    today = dt.datetime.now(TAIWAN).date()
    since, until, account, action, unit, outcome = st.columns([1.1, 1.1, 2, 1.4, 1.4, 1])
    since_text = since.text_input("起日（民國）", value=format_roc_date(today - dt.timedelta(days=30)),
                                  key="audit_since", help="例如 113/03/05，也可寫 1130305")
    until_text = until.text_input("迄日（民國）", value=format_roc_date(today), key="audit_until",
                                  help="例如 113/03/31，也可寫 1130331；含迄日當天")
    name = account.text_input("帳號或姓名（部分相符）", key="audit_account")
    try:
        actions = store.audit_actions()
    except KpiError as error:
        st.error(escape_markdown(error))
        return
    chosen_action = action.selectbox("動作", [ALL, *actions], key="audit_action")
    units = [ALL, *(unit.name for unit in context.catalogue.units.units)]
    chosen_unit = unit.selectbox("單位", units, key="audit_unit")
    chosen_outcome = outcome.selectbox("結果", [ALL, *(item.value for item in Outcome)], key="audit_outcome")
    period = roc_period(since_text, until_text)
    if isinstance(period, str):
        st.error(period)
        return
    start, end = period
    st.caption(f"期間：{format_roc_date(start)} 至 {format_roc_date(end)}（臺灣時間，含迄日）")
    filters = dict(
        since=dt.datetime.combine(start, dt.time(), TAIWAN),
        until=dt.datetime.combine(end + dt.timedelta(days=1), dt.time(), TAIWAN),
        account=name.strip() or None, action=None if chosen_action == ALL else chosen_action,
        unit=None if chosen_unit == ALL else chosen_unit,
        outcome=None if chosen_outcome == ALL else Outcome(chosen_outcome))
    try:
        rows = store.audit_log(**filters, limit=SHOWN + 1)  # the page's rows; the export reads when clicked
    except KpiError as error:
        st.error(escape_markdown(error))
        return
    if not rows:
        st.info("此期間沒有符合條件的操作紀錄。")
        return
    st.markdown(f"最近 {SHOWN:,} 筆（新的在前），完整內容請下載 Excel：" if len(rows) > SHOWN
                else f"共 **{len(rows):,}** 筆（新的在前）。")
    field_names = {code: monthly_field.name for code, monthly_field in context.catalogue.field_by_code.items()}
    role_names = {name: role.label for name, role in context.services.roles.roles.items()}
    frame = pd.DataFrame(audit_records(rows[:SHOWN], field_names, role_names),
                         columns=[column for column, _ in AUDIT_COLUMNS])
    frame["年度"] = frame["年度"].map(lambda year: "" if pd.isna(year) else f"{int(year)}年")
    st.dataframe(frame, hide_index=True, width="stretch", key="audit_table")
    conditions = [f"{format_roc_date(start)}～{format_roc_date(end)}", f"帳號：{name.strip()}" if name.strip() else "",
                  f"動作：{chosen_action}" if chosen_action != ALL else "",
                  f"單位：{chosen_unit}" if chosen_unit != ALL else "",
                  f"結果：{chosen_outcome}" if chosen_outcome != ALL else ""]

    def workbook() -> bytes:
        exported = store.audit_log(**filters, limit=EXPORTED + 1)
        count = (f"超過 {EXPORTED:,} 筆，只匯出最近的 {EXPORTED:,} 筆，請縮短期間或加上條件" if len(exported) > EXPORTED
                 else f"共 {len(exported):,} 筆")
        return build_audit_report(exported[:EXPORTED], title="施政計畫績效指標系統 操作紀錄",
                                  subtitle="；".join(part for part in [*conditions, count] if part),
                                  field_names=field_names, role_names=role_names)

    days = f"{format_roc_date(start).replace('/', '')}-{format_roc_date(end).replace('/', '')}"
    st.download_button("下載操作紀錄（.xlsx）", key="audit_download", data=workbook, file_name=f"操作紀錄_{days}.xlsx",
                       mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
