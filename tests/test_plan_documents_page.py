"""計畫管理 →「由計畫書匯入」through AppTest: the seed document as .docx read beside its rows and saved as a new
version; another unit's document whose decisions are answered on the page before it can be saved."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from catalogues import CATALOGUE
from markup import seen
from metrics.plans.catalogue import parse_plan
from metrics.plans.plan import Aggregation
from metrics.store import Store
from plan_documents import as_docx, seed_text
from signing import sign_in
from test_plan_documents import COMMON_ROWS, document
from test_plan_page import database  # noqa: F401  (a fixture: the sample year in a store of its own)

TIMEOUT = 30
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
PLANNER = {"username": "wang", "roles": ("planner",), "display_name": "王科長"}


def open_page(**account) -> AppTest:
    app = sign_in(AppTest.from_file("../dashboard.py", default_timeout=TIMEOUT), **(account or PLANNER)).run()
    app.switch_page("pages/5_計畫管理.py").run()
    assert not app.exception, [error.value for error in app.exception]
    return app


def texts(app: AppTest) -> str:
    return "\n".join(seen(element.value) for kind in ("markdown", "caption", "warning", "info", "error", "success")
                     for element in getattr(app, kind))


def uploader(app: AppTest):
    return next(item for item in app.get("file_uploader") if item.key == "document_file")


def save(app: AppTest):
    return next(button for button in app.button if button.form_id.startswith("document_"))


def test_the_seed_document_is_read_beside_its_rows_and_saved_as_a_new_version(database):
    app = open_page()
    uploader(app).set_value([("政風處112年度施政計畫.docx", as_docx(seed_text()), DOCX)]).run()
    assert not app.exception, [error.value for error in app.exception]
    assert "沒有需要決定的事項。" in texts(app)
    assert "權重合計 95%（不是 100%）：照計畫書呈現，系統不自行調整" in texts(app)
    table = next(frame.value for frame in app.dataframe if "計畫書原文" in frame.value.columns)
    four = table[table["指標代號"] == "4"].iloc[0]
    assert "協助機關強化資" in four["計畫書原文"] and "訊機密維護措施" in four["計畫書原文"]
    assert (four["權重"], four["目標值"], four["公式"]) == ("12.5%", "1 案", "count：infosec_audits")
    assert "策略目標 1 說明" in texts(app)  # the change a document brings: its summaries in full
    save(app).click().run()
    assert not app.exception, [error.value for error in app.exception]
    versions = Store(database).plan_versions(112, "政風處")
    assert [(version.number, version.origin) for version in versions] == [
        (1, "tests/golden_plans/112/政風處.toml"), (2, "計畫書 政風處112年度施政計畫.docx")]
    assert not any("目標值" in change for change in versions[-1].changes)


def test_decisions_are_answered_on_the_page_before_another_units_plan_is_saved(database):
    app = open_page()
    app.selectbox(key="document_unit").select("人事處").run()
    text = document("新竹縣政府人事處 112 年度施政計畫", "\n".join([
        "1. 強化人力培訓\t辦理公務人員專業訓練課程\t統計數據\t辦理場次\t20.0%\t12", COMMON_ROWS]))
    uploader(app).set_value([("人事處.docx", as_docx(text), DOCX)]).run()
    assert not app.exception, [error.value for error in app.exception]
    assert "尚有 3 項待決定，全部決定後才能儲存。" in texts(app)
    assert not any(button.form_id.startswith("document_") for button in app.button)
    decisions = [widget for widget in [*app.selectbox, *app.text_input] if "_decision_" in str(widget.key)]
    next(w for w in decisions if "沒有標示類別" in w.label).select("業務")
    next(w for w in decisions if "沒有單位" in w.label).input("場")
    next(w for w in decisions if "對應不到" in w.label).select("harassment_courses")
    app.run()
    assert not app.exception, [error.value for error in app.exception]
    assert "尚有" not in texts(app)
    assert "新增人事處 112 年度計畫" in texts(app)
    save(app).click().run()
    assert not app.exception, [error.value for error in app.exception]
    stored = Store(database).plan_versions(112, "人事處")
    assert [(version.number, version.author) for version in stored] == [(1, "王科長（wang）")]


def settle_decisions(app: AppTest) -> None:
    """The five decisions test_plan_documents_decide.TEXT leaves: weight 45%, target 12 場, a count formula whose
    numerator is harassment_courses, its two unmatched operands mapped to a new field and to staff_headcount."""
    typed = [widget for widget in app.text_input if "_decision_" in str(widget.key)]
    next(w for w in typed if "權重「二成」" in w.label).input("45%")
    next(w for w in typed if "目標值「十二場」" in w.label).input("12 場")
    app.selectbox(key=next(w.key for w in app.selectbox if str(w.key).endswith("_kind"))).select("count")
    app.multiselect(key=next(w.key for w in app.multiselect if str(w.key).endswith("_numerator"))).select(
        "harassment_courses")
    operands = [w for w in app.selectbox if "_decision_" in str(w.key) and "對應不到" in w.label]
    next(w for w in operands if "完成線上學習人數" in w.label).select("new_2_n1")
    next(w for w in operands if "應參訓人數" in w.label).select("staff_headcount")
    app.run()
    assert not app.exception, [error.value for error in app.exception]


def test_a_formula_weight_and_target_the_document_did_not_give_are_settled_and_the_new_field_saved_with_it(database):
    from test_plan_documents_decide import TEXT

    app = open_page()
    app.selectbox(key="document_unit").select("人事處").run()
    uploader(app).set_value([("人事處.docx", as_docx(TEXT), DOCX)]).run()
    assert not app.exception, [error.value for error in app.exception]
    assert "尚有 5 項待決定，全部決定後才能儲存。" in texts(app)
    typed = [widget for widget in app.text_input if "_decision_" in str(widget.key)]
    next(w for w in typed if "權重「二成」" in w.label).input("二成").run()
    assert "權重「二成」不是大於 0、不超過 100 的百分比數字（例如 12.5 或 12.5%）" in texts(app)
    settle_decisions(app)
    assert "尚有" not in texts(app) and "權重合計 100%" in texts(app)
    table = next(frame.value for frame in app.dataframe if "計畫書原文" in frame.value.columns)
    one = table[table["指標代號"] == "1"].iloc[0]
    assert (one["權重"], one["目標值"], one["公式"]) == ("45%", "12 場", "count：harassment_courses")
    assert "權重於匯入頁輸入為 45%（計畫書寫「二成」）" in one["說明"]
    fields = next(frame.value for frame in app.dataframe if {"項目代碼", "說明"} <= set(frame.value.columns))
    assert list(fields["項目代碼"]) == ["new_2_n1"] and list(fields["累計方式"]) == ["月底數"]  # 人數: a headcount at month end
    assert "新增填報項目 new_2_n1「完成線上學習人數」（人，月底數）" in texts(app)  # among the changes to be recorded
    save(app).click().run()
    assert not app.exception, [error.value for error in app.exception]
    [stored] = Store(database).plan_versions(112, "人事處")
    assert "新增填報項目 new_2_n1「完成線上學習人數」（人，月底數）" in stored.changes
    assert 'code = "new_2_n1"' in stored.document


def test_a_proposed_field_is_edited_on_the_page_checked_and_saved_as_typed(database):
    from test_plan_documents_decide import TEXT

    app = open_page()
    app.selectbox(key="document_unit").select("人事處").run()
    uploader(app).set_value([("人事處.docx", as_docx(TEXT), DOCX)]).run()
    settle_decisions(app)

    def field(part: str):
        return next(w for w in [*app.text_input, *app.radio] if str(w.key).endswith(f"_field_new_2_n1_{part}"))

    assert (field("code").value, field("name").value, field("unit").value, field("aggregation").value) == (
        "new_2_n1", "完成線上學習人數", "人", Aggregation.STOCK)  # as guessed from the name
    field("code").input("E-Learning").run()
    assert "項目代碼「E-Learning」只能用小寫英文字母、數字與底線，且以字母開頭（例如 training_sessions）" in texts(app)
    assert not any(button.form_id.startswith("document_") for button in app.button)
    field("code").input("elearning_done")
    field("name").input("線上學習完成人次")
    field("unit").input("人次")
    field("aggregation").set_value(Aggregation.FLOW)
    app.run()
    assert not app.exception, [error.value for error in app.exception]
    fields = next(frame.value for frame in app.dataframe if {"項目代碼", "說明"} <= set(frame.value.columns))
    assert fields[["項目代碼", "名稱", "計量", "累計方式"]].values.tolist() == [
        ["elearning_done", "線上學習完成人次", "人次", "當月數"]]
    save(app).click().run()
    assert not app.exception, [error.value for error in app.exception]
    [stored] = Store(database).plan_versions(112, "人事處")
    assert "新增填報項目 elearning_done「線上學習完成人次」（人次，當月數）" in stored.changes
    assert 'code = "elearning_done"' in stored.document and "new_2_n1" not in stored.document
    saved = parse_plan(stored.document, CATALOGUE)
    assert (saved.field("elearning_done").name, saved.field("elearning_done").unit,
            saved.field("elearning_done").aggregation) == ("線上學習完成人次", "人次", Aggregation.FLOW)
    assert [t.field for t in saved.indicator_by_id["2"].numerator] == ["elearning_done"]
