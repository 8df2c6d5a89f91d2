"""The unit's year-end 施政績效報告 as data, apart from how it is printed: what each section says, every number
already formatted as the dashboard shows it (metrics.outputs.presentation), every stored text already made
safe to print (metrics.texts.visible). The renderers (word.py, pdf.py) only lay it out."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import TYPE_CHECKING, Protocol

from metrics.evaluation.core import Evaluation, IndicatorResult, MultiYearPoints, evaluate, multi_year_points
from metrics.evaluation.figures import Figures
from metrics.outputs.annual.checkpoint import CheckpointReview, ReviewRecord, checkpoint_review, read_review_record
from metrics.plans.formulas import NO_DATA
from metrics.outputs.presentation import (achievement_text, multi_year_summary, multi_year_table,
                                          score_text, taiwan_time, weight_text)
from metrics.texts import visible

if TYPE_CHECKING:
    import pandas as pd

    from metrics.outputs.presentation import NoteLike
    from metrics.plans.catalogue import Catalogue
    from metrics.plans.cycle import Cycle
    from metrics.plans.plan import Plan
    from metrics.store import Store

NOT_REPORTED = "未填報"
SAMPLE_MARK = "範例"
CHINESE_NUMBERS = ("一", "二", "三", "四", "五", "六", "七", "八", "九", "十", "十一", "十二", "十三", "十四", "十五",
                   "十六", "十七", "十八", "十九", "二十")


class SavedNote(Protocol):
    """A save of a note as the store's history gives it (metrics.store.Note)."""

    indicator_id: str
    reason: str
    action: str
    author: str
    updated_at: dt.datetime


@dataclass(frozen=True)
class IndicatorLine:
    """One row of a goal's table: the indicator, as the plan states it, and how it stands."""

    id: str
    name: str
    measure: str  # 衡量標準
    weight: str  # '12.5%'
    target: str  # 原訂目標值, '130 案', '≤ 5 日'
    actual: str  # 實際值, '134 案'; 未填報 when none of its months was reported
    achievement: str  # 達成度, '103.1%' or '—'
    status: str  # the word of its light: 達標, 符合進度, 落後, 未達標, 無資料, 不適用
    reason: str  # 未達成原因分析: the latest 落後原因 of the year (up to the month)
    action: str  # 改善措施: the latest 改進措施 of the year
    note_month: int | None  # the month that note was written for
    missing_months: str  # '7月、8月' not reported, or ''
    # of a checkpoint's 自評, when the report is of one and its 自評 has them
    self_assessment: str = ""  # 自評說明
    review_comment: str = ""  # the reviewers' comment
    reviewed_by: str = ""

    @property
    def explanation(self) -> str:
        """The 未達成原因分析及改善措施 cell as one text ('' when nothing was written): the 自評說明 of the checkpoint
        where there is one, else the year's latest note; then the reviewers' comment, if any."""
        parts = []
        if self.self_assessment:
            parts.append(f"自評說明：{self.self_assessment}")
        else:
            if self.reason:
                parts.append(f"未達成原因：{self.reason}")
            if self.action:
                parts.append(f"改善措施：{self.action}")
            if parts and self.note_month is not None:
                parts.append(f"（{self.note_month} 月填寫）")
        if self.review_comment:
            by = f"（{self.reviewed_by}）" if self.reviewed_by else ""
            parts.append(f"審查意見{by}：{self.review_comment}")
        return "\n".join(parts)


@dataclass(frozen=True)
class GoalSection:
    number: int
    title: str
    kind: str  # 業務 / 人力 / 經費 …
    common: bool  # 共同性指標
    summary: str
    weight: str  # the goal's indicators' weights added up, '12.5%'
    lines: tuple[IndicatorLine, ...]

    @property
    def heading(self) -> str:
        common = "，共同性指標" if self.common else ""
        return f"策略目標 {self.number}：{self.title}（{self.kind}{common}，權重 {self.weight}）"


@dataclass(frozen=True)
class HistoryEntry:
    """One save of a note: the appendix lists every one, so a replaced text is not lost."""

    indicator: str  # '3 受理民眾陳情檢舉，並予以完成'
    month: int
    reason: str
    action: str
    author: str
    saved_at: str  # Taiwan time, 112/06/05 14:20

    @property
    def cleared(self) -> bool:
        return not self.reason and not self.action


@dataclass(frozen=True)
class AnnualReport:
    """Everything the year-end report of one unit says, in the order it says it."""

    organisation: str  # 新竹縣政府政風處
    unit_name: str
    year: int
    as_of_month: int | None  # None: not a figure of the year was reported
    plan_title: str
    plan_source: str
    plan_version: str  # as every evaluation heading says it: 計畫第 1 版
    sample: bool  # a 範例 plan or the built-in sample figures: marked on every page
    read_at: str  # when the figures were read from the store, Taiwan time
    goals: tuple[GoalSection, ...]
    indicator_count: int
    plan_weight_total: str  # '95%', as the plan states it
    applicable_weight_total: str  # the weights the score is divided by
    score: str  # '99.12 分' or '—'
    status_counts: str  # '達標 10 項、符合進度 0 項…'
    multi_year_title: str  # '指標 6「聘僱、臨時人力精簡率」跨年度計分（112～115 年）' or ''
    multi_year_summary: str
    multi_year_rows: tuple[tuple[str, ...], ...]  # with multi_year_headers, one row per year of the span
    multi_year_headers: tuple[str, ...]
    history: tuple[HistoryEntry, ...]
    review: CheckpointReview | None = None  # a report of a checkpoint of the cycle: its 自評's state

    @property
    def title(self) -> str:
        point = f"（{self.review.name}）" if self.review is not None else ""
        return (f"{self.organisation} {self.year} 年度施政績效報告{point}"
                + (f"（{SAMPLE_MARK}）" if self.sample else ""))

    @property
    def period(self) -> str:
        point = f"（{self.review.label}檢核點，{self.review.months}）" if self.review is not None else ""
        if self.as_of_month is None:
            return f"{self.year} 年尚無填報數字{point}"
        return f"統計期間：{self.year} 年 1 月至 {self.as_of_month} 月{point}"

    @property
    def header(self) -> str:
        """What every page's header says: the unit, the year (and checkpoint), the plan version and when the data
        were read."""
        sample = f"｜{SAMPLE_MARK}（非正式資料）" if self.sample else ""
        point = f"｜{self.review.label}：{self.review.state}" if self.review is not None else ""
        return (f"{self.unit_name} {self.year} 年度施政績效報告{point}｜{self.plan_version}｜資料讀取時間 "
                f"{self.read_at}{sample}")

    @property
    def introduction(self) -> str:
        source = self.plan_source or self.plan_title or f"{self.organisation} {self.year} 年度施政計畫"
        return (f"本報告依{source}所訂 {len(self.goals)} 項關鍵策略目標、{self.indicator_count} 項年度績效指標"
                f"（權重合計 {self.plan_weight_total}），彙整本年度執行成果；各項數字由系統依所填報之月報計算"
                f"（{self.period}，{self.plan_version}）。本年度策略目標如下：")

    @property
    def score_line(self) -> str:
        return (f"加權分數：{self.score}（計畫權重合計 {self.plan_weight_total}，"
                f"以適用指標權重 {self.applicable_weight_total} 計算）")


def numbered(index: int) -> str:
    """'一', '二' … for the 1st, 2nd … item of a section (as official documents number them)."""
    return CHINESE_NUMBERS[index] if index < len(CHINESE_NUMBERS) else str(index + 1)


def _line(result: IndicatorResult, note: tuple[int, NoteLike] | None,
          review: CheckpointReview | None = None) -> IndicatorLine:
    nothing = result.status == NO_DATA and not result.reported_months
    month, text = note if note is not None else (None, None)
    item = review.indicators.get(visible(result.indicator.id)) if review is not None else None
    return IndicatorLine(
        id=visible(result.indicator.id),
        name=visible(result.indicator.name),
        measure=visible(result.indicator.measure or result.indicator.method or "—"),
        weight=weight_text(result.weight),
        target=visible(result.target_text),
        actual=NOT_REPORTED if nothing else result.format_value(result.actual),
        achievement=achievement_text(result),
        status=result.status_label,
        reason=visible(text.reason) if text is not None else "",
        action=visible(text.action) if text is not None else "",
        note_month=month,
        missing_months="、".join(f"{missing}月" for missing in result.missing_months) if not nothing else "",
        self_assessment=item.explanation if item is not None else "",
        review_comment=item.comment if item is not None else "",
        reviewed_by=item.reviewed_by if item is not None else "",
    )


def latest_notes(notes_by_month: Mapping[int, Mapping[str, NoteLike]], up_to: int) -> dict[str, tuple[int, NoteLike]]:
    """Per indicator, the note of the latest month up to `up_to` that has one (with that month)."""
    latest: dict[str, tuple[int, NoteLike]] = {}
    for month in sorted(notes_by_month):
        if month > up_to:
            continue
        for indicator, note in notes_by_month[month].items():
            if note.reason or note.action:
                latest[str(indicator)] = (month, note)
    return latest


def assemble(plan: Plan, frame: pd.DataFrame, *, as_of: int | None = None,
             notes_by_month: Mapping[int, Mapping[str, NoteLike]] | None = None,
             history: Sequence[tuple[int, SavedNote]] = (), catalogue: Catalogue | None = None,
             read_at: dt.datetime | None = None, sample: bool = False,
             review: ReviewRecord | None = None) -> AnnualReport:
    """The report of `plan`'s unit and year from the tidy `frame` (the unit's figures; other years feed the
    multi-year points and a growth indicator's base), as of `as_of` (default: the latest month reported, as
    `evaluate` takes it), or of the checkpoint `review` (as of its last month, with its 自評's state). A year without
    figures is evaluated as of December: every indicator 未填報. The notes' history is that of the months the report
    covers."""
    if review is not None:
        as_of = review.last_month
    figures = Figures.from_frame(plan, frame)
    latest = figures.latest_month()
    evaluation = evaluate(figures, as_of if as_of is not None else latest or 12)
    shown_month = evaluation.as_of_month if latest is not None else None
    notes = latest_notes(notes_by_month or {}, evaluation.as_of_month)
    points = _points(plan, frame, catalogue)
    history = [(month, note) for month, note in history if month <= evaluation.as_of_month]
    return _report(evaluation, notes, history, points, shown_month,
                   read_at or dt.datetime.now(dt.timezone.utc), sample or plan.sample,
                   checkpoint_review(review, plan.year) if review is not None else None)


def _points(plan: Plan, frame: pd.DataFrame, catalogue: Catalogue | None) -> MultiYearPoints | None:
    rule = plan.multi_year
    if rule is None:
        return None
    years = {year: (catalogue.find(year, plan.unit) if catalogue is not None else None) for year in rule.years}
    years[plan.year] = plan
    return multi_year_points(rule, plan.unit, years, frame)


def _report(evaluation: Evaluation, notes: Mapping[str, tuple[int, NoteLike]], history: Sequence[tuple[int, SavedNote]],
            points: MultiYearPoints | None, as_of_month: int | None, read_at: dt.datetime,
            sample: bool, review: CheckpointReview | None) -> AnnualReport:
    plan = evaluation.plan
    goals = tuple(GoalSection(goal.number, visible(goal.title), visible(goal.kind), goal.common, visible(goal.summary),
                              weight_text(plan.goal_weight(goal.number)),
                              tuple(_line(result, notes.get(result.indicator.id), review)
                                    for result in evaluation.of_goal(goal.number)))
                  for goal in plan.goals)
    names = {indicator.id: visible(f"{indicator.id} {indicator.name}") for indicator in plan.indicators}
    entries = tuple(HistoryEntry(names.get(str(note.indicator_id), visible(note.indicator_id)), month,
                                 visible(note.reason), visible(note.action), visible(note.author),
                                 taiwan_time(note.updated_at))
                    for month, note in history)
    multi_title = summary = ""
    rows: tuple[tuple[str, ...], ...] = ()
    headers: tuple[str, ...] = ()
    if points is not None:
        rule = points.rule
        indicator = plan.indicator_by_id.get(rule.indicator)
        name = f"「{visible(indicator.short_name)}」" if indicator is not None else ""
        multi_title = f"指標 {visible(rule.indicator)}{name}跨年度計分（{rule.years[0]}～{rule.years[-1]} 年）"
        summary = visible(multi_year_summary(points))
        table = multi_year_table(points)
        headers = tuple(str(column) for column in table.columns)
        rows = tuple(tuple(visible(cell) for cell in row) for row in table.itertuples(index=False))
    counts = "、".join(f"{label} {count} 項" for _status, label, count in evaluation.status_count_labels())
    return AnnualReport(
        organisation=visible(plan.organisation), unit_name=visible(plan.unit_name), year=plan.year,
        as_of_month=as_of_month, plan_title=visible(plan.title), plan_source=visible(plan.source),
        plan_version=visible(plan.version_text), sample=sample, read_at=taiwan_time(read_at), goals=goals,
        indicator_count=len(plan.indicators), plan_weight_total=weight_text(Fraction(plan.weight_total)),
        applicable_weight_total=weight_text(evaluation.weight_total),
        score=score_text(evaluation.weighted_score) if as_of_month is not None else "—", status_counts=counts,
        multi_year_title=multi_title, multi_year_summary=summary, multi_year_rows=rows, multi_year_headers=headers,
        history=entries, review=review)


def read_annual_report(store: Store, catalogue: Catalogue, year: int, unit: str, *, as_of: int | None = None,
                       read_at: dt.datetime | None = None, checkpoint: str | None = None,
                       cycle: Cycle | None = None) -> AnnualReport:
    """The report from the store: the plan in force (PlanNotFound names the plans there are), the unit's figures
    of every year, the year's notes and their history; of the checkpoint `checkpoint` of `cycle` (as of its last
    month, with its 自評's state) when one is named (CycleError names those there are)."""
    plan = catalogue.plan(year, unit)
    read_at = read_at or dt.datetime.now(dt.timezone.utc)
    review = None
    if checkpoint is not None:
        if cycle is None:
            raise ValueError("a checkpoint needs the cycle it is declared in")
        review = read_review_record(store, cycle, plan.year, plan.unit, checkpoint)
    frame = store.current_frame(unit=plan.unit)
    return assemble(plan, frame, as_of=as_of, notes_by_month=store.notes_of_year(plan.year, plan.unit),
                    history=store.note_history_of_year(plan.year, plan.unit), catalogue=catalogue, read_at=read_at,
                    review=review)


# The columns of a goal's table, in order: (key, header). Each renderer gives its own widths.
TABLE_COLUMNS: tuple[tuple[str, str], ...] = (
    ("indicator", "績效指標"), ("measure", "衡量標準"), ("weight", "權重"), ("target", "原訂目標值"), ("actual", "實際值"),
    ("achievement", "達成度"), ("status", "燈號"), ("explanation", "未達成原因分析及改善措施"),
)
CENTRED_KEYS = frozenset({"weight", "target", "actual", "achievement", "status"})
HISTORY_COLUMNS: tuple[tuple[str, str], ...] = (
    ("indicator", "績效指標"), ("month", "月份"), ("reason", "未達成原因"), ("action", "改善措施"), ("author", "填寫人"),
    ("saved_at", "填寫時間"),
)
NO_HISTORY = "本年度尚無填寫紀錄。"
CLEARED = "（清除說明）"


def cell_texts(line: IndicatorLine) -> dict[str, str]:
    """A goal table's cells of one indicator, by TABLE_COLUMNS key."""
    return {"indicator": f"{line.id} {line.name}", "measure": line.measure, "weight": line.weight,
            "target": line.target, "actual": line.actual, "achievement": line.achievement, "status": line.status,
            "explanation": line.explanation or "—"}


def history_texts(entry: HistoryEntry, year: int) -> dict[str, str]:
    return {"indicator": entry.indicator, "month": f"{year}年{entry.month}月",
            "reason": CLEARED if entry.cleared else entry.reason or "—", "action": entry.action or "—",
            "author": entry.author or "—", "saved_at": entry.saved_at}
