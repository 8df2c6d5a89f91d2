"""A formula proposed from an indicator's 衡量標準, and its operands matched to the catalogue's fields.

What the text says decides the kind: 評估方式「完成工作項目」 with its stage list is a milestone; 「A÷B×100%」 a
percentage of sums (「無條件進位」 rounds it up: the reduction rate); 「A÷B」 or 「A÷B×10000」 a quotient;
「較 111 年成長」 growth over a base year; 問卷／滿意度 the latest value; anything else a count of one flow field.
「以內」「不超過」「≤」 make the target a ceiling. Each operand is matched to a field by its name: the same name, or
the field whose name's pairs of characters the text holds best, weighted by how rare each pair is among the
fields; a close second or no good match leaves it to be decided, with a new field proposed.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

from metrics.plans.kinds import KINDS, Direction, Stage
from metrics.plans.plan import Aggregation, MonthlyField, Quantity

# The kinds a document's wording leads to (keys of metrics.plans.kinds.KINDS).
COUNT = "count"
PERCENT = "percent"
ROUNDED_UP = "reduction_rate"
QUOTIENT = "quotient"
LATEST = "latest"
MILESTONE = "milestone"
GROWTH = "growth"

CEILING_WORDS = ("≤", "<=", "以內", "以下", "不超過", "不得超過", "不高於", "上限", "反向指標")
ROUND_UP_WORDS = ("無條件進位",)
MILESTONE_WORDS = ("完成工作項目",)
SURVEY_WORDS = ("問卷", "滿意度")
PERCENT_END = re.compile(r"[×xX*]\s*100\s*%\s*$")
SCALE_END = re.compile(r"[×xX*]\s*(100000|10000|1000)\s*$")
REMARK = re.compile(r"(備註|註)\s*[:：]")
GROWTH_BASE = re.compile(r"較\s*(\d{2,3})\s*年.*?(成長|增加|減少)")
STAGE = re.compile(r"(?:^|[\s；;、，,：:])(?:\d+\s*[.、．]|第\s*[一二三四五六七八九十\d]+\s*階段\s*[:：]?)\s*"
                   r"([^()（）\s；;]+?)\s*[(（]\s*(\d+(?:\.\d+)?)\s*%\s*(?:[，,、]\s*(?:預定)?\s*(\d{1,2})\s*月[底前]?)?\s*[)）]")
NUMBER = re.compile(r"^\d+(?:\.\d+)?$")
CONFIDENT = 0.6  # weighted share of a field name's character pairs found in the text
MARGIN = 0.3  # ahead of the next field by at least this much
STOCK_WORDS = ("人數", "員額", "現職", "在職", "預算數", "人口", "階段")
AMOUNT_WORDS = ("元", "金額", "預算", "實支", "應付", "節餘", "控留", "公尺", "公里", "面積")


def normalised(text: str) -> str:
    return "".join(unicodedata.normalize("NFKC", text).split())


def _pairs(text: str) -> list[str]:
    text = re.sub(r"\([^)]*\)", "", normalised(text))
    return [text[index:index + 2] for index in range(len(text) - 1)] or ([text] if text else [])


@dataclass(frozen=True)
class Match:
    code: str | None  # the field matched; None when it is left to decide
    score: float
    candidates: tuple[str, ...]  # the closest fields, best first (what the decision offers)


def _names(monthly_field: MonthlyField) -> tuple[str, ...]:
    return (monthly_field.name, *getattr(monthly_field, "aliases", ()))


def exact_field(text: str, fields: Sequence[MonthlyField]) -> Match | None:
    """The field named `text` outright, by its name or one of its aliases (a note in parentheses, like 「(累計)」,
    left aside), or None."""
    key = re.sub(r"\([^)]*\)", "", normalised(text))
    for monthly_field in fields:
        for name in _names(monthly_field):
            if normalised(name) in (normalised(text), key) or re.sub(r"\([^)]*\)", "", normalised(name)) == key:
                return Match(monthly_field.code, 1.0, (monthly_field.code,))
    return None


def match_field(text: str, fields: Sequence[MonthlyField], *, prefer: Aggregation | None = None,
                measure: str = "") -> Match:
    """The field `text` names: the same name outright (or a 衡量標準 that is a field's name), else the best weighted
    share of the field name's character pairs held by the text, when good enough and clearly ahead of the next."""
    exact = exact_field(text, fields) or (exact_field(measure, fields) if measure else None)
    if exact is not None:
        return exact
    pool = [f for f in fields if prefer is None or f.aggregation is prefer] or list(fields)
    frequency = Counter(pair for monthly_field in fields for name in _names(monthly_field) for pair in set(_pairs(name)))
    held = set(_pairs(text))
    scored = []
    for monthly_field in pool:
        best = 0.0
        for name in _names(monthly_field):
            weights = {pair: math.log((len(fields) + 1) / (frequency[pair] + 0.5)) for pair in set(_pairs(name))}
            total = sum(weights.values()) or 1.0
            best = max(best, sum(weight for pair, weight in weights.items() if pair in held) / total)
        scored.append((best, monthly_field.code))
    scored.sort(key=lambda item: (-item[0], item[1]))
    candidates = tuple(code for score, code in scored[:3] if score > 0.3)
    if scored and scored[0][0] >= CONFIDENT and (len(scored) == 1 or scored[0][0] - scored[1][0] >= MARGIN):
        return Match(scored[0][1], scored[0][0], candidates)
    return Match(None, scored[0][0] if scored else 0.0, candidates)


@dataclass(frozen=True)
class Operand:
    """One part of a sum as the document writes it, with its coefficient and the field it was matched to."""

    text: str
    coefficient: Fraction = Fraction(1)
    match: Match | None = None

    @property
    def field(self) -> str | None:
        return self.match.code if self.match else None


@dataclass(frozen=True)
class Proposal:
    formula: str | None  # a key of KINDS; None: the text was not understood
    numerator: tuple[Operand, ...] = ()
    denominator: tuple[Operand, ...] = ()
    direction: Direction = Direction.AT_LEAST
    scale: int = 1
    stages: tuple[Stage, ...] = ()
    base_year: int | None = None
    problem: str = ""  # why no formula was proposed
    notes: tuple[str, ...] = ()


class _NotAFormula(ValueError):
    pass


def _top_level(text: str, operators: str) -> list[tuple[str, str]]:
    """(operator before, piece) for each piece of `text` cut at `operators` outside parentheses."""
    pieces, depth, current, operator = [], 0, "", ""
    for char in text:
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
            if depth < 0:
                raise _NotAFormula("括號不成對")
        if depth == 0 and char in operators:
            pieces.append((operator, current))
            current, operator = "", char
            continue
        current += char
    if depth != 0:
        raise _NotAFormula("括號不成對")
    pieces.append((operator, current))
    return pieces


def _grouped(text: str) -> bool:
    """Whether parentheses wrap the whole text and hold a sum (not a name's own note like 新增(含解控))."""
    if not (text.startswith("(") and text.endswith(")")):
        return False
    try:
        inner = _top_level(text[1:-1], "")
    except _NotAFormula:
        return False
    return bool(inner) and any(operator in text[1:-1] for operator in "+÷×")


def _sum(text: str) -> list[tuple[str, Fraction]]:
    while _grouped(text):
        text = text[1:-1]
    terms = []
    for _, piece in _top_level(text, "+＋"):
        parts = _top_level(piece, "÷×*")
        name, coefficient = parts[0][1], Fraction(1)
        for operator, value in parts[1:]:
            if not NUMBER.match(value):
                raise _NotAFormula(f"「{piece}」不是「項目」或「項目÷數字」")
            coefficient *= 1 / Fraction(value) if operator == "÷" else Fraction(value)
        if not name or any(char in name for char in "+÷×*"):
            raise _NotAFormula(f"「{piece}」無法拆成項目")
        terms.append((name, coefficient))
    return terms


def _ratio(text: str) -> tuple[list[tuple[str, Fraction]], list[tuple[str, Fraction]]] | None:
    """(numerator terms, denominator terms) of 「A÷B」, or None when the text divides nothing."""
    pieces = _top_level(text, "÷")
    cut = [index for index, (operator, piece) in enumerate(pieces) if operator == "÷" and not NUMBER.match(piece)]
    if not cut:
        return None
    if len(cut) > 1:
        raise _NotAFormula("有兩個以上的「÷」")
    numerator = "÷".join(piece if not operator else piece for operator, piece in pieces[:cut[0]])
    denominator = "÷".join(piece for _, piece in pieces[cut[0]:])
    return _sum(numerator), _sum(denominator)


def propose(name: str, method: str, measure: str, target_text: str, fields: Sequence[MonthlyField]) -> Proposal:
    """The formula the row's words describe, with its operands matched to `fields`."""
    whole = normalised(measure)
    remark = ""
    found = REMARK.search(whole)
    if found:
        whole, remark = whole[:found.start()], whole[found.end():]
    words = normalised(f"{name}{measure}{target_text}")
    direction = Direction.AT_MOST if any(word in words for word in CEILING_WORDS) else Direction.AT_LEAST
    notes = []
    if direction is Direction.AT_MOST:
        notes.append("文字中有「以內／不超過／≤」等字樣：目標值視為上限（反向指標）")
    if any(word in normalised(method + measure) for word in MILESTONE_WORDS):
        stages = tuple(Stage(stage_name, Decimal(percent), int(month) if month else None)
                       for stage_name, percent, month in STAGE.findall(unicodedata.normalize("NFKC", measure)))
        match = match_field(f"{name}完成階段", fields, prefer=Aggregation.STOCK)
        if not stages:
            return Proposal(None, (Operand(f"{name}完成階段", match=match),), problem=(
                "評估方式是「完成工作項目」，但衡量標準沒有列出各階段（例如「1.完成細部設計(20%，3月)」）"))
        return Proposal(MILESTONE, (Operand(f"{name}完成階段", match=match),), stages=stages, notes=tuple(notes))
    body = PERCENT_END.sub("", whole)
    percent = body != whole
    scale_found = SCALE_END.search(body)
    scale = int(scale_found.group(1)) if scale_found and not percent else 1
    body = SCALE_END.sub("", body) if scale_found and not percent else body
    body = re.sub(r"[≤<=≥>]+\s*\d+(?:\.\d+)?\s*\S*$", "", body)
    try:
        ratio = _ratio(body)
    except _NotAFormula as error:
        return Proposal(None, problem=f"衡量標準「{measure}」看不出計算方式（{error}）")
    if ratio is not None:
        numerator = tuple(Operand(text, coefficient, match_field(text, fields)) for text, coefficient in ratio[0])
        denominator = tuple(Operand(text, coefficient, match_field(text, fields)) for text, coefficient in ratio[1])
        if percent:
            rounded = any(word in normalised(measure) for word in ROUND_UP_WORDS)
            if rounded:
                notes.append("衡量標準註明「無條件進位」：比率無條件進位至整數百分比")
            return Proposal(ROUNDED_UP if rounded else PERCENT, numerator, denominator, direction, notes=tuple(notes))
        return Proposal(QUOTIENT, numerator, denominator, direction, scale=scale, notes=tuple(notes))
    if percent:
        return Proposal(None, problem=f"衡量標準「{measure}」有「×100%」，但沒有「÷」分出分子與分母")
    growth = GROWTH_BASE.search(words)
    text = f"{name} {measure}"
    if growth:
        match = match_field(text, fields)
        return Proposal(GROWTH, (Operand(text, match=match),), direction=direction, base_year=int(growth.group(1)),
                        notes=tuple(notes))
    if any(word in words for word in SURVEY_WORDS):
        return Proposal(LATEST, (Operand(text, match=match_field(text, fields)),), direction=direction,
                        notes=tuple(notes))
    return Proposal(COUNT, (Operand(text, match=match_field(text, fields, prefer=Aggregation.FLOW, measure=measure)),),
                    direction=direction, notes=tuple(notes))


def new_field_details(text: str, formula: str | None) -> tuple[str, Aggregation, Quantity]:
    """A proposed field's unit, flow or stock, and count or amount, from the words that name it."""
    compact = normalised(text)
    unit = next((unit for word, unit in (("千元", "千元"), ("元", "元"), ("人數", "人"), ("員額", "人"), ("件數", "件"),
                                          ("案件", "案"), ("次數", "次"), ("場次", "場"), ("公尺", "公尺"), ("階段", "階段"))
                 if word in compact), "件")
    stock = (formula in KINDS and KINDS[formula].stock_field) or any(word in compact for word in STOCK_WORDS)
    amount = any(word in compact for word in AMOUNT_WORDS) and unit not in ("人", "件", "案", "次", "場", "階段")
    return unit, Aggregation.STOCK if stock else Aggregation.FLOW, Quantity.AMOUNT if amount else Quantity.COUNT
