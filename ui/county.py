"""The 全府比較 page's parts: the comparison table (colours, hover, sortable, a click opens the unit or the
indicator), the units that have not reported, goal 6's multi-year points, links and the county report."""

from __future__ import annotations

from fractions import Fraction

import pandas as pd
import streamlit as st
from pandas.io.formats.style import Styler

from metrics.county import (STATUS_COLOURS, CountyView, comparison_frame, comparison_parts, comparison_statuses,
                            county_multi_year, county_view, missing_frame, multi_year_frame, year_figures)
from metrics.figures import Figures
from metrics.evaluation import MultiYearPoints
from metrics.formulas import format_number
from metrics.presentation import month_label
from metrics.report import build_county_report
from ui.layout import Context
from ui.links import period_params

OVERVIEW = "dashboard.py"
DETAIL = "pages/1_指標明細.py"
TABLE_KEY = "county_table"
TARGET = "county_target"  # where a click on the table asked to go: (page, query parameters)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# Column widths in pixels: the whole comparison fits a 1400-pixel screen with the sidebar open.
WIDTHS = {"單位": 100, "名次": 45, "共同性指標加權分數": 80, "indicator": 88}


@st.cache_resource(max_entries=8, show_spinner=False)
def _figures(source_key: tuple, year: int, _context: Context) -> dict[tuple[int, str], Figures]:
    """Every unit's figures of a year, split once per data version: a month change only evaluates again."""
    return year_figures(_context.catalogue, _context.source.frame, year)


@st.cache_resource(max_entries=32, show_spinner=False)
def _view(source_key: tuple, year: int, month: int, _context: Context) -> CountyView:
    """Every unit's evaluation for a year and month, once per data version (shared, never modified)."""
    return county_view(_context.catalogue, _context.source.frame, year, month,
                       figures=_figures(source_key, year, _context))


@st.cache_resource(max_entries=16, show_spinner=False)
def _points(source_key: tuple, year: int, _context: Context) -> list[MultiYearPoints]:
    return county_multi_year(_context.catalogue, _context.source.frame, year)


def view(context: Context) -> CountyView:
    return _view(context.source.key, context.year, context.month, context)


def points(context: Context) -> list[MultiYearPoints]:
    return _points(context.source.key, context.year, context)


@st.cache_resource(max_entries=32, show_spinner=False)
def _tables(source_key: tuple, year: int, month: int, _county: CountyView,
            _context: Context) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, str], pd.DataFrame]:
    """The comparison's values, cell colours, number formats, and the same cells as text with their parts."""
    frame = comparison_frame(_county)
    statuses = comparison_statuses(_county)
    colours = pd.DataFrame("", index=frame.index, columns=frame.columns)
    for column in statuses.columns:
        colours[column] = [f"background-color: {STATUS_COLOURS[status]}" if status else ""
                           for status in statuses[column]]
    units = {indicator.id: indicator.unit for indicator in _context.catalogue.common.indicators}
    formats = {"共同性指標加權分數": _shown("分")}
    for column in statuses.columns:
        formats[column] = _shown(units[column.split(" ", 1)[0]])
    return frame, colours, formats, comparison_parts(_county)


def _shown(unit: str):
    """A cell's number as the gauges write it: 50%, 40.74%, 134 案, 99.12 分."""
    def text(value: object) -> str:
        if value is None or value != value:
            return "—"
        number = format_number(Fraction(str(value)))
        return f"{number}%" if unit == "%" else f"{number} {unit}"
    return text


def _styled(county: CountyView, context: Context, *, parts: bool) -> Styler:
    """Coloured by status; numbers (sortable), or with each ratio's numerator and denominator as text.
    (st.dataframe shows no Styler tooltips, so the parts are a view of their own rather than a hover.)"""
    frame, colours, formats, texts = _tables(context.source.key, county.year, county.month, county, context)
    if parts:
        return texts.style.apply(lambda _: colours, axis=None)
    return frame.style.apply(lambda _: colours, axis=None).format(formats)


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
               "「共同性指標加權分數」只計共同性指標：各項達成率（超過 100% 者以 100% 計）乘以權重後加總，再除以權重合計，名次依此排列。"
               "顏色：綠＝達標、藍＝符合進度、紅＝落後、灰＝無資料或不適用。點選欄位標題可排序；"
               "點選單位或分數開啟該單位的總覽，點選指標數字開啟該指標的明細。")
    parts = st.toggle("數字旁顯示分子與分母（文字，不依數值排序）", key="county_parts")
    names = dict(zip(county.indicator_ids, (indicator.name for indicator in context.catalogue.common.indicators)))
    columns = {"單位": st.column_config.TextColumn(width=WIDTHS["單位"]),
               "名次": st.column_config.NumberColumn(width=WIDTHS["名次"]),
               "共同性指標加權分數": (st.column_config.TextColumn if parts else st.column_config.NumberColumn)(
                   "加權分數", width=WIDTHS["共同性指標加權分數"],
                                                         help="只計共同性指標：各項達成率（超過 100% 者以 100% 計）乘以權重後加總，再除以權重合計，乘以 100")}
    for indicator_id, name in zip(county.indicator_ids, county.indicator_names):
        column_type = st.column_config.TextColumn if parts else st.column_config.NumberColumn
        columns[f"{indicator_id} {name}"] = column_type(width=WIDTHS["indicator"] * (2 if parts else 1),
                                                        help=names[indicator_id])
    st.dataframe(_styled(county, context, parts=parts), hide_index=True, width="stretch", key=TABLE_KEY,
                 on_select=lambda: _clicked(county), selection_mode="single-cell", column_config=columns,
                 height=min(35 * (len(county.standings) + 1) + 3, 720))
    names = {standing.unit: standing.plan.unit_name + ("（範例）" if standing.plan.sample else "")
             for standing in county.standings}
    chosen, link = st.columns([2, 3], vertical_alignment="bottom")
    unit = chosen.selectbox("前往單位", list(names), format_func=names.get, key="county_unit")
    if unit is not None:
        link.page_link(OVERVIEW, label=f"開啟{names[unit]}的總覽（{month_label(county.year, county.month)}）",
                       icon=":material/speed:", query_params=period_params(county.year, unit, county.month))


@st.cache_resource(max_entries=32, show_spinner=False)
def _missing_frame(source_key: tuple, year: int, month: int, _county: CountyView) -> pd.DataFrame:
    return missing_frame(_county)


@st.cache_resource(max_entries=16, show_spinner=False)
def _points_frame(source_key: tuple, year: int, _context: Context, _points: list[MultiYearPoints]) -> pd.DataFrame:
    return multi_year_frame(_context.catalogue, _points, year)


def missing(context: Context, county: CountyView) -> None:
    frame = _missing_frame(context.source.key, county.year, county.month, county)
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
    st.dataframe(_points_frame(context.source.key, context.year, context, unit_points), hide_index=True,
                 width="stretch", key="county_multi_year")


def report_button(context: Context, county: CountyView, unit_points: list[MultiYearPoints]) -> None:
    title = f"新竹縣政府 {county.year} 年度施政計畫共同性指標（統計至 {county.year} 年 {county.month} 月）"
    if context.source.is_sample:
        title = f"範例資料｜{title}"
    st.download_button("下載全府報表（.xlsx：全府比較、未填報單位、跨年度計分）", type="primary", mime=XLSX,
                       data=lambda: build_county_report(county, unit_points, context.catalogue, title=title),
                       file_name=f"全府比較_{county.year}年{county.month}月.xlsx", key="county_report")
