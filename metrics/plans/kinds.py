"""Every kind of indicator a plan may use, each one registered object, and the two directions a target points.

A kind (`formula = "percent"` in a plan file) is everything that depends on it: how it computes (exact
Fractions, `metrics.plans.formulas`) and from which figures, how its formula reads with the month's numbers, whether it
accrues by default, its default gap rule and wording, its status, achievement and pace where they differ from
its direction's, which plan checks apply, what an upload may hold for it, what the month template says in its
row, what a gauge's axis shows and what `evaluate --json` adds. A direction (`direction = "at_most"`, 反向指標) is how status,
achievement, pace, the gap's wording and the gauge's bands follow from the value and the target
(shared/spec/indicator-kinds.md §1).

Pages, the what-if editor, the template, the reports, the county view, `plans check` and `evaluate --json` ask
these objects; no other module compares kind names (tests/test_kinds.py scans the source for it). Adding a kind
is one `Kind(...)` in KINDS plus its tests.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import Protocol

from metrics.plans.formulas import (BASE, BASE_FROM_PLAN, BEHIND, GAP_RULES, MET, ON_TRACK, Computation, Formula, Term,
                              Values, count, format_number, growth, latest, milestone, quotient, ratio, reduction_rate)


@dataclass(frozen=True)
class Stage:
    """One cumulative stage of a milestone indicator (完成工作項目): its name, the percent it stands for, and the
    month it is planned by (optional)."""

    name: str
    percent: Decimal
    planned_month: int | None = None


# The scales a quotient may use: 平均處理日數 (1), 每千人 (1000), 每萬人口 (10000), 每十萬人口 (100000).
QUOTIENT_SCALES = (1, 1000, 10000, 100000)
MOST_PLACES = 6


class Direction(enum.Enum):
    """Which side of the target is good."""

    AT_LEAST = "at_least"  # 正向指標: met when the value reaches the target
    AT_MOST = "at_most"  # 反向指標: the target is a ceiling

    @property
    def label(self) -> str:
        return "越高越好" if self is Direction.AT_LEAST else "越低越好（反向指標，目標為上限）"

    @property
    def higher_is_better(self) -> bool:
        return self is Direction.AT_LEAST

    @property
    def default_gap_template(self) -> str:
        return "還需 {amount} {unit}" if self is Direction.AT_LEAST else "超出 {amount} {unit}"

    def target_text(self, shown: str) -> str:
        """The target as people read it: a ceiling with ≤ before it (≤ 5 日), a rising target as it is."""
        return shown if self is Direction.AT_LEAST else f"≤ {shown}"

    def achievement(self, actual: Fraction, target: Fraction) -> Fraction:
        """達成度: value ÷ target; for a ceiling target ÷ value, capped at 1, and 1 at value 0."""
        if self is Direction.AT_LEAST:
            return actual / target
        if actual <= 0:
            return Fraction(1)
        return min(target / actual, Fraction(1))

    def status(self, actual: Fraction, target: Fraction, pace: Fraction | None, month: int) -> str:
        """Met / on pace / behind. An accruing ceiling is only met at month 12: later months still add to it."""
        if self is Direction.AT_LEAST:
            if actual >= target:
                return MET
            return ON_TRACK if pace is not None and actual >= pace else BEHIND
        if pace is not None and month < 12:
            return ON_TRACK if actual <= pace else BEHIND
        return MET if actual <= target else BEHIND

    def missed_label(self, month: int) -> str | None:
        """What a value on the wrong side of the target is called in `month`, when not the data contract's 落後: a
        ceiling at month 12 is only 達標 or 未達標 (indicator-kinds.md §1), as no later month can bring it back.
        A rising target keeps 落後 all year (data-contract.md §3 has no year-end word for it)."""
        return "未達標" if self is Direction.AT_MOST and month >= 12 else None

    def pace_share(self, accrues: bool, month: int) -> Fraction:
        """The achievement of a unit exactly on pace in `month` (the line a month-by-month score is read against):
        an accruing count at target × M ÷ 12 has M ÷ 12 of a rising target, and all of a ceiling."""
        return Fraction(month, 12) if accrues and self is Direction.AT_LEAST else Fraction(1)

    def passed(self, actual: Fraction, target: Fraction) -> bool:
        """The value is on the target's good side (for the gauge's comparison)."""
        return actual >= target if self is Direction.AT_LEAST else actual <= target

    def bands(self, target: float, pace: float | None, maximum: float,
              minimum: float = 0.0) -> list[tuple[str, float, float]]:
        """(status, start, end) of a gauge's coloured background, the status a value there has: a ceiling is green
        below the target, red above; an accruing ceiling before December is on pace up to the pace and behind
        above it (it cannot be met before the year ends)."""
        if self is Direction.AT_LEAST:
            if pace is not None and pace < target:
                return [(BEHIND, minimum, pace), (ON_TRACK, pace, target), (MET, target, maximum)]
            return [(BEHIND, minimum, target), (MET, target, maximum)]
        if pace is not None and pace < target:
            return [(ON_TRACK, minimum, pace), (BEHIND, pace, maximum)]
        return [(MET, minimum, target), (BEHIND, target, maximum)]

    def gap(self, indicator: Gapped, target: Fraction, pace: Fraction | None, computation: Computation,
            status: str) -> tuple[Fraction, str]:
        """How far from the target, in the gap's unit, and its wording; (0, '已達標') when met."""
        if status == MET:
            return Fraction(0), "已達標"
        unit = indicator.gap_unit or indicator.unit
        rule = GAP_RULES[indicator.gap_rule]
        if self is Direction.AT_LEAST:
            gap = max(rule(target, computation), Fraction(0))
            return gap, indicator.gap_template.format(amount=format_number(gap), unit=unit)
        # A ceiling's gap is the excess over it: the rule applied to the negated value and bound.
        actual = computation.actual
        if actual > target:
            excess = max(rule(-target, _negated(computation)), Fraction(0))
            return excess, indicator.gap_template.format(amount=format_number(excess), unit=unit)
        if status == BEHIND and pace is not None:
            excess = max(rule(-pace, _negated(computation)), Fraction(0))
            return excess, f"超出進度 {format_number(excess)} {unit}"
        return Fraction(0), "未超出進度"


# Gap rules that read a ceiling's excess; the others count what a share still needs.
CEILING_GAP_RULES = ("count", "difference")


def _negated(computation: Computation) -> Computation:
    return Computation(-computation.actual, computation.numerator, computation.denominator, computation.status,
                       computation.note, computation.places)


class Gapped(Protocol):
    unit: str
    gap_rule: str
    gap_template: str
    gap_unit: str


class Declared(Protocol):
    """What a kind checks of an indicator."""

    id: str
    formula: str
    numerator: tuple[Term, ...]
    denominator: tuple[Term, ...]
    alternative_denominator: tuple[Term, ...]
    direction: Direction
    gap_rule: str
    scale: int
    places: int | None
    stages: tuple[Stage, ...]
    target: Decimal
    base_year: int | None
    base_value: Decimal | None


class Reading(Protocol):
    """The month's numbers as a formula's text needs them (metrics.outputs.presentation gives them)."""

    result: str  # the shown value with its unit
    computation: Computation

    def sum_text(self, terms: Sequence[Term], sigma: bool = False) -> str: ...

    def months_text(self, code: str) -> str: ...

    def latest_text(self, code: str) -> str: ...

    def field_name(self, code: str) -> str: ...

    def denominator_used(self) -> str: ...


class Reported(Protocol):
    """What a kind reads of the figures (metrics.evaluation.figures.Figures)."""

    def as_of(self, code: str, month: int) -> Fraction | None: ...

    def monthly(self, code: str, month: int) -> Decimal | None: ...

    def base_as_of(self, year: int, code: str, month: int) -> Fraction | None: ...

    def is_flow(self, code: str) -> bool: ...


def as_of_values(indicator: Declared, figures: Reported, month: int) -> Values:
    """Each field as of the month by its own rule: flows add up months 1..M, stocks take the latest month."""
    codes = dict.fromkeys(term.field for term in (*indicator.numerator, *indicator.denominator,
                                                  *indicator.alternative_denominator))
    return {code: figures.as_of(code, month) for code in codes}


def highest_values(indicator: Declared, figures: Reported, month: int) -> Values:
    """The highest value reported in months 1..M: a stage once completed stays completed."""
    code = indicator.numerator[0].field
    reported = [value for value in (figures.monthly(code, m) for m in range(1, month + 1)) if value is not None]
    return {code: Fraction(max(reported)) if reported else None}


def growth_values(indicator: Declared, figures: Reported, month: int) -> Values:
    """The field as of M this year and in the base year (the store's figures), else the plan's base_value: a flow's
    whole-year base_value pro-rated to M ÷ 12, a stock's as it is."""
    code = indicator.numerator[0].field
    values: dict[str, Fraction | None] = {code: figures.as_of(code, month),
                                          BASE: figures.base_as_of(indicator.base_year, code, month)}
    if values[BASE] is None and indicator.base_value is not None:
        flow = figures.is_flow(code)
        values[BASE] = Fraction(indicator.base_value) * (Fraction(month, 12) if flow else 1)
        values[BASE_FROM_PLAN] = Fraction(month if flow else 0)
    return values


def latest_values(indicator: Declared, figures: Reported, month: int) -> Values:
    """The field's latest reported month ≤ M, whatever its aggregation: a survey score is never summed."""
    code = indicator.numerator[0].field
    reported = (figures.monthly(code, m) for m in range(month, 0, -1))
    value = next((value for value in reported if value is not None), None)
    return {code: None if value is None else Fraction(value)}


@dataclass(frozen=True)
class Kind:
    key: str
    label: str  # what the plan editor lists
    compute: Formula
    reads: Callable[[Declared, Reading], str]  # the formula with the month's numbers
    has_denominator: bool  # a ratio of sums (needs a denominator) or a sum (refuses one)
    accrues: bool  # the default of `accrues`: grows over the year, so a pace applies
    gap_rule: str | None  # the default gap rule of a rising target; None: the plan must name one
    share_of_whole: bool = False  # a percent of a whole: the upload checks numerator ≤ denominator (target ≤ 100)
    scaled: bool = False  # accepts `scale`
    rounded: bool = False  # accepts `places`
    reads_values: Callable[[Declared, Reported, int], Values] = as_of_values  # the figures it computes from
    single_field: bool = False  # reads exactly one field as it is (no coefficient)
    stock_field: bool = False  # that field must be a month-end position (a stage reached stays reached)
    staged: bool = False  # lists [[indicator.stage]]: milestones
    based: bool = False  # compares with a base year (base_year, base_value): growth; its target may be 0 or less

    @property
    def signed_target(self) -> bool:
        """Whether the target may be 0 or negative (事故件數較基準年減少 10 %: target −10, at_most)."""
        return self.based

    def pace_met(self, indicator: Declared, computation: Computation, month: int) -> bool | None:
        """Whether a value below target is on pace by the kind's own rule (None: the kind has none; an accruing
        indicator's target × M ÷ 12 is the direction's). A milestone is on pace when the completed stage reaches
        the last stage planned by month M."""
        if not self.staged or not any(stage.planned_month for stage in indicator.stages):
            return None
        return computation.numerator >= planned_stage(indicator.stages, month)

    def drawn_pace(self, indicator: Declared, month: int) -> Fraction | None:
        """Where a gauge draws the pace of a kind with a rule of its own (pace_met): a milestone's percent of the
        last stage planned by month M (0 before the first); None for the others."""
        if not self.staged or not any(stage.planned_month for stage in indicator.stages):
            return None
        number = planned_stage(indicator.stages, month)
        return Fraction(indicator.stages[number - 1].percent) if number else Fraction(0)

    def achievement(self, indicator: Declared, actual: Fraction, target: Fraction) -> Fraction:
        """The direction's 達成度; a milestone's is capped at 1 (its stages never pass the whole)."""
        if self.based:  # value ÷ target clamped to [0, 1] either way; a target of 0 is all or nothing
            if target == 0:
                return Fraction(1) if indicator.direction.passed(actual, target) else Fraction(0)
            return min(max(actual / target, Fraction(0)), Fraction(1))
        achievement = indicator.direction.achievement(actual, target)
        return min(achievement, Fraction(1)) if self.staged else achievement

    def status(self, indicator: Declared, computation: Computation, target: Fraction, pace: Fraction | None,
               month: int) -> str:
        status = indicator.direction.status(computation.actual, target, pace, month)
        if status == BEHIND and self.pace_met(indicator, computation, month):
            return ON_TRACK
        return status

    def gap(self, indicator: Declared, target: Fraction, pace: Fraction | None, computation: Computation,
            status: str) -> tuple[Fraction, str]:
        gap, text = indicator.direction.gap(indicator, target, pace, computation, status)
        if self.staged and status != MET:
            following = indicator.stages[int(computation.numerator):]
            if following:
                stage = following[0]
                month = f"（預定 {stage.planned_month} 月）" if stage.planned_month else ""
                text = f"下一階段：{stage.name}{month}"
        return gap, text

    def json_fields(self, computation: Computation) -> dict[str, object]:
        """What `evaluate --json` adds for this kind: a milestone's completed stage number."""
        if self.staged:
            return {"stage": None if computation.actual is None else int(computation.numerator)}
        return {}

    def axis_ticks(self, indicator: Declared) -> list[tuple[float, str]]:
        """Labels along a gauge's axis: a milestone's stage names at their percentages."""
        if not self.staged:
            return []
        return [(0.0, "0")] + [(float(stage.percent), stage.name) for stage in indicator.stages]

    def reported_value_problem(self, indicator: Declared, value: Decimal) -> str:
        """Why an uploaded value of the indicator's field cannot be (a stage number outside 0..n); '' when sound."""
        if not self.staged:
            return ""
        count = len(indicator.stages)
        if value != value.to_integral_value() or not 0 <= value <= count:
            return (f"是指標 {indicator.id} 的完成階段編號，須為 0 至 {count} 的整數"
                    f"（{stage_list(indicator.stages)}）")
        return ""

    def template_note(self, indicator: Declared) -> str:
        """What the month template says to type in the indicator's row; '' when the field's own help says it."""
        if not self.staged:
            return ""
        return f"指標 {indicator.id}：請填已完成的階段編號（{stage_list(indicator.stages)}）"

    @property
    def monthly_label(self) -> str:
        return "當月比率" if self.has_denominator else "當月數"

    def default_gap_rule(self, direction: Direction) -> str | None:
        if direction is Direction.AT_MOST:
            return self.gap_rule or "difference"
        return self.gap_rule

    def formula_text(self, indicator: Declared, reading: Reading) -> str:
        return self.reads(indicator, reading)

    def values(self, indicator: Declared, figures: Reported, month: int) -> Values:
        return self.reads_values(indicator, figures, month)

    def shows_parts(self, computation: Computation) -> bool:
        """Whether '分子 n / 分母 d' is worth saying under a value."""
        return self.has_denominator and computation.numerator is not None and computation.denominator is not None

    def checks(self, indicator: Declared) -> list[tuple[str, str]]:
        """(message, key) for each way the indicator's declaration does not fit this kind."""
        issues = []
        if not self.has_denominator and indicator.denominator:
            issues.append((f"的公式 {self.key} {'取最近一個月的填報值' if self.single_field else '是件數加總'}，不可有分母",
                           "denominator"))
        if self.has_denominator and not indicator.denominator:
            issues.append((f"的公式 {self.key} 是比率，須有分母項目（denominator）", "denominator"))
        if self.single_field and (len(indicator.numerator) != 1 or indicator.numerator[0].coefficient != 1):
            issues.append((f"的公式 {self.key} 取一個項目最近一個月的填報值，分子須恰為一個項目（不加係數）", "numerator"))
        if self.scaled and indicator.scale not in QUOTIENT_SCALES:
            issues.append((f"的 scale {indicator.scale} 不可用（可用：{'、'.join(map(str, QUOTIENT_SCALES))}）", "scale"))
        if not self.scaled and indicator.scale != 1:
            issues.append((f"的公式 {self.key} 不用 scale（只有 quotient 可乘以 1000、10000 等）", "scale"))
        if indicator.places is not None:
            if not self.rounded:
                issues.append((f"的公式 {self.key} 不用 places（只有 percent 與 quotient 可指定小數位數）", "places"))
            elif not 0 <= indicator.places <= MOST_PLACES:
                issues.append((f"的 places 須為 0 至 {MOST_PLACES} 的整數（目前是 {indicator.places}）", "places"))
        issues += self._stage_checks(indicator)
        if self.based and indicator.base_year is None:
            issues.append(("的公式 growth 須寫基準年度（base_year，例如 111）", "base_year"))
        if not self.based:
            issues += [(f"的公式 {self.key} 不用 {key}（只有 growth 比較基準年度）", key)
                       for key in ("base_year", "base_value") if getattr(indicator, key) is not None]
        if indicator.base_value is not None and indicator.base_value <= 0:
            issues.append((f"的基準值 base_value 須大於 0（目前是 {_plain(indicator.base_value)}）", "base_value"))
        if indicator.direction is Direction.AT_MOST and indicator.gap_rule not in CEILING_GAP_RULES:
            issues.append((f"是反向指標（direction = \"at_most\"），差距規則須為 {' 或 '.join(CEILING_GAP_RULES)}"
                           f"（目前是 {indicator.gap_rule}）", "gap_rule"))
        return issues


    def _stage_checks(self, indicator: Declared) -> list[tuple[str, str]]:
        stages = indicator.stages
        if not self.staged:
            return [(f"的公式 {self.key} 不用階段（只有 milestone 可列 [[indicator.stage]]）", "stage")] if stages else []
        if not stages:
            return [("的公式 milestone 須列出各階段（[[indicator.stage]]，每階段有 name 與 percent）", "stage")]
        issues = []
        if indicator.direction is not Direction.AT_LEAST:
            issues.append(("的公式 milestone 是完成進度，不可為反向指標（direction = \"at_most\"）", "direction"))
        previous, previous_month = Decimal(0), 0
        for number, stage in enumerate(stages, start=1):
            where = f"的第 {number} 階段「{stage.name}」"
            if not stage.name:
                issues.append((f"的第 {number} 階段缺少名稱（name）", "stage"))
            if stage.percent <= previous:
                issues.append((f"{where}的 percent {_plain(stage.percent)} 須大於前一階段的 {_plain(previous)}"
                               "（各階段的百分比須逐階增加）", "stage"))
            if stage.planned_month is not None:
                if not 1 <= stage.planned_month <= 12:
                    issues.append((f"{where}的 planned_month {stage.planned_month} 須為 1 至 12", "stage"))
                elif stage.planned_month < previous_month:
                    issues.append((f"{where}的 planned_month {stage.planned_month} 早於前一階段的 {previous_month} 月",
                                   "stage"))
                else:
                    previous_month = stage.planned_month
            previous = max(previous, stage.percent)
        if stages[-1].percent > 100:
            issues.append((f"最後一個階段的 percent {_plain(stages[-1].percent)} 超過 100", "stage"))
        if indicator.target > stages[-1].percent:
            issues.append((f"目標值 {_plain(indicator.target)}% 超過最後一個階段的 {_plain(stages[-1].percent)}%，無法達成",
                           "target"))
        return issues


def planned_stage(stages: Sequence[Stage], month: int) -> int:
    """The number of the last stage planned by `month` (0 when none is)."""
    return max((number for number, stage in enumerate(stages, start=1)
                if stage.planned_month is not None and stage.planned_month <= month), default=0)


def stage_list(stages: Sequence[Stage]) -> str:
    """'0＝尚未完成；1＝完成專業規劃委託服務（25%）；2＝…', as a template row and an upload refusal list them."""
    return "；".join(["0＝尚未完成任何階段"] + [f"{number}＝{stage.name}（{_plain(stage.percent)}%）"
                                          for number, stage in enumerate(stages, start=1)])


def _plain(value: Decimal | Fraction) -> str:
    return format_number(Fraction(value))


def _reads_milestone(indicator: Declared, reading: Reading) -> str:
    stages = indicator.stages
    stage = int(reading.computation.numerator)
    if len(stages) == 1 and stages[0].percent == 100:  # a yes/no indicator
        return f"{'已完成' if stage else '未完成'}「{stages[0].name}」＝ {reading.result}"
    if stage == 0:
        return f"尚未完成任何階段（共 {len(stages)} 階段）＝ {reading.result}"
    return f"已完成第 {stage} 階段「{stages[stage - 1].name}」（共 {len(stages)} 階段）＝ {reading.result}"


def _reads_growth(indicator: Declared, reading: Reading) -> str:
    computation = reading.computation
    name = reading.field_name(indicator.numerator[0].field)
    this, base = format_number(computation.numerator), format_number(computation.denominator)
    return (f"({name} {this} − {indicator.base_year} 年基準 {base}) ÷ {base} × 100% ＝ {reading.result}"
            f"（較 {indicator.base_year} 年）")


def _reads_count(indicator: Declared, reading: Reading) -> str:
    return f"{reading.months_text(indicator.numerator[0].field)} ＝ {reading.result}"


def _reads_percent(indicator: Declared, reading: Reading) -> str:
    return (f"{reading.sum_text(indicator.numerator)} ÷ {reading.sum_text(indicator.denominator)} × 100% ＝ "
            f"{reading.result}")


def _reads_reduction(indicator: Declared, reading: Reading) -> str:
    return f"{reading.sum_text(indicator.numerator)} ÷ {reading.denominator_used()} × 100%，無條件進位 ＝ {reading.result}"


def _reads_latest(indicator: Declared, reading: Reading) -> str:
    return f"{reading.latest_text(indicator.numerator[0].field)} ＝ {reading.result}"


def _reads_quotient(indicator: Declared, reading: Reading) -> str:
    scale = f" × {indicator.scale:,}" if indicator.scale != 1 else ""
    return (f"{reading.sum_text(indicator.numerator, sigma=True)} ÷ {reading.sum_text(indicator.denominator, sigma=True)}"
            f"{scale} ＝ {reading.result}")


KINDS: dict[str, Kind] = {kind.key: kind for kind in (
    Kind("count", "count（各月件數加總）", count, _reads_count, has_denominator=False, accrues=True, gap_rule="count"),
    Kind("percent", "percent（合計後相除×100%，四捨五入至小數 2 位）", ratio, _reads_percent, has_denominator=True,
         accrues=False, gap_rule=None, share_of_whole=True, rounded=True),
    Kind("reduction_rate", "reduction_rate（同 percent，無條件進位至整數）", reduction_rate, _reads_reduction,
         has_denominator=True, accrues=False, gap_rule=None),
    Kind("quotient", "quotient（合計後相除×scale，四捨五入至 places 位，如平均處理日數、每萬人口）", quotient,
         _reads_quotient, has_denominator=True, accrues=False, gap_rule="difference", scaled=True, rounded=True),
    Kind("latest", "latest（最近一個月的填報值，不加總，如滿意度、現況數）", latest, _reads_latest,
         has_denominator=False, accrues=False, gap_rule="difference", rounded=True, reads_values=latest_values,
         single_field=True),
    Kind("milestone", "milestone（完成工作項目：填已完成的階段編號，以該階段的百分比計）", milestone,
         _reads_milestone, has_denominator=False, accrues=False, gap_rule="difference", reads_values=highest_values,
         single_field=True, stock_field=True, staged=True),
    Kind("growth", "growth（較基準年度 base_year 同期的成長率 %，基準取資料庫或 base_value）", growth, _reads_growth,
         has_denominator=False, accrues=False, gap_rule="difference", reads_values=growth_values, single_field=True,
         based=True),
)}


def kind_of(key: str) -> Kind | None:
    return KINDS.get(key)
