"""Synthetic exports for tests and the benchmark: small files through openpyxl (real Excel
output with real date cells) and large ones written as sheet XML directly (openpyxl needs minutes
for 500,000 rows). No real person is in here; names and numbers are invented.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import random
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from xml.sax.saxutils import escape

from metrics.intake.exports.common import column_letter

DOCUMENT_LOG_HEADER = ["文號", "收發別", "收文日期", "發文日期", "創稿日期", "交換方式", "簽核方式", "密等", "主旨",
                       "承辦人"]
DOCUMENT_LOG_TITLES = [["新竹縣政府政風處 公文清單"], ["查詢期間：112/01/01-112/12/31"]]


def xlsx_bytes(rows: Sequence[Sequence[object]], sheet: str = "工作表1",
               more_sheets: Sequence[tuple[str, Sequence[Sequence[object]]]] = ()) -> bytes:
    """A workbook whose first sheet holds `rows` from A1 (None leaves a cell empty)."""
    from openpyxl import Workbook

    workbook = Workbook()
    worksheet = workbook.active
    worksheet.title = sheet
    for row in rows:
        worksheet.append(list(row))
    for name, extra_rows in more_sheets:
        extra = workbook.create_sheet(name)
        for row in extra_rows:
            extra.append(list(row))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def csv_bytes(rows: Sequence[Sequence[object]], encoding: str = "utf-8", bom: bool = False,
              delimiter: str = ",") -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n")
    for row in rows:
        writer.writerow(["" if value is None else value for value in row])
    data = buffer.getvalue().encode(encoding)
    return (b"\xef\xbb\xbf" + data) if bom else data


def document_log_rows(count: int, seed: int = 112) -> Iterator[list[object]]:
    """Rows like a 公文管理系統 export, dates in the mixed formats such systems produce."""
    generator = random.Random(seed)
    kinds = ["收文"] * 5 + ["發文"] * 3 + ["創稿", "簽稿"]
    subjects = ["採購", "人事", "會計", "資安", "陳情", "會議"]
    handlers = ["王大明", "陳美玲", "林志強", "張淑芬", "李建宏"]
    first = dt.date(2023, 1, 1)
    for number in range(count):
        kind = generator.choice(kinds)
        day = first + dt.timedelta(days=generator.randrange(365))
        roc = f"{day.year - 1911}/{day.month:02d}/{day.day:02d}"
        exchange = "電子交換" if generator.random() < 0.9 else "紙本"
        signing = "線上簽核" if generator.random() < 0.75 else "紙本簽核"
        level = "普通" if generator.random() < 0.97 else "密"
        yield [
            f"府政字第{1120000000 + number}號",
            kind,
            roc if kind == "收文" else None,
            day if kind == "發文" else None,
            f"{day.year - 1911}{day.month:02d}{day.day:02d}" if kind in ("創稿", "簽稿") else None,
            exchange if kind in ("收文", "發文") else None,
            signing if kind != "發文" else None,
            level,
            f"有關本府{generator.choice(subjects)}事項第{number}號",
            generator.choice(handlers),
        ]


_SPREADSHEET = "application/vnd.openxmlformats-officedocument.spreadsheetml"
_RELATIONSHIP = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    f'<Override PartName="/xl/workbook.xml" ContentType="{_SPREADSHEET}.sheet.main+xml"/>'
    f'<Override PartName="/xl/worksheets/sheet1.xml" ContentType="{_SPREADSHEET}.worksheet+xml"/>'
    f'<Override PartName="/xl/styles.xml" ContentType="{_SPREADSHEET}.styles+xml"/>'
    f'<Override PartName="/xl/sharedStrings.xml" ContentType="{_SPREADSHEET}.sharedStrings+xml"/>'
    '</Types>'
)
_ROOT_RELATIONSHIPS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    f'<Relationship Id="rId1" Type="{_RELATIONSHIP}/officeDocument" Target="xl/workbook.xml"/>'
    '</Relationships>'
)
_WORKBOOK_RELATIONSHIPS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    f'<Relationship Id="rId1" Type="{_RELATIONSHIP}/worksheet" Target="worksheets/sheet1.xml"/>'
    f'<Relationship Id="rId2" Type="{_RELATIONSHIP}/styles" Target="styles.xml"/>'
    f'<Relationship Id="rId3" Type="{_RELATIONSHIP}/sharedStrings" Target="sharedStrings.xml"/>'
    '</Relationships>'
)
_STYLES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    '<numFmts count="1"><numFmt numFmtId="164" formatCode="yyyy/mm/dd"/></numFmts>'
    '<fonts count="1"><font><sz val="11"/><name val="Calibri"/></font></fonts>'
    '<fills count="1"><fill><patternFill patternType="none"/></fill></fills>'
    '<borders count="1"><border/></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="2"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    '<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/></cellXfs>'
    '</styleSheet>'
)


def write_large_xlsx(path: str, rows: Iterable[Sequence[object]], sheet: str = "公文清單", *,
                     inline_strings: bool = False) -> int:
    """Writes rows (str, int, float, date or None) as a one-sheet workbook, streaming; returns
    the number of rows written. Strings go to the shared-string table as Excel itself does, or with
    `inline_strings` into each cell (t="inlineStr"), as xlsxwriter's constant-memory mode and many
    export programs write them."""
    shared: dict[str, int] = {}
    epoch = dt.date(1899, 12, 30)
    written = 0
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        with archive.open("xl/worksheets/sheet1.xml", "w") as stream:
            stream.write(b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
                         b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>')
            pending: list[str] = []
            for number, row in enumerate(rows, start=1):
                cells: list[str] = []
                for index, value in enumerate(row):
                    if value is None or value == "":
                        continue
                    reference = f"{column_letter(index)}{number}"
                    if isinstance(value, str) and inline_strings:
                        cells.append(f'<c r="{reference}" t="inlineStr"><is><t>{escape(value)}</t></is></c>')
                    elif isinstance(value, str):
                        position = shared.setdefault(value, len(shared))
                        cells.append(f'<c r="{reference}" t="s"><v>{position}</v></c>')
                    elif isinstance(value, dt.date):
                        cells.append(f'<c r="{reference}" s="1"><v>{(value - epoch).days}</v></c>')
                    else:
                        cells.append(f'<c r="{reference}"><v>{value}</v></c>')
                pending.append(f'<row r="{number}">{"".join(cells)}</row>')
                written = number
                if len(pending) >= 5000:
                    stream.write("".join(pending).encode("utf-8"))
                    pending.clear()
            stream.write("".join(pending).encode("utf-8"))
            stream.write(b"</sheetData></worksheet>")
        with archive.open("xl/sharedStrings.xml", "w") as stream:
            stream.write(('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
                          '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
                          f'count="{len(shared)}" uniqueCount="{len(shared)}">').encode())
            batch: list[str] = []
            for text in shared:
                batch.append(f"<si><t>{escape(text)}</t></si>")
                if len(batch) >= 5000:
                    stream.write("".join(batch).encode("utf-8"))
                    batch.clear()
            stream.write(("".join(batch) + "</sst>").encode("utf-8"))
        archive.writestr("[Content_Types].xml", _CONTENT_TYPES)
        archive.writestr("_rels/.rels", _ROOT_RELATIONSHIPS)
        archive.writestr("xl/workbook.xml",
                         '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
                         '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
                         'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
                         f'<sheets><sheet name="{escape(sheet)}" sheetId="1" r:id="rId1"/></sheets></workbook>')
        archive.writestr("xl/_rels/workbook.xml.rels", _WORKBOOK_RELATIONSHIPS)
        archive.writestr("xl/styles.xml", _STYLES)
    return written


def write_large_csv(path: str, rows: Iterable[Sequence[object]], encoding: str = "cp950") -> int:
    """Writes rows as CSV the way Excel saves it in Taiwan (CP950, CRLF); dates as 2023/3/31."""
    written = 0
    with open(path, "w", encoding=encoding, newline="") as stream:
        writer = csv.writer(stream, lineterminator="\r\n")
        for row in rows:
            writer.writerow(["" if value is None else
                             f"{value.year}/{value.month}/{value.day}" if isinstance(value, dt.date) else value
                             for value in row])
            written += 1
    return written
