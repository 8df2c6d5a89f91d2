"""人事系統匯出的人事名冊（每列一人）→ 指標 7 的兩個月底人數。

計算方式（每月最後一日，依計畫年度）：

- 公務人員及聘僱人員現職人數 staff_headcount：人員類別為公務人員或聘僱人員（聘用人員、約僱人員、
  約聘人員等），且到職日期 ≤ 當日、離職日期空白或晚於當日的人數。臨時人員、工友、技工、駕駛等不計。
- 已通過客語認證人數 hakka_certified：上述人員中，客語認證通過日期 ≤ 當日者；有認證級別而無通過日期者，
  視為早已通過（自年初起即計入）。級別填「無」「未通過」等視為未通過。

名冊有身分證字號（或員工編號、姓名）欄時，同一人出現多列只計一人。計算的月份為 1 月至資料月份：
資料月份取上傳時指定的月份，否則取名冊標題中的資料日期（例如「截至112年10月31日」）。
過去月份依到職、離職日期推算；名冊若未含已離職人員，過去月份的人數可能偏低。
"""

from __future__ import annotations

from decimal import Decimal

import numpy as np

from metrics.intake.exports.common import (
    SOURCE_NAMES,
    Aggregate,
    ColumnSpec,
    ExportContext,
    ExportTable,
    MonthlyValue,
    Problems,
    SourceSpec,
    classifier,
    data_month,
    date_problems,
    describe_rows,
    fold,
    month_end,
    parse_date_column,
    unknown_value_problems,
    vocabulary,
)

COUNTED, NOT_COUNTED = 1, 2

CATEGORIES = vocabulary({
    COUNTED: ("公務人員", "公務員", "正式人員", "正式公務人員", "職員", "聘用人員", "約僱人員", "聘僱人員", "約聘人員",
              "約聘僱人員", "約用人員", "聘用", "約僱", "約聘", "聘僱", "機要人員", "政務人員"),
    NOT_COUNTED: ("臨時人員", "臨時工", "工友", "技工", "駕駛", "派遣人員", "派遣", "替代役", "志工", "實習生",
                  "駐衛警", "清潔人員", "約用臨時人員", "臨時約僱人員", "勞務承攬"),
})
NO_LEVEL = {fold(word) for word in ("無", "未通過", "未認證", "否", "N", "NO", "-", "－", "尚未通過", "未取得")}

COLUMNS = (
    ColumnSpec("person_id", "身分證字號", ("身分證字號", "身分證統一編號", "身分證號", "身分證", "統一編號", "員工編號",
                                        "人員代號", "職員編號", "員工代號"),
               kind="key", mask="id", help="只用來讓同一人只計一次；預覽時遮蔽。"),
    ColumnSpec("name", "姓名", ("姓名", "人員姓名", "員工姓名"), kind="key", mask="name",
               help="沒有身分證字號或員工編號時，用來讓同一人只計一次；預覽時遮蔽。"),
    ColumnSpec("category", "人員類別", ("人員類別", "身分別", "人員身分", "職員類別", "任用類別", "進用類別", "人員別",
                                     "類別", "身分"),
               required=True, exclude=("客語", "案件", "收發", "公文", "密")),
    ColumnSpec("start", "到職日期", ("到職日期", "到職日", "報到日期", "任職日期", "進用日期", "到職時間", "到職"),
               required=True, kind="date"),
    ColumnSpec("end", "離職日期",
               ("離職日期", "離職日", "調離日期", "卸職日期", "退離日期", "退休日期", "離職時間", "離職"),
               kind="date"),
    ColumnSpec("hakka_level", "客語認證級別",
               ("客語認證級別", "客語認證等級", "客語能力認證級別", "客語能力認證", "客語認證", "客語級別", "認證級別",
                "客語能力")),
    ColumnSpec("hakka_date", "客語認證通過日期",
               ("客語認證通過日期", "客語通過日期", "客語認證日期", "通過日期", "認證通過日期", "認證日期"),
               kind="date"),
)

FIELDS = ("staff_headcount", "hakka_certified")


def _level(value: str) -> int:
    return 0 if fold(value) in NO_LEVEL else 1


def _person_keys(table: ExportTable) -> np.ndarray:
    """An integer per person: the ID (or name) code, or a unique negative number when blank."""
    size = len(table)
    own = -(np.arange(size, dtype=np.int64) + 1)
    for name in ("person_id", "name"):
        if table.has(name):
            codes = table.columns[name].codes
            return np.where(codes >= 0, codes, own)
    return own


def aggregate(table: ExportTable, context: ExportContext) -> Aggregate:
    problems = Problems(table.filename, table.sheet)
    notes: list[str] = []
    rows = table.rows
    size = len(table)
    everyone = np.ones(size, dtype=bool)

    category_column = table.columns["category"]
    extra = {fold(value): COUNTED if counted else NOT_COUNTED for value, counted in context.options.staff_categories}
    contains = (("臨時", NOT_COUNTED), ("公務", COUNTED), ("聘", COUNTED), ("僱", COUNTED))
    categories, unknown = category_column.classify(classifier({**CATEGORIES, **extra}, contains))
    unknown_value_problems(problems, category_column, rows, categories, unknown, everyone,
                           "請填「公務人員」「聘用人員」「約僱人員」，或「臨時人員」「工友」「技工」等",
                           [*CATEGORIES, *extra])
    if category_column.blank.any():
        problems.add_rows(category_column.letter, rows[category_column.blank],
                          f"{category_column.header}空白，請填「公務人員」「聘用人員」「約僱人員」「臨時人員」等",
                          category_column.spec.label)
    counted = categories == COUNTED

    start_column = table.columns["start"]
    starts, unknown_starts = parse_date_column(start_column)
    date_problems(problems, start_column, rows, starts, unknown_starts, counted)
    blank_start = counted & start_column.blank
    if blank_start.any():
        problems.add_rows(start_column.letter, rows[blank_start], f"{start_column.header}空白，請補上到職日期",
                          start_column.spec.label)
    ends = np.zeros(size, dtype=np.int64)
    if table.has("end"):
        end_column = table.columns["end"]
        ends, unknown_ends = parse_date_column(end_column)
        date_problems(problems, end_column, rows, ends, unknown_ends, counted)
        reversed_dates = counted & (ends > 0) & (starts > 0) & (ends < starts)
        if reversed_dates.any():
            problems.add_rows(end_column.letter, rows[reversed_dates],
                              f"{end_column.header}早於{start_column.header}，請確認日期", end_column.spec.label)
    if not table.has("end") or not (table.columns["end"].codes >= 0).any():
        notes.append("名冊沒有離職日期（或全部空白）：過去月份依到職日期推算，已離職人員若未列入名冊則未計入。")

    levels = np.zeros(size, dtype=np.int64)
    if table.has("hakka_level"):
        levels, _ = table.columns["hakka_level"].classify(_level)
    passed = np.zeros(size, dtype=np.int64)
    if table.has("hakka_date"):
        date_column = table.columns["hakka_date"]
        passed, unknown_passed = parse_date_column(date_column)
        date_problems(problems, date_column, rows, passed, unknown_passed, counted)

    month = data_month(context, problems, "名冊")
    problems.raise_if_any()

    keys = _person_keys(table)
    counted &= starts > 0
    repeated = _repeated_people(keys[counted])
    if repeated:
        notes.append(f"有 {repeated:,} 人在名冊中出現多列，每月只計一人。")
    values: list[MonthlyValue] = []
    used = np.zeros(size, dtype=bool)
    for current in range(1, month + 1):
        day = month_end(context.plan.year, current)
        serving = counted & (starts <= day) & ((ends <= 0) | (ends > day))
        certified = serving & (((passed > 0) & (passed <= day)) | ((passed <= 0) & (levels == 1)))
        used |= serving
        values.append(MonthlyValue("staff_headcount", current, Decimal(np.unique(keys[serving]).size),
                                   describe_rows(rows[serving])))
        values.append(MonthlyValue("hakka_certified", current, Decimal(np.unique(keys[certified]).size),
                                   describe_rows(rows[certified])))
    notes.append(f"人數為 {context.plan.year}年1月至{month}月各月最後一日在職者。")
    reasons = [(categories == NOT_COUNTED, "人員類別不計入（例如臨時人員、工友）")]
    return Aggregate(values, int(used.sum()), notes, [], used, reasons)


def _repeated_people(keys: np.ndarray) -> int:
    if keys.size == 0:
        return 0
    _, counts = np.unique(keys, return_counts=True)
    return int((counts > 1).sum())


SPEC = SourceSpec(
    name="roster",
    label=f"{SOURCE_NAMES['roster']}（人事系統匯出）",
    columns=COLUMNS,
    fields=FIELDS,
    aggregate=aggregate,
    one_of=(("hakka_level", "hakka_date"),),
    unused_when=(("name", "person_id"),),
    unused_reason="1 月至資料月份的月底都不在職",
)
