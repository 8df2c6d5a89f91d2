"""A kind of indicator is one registered object (metrics.plans.kinds): no other module decides by a kind's name."""

import re
from pathlib import Path

import pytest

from metrics.plans.kinds import KINDS

ROOT = Path(__file__).resolve().parent.parent
REGISTRY = {ROOT / "metrics" / "plans" / "kinds.py", ROOT / "metrics" / "plans" / "formulas.py"}
SOURCES = sorted(path for folder in ("metrics", "ui", "pages", "sample_data") for path in (ROOT / folder).rglob("*.py")
                 if path not in REGISTRY) + [ROOT / "dashboard.py"]
NAMES = "|".join(re.escape(key) for key in KINDS)
FORBIDDEN = {
    "a comparison of an indicator's formula": re.compile(r"\.formula\s*(==|!=|\bin\b|\bnot\s+in\b)"),
    "a comparison with a kind's name": re.compile(rf"(==|!=)\s*[\"']({NAMES})[\"']|[\"']({NAMES})[\"']\s*(==|!=)"),
    "a table keyed by kind names": re.compile(rf"[\"']({NAMES})[\"']\s*:"),
    "the formulas registry of before": re.compile(r"\bFORMULAS\b"),
}


def test_the_scan_sees_the_sources():
    assert len(SOURCES) > 30
    assert ROOT / "metrics" / "outputs" / "presentation.py" in SOURCES and ROOT / "ui" / "plans.py" in SOURCES


@pytest.mark.parametrize("path", SOURCES, ids=lambda path: str(path.relative_to(ROOT)))
def test_no_module_outside_the_registry_decides_by_a_kind_name(path):
    found = [f"{path.relative_to(ROOT)}:{number}: {what}: {line.strip()}"
             for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
             for what, pattern in FORBIDDEN.items() if pattern.search(line)]
    assert not found, "\n".join(found)


@pytest.mark.parametrize("line", [
    'if indicator.formula == "reduction_rate":',
    "elif indicator.formula != 'count' and x:",
    'LABELS = {"percent": "…"}',
    'if "quotient" == kind:',
    "FORMULAS[indicator.formula](indicator)",
])
def test_the_scan_would_catch_a_kind_name_decision(line):
    assert any(pattern.search(line) for pattern in FORBIDDEN.values())


@pytest.mark.parametrize("line", [
    'gap_rule: str = "count"  # key of formulas.GAP_RULES',
    "COUNT = \"count\"",
    "return indicator.kind.compute(indicator, values, fields)",
])
def test_the_scan_lets_other_uses_of_the_words_be(line):
    assert not any(pattern.search(line) for pattern in FORBIDDEN.values())
