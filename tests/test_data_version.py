"""What the pages compute from the figures is cached under the data version the store reports on each run, and the
version travels inside the Source passed: a change made elsewhere (another app server sharing the store) is shown
on the next run, and an unchanged version computes nothing again."""

import ast
import datetime as dt
from dataclasses import replace
from decimal import Decimal
from pathlib import Path

import pandas as pd
import pytest

from catalogues import CATALOGUE, FIXTURE_KINDS, FIXTURE_PLANS
from metrics.intake.monthly import read_upload
from metrics.plans.catalogue import load_catalogue
from metrics.intake.tidy import TIDY_COLUMNS
from metrics.store import BatchInfo, Store
from test_pages import long_csv, metrics, open_app, texts
from ui.data import DataVersion, Source, cached_on_source, cached_on_unit, unit_key

ROOT = Path(__file__).resolve().parent.parent
CALLS: list[tuple[DataVersion, int]] = []


@cached_on_source(max_entries=8)
def figures_in(source: Source, month: int) -> int:
    CALLS.append((source.data_version, month))
    return len(source.frame) * 100 + month


def source(version: DataVersion, rows: int = 1) -> Source:
    return Source(store=None, history=[], frame=pd.DataFrame({"value": range(rows)}), catalogue=None,
                  data_version=version)


FIRST = DataVersion("sqlite:///a", (1, 0, 1))


@pytest.mark.parametrize(("later", "computed_again"), [
    (FIRST, False),                                   # same store, same version
    (DataVersion("sqlite:///a", (1, 0, 1)), False),   # equal, though another object
    (DataVersion("sqlite:///a", (2, 0, 1)), True),    # a new upload
    (DataVersion("sqlite:///a", (1, 1, 1)), True),    # an undo
    (DataVersion("sqlite:///a", (1, 0, 2)), True),    # a new plan version
    (DataVersion("sqlite:///a", (1, 0, 1), sample=True), True),  # the sample shown instead
    (DataVersion("sqlite:///b", (1, 0, 1)), True),    # another store at the same version
])
def test_the_data_version_inside_the_source_is_the_key(later, computed_again):
    figures_in.clear()
    CALLS.clear()
    assert figures_in(source(FIRST, rows=3), 4) == 304
    # The frame differs but the version says the content is the same: only a new version computes again.
    assert figures_in(source(later, rows=5), 4) == (504 if computed_again else 304)
    assert CALLS == [(FIRST, 4)] + ([(later, 4)] if computed_again else [])


def test_another_argument_is_part_of_the_key_too():
    figures_in.clear()
    CALLS.clear()
    assert [figures_in(source(FIRST), month) for month in (1, 2, 1)] == [101, 102, 101]
    assert CALLS == [(FIRST, 1), (FIRST, 2)]


def test_kept_looks_up_without_making():
    """What the county page asks of the overview's evaluations: the one kept for these arguments, or None;
    asking never computes."""
    figures_in.clear()
    CALLS.clear()
    assert figures_in.kept(source(FIRST), 1) is None
    assert figures_in(source(FIRST), 1) == 101
    assert figures_in.kept(source(FIRST), 1) == 101
    assert figures_in.kept(source(FIRST), 2) is None
    assert figures_in.kept(source(DataVersion("sqlite:///a", (2, 0, 1))), 1) is None  # another version
    assert CALLS == [(FIRST, 1)]


UNIT_PLANS = load_catalogue(FIXTURE_PLANS)  # 甲處, 乙處 and 丙處 in 112 and 113
KIND_PLANS = load_catalogue(FIXTURE_KINDS)  # 丁處 114, whose growth indicators read 113's and 110's figures


def batch(number: int, *, undone: bool = False, store: str = "") -> BatchInfo:
    """Batch `number` as the store lists it; `store` names another database's batch of the same number."""
    moment = dt.datetime(2026, 12, 1, tzinfo=dt.timezone.utc) + dt.timedelta(minutes=number)
    if store:
        moment += dt.timedelta(days=1)
    return BatchInfo(number, f"{store}{number}.csv", "0" * 64, moment, "", 1, moment if undone else None, "", 1)


def unit_source(version: DataVersion, batches: dict[tuple[int, str], list[int]], catalogue=UNIT_PLANS, *,
                undone: tuple[int, ...] = (), store: str = "") -> Source:
    """A source whose frame holds these batches' values. Each case has a data version of its own: what is
    computed from a source is kept per data version, as the store's are (equal versions, equal content)."""
    rows = [(year, unit, number) for (year, unit), numbers in batches.items() for number in numbers]
    history = [batch(number, undone=number in undone, store=store)
               for number in sorted({row[2] for row in rows} | set(undone), reverse=True)]
    return Source(store=None, history=history, frame=pd.DataFrame(rows, columns=["year", "unit", "batch_id"]),
                  catalogue=catalogue, data_version=version)


UNITS_BEFORE = unit_source(DataVersion("sqlite:///a", (5, 0, 1)), {(112, "甲處"): [1, 4], (112, "乙處"): [2, 5]})


@pytest.mark.parametrize(("after", "same_for_甲處", "same_for_乙處"), [
    # 乙處 uploads (batch 6): 甲處's figures are what they were
    (unit_source(DataVersion("sqlite:///a", (6, 0, 1)), {(112, "甲處"): [1, 4], (112, "乙處"): [2, 6]}), True, False),
    # an upload of 甲處's 113 figures: its 112 figures are what they were
    (unit_source(DataVersion("sqlite:///a", (7, 0, 1)), {(112, "甲處"): [1, 4], (112, "乙處"): [2, 5],
                                                         (113, "甲處"): [7]}), True, True),
    # an undo (batch 4), whichever unit it touched
    (unit_source(DataVersion("sqlite:///a", (5, 1, 1)), {(112, "甲處"): [1], (112, "乙處"): [2, 5]}, undone=(4,)),
     False, False),
    # a database made anew at the same URL: the same numbers, other batches
    (unit_source(DataVersion("sqlite:///a", (8, 0, 1)), {(112, "甲處"): [1, 4], (112, "乙處"): [2, 8]},
                 store="another"), False, False),
    # a new plan version
    (unit_source(DataVersion("sqlite:///a", (5, 0, 2)), {(112, "甲處"): [1, 4], (112, "乙處"): [2, 5]}), False, False),
    # another store with the same numbers
    (unit_source(DataVersion("sqlite:///b", (5, 0, 1)), {(112, "甲處"): [1, 4], (112, "乙處"): [2, 5]}), False, False),
    # the sample shown instead: keyed by its whole version
    (unit_source(DataVersion("sqlite:///a", (5, 0, 1), sample=True), {(112, "甲處"): [1, 4], (112, "乙處"): [2, 5]}),
     False, False),
])
def test_a_units_key_changes_with_its_own_figures_plans_and_undos_only(after, same_for_甲處, same_for_乙處):
    assert (unit_key(after, 112, "甲處") == unit_key(UNITS_BEFORE, 112, "甲處")) is same_for_甲處
    assert (unit_key(after, 112, "乙處") == unit_key(UNITS_BEFORE, 112, "乙處")) is same_for_乙處


def test_what_reads_the_previous_year_too_is_keyed_by_it():
    """cached_on_unit(previous_years=1) (the overview's comparison with the same month last year): the unit's upload
    of the year before makes it again, another unit's upload or a later year does not."""
    made = []

    @cached_on_unit(max_entries=8, previous_years=1)
    def compared(source: Source, year: int, unit: str) -> int:
        made.append(source.data_version.version)
        return len(made)

    before = unit_source(DataVersion("sqlite:///p", (2, 0, 1)), {(113, "甲處"): [1], (112, "甲處"): [2]})
    assert compared(before, 113, "甲處") == 1
    for version, batches, again in [
        ((3, 0, 1), {(113, "甲處"): [1], (112, "甲處"): [2], (113, "乙處"): [3]}, False),   # another unit
        ((4, 0, 1), {(113, "甲處"): [1], (112, "甲處"): [2], (114, "甲處"): [4]}, False),   # a later year
        ((5, 0, 1), {(113, "甲處"): [1], (112, "甲處"): [2, 5]}, True),                     # the year before
    ]:
        count = len(made)
        compared(unit_source(DataVersion("sqlite:///p", version), batches), 113, "甲處")
        assert (len(made) > count) is again, version


@pytest.mark.parametrize(("year", "same"), [(113, False), (110, False), (111, True), (115, True)])
def test_a_plan_reading_a_base_years_figures_is_keyed_by_them_too(year, same):
    """丁處 114's growth indicators compare with 113 and 110: an upload of those years changes its key."""
    before = unit_source(DataVersion("sqlite:///k", (3, 0, 1)), {(114, "丁處"): [1], (113, "丁處"): [2],
                                                                (110, "丁處"): [3]}, KIND_PLANS)
    after = unit_source(DataVersion("sqlite:///k", (year, 0, 1)), {(114, "丁處"): [1], (113, "丁處"): [2],
                                                               (110, "丁處"): [3], (year, "丁處"): [year]}, KIND_PLANS)
    assert (unit_key(after, 114, "丁處") == unit_key(before, 114, "丁處")) is same


@pytest.mark.parametrize(("rows", "expected"), [
    ([], {}),
    # in key order (a stored frame): each (year, unit) one run
    ([(112, "乙處", 2), (112, "乙處", 5), (112, "甲處", 4), (113, "甲處", 1)],
     {(112, "乙處"): (2, 5), (112, "甲處"): (1, 4), (113, "甲處"): (1, 1)}),
    # not in key order (the sample): a unit's rows apart, the newest batch not last
    ([(112, "甲處", 4), (112, "乙處", 2), (112, "甲處", 1), (113, "甲處", 3), (112, "甲處", 2)],
     {(112, "甲處"): (3, 4), (112, "乙處"): (1, 2), (113, "甲處"): (1, 3)}),
])
def test_figures_per_unit_counts_and_names_the_newest_batch(rows, expected):
    from ui.data import figures_per_unit

    version = DataVersion("sqlite:///per-unit", (len(rows), 0, 1, len(str(rows))))  # a version of its own per case
    source = Source(store=None, history=[], frame=pd.DataFrame(rows, columns=["year", "unit", "batch_id"]),
                    catalogue=UNIT_PLANS, data_version=version)
    assert figures_per_unit(source) == expected
    sample = Source(store=None, history=[], frame=pd.DataFrame(rows, columns=["year", "unit", "batch_id"]).drop(
        columns="batch_id"), catalogue=UNIT_PLANS, data_version=replace(version, sample=True))
    assert figures_per_unit(sample) == {key: (count, 0) for key, (count, _) in expected.items()}  # not stored


def test_a_unit_without_figures_has_a_key_that_its_first_upload_changes():
    empty = unit_source(DataVersion("sqlite:///a", (0, 0, 1)), {})
    first = unit_source(DataVersion("sqlite:///a", (1, 0, 1)), {(112, "甲處"): [1]})
    assert unit_key(empty, 112, "甲處") != unit_key(first, 112, "甲處")
    assert unit_key(empty, 112, "乙處") == unit_key(first, 112, "乙處")


def test_another_units_upload_keeps_a_units_evaluation_and_its_own_upload_makes_it_again(database, two_unit_plans):
    """Through the pages' own caches on a real store: 政風處's evaluation is kept across 人事處's upload (the same
    object), made again after its own upload or any undo, and always equal to evaluating the store's figures."""
    from metrics.evaluation.core import evaluate
    from metrics.evaluation.figures import Figures
    from metrics.plans.catalogue import load_catalogue
    from ui.data import current_source
    from ui.layout import official_evaluation

    catalogue = load_catalogue(two_unit_plans)
    personnel = catalogue.plan(112, "人事處").fields[0].code

    def upload(unit: str, field: str, month: int, value: int) -> int:
        frame = pd.DataFrame([(112, month, unit, field, Decimal(value), "x.csv", "", "E2")], columns=list(TIDY_COLUMNS))
        return Store(database).ingest(frame, file_name=f"{unit}{month}.csv", file_bytes=f"{unit}{month}".encode()).batch_id

    def evaluation() -> object:
        source = current_source()
        made = official_evaluation(source, 112, "政風處", 3)
        fresh = evaluate(Figures.from_frame(source.catalogue.plan(112, "政風處"), Store(database).current_frame()), 3)
        assert made == fresh
        return made

    upload("政風處", "procurement_audits", 1, 4)
    upload("人事處", personnel, 1, 7)
    first = evaluation()
    upload("人事處", personnel, 2, 8)
    assert evaluation() is first
    upload("政風處", "procurement_audits", 2, 5)
    second = evaluation()
    assert second is not first and second != first
    Store(database).undo(upload("人事處", personnel, 3, 9))
    assert evaluation() is not second


@pytest.mark.parametrize("few", [0, 4])
def test_the_countys_figures_are_each_units_kept_ones_and_another_upload_reads_that_unit_only(database, two_unit_plans,
                                                                                              monkeypatch, few):
    """plans_figures (the county's figures of every unit): equal to reading each plan's figures afresh, whether the
    missing ones are split in one pass (few=0) or read one by one (few=4); the same objects as the overview's
    (period_figures) and, after one unit's upload, the other unit's kept ones with only the uploader's read again."""
    from metrics.evaluation.figures import Figures
    from metrics.plans.catalogue import load_catalogue
    from ui import layout
    from ui.data import current_source

    monkeypatch.setattr(layout, "FEW_TO_SPLIT", few)
    personnel = load_catalogue(two_unit_plans).plan(112, "人事處").fields[0].code
    keys = [(112, "政風處"), (112, "人事處")]

    def upload(unit: str, field: str, month: int, value: int) -> None:
        frame = pd.DataFrame([(112, month, unit, field, Decimal(value), "x.csv", "", "E2")], columns=list(TIDY_COLUMNS))
        Store(database).ingest(frame, file_name=f"{unit}{month}.csv", file_bytes=f"{unit}{month}".encode())

    def figures() -> dict:
        source = current_source()
        made = layout.plans_figures(source, keys)
        stored = Store(database).current_frame()
        assert made == {key: Figures.from_frame(source.catalogue.plan(*key), stored) for key in keys}
        assert all(made[key] is layout.period_figures(source, *key) for key in keys)
        return made

    upload("政風處", "procurement_audits", 1, 4)
    upload("人事處", personnel, 1, 7)
    first = figures()
    upload("人事處", personnel, 2, 8)
    second = figures()
    assert second[(112, "政風處")] is first[(112, "政風處")]
    assert second[(112, "人事處")] is not first[(112, "人事處")]


def test_a_backup_restored_at_the_same_url_then_an_upload_is_not_taken_for_the_old_batch(tmp_path):
    """An app server keeps running while the database behind its URL is replaced by an older backup, and a unit
    uploads a correction: the store numbers it batch 2 again, but it is not the old batch 2 (found in review)."""
    from catalogues import SIDE_BY_SIDE
    from metrics.store.transfer.write import copy_store
    from ui.data import FrameHolder
    from ui.layout import official_evaluation, period_figures

    url = "sqlite:///the-same-url"

    def upload(store: Store, unit: str, value: str, name: str) -> None:
        frame = pd.DataFrame([(112, 1, unit, "procurement_audits", Decimal(value), name, "", "E2")],
                             columns=list(TIDY_COLUMNS))
        store.ingest(frame, file_name=name, file_bytes=name.encode())

    def source_of(store: Store, holder: FrameHolder) -> Source:
        version = DataVersion(url, store.data_version())
        history = store.history()
        return Source(store, history, holder.frame(version, history, store.current_frame), SIDE_BY_SIDE, version)

    live = Store(f"sqlite:///{tmp_path / 'live.sqlite3'}")
    upload(live, "政風處", "11", "a.csv")                     # batch 1
    backup = Store(f"sqlite:///{tmp_path / 'backup.sqlite3'}")
    copy_store(live, backup)                                 # what a restore writes: the same rows
    upload(live, "政風處", "12", "b.csv")                     # batch 2
    upload(live, "人事處", "5", "c.csv")                      # batch 3
    holder = FrameHolder()
    before = source_of(live, holder)
    assert period_figures(before, 112, "政風處").values["procurement_audits"][1] == Decimal(12)
    official_evaluation(before, 112, "政風處", 1)
    upload(backup, "政風處", "13", "d.csv")                   # batch 2 of the restored database
    after = source_of(backup, holder)
    assert unit_key(after, 112, "政風處") != unit_key(before, 112, "政風處")
    assert period_figures(after, 112, "政風處").values["procurement_audits"][1] == Decimal(13)
    assert official_evaluation(after, 112, "政風處", 1) == official_evaluation.__wrapped__(after, 112, "政風處", 1)


def store_months(url: str, months: list[int]) -> int:
    data = long_csv([(month, "procurement_audits", 10 + month) for month in months])
    name = f"{'-'.join(map(str, months))}.csv"
    return Store(url).ingest(read_upload(data, name, CATALOGUE), file_name=name, file_bytes=data).batch_id


def test_a_change_made_by_another_server_is_shown_on_the_next_run(database):
    store_months(database, [1, 3])
    app = open_app()
    assert "尚未填報任何數字的月份：2月" in texts(app)
    batch = store_months(database, [2])  # another process: this server's caches know nothing of it
    app.run()
    assert "尚未填報任何數字的月份" not in texts(app)
    Store(database).undo(batch)
    app.run()
    assert "尚未填報任何數字的月份：2月" in texts(app)
    assert metrics(app)["無資料"] == "12 項"


def cached_functions() -> list[tuple[str, str, ast.FunctionDef]]:
    """(file, decorator, function) of every cached function of ui/ and pages/."""
    found = []
    for path in sorted([*ROOT.glob("ui/*.py"), *ROOT.glob("pages/*.py")]):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef):
                for decorator in node.decorator_list:
                    called = decorator.func if isinstance(decorator, ast.Call) else decorator
                    name = ast.unparse(called)
                    if name in ("st.cache_resource", "st.cache_data", "cached_on_source", "cached_on_unit"):
                        found.append((path.name, name, node))
    return found


def test_no_cached_function_takes_a_key_by_hand():
    """What is computed from the figures takes the Source (its version is the key) and nothing unhashed beside it;
    Streamlit's own decorators never see a Source or a page Context, which they would hash field by field."""
    functions = cached_functions()
    assert len([name for _, name, _ in functions if name == "cached_on_source"]) >= 15
    for file, decorator, function in functions:
        arguments = function.args.args
        annotations = {argument.arg: ast.unparse(argument.annotation) if argument.annotation else ""
                       for argument in arguments}
        assert not any(name.endswith("key") and name != "key" for name in annotations), (file, function.name)
        if decorator == "cached_on_unit":  # keyed by (source, year, unit): the unit's content
            assert list(annotations.values())[:3] == ["Source", "int", "str"], (file, function.name)
            assert list(annotations)[1:3] == ["year", "unit"], (file, function.name)
        if decorator in ("cached_on_source", "cached_on_unit"):
            assert annotations and next(iter(annotations.values())) == "Source", (file, function.name)
            assert not [name for name in annotations if name.startswith("_")], (file, function.name)
        else:
            assert not {"Source", "Context"} & set(annotations.values()), (file, function.name)


def test_an_upload_keeps_the_plans_built_and_a_new_plan_version_builds_them_again(database):
    """Building the plans in force costs more than reading the figures at county scale: an upload changes the data
    version but not the plans, so they are not built again; a saved plan version is seen on the next run."""
    from dataclasses import replace

    from metrics.plans.planning import save_plan
    from ui.data import current_source, get_store

    store_months(database, [1])
    first = current_source()
    store_months(database, [2])
    uploaded = current_source()
    assert uploaded.data_version != first.data_version and len(uploaded.frame) == len(first.frame) + 1
    assert uploaded.catalogue is first.catalogue
    plan = next(plan for plan in first.catalogue.plans.values() if not plan.sample)
    save_plan(get_store(), first.catalogue, replace(plan, title="新名稱"), author="王科長")
    saved = current_source()
    assert saved.catalogue is not first.catalogue
    assert saved.catalogue.plan(plan.year, plan.unit).title == "新名稱"
