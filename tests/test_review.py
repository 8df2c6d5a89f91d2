"""The performance cycle's services on SQLite and PostgreSQL, on the fixture catalogue (甲處 112: one indicator,
案件數 summed over the months, target 12 a year) and the fixture cycle (q1: months 1–3, due 112/04/15):

- the permission matrix of the new roles × every step, each allowed and refused with its audit row;
- the rules: missing figures listed, no passing or approving one's own submission, the wrong state named,
  no return or reopen without a reason;
- the 自評 as sent: result, light and explanation per indicator, hand-computed;
- every unit of units.toml in the status, 未訂計畫 included, and how 未填報/填報中/逾期 are told apart;
- locks: after 核定 an upload, undo, note or plan edit touching a locked month is refused (and recorded) until
  the 自評 is reopened.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from decimal import Decimal

import pandas as pd
import pytest
from argon2 import PasswordHasher

from catalogues import FIXTURE_PLANS
from metrics.services.accounts import PermissionDenied
from metrics.plans.roles import load_roles
from metrics.plans.catalogue import load_catalogue
from metrics.plans.cycle import load_cycle
from metrics.errors import InputError
from metrics.intake.tidy import TIDY_COLUMNS
from metrics.services.locks import MonthLocked
from metrics.plans.planning import stored_catalogue
from metrics.services.seeding import seed_store
from metrics.services import Actor, Services, command_line
from metrics.services.review import Review
from metrics.store import State, Store

FILES = load_catalogue(FIXTURE_PLANS)
ROLES = load_roles(FIXTURE_PLANS)
CYCLE = load_cycle(FIXTURE_PLANS, ROLES)
FAST = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
PASSWORD = "correct horse battery"
OWN, OTHER = "甲處", "乙處"
SYSTEM = command_line("tester")
MAY_1 = dt.datetime(2023, 5, 1, 1, 0, tzinfo=dt.timezone.utc)  # 112/05/01 in Taiwan: q1 is past its deadline


def tidy(unit: str, values: dict[int, str], year: int = 112) -> pd.DataFrame:
    """案件數 of each month given, with 5 of 10 staff certified (50%: the common indicator 9's target, green)."""
    return pd.DataFrame.from_records([(year, month, unit, field, Decimal(value), "月報.csv", "月報", f"B{month + 1}")
                                      for month, cases in values.items()
                                      for field, value in (("cases", cases), ("certified", "5"), ("staff", "10"))],
                                     columns=list(TIDY_COLUMNS))


def make_review(store: Store, now: dt.datetime = MAY_1) -> Review:
    return Review(Services(store, ROLES, hasher=FAST, clock=lambda: now), CYCLE, FILES)


@pytest.fixture
def review(store_url: str) -> Review:
    with Store(store_url) as store:
        seed_store(store, FILES)
        yield make_review(store)


def upload(review: Review, values: dict[int, str], unit: str = OWN, actor: Actor = SYSTEM):
    return review.services.upload(actor, [(tidy(unit, values), f"{unit}月報.csv", repr(values).encode())])


def sign_in(review: Review, roles: tuple[str, ...], units: tuple[str, ...] = (OWN,), name: str = "") -> Actor:
    services = review.services
    username = name or "_".join(roles) + ".user"
    if services.store.account(username=username) is None:
        services.add_account(SYSTEM, username, display_name=f"{username} 測試", roles=list(roles), units=units,
                             password=PASSWORD)
    return services.actor(services.login(username, PASSWORD)[0])


def state_of(review: Review, unit: str = OWN, checkpoint: str = "q1") -> State | None:
    stored = review.store.assessment(112, unit, checkpoint)
    return stored.state if stored else None


# ---- the permission matrix ----

# step → (the steps done before it, as the command line, to reach its state; what the step does)
STEPS = {
    "submit": ((), lambda review, actor, unit: review.submit(actor, 112, unit, "q1", "")),
    "return submitted": (("submit",), lambda review, actor, unit: review.return_(actor, 112, unit, "q1", "請補充說明")),
    "pass": (("submit",), lambda review, actor, unit: review.pass_(actor, 112, unit, "q1", "")),
    "return passed": (("submit", "pass"), lambda review, actor, unit: review.return_(actor, 112, unit, "q1", "再補充")),
    "approve": (("submit", "pass"), lambda review, actor, unit: review.approve(actor, 112, unit, "q1", "")),
    "reopen": (("submit", "pass", "approve"),
               lambda review, actor, unit: review.reopen(actor, 112, unit, "q1", "數字有誤需更正")),
}
AUDIT_WORDS = {"submit": "送出自評", "return submitted": "退回自評", "pass": "初核自評", "return passed": "退回自評",
               "approve": "核定自評", "reopen": "重新開放自評"}
AFTER = {"submit": State.SUBMITTED, "return submitted": State.RETURNED, "pass": State.PASSED,
         "return passed": State.RETURNED, "approve": State.APPROVED, "reopen": State.RETURNED}
# Who may: (roles, the reporter's units) → the steps allowed.
ACTORS = {
    "nobody": None, "viewer": (("viewer",), ()), "reporter of 甲處": (("reporter",), (OWN,)),
    "reporter of 乙處": (("reporter",), (OTHER,)), "planner": (("planner",), ()),
    "administrator": (("administrator",), ()), "reviewer": (("reviewer",), ()), "board": (("board",), ()),
}
ALLOWED = {"reporter of 甲處": {"submit"}, "reviewer": {"return submitted", "pass"},
           "board": {"return passed", "approve", "reopen"}}
MATRIX = [(who, step) for who in ACTORS for step in STEPS]


@pytest.mark.parametrize(("who", "step"), MATRIX, ids=[f"{who}-{step}" for who, step in MATRIX])
def test_permission_matrix(review, who, step):
    upload(review, {1: "4", 2: "4", 3: "4"})
    before, act = STEPS[step]
    for done in before:
        STEPS[done][1](review, SYSTEM, OWN)
    state = state_of(review)
    actor = review.services.actor(None) if ACTORS[who] is None else sign_in(review, *ACTORS[who])
    permitted = step in ALLOWED.get(who, set())
    if permitted:
        act(review, actor, OWN)
        assert state_of(review) is AFTER[step]
    else:
        with pytest.raises(PermissionDenied) as refused:
            act(review, actor, OWN)
        assert state_of(review) is state  # nothing moved
        assert ("請先登入" if who == "nobody" else "您沒有") in str(refused.value)
    [row] = review.store.audit_log(limit=1)
    assert (row.action, row.outcome.value, row.account, row.unit, row.year) == (
        AUDIT_WORDS[step], "允許" if permitted else "拒絕", actor.label if ACTORS[who] else "未登入", OWN, 112)
    stored = review.store.assessment(112, OWN, "q1")
    transitions = review.store.assessment_transitions(stored.id) if stored else []
    assert len(transitions) == len(before) + permitted  # one history row per step done, none for a refusal
    if permitted:
        assert (transitions[-1].account, transitions[-1].to_state) == (actor.label, AFTER[step])


# ---- the rules ----

def test_a_full_cycle_with_a_return_keeps_every_transition(review):
    upload(review, {1: "3", 2: "3", 3: "3"})
    reporter, reviewer, board = (sign_in(review, (role,)) for role in ("reporter", "reviewer", "board"))
    review.submit(reporter, 112, OWN, "q1", "第一次送出")
    review.return_(reviewer, 112, OWN, "q1", "請說明落後原因", {"1": "落後原因未填"})
    item, common = review.store.assessment_items(review.store.assessment(112, OWN, "q1").id)
    assert common.review_comment == ""
    assert (item.review_comment, item.reviewed_by) == ("落後原因未填", reviewer.label)
    review.submit(reporter, 112, OWN, "q1", "已補充", {"1": "三月人力不足，四月起增派"})
    review.pass_(reviewer, 112, OWN, "q1", "")
    stored = review.approve(board, 112, OWN, "q1", "核定")
    assert (stored.state, stored.approved_by, stored.months) == (State.APPROVED, board.label, (1, 2, 3))
    history = [(item.account, item.from_state, item.to_state, item.comment)
               for item in review.store.assessment_transitions(stored.id)]
    assert history == [
        (reporter.label, None, State.SUBMITTED, "第一次送出"),
        (reviewer.label, State.SUBMITTED, State.RETURNED, "請說明落後原因"),
        (reporter.label, State.RETURNED, State.SUBMITTED, "已補充"),
        (reviewer.label, State.SUBMITTED, State.PASSED, ""),
        (board.label, State.PASSED, State.APPROVED, "核定"),
    ]
    item, _ = review.store.assessment_items(stored.id)
    assert (item.explanation, item.review_comment) == ("三月人力不足，四月起增派", "")  # a new 自評, new comments


@pytest.mark.parametrize(("values", "result", "achievement", "light"), [
    ({1: "4", 2: "4", 3: "4"}, "12 案", "100", "綠"),  # 12 of 12: exactly the green threshold
    ({1: "3", 2: "3", 3: "4"}, "10 案", "83.33", "黃"),  # 10/12 = 83.33%
    ({1: "3", 2: "3", 3: "3"}, "9 案", "75", "紅"),  # 9/12 = 75%
    ({1: "0", 2: "0", 3: "0"}, "0 案", "0", "紅"),  # zero is a figure, not a missing one
])
def test_the_self_assessment_as_sent(review, values, result, achievement, light):
    upload(review, values)
    review.services.save_note(SYSTEM, 112, OWN, 3, "1", "人力不足", "增派人力")
    stored = review.submit(SYSTEM, 112, OWN, "q1", "")
    item, common = review.store.assessment_items(stored.id)
    assert (item.indicator_id, item.result, item.achievement, item.light) == ("1", result, achievement, light)
    assert item.explanation == "落後原因：人力不足；改進措施：增派人力"  # the note of the checkpoint's last month
    assert (common.indicator_id, common.result, common.achievement, common.light, common.explanation) == (
        "9", "50%", "100", "綠", "")  # 5 of 10 certified against a target of 50%: exactly met


@pytest.mark.parametrize(("values", "lacking"), [
    ({}, [f"112年{month}月尚缺 3 項：案件數、認證人數、現職人數" for month in (1, 2, 3)]),
    ({1: "3", 3: "3"}, ["112年2月尚缺 3 項：案件數、認證人數（沿用1月）、現職人數（沿用1月）"]),  # a stock carried is not reported
    ({1: "3", 2: "3"}, ["112年3月尚缺 3 項：案件數、認證人數（沿用2月）、現職人數（沿用2月）"]),
])
def test_submitting_with_missing_figures_lists_them_and_refuses(review, values, lacking):
    if values:
        upload(review, values)
    with pytest.raises(InputError) as refused:
        review.submit(SYSTEM, 112, OWN, "q1", "")
    assert [problem.message for problem in refused.value.problems] == [
        "甲處 112 年度第一季的數字尚未齊全，不能送出自評；請先補齊下列月份後再送出：", *lacking]
    assert state_of(review) is None
    [row] = review.store.audit_log(limit=1)
    assert (row.action, row.outcome.value) == ("送出自評", "拒絕") and lacking[0] in row.detail


def test_an_account_cannot_pass_or_approve_its_own_submission(review):
    upload(review, {1: "4", 2: "4", 3: "4"})
    everything = sign_in(review, ("reporter", "reviewer", "board"))
    review.submit(everything, 112, OWN, "q1", "")
    with pytest.raises(PermissionDenied, match=r"您不能初核通過自己送出的自評（甲處 112 年度第一季，由您於 .* 送出）；"
                                               r"請由其他具「研考初核」角色的同仁辦理。"):
        review.pass_(everything, 112, OWN, "q1", "")
    assert review.store.audit_log(limit=1)[0].outcome.value == "拒絕"
    review.pass_(sign_in(review, ("reviewer",)), 112, OWN, "q1", "")
    with pytest.raises(PermissionDenied, match="您不能核定自己送出的自評"):
        review.approve(everything, 112, OWN, "q1", "")
    assert state_of(review) is State.PASSED
    review.approve(sign_in(review, ("board",)), 112, OWN, "q1", "")
    assert state_of(review) is State.APPROVED


@pytest.mark.parametrize(("done", "step", "message"), [
    ((), "pass", "自評目前為「逾期」（尚未送出自評，須先由單位送出），不能初核通過。"),
    ((), "reopen", "自評目前為「逾期」（尚未送出自評，須先由單位送出），不能重新開放。"),
    (("submit",), "submit", "自評目前為「已送自評」（正等待研考初核（初核通過或退回）；最近一次由 命令列（tester） 於 "),
    (("submit",), "approve", "自評目前為「已送自評」"),
    (("submit", "pass"), "pass", "自評目前為「初核通過」（已初核通過，正等待複核（核定或退回）"),
    (("submit", "pass", "approve"), "submit", "自評目前為「已核定」（已核定；如需修改須先重新開放"),
    (("submit", "pass", "approve"), "return passed", "自評目前為「已核定」"),
    (("submit", "return submitted"), "approve", "自評目前為「退回修正」（已退回，正等待單位修正後重新送出"),
])
def test_a_step_from_the_wrong_state_says_which_state_it_is_in(review, done, step, message):
    upload(review, {1: "4", 2: "4", 3: "4"})
    for earlier in done:
        STEPS[earlier][1](review, SYSTEM, OWN)
    before = state_of(review)
    with pytest.raises(InputError) as refused:
        STEPS[step][1](review, SYSTEM, OWN)
    assert message in str(refused.value) and str(refused.value).startswith("甲處 112 年度第一季的")
    assert state_of(review) is before
    [row] = review.store.audit_log(limit=1)
    assert (row.action, row.outcome.value) == (AUDIT_WORDS[step], "拒絕")


@pytest.mark.parametrize(("done", "step", "text", "message"), [
    (("submit",), "return", "", "退回須說明原因"),
    (("submit",), "return", "  \n ", "退回須說明原因"),
    (("submit", "pass", "approve"), "reopen", "", "重新開放已核定的自評須說明理由"),
    (("submit", "pass", "approve"), "reopen", "x" * 2001, "至多 2,000 字，卻有 2,001 字"),
])
def test_no_return_or_reopen_without_a_reason(review, done, step, text, message):
    upload(review, {1: "4", 2: "4", 3: "4"})
    for earlier in done:
        STEPS[earlier][1](review, SYSTEM, OWN)
    before = state_of(review)
    act = review.return_ if step == "return" else review.reopen
    with pytest.raises(InputError, match=message):
        act(SYSTEM, 112, OWN, "q1", text)
    assert state_of(review) is before


@pytest.mark.parametrize(("unit", "checkpoint", "message"), [
    ("丁處", "q1", "「丁處」不是 112 年度的單位"),
    (OWN, "h1", "檢核點「h1」不存在"),
])
def test_unknown_units_and_checkpoints_are_refused(review, unit, checkpoint, message):
    with pytest.raises(Exception, match=message):
        review.submit(SYSTEM, 112, unit, checkpoint, "")


def test_comments_on_an_indicator_the_assessment_does_not_have_are_refused(review):
    upload(review, {1: "4", 2: "4", 3: "4"})
    review.submit(SYSTEM, 112, OWN, "q1", "")
    with pytest.raises(InputError, match="指標「8」不在此自評中（自評的指標：1、9）"):
        review.return_(SYSTEM, 112, OWN, "q1", "退回", {"8": "?"})
    assert state_of(review) is State.SUBMITTED


# ---- the status of every unit ----

@pytest.mark.parametrize(("now", "uploads", "expected"), [
    # 112/02/01: no month of q1 due yet (January's figures are due 112/02/10)
    (dt.datetime(2023, 2, 1, tzinfo=dt.timezone.utc), {}, {OWN: State.NOT_STARTED, OTHER: State.NOT_STARTED}),
    (dt.datetime(2023, 2, 1, tzinfo=dt.timezone.utc), {OWN: {1: "1"}},
     {OWN: State.REPORTING, OTHER: State.NOT_STARTED}),
    # 112/02/11: January's figures are a day late
    (dt.datetime(2023, 2, 11, tzinfo=dt.timezone.utc), {OWN: {1: "1"}}, {OWN: State.REPORTING, OTHER: State.OVERDUE}),
    (dt.datetime(2023, 2, 10, tzinfo=dt.timezone.utc), {}, {OWN: State.NOT_STARTED, OTHER: State.NOT_STARTED}),  # the day due
    # 112/04/16: the 自評 itself is a day late, though every figure is in
    (dt.datetime(2023, 4, 16, tzinfo=dt.timezone.utc), {OWN: {1: "1", 2: "1", 3: "1"}},
     {OWN: State.OVERDUE, OTHER: State.OVERDUE}),
    (dt.datetime(2023, 4, 15, tzinfo=dt.timezone.utc), {OWN: {1: "1", 2: "1", 3: "1"}},
     {OWN: State.REPORTING, OTHER: State.OVERDUE}),
])
def test_not_started_reporting_and_overdue(store_url, now, uploads, expected):
    with Store(store_url) as store:
        seed_store(store, FILES)
        review = make_review(store, now)
        for unit, values in uploads.items():
            upload(review, values, unit)
        states = {row.unit: row.state for row in review.status(112, "q1")}
    assert {unit: states[unit] for unit in expected} == expected


def test_every_unit_of_the_units_file_is_listed_with_units_without_a_plan(review):
    upload(review, {1: "4", 2: "4", 3: "4"})
    review.submit(SYSTEM, 112, OWN, "q1", "")
    rows = review.status(112)
    assert [(row.unit, row.checkpoint.id, row.state) for row in rows] == [
        (OWN, "q1", State.SUBMITTED), (OTHER, "q1", State.OVERDUE), ("丙處", "q1", State.OVERDUE),
        (OWN, "year", State.REPORTING), (OTHER, "year", State.OVERDUE), ("丙處", "year", State.OVERDUE)]
    assert [row.overdue_months for row in rows[3:]] == [(), (1, 2, 3), (1, 2, 3)]  # April is due 112/05/10
    assert [(row.unit, row.state) for row in review.status(113, "q1")] == [
        (OWN, State.NOT_STARTED), (OTHER, State.NO_PLAN), ("丙處", State.NOT_STARTED)]  # 乙處 has no 113 plan
    assert rows[1].overdue_months == (1, 2, 3)
    assert rows[0].to_json()["submitted_by"] == SYSTEM.label


# ---- locks ----

@pytest.fixture
def approved(review) -> Review:
    """甲處's q1 approved, with the figures of months 1–3 (first batch) and 4 (second batch)."""
    upload(review, {1: "3", 2: "3", 3: "3"})
    upload(review, {4: "5"})
    for step in ("submit", "pass", "approve"):
        STEPS[step][1](review, SYSTEM, OWN)
    return review


def lock_message(months: str, doing: str) -> str:
    return (f"甲處 112 年度第一季的自評已於 .* 由 命令列（tester） 核定，1月至3月的數字已鎖定，不能{doing}（涉及 {months}）。"
            "如需修改，請洽「複核」重新開放該自評")


def edit_plan(review: Review, actor: Actor) -> None:
    catalogue = stored_catalogue(review.store, FILES)
    plan = catalogue.plan(112, OWN)
    review.services.save_plan(actor, catalogue, replace(plan, title=plan.title + "（修正）"), note="測試")


# (what, the change, refused with: the months touched and the words; None: allowed)
LOCK_CASES = [
    ("upload a changed month", lambda review, actor: upload(review, {2: "9"}, actor=actor), ("2月", "上傳")),
    ("upload changed months among others", lambda review, actor: upload(review, {3: "4", 5: "1", 1: "7"}, actor=actor),
     ("1月、3月", "上傳")),
    ("upload the same values again", lambda review, actor: upload(review, {1: "3", 2: "3", 3: "3"}, actor=actor), None),
    ("upload the same values with a new month",
     lambda review, actor: upload(review, {1: "3", 2: "3", 3: "3", 5: "2"}, actor=actor), None),
    ("upload an unlocked month", lambda review, actor: upload(review, {4: "6"}, actor=actor), None),
    ("undo the batch of locked months", lambda review, actor: review.services.undo(actor, 1), ("1月、2月、3月", "復原上傳")),
    ("undo a batch of an unlocked month", lambda review, actor: review.services.undo(actor, 2), None),
    ("note of a locked month", lambda review, actor: review.services.save_note(actor, 112, OWN, 3, "1", "原因", "措施"),
     ("3月", "修改落後原因與改進措施")),
    ("note of an unlocked month", lambda review, actor: review.services.save_note(actor, 112, OWN, 4, "1", "原因", "措施"),
     None),
    ("plan edit", lambda review, actor: edit_plan(review, actor), ("1月、2月、3月", "編修計畫")),
]


@pytest.mark.parametrize(("what", "change", "refused"), LOCK_CASES, ids=[case[0] for case in LOCK_CASES])
@pytest.mark.parametrize("who", ["command line", "account"])
def test_an_approval_locks_its_months_until_reopened(approved, what, change, refused, who):
    review = approved
    actor = SYSTEM if who == "command line" else sign_in(review, ("reporter", "planner"))
    frame = review.store.current_frame()
    before = (sorted(zip(frame["month"], map(str, frame["value"]))), len(review.store.history()),
              [(batch.id, batch.is_undone) for batch in review.store.history()])
    if refused is None:
        change(review, actor)
        return
    months, doing = refused
    with pytest.raises(MonthLocked, match=lock_message(months, doing)):
        change(review, actor)
    frame = review.store.current_frame()
    assert (sorted(zip(frame["month"], map(str, frame["value"]))), len(review.store.history()),
            [(batch.id, batch.is_undone) for batch in review.store.history()]) == before  # nothing written
    [row] = review.store.audit_log(limit=1)
    assert (row.outcome.value, row.account, row.unit, row.year) == ("拒絕", actor.label, OWN, 112)
    assert "已鎖定" in row.detail
    review.reopen(SYSTEM, 112, OWN, "q1", "三月數字誤植，需更正")
    change(review, actor)  # unlocked by the reopening
    reopened = review.store.audit_log(action="重新開放自評")[0]
    assert (reopened.outcome.value, reopened.detail) == ("允許", "已核定 → 退回修正；理由：三月數字誤植，需更正；第一季月份解除鎖定")


def test_another_units_or_years_months_are_not_locked(approved):
    upload(approved, {2: "9"}, unit=OTHER)
    approved.services.save_note(SYSTEM, 112, OTHER, 2, "1", "原因", "措施")
