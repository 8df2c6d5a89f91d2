"""The month's report as a PDF: one A4 landscape page per unit and month, with the unit's gauges, the
indicator table (the rows of the .xlsx report), the weighted score and the notes, in Traditional Chinese.

The gauges are the dashboard's own figures (metrics.outputs.charts.gauge_figure) drawn by Plotly's static export
(kaleido, driving an installed Chromium; one browser for the whole report). The text is set by fpdf2 with
the Noto Sans CJK TC face embedded. A machine without the font or the browser gets RenderingUnavailable,
saying what to install; the report is never drawn with a fallback font that would print empty boxes.
"""

from __future__ import annotations

import asyncio
import functools
import math
import os
import shutil
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from metrics.errors import KpiError, RenderingUnavailable
from metrics.outputs.presentation import CENTRED_COLUMNS, report_columns

if TYPE_CHECKING:
    import plotly.graph_objects as go

    from metrics.evaluation.core import Evaluation
    from metrics.outputs.presentation import NoteLike

FONT_ENVIRONMENT = "KPI_PDF_FONT"  # a .ttc/.otf/.ttf with Traditional Chinese, instead of the usual places
BROWSER_ENVIRONMENT = "BROWSER_PATH"  # kaleido's own variable: the Chromium (or Chrome) to draw the gauges with
FONT_CANDIDATES = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",  # Debian, Ubuntu: fonts-noto-cjk
    "/usr/share/fonts/google-noto-cjk/NotoSansCJK-Regular.ttc",  # Fedora: google-noto-sans-cjk-fonts
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",  # Arch: noto-fonts-cjk
    "/usr/share/fonts/opentype/noto/NotoSansCJKtc-Regular.otf",
)
BROWSER_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome")
FONT_HINT = "請安裝 fonts-noto-cjk（Debian／Ubuntu：apt-get install fonts-noto-cjk），或以環境變數 KPI_PDF_FONT 指定字型檔"
BROWSER_HINT = ("請安裝 Chromium（Debian：apt-get install chromium），或以環境變數 BROWSER_PATH 指定 Chromium／Chrome 的位置")
TRUNCATED = "…（全文見 .xlsx 報表）"

PAGE_WIDTH, PAGE_HEIGHT = 297.0, 210.0  # A4 landscape, in millimetres
FONT = "NotoSansCJK"  # the name the embedded face goes by in every PDF set here
MARGIN = 8.0
GAUGE_PIXELS = (320, 250)  # the figure's size in CSS pixels; drawn at twice that for print
GAUGE_SCALE = 2
GAUGE_COLUMNS = 7
FONT_SIZES = (7.5, 7.0, 6.5, 6.0, 5.5)  # points, largest first: the table takes the largest that fits
NOTE_LINE_LIMITS = (8, 6, 4, 3, 2, 1)
PADDING = 0.8  # millimetres inside a table cell
POINT = 25.4 / 72

# (row key, header, width in millimetres): the .xlsx report's columns, 281 mm in all
COLUMNS = report_columns({"goal": 36, "indicator": 36, "weight": 11, "target": 15, "actual": 15, "achievement": 12,
                          "status": 13, "gap": 31, "projection": 15, "reason": 48.5, "action": 48.5})
NO_LINE_START = frozenset("，。、；：！？）」』】》〉,.;:!?)%")
NOTE_KEYS = frozenset({"reason", "action"})


@dataclass(frozen=True)
class FontFile:
    path: Path
    face: int  # the face within a .ttc collection (0 for a single font)


@dataclass(frozen=True)
class ReportPage:
    """What one page shows: the .xlsx report's title, subtitle and rows, and the unit's gauges."""

    title: str
    subtitle: str
    rows: Sequence[Mapping[str, object]]
    gauges: Sequence[go.Figure]  # in the plan's order


def report_page(evaluation: Evaluation, notes: Mapping[str, NoteLike] | None = None, *, label: str = "") -> ReportPage:
    """The page of one unit and month: the same heading and rows as the .xlsx report, the overview's gauges."""
    from metrics.outputs.charts import gauge_figure
    from metrics.outputs.presentation import report_heading
    from metrics.outputs.report import report_values

    title, subtitle = report_heading(evaluation, label=label)
    return ReportPage(title, subtitle, report_values(evaluation, notes),
                      [gauge_figure(result, height=GAUGE_PIXELS[1]) for result in evaluation.results])


def find_font(path: str | os.PathLike | None = None) -> FontFile:
    """The font to embed: `path`, else $KPI_PDF_FONT, else Noto Sans CJK where Linux distributions put it; in a
    collection, the Traditional Chinese face."""
    explicit = path if path is not None else os.environ.get(FONT_ENVIRONMENT) or None
    if explicit is not None:
        candidate = Path(explicit)
        if not candidate.is_file():
            raise RenderingUnavailable(f"找不到中文字型檔「{candidate}」（{FONT_ENVIRONMENT} 或參數所指定）；{FONT_HINT}")
        return FontFile(candidate, _traditional_face(candidate))
    for name in FONT_CANDIDATES:
        candidate = Path(name)
        if candidate.is_file():
            return FontFile(candidate, _traditional_face(candidate))
    raise RenderingUnavailable(f"找不到中文字型 Noto Sans CJK，無法產生 PDF 報表；{FONT_HINT}")


def _traditional_face(path: Path) -> int:
    if path.suffix.lower() not in {".ttc", ".otc"}:
        return 0
    try:
        status = path.stat()
    except OSError:
        return _face_in_collection(str(path), 0, 0)
    return _face_in_collection(str(path), status.st_mtime_ns, status.st_size)


@functools.lru_cache(maxsize=8)
def _face_in_collection(path: str, modified: int, size: int) -> int:
    """Read once per file as it is (its time and size are in the key: a font replaced is read again): the pages
    that offer a PDF check the font on every rerun, and opening the collection cost more than the check's rest."""
    from fontTools.ttLib import TTCollection

    try:
        collection = TTCollection(path, lazy=True)
        names = [str(font["name"].getDebugName(1) or "") for font in collection.fonts]
    except Exception as error:  # fontTools raises several kinds for a damaged file
        raise RenderingUnavailable(f"中文字型檔「{path}」無法讀取（{error}）；{FONT_HINT}") from None
    for preferred in ("Sans CJK TC", "CJK TC", " TC"):
        for index, name in enumerate(names):
            if preferred in name and "Mono" not in name:
                return index
    return 0


def find_browser(path: str | os.PathLike | None = None) -> str:
    """The Chromium that draws the gauges: `path`, else $BROWSER_PATH, else one on PATH (never a download)."""
    explicit = path if path is not None else os.environ.get(BROWSER_ENVIRONMENT) or None
    if explicit is not None:
        if not Path(explicit).is_file():
            raise RenderingUnavailable(f"找不到繪製儀表圖所需的瀏覽器「{explicit}」（{BROWSER_ENVIRONMENT} 或參數所指定）；"
                                       f"{BROWSER_HINT}")
        return str(explicit)
    for name in BROWSER_NAMES:
        found = shutil.which(name)
        if found:
            return found
    raise RenderingUnavailable(f"找不到繪製儀表圖所需的瀏覽器 Chromium，無法產生 PDF 報表；{BROWSER_HINT}")


def check_renderer(*, font: str | os.PathLike | None = None, browser: str | os.PathLike | None = None) -> None:
    """Raise RenderingUnavailable, with what to install, when this machine cannot draw the PDF report."""
    import importlib.util

    for package in ("fontTools", "fpdf", "kaleido"):
        if importlib.util.find_spec(package) is None:
            raise RenderingUnavailable(f"缺少產生 PDF 報表的套件 {package}；請執行 pip install -r requirements.txt")
    find_font(font)
    find_browser(browser)


def gauge_columns(count: int) -> int:
    """Seven gauges a row; more when a plan has more than fourteen indicators, so they stay on two rows."""
    return max(GAUGE_COLUMNS, math.ceil(count / 2))


def gauge_sheet(figures: Sequence[go.Figure]) -> go.Figure:
    """A page's gauges as one figure, each in a grid cell of GAUGE_PIXELS with the margins it has on its own:
    the browser draws one figure per page (under a second) instead of one per gauge (about half a second each)."""
    import copy

    import plotly.graph_objects as go

    cell_width, cell_height = GAUGE_PIXELS
    columns = gauge_columns(len(figures))
    width, height = columns * cell_width, math.ceil(len(figures) / columns) * cell_height
    sheet = go.Figure()
    for index, figure in enumerate(figures):
        row, column = divmod(index, columns)
        margin = figure.layout.margin
        left = (column * cell_width + (margin.l or 0)) / width
        right = ((column + 1) * cell_width - (margin.r or 0)) / width
        top = 1 - (row * cell_height + (margin.t or 0)) / height
        bottom = 1 - ((row + 1) * cell_height - (margin.b or 0)) / height
        for trace in figure.data:
            placed = copy.deepcopy(trace)
            placed.domain = {"x": [left, right], "y": [bottom, top]}
            sheet.add_trace(placed)
        for annotation in figure.layout.annotations:  # in the gauge's own paper coordinates
            sheet.add_annotation(copy.deepcopy(annotation).update(x=left + annotation.x * (right - left),
                                                                  y=bottom + annotation.y * (top - bottom)))
    sheet.update_layout(width=width, height=height, margin={"l": 0, "r": 0, "t": 0, "b": 0},
                        font=figures[0].layout.font if figures else None, paper_bgcolor="white")
    return sheet


def render_images(figures: Sequence[go.Figure], browser: str) -> list[bytes]:
    """PNG images of the figures at their own size (twice the pixels, for print), all drawn by one browser."""
    import kaleido

    async def draw() -> list[bytes]:
        async with kaleido.Kaleido(n=1, path=browser) as renderer:
            return [await renderer.calc_fig(figure, opts={"format": "png", "width": figure.layout.width,
                                                          "height": figure.layout.height, "scale": GAUGE_SCALE})
                    for figure in figures]

    return _run_alone(draw, browser)


def _run_alone(coroutine: Callable[[], object], browser: str) -> list[bytes]:
    """Run the coroutine on an event loop of its own thread: the caller (Streamlit's script thread) may run one."""
    outcome: dict[str, object] = {}

    def target() -> None:
        try:
            outcome["value"] = asyncio.run(coroutine())
        except BaseException as error:  # handed to the caller's thread
            outcome["error"] = error

    thread = threading.Thread(target=target, name="pdf-report-gauges")
    thread.start()
    thread.join()
    error = outcome.get("error")
    if isinstance(error, (KpiError, KeyboardInterrupt, SystemExit)):
        raise error
    if isinstance(error, BaseException):  # the browser did not start, crashed or timed out; its text is English
        raise RenderingUnavailable(f"瀏覽器「{browser}」無法啟動或繪製儀表圖（{type(error).__name__}）；"
                                   f"{BROWSER_HINT}") from error
    return outcome["value"]  # type: ignore[return-value]


def build_pdf(pages: Sequence[ReportPage], *, font: str | os.PathLike | None = None,
              browser: str | os.PathLike | None = None) -> bytes:
    """One A4 landscape page per ReportPage; the gauges of all pages drawn by one browser, one image a page."""
    from fpdf import FPDF

    font_file = find_font(font)
    browser_path = find_browser(browser)
    pages = [shown_page(page) for page in pages]
    _check_glyphs(font_file, pages)
    drawn = iter(render_images([gauge_sheet(page.gauges) for page in pages if page.gauges], browser_path))

    document = FPDF(orientation="L", unit="mm", format="A4")
    set_up_document(document, font_file, margin=MARGIN, top=MARGIN)
    for page in pages:
        document.add_page()
        document.set_title(page.title)
        _draw_page(document, page, next(drawn) if page.gauges else None)
    return bytes(document.output())


def set_up_document(document, font_file: FontFile, *, margin: float, top: float) -> None:
    """What every PDF set here shares: pages broken by the writer, not fpdf2; no cell margin (cells keep their own
    padding; fpdf2's would push full lines past the border); the dashboard as creator; the font embedded as FONT."""
    document.set_auto_page_break(False)
    document.set_margins(margin, top, margin)
    document.c_margin = 0
    document.set_creator("施政計畫績效指標儀表板")
    document.add_font(FONT, fname=str(font_file.path), collection_font_number=font_file.face)


def shown_page(page: ReportPage) -> ReportPage:
    """The page's texts as a PDF can print them, whatever the store holds: a control character saved before the
    cleaning rule (U+000B, ESC) shown as a line break or a visible escape (metrics.texts.visible), never
    refused as a glyph the font lacks; a tab as spaces."""
    from dataclasses import replace

    from metrics.outputs.report import Quantity
    from metrics.texts import visible

    def shown(value: object) -> object:
        if isinstance(value, str):
            return visible(value).replace("\t", "  ")
        if isinstance(value, Quantity):
            return replace(value, text=visible(value.text).replace("\t", "  "))
        return value

    return replace(page, title=shown(page.title), subtitle=shown(page.subtitle),
                   rows=[{key: shown(value) for key, value in row.items()} for row in page.rows])


def _check_glyphs(font_file: FontFile, pages: Sequence[ReportPage]) -> None:
    check_glyphs(font_file, "".join([TRUNCATED, *(header for _, header, _ in COLUMNS)] + [
        page.title + page.subtitle + "".join(str(value) for row in page.rows for value in row.values())
        for page in pages]))


def check_glyphs(font_file: FontFile, text: str) -> None:
    """A character of `text` the font lacks would print as an empty box: refuse, naming the characters (every PDF
    this project sets checks what it prints here)."""
    from fontTools.ttLib import TTFont

    try:
        covered = TTFont(str(font_file.path), fontNumber=font_file.face, lazy=True).getBestCmap()
    except Exception as error:  # fontTools raises several kinds for a damaged file
        raise RenderingUnavailable(f"中文字型檔「{font_file.path}」無法讀取（{error}）；{FONT_HINT}") from None
    missing = sorted({character for character in text if not character.isspace() and ord(character) not in covered})
    if missing:
        raise RenderingUnavailable(f"中文字型檔「{font_file.path}」缺少「{''.join(missing[:20])}」等字，印出會是空白方框；"
                                   f"{FONT_HINT}")


# ---- layout ----

def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return f"{value:g}"
    return str(value)


def _cell_text(key: str, value: object) -> str:
    if key == "weight" and value not in (None, ""):
        from fractions import Fraction

        from metrics.plans.formulas import format_number

        try:
            return f"{format_number(Fraction(str(value)))}%"
        except ValueError:
            return _text(value)
    return _text(value)


def _lines(document, text: str, width: float) -> list[str]:
    return wrapped_lines(document, text, width - 2 * PADDING)


def wrapped_lines(document, text: str, usable: float) -> list[str]:
    """Lines of at most `usable` millimetres in the current font, broken between any two characters (Chinese
    has no spaces) but never before a closing punctuation mark: its line's last character comes along."""
    lines: list[str] = []
    for paragraph in text.split("\n"):
        line = ""
        for character in paragraph:
            if line and document.get_string_width(line + character) > usable:
                if character in NO_LINE_START and len(line) > 1 and line[-1] not in NO_LINE_START:
                    lines.append(line[:-1])
                    line = line[-1]
                else:
                    lines.append(line)
                    line = ""
            line += character
        lines.append(line)
    return lines


def _truncated(document, lines: list[str], width: float, limit: int) -> list[str]:
    """At most `limit` lines; when cut, the last one ends with the pointer to the .xlsx report."""
    if len(lines) <= limit:
        return lines
    kept = lines[:limit]
    last = kept[-1]
    usable = width - 2 * PADDING
    while last and document.get_string_width(last + TRUNCATED) > usable:
        last = last[:-1]
    if document.get_string_width(last + TRUNCATED) > usable:  # a column too narrow even for the pointer alone
        return kept[:-1] + [TRUNCATED]
    return kept[:-1] + [last + TRUNCATED]


@dataclass
class _Table:
    size: float
    line_height: float
    header: list[list[str]]
    header_height: float
    cells: list[dict[str, list[str]]]
    heights: list[float]
    groups: list[tuple[int, int]]  # [first, last] row indexes of each run of one goal

    @property
    def height(self) -> float:
        return self.header_height + sum(self.heights)


def _layout(document, rows: Sequence[Mapping[str, object]], size: float, note_limit: int) -> _Table:
    document.set_font(FONT, size=size)
    line_height = size * POINT * 1.25
    header = [_lines(document, title, width) for _, title, width in COLUMNS]
    header_height = max(len(lines) for lines in header) * line_height + 2 * PADDING
    cells, heights = [], []
    for row in rows:
        texts: dict[str, list[str]] = {}
        for key, _, width in COLUMNS:
            lines = _lines(document, _cell_text(key, row.get(key)), width)
            texts[key] = _truncated(document, lines, width, note_limit) if key in NOTE_KEYS else lines
        cells.append(texts)
        heights.append(max(len(lines) for key, lines in texts.items() if key != "goal") * line_height + 2 * PADDING)
    groups: list[tuple[int, int]] = []
    for index, row in enumerate(rows):
        if groups and rows[groups[-1][0]].get("goal") == row.get("goal"):
            groups[-1] = (groups[-1][0], index)
        else:
            groups.append((index, index))
    for first, last in groups:  # the goal's text spans its rows; the last row grows when the text needs more
        needed = len(cells[first]["goal"]) * line_height + 2 * PADDING
        available = sum(heights[first:last + 1])
        if needed > available:
            heights[last] += needed - available
    return _Table(size, line_height, header, header_height, cells, heights, groups)


def _fitting_table(document, rows: Sequence[Mapping[str, object]], space: float) -> _Table:
    """The most note lines, then the largest type, with which the table fits in `space`: the type shrinks
    before a note is cut."""
    table = None
    for limit in NOTE_LINE_LIMITS:
        for size in FONT_SIZES:
            table = _layout(document, rows, size, limit)
            if table.height <= space:
                return table
    return table  # type: ignore[return-value]  # the smallest; cut off at the page's foot rather than a 2nd page


def _draw_page(document, page: ReportPage, gauges: bytes | None) -> None:
    from metrics.outputs.report import STATUS_FILLS

    usable_width = PAGE_WIDTH - 2 * MARGIN
    document.set_text_color(27, 27, 27)
    document.set_font(FONT, size=13)
    document.set_xy(MARGIN, MARGIN)
    document.cell(usable_width, 6.5, page.title, align="C")
    document.set_font(FONT, size=8.5)
    document.set_xy(MARGIN, MARGIN + 7)
    document.multi_cell(usable_width, 4, page.subtitle, align="C", wrapmode="CHAR")
    top = document.get_y() + 1

    if gauges is not None:
        count = len(page.gauges)
        columns = gauge_columns(count)
        height = usable_width / columns * GAUGE_PIXELS[1] / GAUGE_PIXELS[0] * math.ceil(count / columns)
        document.image(gauges, x=MARGIN, y=top, w=usable_width, h=height)
        top += height + 1.5

    table = _fitting_table(document, page.rows, PAGE_HEIGHT - MARGIN - top)
    document.set_font(FONT, size=table.size)
    document.set_draw_color(128, 128, 128)
    document.set_line_width(0.15)
    x = MARGIN
    document.set_fill_color(217, 225, 242)
    for (_, _, width), lines in zip(COLUMNS, table.header):
        _cell(document, x, top, width, table.header_height, lines, table.line_height, "C", fill=True)
        x += width
    y = top + table.header_height
    tops = []
    for row, texts, height in zip(page.rows, table.cells, table.heights):
        tops.append(y)
        x = MARGIN
        for key, _, width in COLUMNS:
            if key != "goal":
                colour = STATUS_FILLS.get(str(row.get(key))) if key == "status" else None
                if colour:
                    document.set_fill_color(*(int(colour[index:index + 2], 16) for index in (0, 2, 4)))
                _cell(document, x, y, width, height, texts[key], table.line_height,
                      "C" if key in CENTRED_COLUMNS else "L", fill=bool(colour))
            x += width
        y += height
    goal_width = COLUMNS[0][2]
    for first, last in table.groups:
        span = sum(table.heights[first:last + 1])
        _cell(document, MARGIN, tops[first], goal_width, span, table.cells[first]["goal"], table.line_height, "L")


def _cell(document, x: float, y: float, width: float, height: float, lines: Sequence[str], line_height: float,
          align: str, *, fill: bool = False) -> None:
    """A bordered box with its lines centred vertically."""
    document.rect(x, y, width, height, style="DF" if fill else "D")
    text_top = y + (height - len(lines) * line_height) / 2
    for number, line in enumerate(lines):
        document.set_xy(x + PADDING, text_top + number * line_height)
        document.cell(width - 2 * PADDING, line_height, line, align=align)
