"""A checked backup file into an empty store, in one transaction that checks the whole file again as it writes."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from metrics.errors import BackupProblem, BackupRefused
from metrics.store import Store
from metrics.store.transfer.check import check_backup, sections
from metrics.store.transfer.format import (BACKUP_MAX_BYTES, BackupCheck, Progress, Restartable, Stage, TransferStep,
                                           quiet)


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
            progress(TransferStep(Stage.RESTORE, name, checked.counts.get(name, 0)))
            yield name, columns, rows
        if outcome["sha256"] != checked.sha256 or outcome["counts"] != checked.counts:
            raise BackupRefused(BackupProblem.CHANGED_DURING_RESTORE, file=path.name)

    return target.load_rows(Restartable(tables))
