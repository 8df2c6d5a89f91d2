"""The county briefing (全府簡報): the model (model.py), built from the store's figures and notes apart from its
renderings, the A4 PDF (pdf.py) and the .xlsx (xlsx.py)."""

from metrics.outputs.briefing.model import (Briefing, BehindIndicator, DatedNote, UnitBrief, behind_ids,
                                            build_briefing, collect_notes)

__all__ = ["Briefing", "BehindIndicator", "DatedNote", "UnitBrief", "behind_ids", "build_briefing", "collect_notes"]
