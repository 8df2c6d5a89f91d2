"""`python -m metrics …`: the same core as the dashboard, without a browser.

Exit status 0 on success, 2 on invalid input (message on stderr, in Traditional Chinese, naming
the file, sheet, cell and field; nothing stored), 1 on a store failure.
"""

from __future__ import annotations

import argparse
import json
import sys
import unicodedata
from collections.abc import Sequence
from fractions import Fraction
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from metrics.intake import safety
from metrics.plans.catalogue import Catalogue
from metrics.errors import InputError, KpiError, StoreError
from metrics.evaluation.core import Evaluation, MultiYearPoints, evaluate, parse_target
from metrics.evaluation.figures import Figures, empty_tidy_frame
from metrics.plans.formulas import format_number
from metrics.location import default_url, store_exists
from metrics.names import printable
from metrics.plans.plan import Plan
from metrics.intake.monthly import Defaults
from metrics.texts import VisibleStream

if TYPE_CHECKING:
    from metrics.intake.exports import MappingNeeded
    from metrics.intake.sources import FileRead, MappingStore

EXIT_INVALID = 2
EXIT_STORE = 1


ARGPARSE_WORDS = (  # argparse speaks English; these are the sentences a user meets
    ("the following arguments are required: ", "缺少必要的參數："),
    ("unrecognized arguments: ", "無法辨識的參數："),
    ("invalid int value: ", "不是整數："),
    ("invalid choice: ", "沒有這個選項："),
    ("expected one argument", "需要一個值"),
    ("(choose from ", "（可用："),
    ("argument ", "參數 "),
)


class ChineseArgumentParser(argparse.ArgumentParser):
    """argparse with its own words in Chinese: the help's headings and -h line, and its error messages."""

    def __init__(self, *arguments, **keywords) -> None:
        keywords.setdefault("add_help", False)
        super().__init__(*arguments, **keywords)
        self._positionals.title = "參數"
        self._optionals.title = "選項"
        self.add_argument("-h", "--help", action="help", help="顯示本說明後結束")

    def format_usage(self) -> str:
        return super().format_usage().replace("usage: ", "用法：", 1)

    def format_help(self) -> str:
        return super().format_help().replace("usage: ", "用法：", 1)

    def error(self, message: str) -> None:  # argparse exits 2 too
        for english, chinese in ARGPARSE_WORDS:
            message = message.replace(english, chinese)
        self.print_usage(sys.stderr)
        self.exit(EXIT_INVALID, f"參數有誤：{message}\n")


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
    plan_commands.add_parser("check", help="檢查 plans/ 的所有計畫檔（有錯時結束代碼為 2）")
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


def add_period_arguments(parser: argparse.ArgumentParser, what: str) -> None:
    parser.add_argument("--year", type=int, metavar="Y", help=f"{what}民國年度，例如 113")
    parser.add_argument("--unit", metavar="U", help=f"{what}單位，例如 人事處（可用單位的任何名稱）")


def add_export_arguments(parser: argparse.ArgumentParser) -> None:
    # The kinds are spelled out rather than read from metrics.intake.exports, which every command would then import.
    parser.add_argument("--source", metavar="KIND",
                        help="系統匯出的種類：document_log（公文清單）、roster（人事名冊）、ledger（歲出預算執行表）、"
                             "case_log（政風案件紀錄）；套用於每個系統匯出檔，不同種類請分次執行")
    parser.add_argument("--mapping", action="append", default=[], metavar="LOGICAL=HEADER",
                        help="欄位對應（可多個），例如 --mapping kind=收發別；欄位可寫代號或中文名稱，"
                             "檔案沒有的欄位寫成 --mapping status=")
    parser.add_argument("--month", type=int, metavar="M",
                        help="資料截至月份：人事名冊或預算執行表的標題沒有資料日期時使用")


def read_files(paths: Sequence[str], catalogue: Catalogue, defaults: Defaults, *, store: MappingStore | None = None,
               source: str | None = None, mapping: dict[str, str | None] | None = None,
               month: int | None = None) -> list[FileRead]:
    """Read and validate every file before anything is stored; all problems of all files are reported.

    Exports use `store`'s remembered column mappings unless `mapping` is given; an export whose columns
    need a mapping is a problem that says how to give one.
    """
    from metrics.intake.exports import MappingNeeded
    from metrics.intake import Upload
    from metrics.intake.sources import FileRead, read_upload

    results = []
    problems = []
    if month is not None and not 1 <= month <= 12:
        raise InputError(f"--month「{month}」須為 1 至 12 的月份")
    for path_text in paths:
        path = Path(path_text)
        try:
            size = path.stat().st_size
            if size > safety.EXPORT_MAX_BYTES:  # refused before a byte is read: no file kind is allowed this size
                problems.append(f"檔案「{path.name}」：{safety.too_large_message(size, safety.EXPORT_MAX_BYTES)}")
                continue
            data = path.read_bytes()
        except OSError as error:
            problems.append(f"檔案「{path_text}」無法讀取：{error.strerror or error}")
            continue
        upload = Upload(path.name, data)
        try:  # the page's path too: a remembered column mapping applies the same way
            results.append(FileRead(upload, read_upload(upload, catalogue, year=defaults.year, unit=defaults.unit,
                                                        mappings=store, source=source, mapping=mapping,
                                                        month=month).result()))
        except MappingNeeded as needed:
            problems.append(mapping_help(needed))
        except InputError as error:
            text = str(error)
            if "選擇資料月份" in text:
                text += "\n（命令列：加上 --month M，M 為資料截至的月份，例如 --month 10）"
            problems.append(text)
    if problems:
        raise InputError("\n".join(problems))
    return results


def parse_mapping(texts: Sequence[str]) -> dict[str, str | None] | None:
    mapping: dict[str, str | None] = {}
    for text in texts:
        if "=" not in text:
            raise InputError(f"--mapping「{text}」格式應為 欄位=標題，例如 --mapping kind=收發別")
        key, _, header = text.partition("=")
        mapping[key.strip()] = header.strip() or None
    return mapping or None


def mapping_help(needed: MappingNeeded) -> str:
    """A MappingNeeded as the command line says it: what is missing, the headers found, how to map them."""
    from metrics.intake.sources import mapping_choices, mapping_reason

    source = needed.source or needed.source_guess
    lines = [f"檔案「{needed.filename}」：{mapping_reason(needed)}"]
    if source is None:
        if needed.headers:  # nothing recognized it: the same choice the page offers, as options
            from metrics.intake.exports.common import SOURCE_NAMES

            kinds = "、".join(f"{name}（{label}）" for name, label in SOURCE_NAMES.items())
            lines.append(f"  若是系統匯出檔，請以 --source 指定種類（{kinds}），再為每個必要欄位加上 --mapping 欄位=標題"
                         "（指定後會記住，之後標題相同的檔案自動套用）")
            lines.append("  檔案中的標題：" + "、".join(f"「{header}」" for header in dict.fromkeys(needed.headers)))
        return "\n".join(lines)
    choices = mapping_choices(needed, source)
    labels = {**choices.required, **choices.optional}

    def listed(names: Sequence[str]) -> str:
        return "、".join(f"{name}（{labels[name]}）" for name in names)

    guessed = "（由標題推測）" if needed.source is None else ""
    lines.append(f"  資料種類：{choices.label}{guessed}，--source {source}")
    lines.append(f"  必要欄位：{listed(list(choices.required))}")
    for group in choices.one_of:
        lines.append(f"  至少需要其中一欄：{listed(group)}")
    lines.append(f"  選用欄位：{listed(list(choices.optional))}")
    lines.append("  檔案中的標題：" + "、".join(f"「{header}」" for header in choices.headers))
    wanted = [*choices.required, *(group[0] for group in choices.one_of), *needed.ambiguous]
    example = " ".join(f"--mapping {name}={choices.guesses.get(name) or '標題'}" for name in dict.fromkeys(wanted))
    lines.append(f"  指定方式：加上 --source {source} {example}"
                 "（每個欄位一個 --mapping 欄位=標題，「標題」請換成檔案中的標題；檔案沒有的選用欄位寫成 --mapping 欄位= ）")
    return "\n".join(lines)


def show_notes(files: Sequence[FileRead], stream) -> None:
    for read_file in files:
        if not read_file.read.is_export:
            continue
        read = read_file.read
        print(f"{read_file.name}（{read.label}）：", file=stream)
        for note in [*read.notes, *read.applied]:
            print(f"  ・{note}", file=stream)


def combine(frames: Sequence[pd.DataFrame]) -> pd.DataFrame:
    """Later files override earlier ones for the same (year, month, unit, field), as uploads do."""
    frames = [frame for frame in frames if not frame.empty]
    if not frames:
        return empty_tidy_frame()
    combined = pd.concat(frames, ignore_index=True)
    return combined.drop_duplicates(subset=["year", "month", "unit", "field"], keep="last").reset_index(drop=True)


def open_store(url: str | None, *, create: bool = True, catalogue: Catalogue | None = None):
    """The store at `url` (default: KPI_DB_URL, then the app's SQLite file). A malformed URL is the
    user's input to fix (exit 2); commands that only read do not create a database that is not there."""
    import sqlalchemy as sa

    from metrics.store import Store

    url = url or default_url()
    try:
        parsed = sa.engine.make_url(url)
    except sa.exc.ArgumentError:
        raise InputError(f"資料庫位址「{url}」格式不正確；例如 sqlite:///data/kpi.sqlite3 或 "
                         "postgresql+psycopg://帳號@主機:5432/資料庫") from None
    if parsed.get_backend_name() not in {"sqlite", "postgresql"}:
        raise InputError(f"不支援的資料庫「{parsed.get_backend_name()}」：請使用 SQLite 或 PostgreSQL"
                         "（postgresql+psycopg://…）")
    if not create and not store_exists(url):
        raise InputError(f"資料庫檔案「{parsed.database}」不存在；請先以 ingest 匯入月報，或確認 --db／KPI_DB_URL")
    names = {monthly_field.code: monthly_field.name for monthly_field in catalogue.fields} if catalogue else None
    return Store(url, field_names=names)


def file_catalogue(arguments: argparse.Namespace) -> Catalogue:
    from metrics.plans.catalogue import load_catalogue, plans_directory

    return load_catalogue(Path(arguments.plans) if arguments.plans else plans_directory())


def plans_directory_of(arguments: argparse.Namespace) -> Path:
    from metrics.plans.catalogue import plans_directory

    return Path(arguments.plans) if arguments.plans else plans_directory()


def services_of(store, arguments: argparse.Namespace):
    """The write layer; the command line writes through it like the pages, as the operating-system user."""
    from metrics.services.accounts import load_roles
    from metrics.services import Services

    return Services(store, load_roles(plans_directory_of(arguments)))


def operating_system_user() -> str:
    """The account the process runs as, never what LOGNAME or USER say (anyone can set them)."""
    import os

    try:
        import pwd
    except ImportError:  # Windows: the account of the process's token
        try:
            return os.getlogin()
        except OSError:
            return "未知使用者"
    uid = os.getuid()
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:  # a container whose user id has no name
        return f"未知使用者（uid {uid}）"


def command_line_actor(on_behalf: str = ""):
    from metrics.services import command_line

    return command_line(operating_system_user(), on_behalf)


def catalogue_of(store, files: Catalogue) -> Catalogue:
    from metrics.plans.planning import stored_catalogue

    return stored_catalogue(store, files)


def resolve_unit(text: str | None, catalogue: Catalogue) -> str | None:
    """--unit as written (any of a unit's names) → its canonical name; an unknown unit is exit 2."""
    if text is None:
        return None
    unit = catalogue.units.resolve(text)
    if unit is None:
        nearest = catalogue.units.nearest(text)
        hint = f"；相近的單位：{'、'.join(nearest)}" if nearest else ""
        raise InputError(f"--unit「{text}」不是本府的單位（單位名稱見 plans/units.toml）{hint}")
    return unit.name


def defaults_of(arguments: argparse.Namespace, catalogue: Catalogue) -> Defaults:
    """--year/--unit, for figures whose file names neither (never a plan picked for the user)."""
    return Defaults(arguments.year, resolve_unit(arguments.unit, catalogue))


def choose_plan(catalogue: Catalogue, frame: pd.DataFrame, defaults: Defaults, *, explicit: bool) -> Plan:
    """The one (year, unit) to evaluate: as given, or the only one the figures hold."""
    if explicit and defaults.year is not None and defaults.unit is not None:
        return catalogue.plan(defaults.year, defaults.unit)
    groups = sorted({(int(year), str(unit)) for year, unit in zip(frame["year"], frame["unit"])}) \
        if not frame.empty else []
    wanted = [(year, unit) for year, unit in groups
              if (defaults.year is None or year == defaults.year) and (defaults.unit is None or unit == defaults.unit)]
    if not wanted and groups:
        found = "、".join(f"{unit} {year} 年" for year, unit in groups)
        raise InputError(f"沒有 {defaults.unit or ''} {defaults.year or ''} 年的數字；資料中有：{found}。"
                         "請以 --year 與 --unit 指定要計算的年度與單位")
    if len(wanted) > 1:
        found = "、".join(f"{unit} {year} 年" for year, unit in wanted)
        raise InputError(f"資料中有多個年度或單位（{found}）；請以 --year 與 --unit 指定要計算的一個")
    if not wanted:
        if defaults.year is not None and defaults.unit is not None:
            return catalogue.plan(defaults.year, defaults.unit)
        raise InputError("沒有任何已填報的數字，無法計算指標；請先上傳月報")
    return catalogue.plan(*wanted[0])


def command_evaluate(arguments: argparse.Namespace) -> int:
    from metrics.evaluation.core import multi_year_points

    explicit = arguments.year is not None and arguments.unit is not None
    if arguments.files:
        files, catalogue, store = catalogue_in_force(arguments)  # the plans in force, the store's when there is one
        defaults = defaults_of(arguments, catalogue)
        read = read_files(arguments.files, catalogue, defaults, store=store, source=arguments.source,
                          mapping=parse_mapping(arguments.mapping), month=arguments.month)
        show_notes(read, sys.stderr)
        frame = combine([read_file.read.frame for read_file in read])
    else:
        if arguments.source or arguments.mapping or arguments.month is not None:
            raise InputError("--source、--mapping、--month 用於讀取檔案；由資料庫計算時不需指定")
        files = file_catalogue(arguments)
        store = open_store(arguments.db, create=False, catalogue=files)
        catalogue = catalogue_of(store, files)
        defaults = Defaults(arguments.year, resolve_unit(arguments.unit, catalogue))
        frame = store.current_frame(year=defaults.year, unit=defaults.unit)
    plan = choose_plan(catalogue, frame, defaults, explicit=explicit)
    if arguments.plan_version is not None:
        if store is None:
            raise InputError("--plan-version 需要資料庫（--db）：計畫版本存放在資料庫中")
        from metrics.plans.planning import plan_version

        plan = plan_version(store, files, plan.year, plan.unit, arguments.plan_version)
    targets = dict(parse_target(*split_assignment(text), plan) for text in arguments.target)
    figures = Figures.from_frame(plan, frame)
    if arguments.as_of is not None and not 1 <= arguments.as_of <= 12:
        raise InputError(f"--as-of「{arguments.as_of}」須為 1 至 12 的月份")
    evaluation = evaluate(figures, arguments.as_of, targets=targets)
    points = None
    if plan.multi_year is not None:  # from the figures evaluated: the files' own, or the store's
        unit_frame = frame if arguments.files else store.current_frame(unit=plan.unit)
        years = {year: catalogue.find(year, plan.unit) for year in plan.multi_year.years}
        years[plan.year] = plan
        points = multi_year_points(plan.multi_year, plan.unit, years, unit_frame)
    if arguments.json:
        document = evaluation.to_json()
        document["multi_year_points"] = points.to_json() if points is not None else None
        print(json.dumps(document, ensure_ascii=False, indent=2))
    else:
        print(render_table(evaluation, points))
    return 0


REPORT_SUFFIXES = (".xlsx", ".pdf")


def command_report(arguments: argparse.Namespace) -> int:
    """The month's official report from the store, with its notes, as the 報表匯出 page makes it."""
    output = Path(arguments.output)
    suffix = output.suffix.lower()
    if suffix not in REPORT_SUFFIXES:
        raise InputError(f"輸出檔「{output.name}」的副檔名「{output.suffix or '（無）'}」無法產生報表；"
                         "請使用 .xlsx（Excel 報表）或 .pdf（PDF 報表），例如 -o 報表.pdf")
    if arguments.as_of is not None and not 1 <= arguments.as_of <= 12:
        raise InputError(f"--as-of「{arguments.as_of}」須為 1 至 12 的月份")
    if suffix == ".pdf":
        from metrics.outputs.pdf_report import check_renderer

        check_renderer()  # before reading the store: say what to install first
    files = file_catalogue(arguments)
    store = open_store(arguments.db, create=False, catalogue=files)
    catalogue = catalogue_of(store, files)
    defaults = Defaults(arguments.year, resolve_unit(arguments.unit, catalogue))
    frame = store.current_frame(year=defaults.year, unit=defaults.unit)
    plan = choose_plan(catalogue, frame, defaults, explicit=arguments.year is not None and arguments.unit is not None)
    evaluation = evaluate(Figures.from_frame(plan, frame), arguments.as_of)
    notes = store.notes(plan.year, plan.unit, evaluation.as_of_month)
    if suffix == ".pdf":
        from metrics.outputs.pdf_report import build_pdf, report_page

        data = build_pdf([report_page(evaluation, notes)])
    else:
        from metrics.outputs.presentation import report_heading
        from metrics.outputs.report import build_report, report_values

        title, subtitle = report_heading(evaluation)
        data = build_report(report_values(evaluation, notes), title=title, subtitle=subtitle)
    try:
        output.write_bytes(data)
    except OSError as error:
        raise InputError(f"無法寫入輸出檔「{output}」：{error.strerror or error}") from None
    print(f"已產生 {plan.unit_name} {plan.year} 年（統計至 {plan.year} 年 {evaluation.as_of_month} 月）報表：{output}")
    return 0


def split_assignment(text: str) -> tuple[str, str]:
    if "=" not in text:
        raise InputError(f"--target「{text}」格式應為 指標代號=目標值，例如 --target 10-1=98")
    key, _, value = text.partition("=")
    return key, value


def display_width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(character) in "WF" else 1 for character in text)


def pad(text: str, width: int, right: bool = False) -> str:
    padding = " " * max(width - display_width(text), 0)
    return padding + text if right else text + padding


def render_table(evaluation: Evaluation, points: MultiYearPoints | None = None) -> str:
    plan = evaluation.plan
    score = format_number(evaluation.weighted_score) if evaluation.weighted_score is not None else "—"
    counts = evaluation.status_counts()
    lines = [
        f"{plan.organisation} {plan.year} 年度施政計畫績效指標（統計至 {plan.year} 年 {evaluation.as_of_month} 月）",
        f"計畫：{plan.version_text}",
        f"加權分數：{score} 分（計畫權重合計 {format_number(Fraction(plan.weight_total))}%，"
        f"以適用指標權重 {format_number(evaluation.weight_total)}% 計算）",
        "　".join(f"{label} {counts[status]} 項" for status, label in
                 (("met", "達標"), ("on_track", "符合進度"), ("behind", "落後"), ("no_data", "無資料"),
                  ("not_applicable", "不適用"))),
        "",
    ]
    headers = ("指標", "名稱", "權重", "目標值", "實際值", "達成率", "狀態", "差距", "年底預估")
    rows = []
    for result in evaluation.results:
        achievement = f"{format_number(result.achievement * 100, 1)}%" if result.achievement is not None else "—"
        rows.append((
            result.indicator.id, result.indicator.short_name, f"{format_number(result.weight)}%",
            result.target_text, result.format_value(result.actual), achievement,
            result.status_label, result.gap_text or "—", result.format_value(result.projection),
        ))
    widths = [max(display_width(row[index]) for row in (headers, *rows)) for index in range(len(headers))]
    numeric = {2, 3, 4, 5, 8}
    for row in (headers, *rows):
        lines.append("  ".join(pad(cell, widths[index], index in numeric) for index, cell in enumerate(row)).rstrip())
    notes = [f"指標 {result.indicator.id}：{result.computation.note}" for result in evaluation.results
             if result.computation.note and result.status not in ("no_data",)]
    notes += [f"指標 {result.indicator.id}：年底預估 {result.projection_text}" for result in evaluation.results
              if result.projection_capped]
    if notes:
        lines += ["", *notes]
    if points is not None:
        lines += ["", multi_year_text(points)]
    return "\n".join(lines)


def multi_year_text(points: MultiYearPoints) -> str:
    from metrics.outputs.presentation import multi_year_summary

    return f"指標 {points.rule.indicator} 跨年度計分：{multi_year_summary(points)}"


def command_ingest(arguments: argparse.Namespace) -> int:
    from metrics.plans.planning import seed_store

    files = file_catalogue(arguments)
    store = open_store(arguments.db, catalogue=files)
    seed_store(store, files)
    catalogue = catalogue_of(store, files).official()  # figures are never stored against a 範例 plan
    mapping = parse_mapping(arguments.mapping)
    defaults = defaults_of(arguments, catalogue)
    read = read_files(arguments.files, catalogue, defaults, store=store, source=arguments.source, mapping=mapping,
                      month=arguments.month)
    refuse_conflicts(read, store.field_names)
    services = services_of(store, arguments)
    actor = command_line_actor(arguments.uploader)
    results = services.upload(actor, [read_file.stored() for read_file in read])
    for read_file, result in zip(read, results):
        print(printable(f"{read_file.name}（{read_file.read.label}）：{result.message}"))
    show_notes(read, sys.stdout)
    if mapping:
        from metrics.intake.sources import logical_names

        remembered = [read_file for read_file in read if read_file.read.is_export]
        for read_file in remembered:  # what was resolved plus what the user said is absent, so next time reads alike
            read_result = read_file.read
            absent = {name: None for name, header in logical_names(read_result.kind, mapping).items() if not header}
            services.save_mapping(actor, read_result.kind, read_result.signature, {**read_result.mapping, **absent},
                                  year=defaults.year, unit=defaults.unit)
        if remembered:
            print("已儲存欄位對應：之後匯入標題相同的檔案會自動套用，不必再指定 --mapping。")
    return 0


def refuse_conflicts(read: Sequence[FileRead], field_names: dict[str, str]) -> None:
    """Files given together that disagree on a month's value are refused, side by side: on the command line there
    is nobody to ask which one is right, and storing them in order would keep the last one silently."""
    from metrics.intake.conflicts import conflict_table, find_conflicts

    names = [read_file.name for read_file in read]
    conflicts = find_conflicts([(read_file.name, read_file.read.frame) for read_file in read])
    if not conflicts:
        return
    table = conflict_table(conflicts, names, field_names)
    rows = [list(map(str, table.columns)), *[[str(cell) for cell in row] for row in table.values.tolist()]]
    widths = [max(display_width(row[index]) for row in rows) for index in range(len(rows[0]))]
    lines = ["  ".join(pad(cell, widths[index]) for index, cell in enumerate(row)).rstrip() for row in rows]
    later = names[-1]
    raise InputError(f"所選的檔案中有 {len(conflicts):,} 個數字互相矛盾（同一月份的同一項目，在不同檔案中的數值不同）：\n"
                     + "\n".join(lines) + "\n"
                     "請決定以哪個檔案為準：分次匯入，想保留的檔案最後匯入（後匯入的數值取代先匯入的，例如最後單獨 "
                     f"ingest「{later}」即以它為準，取代的數值可於上傳紀錄復原），或修正檔案使數值一致後再一起匯入。")


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
        periods = f"（{batch.periods_text}）" if batch.periods else ""
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


def catalogue_in_force(arguments: argparse.Namespace) -> tuple[Catalogue, Catalogue, object]:
    """(the files' catalogue, the catalogue in force, the store or None): the store's plans when the store
    (--db, else the default one) exists, the files' otherwise (a store not yet created holds no version)."""
    files = file_catalogue(arguments)
    url = arguments.db or default_url()
    if store_exists(url):
        store = open_store(url, create=False, catalogue=files)
        return files, catalogue_of(store, files), store
    return files, files, None


def command_template(arguments: argparse.Namespace) -> int:
    from metrics.outputs.template import build_template

    _, catalogue, _ = catalogue_in_force(arguments)
    defaults = defaults_of(arguments, catalogue)
    if defaults.year is None or defaults.unit is None:
        raise InputError("請以 --year 與 --unit 指定範本的年度與單位。" + catalogue.available_text())
    plan = catalogue.plan(defaults.year, defaults.unit)
    output = Path(arguments.output or f"月報範本_{plan.unit_name}_{plan.year}年.xlsx")
    output.write_bytes(build_template(plan))
    print(f"已產生 {output}（{plan.label}，{plan.version_text}）")
    return 0


def command_plans(arguments: argparse.Namespace) -> int:
    return PLAN_COMMANDS[arguments.plans_command](arguments)


def command_plans_check(arguments: argparse.Namespace) -> int:
    from metrics.plans.catalogue import load_catalogue, plans_directory, sample_plans_for

    catalogue = file_catalogue(arguments)
    print(f"計畫目錄無誤：{len(catalogue.fields)} 個填報項目、{len(catalogue.units.units)} 個單位、"
          f"共同性指標 {len(catalogue.common.indicators)} 項（年度：{'、'.join(map(str, sorted(catalogue.common.years)))}）、"
          f"計畫 {len(catalogue.plans)} 個。{catalogue.available_text()}")
    directory = Path(arguments.plans) if arguments.plans else plans_directory()
    samples = sample_plans_for(directory)
    if samples is not None:  # the app loads the sample plans on top: check them too
        with_samples = load_catalogue(directory, samples=samples)
        print(f"範例計畫（sample_data/plans/）無誤：{len(with_samples.plans) - len(catalogue.plans)} 個。")
    from metrics.cli.review import cycle_check_line

    print(cycle_check_line(directory))
    return 0


def command_plans_list(arguments: argparse.Namespace) -> int:
    files, catalogue, store = catalogue_in_force(arguments)
    if not catalogue.plans:
        print(catalogue.available_text())
        return 0
    for year, unit in catalogue.keys():
        plan = catalogue.plan(year, unit)
        print(f"{year} 年度　{plan.unit_name}{'（範例）' if plan.sample else ''}：{len(plan.indicators)} 項指標，"
              f"權重合計 {format_number(Fraction(plan.weight_total))}%，{plan.version_text}")
    if store is not None:
        from metrics.plans.planning import file_differences

        for note in file_differences(catalogue, files):
            print(f"註：{note}")
    return 0


def chosen_plan(arguments: argparse.Namespace) -> Plan:
    files, catalogue, store = catalogue_in_force(arguments)
    unit = resolve_unit(arguments.unit, files)
    if arguments.version is not None:
        if store is None:
            raise InputError("--version 需要資料庫（--db）：計畫版本存放在資料庫中")
        from metrics.plans.planning import plan_version

        return plan_version(store, files, arguments.year, unit, arguments.version)
    return catalogue.plan(arguments.year, unit)


def command_plans_show(arguments: argparse.Namespace) -> int:
    plan = chosen_plan(arguments)
    print(f"{plan.title}（{plan.label}）")
    print(f"{plan.version_text}；依據：{plan.source or '—'}")
    print(f"權重合計 {format_number(Fraction(plan.weight_total))}%")
    for goal in plan.goals:
        common = "，共同性指標" if goal.common else ""
        print(f"\n目標 {goal.number}　{goal.title}（{goal.kind}{common}）")
        for indicator in plan.indicators_of(goal.number):
            target = f"{format_number(Fraction(indicator.target))}{'%' if indicator.unit == '%' else ' ' + indicator.unit}"
            print(f"  指標 {indicator.id}　{indicator.name}｜權重 {format_number(Fraction(indicator.weight))}%｜"
                  f"目標值 {target}｜{indicator.measure}")
    if plan.multi_year is not None:
        rule = plan.multi_year
        points = "、".join(f"{year} 年首次達標 {format_number(Fraction(value))} 分" for year, value in rule.points_by_first_year)
        print(f"\n跨年度計分（{rule.source}）：指標 {rule.indicator}，{points}")
    if plan.version is not None:
        print(f"\n第 {plan.version.number} 版：{plan.version.author}，{plan.version.note or '—'}")
    return 0


def command_plans_export(arguments: argparse.Namespace) -> int:
    from metrics.plans.catalogue import plan_document

    plan = chosen_plan(arguments)
    output = Path(arguments.output or f"{plan.unit_name}_{plan.year}.toml")
    output.write_text(plan_document(plan), encoding="utf-8")
    print(f"已匯出 {output}（{plan.label}，{plan.version_text}）")
    return 0


def command_plans_import(arguments: argparse.Namespace) -> int:
    from metrics.plans.planning import seed_store

    files = file_catalogue(arguments)
    path = Path(arguments.file)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise InputError(f"計畫檔「{arguments.file}」無法讀取：{getattr(error, 'strerror', None) or error}") from None
    store = open_store(arguments.db, catalogue=files)
    seed_store(store, files)
    stored = services_of(store, arguments).import_plan(command_line_actor(arguments.author),
                                                       catalogue_of(store, files), text, note=arguments.note,
                                                       origin=path.name)
    print(f"已將「{path.name}」存為 {stored.unit} {stored.year} 年度計畫第 {stored.number} 版。")
    for change in stored.changes:
        print(f"  ・{change}")
    return 0


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
    from metrics.store.transfer import backup_key, check_backup

    if not path.is_file():
        raise InputError(f"找不到備份檔「{path}」")
    checked = check_backup(path, key=backup_key(), progress=progress_line)
    if checked.anchor is None:
        raise InputError(f"備份檔「{path.name}」沒有操作紀錄，沒有可比對的最後一筆")
    print(f"以備份檔 {path.name}（{checked.created_at} 備份，{checked.verified.value}）記下的操作紀錄最後一筆為準："
          f"編號 {checked.anchor[0]:,}，雜湊值 {checked.anchor[1]}")
    return checked.anchor


def anchor_line(anchor: tuple[int, str] | None) -> str:
    if anchor is None:
        return "操作紀錄：沒有紀錄（沒有可記下的最後一筆）。"
    return f"操作紀錄最後一筆：編號 {anchor[0]}，雜湊值 {anchor[1]}（audit --verify --anchor {anchor[0]}:{anchor[1]}）"


def verify_audit(arguments: argparse.Namespace) -> int:
    from metrics.store.audit_chain import BreakKind
    from metrics.store import format_taiwan_time

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
        when = f"（{format_taiwan_time(broken.at)}" + (f"　{broken.what}）" if broken.what else "）") if broken.at else ""
        if broken.kind is BreakKind.ANCHOR:
            print(f"操作紀錄驗證未通過（{where}）：{broken.kind.value}。{broken.explanation}"
                  f"（目前的 {report.rows:,} 筆本身環環相扣。）")
        else:
            print(printable(f"操作紀錄驗證未通過（{where}）：第一個有問題的是編號 {broken.row_id:,}{when}，"
                            f"{broken.kind.value}。{broken.explanation}"))
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
    from metrics.store.transfer import copy_store, describe_counts, verify

    if arguments.source == arguments.target:
        raise InputError("--from 與 --to 是同一個資料庫")
    if not store_exists(arguments.source):
        raise InputError(f"來源資料庫「{arguments.source}」不存在")
    with open_store(arguments.source, create=False) as source, open_store(arguments.target) as target:
        written = copy_store(source, target, progress=progress_line)
        print(f"已將 {source.display_url()} 複製到 {target.display_url()}：{describe_counts(written)}")
        verification = verify(source, target, file_catalogue(arguments), progress=progress_line)
    print(verification.summary())
    return 0 if verification.identical else EXIT_STORE


def command_backup(arguments: argparse.Namespace) -> int:
    from metrics.store.transfer import KEY_VARIABLE, backup_key, describe_counts, write_backup

    output = Path(arguments.file)
    if output.is_dir():
        raise InputError(f"「{output}」是資料夾；請給備份檔的檔名，例如 {output / 'kpi-backup.jsonl.gz'}")
    key = backup_key()
    with open_store(arguments.db, create=False) as store:
        written = write_backup(store, output, key=key, progress=progress_line)
        print(f"已備份 {store.display_url()} 到 {output}（{output.stat().st_size:,} 位元組）："
              f"{describe_counts(written.counts)}")
    print(f"內容檢查碼 SHA-256：{written.sha256}")
    print(anchor_line(written.anchor))
    print(f"已以 {KEY_VARIABLE} 加上來源驗證碼（HMAC-SHA256）。" if written.signed else
          f"未設定 {KEY_VARIABLE}，備份檔沒有來源驗證碼；只能驗證內容完整，不能驗證來源（見 README「備份與還原」）。")
    return 0


def checked_backup(arguments: argparse.Namespace):
    """The backup of `arguments.file` read through and verified, its warnings shown; refused with the reason."""
    from metrics.store.transfer import BACKUP_MAX_BYTES, backup_key, check_backup

    path = Path(arguments.file)
    if not path.is_file():
        raise InputError(f"找不到備份檔「{path}」")
    if arguments.max_mb is not None and arguments.max_mb < 1:
        raise InputError(f"--max-mb「{arguments.max_mb}」須為正整數（MB）")
    max_bytes = arguments.max_mb * 1024 * 1024 if arguments.max_mb else BACKUP_MAX_BYTES
    key = backup_key()
    checked = check_backup(path, key=key, accept_unverified=arguments.accept_unverified, max_bytes=max_bytes,
                           progress=progress_line)
    for warning in checked.warnings:
        print(f"注意：{warning}", file=sys.stderr)
    return checked, key, max_bytes


def command_verify_backup(arguments: argparse.Namespace) -> int:
    from metrics.store.transfer import describe_counts

    checked, _key, _max_bytes = checked_backup(arguments)
    print(f"{Path(arguments.file).name}：{checked.created_at} 備份，資料庫結構第 {checked.header['schema_version']} 版，"
          f"{describe_counts(checked.counts)}")
    if checked.sha256:
        print(f"內容檢查碼 SHA-256：{checked.sha256}")
    print(anchor_line(checked.anchor) + ("；雜湊鏈環環相扣" if checked.anchor else ""))
    print(f"檢查結果：{checked.verified.value}")
    return 0


def command_restore(arguments: argparse.Namespace) -> int:
    from metrics.store.transfer import describe_counts, restore_backup

    path = Path(arguments.file)
    checked, key, max_bytes = checked_backup(arguments)  # a bad file is refused before any database is created
    with open_store(arguments.db) as store:
        written = restore_backup(path, store, key=key, accept_unverified=arguments.accept_unverified,
                                 max_bytes=max_bytes, checked=checked, progress=progress_line)
        print(f"已將 {path.name}（{checked.created_at} 備份）還原到 {store.display_url()}：{describe_counts(written)}")
    print(anchor_line(checked.anchor) + ("；雜湊鏈環環相扣" if checked.anchor else ""))
    print(f"檢查結果：{checked.verified.value}")
    return 0


def command_review(arguments: argparse.Namespace) -> int:
    from metrics.cli.review import command_review as review

    return review(arguments)


def progress_line(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


PLAN_COMMANDS = {
    "check": command_plans_check,
    "list": command_plans_list,
    "show": command_plans_show,
    "export": command_plans_export,
    "import": command_plans_import,
}

COMMANDS = {
    "evaluate": command_evaluate,
    "report": command_report,
    "ingest": command_ingest,
    "history": command_history,
    "undo": command_undo,
    "template": command_template,
    "plans": command_plans,
    "users": command_users,
    "audit": command_audit,
    "migrate": command_migrate,
    "copy": command_copy,
    "backup": command_backup,
    "restore": command_restore,
    "verify-backup": command_verify_backup,
    "review": command_review,
}


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
        return COMMANDS[arguments.command](arguments)
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
