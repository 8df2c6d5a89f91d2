"""The plans: `plans check/list/show/export/import` and `template` (the monthly report workbook)."""

from __future__ import annotations

import argparse
import sys
from fractions import Fraction
from pathlib import Path

from metrics.cli.common import (catalogue_of, command_line_actor, defaults_of, file_catalogue, open_store, os_reason,
                                resolve_unit, services_of)
from metrics.errors import InputError
from metrics.evaluation.figures import missing_bases_of, needs_base_check
from metrics.location import default_url, store_exists
from metrics.plans.catalogue import Catalogue
from metrics.plans.formulas import format_number
from metrics.plans.plan import Plan


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
    own = f"（另有計畫自己的填報項目 {len(catalogue.local_fields)} 個）" if catalogue.local_fields else ""
    print(f"計畫目錄無誤：{len(catalogue.fields)} 個填報項目{own}、{len(catalogue.units.units)} 個單位、"
          f"共同性指標 {len(catalogue.common.indicators)} 項（年度：{'、'.join(map(str, sorted(catalogue.common.years)))}）、"
          f"計畫 {len(catalogue.plans)} 個。{catalogue.available_text()}")
    directory = Path(arguments.plans) if arguments.plans else plans_directory()
    samples = sample_plans_for(directory)
    if samples is not None:  # the app loads the sample plans on top: check them too
        with_samples = load_catalogue(directory, samples=samples)
        print(f"範例計畫（sample_data/plans/）無誤：{len(with_samples.plans) - len(catalogue.plans)} 個。")
    from metrics.cli.review import cycle_check_line

    print(cycle_check_line(directory))
    for line in base_year_lines(catalogue, arguments.db):
        print(line)
    return 0


def base_year_lines(catalogue: Catalogue, url: str | None) -> list[str]:
    """A warning for each growth indicator whose base year the store has no figure of and whose plan gives no
    base_value (its value would be 無資料); not an error: the base year may be uploaded later."""
    based = [plan for plan in catalogue.plans.values() if needs_base_check(plan)]
    if not based:
        return []
    url = url or default_url()
    if not store_exists(url):
        return [f"注意：找不到資料庫，未核對 {len(based)} 個計畫的成長率指標基準年度是否已上傳（可加 --db 指定資料庫）。"]
    store = open_store(url, create=False, catalogue=catalogue)
    lines = [f"注意：{message}" for plan in based
             for message in missing_bases_of([plan], store.current_frame(unit=plan.unit))]
    return lines or [f"成長率指標的基準年度都已有數字或基準值（{len(based)} 個計畫）。"]


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
    from metrics.plans.toml_writing import plan_document

    plan = chosen_plan(arguments)
    output = Path(arguments.output or f"{plan.unit_name}_{plan.year}.toml")
    output.write_text(plan_document(plan), encoding="utf-8")
    print(f"已匯出 {output}（{plan.label}，{plan.version_text}）")
    return 0


def command_plans_import(arguments: argparse.Namespace) -> int:
    from metrics.services.seeding import seed_store

    files = file_catalogue(arguments)
    path = Path(arguments.file)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        reason = os_reason(error) if isinstance(error, OSError) else "不是 UTF-8 編碼的文字檔"
        raise InputError(f"計畫檔「{arguments.file}」無法讀取：{reason}") from None
    store = open_store(arguments.db, catalogue=files)
    seed_store(store, files)
    stored = services_of(store, arguments).import_plan(command_line_actor(arguments.author),
                                                       catalogue_of(store, files), text, note=arguments.note,
                                                       origin=path.name)
    print(f"已將「{path.name}」存為 {stored.unit} {stored.year} 年度計畫第 {stored.number} 版。")
    for change in stored.changes:
        print(f"  ・{change}")
    return 0


def command_plans_import_document(arguments: argparse.Namespace) -> int:
    """A unit's 施政計畫 (.docx, .odt, .pdf, .txt) read into a plan draft: printed (or --json), written with -o as a
    plan file (with the new fields it proposes as its own [[field]] tables). Exit 0 when nothing needs a decision, 3 when
    something does (each listed), 2 when the document cannot be read."""
    import json

    from metrics.cli.common import EXIT_DECIDE
    from metrics.plans.documents import draft_json, parse_document, plan_toml, read_document

    from metrics.services.inputs import PLAN_YEARS

    if arguments.year not in PLAN_YEARS:  # 2023 for 112 would draft a plan nothing can find
        raise InputError(f"--year「{arguments.year}」不是可用的年度：應為民國 {PLAN_YEARS.start} 至 {PLAN_YEARS.stop - 1} 年"
                         "（例如 112；西元 2023 年是民國 112 年）")
    _, catalogue, _ = catalogue_in_force(arguments)  # the versions in force: what the page reads a document over
    path = Path(arguments.file)
    try:
        data = path.read_bytes()
    except OSError as error:
        raise InputError(f"計畫書「{arguments.file}」無法讀取：{os_reason(error)}") from None
    draft = parse_document(read_document(data, path.name), catalogue, year=arguments.year, unit=arguments.unit,
                           document=path.name)
    if arguments.json:
        print(json.dumps(draft_json(draft), ensure_ascii=False, indent=2))
    else:
        _print_draft(draft)
    if arguments.output:
        output = Path(arguments.output)
        output.write_text(plan_toml(draft, catalogue), encoding="utf-8")
        added = f"（含 {len(draft.fields)} 個本計畫新增的填報項目）" if draft.fields else ""
        print(f"已寫出 {output}{added}", file=sys.stderr if arguments.json else sys.stdout)
    pending = draft.needs_decision
    if pending:
        print(f"尚待決定 {len(pending)} 項：", file=sys.stderr)
        for decision in pending:
            print(f"  ・{decision.text}", file=sys.stderr)
        return EXIT_DECIDE
    return 0


def _terms_text(terms) -> str:
    def one(term) -> str:
        coefficient = Fraction(term.coefficient)
        if coefficient == 1:
            return term.field
        return f"{term.field}÷{coefficient.denominator}" if coefficient.numerator == 1 else \
            f"{term.field}×{format_number(coefficient)}"

    return "＋".join(one(term) for term in terms)


def _print_draft(draft) -> None:
    print(f"{draft.title}（由「{draft.document}」讀出；{draft.unit} {draft.year} 年度）")
    print(f"權重合計 {format_number(Fraction(draft.weight_total))}%")
    for goal in draft.goals:
        print(f"\n目標 {goal.number}　{goal.title}（{goal.kind or '類別未標示'}{'，共同性指標' if goal.common else ''}）")
        for indicator in (item for item in draft.indicators if item.goal == goal.number):
            weight = "—" if indicator.weight is None else f"{format_number(Fraction(indicator.weight))}%"
            target = "—" if indicator.target is None else format_number(Fraction(indicator.target))
            unit = indicator.unit if indicator.unit == "%" else f" {indicator.unit}"
            print(f"  指標 {indicator.id}　{indicator.name}｜權重 {weight}｜目標值 {target}{unit}｜"
                  f"{indicator.formula or '公式待決定'}：{_terms_text(indicator.numerator)}"
                  + (f" ÷ {_terms_text(indicator.denominator)}" if indicator.denominator else ""))
            for note in indicator.overrides + indicator.notes:
                print(f"      註：{note}")
    from metrics.plans.documents.decide import AGGREGATION_LABELS

    for proposed in draft.fields:
        print(f"\n建議新增項目 {proposed.code}「{proposed.name}」（{proposed.unit}，"
              f"{AGGREGATION_LABELS[proposed.aggregation]}）")
    for notice in draft.notices:
        print(f"注意：{notice}")


PLAN_COMMANDS = {
    "check": command_plans_check,
    "list": command_plans_list,
    "show": command_plans_show,
    "export": command_plans_export,
    "import": command_plans_import,
    "import-document": command_plans_import_document,
}
