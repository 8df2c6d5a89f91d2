"""Every page starts here: page setup, print style, the sidebar (navigation, period), data freshness,
the sample-data banner and messages left by the previous run."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import NoReturn

import streamlit as st
from streamlit.runtime.scriptrunner import get_script_run_ctx

from metrics.services.accounts import Decision, Settings
from metrics.plans.roles import Action
from metrics.plans.catalogue import Catalogue
from metrics.evaluation.completeness import latest_complete_month, period_notice
from metrics.errors import KpiError, PlanError, StoreBusy
from metrics.evaluation.core import Evaluation, MultiYearPoints, evaluate, multi_year_points
from metrics.evaluation.figures import Figures
from metrics.plans.plan import Plan
from metrics.outputs.presentation import months_text, taiwan_time
from metrics.intake.parsing import month_label
from metrics.services import Actor, Services
from ui import cycle, links, screen
from ui.auth import account_box, current_actor, first_run, get_services, refusal, require_view
from ui.data import (Memo, Source, cached_on_source, cached_on_unit, current_source, figures_per_unit,
                     load_sample_into_store, unit_key)
from ui.styles import page_style
from ui.widgets import escape_markdown, flash, remembered_selectbox, show_flash

PAGES: tuple[tuple[str, str, str, Action], ...] = (  # a page's link shows to those who may use it
    ("dashboard.py", "總覽", ":material/speed:", Action.VIEW),
    ("pages/6_全府比較.py", "全府比較", ":material/table_view:", Action.VIEW),
    ("pages/9_填報進度.py", "填報進度", ":material/checklist:", Action.VIEW),
    ("pages/1_指標明細.py", "指標明細", ":material/query_stats:", Action.VIEW),
    ("pages/2_資料上傳.py", "資料上傳", ":material/upload_file:", Action.VIEW),
    ("pages/3_情境模擬.py", "情境模擬", ":material/tune:", Action.VIEW),
    ("pages/4_報表匯出.py", "報表匯出", ":material/print:", Action.VIEW),
    ("pages/5_計畫管理.py", "計畫管理", ":material/edit_document:", Action.VIEW),
    ("pages/7_操作紀錄.py", "操作紀錄", ":material/history:", Action.VIEW_AUDIT),
    ("pages/8_帳號管理.py", "帳號管理", ":material/manage_accounts:", Action.MANAGE_ACCOUNTS),
)
# A local file: a :material/…: favicon is fetched from the internet, which intranets block.
FAVICON = str(Path(__file__).with_name("favicon.png"))

@dataclass(frozen=True)
class Context:
    """What a page shows: one unit's plan for one year, its figures and their evaluation as of a month."""

    source: Source
    plan: Plan
    month: int
    latest_month: int | None
    figures: Figures
    evaluation: Evaluation
    services: Services
    actor: Actor
    settings: Settings

    def can(self, action: Action, unit: str | None = None) -> Decision:
        """Whether to show a control; the core checks again when it is used."""
        return self.services.can(self.actor, action, unit, self.settings)

    @property
    def year(self) -> int:
        return self.plan.year

    @property
    def unit(self) -> str:
        return self.plan.unit

    @property
    def catalogue(self) -> Catalogue:
        return self.source.catalogue

    @property
    def period(self) -> str:
        return month_label(self.year, self.month)


def load_sample_clicked(services: Services, actor: Actor) -> None:
    try:
        messages = load_sample_into_store(services, actor)
    except KpiError as error:
        flash("error", escape_markdown(error))
    else:
        flash("success", "範例資料已存入資料庫：" + "".join(escape_markdown(message) for message in messages))


UPLOAD_PAGE = "資料上傳"
UPLOAD_PATH = "pages/2_資料上傳.py"


def sample_banner(context: Context, page: str) -> None:
    """Says the numbers are the built-in sample; where to upload real ones depends on the page it is on."""
    if not context.source.is_sample:
        return
    where = "請在本頁下方上傳實際月報" if page == UPLOAD_PAGE else f"請至「{UPLOAD_PAGE}」上傳實際月報"
    with st.container(border=True):
        st.warning("**範例資料**：資料庫尚無任何月報，以下顯示內建的範例數字（政風處 112 年，以及標示「範例」的人事處、主計處 "
                   f"112 年與政風處 113 年範例計畫；僅供試用，未存入資料庫）。{where}；系統管理者也可將範例資料存入資料庫以練習復原等功能。",
                   icon=":material/info:")
        if context.can(Action.MANAGE_SETTINGS).allowed:  # several units' figures at once: the administrator's call
            st.button("將範例資料存入資料庫", key="load_sample", on_click=load_sample_clicked,
                      args=(context.services, context.actor))


@functools.lru_cache(maxsize=64)
def linked_page(main_script: str, path: str) -> st.Page:
    """A page of the app as the link's target, made once per process and main script: a link given a file path
    resolves it on the disk on every run (a dozen system calls a link, a dozen links a run), and where the
    app's files are does not change while it runs. Made as Streamlit makes the pages of pages/ (the resolved
    path; the main script is the default page)."""
    resolved = Path(main_script).resolve()
    return st.Page(resolved if path == PAGES[0][0] else resolved.parent / path, default=path == PAGES[0][0])


def main_script() -> str:
    """The main script of the app this run serves; dashboard.py when the script runs without a Streamlit server
    (bare `python dashboard.py`, or a spawned process re-running its parent's __main__)."""
    context = get_script_run_ctx()
    return context.main_script_path if context is not None else str(Path(__file__).resolve().parent.parent / PAGES[0][0])


def page_of(path: str) -> st.Page:
    """linked_page for the app this run serves: what a st.page_link to one of the app's pages is given."""
    return linked_page(main_script(), path)


def navigation(params: dict[str, str], allowed: set[Action], waiting: int | None = None) -> None:
    """The pages, each link carrying the period shown, so the next page shows the same (and its URL says so);
    on a phone a tap on a link also closes the sidebar (ui/screen.py). Below them, the count of what waits for
    the account (its list is on 填報進度)."""
    for path, label, icon, action in PAGES:
        if action in allowed:
            st.page_link(page_of(path), label=label, icon=icon, query_params=params)
    if waiting:
        st.caption(f":material/inbox: 待辦 {waiting} 件（送出自評、初核或複核），請至「填報進度」辦理")
    screen.install()


# Computed once per data version of the source and shared between sessions and reruns, so a rerun (a what-if
# edit, a page switch) neither reads the frame again nor re-evaluates the official figures.
# Whatever these return is shared: never modify it (what-if works on copies, see apply_additions).

@cached_on_source(max_entries=32)
def figure_counts(source: Source) -> dict[tuple[int, str], int]:
    """How many figures each (year, unit) has: the default period is the one with figures."""
    return {key: count for key, (count, _) in figures_per_unit(source).items()}


@cached_on_unit(max_entries=512)
def period_figures(source: Source, year: int, unit: str) -> Figures:
    """The figures of a plan of the source's plans in force."""
    return Figures.from_frame(source.catalogue.plan(year, unit), source.frame)


FEW_TO_SPLIT = 4  # up to this many plans' figures are read one by one; more, in one pass over the frame


def plans_figures(source: Source, keys: Iterable[tuple[int, str]]) -> dict[tuple[int, str], Figures]:
    """Each (year, unit)'s figures as period_figures keeps them, against the source's plans in force: those kept
    are taken, the others made. After another unit's upload the county needs one unit's figures anew, not a split
    of the whole frame (some 40,000 rows); when many are missing (a server's first showing) one pass splits them."""
    keys = list(keys)
    figures = {key: period_figures.kept(source, *key) for key in keys}
    missing = [source.catalogue.plan(*key) for key in keys if figures[key] is None]
    split = Figures.for_plans(missing, source.frame) if len(missing) > FEW_TO_SPLIT else None
    for plan in missing:
        figures[plan.key] = (period_figures(source, plan.year, plan.unit) if split is None else
                             period_figures.made_with(lambda plan=plan: split[plan.key], source, plan.year, plan.unit))
    return figures


@cached_on_unit(max_entries=512)
def official_evaluation(source: Source, year: int, unit: str, month: int) -> Evaluation:
    return evaluate(period_figures(source, year, unit), month)


_MULTI_YEAR = Memo(max_entries=512)


def unit_multi_year(source: Source, year: int, unit: str, *,
                    split: Callable[[], Mapping[tuple[int, str], Figures]] | None = None) -> MultiYearPoints:
    """Goal 6's multi-year points of a unit with its `year` plan's rule, kept per the unit's content in every
    year of the span (unit_key of each): another unit's upload keeps it, and the overview and the county page
    share it. `split`: every plan's figures split at once, for a caller judging many units (the county)."""
    catalogue = source.catalogue
    rule = catalogue.plan(year, unit).multi_year
    plans = {span_year: catalogue.find(span_year, unit) for span_year in rule.years}

    def make() -> MultiYearPoints:
        figures = split() if split is not None else {
            plan.key: period_figures(source, plan.year, unit) for plan in plans.values() if plan is not None}
        return multi_year_points(rule, unit, plans, source.frame, figures_of=figures)

    return _MULTI_YEAR.get(multi_year_key(source, year, unit), make)


def multi_year_key(source: Source, year: int, unit: str) -> tuple:
    """What a unit's multi-year points depend on: its plans and figures in every year of the span."""
    rule = source.catalogue.plan(year, unit).multi_year
    return year, unit, tuple(unit_key(source, span_year, unit) for span_year in rule.years)


@cached_on_source(max_entries=8)
def period_defaults(source: Source) -> tuple[list[int], tuple[int, str]]:
    """The years, and the period shown by default: an official plan with figures first, then the latest year,
    then the one with the most figures."""
    catalogue = source.catalogue
    counts = figure_counts(source)
    return catalogue.years(), max(catalogue.keys(), key=lambda key: (*_official_with_figures(catalogue, counts, key),
                                                                     key[0], counts.get(key, 0)))


def _official_with_figures(catalogue: Catalogue, counts: Mapping[tuple[int, str], int],
                           key: tuple[int, str]) -> tuple[bool, bool]:
    """What a default period is chosen by first: it has figures, and its plan is not a sample."""
    return key in counts, not catalogue.plan(*key).sample


@cached_on_source(max_entries=64)
def unit_choices(source: Source, year: int) -> tuple[list[str], dict[str, str], str]:
    """The year's units, their names as the menu shows them, and the unit shown by default (the busiest)."""
    catalogue = source.catalogue
    counts = figure_counts(source)
    units = catalogue.units_in(year)
    names = {unit: catalogue.plan(year, unit).unit_name + ("（範例）" if catalogue.plan(year, unit).sample else "")
             for unit in units}
    busiest = max(units, key=lambda unit: (*_official_with_figures(catalogue, counts, (year, unit)),
                                           counts.get((year, unit), 0)))
    return units, names, busiest


@cached_on_unit(max_entries=256)
def month_defaults(source: Source, year: int, unit: str) -> tuple[int | None, int]:
    """The latest month with any figure, and the month shown by default: the latest whose figures are all in."""
    figures = period_figures(source, year, unit)
    latest = figures.latest_month()
    # A month is shown by default only once every figure of it is in: one early April figure must not
    # turn the overview into 統計至 4月 with indicators behind for want of the rest.
    return latest, latest_complete_month(figures) or latest or 1


def choose_period(source: Source) -> tuple[Plan, int, Figures, int | None]:
    """Year and unit among the plans that exist, then the month; the default is a period that has figures.
    What the menus offer and their defaults are worked out once per data version."""
    catalogue = source.catalogue
    years, best = period_defaults(source)
    year = remembered_selectbox("年度", years, "period_year", default=best[0], format_func=lambda value: f"{value}年")
    units, names, busiest = unit_choices(source, year)
    own = [unit for unit in st.session_state.get(cycle.LANDING_KEY, ()) if unit in units]  # a reporter's first
    unit = remembered_selectbox("單位", units, "period_unit", default=own[0] if own else busiest,
                                format_func=names.__getitem__)
    plan = catalogue.plan(year, unit)
    figures = period_figures(source, year, unit)
    latest, default_month = month_defaults(source, year, unit)
    month = remembered_selectbox("統計至", list(range(1, 13)), "period_month", default=default_month,
                                 format_func=lambda value: month_label(year, value))
    if latest is not None:
        period_completeness(plan, figures, month)
    return plan, month, figures, latest


def period_completeness(plan: Plan, figures: Figures, month: int) -> None:
    """Next to the period: the chosen month's missing figures, or nothing when it is complete."""
    notice = period_notice(plan, figures, month)
    if notice:
        st.warning(notice, icon=":material/rule:")


def unplanned_notice(source: Source) -> None:
    """Figures that have no plan are not shown anywhere: say so, with what to do."""
    unplanned = source.unplanned
    if unplanned:
        listed = "、".join(f"{escape_markdown(unit)} {year}年" for year, unit in unplanned)
        st.warning(f"資料庫中有 {listed} 的數字，但沒有該年度該單位的計畫，因此不顯示也不計分。請管理者至「計畫管理」新增計畫。",
                   icon=":material/warning:")


def freshness(source: Source, plan: Plan, figures: Figures, month: int, *, title: str = "",
              params: dict[str, str] | None = None, about_data: bool = True) -> None:
    """Whose figures these are, by which plan, from where, and (on pages about the figures) which months are
    still empty; a year with nothing uploaded is said once, with the way to 資料上傳, not as 「1月」 missing."""
    if source.is_sample:
        where = "資料來源：內建範例資料（未儲存）"
    elif (batch := source.latest_batch(plan.year, plan.unit)) is not None:
        where = f"最近上傳：{taiwan_time(batch.uploaded_at)}（第 {batch.id:,} 批，{escape_markdown(batch.file_name)}）"
    else:
        where = f"{plan.unit_name} {plan.year} 年度尚無上傳紀錄"
    st.caption(f"{escape_markdown(plan.organisation)} {plan.year} 年度｜{escape_markdown(plan.version_text)}｜{where}")
    if not about_data:
        return
    reported = set(figures.reported_months())
    if not reported:
        where = "請在本頁下方上傳" if title == UPLOAD_PAGE else f"請至「{UPLOAD_PAGE}」上傳"
        st.info(f"{escape_markdown(plan.unit_name)} {plan.year} 年度尚未上傳任何數字；{where}月報或系統匯出檔，上傳後這裡就會顯示。",
                icon=":material/upload_file:")
        if title != UPLOAD_PAGE:
            st.page_link(page_of(UPLOAD_PATH), label=f"前往{UPLOAD_PAGE}", icon=":material/upload_file:", query_params=params or {})
        return
    unreported = [m for m in range(1, month + 1) if m not in reported]
    if unreported:
        st.caption(f"⚠ 尚未填報任何數字的月份：{months_text(unreported)}")


RETRY_KEY = "store_busy_retry"


def store_busy(error: StoreBusy) -> NoReturn:
    """Every page's answer to a store that another transaction keeps locked: what happened, and a button that
    reads again (a click reruns the page); nothing below it is shown with figures that could not be read."""
    st.error(escape_markdown(error), icon=":material/hourglass_top:")
    st.button("重試", key=RETRY_KEY, type="primary", icon=":material/refresh:")
    st.stop()


@contextmanager
def reading() -> Iterator[None]:
    """Around a page's read of the store (also a decorator): a busy store stops the page with `store_busy`."""
    try:
        yield
    except StoreBusy as error:
        store_busy(error)


def start_page(title: str, *, about_data: bool = True) -> Context:
    """The page's frame: period, login, navigation and what to know about the figures shown. A page not about
    the figures (the plan, the accounts, the audit) passes about_data=False: no months-not-reported notes there."""
    st.set_page_config(page_title=f"{title}｜施政計畫績效指標", page_icon=FAVICON, layout="wide")
    st.markdown(page_style(), unsafe_allow_html=True)
    try:
        source = current_source()
    except StoreBusy as error:
        store_busy(error)
    except PlanError as error:
        st.error(f"計畫目錄有誤，系統無法啟動。請管理者修正計畫檔後重新啟動：\n\n{escape_markdown(error)}")
        st.stop()
    except KpiError as error:
        st.error(f"無法開啟資料庫：{escape_markdown(error)}")
        st.stop()
    if not source.catalogue.plans:
        st.error(f"沒有任何計畫。{source.catalogue.available_text()}")
        st.stop()
    services, actor, settings = sign_in()
    url_problems = links.apply_period(source.catalogue)
    with st.sidebar:
        st.markdown("**新竹縣政府**  \n施政計畫績效指標")
        menu = st.container()
        st.divider()
        plan, month, figures, latest = choose_period(source)
        st.caption(f"{escape_markdown(plan.organisation)}｜{escape_markdown(plan.version_text)}")
        if source.unplanned:
            st.caption("⚠ 有數字但沒有計畫：" + "、".join(f"{escape_markdown(unit)} {year}年" for year, unit in source.unplanned))
        st.divider()
        account_box(services, actor)
    params = links.period_params(plan.year, plan.unit, month)
    links.write(params)
    with menu:
        navigation(params, {action for *_, action in PAGES if services.can(actor, action, settings=settings).allowed},
                   cycle.waiting_count(services, actor, source.official, settings))
    st.title(title)
    for problem in url_problems:
        st.warning(f"{escape_markdown(problem)}以下顯示 {plan.label}（統計至 {month_label(plan.year, month)}）。",
                   icon=":material/link_off:")
    if plan.sample:
        st.info(f"**{plan.label}是範例計畫**：目標值為虛構，僅供試用，不是正式計畫。", icon=":material/science:")
    freshness(source, plan, figures, month, title=title, params=params, about_data=about_data)
    show_flash()
    context = Context(source, plan, month, latest, figures,
                      official_evaluation(source, plan.year, plan.unit, month), services, actor, settings)
    sample_banner(context, title)
    unplanned_notice(source)
    cycle.own_units_without_plan(actor, services, source.official, plan.year, settings)
    return context


def sign_in() -> tuple[Services, Actor, Settings]:
    """Who is here: on a fresh install the setup of the first administrator (nothing else shows until it is
    done); when viewing needs a login, the login form. Stops the page in both cases."""
    try:
        services = get_services()
        if services.first_run():
            first_run(services)
            st.stop()
        actor = current_actor(services)
        settings = services.settings()
    except StoreBusy as error:
        store_busy(error)
    except PlanError as error:
        st.error(f"角色檔（plans/roles.toml）有誤，系統無法啟動。請管理者修正後重新啟動：\n\n{escape_markdown(error)}")
        st.stop()
    except KpiError as error:
        st.error(f"無法讀取帳號：{escape_markdown(error)}")
        st.stop()
    require_view(services, actor, settings)
    return services, actor, settings


def page_requires(context: Context, action: Action) -> None:
    """A page only some accounts may use (e.g. 帳號管理): anybody else is told why, and the page stops."""
    decision = context.can(action)
    if not decision.allowed:
        refusal(decision)
        st.stop()


def previous_month(source: Source, year: int, unit: str, month: int) -> Evaluation | None:
    """The same plan and figures as of the month before (None in January)."""
    if month <= 1:
        return None
    return official_evaluation(source, year, unit, month - 1)


def previous_year(source: Source, year: int, unit: str, month: int) -> Evaluation | None:
    """The same unit in the same month of the previous year, judged by that year's own plan; None without one
    or without its figures."""
    if source.catalogue.find(year - 1, unit) is None:
        return None
    if period_figures(source, year - 1, unit).latest_month() is None:
        return None
    return official_evaluation(source, year - 1, unit, month)
