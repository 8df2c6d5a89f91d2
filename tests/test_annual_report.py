"""The unit's year-end 施政績效報告 (metrics/outputs/annual): the model, its .docx and .pdf, and `report --annual`.

The store holds the sample year (政風處 112, tests/golden_plans) and notes of several months; the numbers are the
hand-checked ones of the overview and of test_pdf_report.py, and each is also compared with `evaluate --json`."""

from __future__ import annotations

import datetime as dt
import io
import json
import re
import shutil
import subprocess
import zipfile
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import docx
import lxml.etree
import pypdfium2
import pytest

from catalogues import SAMPLE_CATALOGUE
from metrics import cli
from metrics.intake.monthly import read_upload
from metrics.outputs import pdf_report
from metrics.outputs.annual import RENDERERS, assemble, read_annual_report, render
from metrics.outputs.annual.model import NOT_REPORTED, latest_notes
from metrics.plans.planning import stored_catalogue
from metrics.plans.catalogue import load_catalogue
from metrics.store import Store

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "sample_data" / "112-full-year.csv"
GOLDEN = Path(__file__).resolve().parent / "golden_plans"
READ_AT = dt.datetime(2026, 12, 7, 3, 5, tzinfo=dt.timezone.utc)  # 115/12/07 11:05 in Taiwan
LONG = "稽核人力不足，案件量大增。" * 160  # 2,080 characters: more than a page of a cell
HOSTILE = "紙本\x1b[31m來文<w:p>仍多</w:t>&amp;\x0b<script>alert(1)</script>"
A4 = (595.28, 841.89)  # points, portrait

needs_font = pytest.mark.skipif(not Path(pdf_report.FONT_CANDIDATES[0]).is_file(), reason="需要 fonts-noto-cjk")


def flat(text: str) -> str:
    return re.sub(r"\s+", "", text)


@pytest.fixture(scope="module")
def annual_url(tmp_path_factory) -> str:
    url = f"sqlite:///{tmp_path_factory.mktemp('annual') / 'kpi.sqlite3'}"
    assert cli.main(["ingest", str(SAMPLE), "--db", url]) == 0
    store = Store(url)
    store.save_note(112, "政風處", 3, "3", reason="三月的原因", action="三月的措施", author="甲")
    store.save_note(112, "政風處", 6, "3", reason="六月的原因", action="六月的措施", author="乙")
    store.save_note(112, "政風處", 6, "10-2", reason="先寫的", action="", author="乙")
    store.save_note(112, "政風處", 6, "10-2", reason=HOSTILE, action="=HYPERLINK(\"http://x\")", author="乙")
    store.save_note(112, "政風處", 9, "3", reason=LONG, action="增聘稽核人員", author="丙")
    store.save_note(112, "政風處", 9, "1", reason="寫了又清除", action="", author="丙")
    store.save_note(112, "政風處", 9, "1", reason="", action="", author="丙")
    return url


@pytest.fixture(scope="module")
def catalogue(annual_url):
    return stored_catalogue(Store(annual_url), load_catalogue(GOLDEN))


@pytest.fixture(scope="module")
def reports(annual_url, catalogue):
    """The report as of June and as of December (the default: the latest month reported)."""
    store = Store(annual_url)
    return {month: read_annual_report(store, catalogue, 112, "政風處", as_of=month if month != 12 else None,
                                      read_at=READ_AT) for month in (6, 12)}


def evaluated(annual_url: str, month: int, capsys) -> dict:
    capsys.readouterr()
    assert cli.main(["evaluate", "--db", annual_url, "--year", "112", "--unit", "政風處", "--as-of", str(month),
                     "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def docx_text(data: bytes) -> str:
    document = docx.Document(io.BytesIO(data))
    parts = [paragraph.text for paragraph in document.paragraphs]
    parts += [cell.text for table in document.tables for row in table.rows for cell in row.cells]
    parts += [paragraph.text for section in document.sections for paragraph in section.header.paragraphs]
    return "\n".join(parts)


def pdf_pages(data: bytes) -> list[str]:
    document = pypdfium2.PdfDocument(data)
    try:
        return [document[index].get_textpage().get_text_range() for index in range(len(document))]
    finally:
        document.close()


def pdf_body(data: bytes) -> str:
    """The PDF's text without what every page repeats (its header and number, a table's header row continued from
    the page before), so that a row split over two pages reads whole."""
    from metrics.outputs.annual.model import HISTORY_COLUMNS, TABLE_COLUMNS

    repeated = [flat("".join(header for _, header in columns)) for columns in (TABLE_COLUMNS, HISTORY_COLUMNS)]
    pages = []
    for text in pdf_pages(data):
        text = re.sub(r"第\d+頁，共\d+頁", "", flat(text))
        text = text.replace(flat("政風處 112 年度施政績效報告｜計畫第 1 版｜資料讀取時間 115/12/07 11:05"), "", 1)
        for header in repeated:
            if text.startswith(header):
                text = text[len(header):]
        pages.append(text)
    return "".join(pages)


@pytest.fixture(scope="module")
def files(reports) -> dict[tuple[int, str], bytes]:
    made = {(month, ".docx"): render(report, ".docx") for month, report in reports.items()}
    if Path(pdf_report.FONT_CANDIDATES[0]).is_file():
        made.update({(month, ".pdf"): render(report, ".pdf") for month, report in reports.items()})
    return made


def shown_number(value: int | float, unit: str) -> str:
    """A number of `evaluate --json` as the screen writes it: thousands separators, its unit."""
    text = f"{value:,}"
    return f"{text}%" if unit == "%" else f"{text} {unit}"


def shown_achievement(value: float) -> str:
    percent = (Decimal(str(value)) * 100).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP).normalize()
    return f"{percent:f}%"


# ---- every number as evaluate --json gives it ----

@pytest.mark.parametrize("suffix", [".docx", pytest.param(".pdf", marks=needs_font)])
@pytest.mark.parametrize("month", [6, 12])
def test_every_indicator_target_and_actual_as_evaluate_gives_them(files, annual_url, capsys, month, suffix) -> None:
    data = files[(month, suffix)]
    text = flat(docx_text(data) if suffix == ".docx" else "".join(pdf_pages(data)))
    document = evaluated(annual_url, month, capsys)
    assert len(document["indicators"]) == 13
    for indicator in document["indicators"]:
        assert flat(f"{indicator['id']} {indicator['name']}") in text, indicator["id"]
        assert flat(shown_number(indicator["target"], indicator["unit"])) in text, indicator["id"]
        assert flat(shown_number(indicator["actual"], indicator["unit"])) in text, indicator["id"]
        assert shown_achievement(indicator["achievement"]) in text, indicator["id"]
    assert f"加權分數：{document['weighted_score']}分" in text
    assert "計畫權重合計95%" in text


# hand-checked: the sample year (sample_data/112-full-year.csv) as the overview shows it
@pytest.mark.parametrize(("month", "indicator", "target", "actual", "achievement", "status"), [
    (6, "2", "130 案", "66 案", "50.8%", "符合進度"),
    (12, "2", "130 案", "134 案", "103.1%", "達標"),
    (12, "3", "150 案", "141 案", "94%", "落後"),
    (12, "7", "40.7%", "40.74%", "100.1%", "達標"),
    (12, "8", "85%", "86.28%", "101.5%", "達標"),
    (12, "10-2", "72%", "70.7%", "98.2%", "落後"),
])
def test_hand_checked_rows(reports, month, indicator, target, actual, achievement, status) -> None:
    line = next(line for goal in reports[month].goals for line in goal.lines if line.id == indicator)
    assert (line.target, line.actual, line.achievement, line.status) == (target, actual, achievement, status)


@pytest.mark.parametrize(("month", "score", "counts"), [
    (6, "51.44 分", "達標 3 項、符合進度 5 項、落後 5 項"),  # 5-2, 6, 10-1 | 1, 2, 5-1, 8, 9-2 | 3, 4, 7, 9-1, 10-2
    (12, "99.12 分", "達標 11 項、符合進度 0 項、落後 2 項"),
])
def test_score_weights_and_plan_version(reports, month, score, counts) -> None:
    report = reports[month]
    assert report.score == score
    assert report.plan_weight_total == "95%"  # as the plan states it, not made 100%
    assert report.status_counts.startswith(counts)
    assert report.plan_version == "計畫第 1 版"
    assert report.multi_year_title == "指標 6「聘僱臨時人力精簡率」跨年度計分（112～115 年）"
    assert report.multi_year_summary.startswith("首次達標：112 年；112 年 5 分")
    assert [len(report.goals), sum(len(goal.lines) for goal in report.goals)] == [10, 13]


# ---- notes: the latest of the year, their history ----

@pytest.mark.parametrize(("month", "indicator", "reason", "action", "written"), [
    (6, "3", "六月的原因", "六月的措施", 6),  # June's, not March's
    (12, "3", LONG, "增聘稽核人員", 9),  # the latest of the year, whole
    (6, "10-2", "紙本\\u001b[31m來文<w:p>仍多</w:t>&amp;\n<script>alert(1)</script>", '=HYPERLINK("http://x")', 6),
    (12, "1", "", "", None),  # written, then cleared
    (12, "2", "", "", None),  # never written
])
def test_the_latest_note_of_the_year(reports, month, indicator, reason, action, written) -> None:
    line = next(line for goal in reports[month].goals for line in goal.lines if line.id == indicator)
    assert (line.reason, line.action, line.note_month) == (reason, action, written)


def test_notes_after_the_month_are_not_used() -> None:
    class Note:
        def __init__(self, reason: str) -> None:
            self.reason, self.action = reason, ""

    notes = {2: {"3": Note("二月")}, 5: {"3": Note("五月")}, 8: {"3": Note("八月")}, 4: {"4": Note("")}}
    assert {key: (month, note.reason) for key, (month, note) in latest_notes(notes, 6).items()} == {"3": (5, "五月")}
    assert latest_notes(notes, 1) == {}


def test_the_history_keeps_every_save(reports) -> None:
    history = [(entry.indicator.split()[0], entry.month, entry.reason, entry.author, entry.cleared)
               for entry in reports[12].history]
    assert history == [
        ("3", 3, "三月的原因", "甲", False),
        ("3", 6, "六月的原因", "乙", False),
        ("10-2", 6, "先寫的", "乙", False),
        ("10-2", 6, "紙本\\u001b[31m來文<w:p>仍多</w:t>&amp;\n<script>alert(1)</script>", "乙", False),
        ("3", 9, LONG, "丙", False),
        ("1", 9, "寫了又清除", "丙", False),
        ("1", 9, "", "丙", True),
    ]
    assert {entry.month for entry in reports[6].history} == {3, 6}  # the months a June report covers


@pytest.mark.parametrize("suffix", [".docx", pytest.param(".pdf", marks=needs_font)])
def test_notes_and_their_history_are_in_the_files(files, suffix) -> None:
    data = files[(12, suffix)]
    text = flat(docx_text(data)) if suffix == ".docx" else pdf_body(data)
    for expected in ("六月的原因", "三月的原因", "先寫的", "增聘稽核人員", "（清除說明）", '=HYPERLINK("http://x")',
                     r"紙本\u001b[31m來文<w:p>仍多</w:t>&amp;", "<script>alert(1)</script>",
                     "未達成原因分析及改善措施填寫歷程"):
        assert flat(expected) in text, expected
    assert text.count(flat(LONG)) >= 1  # whole in its goal's cell (the history's cell shares its pages' lines)
    # nothing cut, in either place; in the PDF the history's copy is split over pages between other cells' text, and
    # a page may end inside one of its phrases
    assert text.count("稽核人力不足，案件量大增。") >= 2 * 160 - (suffix == ".pdf")


def test_a_long_note_is_whole_in_its_docx_cell(files) -> None:
    document = docx.Document(io.BytesIO(files[(12, ".docx")]))
    cells = [cell.text for table in document.tables for row in table.rows for cell in row.cells]
    assert f"未達成原因：{LONG}\n改善措施：增聘稽核人員\n（9 月填寫）" in cells


# ---- the files ----

def test_the_docx_is_valid_xml_with_a4_pages_and_a_header(files) -> None:
    data = files[(12, ".docx")]
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        parts = [name for name in archive.namelist() if name.endswith((".xml", ".rels"))]
        for name in parts:
            lxml.etree.fromstring(archive.read(name))  # raises on anything Word would call corrupt
        body = archive.read("word/document.xml").decode()
    assert "\x1b" not in body and "<script>" not in body and "&lt;script&gt;" in body
    document = docx.Document(io.BytesIO(data))
    section = document.sections[0]
    assert (section.page_width.mm, section.page_height.mm) == pytest.approx((210, 297), abs=0.1)
    assert section.header.paragraphs[0].text == "政風處 112 年度施政績效報告｜計畫第 1 版｜資料讀取時間 115/12/07 11:05"
    headings = [paragraph.text for paragraph in document.paragraphs if paragraph.style.name == "Heading 1"]
    assert headings == ["壹、前言", "貳、年度目標達成情形", "參、綜合評分", "附錄、未達成原因分析及改善措施填寫歷程"]
    assert len(document.tables) == 10 + 2  # one per goal, the multi-year points, the history


@pytest.mark.skipif(shutil.which("soffice") is None, reason="本機未安裝 LibreOffice（soffice），改以上一項測試驗證 .docx 的 XML")
def test_libreoffice_converts_the_docx(files, tmp_path) -> None:
    source = tmp_path / "年度績效報告.docx"
    source.write_bytes(files[(12, ".docx")])
    done = subprocess.run(["soffice", "--headless", "--convert-to", "pdf", "--outdir", str(tmp_path), str(source)],
                          capture_output=True, timeout=180)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "年度績效報告.pdf").stat().st_size > 0


@needs_font
@pytest.mark.parametrize(("month", "count"), [
    (6, 3),  # 前言 and the ten goals' tables, the score, the multi-year table and a short history
    (12, 8),  # and the 2,080-character note of September twice, in goal 3's table and in the history
])
def test_pdf_pages_are_a4_each_with_the_header_and_its_number(files, month, count) -> None:
    data = files[(month, ".pdf")]
    document = pypdfium2.PdfDocument(data)
    try:
        sizes = [document[index].get_size() for index in range(len(document))]
    finally:
        document.close()
    pages = pdf_pages(data)
    assert len(pages) == count
    for size in sizes:
        assert size == pytest.approx(A4, abs=0.01)
    for number, text in enumerate(pages, start=1):
        assert flat("政風處 112 年度施政績效報告｜計畫第 1 版｜資料讀取時間 115/12/07 11:05") in flat(text), number
        assert flat(f"第 {number} 頁，共 {len(pages)} 頁") in flat(text)
    assert "範例" not in "".join(pages)


@needs_font
def test_a_pdf_page_is_drawn_not_blank(files) -> None:
    document = pypdfium2.PdfDocument(files[(12, ".pdf")])
    try:
        image = document[0].render(scale=1).to_pil().convert("RGB")
    finally:
        document.close()
    assert image.size == (596, 842)
    pixels = list(image.get_flattened_data())
    inked = sum(1 for red, green, blue in pixels if red + green + blue < 600)
    assert inked > len(pixels) * 0.02
    # the status colours of the goals' tables: 達標 green
    assert any((red, green, blue) == (0xE2, 0xEF, 0xDA) for red, green, blue in pixels)


@needs_font
def test_every_character_printed_is_in_the_embedded_font(reports) -> None:
    """No empty glyph boxes: the font covers every character of the report (else it is refused, below)."""
    from fontTools.ttLib import TTFont

    from metrics.outputs.annual.pdf import report_texts

    font = pdf_report.find_font()
    covered = TTFont(str(font.path), fontNumber=font.face, lazy=True).getBestCmap()
    assert {character for text in report_texts(reports[12]) for character in text
            if not character.isspace() and ord(character) not in covered} == set()


@pytest.mark.skipif(not Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf").is_file(), reason="需要 DejaVu 字型")
def test_a_font_without_chinese_is_refused(reports) -> None:
    from metrics.errors import RenderingUnavailable
    from metrics.outputs.annual.pdf import build_pdf

    with pytest.raises(RenderingUnavailable, match="缺少「.*」等字，印出會是空白方框"):
        build_pdf(reports[12], font="/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")


# ---- bad input ----

def sample_plan_and_frame():
    plan = SAMPLE_CATALOGUE.plan(112, "政風處")
    return plan, read_upload(SAMPLE.read_bytes(), SAMPLE.name, SAMPLE_CATALOGUE)


@pytest.mark.parametrize("as_of", [None, 6])
def test_a_year_without_figures_says_so_per_indicator(as_of) -> None:
    import pandas as pd

    plan, frame = sample_plan_and_frame()
    report = assemble(plan, frame.iloc[0:0], as_of=as_of, catalogue=SAMPLE_CATALOGUE, read_at=READ_AT)
    lines = [line for goal in report.goals for line in goal.lines]
    assert len(lines) == 13
    assert {(line.actual, line.achievement, line.status) for line in lines} == {(NOT_REPORTED, "—", "無資料")}
    assert report.score == "—" and report.as_of_month is None and report.period == "112 年尚無填報數字"
    text = flat(docx_text(render(report, ".docx")))
    assert text.count(NOT_REPORTED) >= 13
    assert isinstance(frame, pd.DataFrame)


@needs_font
def test_a_year_without_figures_as_a_pdf() -> None:
    plan, frame = sample_plan_and_frame()
    report = assemble(plan, frame.iloc[0:0], catalogue=SAMPLE_CATALOGUE, read_at=READ_AT)
    text = flat("".join(pdf_pages(render(report, ".pdf"))))
    assert text.count(NOT_REPORTED) >= 13
    assert "本年度尚無任何填報數字" in text


@pytest.mark.parametrize("sample", [True, False])
def test_a_sample_is_marked_on_every_page(sample) -> None:
    plan, frame = sample_plan_and_frame()
    report = assemble(plan, frame, catalogue=SAMPLE_CATALOGUE, read_at=READ_AT, sample=sample)
    assert ("範例" in report.header, report.title.endswith("（範例）")) == (sample, sample)
    header = docx.Document(io.BytesIO(render(report, ".docx"))).sections[0].header.paragraphs[0].text
    assert ("範例（非正式資料）" in header) is sample


def test_a_suffix_without_a_renderer_is_refused() -> None:
    from metrics.errors import InputError

    plan, frame = sample_plan_and_frame()
    report = assemble(plan, frame, catalogue=SAMPLE_CATALOGUE, read_at=READ_AT)
    assert sorted(RENDERERS) == [".docx", ".pdf"]
    with pytest.raises(InputError, match=r"無法產生副檔名「\.xlsx」的檔案；請使用 \.docx（Word 文件）、\.pdf（PDF）"):
        render(report, ".xlsx")


# ---- python -m metrics report --annual ----

@pytest.mark.parametrize("name", ["施政績效報告.docx", pytest.param("施政績效報告.PDF", marks=needs_font)])
def test_command_line_writes_the_report(annual_url, tmp_path, capsys, name) -> None:
    output = tmp_path / name
    assert cli.main(["report", "--annual", "--db", annual_url, "--year", "112", "--unit", "新竹縣政府政風處",
                     "--as-of", "6", "-o", str(output)]) == 0
    assert f"已產生 政風處 112 年度施政績效報告（統計至 112 年 6 月）：{output}" in capsys.readouterr().out
    data = output.read_bytes()
    text = flat(docx_text(data) if name.endswith(".docx") else "".join(pdf_pages(data)))
    assert "66案" in text and "六月的原因" in text and "統計期間：112年1月至6月" in text


@pytest.mark.parametrize(("arguments", "message"), [
    (["--year", "112", "--unit", "人事處"], "沒有 人事處 112 年度的計畫，不能計算或儲存該單位該年度的數字。現有計畫：112 年度 政風處。"),
    (["--year", "113", "--unit", "政風處"], "沒有 政風處 113 年度的計畫"),
    (["--year", "112", "--unit", "不存在處"], "--unit「不存在處」不是本府的單位"),
    (["--year", "112"], "年度績效報告須以 --year 與 --unit 指定年度與單位"),
    (["--year", "112", "--unit", "政風處", "--as-of", "13"], "--as-of「13」須為 1 至 12 的月份"),
])
def test_command_line_refusals(annual_url, tmp_path, capsys, arguments, message) -> None:
    output = tmp_path / "報告.docx"
    assert cli.main(["report", "--annual", "--db", annual_url, *arguments, "-o", str(output)]) == cli.EXIT_INVALID
    assert message in capsys.readouterr().err
    assert not output.exists()


@pytest.mark.parametrize("name", ["報告.xlsx", "報告", "報告.doc"])
def test_command_line_refuses_other_suffixes(annual_url, tmp_path, capsys, name) -> None:
    assert cli.main(["report", "--annual", "--db", annual_url, "--year", "112", "--unit", "政風處",
                     "-o", str(tmp_path / name)]) == cli.EXIT_INVALID
    assert "無法產生年度績效報告；請使用 .docx（Word 文件）、.pdf（PDF）" in capsys.readouterr().err
    assert not (tmp_path / name).exists()


def test_command_line_after_every_upload_is_undone(tmp_path, capsys) -> None:
    url = f"sqlite:///{tmp_path / 'kpi.sqlite3'}"
    assert cli.main(["ingest", str(SAMPLE), "--db", url]) == 0
    assert cli.main(["undo", "1", "--db", url]) == 0
    output = tmp_path / "報告.docx"
    assert cli.main(["report", "--annual", "--db", url, "--year", "112", "--unit", "政風處", "-o", str(output)]) == 0
    assert "已產生 政風處 112 年度施政績效報告（尚無填報數字）" in capsys.readouterr().out
    document = docx.Document(str(output))
    rows = [row for table in document.tables[:10] for row in table.rows[1:]]
    assert len(rows) == 13
    assert {row.cells[4].text for row in rows} == {NOT_REPORTED}


# ---- the store: a year's notes and their history in one query each (SQLite and PostgreSQL) ----

def test_the_notes_of_a_year_and_their_history(store_url) -> None:
    store = Store(store_url)
    store.save_note(112, "政風處", 6, "3", reason="甲", action="乙", author="王")
    store.save_note(112, "政風處", 2, "3", reason="二月", action="", author="王")
    store.save_note(112, "政風處", 6, "3", reason="甲改", action="乙", author="李")
    store.save_note(112, "政風處", 6, "4", reason="清除前", action="", author="李")
    store.save_note(112, "政風處", 6, "4", reason="", action="", author="李")
    store.save_note(113, "政風處", 6, "3", reason="別的年度", action="", author="王")
    store.save_note(112, "人事處", 6, "3", reason="別的單位", action="", author="王")
    current = store.notes_of_year(112, "政風處")
    assert {month: {key: note.reason for key, note in notes.items()} for month, notes in current.items()} == {
        2: {"3": "二月"}, 6: {"3": "甲改"}}
    assert [(month, note.indicator_id, note.reason, note.author) for month, note in
            store.note_history_of_year(112, "政風處")] == [
        (2, "3", "二月", "王"), (6, "3", "甲", "王"), (6, "3", "甲改", "李"), (6, "4", "清除前", "李"), (6, "4", "", "李")]
    assert store.notes_of_year(111, "政風處") == {} and store.note_history_of_year(111, "政風處") == []


@needs_font
def test_a_long_header_is_made_smaller_never_cut(reports) -> None:
    from dataclasses import replace

    report = replace(reports[6], plan_version="計畫檔 " + "很長的資料夾名稱/" * 12 + "政風處.toml", history=())
    pages = pdf_pages(render(report, ".pdf"))
    for text in pages:
        assert flat(report.header) in flat(text)
