"""Accounts for page tests: an account made through the core and the token of its login put where a browser
session keeps it, exactly as the login form would. `sign_in(app)` with no arguments gives an account that may
do everything, for tests about something else than permissions."""

from __future__ import annotations

import os

from argon2 import PasswordHasher
from streamlit.testing.v1 import AppTest

from metrics.plans.roles import load_roles
from metrics.plans.catalogue import plans_directory
from metrics.services import Services, command_line
from metrics.store import Store

PASSWORD = "a password for tests"
FAST = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
EVERYTHING = ("reporter", "planner", "administrator")


def services(url: str | None = None) -> Services:
    return Services(Store(url or os.environ["KPI_DB_URL"]), load_roles(plans_directory()), hasher=FAST)


def make_account(url: str | None = None, username: str = "tester", *, roles=EVERYTHING, units=None,
                 display_name: str | None = None) -> None:
    writer = services(url)
    if writer.store.account(username=username) is not None:
        return
    if units is None:
        units = [unit.name for unit in load_catalogue_units()] if "reporter" in roles else []
    writer.add_account(command_line("tests"), username, display_name=display_name or f"測試{username}",
                       roles=list(roles), units=list(units), password=PASSWORD)


def load_catalogue_units():
    from metrics.plans.catalogue import load_catalogue

    return load_catalogue(plans_directory()).units.units


def token(url: str | None = None, username: str = "tester", **account) -> str:
    make_account(url, username, **account)
    value, _ = services(url).login(username, PASSWORD)
    return value


def sign_in(app: AppTest, url: str | None = None, username: str = "tester", **account) -> AppTest:
    app.session_state["login_token"] = token(url, username, **account)
    return app
