"""The PDF report (metrics/outputs/pdf_report.py): one A4 landscape page per unit and month, in Chinese, with the gauges.

One report of two pages (政風處 112, as of June and as of December) is drawn once for the module; the other tests
need no browser."""

from __future__ import annotations

import io
import re
import shutil
from pathlib import Path
from types import SimpleNamespace

import openpyxl
import pypdfium2
import pytest
from pypdf import PdfReader

from metrics import cli
from metrics.outputs import pdf_report
from catalogues import SAMPLE_CATALOGUE
from metrics.errors import RenderingUnavailable
from metrics.evaluation.core import evaluate
from metrics.evaluation.figures import Figures
from metrics.outputs.pdf_report import TRUNCATED, build_pdf, find_browser, find_font, report_page
from metrics.intake.monthly import read_upload

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "sample_data" / "112-full-year.csv"
LONG_REASON = "稽核人力不足，" * 60  # far more than a cell holds
NOTES = {"3": SimpleNamespace(reason=LONG_REASON, action="增聘稽核人員並與各局處協調排程"),
         "10-2": SimpleNamespace(reason="紙本來文仍多", action="=HYPERLINK(\"http://x\")")}
A4_LANDSCAPE = (841.89, 595.28)  # points

renderer_missing = shutil.which("chromium") is None or not Path(pdf_report.FONT_CANDIDATES[0]).is_file()
needs_renderer = pytest.mark.skipif(renderer_missing, reason="需要 Chromium 與 fonts-noto-cjk")


def flat(text: str) -> str:
    """Wrapped cells break lines inside a name: compare without whitespace."""
    return re.sub(r"\s+", "", text)


def page_text(data: bytes) -> list[str]:
    """The text of each page as a reader copies it. pdfium (Chrome's PDF engine) rather than pypdf: the embedded
    CJK font maps its codes to glyphs through its own CMap (a CFF font's glyphs are not numbered like Unicode), and
    pypdf 7.1 reads many characters of that map wrongly (seen: 質 comes out as 新), while pdfium reads them all."""
    document = pypdfium2.PdfDocument(data)
    try:
        return [flat(document[index].get_textpage().get_text_range()) for index in range(len(document))]
    finally:
        document.close()


@pytest.fixture(scope="module")
def evaluations():
    catalogue = SAMPLE_CATALOGUE
    plan = catalogue.plan(112, "政風處")
    figures = Figures.from_frame(plan, read_upload(SAMPLE.read_bytes(), SAMPLE.name, catalogue))
    return evaluate(figures, 6), evaluate(figures, 12)


@pytest.fixture(scope="module")
def report(evaluations) -> bytes:
    june, december = evaluations
    return build_pdf([report_page(june, NOTES), report_page(december)])


@pytest.fixture(scope="module")
def page_texts(report) -> list[str]:
    return page_text(report)


@needs_renderer
def test_one_a4_landscape_page_per_unit_and_month(report) -> None:
    pages = PdfReader(io.BytesIO(report)).pages
    assert len(pages) == 2
    for page in pages:
        assert (float(page.mediabox.width), float(page.mediabox.height)) == pytest.approx(A4_LANDSCAPE, abs=0.01)


@needs_renderer
def test_heading_names_unit_year_month_score_and_plan_version(page_texts, evaluations) -> None:
    june_text, december_text = page_texts
    assert flat("新竹縣政府政風處 112 年度施政計畫績效指標執行情形") in june_text
    # hand check: the sample's weighted score as of June and as of December (also on the overview)
    assert flat("政風處｜統計至 112 年 6 月｜加權分數 51.44 分") in june_text
    assert flat("統計至 112 年 12 月｜加權分數 99.12 分") in december_text
    assert flat("計畫權重合計 95%") in june_text
    assert flat(evaluations[0].plan.version_text) in june_text


@needs_renderer
def test_every_indicator_and_column_is_on_the_page(page_texts, evaluations) -> None:
    plan = evaluations[0].plan
    for text in page_texts:
        for header in ("策略目標", "績效指標", "權重", "目標值", "實際值", "達成率", "狀態", "差距", "年底預估",
                       "落後原因", "改進措施"):
            assert header in text
        for indicator in plan.indicators:
            assert flat(f"{indicator.id} {indicator.name}") in text, indicator.id
        for goal in plan.goals:
            assert flat(f"{goal.number}. {goal.title}") in text, goal.number
    assert len(plan.indicators) == 13


@needs_renderer
@pytest.mark.parametrize("expected", [
    "還需64案",  # 2: 66 of 130 cases as of June
    "66案",
    "50.8%",
    "紙本來文仍多",
    '=HYPERLINK("http://x")',  # a note is text on paper, whatever it starts with
    "增聘稽核人員並與各局處協調排程",
])
def test_june_values_and_notes(page_texts, expected: str) -> None:
    assert expected in page_texts[0]


@needs_renderer
def test_a_long_note_is_cut_visibly_on_its_page(page_texts) -> None:
    june = page_texts[0]
    assert flat(TRUNCATED) in june
    assert june.count("稽核人力不足") < 60
    assert flat(TRUNCATED) not in page_texts[1]


@needs_renderer
def test_the_page_is_drawn_not_blank(report) -> None:
    document = pypdfium2.PdfDocument(report)
    try:
        image = document[0].render(scale=1).to_pil().convert("RGB")
    finally:
        document.close()
    assert image.size == (842, 596)  # 841.89 × 595.28 points at 72 dpi, rounded up
    pixels = list(image.get_flattened_data())
    inked = sum(1 for red, green, blue in pixels if red + green + blue < 600)
    assert inked > len(pixels) * 0.03
    # the gauges' status colours are there: green (met) and red (behind) bars
    assert any(abs(red - 0x2E) < 25 and abs(green - 0x7D) < 25 and abs(blue - 0x32) < 25 for red, green, blue in pixels)
    assert any(abs(red - 0xC6) < 25 and abs(green - 0x28) < 25 and abs(blue - 0x28) < 25 for red, green, blue in pixels)


@pytest.fixture(scope="module")
def measuring():
    """A document in the report's font where every CJK character is as wide as the width unit below."""
    from fpdf import FPDF

    font = find_font()
    document = FPDF(orientation="L", unit="mm", format="A4")
    document.add_font("NotoSansCJK", fname=str(font.path), collection_font_number=font.face)
    document.set_font("NotoSansCJK", size=10)
    return document, document.get_string_width("字")


@pytest.mark.skipif(not Path(pdf_report.FONT_CANDIDATES[0]).is_file(), reason="需要 fonts-noto-cjk")
@pytest.mark.parametrize(("text", "characters", "expected"), [
    ("", 4, [""]),
    ("一二三", 4, ["一二三"]),
    ("一二三四", 4, ["一二三四"]),
    ("一二三四五", 4, ["一二三四", "五"]),
    ("一二三四，五", 4, ["一二三", "四，五"]),  # no line starts with a comma: 四 comes along
    ("一二三四。", 4, ["一二三", "四。"]),
    ("一二三四）」", 4, ["一二三", "四）」"]),
    ("一二\n三四五六七", 4, ["一二", "三四五六", "七"]),  # a typed line break is kept
    ("，，，，，", 4, ["，，，，", "，"]),  # nothing to bring along: the mark starts the line after all
])
def test_lines_break_anywhere_but_before_closing_punctuation(measuring, text: str, characters: int,
                                                            expected: list[str]) -> None:
    document, character_width = measuring
    assert pdf_report.wrapped_lines(document, text, character_width * characters + 0.01) == expected


@pytest.mark.parametrize(("count", "columns"), [(1, 7), (7, 7), (13, 7), (14, 7), (15, 8), (20, 10)])
def test_gauges_stay_on_two_rows(count: int, columns: int) -> None:
    assert pdf_report.gauge_columns(count) == columns


def test_the_gauge_sheet_places_each_gauge_in_its_cell() -> None:
    from catalogues import PLAN_112
    from metrics.outputs.charts import gauge_figure

    evaluation = evaluate(Figures.from_mapping(PLAN_112, {"warning_cases": {1: 1}}), 1)  # 1 has a value, 2… none
    figures = [gauge_figure(result, height=250) for result in evaluation.results]
    sheet = pdf_report.gauge_sheet(figures)
    assert (sheet.layout.width, sheet.layout.height) == (7 * 320, 2 * 250)
    assert len(sheet.data) == 13
    # cell (row 0, column 0): margins l 45, r 45, t 70, b 10 of a 320 × 250 gauge inside 2,240 × 500
    assert list(sheet.data[0].domain.x) == pytest.approx([45 / 2240, 275 / 2240])
    assert list(sheet.data[0].domain.y) == pytest.approx([1 - 240 / 500, 1 - 70 / 500])
    # cell (row 1, column 5) is the 13th gauge, 10-2
    assert list(sheet.data[12].domain.x) == pytest.approx([(5 * 320 + 45) / 2240, (6 * 320 - 45) / 2240])
    assert list(sheet.data[12].domain.y) == pytest.approx([1 - 490 / 500, 1 - 320 / 500])
    # a gauge without a value says so at (0.5, 0.15) of its own cell: 12 of them
    assert len(sheet.layout.annotations) == 12
    second = sheet.layout.annotations[0]  # gauge 2, cell (0, 1)
    left, right = (320 + 45) / 2240, (640 - 45) / 2240
    assert (second.x, second.y) == pytest.approx((left + 0.5 * (right - left), 0.52 + 0.15 * (0.86 - 0.52)))
    assert second.text == "無資料"


# ---- what is missing, said in Chinese ----

def test_missing_font_says_what_to_install(monkeypatch) -> None:
    monkeypatch.delenv(pdf_report.FONT_ENVIRONMENT, raising=False)
    monkeypatch.setattr(pdf_report, "FONT_CANDIDATES", ("/nonexistent/NotoSansCJK-Regular.ttc",))
    with pytest.raises(RenderingUnavailable) as raised:
        find_font()
    assert str(raised.value) == ("找不到中文字型 Noto Sans CJK，無法產生 PDF 報表；請安裝 fonts-noto-cjk"
                                 "（Debian／Ubuntu：apt-get install fonts-noto-cjk），或以環境變數 KPI_PDF_FONT 指定字型檔")


def test_a_named_font_that_is_not_there(monkeypatch, tmp_path) -> None:
    monkeypatch.setenv(pdf_report.FONT_ENVIRONMENT, str(tmp_path / "沒有.ttc"))
    with pytest.raises(RenderingUnavailable, match="找不到中文字型檔「.*沒有.ttc」（KPI_PDF_FONT 或參數所指定）；請安裝 fonts-noto-cjk"):
        find_font()


@pytest.mark.skipif(not Path(pdf_report.FONT_CANDIDATES[0]).is_file(), reason="需要 fonts-noto-cjk")
def test_the_traditional_chinese_face_of_the_collection() -> None:
    found = find_font(pdf_report.FONT_CANDIDATES[0])
    from fontTools.ttLib import TTFont

    assert TTFont(str(found.path), fontNumber=found.face, lazy=True)["name"].getDebugName(1) == "Noto Sans CJK TC"


@pytest.mark.skipif(not Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf").is_file(), reason="需要 DejaVu 字型")
def test_a_font_without_chinese_is_refused_not_printed_as_boxes(evaluations) -> None:
    with pytest.raises(RenderingUnavailable, match="缺少「.*」等字，印出會是空白方框；請安裝 fonts-noto-cjk"):
        build_pdf([report_page(evaluations[0])], font="/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
                  browser=shutil.which("chromium") or "/bin/sh")


def test_missing_browser_says_what_to_install(monkeypatch) -> None:
    monkeypatch.delenv(pdf_report.BROWSER_ENVIRONMENT, raising=False)
    monkeypatch.setenv("PATH", "/nonexistent")
    with pytest.raises(RenderingUnavailable) as raised:
        find_browser()
    assert str(raised.value) == ("找不到繪製儀表圖所需的瀏覽器 Chromium，無法產生 PDF 報表；請安裝 Chromium"
                                 "（Debian：apt-get install chromium），或以環境變數 BROWSER_PATH 指定 Chromium／Chrome 的位置")


def test_a_named_browser_that_is_not_there(monkeypatch) -> None:
    monkeypatch.setenv(pdf_report.BROWSER_ENVIRONMENT, "/nonexistent/chromium")
    with pytest.raises(RenderingUnavailable, match="找不到繪製儀表圖所需的瀏覽器「/nonexistent/chromium」"):
        find_browser()


def test_a_missing_package_says_what_to_run(monkeypatch) -> None:
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *rest: None if name == "kaleido" else real(name, *rest))
    with pytest.raises(RenderingUnavailable) as raised:
        pdf_report.check_renderer()
    assert str(raised.value) == "缺少產生 PDF 報表的套件 kaleido；請執行 pip install -r requirements.txt"


@pytest.mark.skipif(not Path("/bin/false").is_file(), reason="需要 /bin/false")
def test_a_browser_that_does_not_start_is_said_in_chinese() -> None:
    import plotly.graph_objects as go

    with pytest.raises(RenderingUnavailable) as raised:
        pdf_report.render_images([go.Figure()], "/bin/false")
    assert str(raised.value).startswith("瀏覽器「/bin/false」無法啟動或繪製儀表圖（")
    assert str(raised.value).endswith("請安裝 Chromium（Debian：apt-get install chromium），"
                                      "或以環境變數 BROWSER_PATH 指定 Chromium／Chrome 的位置")


# ---- python -m metrics report ----

@pytest.fixture
def database(tmp_path) -> str:
    url = f"sqlite:///{tmp_path / 'kpi.sqlite3'}"
    assert cli.main(["ingest", str(SAMPLE), "--db", url]) == 0
    return url


def fake_images(figures, browser):
    """A white 1×1 PNG per gauge: the command line's choice of format is tested here, the drawing above."""
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (1, 1), "white").save(buffer, format="PNG")
    return [buffer.getvalue()] * len(figures)


def test_command_line_writes_the_xlsx(database, tmp_path, capsys) -> None:
    output = tmp_path / "報表.xlsx"
    assert cli.main(["report", "--db", database, "--year", "112", "--unit", "政風處", "--as-of", "6",
                     "-o", str(output)]) == 0
    assert "已產生 政風處 112 年（統計至 112 年 6 月）報表" in capsys.readouterr().out
    sheet = openpyxl.load_workbook(output).active
    assert sheet["A2"].value.startswith("政風處｜統計至 112 年 6 月｜加權分數 51.44 分")
    rows = {str(row[1].value).split()[0]: row for row in sheet.iter_rows(min_row=4) if row[1].value}
    assert len(rows) == 13
    assert (rows["2"][4].value, rows["2"][4].number_format) == (66, '#,##0" 案"')


@pytest.mark.skipif(not Path(pdf_report.FONT_CANDIDATES[0]).is_file() or shutil.which("chromium") is None,
                    reason="需要 Chromium 與 fonts-noto-cjk")
def test_command_line_writes_the_pdf_with_the_stores_notes(database, tmp_path, monkeypatch) -> None:
    from metrics.store import Store

    Store(database).save_note(112, "政風處", 6, "10-2", reason="紙本來文仍多", action="加強宣導", author="測試")
    monkeypatch.setattr(pdf_report, "render_images", fake_images)
    output = tmp_path / "報表.PDF"  # the suffix in any case
    assert cli.main(["report", "--db", database, "--as-of", "6", "-o", str(output)]) == 0
    assert len(PdfReader(output).pages) == 1
    text = page_text(output.read_bytes())[0]
    assert "統計至112年6月" in text and "紙本來文仍多" in text and "加強宣導" in text


@pytest.mark.parametrize("name", ["報表.csv", "報表", "報表.pdf.txt"])
def test_command_line_refuses_other_suffixes(database, tmp_path, capsys, name: str) -> None:
    assert cli.main(["report", "--db", database, "-o", str(tmp_path / name)]) == cli.EXIT_INVALID
    error = capsys.readouterr().err
    assert f"輸出檔「{name}」的副檔名" in error
    assert "請使用 .xlsx（Excel 報表）或 .pdf（PDF 報表）" in error
    assert not (tmp_path / name).exists()


def test_command_line_pdf_without_a_browser_says_so(database, tmp_path, capsys, monkeypatch) -> None:
    monkeypatch.setenv(pdf_report.BROWSER_ENVIRONMENT, "/nonexistent/chromium")
    assert cli.main(["report", "--db", database, "-o", str(tmp_path / "報表.pdf")]) == cli.EXIT_INVALID
    assert "找不到繪製儀表圖所需的瀏覽器" in capsys.readouterr().err
    assert not (tmp_path / "報表.pdf").exists()
