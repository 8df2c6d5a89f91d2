"""The used columns of a large export sheet without loading the sheet.

fastexcel (calamine) builds the whole sheet as a grid, every column and every shared string, before it
selects columns: a 24 MB, 500,000-row 公文清單 costs about 450 MB. This reader inflates the sheet's XML
in chunks and finds its cells with numpy on the bytes, keeping for each used column only the sheet row
and a code per cell. Each distinct cell (style, type, value, as written) is collected once, and so is
each shared string the used columns refer to; calamine then reads those few cells from a small workbook
built of them with the original styles, so every value comes out exactly as fastexcel gives it
(numbers, dates under the workbook's own formats, booleans, rich text).

Only sheets written the ordinary way take this path (each cell `<c r="AB12" s="…" t="…">` within Excel's
last cell, rows and columns in order, no comments, CDATA or namespace prefixes); the caller reads anything
else with fastexcel, as before, once its true extent is known.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np
import pandas as pd

from metrics.errors import InputError, Problem
from metrics.exports.reading import member_chunks

_CHUNK = 4 * 1024 * 1024
_LONGEST_WINDOW = 64 * 1024 * 1024  # a single row this long is not an ordinary export
_GATHER_WIDTH = 96  # cells up to this many bytes are compared as fixed-width byte strings
_LESS, _GREATER, _SLASH, _QUOTE, _SPACE, _COLON, _BANG, _QUESTION = 60, 62, 47, 34, 32, 58, 33, 63
_LETTER_C, _LETTER_I, _LETTER_S, _LETTER_V, _ZERO = 99, 105, 115, 118, 48


def _byte_set(members: bytes) -> np.ndarray:
    """A table answering, for each byte value, whether it is one of `members`: table[array] for a whole array."""
    table = np.zeros(256, dtype=bool)
    table[list(members)] = True
    return table


_AFTER_NAME = _byte_set(b"\t\n\r/>")  # <c followed by these is a cell, but not an ordinary one
_AFTER_NAME_OR_SPACE = _byte_set(b" \t\n\r/>")
_SPACE_OR_GREATER = _byte_set(b" \t\n\r>")
_OFFSETS = np.arange(14)
_EXCEL_ROWS, _EXCEL_COLUMNS = 1_048_576, 16_384
_REFERENCE_START = np.frombuffer(b'r="', dtype=np.uint8)
_HOLDS_VALUE = re.compile(rb"<v>[^<]|<is[\s>]")  # as _holding_values, for a few cells
_ORDINARY_TAIL = re.compile(rb'(?: [st]="[^"<>]*")?(?: [st]="[^"<>]*")?/?>')  # as reading.UNUSUAL_CELL
_SHARED_KEY = re.compile(rb'(?: s="[^"]*")? t="s"(?: s="[^"]*")?><v>([0-9]{1,9})</v></c>')
_SHARED_ITEM = re.compile(rb"<si(?:>|\s[^>]*>)(.*?)</si>|<si\s*/>", re.DOTALL)
_DATE_1904 = re.compile(rb'<(?:[A-Za-z_][\w.-]*:)?workbookPr\b[^>]*\bdate1904="(?:1|true)"')


class NotOrdinary(Exception):
    """The sheet is not written the ordinary way: read it with fastexcel."""


@dataclass
class _Column:
    rows: list[np.ndarray]
    codes: list[np.ndarray]


@dataclass
class WorkbookParts:
    """Paths of the parts the small workbook is built from."""

    sheet: str
    shared_strings: str | None
    styles: str | None


def _inflated(data: bytes, archive: zipfile.ZipFile, path: str, filename: str) -> Iterator[bytes]:
    return member_chunks(data, archive, path, filename, _CHUNK)


def _refuse_hidden_text(window: bytes, less: np.ndarray, second: np.ndarray) -> None:
    """Comments, CDATA and processing instructions can hide what looks like a cell: not an ordinary sheet."""
    if np.any(second == _BANG):
        raise NotOrdinary
    for position in less[second == _QUESTION].tolist():
        if not re.match(rb"<\?xml\s", window[position:position + 6]):
            raise NotOrdinary


def _refuse_prefixed_cells(view: np.ndarray) -> None:
    """<x:c …>: a namespace prefix (safety.PREFIXED_CELL)."""
    colons = np.flatnonzero(view[:-2] == _COLON)
    if colons.size and np.any((view[colons + 1] == _LETTER_C) & _AFTER_NAME_OR_SPACE[view[colons + 2]]):
        raise NotOrdinary


def _refuse_unusual_tags(window: bytes, view: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> None:
    """What follows each cell's reference up to the end of its tag must be at most a style and a type."""
    tails = _keys(window, view, starts, ends)
    for tail in np.unique(tails).tolist():
        if not _ORDINARY_TAIL.fullmatch(tail):
            raise NotOrdinary


def _holding_values(view: np.ndarray, less: np.ndarray, second: np.ndarray, third: np.ndarray,
                    tag_ends: np.ndarray, cell_ends: np.ndarray) -> np.ndarray:
    """Which cells hold a value: a <v> with text or an <is>. A formula without its result (<f>1+1</f>) or an
    empty <v></v> holds none, and fastexcel's rows end at the last cell holding one."""
    openings = less[(second == _LETTER_V) & (third == _GREATER)]
    openings = np.append(openings[view[openings + 3] != _LESS], len(view))
    inline = less[(second == _LETTER_I) & (third == _LETTER_S) & _SPACE_OR_GREATER[view[less + 3]]]
    inline = np.append(inline, len(view))
    return (openings[np.searchsorted(openings, tag_ends)] < cell_ends) \
        | (inline[np.searchsorted(inline, tag_ends)] < cell_ends)


def _rows_of_bytes(view: np.ndarray, starts: np.ndarray, width: int) -> np.ndarray:
    """view[start:start + width] for each start, as the rows of a new array (bytes past the end read as 0)."""
    if starts.size and starts.max() > len(view) - width:  # the last cells of the sheet: pad with zeros
        view = np.concatenate([view, np.zeros(width, dtype=np.uint8)])
    return np.lib.stride_tricks.sliding_window_view(view, width)[starts]


def _references(view: np.ndarray, starts: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Row (1-based) and column (0-based) of each <c r="AB123"> at `starts`, and where what follows the
    reference begins; refuses any cell not written <c r="…" with 1–3 letters A–Z and 1–7 digits."""
    count = len(starts)
    every = np.arange(count)
    window = _rows_of_bytes(view, starts + 3, 14)  # r="XFD1048576"
    if np.any(window[:, :3] != _REFERENCE_START):
        raise NotOrdinary
    capital = (window[:, 3:7] >= 65) & (window[:, 3:7] <= 90)
    letters = np.argmax(~capital, axis=1)  # how many letters
    if np.any(letters == 0):
        raise NotOrdinary  # no letter, or more than three
    values = window[:, 3:6].astype(np.int64) - 64
    columns = np.where(letters == 1, values[:, 0],
                       np.where(letters == 2, values[:, 0] * 26 + values[:, 1],
                                values[:, 0] * 676 + values[:, 1] * 26 + values[:, 2])) - 1
    quote = 4 + np.argmax(window[:, 4:] == _QUOTE, axis=1)  # the reference's closing quote
    inside = (_OFFSETS >= 3 + letters[:, None]) & (_OFFSETS < quote[:, None])  # its digits
    digit = (window >= _ZERO) & (window <= _ZERO + 9)
    if np.any(window[every, quote] != _QUOTE) or np.any(quote - letters < 4) or np.any(inside & ~digit):
        raise NotOrdinary  # no digit, or something else before the quote, or no quote within 7 digits
    numbers = np.zeros(count, dtype=np.int64)
    for position in range(4, 14):
        numbers = np.where(inside[:, position], numbers * 10 + window[:, position] - _ZERO, numbers)
    if numbers.max() > _EXCEL_ROWS or columns.max() >= _EXCEL_COLUMNS:
        raise NotOrdinary  # past Excel's last cell: the exact extent check names it
    return numbers, columns, starts + 4 + quote


def _keys(window: bytes, view: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """The bytes window[start:end] of each cell as one fixed-width byte string each (trailing NULs cannot
    occur in XML, so padding is unambiguous)."""
    lengths = ends - starts
    width = int(lengths.max()) if lengths.size else 1
    if width > _GATHER_WIDTH:
        return np.array([window[start:end] for start, end in zip(starts.tolist(), ends.tolist())], dtype=object)
    gathered = _rows_of_bytes(view, starts, width)
    gathered[np.arange(width) >= lengths[:, None]] = 0
    return np.ascontiguousarray(gathered).view(f"S{width}").ravel()


class _Scan:
    def __init__(self, letters: dict[str, int], first_row: int, last_row: int | None):
        self.wanted = {index: name for name, index in letters.items()}
        self.columns = {name: _Column([], []) for name in letters}
        self.first_row = first_row  # sheet row (1-based) of the first data row
        self.last_row = last_row  # stop reading after this row (a preview); None reads all
        self.distinct: dict[bytes, int] = {}
        self.farthest_row = 0
        self.farthest_column = 0
        self.last_valued_row = 0
        self.previous_row = 0

    def window(self, window: bytes, end: int) -> None:
        if end < 4:
            return
        view = np.frombuffer(window, dtype=np.uint8, count=end)
        less = np.flatnonzero(view[:-3] == _LESS)
        second = view[less + 1]
        third = view[less + 2]
        _refuse_hidden_text(window, less, second)
        _refuse_prefixed_cells(view)
        cell = second == _LETTER_C
        if np.any(cell & _AFTER_NAME[third]):
            raise NotOrdinary  # <c> or <c/> or <c followed by a line break
        starts = less[cell & (third == _SPACE)]
        if starts.size == 0:
            return
        closes = less[(second == _SLASH) & (third == _LETTER_C) & (view[less + 3] == _GREATER)]
        greater = np.flatnonzero(view == _GREATER)
        tag_ends = greater[np.searchsorted(greater, starts)]
        rows, letters, after_reference = _references(view, starts)
        _refuse_unusual_tags(window, view, after_reference, tag_ends + 1)
        if np.any(np.diff(rows) < 0) or rows[0] <= self.previous_row:
            raise NotOrdinary  # rows out of order: fastexcel places them
        self.previous_row = int(rows[-1])
        valued = view[tag_ends - 1] != _SLASH
        self.farthest_row = max(self.farthest_row, int(rows[-1]))
        self.farthest_column = max(self.farthest_column, int(letters.max()) + 1)
        cell_ends = np.full(len(starts), -1, dtype=np.int64)
        where = np.searchsorted(closes, tag_ends[valued])
        if np.any(where >= len(closes)):
            raise NotOrdinary
        cell_ends[valued] = closes[where] + 4
        self._note_last_value(window, view, less, second, third, rows[valued], tag_ends[valued], cell_ends[valued])
        following = np.append(starts[1:], end)
        if np.any(cell_ends[valued] > following[valued]):
            raise NotOrdinary  # a cell whose end is past the next cell's start
        same_place = (np.diff(rows) == 0) & (np.diff(letters) <= 0)
        if same_place.any():
            raise NotOrdinary  # two cells at one place, or columns out of order within a row
        keep = valued & (rows >= self.first_row)
        if self.last_row is not None:
            keep &= rows <= self.last_row
        for index, name in self.wanted.items():
            chosen = np.flatnonzero(keep & (letters == index))
            if chosen.size == 0:
                continue
            keys = _keys(window, view, after_reference[chosen], cell_ends[chosen])
            uniques, inverse = np.unique(keys, return_inverse=True)
            identifiers = np.fromiter((self.distinct.setdefault(bytes(key), len(self.distinct))
                                       for key in uniques.tolist()), dtype=np.int64, count=len(uniques))
            column = self.columns[name]
            column.rows.append(rows[chosen].astype(np.int32))
            column.codes.append(identifiers[inverse.ravel()].astype(np.int32))

    def _note_last_value(self, window: bytes, view: np.ndarray, less: np.ndarray, second: np.ndarray,
                         third: np.ndarray, rows: np.ndarray, tag_ends: np.ndarray, cell_ends: np.ndarray) -> None:
        for position in range(len(rows) - 1, max(-1, len(rows) - 65), -1):  # rows ascend: the last cells first
            if _HOLDS_VALUE.search(window, int(tag_ends[position]) + 1, int(cell_ends[position]) - 4):
                self.last_valued_row = max(self.last_valued_row, int(rows[position]))
                return
        holding = _holding_values(view, less, second, third, tag_ends, cell_ends)  # a window of empty formulas
        if holding.any():
            self.last_valued_row = max(self.last_valued_row, int(rows[holding].max()))

    @property
    def done(self) -> bool:
        return self.last_row is not None and self.previous_row > self.last_row


def _scan(data: bytes, archive: zipfile.ZipFile, path: str, filename: str, sheet: str, scan: _Scan,
          progress: Callable[[float], None] | None = None) -> None:
    tail = b""
    size = max(1, archive.getinfo(path).file_size)
    produced = 0
    for chunk in _inflated(data, archive, path, filename):
        produced += len(chunk)
        if progress is not None:
            progress(min(1.0, produced / size))
        window = tail + chunk
        end = window.rfind(b"</row>") + len(b"</row>")
        if end < len(b"</row>"):
            if len(window) > _LONGEST_WINDOW:
                raise NotOrdinary
            tail = window
            continue
        scan.window(window, end)
        tail = window[end:]
        if scan.done:
            return
    if tail.strip(b" \t\r\n"):
        scan.window(tail + b"</row>", len(tail))  # the end of the sheet: only closing tags, normally


def _shared_items(data: bytes, archive: zipfile.ZipFile, path: str, filename: str,
                  wanted: set[int]) -> dict[int, bytes]:
    """The raw <si> elements at the wanted positions of the shared-string table."""
    found: dict[int, bytes] = {}
    if not wanted:
        return found
    highest = max(wanted)
    index = 0
    tail = b""
    for chunk in _inflated(data, archive, path, filename):
        window = tail + chunk
        position = 0
        for match in _SHARED_ITEM.finditer(window):
            if index in wanted:
                found[index] = match.group(0)
            index += 1
            position = match.end()
            if index > highest:
                return found
        tail = window[position:]
        if len(tail) > _LONGEST_WINDOW:
            raise NotOrdinary
    if len(found) != len(wanted):
        raise NotOrdinary  # a reference past the table: fastexcel says what it makes of it
    return found


def _small_workbook(data: bytes, archive: zipfile.ZipFile, parts: WorkbookParts, keys: list[bytes],
                    filename: str) -> bytes:
    """A workbook holding each distinct cell once (column A, from row 2 under a header), the original styles
    and date system, and only the shared strings those cells use."""
    shared_positions: dict[int, int] = {}
    cells: list[bytes] = []
    for key in keys:
        if b' t="s"' in key[:key.find(b">")]:
            match = _SHARED_KEY.fullmatch(key)
            if match is None:
                raise NotOrdinary
            old = int(match.group(1))
            new = shared_positions.setdefault(old, len(shared_positions))
            key = key[:match.start(1)] + str(new).encode() + key[match.end(1):]
        cells.append(key)
    items: dict[int, bytes] = {}
    if shared_positions:
        if parts.shared_strings is None:
            raise NotOrdinary
        items = _shared_items(data, archive, parts.shared_strings, filename, set(shared_positions))
    workbook = archive.read("xl/workbook.xml") if "xl/workbook.xml" in archive.namelist() else b""
    properties = b'<workbookPr date1904="1"/>' if _DATE_1904.search(workbook) else b""
    sheet_rows = [b'<row r="1"><c r="A1" t="inlineStr"><is><t>v</t></is></c></row>']
    sheet_rows.extend(b'<row r="%d"><c r="A%d"%s</row>' % (number, number, key)
                      for number, key in enumerate(cells, start=2))
    number = len(cells) + 2
    sheet_rows.append(b'<row r="%d"><c r="A%d" t="inlineStr"><is><t>v</t></is></c></row>' % (number, number))
    main = b"http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    relationship = b"http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    output = io.BytesIO()
    with zipfile.ZipFile(output, "w", zipfile.ZIP_STORED) as small:
        small.writestr("[Content_Types].xml", (
            b'<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
            b'content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
            b'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/></Types>'))
        small.writestr("_rels/.rels", (
            b'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/'
            b'package/2006/relationships"><Relationship Id="rId1" Type="' + relationship + b'/officeDocument" '
            b'Target="xl/workbook.xml"/></Relationships>'))
        small.writestr("xl/workbook.xml", (
            b'<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="' + main + b'" xmlns:r="' + relationship
            + b'">' + properties
            + b'<sheets><sheet name="v" sheetId="1" r:id="rId1"/></sheets></workbook>'))
        targets = [b'<Relationship Id="rId1" Type="' + relationship + b'/worksheet" Target="worksheets/sheet1.xml"/>']
        if parts.styles is not None:
            small.writestr("xl/styles.xml", archive.read(parts.styles))
            targets.append(b'<Relationship Id="rId2" Type="' + relationship + b'/styles" Target="styles.xml"/>')
        if items:
            small.writestr("xl/sharedStrings.xml", b'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="' + main
                           + b'">' + b"".join(items[old] for old in shared_positions) + b"</sst>")
            targets.append(b'<Relationship Id="rId3" Type="' + relationship
                           + b'/sharedStrings" Target="sharedStrings.xml"/>')
        small.writestr("xl/_rels/workbook.xml.rels", (
            b'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/'
            b'package/2006/relationships">' + b"".join(targets) + b"</Relationships>"))
        small.writestr("xl/worksheets/sheet1.xml", b'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="'
                       + main + b'"><sheetData>' + b"".join(sheet_rows) + b"</sheetData></worksheet>")
    return output.getvalue()


def read_columns(data: bytes, archive: zipfile.ZipFile, parts: WorkbookParts, sheet: str, header_row: int,
                 columns: dict[str, int], filename: str, cell_limit: int, head: int | None = None,
                 progress: Callable[[float], None] | None = None) -> tuple[dict[str, pd.Series], np.ndarray] | None:
    """The given absolute columns (0-based) of every row below the 0-based header row, as fastexcel gives them
    as text (a categorical series: few distinct texts over many rows), and their 1-based sheet rows; None when
    the sheet is not written the ordinary way.

    Raises InputError for a sheet whose cells reach past `cell_limit` or a damaged part."""
    import fastexcel

    if parts.sheet not in archive.namelist():
        return None
    first_row = header_row + 2
    scan = _Scan(columns, first_row, None if head is None else first_row + head - 1)
    try:
        _scan(data, archive, parts.sheet, filename, sheet, scan, progress)
        if scan.farthest_row * scan.farthest_column > cell_limit:
            cells = scan.farthest_row * scan.farthest_column
            raise InputError(Problem(f"工作表的儲存格實際延伸到第 {scan.farthest_row:,} 列、第 "
                                     f"{scan.farthest_column:,} 欄（約 {cells:,} 格），超過可讀取的上限 "
                                     f"{cell_limit:,} 格；請刪除表格以外遠處的儲存格內容或格式後重新存檔",
                                     filename, sheet))
        keys = list(scan.distinct)  # in the order of their codes
        small = _small_workbook(data, archive, parts, keys, filename)
    except NotOrdinary:
        return None
    frame = fastexcel.read_excel(small).load_sheet(0, header_row=0, dtypes="string").to_pandas()
    texts = frame.iloc[:, 0]
    if len(texts) != len(keys) + 1:
        return None
    # Distinct cells can give one text (45016 under two date styles): categories are the distinct texts.
    text_codes, categories = pd.factorize(texts.iloc[:-1], use_na_sentinel=True)
    lookup = np.append(np.asarray(text_codes, dtype=np.int32), np.int32(-1))
    length = max(0, scan.last_valued_row - first_row + 1)
    if head is not None:
        length = min(length, head)
    series: dict[str, pd.Series] = {}
    for name, column in scan.columns.items():
        codes = np.full(length, -1, dtype=np.int32)
        if column.rows:
            rows = np.concatenate(column.rows)
            inside = rows < first_row + length
            codes[rows[inside] - first_row] = np.concatenate(column.codes)[inside]
        series[name] = pd.Series(pd.Categorical.from_codes(lookup[codes], categories=categories))
    return series, np.arange(length, dtype=np.int64) + first_row
