"""The 112 annual plan of 新竹縣政府政風處, declared as data.

This module only declares: the strategic goals, the indicators and the monthly fields that
feed them, as frozen dataclasses that read like the plan's own table. The code that runs
them lives in `formulas` and `evaluation`. Adding an indicator is one row in INDICATORS (and
a formula in `formulas.FORMULAS` only if none of the existing ones fits).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from functools import cached_property

from metrics.errors import PlanError


class Aggregation(enum.Enum):
    """How a field adds up over the months of a year."""

    FLOW = "flow"  # the month's own amount; as of month M it is the sum of months 1..M
    STOCK = "stock"  # a position at month end; as of month M it is the latest month <= M


class Quantity(enum.Enum):
    COUNT = "count"  # whole numbers >= 0
    AMOUNT = "amount"  # any number >= 0


@dataclass(frozen=True)
class MonthlyField:
    code: str
    name: str
    unit: str
    aggregation: Aggregation
    quantity: Quantity
    help: str


@dataclass(frozen=True)
class Goal:
    number: int
    title: str
    kind: str  # 業務 / 人力 / 經費 / 性別平等 / 其他
    common: bool  # 共同性指標 (shared by every bureau of the county)
    summary: str


@dataclass(frozen=True)
class Term:
    """One part of a sum: coefficient × field."""

    field: str
    coefficient: Fraction = Fraction(1)
    required: bool = False  # without it the sum has no value; other missing parts count as 0


@dataclass(frozen=True)
class Indicator:
    id: str
    goal: int
    name: str
    short_name: str
    method: str  # 評估方式
    measure: str  # 衡量標準, as the plan writes it
    weight: Decimal  # percent of the plan's total
    target: Decimal  # in `unit`
    unit: str  # 案 / 次 / 件 / %
    formula: str  # key of formulas.FORMULAS
    numerator: tuple[Term, ...]
    denominator: tuple[Term, ...] = ()
    extra_fields: tuple[str, ...] = ()  # fields a formula reads besides the two sums
    accrues: bool = False  # grows over the year, so a pace (target × M ÷ 12) applies
    gap_rule: str = "count"  # key of formulas.GAP_RULES: how far from target, in natural units
    gap_template: str = "還需 {amount} {unit}"
    gap_unit: str = ""
    help: str = ""

    @property
    def is_ratio(self) -> bool:
        return bool(self.denominator)

    @property
    def fields(self) -> tuple[str, ...]:
        seen: dict[str, None] = {}
        for term in (*self.numerator, *self.denominator):
            seen[term.field] = None
        for code in self.extra_fields:
            seen[code] = None
        return tuple(seen)


def _flow(code: str, name: str, unit: str, help: str) -> MonthlyField:
    return MonthlyField(code, name, unit, Aggregation.FLOW, Quantity.COUNT, help)


def _stock(code: str, name: str, unit: str, help: str, quantity: Quantity = Quantity.COUNT) -> MonthlyField:
    return MonthlyField(code, name, unit, Aggregation.STOCK, quantity, help)


FIELDS: tuple[MonthlyField, ...] = (
    _flow("warning_cases", "預警案件數", "案", "當月辦理完成之預警案件數。"),
    _flow("procurement_audits", "採購稽核案件數", "案", "當月辦理之採購稽核案件數。"),
    _flow("complaints_completed", "陳情檢舉完成件數", "案", "當月受理並完成處理之民眾陳情檢舉件數。"),
    _flow("infosec_audits", "資通安全稽核件數", "案", "當月依資通安全管理法辦理之機關內外部資通安全稽核件數。"),
    _flow("pinhole_inspections", "廁所及哺集乳室反針孔檢查次數", "次", "當月會同廳舍管理單位進行之反針孔檢查次數。"),
    _flow("harassment_courses", "職場性騷擾防治課程場次", "場", "當月辦理之職場性騷擾防治相關課程場次。"),
    _stock("new_positions", "新增(含解控)預算員額數", "人", "111 年起獲新增(含解控)之預算員額數，填月底數。"),
    _stock("reduced_contract", "精簡之縣款聘僱人員數", "人", "累計已精簡之縣款聘僱人員數，填月底數。"),
    _stock("reduced_temp", "精簡之縣款臨時人員數", "人", "累計已精簡之縣款臨時人員數，填月底數（2 名折算 1 名）。"),
    _stock("contract_budget_positions", "縣款聘僱預算員額數", "人", "縣款聘僱人員預算員額數，填月底數。"),
    _stock("temp_budget_positions", "縣款臨時人員預算員額數", "人", "縣款臨時人員預算員額數，填月底數。"),
    _stock("hakka_certified", "已通過客語認證人數", "人", "單位內已通過客語認證之公務人員及聘僱人員人數，填月底數。"),
    _stock("staff_headcount", "公務人員及聘僱人員現職人數", "人", "單位內公務人員及聘僱人員現職人數，填月底數。"),
    _stock("budget_amount", "預算數", "千元", "當年度預算數（千元）。", Quantity.AMOUNT),
    _stock("actual_spent", "實支數(累計)", "千元", "年初至月底累計實支數（千元）。", Quantity.AMOUNT),
    _stock("payables", "應付數(累計)", "千元", "年初至月底累計應付數（千元）。", Quantity.AMOUNT),
    _stock("savings", "節餘數(累計)", "千元", "年初至月底累計節餘數（千元）。", Quantity.AMOUNT),
    _stock("reserved", "控留數(累計)", "千元", "年初至月底累計控留數（千元）。", Quantity.AMOUNT),
    _flow("gender_analyses", "性別分析件數", "件", "當月完成之性別分析件數。"),
    _flow("gender_impact_reviews", "性別影響評估檢視表件數", "件", "當月完成之性別影響評估檢視表件數。"),
    _flow("edoc_sent_electronic", "電子發文件數", "件", "當月以電子交換方式發文之件數。"),
    _flow("edoc_sent_total", "發文總件數", "件", "當月發文總件數（電子及紙本）。"),
    _flow("online_signed", "公文線上簽核件數", "件", "當月以線上簽核方式處理之公文件數。"),
    _flow("edoc_received_electronic", "電子公文收文總數", "件", "當月電子公文收文件數。"),
    _flow("paper_received_signed_online", "紙本來文線上簽核數", "件", "當月紙本來文經掃描後線上簽核之件數。"),
    _flow("self_created_drafts", "自創簽稿數", "件", "當月自行創簽稿之件數。"),
)


GOALS: tuple[Goal, ...] = (
    Goal(1, "建立防貪機制，預防機關發生貪瀆不法", "業務", False,
         "藉由走動式、複合式工程查核、監辦採購、實地驗收等預警作為，減少浪費及節省公帑。"),
    Goal(2, "監辦採購業務，落實採購稽核機制，建構本縣公平公開之採購環境", "業務", False,
         "監辦開標、比價、議價、決標、驗收程序，並以書面或實地稽核健全採購制度。"),
    Goal(3, "妥慎處理檢舉案件，樹立廉潔政府", "業務", False,
         "縝密查察民眾陳情檢舉案件，不實者即時澄清，查有不法者積極究辦。"),
    Goal(4, "協助機關強化資訊機密維護措施，建構資訊安全網絡", "業務", False,
         "協助強化資通安全管理機制，防範公務機密外洩。"),
    Goal(5, "配合辦理本府 111 年至 113 年推動各機關性別主流化實施計畫，推行「性平好生活」", "業務", False,
         "就人身安全層面檢視公共空間安全，並強化同仁性別意識與敏感度。"),
    Goal(6, "調整控管聘僱及臨時人力，落實獎優汰劣之考核用人管理機制", "人力", True,
         "新增(含解控)員額每 1 人，應相對精簡聘僱人員 1 人或臨時人員 2 人。"),
    Goal(7, "提升公務人員及聘僱人員客語認證完成率", "人力", True,
         "配合「客語為通行語實施辦法」，逐年提升客語能力認證通過比例。"),
    Goal(8, "提升資源使用效益，妥適配置政府資源", "經費", True,
         "提升預算執行績效，確保各項施政如期完成。"),
    Goal(9, "性別分析及性別影響評估辦理情形", "性別平等", True,
         "運用性別統計與性別分析，找出性別議題並據以調整計畫。"),
    Goal(10, "提升行政效率推動公文無紙化作業", "其他", True,
         "推動電子公文交換與線上簽核，縮短公文往返時間並節能減紙。"),
)


def _count(id: str, goal: int, name: str, short_name: str, measure: str, weight: str, target: str,
           unit: str, field_code: str, help: str) -> Indicator:
    return Indicator(
        id=id, goal=goal, name=name, short_name=short_name, method="統計數據", measure=measure,
        weight=Decimal(weight), target=Decimal(target), unit=unit, formula="count",
        numerator=(Term(field_code),), accrues=True, help=help,
    )


INDICATORS: tuple[Indicator, ...] = (
    _count("1", 1, "辦理預警案件", "辦理預警案件", "辦理案件數", "12.5", "2", "案", "warning_cases",
           "年度內辦理完成之預警案件數（各月預警案件數加總）。"),
    _count("2", 2, "辦理採購稽核案件", "採購稽核案件", "辦理案件數", "12.5", "130", "案", "procurement_audits",
           "年度內辦理之採購稽核案件數（各月加總）。"),
    _count("3", 3, "受理民眾陳情檢舉，並予以完成", "陳情檢舉完成", "辦理案件數", "12.5", "150", "案",
           "complaints_completed", "年度內受理並完成之民眾陳情檢舉件數（各月加總）。"),
    _count("4", 4, "依照資通安全管理法及相關法規範辦理機關內外部資通安全稽核，以強化資通安全管理機制，"
           "並阻斷法定職務必要範圍外之使用", "資通安全稽核", "辦理案件數", "12.5", "1", "案", "infosec_audits",
           "年度內辦理之機關內外部資通安全稽核件數（各月加總）。"),
    _count("5-1", 5, "會同本府廳舍安全管理權責單位，每年定期進行廁所及哺集乳室反針孔檢查", "反針孔檢查",
           "檢查次數", "2.5", "4", "次", "pinhole_inspections", "年度內廁所及哺集乳室反針孔檢查次數（各月加總）。"),
    _count("5-2", 5, "辦理職場性騷擾防治相關課程，強化同仁之性別意識並提升性別敏感度，增進知能",
           "性騷擾防治課程", "辦理場次", "2.5", "1", "次", "harassment_courses",
           "年度內辦理職場性騷擾防治課程場次（各月加總）。"),
    Indicator(
        id="6", goal=6, name="單位聘僱、臨時人力精簡率", short_name="聘僱臨時人力精簡率", method="統計數據",
        measure="(精簡之縣款聘僱人員數+精簡之縣款臨時人員數÷2)÷新增(含解控)預算員額數×100% "
                "備註：計算結果如有小數點，應無條件進位。",
        weight=Decimal("5.0"), target=Decimal("50"), unit="%", formula="reduction_rate",
        numerator=(Term("reduced_contract"), Term("reduced_temp", Fraction(1, 2))),
        denominator=(Term("new_positions"),),
        extra_fields=("contract_budget_positions", "temp_budget_positions"), gap_rule="reduction",
        gap_template="還需精簡 {amount} 人（聘僱人員計 1 人、臨時人員 2 人計 1 人）",
        help="分母為新增(含解控)預算員額數；若縣款聘僱預算員額數＋臨時人員預算員額數÷2 少於該數，"
             "分母改為該合計數（計畫補充說明（三））。結果無條件進位至整數百分比。",
    ),
    Indicator(
        id="7", goal=7, name="單位公務人員及聘僱人員客語認證完成率", short_name="客語認證完成率", method="統計數據",
        measure="單位內已通過客語認證人數÷單位內公務人員及聘僱人員現職人數(以當年度最後一日在職人數計算)×100%",
        weight=Decimal("5.0"), target=Decimal("40.7"), unit="%", formula="percent",
        numerator=(Term("hakka_certified"),), denominator=(Term("staff_headcount"),),
        gap_rule="whole_fixed_denominator", gap_template="還需 {amount} 人通過客語認證", gap_unit="人",
        help="以最近一次填報之月底人數計算；年度評核以當年度最後一日在職人數為準。",
    ),
    Indicator(
        id="8", goal=8, name="預算執行率", short_name="預算執行率", method="統計數據",
        measure="(當年度實支數+應付數+節餘數+控留數)÷預算數×100%",
        weight=Decimal("10.0"), target=Decimal("85"), unit="%", formula="percent",
        numerator=(Term("actual_spent", required=True), Term("payables"), Term("savings"), Term("reserved")),
        denominator=(Term("budget_amount"),), accrues=True,
        gap_rule="amount_fixed_denominator", gap_template="還需執行 {amount} 千元", gap_unit="千元",
        help="實支、應付、節餘、控留均為年初至月底累計數；任一項有填報時，未填之項以 0 計。",
    ),
    _count("9-1", 9, "對於性別處境之議題，採用質化或量化方法進行分析", "性別分析", "性別分析件數", "5.0", "1",
           "件", "gender_analyses", "年度內完成之性別分析件數（各月加總）。"),
    _count("9-2", 9, "運用性別統計及性別分析，找出性別議題之情形", "性別影響評估", "性別影響評估檢視表件數",
           "5.0", "2", "件", "gender_impact_reviews", "年度內完成之性別影響評估檢視表件數（各月加總）。"),
    Indicator(
        id="10-1", goal=10, name="公文電子交換比率", short_name="公文電子交換比率", method="統計數據",
        measure="電子發文件數÷發文總件數×100%",
        weight=Decimal("5.0"), target=Decimal("97"), unit="%", formula="percent",
        numerator=(Term("edoc_sent_electronic"),), denominator=(Term("edoc_sent_total"),),
        gap_rule="growing_denominator", gap_template="還需 {amount} 件電子發文（以後續發文全數電子交換計）", gap_unit="件",
        help="年初至當月電子發文件數合計 ÷ 發文總件數合計（比值之合計，非各月比率之平均）。",
    ),
    Indicator(
        id="10-2", goal=10, name="公文線上簽核比率", short_name="公文線上簽核比率", method="統計數據",
        measure="公文線上簽核件數÷(電子公文收文總數+紙本來文線上簽核數+自創簽稿數)×100%",
        weight=Decimal("5.0"), target=Decimal("72"), unit="%", formula="percent",
        numerator=(Term("online_signed"),),
        denominator=(Term("edoc_received_electronic"), Term("paper_received_signed_online"),
                     Term("self_created_drafts")),
        gap_rule="growing_denominator", gap_template="還需 {amount} 件線上簽核（以後續公文全數線上簽核計）", gap_unit="件",
        help="年初至當月合計；分母三項任一項有填報時，未填之項以 0 計。",
    ),
)


@dataclass(frozen=True)
class Plan:
    """A validated plan with its lookups built once."""

    organisation: str
    unit: str
    year: int  # ROC year
    goals: tuple[Goal, ...]
    indicators: tuple[Indicator, ...]
    fields: tuple[MonthlyField, ...]
    weight_total: Decimal = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "weight_total", sum((i.weight for i in self.indicators), Decimal(0)))

    @cached_property
    def field_by_code(self) -> dict[str, MonthlyField]:
        return {f.code: f for f in self.fields}

    @cached_property
    def field_by_name(self) -> dict[str, MonthlyField]:
        return {f.name: f for f in self.fields}

    @cached_property
    def goal_by_number(self) -> dict[int, Goal]:
        return {g.number: g for g in self.goals}

    @cached_property
    def indicator_by_id(self) -> dict[str, Indicator]:
        return {i.id: i for i in self.indicators}

    def indicators_of(self, goal: int) -> tuple[Indicator, ...]:
        return tuple(i for i in self.indicators if i.goal == goal)

    def goal_weight(self, goal: int) -> Decimal:
        return sum((i.weight for i in self.indicators_of(goal)), Decimal(0))

    def field(self, code_or_name: str) -> MonthlyField | None:
        key = code_or_name.strip()
        return self.field_by_code.get(key) or self.field_by_name.get(key)


def build_plan(organisation: str, unit: str, year: int, goals: tuple[Goal, ...],
               indicators: tuple[Indicator, ...], fields: tuple[MonthlyField, ...]) -> Plan:
    """Validate the declarations and index them; every mistake is named."""
    from metrics.formulas import FORMULAS, GAP_RULES

    problems: list[str] = []

    def duplicates(values: list) -> set:
        return {value for value in values if values.count(value) > 1}

    for code in sorted(duplicates([f.code for f in fields])):
        problems.append(f"項目代碼 {code} 重複宣告")
    for name in sorted(duplicates([f.name for f in fields])):
        problems.append(f"項目名稱 {name} 重複宣告")
    for number in sorted(duplicates([g.number for g in goals])):
        problems.append(f"策略目標 {number} 重複宣告")
    for indicator_id in sorted(duplicates([i.id for i in indicators])):
        problems.append(f"指標 {indicator_id} 重複宣告")
    codes = {f.code for f in fields}
    numbers = {g.number for g in goals}
    for indicator in indicators:
        label = f"指標 {indicator.id}"
        if indicator.goal not in numbers:
            problems.append(f"{label} 所屬策略目標 {indicator.goal} 不存在")
        for code in indicator.fields:
            if code not in codes:
                problems.append(f"{label} 使用未宣告的項目 {code}")
        if indicator.gap_rule not in GAP_RULES:
            problems.append(f"{label} 的差距規則 {indicator.gap_rule} 不存在（可用：{'、'.join(sorted(GAP_RULES))}）")
        if indicator.formula not in FORMULAS:
            problems.append(f"{label} 的公式 {indicator.formula} 不存在（可用：{'、'.join(sorted(FORMULAS))}）")
        if not isinstance(indicator.weight, Decimal) or indicator.weight <= 0:
            problems.append(f"{label} 權重缺漏或不大於 0：{indicator.weight!r}")
        if not isinstance(indicator.target, Decimal) or indicator.target <= 0:
            problems.append(f"{label} 目標值缺漏或不大於 0：{indicator.target!r}")
        if not indicator.numerator:
            problems.append(f"{label} 沒有分子項目")
        if not indicator.help:
            problems.append(f"{label} 缺少說明文字")
    for goal in goals:
        if not any(i.goal == goal.number for i in indicators):
            problems.append(f"策略目標 {goal.number} 沒有任何指標")
    if problems:
        raise PlanError("計畫宣告有誤：\n" + "\n".join(problems))
    return Plan(organisation, unit, year, goals, indicators, fields)


PLAN_112 = build_plan("新竹縣政府政風處", "政風處", 112, GOALS, INDICATORS, FIELDS)
