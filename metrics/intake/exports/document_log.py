"""公文管理系統匯出的公文清單（每列一件公文）→ 指標 10-1、10-2 的六個月資料。

計算方式（每月一個數字，月份依下列日期判定）：

- 發文總件數 edoc_sent_total：收發別為「發文」的列，依發文日期所屬月份計數。
- 電子發文件數 edoc_sent_electronic：上述發文列中，交換方式為電子交換者。
- 電子公文收文總數 edoc_received_electronic：收發別為「收文」且交換方式為電子交換的列，依收文日期計數。
- 紙本來文線上簽核數 paper_received_signed_online：收發別為「收文」、交換方式為紙本、簽核方式為線上簽核的列，
  依收文日期計數。
- 自創簽稿數 self_created_drafts：收發別為「創稿」或「簽稿」的列，依創稿日期計數。
- 公文線上簽核件數 online_signed：計入線上簽核比率分母（前三項）的列中，簽核方式為線上簽核者，
  依該列在分母中所用的日期計數；因此每月的 online_signed 必不大於分母。

各列日期：收文列用「收文日期」，發文列用「發文日期」，創稿、簽稿列用「創稿日期」；該欄空白或
檔案沒有該欄時，改用通用的「日期」欄。交換方式含「電子」視為電子交換，「紙本、郵寄、人工、親送」
等視為紙本；簽核方式含「線上」或「電子」視為線上簽核，含「紙本」視為紙本簽核。

可選的排除設定（預設不排除，套用時於結果中列出）：
- 密件不計入線上簽核：密等為密、機密、極機密、絕對機密的列不計入後四項。
- 密件不計入電子交換：上述密件發文不計入發文總件數與電子發文件數。
- 作廢公文不計：狀態為作廢、銷號、撤銷、註銷、取消的列一律不計。
- 重複列只計一次：文號與收發別相同的列只計第一列。

檔案沒有簽核方式欄時，只計算發文兩項（分母不完整的比率不如不算）。
"""

from __future__ import annotations

import numpy as np

from metrics.intake.exports.common import (
    Aggregate,
    ColumnSpec,
    ColumnsNeeded,
    Dated,
    ExportContext,
    ExportTable,
    MonthMasks,
    MonthlyValue,
    Problems,
    SourceSpec,
    classifier,
    date_problems,
    drop_repeated,
    in_period,
    parse_date_column,
    unknown_value_problems,
    vocabulary,
)

RECEIVED, SENT, DRAFT = 1, 2, 3
_DATED = Dated(what="公文的日期", rows="公文", date="日期")
ELECTRONIC, PAPER = 1, 2
ONLINE = 1

KINDS = vocabulary({
    RECEIVED: ("收文", "來文", "收", "收文登記", "收件"),
    SENT: ("發文", "發", "發文登記", "發件"),
    DRAFT: ("創稿", "簽稿", "創簽", "創簽稿", "自創稿", "自創簽稿", "簽", "稿", "簽呈", "創簽文", "簽辦"),
})
EXCHANGES = vocabulary({
    ELECTRONIC: ("電子交換", "電子", "電子公文", "電子發文", "電子收文", "公文交換", "交換", "線上",
                 "是", "Y", "YES", "V", "✓", "TRUE", "1"),
    PAPER: ("紙本", "紙本公文", "紙本交換", "郵寄", "郵遞", "掛號", "人工", "人工遞送", "親送", "專人",
            "專人送達", "傳真", "否", "N", "NO", "FALSE", "0"),
})
SIGNINGS = vocabulary({
    ONLINE: ("線上簽核", "線上", "電子簽核", "線上簽辦", "電子", "線上簽核(含決行)", "是", "Y", "YES", "V", "✓",
             "TRUE", "1"),
    2: ("紙本簽核", "紙本", "紙本簽辦", "紙本陳核", "紙本決行", "人工簽核", "否", "N", "NO", "FALSE", "0"),
})
CONFIDENTIAL = vocabulary({
    1: ("密", "密件", "機密", "極機密", "絕對機密", "是", "Y", "YES", "V", "TRUE", "1"),
    0: ("普通", "普通件", "一般", "無", "非密", "普", "否", "N", "NO", "FALSE", "0", "-", "－"),
})
CANCELLED_WORDS = ("作廢", "銷號", "撤銷", "註銷", "取消")

COLUMNS = (
    ColumnSpec("doc_number", "文號", ("文號", "公文文號", "收文文號", "發文文號", "收發文號", "發文字號", "文件編號"),
               kind="key", mask="partial", needed_when=("deduplicate",),
               help="勾選「重複列只計一次」時用來找出重複的列；預覽時部分遮蔽。"),
    ColumnSpec("kind", "收發別", ("收發別", "收發文別", "收發類別", "公文類別", "類別", "文別", "公文種類", "種類"),
               required=True, exclude=("密", "人員", "案件", "身分")),
    ColumnSpec("received_date", "收文日期", ("收文日期", "收文日", "來文日期", "收文時間", "收文日期時間", "來文日",
                                          "收件日期", "收文年月日"), kind="date"),
    ColumnSpec("sent_date", "發文日期", ("發文日期", "發文日", "發文時間", "發文日期時間", "發件日期", "發送日期",
                                         "發文年月日"),
               kind="date"),
    ColumnSpec("created_date", "創稿日期", ("創稿日期", "創簽稿日期", "創簽日期", "簽稿日期", "創稿日", "建檔日期",
                                         "創稿日期時間", "簽稿日", "創稿年月日"), kind="date"),
    # A date column shared by every kind of row (收發文日期, 收發日期) is the generic 日期, not 發文日期.
    ColumnSpec("date", "日期", ("日期", "收發文日期", "收發日期", "收發文日", "日期時間", "公文日期", "登錄日期",
                              "登記日期", "建立日期"), kind="date",
               exclude=("到職", "離職", "結案", "辦理", "通過", "資料", "截止", "列印")),
    ColumnSpec("exchange", "交換方式", ("交換方式", "是否電子交換", "電子交換", "交換別", "收發方式", "傳遞方式",
                                     "發文方式", "收文方式", "來文方式"), required=True),
    ColumnSpec("sign", "簽核方式",
               ("簽核方式", "是否線上簽核", "線上簽核", "簽核別", "簽核類別", "簽辦方式", "處理方式")),
    ColumnSpec("confidential", "密等", ("密等", "機密等級", "是否密件", "密件", "機密", "密等別"),
               needed_when=("exclude_confidential_from_signoff", "exclude_confidential_from_exchange")),
    ColumnSpec("status", "狀態", ("狀態", "公文狀態", "辦理狀態", "處理狀態"), needed_when=("exclude_cancelled",)),
)

FIELDS = ("edoc_sent_total", "edoc_sent_electronic", "edoc_received_electronic", "paper_received_signed_online",
          "self_created_drafts", "online_signed")

_DATE_COLUMNS = {RECEIVED: "received_date", SENT: "sent_date", DRAFT: "created_date"}
_KIND_LABELS = {RECEIVED: "收文", SENT: "發文", DRAFT: "創稿、簽稿"}


def aggregate(table: ExportTable, context: ExportContext) -> Aggregate:
    problems = Problems(table.filename, table.sheet)
    notes: list[str] = []
    applied: list[str] = []
    rows = table.rows
    size = len(table)
    kind_column = table.columns["kind"]
    contains = (("收文", RECEIVED), ("發文", SENT), ("簽", DRAFT), ("稿", DRAFT))
    kinds, unknown_kinds = kind_column.classify(classifier(KINDS, contains))
    unknown_value_problems(problems, kind_column, rows, kinds, unknown_kinds, np.ones(size, dtype=bool),
                           "請填「收文」「發文」「創稿」或「簽稿」", KINDS)
    blank_kind = kind_column.blank
    if blank_kind.any():
        problems.add_rows(kind_column.letter, rows[blank_kind],
                          f"{kind_column.header}空白，請填「收文」「發文」「創稿」或「簽稿」", kind_column.spec.label)

    parsed = {name: parse_date_column(table.columns[name])
              for name in ("received_date", "sent_date", "created_date", "date") if table.has(name)}
    dates = np.zeros(size, dtype=np.int64)
    letters = np.full(size, "", dtype=object)
    for kind, name in _DATE_COLUMNS.items():
        of_kind = kinds == kind
        if not of_kind.any():
            continue
        sources = [candidate for candidate in (name, "date") if candidate in parsed]
        if not sources:
            raise ColumnsNeeded(f"有 {int(of_kind.sum()):,} 列{_KIND_LABELS[kind]}，但找不到「{COLUMNS_BY_NAME[name].label}」"
                                "或「日期」欄；若檔案只有一個收發文共用的日期欄，請將它指定為「日期」",
                                _shared_date_guess(context))
        still = of_kind.copy()
        for candidate in sources:
            values, unknown = parsed[candidate]
            column = table.columns[candidate]
            use = still & ~column.blank
            date_problems(problems, column, rows, values, unknown, use)
            dates[use] = values[use]
            letters[use] = column.letter
            still &= ~use
        if still.any():
            column = table.columns[sources[0]]
            problems.add_rows(column.letter, rows[still], f"{_KIND_LABELS[kind]}列的{column.header}空白，請補上日期",
                              column.spec.label)

    exchange_column = table.columns["exchange"]
    exchanges, unknown_exchanges = exchange_column.classify(
        classifier(EXCHANGES, (("電子", ELECTRONIC), ("紙本", PAPER), ("郵", PAPER))))
    signing = table.has("sign")
    if signing:
        sign_column = table.columns["sign"]
        signs, unknown_signs = sign_column.classify(
            classifier(SIGNINGS, (("線上", ONLINE), ("電子", ONLINE), ("紙本", 2), ("人工", 2))))
    else:
        notes.append("檔案沒有「簽核方式」欄，只計算發文總件數與電子發文件數；線上簽核相關四項未計算。")

    keep = (kinds > 0) & (dates > 0)
    reasons: list[tuple[np.ndarray, str]] = []
    if context.options.exclude_cancelled:
        if table.has("status"):
            status = table.columns["status"]
            cancelled, _ = status.classify(lambda value: int(any(word in value for word in CANCELLED_WORDS)))
            dropped = keep & (cancelled == 1)
            keep &= ~dropped
            reasons.append((dropped, "公文狀態為作廢、銷號等，依設定不計"))
            applied.append(f"作廢、銷號公文不計（排除 {int(dropped.sum()):,} 列）")
        else:
            notes.append("已勾選「作廢公文不計」，但檔案沒有「狀態」欄，未排除任何列。")

    period = in_period(problems, notes, reasons, context, letters, rows, dates, keep, _DATED)
    keep = period.kept

    def require(column, codes, unknown, checked, needed, rows_label: str, fix: str, allowed) -> None:
        """Values outside `allowed` in the checked rows, and blanks in the rows that need a value."""
        unknown_value_problems(problems, column, rows, codes, unknown, checked, fix, allowed)
        blank = needed & (codes == 0)
        if blank.any():
            problems.add_rows(column.letter, rows[blank], f"{rows_label}的{column.header}空白，{fix}",
                              column.spec.label)

    needs_exchange = keep & ((kinds == SENT) | (kinds == RECEIVED))
    require(exchange_column, exchanges, unknown_exchanges, needs_exchange, needs_exchange, "收文、發文列",
            "請填「電子交換」或「紙本」", EXCHANGES)
    if signing:
        require(sign_column, signs, unknown_signs, keep & ((kinds == DRAFT) | (kinds == RECEIVED)),
                keep & ((kinds == DRAFT) | ((kinds == RECEIVED) & (exchanges == ELECTRONIC))),
                "電子收文及創稿、簽稿列", "請填「線上簽核」或「紙本簽核」", SIGNINGS)

    secret = np.zeros(size, dtype=bool)
    options = context.options
    wants_secret = options.exclude_confidential_from_signoff or options.exclude_confidential_from_exchange
    if wants_secret:
        if table.has("confidential"):
            column = table.columns["confidential"]
            levels, unknown_levels = column.classify(classifier(CONFIDENTIAL, (("密", 1),)))
            unknown_value_problems(problems, column, rows, levels, unknown_levels, keep,
                                   "請填「普通」「密」「機密」等密等", CONFIDENTIAL)
            secret = levels == 1
        else:
            notes.append("已勾選密件排除，但檔案沒有「密等」欄，未排除任何列。")

    if table.has("doc_number"):
        before = keep
        keep = drop_repeated(keep, table.columns["doc_number"].codes, kinds, 3, context.options.deduplicate, notes,
                             applied, key="文號與收發別", hint="重複匯出")
        reasons.append((before & ~keep, "文號與收發別和前面的列相同，依設定只計一次"))

    problems.raise_if_any()

    sent = keep & (kinds == SENT)
    if context.options.exclude_confidential_from_exchange and table.has("confidential"):
        applied.append(f"密件不計入電子交換比率（排除 {int((sent & secret).sum()):,} 件發文）")
        reasons.append((sent & secret, "密件，依設定不計入電子交換比率"))
        sent &= ~secret
    masks: dict[str, np.ndarray] = {
        "edoc_sent_total": sent,
        "edoc_sent_electronic": sent & (exchanges == ELECTRONIC),
    }
    if signing:
        received = keep & (kinds == RECEIVED)
        drafts = keep & (kinds == DRAFT)
        if context.options.exclude_confidential_from_signoff and table.has("confidential"):
            excluded = (received | drafts) & secret
            applied.append(f"密件不計入線上簽核比率（排除 {int(excluded.sum()):,} 列）")
            reasons.append((excluded, "密件，依設定不計入線上簽核比率"))
            received &= ~secret
            drafts &= ~secret
        electronic_received = received & (exchanges == ELECTRONIC)
        paper_online = received & (exchanges == PAPER) & (signs == ONLINE)
        masks["edoc_received_electronic"] = electronic_received
        masks["paper_received_signed_online"] = paper_online
        masks["self_created_drafts"] = drafts
        masks["online_signed"] = (electronic_received | paper_online | drafts) & (signs == ONLINE)
    values: list[MonthlyValue] = []
    used = np.zeros(size, dtype=bool)
    by_month = MonthMasks(period.months, period.covered)
    for code in FIELDS:
        if code in masks:
            values.extend(by_month.counts(code, rows, masks[code]))
            used |= masks[code]
    if not signing:
        reasons.append((keep & (kinds != SENT), "檔案沒有「簽核方式」欄，收文與創稿、簽稿列未計算"))
    return Aggregate(values, int(used.sum()), notes, applied, used, reasons)


def _shared_date_guess(context: ExportContext) -> dict[str, str | None]:
    """The one date column found is likely shared by every kind of row: offer it as the generic 日期."""
    found = [name for name in ("received_date", "sent_date", "created_date") if name in context.raw_headers]
    if len(found) != 1:
        return {}
    return {"date": context.raw_headers[found[0]], found[0]: None}


COLUMNS_BY_NAME = {column.name: column for column in COLUMNS}

SPEC = SourceSpec(
    name="document_log",
    label="公文清單（公文管理系統匯出）",
    columns=COLUMNS,
    fields=FIELDS,
    aggregate=aggregate,
    one_of=(("received_date", "sent_date", "created_date", "date"),),
    unused_reason="不屬任何計算項目（例如紙本來文以紙本簽核）",
)
