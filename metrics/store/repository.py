"""The base of the store's repositories: each works on the one Database a Store shares among them."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy.engine import Connection

from metrics.errors import StoreOperation

if TYPE_CHECKING:  # the engine writes the audit trail's rows, whose repository builds on this one
    from metrics.store.audit import Audit
    from metrics.store.engine import Database

T = TypeVar("T")


class Repository:
    """One part of the store, working on the Database it shares with the others."""

    def __init__(self, database: Database) -> None:
        self.database = database

    @property
    def _dialect(self) -> str:
        return self.database._dialect

    def display_url(self) -> str:
        return self.database.display_url()

    def _errors(self, doing: StoreOperation, **about: Any) -> AbstractContextManager[None]:
        return self.database._errors(doing, **about)

    def _reading(self, *, whole: bool = False) -> AbstractContextManager[Connection]:
        return self.database._reading(whole=whole)

    def _write(self, action: Callable[[Connection], T], audit: Audit = None, *, store_lock: bool = True) -> T:
        return self.database._write(action, audit, store_lock=store_lock)
