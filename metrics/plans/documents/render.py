"""A PlanDraft written out: the plan TOML `plans check` accepts (with the new fields it proposes as its own
[[field]] tables), the Plan it makes, and the shape `plans import-document --json` prints.

A unit whose (共同) targets and weights are those of common.toml gets `include_common = true`: its plan stays tied
to the one declaration. One whose document sets another target or weight for a common indicator carries its own
copy of the common goals and indicators (`include_common = false`, `common = true`), with the document's values:
the only way a plan file records a unit's own common targets.
"""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal
from fractions import Fraction

from metrics.plans.catalogue import Catalogue, parse_plan
from metrics.plans.toml_writing import field_lines, goal_lines, indicator_lines, multi_year_lines, toml_string
from metrics.plans.documents.draft import DraftIndicator, DraftTerm, PlanDraft
from metrics.plans.formulas import format_number
from metrics.plans.plan import Goal, Indicator, Plan


def _with_fields(catalogue: Catalogue, draft: PlanDraft) -> Catalogue:
    """The catalogue with the draft's new fields, for the gap rule their indicators are written with."""
    known = {f.code for f in catalogue.fields_in_force}
    extra = tuple(f.monthly_field for f in draft.fields if f.code not in known)
    return replace(catalogue, fields=catalogue.fields + extra) if extra else catalogue


def plan_toml(draft: PlanDraft, catalogue: Catalogue) -> str:
    """The plan file of the draft, for plans/<year>/<unit>.toml; what is still to decide is listed at its top."""
    own = [goal for goal in draft.goals if not goal.common]
    lines = [f"# {draft.title}：參、年度績效指標",
             f"# 由計畫書「{draft.document}」匯入（python -m metrics plans import-document）；目標值、權重與衡量標準照計畫書。"]
    lines += [f"# 注意：{notice}" for notice in draft.notices]
    pending = draft.needs_decision
    if pending:
        lines.append(f"# 尚待決定 {len(pending)} 項（決定前此檔不能使用）：")
        lines += [f"#   - {decision.text}" for decision in pending]
    if draft.fields:
        lines.append(f"# 本計畫新增的填報項目 {len(draft.fields)} 個（寫在檔尾的 [[field]]，隨計畫儲存）："
                     + "、".join(f"{f.code}「{f.name}」" for f in draft.fields))
    include_common = not draft.overridden
    lines += ["", f"year = {draft.year}", f"unit = {toml_string(draft.unit)}", f"title = {toml_string(draft.title)}",
              f"source = {toml_string(draft.title + '「參、年度績效指標」')}",
              f"include_common = {'true' if include_common else 'false'}", ""]
    for goal in own:
        lines += goal_lines(Goal(goal.number, goal.title, goal.kind, False, goal.summary))
    expanded = _with_fields(catalogue, draft)
    current = catalogue.find(draft.year, draft.unit)
    for indicator in draft.indicators:
        if not indicator.common:
            lines += indicator_lines(_kept(indicator.as_indicator(expanded), current))
    if not include_common:
        lines += _common_lines(draft, catalogue)
    if draft.fields:
        lines += ["# 本計畫新增的填報項目：代碼（英文小寫）一經使用不可更改定義", ""]
        lines += [line for proposed in draft.fields for line in field_lines(proposed.monthly_field)]
    return "\n".join(lines)


def _kept(indicator: Indicator, current: Plan | None) -> Indicator:
    """A document has no short names, help texts or gap wordings: where the plan in force has the same indicator
    (same id and name), what a planner typed there is kept rather than replaced by the full name."""
    before = current.indicator_by_id.get(indicator.id) if current is not None else None
    if before is None or before.name != indicator.name or before.common:
        return indicator
    gap = before.gap_template if before.direction is indicator.direction else indicator.gap_template
    return replace(indicator, short_name=before.short_name, help=before.help, gap_template=gap)


def _common_lines(draft: PlanDraft, catalogue: Catalogue) -> list[str]:
    """The common goals and indicators as this unit's own copy, with the document's targets and weights (and
    common.toml's for a common indicator the document leaves out)."""
    lines = ["# 共同性指標：計畫書的目標值或權重與 common.toml 不同，本計畫自帶共同性指標（只有目標值與權重與 common.toml 不同）", ""]
    lines += [line for goal in catalogue.common.goals for line in goal_lines(replace(goal, common=True))]
    read = {indicator.id: indicator for indicator in draft.indicators if indicator.common}
    values = catalogue.common.years.get(draft.year)
    for common in catalogue.common.indicators:
        mine = read.get(common.id)
        target = mine.target if mine is not None and mine.target is not None else \
            (values.targets.get(common.id) if values else None)
        weight = mine.weight if mine is not None and mine.weight is not None else \
            (values.weights.get(common.id) if values else None)
        lines += indicator_lines(replace(common, target=target or Decimal(0), weight=weight or Decimal(0), common=True))
    if catalogue.common.multi_year is not None:
        lines += multi_year_lines(catalogue.common.multi_year)
    return lines


def draft_plan(draft: PlanDraft, catalogue: Catalogue) -> Plan:
    """The Plan the draft makes (its new fields its own), checked as `plans check` checks a file; PlanError names
    what is wrong, as it would for the file."""
    return parse_plan(plan_toml(draft, catalogue), catalogue, origin=f"計畫書「{draft.document}」的匯入結果")


# ---- --json ----

def _number(value: Decimal | None) -> int | float | None:
    if value is None:
        return None
    return int(value) if value == value.to_integral_value() else float(value)


def _terms(terms: tuple[DraftTerm, ...]) -> list[dict[str, object]]:
    return [{"text": term.text, "field": term.field, "coefficient": format_number(Fraction(term.coefficient), 6),
             "new": term.new} for term in terms]


def _indicator_json(indicator: DraftIndicator) -> dict[str, object]:
    formula = None
    if indicator.formula is not None:
        formula = {"kind": indicator.formula, "numerator": _terms(indicator.numerator),
                   "denominator": _terms(indicator.denominator), "direction": indicator.direction.value}
        if indicator.alternative_denominator:
            formula["alternative_denominator"] = _terms(indicator.alternative_denominator)
            formula["alternative_reason"] = indicator.alternative_reason
        if indicator.scale != 1:
            formula["scale"] = indicator.scale
        if indicator.stages:
            formula["stages"] = [dict(name=stage.name, percent=_number(stage.percent), planned_month=stage.planned_month)
                                 for stage in indicator.stages]
        if indicator.base_year is not None:
            formula["base_year"] = indicator.base_year
    return {"id": indicator.id, "goal": indicator.goal, "name": indicator.name, "method": indicator.method,
            "measure": indicator.measure, "weight": _number(indicator.weight), "target": _number(indicator.target),
            "unit": indicator.unit, "formula": formula, "common": indicator.common,
            "overrides": list(indicator.overrides), "notes": list(indicator.notes),
            "needs_decision": [decision.message for decision in indicator.decisions],
            "document_rows": list(indicator.source)}


def draft_json(draft: PlanDraft) -> dict[str, object]:
    """What `plans import-document --json` prints."""
    return {
        "year": draft.year, "unit": draft.unit, "title": draft.title, "document": draft.document,
        "goals": [{"number": goal.number, "title": goal.title, "kind": goal.kind, "common": goal.common,
                   "summary": goal.summary} for goal in draft.goals],
        "indicators": [_indicator_json(indicator) for indicator in draft.indicators],
        "fields": [{"code": f.code, "name": f.name, "unit": f.unit, "aggregation": f.aggregation.value,
                    "quantity": f.quantity.value, "help": f.help} for f in draft.fields],
        "weight_total": _number(draft.weight_total),
        "notices": list(draft.notices),
        "needs_decision": [decision.text for decision in draft.needs_decision],
    }
