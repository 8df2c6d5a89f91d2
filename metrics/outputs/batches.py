"""What undoing an upload batch changes back, month by month, in the words the confirmation uses."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import pandas as pd

from metrics.intake.parsing import month_label


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
        where = (f"{self.unit} " if with_unit else "") + month_label(self.year, self.month)
        return f"{where} " + counts_text(self.restored, self.removed, self.unchanged)


def periods_text(periods: Iterable[tuple[int, str]]) -> str:
    """The (year, unit)s whose figures a batch set (BatchInfo.periods): 「政風處 112年、人事處 112年」."""
    return "、".join(f"{unit} {year}年" for year, unit in periods)


def counts_text(restored: int, removed: int, unchanged: int, *, done: bool = False) -> str:
    """What an undo does to a batch's values, in the same words before (the confirmation) and after (the result):
    a value re-sent unchanged is counted as unchanged, never as restored."""
    parts = []
    if restored:
        parts.append(f"{restored:,} 個數字恢復為上一次上傳的值")
    if removed:
        parts.append(f"{removed:,} 個數字{'已' if done else '將'}變為未填報")
    if unchanged:
        parts.append(f"{unchanged:,} 個數字與上一次上傳相同，不變")
    return "，".join(parts) or "沒有任何數字改變"


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
