"""The upload flow: read every selected file (cached on its bytes and name), refuse them all if any
has a problem, preview what would change, then store each file as one batch."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd
import streamlit as st

from metrics.errors import InputError, KpiError, Problem
from metrics.presentation import history_rows
from metrics.reading import read_upload
from metrics.store import Store
from metrics.template import build_template
from ui.data import PLAN, refresh
from ui.layout import flash

UPLOADER_GENERATION = "upload_generation"


@dataclass(frozen=True)
class ReadFile:
    name: str
    data: bytes
    frame: pd.DataFrame | None
    problems: tuple[Problem, ...]


@st.cache_data(max_entries=64, show_spinner=False)
def read_file(data: bytes, name: str) -> tuple[pd.DataFrame | None, tuple[Problem, ...]]:
    try:
        return read_upload(data, name, PLAN), ()
    except InputError as error:
        return None, tuple(error.problems)


def read_files(files: Sequence[tuple[str, bytes]]) -> list[ReadFile]:
    progress = st.progress(0.0, text="讀取檔案中…")
    results = []
    for number, (name, data) in enumerate(files, start=1):
        progress.progress(number / len(files), text=f"讀取第 {number:,} / {len(files):,} 個檔案：{name}")
        results.append(ReadFile(name, data, *read_file(data, name)))
    progress.empty()
    return results


def store_files(store: Store, files: Sequence[ReadFile], uploader: str) -> bool:
    """Each file as one batch, in the order chosen, all in one transaction: every file is stored or none.
    Nothing reaches here unless every file was read cleanly."""
    with st.status(f"儲存 {len(files):,} 個檔案…", expanded=False) as status:
        try:
            results = store.ingest_many([(read.frame, read.name, read.data) for read in files], uploader=uploader)
        except KpiError as error:
            flash("error", f"{error}（所選檔案均未儲存）")
            status.update(label="儲存失敗", state="error")
            refresh()
            return False
        for read, result in zip(files, results):
            flash("info" if result.unchanged else "success", f"{read.name}：{result.message}")
            status.write(f"{read.name}：{result.message}")
        status.update(label="儲存完成", state="complete")
    refresh()
    return True


def uploader_key() -> str:
    return f"uploader_{st.session_state.get(UPLOADER_GENERATION, 0)}"


def clear_uploader() -> None:
    st.session_state[UPLOADER_GENERATION] = st.session_state.get(UPLOADER_GENERATION, 0) + 1


@st.cache_data(max_entries=4, show_spinner=False)
def template_bytes(year: int, unit: str) -> bytes:
    return build_template(PLAN, year=year, unit=unit)


def undo_clicked(store: Store, batch_id: int) -> None:
    try:
        flash("success", store.undo(batch_id).message)
    except KpiError as error:
        flash("error", str(error))
    refresh()


def history_list(store: Store, batches: Sequence[object], *, limit: int = 30) -> None:
    if not batches:
        st.info("尚無上傳紀錄。")
        return
    for row in history_rows(batches[:limit]):
        text, button = st.columns([6, 1], vertical_alignment="center")
        text.markdown(f"~~{row.text}~~" if row.undone else row.text)
        if not row.undone:
            button.button("復原", key=f"undo_{row.id}", on_click=undo_clicked, args=(store, row.id),
                          help="恢復此批上傳前的數值；若之後的上傳又改過同一數值，須先復原之後的批次。")
    if len(batches) > limit:
        st.caption(f"僅列出最近 {limit:,} 批，共 {len(batches):,} 批。")
