"""What a civil servant does with the dashboard, in Chromium: open it on an empty store (the sample
year), upload a month through the real file input, get a refused file's problems, undo an upload,
try a what-if target, download the report, read an indicator's detail.

Expected numbers are computed by hand. The sample year's are sample_data/README.md's table (as of
12月: 11 met, 2 behind, score 67,795 ÷ 684 = 99.12). The uploaded month 112年1月 holds
warning_cases 1, procurement_audits 11, edoc_sent_electronic 97 / edoc_sent_total 100 and
hakka_certified 1,221 / staff_headcount 3,000, so as of 1月:
  1: 1 案 (1 ÷ 2 = 50%, pace 2 × 1 ÷ 12 = 0.17 → 符合進度)   2: 11 案 (11 ÷ 130, pace 10.83 → 符合進度)
  7: 1,221 ÷ 3,000 = 40.7% (達標)                            10-1: 97 ÷ 100 = 97% (達標)
  the other 9 無資料, so the score is (12.5 × ½ + 12.5 × 11⁄130 + 5 + 5) ÷ 95 × 100 = 18.2186… → 18.22 分.
"""

from __future__ import annotations

import io
import re
from decimal import Decimal

import openpyxl
import pytest

from catalogues import CATALOGUE, PLAN_112
from metrics.intake.monthly import read_upload
from metrics.outputs.report import FIRST_DATA_ROW, HEADER_ROW, SHEET_NAME
from metrics.store import Store
from metrics.outputs.template import build_template

from .helpers import (XLSX, Locator, Page, StreamlitApp, assert_no_error_shown, button, edit_grid_number, expect,
                      gauge, gauge_caption, gauge_number, go_to, grid_cell, grid_row_count, log_in, metric_delta,
                      metric_value, open_page, save_screenshot, table_with_column, title, wait_for_app_idle)

pytestmark = pytest.mark.browser

INDICATOR_IDS = [indicator.id for indicator in PLAN_112.indicators]
ROW_OF = {indicator_id: row for row, indicator_id in enumerate(INDICATOR_IDS)}

# sample_data/README.md, 「年底（統計至 112 年 12 月）各指標數值」: 結果 and 12 月狀態
SAMPLE_AS_OF_DECEMBER = {
    "1": ("2 案", "達標"), "2": ("134 案", "達標"), "3": ("141 案", "落後"), "4": ("1 案", "達標"),
    "5-1": ("4 次", "達標"), "5-2": ("1 次", "達標"), "6": ("50%", "達標"), "7": ("40.74%", "達標"),
    "8": ("86.28%", "達標"), "9-1": ("1 件", "達標"), "9-2": ("2 件", "達標"), "10-1": ("97.4%", "達標"),
    "10-2": ("70.7%", "落後"),
}
SAMPLE_SCORE = "99.12 分"

JANUARY = {
    ("warning_cases", 1): Decimal(1),
    ("procurement_audits", 1): Decimal(11),
    ("edoc_sent_electronic", 1): Decimal(97),
    ("edoc_sent_total", 1): Decimal(100),
    ("hakka_certified", 1): Decimal(1221),
    ("staff_headcount", 1): Decimal(3000),
}
# A second file: corrects January's procurement audits (11 → 20) and adds February.
# As of 2月: 2 is 20 + 9 = 29 案; 10-1 is (97 + 90) ÷ (100 + 100) = 93.5%.
FEBRUARY = {
    ("procurement_audits", 1): Decimal(20),
    ("procurement_audits", 2): Decimal(9),
    ("edoc_sent_electronic", 2): Decimal(90),
    ("edoc_sent_total", 2): Decimal(100),
}
JANUARY_GAUGES = {"1": "1 案", "2": "11 案", "7": "40.7%", "10-1": "97%"}
JANUARY_SCORE = "18.22 分"
JANUARY_COUNTS = {"達標": "2 項", "符合進度": "2 項", "落後": "0 項", "無資料": "9 項"}
FEBRUARY_GAUGES = {"2": "29 案", "10-1": "93.5%"}


def workbook_bytes(values: dict[tuple[str, int], Decimal]) -> bytes:
    return build_template(PLAN_112, values=values)


def workbook_with_text(values: dict[tuple[str, int], Decimal], cells: dict[str, str]) -> bytes:
    workbook = openpyxl.load_workbook(io.BytesIO(workbook_bytes(values)))
    for cell, text in cells.items():
        workbook["月報"][cell] = text
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def upload_payload(name: str, data: bytes) -> dict[str, object]:
    mime = "text/csv" if name.endswith(".csv") else XLSX
    return {"name": name, "mimeType": mime, "buffer": data}


def store_file(app: StreamlitApp, name: str, data: bytes) -> None:
    with Store(app.database_url) as store:
        store.ingest(read_upload(data, name, CATALOGUE), file_name=name, file_bytes=data)


def stored_batches(app: StreamlitApp) -> list:
    with Store(app.database_url) as store:
        return store.history()


def history_lines(page: Page) -> Locator:
    return page.get_by_test_id("stMarkdownContainer").filter(has_text=re.compile(r"^第 \d+ 批｜"))


def file_input(page: Page) -> Locator:
    return page.locator('[class*="st-key-uploader_"] input[type="file"]')


def expect_gauges(page: Page, prefix: str, expected: dict[str, str]) -> None:
    for indicator_id, text in expected.items():
        expect(gauge_number(page, f"{prefix}_gauge_{indicator_id}")).to_have_text(text)


def test_new_user_sees_the_sample_year(shared_app: StreamlitApp, page: Page) -> None:
    open_page(page, shared_app.page_url(), "總覽")
    expect(page.get_by_text("範例資料", exact=True)).to_be_visible()
    expect(page.get_by_text("資料庫尚無任何月報")).to_be_visible()
    expect(page.get_by_role("heading", name="政風處｜統計至 112年12月（最新填報：112年12月）")).to_be_visible()
    expect(metric_value(page, "加權分數")).to_have_text(SAMPLE_SCORE)
    for label, count in {"達標": "11 項", "符合進度": "0 項", "落後": "2 項", "無資料": "0 項"}.items():
        expect(metric_value(page, label)).to_have_text(count)
    expect(page.get_by_text("計畫權重合計 95%（計畫原訂，未調整為 100%）")).to_be_visible()

    goals = page.get_by_role("heading", level=4, name=re.compile(r"^目標 \d+"))
    expect(goals).to_have_count(10)
    for number in range(1, 11):
        expect(goals.nth(number - 1)).to_have_text(re.compile(rf"^目標 {number}\s"))
    expect(page.locator('[class*="st-key-overview_gauge_"]')).to_have_count(13)
    for indicator_id, (value, status) in SAMPLE_AS_OF_DECEMBER.items():
        chart = gauge(page, f"overview_gauge_{indicator_id}")
        expect(chart.locator(".js-plotly-plot .main-svg").first).to_be_visible()
        expect(gauge_number(page, f"overview_gauge_{indicator_id}")).to_have_text(value)
        expect(gauge_caption(page, f"overview_gauge_{indicator_id}")).to_contain_text(f"狀態：{status}")

    assert_no_error_shown(page)
    save_screenshot(page, "01-overview-sample")
    assert stored_batches(shared_app) == [], "looking at the sample year must not store it"


def test_upload_a_month_through_the_file_input(fresh_app: StreamlitApp, page: Page) -> None:
    open_page(page, fresh_app.page_url("資料上傳"), "資料上傳")
    expect(page.get_by_text("尚無上傳紀錄。")).to_be_visible()
    expect(file_input(page)).to_have_count(0)  # nobody is logged in
    log_in(page)

    file_input(page).set_input_files([upload_payload("112-01.xlsx", workbook_bytes(JANUARY))])
    expect(page.get_by_text("3. 確認將儲存的數字")).to_be_visible()
    expect(page.get_by_text("112-01.xlsx：112年1月，共 6 筆（新增 6、修改 0、相同 0）")).to_be_visible()
    page.get_by_text("全部數字").click()
    preview = table_with_column(page, "上傳數值")
    expect(preview).to_be_visible()
    wait_for_app_idle(page)
    assert grid_row_count(preview) == 6
    uploaded = {grid_cell(preview, "項目", row).inner_text(): grid_cell(preview, "上傳數值", row).inner_text()
                for row in range(6)}
    assert uploaded == {"預警案件數": "1", "採購稽核案件數": "11", "已通過客語認證人數": "1,221",
                        "公務人員及聘僱人員現職人數": "3,000", "電子發文件數": "97", "發文總件數": "100"}
    expect(page.get_by_text("上傳者：測試員（tester）（記入上傳紀錄與操作紀錄）")).to_be_visible()
    save_screenshot(page, "02-upload-preview")

    button(page, "confirm_upload").click()
    expect(page.get_by_test_id("stAlertContentSuccess")).to_contain_text(
        "已儲存「112-01.xlsx」為第 1 批：新增 6 筆、修改 0 筆、相同 0 筆。")
    wait_for_app_idle(page)
    expect(history_lines(page)).to_have_count(1)
    expect(history_lines(page)).to_contain_text("第 1 批｜112-01.xlsx｜")
    expect(history_lines(page)).to_contain_text("6 筆，上傳者 測試員（tester）")
    expect(page.get_by_text("3. 確認將儲存的數字")).to_have_count(0)
    [batch] = stored_batches(fresh_app)
    assert (batch.id, batch.file_name, batch.row_count, batch.uploader) == (1, "112-01.xlsx", 6, "測試員（tester）")
    assert_no_error_shown(page)
    save_screenshot(page, "02-upload-stored")

    go_to(page, "總覽")
    expect(page.get_by_text("資料庫尚無任何月報")).to_have_count(0)
    expect(page.get_by_role("heading", name="政風處｜統計至 112年1月（最新填報：112年1月）")).to_be_visible()
    expect_gauges(page, "overview", JANUARY_GAUGES)
    expect(gauge_number(page, "overview_gauge_3")).to_have_count(0)  # 無資料: a gauge without a number
    expect(gauge_caption(page, "overview_gauge_10-1")).to_contain_text("電子發文件數 97 / 發文總件數 100 件")
    expect(gauge_caption(page, "overview_gauge_7")).to_contain_text(
        "已通過客語認證人數 1,221 / 公務人員及聘僱人員現職人數 3,000 人")
    expect(metric_value(page, "加權分數")).to_have_text(JANUARY_SCORE)
    for label, count in JANUARY_COUNTS.items():
        expect(metric_value(page, label)).to_have_text(count)
    assert_no_error_shown(page)
    save_screenshot(page, "02-overview-after-upload")


def test_a_bad_file_is_refused_with_its_problems(fresh_app: StreamlitApp, page: Page) -> None:
    store_file(fresh_app, "112-01.xlsx", workbook_bytes(JANUARY))
    open_page(page, fresh_app.page_url("資料上傳"), "資料上傳")
    log_in(page)
    expect(history_lines(page)).to_have_count(1)

    bad_workbook = workbook_with_text(JANUARY, {"D6": "十一件", "E7": "abc"})
    bad_csv = "年度,月份,單位,項目代碼,數值\n112,2,政風處,procurement_audits,9\n112,2,政風處,edoc_sent_total,一百\n"
    file_input(page).set_input_files([
        upload_payload("112-02.xlsx", workbook_bytes(FEBRUARY)),
        upload_payload("錯誤月報.xlsx", bad_workbook),
        upload_payload("長表.csv", bad_csv.encode("utf-8")),
    ])
    errors = page.get_by_test_id("stAlertContentError")
    expect(errors).to_have_count(2)
    expect(errors.nth(0)).to_contain_text("錯誤月報.xlsx：有 2 項問題，請修正後重新上傳。")
    expect(errors.nth(0)).to_contain_text(
        "檔案「錯誤月報.xlsx」工作表「月報」儲存格 D6（項目：採購稽核案件數）：「十一件」不是數字")
    expect(errors.nth(0)).to_contain_text(
        "檔案「錯誤月報.xlsx」工作表「月報」儲存格 E7（項目：陳情檢舉完成件數）：「abc」不是數字")
    expect(errors.nth(1)).to_contain_text("長表.csv：有 1 項問題")
    expect(errors.nth(1)).to_contain_text("檔案「長表.csv」儲存格 E3（項目：發文總件數）：「一百」不是數字")
    expect(page.get_by_test_id("stAlertContentWarning").filter(has_text="所有選取的檔案都未儲存")).to_contain_text(
        "所有選取的檔案都未儲存（任一檔案有誤即全部不儲存）。沒有問題的檔案：112-02.xlsx。")
    expect(page.locator(".st-key-confirm_upload")).to_have_count(0)
    wait_for_app_idle(page)
    expect(history_lines(page)).to_have_count(1)
    assert [batch.id for batch in stored_batches(fresh_app)] == [1]
    expect(page.get_by_test_id("stException")).to_have_count(0)
    save_screenshot(page, "03-upload-refused")


def test_undo_restores_the_previous_numbers(fresh_app: StreamlitApp, page: Page) -> None:
    store_file(fresh_app, "112-01.xlsx", workbook_bytes(JANUARY))
    store_file(fresh_app, "112-02.xlsx", workbook_bytes(FEBRUARY))
    open_page(page, fresh_app.page_url(), "總覽")
    expect(page.get_by_role("heading", name="政風處｜統計至 112年2月（最新填報：112年2月）")).to_be_visible()
    expect_gauges(page, "overview", FEBRUARY_GAUGES)

    log_in(page)
    go_to(page, "資料上傳")
    expect(history_lines(page)).to_have_count(2)
    button(page, "undo_2").click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_contain_text("確定要復原第 2 批「112-02.xlsx」")
    expect(dialog).to_contain_text("112年1月 1 個數字恢復為上一次上傳的值")
    expect(dialog).to_contain_text("112年2月 3 個數字將變為未填報")
    save_screenshot(page, "04-undo-confirm")
    dialog.get_by_role("button", name="確認復原").click()
    expect(page.get_by_test_id("stAlertContentSuccess")).to_contain_text(
        "已復原第 2 批「112-02.xlsx」：1 個數字恢復為上一次上傳的值，3 個數字已變為未填報。")
    wait_for_app_idle(page)
    undone = history_lines(page).filter(has_text="第 2 批｜")
    expect(undone).to_contain_text("復原）")
    expect(undone.locator("del")).to_have_count(1)
    expect(page.locator(".st-key-undo_2")).to_have_count(0)
    expect(page.locator(".st-key-undo_1")).to_have_count(1)
    assert [(batch.id, batch.is_undone) for batch in stored_batches(fresh_app)] == [(2, True), (1, False)]
    assert_no_error_shown(page)
    save_screenshot(page, "04-undo")

    go_to(page, "總覽")
    expect(page.get_by_role("heading", name="政風處｜統計至 112年1月（最新填報：112年1月）")).to_be_visible()
    expect_gauges(page, "overview", JANUARY_GAUGES)
    expect(metric_value(page, "加權分數")).to_have_text(JANUARY_SCORE)
    assert_no_error_shown(page)
    save_screenshot(page, "04-overview-after-undo")


def test_whatif_target_changes_the_score_and_survives_switching_pages(shared_app: StreamlitApp, page: Page) -> None:
    # Indicator 3 has 141 案 against 150 (achievement 94%, 落後). With a target of 140 it is met: its
    # weighted contribution grows by 12.5 × (1 − 0.94) = 0.75, the score by 0.75 ÷ 95 × 100 = 0.79 to
    # 67,795 ÷ 684 + 15 ÷ 19 = 99.905 → 99.9 分; its achievement by (141 ÷ 140 − 141 ÷ 150) × 100 = 6.7 points.
    open_page(page, shared_app.page_url("情境模擬"), "情境模擬")
    editor = page.locator(".st-key-whatif_targets_editor_0")
    comparison = table_with_column(page, "變化")
    row = ROW_OF["3"]
    expect(grid_cell(comparison, "指標", row)).to_have_text("3 陳情檢舉完成")
    expect(grid_cell(comparison, "目標", row)).to_have_text("150 案")
    expect(metric_value(page, "加權分數")).to_have_text(SAMPLE_SCORE)
    expect(metric_delta(page, "加權分數")).to_have_text("與官方相同")

    edit_grid_number(page, editor, "模擬目標值", row, "140")
    expect(grid_cell(comparison, "目標", row)).to_have_text("150 案 → 140 案")
    wait_for_app_idle(page)
    expected_row = {"實際值": "141 案", "達成率": "94% → 100.7%", "變化": "+6.7 個百分點", "狀態": "落後 → 達標",
                    "權重": "12.5%"}
    for column, text in expected_row.items():
        expect(grid_cell(comparison, column, row)).to_have_text(text)
    expect(metric_value(page, "加權分數")).to_have_text("99.9 分")
    expect(metric_delta(page, "加權分數")).to_have_text("+0.79 分（相較官方）")
    expect(gauge_caption(page, "whatif_gauge_3")).to_contain_text("官方：141 案，達成率 94%，落後")
    expect(gauge_caption(page, "whatif_gauge_3")).to_contain_text("狀態：達標｜目標 140 案｜達成率 100.7%")
    assert_no_error_shown(page)
    save_screenshot(page, "05-whatif-edited")

    go_to(page, "總覽")
    expect(metric_value(page, "加權分數")).to_have_text(SAMPLE_SCORE)  # the plan itself is untouched
    go_to(page, "情境模擬")
    expect(grid_cell(editor, "模擬目標值", row)).to_have_text("140")
    expect(grid_cell(comparison, "目標", row)).to_have_text("150 案 → 140 案")
    expect(metric_value(page, "加權分數")).to_have_text("99.9 分")
    save_screenshot(page, "05-whatif-after-switching-pages")

    button(page, "whatif_reset").click()
    expect(metric_delta(page, "加權分數")).to_have_text("與官方相同")
    wait_for_app_idle(page)
    expect(grid_cell(comparison, "目標", row)).to_have_text("150 案")
    expect(grid_cell(page.locator(".st-key-whatif_targets_editor_1"), "模擬目標值", row)).to_have_text("150")
    expect(metric_value(page, "加權分數")).to_have_text(SAMPLE_SCORE)
    assert_no_error_shown(page)


def test_report_download_is_the_official_table(shared_app: StreamlitApp, page: Page, tmp_path) -> None:
    open_page(page, shared_app.page_url("報表匯出"), "報表匯出")
    expect(page.get_by_text("新竹縣政府政風處 112 年度施政計畫績效指標執行情形")).to_be_visible()
    expect(page.get_by_text("範例資料｜政風處｜統計至 112 年 12 月｜加權分數 99.12 分")).to_be_visible()
    table = page.locator("table.kpi-report")  # wrapped HTML: every column in view
    expect(table).to_be_visible()
    expect(table.locator("tbody tr")).to_have_count(13)
    expect(table.locator("th", has_text="改進措施")).to_be_visible()
    assert_no_error_shown(page)
    save_screenshot(page, "06-report")

    with page.expect_download() as download_info:
        button(page, "report_download").click()
    download = download_info.value
    assert download.suggested_filename == "績效指標執行情形_政風處_112年12月.xlsx"
    path = tmp_path / download.suggested_filename
    download.save_as(path)

    sheet = openpyxl.load_workbook(path)[SHEET_NAME]
    assert sheet["A1"].value == "新竹縣政府政風處 112 年度施政計畫績效指標執行情形"
    assert sheet["A2"].value.startswith("範例資料｜政風處｜統計至 112 年 12 月｜加權分數 99.12 分")
    headers = [cell.value for cell in sheet[HEADER_ROW]]
    assert headers[:7] == ["策略目標", "績效指標", "權重", "目標值", "實際值", "達成率", "狀態"]
    rows = list(sheet.iter_rows(min_row=FIRST_DATA_ROW, values_only=True))
    indicators = [row for row in rows if row[1]]
    assert len(indicators) == 13
    numbers = list(sheet.iter_rows(min_row=FIRST_DATA_ROW, min_col=5, max_col=5))
    for indicator_id, row, (actual,) in zip(INDICATOR_IDS, indicators, numbers):
        value, status = SAMPLE_AS_OF_DECEMBER[indicator_id]
        assert row[1].startswith(f"{indicator_id} "), row
        assert row[6] == status, row
        # the actual is a number whose format reads like the screen: 134 with #,##0" 案" is 134 案
        assert actual.data_type == "n", row
        number, _, unit = value.partition(" ")
        assert actual.value == pytest.approx(float(number.rstrip("%"))), row
        assert actual.number_format.endswith('"%"' if value.endswith("%") else f'" {unit}"'), row


# 10-1: 1,385 ÷ 1,422 = 97.398% → 97.4%, achievement 97.398 ÷ 97 = 100.4%.
# 6: (1 + 0 ÷ 2) ÷ 2 × 100 = 50%; D stays 新增員額 2 because 3 + 2 ÷ 2 = 4 is not less (plan rule (三)).
@pytest.mark.parametrize(("option", "heading", "actual", "achievement", "status", "formula"), [
    pytest.param("10-1 公文電子交換比率", "指標 10-1：公文電子交換比率", "97.4%", "100.4%", "達標",
                 "電子發文件數 1,385 ÷ 發文總件數 1,422 × 100% ＝ 97.4%", id="10-1"),
    pytest.param("6 聘僱臨時人力精簡率", "指標 6：", "50%", "100%", "達標",
                 "(精簡之縣款聘僱人員數 1 ＋ 精簡之縣款臨時人員數 0 ÷ 2) ÷ 新增(含解控)預算員額數 2 × 100%，"
                 "無條件進位 ＝ 50%", id="6"),
])
def test_indicator_detail_shows_chart_and_formula(shared_app: StreamlitApp, page: Page, option: str, heading: str,
                                                  actual: str, achievement: str, status: str, formula: str) -> None:
    open_page(page, shared_app.page_url("指標明細"), "指標明細")
    page.locator(".st-key-detail_indicator input").click()
    page.get_by_role("option", name=option, exact=True).click()
    expect(page.get_by_text(heading)).to_be_visible()
    wait_for_app_idle(page)
    indicator_id = option.split()[0]
    expect(metric_value(page, "實際值（至 12 月）")).to_have_text(actual)
    expect(metric_value(page, "達成率")).to_have_text(achievement)
    expect(metric_value(page, "狀態")).to_have_text(status)
    chart = page.locator(".st-key-detail_series")
    expect(chart.locator(".main-svg").first).to_be_visible()
    expect(chart.locator(".gtitle")).to_have_text(f"112年 {option}：每月趨勢")
    expect(page.get_by_test_id("stMarkdownContainer").locator("blockquote")).to_have_text(formula)
    sources = table_with_column(page, "上傳時間")
    expect(sources).to_be_visible()
    expect(grid_cell(sources, "上傳時間", 0)).to_have_text("範例資料（未儲存）")
    assert_no_error_shown(page)
    save_screenshot(page, f"07-detail-{indicator_id}")


def test_county_page_links_to_a_units_overview_for_the_same_year_and_month(shared_app: StreamlitApp,
                                                                            page: Page) -> None:
    open_page(page, shared_app.page_url("全府比較") + "?year=112&month=6", "全府比較")
    expect(page.get_by_role("heading", name="112 年度共同性指標｜統計至 112年6月（3 個單位）")).to_be_visible()
    expect(page.get_by_text("尚未填報 112年6月 的單位")).to_be_visible()
    chooser = page.locator(".st-key-county_unit")
    chooser.click()
    page.get_by_role("option", name="人事處（範例）").click()
    page.get_by_role("link", name="開啟人事處（範例）的總覽（112年6月）").click()
    expect(title(page, "總覽")).to_be_visible()
    expect(page.get_by_role("heading", name="人事處｜統計至 112年6月（最新填報：112年12月）")).to_be_visible()
    wait_for_app_idle(page)
    assert "year=112" in page.url and "month=6" in page.url and "unit=%E4%BA%BA%E4%BA%8B%E8%99%95" in page.url
    assert_no_error_shown(page)


def test_the_county_page_opens_an_indicators_detail_for_the_same_month(shared_app: StreamlitApp, page: Page) -> None:
    open_page(page, shared_app.page_url("全府比較") + "?year=112&month=12", "全府比較")
    page.locator(".st-key-county_unit").click()
    page.get_by_role("option", name="主計處（範例）").click()
    page.locator(".st-key-county_indicator").click()
    page.get_by_role("option", name="10-2 公文線上簽核比率 明細").click()
    page.get_by_role("link", name="開啟主計處（範例）的指標 10-2 明細（112年12月）").click()
    expect(title(page, "指標明細")).to_be_visible()
    wait_for_app_idle(page)
    assert "indicator=10-2" in page.url and "month=12" in page.url and "unit=%E4%B8%BB%E8%A8%88%E8%99%95" in page.url
    expect(page.get_by_text("指標 10-2：公文線上簽核比率")).to_be_visible()
