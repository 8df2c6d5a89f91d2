"""What changed after a reopening, on SQLite and PostgreSQL: the uploads, undos, notes and plan versions of the
unit's year between an assessment's latest reopening and its approval again, from the audit trail."""

from __future__ import annotations

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
