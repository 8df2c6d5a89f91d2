"""The 計畫管理 page and the period choice through AppTest: a planner edits a target and the old version stays
viewable, next year's plan is drafted from this year's and saved, the sidebar offers only (year, unit)s that
have a plan, and figures without a plan are said, never shown against another plan."""

from __future__ import annotations

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from signing import make_account, sign_in

from catalogues import CATALOGUE
from metrics.plans.planning import stored_catalogue
from metrics.intake.monthly import read_upload
from metrics.store import Store
from ui.plans import editor_key
from markup import seen

TIMEOUT = 30
SAMPLE = "sample_data/112-full-year.csv"


@pytest.fixture
def database(tmp_path, monkeypatch) -> str:
    url = f"sqlite:///{tmp_path / 'kpi.sqlite3'}"
    monkeypatch.setenv("KPI_DB_URL", url)
    data = open(SAMPLE, "rb").read()
    Store(url).ingest(read_upload(data, "112-full-year.csv", CATALOGUE), file_name="112-full-year.csv", file_bytes=data)
    return url


PLANNER = {"username": "wang", "roles": ("planner",), "display_name": "王科長"}


def open_page(page: str = "pages/5_計畫管理.py", **account) -> AppTest:
    app = sign_in(AppTest.from_file("../dashboard.py", default_timeout=TIMEOUT), **(account or PLANNER)).run()
    if page != "dashboard.py":
        app.switch_page(page).run()
    assert not app.exception, [error.value for error in app.exception]
    return app


def texts(app: AppTest) -> str:
    return "\n".join(seen(element.value) for kind in ("markdown", "caption", "warning", "info", "error", "success")
                     for element in getattr(app, kind))


def in_force(url: str, year: int = 112, unit: str = "政風處"):
    return stored_catalogue(Store(url), CATALOGUE).plan(year, unit)


def edit(app: AppTest, plan, prefix: str, edits: dict) -> AppTest:
    app.session_state[editor_key(prefix, plan, "indicators")] = {"edited_rows": edits, "added_rows": [],
                                                                 "deleted_rows": []}
    app.run()
    assert not app.exception, [error.value for error in app.exception]
    return app


def test_a_planner_changes_a_target_and_the_old_version_stays(database):
    app = open_page()
    plan = in_force(database)
    assert plan.version.number == 1  # the app seeded the store from plans/ on start
    edit(app, plan, "edit_plan", {7: {"目標值": 45}})  # row 7 is indicator 7, 客語認證完成率
    assert "指標 7 目標值 40.7% → 45%" in texts(app)
    assert "修改人：王科長（wang）" in texts(app)
    app.text_input(key="edit_plan_note").input("依 112 年度修正計畫")
    next(button for button in app.button if button.form_id.startswith("edit_plan_save")).click().run()
    assert not app.exception
    assert any("已儲存 政風處 112 年度計畫第 2 版（1 項修改）" in message.value for message in app.success)
    versions = Store(database).plan_versions(112, "政風處")
    assert [(version.number, version.author, version.changes) for version in versions] == [
        (1, "系統（計畫檔）", ()), (2, "王科長（wang）", ("指標 7 目標值 40.7% → 45%",))]
    assert "**第 2 版（現行）**" in texts(app) and "- 指標 7 目標值 40.7% → 45%" in texts(app)

    app.selectbox(key="plan_version_112_政風處").select(1).run()
    shown = next(table.value for table in app.dataframe if "目標值" in table.value.columns)
    assert shown.loc[shown["指標代號"] == "7", "目標值"].item() == 40.7

    overview = open_page("dashboard.py")
    assert "計畫第 2 版" in texts(overview)
    assert "狀態：落後｜目標 45%" in texts(overview)  # 11 of 27 = 40.74 % no longer meets 45 %


def test_nothing_is_saved_with_a_broken_table(database):
    app = open_page()
    plan = in_force(database)
    edit(app, plan, "edit_plan", {0: {"權重": None, "公式": "count", "分子": "warning_cases ÷"}})
    errors = [error.value for error in app.error]
    assert errors and "尚不能儲存" in errors[0] and "看不懂" in errors[0]
    assert not [button for button in app.button if button.form_id.startswith("edit_plan_save")]
    assert [version.number for version in Store(database).plan_versions(112, "政風處")] == [1]


@pytest.mark.parametrize(("account", "reason"), [
    ({}, "請先登入才能編修政風處計畫。"),
    ({"username": "lee", "roles": ("reporter",), "units": ("政風處",)},
     "您沒有編修政風處計畫的權限（您的角色：填報人）。如需此權限，請洽系統管理者。"),
])
def test_only_planners_see_the_editor(database, account, reason):
    app = AppTest.from_file("../dashboard.py", default_timeout=TIMEOUT)
    make_account(database)  # not a fresh install: somebody is the administrator
    if account:
        sign_in(app, **account)
    app.run().switch_page("pages/5_計畫管理.py").run()
    assert not app.exception
    assert [info.value for info in app.info].count(reason) == 3  # the edit, new-plan and plan-document tabs
    assert not app.data_editor and not app.get("file_uploader")
    assert "計畫第 1 版" in texts(app)  # the plans and their versions stay readable


def test_a_common_indicator_keeps_its_formula(database):
    app = open_page()
    edit(app, in_force(database), "edit_plan", {10: {"公式": "percent", "分母": "gender_impact_reviews"}})
    assert any("共同性指標 9-2 不可改變公式、分母" in seen(error.value) for error in app.error)


def test_next_years_plan_is_drafted_from_this_years_and_appears_in_the_sidebar(database):
    app = open_page()
    assert app.selectbox(key="new_plan_unit").value == "政風處"
    assert app.text_input(key="new_plan_year").value == "113"
    assert "common.toml 尚未訂定 113 年度共同性指標的目標值與權重，暫以 政風處 112 年度計畫的數值填入，請確認。" in texts(app)
    assert "新增政風處 113 年度計畫（13 項指標）" in texts(app)
    next(button for button in app.button if button.form_id.startswith("new_plan_save")).click().run()
    assert not app.exception
    assert [(version.year, version.number) for version in Store(database).plan_versions(unit="政風處")] == [
        (112, 1), (113, 1)]
    assert {"112年", "113年"} <= set(app.sidebar.selectbox(key="period_year").options)
    app.sidebar.selectbox(key="period_year").select(113).run()
    assert app.tabs[1].label == "政風處 113 年度：版本與修改紀錄"


def test_the_sidebar_offers_plans_and_names_figures_without_one(database):
    store = Store(database)
    orphan = pd.DataFrame([{"year": 113, "month": 1, "unit": "人事處", "field": "staff_headcount", "value": 30,
                            "source_file": "x.csv", "source_sheet": "", "source_cell": "E2"}])
    store.ingest(orphan, file_name="x.csv", file_bytes=b"x")  # as an older release could have stored it
    app = open_page("dashboard.py")
    assert "113年" not in app.sidebar.selectbox(key="period_year").options
    assert "人事處" not in app.sidebar.selectbox(key="period_unit").options
    assert any("資料庫中有 人事處 113年 的數字，但沒有該年度該單位的計畫，因此不顯示也不計分" in warning.value
               for warning in app.warning)


def test_sample_mode_offers_the_sample_plans_labelled_範例(tmp_path, monkeypatch):
    monkeypatch.setenv("KPI_DB_URL", f"sqlite:///{tmp_path / 'empty.sqlite3'}")
    app = open_page("dashboard.py")
    assert app.sidebar.selectbox(key="period_year").value == 112
    assert {"人事處（範例）", "政風處"} <= set(app.sidebar.selectbox(key="period_unit").options)
    app.sidebar.selectbox(key="period_unit").select("人事處").run()
    assert any("人事處 112 年度（範例）是範例計畫" in info.value for info in app.info)
    gauges = [chart for chart in app.get("plotly_chart") if "_gauge_" in chart.proto.id]
    assert len(gauges) == 7  # the common indicators only
    app.sidebar.selectbox(key="period_year").select(113).run()
    assert "政風處（範例）" in app.sidebar.selectbox(key="period_unit").options


def test_the_upload_history_names_the_unit_and_year_of_each_batch(database):
    app = open_page("pages/2_資料上傳.py")
    assert "第 1 批｜112-full-year.csv｜政風處 112年｜" in texts(app)
    assert "下載政風處 112 年度月報範本（.xlsx）" in [button.label for button in app.get("download_button")]


def test_in_sample_mode_figures_are_still_checked_against_official_plans_only(tmp_path, monkeypatch):
    monkeypatch.setenv("KPI_DB_URL", f"sqlite:///{tmp_path / 'empty.sqlite3'}")
    app = open_page("pages/2_資料上傳.py", username="tester")
    app.sidebar.selectbox(key="period_year").select(113).run()
    assert any("左側選擇的是範例計畫（政風處 113 年度（範例））" in warning.value for warning in app.warning)
    csv = "年度,月份,單位,項目代碼,數值\n113,1,政風處,procurement_audits,12\n".encode("utf-8")
    app.file_uploader[0].set_value([("113.csv", csv, "text/csv")]).run()
    errors = " ".join(error.value for error in app.error)
    assert "沒有 政風處 113 年度的計畫" in errors and "現有計畫：112 年度 政風處。" in errors
    assert Store(f"sqlite:///{tmp_path / 'empty.sqlite3'}").is_empty()


def test_a_sample_plan_is_never_the_draft_of_an_official_one(tmp_path, monkeypatch):
    monkeypatch.setenv("KPI_DB_URL", f"sqlite:///{tmp_path / 'empty.sqlite3'}")
    app = open_page()
    assert app.text_input(key="new_plan_year").value == "113"  # the official 112 plan is the latest 政風處 has
    assert app.selectbox(key="new_plan_base").options == ["政風處 112 年度計畫"]
    app.selectbox(key="new_plan_unit").select("人事處").run()
    assert app.selectbox(key="new_plan_base").options == ["政風處 112 年度計畫"]
    assert "以政風處 112 年度計畫的共同性指標為底稿（該單位自訂的指標不帶入）" in texts(app)


@pytest.mark.parametrize(("edits", "message"), [
    ({"權重": -5}, "指標 1 權重缺漏或不大於 0（目前是 -5）"),
    ({"權重": 120}, "指標 1 權重 120% 超過 100%"),
    ({"目標值": None}, "指標 1：請填目標值"),
])
def test_a_wrong_number_is_refused_naming_indicator_and_value(database, edits, message):
    app = open_page()
    edit(app, in_force(database), "edit_plan", {0: edits})
    errors = "\n".join(seen(error.value) for error in app.error)
    assert "尚不能儲存" in errors and message in errors and "目前是 0" not in errors
    assert not [button for button in app.button if button.form_id.startswith("edit_plan_save")]


def test_no_number_column_of_the_editor_clamps_what_is_typed(database):
    app = open_page()
    configs = [element.proto.columns for element in app.data_editor]
    assert configs and all('"min_value"' not in config and '"max_value"' not in config and '"step"' not in config
                           for config in configs)  # the grid moved −5 to 5 without a word


@pytest.mark.parametrize(("typed", "message"), [
    ("abc", "年度「abc」不是整數"), ("", "年度「空白」不是整數"), ("300", "年度 300 不在民國 100～200 年之間"),
])
def test_a_wrong_year_for_a_new_plan_is_refused_not_moved_into_range(database, typed, message):
    app = open_page()
    app.text_input(key="new_plan_year").input(typed).run()
    assert any(message in seen(error.value) for error in app.error)
    assert not [button for button in app.button if button.form_id.startswith("new_plan_save")]
