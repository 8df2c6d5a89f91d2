"""The plan catalogue as files: what ships, how units and their names resolve, and a corpus of broken
catalogues, each refused with its own message (file, key, line) and exit status 2 on the command line."""

from __future__ import annotations

import shutil
from dataclasses import replace
from decimal import Decimal
from pathlib import Path

import pytest

from catalogues import CATALOGUE, FIXTURE_PLANS, GOLDEN_PLANS, PLAN_112, SAMPLE_CATALOGUE
from metrics import cli
from metrics.plans.catalogue import load_catalogue, parse_plan
from metrics.plans.toml_writing import plan_document
from metrics.plans.kinds import KINDS
from metrics.errors import PlanError, PlanNotFound

# ---- what ships ----


def test_the_official_catalogue_holds_the_real_plan_and_no_sample():
    assert (112, "政風處") in CATALOGUE.keys() and not PLAN_112.sample
    assert not any(CATALOGUE.plan(*key).sample for key in CATALOGUE.keys())
    assert not any(year.sample for year in CATALOGUE.common.years.values())


def test_sample_plans_are_labelled_範例_everywhere():
    samples = [SAMPLE_CATALOGUE.plan(*key) for key in SAMPLE_CATALOGUE.keys() if key not in CATALOGUE.plans]
    assert [(plan.year, plan.unit) for plan in samples] == [(112, "主計處"), (112, "人事處"), (113, "工務處"), (113, "政風處")]
    for plan in samples:
        assert plan.sample and "範例" in plan.label and "範例" in plan.version_text and "範例" in plan.title
    assert SAMPLE_CATALOGUE.official().plans == CATALOGUE.plans


def test_a_unit_and_year_without_a_plan_names_the_plans_that_exist():
    fixture = load_catalogue(FIXTURE_PLANS)
    with pytest.raises(PlanNotFound) as caught:
        fixture.plan(114, "乙處")
    assert str(caught.value) == ("沒有 乙處 114 年度的計畫，不能計算或儲存該單位該年度的數字。"
                                 "現有計畫：112 年度 舊甲處、乙處、丙處；113 年度 甲處、丙處。")
    with pytest.raises(PlanNotFound, match="113 年度 工務處（範例）、政風處（範例）"):
        SAMPLE_CATALOGUE.plan(114, "人事處")


@pytest.mark.parametrize(("text", "unit"), [
    ("政風處", "政風處"), ("新竹縣政府政風處", "政風處"), ("新竹縣政府 政風處", "政風處"), ("政風處　", "政風處"),
    ("交旅處", "交通處"), ("交通旅遊處", "交通處"), ("新竹縣政府交通旅遊處", "交通處"), ("交通處", "交通處"),
    ("環保局", "環境保護局"), ("新聞處", "傳播行銷處"),
    ("法制處", None), ("王小明 A123456789", None), ("=HYPERLINK(\"x\")", None), ("", None),
])
def test_units_resolve_through_their_names_and_former_names(text, unit):
    found = CATALOGUE.units.resolve(text)
    assert (found.name if found else None) == unit


def test_a_renamed_unit_is_one_unit_named_as_it_was_each_year():
    transport = CATALOGUE.units.get("交通處")
    assert [transport.name_in(year) for year in (112, 114, 115, 116)] == ["交通旅遊處", "交通旅遊處", "交通處", "交通處"]
    assert transport.organisation_in(114) == "新竹縣政府交通旅遊處"


def test_nearest_units_are_few_and_close():
    nearest = CATALOGUE.units.nearest("政風室")
    assert nearest[0] == "政風處" and len(nearest) <= 10
    assert len(CATALOGUE.units.nearest("處")) <= 10


@pytest.mark.parametrize("key", SAMPLE_CATALOGUE.keys(), ids=str)
def test_every_plan_survives_its_own_document(key):
    plan = SAMPLE_CATALOGUE.plan(*key)
    again = parse_plan(plan_document(plan), SAMPLE_CATALOGUE, sample=plan.sample)
    assert replace(again, origin=plan.origin) == plan


def test_the_fixture_catalogue_reads_a_former_name_as_the_same_unit():
    fixture = load_catalogue(FIXTURE_PLANS)
    assert fixture.keys() == [(112, "丙處"), (112, "乙處"), (112, "甲處"), (113, "丙處"), (113, "甲處")]
    assert fixture.plan(112, "甲處").unit_name == "舊甲處" and fixture.plan(113, "甲處").unit_name == "甲處"
    assert fixture.plan(113, "甲處").indicator_by_id["9"].target == Decimal(60)  # the common set's 113 target


# ---- a corpus of broken catalogues ----

def broken_copy(tmp_path: Path, source: Path, edits: dict[str, tuple[str, str] | str | None]) -> Path:
    """A copy of a catalogue with files edited: path → (old, new) replaced once, new text, or None (deleted)."""
    folder = tmp_path / "plans"
    shutil.copytree(source, folder)
    for name, edit in edits.items():
        path = folder / name
        if edit is None:
            path.unlink()
        elif isinstance(edit, str):
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(edit, encoding="utf-8")
        else:
            old, new = edit
            text = path.read_text(encoding="utf-8")
            assert old in text, (name, old)
            path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return folder


OWN = "112/政風處.toml"
FIXTURE_OWN = "112/乙處.toml"
def _own_field(code: str, name: str, unit: str = "場") -> str:
    return (f'[[field]]\ncode = "{code}"\nname = "{name}"\nunit = "{unit}"\naggregation = "flow"\nquantity = "count"\n'
            'help = "x"\n\n')


BROKEN = [
    # (id, catalogue, edits, fragments expected in the one message)
    ("unknown field", GOLDEN_PLANS, {OWN: ('numerator = ["warning_cases"]', 'numerator = ["warning_case"]')},
     ["plans/112/政風處.toml", "indicator（指標 1）的 numerator，第 51 行", "項目「warning_case」不在 fields.toml 中",
      "是不是「warning_cases」"]),
    ("duplicate indicator id", GOLDEN_PLANS, {OWN: ('id = "2"', 'id = "1"')},
     ["plans/112/政風處.toml（指標 1", "指標 1 重複宣告"]),
    ("missing weight", GOLDEN_PLANS, {OWN: ("weight = 12.5\ntarget = 130", "target = 130")},
     ["第 2 個 indicator（指標 2）的 weight，第 55 行", "缺少此設定（應為大於 0 的數字"]),
    ("missing target", GOLDEN_PLANS, {OWN: ("target = 150\n", "")},
     ["第 3 個 indicator（指標 3）的 target", "缺少此設定"]),
    ("zero target", GOLDEN_PLANS, {OWN: ("target = 150\n", "target = 0\n")},
     ["指標 3）的 target", "應為大於 0 的數字，卻是 0"]),
    ("weight as text", GOLDEN_PLANS, {OWN: ("weight = 12.5", 'weight = "12.5%"')},
     ["指標 1）的 weight", "應為數字（不要加引號或 %）"]),
    ("a formula that does not exist", GOLDEN_PLANS, {OWN: ('formula = "count"', 'formula = "median"')},
     ["指標 1）的 formula", f"公式「median」不存在（可用：{'、'.join(sorted(KINDS))}）"]),
    ("a misspelt key", GOLDEN_PLANS, {OWN: ("weight = 12.5", "wieght = 12.5")},
     ["未知的設定「wieght」；是不是「weight」？"]),
    ("an alias claimed by two units", GOLDEN_PLANS,
     {"units.toml": ('name = "人事處"', 'name = "人事處"\naliases = ["政風處"]')},
     ["plans/units.toml", "名稱「政風處」同時屬於單位「人事處」與「政風處」"]),
    ("a common indicator redeclared with another formula", GOLDEN_PLANS,
     {OWN: ("[[indicator]]\nid = \"1\"", "[[indicator]]\nid = \"7\"\ngoal = 5\nname = \"客語\"\nmeasure = \"x\"\n"
                                        "weight = 1\ntarget = 1\nunit = \"人\"\nformula = \"count\"\n"
                                        "numerator = [\"hakka_certified\"]\nhelp = \"x\"\n\n[[indicator]]\nid = \"1\"")},
     ["指標 7 是共同性指標，已在 common.toml 宣告，單位計畫不可重新宣告", "公式"]),
    ("a common goal redeclared", GOLDEN_PLANS,
     {OWN: ("[[goal]]\nnumber = 5", "[[goal]]\nnumber = 6\ntitle = \"x\"\n\n[[goal]]\nnumber = 5")},
     ["策略目標 6 是共同性目標"]),
    ("a goal without indicators", GOLDEN_PLANS,
     {OWN: ("[[goal]]\nnumber = 5", "[[goal]]\nnumber = 11\ntitle = \"新目標\"\n\n[[goal]]\nnumber = 5")},
     ["策略目標 11 沒有任何指標"]),
    ("TOML that does not parse", GOLDEN_PLANS, {OWN: ("weight = 12.5", "weight = = 12.5")},
     ["plans/112/政風處.toml：TOML 格式錯誤（第 47 行第 10 字"]),
    ("a unit that is not the county's", GOLDEN_PLANS, {"112/法制處.toml": 'year = 112\nunit = "法制處"\n'},
     ["plans/112/法制處.toml", "單位「法制處」不在 units.toml 中"]),
    ("a file in another year's folder", GOLDEN_PLANS, {"113/政風處.toml": 'year = 112\nunit = "政風處"\n'},
     ["plans/113/政風處.toml", "year = 112，但檔案放在 113 年度的資料夾"]),
    ("a copied file whose unit was not changed", GOLDEN_PLANS, {"112/人事處.toml": 'year = 112\nunit = "政風處"\n'},
     ["plans/112/人事處.toml", "但檔名是「人事處」"]),
    ("a year the common set has no targets for", GOLDEN_PLANS, {"113/人事處.toml": 'year = 113\nunit = "人事處"\n'},
     ["plans/113/人事處.toml", "common.toml 沒有 113 年度的共同性指標目標值與權重"]),
    ("a unit before it existed", GOLDEN_PLANS, {"112/數位發展處.toml": 'year = 112\nunit = "數位發展處"\n'},
     ["數位發展處自 115 年度起才設立"]),
    ("the same plan in two files", GOLDEN_PLANS,
     {"112/新竹縣政府政風處.toml": (GOLDEN_PLANS / OWN).read_text(encoding="utf-8")},
     ["同一單位同一年度只能有一個計畫檔"]),
    ("a weight over 100 %", GOLDEN_PLANS, {OWN: ("weight = 12.5", "weight = 120")},
     ["指標 1 權重 120% 超過 100%"]),
    ("a target above the indicator's upper bound", GOLDEN_PLANS, {"common.toml": ('"8" = 85', '"8" = 120')},
     ["指標 8 目標值 120 超過此指標的上限 100（upper_bound），無法達成"]),
    ("an upper bound of 0", GOLDEN_PLANS, {"common.toml": ("upper_bound = 100", "upper_bound = 0")},
     ["common.toml", "指標 7）的 upper_bound", "應為大於 0 的數字，卻是 0"]),
    ("an upper bound as text", GOLDEN_PLANS, {"common.toml": ("upper_bound = 100", 'upper_bound = "100%"')},
     ["指標 7）的 upper_bound", "應為數字（不要加引號或 %）"]),
    ("a duplicate field code", FIXTURE_PLANS, {"fields.toml": ('code = "done"', 'code = "cases"')},
     ["fields.toml", "項目代碼 cases 重複宣告"]),
    ("a common year missing a weight", FIXTURE_PLANS, {"common.toml": ('weights = { "9" = 10 }\n\n[years.113]',
                                                                      'weights = { }\n\n[years.113]')},
     ["common.toml", "缺少指標 9 的權重"]),
    ("a ratio without a denominator", FIXTURE_PLANS, {FIXTURE_OWN: ('denominator = ["total"]\n', "")},
     ["公式 percent 是比率，須有分母項目"]),
    ("a gap template with an unknown placeholder", FIXTURE_PLANS,
     {FIXTURE_OWN: ('gap_template = "還需 {amount} 件"', 'gap_template = "還需 {amount} {thing}"')},
     ["只能使用 {amount} 與 {unit}"]),
    ("a missing catalogue file", FIXTURE_PLANS, {"units.toml": None}, ["units.toml：找不到此檔案"]),
    ("an empty plan file", FIXTURE_PLANS, {"113/乙處.toml": ""}, ["113/乙處.toml：檔案是空的"]),
    ("a folder that is not a year", FIXTURE_PLANS, {"113年/乙處.toml": 'year = 113\nunit = "乙處"\n'},
     ["113年：資料夾名稱須為民國年度數字"]),
    ("a plan file outside a year folder", FIXTURE_PLANS, {"乙處_113.toml": 'year = 113\nunit = "乙處"\n'},
     ["乙處_113.toml：計畫檔須放在年度資料夾中"]),
    ("a plan's own field named like a field of fields.toml", FIXTURE_PLANS,
     {FIXTURE_OWN: ("[[goal]]", _own_field("training", "案件數") + "[[goal]]")},
     ["112/乙處.toml", "項目 training 的名稱「案件數」已是項目 cases 的名稱"]),
    ("a plan redefining a field of fields.toml", FIXTURE_PLANS,
     {FIXTURE_OWN: ("[[goal]]", _own_field("cases", "案件數") + "[[goal]]")},
     ["112/乙處.toml", "項目 cases 與 fields.toml 的宣告不同"]),
    ("two plans giving one new code two definitions", FIXTURE_PLANS,
     {FIXTURE_OWN: (FIXTURE_PLANS / FIXTURE_OWN).read_text(encoding="utf-8").replace(
         "[[goal]]", _own_field("training", "訓練場次") + "[[goal]]").replace('numerator = ["done"]', 'numerator = ["training"]'),
      "112/甲處.toml": ("[[goal]]", _own_field("training", "訓練場次", unit="次") + "[[goal]]")},
     ["112/甲處.toml", "項目 training 已由其他計畫以不同的定義使用"]),
]


@pytest.mark.parametrize("case", BROKEN, ids=[case[0] for case in BROKEN])
def test_every_broken_catalogue_is_refused_with_its_own_message(case, tmp_path):
    _, source, edits, fragments = case
    folder = broken_copy(tmp_path, source, edits)
    with pytest.raises(PlanError) as caught:
        load_catalogue(folder)
    message = str(caught.value)
    for fragment in fragments:
        assert fragment.replace("plans/", "") in message, message


@pytest.mark.parametrize("case", BROKEN[:3] + BROKEN[-3:], ids=[case[0] for case in BROKEN[:3] + BROKEN[-3:]])
def test_plans_check_exits_2_with_the_message(case, tmp_path, capsys):
    _, source, edits, fragments = case
    folder = broken_copy(tmp_path, source, edits)
    assert cli.main(["--plans", str(folder), "plans", "check"]) == 2
    error = capsys.readouterr().err
    assert error.startswith("錯誤：計畫目錄有誤") and fragments[-1] in error and "Traceback" not in error


def test_plans_check_on_the_shipped_catalogue(capsys, monkeypatch):
    monkeypatch.delenv("KPI_PLANS_DIR")  # the deployment's plans/ itself, with the sample plans on top
    monkeypatch.delenv("KPI_SAMPLE_PLANS_BASE")
    assert cli.main(["plans", "check"]) == 0
    assert "計畫目錄無誤" in capsys.readouterr().out


def test_every_problem_of_every_file_is_listed_at_once(tmp_path):
    folder = broken_copy(tmp_path, GOLDEN_PLANS, {
        OWN: ('formula = "count"', 'formula = "median"'),
        "112/法制處.toml": 'year = 112\nunit = "法制處"\n'})
    with pytest.raises(PlanError) as caught:
        load_catalogue(folder)
    assert "公式「median」不存在" in str(caught.value) and "單位「法制處」不在 units.toml 中" in str(caught.value)


def _budget_block(document: str) -> tuple[int, int]:
    start = document.index('[[indicator]]\nid = "8"')
    return start, document.index("[[indicator]]", start + 1)


def test_a_common_indicators_upper_bound_is_kept_through_its_document_and_cannot_be_changed():
    plan = CATALOGUE.plan(112, "政風處")
    document = plan_document(plan)
    start, end = _budget_block(document)
    assert "upper_bound = 100" in document[start:end]
    assert parse_plan(document, CATALOGUE).indicator_by_id["8"].upper_bound == 100
    older = document[:start] + document[start:end].replace("upper_bound = 100\n", "") + document[end:]
    assert parse_plan(older, CATALOGUE).indicator_by_id["8"].upper_bound == 100  # saved before upper_bound existed
    changed = document[:start] + document[start:end].replace("upper_bound = 100", "upper_bound = 120") + document[end:]
    with pytest.raises(PlanError, match="共同性指標 8 不可改變上限"):
        parse_plan(changed, CATALOGUE)


def test_the_sample_plans_go_only_on_the_catalogue_they_were_written_for(monkeypatch):
    from metrics.plans.catalogue import PLANS_DIRECTORY, SAMPLE_PLANS_DIRECTORY, sample_plans_for

    monkeypatch.delenv("KPI_SAMPLE_PLANS_BASE")
    assert sample_plans_for(PLANS_DIRECTORY) == SAMPLE_PLANS_DIRECTORY
    assert sample_plans_for(GOLDEN_PLANS) is None and sample_plans_for(FIXTURE_PLANS) is None
    monkeypatch.setenv("KPI_SAMPLE_PLANS_BASE", str(GOLDEN_PLANS))  # the tests' frozen copy of plans/
    assert sample_plans_for(GOLDEN_PLANS) == SAMPLE_PLANS_DIRECTORY
    assert sample_plans_for(PLANS_DIRECTORY) is None and sample_plans_for(FIXTURE_PLANS) is None
