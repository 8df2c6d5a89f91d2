"""`python -m metrics review cycle …`: the performance cycle's versions on the command line, through the same service
as 帳號管理 → 系統設定 (Review.save_cycle: the file's checks, a new version, its audit row).

    review cycle show                      # the version in force, its checkpoints and steps, and the earlier versions
    review cycle export [-o cycle.toml]    # the document of the version in force (or --version N)
    review cycle import cycle.toml         # checked; stored as the next version

A version whose steps no longer agree with roles.toml (changed since it was saved) is still shown and exported, so
that it can be fixed and imported; `show` then names the steps and exits 2.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path

from metrics.cli.common import EXIT_INVALID, command_line_actor, os_reason
from metrics.errors import InputError
from metrics.names import printable
from metrics.store import format_taiwan_time


def command_cycle(arguments: argparse.Namespace, review_of: Callable) -> int:
    if arguments.cycle_command == "import":
        return _import(arguments, review_of)
    review, _ = review_of(arguments, create=False, repair=True)
    if arguments.cycle_command == "export":
        return _export(arguments, review)
    return _show(review)


def _show(review) -> int:
    from metrics.plans.cycle import STEP_KEY_LABELS, months_text

    cycle, roles = review.cycle, review.services.roles
    versions = review.cycle_versions()
    current = versions[-1]
    print(printable(f"考核週期第 {current.number} 版（{format_taiwan_time(current.created_at)}，{current.author}"
                    + (f"，{current.note}" if current.note else "") + "）"))
    print(f"每月數字於次月 {cycle.monthly_due_day} 日前填報；燈號：達成度 {cycle.green}% 以上綠燈、"
          f"{cycle.yellow}% 以上黃燈，其餘紅燈，無資料為白燈。")
    print("檢核點：")
    for point in cycle.checkpoints:
        due = f"{'次年 ' if point.due_next_year else ''}{point.due_month:02d}/{point.due_day:02d}"
        print(printable(f"  {point.id}：{point.name}，{months_text(point.months)} 月，自評期限 {due}"))
    print("各步驟的角色：")
    for key, label in STEP_KEY_LABELS.items():
        names = cycle.steps.get(key, ())
        mark = "（與 roles.toml 不一致）" if key in review.mismatched_steps else ""
        print(printable(f"  {label}（{key}）：{roles.labels(names) or '—'}（{'、'.join(names) or '—'}）{mark}"))
    if len(versions) > 1:
        print("歷次版本：")
        for version in reversed(versions[:-1]):
            print(printable(f"  第 {version.number} 版（{format_taiwan_time(version.created_at)}，{version.author}）"
                            + (f"：{'；'.join(version.changes)}" if version.changes else "")))
    if not review.mismatched_steps:
        return 0
    print("錯誤：角色設定（roles.toml）已變更，考核週期下列步驟的角色與其不一致，考核流程（review 各步驟與「填報進度」頁）"
          "暫停使用：", file=sys.stderr)
    for key, problems in review.mismatched_steps.items():
        print(printable(f"- {STEP_KEY_LABELS[key]}（{key}）：{'；'.join(problems)}"), file=sys.stderr)
    print("請以 review cycle export -o cycle.toml 匯出，修改 [steps] 後以 review cycle import cycle.toml 存為新版本"
          "（或由系統管理者於「帳號管理」→「系統設定」修正）。", file=sys.stderr)
    return EXIT_INVALID


def _export(arguments: argparse.Namespace, review) -> int:
    versions = review.cycle_versions()
    if arguments.version is None:
        chosen = versions[-1]
    else:
        chosen = next((version for version in versions if version.number == arguments.version), None)
        if chosen is None:
            raise InputError(f"--version {arguments.version}：資料庫中沒有考核週期第 {arguments.version} 版"
                             f"（現有第 1 至 {versions[-1].number} 版）")
    if arguments.output is None:
        sys.stdout.write(chosen.document)
        return 0
    output = Path(arguments.output)
    try:
        output.write_text(chosen.document, encoding="utf-8")
    except OSError as error:
        raise InputError(f"輸出檔「{arguments.output}」無法寫入：{os_reason(error)}") from None
    print(printable(f"已匯出 {output}（考核週期第 {chosen.number} 版）"))
    return 0


def _import(arguments: argparse.Namespace, review_of: Callable) -> int:
    path = Path(arguments.file)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise InputError(f"考核週期檔「{arguments.file}」無法讀取（應為 UTF-8 編碼的 TOML 檔）："
                         f"{os_reason(error) if isinstance(error, OSError) else '不是 UTF-8 編碼'}") from None
    review, _ = review_of(arguments, create=False, repair=True)
    stored = review.save_cycle(command_line_actor(arguments.author), text, note=arguments.note, origin=path.name)
    print(printable(f"已將「{path.name}」存為考核週期第 {stored.number} 版。"))
    for change in stored.changes:
        print(printable(f"  ・{change}"))
    return 0
