"""The store's schema: its tables, how values and times are stored in them, the audit trail's guards, and the
migrations that bring an older store up to SCHEMA_VERSION."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from metrics.store import audit_chain
from metrics.errors import StoreError, StoreProblem

SCHEMA_VERSION = 6

metadata = sa.MetaData()

schema_version_table = sa.Table(
    "schema_version", metadata,
    sa.Column("version", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("applied_at", sa.DateTime, nullable=False),
)

batches_table = sa.Table(
    "batches", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("file_name", sa.String, nullable=False),
    sa.Column("sha256", sa.String(64), nullable=False, index=True),
    sa.Column("uploaded_at", sa.DateTime, nullable=False),
    sa.Column("uploader", sa.String, nullable=False, server_default=""),
    sa.Column("row_count", sa.Integer, nullable=False),
    sa.Column("undone_at", sa.DateTime, nullable=True),
    sa.Column("undone_by", sa.String, nullable=True),
)


def _key_columns() -> list[sa.Column]:
    return [
        sa.Column("year", sa.Integer, nullable=False),
        sa.Column("unit", sa.String, nullable=False),
        sa.Column("field", sa.String, nullable=False),
        sa.Column("month", sa.Integer, nullable=False),
    ]


current_values_table = sa.Table(
    "current_values", metadata,
    *_key_columns(),
    sa.Column("value", sa.String, nullable=False),
    sa.Column("batch_id", sa.Integer, sa.ForeignKey("batches.id"), nullable=False),
    sa.Column("source_file", sa.String, nullable=False, server_default=""),
    sa.Column("source_sheet", sa.String, nullable=False, server_default=""),
    sa.Column("source_cell", sa.String, nullable=False, server_default=""),
    sa.PrimaryKeyConstraint("year", "unit", "field", "month"),
    sa.CheckConstraint("month BETWEEN 1 AND 12", name="current_values_month"),
)

value_changes_table = sa.Table(
    "value_changes", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("batch_id", sa.Integer, sa.ForeignKey("batches.id"), nullable=False, index=True),
    *_key_columns(),
    sa.Column("value", sa.String, nullable=False),
    sa.Column("source_file", sa.String, nullable=False, server_default=""),
    sa.Column("source_sheet", sa.String, nullable=False, server_default=""),
    sa.Column("source_cell", sa.String, nullable=False, server_default=""),
    # What was current before this batch; all NULL when the batch created the value.
    sa.Column("previous_value", sa.String, nullable=True),
    sa.Column("previous_batch_id", sa.Integer, sa.ForeignKey("batches.id"), nullable=True),
    sa.Column("previous_source_file", sa.String, nullable=True),
    sa.Column("previous_source_sheet", sa.String, nullable=True),
    sa.Column("previous_source_cell", sa.String, nullable=True),
    sa.UniqueConstraint("batch_id", "year", "unit", "field", "month"),
    sa.CheckConstraint("month BETWEEN 1 AND 12", name="value_changes_month"),
    sa.Index("value_changes_key", "year", "unit", "field", "month"),
)

notes_table = sa.Table(
    "notes", metadata,
    sa.Column("year", sa.Integer, nullable=False),
    sa.Column("unit", sa.String, nullable=False),
    sa.Column("month", sa.Integer, nullable=False),
    sa.Column("indicator_id", sa.String, nullable=False),
    sa.Column("reason", sa.String, nullable=False),
    sa.Column("action", sa.String, nullable=False),
    sa.Column("author", sa.String, nullable=False, server_default=""),
    sa.Column("updated_at", sa.DateTime, nullable=False),
    sa.PrimaryKeyConstraint("year", "unit", "month", "indicator_id"),
)

scenarios_table = sa.Table(
    "scenarios", metadata,
    sa.Column("year", sa.Integer, nullable=False),
    sa.Column("unit", sa.String, nullable=False),
    sa.Column("name", sa.String, nullable=False),
    sa.Column("payload", sa.Text, nullable=False),
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.Column("updated_at", sa.DateTime, nullable=False),
    sa.PrimaryKeyConstraint("year", "unit", "name"),
)

column_mappings_table = sa.Table(
    "column_mappings", metadata,
    sa.Column("year", sa.Integer, nullable=False),
    sa.Column("unit", sa.String, nullable=False),
    sa.Column("source", sa.String, nullable=False),
    sa.Column("signature", sa.String, nullable=False),
    sa.Column("mapping", sa.Text, nullable=False),
    sa.Column("updated_at", sa.DateTime, nullable=False),
    sa.PrimaryKeyConstraint("year", "unit", "source", "signature"),
)

# Every version of every (year, unit)'s plan, as a self-contained TOML document (metrics.plans.catalogue):
# the latest one is the plan in force, the earlier ones stay readable so an evaluation can be redone.
plan_versions_table = sa.Table(
    "plan_versions", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("year", sa.Integer, nullable=False),
    sa.Column("unit", sa.String, nullable=False),
    sa.Column("number", sa.Integer, nullable=False),
    sa.Column("document", sa.Text, nullable=False),
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.Column("author", sa.String, nullable=False, server_default=""),
    sa.Column("note", sa.String, nullable=False, server_default=""),
    sa.Column("origin", sa.String, nullable=False, server_default=""),
    sa.Column("changes", sa.Text, nullable=False, server_default="[]"),  # JSON list of sentences (old → new)
    sa.Column("sample", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.UniqueConstraint("year", "unit", "number", name="plan_versions_number"),
)

# Every version of the performance cycle (plans/cycle.toml seeds version 1; an administrator saves the next ones):
# the latest is the cycle in force. Assessments keep the checkpoint's name and months they had, so an approved
# 自評 locks what it locked whatever a later version says.
cycle_versions_table = sa.Table(
    "cycle_versions", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("number", sa.Integer, nullable=False, unique=True),
    sa.Column("document", sa.Text, nullable=False),
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.Column("author", sa.String, nullable=False, server_default=""),
    sa.Column("note", sa.String, nullable=False, server_default=""),
    sa.Column("origin", sa.String, nullable=False, server_default=""),
    sa.Column("changes", sa.Text, nullable=False, server_default="[]"),  # JSON list of sentences (old → new)
)

# Accounts, their login sessions, the settings an administrator changes, the append-only audit trail, and every
# note ever written (the notes table holds the one in force).
accounts_table = sa.Table(
    "accounts", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("username", sa.String, nullable=False, unique=True),
    sa.Column("display_name", sa.String, nullable=False, server_default=""),
    sa.Column("email", sa.String, nullable=False, server_default=""),
    sa.Column("roles", sa.Text, nullable=False, server_default="[]"),
    sa.Column("units", sa.Text, nullable=False, server_default="[]"),
    sa.Column("active", sa.Boolean, nullable=False, server_default=sa.true()),
    sa.Column("password_hash", sa.String, nullable=True),  # None: single sign-on only
    sa.Column("failed_logins", sa.Integer, nullable=False, server_default="0"),
    sa.Column("locked_until", sa.DateTime, nullable=True),
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.Column("updated_at", sa.DateTime, nullable=False),
)

# Names and e-mail addresses are unique whatever their case: single sign-on matches an account by e-mail.
sa.Index("accounts_username_lower", sa.func.lower(accounts_table.c.username), unique=True)
sa.Index("accounts_email_lower", sa.func.lower(accounts_table.c.email), unique=True,
         sqlite_where=accounts_table.c.email != "", postgresql_where=accounts_table.c.email != "")

login_sessions_table = sa.Table(
    "login_sessions", metadata,
    sa.Column("token_hash", sa.String(64), primary_key=True),  # the token itself lives only in the browser session
    sa.Column("account_id", sa.Integer, sa.ForeignKey("accounts.id"), nullable=False, index=True),
    sa.Column("method", sa.String, nullable=False),
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.Column("last_seen_at", sa.DateTime, nullable=False),
    sa.Column("ended_at", sa.DateTime, nullable=True),
)

settings_table = sa.Table(
    "settings", metadata,
    sa.Column("key", sa.String, primary_key=True),
    sa.Column("value", sa.String, nullable=False),
)

audit_table = sa.Table(
    "audit_log", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("at", sa.DateTime, nullable=False, index=True),
    sa.Column("account", sa.String, nullable=False),
    sa.Column("action", sa.String, nullable=False),
    sa.Column("outcome", sa.String, nullable=False),  # 允許 / 拒絕 / 失敗
    sa.Column("unit", sa.String, nullable=False, server_default=""),
    sa.Column("year", sa.Integer, nullable=True),
    sa.Column("subject", sa.String, nullable=False, server_default=""),
    sa.Column("detail", sa.Text, nullable=False, server_default=""),
    # The hash chain (metrics/store/audit_chain.py): the row before's row_hash, and a hash over that and this row.
    sa.Column("previous_hash", sa.String(64), nullable=True),
    sa.Column("row_hash", sa.String(64), nullable=True),
)

notes_history_table = sa.Table(
    "notes_history", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("year", sa.Integer, nullable=False),
    sa.Column("unit", sa.String, nullable=False),
    sa.Column("month", sa.Integer, nullable=False),
    sa.Column("indicator_id", sa.String, nullable=False),
    sa.Column("reason", sa.String, nullable=False),
    sa.Column("action", sa.String, nullable=False),
    sa.Column("author", sa.String, nullable=False, server_default=""),
    sa.Column("saved_at", sa.DateTime, nullable=False),
    sa.Index("notes_history_key", "year", "unit", "month", "indicator_id"),
)

# The performance cycle (metrics.plans.cycle): one row per (year, unit, checkpoint) once a 自評 is sent, holding its state
# and the months it covers as they were then (what an approval locks); its indicators' 自評 and the reviewers'
# comments; and every transition (who, when, from, to, why), reopenings included.
assessments_table = sa.Table(
    "assessments", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("year", sa.Integer, nullable=False),
    sa.Column("unit", sa.String, nullable=False),
    sa.Column("checkpoint", sa.String, nullable=False),
    sa.Column("checkpoint_name", sa.String, nullable=False, server_default=""),
    sa.Column("months", sa.Text, nullable=False, server_default="[]"),  # JSON list of month numbers
    sa.Column("state", sa.String, nullable=False),
    sa.Column("submitted_by", sa.String, nullable=False, server_default=""),
    sa.Column("submitted_by_id", sa.Integer, nullable=True),
    sa.Column("submitted_at", sa.DateTime, nullable=True),
    sa.Column("passed_by", sa.String, nullable=False, server_default=""),
    sa.Column("passed_at", sa.DateTime, nullable=True),
    sa.Column("approved_by", sa.String, nullable=False, server_default=""),
    sa.Column("approved_at", sa.DateTime, nullable=True),
    sa.Column("revision", sa.Integer, nullable=False, server_default="0"),  # +1 at every transition
    sa.Column("updated_at", sa.DateTime, nullable=False),
    sa.UniqueConstraint("year", "unit", "checkpoint", name="assessments_key"),
)

assessment_items_table = sa.Table(
    "assessment_items", metadata,
    sa.Column("assessment_id", sa.Integer, sa.ForeignKey("assessments.id"), nullable=False),
    sa.Column("indicator_id", sa.String, nullable=False),
    sa.Column("position", sa.Integer, nullable=False, server_default="0"),
    sa.Column("name", sa.String, nullable=False, server_default=""),
    sa.Column("result", sa.String, nullable=False, server_default=""),  # as people read it: 95.2%
    sa.Column("achievement", sa.String, nullable=True),  # canonical decimal, percent
    sa.Column("light", sa.String, nullable=False),
    sa.Column("explanation", sa.Text, nullable=False, server_default=""),
    sa.Column("review_comment", sa.Text, nullable=False, server_default=""),
    sa.Column("reviewed_by", sa.String, nullable=False, server_default=""),
    sa.PrimaryKeyConstraint("assessment_id", "indicator_id"),
)

assessment_transitions_table = sa.Table(
    "assessment_transitions", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("assessment_id", sa.Integer, sa.ForeignKey("assessments.id"), nullable=False, index=True),
    sa.Column("at", sa.DateTime, nullable=False),
    sa.Column("account", sa.String, nullable=False),
    sa.Column("account_id", sa.Integer, nullable=True),
    sa.Column("step", sa.String, nullable=False),
    sa.Column("from_state", sa.String, nullable=False),
    sa.Column("to_state", sa.String, nullable=False),
    sa.Column("comment", sa.Text, nullable=False, server_default=""),
)


APPEND_ONLY_MESSAGE = "操作紀錄只能新增，不能修改或刪除"
REPLACE_MESSAGE = "操作紀錄只能新增，不能以相同編號取代既有的紀錄"


def _guard_audit(connection: Connection) -> None:
    """The database itself refuses to change or delete a row of the audit trail, whoever asks."""
    if connection.dialect.name == "postgresql":
        connection.execute(sa.text(
            "CREATE OR REPLACE FUNCTION kpi_audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS "
            f"$$ BEGIN RAISE EXCEPTION '{APPEND_ONLY_MESSAGE}'; END; $$"))
        connection.execute(sa.text("CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log "
                                   "FOR EACH ROW EXECUTE FUNCTION kpi_audit_log_append_only()"))
        connection.execute(sa.text("CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log "
                                   "FOR EACH STATEMENT EXECUTE FUNCTION kpi_audit_log_append_only()"))
        return
    for event in ("UPDATE", "DELETE"):
        connection.execute(sa.text(f"CREATE TRIGGER audit_log_no_{event.lower()} BEFORE {event} ON audit_log "
                                   f"BEGIN SELECT RAISE(ABORT, '{APPEND_ONLY_MESSAGE}'); END"))
    # INSERT OR REPLACE / REPLACE INTO delete the row they replace without firing the DELETE trigger.
    connection.execute(sa.text(
        "CREATE TRIGGER audit_log_no_replace BEFORE INSERT ON audit_log "
        "WHEN EXISTS (SELECT 1 FROM audit_log WHERE id = NEW.id) "
        f"BEGIN SELECT RAISE(ABORT, '{REPLACE_MESSAGE}'); END"))


def _unguard_audit(connection: Connection) -> None:
    """The triggers of _guard_audit dropped, for a migration that must fill in a column of every row."""
    if connection.dialect.name == "postgresql":
        for trigger in ("audit_log_append_only", "audit_log_no_truncate"):
            connection.execute(sa.text(f"DROP TRIGGER IF EXISTS {trigger} ON audit_log"))
        return
    for trigger in ("audit_log_no_update", "audit_log_no_delete", "audit_log_no_replace"):
        connection.execute(sa.text(f"DROP TRIGGER IF EXISTS {trigger}"))


def _migrate_5_to_6(connection: Connection) -> None:
    """The performance cycle's versions (the store seeds version 1 from plans/cycle.toml when it is opened)."""
    cycle_versions_table.create(connection)


def _migrate_4_to_5(connection: Connection) -> None:
    """The performance cycle's assessments, their indicators and their transitions."""
    for table in (assessments_table, assessment_items_table, assessment_transitions_table):
        table.create(connection)


def _migrate_3_to_4(connection: Connection) -> None:
    """The audit trail's hash chain, computed over the rows already there in id order."""
    present = {column["name"] for column in sa.inspect(connection).get_columns("audit_log")}
    for column in ("previous_hash", "row_hash"):  # a store of schema 2 got them already from today's table
        if column not in present:
            connection.execute(sa.text(f"ALTER TABLE audit_log ADD COLUMN {column} VARCHAR(64)"))
    _unguard_audit(connection)
    table = audit_table
    update = (table.update().where(table.c.id == sa.bindparam("row_id"))
              .values(previous_hash=sa.bindparam("previous"), row_hash=sa.bindparam("hash")))
    previous, last_id = audit_chain.GENESIS, None
    while True:
        query = sa.select(table).order_by(table.c.id).limit(5_000)
        if last_id is not None:
            query = query.where(table.c.id > last_id)
        rows = connection.execute(query).mappings().all()
        if not rows:
            break
        records = []
        for row in rows:
            hashed = audit_chain.row_hash(previous, row)
            records.append({"row_id": row["id"], "previous": previous, "hash": hashed})
            previous = hashed
        connection.execute(update, records)
        last_id = rows[-1]["id"]
    _guard_audit(connection)


def _migrate_2_to_3(connection: Connection) -> None:
    """Accounts, login sessions, settings, the audit trail and the notes' history (kept notes become its start)."""
    for table in (accounts_table, login_sessions_table, settings_table, audit_table, notes_history_table):
        table.create(connection)
    _guard_audit(connection)
    connection.execute(sa.text(
        "INSERT INTO notes_history (year, unit, month, indicator_id, reason, action, author, saved_at) "
        "SELECT year, unit, month, indicator_id, reason, action, author, updated_at FROM notes"))


# Schema 1 knew a single plan, 政風處's of 112: what it stored without a year and unit belongs to that plan.
_SCHEMA_1_PLAN = (112, "政風處")


def _migrate_1_to_2(connection: Connection) -> None:
    """Plan versions; scenarios and column mappings keyed by year and unit."""
    plan_versions_table.create(connection)
    year, unit = _SCHEMA_1_PLAN
    for table, columns in ((scenarios_table, "name, payload, created_at, updated_at"),
                           (column_mappings_table, "source, signature, mapping, updated_at")):
        connection.execute(sa.text(f"ALTER TABLE {table.name} RENAME TO {table.name}_schema_1"))
        if connection.dialect.name == "postgresql":  # the old primary key's index keeps its name: free it
            connection.execute(sa.text(f"ALTER INDEX IF EXISTS {table.name}_pkey RENAME TO {table.name}_schema_1_pkey"))
        table.create(connection)
        connection.execute(sa.text(f"INSERT INTO {table.name} (year, unit, {columns}) "
                                   f"SELECT :year, :unit, {columns} FROM {table.name}_schema_1"),
                           {"year": year, "unit": unit})
        connection.execute(sa.text(f"DROP TABLE {table.name}_schema_1"))


# version n → the function that upgrades a store from n to n + 1, run under the write lock.
MIGRATIONS: dict[int, Callable[[Connection], None]] = {1: _migrate_1_to_2, 2: _migrate_2_to_3, 3: _migrate_3_to_4,
                                                     4: _migrate_4_to_5, 5: _migrate_5_to_6}
# What a copy or a backup carries: every table but schema_version, parents before children.
TRANSFER_TABLES: tuple[sa.Table, ...] = tuple(table for table in metadata.sorted_tables
                                              if table is not schema_version_table)


def canonical_decimal(value: Decimal) -> str:
    """The stored text of a value: plain notation, no exponent, no trailing zeros."""
    if value == value.to_integral_value():
        return str(int(value))
    # Not Decimal.normalize(): it rounds to the context's 28 digits.
    return format(value, "f").rstrip("0")



def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)


def _aware(moment: dt.datetime | None) -> dt.datetime | None:
    if moment is None:
        return None
    return moment.replace(tzinfo=dt.timezone.utc)



class _JsonEncoder(json.JSONEncoder):
    def default(self, value: Any) -> Any:
        if isinstance(value, Decimal):
            return {"__decimal__": canonical_decimal(value)}
        return super().default(value)


def _decode_json_object(value: dict[str, Any]) -> Any:
    if set(value) == {"__decimal__"}:
        return Decimal(value["__decimal__"])
    return value


def _dump_json(payload: Any) -> str:
    return json.dumps(payload, cls=_JsonEncoder, ensure_ascii=False, sort_keys=True)


def _load_json(text: str) -> Any:
    return json.loads(text, object_hook=_decode_json_object)



def _stored_version(connection: Connection) -> int | None:
    if not sa.inspect(connection).has_table("schema_version"):
        return None
    return connection.execute(sa.select(sa.func.max(schema_version_table.c.version))).scalar()


def _check_not_newer(version: int | None, display_url: str) -> None:
    if version is not None and version > SCHEMA_VERSION:
        raise StoreError(StoreProblem.NEWER_SCHEMA, url=display_url, version=version, supported=SCHEMA_VERSION)


def _create_or_migrate(connection: Connection, display_url: str) -> None:
    version = _stored_version(connection)
    _check_not_newer(version, display_url)
    if version is None:
        metadata.create_all(connection)
        _guard_audit(connection)
        connection.execute(schema_version_table.insert().values(version=SCHEMA_VERSION, applied_at=_now()))
        return
    while version < SCHEMA_VERSION:
        MIGRATIONS[version](connection)
        version += 1
        connection.execute(schema_version_table.insert().values(version=version, applied_at=_now()))
