"""Which source an export is, where its header row is and which header is which logical column.

Matching is by the declared synonyms of each source (data in the source modules): an exact
header beats a header that merely contains a synonym, an earlier synonym beats a later one and,
among containments, a longer synonym beats a shorter one. When two headers fit a column equally
well, or a required column has no header, the caller gets MappingNeeded instead of a guess.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from metrics.errors import InputError, Problem
from metrics.intake.exports import case_log, document_log, ledger, roster
from metrics.intake.exports.common import (ColumnSpec, MappingNeeded, SourceSpec, header_display, header_key, mapping_signature,
                                    mask_value)
from metrics.intake.extract import SheetSample
from metrics.names import mask_partial

SOURCES: dict[str, SourceSpec] = {
    spec.name: spec for spec in (document_log.SPEC, roster.SPEC, ledger.SPEC, case_log.SPEC)
}

Score = tuple[int, ...]


def match_score(column: ColumnSpec, key: str) -> Score | None:
    """How well a header (as header_key) names a column; None if it does not."""
    if not key:
        return None
    synonyms = column.keys
    for index, synonym in enumerate(synonyms):
        if key == synonym:
            return (2, -index)
    if any(word in key for word in column.exclude):
        return None
    best: Score | None = None
    for index, synonym in enumerate(synonyms):
        if len(synonym) >= 2 and synonym in key:
            score = (1, len(synonym), -index)
            if best is None or score > best:
                best = score
    return best


@dataclass
class Resolution:
    spec: SourceSpec
    columns: dict[str, int] = field(default_factory=dict)  # logical → 0-based sheet column
    missing: list[str] = field(default_factory=list)
    ambiguous: dict[str, list[int]] = field(default_factory=dict)
    one_of_unmet: list[list[str]] = field(default_factory=list)
    exact: int = 0

    @property
    def complete(self) -> bool:
        return not self.missing and not self.ambiguous and not self.one_of_unmet

    @property
    def valid_for_detection(self) -> bool:
        return not self.missing and not self.one_of_unmet

    def score(self) -> tuple[int, int, int]:
        found = set(self.columns) | set(self.ambiguous)
        required = sum(1 for column in self.spec.required if column.name in found)
        return (required, len(found), self.exact)


def resolve(spec: SourceSpec, headers: Mapping[int, str], explicit: Mapping[str, str | None] | None = None,
            filename: str = "") -> Resolution:
    """Assign headers (0-based column → text) to the spec's logical columns."""
    keys = {index: header_key(text) for index, text in headers.items()}
    resolution = Resolution(spec)
    decided: set[str] = set()
    taken: set[int] = set()
    if explicit:
        problems: list[Problem] = []
        names = {column.name for column in spec.columns}
        by_text = {header_display(text): index for index, text in reversed(list(headers.items()))}
        by_key: dict[str, int] = {}
        for index, key in keys.items():
            by_key.setdefault(key, index)
        for name, header in explicit.items():
            if name not in names:
                problems.append(Problem(f"欄位對應中的「{name}」不是{spec.label}的欄位（可用："
                                        f"{'、'.join(column.label + '=' + column.name for column in spec.columns)}）",
                                        filename))
                continue
            decided.add(name)
            if header is None or str(header).strip() == "":
                continue
            index = by_text.get(header_display(header), by_key.get(header_key(header)))
            if index is None:
                problems.append(Problem(f"欄位對應指定的標題「{header_display(header)}」不在檔案的標題列中"
                                        f"（{spec.column(name).label}）", filename, field=spec.column(name).label))
                continue
            resolution.columns[name] = index
            resolution.exact += 1
        if problems:
            raise InputError(problems)
        taken = set(resolution.columns.values())
    pairs: list[tuple[Score, int, str, int]] = []
    for order, column in enumerate(spec.columns):
        if column.name in decided:
            continue
        for index, key in keys.items():
            score = match_score(column, key)
            if score is not None:
                pairs.append((score, -order, column.name, index))
    pairs.sort(key=lambda pair: (pair[0], pair[1], -pair[3]), reverse=True)
    for score, _, name, index in pairs:
        if name in decided or index in taken:
            continue
        rivals = [other for other_score, _, other_name, other in pairs
                  if other_name == name and other_score == score and other != index and other not in taken]
        decided.add(name)
        if rivals:
            resolution.ambiguous[name] = sorted([index, *rivals])
            continue
        resolution.columns[name] = index
        taken.add(index)
        if score[0] == 2:
            resolution.exact += 1
    for column, other in spec.unused_when:
        if other in resolution.columns:
            resolution.columns.pop(column, None)
            resolution.ambiguous.pop(column, None)
    found = set(resolution.columns) | set(resolution.ambiguous)
    resolution.missing = [column.name for column in spec.required if column.name not in found]
    resolution.one_of_unmet = [list(group) for group in spec.one_of if not any(name in found for name in group)]
    return resolution


def detect_source(headers: list[str]) -> str | None:
    """'document_log' | 'roster' | 'ledger' | 'case_log' for a header row; None when unsure."""
    indexed = {index: text for index, text in enumerate(headers) if header_key(text)}
    ranked = []
    for spec in SOURCES.values():
        resolution = resolve(spec, indexed)
        if resolution.valid_for_detection:
            ranked.append((resolution.score(), spec.name))
    if not ranked:
        return None
    ranked.sort(reverse=True)
    if len(ranked) > 1 and ranked[0][0] == ranked[1][0]:
        return None
    return ranked[0][1]


def _row_score(cells: Mapping[int, str], specs: list[SourceSpec], wanted: set[str]) -> int:
    """How much a row looks like a header: cells naming a logical column (or a mapped header)."""
    exact, contained = _vocabulary(tuple(spec.name for spec in specs))
    score = 0
    for text in cells.values():
        key = header_key(text)
        if not key:
            continue
        if key in wanted:
            score += 10
        elif key in exact or any(synonym in key for synonym in contained):
            score += 1
    return score


_VOCABULARIES: dict[tuple[str, ...], tuple[frozenset[str], tuple[str, ...]]] = {}


def _vocabulary(names: tuple[str, ...]) -> tuple[frozenset[str], tuple[str, ...]]:
    if names not in _VOCABULARIES:
        keys = [key for name in names for column in SOURCES[name].columns for key in column.keys]
        _VOCABULARIES[names] = (frozenset(keys), tuple(sorted({key for key in keys if len(key) >= 2})))
    return _VOCABULARIES[names]


@dataclass
class Located:
    spec: SourceSpec
    sheet: str
    header_row: int  # 0-based sheet row (CSV: record)
    headers: dict[int, str]  # 0-based column → header as displayed
    resolution: Resolution
    title_lines: tuple[str, ...]
    signature: str


def _header_row(sample: SheetSample, specs: list[SourceSpec], wanted: set[str]) -> tuple[int, int] | None:
    """(position in the sample, score) of the likeliest header row."""
    best: tuple[int, int] | None = None
    for position, (_, cells) in enumerate(sample.rows):
        score = _row_score(cells, specs, wanted)
        if score >= 2 and (best is None or score > best[1]):
            best = (position, score)
    return best


def locate(samples: list[SheetSample], filename: str, source: str | None = None,
           mapping: Mapping[str, str | None] | None = None) -> Located:
    """The sheet, header row and column assignment of an export, or MappingNeeded."""
    if source is not None and source not in SOURCES:
        raise InputError(Problem(f"未知的資料種類「{source}」（可用：{'、'.join(SOURCES)}）", filename))
    specs = [SOURCES[source]] if source else list(SOURCES.values())
    wanted = {header_key(header) for header in (mapping or {}).values() if header}
    first_failure: tuple[SheetSample, int, Resolution | None, str | None] | None = None
    for sample in samples:
        found = _header_row(sample, specs, wanted)
        if found is None:
            continue
        position, _ = found
        row, cells = sample.rows[position]
        headers = {index: header_display(text) for index, text in sorted(cells.items()) if header_key(text)}
        name = source or detect_source([headers.get(index, "") for index in range(max(headers) + 1)])
        resolution = resolve(SOURCES[name], headers, mapping, filename) if name else None
        if resolution is not None and resolution.complete:
            titles = tuple(" ".join(text for _, text in sorted(line.items()) if text.strip())
                           for _, line in sample.rows[:position])
            return Located(SOURCES[name], sample.name, row, headers, resolution, titles,
                           mapping_signature(headers.values()))
        if first_failure is None:
            guess = name or _best_guess(headers)
            first_failure = (sample, position, resolution, guess)
    if first_failure is None:
        sample, position = _likeliest_row(samples)
        headers = _row_headers(sample, position) if sample else []
        spec = SOURCES[source] if source else None
        raise MappingNeeded(filename=filename, source=source, headers=headers, signature=mapping_signature(headers),
                            required={column.name: column.label for column in spec.required} if spec else {},
                            optional={column.name: column.label for column in spec.columns if not column.required}
                            if spec else {},
                            guesses={column.name: None for column in spec.columns} if spec else {},
                            missing=[column.name for column in spec.required] if spec else [],
                            ambiguous={}, one_of=[], samples=column_samples(sample, position) if sample else {},
                            reason="在前 40 列中找不到可辨識的標題列"
                                   "（例如「收發別」「收文日期」「到職日期」「預算數」「案件類別」）")
    sample, position, resolution, guess = first_failure
    _, cells = sample.rows[position]
    headers = {index: header_display(text) for index, text in sorted(cells.items()) if header_key(text)}
    header_list = list(headers.values())
    signature = mapping_signature(header_list)
    shown = column_samples(sample, position)
    if resolution is None:
        spec = SOURCES[guess] if guess else None
        guess_resolution = resolve(spec, headers) if spec else None
        raise MappingNeeded(
            filename=filename, source=None, headers=header_list, signature=signature,
            required={column.name: column.label for column in spec.required} if spec else {},
            optional={column.name: column.label for column in spec.columns if not column.required} if spec else {},
            guesses=_guesses(guess_resolution, headers) if guess_resolution else {},
            missing=guess_resolution.missing if guess_resolution else [], ambiguous={}, one_of=[],
            source_guess=guess, samples=shown,
            reason="無法判斷這是哪一種系統匯出（公文清單、人事名冊、歲出預算執行表或政風案件紀錄）")
    spec = resolution.spec
    raise MappingNeeded(
        filename=filename, source=spec.name, headers=header_list, signature=signature,
        required={column.name: column.label for column in spec.required},
        optional={column.name: column.label for column in spec.columns if not column.required},
        guesses=_guesses(resolution, headers), missing=resolution.missing,
        ambiguous={name: [headers[index] for index in indexes] for name, indexes in resolution.ambiguous.items()},
        one_of=resolution.one_of_unmet, source_guess=spec.name, reason=f"{spec.label}的欄位無法自動對應",
        samples=shown)


def _row_headers(sample: SheetSample, position: int) -> list[str]:
    _, cells = sample.rows[position]
    return [header_display(text) for _, text in sorted(cells.items())
            if header_key(text) and not header_key(text).replace(".", "").isdigit()]


def _likeliest_row(samples: list[SheetSample]) -> tuple[SheetSample | None, int]:
    """Without a recognizable header row, the first row with the most text cells stands in."""
    best: tuple[SheetSample | None, int, int] = (None, 0, 0)
    for sample in samples:
        for position in range(len(sample.rows)):
            count = len(_row_headers(sample, position))
            if count > best[2]:
                best = (sample, position, count)
        if best[0] is not None:
            break
    return best[0], best[1]


SAMPLE_VALUES = 3
SAMPLE_CHARACTERS = 20
_PERSONAL = tuple(column for spec in SOURCES.values() for column in spec.columns if column.mask)


def column_samples(sample: SheetSample, position: int) -> dict[str, tuple[str, ...]]:
    """Header → up to SAMPLE_VALUES distinct values below it in the sampled rows, for the mapping form. A column
    whose header names a personal column of any source (姓名, 身分證字號, 文號), or a value shaped like a national ID,
    is masked as the preview masks it; so is a column whose every value differs and is not a date or number."""
    _, header_cells = sample.rows[position]
    found: dict[int, list[str]] = {index: [] for index, text in header_cells.items() if header_key(text)}
    for _, cells in sample.rows[position + 1:]:
        for index, text in cells.items():
            values = found.get(index)
            value = header_display(text)
            if values is not None and value:
                values.append(value)
    shown: dict[str, tuple[str, ...]] = {}
    for index, values in found.items():
        header = header_display(header_cells[index])
        key = header_key(header)
        personal = max(((match_score(column, key), column) for column in _PERSONAL
                        if match_score(column, key) is not None), key=lambda pair: pair[0], default=None)
        # names, 陳情人 or 主旨 under a header no source knows: taken as identifying, masked like a document number
        identifying = (len(values) >= 4 and len(set(values)) == len(values)
                       and not all(_DATE_OR_NUMBER.match(value) for value in values))
        masked = []
        for value in list(dict.fromkeys(values))[:SAMPLE_VALUES]:
            if personal is not None:
                value = mask_value(personal[1], value)
            elif _looks_like_id(value):
                value = mask_value(_ID_COLUMN, value)
            elif identifying:
                value = mask_partial(value)
            masked.append(value if len(value) <= SAMPLE_CHARACTERS else value[:SAMPLE_CHARACTERS] + "…")
        shown.setdefault(header, tuple(masked))
    return shown


_ID_COLUMN = next(column for column in _PERSONAL if column.mask == "id")
_DATE_OR_NUMBER = re.compile(r"^[\d\s/.\-:,年月日時分秒上下午]+$")


def _looks_like_id(value: str) -> bool:
    text = value.strip().upper()
    return len(text) == 10 and text[0].isalpha() and text[1:].isalnum() and text[2:].isdigit()


def _best_guess(headers: Mapping[int, str]) -> str | None:
    ranked = sorted(((resolve(spec, headers).score(), spec.name) for spec in SOURCES.values()), reverse=True)
    return ranked[0][1] if ranked and ranked[0][0][0] > 0 else None


def located_mapping_needed(located: Located, filename: str, reason: str,
                           suggestions: Mapping[str, str | None]) -> MappingNeeded:
    """A header row that was recognized, but an aggregate found a column it cannot do without missing:
    the mapping form opens with the columns found so far and the aggregate's suggestions."""
    spec = located.spec
    guesses = {**_guesses(located.resolution, located.headers), **suggestions}
    return MappingNeeded(
        filename=filename, source=spec.name, headers=list(located.headers.values()), signature=located.signature,
        required={column.name: column.label for column in spec.required},
        optional={column.name: column.label for column in spec.columns if not column.required},
        guesses=guesses, missing=[], ambiguous={}, one_of=[], source_guess=spec.name, reason=reason)


NEAREST_SIMILARITY = 0.5


def nearest_header(column: ColumnSpec, headers: Mapping[int, str], taken: set[int]) -> int | None:
    """The free header closest to one of the column's synonyms (收文日 for 收文日期), when close enough to offer."""
    best: tuple[float, int] | None = None
    for index, text in headers.items():
        key = header_key(text)
        if index in taken or not key:
            continue
        similarity = max(difflib.SequenceMatcher(None, key, synonym).ratio() for synonym in column.keys)
        if similarity >= NEAREST_SIMILARITY and (best is None or similarity > best[0]):
            best = (similarity, index)
    return best[1] if best else None


def _guesses(resolution: Resolution, headers: Mapping[int, str]) -> dict[str, str | None]:
    """The matched headers, the first of each ambiguous set and, for a required column (or one of a
    group) still without a header, the nearest free header."""
    guesses: dict[str, str | None] = {column.name: None for column in resolution.spec.columns}
    for name, index in resolution.columns.items():
        guesses[name] = headers[index]
    for name, indexes in resolution.ambiguous.items():
        guesses[name] = headers[indexes[0]]
    taken = set(resolution.columns.values()) | {index for indexes in resolution.ambiguous.values() for index in indexes}
    wanted = [*resolution.missing, *(name for group in resolution.one_of_unmet for name in group)]
    for name in wanted:
        index = nearest_header(resolution.spec.column(name), headers, taken)
        if index is not None and guesses.get(name) is None:
            guesses[name] = headers[index]
            taken.add(index)
    return guesses
