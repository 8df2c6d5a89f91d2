"""The folders of metrics/ are layers in the order the data flows through them; a module imports only its own
layer, the layers before it and the shared base modules (errors, location, names, texts). Checked by reading every
import of every module (also those inside functions), without importing anything."""

from __future__ import annotations

import ast
import re
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


# ---- the store says no sentence: it returns data, the services and outputs word it ----

CJK = re.compile(r"[\u3400-\u9fff\uff00-\uffef]")

# Chinese the store keeps in the database, so it is data rather than words: the assessment states, steps and the
# missing from-state as rows hold them, the audit trail's outcomes, the triggers' refusals, migration 1's plan.
STORED = {
    "assessments.py": {"未訂計畫", "未填報", "填報中", "逾期", "已送自評", "退回修正", "初核通過", "已核定",
                       "送出自評", "核定", "重新開放", "尚未送出"},
    "audit.py": {"允許", "拒絕", "失敗"},
    "schema.py": {"操作紀錄只能新增，不能修改或刪除", "操作紀錄只能新增，不能以相同編號取代既有的紀錄", "政風處"},
}
# Still worded inside the store: nothing now; a file or words listed here must also be there (the test below).
NOT_YET_MOVED_FILES: set[str] = set()
NOT_YET_MOVED: dict[str, set[str]] = {}


def _chinese_literals(path: Path) -> set[str]:
    """The string constants of a module (f-strings' fixed parts too) holding Chinese, docstrings left out."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docstrings = {id(node.body[0].value) for node in ast.walk(tree)
                  if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef))
                  and node.body and isinstance(node.body[0], ast.Expr) and isinstance(node.body[0].value, ast.Constant)}
    return {node.value for node in ast.walk(tree) if isinstance(node, ast.Constant) and isinstance(node.value, str)
            and id(node) not in docstrings and CJK.search(node.value)}


def test_the_store_words_nothing_a_person_reads():
    found = {}
    for path in sorted((METRICS / "store").rglob("*.py")):
        name = path.relative_to(METRICS / "store").as_posix()
        if name in NOT_YET_MOVED_FILES:
            continue
        words = _chinese_literals(path) - STORED.get(name, set()) - NOT_YET_MOVED.get(name, set())
        if words:
            found[name] = sorted(words)
    assert found == {}


def test_the_store_allow_lists_hold_only_what_is_there():
    """Once words move out, they leave the lists too: nothing allowed that the store no longer has."""
    stale = {}
    for listed in (STORED, NOT_YET_MOVED):
        for name, words in listed.items():
            missing = words - _chinese_literals(METRICS / "store" / name)
            if missing:
                stale[name] = sorted(missing)
    stale.update({name: ["the file"] for name in NOT_YET_MOVED_FILES
                  if not _chinese_literals(METRICS / "store" / name)})
    assert stale == {}
