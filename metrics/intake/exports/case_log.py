"""政風處自己的政風案件紀錄（每列一案）→ 八個案件數欄位。

依「案件類別」把每一案歸入一個欄位（見 CASE_TYPES，可在設定中增加同義詞），再依日期計入月份：

- 計「完成」件數的欄位（預警案件、陳情檢舉完成、性別分析、性別影響評估，見 COMPLETED）依結案日期
  所屬月份計數；沒有結案日期的案件尚未完成，不計入（結果中列出件數）。
- 其他欄位（採購稽核、資通安全稽核、反針孔檢查、性騷擾防治課程）依辦理日期計數；辦理日期空白時
  改用結案日期。

其他案件類別（例如財產申報、廉政宣導）不屬任何指標，不計入，結果中列出各類別的列數。
資料涵蓋的月份為最早到最晚的計入日期所在月份（或至上傳時指定的月份），其間沒有案件的月份為 0。
"""

from __future__ import annotations

import numpy as np

from metrics.intake.exports.common import (
    SOURCE_NAMES,
    Aggregate,
    ColumnSpec,
    Dated,
    ExportContext,
    ExportTable,
    MonthMasks,
    MonthlyValue,
    Problems,
    SourceSpec,
    character_pairs,
    date_problems,
    drop_repeated,
    fold,
    in_period,
    parse_date_column,
    shown_category,
)

CASE_TYPES: dict[str, tuple[str, ...]] = {
    "warning_cases": ("預警", "預警案件", "預警作為", "專案預警", "預警報告", "預警案"),
    "procurement_audits": ("採購稽核", "採購稽核案件", "採購稽核案", "稽核採購", "採購案件稽核"),
    "complaints_completed": ("陳情檢舉", "陳情檢舉案件", "陳情", "檢舉", "民眾陳情", "民眾檢舉", "陳情案件", "檢舉案件",
                             "陳情案", "檢舉案", "民眾陳情檢舉"),
    "infosec_audits": ("資安稽核", "資通安全稽核", "資訊安全稽核", "資通稽核", "資安稽核案件"),
    "pinhole_inspections": ("反針孔檢查", "反針孔", "針孔檢查", "廁所反針孔檢查", "針孔攝影機檢查", "反偷拍檢查",
                            "哺集乳室反針孔檢查"),
    "harassment_courses": ("性騷擾防治課程", "職場性騷擾防治課程", "性騷擾防治", "性騷擾防治講習", "性騷防治課程",
                           "性騷擾防治宣導課程", "性騷擾防治訓練"),
    "gender_analyses": ("性別分析", "性別分析報告"),
    "gender_impact_reviews": ("性別影響評估", "性別影響評估檢視表", "性平影響評估", "性別影響評估案"),
}
# Words of case types outside the indicators, so that a note may name such a type (財產申報 3 列)
# while a name typed into the column is not repeated.
OTHER_CASE_WORDS = ("財產申報", "廉政宣導", "利益衝突", "請託關說", "受贈財物", "飲宴應酬", "機關安全維護",
                    "公務機密維護", "專案稽核", "行政調查", "查處案件", "肅貪", "督導考核", "業務會議", "教育訓練",
                    "查核", "訪查", "會議", "講習", "宣導", "申報", "維護", "調查", "案件", "專案", "業務", "稽核",
                    "檢查", "評估", "課程")
COMPLETED = frozenset({"warning_cases", "complaints_completed", "gender_analyses", "gender_impact_reviews"})
FIELDS = tuple(CASE_TYPES)

COLUMNS = (
    ColumnSpec("case_number", "案號", ("案號", "案件編號", "案件號碼", "收文號", "編號", "文號"),
               kind="key", mask="partial",
               needed_when=("deduplicate",), help="勾選「重複列只計一次」時用來找出重複的列；預覽時部分遮蔽。"),
    ColumnSpec("case_type", "案件類別",
               ("案件類別", "案件類型", "案件種類", "案類", "業務類別", "工作項目", "類別", "類型"),
               required=True, exclude=("人員", "收發", "公文", "密", "身分")),
    ColumnSpec("completed_date", "結案日期", ("結案日期", "辦結日期", "完成日期", "結案日", "辦結日", "結案時間",
                                              "結案年月日", "辦結年月日"),
               kind="date"),
    ColumnSpec("held_date", "辦理日期", ("辦理日期", "執行日期", "稽核日期", "檢查日期", "實施日期", "辦理日", "日期",
                                      "受理日期", "辦理年月日", "執行年月日"),
               kind="date", exclude=("結案", "辦結", "完成", "到職", "離職", "列印")),
)


def _type_table(context: ExportContext) -> dict[str, str]:
    table = {fold(word): code for code, words in CASE_TYPES.items() for word in words}
    for word, code in context.options.case_types:
        if code in CASE_TYPES:
            table[fold(word)] = code
    return table


def _classify_types(values: list[str], table: dict[str, str]) -> list[str | None]:
    """Field code per distinct 案件類別; exact words first, then the longest word it contains."""
    by_length = sorted(table.items(), key=lambda item: -len(item[0]))
    found: list[str | None] = []
    for value in values:
        key = fold(value)
        code = table.get(key)
        if code is None:
            code = next((field for word, field in by_length if len(word) >= 2 and word in key), None)
        found.append(code)
    return found


_DATED = Dated(what="案件的計入日期", rows="案件", date="計入日期")


def aggregate(table: ExportTable, context: ExportContext) -> Aggregate:
    problems = Problems(table.filename, table.sheet)
    notes: list[str] = []
    applied: list[str] = []
    rows = table.rows
    size = len(table)
    codes = list(FIELDS)

    type_column = table.columns["case_type"]
    classified = _classify_types(type_column.values, _type_table(context))
    lookup = np.array([codes.index(code) if code else -1 for code in classified] + [-2], dtype=np.int64)
    field_index = lookup[type_column.codes]  # -1 not an indicator's type, -2 blank
    blank_type = field_index == -2
    if blank_type.any():
        problems.add_rows(type_column.letter, rows[blank_type],
                          f"{type_column.header}空白，請填案件類別（例如預警、採購稽核、陳情檢舉）",
                          type_column.spec.label)

    completed = np.zeros(size, dtype=np.int64)
    held = np.zeros(size, dtype=np.int64)
    completed_column = table.columns.get("completed_date")
    held_column = table.columns.get("held_date")
    if completed_column is not None:
        completed, unknown = parse_date_column(completed_column)
        date_problems(problems, completed_column, rows, completed, unknown, field_index >= 0)
    if held_column is not None:
        held, unknown = parse_date_column(held_column)
        date_problems(problems, held_column, rows, held, unknown, field_index >= 0)

    by_completion = np.isin(field_index, [codes.index(code) for code in COMPLETED])
    by_holding = (field_index >= 0) & ~by_completion
    dates = np.where(by_completion, completed, np.where(held > 0, held, completed))
    letters = np.where(by_completion | (held <= 0), completed_column.letter if completed_column else "",
                       held_column.letter if held_column else "")
    computable = set(FIELDS)
    if completed_column is None:
        computable -= COMPLETED
        notes.append("檔案沒有「結案日期」欄，" + "、".join(context.field_name(code) for code in FIELDS
                                                    if code in COMPLETED) + "未計算。")
    undated = by_holding & (dates <= 0) & (dates != -1)
    if undated.any():
        letter = held_column.letter if held_column is not None else completed_column.letter
        problems.add_rows(letter, rows[undated], "辦理日期與結案日期都空白，請補上辦理日期", "辦理日期")
    open_cases = by_completion & (completed == 0)
    if open_cases.any() and completed_column is not None:
        open_fields = np.unique(field_index[open_cases])
        names = "、".join(sorted({context.field_name(codes[index]) for index in open_fields}))
        notes.append(f"有 {int(open_cases.sum()):,} 案（{names}）尚無結案日期，未計入。")

    reasons: list[tuple[np.ndarray, str]] = [
        (field_index == -1, "案件類別不屬任何指標"),
        (open_cases, "尚無結案日期（案件未完成）"),
        (~np.isin(field_index, [codes.index(code) for code in computable]), "檔案沒有「結案日期」欄，此類案件未計算"),
    ]
    counted = (field_index >= 0) & (dates > 0)
    counted &= np.isin(field_index, [codes.index(code) for code in computable])
    period = in_period(problems, notes, reasons, context, letters, rows, dates, counted, _DATED)
    counted = period.kept

    if table.has("case_number"):
        before = counted
        counted = drop_repeated(counted, table.columns["case_number"].codes, field_index, len(FIELDS),
                                context.options.deduplicate, notes, applied, key="案號與類別", hint="重複登錄")
        reasons.append((before & ~counted, "案號與類別和前面的列相同，依設定只計一次"))
    problems.raise_if_any()

    _note_other_types(type_column.values, classified, type_column.codes, notes)
    values: list[MonthlyValue] = []
    by_month = MonthMasks(period.months, period.covered)
    for index, code in enumerate(codes):
        if code in computable:
            values.extend(by_month.counts(code, rows, counted & (field_index == index)))
    return Aggregate(values, int(counted.sum()), notes, applied, counted, reasons)


def _note_other_types(values: list[str], classified: list[str | None], row_codes: np.ndarray, notes: list[str]) -> None:
    """Names the 案件類別 left out, unless the column looks like something else (then only counts)."""
    others = [index for index, code in enumerate(classified) if code is None]
    if not others:
        return
    counts = np.bincount(row_codes[row_codes >= 0], minlength=len(values))
    total = int(sum(counts[index] for index in others))
    recognized = int(counts.sum()) - total
    ranked = sorted(others, key=lambda index: -counts[index])
    if len(others) > 30 or recognized * 5 < int(counts.sum()):
        notes.append(f"有 {total:,} 列的案件類別（{len(others):,} 種）不屬任何指標，未計入；"
                     "若大多數列都未計入，請確認「案件類別」欄的對應是否正確。")
        return
    pairs = character_pairs([*OTHER_CASE_WORDS, *(word for words in CASE_TYPES.values() for word in words)])
    shown = "、".join(f"{shown_category(values[index], pairs) or '（未顯示的類別）'} {int(counts[index]):,} 列"
                     for index in ranked[:10])
    more = f"等 {len(others)} 種" if len(others) > 10 else ""
    notes.append(f"不屬任何指標、未計入的案件類別：{shown}{more}（共 {total:,} 列）；"
                 "如應計入，請在設定中增加類別對應。")


SPEC = SourceSpec(
    name="case_log",
    label=SOURCE_NAMES["case_log"],
    columns=COLUMNS,
    fields=FIELDS,
    aggregate=aggregate,
    one_of=(("completed_date", "held_date"),),
)
