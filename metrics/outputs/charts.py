"""Plotly figures of the dashboard, as plain functions of the evaluation (no streamlit here).

Ratio actuals are already in percent points (86.21), so a gauge shows them with a "%" suffix
rather than a ".1%" format, which would multiply by 100 again.
"""

from __future__ import annotations

import html
import math
from fractions import Fraction

import pandas as pd
import plotly.graph_objects as go

from metrics.evaluation.core import BEHIND, MET, ON_TRACK, IndicatorResult
from metrics.plans.formulas import NO_DATA, NOT_APPLICABLE
from metrics.plans.plan import Indicator
from metrics.texts import escaped

STATUS_COLOURS: dict[str, str] = {
    MET: "#2e7d32",
    ON_TRACK: "#f9a825",
    BEHIND: "#c62828",
    NO_DATA: "#9e9e9e",
    NOT_APPLICABLE: "#9e9e9e",
}
BAND_COLOURS: dict[str, str] = {  # lighter tints of the status colours, for the gauge's background bands
    BEHIND: "#f8d7d7",
    ON_TRACK: "#fdefc3",
    MET: "#d7ecd9",
}
TARGET_COLOUR = "#1a237e"
TEXT_COLOUR = "#1b1b1b"
FONT_FAMILY = "'Noto Sans TC', 'Microsoft JhengHei', 'PingFang TC', 'Heiti TC', sans-serif"
VALUE_FORMAT = ",.2~f"  # thousands separators, up to two decimals, trailing zeros dropped


def value_suffix(indicator: Indicator) -> str:
    return "%" if indicator.unit == "%" else f" {escaped(indicator.unit)}"


def axis_maximum(result: IndicatorResult) -> float:
    """The gauge's end: 100 for percentages (more when a rate exceeds it), else room above the target."""
    target = float(result.target)
    actual = float(result.actual) if result.actual is not None else 0.0
    if result.indicator.unit == "%":
        return max(100.0, actual, target)
    return float(math.ceil(max(target * 1.25, actual * 1.05, target + 1)))


def axis_minimum(result: IndicatorResult) -> float:
    """The gauge's start: 0, or room below a negative value or target (a growth rate that fell, a target of −10 %)."""
    lowest = min(0.0, float(result.target), float(result.actual) if result.actual is not None else 0.0)
    return 0.0 if lowest >= 0 else float(math.floor(lowest * 1.25))


def drawn_pace(result: IndicatorResult) -> Fraction | None:
    """The pace a gauge draws and compares with: an accruing indicator's target × M ÷ 12, or the kind's own (a
    milestone's stage planned by M, which its status follows)."""
    if result.pace is not None:
        return result.pace
    return result.indicator.kind.drawn_pace(result.indicator, result.as_of_month)


def gauge_bands(result: IndicatorResult, maximum: float, minimum: float = 0.0) -> list[dict[str, object]]:
    """Below pace / on pace / met where a pace applies; below target / met otherwise."""
    pace = drawn_pace(result)
    pace = None if pace is None else float(pace)
    spans = result.indicator.direction.bands(float(result.target), pace, maximum, minimum)
    return [{"range": [start, end], "color": BAND_COLOURS[status], "name": status}
            for status, start, end in spans if end > start]


def gauge_title(result: IndicatorResult) -> str:
    indicator = result.indicator  # Plotly reads HTML (links too) in titles: a plan's names are escaped as text
    return (f"<b>{_label(indicator.id)} {_label(indicator.short_name)}</b><br>"
            f"<span style='font-size:0.75em'>目標 {_label(result.target_text)}｜{result.status_label}"
            "</span>")


STAGE_LINE = 5  # characters of a stage name on one line of the gauge's axis
STAGED_MARGIN = 60  # pixels beside a milestone's gauge: its first and last stage names stand outside the arc


def stage_label(text: str) -> str:
    """A stage name as an axis label: on lines of at most STAGE_LINE characters, split evenly ('完成土<br>地規劃',
    not '完成土地規<br>劃'), each escaped (a line break never falls inside an escape)."""
    raw = escaped(text)
    lines = -(-len(raw) // STAGE_LINE) or 1
    size = -(-len(raw) // lines) or 1
    return "<br>".join(html.escape(raw[start:start + size]) for start in range(0, len(raw), size)) or html.escape(raw)


def _label(text: str) -> str:
    """A plan's text inside a chart: HTML escaped, and any control character a plan saved before the cleaning
    rule holds shown as an escape (an SVG cannot hold it: the PDF's gauges would fail to draw)."""
    return html.escape(escaped(text))


def delta_reference(result: IndicatorResult) -> tuple[float, str] | None:
    """What the gauge's delta compares the value with, and the words for it: the pace (the cumulative target for
    this month) while an accruing indicator is below its target (a ceiling: not over it), otherwise the year's
    target. A unit on pace thus reads green, not a red shortfall against the whole year's target; a ceiling past its
    pace reads red. None when there is nothing to compare."""
    if result.actual is None:
        return None
    direction = result.indicator.direction
    # The pace decides while the year's target does not: a rising count below its target, a ceiling not yet over
    # its (the status says 落後 beyond the pace, so the gauge must not read "−287 件" in green against the target).
    undecided = direction.passed(result.actual, result.target) != direction.higher_is_better
    pace = drawn_pace(result)
    if pace is not None and pace < result.target and undecided:
        reference, words = pace, "較進度 "
    else:
        reference, words = result.target, "較目標 "
    if result.actual == reference:
        return None
    return float(reference), words


def delta_suffix(indicator: Indicator) -> str:
    """A difference of two percentages is in percentage points, not percent."""
    return " 個百分點" if indicator.unit == "%" else f" {escaped(indicator.unit)}"


def gauge_figure(result: IndicatorResult, *, height: int = 250, template: object = None,
                 validated: bool = True) -> go.Figure:
    """One indicator as a gauge: the value in its unit, the target as the threshold line,
    coloured bands, and the difference from the pace or the target. `template`: Plotly's layout template to
    use instead of the default one (given, the default is never copied into the figure: half its build time).
    validated=False skips Plotly's checks of every property (three quarters of the build): the same JSON is drawn
    (tests/test_charts.py compares both), but the properties read back are as given (lists, not tuples)."""
    given: dict[str, object] = {} if validated else {"_validate": False}
    suffix = value_suffix(result.indicator)
    maximum, minimum = axis_maximum(result), axis_minimum(result)
    has_value = result.actual is not None
    compared = delta_reference(result)
    mode = "gauge+number+delta" if compared is not None else "gauge+number"
    axis: dict[str, object] = {"range": [minimum, maximum], "tickformat": ",~f", "ticksuffix": "%" if suffix == "%" else ""}
    if suffix != "%" and maximum <= 10:
        axis["dtick"] = 1  # counts: no half cases on the scale
    ticks = result.indicator.kind.axis_ticks(result.indicator)
    if ticks:  # a milestone's stage names along the axis, wrapped and smaller so that the end ones are not cut
        axis.update(tickmode="array", tickvals=[value for value, _ in ticks],
                    ticktext=[stage_label(text) for _, text in ticks], tickfont={"size": 10})
    delta: dict[str, object] = {}
    if compared is not None:
        reference, words = compared
        better, worse = STATUS_COLOURS[MET], STATUS_COLOURS[BEHIND]
        if not result.indicator.direction.higher_is_better:  # a ceiling: more is worse
            better, worse = worse, better
        # The sign is the number's own ("+3", "−97"): Plotly's ▲/▼ symbols would stand next to a minus sign.
        delta = {"reference": reference, "prefix": words, "suffix": delta_suffix(result.indicator),
                 "valueformat": "+" + VALUE_FORMAT, "font": {"size": 13},
                 "increasing": {"color": better, "symbol": ""},
                 "decreasing": {"color": worse, "symbol": ""}}
    if has_value:  # an empty or None property is left out: checked, Plotly leaves it out of the figure itself
        given["value"] = float(result.actual)
    if delta:
        given["delta"] = delta
    indicator = go.Indicator(
        mode=mode if has_value else "gauge",
        number={"suffix": suffix, "valueformat": VALUE_FORMAT, "font": {"size": 26, "color": TEXT_COLOUR}},
        title={"text": gauge_title(result), "font": {"size": 15}},
        domain={"x": [0, 1], "y": [0, 1]},
        gauge={
            "shape": "angular",
            "axis": axis,
            "bar": {"color": STATUS_COLOURS[result.status], "thickness": 0.35},
            "steps": gauge_bands(result, maximum, minimum),
            "threshold": {"line": {"color": TARGET_COLOUR, "width": 4}, "thickness": 0.9,
                          "value": float(result.target)},
        },
        **given,
    )
    side = STAGED_MARGIN if ticks else 45
    layout: dict[str, object] = {} if template is None else {"template": template}
    # Given whole at construction: update_layout and add_annotation walk Plotly's property paths even unvalidated.
    layout.update(height=height, margin={"l": side, "r": side, "t": 70, "b": 10}, font={"family": FONT_FAMILY},
                  paper_bgcolor="rgba(0,0,0,0)")
    if not has_value:
        layout["annotations"] = [{"text": result.status_label, "x": 0.5, "y": 0.15, "showarrow": False,
                                  "font": {"size": 22, "color": STATUS_COLOURS[result.status]}}]
    return go.Figure(indicator, layout=layout, **({} if validated else {"_validate": False}))


# Months as numbers with 「月」 after them, level: on a narrow screen Plotly shows every other month rather than
# turning the labels sideways and cutting them.
MONTH_AXIS = {"tickmode": "auto", "tickformat": "d", "ticksuffix": "月", "tickangle": 0, "range": [0.5, 12.5]}


def series_figure(series: pd.DataFrame, indicator: Indicator, *, year: int, height: int = 380) -> go.Figure:
    """The monthly series of an indicator: the month's own value as bars (flows), the year-to-date
    value as a line, the pace line toward the target (accruing indicators) and the target."""
    suffix = value_suffix(indicator)
    hover = f"%{{x}}月：%{{y:{VALUE_FORMAT}}}{suffix}<extra>%{{fullData.name}}</extra>"
    figure = go.Figure()
    if series["monthly"].notna().any():
        figure.add_bar(x=series["month"], y=series["monthly"], name=indicator.kind.monthly_label,
                       marker_color="#90caf9", hovertemplate=hover)
    figure.add_scatter(x=series["month"], y=series["actual"], name="年初至當月實際值", mode="lines+markers",
                       line={"color": "#1565c0", "width": 3}, hovertemplate=hover)
    if series["pace"].notna().any():
        figure.add_scatter(x=series["month"], y=series["pace"], name="進度線（目標 × 月數 ÷ 12）", mode="lines",
                           line={"color": STATUS_COLOURS[ON_TRACK], "dash": "dash"}, hovertemplate=hover)
    figure.add_scatter(x=series["month"], y=series["target"], name="目標值", mode="lines",
                       line={"color": TARGET_COLOUR, "dash": "dot"}, hovertemplate=hover)
    # The months need no axis title (the year is in the chart's title), so the legend below has the room to
    # itself; the unit stands level above the value axis instead of rotated along it.
    figure.update_layout(
        title={"text": f"{year}年 {_label(indicator.id)} {_label(indicator.short_name)}：每月趨勢"}, height=height,
        font={"family": FONT_FAMILY}, legend={"orientation": "h", "x": 0, "y": -0.12, "yanchor": "top"},
        margin={"l": 50, "r": 20, "t": 80, "b": 60}, yaxis={"tickformat": ",~f", "rangemode": "tozero"},
        xaxis=MONTH_AXIS,
    )
    figure.add_annotation(text=f"單位：{_label(indicator.unit)}", xref="paper", yref="paper", x=0, y=1, xanchor="left",
                          yanchor="bottom", yshift=8, showarrow=False, font={"size": 13})
    if not indicator.kind.has_denominator and indicator.target <= 10:
        figure.update_yaxes(dtick=1)  # counts: no half cases on the scale
    return figure


def score_figure(series: pd.DataFrame, *, year: int, height: int = 300) -> go.Figure:
    """The weighted score month by month (0–100) with the score of a unit exactly on pace."""
    hover = "%{x}月：%{y:,.2f} 分<extra>%{fullData.name}</extra>"
    figure = go.Figure()
    figure.add_scatter(x=series["month"], y=series["score"], name="加權分數", mode="lines+markers",
                       line={"color": "#1565c0", "width": 3}, hovertemplate=hover)
    figure.add_scatter(x=series["month"], y=series["pace"], name="進度線（依進度應有的分數）", mode="lines",
                       line={"color": STATUS_COLOURS[ON_TRACK], "dash": "dash"}, hovertemplate=hover)
    figure.update_layout(
        title={"text": f"{year}年 加權分數逐月變化"}, height=height, font={"family": FONT_FAMILY},
        legend={"orientation": "h", "y": -0.25}, margin={"l": 50, "r": 20, "t": 50, "b": 40},
        yaxis={"title": {"text": "分"}, "range": [0, 105]}, xaxis=MONTH_AXIS,
    )
    return figure
