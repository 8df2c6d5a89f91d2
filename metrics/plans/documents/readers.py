"""The registry of readers: a plan document's bytes into rows of text, whatever the format.

A paragraph is a row of one cell; a table row keeps its cells (a merged cell gives its text once, the cells it
covers stay empty), so the one table logic of `tables.py` reads every format. Lines within a cell are kept with
"\\n"; `tables.joined` says how pieces of text are put back together.

    .txt  the plain text a unit pastes or exports (the seed): a line with tabs is a table row
    .docx python-docx, tables read as tables, in the order of the body
    .odt  the zip's content.xml (defusedxml): text:p, text:h, text:list and table:table in order
    .pdf  the text layer (pypdfium2): the ruling lines of a table give its rows and columns; lines elsewhere
          are paragraphs. A scanned PDF has no text layer and is refused.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import PurePath

from metrics.errors import InputError, Problem


@dataclass(frozen=True)
class DocumentRow:
    cells: tuple[str, ...]
    table: bool = False  # a row of a table (else a paragraph, one cell)
    removed: tuple[str, ...] = ()  # invisible characters the store's rule took out (zero-width spaces, soft hyphens…)

    @property
    def text(self) -> str:
        return "\t".join(self.cells)


Reader = Callable[[bytes, str], list[DocumentRow]]


def _unreadable(name: str, why: str) -> InputError:
    return InputError(Problem(f"無法讀取計畫書：{why}", file=name))


# ---- plain text ----

MOST_TEXT = 5_000_000  # bytes of a plain-text plan: the seed is 15 KB; 10 MB took seconds to read, minutes to draft

def read_text(data: bytes, name: str) -> list[DocumentRow]:
    if len(data) > MOST_TEXT:
        raise _unreadable(name, f"文字檔超過 {MOST_TEXT // 1_000_000} MB，不像是一份計畫書（政風處 112 年度的計畫書約 15 KB）")
    for encoding in ("utf-8-sig", "utf-16", "big5", "cp950"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise _unreadable(name, "文字檔的編碼無法辨識（請存成 UTF-8）")
    if "\x00" in text:
        raise _unreadable(name, "這不是文字檔（含有二進位內容）；請上傳 .docx、.odt、.pdf 或 .txt")
    rows = []
    for line in text.splitlines():
        if "\t" in line:
            rows.append(DocumentRow(tuple(cell.strip() for cell in line.split("\t")), table=True))
        elif line.strip():
            rows.append(DocumentRow((line.strip(),)))
    return rows


OLE_SIGNATURE = bytes.fromhex("d0cf11e0a1b11ae1")  # a compound file: Word 97–2003, or Office's encrypted package
MOST_CONTENT = 20_000_000  # bytes of a document's XML unpacked: a plan is far smaller; a zip bomb is not
MOST_UNPACKED = 200_000_000  # bytes of the whole package unpacked, pictures included


def _refuse_a_bomb(data: bytes, name: str) -> None:
    """Refuse a .docx whose parts unpack to far more than any plan: 300 KB can hold millions of empty paragraphs,
    which would take minutes and gigabytes to read. The sizes the zip declares bound what zipfile reads."""
    try:
        members = zipfile.ZipFile(io.BytesIO(data)).infolist()
    except zipfile.BadZipFile:
        return  # python-docx says it is not a .docx
    largest = max((member for member in members if member.filename.endswith(".xml")),
                  key=lambda member: member.file_size, default=None)
    if largest is not None and largest.file_size > MOST_CONTENT:
        raise _unreadable(name, f"內容（{largest.filename}）解壓縮後超過 {MOST_CONTENT // 1_000_000} MB，不像是一份計畫書")
    if sum(member.file_size for member in members) > MOST_UNPACKED:
        raise _unreadable(name, f"解壓縮後超過 {MOST_UNPACKED // 1_000_000} MB，不像是一份計畫書")


# ---- Word (.docx) ----

def read_docx(data: bytes, name: str) -> list[DocumentRow]:
    try:
        import docx
        from docx.oxml.ns import qn

        if data.startswith(OLE_SIGNATURE):
            raise _unreadable(name, "這是設有開啟密碼（加密）的 Word 檔，或舊版 Word（.doc）檔；"
                                    "請移除密碼並另存為 .docx 後再上傳")
        _refuse_a_bomb(data, name)
        document = docx.Document(io.BytesIO(data))
    except InputError:
        raise
    except Exception as error:  # python-docx raises several kinds for a damaged or foreign file
        raise _unreadable(name, f"不是有效的 Word（.docx）檔（{type(error).__name__}）") from None
    rows: list[DocumentRow] = []

    def nearest(node, tag: str):
        """The closest enclosing element with `tag` (rows and cells may sit inside content controls)."""
        parent = node.getparent()
        while parent is not None and parent.tag != tag:
            parent = parent.getparent()
        return parent

    def paragraph_text(element) -> str:
        parts = []
        for node in element.iter(qn("w:t"), qn("w:tab"), qn("w:br"), qn("w:cr")):
            if nearest(node, qn("w:moveFrom")) is not None:
                continue  # tracked changes: text moved away from here (a deletion's w:delText is never read)
            parts.append(node.text or "" if node.tag == qn("w:t") else ("\t" if node.tag == qn("w:tab") else "\n"))
        return "".join(parts)

    def cell_text(tc) -> str:
        return "\n".join(paragraph_text(p) for p in tc.iter(qn("w:p"))).strip()

    wrappers = {qn("w:sdt"), qn("w:sdtContent"), qn("w:customXml"), qn("w:smartTag")}

    def blocks(parent) -> None:
        """Paragraphs and tables in order; a content control (w:sdt) or custom XML around them is looked into."""
        for child in parent.iterchildren():
            if child.tag == qn("w:p"):
                text = paragraph_text(child).strip()
                if text:
                    rows.append(DocumentRow((text,)))
            elif child.tag == qn("w:tbl"):
                table(child)
            elif child.tag in wrappers:
                blocks(child)

    def table(tbl) -> None:
        for tr in tbl.iter(qn("w:tr")):
            if nearest(tr, qn("w:tbl")) is not tbl:
                continue  # a nested table's row: read where its table is
            tcs = [tc for tc in tr.iter(qn("w:tc")) if nearest(tc, qn("w:tr")) is tr]
            if any(tc.find(qn("w:tbl")) is not None for tc in tcs):
                for tc in tcs:  # a frame around tables (a layout table): its tables are the document's
                    blocks(tc)
                continue
            cells: list[str] = []
            for tc in tcs:
                properties = tc.tcPr
                span = properties.grid_span if properties is not None else 1
                merged = properties is not None and properties.vMerge == "continue"
                cells += ["" if merged else cell_text(tc)] + [""] * (span - 1)
            rows.append(DocumentRow(tuple(cells), table=True))

    blocks(document.element.body)
    return rows


# ---- OpenDocument (.odt) ----

ODF = {"text": "urn:oasis:names:tc:opendocument:xmlns:text:1.0",
       "table": "urn:oasis:names:tc:opendocument:xmlns:table:1.0",
       "office": "urn:oasis:names:tc:opendocument:xmlns:office:1.0"}
MOST_REPEATED = 64  # a repeated empty column or row at the end of a sheet-like table: never thousands


def _tag(prefix: str, local: str) -> str:
    return f"{{{ODF[prefix]}}}{local}"


def read_odt(data: bytes, name: str) -> list[DocumentRow]:
    from defusedxml import ElementTree

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            manifest = next((m for m in archive.infolist() if m.filename == "META-INF/manifest.xml"), None)
            if manifest is not None and manifest.file_size <= MOST_CONTENT and \
                    b"encryption-data" in archive.read(manifest):
                raise _unreadable(name, "這是設有開啟密碼（加密）的 OpenDocument 檔；請移除密碼後再上傳")
            if archive.getinfo("content.xml").file_size > MOST_CONTENT:
                raise _unreadable(name, f"內容超過 {MOST_CONTENT // 1_000_000} MB，不像是一份計畫書")
            content = archive.read("content.xml")
        root = ElementTree.fromstring(content)
    except InputError:
        raise
    except Exception as error:  # a damaged zip, no content.xml, hostile XML: all "not an .odt"
        raise _unreadable(name, f"不是有效的 OpenDocument（.odt）檔（{type(error).__name__}）") from None
    body = root.find(f"{_tag('office', 'body')}/{_tag('office', 'text')}")
    if body is None:
        raise _unreadable(name, "不是 OpenDocument 文字文件（.odt）")
    rows: list[DocumentRow] = []

    def text_of(element) -> str:
        parts = [element.text or ""]
        for child in element:
            if child.tag == _tag("text", "s"):
                parts.append(" " * int(child.get(_tag("text", "c"), "1")))
            elif child.tag == _tag("text", "tab"):
                parts.append("\t")
            elif child.tag == _tag("text", "line-break"):
                parts.append("\n")
            elif child.tag != _tag("text", "note"):
                parts.append(text_of(child))
            parts.append(child.tail or "")
        return "".join(parts)

    def walk(element) -> None:
        for child in element:
            if child.tag in (_tag("text", "p"), _tag("text", "h")):
                text = text_of(child).strip()
                if text:
                    rows.append(DocumentRow((text,)))
            elif child.tag == _tag("table", "table"):
                table_rows(child)
            elif child.tag in (_tag("text", "list"), _tag("text", "list-item"), _tag("text", "section")):
                walk(child)

    def table_rows(table) -> None:
        for row in table.iter(_tag("table", "table-row")):
            cells: list[str] = []
            for cell in row:
                if cell.tag not in (_tag("table", "table-cell"), _tag("table", "covered-table-cell")):
                    continue
                repeat = min(int(cell.get(_tag("table", "number-columns-repeated"), "1")), MOST_REPEATED)
                text = "" if cell.tag == _tag("table", "covered-table-cell") else "\n".join(
                    text_of(p) for p in cell if p.tag in (_tag("text", "p"), _tag("text", "h"))).strip()
                cells += [text] * repeat
            repeat = min(int(row.get(_tag("table", "number-rows-repeated"), "1")), MOST_REPEATED)
            if any(cells):
                rows.extend([DocumentRow(tuple(cells), table=True)] * repeat)

    walk(body)
    return rows


# ---- PDF with a text layer ----

MOST_PAGES = 500  # a unit's 施政計畫 is some tens of pages; each page takes ~15 ms, so 20,000 (a 14 MB file) take minutes
PDFIUM_PASSWORD_ERROR = 4  # FPDF_ERR_PASSWORD: the document needs a password to open

def read_pdf(data: bytes, name: str) -> list[DocumentRow]:
    from metrics.plans.documents.pdf_layout import TooManyPages, pdf_rows

    try:
        rows = pdf_rows(data, MOST_PAGES)
    except TooManyPages as error:
        raise _unreadable(name, f"PDF 有 {error.pages:,} 頁，超過 {MOST_PAGES} 頁，不像是一份計畫書；"
                                "請只上傳計畫書本身（或改上傳 .docx、.odt 檔）") from None
    except InputError:
        raise
    except Exception as error:  # pdfium raises PdfiumError and others for a damaged file
        if getattr(error, "err_code", None) == PDFIUM_PASSWORD_ERROR:
            raise _unreadable(name, "PDF 有開啟密碼（已加密）；請移除密碼後再上傳，或改上傳 .docx、.odt 檔") from None
        raise _unreadable(name, f"不是有效的 PDF 檔（{type(error).__name__}）") from None
    if not any(row.text.strip() for row in rows):
        raise _unreadable(name, "PDF 沒有文字層（可能是掃描影像）；請上傳由文書軟體轉出的 PDF，或 .docx、.odt 檔")
    return rows


READERS: dict[str, Reader] = {".txt": read_text, ".text": read_text, ".docx": read_docx, ".odt": read_odt,
                              ".pdf": read_pdf}


def read_document(data: bytes, name: str) -> list[DocumentRow]:
    """The document's rows, by its extension; InputError (naming the file) when it cannot be read."""
    suffix = PurePath(name).suffix.lower()
    reader = READERS.get(suffix)
    if reader is None:
        raise InputError(Problem(f"不支援的計畫書格式「{suffix or '（無副檔名）'}」；可用：{'、'.join(sorted(READERS))}",
                                 file=name))
    if not data:
        raise _unreadable(name, "檔案是空的")
    return [_cleaned(row) for row in reader(data, name)]


def _cleaned(row: DocumentRow) -> DocumentRow:
    """The row under the store's rule for texts (metrics.texts): Word's line and page breaks become line breaks,
    tabs within a cell a space, invisible characters are taken out and remembered, to be said."""
    from metrics.texts import TextKind, clean_text

    cells, removed = [], []
    for cell in row.cells:
        cleaned = clean_text(cell.replace("\t", " "), TextKind.NOTE, "")
        cells.append(cleaned.text)
        removed += cleaned.removed
    return DocumentRow(tuple(cells), row.table, tuple(dict.fromkeys(removed)))
