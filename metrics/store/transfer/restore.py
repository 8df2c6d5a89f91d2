"""A checked backup file into an empty store, in one transaction that checks the whole file again as it writes."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from metrics.errors import BackupRefused
from metrics.names import TABLE_LABELS
from metrics.store import Store
from metrics.store.transfer.check import REFUSED, check_backup, sections
from metrics.store.transfer.format import BACKUP_MAX_BYTES, BackupCheck, Progress, Restartable, quiet


def restore_backup(path: Path, target: Store, *, key: bytes | None = None, accept_unverified: bool = False,
                   max_bytes: int = BACKUP_MAX_BYTES, checked: BackupCheck | None = None,
                   progress: Progress = quiet) -> dict[str, int]:
    """A backup file into the empty `target`, in one transaction that commits only after the whole file was checked
    again inside it; a damaged, truncated, edited or unverifiable file writes nothing. `checked`: the result of
    check_backup for the same arguments, when the caller has already run it (else it is run here first)."""
    if checked is None:
        checked = check_backup(path, key=key, accept_unverified=accept_unverified, max_bytes=max_bytes,
                               progress=progress)
    outcome: dict[str, Any] = {}

    def tables() -> Iterator[tuple[str, list[str], Iterator[list[Any]]]]:
        for name, columns, rows in sections(path, key=key, accept_unverified=accept_unverified,
                                             max_bytes=max_bytes, outcome=outcome):
            progress(f"還原{TABLE_LABELS.get(name, name)}：{checked.counts.get(name, 0):,} 筆")
            yield name, columns, rows
        if outcome["sha256"] != checked.sha256 or outcome["counts"] != checked.counts:
            raise BackupRefused(f"備份檔「{path.name}」在檢查之後、還原之中被更換或修改；{REFUSED}")

    return target.load_rows(Restartable(tables))
