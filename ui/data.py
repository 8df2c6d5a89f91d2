"""Where the figures come from: the store (cached per URL and per store version) or, while the
store is empty, the built-in sample year held in memory only."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import streamlit as st

from metrics.errors import InputError, KpiError
from metrics.figures import empty_tidy_frame
from metrics.plan import PLAN_112, Plan
from metrics.reading import read_upload
from metrics.store import BatchInfo, Store, default_url

PLAN: Plan = PLAN_112
ROOT = Path(__file__).resolve().parent.parent
SAMPLE_FILE = ROOT / "sample_data" / "112-full-year.csv"
HISTORY_SECONDS = 30  # other sessions' uploads show up within this time; this session's at once


@st.cache_resource(show_spinner=False)
def open_store(url: str) -> Store:
    return Store(url)


def get_store() -> Store:
    return open_store(default_url())


@st.cache_data(ttl=HISTORY_SECONDS, show_spinner=False)
def load_history(url: str) -> list[BatchInfo]:
    return open_store(url).history()


def store_version(history: list[BatchInfo]) -> tuple[tuple[int, bool], ...]:
    return tuple((batch.id, batch.is_undone) for batch in history)


@st.cache_data(max_entries=8, show_spinner=False)
def load_frame(url: str, version: tuple[tuple[int, bool], ...]) -> pd.DataFrame:
    return open_store(url).current_frame()


@st.cache_data(show_spinner=False)
def load_sample(path: str = str(SAMPLE_FILE)) -> tuple[bytes, pd.DataFrame] | None:
    try:
        data = Path(path).read_bytes()
        return data, read_upload(data, Path(path).name, PLAN)
    except (OSError, InputError):
        return None


def refresh() -> None:
    """After an upload or an undo in this session: every page reads the store again."""
    load_history.clear()


@dataclass(frozen=True)
class Source:
    store: Store
    history: list[BatchInfo]
    frame: pd.DataFrame
    is_sample: bool

    @property
    def latest_batch(self) -> BatchInfo | None:
        return next((batch for batch in self.history if not batch.is_undone), None)

    @property
    def key(self) -> tuple[str, tuple[tuple[int, bool], ...], bool]:
        """What the frame's content depends on: equal keys, equal frames (the cache key of what is computed from it)."""
        return self.store.url, store_version(self.history), self.is_sample


def current_source() -> Source:
    """The store's figures, or the sample year while the store holds none. Raises KpiError (StoreError)."""
    store = get_store()
    history = load_history(store.url)
    frame = load_frame(store.url, store_version(history)) if history else empty_tidy_frame()
    if frame.empty:
        sample = load_sample()
        if sample is not None:
            return Source(store, history, sample[1], True)
    return Source(store, history, frame, False)


def load_sample_into_store() -> str:
    """Store the sample year as one upload batch; returns the store's message."""
    sample = load_sample()
    if sample is None:
        raise KpiError("找不到範例資料檔 sample_data/112-full-year.csv，無法載入。")
    data, frame = sample
    result = get_store().ingest(frame, file_name=SAMPLE_FILE.name, file_bytes=data, uploader="範例資料")
    refresh()
    return result.message
