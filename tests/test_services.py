"""The service layer: who may write what, checked in one place, with an audit row for every write and every
refusal; logins, lock-out, idle expiry, password storage. On SQLite and PostgreSQL, on the fixture catalogue.

The permission matrix is written out by hand: every role × every write × the reporter's own unit or another.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from decimal import Decimal

import pandas as pd
import pytest
import sqlalchemy as sa
from argon2 import PasswordHasher

from catalogues import FIXTURE_PLANS
from metrics.services.accounts import PermissionDenied
from metrics.plans.roles import Action, load_roles
from metrics.plans.catalogue import load_catalogue
from metrics.intake.conflicts import FilesConflict
from metrics.errors import InputError
from metrics.intake.tidy import TIDY_COLUMNS
from metrics.plans.planning import stored_catalogue
from metrics.services.seeding import seed_store
from metrics.services.core import WRONG_PASSWORD, Actor, LoginFailed, Services, command_line
from metrics.store import Store

FILES = load_catalogue(FIXTURE_PLANS)
ROLES = load_roles(FIXTURE_PLANS)
FAST = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)  # the real parameters cost ~50 ms a hash
PASSWORD = "correct horse battery"
OWN, OTHER = "甲處", "乙處"


def tidy(unit: str, value: str = "3", month: int = 1) -> pd.DataFrame:
    return pd.DataFrame.from_records([(112, month, unit, "cases", Decimal(value), "月報.csv", "月報", "B2")],
                                     columns=list(TIDY_COLUMNS))


@pytest.fixture
def services(store_url: str) -> Services:
    with Store(store_url) as store:
        seed_store(store, FILES)
        yield Services(store, ROLES, hasher=FAST)


SYSTEM = command_line("tester")


def sign_in(services: Services, role: str | None, units: tuple[str, ...] = (OWN,)) -> Actor:
    """A logged-in actor of `role` (None: nobody), made the way a page gets one: from the token of a login."""
    if role is None:
        return services.actor(None)
    username = f"{role}.user"
    if services.store.account(username=username) is None:
        services.add_account(SYSTEM, username, display_name=f"{role} 測試", roles=[role],
                             units=units if role == "reporter" else (), password=PASSWORD)
    token, _ = services.login(username, PASSWORD)
    return services.actor(token)


def prepare(services: Services, unit: str) -> dict:
    """What the writes act on: a batch of `unit` uploaded earlier, a saved scenario."""
    [result] = services.upload(SYSTEM, [(tidy(unit), "舊月報.csv", b"old")])
    services.save_scenario(SYSTEM, 112, unit, "既有情境", {"targets": {"1": "5"}})
    return {"batch": result.batch_id}


def write(services: Services, actor: Actor, action: Action, unit: str, prepared: dict) -> None:
    catalogue = stored_catalogue(services.store, FILES)
    match action:
        case Action.UPLOAD:
            services.upload(actor, [(tidy(unit, "7", 2), "月報.csv", b"new")])
        case Action.UNDO:
            services.undo(actor, prepared["batch"])
        case Action.WRITE_NOTE:
            services.save_note(actor, 112, unit, 1, "1", "人力不足", "增派人力")
        case Action.SAVE_SCENARIO:
            services.save_scenario(actor, 112, unit, "樂觀", {"targets": {"1": "9"}})
        case Action.DELETE_SCENARIO:
            services.delete_scenario(actor, 112, unit, "既有情境")
        case Action.EDIT_PLAN:
            plan = catalogue.plan(112, unit)
            services.save_plan(actor, catalogue, replace(plan, title=plan.title + "（修正）"), note="測試")
        case Action.MANAGE_ACCOUNTS:
            services.add_account(actor, "new.person", display_name="新同仁", roles=["viewer"], password=PASSWORD)
        case Action.MANAGE_SETTINGS:
            services.save_settings(actor, view_needs_login=True, idle_minutes=20)
        case _:
            raise AssertionError(action)


WRITES = {  # the action and the word its audit row carries
    Action.UPLOAD: "上傳", Action.UNDO: "復原", Action.WRITE_NOTE: "落後說明", Action.SAVE_SCENARIO: "儲存情境",
    Action.DELETE_SCENARIO: "刪除情境", Action.EDIT_PLAN: "計畫版本", Action.MANAGE_ACCOUNTS: "建立帳號",
    Action.MANAGE_SETTINGS: "系統設定",
}
# Allowed (role, action) → for which units: "both", "own" (the reporter's 甲處 only), absent: refused.
MATRIX = {
    ("reporter", Action.UPLOAD): "own", ("reporter", Action.UNDO): "own", ("reporter", Action.WRITE_NOTE): "own",
    ("planner", Action.SAVE_SCENARIO): "both", ("planner", Action.DELETE_SCENARIO): "both",
    ("planner", Action.EDIT_PLAN): "both",
    ("administrator", Action.MANAGE_ACCOUNTS): "both", ("administrator", Action.MANAGE_SETTINGS): "both",
}
CASES = [(role, action, where) for role in (None, "viewer", "reporter", "planner", "administrator")
         for action in WRITES for where in ("own", "other")]


def state(services: Services) -> tuple:
    """Everything a write may change, to see that a refusal changed nothing."""
    store = services.store
    frame = store.current_frame()
    return (sorted(zip(frame["unit"], frame["month"], map(str, frame["value"]))),
            [(batch.id, batch.is_undone) for batch in store.history()],
            {unit: store.scenarios(112, unit) for unit in (OWN, OTHER)},
            {unit: {key: note.reason for key, note in store.notes(112, unit, 1).items()} for unit in (OWN, OTHER)},
            [(plan.unit, plan.number) for plan in store.plan_versions(112, OWN) + store.plan_versions(112, OTHER)],
            [account.username for account in store.accounts()], store.settings())


@pytest.mark.parametrize(("role", "action", "where"), CASES,
                         ids=[f"{role or 'nobody'}-{action.value}-{where}" for role, action, where in CASES])
def test_permission_matrix(services, role, action, where):
    unit = OWN if where == "own" else OTHER
    prepared = prepare(services, unit)
    actor = sign_in(services, role)
    expected = MATRIX.get((role, action))
    permitted = expected == "both" or expected == "own" and where == "own"
    before = state(services)
    if permitted:
        write(services, actor, action, unit, prepared)
        assert state(services) != before
    else:
        with pytest.raises(PermissionDenied) as refused:
            write(services, actor, action, unit, prepared)
        assert state(services) == before  # nothing written
        if role is None:
            assert "請先登入" in str(refused.value)
        elif expected == "own":
            assert str(refused.value) == f"您沒有{action.phrase(OTHER)}的權限（您負責的單位：{OWN}）"
        else:
            assert "您沒有" in str(refused.value)
    [row] = services.store.audit_log(limit=1)
    assert (row.action, row.outcome, row.account) == (
        WRITES[action], "允許" if permitted else "拒絕", actor.label if role else "未登入")
    if action not in (Action.MANAGE_ACCOUNTS, Action.MANAGE_SETTINGS):
        assert (row.unit, row.year) == (unit, 112)


def test_the_reporters_refusal_names_the_unit_as_the_issue_asks(services):
    from metrics.plans.catalogue import PLANS_DIRECTORY, load_units

    services = Services(services.store, ROLES, hasher=FAST, units=load_units(PLANS_DIRECTORY))  # the county's units
    reporter = sign_in(services, "reporter", units=("人事處",))
    decision = services.can(reporter, Action.UPLOAD, "政風處")
    assert decision.reason == "您沒有上傳政風處資料的權限（您負責的單位：人事處）"


def test_a_file_with_an_own_and_another_unit_is_refused_whole(services):
    reporter = sign_in(services, "reporter")
    mixed = pd.concat([tidy(OWN), tidy(OTHER)], ignore_index=True)
    with pytest.raises(PermissionDenied):
        services.upload(reporter, [(mixed, "兩單位.csv", b"x")])
    assert services.store.history() == []


def test_an_actor_made_by_hand_or_with_a_stale_token_cannot_write(services):
    reporter = sign_in(services, "reporter")
    forged = replace(reporter, account=replace(reporter.account, roles=("administrator",)))
    with pytest.raises(PermissionDenied):
        services.save_settings(forged, view_needs_login=True, idle_minutes=5)
    other = sign_in(services, "planner")
    borrowed = replace(other, token=reporter.token)  # somebody else's token with the planner's account
    with pytest.raises(PermissionDenied):
        services.save_scenario(borrowed, 112, OWN, "x", {})
    no_token = Actor(reporter.account)
    with pytest.raises(PermissionDenied):
        services.upload(no_token, [(tidy(OWN), "月報.csv", b"x")])
    administrator = Actor(replace(reporter.account, id=999, username="admin"), token="made up")
    with pytest.raises(PermissionDenied):
        services.save_settings(administrator, view_needs_login=True, idle_minutes=5)
    assert services.store.audit_log(limit=1)[0].account == "未登入（自稱 admin）"  # nobody is blamed
    services.logout(reporter)
    with pytest.raises(PermissionDenied):
        services.upload(reporter, [(tidy(OWN), "月報.csv", b"x")])
    assert services.store.history() == []


def test_a_role_taken_away_by_another_server_counts_at_once(services):
    planner = sign_in(services, "planner")
    services.update_account(SYSTEM, "planner.user", roles=["viewer"])
    with pytest.raises(PermissionDenied):
        services.save_scenario(planner, 112, OWN, "x", {})
    services.set_active(SYSTEM, "planner.user", False)
    assert services.actor(planner.token).account is None


def test_viewing_needs_a_login_only_when_the_setting_says_so(services):
    assert services.can(services.actor(None), Action.VIEW).allowed
    services.save_settings(SYSTEM, view_needs_login=True, idle_minutes=30)
    assert services.can(services.actor(None), Action.VIEW).reason == "請先登入才能檢視"
    assert services.can(sign_in(services, "viewer"), Action.VIEW).allowed


def test_the_first_administrator_is_created_once(services):
    assert services.first_run()
    services.create_first_administrator("admin", "系統管理者", PASSWORD)
    assert not services.first_run()
    with pytest.raises(Exception, match="已經有帳號"):
        services.create_first_administrator("intruder", "冒名者", PASSWORD)
    assert [account.username for account in services.store.accounts()] == ["admin"]


@pytest.mark.parametrize(("username", "password", "message"), [
    ("ab", "short", "密碼至少要 10 個字元"),
    ("a", PASSWORD, "帳號只能用英文字母、數字與 _ . @ -，長度 2 至 64 個字元"),
    ("王小明", PASSWORD, "帳號只能用英文字母"),
    ("samename12", "samename12", "密碼不可與帳號相同"),
    ("okay", "123456789", "密碼至少要 10 個字元"),
    ("okay", "x" * 256 + "y", "密碼最多 256 個字元（輸入的有 257 個）"),
])
def test_new_accounts_are_checked(services, username, password, message):
    with pytest.raises(InputError, match=message):
        services.create_first_administrator(username, "名稱", password)
    assert services.first_run()


def test_passwords_are_hashed_and_never_stored_or_logged_in_plain_text(services, store_url, caplog):
    services.create_first_administrator("admin", "系統管理者", PASSWORD)
    with pytest.raises(LoginFailed):
        services.login("admin", "wrong password here")
    services.login("admin", PASSWORD)
    services.reset_password(SYSTEM, "admin", "another secret phrase")
    stored = services.store.account(username="admin")
    assert stored.password_hash.startswith("$argon2id$")
    assert services.hasher.verify(stored.password_hash, "another secret phrase")
    engine = sa.create_engine(store_url)
    dump = []
    with engine.connect() as connection:
        for table in sa.inspect(connection).get_table_names():
            dump += [repr(tuple(row)) for row in connection.execute(sa.text(f'SELECT * FROM "{table}"'))]
    engine.dispose()
    text = "\n".join(dump) + caplog.text
    assert "$argon2id$" in text  # the dump did include the accounts
    for secret in (PASSWORD, "wrong password here", "another secret phrase"):
        assert secret not in text


def test_lock_out_after_five_failures_and_unlock_after_fifteen_minutes(services):
    services.create_first_administrator("admin", "系統管理者", PASSWORD)
    messages = []
    for _ in range(5):
        with pytest.raises(LoginFailed) as failed:
            services.login("admin", "not the password")
        messages.append(str(failed.value))
    assert messages == [WRONG_PASSWORD] * 5  # the same words as for an account that does not exist
    with pytest.raises(LoginFailed) as failed:
        services.login("admin", PASSWORD)  # the right password does not help while locked
    assert str(failed.value) == WRONG_PASSWORD  # a lock would tell that the account exists
    later = Services(services.store, ROLES, hasher=FAST,
                     clock=lambda: dt.datetime.now(dt.timezone.utc) + dt.timedelta(minutes=16))
    with pytest.raises(LoginFailed) as failed:  # a lock that ran out starts the count again
        later.login("admin", "not the password")
    assert str(failed.value) == WRONG_PASSWORD
    assert services.store.account(username="admin").failed_logins == 1
    later.login("admin", PASSWORD)
    assert services.store.account(username="admin").failed_logins == 0
    outcomes = [(row.action, row.outcome) for row in services.store.audit_log() if row.action == "登入"]
    assert outcomes[:3] == [("登入", "允許"), ("登入", "失敗"), ("登入", "拒絕")]
    assert outcomes.count(("登入", "失敗")) == 6


def test_the_longest_password_works_and_a_longer_one_is_a_failed_attempt_never_hashed(services):
    longest = "長" * 256
    services.create_first_administrator("admin", "系統管理者", longest)
    hashed = []

    class Counting(PasswordHasher):
        def verify(self, stored, password):
            hashed.append(len(password))
            return super().verify(stored, password)
    services.hasher = Counting(time_cost=1, memory_cost=8, parallelism=1)
    for name in ("admin", "nobody"):  # a known and an unknown name alike: nothing to time
        with pytest.raises(LoginFailed) as failed:
            services.login(name, longest + "長")
        assert str(failed.value) == WRONG_PASSWORD
    assert hashed == []
    assert services.store.account(username="admin").failed_logins == 1
    services.login("admin", longest)
    assert hashed == [256]


def test_an_unknown_account_fails_like_a_wrong_password(services):
    with pytest.raises(LoginFailed) as failed:
        services.login("nobody", PASSWORD)
    assert str(failed.value) == WRONG_PASSWORD
    with pytest.raises(LoginFailed):
        services.login(PASSWORD, PASSWORD)  # a password typed into the account field
    rows = services.store.audit_log(action="登入")
    assert [(row.account, row.outcome) for row in rows] == [("（不存在的帳號）", "失敗")] * 2
    assert all(PASSWORD not in repr(row) for row in rows)  # what was typed is never recorded


def test_a_session_ends_after_the_idle_time(services):
    viewer = sign_in(services, "viewer")
    services.save_settings(SYSTEM, view_needs_login=False, idle_minutes=10)
    soon = Services(services.store, ROLES, hasher=FAST,
                    clock=lambda: dt.datetime.now(dt.timezone.utc) + dt.timedelta(minutes=9))
    assert soon.actor(viewer.token).account == viewer.account
    later = Services(services.store, ROLES, hasher=FAST,
                     clock=lambda: dt.datetime.now(dt.timezone.utc) + dt.timedelta(minutes=11))
    ended = later.actor(viewer.token)
    assert ended.account is None and ended.ended == "閒置超過 10 分鐘，已自動登出，請重新登入"
    assert services.actor(viewer.token).account is None  # ended for good, not only for the late clock


def test_a_disabled_account_cannot_log_in_and_its_sessions_end(services):
    viewer = sign_in(services, "viewer")
    services.set_active(SYSTEM, "viewer.user", False)
    assert services.actor(viewer.token).account is None
    with pytest.raises(LoginFailed, match="此帳號已停用"):
        services.login("viewer.user", PASSWORD)


def test_single_sign_on_matches_accounts_by_email(services):
    services.add_account(SYSTEM, "lin", display_name="林小華", roles=["viewer"], email="Lin@Example.gov.tw")
    token, account = services.login_by_email("lin@example.gov.tw")
    assert services.actor(token).account.username == "lin"
    with pytest.raises(LoginFailed, match="沒有對應的啟用帳號"):
        services.login_by_email("stranger@example.gov.tw")


def test_an_account_without_password_or_email_cannot_log_in_and_is_refused(services):
    with pytest.raises(InputError, match="請設定密碼，或填寫單一登入用的電子郵件"):
        services.add_account(SYSTEM, "ghost", display_name="無法登入", roles=["viewer"])
    with pytest.raises(InputError, match="填報人須指定負責的單位"):
        services.add_account(SYSTEM, "rep", display_name="填報", roles=["reporter"], password=PASSWORD)


def test_audit_rows_say_what_changed(services):
    reporter = sign_in(services, "reporter")
    services.upload(reporter, [(tidy(OWN, "3"), "一月.csv", b"1")])
    [result] = services.upload(reporter, [(tidy(OWN, "5"), "一月更正.csv", b"2")])
    services.save_note(reporter, 112, OWN, 1, "1", "人力不足", "增派人力")
    services.save_note(reporter, 112, OWN, 1, "1", "人力不足", "加班處理")
    services.undo(reporter, result.batch_id)
    rows = services.store.audit_log()
    assert rows[0].action == "復原"
    assert [(row.action, row.detail) for row in rows[1:4]] == [
        ("落後說明", "改進措施：「增派人力」→「加班處理」"),
        ("落後說明", "落後原因：「」→「人力不足」；改進措施：「」→「增派人力」"),
        ("上傳", result.message + "；112年1月 cases：3 → 5"),
    ]
    assert rows[0].account == reporter.label and rows[0].unit == OWN and rows[0].year == 112
    assert services.store.batch(result.batch_id).undone_by == reporter.label


def test_a_scenario_of_the_same_name_is_replaced_only_when_asked(services):
    planner = sign_in(services, "planner")
    services.save_scenario(planner, 112, OWN, "樂觀", {"targets": {"1": "9"}})
    with pytest.raises(InputError, match="已有名為「樂觀」的情境"):
        services.save_scenario(planner, 112, OWN, "樂觀", {"targets": {"1": "10"}})
    services.save_scenario(planner, 112, OWN, "樂觀", {"targets": {"1": "10"}}, overwrite=True)
    assert services.store.load_scenario(112, OWN, "樂觀")["targets"] == {"1": "10"}
    assert services.store.audit_log(limit=1)[0].detail == "覆蓋既有情境：指標 1 目標 9 → 指標 1 目標 10"


def test_an_administrator_cannot_disable_their_own_login(services):
    services.create_first_administrator("admin", "系統管理者", PASSWORD)
    token, _ = services.login("admin", PASSWORD)
    with pytest.raises(InputError, match="不能停用自己"):
        services.set_active(services.actor(token), "admin", False)


def test_a_reporter_may_not_undo_a_batch_without_a_unit_and_an_empty_upload_writes_nothing(services):
    from metrics.services.accounts import allowed

    reporter = sign_in(services, "reporter")
    assert not allowed(reporter.account, Action.UNDO, ROLES).allowed  # no unit named: not "any unit"
    assert allowed(reporter.account, Action.VIEW, ROLES).allowed  # viewing concerns no unit
    before = len(services.store.audit_log())
    [result] = services.upload(sign_in(services, None), [(tidy(OWN).iloc[0:0], "空白.csv", b"")])
    assert result.message == "「空白.csv」沒有任何數值，未建立新的上傳批次。"
    assert len(services.store.audit_log()) == before and services.store.history() == []


def test_an_e_mail_belongs_to_one_account_whatever_its_case(services):
    services.add_account(SYSTEM, "rep1", display_name="甲", roles=["viewer"], email="w@x.gov.tw")
    with pytest.raises(InputError, match="電子郵件 W@X.gov.tw 已用於帳號 rep1"):
        services.add_account(SYSTEM, "rep2", display_name="乙", roles=["administrator"], email="W@X.gov.tw")
    services.add_account(SYSTEM, "rep2", display_name="乙", roles=["administrator"], password=PASSWORD)
    with pytest.raises(InputError, match="已用於帳號 rep1"):
        services.update_account(SYSTEM, "rep2", email="w@x.GOV.tw")
    services.update_account(SYSTEM, "rep1", email="W@x.gov.tw")  # its own address, another case: fine


def test_the_last_administrator_stays(services):
    services.create_first_administrator("admin", "系統管理者", PASSWORD)
    with pytest.raises(InputError, match="至少要保留一位啟用中的系統管理者"):
        services.update_account(SYSTEM, "admin", roles=["viewer"])
    services.add_account(SYSTEM, "second", display_name="第二位", roles=["administrator"], password=PASSWORD)
    services.update_account(SYSTEM, "admin", roles=["viewer"])  # another administrator remains: fine
    with pytest.raises(InputError, match="至少要保留一位"):
        services.set_active(SYSTEM, "second", False)
    assert services.store.account(username="admin").roles == ("viewer",)
    assert services.store.account(username="second").active


def test_an_administrator_without_a_role_is_told_where_to_grant_it(services: Services) -> None:
    administrator = sign_in(services, "administrator")
    decision = services.can(administrator, Action.UPLOAD, OWN)
    assert not decision.allowed
    assert decision.reason.endswith("您是系統管理者，可至「帳號管理」為自己的帳號加上所需的角色（例如「填報人」與負責單位）。")
    assert "請洽系統管理者" not in decision.reason
    viewer = sign_in(services, "viewer")
    assert "帳號管理" not in services.can(viewer, Action.UPLOAD, OWN).reason


def months(services: Services) -> dict[tuple[int, str], str]:
    frame = services.store.current_frame()
    return {(int(month), unit): str(value) for month, unit, value in zip(frame["month"], frame["unit"], frame["value"])}


def test_files_that_disagree_are_refused_whole_until_a_choice_is_made(services):
    reporter = sign_in(services, "reporter")
    first = pd.concat([tidy(OWN, "12", 3), tidy(OWN, "1", 4)], ignore_index=True)
    second = tidy(OWN, "4", 3)
    files = [(first, "A.xlsx", b"a"), (second, "B.xlsx", b"b")]
    with pytest.raises(FilesConflict, match="甲處 112年3月 cases 在所選的檔案中數值不同：「A.xlsx」為 12（月報!B2）、"
                                            "「B.xlsx」為 4（月報!B2）"):
        services.upload(reporter, files)
    assert months(services) == {} and services.store.history() == []
    with pytest.raises(FilesConflict):
        services.upload(reporter, files, {(112, 3, OWN, "cases"): 7})  # no seventh file: still open

    results = services.upload(reporter, files, {(112, 3, OWN, "cases"): 1})
    assert months(services) == {(3, OWN): "4", (4, OWN): "1"}  # B's March; A's April still stored
    assert results[0].message.endswith("（另有 1 個數字依您的選擇以其他檔案為準，已記入操作紀錄）")
    assert not results[1].message.endswith("已記入操作紀錄）")
    details = [row.detail for row in services.store.audit_log() if row.action == "上傳"]
    choice = "同時上傳的檔案數值不同，使用者選擇：112年3月 cases 以「B.xlsx」的 4 為準（「A.xlsx」為 12）"
    assert all(detail.endswith(choice) for detail in details) and len(details) == 2


def test_the_audit_trail_lists_the_values_an_upload_replaced(services):
    """The store returns the replaced values as records; the trail words them as it always has."""
    reporter = sign_in(services, "reporter")
    for first, name in (("3", "A.csv"), ("4.50", "B.csv")):
        frame = pd.concat([tidy(OWN, first, 1), tidy(OWN, "7", 2)], ignore_index=True)
        services.upload(reporter, [(frame, name, name.encode())])  # different bytes: not a re-upload
    details = [row.detail for row in services.store.audit_log() if row.action == "上傳"]
    assert details[0] == "已儲存「B.csv」為第 2 批：新增 0 筆、修改 1 筆、相同 1 筆。；112年1月 cases：3 → 4.5"
    assert details[-1] == "已儲存「A.csv」為第 1 批：新增 2 筆、修改 0 筆、相同 0 筆。"


def test_the_same_value_in_two_files_is_no_conflict(services):
    reporter = sign_in(services, "reporter")
    results = services.upload(reporter, [(tidy(OWN, "3"), "A.csv", b"a"), (tidy(OWN, "3.0"), "B.csv", b"b")])
    assert months(services) == {(1, OWN): "3"}
    assert results[1].message.startswith("「B.csv」的 1 筆數值與資料庫目前的數值完全相同")


@pytest.mark.parametrize(("reason", "action", "refused"), [
    ("因" * 2000, "措" * 2000, ""),  # exactly the limit: saved
    ("因" * 2001, "", "落後原因共 2,001 字，超過上限 2,000 字；請精簡 1 字後再儲存"),
    ("", "措" * 2500, "改進措施共 2,500 字，超過上限 2,000 字；請精簡 500 字後再儲存"),
    ("  " + "因" * 2000 + "\n", "", ""),  # the spaces around are not kept, so not counted
])
def test_a_note_longer_than_the_limit_is_refused_naming_the_limit_and_the_length(services, reason, action, refused):
    reporter = sign_in(services, "reporter")
    if not refused:
        services.save_note(reporter, 112, OWN, 1, "1", reason, action)
        assert services.store.notes(112, OWN, 1)["1"].reason == reason.strip()
        return
    with pytest.raises(InputError, match=refused):
        services.save_note(reporter, 112, OWN, 1, "1", reason, action)
    assert services.store.notes(112, OWN, 1) == {}
