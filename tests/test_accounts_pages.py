"""Accounts through the pages (AppTest): the first-run setup, login and logout, what each role sees and may do,
a reporter of 人事處 against 政風處 figures, a session whose state is edited by hand, the audit page and its
export, the account page, and the setting that makes viewing need a login.

The plans are plans/ plus an official 人事處 112 plan (the sample one, unmarked), so that two units have
official plans side by side.
"""

from __future__ import annotations

import io

import openpyxl
import pytest
from streamlit.testing.v1 import AppTest

from metrics.outputs.report import build_audit_report
from metrics.services import command_line
from metrics.store import Store
from signing import PASSWORD, make_account, services, sign_in
from markup import seen

TIMEOUT = 30
UPLOAD = "pages/2_資料上傳.py"
ACCOUNTS = "pages/8_帳號管理.py"
AUDIT = "pages/7_操作紀錄.py"


def long_csv(unit: str, value: int = 11, month: int = 1) -> bytes:
    return f"年度,月份,單位,項目代碼,數值\n112,{month},{unit},edoc_sent_total,{value}\n".encode("utf-8")


pytestmark = pytest.mark.usefixtures("two_unit_plans")  # conftest: the golden plans and an official 人事處 plan


def stored(url: str, unit: str) -> None:
    """A batch of `unit`'s figures, uploaded from the command line."""
    from metrics.plans.catalogue import load_catalogue, plans_directory
    from metrics.intake.monthly import read_upload

    data = long_csv(unit)
    frame = read_upload(data, f"{unit}.csv", load_catalogue(plans_directory()))
    services(url).upload(command_line("tests"), [(frame, f"{unit}.csv", data)])


def page(url: str, path: str = "dashboard.py", unit: str | None = None, **account) -> AppTest:
    app = AppTest.from_file("../dashboard.py", default_timeout=TIMEOUT)
    make_account(url, "admin", roles=("administrator",))  # not a fresh install
    if account:
        sign_in(app, url, **account)
    app.run()
    if unit is not None:
        app.sidebar.selectbox(key="period_unit").select(unit).run()
    if path != "dashboard.py":
        app.switch_page(path).run()
    assert not app.exception, [error.value for error in app.exception]
    return app


def texts(app: AppTest) -> str:
    return "\n".join(seen(element.value) for kind in ("markdown", "caption", "warning", "info", "error", "success",
                                                     "title") for element in getattr(app, kind))


def links(app: AppTest) -> list[str]:
    return [link.proto.label for link in app.sidebar.get("page_link")]


REPORTER = {"username": "wang", "roles": ("reporter",), "units": ("人事處",), "display_name": "王小明"}
VIEWER = {"username": "lin", "roles": ("viewer",), "display_name": "林檢視"}


def test_first_run_creates_the_administrator_and_logs_in(database):
    app = AppTest.from_file("../dashboard.py", default_timeout=TIMEOUT).run()
    assert [title.value for title in app.title] == ["首次使用：建立系統管理者"]
    assert not app.get("plotly_chart") and not app.sidebar.get("page_link")  # nothing else until it is done
    app.text_input(key="first_username").input("admin")
    app.text_input(key="first_name").input("系統管理者")
    app.text_input(key="first_password").input("a long password")
    app.text_input(key="first_password_again").input("another one")
    app.button[0].click().run()
    assert any("兩次輸入的密碼不同" in error.value for error in app.error)
    app.text_input(key="first_password").input("short")
    app.text_input(key="first_password_again").input("short")
    app.button[0].click().run()
    assert any("密碼至少要 10 個字元" in error.value for error in app.error)
    assert Store(database).account_count() == 0

    app.text_input(key="first_password").input("a long password")
    app.text_input(key="first_password_again").input("a long password")
    app.button[0].click().run()
    assert not app.exception
    assert [title.value for title in app.title] == ["總覽"]
    assert "已登入：**系統管理者（admin）**" in texts(app)
    assert "帳號管理" in links(app)
    stored_account = Store(database).account(username="admin")
    assert stored_account.roles == ("administrator",) and stored_account.password_hash.startswith("$argon2id$")

    again = AppTest.from_file("../dashboard.py", default_timeout=TIMEOUT).run()  # another visitor: no setup form
    assert [title.value for title in again.title] == ["總覽"]
    assert "未登入：可檢視，不能上傳或修改。" in texts(again)


def test_login_wrong_password_and_logout(database):
    make_account(database, **REPORTER)
    app = page(database)
    app.sidebar.text_input(key="login_username_sidebar").input("wang")
    app.sidebar.text_input(key="login_password_sidebar").input("wrong password")
    app.sidebar.button[0].click().run()
    assert any("帳號或密碼錯誤。同一帳號連續錯誤 5 次將暫時鎖定 15 分鐘" in error.value for error in app.sidebar.error)
    assert app.session_state["login_password_sidebar"] == ""  # a password never stays in the session
    app.sidebar.text_input(key="login_username_sidebar").input("wang")
    app.sidebar.text_input(key="login_password_sidebar").input(PASSWORD)
    app.sidebar.button[0].click().run()
    assert "已登入：**王小明（wang）**  \n填報人｜單位：人事處" in texts(app)
    app.sidebar.button(key="logout").click().run()
    assert "未登入：可檢視，不能上傳或修改。" in texts(app)
    rows = [(row.account, row.action, row.outcome.value) for row in Store(database).audit_log()][:3]
    assert rows == [("王小明（wang）", "登出", "允許"), ("王小明（wang）", "登入", "允許"), ("王小明（wang）", "登入", "失敗")]


@pytest.mark.parametrize(("account", "reason"), [
    ({}, "請先登入才能上傳政風處資料"),
    (VIEWER, "您沒有上傳政風處資料的權限（您的角色：檢視者）"),
    (REPORTER, "您沒有上傳政風處資料的權限（您負責的單位：人事處）"),
])
def test_who_may_not_upload_sees_no_upload_form_and_why(database, account, reason):
    stored(database, "政風處")
    app = page(database, UPLOAD, unit="政風處", **account)
    assert not app.get("file_uploader")
    assert reason + "。" + ("" if reason.startswith("請先登入") else "如需此權限，請洽系統管理者。") in [
        info.value for info in app.info]
    assert not [button for button in app.button if (button.key or "").startswith("undo_")]
    assert "第 1 批｜政風處.csv｜政風處 112年｜" in texts(app)  # the history stays readable


def test_a_reporter_of_人事處_cannot_store_政風處_figures(database):
    app = page(database, UPLOAD, unit="人事處", **REPORTER)
    assert app.get("file_uploader")
    app.get("file_uploader")[0].set_value([("政風處.csv", long_csv("政風處"), "text/csv")]).run()
    errors = " ".join(seen(error.value) for error in app.error)
    assert "「政風處.csv」含有政風處 112年的數字：您沒有上傳政風處資料的權限（您負責的單位：人事處）。" in errors
    assert not [button for button in app.button if button.key == "confirm_upload"]
    assert Store(database).is_empty()

    app.get("file_uploader")[0].set_value([("人事處.csv", long_csv("人事處", 7), "text/csv")]).run()
    app.button(key="confirm_upload").click().run()
    assert [(batch.file_name, batch.uploader, batch.periods) for batch in Store(database).history()] == [
        ("人事處.csv", "王小明（wang）", ((112, "人事處"),))]


def test_a_reporter_undoes_only_their_units_batches(database):
    stored(database, "政風處")
    stored(database, "人事處")
    app = page(database, UPLOAD, unit="人事處", **REPORTER)
    undo_buttons = [button.key for button in app.button if (button.key or "").startswith("undo_")]
    assert undo_buttons == ["undo_2"]  # batch 1 is 政風處's
    app.button(key="undo_2").click().run()
    app.button(key="undo_confirm_2").click().run()
    assert any("已復原第 2 批" in message.value for message in app.success)
    assert Store(database).batch(2).undone_by == "王小明（wang）"


def test_a_session_whose_state_is_edited_by_hand_still_cannot_write(database):
    stored(database, "政風處")
    app = page(database, UPLOAD, unit="政風處", **REPORTER)
    app.session_state["pending_confirmation"] = ("undo", 1)  # as if 復原 of 政風處's batch had been clicked
    app.session_state["account"] = {"username": "admin", "roles": ["administrator"]}  # no key means anything
    app.run()
    app.button(key="undo_confirm_1").click().run()
    assert any("您沒有復原政風處上傳資料的權限（您負責的單位：人事處）" in error.value for error in app.error)
    assert not Store(database).batch(1).is_undone
    [denied] = Store(database).audit_log(limit=1)
    assert (denied.account, denied.action, denied.outcome.value, denied.unit) == ("王小明（wang）", "復原", "拒絕", "政風處")

    app.session_state["login_token"] = "a token nobody was given"
    app.run()
    assert "未登入：可檢視，不能上傳或修改。" in texts(app)
    assert not app.get("file_uploader")


def test_a_viewer_has_no_write_controls_anywhere(database):
    app = page(database, "pages/1_指標明細.py", unit="政風處", **VIEWER)
    assert not [form for form in app.get("form") if "note_form" in form.proto.form_id] and not app.text_area
    assert "您沒有填寫政風處落後原因與改進措施的權限（您的角色：檢視者）。如需此權限，請洽系統管理者。" in [
        info.value for info in app.info]
    app.switch_page("pages/3_情境模擬.py").run()
    assert not [button for button in app.button if button.key in ("whatif_save", "whatif_delete")]
    assert ("模擬不需登入，也不會改變正式數字。儲存情境：您沒有儲存政風處情境的權限（您的角色：檢視者）。"
            "如需此權限，請洽系統管理者。") in texts(app)
    assert links(app)[-1] == "操作紀錄"  # reviewers read the audit trail; 帳號管理 is not offered
    app.switch_page(ACCOUNTS).run()
    assert "您沒有管理帳號的權限（您的角色：檢視者）。如需此權限，請洽系統管理者。" in [info.value for info in app.info]
    assert not app.tabs


def test_the_audit_page_filters_and_exports(database):
    stored(database, "政風處")
    make_account(database, **REPORTER)
    app = page(database, AUDIT, username="admin", roles=("administrator",))
    table = app.dataframe[0].value
    assert list(table.columns) == ["時間", "帳號", "動作", "結果", "年度", "單位", "對象", "內容"]
    assert set(table["動作"]) >= {"上傳", "建立帳號", "登入", "計畫版本"}
    app.selectbox(key="audit_action").select("上傳").run()
    table = app.dataframe[0].value
    assert table[["帳號", "動作", "結果", "年度", "單位", "對象"]].values.tolist() == [
        ["命令列（tests）", "上傳", "允許", "112年", "政風處", "「政風處.csv」第 1 批"]]
    assert [button.label for button in app.get("download_button")] == ["下載操作紀錄（.xlsx）"]
    exported = build_audit_report(Store(database).audit_log(action="上傳"), title="操作紀錄", subtitle="上傳")
    sheet = openpyxl.load_workbook(io.BytesIO(exported))["操作紀錄"]
    assert [cell.value for cell in sheet[3]] == ["時間", "帳號", "動作", "結果", "年度", "單位", "對象", "內容"]
    assert [cell.value for cell in sheet[4]][1:7] == ["命令列（tests）", "上傳", "允許", 112, "政風處", "「政風處.csv」第 1 批"]
    app.text_input(key="audit_account").input("nobody-at-all").run()
    assert "此期間沒有符合條件的操作紀錄。" in texts(app)

    reporter = page(database, AUDIT, **REPORTER)
    assert "您沒有查看操作紀錄的權限（您的角色：填報人）。如需此權限，請洽系統管理者。" in [info.value for info in reporter.info]
    assert "操作紀錄" not in links(reporter)


def test_an_administrator_adds_disables_and_enables_an_account(database):
    app = page(database, ACCOUNTS, username="admin", roles=("administrator",))
    app.text_input(key="new_username_0").input("chen")
    app.text_input(key="new_display_name_0").input("陳填報")
    app.multiselect(key="new_roles_0").select("reporter")
    app.text_input(key="new_password_0").input("a good password")
    app.text_input(key="new_password_again_0").input("a good password")
    next(button for button in app.button if button.form_id == "new_account").click().run()
    assert any("填報人須指定負責的單位" in error.value for error in app.error)
    app.multiselect(key="new_units_0").select("人事處")
    next(button for button in app.button if button.form_id == "new_account").click().run()
    assert any("已建立帳號 chen（陳填報）" in message.value for message in app.success)
    assert Store(database).account(username="chen").units == ("人事處",)

    app.selectbox(key="edit_account").select("chen").run()
    app.button(key="disable_chen").click().run()
    assert "確定要停用 **陳填報（chen）** 嗎？" in texts(app)
    app.button(key="disable_confirm").click().run()
    assert not Store(database).account(username="chen").active
    app.button(key="enable_chen").click().run()
    assert Store(database).account(username="chen").active
    actions = [(row.action, row.subject) for row in Store(database).audit_log(account="admin")][:3]
    assert actions == [("啟用帳號", "chen"), ("停用帳號", "chen"), ("建立帳號", "chen")]


def test_viewing_can_be_made_to_need_a_login(database):
    app = page(database, ACCOUNTS, username="admin", roles=("administrator",))
    app.checkbox(key="setting_view_needs_login").check()
    next(button for button in app.button if button.form_id == "settings").click().run()
    assert any("已儲存設定" in message.value for message in app.success)
    anonymous = AppTest.from_file("../dashboard.py", default_timeout=TIMEOUT).run()
    assert [title.value for title in anonymous.title] == ["請先登入"]
    assert not anonymous.get("plotly_chart")
    anonymous.text_input(key="login_username_main").input("admin")
    anonymous.text_input(key="login_password_main").input(PASSWORD)
    anonymous.button[0].click().run()
    assert [title.value for title in anonymous.title] == ["總覽"]


@pytest.mark.parametrize(("email", "shown"), [
    ("LIN@example.gov.tw", "已登入：**林檢視（lin）**"),
    ("stranger@example.gov.tw", "單一登入的電子郵件 stranger@example.gov.tw 沒有對應的啟用帳號"),
])
def test_single_sign_on_is_matched_to_an_account_by_email(database, monkeypatch, email, shown):
    services(database).add_account(command_line("tests"), "lin", display_name="林檢視", roles=["viewer"],
                                   email="lin@example.gov.tw")
    monkeypatch.setattr("ui.auth.single_sign_on", lambda: True)  # as with an [auth] section in secrets.toml
    monkeypatch.setattr("ui.auth._sso_user_email", lambda: email)  # the identity provider's answer
    app = page(database)
    if "已登入" not in shown:  # a way out: another identity at the provider
        assert [button.label for button in app.sidebar.button][0] == "改用其他機關帳號（登出單一登入）"
    assert shown in texts(app)
    app.run()  # one attempt per identity: a rerun writes no second audit row
    logins = [row for row in Store(database).audit_log(action="登入")]
    assert len(logins) == 1 and logins[0].detail in ("以單一登入登入", "單一登入：沒有對應的帳號")


def test_a_note_sent_after_the_login_ended_is_kept_until_the_person_logs_in_again(database):
    import datetime as dt

    from metrics.plans.roles import load_roles
    from metrics.plans.catalogue import plans_directory
    from metrics.services import Services

    reporter = {"username": "chou", "roles": ("reporter",), "units": ("政風處",), "display_name": "周填報"}
    app = page(database, "pages/1_指標明細.py", unit="政風處", **reporter)
    suffix = "1_112_政風處_1"
    app.text_area(key=f"note_reason_{suffix}").input("人力不足")
    app.text_area(key=f"note_action_{suffix}").input("增派人力")
    late = Services(Store(database), load_roles(plans_directory()),
                    clock=lambda: dt.datetime.now(dt.timezone.utc) + dt.timedelta(minutes=31))
    late.actor(app.session_state["login_token"])  # 31 minutes without activity: the login ends
    next(button for button in app.button if button.label == "儲存說明").click().run()
    assert "未登入：可檢視，不能上傳或修改。" in texts(app)
    assert "尚未儲存" in texts(app) and "落後原因：人力不足" in texts(app)
    assert Store(database).notes(112, "政風處", 1) == {}

    app.sidebar.text_input(key="login_username_sidebar").input("chou")
    app.sidebar.text_input(key="login_password_sidebar").input(PASSWORD)
    app.sidebar.button[0].click().run()
    assert app.text_area(key=f"note_reason_{suffix}").value == "人力不足"
    next(button for button in app.button if button.label == "儲存說明").click().run()
    note = Store(database).notes(112, "政風處", 1)["1"]
    assert (note.reason, note.action, note.author) == ("人力不足", "增派人力", "周填報（chou）")


def test_the_audit_page_and_its_export_name_sources_columns_and_fields_as_users_do(database):
    from metrics.plans.catalogue import load_catalogue, plans_directory
    from metrics.intake.monthly import read_upload

    writer = services(database)
    stored(database, "政風處")  # 發文總件數 112年1月 = 11
    corrected = long_csv("政風處", value=12)
    writer.upload(command_line("tests"), [(read_upload(corrected, "更正.csv", load_catalogue(plans_directory())),
                                           "更正.csv", corrected)])
    from metrics.services.seeding import seed_store

    seed_store(Store(database), load_catalogue(plans_directory()))  # as the app does: a mapping needs the plan
    writer.save_mapping(command_line("tests"), "document_log", "0123456789abcdef", {"kind": "收發文別", "sign": None},
                        year=112, unit="政風處")
    make_account(database, **REPORTER)
    writer.update_account(command_line("tests"), "wang", roles=["reporter", "planner"])
    app = page(database, AUDIT, username="admin", roles=("administrator",))
    table = app.dataframe[0].value
    roles = table[table["動作"] == "修改帳號"].iloc[0]
    assert roles["內容"] == "角色：填報人 → 填報人、計畫管理者"
    mapping = table[table["動作"] == "欄位對應"].iloc[0]
    assert (mapping["對象"], mapping["內容"]) == ("公文清單", "「收發別」對應「收發文別」欄；「簽核方式」不使用")
    correction = table[table["對象"] == "「更正.csv」第 2 批"].iloc[0]
    assert "112年1月 發文總件數：11 → 12" in correction["內容"]
    shown = " ".join(str(value) for value in table.values.ravel())
    assert not [name for name in ("document_log", "edoc_sent_total", "kind＝", "reporter", "planner") if name in shown]

    field_names = {code: field.name for code, field in load_catalogue(plans_directory()).field_by_code.items()}
    exported = build_audit_report(Store(database).audit_log(), title="操作紀錄", subtitle="", field_names=field_names)
    cells = " ".join(str(cell.value) for row in openpyxl.load_workbook(io.BytesIO(exported))["操作紀錄"].iter_rows()
                     for cell in row)
    assert "公文清單" in cells and "「收發別」對應「收發文別」欄" in cells and "發文總件數：11 → 12" in cells
    assert "document_log" not in cells and "edoc_sent_total" not in cells
    assert [row.subject for row in Store(database).audit_log(action="欄位對應")] == ["document_log"]  # stored as written


@pytest.mark.parametrize(("since", "until", "shown"), [
    ("", "", "請填寫起日（民國年/月/日，例如 113/03/05）。"),
    ("113/02/30", "113/03/31", "起日：日期「113/02/30」不存在（月或日超出範圍）。"),
    ("113/03/05", "abc", "迄日：日期「abc」無法辨識"),
    ("113/03/31", "113/03/05", "起日 113/03/31 晚於迄日 113/03/05，請對調或修改。"),
    ("113/03/05", "1130331", "期間：113/03/05 至 113/03/31（臺灣時間，含迄日）"),
])
def test_the_audit_period_is_typed_in_roc_dates(database, since, until, shown):
    app = page(database, AUDIT, username="admin", roles=("administrator",))
    assert app.text_input(key="audit_since").label == "起日（民國）"
    app.text_input(key="audit_since").input(since)
    app.text_input(key="audit_until").input(until).run()
    assert any(shown in seen(element.value) for kind in ("error", "caption") for element in getattr(app, kind))


def test_the_account_forms_take_no_more_than_the_core_accepts(database):
    from metrics.services.accounts import DISPLAY_NAME_MAX, USERNAME_MAX
    from metrics.services.inputs import EMAIL_MAX

    # An account named before the limit: shown whole so that it can be shortened; saving it says so.
    Store(database).add_account("old", display_name="舊" * 60, email="", roles=["viewer"], units=[],
                                password_hash="not checked here")
    app = page(database, ACCOUNTS, username="admin", roles=("administrator",))
    limits = {key: app.text_input(key=key).proto.max_chars
              for key in ("new_username_0", "new_display_name_0", "new_email_0")}
    assert limits == {"new_username_0": USERNAME_MAX, "new_display_name_0": DISPLAY_NAME_MAX,
                      "new_email_0": EMAIL_MAX}
    app.selectbox(key="edit_account").select("old").run()
    assert app.text_input(key="edit_name_old").value == "舊" * 60
    assert (app.text_input(key="edit_name_old").proto.max_chars, app.text_input(key="edit_email_old").proto.max_chars) \
        == (60, EMAIL_MAX)
    next(button for button in app.button if button.form_id == "edit_account_old").click().run()
    assert not app.exception
    assert any("姓名「" + "舊" * 40 + "…（共 60 字）」有 60 個字，超過上限 50 個字；請縮短。" in error.value
               for error in app.error)
    app.text_input(key="edit_name_old").input("舊" * DISPLAY_NAME_MAX)
    next(button for button in app.button if button.form_id == "edit_account_old").click().run()
    assert [error.value for error in app.error] == []
    assert Store(database).account(username="old").display_name == "舊" * DISPLAY_NAME_MAX
