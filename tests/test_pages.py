"""The dashboard's pages through Streamlit's AppTest: every page renders from an empty store (the
sample year, labelled 範例資料) and from a stored year; uploads, undo, what-if and notes work.

Expected numbers are the sample year's (sample_data/README.md): as of 12月 11 met, 2 behind,
score 67,795 ÷ 684 = 99.12; as of 6月 3 met, 5 on track, 5 behind, score 51.44 (hand computation
in test_overview_score_and_counts).
"""

import io
import json
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace

import pytest
from streamlit.testing.v1 import AppTest

from metrics.evaluation import evaluate
from metrics.figures import Figures
from metrics.plan import PLAN_112
from metrics.reading import read_upload
from metrics.store import Store
from metrics.template import build_template

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "sample_data" / "112-full-year.csv"
PAGES = {
    "總覽": "dashboard.py",
    "指標明細": "pages/1_指標明細.py",
    "資料上傳": "pages/2_資料上傳.py",
    "情境模擬": "pages/3_情境模擬.py",
    "報表匯出": "pages/4_報表匯出.py",
}
TIMEOUT = 30
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture
def database(tmp_path, monkeypatch) -> str:
    url = f"sqlite:///{tmp_path / 'kpi.sqlite3'}"
    monkeypatch.setenv("KPI_DB_URL", url)
    return url


def open_app(page: str = "總覽") -> AppTest:
    app = AppTest.from_file("../dashboard.py", default_timeout=TIMEOUT).run()
    if page != "總覽":
        app.switch_page(PAGES[page]).run()
    assert not app.exception, [error.value for error in app.exception]
    return app


def go(app: AppTest, page: str) -> AppTest:
    app.switch_page(PAGES[page]).run()
    assert not app.exception, [error.value for error in app.exception]
    return app


def store_sample(url: str) -> None:
    data = SAMPLE.read_bytes()
    Store(url).ingest(read_upload(data, SAMPLE.name), file_name=SAMPLE.name, file_bytes=data)


def texts(app: AppTest) -> str:
    parts = [element.value for kind in ("markdown", "caption", "warning", "info", "error", "success", "subheader")
             for element in getattr(app, kind)]
    return "\n".join(str(part) for part in parts)


def metrics(app: AppTest) -> dict[str, str]:
    return {metric.label: metric.value for metric in app.metric}


def gauge(app: AppTest, key: str) -> dict:
    charts = [chart for chart in app.get("plotly_chart") if chart.proto.id.endswith(f"-{key}")]
    assert len(charts) == 1, key
    return json.loads(charts[0].proto.spec)["data"][0]


def table_with(app: AppTest, column: str):
    """The first table (st.dataframe) showing this column; st.dataframe has no key to look it up by."""
    return next(table.value for table in app.dataframe if column in table.value.columns)


def long_csv(rows: list[tuple[int, str, object]], year: int = 112) -> bytes:
    lines = ["年度,月份,單位,項目代碼,數值"] + [f"{year},{month},政風處,{code},\"{value}\"" for month, code, value in rows]
    return ("\n".join(lines) + "\n").encode("utf-8-sig")


def stored_values(url: str) -> dict[tuple[int, str], Decimal]:
    frame = Store(url).current_frame()
    return {(int(month), code): value for month, code, value in zip(frame["month"], frame["field"], frame["value"])}


@pytest.mark.parametrize("page", PAGES)
def test_every_page_renders_from_an_empty_store_with_the_sample(database, page):
    app = open_app(page)
    assert [title.value for title in app.title] == [page]
    assert not app.error
    assert any("範例資料" in warning.value for warning in app.warning)
    assert [link.proto.label for link in app.get("page_link")] == list(PAGES)
    assert Store(database).is_empty()  # the sample is shown, never stored behind the user's back


@pytest.mark.parametrize("page", PAGES)
def test_every_page_renders_from_a_stored_year(database, page):
    store_sample(database)
    app = open_app(page)
    assert [title.value for title in app.title] == [page]
    assert not app.error
    assert not any("範例資料" in warning.value for warning in app.warning)
    assert "最近上傳：" in texts(app) and "112-full-year.csv" in texts(app)


@pytest.mark.parametrize(("month", "score", "met", "on_track", "behind"), [
    (12, "99.12 分", "11 項", "0 項", "2 項"),
    # 6月: weights × achievements = 12.5×1/2 + 12.5×66/130 + 12.5×67/150 + 0 + 2.5×2/4 + 2.5 + 5 + 5×37.04/40.7
    # + 10×42.72/85 + 0 + 5×1/2 + 5 + 5×70.08/72 = 48.8724; ÷ 95 × 100 = 51.44
    (6, "51.44 分", "3 項", "5 項", "5 項"),
])
def test_overview_score_and_counts(database, month, score, met, on_track, behind):
    store_sample(database)
    app = open_app()
    app.sidebar.selectbox(key="period_month").select(month).run()
    assert metrics(app) == {"加權分數": score, "達標": met, "符合進度": on_track, "落後": behind, "無資料": "0 項"}
    assert "計畫權重合計 95%（計畫原訂，未調整為 100%）" in texts(app)
    assert f"統計至 112年{month}月" in texts(app)


def test_overview_gauges(database):
    app = open_app()  # the sample year, as of its latest month (12月)
    assert app.sidebar.selectbox(key="period_month").value == 12
    edoc = gauge(app, "overview_gauge_10-1")
    assert (edoc["value"], edoc["gauge"]["threshold"]["value"], edoc["number"]["suffix"]) == (97.4, 97, "%")
    complaints = gauge(app, "overview_gauge_3")
    assert (complaints["value"], complaints["delta"]["reference"]) == (141, 150)
    page = texts(app)
    assert "電子發文件數 1,385 / 發文總件數 1,422 件" in page
    assert "狀態：落後｜目標 150 案｜達成率 94%  \n差距：還需 9 案  \n年底預估：141 案" in page
    for goal in PLAN_112.goals:
        assert f"#### 目標 {goal.number}　{goal.title}" in page


def test_months_not_reported_are_flagged(database):
    data = long_csv([(1, "procurement_audits", 11), (3, "procurement_audits", 12)])
    Store(database).ingest(read_upload(data, "q1.csv"), file_name="q1.csv", file_bytes=data)
    app = open_app()
    assert "尚未填報任何數字的月份：2月" in texts(app)
    assert "⚠ 尚未填報：2月" in texts(app)
    assert metrics(app)["無資料"] == "12 項"


def test_month_choice_survives_switching_pages(database):
    app = open_app()
    app.sidebar.selectbox(key="period_month").select(6).run()
    go(app, "報表匯出")
    assert app.sidebar.selectbox(key="period_month").value == 6
    assert "統計至 112 年 6 月" in texts(app)
    go(app, "總覽")
    assert app.sidebar.selectbox(key="period_month").value == 6


def test_load_the_sample_into_the_store(database):
    app = open_app()
    app.button(key="load_sample").click().run()
    assert len(Store(database).current_frame()) == 312
    assert any("範例資料已存入資料庫" in message.value for message in app.success)
    assert not any("範例資料" in warning.value for warning in app.warning)


def upload(app: AppTest, files: list[tuple[str, bytes]]) -> AppTest:
    app.file_uploader[0].set_value([(name, data, XLSX if name.endswith("xlsx") else "text/csv")
                                    for name, data in files]).run()
    assert not app.exception, [error.value for error in app.exception]
    return app


def test_upload_several_files_then_confirm(database):
    january = build_template(PLAN_112, values={("procurement_audits", 1): Decimal(11), ("budget_amount", 1): Decimal(21288)})
    february = long_csv([(2, "procurement_audits", 12), (2, "edoc_sent_total", "1,216")])
    app = upload(open_app("資料上傳"), [("112-01.xlsx", january), ("112-02.csv", february)])
    page = texts(app)
    assert "**112-01.xlsx**：112年1月，共 2 筆（新增 2、修改 0、相同 0）" in page
    assert "**112-02.csv**：112年2月，共 2 筆（新增 2、修改 0、相同 0）" in page
    assert Store(database).is_empty()  # nothing is stored before the confirmation

    app.text_input(key="uploader_name").input("王小明").run()
    app.button(key="confirm_upload").click().run()
    assert not app.exception and not app.error
    assert stored_values(database) == {(1, "procurement_audits"): 11, (1, "budget_amount"): 21288,
                                       (2, "procurement_audits"): 12, (2, "edoc_sent_total"): 1216}
    assert [message.value.split("：")[0] for message in app.success] == ["112-01.xlsx", "112-02.csv"]
    assert [(batch.file_name, batch.uploader) for batch in Store(database).history()] == [
        ("112-02.csv", "王小明"), ("112-01.xlsx", "王小明")]
    assert not app.file_uploader[0].value  # a fresh uploader: the same files are not stored twice
    assert "第 2 批｜112-02.csv" in texts(app) and "第 1 批｜112-01.xlsx" in texts(app)


def test_a_bad_file_refuses_every_selected_file(database):
    good = long_csv([(1, "procurement_audits", 11)])
    bad = long_csv([(1, "procurement_audits", 11), (1, "complaints_completed", "abc")])
    app = upload(open_app("資料上傳"), [("good.csv", good), ("bad.csv", bad)])
    errors = [error.value for error in app.error]
    assert len(errors) == 1
    assert "**bad.csv**" in errors[0] and "儲存格 E3" in errors[0] and "abc" in errors[0]
    assert any("所有選取的檔案都未儲存" in warning.value and "good.csv" in warning.value for warning in app.warning)
    assert not [button for button in app.button if button.key == "confirm_upload"]
    assert Store(database).is_empty()


def test_a_re_uploaded_month_shows_what_changes(database):
    first = long_csv([(1, "procurement_audits", 11), (1, "complaints_completed", 10)])
    Store(database).ingest(read_upload(first, "112-01.csv"), file_name="112-01.csv", file_bytes=first)
    corrected = long_csv([(1, "procurement_audits", 12), (1, "complaints_completed", 10)])
    app = upload(open_app("資料上傳"), [("112-01 更正.csv", corrected)])
    assert "**112-01 更正.csv**：112年1月，共 2 筆（新增 0、修改 1、相同 1）" in texts(app)
    changed = table_with(app, "異動")
    assert changed[["項目", "目前數值", "上傳數值", "異動"]].values.tolist() == [["採購稽核案件數", "11", "12", "修改"]]


def test_undo_from_the_history(database):
    store = Store(database)
    for name, value in (("112-01.csv", 11), ("112-01 更正.csv", 12)):
        data = long_csv([(1, "procurement_audits", value)])
        store.ingest(read_upload(data, name), file_name=name, file_bytes=data)
    app = open_app("資料上傳")
    app.button(key="undo_1").click().run()  # blocked: batch 2 changed the same value since
    assert any("請先復原第 2 批" in error.value for error in app.error)
    assert stored_values(database) == {(1, "procurement_audits"): 12}

    app.button(key="undo_2").click().run()
    assert any("已復原第 2 批" in message.value for message in app.success)
    assert stored_values(database) == {(1, "procurement_audits"): 11}
    assert "~~第 2 批｜112-01 更正.csv" in texts(app) and "復原）~~" in texts(app)
    assert not [button for button in app.button if button.key == "undo_2"]


def edit_targets(app: AppTest, row: int, column: str, value: float) -> AppTest:
    key = f"whatif_targets_editor_{app.session_state.get('whatif_generation', 0)}"  # a reset starts a new editor
    app.session_state[key] = {"edited_rows": {row: {column: value}}, "added_rows": [], "deleted_rows": []}
    app.run()
    assert not app.exception, [error.value for error in app.exception]
    return app


def test_what_if_target_moves_the_gauge_and_the_score(database):
    app = open_app("情境模擬")
    assert metrics(app)["加權分數"] == "99.12 分"
    edit_targets(app, 1, "模擬目標值", 140)  # row 1 is indicator 2, 採購稽核案件: 134 of 140
    assert gauge(app, "whatif_gauge_2")["gauge"]["threshold"]["value"] == 140
    assert gauge(app, "whatif_gauge_1")["gauge"]["threshold"]["value"] == 2
    # 12.5 × (1 − 134 ÷ 140) ÷ 95 × 100 = 0.56 points less: 99.12 − 0.56 = 98.55
    score = next(metric for metric in app.metric if metric.label == "加權分數")
    assert (score.value, score.proto.delta) == ("98.55 分", "-0.56 分（相較官方）")
    comparison = table_with(app, "模擬狀態").set_index("指標")
    assert comparison.loc["2", ["模擬目標值", "模擬狀態", "達成率變化"]].tolist() == ["140 案", "落後", "-7.4 個百分點"]

    go(app, "總覽")  # the official figures never move
    assert gauge(app, "overview_gauge_2")["gauge"]["threshold"]["value"] == 130
    assert metrics(app)["加權分數"] == "99.12 分"
    go(app, "情境模擬")  # and the edit is still there
    assert gauge(app, "whatif_gauge_2")["gauge"]["threshold"]["value"] == 140

    app.button(key="whatif_reset").click().run()
    assert gauge(app, "whatif_gauge_2")["gauge"]["threshold"]["value"] == 130
    assert metrics(app)["加權分數"] == "99.12 分"


def test_what_if_additional_figures(database):
    app = open_app("情境模擬")
    key = "whatif_additions_editor_0"
    app.session_state[key] = {"edited_rows": {}, "deleted_rows": [],
                              "added_rows": [{"項目": "陳情檢舉完成件數", "月份": 12, "數量": 9}]}
    app.run()
    complaints = gauge(app, "whatif_gauge_3")  # 141 + 9 = 150 of 150
    assert (complaints["value"], complaints["gauge"]["threshold"]["value"]) == (150, 150)
    # 12.5 × 9 ÷ 150 ÷ 95 × 100 = 0.79 points more: 99.12 + 0.79 = 99.9
    assert metrics(app)["加權分數"] == "99.9 分"
    assert "官方：141 案，達成率 94%，落後" in texts(app)


def test_what_if_rejects_a_bad_target_in_plain_words(database):
    app = edit_targets(open_app("情境模擬"), 0, "模擬目標值", 0)
    assert any("模擬目標值須為大於 0 的數字" in warning.value for warning in app.warning)
    assert gauge(app, "whatif_gauge_1")["gauge"]["threshold"]["value"] == 2


def test_scenarios_save_load_delete(database):
    app = edit_targets(open_app("情境模擬"), 1, "模擬目標值", 140)
    app.text_input(key="whatif_name").input("採購目標 140").run()
    app.button(key="whatif_save").click().run()
    assert Store(database).scenarios() == ["採購目標 140"]
    assert Store(database).load_scenario("採購目標 140")["targets"] == {"2": "140"}
    assert Store(database).is_empty()  # a scenario never touches the figures

    app.button(key="whatif_reset").click().run()
    assert gauge(app, "whatif_gauge_2")["gauge"]["threshold"]["value"] == 130
    app.selectbox(key="whatif_saved").select("採購目標 140").run()
    app.button(key="whatif_load").click().run()
    assert gauge(app, "whatif_gauge_2")["gauge"]["threshold"]["value"] == 140
    assert any("已載入情境「採購目標 140」" in message.value for message in app.success)

    app.button(key="whatif_delete").click().run()
    assert Store(database).scenarios() == []
    assert "尚無已儲存的情境。" in texts(app)


def test_what_if_exports():
    from metrics.presentation import scenario_payload
    from ui.whatif import export_json, export_workbook

    figures = Figures.from_mapping(PLAN_112, {"procurement_audits": {12: 134}})
    evaluation = evaluate(figures, 12, targets={"2": 140})
    scenario = SimpleNamespace(payload=scenario_payload({"2": Decimal(140)}, {}, []), evaluation=evaluation)
    context = SimpleNamespace(year=112, unit="政風處")
    document = json.loads(export_json("採購目標 140", scenario, context))
    assert document["scenario"]["targets"] == {"2": "140"}
    assert document["evaluation"]["indicators"][1]["target"] == 140
    from openpyxl import load_workbook

    sheet = load_workbook(io.BytesIO(export_workbook("採購目標 140", scenario, context))).active
    assert sheet["A2"].value.startswith("情境模擬「採購目標 140」（非官方數字）｜政風處｜統計至 112 年 12 月")


def test_detail_page_formula_sources_and_note(database):
    store_sample(database)
    app = open_app("指標明細")
    app.selectbox(key="detail_indicator").select("10-1").run()
    assert "> 電子發文件數 1,385 ÷ 發文總件數 1,422 × 100% ＝ 97.4%" in texts(app)
    sources = table_with(app, "儲存格")
    assert len(sources) == 24  # two fields × 12 months
    assert sources.iloc[0][["項目", "月份", "檔案", "儲存格"]].tolist() == ["電子發文件數", "112年1月", SAMPLE.name, "E22"]
    assert json.loads(app.get("plotly_chart")[0].proto.spec)["data"][0]["name"] == "當月比率"

    suffix = "10-2_112_政風處_12"
    app.selectbox(key="detail_indicator").select("10-2").run()
    app.text_area(key=f"note_reason_{suffix}").input("紙本來文仍多")
    app.text_area(key=f"note_action_{suffix}").input("加強宣導線上簽核")
    app.button(key="FormSubmitter:note_form_10-2_112_政風處_12-儲存說明").click().run()
    assert any("已儲存說明" in message.value for message in app.success)
    note = Store(database).notes(112, "政風處", 12)["10-2"]
    assert (note.reason, note.action) == ("紙本來文仍多", "加強宣導線上簽核")

    go(app, "報表匯出")
    report = table_with(app, "落後原因").set_index("績效指標")
    assert report.loc["10-2 公文線上簽核比率", ["狀態", "落後原因", "改進措施"]].tolist() == [
        "落後", "紙本來文仍多", "加強宣導線上簽核"]
    assert "落後但尚未填寫落後原因的指標：3（可於「指標明細」填寫）" in texts(app)  # 10-2 has its reason now


def test_an_unusable_database_gets_a_plain_message(monkeypatch):
    monkeypatch.setenv("KPI_DB_URL", "mysql://localhost/kpi")
    app = AppTest.from_file("../dashboard.py", default_timeout=TIMEOUT).run()
    assert not app.exception
    assert any("無法開啟資料庫" in error.value and "不支援的資料庫" in error.value for error in app.error)


def test_goals_are_packed_three_gauges_a_row():
    from ui.gauges import goal_rows

    evaluation = evaluate(Figures.from_mapping(PLAN_112, {}), 1)
    assert goal_rows(evaluation) == [[1, 2, 3], [4, 5], [6, 7, 8], [9], [10]]
