"""Reading a system export end to end: check, locate, load only the used columns, aggregate."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from metrics.errors import InputError, Problem
from metrics.intake.exports.common import (
    DEFAULT_MAX_BYTES,
    PREVIEW_ROWS,
    Aggregate,
    CodedColumn,
    ColumnsNeeded,
    ExportContext,
    ExportOptions,
    ExportRefused,
    ExportResult,
    ExportTable,
    Progress,
    build_frame,
    column_letter,
    left_out_rows,
    preview_frame,
)
from metrics.intake.exports.detect import Located, locate, located_mapping_needed
from metrics.intake.extract import (
    CsvLayout,
    SheetSample,
    csv_layout_of,
    csv_sample,
    load_csv_columns,
    load_xlsx_columns,
    samples_of,
)
from metrics.intake.upload import Upload
from metrics.plans.plan import Plan
from metrics.intake.safety import check_upload


def _ignore(fraction: float, message: str) -> None:
    return None


@dataclass
class _Opened:
    kind: str  # xlsx | csv
    upload: Upload
    samples: list[SheetSample]
    layout: CsvLayout | None = None
    data: bytes = b""  # CSV: the bytes to parse (UTF-16 re-encoded as UTF-8)
    offsets: list[int] | None = None  # CSV: byte offset after each sampled record
    widths: list[int] | None = None  # CSV: field count of each sampled record
    encoding: str = ""


def _open(upload: Upload, max_bytes: int) -> _Opened:
    """The export checked and its first rows sampled, as kept on the upload for every later step."""
    kind = check_upload(upload, max_bytes=max_bytes)
    if kind == "xlsx":
        try:
            samples = samples_of(upload)
        except InputError:
            raise
        except Exception as error:  # a damaged archive or XML: one sentence for the user
            raise InputError(Problem(f"無法開啟 Excel 檔（{type(error).__name__}），"
                                     "請用 Excel 開啟確認後另存為 .xlsx 再上傳", upload.name)) from error
        return _Opened(kind, upload, samples)
    data, layout = csv_layout_of(upload)
    sample, offsets, widths = upload.once("csv_sample", lambda: csv_sample(data, layout))
    return _Opened(kind, upload, [sample], layout, data, offsets, widths, layout.label)


def _load(opened: _Opened, located: Located, filename: str, options: ExportOptions,
          head: int | None = None, progress: Callable[[float], None] | None = None) -> ExportTable:
    columns = {name: index for name, index in located.resolution.columns.items()
               if located.spec.column(name).needed(options)}
    if opened.kind == "xlsx":
        series, rows = load_xlsx_columns(opened.upload, located.sheet, located.header_row, columns, head=head,
                                         progress=progress)
    else:
        offset = opened.offsets[located.header_row]
        width = max([*opened.widths[located.header_row:], max(columns.values()) + 1])
        series, rows = load_csv_columns(opened.data, opened.layout, offset, located.header_row, width, columns,
                                        filename, head)
    coded = {name: CodedColumn.from_series(located.spec.column(name), column_letter(index), located.headers[index],
                                           series.pop(name))
             for name, index in columns.items()}
    return ExportTable(filename, located.sheet, located.header_row + 1, coded, rows, opened.encoding)


def _drop_blank_rows(table: ExportTable) -> tuple[ExportTable, np.ndarray]:
    """Blank rows anywhere and notes below the data (a footer such as 共 1,204 筆) are not data; returns the
    table without them and their sheet rows."""
    if len(table) == 0:
        return table, table.rows[:0]
    filled = np.zeros(len(table), dtype=np.int64)
    for column in table.columns.values():
        filled += ~column.blank
    last_full = np.flatnonzero(filled >= 2)
    keep = filled > 0
    if last_full.size:
        keep[last_full[-1] + 1:] = False
    else:
        keep[:] = False
    dropped = table.rows[~keep]
    return (table.take(keep), dropped) if dropped.size else (table, dropped)


def read_export(data: bytes | Upload, filename: str, plan: Plan, *, source: str | None = None,
                mapping: Mapping[str, str | None] | None = None, options: ExportOptions | None = None,
                month: int | None = None, progress: Progress | None = None,
                max_bytes: int = DEFAULT_MAX_BYTES, preview_rows: int = PREVIEW_ROWS,
                located: Located | None = None) -> ExportResult:
    """Turn one uploaded system export into the tidy frame of monthly figures.

    source: 'document_log' | 'roster' | 'ledger' | 'case_log', detected from the headers when None.
    mapping: {logical column: header} confirmed by the user; a None header says the file has no such
        column. Columns not named are matched automatically.
    month: 資料截至月份 — the month of a ledger's cumulative figures or of a roster's snapshot (else
        read from the title), and the last month a log speaks for.
    plan: the plan of the unit and year the export speaks for (an export names neither): its rows must
        fall in the plan's year, and its figures are the plan's unit's.
    located: where the first look found the header and columns for this source and mapping, when it was
        taken already (metrics.intake.readers.first_look); else the first rows are looked at here.
    Raises MappingNeeded when the source or its columns are uncertain, InputError for bad content
    (ExportRefused, carrying the mapping question, once the header row is known).
    """
    options = options or ExportOptions()
    report = progress or _ignore
    if month is not None and not 1 <= month <= 12:
        raise InputError(Problem(f"資料月份「{month}」須為 1 至 12", filename))
    report(0.0, "檢查檔案")
    opened = _open(Upload.of(data, filename), max_bytes)
    report(0.05, "尋找標題列與欄位")
    located = located or locate(opened.samples, filename, source, mapping)
    try:
        return _aggregate(opened, located, filename, plan, options, month, report, preview_rows)
    except ColumnsNeeded as needed:
        raise located_mapping_needed(located, filename, needed.reason, needed.guesses) from None
    except InputError as error:
        raise ExportRefused(error.problems, located_mapping_needed(located, filename, "", {})) from None


def _aggregate(opened: _Opened, located: Located, filename: str, plan: Plan, options: ExportOptions,
               month: int | None, report: Progress, preview_rows: int) -> ExportResult:
    reading_rows = f"讀取「{located.spec.label}」的資料列"
    report(0.1, reading_rows)
    table = _load(opened, located, filename, options, progress=lambda share: report(0.1 + 0.5 * share, reading_rows))
    rows_read = len(table)
    report(0.6, "整理資料")
    table, blank_rows = _drop_blank_rows(table)
    if len(table) == 0:
        raise InputError(Problem("標題列之下沒有資料列，請確認匯出的期間與內容", filename, located.sheet,
                                 f"第 {located.header_row + 1} 列"))
    context = ExportContext(plan, options, month, filename, located.sheet, located.title_lines,
                      {name: located.headers[index] for name, index in located.resolution.columns.items()})
    report(0.7, "計算每月數字")
    aggregate = located.spec.aggregate(table, context)
    frame = build_frame(aggregate.values, plan, plan.unit, filename, located.sheet)
    notes = [f"讀取 {rows_read:,} 列資料，計入 {aggregate.rows_used:,} 列。"]
    if blank_rows.size:
        notes.append(f"略過 {blank_rows.size:,} 列空白列或表尾說明列。")
    notes.extend(aggregate.notes)
    report(1.0, "完成")
    return ExportResult(
        source=located.spec.name,
        frame=frame,
        rows_read=rows_read,
        rows_used=aggregate.rows_used,
        mapping={name: located.headers[index] for name, index in located.resolution.columns.items()},
        signature=located.signature,
        options=options,
        applied=tuple(aggregate.applied),
        notes=tuple(notes),
        months=tuple(sorted({value.month for value in aggregate.values})),
        sheet=located.sheet,
        encoding=opened.encoding,
        preview=preview_frame(table, preview_rows),
        left_out=left_out_rows(table.rows, _used(aggregate, len(table)), aggregate.reasons,
                               located.spec.unused_reason, blank_rows),
    )


def _used(aggregate: Aggregate, size: int) -> np.ndarray:
    if aggregate.used is not None:
        return aggregate.used
    return np.ones(size, dtype=bool)


def preview(data: bytes | Upload, filename: str, *, source: str | None = None,
            mapping: Mapping[str, str | None] | None = None, options: ExportOptions | None = None,
            rows: int = PREVIEW_ROWS, max_bytes: int = DEFAULT_MAX_BYTES) -> pd.DataFrame:
    """The first rows of the columns that would be used, personal columns masked (王○明, A12****789).

    Raises MappingNeeded like read_export when the columns are uncertain.
    """
    opened = _open(Upload.of(data, filename), max_bytes)
    located = locate(opened.samples, filename, source, mapping)
    table = _load(opened, located, filename, options or ExportOptions(), head=rows)
    table, _ = _drop_blank_rows(table)
    return preview_frame(table, rows)
