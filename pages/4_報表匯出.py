"""報表匯出: the month's official table (with 落後原因 / 改進措施) as an .xlsx laid out for printing."""

import streamlit as st

from metrics.errors import KpiError
from metrics.presentation import behind_without_reason, report_heading, report_rows, report_table
from metrics.report import build_report, report_values
from ui.layout import start_page
from ui.widgets import INDICATOR_TABLE_HEIGHT

context = start_page("報表匯出")
try:
    notes = context.source.store.notes(context.year, context.unit, context.month)
except KpiError as error:
    st.error(str(error))
    notes = {}
title, subtitle = report_heading(context.evaluation, label="範例資料" if context.source.is_sample else "")
rows = report_rows(context.evaluation, notes)

st.markdown(f"**{title}**  \n{subtitle}")
narrow = {"策略目標": st.column_config.TextColumn(width="medium"), "績效指標": st.column_config.TextColumn(width="medium"),
          "差距": st.column_config.TextColumn(width="medium")}
st.dataframe(report_table(rows), hide_index=True, width="stretch", height=INDICATOR_TABLE_HEIGHT, key="report_table",
             column_config=narrow)
missing = behind_without_reason(context.evaluation, notes)
if missing:
    st.caption(f"落後但尚未填寫落後原因的指標：{'、'.join(missing)}（可於「指標明細」填寫）")
st.download_button("下載報表（.xlsx）", data=lambda: build_report(report_values(context.evaluation, notes), title=title, subtitle=subtitle),
                   file_name=f"績效指標執行情形_{context.plan.unit_name}_{context.year}年{context.month}月.xlsx", key="report_download",
                   mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", type="primary")
st.caption("報表為 A4 橫式、每頁重複標題列；本頁亦可直接以瀏覽器列印（側邊欄與按鈕不會印出）。")
