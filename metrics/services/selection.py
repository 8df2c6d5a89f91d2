"""The files of one selection once read, before they are stored: which the account may store, which are ready, and
what they would leave incomplete. The upload page (ui/upload.py) shows these; the decisions are here.

    reads = [read_file(upload, …) for upload in uploads]           # metrics.intake.sources
    not_permitted = unpermitted(reads, lambda unit: services.can(actor, Action.UPLOAD, unit))
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import pandas as pd

from metrics.evaluation.completeness import incomplete_after, lacking_text
from metrics.evaluation.figures import Figures
from metrics.intake.sources import FileRead
from metrics.plans.catalogue import Catalogue
from metrics.services.accounts import Decision


def periods(frame: pd.DataFrame) -> list[tuple[int, str]]:
    """The (year, unit) pairs a tidy frame holds figures for, in order."""
    return sorted({(int(year), str(unit)) for year, unit in zip(frame["year"], frame["unit"])})


def unpermitted(files: Sequence[FileRead],
                can_upload: Callable[[str], Decision]) -> dict[str, list[tuple[int, str, str]]]:
    """Files with figures of a unit the account may not report: by file name, each (year, unit, the core's reason)."""
    refused: dict[str, list[tuple[int, str, str]]] = {}
    for read in files:
        if read.read is None:
            continue
        for year, unit in periods(read.frame):
            decision = can_upload(unit)
            if not decision.allowed:
                refused.setdefault(read.name, []).append((year, unit, decision.reason))
    return refused


def files_without_problems(files: Sequence[FileRead], not_permitted: Mapping[str, object]) -> list[str]:
    """The names of the files read cleanly that the account may store: a refused file is never one of them."""
    return [read.name for read in files
            if read.read is not None and not read.problems and read.needed is None and read.name not in not_permitted]


def incomplete_lines(files: Sequence[FileRead], catalogue: Catalogue, stored: pd.DataFrame | None, shown_plan: object,
                     *, limit: int = 12) -> list[str]:
    """Months the files bring figures for that would still be incomplete once stored, by the plan of each (year,
    unit) they speak for: one line each, the unit named when it is not the plan shown (`shown_plan`, its key).
    `stored`: the figures in the store (None: nothing is, as for the sample)."""
    frames = [read.frame for read in files if read.read is not None]
    frame = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=["year", "unit"])
    if frame.empty:
        return []
    lines = []
    for year, unit in periods(frame):
        plan = catalogue.find(year, unit)
        if plan is None:
            continue
        current = Figures.from_frame(plan, stored if stored is not None else frame.iloc[0:0])
        prefix = "" if plan.key == shown_plan else f"{plan.unit_name} "
        lines += [f"{prefix}{lacking_text(plan, entry, limit=limit)}" for entry in incomplete_after(current, frame)]
    return lines
