"""One uploaded file, made once per file and handed to every check and reader that looks at it.

The digest is computed once, the workbook's zip directory is opened once, and what a step learns about
the file (its kind under a size limit, the first rows of its sheets, its CSV layout) is kept on it for the
steps after: recognising a file and then reading it must not open, hash or sample it again.

    upload = Upload("公文清單.xlsx", data)
    upload.digest        # SHA-256, hex
    upload.archive       # zipfile.ZipFile over the bytes (the safety checks run first)
    upload.once(key, make)  # a result kept on the file, computed at the first asking
"""

from __future__ import annotations

import hashlib
import io
import threading
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from typing import TypeVar

from metrics.errors import KpiError

T = TypeVar("T")


@dataclass(frozen=True)
class FileDigest:
    """A file's SHA-256 (hex) as the intake computed it: the store records it, and never needs the bytes."""

    sha256: str

    @classmethod
    def of(cls, data: bytes) -> FileDigest:
        return cls(hashlib.sha256(data).hexdigest())


class Upload:
    """A file as uploaded: its name and bytes, and what has been learnt about it so far."""

    def __init__(self, name: str, data: bytes, *, digest: str | None = None):
        self.name = name
        self.data = data
        self._known: dict[object, object] = {}
        self._lock = threading.RLock()
        if digest is not None:
            self.__dict__["digest"] = digest

    @classmethod
    def of(cls, data: bytes | Upload, name: str = "") -> Upload:
        """The upload itself, or bytes (a caller reading one file once, such as a test) made into one."""
        return data if isinstance(data, Upload) else cls(name, bytes(data))

    def __repr__(self) -> str:
        return f"Upload({self.name!r}, {len(self.data):,} bytes)"

    def __len__(self) -> int:
        return len(self.data)

    @cached_property
    def digest(self) -> str:
        """SHA-256 of the bytes, hex: what the store keeps of a file, and how a repeat is told."""
        return hashlib.sha256(self.data).hexdigest()

    @property
    def file_digest(self) -> FileDigest:
        return FileDigest(self.digest)

    @cached_property
    def archive(self) -> zipfile.ZipFile:
        """The workbook's zip directory, read once; zipfile's own errors propagate (the safety check words them)."""
        return zipfile.ZipFile(io.BytesIO(self.data))

    def once(self, key: object, make: Callable[[], T]) -> T:
        """make()'s result, computed at the first asking and kept; a refusal (KpiError) is kept and raised again."""
        with self._lock:
            if key not in self._known:
                try:
                    self._known[key] = make()
                except KpiError as error:
                    self._known[key] = _Refused(error)
            found = self._known[key]
        if isinstance(found, _Refused):
            raise found.error
        return found  # type: ignore[return-value]


@dataclass(frozen=True)
class _Refused:
    error: KpiError
