"""Which months are complete: every field the plan's indicators use has a figure for that month.

A month is evaluated only when it is complete by default (the 統計至 month), so one early figure of April
does not turn the overview into "統計至 4月" with indicators falling behind for want of the rest.

Both kinds of field are reported every month (docs/資料規格.md 第一節): a 當月數 (flow) for the month's
own amount, a 月底數 or 累計數 (stock) for the position at the month's end. A stock field without the
month's figure is still evaluated with the latest earlier one (metrics.evaluation.figures), but that figure may be
out of date (last month's cumulative spending), so the month is not complete: the field is listed as
沿用 (carried) rather than 未填報.

The checklist groups the fields by the source that delivers them: each kind of system export
(metrics.intake.exports) delivers its own fields, the monthly template everything else.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass

import pandas as pd

from metrics.intake.exports import SOURCES
from metrics.intake.exports.common import SOURCE_NAMES
from metrics.evaluation.figures import Figures
from metrics.plans.plan import Aggregation, Plan
from metrics.intake.parsing import month_label

MONTHS = tuple(range(1, 13))
TEMPLATE_SOURCE = "template"
# The checklist's columns, as users call them; the template delivers what no export does.
SOURCE_LABELS: dict[str, str] = {TEMPLATE_SOURCE: "月報範本", **SOURCE_NAMES}


class Delivery(enum.Enum):
    DELIVERED = "已填報"
    CARRIED = "沿用前月"  # a stock field evaluated with an earlier month's figure
    MISSING = "未填報"


@dataclass(frozen=True)
class MonthCompleteness:
    """One month of one plan: the needed fields without the month's own figure, in the plan's order."""

    year: int
    month: int
    needed: tuple[str, ...]
    missing: tuple[str, ...]  # no figure this month nor, for a stock field, before
    carried: tuple[tuple[str, int], ...]  # (stock field, the earlier month whose figure stands in)

    @property
    def complete(self) -> bool:
        return not self.missing and not self.carried

    @property
    def lacking(self) -> tuple[str, ...]:
        """Every needed field without the month's own figure, in the plan's order."""
        carried = {code for code, _ in self.carried}
        return tuple(code for code in self.needed if code in carried or code in self.missing)

    @property
    def empty(self) -> bool:
        """Nothing at all reported for the month."""
        return len(self.lacking) == len(self.needed)

    def delivery(self, code: str) -> Delivery:
        if code in self.missing:
            return Delivery.MISSING
        if any(code == carried for carried, _ in self.carried):
            return Delivery.CARRIED
        return Delivery.DELIVERED


def needed_fields(plan: Plan) -> tuple[str, ...]:
    """The fields the plan's indicators use (numerators, denominators, alternative denominators), in the
    plan's field order."""
    used = {code for indicator in plan.indicators for code in indicator.fields}
    return tuple(field.code for field in plan.fields if field.code in used)


def month_completeness(figures: Figures, month: int) -> MonthCompleteness:
    plan = figures.plan
    needed = needed_fields(plan)
    missing: list[str] = []
    carried: list[tuple[str, int]] = []
    for code in needed:
        by_month = figures.values.get(code, {})
        if month in by_month:
            continue
        earlier = [reported for reported in by_month if reported < month]
        if earlier and plan.field_by_code[code].aggregation is Aggregation.STOCK:
            carried.append((code, max(earlier)))
        else:
            missing.append(code)
    return MonthCompleteness(plan.year, month, needed, tuple(missing), tuple(carried))


def year_completeness(figures: Figures) -> tuple[MonthCompleteness, ...]:
    return tuple(month_completeness(figures, month) for month in MONTHS)


def latest_complete_month(figures: Figures) -> int | None:
    complete = [entry.month for entry in year_completeness(figures) if entry.complete]
    return complete[-1] if complete else None


def with_frame(figures: Figures, frame: pd.DataFrame) -> Figures:
    """The figures as they would be once the tidy frame is stored (its figures of the plan's year and unit
    replace those of the same month and field)."""
    plan = figures.plan
    values = {code: dict(months) for code, months in figures.values.items()}
    added = Figures.from_frame(plan, frame)
    for code, months in added.values.items():
        values.setdefault(code, {}).update(months)
    return Figures(plan, values)


def field_names(plan: Plan, codes: Iterable[str]) -> str:
    return "、".join(plan.field_by_code[code].name for code in codes)


def lacking_text(plan: Plan, entry: MonthCompleteness, *, limit: int = 8) -> str:
    """「112年4月尚缺 3 項：預警案件數、採購稽核案件數、預算數（沿用3月）」, or that the month is complete."""
    if entry.complete:
        return f"{month_label(entry.year, entry.month)}的數字已齊全"
    carried = dict(entry.carried)
    names = [plan.field_by_code[code].name + (f"（沿用{carried[code]}月）" if code in carried else "")
             for code in entry.lacking]
    shown = "、".join(names[:limit]) + ("等" if len(names) > limit else "")
    return f"{month_label(entry.year, entry.month)}尚缺 {len(names):,} 項：{shown}"


def period_notice(plan: Plan, figures: Figures, month: int) -> str | None:
    """What to say next to the chosen 統計至 month: nothing when it is complete."""
    entry = month_completeness(figures, month)
    if entry.complete:
        return None
    latest = latest_complete_month(figures)
    if latest is None:
        where = f"{plan.year} 年尚無數字齊全的月份"
    else:
        where = f"最近一個數字齊全的月份是 {month_label(plan.year, latest)}"
    return f"{lacking_text(plan, entry)}。{where}；未齊全的月份，指標可能因缺數字而顯示落後。"


def incomplete_after(figures: Figures, frame: pd.DataFrame) -> list[MonthCompleteness]:
    """The months of the plan's year and unit a tidy frame brings figures for that would still be
    incomplete once it is stored."""
    plan = figures.plan
    rows = frame[(frame["year"] == plan.year) & (frame["unit"] == plan.unit)] if not frame.empty else frame
    months = sorted({int(month) for month in rows["month"]}) if not rows.empty else []
    after = with_frame(figures, frame)
    return [entry for entry in (month_completeness(after, month) for month in months) if not entry.complete]


def source_of_fields(plan: Plan) -> dict[str, tuple[str, ...]]:
    """The needed fields by the source that delivers them (SOURCE_LABELS order); the template delivers the rest."""
    needed = needed_fields(plan)
    by_source: dict[str, tuple[str, ...]] = {}
    exported: set[str] = set()
    for name in SOURCE_LABELS:
        if name == TEMPLATE_SOURCE:
            continue
        fields = tuple(code for code in needed if code in SOURCES[name].fields)
        exported.update(fields)
        by_source[name] = fields
    by_source = {TEMPLATE_SOURCE: tuple(code for code in needed if code not in exported), **by_source}
    return {name: fields for name, fields in by_source.items() if fields}


@dataclass(frozen=True)
class ChecklistCell:
    month: int
    source: str
    lacking: tuple[str, ...]  # field codes without the month's own figure
    total: int

    @property
    def text(self) -> str:
        if not self.lacking:
            return "✓"
        if len(self.lacking) == self.total:
            return "未上傳"
        return f"缺 {len(self.lacking):,} 項"


def checklist(figures: Figures, months: Iterable[int] = MONTHS) -> list[list[ChecklistCell]]:
    """Month × source: what each source has delivered for each month (rows by month, columns as
    source_of_fields)."""
    groups = source_of_fields(figures.plan)
    rows = []
    for month in months:
        lacking = set(month_completeness(figures, month).lacking)
        rows.append([ChecklistCell(month, name, tuple(code for code in fields if code in lacking), len(fields))
                     for name, fields in groups.items()])
    return rows


def checklist_frame(figures: Figures, months: Iterable[int] = MONTHS) -> pd.DataFrame:
    """The checklist as a table: 月份, then one column per source (✓, 缺 N 項, 未上傳), then 齊全."""
    plan = figures.plan
    records = []
    for row in checklist(figures, months):
        record: dict[str, str] = {"月份": month_label(plan.year, row[0].month)}
        for cell in row:
            record[SOURCE_LABELS[cell.source]] = cell.text
        record["齊全"] = "✓" if all(not cell.lacking for cell in row) else "—"
        records.append(record)
    columns = ["月份", *(SOURCE_LABELS[name] for name in source_of_fields(plan)), "齊全"]
    return pd.DataFrame.from_records(records, columns=columns)


def checklist_details(figures: Figures) -> list[str]:
    """Per incomplete month up to the latest with any figure, one line naming what each source still owes,
    e.g. 「112年4月：歲出預算執行表 缺 預算數、實支數(累計)；政風案件紀錄 缺 預警案件數」."""
    plan = figures.plan
    latest = figures.latest_month()
    if latest is None:
        return []
    lines = []
    for row in checklist(figures, range(1, latest + 1)):
        owed = [f"{SOURCE_LABELS[cell.source]} 缺 {field_names(plan, cell.lacking)}" for cell in row if cell.lacking]
        if owed:
            lines.append(f"{month_label(plan.year, row[0].month)}：" + "；".join(owed))
    return lines
