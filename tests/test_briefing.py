"""The county briefing (metrics/outputs/briefing) on the hand-computed county fixture of test_county.py.

As of 112年3月 (see test_county.py for the common indicator 9):
  舊甲處 (甲處)  common score 100 (rank 1) in January, February and March; its own 1 辦理案件 9 of 12 cases, on pace
                (3 by March): met 1, on track 1; own score (20 × 9/12 + 10 × 1) ÷ 30 × 100 = 83.33
  丙處          common score 80 from February (rank 2); 9 behind: met 0, behind 1; own score 80
  乙處          common score 50 in March only (rank 3); its own 1 完成率 70 % of 80 % behind and 9 behind: behind 2;
                own score (30 × 70/80 + 10 × ½) ÷ 40 × 100 = 78.125, shown 78.13 (half up, as on screen)
The pace of the common set (9 is a ratio, not accruing) is 100 every month.
"""

from __future__ import annotations

import datetime as dt
import io
import shutil
from dataclasses import replace
from fractions import Fraction
from pathlib import Path
from types import SimpleNamespace

import pypdfium2
import pytest
from openpyxl import load_workbook

from metrics import cli
from metrics.evaluation.county import county_view
from metrics.outputs import pdf_report
from metrics.outputs.briefing import DatedNote, build_briefing, collect_notes
from metrics.outputs.briefing import pdf as briefing_pdf
from metrics.outputs.briefing.model import behind_ids, county_views, score_series
from metrics.outputs.briefing.xlsx import build_briefing_xlsx
from metrics.plans.formulas import round_half_up
from metrics.store import Store
from test_county import CATALOGUE, FIGURES, tidy
from test_pdf_report import fake_images, flat, page_text

READ_AT = dt.datetime(2024, 4, 2, 1, 30, tzinfo=dt.timezone.utc)  # 113/04/02 09:30 in Taiwan
HOSTILE_REASON = "人力不足\x1b[31m紅字\x0b第二行\u202e反向"
FORMULA_ACTION = '=HYPERLINK("http://x","按我")'
LONG_REASON = "稽核人力不足，" * 120
NOTES = {"乙處": {"9": DatedNote(3, HOSTILE_REASON, FORMULA_ACTION), "1": DatedNote(2, LONG_REASON, "+加強督導")}}
A4_LANDSCAPE = (841.89, 595.28)

renderer_missing = shutil.which("chromium") is None or not Path(pdf_report.FONT_CANDIDATES[0]).is_file()
needs_renderer = pytest.mark.skipif(renderer_missing, reason="需要 Chromium 與 fonts-noto-cjk")


@pytest.fixture(scope="module")
def briefing():
    return build_briefing(CATALOGUE, tidy(), 112, 3, notes=NOTES, read_at=READ_AT)


# ---- the model ----

def test_the_ranking_scores_and_counts(briefing) -> None:
    assert [(unit.unit, unit.name, unit.rank, unit.score, unit.own_score) for unit in briefing.units] == [
        ("甲處", "舊甲處", 1, Fraction(100), Fraction(250, 3)), ("丙處", "丙處", 2, Fraction(80), Fraction(80)),
        ("乙處", "乙處", 3, Fraction(50), Fraction(625, 8))]
    assert [unit.counts for unit in briefing.units] == [
        (("met", 1), ("on_track", 1), ("behind", 0), ("no_data", 0)),
        (("met", 0), ("on_track", 0), ("behind", 1), ("no_data", 0)),
        (("met", 0), ("on_track", 0), ("behind", 2), ("no_data", 0))]
    assert briefing.indicators == (("9", "認證率"),)
    assert briefing.county == "測試縣政府"
    assert briefing.heading == "112 年度｜統計至 112 年 3 月｜資料讀取時間 113/04/02 09:30"


def test_the_behind_indicators_and_their_notes(briefing) -> None:
    behind = {unit.unit: [(item.indicator_id, item.common, item.status, item.actual_text, item.target_text,
                           item.gap_text, item.note) for item in unit.behind] for unit in briefing.units}
    assert behind == {
        "甲處": [],
        "丙處": [("9", True, "落後", "40%", "50%", "還需 1 人", None)],
        "乙處": [("1", False, "落後", "70%", "80%", "還需 5 件", DatedNote(2, LONG_REASON, "+加強督導")),
                 ("9", True, "落後", "25%", "50%", "還需 2 人", DatedNote(3, HOSTILE_REASON, FORMULA_ACTION))]}


def test_the_score_month_by_month_and_by_quarter(briefing) -> None:
    assert [unit.monthly for unit in briefing.units] == [
        (Fraction(100),) * 3, (None, Fraction(80), Fraction(80)), (None, None, Fraction(50))]
    assert briefing.units[0].pace == (Fraction(100),) * 12
    assert briefing.quarters == (("第1季", 3),)
    later = build_briefing(CATALOGUE, tidy(), 112, 8, read_at=READ_AT)
    assert later.quarters == (("第1季", 3), ("第2季", 6), ("第3季（至8月）", 8))
    series = score_series(briefing.units[1])
    assert series["score"].tolist()[:3] == [pytest.approx(float("nan"), nan_ok=True), 80.0, 80.0]
    assert series["score"].isna().tolist()[3:] == [True] * 9  # after the as-of month: not drawn
    assert series["pace"].tolist() == [100.0] * 12


def test_the_units_not_reported_and_the_multi_year_points(briefing) -> None:
    assert [(unit.name, unit.missing_fields, unit.field_count) for unit in briefing.not_reported] == [
        ("舊甲處", ("認證人數", "現職人數"), 3), ("丙處", ("認證人數", "現職人數"), 2)]
    assert briefing.multi_year_columns == ("單位", "首次達標年度", "112年分數", "113年分數")
    assert briefing.multi_year_rows == (("舊甲處", 112, 10.0, 10.0), ("乙處", None, 0.0, None), ("丙處", None, 0.0, None))
    assert briefing.multi_year_rule == "指標 9 跨年度計分（依測試用計分）"


def note(reason: str, action: str = "") -> SimpleNamespace:
    return SimpleNamespace(reason=reason, action=action)


@pytest.mark.parametrize(("stored", "expected"), [
    ({}, ()),  # nothing written: no note
    ({3: {"9": note("三月")}}, (("9", DatedNote(3, "三月", "")),)),
    ({2: {"9": note("二月")}, 3: {"9": note("三月")}}, (("9", DatedNote(3, "三月", "")),)),  # the as-of month first
    ({1: {"9": note("一月")}, 2: {"9": note("", "只有措施")}}, (("9", DatedNote(2, "", "只有措施")),)),
    ({1: {"9": note("一月")}, 3: {"9": note("")}}, (("9", DatedNote(1, "一月", "")),)),  # an emptied note is none
    ({3: {"1": note("不是落後的指標")}}, ()),  # only the behind indicators' notes are read
    ({4: {"9": note("四月，統計月之後")}}, ()),
])
def test_notes_are_the_months_or_the_latest_earlier_ones(stored, expected) -> None:
    asked = []

    def notes_of(year, unit, month):
        asked.append(month)
        return stored.get(month, {})

    assert collect_notes(notes_of, 112, 3, {"丙處": ("9",)}) == (("丙處", expected),)
    assert asked == sorted(asked, reverse=True) and all(month <= 3 for month in asked)


def test_behind_ids_follow_the_county_view() -> None:
    view = county_view(CATALOGUE, tidy(), 112, 3)
    assert behind_ids(view) == {"甲處": (), "丙處": ("9",), "乙處": ("1", "9")}


def test_a_sample_unit_is_marked() -> None:
    plans = dict(CATALOGUE.plans)
    plans[(112, "丙處")] = replace(plans[(112, "丙處")], sample=True)
    sample = build_briefing(CATALOGUE.with_plans(plans), tidy(), 112, 3, read_at=READ_AT, label="範例資料")
    assert [unit.name for unit in sample.units] == ["舊甲處", "丙處（範例）", "乙處"]
    assert sample.heading.startswith("範例資料｜112 年度｜統計至 112 年 3 月")


# ---- the .xlsx ----

def sheet_rows(book, name: str) -> list[list[object]]:
    return [[cell.value for cell in row] for row in book[name].iter_rows(min_row=4)]


def test_the_xlsx_cell_by_cell_against_the_county_evaluation(briefing) -> None:
    book = load_workbook(io.BytesIO(build_briefing_xlsx(briefing)))
    assert book.sheetnames == ["排名", "逐月趨勢", "落後指標", "未填報單位", "跨年度計分"]
    ranking = book["排名"]
    assert [cell.value for cell in ranking[3]] == ["名次", "單位", "共同性指標加權分數", "第1季", "本身計畫加權分數", "達標",
                                                   "符合進度", "落後", "無資料", "未填報項目數", "填報項目數"]
    view = county_view(CATALOGUE, tidy(), 112, 3)
    rows = sheet_rows(book, "排名")
    assert len(rows) == len(view.standings)
    for row, standing in zip(rows, view.standings):
        counts = standing.evaluation.status_counts()
        assert row[:3] == [standing.rank, standing.plan.unit_name, float(round_half_up(standing.common_score))]
        assert row[4] == float(round_half_up(standing.evaluation.weighted_score))
        assert row[5:9] == [counts["met"], counts["on_track"], counts["behind"], counts["no_data"]]
        assert row[9:] == [len(standing.missing_fields), len(standing.plan.fields)]
    assert rows[2][4] == 78.13  # 78.125 half up, as the screen shows it
    assert ranking["C4"].number_format == '0.00" 分"'
    assert all(isinstance(value, (int, float)) for row in rows for value in row[2:])
    assert int(ranking.page_setup.paperSize) == 9 and ranking.page_setup.orientation == "landscape"
    for sheet in book:  # every printed page names the year, the month and when the data were read
        assert sheet.oddHeader.right.text == "112 年度｜統計至 112 年 3 月｜資料讀取時間 113/04/02 09:30"
        assert sheet["A2"].value.startswith("112 年度｜統計至 112 年 3 月｜資料讀取時間 113/04/02 09:30")

    assert sheet_rows(book, "逐月趨勢") == [[1, "舊甲處", 100, 100, 100], [2, "丙處", "—", 80, 80],
                                        [3, "乙處", "—", "—", 50]]


def test_the_xlsx_behind_sheet_keeps_notes_whole_and_as_text(briefing) -> None:
    book = load_workbook(io.BytesIO(build_briefing_xlsx(briefing)))
    rows = sheet_rows(book, "落後指標")
    assert [row[:8] for row in rows] == [
        [2, "丙處", "9 認證率", "是", "落後", 40, 50, "還需 1 人"],
        [3, "乙處", "1 完成率", None, "落後", 70, 80, "還需 5 件"],
        [3, "乙處", "9 認證率", "是", "落後", 25, 50, "還需 2 人"]]
    assert rows[0][8:] == [None, None, "未填寫"]
    assert rows[1][8:] == [LONG_REASON, "+加強督導", "2月"]  # whole: the PDF cuts it, the .xlsx does not
    assert rows[2][8:] == ["人力不足\\u001b[31m紅字\n第二行\\u202e反向", FORMULA_ACTION, "3月"]
    sheet = book["落後指標"]
    assert sheet["F4"].number_format == '#,##0"%"'
    assert sheet["J6"].data_type == "s" and sheet["J6"].quotePrefix  # a formula-looking note stays text
    assert sheet["J5"].quotePrefix


# ---- the PDF ----

@pytest.fixture(scope="module")
def drawn(briefing) -> bytes:
    return briefing_pdf.build_briefing_pdf(briefing)


@pytest.fixture(scope="module")
def texts(drawn) -> list[str]:
    return page_text(drawn)


@needs_renderer
def test_the_pdf_is_several_a4_pages_each_with_the_heading(drawn, texts) -> None:
    document = pypdfium2.PdfDocument(drawn)
    try:
        sizes = [tuple(document[index].get_size()) for index in range(len(document))]
    finally:
        document.close()
    assert len(sizes) >= 2
    assert all(size == pytest.approx(A4_LANDSCAPE, abs=0.01) for size in sizes)
    for number, text in enumerate(texts, start=1):
        assert flat("測試縣政府 112 年度施政計畫全府簡報") in text
        assert flat("112 年度｜統計至 112 年 3 月｜資料讀取時間 113/04/02 09:30") in text
        assert flat(f"第 {number} 頁，共 {len(texts)} 頁") in text


@needs_renderer
def test_the_pdf_ranks_every_unit_with_its_score(texts) -> None:
    first = texts[0]
    ranked = [flat("1 舊甲處 100 分"), flat("2 丙處 80 分"), flat("3 乙處 50 分")]
    positions = [first.find(row) for row in ranked]
    assert -1 not in positions and positions == sorted(positions)
    assert flat("83.33 分") in first and flat("78.13 分") in first  # each unit's own plan's score


@needs_renderer
@pytest.mark.parametrize("expected", [
    "第2名｜丙處｜共同性指標加權分數80分",
    "9認證率（共同性）落後40%50%還需1人（未填寫）（未填寫）",
    "第3名｜乙處｜共同性指標加權分數50分",
    "1完成率落後70%80%還需5件（2月填寫）稽核人力不足",
    "人力不足\\u001b[31m紅字",  # a control character is shown, never obeyed or dropped
    FORMULA_ACTION,  # a note is text on paper, whatever it starts with
    "四、尚未填報112年3月的單位",
    "舊甲處21認證人數、現職人數",
    "舊甲處1121010",
    "乙處—0—",
])
def test_the_pdf_holds_the_behind_indicators_notes_and_tables(texts, expected: str) -> None:
    assert flat(expected) in "".join(texts)


@needs_renderer
def test_a_long_note_is_cut_visibly_in_the_pdf(texts) -> None:
    whole = "".join(texts)
    assert flat(pdf_report.TRUNCATED) in whole
    assert whole.count("稽核人力不足") < 120


@needs_renderer
def test_the_trend_page_is_drawn(drawn, texts) -> None:
    chart_page = next(index for index, text in enumerate(texts) if "二、各單位共同性指標加權分數逐月變化" in text)
    document = pypdfium2.PdfDocument(drawn)
    try:
        image = document[chart_page].render(scale=1).to_pil().convert("RGB")
    finally:
        document.close()
    pixels = list(image.get_flattened_data())
    inked = sum(1 for red, green, blue in pixels if red + green + blue < 600)
    assert inked > len(pixels) * 0.005
    # the score line in the dashboard's blue (#1565c0) and the pace line in its amber (#f9a825)
    assert any(abs(red - 0x15) < 30 and abs(green - 0x65) < 30 and abs(blue - 0xC0) < 30 for red, green, blue in pixels)
    assert any(abs(red - 0xF9) < 30 and abs(green - 0xA8) < 30 and abs(blue - 0x25) < 40 for red, green, blue in pixels)


def test_six_units_a_chart_page() -> None:
    many = build_briefing(CATALOGUE, tidy(), 112, 3, read_at=READ_AT)
    units = many.units * 5  # 15 units
    pages = briefing_pdf.chart_pages(replace(many, units=units))
    assert [len(page) for page in pages] == [6, 6, 3]
    sheet = briefing_pdf.chart_sheet(many, units[:6])
    assert (sheet.layout.width, sheet.layout.height) == (3 * 420, 2 * 300 + 40)
    assert len(sheet.data) == 6 * 2  # each chart's score and pace lines
    assert [trace.showlegend for trace in sheet.data][:3] == [True, True, False]
    assert sheet.layout.annotations[0].text == "第 1 名｜舊甲處｜100 分"


# ---- a year without figures, a year without plans ----

def only_112() -> list[tuple]:
    return [row for row in FIGURES if row[0] == 112]


def test_a_year_without_figures_says_so() -> None:
    empty = build_briefing(CATALOGUE, tidy(only_112()), 113, 2, read_at=READ_AT)
    assert [unit.unit for unit in empty.units] == ["甲處", "丙處"]
    assert not empty.has_data and all(unit.rank is None for unit in empty.units)
    assert empty.empty_text == "113 年度尚無任何單位填報數字（統計至 113 年 2 月），各單位皆列為未填報。"
    book = load_workbook(io.BytesIO(build_briefing_xlsx(empty)))
    assert book["排名"]["A2"].value.endswith(empty.empty_text)
    assert sheet_rows(book, "排名")[0][:5] == ["—", "甲處", "—", "—", "—"]  # 113's name of 舊甲處; no score, not 0
    assert sheet_rows(book, "落後指標") == [["—", "統計至 2 月沒有落後的指標", *[None] * 9]]
    none = build_briefing(CATALOGUE, tidy(), 150, 1, read_at=READ_AT)
    assert none.units == () and none.empty_text == "150 年度沒有任何單位的計畫，無法產生全府簡報。"
    assert load_workbook(io.BytesIO(build_briefing_xlsx(none)))["全府簡報"]["A4"].value == none.empty_text


@needs_renderer
def test_a_year_without_figures_draws_a_pdf_that_says_so() -> None:
    empty = build_briefing(CATALOGUE, tidy(only_112()), 113, 2, read_at=READ_AT)
    text = "".join(page_text(briefing_pdf.build_briefing_pdf(empty)))
    assert flat(empty.empty_text) in text
    assert flat("— 甲處 — —") in text and flat("— 丙處 — —") in text  # listed, unranked, no score
    assert flat("所有單位都已填報") not in text and flat("四、尚未填報 113 年 2 月的單位") in text


# ---- python -m metrics report --county ----

@pytest.fixture
def database(tmp_path, monkeypatch) -> str:
    from catalogues import FIXTURE_PLANS

    monkeypatch.setenv("KPI_PLANS_DIR", str(FIXTURE_PLANS))
    url = f"sqlite:///{tmp_path / 'kpi.sqlite3'}"
    store = Store(url)
    store.ingest(tidy(), file_name="x.csv", file_bytes=b"x")
    store.save_note(112, "乙處", 3, "9", reason=HOSTILE_REASON, action=FORMULA_ACTION, author="測試")
    store.save_note(112, "乙處", 1, "1", reason="一月的原因", action="一月的措施", author="測試")
    return url


def test_command_line_writes_the_xlsx_with_the_stores_notes(database, tmp_path, capsys) -> None:
    output = tmp_path / "全府簡報.xlsx"
    assert cli.main(["report", "--county", "--year", "112", "--as-of", "3", "--db", database, "-o", str(output)]) == 0
    assert "已產生 112 年度全府簡報（統計至 112 年 3 月，3 個單位）" in capsys.readouterr().out
    book = load_workbook(output)
    assert [row[:3] for row in sheet_rows(book, "排名")] == [[1, "舊甲處", 100], [2, "丙處", 80], [3, "乙處", 50]]
    behind = sheet_rows(book, "落後指標")
    assert behind[1][8:] == ["一月的原因", "一月的措施", "1月"]  # the latest earlier month's, said so
    assert behind[2][8:] == ["人力不足\\u001b[31m紅字\n第二行\\u202e反向", FORMULA_ACTION, "3月"]


@pytest.mark.skipif(renderer_missing, reason="需要 Chromium 與 fonts-noto-cjk")
def test_command_line_writes_the_pdf(database, tmp_path, monkeypatch) -> None:
    monkeypatch.setattr(briefing_pdf, "render_images", fake_images)
    output = tmp_path / "全府簡報.PDF"
    assert cli.main(["report", "--county", "--year", "112", "--db", database, "-o", str(output)]) == 0
    text = "".join(page_text(output.read_bytes()))
    assert "統計至112年3月" in text  # the latest reported month when --as-of is not given
    assert flat("1 舊甲處 100 分") in text and "一月的原因" in text


@pytest.mark.parametrize(("arguments", "message"), [
    (["--year", "150"], "150 年度沒有任何單位的計畫，無法產生全府簡報。現有計畫：112 年度 舊甲處、乙處、丙處；113 年度 甲處、丙處。"),
    ([], "--county 需要 --year：全府簡報的民國年度，例如 --year 113"),
    (["--year", "112", "--unit", "乙處"], "--county 產生所有單位的全府簡報，不需指定 --unit（收到「乙處」）"),
    (["--year", "112", "--as-of", "13"], "--as-of「13」須為 1 至 12 的月份"),
])
def test_command_line_refusals(database, tmp_path, capsys, arguments, message) -> None:
    output = tmp_path / "全府簡報.xlsx"
    assert cli.main(["report", "--county", *arguments, "--db", database, "-o", str(output)]) == cli.EXIT_INVALID
    assert message in capsys.readouterr().err
    assert not output.exists()


def test_command_line_refuses_other_suffixes(database, tmp_path, capsys) -> None:
    assert cli.main(["report", "--county", "--year", "112", "--db", database, "-o", str(tmp_path / "簡報.docx")]) == 2
    assert "請使用 .pdf（A4 簡報）或 .xlsx（Excel）" in capsys.readouterr().err


def test_command_line_year_without_figures_says_so(database, tmp_path, capsys) -> None:
    Store(database)  # 113 has plans for 甲處 and 丙處; only 甲處's February is stored: ask for January
    output = tmp_path / "全府簡報.xlsx"
    assert cli.main(["report", "--county", "--year", "113", "--as-of", "1", "--db", database, "-o", str(output)]) == 0
    captured = capsys.readouterr()
    assert "注意：113 年度尚無任何單位填報數字（統計至 113 年 1 月），各單位皆列為未填報。" in captured.err
    assert output.exists()


def test_county_views_month_by_month() -> None:
    views = county_views(CATALOGUE, tidy(), 112, 3)
    assert [[standing.unit for standing in view.standings] for view in views] == [
        ["甲處", "乙處", "丙處"], ["甲處", "丙處", "乙處"], ["甲處", "丙處", "乙處"]]


# ---- what a font or a name cannot do ----

@pytest.mark.skipif(not Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf").is_file() or renderer_missing,
                    reason="需要 DejaVu 字型與 Chromium")
def test_a_font_without_chinese_is_refused_not_printed_as_boxes(monkeypatch) -> None:
    from metrics.errors import RenderingUnavailable

    monkeypatch.setattr(briefing_pdf, "render_images", fake_images)
    briefing = build_briefing(CATALOGUE, tidy(), 112, 3, read_at=READ_AT)
    with pytest.raises(RenderingUnavailable, match="缺少「.*」等字，印出會是空白方框；請安裝 fonts-noto-cjk"):
        briefing_pdf.build_briefing_pdf(briefing, font="/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")


def test_a_name_with_markup_is_text_in_the_charts() -> None:
    plans = dict(CATALOGUE.plans)
    plans[(112, "丙處")] = replace(plans[(112, "丙處")], unit_name="<b>丙處</b>\x1b")
    marked = build_briefing(CATALOGUE.with_plans(plans), tidy(), 112, 3, read_at=READ_AT)
    sheet = briefing_pdf.chart_sheet(marked, marked.units)
    assert sheet.layout.annotations[1].text == "第 2 名｜&lt;b&gt;丙處&lt;/b&gt;\\u001b｜80 分"
    figure = briefing_pdf.unit_figure(marked, marked.units[1])
    assert figure.layout.title.text == "&lt;b&gt;丙處&lt;/b&gt;\\u001b"
