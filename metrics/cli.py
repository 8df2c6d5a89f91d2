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
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from metrics.errors import InputError, KpiError, StoreError
from metrics.evaluation import Evaluation, evaluate, parse_target
from metrics.figures import Figures, empty_tidy_frame
from metrics.formulas import format_number
from metrics.plan import PLAN_112, Plan

if TYPE_CHECKING:
    from metrics.exports import MappingNeeded
    from metrics.sources import MappingStore, SourceRead

EXIT_INVALID = 2
EXIT_STORE = 1


class ChineseArgumentParser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # argparse exits 2 too; keep its message but say it in Chinese first
        self.print_usage(sys.stderr)
        self.exit(EXIT_INVALID, f"參數有誤：{message}\n")


def build_parser() -> argparse.ArgumentParser:
    parser = ChineseArgumentParser(prog="python -m metrics",
                                   description="新竹縣政府政風處 施政計畫績效指標：計算、匯入與查詢")
    commands = parser.add_subparsers(dest="command", required=True, metavar="指令")

    evaluate_parser = commands.add_parser("evaluate", help="計算各項指標（來源：檔案或資料庫）")
    evaluate_parser.add_argument("files", nargs="*", metavar="FILE",
                                 help="月報 .xlsx 或 .csv，或系統匯出（公文清單、人員名冊、歲出預算執行表、案件登記簿），可多個")
    evaluate_parser.add_argument("--as-of", type=int, dest="as_of", metavar="M", help="統計至第 M 月（預設：最新填報月份）")
    evaluate_parser.add_argument("--target", action="append", default=[], metavar="ID=VALUE",
                                 help="情境模擬：改用此目標值，例如 --target 10-1=98")
    evaluate_parser.add_argument("--json", action="store_true", help="輸出 JSON")
    evaluate_parser.add_argument("--db", metavar="URL",
                                 help="由資料庫讀取（預設：環境變數 KPI_DB_URL，或本機 SQLite 檔）；與檔案同時指定時，"
                                      "只取用資料庫中已儲存的欄位對應，計算的仍是檔案的數字")
    evaluate_parser.add_argument("--unit", help="單位（預設：計畫之單位）")
    add_export_arguments(evaluate_parser)

    ingest_parser = commands.add_parser("ingest", help="匯入月報或系統匯出到資料庫（任一檔案有誤則全部不匯入）")
    ingest_parser.add_argument("files", nargs="+", metavar="FILE")
    ingest_parser.add_argument("--db", metavar="URL")
    ingest_parser.add_argument("--uploader", default="", help="上傳者姓名（選填）")
    add_export_arguments(ingest_parser)

    history_parser = commands.add_parser("history", help="列出上傳紀錄")
    history_parser.add_argument("--db", metavar="URL")
    history_parser.add_argument("--json", action="store_true")

    undo_parser = commands.add_parser("undo", help="復原一次上傳（還原該批次之前的數值）")
    undo_parser.add_argument("batch", type=int, metavar="BATCH", help="批次編號（見 history）")
    undo_parser.add_argument("--db", metavar="URL")

    template_parser = commands.add_parser("template", help="產生月報範本 .xlsx")
    template_parser.add_argument("--year", type=int, help="民國年度（預設：計畫年度）")
    template_parser.add_argument("-o", "--output", metavar="FILE", help="輸出檔名（預設：月報範本_112年.xlsx）")
    return parser


def add_export_arguments(parser: argparse.ArgumentParser) -> None:
    # The kinds are spelled out rather than read from metrics.exports, which every command would then import.
    parser.add_argument("--source", metavar="KIND",
                        help="系統匯出的種類：document_log（公文清單）、roster（人員名冊）、ledger（歲出預算執行表）、"
                             "case_log（案件登記簿）；套用於每個系統匯出檔，不同種類請分次執行")
    parser.add_argument("--mapping", action="append", default=[], metavar="LOGICAL=HEADER",
                        help="欄位對應（可多個），例如 --mapping kind=收發別；欄位可寫代號或中文名稱，"
                             "檔案沒有的欄位寫成 --mapping status=")
    parser.add_argument("--month", type=int, metavar="M",
                        help="資料截至月份：名冊或預算執行表的標題沒有資料日期時使用")


@dataclass(frozen=True)
class ReadFile:
    name: str
    data: bytes
    read: SourceRead


def read_files(paths: Sequence[str], plan: Plan, *, store: MappingStore | None = None, source: str | None = None,
               mapping: dict[str, str | None] | None = None, month: int | None = None) -> list[ReadFile]:
    """Read and validate every file before anything is stored; all problems of all files are reported.

    Exports use `store`'s remembered column mappings unless `mapping` is given; an export whose columns
    need a mapping is a problem that says how to give one.
    """
    from metrics.exports import MappingNeeded
    from metrics.sources import read_any

    results = []
    problems = []
    if month is not None and not 1 <= month <= 12:
        raise InputError(f"--month「{month}」須為 1 至 12 的月份")
    for path_text in paths:
        path = Path(path_text)
        try:
            data = path.read_bytes()
        except OSError as error:
            problems.append(f"檔案「{path_text}」無法讀取：{error.strerror or error}")
            continue
        try:
            results.append(ReadFile(path.name, data, read_any(data, path.name, plan, store=store, source=source,
                                                              mapping=mapping, month=month)))
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
    from metrics.sources import mapping_choices, mapping_reason

    source = needed.source or needed.source_guess
    lines = [f"檔案「{needed.filename}」：{mapping_reason(needed)}"]
    if source is None:
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


def show_notes(files: Sequence[ReadFile], stream) -> None:
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


def open_store(url: str | None, *, create: bool = True):
    """The store at `url` (default: KPI_DB_URL, then the app's SQLite file). A malformed URL is the
    user's input to fix (exit 2); commands that only read do not create a database that is not there."""
    import sqlalchemy as sa

    from metrics.store import Store, default_url

    url = url or default_url()
    try:
        parsed = sa.engine.make_url(url)
    except sa.exc.ArgumentError:
        raise InputError(f"資料庫位址「{url}」格式不正確；例如 sqlite:///data/kpi.sqlite3 或 "
                         "postgresql+psycopg://帳號@主機:5432/資料庫") from None
    if parsed.get_backend_name() not in {"sqlite", "postgresql"}:
        raise InputError(f"不支援的資料庫「{parsed.get_backend_name()}」：請使用 SQLite 或 PostgreSQL"
                         "（postgresql+psycopg://…）")
    if not create and parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:") \
            and not Path(parsed.database).exists():
        raise InputError(f"資料庫檔案「{parsed.database}」不存在；請先以 ingest 匯入月報，或確認 --db／KPI_DB_URL")
    return Store(url)


def command_evaluate(arguments: argparse.Namespace, plan: Plan) -> int:
    targets = dict(parse_target(*split_assignment(text), plan) for text in arguments.target)
    if arguments.files:
        store = open_store(arguments.db) if arguments.db else None
        files = read_files(arguments.files, plan, store=store, source=arguments.source,
                           mapping=parse_mapping(arguments.mapping), month=arguments.month)
        show_notes(files, sys.stderr)
        frame = combine([read_file.read.frame for read_file in files])
    else:
        if arguments.source or arguments.mapping or arguments.month is not None:
            raise InputError("--source、--mapping、--month 用於讀取檔案；由資料庫計算時不需指定")
        frame = open_store(arguments.db, create=False).current_frame(year=plan.year)
    unit = arguments.unit or plan.unit
    figures = Figures.from_frame(plan, frame, unit=unit)
    other_units = sorted({str(value) for value in frame["unit"]} - {unit}) if not frame.empty else []
    if figures.latest_month() is None and other_units:
        raise InputError(f"沒有單位「{unit}」的數字；資料中的單位為：{'、'.join(other_units)}。"
                         "請確認檔案的「單位」欄或「單位：」儲存格，或以 --unit 指定要計算的單位")
    if arguments.as_of is not None and not 1 <= arguments.as_of <= 12:
        raise InputError(f"--as-of「{arguments.as_of}」須為 1 至 12 的月份")
    evaluation = evaluate(figures, arguments.as_of, targets=targets)
    if arguments.json:
        print(json.dumps(evaluation.to_json(), ensure_ascii=False, indent=2))
    else:
        print(render_table(evaluation))
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


def render_table(evaluation: Evaluation) -> str:
    plan = evaluation.plan
    score = format_number(evaluation.weighted_score) if evaluation.weighted_score is not None else "—"
    counts = evaluation.status_counts()
    lines = [
        f"{plan.organisation} {plan.year} 年度施政計畫績效指標（統計至 {plan.year} 年 {evaluation.as_of_month} 月）",
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
            result.format_value(result.target), result.format_value(result.actual), achievement,
            result.status_label, result.gap_text or "—", result.format_value(result.projection),
        ))
    widths = [max(display_width(row[index]) for row in (headers, *rows)) for index in range(len(headers))]
    numeric = {2, 3, 4, 5, 8}
    for row in (headers, *rows):
        lines.append("  ".join(pad(cell, widths[index], index in numeric) for index, cell in enumerate(row)).rstrip())
    notes = [f"指標 {result.indicator.id}：{result.computation.note}" for result in evaluation.results
             if result.computation.note and result.status not in ("no_data",)]
    if notes:
        lines += ["", *notes]
    return "\n".join(lines)


def command_ingest(arguments: argparse.Namespace, plan: Plan) -> int:
    store = open_store(arguments.db)
    mapping = parse_mapping(arguments.mapping)
    files = read_files(arguments.files, plan, store=store, source=arguments.source, mapping=mapping,
                       month=arguments.month)
    results = store.ingest_many([(read_file.read.frame, read_file.name, read_file.data) for read_file in files],
                                uploader=arguments.uploader)
    for read_file, result in zip(files, results):
        print(f"{read_file.name}（{read_file.read.label}）：{result.message}")
    show_notes(files, sys.stdout)
    if mapping:
        from metrics.sources import logical_names

        remembered = [read_file for read_file in files if read_file.read.is_export]
        for read_file in remembered:  # what was resolved plus what the user said is absent, so next time reads alike
            read = read_file.read
            absent = {name: None for name, header in logical_names(read.kind, mapping).items() if not header}
            store.save_mapping(read.kind, read.signature, {**read.mapping, **absent})
        if remembered:
            print("已儲存欄位對應：之後匯入標題相同的檔案會自動套用，不必再指定 --mapping。")
    return 0


def command_history(arguments: argparse.Namespace, plan: Plan) -> int:
    batches = open_store(arguments.db, create=False).history()
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
        print(f"批次 {batch.id}：{batch.file_name}，{format_taiwan_time(batch.uploaded_at)} 上傳，"
              f"{batch.row_count:,} 筆{who}{state}")
    return 0


def batch_json(batch) -> dict[str, object]:
    return {
        "id": batch.id, "file_name": batch.file_name, "sha256": batch.sha256,
        "uploaded_at": batch.uploaded_at.isoformat(), "uploader": batch.uploader, "row_count": batch.row_count,
        "undone_at": batch.undone_at.isoformat() if batch.undone_at else None,
    }


def command_undo(arguments: argparse.Namespace, plan: Plan) -> int:
    store = open_store(arguments.db, create=False)
    if arguments.batch not in {batch.id for batch in store.history()}:
        raise InputError(f"沒有第 {arguments.batch} 批上傳紀錄；請用 history 指令查看批次編號")
    try:
        result = store.undo(arguments.batch)
    except StoreError as error:  # already undone, or blocked by a later batch: the user's call to fix
        raise InputError(str(error)) from error
    print(result.message)
    return 0


def command_template(arguments: argparse.Namespace, plan: Plan) -> int:
    from metrics.template import build_template

    year = arguments.year or plan.year
    output = Path(arguments.output or f"月報範本_{year}年.xlsx")
    output.write_bytes(build_template(plan, year=year))
    print(f"已產生 {output}")
    return 0


COMMANDS = {
    "evaluate": command_evaluate,
    "ingest": command_ingest,
    "history": command_history,
    "undo": command_undo,
    "template": command_template,
}


def main(argv: Sequence[str] | None = None, plan: Plan = PLAN_112) -> int:
    arguments = build_parser().parse_args(argv)
    try:
        return COMMANDS[arguments.command](arguments, plan)
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
