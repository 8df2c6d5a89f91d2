"""The streaming column reader of large export sheets (metrics.intake.sheet_stream) gives exactly what
fastexcel gives for the same columns, or declines and leaves the sheet to fastexcel."""

from __future__ import annotations

import io
import zipfile
from itertools import chain

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from catalogues import PLAN_112
from metrics.intake import safety
from metrics.errors import InputError
from metrics.intake.exports import read_export
from metrics.intake import extract, sheet_stream
from metrics.intake.exports.common import column_letter
from synthetic_exports import DOCUMENT_LOG_HEADER, DOCUMENT_LOG_TITLES, document_log_rows, write_large_xlsx

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
RELATIONSHIP = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PACKAGE = "http://schemas.openxmlformats.org/package/2006/relationships"

# Number formats by style index: general, Excel's built-in date 14, a custom date, a Minguo date, two decimals,
# text, a time, a date and time.
STYLES = (
    '<?xml version="1.0" encoding="UTF-8"?><styleSheet xmlns="' + MAIN + '"><numFmts count="4">'
    '<numFmt numFmtId="164" formatCode="yyyy/mm/dd"/><numFmt numFmtId="165" formatCode="[$-404]e/m/d"/>'
    '<numFmt numFmtId="166" formatCode="h:mm"/><numFmt numFmtId="167" formatCode="yyyy/m/d h:mm"/></numFmts>'
    '<fonts count="1"><font/></fonts><fills count="1"><fill/></fills><borders count="1"><border/></borders>'
    '<cellStyleXfs count="1"><xf/></cellStyleXfs><cellXfs count="8"><xf numFmtId="0"/><xf numFmtId="14"/>'
    '<xf numFmtId="164"/><xf numFmtId="165"/><xf numFmtId="2"/><xf numFmtId="49"/><xf numFmtId="166"/>'
    '<xf numFmtId="167"/></cellXfs></styleSheet>')

SHARED = [
    "<si><t>收文</t></si>",
    '<si><t xml:space="preserve"> 發文 </t></si>',
    "<si><r><rPr><b/></rPr><t>電子</t></r><r><t>交換</t></r></si>",
    '<si><t>漢字</t><rPh sb="0" eb="2"><t>かんじ</t></rPh><phoneticPr fontId="0"/></si>',
    "<si><t>A&amp;B &lt;C&gt;</t></si>",
    "<si><t>第一行_x000D_\n第二行</t></si>",
    "<si><t/></si>",
    "<si/>",
    "<si><t>112/03/31</t></si>",
    "<si><t>1120331</t></si>",
]

VALUES = [  # what follows <c r="…"
    ' t="s"><v>{shared}</v></c>',
    ' s="0" t="s"><v>{shared}</v></c>',
    ' t="inlineStr"><is><t>紙本</t></is></c>',
    ' t="inlineStr"><is><r><t>線上</t></r><r><t>簽核</t></r></is></c>',
    ' t="inlineStr"><is><t>' + "很長的主旨" * 40 + "</t></is></c>",  # longer than the fixed-width comparison
    ' t="inlineStr"><is><t></t></is></c>',
    "><v>1</v></c>",
    "><v>1.5</v></c>",
    "><v>1120331</v></c>",
    "><v>-0</v></c>",
    "><v>1E-7</v></c>",
    "><v>3.0000000000000004</v></c>",
    "><v>123456789012345678</v></c>",
    ' t="n"><v>44927</v></c>',
    ' s="1"><v>45016</v></c>',
    ' s="2"><v>45016.75</v></c>',
    ' s="3"><v>45016</v></c>',
    ' s="4"><v>0.125</v></c>',
    ' s="5"><v>42</v></c>',
    ' s="6"><v>0.5451388888888888</v></c>',
    ' s="7"><v>45016.54521990741</v></c>',
    ' s="2"><v>1E+20</v></c>',
    ' s="2"><v>12</v></c>',
    ' t="b"><v>1</v></c>',
    ' t="b"><v>0</v></c>',
    ' t="e"><v>#N/A</v></c>',
    ' t="e"><v>#DIV/0!</v></c>',
    "><f>A1+1</f><v>3</v></c>",
    ' t="str"><f>A1&amp;"x"</f><v>公式文字</v></c>',
    "><f>1+1</f></c>",
    "><v></v></c>",
    ' t="str"><f>IF(A1="","",A1)</f><v></v></c>',  # a formula giving "": a value for calamine
    ' t="str"><v/></c>',
    ' t="d"><v></v></c>',
    '><v xml:space="preserve">1</v></c>',
    "><v >1</v></c>",
    ' t="inlineStr"><is/></c>',
    ' t="inlineStr"><v>1</v></c>',  # no value for calamine
    ' t="inlineStr"><is><t>x</t></is><v>0</v></c>',
    "><v>&#49;</v></c>",
    ' t="str"><v>&amp;</v></c>',
    ' t="e"><v>#N/A</v></c>',
    "><v>1</v><v></v></c>",  # calamine takes the last <v>
    "><v>1</v><f>1</f></c>",
    "><f><v>1</v></f></c>",  # a <v> inside the formula is not the cell's
    ' t="str"><f><v>x</v></f></c>',
    ' t="inlineStr"><f><is><t>x</t></is></f></c>',
    ' t="d"><v>2023-03-31T00:00:00</v></c>',
    ' s="1"/>',
    "/>",
]


def workbook(rows: dict[int, dict[int, str]], *, date1904: bool = False, styles: bool = True) -> bytes:
    """rows: {1-based row: {0-based column: what follows the cell's reference}} as one sheet, 公文."""
    sheet_rows = []
    for row in sorted(rows):
        cells = "".join(f'<c r="{column_letter(column)}{row}"{rows[row][column]}' for column in sorted(rows[row]))
        sheet_rows.append(f'<row r="{row}">{cells}</row>')
    targets = [f'<Relationship Id="rId1" Type="{RELATIONSHIP}/worksheet" Target="worksheets/sheet1.xml"/>',
               f'<Relationship Id="rId3" Type="{RELATIONSHIP}/sharedStrings" Target="sharedStrings.xml"/>']
    if styles:
        targets.append(f'<Relationship Id="rId2" Type="{RELATIONSHIP}/styles" Target="styles.xml"/>')
    properties = '<workbookPr date1904="1"/>' if date1904 else ""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.'
                         'org/package/2006/content-types"><Default Extension="xml" ContentType="application/xml"/>'
                         '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
                         'relationships+xml"/></Types>')
        archive.writestr("_rels/.rels", f'<?xml version="1.0"?><Relationships xmlns="{PACKAGE}"><Relationship '
                         f'Id="rId1" Type="{RELATIONSHIP}/officeDocument" Target="xl/workbook.xml"/></Relationships>')
        archive.writestr("xl/workbook.xml", f'<?xml version="1.0"?><workbook xmlns="{MAIN}" xmlns:r="{RELATIONSHIP}">'
                         f'{properties}<sheets><sheet name="公文" sheetId="1" r:id="rId1"/></sheets></workbook>')
        archive.writestr("xl/_rels/workbook.xml.rels", f'<?xml version="1.0"?><Relationships xmlns="{PACKAGE}">'
                         + "".join(targets) + "</Relationships>")
        if styles:
            archive.writestr("xl/styles.xml", STYLES)
        archive.writestr("xl/sharedStrings.xml", f'<?xml version="1.0"?><sst xmlns="{MAIN}">{"".join(SHARED)}</sst>')
        archive.writestr("xl/worksheets/sheet1.xml", f'<?xml version="1.0"?><worksheet xmlns="{MAIN}"><sheetData>'
                         + "".join(sheet_rows) + "</sheetData></worksheet>")
    return buffer.getvalue()


def streamed(data: bytes, header_row: int, columns: dict[str, int], head: int | None = None):
    sampler = extract.XlsxSampler(data, "公文清單.xlsx")
    parts = sheet_stream.WorkbookParts(sampler.sheets[0][1], sampler.date1904)
    return sheet_stream.read_columns(data, sampler.archive, parts, "公文", header_row, columns, "公文清單.xlsx",
                                     safety.allowed_cells(len(data), safety.EXPORT_SHEET_CELLS), head)


def assert_same_as_fastexcel(data: bytes, header_row: int, columns: dict[str, int], head: int | None = None):
    read = streamed(data, header_row, columns, head)
    assert read is not None, "an ordinary sheet must take the streaming path"
    series, rows = read
    expected_series, expected_rows = extract._load_with_fastexcel(data, "公文", header_row, columns, "公文清單.xlsx",
                                                                  head)
    assert rows.tolist() == expected_rows.tolist()
    for name in columns:
        got = series[name].tolist()
        expected = expected_series[name].tolist()
        assert texts(got) == texts(expected), name


def texts(values: list) -> list:
    return [None if value != value else value for value in values]  # NaN and None both say "no value"


@pytest.mark.parametrize("value", VALUES)
@pytest.mark.parametrize("date1904", [False, True])
def test_every_kind_of_cell_reads_as_fastexcel_reads_it(value, date1904):
    rows = {1: {0: ' t="s"><v>0</v></c>', 1: ' t="s"><v>1</v></c>'},
            2: {0: value.format(shared=3), 1: "><v>7</v></c>"},
            3: {1: value.format(shared=5)}}
    assert_same_as_fastexcel(workbook(rows, date1904=date1904), 0, {"first": 0, "second": 1})


@pytest.mark.parametrize("shared", range(len(SHARED)))
def test_every_kind_of_shared_string_reads_as_fastexcel_reads_it(shared):
    rows = {1: {0: ' t="s"><v>0</v></c>'}, 2: {0: f' t="s"><v>{shared}</v></c>'}}
    assert_same_as_fastexcel(workbook(rows), 0, {"only": 0})


def test_without_a_style_part_numbers_are_plain():
    rows = {1: {0: ' t="s"><v>0</v></c>'}, 2: {0: ' s="1"><v>45016</v></c>'}}
    assert_same_as_fastexcel(workbook(rows, styles=False), 0, {"only": 0})


@pytest.mark.parametrize(("header_row", "head"), [(0, None), (2, None), (0, 2), (1, 1), (3, 50), (9, None)])
def test_the_rows_below_the_header_including_trailing_rows_of_other_columns(header_row, head):
    """The frame runs to the last row holding any value in any column (a footer in a column not read
    counts; a styled empty cell does not), as fastexcel's does."""
    rows = {1: {0: "><v>1</v></c>"}, 3: {1: "><v>2</v></c>", 3: ' s="1"/>'},
            4: {0: ' t="s"><v>8</v></c>'}, 6: {2: "><v>9</v></c>"}, 8: {4: ' t="s"><v>2</v></c>'},
            9: {0: ' s="1"/>', 1: "/>"}}
    assert_same_as_fastexcel(workbook(rows), header_row, {"a": 0, "b": 1, "never": 5}, head)


@pytest.mark.parametrize("last_value", [2, 40, 150])
def test_many_trailing_formulas_without_results_do_not_lengthen_the_rows(last_value):
    rows = {row: {1: "><f>1+1</f></c>", 2: "><v></v></c>"} for row in range(3, 200)}
    rows[1] = {0: ' t="s"><v>0</v></c>'}
    rows[2] = {0: "><v>5</v></c>"}
    rows[last_value] = {**rows.get(last_value, {}), 3: "><v>9</v></c>"}
    assert_same_as_fastexcel(workbook(rows), 0, {"a": 0, "b": 1, "d": 3})


COLUMNS = [0, 1, 2, 3, 4, 5, 25, 26, 27, 701, 702]  # A–F, Z, AA, AB, ZZ, AAA


@st.composite
def _sheets(draw):
    row_numbers = draw(st.lists(st.integers(1, 40), min_size=1, max_size=25, unique=True))
    rows = {}
    for row in row_numbers:
        columns = draw(st.lists(st.sampled_from(COLUMNS), max_size=6, unique=True))
        rows[row] = {column: draw(st.sampled_from(VALUES)).format(shared=draw(st.integers(0, len(SHARED) - 1)))
                     for column in columns}
    header_row = draw(st.integers(0, 5))
    rows.setdefault(header_row + 1, {})[0] = ' t="s"><v>0</v></c>'  # the header is a row with values, as found
    wanted = {0, *draw(st.lists(st.sampled_from(COLUMNS[1:] + [6, 30]), max_size=3, unique=True))}  # and the header's
    return rows, header_row, {f"c{index}": index for index in sorted(wanted)}, \
        draw(st.one_of(st.none(), st.integers(1, 30))), draw(st.booleans())


@given(_sheets())
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_random_sheets_read_as_fastexcel_reads_them(sheet):
    rows, header_row, columns, head, date1904 = sheet
    assert_same_as_fastexcel(workbook(rows, date1904=date1904), header_row, columns, head)


@given(_sheets())
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_random_sheets_read_in_tiny_chunks_as_in_large_ones(sheet):
    """Chunk boundaries fall inside cells, tags and shared strings."""
    rows, header_row, columns, head, date1904 = sheet
    data = workbook(rows, date1904=date1904)
    whole = streamed(data, header_row, columns, head)
    original = sheet_stream._CHUNK
    sheet_stream._CHUNK = 7
    try:
        chunked = streamed(data, header_row, columns, head)
    finally:
        sheet_stream._CHUNK = original
    assert whole is not None and chunked is not None
    assert whole[1].tolist() == chunked[1].tolist()
    for name in columns:
        assert texts(whole[0][name].tolist()) == texts(chunked[0][name].tolist())


def _raw_sheet(cells: str, around: tuple[str, str] = ("", ""), **parts: str | None) -> bytes:
    """A workbook whose sheet's <sheetData> holds `cells` (with `around` before and after it), its other parts
    replaced or (None) left out as given: parts={"xl/styles.xml": "…"}."""
    data = workbook({1: {0: ' t="s"><v>0</v></c>'}})
    sheet = (f'<?xml version="1.0"?><worksheet xmlns="{MAIN}" xmlns:x="{MAIN}">{around[0]}<sheetData>{cells}'
             f"</sheetData>{around[1]}</worksheet>")
    replaced = {"xl/worksheets/sheet1.xml": sheet} | {name.replace("__", "/"): text for name, text in parts.items()}
    buffer = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            if info.filename not in replaced:
                target.writestr(info, source.read(info))
        for name, text in replaced.items():
            if text is not None:
                target.writestr(name, text)
    return buffer.getvalue()


TWO_ROWS = '<row r="1"><c r="A1" t="s"><v>0</v></c></row><row r="2"><c r="A2"><v>1</v></c></row>'
HEADER_AND_DATE = ('<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>0</v></c></row>'
                   '<row r="2"><c r="A2" s="1"><v>45016</v></c><c r="B2" t="s"><v>1</v></c></row>')


def _workbook_part(properties: str) -> str:
    return (f'<?xml version="1.0"?><workbook xmlns="{MAIN}" xmlns:r="{RELATIONSHIP}">{properties}<sheets>'
            '<sheet name="公文" sheetId="1" r:id="rId1"/></sheets></workbook>')


@pytest.mark.parametrize("properties", [
    "<workbookPr date1904='1'/>",
    '<workbookPr date1904 = "1"/>',
    '<workbookPr a=">" date1904="1"/>',
    '<!-- <workbookPr date1904="1"/> -->',
    '<workbookPr x-date1904="1"/>',
    '<workbookPr date1904="1"/><workbookPr date1904="0"/>',
    '<workbookPr date1904="0"/><workbookPr date1904="true"/>',
    "<!--" + "<workbookPr " * 3000 + "-->",  # a regular expression here took quadratic time
])
def test_the_date_system_is_read_as_calamine_reads_it(properties):
    assert_same_as_fastexcel(_raw_sheet(HEADER_AND_DATE, **{"xl__workbook.xml": _workbook_part(properties)}),
                             0, {"a": 0, "b": 1})


def _relationships(styles: str, shared: str) -> str:
    return (f'<?xml version="1.0"?><Relationships xmlns="{PACKAGE}">'
            f'<Relationship Id="rId1" Type="{RELATIONSHIP}/worksheet" Target="worksheets/sheet1.xml"/>'
            f'<Relationship Id="rId2" Type="{RELATIONSHIP}/styles" Target="{styles}"/>'
            f'<Relationship Id="rId3" Type="{RELATIONSHIP}/sharedStrings" Target="{shared}"/></Relationships>')


OTHER_STRINGS = f'<?xml version="1.0"?><sst xmlns="{MAIN}"><si><t>X0</t></si><si><t>X1</t></si></sst>'


@pytest.mark.parametrize("parts", [
    {"xl__other.xml": STYLES.replace('numFmtId="14"', 'numFmtId="0"'),
     "xl___rels__workbook.xml.rels": _relationships("other.xml", "sharedStrings.xml")},
    {"xl__strings.xml": OTHER_STRINGS, "xl___rels__workbook.xml.rels": _relationships("styles.xml", "strings.xml")},
    {"xl__Styles.xml": STYLES, "xl__styles.xml": None,
     "xl___rels__workbook.xml.rels": _relationships("Styles.xml", "sharedStrings.xml")},
    {"xl__SharedStrings.xml": OTHER_STRINGS, "xl__sharedStrings.xml": None,
     "xl___rels__workbook.xml.rels": _relationships("styles.xml", "SharedStrings.xml")},
])
def test_styles_and_shared_strings_are_the_parts_calamine_reads(parts):
    """calamine reads xl/styles.xml and xl/sharedStrings.xml, whatever the relationships name."""
    data = _raw_sheet(HEADER_AND_DATE, **parts)
    read = streamed(data, 0, {"a": 0, "b": 1})
    if read is not None:
        assert_same_as_fastexcel(data, 0, {"a": 0, "b": 1})


@pytest.mark.parametrize("items", [
    "<si><t>h</t></si><!-- <si><t>fake</t></si> --><si><t>real1</t></si><si><t>real2</t></si>",
    "<si><t>h</t></si><?pi <si><t>fake</t></si>?><si><t>real1</t></si><si><t>real2</t></si>",
    "<si><t>h</t></si><si><t><![CDATA[<si>]]></t></si><si><t>real1</t></si>",
    "<si><t>h</t></si><si><si><t>inside</t></si></si><si><t>real1</t></si>",
    "<si><t>h</t></si>" + "<si>" * 20000,  # unclosed items: a regular expression here took quadratic time
])
def test_a_shared_string_table_not_written_the_ordinary_way_is_left_to_fastexcel(items):
    cells = ('<row r="1"><c r="A1" t="s"><v>0</v></c></row><row r="2"><c r="A2" t="s"><v>1</v></c></row>'
             '<row r="3"><c r="A3" t="s"><v>2</v></c></row>')
    data = _raw_sheet(cells, **{"xl__sharedStrings.xml": f'<?xml version="1.0"?><sst xmlns="{MAIN}">{items}</sst>'})
    assert streamed(data, 0, {"a": 0}) is None


@pytest.mark.parametrize("around", [
    ("", '<c r="A3"><v>3</v></c>'),
    ("", '<sheetData><row r="3"><c r="A3"><v>3</v></c></row></sheetData>'),
    ('<sheetPr><row r="3"><c r="A3"><v>3</v></c></row></sheetPr>', ""),
    ("<!-- <sheetData><row r=\"3\"/></sheetData> -->", ""),
])
def test_only_the_cells_in_sheet_data_are_read_as_calamine_reads_only_those(around):
    cells = '<row r="1"><c r="A1" t="s"><v>0</v></c></row><row r="2"><c r="A2"><v>1</v></c></row>'
    data = _raw_sheet(cells, around)
    read = streamed(data, 0, {"a": 0})
    if read is not None:
        assert_same_as_fastexcel(data, 0, {"a": 0})


def test_a_preview_reads_on_past_rows_of_empty_styled_cells():
    """The preview's rows end where the sheet's do: a run of cells without values after the header is not
    the end of the sheet."""
    cells = ('<row r="1"><c r="A1" t="s"><v>0</v></c></row>'
             + "".join(f'<row r="{row}"><c r="A{row}" s="1"/></row>' for row in range(2, 200))
             + '<row r="200"><c r="B200"><v>9</v></c></row>')
    data = _raw_sheet(cells)
    original = sheet_stream._CHUNK
    sheet_stream._CHUNK = 64
    try:
        assert_same_as_fastexcel(data, 0, {"a": 0, "b": 1}, head=2)
    finally:
        sheet_stream._CHUNK = original


@pytest.mark.parametrize("value", [
    ' t="e"><v>#SPILL!</v></c>', ' t="e"><v>#CALC!</v></c>', ' t="n"><v>abc</v></c>', ' t=""><v>1</v></c>',
])
def test_a_cell_calamine_cannot_read_leaves_the_sheet_to_fastexcel_which_says_so(value):
    data = _raw_sheet(f'<row r="1"><c r="A1" t="s"><v>0</v></c></row><row r="2"><c r="A2"{value}</row>')
    assert streamed(data, 0, {"a": 0}) is None
    with pytest.raises(InputError, match="無法讀取 Excel 工作表"):
        extract.load_xlsx_columns(data, "公文", 0, {"a": 0}, "公文清單.xlsx")


@pytest.mark.parametrize("cells", [
    '<row r="1"><c r="A1" t="s"><v>0</v></c></row><row r="2"><c r="AAAA2"><v>1</v></c></row>',  # four letters
    '<row r="1"><c r="A1" t="s"><v>0</v></c></row><row r="2"><c r="XFE2"><v>1</v></c></row>',  # past Excel
    '<row r="1"><c r="A1" t="s"><v>0</v></c></row><row r="2"><c r="A1048577"><v>1</v></c></row>',  # past Excel
    '<row r="1"><c r="a1"><v>1</v></c></row>',  # a small letter
    '<row r="1"><c t="s"><v>0</v></c><c><v>1</v></c></row>',  # no positions
    '<row r="1"><c r="A1" t="s" s="0" s="1"><v>0</v></c></row>',  # an attribute three times
    '<row r="1"><c r="A1" cm="1"><v>0</v></c></row>',  # another attribute
    '<row r="1"><c  r="A1"><v>0</v></c></row>',  # two spaces
    '<row r="1"><c\nr="A1"><v>0</v></c></row>',  # a line break
    '<row r="2"><c r="A2"><v>2</v></c></row><row r="1"><c r="A1"><v>1</v></c></row>',  # rows out of order
    '<row r="1"><c r="B1"><v>2</v></c><c r="A1"><v>1</v></c></row>',  # columns out of order
    '<row r="1"><c r="A1"><v>2</v></c><c r="A1"><v>1</v></c></row>',  # one place twice
    '<row r="1"><x:c r="A1"><x:v>1</x:v></x:c></row>',  # a namespace prefix
    '<row r="1"><!-- <c r="A1"><v>1</v></c> --><c r="A1"><v>2</v></c></row>',  # a comment
    '<row r="1"><c r="A1" t="inlineStr"><is><t><![CDATA[x]]></t></is></c></row>',  # CDATA
    '<row r="1"><c r="A1" t="s"><v>0</v></c></row><row r="2"><c r="A2" t="s"><v>99</v></c></row>',  # past the table
    '<row r="1"><c r="A12345678"><v>1</v></c></row>',  # eight digits
])
def test_a_sheet_not_written_the_ordinary_way_is_left_to_fastexcel(cells):
    data = _raw_sheet(cells)
    assert streamed(data, 0, {"a": 0}) is None
    try:
        extract.load_xlsx_columns(data, "公文", 0, {"a": 0}, "公文清單.xlsx")  # fastexcel reads or refuses it
    except InputError:
        pass


@pytest.mark.parametrize(("far_cell", "refused"), [
    ("ZZ200000", True),  # 200,000 rows × 702 columns in a 1 KB file
    ("XFD1048576", True),  # Excel's last cell
    ("A9999999", True),  # a row beyond any worksheet: left to the exact check, which names it
    ("Z1000", False),
    ("AB40000", False),  # 40,000 × 28 = 1,120,000 cells: fine
])
def test_a_sheet_reaching_too_far_is_refused_before_anything_is_allocated(far_cell, refused):
    cells = f'<row r="1"><c r="A1" t="s"><v>0</v></c></row><row r="2"><c r="{far_cell}"><v>1</v></c></row>'
    data = _raw_sheet(cells)
    if refused:
        with pytest.raises(InputError, match="超過可讀取的上限|超出 Excel 的範圍"):
            extract.load_xlsx_columns(data, "公文", 0, {"a": 0}, "公文清單.xlsx")
    else:
        series, rows = extract.load_xlsx_columns(data, "公文", 0, {"a": 0}, "公文清單.xlsx")
        assert streamed(data, 0, {"a": 0}) is not None


def test_an_ordinary_sheet_reaching_too_far_is_refused_naming_its_extent():
    cells = '<row r="1"><c r="A1" t="s"><v>0</v></c></row><row r="999999"><c r="Z999999"><v>1</v></c></row>'
    data = _raw_sheet(cells)
    limit = safety.allowed_cells(len(data), safety.EXPORT_SHEET_CELLS)
    with pytest.raises(InputError, match=f"第 999,999 列、第 26 欄（約 25,999,974 格），超過可讀取的上限 {limit:,} 格"):
        extract.load_xlsx_columns(data, "公文", 0, {"a": 0}, "公文清單.xlsx")


def _document_log(rows: int) -> bytes:
    """A synthetic 公文清單 of `rows` rows under two title lines, in a sheet named 公文."""
    buffer = io.BytesIO()
    write_large_xlsx(buffer, chain(DOCUMENT_LOG_TITLES, [DOCUMENT_LOG_HEADER], document_log_rows(rows)), sheet="公文")
    return buffer.getvalue()


def test_a_large_document_log_takes_the_streaming_path_and_gives_fastexcels_columns():
    assert_same_as_fastexcel(_document_log(30_000), 2, {name: index for index, name in enumerate(DOCUMENT_LOG_HEADER)})


def test_a_large_export_reports_its_reading_as_it_goes():
    """The upload page's bar moves while a large sheet is read, not only before and after."""
    data = _document_log(40_000)
    original = sheet_stream._CHUNK
    sheet_stream._CHUNK = 256 * 1024
    reports: list[tuple[float, str]] = []
    try:
        read_export(data, "公文清單.xlsx", PLAN_112,
                    progress=lambda fraction, message: reports.append((fraction, message)))
    finally:
        sheet_stream._CHUNK = original
    while_reading = [fraction for fraction, message in reports if message == "讀取「公文清單（公文管理系統匯出）」的資料列"]
    assert len(while_reading) > 10 and while_reading == sorted(while_reading)
    assert 0.1 <= while_reading[0] and while_reading[-1] == pytest.approx(0.6)
    assert [fraction for fraction, _ in reports] == sorted(fraction for fraction, _ in reports)


def test_a_damaged_sheet_part_is_refused_in_a_sentence_whichever_thread_inflates_it():
    data = bytearray(_raw_sheet('<row r="1"><c r="A1" t="s"><v>0</v></c></row>' * 2000))
    archive = zipfile.ZipFile(io.BytesIO(bytes(data)))
    info = archive.getinfo("xl/worksheets/sheet1.xml")
    start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)
    data[start + 20:start + 60] = bytes(40)  # the deflated stream, broken
    with pytest.raises(InputError, match="檔案可能已損毀"):
        streamed(bytes(data), 0, {"a": 0})


@pytest.mark.parametrize(("cells", "parts"), [
    (TWO_ROWS + '<x y="<c r="A3"><v>9</v></c>"/>', {}),  # the fake cell's quotes pair with the value's
    (TWO_ROWS + '<row r="3" x="<c r="A3"><v>9</v></c>"></row>', {}),
    (TWO_ROWS + '<x y="z>"z"></sheetData>"/><row r="3"><c r="A3"><v>9</v></c></row>', {}),
    (TWO_ROWS + '<"></sheetData>"/><row r="3"><c r="A3"><v>9</v></c></row>', {}),
    (TWO_ROWS + '<row r="3"><c r="B3"><f x="<v>1</v></c>"/></c></row>', {}),
    ('<row r="1"><c r="A1" t="s"><v>0</v></c></row><row r="2"><c r="A2" t="s"><v>1</v></c></row>',
     {"xl__sharedStrings.xml": f'<?xml version="1.0"?><sst xmlns="{MAIN}"><si><t>H</t></si>'
                               '<x y="a>"b"><si><t>Z</t></si>"/><si><t>B</t></si></sst>'}),
])
def test_markup_hidden_in_double_quoted_values_never_gives_other_cells_than_fastexcel(cells, parts):
    data = _raw_sheet(cells, **parts)
    for chunk in (sheet_stream._CHUNK, 7, 150):
        original = sheet_stream._CHUNK
        sheet_stream._CHUNK = chunk
        try:
            read = streamed(data, 0, {"a": 0})
        finally:
            sheet_stream._CHUNK = original
        assert read is None


def test_quotes_in_text_do_not_stop_the_streaming_path():
    """A text holding a lone " (12" 螢幕) sends its window to the exact check, which passes it."""
    rows = {1: {0: ' t="s"><v>0</v></c>'}, 2: {0: ' t="inlineStr"><is><t>12" 螢幕</t></is></c>'},
            3: {0: ' t="inlineStr"><is><t>it\'s "quoted"</t></is></c>'}}
    assert_same_as_fastexcel(workbook(rows), 0, {"a": 0})


@pytest.mark.parametrize(("cells", "around", "parts"), [
    ('<row r="1"><c r="A1" t="s"><v>0</v></c></row><row r="2"><c r="A2"><v>1</v></c></row>'
     """<row r="3" x='<c r="A3"><v>9</v></c>'/>""", ("", ""), {}),  # a cell inside a value quoted with '
    ('<row r="1"><c r="A1" t="s"><v>0</v></c></row><row r="2" spans="</sheetData>"><c r="A2"><v>1</v></c></row>',
     ("", ""), {}),
    ('<row r="1"><c r="A1" t="s"><v>0</v></c></row><row r="2"><c r="A2"><v>1</v></c></row>',
     ("""<sheetPr codeName='<sheetData><row r="3"><c r="A3"><v>9</v></c></row></sheetData>'/>""", ""), {}),
    ('<row r="1"><c r="A1" t="s"><v>0</v></c></row><row r="2"><c r="A2"><v>1</v></c></row>',
     ('<?xml x<sheetData><row r="3"><c r="A3"><v>9</v></c></row></sheetData>?>', ""), {}),
    ('<row r="1"><c r="A1" t="s"><v>0</v></c></row><row r="2"><c r="A2" t="s"><v>1</v></c></row>', ("", ""),
     {"xl__sharedStrings.xml": f"""<?xml version="1.0"?><sst xmlns="{MAIN}" x='<si><t>Z</t></si>'>"""
                               "<si><t>H</t></si><si><t>B</t></si></sst>"}),
    ('<row r="1"><c r="A1" t="s"><v>0</v></c></row><row r="2"><c r="A2" t="s"><v>1</v></c></row>', ("", ""),
     {"xl__sharedStrings.xml": f'<?xml version="1.0"?><sst xmlns="{MAIN}" xmlns:x="{MAIN}">'
                               "<x:si><t>H</t></x:si><si><t>B</t></si><si><t>C</t></si></sst>"}),
    ('<row r="1"><c r="A1" t="s"><v>0</v></c></row><row r="2"><c r="A2" t="s"><v>1</v></c></row>', ("", ""),
     {"xl__sharedStrings.xml": f'<?xml version="1.0"?><sst xmlns="{MAIN}"><si><t>H</t></si>'
                               '<si><t x="</si>">B</t></si><si><t>C</t></si></sst>'}),
])
def test_markup_hidden_in_values_or_declarations_never_gives_other_cells_than_fastexcel(cells, around, parts):
    data = _raw_sheet(cells, around, **parts)
    read = streamed(data, 0, {"a": 0})
    if read is not None:
        assert_same_as_fastexcel(data, 0, {"a": 0})


def test_styles_stored_under_a_backslash_name_are_found_as_calamine_finds_them():
    data = _raw_sheet(HEADER_AND_DATE, **{"xl__styles.xml": None, "xl\\styles.xml": STYLES})
    read = streamed(data, 0, {"a": 0, "b": 1})
    if read is not None:
        assert_same_as_fastexcel(data, 0, {"a": 0, "b": 1})


def test_many_long_trailing_cells_without_values_are_not_kept_but_left_to_fastexcel():
    """3,000 identical 100 KB formulas without results after the last value: each kept would cost 300 MB."""
    formula = "1+" * 50_000
    cells = ('<row r="1"><c r="A1" t="s"><v>0</v></c></row><row r="2"><c r="A2"><v>1</v></c></row>'
             + "".join(f'<row r="{row}"><c r="B{row}"><f>{formula}</f></c></row>' for row in range(3, 300)))
    assert streamed(_raw_sheet(cells), 0, {"a": 0}) is None


@given(st.lists(st.binary(min_size=1, max_size=40).filter(lambda key: not key.endswith(b"\0")), min_size=1,
                max_size=30), st.lists(st.integers(0, 29), min_size=64, max_size=400))
@settings(max_examples=60, deadline=None)
def test_distinct_keys_are_grouped_exactly(pool, picks):
    """The hashed grouping of fixed-width keys gives what sorting gives: each key maps back to itself."""
    keys = np.array([pool[pick % len(pool)] for pick in picks])
    uniques, inverse = sheet_stream._distinct(keys)
    assert uniques[inverse].tolist() == keys.tolist()
    assert sorted(uniques.tolist()) == sorted(set(keys.tolist()))
