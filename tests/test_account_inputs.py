"""What the service layer accepts of accounts and of argument types (the adversarial re-run of issue 19, B1 and B2).

B1: an account's name (at most 50 characters), e-mail (local@domain.tld, at most 254), roles and units (each known,
listed once, at most as many as there are) are checked by add_account, update_account and
create_first_administrator, whatever the caller; an account named before the limit is shortened with 「…」 where
the audit trail names it. B2: every public Services method refuses a wrong type (None for a text, a text for a
number, a bool for an int, a text for a list) with an InputError naming the field, never a raw exception; numpy
integers are integers. Each refusal writes nothing, not even an audit row.

On the fixture plans: units 甲處 (alias 甲, until 112 named 舊甲處), 乙處 and 丙處; roles viewer, reporter, planner,
administrator.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from argon2 import PasswordHasher

from catalogues import FIXTURE_PLANS
from metrics.services.accounts import DISPLAY_NAME_MAX, Account
from metrics.plans.roles import Action, load_roles
from metrics.plans.catalogue import load_catalogue
from metrics.services.inputs import EMAIL_MAX, check_integer
from metrics.services.seeding import seed_store
from metrics.services import Actor, Services, command_line
from metrics.store import Outcome, Store
from refusals import refused, written

FILES = load_catalogue(FIXTURE_PLANS)
ROLES = load_roles(FIXTURE_PLANS)
FAST = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
SYSTEM = command_line("tester")
PASSWORD = "correct horse battery"
UNIT = "甲處"
AT_LIMIT = "名" * DISPLAY_NAME_MAX
ONE_OVER = "名" * (DISPLAY_NAME_MAX + 1)


def email_of(length: int) -> str:
    """An address of exactly `length` characters."""
    address = "a" * 64 + "@" + "b" * (length - 64 - 1 - len(".tw")) + ".tw"
    assert len(address) == length
    return address


@pytest.fixture
def services(store_url: str) -> Services:
    with Store(store_url) as store:
        seed_store(store, FILES)
        yield Services(store, ROLES, hasher=FAST)


# ---- B1: an account's fields ----

FIELDS = [
    # (display name, e-mail, roles, units, expected refusal or None)
    pytest.param(AT_LIMIT, "", ["viewer"], [], None, id="name at the limit"),
    pytest.param(f"  {AT_LIMIT} ", "", ["viewer"], [], None, id="name at the limit, spaces around"),
    pytest.param("", "", ["viewer"], [], None, id="no name"),
    pytest.param(ONE_OVER, "", ["viewer"], [],
                 f"（項目：姓名）：姓名「{'名' * 40}…（共 51 字）」有 51 個字，超過上限 50 個字；請縮短。", id="name one over"),
    pytest.param("x" * 5_000_000, "", ["viewer"], [],
                 f"（項目：姓名）：姓名「{'x' * 40}…（共 5,000,000 字）」有 5,000,000 個字，超過上限 50 個字；請縮短。",
                 id="name of 5 MB"),
    pytest.param(None, "", ["viewer"], [], "（項目：姓名）：「None」不是文字。", id="name None"),
    pytest.param("王小明", "wang@mail.hsinchu.gov.tw", ["viewer"], [], None, id="e-mail"),
    pytest.param("王小明", " wang@mail.hsinchu.gov.tw ", ["viewer"], [], None, id="e-mail, spaces around"),
    pytest.param("王小明", email_of(EMAIL_MAX), ["viewer"], [], None, id="e-mail at the limit"),
    pytest.param("王小明", email_of(EMAIL_MAX + 1), ["viewer"], [],
                 f"（項目：電子郵件）：電子郵件「{'a' * 40}…（共 255 字）」有 255 個字，超過上限 254 個字。",
                 id="e-mail one over"),
    pytest.param("王小明", "not an email", ["viewer"], [],
                 "（項目：電子郵件）：「not an email」不是電子郵件地址：應寫成 名稱@網域，例如 wang@mail.hsinchu.gov.tw，"
                 "不含空格、括號或逗號；留空表示不用單一登入。", id="not an e-mail"),
    pytest.param("王小明", "wang@localhost", ["viewer"], [],
                 "（項目：電子郵件）：「wang@localhost」不是電子郵件地址：應寫成 名稱@網域，例如 wang@mail.hsinchu.gov.tw，"
                 "不含空格、括號或逗號；留空表示不用單一登入。", id="e-mail without a top-level domain"),
    pytest.param("王小明", "王 <wang@mail.hsinchu.gov.tw>", ["viewer"], [],
                 "（項目：電子郵件）：「王 <wang@mail.hsinchu.gov.tw>」不是電子郵件地址：應寫成 名稱@網域，"
                 "例如 wang@mail.hsinchu.gov.tw，不含空格、括號或逗號；留空表示不用單一登入。", id="e-mail with a name"),
    pytest.param("王小明", "wang@mail\u202e.gov.tw", ["viewer"], [],
                 "「電子郵件」第 10 個字（在「ang@mail」之後）是不允許的字元 U+202E（由右至左覆寫，會使文字反向顯示）；"
                 "這是看不見的控制或格式字元（常見於從 Word、網頁或終端機複製的文字），請刪除後重新輸入該段文字",
                 id="e-mail with a bidirectional override"),
    pytest.param("王小明", ["wang@mail.hsinchu.gov.tw"], ["viewer"], [],
                 "（項目：電子郵件）：「['wang@mail.hsinchu.gov.tw']」不是文字。", id="e-mail a list"),
    pytest.param("王小明", "", ["reporter"], ["甲處", "乙處", "丙處"], None, id="every unit"),
    pytest.param("王小明", "", ["reporter"], ("甲處",), None, id="units a tuple"),
    pytest.param("王小明", "", ["reporter"], ["甲處", "乙處", "丙處", "丁處"],
                 "（項目：負責單位）：共 4 個，超過上限 3 個（可選的負責單位只有 3 個）。", id="one unit more than there are"),
    pytest.param("王小明", "", ["reporter"], [f"u{i}" for i in range(10_000)],
                 "（項目：負責單位）：共 10,000 個，超過上限 3 個（可選的負責單位只有 3 個）。", id="10,000 units"),
    pytest.param("王小明", "", ["reporter"], ["魔法部"],
                 "（項目：負責單位）：「魔法部」不是單位目錄中的單位名稱；本府的單位：甲處、乙處、丙處；"
                 "單位目錄見計畫目錄中的 units.toml。", id="unknown unit"),
    pytest.param("王小明", "", ["reporter"], ["丙"],
                 "（項目：負責單位）：「丙」不是單位目錄中的單位名稱；最接近的是：丙處；單位目錄見計畫目錄中的 units.toml。",
                 id="unknown unit with a near one"),
    pytest.param("王小明", "", ["reporter"], ["甲"],
                 "（項目：負責單位）：「甲」不是單位目錄中的單位名稱；請改用單位目錄中的名稱「甲處」。", id="a unit's alias"),
    pytest.param("王小明", "", ["reporter"], ["舊甲處"],
                 "（項目：負責單位）：「舊甲處」不是單位目錄中的單位名稱；請改用單位目錄中的名稱「甲處」。", id="a unit's former name"),
    pytest.param("王小明", "", ["reporter"], ["甲處", "甲處"],
                 "（項目：負責單位）：「甲處」重複；每個負責單位只列一次。", id="a unit twice"),
    pytest.param("王小明", "", ["reporter"], "甲處",
                 "（項目：負責單位）：應為負責單位的清單，收到的是 str「甲處」。", id="units a text"),
    pytest.param("王小明", "", ["reporter"], [None], "（項目：負責單位）：「None」不是文字。", id="a unit None"),
    pytest.param("王小明", "", ["viewer", "reporter", "planner", "administrator"], ["甲處"], None, id="every role"),
    pytest.param("王小明", "", ["viewer", "viewer"], [], "（項目：角色）：「viewer」重複；每個角色只列一次。", id="a role twice"),
    pytest.param("王小明", "", ["viewer"] * 7, [], "（項目：角色）：共 7 個，超過上限 6 個（可選的角色只有 6 個）。",
                 id="one role more than there are"),
    pytest.param("王小明", "", "viewer", [], "（項目：角色）：應為角色的清單，收到的是 str「viewer」。", id="roles a text"),
]


@pytest.mark.parametrize(("display_name", "email", "roles", "units", "expected"), FIELDS)
def test_a_new_account_is_checked(services, display_name, email, roles, units, expected):
    def add():
        services.add_account(SYSTEM, "wang", display_name=display_name, roles=roles, units=units, password=PASSWORD,
                             email=email)

    if expected is None:
        add()
        stored = services.store.account(username="wang")
        assert (stored.display_name, stored.email, stored.roles, stored.units) == (
            display_name.strip(), email.strip(), tuple(roles), tuple(units))
    else:
        refused(services, add, expected)


@pytest.mark.parametrize(("display_name", "email", "roles", "units", "expected"),
                         [case for case in FIELDS if case.values[0] is not None])  # None: the name is left as it is
def test_a_changed_account_is_checked(services, display_name, email, roles, units, expected):
    services.add_account(SYSTEM, "wang", display_name="王", roles=["administrator"], password=PASSWORD)
    services.add_account(SYSTEM, "chen", display_name="陳", roles=["reporter"], units=["乙處"], password=PASSWORD)

    def change():
        services.update_account(SYSTEM, "chen", display_name=display_name, roles=roles, units=units, email=email)

    if expected is None:
        change()
        stored = services.store.account(username="chen")
        assert (stored.display_name, stored.email, stored.roles, stored.units) == (
            display_name.strip(), email.strip(), tuple(roles), tuple(units))
    else:
        refused(services, change, expected)


@pytest.mark.parametrize(("display_name", "email", "expected"), [
    pytest.param(AT_LIMIT, "admin@mail.hsinchu.gov.tw", None, id="name at the limit"),
    pytest.param(ONE_OVER, "", f"（項目：姓名）：姓名「{'名' * 40}…（共 51 字）」有 51 個字，超過上限 50 個字；請縮短。",
                 id="name one over"),
    pytest.param("管理者", "admin", "（項目：電子郵件）：「admin」不是電子郵件地址：應寫成 名稱@網域，例如 wang@mail.hsinchu.gov.tw，"
                 "不含空格、括號或逗號；留空表示不用單一登入。", id="not an e-mail"),
    pytest.param("管理者", None, "（項目：電子郵件）：「None」不是文字。", id="e-mail None"),
])
def test_the_first_administrator_is_checked(services, display_name, email, expected):
    def create():
        services.create_first_administrator("admin", display_name, PASSWORD, email)

    if expected is None:
        create()
        assert services.store.account(username="admin").display_name == display_name
    else:
        refused(services, create, expected)


@pytest.mark.parametrize(("display_name", "shown"), [
    ("", "wang"),
    ("王小明", "王小明（wang）"),
    (AT_LIMIT, f"{AT_LIMIT}（wang）"),
    (ONE_OVER, f"{'名' * (DISPLAY_NAME_MAX - 1)}…（wang）"),
    ("x" * 5_000_000, f"{'x' * (DISPLAY_NAME_MAX - 1)}…（wang）"),
], ids=["no name", "a name", "at the limit", "one over", "5 MB"])
def test_a_name_from_before_the_limit_is_shortened_in_the_audit_trail(services, display_name, shown):
    assert Account(1, "wang", display_name, ("viewer",)).shown == shown
    # As stored before the limit: straight into the store, past the checks.
    services.store.add_account("wang", display_name=display_name, email="", roles=["administrator"], units=[],
                               password_hash=FAST.hash(PASSWORD))
    token, _ = services.login("wang", PASSWORD)
    services.save_settings(services.actor(token), view_needs_login=True, idle_minutes=30)
    assert [(row.action, row.account) for row in services.store.audit_log() if row.action in ("登入", "系統設定")] == [
        ("系統設定", shown), ("登入", shown)]


# ---- B2: types ----

def note(**changed):
    arguments = {"year": 112, "unit": UNIT, "month": 1, "indicator_id": "1", "reason": "人力不足", "action": "增派人力",
                 **changed}
    return lambda services: services.save_note(SYSTEM, *arguments.values())


TYPES = [
    pytest.param(note(reason=None), "（項目：落後原因）：「None」不是文字。", id="save_note reason None"),
    pytest.param(note(action=3), "（項目：改進措施）：「3」不是文字。", id="save_note action a number"),
    pytest.param(note(year="112"), "（項目：年度）：「112」不是整數。", id="save_note year a text"),
    pytest.param(note(year=112.0), "（項目：年度）：「112.0」不是整數。", id="save_note year a float"),
    pytest.param(note(month=True), "（項目：月份）：「True」不是整數。", id="save_note month True"),
    pytest.param(note(month=np.bool_(True)), "（項目：月份）：「True」不是整數。", id="save_note month numpy True"),
    pytest.param(note(unit=None), "（項目：單位）：「None」不是文字。", id="save_note unit None"),
    pytest.param(note(indicator_id=1), "（項目：指標）：「1」不是文字。", id="save_note indicator a number"),
    pytest.param(lambda services: services.undo(SYSTEM, "1; drop"), "（項目：批次編號）：「1; drop」不是整數。",
                 id="undo a text"),
    pytest.param(lambda services: services.undo(SYSTEM, True), "（項目：批次編號）：「True」不是整數。", id="undo True"),
    pytest.param(lambda services: services.undo(None, 1),
                 "（項目：操作者）：應為登入後取得的操作者（Services.actor）或命令列（command_line），收到的是 NoneType。",
                 id="undo without an actor"),
    pytest.param(lambda services: services.save_scenario(SYSTEM, 112, UNIT, "樂觀", {}, overwrite="yes"),
                 "（項目：覆蓋既有情境）：應為 True（是）或 False（否），收到的是 str「yes」。", id="save_scenario overwrite a text"),
    pytest.param(lambda services: services.save_scenario(SYSTEM, "112", UNIT, "樂觀", {}),
                 "（項目：年度）：「112」不是整數。", id="save_scenario year a text"),
    pytest.param(lambda services: services.delete_scenario(SYSTEM, 112, ["甲處"], "樂觀"),
                 "（項目：單位）：「['甲處']」不是文字。", id="delete_scenario unit a list"),
    pytest.param(lambda services: services.save_mapping(SYSTEM, "case_log", "0123456789abcdef", {}, year=112, unit=5),
                 "（項目：單位）：「5」不是文字。", id="save_mapping unit a number"),
    pytest.param(lambda services: services.save_mapping(SYSTEM, None, "0123456789abcdef", {}, year=112, unit=UNIT),
                 "（項目：資料種類）：「None」不是文字。", id="save_mapping source None"),
    pytest.param(lambda services: services.set_active(SYSTEM, "admin", "no"),
                 "（項目：啟用）：應為 True（是）或 False（否），收到的是 str「no」。", id="set_active a text"),
    pytest.param(lambda services: services.set_active(SYSTEM, None, True), "（項目：帳號）：「None」不是文字。",
                 id="set_active username None"),
    pytest.param(lambda services: services.reset_password(SYSTEM, "admin", None), "（項目：密碼）：「None」不是文字。",
                 id="reset_password None"),
    pytest.param(lambda services: services.save_settings(SYSTEM, view_needs_login="否", idle_minutes=30),
                 "（項目：檢視需要登入）：應為 True（是）或 False（否），收到的是 str「否」。", id="save_settings a text for a flag"),
    pytest.param(lambda services: services.login(None, PASSWORD), "（項目：帳號）：「None」不是文字。", id="login username None"),
    pytest.param(lambda services: services.login("admin", b"bytes"), "（項目：密碼）：「b'bytes'」不是文字。",
                 id="login password bytes"),
    pytest.param(lambda services: services.login_by_email(None), "（項目：電子郵件）：「None」不是文字。",
                 id="login_by_email None"),
    pytest.param(lambda services: services.add_account(SYSTEM, None, display_name="x", roles=["viewer"],
                                                       password=PASSWORD), "（項目：帳號）：「None」不是文字。",
                 id="add_account username None"),
    pytest.param(lambda services: services.add_account(SYSTEM, "lin", display_name="x", roles=["viewer"], password=1),
                 "（項目：密碼）：「1」不是文字。", id="add_account password a number"),
    pytest.param(lambda services: services.update_account(SYSTEM, "admin", display_name=5),
                 "（項目：姓名）：「5」不是文字。", id="update_account name a number"),
    pytest.param(lambda services: services.update_account(SYSTEM, 7, display_name="x"),
                 "（項目：帳號）：「7」不是文字。", id="update_account username a number"),
    pytest.param(lambda services: services.import_plan(SYSTEM, FILES, None), "（項目：計畫檔內容）：「None」不是文字。",
                 id="import_plan None"),
    pytest.param(lambda services: services.save_plan(SYSTEM, FILES, FILES.plan(112, UNIT), note=None),
                 "（項目：修改說明）：「None」不是文字。", id="save_plan note None"),
    pytest.param(lambda services: services.save_plan(SYSTEM, FILES, "plan"),
                 "（項目：計畫）：應為一份計畫（metrics.plans.plan.Plan），收到的是 str。", id="save_plan a text for the plan"),
    pytest.param(lambda services: services.upload(SYSTEM, "月報.csv"),
                 "（項目：上傳檔案）：應為檔案的清單，收到的是 str。", id="upload a text"),
    pytest.param(lambda services: services.upload(SYSTEM, [(pd.DataFrame(), "月報.csv", "not bytes")]),
                 "（項目：上傳檔案第 1 個）：應為（讀出的數字表、檔名、檔案內容）。", id="upload text for bytes"),
    pytest.param(lambda services: services.can(SYSTEM, "upload"),
                 "（項目：動作）：應為一個動作（metrics.plans.roles.Action），收到的是 str。", id="can a text for the action"),
    pytest.param(lambda services: services.can(SYSTEM, Action.UPLOAD, unit=3), "（項目：單位）：「3」不是文字。",
                 id="can unit a number"),
]


@pytest.mark.parametrize(("call", "expected"), TYPES)
def test_a_wrong_type_is_refused_naming_the_field(services, call, expected):
    services.add_account(SYSTEM, "admin", display_name="管理者", roles=["administrator"], password=PASSWORD)
    refused(services, lambda: call(services), expected)


def test_a_token_that_is_not_text_proves_nobody(services):
    assert services.actor(5) == Actor(None)
    assert services.actor(["token"]) == Actor(None)
    before = written(services)
    services.logout(Actor(None, token=5))
    assert written(services) == before


@pytest.mark.parametrize("integer", [np.int64(112), np.int32(112), np.uint16(112), 112])
def test_numpy_integers_are_integers(integer):
    assert check_integer(integer, "年度") == 112
    assert type(check_integer(integer, "年度")) is int


def test_numpy_integers_reach_the_store_as_integers(services):
    services.save_note(SYSTEM, np.int64(112), UNIT, np.int64(3), "1", "人力不足", "增派人力")
    assert services.store.notes(112, UNIT, 3)["1"].reason == "人力不足"
    services.save_settings(SYSTEM, view_needs_login=False, idle_minutes=np.int64(45))
    assert services.settings().idle_minutes == 45
    [row] = services.store.audit_log(action="落後說明")
    assert (row.outcome, row.year, type(row.year)) == (Outcome.ALLOWED, 112, int)
