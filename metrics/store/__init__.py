"""The store: every uploaded month, every batch that set it, and what each batch replaced.

One SQLAlchemy Core schema serves SQLite (the default, a file under data/) and PostgreSQL.

- Values are kept as canonical decimal strings ("21288", "1234.567", "0.1"), never as a
  database number: SQLite's NUMERIC is a float and would lose digits. Canonical means the
  shortest plain notation (21288.0 → "21288", 1.50 → "1.5"), so equal numbers store equal.
- Every write is one transaction under one store-wide write lock (SQLite: BEGIN IMMEDIATE
  on a WAL database with a busy timeout; PostgreSQL: pg_advisory_xact_lock), retried a few
  times on a transient lock error. Batch ids therefore follow the order in which writes commit.
- A value's history is a stack of the batches that set it. Undo removes the top of the
  stack only; a batch whose values a later batch still in effect has set again is refused,
  naming that batch, rather than guessing which report should win.
- A file that changes no value creates no batch. A batch that changes at least one value also
  records the values it re-sent unchanged (相同): they take that batch's provenance, the latest
  file that reported them, and so also stand in the way of undoing an earlier batch.
- Times are stored as naive UTC and returned as aware UTC datetimes; `format_taiwan_time`
  turns them into what users read.

The package: `schema` (tables, migrations, how values and times are stored), `engine` (the Database: connections,
transactions, the write lock, retries, timeouts, database errors as StoreProblems that the services word), and the repositories on one shared
Database: `figures` (uploads, values in effect, batches, undo), `plans` (plan versions), `accounts` (accounts, logins,
sessions, settings), `audit` (the audit trail and its hash chain), `workspace` (notes, scenarios, column mappings) and
`copying` (the whole store, for copies, backups and restores). `Store` (`facade`) is what callers hold; this module
re-exports the names they import. Beside them: `audit_chain` (the audit trail's hash chain, pure), `transfer` (a
whole store copied between databases, backed up, checked and restored) and `runtime_role` (PostgreSQL: the role the
app runs as, which does not own the tables).
"""

from metrics.location import default_url
from metrics.intake.parsing import TAIWAN, format_taiwan_time
from metrics.store.accounts import LoginAttempt, StoredAccount
from metrics.store.assessments import AssessmentChange, AssessmentItem, State, Step, StoredAssessment, Transition
from metrics.store.audit import Audit, AuditEntry, AuditRow, Outcome
from metrics.store.engine import (LOCK_WAIT_ENVIRONMENT, LOCK_WAIT_SECONDS, READ_ENVIRONMENT, READ_SECONDS,
                                  STATEMENT_SECONDS, guarded, masked_url)
from metrics.store.facade import Store
from metrics.store.figures import (CHANGES_SHOWN, BatchInfo, ChangeKind, IngestResult, Provenance, UndoResult,
                                   ValueChange, key_order, with_newer)
from metrics.store.plans import StoredCycle, StoredPlan
from metrics.store.schema import (APPEND_ONLY_MESSAGE, MIGRATIONS, REPLACE_MESSAGE, SCHEMA_VERSION,
                                  TRANSFER_TABLES, accounts_table, audit_table, batches_table, canonical_decimal,
                                  column_mappings_table, current_values_table, cycle_versions_table, login_sessions_table, metadata,
                                  notes_history_table, notes_table, plan_versions_table, scenarios_table,
                                  schema_version_table, settings_table, value_changes_table)
from metrics.store.workspace import Note

__all__ = [
    "AssessmentChange", "AssessmentItem", "State", "Step", "StoredAssessment", "Transition", "guarded",
    "APPEND_ONLY_MESSAGE", "Audit", "AuditEntry", "AuditRow", "BatchInfo", "CHANGES_SHOWN", "ChangeKind",
    "IngestResult", "LOCK_WAIT_ENVIRONMENT", "LOCK_WAIT_SECONDS", "LoginAttempt",
    "MIGRATIONS", "Note", "Outcome", "Provenance", "READ_ENVIRONMENT", "READ_SECONDS", "REPLACE_MESSAGE",
    "SCHEMA_VERSION", "STATEMENT_SECONDS", "Store", "StoredAccount", "StoredCycle", "StoredPlan", "TAIWAN",
    "TRANSFER_TABLES", "UndoResult", "ValueChange", "accounts_table", "audit_table", "batches_table", "canonical_decimal",
    "column_mappings_table", "current_values_table", "cycle_versions_table", "default_url", "format_taiwan_time", "login_sessions_table",
    "masked_url", "metadata", "notes_history_table", "notes_table", "plan_versions_table", "scenarios_table",
    "schema_version_table", "settings_table", "value_changes_table", "key_order", "with_newer",
]
