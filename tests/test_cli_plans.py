"""Plans on the command line, on SQLite and PostgreSQL, with the small fixture catalogue: every template
round-trips through ingest, a missing plan is named with the plans that exist, versions are imported and
old ones evaluated again, and figures of a (year, unit) without a plan never get in."""

from __future__ import annotations

import io
import json
from pathlib import Path

import openpyxl
import pytest

from catalogues import FIXTURE_PLANS
from metrics import cli

LONG = "年度,月份,單位,項目代碼,數值\n"


@pytest.fixture
def run(store_url, capsys, monkeypatch):
    monkeypatch.delenv("KPI_DB_URL", raising=False)

    def call(*arguments: str, db: bool = True) -> tuple[int, str, str]:
        extra = ["--db", store_url] if db else []
        status = cli.main(["--plans", str(FIXTURE_PLANS), *arguments, *extra])
        captured = capsys.readouterr()
        return status, captured.out, captured.err

    return call


def filled_template(path: Path, values: dict[tuple[str, int], int]) -> None:
    """What a user does with the template: type figures into the month columns and save."""
    book = openpyxl.load_workbook(path)
    sheet = book["月報"]
    rows = {sheet.cell(row=row, column=1).value: row for row in range(5, sheet.max_row + 1)}
    for (code, month), value in values.items():
        sheet.cell(row=rows[code], column=3 + month, value=value)
    buffer = io.BytesIO()
    book.save(buffer)
    path.write_bytes(buffer.getvalue())


@pytest.mark.parametrize(("year", "unit", "values", "indicator", "actual"), [
    (113, "甲處", {("cases", 1): 5, ("cases", 2): 6, ("certified", 2): 3, ("staff", 2): 5}, "1", 11),
    (112, "舊甲處", {("cases", 1): 2, ("certified", 1): 1, ("staff", 1): 2}, "9", 50),
    (112, "乙處", {("done", 3): 7, ("total", 3): 8, ("certified", 3): 1, ("staff", 3): 4}, "1", 87.5),
])
def test_every_plans_template_round_trips_through_ingest(run, tmp_path, year, unit, values, indicator, actual):
    output = tmp_path / "範本.xlsx"
    status, out, err = run("template", "--year", str(year), "--unit", unit, "-o", str(output))
    assert status == 0, err
    filled_template(output, values)
    status, out, err = run("ingest", str(output))
    assert status == 0, err
    status, out, err = run("evaluate", "--year", str(year), "--unit", unit, "--json")
    assert status == 0, err
    result = json.loads(out)
    assert (result["year"], result["unit"]) == (year, unit.removeprefix("舊"))
    assert next(item for item in result["indicators"] if item["id"] == indicator)["actual"] == actual


def test_a_template_for_a_plan_that_does_not_exist_names_the_plans_that_do(run, tmp_path):
    status, out, err = run("template", "--year", "114", "--unit", "甲處", "-o", str(tmp_path / "x.xlsx"))
    assert status == 2
    assert "沒有 甲處 114 年度的計畫" in err and "現有計畫：112 年度 舊甲處、乙處、丙處；113 年度 甲處、丙處。" in err
    assert not (tmp_path / "x.xlsx").exists()
    status, out, err = run("template", "-o", str(tmp_path / "x.xlsx"))
    assert status == 2 and "請以 --year 與 --unit 指定範本的年度與單位" in err
    status, out, err = run("template", "--year", "112", "--unit", "丁處", "-o", str(tmp_path / "x.xlsx"))
    assert status == 2 and "--unit「丁處」不是本府的單位" in err


def test_figures_without_a_plan_are_refused_and_nothing_is_stored(run, tmp_path):
    good = tmp_path / "好.csv"
    good.write_text(LONG + "112,1,甲處,cases,1\n", encoding="utf-8")
    bad = tmp_path / "乙處113.csv"
    bad.write_text(LONG + "113,1,乙處,done,1\n113,1,乙處,total,2\n", encoding="utf-8")
    status, out, err = run("ingest", str(good), str(bad))
    assert status == 2
    assert "乙處113.csv" in err and "沒有 乙處 113 年度的計畫" in err and "未儲存任何資料" in err
    status, out, err = run("history", "--json")
    assert json.loads(out) == []


def test_several_units_in_the_store_ask_which_one_to_evaluate(run, tmp_path):
    both = tmp_path / "兩單位.csv"
    both.write_text(LONG + "112,1,甲處,cases,1\n112,1,乙處,done,1\n112,1,乙處,total,2\n", encoding="utf-8")
    assert run("ingest", str(both))[0] == 0
    status, out, err = run("evaluate")
    assert status == 2 and "資料中有多個年度或單位（乙處 112 年、甲處 112 年）" in err
    status, out, err = run("evaluate", "--unit", "甲", "--json")
    assert status == 0, err
    assert json.loads(out)["unit"] == "甲處"
    status, out, err = run("history", "--unit", "乙處", "--json")
    assert [batch["periods"] for batch in json.loads(out)] == [[{"year": 112, "unit": "乙處"}, {"year": 112, "unit": "甲處"}]]


def test_plans_list_show_export_import_and_an_old_version_evaluated_again(run, tmp_path):
    figures = tmp_path / "甲處113.csv"
    figures.write_text(LONG + "113,3,甲處,cases,12\n113,3,甲處,certified,6\n113,3,甲處,staff,10\n", encoding="utf-8")
    assert run("ingest", str(figures))[0] == 0  # seeds the store with the files' plans

    status, out, err = run("plans", "list")
    assert status == 0, err
    assert "113 年度　甲處：2 項指標，權重合計 30%，計畫第 1 版" in out

    status, out, err = run("plans", "show", "112", "舊甲處")
    assert status == 0, err
    assert "測試縣政府舊甲處 112 年度施政計畫（舊甲處 112 年度）" in out and "指標 9　認證率｜權重 10%｜目標值 50%" in out

    exported = tmp_path / "甲處113.toml"
    status, out, err = run("plans", "export", "113", "甲處", "-o", str(exported))
    assert status == 0, err
    text = exported.read_text(encoding="utf-8")
    exported.write_text(text.replace("target = 24", "target = 30"), encoding="utf-8")
    status, out, err = run("plans", "import", str(exported), "--author", "王科長", "--note", "提高辦案目標")
    assert status == 0, err
    assert "存為 甲處 113 年度計畫第 2 版" in out and "指標 1 目標值 24 案 → 30 案" in out

    def indicator_1(*extra: str) -> dict:
        status, out, err = run("evaluate", "--year", "113", "--unit", "甲處", "--json", *extra)
        assert status == 0, err
        document = json.loads(out)
        return {"version": document["plan"]["version"],
                **next(item for item in document["indicators"] if item["id"] == "1")}

    now, before = indicator_1(), indicator_1("--plan-version", "1")
    assert (now["version"], now["target"], now["status"]) == (2, 30, "on_track")  # 12 of 30, pace 7.5
    assert (before["version"], before["target"], before["achievement"]) == (1, 24, 0.5)
    status, out, err = run("evaluate", "--year", "113", "--unit", "甲處", "--plan-version", "9")
    assert status == 2 and "甲處 113 年度計畫沒有第 9 版（現有版本：1、2）" in err

    status, out, err = run("plans", "import", str(exported), "--author", "王科長")
    assert status == 2 and "完全相同" in err


def test_evaluate_json_carries_the_multi_year_points(run, tmp_path):
    figures = tmp_path / "甲處.csv"
    figures.write_text(LONG + "112,12,甲處,certified,4\n112,12,甲處,staff,10\n"
                              "113,2,甲處,certified,6\n113,2,甲處,staff,10\n113,2,甲處,cases,2\n", encoding="utf-8")
    assert run("ingest", str(figures))[0] == 0
    status, out, err = run("evaluate", "--year", "113", "--unit", "甲處", "--json")
    assert status == 0, err
    points = json.loads(out)["multi_year_points"]
    assert points["first_met_year"] == 113
    assert [(year["year"], year["status"], year["points"], year["final"]) for year in points["years"]] == [
        (112, "behind", 0, True), (113, "met", 8, False)]
    status, out, err = run("evaluate", "--year", "113", "--unit", "甲處")
    assert "指標 9 跨年度計分：首次達標：113 年；112 年 0 分、113 年 8 分（暫計）（依測試用計分）" in out


def test_a_plan_file_with_a_mistake_stops_every_command_with_exit_2(run, tmp_path):
    import shutil

    broken = tmp_path / "plans"
    shutil.copytree(FIXTURE_PLANS, broken)
    (broken / "112" / "乙處.toml").write_text('year = 112\nunit = "乙處"\nweight = 5\n', encoding="utf-8")
    status = cli.main(["--plans", str(broken), "evaluate", "--year", "112", "--unit", "乙處"])
    assert status == 2
