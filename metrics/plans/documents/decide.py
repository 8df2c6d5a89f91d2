"""A person's answers to a draft's decisions, applied: the draft again, with what they decided and without those
decisions. Only what a choice settles is decided here (the field an operand stands for, a target's unit, a
goal's kind, taking the common set's formula); a formula not recognised, a target or weight not read, a duplicate
id are settled in the document (or the plan file) and read again."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

from metrics.errors import InputError, Problem
from metrics.plans.catalogue import Catalogue
from metrics.plans.documents.draft import GOAL_KINDS, Decision, DecisionKind, PlanDraft

ACCEPT = "確認"
CHOOSABLE = (DecisionKind.OPERAND, DecisionKind.UNIT, DecisionKind.GOAL, DecisionKind.COMMON)


def choosable(decision: Decision) -> bool:
    """Whether a choice settles it (a goal decision only when it asks for the goal's kind)."""
    if decision.kind is DecisionKind.GOAL:
        return decision.options == GOAL_KINDS
    return decision.kind in CHOOSABLE and not (decision.kind is DecisionKind.COMMON and not decision.options
                                               and "替代分母" not in decision.message)


def decide(draft: PlanDraft, catalogue: Catalogue, answers: Mapping[int, str]) -> PlanDraft:
    """The draft with `answers` (by position in draft.needs_decision) applied. InputError names an answer that does
    not fit its decision; an empty answer leaves the decision open."""
    pending = draft.needs_decision
    codes = {f.code for f in catalogue.fields}
    settled: set[int] = set()
    for index, answer in answers.items():
        answer = (answer or "").strip()
        if not answer:
            continue
        decision = pending[index]
        if not choosable(decision):
            raise InputError(Problem(f"「{decision.text}」須修正計畫書後重新匯入，不能在此選擇"))
        if decision.kind is DecisionKind.OPERAND:
            if answer not in codes:
                raise InputError(Problem(f"「{answer}」不是 fields.toml 中的項目代碼", field=decision.text))
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
    return replace(draft, decisions=tuple(d for d in draft.decisions if id(d) not in chosen),
                   indicators=tuple(replace(indicator, decisions=tuple(d for d in indicator.decisions
                                                                       if id(d) not in chosen))
                                    for indicator in draft.indicators),
                   fields=tuple(f for f in draft.fields if f.code in used))


def _with_indicator(draft: PlanDraft, decision: Decision, change) -> PlanDraft:
    return replace(draft, indicators=tuple(change(indicator) if indicator.id == decision.indicator else indicator
                                           for indicator in draft.indicators))
