"""A text-layer PDF into rows: the ruling lines of a table give its rows and columns, other lines are paragraphs.

pdfium gives each character with its box; a table is found from its drawn lines (a cell's rectangle, or separate
rules, as word processors draw them): horizontal rules cut rows, the vertical rules crossing a row cut its cells.
Lines of text within a cell, and lines of a paragraph, are put back together: a line that ended short of the right
edge was broken at a space (word wrap), one that reached it was cut between two characters.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field

from metrics.plans.documents.readers import DocumentRow

TOLERANCE = 2.0  # points: rules closer than this are one rule


@dataclass
class _Char:
    text: str
    left: float
    bottom: float
    right: float
    top: float

    @property
    def middle(self) -> float:
        return (self.bottom + self.top) / 2

    @property
    def centre(self) -> float:
        return (self.left + self.right) / 2


@dataclass
class _Line:
    chars: list[_Char] = field(default_factory=list)

    @property
    def top(self) -> float:
        return max(char.top for char in self.chars)

    @property
    def right(self) -> float:
        return max(char.right for char in self.chars)

    @property
    def height(self) -> float:
        return max(char.top - char.bottom for char in self.chars)

    @property
    def text(self) -> str:
        return "".join(char.text for char in sorted(self.chars, key=lambda char: char.left)).strip()


def _lines(chars: list[_Char]) -> list[_Line]:
    """Characters grouped into lines (by their vertical middle), top line first."""
    lines: list[_Line] = []
    for char in sorted(chars, key=lambda char: -char.middle):
        if lines and abs(lines[-1].chars[0].middle - char.middle) < (char.top - char.bottom) / 2:
            lines[-1].chars.append(char)
        else:
            lines.append(_Line([char]))
    return [line for line in lines if line.text]


def _joined_lines(lines: list[_Line], right_edge: float) -> str:
    """Lines of one cell or paragraph as one text: a line ending short of the edge ended at a space."""
    text = ""
    for index, line in enumerate(lines):
        if index:
            previous = lines[index - 1]
            widths = [char.right - char.left for char in previous.chars if char.text.strip()]
            width = max(widths) if widths else previous.height
            text += " " if right_edge - previous.right > 1.5 * width else ""
        text += line.text
    return text


def _segments(page) -> list[tuple[float, float, float, float]]:
    """Every straight piece of every drawn path on the page, in page coordinates."""
    import pypdfium2.raw as pdfium_c

    segments = []
    for path in page.get_objects(filter=[pdfium_c.FPDF_PAGEOBJ_PATH]):
        matrix = path.get_matrix()
        count = pdfium_c.FPDFPath_CountSegments(path.raw)
        start = current = None
        for index in range(count):
            segment = pdfium_c.FPDFPath_GetPathSegment(path.raw, index)
            x, y = pdfium_c.FS_FLOAT(), pdfium_c.FS_FLOAT()
            pdfium_c.FPDFPathSegment_GetPoint(segment, x, y)
            point = (matrix.a * x.value + matrix.c * y.value + matrix.e, matrix.b * x.value + matrix.d * y.value + matrix.f)
            kind = pdfium_c.FPDFPathSegment_GetType(segment)
            if kind == pdfium_c.FPDF_SEGMENT_MOVETO:
                start = current = point
                continue
            if current is not None:
                segments.append((*current, *point))
            current = point
            if pdfium_c.FPDFPathSegment_GetClose(segment) and start is not None:
                segments.append((*current, *start))
                current = start
    return segments


def _cluster(values: list[float]) -> list[float]:
    clustered: list[float] = []
    for value in sorted(values):
        if clustered and value - clustered[-1] < TOLERANCE:
            continue
        clustered.append(value)
    return clustered


def _page_rows(page, textpage) -> list[tuple[float, DocumentRow]]:
    import pypdfium2.raw as pdfium_c

    chars = []
    count = textpage.count_chars()
    whole = textpage.get_text_range(0, count) if count else ""
    for index in range(count):
        text = whole[index] if len(whole) == count else textpage.get_text_range(index, 1)
        if not text or text in "\r\n":
            continue  # pdfium's own line ends: lines are rebuilt from the boxes
        chars.append(_Char(text, *textpage.get_charbox(index, loose=True)))
    segments = _segments(page)
    horizontal = [(min(x0, x1), max(x0, x1), (y0 + y1) / 2) for x0, y0, x1, y1 in segments
                  if abs(y1 - y0) < 1 and abs(x1 - x0) > TOLERANCE]
    vertical = [((x0 + x1) / 2, min(y0, y1), max(y0, y1)) for x0, y0, x1, y1 in segments
                if abs(x1 - x0) < 1 and abs(y1 - y0) > TOLERANCE]
    rules = sorted(_cluster([y for _, _, y in horizontal]), reverse=True)
    rows: list[tuple[float, DocumentRow]] = []
    used: set[int] = set()

    def ruled(y: float, x: float) -> bool:
        """Whether a rule at height y crosses the column at x (a cell merged down has none between its rows)."""
        return any(abs(rule_y - y) < TOLERANCE and x0 - TOLERANCE <= x <= x1 + TOLERANCE for x0, x1, rule_y in horizontal)

    for number, (top, bottom) in enumerate(zip(rules, rules[1:])):
        crossing = _cluster([x for x, low, high in vertical if low <= bottom + TOLERANCE and high >= top - TOLERANCE])
        if len(crossing) < 2:
            continue
        cells = []
        for left, right in zip(crossing, crossing[1:]):
            middle = (left + right) / 2
            if not ruled(top, middle):
                cells.append("")  # merged with the cell above: its text is read with that row
                continue
            low, below = bottom, number + 2
            while not ruled(low, middle) and below < len(rules):
                low, below = rules[below], below + 1
            inside = [index for index, char in enumerate(chars) if index not in used and left < char.centre < right
                      and low < char.middle < top]
            used.update(inside)
            cells.append(_joined_lines(_lines([chars[index] for index in inside]), right))
        rows.append((top, DocumentRow(tuple(cells), table=True)))
    rest = [char for index, char in enumerate(chars) if index not in used]
    lines = _lines(rest)
    margin = max((line.right for line in lines), default=0)
    paragraph: list[_Line] = []
    for index, line in enumerate(lines):
        paragraph.append(line)
        following = lines[index + 1] if index + 1 < len(lines) else None
        if following is None or not _continues(line, following, margin):
            rows.append((paragraph[0].top, DocumentRow((_joined_lines(paragraph, margin),))))
            paragraph = []
    return rows


def _continues(line: _Line, following: _Line, margin: float) -> bool:
    """Whether `following` goes on with `line`'s paragraph: it comes right below it, and its first word would not
    have fitted at the end of `line` (so the line was wrapped, not ended)."""
    if line.chars[0].bottom - following.top > 0.4 * line.height:
        return False
    ordered = sorted(following.chars, key=lambda char: char.left)
    word = 0.0
    for char in ordered:
        if not char.text.strip():
            break
        word += char.right - char.left
        if unicodedata.east_asian_width(char.text) in "WF":
            break
    widths = [char.right - char.left for char in line.chars if char.text.strip()]
    return margin - line.right < word + (max(widths) if widths else line.height) / 2
    return rows


class TooManyPages(Exception):
    def __init__(self, pages: int) -> None:
        super().__init__(pages)
        self.pages = pages


def pdf_rows(data: bytes, most_pages: int | None = None) -> list[DocumentRow]:
    """The rows of every page; TooManyPages before any is read when there are more than `most_pages`."""
    import pypdfium2 as pdfium

    document = pdfium.PdfDocument(data)
    rows: list[DocumentRow] = []
    try:
        if most_pages is not None and len(document) > most_pages:
            raise TooManyPages(len(document))
        for page in document:
            textpage = page.get_textpage()
            placed = _page_rows(page, textpage)
            rows += [row for _, row in sorted(placed, key=lambda item: -item[0])]
    finally:
        document.close()
    return rows
