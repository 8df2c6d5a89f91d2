"""A person's answers to a draft's decisions, applied: the draft again, with what they decided and without those
decisions. A choice settles the field an operand stands for (an existing one, or the new field proposed, which
is then created with the plan), a target's unit, a goal's kind, taking the common set's formula; what the
document did not let be read is typed: a formula (a kind of indicator and its operands among the fields), a
weight, a target. Each typed value is kept as typed and said in the indicator's notes (nothing changes a number
silently); the plan it makes is then checked as a plan file is. A duplicate id or a row without a goal is settled
in the document (or the plan file) and read again."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from fractions import Fraction

from metrics.errors import InputError, Problem
from metrics.plans.catalogue import Catalogue, field_code_problem, own_field_problem
from metrics.plans.documents.draft import (GOAL_KINDS, WEIGHT_NOTICE, Decision, DecisionKind, DraftIndicator, DraftTerm,
                                           PlanDraft, read_target, read_weight, weight_notice)
from metrics.plans.formulas import format_number
from metrics.plans.kinds import KINDS, Direction, Kind
from metrics.plans.plan import Aggregation
from metrics.texts import TextKind, text_problems

ACCEPT = "確認"
CHOOSABLE = (DecisionKind.OPERAND, DecisionKind.UNIT, DecisionKind.GOAL, DecisionKind.COMMON)
TYPED = (DecisionKind.FORMULA, DecisionKind.WEIGHT, DecisionKind.TARGET)


@dataclass(frozen=True)
class FormulaAnswer:
    """A formula settled on the page: a kind of indicator and the fields it sums (numerator, denominator)."""

    formula: str  # a key of KINDS
    numerator: tuple[str, ...]
    denominator: tuple[str, ...] = ()


@dataclass(frozen=True)
class FieldEdit:
    """A proposed new field as the planner edits it on the page: its code, name, unit and flow or stock."""

    code: str
    name: str
    unit: str
    aggregation: Aggregation


AGGREGATION_LABELS = {Aggregation.FLOW: "當月數", Aggregation.STOCK: "月底數"}


def settable_kinds() -> tuple[Kind, ...]:
    """The kinds a formula can be settled as by choosing fields alone (a milestone's stages and a growth's base
    year are read from the document, or set in the plan editor after saving)."""
    return tuple(kind for kind in KINDS.values() if not kind.staged and not kind.based)


def choosable(decision: Decision) -> bool:
    """Whether the page settles it (a goal decision only when it asks for the goal's kind)."""
    if decision.kind is DecisionKind.GOAL:
        return decision.options == GOAL_KINDS
    if decision.kind in TYPED:
        return decision.indicator is not None
    return decision.kind in CHOOSABLE and not (decision.kind is DecisionKind.COMMON and not decision.options
                                               and "替代分母" not in decision.message)


def decide(draft: PlanDraft, catalogue: Catalogue, answers: Mapping[int, str | FormulaAnswer]) -> PlanDraft:
    """The draft with `answers` (by position in draft.needs_decision) applied. InputError names an answer that does
    not fit its decision, with what was given and what is expected; an empty answer leaves the decision open."""
    pending = draft.needs_decision
    codes = {f.code for f in catalogue.fields_in_force} | {f.code for f in draft.fields}
    settled: set[int] = set()
    for index, answer in answers.items():
        if isinstance(answer, str):
            answer = answer.strip()
        if not answer:
            continue
        decision = pending[index]
        if not choosable(decision):
            raise InputError(Problem(f"「{decision.text}」須修正計畫書後重新匯入，不能在此決定"))
        if decision.kind is DecisionKind.FORMULA:
            draft = _with_indicator(draft, decision, lambda indicator: _formula(indicator, decision, answer, codes))
        elif isinstance(answer, FormulaAnswer):
            raise InputError(Problem("此項不是公式，請選擇或填寫答案", field=decision.text))
        elif decision.kind is DecisionKind.WEIGHT:
            draft = _with_indicator(draft, decision, lambda indicator: _weight(indicator, decision, answer))
        elif decision.kind is DecisionKind.TARGET:
            draft = _with_indicator(draft, decision, lambda indicator: _target(indicator, decision, answer))
        elif decision.kind is DecisionKind.OPERAND:
            if answer == decision.subject:  # the new field proposed: kept, and created when the plan is saved
                settled.add(index)
                continue
            if answer not in codes:
                raise InputError(Problem(f"「{answer}」不是 fields.toml 或現行計畫中的項目代碼，也不是建議新增的 "
                                         f"{decision.subject}", field=decision.text))
            draft = _with_indicator(draft, decision, lambda indicator: replace(
                indicator, **{part: tuple(replace(term, field=answer, new=False) if term.field == decision.subject
                                          else term for term in getattr(indicator, part))
                              for part in ("numerator", "denominator")}))
        elif decision.kind is DecisionKind.UNIT:
            draft = _with_indicator(draft, decision, lambda indicator: replace(indicator, unit=answer))
        elif decision.kind is DecisionKind.GOAL:
            if answer not in GOAL_KINDS:
                raise InputError(Problem(f"類別「{answer}」不是 {'、'.join(GOAL_KINDS)} 之一", field=decision.text))
            draft = replace(draft, goals=tuple(replace(goal, kind=answer) if goal.number == decision.goal else goal
                                               for goal in draft.goals))
        elif answer != ACCEPT:
            raise InputError(Problem(f"請選「{ACCEPT}」", field=decision.text))
        settled.add(index)
    chosen = {id(pending[index]) for index in settled}
    used = {term.field for indicator in draft.indicators for term in indicator.numerator + indicator.denominator}
    notices = tuple(notice for notice in draft.notices if not notice.startswith(WEIGHT_NOTICE))
    total = weight_notice(draft.indicators)
    return replace(draft, decisions=tuple(d for d in draft.decisions if id(d) not in chosen),
                   indicators=tuple(replace(indicator, decisions=tuple(d for d in indicator.decisions
                                                                       if id(d) not in chosen and _open(d, indicator)))
                                    for indicator in draft.indicators),
                   fields=tuple(f for f in draft.fields if f.code in used),
                   notices=((total,) if total else ()) + notices)


def edit_fields(draft: PlanDraft, catalogue: Catalogue, edits: Mapping[str, FieldEdit]) -> PlanDraft:
    """The draft with its proposed new fields (by the code proposed) as edited, each checked as a plan file's own
    [[field]] is (a valid code, a name and a code no other field in force has taken with another definition, none
    repeated among the draft's fields); the operands that read a field read it under its new code. InputError
    names every value refused and what is expected."""
    problems: list[Problem] = []
    renamed: dict[str, str] = {}
    fields, checked = [], []
    for proposed in draft.fields:
        edit = edits.get(proposed.code)
        if edit is None:
            fields.append(proposed)
            continue
        before = len(problems)
        where = f"新增項目 {proposed.code}「{proposed.name}」"
        code, name, unit = edit.code.strip(), edit.name.strip(), edit.unit.strip()
        for value, label in ((code, "項目代碼"), (name, "名稱"), (unit, "計量單位")):
            if not value:
                problems.append(Problem(f"{label}是空的；請填寫{label}", field=where))
            else:
                problems += [replace(problem, field=where) for problem in text_problems(value, TextKind.LINE, label)]
        if code and (problem := field_code_problem(code)):
            problems.append(Problem(f"{problem}（例如 training_sessions）", field=where, value=code))
        edited = replace(proposed, code=code, name=name, unit=unit, aggregation=edit.aggregation)
        fields.append(edited)
        if len(problems) == before:
            checked.append((where, edited))
        if code != proposed.code:
            renamed[proposed.code] = code
    for where, edited in checked:
        found = own_field_problem(edited.monthly_field, catalogue.fields, catalogue.local_fields)
        if found is not None:
            problems.append(Problem(found[0], field=where, value=edited.code))
    for label, key in (("項目代碼", "code"), ("名稱", "name")):
        values = [getattr(edited, key) for edited in fields]
        for value in sorted({value for value in values if value and values.count(value) > 1}):
            problems.append(Problem(f"本次新增的項目中有兩個{label}都是「{value}」；每個新項目的{label}須不同", value=value))
    if problems:
        raise InputError(problems)
    if not renamed:
        return replace(draft, fields=tuple(fields))

    def terms(read: tuple[DraftTerm, ...]) -> tuple[DraftTerm, ...]:
        return tuple(replace(term, field=renamed[term.field]) if term.field in renamed else term for term in read)

    def decisions(pending: tuple[Decision, ...]) -> tuple[Decision, ...]:
        return tuple(replace(d, subject=renamed[d.subject]) if d.subject in renamed else d for d in pending)

    return replace(draft, fields=tuple(fields), decisions=decisions(draft.decisions), indicators=tuple(
        replace(indicator, numerator=terms(indicator.numerator), denominator=terms(indicator.denominator),
                alternative_denominator=terms(indicator.alternative_denominator),
                decisions=decisions(indicator.decisions)) for indicator in draft.indicators))


def _open(decision: Decision, indicator: DraftIndicator) -> bool:
    """Still to decide: an unmatched operand only while its indicator still reads it (a formula chosen on the page
    may leave it out)."""
    return decision.kind is not DecisionKind.OPERAND or decision.subject in {
        term.field for term in indicator.numerator + indicator.denominator}


def _with_indicator(draft: PlanDraft, decision: Decision, change) -> PlanDraft:
    return replace(draft, indicators=tuple(change(indicator) if indicator.id == decision.indicator else indicator
                                           for indicator in draft.indicators))


def _formula(indicator: DraftIndicator, decision: Decision, answer: str | FormulaAnswer,
             codes: set[str]) -> DraftIndicator:
    if not isinstance(answer, FormulaAnswer):
        raise InputError(Problem("請選擇指標種類與分子（分母）項目", field=decision.text))
    kind = KINDS.get(answer.formula)
    if kind is None or kind not in settable_kinds():
        allowed = "、".join(kind.key for kind in settable_kinds())
        raise InputError(Problem(f"指標種類「{answer.formula}」不能在此選擇（可選：{allowed}）", field=decision.text))
    unknown = [code for code in (*answer.numerator, *answer.denominator) if code not in codes]
    if unknown:
        raise InputError(Problem(f"項目「{'、'.join(unknown)}」不是 fields.toml、現行計畫或本次建議新增的項目", field=decision.text))
    if not answer.numerator:
        raise InputError(Problem(f"指標種類 {kind.key} 須選分子項目", field=decision.text))
    if kind.single_field and len(answer.numerator) != 1:
        raise InputError(Problem(f"指標種類 {kind.key} 只讀一個項目，卻選了 {len(answer.numerator)} 個", field=decision.text))
    if kind.has_denominator and not answer.denominator:
        raise InputError(Problem(f"指標種類 {kind.key} 是比率，須選分母項目", field=decision.text))
    if not kind.has_denominator and answer.denominator:
        raise InputError(Problem(f"指標種類 {kind.key} 不是比率，不能有分母（選了 {'、'.join(answer.denominator)}）",
                                 field=decision.text))
    shown = "＋".join(answer.numerator) + (f" ÷ {'＋'.join(answer.denominator)}" if answer.denominator else "")
    return replace(indicator, formula=kind.key,
                   numerator=tuple(DraftTerm(code, code) for code in answer.numerator),
                   denominator=tuple(DraftTerm(code, code) for code in answer.denominator),
                   notes=indicator.notes + (f"公式於匯入頁選定：{kind.key}：{shown}（衡量標準「{indicator.measure}」無法辨識）",))


def _weight(indicator: DraftIndicator, decision: Decision, answer: str) -> DraftIndicator:
    weight = read_weight(answer)
    if weight is None or weight <= 0 or weight > 100:
        raise InputError(Problem(f"權重「{answer}」不是大於 0、不超過 100 的百分比數字（例如 12.5 或 12.5%）",
                                 field=decision.text, value=answer))
    return replace(indicator, weight=weight, notes=indicator.notes + (
        f"權重於匯入頁輸入為 {format_number(Fraction(weight))}%（計畫書寫「{indicator.weight_text}」）",))


def _target(indicator: DraftIndicator, decision: Decision, answer: str) -> DraftIndicator:
    target, unit, ceiling = read_target(answer)
    unit = unit or indicator.unit
    if target is None:
        raise InputError(Problem(f"目標值「{answer}」讀不出數字；請寫數字與單位，例如「12 場」或「40.7%」（上限寫「≤ 5 日」）",
                                 field=decision.text, value=answer))
    if not unit:
        raise InputError(Problem(f"目標值「{answer}」沒有單位；請寫數字與單位，例如「12 場」或「40.7%」",
                                 field=decision.text, value=answer))
    direction = Direction.AT_MOST if ceiling else indicator.direction
    shown = f"{format_number(Fraction(target))}{unit}" if unit == "%" else f"{format_number(Fraction(target))} {unit}"
    note = f"目標值於匯入頁輸入為 {direction.target_text(shown)}（計畫書寫「{indicator.target_text}」）"
    return replace(indicator, target=target, unit=unit, direction=direction, notes=indicator.notes + (note,))
