"""全府比較: every unit's common indicators for a year and month side by side, who has not reported the month,
goal 6's multi-year points, and the same as a county report and a county briefing (全府簡報)."""

import streamlit as st

from ui import county, progress
from ui.layout import start_page

context = start_page("全府比較")
view = county.view(context)
unit_points = county.points(context)
st.subheader(f"{context.year} 年度共同性指標｜統計至 {context.period}（{len(view.standings)} 個單位）")
county.report_button(context, view, unit_points)
county.briefing_buttons(context, view)
county.comparison(context, view)
progress.county_note(context)
st.markdown(f"##### 尚未填報 {context.period} 的單位")
county.missing(context, view)
st.markdown("##### 跨年度計分")
county.multi_year(context, unit_points)
