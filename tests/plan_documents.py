"""Plan documents made in the tests from a plan's text (the seed's layout): the same content as .docx, .odt and
.pdf, each table block a table and a page break before every table block that goes on after another (the
seed's repeated header rows), so a row cut by the page break is cut in the same place in every format."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path
from xml.sax.saxutils import escape

SEED = Path("/work/shared/seed/hsinchu-ethics-office-112-plan.txt")
SEED_COPY = Path(__file__).resolve().parent / "plan_documents" / "hsinchu-ethics-office-112-plan.txt"
FONT = "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"


def seed_text() -> str:
    """The seed document (a copy is kept beside the tests, so they do not depend on the shared folder)."""
    return SEED_COPY.read_text(encoding="utf-8")


def blocks(text: str) -> list[tuple[str, object]]:
    """("p", text) for a paragraph; ("table", rows, page_break_before) for consecutive lines with tabs."""
    result: list = []
    previous_table = False
    for line in text.splitlines():
        if "\t" in line:
            if result and result[-1][0] == "table" and previous_table:
                result[-1][1].append(line.split("\t"))
            else:
                follows = bool(result) and result[-1][0] == "table"
                result.append(("table", [line.split("\t")], follows))
            previous_table = True
        elif line.strip():
            result.append(("p", line.strip()))
            previous_table = False
        else:
            previous_table = False
    return result


def as_docx(text: str) -> bytes:
    import docx

    document = docx.Document()
    for block in blocks(text):
        if block[0] == "p":
            document.add_paragraph(block[1])
            continue
        _, rows, page_break = block
        if page_break:
            document.add_page_break()
        width = max(len(row) for row in rows)
        table = document.add_table(rows=len(rows), cols=width)
        for r, row in enumerate(rows):
            for c, cell in enumerate(row):
                table.cell(r, c).text = cell.strip()
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def as_odt(text: str) -> bytes:
    t = 'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"'
    tb = 'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0"'
    of = 'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0"'
    parts = []
    for number, block in enumerate(blocks(text)):
        if block[0] == "p":
            parts.append(f"<text:p>{escape(block[1])}</text:p>")
            continue
        _, rows, page_break = block
        if page_break:
            parts.append('<text:p text:style-name="PageBreak"/>')
        width = max(len(row) for row in rows)
        cells = "".join(
            "<table:table-row>" + "".join(f"<table:table-cell><text:p>{escape(cell.strip())}</text:p></table:table-cell>"
                                          for cell in row + [""] * (width - len(row))) + "</table:table-row>"
            for row in rows)
        parts.append(f'<table:table table:name="T{number}"><table:table-column table:number-columns-repeated="{width}"/>'
                     f"{cells}</table:table>")
    content = (f'<?xml version="1.0" encoding="UTF-8"?><office:document-content {of} {t} {tb} office:version="1.3">'
               f"<office:body><office:text>{''.join(parts)}</office:text></office:body></office:document-content>")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(zipfile.ZipInfo("mimetype"), "application/vnd.oasis.opendocument.text")
        archive.writestr("content.xml", content)
    return buffer.getvalue()


def as_pdf(text: str) -> bytes:
    from fpdf import FPDF
    from fpdf.enums import WrapMode

    pdf = FPDF(orientation="L", unit="mm", format="A4")
    pdf.add_font("cjk", fname=FONT)
    pdf.set_font("cjk", size=10)
    pdf.set_auto_page_break(True, margin=12)
    pdf.add_page()
    for block in blocks(text):
        if block[0] == "p":
            if block[1].startswith(("參、", "肆、")):
                pdf.add_page()
            pdf.multi_cell(0, 6, block[1], new_x="LMARGIN", new_y="NEXT", align="L", wrapmode=WrapMode.CHAR)
            pdf.ln(3)
            continue
        _, rows, page_break = block
        if page_break:
            pdf.add_page()
        width = max(len(row) for row in rows)
        widths = (45, 75, 22, 85, 15, 20) if width == 6 else tuple([270 / width] * width)
        with pdf.table(col_widths=widths, first_row_as_headings=False, text_align="LEFT") as table:
            for row in rows:
                cells = table.row()
                for cell in row + [""] * (width - len(row)):
                    cells.cell(cell.strip())
        pdf.ln(3)
    return bytes(pdf.output())
