"""No user-supplied string is ever rendered as Markdown or HTML (issue 13, item 8).

ui.widgets.escape_markdown escapes what a person typed or a file held (file names, names, notes, scenario names, plan
version notes, messages quoting cells) so Streamlit shows it literally: a file name `[請點此重新登入](http://…)`
must not become a live link, `![](http://…)` must not make every viewer's browser fetch an outside address.
The walk stores such strings everywhere a user can put them and opens every page as an account with every role.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import replace

import pytest
from streamlit.testing.v1 import AppTest

from catalogues import CATALOGUE
from markup import seen
from metrics.plans.planning import stored_catalogue
from metrics.services.seeding import seed_store
from metrics.errors import KpiError
from metrics.intake.monthly import read_upload
from metrics.store import Store
from signing import EVERYTHING, services, sign_in, token
from test_pages import PAGES, SAMPLE, TIMEOUT
from ui.widgets import WORD_JOINER, escape_markdown

LINK_NAME = "[請點此重新登入](http://evil.example)"
FILE_NAME = (f"{LINK_NAME}![](http://evil.example/file.png)<img src=x onerror=alert(1)>"
             "**粗體**$x$:red[紅]:material/home:.csv")
DISPLAY_NAME = "![](http://evil.example)王[明](http://evil.tw)"  # with 「二號」 within the 50 characters of a name
USERNAME = "mallory@evil.example"
OTHER_USERNAME = "eve.evil"
REASON = "[請點此重新登入](http://evil.example) <img src=http://evil.example/reason.png>"
ACTION = "# 大標題\n<script>alert(1)</script> www.evil.example :red[紅字] $x^2$ mail@evil.example"
SCENARIO = "![](http://evil.example/scenario.png)情境[連結](http://evil.example)"
PLAN_NOTE = "<img src=http://evil.example/note.png>說明[連結](http://evil.example)"
PLAN_ORIGIN = "[來源](http://evil.example).toml"
UNIT = "[單位](http://evil.example)"
MARKER = "evil"

# Markdown that Streamlit would turn into a link, an image, HTML, LaTeX, a directive or an icon: the syntax not
# preceded by a backslash, and bare addresses (GitHub-flavoured Markdown links them however they are escaped).
LIVE = re.compile(r"(?<!\\)\]\(|(?<!\\)!\[|(?<!\\)<|(?<!\\)\$|(?<!\\):[a-z]+\[|(?<!\\):material/"
                  r"|(?i:https?:)|(?i:www\.)|@\w")


@pytest.mark.parametrize("text, expected", [
    ("", ""),
    (None, ""),
    ("王小明 112年", "王小明 112年"),
    ("1,234.5", r"1\,234\.5"),
    ("[a](b)", r"\[a\]\(b\)"),
    ("![](x.png)", r"\!\[\]\(x\.png\)"),
    ("<img src=x>", r"\<img src\=x\>"),
    ("**b**", r"\*\*b\*\*"),
    ("$x$", r"\$x\$"),
    (":red[t]", r"\:red\[t\]"),
    (":material/home:", r"\:material\/home\:"),
    ("a\\b", r"a\\b"),
    ("http://x", "http" + WORD_JOINER + r"\:\/\/x"),
    ("HTTPS://x", "HTTPS" + WORD_JOINER + r"\:\/\/x"),
    ("www.x", "www" + WORD_JOINER + r"\.x"),
    ("a@x", r"a\@" + WORD_JOINER + "x"),
    ("第一行\n第二行", "第一行  \n第二行"),
    ("第一行\r\n第二行", "第一行  \n第二行"),
    ("# 標題", r"\# 標題"),
    ("- 項目", r"\- 項目"),
    ("1. 項目", r"1\. 項目"),
])
def test_plain_escapes_by_hand(text, expected):
    assert escape_markdown(text) == expected


ATTACKS = [LINK_NAME, FILE_NAME, DISPLAY_NAME, REASON, ACTION, SCENARIO, PLAN_NOTE, PLAN_ORIGIN, UNIT,
           "<http://evil.example>", "a\n===", "~~刪除~~", "`程式碼`", "|a|b|", "&lt;b&gt;", "[x]: http://evil.example",
           "王小明（wang）112年 1,234.5 件（備註）"]


@pytest.mark.parametrize("attack", ATTACKS)
def test_plain_reads_as_the_text_and_nothing_is_live(attack):
    escaped = escape_markdown(attack)
    assert seen(escaped).replace("  \n", "\n").replace("\r\n", "\n") == attack.replace("\r\n", "\n")
    assert not LIVE.search(escaped), escaped


def _shows(text: str) -> None:
    import streamlit as st

    st.markdown(text)
    st.caption(text)
    st.error(text)
    with st.expander(text):
        st.button(text, help=text)


@pytest.mark.parametrize("attack", ATTACKS)
def test_streamlit_receives_the_escaped_text_in_every_kind_of_element(attack):
    app = AppTest.from_function(_shows, args=(escape_markdown(attack),), default_timeout=TIMEOUT).run()
    assert not app.exception
    shown = [node for node in elements(app) if node]
    assert len(shown) == 6 and set(shown) == {escape_markdown(attack)}


def elements(app: AppTest) -> Iterator[str]:
    """Every text of the page Streamlit renders as Markdown: bodies of texts, alerts, toasts and metrics, labels
    and help of widgets, expanders, tabs and links. HTML our code builds (the page's <style>, the report's table)
    is not Markdown: test_the_report_table_escapes_every_value checks it."""
    def walk(node) -> Iterator:
        yield node
        for child in getattr(node, "children", {}).values():
            yield from walk(child)

    for node in walk(app._tree):
        proto = getattr(node, "proto", None)
        if proto is None or getattr(proto, "allow_html", False) or type(proto).__name__ == "Html":
            continue
        for field in ("body", "label", "help"):
            value = getattr(proto, field, None)
            if isinstance(value, str):
                yield value


def store_hostile(url: str) -> None:
    """Hostile strings everywhere a user can put one: an account's name, an upload's file name (so its batch, the
    sidebar and the audit trail), a note and its history, a scenario, a plan version's note and origin, a unit
    typed in a file, and a failed login's user name."""
    writer = services(url)
    actor = writer.actor(token(url, USERNAME, display_name=DISPLAY_NAME))
    writer.add_account(actor, OTHER_USERNAME, display_name=DISPLAY_NAME + "二號", roles=["viewer"], units=[],
                       password="another password", email="eve@evil.example")
    data = SAMPLE.read_bytes()
    writer.upload(actor, [(read_upload(data, SAMPLE.name, CATALOGUE), FILE_NAME, data)])
    first = CATALOGUE.plan(112, "政風處").indicators[0].id
    seed_store(Store(url), CATALOGUE)  # as the app does on opening a store: notes and scenarios need the plan
    writer.save_note(actor, 112, "政風處", 12, first, "上月：" + REASON, ACTION)
    writer.save_note(actor, 112, "政風處", 12, first, REASON, ACTION)  # a history of two: the expander shows
    writer.save_scenario(actor, 112, "政風處", SCENARIO, {"targets": {first: "9"}})
    catalogue = stored_catalogue(Store(url), CATALOGUE)
    plan = catalogue.plan(112, "政風處")
    writer.save_plan(actor, catalogue, replace(plan, title=plan.title + "（修訂）"), note=PLAN_NOTE, origin=PLAN_ORIGIN)
    frame = read_upload(data, SAMPLE.name, CATALOGUE)
    frame["unit"] = UNIT  # as a file could name it; no plan has it, so every page says so
    Store(url).ingest(frame.head(1), file_name=FILE_NAME, file_bytes=b"unit", uploader=DISPLAY_NAME)
    with pytest.raises(KpiError):
        writer.login("[x](http://evil.example)", "wrong password")


def open_hostile(url: str, page: str) -> AppTest:
    app = sign_in(AppTest.from_file("../dashboard.py", default_timeout=TIMEOUT), url, USERNAME,
                  display_name=DISPLAY_NAME, roles=EVERYTHING)
    app.query_params["year"], app.query_params["unit"], app.query_params["month"] = "112", "政風處", "12"
    app.run()
    if page != "總覽":
        app.switch_page(PAGES[page]).run()
    assert not app.exception, [error.value for error in app.exception]
    return app


def assert_inert(app: AppTest) -> list[str]:
    hostile = [text for text in elements(app) if MARKER in text]
    live = [text for text in hostile if LIVE.search(text)]
    assert not live, live
    return [seen(text) for text in hostile]


@pytest.mark.parametrize("page", PAGES)
def test_every_page_shows_hostile_strings_as_text(database, page):
    store_hostile(database)
    app = open_hostile(database, page)
    shown = "\n".join(assert_inert(app))
    assert LINK_NAME in shown  # the sidebar names the latest upload on every page
    assert f"[單位](http{WORD_JOINER}://evil.example)" not in shown and "[單位](http://evil.example) 112年" in shown
    assert DISPLAY_NAME in shown  # the sidebar's 已登入


def test_the_places_that_quote_hostile_strings(database):
    store_hostile(database)
    app = open_hostile(database, "資料上傳")
    shown = "\n".join(assert_inert(app))
    assert f"｜{FILE_NAME}｜" in shown and f"上傳者 {DISPLAY_NAME}" in shown  # the history
    undo = next(button for button in app.button if (button.key or "").startswith("undo_"))
    undo.click().run()
    dialog = "\n".join(assert_inert(app))
    assert f"- 檔案：{FILE_NAME}" in dialog and f"- 上傳者：{DISPLAY_NAME}" in dialog

    app = open_hostile(database, "指標明細")
    shown = "\n".join(assert_inert(app))
    assert f"**落後原因**：{REASON}" in shown or f"落後原因：{REASON}" in shown
    assert ACTION.replace("\n", "  \n") in shown and "上月：" + REASON in shown  # the note and its history

    app = open_hostile(database, "情境模擬")
    app.button(key="whatif_load").click().run()
    assert f"已載入情境「{SCENARIO}」。" in assert_inert(app)
    app.button(key="whatif_delete").click().run()
    assert any(f"情境「**{SCENARIO}**」" in text for text in assert_inert(app))

    app = open_hostile(database, "計畫管理")
    shown = "\n".join(assert_inert(app))
    assert f"說明：{PLAN_NOTE}" in shown and f"修改人：{DISPLAY_NAME}（{USERNAME}）" in shown
    assert f"來源：{PLAN_ORIGIN}" in shown

    app = open_hostile(database, "帳號管理")
    app.selectbox(key="edit_account").set_value(OTHER_USERNAME).run()
    app.button(key=f"disable_{OTHER_USERNAME}").click().run()
    assert f"確定要停用 **{DISPLAY_NAME}二號（{OTHER_USERNAME}）** 嗎？" in "\n".join(assert_inert(app))


def test_a_problem_quoting_a_cell_and_a_sheet_is_shown_as_text(database):
    from test_pages import long_csv, upload

    app = sign_in(AppTest.from_file("../dashboard.py", default_timeout=TIMEOUT), database).run()
    app.switch_page(PAGES["資料上傳"]).run()
    bad = long_csv([(1, "procurement_audits", "[壞](http://evil.example)")])
    upload(app, [(LINK_NAME + ".csv", bad)])
    shown = assert_inert(app)
    assert any(f"**{LINK_NAME}.csv**：有 1 項問題" in text and "「[壞](http://evil.example)」不是數字" in text
               for text in shown), shown


def test_the_report_table_escapes_every_value():
    from ui.report import table_html

    table = table_html([{"goal": LINK_NAME, "indicator": "<img src=http://evil.example/i.png>", "status": "落後",
                         "reason": REASON, "action": '"><script>alert(1)</script>'}])
    assert "<img" not in table and "<script" not in table
    assert "&lt;img src=http://evil.example/reason.png&gt;" in table and "&quot;&gt;&lt;script&gt;" in table
    assert f"<td>{LINK_NAME}</td>" in table  # brackets are plain text in HTML


def test_a_gauge_title_shows_an_indicator_name_as_text():
    from types import SimpleNamespace

    from metrics.outputs.charts import gauge_title

    result = SimpleNamespace(indicator=SimpleNamespace(id="1", short_name='<a href="http://evil.example">點我</a>'),
                             target=1, target_text="1 案", status_label="落後",
                             format_value=lambda value: f"{value} 案")
    title = gauge_title(result)
    assert "<a" not in title and "&lt;a href=&quot;http://evil.example&quot;&gt;點我&lt;/a&gt;" in title


PLAN_TEXT = "[計畫](http://evil.example)![](http://evil.example/plan.png)<b>粗</b>$x$"


def hostile_plan(plan):
    """Every text a planner can write in a plan file uploaded on 計畫管理 (its own goals and indicators; the common
    ones and the fields are fixed by plans/common.toml and plans/fields.toml), holding markup."""
    goals = tuple(goal if goal.common else replace(goal, title=goal.title + PLAN_TEXT, summary=goal.summary + PLAN_TEXT)
                  for goal in plan.goals)
    indicators = tuple(indicator if indicator.common else replace(
        indicator, name=indicator.name + PLAN_TEXT, short_name=indicator.short_name + PLAN_TEXT,
        method=indicator.method + PLAN_TEXT, measure=indicator.measure + PLAN_TEXT, help=indicator.help + PLAN_TEXT)
        for indicator in plan.indicators)
    return replace(plan, goals=goals, indicators=indicators, title=plan.title + PLAN_TEXT,
                   source=plan.source + PLAN_TEXT)


@pytest.mark.parametrize("page", PAGES)
def test_every_page_shows_a_plans_own_texts_as_text(database, page):
    store_hostile(database)
    writer = services(database)
    actor = writer.actor(token(database, USERNAME, display_name=DISPLAY_NAME))
    catalogue = stored_catalogue(Store(database), CATALOGUE)
    writer.save_plan(actor, catalogue, hostile_plan(catalogue.plan(112, "政風處")), note="markup", origin="tests")
    app = open_hostile(database, page)
    shown = "\n".join(assert_inert(app))
    if page in {"總覽", "指標明細", "情境模擬", "計畫管理"}:  # the others show plan texts only in tables and charts
        assert "[計畫](http://evil.example)" in shown
