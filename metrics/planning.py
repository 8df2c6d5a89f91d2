"""Plans in the store: seeding it from plans/, the catalogue in force, new versions and what they changed.

Files under plans/ seed the store: a (year, unit) without any stored version gets its file as version 1.
From then on the store is the truth: the plan in force is the latest stored version, an edit made in
the app (or `plans import`) adds a version, and every earlier version stays readable, so an evaluation
made with it can be made again. `file_differences` says where a file and the store disagree.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace
from fractions import Fraction

from metrics.catalogue import Catalogue, PlanKey, parse_plan, plan_document
from metrics.errors import PlanError, PlanNotFound, Problem
from metrics.formulas import format_number, terms_label
from metrics.plan import Indicator, Plan, PlanVersion
from metrics.store import Store, StoredPlan

SEED_AUTHOR = "系統（計畫檔）"
EDIT_ORIGIN = "系統內編修"


def seed_store(store: Store, files: Catalogue, *, samples: bool = False) -> list[StoredPlan]:
    """Store each plan of `files` that has no version yet as version 1 (sample plans only when asked)."""
    wanted = [(plan.year, plan.unit, plan_document(plan), plan.origin, plan.sample)
              for plan in files.plans.values() if samples or not plan.sample]
    return store.seed_plans(wanted, author=SEED_AUTHOR)


def plan_of_version(stored: StoredPlan, files: Catalogue) -> Plan:
    """A stored version as a Plan, read as it was saved (its own fields and common indicators)."""
    label = f"{stored.unit} {stored.year} 年度計畫第 {stored.number} 版"
    try:
        plan = parse_plan(stored.document, files, origin=label, sample=stored.sample, check_common=False)
    except PlanError as error:
        raise PlanError(f"資料庫中的{label}無法讀取：{error}", issues=error.issues) from None
    version = PlanVersion(stored.number, stored.created_at, stored.author, stored.note, stored.origin)
    return replace(plan, version=version, origin=stored.origin)


def stored_catalogue(store: Store, files: Catalogue, *, samples: bool = False) -> Catalogue:
    """The catalogue in force: the latest stored version of every (year, unit), and for a (year, unit) the
    store has no version of, its file (as seeding would store it; sample plans only when `samples`)."""
    plans: dict[PlanKey, Plan] = {}
    for stored in store.plan_versions(latest_only=True):
        plans[(stored.year, stored.unit)] = plan_of_version(stored, files)
    for key, plan in files.plans.items():
        if samples or not plan.sample:
            plans.setdefault(key, plan)
    return files.with_plans(plans)


def versions(store: Store, year: int, unit: str) -> list[StoredPlan]:
    return store.plan_versions(year, unit)


def plan_version(store: Store, files: Catalogue, year: int, unit: str, number: int) -> Plan:
    """An earlier (or the latest) version of a plan, to see it or to evaluate with it again."""
    stored = store.plan_version(year, unit, number)
    if stored is None:
        numbers = [str(version.number) for version in store.plan_versions(year, unit)]
        known = f"現有版本：{'、'.join(numbers)}" if numbers else "資料庫中沒有此計畫"
        raise PlanNotFound(Problem(f"{unit} {year} 年度計畫沒有第 {number} 版（{known}）"))
    return plan_of_version(stored, files)


def save_plan(store: Store, catalogue: Catalogue, plan: Plan, *, author: str, note: str = "",
              origin: str = EDIT_ORIGIN) -> StoredPlan:
    """Store `plan` as the next version of its (year, unit), recording what changed against the version in
    force. The plan is checked as a new file would be: units, fields and the common set as they are today."""
    document = plan_document(plan)
    checked = parse_plan(document, catalogue, origin=f"{plan.unit} {plan.year} 年度計畫", sample=plan.sample)
    current = catalogue.find(plan.year, plan.unit)
    changes = plan_changes(current, checked)
    if current is not None and not changes:
        raise PlanError(f"{checked.label}計畫與目前的版本完全相同，未建立新版本。")
    if not author.strip():
        raise PlanError("請填寫修改人，計畫的每個版本都記錄由誰修改。")
    return store.save_plan_version(checked.year, checked.unit, document, author=author, note=note, origin=origin,
                                   changes=changes, sample=checked.sample)


def import_plan_text(store: Store, catalogue: Catalogue, text: str, *, author: str, note: str = "",
                     origin: str = "") -> StoredPlan:
    """A plan file's text (a file of plans/ or an exported version) as the next version of its (year, unit)."""
    plan = parse_plan(text, catalogue, origin=origin or "上傳的計畫檔")
    return save_plan(store, catalogue, plan, author=author, note=note, origin=origin or "上傳的計畫檔")


def file_differences(stored: Catalogue, files: Catalogue) -> list[str]:
    """Where plans/ and the store disagree: files not yet stored, and stored plans whose file says otherwise."""
    notes = []
    for key, plan in sorted(files.plans.items()):
        if plan.sample:
            continue
        current = stored.find(*key)
        if current is None or current.version is None:
            notes.append(f"{plan.label}：計畫檔 {plan.origin} 尚未存入資料庫")
            continue
        changes = plan_changes(current, plan)
        if changes:
            notes.append(f"{plan.label}：計畫檔 {plan.origin} 與資料庫第 {current.version.number} 版不同"
                         f"（{'；'.join(changes[:3])}{'…' if len(changes) > 3 else ''}）；資料庫的版本為準，"
                         "如要改用計畫檔，請以 python -m metrics plans import 匯入為新版本")
    return notes


# ---- what changed between two versions ----

def _number(value: object, unit: str = "") -> str:
    text = format_number(Fraction(str(value)))
    return f"{text}%" if unit == "%" else f"{text} {unit}".strip()


def plan_changes(old: Plan | None, new: Plan) -> list[str]:
    """Each difference as a sentence with the old and the new value (指標 7 目標值 40.7% → 45%)."""
    if old is None:
        return [f"新增{new.label}計畫（{len(new.indicators)} 項指標）"]
    changes = []
    for name, label in (("title", "計畫名稱"), ("organisation", "機關名稱"), ("source", "依據")):
        before, after = getattr(old, name), getattr(new, name)
        if before != after:
            changes.append(f"{label}「{before}」→「{after}」")
    old_goals = old.goal_by_number
    new_goals = new.goal_by_number
    for number in sorted(set(old_goals) | set(new_goals)):
        before, after = old_goals.get(number), new_goals.get(number)
        if before is None:
            changes.append(f"新增策略目標 {number}「{after.title}」")
        elif after is None:
            changes.append(f"刪除策略目標 {number}「{before.title}」")
        else:
            for name, label in (("title", "名稱"), ("kind", "類別"), ("summary", "說明")):
                if getattr(before, name) != getattr(after, name):
                    changes.append(f"策略目標 {number} {label}「{getattr(before, name)}」→「{getattr(after, name)}」")
    for indicator_id in _ordered_ids(old.indicators, new.indicators):
        before, after = old.indicator_by_id.get(indicator_id), new.indicator_by_id.get(indicator_id)
        if before is None:
            changes.append(f"新增指標 {indicator_id}「{after.short_name}」（目標值 {_number(after.target, after.unit)}，"
                           f"權重 {_number(after.weight, '%')}）")
        elif after is None:
            changes.append(f"刪除指標 {indicator_id}「{before.short_name}」")
        else:
            changes += _indicator_changes(before, after, old, new)
    return changes


def _ordered_ids(*groups: Iterable[Indicator]) -> list[str]:
    return list(dict.fromkeys(indicator.id for group in groups for indicator in group))


def _indicator_changes(before: Indicator, after: Indicator, old: Plan, new: Plan) -> list[str]:
    label = f"指標 {after.id}"
    changes = []
    if before.target != after.target:
        changes.append(f"{label} 目標值 {_number(before.target, before.unit)} → {_number(after.target, after.unit)}")
    if before.weight != after.weight:
        changes.append(f"{label} 權重 {_number(before.weight, '%')} → {_number(after.weight, '%')}")
    texts = (("name", "名稱"), ("short_name", "簡稱"), ("measure", "衡量標準"), ("unit", "單位"), ("formula", "公式"),
             ("gap_rule", "差距規則"), ("help", "說明"), ("goal", "所屬目標"), ("method", "評估方式"))
    for name, text in texts:
        if getattr(before, name) != getattr(after, name):
            changes.append(f"{label} {text}「{getattr(before, name)}」→「{getattr(after, name)}」")
    for name, text in (("numerator", "分子"), ("denominator", "分母"), ("alternative_denominator", "替代分母")):
        if getattr(before, name) != getattr(after, name):
            changes.append(f"{label} {text}「{_terms(getattr(before, name), old)}」→「{_terms(getattr(after, name), new)}」")
    if before.accrues != after.accrues:
        changes.append(f"{label} 逐月累計 {'是' if before.accrues else '否'} → {'是' if after.accrues else '否'}")
    return changes


def _terms(terms: Sequence, plan: Plan) -> str:
    known = {code: field for code, field in plan.field_by_code.items()}
    return terms_label(tuple(terms), known) if all(term.field in known for term in terms) else "、".join(
        term.field for term in terms) or "（無）"
