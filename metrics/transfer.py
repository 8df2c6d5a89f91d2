"""A whole store moved or kept: copy between databases (SQLite ⇄ PostgreSQL), a portable backup file, its restore,
and the check that two stores evaluate every (year, unit, month) alike.

A backup is gzip-compressed JSON lines, not a copy of a database file: it opens on any database the program
supports, and it carries its own format and schema version, so a newer dump is refused rather than misread.

    {"format": "kpi-store-backup", "format_version": 1, "schema_version": 3, "created_at": "…", "tables": {…}}
    {"table": "batches", "columns": ["id", "file_name", …], "rows": 12}
    [1, "112-01.xlsx", …]                       one line per row, in primary-key order
    …
"""

from __future__ import annotations

import datetime as dt
import gzip
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from metrics.catalogue import Catalogue
from metrics.errors import StoreError
from metrics.evaluation import evaluate
from metrics.figures import Figures
from metrics.store import SCHEMA_VERSION, TABLE_LABELS, Store

BACKUP_FORMAT = "kpi-store-backup"
BACKUP_FORMAT_VERSION = 1

Progress = Callable[[str], None]


@dataclass(frozen=True)
class Verification:
    """Two stores compared: the same rows per table, the same evaluation for every (year, unit, month)."""

    evaluations: int  # (year, unit, month) evaluated in both
    differences: tuple[str, ...]  # what differs, in words; empty when the stores agree

    @property
    def identical(self) -> bool:
        return not self.differences

    def summary(self) -> str:
        if self.identical:
            return f"驗證通過：兩個資料庫各資料表筆數相同，{self.evaluations:,} 個（年度、單位、月份）的評核結果完全一致。"
        shown = "\n  ・".join(self.differences[:20])
        more = f"\n  …另 {len(self.differences) - 20:,} 處" if len(self.differences) > 20 else ""
        return f"驗證未通過，有 {len(self.differences):,} 處不同：\n  ・{shown}{more}"


def _quiet(_message: str) -> None:
    return None


def copy_store(source: Store, target: Store, *, progress: Progress = _quiet) -> dict[str, int]:
    """Every row of `source` into the empty `target`, in one transaction of the target."""
    if source.stored_schema_version() != target.stored_schema_version():
        raise StoreError("來源與目標資料庫的結構版本不同，請以同一版本的程式開啟兩者後再複製。")

    def tables() -> Iterator[tuple[str, list[str], list[tuple]]]:
        for name, columns, rows in source.table_rows():
            progress(f"複製{TABLE_LABELS.get(name, name)}：{len(rows):,} 筆")
            yield name, columns, rows

    return target.load_rows(tables())


def _json_value(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return value.isoformat()
    return value


def write_backup(store: Store, path: Path, *, progress: Progress = _quiet) -> dict[str, int]:
    """The whole store as a compressed, versioned file; written beside and renamed, so a failure leaves no half file."""
    counts = store.row_counts()
    header = {"format": BACKUP_FORMAT, "format_version": BACKUP_FORMAT_VERSION,
              "schema_version": store.stored_schema_version(),
              "created_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
              "database": store.dialect, "tables": counts}
    partial = path.with_name(path.name + ".partial")
    try:
        with gzip.open(partial, "wt", encoding="utf-8", compresslevel=6) as stream:
            stream.write(json.dumps(header, ensure_ascii=False) + "\n")
            for name, columns, rows in store.table_rows():
                progress(f"備份{TABLE_LABELS.get(name, name)}：{len(rows):,} 筆")
                stream.write(json.dumps({"table": name, "columns": columns, "rows": len(rows)},
                                        ensure_ascii=False) + "\n")
                for row in rows:
                    stream.write(json.dumps([_json_value(value) for value in row], ensure_ascii=False) + "\n")
        partial.replace(path)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return {name: count for name, count in counts.items()}


def read_backup_header(path: Path) -> dict[str, Any]:
    with _open_backup(path) as stream:
        return _header(stream, path)


def _open_backup(path: Path) -> IO[str]:
    try:
        return gzip.open(path, "rt", encoding="utf-8")
    except OSError as error:
        raise StoreError(f"無法開啟備份檔「{path}」：{error}") from error


def _header(stream: IO[str], path: Path) -> dict[str, Any]:
    try:
        header = json.loads(stream.readline())
    except (OSError, EOFError, ValueError) as error:
        raise StoreError(f"「{path.name}」不是本系統的備份檔（無法讀取檔頭：{error}）。") from error
    if not isinstance(header, dict) or header.get("format") != BACKUP_FORMAT:
        raise StoreError(f"「{path.name}」不是本系統的備份檔（以 python -m metrics backup 產生的 .gz 檔）。")
    if header.get("format_version") != BACKUP_FORMAT_VERSION:
        raise StoreError(f"「{path.name}」的備份格式版本為 {header.get('format_version')}，本程式只讀得懂第 "
                         f"{BACKUP_FORMAT_VERSION} 版；請改用產生它的程式版本還原。")
    version = header.get("schema_version")
    if not isinstance(version, int) or version > SCHEMA_VERSION:
        raise StoreError(f"「{path.name}」來自資料庫結構第 {version} 版，比本程式支援的第 {SCHEMA_VERSION} 版新；"
                         "請改用較新版的程式還原。為避免資料損壞，未寫入任何資料。")
    if version < SCHEMA_VERSION:
        raise StoreError(f"「{path.name}」來自資料庫結構第 {version} 版，本程式為第 {SCHEMA_VERSION} 版；請先以產生"
                         "此備份的程式版本還原，再以本程式開啟該資料庫（會自動升級），然後重新備份。")
    return header


def restore_backup(path: Path, target: Store, *, progress: Progress = _quiet) -> dict[str, int]:
    """A backup file into the empty `target`, in one transaction; a damaged or truncated file writes nothing."""
    with _open_backup(path) as stream:
        _header(stream, path)

        def tables() -> Iterator[tuple[str, list[str], list[list[Any]]]]:
            line_number = 1
            try:
                while True:
                    line = stream.readline()
                    line_number += 1
                    if not line:
                        return
                    section = json.loads(line)
                    name, columns, count = section["table"], section["columns"], int(section["rows"])
                    rows = []
                    for _ in range(count):
                        row = stream.readline()
                        line_number += 1
                        if not row:
                            raise StoreError(f"備份檔「{path.name}」不完整：{TABLE_LABELS.get(name, name)}應有 {count:,} 筆，"
                                             f"只讀到 {len(rows):,} 筆；未寫入任何資料。")
                        rows.append(json.loads(row))
                    progress(f"還原{TABLE_LABELS.get(name, name)}：{count:,} 筆")
                    yield name, columns, rows
            except (OSError, EOFError, ValueError, KeyError, TypeError) as error:
                raise StoreError(f"備份檔「{path.name}」第 {line_number:,} 行無法讀取（{error}）；"
                                 "檔案可能已損壞，未寫入任何資料。") from error

        return target.load_rows(tables())


def evaluation_keys(store: Store, catalogue: Catalogue) -> list[tuple[int, str]]:
    """Every (year, unit) the store holds figures of and that has a plan in the catalogue."""
    frame = store.current_frame()
    held = {(int(year), str(unit)) for year, unit in zip(frame["year"], frame["unit"])}
    return sorted(key for key in held if key in catalogue.plans)


def verify(source: Store, target: Store, files: Catalogue, *, progress: Progress = _quiet) -> Verification:
    """Whether two stores hold the same rows and evaluate every (year, unit, month) alike, with the plans each
    store has (its stored versions, else the plan files)."""
    from metrics.planning import stored_catalogue

    differences: list[str] = []
    source_counts, target_counts = source.row_counts(), target.row_counts()
    for name in sorted(set(source_counts) | set(target_counts)):
        if source_counts.get(name, 0) != target_counts.get(name, 0):
            differences.append(f"{TABLE_LABELS.get(name, name)}：來源 {source_counts.get(name, 0):,} 筆，"
                               f"目標 {target_counts.get(name, 0):,} 筆")
    catalogues = (stored_catalogue(source, files), stored_catalogue(target, files))
    keys = evaluation_keys(source, catalogues[0])
    if keys != evaluation_keys(target, catalogues[1]):
        differences.append("兩個資料庫有數字且有計畫的（年度、單位）不同")
    evaluations = 0
    for year, unit in keys:
        progress(f"驗證 {unit} {year} 年")
        frames = (source.current_frame(year=year, unit=unit), target.current_frame(year=year, unit=unit))
        plans = (catalogues[0].plan(year, unit), catalogues[1].plan(year, unit))
        figures = [Figures.from_frame(plan, frame) for plan, frame in zip(plans, frames)]
        for month in range(1, 13):
            documents = [evaluate(one, month).to_json() for one in figures]
            evaluations += 1
            if documents[0] != documents[1]:
                differences.append(f"{unit} {year} 年 {month} 月的評核結果不同")
    return Verification(evaluations, tuple(differences))


def describe_counts(counts: dict[str, int]) -> str:
    return "、".join(f"{TABLE_LABELS.get(name, name)} {count:,} 筆" for name, count in counts.items() if count) \
        or "（沒有資料）"
