"""Every page starts here: page setup, print style, the sidebar (navigation, period), data freshness,
the sample-data banner and messages left by the previous run."""

from __future__ import annotations

from dataclasses import dataclass

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

PRINT_STYLE = """
<style>
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


def choose_period(source: Source) -> tuple[int, str, int, Figures, int | None]:
    frame = source.frame
    years = sorted({int(year) for year in frame["year"]}) if not frame.empty else [PLAN.year]
    year = remembered_selectbox("年度", years, "period_year", default=PLAN.year if PLAN.year in years else years[-1],
                                format_func=lambda value: f"{value}年")
    units = sorted({str(unit) for unit in frame.loc[frame["year"] == year, "unit"]}) or [PLAN.unit]
    unit = units[0] if len(units) == 1 else remembered_selectbox(
        "單位", units, "period_unit", default=PLAN.unit if PLAN.unit in units else units[0])
    figures = Figures.from_frame(PLAN, frame, year, unit)
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
    st.set_page_config(page_title=f"{title}｜政風處績效指標", page_icon=":material/speed:", layout="wide")
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
    return Context(source, year, unit, month, latest, figures, evaluate(figures, month))
