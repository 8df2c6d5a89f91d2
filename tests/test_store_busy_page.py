"""A page whose read of the store gives up on another transaction's lock (issue 19, item 7) says so in Chinese
with a 「重試」 button, shows nothing read half-way, and shows the page once the store answers again."""

from __future__ import annotations

import pytest

from metrics.errors import StoreBusy, StoreProblem
from metrics.store import Store
from markup import seen
from test_pages import PAGES, open_app, store_sample, texts, upload, long_csv

BUSY = "資料庫忙碌中（另一項作業正在寫入或鎖定資料），已等待 8 秒仍無法讀取；未變更任何資料，請稍候再試。"


def busy(*_arguments, **_keywords):
    raise StoreBusy(StoreProblem.BUSY_READING, seconds=8.0)


def busy_shown(app) -> bool:
    return [seen(error.value) for error in app.error] == [BUSY] and [button.label for button in app.button] == ["重試"]


@pytest.mark.parametrize("page", list(PAGES))
def test_a_busy_store_is_told_with_a_retry_button(database, monkeypatch, page):
    store_sample(database)
    app = open_app(page)
    with monkeypatch.context() as patched:
        patched.setattr(Store, "data_version", busy)  # every page's first read
        app.run()
        assert not app.exception, [error.value for error in app.exception]
        assert busy_shown(app), texts(app)
        assert not app.title and not app.metric  # nothing of the page with figures it could not read
    app.button(key="store_busy_retry").click().run()
    assert not app.exception and not app.error
    assert [title.value for title in app.title] == [page]


def test_a_busy_store_while_signing_in_is_told_the_same_way(database, monkeypatch):
    app = open_app()
    with monkeypatch.context() as patched:
        patched.setattr(Store, "session", busy)
        app.run()
        assert busy_shown(app), texts(app)
    app.button(key="store_busy_retry").click().run()
    assert not app.error and [title.value for title in app.title] == ["總覽"]


def test_a_busy_preview_of_an_upload_is_told_with_a_retry_button(database, monkeypatch):
    app = upload(open_app("資料上傳"), [("4月.csv", long_csv([(4, "warning_cases", 1)]))])
    with monkeypatch.context() as patched:
        patched.setattr(Store, "preview", busy)
        app.run()
        assert not app.exception, [error.value for error in app.exception]
        assert BUSY in [seen(error.value) for error in app.error]
        assert app.button(key="store_busy_retry").label == "重試"
    app.button(key="store_busy_retry").click().run()
    assert not app.exception and not app.error
    assert any(button.key == "confirm_upload" for button in app.button)
