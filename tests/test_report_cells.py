"""Report cells Excel would mangle (issue 13 item 11): notes too long for a cell, rows taller than Excel allows,
and the guard against formulas checked by opening the file in LibreOffice (when installed; CI does not)."""

from __future__ import annotations

import csv
import io
import shutil
import subprocess
from types import SimpleNamespace

import openpyxl
import pytest

from catalogues import PLAN_112
from metrics.evaluation.core import evaluate
from metrics.evaluation.figures import Figures
from metrics.outputs.notes import NOTE_LIMIT, shortened
from metrics.outputs.report import EXCEL_TEXT_LIMIT, MAX_ROW_HEIGHT, build_report, report_values
from test_report import row


@pytest.mark.parametrize(("length", "limit", "expected"), [
    (0, 10, ""),
    (10, 10, "甲" * 10),  # at the limit: unchanged
    (11, 20, "甲" * 11),
    (21, 20, "甲" * 5 + "…（全文共 21 字，見系統）"),  # 20 characters in all, the marker being 15
    (40000, EXCEL_TEXT_LIMIT, "甲" * (EXCEL_TEXT_LIMIT - 19) + "…（全文共 40,000 字，見系統）"),
])
def test_shortened(length: int, limit: int, expected: str) -> None:
    result = shortened("甲" * length, limit)
    assert result == expected and len(result) <= limit


# the marker 「…（全文共 2,001 字，見系統）」 is 18 characters, with 10,000 it is 19
@pytest.mark.parametrize(("length", "kept"), [(NOTE_LIMIT, None), (NOTE_LIMIT + 1, NOTE_LIMIT - 18),
                                              (10000, NOTE_LIMIT - 19)])
def test_a_note_longer_than_the_limit_is_cut_in_the_report_and_says_so(length: int, kept: int | None) -> None:
    notes = {"1": SimpleNamespace(reason="因" * length, action="改進")}
    first = report_values(evaluate(Figures.from_mapping(PLAN_112, {}), 3), notes)[0]
    assert first["action"] == "改進"
    if kept is None:
        assert first["reason"] == "因" * length
        return
    assert first["reason"] == "因" * kept + f"…（全文共 {length:,} 字，見系統）"
    assert len(first["reason"]) == NOTE_LIMIT


def test_a_text_longer_than_an_excel_cell_is_cut_visibly() -> None:
    data = build_report([row("1. 目標", "1 指標", "1", reason="因" * 40000)], title="t", subtitle="s")
    value = openpyxl.load_workbook(io.BytesIO(data)).active["J4"].value
    assert len(value) == EXCEL_TEXT_LIMIT and value.endswith("…（全文共 40,000 字，見系統）")


# The 落後原因 column is 30 characters wide, 29 usable: 14 CJK characters (28) fit a line, 15 (30) need two;
# a line is 15 pt, and Excel refuses a row taller than 409 pt (27 lines are 405 pt, 28 would be 420).
@pytest.mark.parametrize(("characters", "height"), [
    (0, 15), (14, 15), (15, 30), (391, 405), (392, MAX_ROW_HEIGHT), (NOTE_LIMIT, MAX_ROW_HEIGHT),
    (30000, MAX_ROW_HEIGHT),
])
def test_row_heights_stop_at_excels_maximum(characters: int, height: float) -> None:
    data = build_report([row("1. 目標", "1 指標", "1", reason="因" * characters)], title="t", subtitle="s")
    assert openpyxl.load_workbook(io.BytesIO(data)).active.row_dimensions[4].height == height


def test_a_long_goal_does_not_make_its_last_row_taller_than_excel_allows() -> None:
    rows = [row("1. " + "目標" * 3000, "1 指標", "1"), row("1. " + "目標" * 3000, "2 指標", "1")]
    sheet = openpyxl.load_workbook(io.BytesIO(build_report(rows, title="t", subtitle="s"))).active
    assert [sheet.row_dimensions[number].height for number in (4, 5)] == [15, MAX_ROW_HEIGHT]


TYPED = ["=1+1", "-1+2", "+3", "@SUM(A1)", "- 加強宣導", "-2", "一般文字"]


@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice 未安裝（僅在有 LibreOffice 的電腦上檢查）")
def test_libreoffice_shows_every_text_as_typed_and_computes_none(tmp_path) -> None:
    rows = [row("1. 目標", f"{number} 指標", "1", reason=text, action=text) for number, text in enumerate(TYPED, 1)]
    source = tmp_path / "報表.xlsx"
    source.write_bytes(build_report(rows, title="=TITLE()", subtitle="- 說明"))
    subprocess.run(["soffice", f"-env:UserInstallation=file://{tmp_path / 'profile'}", "--headless",
                    "--convert-to", "csv:Text - txt - csv (StarCalc):44,34,76,1", "--outdir", str(tmp_path),
                    str(source)], check=True, capture_output=True, timeout=180)
    table = list(csv.reader((tmp_path / "報表.csv").read_text(encoding="utf-8").splitlines()))
    assert table[0][0] == "=TITLE()" and table[1][0] == "- 說明"
    assert [(line[9], line[10]) for line in table[3:3 + len(TYPED)]] == [(text, text) for text in TYPED]
