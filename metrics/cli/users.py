"""Accounts: `users add/list/disable/enable/reset-password` through the services, a password read without echo."""

from __future__ import annotations

import argparse
import json
import sys

from metrics.cli.common import command_line_actor, file_catalogue, open_store, resolve_unit, services_of
from metrics.errors import InputError
from metrics.location import default_url, store_exists
from metrics.names import printable


def read_password(arguments: argparse.Namespace) -> str:
    """The new password: the first line of standard input with --password-stdin, else typed twice unseen."""
    import getpass

    if arguments.password_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    if not sys.stdin.isatty():
        raise InputError("請在終端機中執行以輸入密碼，或加上 --password-stdin 由標準輸入提供密碼")
    first = getpass.getpass("新密碼：")
    if getpass.getpass("再輸入一次：") != first:
        raise InputError("兩次輸入的密碼不同，未變更任何資料")
    return first


def user_services(arguments: argparse.Namespace, create: bool = False):
    files = file_catalogue(arguments)
    return services_of(open_store(arguments.db, create=create, catalogue=files), arguments), files


def command_users(arguments: argparse.Namespace) -> int:
    command = arguments.users_command
    actor = command_line_actor()
    if command == "list":
        if not store_exists(arguments.db or default_url()):
            print("尚無帳號（資料庫尚未建立）；以 python -m metrics users add 帳號 --name 姓名 --role administrator "
                  "建立第一位系統管理者")
            return 0
        services, _ = user_services(arguments)
        accounts = services.store.accounts()
        if arguments.json:
            print(json.dumps([{"username": account.username, "name": account.display_name, "roles": list(account.roles),
                               "units": list(account.units), "email": account.email, "active": account.active,
                               "password": account.password_hash is not None} for account in accounts],
                             ensure_ascii=False, indent=2))
            return 0
        if not accounts:
            print("尚無帳號；以 python -m metrics users add 帳號 --name 姓名 --role administrator 建立第一位系統管理者")
        for account in accounts:
            state = "" if account.active else "（已停用）"
            units = f"，單位：{'、'.join(account.units)}" if account.units else ""
            login = "密碼" if account.password_hash else "只限單一登入"
            print(printable(f"{account.username}　{account.display_name}{state}："
                            f"{services.roles.labels(account.roles)}{units}，{login}"
                            f"{'，' + account.email if account.email else ''}"))
        return 0
    if command == "add":
        services, files = user_services(arguments, create=True)
        units = [resolve_unit(unit, files) for unit in arguments.unit]
        password = None if arguments.no_password else read_password(arguments)
        account = services.add_account(actor, arguments.username, display_name=arguments.name, roles=arguments.role,
                                       units=units, password=password, email=arguments.email)
        print(f"已建立帳號 {account.username}（{account.display_name}）：{services.roles.labels(account.roles)}"
              + (f"，單位：{'、'.join(account.units)}" if account.units else ""))
        return 0
    services, _ = user_services(arguments)
    if command in ("disable", "enable"):
        services.set_active(actor, arguments.username, command == "enable")
        print(f"已{'啟用' if command == 'enable' else '停用'}帳號 {arguments.username}")
    else:
        services.reset_password(actor, arguments.username, read_password(arguments))
        print(f"已重設帳號 {arguments.username} 的密碼（原有登入已結束，鎖定已解除）")
    return 0
