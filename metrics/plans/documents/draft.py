"""A plan document read into a frozen PlanDraft: what was read, what is proposed, and what needs a decision.

Nothing is guessed silently: a formula not recognised, an operand no field matches (a new field is proposed), a
target without a unit, a goal without its kind (業務/人力/經費/性別平等/其他), a (共同) row whose formula differs from
the common set: each is a Decision, and the draft is only saved once none is left. What needs no decision but is
worth knowing (the weights not adding up to 100 %, a (共同) target or weight that differs from common.toml and is
kept as this unit's own, where an alternative denominator comes from) is a notice.
"""

from __future__ import annotations

import enum
import re
from collections import Counter
from dataclasses import dataclass, replace
from decimal import Decimal, InvalidOperation
from fractions import Fraction

from metrics.errors import InputError, Problem
from metrics.plans.catalogue import Catalogue, unit_key
from metrics.plans.documents.proposal import Match, Operand, new_field_details, normalised, propose
from metrics.plans.documents.readers import DocumentRow
from metrics.plans.documents.tables import (GOAL_START, INDICATOR_START, StrategySection, TableRow, chinese_number,
                                            indicator_rows, indicator_start, numbered, strategy_sections)
from metrics.plans.formulas import Term, format_number
from metrics.plans.kinds import KINDS, Direction, Stage
from metrics.plans.plan import Aggregation, Indicator, MonthlyField, Quantity
from metrics.texts import describe

GOAL_KINDS = ("業務", "人力", "經費", "性別平等", "其他")
COMMON_MARK = "共同"
MARK = re.compile(r"[(（]\s*(" + "|".join((*GOAL_KINDS, COMMON_MARK)) + r")(?:性指標|性)?\s*[)）]\s*$")  # (共同性指標) too
TARGET = re.compile(r"^\s*([≤≥<>=]*)\s*([0-9][0-9,]*(?:\.\d+)?)\s*(.*?)\s*$")
# Words around a target's number that say its direction, not its unit: 「130 案以上」, 「至少 130 案」, 「5 日以內」.
TARGET_FLOOR_WORDS = ("(含)以上", "以上", "至少", "不低於", "不少於", "不得低於", "達")
TARGET_CEILING_WORDS = ("(含)以下", "以下", "以內", "不超過", "不得超過", "不高於", "至多", "最多")
WEIGHT = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*%?\s*$")
UNIT_WORDS = {"件數": "件", "人數": "人", "次數": "次", "案數": "案", "場數": "場", "％": "%"}
MOST_ROWS = 300  # a unit's table has some 10–20 indicators (the county ~300 in all): more is not one unit's plan
DECIMAL_DIGITS = "零一二三四五六七八九"
SPELLED_PERCENT = re.compile(r"百分之([零一二三四五六七八九十]+)(?:點([零一二三四五六七八九]+))?")
DENOMINATOR_NOTE = re.compile(r"分母[^。；]*?改[為以用]")


class DecisionKind(enum.Enum):
    OPERAND = "項目對應"
    FORMULA = "公式"
    UNIT = "單位"
    TARGET = "目標值"
    WEIGHT = "權重"
    GOAL = "策略目標"
    COMMON = "共同性指標"


@dataclass(frozen=True)
class Decision:
    kind: DecisionKind
    message: str
    indicator: str | None = None
    goal: int | None = None
    options: tuple[str, ...] = ()
    subject: str = ""  # what the decision is about: the proposed field's code of an unmatched operand

    @property
    def text(self) -> str:
        where = f"指標 {self.indicator}：" if self.indicator else (f"策略目標 {self.goal}：" if self.goal else "")
        return f"{where}{self.message}"


@dataclass(frozen=True)
class DraftGoal:
    number: int
    title: str
    kind: str  # one of GOAL_KINDS, or "" when the document does not say
    common: bool
    summary: str = ""
    notes: tuple[str, ...] = ()  # every paragraph of its part of 貳 (supplementary rules, scoring)
    source: str = ""  # the goal cell as the document writes it


@dataclass(frozen=True)
class DraftTerm:
    """An operand as the document writes it, the field it stands for (matched, or a proposed new one)."""

    text: str
    field: str
    coefficient: Fraction = Fraction(1)
    new: bool = False  # the field is proposed, not in fields.toml
    score: float = 1.0
    required: bool = False

    @property
    def term(self) -> Term:
        return Term(self.field, self.coefficient, self.required)


@dataclass(frozen=True)
class ProposedField:
    code: str
    name: str
    unit: str
    aggregation: Aggregation
    quantity: Quantity
    help: str

    @property
    def monthly_field(self) -> MonthlyField:
        return MonthlyField(self.code, self.name, self.unit, self.aggregation, self.quantity, self.help)


@dataclass(frozen=True)
class DraftIndicator:
    id: str
    goal: int
    name: str
    method: str
    measure: str  # 衡量標準, verbatim
    weight: Decimal | None
    target: Decimal | None
    unit: str
    formula: str | None  # a key of KINDS; None until decided
    numerator: tuple[DraftTerm, ...] = ()
    denominator: tuple[DraftTerm, ...] = ()
    alternative_denominator: tuple[DraftTerm, ...] = ()
    alternative_reason: str = ""
    direction: Direction = Direction.AT_LEAST
    scale: int = 1
    stages: tuple[Stage, ...] = ()
    base_year: int | None = None
    common: bool = False
    weight_text: str = ""
    target_text: str = ""
    overrides: tuple[str, ...] = ()  # a (共同) target or weight that differs from common.toml, kept as this unit's
    notes: tuple[str, ...] = ()
    decisions: tuple[Decision, ...] = ()
    source: tuple[str, ...] = ()  # the document rows it was read from (joined across a page break when cut)
    joined_across_break: bool = False

    def as_indicator(self, catalogue: Catalogue) -> Indicator:
        """The plan's indicator: a (共同) one is the common set's declaration with the document's target and weight;
        the unit's own is built from what was read (every value still to decide as it was proposed)."""
        common = catalogue.common.indicator_by_id.get(self.id) if self.common else None
        if common is not None:
            return replace(common, target=self.target or Decimal(0), weight=self.weight or Decimal(0), common=True)
        kind = KINDS.get(self.formula or "")
        gap_rule = kind.default_gap_rule(self.direction) if kind is not None else None
        fields = {f.code: f for f in catalogue.fields_in_force}
        if gap_rule is None:
            gap_rule = _share_gap_rule(self.denominator, fields)
        return Indicator(
            id=self.id, goal=self.goal, name=self.name, short_name=self.name, method=self.method or "統計數據",
            measure=self.measure, weight=self.weight or Decimal(0), target=self.target or Decimal(0), unit=self.unit,
            formula=self.formula or "", numerator=tuple(term.term for term in self.numerator),
            denominator=tuple(term.term for term in self.denominator),
            alternative_denominator=tuple(term.term for term in self.alternative_denominator),
            alternative_reason=self.alternative_reason, accrues=kind.accrues if kind is not None else False,
            gap_rule=gap_rule, gap_template=self.direction.default_gap_template, help=f"依計畫書衡量標準：{self.measure}",
            direction=self.direction, scale=self.scale, stages=self.stages, base_year=self.base_year)


def _share_gap_rule(denominator: tuple[DraftTerm, ...], fields: dict[str, MonthlyField]) -> str:
    """How far a share is from its target, by what its denominator is: a headcount or a budget stays as it is
    while the numerator grows; a flow grows on both sides."""
    known = [fields[term.field] for term in denominator if term.field in fields]
    if known and all(f.aggregation is Aggregation.STOCK for f in known):
        return "amount_fixed_denominator" if any(f.quantity is Quantity.AMOUNT for f in known) \
            else "whole_fixed_denominator"
    return "growing_denominator"


@dataclass(frozen=True)
class PlanDraft:
    year: int
    unit: str  # the unit's canonical name
    organisation: str
    title: str
    document: str  # the file it was read from
    goals: tuple[DraftGoal, ...]
    indicators: tuple[DraftIndicator, ...]
    fields: tuple[ProposedField, ...] = ()  # new fields proposed (in neither fields.toml nor a plan in force)
    notices: tuple[str, ...] = ()
    decisions: tuple[Decision, ...] = ()  # of the plan as a whole (goals, ids)

    @property
    def needs_decision(self) -> tuple[Decision, ...]:
        return self.decisions + tuple(decision for indicator in self.indicators for decision in indicator.decisions)

    @property
    def weight_total(self) -> Decimal:
        return sum((indicator.weight or Decimal(0) for indicator in self.indicators), Decimal(0))

    @property
    def overridden(self) -> bool:
        """Whether a (共同) target or weight differs from common.toml: the plan then carries its own copy."""
        return any(indicator.overrides for indicator in self.indicators)


# ---- reading the table ----

def _number(text: str) -> Decimal | None:
    try:
        return Decimal(text.replace(",", ""))
    except InvalidOperation:
        return None


def _goal_cell(text: str) -> tuple[int | None, str, str, bool]:
    """(number, title, kind, common) of a goal cell like 「6. 調整控管…機制(人力)(共同)」."""
    found = GOAL_START.match(text)
    number = numbered(found.group(1)) if found else None
    title = text[found.end():].strip() if found else text.strip()
    kind, common = "", False
    while True:
        mark = MARK.search(title)
        if not mark:
            break
        if mark.group(1) == COMMON_MARK:
            common = True
        elif not kind:
            kind = mark.group(1)
        title = title[:mark.start()].rstrip()
    return number, title, kind, common


def read_weight(text: str) -> Decimal | None:
    """The percent of 「12.5%」 (or 「12.5」, 「百分之十二點五」); None when it is not one number."""
    found = WEIGHT.match(spelled_percent(normalised(text)))
    return _number(found.group(1)) if found else None


def spelled_percent(text: str) -> str:
    """「百分之十」 → 「10%」, 「百分之十二點五」 → 「12.5%」: a percentage written in words, as some units do."""
    def digits(found: re.Match) -> str:
        whole = chinese_number(found.group(1)) if found.group(1) != "零" else 0
        if whole is None:
            return found.group(0)
        decimals = "".join(str(DECIMAL_DIGITS.index(char)) for char in found.group(2) or "")
        return f"{whole}{'.' + decimals if decimals else ''}%"

    return SPELLED_PERCENT.sub(digits, text)


def read_target(text: str) -> tuple[Decimal | None, str, bool]:
    """(number, unit, ceiling) of 「130 案」, 「40.7%」, 「1 件數」 (→ 件), 「≤ 5 日」, 「≧130案」, 「130 案以上」, 「5 日以內」."""
    words = spelled_percent(normalised(text)).replace("≦", "≤").replace("≧", "≥")
    ceiling = False
    for prefix in (*TARGET_FLOOR_WORDS, *TARGET_CEILING_WORDS):
        if words.startswith(prefix):
            words, ceiling = words[len(prefix):], prefix in TARGET_CEILING_WORDS
            break
    for suffix in (*TARGET_FLOOR_WORDS, *TARGET_CEILING_WORDS):
        if words.endswith(suffix) and words != suffix:
            words, ceiling = words[:-len(suffix)], ceiling or suffix in TARGET_CEILING_WORDS
            break
    found = TARGET.match(words)
    if not found:
        return None, "", False
    unit = found.group(3).strip()
    unit = UNIT_WORDS.get(unit, unit)
    return _number(found.group(2)), unit, ceiling or "≤" in found.group(1) or "<" in found.group(1)


def _clause(name: str) -> str:
    return re.split(r"[，,；;。]", name)[0].strip()


def _new_field_name(operand: Operand, name: str, measure: str, formula: str | None) -> str:
    staged = formula in KINDS and KINDS[formula].staged
    if staged or operand.text != f"{name} {measure}":
        return re.sub(r"^[(（]\d+[)）]", "", operand.text).strip()
    head, tail = _clause(name), normalised(measure)[-2:]
    return head if head.endswith(tail) else f"{head}{tail}"


@dataclass
class _Reading:
    """What parse_document builds up while it walks the table."""

    catalogue: Catalogue
    year: int
    fields: list[MonthlyField]
    proposed: list[ProposedField]
    by_text: dict[str, str]

    def term(self, operand: Operand, indicator_id: str, label: str, name: str, measure: str, formula: str | None,
             decisions: list[Decision]) -> DraftTerm:
        match = operand.match or Match(None, 0.0, ())
        if match.code is not None:
            return DraftTerm(operand.text, match.code, operand.coefficient, match.code not in self._known(), match.score)
        field_name = _new_field_name(operand, name, measure, formula)
        key = normalised(field_name)
        code = self.by_text.get(key)
        if code is None:
            code = f"new_{indicator_id.replace('-', '_')}{label}"
            taken = self._known() | {f.code for f in self.proposed}
            code = next(f"{code}_{number}" for number in range(2, len(taken) + 3) if f"{code}_{number}" not in taken) \
                if code in taken else code  # another unit's plan in force has its own new_1
            unit, aggregation, quantity = new_field_details(field_name, formula)
            self.proposed.append(ProposedField(code, field_name, unit, aggregation, quantity,
                                               f"由計畫書匯入：指標 {indicator_id}「{_clause(name)}」的「{operand.text}」"))
            self.by_text[key] = code
            self.fields.append(self.proposed[-1].monthly_field)
        names = {f.code: f.name for f in self.catalogue.fields_in_force}
        options = tuple(f"{code_}（{names[code_]}）" for code_ in match.candidates if code_ in names)
        hint = f"；相近的項目：{'、'.join(options)}" if options else ""
        decisions.append(Decision(DecisionKind.OPERAND, f"「{operand.text}」對應不到現有的填報項目，建議新增項目 {code}"
                                  f"「{field_name}」{hint}", indicator_id, options=(f"新增 {code}", *options),
                                  subject=code))
        return DraftTerm(operand.text, code, operand.coefficient, True, match.score)

    def _known(self) -> set[str]:
        return {f.code for f in self.catalogue.fields_in_force}


def _document_title(rows: list[DocumentRow]) -> str:
    for row in rows[:10]:
        if not row.table and "施政計畫" in row.cells[0]:
            return row.cells[0].strip()
    return ""


def parse_document(rows: list[DocumentRow], catalogue: Catalogue, *, year: int, unit: str,
                   document: str = "") -> PlanDraft:
    """The draft of `unit`'s plan for `year` the document's rows describe. InputError when the document has no
    indicators table or the unit is unknown (nothing can be drafted); everything else is a decision or a notice."""
    resolved = catalogue.units.resolve(unit)
    if resolved is None:
        nearest = catalogue.units.nearest(unit)
        raise InputError(Problem(f"單位「{unit}」不在 units.toml 中" + (f"；相近的單位：{'、'.join(nearest)}" if nearest else "")))
    if resolved.since and year < resolved.since:  # the catalogue would refuse the plan the draft becomes
        raise InputError(Problem(f"{resolved.name}自 {resolved.since} 年度起才設立，不能有 {year} 年度的計畫；請確認匯入的年度與單位"))
    table = indicator_rows(rows)
    if len(table) > MOST_ROWS:
        raise InputError(Problem(f"「參、年度績效指標」表格有 {len(table):,} 列，超過 {MOST_ROWS} 列，不像是一個單位的績效指標表；"
                                 "請確認上傳的是單位的施政計畫", file=document))
    if not table:
        header = next((row.cells[0] for row in rows if not row.table and all(
            word in normalised(row.cells[0]) for word in ("績效指標", "衡量標準", "權重", "目標值"))), None)
        if header is not None:  # the header's words are there, but not as a table's cells
            raise InputError(Problem(f"「{header[:60]}」看起來是「參、年度績效指標」的表頭，但不是表格：PDF 的表格須有框線才能分欄，"
                                     "純文字檔須以定位字元（Tab）分欄；請改上傳 .docx 或 .odt 檔", file=document))
        raise InputError(Problem("找不到「參、年度績效指標」表格：表頭須有「績效指標」「衡量標準」「權重」「目標值」等欄",
                                 file=document))
    sections = strategy_sections(rows)
    reading = _Reading(catalogue, year, list(catalogue.fields_in_force), [], {})
    goals: list[DraftGoal] = []
    plan_decisions: list[Decision] = []
    grouped: list[tuple[DraftGoal, list[TableRow]]] = []
    for row in table:
        number, title, kind, common = _goal_cell(row.get("goal"))
        if row.get("goal") and (number is not None or not grouped or title != grouped[-1][0].title):
            if number is None:
                number = (grouped[-1][0].number + 1) if grouped else 1
                plan_decisions.append(Decision(DecisionKind.GOAL, f"策略目標「{title}」沒有編號，暫編為 {number}",
                                               goal=number))
            section = sections.get(number)
            goal = DraftGoal(number, title, kind, common or number in catalogue.common.goal_numbers and
                             _same_title(catalogue, number, title), section.summary if section else "",
                             section.notes if section else (), row.get("goal"))
            grouped.append((goal, []))
        if not grouped:
            plan_decisions.append(Decision(DecisionKind.GOAL, f"第一列「{row.get('name')}」沒有所屬的策略目標"))
            continue
        grouped[-1][1].append(row)
    indicators: list[DraftIndicator] = []
    for goal, goal_rows in grouped:
        if not goal.kind:
            plan_decisions.append(Decision(DecisionKind.GOAL, f"「{goal.title}」沒有標示類別（{'、'.join(GOAL_KINDS)}）",
                                           goal=goal.number, options=GOAL_KINDS))
        if goal.number in catalogue.common.goal_numbers and not goal.common:
            plan_decisions.append(Decision(DecisionKind.GOAL, f"編號 {goal.number} 是共同性目標的編號，但計畫書未標示"
                                           "「(共同)」且名稱不同；單位自訂目標請改用其他編號", goal=goal.number))
        goals.append(goal)
        for position, row in enumerate(goal_rows, start=1):
            indicators.append(_indicator(row, goal, position, len(goal_rows), reading, sections.get(goal.number)))
    ids = Counter(indicator.id for indicator in indicators)
    for duplicate in sorted(value for value, times in ids.items() if times > 1):
        plan_decisions.append(Decision(DecisionKind.GOAL, f"指標代號 {duplicate} 重複，請確認各指標的編號"))
    notices = _notices(catalogue, year, goals, indicators, resolved.name)
    removed = list(dict.fromkeys(character for row in rows for character in row.removed))
    if removed:
        notices.append(f"計畫書中看不見的字元 {'、'.join(describe(character) for character in removed)}已移除"
                       "（常見於從 Word 或網頁複製的文字）")
    title = _document_title(rows) or f"{resolved.organisation_in(year)} {year} 年度施政計畫"
    if str(year) not in title:
        notices.append(f"計畫書標題「{title}」沒有 {year} 年度；請確認匯入的年度")
    if not any(unit_key(name) in unit_key(title) for name in resolved.names):
        notices.append(f"計畫書標題「{title}」沒有單位名稱「{resolved.name}」；請確認匯入的單位")
    return PlanDraft(year, resolved.name, resolved.organisation_in(year), title, document, tuple(goals),
                     tuple(indicators), tuple(reading.proposed), tuple(notices), tuple(plan_decisions))


def _same_title(catalogue: Catalogue, number: int, title: str) -> bool:
    return any(goal.number == number and normalised(goal.title) == normalised(title) for goal in catalogue.common.goals)


def _indicator(row: TableRow, goal: DraftGoal, position: int, count: int, reading: _Reading,
               section: StrategySection | None) -> DraftIndicator:
    name_cell = row.get("name")
    sub = indicator_start(name_cell)
    name = name_cell[sub[1]:].strip() if sub else name_cell
    own_number = sub is not None and (count > 1 or INDICATOR_START.match(name_cell) is not None)  # 「(1)」 alone: 3-1
    indicator_id = f"{goal.number}-{sub[0] if sub else position}" if own_number or count > 1 else str(goal.number)
    decisions: list[Decision] = []
    weight = read_weight(row.get("weight"))
    if weight is None or weight <= 0:
        decisions.append(Decision(DecisionKind.WEIGHT, f"權重「{row.get('weight')}」不是百分比數字", indicator_id))
    target, unit, ceiling = read_target(row.get("target"))
    if target is not None and not unit and row.get("unit"):  # the unit in a column of its own
        target, unit, ceiling = read_target(f"{row.get('target')} {row.get('unit')}")
    if target is None:
        decisions.append(Decision(DecisionKind.TARGET, f"目標值「{row.get('target')}」讀不出數字", indicator_id))
    proposal = propose(name, row.get("method"), row.get("measure"), row.get("target"), reading.fields)
    direction = Direction.AT_MOST if ceiling else proposal.direction
    if target is not None and not unit:
        suggestion = "%" if proposal.formula is not None and KINDS[proposal.formula].has_denominator else ""
        decisions.append(Decision(DecisionKind.UNIT, f"目標值「{row.get('target')}」沒有單位"
                                  + (f"（依公式建議 {suggestion}）" if suggestion else ""), indicator_id,
                                  options=(suggestion,) if suggestion else ()))
        unit = suggestion
    if proposal.formula is None:
        decisions.append(Decision(DecisionKind.FORMULA, proposal.problem or "衡量標準看不出計算方式", indicator_id))
    terms = {}
    for part, operands, label in (("numerator", proposal.numerator, "n"), ("denominator", proposal.denominator, "d")):
        single = proposal.formula is not None and not KINDS[proposal.formula].has_denominator and part == "numerator"
        terms[part] = tuple(reading.term(operand, indicator_id, "" if single else f"_{label}{index}", name,
                                         row.get("measure"), proposal.formula, decisions)
                            for index, operand in enumerate(operands, start=1))
    draft = DraftIndicator(
        id=indicator_id, goal=goal.number, name=name, method=row.get("method"), measure=row.get("measure"),
        weight=weight, target=target, unit=unit, formula=proposal.formula, numerator=terms["numerator"],
        denominator=terms["denominator"], direction=direction, scale=proposal.scale, stages=proposal.stages,
        base_year=proposal.base_year, weight_text=row.get("weight"), target_text=row.get("target"),
        notes=proposal.notes, decisions=tuple(decisions), source=row.source, joined_across_break=row.joined_across_break)
    if goal.common:
        draft = _linked(draft, reading, section)
    return draft


def _terms_text(terms, names: dict[str, str]) -> str:
    parts = []
    for term in terms:
        coefficient = Fraction(term.coefficient)
        suffix = "" if coefficient == 1 else (f"÷{coefficient.denominator}" if coefficient.numerator == 1
                                              else f"×{format_number(coefficient)}")
        parts.append(f"{names.get(term.field, term.field)}{suffix}")
    return "＋".join(parts) or "（無）"


def _linked(draft: DraftIndicator, reading: _Reading, section: StrategySection | None) -> DraftIndicator:
    """A (共同) row tied to its one declaration in common.toml: the formula is the common set's (a difference in the
    document's wording is a decision), a target or weight that differs for this year is this unit's override."""
    catalogue, year = reading.catalogue, reading.year
    common = catalogue.common.indicator_by_id.get(draft.id)
    if common is None:
        return replace(draft, common=False, decisions=draft.decisions + (Decision(
            DecisionKind.COMMON, f"計畫書標示「(共同)」，但 common.toml 沒有指標 {draft.id}；"
            "請確認指標編號，或改為單位自訂指標", draft.id),))
    names = {f.code: f.name for f in catalogue.fields_in_force}
    notes, decisions = list(draft.notes), []
    read = (KINDS.get(draft.formula or ""), [(t.field, t.coefficient) for t in draft.numerator],
            [(t.field, t.coefficient) for t in draft.denominator])
    declared = (common.kind, [(t.field, t.coefficient) for t in common.numerator],
                [(t.field, t.coefficient) for t in common.denominator])
    if read != declared:
        shown = f"{_terms_text(draft.numerator, names)}" + (f" ÷ {_terms_text(draft.denominator, names)}"
                                                            if draft.denominator else "")
        wanted = f"{_terms_text(common.numerator, names)}" + (f" ÷ {_terms_text(common.denominator, names)}"
                                                             if common.denominator else "")
        decisions.append(Decision(DecisionKind.COMMON, f"計畫書的衡量標準讀為「{draft.formula or '無法辨識'}：{shown}」，"
                                  f"與共同性指標的宣告「{common.formula}：{wanted}」不同；共同性指標全府一致，"
                                  "確認後採用 common.toml 的公式", draft.id, options=("採用 common.toml 的公式",)))
    kept = tuple(decision for decision in draft.decisions if decision.kind not in (DecisionKind.OPERAND,
                                                                                   DecisionKind.FORMULA))
    if len(kept) != len(draft.decisions):  # the document's own reading is replaced by the declaration
        reading.proposed[:] = [f for f in reading.proposed if f.code not in {t.field for t in draft.numerator + draft.denominator}]
    if common.alternative_denominator:
        rule = next((note for note in (section.notes if section else ()) if DENOMINATOR_NOTE.search(note)), "")
        cited = f"；計畫書貳的補充說明載明：「{rule}」" if rule else "；計畫書中找不到此規則，請確認仍適用"
        notes.append(f"替代分母「{_terms_text(common.alternative_denominator, names)}」（{common.alternative_reason}）"
                     f"不在表格文字中，取自 common.toml 的宣告{cited}")
        if not rule:
            decisions.append(Decision(DecisionKind.COMMON, f"common.toml 的替代分母（{common.alternative_reason}）"
                                      "在計畫書中找不到依據；確認後照 common.toml 計算", draft.id))
    if draft.unit and draft.unit != common.unit:
        decisions.append(Decision(DecisionKind.UNIT, f"目標值單位「{draft.unit}」與共同性指標的「{common.unit}」不同",
                                  draft.id))
    overrides = []
    values = catalogue.common.years.get(year)
    if values is None:
        overrides.append(f"common.toml 沒有 {year} 年度的目標值與權重：以計畫書的目標值與權重為本單位的共同性指標")
    else:
        for label, mine, theirs in (("目標值", draft.target, values.targets.get(draft.id)),
                                    ("權重", draft.weight, values.weights.get(draft.id))):
            if mine is not None and theirs is not None and mine != theirs:
                unit = "%" if label == "權重" or common.unit == "%" else f" {common.unit}"
                overrides.append(f"{label}：計畫書 {format_number(Fraction(mine))}{unit}，common.toml {year} 年度 "
                                 f"{format_number(Fraction(theirs))}{unit}")
    if draft.measure and normalised(draft.measure) != normalised(common.measure):
        notes.append(f"計畫書的衡量標準文字與 common.toml 不同（common.toml：「{common.measure}」）；計算照 common.toml")
    return replace(draft, common=True, unit=common.unit, formula=common.formula,
                   numerator=tuple(DraftTerm(_operand_text(draft.numerator, t.field, names), t.field, t.coefficient,
                                             required=t.required) for t in common.numerator),
                   denominator=tuple(DraftTerm(_operand_text(draft.denominator, t.field, names), t.field, t.coefficient,
                                               required=t.required) for t in common.denominator),
                   alternative_denominator=tuple(DraftTerm(names.get(t.field, t.field), t.field, t.coefficient)
                                                 for t in common.alternative_denominator),
                   alternative_reason=common.alternative_reason, direction=common.direction, scale=common.scale,
                   stages=common.stages, base_year=common.base_year, overrides=tuple(overrides), notes=tuple(notes),
                   decisions=kept + tuple(decisions))


def _operand_text(read: tuple[DraftTerm, ...], code: str, names: dict[str, str]) -> str:
    return next((term.text for term in read if term.field == code), names.get(code, code))


WEIGHT_NOTICE = "權重合計"


def weight_notice(indicators) -> str:
    """What is said when the weights do not add up to 100 % ('' when they do): shown, never adjusted."""
    total = sum((indicator.weight or Decimal(0) for indicator in indicators), Decimal(0))
    return "" if total == 100 else f"{WEIGHT_NOTICE} {format_number(Fraction(total))}%（不是 100%）：照計畫書呈現，系統不自行調整"


def _notices(catalogue: Catalogue, year: int, goals: list[DraftGoal], indicators: list[DraftIndicator],
             unit: str) -> list[str]:
    notices = [notice for notice in (weight_notice(indicators),) if notice]
    read_common = {indicator.id for indicator in indicators if indicator.common}
    declared = set(catalogue.common.indicator_by_id)
    if read_common and read_common != declared:
        missing = sorted(declared - read_common)
        if missing:
            notices.append(f"計畫書沒有共同性指標 {'、'.join(missing)}；此計畫將帶入 common.toml {year} 年度的目標值與權重"
                           if year in catalogue.common.years else f"計畫書沒有共同性指標 {'、'.join(missing)}")
    for indicator in indicators:
        for override in indicator.overrides:
            notices.append(f"{unit}共同性指標 {indicator.id} 的{override}（記為本單位的目標，計畫檔改為自帶共同性指標）")
        if indicator.joined_across_break:
            notices.append(f"指標 {indicator.id} 的一列跨頁，已將分頁後的文字接回（{len(indicator.source)} 段）")
    return notices
