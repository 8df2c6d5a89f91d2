"""The upload preview's warning about locked months (metrics.locks.locked_previews), on SQLite and PostgreSQL:
甲處's q1 (months 1–3) approved with 案件數 3 in each month; 4 月 holds 5 and is not locked."""

from __future__ import annotations

import pytest

from metrics.services.locks import locked_previews
from test_review import OTHER, OWN, ROLES, SYSTEM, approved, review, tidy  # noqa: F401 (fixtures)

# (what, the months uploaded with their 案件數, the unit) → the months the warning names, or None
CASES = [
    ("a changed locked month", {2: "9"}, OWN, "2月"),
    ("two changed locked months among unchanged ones", {1: "7", 2: "3", 3: "4"}, OWN, "1月、3月"),
    ("the same values again", {1: "3", 2: "3", 3: "3"}, OWN, None),
    ("a month outside the checkpoint", {4: "6"}, OWN, None),
    ("a new month after the checkpoint with the same locked ones", {1: "3", 5: "1"}, OWN, None),
    ("another unit's month", {2: "9"}, OTHER, None),
]


@pytest.mark.parametrize(("what", "values", "unit", "named"), CASES, ids=[case[0] for case in CASES])
def test_the_preview_names_the_locked_months_it_would_change(approved, what, values, unit, named):
    messages = locked_previews(approved.store, ROLES, [approved.store.preview(tidy(unit, values))])
    if named is None:
        assert messages == []
        return
    [message] = messages
    assert message.startswith("甲處 112 年度第一季的自評已於 ") and "由 命令列（tester） 核定" in message
    assert f"1月至3月的數字已鎖定，不能上傳（涉及 {named}）。如需修改，請洽「複核」重新開放該自評" in message


def test_nothing_is_named_once_reopened_or_before_approval(approved):
    preview = approved.store.preview(tidy(OWN, {2: "9"}))
    approved.reopen(SYSTEM, 112, OWN, "q1", "更正")
    assert locked_previews(approved.store, ROLES, [preview]) == []
    approved.submit(SYSTEM, 112, OWN, "q1", "")
    assert locked_previews(approved.store, ROLES, [preview]) == []  # submitted, not approved: nothing locked
