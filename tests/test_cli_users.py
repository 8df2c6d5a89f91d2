"""`python -m metrics users …` and `audit` end to end, on SQLite and PostgreSQL: an administrator created from
the command line on a fresh store logs in on the web's service layer; disable, enable and reset-password take
effect; the audit trail lists all of it, filtered."""

from __future__ import annotations

import json
import os
import pwd
import subprocess
import sys
from pathlib import Path

import pytest

from metrics.plans.roles import load_roles
from catalogues import GOLDEN_PLANS
from metrics.services import LoginFailed, Services
from metrics.store import Store

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "a long enough password"


def run(*arguments: str, url: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    environment = {key: value for key, value in os.environ.items() if key != "KPI_DB_URL"}
    return subprocess.run([sys.executable, "-m", "metrics", *arguments, "--db", url], cwd=ROOT, capture_output=True,
                          text=True, timeout=120, env=environment, input=stdin)


def login(url: str, username: str, password: str):
    with Store(url) as store:
        services = Services(store, load_roles(GOLDEN_PLANS))
        token, account = services.login(username, password)
        return account


def test_users_and_audit_end_to_end(store_url):
    completed = run("users", "list", url=store_url)
    assert completed.returncode == 0 and completed.stdout.startswith("尚無帳號")  # nothing to list yet

    completed = run("users", "add", "admin", "--name", "系統管理者", "--role", "administrator", "--password-stdin",
                    url=store_url, stdin=PASSWORD + "\n")
    assert completed.returncode == 0, completed.stderr
    assert completed.stdout.strip() == "已建立帳號 admin（系統管理者）：系統管理者"
    completed = run("users", "add", "wang", "--name", "王小明", "--role", "reporter", "--unit", "新竹縣政府人事處",
                    "--password-stdin", url=store_url, stdin=PASSWORD + "\n")
    assert completed.returncode == 0, completed.stderr
    assert "單位：人事處" in completed.stdout  # the unit's other name resolved to its canonical one

    assert login(store_url, "admin", PASSWORD).roles == ("administrator",)
    listed = json.loads(run("users", "list", "--json", url=store_url).stdout)
    assert [(user["username"], user["roles"], user["units"], user["active"]) for user in listed] == [
        ("admin", ["administrator"], [], True), ("wang", ["reporter"], ["人事處"], True)]
    assert PASSWORD not in run("users", "list", "--json", url=store_url).stdout

    assert run("users", "disable", "wang", url=store_url).returncode == 0
    with pytest.raises(LoginFailed, match="已停用"):
        login(store_url, "wang", PASSWORD)
    assert run("users", "enable", "wang", url=store_url).returncode == 0
    completed = run("users", "reset-password", "wang", "--password-stdin", url=store_url,
                    stdin="another good password\n")
    assert completed.returncode == 0, completed.stderr
    with pytest.raises(LoginFailed):
        login(store_url, "wang", PASSWORD)
    assert login(store_url, "wang", "another good password").username == "wang"

    audit = json.loads(run("audit", "--json", url=store_url).stdout)
    user = pwd.getpwuid(os.getuid()).pw_name
    assert [(row["action"], row["outcome"], row["subject"] or row["detail"]) for row in audit] == [
        ("登入", "允許", "以密碼登入"), ("登入", "失敗", "密碼錯誤"), ("重設密碼", "允許", "wang"),
        ("啟用帳號", "允許", "wang"), ("登入", "拒絕", "帳號已停用"), ("停用帳號", "允許", "wang"),
        ("登入", "允許", "以密碼登入"), ("建立帳號", "允許", "wang"), ("建立帳號", "允許", "admin")]
    assert audit[-1]["account"] == f"命令列（{user}）"
    text = run("audit", "--user", "王小明", "--action", "登入", url=store_url).stdout.splitlines()
    assert len(text) == 3 and all("王小明（wang）　登入" in line for line in text)
    assert run("audit", "--since", "200/01/01", url=store_url).stdout.strip() == "沒有符合條件的操作紀錄"
    assert len(json.loads(run("audit", "--json", "--since", "2020-01-01", "--limit", "2", url=store_url).stdout)) == 2


@pytest.mark.parametrize(("arguments", "stdin", "message"), [
    (("users", "add", "x", "--name", "X", "--role", "administrator", "--password-stdin"), PASSWORD,
     "帳號只能用英文字母、數字與 _ . @ -，長度 2 至 64 個字元"),
    (("users", "add", "short", "--name", "X", "--role", "administrator", "--password-stdin"), "abc",
     "密碼至少要 10 個字元"),
    (("users", "add", "boss", "--name", "X", "--role", "king", "--password-stdin"), PASSWORD,
     "角色「king」不存在（可用：viewer、reporter、planner、administrator、reviewer、board）"),
    (("users", "add", "rep", "--name", "X", "--role", "reporter", "--password-stdin"), PASSWORD,
     "填報人須指定負責的單位"),
    (("users", "add", "rep", "--name", "X", "--role", "reporter", "--unit", "魔法部", "--password-stdin"), PASSWORD,
     "--unit「魔法部」不是本府的單位"),
    (("users", "add", "sso", "--name", "X", "--role", "viewer", "--no-password"), None,
     "請設定密碼，或填寫單一登入用的電子郵件"),
    (("users", "add", "typed", "--name", "X", "--role", "viewer"), "",
     "請在終端機中執行以輸入密碼，或加上 --password-stdin"),
    (("audit", "--since", "113/13/01"), None, "--since「113/13/01」不是日期"),
])
def test_user_commands_refuse_with_the_reason(tmp_path, arguments, stdin, message):
    url = f"sqlite:///{tmp_path / 'kpi.sqlite3'}"
    run("users", "add", "admin", "--name", "管理者", "--role", "administrator", "--password-stdin", url=url,
        stdin=PASSWORD)
    completed = run(*arguments, url=url, stdin=stdin)
    assert completed.returncode == 2, completed.stdout
    assert message in completed.stderr
    if arguments[:2] == ("users", "add"):
        listed = json.loads(run("users", "list", "--json", url=url).stdout)
        assert [user["username"] for user in listed] == ["admin"]


def test_a_user_name_taken_is_refused_whatever_its_case(tmp_path):
    url = f"sqlite:///{tmp_path / 'kpi.sqlite3'}"
    run("users", "add", "Admin", "--name", "管理者", "--role", "administrator", "--password-stdin", url=url,
        stdin=PASSWORD)
    completed = run("users", "add", "admin", "--name", "管理者", "--role", "administrator", "--password-stdin",
                    url=url, stdin=PASSWORD)
    assert "帳號「admin」已經存在" in completed.stderr


@pytest.mark.parametrize("variable", ["LOGNAME", "USER", "LNAME", "USERNAME"])
def test_the_command_line_records_the_account_of_the_process_not_what_the_environment_says(tmp_path, variable):
    """getpass.getuser() reads these variables first: anyone could sign a write as 王處長."""
    url = f"sqlite:///{tmp_path / 'kpi.sqlite3'}"
    names = {"LOGNAME", "USER", "LNAME", "USERNAME", "KPI_DB_URL"}
    environment = {key: value for key, value in os.environ.items() if key not in names} | {variable: "王處長"}
    completed = subprocess.run([sys.executable, "-m", "metrics", "users", "add", "admin", "--name", "管理者",
                                "--role", "administrator", "--password-stdin", "--db", url], cwd=ROOT,
                               capture_output=True, text=True, timeout=120, env=environment, input=PASSWORD)
    assert completed.returncode == 0, completed.stderr
    [row] = json.loads(run("audit", "--json", url=url).stdout)
    assert row["account"] == f"命令列（{pwd.getpwuid(os.getuid()).pw_name}）"
