"""情境模擬: what-if targets, weights and assumed additional figures, recomputed live against the
official plan. Nothing here changes the plan or the stored figures."""

import streamlit as st

from metrics.intake.parsing import month_label
from ui import whatif
from ui.gauges import goal_sections, score_metrics
from ui.layout import start_page
from ui.widgets import escape_markdown

context = start_page("情境模擬")
st.info("情境模擬只在此頁試算，不會改變計畫目標、權重或資料庫中的月報數字。", icon=":material/science:")
targets, additions = whatif.editors(context.plan)
scenario = whatif.compute(context, targets, additions)
for problem in scenario.problems:
    st.warning(escape_markdown(problem))

month = scenario.evaluation.as_of_month
official = f"官方數字統計至 {context.period}"
st.subheader(f"模擬結果（統計至 {month_label(context.year, month)}；{official}）")
score_metrics(scenario.evaluation, reference=context.evaluation)
whatif.comparison(context, scenario)
goal_sections(scenario.evaluation, scenario.figures, key="whatif", reference=context.evaluation)
whatif.manager(context, scenario)
