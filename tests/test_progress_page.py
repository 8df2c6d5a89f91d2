"""填報進度 through AppTest: every unit of units.toml with its state for a checkpoint (counts, filter, sort, the link
to each unit), the inbox and its count in the sidebar, and one full cycle on the pages — submit → return (with a
comment per indicator, shown on 指標明細) → resubmit → pass → approve → an upload of a locked month refused →
reopen — each step by its own account in its own session, each in the audit.

The plans are the frozen tests/golden_plans (政風處 112, with the full sample year stored) plus an official 人事處 112
plan without figures; the clock is the real one (2026 and later: every 112 deadline has passed). The status table,
the full cycle and the repair of the cycle's steps run on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest
from streamlit.testing.v1 import AppTest

from catalogues import GOLDEN_PLANS
from metrics.plans.catalogue import PLANS_DIRECTORY, load_catalogue
from metrics.intake.monthly import read_upload
from metrics.services import command_line
from metrics.store import State, Store
from markup import seen
from signing import make_account, services, sign_in

TIMEOUT = 30
PROGRESS = "pages/9_填報進度.py"
SAMPLE = PLANS_DIRECTORY.parent / "sample_data" / "112-full-year.csv"
REPORTER = {"username": "wang", "roles": ("reporter",), "units": ("政風處",), "display_name": "王小明"}
REVIEWER = {"username": "lee", "roles": ("reviewer",), "display_name": "李研考"}
BOARD = {"username": "chang", "roles": ("board",), "display_name": "張複核"}


def prepared(url: str, plans: Path, monkeypatch) -> str:
    """The store at `url` with 政風處's full sample year stored and an administrator, the pages opening it."""
    monkeypatch.setenv("KPI_DB_URL", url)
    data = SAMPLE.read_bytes()
    frame = read_upload(data, SAMPLE.name, load_catalogue(plans))
    services(url).upload(command_line("tests"), [(frame, SAMPLE.name, data)])
    make_account(url, "admin", roles=("administrator",))
    return url


@pytest.fixture
def database(database: str, two_unit_plans, monkeypatch) -> str:
    """conftest's SQLite store and two units' plans (conftest's two_unit_plans), prepared."""
    return prepared(database, two_unit_plans, monkeypatch)


@pytest.fixture
def both_stores(store_url, two_unit_plans, monkeypatch) -> str:
    """The same on SQLite and on PostgreSQL (a schema of the test's own), for the tests of the workflow itself."""
    return prepared(store_url, two_unit_plans, monkeypatch)


def page(url: str, path: str = PROGRESS, **account) -> AppTest:
    app = AppTest.from_file("../dashboard.py", default_timeout=TIMEOUT)
    if account:
        sign_in(app, url, **account)
    app.run()
    if path != "dashboard.py":
        app.switch_page(path).run()
    assert not app.exception, [error.value for error in app.exception]
    return app


def rerun(app: AppTest) -> AppTest:
    app.run()
    assert not app.exception, [error.value for error in app.exception]
    return app


def texts(app: AppTest) -> str:
    return "\n".join(seen(element.value) for kind in ("markdown", "caption", "warning", "info", "error", "success")
                     for element in getattr(app, kind))


def table(app: AppTest) -> list[tuple[str, str]]:
    frame = app.dataframe(key="progress_table").value
    return list(zip(frame["單位"], frame["狀態"]))


def waiting(app: AppTest) -> list[str]:
    return [caption.value.removeprefix(":material/inbox: ") for caption in app.sidebar.caption
            if "待辦" in caption.value]


def button(app: AppTest, label: str):
    return next(item for item in app.button if item.label == label)


def state(url: str) -> State | None:
    stored = Store(url).assessment(112, "政風處", "half")
    return stored.state if stored else None


def test_every_unit_with_its_state_counts_filter_sort_and_link(both_stores):
    database = both_stores
    app = page(database)
    app.selectbox(key="progress_checkpoint").select("half").run()
    units = [unit.name for unit in load_catalogue(GOLDEN_PLANS).units.units
             if unit.since is None or unit.since <= 112]
    rows = table(app)
    assert [unit for unit, _ in rows] == units  # every unit of units.toml, in its order
    states = dict(rows)
    assert states["政風處"] == "逾期"  # past 112/07/20 without a 自評
    assert states["人事處"] == "逾期"  # a plan, no figures, months past their deadline
    assert {states[unit] for unit in units if unit not in ("政風處", "人事處")} == {"未訂計畫"}
    shown = {metric.label: metric.value for metric in app.metric}
    assert shown == {"未訂計畫": f"{len(units) - 2} 個單位", "未填報": "0 個單位", "填報中": "0 個單位",
                     "逾期": "2 個單位", "已送自評": "0 個單位", "退回修正": "0 個單位", "初核通過": "0 個單位",
                     "已核定": "0 個單位"}
    frame = app.dataframe(key="progress_table").value
    link = dict(zip(frame["單位"], frame["開啟"]))
    assert link["行政處"] is None or link["行政處"] != link["行政處"]  # none: no plan to open
    assert parse_qs(urlparse(link["政風處"]).query) == {"year": ["112"], "unit": ["政風處"], "month": ["6"]}

    app.multiselect(key="progress_states").select(State.OVERDUE).run()
    assert table(app) == [(unit, "逾期") for unit in units if unit in ("政風處", "人事處")]
    app.multiselect(key="progress_states").unselect(State.OVERDUE).run()
    app.selectbox(key="progress_sort").select("狀態（依流程先後）").run()
    assert [value for _, value in table(app)][:len(units) - 2] == ["未訂計畫"] * (len(units) - 2)


def test_county_comparison_names_the_units_without_a_plan(database):
    app = page(database, "pages/6_全府比較.py")
    text = texts(app)
    assert "尚未訂定 112 年度計畫的單位" in text and "行政處" in text
    assert "有計畫但尚未填報任何數字的單位：人事處" in text
    assert any(link.proto.label.startswith("各單位填報與自評進度") for link in app.get("page_link"))


def test_one_full_cycle_on_the_pages(both_stores):
    database = both_stores
    reporter = page(database, **REPORTER)
    assert waiting(reporter) == ["待辦 2 件（送出自評、初核或複核），請至「填報進度」辦理"]  # half and year of 112
    reporter.selectbox(key="progress_checkpoint").select("half").run()
    assert reporter.selectbox(key="review_unit").value == "政風處"  # the reporter's own unit
    assert "送出自評" in [item.label for item in reporter.button]
    button(reporter, "送出自評").click()
    rerun(reporter)
    assert state(database) is State.SUBMITTED

    reviewer = page(database, **REVIEWER)
    assert waiting(reviewer) == ["待辦 1 件（送出自評、初核或複核），請至「填報進度」辦理"]
    reviewer.selectbox(key="progress_checkpoint").select("half").run()
    reviewer.selectbox(key="review_unit").select("政風處").run()
    reviewer.text_area(key="comment_112_政風處_half_1").input("一月至六月的預警案件請補充說明")
    reviewer.text_area(key="review_comment_112_政風處_half").input("請補充指標 1 的說明")
    button(reviewer, "退回修正").click()
    rerun(reviewer)
    assert "確定要**退回**" in texts(reviewer)  # the dialog
    reviewer.button(key="confirm_return").click()
    rerun(reviewer)
    assert state(database) is State.RETURNED

    detail = page(database, "pages/1_指標明細.py", **REPORTER)
    assert any("112 年度上半年自評退回修正**，審核意見（李研考（lee））：一月至六月的預警案件請補充說明" in seen(info.value)
               for info in detail.info)

    rerun(reporter)
    reporter.selectbox(key="progress_checkpoint").select("half").run()
    assert any("審核意見：一月至六月的預警案件請補充說明" in seen(info.value) for info in reporter.info)
    reporter.text_area(key="explain_112_政風處_half_1").input("已補充：預警案件皆已結案")
    button(reporter, "送出自評").click()
    rerun(reporter)
    assert state(database) is State.SUBMITTED

    rerun(reviewer)
    button(reviewer, "初核通過").click()
    rerun(reviewer)
    assert state(database) is State.PASSED

    board = page(database, **BOARD)
    board.selectbox(key="progress_checkpoint").select("half").run()
    board.selectbox(key="review_unit").select("政風處").run()
    button(board, "核定").click()
    rerun(board)
    assert "確定要**核定**" in texts(board)
    board.button(key="confirm_approve").click()
    rerun(board)
    assert state(database) is State.APPROVED

    detail = page(database, "pages/1_指標明細.py", **REPORTER)
    assert not any("已鎖定" in seen(info.value) for info in detail.info)  # 12月: not in 上半年
    detail.sidebar.selectbox(key="period_month").select(6).run()
    assert any("1月至6月的數字與說明已鎖定；如需修改，須先重新開放該自評" in seen(info.value) and "張複核（chang）" in
               seen(info.value) for info in detail.info)

    upload = page(database, "pages/2_資料上傳.py", **REPORTER)
    data = "年度,月份,單位,項目代碼,數值\n112,3,政風處,procurement_audits,99\n".encode("utf-8")
    upload.file_uploader[0].set_value([("3月更正.csv", data, "text/csv")]).run()
    [warning] = [seen(item.value) for item in upload.warning if "鎖定的月份" in seen(item.value)]  # before confirming
    assert "政風處 112 年度上半年的自評已於" in warning and "由 張複核（chang） 核定，1月至6月的數字已鎖定，不能上傳（涉及 3月）" \
        in warning and "請洽「複核」重新開放該自評" in warning
    upload.button(key="confirm_upload").click()
    rerun(upload)
    assert any("1月至6月的數字已鎖定，不能上傳（涉及 3月）" in seen(error.value) for error in upload.error)

    rerun(board)
    board.text_area(key="reopen_reason_112_政風處_half").input("三月採購稽核數字有誤")
    board.button(key="reopen_112_政風處_half").click()
    rerun(board)
    board.button(key="confirm_reopen").click()
    rerun(board)
    assert state(database) is State.RETURNED
    rows = [(row.account, row.action, row.outcome.value) for row in Store(database).audit_log(limit=40)
            if row.action.endswith("自評") or row.action == "上傳"]
    assert rows[:8] == [
        ("張複核（chang）", "重新開放自評", "允許"), ("王小明（wang）", "上傳", "拒絕"),
        ("張複核（chang）", "核定自評", "允許"), ("李研考（lee）", "初核自評", "允許"),
        ("王小明（wang）", "送出自評", "允許"), ("李研考（lee）", "退回自評", "允許"),
        ("王小明（wang）", "送出自評", "允許"), ("命令列（tests）", "上傳", "允許")]

    upload = page(database, "pages/2_資料上傳.py", **REPORTER)  # the correction, now allowed
    upload.file_uploader[0].set_value([("3月更正.csv", data, "text/csv")]).run()
    assert not [item for item in upload.warning if "鎖定的月份" in seen(item.value)]
    upload.button(key="confirm_upload").click()
    rerun(upload)
    rerun(board)
    [since] = [expander for expander in board.expander if "重新開放後的修改" in expander.label]
    assert "至今，數字 1 筆、說明 0 筆）" in since.label
    figures = since.dataframe[0].value  # 採購稽核案件數 of March: 10 in the sample year, corrected to 99
    assert figures.to_dict("records") == [{"月份": "3月", "指標": "2 採購稽核案件", "填報項目": "採購稽核案件數",
                                           "修改前": "10", "修改後": "99"}]
    assert any("王小明（wang）｜上傳｜「3月更正.csv」" in seen(item.value) for item in since.markdown)


def test_an_administrator_creating_a_reporter_for_a_unit_without_a_plan_is_told(database):
    app = page(database, "pages/8_帳號管理.py", username="admin", roles=("administrator",))
    app.text_input(key="new_username_0").input("hr")
    app.text_input(key="new_display_name_0").input("人事承辦")
    app.multiselect(key="new_roles_0").select("reporter")
    app.multiselect(key="new_units_0").select("行政處")
    app.text_input(key="new_password_0").input("a long password")
    app.text_input(key="new_password_again_0").input("a long password")
    button(app, "建立帳號").click()
    rerun(app)
    assert any("注意：行政處 尚無 112 年度計畫" in seen(warning.value) for warning in app.warning)


def test_a_reporter_lands_on_their_own_unit_after_login(database):
    make_account(database, "hr", roles=("reporter",), units=("人事處",), display_name="人事承辦")
    app = page(database, "dashboard.py")
    assert app.sidebar.selectbox(key="period_unit").value == "政風處"
    app.sidebar.text_input(key="login_username_sidebar").input("hr")
    app.sidebar.text_input(key="login_password_sidebar").input("a password for tests")
    app.sidebar.button[0].click()
    rerun(app)
    assert app.sidebar.selectbox(key="period_unit").value == "人事處"

    linked = AppTest.from_file("../dashboard.py", default_timeout=TIMEOUT)
    linked.query_params.update({"year": "112", "unit": "政風處", "month": "6"})  # a link chose the unit
    rerun(linked)
    linked.sidebar.text_input(key="login_username_sidebar").input("hr")
    linked.sidebar.text_input(key="login_password_sidebar").input("a password for tests")
    linked.sidebar.button[0].click()
    rerun(linked)
    assert any("已登入：**人事承辦（hr）**" in caption.value for caption in linked.sidebar.caption)
    assert linked.sidebar.selectbox(key="period_unit").value == "政風處"


def test_the_mail_settings_form_and_the_reminder_button(database):
    from smtp_server import smtp_server

    make_account(database, **{key: value for key, value in REPORTER.items()})
    writer = services(database)
    writer.update_account(command_line("tests"), "wang", email="wang@example.tw")
    admin = page(database, "pages/8_帳號管理.py", username="admin", roles=("administrator",))
    with smtp_server() as (port, box):
        admin.tabs[3].text_input(key="mail_host").input("127.0.0.1")
        admin.number_input(key="mail_port").set_value(port)
        admin.checkbox(key="mail_starttls").uncheck()
        admin.text_input(key="mail_sender").input("kpi@example.tw")
        button(admin, "儲存郵件設定").click()
        rerun(admin)
        assert any("已儲存郵件設定" in success.value for success in admin.success)
        assert Store(database).settings()["smtp_host"] == "127.0.0.1"

        reviewer = page(database, **REVIEWER)
        reviewer.selectbox(key="progress_checkpoint").select("half").run()
        listed = next(frame.value for frame in reviewer.dataframe if "收件人" in frame.value.columns)
        assert list(zip(listed["單位"], listed["收件人"])) == [
            ("人事處", "（沒有具電子郵件的填報人帳號）"), ("政風處", "王小明 <wang@example.tw>")]
        reviewer.button(key="remind").click()
        rerun(reviewer)
        assert "將寄出 112 年度上半年的催報通知給 2 個單位的填報人" in texts(reviewer)
        reviewer.button(key="remind_confirm").click()
        rerun(reviewer)
    assert any("已寄出 1 封催報通知。未寄送：人事處（沒有具電子郵件的填報人帳號，未寄送）" in success.value
               for success in reviewer.success)
    assert [mail.recipients for mail in box.mails] == [["wang@example.tw"]]
    assert box.mails[0].message["Subject"] == "【績效考核】政風處 112 年度上半年自評：逾期"


def test_who_may_not_send_reminders_sees_no_button(database):
    for account, next_step in (({}, "下一步「送出自評」由「填報人」辦理（負責此單位者）；請先登入。"), (REPORTER, None),
                               (BOARD, "下一步「送出自評」由「填報人」辦理（負責此單位者）；您目前沒有此權限。")):
        app = page(database, **account)
        assert not [item for item in app.button if item.key == "remind"]
        assert "催報通知" not in " ".join(expander.label for expander in app.expander)
        if next_step is not None:  # the reporter has the form instead
            assert next_step in texts(app)


def test_an_administrator_edits_the_cycle_on_the_settings_tab_and_downloads_it(database):
    admin = page(database, "pages/8_帳號管理.py", username="admin", roles=("administrator",))
    admin.number_input(key="settings_cycle_yellow").set_value(120.0)
    button(admin, "儲存為新版本").click()
    rerun(admin)
    assert "黃燈門檻 120 不可高於綠燈門檻 100" in texts(admin)  # refused, naming the field
    assert [version.number for version in Store(database).cycle_versions()] == [1]
    admin.number_input(key="settings_cycle_yellow").set_value(70.0)
    admin.text_input(key="settings_cycle_note").input("依新規定")
    button(admin, "儲存為新版本").click()
    rerun(admin)
    assert "已儲存考核週期第 2 版：黃燈門檻：80% → 70%" in texts(admin)
    stored = Store(database).cycle_version()
    assert (stored.number, stored.author, stored.note) == (2, "測試admin（admin）", "依新規定")
    assert [element.proto.label for element in admin.get("download_button")] == ["下載目前的考核週期（cycle.toml）"]
    assert "yellow = 70" in stored.document
    reviewer = page(database, **REVIEWER)  # not an administrator: no form
    assert not [item for item in reviewer.button if item.label == "儲存為新版本"]


def test_a_cycle_whose_steps_roles_toml_no_longer_agrees_with_is_fixed_on_the_settings_tab(both_stores):
    database = both_stores
    from metrics.plans.roles import load_roles
    from metrics.services.review import seed_cycle

    plans = Path(os.environ["KPI_PLANS_DIR"])
    seed_cycle(Store(database), plans, load_roles(plans))  # version 1, under the roles of the time
    roles = plans / "roles.toml"  # then 初核 moves to a new role
    text = roles.read_text(encoding="utf-8").replace('can = ["view", "view_audit", "review_assessment"]',
                                                     'can = ["view", "view_audit"]')
    roles.write_text(text + '\n[research]\nlabel = "研考科"\ncan = ["view", "view_audit", "review_assessment"]\n',
                     encoding="utf-8")
    reviewer = page(database, **REVIEWER)  # the workflow stops and says why; no form for who may not fix it
    assert "考核流程暫停使用" in texts(reviewer) and "各步驟辦理的角色的 review" in texts(reviewer)
    assert not [item for item in reviewer.button if item.label == "儲存為新版本"]
    admin = page(database, username="admin", roles=("administrator",))  # the form opens on 填報進度 too
    assert "初核**（review）" in texts(admin) and "儲存為新版本" in [item.label for item in admin.button]
    admin = page(database, "pages/8_帳號管理.py", username="admin", roles=("administrator",))
    warning = texts(admin)
    assert "角色「reviewer」（研考初核）在 roles.toml 沒有 review_assessment 權限" in warning
    assert "表單已預填 roles.toml 中具此權限的角色：研考科" in warning
    assert admin.multiselect(key="settings_cycle_step_review").value == ["research"]
    assert admin.multiselect(key="settings_cycle_step_approve").value == ["board"]  # the steps that agree: as stored
    button(admin, "儲存為新版本").click()
    rerun(admin)
    assert "已儲存考核週期第 2 版：初核的角色：reviewer → research" in texts(admin)
    assert Store(database).cycle_version().number == 2
    admin = page(database, username="admin", roles=("administrator",))
    assert "考核流程暫停使用" not in texts(admin) and "各單位狀態" in texts(admin)


def test_an_indicator_name_with_markup_is_text_in_the_reviewers_comment_labels(database):
    from dataclasses import replace

    from metrics.plans.planning import stored_catalogue
    from ui.widgets import escape_markdown

    name = "預警[點我](http://evil.example)**粗**"
    writer = services(database)
    catalogue = stored_catalogue(Store(database), load_catalogue(os.environ["KPI_PLANS_DIR"]))
    plan = catalogue.plan(112, "政風處")
    first = plan.indicators[0]
    plan = replace(plan, indicators=(replace(first, name=name, short_name=name),) + plan.indicators[1:])
    writer.save_plan(command_line("tests"), catalogue, plan, note="markup in a name")
    reporter = page(database, **REPORTER)
    reporter.selectbox(key="progress_checkpoint").select("half").run()
    button(reporter, "送出自評").click()
    rerun(reporter)
    assert state(database) is State.SUBMITTED
    reviewer = page(database, **REVIEWER)
    reviewer.selectbox(key="progress_checkpoint").select("half").run()
    reviewer.selectbox(key="review_unit").select("政風處").run()
    label = reviewer.text_area(key="comment_112_政風處_half_1").label
    assert label == f"指標 1 {escape_markdown(name)} 的意見（選填）" and seen(label) == f"指標 1 {name} 的意見（選填）"
