"""PostgreSQL: the app runs as a role that does not own the tables.

The owner of a table can disable its triggers, drop them, or truncate it: the audit trail's append-only triggers
hold only against a role that does not own it. So the tables are created and upgraded by an owner role
(`python -m metrics migrate --db OWNER_URL`), and the dashboard and the command line run as a runtime role with
no more than they need: read and write the data tables, read and add to the audit trail, read the schema version.
It cannot change or delete an audit row, truncate, alter, disable a trigger or create anything.
"""

from __future__ import annotations

import re

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from metrics.errors import Refusal, RefusedInput, StoreError, StoreOperation, StoreProblem
from metrics.store import TRANSFER_TABLES, Store, audit_table, schema_version_table

_ROLE_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


def runtime_grants(role: str, schema: str) -> list[str]:
    """The statements that give `role` what the app needs at run time, and nothing more (any earlier grant on
    these tables is revoked first)."""
    if not _ROLE_NAME.match(role):
        raise RefusedInput(Refusal(StoreProblem.BAD_ROLE_NAME, {"role": role}))
    data = ", ".join(table.name for table in TRANSFER_TABLES if table is not audit_table)
    return [
        f'GRANT USAGE ON SCHEMA "{schema}" TO {role}',
        f'REVOKE ALL ON ALL TABLES IN SCHEMA "{schema}" FROM {role}',
        f"GRANT SELECT ON {schema_version_table.name} TO {role}",
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON {data} TO {role}",
        f"GRANT SELECT, INSERT ON {audit_table.name} TO {role}",
        f'GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA "{schema}" TO {role}',
    ]


def grant_runtime_role(store: Store, role: str) -> list[str]:
    """Grant `role` the runtime privileges on the store's tables, as their owner; returns the statements run.
    Refused for a role that owns the tables or is a superuser: no grant can hold such a role back."""
    if store.dialect != "postgresql":
        raise RefusedInput(Refusal(StoreProblem.GRANT_ONLY_POSTGRESQL, {}))
    runtime_grants(role, "public")  # the name is checked before anything is asked of the database

    def write(connection: Connection) -> list[str]:
        found = connection.execute(sa.text("SELECT rolsuper FROM pg_roles WHERE rolname = :role"),
                                   {"role": role}).first()
        if found is None:
            raise StoreError(StoreProblem.NO_SUCH_ROLE, role=role)
        if found.rolsuper:
            raise StoreError(StoreProblem.ROLE_IS_SUPERUSER, role=role)
        owner = connection.execute(sa.text(
            "SELECT tableowner FROM pg_tables WHERE schemaname = current_schema() AND tablename = 'audit_log'")).scalar()
        if owner == role:
            raise StoreError(StoreProblem.ROLE_OWNS_TABLES, role=role)
        schema = connection.execute(sa.text("SELECT current_schema()")).scalar_one()
        statements = runtime_grants(role, schema)
        for statement in statements:
            connection.execute(sa.text(statement))
        return statements

    with store._errors(StoreOperation.GRANT_RUNTIME_ROLE):
        return store._write(write)
