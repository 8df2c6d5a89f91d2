"""Crafted files that try to exhaust the server or slip a wrong number past the readers, written byte by byte
(no spreadsheet library could write most of them). Used by tests/test_hostile_files.py and by
benchmarks/bench_hostile.py, which measures each refusal's time and peak memory in its own process."""

from __future__ import annotations

import io
import random
import re
import zipfile
from collections.abc import Callable
from decimal import Decimal

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
RELATIONSHIPS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PACKAGE = "http://schemas.openxmlformats.org/package/2006/relationships"
WORKSHEET_TYPE = f"{RELATIONSHIPS}/worksheet"
EXTERNAL_LINK_TYPE = f"{RELATIONSHIPS}/externalLink"
EXTERNAL_PATH_TYPE = f"{RELATIONSHIPS}/externalLinkPath"
DOCUMENT_HEADER = "文號,收發別,收文日期,發文日期,創稿日期,交換方式,簽核方式,密等,主旨,承辦人"


def _zip(members: dict[str, bytes | str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in members.items():
            archive.writestr(name, content.encode("utf-8") if isinstance(content, str) else content)
    return buffer.getvalue()


def _content_types(sheets: int) -> str:
    overrides = "".join(f'<Override PartName="/xl/worksheets/sheet{number}.xml" ContentType="application/'
                        'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
                        for number in range(1, sheets + 1))
    return ('<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
            'content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
            'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override '
            'PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.'
            f'sheet.main+xml"/>{overrides}</Types>')


def sheet_xml(cells: str, dimension: str = "") -> str:
    dimension_element = f'<dimension ref="{dimension}"/>' if dimension else ""
    return (f'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="{MAIN}" xmlns:r="{RELATIONSHIPS}">'
            f"{dimension_element}<sheetData>{cells}</sheetData></worksheet>")


def workbook(sheets: list[str], extra: dict[str, bytes | str] | None = None) -> bytes:
    """A minimal .xlsx whose sheets hold the given <sheetData> contents, named 工作表1, 工作表2, …"""
    entries = "".join(f'<sheet name="工作表{number}" sheetId="{number}" r:id="rId{number}"/>'
                      for number in range(1, len(sheets) + 1))
    relationships = "".join(f'<Relationship Id="rId{number}" Type="{WORKSHEET_TYPE}" '
                            f'Target="worksheets/sheet{number}.xml"/>' for number in range(1, len(sheets) + 1))
    members: dict[str, bytes | str] = {
        "[Content_Types].xml": _content_types(len(sheets)),
        "_rels/.rels": (f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{PACKAGE}"><Relationship '
                        f'Id="rId1" Type="{RELATIONSHIPS}/officeDocument" Target="xl/workbook.xml"/></Relationships>'),
        "xl/workbook.xml": (f'<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="{MAIN}" xmlns:r="{RELATIONSHIPS}">'
                            f"<sheets>{entries}</sheets></workbook>"),
        "xl/_rels/workbook.xml.rels": (f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{PACKAGE}">'
                                       f"{relationships}</Relationships>"),
    }
    for number, content in enumerate(sheets, start=1):
        members[f"xl/worksheets/sheet{number}.xml"] = content
    members.update(extra or {})
    return _zip(members)


def many_sheets(count: int = 500, corner: str = "ZZ2000") -> bytes:
    """The issue's bomb: `count` tiny sheets, each claiming and reaching A1:corner (160 KB, 5.8 GB when read)."""
    one = sheet_xml(f'<row r="1"><c r="A1"><v>1</v></c></row><row r="{corner.lstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZ")}">'
                    f'<c r="{corner}"><v>1</v></c></row>', f"A1:{corner}")
    return workbook([one] * count)


def sheets_reaching_together(count: int = 10, corner: str = "Z60000") -> bytes:
    """Few sheets, each under the per-sheet limit, that together reach too far (60,000 × 26 × 10 = 15.6M cells)."""
    return many_sheets(count, corner)


def farthest_cell() -> bytes:
    """One cell at XFD1048576: 17 billion cells as a dense grid."""
    return workbook([sheet_xml('<row r="1048576"><c r="XFD1048576"><v>1</v></c></row>')])


def sparse_column(corner: str = "Z999999") -> bytes:
    """Two cells far apart within column Z: under every absolute cap, yet 26 million cells from a tiny file."""
    row = corner.lstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZ")
    return workbook([sheet_xml(f'<row r="1"><c r="A1"><v>1</v></c></row><row r="{row}"><c r="{corner}"><v>1</v></c>'
                               "</row>")])


def unaddressed_row(columns: int = 16_000, row: int = 60_000) -> bytes:
    """A 公文清單 whose last row holds `columns` cells written without r="…": a reader places each after the
    previous one, so this 40 KB file makes a grid of `row` × `columns` cells (a 30 GB allocation)."""
    header = "".join(f'<c r="{chr(65 + index)}1" t="inlineStr"><is><t>{name}</t></is></c>'
                     for index, name in enumerate(DOCUMENT_HEADER.split(",")))
    first = ('<c r="A2" t="inlineStr"><is><t>府政字第1120000001號</t></is></c>'
             '<c r="B2" t="inlineStr"><is><t>發文</t></is></c><c r="D2"><v>44960</v></c>')
    return workbook([sheet_xml(f'<row r="1">{header}</row><row r="2">{first}</row>'
                               f'<row r="{row}">' + "<c><v>1</v></c>" * columns + "</row>")])


def many_shared_strings(count: int = 2_000_000, seed: int = 13, declared: int | None = None) -> bytes:
    """Millions of short shared strings, varied enough to pass the compression-ratio check; `declared` is the
    count the part claims (Excel writes the true one)."""
    generator = random.Random(seed)
    letters = "abcdefghijklmnopqrstuvwxyz"
    strings = "".join(f"<si><t>{''.join(generator.choices(letters, k=3))}</t></si>" for _ in range(count))
    shared = (f'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="{MAIN}" count="{declared or count}" uniqueCount="{declared or count}">'
              f"{strings}</sst>")
    return workbook([sheet_xml('<row r="1"><c r="A1" t="s"><v>0</v></c></row>')],
                    {"xl/sharedStrings.xml": shared})


def document_log_wide_row(fields: int = 3_000_000) -> bytes:
    """A 公文清單 CSV whose second line holds millions of empty fields (about 0.9 GB per MB when parsed)."""
    return (DOCUMENT_HEADER + "\r\n" + "," * (fields - 1) + "\r\n").encode("utf-8")


def template_wide_row(fields: int = 3_000_000) -> bytes:
    """A long-table CSV (the template reader's kind) with one line of millions of fields."""
    return ("年度,月份,單位,項目代碼,數值\r\n112,1,政風處,procurement_audits,3\r\n" + "," * (fields - 1)
            + "\r\n").encode("utf-8")


def long_line(characters: int = 2 * 1024 * 1024) -> bytes:
    return ("年度,月份,單位,項目代碼,數值\r\n112,1,政風處,procurement_audits," + "9" * characters + "\r\n").encode("utf-8")


def long_table_csv(rows: int = 499_000, sample: str = "sample_data/112-full-year.csv") -> bytes:
    """A long CSV of `rows` figures (the issue's 20 MB file): the sample year's long table repeated, so each
    (month, field) comes back with its same value (merged, not an error) and the figures stay consistent."""
    from pathlib import Path

    lines = (Path(__file__).resolve().parent.parent / sample).read_text(encoding="utf-8-sig").splitlines()
    header, body = lines[0], [line for line in lines[1:] if line.strip()]
    repeated = [body[index % len(body)] for index in range(rows)]
    return ("\r\n".join([header, *repeated]) + "\r\n").encode("utf-8")


def with_external_formula(template: bytes, value: Decimal | int, target: str = "file:///C:\\預算\\預算.xlsx"
                          ) -> tuple[bytes, str]:
    """The template with the cell holding `value` turned into =[1]Sheet1!A1 whose cached result is that value,
    and the external link parts Excel writes; returns the workbook and the cell's name."""
    archive = zipfile.ZipFile(io.BytesIO(template))
    members: dict[str, bytes | str] = {name: archive.read(name) for name in archive.namelist()}
    sheet_path = next(name for name in members if name.startswith("xl/worksheets/sheet"))
    sheet = members[sheet_path].decode("utf-8")
    pattern = re.compile(r'<c r="([A-Z]+[0-9]+)"([^>]*)><v>' + re.escape(str(value)) + r"</v></c>")
    match = pattern.search(sheet)
    assert match, "value not found in the template"
    sheet = sheet[:match.start()] + (f'<c r="{match.group(1)}"{match.group(2)}><f>[1]Sheet1!A1</f>'
                                     f"<v>{value}</v></c>") + sheet[match.end():]
    members[sheet_path] = sheet
    workbook_xml = members["xl/workbook.xml"].decode("utf-8")
    workbook_xml = workbook_xml.replace("</sheets>", '</sheets><externalReferences><externalReference r:id="rId99"/>'
                                                     "</externalReferences>", 1)
    root = re.search(r"<workbook[^>]*>", workbook_xml)
    if "xmlns:r=" not in root.group(0):  # openpyxl with lxml declares it on each <sheet>, not on the root
        workbook_xml = workbook_xml.replace("<workbook ", f'<workbook xmlns:r="{RELATIONSHIPS}" ', 1)
    members["xl/workbook.xml"] = workbook_xml
    members["xl/_rels/workbook.xml.rels"] = members["xl/_rels/workbook.xml.rels"].decode("utf-8").replace(
        "</Relationships>", f'<Relationship Id="rId99" Type="{EXTERNAL_LINK_TYPE}" '
                            'Target="externalLinks/externalLink1.xml"/></Relationships>')
    members["xl/externalLinks/externalLink1.xml"] = (
        f'<?xml version="1.0" encoding="UTF-8"?><externalLink xmlns="{MAIN}" xmlns:r="{RELATIONSHIPS}">'
        '<externalBook r:id="rId1"><sheetNames><sheetName val="Sheet1"/></sheetNames></externalBook></externalLink>')
    members["xl/externalLinks/_rels/externalLink1.xml.rels"] = (
        f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{PACKAGE}"><Relationship Id="rId1" '
        f'Type="{EXTERNAL_PATH_TYPE}" Target="{target}" TargetMode="External"/></Relationships>')
    return _zip(members), match.group(1)


def with_connections(template: bytes) -> bytes:
    """The template with a data connection part (an ODBC query Excel would refresh); nothing in it is read."""
    archive = zipfile.ZipFile(io.BytesIO(template))
    members: dict[str, bytes | str] = {name: archive.read(name) for name in archive.namelist()}
    members["xl/connections.xml"] = (
        f'<?xml version="1.0" encoding="UTF-8"?><connections xmlns="{MAIN}"><connection id="1" name="預算資料庫" '
        'type="1" refreshedVersion="6"><dbPr connection="DSN=budget;" command="SELECT 1"/></connection></connections>')
    return _zip(members)


# name → (generator, file name, the phrase its refusal must contain); the benchmark walks the same list.
REFUSED: dict[str, tuple[Callable[[], bytes], str, str]] = {
    "500 個工作表各宣告 A1:ZZ2000": (many_sheets, "炸彈.xlsx", "活頁簿有 500 個工作表，超過上限 50 個"),
    "10 個工作表合計 1,560 萬格": (sheets_reaching_together, "合計.xlsx", "各工作表的儲存格範圍合計超過"),
    "一格在 XFD1048576": (farthest_cell, "最遠.xlsx", "XFD1048576（1,048,576 列 × 16,384 欄），超過可讀取的上限"),
    "稀疏的 Z999999": (sparse_column, "稀疏.xlsx", "超過可讀取的上限"),
    "200 萬個共用字串": (many_shared_strings, "字串.xlsx", "共用字串超過"),
    "一列 16,000 格未標位置": (unaddressed_row, "公文清單.xlsx", "16,000 欄"),
    "公文清單一列 300 萬個欄位": (document_log_wide_row, "公文清單.csv", "第 2 列有 3,000,000 個欄位，超過上限 500 個"),
    "長表一列 300 萬個欄位": (template_wide_row, "長表.csv", "第 3 列有 3,000,000 個欄位，超過上限 500 個"),
    "長表一列 200 萬個字元": (long_line, "長表.csv", "超過每列上限"),
}
