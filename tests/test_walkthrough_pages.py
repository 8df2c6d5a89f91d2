"""Defects a walkthrough found (issue 19), through AppTest: the what-if editors clamp nothing, a capped year-end
forecast says so, 落後原因 is asked for only where an indicator is behind (or has no figures), and the months
not reported are listed only on pages about the figures, a year with nothing uploaded being said once."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from catalogues import CATALOGUE, PLAN_112
from markup import seen
from metrics.plans.planning import draft_plan, save_plan, stored_catalogue
from metrics.intake.monthly import read_upload
from metrics.store import Store
from signing import sign_in

TIMEOUT = 30
REPORTER = {"username": "chou", "roles": ("reporter",), "units": ("政風處",), "display_name": "周填報"}
PLANNER = {"username": "wang", "roles": ("planner",), "display_name": "王科長"}
MISSING_MONTHS = "尚未填報任何數字的月份"


def long_csv(rows: list[tuple[int, str, object]], year: int = 112) -> bytes:
    lines = ["年度,月份,單位,項目代碼,數值"] + [f"{year},{month},政風處,{code},\"{value}\"" for month, code, value in rows]
    return ("\n".join(lines) + "\n").encode("utf-8-sig")


def ingest(url: str, data: bytes, name: str = "月報.csv") -> None:
    Store(url).ingest(read_upload(data, name, CATALOGUE), file_name=name, file_bytes=data)


def open_page(page: str, account: dict | None = None) -> AppTest:
    app = sign_in(AppTest.from_file("../dashboard.py", default_timeout=TIMEOUT), **(account or REPORTER)).run()
    if page != "dashboard.py":
        app.switch_page(page).run()
    assert not app.exception, [error.value for error in app.exception]
    return app


def texts(app: AppTest) -> str:
    parts = [element.value for kind in ("markdown", "caption", "warning", "info", "error", "success", "subheader")
             for element in getattr(app, kind)]
    return "\n".join(seen(part) for part in parts)


# ---- 情境模擬: nothing typed is clamped ----

def test_no_number_column_of_the_what_if_editors_clamps_what_is_typed(database):
    app = open_page("pages/3_情境模擬.py")
    configs = [element.proto.columns for element in app.data_editor]
    assert len(configs) == 2
    for config in configs:  # the grid turned a weight of 120 into 100 without a word
        assert '"min_value"' not in config and '"max_value"' not in config and '"step"' not in config


def test_a_what_if_weight_of_120_is_warned_about_and_not_used(database):
    app = open_page("pages/3_情境模擬.py")
    key = "whatif_targets_editor_0"  # the first generation of the editor
    row = list(PLAN_112.indicator_by_id).index("8")
    app.session_state[key] = {"edited_rows": {row: {"模擬權重": 120}}, "added_rows": [], "deleted_rows": []}
    app.run()
    assert not app.exception
    assert any("指標 8（預算執行率）的模擬權重（目前是 120）須為 0 至 100 的數字，暫以計畫權重 10 計算。" in seen(warning.value)
               for warning in app.warning)


# ---- 年底預估 capped at the indicator's natural limit ----

BUDGET = [(1, "budget_amount", 1000), (5, "actual_spent", "521.9")]  # 52.19 % by May: 125.256 % at that pace


@pytest.mark.parametrize("page", ["dashboard.py", "pages/1_指標明細.py"])
def test_the_year_end_forecast_of_budget_execution_stops_at_100_percent_and_says_so(database, page):
    ingest(database, long_csv(BUDGET))
    app = open_page(page)
    app.sidebar.selectbox(key="period_month").select(5).run()
    if page != "dashboard.py":
        app.selectbox(key="detail_indicator").select("8").run()
    assert "年底預估：100%（依趨勢推估為 125.26%，預算執行率不會超過 100%）" in texts(app)
    assert "年底預估：125.26%" not in texts(app)


# ---- 落後原因 only where it is asked for ----

def detail(app: AppTest, indicator_id: str) -> AppTest:
    app.selectbox(key="detail_indicator").select(indicator_id).run()
    assert not app.exception
    return app


def note_boxes(app: AppTest, indicator_id: str, month: int = 12) -> list:
    return [area for area in app.text_area if area.key == f"note_reason_{indicator_id}_112_政風處_{month}"]


def store_sample(url: str) -> None:
    from pathlib import Path

    sample = Path(__file__).resolve().parent.parent / "sample_data" / "112-full-year.csv"
    ingest(url, sample.read_bytes(), sample.name)


def test_the_reason_form_is_offered_for_an_indicator_behind_and_not_for_one_met(database):
    store_sample(database)  # as of 12月: 10-1 met (97.4 % of 97 %), 10-2 behind
    app = detail(open_page("pages/1_指標明細.py"), "10-1")
    assert not note_boxes(app, "10-1")
    assert "本指標本月達標，不需填寫落後原因與改進措施。" in texts(app)
    app = detail(app, "10-2")
    assert note_boxes(app, "10-2")


def test_an_indicator_without_figures_is_offered_the_form(database):
    ingest(database, long_csv([(1, "procurement_audits", 11)]))
    app = open_page("pages/1_指標明細.py")
    app.sidebar.selectbox(key="period_month").select(1).run()
    detail(app, "1")  # no 預警案件 figure: 無資料
    assert note_boxes(app, "1", 1)
    assert "本指標本月無資料（計分以 0 計）" in texts(app)


def test_a_note_saved_on_a_met_indicator_stays_visible_and_editable(database):
    store_sample(database)
    Store(database).save_note(112, "政風處", 12, "10-1", "前期落後", "已改善", author="周填報（chou）")
    app = detail(open_page("pages/1_指標明細.py"), "10-1")
    assert "**落後原因**：前期落後  \n**改進措施**：已改善" in texts(app)
    assert not note_boxes(app, "10-1")
    app.toggle(key="note_edit_10-1_112_政風處_12").set_value(True).run()
    assert [box.value for box in note_boxes(app, "10-1")] == ["前期落後"]
    app.text_area(key="note_reason_10-1_112_政風處_12").input("")
    app.text_area(key="note_action_10-1_112_政風處_12").input("")
    app.button(key="FormSubmitter:note_form_10-1_112_政風處_12-儲存說明").click().run()
    assert "10-1" not in Store(database).notes(112, "政風處", 12)


def test_a_viewer_sees_no_invitation_to_explain_a_met_indicator(database):
    store_sample(database)
    app = detail(open_page("pages/1_指標明細.py", {"username": "lin", "roles": ("viewer",)}), "10-1")
    assert "本指標本月達標，不需填寫落後原因與改進措施。" in texts(app)
    assert "落後說明" not in texts(app) and not app.text_area


# ---- the months not reported: only on pages about the figures; an empty year said once ----

def test_the_plan_page_lists_no_months_not_reported(database):
    ingest(database, long_csv([(1, "procurement_audits", 11), (3, "procurement_audits", 12)]))
    assert MISSING_MONTHS in texts(open_page("dashboard.py"))  # 2月 is missing: said where the figures are
    app = open_page("pages/5_計畫管理.py", PLANNER)
    assert MISSING_MONTHS not in texts(app) and "尚未上傳任何數字" not in texts(app)


def test_a_year_with_nothing_uploaded_is_said_once_with_the_way_to_upload(database):
    ingest(database, long_csv([(1, "procurement_audits", 11)]))
    store = Store(database)
    draft, _ = draft_plan(PLAN_112, "政風處", 113, CATALOGUE)
    save_plan(store, stored_catalogue(store, CATALOGUE), draft, author="王科長")
    app = open_page("dashboard.py")
    app.sidebar.selectbox(key="period_year").select(113).run()
    assert not app.exception
    page = texts(app)
    assert MISSING_MONTHS not in page and "⚠ 尚未填報：" not in page  # not 「1月」 missing, not once per gauge
    assert page.count("政風處 113 年度尚未上傳任何數字；請至「資料上傳」上傳月報或系統匯出檔") == 1
    links = [link for link in app.get("page_link") if link.proto.label == "前往資料上傳"]
    assert len(links) == 1 and links[0].proto.page == "資料上傳"
