"""The tidy frame every reader produces, the store keeps and the evaluation reads.

The tidy frame has one row per (year, month, unit, field) with these columns:

    year          int      ROC year (112)
    month         int      1..12
    unit          str      the reporting unit (單位), e.g. "政風處"
    field         str      a field code of the plan (e.g. "warning_cases")
    value         Decimal  the reported figure, exact
    source_file   str      the uploaded file's name
    source_sheet  str      the sheet it came from ("" for a CSV)
    source_cell   str      A1-style cell of the value, as Excel shows it (CSV too)
"""

from __future__ import annotations

import pandas as pd

TIDY_COLUMNS: tuple[str, ...] = (
    "year", "month", "unit", "field", "value", "source_file", "source_sheet", "source_cell",
)


def empty_tidy_frame() -> pd.DataFrame:
    return pd.DataFrame({column: pd.Series(dtype=object) for column in TIDY_COLUMNS})
