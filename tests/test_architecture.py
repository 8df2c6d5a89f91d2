"""The folders of metrics/ are layers in the order the data flows through them; a module imports only its own
layer, the layers before it and the shared base modules (errors, location, names, texts). Checked by reading every
import of every module (also those inside functions), without importing anything."""

from __future__ import annotations

import ast
from pathlib import Path

METRICS = Path(__file__).resolve().parent.parent / "metrics"
LAYERS = ("plans", "intake", "store", "evaluation", "outputs", "services", "cli")
BASE = {"errors", "location", "names", "texts"}
ENTRY = {"__init__", "__main__"}  # the package's docstring and `python -m metrics`


def _imports(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0, f"{path}: a relative import"
            found.add(node.module or "")
    return {name for name in found if name == "metrics" or name.startswith("metrics.")}


def _rank(module: str) -> int | None:
    """A metrics module's layer (its index in LAYERS), -1 for a base module, None for the package itself."""
    parts = module.split(".")
    if len(parts) < 2:
        return None
    if parts[1] in BASE:
        return -1
    assert parts[1] in LAYERS, f"{module}: metrics/{parts[1]} is neither a layer nor a base module"
    return LAYERS.index(parts[1])


def _against_the_order() -> set[tuple[str, str]]:
    wrong = set()
    for path in sorted(METRICS.rglob("*.py")):
        relative = path.relative_to(METRICS.parent)
        parts = path.relative_to(METRICS).with_suffix("").parts
        if len(parts) == 1 and parts[0] in ENTRY:
            continue
        own = _rank("metrics." + ".".join(parts))
        for module in _imports(path):
            target = _rank(module)
            if target is None or target > own or (own == -1 and target != -1):
                wrong.add((relative.as_posix(), module))
    return wrong


def test_every_folder_of_metrics_is_a_layer_or_a_base_module():
    folders = {path.name for path in METRICS.iterdir() if path.is_dir() and path.name != "__pycache__"}
    modules = {path.stem for path in METRICS.glob("*.py")} - ENTRY
    assert folders == set(LAYERS) and modules == BASE


def test_no_module_imports_a_later_layer():
    assert _against_the_order() == set()


def test_the_store_never_imports_what_reads_it():
    assert {(path, module) for path, module in _against_the_order() if path.startswith("metrics/store/")} == set()
