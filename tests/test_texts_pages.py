"""Issue 19 item 1 on the pages (AppTest): a note pasted from Word is saved with line breaks and the page says what
changed; a note stored before the cleaning rule is shown with its control characters visible."""

from __future__ import annotations

from markup import seen
from metrics.store import Store
from test_note_limit_page import SUFFIX, detail
from test_pages import store_sample, texts


def test_a_note_pasted_from_word_is_saved_with_line_breaks_and_the_page_says_so(database):
    store_sample(database)
    app = detail(database)
    app.text_area(key=f"note_reason_{SUFFIX}").input("公文逾期\x0b第二行\u202e")
    app.text_area(key=f"note_action_{SUFFIX}").input("加強宣導")
    app.button(key=f"FormSubmitter:note_form_{SUFFIX}-儲存說明").click().run()
    said = " ".join(seen(message.value) for message in app.success)
    assert "已儲存說明" in said and "U+000B" in said and "U+202E" in said and "已改為一般換行" in said
    assert Store(database).notes(112, "政風處", 12)["10-2"].reason == "公文逾期\n第二行"


def test_a_note_stored_before_the_rule_is_shown_visibly(database):
    store_sample(database)
    Store(database).save_note(112, "政風處", 12, "10-2", "舊\x1b[31m原因", "舊\u202e措施")  # saved before the rule
    app = detail(database)
    app.text_area(key=f"note_reason_{SUFFIX}").input("新原因")
    app.button(key=f"FormSubmitter:note_form_{SUFFIX}-儲存說明").click().run()
    shown = texts(app)
    assert "\x1b" not in shown and "\u202e" not in shown
    assert "u001b" in shown and "u202e" in shown  # in the notes' history
