"""全府比較's 全府簡報 buttons through AppTest on the hand-computed county fixture (test_county.py): the PDF is made
on request, with its progress, kept for the same data version, period and notes, and made again when a note
changes; without a browser the page says what to install and the .xlsx stays. The drawing itself is tested in
test_briefing.py; here build_briefing_pdf is replaced by a recorder."""

from __future__ import annotations

import pytest

from metrics.outputs import pdf_report
from metrics.outputs.briefing import pdf as briefing_pdf
from metrics.store import Store
from test_county_page import COUNTY, county, open_page, texts  # noqa: F401  (county: the fixture)


@pytest.fixture
def drawn(monkeypatch) -> list:
    """build_briefing_pdf replaced: each call records the units in the order it was given them, and its notes."""
    calls: list = []

    def fake(briefing, **options):
        calls.append([(unit.name, unit.rank, [item.note.reason if item.note else None for item in unit.behind])
                      for unit in briefing.units])
        return b"%PDF-1.4 fake"

    monkeypatch.setattr(briefing_pdf, "build_briefing_pdf", fake)
    monkeypatch.setattr(briefing_pdf, "render_images", counted_images)
    return calls


CHARTS_DRAWN: list[int] = []


def counted_images(figures, browser):
    """The charts' drawing replaced: it records how many pages of charts it was asked for."""
    CHARTS_DRAWN.append(len(figures))
    return [b"png"] * len(figures)


def download_labels(app) -> list[str]:
    return [element.proto.label for element in app.get("download_button")]


def test_the_briefing_is_made_on_request_kept_then_made_again_when_a_note_changes(county, drawn) -> None:
    app = open_page(COUNTY, year="112", month="3")
    assert "全府簡報（.xlsx）" in download_labels(app) and "下載全府簡報（.pdf）" not in download_labels(app)
    assert drawn == []  # nothing drawn by opening the page

    app.button(key="county_briefing_make").click().run()
    assert not app.exception, [error.value for error in app.exception]
    assert CHARTS_DRAWN[-1] == 1  # three units: one page of charts
    assert drawn == [[("舊甲處", 1, []), ("丙處", 2, [None]), ("乙處", 3, [None, None])]]
    assert "下載全府簡報（.pdf）" in download_labels(app)

    app.run()
    assert len(drawn) == 1 and "下載全府簡報（.pdf）" in download_labels(app)  # kept

    Store(county).save_note(112, "乙處", 3, "9", reason="人力不足\x1b[31m", action="=1+2", author="測試")
    app.run()
    assert "下載全府簡報（.pdf）" not in download_labels(app)  # the notes changed: the old briefing is not offered
    assert "各單位的落後原因已更新：請重新產生全府簡報。" in texts(app)
    charts = len(CHARTS_DRAWN)
    app.button(key="county_briefing_make").click().run()
    assert drawn[-1][2] == ("乙處", 3, [None, "人力不足\x1b[31m"])
    assert len(CHARTS_DRAWN) == charts  # a note changed, the scores did not: the charts are kept
    assert "下載全府簡報（.pdf）" in download_labels(app)

    app.sidebar.selectbox(key="period_month").select(2).run()  # another month: another briefing, on request
    assert "下載全府簡報（.pdf）" not in download_labels(app) and len(drawn) == 2


def test_without_a_browser_the_page_says_so_and_the_xlsx_stays(county, drawn, monkeypatch) -> None:
    monkeypatch.setenv(pdf_report.BROWSER_ENVIRONMENT, "/nonexistent/chromium")
    app = open_page(COUNTY, year="112", month="3")
    warnings = " ".join(warning.value for warning in app.warning)
    assert "本伺服器目前無法產生 PDF 全府簡報：找不到繪製儀表圖所需的瀏覽器" in warnings
    assert not [button for button in app.button if button.key == "county_briefing_make"]
    assert "全府簡報（.xlsx）" in download_labels(app)
    assert drawn == []


def test_a_failure_while_drawing_is_said_in_chinese(county, monkeypatch) -> None:
    from metrics.errors import RenderingUnavailable

    def failing(figures, browser):
        raise RenderingUnavailable("瀏覽器「x」無法啟動或繪製儀表圖（TimeoutError）")

    monkeypatch.setattr(briefing_pdf, "render_images", failing)
    app = open_page(COUNTY, year="112", month="3")
    app.button(key="county_briefing_make").click().run()
    assert not app.exception
    assert any("全府簡報產生失敗：瀏覽器「x」無法啟動或繪製儀表圖" in error.value for error in app.error)
    assert "下載全府簡報（.pdf）" not in download_labels(app)
