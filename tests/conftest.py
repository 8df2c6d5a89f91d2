"""Fixtures shared by the test files.

`store_url` runs a test once on SQLite (a file in tmp_path) and once on PostgreSQL, in a
schema of its own that is created before and dropped after the test, so parallel runs
(pytest-xdist) and other tests never see each other's data. The schema travels inside the
URL (options=-csearch_path=...), so a subprocess given the URL (the command line) is isolated too.

PostgreSQL comes from KPI_TEST_POSTGRES_URL (default postgresql+psycopg://root@127.0.0.1:5432/test).
If it cannot be reached the PostgreSQL half is skipped, except in CI (env CI set) or with
KPI_REQUIRE_POSTGRES=1, where it fails: CI must never skip it silently.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

import metrics.services  # noqa: F401  installs the words of the store's refusals, as every page and command does

DEFAULT_TEST_POSTGRES_URL = "postgresql+psycopg://root@127.0.0.1:5432/test"
GOLDEN_PLANS = Path(__file__).resolve().parent / "golden_plans"


@pytest.fixture(autouse=True)
def golden_plans_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    """The app and the command line read tests/golden_plans/ (plans/ frozen with the 政風處 112 golden numbers),
    with the sample plans on top, unless a test names its own catalogue: plans/ is deployment data that no test
    depends on (tests/catalogues.py)."""
    if not os.environ.get("KPI_PLANS_DIR"):
        monkeypatch.setenv("KPI_PLANS_DIR", str(GOLDEN_PLANS))
    monkeypatch.setenv("KPI_SAMPLE_PLANS_BASE", str(GOLDEN_PLANS))


def postgres_required() -> bool:
    return bool(os.environ.get("CI")) or os.environ.get("KPI_REQUIRE_POSTGRES") == "1"


@pytest.fixture(scope="session")
def postgres_server_url() -> str:
    url = os.environ.get("KPI_TEST_POSTGRES_URL") or DEFAULT_TEST_POSTGRES_URL
    engine = sa.create_engine(url, connect_args={"connect_timeout": 5}, poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as connection:
            connection.execute(sa.text("SELECT 1"))
    except Exception as error:  # any failure to reach the server means the same thing here
        shown = sa.engine.make_url(url).render_as_string(hide_password=True)
        message = f"PostgreSQL at {shown} is not reachable: {error}"
        if postgres_required():
            pytest.fail(message + " (CI or KPI_REQUIRE_POSTGRES=1: PostgreSQL tests must run)", pytrace=False)
        pytest.skip(message)
    finally:
        engine.dispose()
    return url


@pytest.fixture
def postgres_url(postgres_server_url: str) -> Iterator[str]:
    """A URL whose search_path is a fresh schema, dropped after the test."""
    schema = f"kpi_test_{uuid.uuid4().hex[:16]}"
    admin = sa.create_engine(postgres_server_url, poolclass=sa.pool.NullPool)
    with admin.begin() as connection:
        connection.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    url = sa.engine.make_url(postgres_server_url).update_query_dict({"options": f"-csearch_path={schema}"})
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.begin() as connection:
            connection.execute(sa.text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def store_url(request: pytest.FixtureRequest, tmp_path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'kpi.sqlite3'}"
    return request.getfixturevalue("postgres_url")


@pytest.fixture
def database(tmp_path, monkeypatch, request: pytest.FixtureRequest) -> str:
    """An SQLite store of the test's own, which the pages (AppTest) open through KPI_DB_URL; with
    KPI_TEST_DATABASE=postgresql a PostgreSQL schema of its own instead (the same tests on the other database)."""
    if os.environ.get("KPI_TEST_DATABASE") == "postgresql":
        url = request.getfixturevalue("postgres_url")
    else:
        url = f"sqlite:///{tmp_path / 'kpi.sqlite3'}"
    monkeypatch.setenv("KPI_DB_URL", url)
    return url


@pytest.fixture
def two_unit_plans(tmp_path, monkeypatch) -> Path:
    """The golden plans plus an official 人事處 112 plan (the sample one, unmarked), through KPI_PLANS_DIR: two units
    with official plans side by side, for the pages that show one unit's people another's figures."""
    import shutil

    from metrics.plans.catalogue import SAMPLE_PLANS_DIRECTORY

    plans = tmp_path / "plans"
    shutil.copytree(GOLDEN_PLANS, plans)
    text = (SAMPLE_PLANS_DIRECTORY / "112" / "人事處.toml").read_text(encoding="utf-8")
    (plans / "112" / "人事處.toml").write_text(text.replace("sample = true\n", ""), encoding="utf-8")
    monkeypatch.setenv("KPI_PLANS_DIR", str(plans))
    return plans
