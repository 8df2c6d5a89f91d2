"""A backup's format: its constants and limits, the backup key, and what a write or a check of a backup found."""

from __future__ import annotations

import enum
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from metrics.errors import BackupFault, BackupProblem, BackupRefused

BACKUP_FORMAT = "kpi-store-backup"
BACKUP_FORMAT_VERSION = 2
UNVERIFIABLE_FORMAT_VERSION = 1  # no checksum: read only with accept_unverified

KEY_VARIABLE = "KPI_BACKUP_KEY"
KEY_MIN_LENGTH = 16
# Limits applied while the file is decompressed, before a line is parsed: a file past them is refused having held
# at most one line and one chunk. A row holds at most a plan document, a scenario or an audit text (kilobytes; 20 MB
# would already be refused by the services), so 64 MiB per row line leaves room; header, table and end lines are a
# few hundred bytes. A county's store over ten years is a few hundred MB as a backup's text; 4 GiB leaves ten times
# that, and restore --max-mb raises it for a larger store.
ROW_LINE_MAX_BYTES = 64 * 1024 * 1024
SHORT_LINE_MAX_BYTES = 64 * 1024
BACKUP_MAX_BYTES = 4 * 1024 * 1024 * 1024
AUDIT_TABLE = "audit_log"

class Stage(enum.Enum):
    """What a copy, backup, check or restore is doing to a table, for the progress shown while it runs."""

    COPY = "copy"
    BACKUP = "backup"
    CHECK = "check"
    RESTORE = "restore"


@dataclass(frozen=True)
class TransferStep:
    stage: Stage
    table: str
    rows: int | None = None  # None: not known yet (a check counts them as it reads)


Progress = Callable[[TransferStep], None]


def quiet(_step: TransferStep) -> None:
    return None


class Restartable:
    """Tables that start again from the beginning each time they are iterated: the store retries a transaction
    that met a deadlock, and a generator half consumed by the first attempt would give the second only the rest."""

    def __init__(self, tables: Callable[[], Iterator[tuple[str, list[str], Any]]]) -> None:
        self.tables = tables

    def __iter__(self) -> Iterator[tuple[str, list[str], Any]]:
        return self.tables()


def backup_key() -> bytes | None:
    """The key of KPI_BACKUP_KEY, or None when it is not set; a key set but too short to be a secret is refused
    rather than used (or ignored) without a word."""
    text = os.environ.get(KEY_VARIABLE)
    if text is None:
        return None
    if len(text.strip()) < KEY_MIN_LENGTH:
        raise BackupRefused(BackupProblem.KEY_TOO_SHORT, variable=KEY_VARIABLE, length=len(text.strip()),
                            minimum=KEY_MIN_LENGTH)
    return text.encode("utf-8")


class Verified(enum.Enum):
    """How much of a backup's origin and content was verified."""

    HMAC = "hmac"  # origin and content, with the key
    CHECKSUM = "checksum"  # content only
    NONE = "none"  # format 1, accepted unverified


@dataclass(frozen=True)
class WrittenBackup:
    counts: dict[str, int]  # rows per table
    sha256: str  # of every byte before the trailer, as `zcat FILE | head -n -1 | sha256sum` shows it
    signed: bool  # an HMAC with KPI_BACKUP_KEY is in the trailer
    anchor: tuple[int, str] | None = None  # the audit trail's last (id, row_hash); None when it is empty


@dataclass(frozen=True)
class BackupCheck:
    """A backup file read through and found whole: what it holds and how far it was verified."""

    header: dict[str, Any]
    counts: dict[str, int]
    sha256: str | None  # None for format 1
    verified: Verified
    notes: tuple[BackupFault, ...]  # what was accepted unverified, worded as warnings
    anchor: tuple[int, str] | None = None  # the audit trail's last (id, row_hash), its chain walked; None: empty

    @property
    def created_at(self) -> str:
        return str(self.header["created_at"])

    @property
    def warnings(self) -> tuple[str, ...]:
        return tuple(str(note) for note in self.notes)
