"""報表匯出 (pages/4_報表匯出.py, ui/report.py): the wrapped HTML table with every column, the .xlsx and the PDF.

The PDF's drawing is tested in test_pdf_report.py; here build_pdf is replaced by a counter, so these tests show
when the page draws it (on request, once per data version, period, plan version and notes) and when it cannot."""

from __future__ import annotations

from decimal import Decimal
from html.parser import HTMLParser

import pytest
from streamlit.testing.v1 import AppTest

from metrics.outputs import pdf_report
from metrics.store import Store
from ui.report import COLUMNS, table_html

from test_pages import go, open_app, store_sample, texts

HEADERS = ["策略目標", "績效指標", "權重", "目標值", "實際值", "達成率", "狀態", "差距", "年底預估", "落後原因", "改進措施"]


class _TableReader(HTMLParser):
    """The cells of the report table, rows of texts, a merged goal repeated on each of its rows."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[list[str]] = []
        self.spans: list[tuple[int, int]] = []  # (row, span) of each goal cell
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "tr":
            self.rows.append([])
        elif tag in {"td", "th"}:
            self._cell = []
            span = dict(attrs).get("rowspan")
            if span:
                self.spans.append((len(self.rows) - 1, int(span)))

    def handle_endtag(self, tag: str) -> None:
        if tag in {"td", "th"} and self._cell is not None:
            self.rows[-1].append("".join(self._cell))
            self._cell = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


def read_table(markup: str) -> list[dict[str, str]]:
    reader = _TableReader()
    reader.feed(markup)
    header, *rows = reader.rows
    assert header == HEADERS
    goal = ""
    records = []
    for row in rows:
        if len(row) == len(HEADERS):
            goal = row[0]
        else:
            row = [goal, *row]
        assert len(row) == len(HEADERS), row
        records.append(dict(zip(HEADERS, row)))
    return records


def report_table(app: AppTest) -> list[dict[str, str]]:
    """The report table of the page, as {header: text} per indicator."""
    markups = [element.value for element in app.html if "kpi-report" in element.value]
    assert len(markups) == 1
    return read_table(markups[0])


def row(goal_text: str, indicator_text: str, **values: object) -> dict[str, object]:
    return {"goal": goal_text, "indicator": indicator_text, "weight": Decimal("5"), "target": "2 案",
            "actual": "1 案", "achievement": "50%", "status": "落後", "gap": "還需 1 案", "projection": "2 案",
            "reason": "", "action": "", **values}


@pytest.mark.parametrize(("rows", "expected_spans"), [
    ([], []),
    ([row("1. 甲", "1 一")], []),
    ([row("1. 甲", "1 一"), row("1. 甲", "1-2 二")], [(1, 2)]),
    ([row("1. 甲", "1 一"), row("2. 乙", "2 二"), row("2. 乙", "2-2 三"), row("2. 乙", "2-3 四")], [(2, 3)]),
    ([row("1. 甲", "1 一"), row("2. 乙", "2 二"), row("1. 甲", "3 三")], []),  # only consecutive rows merge
])
def test_goals_merge_over_their_consecutive_indicators(rows, expected_spans) -> None:
    reader = _TableReader()
    reader.feed(table_html(rows))
    assert reader.spans == expected_spans
    assert [record["績效指標"] for record in read_table(table_html(rows))] == [data["indicator"] for data in rows]


@pytest.mark.parametrize(("key", "typed", "shown"), [
    ("reason", "<script>alert(1)</script>", "&lt;script&gt;alert(1)&lt;/script&gt;"),
    ("action", '"><img src=x onerror=alert(1)>', "&quot;&gt;&lt;img src=x onerror=alert(1)&gt;"),
    ("goal", "1. 甲 & 乙", "1. 甲 &amp; 乙"),
    ("gap", "還需 <3> 案", "還需 &lt;3&gt; 案"),
])
def test_every_text_is_escaped(key: str, typed: str, shown: str) -> None:
    markup = table_html([row("1. 甲", "1 一", **{key: typed})])
    assert shown in markup
    assert typed not in markup
    assert read_table(markup)[0][dict((k, h) for k, h, _ in COLUMNS)[key]] == typed


@pytest.mark.parametrize(("values", "header", "expected"), [
    ({"weight": Decimal("12.5")}, "權重", "12.5%"),
    ({"weight": None}, "權重", ""),
    ({"reason": "講師檔期延後\n改至 11 月"}, "落後原因", "講師檔期延後\n改至 11 月"),  # kept line breaks (pre-wrap)
    ({"status": "達標"}, "狀態", "達標"),
])
def test_cell_texts(values, header: str, expected: str) -> None:
    assert read_table(table_html([row("1. 甲", "1 一", **values)]))[0][header] == expected


def test_status_cells_are_coloured_and_columns_fill_the_width() -> None:
    markup = table_html([row("1. 甲", "1 一", status="達標"), row("1. 甲", "2 二", status="落後")])
    assert 'style="background:#E2EFDA">達標' in markup
    assert 'style="background:#FCE4D6">落後' in markup
    assert sum(share for _, _, share in COLUMNS) == pytest.approx(100)
    assert "table-layout: fixed" in markup and "white-space: pre-wrap" in markup


# ---- the page ----

@pytest.fixture
def drawn(monkeypatch) -> list[int]:
    """build_pdf replaced: each call appends the number of pages it was asked for."""
    calls: list[int] = []

    def fake_build_pdf(pages, **options):
        calls.append(len(pages))
        return b"%PDF-1.4 fake"

    monkeypatch.setattr(pdf_report, "build_pdf", fake_build_pdf)
    return calls


def download_labels(app: AppTest) -> list[str]:
    return [element.proto.label for element in app.get("download_button")]


def test_the_table_shows_all_columns_and_the_notes(database) -> None:
    store_sample(database)
    Store(database).save_note(112, "政風處", 12, "10-2", reason="紙本來文仍多 <很多>", action="加強宣導", author="測試")
    app = open_app("報表匯出")
    table = report_table(app)
    assert len(table) == 13
    assert table[0]["策略目標"] == "1. 建立防貪機制，預防機關發生貪瀆不法"
    last = table[-1]
    assert (last["績效指標"], last["狀態"], last["落後原因"], last["改進措施"]) == (
        "10-2 公文線上簽核比率", "落後", "紙本來文仍多 <很多>", "加強宣導")
    assert last["策略目標"] == table[-2]["策略目標"] == "10. 提升行政效率推動公文無紙化作業"
    assert table[1]["實際值"] == "134 案" and table[1]["差距"] == "已達標"
    assert not app.dataframe  # no grid that cuts text off


def test_the_pdf_is_drawn_on_request_once_then_again_when_a_note_changes(database, drawn) -> None:
    store_sample(database)
    app = open_app("報表匯出")
    assert download_labels(app) == ["下載報表（.xlsx）"]
    assert drawn == []  # nothing drawn by opening the page

    app.button(key="report_pdf_make").click().run()
    assert not app.exception
    assert drawn == [1]  # one page: one unit, one month
    assert download_labels(app) == ["下載報表（.xlsx）", "下載 PDF 報表"]

    app.run()
    go(app, "總覽")
    go(app, "報表匯出")
    assert drawn == [1]  # kept: the same data, period, plan version and notes
    assert download_labels(app) == ["下載報表（.xlsx）", "下載 PDF 報表"]

    Store(database).save_note(112, "政風處", 12, "3", reason="人力不足", action="增聘", author="測試")
    app.run()
    assert download_labels(app) == ["下載報表（.xlsx）"]  # the notes changed: the old PDF is not offered
    app.button(key="report_pdf_make").click().run()
    assert drawn == [1, 1]

    app.sidebar.selectbox(key="period_month").select(6).run()
    assert download_labels(app) == ["下載報表（.xlsx）"]


def test_without_a_browser_the_page_says_what_to_install(database, drawn, monkeypatch) -> None:
    monkeypatch.setenv(pdf_report.BROWSER_ENVIRONMENT, "/nonexistent/chromium")
    app = open_app("報表匯出")
    assert "本伺服器目前無法產生 PDF 報表：找不到繪製儀表圖所需的瀏覽器「/nonexistent/chromium」" in texts(app)
    assert "apt-get install chromium" in texts(app)
    assert not [button for button in app.button if button.key == "report_pdf_make"]
    assert download_labels(app) == ["下載報表（.xlsx）"]  # the .xlsx is unaffected
    assert drawn == []


def test_without_the_font_the_page_says_what_to_install(database, drawn, monkeypatch) -> None:
    monkeypatch.delenv(pdf_report.FONT_ENVIRONMENT, raising=False)
    monkeypatch.setattr(pdf_report, "FONT_CANDIDATES", ())
    app = open_app("報表匯出")
    assert "找不到中文字型 Noto Sans CJK，無法產生 PDF 報表；請安裝 fonts-noto-cjk" in texts(app)
    assert drawn == []
