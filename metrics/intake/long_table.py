"""The long layout: one figure per row, with its year, month, unit, field and value in columns of their own."""

from __future__ import annotations

import operator
from decimal import Decimal

from metrics.intake.monthly_table import Record, RowReader
from metrics.intake.sheet_xml import column_letters


class LongReader(RowReader):
    """The rows of a long table into records."""

    def read(self) -> None:
        columns = self.table.columns
        value_column = columns["value"]
        # A long table repeats few years, months, units and fields, and its values repeat too: a row whose
        # (year, month, unit, field) cells and whose value cell were each read cleanly before is read from
        # those results. Only sheets where every cell reads as itself (no formula or error cells) take this path.
        plain = not (self.sheet.uncached or self.sheet.errors or self.sheet.not_numbers)
        context_columns = [column for column in (columns.get(role) for role in ("year", "month", "unit", "code", "name"))
                           if column is not None]
        context_of = operator.itemgetter(*context_columns, value_column)  # a tuple whose last item is the value
        contexts: dict[tuple, tuple[int, int, str, str]] = {}
        values: dict[str, Decimal] = {}
        sheet_name = self.sheet.name
        letters = column_letters(value_column)
        rows = self.sheet.rows
        for row in range(self.table.header_row + 1, len(rows)):
            cells = rows[row]
            key = None
            if plain:
                try:
                    key = context_of(cells)
                except IndexError:  # a row shorter than the table: read the slow way, never remembered
                    key = None
                else:
                    known_value = values.get(key[-1])
                    context = contexts.get(key[:-1]) if known_value is not None else None
                    if context is not None:
                        year, month, unit, code = context
                        self.records.append(Record(year, month, unit, code, known_value, sheet_name,
                                                   f"{letters}{row + 1}"))
                        continue
            if not self.is_filled(row, value_column):
                continue
            before = len(self.problems)
            added = len(self.records)
            monthly_field = self.resolve_field(row)
            name = monthly_field.name if monthly_field else ""
            year = self.row_year(row, columns.get("year"), name)
            month = self.row_month(row, columns["month"], year, name)
            unit = self.row_unit(row)
            value = self.number(row, value_column, monthly_field) if monthly_field else None
            if len(self.problems) == before and monthly_field and year and month and unit and value is not None:
                self.add(year, month, unit, monthly_field, value, row, value_column)
            if key is not None and len(self.problems) == before and len(self.records) == added + 1 and all(
                    type(cell) is str for cell in key):  # text only: 1 == 1.0 == True would mix cell types
                record = self.records[-1]
                values[key[-1]] = record.value
                contexts[key[:-1]] = (record.year, record.month, record.unit, record.field)
