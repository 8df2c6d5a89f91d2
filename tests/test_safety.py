"""Safe file handling: size, extension and content, zip bombs, macros, sheets that reach too far, formulas
never calculated, unsafe XML."""

from __future__ import annotations

import io
import random
import struct
import time
import zipfile
import zlib
from decimal import Decimal

import openpyxl
import pytest

from catalogues import CATALOGUE
from metrics.intake import safety
from metrics.errors import InputError
from metrics.intake.monthly import read_upload
from metrics.intake.safety import check_upload, describe_mismatch, extension_of, inspect_workbook
from metrics.intake.sheet_xml import cell_name, column_letters

MAIN_NAMESPACE = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"


def workbook(cells: dict[str, object] | None = None, title: str = "月報") -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = title
    for reference, value in (cells or {"A1": 1}).items():
        sheet[reference] = value
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def members_of(data: bytes) -> dict[str, bytes]:
    archive = zipfile.ZipFile(io.BytesIO(data))
    return {name: archive.read(name) for name in archive.namelist()}


def rezip(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def with_sheet_xml(sheet_xml: str, base: bytes | None = None) -> bytes:
    members = members_of(base or workbook())
    members["xl/worksheets/sheet1.xml"] = sheet_xml.encode("utf-8")
    return rezip(members)


def sheet_xml(sheet_data: str, after: str = "") -> str:
    return (f'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="{MAIN_NAMESPACE}" '
            'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
            f"<sheetData>{sheet_data}</sheetData>{after}</worksheet>")


def raw_zip(members: list[tuple[str, bytes, int, int, int]]) -> bytes:
    """A zip written by hand: (name, payload as stored, CRC-32, uncompressed size, method 0 or 8)."""
    body = bytearray()
    directory = bytearray()
    for name, payload, crc, size, method in members:
        encoded = name.encode("utf-8")
        offset = len(body)
        body += struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0x800, method, 0, 0x21, crc, len(payload), size,
                            len(encoded), 0) + encoded + payload
        directory += struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, 0x800, method, 0, 0x21, crc,
                                 len(payload), size, len(encoded), 0, 0, 0, 0, 0, offset) + encoded
    end = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(members), len(members), len(directory), len(body), 0)
    return bytes(body + directory + end)


def zeros_deflated(gibibytes: int = 1) -> tuple[bytes, int, int]:
    """Raw deflate of 1 GiB of zeros, (payload, crc, size), built in well under a second: one fully flushed
    1 MiB segment repeated, which is a valid stream because each flushed segment stands alone."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    megabyte = bytes(1 << 20)
    segment = compressor.compress(megabyte) + compressor.flush(zlib.Z_FULL_FLUSH)
    count = 1024 * gibibytes
    payload = segment * count + compressor.flush(zlib.Z_FINISH)
    crc = 0
    for _ in range(count):
        crc = zlib.crc32(megabyte, crc)
    return payload, crc, count << 20


@pytest.fixture(scope="module")
def zip_bomb() -> bytes:
    """A real workbook whose sheet is 1 GiB of zeros deflated to about 1 MB."""
    payload, crc, size = zeros_deflated()
    members = [(name, content, zlib.crc32(content), len(content), 0)
               for name, content in members_of(workbook()).items() if name != "xl/worksheets/sheet1.xml"]
    members.append(("xl/worksheets/sheet1.xml", payload, crc, size, 8))
    return raw_zip(members)


def message_of(data: bytes, filename: str, **options) -> str:
    with pytest.raises(InputError) as caught:
        check_upload(data, filename, **options)
    return str(caught.value)


# Size, extension and content ----------------------------------------------------------------------------

NOISE = random.Random(112).randbytes(2 * 1024 * 1024)  # incompressible
CSV_TEXT = "年度,月份,項目代碼,數值\n112,1,warning_cases,1\n".encode("cp950")


@pytest.mark.parametrize("filename, data, kind", [
    ("a.xlsx", workbook(), "xlsx"),
    ("A.XLSX", workbook(), "xlsx"),
    ("C:\\fakepath\\月報.xlsx", workbook(), "xlsx"),
    ("a.csv", CSV_TEXT, "csv"),
    ("a.CSV", "\ufeff年度,月份".encode("utf-8"), "csv"),
    ("a.csv", workbook(), "xlsx"),  # the content decides
    ("a.xlsx", CSV_TEXT, "csv"),
    ("a.xlsx", "公文清單\n查詢期間：112/01\n收發別\t日期\n發文\t112/01/05\n".encode("utf-8"), "csv"),  # titles, Tab
    ("a.xlsx", "a;b;c\n1;2;3\n4;5;6\n".encode("utf-8"), "csv"),
])
def test_accepted_kinds(filename, data, kind):
    assert check_upload(data, filename) == kind


@pytest.mark.parametrize("filename, data, text", [
    ("a.csv", b"", "檔案是空的"),
    ("a.xlsx", b"", "檔案是空的"),
    ("a.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "舊版 Excel 格式（.xls）不支援；請在 Excel 開啟後以「另存新檔」選擇「Excel 活頁簿 (*.xlsx)」"),
    ("a.xlsm", workbook(), "含有巨集（VBA）的活頁簿不接受上傳"),
    ("a.xlsb", b"x", "不支援 .xlsb 格式"),
    ("a.ods", b"x", "不支援 .ods 格式"),
    ("a.pdf", b"%PDF-1.4", "只接受 Excel 活頁簿（.xlsx）或 CSV 檔（.csv），這個檔案的副檔名是 .pdf"),
    ("a.txt", CSV_TEXT, "副檔名是 .txt"),
    ("README", CSV_TEXT, "（沒有副檔名）"),
    ("a.xlsx", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(64), "舊版 Excel（.xls）格式，或是設有開啟密碼的活頁簿"),
    ("a.csv", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(64), "舊版 Excel（.xls）格式"),
    ("a.csv", b"%PDF-1.7 ...", "內容是 PDF 檔"),
    ("a.xlsx", bytes(range(256)), "不是有效的 Excel 檔案（內容不是 .xlsx 格式，檔案可能已損毀或副檔名被改過），也不是 CSV 文字檔"),
    # text that is no table: never told to rename it .csv
    ("a.xlsx", "這是會議紀錄，不是報表。\n請參閱附件。\n".encode("utf-8"), "也不是可讀取的 CSV 表格"),
    ("a.xlsx", b"just one line, with a comma", "也不是可讀取的 CSV 表格"),
    ("a.xlsx", "標題,欄二\n".encode("utf-8"), "也不是可讀取的 CSV 表格"),  # a header but no row
    ("a.xlsx", "a,b\nc\nd\ne\nf,g,h,i\n".encode("utf-8"), "也不是可讀取的 CSV 表格"),  # no consistent width
    ("a.xlsx", b"PK\x03\x04garbage", "不是有效的 Excel 檔案（壓縮檔結構有誤"),
    ("a.csv", b"PK\x03\x04garbage", "內容是 ZIP 壓縮檔，不是 CSV 文字檔"),
    ("a.xlsx", rezip({"hello.txt": b"hi"}), "沒有活頁簿內容 xl/workbook.xml"),
    ("a.xlsx", rezip({"word/document.xml": b"<w/>", "[Content_Types].xml": b"<x/>"}), "內容是Word 文件"),
])
def test_refused_files(filename, data, text):
    message = message_of(data, filename)
    assert text in message
    assert message.startswith(f"檔案「{filename}」：")


def test_size_limit():
    data = CSV_TEXT * 10
    assert check_upload(data, "a.csv", max_bytes=len(data)) == "csv"
    assert "超過上限" in message_of(data, "a.csv", max_bytes=len(data) - 1)
    assert "超過上限 20.0 MB（月報範本與長表上限 20 MB，系統匯出檔上限 100 MB）" in message_of(
        b"x" * (safety.MAX_UPLOAD_BYTES + 1), "a.csv")


@pytest.mark.parametrize("filename, extension", [
    ("a.xlsx", "xlsx"), ("月報.112.CSV", "csv"), ("a", ""), (".csv", ""), ("C:\\tmp\\b.Xls", "xls"), ("d/e.f/g", ""),
])
def test_extension_of(filename, extension):
    assert extension_of(filename) == extension


@pytest.mark.parametrize("filename, kind, expected", [
    ("a.csv", "xlsx", "副檔名是 .csv，但內容其實是 Excel 活頁簿"),
    ("a.xlsx", "csv", "副檔名是 .xlsx，但內容其實是 CSV 文字檔"),
    ("a.xlsx", "xlsx", None),
    ("a.csv", "csv", None),
])
def test_describe_mismatch(filename, kind, expected):
    note = describe_mismatch(filename, kind)
    assert (note is None) if expected is None else (expected in note)


# Zip bombs and macros ----------------------------------------------------------------------------------

def test_a_zip_bomb_is_refused_from_the_directory_alone(zip_bomb):
    assert len(zip_bomb) < 2 * 1024 * 1024
    started = time.perf_counter()
    message = message_of(zip_bomb, "月報.xlsx")
    assert time.perf_counter() - started < 1.0
    assert "「xl/worksheets/sheet1.xml」解壓縮後約 1,024.0 MB" in message
    assert "疑似壓縮炸彈" in message


def test_a_zip_bomb_named_csv_is_refused_too(zip_bomb):
    message = message_of(zip_bomb, "月報.csv")
    assert "疑似壓縮炸彈" in message and "副檔名是 .csv，但內容是 ZIP 壓縮檔" in message


def test_the_compression_ratio_needs_a_large_member():
    # 1 MB of zeros compresses about 1000:1 but is not large enough to be suspicious
    assert check_upload(rezip({**members_of(workbook()), "xl/media/blank.bin": bytes(1024 * 1024)}),
                        "a.xlsx") == "xlsx"


def test_total_uncompressed_size_is_limited():
    data = rezip({**members_of(workbook()), "xl/media/noise.bin": NOISE})
    assert check_upload(data, "a.xlsx") == "xlsx"
    assert "超過安全上限 1.0 MB" in message_of(data, "a.xlsx", max_uncompressed_bytes=1024 * 1024)


def test_the_uncompressed_limit_grows_with_the_upload_limit():
    data = rezip({**members_of(workbook()), "xl/media/noise.bin": NOISE})
    assert check_upload(data, "a.xlsx", max_bytes=200 * 1024 * 1024) == "xlsx"


@pytest.mark.parametrize("count, accepted", [(safety.MAX_ZIP_MEMBERS, True), (safety.MAX_ZIP_MEMBERS + 1, False)])
def test_member_count_is_limited(count, accepted):
    members = members_of(workbook())
    members.update({f"xl/media/{index}.bin": b"" for index in range(count - len(members))})
    data = rezip(members)
    if accepted:
        assert check_upload(data, "a.xlsx") == "xlsx"
    else:
        assert f"內含 {count:,} 個壓縮成員，超過安全上限 1,000 個" in message_of(data, "a.xlsx")


@pytest.mark.parametrize("member", ["xl/vbaProject.bin", "xl/VBAPROJECT.BIN"])
@pytest.mark.parametrize("filename", ["a.xlsx", "a.csv"])
def test_macros_are_refused_whatever_the_extension(member, filename):
    data = rezip({**members_of(workbook()), member: b"\xd0\xcf\x11\xe0"})
    message = message_of(data, filename)
    assert "含有巨集（VBA）的活頁簿不接受上傳" in message and "（不含巨集）存檔後再上傳" in message


def test_a_macro_zip_without_a_workbook_is_still_named_a_macro():
    assert "含有巨集" in message_of(rezip({"xl/vbaProject.bin": b"x"}), "a.xlsx")


def test_encrypted_members_are_refused():
    members = [(name, content, zlib.crc32(content), len(content), 0) for name, content in members_of(workbook()).items()]
    data = bytearray(raw_zip(members))
    position = data.find(b"PK\x01\x02")
    while position >= 0:  # set the "encrypted" flag in every central directory entry
        struct.pack_into("<H", data, position + 8, 0x801)
        position = data.find(b"PK\x01\x02", position + 4)
    assert "已加密" in message_of(bytes(data), "a.xlsx")


def test_openpyxl_parses_through_defusedxml():
    from openpyxl.xml import DEFUSEDXML

    assert DEFUSEDXML is True


# Inspecting worksheets ---------------------------------------------------------------------------------

def test_uncached_formulas_are_found_with_their_cells():
    data = workbook({"A1": 1, "D5": "=1+1", "AA30": "=SUM(A1:A2)", "B2": "text"})
    [scan] = inspect_workbook(data, "a.xlsx")
    assert (scan.name, scan.rows, scan.columns) == ("月報", 30, 27)
    assert [cell_name(*cell) for cell in scan.uncached_formulas] == ["D5", "AA30"]


@pytest.mark.parametrize("cell_xml, uncached", [
    ('<c r="A1"><f>1+1</f><v>2</v></c>', False),
    ('<c r="A1"><f>1+1</f><v/></c>', True),
    ('<c r="A1"><f>1+1</f></c>', True),
    ('<c r="A1" t="str"><f>""</f><v></v></c>', False),  # a cached empty text result
    ('<c r="A1" t="n"><f>1+1</f><v></v></c>', True),
    ('<c r="A1"><f t="shared" ref="A1:A2" si="0">B1</f><v>3</v></c>', False),
    ('<c r="A1"><f t="shared" si="0"/></c>', True),
    ('<c r="A1"><v>5</v></c>', False),
    ('<c r="A1">\n  <f>1+1</f>\n  <v>2</v>\n</c>', False),  # pretty-printed by some generators
    ('<c r="A1">\n  <f>1+1</f>\n  <v/>\n</c>', True),
    ('<c r="A1">\n  <f>1+1</f>\n</c>', True),
])
def test_what_counts_as_a_formula_without_a_result(cell_xml, uncached):
    data = with_sheet_xml(sheet_xml(f'<row r="1">{cell_xml}</row>'))
    [scan] = inspect_workbook(data, "a.xlsx")
    assert scan.uncached_formulas == (((0, 0),) if uncached else ())


def test_a_formula_with_a_cached_result_is_read_as_its_value():
    rows = "".join(f'<row r="{r}"><c r="A{r}" t="inlineStr"><is><t>{text}</t></is></c>{extra}</row>'
                   for r, text, extra in [(1, "項目代碼", '<c r="B1" t="inlineStr"><is><t>1月</t></is></c>'),
                                          (2, "warning_cases", '<c r="B2"><f>1+1</f><v>2</v></c>')])
    frame = read_upload(with_sheet_xml(sheet_xml(rows)), "a.xlsx", CATALOGUE, year=112, unit="政風處")
    assert list(frame["value"]) == [Decimal(2)] and list(frame["source_cell"]) == ["B2"]


def test_formulas_outside_cells_are_not_cells():
    extension = ('<extLst><ext uri="{CCE6A557-97BC-4b89-ADB6-D9C93CAAB3DF}" '
                 'xmlns:x14="http://schemas.microsoft.com/office/spreadsheetml/2009/9/main">'
                 '<x14:dataValidations xmlns:xm="http://schemas.microsoft.com/office/excel/2006/main" count="1">'
                 '<x14:dataValidation type="list"><x14:formula1><xm:f>說明!$A$1:$A$3</xm:f></x14:formula1>'
                 '<xm:sqref>D5</xm:sqref></x14:dataValidation></x14:dataValidations></ext></extLst>')
    [scan] = inspect_workbook(with_sheet_xml(sheet_xml('<row r="1"><c r="A1"><v>1</v></c></row>', extension)),
                              "a.xlsx")
    assert scan.uncached_formulas == ()


def test_cells_without_references_and_with_prefixes_are_followed_exactly():
    plain = sheet_xml('<row r="2"><c><v>1</v></c><c><f>1+1</f></c></row><row><c/><c/><c><v>3</v></c></row>')
    prefixed = (f'<x:worksheet xmlns:x="{MAIN_NAMESPACE}"><x:sheetData><x:row r="2"><x:c r="A2"><x:v>1</x:v></x:c>'
                '<x:c r="B2"><x:f>1+1</x:f></x:c></x:row><x:row r="3"><x:c r="C3"><x:v>3</x:v></x:c></x:row>'
                '</x:sheetData></x:worksheet>')
    for xml in (plain, prefixed):
        [scan] = inspect_workbook(with_sheet_xml(xml), "a.xlsx")
        assert (scan.rows, scan.columns, scan.uncached_formulas) == (3, 3, ((1, 1),))


def test_a_sheet_reaching_too_far_is_refused_before_it_is_read():
    # calamine would allocate 200,000 × 702 cells for these two values and abort the process
    data = workbook({"A1": 1, "ZZ200000": 2})
    assert len(data) < 10_000
    with pytest.raises(InputError) as caught:
        inspect_workbook(data, "a.xlsx")
    message = str(caught.value)
    limit = safety.allowed_cells(len(data), safety.TEMPLATE_SHEET_CELLS)  # a sparse file is allowed fewer cells
    assert f"從 A1 延伸到 ZZ200000（200,000 列 × 702 欄），超過可讀取的上限 {limit:,} 格" in message
    with pytest.raises(InputError, match="延伸到 ZZ200000"):
        read_upload(data, "a.xlsx", CATALOGUE, year=112, unit="政風處")


@pytest.mark.parametrize("max_cells, accepted", [(100, True), (99, False)])
def test_the_cell_limit_boundary(max_cells, accepted):
    data = workbook({"A1": 1, "J10": 2})
    if accepted:
        assert inspect_workbook(data, "a.xlsx", max_cells=max_cells)[0].rows == 10
    else:
        with pytest.raises(InputError, match="10 列 × 10 欄"):
            inspect_workbook(data, "a.xlsx", max_cells=max_cells)


def test_cells_beyond_excels_grid_are_refused():
    data = with_sheet_xml(sheet_xml('<row r="1048577"><c r="A1048577"><v>1</v></c></row>'))
    with pytest.raises(InputError, match="超出 Excel 的範圍"):
        inspect_workbook(data, "a.xlsx")


BILLION_LAUGHS = ('<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
                  '<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>')


def test_a_dtd_in_a_sheet_is_refused():
    xml = BILLION_LAUGHS + sheet_xml('<row r="1"><c r="A1" t="inlineStr"><is><t>&lol2;</t></is></c></row>').split(
        "?>", 1)[1]
    with pytest.raises(InputError, match="不安全的 XML"):
        inspect_workbook(with_sheet_xml(xml), "a.xlsx")


def test_a_dtd_in_the_workbook_part_is_refused():
    members = members_of(workbook())
    members["xl/workbook.xml"] = BILLION_LAUGHS.encode() + members["xl/workbook.xml"].split(b"?>", 1)[-1]
    with pytest.raises(InputError, match="不安全的 XML"):
        inspect_workbook(rezip(members), "a.xlsx")


def test_every_worksheet_is_inspected_in_order_and_chart_sheets_are_skipped():
    book = openpyxl.Workbook()
    book.active.title = "月報"
    book.create_sheet("說明")["C3"] = "x"
    book.create_chartsheet("圖表")
    buffer = io.BytesIO()
    book.save(buffer)
    scans = inspect_workbook(buffer.getvalue(), "a.xlsx")
    assert [(scan.name, scan.rows, scan.columns) for scan in scans] == [("月報", 0, 0), ("說明", 3, 3)]


def test_a_workbook_missing_its_sheet_part_is_not_valid():
    members = members_of(workbook())
    del members["xl/worksheets/sheet1.xml"]
    with pytest.raises(InputError, match="不是有效的 Excel 檔案"):
        inspect_workbook(rezip(members), "a.xlsx")


@pytest.mark.parametrize("column, letters", [(0, "A"), (25, "Z"), (26, "AA"), (701, "ZZ"), (702, "AAA"),
                                             (16383, "XFD")])
def test_column_letters(column, letters):
    assert column_letters(column) == letters
    assert cell_name(4, column) == f"{letters}5"


@pytest.mark.parametrize("data", [b"\x00\x01garbage", "會議紀錄\n請參閱附件\n".encode("utf-8")])
def test_garbage_renamed_xlsx_is_not_called_a_csv(data):
    message = message_of(data, "月報.xlsx")
    assert "內容其實是 CSV 文字檔" not in message and "改為 .csv" not in message
    assert "不是有效的 Excel 檔案" in message and "CSV" in message


@pytest.mark.parametrize("text, expected", [
    ("年度,月份\r\n112,1\r\n", False),
    ("tab\tand form feed\x0c are text", False),
    ("a\x01b", True),
    ("a\x7fb", True),
    ("a\x85b", True),  # C1: 0xC2 0x85 in UTF-8
    ("溫度 30°C，±1", False),  # 0xC2 0xB0 and 0xC2 0xB1: not controls
    ("", False),
])
def test_control_characters_are_found_with_or_without_the_utf8_bytes(text, expected):
    assert safety.has_control_characters(text) is expected
    assert safety.has_control_characters(text, text.encode("utf-8")) is expected
