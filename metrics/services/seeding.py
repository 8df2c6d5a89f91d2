"""The plans of plans/ seeding the store: each (year, unit) without a stored version gets its file as version 1,
audited as the system's (the performance cycle's own file is seeded by metrics.services.review)."""

from __future__ import annotations

from metrics.plans.catalogue import Catalogue
from metrics.plans.plan import StoredPlan
from metrics.plans.toml_writing import plan_document
from metrics.store import AuditEntry, Outcome, Store

SEED_AUTHOR = "系統（計畫檔）"
SEED_NOTE = "由計畫檔建立"  # the note of a plan's version 1 seeded from its file


def seed_store(store: Store, files: Catalogue, *, samples: bool = False) -> list[StoredPlan]:
    """Store each plan of `files` that has no version yet as version 1 (sample plans only when asked)."""
    wanted = [(plan.year, plan.unit, plan_document(plan), plan.origin, plan.sample)
              for plan in files.plans.values() if samples or not plan.sample]
    return store.seed_plans(wanted, author=SEED_AUTHOR, note=SEED_NOTE, audit=lambda stored: [
        AuditEntry(SEED_AUTHOR, "計畫版本", Outcome.ALLOWED, f"{plan.unit} {plan.year} 年度計畫第 {plan.number} 版",
                   f"由計畫檔 {plan.origin} 建立", plan.unit, plan.year) for plan in stored])
