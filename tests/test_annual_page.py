"""報表匯出's 「年度績效報告（.docx／.pdf）」 (ui/annual.py): made on request, kept per data version, period and notes.

The rendering is tested in test_annual_report.py; here render is wrapped by a recorder, so these tests show when the
page makes the files, and what report it made them from."""

from __future__ import annotations

from pathlib import Path

import pytest

from metrics.outputs import annual, pdf_report
from metrics.store import Store

from test_pages import go, open_app, store_sample, texts


@pytest.fixture
def made(monkeypatch) -> list[tuple[str, object]]:
    """(suffix, report) of every file the page renders."""
    calls: list[tuple[str, object]] = []
    real = annual.render

    def recording(report, suffix):
        calls.append((suffix, report))
        return real(report, suffix)

    monkeypatch.setattr(annual, "render", recording)
    return calls


def download_labels(app) -> list[str]:
    return [element.proto.label for element in app.get("download_button") if "年度績效報告" in element.proto.label]


def suffixes(made) -> list[str]:
    return [suffix for suffix, _ in made]


needs_font = pytest.mark.skipif(not Path(pdf_report.FONT_CANDIDATES[0]).is_file(), reason="需要 fonts-noto-cjk")


@needs_font
def test_made_on_request_once_then_again_when_a_note_changes(database, made) -> None:
    store_sample(database)
    app = open_app("報表匯出")
    assert "年度績效報告（.docx／.pdf）" in [element.value for element in app.subheader]
    assert download_labels(app) == [] and made == []  # nothing made by opening the page

    app.button(key="annual_make").click().run()
    assert not app.exception
    assert suffixes(made) == [".docx", ".pdf"]
    assert download_labels(app) == ["下載年度績效報告（.docx）", "下載年度績效報告（.pdf）"]
    report = made[0][1]
    assert (report.unit_name, report.year, report.as_of_month, report.score) == ("政風處", 112, 12, "99.12 分")
    assert not report.sample and "範例" not in report.header

    go(app, "總覽")
    go(app, "報表匯出")
    assert suffixes(made) == [".docx", ".pdf"]  # kept: the same data, period and notes
    assert download_labels(app) == ["下載年度績效報告（.docx）", "下載年度績效報告（.pdf）"]

    Store(database).save_note(112, "政風處", 9, "3", reason="人力不足", action="增聘", author="測試")
    app.run()
    assert download_labels(app) == []  # the notes changed: the old files are not offered
    app.button(key="annual_make").click().run()
    assert suffixes(made) == [".docx", ".pdf"] * 2
    line = next(line for goal in made[-1][1].goals for line in goal.lines if line.id == "3")
    assert (line.reason, line.action, line.note_month) == ("人力不足", "增聘", 9)

    app.sidebar.selectbox(key="period_month").select(6).run()
    assert download_labels(app) == []  # another month: made again on request
    app.button(key="annual_make").click().run()
    assert made[-1][1].as_of_month == 6 and made[-1][1].score == "51.44 分"


def test_without_the_font_the_word_file_is_still_made(database, made, monkeypatch) -> None:
    monkeypatch.delenv(pdf_report.FONT_ENVIRONMENT, raising=False)
    monkeypatch.setattr(pdf_report, "FONT_CANDIDATES", ())
    store_sample(database)
    app = open_app("報表匯出")
    app.button(key="annual_make").click().run()
    assert not app.exception
    assert suffixes(made) == [".docx"]
    assert download_labels(app) == ["下載年度績效報告（.docx）"]
    assert "本伺服器目前無法產生 PDF：找不到中文字型 Noto Sans CJK" in texts(app)
    assert "Word 檔不受影響" in texts(app)


def test_the_built_in_sample_is_marked(database, made, monkeypatch) -> None:
    monkeypatch.setattr(pdf_report, "FONT_CANDIDATES", ())  # the Word file is enough here
    monkeypatch.delenv(pdf_report.FONT_ENVIRONMENT, raising=False)
    app = open_app("報表匯出")  # an empty store: the sample figures are shown
    app.button(key="annual_make").click().run()
    assert not app.exception
    report = made[0][1]
    assert report.sample and report.title.endswith("（範例）") and "範例（非正式資料）" in report.header
