"""ui.frozen: a figure or table shared between sessions and never modified reaches the browser exactly as the same
object made afresh does, on its first draw and on every later one, through st.plotly_chart and st.dataframe."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
import pytest
from streamlit.testing.v1 import AppTest

from ui.frozen import frozen, is_frozen

TIMEOUT = 30

SCRIPT = '''
import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from metrics.evaluation.core import evaluate
from metrics.evaluation.figures import Figures
from metrics.outputs.charts import gauge_figure
from tests.test_frozen import made
from ui.county import MISSING, _shown
from ui.frozen import frozen

if "kept" not in st.session_state:  # kept between reruns as the pages' caches keep them
    st.session_state.kept = {name: frozen(make()) for name, make in made().items()}
for name, make in made().items():
    shown = st.session_state.kept[name]
    for which, thing in (("kept", shown), ("fresh", make())):
        if isinstance(thing, go.Figure):
            st.plotly_chart(thing, key=f"{which}_{name}", config={"displayModeBar": False})
        else:
            st.dataframe(thing, key=f"{which}_{name}", hide_index=True, placeholder=MISSING)
'''


def made() -> dict[str, object]:
    """What the pages draw from their caches: a gauge, a chart, a plain table, a coloured and formatted one."""
    from ui.county import MISSING, _shown

    frame = pd.DataFrame({"單位": ["甲", "乙", "丙"], "名次": pd.array([1, 2, None], dtype="Int64"),
                          "1.1 比率": [50.0, 40.7407, None]})
    colours = pd.DataFrame([["", "", "background-color: #E2EFDA"], ["", "", "background-color: #F8CBAD"],
                            ["", "", ""]], columns=frame.columns)
    return {
        "gauge": lambda: go.Figure(go.Indicator(mode="gauge+number", value=40.74, number={"suffix": "%"},
                                                title={"text": "公文線上簽核比率"}, gauge={"axis": {"range": [0, 100]}})),
        "chart": lambda: go.Figure(go.Scatter(x=["1月", "2月", "3月"], y=[1, 3, 2], name="實際")),
        "table": lambda: frame.copy(),
        "styled": lambda: frame.copy().style.set_uuid("t").apply(lambda _: colours, axis=None).format(
            {"1.1 比率": _shown("%")}, na_rep=MISSING).format(_shown(""), subset=["名次"]),
    }


def _drawn(app: AppTest) -> dict[str, dict[str, bytes]]:
    """Each name's kept and fresh drawing, paired in the script's order (a plain st.dataframe has no id)."""
    charts = [chart.proto.spec.encode() + chart.proto.config.encode() for chart in app.get("plotly_chart")]
    tables = [table.proto.arrow_data.SerializeToString() for table in app.dataframe]
    contents = charts + tables
    return {name: {"kept": contents[2 * index], "fresh": contents[2 * index + 1]}
            for index, name in enumerate(["gauge", "chart", "table", "styled"][:len(contents) // 2])}


def test_a_frozen_object_is_drawn_as_the_same_object_made_afresh():
    app = AppTest.from_string(SCRIPT, default_timeout=TIMEOUT).run()
    assert not app.exception, [error.value for error in app.exception]
    for run in range(3):  # the first draw makes the encodings; the later ones take them
        drawn = _drawn(app)
        assert sorted(drawn) == ["chart", "gauge", "styled", "table"], run
        for name, both in drawn.items():
            assert both["kept"] == both["fresh"], (run, name)
        app.run()
        assert not app.exception
    kept = app.session_state["kept"]
    assert all(getattr(thing, "_kpi_encoded") for thing in kept.values())  # the encodings were kept
    assert b"40.74%" in drawn["styled"]["kept"] and b"#E2EFDA" in drawn["styled"]["kept"].upper()


def test_only_figures_and_tables_are_frozen_and_a_copy_is_not():
    table = frozen(pd.DataFrame({"a": [1]}))
    styler = frozen(pd.DataFrame({"a": [1]}).style)
    assert is_frozen(table) and is_frozen(styler) and is_frozen(styler.data)
    assert not is_frozen(table.copy()) and not is_frozen(go.Figure(frozen(go.Figure())))
    assert frozen(table) is table
    with pytest.raises(TypeError, match="list"):
        frozen([1, 2])


def test_sessions_drawing_a_new_frozen_styler_at_once_keep_its_true_encoding():
    """Each session's script runs in a thread of its own; a Styler's compute and translate change the Styler itself,
    so the first draw of a shared one is made once, under its lock (found by review: without it, cells lost their
    colours for good in some tries)."""
    import sys
    import threading

    import numpy as np
    from streamlit.elements import arrow
    from streamlit.proto.ArrowData_pb2 import ArrowData

    rows, columns = 40, 16
    frame = pd.DataFrame(np.arange(rows * columns, dtype=float).reshape(rows, columns),
                         columns=[f"c{index}" for index in range(columns)])
    colours = pd.DataFrame([["background-color: #E2EFDA"] * columns] * rows, columns=frame.columns)

    def make():
        return frame.style.set_uuid("t").apply(lambda _: colours, axis=None)

    def draw(styler) -> bytes:
        proto = ArrowData()
        arrow.marshall_styler(proto, styler, "unused")  # as st.dataframe calls it (ui.frozen's)
        return proto.styler.SerializeToString()

    expected = draw(make())
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-5)  # makes the interleaving likelier; it happened at the default 5 ms as well
    try:
        for _ in range(20):
            shared = frozen(make())
            barrier = threading.Barrier(4)
            threads = [threading.Thread(target=lambda: (barrier.wait(), draw(shared))) for _ in range(4)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            assert draw(shared) == expected  # what every later rerun of every session shows
    finally:
        sys.setswitchinterval(interval)


def test_importing_the_module_again_patches_the_library_functions_not_the_patches():
    import importlib

    import plotly.io

    import ui.frozen

    original = plotly.io.to_json._frozen_original
    importlib.reload(ui.frozen)
    assert plotly.io.to_json._frozen_original is original
    assert plotly.io.to_json.__module__ == "ui.frozen"
