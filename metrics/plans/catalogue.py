"""The plan catalogue: every unit's plan for every year, read from TOML files and checked when loaded.

    plans/fields.toml        the monthly fields every plan draws on (code, name, unit, flow/stock, …)
    plans/units.toml         the county's units: canonical names, the names files use, renames by year
    plans/common.toml        the common indicator set (goals 6–10), with targets and weights per year,
                             and the multi-year scoring of goal 6
    plans/<year>/<unit>.toml one unit's plan for one year: its own goals and indicators, and
                             include_common = true for the common set; it may declare [[field]] tables of
                             its own (a unit's new fields, checked like fields.toml's)

    catalogue = load_catalogue()                      # plans/ only: what a deployment uses
    catalogue = load_catalogue(samples=SAMPLE_PLANS)  # plus the made-up 範例 plans of the sample mode
    plan = catalogue.plan(112, "政風處")               # PlanNotFound names the plans that exist

Every mistake is reported with the file, the key and the line (PlanError lists all of them at once).
A stored plan version is the same TOML, self-contained (`plan_document`): it carries its fields and the
common indicators with that year's targets, so an old version evaluates the same whatever the files say
later. Reading one back is `parse_plan`; writing one is metrics.plans.toml_writing.plan_document.

Beside it: toml_reading (TOML read with the line of every key, for messages), toml_writing (a plan back to TOML)
and plan_checks (a plan made in the app checked against the catalogue of today).
"""

from __future__ import annotations

import difflib
import os
import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal
from functools import cached_property
from pathlib import Path

from metrics.errors import PlanError, PlanNotFound, Problem
from metrics.plans.formulas import GAP_RULES, MULTI_YEAR_RULES
from metrics.plans.kinds import KINDS, Direction, Stage
from metrics.plans.plan import (Aggregation, Goal, Indicator, MonthlyField, MultiYearScoring, Plan, Quantity, build_plan,
                          plan_issues)
from metrics.plans.toml_reading import (FIELDS_FILE, REPOSITORY_ROOT, Document, Entry, entries, issue_label,
                                       read_document, shown_path)

PLANS_DIRECTORY = REPOSITORY_ROOT / "plans"
SAMPLE_PLANS_DIRECTORY = REPOSITORY_ROOT / "sample_data" / "plans"
UNITS_FILE = "units.toml"
COMMON_FILE = "common.toml"
ROLES_FILE = "roles.toml"  # the roles of the accounts (metrics.plans.roles), kept with the catalogue
CYCLE_FILE = "cycle.toml"  # the performance cycle (metrics.plans.cycle): checkpoints, deadlines, lights, steps
DEFAULT_METHOD = "統計數據"
SAMPLE_LABEL = "範例"

PlanKey = tuple[int, str]  # (ROC year, the unit's canonical name)


def plans_directory() -> Path:
    """The catalogue a deployment uses: env KPI_PLANS_DIR, else the project's plans/."""
    configured = os.environ.get("KPI_PLANS_DIR")
    return Path(configured) if configured else PLANS_DIRECTORY


def sample_plans_for(directory: Path) -> Path | None:
    """The sample plans (sample_data/plans/) to load on top of a catalogue: only on the one they were written for,
    whose fields and common set they build on — the project's plans/, or the copy of it env KPI_SAMPLE_PLANS_BASE
    names (the tests' frozen tests/golden_plans/)."""
    configured = os.environ.get("KPI_SAMPLE_PLANS_BASE")
    base = Path(configured) if configured else PLANS_DIRECTORY
    return SAMPLE_PLANS_DIRECTORY if Path(directory).resolve() == base.resolve() else None


# ---- units ------------------------------------------------------------------------------------------

def unit_key(text: object) -> str:
    """How unit names are compared: full-width folded, spaces ignored."""
    return "".join(unicodedata.normalize("NFKC", str(text)).split())


@dataclass(frozen=True)
class FormerName:
    name: str
    until: int  # the last year the unit carried this name
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class Unit:
    name: str  # canonical: the key of its figures, plans and notes in the store
    county: str = ""
    aliases: tuple[str, ...] = ()
    former: tuple[FormerName, ...] = ()  # earlier names, oldest first
    since: int | None = None  # the first year the unit exists

    def name_in(self, year: int) -> str:
        """The unit's name in that year (交通旅遊處 until 114, 交通處 from 115)."""
        for former in sorted(self.former, key=lambda item: item.until):
            if year <= former.until:
                return former.name
        return self.name

    def organisation_in(self, year: int) -> str:
        return f"{self.county}{self.name_in(year)}"

    @property
    def names(self) -> tuple[str, ...]:
        """Every name files may use for the unit: its names, former names, with and without the county."""
        names = [self.name, *self.aliases]
        for former in self.former:
            names += [former.name, *former.aliases]
        with_county = [f"{self.county}{name}" for name in names if self.county]
        return tuple(dict.fromkeys([*names, *with_county]))


@dataclass(frozen=True)
class Units:
    units: tuple[Unit, ...]

    @cached_property
    def by_key(self) -> dict[str, Unit]:
        return {unit_key(name): unit for unit in self.units for name in unit.names}

    @cached_property
    def by_name(self) -> dict[str, Unit]:
        return {unit.name: unit for unit in self.units}

    def resolve(self, text: object) -> Unit | None:
        """The unit a name in a file stands for (aliases and former names included), or None."""
        return self.by_key.get(unit_key(text)) if text is not None else None

    def get(self, name: str) -> Unit:
        return self.by_name[name]

    def nearest(self, text: object, limit: int = 10) -> list[str]:
        """Canonical names of the units closest to `text`, at most `limit`."""
        key = unit_key(text)
        candidates = {unit_key(name): unit.name for unit in self.units for name in unit.names}
        matches = difflib.get_close_matches(key, list(candidates), n=limit * 3, cutoff=0.3)
        found = list(dict.fromkeys(candidates[match] for match in matches))
        found += [name for candidate, name in candidates.items() if key and (key in candidate or candidate in key)]
        return list(dict.fromkeys(found))[:limit]


# ---- the common indicator set -----------------------------------------------------------------------

@dataclass(frozen=True)
class CommonYear:
    year: int
    targets: Mapping[str, Decimal]
    weights: Mapping[str, Decimal]
    source: str = ""
    sample: bool = False


@dataclass(frozen=True)
class CommonSet:
    goals: tuple[Goal, ...] = ()
    indicators: tuple[Indicator, ...] = ()  # target and weight 0: they come from `years`
    years: Mapping[int, CommonYear] = field(default_factory=dict)
    multi_year: MultiYearScoring | None = None

    @cached_property
    def indicator_by_id(self) -> dict[str, Indicator]:
        return {indicator.id: indicator for indicator in self.indicators}

    @property
    def goal_numbers(self) -> set[int]:
        return {goal.number for goal in self.goals}

    def for_year(self, year: int) -> tuple[tuple[Goal, ...], tuple[Indicator, ...]]:
        targets = self.years[year]
        indicators = tuple(replace(indicator, target=targets.targets[indicator.id],
                                   weight=targets.weights[indicator.id]) for indicator in self.indicators)
        return self.goals, indicators

    def differences(self, indicator: Indicator) -> list[str]:
        """How a plan's copy of a common indicator departs from its one declaration (targets and weights
        may differ; formulas, fields and names may not)."""
        common = self.indicator_by_id.get(indicator.id)
        if common is None:
            return []
        compared = ("goal", "name", "formula", "numerator", "denominator", "alternative_denominator", "unit",
                    "gap_rule", "accrues", "upper_bound", "direction", "scale", "places")
        labels = {"goal": "所屬目標", "name": "名稱", "formula": "公式", "numerator": "分子", "denominator": "分母",
                  "alternative_denominator": "替代分母", "unit": "單位", "gap_rule": "差距規則", "accrues": "逐月累計",
                  "upper_bound": "上限", "direction": "方向", "scale": "倍數", "places": "小數位數"}
        return [labels[name] for name in compared if getattr(indicator, name) != getattr(common, name)]


# ---- the catalogue ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Catalogue:
    """Every plan there is, by (year, unit), with the fields, units and common set they are built from.

    `fields` are fields.toml's, shared by every unit; a plan may also declare fields of its own (a unit's new
    fields, read from its 施政計畫). The fields in force are both: what a month's report is read with."""

    fields: tuple[MonthlyField, ...]
    units: Units
    common: CommonSet
    plans: Mapping[PlanKey, Plan]

    @cached_property
    def local_fields(self) -> tuple[MonthlyField, ...]:
        """The fields the plans declare beyond fields.toml (the first plan's declaration of a code, by key)."""
        shared = {monthly_field.code for monthly_field in self.fields}
        found: dict[str, MonthlyField] = {}
        for key in sorted(self.plans):
            for monthly_field in self.plans[key].fields:
                if monthly_field.code not in shared:
                    found.setdefault(monthly_field.code, monthly_field)
        return tuple(found.values())

    @cached_property
    def fields_in_force(self) -> tuple[MonthlyField, ...]:
        """fields.toml's fields, then the plans' own: every field a month's report may carry."""
        return self.fields + self.local_fields

    @cached_property
    def field_by_code(self) -> dict[str, MonthlyField]:
        return {monthly_field.code: monthly_field for monthly_field in self.fields_in_force}

    def field_owner(self, code: str) -> str:
        """Where a field is declared: fields.toml, or the first plan that declares it as its own."""
        if any(monthly_field.code == code for monthly_field in self.fields):
            return FIELDS_FILE
        owner = next((self.plans[key] for key in sorted(self.plans) if code in self.plans[key].field_by_code), None)
        return f"{owner.label}計畫" if owner is not None else ""

    def find(self, year: int, unit: str) -> Plan | None:
        return self.plans.get((int(year), unit))

    def plan(self, year: int, unit: str) -> Plan:
        """The plan of a (year, unit); PlanNotFound names the plans that exist."""
        found = self.find(year, unit)
        if found is None:
            raise PlanNotFound(Problem(f"沒有 {unit} {year} 年度的計畫，不能計算或儲存該單位該年度的數字。"
                                       f"{self.available_text()}"))
        return found

    def keys(self) -> list[PlanKey]:
        return sorted(self.plans)

    def years(self) -> list[int]:
        return sorted({year for year, _ in self.plans})

    def units_in(self, year: int) -> list[str]:
        """Units with a plan in that year, in the order of units.toml."""
        order = {unit.name: index for index, unit in enumerate(self.units.units)}
        return sorted((unit for plan_year, unit in self.plans if plan_year == year),
                      key=lambda name: (order.get(name, len(order)), name))

    def available_text(self) -> str:
        """'現有計畫：112 年度 政風處、人事處；113 年度 政風處' (or that there is none)."""
        if not self.plans:
            return "目前沒有任何計畫；請在 plans/ 新增計畫檔，或於「計畫管理」頁新增。"
        parts = [f"{year} 年度 " + "、".join(self.plans[(year, unit)].unit_name +
                                              (f"（{SAMPLE_LABEL}）" if self.plans[(year, unit)].sample else "")
                                              for unit in self.units_in(year))
                 for year in self.years()]
        return "現有計畫：" + "；".join(parts) + "。"

    def official(self) -> Catalogue:
        """Without the sample plans and the sample years of the common set: what a deployment may draw on."""
        common = replace(self.common, years={year: values for year, values in self.common.years.items()
                                             if not values.sample})
        return replace(self, common=common, plans={key: plan for key, plan in self.plans.items() if not plan.sample})

    def with_plans(self, plans: Mapping[PlanKey, Plan]) -> Catalogue:
        """The same fields, units and common set with other plans (those of the store, or with samples added)."""
        return replace(self, plans=dict(plans))


# ---- fields, units, common set ----------------------------------------------------------------------

FIELD_KEYS = ("code", "name", "unit", "aggregation", "quantity", "help", "aliases")


def field_code_problem(code: str) -> str | None:
    """What is wrong with a field's code (None when it is a valid one)."""
    if not re.fullmatch(r"[a-z][a-z0-9_]*", code):
        return f"項目代碼「{code}」只能用小寫英文字母、數字與底線，且以字母開頭"
    return None


def _parse_fields(document: Document) -> tuple[MonthlyField, ...]:
    fields = []
    for index, data in enumerate(entries(document, "field")):
        entry = Entry(document, "field", index, data, f"第 {index + 1} 個 field「{data.get('code', '')}」", FIELD_KEYS)
        code, name, unit, help_text = (entry.text(key) for key in ("code", "name", "unit", "help"))
        aggregation = _choice(entry, "aggregation", Aggregation)
        quantity = _choice(entry, "quantity", Quantity)
        if code and (problem := field_code_problem(code)):
            entry.problem(problem, "code")
        if not entry.failed:
            fields.append(MonthlyField(code, name, unit, aggregation, quantity, help_text, _strings(entry, "aliases")))
    codes = [f.code for f in fields]
    for code in sorted({code for code in codes if codes.count(code) > 1}):
        document.problem(f"項目代碼 {code} 重複宣告", table="field", index=_last_index(codes, code), key="code")
    names = [f.name for f in fields]
    for name in sorted({name for name in names if names.count(name) > 1}):
        document.problem(f"項目名稱 {name} 重複宣告", table="field", index=_last_index(names, name), key="name")
    if not fields and document.parsed:
        document.problem("沒有任何 [[field]]；每個填報項目一個 [[field]] 表格")
    return tuple(fields)


def _last_index(values: list, value: object) -> int:
    return len(values) - 1 - values[::-1].index(value)


def _choice(entry: Entry, key: str, kind: type[Aggregation] | type[Quantity]):
    text = entry.text(key)
    for member in kind:
        if member.value == text:
            return member
    if text:
        entry.problem(f"應為 {'、'.join(member.value for member in kind)} 之一，卻是「{text}」", key)
    return next(iter(kind))


def _parse_units(document: Document) -> Units:
    county = document.data.get("county", "")
    if not isinstance(county, str):
        document.problem("county 應為文字", key="county")
        county = ""
    units = []
    for index, data in enumerate(entries(document, "unit")):
        entry = Entry(document, "unit", index, data, f"第 {index + 1} 個 unit「{data.get('name', '')}」",
                       ("name", "aliases", "since", "former"))
        name = entry.text("name")
        aliases = _strings(entry, "aliases")
        since = entry.integer("since", 0) or None
        former = []
        raw_former = data.get("former", [])
        if not isinstance(raw_former, list):
            entry.problem("former 應寫成 [[unit.former]] 表格", "former")
            raw_former = []
        for item in raw_former:
            former_entry = Entry(document, "unit.former", None, item if isinstance(item, dict) else {},
                                  f"unit「{name}」的舊名「{item.get('name', '') if isinstance(item, dict) else item}」",
                                  ("name", "until", "aliases"))
            former_name = former_entry.text("name")
            until = former_entry.integer("until")
            if former_name and until is not None and not former_entry.failed:
                former.append(FormerName(former_name, until, _strings(former_entry, "aliases")))
            entry.failed = entry.failed or former_entry.failed
        if name and not entry.failed:
            units.append(Unit(name, county.strip(), aliases, tuple(sorted(former, key=lambda item: item.until)),
                              since))
    registry = Units(tuple(units))
    claimed: dict[str, str] = {}
    for unit in registry.units:
        for name in unit.names:
            owner = claimed.setdefault(unit_key(name), unit.name)
            if owner != unit.name:
                index = [item.name for item in registry.units].index(unit.name)
                document.problem(f"名稱「{name}」同時屬於單位「{owner}」與「{unit.name}」；"
                                 "一個名稱只能代表一個單位，請刪除其中一個", table="unit", index=index, key="aliases")
    return registry


def _strings(entry: Entry, key: str) -> tuple[str, ...]:
    raw = entry.data.get(key, [])
    if not isinstance(raw, list) or not all(isinstance(item, str) for item in raw):
        entry.problem('應為文字的清單，例如 ["交旅處"]', key)
        return ()
    return tuple(item.strip() for item in raw if item.strip())


GOAL_KEYS = ("number", "title", "kind", "summary", "common")
INDICATOR_KEYS = ("id", "goal", "name", "short_name", "method", "measure", "weight", "target", "unit", "formula",
                  "numerator", "denominator", "alternative_denominator", "alternative_reason", "accrues",
                  "gap_rule", "gap_template", "gap_unit", "help", "common", "upper_bound", "direction", "scale",
                  "places", "field", "stage", "base_year", "base_value")
STAGE_KEYS = ("name", "percent", "planned_month")


def _parse_goals(document: Document, common: bool) -> list[tuple[int, Goal]]:
    goals = []
    for index, data in enumerate(entries(document, "goal")):
        entry = Entry(document, "goal", index, data, f"第 {index + 1} 個 goal（目標 {data.get('number', '?')}）",
                       GOAL_KEYS)
        number = entry.integer("number")
        title = entry.text("title")
        kind = entry.text("kind", "")
        summary = entry.text("summary", "")
        is_common = entry.flag("common", common)
        if number is not None and number <= 0:
            entry.problem("策略目標編號須為正整數", "number")
        if not entry.failed:
            goals.append((index, Goal(number, title, kind, is_common, summary)))
    return goals


def _parse_indicators(document: Document, codes: set[str] | None, *, common: bool,
                      with_values: bool) -> list[tuple[int, Indicator]]:
    """[[indicator]] tables; `with_values` False for the common set, whose targets and weights are per year."""
    indicators = []
    stage_count = 0  # [[indicator.stage]] tables are counted through the file, to point at their lines
    for index, data in enumerate(entries(document, "indicator")):
        raw_id = data.get("id", "?")
        entry = Entry(document, "indicator", index, data, f"第 {index + 1} 個 indicator（指標 {raw_id}）",
                       INDICATOR_KEYS)
        indicator_id = str(raw_id).strip() if isinstance(raw_id, (str, int)) and not isinstance(raw_id, bool) else ""
        if not indicator_id or indicator_id == "?":
            entry.problem("缺少指標代號（例如 id = \"5-1\"）", "id")
        goal = entry.integer("goal")
        name = entry.text("name")
        formula = entry.text("formula")
        kind = KINDS.get(formula)
        if formula and kind is None:
            entry.problem(f"公式「{formula}」不存在（可用：{'、'.join(sorted(KINDS))}）", "formula")
        direction = _direction(entry)
        default_gap = kind.default_gap_rule(direction) if kind is not None else "count"  # percent must say its own
        gap_rule = entry.text("gap_rule", default_gap)
        if gap_rule and gap_rule not in GAP_RULES:
            entry.problem(f"差距規則「{gap_rule}」不存在（可用：{'、'.join(sorted(GAP_RULES))}）", "gap_rule")
        weight = entry.number("weight") if with_values else Decimal(0)
        if not with_values:
            target = Decimal(0)
        elif kind is not None and kind.signed_target:  # 較基準年減少 10 %: target −10
            target = entry.signed_number("target")
        else:
            target = entry.number("target")
        if not with_values:
            for key in ("weight", "target"):
                if key in data:
                    entry.problem(f"共同性指標的 {key} 依年度寫在 [years.年度.{key}s]，不寫在指標內", key)
        indicator = Indicator(
            id=indicator_id, goal=goal or 0, name=name, short_name=entry.text("short_name", name),
            method=entry.text("method", DEFAULT_METHOD), measure=entry.text("measure"), weight=weight or Decimal(0),
            target=target or Decimal(0), unit=entry.text("unit"), formula=formula,
            numerator=entry.terms("field" if "field" in data else "numerator", codes),
            denominator=entry.terms("denominator", codes),
            alternative_denominator=entry.terms("alternative_denominator", codes),
            alternative_reason=entry.text("alternative_reason", ""),
            accrues=entry.flag("accrues", kind.accrues if kind is not None else False),
            gap_rule=gap_rule, gap_template=entry.text("gap_template", direction.default_gap_template),
            gap_unit=entry.text("gap_unit", ""), help=entry.text("help"), common=entry.flag("common", common),
            upper_bound=entry.number("upper_bound") if "upper_bound" in data else None,
            direction=direction, scale=entry.integer("scale", 1) or 1,
            places=entry.integer("places") if "places" in data else None,
            stages=_stages(document, entry, stage_count, indicator_id),
            base_year=entry.integer("base_year") if "base_year" in data else None,
            base_value=entry.signed_number("base_value") if "base_value" in data else None,
        )
        stage_count += len(data.get("stage", [])) if isinstance(data.get("stage"), list) else 0
        if "field" in data and "numerator" in data:
            entry.problem("field 與 numerator 只能擇一（field 是 milestone、latest 所讀的一個項目）", "field")
        if not indicator.numerator and ("numerator" in data or "field" in data):
            entry.failed = True
        elif "numerator" not in data and "field" not in data:
            entry.problem('缺少分子項目，例如 numerator = ["warning_cases"]', "numerator")
        if not entry.failed:
            indicators.append((index, indicator))
    return indicators


def _stages(document: Document, entry: Entry, first: int, indicator_id: str) -> tuple[Stage, ...]:
    """[[indicator.stage]] tables of one indicator (a milestone's stages); each mistake points at its line."""
    raw = entry.data.get("stage", [])
    if not isinstance(raw, list) or not all(isinstance(item, dict) for item in raw):
        entry.problem('應寫成 [[indicator.stage]] 表格，每個有 name、percent（與選填的 planned_month）', "stage")
        return ()
    stages = []
    for number, data in enumerate(raw, start=1):
        stage = Entry(document, "indicator.stage", first + number - 1, data,
                       f"指標 {indicator_id} 的第 {number} 個階段（stage）", STAGE_KEYS)
        name, percent = stage.text("name"), stage.number("percent")
        month = stage.integer("planned_month") if "planned_month" in data else None
        entry.failed = entry.failed or stage.failed
        if not stage.failed:
            stages.append(Stage(name, percent, month))
    return tuple(stages)


def _direction(entry: Entry) -> Direction:
    text = entry.text("direction", Direction.AT_LEAST.value)
    try:
        return Direction(text)
    except ValueError:
        entry.problem(f"方向「{text}」不存在（可用：{'、'.join(d.value for d in Direction)}；"
                      "at_most 表示目標為上限的反向指標）", "direction")
        return Direction.AT_LEAST


def _parse_multi_year(document: Document, table: str = "multi_year") -> MultiYearScoring | None:
    data = document.data.get(table)
    if data is None:
        return None
    if not isinstance(data, dict):
        document.problem(f"{table} 應寫成 [{table}] 表格", key=table)
        return None
    entry = Entry(document, table, None, data, table,
                   ("indicator", "rule", "years", "full_points", "not_met_points", "source", "points"))
    rule = entry.text("rule")
    if rule and rule not in MULTI_YEAR_RULES:
        entry.problem(f"計分規則「{rule}」不存在（可用：{'、'.join(sorted(MULTI_YEAR_RULES))}）", "rule")
    years = data.get("years")
    if not isinstance(years, list) or not years or not all(isinstance(year, int) and not isinstance(year, bool)
                                                           for year in years):
        entry.problem("years 應為年度的清單，例如 [112, 113, 114, 115]", "years")
        years = []
    points_raw = data.get("points", {})
    points: list[tuple[int, Decimal]] = []
    if not isinstance(points_raw, dict):
        entry.problem('points 應寫成 [multi_year.points] 表格，例如 "112" = 5', "points")
        points_raw = {}
    for year_text, value in points_raw.items():
        if not str(year_text).isdigit():
            document.problem(f"「{year_text}」不是年度", table=f"{table}.points", key=str(year_text))
            continue
        number = value if isinstance(value, (int, Decimal)) and not isinstance(value, bool) else None
        if number is None or Decimal(number) < 0:
            document.problem(f"分數應為 0 以上的數字，卻是 {value!r}", table=f"{table}.points", key=str(year_text))
            entry.failed = True
            continue
        points.append((int(year_text), Decimal(number)))
    for year in years:
        if year not in dict(points):
            entry.problem(f"缺少 {year} 年首次達標的分數（[{table}.points] \"{year}\" = 分數）", "points")
    full = entry.number("full_points")
    not_met = data.get("not_met_points", 0)
    if isinstance(not_met, bool) or not isinstance(not_met, (int, Decimal)) or Decimal(not_met) < 0:
        entry.problem("not_met_points 應為 0 以上的數字", "not_met_points")
        not_met = 0
    indicator = entry.text("indicator")
    if entry.failed:
        return None
    return MultiYearScoring(indicator, rule, tuple(years), full, tuple(sorted(points)), Decimal(not_met),
                            entry.text("source", ""))


def _parse_common(document: Document, codes: set[str], *, sample: bool,
                  definitions: bool = True) -> CommonSet:
    """common.toml. A samples folder's common.toml may only add years (`definitions` False)."""
    allowed = {"goal", "indicator", "years", "multi_year"} if definitions else {"years"}
    for key in document.data:
        if key not in allowed:
            hint = "（範例資料夾的 common.toml 只能新增 [years.年度]）" if not definitions else ""
            document.problem(f"未知的設定「{key}」{hint}", key=key)
    goals = [goal for _, goal in _parse_goals(document, True)] if definitions else []
    indicators = [indicator for _, indicator in _parse_indicators(document, codes, common=True, with_values=False)] \
        if definitions else []
    multi_year = _parse_multi_year(document) if definitions else None
    numbers = {goal.number for goal in goals}
    for index, indicator in enumerate(indicators):
        if indicator.goal not in numbers:
            document.problem(f"指標 {indicator.id} 所屬策略目標 {indicator.goal} 不在共同性目標中",
                             table="indicator", index=index, key="goal")
    ids = [indicator.id for indicator in indicators]
    years = _parse_common_years(document, ids if definitions else None, sample)
    return CommonSet(tuple(goals), tuple(indicators), years, multi_year)


def _parse_common_years(document: Document, ids: list[str] | None, sample: bool) -> dict[int, CommonYear]:
    raw = document.data.get("years", {})
    if not isinstance(raw, dict):
        document.problem("years 應寫成 [years.年度] 表格", key="years")
        return {}
    years = {}
    for year_text, data in raw.items():
        table = f"years.{year_text}"
        if not str(year_text).isdigit() or not isinstance(data, dict):
            document.problem(f"「{year_text}」不是年度；應寫成 [years.113]", table=table)
            continue
        entry = Entry(document, table, None, data, table, ("targets", "weights", "source", "sample"))
        values = {}
        for kind in ("targets", "weights"):
            raw_values = data.get(kind, {})
            if not isinstance(raw_values, dict):
                entry.problem(f"應寫成 [{table}.{kind}] 表格", kind)
                continue
            numbers = {}
            for indicator_id, value in raw_values.items():
                inner = Entry(document, f"{table}.{kind}", None, {}, f"{table}.{kind}", ())
                number = inner.checked_number(value, str(indicator_id))
                entry.failed = entry.failed or inner.failed
                if ids is not None and indicator_id not in ids:
                    document.problem(f"指標 {indicator_id} 不是共同性指標（共同性指標：{'、'.join(ids)}）",
                                     table=f"{table}.{kind}", key=str(indicator_id))
                    entry.failed = True
                elif number is not None:
                    numbers[str(indicator_id)] = number
            for indicator_id in ids or ():
                if indicator_id not in raw_values:
                    label = "目標值" if kind == "targets" else "權重"
                    entry.problem(f"缺少指標 {indicator_id} 的{label}", kind)
            values[kind] = numbers
        if not entry.failed:
            years[int(year_text)] = CommonYear(int(year_text), values.get("targets", {}), values.get("weights", {}),
                                               entry.text("source", ""), sample or entry.flag("sample", False))
    return years


# ---- one unit's plan --------------------------------------------------------------------------------

PLAN_KEYS = ("year", "unit", "organisation", "title", "source", "sample", "include_common", "goal", "indicator",
             "field", "multi_year")


@dataclass(frozen=True)
class _Parts:
    """What a plan document is checked against: the catalogue's fields, units and common set."""

    fields: tuple[MonthlyField, ...]
    units: Units
    common: CommonSet
    local: tuple[MonthlyField, ...] = ()  # the fields other plans in force declare as their own


def _parse_plan(document: Document, parts: _Parts, *, sample: bool, origin: str,
                expected: PlanKey | None = None, file_unit: str | None = None,
                check_common: bool = True) -> Plan | None:
    """One plan document into a Plan, or None with its problems added to the document's list."""
    top = Entry(document, None, None, document.data, "", PLAN_KEYS)
    year = top.integer("year")
    unit_text = top.text("unit")
    unit = parts.units.resolve(unit_text) if unit_text else None
    if unit_text and unit is None:
        nearest = parts.units.nearest(unit_text)
        hint = f"；相近的單位：{'、'.join(nearest)}" if nearest else ""
        top.problem(f"單位「{unit_text}」不在 {UNITS_FILE} 中{hint}", "unit")
    if year is not None and expected is not None and year != expected[0]:
        top.problem(f"year = {year}，但檔案放在 {expected[0]} 年度的資料夾；請修正年度或移動檔案", "year")
    if unit is not None and file_unit is not None and parts.units.resolve(file_unit) is not unit:
        top.problem(f"unit = \"{unit_text}\"，但檔名是「{file_unit}」；檔名須為該單位的名稱（複製檔案後請一併修改 unit）",
                    "unit")
    if unit is not None and year is not None and unit.since and year < unit.since:
        top.problem(f"{unit.name}自 {unit.since} 年度起才設立，不能有 {year} 年度的計畫", "year")
    include_common = top.flag("include_common", True)
    is_sample = sample or top.flag("sample", False)

    inline_fields = _parse_fields(document) if "field" in document.data else ()
    fields = parts.fields
    if inline_fields:
        if check_common:  # a stored old version keeps the fields it was saved with
            _check_own_fields(document, inline_fields, parts)
        fields = tuple({**{f.code: f for f in parts.fields}, **{f.code: f for f in inline_fields}}.values())
    codes = {f.code for f in fields}
    goal_entries = _parse_goals(document, False)
    indicator_entries = _parse_indicators(document, codes, common=False, with_values=True)
    # A common indicator's natural limit is part of its one declaration: a copy saved before upper_bound
    # existed (an older stored version or export) takes it from common.toml rather than going uncapped.
    indicator_entries = [(index, replace(indicator, upper_bound=parts.common.indicator_by_id[indicator.id].upper_bound))
                         if indicator.common and indicator.upper_bound is None
                         and indicator.id in parts.common.indicator_by_id else (index, indicator)
                         for index, indicator in indicator_entries]
    goals = [goal for _, goal in goal_entries]
    indicators = [indicator for _, indicator in indicator_entries]
    multi_year = _parse_multi_year(document) if "multi_year" in document.data else None

    if check_common:
        common_numbers = parts.common.goal_numbers
        for index, goal in goal_entries:
            if goal.number in common_numbers and (include_common or not goal.common):
                document.problem(f"策略目標 {goal.number} 是共同性目標（{COMMON_FILE}），單位計畫不可重新宣告；"
                                 "單位自訂目標請用其他編號", table="goal", index=index, key="number")
        for index, indicator in indicator_entries:
            if indicator.id not in parts.common.indicator_by_id:
                if indicator.common:
                    document.problem(f"指標 {indicator.id} 標示為共同性指標，但 {COMMON_FILE} 沒有此指標",
                                     table="indicator", index=index, key="common")
                continue
            differences = parts.common.differences(indicator)
            if include_common or not indicator.common:
                detail = f"（此處的{'、'.join(differences)}與共同性指標不同）" if differences else ""
                document.problem(f"指標 {indicator.id} 是共同性指標，已在 {COMMON_FILE} 宣告，單位計畫不可重新宣告{detail}",
                                 table="indicator", index=index, key="formula" if "公式" in differences else "id")
            elif differences:
                document.problem(f"共同性指標 {indicator.id} 不可改變{'、'.join(differences)}（只有目標值與權重可依年度調整）",
                                 table="indicator", index=index, key="formula" if "公式" in differences else "id")
    if include_common and year is not None:
        if year not in parts.common.years:
            top.problem(f"{COMMON_FILE} 沒有 {year} 年度的共同性指標目標值與權重（[years.{year}]）；"
                        "請先在 common.toml 新增該年度，或設 include_common = false", "include_common")
        else:
            common_goals, common_indicators = parts.common.for_year(year)
            goals += list(common_goals)
            indicators += list(common_indicators)
            if parts.common.multi_year is not None and multi_year is None:
                multi_year = parts.common.multi_year
            is_sample = is_sample or parts.common.years[year].sample
    if document.failed or top.failed or unit is None or year is None:
        return None
    issues = plan_issues(tuple(goals), tuple(indicators), fields, multi_year, year)
    for issue in issues:
        own = [index for index, indicator in indicator_entries if indicator.id == issue.indicator]
        goal_own = [index for index, goal in goal_entries if goal.number == issue.goal]
        if own:
            document.problem(issue.message, table="indicator", index=own[-1], key=issue.key or None,
                             label=issue_label(f"指標 {issue.indicator}", issue.key))
        elif goal_own:
            document.problem(issue.message, table="goal", index=goal_own[-1], key=issue.key or None,
                             label=issue_label(f"策略目標 {issue.goal}", issue.key))
        else:
            document.problem(issue.message)
    if issues:
        return None
    if not indicators:
        top.problem("計畫沒有任何指標（自訂 [[indicator]]，或 include_common = true 納入共同性指標）")
        return None
    return build_plan(
        year=year, unit=unit.name, organisation=top.text("organisation", unit.organisation_in(year)),
        goals=tuple(goals), indicators=tuple(indicators), fields=fields, unit_name=unit.name_in(year),
        title=top.text("title", f"{unit.organisation_in(year)} {year} 年度施政計畫"), source=top.text("source", ""),
        sample=is_sample, origin=origin, multi_year=multi_year,
    )


def _check_own_fields(document: Document, inline: tuple[MonthlyField, ...], parts: _Parts) -> None:
    """A plan's [[field]] tables, each checked by own_field_problem against the fields in force."""
    for index, monthly_field in enumerate(inline):
        found = own_field_problem(monthly_field, parts.fields, parts.local)
        if found is not None:
            document.problem(found[0], table="field", index=index, key=found[1])


def own_field_problem(monthly_field: MonthlyField, shared_fields: Sequence[MonthlyField],
                      local_fields: Sequence[MonthlyField]) -> tuple[str, str | None] | None:
    """What is wrong with a plan's own [[field]] (the message and the key it is about), or None: one of
    fields.toml's is repeated exactly; a field of its own keeps the definition another plan in force gave its code
    (figures are stored by code) and has a name no other field in force has (a month's report is read by name too)."""
    shared = {f.code: f for f in shared_fields}
    local = {f.code: f for f in local_fields if f.code not in shared}
    names = {f.name: f.code for f in (*shared_fields, *local.values())}
    if monthly_field.code in shared:
        if shared[monthly_field.code] != monthly_field:
            return (f"項目 {monthly_field.code} 與 {FIELDS_FILE} 的宣告不同；計畫檔不可改變 {FIELDS_FILE} "
                    "的項目定義（本計畫自己的新項目請用另一個代碼）", None)
    elif monthly_field.code in local:
        if local[monthly_field.code] != monthly_field:
            return (f"項目 {monthly_field.code} 已由其他計畫以不同的定義使用（名稱、單位、flow／stock 或說明"
                    "不同）；項目代碼一經使用不可改變定義，本計畫的新項目請用另一個代碼", "code")
    elif names.get(monthly_field.name, monthly_field.code) != monthly_field.code:
        return (f"項目 {monthly_field.code} 的名稱「{monthly_field.name}」已是項目 "
                f"{names[monthly_field.name]} 的名稱；月報依名稱辨識項目，新的項目請用另一個名稱", "name")
    return None


# ---- loading a folder -------------------------------------------------------------------------------

def load_catalogue(directory: Path = PLANS_DIRECTORY, *, samples: Path | None = None) -> Catalogue:
    """Every file of the catalogue in `directory` (and the sample plans in `samples`), checked.

    Raises PlanError listing every problem of every file, each with its file, key and line.
    """
    problems: list[str] = []
    directory = Path(directory)
    if not directory.is_dir():
        raise PlanError(f"找不到計畫目錄 {shown_path(directory)}；請確認 plans/ 資料夾存在")
    parts = _load_parts(directory, problems)
    plans: dict[PlanKey, Plan] = {}
    _load_plans(directory, parts, plans, problems, sample=False)
    if samples is not None and Path(samples).is_dir():
        sample_common = Path(samples) / COMMON_FILE
        if sample_common.exists():
            document = read_document(sample_common, problems)
            if document is not None and document.data:
                extra = _parse_common(document, {f.code for f in parts.fields}, sample=True, definitions=False)
                for year in extra.years:
                    if year in parts.common.years:
                        document.problem(f"{year} 年度已在 {shown_path(directory / COMMON_FILE)} 宣告，範例不可重新宣告",
                                         table=f"years.{year}")
                parts = replace(parts, common=replace(parts.common, years={**extra.years, **parts.common.years}))
        _load_plans(Path(samples), parts, plans, problems, sample=True)
    if problems:
        raise PlanError("計畫目錄有誤，請修正下列問題：\n" + "\n".join(f"- {problem}" for problem in problems),
                        issues=problems)
    return Catalogue(parts.fields, parts.units, parts.common, plans)


def load_units(directory: Path = PLANS_DIRECTORY) -> Units:
    """The county's units (units.toml of `directory`) alone: what an account's units are checked against."""
    problems: list[str] = []
    path = Path(directory) / UNITS_FILE
    if not path.exists():
        raise PlanError(f"{shown_path(path)}：找不到此檔案（計畫目錄必須有 {UNITS_FILE}）")
    document = read_document(path, problems)
    units = _parse_units(document) if document is not None and document.parsed else Units(())
    if problems:
        raise PlanError("單位目錄有誤，請修正下列問題：\n" + "\n".join(f"- {problem}" for problem in problems),
                        issues=problems)
    return units


def _load_parts(directory: Path, problems: list[str]) -> _Parts:
    documents = {}
    for name in (FIELDS_FILE, UNITS_FILE, COMMON_FILE):
        path = directory / name
        if not path.exists():
            problems.append(f"{shown_path(path)}：找不到此檔案（計畫目錄必須有 {name}）")
            continue
        documents[name] = read_document(path, problems)
    fields = _parse_fields(documents[FIELDS_FILE]) if documents.get(FIELDS_FILE) else ()
    units = _parse_units(documents[UNITS_FILE]) if documents.get(UNITS_FILE) else Units(())
    common = CommonSet()
    if documents.get(COMMON_FILE):
        common = _parse_common(documents[COMMON_FILE], {f.code for f in fields}, sample=False)
        document = documents[COMMON_FILE]
        with_values = tuple(replace(indicator, weight=Decimal(1), target=Decimal(1)) for indicator in common.indicators)
        ids = [indicator.id for indicator in common.indicators]
        for issue in plan_issues(common.goals, with_values, fields):
            index = ids.index(issue.indicator) if issue.indicator in ids else None
            document.problem(issue.message, table="indicator" if index is not None else None, index=index,
                             key=issue.key or None,
                             label=issue_label(f"指標 {issue.indicator}", issue.key) if index is not None else "")
        if common.multi_year is not None and common.multi_year.indicator not in common.indicator_by_id:
            document.problem(f"跨年度計分的指標 {common.multi_year.indicator} 不是共同性指標", table="multi_year",
                             key="indicator")
    return _Parts(fields, units, common)


def _load_plans(directory: Path, parts: _Parts, plans: dict[PlanKey, Plan], problems: list[str], *,
                sample: bool) -> None:
    allowed = {COMMON_FILE} if sample else {FIELDS_FILE, UNITS_FILE, COMMON_FILE, ROLES_FILE, CYCLE_FILE}
    for path in sorted(directory.iterdir()):
        if path.is_file() and path.suffix == ".toml" and path.name not in allowed:
            problems.append(f"{shown_path(path)}：計畫檔須放在年度資料夾中（例如 plans/113/政風處.toml）；"
                            f"此處只放 {'、'.join(sorted(allowed))}")
        elif path.is_dir() and not path.name.isdigit() and not path.name.startswith((".", "_")):
            problems.append(f"{shown_path(path)}：資料夾名稱須為民國年度數字（例如 113），計畫檔才會被讀取")
    for folder in sorted(path for path in directory.iterdir() if path.is_dir() and path.name.isdigit()):
        for path in sorted(folder.glob("*.toml")):
            document = read_document(path, problems)
            if document is None:
                continue
            if not document.data:
                if document.parsed:
                    problems.append(f"{shown_path(path)}：檔案是空的；至少要有 year 與 unit（只有共同性指標的單位再加 "
                                    "include_common = true）")
                continue
            before = len(problems)
            local = {f.code: f for existing in plans.values() for f in existing.fields}
            plan = _parse_plan(document, replace(parts, local=tuple(local.values())), sample=sample,
                               origin=shown_path(path), expected=(int(folder.name), path.stem), file_unit=path.stem)
            if plan is None or len(problems) > before:
                continue
            from metrics.texts import plan_text_problems  # the rule every text of the store follows

            texts = plan_text_problems(plan)
            if texts:
                problems.extend(f"{shown_path(path)}：{problem}" for problem in texts)
                continue
            if plan.key in plans:
                problems.append(f"{shown_path(path)}：{plan.unit} {plan.year} 年度的計畫已由 {plans[plan.key].origin} "
                                "宣告；同一單位同一年度只能有一個計畫檔")
                continue
            plans[plan.key] = plan


def parse_plan(text: str, catalogue: Catalogue, *, origin: str = "", sample: bool = False,
               check_common: bool = True) -> Plan:
    """A plan document (a file's text, or a stored version) into a Plan; PlanError names every problem.

    check_common: whether the document must agree with today's fields and common set. A new version must;
    a stored old version is read as it was saved (its own fields and common indicators), so it still
    evaluates as it did.
    """
    problems: list[str] = []
    document = Document(text, origin or "計畫內容", problems)
    parts = _Parts(catalogue.fields, catalogue.units, catalogue.common, catalogue.local_fields)
    plan = None
    if document.data:
        plan = _parse_plan(document, parts, sample=sample, origin=origin, check_common=check_common)
    elif not problems:
        problems.append(f"{document.shown}：內容是空的")
    if problems or plan is None:
        raise PlanError("計畫內容有誤：\n" + "\n".join(f"- {problem}" for problem in problems), issues=problems)
    return plan
