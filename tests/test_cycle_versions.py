"""The performance cycle as versioned data in the store, on SQLite and PostgreSQL: cycle.toml seeds version 1,
an administrator saves the next versions (checked with the file's rules, each mistake naming its field, audited),
the latest is the cycle in force, and what an approval locked does not move when the cycle changes."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import pytest
import sqlalchemy as sa

from catalogues import FIXTURE_PLANS
from metrics.services import Services
from metrics.services.accounts import PermissionDenied
from metrics.plans.roles import Action, Roles
from metrics.plans.cycle import cycle_changes, cycle_document, parse_cycle
from metrics.errors import InputError, PlanError
from metrics.services.locks import MonthLocked
from metrics.services.seeding import seed_store
from metrics.services.review import CYCLE_REPAIR, CYCLE_SEED_AUTHOR, Review
from metrics.store import SCHEMA_VERSION, Store
from test_review import CYCLE, FILES, ROLES, SYSTEM, make_review, sign_in, upload

FILE_TEXT = (FIXTURE_PLANS / "cycle.toml").read_text(encoding="utf-8")


def in_force(store: Store) -> Review:
    return Review.in_force(make_review(store).services, FIXTURE_PLANS, FILES)


def cycle_rows(store: Store) -> list:
    return sorted(store.audit_log(action="考核週期"), key=lambda row: row.id)


def edited(**changes: object) -> str:
    return cycle_document(replace(CYCLE, **changes))


@pytest.fixture
def store(store_url: str):
    with Store(store_url) as opened:
        seed_store(opened, FILES)
        yield opened


def test_the_file_seeds_version_1_once_and_is_the_cycle_in_force(store):
    assert store.cycle_versions() == []
    review = in_force(store)
    in_force(store)  # a second server: no second version
    versions = store.cycle_versions()
    assert [(version.number, version.author, version.document) for version in versions] == [
        (1, CYCLE_SEED_AUTHOR, FILE_TEXT)]
    assert review.cycle == replace(CYCLE, source=review.cycle.source)
    rows = cycle_rows(store)
    assert [(row.account, row.subject) for row in rows] == [(CYCLE_SEED_AUTHOR, "考核週期第 1 版")]


def test_a_saved_version_is_in_force_with_what_it_changed(store):
    review = in_force(store)
    stored = review.save_cycle(SYSTEM, edited(yellow=Decimal(70), monthly_due_day=15), note="依新規定")
    assert (stored.number, stored.changes) == (2, ("每月填報期限：次月 10 日 → 次月 15 日", "黃燈門檻：80% → 70%"))
    again = in_force(store)
    assert (again.cycle.yellow, again.cycle.monthly_due_day) == (Decimal(70), 15)
    assert store.cycle_version(1).document == FILE_TEXT  # the earlier version stays readable
    row = cycle_rows(store)[-1]
    assert (row.subject, row.detail) == ("考核週期第 2 版", "每月填報期限：次月 10 日 → 次月 15 日；黃燈門檻：80% → 70%")


@pytest.mark.parametrize(("document", "expected"), [
    (edited(yellow=Decimal(120)), "黃燈門檻 120 不可高於綠燈門檻 100"),
    (FILE_TEXT.replace('months = [1, 2, 3]', 'months = [1, 2, 13]'), "第 1 個 checkpoint「q1」的 months"),
    (FILE_TEXT.replace('due = "04/15"', 'due = "02/30"'), "第 1 個 checkpoint「q1」的 due"),
    (FILE_TEXT.replace('review = ["reviewer"]', 'review = ["nobody"]'), "角色「nobody」不在 roles.toml 中"),
    (FILE_TEXT.replace("[monthly]", "[monthly"), "TOML 格式錯誤"),
])
def test_a_wrong_version_is_refused_naming_the_field(store, document, expected):
    review = in_force(store)
    with pytest.raises(PlanError, match="考核週期有誤") as raised:
        review.save_cycle(SYSTEM, document)
    assert expected in str(raised.value)
    assert [version.number for version in store.cycle_versions()] == [1]


def test_an_identical_version_a_bad_text_and_a_non_administrator_are_refused(store):
    review = in_force(store)
    with pytest.raises(PlanError, match="完全相同"):
        review.save_cycle(SYSTEM, cycle_document(CYCLE))
    with pytest.raises(InputError, match="修改說明"):
        review.save_cycle(SYSTEM, edited(yellow=Decimal(70)), note="a\x1bb")
    with pytest.raises(PermissionDenied):
        review.save_cycle(sign_in(review, ("board",)), edited(yellow=Decimal(70)))
    assert review.save_cycle(sign_in(review, ("administrator",)), edited(yellow=Decimal(70))).number == 2
    assert [row.outcome.value for row in cycle_rows(store)] == ["允許", "拒絕", "允許"]


def test_an_approved_lock_keeps_its_months_when_the_cycle_changes(store):
    review = in_force(store)
    upload(review, {1: "1", 2: "1", 3: "1"})
    for step in (review.submit, review.pass_, review.approve):
        step(SYSTEM, 112, "甲處", "q1", "")
    review.save_cycle(SYSTEM, edited(checkpoints=(replace(CYCLE.checkpoints[0], name="首季", months=(1, 2)),
                                                  CYCLE.checkpoints[1])))
    changed = in_force(store)
    assert changed.cycle.checkpoint("q1").months == (1, 2)
    stored = store.assessment(112, "甲處", "q1")
    assert (stored.checkpoint_name, stored.months) == ("第一季", (1, 2, 3))
    with pytest.raises(MonthLocked, match="第一季的自評.*1月至3月.*涉及 3月"):
        upload(changed, {3: "9"})


def without(name: str, action: Action | None = None) -> dict:
    roles = dict(ROLES.roles)
    if action is None:
        del roles[name]
    else:
        roles[name] = replace(roles[name], can=roles[name].can - {action})
    return roles


def granted(roles: dict, name: str, *actions: Action) -> Roles:
    return Roles({**roles, name: replace(roles[name], can=roles[name].can | set(actions))})


# roles.toml changed after the cycle's version 1 was stored → the steps that no longer agree, and why
CHANGED_ROLES = [
    (granted(without("reviewer", Action.REVIEW_ASSESSMENT), "viewer", Action.REVIEW_ASSESSMENT), {"review": [
        '角色「reviewer」（研考初核）在 roles.toml 沒有 review_assessment 權限；請在其 can 加上 "review_assessment"，或自此刪除',
        "roles.toml 中具有 review_assessment 權限的角色 viewer 未列在此；兩處須一致"]}),
    (granted(without("board"), "administrator", Action.APPROVE_ASSESSMENT, Action.REOPEN_ASSESSMENT), {
        "approve": ["角色「board」不在 roles.toml 中（現有：viewer、reporter、planner、administrator、reviewer）",
                    "roles.toml 中具有 approve_assessment 權限的角色 administrator 未列在此；兩處須一致"],
        "reopen": ["角色「board」不在 roles.toml 中（現有：viewer、reporter、planner、administrator、reviewer）",
                   "roles.toml 中具有 reopen_assessment 權限的角色 administrator 未列在此；兩處須一致"]}),
]


@pytest.mark.parametrize(("roles", "mismatched"), CHANGED_ROLES)
def test_a_version_roles_toml_no_longer_agrees_with_is_read_to_be_fixed(store, roles, mismatched):
    in_force(store)  # version 1, stored under the roles of the time
    services = Services(store, roles)
    with pytest.raises(PlanError) as raised:
        Review.in_force(services, FIXTURE_PLANS, FILES)  # the workflow stops, saying where to fix it
    assert "資料庫中的考核週期第 1 版（各步驟辦理的角色的" in str(raised.value)
    assert str(raised.value).endswith(CYCLE_REPAIR)
    review = Review.in_force(services, FIXTURE_PLANS, FILES, repair=True)
    assert review.mismatched_steps == mismatched
    assert review.cycle.steps == CYCLE.steps  # read as stored
    with pytest.raises(PlanError, match="兩處須一致|不在 roles.toml 中"):
        review.save_cycle(SYSTEM, edited(yellow=Decimal(70)))  # the steps still disagree: refused
    fixed = {key: tuple(role.name for role in roles.roles.values() if action in role.can)
             for key, action in (("submit", Action.SUBMIT_ASSESSMENT), ("review", Action.REVIEW_ASSESSMENT),
                                 ("approve", Action.APPROVE_ASSESSMENT), ("reopen", Action.REOPEN_ASSESSMENT))}
    stored = review.save_cycle(SYSTEM, edited(steps=fixed), note="依新的角色設定")
    assert stored.changes == tuple(f"{label}的角色：{'、'.join(CYCLE.steps[key])} → {'、'.join(fixed[key])}"
                                   for key, label in (("review", "初核"), ("approve", "複核"), ("reopen", "重新開放"))
                                   if key in mismatched)
    assert review.mismatched_steps == {}
    assert Review.in_force(services, FIXTURE_PLANS, FILES).cycle.steps == fixed
    assert cycle_rows(store)[-1].detail == "；".join(stored.changes)


def test_the_document_reads_back_to_the_same_cycle_and_changes_are_listed():
    assert parse_cycle(cycle_document(CYCLE), ROLES) == replace(CYCLE, source="考核週期")
    new = replace(CYCLE, checkpoints=(CYCLE.checkpoints[1], replace(CYCLE.checkpoints[0], id="q2", months=(4, 5, 6),
                                                                    due_month=7)),
                  steps={**CYCLE.steps, "reopen": ("board", "administrator")})
    assert cycle_changes(CYCLE, new) == [
        "新增檢核點 q2：第一季，4–6 月，期限 07/15", "刪除檢核點 q1（第一季）",
        "重新開放的角色：board → board、administrator"]
    assert cycle_changes(None, CYCLE) == []


def test_a_schema_5_store_gets_the_cycle_table(store_url):
    Store(store_url).close()
    engine = sa.create_engine(store_url)
    with engine.begin() as connection:
        connection.execute(sa.text("DROP TABLE cycle_versions"))
        connection.execute(sa.text("UPDATE schema_version SET version = 5"))
    engine.dispose()
    with Store(store_url) as upgraded:
        assert upgraded.cycle_versions() == []
        with upgraded._reading() as connection:
            versions = connection.execute(sa.text("SELECT version FROM schema_version ORDER BY version")).scalars()
            assert list(versions) == [5, SCHEMA_VERSION] == [5, 6]
        assert in_force(upgraded).cycle.checkpoint("q1").months == (1, 2, 3)
