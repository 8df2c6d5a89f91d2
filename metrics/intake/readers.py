"""The readers an upload may be read by, and how well each recognises it.

    READERS["template"], READERS["long"]       the monthly template and the long table (metrics.intake.monthly)
    READERS["document_log"], …                  each system export (metrics.intake.exports)

An export reader recognises a file from the first look alone (the first rows of its sheets, kept on the upload):
its header row and columns found (SURE), its header row found but columns uncertain (COLUMNS), or only its words
among the headers (GUESS). The two monthly tables are strict: they recognise a file by reading it, so they are
tried first on any file small enough to be one, unless a large file is already recognised as an export.
Nothing recognised: the user chooses the kind (metrics.intake.sources.KindNeeded).

    rank(headers, picked=…)    every export kind's fit to a header row, best first (Candidate: kind, fit, columns)
    offered(candidates)        the kinds to offer the user: the best when not SURE, with any other within one level
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import IntEnum

from metrics.intake.exports import SOURCES, MappingNeeded
from metrics.intake.exports.common import SOURCE_NAMES
from metrics.intake.exports.detect import Located, locate, resolve
from metrics.intake import safety
from metrics.intake.extract import SheetSample, csv_first_look, samples_of
from metrics.intake.upload import Upload


class Fit(IntEnum):
    """How well a reader recognises a file: the best fit is used, none (NONE) leaves the choice to the user."""

    NONE = 0
    GUESS = 1  # its words among the headers, not enough to say which column is which
    COLUMNS = 2  # its header row, with columns the user must confirm
    SURE = 3  # its header row and every column it needs


@dataclass(frozen=True)
class Reader:
    kind: str  # template | long | an export source (document_log, roster, ledger, case_log)
    label: str  # as a read is shown: 月報範本, 長表, 公文清單（公文管理系統匯出）…
    name: str  # as the user chooses the kind of a file nothing recognised: 月報範本, 長表, 公文清單…
    table: bool  # a monthly table, recognised by reading it; else an export, recognised from the first look


TABLE_KINDS = ("template", "long")
READERS: dict[str, Reader] = {
    **{kind: Reader(kind, label, label, True) for kind, label in zip(TABLE_KINDS, ("月報範本", "長表"))},
    **{name: Reader(name, spec.label, SOURCE_NAMES[name], False) for name, spec in SOURCES.items()},
}


@dataclass(frozen=True)
class FirstLook:
    """What the first rows say about a file as an export: where its header is and whose columns it holds."""

    located: Located | None = None
    needed: MappingNeeded | None = None  # a header row, or none, whose columns need the user

    def fit(self, kind: str) -> Fit:
        if self.located is not None:
            return Fit.SURE if self.located.spec.name == kind else Fit.NONE
        if self.needed is not None and self.needed.source == kind:
            return Fit.COLUMNS
        if self.needed is not None and self.needed.source is None and self.needed.source_guess == kind:
            return Fit.GUESS
        return Fit.NONE


def samples(upload: Upload) -> list[SheetSample]:
    """The first rows of every visible sheet (or of the CSV), without reading the rest."""
    if safety.check_upload(upload, max_bytes=safety.EXPORT_MAX_BYTES) == "xlsx":
        return samples_of(upload)
    return [csv_first_look(upload)]


def first_look(upload: Upload, source: str | None = None,
               mapping: Mapping[str, str | None] | None = None) -> FirstLook:
    """The first look for one (source, mapping), taken once per upload; unreadable or refused gives an empty
    look (the readers proper word the problem for the user)."""
    def look() -> FirstLook:
        try:
            return FirstLook(located=locate(samples(upload), upload.name, source, mapping))
        except MappingNeeded as needed:
            return FirstLook(needed=needed)
        except Exception:  # unreadable or refused: the readers proper word the problem for the user
            return FirstLook()
    return upload.once(("first_look", source, tuple(sorted((mapping or {}).items()))), look)


def export_fits(upload: Upload, source: str | None = None,
                mapping: Mapping[str, str | None] | None = None) -> list[tuple[Fit, Reader]]:
    """The export readers that recognise the file, best first."""
    look = first_look(upload, source, mapping)
    fits = [(look.fit(reader.kind), reader) for reader in READERS.values() if not reader.table]
    return sorted(((fit, reader) for fit, reader in fits if fit > Fit.NONE), key=lambda pair: -pair[0])


def best_export(upload: Upload) -> str | None:
    """The kind of export the first rows suggest (recognised or best guess); None when none fits."""
    fits = export_fits(upload)
    return fits[0][1].kind if fits else None


@dataclass(frozen=True)
class Candidate:
    """One kind a file may be: how well it fits and how many of its columns the header row names."""

    kind: str
    fit: Fit
    columns: int  # the kind's columns found among the headers (an ambiguous one counted once)

    @property
    def text(self) -> str:
        """「公文清單（符合 5 欄）」."""
        return f"{READERS[self.kind].name}（符合 {self.columns} 欄）"


def rank(headers: Sequence[str], picked: str | None = None, picked_fit: Fit = Fit.NONE) -> list[Candidate]:
    """Every export kind's fit to a header row, best first: its every required column found (COLUMNS), some of
    them (GUESS), none (NONE). `picked` is the kind the first look chose, at least `picked_fit` (SURE when
    located); among equal fits it comes first, then the kind naming more columns, then the registry's order."""
    indexed = {index: text for index, text in enumerate(headers) if str(text).strip()}
    found: list[tuple[Candidate, int]] = []
    for order, reader in enumerate(reader for reader in READERS.values() if not reader.table):
        resolution = resolve(SOURCES[reader.kind], indexed)
        required, columns, _ = resolution.score()
        fit = Fit.COLUMNS if resolution.valid_for_detection else Fit.GUESS if required else Fit.NONE
        if reader.kind == picked:
            fit = max(fit, picked_fit)
        found.append((Candidate(reader.kind, fit, columns), order))
    found.sort(key=lambda pair: (-pair[0].fit, pair[0].kind != picked, -pair[0].columns, pair[1]))
    return [candidate for candidate, _ in found]


def offered(candidates: Sequence[Candidate]) -> list[Candidate]:
    """The kinds to offer the user, best first: none when the best is SURE or nothing fits, else the best with
    every other kind that ties it or is one level below (a near-miss); fewer than two is no choice to offer."""
    if not candidates or candidates[0].fit in (Fit.SURE, Fit.NONE):
        return []
    best = candidates[0].fit
    close = [candidate for candidate in candidates if candidate.fit > Fit.NONE and candidate.fit >= best - 1]
    return close if len(close) > 1 else []


def offered_text(choices: Sequence[Candidate]) -> str:
    """「這個檔案可能是：公文清單（符合 5 欄）／人事名冊（符合 4 欄）」."""
    return "這個檔案可能是：" + "／".join(candidate.text for candidate in choices)


def needed_candidates(needed: MappingNeeded) -> list[Candidate]:
    """The ranked kinds of a file whose columns (or kind) need the user: its header row against every kind."""
    if needed.source is not None:
        return rank(needed.headers, needed.source, Fit.COLUMNS)
    return rank(needed.headers, needed.source_guess, Fit.GUESS if needed.source_guess else Fit.NONE)


def candidates(upload: Upload) -> list[Candidate]:
    """The ranked export kinds of an upload from its first look (taken once)."""
    look = first_look(upload)
    if look.located is not None:
        return rank(list(look.located.headers.values()), look.located.spec.name, Fit.SURE)
    if look.needed is not None:
        return needed_candidates(look.needed)
    return []
