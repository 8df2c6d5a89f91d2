"""The 全府比較 page's parts: the comparison table (colours, hover, sortable, a click opens the unit or the
indicator), the units that have not reported, goal 6's multi-year points, links and the county report."""

from __future__ import annotations

import pandas as pd
import streamlit as st
from pandas.io.formats.style import Styler

from metrics.county import (STATUS_COLOURS, CountyView, comparison_frame, comparison_statuses, comparison_tooltips,
                            county_multi_year, county_view, missing_frame, multi_year_frame)
from metrics.evaluation import MultiYearPoints
from metrics.presentation import month_label
from metrics.report import build_county_report
from ui.layout import Context
from ui.links import period_params

OVERVIEW = "dashboard.py"
DETAIL = "pages/1_指標明細.py"
TABLE_KEY = "county_table"
TARGET = "county_target"  # where a click on the table asked to go: (page, query parameters)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@st.cache_resource(max_entries=32, show_spinner=False)
def _view(source_key: tuple, year: int, month: int, _context: Context) -> CountyView:
    """Every unit's evaluation for a year and month, once per data version (shared, never modified)."""
    return county_view(_context.catalogue, _context.source.frame, year, month)


@st.cache_resource(max_entries=16, show_spinner=False)
def _points(source_key: tuple, year: int, _context: Context) -> list[MultiYearPoints]:
    return county_multi_year(_context.catalogue, _context.source.frame, year)


def view(context: Context) -> CountyView:
    return _view(context.source.key, context.year, context.month, context)


def points(context: Context) -> list[MultiYearPoints]:
    return _points(context.source.key, context.year, context)


def _styled(county: CountyView, context: Context) -> Styler:
    frame = comparison_frame(county)
    statuses = comparison_statuses(county)
    units = {indicator.id: indicator.unit for indicator in context.catalogue.common.indicators}
    columns = list(statuses.columns)

    def colours(_: pd.DataFrame) -> pd.DataFrame:
        styles = pd.DataFrame("", index=frame.index, columns=frame.columns)
        for column in columns:
            styles[column] = [f"background-color: {STATUS_COLOURS[status]}" if status else ""
                              for status in statuses[column]]
        return styles

    formats = {"共同性指標加權分數": "{:,.2f} 分"}
    for column in columns:
        unit = units[column.split(" ", 1)[0]]
        formats[column] = "{:,.2f}%" if unit == "%" else "{:,.0f} " + unit
    styler = frame.style.apply(colours, axis=None).format(formats, na_rep="—")
    tooltips = comparison_tooltips(county)
    for column in frame.columns:  # only the indicator cells have something to say on hover
        if column not in tooltips:
            tooltips[column] = ""
    return styler.set_tooltips(tooltips[list(frame.columns)])


def _clicked(county: CountyView) -> None:
    """A cell chosen in the table: the unit's overview, or that indicator's detail, for the same year and month."""
    cells = st.session_state[TABLE_KEY].selection.cells
    if not cells:
        return
    row, column = cells[0]
    standing = county.standings[row]
    params = period_params(county.year, standing.unit, county.month)
    indicator = column.split(" ", 1)[0]
    if indicator in county.indicator_ids:
        st.session_state[TARGET] = (DETAIL, {**params, "indicator": indicator})
    else:
        st.session_state[TARGET] = (OVERVIEW, params)


def comparison(context: Context, county: CountyView) -> None:
    target = st.session_state.pop(TARGET, None)
    if target is not None:
        st.switch_page(target[0], query_params=target[1])
    st.caption(f"各單位依其 {county.year} 年度計畫計算，統計至 {month_label(county.year, county.month)}；"
               "「共同性指標加權分數」只計共同性指標（權重 × min(達成率, 100%) 合計 ÷ 權重合計），名次依此排列。"
               "顏色：綠＝達標、藍＝符合進度、紅＝落後、灰＝無資料或不適用；滑鼠移到數字上可看分子與分母。"
               "點選單位或分數開啟該單位的總覽，點選指標數字開啟該指標的明細。")
    st.dataframe(_styled(county, context), hide_index=True, width="stretch", key=TABLE_KEY, on_select=lambda: _clicked(county),
                 selection_mode="single-cell", height=min(35 * (len(county.standings) + 1) + 3, 720))
    st.markdown("###### 前往單位總覽")
    columns = st.columns(6)
    for index, standing in enumerate(county.standings):
        label = standing.plan.unit_name + ("（範例）" if standing.plan.sample else "")
        columns[index % 6].page_link(OVERVIEW, label=label, icon=":material/speed:",
                                     query_params=period_params(county.year, standing.unit, county.month))


def missing(county: CountyView) -> None:
    frame = missing_frame(county)
    if frame.empty:
        st.success(f"所有單位都已填報 {month_label(county.year, county.month)} 的全部項目。")
        return
    st.caption(f"以下單位的 {month_label(county.year, county.month)} 還有項目沒有填報（空白不是 0）：")
    st.dataframe(frame, hide_index=True, width="stretch", key="county_missing",
                 column_config={"未填報的項目": st.column_config.TextColumn(width="large")})


def multi_year(context: Context, unit_points: list[MultiYearPoints]) -> None:
    if not unit_points:
        st.info("本年度的計畫沒有跨年度計分。")
        return
    rule = unit_points[0].rule
    st.caption(f"指標 {rule.indicator} 依{rule.source}：{rule.years[0]}～{rule.years[-1]} 年間第一次達標的年度決定該年及以後各年的分數"
               "（" + "、".join(f"{year} 年 {value:g} 分" for year, value in rule.points_by_first_year)
               + "）；「—」為尚無法判定（沒有該年度計畫或數字）。")
    st.dataframe(multi_year_frame(context.catalogue, unit_points, context.year), hide_index=True, width="stretch",
                 key="county_multi_year")


def report_button(context: Context, county: CountyView, unit_points: list[MultiYearPoints]) -> None:
    title = f"新竹縣政府 {county.year} 年度施政計畫共同性指標（統計至 {county.year} 年 {county.month} 月）"
    if context.source.is_sample:
        title = f"範例資料｜{title}"
    st.download_button("下載全府報表（.xlsx：全府比較、未填報單位、跨年度計分）", type="primary", mime=XLSX,
                       data=lambda: build_county_report(county, unit_points, context.catalogue, title=title),
                       file_name=f"全府比較_{county.year}年{county.month}月.xlsx", key="county_report")
