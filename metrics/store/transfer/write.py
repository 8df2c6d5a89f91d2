"""A whole store written elsewhere: copied into another, empty database, or into a backup file."""

from __future__ import annotations

import datetime as dt
import gzip
import hashlib
import hmac
import json
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from metrics.errors import Refusal, RefusedInput, StoreError, StoreProblem
from metrics.store import TRANSFER_TABLES, Store
from metrics.store.transfer.format import (AUDIT_TABLE, BACKUP_FORMAT, BACKUP_FORMAT_VERSION, ROW_LINE_MAX_BYTES,
                                           SHORT_LINE_MAX_BYTES, Progress, Restartable, Stage, TransferStep,
                                           WrittenBackup, quiet)


def copy_store(source: Store, target: Store, *, progress: Progress = quiet) -> dict[str, int]:
    """Every row of `source` into the empty `target`, in one transaction of the target."""
    if source.stored_schema_version() != target.stored_schema_version():
        raise StoreError(StoreProblem.SCHEMA_VERSIONS_DIFFER)

    def tables() -> Iterator[tuple[str, list[str], list[tuple]]]:
        for name, columns, rows in source.table_rows():
            progress(TransferStep(Stage.COPY, name, len(rows)))
            yield name, columns, rows

    return target.load_rows(Restartable(tables))


def _json_value(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return value.isoformat()
    return value


def write_backup(store: Store, path: Path, *, key: bytes | None = None,
                 progress: Progress = quiet) -> WrittenBackup:
    """The whole store as a compressed, versioned file ending in its checksum (and HMAC with `key`); written
    beside and renamed, so a failure leaves no half file."""
    digest = hashlib.sha256()
    signature = hmac.new(key, digestmod=hashlib.sha256) if key is not None else None
    counts: dict[str, int] = {}
    lines = 0
    names = [table.name for table in TRANSFER_TABLES]
    anchor: tuple[int, str] | None = None
    partial = path.with_name(path.name + ".partial")

    def line(stream: IO[bytes], document: Any, limit: int) -> None:
        nonlocal lines
        data = json.dumps(document, ensure_ascii=False).encode("utf-8")
        if len(data) > limit:  # would be refused on restore: say so now, not on the day it is needed
            raise StoreError(StoreProblem.BACKUP_LINE_TOO_LONG, line=lines + 1, size=len(data), limit=limit)
        data += b"\n"
        digest.update(data)
        if signature is not None:
            signature.update(data)
        stream.write(data)
        lines += 1

    header = {"format": BACKUP_FORMAT, "format_version": BACKUP_FORMAT_VERSION,
              "schema_version": store.stored_schema_version(),
              "created_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
              "database": store.dialect, "tables": names}
    try:
        with gzip.open(partial, "wb", compresslevel=6) as stream:
            line(stream, header, SHORT_LINE_MAX_BYTES)
            for name, columns, rows in store.table_rows():
                progress(TransferStep(Stage.BACKUP, name, len(rows)))
                line(stream, {"table": name, "columns": columns, "rows": len(rows)}, SHORT_LINE_MAX_BYTES)
                for row in rows:
                    line(stream, [_json_value(value) for value in row], ROW_LINE_MAX_BYTES)
                counts[name] = len(rows)
                if name == AUDIT_TABLE and rows:
                    last = dict(zip(columns, rows[-1]))
                    anchor = (last["id"], last["row_hash"]) if last["row_hash"] else None
            trailer: dict[str, Any] = {"end": BACKUP_FORMAT, "lines": lines, "rows": counts,
                                       "sha256": digest.hexdigest(),
                                       "audit_anchor": {"id": anchor[0], "row_hash": anchor[1]} if anchor else None}
            if signature is not None:
                trailer["hmac_sha256"] = signature.hexdigest()
            stream.write(json.dumps(trailer, ensure_ascii=False).encode("utf-8") + b"\n")
        partial.replace(path)
    except BaseException as error:
        partial.unlink(missing_ok=True)
        if isinstance(error, OSError):  # a folder that is not there, a full disk: said, not a traceback
            raise RefusedInput(Refusal(StoreProblem.BACKUP_NOT_WRITTEN,
                                       {"path": str(path), "detail": error.strerror or str(error),
                                        "errno": error.errno})) from error
        raise
    return WrittenBackup(counts, digest.hexdigest(), signature is not None, anchor)
