"""The cycle as data (plans/cycle.toml): the county's file and the fixture's load; every mistake is named with the
file, the key and the line; lights by achievement and deadlines, hand-computed at their boundaries."""

from __future__ import annotations

import datetime as dt
import shutil
from fractions import Fraction

import pytest

from catalogues import FIXTURE_PLANS
from metrics.plans.roles import load_roles
from metrics.plans.catalogue import PLANS_DIRECTORY
from metrics.plans.cycle import Light, load_cycle
from metrics.errors import PlanError

ROLES = load_roles(FIXTURE_PLANS)
CYCLE = load_cycle(FIXTURE_PLANS, ROLES)


def test_the_countys_cycle_loads_with_its_roles():
    cycle = load_cycle(PLANS_DIRECTORY, load_roles(PLANS_DIRECTORY))
    assert [(point.id, point.name, point.months) for point in cycle.checkpoints] == [
        ("half", "上半年", (1, 2, 3, 4, 5, 6)), ("year", "年終", tuple(range(1, 13)))]
    assert cycle.checkpoint("year").due(112) == dt.date(2024, 1, 20)  # 112 年終: due in January of 113
    assert cycle.steps == {"submit": ("reporter",), "review": ("reviewer",), "approve": ("board",),
                           "reopen": ("board",)}


@pytest.mark.parametrize(("achievement", "light"), [
    (None, Light.WHITE),  # no data, not applicable
    (Fraction(0), Light.RED),
    (Fraction(7999, 10000), Light.RED),
    (Fraction(8, 10), Light.YELLOW),  # exactly 80%
    (Fraction(9999, 10000), Light.YELLOW),
    (Fraction(1), Light.GREEN),  # exactly 100%
    (Fraction(3, 2), Light.GREEN),
])
def test_lights_by_achievement(achievement, light):
    assert CYCLE.light(achievement) is light


@pytest.mark.parametrize(("year", "month", "due"), [
    (112, 1, dt.date(2023, 2, 10)),
    (112, 11, dt.date(2023, 12, 10)),
    (112, 12, dt.date(2024, 1, 10)),  # December's figures are due in the next year
    (113, 2, dt.date(2024, 3, 10)),
])
def test_monthly_deadlines(year, month, due):
    assert CYCLE.month_due(year, month) == due


@pytest.mark.parametrize(("checkpoint", "year", "due"), [
    ("q1", 112, dt.date(2023, 4, 15)),
    ("year", 112, dt.date(2024, 1, 20)),
    ("year", 113, dt.date(2025, 1, 20)),
])
def test_checkpoint_deadlines(checkpoint, year, due):
    assert CYCLE.checkpoint(checkpoint).due(year) == due


def test_an_unknown_checkpoint_names_the_declared_ones():
    with pytest.raises(Exception, match=r"檢核點「h1」不存在；.*q1（第一季）、year（年終）"):
        CYCLE.checkpoint("h1")


GOOD = (FIXTURE_PLANS / "cycle.toml").read_text(encoding="utf-8")


@pytest.mark.parametrize(("case", "old", "new", "message"), [
    ("month out of range", "months = [1, 2, 3]", "months = [0, 2, 3]",
     r"cycle.toml（第 1 個 checkpoint「q1」的 months，第 8 行）：應為 1 至 12 的月份清單"),
    ("due not a date", 'due = "04/15"', 'due = "4月15日"', r"（第 1 個 checkpoint「q1」的 due，第 9 行）：應為「月/日」"),
    ("due that no year has", 'due = "04/15"', 'due = "02/30"', r"「02/30」不是每年都有的日期"),
    ("due before the months end", 'due = "04/15"', 'due = "03/15"', r"期限 03/15 不晚於涵蓋的最後一個月（3 月）"),
    ("duplicate id", 'id = "year"', 'id = "q1"', r"代碼「q1」重複"),
    ("bad id", 'id = "q1"', 'id = "第一季"', r"代碼「第一季」只能用英文字母"),
    ("unknown key", 'name = "第一季"', 'name = "第一季"\nlabel = "x"', r"未知的設定「label」"),
    ("yellow above green", "yellow = 80", "yellow = 120", r"（燈號門檻的 yellow，第 \d+ 行）：黃燈門檻 120 不可高於綠燈門檻 100"),
    ("threshold not a number", "green = 100", 'green = "100%"', r"燈號門檻的 green.*應為數字（不要加引號或 %）"),
    ("due day past 28", "due_day = 10", "due_day = 31", r"（每月填報期限的 due_day，第 3 行）：應為 1 至 28 的整數"),
    ("unknown role", 'review = ["reviewer"]', 'review = ["reviewers"]', r"角色「reviewers」不在 roles.toml 中"),
    ("role without the action", 'review = ["reviewer"]', 'review = ["reviewer", "viewer"]',
     r"角色「viewer」（檢視者）在 roles.toml 沒有 review_assessment 權限"),
    ("role with the action left out", 'approve = ["board"]', 'approve = []', r"各步驟辦理的角色的 approve"),
    ("not TOML", "[lights]", "[lights", r"TOML 格式錯誤（第 \d+ 行"),
])
def test_every_mistake_names_file_key_and_line(tmp_path, case, old, new, message):
    assert old in GOOD
    directory = tmp_path / "plans"
    shutil.copytree(FIXTURE_PLANS, directory)
    (directory / "cycle.toml").write_text(GOOD.replace(old, new, 1), encoding="utf-8")
    with pytest.raises(PlanError, match=message) as error:
        load_cycle(directory, ROLES)
    assert "cycle.toml" in str(error.value)


def test_a_missing_cycle_file_says_what_it_is_for(tmp_path):
    with pytest.raises(PlanError, match="找不到此檔案（計畫目錄必須有 cycle.toml，宣告考核檢核點與期限）"):
        load_cycle(tmp_path, ROLES)
