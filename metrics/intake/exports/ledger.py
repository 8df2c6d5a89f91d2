"""會計系統匯出的歲出預算執行表（每列一個預算科目）→ 指標 8 的五個累計數（千元）。

一份執行表是某月底的累計狀態，產生該月的 預算數、實支數、應付數、節餘數、控留數（存量，千元）：

- 月份：上傳時指定的月份；否則取標題的資料期間（「112年1月至10月」「截至112年10月31日」）；
  否則取「資料日期」欄的最晚日期。列印日期不算。
- 金額單位：欄標題的「(元)」「(千元)」優先，其次標題列的「單位：元／千元／萬元」，其次上傳時選擇的單位；
  換算為千元時以十進位精確計算（1,234,567 元 = 1,234.567 千元）。
- 金額可有千分位；「-」為 0；負數可寫成 -1,234 或 (1,234)。
- 不重複計算上下層科目：有「總計」或「合計」列時只用該列；否則有層級欄時只加總最下層（其下沒有更深
  層級的列）；否則有科目代碼時只加總沒有下層代碼的科目（代碼為其他代碼開頭者視為上層）；都沒有時
  加總全部各列。「小計」及「○○合計」列一律不加總。
- 執行表沒有的欄（例如沒有控留數欄）不產生該項，不以 0 代替。
"""

from __future__ import annotations

import re
from decimal import Decimal

import numpy as np

from metrics.intake.exports.common import (
    Aggregate,
    ColumnSpec,
    ExportContext,
    ExportTable,
    MonthlyValue,
    Problems,
    SourceSpec,
    data_month,
    describe_rows,
    echo,
    fold,
    month_of,
    parse_amount_column,
    parse_date_column,
    roc_year_of,
    tidy_decimal,
)
from metrics.intake.parsing import normalize_text, parse_number

AMOUNT_FIELDS = ("budget_amount", "actual_spent", "payables", "savings", "reserved")
_CUMULATIVE_EXCLUDE = ("本月", "當月", "率", "%", "比")

COLUMNS = (
    ColumnSpec("code", "科目代碼", ("科目代碼", "科目編號", "科目代號", "預算科目代碼", "代碼", "代號", "編號"),
               kind="key"),
    ColumnSpec("name", "科目名稱",
               ("科目名稱", "預算科目名稱", "科目", "名稱", "工作計畫", "計畫名稱", "用途別", "項目"),
               kind="key", exclude=("代碼", "編號", "代號")),
    ColumnSpec("level", "層級", ("層級", "階層", "級次", "科目層級", "層次", "大綱層級")),
    ColumnSpec("budget_amount", "預算數",
               ("預算數", "年度預算數", "全年度預算數", "可支用預算數", "預算金額", "核定預算數", "預算"),
               required=True, kind="amount", exclude=("率", "%", "執行", "比")),
    ColumnSpec("actual_spent", "實支數", ("累計實支數", "實支數", "實支金額", "累計支出數", "實付數", "支出數", "實支"),
               required=True, kind="amount", exclude=_CUMULATIVE_EXCLUDE),
    ColumnSpec("payables", "應付數", ("累計應付數", "應付數", "應付未付數", "應付"), kind="amount",
               exclude=_CUMULATIVE_EXCLUDE),
    ColumnSpec("savings", "節餘數", ("累計節餘數", "節餘數", "賸餘數", "節餘"), kind="amount",
               exclude=_CUMULATIVE_EXCLUDE),
    ColumnSpec("reserved", "控留數", ("累計控留數", "控留數", "控留"), kind="amount", exclude=_CUMULATIVE_EXCLUDE),
    ColumnSpec("date", "資料日期", ("資料日期", "截止日期", "統計日期", "日期"), kind="date",
               exclude=("列印", "製表")),
)

FIELDS = AMOUNT_FIELDS

_UNIT = r"(?:新[臺台]幣)?\s*(千元|萬元|元)"
_UNIT_IN_HEADER = re.compile(rf"[(（]\s*(?:單位\s*[:：]?\s*)?{_UNIT}\s*[)）]|單位\s*[:：]\s*{_UNIT}")
_UNIT_IN_TITLE = re.compile(rf"單位\s*[:：]?\s*{_UNIT}|^[(（]\s*{_UNIT}\s*[)）]$")
_TO_THOUSANDS = {"元": Decimal("0.001"), "千元": Decimal(1), "萬元": Decimal(10)}
_GRAND_TOTALS = ("總計", "總合計")
_TOTALS = ("合計", "合計數", "總計數")


def _unit_of(text: str, pattern: re.Pattern[str]) -> str | None:
    match = pattern.search(normalize_text(text))
    if not match:
        return None
    return next(group for group in match.groups() if group)


def _units(table: ExportTable, context: ExportContext, problems: Problems) -> dict[str, Decimal]:
    title_units = {unit for line in context.title_lines if (unit := _unit_of(line, _UNIT_IN_TITLE))}
    if len(title_units) > 1:
        problems.add(f"標題中的金額單位不一致（{'、'.join(sorted(title_units))}），請只保留一個「單位：」說明")
        return {}
    fallback = next(iter(title_units), None) or context.options.amount_unit
    factors: dict[str, Decimal] = {}
    for name in AMOUNT_FIELDS:
        if not table.has(name):
            continue
        unit = _unit_of(context.raw_headers.get(name, ""), _UNIT_IN_HEADER) or fallback
        if unit is None:
            problems.add("無法判斷金額單位：標題或欄名沒有「單位：元」「單位：千元」或「(元)」等字樣；"
                         "請在檔案標題加註單位，或在上傳時選擇金額單位", field=table.columns[name].spec.label)
            return {}
        if unit not in _TO_THOUSANDS:
            problems.add(f"不支援的金額單位「{unit}」，請用元、千元或萬元", field=table.columns[name].spec.label)
            return {}
        factors[name] = _TO_THOUSANDS[unit]
    return factors


def _labels(table: ExportTable) -> list[str]:
    """Per row, the text that may say 合計 or 小計: the name, else the code."""
    size = len(table)
    labels = [""] * size
    for name in ("code", "name"):
        if not table.has(name):
            continue
        column = table.columns[name]
        folded = [fold(value) for value in column.values]
        for position, code in enumerate(column.codes):
            if code >= 0 and folded[code]:
                labels[position] = folded[code]
    return labels


def _is_subtotal(label: str) -> bool:
    return "小計" in label or (label.endswith(("合計", "總計")) and label not in _GRAND_TOTALS + _TOTALS)


def _leaves_by_level(table: ExportTable, subtotal: np.ndarray, problems: Problems) -> np.ndarray | None:
    column = table.columns["level"]
    numbers: list[int | None] = []
    for value in column.values:
        try:
            number = parse_number(value)
        except ValueError:
            number = None
        numbers.append(int(number) if number is not None and number == int(number) else None)
    levels = np.array([-1 if code < 0 or numbers[code] is None else numbers[code] for code in column.codes],
                      dtype=np.int64)
    bad = (levels < 0) & ~subtotal
    if bad.any():
        problems.add_rows(column.letter, table.rows[bad], f"{column.header}須為整數（例如 1、2、3），請補上或修正",
                          column.spec.label)
        return None
    order = np.flatnonzero(~subtotal)
    leaves = np.zeros(len(table), dtype=bool)
    for position, index in enumerate(order):
        following = order[position + 1] if position + 1 < order.size else None
        leaves[index] = following is None or levels[following] <= levels[index]
    return leaves


_SEPARATED = re.compile(r"[-.\s_/]")


def _leaves_by_code(table: ExportTable, subtotal: np.ndarray) -> np.ndarray:
    column = table.columns["code"]
    keys = [fold(value) for value in column.values]
    present = sorted({keys[code] for code, sub in zip(column.codes, subtotal) if code >= 0 and not sub})
    parents: set[str] = set()
    for position, code in enumerate(present[:-1]):
        following = present[position + 1]
        if not following.startswith(code) or following == code:
            continue
        if _SEPARATED.search(following) and not _SEPARATED.match(following[len(code):]):
            continue
        parents.add(code)
    return np.array([code >= 0 and not sub and keys[code] not in parents
                     for code, sub in zip(column.codes, subtotal)], dtype=bool)


def _sum(amounts: list[Decimal | None], codes: np.ndarray, selected: np.ndarray) -> Decimal:
    counts = np.bincount(codes[selected & (codes >= 0)], minlength=len(amounts))
    return sum((amounts[code] * int(count) for code, count in enumerate(counts)
                if count and amounts[code] is not None), Decimal(0))


def aggregate(table: ExportTable, context: ExportContext) -> Aggregate:
    problems = Problems(table.filename, table.sheet)
    notes: list[str] = []
    rows = table.rows

    amounts: dict[str, tuple[list[Decimal | None], np.ndarray]] = {}
    for name in AMOUNT_FIELDS:
        if not table.has(name):
            continue
        column = table.columns[name]
        values, codes, unknown = parse_amount_column(column)
        for code, value in unknown.items():
            shown = echo(value)
            what = f"「{shown}」" if shown else "的內容"
            problems.add_rows(column.letter, rows[codes == code],
                              f"{column.header}{what}不是金額，請填數字"
                              "（可含千分位，「-」表示 0，負數寫成 -1,234 或 (1,234)）", column.spec.label, shown)
        amounts[name] = (values, codes)
    factors = _units(table, context, problems)

    fallback_month = None
    if table.has("date"):
        date_column = table.columns["date"]
        dates, _ = parse_date_column(date_column)
        in_year = (dates > 0) & (roc_year_of(dates) == context.plan.year)
        if in_year.any():
            fallback_month = int(month_of(dates[in_year]).max())
    month = data_month(context, problems, "執行表", fallback_month)

    labels = _labels(table)
    grand = np.array([label in _GRAND_TOTALS for label in labels], dtype=bool)
    totals = np.array([label in _TOTALS for label in labels], dtype=bool)
    subtotal = np.array([_is_subtotal(label) for label in labels], dtype=bool)
    total_rows = grand if grand.any() else totals
    if total_rows.sum() > 1:
        where = "、".join(str(int(row)) for row in rows[total_rows][:5])
        problems.add(f"有 {int(total_rows.sum())} 列合計（第 {where} 列），無法判斷要用哪一列；"
                     "請只保留全表的一列「合計」")

    leaves: np.ndarray | None = None
    method = ""
    if table.has("level"):
        leaves = _leaves_by_level(table, subtotal | total_rows, problems)
        method = "依層級欄加總最下層科目"
    elif table.has("code"):
        leaves = _leaves_by_code(table, subtotal | total_rows)
        method = "依科目代碼加總沒有下層的科目"
        blank_code = ~total_rows & ~subtotal & table.columns["code"].blank & _has_amount(amounts)
        if blank_code.any() and not total_rows.any():
            column = table.columns["code"]
            problems.add_rows(column.letter, rows[blank_code],
                              f"{column.header}空白但有金額，無法判斷是否為上層科目；請補上科目代碼，或保留全表的「合計」列",
                              column.spec.label)
    problems.raise_if_any()

    if total_rows.any():
        selected = total_rows
        position = int(np.flatnonzero(total_rows)[0])
        notes.append(f"使用第 {int(rows[position]):,} 列的合計數。")
    elif leaves is not None:
        selected = leaves
        skipped = int((~leaves & ~subtotal).sum())
        notes.append(f"{method}：{int(leaves.sum()):,} 列明細，略過 {skipped:,} 列上層科目"
                     f"及 {int(subtotal.sum()):,} 列小計。")
    else:
        selected = ~subtotal
        notes.append("未見合計列、層級欄或科目代碼，所有列（小計除外）視為明細加總；若表中含上層科目，請保留「合計」列後再上傳。")

    values: list[MonthlyValue] = []
    for name in AMOUNT_FIELDS:
        if name not in amounts:
            notes.append(f"執行表沒有「{COLUMNS_BY_NAME[name].label}」欄，未產生該項。")
            continue
        column = table.columns[name]
        raw_total = _sum(*amounts[name], selected)
        total = tidy_decimal(raw_total * factors[name])
        if total < 0:
            problems.add(f"{column.header}合計為負數（{total:,} 千元），請確認金額與正負號", field=column.spec.label)
            continue
        if total_rows.any():
            cell = f"{column.letter}{int(rows[total_rows][0])}（合計列）"
            if leaves is not None:
                detail = tidy_decimal(_sum(*amounts[name], leaves) * factors[name])
                if detail != total:
                    notes.append(f"{column.header}：合計列 {total:,} 千元與明細加總 {detail:,} 千元不同，"
                                 "以合計列為準。")
        else:
            cell = describe_rows(rows[selected]) + "加總"
        values.append(MonthlyValue(name, month, total, cell))
    problems.raise_if_any()
    units = sorted({f"{factor}" for factor in factors.values()})
    if units != ["1"]:
        notes.append("金額已由元（或萬元）換算為千元。")
    notes.append(f"數字為 {context.plan.year}年{month}月底的累計數。")
    reasons = [(subtotal, "小計列（避免重複加總）")]
    if total_rows.any():
        reasons.append((~total_rows, "已使用全表的合計列，明細不另加總"))
    elif leaves is not None:
        reasons.append((~leaves, "上層科目（已加總其下層科目）"))
    return Aggregate(values, int(selected.sum()), notes, [], selected, reasons)


def _has_amount(amounts: dict[str, tuple[list[Decimal | None], np.ndarray]]) -> np.ndarray:
    found: np.ndarray | None = None
    for values, codes in amounts.values():
        nonzero = np.array([value is not None and value != 0 for value in values] + [False], dtype=bool)
        row_has = nonzero[codes]
        found = row_has if found is None else found | row_has
    return found if found is not None else np.zeros(0, dtype=bool)


COLUMNS_BY_NAME = {column.name: column for column in COLUMNS}

SPEC = SourceSpec(
    name="ledger",
    label="歲出預算執行表（會計系統匯出）",
    columns=COLUMNS,
    fields=FIELDS,
    aggregate=aggregate,
)
