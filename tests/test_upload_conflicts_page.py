"""The upload page with files that disagree (issue 13 item 2), through AppTest: the conflict is shown side by side,
nothing is stored and the confirm button stays disabled until every conflict is settled, by a choice per value,
one file for all, or a file not used."""

from __future__ import annotations

import hashlib
from decimal import Decimal


from metrics.store import Store
from test_pages import long_csv, open_app, stored_values, texts, upload
from markup import seen

A = long_csv([(3, "warning_cases", 12), (3, "procurement_audits", 7), (4, "warning_cases", 1)])
B = long_csv([(3, "warning_cases", 4), (3, "procurement_audits", 7)])  # 採購稽核 7 in both: no conflict
C = long_csv([(3, "warning_cases", 5), (4, "warning_cases", 2)])


def digest(data: bytes) -> str:
    """A radio's value: the chosen file's content digest (its label names the file, the value and the cell)."""
    return hashlib.sha256(data).hexdigest()


def button(app, label: str):
    return next(button for button in app.button if seen(button.label) == label)


def conflicts_shown(app) -> list[list[str]]:
    table = next(table.value for table in app.dataframe if "A.csv" in table.value.columns or "B.csv" in table.value.columns)
    return [table.columns.tolist(), *table.values.tolist()]


def test_a_conflict_is_shown_and_nothing_stored_until_a_value_is_chosen(database):
    app = upload(open_app("資料上傳"), [("A.csv", A), ("B.csv", B)])
    assert conflicts_shown(app) == [["年月", "項目", "A.csv", "B.csv"], ["112年3月", "預警案件數", "12（E2）", "4（E2）"]]
    assert any(error.value.startswith("**所選的檔案中有 1 個數字互相矛盾**") for error in app.error)
    assert "尚有 1 個數字未決定以哪個檔案為準（已決定 0 個）；全部決定後才能儲存。" in texts(app)
    assert app.button(key="confirm_upload").disabled
    assert "##### 3. 確認將儲存的數字" not in texts(app)  # no preview claiming both as 新增
    assert Store(database).is_empty()

    [radio] = app.radio
    assert seen(radio.label) == "112年3月 預警案件數" and radio.value is None
    assert [seen(option) for option in radio.options] == ["「A.csv」的 12（E2）", "「B.csv」的 4（E2）"]
    radio.set_value(digest(B)).run()
    assert not app.exception
    assert not app.button(key="confirm_upload").disabled
    page = texts(app)
    assert "**A.csv**：112年3月、112年4月，共 2 筆（新增 2、修改 0、相同 0）" in page  # its March 預警 left out
    assert "**B.csv**：112年3月，共 2 筆（新增 2、修改 0、相同 0）" in page
    assert Store(database).is_empty()

    app.button(key="confirm_upload").click().run()
    assert not app.exception and not app.error
    assert stored_values(database) == {(3, "warning_cases"): Decimal(4), (3, "procurement_audits"): Decimal(7),
                                       (4, "warning_cases"): Decimal(1)}
    details = [row.detail for row in Store(database).audit_log() if row.action == "上傳"]
    assert len(details) == 2 and all(
        "使用者選擇：112年3月 預警案件數 以「B.csv」的 4 為準（「A.csv」為 12）" in detail for detail in details)


def test_one_file_for_all_and_a_file_not_used(database):
    app = upload(open_app("資料上傳"), [("A.csv", A), ("B.csv", B), ("C.csv", C)])
    assert conflicts_shown(app) == [["年月", "項目", "A.csv", "B.csv", "C.csv"],
                                    ["112年3月", "預警案件數", "12（E2）", "4（E2）", "5（E2）"],
                                    ["112年4月", "預警案件數", "1（E4）", "—", "2（E3）"]]
    button(app, "以「B.csv」為準").click().run()  # B has no April value: April stays open
    assert [radio.value for radio in app.radio] == [digest(B), None]
    assert app.button(key="confirm_upload").disabled

    button(app, "以「C.csv」為準").click().run()
    assert [radio.value for radio in app.radio] == [digest(C), digest(C)]
    assert [seen(option) for option in app.radio[1].options] == ["「A.csv」的 1（E4）", "「C.csv」的 2（E3）"]
    assert not app.button(key="confirm_upload").disabled

    conflict_drops = [item for item in app.button if item.label == "不使用此檔"]
    conflict_drops[2].click().run()  # C.csv set aside: only A and B disagree now, with no choice made yet
    assert "「C.csv」已設為不使用：不會讀取，也不會儲存。" in texts(app)
    assert conflicts_shown(app) == [["年月", "項目", "A.csv", "B.csv"], ["112年3月", "預警案件數", "12（E2）", "4（E2）"]]
    [item for item in app.button if item.label == "不使用此檔"][0].click().run()  # A.csv set aside too
    assert not any("互相矛盾" in error.value for error in app.error) and not app.radio
    app.button(key="confirm_upload").click().run()
    assert stored_values(database) == {(3, "warning_cases"): Decimal(4), (3, "procurement_audits"): Decimal(7)}
    assert [batch.file_name for batch in Store(database).history()] == ["B.csv"]


def test_a_file_set_aside_can_be_taken_back(database):
    app = upload(open_app("資料上傳"), [("A.csv", A), ("B.csv", B)])
    [item for item in app.button if item.label == "不使用此檔"][1].click().run()
    assert "「B.csv」已設為不使用：不會讀取，也不會儲存。" in texts(app)
    assert not app.button(key="confirm_upload").disabled
    button(app, "恢復使用").click().run()
    assert app.button(key="confirm_upload").disabled  # the conflict is back
    assert Store(database).is_empty()
