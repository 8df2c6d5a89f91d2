"""What changed after a reopening, on SQLite and PostgreSQL: the uploads, undos, notes and plan versions of the
unit's year between an assessment's latest reopening and its approval again, from the audit trail; and the figures
and notes that differ between those two moments (value before → after), from the batches' and the notes' history."""

from __future__ import annotations

from decimal import Decimal

import pytest

from test_review import OTHER, OWN, SYSTEM, STEPS, approved, edit_plan, review, upload  # noqa: F401 (fixtures)


def listed(review) -> list[tuple[str, str]]:
    reopened = review.since_reopening(review.store.assessment(112, OWN, "q1"))
    return [(row.action, row.subject) for row in reopened.changes]


def test_a_never_reopened_assessment_has_nothing_since(approved):
    assert approved.since_reopening(approved.store.assessment(112, OWN, "q1")) is None


def test_changes_between_the_reopening_and_the_next_approval_are_listed(approved):
    review = approved
    review.reopen(SYSTEM, 112, OWN, "q1", "三月數字誤植")
    reopened = review.since_reopening(review.store.assessment(112, OWN, "q1"))
    assert (reopened.reopening.comment, reopened.approval, reopened.changes) == ("三月數字誤植", None, ())
    upload(review, {3: "4"})  # batch 3
    upload(review, {3: "1"}, unit=OTHER)  # another unit: not listed
    review.services.save_note(SYSTEM, 112, OWN, 3, "1", "誤植", "已更正")
    edit_plan(review, SYSTEM)
    review.services.undo(SYSTEM, 3)
    upload(review, {3: "4"})  # batch 5
    for step in ("submit", "pass", "approve"):
        STEPS[step][1](review, SYSTEM, OWN)
    assert listed(review) == [
        ("上傳", "「甲處月報.csv」第 3 批"), ("落後說明", "112年3月 指標 1"), ("計畫版本", "舊甲處 112 年度計畫第 2 版"),
        ("復原", "第 3 批「甲處月報.csv」"), ("上傳", "「甲處月報.csv」第 5 批")]
    rows = review.since_reopening(review.store.assessment(112, OWN, "q1")).changes
    assert "3月" in rows[0].detail and "4" in rows[0].detail  # the figure that moved, as the trail says it
    assert review.since_reopening(review.store.assessment(112, OWN, "q1")).approval is not None
    upload(review, {5: "1"})  # after the approval again: not part of what the approval saw
    assert len(listed(review)) == 5


def differences(review) -> tuple[list[tuple], list[tuple]]:
    reopened = review.since_reopening(review.store.assessment(112, OWN, "q1"))
    return ([(item.month, item.field_name, item.indicators, item.before, item.after) for item in reopened.figures],
            [(item.month, item.indicator, item.before, item.after) for item in reopened.notes])


CASES = "案件數", ("1 辦理案件",)
CERTIFIED, STAFF = ("認證人數", ("9 認證率",)), ("現職人數", ("9 認證率",))


def redo(review):
    upload(review, {3: "4"})  # batch 3
    review.services.undo(SYSTEM, 3)
    upload(review, {3: "4"})  # batch 4


def undo_then_nothing(review):
    upload(review, {3: "4"})
    review.services.undo(SYSTEM, 3)


def a_new_month(review):
    upload(review, {5: "1"})


def undo_a_batch_from_before(review):
    review.services.undo(SYSTEM, 2)  # the batch of month 4, uploaded before the approval


def notes(review):
    review.services.save_note(SYSTEM, 112, OWN, 3, "1", "誤植", "已更正")
    review.services.save_note(SYSTEM, 112, OWN, 2, "1", "暫記", "")
    review.services.save_note(SYSTEM, 112, OWN, 2, "1", "", "")  # written and cleared again: no difference


# what is done after the reopening → (figures: month, item, indicators, before, after; notes: month, indicator, …)
# The approved fixture: 案件數 3 in months 1–3 and 5 in month 4, 認證人數 5 and 現職人數 10 in months 1–4.
DIFFERENCES = [
    (redo, [(3, *CASES, Decimal(3), Decimal(4))], []),
    (undo_then_nothing, [], []),
    (a_new_month, [(5, *CASES, None, Decimal(1)), (5, *CERTIFIED, None, Decimal(5)), (5, *STAFF, None, Decimal(10))],
     []),
    (undo_a_batch_from_before, [(4, *CASES, Decimal(5), None), (4, *CERTIFIED, Decimal(5), None),
                                (4, *STAFF, Decimal(10), None)], []),
    (notes, [], [(3, "1 辦理案件", None, ("誤植", "已更正"))]),
]


@pytest.mark.parametrize(("change", "figures", "notes_changed"), DIFFERENCES, ids=[case[0].__name__ for case in DIFFERENCES])
def test_the_figures_and_notes_that_differ_from_the_reopening(approved, change, figures, notes_changed):
    review = approved
    review.services.save_note(SYSTEM, 112, OWN, 4, "1", "原本的說明", "")  # before the reopening: not a difference
    review.reopen(SYSTEM, 112, OWN, "q1", "三月數字誤植")
    assert differences(review) == ([], [])
    change(review)
    assert differences(review) == (figures, notes_changed)


def test_what_changes_after_the_next_approval_is_not_part_of_it(approved):
    review = approved
    review.reopen(SYSTEM, 112, OWN, "q1", "三月數字誤植")
    redo(review)
    for step in ("submit", "pass", "approve"):
        STEPS[step][1](review, SYSTEM, OWN)
    upload(review, {5: "1"})
    review.services.save_note(SYSTEM, 112, OWN, 5, "1", "之後", "")
    assert differences(review) == ([(3, *CASES, Decimal(3), Decimal(4))], [])
