"""總覽: the weighted score, the status counts and every goal's gauges as of the chosen month.

Run with: streamlit run dashboard.py
"""

import streamlit as st

from metrics.intake.parsing import month_label
from ui import links
from ui.gauges import goal_sections, multi_year_section, over_time, score_chart, score_metrics
from ui.layout import start_page

context = start_page("總覽")
latest = f"（最新填報：{month_label(context.year, context.latest_month)}）" if context.latest_month else ""
st.subheader(f"{context.plan.unit_name}｜統計至 {context.period}{latest}")
score_metrics(context.evaluation)
score_chart(context, key="overview")
multi_year_section(context)
goal_sections(context.evaluation, context.figures, key="overview", extra=over_time(context),
              detail_params=links.period_params(context.year, context.unit, context.month))
