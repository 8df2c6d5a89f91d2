"""計畫管理 edits the kind columns through AppTest: a count made a ceiling (方向 ≤) is saved as a new version
with the change named; a milestone's stages typed wrong are refused naming the row and the 階段 column."""

from __future__ import annotations

from metrics.plans.kinds import Direction
from metrics.store import Store
from markup import seen
from test_plan_page import database, edit, in_force, open_page, texts  # noqa: F401 (database is a fixture)


def test_a_planner_makes_a_count_a_ceiling_and_saves_it(database):
    app = open_page()
    edit(app, in_force(database), "edit_plan", {0: {"方向": "≤ 反向指標（目標為上限）"}})
    change = "指標 1 方向 越高越好 → 越低越好（反向指標，目標為上限）"
    assert change in texts(app)
    next(button for button in app.button if button.form_id.startswith("edit_plan_save")).click().run()
    assert not app.exception
    versions = Store(database).plan_versions(112, "政風處")
    assert [(version.number, version.changes) for version in versions] == [(1, ()), (2, (change,))]
    assert in_force(database).indicator_by_id["1"].direction is Direction.AT_MOST


def test_stages_typed_wrong_are_refused_naming_the_cell(database):
    app = open_page()
    edit(app, in_force(database), "edit_plan", {0: {"公式": "milestone", "階段": "規劃：60%；招標：40%"}})
    errors = "\n".join(seen(error.value) for error in app.error)
    assert "尚不能儲存" in errors
    assert "第 1 列「階段」欄：指標 1 的第 2 階段「招標」的 percent 40 須大於前一階段的 60" in errors
    assert not [button for button in app.button if button.form_id.startswith("edit_plan_save")]
    assert [version.number for version in Store(database).plan_versions(112, "政風處")] == [1]
