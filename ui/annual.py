"""報表匯出's 「年度績效報告（.docx／.pdf）」: the unit's year-end 施政績效報告, made on request with its progress
shown, then kept per data version, period and the year's notes (a note is not part of the data version). The period
is the sidebar's month or a checkpoint of the performance cycle (then as of its last month, with its 自評's state,
which is part of the key too)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING

import streamlit as st

from metrics.errors import KpiError, RenderingUnavailable
from metrics.outputs.annual.checkpoint import ReviewRecord, checkpoint_review, months_label, read_review_record
from ui.data import Source, cached_on_source
from ui.widgets import escape_markdown

if TYPE_CHECKING:
    from metrics.outputs.annual import AnnualReport
    from metrics.plans.cycle import Cycle
    from ui.layout import Context

ANNUAL_STATE = "annual_report_made"  # what this session made last, so its buttons show at once
DOCX_MIME = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
PDF_MIME = "application/pdf"


@dataclass(frozen=True)
class KeptNote:
    """A note as the report prints it: the same words saved again make no new report."""

    indicator_id: str
    reason: str
    action: str
    author: str
    updated_at: dt.datetime


NotesKey = tuple[tuple[tuple[int, KeptNote], ...], tuple[tuple[int, KeptNote], ...]]


def notes_key(source: Source, year: int, unit: str) -> NotesKey:
    """The year's notes in force and their history, as plain values (the cache key and the report's input)."""
    store = source.store
    current = tuple((month, KeptNote(indicator, note.reason, note.action, note.author, note.updated_at))
                    for month, notes in sorted(store.notes_of_year(year, unit).items())
                    for indicator, note in sorted(notes.items()))
    history = tuple((month, KeptNote(note.indicator_id, note.reason, note.action, note.author, note.updated_at))
                    for month, note in store.note_history_of_year(year, unit))
    return current, history


@cached_on_source(max_entries=16)
def annual_model(source: Source, year: int, unit: str, month: int, notes: NotesKey,
                 review: ReviewRecord | None = None) -> AnnualReport:
    """Read once per data version, period, notes and checkpoint state: its 資料讀取時間 is when that was (frozen,
    shared)."""
    from metrics.outputs.annual import assemble

    current, history = notes
    by_month: dict[int, dict[str, KeptNote]] = {}
    for note_month, note in current:
        by_month.setdefault(note_month, {})[note.indicator_id] = note
    return assemble(source.catalogue.plan(year, unit), source.frame, as_of=month, notes_by_month=by_month,
                    history=history, catalogue=source.catalogue, sample=source.is_sample, review=review)


@cached_on_source(max_entries=16, copied=True)
def annual_file(source: Source, year: int, unit: str, month: int, notes: NotesKey, review: ReviewRecord | None,
                suffix: str) -> bytes:
    from metrics.outputs.annual import render

    return render(annual_model(source, year, unit, month, notes, review), suffix)


def file_name(unit_name: str, year: int, month: int, suffix: str, checkpoint: str = "") -> str:
    period = f"{checkpoint}，統計至{month}月" if checkpoint else f"統計至{month}月"
    return f"施政績效報告_{unit_name}_{year}年（{period}）{suffix}"


def cycle_for_report(context: Context) -> Cycle | None:
    """The cycle in force, read only; None (with a note) when there is none to read."""
    from metrics.plans.catalogue import plans_directory
    from metrics.services.review import cycle_to_read

    try:
        return cycle_to_read(context.services.store, plans_directory(), context.services.roles)
    except KpiError as error:
        st.caption(f"無法讀取考核週期，只能依月份產生報告：{escape_markdown(error)}")
        return None


def choose_checkpoint(context: Context) -> ReviewRecord | None:
    """The 報告期間 selector: the sidebar's month (None) or a checkpoint of the cycle, read with its 自評."""
    cycle = cycle_for_report(context)
    points = {point.id: point for point in cycle.checkpoints} if cycle is not None else {}

    def label(choice: str | None) -> str:
        if choice is None:
            return f"統計至 {context.month} 月（側邊欄所選月份）"
        point = points[choice]
        return f"{point.label(context.year)}檢核點（{months_label(point.months)}，統計至 {point.last_month} 月）"

    choice = st.selectbox("報告期間", [None, *points], format_func=label, key="annual_checkpoint",
                          help="選擇考核檢核點時，報告統計至該檢核點的最後一個月，並列出自評、初核、核定的辦理人與時間，"
                               "各指標的說明改用自評說明與審查意見。")
    if choice is None:
        return None
    record = read_review_record(context.source.store, cycle, context.year, context.unit, choice)
    st.caption(escape_markdown(checkpoint_review(record, context.year).summary))
    return record


def pdf_problem() -> str | None:
    from metrics.outputs.annual.pdf import check_renderer

    try:
        check_renderer()
    except RenderingUnavailable as error:
        return str(error)
    return None


def annual_section(context: Context) -> None:
    st.subheader("年度績效報告（.docx／.pdf）")
    st.caption(f"{escape_markdown(context.plan.unit_name)} {context.year} 年度施政績效報告：前言（策略目標）、各策略目標的指標達成情形"
               f"（統計至 {context.month} 月，含當年度最近一次填寫的未達成原因與改善措施）、加權分數、跨年度計分、"
               "計畫版本與說明的填寫歷程。Word 檔可再編修後陳核。")
    try:
        review = choose_checkpoint(context)
        notes = notes_key(context.source, context.year, context.unit)
    except KpiError as error:
        st.error(escape_markdown(error))
        return
    month = review.last_month if review is not None else context.month
    made = context.source.data_version, context.year, context.unit, month, notes, review
    if st.session_state.get(ANNUAL_STATE) != made:
        if not st.button("產生年度績效報告", key="annual_make", help="讀取本年度的數字與說明，排成 Word 與 PDF 兩種檔案"):
            return
    problem = pdf_problem()
    files: dict[str, bytes] = {}
    try:
        with st.status("正在產生年度績效報告…", expanded=False) as status:
            arguments = (context.source, context.year, context.unit, month, notes, review)
            status.write("讀取本年度的數字與說明")
            annual_model(*arguments)
            status.write("排版 Word 文件（.docx）")
            files[".docx"] = annual_file(*arguments, ".docx")
            if problem is None:
                status.write("排版 PDF（A4，嵌入中文字型）")
                files[".pdf"] = annual_file(*arguments, ".pdf")
            status.update(label="年度績效報告已產生", state="complete")
    except KpiError as error:
        st.error(f"年度績效報告產生失敗：{escape_markdown(error)}")
        return
    st.session_state[ANNUAL_STATE] = made
    plan = context.plan
    point = review.name if review is not None else ""
    word_column, pdf_column = st.columns(2)
    with word_column:
        st.download_button("下載年度績效報告（.docx）", data=files[".docx"], mime=DOCX_MIME, key="annual_docx_download",
                           file_name=file_name(plan.unit_name, context.year, month, ".docx", point), type="primary")
    with pdf_column:
        if ".pdf" in files:
            st.download_button("下載年度績效報告（.pdf）", data=files[".pdf"], mime=PDF_MIME, key="annual_pdf_download",
                               file_name=file_name(plan.unit_name, context.year, month, ".pdf", point))
        else:
            st.warning(f"本伺服器目前無法產生 PDF：{escape_markdown(problem)}。請洽系統管理者；Word 檔不受影響。")
