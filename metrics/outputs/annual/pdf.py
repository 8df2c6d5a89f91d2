"""The year-end report as a PDF: A4 portrait, set in Noto Sans CJK TC (embedded), found and wrapped as the
month's PDF report does it (metrics.outputs.pdf_report: find_font, wrapped_lines). No chart, so no browser.

Every page has the report's header (unit, year, plan version, when the data were read, 範例 when it is one) and
its number. A table row runs onto the next page when it does not fit, with the header row repeated: a long note
is printed whole, never cut."""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass

from metrics.errors import RenderingUnavailable
from metrics.outputs.annual.checkpoint import NO_TRANSITIONS, SECTION, STEP_COLUMNS, TRANSITION_COLUMNS
from metrics.outputs.annual.model import (CENTRED_KEYS, HISTORY_COLUMNS, NO_HISTORY, TABLE_COLUMNS, AnnualReport,
                                          cell_texts, history_texts, numbered)
from metrics.outputs.pdf_report import FONT, POINT, check_glyphs, find_font, set_up_document, wrapped_lines
from metrics.outputs.report import STATUS_FILLS

PAGE_WIDTH, PAGE_HEIGHT = 210.0, 297.0  # A4 portrait, millimetres
MARGIN = 14.0
TOP = 18.0  # below the page header
BOTTOM = PAGE_HEIGHT - 14.0  # above the page number
USABLE = PAGE_WIDTH - 2 * MARGIN
PADDING = 1.0
TEXT_SIZE = 10.5
TABLE_SIZE = 8.5
# widths in millimetres, USABLE (182 mm) in all
WIDTHS = {"indicator": 29, "measure": 27, "weight": 12, "target": 17, "actual": 17, "achievement": 14, "status": 13,
          "explanation": 53}
HISTORY_WIDTHS = {"indicator": 30, "month": 17, "reason": 45, "action": 45, "author": 17, "saved_at": 28}
STEP_WIDTHS = (46, 76, 60)
TRANSITION_WIDTHS = (28, 22, 40, 32, 60)
HEADER_FILL = (217, 225, 242)
INK = (27, 27, 27)


@dataclass(frozen=True)
class Column:
    header: str
    width: float
    centred: bool = False


def build_pdf(report: AnnualReport, *, font: str | os.PathLike | None = None) -> bytes:
    from fpdf import FPDF

    font_file = find_font(font)
    check_glyphs(font_file, "".join(report_texts(report)))

    class Document(FPDF):
        def header(self) -> None:
            text = _printable(report.header)
            for size in (7.5, 7.0, 6.5, 6.0, 5.5, 5.0):  # a long unit name or plan file: smaller, never cut
                self.set_font(FONT, size=size)
                if self.get_string_width(text) <= USABLE:
                    break
            self.set_text_color(90, 90, 90)
            self.set_xy(MARGIN, 7)
            self.multi_cell(USABLE, 3, text, align="C", wrapmode="CHAR")
            self.set_draw_color(160, 160, 160)
            self.set_line_width(0.2)
            self.line(MARGIN, 12, PAGE_WIDTH - MARGIN, 12)
            self.set_text_color(*INK)

        def footer(self) -> None:
            self.set_font(FONT, size=8)
            self.set_text_color(90, 90, 90)
            self.set_xy(MARGIN, PAGE_HEIGHT - 10)
            self.cell(USABLE, 4, f"第 {self.page_no()} 頁，共 {{nb}} 頁", align="C")
            self.set_text_color(*INK)

    document = Document(orientation="P", unit="mm", format="A4")
    set_up_document(document, font_file, margin=MARGIN, top=TOP)
    document.set_title(_printable(report.title))
    document.add_page()
    _Writer(document).write(report)
    return bytes(document.output())


def _printable(text: str) -> str:
    return text.replace("\t", "  ")


def report_texts(report: AnnualReport) -> list[str]:
    """Every text the PDF prints (for the glyph check)."""
    texts = [report.title, report.header, report.period, report.introduction, report.score_line, report.status_counts,
             report.multi_year_title, report.multi_year_summary, NO_HISTORY, "第頁共壹貳參附錄前言年度目標達成情形綜合評分",
             *(header for _, header in TABLE_COLUMNS), *(header for _, header in HISTORY_COLUMNS),
             *report.multi_year_headers, *(cell for row in report.multi_year_rows for cell in row)]
    for goal in report.goals:
        texts += [goal.heading, goal.summary, goal.kind]
        for line in goal.lines:
            texts += list(cell_texts(line).values()) + [line.missing_months]
    for entry in report.history:
        texts += list(history_texts(entry, report.year).values())
    if report.review is not None:
        texts += [report.review.summary, SECTION, NO_TRANSITIONS, "一二、審核歷程", *STEP_COLUMNS,
                  *TRANSITION_COLUMNS, *(cell for row in report.review.steps for cell in row),
                  *(cell for row in report.review.transitions for cell in row)]
    return texts


class _Writer:
    """Lays the report out top to bottom, starting a page wherever the next line would not fit."""

    def __init__(self, document) -> None:
        self.document = document

    # ---- text ----

    def paragraph(self, text: str, size: float = TEXT_SIZE, *, align: str = "L", indent: float = 0.0,
                  after: float = 1.5) -> None:
        document = self.document
        document.set_font(FONT, size=size)
        height = size * POINT * 1.45
        for line in wrapped_lines(document, _printable(text), USABLE - indent):
            if document.get_y() + height > BOTTOM:
                document.add_page()
                document.set_y(TOP)
            document.set_x(MARGIN + indent)
            document.cell(USABLE - indent, height, line, align=align, new_x="LMARGIN", new_y="NEXT")
        document.set_y(document.get_y() + after)

    def heading(self, text: str, size: float = 13.0, *, keep: float = 25.0) -> None:
        """A heading, on a new page when it and the first `keep` millimetres after it would not fit: a heading
        is not left alone at a page's foot."""
        if self.document.get_y() + 10 + keep > BOTTOM:
            self.document.add_page()
            self.document.set_y(TOP)
        self.document.set_y(self.document.get_y() + 2)
        self.paragraph(text, size, after=1.0)

    # ---- tables ----

    def table(self, columns: Sequence[Column], rows: Sequence[Sequence[str]],
              fills: Sequence[Sequence[tuple[int, int, int] | None]] = ()) -> None:
        document = self.document
        document.set_font(FONT, size=TABLE_SIZE)
        document.set_draw_color(128, 128, 128)
        document.set_line_width(0.15)
        line_height = TABLE_SIZE * POINT * 1.3
        header = [wrapped_lines(document, column.header, column.width - 2 * PADDING) for column in columns]
        if document.get_y() + self.start_height(columns, rows) > BOTTOM:
            document.add_page()
            document.set_y(TOP)
        document.set_font(FONT, size=TABLE_SIZE)
        self._row(columns, header, line_height, [HEADER_FILL] * len(columns), centred=True)
        page_room = int((BOTTOM - TOP - self._height(header, line_height) - 2 * PADDING) // line_height)
        for index, row in enumerate(rows):
            cells = [wrapped_lines(document, _printable(text), column.width - 2 * PADDING)
                     for text, column in zip(row, columns)]
            row_fills = list(fills[index]) if index < len(fills) else [None] * len(columns)
            fresh = False  # on a page just started for this row
            while True:
                room = int((BOTTOM - document.get_y() - 2 * PADDING) // line_height)
                tallest = max(len(lines) for lines in cells)
                if tallest <= room:
                    self._row(columns, cells, line_height, row_fills)
                    break
                if not fresh and (room < 3 or tallest <= page_room):
                    # a row that fits a page starts one; a taller one is split where the page ends
                    self._new_page(columns, header, line_height)
                    fresh = True
                    continue
                self._row(columns, [lines[:room] for lines in cells], line_height, row_fills)
                cells = [lines[room:] for lines in cells]
                self._new_page(columns, header, line_height)
        document.set_y(document.get_y() + 2)

    def start_height(self, columns: Sequence[Column], rows: Sequence[Sequence[str]]) -> float:
        """What a table needs at the foot of a page to begin there: its header and first row (or 30 mm of a
        taller one, which is split anyway)."""
        document = self.document
        document.set_font(FONT, size=TABLE_SIZE)
        line_height = TABLE_SIZE * POINT * 1.3
        header = [wrapped_lines(document, column.header, column.width - 2 * PADDING) for column in columns]
        first = [wrapped_lines(document, _printable(text), column.width - 2 * PADDING)
                 for text, column in zip(rows[0], columns)] if rows else [[""]]
        return self._height(header, line_height) + min(self._height(first, line_height), 30.0)

    def _new_page(self, columns: Sequence[Column], header: Sequence[Sequence[str]], line_height: float) -> None:
        self.document.add_page()
        self.document.set_y(TOP)
        self._row(columns, header, line_height, [HEADER_FILL] * len(columns), centred=True)

    @staticmethod
    def _height(cells: Sequence[Sequence[str]], line_height: float) -> float:
        return max(len(lines) for lines in cells) * line_height + 2 * PADDING

    def _row(self, columns: Sequence[Column], cells: Sequence[Sequence[str]], line_height: float,
             fills: Sequence[tuple[int, int, int] | None], *, centred: bool = False) -> None:
        document = self.document
        top = document.get_y()
        height = self._height(cells, line_height)
        x = MARGIN
        for column, lines, fill in zip(columns, cells, fills):
            if fill:
                document.set_fill_color(*fill)
            document.rect(x, top, column.width, height, style="DF" if fill else "D")
            text_top = top + (height - len(lines) * line_height) / 2
            for number, line in enumerate(lines):
                document.set_xy(x + PADDING, text_top + number * line_height)
                document.cell(column.width - 2 * PADDING, line_height, line,
                              align="C" if centred or column.centred else "L")
            x += column.width
        document.set_xy(MARGIN, top + height)

    # ---- the report ----

    def write(self, report: AnnualReport) -> None:
        document = self.document
        document.set_y(TOP + 2)
        self.paragraph(report.title, 16, align="C", after=0.5)
        self.paragraph(f"{report.period}｜{report.plan_version}｜資料讀取時間 {report.read_at}", 9, align="C",
                       after=0.5 if report.review is not None else 3)
        if report.review is not None:
            self.paragraph(report.review.summary, 9, align="C", after=3)

        self.heading("壹、前言")
        self.paragraph(report.introduction)
        for index, goal in enumerate(report.goals):
            common = "，共同性指標" if goal.common else ""
            self.paragraph(f"{numbered(index)}、{goal.title}（{goal.kind}{common}）：{goal.summary or '—'}",
                           indent=4, after=1)

        self.heading("貳、年度目標達成情形")
        if report.as_of_month is None:
            self.paragraph("本年度尚無任何填報數字，各項指標實際值均為「未填報」。")
        columns = [Column(header, WIDTHS[key], key in CENTRED_KEYS) for key, header in TABLE_COLUMNS]
        for index, goal in enumerate(report.goals):
            rows, fills = [], []
            for line in goal.lines:
                texts = cell_texts(line)
                rows.append([texts[key] for key, _ in TABLE_COLUMNS])
                colour = STATUS_FILLS.get(line.status)
                fills.append([_rgb(colour) if key == "status" and colour else None for key, _ in TABLE_COLUMNS])
            self.heading(f"{numbered(index)}、{goal.heading}", 11, keep=self.start_height(columns, rows))
            self.table(columns, rows, fills)
            missing = [f"指標 {line.id}：{line.missing_months}" for line in goal.lines if line.missing_months]
            if missing:
                self.paragraph("尚未填報月份：" + "；".join(missing), 9)

        self.heading("參、綜合評分")
        self.paragraph(f"一、{report.score_line}")
        self.paragraph(f"二、指標達成情形：{report.status_counts}")
        item = 2
        if report.multi_year_title:
            self.paragraph(f"三、{report.multi_year_title}：{report.multi_year_summary}")
            width = USABLE / len(report.multi_year_headers)
            self.table([Column(header, width, True) for header in report.multi_year_headers],
                       report.multi_year_rows)
            item = 3
        self.paragraph(f"{numbered(item)}、計畫版本：{report.plan_version}；資料讀取時間：{report.read_at}")

        if report.review is not None:
            self.review(report)

        self.heading("附錄、未達成原因分析及改善措施填寫歷程")
        if not report.history:
            self.paragraph(NO_HISTORY)
            return
        self.table([Column(header, HISTORY_WIDTHS[key], key in {"month", "author", "saved_at"})
                    for key, header in HISTORY_COLUMNS],
                   [[history_texts(entry, report.year)[key] for key, _ in HISTORY_COLUMNS] for entry in report.history])


    def review(self, report: AnnualReport) -> None:
        review = report.review
        self.heading(SECTION)
        self.paragraph(f"一、{review.summary}")
        self.table([Column(header, width, True) for header, width in zip(STEP_COLUMNS, STEP_WIDTHS)], review.steps)
        self.paragraph("二、審核歷程")
        if not review.transitions:
            self.paragraph(NO_TRANSITIONS)
            return
        self.table([Column(header, width, index < 4)
                    for index, (header, width) in enumerate(zip(TRANSITION_COLUMNS, TRANSITION_WIDTHS))],
                   review.transitions)


def _rgb(colour: str) -> tuple[int, int, int]:
    return tuple(int(colour[index:index + 2], 16) for index in (0, 2, 4))  # type: ignore[return-value]


def check_renderer(*, font: str | os.PathLike | None = None) -> None:
    """Raise RenderingUnavailable, with what to install, when this machine cannot set the report's PDF (no browser
    is needed: the report has no chart)."""
    import importlib.util

    for package in ("fontTools", "fpdf"):
        if importlib.util.find_spec(package) is None:
            raise RenderingUnavailable(f"缺少產生 PDF 報表的套件 {package}；請執行 pip install -r requirements.txt")
    find_font(font)
