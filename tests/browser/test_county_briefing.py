"""全府比較's 全府簡報 in Chromium: made on request (the trend charts drawn by the server's own Chromium through
kaleido), then downloaded; the sample year as of 6月 ranks 人事處 68.66, 政風處 67.36, 主計處 54.58 (as the page's
table, test_county_table.py), the sample units marked and the sample said on every page's head."""

from __future__ import annotations

import io
import re

import pytest
from openpyxl import load_workbook

from .helpers import assert_no_error_shown, button, expect, open_page, wait_for_app_idle

pytestmark = pytest.mark.browser


def pdf_pages(data: bytes) -> list[str]:
    import pypdfium2

    document = pypdfium2.PdfDocument(data)
    try:
        return [re.sub(r"\s+", "", document[index].get_textpage().get_text_range()) for index in range(len(document))]
    finally:
        document.close()


def test_the_county_briefing_is_made_and_downloaded(fresh_app, page, tmp_path) -> None:
    open_page(page, fresh_app.page_url("全府比較") + "?year=112&month=6", "全府比較")
    button(page, "county_briefing_make").click()
    download_button = button(page, "county_briefing_pdf")
    expect(download_button).to_be_visible()  # after the progress bar: the charts drawn, the pages laid out
    wait_for_app_idle(page)
    with page.expect_download() as download_info:
        download_button.click()
    download = download_info.value
    assert download.suggested_filename == "全府簡報_112年6月.pdf"
    path = tmp_path / download.suggested_filename
    download.save_as(path)
    pages = pdf_pages(path.read_bytes())
    assert len(pages) >= 2
    assert all("範例資料｜112年度｜統計至112年6月｜資料讀取時間" in text for text in pages)
    first = pages[0]
    ranked = [first.find(row) for row in ("1人事處（範例）68.66分", "2政風處67.36分", "3主計處（範例）54.58分")]
    assert -1 not in ranked and ranked == sorted(ranked), first
    assert "三、各單位落後指標及落後原因" in "".join(pages)
    assert_no_error_shown(page)

    xlsx = button(page, "county_briefing_xlsx")
    with page.expect_download() as download_info:
        xlsx.click()
    download = download_info.value
    assert download.suggested_filename == "全府簡報_112年6月.xlsx"
    path = tmp_path / download.suggested_filename
    download.save_as(path)
    book = load_workbook(io.BytesIO(path.read_bytes()))
    rows = [[cell.value for cell in row][:3] for row in book["排名"].iter_rows(min_row=4)]
    assert rows == [[1, "人事處（範例）", 68.66], [2, "政風處", 67.36], [3, "主計處（範例）", 54.58]]
    assert_no_error_shown(page)
