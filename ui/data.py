"""Where the figures and plans come from: the store, checked for changes on every run (one cheap query,
whatever process made the change), or, while the store holds no figure, the built-in sample figures
held in memory only, with the sample plans they belong to."""

from __future__ import annotations

import functools
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TypeVar

import numpy as np
import pandas as pd
import streamlit as st

from metrics.plans.roles import load_roles
from metrics.plans.catalogue import Catalogue, load_catalogue, plans_directory, sample_plans_for
from metrics.errors import InputError, KpiError
from metrics.intake.tidy import empty_tidy_frame
from metrics.evaluation.figures import years_read
from metrics.plans.planning import stored_catalogue
from metrics.services.seeding import seed_store
from metrics.intake.monthly import read_upload
from metrics.services.review import seed_cycle
from metrics.store import BatchInfo, Store, default_url, with_newer

ROOT = Path(__file__).resolve().parent.parent
SAMPLE_FILES = (ROOT / "sample_data" / "112-full-year.csv", ROOT / "sample_data" / "範例-人事處-112.csv",
                ROOT / "sample_data" / "範例-主計處-112.csv", ROOT / "sample_data" / "範例-政風處-113.csv",
                ROOT / "sample_data" / "範例-工務處-113.csv")


Cached = TypeVar("Cached", bound=Callable)


class Memo:
    """A bounded map from a hashable key to what was made for it, shared between sessions and threads: each key is
    made once (a second thread asking for it meanwhile waits), the least recently used goes first. Looked up with
    Python's own hash: Streamlit's cache hashes every argument through its own hasher, which cost more than the
    rest of a rerun's work at a few dozen lookups a rerun (benchmarks/server_cpu.py --profile). Keys are the
    content (a data version read from the store on every run, or the values drawn), never a process-local state."""

    def __init__(self, max_entries: int) -> None:
        self.max_entries = max_entries
        self._values: OrderedDict[Hashable, object] = OrderedDict()
        self._lock = threading.Lock()
        self._making: dict[Hashable, threading.Lock] = {}

    def peek(self, key: Hashable) -> object | None:
        with self._lock:
            if key not in self._values:
                return None
            self._values.move_to_end(key)
            return self._values[key]

    def get(self, key: Hashable, make: Callable[[], object]) -> object:
        with self._lock:
            if key in self._values:
                self._values.move_to_end(key)
                return self._values[key]
            making = self._making.setdefault(key, threading.Lock())
        with making:
            with self._lock:
                if key in self._values:
                    return self._values[key]
            try:
                value = make()
            finally:
                with self._lock:
                    self._making.pop(key, None)
            with self._lock:
                self._values[key] = value
                while len(self._values) > self.max_entries:
                    self._values.popitem(last=False)
            return value

    def put(self, key: Hashable, value: object) -> None:
        """`value` for `key` from now on, replacing what was kept (the holders of what was last read per store)."""
        with self._lock:
            self._values[key] = value
            self._values.move_to_end(key)
            while len(self._values) > self.max_entries:
                self._values.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._values.clear()


def kept_per_process(max_entries: int = 1024) -> Callable[[Cached], Cached]:
    """What a function makes from hashable arguments (a store opened for a URL, the figures at a data version),
    kept for the process and shared between sessions. Used instead of st.cache_resource on what every rerun asks
    for: Streamlit hashes every argument with its own hasher on each call (0.1–0.2 ms a call, a few calls a rerun
    on every page)."""
    return _memoised(max_entries, lambda args, kwargs: (args, tuple(sorted(kwargs.items()))))


def _memoised(max_entries: int, key: Callable[[tuple, dict], Hashable]) -> Callable[[Cached], Cached]:
    def decorate(function: Cached) -> Cached:
        memo = Memo(max_entries)

        @functools.wraps(function)
        def cached(*args, **kwargs):
            return memo.get(key(args, kwargs), lambda: function(*args, **kwargs))

        def made_with(make: Callable[[], object], *args, **kwargs):
            """What `function(*args, **kwargs)` returns, made by `make` when not cached yet: for a caller that holds
            what function would read again (the county page, each unit's figures split at once). `make` must
            return what function would."""
            return memo.get(key(args, kwargs), make)

        def kept(*args, **kwargs):
            """What `function(*args, **kwargs)` returned before, if it is still kept; None otherwise (nothing made)."""
            return memo.peek(key(args, kwargs))

        cached.clear = memo.clear
        cached.made_with = made_with
        cached.kept = kept
        return cached

    return decorate


def plan_files() -> Catalogue:
    """plans/ (or KPI_PLANS_DIR) and the sample plans; PlanError stops the app with its message."""
    return _plan_files(str(plans_directory()))


@kept_per_process()
def _plan_files(directory: str) -> Catalogue:
    """Read and checked once per server and folder: the files are the seed, the store is the truth."""
    samples = sample_plans_for(Path(directory))
    return load_catalogue(Path(directory), samples=samples)  # the sample plans build on the project's own plans


@kept_per_process()
def open_store(url: str) -> Store:
    """The store, seeded once per server with the plans of plans/ it does not hold yet, and with cycle.toml as the
    cycle's version 1 when it has none (a missing or wrong file is said on 填報進度, not here)."""
    files = plan_files()
    store = Store(url, field_names={monthly_field.code: monthly_field.name for monthly_field in files.fields})
    seed_store(store, files)
    try:
        seed_cycle(store, plans_directory(), load_roles(plans_directory()))
    except KpiError:
        pass
    return store


def get_store() -> Store:
    return open_store(default_url())


@dataclass(frozen=True)
class DataVersion:
    """Which figures and plans a run shows: the store, its data version (read from the store on every run, so a
    change made by any app server sharing it counts) and whether the built-in sample is shown instead. Equal
    versions, equal content: what is computed from them is cached under it."""

    url: str
    version: tuple[int, ...]
    sample: bool = False


# Shared between sessions and never modified (a copy per rerun would cost more than the rest of a rerun at county
# scale); a new data version reads them again (the figures: only what changed, when only uploads came since).

@kept_per_process(max_entries=8)
def load_history(data_version: DataVersion) -> list[BatchInfo]:
    return HELD_HISTORIES.history(data_version, open_store(data_version.url))


@kept_per_process(max_entries=8)
def load_frame(data_version: DataVersion) -> pd.DataFrame:
    """The figures in effect at a data version: after an upload, only the values of the new batches are read and
    put into the frame held from before (metrics.store.with_newer); anything else reads the whole frame."""
    store = open_store(data_version.url)
    return HELD_FRAMES.frame(data_version, load_history(data_version), store.current_frame)


@dataclass(frozen=True)
class _Held:
    version: tuple[int, ...]
    newest: BatchInfo  # the batch numbered version[0] when the frame was read
    frame: pd.DataFrame
    undone: frozenset[tuple]  # the batches undone then, with when (_undone)


class FrameHolder:
    """The last frame read per store URL and the data version it was read under, shared between sessions and
    threads, bounded, never modified (a new frame replaces it). It saves reading again the values that did not
    change, never the question whether they did: the data version and the newer values are read from the store
    on every new version, whichever process wrote them."""

    def __init__(self, max_urls: int = 4) -> None:
        self.held = Memo(max_entries=max_urls)  # URL -> _Held

    def frame(self, data_version: DataVersion, history: list[BatchInfo],
              read: Callable[..., pd.DataFrame]) -> pd.DataFrame:
        """The frame at `data_version`; `read(after_batch=…)` is Store.current_frame and `history` the store's
        batches at that version, newest first."""
        held = self.held.peek(data_version.url)
        if self._follows(held, data_version, history):
            frame = with_newer(held.frame, read(after_batch=held.version[0]))
        else:
            frame = read()
        newest = _batch(history, data_version.version[0])
        if data_version.sample or newest is None:
            return frame
        self.held.put(data_version.url, _Held(data_version.version, newest, frame, _undone(history)))
        return frame

    @staticmethod
    def _follows(held: _Held | None, data_version: DataVersion, history: list[BatchInfo]) -> bool:
        """Only uploads since the held frame, and the held frame's newest batch still the same one (not a store
        restored anew at the same URL), nor another batch undone (that store's copy, which undid another)."""
        if held is None or not _only_uploads_since(held.version, data_version):
            return False
        same = _batch(history, held.version[0])
        return (same is not None and (same.uploaded_at, same.sha256) == (held.newest.uploaded_at, held.newest.sha256)
                and _undone(history) == held.undone)

    def clear(self) -> None:
        self.held.clear()


def _only_uploads_since(held_version: tuple[int, ...], data_version: DataVersion) -> bool:
    """By the data version's numbers (DataVersionNumbers: batch, undone, plans), nothing but uploads (or plan
    versions) since `held_version`: the same number of undone batches, no older newest batch. Whether the store
    is still the same one is the caller's to check."""
    if data_version.sample:
        return False
    (batch, undone, *_), (held_batch, held_undone, *_) = data_version.version, held_version
    return undone == held_undone and batch >= held_batch


def _undone(history: list[BatchInfo]) -> frozenset[tuple]:
    return frozenset((batch.id, batch.undone_at) for batch in history if batch.is_undone)


def _batch(history: list[BatchInfo], batch_id: int) -> BatchInfo | None:
    return next((batch for batch in history if batch.id == batch_id), None)


HELD_FRAMES = FrameHolder()


class HistoryHolder:
    """The last batch list read per store URL, as FrameHolder holds the frame: after uploads only (the same number
    of undone batches, no older newest batch), the batches from the held newest one on are read and put before the
    held list. Nothing else of an older batch changes but an undo; the held newest batch, read again, must be the
    very same one, and the undone batches the same ones: a store made anew at the same URL numbers its batches
    again, and may have undone as many others (found by review). Anything else reads the whole list. (At county
    scale the whole list cost 7 ms of every upload.)"""

    def __init__(self, max_urls: int = 4) -> None:
        self.held = Memo(max_entries=max_urls)  # URL -> (data version, batch list)

    def history(self, data_version: DataVersion, store: Store) -> list[BatchInfo]:
        held = self.held.peek(data_version.url)
        history = self._brought_up_to_date(held, data_version, store) if held is not None else None
        if history is None:
            history = store.history()
        self.held.put(data_version.url, (data_version.version, history))
        return history

    @staticmethod
    def _brought_up_to_date(held: tuple[tuple[int, ...], list[BatchInfo]], data_version: DataVersion,
                            store: Store) -> list[BatchInfo] | None:
        held_version, held_history = held
        if not held_history or not _only_uploads_since(held_version, data_version):
            return None
        newer = store.history(from_batch=held_version[0])  # newest first: the held newest batch comes last
        if not newer or newer[-1] != held_history[0] or store.undone_batches() != _undone(held_history):
            return None
        return newer[:-1] + held_history

    def clear(self) -> None:
        self.held.clear()


HELD_HISTORIES = HistoryHolder()


def load_catalogue_in_force(data_version: DataVersion) -> Catalogue:
    """The plans in force for a data version (shared between sessions, never modified): read again only when a
    plan version is saved, not with every upload (building a county's plans costs more than reading its figures)."""
    return _catalogue_in_force(data_version.url, data_version.version[2], data_version.sample)  # DataVersionNumbers.plans


@kept_per_process(max_entries=8)
def _catalogue_in_force(url: str, plans_version: int, sample: bool) -> Catalogue:
    return stored_catalogue(open_store(url), plan_files(), samples=sample)


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
    """The figures and plans a run shows and the store they come from; passed to a cached_on_source function, it
    is hashed by its data version."""

    store: Store
    history: list[BatchInfo]
    frame: pd.DataFrame
    catalogue: Catalogue
    data_version: DataVersion

    @property
    def is_sample(self) -> bool:
        return self.data_version.sample

    def latest_batch(self, year: int, unit: str) -> BatchInfo | None:
        """The newest batch in effect that set figures of this unit's year."""
        return next((batch for batch in self.history if not batch.is_undone and (year, unit) in batch.periods), None)

    @property
    def official(self) -> Catalogue:
        """The plans uploads are checked against: never a 範例 plan, whatever the page shows."""
        return _official(self)

    @property
    def unplanned(self) -> list[tuple[int, str]]:
        """(year, unit)s that have figures but no plan: never shown, never scored against another plan."""
        return _unplanned(self)


def cached_on_source(max_entries: int, *, copied: bool = False) -> Callable[[Cached], Cached]:
    """Caches what is computed from a Source's figures and plans (and the other arguments): a Source argument is
    keyed by its data version, so the data passed is the key and no caller can forget the key or pass one of
    other data. Shared between sessions (a Memo: never modify what it returns), or with `copied` st.cache_data
    (a copy for each caller)."""
    if copied:
        return st.cache_data(max_entries=max_entries, show_spinner=False, hash_funcs={Source: _source_hash})
    return _memoised(max_entries, _call_key)


def cached_on_unit(max_entries: int, *, previous_years: int = 0) -> Callable[[Cached], Cached]:
    """cached_on_source for what is computed from one unit's figures of one year and its plan only, as
    function(source, year, unit, …): keyed by that unit's content (unit_key) rather than the whole store's data
    version, so another unit's upload keeps it (at month end most uploads are somebody else's). With
    `previous_years`, what also reads the unit's figures and plans of that many years before (its content in each
    is part of the key)."""
    def key(args: tuple, kwargs: dict) -> tuple:
        source, year, unit, *rest = args
        return (tuple(unit_key(source, year - back, unit) for back in range(previous_years + 1)),
                _call_key(tuple(rest), kwargs))

    return _memoised(max_entries, key)


_UNIT_KEYS = Memo(max_entries=4096)


def unit_key(source: Source, year: int, unit: str) -> tuple:
    """_unit_key, once per data version: the county page asks for it some 150 times a rerun."""
    return _UNIT_KEYS.get((_source_key(source), year, unit), lambda: _unit_key(source, year, unit))


def _unit_key(source: Source, year: int, unit: str) -> tuple:
    """What one unit's figures of a year and its plan are, as a key. In a store: the newest batch among that
    unit's values in effect in every year its plan reads (its own, and its growth indicators' base years), with
    the undone batches and the plans version: every upload writes under a new, higher batch number, only an undo
    takes values away, and every plan change is a new plans version. A batch is named by its number and upload
    time, the undone ones as a set: a database made anew at the same URL (a backup restored into it while the
    servers run, then new uploads) numbers its batches again, and its n-th batch or undo is not the old one.
    The built-in sample never changes: its data version is the key."""
    version = source.data_version
    if version.sample:
        return _source_key(source), year, unit
    plan = source.catalogue.find(year, unit)
    batches, undone = unit_batches(source), undone_batches(source)
    read = years_read([plan]) if plan is not None else [year]
    return ("unit", version.url, undone, version.version[2], year, unit,  # version[2]: DataVersionNumbers.plans
            tuple(batches.get((read_year, unit)) for read_year in read))


def _call_key(args: tuple, kwargs: dict) -> tuple:
    return (tuple(_source_key(arg) if isinstance(arg, Source) else arg for arg in args),
            tuple(sorted((name, _source_key(value) if isinstance(value, Source) else value)
                         for name, value in kwargs.items())))


def _source_key(source: Source) -> tuple:
    version = source.data_version
    return ("source", version.url, version.version, version.sample)


def _source_hash(source: Source) -> str:
    """The data version as one string: Streamlit hashes a string at once, a dataclass field by field (on every
    call of every cached function, a few dozen a rerun)."""
    version = source.data_version
    return repr((version.url, version.version, version.sample))


@cached_on_source(max_entries=8)
def figures_per_unit(source: Source) -> dict[tuple[int, str], tuple[int, int]]:
    """Per (year, unit) with figures: how many are in effect and the newest batch among them (0 for figures not
    stored: the sample). One pass for the unit keys, the default period and the units without a plan (three
    groupings cost 7 ms of every upload)."""
    frame = source.frame
    if frame.empty:
        return {}
    if "batch_id" not in frame.columns:
        frame = frame.assign(batch_id=0)
    years, units = frame["year"], frame["unit"]
    # A stored frame is in key order: each (year, unit) is one run of rows. Another (the sample) is grouped.
    starts = np.flatnonzero((years.ne(years.shift()) | units.ne(units.shift())).to_numpy())
    keys = list(zip(years.iloc[starts].tolist(), units.iloc[starts].tolist()))
    if len(set(keys)) == len(keys):
        counts = np.diff(np.append(starts, len(frame))).tolist()
        newest = np.maximum.reduceat(frame["batch_id"].to_numpy(), starts).tolist()
        return {(int(year), str(unit)): (int(count), int(batch))
                for (year, unit), count, batch in zip(keys, counts, newest)}
    grouped = frame.groupby(["year", "unit"], sort=False)["batch_id"].agg(["size", "max"])
    return {(int(year), str(unit)): (int(count), int(batch))
            for (year, unit), count, batch in zip(grouped.index, grouped["size"], grouped["max"])}


@cached_on_source(max_entries=8)
def unit_batches(source: Source) -> dict[tuple[int, str], tuple[int, object]]:
    """Per (year, unit), the newest batch among its values in effect, as (number, upload time) (unit_key)."""
    uploaded = {batch.id: batch.uploaded_at for batch in source.history}
    return {key: (batch, uploaded.get(batch)) for key, (_, batch) in figures_per_unit(source).items()}


@cached_on_source(max_entries=8)
def undone_batches(source: Source) -> frozenset[tuple]:
    """The undone batches (number, time undone): in one database the set only grows (unit_key)."""
    return _undone(source.history)


@cached_on_source(max_entries=8)
def _official(source: Source) -> Catalogue:
    return source.catalogue.official()


@cached_on_source(max_entries=8)
def _unplanned(source: Source) -> list[tuple[int, str]]:
    return sorted(key for key in figures_per_unit(source) if source.catalogue.find(*key) is None)


def current_source() -> Source:
    """The store's figures and plans, or the sample figures (with the sample plans) while the store holds no
    figure. Raises KpiError (StoreError, PlanError)."""
    store = get_store()
    stored = DataVersion(store.url, store.data_version())
    history = load_history(stored) if stored.version[0] else []
    frame = load_frame(stored) if history else empty_tidy_frame()
    if frame.empty:
        sample = load_sample()
        if sample is not None:
            shown = replace(stored, sample=True)
            return Source(store, history, sample[1], load_catalogue_in_force(shown), shown)
    return Source(store, history, frame, load_catalogue_in_force(stored), stored)


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
