"""Issue 19, item 1: one cleaning rule for every text that enters the store, and every output safe for what is
already stored. A vertical tab pasted from Word into 落後原因 used to be stored as it was and then failed the unit's
report .xlsx and the 操作紀錄 .xlsx (openpyxl's IllegalCharacterError); an escape sequence in a plan's indicator name
was saved by `plans import` and written raw to the terminal by `plans show`.

Rows "saved before the rule" are written with the store's own methods, which take text as given (the service layer
is where the rule is applied), as the old code did."""

from __future__ import annotations

import io
import unicodedata
from decimal import Decimal
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from catalogues import FIXTURE_PLANS
from metrics import cli
from metrics.plans.roles import load_roles
from metrics.plans.catalogue import load_catalogue
from metrics.plans.toml_writing import plan_document
from metrics.evaluation.county import county_multi_year, county_view
from metrics.errors import InputError, PlanError
from metrics.evaluation.core import evaluate
from metrics.evaluation.figures import Figures
from metrics.intake.tidy import TIDY_COLUMNS
from metrics.outputs.pdf_report import ReportPage, shown_page
from metrics.plans.planning import stored_catalogue
from metrics.services.seeding import seed_store
from metrics.outputs.report import build_audit_report, build_county_report, build_report, report_values
from metrics.services import Services, command_line
from metrics.store import AuditEntry, Outcome, Store
from metrics.outputs.template import build_template
from metrics.texts import (UNWANTED_RANGES, TextKind, VisibleStream, clean_text, escaped, is_unwanted, terminal,
                           visible)

FILES = load_catalogue(FIXTURE_PLANS)
ROLES = load_roles(FIXTURE_PLANS)
SYSTEM = command_line("tester")
RAW = "逾期\x0b第二行\x1b[31m紅字\x1b[0m\u202e反向\x7f\x9b"  # what an old row may hold


# ---- the rule ----

@pytest.mark.parametrize(("text", "stored", "made_breaks", "removed"), [
    ("第一行\n\t第二行", "第一行\n\t第二行", "", ""),  # line breaks and tabs belong in a note
    ("逾期\x0b第二行", "逾期\n第二行", "\x0b", ""),  # Word's line break (Shift+Enter)
    ("甲\x0c乙\u2028丙\u2029丁\x85戊", "甲\n乙\n丙\n丁\n戊", "\x0c\u2028\u2029\x85", ""),
    ("甲\r\n乙\r丙", "甲\n乙\n丙", "", ""),  # how a line ends, without a word
    ("\x1b[31m紅字\x1b[0m", "[31m紅字[0m", "", "\x1b"),
    ("付款\u202e0001\u202c元", "付款0001元", "", "\u202e\u202c"),
    ("a\x00b\x9bc\x7fd", "abcd", "", "\x00\x9b\x7f"),
    ("零\u200b寬\ufeff\u200e\u2066隔\u2069", "零寬隔", "", "\u200b\ufeff\u200e\u2066\u2069"),
    ("造字\ue000與異體\u908a\U000e0100字", "造字\ue000與異體\u908a\U000e0100字", "", ""),  # private use, variation
    ("", "", "", ""),
])
def test_a_note_is_cleaned_and_says_what_changed(text, stored, made_breaks, removed):
    cleaned = clean_text(text, TextKind.NOTE, "落後原因")
    assert (cleaned.text, "".join(cleaned.made_breaks), "".join(cleaned.removed)) == (stored, made_breaks, removed)
    notice = cleaned.notice()
    assert bool(notice) == bool(made_breaks or removed)
    for character in made_breaks + removed:
        assert f"U+{ord(character):04X}" in notice and "「落後原因」" in notice


@pytest.mark.parametrize(("kind", "text", "refused"), [
    (TextKind.LINE, "情境 A：線上簽核 70%", ""),
    (TextKind.LINE, "造字\ue000", ""),
    (TextKind.LINE, "甲\n乙", "\n"),  # one line only
    (TextKind.LINE, "甲\t乙", "\t"),
    (TextKind.LINE, "甲\r乙", "\r"),
    (TextKind.LINE, "甲\x0b乙", "\x0b"),
    (TextKind.LINE, "\x1b[31m紅\x1b[0m", "\x1b"),
    (TextKind.LINE, "甲\u202e乙\u2066\u200f\u061c", "\u202e\u2066\u200f\u061c"),
    (TextKind.LINE, "\x00\x7f\x80\x9f", "\x00\x7f\x80\x9f"),
    (TextKind.LINE, "零\u200b寬\u200d連\ufeff", "\u200b\u200d\ufeff"),
    (TextKind.LINE, "\ud800\uffff\U000e0001", "\ud800\uffff\U000e0001"),
    (TextKind.PROSE, "第一行\n\t第二行", ""),
    (TextKind.PROSE, "第一行\r\n第二行", ""),
    (TextKind.PROSE, "第一行\x0b第二行\u2028", "\x0b\u2028"),
    (TextKind.PROSE, "\x1b[31m", "\x1b"),
])
def test_names_and_plan_texts_are_refused_naming_field_character_and_fix(kind, text, refused):
    if not refused:
        assert clean_text(text, kind, "名稱").text == text.replace("\r\n", "\n")
        return
    with pytest.raises(InputError) as caught:
        clean_text(text, kind, "指標 1 的名稱（name）")
    message = str(caught.value)
    assert len(caught.value.problems) == len(refused)
    for character in refused:
        assert f"U+{ord(character):04X}" in message
    assert "「指標 1 的名稱（name）」" in message and "請" in message
    position = next(index for index, character in enumerate(text, start=1) if character in refused)
    assert f"第 {position} 個字" in message


def test_the_rule_holds_every_control_format_and_separator_character_of_unicode():
    expected = [code for code in range(0x110000)
                if unicodedata.category(chr(code)) in ("Cc", "Cf", "Cs", "Zl", "Zp")
                or 0xFDD0 <= code <= 0xFDEF or code & 0xFFFE == 0xFFFE]
    assert [code for code in range(0x110000) if is_unwanted(chr(code))] == expected
    assert all(first <= last for first, last in UNWANTED_RANGES)


@pytest.mark.parametrize(("text", "document", "line", "one_line"), [
    ("第一行\n\t第二行", "第一行\n\t第二行", "第一行\n\t第二行", "第一行\\u000a\\u0009第二行"),
    ("逾期\x0b第二行", "逾期\n第二行", "逾期\\u000b第二行", "逾期\\u000b第二行"),
    ("\x1b[31m紅", "\\u001b[31m紅", "\\u001b[31m紅", "\\u001b[31m紅"),
    ("a\r\nb", "a\nb", "a\\u000d\nb", "a\\u000d\\u000ab"),
    ("\x00\x7f\x9b", "\\u0000\\u007f\\u009b", "\\u0000\\u007f\\u009b", "\\u0000\\u007f\\u009b"),
    ("\u202e反\u200b", "\\u202e反\\u200b", "\\u202e反\\u200b", "\\u202e反\\u200b"),
    ("\U000e0001", "\\udb40\\udc01", "\\udb40\\udc01", "\\udb40\\udc01"),
    ("新竹縣政府政風處 112 年", "新竹縣政府政風處 112 年", "新竹縣政府政風處 112 年", "新竹縣政府政風處 112 年"),
])
def test_outputs_show_stored_control_characters_visibly(text, document, line, one_line):
    assert (visible(text), terminal(text), escaped(text)) == (document, line, one_line)


def test_the_command_lines_streams_write_escapes():
    buffer = io.StringIO()
    stream = VisibleStream(buffer)
    assert stream.write("指標\x1b[31m\n") == len("指標\x1b[31m\n")
    assert buffer.getvalue() == "指標\\u001b[31m\n"


# ---- through the service layer ----

@pytest.fixture
def services(store_url: str) -> Services:
    with Store(store_url) as store:
        seed_store(store, FILES)
        yield Services(store, ROLES)


def evaluation_113(store: Store):
    plan = stored_catalogue(store, FILES).plan(113, "甲處")
    return evaluate(Figures.from_mapping(plan, {}), 3)


def opened(data: bytes) -> openpyxl.Workbook:
    return openpyxl.load_workbook(io.BytesIO(data))


def all_text(book: openpyxl.Workbook) -> str:
    return "\n".join(str(cell.value) for sheet in book for row in sheet.iter_rows() for cell in row
                     if cell.value is not None)


def test_a_note_pasted_from_word_is_saved_with_line_breaks_and_every_report_opens(services):
    store = services.store
    said = services.save_note(SYSTEM, 113, "甲處", 3, "1", "逾期\x0b第二行\u202e", "加強\x1b[31m宣導\r\n第二點")
    assert "「落後原因」" in said and "U+000B" in said and "U+202E" in said and "「改進措施」" in said
    assert "U+001B" in said
    note = store.notes(113, "甲處", 3)["1"]
    assert (note.reason, note.action) == ("逾期\n第二行", "加強[31m宣導\n第二點")
    assert services.save_note(SYSTEM, 113, "甲處", 3, "1", "逾期\n第二行", "加強宣導") == ""

    rows = report_values(evaluation_113(store), store.notes(113, "甲處", 3))
    sheet = opened(build_report(rows, title="t", subtitle="s")).active
    assert "逾期\n第二行" in all_text(sheet.parent)
    audit = opened(build_audit_report(store.audit_log(), title="操作紀錄", subtitle="s"))
    assert "逾期\n第二行" in all_text(audit)
    for text in (all_text(sheet.parent), all_text(audit)):
        assert not any(is_unwanted(character) for character in text if character not in "\n\t")


@pytest.mark.parametrize(("write", "field", "character"), [
    (lambda s: s.save_scenario(SYSTEM, 113, "甲處", "情境\x1b[31m", {"targets": {}}), "情境名稱", "U+001B"),
    (lambda s: s.add_account(SYSTEM, "wang", display_name="王\u202e小明", roles=["viewer"], password="correct horse 1"),
     "姓名", "U+202E"),
    (lambda s: s.add_account(SYSTEM, "wang", display_name="王小明", roles=["viewer"], password="correct horse 1",
                             email="a@b\n.tw"), "電子郵件", "U+000A"),
])
def test_names_are_refused_before_anything_is_stored(services, write, field, character):
    before = len(services.store.audit_log())
    with pytest.raises(InputError) as caught:
        write(services)
    assert f"「{field}」" in str(caught.value) and character in str(caught.value)
    assert services.store.scenarios(113, "甲處") == [] and services.store.account_count() == 0
    assert len(services.store.audit_log()) == before


def test_a_plan_edit_with_an_escape_in_a_name_is_refused(services):
    from dataclasses import replace

    plan = stored_catalogue(services.store, FILES).plan(113, "甲處")
    edited = replace(plan, indicators=(replace(plan.indicators[0], name="辦理\x1b[31m案件"), *plan.indicators[1:]))
    with pytest.raises(InputError) as caught:
        services.save_plan(SYSTEM, stored_catalogue(services.store, FILES), edited, note="改名")
    assert "「指標 1 的名稱（name）」" in str(caught.value) and "U+001B" in str(caught.value)
    assert len(services.store.plan_versions(113, "甲處")) == 1


def test_a_plan_file_with_a_control_character_stops_the_catalogue(tmp_path):
    import shutil

    shutil.copytree(FIXTURE_PLANS, tmp_path / "plans")
    path = tmp_path / "plans" / "113" / "甲處.toml"
    path.write_text(path.read_text(encoding="utf-8").replace('name = "辦理案件"', 'name = "辦理\\u000b案件"'),
                    encoding="utf-8")
    with pytest.raises(PlanError) as caught:
        load_catalogue(tmp_path / "plans")
    assert "甲處.toml" in str(caught.value) and "指標 1 的名稱（name）" in str(caught.value)
    assert "U+000B" in str(caught.value)


# ---- what is already stored ----

def store_old_rows(store: Store) -> None:
    """Rows as the code before the rule saved them: a raw note, raw audit rows, a plan version whose indicator
    name and goal title hold escapes, a raw scenario name."""
    store.save_note(113, "甲處", 3, "1", RAW, RAW, author="王\x1b[2J小明")
    store.record([AuditEntry("王\x1b[2J小明", "落後說明", Outcome.ALLOWED, "指標\x0b1", RAW, "甲處", 113)])
    plan = FILES.plan(113, "甲處")
    document = plan_document(plan).replace('name = "辦理案件"', 'name = "辦理\\u000b案件\\u001b[31m"').replace(
        'title = "辦案"', 'title = "辦\\u202e案"')
    assert document != plan_document(plan)
    store.save_plan_version(113, "甲處", document, author="舊版", note="舊\x0b說明")
    store.save_scenario(113, "甲處", "舊\x1b[31m情境", {"targets": {}})


def test_rows_stored_before_the_rule_still_export_to_every_workbook(services):
    store = services.store
    store_old_rows(store)
    evaluation = evaluation_113(store)
    assert "\x1b" in evaluation.plan.indicators[0].name  # read back as stored

    report = opened(build_report(report_values(evaluation, store.notes(113, "甲處", 3)), title="t\x1b", subtitle="s"))
    audit = opened(build_audit_report(store.audit_log(), title="操作紀錄", subtitle="s"))
    tidy = pd.DataFrame([(113, 3, "甲處", "cases", Decimal(2), "x.csv", "", "E2")], columns=list(TIDY_COLUMNS))
    catalogue = stored_catalogue(store, FILES)
    county = opened(build_county_report(county_view(catalogue, tidy, 113, 3),
                                        county_multi_year(catalogue, tidy, 113), catalogue, title="全府"))
    template = opened(build_template(evaluation.plan))
    assert "辦理\n案件\\u001b[31m" in all_text(template)
    for book in (report, audit, county, template):
        text = all_text(book)
        assert not any(is_unwanted(character) for character in text if character not in "\n\t")
    assert "逾期\n第二行\\u001b[31m紅字\\u001b[0m\\u202e反向\\u007f\\u009b" in all_text(report)
    assert "辦理\n案件\\u001b[31m" in all_text(report)
    assert "王\\u001b[2J小明" in all_text(audit) and "指標\n1" in all_text(audit)

    # a service write that quotes the old note (its audit row shows what it replaces) is clean too
    services.save_note(SYSTEM, 113, "甲處", 3, "1", "新的原因", "新的措施")
    newest = store.audit_log(limit=1)[0]
    assert "\\u001b[31m" in newest.detail and not any(is_unwanted(c) for c in newest.detail if c not in "\n\t")
    services.delete_scenario(SYSTEM, 113, "甲處", "舊\x1b[31m情境")  # found by its stored name
    assert store.scenarios(113, "甲處") == []
    assert store.audit_log(limit=1)[0].subject == "情境「舊\\u001b[31m情境」"


def test_rows_stored_before_the_rule_print_visibly_in_the_pdf_page(services):
    store = services.store
    store_old_rows(store)
    evaluation = evaluation_113(store)
    rows = report_values(evaluation, store.notes(113, "甲處", 3))
    page = shown_page(ReportPage("標題\x1b[1m", "s\u202e", rows, []))
    texts = [page.title, page.subtitle, *(str(value) for row in page.rows for value in row.values())]
    assert not any(is_unwanted(character) for text in texts for character in text if character not in "\n")
    assert page.title == "標題\\u001b[1m" and any("逾期\n第二行\\u001b[31m" in text for text in texts)


@pytest.mark.skipif(not Path("/usr/bin/chromium").exists()
                    or not Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc").exists(),
                    reason="需要 Chromium 與 fonts-noto-cjk")
def test_rows_stored_before_the_rule_still_make_a_pdf(tmp_path):
    import pypdfium2

    from metrics.outputs.pdf_report import build_pdf, report_page

    with Store(f"sqlite:///{tmp_path / 'kpi.sqlite3'}") as store:
        seed_store(store, FILES)
        store_old_rows(store)
        data = build_pdf([report_page(evaluation_113(store), store.notes(113, "甲處", 3))])
    document = pypdfium2.PdfDocument(data)
    try:
        text = document[0].get_textpage().get_text_range()
    finally:
        document.close()
    assert "\\u001b[31m" in text and "\x1b" not in text


@pytest.fixture
def run(store_url, capsys, monkeypatch):
    monkeypatch.delenv("KPI_DB_URL", raising=False)

    def call(*arguments: str) -> tuple[int, str, str]:
        status = cli.main(["--plans", str(FIXTURE_PLANS), *arguments, "--db", store_url])
        captured = capsys.readouterr()
        return status, captured.out, captured.err

    return call


def test_the_command_line_prints_what_is_stored_visibly(run, store_url):
    with Store(store_url) as store:
        seed_store(store, FILES)
        store_old_rows(store)
    for command in (("plans", "show", "113", "甲處"), ("evaluate", "--year", "113", "--unit", "甲處", "--as-of", "3"),
                    ("audit",), ("evaluate", "--year", "113", "--unit", "甲處", "--as-of", "3", "--json")):
        status, out, err = run(*command)
        assert status == 0, err
        assert not any(is_unwanted(character) for character in out + err if character not in "\n\t"), command
        assert "\\u001b" in out or "\\x1b" in out, command  # (the audit listing's older form: \x1b)
    status, out, err = run("plans", "show", "113", "甲處")
    assert "辦理\\u000b案件\\u001b[31m" in out and "辦\\u202e案" in out


def test_plans_import_with_control_characters_in_a_name_is_refused(run, store_url, tmp_path):
    path = tmp_path / "甲處.toml"
    text = (FIXTURE_PLANS / "113" / "甲處.toml").read_text(encoding="utf-8")
    path.write_text(text.replace('name = "辦理案件"', 'name = "辦理\\u000b案件\\u001b[31m"').replace(
        "target = 24", "target = 30"), encoding="utf-8")
    status, out, err = run("plans", "import", str(path), "--author", "王科長")
    assert status == 2
    assert "「指標 1 的名稱（name）」第 3 個字" in err and "U+000B" in err
    assert "「指標 1 的名稱（name）」第 6 個字" in err and "U+001B" in err
    assert "\x1b" not in err and "\x0b" not in err
    with Store(store_url) as store:
        assert [version.number for version in store.plan_versions(113, "甲處")] == [1]

    status, out, err = run("plans", "import", str(path), "--author", "王\x1b[31m科長")
    assert status == 2 and "U+001B" in err and "\x1b" not in err
