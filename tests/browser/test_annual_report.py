"""報表匯出's 年度績效報告 in a real browser: made on request (its progress, then the buttons), downloaded as a Word
file and a PDF a reader opens. The store is empty, so the sample year is shown and the report says 範例."""

from __future__ import annotations

import io
import re

import pytest

from .helpers import assert_no_error_shown, button, expect, open_page, wait_for_app_idle

pytestmark = pytest.mark.browser


def download(page, key: str, tmp_path):
    with page.expect_download() as download_info:
        button(page, key).click()
    found = download_info.value
    path = tmp_path / found.suggested_filename
    found.save_as(path)
    return path


def test_the_year_end_report_is_made_and_downloaded(fresh_app, page, tmp_path) -> None:
    import docx
    import pypdfium2

    open_page(page, fresh_app.page_url("報表匯出"), "報表匯出")
    button(page, "annual_make").click()
    expect(button(page, "annual_docx_download")).to_be_visible()  # after the progress: both files made
    expect(button(page, "annual_pdf_download")).to_be_visible()
    wait_for_app_idle(page)
    assert_no_error_shown(page)

    word = download(page, "annual_docx_download", tmp_path)
    assert word.name == "施政績效報告_政風處_112年（統計至12月）.docx"
    document = docx.Document(io.BytesIO(word.read_bytes()))
    assert document.paragraphs[0].text == "新竹縣政府政風處 112 年度施政績效報告（範例）"
    assert "範例（非正式資料）" in document.sections[0].header.paragraphs[0].text
    rows = [row for table in document.tables[:10] for row in table.rows[1:]]
    assert len(rows) == 13
    assert "99.12 分" in "\n".join(paragraph.text for paragraph in document.paragraphs)

    pdf = download(page, "annual_pdf_download", tmp_path)
    assert pdf.name == "施政績效報告_政風處_112年（統計至12月）.pdf"
    reader = pypdfium2.PdfDocument(pdf.read_bytes())
    try:
        text = re.sub(r"\s+", "", "".join(reader[index].get_textpage().get_text_range() for index in range(len(reader))))
    finally:
        reader.close()
    assert "新竹縣政府政風處112年度施政績效報告（範例）" in text and "加權分數：99.12分" in text
