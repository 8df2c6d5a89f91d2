"""The year-end report of a checkpoint of the performance cycle (metrics/outputs/annual/checkpoint.py): as of the
checkpoint's last month, with its 自評's state (送出自評, 初核, 核定: who and when), the 自評說明 and the reviewers'
comments in place of the notes where they exist; `report --annual --checkpoint` and the page's 報告期間 selector.

The store holds the sample year (政風處 112, tests/golden_plans; its cycle: half = months 1–6, year = 1–12). The 上半年
自評 is sent (indicator 3 with its own explanation, indicator 10-2 drafted from June's note), returned with a comment
on 3, sent again, passed with a comment on 3 and approved; the 年終 one is never sent. The numbers as of June are the
hand-checked ones of test_annual_report.py (66 案, 51.44 分)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from catalogues import SAMPLE_CATALOGUE  # noqa: F401  (sets up the golden catalogue like its neighbours)
from metrics import cli
from metrics.outputs import pdf_report
from metrics.outputs.annual import read_annual_report, render
from metrics.outputs.annual.checkpoint import NOT_SUBMITTED, months_label
from metrics.outputs.presentation import taiwan_time
from metrics.plans.catalogue import load_catalogue
from metrics.plans.cycle import CycleError, load_cycle
from metrics.plans.planning import stored_catalogue
from metrics.services import Services, command_line
from metrics.plans.roles import load_roles
from metrics.services.review import Review, cycle_to_read
from metrics.store import Store
from test_annual_report import SAMPLE, docx_text, flat, pdf_body, pdf_pages
from test_annual_page import download_labels, made, suffixes  # noqa: F401  (the recorder fixture)
from test_pages import open_app, store_sample, texts

GOLDEN = Path(__file__).resolve().parent / "golden_plans"
READ_AT = dt.datetime(2026, 12, 7, 3, 5, tzinfo=dt.timezone.utc)
EXPLAINED = "上半年案件集中於第二季，7 月起每週追蹤"
RETURNED = "請說明改善時程"
PASSED = "已補充改善時程，同意"
needs_font = pytest.mark.skipif(not Path(pdf_report.FONT_CANDIDATES[0]).is_file(), reason="需要 fonts-noto-cjk")


def review_of(url: str) -> Review:
    roles = load_roles(GOLDEN)
    return Review(Services(Store(url), roles), load_cycle(GOLDEN, roles), load_catalogue(GOLDEN))


def run_half_cycle(url: str) -> None:
    store = Store(url)
    store.save_note(112, "政風處", 6, "10-2", reason="紙本來文仍多", action="推廣線上簽核", author="乙")
    review, actor = review_of(url), command_line("root")
    review.submit(actor, 112, "政風處", "half", "上半年自評", explanations={"3": "先寫的說明"})
    review.return_(actor, 112, "政風處", "half", "第 3 項說明不足", comments={"3": RETURNED})
    review.submit(actor, 112, "政風處", "half", "已補充", explanations={"3": EXPLAINED})
    review.pass_(actor, 112, "政風處", "half", "初核通過", comments={"3": PASSED})
    review.approve(actor, 112, "政風處", "half", "核定")


@pytest.fixture(scope="module")
def cycle_url(tmp_path_factory) -> str:
    url = f"sqlite:///{tmp_path_factory.mktemp('checkpoint') / 'kpi.sqlite3'}"
    assert cli.main(["ingest", str(SAMPLE), "--db", url]) == 0
    run_half_cycle(url)
    return url


@pytest.fixture(scope="module")
def half(cycle_url):
    store = Store(cycle_url)
    roles = load_roles(GOLDEN)
    return read_annual_report(store, stored_catalogue(store, load_catalogue(GOLDEN)), 112, "政風處",
                              read_at=READ_AT, checkpoint="half", cycle=load_cycle(GOLDEN, roles))


@pytest.fixture(scope="module")
def stored(cycle_url):
    return Store(cycle_url).assessment(112, "政風處", "half")


def line_of(report, indicator: str):
    return next(line for goal in report.goals for line in goal.lines if line.id == indicator)


# ---- the model: as of the checkpoint's last month, with its state ----

def test_as_of_the_checkpoints_last_month(half) -> None:
    assert half.as_of_month == 6 and half.score == "51.44 分"
    assert (line_of(half, "2").actual, line_of(half, "2").status) == ("66 案", "符合進度")
    assert half.title == "新竹縣政府政風處 112 年度施政績效報告（上半年）"
    assert half.period == "統計期間：112 年 1 月至 6 月（112 年度上半年檢核點，1～6 月）"
    assert "｜112 年度上半年：已核定｜" in half.header


def test_the_state_with_who_and_when(half, stored) -> None:
    review = half.review
    assert review.summary == "檢核點：112 年度上半年（1～6 月）｜考核狀態：已核定"
    who = stored.submitted_by
    assert who.startswith("命令列（root") and stored.passed_by == who and stored.approved_by == who
    assert review.steps == (("送出自評", who, taiwan_time(stored.submitted_at)),
                            ("初核通過", who, taiwan_time(stored.passed_at)),
                            ("核定", who, taiwan_time(stored.approved_at)))
    steps = [(step, state, comment) for _, step, state, _, comment in review.transitions]
    assert steps == [("送出自評", "尚未送出自評 → 已送自評", "上半年自評"), ("退回修正", "已送自評 → 退回修正", "第 3 項說明不足"),
                     ("送出自評", "退回修正 → 已送自評", "已補充"), ("初核通過", "已送自評 → 初核通過", "初核通過"),
                     ("核定", "初核通過 → 已核定", "核定")]


def test_the_explanations_and_comments_of_the_self_assessment_else_the_notes(half) -> None:
    assert line_of(half, "3").explanation == f"自評說明：{EXPLAINED}\n審查意見（{line_of(half, '3').reviewed_by}）：{PASSED}"
    assert line_of(half, "3").reviewed_by.startswith("命令列（root")
    # drafted from June's note when the 自評 was sent
    assert line_of(half, "10-2").explanation == "自評說明：落後原因：紙本來文仍多；改進措施：推廣線上簽核"
    assert line_of(half, "2").explanation == ""  # nothing written anywhere


def test_a_checkpoint_never_submitted(cycle_url) -> None:
    store = Store(cycle_url)
    report = read_annual_report(store, stored_catalogue(store, load_catalogue(GOLDEN)), 112, "政風處",
                                read_at=READ_AT, checkpoint="year", cycle=load_cycle(GOLDEN, load_roles(GOLDEN)))
    assert report.as_of_month == 12 and report.score == "99.12 分"
    assert report.review.state == NOT_SUBMITTED and report.review.transitions == ()
    assert report.review.steps == (("送出自評", "—", "—"), ("初核通過", "—", "—"), ("核定", "—", "—"))
    assert line_of(report, "10-2").explanation == "未達成原因：紙本來文仍多\n改善措施：推廣線上簽核\n（6 月填寫）"


def test_an_unknown_checkpoint_names_those_there_are(cycle_url) -> None:
    store = Store(cycle_url)
    with pytest.raises(CycleError, match="檢核點「q3」不存在；.*half（上半年）、year（年終）"):
        read_annual_report(store, stored_catalogue(store, load_catalogue(GOLDEN)), 112, "政風處",
                           checkpoint="q3", cycle=load_cycle(GOLDEN, load_roles(GOLDEN)))


@pytest.mark.parametrize(("months", "text"), [((1, 2, 3, 4, 5, 6), "1～6 月"), ((12,), "12 月"), ((1, 3, 5), "1、3、5 月")])
def test_months_label(months, text) -> None:
    assert months_label(months) == text


def test_the_cycle_to_read_is_not_stored(tmp_path) -> None:
    store = Store(f"sqlite:///{tmp_path / 'kpi.sqlite3'}")
    cycle = cycle_to_read(store, GOLDEN, load_roles(GOLDEN))
    assert [point.id for point in cycle.checkpoints] == ["half", "year"]
    assert store.cycle_version() is None  # a report reads; it does not seed the cycle


# ---- the files: hand-checked text ----

@pytest.mark.parametrize("suffix", [".docx", pytest.param(".pdf", marks=needs_font)])
def test_the_files_say_the_state(half, stored, suffix) -> None:
    data = render(half, suffix)
    text = flat(docx_text(data)) if suffix == ".docx" else pdf_body(data)
    who = stored.submitted_by
    for expected in ("新竹縣政府政風處 112 年度施政績效報告（上半年）",
                     "統計期間：112 年 1 月至 6 月（112 年度上半年檢核點，1～6 月）",
                     "檢核點：112 年度上半年（1～6 月）｜考核狀態：已核定", "肆、檢核點考核狀態",
                     f"送出自評{who}{taiwan_time(stored.submitted_at)}", f"初核通過{who}{taiwan_time(stored.passed_at)}",
                     f"核定{who}{taiwan_time(stored.approved_at)}", "退回修正→已送自評", "第 3 項說明不足",
                     f"自評說明：{EXPLAINED}", f"審查意見（{who}）：{PASSED}", "66 案", "51.44 分"):
        assert flat(expected) in text, expected
    assert flat(f"審查意見（{who}）：{RETURNED}") not in text  # the comment of the returned round is not the last


@needs_font
def test_every_pdf_page_has_the_checkpoint_in_its_header(half) -> None:
    pages = pdf_pages(render(half, ".pdf"))
    assert len(pages) >= 2
    assert all(flat("政風處 112 年度施政績效報告｜112 年度上半年：已核定｜計畫第 1 版") in flat(page) for page in pages)


# ---- the command line ----

def test_command_line_with_a_checkpoint(cycle_url, tmp_path, capsys) -> None:
    output = tmp_path / "上半年.docx"
    capsys.readouterr()
    assert cli.main(["report", "--annual", "--db", cycle_url, "--year", "112", "--unit", "政風處",
                     "--checkpoint", "half", "-o", str(output)]) == 0
    assert ("已產生 政風處 112 年度施政績效報告（統計至 112 年 6 月；檢核點：112 年度上半年（1～6 月）｜考核狀態：已核定）"
            in capsys.readouterr().out)
    text = flat(docx_text(output.read_bytes()))
    assert flat(f"自評說明：{EXPLAINED}") in text and "66案" in text


@pytest.mark.parametrize(("arguments", "message"), [
    (["--checkpoint", "q3"], "檢核點「q3」不存在；"),
    (["--checkpoint", "half", "--as-of", "3"], "--checkpoint「half」已決定統計月份（該檢核點的最後一個月），不可再以 --as-of「3」指定"),
])
def test_command_line_refusals(cycle_url, tmp_path, capsys, arguments, message) -> None:
    output = tmp_path / "報告.docx"
    code = cli.main(["report", "--annual", "--db", cycle_url, "--year", "112", "--unit", "政風處", *arguments,
                     "-o", str(output)])
    error = capsys.readouterr().err
    assert code != 0 and message in error, error
    if "q3" in arguments:
        assert "half（上半年）、year（年終）" in error
    assert not output.exists()


def test_command_line_checkpoint_only_with_annual(cycle_url, tmp_path, capsys) -> None:
    assert cli.main(["report", "--db", cycle_url, "--year", "112", "--unit", "政風處", "--checkpoint", "half",
                     "-o", str(tmp_path / "月報.xlsx")]) == 2
    assert "--checkpoint「half」只用於 --annual" in capsys.readouterr().err


# ---- the page: the 報告期間 selector ----

def test_the_page_selects_a_checkpoint(database, made, monkeypatch) -> None:  # noqa: F811
    monkeypatch.setattr(pdf_report, "FONT_CANDIDATES", ())  # the Word file is enough here
    monkeypatch.delenv(pdf_report.FONT_ENVIRONMENT, raising=False)
    store_sample(database)
    run_half_cycle(database)
    app = open_app("報表匯出")
    selector = app.selectbox(key="annual_checkpoint")
    assert selector.options == ["統計至 12 月（側邊欄所選月份）", "112 年度上半年檢核點（1～6 月，統計至 6 月）",
                                "112 年度年終檢核點（1～12 月，統計至 12 月）"]
    selector.select("half").run()
    assert not app.exception
    assert "檢核點：112 年度上半年（1～6 月）｜考核狀態：已核定" in texts(app)
    app.button(key="annual_make").click().run()
    assert not app.exception and suffixes(made) == [".docx"]
    report = made[0][1]
    assert (report.as_of_month, report.score, report.review.state) == (6, "51.44 分", "已核定")
    assert line_of(report, "3").self_assessment == EXPLAINED
    download = next(element for element in app.get("download_button") if "年度績效報告" in element.proto.label)
    assert download.proto.label == "下載年度績效報告（.docx）"

    app.selectbox(key="annual_checkpoint").select("year").run()
    assert "檢核點：112 年度年終（1～12 月）｜考核狀態：尚未送出自評" in texts(app)
    assert download_labels(app) == []  # another period: made again on request
    app.button(key="annual_make").click().run()
    assert made[-1][1].as_of_month == 12 and made[-1][1].review.state == NOT_SUBMITTED

    app.selectbox(key="annual_checkpoint").select(None).run()
    app.button(key="annual_make").click().run()
    assert made[-1][1].review is None and made[-1][1].as_of_month == 12
