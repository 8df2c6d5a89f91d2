"""What the pages compute from the figures is cached under the data version the store reports on each run, and the
version travels inside the Source passed: a change made elsewhere (another app server sharing the store) is shown
on the next run, and an unchanged version computes nothing again."""

import ast
from pathlib import Path

import pandas as pd
import pytest

from catalogues import CATALOGUE
from metrics.intake.monthly import read_upload
from metrics.store import Store
from test_pages import long_csv, metrics, open_app, texts
from ui.data import DataVersion, Source, cached_on_source

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
                    if name in ("st.cache_resource", "st.cache_data", "cached_on_source"):
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
        if decorator == "cached_on_source":
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
