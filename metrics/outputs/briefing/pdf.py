"""The county briefing as an A4 landscape PDF of several pages: the ranking, each unit's score month by month as
small charts (the dashboard's score chart, drawn by Plotly's static export as the monthly PDF's gauges are), the
behind indicators with their 落後原因 and 改進措施, the units that have not reported, goal 6's multi-year points.

Every page's head names the county, the year, the as-of month and when the data were read (and 範例資料 for the
sample). The font, the browser and the glyph check are the monthly PDF's (metrics.outputs.pdf_report).
"""

from __future__ import annotations

import copy
import html
import math
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from metrics.outputs.briefing.model import (BEHIND, MET, NO_DATA, ON_TRACK, Briefing, UnitBrief, quarter_score,
                                            score_series, score_text)
from metrics.outputs.pdf_report import (FONT, POINT, TRUNCATED, check_glyphs, find_browser, find_font, render_images,
                                        set_up_document, wrapped_lines)
from metrics.plans.formulas import format_number
from metrics.texts import escaped, visible

PAGE_WIDTH, PAGE_HEIGHT = 297.0, 210.0  # A4 landscape, millimetres
MARGIN = 10.0
TOP = 16.0  # below the running head
BOTTOM = PAGE_HEIGHT - 12.0  # above the page number
USABLE = PAGE_WIDTH - 2 * MARGIN
PADDING = 0.9
CHART_PIXELS = (420, 300)  # one unit's chart, CSS pixels
CHART_COLUMNS, CHART_ROWS = 3, 2
NOTE_LINES = 10  # a 落後原因 longer than this is cut, pointing to the .xlsx briefing
HEADER_FILL = (217, 225, 242)
STATUS_FILLS = {"達標": "E2EFDA", "符合進度": "DDEBF7", "落後": "FCE4D6", "未達標": "FCE4D6"}
Progress = Callable[[float, str], None]


def shown(text: object) -> str:
    """Stored text as the PDF prints it: control characters visible (metrics.texts.visible), tabs as spaces."""
    return visible("" if text is None else text).replace("\t", "  ")


@dataclass(frozen=True)
class Column:
    header: str
    width: float
    align: str = "L"  # L or C
    limit: int | None = None  # most lines a cell shows


# ---- the charts ----

def unit_figure(briefing: Briefing, unit: UnitBrief):
    """The dashboard's score chart (metrics.outputs.charts.score_figure) of the unit's common score."""
    from metrics.outputs.charts import score_figure

    figure = score_figure(score_series(unit), year=briefing.year, height=CHART_PIXELS[1])
    figure.update_layout(title={"text": html.escape(escaped(unit.name))})
    return figure


def chart_sheet(briefing: Briefing, units: Sequence[UnitBrief]):
    """Up to CHART_COLUMNS × CHART_ROWS units' charts as one figure (one browser drawing a page, not a chart each):
    each chart's traces in its own cell, its axes as the chart has them, one legend for all."""
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    rows = max(1, math.ceil(len(units) / CHART_COLUMNS))
    titles = [html.escape(escaped(_chart_title(unit))) for unit in units]
    sheet = make_subplots(rows=rows, cols=CHART_COLUMNS, subplot_titles=titles, horizontal_spacing=0.06,
                          vertical_spacing=0.2 if rows > 1 else 0.1)
    for index, unit in enumerate(units):
        figure = unit_figure(briefing, unit)
        row, column = divmod(index, CHART_COLUMNS)
        for trace in figure.data:
            placed = copy.deepcopy(trace)
            placed.showlegend = index == 0
            placed.legendgroup = placed.name
            sheet.add_trace(placed, row=row + 1, col=column + 1)
        axis_keys = {"domain", "anchor"}
        sheet.update_xaxes({key: value for key, value in figure.layout.xaxis.to_plotly_json().items()
                            if key not in axis_keys}, row=row + 1, col=column + 1)
        sheet.update_yaxes({key: value for key, value in figure.layout.yaxis.to_plotly_json().items()
                            if key not in axis_keys}, row=row + 1, col=column + 1)
        if all(score is None for score in unit.monthly):
            sheet.add_annotation(text="尚無資料", x=6.5, y=50, showarrow=False, font={"size": 16, "color": "#757575"},
                                 row=row + 1, col=column + 1)
    for annotation in sheet.layout.annotations:
        annotation.font = {"size": 14}
    width, height = CHART_COLUMNS * CHART_PIXELS[0], rows * CHART_PIXELS[1] + 40
    sheet.update_layout(width=width, height=height, font={"family": unit_figure_font()}, paper_bgcolor="white",
                        plot_bgcolor="white", margin={"l": 40, "r": 20, "t": 40, "b": 60},
                        legend={"orientation": "h", "x": 0.5, "xanchor": "center", "y": -0.04 * (3 - rows),
                                "yanchor": "top"})
    sheet.update_xaxes(showgrid=True, gridcolor="#e0e0e0", tickmode="linear", tick0=3, dtick=3)  # the quarters' ends
    sheet.update_yaxes(showgrid=True, gridcolor="#e0e0e0")
    return go.Figure(sheet)


def unit_figure_font() -> str:
    from metrics.outputs.charts import FONT_FAMILY

    return FONT_FAMILY


def _chart_title(unit: UnitBrief) -> str:
    rank = f"第 {unit.rank} 名｜" if unit.rank is not None else ""
    return f"{rank}{unit.name}｜{score_text(unit.score)}"


def chart_pages(briefing: Briefing) -> list[list[UnitBrief]]:
    per_page = CHART_COLUMNS * CHART_ROWS
    units = list(briefing.units)
    return [units[start:start + per_page] for start in range(0, len(units), per_page)]


# ---- the document ----

def chart_images(briefing: Briefing, *, browser: str | os.PathLike | None = None) -> list[bytes]:
    """The trend charts' pages as PNG images, one browser for all. They depend on the scores and names only, not on
    the notes: a page may keep them while a note changes."""
    pages = chart_pages(briefing) if briefing.has_data else []
    browser_path = find_browser(browser)
    return render_images([chart_sheet(briefing, units) for units in pages], browser_path) if pages else []


def build_briefing_pdf(briefing: Briefing, *, font: str | os.PathLike | None = None,
                       browser: str | os.PathLike | None = None, progress: Progress | None = None,
                       images: Sequence[bytes] | None = None) -> bytes:
    """The briefing as A4 landscape pages; `progress(share, words)` is told as the charts and pages are made;
    `images`: chart_images of the same scores, when the caller has them already."""
    from fpdf import FPDF

    say = progress or (lambda share, words: None)
    font_file = find_font(font)
    pages = chart_pages(briefing) if briefing.has_data else []
    if images is None:
        say(0.1, "繪製各單位的逐月趨勢圖…")
        images = chart_images(briefing, browser=browser)
    if len(images) != len(pages):
        raise ValueError(f"{len(images)} chart images for {len(pages)} pages")
    say(0.7, "排版 PDF…")

    written: list[str] = []

    class Document(FPDF):
        def header(self) -> None:
            self.set_font(FONT, size=8)
            self.set_text_color(90, 90, 90)
            _put(self, written, MARGIN, 6, USABLE / 2, 5, briefing.title, "L")
            _put(self, written, MARGIN + USABLE / 2, 6, USABLE / 2, 5, briefing.heading, "R")
            self.set_draw_color(160, 160, 160)
            self.set_line_width(0.2)
            self.line(MARGIN, 12, PAGE_WIDTH - MARGIN, 12)
            self.set_text_color(27, 27, 27)
            self.set_xy(MARGIN, TOP)

        def footer(self) -> None:
            self.set_font(FONT, size=8)
            self.set_text_color(90, 90, 90)
            _put(self, written, MARGIN, PAGE_HEIGHT - 9, USABLE, 5, f"第 {self.page_no()} 頁，共 {{nb}} 頁", "C")
            self.set_text_color(27, 27, 27)

    document = Document(orientation="L", unit="mm", format="A4")
    set_up_document(document, font_file, margin=MARGIN, top=MARGIN)
    document.set_title(shown(briefing.title))
    document.alias_nb_pages()
    writer = _Writer(document, written)
    writer.cover(briefing)
    if briefing.units:
        writer.ranking(briefing)
        if images:
            writer.charts(briefing, pages, images)
        writer.behind(briefing)
        writer.not_reported(briefing)
        writer.multi_year(briefing)
    check_glyphs(font_file, "".join(written).replace("{nb}", ""))
    say(1.0, "完成")
    return bytes(document.output())


def _put(document, written: list[str], x: float, y: float, width: float, height: float, text: str,
         align: str) -> None:
    text = shown(text)
    written.append(text)
    document.set_xy(x, y)
    document.cell(width, height, text, align=align)


class _Writer:
    """The body, flowing down the pages: a table row that does not fit starts a page and repeats its header."""

    def __init__(self, document, written: list[str]) -> None:
        self.document = document
        self.written = written
        self.y = TOP

    def text(self, text: str, *, size: float = 9, height: float | None = None, align: str = "L",
             width: float = USABLE) -> None:
        document = self.document
        document.set_font(FONT, size=size)
        line_height = height or size * POINT * 1.45
        lines = wrapped_lines(document, shown(text), width)
        self.room(len(lines) * line_height)
        for line in lines:
            _put(document, self.written, MARGIN, self.y, width, line_height, line, align)
            self.y += line_height

    def gap(self, height: float) -> None:
        self.y += height

    def room(self, height: float) -> None:
        if self.y + height > BOTTOM:
            self.page()

    def page(self) -> None:
        self.document.add_page()
        self.y = TOP

    def section(self, title: str, *, new_page: bool = False) -> None:
        if new_page or self.y + 45 > BOTTOM:  # the title, its words and the table's first rows stay together
            self.page()
        else:
            self.gap(3)
        self.text(title, size=12)
        self.gap(1)

    def table(self, columns: Sequence[Column], rows: Sequence[Sequence[str]], *, size: float = 8,
              fills: Sequence[Sequence[str | None]] | None = None, caption: str = "") -> None:
        """Rows under a header repeated on each page; `caption` (the unit's name) heads a continued table."""
        document = self.document
        document.set_font(FONT, size=size)
        line_height = size * POINT * 1.3
        header = [wrapped_lines(document, shown(column.header), column.width - 2 * PADDING) for column in columns]
        header_height = max(len(lines) for lines in header) * line_height + 2 * PADDING

        def draw_header() -> None:
            document.set_fill_color(*HEADER_FILL)
            x = MARGIN
            for column, lines in zip(columns, header):
                self.cell(x, self.y, column.width, header_height, lines, line_height, "C", fill=True)
                x += column.width
            self.y += header_height

        self.room(header_height + line_height + 2 * PADDING)
        draw_header()
        for index, row in enumerate(rows):
            cells = []
            for column, value in zip(columns, row):
                lines = wrapped_lines(document, shown(value), column.width - 2 * PADDING)
                if column.limit is not None:
                    lines = _cut(document, lines, column.width - 2 * PADDING, column.limit)
                cells.append(lines)
            height = max(len(lines) for lines in cells) * line_height + 2 * PADDING
            if self.y + height > BOTTOM:
                self.page()
                if caption:
                    self.text(f"{caption}（續）", size=9.5)
                document.set_font(FONT, size=size)
                draw_header()
            x = MARGIN
            for position, (column, lines) in enumerate(zip(columns, cells)):
                colour = fills[index][position] if fills else None
                if colour:
                    document.set_fill_color(*(int(colour[start:start + 2], 16) for start in (0, 2, 4)))
                self.cell(x, self.y, column.width, height, lines, line_height, column.align, fill=bool(colour))
                x += column.width
            self.y += height

    def cell(self, x: float, y: float, width: float, height: float, lines: Sequence[str], line_height: float,
             align: str, *, fill: bool = False) -> None:
        document = self.document
        document.set_draw_color(128, 128, 128)
        document.set_line_width(0.15)
        document.rect(x, y, width, height, style="DF" if fill else "D")
        top = y + (height - len(lines) * line_height) / 2
        for number, line in enumerate(lines):
            _put(document, self.written, x + PADDING, top + number * line_height, width - 2 * PADDING, line_height,
                 line, align)

    # ---- the parts ----

    def cover(self, briefing: Briefing) -> None:
        self.page()
        self.text(briefing.title, size=16, align="C")
        self.text(briefing.heading, size=10, align="C")
        self.gap(2)
        if briefing.empty_text:
            self.text(briefing.empty_text, size=11, align="C")
            self.gap(2)
        if not briefing.units:
            return
        common = "、".join(f"{indicator_id} {name}" for indicator_id, name in briefing.indicators) or "（無）"
        self.text(f"共 {len(briefing.units)} 個單位。名次依共同性指標（{common}）的加權分數：各項達成率（超過 100% 者以 100% "
                  "計）乘以權重後加總，再除以權重合計；尚無數字的單位不排名。各單位的「達標」「落後」等項數計其計畫的全部指標；"
                  "「—」為尚無資料。", size=8.5)

    def ranking(self, briefing: Briefing) -> None:
        self.section("一、共同性指標加權分數排名")
        quarters = briefing.quarters
        fixed = [Column("名次", 12, "C"), Column("單位", 0), Column("共同性指標加權分數", 24, "C"),
                 *(Column(f"{label}（{month}月）" if "至" not in label else label, 20, "C") for label, month in quarters),
                 Column("本身計畫加權分數", 22, "C"), Column("達標", 12, "C"), Column("符合進度", 14, "C"),
                 Column("落後", 12, "C"), Column("無資料", 13, "C"), Column("未填報項目", 17, "C")]
        spare = USABLE - sum(column.width for column in fixed)
        name_width = min(spare, 60.0)
        widen = 1 + (spare - name_width) / sum(column.width for column in fixed)  # the rest to the numbers
        columns = [Column("單位", name_width) if column.header == "單位" else
                   Column(column.header, column.width * widen, column.align) for column in fixed]
        rows = []
        for unit in briefing.units:
            rows.append(["—" if unit.rank is None else str(unit.rank), unit.name, score_text(unit.score),
                         *(score_text(quarter_score(unit, month)) for _, month in quarters),
                         score_text(unit.own_score), str(unit.count(MET)), str(unit.count(ON_TRACK)),
                         str(unit.count(BEHIND)), str(unit.count(NO_DATA)),
                         f"{len(unit.missing_fields)} / {unit.field_count}" if unit.missing_fields else "—"])
        self.table(columns, rows, size=8.5)
        self.text("季別欄為該季最後一個月（本季未結束者為統計月份）的共同性指標加權分數；「未填報項目」為統計月份未填報的項目數／"
                  "填報項目總數。", size=7.5)

    def charts(self, briefing: Briefing, pages: Sequence[Sequence[UnitBrief]], images: Sequence[bytes]) -> None:
        for number, (units, image) in enumerate(zip(pages, images)):
            self.section("二、各單位共同性指標加權分數逐月變化" + ("（續）" if number else ""), new_page=True)
            if not number:
                self.text("藍線為各月份統計的共同性指標加權分數，虛線為依進度應有的分數（累計型指標以目標 × 月數 ÷ 12 計）。",
                          size=8)
            rows = max(1, math.ceil(len(units) / CHART_COLUMNS))
            height = USABLE * (rows * CHART_PIXELS[1] + 40) / (CHART_COLUMNS * CHART_PIXELS[0])
            height = min(height, BOTTOM - self.y)
            width = height * (CHART_COLUMNS * CHART_PIXELS[0]) / (rows * CHART_PIXELS[1] + 40)
            self.document.image(image, x=MARGIN + (USABLE - width) / 2, y=self.y, w=width, h=height)
            self.y += height

    def behind(self, briefing: Briefing) -> None:
        self.section("三、各單位落後指標及落後原因", new_page=True)
        columns = [Column("績效指標", 48), Column("狀態", 13, "C"), Column("實際值", 21, "C"), Column("目標值", 21, "C"),
                   Column("差距", 34), Column("落後原因", 70, limit=NOTE_LINES), Column("改進措施", 70, limit=NOTE_LINES)]
        without = []
        for unit in briefing.units:
            if not unit.behind:
                without.append(unit.name)
                continue
            rank = f"第 {unit.rank} 名｜" if unit.rank is not None else "未排名｜"
            self.room(30)
            self.gap(2)
            self.text(f"{rank}{unit.name}｜共同性指標加權分數 {score_text(unit.score)}｜全部 {unit.indicator_count} 項指標："
                      f"達標 {unit.count(MET)} 項、符合進度 {unit.count(ON_TRACK)} 項、落後 {unit.count(BEHIND)} 項、"
                      f"無資料 {unit.count(NO_DATA)} 項", size=9.5)
            rows, fills = [], []
            for item in unit.behind:
                note = item.note
                when = "" if note is None or note.month == briefing.month else f"（{note.month}月填寫）"
                reason = (when + note.reason) if note is not None and note.reason else "（未填寫）"
                action = (when + note.action) if note is not None and note.action else "（未填寫）"
                rows.append([f"{item.indicator_id} {item.name}" + ("（共同性）" if item.common else ""), item.status,
                             item.actual_text, item.target_text, item.gap_text, reason, action])
                fills.append([None, STATUS_FILLS.get(item.status), None, None, None, None, None])
            self.table(columns, rows, fills=fills, caption=f"{rank}{unit.name}")
        self.gap(1)
        if without:
            self.gap(1)
            self.text(f"統計至 {briefing.month} 月沒有落後指標的單位：{'、'.join(without)}。", size=9)
        self.text(f"落後原因與改進措施為各單位填寫於 {briefing.month} 月者；該月未填寫時，列出本年度較早月份最近一次填寫的內容"
                  "並註明月份。過長的內容只列出開頭，全文見 .xlsx 版全府簡報。", size=7.5)

    def not_reported(self, briefing: Briefing) -> None:
        self.section(f"四、尚未填報 {briefing.year} 年 {briefing.month} 月的單位")
        missing = briefing.not_reported
        if not missing:
            self.text(f"所有單位都已填報 {briefing.year} 年 {briefing.month} 月的全部項目。", size=9)
            return
        columns = [Column("單位", 50), Column("未填報項目數", 24, "C"), Column("已填報項目數", 24, "C"),
                   Column("未填報的項目", USABLE - 98)]
        rows = [[unit.name, str(len(unit.missing_fields)), str(unit.field_count - len(unit.missing_fields)),
                 "、".join(unit.missing_fields)] for unit in missing]
        self.table(columns, rows, caption="四、尚未填報的單位")

    def multi_year(self, briefing: Briefing) -> None:
        self.section("五、跨年度計分")
        if not briefing.multi_year_rows:
            self.text("本年度的計畫沒有跨年度計分。", size=9)
            return
        self.text(f"{briefing.multi_year_rule}；「—」為尚無法判定（沒有該年度計畫或數字）。", size=8.5)
        count = len(briefing.multi_year_columns)
        other = min(30.0, (USABLE - 50) / max(count - 1, 1))
        columns = [Column(header, 50 if index == 0 else other, "L" if index == 0 else "C")
                   for index, header in enumerate(briefing.multi_year_columns)]
        self.table(columns, [[_value(value) for value in row] for row in briefing.multi_year_rows], caption="五、跨年度計分")


def _value(value: object) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        from fractions import Fraction

        return format_number(Fraction(str(value)))
    return str(value)


def _cut(document, lines: list[str], usable: float, limit: int) -> list[str]:
    if len(lines) <= limit:
        return lines
    last = lines[limit - 1]
    while last and document.get_string_width(last + TRUNCATED) > usable:
        last = last[:-1]
    return lines[:limit - 1] + [last + TRUNCATED]
