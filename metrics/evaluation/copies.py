"""Two copies of a store compared: the same rows per table and the same evaluation for every (year, unit, month),
each with the plans its own store holds (after a copy or a restore, metrics.store.transfer)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from metrics.evaluation.core import evaluate
from metrics.evaluation.figures import Figures
from metrics.plans.catalogue import Catalogue
from metrics.names import TABLE_LABELS
from metrics.store import Store

Progress = Callable[[str], None]


def _quiet(_message: str) -> None:
    return None


@dataclass(frozen=True)
class Verification:
    """Two stores compared: the same rows per table, the same evaluation for every (year, unit, month)."""

    evaluations: int  # (year, unit, month) evaluated in both
    differences: tuple[str, ...]  # what differs, in words; empty when the stores agree

    @property
    def identical(self) -> bool:
        return not self.differences

    def summary(self) -> str:
        if self.identical:
            return f"驗證通過：兩個資料庫各資料表筆數相同，{self.evaluations:,} 個（年度、單位、月份）的評核結果完全一致。"
        shown = "\n  ・".join(self.differences[:20])
        more = f"\n  …另 {len(self.differences) - 20:,} 處" if len(self.differences) > 20 else ""
        return f"驗證未通過，有 {len(self.differences):,} 處不同：\n  ・{shown}{more}"


def evaluation_keys(store: Store, catalogue: Catalogue) -> list[tuple[int, str]]:
    """Every (year, unit) the store holds figures of and that has a plan in the catalogue."""
    frame = store.current_frame()
    held = {(int(year), str(unit)) for year, unit in zip(frame["year"], frame["unit"])}
    return sorted(key for key in held if key in catalogue.plans)


def verify(source: Store, target: Store, files: Catalogue, *, progress: Progress = _quiet) -> Verification:
    """Whether two stores hold the same rows and evaluate every (year, unit, month) alike, with the plans each
    store has (its stored versions, else the plan files)."""
    from metrics.plans.planning import stored_catalogue

    differences: list[str] = []
    source_counts, target_counts = source.row_counts(), target.row_counts()
    for name in sorted(set(source_counts) | set(target_counts)):
        if source_counts.get(name, 0) != target_counts.get(name, 0):
            differences.append(f"{TABLE_LABELS.get(name, name)}：來源 {source_counts.get(name, 0):,} 筆，"
                               f"目標 {target_counts.get(name, 0):,} 筆")
    catalogues = (stored_catalogue(source, files), stored_catalogue(target, files))
    keys = evaluation_keys(source, catalogues[0])
    if keys != evaluation_keys(target, catalogues[1]):
        differences.append("兩個資料庫有數字且有計畫的（年度、單位）不同")
    evaluations = 0
    for year, unit in keys:
        progress(f"驗證 {unit} {year} 年")
        frames = (source.current_frame(year=year, unit=unit), target.current_frame(year=year, unit=unit))
        plans = (catalogues[0].plan(year, unit), catalogues[1].plan(year, unit))
        figures = [Figures.from_frame(plan, frame) for plan, frame in zip(plans, frames)]
        for month in range(1, 13):
            documents = [evaluate(one, month).to_json() for one in figures]
            evaluations += 1
            if documents[0] != documents[1]:
                differences.append(f"{unit} {year} 年 {month} 月的評核結果不同")
    return Verification(evaluations, tuple(differences))
