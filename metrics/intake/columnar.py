"""The column-wise reading of a monthly table (long or wide, CSV or worksheet): each distinct cell of a column is
parsed once.

A county-wide long table repeats a handful of years, months and field codes and at most a few thousand
units over half a million rows. pandas' parser gives each column as categorical codes over its distinct
texts; those texts go through the same parsing functions the row-by-row reader uses, and the results are
spread back over the rows with numpy. This path only ever accepts a file: whenever a text does not parse,
a unit is unknown, a year is missing or two figures of one month collide, it answers None and
metrics.intake.monthly's row-by-row reader reads the same decoded text and names every problem with its cell.
So the messages stay those of one reader, and the two must give the same frame (tests/test_columnar.py).
"""

from __future__ import annotations

import csv
import io
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import TypeVar

import numpy as np
import pandas as pd

from metrics.intake import parsing, validation
from metrics.plans.catalogue import Catalogue
from metrics.intake.tidy import TIDY_COLUMNS
from metrics.plans.plan import MonthlyField
from metrics.intake.sheet_xml import column_letters

Parsed = TypeVar("Parsed")


class _Refused(Exception):
    """A text this path will not decide: the row-by-row reader reads the file and names the problem."""


@dataclass(frozen=True)
class TableShape:
    """What metrics.intake.monthly found about the table and the cells above it."""

    header_row: int
    columns: Mapping[str, int]  # role (year, month, unit, code, name, value) -> column
    months: Sequence[tuple[int, int | None, int]] = ()  # wide: (column, year its header names, month)
    bad_month_columns: Sequence[int] = ()  # wide: headers meant as a month that name none (13月)
    year: int | None = None  # the year of figures whose row and header name none
    heading_year: int | None = None  # the year written above the table, which month headers must agree with
    unit: str | None = None  # the unit of rows without a unit cell (canonical)


def csv_cells(utf8: bytes, delimiter: str, width: int, head: Sequence[Sequence[str]]) -> pd.DataFrame | None:
    """Every record of the CSV (its text as UTF-8 without a byte-order mark) as `width` categorical columns
    ('' where a row is shorter); None when pandas' parser cannot read it as the csv module does (a longer
    row, an unclosed quote, records that do not line up with `head`, the csv module's first records)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", pd.errors.ParserWarning)  # "a loss of data": a row cut short
            cells = pd.read_csv(io.BytesIO(utf8), sep=delimiter, header=None, names=range(width),
                                index_col=False, dtype="category", keep_default_na=False, na_values=[],
                                skip_blank_lines=False, quotechar='"', doublequote=True, engine="c")
    except (ValueError, pd.errors.ParserError, pd.errors.ParserWarning, UnicodeError, MemoryError):
        return None
    if len(cells) < len(head):
        return None
    categories = [cells[column].cat.categories for column in cells]
    # A column of numbers only (a wide table whose month headers are 1, 2, 3…) gets number categories: "01"
    # and "1", "1e3" and "1000" become one, and a long decimal is rounded to a float. Texts only, or none.
    if not all(pd.api.types.is_string_dtype(texts) for texts in categories):
        return None
    if max((texts.str.len().max() for texts in categories if len(texts)), default=0) > csv.field_size_limit():
        return None  # the csv module refuses such a field: let it say so
    for position, record in enumerate(head):  # the records this path and the csv module see must line up
        padded = [*record, *[""] * (width - len(record))]
        if len(record) > width or [str(cells.iat[position, column]) for column in range(width)] != padded:
            return None
    return cells


def grid_cells(rows: Sequence[Sequence[object]], shape: TableShape) -> pd.DataFrame | None:
    """A worksheet's rows of cell values (as python-calamine gives them) as categorical columns, only those the
    table uses; None when a column holds a TRUE/FALSE cell (True == 1 == 1.0 would make one category of
    cells the row-by-row reader tells apart)."""
    used = sorted({*shape.columns.values(), *(column for column, _year, _month in shape.months),
                   *shape.bad_month_columns})
    columns = {}
    for column in used:
        values = [row[column] if column < len(row) else "" for row in rows]
        if any(type(value) is bool for value in values):
            return None
        codes, uniques = pd.factorize(pd.Series(values, dtype=object), use_na_sentinel=False)
        columns[column] = pd.Categorical.from_codes(codes, categories=pd.Index(uniques, dtype=object))
    return pd.DataFrame(columns, index=range(len(rows)))


def read(cells: pd.DataFrame, kind: str, shape: TableShape, catalogue: Catalogue, fields: Mapping[str, MonthlyField],
         *, filename: str, sheet: str = "") -> pd.DataFrame | None:
    """The tidy frame of a long or wide table, as metrics.intake.monthly builds it; None for the row-by-row reader."""
    rows = cells.iloc[shape.header_row + 1:]
    tables = _Tables(catalogue)
    try:
        if kind == "long":
            entries = _long_entries(rows, shape, catalogue, fields, tables)
        else:
            entries = _wide_entries(rows, shape, catalogue, fields, tables)
        if entries is None:
            return None
        return _tidy(entries, tables, shape.header_row + 1, filename, sheet)
    except _Refused:
        return None


# Per distinct text --------------------------------------------------------------------------------------

def _column(rows: pd.DataFrame, column: int) -> tuple[np.ndarray, pd.Index]:
    values = rows[column]
    codes = values.cat.codes.to_numpy()
    if len(codes) and codes.min() < 0:  # a missing cell pandas did not read as ''
        raise _Refused
    return codes, values.cat.categories


def _blank_categories(categories: pd.Index) -> np.ndarray:
    return np.fromiter((parsing.is_blank(text) for text in categories), dtype=bool, count=len(categories))


def _per_category(codes: np.ndarray, categories: pd.Index, parse: Callable[[str], Parsed]) -> np.ndarray:
    """An object array over the categories holding parse(text) for each category some row uses (codes);
    raises _Refused when parse fails for any of them."""
    parsed = np.empty(len(categories), dtype=object)
    for code in np.unique(codes):
        try:
            parsed[code] = parse(categories[code])
        except (ValueError, ArithmeticError, TypeError):
            raise _Refused from None
    return parsed


def _numbers(parsed: np.ndarray) -> np.ndarray:
    return np.array([0 if item is None else item for item in parsed], dtype=np.int64)


def _year_of(default: int | None) -> Callable[[str], int]:
    def year(text: str) -> int:
        if parsing.is_blank(text):
            if default is None:
                raise _Refused
            return default
        return parsing.parse_year(text)
    return year


def _unit_of(catalogue: Catalogue, default: str | None) -> Callable[[str], str]:
    def unit(text: str) -> str:
        if parsing.is_blank(text):
            if default is None:
                raise _Refused
            return default
        found = catalogue.units.resolve(parsing.normalize_text(text))
        if found is None:
            raise _Refused
        return found.name
    return unit


NO_YEAR = -1


def _month(text: str) -> tuple[int, int]:
    """(month, the year the cell names or NO_YEAR)."""
    if parsing.is_blank(text):
        raise _Refused
    try:
        return parsing.parse_month(text), NO_YEAR
    except (ValueError, ArithmeticError, TypeError):
        header = parsing.parse_month_header(text)
        if header is None:
            raise _Refused from None
        return header[1], NO_YEAR if header[0] is None else header[0]


def _number(text: str) -> Decimal:
    value = parsing.parse_number(text)
    if value is None:
        raise _Refused
    return value


class _Tables:
    """The distinct units, fields and values met, each figure holding integers into them."""

    def __init__(self, catalogue: Catalogue):
        self.field_order = {monthly_field.code: index for index, monthly_field in enumerate(catalogue.fields_in_force)}
        self.fields = list(catalogue.fields_in_force)
        self.units: dict[str, int] = {}
        self.values: list[np.ndarray] = []  # per value column, the Decimal of each category
        self.value_offset = 0

    def unit_ids(self, names: np.ndarray) -> np.ndarray:
        return np.array([-1 if name is None else self.units.setdefault(name, len(self.units)) for name in names],
                        dtype=np.int64)

    def value_references(self, decimals: np.ndarray, codes: np.ndarray) -> np.ndarray:
        """Each row's Decimal as one index over every value column's categories."""
        references = codes.astype(np.int64) + self.value_offset
        self.values.append(decimals)
        self.value_offset += len(decimals)
        return references


def _row_fields(rows: pd.DataFrame, shape: TableShape, fields: Mapping[str, MonthlyField],
                positions: np.ndarray, tables: _Tables) -> np.ndarray:
    """The field (its index in the catalogue) of each row at `positions` from its code and/or name cell, as
    the row-by-row reader decides."""
    roles = [shape.columns[role] for role in ("code", "name") if role in shape.columns]
    columns = [_column(rows, column) for column in roles]
    pair = np.zeros(len(positions), dtype=np.int64)
    for codes, categories in columns:
        pair = pair * (len(categories) + 1) + codes[positions]
    distinct, inverse = np.unique(pair, return_inverse=True)
    resolved = np.empty(len(distinct), dtype=np.int64)
    for index, combined in enumerate(distinct):
        texts = []
        for _codes, categories in reversed(columns):
            combined, code = divmod(int(combined), len(categories) + 1)
            texts.append(parsing.normalize_text(categories[code]))
        known = [fields.get(validation.field_key(text)) for text in reversed(texts) if text]
        found = [monthly_field for monthly_field in known if monthly_field is not None]
        if not found or (len(found) == 2 and found[0] is not found[1]):
            raise _Refused
        resolved[index] = tables.field_order[found[0].code]
    return resolved[inverse]


def _row_units(rows: pd.DataFrame, shape: TableShape, catalogue: Catalogue, positions: np.ndarray,
               tables: _Tables) -> np.ndarray:
    if "unit" not in shape.columns:
        if shape.unit is None:
            raise _Refused
        return np.full(len(positions), tables.unit_ids(np.array([shape.unit], dtype=object))[0], dtype=np.int64)
    codes, categories = _column(rows, shape.columns["unit"])
    used = codes[positions]
    return tables.unit_ids(_per_category(used, categories, _unit_of(catalogue, shape.unit)))[used]


# Long and wide ------------------------------------------------------------------------------------------

@dataclass
class _Entries:
    """One figure per item, in the order the row-by-row reader meets them."""

    positions: np.ndarray  # data row (0 = the row under the header)
    columns: np.ndarray  # the column of the figure's cell
    years: np.ndarray
    months: np.ndarray
    units: np.ndarray  # into _Tables.units
    fields: np.ndarray  # into the catalogue's fields
    values: np.ndarray  # into the concatenated _Tables.values


def _long_entries(rows: pd.DataFrame, shape: TableShape, catalogue: Catalogue,
                  fields: Mapping[str, MonthlyField], tables: _Tables) -> _Entries | None:
    value_column = shape.columns["value"]
    value_codes, value_categories = _column(rows, value_column)
    positions = np.flatnonzero(~_blank_categories(value_categories)[value_codes])
    if not len(positions):
        return None
    row_fields = _row_fields(rows, shape, fields, positions, tables)
    if "year" in shape.columns:
        codes, categories = _column(rows, shape.columns["year"])
        used = codes[positions]
        years = _numbers(_per_category(used, categories, _year_of(shape.year)))[used]
    elif shape.year is None:
        return None
    else:
        years = np.full(len(positions), shape.year, dtype=np.int64)
    codes, categories = _column(rows, shape.columns["month"])
    used = codes[positions]
    pairs = _per_category(used, categories, _month)
    months = _numbers([pair[0] if pair else None for pair in pairs])[used]
    named_years = _numbers([pair[1] if pair else None for pair in pairs])[used]
    if np.any((named_years != NO_YEAR) & (named_years != years)):
        return None
    units = _row_units(rows, shape, catalogue, positions, tables)
    used = value_codes[positions]
    values = tables.value_references(_per_category(used, value_categories, _number), used)
    return _Entries(positions, np.full(len(positions), value_column), years, months, units, row_fields, values)


def _wide_entries(rows: pd.DataFrame, shape: TableShape, catalogue: Catalogue,
                  fields: Mapping[str, MonthlyField], tables: _Tables) -> _Entries | None:
    for column in shape.bad_month_columns:
        codes, categories = _column(rows, column)
        if not _blank_categories(categories)[codes].all():
            return None
    months = []
    for column, named_year, month in shape.months:
        codes, categories = _column(rows, column)
        filled = ~_blank_categories(categories)[codes]
        if filled.any():
            months.append((column, named_year, month, codes, categories, filled))
    if not months:
        return None
    positions = np.flatnonzero(np.logical_or.reduce([filled for *_, filled in months]))
    row_fields = _row_fields(rows, shape, fields, positions, tables)
    row_years = np.zeros(len(positions), dtype=np.int64)  # 0: the row names no year
    if "year" in shape.columns:
        codes, categories = _column(rows, shape.columns["year"])
        stated = ~_blank_categories(categories)[codes[positions]]
        used = codes[positions][stated]
        row_years[stated] = _numbers(_per_category(used, categories, parsing.parse_year))[used]
    units = _row_units(rows, shape, catalogue, positions, tables)
    place = np.full(len(rows), -1, dtype=np.int64)
    place[positions] = np.arange(len(positions))
    parts = []
    for order, (column, named_year, month, codes, categories, filled) in enumerate(months):
        here = np.flatnonzero(filled)
        at = place[here]
        stated_years = row_years[at]
        if named_year is not None:
            if np.any((stated_years != 0) & (stated_years != named_year)):
                return None
            if shape.heading_year is not None and named_year != shape.heading_year and np.any(stated_years == 0):
                return None
        fallback = named_year if named_year is not None else shape.year
        if fallback is None and np.any(stated_years == 0):
            return None
        count = len(here)
        used = codes[here]
        values = tables.value_references(_per_category(used, categories, _number), used)
        parts.append((here, np.full(count, order), np.full(count, column), np.where(stated_years != 0, stated_years,
                      fallback or 0), np.full(count, month), units[at], row_fields[at], values))
    positions, orders, columns, years, months_read, units_read, fields_read, values = (
        np.concatenate([part[index] for part in parts]) for index in range(8))
    sequence = np.lexsort((orders, positions))  # row by row, each row's months left to right
    return _Entries(positions[sequence], columns[sequence], years[sequence].astype(np.int64),
                    months_read[sequence].astype(np.int64), units_read[sequence], fields_read[sequence],
                    values[sequence])


# The frame ----------------------------------------------------------------------------------------------

def _tidy(entries: _Entries, tables: _Tables, first_row: int, filename: str, sheet: str) -> pd.DataFrame | None:
    decimals = np.concatenate(tables.values)
    identities: dict[Decimal, int] = {}  # Decimal('1') and Decimal('1.0') are one value
    value_identity = np.array([-1 if item is None else identities.setdefault(item, len(identities))
                               for item in decimals], dtype=np.int64)
    unit_names = list(tables.units)
    rank_of = {name: rank for rank, name in enumerate(sorted(unit_names))}
    unit_rank = np.array([rank_of[name] for name in unit_names], dtype=np.int64)[entries.units]
    # One integer per figure (year, month, unit, field) and one per figure and value; all far below 2**63.
    figure = ((entries.years * 13 + entries.months) * (len(unit_names) + 1) + unit_rank) * (len(tables.fields) + 1) \
        + entries.fields
    kept = ~pd.Series(figure * (len(identities) + 1) + value_identity[entries.values]).duplicated().to_numpy()
    if pd.Series(figure[kept]).duplicated().any():  # one figure, two values: the row-by-row reader names them
        return None
    chosen = np.flatnonzero(kept)
    chosen = chosen[np.lexsort((entries.fields[chosen], unit_rank[chosen], entries.months[chosen],
                                entries.years[chosen]))]
    letters = {column: column_letters(int(column)) for column in np.unique(entries.columns[chosen])}
    cells = [f"{letters[column]}{first_row + position + 1}"
             for column, position in zip(entries.columns[chosen].tolist(), entries.positions[chosen].tolist())]
    codes = np.array([monthly_field.code for monthly_field in tables.fields], dtype=object)
    return pd.DataFrame({
        "year": entries.years[chosen].astype(np.int64),
        "month": entries.months[chosen].astype(np.int64),
        "unit": np.array(unit_names, dtype=object)[entries.units[chosen]],
        "field": codes[entries.fields[chosen]],
        "value": decimals[entries.values[chosen]],
        "source_file": filename,
        "source_sheet": sheet,
        "source_cell": cells,
    }, columns=list(TIDY_COLUMNS))
