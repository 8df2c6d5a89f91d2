"""The 全府比較 page's parts: the comparison table (colours, sortable by its headers, a ticked row opens the unit),
the units that have not reported, goal 6's multi-year points, links to a unit or an indicator and the county report."""

from __future__ import annotations

import functools
import unicodedata
from collections.abc import Mapping
from fractions import Fraction

import pandas as pd
import streamlit as st
from pandas.io.formats.style import Styler

from metrics.evaluation.county import (STATUS_COLOURS, CountyView, comparison_frame, comparison_parts, comparison_statuses,
                            county_multi_year, county_view, missing_frame, multi_year_frame)
from metrics.evaluation.figures import Figures
from metrics.evaluation.core import Evaluation, IndicatorResult, MultiYearPoints, evaluate, evaluate_some
from metrics.plans.formulas import format_number
from metrics.intake.parsing import month_label
from metrics.outputs.report import build_county_report
from ui.data import Source, cached_on_source, cached_on_unit
from ui.frozen import frozen
from ui.layout import Context, official_evaluation, page_of, plans_figures, unit_multi_year
from ui.links import period_params

OVERVIEW = "dashboard.py"
DETAIL = "pages/1_指標明細.py"
TABLE_KEY = "county_table"
TARGET = "county_target"  # where a click on the table asked to go: (page, query parameters)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MISSING = "—"  # what the legend calls 尚無資料 or 尚無法判定, in every table of the page (the grid draws an empty
# cell's placeholder, not the Styler's text: both are set)
SCORE_LABEL = "加權分數"
OVERVIEW_CHOICE = "（總覽）"
# A header is drawn on a canvas in one line: a column is as wide as its header (glyphs of a 14-pixel font, a CJK
# one 14 pixels, others about 8) plus the cell padding and the sort arrow, or its widest value.
WIDE_PIXELS, NARROW_PIXELS, PADDING_PIXELS = 15, 8, 40


@functools.lru_cache(maxsize=65_536)
def text_width(text: str) -> int:
    """Pixels a header or cell text needs in the grid, padding and sort arrow included."""
    return PADDING_PIXELS + sum(WIDE_PIXELS if unicodedata.east_asian_width(character) in "WF" else NARROW_PIXELS
                                for character in text)


def column_width(label: str, texts: list[str]) -> int:
    return max([text_width(label), *(text_width(text) - PADDING_PIXELS // 2 for text in texts)])


@cached_on_source(max_entries=8)
def _figures(source: Source, year: int) -> dict[tuple[int, str], Figures]:
    """Every unit's figures of a year, each kept per its unit's content (plans_figures): a month change only
    evaluates again, another unit's upload reads that unit's figures only."""
    catalogue = source.catalogue
    return plans_figures(source, [(year, unit) for unit in catalogue.units_in(year)])


@cached_on_unit(max_entries=1024)
def _common(source: Source, year: int, unit: str, month: int) -> Mapping[str, IndicatorResult]:
    """A unit's common indicators as of a month, kept per the unit's own content (unit_key): after another unit's
    upload only that unit is evaluated again. From the overview's evaluation when it is kept, else they alone."""
    ids = {indicator.id for indicator in source.catalogue.common.indicators}
    kept = official_evaluation.kept(source, year, unit, month)
    if kept is not None:
        return {result.indicator.id: result for result in kept.results if result.indicator.id in ids}
    return evaluate_some(_figures(source, year)[(year, unit)], month, ids)


@cached_on_source(max_entries=32)
def _view(source: Source, year: int, month: int) -> CountyView:
    """Every unit's standing for a year and month, once per data version (shared, never modified), each unit's
    common indicators from _common; a unit's whole evaluation, when the briefing asks for it, is made into
    official_evaluation (the overview's, the same key) from the figures split at once."""
    def evaluation_of(figures: Figures, as_of_month: int) -> Evaluation:
        return official_evaluation.made_with(lambda: evaluate(figures, as_of_month),
                                             source, figures.plan.year, figures.plan.unit, as_of_month)

    def common_of(figures: Figures, as_of_month: int, ids: tuple[str, ...]) -> Mapping[str, IndicatorResult]:
        return _common(source, figures.plan.year, figures.plan.unit, as_of_month)

    return county_view(source.catalogue, source.frame, year, month, figures=_figures(source, year),
                       evaluation_of=evaluation_of, common_of=common_of)


@cached_on_source(max_entries=16)
def _points(source: Source, year: int) -> list[MultiYearPoints]:
    """Each unit's multi-year points kept per that unit's content (unit_multi_year, shared with its overview):
    after one unit's upload only that unit is judged again."""
    catalogue = source.catalogue
    spans = functools.cache(lambda: plans_figures(source, [
        (span_year, unit) for unit in catalogue.units_in(year) if (rule := catalogue.plan(year, unit).multi_year)
        is not None for span_year in rule.years if catalogue.find(span_year, unit) is not None]))
    return county_multi_year(catalogue, source.frame, year,
                             points_of=lambda unit: unit_multi_year(source, year, unit, split=spans))


def view(context: Context) -> CountyView:
    return _view(context.source, context.year, context.month)


def points(context: Context) -> list[MultiYearPoints]:
    return _points(context.source, context.year)


@cached_on_source(max_entries=32)
def _tables(source: Source, year: int, month: int) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, str]]:
    """The comparison's values, cell colours and number formats."""
    county = _view(source, year, month)
    frame = comparison_frame(county)
    statuses = comparison_statuses(county)
    blank = [""] * len(frame)  # built at once: setting one string column at a time costs pandas a copy each
    colours = pd.DataFrame({column: [f"background-color: {STATUS_COLOURS[status]}" if status else ""
                                     for status in statuses[column]] if column in statuses.columns else blank
                            for column in frame.columns}, index=frame.index, columns=frame.columns)
    units = {indicator.id: indicator.unit for indicator in source.catalogue.common.indicators}
    formats = {"共同性指標加權分數": _shown("分")}
    for column in statuses.columns:
        formats[column] = _shown(units[column.split(" ", 1)[0]])
    return frame, colours, formats


@cached_on_source(max_entries=32)
def _parts(source: Source, year: int, month: int) -> pd.DataFrame:
    """The same cells as text with each ratio's parts: made when the toggle first asks for them, not with every
    month's first showing."""
    return comparison_parts(_view(source, year, month))


@cached_on_source(max_entries=64)
def _widths(source: Source, year: int, month: int, parts: bool) -> dict[str, int]:
    """Each column's width in pixels: its header, or its widest cell as shown (once per data version and view)."""
    frame, _, formats = _tables(source, year, month)
    cells = _parts(source, year, month) if parts else frame
    shown = {column: [value if column == "單位" or isinstance(value, str) else
                      formats.get(column, _shown(""))(value) for value in cells[column]]
             for column in frame.columns}
    labels = {"共同性指標加權分數": SCORE_LABEL}
    return {column: column_width(labels.get(column, column), shown[column]) for column in frame.columns}


def _shown(unit: str):
    """A cell's number as the gauges write it: 50%, 40.74%, 134 案, 99.12 分; 「—」 when there is none."""
    def text(value: object) -> str:
        if _missing(value):
            return MISSING
        return _number_text(value, unit)
    return text


@functools.lru_cache(maxsize=65_536)
def _number_text(value: object, unit: str) -> str:
    """Remembered: the Styler asks for every cell on every rerun, and the same numbers recur month after month
    (equal values, equal text: Fraction(str(value)) is the same for 5 and 5.0)."""
    number = format_number(Fraction(str(value)))
    if not unit:
        return number
    return f"{number}%" if unit == "%" else f"{number} {unit}"


def _missing(value: object) -> bool:
    return value is None or value is pd.NA or value != value


@cached_on_source(max_entries=32)
def _prepared(source: Source, year: int, month: int, parts: bool) -> Styler:
    frame, colours, formats = _tables(source, year, month)
    if parts:
        return frozen(_parts(source, year, month).style.set_uuid(TABLE_KEY).apply(
            lambda _: colours, axis=None).format(na_rep=MISSING))
    return frozen(frame.style.set_uuid(TABLE_KEY).apply(lambda _: colours, axis=None).format(
        formats, na_rep=MISSING).format(_shown(""), subset=["名次"]))


def _styled(county: CountyView, context: Context, *, parts: bool) -> Styler:
    """Coloured by status; numbers (sortable), or with each ratio's numerator and denominator as text.
    (st.dataframe shows no Styler tooltips, so the parts are a view of their own rather than a hover.)"""
    return _prepared(context.source, county.year, county.month, parts)


def target_of(county: CountyView, rows: list[int]) -> tuple[str, dict[str, str]] | None:
    """The row chosen in the table (its position in the unsorted table): that unit's overview for the page's year
    and month. A click on a header only sorts: it chooses no row."""
    if not rows or not 0 <= rows[0] < len(county.standings):
        return None
    return OVERVIEW, period_params(county.year, county.standings[rows[0]].unit, county.month)


def _clicked(county: CountyView) -> None:
    target = target_of(county, list(st.session_state[TABLE_KEY].selection.rows))
    if target is not None:
        st.session_state[TARGET] = target


def comparison(context: Context, county: CountyView) -> None:
    target = st.session_state.pop(TARGET, None)
    if target is not None:
        st.switch_page(target[0], query_params=target[1])
    st.caption(f"各單位依其 {county.year} 年度計畫計算，統計至 {month_label(county.year, county.month)}；"
               "「加權分數」只計共同性指標：各項達成率（超過 100% 者以 100% 計）乘以權重後加總，再除以權重合計，名次依此排列。"
               "顏色：綠＝達標、藍＝符合進度、紅＝落後、灰＝無資料或不適用；「—」為尚無資料。點選欄位標題可排序；"
               "勾選單位左側的方框，開啟該單位同一年度、同一月份的總覽；各指標的明細可由下方「前往單位」開啟。")
    parts = st.toggle("數字旁顯示分子與分母（文字，不依數值排序）", key="county_parts")
    widths = _widths(context.source, county.year, county.month, parts)
    names = dict(zip(county.indicator_ids, (indicator.name for indicator in context.catalogue.common.indicators)))
    number_or_text = st.column_config.TextColumn if parts else st.column_config.NumberColumn
    columns = {"單位": st.column_config.TextColumn(width=widths["單位"], pinned=True),
               "名次": st.column_config.NumberColumn(width=widths["名次"]),
               "共同性指標加權分數": number_or_text(
                   SCORE_LABEL, width=widths["共同性指標加權分數"],
                   help="只計共同性指標：各項達成率（超過 100% 者以 100% 計）乘以權重後加總，再除以權重合計，乘以 100")}
    for indicator_id, name in zip(county.indicator_ids, county.indicator_names):
        label = f"{indicator_id} {name}"
        columns[label] = number_or_text(width=widths[label], help=names[indicator_id])
    st.dataframe(_styled(county, context, parts=parts), hide_index=True, width="stretch", key=TABLE_KEY,
                 on_select=lambda: _clicked(county), selection_mode="single-row", column_config=columns,
                 height=min(35 * (len(county.standings) + 1) + 3, 720), placeholder=MISSING)
    names = {standing.unit: standing.plan.unit_name + ("（範例）" if standing.plan.sample else "")
             for standing in county.standings}
    indicators = dict(zip(county.indicator_ids, county.indicator_names))
    chosen, which, link = st.columns([2, 2, 3], vertical_alignment="bottom")
    unit = chosen.selectbox("前往單位", list(names), format_func=names.get, key="county_unit")
    indicator = which.selectbox("開啟", [OVERVIEW_CHOICE, *indicators], key="county_indicator",
                                format_func=lambda value: value if value == OVERVIEW_CHOICE
                                else f"{value} {indicators[value]} 明細")
    if unit is not None:
        when = month_label(county.year, county.month)
        if indicator in indicators:
            link.page_link(page_of(DETAIL), label=f"開啟{names[unit]}的指標 {indicator} 明細（{when}）",
                           icon=":material/query_stats:",
                           query_params=period_params(county.year, unit, county.month, indicator=indicator))
        else:
            link.page_link(page_of(OVERVIEW), label=f"開啟{names[unit]}的總覽（{when}）", icon=":material/speed:",
                           query_params=period_params(county.year, unit, county.month))


@cached_on_source(max_entries=32)
def _missing_frame(source: Source, year: int, month: int) -> pd.DataFrame:
    return frozen(missing_frame(_view(source, year, month)))


@cached_on_source(max_entries=16)
def _points_frame(source: Source, year: int) -> pd.DataFrame:
    return frozen(multi_year_frame(source.catalogue, _points(source, year), year))


def missing(context: Context, county: CountyView) -> None:
    frame = _missing_frame(context.source, county.year, county.month)
    if frame.empty:
        st.success(f"所有單位都已填報 {month_label(county.year, county.month)} 的全部項目。")
        return
    st.caption(f"以下單位的 {month_label(county.year, county.month)} 還有項目沒有填報（空白不是 0）：")
    st.dataframe(frame, hide_index=True, width="stretch", key="county_missing", placeholder=MISSING,
                 column_config={"未填報的項目": st.column_config.TextColumn(width="large")})


def multi_year(context: Context, unit_points: list[MultiYearPoints]) -> None:
    if not unit_points:
        st.info("本年度的計畫沒有跨年度計分。")
        return
    rule = unit_points[0].rule
    st.caption(f"指標 {rule.indicator} 依{rule.source}：{rule.years[0]}～{rule.years[-1]} 年間第一次達標的年度決定該年及以後各年的分數"
               "（" + "、".join(f"{year} 年 {value:g} 分" for year, value in rule.points_by_first_year)
               + "）；「—」為尚無法判定（沒有該年度計畫或數字）。")
    # No Styler: the grid's own number format writes these as _shown would (112, 10, 2.5), the placeholder the
    # missing ones, and a Styler's display values cost more than the rest of the table.
    st.dataframe(_points_frame(context.source, context.year), hide_index=True, width="stretch",
                 key="county_multi_year", placeholder=MISSING)


def report_button(context: Context, county: CountyView, unit_points: list[MultiYearPoints]) -> None:
    title = f"新竹縣政府 {county.year} 年度施政計畫共同性指標（統計至 {county.year} 年 {county.month} 月）"
    if context.source.is_sample:
        title = f"範例資料｜{title}"
    st.download_button("下載全府報表（.xlsx：全府比較、未填報單位、跨年度計分）", type="primary", mime=XLSX,
                       data=lambda: build_county_report(county, unit_points, context.catalogue, title=title),
                       file_name=f"全府比較_{county.year}年{county.month}月.xlsx", key="county_report")


# ---- the county briefing (全府簡報): made on request, cached per data version, period and notes' words ----

BRIEFING_STATE = "county_briefing_made"  # what this session's PDF was made of, so its download shows at once
PDF = "application/pdf"
BRIEFING_HELP = ("各單位排名、逐月趨勢圖、落後指標及落後原因、未填報單位、跨年度計分，A4 橫式多頁；"
                 "約需 10～30 秒（單位越多越久）")


def _briefing_notes(context: Context, county: CountyView) -> tuple:
    """The notes of every unit's behind indicators (metrics.outputs.briefing.collect_notes): part of the cache key,
    since a note written since makes another briefing."""
    from metrics.outputs.briefing import behind_ids, collect_notes

    return collect_notes(context.source.store.notes, county.year, county.month, behind_ids(county))


@cached_on_source(max_entries=8)
def _briefing(source: Source, year: int, month: int, notes: tuple):
    """The briefing's model, from the page's own county views (shared, never modified)."""
    from metrics.outputs.briefing import build_briefing

    views = [_view(source, year, earlier) for earlier in range(1, month + 1)]
    return build_briefing(source.catalogue, source.frame, year, month, notes=notes, views=views,
                          label="範例資料" if source.is_sample else "")


@cached_on_source(max_entries=8)
def _chart_images(source: Source, year: int, month: int) -> list[bytes]:
    """The trend charts (the slow part: a browser draws them), kept when only a note changes (shared, never
    modified)."""
    from metrics.outputs.briefing import pdf

    return pdf.chart_images(_briefing(source, year, month, ()))


@cached_on_source(max_entries=8, copied=True)
def _briefing_pdf(source: Source, year: int, month: int, notes: tuple) -> bytes:
    from metrics.outputs.briefing import pdf

    return pdf.build_briefing_pdf(_briefing(source, year, month, notes), images=_chart_images(source, year, month))


@cached_on_source(max_entries=8, copied=True)
def _briefing_xlsx(source: Source, year: int, month: int, notes: tuple) -> bytes:
    from metrics.outputs.briefing import xlsx

    return xlsx.build_briefing_xlsx(_briefing(source, year, month, notes))


def briefing_file_name(year: int, month: int, suffix: str) -> str:
    return f"全府簡報_{year}年{month}月{suffix}"


def briefing_buttons(context: Context, county: CountyView) -> None:
    """「全府簡報（.pdf）」: drawn on request (the trend charts take some seconds) with its progress, then kept for
    the same data version, period and notes; 「全府簡報（.xlsx）」 made when downloaded."""
    from metrics.errors import KpiError
    from ui.report import renderer_problem
    from ui.widgets import escape_markdown

    year, month = county.year, county.month
    pdf_column, xlsx_column = st.columns(2)
    with xlsx_column:
        st.download_button("全府簡報（.xlsx）", mime=XLSX, key="county_briefing_xlsx",
                           data=lambda: _briefing_xlsx(context.source, year, month, _briefing_notes(context, county)),
                           file_name=briefing_file_name(year, month, ".xlsx"),
                           help="排名、逐月分數、落後指標及落後原因（全文）、未填報單位、跨年度計分，數字可加總")
    with pdf_column:
        problem = renderer_problem()
        if problem:
            st.warning(f"本伺服器目前無法產生 PDF 全府簡報：{escape_markdown(problem)}。請洽系統管理者；.xlsx 不受影響。")
            return
        made = st.session_state.get(BRIEFING_STATE)
        base = (context.source.data_version, year, month)
        notes = _briefing_notes(context, county) if made is not None and made[:3] == base else None
        if notes is None or made != (*base, notes):
            if notes is not None:
                st.caption("各單位的落後原因已更新：請重新產生全府簡報。")
            if not st.button("全府簡報（.pdf）", key="county_briefing_make", help=BRIEFING_HELP):
                return
            notes = notes if notes is not None else _briefing_notes(context, county)
            bar = st.progress(0.05, text="計算各單位的逐月分數…")
            try:
                _briefing(context.source, year, month, notes)
                bar.progress(0.2, text="繪製各單位的逐月趨勢圖（約 10～30 秒，單位越多越久）…")
                _chart_images(context.source, year, month)
                bar.progress(0.8, text="排版 PDF…")
                _briefing_pdf(context.source, year, month, notes)
            except KpiError as error:
                bar.empty()
                st.error(f"全府簡報產生失敗：{escape_markdown(error)}")
                return
            bar.empty()
            st.session_state[BRIEFING_STATE] = (*base, notes)
        st.download_button("下載全府簡報（.pdf）", data=_briefing_pdf(context.source, year, month, notes), mime=PDF,
                           key="county_briefing_pdf", type="primary", file_name=briefing_file_name(year, month, ".pdf"))
