"""Where the figures and plans come from: the store, checked for changes on every run (one cheap query,
whatever process made the change), or, while the store holds no figure, the built-in sample figures
held in memory only, with the sample plans they belong to."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import streamlit as st

from metrics.catalogue import PLANS_DIRECTORY, SAMPLE_PLANS_DIRECTORY, Catalogue, load_catalogue, plans_directory
from metrics.errors import InputError, KpiError
from metrics.figures import empty_tidy_frame
from metrics.planning import seed_store, stored_catalogue
from metrics.intake.monthly import read_upload
from metrics.store import BatchInfo, Store, default_url

ROOT = Path(__file__).resolve().parent.parent
SAMPLE_FILES = (ROOT / "sample_data" / "112-full-year.csv", ROOT / "sample_data" / "範例-人事處-112.csv",
                ROOT / "sample_data" / "範例-主計處-112.csv", ROOT / "sample_data" / "範例-政風處-113.csv")


def plan_files() -> Catalogue:
    """plans/ (or KPI_PLANS_DIR) and the sample plans; PlanError stops the app with its message."""
    return _plan_files(str(plans_directory()))


@st.cache_resource(show_spinner=False)
def _plan_files(directory: str) -> Catalogue:
    """Read and checked once per server and folder: the files are the seed, the store is the truth."""
    samples = SAMPLE_PLANS_DIRECTORY if Path(directory).resolve() == PLANS_DIRECTORY.resolve() else None
    return load_catalogue(Path(directory), samples=samples)  # the sample plans build on the project's own plans


@st.cache_resource(show_spinner=False)
def open_store(url: str) -> Store:
    """The store, seeded once per server with the plans of plans/ it does not hold yet."""
    files = plan_files()
    store = Store(url, field_names={monthly_field.code: monthly_field.name for monthly_field in files.fields})
    seed_store(store, files)
    return store


def get_store() -> Store:
    return open_store(default_url())


# Shared between sessions and never modified (a copy per rerun would cost more than the rest of a rerun at county
# scale); a new data version reads them again.

@st.cache_resource(max_entries=8, show_spinner=False)
def load_history(url: str, version: tuple[int, ...]) -> list[BatchInfo]:
    return open_store(url).history()


@st.cache_resource(max_entries=8, show_spinner=False)
def load_frame(url: str, version: tuple[int, ...]) -> pd.DataFrame:
    return open_store(url).current_frame()


@st.cache_resource(max_entries=8, show_spinner=False)
def load_catalogue_in_force(url: str, version: tuple[int, ...], samples: bool) -> Catalogue:
    """The plans in force for a data version (shared between sessions, never modified)."""
    return stored_catalogue(open_store(url), plan_files(), samples=samples)


def load_sample() -> tuple[tuple[tuple[str, bytes], ...], pd.DataFrame] | None:
    """The sample files, read against the sample plans: ((name, bytes), …) and their figures; None when the
    deployment's catalogue is not the one they were made for."""
    return _load_sample(str(plans_directory()))


@st.cache_data(show_spinner=False)
def _load_sample(directory: str) -> tuple[tuple[tuple[str, bytes], ...], pd.DataFrame] | None:
    try:
        files = tuple((path.name, path.read_bytes()) for path in SAMPLE_FILES)
        frames = [read_upload(data, name, _plan_files(directory)) for name, data in files]
    except (OSError, InputError):
        return None
    return files, pd.concat(frames, ignore_index=True)


@dataclass(frozen=True)
class Source:
    store: Store
    history: list[BatchInfo]
    frame: pd.DataFrame
    catalogue: Catalogue
    is_sample: bool
    version: tuple[int, ...]

    def latest_batch(self, year: int, unit: str) -> BatchInfo | None:
        """The newest batch in effect that set figures of this unit's year."""
        return next((batch for batch in self.history if not batch.is_undone and (year, unit) in batch.periods), None)

    @property
    def key(self) -> tuple[str, tuple[int, ...], bool]:
        """What the frame's and the plans' content depend on: equal keys, equal content (the cache key of what
        is computed from them)."""
        return self.store.url, self.version, self.is_sample

    @property
    def official(self) -> Catalogue:
        """The plans uploads are checked against: never a 範例 plan, whatever the page shows."""
        return _official(self.key, self.catalogue)

    @property
    def unplanned(self) -> list[tuple[int, str]]:
        """(year, unit)s that have figures but no plan: never shown, never scored against another plan."""
        return _unplanned(self.key, self.frame, self.catalogue)


@st.cache_resource(max_entries=8, show_spinner=False)
def _official(source_key: tuple, _catalogue: Catalogue) -> Catalogue:
    return _catalogue.official()


@st.cache_resource(max_entries=8, show_spinner=False)
def _unplanned(source_key: tuple, _frame: pd.DataFrame, _catalogue: Catalogue) -> list[tuple[int, str]]:
    if _frame.empty:
        return []
    present = _frame[["year", "unit"]].drop_duplicates()
    return sorted(key for key in ((int(year), str(unit)) for year, unit in zip(present["year"], present["unit"]))
                  if _catalogue.find(*key) is None)


def current_source() -> Source:
    """The store's figures and plans, or the sample figures (with the sample plans) while the store holds no
    figure. Raises KpiError (StoreError, PlanError)."""
    store = get_store()
    version = store.data_version()
    history = load_history(store.url, version) if version[0] else []
    frame = load_frame(store.url, version) if history else empty_tidy_frame()
    if frame.empty:
        sample = load_sample()
        if sample is not None:
            return Source(store, history, sample[1], load_catalogue_in_force(store.url, version, True), True, version)
    return Source(store, history, frame, load_catalogue_in_force(store.url, version, False), False, version)


def load_sample_into_store(services, actor) -> list[str]:
    """Store the sample plans and each sample file as one upload batch (through the core, which checks that the
    account may); returns the store's messages."""
    sample = load_sample()
    if sample is None:
        raise KpiError("找不到範例資料檔（sample_data/），無法載入。")
    files, _ = sample
    frames = [read_upload(data, name, plan_files()) for name, data in files]
    results = services.load_sample(actor, plan_files(), [(frame, name, data) for frame, (name, data) in zip(frames, files)])
    return [result.message for result in results]
