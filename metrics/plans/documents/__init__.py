"""Plan documents in: a unit's 施政計畫 (.txt, .docx, .odt, text-layer .pdf) read into a PlanDraft.

    readers.py   the registry of readers: a document's bytes into rows of text (a paragraph is a row of one
                 cell, a table row keeps its cells), whatever the format
    tables.py    the 參、年度績效指標 table found among the rows, rows cut by a page break joined again
    draft.py     the frozen PlanDraft: goals, indicators, proposed formulas and fields, what needs a decision
    proposal.py  a formula proposed from a 衡量標準, its operands matched to the catalogue's fields
    render.py    a draft as a plan TOML that `plans check` accepts (its new fields in it), and the --json shape

    rows = read_document(data, "政風處112年度施政計畫.docx")
    draft = parse_document(rows, catalogue, year=112, unit="政風處")
    text = plan_toml(draft)
"""

from metrics.plans.documents.draft import (Decision, DraftGoal, DraftIndicator, PlanDraft, ProposedField,
                                           parse_document)
from metrics.plans.documents.readers import READERS, DocumentRow, read_document
from metrics.plans.documents.render import draft_json, draft_plan, plan_toml

__all__ = ["READERS", "Decision", "DocumentRow", "DraftGoal", "DraftIndicator", "PlanDraft", "ProposedField",
           "draft_json", "draft_plan", "parse_document", "plan_toml", "read_document"]
