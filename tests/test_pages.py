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

from metrics.evaluation.core import evaluate
from metrics.evaluation.figures import Figures
from catalogues import CATALOGUE, PLAN_112
from metrics.intake.monthly import read_upload
from metrics.store import Store
from metrics.outputs.template import build_template
from signing import sign_in
from markup import seen

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "sample_data" / "112-full-year.csv"
PAGES = {
    "總覽": "dashboard.py",
    "全府比較": "pages/6_全府比較.py",
    "填報進度": "pages/9_填報進度.py",
    "指標明細": "pages/1_指標明細.py",
    "資料上傳": "pages/2_資料上傳.py",
    "情境模擬": "pages/3_情境模擬.py",
    "報表匯出": "pages/4_報表匯出.py",
    "計畫管理": "pages/5_計畫管理.py",
    "操作紀錄": "pages/7_操作紀錄.py",
    "帳號管理": "pages/8_帳號管理.py",
}
TIMEOUT = 30
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def open_app(page: str = "總覽", **account) -> AppTest:
    app = sign_in(AppTest.from_file("../dashboard.py", default_timeout=TIMEOUT), **account).run()
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
    Store(url).ingest(read_upload(data, SAMPLE.name, CATALOGUE), file_name=SAMPLE.name, file_bytes=data)


def texts(app: AppTest) -> str:
    parts = [element.value for kind in ("markdown", "caption", "warning", "info", "error", "success", "subheader")
             for element in getattr(app, kind)]
    return "\n".join(seen(part) for part in parts)


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
    assert [link.proto.label for link in app.sidebar.get("page_link")] == list(PAGES)
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
    Store(database).ingest(read_upload(data, "q1.csv", CATALOGUE), file_name="q1.csv", file_bytes=data)
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
    store = Store(database)
    # 政風處 112 (312 figures), and the sample plans' figures: 人事處 112 (240), 主計處 112 (236: four December
    # figures left out), 政風處 113 (156) and 工務處 113 (152: 25 fields × 6 months and the survey in 3月 and 6月)
    assert len(store.current_frame()) == 312 + 240 + 236 + 156 + 152
    assert [batch.file_name for batch in store.history()] == ["範例-工務處-113.csv", "範例-政風處-113.csv",
                                                              "範例-主計處-112.csv", "範例-人事處-112.csv",
                                                              "112-full-year.csv"]
    assert {(version.year, version.unit, version.sample) for version in store.plan_versions()} >= {
        (112, "政風處", False), (112, "人事處", True), (112, "主計處", True), (113, "政風處", True),
        (113, "工務處", True)}
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

    assert "上傳者：測試tester（tester）（記入上傳紀錄與操作紀錄）" in texts(app)
    app.button(key="confirm_upload").click().run()
    assert not app.exception and not app.error
    assert stored_values(database) == {(1, "procurement_audits"): 11, (1, "budget_amount"): 21288,
                                       (2, "procurement_audits"): 12, (2, "edoc_sent_total"): 1216}
    assert [seen(message.value).split("：")[0] for message in app.success] == ["已儲存「112-01.xlsx」為第 1 批",
                                                                        "已儲存「112-02.csv」為第 2 批"]
    assert [(batch.file_name, batch.uploader) for batch in Store(database).history()] == [
        ("112-02.csv", "測試tester（tester）"), ("112-01.xlsx", "測試tester（tester）")]
    assert not app.file_uploader[0].value  # a fresh uploader: the same files are not stored twice
    assert "第 2 批｜112-02.csv" in texts(app) and "第 1 批｜112-01.xlsx" in texts(app)


def test_a_bad_file_refuses_every_selected_file(database):
    good = long_csv([(1, "procurement_audits", 11)])
    bad = long_csv([(1, "procurement_audits", 11), (1, "complaints_completed", "abc")])
    app = upload(open_app("資料上傳"), [("good.csv", good), ("bad.csv", bad)])
    errors = [seen(error.value) for error in app.error]
    assert len(errors) == 1
    assert "**bad.csv**" in errors[0] and "儲存格 E3" in errors[0] and "abc" in errors[0]
    assert any("所有選取的檔案都未儲存" in seen(warning.value) and "good.csv" in seen(warning.value) for warning in app.warning)
    assert not [button for button in app.button if button.key == "confirm_upload"]
    assert Store(database).is_empty()


def test_a_re_uploaded_month_shows_what_changes(database):
    first = long_csv([(1, "procurement_audits", 11), (1, "complaints_completed", 10)])
    Store(database).ingest(read_upload(first, "112-01.csv", CATALOGUE), file_name="112-01.csv", file_bytes=first)
    corrected = long_csv([(1, "procurement_audits", 12), (1, "complaints_completed", 10)])
    app = upload(open_app("資料上傳"), [("112-01 更正.csv", corrected)])
    assert "**112-01 更正.csv**：112年1月，共 2 筆（新增 0、修改 1、相同 1）" in texts(app)
    changed = table_with(app, "異動")
    assert changed[["項目", "目前數值", "上傳數值", "異動"]].values.tolist() == [["採購稽核案件數", "11", "12", "修改"]]


def test_undo_from_the_history(database):
    store = Store(database)
    for name, value in (("112-01.csv", 11), ("112-01 更正.csv", 12)):
        data = long_csv([(1, "procurement_audits", value)])
        store.ingest(read_upload(data, name, CATALOGUE), file_name=name, file_bytes=data)
    app = open_app("資料上傳")
    app.button(key="undo_1").click().run()  # asks once more, naming what changes
    assert "確定要復原**第 1 批「112-01.csv」**" in texts(app)
    assert "- 112年1月 1 個數字將變為未填報" in texts(app)
    app.button(key="undo_confirm_1").click().run()  # blocked: batch 2 changed the same value since
    assert any("請先復原第 2 批" in error.value for error in app.error)
    assert stored_values(database) == {(1, "procurement_audits"): 12}

    app.button(key="undo_2").click().run()
    app.button(key="undo_cancel_2").click().run()
    assert stored_values(database) == {(1, "procurement_audits"): 12}  # cancelled: nothing changed
    app.button(key="undo_2").click().run()
    app.button(key="undo_confirm_2").click().run()
    assert any("已復原第 2 批" in message.value for message in app.success)
    assert stored_values(database) == {(1, "procurement_audits"): 11}
    assert "~~第 2 批｜112-01 更正.csv" in texts(app) and "由 測試tester（tester） 復原）~~" in texts(app)
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
    comparison = table_with(app, "變化").set_index("指標")
    assert comparison.loc["2 採購稽核案件", ["目標", "狀態", "變化"]].tolist() == [
        "130 案 → 140 案", "達標 → 落後", "-7.4 個百分點"]

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
    assert any("模擬目標值（目前是 0）須為大於 0 的數字" in warning.value for warning in app.warning)
    assert gauge(app, "whatif_gauge_1")["gauge"]["threshold"]["value"] == 2


def test_scenarios_save_load_delete(database):
    app = edit_targets(open_app("情境模擬"), 1, "模擬目標值", 140)
    app.text_input(key="whatif_name").input("採購目標 140").run()
    app.button(key="whatif_save").click().run()
    assert Store(database).scenarios(112, "政風處") == ["採購目標 140"]
    assert Store(database).load_scenario(112, "政風處", "採購目標 140")["targets"] == {"2": "140"}
    assert Store(database).is_empty()  # a scenario never touches the figures

    app.button(key="whatif_reset").click().run()
    assert gauge(app, "whatif_gauge_2")["gauge"]["threshold"]["value"] == 130
    app.selectbox(key="whatif_saved").select("採購目標 140").run()
    app.button(key="whatif_load").click().run()
    assert gauge(app, "whatif_gauge_2")["gauge"]["threshold"]["value"] == 140
    assert any("已載入情境「採購目標 140」" in message.value for message in app.success)

    app.button(key="whatif_save").click().run()  # the same name again: asks before replacing it
    assert "政風處 112 年度已有名為「**採購目標 140**」的情境" in texts(app)
    app.button(key="whatif_overwrite_confirm").click().run()
    assert any("已儲存情境「採購目標 140」" in message.value for message in app.success)

    app.button(key="whatif_delete").click().run()
    assert "確定要刪除政風處 112 年度的情境「**採購目標 140**」嗎？" in texts(app)
    app.button(key="whatif_delete_cancel").click().run()
    assert Store(database).scenarios(112, "政風處") == ["採購目標 140"]
    app.button(key="whatif_delete").click().run()
    app.button(key="whatif_delete_confirm").click().run()
    assert Store(database).scenarios(112, "政風處") == []
    assert "尚無已儲存的情境。" in texts(app)


def test_what_if_exports():
    from metrics.outputs.presentation import scenario_payload
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
    sources = table_with(app, "儲存格／列")
    assert len(sources) == 24  # two fields × 12 months
    assert sources.iloc[0][["項目", "月份", "檔案", "儲存格／列"]].tolist() == ["電子發文件數", "112年1月", SAMPLE.name, "E22"]
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
    from test_report_page import report_table

    report = {row["績效指標"]: row for row in report_table(app)}
    assert [report["10-2 公文線上簽核比率"][column] for column in ("狀態", "落後原因", "改進措施")] == [
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


# ---- raw system exports on the upload page ----

EXPORT_HEADER = ["文號", "收發別", "收文日期", "發文日期", "創稿日期", "交換方式", "簽核方式", "密等", "主旨", "承辦人"]
EXPORT_ROWS = [
    ["府政字第1120000001號", "發文", None, "112/01/05", None, "電子交換", None, "普通", "函覆議員質詢", "王大明"],
    ["府政字第1120000002號", "發文", None, "112/02/15", None, "紙本", None, "普通", "寄送公告", "陳美玲"],
    ["府收字第1120000003號", "收文", "112/01/10", None, None, "電子交換", "線上簽核", "普通", "陳情案", "林志強"],
    ["府收字第1120000004號", "收文", "112/02/14", None, None, "紙本", "線上簽核", "密", "人事案", "張淑芬"],
    ["府簽字第1120000005號", "創稿", None, None, "112/02/20", None, "紙本簽核", "普通", "會議紀錄", "李建宏"],
]
# 1月: 發文 1（電子）、電子收文 1（線上簽核）；2月: 發文 1（紙本）、紙本收文線上簽核 1（密件）、創稿 1（紙本簽核）
EXPORT_VALUES = {
    (1, "edoc_sent_total"): 1, (1, "edoc_sent_electronic"): 1, (1, "edoc_received_electronic"): 1,
    (1, "paper_received_signed_online"): 0, (1, "self_created_drafts"): 0, (1, "online_signed"): 1,
    (2, "edoc_sent_total"): 1, (2, "edoc_sent_electronic"): 0, (2, "edoc_received_electronic"): 0,
    (2, "paper_received_signed_online"): 1, (2, "self_created_drafts"): 1, (2, "online_signed"): 1,
}


def export_bytes(kind_header: str = "收發別", kind: str = "xlsx") -> bytes:
    from synthetic_exports import csv_bytes, xlsx_bytes

    header = [kind_header if column == "收發別" else column for column in EXPORT_HEADER]
    rows = [["公文清單"], ["查詢期間：112/01/01-112/02/28"], header, *EXPORT_ROWS]
    return xlsx_bytes(rows) if kind == "xlsx" else csv_bytes(rows, encoding="cp950")


def test_the_personal_data_notice(database):
    notice = next(info.value for info in open_app("資料上傳").info if "個人資料保護" in info.value)
    for fragment in ["資料庫只儲存每月的合計數字", "姓名、身分證字號、陳情人、案由與公文主旨", "原始檔案本身", "不會儲存",
                     "不會寫入任何紀錄", "可識別個人的欄位已遮蔽"]:
        assert fragment in notice


def test_upload_an_export_then_confirm(database):
    app = upload(open_app("資料上傳"), [("公文清單.xlsx", export_bytes())])
    page = texts(app)
    assert "**公文清單.xlsx**：112年1月、112年2月，共 12 筆（新增 12、修改 0、相同 0）" in page
    assert "辨識為：公文清單（公文管理系統匯出）｜讀取 5 列，計入 5 列" in page
    assert "- 讀取 5 列資料，計入 5 列。\n- 資料涵蓋 112年1月至2月；其間沒有資料的月份以 0 計。" in page
    assert "未套用任何排除設定" in page
    preview = table_with(app, "收發別")
    assert len(preview) == 5 and not {"主旨", "承辦人"} & set(preview.columns)
    assert not any(name in page for name in ("王大明", "函覆議員質詢"))
    assert Store(database).is_empty()

    app.button(key="confirm_upload").click().run()
    assert not app.exception and not app.error
    assert stored_values(database) == EXPORT_VALUES
    assert [batch.file_name for batch in Store(database).history()] == ["公文清單.xlsx"]


def test_an_exclusion_set_on_the_page_is_applied(database):
    app = open_app("資料上傳")
    app.checkbox(key="export_option_exclude_confidential_from_signoff").check().run()
    upload(app, [("公文清單.xlsx", export_bytes())])
    assert "已套用的排除設定：密件不計入線上簽核比率（排除 1 列）" in texts(app)
    app.button(key="confirm_upload").click().run()
    # the confidential paper letter signed online (February) leaves both the numerator and the denominator
    assert stored_values(database) == {**EXPORT_VALUES, (2, "paper_received_signed_online"): 0,
                                       (2, "online_signed"): 0}


def test_an_export_needing_a_mapping_shows_a_form_and_is_remembered(database):
    odd = export_bytes(kind_header="方向", kind="csv")
    app = upload(open_app("資料上傳"), [("odd.csv", odd)])
    assert any("**odd.csv**：需要指定欄位對應" in seen(warning.value) and "找不到「收發別」欄" in seen(warning.value)
               for warning in app.warning)
    assert not [button for button in app.button if button.key == "confirm_upload"]
    assert next(box for box in app.selectbox if box.label == "資料種類").value == "document_log"
    exchange = next(box for box in app.selectbox if box.label == "交換方式（必要）")
    assert exchange.value == "交換方式"  # the guesses are preselected
    next(box for box in app.selectbox if box.label == "收發別（必要）").select("方向")
    next(button for button in app.button if button.label == "儲存欄位對應並重新讀取").click().run()
    assert not app.exception

    from metrics.intake.exports import MappingNeeded
    from metrics.intake.sources import read_any

    with pytest.raises(MappingNeeded) as caught:
        read_any(odd, "odd.csv", CATALOGUE, year=112, unit="政風處")
    saved = Store(database).load_mapping("document_log", caught.value.signature, year=112, unit="政風處")
    assert (saved["kind"], saved["exchange"], saved["status"]) == ("方向", "交換方式", None)
    assert any("已儲存「odd.csv」的欄位對應" in seen(message.value) for message in app.success)
    assert "已套用先前儲存的欄位對應（公文清單（公文管理系統匯出））。" in texts(app)
    app.button(key="confirm_upload").click().run()
    assert stored_values(database) == EXPORT_VALUES

    again = upload(open_app("資料上傳"), [("odd 2月.csv", odd)])  # next time: no form, the mapping applies
    assert "已套用先前儲存的欄位對應" in texts(again)
    assert [button for button in again.button if button.key == "confirm_upload"]


def test_a_roster_without_a_date_takes_the_month_chosen_on_the_page(database):
    from synthetic_exports import csv_bytes

    roster = csv_bytes([["姓名", "人員類別", "到職日期", "客語認證級別"], ["王大明", "公務人員", "100/01/01", "初級"],
                        ["陳美玲", "約僱人員", "112/02/15", None]], encoding="cp950")
    app = upload(open_app("資料上傳"), [("名冊.csv", roster)])
    assert any("請在上傳時選擇資料月份" in error.value for error in app.error)
    app.selectbox(key="export_month").select(2).run()
    assert not app.error
    assert "辨識為：人事名冊（人事系統匯出）" in texts(app)
    app.button(key="confirm_upload").click().run()
    assert stored_values(database) == {(1, "staff_headcount"): 1, (1, "hakka_certified"): 1,
                                       (2, "staff_headcount"): 2, (2, "hakka_certified"): 1}


def test_an_unrecognizable_file_is_explained_in_plain_words_and_its_kind_asked(database):
    app = upload(open_app("資料上傳"), [("會議.csv", "出席,請假\n3,1\n".encode())])
    assert not app.error  # not a dead end (issue 20): the kind of file is asked for
    assert any("無法辨識檔案內容：既不是月報範本或長表，也不是可辨識的系統匯出" in seen(warning.value)
               for warning in app.warning)
    assert "長表要有「年度、月份、單位、項目代碼、數值」欄" in texts(app)  # what each kind must have
    assert next(box for box in app.selectbox if box.label == "檔案種類").value is None
    assert not [button for button in app.button if button.key == "confirm_upload"]
    assert Store(database).is_empty()


def test_a_remembered_mapping_can_be_changed(database):
    from metrics.intake.exports import MappingNeeded
    from metrics.intake.sources import read_any, remember_mapping

    odd = export_bytes(kind_header="方向", kind="csv")
    with pytest.raises(MappingNeeded) as caught:
        read_any(odd, "odd.csv", CATALOGUE, year=112, unit="政風處")
    remember_mapping(Store(database), caught.value, {"kind": "方向"}, year=112, unit="政風處")
    app = upload(open_app("資料上傳"), [("odd.csv", odd)])
    assert "已套用先前儲存的欄位對應" in texts(app)
    next(box for box in app.selectbox if box.label == "簽核方式").select("（無此欄位）")  # in 重新指定欄位對應
    next(button for button in app.button if button.label == "儲存欄位對應並重新讀取").click().run()
    assert Store(database).load_mapping("document_log", caught.value.signature, year=112, unit="政風處")["sign"] is None
    app.button(key="confirm_upload").click().run()
    # without 簽核方式 only the two sent-letter fields can be counted
    assert stored_values(database) == {key: value for key, value in EXPORT_VALUES.items()
                                       if key[1] in ("edoc_sent_total", "edoc_sent_electronic")}
