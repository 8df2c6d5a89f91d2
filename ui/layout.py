"""Every page starts here: page setup, print style, the sidebar (navigation, period), data freshness,
the sample-data banner and messages left by the previous run."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import streamlit as st

from metrics.errors import KpiError
from metrics.evaluation import Evaluation, evaluate
from metrics.figures import Figures
from metrics.presentation import month_label, months_text, taiwan_time
from ui.data import PLAN, Source, current_source, load_sample_into_store
from ui.widgets import remembered_selectbox

PAGES: tuple[tuple[str, str, str], ...] = (
    ("dashboard.py", "總覽", ":material/speed:"),
    ("pages/1_指標明細.py", "指標明細", ":material/query_stats:"),
    ("pages/2_資料上傳.py", "資料上傳", ":material/upload_file:"),
    ("pages/3_情境模擬.py", "情境模擬", ":material/tune:"),
    ("pages/4_報表匯出.py", "報表匯出", ":material/print:"),
)
FLASH_KEY = "flash_messages"
# A local file: a :material/…: favicon is fetched from the internet, which intranets block.
FAVICON = str(Path(__file__).with_name("favicon.png"))

PRINT_STYLE = """
<style>
/* Streamlit's own English hints; the pages say the same in Chinese where it matters. */
[data-testid="InputInstructions"], [data-testid="stFileUploaderDropzoneInstructions"] { display: none !important; }
@media print {
  [data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"], [data-testid="stHeader"],
  [data-testid="stToolbar"], [data-testid="stDecoration"], [data-testid="stStatusWidget"],
  [data-testid="stBaseButton-secondary"], [data-testid="stBaseButton-primary"], .stButton, .stDownloadButton,
  footer { display: none !important; }
  [data-testid="stMain"], .block-container { padding: 0 !important; margin: 0 !important; max-width: 100% !important; }
  [data-testid="stVerticalBlockBorderWrapper"], .stPlotlyChart { break-inside: avoid; page-break-inside: avoid; }
}
</style>
"""


@dataclass(frozen=True)
class Context:
    source: Source
    year: int
    unit: str
    month: int
    latest_month: int | None
    figures: Figures
    evaluation: Evaluation

    @property
    def period(self) -> str:
        return month_label(self.year, self.month)

    @property
    def key(self) -> tuple:
        """What the official figures and evaluation depend on (the cache key of what is computed from them)."""
        return self.source.key, self.year, self.unit, self.month


def flash(kind: str, text: str) -> None:
    """A message shown once at the top of the next run (after a callback or a rerun)."""
    st.session_state.setdefault(FLASH_KEY, []).append((kind, text))


def show_flash() -> None:
    for kind, text in st.session_state.pop(FLASH_KEY, []):
        getattr(st, kind)(text)


def load_sample_clicked() -> None:
    try:
        flash("success", f"範例資料已存入資料庫：{load_sample_into_store()}")
    except KpiError as error:
        flash("error", str(error))


def sample_banner(source: Source) -> None:
    if not source.is_sample:
        return
    with st.container(border=True):
        st.warning("**範例資料**：資料庫尚無任何月報，以下顯示內建的 112 年範例數字（僅供試用，未存入資料庫）。"
                   "請至「資料上傳」上傳實際月報，或將範例資料存入資料庫以練習復原等功能。", icon=":material/info:")
        st.button("將範例資料存入資料庫", key="load_sample", on_click=load_sample_clicked)


def navigation() -> None:
    for path, label, icon in PAGES:
        st.page_link(path, label=label, icon=icon)


# Computed once per content of the figures (Source.key) and shared between sessions and reruns, so a rerun
# (a what-if edit, a page switch) neither reads the frame again nor re-evaluates the official figures.
# Whatever these return is shared: never modify it (what-if works on copies, see apply_additions).

@st.cache_resource(max_entries=32, show_spinner=False)
def periods(source_key: tuple, _frame: pd.DataFrame) -> dict[int, list[str]]:
    """The years in the frame, each with its units."""
    years = sorted({int(year) for year in _frame["year"]}) if not _frame.empty else [PLAN.year]
    return {year: sorted({str(unit) for unit in _frame.loc[_frame["year"] == year, "unit"]}) for year in years}


@st.cache_resource(max_entries=64, show_spinner=False)
def period_figures(source_key: tuple, year: int, unit: str, _frame: pd.DataFrame) -> Figures:
    return Figures.from_frame(PLAN, _frame, year, unit)


@st.cache_resource(max_entries=256, show_spinner=False)
def official_evaluation(source_key: tuple, year: int, unit: str, month: int, _figures: Figures) -> Evaluation:
    return evaluate(_figures, month)


def choose_period(source: Source) -> tuple[int, str, int, Figures, int | None]:
    by_year = periods(source.key, source.frame)
    years = list(by_year)
    year = remembered_selectbox("年度", years, "period_year", default=PLAN.year if PLAN.year in years else years[-1],
                                format_func=lambda value: f"{value}年")
    units = by_year[year] or [PLAN.unit]
    unit = units[0] if len(units) == 1 else remembered_selectbox(
        "單位", units, "period_unit", default=PLAN.unit if PLAN.unit in units else units[0])
    figures = period_figures(source.key, year, unit, source.frame)
    latest = figures.latest_month()
    month = remembered_selectbox("統計至", list(range(1, 13)), "period_month", default=latest or 1,
                                 format_func=lambda value: month_label(year, value))
    return year, unit, month, figures, latest


def freshness(source: Source, figures: Figures, month: int) -> None:
    if source.is_sample:
        st.caption("資料來源：內建範例資料（未儲存）")
    elif source.latest_batch is not None:
        batch = source.latest_batch
        st.caption(f"最近上傳：{taiwan_time(batch.uploaded_at)}（第 {batch.id:,} 批，{batch.file_name}）")
    reported = set(figures.reported_months())
    unreported = [m for m in range(1, month + 1) if m not in reported]
    if unreported:
        st.caption(f"⚠ 尚未填報任何數字的月份：{months_text(unreported)}")


def start_page(title: str) -> Context:
    st.set_page_config(page_title=f"{title}｜政風處績效指標", page_icon=FAVICON, layout="wide")
    st.markdown(PRINT_STYLE, unsafe_allow_html=True)
    try:
        source = current_source()
    except KpiError as error:
        st.error(f"無法開啟資料庫：{error}")
        st.stop()
    with st.sidebar:
        st.markdown(f"**{PLAN.organisation}**  \n{PLAN.year} 年度施政計畫績效指標")
        navigation()
        st.divider()
        year, unit, month, figures, latest = choose_period(source)
    st.title(title)
    freshness(source, figures, month)
    show_flash()
    sample_banner(source)
    return Context(source, year, unit, month, latest, figures,
                   official_evaluation(source.key, year, unit, month, figures))
