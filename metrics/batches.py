"""What undoing an upload batch changes back, month by month, in the words the confirmation uses."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from metrics.presentation import month_label


@dataclass(frozen=True)
class UndoEffect:
    """One month of one unit: how many of the batch's figures go back to the previous upload's value, how
    many become 未填報 again, and how many were the same as before (nothing changes)."""

    year: int
    unit: str
    month: int
    restored: int
    removed: int
    unchanged: int

    def text(self, *, with_unit: bool = False) -> str:
        parts = []
        if self.restored:
            parts.append(f"{self.restored:,} 個數字恢復為上一次上傳的值")
        if self.removed:
            parts.append(f"{self.removed:,} 個數字將變為未填報")
        if self.unchanged:
            parts.append(f"{self.unchanged:,} 個數字與上一次上傳相同，不變")
        where = (f"{self.unit} " if with_unit else "") + month_label(self.year, self.month)
        return f"{where} " + "，".join(parts)


def undo_effects(values: pd.DataFrame) -> list[UndoEffect]:
    """Per (year, unit, month) of a batch's values (Store.batch_values: value, previous), in that order."""
    if values.empty:
        return []
    effects = []
    for (year, unit, month), group in values.groupby(["year", "unit", "month"], sort=True):
        previous = group["previous"]
        had = previous.notna()
        same = had & (previous == group["value"])
        effects.append(UndoEffect(int(year), str(unit), int(month), restored=int((had & ~same).sum()),
                                  removed=int((~had).sum()), unchanged=int(same.sum())))
    return effects
