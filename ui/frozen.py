"""Figures and tables that are shared between sessions and never modified are encoded for the browser once.

Streamlit encodes what a page draws anew on every rerun. It copies a Plotly figure into a dict (`to_dict`) and
writes it as JSON. It converts a table to Arrow, and makes a Styler compute and translate every cell again.
The gauges, charts and tables the pages draw are kept per data version (or per evaluation) and never modified,
so their encodings are the same on every rerun. `frozen` marks such an object. The first time it is drawn, its
encoding is made by Streamlit's and Plotly's own functions and kept on the object itself (gone with it); later
draws take the kept encoding. What reaches the browser is byte for byte the same (tests/test_frozen.py).

Copies (`DataFrame.copy()`, a figure built from another) are new objects and not frozen. A frozen object must
never be modified: nothing here could notice. A frozen Styler is for st.dataframe (st.table and st.data_editor
import Streamlit's function under their own names and would compute the shared Styler again, unlocked).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any, TypeVar

import pandas as pd
import plotly.io
import plotly.tools
from pandas.io.formats.style import Styler
from plotly.basedatatypes import BaseFigure
from streamlit import dataframe_util
from streamlit.elements import arrow

T = TypeVar("T")
ENCODED = "_kpi_encoded"  # the attribute holding an object's encodings: {what: encoding}


class _Encodings(dict):
    """An object's encodings, with the lock its first draw is made under."""

    def __init__(self) -> None:
        super().__init__()
        self.lock = threading.Lock()


class _FigureDict(dict):
    """A frozen figure's `to_dict`, carrying its JSON once written."""

    json: str | None = None


def frozen(thing: T) -> T:
    """Marks a figure, DataFrame or Styler (and the Styler's data) as shared and never modified; returns it."""
    if not isinstance(thing, (BaseFigure, pd.DataFrame, Styler)):
        raise TypeError(f"frozen() takes a Plotly figure, a DataFrame or a Styler, not {type(thing).__name__}")
    if getattr(thing, ENCODED, None) is None:
        # object.__setattr__: a figure checks its property names and a DataFrame warns on new attributes
        object.__setattr__(thing, ENCODED, _Encodings())
    if isinstance(thing, Styler):
        frozen(thing.data)
    return thing


def is_frozen(thing: object) -> bool:
    return isinstance(getattr(thing, ENCODED, None), _Encodings)


def _kept(thing: object, what: object, make: Callable[[], Any]) -> Any:
    encodings: _Encodings = getattr(thing, ENCODED)
    kept = encodings.get(what)
    if kept is None:
        # Under the object's lock: a Styler's _compute and _translate change the Styler itself, and sessions drawing
        # the same new table at once would keep a mixture (cells without their colours) for good.
        with encodings.lock:
            kept = encodings.get(what)
            if kept is None:
                kept = encodings[what] = make()
    return kept


def _original(function: Callable) -> Callable:
    """The library's own function, also when this module is imported again (Streamlit reloads a changed module
    while developing): a patch never wraps an earlier patch."""
    return getattr(function, "_frozen_original", function)


_figure_dict = _original(plotly.tools.return_figure_from_figure_or_data)
_to_json = _original(plotly.io.to_json)
_marshall_styler = _original(arrow.marshall_styler)
_arrow_bytes = _original(dataframe_util.convert_pandas_df_to_arrow_bytes)


def _frozen_figure_dict(figure_or_data: Any, validate_figure: bool) -> Any:
    if not isinstance(figure_or_data, BaseFigure) or not is_frozen(figure_or_data):
        return _figure_dict(figure_or_data, validate_figure)
    return _kept(figure_or_data, ("dict", validate_figure),
                 lambda: _FigureDict(_figure_dict(figure_or_data, validate_figure)))


def _frozen_to_json(fig: Any, validate: bool = True, pretty: bool = False, remove_uids: bool = True,
                    engine: str | None = None) -> str:
    if type(fig) is not _FigureDict or (validate, pretty, remove_uids, engine) != (False, False, True, None):
        return _to_json(fig, validate=validate, pretty=pretty, remove_uids=remove_uids, engine=engine)
    if fig.json is None:
        fig.json = _to_json(fig, validate=False)
    return fig.json


def _frozen_marshall_styler(proto: Any, styler: Styler, default_uuid: str) -> None:
    if not is_frozen(styler):
        _marshall_styler(proto, styler, default_uuid)
        return

    def marshalled() -> bytes:
        _marshall_styler(proto, styler, default_uuid)
        return proto.styler.SerializeToString()

    kept = _kept(styler, ("styler", styler.uuid or default_uuid), marshalled)
    proto.styler.ParseFromString(kept)


def _frozen_arrow_bytes(df: pd.DataFrame, *, downcast_large_types: bool = False) -> bytes:
    if not is_frozen(df):
        return _arrow_bytes(df, downcast_large_types=downcast_large_types)
    return _kept(df, ("arrow", downcast_large_types),
                 lambda: _arrow_bytes(df, downcast_large_types=downcast_large_types))


# Streamlit looks these up at each call: plotly_chart as plotly.tools.… and plotly.io.…, st.dataframe as
# dataframe_util.… and as the name marshall_styler in its own module.
for _patch, _function in ((_frozen_figure_dict, _figure_dict), (_frozen_to_json, _to_json),
                          (_frozen_marshall_styler, _marshall_styler), (_frozen_arrow_bytes, _arrow_bytes)):
    _patch._frozen_original = _function  # type: ignore[attr-defined]
plotly.tools.return_figure_from_figure_or_data = _frozen_figure_dict
plotly.io.to_json = _frozen_to_json
arrow.marshall_styler = _frozen_marshall_styler
dataframe_util.convert_pandas_df_to_arrow_bytes = _frozen_arrow_bytes
