"""Plans in the store, on SQLite and PostgreSQL: seeding from files, versions with what changed, old versions
evaluated again, two units and two years side by side, goal 6's multi-year points from stored years, and
the upgrade of a schema-1 store. Runs on the small fixture catalogue (tests/fixture_plans)."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from decimal import Decimal
from fractions import Fraction

import pytest
import sqlalchemy as sa

from catalogues import FIXTURE_PLANS
from metrics.plans.catalogue import load_catalogue
from metrics.plans.toml_writing import plan_document
from metrics.errors import InputError, PlanError
from metrics.evaluation.core import evaluate, multi_year_points
from metrics.evaluation.figures import Figures
from metrics.plans.planning import file_differences, plan_version, save_plan, stored_catalogue
from metrics.services.seeding import seed_store
from metrics.intake.monthly import read_upload
from metrics.store import Store

FILES = load_catalogue(FIXTURE_PLANS)


@pytest.fixture
def store(store_url: str) -> Store:
    with Store(store_url) as opened:
        yield opened


def upload(store: Store, catalogue, text: str, name: str = "月報.csv", **period) -> None:
    data = text.encode("utf-8")
    store.ingest(read_upload(data, name, catalogue, **period), file_name=name, file_bytes=data)


LONG = "年度,月份,單位,項目代碼,數值\n"


def test_seeding_stores_each_file_once_and_the_store_is_the_truth_after(store):
    seeded = seed_store(store, FILES)
    assert sorted((plan.year, plan.unit, plan.number) for plan in seeded) == [
        (112, "丙處", 1), (112, "乙處", 1), (112, "甲處", 1), (113, "丙處", 1), (113, "甲處", 1)]
    assert seed_store(store, FILES) == []  # already there
    catalogue = stored_catalogue(store, FILES)
    assert catalogue.plan(112, "甲處").version.number == 1
    assert catalogue.plan(112, "甲處").version_text == "計畫第 1 版"
    assert catalogue.plan(112, "甲處") == replace(FILES.plan(112, "甲處"), version=catalogue.plan(112, "甲處").version)


def test_a_new_version_records_who_changed_what_and_the_old_one_still_evaluates(store):
    seed_store(store, FILES)
    upload(store, FILES, LONG + "113,1,甲處,cases,3\n113,2,甲處,cases,4\n113,2,甲處,certified,6\n113,2,甲處,staff,10\n")
    before = stored_catalogue(store, FILES).plan(113, "甲處")
    frame = store.current_frame()
    official = evaluate(Figures.from_frame(before, frame), 2)
    assert official.result("9").status == "met"  # 60 % of 60 %

    edited = before.indicator_by_id["9"]
    changed = replace(before, indicators=tuple(replace(indicator, target=Decimal(65)) if indicator is edited
                                               else indicator for indicator in before.indicators))
    version = save_plan(store, stored_catalogue(store, FILES), changed, author="王科長", note="提高目標")
    assert (version.number, version.author, version.note) == (2, "王科長", "提高目標")
    assert version.changes == ("指標 9 目標值 60% → 65%",)

    now = stored_catalogue(store, FILES).plan(113, "甲處")
    assert now.version.number == 2 and now.indicator_by_id["9"].target == 65
    assert evaluate(Figures.from_frame(now, frame), 2).result("9").status == "behind"
    again = plan_version(store, FILES, 113, "甲處", 1)
    reproduced = evaluate(Figures.from_frame(again, frame), 2)
    assert reproduced.to_json()["indicators"] == official.to_json()["indicators"]
    assert reproduced.to_json()["plan"]["version"] == 1

    with pytest.raises(PlanError, match="完全相同"):
        save_plan(store, stored_catalogue(store, FILES), now, author="王科長")
    with pytest.raises(PlanError, match="請填寫修改人"):
        save_plan(store, stored_catalogue(store, FILES), replace(now, title="新名稱"), author=" ")
    assert file_differences(stored_catalogue(store, FILES), FILES) == [
        "甲處 113 年度：計畫檔 tests/fixture_plans/113/甲處.toml 與資料庫第 2 版不同（指標 9 目標值 65% → 60%）；"
        "資料庫的版本為準，如要改用計畫檔，請以 python -m metrics plans import 匯入為新版本"]


def test_a_version_that_breaks_the_common_set_is_refused(store):
    seed_store(store, FILES)
    plan = stored_catalogue(store, FILES).plan(112, "乙處")
    broken = replace(plan, indicators=tuple(replace(indicator, formula="count", denominator=())
                                            if indicator.id == "9" else indicator for indicator in plan.indicators))
    with pytest.raises(PlanError, match="共同性指標 9 不可改變公式、分母"):
        save_plan(store, stored_catalogue(store, FILES), broken, author="王科長")
    assert [version.number for version in store.plan_versions(112, "乙處")] == [1]


def test_two_units_and_two_years_side_by_side_never_mix(store):
    seed_store(store, FILES)
    catalogue = stored_catalogue(store, FILES)
    upload(store, catalogue, LONG + "112,3,甲處,cases,5\n112,3,乙處,done,8\n112,3,乙處,total,10\n"
                                    "113,3,甲處,cases,7\n112,3,甲處,staff,4\n112,3,乙處,staff,9\n")
    frame = store.current_frame()
    first = evaluate(Figures.from_frame(catalogue.plan(112, "甲處"), frame), 3)
    second = evaluate(Figures.from_frame(catalogue.plan(112, "乙處"), frame), 3)
    later = evaluate(Figures.from_frame(catalogue.plan(113, "甲處"), frame), 3)
    assert (first.result("1").actual, first.result("1").target) == (5, 12)
    assert (later.result("1").actual, later.result("1").target) == (7, 24)
    assert second.result("1").actual == 80 and second.result("9").computation.denominator == 9
    assert first.result("9").computation.denominator == 4
    # 乙處's plan has no 案件數: its figures reach no other unit's plan, and a 乙處 figure of it is refused
    assert [result.indicator.id for result in second.results] == ["1", "9"]
    with pytest.raises(InputError, match="項目「cases」不在乙處 112 年度計畫中"):
        read_upload((LONG + "112,4,乙處,cases,1\n").encode(), "x.csv", catalogue)


def test_figures_of_a_year_without_a_plan_are_refused_naming_the_plans(store):
    with pytest.raises(InputError) as caught:
        read_upload((LONG + "114,1,甲處,cases,1\n").encode(), "x.csv", FILES)
    assert "沒有 甲處 114 年度的計畫" in str(caught.value)
    assert "現有計畫：112 年度 舊甲處、乙處、丙處；113 年度 甲處、丙處。" in str(caught.value)
    assert store.is_empty()


def test_multi_year_points_come_from_the_stored_years(store):
    seed_store(store, FILES)
    catalogue = stored_catalogue(store, FILES)
    # 甲處: 112 misses 50 % (4 of 10), 113 meets 60 % (7 of 10): first met in 113, 8 points from then on
    upload(store, catalogue, LONG + "112,12,甲處,certified,4\n112,12,甲處,staff,10\n"
                                    "113,5,甲處,certified,7\n113,5,甲處,staff,10\n")
    rule = catalogue.plan(113, "甲處").multi_year
    points = multi_year_points(rule, "甲處", {year: catalogue.find(year, "甲處") for year in rule.years},
                               store.current_frame(unit="甲處"))
    assert points.first_met_year == 113
    assert [(standing.year, standing.status, standing.points, standing.final) for standing in points.years] == [
        (112, "behind", Fraction(0), True), (113, "met", Fraction(8), False)]
    # 乙處 reported nothing: nothing to judge, no points yet
    empty = multi_year_points(rule, "乙處", {year: catalogue.find(year, "乙處") for year in rule.years},
                              store.current_frame(unit="乙處"))
    assert empty.first_met_year is None and [standing.points for standing in empty.years] == [None, None]
    assert [standing.has_plan for standing in empty.years] == [True, False]


def test_the_plan_document_of_a_version_is_self_contained(store):
    seed_store(store, FILES)
    stored = store.plan_version(112, "甲處")
    assert "[[field]]" in stored.document and "common = true" in stored.document
    assert stored.document == plan_document(FILES.plan(112, "甲處"))


# ---- a store of schema 1 (one plan: 政風處 112) upgrades in place ----

def _schema_1(url: str) -> None:
    """The tables of schema 1 as released, with one scenario and one column mapping."""
    old = sa.MetaData()
    sa.Table("schema_version", old, sa.Column("version", sa.Integer, primary_key=True, autoincrement=False),
             sa.Column("applied_at", sa.DateTime, nullable=False))
    sa.Table("batches", old, sa.Column("id", sa.Integer, primary_key=True), sa.Column("file_name", sa.String),
             sa.Column("sha256", sa.String(64)), sa.Column("uploaded_at", sa.DateTime),
             sa.Column("uploader", sa.String, server_default=""), sa.Column("row_count", sa.Integer),
             sa.Column("undone_at", sa.DateTime), sa.Column("undone_by", sa.String))
    def key() -> list[sa.Column]:
        return [sa.Column("year", sa.Integer), sa.Column("unit", sa.String), sa.Column("field", sa.String),
                sa.Column("month", sa.Integer)]
    sa.Table("current_values", old, *key(), sa.Column("value", sa.String),
             sa.Column("batch_id", sa.Integer), sa.Column("source_file", sa.String, server_default=""),
             sa.Column("source_sheet", sa.String, server_default=""), sa.Column("source_cell", sa.String, server_default=""),
             sa.PrimaryKeyConstraint("year", "unit", "field", "month"))
    sa.Table("value_changes", old, sa.Column("id", sa.Integer, primary_key=True), sa.Column("batch_id", sa.Integer),
             *key(), sa.Column("value", sa.String), sa.Column("source_file", sa.String),
             sa.Column("source_sheet", sa.String), sa.Column("source_cell", sa.String),
             sa.Column("previous_value", sa.String), sa.Column("previous_batch_id", sa.Integer),
             sa.Column("previous_source_file", sa.String), sa.Column("previous_source_sheet", sa.String),
             sa.Column("previous_source_cell", sa.String))
    notes = sa.Table("notes", old, sa.Column("year", sa.Integer), sa.Column("unit", sa.String), sa.Column("month", sa.Integer),
             sa.Column("indicator_id", sa.String), sa.Column("reason", sa.String), sa.Column("action", sa.String),
             sa.Column("author", sa.String), sa.Column("updated_at", sa.DateTime),
             sa.PrimaryKeyConstraint("year", "unit", "month", "indicator_id"))
    scenarios = sa.Table("scenarios", old, sa.Column("name", sa.String, primary_key=True), sa.Column("payload", sa.Text),
                         sa.Column("created_at", sa.DateTime), sa.Column("updated_at", sa.DateTime))
    mappings = sa.Table("column_mappings", old, sa.Column("source", sa.String), sa.Column("signature", sa.String),
                        sa.Column("mapping", sa.Text), sa.Column("updated_at", sa.DateTime),
                        sa.PrimaryKeyConstraint("source", "signature"))
    engine = sa.create_engine(url)
    now = dt.datetime(2023, 7, 1)
    with engine.begin() as connection:
        old.create_all(connection)
        connection.execute(old.tables["schema_version"].insert().values(version=1, applied_at=now))
        connection.execute(scenarios.insert().values(name="加強稽核", payload='{"targets": {"2": "140"}}',
                                                     created_at=now, updated_at=now))
        connection.execute(mappings.insert().values(source="document_log", signature="abc", mapping='{"kind": "方向"}',
                                                    updated_at=now))
        connection.execute(notes.insert().values(year=112, unit="政風處", month=6, indicator_id="10-2",
                                                 reason="紙本來文仍多", action="加強宣導", author="王小明", updated_at=now))
    engine.dispose()


def test_a_schema_1_store_upgrades_keeping_its_scenarios_and_mappings_for_政風處_112(store_url):
    _schema_1(store_url)
    with Store(store_url) as upgraded:
        assert upgraded.scenarios(112, "政風處") == ["加強稽核"]
        assert upgraded.load_scenario(112, "政風處", "加強稽核") == {"targets": {"2": "140"}}
        assert upgraded.load_mapping("document_log", "abc", year=112, unit="政風處") == {"kind": "方向"}
        assert upgraded.plan_versions() == [] and upgraded.data_version() == (0, 0, 0)
        assert upgraded.account_count() == 0 and upgraded.audit_log() == []
        [kept] = upgraded.note_history(112, "政風處", 6, "10-2")  # a kept note is the start of its history
        assert (kept.reason, kept.action, kept.author) == ("紙本來文仍多", "加強宣導", "王小明")
        upgraded.save_scenario(112, "人事處", "加強稽核", {})  # the new key lets another unit use the name
    with Store(store_url) as reopened:  # and opening it again changes nothing
        assert reopened.scenarios(112, "人事處") == ["加強稽核"]
        with reopened._reading() as connection:
            versions = connection.execute(sa.text("SELECT version FROM schema_version ORDER BY version")).scalars()
            assert list(versions) == [1, 2, 3, 4, 5, 6]


def test_the_data_version_moves_with_every_upload_undo_and_plan_version(store):
    start = store.data_version()
    seed_store(store, FILES)
    seeded = store.data_version()
    assert seeded[2] > start[2]
    upload(store, stored_catalogue(store, FILES), LONG + "112,1,甲處,cases,1\n")
    uploaded = store.data_version()
    assert uploaded[0] > seeded[0]
    store.undo(uploaded[0])
    assert store.data_version()[1] == uploaded[1] + 1

