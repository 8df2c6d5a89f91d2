"""`python -m metrics review …`: the performance cycle on the command line, through the same services as the pages.

    review status --year 112 [--checkpoint half] [--json]
    review submit|return|pass|approve|reopen --year 112 --unit 政風處 --checkpoint half --comment "…"
    review cycle show | export [-o cycle.toml] [--version N] | import cycle.toml [--note "…"]

The command line acts as the machine's administrator (every permission), recorded in the audit trail under the
operating-system user that ran it; it is not an account, so it is never refused as approving its own submission.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from metrics.cli.common import (command_line_actor, display_width, file_catalogue, open_store, pad, plans_directory_of,
                                resolve_unit, services_of)
from metrics.names import printable
from metrics.intake.parsing import format_taiwan_time  # not metrics.store: the parser is built for every command

DONE = {"submit": "送出自評", "return": "退回修正", "pass": "初核通過", "approve": "核定", "reopen": "重新開放"}
STEPS = {**DONE, "return": "退回修正（須以 --comment 說明原因）", "reopen": "重新開放已核定的自評（須以 --comment 說明理由）"}


def add_review_parser(commands: argparse._SubParsersAction) -> None:
    review_parser = commands.add_parser("review", help="績效考核：各單位自評狀態、送出、初核、核定、重新開放")
    review_commands = review_parser.add_subparsers(dest="review_command", required=True, metavar="動作")
    status_parser = review_commands.add_parser("status", help="列出年度內每個單位在各檢核點的狀態（含未訂計畫的單位）")
    status_parser.add_argument("--year", type=int, required=True, metavar="Y", help="民國年度，例如 112")
    status_parser.add_argument("--checkpoint", metavar="C", help="檢核點代碼（見 plans/cycle.toml），預設全部")
    status_parser.add_argument("--json", action="store_true")
    status_parser.add_argument("--db", metavar="URL")
    remind_parser = review_commands.add_parser(
        "remind", help="以電子郵件通知逾期或退回修正的單位填報人（郵件伺服器於帳號管理設定，密碼取自環境變數 KPI_SMTP_PASSWORD）")
    remind_parser.add_argument("--year", type=int, metavar="Y", help="民國年度，預設今年與去年")
    remind_parser.add_argument("--checkpoint", metavar="C", help="檢核點代碼（見 plans/cycle.toml），預設全部")
    remind_parser.add_argument("--dry-run", action="store_true", help="只列出將寄給誰、寄什麼，不寄送")
    remind_parser.add_argument("--db", metavar="URL")
    cycle_parser = review_commands.add_parser("cycle", help="考核週期（檢核點、期限、燈號門檻、各步驟角色）：顯示、匯出、匯入新版本")
    cycle_commands = cycle_parser.add_subparsers(dest="cycle_command", required=True, metavar="動作")
    cycle_show = cycle_commands.add_parser(
        "show", help="顯示資料庫中現行的考核週期與歷次版本（步驟的角色與 roles.toml 不一致時結束代碼為 2）")
    cycle_export = cycle_commands.add_parser("export", help="將考核週期匯出為 cycle.toml（預設：輸出到螢幕）")
    cycle_export.add_argument("-o", "--output", metavar="FILE", help="輸出檔名，例如 cycle.toml")
    cycle_export.add_argument("--version", type=int, metavar="N", help="資料庫中的第 N 版（預設：現行版本）")
    cycle_import = cycle_commands.add_parser("import", help="將 cycle.toml 存入資料庫，成為考核週期的新版本（先檢查，有錯不儲存）")
    cycle_import.add_argument("file", metavar="FILE")
    cycle_import.add_argument("--note", default="", help="修改說明")
    cycle_import.add_argument("--author", default="", help="代誰修改（選填；版本與操作紀錄都記下執行指令的系統帳號）")
    for sub in (cycle_show, cycle_export, cycle_import):
        sub.add_argument("--db", metavar="URL")
    for name, text in STEPS.items():
        step_parser = review_commands.add_parser(name, help=text)
        step_parser.add_argument("--year", type=int, required=True, metavar="Y", help="民國年度，例如 112")
        step_parser.add_argument("--unit", required=True, metavar="U", help="單位，例如 政風處")
        step_parser.add_argument("--checkpoint", required=True, metavar="C", help="檢核點代碼（見 plans/cycle.toml）")
        step_parser.add_argument("--comment", default="", metavar="TEXT",
                                 help="說明（退回與重新開放必填：退回原因、重新開放的理由）")
        step_parser.add_argument("--db", metavar="URL")


def review_of(arguments: argparse.Namespace, *, create: bool, repair: bool = False):
    from metrics.services.review import Review

    files = file_catalogue(arguments)
    store = open_store(arguments.db, create=create, catalogue=files)
    services = services_of(store, arguments)
    return Review.in_force(services, plans_directory_of(arguments), files, repair=repair), files


def command_review(arguments: argparse.Namespace) -> int:
    if arguments.review_command == "status":
        return command_review_status(arguments)
    if arguments.review_command == "remind":
        return command_review_remind(arguments)
    if arguments.review_command == "cycle":
        from metrics.cli.cycle import command_cycle

        return command_cycle(arguments, review_of)
    review, files = review_of(arguments, create=False)
    unit = resolve_unit(arguments.unit, files)
    actor = command_line_actor()
    step = {"submit": review.submit, "return": review.return_, "pass": review.pass_, "approve": review.approve,
            "reopen": review.reopen}[arguments.review_command]
    stored = step(actor, arguments.year, unit, arguments.checkpoint, arguments.comment)
    print(printable(f"{stored.unit} {stored.year} 年度{stored.checkpoint_name}自評：{DONE[arguments.review_command]}完成，"
                    f"目前狀態「{stored.state.value}」。"))
    return 0


def command_review_status(arguments: argparse.Namespace) -> int:
    review, _ = review_of(arguments, create=False)
    rows = review.status(arguments.year, arguments.checkpoint)
    checkpoints = [review.cycle.checkpoint(arguments.checkpoint)] if arguments.checkpoint else review.cycle.checkpoints
    if arguments.json:
        print(json.dumps({
            "year": arguments.year,
            "checkpoints": [{"id": point.id, "name": point.name, "months": list(point.months),
                             "deadline": point.due(arguments.year).isoformat()} for point in checkpoints],
            "units": [row.to_json() for row in rows],
        }, ensure_ascii=False, indent=2))
        return 0
    for point in checkpoints:
        of_point = [row for row in rows if row.checkpoint.id == point.id]
        counts = {}
        for row in of_point:
            counts[row.state.value] = counts.get(row.state.value, 0) + 1
        print(printable(f"{point.label(arguments.year)}（{point.id}，{point.months[0]}月至{point.months[-1]}月，"
                        f"自評期限 {point.due(arguments.year):%Y-%m-%d}）："
                        + "、".join(f"{state} {count}" for state, count in counts.items())))
        width = max(display_width(row.unit) for row in of_point) if of_point else 4
        for row in of_point:
            stored = row.assessment
            who = ""
            if stored is not None and stored.approved_at:
                who = f"{stored.approved_by} 於 {format_taiwan_time(stored.approved_at)} 核定"
            elif stored is not None and stored.submitted_at:
                who = f"{stored.submitted_by} 於 {format_taiwan_time(stored.submitted_at)} 送出"
            elif row.overdue_months:
                who = "逾期未齊全：" + "、".join(f"{month}月" for month in row.overdue_months)
            print(printable(f"  {pad(row.unit, width)}  {pad(row.state.value, 8)}  {who}".rstrip()))
    return 0


def command_review_remind(arguments: argparse.Namespace) -> int:
    review, _ = review_of(arguments, create=False)
    reminders = review.remind(command_line_actor(), arguments.year, arguments.checkpoint, dry_run=arguments.dry_run)
    if not reminders:
        print("沒有逾期或退回修正的單位，不需寄送催報通知。")
        return 0
    for reminder in reminders:
        if arguments.dry_run:
            print(printable(f"將寄給 {reminder.to_text}：{reminder.subject}"))
            continue
        outcome = "已寄給" if reminder.sent else "未寄送"
        problem = f"（{reminder.problem}）" if reminder.problem else ""
        print(printable(f"{outcome} {reminder.to_text}：{reminder.subject}{problem}"))
    if arguments.dry_run:
        print(f"共 {len(reminders)} 則（僅列出，未寄送）。")
        return 0
    unsent = sum(1 for reminder in reminders if not reminder.sent)
    print(f"共 {len(reminders)} 則，寄出 {len(reminders) - unsent} 則" + (f"，{unsent} 則未寄送" if unsent else "") + "。")
    return 1 if unsent else 0


def cycle_check_line(directory: Path) -> str:
    """What `plans check` says of cycle.toml (a PlanError when it is wrong)."""
    from metrics.plans.roles import load_roles
    from metrics.plans.catalogue import CYCLE_FILE
    from metrics.plans.cycle import load_cycle

    if not (Path(directory) / CYCLE_FILE).exists():
        return f"尚未設定考核週期（{CYCLE_FILE}）：績效考核功能（review 指令）需要此檔。"
    cycle = load_cycle(directory, load_roles(directory))
    return (f"考核週期（{CYCLE_FILE}）無誤：檢核點 " + "、".join(f"{point.name}（{point.id}）" for point in cycle.checkpoints)
            + f"，每月數字於次月 {cycle.monthly_due_day} 日前填報。")
