"""A backup's format: its constants and limits, the backup key, and what a write or a check of a backup found."""

from __future__ import annotations

import enum
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from metrics.errors import BackupRefused
from metrics.names import TABLE_LABELS

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

Progress = Callable[[str], None]


def quiet(_message: str) -> None:
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
        raise BackupRefused(f"環境變數 {KEY_VARIABLE} 已設定，但只有 {len(text.strip())} 個字元，太短而不足以當作金鑰"
                            f"（至少 {KEY_MIN_LENGTH} 個字元；可用 openssl rand -hex 32 產生）；請設定正確的金鑰，"
                            "或取消設定此變數。未寫入任何資料。")
    return text.encode("utf-8")


class Verified(enum.Enum):
    """How much of a backup's origin and content was verified."""

    HMAC = "來源與內容均已驗證（HMAC-SHA256，金鑰 KPI_BACKUP_KEY）"
    CHECKSUM = "內容完整（SHA-256 檢查碼相符）；未驗證來源（沒有以金鑰驗證）"
    NONE = "未驗證（第 1 版備份檔沒有檢查碼，依 --accept-unverified 接受）"


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
    warnings: tuple[str, ...]
    anchor: tuple[int, str] | None = None  # the audit trail's last (id, row_hash), its chain walked; None: empty

    @property
    def created_at(self) -> str:
        return str(self.header["created_at"])


def describe_counts(counts: dict[str, int]) -> str:
    return "、".join(f"{TABLE_LABELS.get(name, name)} {count:,} 筆" for name, count in counts.items() if count) \
        or "（沒有資料）"
