"""A plan written back to TOML, self-contained: the stored version of a plan carries its fields and the common
indicators with that year's targets, so that an old version evaluates the same whatever the files say later
(read back with metrics.plans.catalogue.parse_plan)."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

from metrics.plans.formulas import Term
from metrics.plans.kinds import Direction
from metrics.plans.plan import Goal, Indicator, MonthlyField, MultiYearScoring, Plan


def plan_document(plan: Plan) -> str:
    """The plan as a self-contained TOML document: what a stored version holds and what `plans export`
    writes. It names its fields and carries the common indicators with their targets and weights, so it
    needs no other file to be evaluated."""
    lines = [f"# {plan.title or plan.organisation}（{plan.label}）",
             "# 完整計畫：含填報項目與共同性指標（include_common = false），可直接放入 plans/年度/ 使用。", ""]
    lines += [f"year = {plan.year}", f"unit = {toml_string(plan.unit_name)}",
              f"organisation = {toml_string(plan.organisation)}", f"title = {toml_string(plan.title)}",
              f"source = {toml_string(plan.source)}", f"sample = {toml_bool(plan.sample)}",
              "include_common = false", ""]
    for goal in plan.goals:
        lines += goal_lines(goal)
    for indicator in plan.indicators:
        lines += indicator_lines(indicator)
    for monthly_field in plan.fields:
        lines += field_lines(monthly_field)
    if plan.multi_year is not None:
        lines += multi_year_lines(plan.multi_year)
    return "\n".join(lines)


def goal_lines(goal: Goal) -> list[str]:
    """One [[goal]] table of a plan document, with the blank line after it."""
    lines = ["[[goal]]", f"number = {goal.number}", f"title = {toml_string(goal.title)}",
             f"kind = {toml_string(goal.kind)}", f"summary = {toml_string(goal.summary)}"]
    if goal.common:
        lines.append("common = true")
    return lines + [""]


def indicator_lines(indicator: Indicator) -> list[str]:
    """One [[indicator]] table (with its [[indicator.stage]] tables) of a plan document, every key written."""
    lines = ["[[indicator]]", f"id = {toml_string(indicator.id)}", f"goal = {indicator.goal}",
             f"name = {toml_string(indicator.name)}", f"short_name = {toml_string(indicator.short_name)}",
             f"method = {toml_string(indicator.method)}", f"measure = {toml_string(indicator.measure)}",
             f"weight = {toml_number(indicator.weight)}", f"target = {toml_number(indicator.target)}",
             f"unit = {toml_string(indicator.unit)}", f"formula = {toml_string(indicator.formula)}",
             f"numerator = {toml_terms(indicator.numerator)}"]
    if indicator.denominator:
        lines.append(f"denominator = {toml_terms(indicator.denominator)}")
    if indicator.alternative_denominator:
        lines.append(f"alternative_denominator = {toml_terms(indicator.alternative_denominator)}")
        lines.append(f"alternative_reason = {toml_string(indicator.alternative_reason)}")
    lines += [f"accrues = {toml_bool(indicator.accrues)}", f"gap_rule = {toml_string(indicator.gap_rule)}",
              f"gap_template = {toml_string(indicator.gap_template)}"]
    if indicator.gap_unit:
        lines.append(f"gap_unit = {toml_string(indicator.gap_unit)}")
    if indicator.upper_bound is not None:
        lines.append(f"upper_bound = {toml_number(indicator.upper_bound)}")
    if indicator.direction is not Direction.AT_LEAST:
        lines.append(f"direction = {toml_string(indicator.direction.value)}")
    if indicator.scale != 1:
        lines.append(f"scale = {indicator.scale}")
    if indicator.places is not None:
        lines.append(f"places = {indicator.places}")
    if indicator.base_year is not None:
        lines.append(f"base_year = {indicator.base_year}")
    if indicator.base_value is not None:
        lines.append(f"base_value = {toml_number(indicator.base_value)}")
    stage_lines = []
    for stage in indicator.stages:  # sub-tables come after every key of the indicator
        stage_lines += ["[[indicator.stage]]", f"name = {toml_string(stage.name)}",
                        f"percent = {toml_number(stage.percent)}"]
        if stage.planned_month is not None:
            stage_lines.append(f"planned_month = {stage.planned_month}")
    lines.append(f"help = {toml_string(indicator.help)}")
    if indicator.common:
        lines.append("common = true")
    lines += stage_lines
    lines.append("")
    return lines


def field_lines(monthly_field: MonthlyField) -> list[str]:
    """One [[field]] table of a plan document."""
    return ["[[field]]", f"code = {toml_string(monthly_field.code)}", f"name = {toml_string(monthly_field.name)}",
            f"unit = {toml_string(monthly_field.unit)}", f"aggregation = {toml_string(monthly_field.aggregation.value)}",
            f"quantity = {toml_string(monthly_field.quantity.value)}", f"help = {toml_string(monthly_field.help)}", ""]


def multi_year_lines(rule: MultiYearScoring) -> list[str]:
    """The [multi_year] table of a plan document."""
    lines = ["[multi_year]", f"indicator = {toml_string(rule.indicator)}", f"rule = {toml_string(rule.rule)}",
             f"years = [{', '.join(str(year) for year in rule.years)}]",
             f"full_points = {toml_number(rule.full_points)}", f"not_met_points = {toml_number(rule.not_met_points)}",
             f"source = {toml_string(rule.source)}", "", "[multi_year.points]"]
    lines += [f'"{year}" = {toml_number(points)}' for year, points in rule.points_by_first_year]
    lines.append("")
    return lines


def toml_string(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\t", "\\t")
    escaped = "".join(character if ord(character) >= 0x20 and ord(character) != 0x7F else f"\\u{ord(character):04x}"
                      for character in escaped)
    return f'"{escaped}"'


def toml_bool(value: bool) -> str:
    return "true" if value else "false"


def toml_number(value: Decimal | int) -> str:
    number = Decimal(value)
    if number == number.to_integral_value() and "." not in str(value):
        return str(int(number))
    return format(number, "f")


def toml_terms(terms: tuple[Term, ...]) -> str:
    parts = []
    for term in terms:
        options = []
        if term.coefficient != 1:
            coefficient = Fraction(term.coefficient)
            if coefficient.numerator == 1:
                options.append(f"divide_by = {coefficient.denominator}")
            else:
                options.append(f"multiply_by = {toml_number(Decimal(coefficient.numerator) / coefficient.denominator)}")
        if term.required:
            options.append("required = true")
        parts.append(f'{{ field = "{term.field}", {", ".join(options)} }}' if options else f'"{term.field}"')
    return "[" + ", ".join(parts) + "]"
