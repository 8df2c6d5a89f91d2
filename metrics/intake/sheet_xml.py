"""The one scanner of a workbook's XML: which parts hold the worksheets, and what a worksheet's bytes declare
before any reader allocates a cell — how far its cells reach, which formulas carry no result, which cells hold
an error or a link to another workbook — plus the vocabulary every pass over sheet XML shares (cell references,
column letters, relationships, a member inflated in chunks).

The safety checks (metrics.intake.safety) and the readers (metrics.intake.extract, metrics.intake.sheet_stream)
use it; none of them parses references or relationships in a way of its own. A sheet is inflated once: the
reader of a large export gathers the safety checks' facts on its own pass (GatheredScan).

A byte scan does the work at about the speed calamine reads; a defusedxml parse places the cells only of sheets
written in an unusual way (cells without r="A1", namespace prefixes, single quotes). Nothing here is expanded or
resolved: a DTD or entity declaration is refused as defusedxml would.
"""

from __future__ import annotations

import posixpath
import re
import zipfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Protocol
from xml.etree.ElementTree import Element

import defusedxml.ElementTree as safe_xml
from defusedxml import DefusedXmlException

from metrics.errors import InputError, Problem

MAX_WORKBOOK_XML_BYTES = 10 * 1024 * 1024
MAX_PARSED_SHEET_BYTES = 30 * 1024 * 1024  # the slow exact path, for sheets the byte scan cannot follow
EXCEL_MAX_ROWS = 1_048_576
EXCEL_MAX_COLUMNS = 16_384
SAVE_AS_XLSX = "請在 Excel 開啟後以「另存新檔」選擇「Excel 活頁簿 (*.xlsx)」存檔，再上傳 .xlsx 檔"
NOT_A_WORKBOOK = "不是有效的 Excel 檔案"


RELATIONSHIP_NAMESPACES = (
    "http://schemas.openxmlformats.org/officeDocument/2006/relationships",
    "http://purl.oclc.org/ooxml/officeDocument/relationships",
)


_CELL_REFERENCE = re.compile(r"^\$?([A-Za-z]{1,3})\$?([0-9]{1,7})$")


@dataclass(frozen=True)
class SheetScan:
    """One worksheet as its XML declares it, before any cell is read."""

    name: str
    path: str
    rows: int  # the farthest row holding a cell, 1-based (0 when the sheet is empty)
    columns: int  # the farthest column holding a cell, 1-based
    uncached_formulas: tuple[tuple[int, int], ...]  # 0-based (row, column) of formulas without a result
    error_cells: tuple[tuple[int, int], ...] = ()  # 0-based cells holding an Excel error (#DIV/0!, #REF!, …)
    external_formulas: tuple[tuple[int, int, int], ...] = ()  # 0-based (row, column, link number) of =[1]Sheet!A1


def column_letters(column: int) -> str:
    """0 → 'A', 25 → 'Z', 26 → 'AA'."""
    letters = ""
    number = column + 1
    while number:
        number, remainder = divmod(number - 1, 26)
        letters = chr(ord("A") + remainder) + letters
    return letters


def cell_name(row: int, column: int) -> str:
    """0-based (row, column) → A1-style name as Excel shows it."""
    return f"{column_letters(column)}{row + 1}"


def column_number(letters: str | bytes) -> int:
    """'A' → 1, 'AB' → 28 (1-based), as text or as the bytes a byte scan found."""
    number = 0
    for letter in letters.upper() if isinstance(letters, str) else letters.decode("latin-1"):
        number = number * 26 + ord(letter) - 64
    return number


def parse_reference(reference: str) -> tuple[int, int]:
    match = _CELL_REFERENCE.match(reference.strip())
    if not match:
        raise ValueError(f"bad cell reference {reference!r}")
    letters, digits = match.groups()
    row = int(digits) - 1
    if row < 0:
        raise ValueError(f"bad cell reference {reference!r}")
    return row, column_number(letters) - 1


def _parse_row_number(raw: str) -> int:
    if not raw.strip().isdigit() or int(raw) < 1:
        raise ValueError(f"bad row number {raw!r}")
    return int(raw) - 1


class SheetTooLarge(Exception):
    pass


def local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def worksheet_parts(archive: zipfile.ZipFile) -> list[tuple[str, str]]:
    """(sheet name, XML part path) of each worksheet, from xl/workbook.xml and its relationships."""
    workbook = read_small(archive, "xl/workbook.xml")
    targets = {identifier: (target, kind) for identifier, (kind, target) in
               relationships(archive, "xl/_rels/workbook.xml.rels").items() if target}
    names = set(archive.namelist())
    parts = []
    for element in safe_xml.fromstring(workbook, forbid_dtd=True).iter():
        if local(element.tag) != "sheet":
            continue
        name = element.get("name", "")
        relationship = next((element.get(f"{{{namespace}}}id") for namespace in RELATIONSHIP_NAMESPACES
                             if element.get(f"{{{namespace}}}id")), None)
        target, kind = targets.get(relationship or "", ("", ""))
        if kind and not kind.endswith("/worksheet"):
            continue  # chart sheets and dialog sheets hold no cells
        path = resolve_target(target)
        if path not in names:
            raise ValueError(f"worksheet part for {name!r} not found")
        parts.append((name, path))
    return parts


def relationships(archive: zipfile.ZipFile, path: str) -> dict[str, tuple[str, str]]:
    """Id → (Type, Target as written) of a relationships part; {} when the workbook has no such part."""
    if path not in archive.namelist():
        return {}
    root = safe_xml.fromstring(read_small(archive, path), forbid_dtd=True)
    return {element.get("Id"): (element.get("Type", ""), element.get("Target", "")) for element in root.iter()
            if local(element.tag) == "Relationship" and element.get("Id")}


def relationship_targets(archive: zipfile.ZipFile, path: str) -> dict[str, str]:
    """Id → Target as written (another workbook's file name, for an external link)."""
    return {identifier: target for identifier, (_, target) in relationships(archive, path).items()}


def read_small(archive: zipfile.ZipFile, name: str) -> bytes:
    if archive.getinfo(name).file_size > MAX_WORKBOOK_XML_BYTES:
        raise ValueError(f"{name} is implausibly large")
    return archive.read(name)


def resolve_target(target: str) -> str:
    """A relationship's target as the path of a part in the archive."""
    if target.startswith("/"):
        return posixpath.normpath(target.lstrip("/"))
    return posixpath.normpath(posixpath.join("xl", target))


def scan_sheet(archive: zipfile.ZipFile, name: str, path: str) -> SheetScan:
    scan = _scan_sheet_fast(archive, name, path)
    if scan is None:  # some cells carry no r="A1" reference: follow positions the slow way
        return scan_sheet_exactly(archive, name, path)
    return _within_excel(scan)


def scan_sheet_exactly(archive: zipfile.ZipFile, name: str, path: str) -> SheetScan:
    if archive.getinfo(path).file_size > MAX_PARSED_SHEET_BYTES:
        raise SheetTooLarge("工作表的寫法特殊（儲存格未標示位置）且內容過大，無法安全讀取；"
                             "請在 Excel 開啟後重新存檔再上傳，或另存為 CSV")
    return _within_excel(_scan_sheet_parsed(archive, name, path))


def _within_excel(scan: SheetScan) -> SheetScan:
    if scan.rows > EXCEL_MAX_ROWS or scan.columns > EXCEL_MAX_COLUMNS:
        raise SheetTooLarge(f"工作表的儲存格位置超出 Excel 的範圍（第 {scan.rows:,} 列、第 {scan.columns:,} 欄），"
                             "檔案可能已損毀")
    return scan


_PREFIX = rb"(?:[A-Za-z_][\w.-]*:)?"


_TYPE = re.compile(rb"""\st\s*=\s*["']([^"']*)["']""")


_ROW_CLOSE = re.compile(rb"</" + _PREFIX + rb"row\s*>")


def _last_row_close(chunk: bytes) -> int:
    """The offset just after the chunk's last </row> (any prefix), or -1."""
    position = chunk.rfind(b"row>")
    while position >= 0:
        opening = chunk.rfind(b"</", 0, position)
        if opening >= 0 and _ROW_CLOSE.fullmatch(chunk, opening, position + 4):
            return position + 4
        position = chunk.rfind(b"row>", 0, position)
    return -1


_SCAN_READ = 1 << 20


def _scan_sheet_fast(archive: zipfile.ZipFile, name: str, path: str) -> SheetScan | None:
    """Extent and uncalculated formulas by scanning the bytes, or None when the sheet is written in a way
    this scan does not follow (cells without r="A1", namespace prefixes, single quotes): the caller then
    parses it. The whole part is scanned, not just the first <sheetData>, so no cell escapes the count."""
    scanner = SheetScanner()
    with archive.open(path) as stream:
        while scanner.followed and (chunk := stream.read(_SCAN_READ)):
            scanner.feed(chunk)
    return scanner.result(name, path)


class SheetScanner:
    """The byte scan of one worksheet's XML, fed the part's bytes in order in pieces of any size: whichever
    pass inflates a sheet (the safety scan above, or the reader of a large export) gathers its facts with it,
    so no sheet is inflated a second time for them.

    It looks at whole rows (each piece cut after a closing row tag, so no cell is ever cut in two). No XML
    parser runs here (nothing is expanded or resolved); a DTD or entity declaration is refused all the same,
    as defusedxml would.
    """

    def __init__(self) -> None:
        self.followed = True  # False once a cell is written in a way this scan does not follow
        self._pending: list[bytes] = []
        self._max_row = 0
        self._letters: set[bytes] = set()
        self._uncached: list[tuple[int, int]] = []
        self._errors: list[tuple[int, int]] = []
        self._external: list[tuple[int, int, int]] = []
        self._least = (0, 0)  # rows and columns reached by cells another reader counted (grow)

    def feed(self, chunk: bytes) -> None:
        if not self.followed:
            return
        cut = _last_row_close(chunk)
        if cut < 0:
            self._pending.append(chunk)
            return
        piece = b"".join([*self._pending, chunk[:cut]])
        self._pending = [chunk[cut:]]
        self._piece(piece)

    def flush(self) -> None:
        """Scans what was fed as a whole piece: the caller has fed up to the end of a tag."""
        if self.followed and self._pending:
            piece = b"".join(self._pending)
            self._pending = []
            self._piece(piece)

    def formulas_and_errors(self, piece: bytes) -> None:
        """The formulas and error cells of whole rows whose cells another reader checked (see GatheredScan.rows):
        found with the same expressions, on the same bytes."""
        if b"<f" in piece:
            self._uncached.extend(_uncached_formulas(piece))
        if b't="e"' in piece:
            self._errors.extend(parse_reference(reference.decode("ascii", "replace"))
                                for reference in _ERROR_CELL.findall(piece))
        if b"[" in piece and b"<f" in piece:
            self._external.extend(_external_formulas(piece))

    def grow(self, rows: int, columns: int) -> None:
        """The extent of the cells another reader counted."""
        self._least = (max(self._least[0], rows), max(self._least[1], columns))

    def result(self, name: str, path: str) -> SheetScan | None:
        """The sheet's facts once every byte was fed, or None when it is written in a way this scan does not
        follow (the caller then parses it)."""
        self.flush()
        if not self.followed:
            return None
        max_column = max((column_number(letter.decode("ascii")) for letter in self._letters), default=0)
        return SheetScan(name, path, max(self._max_row, self._least[0]), max(max_column, self._least[1]),
                         tuple(self._uncached), tuple(self._errors), tuple(self._external))

    def _piece(self, piece: bytes) -> None:
        if b"<!DOCTYPE" in piece or b"<!ENTITY" in piece:
            raise DefusedXmlException("DTD or entity declaration in a worksheet")
        cells = len(_ANY_CELL.findall(piece))
        references = _ORDINARY_CELL.findall(piece)
        if len(references) != cells or PREFIXED_CELL.search(piece) or HIDDEN_TEXT.search(piece):
            self.followed = False  # a cell written otherwise, or text a byte scan could take for one
            self._pending = []
            return
        if references:
            self._letters.update({reference[0] for reference in references})
            self._max_row = max(self._max_row, max(map(int, {reference[1] for reference in references})))
        self.formulas_and_errors(piece)


_FORMULA_CELL = re.compile(rb'<c(\s[^>]*)>\s*+<f(?:\s[^>]*)?>([^<]*)</f>')


_EXTERNAL_LINK = re.compile(r"\[([0-9]+)\]")


def _external_formulas(piece: bytes) -> Iterator[tuple[int, int, int]]:
    for attributes, formula in _FORMULA_CELL.findall(piece):
        number = external_link_number(formula.decode("utf-8", "replace"))
        if number is None:
            continue
        reference = _ATTRIBUTE_R.search(attributes)
        if reference is None:
            raise ValueError("formula cell without a reference")
        yield (*parse_reference(reference.group(1).decode("ascii", "replace")), number)


def external_link_number(formula: str) -> int | None:
    """1 for "[1]Sheet1!A1" or "SUM('[1]預算'!B2:B5)"; None for a formula within the workbook (a table's
    structured reference such as 表1[[#This Row],[數量]] names no number)."""
    match = _EXTERNAL_LINK.search(formula)
    return int(match.group(1)) if match else None


# A cell as spreadsheet programs write it: r first, then only the usual attributes. A second r (which calamine
# takes), any other attribute (which could hide r="…" in its value) or other spacing is left to the parser.
_ORDINARY_CELL = re.compile(rb'<c r="([A-Z]{1,3})([0-9]{1,7})"(?: (?:s|t|cm|vm|ph)="[^"<>]*+")*+ ?/?>')


_ANY_CELL = re.compile(rb'<c[\s/>]')


PREFIXED_CELL = re.compile(rb':c[\s/>]')


HIDDEN_TEXT = re.compile(rb'<!--|<!\[CDATA\[|<\?(?!xml\s)')  # comments, CDATA, processing instructions


# An error value cached in a cell (t="e"), its reference before or after the type.
_ERROR_CELL = re.compile(rb'<c\s(?=[^>]*\bt="e")[^>]*?\br="([A-Z]{1,3}[0-9]{1,7})"')


# A cell whose formula is not followed by a value with content: a candidate for "never calculated".
_FORMULA_WITHOUT_VALUE = re.compile(
    rb'<c(\s[^>]*)>\s*+<f(?:\s[^>]*)?(?:/>|>[^<]*</f>)\s*+(?!<v>[^<])(?!<v\s[^>]*>[^<])')


def _uncached_formulas(piece: bytes) -> Iterator[tuple[int, int]]:
    for attributes in _FORMULA_WITHOUT_VALUE.findall(piece):
        kind = _TYPE.search(attributes)
        if kind and kind.group(1) in {b"str", b"s", b"inlineStr"}:
            continue  # a cached empty text result
        reference = _ATTRIBUTE_R.search(attributes)
        if reference is None:
            raise ValueError("formula cell without a reference")
        yield parse_reference(reference.group(1).decode("ascii", "replace"))


def _scan_sheet_parsed(archive: zipfile.ZipFile, name: str, path: str) -> SheetScan:
    max_row = max_column = 0
    uncached: list[tuple[int, int]] = []
    errors: list[tuple[int, int]] = []
    external: list[tuple[int, int, int]] = []
    for row, column, formula_without_result, error, link in _cells_parsed(archive, path):
        max_row = max(max_row, row + 1)
        max_column = max(max_column, column + 1)
        if formula_without_result:
            uncached.append((row, column))
        if error:
            errors.append((row, column))
        if link is not None:
            external.append((row, column, link))
    return SheetScan(name, path, max_row, max_column, tuple(uncached), tuple(errors), tuple(external))


_ATTRIBUTE_R = re.compile(rb"""\sr\s*=\s*["']([^"']*)["']""")


def _cells_parsed(archive: zipfile.ZipFile, path: str) -> Iterator[tuple[int, int, bool, bool, int | None]]:
    row = -1
    column = -1
    parent: Element | None = None
    in_row = False
    with archive.open(path) as stream:
        for event, element in safe_xml.iterparse(stream, events=("start", "end"), forbid_dtd=True):
            tag = local(element.tag)
            if event == "start":
                if tag == "sheetData":
                    parent = element
                elif tag == "row":
                    if in_row:  # readers disagree on where the cells after a nested row go
                        raise ValueError("a row inside a row")
                    in_row = True
                    reference = element.get("r")
                    row = _parse_row_number(reference) if reference else row + 1
                    column = -1
                continue
            if tag == "c":
                reference = element.get("r")
                if reference:
                    cell_row, column = parse_reference(reference)
                else:  # after the previous cell, in the row its <row> element names (not the previous cell's)
                    cell_row, column = row, column + 1
                formula = next((child.text or "" for child in element if local(child.tag) == "f"), "")
                yield (max(cell_row, 0), column, _is_uncached_formula(element), element.get("t") == "e",
                       external_link_number(formula) if formula else None)
                element.clear()
            elif tag == "row":
                in_row = False
                if parent is not None:
                    parent.remove(element)


def _is_uncached_formula(cell: Element) -> bool:
    formula = value = None
    for child in cell:
        tag = local(child.tag)
        if tag == "f":
            formula = child
        elif tag == "v":
            value = child
    if formula is None:
        return False
    if value is None:
        return True
    # A cached empty text result is written as t="str" with an empty <v>; openpyxl writes <v /> untyped.
    return not (value.text or "") and cell.get("t") not in {"str", "s", "inlineStr"}


# Cells as a reader finds them ------------------------------------------------------------------------------


def cell_position(reference: str) -> tuple[int, int]:
    """0-based (row, column) of a reference as a reader takes it: its letters and its digits, whatever else."""
    letters = "".join(character for character in reference if character.isalpha())
    digits = "".join(character for character in reference if character.isdigit())
    return int(digits) - 1, column_number(letters) - 1


# One pass each with a literal prefix (fast). Every cell of an ordinary export is written <c r="A1" s="…" t="…">:
# r first, a column A–Z, a row below 1,000,000, then at most a style and a type. A cell written any other way
# (more letters or digits, no r, r later or twice, which the reader takes the last of, other attributes, a
# namespace prefix) sends the sheet to metrics.intake.safety.exact_extent, an XML parse that places every cell where
# the reader does.
UNUSUAL_CELL = re.compile(rb'<c(?! r="[A-Z][0-9]{1,6}"(?: [st]="[^"<>]*+")?+(?: [st]="[^"<>]*+")?+/?>)[\s/>]')


_ORDINARY_ROW = re.compile(rb'<c r="[A-Z]([0-9]{1,6})"')


_ORDINARY_COLUMN = re.compile(rb'<c r="([A-Z])[0-9]')


EXCEL_SINGLE_LETTER_CELLS = 26 * 999_999


SCAN_CHUNK = 16 * 1024 * 1024


def member_chunks(data: bytes, archive: zipfile.ZipFile, path: str, filename: str,
                   size: int | None = None) -> Iterator[bytes]:
    """A member's bytes, decompressed in chunks of at most `size` (SCAN_CHUNK by default), never more than the
    size the zip declares. A deflated member is inflated straight from the file's bytes, skipping zipfile's CRC
    (the reader that follows checks the file; this pass only measures); any other kind goes through zipfile."""
    size = size or SCAN_CHUNK
    info = archive.getinfo(path)
    start = info.header_offset + 30
    header = data[info.header_offset:start]
    damaged = InputError(Problem(f"{NOT_A_WORKBOOK}（活頁簿內容有誤，檔案可能已損毀）；{SAVE_AS_XLSX}",
                                 filename))
    if info.compress_type != zipfile.ZIP_DEFLATED or info.flag_bits & 0x1 or len(header) < 30 \
            or header[:4] != b"PK\x03\x04":
        try:
            with archive.open(path) as stream:
                while chunk := stream.read(size):
                    yield chunk
        except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, RuntimeError) as error:
            raise damaged from error
        return
    start += int.from_bytes(header[26:28], "little") + int.from_bytes(header[28:30], "little")
    compressed = memoryview(data)[start:start + info.compress_size]
    inflater = zlib.decompressobj(-zlib.MAX_WBITS)
    position = 0
    produced = 0
    try:
        while not inflater.eof:
            if inflater.unconsumed_tail:
                source = inflater.unconsumed_tail
            elif position < len(compressed):
                source = compressed[position:position + size]
                position += len(source)
            else:
                break
            chunk = inflater.decompress(source, size)
            produced += len(chunk)
            if produced > info.file_size:  # more than the size the zip checks were made against
                raise damaged
            if chunk:
                yield chunk
        if rest := inflater.flush():
            yield rest
    except zlib.error as error:
        raise damaged from error


class Seen(Protocol):
    """What the reader saw in a piece of rows (metrics.intake.sheet_stream.Seen)."""

    formula: bool  # a tag named f
    other_type: bool  # a cell typed other than n, s, b, str or inlineStr
    passed_over: bool  # anything the reader does not check as the byte scan would


class GatheredScan:
    """A worksheet's facts gathered while the reader of a large export inflates it for its own ends: the safety
    checks take them from here instead of inflating the sheet again.

    The reader hands over the bytes outside <sheetData> (the byte scan looks at them as scan_sheet does) and,
    inside, whole rows it has read and so checked: every cell written <c r="A1" s="…" t="…"> within Excel's
    grid, rows in order, no comment, declaration, processing instruction or namespace prefix. Of those rows
    the byte scan would learn nothing more than their extent, which the reader counted, and their formulas
    and error cells, which are found here with the byte scan's own expressions.

    `scan()` answers as scan_sheet would, raising what it would raise. It inflates the sheet anew when the
    reader stopped before the part's end, when a piece holds what the reader passes over but the byte scan
    does not, or when the bytes are not the ones zipfile would have given (member_chunks skips zipfile's
    checks: the size and CRC the directory declares, the local header's name).
    """

    def __init__(self, data: bytes, archive: zipfile.ZipFile, path: str):
        self.path = path
        self._data = data
        self._info = archive.getinfo(path)
        self._scanner = SheetScanner()
        self._failure: Exception | None = None
        self._unsure = False
        self._crc = 0
        self._size = 0
        self._inflated_all = False
        self._handed_all = False

    def watch(self, chunks: Iterator[bytes]) -> Iterator[bytes]:
        """The part's chunks as inflated, their size and CRC noted on the way (in the inflating thread)."""
        for chunk in chunks:
            self._crc = zlib.crc32(chunk, self._crc)
            self._size += len(chunk)
            yield chunk
        self._inflated_all = True

    def outside(self, piece: bytes, *, ends_tag: bool = False) -> None:
        """The next bytes of the part outside <sheetData>; `ends_tag` when a tag ends with them."""
        self._scan(lambda: self._scanner.feed(piece))
        if ends_tag:
            self._scan(self._scanner.flush)

    def rows(self, piece: bytes, seen: Seen) -> None:
        """The next whole rows inside <sheetData>, read by the reader (see above), and what it saw in them."""
        if seen.passed_over:
            self._unsure = True  # a cell name the reader passes over, or a tag too near the end for its checks
        elif seen.formula or seen.other_type:
            self._scan(lambda: self._scanner.formulas_and_errors(piece))

    def finished(self, rows: int, columns: int) -> None:
        """Every byte of the part was handed over; the rows inside <sheetData> reach this far."""
        self._scanner.grow(rows, columns)
        self._handed_all = True

    def _scan(self, step: Callable[[], None]) -> None:
        if self._failure is None and not self._unsure and self._scanner.followed:  # as scan_sheet stops
            try:
                step()
            except Exception as error:  # raised by scan(), where scan_sheet would have raised it
                self._failure = error

    def scan(self, archive: zipfile.ZipFile, name: str, path: str) -> SheetScan:
        if path != self.path or not (self._inflated_all and self._handed_all) or self._unsure \
                or not self._intact():
            return scan_sheet(archive, name, path)
        if self._failure is not None:
            raise self._failure
        try:
            scan = self._scanner.result(name, path)
        except Exception as error:
            self._failure = error
            raise
        if scan is None:
            return scan_sheet_exactly(archive, name, path)
        return _within_excel(scan)

    def _intact(self) -> bool:
        info = self._info
        if self._size != info.file_size or self._crc != info.CRC or info.flag_bits & 0x60:
            return False  # zipfile refuses a wrong size or CRC, patched data and strong encryption
        start = info.header_offset + 30
        header = self._data[info.header_offset:start]
        if len(header) < 30 or header[:4] != b"PK\x03\x04":
            return False
        raw = self._data[start:start + int.from_bytes(header[26:28], "little")]
        try:
            name = raw.decode("utf-8" if int.from_bytes(header[6:8], "little") & 0x800 else "cp437")
        except UnicodeDecodeError:
            return False
        return name == info.orig_filename


_LONGEST_TAG_BYTES = 1024 * 1024  # no cell of Excel holds more than 32,767 characters


def complete_tags(window: bytes, filename: str, sheet: str) -> int:
    """Where the window's last tag ends: what follows waits for the next chunk. A sheet with a megabyte and
    more without a tag ending is not one a spreadsheet program wrote."""
    end = window.rfind(b">") + 1
    if len(window) - end > _LONGEST_TAG_BYTES:
        raise InputError(Problem("工作表內容有超過 1 MB 沒有分隔的一段，不像試算表程式存出的檔案；"
                                 f"{SAVE_AS_XLSX}", filename, sheet))
    return end


def ordinary_extent(window: bytes, end: int, rows: int, columns: int) -> tuple[int, int]:
    """rows and columns grown to the farthest <c r="A1"> reference of window[:end]."""
    numbers = set(_ORDINARY_ROW.findall(window, 0, end))
    letters = set(_ORDINARY_COLUMN.findall(window, 0, end))
    if not numbers:
        return rows, columns
    return max(rows, max(map(int, numbers))), max(columns, max(letters)[0] - 64)
