"""The note form and its length limit (issue 13 item 11), through AppTest: the limit is on the text areas and said
in a caption; a note saved before the limit existed is shown whole, pointed out, and refused until shortened."""

from __future__ import annotations


from metrics.outputs.notes import NOTE_LIMIT
from metrics.store import Store
from test_pages import open_app, store_sample, texts
from markup import seen

SUFFIX = "10-2_112_政風處_12"


def detail(database):
    app = open_app("指標明細")
    app.selectbox(key="detail_indicator").select("10-2").run()
    return app


def test_the_text_areas_carry_the_limit_and_say_it(database):
    store_sample(database)
    app = detail(database)
    assert [app.text_area(key=f"note_{name}_{SUFFIX}").max_chars for name in ("reason", "action")] == [2000, 2000]
    assert "落後原因與改進措施各以 2,000 字為限（約一頁 A4），詳細資料請另以附件或公文說明。" in texts(app)


def test_an_older_note_beyond_the_limit_is_shown_whole_and_must_be_shortened(database):
    store_sample(database)
    Store(database).save_note(112, "政風處", 12, "10-2", "因" * 2500, "加強宣導")  # saved before the limit
    app = detail(database)
    reason = app.text_area(key=f"note_reason_{SUFFIX}")
    assert len(reason.value) == 2500 and reason.max_chars == 2500
    assert any(warning.value.startswith("目前的落後原因超過 2,000 字") for warning in app.warning)
    app.button(key=f"FormSubmitter:note_form_{SUFFIX}-儲存說明").click().run()
    assert any("落後原因共 2,500 字，超過上限 2,000 字；請精簡 500 字後再儲存" in seen(error.value) for error in app.error)
    assert len(Store(database).notes(112, "政風處", 12)["10-2"].reason) == 2500  # unchanged

    app.text_area(key=f"note_reason_{SUFFIX}").input("因" * NOTE_LIMIT)
    app.button(key=f"FormSubmitter:note_form_{SUFFIX}-儲存說明").click().run()
    assert any("已儲存說明" in message.value for message in app.success)
    assert Store(database).notes(112, "政風處", 12)["10-2"].reason == "因" * NOTE_LIMIT
