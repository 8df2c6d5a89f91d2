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
import queue
import re
import threading
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from metrics.errors import InputError, Problem
from metrics.intake.sheet_xml import EXCEL_MAX_COLUMNS, EXCEL_MAX_ROWS, PREFIXED_CELL, GatheredScan, member_chunks

_CHUNK = 4 * 1024 * 1024
_LONGEST_WINDOW = 8 * 1024 * 1024  # a single row (or shared string) this long is not an ordinary export
_MOST_TRAILING_CELLS = 10_000  # cells after the last one surely holding a value, asked of calamine at the end
_MOST_PROBES = 64
_LAST_CELLS = 256
_LONGEST_PROBE = 64 * 1024
_GATHER_WIDTH = 96  # cells up to this many bytes are compared as fixed-width byte strings
_LESS, _GREATER, _SLASH, _QUOTE, _SPACE, _BANG, _QUESTION = 60, 62, 47, 34, 32, 33, 63
_APOSTROPHE = 39
_LETTER_C, _LETTER_F, _LETTER_I, _LETTER_S, _LETTER_V, _ZERO = 99, 102, 105, 115, 118, 48
_VERTICAL_TAB, _FORM_FEED = 11, 12


def _byte_set(members: bytes) -> np.ndarray:
    """A table answering, for each byte value, whether it is one of `members`: table[array] for a whole array."""
    table = np.zeros(256, dtype=bool)
    table[list(members)] = True
    return table


_AFTER_NAME = _byte_set(b"\t\n\r/>")  # <c followed by these is a cell, but not an ordinary one
_OFFSETS = np.arange(14)
_REFERENCE_START = np.frombuffer(b'r="', dtype=np.uint8)
_ORDINARY_TAIL = re.compile(rb'(?: [st]="[^"<>]*")?(?: [st]="[^"<>]*")?/?>')  # as sheet_xml.UNUSUAL_CELL
_SHARED_KEY = re.compile(rb'(?: s="[^"]*")? t="s"(?: s="[^"]*")?><v>([0-9]{1,9})</v></c>')
_DECLARATION = re.compile(rb"(?:\xef\xbb\xbf)?<\?xml[^?>]*\?>")
_ITEM_START = re.compile(rb"<si[\s/>]")
_PREFIXED_ITEM = re.compile(rb"<[A-Za-z_][\w.-]*:si[\s/>]")
_HIDDEN_BEFORE = re.compile(rb"<!|<\?")  # after the declaration, taken off first
_SHEET_DATA = re.compile(rb"<sheetData(>|/>)")  # exactly so: attributes could hide a > (see _markup)
_NUMBER_START = _byte_set(b"-0123456789")
_TEXT_START = ~_byte_set(b"<&")
# Kinds of cell by their type (t="…"): whether one surely holds a value can be read off its bytes for the
# first three; a cell of any other kind (an error, t="d", …) holding a value is asked of calamine.
_NUMBER, _TEXT_RESULT, _INLINE, _OTHER = 0, 1, 2, 3
_KIND_OF_TYPE = {None: _NUMBER, b"n": _NUMBER, b"s": _NUMBER, b"b": _NUMBER, b"str": _TEXT_RESULT,
                 b"inlineStr": _INLINE}
_TYPE = re.compile(rb' t="([^"]*)"')


_FINISHED = object()


class NotOrdinary(Exception):
    """The sheet is not written the ordinary way: read it with fastexcel."""


@dataclass(frozen=True)
class Seen:
    """What a window of rows holds that the safety checks' byte scan looks for (all True: it may hold any)."""

    formula: bool = True  # a tag named f
    other_type: bool = True  # a cell typed other than a number, shared string, boolean or text (t="e", …)
    passed_over: bool = True  # <c followed by a vertical tab or form feed, or a < among the last three bytes


@dataclass
class _Column:
    rows: list[np.ndarray]
    codes: list[np.ndarray]


@dataclass(frozen=True)
class WorkbookParts:
    """What the small workbook is built from besides the cells and the parts calamine always reads (styles,
    shared strings): the sheet's part and the date system."""

    sheet: str
    date1904: bool


def _calamine_part(archive: zipfile.ZipFile, lowercase: str) -> str | None:
    """The part calamine reads as `lowercase` (xl/styles.xml, xl/sharedstrings.xml): matched in any case,
    whatever the relationships name."""
    names = {name for name in archive.namelist() if name.replace("\\", "/").lower() == lowercase}
    if len(names) > 1:
        raise NotOrdinary  # which one calamine reads is not for this reader to guess
    return names.pop() if names else None


def _inflated(data: bytes, archive: zipfile.ZipFile, path: str, filename: str) -> Iterator[bytes]:
    return member_chunks(data, archive, path, filename, _CHUNK)


def _read_ahead(chunks: Iterator[bytes]) -> Iterator[bytes]:
    """The chunks, the next one inflated in another thread while this one is scanned (zlib lets go of the
    interpreter while it works, and so does numpy): at most two chunks wait."""
    waiting: queue.Queue = queue.Queue(maxsize=2)
    stop = threading.Event()

    def offer(item: object) -> bool:
        while not stop.is_set():  # the reader may have stopped early: never wait for it forever
            try:
                waiting.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def produce() -> None:
        try:
            for chunk in chunks:
                if not offer(chunk):
                    return
            offer(_FINISHED)
        except BaseException as error:  # handed to the reading thread, which raises it
            offer(error)

    producer = threading.Thread(target=produce, name="sheet-inflate", daemon=True)
    producer.start()
    try:
        while (item := waiting.get()) is not _FINISHED:
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        while producer.is_alive():  # a producer waiting to hand over a chunk: take it, so it sees the stop
            try:
                waiting.get(timeout=0.01)
            except queue.Empty:
                continue
        producer.join()


def _refuse_hidden_text(second: np.ndarray) -> None:
    """Comments, CDATA and processing instructions in <sheetData> can hide what looks like a cell."""
    if np.any((second == _BANG) | (second == _QUESTION)):
        raise NotOrdinary


def _tag_kinds(window: bytes, view: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """The kind of each cell by its type; what follows its reference up to the end of its tag must be at most
    a style and a type."""
    uniques, inverse = _distinct(_keys(window, view, starts, ends))
    kinds = np.empty(len(uniques), dtype=np.int8)
    for position, tail in enumerate(uniques.tolist()):
        if not _ORDINARY_TAIL.fullmatch(tail) or tail.count(b' t="') > 1 or tail.count(b' s="') > 1:
            raise NotOrdinary
        kind = _TYPE.search(tail)
        kinds[position] = _KIND_OF_TYPE.get(kind.group(1) if kind else None, _OTHER)
    return kinds[inverse.ravel()]


def _surely_holding(view: np.ndarray, less: np.ndarray, second: np.ndarray, third: np.ndarray,
                    kinds: np.ndarray, tag_ends: np.ndarray, cell_ends: np.ndarray) -> np.ndarray:
    """Cells that surely hold a value as calamine reads them: a number, shared string or boolean ending
    <v>digits…</v></c>, a formula's text result ending <v>text…</v></c>, an inline string written
    <is>…</is></c>. Any other cell (a formula without its result, <v></v>, an error, a <v> inside an <f>, …)
    may or may not: calamine is asked about the last of those at the end."""
    openings = np.append(less[(second == _LETTER_V) & (third == _GREATER)], len(view) - 3)
    value = openings[np.searchsorted(openings, tag_ends)]
    first = view[np.minimum(value + 3, len(view) - 1)]
    following = np.append(less, len(view))[np.searchsorted(less, value + 3)]  # the first < after the text
    closes_cell = (following == cell_ends - 8) & _ends_with(view, cell_ends - 4, b"</v>")
    last_value = (value < cell_ends) & closes_cell
    inline = _ends_with(view, tag_ends + 5, b"<is>") & _ends_with(view, cell_ends - 4, b"</is>") \
        & (value >= cell_ends)
    return (last_value & (kinds == _NUMBER) & _NUMBER_START[first]) \
        | (last_value & (kinds == _TEXT_RESULT) & _TEXT_START[first]) \
        | ((kinds == _INLINE) & inline)


def _ends_with(view: np.ndarray, ends: np.ndarray, text: bytes) -> np.ndarray:
    """Whether view[end - len(text):end] == text, for each end."""
    starts = ends - len(text)
    inside = (starts >= 0) & (ends <= len(view))
    found = inside.copy()
    for offset, byte in enumerate(text):
        found &= view[np.clip(starts + offset, 0, len(view) - 1)] == byte
    return found


def _markup(window: bytes, view: np.ndarray, end: int) -> tuple[np.ndarray, np.ndarray]:
    """The positions of every < and every > of view, once it is sure the bytes scanner sees the tags the XML
    parser sees: a < or > inside an attribute value (which the parser accepts) could make bytes look like a
    cell or a marker, or hide one.

    Cheap test first: with the positions of <, > and " in order, every " pairs with the next one with no
    < or > between (a quoted value), and no < follows a < without a > between. Text holding an odd " fails
    it harmlessly, and a ' anywhere could quote a value: then the exact check, tag by tag."""
    marked = view == _LESS
    marked |= view == _GREATER
    marked |= view == _QUOTE
    positions = np.flatnonzero(marked)
    symbols = view[positions]
    is_quote = symbols == _QUOTE
    quotes = np.flatnonzero(is_quote)
    angles = symbols[~is_quote]
    opening = angles == _LESS
    clean = quotes.size % 2 == 0 and np.array_equal(quotes[1::2], quotes[0::2] + 1) \
        and not np.any(opening[1:] & opening[:-1]) and not (opening.size and opening[-1])
    every_less = positions[symbols == _LESS]
    if not clean or window.find(b"'", 0, end) >= 0:
        _refuse_ambiguous_tags(view, every_less)
    return every_less, positions[symbols == _GREATER]


def _refuse_ambiguous_tags(view: np.ndarray, less: np.ndarray) -> None:
    """Refuses tags that could make bytes look like a cell or hide one, which the XML parser accepts: a <
    (of `less`) before the previous tag's >, or a < or > inside an attribute value (an odd number of " in a
    tag, or any ')."""
    is_greater = view == _GREATER
    greater = np.flatnonzero(is_greater)
    if less.size == 0:
        return
    before = np.cumsum(is_greater, dtype=np.int32)[less]  # how many > come before each <
    if np.any(before[1:] == before[:-1]) or before[-1] >= len(greater):
        raise NotOrdinary
    closing = greater[before]
    quotes = np.cumsum(view == _QUOTE, dtype=np.int32)
    if np.any((quotes[closing] - quotes[less]) & 1):
        raise NotOrdinary
    if _APOSTROPHE in view:
        apostrophes = np.cumsum(view == _APOSTROPHE, dtype=np.int32)
        if np.any(apostrophes[closing] != apostrophes[less]):
            raise NotOrdinary


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
    if numbers.max() > EXCEL_MAX_ROWS or columns.max() >= EXCEL_MAX_COLUMNS:
        raise NotOrdinary  # past Excel's last cell: the exact extent check names it
    return numbers, columns, starts + 4 + quote


def _distinct(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """np.unique(keys, return_inverse=True) in any order, faster for fixed-width byte strings: each key is
    hashed to one integer, the integers are factorized, and every key is compared with its group's first
    (a collision, never expected, falls back to sorting)."""
    if keys.dtype == object or keys.itemsize > 64 or len(keys) < 64:
        uniques, inverse = np.unique(keys, return_inverse=True)
        return uniques, inverse.ravel()
    width = -(-keys.itemsize // 8) * 8
    padded = np.zeros((len(keys), width), dtype=np.uint8)
    padded[:, :keys.itemsize] = keys.view(np.uint8).reshape(len(keys), keys.itemsize)
    words = padded.view(np.uint64)
    hashed = words[:, 0].copy()
    for column in range(1, words.shape[1]):
        hashed = hashed * np.uint64(0x9E3779B97F4A7C15) + words[:, column]
    codes, _ = pd.factorize(hashed)
    first = np.empty(codes.max() + 1, dtype=np.int64)
    first[codes[::-1]] = np.arange(len(codes) - 1, -1, -1)
    uniques = keys[first]
    if not np.array_equal(uniques[codes], keys):
        uniques, inverse = np.unique(keys, return_inverse=True)
        return uniques, inverse.ravel()
    return uniques, codes


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
    def __init__(self, columns: dict[str, int], first_row: int, last_row: int | None, *, watched: bool = False):
        self.wanted = {index: name for name, index in columns.items()}
        self.columns = {name: _Column([], []) for name in columns}
        self.first_row = first_row  # sheet row (1-based) of the first data row
        self.last_row = last_row  # stop reading after this row (a preview); None reads all
        self.distinct: dict[bytes, int] = {}
        self.farthest_row = 0
        self.farthest_column = 0
        self.last_sure_row = 0  # the last row with a cell surely holding a value
        self.trailing: list[tuple[int, int]] = []  # (row, probe) of the cells after it that may hold one
        self.probes: dict[bytes, int] = {}  # those cells' distinct bytes
        self.previous_row = 0
        self.watched = watched  # say what each window holds (seen), for a GatheredScan
        self.seen = Seen()  # of the last window

    def window(self, window: bytes, end: int) -> None:
        view = np.frombuffer(window, dtype=np.uint8, count=end)
        self.seen = Seen()
        watched = self.watched
        every_less, greater = _markup(window, view, end)  # even a few bytes: they may end a tag begun before
        if end < 4:
            if watched:
                self.seen = Seen(formula=False, other_type=False, passed_over=bool(window[:end].strip()))
            return
        less = every_less[every_less < end - 3]
        second = view[less + 1]
        third = view[less + 2]
        _refuse_hidden_text(second)
        if watched:
            self.seen = Seen(formula=bool(np.any(second == _LETTER_F)), other_type=True,
                             passed_over=len(less) < len(every_less) or bool(np.any(
                                 (second == _LETTER_C) & ((third == _VERTICAL_TAB) | (third == _FORM_FEED)))))
        if PREFIXED_CELL.search(window, 0, end):
            raise NotOrdinary  # <x:c …>: a namespace prefix
        cell = second == _LETTER_C
        if np.any(cell & _AFTER_NAME[third]):
            raise NotOrdinary  # <c> or <c/> or <c followed by a line break
        is_start = cell & (third == _SPACE)
        starts = less[is_start]
        if starts.size == 0:
            return
        closes = less[(second == _SLASH) & (third == _LETTER_C) & (view[less + 3] == _GREATER)]
        tag_ends = greater[np.searchsorted(greater, starts)]
        rows, cell_columns, after_reference = _references(view, starts)
        kinds = _tag_kinds(window, view, after_reference, tag_ends + 1)
        if watched:
            self.seen = replace(self.seen, other_type=bool(np.any(kinds == _OTHER)))
        if np.any(np.diff(rows) < 0) or rows[0] <= self.previous_row:
            raise NotOrdinary  # rows out of order: fastexcel places them
        self.previous_row = int(rows[-1])
        valued = view[tag_ends - 1] != _SLASH
        self.farthest_row = max(self.farthest_row, int(rows[-1]))
        self.farthest_column = max(self.farthest_column, int(cell_columns.max()) + 1)
        cell_ends = np.full(len(starts), -1, dtype=np.int64)
        where = np.searchsorted(closes, tag_ends[valued])
        if np.any(where >= len(closes)):
            raise NotOrdinary
        cell_ends[valued] = closes[where] + 4
        holding = np.flatnonzero(valued)
        last_cells = holding[-_LAST_CELLS:]  # only the last cell surely holding a value matters: look there first
        sure = _surely_holding(view, less, second, third, kinds[last_cells], tag_ends[last_cells],
                               cell_ends[last_cells])
        if not sure.any() and len(holding) > len(last_cells):
            last_cells = holding
            sure = _surely_holding(view, less, second, third, kinds[holding], tag_ends[holding], cell_ends[holding])
        self._note_values(window, rows, last_cells, sure, after_reference, cell_ends)
        following = np.append(starts[1:], end)
        if np.any(cell_ends[valued] > following[valued]):
            raise NotOrdinary  # a cell whose end is past the next cell's start
        same_place = (np.diff(rows) == 0) & (np.diff(cell_columns) <= 0)
        if same_place.any():
            raise NotOrdinary  # two cells at one place, or columns out of order within a row
        keep = valued & (rows >= self.first_row)
        if self.last_row is not None:
            keep &= rows <= self.last_row
        for index, name in self.wanted.items():
            chosen = np.flatnonzero(keep & (cell_columns == index))
            if chosen.size == 0:
                continue
            uniques, inverse = _distinct(_keys(window, view, after_reference[chosen], cell_ends[chosen]))
            identifiers = np.fromiter((self.distinct.setdefault(bytes(key), len(self.distinct))
                                       for key in uniques.tolist()), dtype=np.int64, count=len(uniques))
            column = self.columns[name]
            column.rows.append(rows[chosen].astype(np.int32))
            column.codes.append(identifiers[inverse.ravel()].astype(np.int32))

    def _note_values(self, window: bytes, rows: np.ndarray, holding: np.ndarray, sure: np.ndarray,
                     after_reference: np.ndarray, cell_ends: np.ndarray) -> None:
        """The last row surely holding a value, and the cells after it that may (asked of calamine at the end).
        `holding` are the window's last cells with content (all of them when none of the last surely holds one)
        and `sure` says which surely do."""
        if sure.any():
            last = int(np.flatnonzero(sure)[-1])
            self.last_sure_row = max(self.last_sure_row, int(rows[holding[last]]))
            self.trailing.clear()
            self.probes.clear()
            holding = holding[last + 1:]
        if len(self.trailing) + len(holding) > _MOST_TRAILING_CELLS:
            raise NotOrdinary
        for position in holding.tolist():
            start, end = int(after_reference[position]), int(cell_ends[position])
            if end - start > _LONGEST_PROBE:
                raise NotOrdinary
            probe = self.probes.setdefault(window[start:end], len(self.probes))
            if len(self.probes) > _MOST_PROBES:
                raise NotOrdinary
            self.trailing.append((int(rows[position]), probe))

    @property
    def done(self) -> bool:
        return self.last_row is not None and self.last_sure_row >= self.last_row


def _scan(data: bytes, archive: zipfile.ZipFile, path: str, filename: str, scan: _Scan,
          progress: Callable[[float], None] | None = None, gathering: GatheredScan | None = None) -> None:
    """Feeds the scan the rows of the sheet's <sheetData> (calamine reads cells nowhere else), in windows
    that end with a whole row. `gathering` is handed every byte of the part on the way: the rows it has read,
    and what lies outside them (the rest of the part too, once the rows are read), unless the scan stops early
    or declines the sheet."""
    tail = b""
    size = max(1, archive.getinfo(path).file_size)
    produced = 0
    inside = False
    inflated = _inflated(data, archive, path, filename)
    chunks = _read_ahead(inflated if gathering is None else gathering.watch(inflated))  # alongside, in its thread
    for chunk in _after_declaration(chunks, None if gathering is None else gathering.outside):
        produced += len(chunk)
        if progress is not None:
            progress(min(1.0, produced / size))
        window = tail + chunk
        if not inside:
            opening = _SHEET_DATA.search(window)
            if opening is None:
                if len(window) > _LONGEST_WINDOW:
                    raise NotOrdinary
                tail = window
                continue
            before = np.frombuffer(window, dtype=np.uint8, count=opening.start())
            if _HIDDEN_BEFORE.search(window, 0, opening.start()) or b"<sheetData" in window[:opening.start()]:
                raise NotOrdinary  # a comment, or a <sheetData …> with attributes, could hide cells
            _markup(window, before, opening.start())  # and so could a <sheetData> inside a value
            if opening.group(1) == b"/>":
                _hand_over_the_rest(window, chunks, scan, gathering)
                return  # <sheetData/>: no cells
            if gathering is not None:
                gathering.outside(window[:opening.end()], ends_tag=True)
            inside = True
            window = window[opening.end():]
        finish = window.find(b"</sheetData>")
        if finish >= 0:
            scan.window(window, finish)  # a </sheetData> inside a value leaves its tag unended: declined
            if gathering is not None:
                gathering.rows(window[:finish], scan.seen)
            _hand_over_the_rest(window[finish:], chunks, scan, gathering)
            if progress is not None:
                progress(1.0)
            return
        end = window.rfind(b"</row>") + len(b"</row>")
        if end < len(b"</row>"):
            if len(window) > _LONGEST_WINDOW:
                raise NotOrdinary
            tail = window
            continue
        scan.window(window, end)
        if gathering is not None:
            gathering.rows(window[:end], scan.seen)
        tail = window[end:]
        if scan.done:
            return
    raise NotOrdinary  # no <sheetData> or no end to it: calamine says what it makes of that


def _hand_over_the_rest(rest: bytes, chunks: Iterator[bytes], scan: _Scan, gathering: GatheredScan | None) -> None:
    """The part from the end of the rows on, for the gathering only (cells written there count for the safety
    checks as for scan_sheet)."""
    if gathering is None:
        return
    gathering.outside(rest)
    for chunk in chunks:
        gathering.outside(chunk)
    gathering.finished(scan.farthest_row, scan.farthest_column)


def _after_declaration(chunks: Iterator[bytes],
                       declared: Callable[[bytes], None] | None = None) -> Iterator[bytes]:
    """The chunks of an XML part without its declaration (<?xml …?>, after a byte-order mark if any), which
    goes to `declared`."""
    start = b""
    for chunk in chunks:
        start += chunk
        if b"?>" in start or len(start) > 1024:
            break
    declaration = _DECLARATION.match(start)
    if declaration and declared is not None:
        declared(start[:declaration.end()])
    yield start[declaration.end():] if declaration else start
    yield from chunks


def _shared_items(data: bytes, archive: zipfile.ZipFile, path: str, filename: str,
                  wanted: set[int]) -> dict[int, bytes]:
    """The raw <si> elements at the wanted positions of the shared-string table, counted as calamine counts
    them; anything that could make the count differ (a comment, an item with a prefix, markup inside an
    attribute value, see _markup, an item inside an item) declines the sheet."""
    found: dict[int, bytes] = {}
    highest = max(wanted)
    index = 0
    tail = b""
    for chunk in _after_declaration(_inflated(data, archive, path, filename)):
        window = tail + chunk
        complete = window.rfind(b">") + 1  # tags before this point are whole
        if b"<!" in window or b"<?" in window or _PREFIXED_ITEM.search(window):
            raise NotOrdinary
        _markup(window, np.frombuffer(window, dtype=np.uint8, count=complete), complete)
        tail = window[complete:]
        position = 0
        while (item := _ITEM_START.search(window, position, complete)) is not None:
            opened = window.find(b">", item.start())
            if window[opened - 1] == _SLASH:
                end = opened + 1
            else:
                end = window.find(b"</si>", opened, complete)
                if end < 0:
                    tail = window[item.start():]
                    break
                if _ITEM_START.search(window, opened, end):
                    raise NotOrdinary  # an item inside an item
                end += len(b"</si>")
            if index in wanted:
                found[index] = window[item.start():end]
            index += 1
            if index > highest:
                return found
            position = end
        if len(tail) > _LONGEST_WINDOW:
            raise NotOrdinary
    raise NotOrdinary  # a reference past the table: fastexcel says what it makes of it


_MAIN = b"http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_RELATIONSHIP = b"http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_SENTINEL = b' t="inlineStr"><is><t>v</t></is></c>'


def _sheet_xml(cells: list[bytes], closing_sentinel: bool) -> bytes:
    """Column A: a sentinel header in row 1, then the cells from row 2 (and a sentinel after them)."""
    rows = [b'<row r="1"><c r="A1"' + _SENTINEL + b"</row>"]
    rows.extend(b'<row r="%d"><c r="A%d"%s</row>' % (number, number, cell) for number, cell in enumerate(
        [*cells, _SENTINEL] if closing_sentinel else cells, start=2))
    return (b'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="' + _MAIN + b'"><sheetData>' + b"".join(rows)
            + b"</sheetData></worksheet>")


def _small_workbook(data: bytes, archive: zipfile.ZipFile, parts: WorkbookParts, values: list[bytes],
                    probes: list[bytes], filename: str) -> bytes:
    """A workbook of the original styles and date system and only the shared strings the given cells use: its
    first sheet holds each distinct cell of the used columns once; each further sheet one cell that may or may
    not hold a value (a sheet's rows end at its last cell holding one)."""
    shared_positions: dict[int, int] = {}

    def renumbered(key: bytes) -> bytes:
        if b' t="s"' not in key[:key.find(b">")]:
            return key
        match = _SHARED_KEY.fullmatch(key)
        if match is None:
            raise NotOrdinary
        new = shared_positions.setdefault(int(match.group(1)), len(shared_positions))
        return key[:match.start(1)] + str(new).encode() + key[match.end(1):]

    sheets = [_sheet_xml([renumbered(key) for key in values], closing_sentinel=True)]
    sheets.extend(_sheet_xml([renumbered(key)], closing_sentinel=False) for key in probes)
    styles = _calamine_part(archive, "xl/styles.xml")
    items: dict[int, bytes] = {}
    if shared_positions:
        shared_strings = _calamine_part(archive, "xl/sharedstrings.xml")
        if shared_strings is None:
            raise NotOrdinary
        items = _shared_items(data, archive, shared_strings, filename, set(shared_positions))
    package = b"http://schemas.openxmlformats.org/package/2006/relationships"
    output = io.BytesIO()
    with zipfile.ZipFile(output, "w", zipfile.ZIP_STORED) as small:
        small.writestr("[Content_Types].xml", (
            b'<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
            b'content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
            b'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/></Types>'))
        small.writestr("_rels/.rels", b'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="' + package
                       + b'"><Relationship Id="rId1" Type="' + _RELATIONSHIP + b'/officeDocument" '
                       b'Target="xl/workbook.xml"/></Relationships>')
        entries = b"".join(b'<sheet name="s%d" sheetId="%d" r:id="rId%d"/>' % (number, number, number)
                           for number in range(1, len(sheets) + 1))
        small.writestr("xl/workbook.xml", (
            b'<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="' + _MAIN + b'" xmlns:r="' + _RELATIONSHIP
            + b'">' + (b'<workbookPr date1904="1"/>' if parts.date1904 else b"") + b"<sheets>" + entries
            + b"</sheets></workbook>"))
        targets = [b'<Relationship Id="rId%d" Type="%s/worksheet" Target="worksheets/sheet%d.xml"/>'
                   % (number, _RELATIONSHIP, number) for number in range(1, len(sheets) + 1)]
        for number, sheet in enumerate(sheets, start=1):
            small.writestr(f"xl/worksheets/sheet{number}.xml", sheet)
        if styles is not None:
            small.writestr("xl/styles.xml", archive.read(styles))
            targets.append(b'<Relationship Id="styles" Type="' + _RELATIONSHIP + b'/styles" Target="styles.xml"/>')
        if items:
            small.writestr("xl/sharedStrings.xml", b'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="' + _MAIN
                           + b'">' + b"".join(items[old] for old in shared_positions) + b"</sst>")
            targets.append(b'<Relationship Id="strings" Type="' + _RELATIONSHIP
                           + b'/sharedStrings" Target="sharedStrings.xml"/>')
        small.writestr("xl/_rels/workbook.xml.rels", b'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="'
                       + package + b'">' + b"".join(targets) + b"</Relationships>")
    return output.getvalue()


def read_columns(data: bytes, archive: zipfile.ZipFile, parts: WorkbookParts, sheet: str, header_row: int,
                 columns: dict[str, int], filename: str, cell_limit: int, head: int | None = None,
                 progress: Callable[[float], None] | None = None, gathering: GatheredScan | None = None,
                 ) -> tuple[dict[str, pd.Series], np.ndarray] | None:
    """The given absolute columns (0-based) of every row below the 0-based header row, as fastexcel gives them
    as text (a categorical series: few distinct texts over many rows), and their 1-based sheet rows; None when
    the sheet is not written the ordinary way. `gathering` (for parts.sheet) gathers the facts the safety checks
    need from the same pass (metrics.intake.sheet_xml.GatheredScan).

    Raises InputError for a sheet whose cells reach past `cell_limit` or a damaged part."""
    import fastexcel

    first_row = header_row + 2
    scan = _Scan(columns, first_row, None if head is None else first_row + head - 1, watched=gathering is not None)
    try:
        if parts.sheet not in archive.namelist():
            return None
        _scan(data, archive, parts.sheet, filename, scan, progress, gathering)
        if scan.farthest_row * scan.farthest_column > cell_limit:
            cells = scan.farthest_row * scan.farthest_column
            raise InputError(Problem(f"工作表的儲存格實際延伸到第 {scan.farthest_row:,} 列、第 "
                                     f"{scan.farthest_column:,} 欄（約 {cells:,} 格），超過可讀取的上限 "
                                     f"{cell_limit:,} 格；請刪除表格以外遠處的儲存格內容或格式後重新存檔",
                                     filename, sheet))
        keys = list(scan.distinct)  # in the order of their codes
        probes = [] if scan.done else list(scan.probes)  # in the order of their numbers
        small = _small_workbook(data, archive, parts, keys, probes, filename)
    except NotOrdinary:
        return None
    try:
        reader = fastexcel.read_excel(small)
        texts = reader.load_sheet(0, header_row=0, dtypes="string").to_pandas().iloc[:, 0]
        holding = {number for number in range(len(probes))
                   if reader.load_sheet(number + 1, header_row=0, dtypes="string").height > 0}
    except Exception:  # a cell calamine cannot read (#SPILL!, a number that is not one): fastexcel names it
        return None
    if len(texts) != len(keys) + 1:
        return None
    last_row = max([scan.last_sure_row, *(row for row, probe in scan.trailing if probe in holding)])
    # Distinct cells can give one text (45016 under two date styles): categories are the distinct texts.
    text_codes, categories = pd.factorize(texts.iloc[:-1], use_na_sentinel=True)
    lookup = np.append(np.asarray(text_codes, dtype=np.int32), np.int32(-1))
    length = max(0, last_row - first_row + 1)
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
