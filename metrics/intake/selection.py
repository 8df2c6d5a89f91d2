"""The files of one selection, before they are read: each content once, and the words for the repeats.

    uploads, repeated = distinct_files([(name, data), …])
    reads = [read_file(upload, …) for upload in uploads]           # metrics.intake.sources

Which of them may be stored and what they leave incomplete is metrics.services.selection's.
"""

from __future__ import annotations

from collections.abc import Sequence

from metrics.intake.upload import Upload


def distinct_files(files: Sequence[tuple[str, bytes] | Upload]) -> tuple[list[Upload], list[tuple[str, str]]]:
    """The files of one selection made into uploads, each content once (the first name it came under), and the
    (name, first name) of every repeat: the same file chosen twice is read, checked and stored once."""
    seen: dict[str, str] = {}
    kept: list[Upload] = []
    repeated: list[tuple[str, str]] = []
    for file in files:
        upload = file if isinstance(file, Upload) else Upload(*file)
        if upload.digest in seen:
            repeated.append((upload.name, seen[upload.digest]))
            continue
        seen[upload.digest] = upload.name
        kept.append(upload)
    return kept, repeated


def repeated_text(repeated: Sequence[tuple[str, str]]) -> str:
    """「已略過重複選取的檔案：「月報 (1).xlsx」（與「月報.xlsx」內容相同）」."""
    parts = [f"「{name}」（與「{first}」內容相同）" if name != first else f"「{name}」（選取了兩次）"
             for name, first in repeated]
    return "已略過重複選取的檔案：" + "、".join(parts) + "；每個檔案只讀取與儲存一次。"
