"""Store: the one object callers hold, a thin facade over the repositories that share its Database."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any

import pandas as pd
from sqlalchemy.engine import Engine

from metrics.store import audit_chain
from metrics.intake.upload import FileDigest
from metrics.store.accounts import Accounts, LoginAttempt, StoredAccount
from metrics.store.assessments import (AssessmentChange, AssessmentItem, Assessments, StoredAssessment,
                                       Transition)
from metrics.store.audit import Audit, AuditEntry, AuditLog, AuditRow, Outcome
from metrics.store.copying import Contents
from metrics.store.engine import Database
from metrics.store.figures import BatchInfo, Figures, IngestResult, Provenance, UndoResult
from metrics.store.plans import Plans, StoredCycle, StoredPlan
from metrics.store.repository import Repository
from metrics.store.workspace import Note, Workspace

class Store(Repository):
    """The KPI store at one database URL (default: env KPI_DB_URL, else data/kpi.sqlite3). Its own transactions
    (`_errors`, `_reading`, `_write`) and `display_url` are the Repository's, on the Database it shares."""

    def __init__(self, url: str | None = None, *, schema: str | None = None,
                 field_names: Mapping[str, str] | None = None, lock_wait_seconds: float | None = None,
                 read_seconds: float | None = None) -> None:
        """field_names: code → Chinese name, for messages (codes are shown without it). lock_wait_seconds: how long
        a read or a write waits for another transaction's lock (default: env KPI_DB_LOCK_WAIT_SECONDS, else 8);
        read_seconds: how long one read statement may run on PostgreSQL (env KPI_DB_READ_SECONDS, else 60)."""
        self.database = Database(url, schema=schema, lock_wait_seconds=lock_wait_seconds, read_seconds=read_seconds)
        self.field_names = dict(field_names or {})
        self._contents = Contents(self.database)
        self._figures = Figures(self.database, self.field_names)
        self._workspace = Workspace(self.database)
        self._plans = Plans(self.database)
        self._accounts = Accounts(self.database)
        self._audit = AuditLog(self.database)
        self._assessments = Assessments(self.database)

    # ---- the database ----

    @property
    def url(self) -> str:
        return self.database.url

    @property
    def schema(self) -> str | None:
        return self.database.schema

    @property
    def lock_wait_seconds(self) -> float:
        return self.database.lock_wait_seconds

    @property
    def read_seconds(self) -> float:
        return self.database.read_seconds

    @property
    def dialect(self) -> str:
        return self.database.dialect

    @property
    def _engine(self) -> Engine:
        return self.database._engine

    @property
    def _lock_key(self) -> int:
        return self.database._lock_key

    def close(self) -> None:
        self.database.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # ---- the whole store, for copying, backing up and restoring ----

    def stored_schema_version(self) -> int:
        return self._contents.stored_schema_version()

    def table_rows(self) -> Iterator[tuple[str, list[str], list[tuple]]]:
        return self._contents.table_rows()

    def row_counts(self) -> dict[str, int]:
        return self._contents.row_counts()

    def load_rows(self, tables: Iterable[tuple[str, Sequence[str], Iterable[Sequence[Any]]]]) -> dict[str, int]:
        return self._contents.load_rows(tables)

    # ---- monthly values and batches ----

    def preview(self, frame: pd.DataFrame) -> pd.DataFrame:
        return self._figures.preview(frame)

    def ingest(self, frame: pd.DataFrame, *, file_name: str, file_bytes: bytes | FileDigest, uploader: str = "",
               audit: Audit = None) -> IngestResult:
        return self._figures.ingest(frame, file_name=file_name, file_bytes=file_bytes, uploader=uploader, audit=audit)

    def ingest_many(self, files: Sequence[tuple[pd.DataFrame, str, bytes | FileDigest]], *, uploader: str = "",
                    audit: Audit = None) -> list[IngestResult]:
        return self._figures.ingest_many(files, uploader=uploader, audit=audit)

    def current_frame(self, year: int | None = None, unit: str | None = None, *,
                      after_batch: int | None = None) -> pd.DataFrame:
        return self._figures.current_frame(year, unit, after_batch=after_batch)

    def value_provenance(self, year: int, unit: str, field: str, month: int) -> Provenance | None:
        return self._figures.value_provenance(year, unit, field, month)

    def years_and_units(self) -> list[tuple[int, str]]:
        return self._figures.years_and_units()

    def is_empty(self) -> bool:
        return self._figures.is_empty()

    def history(self, *, year: int | None = None, unit: str | None = None,
                from_batch: int | None = None) -> list[BatchInfo]:
        return self._figures.history(year=year, unit=unit, from_batch=from_batch)

    def undone_batches(self) -> frozenset[tuple[int, dt.datetime]]:
        return self._figures.undone_batches()

    def batch(self, batch_id: int) -> BatchInfo:
        return self._figures.batch(batch_id)

    def batch_values(self, batch_id: int) -> pd.DataFrame:
        return self._figures.batch_values(batch_id)

    def undo(self, batch_id: int, *, user: str = "", audit: Audit = None) -> UndoResult:
        return self._figures.undo(batch_id, user=user, audit=audit)

    def values_at(self, year: int, unit: str, moments: Sequence[dt.datetime | None]
                  ) -> list[dict[tuple[str, int], Decimal]]:
        return self._figures.values_at(year, unit, moments)

    # ---- notes, scenarios, column mappings ----

    def save_note(self, year: int, unit: str, month: int, indicator_id: str, reason: str, action: str,
                  author: str = "", audit: Audit = None) -> None:
        return self._workspace.save_note(year, unit, month, indicator_id, reason, action, author, audit)

    def note_history(self, year: int, unit: str, month: int, indicator_id: str) -> list[Note]:
        return self._workspace.note_history(year, unit, month, indicator_id)

    def notes(self, year: int, unit: str, month: int) -> dict[str, Note]:
        return self._workspace.notes(year, unit, month)

    def notes_of_year(self, year: int, unit: str) -> dict[int, dict[str, Note]]:
        return self._workspace.notes_of_year(year, unit)

    def note_history_of_year(self, year: int, unit: str) -> list[tuple[int, Note]]:
        return self._workspace.note_history_of_year(year, unit)

    def notes_at(self, year: int, unit: str, moments: list[dt.datetime | None]
                 ) -> list[dict[tuple[int, str], tuple[str, str]]]:
        return self._workspace.notes_at(year, unit, moments)

    def save_scenario(self, year: int, unit: str, name: str, payload: dict, *, audit: Audit = None) -> None:
        return self._workspace.save_scenario(year, unit, name, payload, audit=audit)

    def scenarios(self, year: int, unit: str) -> list[str]:
        return self._workspace.scenarios(year, unit)

    def load_scenario(self, year: int, unit: str, name: str) -> dict:
        return self._workspace.load_scenario(year, unit, name)

    def delete_scenario(self, year: int, unit: str, name: str, *, audit: Audit = None) -> None:
        return self._workspace.delete_scenario(year, unit, name, audit=audit)

    def save_mapping(self, source: str, signature: str, mapping: dict, *, year: int, unit: str,
                     audit: Audit = None) -> None:
        return self._workspace.save_mapping(source, signature, mapping, year=year, unit=unit, audit=audit)

    def load_mapping(self, source: str, signature: str, *, year: int, unit: str) -> dict | None:
        return self._workspace.load_mapping(source, signature, year=year, unit=unit)

    # ---- plan versions ----

    def save_plan_version(self, year: int, unit: str, document: str, *, author: str = "", note: str = "",
                          origin: str = "", changes: Sequence[str] = (), sample: bool = False,
                          audit: Audit = None) -> StoredPlan:
        return self._plans.save_plan_version(year, unit, document, author=author, note=note, origin=origin,
                                             changes=changes, sample=sample, audit=audit)

    def seed_plans(self, plans: Sequence[tuple[int, str, str, str, bool]], *, author: str, note: str,
                   audit: Audit = None) -> list[StoredPlan]:
        return self._plans.seed_plans(plans, author=author, note=note, audit=audit)

    def plan_versions(self, year: int | None = None, unit: str | None = None, *,
                      latest_only: bool = False) -> list[StoredPlan]:
        return self._plans.plan_versions(year, unit, latest_only=latest_only)

    def plan_version(self, year: int, unit: str, number: int | None = None) -> StoredPlan | None:
        return self._plans.plan_version(year, unit, number)

    # ---- the performance cycle's versions ----

    def save_cycle_version(self, document: str, *, author: str, note: str = "", origin: str = "",
                           changes: Sequence[str] = (), seed: bool = False, audit: Audit = None) -> StoredCycle | None:
        return self._plans.save_cycle_version(document, author=author, note=note, origin=origin, changes=changes,
                                              seed=seed, audit=audit)

    def cycle_versions(self) -> list[StoredCycle]:
        return self._plans.cycle_versions()

    def cycle_version(self, number: int | None = None) -> StoredCycle | None:
        return self._plans.cycle_version(number)

    # ---- the performance cycle's assessments ----

    def assessment(self, year: int, unit: str, checkpoint: str) -> StoredAssessment | None:
        return self._assessments.assessment(year, unit, checkpoint)

    def assessments(self, year: int | None = None, unit: str | None = None) -> list[StoredAssessment]:
        return self._assessments.assessments(year, unit)

    def assessment_items(self, assessment_id: int) -> list[AssessmentItem]:
        return self._assessments.assessment_items(assessment_id)

    def assessment_transitions(self, assessment_id: int) -> list[Transition]:
        return self._assessments.assessment_transitions(assessment_id)

    def transition_assessment(self, change: AssessmentChange, *,
                              refuse: Callable[[StoredAssessment | None], Exception],
                              audit: Audit = None) -> StoredAssessment:
        return self._assessments.transition_assessment(change, refuse=refuse, audit=audit)

    # ---- the audit trail ----

    def record(self, entries: Sequence[AuditEntry]) -> None:
        return self._audit.record(entries)

    # ---- accounts, login sessions, settings ----

    def account_count(self) -> int:
        return self._accounts.account_count()

    def accounts(self) -> list[StoredAccount]:
        return self._accounts.accounts()

    def account(self, *, username: str | None = None, email: str | None = None,
                account_id: int | None = None) -> StoredAccount | None:
        return self._accounts.account(username=username, email=email, account_id=account_id)

    def add_account(self, username: str, *, display_name: str, email: str, roles: Sequence[str],
                    units: Sequence[str], password_hash: str | None, audit: Audit = None,
                    only_if_none: bool = False) -> StoredAccount:
        return self._accounts.add_account(username, display_name=display_name, email=email, roles=roles, units=units,
                                          password_hash=password_hash, audit=audit, only_if_none=only_if_none)

    def update_account(self, account_id: int, *, audit: Audit = None,
                       check: Callable[[list[StoredAccount]], None] | None = None, **values: Any) -> None:
        return self._accounts.update_account(account_id, audit=audit, check=check, **values)

    def reserve_login(self, username: str, *, lock_after: int, lock_for: dt.timedelta,
                      now: dt.datetime | None = None) -> LoginAttempt:
        return self._accounts.reserve_login(username, lock_after=lock_after, lock_for=lock_for, now=now)

    def take_back_login(self, attempt: LoginAttempt, *, audit: Audit = None) -> None:
        return self._accounts.take_back_login(attempt, audit=audit)

    def start_session(self, account_id: int, token_hash: str, method: str, *, audit: Audit = None,
                      attempt: LoginAttempt | None = None) -> bool:
        return self._accounts.start_session(account_id, token_hash, method, audit=audit, attempt=attempt)

    def session(self, token_hash: str
                ) -> tuple[StoredAccount, dt.datetime, dt.datetime | None, dt.datetime] | None:
        return self._accounts.session(token_hash)

    def touch_session(self, token_hash: str) -> None:
        return self._accounts.touch_session(token_hash)

    def end_session(self, token_hash: str, *, audit: Audit = None) -> None:
        return self._accounts.end_session(token_hash, audit=audit)

    def end_sessions_of(self, account_id: int) -> None:
        return self._accounts.end_sessions_of(account_id)

    def settings(self) -> dict[str, str]:
        return self._accounts.settings()

    def save_settings(self, values: Mapping[str, str], *, audit: Audit = None) -> None:
        return self._accounts.save_settings(values, audit=audit)

    # ---- the audit trail ----

    def audit_log(self, *, since: dt.datetime | None = None, until: dt.datetime | None = None,
                  account: str | None = None, action: str | None = None, unit: str | None = None,
                  outcome: Outcome | None = None, limit: int | None = None) -> list[AuditRow]:
        return self._audit.audit_log(since=since, until=until, account=account, action=action, unit=unit,
                                     outcome=outcome, limit=limit)

    def audit_actions(self) -> list[str]:
        return self._audit.audit_actions()

    def verify_audit_chain(self, anchor: tuple[int, str] | None = None) -> audit_chain.ChainReport:
        return self._audit.verify_audit_chain(anchor)

    # ---- monthly values and batches ----

    def data_version(self) -> tuple[int, int, int]:
        return self._figures.data_version()
