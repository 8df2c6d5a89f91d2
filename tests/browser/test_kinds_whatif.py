"""Every new kind of indicator in a real browser (issue 21), on the 範例 plan of every kind, 工務處 113 (sample_data:
an empty store shows its sample figures, January to June): 情境模擬 recomputes each kind's gauge caption and the
score when its target is edited, and the month's PDF report of 報表匯出 names every indicator of the plan.

Hand-computed as of June (weights 100 in all: the unit's 60, the common 40). Officially:
  1-1 at_most count   Σ通報 52+48+61+55+47+50 = 313 ≤ 600 (pace 600 × 6 ÷ 12 = 300: 落後), achievement 100%   15 × 1
  1-2 at_most quotient  Σ日數 891 ÷ Σ件數 306 = 2.91 → 2.9 日 ≤ 3: 達標                                      10 × 1
  1-3 milestone       stage 2 of 5 = 40% of 90%: 44.4%, 符合進度 (stage 3 planned by July)                   15 × 4/9
  2-1 latest          86.4 分 (June's survey) ≥ 85: 達標                                                     10 × 1
  2-2 growth          (6,800 − 12,000 × 6 ÷ 12) ÷ 6,000 = 13.33% ≥ 10%: 達標                                 10 × 1
  common: 6 5 × 1, 7 5 × 7/9, 8 10 × 1,146/2,125, 9-1 5 × 1, 9-2 5 × 1/2, 10-1 5 × 2,422/2,425, 10-2 5 × 1
  score 83.442 → 83.44 分.
The edits, each on top of the ones before (score change from the weight × achievement change ÷ 100):
  1-1 ≤ 700: pace 350, 313 ≤ 350 符合進度; achievement still 100%: score 83.44
  1-2 ≤ 2.5: 2.9 > 2.5 落後, achievement 2.5 ÷ 2.9 = 86.2%: −10 × (1 − 0.86207) ÷ 100 … 82.063 → 82.06
  1-3 40%: stage 2 = 40% 達標, 100%: +15 × 5/9 → 90.396 → 90.4
  2-1 90 分: 86.4 ÷ 90 = 96% 落後: −0.4 → 89.996 → 90
  2-2 20%: 13.33 ÷ 20 = 66.65% → 66.7% 落後: −10 × 0.3335 → 86.661 → 86.66
"""

from __future__ import annotations

import re
from urllib.parse import quote

import pytest

from .helpers import (Page, StreamlitApp, assert_no_error_shown, button, edit_grid_number, expect, gauge_caption,
                      grid_cell, metric_value, open_page, save_screenshot, wait_for_app_idle)

pytestmark = pytest.mark.browser
PERIOD = f"?year=113&unit={quote('工務處')}&month=6"
ROW_OF = {indicator: row for row, indicator in enumerate(
    ("1-1", "1-2", "1-3", "2-1", "2-2", "6", "7", "8", "9-1", "9-2", "10-1", "10-2"))}
OFFICIAL_SCORE = "83.44 分"
# (indicator, kind, new target, the official line, the line after the edit, the score after the edit)
EDITS = (
    ("1-1", "at_most count", "700", "官方：313 件，達成率 100%，落後",
     "狀態：符合進度｜目標 ≤ 700 件（至 6 月進度 350 件）｜達成率 100%", "83.44 分"),
    ("1-2", "at_most quotient", "2.5", "官方：2.9 日，達成率 100%，達標", "狀態：落後｜目標 ≤ 2.5 日｜達成率 86.2%",
     "82.06 分"),
    ("1-3", "milestone", "40", "官方：40%，達成率 44.4%，符合進度", "狀態：達標｜目標 40%｜達成率 100%", "90.4 分"),
    ("2-1", "latest", "90", "官方：86.4 分，達成率 101.6%，達標", "狀態：落後｜目標 90 分｜達成率 96%", "90 分"),
    ("2-2", "growth", "20", "官方：13.33%，達成率 100%，達標", "狀態：落後｜目標 20%｜達成率 66.7%", "86.66 分"),
)
# Every indicator of the plan as the month's PDF report names it (id and name, as the plan states them).
INDICATORS = (
    "1-1 道路坑洞通報件數控制在 600 件以內", "1-2 坑洞平均修補日數不超過 3 日", "1-3 竹北市縣道拓寬工程",
    "2-1 公共工程民眾滿意度達 85 分", "2-2 人行道改善長度較 112 年成長 10%", "6 單位聘僱、臨時人力精簡率",
    "7 單位公務人員及聘僱人員客語認證完成率", "8 預算執行率", "9-1 對於性別處境之議題，採用質化或量化方法進行分析",
    "9-2 運用性別統計及性別分析，找出性別議題之情形", "10-1 公文電子交換比率", "10-2 公文線上簽核比率",
)


def flat(text: str) -> str:
    return re.sub(r"\s+", "", text)


def test_whatif_recomputes_every_kind(shared_app: StreamlitApp, page: Page) -> None:
    open_page(page, shared_app.page_url("情境模擬") + PERIOD, "情境模擬")
    expect(page.get_by_text("模擬結果（統計至 113年6月")).to_be_visible()
    expect(metric_value(page, "加權分數")).to_have_text(OFFICIAL_SCORE)
    editor = page.locator(".st-key-whatif_targets_editor_0")
    expect(grid_cell(editor, "指標", ROW_OF["2-2"])).to_have_text("2-2")
    for indicator, kind, target, official, edited, score in EDITS:
        caption = gauge_caption(page, f"whatif_gauge_{indicator}")
        expect(caption).to_contain_text(official)
        edit_grid_number(page, editor, "模擬目標值", ROW_OF[indicator], target)
        expect(caption).to_contain_text(edited)
        wait_for_app_idle(page)
        expect(metric_value(page, "加權分數"), kind).to_have_text(score)
        expect(caption).to_contain_text(official)  # the official line stays beside the simulated one
    expect(grid_cell(editor, "模擬目標值", ROW_OF["2-2"])).to_have_text("20")
    assert_no_error_shown(page)
    save_screenshot(page, "kinds-whatif-edited")


def test_the_months_pdf_report_names_every_indicator(shared_app: StreamlitApp, page: Page, tmp_path) -> None:
    import pypdfium2

    open_page(page, shared_app.page_url("報表匯出") + PERIOD, "報表匯出")
    button(page, "report_pdf_make").click()
    download_button = button(page, "report_pdf_download")
    expect(download_button).to_be_visible()
    wait_for_app_idle(page)
    with page.expect_download() as download_info:
        download_button.click()
    download = download_info.value
    assert download.suggested_filename == "績效指標執行情形_工務處_113年6月.pdf"
    path = tmp_path / download.suggested_filename
    download.save_as(path)
    document = pypdfium2.PdfDocument(str(path))
    try:
        text = flat("".join(document[index].get_textpage().get_text_range() for index in range(len(document))))
    finally:
        document.close()
    assert "範例資料｜工務處｜統計至113年6月｜加權分數83.44分" in text, text[:300]
    for indicator in INDICATORS:
        assert flat(indicator) in text, indicator
    for shown in ("313件", "2.9日", "40%", "86.4分", "13.33%"):  # each new kind's value as on screen
        assert shown in text, shown
    assert_no_error_shown(page)
