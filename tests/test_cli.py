"""`python -m metrics` end to end on the sample year, recomputed by hand from the CSV itself."""

from __future__ import annotations

import csv
import json
import math
import os
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "sample_data"
FULL_YEAR = SAMPLE / "112-full-year.csv"
MONTHLY = sorted(SAMPLE.glob("112-[01][0-9].xlsx"))


# No store unless a test names one: evaluating files then uses plans/ alone, whatever a local data/ holds.
NO_STORE = {"KPI_DB_URL": "sqlite:////nonexistent-kpi-test/kpi.sqlite3"}


def run(*arguments: str, cwd: Path = ROOT, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "metrics", *arguments], cwd=cwd, capture_output=True, text=True,
                          timeout=120, env={**os.environ, **(env or NO_STORE)})  # the test's environment, as it is now


def evaluate_json(*arguments: str) -> dict:
    completed = run("evaluate", *arguments, "--json")
    assert completed.returncode == 0, completed.stderr
    return json.loads(completed.stdout)


def by_hand(as_of: int) -> dict[str, float | int | None]:
    """The sample year's indicators computed with nothing but the csv module and school arithmetic."""
    monthly: dict[str, dict[int, Decimal]] = {}
    with FULL_YEAR.open(encoding="utf-8-sig", newline="") as handle:
        for row in csv.DictReader(handle):
            monthly.setdefault(row["項目代碼"], {})[int(row["月份"])] = Decimal(row["數值"])

    def total(code: str) -> Decimal:
        return sum((value for month, value in monthly.get(code, {}).items() if month <= as_of), Decimal(0))

    def latest(code: str) -> Decimal:
        months = [month for month in monthly.get(code, {}) if month <= as_of]
        return monthly[code][max(months)] if months else Decimal(0)

    def two_decimals(value: Decimal) -> float:
        return float(value.quantize(Decimal("0.01"), rounding="ROUND_HALF_UP"))

    budget_parts = latest("actual_spent") + latest("payables") + latest("savings") + latest("reserved")
    new_positions = latest("new_positions")
    budget_positions = latest("contract_budget_positions") + latest("temp_budget_positions") / 2
    denominator = budget_positions if budget_positions < new_positions else new_positions
    reduction = (latest("reduced_contract") + latest("reduced_temp") / 2) * 100 / denominator
    sign_off = total("edoc_received_electronic") + total("paper_received_signed_online") + total("self_created_drafts")
    return {
        "1": int(total("warning_cases")), "2": int(total("procurement_audits")),
        "3": int(total("complaints_completed")), "4": int(total("infosec_audits")),
        "5-1": int(total("pinhole_inspections")), "5-2": int(total("harassment_courses")),
        "6": math.ceil(reduction),
        "7": two_decimals(latest("hakka_certified") * 100 / latest("staff_headcount")),
        "8": two_decimals(budget_parts * 100 / latest("budget_amount")),
        "9-1": int(total("gender_analyses")), "9-2": int(total("gender_impact_reviews")),
        "10-1": two_decimals(total("edoc_sent_electronic") * 100 / total("edoc_sent_total")),
        "10-2": two_decimals(total("online_signed") * 100 / sign_off),
    }


@pytest.mark.parametrize("as_of", [12, 6, 1])
def test_full_year_csv_matches_a_hand_calculation(as_of):
    output = evaluate_json(str(FULL_YEAR), "--as-of", str(as_of))
    assert output["as_of_month"] == as_of
    assert [indicator["id"] for indicator in output["indicators"]] == list(by_hand(as_of))
    actual = {indicator["id"]: indicator["actual"] for indicator in output["indicators"]}
    expected = by_hand(as_of)
    for indicator_id, value in expected.items():
        if value == 0 and indicator_id in {"1", "4", "5-1", "5-2", "9-1", "9-2"} and actual[indicator_id] is None:
            continue  # nothing reported yet for a count that is still zero is 'no data', not 0
        assert actual[indicator_id] == pytest.approx(value, abs=0), indicator_id


def test_json_shape():
    output = evaluate_json(str(FULL_YEAR))
    assert output["as_of_month"] == 12  # the latest reported month by default
    assert set(output) >= {"as_of_month", "weighted_score", "indicators", "plan_weight_total"}
    assert output["plan_weight_total"] == 95
    assert len(output["indicators"]) == 13
    for indicator in output["indicators"]:
        assert set(indicator) >= {"id", "goal", "name", "weight", "target", "actual", "achievement", "status"}
        assert indicator["status"] in {"met", "on_track", "behind", "no_data", "not_applicable"}
    statuses = {indicator["status"] for indicator in output["indicators"]}
    assert {"met", "behind"} <= statuses
    assert 0 <= output["weighted_score"] <= 100


def test_the_sample_year_has_something_to_say_mid_year():
    statuses = {indicator["status"] for indicator in evaluate_json(str(FULL_YEAR), "--as-of", "6")["indicators"]}
    assert {"met", "on_track", "behind"} <= statuses


def test_monthly_workbooks_give_the_same_result_as_the_long_csv():
    assert len(MONTHLY) == 12
    assert evaluate_json(*map(str, MONTHLY)) == evaluate_json(str(FULL_YEAR))


def test_what_if_target_from_the_command_line():
    official = evaluate_json(str(FULL_YEAR))
    what_if = evaluate_json(str(FULL_YEAR), "--target", "3=100")
    assert next(i for i in what_if["indicators"] if i["id"] == "3")["target"] == 100
    assert what_if["weighted_score"] >= official["weighted_score"]


def test_readable_table_in_traditional_chinese():
    completed = run("evaluate", str(FULL_YEAR), "--as-of", "6")
    assert completed.returncode == 0, completed.stderr
    assert "新竹縣政府政風處 112 年度施政計畫績效指標（統計至 112 年 6 月）" in completed.stdout
    assert "加權分數" in completed.stdout and "權重合計 95%" in completed.stdout
    assert "公文電子交換比率" in completed.stdout


@pytest.mark.parametrize(("arguments", "fragments"), [
    (("evaluate", "no-such-file.csv"), ["no-such-file.csv", "無法讀取"]),
    (("evaluate", str(FULL_YEAR), "--target", "99=1"), ["指標代號「99」不存在"]),
    (("evaluate", str(FULL_YEAR), "--target", "10-1"), ["指標代號=目標值"]),
    (("evaluate", str(FULL_YEAR), "--target", "10-1=abc"), ["須為大於 0 的數字"]),
    (("evaluate", str(FULL_YEAR), "--as-of", "13"), ["1 至 12"]),
    (("evaluate", "--as-of", "x"), ["參數有誤"]),
])
def test_invalid_input_exits_2_with_a_message_and_no_traceback(arguments, fragments):
    completed = run(*arguments)
    assert completed.returncode == 2
    for fragment in fragments:
        assert fragment in completed.stderr
    assert "Traceback" not in completed.stderr


def test_a_bad_file_is_named_with_its_cell(tmp_path):
    bad = tmp_path / "壞檔.csv"
    bad.write_text("年度,月份,單位,項目代碼,數值\n112,3,政風處,warning_cases,abc\n", encoding="utf-8")
    completed = run("evaluate", str(bad))
    assert completed.returncode == 2
    assert "壞檔.csv" in completed.stderr and "E2" in completed.stderr
    assert "Traceback" not in completed.stderr


# ---- system exports through the command line (metrics.intake.sources.read_any) ----

# An export names neither its unit nor its year: the command line is told them, as the page's sidebar tells the app.
PERIOD = ("--year", "112", "--unit", "政風處")


def run_for_政風處_112(*arguments: str) -> subprocess.CompletedProcess:
    return run(*arguments, *PERIOD)


EXPORT_HEADER = ["文號", "收發別", "收文日期", "發文日期", "創稿日期", "交換方式", "簽核方式", "密等", "主旨", "承辦人"]
EXPORT_ROWS = [
    ["府政字第1120000001號", "發文", None, "112/01/05", None, "電子交換", None, "普通", "函覆議員質詢", "王大明"],
    ["府政字第1120000002號", "發文", None, "112/02/15", None, "紙本", None, "普通", "寄送公告", "陳美玲"],
    ["府收字第1120000003號", "收文", "112/01/10", None, None, "電子交換", "線上簽核", "普通", "陳情案", "林志強"],
    ["府收字第1120000004號", "收文", "112/02/14", None, None, "紙本", "線上簽核", "密", "人事案", "張淑芬"],
    ["府簽字第1120000005號", "創稿", None, None, "112/02/20", None, "紙本簽核", "普通", "會議紀錄", "李建宏"],
]
# As of February: 電子發文 1 of 2 發文 → 10-1 = 50%; 線上簽核 2 of (電子收文 1 + 紙本來文線上簽核 1 + 創稿 1) → 10-2 = 66.67%
EXPORT_INDICATORS = {"10-1": 50, "10-2": 66.67}


def export_file(tmp_path: Path, name: str = "公文清單.csv", kind_header: str = "收發別") -> Path:
    from synthetic_exports import csv_bytes

    header = [kind_header if column == "收發別" else column for column in EXPORT_HEADER]
    path = tmp_path / name
    path.write_bytes(csv_bytes([["公文清單"], ["查詢期間：112/01/01-112/02/28"], header, *EXPORT_ROWS], encoding="cp950"))
    return path


def roster_without_date(tmp_path: Path) -> Path:
    from synthetic_exports import csv_bytes

    path = tmp_path / "名冊.csv"
    path.write_bytes(csv_bytes([["姓名", "人員類別", "到職日期", "客語認證級別"],
                                ["王大明", "公務人員", "100/01/01", "初級"], ["陳美玲", "約僱人員", "112/02/15", None],
                                ["林志強", "聘用人員", "100/01/01", None]], encoding="cp950"))
    return path


def exported_indicators(completed: subprocess.CompletedProcess) -> dict[str, object]:
    assert completed.returncode == 0, completed.stderr
    return {indicator["id"]: indicator["actual"] for indicator in json.loads(completed.stdout)["indicators"]
            if indicator["id"] in EXPORT_INDICATORS}


def test_evaluate_an_export(tmp_path):
    completed = run_for_政風處_112("evaluate", str(export_file(tmp_path)), "--json")
    assert exported_indicators(completed) == EXPORT_INDICATORS
    assert "公文清單.csv（公文清單（公文管理系統匯出））：" in completed.stderr
    assert "讀取 5 列資料，計入 5 列。" in completed.stderr


def test_ingest_an_export_then_evaluate_the_store(tmp_path):
    url = f"sqlite:///{tmp_path / 'kpi.sqlite3'}"
    completed = run_for_政風處_112("ingest", str(export_file(tmp_path)), "--db", url)
    assert completed.returncode == 0, completed.stderr
    # 6 fields × 2 months (January and February, zeros included)
    assert "公文清單.csv（公文清單（公文管理系統匯出））：已儲存「公文清單.csv」為第 1 批：新增 12 筆" in completed.stdout
    assert exported_indicators(run_for_政風處_112("evaluate", "--db", url, "--json")) == EXPORT_INDICATORS


def test_an_export_needing_a_mapping_exits_2_and_says_how_to_give_it(tmp_path):
    completed = run_for_政風處_112("evaluate", str(export_file(tmp_path, "odd.csv", kind_header="方向")))
    assert completed.returncode == 2
    for fragment in ["檔案「odd.csv」：無法判斷這是哪一種系統匯出", "找不到「收發別」欄",
                     "資料種類：公文清單（公文管理系統匯出）（由標題推測），--source document_log",
                     "必要欄位：kind（收發別）、exchange（交換方式）", "檔案中的標題：「文號」、「方向」",
                     "指定方式：加上 --source document_log --mapping kind=標題 --mapping exchange=交換方式"]:
        assert fragment in completed.stderr
    assert "Traceback" not in completed.stderr


def test_a_tie_says_the_kind_it_took_and_the_others_and_source_chooses(tmp_path):
    from synthetic_exports import csv_bytes

    # 公文清單's columns (收發別, 交換方式, 日期) and 人事名冊's (人員類別, 到職日期, 客語認證級別): three each, a tie
    path = tmp_path / "混合.csv"
    path.write_bytes(csv_bytes([["收發別", "交換方式", "日期", "人員類別", "到職日期", "客語認證級別"],
                                *([row[1], row[5], row[2] or row[3], None, None, None] for row in EXPORT_ROWS)],
                               encoding="cp950"))
    completed = run_for_政風處_112("evaluate", str(path))
    assert completed.returncode == 2
    for fragment in ["資料種類：人事名冊（人事系統匯出）（由標題推測），--source roster",
                     "這個檔案可能是：人事名冊（符合 3 欄）／公文清單（符合 3 欄）；目前採用 roster，"
                     "若是其他種類請改加 --source document_log"]:
        assert fragment in completed.stderr, completed.stderr
    chosen = run_for_政風處_112("evaluate", str(path), "--source", "document_log", "--json")
    assert chosen.returncode == 0, chosen.stderr
    assert "混合.csv（公文清單（公文管理系統匯出））：" in chosen.stderr


@pytest.mark.parametrize("arguments", [
    ("--mapping", "kind=方向"),
    ("--mapping", "收發別=方向"),
    ("--source", "document_log", "--mapping", "kind=方向", "--mapping", "status="),
])
def test_a_mapping_on_the_command_line(tmp_path, arguments):
    completed = run_for_政風處_112("evaluate", str(export_file(tmp_path, "odd.csv", kind_header="方向")), "--json", *arguments)
    assert exported_indicators(completed) == EXPORT_INDICATORS


def test_ingest_remembers_the_mapping_for_next_time(tmp_path):
    url = f"sqlite:///{tmp_path / 'kpi.sqlite3'}"
    odd = export_file(tmp_path, "odd.csv", kind_header="方向")
    completed = run_for_政風處_112("ingest", str(odd), "--db", url, "--source", "document_log", "--mapping", "kind=方向")
    assert completed.returncode == 0, completed.stderr
    assert "已儲存欄位對應" in completed.stdout
    again = run_for_政風處_112("evaluate", str(odd), "--db", url, "--json")  # --db with files: only its remembered mappings
    assert exported_indicators(again) == EXPORT_INDICATORS
    assert "已套用先前儲存的欄位對應" in again.stderr


@pytest.mark.parametrize(("arguments", "fragments"), [
    ((), ["無法從名冊的標題判斷資料日期", "--month M"]),
    (("--month", "13"), ["--month「13」須為 1 至 12"]),
    (("--mapping", "kind"), ["格式應為 欄位=標題"]),
    (("--source", "spreadsheet"), ["未知的資料種類「spreadsheet」（可用：document_log、roster、ledger、case_log）"]),
])
def test_export_arguments_refused_with_exit_2(tmp_path, arguments, fragments):
    completed = run_for_政風處_112("evaluate", str(roster_without_date(tmp_path)), *arguments)
    assert completed.returncode == 2
    for fragment in fragments:
        assert fragment in completed.stderr
    assert "Traceback" not in completed.stderr


def test_a_roster_with_the_month_given(tmp_path):
    completed = run_for_政風處_112("evaluate", str(roster_without_date(tmp_path)), "--month", "2", "--json")
    assert completed.returncode == 0, completed.stderr
    indicator = next(item for item in json.loads(completed.stdout)["indicators"] if item["id"] == "7")
    assert indicator["actual"] == 33.33  # 王大明 certified of 3 staff at the end of February: 1 ÷ 3 × 100


def test_ingest_stores_nothing_when_one_export_needs_a_mapping(tmp_path):
    url = f"sqlite:///{tmp_path / 'kpi.sqlite3'}"
    completed = run_for_政風處_112("ingest", str(FULL_YEAR), str(export_file(tmp_path, "odd.csv", kind_header="方向")), "--db", url)
    assert completed.returncode == 2
    assert "odd.csv" in completed.stderr and "未儲存任何資料" in completed.stderr
    assert json.loads(run_for_政風處_112("history", "--db", url, "--json").stdout) == []


@pytest.mark.parametrize("arguments", [["--help"], ["report", "--help"], ["users", "add", "--help"],
                                       ["review", "submit", "--help"]])
def test_help_is_in_chinese(arguments: list[str]) -> None:
    completed = subprocess.run([sys.executable, "-m", "metrics", *arguments], capture_output=True, text=True,
                               cwd=Path(__file__).resolve().parent.parent, timeout=120)
    assert completed.returncode == 0
    assert completed.stdout.startswith("用法：python -m metrics")
    assert "顯示本說明後結束" in completed.stdout
    for english in ("usage:", "positional arguments", "options:", "show this help message"):
        assert english not in completed.stdout


@pytest.mark.parametrize(("arguments", "usage", "message"), [
    # an argument the subcommand does not know: that subcommand's usage, not the top-level one
    (("review", "cycle", "show", "--year", "112"), "用法：python -m metrics review cycle show [-h] [--db URL]\n",
     "參數有誤：無法辨識的參數：--year 112\n"),
    (("plans", "list", "--bogus", "x"), "用法：python -m metrics plans list [-h] [--db URL]\n",
     "參數有誤：無法辨識的參數：--bogus x\n"),
    (("plans", "show", "112"), "用法：python -m metrics plans show [-h] [--version N] [--db URL] YEAR UNIT\n",
     "參數有誤：缺少必要的參數：UNIT\n"),
    (("nosuch",), "用法：python -m metrics [-h] [--plans DIR] 指令 ...\n", "沒有這個選項：'nosuch'"),
])
def test_an_argument_error_shows_the_usage_of_the_command_it_is_in(arguments, usage, message, capsys):
    from metrics.cli import build_parser

    with pytest.raises(SystemExit) as raised:
        build_parser().parse_args(list(arguments))
    assert raised.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith(usage) and message in err
