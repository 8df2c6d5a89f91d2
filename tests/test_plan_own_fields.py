"""A plan's own fields: a unit's new field declared in its plan ([[field]] beside its indicators), checked like
fields.toml's, carried by the stored version, reportable in that unit's month template and read on upload; saved
with the plan in one audited write. On the fixture catalogue (tests/fixture_plans), on SQLite and PostgreSQL."""

from __future__ import annotations

import shutil
from decimal import Decimal
from fractions import Fraction

import pytest

from catalogues import FIXTURE_PLANS
from metrics.errors import PlanError
from metrics.evaluation.core import evaluate
from metrics.evaluation.figures import Figures
from metrics.intake.monthly import read_upload
from metrics.outputs.template import build_template
from metrics.plans.catalogue import load_catalogue, parse_plan
from metrics.plans.toml_writing import plan_document
from metrics.plans.plan import Aggregation
from metrics.plans.planning import stored_catalogue
from metrics.services.seeding import seed_store
from metrics.services.core import Services, command_line
from metrics.plans.roles import load_roles
from metrics.store import Store

TRAINING = ('[[field]]\ncode = "training"\nname = "訓練場次"\nunit = "場"\naggregation = "flow"\nquantity = "count"\n'
            'help = "當月辦理的訓練場次。"\n\n')
OWN_PLAN = ('year = 113\nunit = "乙處"\ninclude_common = true\n\n' + TRAINING +
            '[[goal]]\nnumber = 1\ntitle = "訓練"\nkind = "業務"\nsummary = ""\n\n'
            '[[indicator]]\nid = "1"\ngoal = 1\nname = "辦理訓練"\nmeasure = "訓練場次"\nweight = 40\ntarget = 12\n'
            'unit = "場"\nformula = "count"\nnumerator = ["training"]\nhelp = "各月合計。"\n')
SYSTEM = command_line("tester")


@pytest.fixture
def folder(tmp_path):
    copy = tmp_path / "plans"
    shutil.copytree(FIXTURE_PLANS, copy)
    (copy / "113" / "乙處.toml").write_text(OWN_PLAN, encoding="utf-8")
    return copy


def test_a_plans_own_field_is_in_force_reportable_in_its_template_and_read_on_upload(folder):
    catalogue = load_catalogue(folder)
    plan = catalogue.plan(113, "乙處")
    assert [f.code for f in plan.fields] == ["certified", "staff", "training"]  # common indicator 9's, then its own
    assert "training" not in {f.code for f in catalogue.fields}  # fields.toml is unchanged
    assert [f.code for f in catalogue.local_fields] == ["training"]
    assert catalogue.field_by_code["training"].aggregation is Aggregation.FLOW
    assert (catalogue.field_owner("training"), catalogue.field_owner("cases")) == ("乙處 113 年度計畫", "fields.toml")
    values = {("training", 1): Decimal(2), ("training", 2): Decimal(3), ("staff", 2): Decimal(10)}
    frame = read_upload(build_template(plan, values=values), "乙處月報.xlsx", catalogue)
    assert sorted(zip(frame["field"], frame["month"], frame["value"])) == [
        ("staff", 2, Decimal(10)), ("training", 1, Decimal(2)), ("training", 2, Decimal(3))]
    result = evaluate(Figures.from_frame(plan, frame), 2).result("1")
    assert result.computation.actual == Fraction(5)  # 2 + 3, a flow


def test_the_stored_version_carries_its_field_and_reads_the_same_without_the_file(folder):
    plan = load_catalogue(folder).plan(113, "乙處")
    document = plan_document(plan)
    assert document.count("[[field]]") == 3 and 'code = "training"' in document
    again = parse_plan(document, load_catalogue(FIXTURE_PLANS), check_common=False)  # a catalogue without the file
    assert again.field_by_code == plan.field_by_code


@pytest.mark.parametrize(("change", "expected"), [
    # (what the new version says of training, the refusal; None: accepted)
    (TRAINING, None),
    (TRAINING.replace('unit = "場"', 'unit = "次"'), "項目 training 已由其他計畫以不同的定義使用"),
    (TRAINING.replace('aggregation = "flow"', 'aggregation = "stock"'), "項目 training 已由其他計畫以不同的定義使用"),
    (TRAINING.replace('name = "訓練場次"', 'name = "案件數"').replace('code = "training"', 'code = "courses"'),
     "項目 courses 的名稱「案件數」已是項目 cases 的名稱"),
    (TRAINING.replace('code = "training"', 'code = "Training"'), "只能用小寫英文字母、數字與底線"),
])
def test_another_plan_reusing_a_code_in_force_keeps_its_definition(folder, change, expected):
    catalogue = load_catalogue(folder)
    code = "courses" if "courses" in change else ("Training" if "Training" in change else "training")
    text = OWN_PLAN.replace("year = 113", "year = 112").replace(TRAINING, change).replace(
        'numerator = ["training"]', f'numerator = ["{code}"]')
    if expected is None:
        assert parse_plan(text, catalogue).field("training") == catalogue.field_by_code["training"]
        return
    with pytest.raises(PlanError, match=expected):
        parse_plan(text, catalogue)


def test_saving_a_plan_creates_its_new_field_in_the_same_audited_write(store_url, folder):
    files = load_catalogue(FIXTURE_PLANS)  # no plan declares training yet
    new = load_catalogue(folder).plan(113, "乙處")
    with Store(store_url) as store:
        seed_store(store, files)
        services = Services(store, load_roles(FIXTURE_PLANS))
        catalogue = stored_catalogue(store, files)
        assert "training" not in catalogue.field_by_code
        stored = services.save_plan(SYSTEM, catalogue, new, note="依計畫書匯入", origin="計畫書 乙處.docx")
        assert stored.changes[-1] == "新增填報項目 training「訓練場次」（場，當月數）"
        in_force = stored_catalogue(store, files)
        assert in_force.plan(113, "乙處").version.number == stored.number
        assert in_force.field_by_code["training"].name == "訓練場次"
        [row] = [row for row in store.audit_log(action="計畫版本", unit="乙處") if row.account != "系統（計畫檔）"]
        assert row.subject == f"乙處 113 年度計畫第 {stored.number} 版"
        assert row.detail == "新增乙處 113 年度計畫（2 項指標）；新增填報項目 training「訓練場次」（場，當月數）"


@pytest.mark.parametrize(("name", "expected"), [
    ("訓練場次", []),
    ("案件數", ["項目名稱 案件數 重複宣告", "項目 training 的名稱「案件數」已是項目 cases 的名稱；新的項目請用另一個名稱"]),
])
def test_a_plan_file_with_its_own_field_uploaded_to_the_editor_is_checked_and_kept(folder, name, expected):
    from dataclasses import replace as replaced

    from metrics.plans.planning import goals_table, indicators_table, plan_from_tables

    files = load_catalogue(FIXTURE_PLANS)  # the store's catalogue before the plan is saved: training not in force
    uploaded = load_catalogue(folder).plan(113, "乙處")
    uploaded = replaced(uploaded, fields=tuple(replaced(f, name=name) if f.code == "training" else f
                                               for f in uploaded.fields))
    plan, problems = plan_from_tables(uploaded, goals_table(uploaded), indicators_table(uploaded), files,
                                      title=uploaded.title, source=uploaded.source)
    assert problems == expected
    if not expected:
        assert plan.field("training") == uploaded.field("training")
