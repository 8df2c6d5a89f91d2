"""The 全府比較 page through AppTest on the hand-computed county fixture of test_county.py (three units, two
years of tests/fixture_plans), and the period in the URL: a bookmarked or sent link opens exactly that view."""

from __future__ import annotations

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from signing import sign_in

from catalogues import FIXTURE_PLANS
from metrics.store import Store
from test_county import tidy
from markup import seen

COUNTY = "pages/6_全府比較.py"


@pytest.fixture
def county(tmp_path, monkeypatch) -> str:
    url = f"sqlite:///{tmp_path / 'kpi.sqlite3'}"
    monkeypatch.setenv("KPI_DB_URL", url)
    monkeypatch.setenv("KPI_PLANS_DIR", str(FIXTURE_PLANS))
    Store(url).ingest(tidy(), file_name="x.csv", file_bytes=b"x")
    return url


def open_page(page: str, **params: str) -> AppTest:
    app = sign_in(AppTest.from_file("../dashboard.py", default_timeout=30))
    for key, value in params.items():
        app.query_params[key] = value
    app.run()
    if page != "dashboard.py":
        app.switch_page(page)
        for key, value in params.items():
            app.query_params[key] = value
        app.run()
    assert not app.exception, [error.value for error in app.exception]
    return app


def texts(app: AppTest) -> str:
    return "\n".join(seen(element.value) for kind in ("markdown", "caption", "warning", "info", "error", "success",
                                                     "subheader") for element in getattr(app, kind))


def test_the_comparison_missing_reports_and_points_as_of_march(county):
    app = open_page(COUNTY, year="112", month="3")
    assert "112 年度共同性指標｜統計至 112年3月（3 個單位）" in texts(app)
    comparison, missing, points = (table.value for table in app.dataframe)
    assert comparison.to_dict("records") == [
        {"單位": "舊甲處", "名次": 1, "共同性指標加權分數": 100.0, "9 認證率": 60.0},
        {"單位": "丙處", "名次": 2, "共同性指標加權分數": 80.0, "9 認證率": 40.0},
        {"單位": "乙處", "名次": 3, "共同性指標加權分數": 50.0, "9 認證率": 25.0}]
    assert missing["單位"].tolist() == ["舊甲處", "丙處"]
    assert missing["未填報的項目"].tolist() == ["認證人數、現職人數", "認證人數、現職人數"]
    assert points.iloc[0].tolist() == ["舊甲處", 112, 10.0, 10.0]
    chooser = app.selectbox(key="county_unit")
    assert chooser.options == ["舊甲處", "丙處", "乙處"]
    chooser.select("乙處").run()
    link = next(link for link in app.get("page_link") if link.proto.label.startswith("開啟乙處"))
    assert link.proto.label == "開啟乙處的總覽（112年3月）"


def test_the_url_names_the_view_and_a_link_opens_it(county):
    app = open_page("dashboard.py", year="112", unit="乙處", month="3")
    assert app.sidebar.selectbox(key="period_unit").value == "乙處"
    assert app.sidebar.selectbox(key="period_month").value == 3
    assert "乙處｜統計至 112年3月" in texts(app)
    assert dict(app.query_params) == {"year": "112", "unit": "乙處", "month": "3"}
    app.sidebar.selectbox(key="period_unit").select("丙處").run()
    assert app.query_params["unit"] == "丙處"  # the URL follows the choice, so it can be bookmarked


def test_the_detail_page_takes_the_indicator_from_the_url(county):
    app = open_page("pages/1_指標明細.py", year="112", unit="甲", month="3", indicator="9")
    assert app.selectbox(key="detail_indicator").value == "9"
    assert "指標 9：認證率" in texts(app)
    assert app.query_params["unit"] == "甲處" and app.query_params["indicator"] == "9"


@pytest.mark.parametrize(("params", "message"), [
    ({"year": "111"}, "網址中的年度「111」沒有任何計畫"),
    ({"year": "abc"}, "網址中的年度「abc」沒有任何計畫"),
    ({"year": "112", "unit": "法制處"}, "網址中的單位「法制處」不是本府的單位"),
    ({"year": "113", "unit": "乙處"}, "網址中的單位「乙處」沒有 113 年度的計畫"),
    ({"month": "13"}, "網址中的月份「13」須為 1 至 12"),
])
def test_an_unknown_year_unit_or_month_in_the_url_is_said_plainly(county, params, message):
    app = open_page("dashboard.py", **params)
    warnings = [warning.value for warning in app.warning]
    assert any(message in warning and "以下顯示" in warning for warning in warnings), warnings


def test_an_unknown_indicator_in_the_url_is_said_plainly(county):
    app = open_page("pages/1_指標明細.py", year="112", unit="甲處", indicator="99")
    assert any("網址中的指標「99」不在本計畫中（可用：1、9）" in warning.value for warning in app.warning)


def test_over_time_last_month_and_last_year(county):
    app = open_page("pages/1_指標明細.py", year="113", unit="甲處", month="2", indicator="9")
    # 113年2月 70 % (7 of 10); 112年2月 60 % (3 of 5, January's stock) judged against 112's 50 %
    assert "去年同期 60%（達標，目標 50%）" in texts(app)
    january = open_page("dashboard.py", year="112", unit="甲處", month="3")
    assert "較上月 -2 案" not in texts(january) and "較上月 +2 案" in texts(january)  # cases: 7 → 9


def display(table) -> list[list[str]]:
    """The cells as the grid draws them (a Styler's display values)."""
    from streamlit import dataframe_util

    shown = dataframe_util.convert_arrow_bytes_to_pandas_df(table.proto.arrow_data.styler.display_values)
    return shown.values.tolist()


def plain(table) -> list[list[str]]:
    """The cells of a table without a Styler as the grid draws them by its default number format: whole numbers
    without decimals or separators, an empty cell as the table's placeholder."""
    assert not table.proto.arrow_data.styler.display_values
    return [[table.proto.placeholder if pd.isna(value) else f"{value:g}" if isinstance(value, float) else str(value)
             for value in row] for row in table.value.astype(object).values.tolist()]


def test_missing_values_are_a_dash_never_none(county):
    # as of 112年1月 only 甲處 has reported: 乙處 and 丙處 have no score, no rank and no 認證率
    app = open_page(COUNTY, year="112", month="1")
    comparison, _, points = app.dataframe
    assert display(comparison) == [["舊甲處", "1", "100 分", "60%"], ["乙處", "—", "—", "—"], ["丙處", "—", "—", "—"]]
    # goal 9: 乙處 and 丙處 never met → no first year; 113 not yet decided for them
    assert plain(points) == [["舊甲處", "112", "10", "10"], ["乙處", "—", "0", "—"], ["丙處", "—", "0", "—"]]
    # the grid draws an empty cell with the table's placeholder (without one: "None"), whatever the Styler says
    assert [table.proto.placeholder for table in app.dataframe] == ["—", "—", "—"]
    app.toggle(key="county_parts").set_value(True).run()
    assert display(app.dataframe[0])[1] == ["乙處", "—", "—", "無資料"]
    assert app.dataframe[0].proto.placeholder == "—"


def test_a_link_to_another_unit_keeps_the_county_pages_month(county):
    # 甲處's default month is 1 (its last month with every figure), 乙處's is 3: the link's month 1 is meant
    app = open_page(COUNTY, year="112", unit="甲處")
    assert "統計至 112年1月" in texts(app)
    app.switch_page("dashboard.py")
    app.query_params.update(year="112", unit="乙處", month="1")
    app.run()
    assert "乙處｜統計至 112年1月" in texts(app)
    assert app.sidebar.selectbox(key="period_month").value == 1


def test_a_chosen_row_opens_that_unit_at_the_pages_year_and_month():
    from test_county import CATALOGUE, tidy
    from metrics.evaluation.county import county_view
    from ui.county import OVERVIEW, target_of

    view = county_view(CATALOGUE, tidy(), 112, 3)  # ranked 甲處, 丙處, 乙處
    assert target_of(view, [2]) == (OVERVIEW, {"year": "112", "unit": "乙處", "month": "3"})
    assert target_of(view, []) is None and target_of(view, [3]) is None


def test_every_header_of_the_sample_comparison_fits_its_column(database):
    import json

    from test_pages import open_app

    app = open_app("全府比較")
    config = json.loads(app.dataframe[0].proto.columns)
    widths = {settings.get("label") or column: settings["width"] for column, settings in config.items()
              if not settings.get("hidden")}
    # a 14-pixel CJK glyph is 14 pixels wide, a digit or a hyphen about 8; 16 pixels of padding and 20 of sort arrow
    assert widths["10-2 公文線上簽核比率"] >= 5 * 8 + 8 * 14 + 36
    assert widths["6 聘僱臨時人力精簡率"] >= 2 * 8 + 8 * 14 + 36
    assert widths["加權分數"] >= 4 * 14 + 36 and widths["名次"] >= 2 * 14 + 36
    assert all(width >= 2 * 14 + 36 for width in widths.values())
