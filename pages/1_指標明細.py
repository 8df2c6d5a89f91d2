"""指標明細: one indicator at a time — its monthly series, its formula with this month's numbers,
where each number came from, and the 落後原因 / 改進措施 recorded for the month."""

import streamlit as st

from metrics.outputs.presentation import achievement_text, formula_text, weight_text
from ui import links
from ui.gauges import over_time, provenance, score_chart, series_chart
from ui.layout import start_page
from ui.notes import note_form
from ui.review import indicator_notices
from ui.widgets import escape_markdown, remembered_selectbox

context = start_page("指標明細")
plan = context.evaluation.plan
identifiers = [indicator.id for indicator in plan.indicators]
wrong_link = links.choice_from_url("indicator", identifiers, "detail_indicator_chosen", "指標")
if wrong_link:
    st.warning(escape_markdown(wrong_link), icon=":material/link_off:")
indicator_id = remembered_selectbox(
    "指標", identifiers, "detail_indicator", default=identifiers[0],
    format_func=lambda value: f"{value} {plan.indicator_by_id[value].short_name}")
links.write({"indicator": indicator_id})
result = context.evaluation.result(indicator_id)
indicator, goal = result.indicator, result.goal

st.markdown(f"#### 目標 {goal.number}　{escape_markdown(goal.title)}")
st.markdown(f"**指標 {escape_markdown(indicator.id)}：{escape_markdown(indicator.name)}**（{escape_markdown(goal.kind)}，權重 {weight_text(indicator.weight)}）")
st.caption(f"衡量標準：{escape_markdown(indicator.measure)}")
indicator_notices(context, indicator_id)

columns = st.columns(4)
columns[0].metric(f"實際值（至 {context.month} 月）", result.format_value(result.actual))
columns[1].metric("目標值", result.target_text)
columns[2].metric("達成率", achievement_text(result))
columns[3].metric("狀態", result.status_label)
if result.gap_text:
    st.caption(f"差距：{result.gap_text}｜年底預估：{result.projection_text}")
comparisons = [line for line in over_time(context)[indicator_id] if line]
if comparisons:
    st.caption("｜".join(comparisons))
if result.missing_months:
    st.warning(f"以下月份尚未填報本指標的數字：{'、'.join(f'{m}月' for m in result.missing_months)}")

series_chart(context, indicator_id)
score_chart(context, key="detail")

st.markdown("##### 計算方式（代入本月數字）")
st.markdown(f"> {formula_text(result, context.figures)}")
if result.computation.note:
    st.caption(escape_markdown(result.computation.note))
st.caption(escape_markdown(indicator.help))

st.markdown("##### 數字來源")
sources = provenance(context.source, context.year, context.unit, context.month, indicator_id)
if sources.empty:
    st.info("至本月尚無此指標的填報數字。")
else:
    st.dataframe(sources, hide_index=True, width="stretch", key="detail_sources")

note_form(context, result)
