"""The presentation of the pages through AppTest (issue 11): the scenario name kept and loaded, messages next to
their buttons, the narrow what-if comparison with its changed rows tinted and the editable columns first,
gauge deltas against the pace, the score explained in words, the sample banner on the upload page, the
indicator kept in the URL.

Expected numbers are the sample year's (sample_data/README.md); hand computations are next to each check."""

import json

import pytest

from metrics.store import Store
from test_pages import edit_targets, gauge, go, open_app, store_sample, texts

COMPARISON_COLUMNS = ["指標", "目標", "實際值", "達成率", "變化", "狀態", "權重"]


def elements(block) -> list:
    found = []
    for child in getattr(block, "children", {}).values():
        found.append(child)
        found.extend(elements(child))
    return found


def table_element(app, key_part: str):
    """A data editor by its key; an st.dataframe (which has no id without a selection) by a column it shows."""
    (table,) = [element for element in elements(app.main) if getattr(element, "type", "") == "dataframe"
                and (key_part in element.proto.id or key_part in element.value.columns)]
    return table


def column_with(app, key: str):
    """The innermost column holding the widget `key`: a message shown there stands next to that widget."""
    holding = [column for column in app.columns if any(getattr(element, "key", None) == key
                                                       for element in elements(column))]
    return min(holding, key=lambda column: len(elements(column)))


def messages(block, kind: str) -> list[str]:
    return [element.value for element in elements(block) if getattr(element, "type", "") == kind]


def test_saved_and_loaded_scenario_keeps_its_name_and_says_so_next_to_the_button(database):
    app = edit_targets(open_app("情境模擬"), 1, "模擬目標值", 140)
    app.text_input(key="whatif_name").input("採購目標 140").run()
    app.button(key="whatif_save").click().run()
    assert messages(column_with(app, "whatif_save"), "success") == ["已儲存情境「採購目標 140」。"]
    assert app.text_input(key="whatif_name").value == "採購目標 140"  # survives the rerun the save makes

    go(app, "總覽")
    go(app, "情境模擬")  # the box was not drawn on 總覽: it comes back with the name
    assert app.text_input(key="whatif_name").value == "採購目標 140"

    app.text_input(key="whatif_name").input("").run()
    app.button(key="whatif_reset").click().run()
    app.selectbox(key="whatif_saved").select("採購目標 140").run()
    app.button(key="whatif_load").click().run()
    assert app.text_input(key="whatif_name").value == "採購目標 140"  # loading fills the name box
    assert messages(column_with(app, "whatif_load"), "success") == ["已載入情境「採購目標 140」。"]
    assert [message for message in messages(app.main, "success") if "已載入" in message] == [
        "已載入情境「採購目標 140」。"]  # only there, not at the top of the page as well
    assert gauge(app, "whatif_gauge_2")["gauge"]["threshold"]["value"] == 140


def test_an_unnamed_save_is_refused_next_to_the_button(database):
    app = open_app("情境模擬")
    app.button(key="whatif_save").click().run()
    errors = messages(column_with(app, "whatif_save"), "error")
    assert len(errors) == 1 and "名稱" in errors[0]
    assert Store(database).scenarios(112, "政風處") == []


def test_the_comparison_is_narrow_and_tints_what_the_scenario_changed(database):
    app = open_app("情境模擬")
    table = table_element(app, "變化")
    assert list(table.value.columns) == COMPARISON_COLUMNS
    assert "background-color" not in table.proto.arrow_data.styler.styles  # nothing changed yet
    assert "情境尚未改變任何指標" in texts(app)

    edit_targets(app, 1, "模擬目標值", 140)  # row 1 is indicator 2: 134 of 140 instead of 130
    table = table_element(app, "變化")
    styles = table.proto.arrow_data.styler.styles
    assert "row1_col0" in styles and "#fff4cc" in styles
    assert "row0_" not in styles and "row2_" not in styles
    assert "有變動的 1 項指標以黃底標示" in texts(app)
    assert json.loads(table.proto.columns)["指標"]["pinned"] is True


def test_the_target_editor_shows_the_editable_columns_first(database):
    editor = table_element(open_app("情境模擬"), "whatif_targets_editor")
    assert list(editor.proto.column_order)[:4] == ["指標", "名稱", "模擬目標值", "模擬權重"]
    columns = json.loads(editor.proto.columns)
    assert columns["指標"]["pinned"] and columns["名稱"]["pinned"]
    # a phone of 390 px shows 指標 + 名稱 + 模擬目標值 without scrolling
    assert columns["指標"]["width"] + columns["名稱"]["width"] + columns["模擬目標值"]["width"] <= 300


@pytest.mark.parametrize(("month", "indicator_id", "reference", "prefix", "suffix"), [
    # sample year as of June: 66 採購稽核案件 against the pace 130 × 6 ÷ 12 = 65 (符合進度), not 130
    (6, "2", 65, "較進度 ", " 案"),
    # December: the pace is the target; 陳情檢舉 141 against 150
    (12, "3", 150, "較目標 ", " 案"),
    # a ratio in December: 公文電子交換 97.4 % against 97 %, in percentage points
    (12, "10-1", 97, "較目標 ", " 個百分點"),
])
def test_gauge_delta_compares_with_the_pace(database, month, indicator_id, reference, prefix, suffix):
    app = open_app()
    app.sidebar.selectbox(key="period_month").select(month).run()
    delta = gauge(app, f"overview_gauge_{indicator_id}")["delta"]
    assert (delta["reference"], delta["prefix"], delta["suffix"]) == (reference, prefix, suffix)
    assert delta["increasing"]["symbol"] == "" and delta["decreasing"]["symbol"] == ""


def test_the_score_is_explained_in_words(database):
    score = next(metric for metric in open_app().metric if metric.label == "加權分數")
    assert score.proto.help.startswith("各項指標的達成率（超過 100% 者以 100% 計）乘以該指標的權重後加總，再除以權重合計")
    assert "Σ" not in score.proto.help and "min(" not in score.proto.help


@pytest.mark.parametrize(("page", "says", "never"), [
    ("資料上傳", "請在本頁下方上傳實際月報", "請至「資料上傳」"),
    ("總覽", "請至「資料上傳」上傳實際月報", "請在本頁下方"),
])
def test_the_sample_banner_says_where_to_upload(database, page, says, never):
    banner = next(warning.value for warning in open_app(page).warning if "**範例資料**" in warning.value)
    assert says in banner and never not in banner


def test_the_detail_page_takes_the_indicator_from_the_url_and_writes_it_back(database):
    store_sample(database)
    app = open_app()
    app.query_params.update({"year": "112", "unit": "政風處", "month": "6", "indicator": "5-1"})
    app = go(app, "指標明細")  # as a bookmark of 指標明細 would open it
    assert app.selectbox(key="detail_indicator").value == "5-1"
    assert app.sidebar.selectbox(key="period_month").value == 6
    app.selectbox(key="detail_indicator").select("8").run()
    assert app.query_params["indicator"] in ("8", ["8"])
    assert "指標 8：" in texts(app)
