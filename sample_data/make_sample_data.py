"""Writes the sample figures next to this file.

    python sample_data/make_sample_data.py      (from the repository root)

Outputs: 112-01.xlsx … 112-12.xlsx (the 月報 template of 政風處's real 112 plan, one month filled each,
as a user uploads it), 112-full-year.csv (the same figures as one long UTF-8-with-BOM table), the
figures of the made-up sample plans in plans/ (範例-人事處-112.csv, 範例-政風處-113.csv, 範例-工務處-113.csv) and README.md
(with the year-end values computed here from the same figures, so the README cannot drift from them).
The figures are fixed below, not random, so every run writes identical bytes.
"""

from __future__ import annotations

import csv
import io
import re
import sys
import zipfile
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

HERE = Path(__file__).resolve().parent
if str(HERE.parent) not in sys.path:
    sys.path.insert(0, str(HERE.parent))

from metrics.plans.catalogue import SAMPLE_PLANS_DIRECTORY, Catalogue, load_catalogue  # noqa: E402
from metrics.evaluation.figures import Figures  # noqa: E402
from metrics.plans.formulas import format_number  # noqa: E402
from metrics.plans.plan import Indicator, Plan  # noqa: E402
from metrics.outputs.template import build_template  # noqa: E402

YEAR = 112
UNIT = "政風處"
CSV_NAME = f"{YEAR}-full-year.csv"
CSV_COLUMNS = ("年度", "月份", "單位", "項目代碼", "數值")
FIXED_TIMESTAMP = (2023, 12, 31, 0, 0, 0)
FIXED_ISO_TIMESTAMP = "2023-12-31T00:00:00Z"

#                                1      2      3      4      5      6      7      8      9     10     11     12
MONTHLY: dict[str, tuple[object, ...]] = {
    "warning_cases":             (0,     0,     0,     1,     0,     0,     0,     0,     1,     0,     0,     0),
    "procurement_audits":        (11,    11,    10,    12,    11,    11,    12,    11,    12,    11,    12,    10),
    "complaints_completed":      (10,    9,     13,    12,    11,    12,    13,    12,    11,    12,    12,    14),
    "infosec_audits":            (0,     0,     0,     0,     0,     0,     0,     0,     0,     1,     0,     0),
    "pinhole_inspections":       (0,     0,     1,     0,     0,     1,     0,     0,     1,     0,     0,     1),
    "harassment_courses":        (0,     0,     0,     0,     1,     0,     0,     0,     0,     0,     0,     0),
    "new_positions":             (2,     2,     2,     2,     2,     2,     2,     2,     2,     2,     2,     2),
    "reduced_contract":          (1,     1,     1,     1,     1,     1,     1,     1,     1,     1,     1,     1),
    "reduced_temp":              (0,     0,     0,     0,     0,     0,     0,     0,     0,     0,     0,     0),
    "contract_budget_positions": (3,     3,     3,     3,     3,     3,     3,     3,     3,     3,     3,     3),
    "temp_budget_positions":     (2,     2,     2,     2,     2,     2,     2,     2,     2,     2,     2,     2),
    "hakka_certified":           (9,     9,     9,     9,     10,    10,    10,    10,    10,    11,    11,    11),
    "staff_headcount":           (26,    26,    27,    27,    27,    27,    27,    28,    27,    27,    27,    27),
    "budget_amount":             ("21288", "21288", "21288", "21288", "21288", "21288",
                                  "21288", "21288", "21288", "21288", "21288", "21288"),
    "actual_spent":              ("1402.6", "2867.3", "4391.8", "5818.4", "7347.9", "8951.2",
                                  "10428.7", "11873.5", "13362", "14906.4", "16368.9", "17604.3"),
    "payables":                  ("58.4", "74.1", "96.5", "103.2", "121.8", "143.6",
                                  "150.2", "167.9", "181.4", "196.7", "214.3", "226.8"),
    "savings":                   ("0", "0", "0", "0", "0", "0", "0", "0", "0", "0", "52.6", "318.5"),
    "reserved":                  ("0", "0", "0", "0", "0", "0", "0", "0", "0", "46.3", "46.3", "218.6"),
    "gender_analyses":           (0,     0,     0,     0,     0,     0,     0,     0,     1,     0,     0,     0),
    "gender_impact_reviews":     (0,     0,     1,     0,     0,     0,     0,     0,     0,     1,     0,     0),
    "edoc_sent_electronic":      (101,   109,   123,   115,   118,   113,   122,   116,   110,   119,   114,   125),
    "edoc_sent_total":           (104,   112,   127,   118,   121,   116,   125,   119,   113,   122,   117,   128),
    "online_signed":             (192,   201,   233,   215,   226,   212,   224,   207,   221,   228,   219,   240),
    "edoc_received_electronic":  (196,   204,   231,   218,   225,   214,   222,   209,   216,   228,   219,   233),
    "paper_received_signed_online": (24,  21,    27,    25,    23,    26,    22,    24,    25,    23,    26,    21),
    "self_created_drafts":       (58,    63,    71,    66,    69,    64,    70,    62,    67,    72,    65,    74),
}

STATUS_TEXT = {"met": "達標", "on_track": "符合進度", "behind": "落後", "no_data": "無資料",
               "not_applicable": "不適用"}

# How the README spells out each ratio: a label per term, in the plan's order.
TERM_LABELS = {
    "reduced_contract": "精簡聘僱", "reduced_temp": "精簡臨時", "new_positions": "新增員額",
    "hakka_certified": "客語認證", "staff_headcount": "現職",
    "actual_spent": "實支", "payables": "應付", "savings": "節餘", "reserved": "控留", "budget_amount": "預算",
    "edoc_sent_electronic": "電子發文", "edoc_sent_total": "發文總數",
    "online_signed": "線上簽核", "edoc_received_electronic": "電子收文",
    "paper_received_signed_online": "紙本來文線上簽核", "self_created_drafts": "自創簽稿",
}


# The made-up sample plans (sample_data/plans/): 人事處 and 主計處 112, common indicators only, the whole year (主計處's
# December in part); 政風處 113 and 工務處 113 (every kind of indicator), January to June. 人事處 misses indicator 6
# in 112 (no reduction yet), so its multi-year points start at 0.
SAMPLE_MONTHLY: dict[tuple[int, str], dict[str, tuple[object, ...]]] = {
    (112, "人事處"): {
        #                            1      2      3      4      5      6      7      8      9     10     11     12
        "new_positions":             (1,     1,     1,     1,     1,     1,     1,     1,     1,     1,     1,     1),
        "reduced_contract":          (0,     0,     0,     0,     0,     0,     0,     0,     0,     0,     0,     0),
        "reduced_temp":              (0,     0,     0,     0,     0,     0,     0,     0,     0,     0,     0,     0),
        "contract_budget_positions": (2,     2,     2,     2,     2,     2,     2,     2,     2,     2,     2,     2),
        "temp_budget_positions":     (0,     0,     0,     0,     0,     0,     0,     0,     0,     0,     0,     0),
        "hakka_certified":           (14,    14,    14,    15,    15,    15,    15,    16,    16,    16,    17,    17),
        "staff_headcount":           (38,    38,    38,    38,    39,    39,    39,    39,    39,    39,    39,    39),
        "budget_amount":             ("48650",) * 12,
        "actual_spent":              ("3120.5", "6544.2", "10231", "13890.7", "17602.3", "21455.8",
                                      "25010.4", "28760.9", "32411.6", "36200.2", "39850.8", "43921.5"),
        "payables":                  ("120.3", "144.8", "160.2", "171.5", "190.4", "205.9",
                                      "219.7", "238.1", "251.6", "266.4", "280.3", "310.7"),
        "savings":                   ("0",) * 11 + ("402.6",),
        "reserved":                  ("0",) * 12,
        "gender_analyses":           (0,     0,     0,     0,     0,     1,     0,     0,     0,     0,     0,     0),
        "gender_impact_reviews":     (0,     0,     0,     1,     0,     0,     0,     0,     0,     1,     0,     0),
        "edoc_sent_electronic":      (212,   230,   241,   228,   236,   233,   240,   229,   238,   244,   231,   250),
        "edoc_sent_total":           (217,   236,   246,   233,   242,   238,   246,   234,   243,   250,   236,   256),
        "online_signed":             (410,   428,   455,   431,   446,   439,   452,   437,   449,   461,   443,   470),
        "edoc_received_electronic":  (380,   392,   418,   399,   410,   404,   415,   402,   413,   424,   407,   432),
        "paper_received_signed_online": (31,  29,    33,    30,    32,    31,    30,    29,    32,    33,    30,    31),
        "self_created_drafts":       (95,    99,   104,    98,   101,    97,   103,    99,   102,   106,    98,   108),
    },
    (112, "主計處"): {
        # December is reported only in part, so the county view has a unit to chase
        "new_positions":             (1,) * 12,
        "reduced_contract":          (0,) * 6 + (1,) * 6,
        "reduced_temp":              (0,) * 12,
        "contract_budget_positions": (1,) * 12,
        "temp_budget_positions":     (2,) * 12,
        "hakka_certified":           (12,    12,    12,    13,    13,    13,    14,    14,    14,    15,    15,    None),
        "staff_headcount":           (33,    33,    33,    33,    34,    34,    34,    34,    34,    34,    34,    None),
        "budget_amount":             ("31250",) * 12,
        "actual_spent":              ("2050.4", "4212.9", "6518.3", "8790.6", "11020.1", "13366.2",
                                      "15579.8", "17840.5", "20101.3", "22400.6", "24655.2", None),
        "payables":                  ("80.2", "95.6", "110.4", "121.9", "133.5", "150.8",
                                      "161.2", "175.4", "190.3", "204.6", "219.9", None),
        "savings":                   ("0",) * 12,
        "reserved":                  ("0",) * 12,
        "gender_analyses":           (0,     0,     0,     0,     0,     0,     0,     0,     0,     1,     0,     0),
        "gender_impact_reviews":     (0,     0,     0,     0,     1,     0,     0,     0,     0,     0,     0,     0),
        "edoc_sent_electronic":      (151,   160,   171,   158,   166,   162,   170,   159,   165,   172,   161,   175),
        "edoc_sent_total":           (158,   166,   178,   165,   172,   169,   177,   166,   171,   179,   168,   182),
        "online_signed":             (240,   251,   266,   249,   258,   252,   263,   248,   257,   268,   251,   272),
        "edoc_received_electronic":  (270,   281,   297,   279,   289,   283,   294,   278,   288,   299,   282,   304),
        "paper_received_signed_online": (25,  24,    27,    25,    26,    24,    27,    25,    26,    27,    25,    28),
        "self_created_drafts":       (70,    73,    77,    72,    75,    73,    76,    72,    75,    78,    73,    79),
    },
    (113, "政風處"): {
        "warning_cases":             (0,     1,     0,     0,     0,     0),
        "procurement_audits":        (12,    11,    11,    12,    10,    12),
        "complaints_completed":      (13,    12,    14,    12,    13,    11),
        "infosec_audits":            (0,     0,     0,     1,     0,     0),
        "pinhole_inspections":       (1,     0,     0,     1,     0,     0),
        "harassment_courses":        (0,     0,     1,     0,     0,     0),
        "new_positions":             (2,     2,     2,     2,     2,     2),
        "reduced_contract":          (1,     1,     1,     1,     1,     1),
        "reduced_temp":              (0,     0,     0,     0,     0,     0),
        "contract_budget_positions": (3,     3,     3,     3,     3,     3),
        "temp_budget_positions":     (2,     2,     2,     2,     2,     2),
        "hakka_certified":           (11,    11,    12,    12,    12,    13),
        "staff_headcount":           (27,    27,    27,    28,    28,    28),
        "budget_amount":             ("22140",) * 6,
        "actual_spent":              ("1480.2", "3012.6", "4570.1", "6101.9", "7688.4", "9310.7"),
        "payables":                  ("61.5", "80.2", "99.8", "110.6", "127.3", "150.1"),
        "savings":                   ("0",) * 6,
        "reserved":                  ("0",) * 6,
        "gender_analyses":           (0,     0,     0,     0,     1,     0),
        "gender_impact_reviews":     (0,     1,     0,     0,     0,     0),
        "edoc_sent_electronic":      (106,   111,   125,   118,   120,   116),
        "edoc_sent_total":           (108,   114,   128,   121,   123,   119),
        "online_signed":             (205,   214,   240,   226,   233,   221),
        "edoc_received_electronic":  (199,   207,   233,   220,   226,   216),
        "paper_received_signed_online": (22,  20,    25,    23,    22,    24),
        "self_created_drafts":       (60,    64,    72,    67,    70,    65),
    },
    (113, "工務處"): {
        # Every kind of indicator (sample_data/plans/113/工務處.toml), January to June; the survey is in March and June.
        "new_positions":             (3,     3,     3,     3,     3,     3),
        "reduced_contract":          (1,     1,     1,     1,     2,     2),
        "reduced_temp":              (0,     0,     0,     0,     0,     0),
        "contract_budget_positions": (6,     6,     6,     6,     6,     6),
        "temp_budget_positions":     (4,     4,     4,     4,     4,     4),
        "hakka_certified":           (40,    40,    41,    41,    42,    42),
        "staff_headcount":           (118,   118,   119,   119,   120,   120),
        "budget_amount":             ("356800",) * 6,
        "actual_spent":              ("18250.6", "39412.8", "66873.1", "95120.4", "126508.9", "160233.7"),
        "payables":                  ("1210.4", "1655.2", "2130.8", "2410.6", "2880.1", "3312.5"),
        "savings":                   ("0",) * 6,
        "reserved":                  ("0",) * 6,
        "gender_analyses":           (0,     0,     1,     0,     0,     0),
        "gender_impact_reviews":     (0,     0,     0,     1,     0,     0),
        "edoc_sent_electronic":      (402,   388,   441,   425,   436,   419),
        "edoc_sent_total":           (415,   401,   456,   438,   450,   432),
        "online_signed":             (780,   752,   846,   815,   833,   806),
        "edoc_received_electronic":  (735,   710,   798,   770,   788,   761),
        "paper_received_signed_online": (88,  81,    95,    90,    92,    87),
        "self_created_drafts":       (215,   204,   238,   226,   231,   219),
        "pothole_reports":           (52,    48,    61,    55,    47,    50),
        "pothole_repair_days":       (150,   140,   170,   160,   130,   141),
        "potholes_repaired":         (50,    47,    60,    54,    46,    49),
        "road_widening_stage":       (0,     1,     1,     1,     2,     2),
        "works_satisfaction":        (None,  None,  "82.6", None, None,  "86.4"),
        "sidewalk_metres":           (1100,  950,   1300,  1250,  1020,  1180),
    },
}


def sample_file_name(year: int, unit: str) -> str:
    return f"範例-{unit}-{year}.csv"


def monthly_values(plan: Plan) -> dict[str, dict[int, Decimal]]:
    """field code → month → figure, in the plan's field order."""
    table = MONTHLY if (plan.year, plan.unit) == (YEAR, UNIT) else SAMPLE_MONTHLY[(plan.year, plan.unit)]
    return {monthly_field.code: {month: Decimal(str(value))
                                 for month, value in enumerate(table[monthly_field.code], start=1) if value is not None}
            for monthly_field in plan.fields}


@dataclass(frozen=True)
class Result:
    indicator: Indicator
    month: int
    actual: Fraction | None
    status: str
    expression: str
    result_text: str


def evaluate(figures: Figures, indicator: Indicator, month: int) -> Result:
    """The data contract's §3 rules (docs/資料規格.md 第六節), applied to one indicator as of `month`."""
    values = {code: figures.as_of(code, month) for code in indicator.fields}
    computation = indicator.kind.compute(indicator, values, figures.plan.field_by_code)
    target = Fraction(indicator.target)
    if computation.actual is None:
        status = computation.status or "no_data"
    elif computation.actual >= target:
        status = "met"
    elif indicator.accrues and computation.actual >= target * month / 12:
        status = "on_track"
    else:
        status = "behind"
    return Result(indicator, month, computation.actual, status, _expression(indicator, values),
                  _result_text(indicator, computation.actual))


def _amount(value: Fraction | None) -> str:
    return format_number(value, places=1)


def _expression(indicator: Indicator, values: dict[str, Fraction | None]) -> str:
    def term_text(code: str) -> str:
        return f"{TERM_LABELS[code]} {_amount(values.get(code))}"

    if not indicator.is_ratio:
        return f"各月合計 {_amount(values.get(indicator.numerator[0].field))}"
    if indicator.id == "6":  # the plan's reduction rate, written out with its own terms
        return (f"({term_text('reduced_contract')} + {term_text('reduced_temp')} ÷ 2) ÷ "
                f"{term_text('new_positions')} × 100，無條件進位")
    numerator = " + ".join(term_text(term.field) for term in indicator.numerator)
    denominator = " + ".join(term_text(term.field) for term in indicator.denominator)
    if len(indicator.numerator) > 1:
        numerator = f"({numerator})"
    if len(indicator.denominator) > 1:
        denominator = f"({denominator})"
    return f"{numerator} ÷ {denominator} × 100"


def _result_text(indicator: Indicator, actual: Fraction | None) -> str:
    if actual is None:
        return "—"
    if indicator.unit == "%":
        if actual.denominator == 1:
            return f"{actual.numerator}%"
        return f"{Decimal(actual.numerator) / Decimal(actual.denominator):.2f}%"
    return f"{format_number(actual)} {indicator.unit}"


def _target_text(indicator: Indicator) -> str:
    target = format_number(Fraction(indicator.target))
    return f"{target}%" if indicator.unit == "%" else f"{target} {indicator.unit}"


def deterministic_xlsx(data: bytes) -> bytes:
    """The same workbook with fixed zip and document timestamps, so regenerating changes no byte."""
    source = zipfile.ZipFile(io.BytesIO(data))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            content = source.read(info.filename)
            if info.filename == "docProps/core.xml":
                content = re.sub(rb"(<dcterms:(?:created|modified)[^>]*>)[^<]*(</dcterms:)",
                                 rb"\g<1>" + FIXED_ISO_TIMESTAMP.encode() + rb"\g<2>", content)
            fixed = zipfile.ZipInfo(info.filename, date_time=FIXED_TIMESTAMP)
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = 0o644 << 16
            target.writestr(fixed, content)
    return buffer.getvalue()


def month_file_name(month: int) -> str:
    return f"{YEAR}-{month:02d}.xlsx"


def _csv_value(value: Decimal) -> str:
    return format(value, "f")


def write_csv(values: dict[str, dict[int, Decimal]], path: Path, year: int = YEAR, unit: str = UNIT) -> None:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    months_present = sorted({month for months in values.values() for month in months})
    for month in months_present:
        for code, months in values.items():
            if month in months:
                writer.writerow((year, month, unit, code, _csv_value(months[month])))
    path.write_bytes(buffer.getvalue().encode("utf-8-sig"))


def readme_text(plan: Plan, figures: Figures) -> str:
    year_end = [evaluate(figures, indicator, 12) for indicator in plan.indicators]
    mid_year = [evaluate(figures, indicator, 6) for indicator in plan.indicators]
    lines = [
        "# 範例資料",
        "",
        "本目錄是一整年（112 年 1 月至 12 月）的虛構範例數字，供試用儀表板、練習上傳與測試使用；"
        "數字依計畫的指標設計，並非政風處實際統計。",
        "",
        "| 檔案 | 內容 |",
        "|---|---|",
        "| `112-01.xlsx` … `112-12.xlsx` | 系統提供的「月報」範本，每個檔案只填當月一欄，就像同仁每月上傳的檔案 |",
        f"| `{CSV_NAME}` | 同一年的全部數字，一列一個數值（欄位：{'、'.join(CSV_COLUMNS)}），UTF-8（含 BOM），可用 Excel 開啟 |",
        f"| `{sample_file_name(112, '人事處')}`、`{sample_file_name(112, '主計處')}`、`{sample_file_name(113, '政風處')}`、"
        f"`{sample_file_name(113, '工務處')}` | "
        "「範例計畫」的數字：人事處與主計處 112 年（只有共同性指標；主計處 12 月只填了一部分，全府比較頁可看到「未填報」），"
        "政風處 113 年 1 至 6 月，與工務處 113 年 1 至 6 月（反向指標、平均修補日數、完成工作項目、滿意度調查與成長率各一項；"
        "滿意度只在 3 月與 6 月調查）。這些計畫（`sample_data/plans/`）的目標值是虛構的，"
        "只在範例資料模式與測試中使用，標示為「範例」，不是正式計畫 |",
        "",
        "所有檔案與本說明由 `make_sample_data.py` 產生（在專案根目錄執行 "
        "`python sample_data/make_sample_data.py`）；數字寫在該程式內，每次產生的檔案完全相同。"
        "請勿手動修改本說明，測試會用 CSV 重新計算下表並比對。",
        "",
        "範例的情境：至 6 月有達標、符合進度與落後的指標；至 12 月多數達標，"
        "但「陳情檢舉完成」與「公文線上簽核比率」仍落後。",
        "",
        "## 年底（統計至 112 年 12 月）各指標數值",
        "",
        "| 指標 | 名稱 | 計算（至 12 月） | 結果 | 目標值 | 12 月狀態 | 6 月結果 | 6 月狀態 |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for end, middle in zip(year_end, mid_year):
        indicator = end.indicator
        lines.append(f"| {indicator.id} | {indicator.short_name} | {end.expression} | {end.result_text} | "
                     f"{_target_text(indicator)} | {STATUS_TEXT[end.status]} | {middle.result_text} | "
                     f"{STATUS_TEXT[middle.status]} |")
    lines += [
        "",
        "說明：件數類指標為 1 月起各月合計；比率類為年初至當月各項合計後再相除（不是各月比率的平均），"
        "四捨五入至小數第 2 位；指標 6 依計畫無條件進位至整數。"
        "「符合進度」表示尚未達標，但已達目標值 × 月數 ÷ 12。"
        "指標 6 的分母：縣款聘僱預算員額 3 人＋臨時人員預算員額 2 人 ÷ 2＝4 人，未少於新增員額 2 人，"
        "故仍以新增員額為分母（計畫補充說明（三））。",
        "",
    ]
    return "\n".join(lines)


def sample_catalogue() -> Catalogue:
    """The official plans and the made-up sample plans the sample figures belong to."""
    return load_catalogue(samples=SAMPLE_PLANS_DIRECTORY)


def main(output_dir: Path = HERE, catalogue: Catalogue | None = None) -> list[Path]:
    output_dir.mkdir(parents=True, exist_ok=True)
    catalogue = catalogue or sample_catalogue()
    plan = catalogue.plan(YEAR, UNIT)
    values = monthly_values(plan)
    written: list[Path] = []
    for month in range(1, 13):
        month_values = {(code, month): months[month] for code, months in values.items()}
        data = build_template(plan, values=month_values)
        path = output_dir / month_file_name(month)
        path.write_bytes(deterministic_xlsx(data))
        written.append(path)
    csv_path = output_dir / CSV_NAME
    write_csv(values, csv_path)
    written.append(csv_path)
    for year, unit in SAMPLE_MONTHLY:
        sample_path = output_dir / sample_file_name(year, unit)
        write_csv(monthly_values(catalogue.plan(year, unit)), sample_path, year, unit)
        written.append(sample_path)
    readme_path = output_dir / "README.md"
    readme_path.write_text(readme_text(plan, Figures(plan, values)), encoding="utf-8")
    written.append(readme_path)
    return written


if __name__ == "__main__":
    for written_path in main():
        print(f"已寫入 {written_path}")
