"""A whole store moved or kept: copy between databases (SQLite ⇄ PostgreSQL), a portable backup file, its check
and restore (metrics.evaluation.copies checks that two stores evaluate every (year, unit, month) alike).

A backup is gzip-compressed JSON lines, not a copy of a database file: it opens on any database the program
supports, and it carries its own format and schema version, so a newer dump is refused rather than misread.

    {"format": "kpi-store-backup", "format_version": 2, "schema_version": 3, "created_at": "…", "database": "…",
     "tables": ["batches", …]}                                     every table, in the order of the sections
    {"table": "batches", "columns": ["id", "file_name", …], "rows": 12}
    [1, "112-01.xlsx", …]                                           one line per row, in primary-key order
    …
    {"end": "kpi-store-backup", "lines": 250, "rows": {"batches": 12, …}, "sha256": "…", "hmac_sha256": "…",
     "audit_anchor": {"id": 1234, "row_hash": "…"}}

The last line (the trailer) holds the SHA-256 of every byte before it, and, when the backup was made with the key
in KPI_BACKUP_KEY, their HMAC-SHA256: `zcat FILE | head -n -1 | sha256sum` gives the same digest. The counts are in
the trailer because the rows are read while they are written; the header names the tables, so a missing section or
a file cut short is refused. A restore reads the file twice: once to check everything before the target is touched,
then again inside the one transaction that writes, checking all of it again (the file could change in between),
so nothing is stored unless every check passed. Besides each value's type, the reading checks what the database
would refuse (keys, unique constraints, references to rows earlier in the file), the audit trail's hash chain and
that every plan version is TOML. The trailer's audit_anchor is the chain's last row (id, row_hash): kept outside
the database with every backup, it shows later whether the newest audit rows were deleted (audit --verify
--anchor-from); older backups without it are still read. Format 1 (no trailer, counts in the header) is read only
when the operator accepts, in so many words, that it cannot be verified.

The package: `format` (the format's constants, the backup key, what a write or a check found and the steps progress
is told of), `write` (a copy between databases and a backup file written), `check` (a backup file read through, every
byte checked before it is believed) and `restore` (a checked backup file into an empty store, checked again as it is
written). What they find is data (a BackupRefused holds a BackupFault: a BackupProblem with the line, table, row,
column and value); metrics.services.transfer_wording says it to people.
"""
