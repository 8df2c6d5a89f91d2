"""Files as they really come: dates in every office format, headers below titles, blank rows and
footers, encodings and delimiters, and the fast paths agreeing with a plain count."""

from __future__ import annotations

import codecs
import datetime as dt
import io
import re
import zipfile
from collections import Counter

import numpy as np
import pandas as pd
import pytest

from catalogues import PLAN_112
from metrics.errors import InputError
from metrics.intake.exports import read_export
from metrics.intake.exports.common import DATE_BLANK, DATE_INVALID, CodedColumn, ColumnSpec, parse_date_column
from synthetic_exports import (
    DOCUMENT_LOG_HEADER,
    csv_bytes,
    document_log_rows,
    write_large_csv,
    write_large_xlsx,
    xlsx_bytes,
)

DATE = ColumnSpec("date", "日期", ("日期",), kind="date")


def parsed(values: list[object]) -> list[int]:
    column = CodedColumn.from_series(DATE, "A", "日期", pd.Series(values, dtype="str"))
    dates, _ = parse_date_column(column)
    return [int(value) for value in dates]


@pytest.mark.parametrize(("raw", "expected"), [
    ("1120331", 20230331),
    ("0990101", 20100101),
    ("990101", 20100101),
    ("112/03/31", 20230331),
    ("112/3/5", 20230305),
    ("112.03.31", 20230331),
    ("112-3-31", 20230331),
    ("中華民國112年3月31日", 20230331),
    ("民國112年3月31日", 20230331),
    ("112年3月31日", 20230331),
    ("2023-03-31", 20230331),
    ("2023/3/31 08:15", 20230331),
    ("2023-03-31 00:00:00", 20230331),
    ("20230331", 20230331),
    ("１１２/０３/３１", 20230331),
    (" 112/03/31 ", 20230331),
    ("112/02/29", DATE_INVALID),
    ("112/13/01", DATE_INVALID),
    ("明年三月", DATE_INVALID),
    ("", DATE_BLANK),
    ("   ", DATE_BLANK),
    (None, DATE_BLANK),
])
def test_each_date_format(raw: object, expected: int) -> None:
    assert parsed([raw]) == [expected]


def test_many_distinct_datetimes_fold_to_their_days() -> None:
    start = dt.datetime(2023, 1, 1, 8, 0)
    values = [(start + dt.timedelta(minutes=7 * step)).strftime("%Y-%m-%d %H:%M:%S") for step in range(6000)]
    result = parsed(values + ["112/13/01"])
    expected = [int((start + dt.timedelta(minutes=7 * step)).strftime("%Y%m%d")) for step in range(6000)]
    assert result == [*expected, DATE_INVALID]


HEADER = ["收發別", "發文日期", "交換方式"]


def sent_counts(data: bytes, name: str) -> dict[int, int]:
    frame = read_export(data, name, PLAN_112).frame
    rows = frame[frame["field"] == "edoc_sent_total"]
    return {int(month): int(value) for month, value in zip(rows["month"], rows["value"])}


def test_xlsx_table_may_start_anywhere_on_a_later_sheet() -> None:
    cover = [["說明：本檔由公文系統匯出"]]
    rows = [[None, None, None], [None, None, "公文清單"], [None, None, None],
            [None, None, *HEADER], [None, None, "發文", "112/01/05", "電子"], [None, None, "發文", "壞日期", "電子"]]
    data = xlsx_bytes(cover, sheet="說明", more_sheets=[("清單", rows)])
    with pytest.raises(InputError) as caught:
        read_export(data, "a.xlsx", PLAN_112)
    problem = caught.value.problems[0]
    assert (problem.sheet, problem.cell) == ("清單", "D6")
    assert "「壞日期」" not in problem.message  # a non-date is not repeated


def test_blank_rows_and_footers_are_not_data_but_keep_row_numbers() -> None:
    rows = [HEADER, ["發文", "112/01/05", "電子"], [], ["發文", "112/01/06", "電子"], [],
            ["發文", "112/99/01", "電子"], ["共 3 筆"], ["列印日期：112/07/01"]]
    for data, name in ((xlsx_bytes(rows), "a.xlsx"), (csv_bytes(rows), "a.csv")):
        with pytest.raises(InputError) as caught:
            read_export(data, name, PLAN_112)
        assert [problem.cell for problem in caught.value.problems] == ["B6"], name
        fixed = [row if row[:2] != ["發文", "112/99/01"] else ["發文", "112/02/01", "紙本"] for row in rows]
        fixed_data = xlsx_bytes(fixed) if name.endswith("xlsx") else csv_bytes(fixed)
        result = read_export(fixed_data, name, PLAN_112)
        assert sent_counts(fixed_data, name) == {1: 2, 2: 1}
        assert result.rows_read >= 5
        assert any("略過" in note for note in result.notes)


def test_quoted_newlines_count_as_one_row() -> None:
    rows = [["收發別", "主旨", "發文日期", "交換方式"], ["發文", "第一行\n第二行", "112/01/05", "電子"],
            ["發文", "x", "112/01/32", "電子"]]
    with pytest.raises(InputError) as caught:
        read_export(csv_bytes(rows), "a.csv", PLAN_112)
    assert caught.value.problems[0].cell == "C3"


@pytest.mark.parametrize(("encode", "label"), [
    (lambda text: text.encode("utf-8"), "UTF-8"),
    (lambda text: codecs.BOM_UTF8 + text.encode("utf-8"), "UTF-8 (BOM)"),
    (lambda text: text.encode("cp950"), "CP950 (Big5)"),
    (lambda text: text.encode("utf-16"), "UTF-16"),
])
def test_encodings_and_delimiters(encode, label: str) -> None:
    for delimiter in (",", "\t"):
        text = "\r\n".join(delimiter.join(row) for row in
                           [HEADER, ["發文", "112/01/05", "電子交換"], ["發文", "112/02/01", "紙本"]]) + "\r\n"
        result = read_export(encode(text), "a.csv", PLAN_112)
        assert result.encoding == label
        assert sent_counts(encode(text), "a.csv") == {1: 1, 2: 1}


def test_undecodable_bytes_are_explained() -> None:
    data = "收發別,發文日期,交換方式\r\n發文,112/01/05,電子\r\n".encode("cp950") + b"\x81\x20\xff\xfe,\r\n"
    with pytest.raises(InputError) as caught:
        read_export(data, "a.csv", PLAN_112)
    assert "檔案編碼無法辨識" in str(caught.value)


@pytest.mark.parametrize(("data", "name", "words"), [
    (b"", "a.csv", "空"),
    (b"\xd0\xcf\x11\xe0", "a.xls", ".xls"),
    (b"hello", "a.pdf", ".pdf"),
    (b"PK\x03\x04 damaged", "a.xlsx", "Excel"),
    (b"x" * 2000, "a.csv", "超過上限"),
])
def test_unacceptable_uploads(data: bytes, name: str, words: str) -> None:
    """Refused by metrics.intake.safety.check_upload (or the fallback check before it existed)."""
    with pytest.raises(InputError) as caught:
        read_export(data, name, PLAN_112, max_bytes=1000)
    assert words in str(caught.value)
    assert caught.value.problems[0].file == name


def test_a_sheet_stating_an_absurd_extent_is_refused() -> None:
    data = xlsx_bytes([HEADER, ["發文", "112/01/05", "電子"]])
    source = zipfile.ZipFile(io.BytesIO(data))
    target = io.BytesIO()
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
        for item in source.infolist():
            content = source.read(item)
            if item.filename == "xl/worksheets/sheet1.xml":
                content = re.sub(rb'<dimension ref="[^"]*"', b'<dimension ref="A1:XFD1048576"', content)
                assert b"XFD1048576" in content
            archive.writestr(item, content)
    with pytest.raises(InputError) as caught:
        read_export(target.getvalue(), "a.xlsx", PLAN_112)
    assert "上限" in str(caught.value)


def test_progress_is_reported_in_chinese_up_to_done() -> None:
    reports: list[tuple[float, str]] = []
    read_export(csv_bytes([HEADER, ["發文", "112/01/05", "電子"]]), "a.csv", PLAN_112,
                progress=lambda fraction, message: reports.append((fraction, message)))
    fractions = [fraction for fraction, _ in reports]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0
    assert reports[-1][1] == "完成"


def naive_counts(rows: list[list[object]]) -> dict[str, Counter]:
    """The document log's rules, one row at a time, as the oracle for the vectorized reader."""
    counts = {code: Counter() for code in ("edoc_sent_total", "edoc_sent_electronic", "edoc_received_electronic",
                                           "paper_received_signed_online", "self_created_drafts", "online_signed")}
    for _, kind, received, sent, created, exchange, signing, *_ in rows:
        if kind == "發文":
            counts["edoc_sent_total"][sent.month] += 1
            counts["edoc_sent_electronic"][sent.month] += exchange == "電子交換"
        elif kind == "收文":
            month = int(received.split("/")[1])
            electronic = exchange == "電子交換"
            paper_online = exchange == "紙本" and signing == "線上簽核"
            counts["edoc_received_electronic"][month] += electronic
            counts["paper_received_signed_online"][month] += paper_online
            counts["online_signed"][month] += (electronic or paper_online) and signing == "線上簽核"
        else:
            month = int(created[3:5])
            counts["self_created_drafts"][month] += 1
            counts["online_signed"][month] += signing == "線上簽核"
    return counts


@pytest.mark.parametrize("kind", ["xlsx", "csv"])
def test_large_writer_and_fast_readers_agree_with_a_plain_count(tmp_path, kind: str) -> None:
    rows = list(document_log_rows(3000, seed=7))
    path = str(tmp_path / f"log.{kind}")
    titled = [["公文清單"], DOCUMENT_LOG_HEADER, *rows]
    (write_large_xlsx if kind == "xlsx" else write_large_csv)(path, titled)
    result = read_export(open(path, "rb").read(), f"log.{kind}", PLAN_112)
    expected = naive_counts(rows)
    frame = result.frame
    for code, counter in expected.items():
        selected = frame[frame["field"] == code]
        assert {int(m): int(v) for m, v in zip(selected["month"], selected["value"])} == \
            {month: counter.get(month, 0) for month in range(1, 13)}, code
    assert result.rows_read == 3000
    assert np.all(np.diff([int(m) for m in frame["month"][frame["field"] == "edoc_sent_total"]]) == 1)


def _workbook_with_cells(cells: dict[str, str], dimension: str = "A1:F2") -> bytes:
    """A minimal workbook whose sheet XML places the given cells, with a <dimension> that may lie."""
    import zipfile as zip_module
    from io import BytesIO

    rows: dict[int, list[str]] = {}
    for reference, text in cells.items():
        number = int("".join(character for character in reference if character.isdigit()))
        rows.setdefault(number, []).append(f'<c r="{reference}" t="inlineStr"><is><t>{text}</t></is></c>')
    sheet_rows = "".join(f'<row r="{number}">{"".join(rows[number])}</row>' for number in sorted(rows))
    main = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    relation = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    package = "http://schemas.openxmlformats.org/package/2006/relationships"
    buffer = BytesIO()
    with zip_module.ZipFile(buffer, "w", zip_module.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/'
                         'package/2006/content-types"><Default Extension="xml" ContentType="application/xml"/></Types>')
        archive.writestr("xl/workbook.xml", f'<?xml version="1.0"?><workbook xmlns="{main}" xmlns:r="{relation}">'
                         '<sheets><sheet name="公文" sheetId="1" r:id="rId1"/></sheets></workbook>')
        archive.writestr("xl/_rels/workbook.xml.rels", f'<?xml version="1.0"?><Relationships xmlns="{package}">'
                         f'<Relationship Id="rId1" Type="{relation}/worksheet" Target="worksheets/sheet1.xml"/>'
                         '</Relationships>')
        archive.writestr("xl/worksheets/sheet1.xml", f'<?xml version="1.0"?><worksheet xmlns="{main}">'
                         f'<dimension ref="{dimension}"/><sheetData>{sheet_rows}</sheetData></worksheet>')
    return buffer.getvalue()


@pytest.mark.parametrize(("far_cell", "refused"), [
    ("ZZ200000", True),  # 200,000 rows × 702 columns, though <dimension> says A1:F2
    ("XFD1048576", True),  # Excel's last cell
    ("A9999999", True),  # a row beyond any worksheet
    ("Z1000", False),  # an ordinary extent
    ("AB40000", False),  # 40,000 × 28 = 1,120,000 cells: fine
])
def test_a_sheet_whose_cells_really_reach_too_far_is_refused_before_loading(far_cell, refused):
    from metrics.intake.extract import check_true_extent

    data = _workbook_with_cells({"A1": "文號", "B1": "收發別", far_cell: "x"})
    if refused:
        with pytest.raises(InputError, match="超過可讀取的上限|超出 Excel 的範圍"):
            check_true_extent(data, "公文", "假.xlsx")
    else:
        check_true_extent(data, "公文", "假.xlsx")


def _archive(compression: int, member: bytes) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as archive:
        archive.writestr("xl/worksheets/sheet1.xml", member)
        archive.writestr("xl/other.xml", b"<x/>")
    return buffer.getvalue()


@pytest.mark.parametrize("compression", [zipfile.ZIP_DEFLATED, zipfile.ZIP_STORED])
@pytest.mark.parametrize("chunk", [7, 1000, 16 * 1024 * 1024])
def test_the_extent_scan_reads_a_member_exactly_as_zipfile_does(compression, chunk, monkeypatch):
    from metrics.intake import sheet_xml

    member = b"".join(b'<row r="%d"><c r="A%d"><v>%d</v></c></row>' % (row, row, row * 7) for row in range(1, 3000))
    data = _archive(compression, member)
    monkeypatch.setattr(sheet_xml, "SCAN_CHUNK", chunk)
    archive = zipfile.ZipFile(io.BytesIO(data))
    chunks = list(sheet_xml.member_chunks(data, archive, "xl/worksheets/sheet1.xml", "公文清單.xlsx"))
    assert b"".join(chunks) == member
    assert max(map(len, chunks)) <= chunk


def test_a_damaged_sheet_is_refused_by_the_extent_scan_in_words():
    from metrics.intake import sheet_xml

    member = b"".join(b'<row r="%d"><c r="A%d"><v>%d</v></c></row>' % (row, row, row) for row in range(1, 3000))
    data = bytearray(_archive(zipfile.ZIP_DEFLATED, member))
    archive = zipfile.ZipFile(io.BytesIO(bytes(data)))
    info = archive.getinfo("xl/worksheets/sheet1.xml")
    start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)
    data[start:start + 20] = b"\xff" * 20
    with pytest.raises(InputError, match="公文清單.xlsx.*不是有效的 Excel 檔案"):
        list(sheet_xml.member_chunks(bytes(data), archive, "xl/worksheets/sheet1.xml", "公文清單.xlsx"))


def _sheet_archive(cells: str) -> zipfile.ZipFile:
    xml = (f'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:x="http://schemas.'
           f'openxmlformats.org/spreadsheetml/2006/main"><sheetData>{cells}</sheetData></worksheet>').encode()
    return zipfile.ZipFile(io.BytesIO(_archive(zipfile.ZIP_DEFLATED, xml)))


@pytest.mark.parametrize("cells, expected", [
    ('<row r="1"><c r="A1"/></row><row r="5"><c r="C5"/></row>', (5, 3)),
    ('<row r="3"><c/><c/><c/></row>', (3, 3)),  # cells without r: after the previous cell of the row
    ('<row r="5"><c r="B5"/></row><row><c/></row>', (6, 2)),  # a row without r: after the previous row
    ('<row r="2"><c r="D2"/><c/><c t="n"><v>1</v></c></row>', (2, 6)),
    ('<row><c/></row><row><c/><c/></row>', (2, 2)),
    ('<x:row r="4"><x:c r="AA4"/></x:row>', (4, 27)),  # a namespace prefix
    ("<row r='7'><c r='B7'/></row>", (7, 2)),  # single quotes
    ('<row r="9"><c t="s" r="E9"><v>0</v></c></row>', (9, 5)),  # r not the first attribute
    ('<row r="900"><c r="A5"/><c/><c/></row>', (900, 3)),  # after a cell naming another row: its <row>'s row
    ('<row r="3"><c/><!--<c r="A1"/>--><c/></row>', (3, 2)),  # a comment is not a cell
    ('<row r="3"><c t="str"><v><![CDATA[<c r="A1">]]></v></c><c/></row>', (3, 2)),
    ('<row r="3"><c foo=" r=&quot;A1&quot;" r="D3"/><c/></row>', (3, 5)),
    ("", (0, 0)),
])
def test_the_exact_extent_places_every_cell_where_the_reader_does(cells, expected):
    from metrics.intake import safety

    archive = _sheet_archive(cells)
    assert safety.exact_extent(archive, "工作表1", "xl/worksheets/sheet1.xml", "a.xlsx") == expected


@pytest.mark.parametrize("cells, phrase", [
    ('<row r="3"><c r="ZZZZ3"/></row>', "檔案可能已損毀"),  # beyond Excel's columns
    ('<row r="3"><c r="A4000000000"/></row>', "檔案可能已損毀"),
    ('<row r="4000000000"><c/></row>', "超出 Excel 的範圍"),
    ('<row r="3"><c r="A3" r="XFD3"/></row>', "檔案可能已損毀"),  # an attribute twice: not XML
    ('<row r="3"><c/><row r="4"><c/></row><c/></row>', "檔案可能已損毀"),  # a row inside a row
])
def test_the_exact_extent_refuses_what_a_reader_could_place_anywhere(cells, phrase):
    from metrics.intake import safety

    with pytest.raises(InputError, match=phrase):
        safety.exact_extent(_sheet_archive(cells), "工作表1", "xl/worksheets/sheet1.xml", "a.xlsx")


@pytest.mark.parametrize("cell", ['<c r="A1" foo="x"><v>1</v></c>', '<c r="A1" r="B1"><v>1</v></c>', "<c><v>1</v></c>",
                                  '<c t="s" r="A1"><v>1</v></c>', '<c r="AA1"><v>1</v></c>', '<c r="A1000000"/>',
                                  '<x:c r="A1"><v>1</v></x:c>', '<c r="a1"/>', '<c r="A1" foo=">" r="XFD1"/>',
                                  '<c r="A1" t="s" t="s" r="XFD1"/>', '<c r="A1" ph="1"/>'])
def test_the_fast_scan_sends_every_unusual_cell_to_the_exact_count(cell):
    from metrics.intake import sheet_xml

    window = f'<row r="1">{cell}</row>'.encode()
    assert sheet_xml.UNUSUAL_CELL.search(window) or sheet_xml.PREFIXED_CELL.search(window)


@pytest.mark.parametrize("cell", ['<c r="A1"><v>1</v></c>', '<c r="Z999999" s="3" t="s"><v>1</v></c>', '<c r="B2"/>',
                                  '<c r="D4" t="n" s="12"><v>1</v></c>',
                                  '<c r="C3" t="inlineStr"><is><t>x</t></is></c>'])
def test_the_fast_scan_lets_ordinary_cells_pass(cell):
    from metrics.intake import sheet_xml

    window = f'<row r="1">{cell}</row>'.encode()
    assert not (sheet_xml.UNUSUAL_CELL.search(window) or sheet_xml.PREFIXED_CELL.search(window))


def test_the_extent_scan_stops_at_the_size_the_zip_declares():
    from metrics.intake import sheet_xml

    member = b"<row>" + b"<c/>" * 100_000 + b"</row>"
    data = bytearray(_archive(zipfile.ZIP_DEFLATED, member))
    archive = zipfile.ZipFile(io.BytesIO(bytes(data)))
    info = archive.getinfo("xl/worksheets/sheet1.xml")
    # declare a tenth of the real size in the central directory, as a zip bomb would
    position = bytes(data).index(b"PK\x01\x02")
    data[position + 24:position + 28] = (info.file_size // 10).to_bytes(4, "little")
    lying = zipfile.ZipFile(io.BytesIO(bytes(data)))
    with pytest.raises(InputError, match="檔案可能已損毀"):
        list(sheet_xml.member_chunks(bytes(data), lying, "xl/worksheets/sheet1.xml", "公文清單.xlsx", 4096))


def test_a_row_of_cells_without_positions_is_refused_before_the_sheet_is_loaded(monkeypatch):
    """16,000 cells written without r="…" in row 60,000 of a 2 KB export: a 30 GB grid that would abort the server."""
    from catalogues import CATALOGUE
    from hostile_corpus import unaddressed_row
    from metrics.intake import sources

    monkeypatch.setattr(sources, "QUICK_TEMPLATE_BYTES", 0)  # straight to the export reader, as a large file goes
    with pytest.raises(InputError, match="實際延伸到第 60,000 列、第 16,000 欄"):
        sources.read_any(unaddressed_row(), "公文清單.xlsx", CATALOGUE, year=112, unit="政風處")


def test_an_export_written_without_cell_positions_reads_as_with_them(monkeypatch):
    """Some programs leave out r="A1" on every cell (each then follows the previous one): the exact count and the
    reader must agree with the same sheet written with positions."""
    from catalogues import CATALOGUE
    from hostile_corpus import DOCUMENT_HEADER, sheet_xml, workbook
    from metrics.intake import sources

    def text(value: str) -> str:
        return f'<is><t>{value}</t></is>'

    table = [DOCUMENT_HEADER.split(",")] + [
        [f"府政字第{1120000000 + number}號", "發文" if number % 3 else "收文", f"112/{number % 12 + 1:02d}/05",
         f"112/{number % 12 + 1:02d}/06", f"112/{number % 12 + 1:02d}/04", "電子交換" if number % 4 else "紙本",
         "線上簽核" if number % 5 else "紙本", "普通", f"主旨{number}", "王小明"] for number in range(200)]

    def sheet(positions: bool) -> bytes:
        rows = []
        for row_number, values in enumerate(table, start=1):
            cells = "".join(f'<c{f" r={chr(34)}{chr(65 + column)}{row_number}{chr(34)}" if positions else ""}'
                            f' t="inlineStr">{text(value)}</c>' for column, value in enumerate(values))
            rows.append(f'<row r="{row_number}">{cells}</row>')
        return workbook([sheet_xml("".join(rows))])

    monkeypatch.setattr(sources, "QUICK_TEMPLATE_BYTES", 0)
    with_positions = sources.read_any(sheet(True), "公文清單.xlsx", CATALOGUE, year=112, unit="政風處")
    without = sources.read_any(sheet(False), "公文清單.xlsx", CATALOGUE, year=112, unit="政風處")
    assert with_positions.rows_read == without.rows_read == 200
    pd.testing.assert_frame_equal(with_positions.frame, without.frame)
