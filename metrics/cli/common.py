"""What every command shares: exit codes, the parser in Chinese, the store, catalogue and actor a command
runs with, unit names resolved, columns padded for the terminal."""

from __future__ import annotations

import argparse
import sys
import unicodedata
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from metrics.errors import InputError
from metrics.location import default_url, store_exists
from metrics.texts import os_reason

if TYPE_CHECKING:  # imported where used: `python -m metrics --help` needs neither pandas nor the plans
    from metrics.intake.monthly_table import Defaults
    from metrics.plans.catalogue import Catalogue


EXIT_INVALID = 2


EXIT_STORE = 1


EXIT_DECIDE = 3  # plans import-document: the draft was read, and some of it needs a person's decision


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

    def parse_args(self, args=None, namespace=None):  # type: ignore[override]
        """As argparse, but arguments a subcommand does not know are refused with that subcommand's usage (argparse
        leaves them to the top-level parser, whose usage says nothing of the subcommand's options)."""
        arguments, extras = self.parse_known_args(args, namespace)
        if extras:
            self.chosen(arguments).error("unrecognized arguments: " + " ".join(extras))
        return arguments

    def chosen(self, arguments: argparse.Namespace) -> argparse.ArgumentParser:
        """The innermost subcommand's parser that `arguments` were parsed with (this one when none)."""
        for action in self._actions:
            if isinstance(action, argparse._SubParsersAction):
                parser = action.choices.get(getattr(arguments, action.dest, None) or "")
                if parser is not None:
                    return parser.chosen(arguments) if isinstance(parser, ChineseArgumentParser) else parser
        return self

    def error(self, message: str) -> None:  # argparse exits 2 too
        for english, chinese in ARGPARSE_WORDS:
            message = message.replace(english, chinese)
        self.print_usage(sys.stderr)
        self.exit(EXIT_INVALID, f"參數有誤：{message}\n")


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


def parse_mapping(texts: Sequence[str]) -> dict[str, str | None] | None:
    mapping: dict[str, str | None] = {}
    for text in texts:
        if "=" not in text:
            raise InputError(f"--mapping「{text}」格式應為 欄位=標題，例如 --mapping kind=收發別")
        key, _, header = text.partition("=")
        mapping[key.strip()] = header.strip() or None
    return mapping or None


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
    names = {monthly_field.code: monthly_field.name for monthly_field in catalogue.fields_in_force} if catalogue else None
    return Store(url, field_names=names)


def file_catalogue(arguments: argparse.Namespace) -> Catalogue:
    from metrics.plans.catalogue import load_catalogue, plans_directory

    return load_catalogue(Path(arguments.plans) if arguments.plans else plans_directory())


def plans_directory_of(arguments: argparse.Namespace) -> Path:
    from metrics.plans.catalogue import plans_directory

    return Path(arguments.plans) if arguments.plans else plans_directory()


def services_of(store, arguments: argparse.Namespace):
    """The write layer; the command line writes through it like the pages, as the operating-system user."""
    from metrics.plans.roles import load_roles
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
    from metrics.intake.monthly_table import Defaults

    return Defaults(arguments.year, resolve_unit(arguments.unit, catalogue))


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


def progress_line(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def os_problem(error: OSError) -> str:
    """A file the command could not read or write, named with the reason: the last resort of `python -m metrics`."""
    where = f"「{error.filename}」" if error.filename else ""
    return f"檔案{where}無法存取：{os_reason(error)}"


def report_output(arguments: argparse.Namespace, suffixes: Sequence[str], what: str, choices: str) -> tuple[Path, str]:
    """-o of a report command and its lower-cased suffix; a suffix the command cannot make is exit 2, naming `what`
    it makes and the `choices` (with an example)."""
    output = Path(arguments.output)
    suffix = output.suffix.lower()
    if suffix not in suffixes:
        raise InputError(f"輸出檔「{output.name}」的副檔名「{output.suffix or '（無）'}」無法產生{what}；請使用 {choices}")
    return output, suffix


def check_as_of(arguments: argparse.Namespace) -> None:
    if arguments.as_of is not None and not 1 <= arguments.as_of <= 12:
        raise InputError(f"--as-of「{arguments.as_of}」須為 1 至 12 的月份")


def store_and_catalogue(arguments: argparse.Namespace):
    """The existing store (never created by a command that reads) and the catalogue in force in it."""
    files = file_catalogue(arguments)
    store = open_store(arguments.db, create=False, catalogue=files)
    return store, catalogue_of(store, files)


def write_output(output: Path, data: bytes) -> None:
    try:
        output.write_bytes(data)
    except OSError as error:
        raise InputError(f"無法寫入輸出檔「{output}」：{os_reason(error)}") from None
