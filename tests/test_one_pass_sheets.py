"""Each worksheet of an export is inflated once: the streaming reader gathers the facts the safety checks need
(metrics.intake.sheet_xml.GatheredScan) on its own pass, and the checks give exactly what a scan of their own
gives (issue 20)."""

from __future__ import annotations

import io
import re
import struct
import zipfile
from collections import defaultdict
from itertools import chain

import pytest

import hostile_corpus as corpus
from catalogues import PLAN_112
from metrics.errors import InputError
from metrics.intake import extract, safety, sheet_stream, sheet_xml
from metrics.intake.exports import read_export
from metrics.intake.upload import Upload
from synthetic_exports import DOCUMENT_LOG_HEADER, DOCUMENT_LOG_TITLES, document_log_rows, write_large_xlsx
from test_sheet_stream import _raw_sheet

SHEET = "xl/worksheets/sheet1.xml"
FIRST_LOOK_BYTES = 256 * 1024  # what the first look at the sheet's first rows may inflate


class InflationSpy:
    """Bytes inflated from each member, pass by pass: zipfile's streams and the raw inflater of member_chunks."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch):
        self.passes: dict[str, list[int]] = defaultdict(list)
        spy = self
        real_open = zipfile.ZipFile.open
        real_chunks = sheet_xml.member_chunks

        def open_(archive, name, mode="r", *args, **kwargs):
            stream = real_open(archive, name, mode, *args, **kwargs)
            if mode == "r":
                stream._spy_pass = len(spy.passes[stream.name])
                spy.passes[stream.name].append(0)
            return stream

        def counted(method):
            def read(stream, *args, **kwargs):
                chunk = method(stream, *args, **kwargs)
                if hasattr(stream, "_spy_pass"):
                    spy.passes[stream.name][stream._spy_pass] += len(chunk)
                return chunk
            return read

        def member_chunks(data, archive, path, *args, **kwargs):
            number = len(spy.passes[path])
            spy.passes[path].append(0)
            for chunk in real_chunks(data, archive, path, *args, **kwargs):
                spy.passes[path][number] += len(chunk)
                yield chunk

        monkeypatch.setattr(zipfile.ZipFile, "open", open_)
        monkeypatch.setattr(zipfile.ZipExtFile, "read", counted(zipfile.ZipExtFile.read))
        monkeypatch.setattr(zipfile.ZipExtFile, "read1", counted(zipfile.ZipExtFile.read1))
        for module in (sheet_xml, sheet_stream, extract):
            monkeypatch.setattr(module, "member_chunks", member_chunks)

    def whole_passes(self, member: str, size: int) -> int:
        return sum(1 for inflated in self.passes[member] if inflated >= size)

    def partly_inflated(self, member: str, size: int) -> int:
        return sum(inflated for inflated in self.passes[member] if inflated < size)


def document_log(rows: int) -> bytes:
    buffer = io.BytesIO()
    write_large_xlsx(buffer, chain(DOCUMENT_LOG_TITLES, [DOCUMENT_LOG_HEADER], document_log_rows(rows)),
                     inline_strings=True)
    return buffer.getvalue()


def linked(data: bytes, formula: bool) -> tuple[bytes, str]:
    """The export with the parts of a link to another workbook (C:\\預算\\預算.xlsx), and with (`formula`) or
    without a date cell turned into =[1]Sheet1!A1; the workbook and that cell's name."""
    sheet = zipfile.ZipFile(io.BytesIO(data)).read(SHEET)
    value = int(re.search(rb'<c r="[A-Z]+[0-9]+" s="1"><v>([0-9]+)</v></c>', sheet).group(1))
    changed, cell = corpus.with_external_formula(data, value)
    if formula:
        return changed, cell
    members = {info.filename: zipfile.ZipFile(io.BytesIO(changed)).read(info) for info
               in zipfile.ZipFile(io.BytesIO(changed)).infolist()}
    return corpus._zip(members | {SHEET: sheet}), cell


def with_wrong_crc(data: bytes, member: str) -> bytes:
    """The workbook with the CRC its central directory declares for `member` changed: zipfile refuses it."""
    data = bytearray(data)
    position = data.find(b"PK\x01\x02")
    while position >= 0:
        name_length = struct.unpack_from("<H", data, position + 28)[0]
        if data[position + 46:position + 46 + name_length] == member.encode():
            crc = struct.unpack_from("<I", data, position + 16)[0]
            struct.pack_into("<I", data, position + 16, crc ^ 0xFFFF)
            return bytes(data)
        position = data.find(b"PK\x01\x02", position + 46)
    raise AssertionError(f"{member} not in the central directory")


LARGE_ROWS = 30_000
LARGE = document_log(LARGE_ROWS)


def _outcome(data: bytes) -> object:
    try:
        return read_export(data, "公文清單.xlsx", PLAN_112).frame
    except InputError as error:
        return [str(problem) for problem in error.problems]


@pytest.mark.parametrize(("label", "make", "refused"), [
    ("an export", lambda: (LARGE, ""), None),
    ("an export linking to another workbook", lambda: linked(LARGE, formula=False), None),
    ("an export with a formula from another workbook", lambda: linked(LARGE, formula=True),
     "儲存格 {cell}：公式取自另一個活頁簿（C:\\預算\\預算.xlsx），上傳前請將公式改為數值（複製→選擇性貼上→值）"),
])
def test_a_large_exports_sheet_is_inflated_once(label, make, refused, monkeypatch):
    data, cell = make()
    size = zipfile.ZipFile(io.BytesIO(data)).getinfo(SHEET).file_size
    spy = InflationSpy(monkeypatch)
    outcome = _outcome(data)
    assert spy.whole_passes(SHEET, size) == 1, dict(spy.passes)
    assert spy.partly_inflated(SHEET, size) <= FIRST_LOOK_BYTES  # the first look at its first rows
    if refused is None:
        monkeypatch.undo()
        assert outcome.equals(_outcome(LARGE))  # the link changes nothing read
    else:
        assert any(refused.format(cell=cell) in problem for problem in outcome)


def test_a_sheet_zipfile_would_refuse_is_refused_as_the_checks_own_scan_refuses_it():
    """The streaming reader skips zipfile's checks of the bytes it inflates: the gathered facts are not used
    for a sheet whose CRC is wrong, and the refusal is the one a separate scan gives."""
    data = with_wrong_crc(linked(LARGE, formula=False)[0], SHEET)
    with pytest.raises(InputError) as own_scan:
        safety.refuse_external_formulas(Upload("公文清單.xlsx", data), "公文清單")
    with pytest.raises(InputError) as read:
        read_export(data, "公文清單.xlsx", PLAN_112)
    assert [str(problem) for problem in read.value.problems] == [str(problem) for problem in own_scan.value.problems]
    assert "活頁簿結構有誤" in str(read.value)


ROWS = '<row r="1"><c r="A1" t="s"><v>0</v></c></row><row r="2"><c r="A2"><v>1</v></c>{more}</row>'


@pytest.mark.parametrize(("cells", "around"), [
    (ROWS.format(more=""), ("", "")),
    (ROWS.format(more="") + " ", ("", "")),
    (ROWS.format(more="") + ":c>", ("", "")),
    (ROWS.format(more='<c r="B2"><f>[1]Sheet1!A1</f><v>3</v></c>'), ("", "")),
    (ROWS.format(more='<c r="B2"><f>SUM(\'[2]預算\'!B2:B5)</f><v>3</v></c><c r="C2"><f>表1[[#This Row],[數量]]</f>'
                      '<v>1</v></c>'), ("", "")),
    (ROWS.format(more='<c r="B2"><f>1+1</f></c>'), ("", "")),  # never calculated
    (ROWS.format(more='<c r="B2" t="str"><f>IF(A1="","",A1)</f><v></v></c>'), ("", "")),  # calculated as ""
    (ROWS.format(more='<c r="B2" t="e"><v>#N/A</v></c>'), ("", "")),
    (ROWS.format(more='<c\x0cr="B2"/>'), ("", "")),  # a cell to the byte scan, not to the streamer
    (ROWS.format(more="") + "<c>", ("", "")),  # the same, just before </sheetData>
    (ROWS.format(more="") + "<?>", ("", "")),
    (ROWS.format(more="") + "<!>", ("", "")),
    (ROWS.format(more=""), ("", '<c r="AB70"><f>[1]Sheet1!A1</f><v>3</v></c>')),  # cells after <sheetData> count
    (ROWS.format(more=""), ("<sheetPr/>", '<row r="9"><c r="XFD1"><f>[1]A!A1</f><v>3</v></c></row>')),
    (ROWS.format(more=""), ("", '<c r="A1048577"><v>1</v></c>')),  # past Excel's last row
    (ROWS.format(more=""), ("", "<!-- a comment: the byte scan leaves the sheet to the parser -->")),
    (ROWS.format(more=""), ("", "<!DOCTYPE x>")),
    (ROWS.format(more=""), ("<sheetPr/>", '<pageMargins left="0.7"/>')),
    ("", ("", '<c r="C3"><v>1</v></c>')),
])
@pytest.mark.parametrize("chunk", [sheet_stream._CHUNK, 7, 150, 102])
@pytest.mark.parametrize("head", [None, 1])
def test_the_gathered_facts_are_what_the_checks_own_scan_finds(cells, around, chunk, head, monkeypatch):
    data = _raw_sheet(cells, around)
    archive = zipfile.ZipFile(io.BytesIO(data))
    monkeypatch.setattr(sheet_stream, "_CHUNK", chunk)
    gathered = sheet_xml.GatheredScan(data, archive, SHEET)
    try:
        sheet_stream.read_columns(data, archive, sheet_stream.WorkbookParts(SHEET, False), "公文", 0, {"a": 0},
                                  "公文清單.xlsx", 10_000_000, head, gathering=gathered)
    except InputError:
        pass
    assert _scanned(lambda: gathered.scan(archive, "公文", SHEET)) == _scanned(
        lambda: sheet_xml.scan_sheet(archive, "公文", SHEET))


def _scanned(scan) -> object:
    try:
        return scan()
    except Exception as error:
        return type(error)


def test_the_rows_the_streamer_read_are_not_scanned_again(monkeypatch):
    """A workbook without links (every system export) has no formulas checked: nothing is gathered. With links,
    the byte scan looks only at the bytes outside <sheetData>; of the rows, which the streamer has checked cell
    by cell, only their formulas and error cells are looked for."""
    scanned, searched = [], []
    real_feed = sheet_xml.SheetScanner.feed
    real_search = sheet_xml.SheetScanner.formulas_and_errors
    monkeypatch.setattr(sheet_xml.SheetScanner, "feed", lambda scanner, chunk: (scanned.append(len(chunk)),
                                                                                real_feed(scanner, chunk)))
    monkeypatch.setattr(sheet_xml.SheetScanner, "formulas_and_errors",
                        lambda scanner, piece: (searched.append(len(piece)), real_search(scanner, piece)))
    read_export(LARGE, "公文清單.xlsx", PLAN_112)
    assert scanned == searched == []
    read_export(linked(LARGE, formula=False)[0], "公文清單.xlsx", PLAN_112)
    sheet = zipfile.ZipFile(io.BytesIO(LARGE)).read(SHEET)
    inside = sheet.index(b"</sheetData>") - sheet.index(b"<sheetData>") - len(b"<sheetData>")
    assert sum(scanned) == len(sheet) - inside  # the byte scan: only outside the rows
    assert sum(searched) == len(sheet) - inside  # rows holding no formula or error: not searched
