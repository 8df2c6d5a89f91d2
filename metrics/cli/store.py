"""The store: `history`, `undo`, `audit` (and its chain's verification), `migrate`, `copy`, `backup`,
`verify-backup` and `restore`."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from metrics.cli.common import (EXIT_STORE, command_line_actor, file_catalogue, open_store, progress_line, resolve_unit,
                                services_of)
from metrics.errors import InputError, StoreError
from metrics.location import store_exists
from metrics.outputs.batches import periods_text
from metrics.names import printable

if TYPE_CHECKING:
    from metrics.store.transfer.format import TransferStep


def command_history(arguments: argparse.Namespace) -> int:
    files = file_catalogue(arguments)
    store = open_store(arguments.db, create=False, catalogue=files)
    unit = resolve_unit(arguments.unit, files)
    batches = store.history(year=arguments.year, unit=unit)
    if arguments.json:
        print(json.dumps([batch_json(batch) for batch in batches], ensure_ascii=False, indent=2))
        return 0
    if not batches:
        print("尚無上傳紀錄")
        return 0
    from metrics.store import format_taiwan_time

    for batch in batches:
        state = f"（已於 {format_taiwan_time(batch.undone_at)} 復原）" if batch.undone_at else ""
        who = f"，上傳者 {batch.uploader}" if batch.uploader else ""
        periods = f"（{periods_text(batch.periods)}）" if batch.periods else ""
        print(printable(f"批次 {batch.id}：{batch.file_name}{periods}，{format_taiwan_time(batch.uploaded_at)} 上傳，"
                        f"{batch.row_count:,} 筆{who}{state}"))
    return 0


def batch_json(batch) -> dict[str, object]:
    return {
        "id": batch.id, "file_name": batch.file_name, "sha256": batch.sha256,
        "uploaded_at": batch.uploaded_at.isoformat(), "uploader": batch.uploader, "row_count": batch.row_count,
        "undone_at": batch.undone_at.isoformat() if batch.undone_at else None,
        "periods": [{"year": year, "unit": unit} for year, unit in batch.periods],
    }


def command_undo(arguments: argparse.Namespace) -> int:
    store = open_store(arguments.db, create=False, catalogue=file_catalogue(arguments))
    if arguments.batch not in {batch.id for batch in store.history()}:
        raise InputError(f"沒有第 {arguments.batch} 批上傳紀錄；請用 history 指令查看批次編號")
    try:
        result = services_of(store, arguments).undo(command_line_actor(), arguments.batch)
    except StoreError as error:  # already undone, or blocked by a later batch: the user's call to fix
        raise InputError(str(error)) from error
    print(result.message)
    return 0


def parse_day(text: str | None, option: str):
    """A day as people write it (113/01/05, 113-1-5 or 2024-01-05) → a date; InputError names the option."""
    import datetime as dt
    import re

    if text is None:
        return None
    match = re.fullmatch(r"\s*(\d{2,4})[/.-](\d{1,2})[/.-](\d{1,2})\s*", text)
    if match:
        year, month, day = map(int, match.groups())
        try:
            return dt.date(year + 1911 if year < 1911 else year, month, day)
        except ValueError:
            pass
    raise InputError(f"{option}「{text}」不是日期；請寫成 113/01/05（民國）或 2024-01-05")


def command_audit(arguments: argparse.Namespace) -> int:
    import datetime as dt

    from metrics.store import TAIWAN, format_taiwan_time

    if arguments.verify:
        return verify_audit(arguments)
    if arguments.anchor or arguments.anchor_from:
        raise InputError(f"{'--anchor' if arguments.anchor else '--anchor-from'} 只能與 --verify 一起使用")
    files = file_catalogue(arguments)
    store = open_store(arguments.db, create=False, catalogue=files)
    since, until = parse_day(arguments.since, "--since"), parse_day(arguments.until, "--until")
    rows = store.audit_log(
        since=dt.datetime.combine(since, dt.time(), TAIWAN) if since else None,
        until=dt.datetime.combine(until + dt.timedelta(days=1), dt.time(), TAIWAN) if until else None,
        account=arguments.user, action=arguments.action, unit=resolve_unit(arguments.unit, files),
        limit=arguments.limit)
    if arguments.json:
        print(json.dumps([{"id": row.id, "at": row.at.isoformat(), "account": row.account, "action": row.action,
                           "outcome": row.outcome.value, "unit": row.unit, "year": row.year, "subject": row.subject,
                           "detail": row.detail} for row in rows], ensure_ascii=False, indent=2))
        return 0
    if not rows:
        print("沒有符合條件的操作紀錄")
    for row in rows:
        where = "　".join(part for part in (f"{row.year}年" if row.year else "", row.unit) if part)
        print(printable(f"{format_taiwan_time(row.at)}　{row.account}　{row.action}（{row.outcome.value}）"
                        f"{'　' + where if where else ''}　{row.subject}{'：' + row.detail if row.detail else ''}"))
    return 0


def transfer_progress(step: TransferStep) -> None:
    from metrics.services.transfer_wording import step as words

    progress_line(words(step))


def parse_anchor(text: str | None) -> tuple[int, str] | None:
    import re

    if text is None:
        return None
    match = re.fullmatch(r"\s*(\d+)\s*[:：]\s*([0-9a-fA-F]{64})\s*", text)
    if not match:
        raise InputError(f"--anchor「{text}」格式不正確；請寫成 編號:雜湊值（64 個十六進位字元），"
                         "即先前 audit --verify 印出的最後一筆")
    return int(match.group(1)), match.group(2).lower()


def anchor_of_backup(path: Path) -> tuple[int, str]:
    """The audit trail's last row as a backup recorded it, the backup checked through first (chain included)."""
    from metrics.services import transfer_wording
    from metrics.store.transfer.check import check_backup
    from metrics.store.transfer.format import backup_key

    if not path.is_file():
        raise InputError(f"找不到備份檔「{path}」")
    checked = check_backup(path, key=backup_key(), progress=transfer_progress)
    if checked.anchor is None:
        raise InputError(f"備份檔「{path.name}」沒有操作紀錄，沒有可比對的最後一筆")
    print(f"以備份檔 {path.name}（{checked.created_at} 備份，{transfer_wording.verified(checked.verified)}）"
          "記下的操作紀錄最後一筆為準："
          f"編號 {checked.anchor[0]:,}，雜湊值 {checked.anchor[1]}")
    return checked.anchor


def anchor_line(anchor: tuple[int, str] | None) -> str:
    if anchor is None:
        return "操作紀錄：沒有紀錄（沒有可記下的最後一筆）。"
    return f"操作紀錄最後一筆：編號 {anchor[0]}，雜湊值 {anchor[1]}（audit --verify --anchor {anchor[0]}:{anchor[1]}）"


def verify_audit(arguments: argparse.Namespace) -> int:
    from metrics.services.transfer_wording import break_kind, who_did_what
    from metrics.store import format_taiwan_time
    from metrics.store.audit_chain import BreakKind

    anchor = parse_anchor(arguments.anchor)
    if arguments.anchor_from:
        if anchor is not None:
            raise InputError("--anchor 與 --anchor-from 請擇一使用")
        anchor = anchor_of_backup(Path(arguments.anchor_from))
    with open_store(arguments.db, create=False) as store:
        report = store.verify_audit_chain(anchor)
        where = store.display_url()
    broken = report.broken
    if broken is not None:
        what = who_did_what(broken)
        when = f"（{format_taiwan_time(broken.at)}" + (f"　{what}）" if what else "）") if broken.at else ""
        if broken.kind is BreakKind.ANCHOR:
            print(f"操作紀錄驗證未通過（{where}）：{break_kind(broken.kind)}。{broken.explanation}"
                  f"（目前的 {report.rows:,} 筆本身環環相扣。）")
        else:
            print(printable(f"操作紀錄驗證未通過（{where}）：第一個有問題的是編號 {broken.row_id:,}{when}，"
                            f"{break_kind(broken.kind)}。{broken.explanation}"))
        print("請保留資料庫現狀（先備份），並向資料庫管理者查明誰能直接修改資料表。")
        return EXIT_STORE
    if report.last_id is None:
        print(f"操作紀錄是空的（{where}），沒有可驗證的紀錄。")
        return 0
    print(f"操作紀錄驗證通過（{where}）：共 {report.rows:,} 筆，從編號 {report.first_id:,} 到編號 {report.last_id:,} "
          "環環相扣，沒有被修改、刪除、插入或調動順序的紀錄。")
    print(f"最後一筆：編號 {report.last_id:,}（{format_taiwan_time(report.last_at)}），雜湊值 {report.last_hash}")
    print(f"請把這一行記在資料庫以外的地方；下次以 --anchor {report.last_id}:{report.last_hash} 驗證，"
          "可確認這一筆以前的紀錄未被刪除或重新計算。")
    return 0


def command_migrate(arguments: argparse.Namespace) -> int:
    from metrics.store import SCHEMA_VERSION

    store = open_store(arguments.db)  # opening creates the tables or upgrades them
    with store:
        print(f"資料庫 {store.display_url()} 的結構為第 {SCHEMA_VERSION} 版（最新）。")
        if arguments.grant:
            from metrics.store.runtime_role import grant_runtime_role

            for statement in grant_runtime_role(store, arguments.grant):
                print(f"  {statement};")
            print(f"已授權角色 {arguments.grant}：可讀寫資料表、讀取與新增操作紀錄，不能修改或刪除操作紀錄、"
                  "不能變更資料表或停用觸發程序。儀表板請以此角色連線（KPI_DB_URL）。")
    return 0


def command_copy(arguments: argparse.Namespace) -> int:
    from metrics.evaluation.copies import verify
    from metrics.services.transfer_wording import counts
    from metrics.store.transfer.write import copy_store

    if arguments.source == arguments.target:
        raise InputError("--from 與 --to 是同一個資料庫")
    if not store_exists(arguments.source):
        raise InputError(f"來源資料庫「{arguments.source}」不存在")
    with open_store(arguments.source, create=False) as source, open_store(arguments.target) as target:
        written = copy_store(source, target, progress=transfer_progress)
        print(f"已將 {source.display_url()} 複製到 {target.display_url()}：{counts(written)}")
        verification = verify(source, target, file_catalogue(arguments), progress=progress_line)
    print(verification.summary())
    return 0 if verification.identical else EXIT_STORE


def command_backup(arguments: argparse.Namespace) -> int:
    from metrics.services.transfer_wording import counts
    from metrics.store.transfer.format import KEY_VARIABLE, backup_key
    from metrics.store.transfer.write import write_backup

    output = Path(arguments.file)
    if output.is_dir():
        raise InputError(f"「{output}」是資料夾；請給備份檔的檔名，例如 {output / 'kpi-backup.jsonl.gz'}")
    key = backup_key()
    with open_store(arguments.db, create=False) as store:
        written = write_backup(store, output, key=key, progress=transfer_progress)
        print(f"已備份 {store.display_url()} 到 {output}（{output.stat().st_size:,} 位元組）："
              f"{counts(written.counts)}")
    print(f"內容檢查碼 SHA-256：{written.sha256}")
    print(anchor_line(written.anchor))
    print(f"已以 {KEY_VARIABLE} 加上來源驗證碼（HMAC-SHA256）。" if written.signed else
          f"未設定 {KEY_VARIABLE}，備份檔沒有來源驗證碼；只能驗證內容完整，不能驗證來源（見 README「備份與還原」）。")
    return 0


def checked_backup(arguments: argparse.Namespace):
    """The backup of `arguments.file` read through and verified, its warnings shown; refused with the reason."""
    from metrics.store.transfer.check import check_backup
    from metrics.store.transfer.format import BACKUP_MAX_BYTES, backup_key

    path = Path(arguments.file)
    if not path.is_file():
        raise InputError(f"找不到備份檔「{path}」")
    if arguments.max_mb is not None and arguments.max_mb < 1:
        raise InputError(f"--max-mb「{arguments.max_mb}」須為正整數（MB）")
    max_bytes = arguments.max_mb * 1024 * 1024 if arguments.max_mb else BACKUP_MAX_BYTES
    key = backup_key()
    checked = check_backup(path, key=key, accept_unverified=arguments.accept_unverified, max_bytes=max_bytes,
                           progress=transfer_progress)
    for warning in checked.warnings:
        print(f"注意：{warning}", file=sys.stderr)
    return checked, key, max_bytes


def command_verify_backup(arguments: argparse.Namespace) -> int:
    from metrics.services.transfer_wording import counts, verified

    checked, _key, _max_bytes = checked_backup(arguments)
    print(f"{Path(arguments.file).name}：{checked.created_at} 備份，資料庫結構第 {checked.header['schema_version']} 版，"
          f"{counts(checked.counts)}")
    if checked.sha256:
        print(f"內容檢查碼 SHA-256：{checked.sha256}")
    print(anchor_line(checked.anchor) + ("；雜湊鏈環環相扣" if checked.anchor else ""))
    print(f"檢查結果：{verified(checked.verified)}")
    return 0


def command_restore(arguments: argparse.Namespace) -> int:
    from metrics.services.transfer_wording import counts, verified
    from metrics.store.transfer.restore import restore_backup

    path = Path(arguments.file)
    checked, key, max_bytes = checked_backup(arguments)  # a bad file is refused before any database is created
    with open_store(arguments.db) as store:
        written = restore_backup(path, store, key=key, accept_unverified=arguments.accept_unverified,
                                 max_bytes=max_bytes, checked=checked, progress=transfer_progress)
        print(f"已將 {path.name}（{checked.created_at} 備份）還原到 {store.display_url()}：{counts(written)}")
    print(anchor_line(checked.anchor) + ("；雜湊鏈環環相扣" if checked.anchor else ""))
    print(f"檢查結果：{verified(checked.verified)}")
    return 0
