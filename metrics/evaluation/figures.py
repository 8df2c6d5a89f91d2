"""Monthly figures: the as-of-month values of one unit's year, from the tidy frame every reader produces
(metrics.intake.tidy)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Protocol
from decimal import Context, Decimal, Inexact, InvalidOperation, Overflow
from fractions import Fraction

import pandas as pd

from metrics.intake.tidy import empty_tidy_frame
from metrics.plans.plan import Aggregation, Plan

# Stored values have at most 15 integer and 6 decimal digits (metrics.intake.validation): a year of them sums exactly.
# Inexact trapped: a sum needing more digits (a value of 61 digits and one of 40 decimals) is made in Fractions.
EXACT = Context(prec=80, traps=[Inexact, InvalidOperation, Overflow])


def base_years(plan: Plan) -> set[int]:
    """The years a plan's growth indicators compare with (an indicator without one has None)."""
    return {indicator.base_year for indicator in plan.indicators if indicator.base_year is not None}


class FrameSource(Protocol):
    def current_frame(self, year: int | None = None, unit: str | None = None) -> pd.DataFrame: ...


def years_read(plans: Iterable[Plan]) -> list[int]:
    """The years whose figures these plans evaluate: their own, and their growth indicators' base years."""
    years: set[int] = set()
    for plan in plans:
        years |= {plan.year} | base_years(plan)
    return sorted(years)


def stored_frame(store: FrameSource, plans: Iterable[Plan], unit: str | None = None) -> pd.DataFrame:
    """The stored figures these plans evaluate (of one unit, or of every unit): a plan's own year alone would leave
    a growth indicator without its base year, and the command line would differ from the screen."""
    frames = [store.current_frame(year=year, unit=unit) for year in years_read(plans)]
    if not frames:
        return empty_tidy_frame()
    return frames[0] if len(frames) == 1 else pd.concat(frames, ignore_index=True)


def needs_base_check(plan: Plan) -> bool:
    """Whether the plan has a growth indicator whose base is to come from the store (no base_value)."""
    return any(indicator.kind.based and indicator.base_value is None for indicator in plan.indicators)


def missing_bases_of(plans: Iterable[Plan], frame: pd.DataFrame) -> list[str]:
    """Figures.missing_bases of each plan, from one frame of stored figures (every year of the plans' units)."""
    return [message for plan in plans if needs_base_check(plan)
            for message in Figures.from_frame(plan, frame).missing_bases()]


def _as_of(by_month: Mapping[int, Decimal] | None, flow: bool, month: int) -> Fraction | None:
    """A flow's sum of months 1..M, a stock's latest month ≤ M; None when no such month was reported."""
    if not by_month:
        return None
    if flow:
        total = None
        try:
            for reported, value in by_month.items():
                if reported <= month:  # Decimal sums are exact at EXACT's precision and far cheaper than Fractions
                    total = value if total is None else EXACT.add(total, value)
        except Inexact:
            return sum((Fraction(value) for reported, value in by_month.items() if reported <= month), Fraction(0))
        return None if total is None else Fraction(total)
    latest = max((reported for reported in by_month if reported <= month), default=None)
    return None if latest is None else Fraction(by_month[latest])


@dataclass
class Figures:
    """The reported monthly values of one unit in one year (the plan's): field -> month -> value."""

    plan: Plan
    values: dict[str, dict[int, Decimal]] = field(default_factory=dict)
    # The same unit's figures of the base years its growth indicators compare with: year -> field -> month -> value.
    base_values: dict[int, dict[str, dict[int, Decimal]]] = field(default_factory=dict)

    @classmethod
    def from_frame(cls, plan: Plan, frame: pd.DataFrame) -> Figures:
        """The figures of the plan's own unit and year, and only those: no other unit's or year's figure
        is ever evaluated against this plan."""
        figures = cls(plan)
        if frame.empty:
            return figures
        rows = frame[(frame["year"] == plan.year) & (frame["unit"] == plan.unit) & frame["field"].isin(plan.field_by_code)]
        for code, month, value in zip(rows["field"], rows["month"], rows["value"]):
            figures.values.setdefault(code, {})[int(month)] = Decimal(value)
        for year in base_years(plan):
            rows = frame[(frame["year"] == year) & (frame["unit"] == plan.unit) & frame["field"].isin(plan.field_by_code)]
            for code, month, value in zip(rows["field"], rows["month"], rows["value"]):
                figures.base_values.setdefault(year, {}).setdefault(code, {})[int(month)] = Decimal(value)
        return figures

    @classmethod
    def for_plans(cls, plans: Iterable[Plan], frame: pd.DataFrame) -> dict[tuple[int, str], Figures]:
        """Each plan's own figures from one frame, split once (the county view holds thirty units)."""
        plans = list(plans)
        result = {plan.key: cls(plan) for plan in plans}
        if frame.empty or not plans:
            return result
        by_key = {plan.key: plan for plan in plans}
        if any(base_years(plan) for plan in plans):  # a base year may be no plan's own year: read it per plan
            return {plan.key: cls.from_frame(plan, frame) for plan in plans}
        rows = frame[frame["year"].isin({plan.year for plan in plans})]
        # Whole columns as Python lists, one pass: iterating a groupby's Arrow-backed strings cell by cell was
        # most of the cost (a county's four years are some 40,000 rows).
        targets = {key: (plan.field_by_code, result[key].values) for key, plan in by_key.items()}
        for year, unit, code, month, value in zip(rows["year"].tolist(), rows["unit"].tolist(),
                                                  rows["field"].tolist(), rows["month"].tolist(),
                                                  rows["value"].tolist()):
            target = targets.get((int(year), str(unit)))
            if target is not None and code in target[0]:
                target[1].setdefault(code, {})[int(month)] = Decimal(value)
        return result

    @classmethod
    def from_mapping(cls, plan: Plan, values: Mapping[str, Mapping[int, object]]) -> Figures:
        return cls(plan, {code: {int(m): Decimal(str(v)) for m, v in months.items() if v is not None}
                          for code, months in values.items()})

    def reported_months(self, codes: Iterable[str] | None = None) -> list[int]:
        codes = self.values.keys() if codes is None else codes
        months: set[int] = set()
        for code in codes:
            months.update(self.values.get(code, ()))
        return sorted(months)

    def latest_month(self) -> int | None:
        months = self.reported_months()
        return months[-1] if months else None

    def monthly(self, code: str, month: int) -> Decimal | None:
        return self.values.get(code, {}).get(month)

    def as_of(self, code: str, month: int) -> Fraction | None:
        """The field's value as of the end of `month`, by its flow or stock rule; None if unreported."""
        return _as_of(self.values.get(code), self.is_flow(code), month)

    def base_as_of(self, year: int, code: str, month: int) -> Fraction | None:
        """A base year's value of the field as of `month`, by the field's flow or stock rule; None if unreported."""
        return _as_of(self.base_values.get(year, {}).get(code), self.is_flow(code), month)

    def is_flow(self, code: str) -> bool:
        return self.plan.field_by_code[code].aggregation is Aggregation.FLOW

    def missing_bases(self) -> list[str]:
        """Each growth indicator whose base year has no figure of its field for this unit and whose plan gives no
        base_value, named with the year: its value will be 無資料 until that year is uploaded or a base_value set."""
        missing = []
        for indicator in self.plan.indicators:
            if not indicator.kind.based or indicator.base_year is None or indicator.base_value is not None:
                continue
            code = indicator.numerator[0].field
            if self.base_values.get(indicator.base_year, {}).get(code):
                continue
            name = self.plan.field_by_code[code].name if code in self.plan.field_by_code else code
            missing.append(f"{self.plan.label}指標 {indicator.id}「{indicator.short_name}」的基準年度 {indicator.base_year} 年："
                           f"資料庫中沒有{self.plan.unit_name} {indicator.base_year} 年的「{name}」，計畫也沒有基準值"
                           f"（base_value），成長率將顯示無資料；請上傳 {indicator.base_year} 年的月報，"
                           f"或填基準值（{indicator.base_year} 年全年的數值）")
        return missing

    def with_additions(self, additions: Mapping[str, Mapping[int, Decimal]]) -> Figures:
        """A copy with assumed extra figures added on top (for what-if scenarios)."""
        values = {code: dict(months) for code, months in self.values.items()}
        for code, months in additions.items():
            for month, amount in months.items():
                values.setdefault(code, {})[month] = values.get(code, {}).get(month, Decimal(0)) + amount
        return Figures(self.plan, values, self.base_values)
