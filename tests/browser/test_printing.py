"""Printing from the browser (ui/styles.py PRINT): the overview on at most two A4 landscape pages, the report
page with its note columns, and the report table wrapped with every column in view at 1440 × 900.

The overview prints the sample year (an empty store), what a new user prints first; the report prints the sample
year stored, with a note, so the report has a note to print."""

from __future__ import annotations

import io
import re

import pytest
from pypdf import PdfReader

from .helpers import (ROOT, assert_no_error_shown, button, expect, open_page, plans_of_tests, save_screenshot,
                      wait_for_app_idle)

pytestmark = pytest.mark.browser
PRINT_VIEWPORT = {"width": 1440, "height": 900}
A4_LANDSCAPE = (841.89, 595.28)  # points
REASON = "紙本來文仍多，掃描人力不足"
ACTION = "增購掃描器並宣導線上簽核"


def printed(page) -> bytes:
    """The page as Chromium prints it to A4 landscape, print styles applied."""
    page.emulate_media(media="print")
    try:
        return page.pdf(format="A4", landscape=True, print_background=True)
    finally:
        page.emulate_media(media="screen")


def pdf_text(data: bytes) -> str:
    """Chromium's PDF text as a reader copies it; whitespace dropped, as wrapped cells break words anywhere."""
    import pypdfium2

    document = pypdfium2.PdfDocument(data)
    try:
        return re.sub(r"\s+", "", "".join(document[index].get_textpage().get_text_range()
                                          for index in range(len(document))))
    finally:
        document.close()


def check_a4_landscape(reader: PdfReader) -> None:
    for sheet in reader.pages:
        size = (float(sheet.mediabox.width), float(sheet.mediabox.height))
        assert size == pytest.approx(A4_LANDSCAPE, abs=1), size


def test_overview_prints_on_at_most_two_pages(shared_app, page) -> None:
    page.set_viewport_size(PRINT_VIEWPORT)
    open_page(page, shared_app.page_url(), "總覽")
    expect(page.locator('[class*="st-key-overview_gauge_"] .js-plotly-plot')).to_have_count(13)  # all drawn
    data = printed(page)
    (shared_app.log_path.parent / "overview-print.pdf").write_bytes(data)
    reader = PdfReader(io.BytesIO(data))
    check_a4_landscape(reader)
    assert len(reader.pages) <= 2, len(reader.pages)
    text = pdf_text(data)
    for expected in ("加權分數", "10-2公文線上簽核比率", "1辦理預警案件"):
        assert expected in text


def test_report_page_wraps_and_prints_the_note_columns(fresh_app, page) -> None:
    from metrics.plans.catalogue import SAMPLE_PLANS_DIRECTORY, load_catalogue
    from metrics.intake.monthly import read_upload
    from metrics.store import Store

    sample = ROOT / "sample_data" / "112-full-year.csv"
    catalogue = load_catalogue(plans_of_tests(), samples=SAMPLE_PLANS_DIRECTORY)
    with Store(fresh_app.database_url) as store:
        store.ingest(read_upload(sample.read_bytes(), sample.name, catalogue), file_name=sample.name,
                     file_bytes=sample.read_bytes())
        store.save_note(112, "政風處", 12, "10-2", REASON, ACTION, author="測試員")
    page.set_viewport_size(PRINT_VIEWPORT)
    open_page(page, fresh_app.page_url("報表匯出"), "報表匯出")

    table = page.locator("table.kpi-report")
    # every column in view: the table is no wider than the main area, and the last column ends inside the window
    box = table.bounding_box()
    main = page.get_by_test_id("stMain").bounding_box()
    assert box["x"] + box["width"] <= main["x"] + main["width"] + 1
    assert box["x"] + box["width"] <= PRINT_VIEWPORT["width"]
    for header in ("策略目標", "績效指標", "差距", "落後原因", "改進措施"):
        cell = table.locator("th", has_text=header)
        cell_box = cell.bounding_box()
        assert cell_box["x"] + cell_box["width"] <= PRINT_VIEWPORT["width"], header
    # text wraps instead of being cut: a long goal cell is taller than one line
    goal = table.locator("td", has_text="配合辦理本府 111 年至 113 年推動各機關性別主流化實施計畫")
    assert goal.evaluate("cell => cell.scrollWidth <= cell.clientWidth")
    assert table.locator("td", has_text=REASON).is_visible()
    assert_no_error_shown(page)
    save_screenshot(page, "07-report-wrapped")

    data = printed(page)
    (fresh_app.log_path.parent / "report-print.pdf").write_bytes(data)
    reader = PdfReader(io.BytesIO(data))
    check_a4_landscape(reader)
    assert len(reader.pages) <= 2, len(reader.pages)
    text = pdf_text(data)
    for expected in ("落後原因", "改進措施", REASON, ACTION, "10-2公文線上簽核比率", "1.建立防貪機制"):
        assert expected in text, expected
    assert "下載報表" not in text and "產生PDF報表" not in text  # buttons are not printed


def test_report_pdf_is_made_on_request_and_downloaded(fresh_app, page, tmp_path) -> None:
    open_page(page, fresh_app.page_url("報表匯出"), "報表匯出")
    button(page, "report_pdf_make").click()
    download_button = button(page, "report_pdf_download")
    expect(download_button).to_be_visible()  # after the spinner: the gauges drawn, the page laid out
    wait_for_app_idle(page)
    with page.expect_download() as download_info:
        download_button.click()
    download = download_info.value
    assert download.suggested_filename == "績效指標執行情形_政風處_112年12月.pdf"
    path = tmp_path / download.suggested_filename
    download.save_as(path)
    reader = PdfReader(path)
    assert len(reader.pages) == 1
    check_a4_landscape(reader)
    text = pdf_text(path.read_bytes())
    assert "範例資料｜政風處｜統計至112年12月｜加權分數99.12分" in text
    assert_no_error_shown(page)
