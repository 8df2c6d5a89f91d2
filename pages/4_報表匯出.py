"""報表匯出: the month's official table (with 落後原因 / 改進措施), its .xlsx and its one-page PDF; the unit's
year-end 施政績效報告 (.docx and .pdf)."""

import streamlit as st

from metrics.errors import KpiError
from metrics.outputs.presentation import behind_without_reason, report_heading, report_rows
from ui.layout import start_page
from ui.widgets import escape_markdown
from ui.annual import annual_section
from ui.report import downloads, show_table

context = start_page("報表匯出")
try:
    notes = context.source.store.notes(context.year, context.unit, context.month)
except KpiError as error:
    st.error(escape_markdown(error))
    notes = {}
label = "範例資料" if context.source.is_sample else ""
title, subtitle = report_heading(context.evaluation, label=label)

st.markdown(f"**{title}**  \n{subtitle}")
show_table(report_rows(context.evaluation, notes))
missing = behind_without_reason(context.evaluation, notes)
if missing:
    st.caption(f"落後但尚未填寫落後原因的指標：{'、'.join(missing)}（可於「指標明細」填寫）")
downloads(context, notes, title, subtitle, label)
st.caption("兩種報表皆為 A4 橫式：.xlsx 每頁重複標題列、數字可加總；PDF 為一頁，含各指標儀表圖。"
           "本頁亦可直接以瀏覽器列印（側邊欄與按鈕不會印出）。")

with st.container(key="annual_report"):  # left off the printed page (ui/styles.py): the month's table prints
    st.divider()
    annual_section(context)
