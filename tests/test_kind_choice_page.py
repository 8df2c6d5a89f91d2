"""The upload page for a file two kinds of export fit equally (a tie), through AppTest: the kinds are offered
with the columns each names, the best preselected; the user switches kind, maps, saves, and the same headers
are read next time without asking."""

from __future__ import annotations

from markup import seen
from test_choose_kind import MONTH_OF_LETTERS, xlsx
from test_pages import open_app, stored_values, texts, upload

# 公文清單's columns (收發別, 交換方式, 日期) and 人事名冊's (人員類別, 到職日期, 客語認證級別): three each, a tie.
HEADERS = ["收發別", "交換方式", "日期", "人員類別", "到職日期", "客語認證級別"]
ROWS = [[kind, "電子交換" if electronic == "是" else "紙本", f"112/{month:02d}/{day + 1:02d}", None, None, None]
        for month in (1, 2, 3) for day, (kind, electronic, _) in enumerate(MONTH_OF_LETTERS)]
# Each month, by hand from MONTH_OF_LETTERS: 發文 rows 5, 6, 7, 11; electronic among them 5, 6, 11 (no 簽核 column).
EXPECTED = {(month, code): value for month in (1, 2, 3)
            for code, value in (("edoc_sent_total", 4), ("edoc_sent_electronic", 3))}
OFFERED = "這個檔案可能是：人事名冊（符合 3 欄）／公文清單（符合 3 欄）"
SAVE = "儲存欄位對應並重新讀取"


def box(app, label: str):
    return next(element for element in app.selectbox if element.label == label)


def test_a_tie_is_offered_the_best_preselected_and_switching_kind_maps_that_kind(database):
    name = "混合.xlsx"
    app = upload(open_app("資料上傳"), [(name, xlsx([HEADERS, *ROWS]))])
    assert not app.exception and not app.error
    assert any(OFFERED in seen(info.value) for info in app.info)
    kind = box(app, "資料種類")
    assert kind.value == "roster"  # the first look's pick, first among equals
    assert box(app, "人員類別（必要）").value == "人員類別"

    box(app, "資料種類").select("document_log").run()
    assert not app.exception and not app.error
    assert box(app, "收發別（必要）").value == "收發別" and box(app, "交換方式（必要）").value == "交換方式"
    next(button for button in app.button if button.label == SAVE).click().run()
    assert not app.exception and not app.error
    assert any(f"已儲存「{name}」的欄位對應（公文清單" in seen(message.value) for message in app.success)
    assert "已套用先前儲存的欄位對應（公文清單" in texts(app)
    app.button(key="confirm_upload").click().run()
    assert stored_values(database) == EXPECTED

    app = upload(open_app("資料上傳"), [("混合 4月.xlsx", xlsx([HEADERS, *ROWS[:12]]))])
    assert "已套用先前儲存的欄位對應（公文清單" in texts(app)
    assert not any(OFFERED in seen(info.value) for info in app.info)  # remembered: nothing to ask
    assert box(app, "資料種類").value == "document_log"  # in 重新指定欄位對應, set to what was saved


def test_a_clear_winner_offers_no_choice(database):
    from test_choose_kind import DOCUMENT_HEADERS, DOCUMENT_ROWS

    app = upload(open_app("資料上傳"), [("公文清單.xlsx", xlsx([DOCUMENT_HEADERS, *DOCUMENT_ROWS]))])
    assert not any("這個檔案可能是" in seen(info.value) for info in app.info)
