"""The wide layout (the template the app hands out): one row per field, one column per month."""

from __future__ import annotations

from metrics.intake.monthly_table import MonthColumn, RowReader, header_text


class WideReader(RowReader):
    """The rows of a wide table into records."""

    def read(self) -> None:
        table = self.table
        data_rows = range(table.header_row + 1, len(self.sheet.rows))
        filled_columns = {column for column in [m.column for m in table.months] + [c for c, _ in table.bad_months]
                          if any(self.is_filled(row, column) for row in data_rows)}
        example = f"{self.year or 112}年1月"
        for column, text in table.bad_months:
            if column in filled_columns:
                self.problem(f"月份欄標題「{text}」不是有效的月份（月份須為 1 至 12）；請改成如「{example}」",
                             table.header_row, column, value=text)
        usable = [month_column for month_column in table.months if month_column.column in filled_columns]
        for row in data_rows:
            filled = [month_column for month_column in usable if self.is_filled(row, month_column.column)]
            if not filled:
                continue
            monthly_field = self.resolve_field(row)
            if monthly_field is None:
                continue
            row_year = None
            if "year" in table.columns and self.is_filled(row, table.columns["year"]):
                row_year = self.row_year(row, table.columns["year"], monthly_field.name)
                if row_year is None:
                    continue
            unit = self.row_unit(row)
            for month_column in filled:
                year = self._column_year(month_column, row_year, row, monthly_field.name)
                if year is None or unit is None:
                    continue
                value = self.number(row, month_column.column, monthly_field)
                if value is not None:
                    self.add(year, month_column.month, unit, monthly_field, value, row, month_column.column)

    def _column_year(self, month_column: MonthColumn, row_year: int | None, row: int, name: str) -> int | None:
        """A figure's year: its row's 年度 cell, the year its month header names, or the sheet's year."""
        if row_year is not None and month_column.year is not None and row_year != month_column.year:
            header = header_text(self.sheet.value(self.table.header_row, month_column.column))
            self.problem(f"月份欄標題「{header}」是 {month_column.year} 年，與同列的年度 {row_year} 年不符；"
                         "請修正欄標題或年度", row, month_column.column, name, header)
            return None
        if (month_column.year is not None and self.heading_year is not None and month_column.year != self.heading_year
                and row_year is None):
            if month_column.column not in self.conflicts_reported:
                self.conflicts_reported.add(month_column.column)
                header = header_text(self.sheet.value(self.table.header_row, month_column.column))
                self.problem(f"月份欄標題「{header}」是 {month_column.year} 年，但表格上方（儲存格 {self.year_cell}）"
                             f"寫的是 {self.heading_year} 年度；兩者不一致，請修正其中之一（複製去年的範本時，"
                             "年度與每個月份欄標題都要改）", self.table.header_row, month_column.column, value=header)
            return None
        year = row_year if row_year is not None else month_column.year if month_column.year is not None else self.year
        if year is None:
            self.missing("year")
        return year
