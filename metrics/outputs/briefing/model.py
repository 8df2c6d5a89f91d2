"""What the county briefing says, apart from how it is drawn: every unit with a plan in a year, as of a month,
ranked by the common indicators' weighted score (metrics.evaluation.county), with its counts of met and behind
indicators, its behind indicators with their 落後原因 and 改進措施, its common score month by month and by
quarter, the units that have not reported the month, and goal 6's multi-year points.

Every number is the county view's own (the 全府比較 page's); texts are kept as stored, and each rendering makes
them safe for its format.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction

import pandas as pd

from metrics.evaluation.core import BEHIND, MET, NO_DATA, NOT_APPLICABLE, ON_TRACK, pace_score
from metrics.evaluation.county import CountyView, county_multi_year, county_view, multi_year_frame, year_figures
from metrics.plans.catalogue import Catalogue
from metrics.plans.formulas import format_number

COUNTED = (MET, ON_TRACK, BEHIND, NO_DATA)  # the counts a unit's row shows, over all its plan's indicators
COUNT_LABELS = {MET: "達標", ON_TRACK: "符合進度", BEHIND: "落後", NO_DATA: "無資料"}
QUARTER_ENDS = (3, 6, 9, 12)
NotesOf = Callable[[int, str, int], Mapping[str, object]]  # (year, unit, month) → {indicator id: note}


@dataclass(frozen=True)
class DatedNote:
    """A 落後原因 and 改進措施 and the month they were written for (an earlier month's when the as-of month has none)."""

    month: int
    reason: str
    action: str


@dataclass(frozen=True)
class BehindIndicator:
    indicator_id: str
    name: str
    common: bool  # one of the common indicators the ranking counts
    status: str  # 落後, or 未達標 for a ceiling missed at the year's end
    actual: Fraction | None
    target: Fraction
    unit: str
    actual_text: str
    target_text: str
    gap_text: str
    note: DatedNote | None


@dataclass(frozen=True)
class UnitBrief:
    unit: str
    name: str  # as people read it, with （範例） for a sample plan
    sample: bool
    rank: int | None
    score: Fraction | None  # the common indicators' weighted score: the ranking's
    own_score: Fraction | None  # the unit's whole plan's weighted score, as its overview shows it; None: no figure
    counts: tuple[tuple[str, int], ...]  # (status, count) over the plan's indicators, in COUNTED order
    indicator_count: int
    behind: tuple[BehindIndicator, ...]
    monthly: tuple[Fraction | None, ...]  # the common score as of months 1..as-of (None before anything reported)
    pace: tuple[Fraction | None, ...]  # the common score of a unit exactly on pace, months 1..12
    missing_fields: tuple[str, ...]  # fields not reported for the as-of month
    field_count: int

    def count(self, status: str) -> int:
        return dict(self.counts).get(status, 0)


@dataclass(frozen=True)
class Briefing:
    county: str  # 新竹縣政府
    year: int
    month: int
    read_at: dt.datetime  # when the figures were read from the store
    label: str  # 範例資料 when the sample is shown, else ''
    indicators: tuple[tuple[str, str], ...]  # the common indicators (id, short name)
    units: tuple[UnitBrief, ...]  # in rank order, unranked last
    multi_year_columns: tuple[str, ...]
    multi_year_rows: tuple[tuple[object, ...], ...]  # 單位, 首次達標年度, each year's points (None: not known yet)
    multi_year_rule: str  # '指標 9 跨年度計分（依…）', or '' when no plan carries the rule

    @property
    def has_units(self) -> bool:
        return bool(self.units)

    @property
    def has_data(self) -> bool:
        return any(unit.score is not None or unit.count(NO_DATA) < unit.indicator_count for unit in self.units)

    @property
    def not_reported(self) -> tuple[UnitBrief, ...]:
        return tuple(unit for unit in self.units if unit.missing_fields)

    @property
    def quarters(self) -> tuple[tuple[str, int], ...]:
        """(label, month) of each quarter up to the as-of month; the quarter under way as of that month."""
        shown = [(f"第{index}季", end) for index, end in enumerate(QUARTER_ENDS, start=1) if end <= self.month]
        if self.month not in QUARTER_ENDS:
            shown.append((f"第{(self.month - 1) // 3 + 1}季（至{self.month}月）", self.month))
        return tuple(shown)

    @property
    def heading(self) -> str:
        """What every page and sheet says at its head: the year, the as-of month, when the data were read."""
        from metrics.outputs.presentation import taiwan_time

        text = f"{self.year} 年度｜統計至 {self.year} 年 {self.month} 月｜資料讀取時間 {taiwan_time(self.read_at)}"
        return f"{self.label}｜{text}" if self.label else text

    @property
    def title(self) -> str:
        return f"{self.county} {self.year} 年度施政計畫全府簡報".strip()

    @property
    def empty_text(self) -> str:
        """What a briefing without units or figures says instead of empty tables ('' when it has figures)."""
        if not self.units:
            return f"{self.year} 年度沒有任何單位的計畫，無法產生全府簡報。"
        if not self.has_data:
            return f"{self.year} 年度尚無任何單位填報數字（統計至 {self.year} 年 {self.month} 月），各單位皆列為未填報。"
        return ""


def quarter_score(unit: UnitBrief, month: int) -> Fraction | None:
    return unit.monthly[month - 1] if 0 < month <= len(unit.monthly) else None


def score_text(score: Fraction | None) -> str:
    return "—" if score is None else f"{format_number(score)} 分"


def county_name(catalogue: Catalogue, year: int) -> str:
    """The county's name from the year's plans: a unit's full name without the unit's own (新竹縣政府政風處 → 新竹縣政府)."""
    for unit in catalogue.units_in(year):
        plan = catalogue.plan(year, unit)
        if plan.unit_name and plan.organisation.endswith(plan.unit_name) and plan.organisation != plan.unit_name:
            return plan.organisation[:-len(plan.unit_name)]
    return ""


def behind_ids(view: CountyView) -> dict[str, tuple[str, ...]]:
    """Each unit's behind indicators as of the view's month: the ones whose notes the briefing reads."""
    return {standing.unit: tuple(result.indicator.id for result in standing.evaluation.results
                                 if result.status == BEHIND) for standing in view.standings}


def collect_notes(notes_of: NotesOf, year: int, month: int, wanted: Mapping[str, Sequence[str]]
                  ) -> tuple[tuple[str, tuple[tuple[str, DatedNote], ...]], ...]:
    """For each unit, the notes of its behind indicators: the as-of month's, else the latest earlier month's of the
    year that has one. Hashable and in a fixed order, so a page can cache the briefing on the notes' words."""
    found: list[tuple[str, tuple[tuple[str, DatedNote], ...]]] = []
    for unit, ids in wanted.items():
        left = set(ids)
        notes: dict[str, DatedNote] = {}
        for earlier in range(month, 0, -1):
            if not left:
                break
            for indicator_id, note in notes_of(year, unit, earlier).items():
                if indicator_id in left:
                    reason, action = str(getattr(note, "reason", "") or ""), str(getattr(note, "action", "") or "")
                    if reason or action:
                        notes[indicator_id] = DatedNote(earlier, reason, action)
                        left.discard(indicator_id)
        found.append((unit, tuple(sorted(notes.items()))))
    return tuple(found)


def county_views(catalogue: Catalogue, frame: pd.DataFrame, year: int, month: int) -> list[CountyView]:
    """The county view of each month 1..`month`, the figures split once."""
    figures = year_figures(catalogue, frame, year)
    return [county_view(catalogue, frame, year, earlier, figures=figures) for earlier in range(1, month + 1)]


def latest_month(frame: pd.DataFrame, year: int) -> int | None:
    """The latest month of `year` any unit reported, or None."""
    months = frame.loc[frame["year"] == year, "month"] if not frame.empty else []
    return int(max(months)) if len(months) else None


def briefing_from_store(store, catalogue: Catalogue, year: int, month: int, *, label: str = "") -> Briefing:
    """The briefing from a store (metrics.store.Store): its figures now in effect and its notes."""
    read_at = dt.datetime.now(dt.timezone.utc)
    frame = store.current_frame()
    views = county_views(catalogue, frame, year, month)
    notes = collect_notes(store.notes, year, month, behind_ids(views[-1]))
    return build_briefing(catalogue, frame, year, month, notes=notes, read_at=read_at, label=label, views=views)


def build_briefing(catalogue: Catalogue, frame: pd.DataFrame, year: int, month: int, *,
                   notes: Mapping[str, Mapping[str, DatedNote]] | Sequence[tuple[str, Sequence[tuple[str, DatedNote]]]]
                   = (), read_at: dt.datetime | None = None, label: str = "",
                   views: Sequence[CountyView] | None = None) -> Briefing:
    """The briefing of `year` as of `month` from the figures in `frame` (tidy, as the store gives them); `views`:
    the county views of months 1..month when the caller has them already."""
    if not 1 <= month <= 12:
        raise ValueError(month)
    if not isinstance(notes, Mapping):
        notes = {unit: dict(unit_notes) for unit, unit_notes in notes}
    if views is None:
        views = county_views(catalogue, frame, year, month)
    view = views[month - 1]
    common_ids = set(view.indicator_ids)
    by_month = [{standing.unit: standing.common_score for standing in earlier.standings} for earlier in views]
    units = []
    for standing in view.standings:
        plan, evaluation = standing.plan, standing.evaluation
        counts = evaluation.status_counts()
        unit_notes = notes.get(standing.unit, {})
        behind = tuple(
            BehindIndicator(result.indicator.id, result.indicator.short_name or result.indicator.name,
                            result.indicator.id in common_ids, result.status_label, result.actual, result.target,
                            result.indicator.unit, result.format_value(result.actual), result.target_text,
                            result.gap_text or "—", unit_notes.get(result.indicator.id))
            for result in evaluation.results if result.status == BEHIND)
        own_common = [indicator_id for indicator_id, result in zip(view.indicator_ids, standing.common)
                      if result is not None]
        pace = tuple(pace_score(plan, earlier, own_common) if own_common else None for earlier in range(1, 13))
        reported = any(result.status not in (NO_DATA, NOT_APPLICABLE) for result in evaluation.results)
        units.append(UnitBrief(
            standing.unit, plan.unit_name + ("（範例）" if plan.sample else ""), plan.sample, standing.rank,
            standing.common_score, evaluation.weighted_score if reported else None,  # nothing reported: not 0 分
            tuple((status, counts[status]) for status in COUNTED),
            sum(1 for result in evaluation.results if result.status != NOT_APPLICABLE), behind,
            tuple(scores.get(standing.unit) for scores in by_month), pace, standing.missing_fields,
            len(plan.fields)))
    points = county_multi_year(catalogue, frame, year)
    table = multi_year_frame(catalogue, points, year)
    rows = tuple(tuple(None if _missing(value) else value for value in row)
                 for row in table.astype(object).values.tolist())
    rule = points[0].rule if points else None
    return Briefing(county_name(catalogue, year), year, month, read_at or dt.datetime.now(dt.timezone.utc), label,
                    tuple(zip(view.indicator_ids, view.indicator_names)), tuple(units), tuple(table.columns), rows,
                    f"指標 {rule.indicator} 跨年度計分（依{rule.source}）" if rule else "")


def _missing(value: object) -> bool:
    return value is None or value is pd.NA or (isinstance(value, float) and value != value)


def score_series(unit: UnitBrief) -> pd.DataFrame:
    """The unit's common score month by month as metrics.evaluation.trends.score_series gives a unit's own (months
    1..12, NaN after the as-of month), for the dashboard's score chart."""
    rows = []
    for month in range(1, 13):
        score = unit.monthly[month - 1] if month <= len(unit.monthly) else None
        pace = unit.pace[month - 1] if month <= len(unit.pace) else None
        rows.append({"month": month, "label": f"{month}月", "score": None if score is None else float(score),
                     "pace": None if pace is None else float(pace)})
    return pd.DataFrame(rows, columns=["month", "label", "score", "pace"]).astype({"score": float, "pace": float})
