"""A ceiling missed at month 12 reads 未達標, never 落後 (shared/spec/indicator-kinds.md §1: at month 12 only 達標
or 未達標); the status value in JSON stays the contract's `behind`. A rising target keeps 落後 all year
(shared/spec/data-contract.md §3). On tests/fixture_kinds/114/丁處.toml: 1 死亡人數 ≤ 24 人 (accruing ceiling),
2 平均處理天數 ≤ 5 日 (quotient ceiling, places 1), 4 每萬人口志工數 ≥ 12.5 人 (rising quotient)."""

from fractions import Fraction as F

import pytest

from metrics.evaluation.core import BEHIND, MET, ON_TRACK
from metrics.outputs.presentation import gauge_lines
from test_kinds_evaluation import figures, months, result

TWELVE_ONES = months(*[1] * 12)


@pytest.mark.parametrize(("indicator_id", "month", "fields", "status", "label", "gap_text"), [
    # the accruing ceiling: 30 by November is over pace 22 → 落後; 30 by December is over 24 → 未達標
    ("1", 11, {"deaths": months(*[3] * 10)}, BEHIND, "落後", "超出 6 人"),
    ("1", 12, {"deaths": months(*[3] * 10)}, BEHIND, "未達標", "超出 6 人"),
    # exactly 24 in December: met; 12 in December (under the ceiling): met, no pace any more
    ("1", 12, {"deaths": months(*[2] * 12)}, MET, "達標", "已達標"),
    ("1", 12, {"deaths": TWELVE_ONES}, MET, "達標", "已達標"),
    # November at 11 ≤ pace 22: 符合進度 (not met yet: December still adds)
    ("1", 11, {"deaths": months(*[1] * 11)}, ON_TRACK, "符合進度", "未超出進度"),
    # the quotient ceiling: 56 ÷ 11 = 5.09 → 5.1 > 5 → 落後 in June, 未達標 in December; 55 ÷ 11 = 5.0 → 達標
    ("2", 6, {"days_spent": {6: 56}, "cases_closed": {6: 11}}, BEHIND, "落後", "超出 0.1 日"),
    ("2", 12, {"days_spent": {12: 56}, "cases_closed": {12: 11}}, BEHIND, "未達標", "超出 0.1 日"),
    ("2", 12, {"days_spent": {12: 55}, "cases_closed": {12: 11}}, MET, "達標", "已達標"),
    # a rising target missed in December stays 落後: 12 ÷ 10,000 × 10,000 = 12 < 12.5
    ("4", 12, {"volunteers": {12: 12}, "population": {12: 10000}}, BEHIND, "落後", "還需 0.5 人"),
])
def test_a_ceiling_missed_at_month_12_reads_未達標(indicator_id, month, fields, status, label, gap_text):
    found = result(indicator_id, month, **fields)
    assert (found.status, found.status_label, found.gap_text) == (status, label, gap_text)
    assert found.to_json()["status"] == status and found.to_json()["status_label"] == label
    assert any(f"狀態：{label}｜" in line for line in gauge_lines(found, figures(**fields)))


def test_the_detail_page_says_未達標_for_a_ceiling_missed_in_december(tmp_path, monkeypatch):
    from decimal import Decimal

    import pandas as pd

    from metrics.intake.tidy import empty_tidy_frame
    from metrics.store import Store
    from test_county_page import open_page
    from test_kinds_evaluation import KINDS_PLANS

    url = f"sqlite:///{tmp_path / 'kpi.sqlite3'}"
    monkeypatch.setenv("KPI_DB_URL", url)
    monkeypatch.setenv("KPI_PLANS_DIR", str(KINDS_PLANS))
    rows = [{"year": 114, "month": month, "unit": "丁處", "field": "deaths", "value": Decimal(3), "source_file": "x.csv",
             "source_sheet": "", "source_cell": ""} for month in range(1, 13)]  # 36 > 24
    Store(url).ingest(pd.DataFrame(rows, columns=list(empty_tidy_frame().columns)), file_name="x.csv", file_bytes=b"x")
    app = open_page("pages/1_指標明細.py", year="114", unit="丁處", month="12", indicator="1")
    assert [metric.value for metric in app.metric if metric.label == "狀態"] == ["未達標"]


@pytest.mark.parametrize(("month", "expected"), [
    # June: the ceiling (30 deaths by June, pace 12) and the quotient ceiling (5.1 日) are 落後
    (6, {"達標": 0, "落後": 2}),
    # December: the same two are missed targets, counted under 未達標 as their rows say, not under 落後
    (12, {"達標": 0, "落後": 0, "未達標": 2}),
])
def test_the_summary_counts_a_missed_ceiling_under_the_word_its_row_shows(month, expected):
    from metrics.cli.evaluate import render_table
    from test_kinds_evaluation import evaluate

    evaluation = evaluate(figures(deaths=months(*[5] * 6), days_spent={month: 56}, cases_closed={month: 11}), month)
    words = {label: count for _status, label, count in evaluation.status_count_labels()}
    assert {label: words.get(label, 0) for label in expected} == expected
    assert ("未達標" in words) == (month == 12)
    assert sum(words.values()) == len(evaluation.results)
    summary = render_table(evaluation).splitlines()[3]
    assert all(f"{label} {count} 項" in summary for label, count in expected.items()), summary
