"""A plan made in the app checked against the catalogue as it is today: its unit and year, its fields, the common
set and build_plan's own checks, each problem in words (the plan editor, metrics.plans.planning)."""

from __future__ import annotations

from collections.abc import Callable

from metrics.plans.catalogue import COMMON_FILE, UNITS_FILE, Catalogue
from metrics.plans.plan import Plan, PlanIssue, plan_issues
from metrics.plans.toml_reading import FIELDS_FILE


def plan_problems(plan: Plan, catalogue: Catalogue, where: Callable[[PlanIssue], str] | None = None) -> list[str]:
    """What a plan edited in the app gets wrong against the catalogue as it is today: its unit and year,
    its fields, the common set, and build_plan's own checks. Empty when it can be saved. `where` says where
    an issue of build_plan's checks is (the editor's table cell), put before its message."""
    problems = [(where(issue) if where else "") + issue.message
                for issue in plan_issues(plan.goals, plan.indicators, plan.fields, plan.multi_year, plan.year)]
    unit = catalogue.units.by_name.get(plan.unit)
    if unit is None:
        problems.append(f"單位「{plan.unit}」不在 {UNITS_FILE} 中")
    elif unit.since and plan.year < unit.since:
        problems.append(f"{unit.name}自 {unit.since} 年度起才設立，不能有 {plan.year} 年度的計畫")
    names = {f.name: f.code for f in catalogue.fields_in_force}
    for monthly_field in plan.fields:
        known = catalogue.field_by_code.get(monthly_field.code)
        if known is None:  # a field of its own the plan brings (from its file): named as no field in force is
            if names.get(monthly_field.name, monthly_field.code) != monthly_field.code:
                problems.append(f"項目 {monthly_field.code} 的名稱「{monthly_field.name}」已是項目 "
                                f"{names[monthly_field.name]} 的名稱；新的項目請用另一個名稱")
        elif known != monthly_field:
            problems.append(f"項目 {monthly_field.code} 與 {catalogue.field_owner(monthly_field.code)} 的宣告不同")
    common = catalogue.common
    for goal in plan.goals:
        if goal.number in common.goal_numbers and not goal.common:
            problems.append(f"策略目標 {goal.number} 是共同性目標（{COMMON_FILE}），單位自訂目標請用其他編號")
    for indicator in plan.indicators:
        if indicator.id in common.indicator_by_id:
            differences = common.differences(indicator)
            if differences:
                problems.append(f"共同性指標 {indicator.id} 不可改變{'、'.join(differences)}（只有目標值與權重可依年度調整）")
            elif not indicator.common:
                problems.append(f"指標 {indicator.id} 是共同性指標的代號，單位自訂指標請用其他代號")
        elif indicator.common:
            problems.append(f"指標 {indicator.id} 標示為共同性指標，但 {COMMON_FILE} 沒有此指標")
    if not plan.indicators:
        problems.append("計畫沒有任何指標")
    return problems
