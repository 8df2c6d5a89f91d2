"""Each source has one name everywhere (issue 19: 人員名冊/人事名冊 and 案件登記簿/政風案件紀錄 named the same
sources): the names come from metrics.intake.exports.common.SOURCE_NAMES, and no page, message, report or document
uses another name for them."""

from __future__ import annotations

from pathlib import Path

import pytest

from metrics.evaluation.completeness import SOURCE_LABELS
from metrics.intake.exports import SOURCES
from metrics.intake.exports.common import SOURCE_NAMES

ROOT = Path(__file__).resolve().parent.parent
# Other names the same sources went by; a file's own title (e.g. a roster headed 「人員名冊」) is data, not ours.
ALTERNATIVES = {"roster": ("人員名冊", "人事資料表"), "case_log": ("案件登記簿", "案件紀錄簿", "政風案件登記")}
SHOWN = ("dashboard.py", "README.md", "pages", "ui", "metrics", "docs", "plans", "sample_data")


def shown_files() -> list[Path]:
    files = []
    for name in SHOWN:
        path = ROOT / name
        files += [path] if path.is_file() else [file for file in path.rglob("*")
                                                if file.suffix in (".py", ".md", ".toml", ".txt")]
    return files


def test_the_names_are_the_ones_the_documents_use():
    assert SOURCE_NAMES == {"document_log": "公文清單", "roster": "人事名冊", "ledger": "歲出預算執行表",
                            "case_log": "政風案件紀錄"}


@pytest.mark.parametrize("source", sorted(SOURCE_NAMES))
def test_every_label_of_a_source_starts_with_its_one_name(source):
    assert SOURCE_LABELS[source] == SOURCE_NAMES[source]
    assert SOURCES[source].label.startswith(SOURCE_NAMES[source])


def test_no_shown_text_uses_another_name_for_a_source():
    files = shown_files()
    assert len(files) > 50
    found = [f"{file.relative_to(ROOT)}:{number}: {alternative}" for file in files
             for number, line in enumerate(file.read_text(encoding="utf-8").splitlines(), start=1)
             for alternatives in ALTERNATIVES.values() for alternative in alternatives if alternative in line]
    assert found == []
