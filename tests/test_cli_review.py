"""`python -m metrics review …` end to end on the fixture catalogue, on SQLite and PostgreSQL: status lists every unit
of units.toml (未訂計畫 included) as text and JSON; a full cycle through the same services, recorded under the
operating-system user; the refusals exit 2 with the message; an approved month refuses `ingest` and `undo` until
reopened."""

from __future__ import annotations

import json
import os
import pwd
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from catalogues import FIXTURE_PLANS
from metrics.services.seeding import seed_store
from metrics.store import Store
from test_review import FILES, OWN

ROOT = Path(__file__).resolve().parent.parent
USER = pwd.getpwuid(os.getuid()).pw_name


def run(*arguments: str, url: str, plans: Path = FIXTURE_PLANS) -> subprocess.CompletedProcess:
    environment = {key: value for key, value in os.environ.items() if key != "KPI_DB_URL"}
    return subprocess.run([sys.executable, "-m", "metrics", "--plans", str(plans), *arguments, "--db", url],
                          cwd=ROOT, capture_output=True, text=True, timeout=120, env=environment)


@pytest.fixture
def url(store_url: str) -> str:
    with Store(store_url) as store:
        seed_store(store, FILES)
    return store_url


def ingest(tmp_path, url: str, values: dict[int, str], name: str) -> subprocess.CompletedProcess:
    """A monthly file of 甲處 written as the long CSV the readers take (year, month, unit, field, value)."""
    path = tmp_path / name
    lines = ["年度,月份,單位,項目代碼,數值"] + [f"112,{month},{OWN},{field},{value}" for month, cases in values.items()
                                        for field, value in (("cases", cases), ("certified", "5"), ("staff", "10"))]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return run("ingest", str(path), url=url)


STEP_LINES = [
    ("submit", "", "甲處 112 年度第一季自評：送出自評完成，目前狀態「已送自評」。"),
    ("return", "請補充說明", "甲處 112 年度第一季自評：退回修正完成，目前狀態「退回修正」。"),
    ("submit", "已補充", "甲處 112 年度第一季自評：送出自評完成，目前狀態「已送自評」。"),
    ("pass", "", "甲處 112 年度第一季自評：初核通過完成，目前狀態「初核通過」。"),
    ("approve", "核定", "甲處 112 年度第一季自評：核定完成，目前狀態「已核定」。"),
]


def test_a_full_cycle_and_its_locks_on_the_command_line(url, tmp_path):
    status = json.loads(run("review", "status", "--year", "112", "--checkpoint", "q1", "--json", url=url).stdout)
    assert status["checkpoints"] == [{"id": "q1", "name": "第一季", "months": [1, 2, 3], "deadline": "2023-04-15"}]
    assert [(row["unit"], row["checkpoint"]) for row in status["units"]] == [(OWN, "q1"), ("乙處", "q1"), ("丙處", "q1")]

    assert ingest(tmp_path, url, {1: "3", 2: "3", 3: "3"}, "一至三月.csv").returncode == 0
    for step, comment, line in STEP_LINES:
        completed = run("review", step, "--year", "112", "--unit", "甲", "--checkpoint", "q1", "--comment", comment,
                        url=url)  # 甲: an alias of 甲處
        assert (completed.returncode, completed.stdout.strip(), completed.stderr) == (0, line, "")

    refused = ingest(tmp_path, url, {2: "9"}, "二月更正.csv")
    assert refused.returncode == 2
    assert f"甲處 112 年度第一季的自評已於 " in refused.stderr and f"由 命令列（{USER}） 核定，1月至3月的數字已鎖定，不能上傳（涉及 2月）" \
        in refused.stderr and "請洽「複核」重新開放該自評" in refused.stderr
    undo = run("undo", "1", url=url)
    assert undo.returncode == 2 and "不能復原上傳（涉及 1月、2月、3月）" in undo.stderr
    assert ingest(tmp_path, url, {4: "5"}, "四月.csv").returncode == 0  # April is not locked

    no_reason = run("review", "reopen", "--year", "112", "--unit", OWN, "--checkpoint", "q1", url=url)
    assert no_reason.returncode == 2 and "重新開放已核定的自評須說明理由" in no_reason.stderr
    assert run("review", "reopen", "--year", "112", "--unit", OWN, "--checkpoint", "q1", "--comment", "二月誤植",
               url=url).returncode == 0
    assert ingest(tmp_path, url, {2: "9"}, "二月更正.csv").returncode == 0

    with Store(url) as store:
        rows = [(row.action, row.outcome.value, row.account) for row in store.audit_log()
                if row.action.endswith("自評") or row.action in ("上傳", "復原")]
    assert rows[0] == ("上傳", "允許", f"命令列（{USER}）")  # newest first: the upload after the reopening
    assert rows[1] == ("重新開放自評", "允許", f"命令列（{USER}）")
    assert ("上傳", "拒絕", f"命令列（{USER}）") in rows and ("復原", "拒絕", f"命令列（{USER}）") in rows


def test_status_lists_every_unit_with_its_state(url, tmp_path):
    ingest(tmp_path, url, {1: "3", 2: "3", 3: "3"}, "一至三月.csv")
    assert run("review", "submit", "--year", "112", "--unit", OWN, "--checkpoint", "q1", url=url).returncode == 0
    text = run("review", "status", "--year", "112", url=url)
    assert text.returncode == 0
    lines = text.stdout.splitlines()
    assert lines[0].startswith("112 年度第一季（q1，1月至3月，自評期限 2023-04-15）：已送自評 1、逾期 2")
    assert lines[1].split()[:2] == [OWN, "已送自評"] and f"命令列（{USER}） 於 " in lines[1]
    assert lines[2].split()[:3] == ["乙處", "逾期", "逾期未齊全：1月、2月、3月"]
    as_json = json.loads(run("review", "status", "--year", "113", "--json", url=url).stdout)
    assert [(row["unit"], row["checkpoint"], row["state"]) for row in as_json["units"]] == [
        (OWN, "q1", "逾期"), ("乙處", "q1", "未訂計畫"), ("丙處", "q1", "逾期"),
        (OWN, "year", "逾期"), ("乙處", "year", "未訂計畫"), ("丙處", "year", "逾期")]
    assert [point["deadline"] for point in as_json["checkpoints"]] == ["2024-04-15", "2025-01-20"]


@pytest.mark.parametrize(("arguments", "message"), [
    (("review", "pass", "--year", "112", "--unit", OWN, "--checkpoint", "q1"), "自評目前為「逾期」（尚未送出自評，須先由單位送出），不能初核通過"),
    (("review", "submit", "--year", "112", "--unit", "丁處", "--checkpoint", "q1"), "--unit「丁處」不是本府的單位"),
    (("review", "submit", "--year", "112", "--unit", OWN, "--checkpoint", "h1"), "檢核點「h1」不存在"),
    (("review", "submit", "--year", "112", "--unit", OWN, "--checkpoint", "q1"), "112年1月尚缺 3 項：案件數、認證人數、現職人數"),
    (("review", "status", "--year", "112", "--checkpoint", "h1"), "檢核點「h1」不存在"),
])
def test_refusals_exit_2_with_the_message(url, arguments, message):
    completed = run(*arguments, url=url)
    assert completed.returncode == 2 and message in completed.stderr, completed.stderr


def test_plans_check_checks_the_cycle_file(tmp_path):
    completed = subprocess.run([sys.executable, "-m", "metrics", "--plans", str(FIXTURE_PLANS), "plans", "check"],
                               cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert completed.returncode == 0
    assert "考核週期（cycle.toml）無誤：檢核點 第一季（q1）、年終（year），每月數字於次月 10 日前填報。" in completed.stdout


def test_remind_lists_or_sends_from_the_command_line(url, tmp_path):
    """Run on 2026 and later: every q1 of 112 is past its deadline, so each unit with a plan is 逾期."""
    from smtp_server import smtp_server
    from test_review import SYSTEM, make_review

    with Store(url) as store:
        review = make_review(store)
        review.services.add_account(SYSTEM, "wang", display_name="王小明", roles=["reporter"], units=[OWN],
                                    password="a password for tests", email="wang@example.tw")
    listed = run("review", "remind", "--year", "112", "--checkpoint", "q1", "--dry-run", url=url)
    assert listed.returncode == 0, listed.stderr
    assert listed.stdout.splitlines() == [
        "將寄給 王小明 <wang@example.tw>：【績效考核】甲處 112 年度第一季自評：逾期",
        "將寄給 （沒有具電子郵件的填報人帳號）：【績效考核】乙處 112 年度第一季自評：逾期",
        "將寄給 （沒有具電子郵件的填報人帳號）：【績效考核】丙處 112 年度第一季自評：逾期",
        "共 3 則（僅列出，未寄送）。"]
    refused = run("review", "remind", "--year", "112", "--checkpoint", "q1", url=url)
    assert refused.returncode == 2 and "尚未設定郵件伺服器" in refused.stderr
    with smtp_server() as (port, box):
        with Store(url) as store:
            make_review(store).save_mail_settings(SYSTEM, host="127.0.0.1", port=port, starttls=False,
                                                  sender="kpi@example.tw", user="")
        sent = run("review", "remind", "--year", "112", "--checkpoint", "q1", url=url)
    assert sent.returncode == 1  # two units have nobody to mail: said, and the exit code tells cron
    assert sent.stdout.splitlines()[0] == "已寄給 王小明 <wang@example.tw>：【績效考核】甲處 112 年度第一季自評：逾期"
    assert sent.stdout.splitlines()[-1] == "共 3 則，寄出 1 則，2 則未寄送。"
    assert [mail.recipients for mail in box.mails] == [["wang@example.tw"]]
    with Store(url) as store:
        rows = [(row.action, row.outcome.value, row.unit) for row in store.audit_log(limit=3)]
    assert sorted(rows) == [("催報通知", "允許", OWN), ("催報通知", "失敗", "丙處"), ("催報通知", "失敗", "乙處")]


def test_the_cycle_is_shown_exported_and_imported_as_a_new_version(url, tmp_path):
    shown = run("review", "cycle", "show", url=url)  # the file seeds version 1
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout.splitlines()[0].startswith("考核週期第 1 版（")
    assert "  q1：第一季，1-3 月，自評期限 04/15" in shown.stdout
    assert "  初核（review）：研考初核（reviewer）" in shown.stdout
    exported = tmp_path / "cycle.toml"
    completed = run("review", "cycle", "export", "-o", str(exported), url=url)
    assert (completed.returncode, completed.stdout.strip()) == (0, f"已匯出 {exported}（考核週期第 1 版）")
    assert exported.read_text(encoding="utf-8") == (FIXTURE_PLANS / "cycle.toml").read_text(encoding="utf-8")
    exported.write_text(exported.read_text(encoding="utf-8").replace("yellow = 80", "yellow = 70"), encoding="utf-8")
    imported = run("review", "cycle", "import", str(exported), "--note", "依新規定", url=url)
    assert imported.returncode == 0, imported.stderr
    assert imported.stdout.splitlines() == ["已將「cycle.toml」存為考核週期第 2 版。", "  ・黃燈門檻：80% → 70%"]
    with Store(url) as store:
        stored = store.cycle_version()
        assert (stored.number, stored.author, stored.note, stored.origin) == (2, f"命令列（{USER}）", "依新規定", "cycle.toml")
        row = store.audit_log(action="考核週期")[0]
        assert (row.account, row.subject, row.detail) == (f"命令列（{USER}）", "考核週期第 2 版", "黃燈門檻：80% → 70%")
    again = run("review", "cycle", "import", str(exported), url=url)
    assert again.returncode == 2 and "與目前的版本完全相同" in again.stderr
    assert run("review", "cycle", "export", "--version", "1", url=url).stdout == (
        FIXTURE_PLANS / "cycle.toml").read_text(encoding="utf-8")
    missing = run("review", "cycle", "export", "--version", "5", url=url)
    assert missing.returncode == 2 and "沒有考核週期第 5 版（現有第 1 至 2 版）" in missing.stderr


@pytest.mark.parametrize(("text", "message"), [
    ("[monthly\n", "cycle.toml：TOML 格式錯誤"),
    ('[monthly]\ndue_day = 40\n', "cycle.toml（每月填報期限的 due_day，第 2 行）：應為 1 至 28 的整數"),
])
def test_a_wrong_cycle_file_is_refused_naming_the_file_and_line(url, tmp_path, text, message):
    path = tmp_path / "cycle.toml"
    path.write_text(text, encoding="utf-8")
    completed = run("review", "cycle", "import", str(path), url=url)
    assert completed.returncode == 2 and message in completed.stderr, completed.stderr
    with Store(url) as store:
        assert [version.number for version in store.cycle_versions()] == [1]
    unreadable = run("review", "cycle", "import", str(tmp_path / "無此檔.toml"), url=url)
    assert unreadable.returncode == 2 and "考核週期檔「" in unreadable.stderr and "無法讀取" in unreadable.stderr


def test_a_cycle_roles_toml_no_longer_agrees_with_is_named_and_fixed_on_the_command_line(url, tmp_path):
    assert run("review", "cycle", "show", url=url).returncode == 0  # version 1 under the roles of the time
    plans = tmp_path / "plans"
    shutil.copytree(FIXTURE_PLANS, plans)
    roles = plans / "roles.toml"  # then 初核 moves to a new role
    roles.write_text(roles.read_text(encoding="utf-8").replace('can = ["view", "view_audit", "review_assessment"]',
                                                               'can = ["view", "view_audit"]')
                     + '\n[research]\nlabel = "研考科"\ncan = ["view", "view_audit", "review_assessment"]\n',
                     encoding="utf-8")
    status = run("review", "status", "--year", "112", url=url, plans=plans)
    assert status.returncode == 2 and "review cycle export" in status.stderr
    shown = run("review", "cycle", "show", url=url, plans=plans)
    assert shown.returncode == 2
    assert "  初核（review）：研考初核（reviewer）（與 roles.toml 不一致）" in shown.stdout
    assert "- 初核（review）：角色「reviewer」（研考初核）在 roles.toml 沒有 review_assessment 權限" in shown.stderr
    exported = tmp_path / "cycle.toml"
    assert run("review", "cycle", "export", "-o", str(exported), url=url, plans=plans).returncode == 0
    exported.write_text(exported.read_text(encoding="utf-8").replace('review = ["reviewer"]', 'review = ["research"]'),
                        encoding="utf-8")
    imported = run("review", "cycle", "import", str(exported), url=url, plans=plans)
    assert imported.stdout.splitlines()[-1] == "  ・初核的角色：reviewer → research", imported.stderr
    assert run("review", "cycle", "show", url=url, plans=plans).returncode == 0
    assert run("review", "status", "--year", "112", url=url, plans=plans).returncode == 0
