"""What the dashboard shows, computed once and without streamlit: captions under a gauge, a formula
with this month's numbers, the monthly series of an indicator, the report's rows, the what-if
tables and their scenarios, the upload preview and history as tables people read.

Every number is formatted here with thousands separators; every text is Traditional Chinese with
ROC years.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from typing import Protocol

import pandas as pd

from metrics.errors import Problem
from metrics.evaluation.core import Evaluation, IndicatorResult, MultiYearPoints, evaluate_indicator
from metrics.evaluation.figures import Figures
from metrics.outputs.batches import periods_text
from metrics.plans.formulas import Computation, Term, format_number, sum_terms, terms_label
from metrics.intake.parsing import format_taiwan_time, month_label
from metrics.plans.plan import Aggregation, Indicator, MonthlyField, Plan, Quantity
from metrics.texts import visible


class NoteLike(Protocol):
    reason: str
    action: str


# ---- small formatting helpers ----

def months_text(months: Iterable[int]) -> str:
    return "、".join(f"{month}月" for month in months)


def taiwan_time(moment: dt.datetime | None) -> str:
    """An aware (or naive UTC) time as 112/03/05 14:20, Taiwan time; '—' for None."""
    if moment is None or pd.isna(moment):
        return "—"
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.timezone.utc)
    return format_taiwan_time(moment)


def achievement_text(result: IndicatorResult) -> str:
    if result.achievement is None:
        return "—"
    return f"{format_number(result.achievement * 100, 1)}%"


def score_text(score: Fraction | None) -> str:
    return "—" if score is None else f"{format_number(score)} 分"


def weight_text(weight: Fraction | Decimal) -> str:
    return f"{format_number(Fraction(weight))}%"


def field_unit(plan: Plan, terms: Sequence[Term]) -> str:
    return plan.field_by_code[terms[0].field].unit if terms else ""


# ---- the numbers behind an indicator ----

def denominator_label(result: IndicatorResult, figures: Figures) -> str:
    """An indicator with an alternative denominator (indicator 6, the plan's rule (三)) may switch to it;
    say which one was used."""
    indicator = result.indicator
    if indicator.alternative_denominator and result.computation.denominator is not None:
        values = {term.field: figures.as_of(term.field, result.as_of_month) for term in indicator.denominator}
        if result.computation.denominator != sum_terms(indicator.denominator, values):
            return terms_label(indicator.alternative_denominator, figures.plan.field_by_code)
    return result.denominator_label


def ratio_parts(result: IndicatorResult, figures: Figures) -> str:
    """'電子發文件數 1,180 / 發文總件數 1,216 件' for a ratio of one unit; each number with its own unit when they
    differ ('處理日數 412 日 / 結案件數 96 件', a quotient); '' for a count or without numbers."""
    indicator = result.indicator
    computation = result.computation
    if not indicator.kind.shows_parts(computation):
        return ""
    unit = field_unit(figures.plan, indicator.numerator)
    denominator_unit = field_unit(figures.plan, indicator.denominator)
    numerator = result.numerator_label if len(indicator.numerator) == 1 else f"({result.numerator_label})"
    denominator = denominator_label(result, figures)
    if "＋" in denominator:
        denominator = f"({denominator})"
    if denominator_unit and denominator_unit != unit:
        return (f"{numerator} {format_number(computation.numerator)} {unit} / "
                f"{denominator} {format_number(computation.denominator)} {denominator_unit}").replace("  ", " ")
    return (f"{numerator} {format_number(computation.numerator)} / "
            f"{denominator} {format_number(computation.denominator)} {unit}")


def _term_text(term: Term, figures: Figures, month: int, sigma: bool = False) -> str:
    monthly_field = figures.plan.field_by_code[term.field]
    value = figures.as_of(term.field, month)
    shown = "未填報（以 0 計）" if value is None else format_number(value)
    sign = "Σ" if sigma and monthly_field.aggregation is Aggregation.FLOW else ""
    text = f"{sign}{monthly_field.name} {shown}"
    if term.coefficient != 1:
        text += f" ÷ {format_number(1 / term.coefficient)}" if term.coefficient.numerator == 1 \
            else f" × {format_number(term.coefficient)}"
    return text


@dataclass(frozen=True)
class _Reading:
    """The month's numbers of one result, as a kind's formula text asks for them (metrics.plans.kinds.Reading)."""

    result_: IndicatorResult
    figures: Figures

    @property
    def result(self) -> str:
        return self.result_.format_value(self.result_.actual)

    @property
    def computation(self) -> Computation:
        return self.result_.computation

    def sum_text(self, terms: Sequence[Term], sigma: bool = False) -> str:
        parts = [_term_text(term, self.figures, self.result_.as_of_month, sigma) for term in terms]
        return parts[0] if len(parts) == 1 else "(" + " ＋ ".join(parts) + ")"

    def months_text(self, code: str) -> str:
        month, year = self.result_.as_of_month, self.figures.plan.year
        monthly = [self.figures.monthly(code, m) for m in range(1, month + 1)]
        reported = [format_number(value) for value in monthly if value is not None]
        name = self.figures.plan.field_by_code[code].name
        return f"{name}（{year}年1月至{month}月合計）＝ " + " ＋ ".join(reported)

    def field_name(self, code: str) -> str:
        return self.figures.plan.field_by_code[code].name

    def latest_text(self, code: str) -> str:
        month, year = self.result_.as_of_month, self.figures.plan.year
        reported = next(m for m in range(month, 0, -1) if self.figures.monthly(code, m) is not None)
        name = self.figures.plan.field_by_code[code].name
        return f"{name}（{year}年{reported}月填報，取最近一個月）{format_number(self.figures.monthly(code, reported))}"

    def denominator_used(self) -> str:
        return f"{denominator_label(self.result_, self.figures)} {format_number(self.result_.computation.denominator)}"


def formula_text(result: IndicatorResult, figures: Figures) -> str:
    """The plan's formula with the numbers as of the month substituted, ending in the result."""
    if result.actual is None:
        return f"尚無結果：{result.computation.note or result.status_label}"
    return result.indicator.kind.formula_text(result.indicator, _Reading(result, figures))


def gauge_lines(result: IndicatorResult, figures: Figures) -> list[str]:
    """The lines printed under a gauge: numbers, status, gap, projection, months not reported."""
    lines = []
    parts = ratio_parts(result, figures)
    if parts:
        lines.append(parts)
    target = result.target_text
    if result.pace is not None and result.pace < result.target and result.status not in ("met", "not_applicable"):
        target += f"（至 {result.as_of_month} 月進度 {result.format_value(result.pace)}）"
    lines.append(f"狀態：{result.status_label}｜目標 {target}｜達成率 {achievement_text(result)}")
    if result.gap_text:
        lines.append(f"差距：{result.gap_text}")
    if result.projection is not None:
        lines.append(f"年底預估：{result.projection_text}")
    if result.computation.note and result.status != "no_data":
        lines.append(result.computation.note)
    if result.missing_months and figures.reported_months():  # a year with nothing uploaded is said once, not per gauge
        lines.append(f"⚠ 尚未填報：{months_text(result.missing_months)}")
    return lines


# ---- the monthly series of one indicator ----

def _number(value: Fraction | Decimal | None) -> float | None:
    return None if value is None else float(value)


def monthly_value(indicator: Indicator, figures: Figures, month: int) -> Fraction | None:
    """The month's own amount (counts) or own ratio (ratios of flows); None for stocks."""
    plan = figures.plan
    if any(plan.field_by_code[code].aggregation is Aggregation.STOCK for code in indicator.fields):
        return None
    values = {code: (None if figures.monthly(code, month) is None else Fraction(figures.monthly(code, month)))
              for code in indicator.fields}
    return indicator.kind.compute(indicator, values, plan.field_by_code).actual


def indicator_series(figures: Figures, indicator_id: str, as_of_month: int,
                     target: Fraction | None = None) -> pd.DataFrame:
    """One row per month 1..12: label, year-to-date actual (to the as-of month), the month's own value,
    the pace line (accruing indicators) and the target; NaN where there is no value (a gap in a chart)."""
    plan = figures.plan
    indicator = plan.indicator_by_id[indicator_id]
    goal = plan.goal_by_number[indicator.goal]
    target = Fraction(indicator.target) if target is None else Fraction(target)
    rows = []
    for month in range(1, 13):
        actual = monthly = None
        if month <= as_of_month:
            actual = evaluate_indicator(indicator, goal, figures, month, target, Fraction(indicator.weight)).actual
            monthly = monthly_value(indicator, figures, month)
        rows.append({
            "month": month,
            "label": f"{month}月",
            "actual": _number(actual),
            "monthly": _number(monthly),
            "pace": _number(target * month / 12) if indicator.accrues else None,
            "target": float(target),
        })
    frame = pd.DataFrame(rows, columns=["month", "label", "actual", "monthly", "pace", "target"])
    return frame.astype({"actual": float, "monthly": float, "pace": float, "target": float})  # None → NaN, a gap


def provenance_table(frame: pd.DataFrame, indicator: Indicator, plan: Plan, *, as_of_month: int) -> pd.DataFrame:
    """Each number behind the indicator up to the month (the plan's unit and year), with the upload it came from."""
    columns = ["項目", "月份", "數值", "檔案", "工作表", "儲存格／列", "上傳時間", "上傳者"]
    if frame.empty:
        return pd.DataFrame(columns=columns)
    year, unit = plan.year, plan.unit
    order = {code: index for index, code in enumerate(indicator.fields)}
    rows = frame[(frame["year"] == year) & (frame["unit"] == unit) & (frame["field"].isin(order))
                 & (frame["month"] <= as_of_month)]
    records = []
    for record in rows.to_dict("records"):
        records.append((order[record["field"]], int(record["month"]), {
            "項目": plan.field_by_code[record["field"]].name,
            "月份": month_label(year, int(record["month"])),
            "數值": format_number(Fraction(record["value"])),
            "檔案": record.get("source_file") or "",
            "工作表": record.get("source_sheet") or "",
            "儲存格／列": record.get("source_cell") or "",
            "上傳時間": taiwan_time(record.get("uploaded_at")) if record.get("uploaded_at") is not None else "範例資料（未儲存）",
            "上傳者": record.get("uploader") or "",
        }))
    records.sort(key=lambda item: (item[0], item[1]))
    return pd.DataFrame([record for _, _, record in records], columns=columns)


# ---- the official table (報表匯出) ----

def report_heading(evaluation: Evaluation, *, label: str = "") -> tuple[str, str]:
    """The title and subtitle of a report: the unit, the year, the month and the plan version it was scored by."""
    plan = evaluation.plan
    year = plan.year
    title = f"{plan.organisation} {year} 年度施政計畫績效指標執行情形"
    subtitle = (f"{plan.unit_name}｜統計至 {year} 年 {evaluation.as_of_month} 月｜加權分數 {score_text(evaluation.weighted_score)}"
                f"（計畫權重合計 {weight_text(plan.weight_total)}，以適用指標權重 {weight_text(evaluation.weight_total)} 計算）"
                f"｜{plan.version_text}")
    if label:
        subtitle = f"{label}｜{subtitle}"
    return title, subtitle


# The official report's columns in order: (key of a report_rows row, header). Each rendering (the .xlsx, the PDF, the
# page's table) gives its own widths through report_columns.
REPORT_HEADERS: tuple[tuple[str, str], ...] = (
    ("goal", "策略目標"), ("indicator", "績效指標"), ("weight", "權重"), ("target", "目標值"), ("actual", "實際值"),
    ("achievement", "達成率"), ("status", "狀態"), ("gap", "差距"), ("projection", "年底預估"),
    ("reason", "落後原因"), ("action", "改進措施"),
)
CENTRED_COLUMNS = frozenset({"weight", "target", "actual", "achievement", "status", "projection"})


def report_columns(widths: Mapping[str, float]) -> tuple[tuple[str, str, float], ...]:
    """(key, header, width) for every column of the report, in order; `widths` names each key once."""
    return tuple((key, header, widths[key]) for key, header in REPORT_HEADERS)


def report_rows(evaluation: Evaluation, notes: Mapping[str, NoteLike] | None = None) -> list[dict[str, object]]:
    """One dict per indicator with the keys metrics.outputs.report.build_report expects."""
    notes = notes or {}
    rows: list[dict[str, object]] = []
    for result in evaluation.results:
        note = notes.get(result.indicator.id)
        rows.append({
            # Texts stored before the cleaning rule may hold control characters: shown visibly everywhere.
            "goal": visible(f"{result.goal.number}. {result.goal.title}"),
            "indicator": visible(f"{result.indicator.id} {result.indicator.name}"),
            "weight": Decimal(result.weight.numerator) / Decimal(result.weight.denominator),
            "target": result.target_text,
            "actual": result.format_value(result.actual),
            "achievement": achievement_text(result),
            "status": result.status_label,
            "gap": result.gap_text or "—",
            "projection": result.projection_text,  # a capped projection says so, on the page and in the PDF
            "reason": visible(note.reason) if note else "",
            "action": visible(note.action) if note else "",
        })
    return rows


def behind_without_reason(evaluation: Evaluation, notes: Mapping[str, NoteLike]) -> list[str]:
    """Ids of the indicators that are behind and have no 落後原因 for the month yet."""
    return [result.indicator.id for result in evaluation.results
            if result.status == "behind" and not (notes.get(result.indicator.id) and notes[result.indicator.id].reason)]


# ---- what-if (情境模擬) ----

TARGET_COLUMNS = ("指標", "名稱", "計畫目標值", "模擬目標值", "單位", "計畫權重", "模擬權重")
ADDITION_COLUMNS = ("項目", "月份", "數量")


def targets_table(plan: Plan, targets: Mapping[str, Fraction | Decimal] | None = None,
                  weights: Mapping[str, Fraction | Decimal] | None = None) -> pd.DataFrame:
    """The 13 targets and weights as the what-if editor shows them (plan values unless given)."""
    targets = targets or {}
    weights = weights or {}
    records = [{
        "指標": indicator.id,
        "名稱": indicator.short_name,
        "計畫目標值": float(indicator.target),
        "模擬目標值": float(targets.get(indicator.id, indicator.target)),
        "單位": indicator.unit,
        "計畫權重": float(indicator.weight),
        "模擬權重": float(weights.get(indicator.id, indicator.weight)),
    } for indicator in plan.indicators]
    return pd.DataFrame(records, columns=list(TARGET_COLUMNS))


def additions_table(plan: Plan, additions: Iterable[tuple[str, int, Decimal]] = ()) -> pd.DataFrame:
    """Assumed additional figures as rows (項目 as the Chinese name, 月份, 數量)."""
    records = [{"項目": plan.field_by_code[code].name, "月份": int(month), "數量": float(amount)}
               for code, month, amount in additions]
    frame = pd.DataFrame(records, columns=list(ADDITION_COLUMNS))
    return frame.astype({"項目": object, "月份": "Int64", "數量": "Float64"})


def _exact(raw: object) -> Decimal | None:
    if raw is None or (isinstance(raw, float) and math.isnan(raw)) or raw is pd.NA:
        return None
    try:
        value = Decimal(str(raw))
    except InvalidOperation:
        return None
    if not value.is_finite():
        return None
    return Decimal(int(value)) if value == value.to_integral_value() else value.normalize()


def read_targets_table(table: pd.DataFrame, plan: Plan) -> tuple[dict[str, Decimal], dict[str, Decimal], list[Problem]]:
    """What-if targets and weights that differ from the plan; a bad cell keeps the plan's value."""
    targets: dict[str, Decimal] = {}
    weights: dict[str, Decimal] = {}
    problems: list[Problem] = []
    for row in table.to_dict("records"):
        indicator = plan.indicator_by_id.get(str(row["指標"]))
        if indicator is None:
            continue
        name = f"指標 {indicator.id}（{indicator.short_name}）"
        target = _exact(row["模擬目標值"])
        if target is None or (target <= 0 and not indicator.kind.signed_target):
            problems.append(Problem(f"{name}的模擬目標值{_typed(row['模擬目標值'])}須為大於 0 的數字，"
                                    f"暫以計畫目標值 {format_number(Fraction(indicator.target))} 計算。", field="模擬目標值"))
        elif indicator.upper_bound is not None and target > indicator.upper_bound:
            problems.append(Problem(f"{name}的模擬目標值（目前是 {format_number(Fraction(target))}）超過此指標的上限 "
                                    f"{format_number(Fraction(indicator.upper_bound))}，無法達成，"
                                    f"暫以計畫目標值 {format_number(Fraction(indicator.target))} 計算。", field="模擬目標值"))
        elif target != indicator.target:
            targets[indicator.id] = target
        weight = _exact(row["模擬權重"])
        if weight is None or not 0 <= weight <= 100:
            problems.append(Problem(f"{name}的模擬權重{_typed(row['模擬權重'])}須為 0 至 100 的數字，"
                                    f"暫以計畫權重 {format_number(Fraction(indicator.weight))} 計算。", field="模擬權重"))
        elif weight != indicator.weight:
            weights[indicator.id] = weight
    return targets, weights, problems


def _typed(value: object) -> str:
    """What was typed, quoted for a message (「目前是 120」), or that nothing was."""
    exact = _exact(value)
    if exact is not None:
        return f"（目前是 {format_number(Fraction(exact))}）"
    return "（目前空白）" if value is None or pd.isna(value) or str(value).strip() == "" else f"（目前是「{value}」）"


def read_additions_table(table: pd.DataFrame, plan: Plan) -> tuple[list[tuple[str, int, Decimal]], list[Problem]]:
    """Rows of assumed figures as (field code, month, amount); blank rows are ignored."""
    additions: list[tuple[str, int, Decimal]] = []
    problems: list[Problem] = []
    for number, row in enumerate(table.to_dict("records"), start=1):
        name, month, amount = row.get("項目"), _exact(row.get("月份")), _exact(row.get("數量"))
        if (name is None or pd.isna(name) or str(name).strip() == "") and month is None and amount is None:
            continue
        place = f"第 {number} 列"
        monthly_field = plan.field(str(name)) if isinstance(name, str) else None
        if monthly_field is None:
            problems.append(Problem(f"{place}：請選擇項目。", field="項目"))
            continue
        if month is None or month != month.to_integral_value() or not 1 <= month <= 12:
            problems.append(Problem(f"{place}（{monthly_field.name}）：月份須為 1 至 12{_typed(row.get('月份'))}。",
                                    field="月份"))
            continue
        if amount is None or amount < 0:
            problems.append(Problem(f"{place}（{monthly_field.name}）：數量須為 0 以上的數字{_typed(row.get('數量'))}。",
                                    field="數量"))
            continue
        if monthly_field.quantity is Quantity.COUNT and amount != amount.to_integral_value():
            problems.append(Problem(f"{place}（{monthly_field.name}）：數量須為整數（{monthly_field.unit}）"
                                    f"{_typed(row.get('數量'))}。",
                                    field="數量"))
            continue
        additions.append((monthly_field.code, int(month), amount))
    return additions, problems


def apply_additions(figures: Figures, additions: Iterable[tuple[str, int, Decimal]]) -> Figures:
    """Figures with assumed extras: a flow's month grows by the amount; a stock (a month-end position)
    grows by the amount from that month on, starting from its value as of that month."""
    plan = figures.plan
    flows: dict[str, dict[int, Decimal]] = {}
    stocks: list[tuple[str, int, Decimal]] = []
    for code, month, amount in additions:
        if plan.field_by_code[code].aggregation is Aggregation.FLOW:
            flows.setdefault(code, {})
            flows[code][month] = flows[code].get(month, Decimal(0)) + amount
        else:
            stocks.append((code, month, amount))
    result = figures.with_additions(flows)
    for code, month, amount in sorted(stocks, key=lambda item: item[1]):
        by_month = result.values.setdefault(code, {})
        earlier = [m for m in by_month if m <= month]
        if month not in by_month:
            by_month[month] = by_month[max(earlier)] if earlier else Decimal(0)
        for reported in [m for m in by_month if m >= month]:
            by_month[reported] += amount
    return result


def scenario_month(as_of_month: int, additions: Iterable[tuple[str, int, Decimal]]) -> int:
    """A scenario looks as far as its latest assumed month."""
    return max([as_of_month, *(month for _, month, _ in additions)])


COMPARISON_COLUMNS = ("指標", "目標", "實際值", "達成率", "變化", "狀態", "權重")


def _official_then_scenario(official: str, scenario: str) -> str:
    return official if official == scenario else f"{official} → {scenario}"


def comparison_table(official: Evaluation, scenario: Evaluation) -> pd.DataFrame:
    """Per indicator, one short column per quantity: the official value, and "official → what-if" where the
    scenario differs, so the table fits a laptop and a phone shows the indicator with the first numbers."""
    records = []
    for before, after in zip(official.results, scenario.results):
        change = "—"
        if before.achievement is not None and after.achievement is not None:
            points = (after.achievement - before.achievement) * 100
            change = "無變化" if points == 0 else f"{'+' if points > 0 else ''}{format_number(points, 1)} 個百分點"
        records.append({
            "指標": f"{before.indicator.id} {before.indicator.short_name}",
            "目標": _official_then_scenario(before.format_value(before.target), after.format_value(after.target)),
            "實際值": _official_then_scenario(before.format_value(before.actual), after.format_value(after.actual)),
            "達成率": _official_then_scenario(achievement_text(before), achievement_text(after)),
            "變化": change,
            "狀態": _official_then_scenario(before.status_label, after.status_label),
            "權重": _official_then_scenario(weight_text(before.weight), weight_text(after.weight)),
        })
    return pd.DataFrame(records, columns=list(COMPARISON_COLUMNS))


def comparison_changes(official: Evaluation, scenario: Evaluation) -> list[bool]:
    """Per indicator (in the plan's order): whether the scenario changed its target, weight or result."""
    return [(before.target, before.weight, before.actual, before.status) != (after.target, after.weight, after.actual,
                                                                             after.status)
            for before, after in zip(official.results, scenario.results)]


def score_change(official: Evaluation, scenario: Evaluation) -> Fraction | None:
    if official.weighted_score is None or scenario.weighted_score is None:
        return None
    return scenario.weighted_score - official.weighted_score


SCENARIO_VERSION = 1


def scenario_payload(targets: Mapping[str, Decimal], weights: Mapping[str, Decimal],
                     additions: Iterable[tuple[str, int, Decimal]]) -> dict[str, object]:
    """A scenario as plain JSON (numbers as exact decimal strings)."""
    return {
        "version": SCENARIO_VERSION,
        "targets": {key: format(value, "f") for key, value in targets.items()},
        "weights": {key: format(value, "f") for key, value in weights.items()},
        "additions": [{"field": code, "month": month, "amount": format(amount, "f")}
                      for code, month, amount in additions],
    }


def scenario_from_payload(payload: Mapping[str, object], plan: Plan
                          ) -> tuple[dict[str, Decimal], dict[str, Decimal], list[tuple[str, int, Decimal]]]:
    """The reverse of scenario_payload; unknown indicators or fields (an older plan) are left out."""
    def numbers(raw: object) -> dict[str, Decimal]:
        values = {}
        for key, value in dict(raw or {}).items():
            number = _exact(value)
            if key in plan.indicator_by_id and number is not None:
                values[key] = number
        return values

    additions = []
    for item in list(payload.get("additions") or []):
        amount = _exact(item.get("amount"))
        if item.get("field") in plan.field_by_code and amount is not None:
            additions.append((item["field"], int(item["month"]), amount))
    return numbers(payload.get("targets")), numbers(payload.get("weights")), additions


# ---- uploads ----

def change_words() -> dict:
    """The store's kinds of change (ChangeKind) as people read them."""
    # Imported here: `evaluate` on a file reads no store, and the store package brings SQLAlchemy with it.
    from metrics.store.figures import ChangeKind

    return {ChangeKind.ADDED: "新增", ChangeKind.CHANGED: "修改", ChangeKind.SAME: "相同"}


def preview_summary(preview: pd.DataFrame) -> dict[str, int]:
    words = change_words()
    counts = dict.fromkeys(words.values(), 0)
    for change in preview["change"]:
        counts[words[change]] += 1
    return counts


def preview_table(preview: pd.DataFrame, fields: Mapping[str, MonthlyField], *,
                  changed_only: bool = False) -> pd.DataFrame:
    """Store.preview as people read it: month, field name, what is stored now, what will be stored."""
    columns = ["年月", "單位", "項目", "目前數值", "上傳數值", "異動"]
    from metrics.store.figures import ChangeKind  # see change_words

    words = change_words()
    rows = preview[preview["change"] == ChangeKind.CHANGED] if changed_only else preview
    records = [{
        "年月": month_label(int(row["year"]), int(row["month"])),
        "單位": row["unit"],
        "項目": fields[row["field"]].name if row["field"] in fields else row["field"],
        "目前數值": "未填報" if row["current"] is None or pd.isna(row["current"]) else format_number(Fraction(row["current"])),
        "上傳數值": format_number(Fraction(row["incoming"])),
        "異動": words[row["change"]],
    } for row in rows.to_dict("records")]
    return pd.DataFrame(records, columns=columns)


def frame_months(frame: pd.DataFrame) -> str:
    """'112年1月、112年2月' for the months a tidy frame holds."""
    pairs = sorted({(int(year), int(month)) for year, month in zip(frame["year"], frame["month"])})
    return "、".join(month_label(year, month) for year, month in pairs)


@dataclass(frozen=True)
class BatchRow:
    id: int
    text: str
    undone: bool


def history_rows(batches: Iterable[object]) -> list[BatchRow]:
    """One readable line per upload batch (newest first, as Store.history gives them)."""
    rows = []
    for batch in batches:
        who = f"，上傳者 {batch.uploader}" if batch.uploader else ""
        undone_by = getattr(batch, "undone_by", "")
        state = (f"（已於 {taiwan_time(batch.undone_at)} 由 {undone_by} 復原）" if undone_by else
                 f"（已於 {taiwan_time(batch.undone_at)} 復原）") if batch.undone_at else ""
        periods = periods_text(getattr(batch, "periods", ()))
        rows.append(BatchRow(batch.id, f"第 {batch.id:,} 批｜{batch.file_name}｜" + (f"{periods}｜" if periods else "")
                             + f"{taiwan_time(batch.uploaded_at)}｜{batch.row_count:,} 筆{who}{state}",
                             batch.undone_at is not None))
    return rows


# ---- multi-year scoring (goal 6, the plan's 計分說明 (四)) ----

def multi_year_summary(points: MultiYearPoints) -> str:
    """'首次達標：112 年；112 年 5 分、113 年 5 分（暫計）…（依計畫貳、六、(四) 計分說明）'."""
    span = f"{points.rule.years[0]}～{points.rule.years[-1]} 年間"
    unknown_before = [standing.year for standing in points.years
                      if standing.points is None and (points.first_met_year is None
                                                      or standing.year < points.first_met_year)]
    if points.first_met_year is not None:
        first = f"首次達標：{points.first_met_year} 年"
        if unknown_before:
            first += f"（{'、'.join(map(str, unknown_before))} 年尚無法判定）"
    elif all(standing.points is None for standing in points.years):
        first = f"{span}尚無法判定"
    else:
        first = f"{span}尚未達標"

    def points_text(standing) -> str:
        if standing.points is None:
            return "尚無法判定"
        provisional = standing.as_of_month is not None and not standing.final
        return score_text(standing.points) + ("（暫計）" if provisional else "")

    years = "、".join(f"{standing.year} 年 {points_text(standing)}" for standing in points.years)
    return f"{first}；{years}（依{points.rule.source}）"


def multi_year_table(points: MultiYearPoints) -> pd.DataFrame:
    """One row per year of the span: what was judged, against which target, and the points that follow."""
    records = []
    for standing in points.years:
        if not standing.has_plan:
            judged = "無該年度計畫"
        elif standing.as_of_month is None:
            judged = "尚無填報數字"
        else:
            judged = month_label(standing.year, standing.as_of_month) + ("" if standing.final else "（年度未結束，暫計）")
        after_first = points.first_met_year is not None and standing.year > points.first_met_year
        records.append({
            "年度": f"{standing.year}年",
            "判定依據": judged,
            "實際值": "—" if standing.actual is None else f"{format_number(standing.actual)}%",
            "目標值": "—" if standing.target is None else f"{format_number(standing.target)}%",
            "是否達標": {True: "達標", False: "未達標", None: "—"}[standing.met],
            "分數": ("—" if standing.points is None else format_number(standing.points))
                    + ("（依首次達標年度計）" if after_first and standing.points is not None else ""),
        })
    return pd.DataFrame(records, columns=["年度", "判定依據", "實際值", "目標值", "是否達標", "分數"])
