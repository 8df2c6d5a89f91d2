"""What a plan is: goals, indicators, the monthly fields that feed them, and the checks that make one valid.

This module holds no plan. Plans are data (TOML files under plans/, versions in the store), read by
`metrics.plans.catalogue`, which builds each (year, unit) into a `Plan` through `build_plan`. A Plan is
frozen: a what-if or an edit makes a new one (`dataclasses.replace`), never changes it in place.
The rules a plan names (formulas, gap rules, multi-year scoring) live in `metrics.plans.formulas`.
"""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from functools import cached_property

from metrics.errors import PlanError
from metrics.plans.formulas import GAP_RULES, MULTI_YEAR_RULES, Term, terms_label
from metrics.plans.kinds import KINDS, Direction, Kind, Stage


class Aggregation(enum.Enum):
    """How a field adds up over the months of a year."""

    FLOW = "flow"  # the month's own amount; as of month M it is the sum of months 1..M
    STOCK = "stock"  # a position at month end; as of month M it is the latest month <= M


class Quantity(enum.Enum):
    COUNT = "count"  # whole numbers >= 0
    AMOUNT = "amount"  # any number >= 0


@dataclass(frozen=True)
class MonthlyField:
    code: str
    name: str
    unit: str
    aggregation: Aggregation
    quantity: Quantity
    help: str
    # Other names a plan document calls it by (計畫書匯入 matches operands to them); not part of what a plan
    # version stores, so a field is the same field with or without them.
    aliases: tuple[str, ...] = field(default=(), compare=False)


@dataclass(frozen=True)
class Goal:
    number: int
    title: str
    kind: str  # 業務 / 人力 / 經費 / 性別平等 / 其他
    common: bool  # 共同性指標 (shared by every unit of the county)
    summary: str


@dataclass(frozen=True)
class Indicator:
    id: str
    goal: int
    name: str
    short_name: str
    method: str  # 評估方式
    measure: str  # 衡量標準, as the plan writes it
    weight: Decimal  # percent of the plan's total
    target: Decimal  # in `unit`
    unit: str  # 案 / 次 / 件 / %
    formula: str  # key of kinds.KINDS
    numerator: tuple[Term, ...]
    denominator: tuple[Term, ...] = ()
    alternative_denominator: tuple[Term, ...] = ()  # used instead of the denominator when reported and smaller
    alternative_reason: str = ""  # where the plan says so, e.g. 計畫補充說明（三）
    accrues: bool = False  # grows over the year, so a pace (target × M ÷ 12) applies
    gap_rule: str = "count"  # key of formulas.GAP_RULES: how far from target, in natural units
    gap_template: str = "還需 {amount} {unit}"
    gap_unit: str = ""
    help: str = ""
    common: bool = False  # one of the county's common indicators, declared once for every unit
    # The most the quantity can be (100 for a share of a whole, e.g. 預算執行率): a year-end projection is capped at it.
    upper_bound: Decimal | None = None
    direction: Direction = Direction.AT_LEAST  # at_most: the target is a ceiling (反向指標)
    scale: int = 1  # a quotient's multiplier (每萬人口: 10000)
    places: int | None = None  # decimals the value is shown to; None: the kind's default
    stages: tuple[Stage, ...] = ()  # a milestone's cumulative stages (完成工作項目)
    base_year: int | None = None  # a growth indicator's base year (its figures come from the store)
    base_value: Decimal | None = None  # the base year's whole-year value, when that year was never uploaded

    @property
    def kind(self) -> Kind:
        """The registered kind of its formula (a plan is only built when the formula is known)."""
        return KINDS[self.formula]

    @property
    def is_ratio(self) -> bool:
        return self.kind.has_denominator

    @property
    def fields(self) -> tuple[str, ...]:
        seen: dict[str, None] = {}
        for term in (*self.numerator, *self.denominator, *self.alternative_denominator):
            seen[term.field] = None
        return tuple(seen)


@dataclass(frozen=True)
class MultiYearScoring:
    """A rule that scores one indicator over a span of years (the plan's 計分說明 (四) of goal 6)."""

    indicator: str
    rule: str  # key of formulas.MULTI_YEAR_RULES
    years: tuple[int, ...]
    full_points: Decimal
    points_by_first_year: tuple[tuple[int, Decimal], ...]
    not_met_points: Decimal = Decimal(0)
    source: str = ""

    @property
    def points(self) -> dict[int, Decimal]:
        return dict(self.points_by_first_year)


@dataclass(frozen=True)
class PlanVersion:
    """Where a stored plan came from: its number among the versions of its (year, unit), who made it, why."""

    number: int
    created_at: dt.datetime
    author: str
    note: str
    origin: str  # the file it was seeded from, or 系統內編修


@dataclass(frozen=True)
class StoredPlan:
    """One stored version of a plan as the store keeps it (metrics.store): the TOML document and who saved it, when
    and why."""

    id: int
    year: int
    unit: str
    number: int
    document: str
    created_at: dt.datetime
    author: str
    note: str
    origin: str
    changes: tuple[str, ...]
    sample: bool


@dataclass(frozen=True)
class Plan:
    """A validated plan of one unit for one year, with its lookups built once."""

    year: int  # ROC year
    unit: str  # the unit's canonical name, the key of its figures in the store
    organisation: str  # the unit's full name in that year, e.g. 新竹縣政府政風處
    goals: tuple[Goal, ...]
    indicators: tuple[Indicator, ...]
    fields: tuple[MonthlyField, ...]
    unit_name: str = ""  # the unit's name in that year (differs from `unit` before a rename)
    title: str = ""
    source: str = ""  # the document the targets come from
    sample: bool = False  # a made-up 範例 plan: never an official target
    origin: str = ""  # the file it was read from
    version: PlanVersion | None = None  # set when it was read from the store
    multi_year: MultiYearScoring | None = None
    weight_total: Decimal = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "weight_total", sum((i.weight for i in self.indicators), Decimal(0)))
        if not self.unit_name:
            object.__setattr__(self, "unit_name", self.unit)

    @property
    def key(self) -> tuple[int, str]:
        return (self.year, self.unit)

    @property
    def label(self) -> str:
        """'政風處 112 年度', with （範例） for a sample plan."""
        return f"{self.unit_name} {self.year} 年度" + ("（範例）" if self.sample else "")

    @property
    def version_text(self) -> str:
        """Which plan an evaluation used, as a heading says it."""
        sample = "範例計畫（非正式目標值）" if self.sample else ""
        if self.version is None:
            where = f"計畫檔 {self.origin}" if self.origin else "計畫檔"
        else:
            where = f"計畫第 {self.version.number} 版"
        return "，".join(part for part in (where, sample) if part)

    @cached_property
    def exact_targets_weights(self) -> dict[str, tuple[Fraction, Fraction]]:
        """Each indicator's target and weight as exact fractions, made once rather than at every evaluation."""
        return {indicator.id: (Fraction(indicator.target), Fraction(indicator.weight)) for indicator in self.indicators}

    @cached_property
    def term_labels(self) -> dict[str, tuple[str, str]]:
        """Each indicator's numerator and denominator as the plan writes its sums (formulas.terms_label)."""
        fields = self.field_by_code
        return {indicator.id: (terms_label(indicator.numerator, fields), terms_label(indicator.denominator, fields))
                for indicator in self.indicators}

    @cached_property
    def field_by_code(self) -> dict[str, MonthlyField]:
        return {f.code: f for f in self.fields}

    @cached_property
    def field_by_name(self) -> dict[str, MonthlyField]:
        return {f.name: f for f in self.fields}

    @cached_property
    def goal_by_number(self) -> dict[int, Goal]:
        return {g.number: g for g in self.goals}

    @cached_property
    def indicator_by_id(self) -> dict[str, Indicator]:
        return {i.id: i for i in self.indicators}

    @property
    def common_indicators(self) -> tuple[Indicator, ...]:
        return tuple(i for i in self.indicators if i.common)

    def indicators_of(self, goal: int) -> tuple[Indicator, ...]:
        return tuple(i for i in self.indicators if i.goal == goal)

    def goal_weight(self, goal: int) -> Decimal:
        return sum((i.weight for i in self.indicators_of(goal)), Decimal(0))

    def field(self, code_or_name: str) -> MonthlyField | None:
        key = code_or_name.strip()
        return self.field_by_code.get(key) or self.field_by_name.get(key)


@dataclass(frozen=True)
class PlanIssue:
    """One thing wrong with a plan, with what it is about so a loader can point at the line."""

    message: str
    indicator: str | None = None
    goal: int | None = None
    key: str = ""  # the offending key of that indicator or goal (weight, target, formula…)


def plan_issues(goals: tuple[Goal, ...], indicators: tuple[Indicator, ...], fields: tuple[MonthlyField, ...],
                multi_year: MultiYearScoring | None = None, year: int | None = None) -> list[PlanIssue]:
    """Everything inconsistent in a plan's declarations; empty when it is sound."""
    issues: list[PlanIssue] = []

    def duplicates(values: list) -> list:
        return sorted({value for value in values if values.count(value) > 1}, key=str)

    for code in duplicates([f.code for f in fields]):
        issues.append(PlanIssue(f"項目代碼 {code} 重複宣告"))
    for name in duplicates([f.name for f in fields]):
        issues.append(PlanIssue(f"項目名稱 {name} 重複宣告"))
    for number in duplicates([g.number for g in goals]):
        issues.append(PlanIssue(f"策略目標 {number} 重複宣告", goal=number, key="number"))
    for indicator_id in duplicates([i.id for i in indicators]):
        issues.append(PlanIssue(f"指標 {indicator_id} 重複宣告", indicator=indicator_id, key="id"))
    codes = {f.code for f in fields}
    numbers = {g.number for g in goals}
    for indicator in indicators:
        label = f"指標 {indicator.id}"

        def issue(message: str, key: str) -> None:
            issues.append(PlanIssue(f"{label} {message}", indicator=indicator.id, key=key))

        if indicator.goal not in numbers:
            issue(f"所屬策略目標 {indicator.goal} 不存在", "goal")
        for part, terms in (("numerator", indicator.numerator), ("denominator", indicator.denominator),
                            ("alternative_denominator", indicator.alternative_denominator)):
            for term in terms:
                if term.field not in codes:
                    issue(f"使用未宣告的項目 {term.field}（項目須在 fields.toml 宣告）", part)
                if term.coefficient <= 0:
                    issue(f"的項目 {term.field} 係數須大於 0", part)
        if indicator.gap_rule not in GAP_RULES:
            issue(f"的差距規則 {indicator.gap_rule} 不存在（可用：{'、'.join(sorted(GAP_RULES))}）", "gap_rule")
        kind = KINDS.get(indicator.formula)
        if kind is None:
            issue(f"的公式 {indicator.formula} 不存在（可用：{'、'.join(sorted(KINDS))}）", "formula")
        else:
            for message, key in kind.checks(indicator):
                issue(message, key)
            stocks = [term.field for term in indicator.numerator if term.field in codes
                      and next(f for f in fields if f.code == term.field).aggregation is not Aggregation.STOCK]
            if year is not None and indicator.base_year is not None and indicator.base_year >= year:
                issue(f"的基準年度 {indicator.base_year} 須早於計畫年度 {year}", "base_year")
            if kind.stock_field and stocks:
                issue(f"的公式 {indicator.formula} 讀月底數，項目 {stocks[0]} 須為月底數（aggregation = \"stock\"）",
                      "numerator")
        if indicator.alternative_denominator and not indicator.denominator:
            issue("有替代分母（alternative_denominator）但沒有分母", "alternative_denominator")
        if not isinstance(indicator.weight, Decimal) or not indicator.weight.is_finite() or indicator.weight <= 0:
            issue(f"權重缺漏或不大於 0（目前是 {plain_number(indicator.weight)}）", "weight")
        elif indicator.weight > 100:
            issue(f"權重 {plain_number(indicator.weight)}% 超過 100%（權重是占全部指標的百分比）", "weight")
        signed = kind is not None and kind.signed_target
        if not isinstance(indicator.target, Decimal) or not indicator.target.is_finite() or \
                (indicator.target <= 0 and not signed):
            issue(f"目標值缺漏或不大於 0（目前是 {plain_number(indicator.target)}）", "target")
        if indicator.upper_bound is not None:
            if not isinstance(indicator.upper_bound, Decimal) or not indicator.upper_bound.is_finite() \
                    or indicator.upper_bound <= 0:
                issue(f"的上限（upper_bound）須為大於 0 的數字（目前是 {plain_number(indicator.upper_bound)}）",
                      "upper_bound")
            elif isinstance(indicator.target, Decimal) and indicator.target.is_finite() \
                    and indicator.target > indicator.upper_bound:
                issue(f"目標值 {plain_number(indicator.target)} 超過此指標的上限 {plain_number(indicator.upper_bound)}"
                      "（upper_bound），無法達成", "target")
        if not indicator.numerator:
            issue("沒有分子項目", "numerator")
        if not indicator.help:
            issue("缺少說明文字", "help")
        try:
            indicator.gap_template.format(amount="1", unit="")
        except (KeyError, IndexError, ValueError):
            issue(f"的差距說明「{indicator.gap_template}」只能使用 {{amount}} 與 {{unit}}", "gap_template")
    for goal in goals:
        if not any(i.goal == goal.number for i in indicators):
            issues.append(PlanIssue(f"策略目標 {goal.number} 沒有任何指標", goal=goal.number, key="number"))
    if multi_year is not None:
        if multi_year.rule not in MULTI_YEAR_RULES:
            issues.append(PlanIssue(f"跨年度計分規則 {multi_year.rule} 不存在（可用：{'、'.join(sorted(MULTI_YEAR_RULES))}）"))
        if multi_year.indicator not in {i.id for i in indicators}:
            issues.append(PlanIssue(f"跨年度計分的指標 {multi_year.indicator} 不在計畫中"))
        missing = [year for year in multi_year.years if year not in multi_year.points]
        if missing:
            issues.append(PlanIssue(f"跨年度計分缺少 {'、'.join(map(str, missing))} 年首次達標的分數"))
    return issues


def plain_number(value: object) -> str:
    """A number as people write it (12.5, not Decimal('12.5')); '空白' for nothing."""
    if value is None:
        return "空白"
    if isinstance(value, Decimal) and value.is_finite():
        text = format(value, "f")
        return text.rstrip("0").rstrip(".") if "." in text else text
    return str(value)


def build_plan(*, year: int, unit: str, organisation: str, goals: tuple[Goal, ...],
               indicators: tuple[Indicator, ...], fields: tuple[MonthlyField, ...], **details) -> Plan:
    """Validate the declarations and index them; every mistake is named. Goals are put in number order and
    indicators in the order of their goals; only the fields the indicators use are kept, in the given order."""
    issues = plan_issues(goals, indicators, fields, details.get("multi_year"), year)
    if issues:
        raise PlanError("計畫宣告有誤：\n" + "\n".join(issue.message for issue in issues), issues=issues)
    ordered_goals = tuple(sorted(goals, key=lambda goal: goal.number))
    rank = {goal.number: index for index, goal in enumerate(ordered_goals)}
    ordered = tuple(sorted(indicators, key=lambda indicator: rank[indicator.goal]))
    used = {code for indicator in ordered for code in indicator.fields}
    return Plan(year=year, unit=unit, organisation=organisation, goals=ordered_goals, indicators=ordered,
                fields=tuple(f for f in fields if f.code in used), **details)
