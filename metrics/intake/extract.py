"""Getting rows out of an uploaded export fast: the first rows to find the header, then only the
used columns of every row.

xlsx: the first rows come from reading the start of the sheet's XML directly (milliseconds,
exact sheet positions), then the used columns are read as text: streamed from the sheet's XML
(metrics.intake.sheet_stream) when it is written the ordinary way, else by fastexcel, which loads
the whole sheet once its true extent is known. CSV: the encoding is settled on the bytes (BOM,
strict UTF-8, else CP950), the header is found in a decoded sample, and pyarrow reads the rest,
transcoding as it streams; rows that do not fit the header's width send the read to pandas' C
parser, which pads them.
"""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from metrics.errors import InputError, Problem
from metrics.intake import safety, sheet_xml
from metrics.intake.sheet_xml import (EXCEL_SINGLE_LETTER_CELLS, PREFIXED_CELL, UNUSUAL_CELL, cell_position,
                                      complete_tags, local, member_chunks, ordinary_extent, resolve_target)
from metrics.intake.upload import Upload
from metrics.intake.parsing import decode_text

SAMPLE_ROWS = 40
_CSV_SAMPLE_BYTES = 256 * 1024


@dataclass
class SheetSample:
    """The first rows of one sheet, by 0-based sheet row and column, as text."""

    name: str  # "" for a CSV
    rows: list[tuple[int, dict[int, str]]]


# ---------------------------------------------------------------------------------------------
# xlsx


def sampler_of(upload: Upload) -> XlsxSampler:
    """The workbook's sheet list and first rows, opened once per upload."""
    return upload.once(XlsxSampler, lambda: XlsxSampler(upload))


def samples_of(upload: Upload) -> list[SheetSample]:
    """The first rows of every visible sheet, sampled once per upload."""
    return upload.once("samples", lambda: sampler_of(upload).samples())


class XlsxSampler:
    """Reads the workbook's sheet list and the first rows of a sheet without loading the sheet."""

    def __init__(self, upload: Upload | bytes, filename: str = ""):
        import defusedxml.ElementTree as safe_xml

        upload = Upload.of(upload, filename)
        self.filename = upload.name
        self.size = len(upload)
        self._xml = safe_xml
        self.archive = upload.archive
        filename = upload.name
        names = set(self.archive.namelist())
        workbook_path = "xl/workbook.xml"
        relationships = {identifier: (kind, resolve_target(target)) for identifier, (kind, target)
                         in sheet_xml.relationships(self.archive, "xl/_rels/workbook.xml.rels").items()}
        self.shared_strings_path = next(
            (target for kind, target in relationships.values() if kind.endswith("/sharedStrings")), None)
        if self.shared_strings_path is None and "xl/sharedStrings.xml" in names:
            self.shared_strings_path = "xl/sharedStrings.xml"
        self.sheets: list[tuple[str, str, bool]] = []  # name, path, visible
        self.date1904 = False
        if workbook_path in names:
            root = safe_xml.fromstring(self.archive.read(workbook_path))
            for element in root.iter():
                if local(element.tag) == "workbookPr":  # calamine takes the last
                    self.date1904 = element.attrib.get("date1904") in ("1", "true")
                if local(element.tag) != "sheet":
                    continue
                relation = next((value for key, value in element.attrib.items() if local(key) == "id"), "")
                path = relationships.get(relation, ("", ""))[1]
                visible = element.attrib.get("state", "visible") == "visible"
                self.sheets.append((element.attrib.get("name", ""), path, visible))
        safety.check_sheet_count(len(self.sheets), filename)
        self._shared: list[str] = []
        self._shared_iterator = None

    def _shared_string(self, index: int) -> str:
        if self.shared_strings_path is None:
            return ""
        if self._shared_iterator is None:
            self._shared_iterator = self._xml.iterparse(self.archive.open(self.shared_strings_path), events=("end",))
        while len(self._shared) <= index:
            try:
                _, element = next(self._shared_iterator)
            except StopIteration:
                return ""
            if local(element.tag) != "si":
                continue
            parts: list[str] = []
            for child in element:
                tag = local(child.tag)
                if tag == "t":
                    parts.append(child.text or "")
                elif tag == "r":
                    parts.extend(run.text or "" for run in child if local(run.tag) == "t")
            self._shared.append("".join(parts))
            element.clear()
        return self._shared[index]

    def sample(self, path: str, name: str, limit: int = SAMPLE_ROWS) -> SheetSample:
        rows: list[tuple[int, dict[int, str]]] = []
        pending_shared: list[tuple[dict[int, str], int, int]] = []
        if path not in self.archive.namelist():
            return SheetSample(name, rows)
        row_number = -1
        with self.archive.open(path) as stream:
            for _, element in self._xml.iterparse(stream, events=("end",)):
                tag = local(element.tag)
                if tag == "dimension":
                    self._check_extent(element.attrib.get("ref", ""), name)
                if tag != "row":
                    continue
                reference = element.attrib.get("r")
                row_number = int(reference) - 1 if reference else row_number + 1
                cells: dict[int, str] = {}
                column_number = -1
                for cell in element:
                    if local(cell.tag) != "c":
                        continue
                    cell_reference = cell.attrib.get("r")
                    column_number = cell_position(cell_reference)[1] if cell_reference else column_number + 1
                    kind = cell.attrib.get("t", "n")
                    text = ""
                    for child in cell:
                        tag = local(child.tag)
                        if tag == "v":
                            text = child.text or ""
                        elif tag == "is":
                            text = "".join(node.text or "" for node in child.iter() if local(node.tag) == "t")
                    if kind == "s" and text.strip().isdigit():
                        pending_shared.append((cells, column_number, int(text)))
                        text = ""
                    if text != "" or kind == "s":
                        cells[column_number] = text
                element.clear()
                if cells:
                    rows.append((row_number, cells))
                if len(rows) >= limit:
                    break
        for cells, column_number, index in pending_shared:
            cells[column_number] = self._shared_string(index)
        return SheetSample(name, rows)

    def _check_extent(self, reference: str, name: str) -> None:
        """Excel states each sheet's used range; one reaching absurdly far would exhaust memory."""
        corners = [part for part in reference.split(":") if part]
        if len(corners) != 2:
            return
        try:
            (top, left), (bottom, right) = (cell_position(corner) for corner in corners)
        except ValueError:
            return
        cells = (bottom - top + 1) * (right - left + 1)
        limit = safety.allowed_cells(self.size, safety.EXPORT_SHEET_CELLS)
        if cells > limit:
            raise InputError(Problem(f"工作表的使用範圍 {reference} 約 {cells:,} 格，"
                                     f"超過可讀取的上限 {limit:,} 格；"
                                     "請刪除不需要的欄或表格外遠處的儲存格後重新存檔", self.filename, name))

    def samples(self) -> list[SheetSample]:
        visible = [(name, path) for name, path, shown in self.sheets if shown]
        return [self.sample(path, name) for name, path in visible]


def check_true_extent(upload: Upload | bytes, sheet: str, filename: str = "") -> None:
    """Refuse a sheet whose cells really reach absurdly far, whatever its <dimension> claims.

    fastexcel allocates the whole grid from the first to the farthest cell before it selects columns,
    so one cell at XFD1048576 in a tiny file, or one row of 16,000 cells written without r="…", would
    exhaust memory. A first pass looks only for cells not written the ordinary way (UNUSUAL_CELL), so an
    ordinary export costs little more than its decompression; only an unusual sheet gets the exact count.
    """
    upload = Upload.of(upload, filename)
    data, filename = upload.data, upload.name
    sampler = sampler_of(upload)
    path = next((sheet_path for name, sheet_path, _ in sampler.sheets if name == sheet), None)
    if path is None or path not in sampler.archive.namelist():
        return

    limit = safety.allowed_cells(len(data), safety.EXPORT_SHEET_CELLS)
    count_ordinary = limit < EXCEL_SINGLE_LETTER_CELLS  # a small file: even A–Z × 999,999 could pass its limit
    unusual = False
    rows = columns = 0
    tail = b""
    for chunk in member_chunks(data, sampler.archive, path, filename):
        window = tail + chunk
        end = complete_tags(window, filename, sheet)  # a tag cut by the chunk boundary is seen whole next time
        if UNUSUAL_CELL.search(window, 0, end) or PREFIXED_CELL.search(window, 0, end):
            unusual = True
            break
        if count_ordinary:
            rows, columns = ordinary_extent(window, end, rows, columns)
        tail = window[end:]
    if unusual:
        rows, columns = safety.exact_extent(sampler.archive, sheet, path, filename)
    elif not count_ordinary:
        return  # at most column Z and fewer than 1,000,000 rows: under the limit
    cells = rows * columns
    if cells > limit:
        raise InputError(Problem(f"工作表的儲存格實際延伸到第 {rows:,} 列、第 {columns:,} 欄（約 {cells:,} 格），"
                                 f"超過可讀取的上限 {limit:,} 格；"
                                 "請刪除表格以外遠處的儲存格內容或格式後重新存檔", filename, sheet))


def load_xlsx_columns(upload: Upload | bytes, sheet: str, header_row: int, columns: dict[str, int], filename: str = "",
                      head: int | None = None,
                      progress: Callable[[float], None] | None = None) -> tuple[dict[str, pd.Series], np.ndarray]:
    """The given absolute columns of every row below the header (or the first `head`), as text,
    and their sheet rows; progress(share of the sheet read) while the sheet is streamed."""
    from metrics.intake import sheet_stream

    upload = Upload.of(upload, filename)
    data, filename = upload.data, upload.name
    sampler = sampler_of(upload)
    safety.check_shared_strings(sampler.archive, len(data), filename)
    path = next((sheet_path for name, sheet_path, _ in sampler.sheets if name == sheet), None)
    if path is None or path not in sampler.archive.namelist() or not _linked(upload):
        safety.refuse_external_formulas(upload, sheet)
        gathered = None
    else:  # the streamer's pass gathers what the check needs; the check is still made before its refusals
        gathered = sheet_xml.GatheredScan(data, sampler.archive, path)
    if path is not None:
        parts = sheet_stream.WorkbookParts(path, sampler.date1904)
        try:
            read = sheet_stream.read_columns(data, sampler.archive, parts, sheet, header_row, columns, filename,
                                             safety.allowed_cells(len(data), safety.EXPORT_SHEET_CELLS), head,
                                             progress, gathered)
        except Exception:
            if gathered is not None:
                safety.refuse_external_formulas(upload, sheet, gathered)
            raise
        if gathered is not None:
            safety.refuse_external_formulas(upload, sheet, gathered)
        if read is not None:
            return read
    return _load_with_fastexcel(upload, sheet, header_row, columns, head=head)


def _linked(upload: Upload) -> bool:
    """Whether the workbook links to others: only then are the sheet's formulas checked (False when the links
    cannot be read, for refuse_external_formulas to refuse the workbook)."""
    try:
        return bool(safety.external_links(upload))
    except Exception:
        return False


def _load_with_fastexcel(upload: Upload | bytes, sheet: str, header_row: int, columns: dict[str, int],
                         filename: str = "", head: int | None = None) -> tuple[dict[str, pd.Series], np.ndarray]:
    """A sheet not written the ordinary way: fastexcel loads it whole, once its true extent is known."""
    import fastexcel

    wanted = set(columns.values())
    upload = Upload.of(upload, filename)
    filename = upload.name
    try:
        reader = fastexcel.read_excel(upload.data)
    except Exception as error:  # fastexcel raises its own hierarchy; the user needs one sentence
        check_true_extent(upload, sheet)  # a refusal of the sheet's extent says more than fastexcel's error
        raise InputError(Problem(f"無法讀取 Excel 工作表（{type(error).__name__}），"
                                 "請用 Excel 開啟確認後另存為 .xlsx 再上傳", filename, sheet)) from error
    check_true_extent(upload, sheet)
    try:
        loaded = reader.load_sheet(sheet, header_row=header_row, dtypes="string", n_rows=head,
                                   use_columns=lambda column: column.absolute_index in wanted)
        frame = loaded.to_pandas()
        by_position = {info.absolute_index: position for position, info in enumerate(loaded.selected_columns)}
    except Exception as error:  # fastexcel raises its own hierarchy; the user needs one sentence
        raise InputError(Problem(f"無法讀取 Excel 工作表（{type(error).__name__}），"
                                 "請用 Excel 開啟確認後另存為 .xlsx 再上傳", filename, sheet)) from error
    series: dict[str, pd.Series] = {}
    for name, index in columns.items():
        position = by_position.get(index)
        if position is None:
            series[name] = pd.Series([None] * len(frame), dtype="str")
        else:
            series[name] = frame.iloc[:, position]
    rows = np.arange(len(frame), dtype=np.int64) + header_row + 2
    return series, rows


# ---------------------------------------------------------------------------------------------
# CSV


@dataclass
class CsvLayout:
    text_encoding: str  # a Python codec name
    label: str  # the encoding as users know it
    start: int  # byte offset of the text (after a BOM)
    delimiter: str


def _valid_utf8(data: bytes) -> bool:
    decoder = codecs.getincrementaldecoder("utf-8")("strict")
    view = memoryview(data)
    step = 4 * 1024 * 1024
    try:
        for offset in range(0, len(data), step):
            decoder.decode(view[offset:offset + step], final=False)
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


def csv_layout(data: bytes, filename: str) -> tuple[bytes, CsvLayout]:
    """The bytes to parse (UTF-16 is re-encoded as UTF-8) and how to parse them, after the whole file's
    lines were checked."""
    data, layout = _layout(data, _valid_utf8)
    safety.check_csv_lines(data, filename, layout.delimiter)
    return data, layout


def csv_layout_of(upload: Upload) -> tuple[bytes, CsvLayout]:
    """csv_layout, worked out once per upload."""
    return upload.once("csv_layout", lambda: csv_layout(upload.data, upload.name))


def csv_first_look(upload: Upload) -> SheetSample:
    """The first records as csv_sample_layout sees them (no pass over the whole file), once per upload."""
    def look() -> SheetSample:
        data, layout = csv_sample_layout(upload.data)
        return csv_sample(data, layout)[0]
    return upload.once("csv_first_look", look)


def csv_sample_layout(data: bytes) -> tuple[bytes, CsvLayout]:
    """How to read the first records for csv_sample only, judged from the first bytes: recognising a
    file must not cost a pass over all of it (the read that follows makes that pass)."""
    def head_is_utf8(data: bytes) -> bool:
        try:
            codecs.getincrementaldecoder("utf-8")("strict").decode(data[:_CSV_SAMPLE_BYTES], final=False)
        except UnicodeDecodeError:
            return False
        return True
    if data.startswith(codecs.BOM_UTF16_LE) or data.startswith(codecs.BOM_UTF16_BE):
        return _layout(data, head_is_utf8)  # rare; a cut sample could split a character's bytes
    return _layout(data[:_CSV_SAMPLE_BYTES + len(codecs.BOM_UTF8)], head_is_utf8)


def _layout(data: bytes, is_utf8: Callable[[bytes], bool]) -> tuple[bytes, CsvLayout]:
    if data.startswith(codecs.BOM_UTF16_LE) or data.startswith(codecs.BOM_UTF16_BE):
        text, _ = decode_text(data)
        data = text.encode("utf-8")
        encoding, label, start = "utf-8", "UTF-16", 0
    elif data.startswith(codecs.BOM_UTF8):
        encoding, label, start = "utf-8", "UTF-8 (BOM)", len(codecs.BOM_UTF8)
    elif is_utf8(data):
        encoding, label, start = "utf-8", "UTF-8", 0
    else:
        encoding, label, start = "cp950", "CP950 (Big5)", 0
    head = codecs.getincrementaldecoder(encoding)("replace").decode(data[start:start + 8192], final=False)
    first_lines = head.splitlines()[:SAMPLE_ROWS]
    tabs = sum(line.count("\t") for line in first_lines)
    commas = sum(line.count(",") for line in first_lines)
    delimiter = "\t" if tabs > commas else ","
    return data, CsvLayout(encoding, label, start, delimiter)


def csv_sample(data: bytes, layout: CsvLayout) -> tuple[SheetSample, list[int], list[int]]:
    """The first records, the byte offset where each following record starts, and their widths."""
    chunk = data[layout.start:layout.start + _CSV_SAMPLE_BYTES]
    decoder = codecs.getincrementaldecoder(layout.text_encoding)("replace")
    text = decoder.decode(chunk, final=len(chunk) < _CSV_SAMPLE_BYTES)
    lines = list(io.StringIO(text, newline=""))  # split where CSV splits: \r\n, \n, \r (not \x85, \u2028…)
    if len(chunk) == _CSV_SAMPLE_BYTES and lines:
        lines = lines[:-1]  # possibly cut
    reader = csv.reader(iter(lines), delimiter=layout.delimiter)
    rows: list[tuple[int, dict[int, str]]] = []
    offsets: list[int] = []
    widths: list[int] = []
    consumed_lines = 0
    consumed_bytes = layout.start
    record = 0
    while record < SAMPLE_ROWS:
        try:
            values = next(reader)
        except (StopIteration, csv.Error):  # the end, or a record cut at the end of the sample
            break
        consumed = "".join(lines[consumed_lines:reader.line_num])
        consumed_bytes += len(consumed.encode(layout.text_encoding, "replace"))
        consumed_lines = reader.line_num
        offsets.append(consumed_bytes)
        widths.append(len(values))
        cells = {index: value for index, value in enumerate(values) if value != ""}
        if cells:
            rows.append((record, cells))
        record += 1
    return SheetSample("", rows), offsets, widths


def load_csv_columns(data: bytes, layout: CsvLayout, offset: int, header_row: int, width: int,
                     columns: dict[str, int], filename: str,
                     head: int | None = None) -> tuple[dict[str, pd.Series], np.ndarray]:
    """The given columns of every record after the header (or the first `head`), as text, and
    their record numbers."""
    wanted = sorted(set(columns.values()))
    names = [f"c{index}" for index in range(width)]
    frame = None if head is not None else _read_with_pyarrow(data, layout, offset, names, wanted, filename)
    if frame is None:
        frame = _read_with_pandas(data, layout, offset, header_row, width, wanted, filename, head)
    series = {name: frame[f"c{index}"] for name, index in columns.items()}
    rows = np.arange(len(frame), dtype=np.int64) + header_row + 2
    return series, rows


def _encoding_problem(data: bytes, filename: str) -> InputError:
    try:
        decode_text(data)
    except ValueError as error:
        return InputError(Problem(str(error), filename))
    return InputError(Problem("檔案內容無法解讀，請在 Excel 以「CSV UTF-8（逗號分隔）」另存後再上傳", filename))


def _read_with_pyarrow(data: bytes, layout: CsvLayout, offset: int, names: list[str], wanted: list[int],
                       filename: str) -> pd.DataFrame | None:
    import pyarrow as pa
    import pyarrow.csv as pa_csv

    irregular: list[int] = []

    def on_irregular_row(row: object) -> str:
        irregular.append(1)
        return "skip"

    encoding = "utf8" if layout.text_encoding == "utf-8" else layout.text_encoding
    selected = [names[index] for index in wanted]
    try:
        table = pa_csv.read_csv(
            pa.BufferReader(pa.py_buffer(data)[offset:]),
            read_options=pa_csv.ReadOptions(encoding=encoding, column_names=names),
            parse_options=pa_csv.ParseOptions(delimiter=layout.delimiter, newlines_in_values=True,
                                              ignore_empty_lines=False, invalid_row_handler=on_irregular_row),
            convert_options=pa_csv.ConvertOptions(include_columns=selected,
                                                  column_types={name: pa.string() for name in selected}),
        )
    except UnicodeDecodeError as error:
        raise _encoding_problem(data, filename) from error
    except pa.ArrowInvalid as error:
        if "decode" in str(error).lower() or "utf" in str(error).lower():
            raise _encoding_problem(data, filename) from error
        return None
    if irregular:
        return None
    return table.to_pandas(types_mapper=lambda kind: pd.StringDtype("pyarrow") if kind == pa.string() else None)


def _read_with_pandas(data: bytes, layout: CsvLayout, offset: int, header_row: int, width: int,
                      wanted: list[int], filename: str, head: int | None = None) -> pd.DataFrame:
    try:
        frame = pd.read_csv(io.BytesIO(memoryview(data)[offset:]), encoding=layout.text_encoding,
                            sep=layout.delimiter, header=None, names=list(range(width)), usecols=wanted,
                            dtype=str, skip_blank_lines=False, na_filter=False, engine="c", nrows=head)
    except UnicodeDecodeError as error:
        raise _encoding_problem(data, filename) from error
    except pd.errors.ParserError as error:
        message = str(error)
        line = ""
        if " line " in message:
            line = message.split(" line ", 1)[1].split(",", 1)[0].strip()
        row = f"第 {int(line) + header_row + 1:,} 列" if line.isdigit() else "某一列"
        raise InputError(Problem(f"{row}的欄位數多於標題列（{width} 欄），可能是內容含未加引號的逗號；"
                                 "請在 Excel 開啟後另存為 CSV 再上傳", filename)) from error
    frame.columns = [f"c{index}" for index in frame.columns]
    return frame
