"""`python -m metrics …`: the same core as the dashboard, without a browser.

Exit status 0 on success, 2 on invalid input (message on stderr, in Traditional Chinese, naming
the file, sheet, cell and field; nothing stored), 1 on a store failure.

The commands live by group, each module under 600 lines:

    common.py    exit codes, the parser in Chinese, the store, catalogue and actor a command runs with
    evaluate.py  evaluate, report, ingest: files and figures, column mappings, the table on the terminal
    briefing.py  report --county: the county briefing (全府簡報) as .pdf or .xlsx
    plans.py     plans check/list/show/export/import and template
    users.py     users: accounts through the services
    store.py     history, undo, audit, migrate, copy, backup, verify-backup, restore
    review.py    review: the performance cycle from the command line
    annual.py    report --annual: the unit's year-end 施政績效報告 (.docx, .pdf)
    cycle.py     review cycle: the cycle's versions shown, exported and imported
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence

from importlib import import_module

from metrics.cli.annual import add_annual_argument
from metrics.cli.common import (ChineseArgumentParser, EXIT_INVALID, EXIT_STORE, add_export_arguments,
                                add_period_arguments)
from metrics.errors import InputError, KpiError, StoreError
from metrics.texts import VisibleStream


def build_parser() -> argparse.ArgumentParser:
    parser = ChineseArgumentParser(prog="python -m metrics",
                                   description="新竹縣政府 施政計畫績效指標：計算、匯入、查詢與計畫管理")
    parser.add_argument("--plans", metavar="DIR", help="計畫目錄（預設：環境變數 KPI_PLANS_DIR，或專案的 plans/）")
    commands = parser.add_subparsers(dest="command", required=True, metavar="指令")

    evaluate_parser = commands.add_parser("evaluate", help="計算各項指標（來源：檔案或資料庫）")
    evaluate_parser.add_argument("files", nargs="*", metavar="FILE",
                                 help="月報 .xlsx 或 .csv，或系統匯出（公文清單、人事名冊、歲出預算執行表、政風案件紀錄），可多個")
    evaluate_parser.add_argument("--as-of", type=int, dest="as_of", metavar="M", help="統計至第 M 月（預設：最新填報月份）")
    evaluate_parser.add_argument("--target", action="append", default=[], metavar="ID=VALUE",
                                 help="情境模擬：改用此目標值，例如 --target 10-1=98")
    evaluate_parser.add_argument("--json", action="store_true", help="輸出 JSON")
    evaluate_parser.add_argument("--db", metavar="URL",
                                 help="由資料庫讀取（預設：環境變數 KPI_DB_URL，或本機 SQLite 檔）；與檔案同時指定時，"
                                      "計畫與已儲存的欄位對應取自資料庫，計算的仍是檔案的數字")
    add_period_arguments(evaluate_parser, "要計算的")
    evaluate_parser.add_argument("--plan-version", type=int, dest="plan_version", metavar="N",
                                 help="改用資料庫中該計畫的第 N 版（重算當時的結果；預設：現行版本）")
    add_export_arguments(evaluate_parser)

    report_parser = commands.add_parser("report", help="產生當月正式報表（.xlsx 或 .pdf，依輸出檔的副檔名）")
    report_parser.add_argument("--db", metavar="URL", help="資料庫位址（預設：環境變數 KPI_DB_URL，或 data/kpi.sqlite3）")
    add_period_arguments(report_parser, "報表的")
    report_parser.add_argument("--as-of", type=int, dest="as_of", metavar="M", help="統計至第 M 月（預設：最新填報月份）")
    report_parser.add_argument("-o", "--output", required=True, metavar="FILE",
                               help="輸出檔：副檔名 .xlsx 為 Excel 報表，.pdf 為 A4 橫式 PDF 報表（含儀表圖）")
    report_parser.add_argument("--county", action="store_true",
                               help="全府簡報：--year 年度所有單位的排名、落後指標與落後原因、逐月趨勢、未填報單位、跨年度計分"
                                    "（不需 --unit；-o 為 .pdf 或 .xlsx）")
    add_annual_argument(report_parser)

    ingest_parser = commands.add_parser("ingest", help="匯入月報或系統匯出到資料庫（任一檔案有誤則全部不匯入）")
    ingest_parser.add_argument("files", nargs="+", metavar="FILE")
    ingest_parser.add_argument("--db", metavar="URL")
    ingest_parser.add_argument("--uploader", default="",
                               help="代誰上傳（選填；上傳紀錄與操作紀錄都記下執行指令的系統帳號）")
    add_period_arguments(ingest_parser, "檔案未註明時的")
    add_export_arguments(ingest_parser)

    history_parser = commands.add_parser("history", help="列出上傳紀錄")
    history_parser.add_argument("--db", metavar="URL")
    history_parser.add_argument("--json", action="store_true")
    add_period_arguments(history_parser, "只列出含此")

    undo_parser = commands.add_parser("undo", help="復原一次上傳（還原該批次之前的數值）")
    undo_parser.add_argument("batch", type=int, metavar="BATCH", help="批次編號（見 history）")
    undo_parser.add_argument("--db", metavar="URL")

    template_parser = commands.add_parser("template", help="產生某單位某年度計畫的月報範本 .xlsx")
    add_period_arguments(template_parser, "範本的")
    template_parser.add_argument("--db", metavar="URL", help="使用資料庫中的現行計畫（預設：資料庫存在時使用，否則用計畫檔）")
    template_parser.add_argument("-o", "--output", metavar="FILE", help="輸出檔名（預設：月報範本_單位_年度.xlsx）")

    plans_parser = commands.add_parser("plans", help="計畫目錄：檢查、列出、顯示、匯出、匯入")
    plan_commands = plans_parser.add_subparsers(dest="plans_command", required=True, metavar="動作")
    check_parser = plan_commands.add_parser("check", help="檢查 plans/ 的所有計畫檔（有錯時結束代碼為 2）")
    check_parser.add_argument("--db", metavar="URL", help="核對成長率指標的基準年度在資料庫中有無數字"
                                                          "（預設：資料庫存在時核對）")
    list_parser = plan_commands.add_parser("list", help="列出現有的計畫（年度、單位、版本）")
    list_parser.add_argument("--db", metavar="URL", help="列出資料庫中的計畫（預設：資料庫存在時使用，否則只列計畫檔）")
    show_parser = plan_commands.add_parser("show", help="顯示一個計畫的目標、指標、權重與版本")
    export_parser = plan_commands.add_parser("export", help="將計畫匯出為完整的計畫檔（TOML）")
    for sub in (show_parser, export_parser):
        sub.add_argument("year", type=int, metavar="YEAR", help="民國年度，例如 112")
        sub.add_argument("unit", metavar="UNIT", help="單位，例如 政風處")
        sub.add_argument("--version", type=int, metavar="N", help="資料庫中的第 N 版（預設：現行版本）")
        sub.add_argument("--db", metavar="URL")
    export_parser.add_argument("-o", "--output", metavar="FILE", help="輸出檔名（預設：單位_年度.toml）")
    import_parser = plan_commands.add_parser("import", help="將計畫檔存入資料庫，成為該年度該單位計畫的新版本")
    import_parser.add_argument("file", metavar="FILE")
    import_parser.add_argument("--db", metavar="URL")
    import_parser.add_argument("--author", default="", help="代誰修改（選填；版本與操作紀錄都記下執行指令的系統帳號）")
    import_parser.add_argument("--note", default="", help="修改說明")
    document_parser = plan_commands.add_parser(
        "import-document", help="由計畫書（.docx、.odt、.pdf、.txt）讀出計畫草稿（結束代碼：0 無待決定事項、3 有待決定事項、"
                                "2 計畫書無法讀取）")
    document_parser.add_argument("file", metavar="FILE", help="計畫書檔案")
    document_parser.add_argument("--year", type=int, required=True, metavar="Y", help="民國年度，例如 112")
    document_parser.add_argument("--unit", required=True, metavar="U", help="單位，例如 政風處")
    document_parser.add_argument("--db", metavar="URL",
                                 help="以資料庫中的現行計畫版本為準（沿用其中修改過的簡稱與說明，新項目代碼也不與已存版本重複；"
                                      "預設：資料庫存在時使用，否則用計畫檔）")
    document_parser.add_argument("--json", action="store_true", help="以 JSON 輸出草稿")
    document_parser.add_argument("-o", "--output", metavar="PLAN.toml",
                                 help="寫出計畫檔（plans check 可檢查；建議新增的填報項目以 [[field]] 寫在同一檔中）")

    users_parser = commands.add_parser("users", help="帳號：新增、列出、停用、啟用、重設密碼")
    user_commands = users_parser.add_subparsers(dest="users_command", required=True, metavar="動作")
    add_user = user_commands.add_parser("add", help="新增帳號（密碼於提示時輸入，不會顯示）")
    add_user.add_argument("username", metavar="USERNAME", help="帳號（英文字母、數字與 _ . @ -）")
    add_user.add_argument("--name", required=True, help="姓名（顯示於上傳紀錄與操作紀錄）")
    add_user.add_argument("--role", action="append", required=True, metavar="ROLE",
                          help="角色，可多個：viewer 檢視者、reporter 填報人、planner 計畫管理者、administrator 系統管理者")
    add_user.add_argument("--unit", action="append", default=[], metavar="U", help="填報人負責的單位，可多個")
    add_user.add_argument("--email", default="", help="電子郵件（單一登入時用以對應帳號）")
    add_user.add_argument("--no-password", action="store_true", dest="no_password",
                          help="不設密碼（只以單一登入登入；須填 --email）")
    user_commands.add_parser("list", help="列出帳號").add_argument("--json", action="store_true")
    for name, text in (("disable", "停用帳號（並結束其登入）"), ("enable", "重新啟用帳號"),
                       ("reset-password", "重設密碼（並結束其登入、解除鎖定）")):
        user_commands.add_parser(name, help=text).add_argument("username", metavar="USERNAME")
    for sub in user_commands.choices.values():
        sub.add_argument("--db", metavar="URL")
    for name in ("add", "reset-password"):
        user_commands.choices[name].add_argument("--password-stdin", action="store_true", dest="password_stdin",
                                                 help="由標準輸入讀取密碼（第一行），供自動化腳本使用")

    audit_parser = commands.add_parser("audit", help="操作紀錄（新的在前）")
    audit_parser.add_argument("--since", metavar="DATE", help="起始日期（含），例如 113/01/05 或 2024-01-05")
    audit_parser.add_argument("--until", metavar="DATE", help="結束日期（含）")
    audit_parser.add_argument("--user", metavar="USER",
                              help="帳號或姓名（部分相符即可）：此帳號所做的，以及對此帳號所做的（建立、停用、重設密碼…）")
    audit_parser.add_argument("--action", metavar="ACTION", help="動作，例如 上傳、復原、登入")
    audit_parser.add_argument("--unit", metavar="U", help="單位")
    audit_parser.add_argument("--limit", type=int, metavar="N", help="最多列出 N 筆")
    audit_parser.add_argument("--json", action="store_true")
    audit_parser.add_argument("--db", metavar="URL")
    audit_parser.add_argument("--verify", action="store_true",
                              help="驗證操作紀錄的雜湊鏈：找出第一筆被修改、刪除、插入或調動順序的紀錄（有問題時結束代碼為 1）")
    audit_parser.add_argument("--anchor", metavar="編號:雜湊值",
                              help="與 --verify 併用：先前驗證時記下的最後一筆，確認它仍在且未被改動（其後的紀錄未被截斷）")
    audit_parser.add_argument("--anchor-from", dest="anchor_from", metavar="BACKUP",
                              help="與 --verify 併用：以一份備份檔（先完整檢查）記下的操作紀錄最後一筆為準，確認它仍在且"
                                   "未被改動；備份檔存放在資料庫以外，資料表的擁有者也改不了")

    migrate_parser = commands.add_parser("migrate", help="建立資料表或升級資料庫結構（由擁有資料表的資料庫帳號執行）")
    migrate_parser.add_argument("--db", metavar="URL", help="擁有者帳號的資料庫位址")
    migrate_parser.add_argument("--grant", metavar="ROLE",
                                help="PostgreSQL：同時授權執行時使用的角色（只能讀寫資料表、只能讀取與新增操作紀錄）")

    copy_parser = commands.add_parser("copy", help="將整個資料庫複製到另一個空的資料庫（例如 SQLite → PostgreSQL），並驗證結果一致")
    copy_parser.add_argument("--from", dest="source", required=True, metavar="URL", help="來源資料庫")
    copy_parser.add_argument("--to", dest="target", required=True, metavar="URL", help="目標資料庫（必須是空的）")
    backup_parser = commands.add_parser("backup", help="將整個資料庫備份為一個壓縮檔（可還原到 SQLite 或 PostgreSQL）")
    backup_parser.add_argument("file", metavar="FILE", help="備份檔名，例如 kpi-1150131.jsonl.gz")
    backup_parser.add_argument("--db", metavar="URL")
    restore_parser = commands.add_parser("restore", help="將備份檔還原到一個空的資料庫（先完整檢查，有任何問題則什麼都不寫入）")
    restore_parser.add_argument("file", metavar="FILE")
    restore_parser.add_argument("--db", required=True, metavar="URL", help="要還原到的資料庫（必須是空的）")
    verify_parser = commands.add_parser("verify-backup",
                                        help="檢查備份檔是否完整、未被修改，並以 KPI_BACKUP_KEY 驗證來源（不寫入任何資料庫）")
    verify_parser.add_argument("file", metavar="FILE")
    for sub in (restore_parser, verify_parser):
        sub.add_argument("--accept-unverified", action="store_true", dest="accept_unverified",
                         help="接受無法驗證的備份檔：第 1 版（沒有檢查碼）的備份，或已設定 KPI_BACKUP_KEY 時沒有來源驗證碼的"
                              "備份；格式與筆數仍會檢查，檢查碼或驗證碼不符的一律拒絕")
        sub.add_argument("--max-mb", type=int, dest="max_mb", metavar="MB",
                         help="備份檔解壓縮後的大小上限（MB，預設 4096），防範壓縮炸彈")
    from metrics.cli.review import add_review_parser

    add_review_parser(commands)
    return parser


# Each command's module is imported when the command runs: the help imports none of them (no pandas, no
# database layer), and `evaluate` on a file imports no store.
COMMANDS = {
    "evaluate": "evaluate", "report": "evaluate", "ingest": "evaluate", "history": "store", "undo": "store",
    "template": "plans", "plans": "plans", "users": "users", "audit": "store", "migrate": "store",
    "copy": "store", "backup": "store", "restore": "store", "verify-backup": "store", "review": "review",
}


def command(name: str) -> Callable[[argparse.Namespace], int]:
    """The function that runs the command `name`, e.g. command_verify_backup of metrics.cli.store."""
    return getattr(import_module(f"metrics.cli.{COMMANDS[name]}"), f"command_{name.replace('-', '_')}")


def main(argv: Sequence[str] | None = None) -> int:
    """Every line any command prints goes through metrics.texts.terminal: a control character the store holds
    (an escape sequence in an old plan's name) is shown as \\u001b, never obeyed by the terminal."""
    streams = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = (VisibleStream(stream) if stream is not None else None for stream in streams)
    try:
        return _main(argv)
    finally:
        sys.stdout = streams[0] if sys.stdout is not None else None  # None: `… | head` closed the pipe
        sys.stderr = streams[1]


def _main(argv: Sequence[str] | None) -> int:
    arguments = build_parser().parse_args(argv)
    try:
        try:
            return command(arguments.command)(arguments)
        except KpiError:
            # The services word the store's refusals; imported here, since only the commands that write need them.
            from metrics.services import wording
            wording.install()
            raise
    except InputError as error:
        print(f"錯誤：{error}", file=sys.stderr)
        print("未儲存任何資料。" if arguments.command == "ingest" else "", file=sys.stderr, end="")
        return EXIT_INVALID
    except StoreError as error:
        print(f"資料庫錯誤：{error}", file=sys.stderr)
        return EXIT_STORE
    except KpiError as error:
        print(f"錯誤：{error}", file=sys.stderr)
        return EXIT_INVALID
    except BrokenPipeError:  # `… | head` closed the pipe: not an error of ours
        sys.stdout = None
        return 0
    except OSError as error:  # a file named on the command line that cannot be read or written
        from metrics.cli.common import os_problem

        print(f"錯誤：{os_problem(error)}", file=sys.stderr)
        return EXIT_INVALID
