"""Plans in the store: the catalogue in force, new versions and what they changed (seeding the store from plans/ is
metrics.services.seeding's; the store is reached through PlanVersions, which metrics.store.Store is).

Files under plans/ seed the store: a (year, unit) without any stored version gets its file as version 1.
From then on the store is the truth: the plan in force is the latest stored version, an edit made in
the app (or `plans import`) adds a version, and every earlier version stays readable, so an evaluation
made with it can be made again. `file_differences` says where a file and the store disagree.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import replace
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from typing import Any, Protocol

import pandas as pd

from metrics.plans.catalogue import COMMON_FILE, Catalogue, PlanKey, parse_plan
from metrics.plans.plan_checks import plan_problems
from metrics.plans.toml_writing import plan_document
from metrics.errors import PlanError, PlanNotFound, Problem
from metrics.plans.formulas import Term, format_number, terms_label
from metrics.plans.kinds import KINDS, Direction, Stage
from metrics.plans.plan import Aggregation, Goal, Indicator, Plan, PlanIssue, PlanVersion, StoredPlan, build_plan
EDIT_ORIGIN = "系統內編修"


class PlanVersions(Protocol):
    """Where the versions of the plans are kept: metrics.store.Store (the plans do not import the store)."""

    def plan_versions(self, year: int | None = None, unit: str | None = None, *,
                      latest_only: bool = False) -> list[StoredPlan]: ...

    def plan_version(self, year: int, unit: str, number: int | None = None) -> StoredPlan | None: ...

    def save_plan_version(self, year: int, unit: str, document: str, *, author: str = "", note: str = "",
                          origin: str = "", changes: Sequence[str] = (), sample: bool = False,
                          audit: Any = None) -> StoredPlan: ...


def plan_of_version(stored: StoredPlan, files: Catalogue) -> Plan:
    """A stored version as a Plan, read as it was saved (its own fields and common indicators)."""
    label = f"{stored.unit} {stored.year} 年度計畫第 {stored.number} 版"
    try:
        plan = parse_plan(stored.document, files, origin=label, sample=stored.sample, check_common=False)
    except PlanError as error:
        raise PlanError(f"資料庫中的{label}無法讀取：{error}", issues=error.issues) from None
    version = PlanVersion(stored.number, stored.created_at, stored.author, stored.note, stored.origin)
    return replace(plan, version=version, origin=stored.origin)


def stored_catalogue(store: PlanVersions, files: Catalogue, *, samples: bool = False) -> Catalogue:
    """The catalogue in force: the latest stored version of every (year, unit), and for a (year, unit) the
    store has no version of, its file (as seeding would store it; sample plans only when `samples`)."""
    base = files if samples else files.official()
    plans: dict[PlanKey, Plan] = {}
    for stored in store.plan_versions(latest_only=True):
        plans[(stored.year, stored.unit)] = plan_of_version(stored, files)
    for key, plan in base.plans.items():
        plans.setdefault(key, plan)
    return base.with_plans(plans)


def plan_version(store: PlanVersions, files: Catalogue, year: int, unit: str, number: int) -> Plan:
    """An earlier (or the latest) version of a plan, to see it or to evaluate with it again."""
    stored = store.plan_version(year, unit, number)
    if stored is None:
        numbers = [str(version.number) for version in store.plan_versions(year, unit)]
        known = f"現有版本：{'、'.join(numbers)}" if numbers else "資料庫中沒有此計畫"
        raise PlanNotFound(Problem(f"{unit} {year} 年度計畫沒有第 {number} 版（{known}）"))
    return plan_of_version(stored, files)


def save_plan(store: PlanVersions, catalogue: Catalogue, plan: Plan, *, author: str, note: str = "",
              origin: str = EDIT_ORIGIN, audit: Any = None) -> StoredPlan:
    """Store `plan` as the next version of its (year, unit), recording what changed against the version in
    force. The plan is checked as a new file would be: units, fields and the common set as they are today. A
    field of its own that no plan in force has yet is created with it (the version's document carries it), and
    said among the changes."""
    document = plan_document(plan)
    checked = parse_plan(document, catalogue, origin=f"{plan.unit} {plan.year} 年度計畫", sample=plan.sample)
    current = catalogue.find(plan.year, plan.unit)
    changes = plan_changes(current, checked) + new_field_changes(checked, catalogue)
    if current is not None and not changes:
        raise PlanError(f"{checked.label}計畫與目前的版本完全相同，未建立新版本。")
    if not author.strip():
        raise PlanError("請填寫修改人，計畫的每個版本都記錄由誰修改。")
    return store.save_plan_version(checked.year, checked.unit, document, author=author, note=note, origin=origin,
                                   changes=changes, sample=checked.sample, audit=audit)


def new_field_changes(plan: Plan, catalogue: Catalogue) -> list[str]:
    """The fields of its own a plan brings that no plan in force has yet, each as a change of its version."""
    return [f"新增填報項目 {f.code}「{f.name}」（{f.unit}，{'當月數' if f.aggregation is Aggregation.FLOW else '月底數'}）"
            for f in plan.fields if f.code not in catalogue.field_by_code]


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
    if before.upper_bound != after.upper_bound:
        changes.append(f"{label} 上限 {'無' if before.upper_bound is None else _number(before.upper_bound, before.unit)} → "
                       f"{'無' if after.upper_bound is None else _number(after.upper_bound, after.unit)}")
    if before.accrues != after.accrues:
        changes.append(f"{label} 逐月累計 {'是' if before.accrues else '否'} → {'是' if after.accrues else '否'}")
    if before.direction is not after.direction:
        changes.append(f"{label} 方向 {before.direction.label} → {after.direction.label}")
    if before.stages != after.stages:
        changes.append(f"{label} 階段「{_stages(before)}」→「{_stages(after)}」")
    for name, text in (("scale", "倍數（scale）"), ("places", "小數位數（places）"), ("base_year", "基準年度（base_year）"),
                       ("base_value", "基準值（base_value）")):
        if getattr(before, name) != getattr(after, name):
            shown = ["預設" if value is None else str(value) for value in (getattr(before, name), getattr(after, name))]
            changes.append(f"{label} {text} {shown[0]} → {shown[1]}")
    return changes


def _stages(indicator: Indicator) -> str:
    return "、".join(f"{stage.name} {format_number(Fraction(stage.percent))}%" for stage in indicator.stages) or "（無）"


def _terms(terms: Sequence, plan: Plan) -> str:
    known = {code: field for code, field in plan.field_by_code.items()}
    return terms_label(tuple(terms), known) if all(term.field in known for term in terms) else "、".join(
        term.field for term in terms) or "（無）"


# ---- a plan as the tables the plan editor shows ----

INDICATOR_COLUMNS = ("指標代號", "策略目標", "名稱", "簡稱", "衡量標準", "權重", "目標值", "單位", "公式", "分子", "分母",
                     "逐月累計", "差距規則", "方向", "倍數", "小數位數", "基準年度", "基準值", "階段", "說明", "共同性指標")
# What the direction column shows and accepts (besides at_least / at_most, ≥ / ≤ and 反向指標 as typed).
DIRECTION_CHOICES = {Direction.AT_LEAST: "≥ 越高越好", Direction.AT_MOST: "≤ 反向指標（目標為上限）"}
_DIRECTION_WORDS = {**{text: direction for direction, text in DIRECTION_CHOICES.items()},
                    **{direction.value: direction for direction in Direction},
                    "≥": Direction.AT_LEAST, ">=": Direction.AT_LEAST, "正向指標": Direction.AT_LEAST,
                    "≤": Direction.AT_MOST, "<=": Direction.AT_MOST, "反向指標": Direction.AT_MOST}
# The plan file's key each column edits: an issue of that key is named with the column (the table cell).
KEY_COLUMNS = {"id": "指標代號", "goal": "策略目標", "name": "名稱", "measure": "衡量標準", "weight": "權重",
               "target": "目標值", "unit": "單位", "formula": "公式", "numerator": "分子", "denominator": "分母",
               "accrues": "逐月累計", "gap_rule": "差距規則", "direction": "方向", "scale": "倍數", "places": "小數位數",
               "base_year": "基準年度", "base_value": "基準值", "stage": "階段", "help": "說明"}
STAGE_FORMAT = "名稱：百分比：預定月份；名稱：百分比：預定月份（預定月份可省略）"
GOAL_COLUMNS = ("目標編號", "目標名稱", "類別", "說明", "共同性指標")
COMMON_LOCKED = ("策略目標", "名稱", "單位", "公式", "分子", "分母", "逐月累計", "差距規則")  # a common indicator keeps these
_REQUIRED_MARK = "(必填)"


def terms_text(terms: Sequence[Term]) -> str:
    """'actual_spent(必填) + payables', 'reduced_contract + reduced_temp÷2': a sum as the editor writes it."""
    parts = []
    for term in terms:
        text = term.field
        coefficient = Fraction(term.coefficient)
        if coefficient != 1:
            text += f"÷{coefficient.denominator}" if coefficient.numerator == 1 else f"×{format_number(coefficient)}"
        if term.required:
            text += _REQUIRED_MARK
        parts.append(text)
    return " + ".join(parts)


def parse_terms(text: object) -> tuple[Term, ...]:
    """The reverse of terms_text; ValueError with a sentence when a part cannot be read."""
    if text is None or (isinstance(text, float) and text != text):
        return ()
    terms = []
    for raw in re.split(r"[+＋]", str(text)):
        part = raw.strip().replace("（必填）", _REQUIRED_MARK)
        if not part:
            continue
        required = part.endswith(_REQUIRED_MARK)
        part = part.removesuffix(_REQUIRED_MARK).strip()
        match = re.fullmatch(r"([A-Za-z_][A-Za-z0-9_]*)\s*(?:([÷/×*])\s*(\d+(?:\.\d+)?))?", part)
        if match is None:
            raise ValueError(f"「{raw.strip()}」看不懂；請寫項目代碼，可加「÷2」或「×3」，必要的一項加「(必填)」，多項以「+」相加")
        coefficient = Fraction(1)
        if match.group(2):
            number = Fraction(match.group(3))
            if number == 0:
                raise ValueError(f"「{raw.strip()}」不可除以或乘以 0")
            coefficient = 1 / number if match.group(2) in "÷/" else number
        terms.append(Term(match.group(1), coefficient, required))
    return tuple(terms)


def stages_text(stages: Sequence[Stage]) -> str:
    """'完成規劃：25%：3月；完成招標：50%': a milestone's stages as the editor's 階段 cell writes them."""
    return "；".join(f"{stage.name}：{format_number(Fraction(stage.percent))}%"
                    + (f"：{stage.planned_month}月" if stage.planned_month else "") for stage in stages)


def parse_stages(text: object) -> tuple[Stage, ...]:
    """The reverse of stages_text; ValueError naming the part that cannot be read. Whether the percentages
    increase is the milestone kind's own check (metrics.kinds), as for a plan file."""
    stages = []
    for number, raw in enumerate((part.strip() for part in re.split(r"[；;\n]", _text(text))), start=1):
        if not raw:
            continue
        pieces = [piece.strip() for piece in re.split(r"[：:]", raw)]
        percent = _decimal(pieces[1]) if len(pieces) in (2, 3) else None
        month = pieces[2].removesuffix("月").strip() if len(pieces) == 3 else ""
        if percent is None or not pieces[0] or (month and not month.isdigit()):
            raise ValueError(f"第 {number} 段「{raw}」看不懂；請寫「{STAGE_FORMAT}」，例如「完成規劃：25%：3月；完成招標：50%：6月」")
        stages.append(Stage(pieces[0], percent, int(month) if month else None))
    return tuple(stages)


def indicators_table(plan: Plan) -> pd.DataFrame:
    records = [{
        "指標代號": indicator.id, "策略目標": indicator.goal, "名稱": indicator.name, "簡稱": indicator.short_name,
        "衡量標準": indicator.measure, "權重": float(indicator.weight), "目標值": float(indicator.target),
        "單位": indicator.unit, "公式": indicator.formula, "分子": terms_text(indicator.numerator),
        "分母": terms_text(indicator.denominator), "逐月累計": indicator.accrues, "差距規則": indicator.gap_rule,
        "方向": DIRECTION_CHOICES[indicator.direction], "倍數": indicator.scale,
        "小數位數": indicator.places, "基準年度": indicator.base_year,
        "基準值": None if indicator.base_value is None else float(indicator.base_value),
        "階段": stages_text(indicator.stages), "說明": indicator.help, "共同性指標": indicator.common,
    } for indicator in plan.indicators]
    return pd.DataFrame(records, columns=list(INDICATOR_COLUMNS))


def goals_table(plan: Plan) -> pd.DataFrame:
    records = [{"目標編號": goal.number, "目標名稱": goal.title, "類別": goal.kind, "說明": goal.summary,
                "共同性指標": goal.common} for goal in plan.goals]
    return pd.DataFrame(records, columns=list(GOAL_COLUMNS))


def _blank(value: object) -> bool:
    return value is None or (isinstance(value, float) and value != value) or (isinstance(value, str) and not value.strip())


def _text(value: object) -> str:
    return "" if _blank(value) else str(value).strip()


def _decimal(value: object) -> Decimal | None:
    if _blank(value) or isinstance(value, bool):
        return None
    try:
        number = Decimal(str(value).strip().rstrip("%％"))
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


def plan_from_tables(base: Plan, goals: pd.DataFrame, indicators: pd.DataFrame, catalogue: Catalogue, *,
                     title: str, source: str) -> tuple[Plan | None, list[str]]:
    """The plan the editor's tables describe (what the table does not show is kept from `base`), with every
    problem in words that name the row; (None, problems) when it cannot be built."""
    problems: list[str] = []
    goal_list = []
    for number, row in enumerate(goals.to_dict("records"), start=1):
        if all(_blank(row.get(column)) for column in GOAL_COLUMNS if column != "共同性指標"):
            continue
        goal_number = _decimal(row.get("目標編號"))
        if goal_number is None or goal_number != goal_number.to_integral_value() or goal_number <= 0:
            problems.append(f"策略目標第 {number} 列：目標編號須為正整數（目前是 {_text(row.get('目標編號')) or '空白'}）")
            continue
        if not _text(row.get("目標名稱")):
            problems.append(f"策略目標 {int(goal_number)}：請填目標名稱")
        goal_list.append(Goal(int(goal_number), _text(row.get("目標名稱")), _text(row.get("類別")),
                              bool(row.get("共同性指標")) and int(goal_number) in catalogue.common.goal_numbers,
                              _text(row.get("說明"))))
    indicator_list = []
    rows: dict[str, int] = {}  # indicator id → its row, to name the cell of a plan check's issue
    for number, row in enumerate(indicators.to_dict("records"), start=1):
        if all(_blank(row.get(column)) for column in INDICATOR_COLUMNS if column not in ("逐月累計", "共同性指標")):
            continue
        indicator_id = _text(row.get("指標代號"))
        label = f"指標 {indicator_id}" if indicator_id else f"指標第 {number} 列"
        if not indicator_id:
            problems.append(f"{label}：請填指標代號（例如 5-3）")
            continue
        known = base.indicator_by_id.get(indicator_id) or catalogue.common.indicator_by_id.get(indicator_id)
        goal = _decimal(row.get("策略目標"))
        weight, target = _decimal(row.get("權重")), _decimal(row.get("目標值"))
        # A blank or unreadable number is refused as such, never read as 0 (「目前是 0」 would be a number nobody typed).
        unread = [f"{label}：請填{name}" if _blank(row.get(column)) else
                  f"{label}：{name}「{_text(row.get(column))}」不是數字" for column, name, number in
                  (("權重", "權重（%）", weight), ("目標值", "目標值", target)) if number is None]
        problems += unread
        try:
            numerator, denominator = parse_terms(row.get("分子")), parse_terms(row.get("分母"))
        except ValueError as error:
            problems.append(f"{label}：{error}")
            continue
        if goal is None or goal != goal.to_integral_value():
            problems.append(f"{label}：所屬策略目標須為目標編號（整數）")
            continue
        kind_columns = _kind_columns(row, f"第 {number} 列（{label}）")
        if isinstance(kind_columns, list):
            problems += kind_columns
            continue
        if unread:
            continue
        rows.setdefault(indicator_id, number)
        direction, scale, places, base_year, base_value, stages = kind_columns
        kind = KINDS.get(_text(row.get("公式")))
        default_gap = kind.default_gap_rule(direction) if kind is not None else None
        indicator = Indicator(
            id=indicator_id, goal=int(goal), name=_text(row.get("名稱")),
            short_name=_text(row.get("簡稱")) or _text(row.get("名稱")),
            method=known.method if known else "統計數據", measure=_text(row.get("衡量標準")),
            weight=weight, target=target,
            unit=_text(row.get("單位")), formula=_text(row.get("公式")), numerator=numerator, denominator=denominator,
            alternative_denominator=known.alternative_denominator if known and known.denominator == denominator else (),
            alternative_reason=known.alternative_reason if known and known.denominator == denominator else "",
            accrues=bool(row.get("逐月累計")), gap_rule=_text(row.get("差距規則")) or default_gap or "count",
            gap_template=(known.gap_template if known and known.direction is direction
                          else direction.default_gap_template),
            gap_unit=known.gap_unit if known else "", help=_text(row.get("說明")),
            common=indicator_id in catalogue.common.indicator_by_id, upper_bound=known.upper_bound if known else None,
            direction=direction, scale=scale, places=places, stages=stages, base_year=base_year, base_value=base_value)
        if not indicator.name:
            problems.append(f"{label}：請填名稱")
        if kind is not None and default_gap is None and not _text(row.get("差距規則")):
            problems.append(f"{label}：比率指標請選擇差距規則（人數用 whole_fixed_denominator、金額用 "
                            "amount_fixed_denominator、件數比率用 growing_denominator）")
        indicator_list.append(indicator)
    if problems:
        return None, problems
    in_force = {f.code: f for f in catalogue.fields_in_force}
    fields = tuple(in_force.values()) + tuple(f for f in base.fields if f.code not in in_force)
    draft = replace(base, goals=tuple(goal_list), indicators=tuple(indicator_list), fields=fields, title=title.strip(),
                    source=source.strip(), version=None)
    def cell(issue: PlanIssue) -> str:
        column = KEY_COLUMNS.get(issue.key)
        if issue.indicator not in rows or column is None:
            return ""
        return f"第 {rows[issue.indicator]} 列「{column}」欄："

    problems = plan_problems(draft, catalogue, cell)
    if problems:
        return None, problems
    try:
        plan = build_plan(year=base.year, unit=base.unit, organisation=base.organisation, goals=draft.goals,
                          indicators=draft.indicators, fields=fields, unit_name=base.unit_name, title=draft.title,
                          source=draft.source, sample=base.sample, origin=base.origin, multi_year=base.multi_year)
    except PlanError as error:
        return None, [issue.message for issue in error.issues] or [str(error)]
    return plan, []


_KindColumns = tuple[Direction, int, int | None, int | None, Decimal | None, tuple[Stage, ...]]


def _kind_columns(row: dict, where: str) -> _KindColumns | list[str]:
    """方向, 倍數, 小數位數, 基準年度, 基準值 and 階段 of one row; or each cell that cannot be read, named."""
    problems = []

    def whole(column: str, blank: int | None) -> int | None:
        if _blank(row.get(column)):
            return blank
        number = _decimal(row.get(column))
        if number is None or number != number.to_integral_value():
            problems.append(f"{where}「{column}」欄：「{_text(row.get(column))}」須為整數")
            return blank
        return int(number)

    typed = _text(row.get("方向"))
    direction = _DIRECTION_WORDS.get(typed, Direction.AT_LEAST if not typed else None)
    if direction is None:
        problems.append(f"{where}「方向」欄：「{typed}」不是可用的方向（請選 {' 或 '.join(DIRECTION_CHOICES.values())}）")
    scale, places, base_year = whole("倍數", 1), whole("小數位數", None), whole("基準年度", None)
    base_value = _decimal(row.get("基準值"))
    if base_value is None and not _blank(row.get("基準值")):
        problems.append(f"{where}「基準值」欄：「{_text(row.get('基準值'))}」不是數字")
    try:
        stages = parse_stages(row.get("階段"))
    except ValueError as error:
        problems.append(f"{where}「階段」欄：{error}")
        stages = ()
    if problems:
        return problems
    return direction, scale, places, base_year, base_value, stages


def draft_plan(base: Plan, unit: str, year: int, catalogue: Catalogue) -> tuple[Plan, list[str]]:
    """A new plan of `unit` for `year`, drafted from an earlier plan: the unit's name in that year, the common
    indicators' targets and weights of that year where common.toml has them, and the base's own goals and
    indicators only when the base is the same unit's (another unit's own indicators are not this one's).
    Notes say what was assumed. A sample base or sample common targets make a sample draft."""
    named = catalogue.units.get(unit)
    notes = []
    goals, indicators = base.goals, base.indicators
    if base.unit != unit:
        goals = tuple(goal for goal in goals if goal.common)
        indicators = tuple(indicator for indicator in indicators if indicator.common)
        notes.append(f"以{base.label}計畫的共同性指標為底稿（該單位自訂的指標不帶入）；"
                     f"{named.name_in(year)}自訂的目標與指標請在下表新增。")
    else:
        notes.append(f"以{base.label}計畫為底稿；單位自訂指標的目標值與權重請逐項確認。")
    common_year = catalogue.common.years.get(year)
    if common_year is not None:
        _, common = catalogue.common.for_year(year)
        by_id = {indicator.id: indicator for indicator in common}
        indicators = tuple(replace(indicator, target=by_id[indicator.id].target, weight=by_id[indicator.id].weight)
                           if indicator.common and indicator.id in by_id else indicator for indicator in indicators)
        notes.append(f"共同性指標採 {COMMON_FILE} 所訂 {year} 年度的目標值與權重"
                     + ("（範例，非正式目標值）。" if common_year.sample else "。"))
    elif any(indicator.common for indicator in indicators):
        notes.append(f"{COMMON_FILE} 尚未訂定 {year} 年度共同性指標的目標值與權重，暫以 {base.label}計畫的數值填入，請確認。")
    sample = base.sample or (common_year is not None and common_year.sample)
    draft = replace(base, year=year, unit=named.name, unit_name=named.name_in(year),
                    organisation=named.organisation_in(year), goals=goals, indicators=indicators,
                    title=f"{named.organisation_in(year)} {year} 年度施政計畫" + ("（範例）" if sample else ""),
                    source="", origin="", version=None, sample=sample)
    return draft, notes
