"""The project's one small exception hierarchy.

Every message is in Traditional Chinese, for the civil servant who reads it, and names
where the problem is (file, sheet, cell or row, field), the value found and what was expected.
"""

from __future__ import annotations

from dataclasses import dataclass


class KpiError(Exception):
    """Base of every error this project raises on purpose."""


class PlanError(KpiError):
    """A plan, a plan file or the plan catalogue is inconsistent; the message names the file, key and line."""

    def __init__(self, message: str, *, issues: list | None = None):
        self.issues = list(issues or [])
        super().__init__(message)


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input, located as precisely as we can."""

    message: str
    file: str = ""
    sheet: str = ""
    cell: str = ""
    field: str = ""
    value: str = ""

    def place(self) -> str:
        parts = []
        if self.file:
            parts.append(f"檔案「{self.file}」")
        if self.sheet:
            parts.append(f"工作表「{self.sheet}」")
        if self.cell:
            parts.append(f"儲存格 {self.cell}")
        return "".join(parts)

    def __str__(self) -> str:
        place = self.place()
        field = f"（項目：{self.field}）" if self.field else ""
        prefix = f"{place}{field}：" if place or field else ""
        return f"{prefix}{self.message}"


class InputError(KpiError):
    """An uploaded file or a command-line argument is not acceptable; nothing was stored."""

    def __init__(self, problems: list[Problem] | Problem | str):
        if isinstance(problems, str):
            problems = [Problem(problems)]
        elif isinstance(problems, Problem):
            problems = [problems]
        self.problems: list[Problem] = list(problems)
        super().__init__("\n".join(str(problem) for problem in self.problems))


class PlanNotFound(InputError):
    """No plan exists for a (year, unit): its figures are refused, never scored against another plan."""


class NoTableError(InputError):
    """The file holds no table this reader knows (another reader, e.g. for system exports, may)."""


class StoreError(KpiError):
    """The store could not be read or written (connection, schema, unknown batch)."""


class StoreBusy(StoreError):
    """Another writer held the store's write lock for longer than this writer waits; nothing was written and
    trying again later is the remedy."""


class RenderingUnavailable(KpiError):
    """This machine cannot draw a PDF report: the Chinese font or the browser that draws the charts is missing;
    the message says what to install."""


class BackupRefused(InputError):
    """A backup file is damaged, incomplete, edited or not verifiable; the message names the line, table, column
    and what was expected, and nothing was written."""
