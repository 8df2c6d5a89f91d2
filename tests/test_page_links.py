"""The sidebar's links to the pages, made once per process (ui.layout.linked_page), send the browser the same link
as a link given the page's file path: same target page, same address, same label and icon."""

from __future__ import annotations

import shutil
from pathlib import Path

from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parent.parent

SCRIPT = '''
import sys
sys.path.insert(0, {root!r})
import streamlit as st
from streamlit.runtime.scriptrunner import get_script_run_ctx
from ui.layout import PAGES, linked_page
main_script = get_script_run_ctx().main_script_path
for path, label, icon, _ in PAGES:
    st.page_link(path, label=label, icon=icon, query_params={{"month": "3"}})
    st.page_link(linked_page(main_script, path), label=label, icon=icon, query_params={{"month": "3"}})
'''


def test_every_sidebar_link_is_the_link_of_its_file_path(tmp_path: Path) -> None:
    shutil.copytree(ROOT / "pages", tmp_path / "pages")  # the pages are listed, not run
    (tmp_path / "dashboard.py").write_text(SCRIPT.format(root=str(ROOT)), encoding="utf-8")
    app = AppTest.from_file(str(tmp_path / "dashboard.py"), default_timeout=60).run()
    assert not app.exception
    links = [element.proto for element in app.get("page_link")]
    from ui.layout import PAGES
    assert len(links) == 2 * len(PAGES)
    for by_path, by_page in zip(links[::2], links[1::2]):
        assert by_page == by_path
        assert by_page.page_script_hash
    assert [link.page for link in links[::2]][0] == ""  # the overview is the default page


def test_the_app_runs_bare_without_a_streamlit_server(tmp_path: Path) -> None:
    """`python dashboard.py` (and a process spawned by one that ran it, which re-runs its __main__) has no script
    run context: the links are then made for dashboard.py's own folder instead of failing."""
    import os
    import subprocess
    import sys

    environment = {**os.environ, "KPI_DB_URL": f"sqlite:///{tmp_path / 'kpi.sqlite3'}"}
    finished = subprocess.run([sys.executable, "dashboard.py"], cwd=ROOT, env=environment, capture_output=True,
                              text=True, timeout=120)
    assert finished.returncode == 0, finished.stderr[-2000:]
    assert "Traceback" not in finished.stderr, finished.stderr[-2000:]
