"""The goals with one gauge per indicator, as on the 總覽 and 情境模擬 pages."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from collections.abc import Mapping, Sequence

import pandas as pd

import plotly.graph_objects as go
import plotly.io as pio
import streamlit as st

from metrics.outputs.charts import gauge_figure
from metrics.evaluation.core import Evaluation, IndicatorResult, MultiYearPoints
from metrics.evaluation.figures import Figures
from metrics.plans.formulas import format_number
from metrics.outputs.presentation import (achievement_text, gauge_lines, multi_year_summary, multi_year_table, score_change,
                                  score_text, weight_text)
from ui.data import Memo, Source, cached_on_source, cached_on_unit
from ui.frozen import frozen
from ui.layout import (Context, official_evaluation, page_of, period_figures, previous_month, previous_year,
                       multi_year_key, unit_multi_year)
from ui.widgets import escape_markdown

CHART_CONFIG = {"displayModeBar": False, "responsive": True}
DETAIL_PAGE = "pages/1_指標明細.py"
SCORE_HELP = ("各項指標的達成率（超過 100% 者以 100% 計）乘以該指標的權重後加總，再除以權重合計，乘以 100，"
              "即為加權分數（滿分 100 分）。尚無資料的指標以 0 計；不適用的指標（分母為 0）不計入，"
              "其權重也不計入權重合計。")


def over_time(context: Context) -> dict[str, list[str]]:
    """Per indicator, the lines that compare it with last month and with the same month last year."""
    return _over_time(context.source, context.year, context.unit, context.month)


@cached_on_unit(max_entries=256, previous_years=1)
def _over_time(source: Source, year: int, unit: str, month: int) -> dict[str, list[str]]:
    """Kept per the unit's content this year and last (another unit's upload keeps it, and with it the gauge
    boxes' texts, section_layout)."""
    from metrics.evaluation.trends import last_month, last_year

    evaluation = official_evaluation(source, year, unit, month)
    this_month = last_month(evaluation, previous_month(source, year, unit, month))
    this_year = last_year(evaluation, previous_year(source, year, unit, month))
    return {result.indicator.id: [this_month.get(result.indicator.id, ""), this_year.get(result.indicator.id, "")]
            for result in evaluation.results}


@cached_on_source(max_entries=64)
def _score_figure(source: Source, year: int, unit: str, month: int) -> go.Figure:
    from metrics.outputs.charts import score_figure
    from metrics.evaluation.trends import score_series

    return frozen(score_figure(score_series(period_figures(source, year, unit), month), year=year))


@cached_on_source(max_entries=256)
def _series_figure(source: Source, year: int, unit: str, month: int, indicator_id: str) -> go.Figure:
    from metrics.outputs.charts import series_figure
    from metrics.outputs.presentation import indicator_series

    figures = period_figures(source, year, unit)
    target = official_evaluation(source, year, unit, month).result(indicator_id).target
    series = indicator_series(figures, indicator_id, month, target)
    return frozen(series_figure(series, figures.plan.indicator_by_id[indicator_id], year=year))


def series_chart(context: Context, indicator_id: str) -> None:
    """指標明細's monthly series of the indicator, built once per data version, period and indicator (a Plotly
    figure costs more to build than the rest of the page's rerun). Shared: never modified."""
    st.plotly_chart(_series_figure(context.source, context.year, context.unit, context.month, indicator_id),
                    key="detail_series", config=CHART_CONFIG)


@cached_on_source(max_entries=256)
def provenance(source: Source, year: int, unit: str, month: int, indicator_id: str) -> pd.DataFrame:
    """Each number behind the indicator up to the month, read from the whole frame once per data version
    (shared: never modified)."""
    from metrics.outputs.presentation import provenance_table

    plan = source.catalogue.plan(year, unit)
    return frozen(provenance_table(source.frame, plan.indicator_by_id[indicator_id], plan, as_of_month=month))


def score_chart(context: Context, *, key: str) -> None:
    """The weighted score month by month up to the month shown, with the pace line; drawn when asked for (a chart
    costs as much as a gauge on every rerun)."""
    if st.toggle("顯示加權分數逐月變化（對照進度線）", key=f"{key}_score_toggle"):
        st.plotly_chart(_score_figure(context.source, context.year, context.unit, context.month),
                        key=f"{key}_score_chart", config=CHART_CONFIG)


def gauge_key(result: IndicatorResult) -> tuple:
    """Everything gauge_figure reads: the indicator itself (its names, unit, direction, stages, bounds: a frozen,
    hashable definition) and the result's numbers, status and month (the month words a missed ceiling 未達標 in
    December, 落後 before). Equal keys draw equal gauges."""
    return result.indicator, result.actual, result.target, result.pace, result.status, result.as_of_month


@functools.lru_cache(maxsize=4)
def _layout_template(name: str) -> dict:
    """The layout part of Plotly's default template (`name`). Its per-trace defaults (heatmaps, bars, …) never
    apply to a gauge, yet they are most of its JSON, copied and serialised on every rerun."""
    return go.layout.Template(layout=pio.templates[name].layout).to_plotly_json()


_GAUGES = Memo(max_entries=1024)


def gauge(result: IndicatorResult) -> go.Figure:
    """The gauge of a result, built once per content: building a Plotly figure (its validation) costs more
    than everything else on a rerun, and a what-if edit changes one or two gauges of 13. The figure is
    shared between sessions, so it is never modified after it is built."""
    # Given at construction, the template is not the default one copied into the figure and then replaced.
    return _GAUGES.get(gauge_key(result), lambda: frozen(gauge_figure(
        result, template=_layout_template(str(pio.templates.default)), validated=False)))


def score_metrics(evaluation: Evaluation, *, reference: Evaluation | None = None) -> None:
    """The weighted score (with the plan's weight total, which is 95 %, not 100 %) and the status counts."""
    counts = evaluation.status_counts()
    columns = st.columns([2, 1, 1, 1, 1])
    delta, delta_color, arrow = None, "normal", "auto"
    change = score_change(reference, evaluation) if reference is not None else None
    if change == 0:
        delta, delta_color, arrow = "與官方相同", "off", "off"
    elif change is not None:
        delta = f"{'+' if change > 0 else ''}{format_number(change)} 分（相較官方）"
    columns[0].metric("加權分數", score_text(evaluation.weighted_score), delta=delta, delta_color=delta_color,
                      delta_arrow=arrow,
                      help=SCORE_HELP)
    plan_total = weight_text(evaluation.plan_weight_total)
    columns[0].caption(f"計畫權重合計 {plan_total}（計畫原訂，未調整為 100%）；"
                       f"本次以適用指標權重 {weight_text(evaluation.weight_total)} 計算。")
    boxes = {label: count for _status, label, count in evaluation.status_count_labels()}
    missed = boxes.get("未達標", 0)
    behind = ("落後／未達標", f"{boxes['落後']:,}／{missed:,} 項") if missed else ("落後", f"{boxes['落後']:,} 項")
    for column, (label, value) in zip(columns[1:], (("達標", f"{boxes['達標']:,} 項"),
                                                     ("符合進度", f"{boxes['符合進度']:,} 項"), behind,
                                                     ("無資料", f"{boxes['無資料']:,} 項"))):
        column.metric(label, value)
    if counts["not_applicable"]:
        st.caption(f"另有 {counts['not_applicable']:,} 項指標不適用（分母為 0），不計入加權分數。")


def goal_rows(evaluation: Evaluation, slots: int = 3) -> list[list[int]]:
    """Goals in the plan's order packed into rows of at most `slots` gauges, so every gauge is equally wide."""
    rows: list[list[int]] = []
    used = slots
    for goal in evaluation.plan.goals:
        size = len(evaluation.of_goal(goal.number))
        if used + size > slots:
            rows.append([])
            used = 0
        rows[-1].append(goal.number)
        used += size
    return rows


@dataclass(frozen=True)
class GaugeCell:
    indicator_id: str
    figure: go.Figure
    caption: str  # the lines under the gauge, escaped


@dataclass(frozen=True)
class GoalBox:
    heading: str
    caption: str
    cells: tuple[GaugeCell, ...]


_SECTIONS = Memo(max_entries=256)


def section_layout(evaluation: Evaluation, figures: Figures, reference: Evaluation | None, slots: int,
                   extra: Mapping[str, Sequence[str]] | None) -> tuple[tuple[list[int], tuple[GoalBox, ...]], ...]:
    """The goal boxes row by row (column sizes, boxes) with their texts and gauges, made once per evaluation: the
    evaluations, figures and lines passed are the shared cached ones, so the same objects come back on every
    rerun of the period (or scenario). Keyed by their identities, each entry holding them, so no other object
    can take an identity while its entry is kept."""
    key = id(evaluation), id(figures), id(reference), id(extra), slots

    def make() -> tuple:
        return evaluation, figures, reference, extra, _section_layout(evaluation, figures, reference, slots, extra)

    made = _SECTIONS.get(key, make)
    if made[0] is evaluation and made[1] is figures and made[2] is reference and made[3] is extra:
        return made[4]
    return _section_layout(evaluation, figures, reference, slots, extra)


def _section_layout(evaluation: Evaluation, figures: Figures, reference: Evaluation | None, slots: int,
                    extra: Mapping[str, Sequence[str]] | None) -> tuple[tuple[list[int], tuple[GoalBox, ...]], ...]:
    plan = evaluation.plan
    rows = []
    for row in goal_rows(evaluation, slots):
        sizes = [len(evaluation.of_goal(number)) for number in row]
        spare = [slots - sum(sizes)] if sum(sizes) < slots else []
        boxes = []
        for number in row:
            goal = plan.goal_by_number[number]
            common = "，共同性指標" if goal.common else ""
            cells = []
            for result in evaluation.of_goal(goal.number):
                lines = gauge_lines(result, figures)
                if reference is not None:
                    before = reference.result(result.indicator.id)
                    lines.insert(0, f"官方：{before.format_value(before.actual)}，達成率 "
                                    f"{achievement_text(before)}，{before.status_label}")
                lines += [line for line in (extra or {}).get(result.indicator.id, ()) if line]
                cells.append(GaugeCell(result.indicator.id, gauge(result),
                                       "  \n".join(escape_markdown(line) for line in lines)))
            boxes.append(GoalBox(f"#### 目標 {goal.number}　{escape_markdown(goal.title)}",
                                 f"{escape_markdown(goal.kind)}{common}｜權重 {weight_text(plan.goal_weight(goal.number))}",
                                 tuple(cells)))
        rows.append((sizes + spare, tuple(boxes)))
    return tuple(rows)


def goal_sections(evaluation: Evaluation, figures: Figures, *, key: str,
                  reference: Evaluation | None = None, slots: int = 3,
                  extra: Mapping[str, Sequence[str]] | None = None, detail_params: Mapping[str, str] | None = None
                  ) -> None:
    """The goals in the plan's order, each with its title, kind, weight and one gauge per indicator; `extra` adds
    lines under a gauge (such as the change since last month); `detail_params` adds a link to each indicator's
    detail (the period's query parameters)."""
    for sizes, boxes in section_layout(evaluation, figures, reference, slots, extra):
        for column, box in zip(st.columns(sizes), boxes):
            with column.container(border=True):
                st.markdown(box.heading)
                st.caption(box.caption)
                for inner, cell in zip(st.columns(len(box.cells)), box.cells):
                    with inner:
                        st.plotly_chart(cell.figure, key=f"{key}_gauge_{cell.indicator_id}", config=CHART_CONFIG)
                        st.caption(cell.caption)
                        if detail_params is not None:
                            st.page_link(page_of(DETAIL_PAGE), label=f"{escape_markdown(cell.indicator_id)} 指標明細",
                                         query_params={**detail_params, "indicator": cell.indicator_id})


_MULTI_YEAR_TABLES = Memo(max_entries=64)


def _multi_year(source: Source, year: int, unit: str) -> tuple[MultiYearPoints, pd.DataFrame]:
    points = unit_multi_year(source, year, unit)
    return points, _MULTI_YEAR_TABLES.get(multi_year_key(source, year, unit), lambda: frozen(multi_year_table(points)))


def multi_year_section(context: Context) -> None:
    """Goal 6's points over 112–115, judged year by year against each year's own plan of the unit."""
    rule = context.plan.multi_year
    if rule is None:
        return
    points, table = _multi_year(context.source, context.year, context.unit)
    indicator = context.plan.indicator_by_id[rule.indicator]
    name = escape_markdown(indicator.short_name)
    with st.expander(f"指標 {escape_markdown(rule.indicator)}「{name}」跨年度計分（{rule.years[0]}～{rule.years[-1]} 年）："
                     f"{multi_year_summary(points)}"):
        st.caption(f"依{rule.source}：{rule.years[0]}～{rule.years[-1]} 年間第一次達標的年度決定該年及以後各年的分數"
                   "（" + "、".join(f"{year} 年首次達標 {format_number(value)} 分" for year, value in rule.points_by_first_year)
                   + f"，滿分 {format_number(rule.full_points)} 分；尚未達標的年度 {format_number(rule.not_met_points)} 分）。"
                   "各年度以該年度最近填報月份的數字、對照該年度計畫的目標值判定。")
        st.dataframe(table, hide_index=True, width="stretch", key="multi_year_points")
