"""Where the store is, answered without importing the database layer: a command that only reads files (evaluate
FILE…) asks whether a store exists before it pays for SQLAlchemy."""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import unquote

REPOSITORY_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SQLITE_PATH = REPOSITORY_ROOT / "data" / "kpi.sqlite3"


def default_url() -> str:
    return os.environ.get("KPI_DB_URL") or f"sqlite:///{DEFAULT_SQLITE_PATH}"


def sqlite_file(url: str) -> Path | None:
    """The file of an SQLite URL (sqlite:///relative or sqlite:////absolute), None for any other database or an
    in-memory one."""
    scheme, separator, rest = url.partition("://")
    if not separator or scheme.split("+", 1)[0].lower() != "sqlite":
        return None
    database = unquote(rest.lstrip("/") if not rest.startswith("//") else rest[1:]).split("?", 1)[0]
    if database in ("", ":memory:") or database.startswith("file:"):
        return None
    return Path(database)


def store_exists(url: str) -> bool:
    """False only for an SQLite file that is not there (a server database is assumed to exist)."""
    path = sqlite_file(url)
    return path is None or path.exists()
