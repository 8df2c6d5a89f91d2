"""Refusing unsafe or unusable uploads before any parser sees them.

`check_upload` looks only at the bytes' size, the name's extension, the file's magic number and, for a
workbook, the zip directory (member count, declared sizes, compression ratios, macros). It never
decompresses, so a zip bomb is refused in milliseconds. calamine's zip reader also refuses a member that
inflates beyond its declared size, so the declared sizes checked here bound what it will allocate.

`inspect_workbook` then has each worksheet's XML scanned (metrics.intake.sheet_xml) to find how far its cells
reach and which formula cells carry no cached result: a byte scan at about the speed calamine reads, with a
defusedxml parse only for sheets written in an unusual way; workbook.xml and its relationships always go through
defusedxml. calamine allocates a sheet as a dense grid from A1 to the farthest cell, so a few kilobytes naming
cells A1 and ZZ200000 would otherwise exhaust memory and abort the process; and it silently returns a blank for
a formula nobody calculated.

Each check's answer is kept on the upload (metrics.intake.upload.Upload.once): a file is checked once per limit,
however many readers ask.
"""

from __future__ import annotations

import csv
import itertools
import posixpath
import re
import struct
import zipfile

import defusedxml  # noqa: F401  # openpyxl parses through defusedxml whenever it is installed
import defusedxml.ElementTree as safe_xml
from defusedxml import DefusedXmlException

from metrics.errors import InputError, Problem
from metrics.intake.sheet_xml import (NOT_A_WORKBOOK, RELATIONSHIP_NAMESPACES, SAVE_AS_XLSX, GatheredScan, SheetScan,
                                      SheetTooLarge, cell_name, local, read_small, relationship_targets,
                                      resolve_target, scan_sheet, scan_sheet_exactly, worksheet_parts)
from metrics.intake.upload import Upload
from metrics.intake.parsing import decode_text

# One size limit per kind of file, used by the app, the command line and README (tests/test_hostile_files.py compares).
TEMPLATE_MAX_BYTES = 20 * 1024 * 1024  # 月報範本與長表
EXPORT_MAX_BYTES = 100 * 1024 * 1024  # 系統匯出檔 (a synthetic year of 公文清單 is 25 MB as .xlsx, 45 MB as CP950 .csv)
MAX_UPLOAD_BYTES = TEMPLATE_MAX_BYTES
# Limits on a file's structure, checked from the zip directory and the XML bytes before any reader allocates
# cells: a few kilobytes can otherwise claim gigabytes. Real files stay far below them.
MAX_SHEETS = 50  # worksheets in one workbook; the template has 1, exports a handful
MAX_WORKBOOK_CELLS = 20_000_000  # rows × columns summed over the sheets read, as the readers allocate them
SPARSE_BASE_CELLS = 2_000_000  # a grid of this many cells is allowed from any file, however small
CELLS_PER_FILE_BYTE = 1  # beyond the base, one cell per byte on disk: a real export has about 0.3
SHARED_STRINGS_BASE = 200_000
SHARED_STRINGS_PER_FILE_BYTE = 0.25  # a real string costs several compressed bytes; readers keep every one
MAX_CSV_FIELDS = 500  # fields in one CSV line: the template has about 15, a 公文清單 about 15 to 40
MAX_CSV_LINE_BYTES = 1024 * 1024
MAX_ZIP_MEMBERS = 1_000
MAX_UNCOMPRESSED_BYTES = 200 * 1024 * 1024
MAX_COMPRESSION_RATIO = 100
RATIO_CHECK_MIN_BYTES = 1024 * 1024
# Rows × columns of one sheet, from A1 to its farthest cell, as a reader allocates the grid (fewer for a small
# file: allowed_cells). The README states both.
TEMPLATE_SHEET_CELLS = 2_000_000  # 月報範本與長表: one needs about a thousand; 2 million numbers peak near 160 MB
EXPORT_SHEET_CELLS = 30_000_000  # 系統匯出檔: read column by column, only the used columns are kept

ZIP_MAGIC = b"PK\x03\x04"
EMPTY_ZIP_MAGIC = b"PK\x05\x06"
OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # .xls, .doc, and password-protected .xlsx

MACRO_MESSAGE = ("含有巨集（VBA）的活頁簿不接受上傳；請在 Excel 以「另存新檔」選擇「Excel 活頁簿 (*.xlsx)」"
                 "（不含巨集）存檔後再上傳")

_OTHER_OFFICE_PARTS = {
    "word/document.xml": "Word 文件",
    "ppt/presentation.xml": "PowerPoint 簡報",
    "content.xml": "OpenDocument 文件（如 .ods）",
}


def extension_of(filename: str) -> str:
    """'報表.XLSX' → 'xlsx'; '' when the name has no extension. Browsers may send a Windows path."""
    base = re.split(r"[\\/]", filename)[-1]
    if "." not in base.strip("."):
        return ""
    return base.rsplit(".", 1)[-1].strip().lower()


def describe_mismatch(filename: str, kind: str) -> str | None:
    """A sentence for the user when the content (`kind`) is not what the extension says, else None."""
    extension = extension_of(filename)
    if extension == "csv" and kind == "xlsx":
        return ("檔名的副檔名是 .csv，但內容其實是 Excel 活頁簿（.xlsx），已依內容以 Excel 檔讀取；"
                "建議將檔名改為 .xlsx")
    if extension == "xlsx" and kind == "csv":
        return ("檔名的副檔名是 .xlsx，但內容其實是 CSV 文字檔，已依內容以 CSV 讀取；"
                "建議將檔名改為 .csv")
    return None


def check_upload(upload: Upload | bytes, filename: str = "", *, max_bytes: int = TEMPLATE_MAX_BYTES,
                 max_uncompressed_bytes: int | None = None) -> str:
    """'xlsx' or 'csv', judged by content; raises InputError for anything unsafe or unusable. The answer is
    kept on the upload: each limit is checked once per file, however many readers ask.

    `max_uncompressed_bytes` defaults to 200 MB, or ten times `max_bytes` when that is larger (system
    exports are allowed bigger files).
    """
    upload = Upload.of(upload, filename)
    if max_uncompressed_bytes is None:
        max_uncompressed_bytes = max(MAX_UNCOMPRESSED_BYTES, 10 * max_bytes)
    limit = max_uncompressed_bytes
    return upload.once(("check_upload", max_bytes, limit), lambda: _check_upload(upload, max_bytes, limit))


def _check_upload(upload: Upload, max_bytes: int, max_uncompressed_bytes: int) -> str:
    data, filename = upload.data, upload.name

    def refuse(message: str) -> InputError:
        return InputError(Problem(message, file=filename))

    if len(data) == 0:
        raise refuse("檔案是空的（0 位元組）；請確認已存檔後再上傳")
    if len(data) > max_bytes:
        raise refuse(too_large_message(len(data), max_bytes))
    extension = extension_of(filename)
    shown = f".{extension}" if extension else "（沒有副檔名）"
    if extension == "xls":
        raise refuse(f"舊版 Excel 格式（.xls）不支援；{SAVE_AS_XLSX}")
    if extension in {"xlsm", "xltm", "xlam"}:
        raise refuse(MACRO_MESSAGE)
    if extension in {"xlsb", "xltx", "ods", "numbers", "et"}:
        raise refuse(f"不支援 {shown} 格式；{SAVE_AS_XLSX}")
    if extension not in {"xlsx", "csv"}:
        raise refuse(f"只接受 Excel 活頁簿（.xlsx）或 CSV 檔（.csv），這個檔案的副檔名是 {shown}；{SAVE_AS_XLSX}")

    note = "（檔名的副檔名是 .csv，但內容是 ZIP 壓縮檔，不是 CSV 文字檔）" if extension == "csv" else ""
    if data.startswith(ZIP_MAGIC) or data.startswith(EMPTY_ZIP_MAGIC):
        _check_zip(upload, note, max_uncompressed_bytes)
        return "xlsx"
    if data.startswith(OLE2_MAGIC):
        raise refuse(f"這個檔案是舊版 Excel（.xls）格式，或是設有開啟密碼的活頁簿，無法讀取；"
                     f"請移除密碼，並{SAVE_AS_XLSX.removeprefix('請')}")
    if extension == "xlsx":
        if looks_like_csv_table(data):
            return "csv"
        if looks_like_text(data):
            raise refuse(f"{NOT_A_WORKBOOK}，也不是可讀取的 CSV 表格（內容是文字，但沒有以逗號或 Tab 分隔、"
                         f"各列欄數一致的欄位）；請確認選對檔案，或在原系統或 Excel 開啟後{SAVE_AS_XLSX.removeprefix('請在 Excel 開啟後')}")
        raise refuse(f"{NOT_A_WORKBOOK}（內容不是 .xlsx 格式，檔案可能已損毀或副檔名被改過），也不是 CSV 文字檔；"
                     f"請確認選對檔案，或{SAVE_AS_XLSX.removeprefix('請')}")
    if data.startswith(b"%PDF"):
        raise refuse("內容是 PDF 檔，不是 CSV 文字檔；請上傳 Excel 活頁簿（.xlsx）或 CSV 檔")
    return "csv"


def limits_sentence() -> str:
    """The size limits as README and the pages state them."""
    return (f"上傳檔案大小上限：月報範本與長表 {TEMPLATE_MAX_BYTES // 1024 // 1024} MB，"
            f"系統匯出檔 {EXPORT_MAX_BYTES // 1024 // 1024} MB。")


def too_large_message(size: int, max_bytes: int) -> str:
    """「檔案大小 197.0 MB，超過上限 100.0 MB（系統匯出檔上限 100 MB，月報範本與長表上限 20 MB）」."""
    kinds = {EXPORT_MAX_BYTES: "系統匯出檔", TEMPLATE_MAX_BYTES: "月報範本與長表"}
    named = ""
    if max_bytes in kinds:
        named = "（" + "，".join(f"{kind}上限 {limit // 1024 // 1024} MB"
                                for limit, kind in sorted(kinds.items(), key=lambda item: item[0] != max_bytes)) + "）"
    return f"檔案大小 {_megabytes(size)}，超過上限 {_megabytes(max_bytes)}{named}；請只保留需要的工作表與資料後再上傳"


def allowed_cells(file_bytes: int, ceiling: int) -> int:
    """How many grid cells a file of this size may make a reader allocate: a sparse file naming far cells
    gets the base, a dense one about a cell per byte, never more than `ceiling`."""
    return min(ceiling, SPARSE_BASE_CELLS + CELLS_PER_FILE_BYTE * file_bytes)


def allowed_shared_strings(file_bytes: int) -> int:
    return SHARED_STRINGS_BASE + int(SHARED_STRINGS_PER_FILE_BYTE * file_bytes)


def looks_like_text(data: bytes) -> bool:
    """Decodes as UTF-8/BOM/CP950 and has no control characters but line breaks and tabs."""
    try:
        text, _ = decode_text(data)
    except (ValueError, UnicodeError):
        return False
    return control_character_count(text) == 0


CSV_DELIMITERS = (",", "\t", ";", "|")
CSV_SAMPLE_BYTES = 64 * 1024
CSV_SAMPLE_LINES = 50


def looks_like_csv_table(data: bytes) -> bool:
    """Text that reads as a table: with one delimiter, at least two lines (a header and a row) have the same
    number of fields (two or more), and they are at least half of the non-blank lines sampled (title lines
    above the header are allowed). A text file renamed .xlsx is only told to rename it to .csv when it is one."""
    try:
        text, _ = decode_text(data[:CSV_SAMPLE_BYTES])
    except (ValueError, UnicodeError):
        try:  # the sample may have cut a multi-byte character in two
            text, _ = decode_text(data[:CSV_SAMPLE_BYTES - 1])
        except (ValueError, UnicodeError):
            return False
    if control_character_count(text):
        return False
    lines = [line for line in text.splitlines() if line.strip()][:CSV_SAMPLE_LINES]
    if len(lines) < 2:
        return False
    for delimiter in CSV_DELIMITERS:
        widths = [len(row) for row in csv.reader(lines, delimiter=delimiter)]
        several = [width for width in widths if width >= 2]
        if not several:
            continue
        common = max(set(several), key=several.count)
        if several.count(common) >= 2 and several.count(common) * 2 >= len(widths):
            return True
    return False


_CONTROL_CHARACTER = re.compile("[\x00-\x08\x0b\x0e-\x1f\x7f-\x9f]")  # category Cc but tab, line breaks, form feed


def control_character_count(text: str) -> int:
    return sum(1 for _ in _CONTROL_CHARACTER.finditer(text))


_NOT_CONTROL_BYTES = bytes(byte for byte in range(256) if not (byte <= 0x08 or byte == 0x0B or 0x0E <= byte <= 0x1F
                                                              or byte == 0x7F))


def has_control_characters(text: str, utf8: bytes | None = None) -> bool:
    """Whether the text holds a control character (_CONTROL_CHARACTER). `utf8`, the same text as UTF-8 when
    at hand, answers a large file several times faster: deleting every other byte leaves the C0 controls,
    and the C1 controls (U+0080–U+009F) can only be there when a 0xC2 byte is."""
    if utf8 is not None:
        if utf8.translate(None, _NOT_CONTROL_BYTES):
            return True
        if b"\xc2" not in utf8:
            return False
    return _CONTROL_CHARACTER.search(text) is not None


def _megabytes(size: int) -> str:
    return f"{size / 1024 / 1024:,.1f} MB"


def _check_zip(upload: Upload, note: str, max_uncompressed_bytes: int) -> None:
    def refuse(message: str) -> InputError:
        return InputError(Problem(message + note, file=upload.name))

    not_workbook = f"{NOT_A_WORKBOOK}（壓縮檔結構有誤或已損毀）；{SAVE_AS_XLSX}"
    declared = _declared_member_count(upload.data)
    if declared is not None and declared > MAX_ZIP_MEMBERS:
        raise refuse(_too_many_members(declared))
    try:
        members = upload.archive.infolist()
    except Exception as error:  # zipfile raises many kinds on corrupt directories
        raise refuse(not_workbook) from error
    if len(members) > MAX_ZIP_MEMBERS:
        raise refuse(_too_many_members(len(members)))
    for member in members:
        ratio = member.file_size / max(member.compress_size, 1)
        if member.file_size > RATIO_CHECK_MIN_BYTES and ratio > MAX_COMPRESSION_RATIO:
            raise refuse(f"檔案內的「{member.filename}」解壓縮後約 {_megabytes(member.file_size)}，"
                         f"壓縮比約 {ratio:,.0f}:1，遠超過一般 Excel 檔，疑似壓縮炸彈，為安全起見不予讀取；"
                         "請確認檔案來源")
    total = sum(member.file_size for member in members)
    if total > max_uncompressed_bytes:
        raise refuse(f"檔案解壓縮後共 {_megabytes(total)}，超過安全上限 {_megabytes(max_uncompressed_bytes)}，"
                     "為安全起見不予讀取；請確認檔案來源，或只保留需要的資料後重新存檔")
    names = {member.filename for member in members}
    if any(posixpath.basename(name).lower() == "vbaproject.bin" for name in names):
        raise refuse(MACRO_MESSAGE)
    if any(member.flag_bits & 0x1 for member in members):
        raise refuse("檔案內容已加密，無法讀取；請移除密碼保護後重新存成 .xlsx 再上傳")
    if "xl/workbook.xml" not in names:
        for part, kind in _OTHER_OFFICE_PARTS.items():
            if part in names:
                raise refuse(f"{NOT_A_WORKBOOK}（內容是{kind}）；請上傳 Excel 活頁簿（.xlsx）或 CSV 檔")
        raise refuse(f"{NOT_A_WORKBOOK}（壓縮檔內沒有活頁簿內容 xl/workbook.xml）；{SAVE_AS_XLSX}")


def _too_many_members(count: int) -> str:
    return (f"檔案內含 {count:,} 個壓縮成員，超過安全上限 {MAX_ZIP_MEMBERS:,} 個，不像一般的 Excel 檔，"
            "為安全起見不予讀取；請確認檔案來源")


def _declared_member_count(data: bytes) -> int | None:
    """The entry count in the end-of-central-directory record, read without building the whole directory."""
    position = data.rfind(EMPTY_ZIP_MAGIC, max(0, len(data) - 65_557))
    if position < 0 or position + 22 > len(data):
        return None
    count = struct.unpack_from("<H", data, position + 10)[0]
    return None if count == 0xFFFF else count


def check_csv_lines(text: str | bytes, filename: str, delimiters: str = ",\t;",
                    max_fields: int = MAX_CSV_FIELDS, max_line_bytes: int = MAX_CSV_LINE_BYTES) -> None:
    """Refuse a CSV with a line of too many fields or too many characters, before a parser allocates them.

    A line can only hold more than `max_fields` fields when it is longer than that, so only such lines are
    counted (a regular expression finds them at scanning speed). A delimiter inside quotes is counted too:
    the limit is far above what a real table needs.
    """
    newline = b"\n" if isinstance(text, bytes) else "\n"
    carriage = b"\r" if isinstance(text, bytes) else "\r"
    if newline not in text and carriage in text:  # lines ended by CR alone (old Mac)
        text = text.replace(carriage, newline)
    pattern = rb"\n[^\n]{%d,}" % max_fields if isinstance(text, bytes) else r"\n[^\n]{%d,}" % max_fields
    first_end = text.find(newline)
    first_end = len(text) if first_end < 0 else first_end
    candidates = itertools.chain(
        [(0, text[:first_end])] if first_end >= max_fields else [],
        ((match.start() + 1, match.group(0)[1:]) for match in re.finditer(pattern, text)))  # the literal \n is fast
    for start, line in candidates:
        fields = max(line.count(delimiter.encode() if isinstance(text, bytes) else delimiter)
                     for delimiter in delimiters) + 1
        size = len(line)
        if fields <= max_fields and size <= max_line_bytes:
            continue
        number = text.count(newline, 0, start) + 1
        if fields > max_fields:
            message = (f"第 {number:,} 列有 {fields:,} 個欄位，超過上限 {max_fields:,} 個；"
                       "請確認檔案是否正確（可在 Excel 開啟後刪除多餘的欄，再另存為 CSV）")
        else:
            message = (f"第 {number:,} 列長達 {size:,} 個字元，超過每列上限 {max_line_bytes:,} 個；"
                       "請確認檔案是否正確（可在 Excel 開啟後另存為 CSV）")
        raise InputError(Problem(message, file=filename))


# Worksheet inspection -------------------------------------------------------------------------------


def inspect_workbook(upload: Upload | bytes, filename: str = "", *, max_cells: int = TEMPLATE_SHEET_CELLS,
                     max_total_cells: int | None = None) -> list[SheetScan]:
    """Every worksheet's name, XML part, extent and uncalculated formulas, in workbook order.

    Call after `check_upload` returned 'xlsx'. Raises InputError when the workbook has too many sheets or
    shared strings, a sheet (or all of them together) reaches too far for the file's size (it would exhaust
    memory when read), a formula takes its value from another workbook, or the XML is malformed or unsafe.
    `max_total_cells` (default `max_cells`) bounds the sheets together, and both shrink for a small file.
    """
    upload = Upload.of(upload, filename)
    return list(upload.once(("inspect_workbook", max_cells, max_total_cells),
                            lambda: tuple(_inspect_workbook(upload, max_cells, max_total_cells))))


def _inspect_workbook(upload: Upload, max_cells: int, max_total_cells: int | None) -> list[SheetScan]:
    data, filename = upload.data, upload.name

    def refuse(message: str, sheet: str = "") -> InputError:
        return InputError(Problem(message, file=filename, sheet=sheet))

    try:
        archive = upload.archive
        check_sheet_count(_sheet_count(archive), filename)
        sheets = worksheet_parts(archive)
        links = external_link_targets(archive)
        check_shared_strings(archive, len(data), filename)
    except InputError:
        raise
    except DefusedXmlException as error:
        raise refuse("檔案含有不安全的 XML 宣告（DTD 或實體），為安全起見不予讀取；請在 Excel 重新存檔後再上傳") from error
    except Exception as error:
        raise refuse(f"{NOT_A_WORKBOOK}（活頁簿結構有誤）；{SAVE_AS_XLSX}") from error
    sheet_limit = allowed_cells(len(data), max_cells)
    total_limit = allowed_cells(len(data), max_cells if max_total_cells is None else max_total_cells)
    scans = []
    problems = []
    total = 0
    for name, path in sheets:
        try:
            scan = scan_sheet(archive, name, path)
        except DefusedXmlException as error:
            raise refuse("工作表含有不安全的 XML 宣告（DTD 或實體），為安全起見不予讀取；"
                         "請在 Excel 重新存檔後再上傳", name) from error
        except SheetTooLarge as error:
            problems.append(Problem(str(error), file=filename, sheet=name))
            continue
        except Exception as error:  # corrupt deflate data, bad XML, bad references
            raise refuse(f"{NOT_A_WORKBOOK}（工作表內容有誤，檔案可能已損毀）；{SAVE_AS_XLSX}", name) from error
        cells = scan.rows * scan.columns
        if cells > sheet_limit:
            problems.append(Problem(
                f"工作表的儲存格範圍從 A1 延伸到 {cell_name(scan.rows - 1, scan.columns - 1)}"
                f"（{scan.rows:,} 列 × {scan.columns:,} 欄），超過可讀取的上限 {sheet_limit:,} 格"
                f"{_size_note(sheet_limit, max_cells, len(data))}；"
                "請刪除表格以外遠處的儲存格內容或格式後重新存檔", file=filename, sheet=name))
            continue
        total += cells
        if total > total_limit and not problems:
            problems.append(Problem(
                f"活頁簿各工作表的儲存格範圍合計超過 {total_limit:,} 格（讀到工作表「{name}」時已有 {total:,} 格）"
                f"{_size_note(total_limit, max_cells if max_total_cells is None else max_total_cells, len(data))}；"
                "請只保留需要的工作表，並刪除表格以外遠處的儲存格內容或格式後重新存檔", file=filename))
            break
        problems.extend(_external_problems(scan, links, filename))
        scans.append(scan)
    if problems:
        raise InputError(problems[:MAX_LISTED_PROBLEMS] + (
            [Problem(f"…另有 {len(problems) - MAX_LISTED_PROBLEMS:,} 個問題", file=filename)]
            if len(problems) > MAX_LISTED_PROBLEMS else []))
    return scans


def _external_problems(scan: SheetScan, links: dict[int, str], filename: str) -> list[Problem]:
    return [Problem(f"公式取自另一個活頁簿（{links.get(number, f'外部連結 [{number}]')}），上傳前請將公式改為數值"
                    "（複製→選擇性貼上→值）", file=filename, sheet=scan.name, cell=cell_name(row, column))
            for row, column, number in scan.external_formulas]


def refuse_external_formulas(upload: Upload, sheet: str, gathered: GatheredScan | None = None) -> None:
    """For a reader that does not run `inspect_workbook` (system exports): refuse the sheet's formulas taken
    from another workbook. A workbook without external links (every system export) costs one small parse;
    with links, the sheet's facts come from `gathered` when the reader's own pass gathered them (the sheet is
    then not inflated again), else from a scan of its own."""
    problems: list[Problem] = []
    filename = upload.name
    try:
        archive = upload.archive
        links = external_links(upload)
        if not links:
            return
        for name, path in worksheet_parts(archive):
            if name == sheet:
                scan = scan_sheet(archive, name, path) if gathered is None else gathered.scan(archive, name, path)
                problems = _external_problems(scan, links, filename)
    except InputError:
        raise
    except Exception as error:  # malformed parts: the same sentence inspect_workbook gives
        raise InputError(Problem(f"{NOT_A_WORKBOOK}（活頁簿結構有誤）；{SAVE_AS_XLSX}", file=filename)) from error
    if problems:
        raise InputError(problems[:MAX_LISTED_PROBLEMS])


def external_links(upload: Upload) -> dict[int, str]:
    """external_link_targets of the upload's workbook, read once per upload; raises what it raises."""
    return upload.once("external_links", lambda: external_link_targets(upload.archive))


MAX_LISTED_PROBLEMS = 20
CONNECTIONS_NOTE = "活頁簿含外部資料連線，已忽略；只讀取儲存格中的數值"


def workbook_notes(upload: Upload) -> list[str]:
    """What the user should know about an accepted workbook's parts that are not read (data connections)."""
    if not upload.data.startswith(ZIP_MAGIC):
        return []
    try:
        names = set(upload.archive.namelist())
    except Exception:  # not a workbook: nothing to say
        return []
    return [CONNECTIONS_NOTE] if "xl/connections.xml" in names else []


def _size_note(limit: int, ceiling: int, file_bytes: int) -> str:
    if limit >= ceiling:
        return ""
    return f"（檔案只有 {_file_size(file_bytes)}，可讀取的範圍依檔案大小而定，內容稀疏卻延伸很遠的工作表不予讀取）"


def _file_size(size: int) -> str:
    return _megabytes(size) if size >= 1024 * 1024 else f"{max(1, round(size / 1024)):,} KB"


def check_sheet_count(count: int, filename: str) -> None:
    if count > MAX_SHEETS:
        raise InputError(Problem(f"活頁簿有 {count:,} 個工作表，超過上限 {MAX_SHEETS} 個；"
                                 "請只保留需要的工作表後重新存檔再上傳", file=filename))


def _sheet_count(archive: zipfile.ZipFile) -> int:
    """Sheets declared in workbook.xml, counted on the bytes before anything is parsed."""
    workbook = read_small(archive, "xl/workbook.xml")
    return len(re.findall(rb"<(?:[A-Za-z_][\w.-]*:)?sheet[\s/>]", workbook))


_UNIQUE_COUNT = re.compile(rb'<(?:[A-Za-z_][\w.-]*:)?sst\s[^>]*?\buniqueCount="([0-9]{1,12})"')


def _shared_string_ends(xml: bytes) -> int:
    """</si>, </x:si> and <si/>: bytes.count is several times faster than a regular expression here."""
    return xml.count(b"</si>") + xml.count(b":si>") + xml.count(b"si/>")


def check_shared_strings(archive: zipfile.ZipFile, file_bytes: int, filename: str) -> None:
    """Readers keep every shared string in memory: a small file may not declare millions of them."""
    path = next((name for name in archive.namelist() if name.lower() == "xl/sharedstrings.xml"), None)
    if path is None:
        return
    limit = allowed_shared_strings(file_bytes)
    if archive.getinfo(path).file_size <= limit * len(b"<si/>"):
        return  # too few bytes to hold more strings than allowed: no need to count them
    count = 0
    with archive.open(path) as stream:
        tail = b""
        declared = _UNIQUE_COUNT.search(stream.peek(4096)[:4096])
        if declared and int(declared.group(1)) > limit:  # as Excel writes it; a file that understates is counted
            count = int(declared.group(1))
        while count <= limit and (chunk := stream.read(1 << 22)):
            window = tail + chunk
            cut = max(0, len(window) - 8)  # an end tag cut in two is counted with the next chunk
            count += _shared_string_ends(window[:cut])
            tail = window[cut:]
            if count > limit:
                break
        count += _shared_string_ends(tail)
    if count > limit:
        raise InputError(Problem(
            f"活頁簿的共用字串超過 {limit:,} 個（檔案只有 {_file_size(file_bytes)}，不像一般的 Excel 檔），"
            "為安全起見不予讀取；請在 Excel 開啟後只保留需要的資料重新存檔", file=filename))


def external_link_targets(archive: zipfile.ZipFile) -> dict[int, str]:
    """Link number (the 1 of =[1]Sheet1!A1) → the other workbook's file name, from workbook.xml's
    externalReferences and each external link's relationships."""
    workbook = safe_xml.fromstring(read_small(archive, "xl/workbook.xml"), forbid_dtd=True)
    references = [next((element.get(f"{{{namespace}}}id") for namespace in RELATIONSHIP_NAMESPACES
                        if element.get(f"{{{namespace}}}id")), "")
                  for element in workbook.iter() if local(element.tag) == "externalReference"]
    if not references:
        return {}
    targets = relationship_targets(archive, "xl/_rels/workbook.xml.rels")
    names = set(archive.namelist())
    found: dict[int, str] = {}
    for number, relationship in enumerate(references, start=1):
        part = resolve_target(targets.get(relationship, ""))
        link_relationships = posixpath.join(posixpath.dirname(part), "_rels", posixpath.basename(part) + ".rels")
        if link_relationships in names:
            external = [target for target in relationship_targets(archive, link_relationships).values() if target]
            if external:
                found[number] = _shown_path(external[0])
    return found


def _shown_path(target: str) -> str:
    """'file:///C:\\預算\\預算.xlsx' → 'C:\\預算\\預算.xlsx'; a long path keeps its end."""
    from urllib.parse import unquote

    text = unquote(target.removeprefix("file:///").removeprefix("file://"))
    return text if len(text) <= 60 else "…" + text[-59:]


def exact_extent(archive: zipfile.ZipFile, name: str, path: str, filename: str) -> tuple[int, int]:
    """(rows, columns) from A1 to the farthest cell of a sheet, as an XML parser places them (cells without
    r="A1" after the previous one): for a reader whose own byte scan found cells it cannot follow. The same
    refusals as inspect_workbook: too large to parse, outside Excel's grid, or not well-formed."""
    try:
        scan = scan_sheet_exactly(archive, name, path)
    except SheetTooLarge as error:
        raise InputError(Problem(str(error), file=filename, sheet=name)) from None
    except DefusedXmlException as error:
        raise InputError(Problem("工作表含有不安全的 XML 宣告（DTD 或實體），為安全起見不予讀取；"
                                 "請在 Excel 重新存檔後再上傳", file=filename, sheet=name)) from error
    except Exception as error:  # corrupt deflate data, bad XML, bad references
        raise InputError(Problem(f"{NOT_A_WORKBOOK}（工作表內容有誤，檔案可能已損毀）；{SAVE_AS_XLSX}", file=filename,
                                 sheet=name)) from error
    return scan.rows, scan.columns


__all__ = [
    "EXPORT_MAX_BYTES", "EXPORT_SHEET_CELLS", "MAX_UPLOAD_BYTES", "TEMPLATE_MAX_BYTES", "TEMPLATE_SHEET_CELLS",
    "check_csv_lines", "check_upload", "describe_mismatch", "exact_extent", "extension_of", "inspect_workbook",
    "limits_sentence", "looks_like_text", "workbook_notes",
]
