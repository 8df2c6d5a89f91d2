"""Files chosen together that disagree: two files giving different values for the same (year, month, unit,
field). Storing them in order would keep the last one silently, so the disagreements are found before
anything is stored and each must be settled by the user: which file's value is kept (or a file dropped).

Files are told apart by their position in the selection (two files may share a name); the same value in
two files is no conflict (the second one is stored as 相同).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

import pandas as pd

from metrics.errors import InputError, Problem
from metrics.plans.plan import plain_number

Key = tuple[int, int, str, str]  # (year, month, unit, field)


@dataclass(frozen=True)
class Entry:
    """One file's value for a conflicting key and where in the file it is."""

    file: int  # the file's position in the selection
    name: str
    value: Decimal
    sheet: str = ""
    cell: str = ""

    @property
    def place(self) -> str:
        if self.sheet and self.cell:
            return f"{self.sheet}!{self.cell}"
        return self.cell or self.sheet

    @property
    def text(self) -> str:
        """12（月報!C5）: the value and the cell it came from."""
        return f"{plain_number(self.value)}（{self.place}）" if self.place else plain_number(self.value)


@dataclass(frozen=True)
class Conflict:
    year: int
    month: int
    unit: str
    field: str
    entries: tuple[Entry, ...]  # one per file that has the key, in selection order

    @property
    def key(self) -> Key:
        return (self.year, self.month, self.unit, self.field)

    @property
    def files(self) -> tuple[int, ...]:
        return tuple(entry.file for entry in self.entries)

    def entry(self, file: int) -> Entry | None:
        return next((entry for entry in self.entries if entry.file == file), None)

    def label(self, field_names: Mapping[str, str] | None = None) -> str:
        """112年3月 預警案件數."""
        return f"{self.year}年{self.month}月 {(field_names or {}).get(self.field, self.field)}"

    def choice_text(self, chosen: int, field_names: Mapping[str, str] | None = None) -> str:
        """112年3月 預警案件數 以「B.xlsx」的 4 為準（「A.xlsx」為 12）: what a choice kept and what it left out."""
        kept = self.entry(chosen)
        if kept is None:
            raise ValueError(f"file {chosen} has no value for {self.key}")
        others = "、".join(f"「{entry.name}」為 {plain_number(entry.value)}" for entry in self.entries
                           if entry.file != chosen)
        return f"{self.label(field_names)} 以「{kept.name}」的 {plain_number(kept.value)} 為準（{others}）"


class FilesConflict(InputError):
    """Files chosen together give different values for the same month and field; nothing was stored."""

    def __init__(self, conflicts: Sequence[Conflict], field_names: Mapping[str, str] | None = None):
        self.conflicts = list(conflicts)
        super().__init__([Problem(f"{conflict.unit} {conflict.label(field_names)} 在所選的檔案中數值不同："
                                  + "、".join(f"「{entry.name}」為 {entry.text}" for entry in conflict.entries)
                                  + "；請選擇以哪個檔案為準，或不使用其中一個檔案")
                          for conflict in self.conflicts])


def find_conflicts(files: Sequence[tuple[str, pd.DataFrame]]) -> list[Conflict]:
    """Every (year, month, unit, field) that two or more of the files give different values for, in the order
    year, unit, month, field; files are (name, tidy frame) in selection order."""
    seen: dict[Key, list[Entry]] = {}
    for position, (name, frame) in enumerate(files):
        if frame.empty:
            continue
        columns = [frame[column].tolist() for column in ("year", "month", "unit", "field", "value",
                                                         "source_sheet", "source_cell")]
        for year, month, unit, field, value, sheet, cell in zip(*columns):
            key = (int(year), int(month), str(unit), str(field))
            entries = seen.setdefault(key, [])
            if any(entry.file == position for entry in entries):
                continue  # a file repeating a key is the reader's problem, refused there
            entries.append(Entry(position, name, Decimal(str(value)), _text(sheet), _text(cell)))
    conflicts = [Conflict(*key, tuple(entries)) for key, entries in seen.items()
                 if len({entry.value for entry in entries}) > 1]
    return sorted(conflicts, key=lambda conflict: (conflict.year, conflict.unit, conflict.month, conflict.field))


def unresolved(conflicts: Sequence[Conflict], choices: Mapping[Key, int]) -> list[Conflict]:
    """The conflicts without a choice, or whose choice is a file that has no value for it."""
    return [conflict for conflict in conflicts if choices.get(conflict.key) not in conflict.files]


def resolve(frames: Sequence[pd.DataFrame], conflicts: Sequence[Conflict],
            choices: Mapping[Key, int]) -> list[pd.DataFrame]:
    """The frames with each conflicting value left out of every file but the chosen one; the files' other values
    are untouched. A conflict without a valid choice is refused (FilesConflict)."""
    open_conflicts = unresolved(conflicts, choices)
    if open_conflicts:
        raise FilesConflict(open_conflicts)
    dropped: dict[int, set[Key]] = {}
    for conflict in conflicts:
        for file in conflict.files:
            if file != choices[conflict.key]:
                dropped.setdefault(file, set()).add(conflict.key)
    result = []
    for position, frame in enumerate(frames):
        keys = dropped.get(position)
        if not keys or frame.empty:
            result.append(frame)
            continue
        keep = [(int(year), int(month), str(unit), str(field)) not in keys
                for year, month, unit, field in zip(frame["year"], frame["month"], frame["unit"], frame["field"])]
        result.append(frame[keep].reset_index(drop=True))
    return result


def choose_file(conflicts: Sequence[Conflict], file: int) -> dict[Key, int]:
    """以「檔名」為準 for all: the file's value for every conflict it has a value in."""
    return {conflict.key: file for conflict in conflicts if file in conflict.files}


def conflict_table(conflicts: Sequence[Conflict], names: Sequence[str],
                   field_names: Mapping[str, str] | None = None) -> pd.DataFrame:
    """Side by side: 年月, 項目 (單位 when the conflicts span several units), then one column per file involved
    with its value and cell, "—" where the file has none. Columns are the files' names, numbered if two share one."""
    involved = sorted({file for conflict in conflicts for file in conflict.files})
    headers = file_headers(names)
    several_units = len({conflict.unit for conflict in conflicts}) > 1
    rows = []
    for conflict in conflicts:
        row: dict[str, str] = {"單位": conflict.unit} if several_units else {}
        row["年月"] = f"{conflict.year}年{conflict.month}月"
        row["項目"] = (field_names or {}).get(conflict.field, conflict.field)
        for file in involved:
            entry = conflict.entry(file)
            row[headers[file]] = entry.text if entry else "—"
        rows.append(row)
    columns = (["單位"] if several_units else []) + ["年月", "項目"] + [headers[file] for file in involved]
    return pd.DataFrame(rows, columns=columns)


def file_headers(names: Sequence[str]) -> list[str]:
    """Each file's name as a column header; a name chosen twice gets its position: 月報.xlsx（第 2 個檔案）."""
    return [name if names.count(name) == 1 else f"{name}（第 {position + 1} 個檔案）"
            for position, name in enumerate(names)]


def _text(value: object) -> str:
    if value is None or (isinstance(value, float) and value != value):
        return ""
    return str(value)


__all__ = ["Conflict", "Entry", "FilesConflict", "Key", "choose_file", "conflict_table", "file_headers",
           "find_conflicts", "resolve", "unresolved"]
