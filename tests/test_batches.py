"""What undoing a batch changes back, per month, hand-counted."""

from __future__ import annotations

from decimal import Decimal

import pandas as pd
import pytest

from metrics.outputs.batches import UndoEffect, undo_effects


def values(rows) -> pd.DataFrame:
    return pd.DataFrame([{"year": 112, "unit": unit, "month": month, "field": code, "value": Decimal(value),
                          "previous": None if previous is None else Decimal(previous)}
                         for unit, month, code, value, previous in rows])


@pytest.mark.parametrize(("rows", "expected"), [
    ([], []),
    # March: 5 figures replaced earlier ones, 2 were new; one equal figure changes nothing
    ([("政風處", 3, f"f{index}", 2, 1) for index in range(5)] + [("政風處", 3, "g1", 1, None), ("政風處", 3, "g2", 0, None),
                                                                ("政風處", 3, "h", 4, 4)],
     [UndoEffect(112, "政風處", 3, restored=5, removed=2, unchanged=1)]),
    # two months, two units, in (unit, month) order; a previous 0 is a value, not 未填報
    ([("政風處", 4, "a", 1, 0), ("人事處", 2, "a", 3, None), ("政風處", 1, "a", 1, None)],
     [UndoEffect(112, "人事處", 2, 0, 1, 0), UndoEffect(112, "政風處", 1, 0, 1, 0), UndoEffect(112, "政風處", 4, 1, 0, 0)]),
])
def test_undo_effects(rows, expected) -> None:
    assert undo_effects(values(rows)) == expected


def test_the_wording() -> None:
    assert (UndoEffect(112, "政風處", 3, 5, 2, 0).text()
            == "112年3月 5 個數字恢復為上一次上傳的值，2 個數字將變為未填報")
    assert UndoEffect(112, "政風處", 3, 0, 1, 1).text(with_unit=True) == (
        "政風處 112年3月 1 個數字將變為未填報，1 個數字與上一次上傳相同，不變")
