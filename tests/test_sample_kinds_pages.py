"""The 範例 plan of every kind (工務處 113) in sample mode through AppTest: its overview shows its own five
indicators and the common ones, and 全府比較 of 113 ranks it with 政風處 113 on the common indicators."""

from __future__ import annotations

from test_county_page import COUNTY, open_page, texts


def test_the_sample_plan_of_every_kind_is_shown_in_sample_mode(tmp_path, monkeypatch):
    monkeypatch.setenv("KPI_DB_URL", f"sqlite:///{tmp_path / 'empty.sqlite3'}")
    app = open_page("dashboard.py", year="113", unit="工務處", month="6")
    assert app.sidebar.selectbox(key="period_unit").value == "工務處"
    shown = texts(app)
    assert "工務處 113 年度（範例）是範例計畫" in shown
    gauges = [chart for chart in app.get("plotly_chart") if "_gauge_" in chart.proto.id]
    assert len(gauges) == 12  # five of its own and seven common indicators


def test_the_county_view_of_113_ranks_it_with_the_other_sample_unit(tmp_path, monkeypatch):
    monkeypatch.setenv("KPI_DB_URL", f"sqlite:///{tmp_path / 'empty.sqlite3'}")
    app = open_page(COUNTY, year="113", month="6")
    comparison = app.dataframe[0].value
    assert sorted(comparison["單位"].str.replace("（範例）", "")) == ["工務處", "政風處"]
