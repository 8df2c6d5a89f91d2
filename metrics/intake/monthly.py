"""Reading an uploaded monthly report, .xlsx or .csv, long or wide (data contract §4), into the tidy frame.

Rows are read first, their unit (through the catalogue's names and aliases) and year resolved; then the
figures are grouped by (year, unit) and each group is validated against its own plan. A group without
a plan is refused, naming the plans that exist: no figure is ever checked against another unit's or
another year's plan.

Long: one figure per row, columns 年度, 月份, 單位, 項目代碼 (or 項目名稱), 數值 — or year, month, unit,
field, value. Wide: the template the app hands out, a sheet 月報 with a header row holding 項目代碼 and/or
項目名稱 and one column per month. In both the header may sit anywhere in the first 30 rows; above it,
cells such as "單位：政風處" and "年度：112" supply the unit and year the table leaves out; what the file
does not say at all comes from the caller (the period chosen on the page, or --year/--unit).

Every problem found is collected and raised together as one InputError; nothing is returned half-read.

This module reads a whole file: its sheets or CSV records, the table of each (metrics.intake.monthly_table), its rows
by the wide or the long reader (wide_table, long_table) or column by column (columnar), and each (year, unit) checked
against its own plan.
"""

from __future__ import annotations

import codecs
import csv
import io
import itertools
import re
from collections.abc import Callable

import pandas as pd

from metrics.intake import columnar, parsing, validation
from metrics.intake import safety
from metrics.errors import InputError, NoTableError, Problem
from metrics.intake.tidy import TIDY_COLUMNS
from metrics.plans.catalogue import Catalogue
from metrics.intake.upload import Upload
from metrics.intake.long_table import LongReader
from metrics.intake.monthly_table import (HEADER_SCAN_ROWS, ROLE_SYNONYMS, Defaults, Record, RowReader, Sheet, Table,
                                          find_table, header_key, month_header)
from metrics.intake.sheet_xml import cell_name
from metrics.intake.wide_table import WideReader

TEMPLATE_SHEET = "月報"
DELIMITERS = (",", "\t", ";")

EXPECTED_HEADER = (
    "預期的表頭（須在前 30 列內）：範本（寬表）要有「項目代碼」或「項目名稱」欄，以及每月一欄"
    "（如「112年1月」「1月」「01」「112/01」「2023-01」）；長表要有「年度、月份、單位、項目代碼、數值」欄"
    "（單位可省略，也可用英文 year, month, unit, field, value）。建議下載系統提供的範本填寫"
)


# Public API -----------------------------------------------------------------------------------------

def load_grids(data: bytes | Upload, filename: str = "") -> list[tuple[str, list[list[object]]]]:
    """After the safety checks: every sheet as (sheet name, rows of raw cell values); a CSV is one sheet ''.

    Empty cells are '' (rows may differ in length). An .xlsx formula that was never calculated is an
    error naming its sheet and cell, never a silent blank.
    """
    upload = Upload.of(data, filename)
    data, filename = upload.data, upload.name
    kind = safety.check_upload(upload)
    if kind == "csv":
        text, _utf8 = _csv_text(data, filename)
        return [("", _csv_rows(text, _delimiter_order(text)[0], filename))]
    sheets = _xlsx_sheets(upload)
    problems = [sheet.unreadable(filename, row, column)
                for sheet in sheets for row, column in sorted(sheet.uncached | sheet.errors)]
    if problems:
        raise InputError(validation.capped(problems))
    return [(sheet.name, sheet.rows) for sheet in sheets]


def read_upload(data: bytes | Upload, filename: str, catalogue: Catalogue, *, year: int | None = None,
                unit: str | None = None) -> pd.DataFrame:
    """Bytes of an uploaded .xlsx/.csv (long or wide format) -> validated tidy frame.

    year, unit: for figures whose file names neither (a canonical unit name).
    Columns exactly metrics.evaluation.figures.TIDY_COLUMNS; value is Decimal; year is ROC; unit is canonical; rows
    sorted by year, month, unit and field order. Blank cells are 'not reported' and produce no row. Raises
    InputError listing every problem (capped), PlanNotFound's message among them for a (year, unit)
    without a plan.
    """
    return read_table(data, filename, catalogue, year=year, unit=unit)[0]


def read_table(data: bytes | Upload, filename: str, catalogue: Catalogue, *, year: int | None = None,
               unit: str | None = None) -> tuple[pd.DataFrame, str]:
    """read_upload's frame and the kind of table it came from: "wide" when any table has a column per
    month, else "long"."""
    upload = Upload.of(data, filename)
    filename = upload.name
    kind = safety.check_upload(upload)
    try:
        return _read(upload, kind, catalogue, Defaults(year, unit))
    except InputError as error:
        mismatch = safety.describe_mismatch(filename, kind)
        if mismatch:
            raise InputError([Problem(mismatch, file=filename), *error.problems]) from None
        raise


# Loading --------------------------------------------------------------------------------------------

def _csv_text(data: bytes, filename: str) -> tuple[str, bytes]:
    """The decoded text and the same text as UTF-8 without a byte-order mark, after the checks every CSV passes."""
    try:
        text, encoding = parsing.decode_text(data)
    except UnicodeError:  # a UTF-16 byte-order mark over bytes that are not UTF-16
        raise InputError(Problem("檔案編碼無法辨識（開頭像 UTF-16 但內容無法解讀）；請在 Excel 以「CSV UTF-8（逗號分隔）」"
                                 "另存後再上傳", file=filename)) from None
    except ValueError as error:
        raise InputError(Problem(str(error), file=filename)) from None
    safety.check_csv_lines(text, filename)
    utf8 = data if encoding == "UTF-8" else data[len(codecs.BOM_UTF8):] if encoding == "UTF-8 (BOM)" else text.encode()
    if safety.has_control_characters(text, utf8):
        raise InputError(Problem("內容不是文字（CSV）檔，可能是其他格式的檔案被改了副檔名；"
                                 "請上傳 Excel 活頁簿（.xlsx）或從 Excel 另存的 CSV 檔", file=filename))
    if not text or text.isspace():  # strip() would copy the whole text
        raise InputError(Problem("檔案是空的（沒有任何文字）；請確認已存檔後再上傳", file=filename))
    return text, utf8


def _csv_rows(text: str, delimiter: str, filename: str) -> list[list[object]]:
    try:
        return list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))  # each row a new list already
    except csv.Error as error:
        raise InputError(Problem(f"CSV 格式有誤，無法讀取（{error}）；請在 Excel 開啟後另存為「CSV UTF-8（逗號分隔）」"
                                 "再上傳", file=filename)) from None


def _delimiter_order(text: str) -> list[str]:
    """Comma first unless another delimiter splits more of the first lines."""
    lines = [line for line in _LINE_BREAK.split(_first_lines(text, 50)) if line.strip()]
    scores = {delimiter: sum(1 for line in lines if delimiter in line) for delimiter in DELIMITERS}
    return sorted(DELIMITERS, key=lambda delimiter: (-scores[delimiter], DELIMITERS.index(delimiter)))


_LINE_BREAK = re.compile(r"\r\n|\r|\n")


def _first_lines(text: str, count: int) -> str:
    """The text up to the end of its `count`-th line (the whole text when it has fewer), without copying the rest."""
    for number, match in enumerate(_LINE_BREAK.finditer(text), start=1):
        if number == count:
            return text[:match.end()]
    return text


def _first_records(text: str, delimiter: str, count: int) -> list[list[str]]:
    """The first `count` CSV records, read from as few lines as hold them (a quoted cell may span lines)."""
    lines = count + 1
    while True:
        prefix = _first_lines(text, lines)
        records = list(itertools.islice(csv.reader(io.StringIO(prefix, newline=""), delimiter=delimiter), count + 1))
        if len(prefix) == len(text):
            return records[:count]
        if len(records) > count:  # the last record read may be cut short by the prefix; the first `count` are whole
            return records[:count]
        lines *= 2


def _xlsx_sheets(upload: Upload) -> list[Sheet]:
    data, filename = upload.data, upload.name
    scans = {scan.name: scan for scan in safety.inspect_workbook(upload, max_cells=safety.TEMPLATE_SHEET_CELLS)}
    try:
        import python_calamine

        workbook = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
        names = [metadata.name for metadata in workbook.sheets_metadata
                 if metadata.typ == python_calamine.SheetTypeEnum.WorkSheet]
        sheets = []
        for name in names:
            scan = scans.get(name)
            if scan is None:  # never read a sheet the safety scan did not measure
                continue
            rows = workbook.get_sheet_by_name(name).to_python(skip_empty_area=False)
            # calamine gives a NaN number cell as float NaN, which reads as blank: "not reported" by mistake.
            not_numbers = frozenset((row, column) for row, cells in enumerate(rows)
                                    for column, value in enumerate(cells) if isinstance(value, float) and value != value)
            sheets.append(Sheet(name, rows, frozenset(scan.uncached_formulas), frozenset(scan.error_cells),
                                not_numbers))
        return sheets
    except (KeyboardInterrupt, SystemExit, MemoryError):
        raise
    except BaseException as error:  # calamine raises its own errors, and pyo3 panics are BaseException
        raise InputError(Problem(f"{safety.NOT_A_WORKBOOK}（活頁簿內容有誤，檔案可能已損毀）；{safety.SAVE_AS_XLSX}",
                                 file=filename)) from error


_ROLE_LABELS = {"year": "年度", "month": "月份", "unit": "單位", "code": "項目代碼", "name": "項目名稱", "value": "數值"}
TABLE_PROBLEM_SHEETS = 5


def table_problems(data: bytes | Upload, filename: str, kind: str) -> list[Problem]:
    """Why a file the user says is a monthly template ("template") or a long table ("long") cannot be read as
    one: per sheet, the row that looks most like that kind's header row, what it lacks and how to fix it."""
    upload = Upload.of(data, filename)
    filename = upload.name
    try:
        grids = load_grids(upload)
    except InputError as error:
        return error.problems
    problems = []
    for name, rows in grids[:TABLE_PROBLEM_SHEETS]:
        best: tuple[int, int, dict[str, int], list[int]] | None = None
        for row in range(min(HEADER_SCAN_ROWS, len(rows))):
            roles: dict[str, int] = {}
            for column, raw in enumerate(rows[row]):
                key = header_key(raw)
                for role, synonyms in ROLE_SYNONYMS.items():
                    if key in synonyms and role not in roles:
                        roles[role] = column
            months = [column for column, raw in enumerate(rows[row]) if column not in roles.values()
                      and not parsing.is_blank(raw) and month_header(raw) is not None]
            if kind == "template":  # a lone number in a data row is no month header
                score = ("code" in roles or "name" in roles) + (len(months) >= 2 or bool(months) and bool(roles))
            else:
                score = len({"code" if role == "name" else role for role in roles} & {"code", "month", "value"})
            if score and (best is None or score > best[0]):
                best = (score, row, roles, months)
        end = 0 if best is None else max((column + 1 for column, raw in enumerate(rows[best[1]])
                                          if not parsing.is_blank(raw)), default=0)
        problems.append(_table_problem(filename, name, kind, best, end))
    return problems


def _table_problem(filename: str, sheet: str, kind: str,
                   best: tuple[int, int, dict[str, int], list[int]] | None, end: int) -> Problem:
    if best is None:
        wanted = ("「項目代碼」或「項目名稱」欄，以及每月一欄（如「112年1月」）" if kind == "template"
                  else "「年度、月份、單位、項目代碼、數值」欄（單位可省略）")
        fix = ("請下載月報範本，把數字貼進範本後上傳" if kind == "template"
               else "請在第一列寫上這些標題，每列一個數字")
        return Problem(f"前 {HEADER_SCAN_ROWS} 列中找不到{'月報範本' if kind == 'template' else '長表'}的標題列："
                       f"須有{wanted}。{fix}", filename, sheet)
    _, row, roles, months = best
    found = "、".join(f"「{_ROLE_LABELS[role]}」" for role in roles)
    if kind == "template":
        if not months:
            after = end
            return Problem(f"第 {row + 1} 列有{found}欄，但沒有任何月份欄：範本每月一欄，請從儲存格 "
                           f"{cell_name(row, after)} 起把標題寫成「112年1月」「1月」或「112/01」", filename, sheet,
                           cell_name(row, after))
        first = min(months)
        free = next((column for column in range(first) if column not in roles.values()), None)
        where = (f"請在儲存格 {cell_name(row, free)} 寫上「項目代碼」或「項目名稱」，其下各列填項目的代碼或名稱"
                 if free is not None else "請在月份欄左邊插入一欄，標題寫「項目代碼」或「項目名稱」，其下各列填項目的代碼或名稱")
        return Problem(f"第 {row + 1} 列有 {len(months)} 個月份欄，但沒有「項目代碼」或「項目名稱」欄。{where}", filename,
                       sheet, cell_name(row, free if free is not None else first))
    missing = [label for role, label in (("month", "月份"), ("value", "數值")) if role not in roles]
    if "code" not in roles and "name" not in roles:
        missing.insert(0, "項目代碼")
    after = end
    return Problem(f"第 {row + 1} 列有{found}欄，缺少" + "、".join(f"「{label}」" for label in missing)
                   + f"欄：長表的標題列要有「年度、月份、單位、項目代碼、數值」（單位可省略）。請從儲存格 "
                   f"{cell_name(row, after)} 起補上缺少的標題，或把現有標題改成這些名稱", filename, sheet,
                   cell_name(row, after))


# Putting it together --------------------------------------------------------------------------------

def _read(upload: Upload, kind: str, catalogue: Catalogue, defaults: Defaults) -> tuple[pd.DataFrame, str]:
    data, filename = upload.data, upload.name
    if kind == "csv":
        text, utf8 = _csv_text(data, filename)
        delimiter, head, table = _csv_head(text, filename)
        frame = _read_by_column(Sheet("", head), table, catalogue, defaults, filename,  # the cells above the header
                                lambda _shape: columnar.csv_cells(utf8, delimiter, len(head[table.header_row]), head))
        if frame is not None:
            return frame, table.kind
        sheet = Sheet("", _csv_rows(text, delimiter, filename))
        _refuse_overlong_rows(sheet, table, filename)
        tables = [(sheet, table)]
    else:
        tables = _xlsx_tables(upload)
        sheet, table = tables[0]
        # Only a single table whose every cell reads as itself (no formula without a result, no error value,
        # no NaN) is read column by column.
        if len(tables) == 1 and not (sheet.uncached or sheet.errors or sheet.not_numbers):
            frame = _read_by_column(sheet, table, catalogue, defaults, filename,
                                    lambda shape: columnar.grid_cells(sheet.rows, shape))
            if frame is not None:
                return frame, table.kind
    problems: list[Problem] = []
    records: list[Record] = []
    for sheet, table in tables:
        reader = (LongReader if table.kind == "long" else WideReader)(sheet, table, catalogue, defaults, filename,
                                                                       problems)
        reader.read()
        records.extend(reader.records)
    records = _merge_duplicates(records, catalogue, filename, problems)
    frame = _frame(records, catalogue, filename)
    if records or not problems:
        problems.extend(validate_groups(frame, catalogue, file=filename))
    if problems:
        raise InputError(validation.capped(problems))
    return frame, "wide" if any(table.kind == "wide" for _sheet, table in tables) else "long"


def _read_by_column(sheet: Sheet, table: Table, catalogue: Catalogue, defaults: Defaults, filename: str,
                    cells_of: Callable[[columnar.TableShape], pd.DataFrame | None]) -> pd.DataFrame | None:
    """The table read column by column (metrics.intake.columnar) and validated; None when only the row-by-row reader
    can say what is wrong with it. `cells_of` gives the table's cells as categorical columns."""
    problems: list[Problem] = []
    reader = RowReader(sheet, table, catalogue, defaults, filename, problems)  # what the cells above the table say
    if problems:
        return None
    shape = columnar.TableShape(
        table.header_row, table.columns, [(month.column, month.year, month.month) for month in table.months],
        [column for column, _text in table.bad_months], reader.year, reader.heading_year, reader.unit)
    cells = cells_of(shape)
    frame = None if cells is None else columnar.read(cells, table.kind, shape, catalogue, reader.fields,
                                                     filename=filename, sheet=sheet.name)
    if frame is None:
        return None
    problems = validate_groups(frame, catalogue, file=filename)
    if problems:
        raise InputError(validation.capped(problems))
    return frame


def validate_groups(frame: pd.DataFrame, catalogue: Catalogue, *, file: str) -> list[Problem]:
    """Each (year, unit) of the frame against its own plan; a group without a plan is one problem that
    names the year, the unit, where its first figure sits and which plans exist."""
    if frame.empty:
        try:
            validation.validate(frame, None, file=file)
        except InputError as error:
            return list(error.problems)
        return []
    problems: list[Problem] = []
    for (year, unit), group in frame.groupby(["year", "unit"], sort=True):
        plan = catalogue.find(int(year), str(unit))
        if plan is None:
            first = group.iloc[0]
            problems.append(Problem(
                f"這個檔案有 {unit} {int(year)} 年度的數字（{len(group):,} 筆），但沒有 {unit} {int(year)} 年度的計畫，"
                f"無法檢查或計算，整個檔案都不會儲存。{catalogue.available_text()}請確認年度與單位，"
                "或請管理者先新增該年度該單位的計畫", file=file, sheet=str(first["source_sheet"]),
                cell=str(first["source_cell"])))
            continue
        try:
            validation.validate(group, plan, file=file)
        except InputError as error:
            problems.extend(error.problems)
    return problems


def _csv_head(text: str, filename: str) -> tuple[str, list[list[object]], Table]:
    """The delimiter, the records down to the header row and the table: the first delimiter whose records
    hold a header within the first rows."""
    for delimiter in _delimiter_order(text):
        try:
            head = _first_records(text, delimiter, HEADER_SCAN_ROWS)
        except csv.Error:
            head = _csv_rows(text, delimiter, filename)[:HEADER_SCAN_ROWS]  # names the error as the full read does
        table = find_table(Sheet("", head))
        if table is not None:
            return delimiter, head[:table.header_row + 1], table
    raise NoTableError(Problem(f"找不到月報表格。{EXPECTED_HEADER}", file=filename))


OVERLONG_ROWS_SHOWN = 20


def _refuse_overlong_rows(sheet: Sheet, table: Table, filename: str) -> None:
    """A CSV row with more fields than its header is never read: the usual cause is a number written with
    an unquoted thousands separator (21,288), which would otherwise be stored as 21 (and 288 in the next month)."""
    header_width = len(sheet.rows[table.header_row])
    problems = []
    for row_index in range(table.header_row + 1, len(sheet.rows)):
        row = sheet.rows[row_index]
        width = len(row)  # Excel writes every row as wide as the widest: a longer row was not written by it
        if width > header_width:
            problems.append(Problem(
                f"第 {row_index + 1} 列有 {width} 個欄位，比標題列的 {header_width} 欄多；常見原因是數字中的千分位逗號"
                "（如 21,288）把一個數字分成兩欄。數字中的千分位逗號請加引號（\"21,288\"）或去掉，或改存成 .xlsx 上傳",
                file=filename, cell=cell_name(row_index, header_width),
                value=",".join(parsing.normalize_text(value) for value in row[:width])))
    if len(problems) > OVERLONG_ROWS_SHOWN:
        more = len(problems) - OVERLONG_ROWS_SHOWN
        problems = problems[:OVERLONG_ROWS_SHOWN] + [Problem(f"…另有 {more:,} 列欄位過多", file=filename)]
    if problems:
        raise InputError(problems)


def _xlsx_tables(upload: Upload) -> list[tuple[Sheet, Table]]:
    filename = upload.name
    sheets = _xlsx_sheets(upload)
    template = [sheet for sheet in sheets if parsing.normalize_text(sheet.name) == TEMPLATE_SHEET]
    for sheet in template:
        table = find_table(sheet)
        if table is not None:
            return [(sheet, table)]
    found = []
    for sheet in sheets:
        table = find_table(sheet)
        if table is not None:
            found.append((sheet, table))
    if found:
        return found
    names = "、".join(f"「{sheet.name}」" for sheet in sheets) or "（沒有任何工作表）"
    raise NoTableError(Problem(f"找不到月報表格。檔案內的工作表：{names}。{EXPECTED_HEADER}", file=filename))


def _merge_duplicates(records: list[Record], catalogue: Catalogue, filename: str,
                      problems: list[Problem]) -> list[Record]:
    """The same (year, month, unit, field) twice: equal values merge silently, different ones are an error."""
    kept: dict[tuple[int, int, str, str], Record] = {}
    for record in records:
        key = (record.year, record.month, record.unit, record.field)
        earlier = kept.get(key)
        if earlier is None:
            kept[key] = record
            continue
        if earlier.value == record.value:
            continue
        name = catalogue.field_by_code[record.field].name
        where = (f"工作表「{earlier.sheet}」儲存格 {earlier.cell}" if earlier.sheet != record.sheet
                 else f"儲存格 {earlier.cell}")
        problems.append(Problem(
            f"{record.year} 年 {record.month} 月的「{name}」填了兩次且數值不同：{where} 是 "
            f"{validation.show(earlier.value)}，這一格是 {validation.show(record.value)}；請只保留正確的一格",
            file=filename, sheet=record.sheet, cell=record.cell, field=name, value=validation.show(record.value)))
    return list(kept.values())


def _frame(records: list[Record], catalogue: Catalogue, filename: str) -> pd.DataFrame:
    order = {monthly_field.code: index for index, monthly_field in enumerate(catalogue.fields_in_force)}
    ordered = sorted(records, key=lambda record: (record.year, record.month, record.unit,
                                                  order.get(record.field, len(order))))
    frame = pd.DataFrame(
        [(record.year, record.month, record.unit, record.field, record.value, filename, record.sheet, record.cell)
         for record in ordered],
        columns=list(TIDY_COLUMNS),
    )
    if frame.empty:
        return frame.astype({"year": "int64", "month": "int64", "value": object})
    return frame.astype({"year": "int64", "month": "int64"})

