"""A growth indicator whose base year has no stored figure of its field for the unit, and no base_value, is
flagged naming the year: by Figures.missing_bases, by `plans check` when a store is there, and on 計畫管理 (the
editor and 計畫一覽) (tests/fixture_kinds/114/丁處.toml: indicator 10 compares 觀光人次 with 113 from the store; 11 and 12 have a
base_value and are never flagged)."""

from __future__ import annotations

from decimal import Decimal

import pandas as pd
import pytest

from metrics import cli
from metrics.evaluation.figures import Figures
from metrics.intake.tidy import empty_tidy_frame
from metrics.store import Store
from markup import seen
from test_kinds_evaluation import PLAN
from test_kinds_plans import KINDS_PLANS
from test_plan_page import database, edit, in_force, open_page  # noqa: F401 (database is a fixture)

FLAGGED = ("丁處 114 年度指標 10「觀光人次成長率」的基準年度 113 年：資料庫中沒有丁處 113 年的「觀光人次」，"
           "計畫也沒有基準值（base_value），成長率將顯示無資料；請上傳 113 年的月報，或填基準值（113 年全年的數值）")


def frame(rows) -> pd.DataFrame:
    return pd.DataFrame([{"year": y, "month": m, "unit": u, "field": f, "value": Decimal(v), "source_file": "x.csv",
                          "source_sheet": "", "source_cell": ""} for y, m, u, f, v in rows],
                        columns=list(empty_tidy_frame().columns))


@pytest.mark.parametrize(("rows", "flagged"), [
    ([], [FLAGGED]),  # nothing stored at all
    ([(114, 1, "丁處", "visitors", 110)], [FLAGGED]),  # the plan's own year only
    ([(113, 1, "戊處", "visitors", 100)], [FLAGGED]),  # another unit's 113
    ([(112, 1, "丁處", "visitors", 100)], [FLAGGED]),  # another year of the unit
    ([(113, 1, "丁處", "accidents", 100)], [FLAGGED]),  # another field of the unit's 113
    ([(113, 12, "丁處", "visitors", 0)], []),  # a 0 is a figure: the base year is there (growth says 不適用)
    ([(113, 1, "丁處", "visitors", 100)], []),
])
def test_a_base_year_without_figures_is_named(rows, flagged):
    assert Figures.from_frame(PLAN, frame(rows)).missing_bases() == flagged


def sqlite_store(tmp_path, rows) -> str:
    url = f"sqlite:///{tmp_path / 'kpi.sqlite3'}"
    store = Store(url)
    if rows:
        store.ingest(frame(rows), file_name="113.csv", file_bytes=b"113")
    return url


@pytest.mark.parametrize(("rows", "line"), [
    ([(114, 1, "丁處", "visitors", 110)], f"注意：{FLAGGED}"),
    ([(113, 1, "丁處", "visitors", 100)], "成長率指標的基準年度都已有數字或基準值（1 個計畫）。"),
])
def test_plans_check_names_a_base_year_the_store_lacks(tmp_path, capsys, rows, line):
    url = sqlite_store(tmp_path, rows)
    assert cli.main(["--plans", str(KINDS_PLANS), "plans", "check", "--db", url]) == 0  # a warning, not an error
    assert line in capsys.readouterr().out


def test_plans_check_without_a_store_says_the_base_years_are_unchecked(tmp_path, capsys):
    missing = f"sqlite:///{tmp_path / 'none.sqlite3'}"
    assert cli.main(["--plans", str(KINDS_PLANS), "plans", "check", "--db", missing]) == 0
    assert "注意：找不到資料庫，未核對 1 個計畫的成長率指標基準年度是否已上傳" in capsys.readouterr().out
    assert not (tmp_path / "none.sqlite3").exists()


@pytest.mark.parametrize(("edits", "flagged"), [
    ({"基準值": None}, True),
    ({"基準值": 30}, False),
])
def test_the_editor_names_a_base_year_the_store_lacks(database, edits, flagged):
    app = open_page()
    edit(app, in_force(database), "edit_plan", {0: {"公式": "growth", "差距規則": "difference", "基準年度": 111, **edits}})
    warnings = "\n".join(seen(warning.value) for warning in app.warning)
    message = "政風處 112 年度指標 1「辦理預警案件」的基準年度 111 年：資料庫中沒有政風處 111 年的「"
    assert (message in warnings) is flagged, warnings
    assert [button for button in app.button if button.form_id.startswith("edit_plan_save")]  # it may still be saved


@pytest.mark.parametrize(("rows", "flagged"), [
    ([(114, 1, "丁處", "visitors", 110)], True),  # the plan's own year stored, not 113
    ([(113, 1, "丁處", "visitors", 100), (114, 1, "丁處", "visitors", 110)], False),
])
def test_the_plans_overview_names_a_base_year_the_store_lacks(tmp_path, monkeypatch, rows, flagged):
    monkeypatch.setenv("KPI_DB_URL", sqlite_store(tmp_path, rows))
    monkeypatch.setenv("KPI_PLANS_DIR", str(KINDS_PLANS))
    app = open_page()  # 計畫管理, its first tab 計畫一覽
    warnings = [seen(warning.value) for warning in app.tabs[0].warning]
    if flagged:
        assert warnings == [f"**成長率指標的基準年度尚無數字**（可以之後再上傳，計畫仍可使用）：\n\n- {FLAGGED}"]
    else:
        assert warnings == []
