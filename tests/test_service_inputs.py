"""The service layer checks what it is given against the plan in force and sane sizes (issue 19, item 8): a note's
month, year, unit and indicator; a scenario's unit, name, keys, values and size; a column mapping; deleting a
scenario that is not there; a plan's year; a setting's type. Each refusal is an InputError naming the field, the
value and what was expected; nothing is written and no audit row says 允許.

On the fixture plans: 甲處 has plans for 112 and 113 (indicators 1 and 9; fields cases, certified, staff),
乙處 and 丙處 for 112 (丙處 also 113).
"""

from __future__ import annotations

import json
from dataclasses import replace
from decimal import Decimal

import pytest

from catalogues import FIXTURE_PLANS
from metrics.plans.roles import load_roles
from metrics.plans.catalogue import load_catalogue
from metrics.errors import InputError
from metrics.services.inputs import SCENARIO_NAME_MAX, SCENARIO_PAYLOAD_MAX, check_plan_year
from metrics.services.seeding import seed_store
from metrics.outputs.presentation import scenario_payload
from metrics.services import Services, command_line
from metrics.store import Outcome, Store
from refusals import refused, written

FILES = load_catalogue(FIXTURE_PLANS)
ROLES = load_roles(FIXTURE_PLANS)
SYSTEM = command_line("tester")
UNIT = "甲處"
SIGNATURE = "0123456789abcdef"


@pytest.fixture
def services(store_url: str) -> Services:
    with Store(store_url) as store:
        seed_store(store, FILES)
        yield Services(store, ROLES)


# ---- notes ----

@pytest.mark.parametrize(("year", "unit", "month", "indicator", "expected"), [
    pytest.param(112, UNIT, 0, "1", "（項目：月份）：「0」不是月份：應為 1 至 12。", id="month 0"),
    pytest.param(112, UNIT, 1, "1", None, id="month 1"),
    pytest.param(112, UNIT, 12, "1", None, id="month 12"),
    pytest.param(112, UNIT, 13, "1", "（項目：月份）：「13」不是月份：應為 1 至 12。", id="month 13"),
    pytest.param(112, UNIT, 99, "1", "（項目：月份）：「99」不是月份：應為 1 至 12。", id="month 99"),
    pytest.param(112, UNIT, True, "1", "（項目：月份）：「True」不是整數。", id="month True"),
    pytest.param(111, UNIT, 1, "1", "（項目：年度）：甲處沒有 111 年度的計畫；資料庫中此單位有計畫的年度：112、113。", id="year 111"),
    pytest.param(113, UNIT, 1, "9", None, id="year 113"),
    pytest.param(999, UNIT, 1, "1", "（項目：年度）：甲處沒有 999 年度的計畫；資料庫中此單位有計畫的年度：112、113。", id="year 999"),
    pytest.param(999, "丁處", 1, "1", "（項目：年度）：999 年度沒有任何計畫；資料庫中有計畫的年度：112、113。",
                 id="year and unit unknown"),
    pytest.param(113, "乙處", 1, "1", "（項目：年度）：乙處沒有 113 年度的計畫；資料庫中此單位有計畫的年度：112。",
                 id="unit without that year"),
    pytest.param(112, "丁處", 1, "1", "（項目：單位）：單位「丁處」沒有 112 年度的計畫；112 年度有計畫的單位：丙處、乙處、甲處。",
                 id="unit unknown"),
    pytest.param(112, UNIT, 1, "ZZZ", "（項目：指標）：指標「ZZZ」不在甲處 112 年度計畫中；計畫的指標：1、9。", id="indicator ZZZ"),
    pytest.param(112, "丙處", 1, "1", "（項目：指標）：指標「1」不在丙處 112 年度計畫中；計畫的指標：9。",
                 id="indicator of another unit's plan"),
])
def test_a_note_is_checked_against_the_plan(services, year, unit, month, indicator, expected):
    def save():
        services.save_note(SYSTEM, year, unit, month, indicator, "人力不足", "增派人力")

    if expected is None:
        save()
        assert services.store.notes(year, unit, month)[indicator].reason == "人力不足"
    else:
        refused(services, save, expected)


# ---- scenarios ----

def sized(size: int) -> dict:
    """A scenario the what-if editor could write whose JSON is exactly `size` bytes (additions of 1 in January,
    the last amount padded with zeros)."""
    def measured(payload: dict) -> int:
        return len(json.dumps(payload, ensure_ascii=False).encode())

    count = 1
    while measured(scenario_payload({}, {}, [("cases", 1, Decimal(1))] * (count + 1))) <= size:
        count += 1
    payload = scenario_payload({}, {}, [("cases", 1, Decimal(1))] * count)
    missing = size - measured(payload)
    assert 0 <= missing < 40
    payload["additions"][-1]["amount"] = "1" + "0" * missing
    assert measured(payload) == size
    return payload


VALID = scenario_payload({"1": Decimal("12.5"), "9": Decimal(80)}, {"1": Decimal(40), "9": Decimal(0)},
                         [("cases", 3, Decimal(2)), ("staff", 12, Decimal("-1"))])


@pytest.mark.parametrize(("unit", "name", "payload", "expected"), [
    pytest.param(UNIT, "樂觀", VALID, None, id="what the editor writes"),
    pytest.param(UNIT, "樂觀", {}, None, id="nothing changed"),
    pytest.param(UNIT, "名" * SCENARIO_NAME_MAX, VALID, None, id="name at the limit"),
    pytest.param(UNIT, " " + "名" * SCENARIO_NAME_MAX + " ", VALID, None, id="name at the limit, spaces around"),
    pytest.param(UNIT, "名" * (SCENARIO_NAME_MAX + 1), VALID,
                 "（項目：情境名稱）：名稱有 101 個字，超過上限 100 個字；請縮短名稱。", id="name one over"),
    pytest.param(UNIT, "名" * 5_000_000, VALID,
                 "（項目：情境名稱）：名稱有 5,000,000 個字，超過上限 100 個字；請縮短名稱。", id="name of 5 MB"),
    pytest.param("丁處", "樂觀", VALID,
                 "（項目：單位）：單位「丁處」沒有 112 年度的計畫；112 年度有計畫的單位：丙處、乙處、甲處。", id="unknown unit"),
    pytest.param(UNIT, "樂觀", {"targets": {}, "evil": 1},
                 "（項目：情境內容）：不認得的項目「evil」：情境只含 version、targets、weights、additions。", id="unknown key"),
    pytest.param(UNIT, "樂觀", sized(SCENARIO_PAYLOAD_MAX), None, id="payload at the limit"),
    pytest.param(UNIT, "樂觀", sized(SCENARIO_PAYLOAD_MAX + 1),
                 "（項目：情境內容）：情境內容有 65,537 位元組，超過上限 65,536 位元組。", id="payload one over"),
    pytest.param(UNIT, "樂觀", {"targets": {"1": "9" * 20_000_000}},
                 "（項目：情境內容）：情境內容有 20,000,022 位元組，超過上限 65,536 位元組。", id="payload of 20 MB"),
    pytest.param(UNIT, "樂觀", [], "（項目：情境內容）：情境內容應為目標、權重與假設增加數字的表格。", id="not a table"),
    pytest.param(UNIT, "樂觀", {**VALID, "version": 2}, "（項目：情境格式版本）：格式版本「2」不是本程式的 1。", id="version 2"),
    pytest.param(UNIT, "樂觀", {"targets": {"ZZZ": "5"}},
                 "（項目：指標）：指標「ZZZ」不在甲處 112 年度計畫中；計畫的指標：1、9。", id="target of an unknown indicator"),
    pytest.param(UNIT, "樂觀", {"targets": {"1": "abc"}},
                 "（項目：指標 1 的目標）：「abc」不是數字：應為十進位數字，例如 95 或 12.5。", id="target not a number"),
    pytest.param(UNIT, "樂觀", {"targets": {"1": 1.5}},
                 "（項目：指標 1 的目標）：「1.5」不是數字：應為十進位數字，例如 95 或 12.5。", id="target a float"),
    pytest.param(UNIT, "樂觀", {"targets": {"1": "NaN"}},
                 "（項目：指標 1 的目標）：「NaN」不是數字：應為十進位數字，例如 95 或 12.5。", id="target NaN"),
    pytest.param(UNIT, "樂觀", {"targets": ["1", "5"]}, "（項目：情境目標）：目標應為「指標 → 數字」的表格。",
                 id="targets not a table"),
    pytest.param(UNIT, "樂觀", {"weights": {"1": "-5"}}, "（項目：指標 1 的權重）：「-5」不可小於 0。", id="negative weight"),
    pytest.param(UNIT, "樂觀", {"weights": {"1": "0"}}, None, id="weight 0"),
    pytest.param(UNIT, "樂觀", {"additions": [{"field": "cases", "month": 0, "amount": "1"}]},
                 "（項目：假設增加第 1 筆）：月份「0」應為 1 至 12 的整數。", id="addition in month 0"),
    pytest.param(UNIT, "樂觀", {"additions": [{"field": "cases", "month": 13, "amount": "1"}]},
                 "（項目：假設增加第 1 筆）：月份「13」應為 1 至 12 的整數。", id="addition in month 13"),
    pytest.param(UNIT, "樂觀", {"additions": [{"field": "done", "month": 1, "amount": "1"}]},
                 "（項目：假設增加第 1 筆）：填報項目「done」不在甲處 112 年度計畫中。", id="addition of another plan's field"),
    pytest.param(UNIT, "樂觀", {"additions": [{"field": "cases", "month": 1, "amount": "1", "x": 1}]},
                 "（項目：假設增加第 1 筆）：應含且只含 field、month、amount。", id="addition with another key"),
    pytest.param(UNIT, "樂觀", {"additions": [{"field": "cases", "month": 1, "amount": "1e999999"}]},
                 "（項目：假設增加第 1 筆）：「1e999999」不是數字：應為十進位數字，例如 95 或 12.5。", id="amount with an exponent"),
    pytest.param(UNIT, "樂觀", {"additions": [{"field": "cases", "month": 1, "amount": "1" * 41}]},
                 f"（項目：假設增加第 1 筆）：「{'1' * 40}…（共 41 字）」不是數字：應為十進位數字，例如 95 或 12.5。",
                 id="amount of 41 digits"),
])
def test_a_scenario_is_checked_against_the_plan_and_sizes(services, unit, name, payload, expected):
    def save():
        services.save_scenario(SYSTEM, 112, unit, name, payload)

    if expected is None:
        save()
        assert services.store.scenarios(112, unit) == [name.strip()]
    else:
        refused(services, save, expected)


def test_deleting_a_scenario_that_is_not_there_is_refused_and_records_nothing(services):
    refused(services, lambda: services.delete_scenario(SYSTEM, 112, UNIT, "不存在"),
            "（項目：情境名稱）：找不到 甲處 112 年度名為「不存在」的情境，可能已被刪除；請重新整理頁面後再選擇。")
    services.save_scenario(SYSTEM, 112, UNIT, "樂觀", {"targets": {"1": "9"}})
    services.delete_scenario(SYSTEM, 112, UNIT, "樂觀")
    assert services.store.scenarios(112, UNIT) == []
    [row] = services.store.audit_log(action="刪除情境")
    assert (row.outcome, row.subject, row.detail) == (Outcome.ALLOWED, "情境「樂觀」", "刪除前：指標 1 目標 9")
    refused(services, lambda: services.delete_scenario(SYSTEM, 112, UNIT, "樂觀"),  # deleted twice: once recorded
            "（項目：情境名稱）：找不到 甲處 112 年度名為「樂觀」的情境，可能已被刪除；請重新整理頁面後再選擇。")


# ---- column mappings, plans, settings ----

@pytest.mark.parametrize(("source", "signature", "mapping", "year", "expected"), [
    pytest.param("case_log", SIGNATURE, {"case_type": "方向", "held_date": None}, 112, None, id="valid"),
    pytest.param("case_log", SIGNATURE, {}, 999,
                 "（項目：年度）：甲處沒有 999 年度的計畫；資料庫中此單位有計畫的年度：112、113。", id="year 999"),
    pytest.param("evil", SIGNATURE, {}, 112,
                 "（項目：資料種類）：未知的資料種類「evil」；可用：公文清單（公文管理系統匯出）（document_log）、人事名冊（人事系統匯出）（roster）、"
                 "歲出預算執行表（會計系統匯出）（ledger）、政風案件紀錄（case_log）。", id="unknown source"),
    pytest.param("case_log", "x" * 16, {}, 112, "（項目：標題列識別碼）：標題列識別碼「xxxxxxxxxxxxxxxx」應為 16 位十六進位字元。",
                 id="not a signature"),
    pytest.param("case_log", SIGNATURE, {"evil": "方向"}, 112,
                 "（項目：欄位對應）：「evil」不是政風案件紀錄的欄位；可用：案號（case_number）、案件類別（case_type）、"
                 "結案日期（completed_date）、辦理日期（held_date）。",
                 id="unknown column"),
    pytest.param("case_log", SIGNATURE, {"case_type": "方" * 201}, 112,
                 "（項目：欄位對應）：「案件類別」對應的標題應為至多 200 字的文字。", id="header one over"),
    pytest.param("case_log", SIGNATURE, {"case_type": "方" * 200}, 112, None, id="header at the limit"),
])
def test_a_column_mapping_is_checked(services, source, signature, mapping, year, expected):
    def save():
        services.save_mapping(SYSTEM, source, signature, mapping, year=year, unit=UNIT)

    if expected is None:
        save()
        assert services.store.load_mapping(source, signature, year=year, unit=UNIT) == mapping
    else:
        refused(services, save, expected)


@pytest.mark.parametrize(("year", "accepted"), [(99, False), (100, True), (112, True), (199, True), (200, False),
                                                (999, False), ("112", False), (True, False)])
def test_a_plan_year_is_a_roc_year(year, accepted):
    if accepted:
        assert check_plan_year(year) == year
    else:
        with pytest.raises(InputError, match="（項目：年度）："):
            check_plan_year(year)


def test_a_plan_for_year_999_is_refused(services):
    plan = replace(FILES.plan(112, UNIT), year=999)
    refused(services, lambda: services.save_plan(SYSTEM, FILES, plan),
            "（項目：年度）：「999」不是可用的年度：應為民國 100 至 199 年（例如 112）。")


@pytest.mark.parametrize("minutes", [1.5, "30", True, 0, 1441])
def test_an_idle_setting_must_be_whole_minutes(services, minutes):
    refused(services, lambda: services.save_settings(SYSTEM, view_needs_login=False, idle_minutes=minutes),
            f"（項目：閒置自動登出（分鐘））：「{minutes}」不是可用的分鐘數：應為 1 至 1,440 的整數。")


@pytest.mark.parametrize("batch_id", [0, 1, -1, 10**12])
def test_undoing_a_batch_that_is_not_there_records_nothing(services, batch_id):
    from metrics.errors import StoreError

    before = written(services)
    with pytest.raises(StoreError, match=f"找不到第 {batch_id:,} 批上傳紀錄。"):
        services.undo(SYSTEM, batch_id)
    assert written(services) == before
