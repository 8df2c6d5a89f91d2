"""What the dashboard shows (metrics/outputs/presentation.py), against hand-written expectations."""

import datetime as dt
import io
from decimal import Decimal
from fractions import Fraction
from types import SimpleNamespace

import pandas as pd
import pytest
from openpyxl import load_workbook

from metrics.evaluation.core import evaluate
from metrics.evaluation.figures import Figures
from catalogues import PLAN_112
from metrics.outputs.presentation import (additions_table, behind_without_reason, apply_additions, comparison_changes, comparison_table, formula_text, frame_months,
                                  gauge_lines, history_rows, indicator_series, preview_summary, preview_table,
                                  provenance_table, ratio_parts, read_additions_table, read_targets_table,
                                  report_heading, report_rows, REPORT_HEADERS, scenario_from_payload, scenario_month,
                                  scenario_payload, targets_table, taiwan_time, weight_text)
from metrics.outputs.report import build_report
from metrics.store.figures import ChangeKind

D = Decimal


def figures(values):
    return Figures.from_mapping(PLAN_112, values)


def result_of(values, month, indicator_id, **options):
    return evaluate(figures(values), month, **options).result(indicator_id)


EDOC = {"edoc_sent_electronic": {1: 1180}, "edoc_sent_total": {1: 1216}}
BUDGET = {"budget_amount": {1: 21288}, "actual_spent": {1: "15000.5"}, "payables": {1: 200}}
SWITCHED = {"reduced_contract": {1: 1}, "reduced_temp": {1: 1}, "new_positions": {1: 4},
            "contract_budget_positions": {1: 1}, "temp_budget_positions": {1: 2}}  # D = 1 + 2 ÷ 2 = 2 < 4
SIGN_OFF = {"online_signed": {1: 700}, "edoc_received_electronic": {1: 800}, "paper_received_signed_online": {1: 100}}
AUDITS_HALF_YEAR = {"procurement_audits": {m: 11 for m in range(1, 7)}}


@pytest.mark.parametrize(("values", "indicator_id", "expected"), [
    (EDOC, "10-1", "電子發文件數 1,180 / 發文總件數 1,216 件"),
    (BUDGET, "8", "(實支數(累計)＋應付數(累計)＋節餘數(累計)＋控留數(累計)) 15,200.5 / 預算數 21,288 千元"),
    (SWITCHED, "6", "(精簡之縣款聘僱人員數＋精簡之縣款臨時人員數÷2) 1.5 / "
                    "(縣款聘僱預算員額數＋縣款臨時人員預算員額數÷2) 2 人"),
    ({**SWITCHED, "contract_budget_positions": {1: 9}}, "6",  # 9 + 1 ≥ 4: the plan's own denominator
     "(精簡之縣款聘僱人員數＋精簡之縣款臨時人員數÷2) 1.5 / 新增(含解控)預算員額數 4 人"),
    ({"warning_cases": {1: 1}}, "1", ""),  # a count has no parts
    ({"edoc_sent_electronic": {1: 5}}, "10-1", ""),  # no denominator yet
])
def test_ratio_parts(values, indicator_id, expected):
    assert ratio_parts(result_of(values, 1, indicator_id), figures(values)) == expected


@pytest.mark.parametrize(("values", "month", "indicator_id", "expected"), [
    ({"warning_cases": {1: 0, 3: 1}}, 3, "1", "預警案件數（112年1月至3月合計）＝ 0 ＋ 1 ＝ 1 案"),
    (EDOC, 1, "10-1", "電子發文件數 1,180 ÷ 發文總件數 1,216 × 100% ＝ 97.04%"),
    (SIGN_OFF, 1, "10-2", "公文線上簽核件數 700 ÷ (電子公文收文總數 800 ＋ 紙本來文線上簽核數 100 ＋ "
                          "自創簽稿數 未填報（以 0 計）) × 100% ＝ 77.78%"),
    (BUDGET, 1, "8", "(實支數(累計) 15,000.5 ＋ 應付數(累計) 200 ＋ 節餘數(累計) 未填報（以 0 計） ＋ "
                     "控留數(累計) 未填報（以 0 計）) ÷ 預算數 21,288 × 100% ＝ 71.4%"),  # 15,200.5 ÷ 21,288 = 71.40 %
    (SWITCHED, 1, "6", "(精簡之縣款聘僱人員數 1 ＋ 精簡之縣款臨時人員數 1 ÷ 2) ÷ 縣款聘僱預算員額數＋縣款臨時人員預算員額數÷2 2 "
                       "× 100%，無條件進位 ＝ 75%"),
    ({}, 1, "2", "尚無結果：尚無填報資料"),
])
def test_formula_text(values, month, indicator_id, expected):
    assert formula_text(result_of(values, month, indicator_id), figures(values)) == expected


@pytest.mark.parametrize(("values", "month", "indicator_id", "expected"), [
    # 66 of 130 by June: pace 65, achievement 50.8 %, projection 66 × 12 ÷ 6 = 132
    (AUDITS_HALF_YEAR, 6, "2", ["狀態：符合進度｜目標 130 案（至 6 月進度 65 案）｜達成率 50.8%", "差距：還需 64 案",
                                "年底預估：132 案"]),
    ({"procurement_audits": {1: 11, 2: 11, 4: 11}}, 4, "2",
     ["狀態：落後｜目標 130 案（至 4 月進度 43.33 案）｜達成率 25.4%", "差距：還需 97 案", "年底預估：99 案",
      "⚠ 尚未填報：3月"]),
    (EDOC, 1, "10-1", ["電子發文件數 1,180 / 發文總件數 1,216 件", "狀態：達標｜目標 97%｜達成率 100%",
                       "差距：已達標", "年底預估：97.04%"]),
    # nothing uploaded for the year at all: said once on the page, not as months missing under every gauge
    ({}, 2, "1", ["狀態：無資料｜目標 2 案（至 2 月進度 0.33 案）｜達成率 —"]),
    ({"procurement_audits": {1: 3}}, 2, "1", ["狀態：無資料｜目標 2 案（至 2 月進度 0.33 案）｜達成率 —",
                                             "⚠ 尚未填報：1月、2月"]),
])
def test_gauge_lines(values, month, indicator_id, expected):
    assert gauge_lines(result_of(values, month, indicator_id), figures(values)) == expected


@pytest.mark.parametrize(("values", "indicator_id", "as_of", "actual", "monthly"), [
    ({"procurement_audits": {1: 10, 2: 12, 3: 11}}, "2", 3, [10, 22, 33, None], [10, 12, 11, None]),
    ({"procurement_audits": {1: 10, 3: 11}}, "2", 3, [10, 10, 21, None], [10, None, 11, None]),
    # ratio of sums (97 + 90) ÷ 200 = 93.5, the month's own ratio 90
    ({"edoc_sent_electronic": {1: 97, 2: 90}, "edoc_sent_total": {1: 100, 2: 100}}, "10-1", 2,
     [97, 93.5, None, None], [97, 90, None, None]),
    ({"hakka_certified": {1: 9, 3: 10}, "staff_headcount": {1: 27}}, "7", 3,  # stocks: no monthly value
     [33.33, 33.33, 37.04, None], [None, None, None, None]),
])
def test_indicator_series(values, indicator_id, as_of, actual, monthly):
    series = indicator_series(figures(values), indicator_id, as_of)
    assert list(series["month"]) == list(range(1, 13))
    assert series["actual"].head(4).tolist() == pytest.approx([v if v is not None else float("nan") for v in actual],
                                                              nan_ok=True)
    assert series["monthly"].head(4).tolist() == pytest.approx(
        [v if v is not None else float("nan") for v in monthly], nan_ok=True)


def test_indicator_series_pace_and_what_if_target():
    series = indicator_series(figures({}), "2", 1, Fraction(120))
    assert series["pace"].tolist() == [10 * month for month in range(1, 13)]
    assert set(series["target"]) == {120}
    assert indicator_series(figures({}), "10-1", 1)["pace"].isna().all()


def test_report_rows_and_workbook():
    evaluation = evaluate(figures(AUDITS_HALF_YEAR), 6)
    notes = {"2": SimpleNamespace(reason="=HYPERLINK(\"http://x\")", action="增加稽核人力")}
    rows = report_rows(evaluation, notes)
    assert len(rows) == 13
    assert rows[1] == {
        "goal": "2. 監辦採購業務，落實採購稽核機制，建構本縣公平公開之採購環境",
        "indicator": "2 辦理採購稽核案件", "weight": D("12.5"), "target": "130 案", "actual": "66 案",
        "achievement": "50.8%", "status": "符合進度", "gap": "還需 64 案", "projection": "132 案",
        "reason": "=HYPERLINK(\"http://x\")", "action": "增加稽核人力",
    }
    assert rows[0]["status"] == "無資料" and rows[0]["reason"] == "" and rows[0]["actual"] == "—"
    title, subtitle = report_heading(evaluation)
    assert title == "新竹縣政府政風處 112 年度施政計畫績效指標執行情形"
    assert subtitle.startswith("政風處｜統計至 112 年 6 月｜加權分數 ")
    assert "計畫權重合計 95%" in subtitle and subtitle.endswith("｜計畫檔 tests/golden_plans/112/政風處.toml")

    sheet = load_workbook(io.BytesIO(build_report(rows, title=title, subtitle=subtitle))).active
    texts = [cell.value for row in sheet.iter_rows() for cell in row if cell.value is not None]
    assert title in texts and "增加稽核人力" in texts and "還需 64 案" in texts
    reason_cells = [cell for row in sheet.iter_rows() for cell in row if "HYPERLINK" in str(cell.value or "")]
    assert [cell.data_type for cell in reason_cells] == ["s"]  # typed text, never a live formula

    assert [header for _, header in REPORT_HEADERS] == ["策略目標", "績效指標", "權重", "目標值", "實際值", "達成率", "狀態",
                                                        "差距", "年底預估", "落後原因", "改進措施"]
    assert set(rows[0]) == {key for key, _ in REPORT_HEADERS}  # every column has its value in every row
    assert weight_text(rows[1]["weight"]) == "12.5%"


@pytest.mark.parametrize(("notes", "expected"), [
    ({}, ["3", "10-2"]),
    ({"3": SimpleNamespace(reason="人力不足", action="")}, ["10-2"]),
    ({"3": SimpleNamespace(reason="", action="加派人力")}, ["3", "10-2"]),  # an action alone gives no reason
])
def test_behind_without_reason(notes, expected):
    values = {"complaints_completed": {12: 141}, "procurement_audits": {12: 134},
              "online_signed": {12: 70}, "edoc_received_electronic": {12: 100}}
    assert behind_without_reason(evaluate(figures(values), 12), notes) == expected


def test_report_heading_label():
    _, subtitle = report_heading(evaluate(figures({}), 3), label="範例資料")
    assert subtitle.startswith("範例資料｜政風處｜統計至 112 年 3 月｜加權分數 0 分")


def edited_targets(changes):
    table = targets_table(PLAN_112)
    for (indicator_id, column), value in changes.items():
        table.loc[table["指標"] == indicator_id, column] = value
    return table


@pytest.mark.parametrize(("changes", "targets", "weights", "problem_fields"), [
    ({}, {}, {}, []),
    ({("2", "模擬目標值"): 140}, {"2": D(140)}, {}, []),
    ({("10-1", "模擬目標值"): 97.5}, {"10-1": D("97.5")}, {}, []),
    ({("1", "模擬權重"): 0}, {}, {"1": D(0)}, []),  # weight 0 leaves an indicator out of the score
    ({("1", "模擬目標值"): 0}, {}, {}, ["模擬目標值"]),  # a target of 0 would divide by 0
    ({("1", "模擬目標值"): float("nan")}, {}, {}, ["模擬目標值"]),  # a cleared cell
    ({("8", "模擬權重"): -1}, {}, {}, ["模擬權重"]),
    ({("8", "模擬權重"): 100}, {}, {"8": D(100)}, []),  # the boundary is allowed
    ({("8", "模擬目標值"): 100}, {"8": D(100)}, {}, []),  # a target at the indicator's upper bound is allowed
    ({("8", "模擬權重"): 120}, {}, {}, ["模擬權重"]),  # was kept as 100 by the grid without a word (issue 19)
])
def test_read_targets_table(changes, targets, weights, problem_fields):
    table = edited_targets(changes)
    read_targets, read_weights, problems = read_targets_table(table, PLAN_112)
    assert (read_targets, read_weights) == (targets, weights)
    assert [problem.field for problem in problems] == problem_fields


@pytest.mark.parametrize(("changes", "message"), [
    ({("8", "模擬權重"): 120}, "指標 8（預算執行率）的模擬權重（目前是 120）須為 0 至 100 的數字，暫以計畫權重 10 計算。"),
    ({("8", "模擬權重"): -5}, "指標 8（預算執行率）的模擬權重（目前是 -5）須為 0 至 100 的數字，暫以計畫權重 10 計算。"),
    ({("1", "模擬目標值"): float("nan")}, "指標 1（辦理預警案件）的模擬目標值（目前空白）須為大於 0 的數字，暫以計畫目標值 2 計算。"),
    ({("8", "模擬目標值"): 120}, "指標 8（預算執行率）的模擬目標值（目前是 120）超過此指標的上限 100，無法達成，暫以計畫目標值 85 計算。"),
])
def test_a_what_if_number_out_of_range_is_named_with_its_value(changes, message):
    _, _, problems = read_targets_table(edited_targets(changes), PLAN_112)
    assert [problem.message for problem in problems] == [message]


def test_targets_table_shows_plan_and_what_if():
    table = targets_table(PLAN_112, {"2": D(140)}, {"8": D(20)})
    assert len(table) == 13 and list(table["指標"])[:3] == ["1", "2", "3"]
    row = table[table["指標"] == "2"].iloc[0]
    assert (row["計畫目標值"], row["模擬目標值"], row["單位"]) == (130, 140, "案")
    assert table[table["指標"] == "8"].iloc[0]["模擬權重"] == 20


@pytest.mark.parametrize(("rows", "additions", "problems"), [
    ([], [], []),
    ([{"項目": None, "月份": None, "數量": None}], [], []),  # the editor's empty new row
    ([{"項目": "採購稽核案件數", "月份": 12, "數量": 5}], [("procurement_audits", 12, D(5))], []),
    ([{"項目": "actual_spent", "月份": 11, "數量": 1.5}], [("actual_spent", 11, D("1.5"))], []),  # amounts may be fractional
    ([{"項目": "採購稽核案件數", "月份": 13, "數量": 5}], [], ["第 1 列（採購稽核案件數）：月份須為 1 至 12（目前是 13）。"]),
    ([{"項目": "採購稽核案件數", "月份": 12, "數量": 1.5}], [], ["第 1 列（採購稽核案件數）：數量須為整數（案）（目前是 1.5）。"]),
    ([{"項目": "預算數", "月份": 12, "數量": -1}], [], ["第 1 列（預算數）：數量須為 0 以上的數字（目前是 -1）。"]),
    ([{"項目": None, "月份": 12, "數量": 3}], [], ["第 1 列：請選擇項目。"]),
])
def test_read_additions_table(rows, additions, problems):
    table = pd.DataFrame(rows, columns=["項目", "月份", "數量"])
    read, found = read_additions_table(table, PLAN_112)
    assert read == additions
    assert [problem.message for problem in found] == problems


def test_additions_table_round_trip():
    additions = [("procurement_audits", 12, D(5)), ("actual_spent", 11, D("1.5"))]
    assert read_additions_table(additions_table(PLAN_112, additions), PLAN_112) == (additions, [])


@pytest.mark.parametrize(("values", "additions", "code", "expected"), [
    # a flow: the month grows by the amount
    ({"procurement_audits": {1: 10}}, [("procurement_audits", 1, D(5))], "procurement_audits", {1: 15}),
    ({"procurement_audits": {1: 10}}, [("procurement_audits", 3, D(5)), ("procurement_audits", 3, D(2))],
     "procurement_audits", {1: 10, 3: 7}),
    # a stock: from that month on, starting from its value as of that month
    ({"actual_spent": {1: 100, 3: 300}}, [("actual_spent", 2, D(50))], "actual_spent", {1: 100, 2: 150, 3: 350}),
    ({"actual_spent": {1: 100, 3: 300}}, [("actual_spent", 4, D(50))], "actual_spent", {1: 100, 3: 300, 4: 350}),
    ({}, [("staff_headcount", 5, D(27))], "staff_headcount", {5: 27}),
])
def test_apply_additions(values, additions, code, expected):
    original = figures(values)
    assert apply_additions(original, additions).values[code] == {month: D(v) for month, v in expected.items()}
    assert original.values == figures(values).values  # the official figures are never changed


@pytest.mark.parametrize(("month", "additions", "expected"), [
    (10, [], 10),
    (10, [("procurement_audits", 12, D(1))], 12),
    (10, [("procurement_audits", 3, D(1))], 10),
])
def test_scenario_month(month, additions, expected):
    assert scenario_month(month, additions) == expected


def test_scenario_payload_round_trip():
    targets, weights = {"2": D(140), "10-1": D("97.5")}, {"8": D(20)}
    additions = [("procurement_audits", 12, D(5))]
    payload = scenario_payload(targets, weights, additions)
    assert payload == {"version": 1, "targets": {"2": "140", "10-1": "97.5"}, "weights": {"8": "20"},
                       "additions": [{"field": "procurement_audits", "month": 12, "amount": "5"}]}
    assert scenario_from_payload(payload, PLAN_112) == (targets, weights, additions)
    stale = {"targets": {"99": "1", "2": "x"}, "additions": [{"field": "gone", "month": 1, "amount": "1"}]}
    assert scenario_from_payload(stale, PLAN_112) == ({}, {}, [])


@pytest.mark.parametrize(("options", "scenario_values", "indicator_id", "row", "changed"), [
    # a what-if target: 134 ÷ 140 − 134 ÷ 130 = −7.36 percentage points
    ({"targets": {"2": Fraction(140)}}, {}, "2",
     {"指標": "2 採購稽核案件", "目標": "130 案 → 140 案", "實際值": "134 案", "達成率": "103.1% → 95.7%",
      "變化": "-7.4 個百分點", "狀態": "達標 → 落後", "權重": "12.5%"}, True),
    # only the weight moves: every number reads as one value, the weight reads official → what-if
    ({"weights": {"2": Fraction(10)}}, {}, "2",
     {"指標": "2 採購稽核案件", "目標": "130 案", "實際值": "134 案", "達成率": "103.1%", "變化": "無變化",
      "狀態": "達標", "權重": "12.5% → 10%"}, True),
    # an assumed 6 more cases moves the actual value: 140 ÷ 130 − 134 ÷ 130 = +4.6 points
    ({}, {"procurement_audits": {12: 6}}, "2",
     {"指標": "2 採購稽核案件", "目標": "130 案", "實際值": "134 案 → 140 案", "達成率": "103.1% → 107.7%",
      "變化": "+4.6 個百分點", "狀態": "達標", "權重": "12.5%"}, True),
    # untouched and unreported: no change to show, no achievement to compare
    ({"targets": {"2": Fraction(140)}}, {}, "1",
     {"指標": "1 辦理預警案件", "目標": "2 案", "實際值": "—", "達成率": "—", "變化": "—", "狀態": "無資料",
      "權重": "12.5%"}, False),
])
def test_comparison_table(options, scenario_values, indicator_id, row, changed):
    official_figures = figures({"procurement_audits": {12: 134}})
    official = evaluate(official_figures, 12)
    scenario_figures = apply_additions(official_figures, [(code, month, D(value))
                                                          for code, months in scenario_values.items()
                                                          for month, value in months.items()])
    scenario = evaluate(scenario_figures, 12, **options)
    table = comparison_table(official, scenario)
    position = [indicator.id for indicator in PLAN_112.indicators].index(indicator_id)
    assert list(table.columns) == ["指標", "目標", "實際值", "達成率", "變化", "狀態", "權重"]
    assert table.iloc[position].to_dict() == row
    assert comparison_changes(official, scenario)[position] is changed
    assert sum(comparison_changes(official, official)) == 0


PREVIEW = pd.DataFrame([
    {"year": 112, "month": 1, "unit": "政風處", "field": "procurement_audits", "current": None, "incoming": D(11),
     "change": ChangeKind.ADDED},
    {"year": 112, "month": 1, "unit": "政風處", "field": "budget_amount", "current": D(21288), "incoming": D(21300),
     "change": ChangeKind.CHANGED},
    {"year": 112, "month": 2, "unit": "政風處", "field": "budget_amount", "current": D(21300), "incoming": D(21300),
     "change": ChangeKind.SAME},
])


def test_preview_table():
    assert preview_summary(PREVIEW) == {"新增": 1, "修改": 1, "相同": 1}
    assert preview_table(PREVIEW, PLAN_112.field_by_code).to_dict("records")[:2] == [
        {"年月": "112年1月", "單位": "政風處", "項目": "採購稽核案件數", "目前數值": "未填報", "上傳數值": "11", "異動": "新增"},
        {"年月": "112年1月", "單位": "政風處", "項目": "預算數", "目前數值": "21,288", "上傳數值": "21,300", "異動": "修改"},
    ]
    assert preview_table(PREVIEW, PLAN_112.field_by_code, changed_only=True)["項目"].tolist() == ["預算數"]
    assert frame_months(PREVIEW) == "112年1月、112年2月"


@pytest.mark.parametrize(("moment", "expected"), [
    (dt.datetime(2023, 10, 5, 6, 3, tzinfo=dt.timezone.utc), "112/10/05 14:03"),
    (dt.datetime(2023, 12, 31, 17, 0), "113/01/01 01:00"),  # naive means UTC; Taiwan is 8 hours ahead
    (None, "—"),
])
def test_taiwan_time(moment, expected):
    assert taiwan_time(moment) == expected


def test_history_rows():
    utc = dt.timezone.utc
    batches = [
        SimpleNamespace(id=2, file_name="112-02.xlsx", uploaded_at=dt.datetime(2023, 3, 1, 1, 0, tzinfo=utc),
                        uploader="王小明", row_count=1234, undone_at=dt.datetime(2023, 3, 2, 2, 0, tzinfo=utc)),
        SimpleNamespace(id=1, file_name="112-01.csv", uploaded_at=dt.datetime(2023, 2, 1, 1, 0, tzinfo=utc),
                        uploader="", row_count=26, undone_at=None),
    ]
    rows = history_rows(batches)
    assert [(row.id, row.undone) for row in rows] == [(2, True), (1, False)]
    assert rows[0].text == "第 2 批｜112-02.xlsx｜112/03/01 09:00｜1,234 筆，上傳者 王小明（已於 112/03/02 10:00 復原）"
    assert rows[1].text == "第 1 批｜112-01.csv｜112/02/01 09:00｜26 筆"


def test_provenance_table():
    def row(field, month, value, cell, year=112):
        return {"year": year, "month": month, "unit": "政風處", "field": field, "value": D(value),
                "source_file": "112-01.xlsx", "source_sheet": "月報", "source_cell": cell,
                "uploaded_at": dt.datetime(2023, 2, 1, 1, 0, tzinfo=dt.timezone.utc), "uploader": "王小明"}
    frame = pd.DataFrame([
        row("edoc_sent_total", 1, 1216, "D26"), row("edoc_sent_electronic", 2, 1100, "E25"),
        row("edoc_sent_electronic", 1, 1180, "D25"), row("edoc_sent_electronic", 3, 1, "F25"),  # after the month
        row("warning_cases", 1, 1, "D5"), row("edoc_sent_total", 1, 5, "D26", year=111),  # other field, other year
    ])
    table = provenance_table(frame, PLAN_112.indicator_by_id["10-1"], PLAN_112,
                             as_of_month=2)
    assert table[["項目", "月份", "數值", "儲存格／列"]].values.tolist() == [
        ["電子發文件數", "112年1月", "1,180", "D25"], ["電子發文件數", "112年2月", "1,100", "E25"],
        ["發文總件數", "112年1月", "1,216", "D26"]]
    assert table.iloc[0][["檔案", "工作表", "上傳時間", "上傳者"]].tolist() == ["112-01.xlsx", "月報", "112/02/01 09:00", "王小明"]
    sample = frame.drop(columns=["uploaded_at", "uploader"])
    assert provenance_table(sample, PLAN_112.indicator_by_id["1"], PLAN_112,
                            as_of_month=12).iloc[0]["上傳時間"] == "範例資料（未儲存）"


# A quotient's numerator and denominator are in different units: each number says its own (the gauge used to read
# "處理日數 412 / 結案件數 96 日", as if 96 were days); a ratio of one unit keeps one unit at the end (above).
@pytest.mark.parametrize(("values", "indicator_id", "expected"), [
    ({"days_spent": {1: 412}, "cases_closed": {1: 96}}, "2", "處理日數 412 日 / 結案件數 96 件"),
    ({"crimes": {1: 45}, "population": {1: 150000}}, "3", "犯罪件數 45 件 / 人口數 150,000 人"),
    ({"overdue": {1: 3}, "cases_closed": {1: 96}}, "5", "逾期件數 3 / 結案件數 96 件"),
])
def test_ratio_parts_of_two_units(values, indicator_id, expected):
    from catalogues import FIXTURE_KINDS
    from metrics.plans.catalogue import load_catalogue

    plan = load_catalogue(FIXTURE_KINDS).plan(114, "丁處")
    kinds_figures = Figures.from_mapping(plan, values)
    assert ratio_parts(evaluate(kinds_figures, 1).result(indicator_id), kinds_figures) == expected
