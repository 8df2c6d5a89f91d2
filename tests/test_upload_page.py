"""The upload page at month end, through AppTest: an export the readers cannot fully recognize opens the
column mapping form (never a dead end), rows left out are named, an incomplete month is pointed out,
the month checklist, the undo confirmation and the wording of refused files."""

from __future__ import annotations

from metrics.exports.synthetic import xlsx_bytes
from test_pages import database, open_app, stored_values, texts, upload  # noqa: F401 (database is a fixture)

# 文號, 收發別, 發文日期 (the only date column, used for every letter), 交換方式, 簽核方式
LETTERS = [["文號", "收發別", "發文日期", "交換方式", "簽核方式", "主旨"],
           ["府政字第1", "發文", "112/01/05", "電子交換", None, "函覆"],
           ["府收字第2", "收文", "112/01/06", "電子交換", "線上簽核", "陳情"],
           ["府收字第3", "收文", "112/01/09", "紙本", "紙本簽核", "公告"]]


def test_an_export_whose_date_column_fits_only_some_rows_opens_the_mapping_form(database):
    app = upload(open_app("資料上傳"), [("公文清單.xlsx", xlsx_bytes(LETTERS))])
    assert any("**公文清單.xlsx**：需要指定欄位對應" in warning.value
               and "有 2 列收文，但找不到「收文日期」或「日期」欄" in warning.value for warning in app.warning)
    assert not app.error  # not refused: the form below lets the user go on
    assert next(box for box in app.selectbox if box.label == "資料種類").value == "document_log"
    assert next(box for box in app.selectbox if box.label == "日期").value == "發文日期"  # the best guess
    assert next(box for box in app.selectbox if box.label == "發文日期").value == "（無此欄位）"
    next(button for button in app.button if button.label == "儲存欄位對應並重新讀取").click().run()
    assert not app.exception and not app.error

    page = texts(app)
    assert "辨識為：公文清單（公文管理系統匯出）｜讀取 3 列，計入 2 列" in page
    left_out = next(table.value for table in app.dataframe if "未計入原因" in table.value.columns)
    assert left_out.values.tolist() == [[4, "不屬任何計算項目（例如紙本來文以紙本簽核）"]]  # row 4 as in Excel
    app.button(key="confirm_upload").click().run()
    assert stored_values(database)[(1, "edoc_received_electronic")] == 1
