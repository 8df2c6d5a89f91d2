"""The year-end report as a Word document (.docx, A4 portrait) that a unit edits and files.

Every text comes from the model already visible-safe (metrics.texts.visible): no control character reaches the
XML, and python-docx escapes markup. A note is written whole into its cell, however long: Word lets a row run
onto the next page."""

from __future__ import annotations

import io

from docx import Document
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt, RGBColor

from metrics.outputs.annual.checkpoint import NO_TRANSITIONS, SECTION, STEP_COLUMNS, TRANSITION_COLUMNS
from metrics.outputs.annual.model import (CENTRED_KEYS, HISTORY_COLUMNS, NO_HISTORY, TABLE_COLUMNS, AnnualReport,
                                          cell_texts, history_texts, numbered)
from metrics.outputs.report import STATUS_FILLS

EAST_ASIAN_FONT = "標楷體"  # what the county's documents are set in; Word or LibreOffice substitutes where absent
LATIN_FONT = "Times New Roman"
MARGIN = Mm(20)
# widths in millimetres, 170 mm in all (A4 less the margins)
WIDTHS = {"indicator": 28, "measure": 26, "weight": 11, "target": 16, "actual": 16, "achievement": 14, "status": 13,
          "explanation": 46}
HISTORY_WIDTHS = {"indicator": 28, "month": 16, "reason": 41, "action": 41, "author": 16, "saved_at": 28}
STEP_WIDTHS = (40, 70, 60)
TRANSITION_WIDTHS = (28, 22, 40, 30, 50)
HEADER_FILL = "D9E1F2"


def build_docx(report: AnnualReport) -> bytes:
    document = Document()
    _page_setup(document, report)
    _styles(document)
    document.core_properties.title = report.title
    document.core_properties.author = "施政計畫績效指標儀表板"

    title = document.add_paragraph(style="Title")
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    title.add_run(report.title)
    subtitle = document.add_paragraph(f"{report.period}｜{report.plan_version}｜資料讀取時間 {report.read_at}")
    subtitle.alignment = WD_ALIGN_PARAGRAPH.CENTER
    if report.review is not None:
        state = document.add_paragraph(report.review.summary)
        state.alignment = WD_ALIGN_PARAGRAPH.CENTER

    document.add_paragraph("壹、前言", style="Heading 1")
    document.add_paragraph(report.introduction)
    for index, goal in enumerate(report.goals):
        paragraph = document.add_paragraph()
        paragraph.add_run(f"{numbered(index)}、{goal.title}").bold = True
        paragraph.add_run(f"（{goal.kind}{'，共同性指標' if goal.common else ''}）：{goal.summary or '—'}")

    document.add_paragraph("貳、年度目標達成情形", style="Heading 1")
    if report.as_of_month is None:
        document.add_paragraph("本年度尚無任何填報數字，各項指標實際值均為「未填報」。")
    for index, goal in enumerate(report.goals):
        document.add_paragraph(f"{numbered(index)}、{goal.heading}", style="Heading 2")
        table = _table(document, [(header, WIDTHS[key]) for key, header in TABLE_COLUMNS])
        for line in goal.lines:
            texts = cell_texts(line)
            cells = table.add_row().cells
            for cell, (key, _) in zip(cells, TABLE_COLUMNS):
                _write(cell, texts[key], centred=key in CENTRED_KEYS)
                if key == "status" and STATUS_FILLS.get(line.status):
                    _shade(cell, STATUS_FILLS[line.status])
        _widths(table, [WIDTHS[key] for key, _ in TABLE_COLUMNS])
        missing = [f"指標 {line.id}：{line.missing_months}" for line in goal.lines if line.missing_months]
        if missing:
            document.add_paragraph("尚未填報月份：" + "；".join(missing))

    document.add_paragraph("參、綜合評分", style="Heading 1")
    document.add_paragraph(f"一、{report.score_line}")
    document.add_paragraph(f"二、指標達成情形：{report.status_counts}")
    item = 2
    if report.multi_year_title:
        document.add_paragraph(f"三、{report.multi_year_title}：{report.multi_year_summary}")
        widths = [170 / len(report.multi_year_headers)] * len(report.multi_year_headers)
        table = _table(document, list(zip(report.multi_year_headers, widths)))
        for row in report.multi_year_rows:
            for cell, text in zip(table.add_row().cells, row):
                _write(cell, text, centred=True)
        _widths(table, widths)
        item = 3
    document.add_paragraph(f"{numbered(item)}、計畫版本：{report.plan_version}；資料讀取時間：{report.read_at}")

    if report.review is not None:
        _review_section(document, report)

    document.add_paragraph("附錄、未達成原因分析及改善措施填寫歷程", style="Heading 1")
    if not report.history:
        document.add_paragraph(NO_HISTORY)
    else:
        table = _table(document, [(header, HISTORY_WIDTHS[key]) for key, header in HISTORY_COLUMNS])
        for entry in report.history:
            texts = history_texts(entry, report.year)
            for cell, (key, _) in zip(table.add_row().cells, HISTORY_COLUMNS):
                _write(cell, texts[key], centred=key in {"month", "author", "saved_at"})
        _widths(table, [HISTORY_WIDTHS[key] for key, _ in HISTORY_COLUMNS])

    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def _review_section(document, report: AnnualReport) -> None:
    review = report.review
    document.add_paragraph(SECTION, style="Heading 1")
    document.add_paragraph(f"一、{review.summary}")
    table = _table(document, list(zip(STEP_COLUMNS, STEP_WIDTHS)))
    for row in review.steps:
        for cell, text in zip(table.add_row().cells, row):
            _write(cell, text, centred=True)
    _widths(table, list(STEP_WIDTHS))
    document.add_paragraph("二、審核歷程")
    if not review.transitions:
        document.add_paragraph(NO_TRANSITIONS)
        return
    table = _table(document, list(zip(TRANSITION_COLUMNS, TRANSITION_WIDTHS)))
    for row in review.transitions:
        for index, (cell, text) in enumerate(zip(table.add_row().cells, row)):
            _write(cell, text, centred=index < 4)
    _widths(table, list(TRANSITION_WIDTHS))


def _page_setup(document, report: AnnualReport) -> None:
    section = document.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.left_margin = section.right_margin = section.top_margin = section.bottom_margin = MARGIN
    section.header_distance = section.footer_distance = Mm(10)
    header = section.header.paragraphs[0]
    header.text = report.header
    header.alignment = WD_ALIGN_PARAGRAPH.CENTER
    for run in header.runs:
        run.font.size = Pt(8)
    footer = section.footer.paragraphs[0]
    footer.alignment = WD_ALIGN_PARAGRAPH.CENTER
    footer.add_run("第 ")
    field = OxmlElement("w:fldSimple")
    field.set(qn("w:instr"), "PAGE")
    number = OxmlElement("w:r")
    text = OxmlElement("w:t")
    text.text = "1"
    number.append(text)
    field.append(number)
    footer._p.append(field)
    footer.add_run(" 頁")


def _styles(document) -> None:
    for name, size in (("Normal", 12), ("Title", 18), ("Heading 1", 14), ("Heading 2", 12)):
        style = document.styles[name]
        style.font.name = LATIN_FONT
        style.font.size = Pt(size)
        style.font.color.rgb = RGBColor(0, 0, 0)
        fonts = style.element.get_or_add_rPr().get_or_add_rFonts()
        fonts.set(qn("w:eastAsia"), EAST_ASIAN_FONT)
        for attribute in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
            fonts.attrib.pop(qn(attribute), None)  # a theme font would win over the names above
        if name != "Normal":
            style.font.bold = True


def _table(document, columns: list[tuple[str, float]]):
    table = document.add_table(rows=1, cols=len(columns))
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    header_row = table.rows[0]
    properties = header_row._tr.get_or_add_trPr()
    repeat = OxmlElement("w:tblHeader")  # the header row again on each page the table runs onto
    repeat.set(qn("w:val"), "true")
    properties.append(repeat)
    for cell, (header, _) in zip(header_row.cells, columns):
        _write(cell, header, centred=True, bold=True)
        _shade(cell, HEADER_FILL)
    return table


def _widths(table, widths: list[float]) -> None:
    for row in table.rows:
        for cell, width in zip(row.cells, widths):
            cell.width = Mm(width)


def _write(cell, text: str, *, centred: bool = False, bold: bool = False) -> None:
    paragraph = cell.paragraphs[0]
    if centred:
        paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    run = paragraph.add_run(text)  # a line break in the text becomes Word's, a tab a tab
    run.font.size = Pt(10)
    run.bold = bold or None


def _shade(cell, fill: str) -> None:
    shading = OxmlElement("w:shd")
    shading.set(qn("w:val"), "clear")
    shading.set(qn("w:color"), "auto")
    shading.set(qn("w:fill"), fill)
    cell._tc.get_or_add_tcPr().append(shading)
