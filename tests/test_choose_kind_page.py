"""The upload page for a file nothing recognized (issue 20), through AppTest: the user chooses its kind (a
template or long table is told why it is not one), maps its columns from the file's headers with examples,
sees the right monthly figures, saves, and the next file with the same headers is read without asking."""

from __future__ import annotations

import pytest

from markup import seen
from metrics.intake.exports import SOURCES
from test_choose_kind import FILES, HEADERS, SAMPLES, cp950_csv, xlsx
from test_pages import open_app, stored_values, texts, upload
from test_choose_kind import CASE_HEADERS, CASE_ROWS, DOCUMENT_HEADERS, DOCUMENT_ROWS

SAVE = "儲存欄位對應並重新讀取"
# The same headers again, in a second file of other rows: read with the saved mapping, no form.
AGAIN = {"公文清單.xlsx": ("公文清單 4月.xlsx", xlsx([DOCUMENT_HEADERS, *DOCUMENT_ROWS[:12]])),
         "政風案件.xlsx": ("政風案件 續.xlsx", xlsx([CASE_HEADERS, *CASE_ROWS[:3]])),
         "名冊.xlsx": ("名冊 再次.xlsx", FILES["名冊.xlsx"][0])}
# Months shown in the preview and the count of figures (fields × months)
PREVIEW = {"公文清單.xlsx": "112年1月、112年2月、112年3月，共 18 筆（新增 18、修改 0、相同 0）",
           "政風案件.xlsx": "112年1月、112年2月、112年3月，共 24 筆（新增 24、修改 0、相同 0）",
           "名冊.xlsx": "112年1月、112年2月、112年3月，共 6 筆（新增 6、修改 0、相同 0）"}


def box(app, label: str):
    return next(element for element in app.selectbox if element.label == label)


@pytest.mark.parametrize("name", AGAIN)
def test_choose_the_kind_map_the_columns_save_and_the_same_headers_are_read_without_asking(database, name):
    data, source, mapping, expected = FILES[name]
    app = upload(open_app("資料上傳"), [(name, data)])
    assert any(f"**{name}**：無法辨識檔案內容" in seen(warning.value) and "請選擇這個檔案的種類" in seen(warning.value)
               for warning in app.warning)
    assert not app.error and not [button for button in app.button if button.key == "confirm_upload"]
    kind = box(app, "檔案種類")
    assert kind.value is None and kind.options == ["月報範本", "長表", "公文清單", "人事名冊", "歲出預算執行表",
                                                   "政風案件紀錄"]

    kind.select("template").run()  # not a template: why, where and what to do, never a dead end
    errors = [error.value for error in app.error]
    assert len(errors) == 1 and f"檔案「{name}」工作表「匯出資料」：前 30 列中找不到月報範本的標題列" in seen(errors[0])
    assert "請下載月報範本" in errors[0]

    box(app, "檔案種類").select(source).run()
    assert not app.error
    spec = SOURCES[source]
    header = next(iter(SAMPLES[name]))
    for column in spec.columns:
        label = f"{column.label}（必要）" if column.required else column.label
        options = box(app, label).options
        assert f"{header}（例：{'、'.join(SAMPLES[name][header])}）" in options  # examples beside each header
        if column.name in mapping:
            box(app, label).select(mapping[column.name])
    next(button for button in app.button if button.label == SAVE).click().run()
    assert not app.exception and not app.error
    assert any(f"已儲存「{name}」的欄位對應" in seen(message.value) for message in app.success)
    page = texts(app)
    assert f"已套用先前儲存的欄位對應（{spec.label}）。" in page
    assert f"**{name}**：{PREVIEW[name]}" in page
    app.button(key="confirm_upload").click().run()
    assert stored_values(database) == expected

    again_name, again = AGAIN[name]
    app = upload(open_app("資料上傳"), [(again_name, again)])  # the same headers: read without asking
    assert "已套用先前儲存的欄位對應" in texts(app)
    assert not app.error and not any("無法辨識檔案內容" in seen(warning.value) for warning in app.warning)
    assert box(app, "檔案種類").value == source  # only in 重新指定欄位對應, set to what was saved
    assert [button for button in app.button if button.key == "confirm_upload"]


def test_a_cp950_csv_with_unfamiliar_headers_is_offered_the_same_choice(database):
    data = cp950_csv([DOCUMENT_HEADERS, *DOCUMENT_ROWS])
    app = upload(open_app("資料上傳"), [("公文清單.csv", data)])
    assert not app.error
    box(app, "檔案種類").select("document_log").run()
    options = box(app, "收發別（必要）").options
    assert [option.split("（例")[0] for option in options] == HEADERS["公文清單.csv"]
    assert "公文性質（例：收文、發文、創稿）" in options
