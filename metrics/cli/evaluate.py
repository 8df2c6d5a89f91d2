"""Files and figures: `evaluate` and `report` (from files or the store) and `ingest` (files into the store), with
the column mappings a system export may need and the table printed to the terminal."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from fractions import Fraction
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from metrics.cli.common import (catalogue_of, check_as_of, command_line_actor, defaults_of, display_width,
                                file_catalogue, open_store, os_reason, pad, parse_mapping, report_output, resolve_unit,
                                services_of, split_assignment, store_and_catalogue, write_output)
from metrics.cli.plans import catalogue_in_force
from metrics.errors import InputError
from metrics.evaluation.core import Evaluation, MultiYearPoints, evaluate, parse_target
from metrics.evaluation.figures import Figures, stored_frame
from metrics.intake.tidy import empty_tidy_frame
from metrics.intake import safety
from metrics.intake.monthly_table import Defaults
from metrics.names import printable
from metrics.plans.catalogue import Catalogue
from metrics.plans.formulas import format_number
from metrics.plans.plan import Plan

if TYPE_CHECKING:
    from metrics.intake.exports import MappingNeeded
    from metrics.intake.sources import FileRead, MappingStore


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
            problems.append(f"檔案「{path_text}」無法讀取：{os_reason(error)}")
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


def mapping_help(needed: MappingNeeded) -> str:
    """A MappingNeeded as the command line says it: what is missing, the headers found, how to map them."""
    from metrics.intake.readers import needed_candidates, offered, offered_text
    from metrics.intake.sources import mapping_choices, mapping_reason

    possible = offered(needed_candidates(needed))  # a tie or a near-miss: the best, and the others possible
    source = possible[0].kind if possible else needed.source or needed.source_guess
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

    guessed = "" if source == needed.source else "（由標題推測）"
    lines.append(f"  資料種類：{choices.label}{guessed}，--source {source}")
    if possible:
        others = "或".join(f"--source {candidate.kind}" for candidate in possible[1:])
        lines.append(f"  {offered_text(possible)}；目前採用 {source}，若是其他種類請改加 {others}")
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
    if not arguments.files:
        frame = stored_frame(store, [plan], plan.unit)
    targets = dict(parse_target(*split_assignment(text), plan) for text in arguments.target)
    figures = Figures.from_frame(plan, frame)
    check_as_of(arguments)
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
    """The month's official report from the store, with its notes, as the 報表匯出 page makes it; with --county,
    the county briefing (metrics/cli/briefing.py); with --annual, the unit's year-end report (metrics/cli/annual.py)."""
    if getattr(arguments, "county", False) and getattr(arguments, "annual", False):
        print("錯誤：--county（全府簡報）與 --annual（年度績效報告）只能擇一。", file=sys.stderr)
        return 2
    if getattr(arguments, "checkpoint", None) is not None and not getattr(arguments, "annual", False):
        print(f"錯誤：--checkpoint「{arguments.checkpoint}」只用於 --annual（年度績效報告）；月報表與全府簡報以 --as-of 指定月份。",
              file=sys.stderr)
        return 2
    if getattr(arguments, "county", False):
        from metrics.cli.briefing import command_county_report

        return command_county_report(arguments)
    if getattr(arguments, "annual", False):
        from metrics.cli.annual import command_annual_report

        return command_annual_report(arguments)
    output, suffix = report_output(arguments, REPORT_SUFFIXES, "報表", ".xlsx（Excel 報表）或 .pdf（PDF 報表），例如 -o 報表.pdf")
    check_as_of(arguments)
    if suffix == ".pdf":
        from metrics.outputs.pdf_report import check_renderer

        check_renderer()  # before reading the store: say what to install first
    store, catalogue = store_and_catalogue(arguments)
    defaults = Defaults(arguments.year, resolve_unit(arguments.unit, catalogue))
    frame = store.current_frame(year=defaults.year, unit=defaults.unit)
    plan = choose_plan(catalogue, frame, defaults, explicit=arguments.year is not None and arguments.unit is not None)
    evaluation = evaluate(Figures.from_frame(plan, stored_frame(store, [plan], plan.unit)), arguments.as_of)
    notes = store.notes(plan.year, plan.unit, evaluation.as_of_month)
    if suffix == ".pdf":
        from metrics.outputs.pdf_report import build_pdf, report_page

        data = build_pdf([report_page(evaluation, notes)])
    else:
        from metrics.outputs.presentation import report_heading
        from metrics.outputs.report import build_report, report_values

        title, subtitle = report_heading(evaluation)
        data = build_report(report_values(evaluation, notes), title=title, subtitle=subtitle)
    write_output(output, data)
    print(f"已產生 {plan.unit_name} {plan.year} 年（統計至 {plan.year} 年 {evaluation.as_of_month} 月）報表：{output}")
    return 0


def render_table(evaluation: Evaluation, points: MultiYearPoints | None = None) -> str:
    plan = evaluation.plan
    score = format_number(evaluation.weighted_score) if evaluation.weighted_score is not None else "—"
    lines = [
        f"{plan.organisation} {plan.year} 年度施政計畫績效指標（統計至 {plan.year} 年 {evaluation.as_of_month} 月）",
        f"計畫：{plan.version_text}",
        f"加權分數：{score} 分（計畫權重合計 {format_number(Fraction(plan.weight_total))}%，"
        f"以適用指標權重 {format_number(evaluation.weight_total)}% 計算）",
        "　".join(f"{label} {count} 項" for _status, label, count in evaluation.status_count_labels()),
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
    from metrics.services.seeding import seed_store

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
