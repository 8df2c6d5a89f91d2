"""Plans and formulas: what each unit promised and how each indicator is computed, before any figure arrives.

    formulas.py   the rules a plan may name: formulas, gap rules, multi-year scoring, and how numbers are written
    kinds.py      every kind of indicator, one registered object each, and the two directions a target points
    plan.py       what a plan is: goals, indicators, the monthly fields that feed them, the checks that make one valid
    catalogue.py  every unit's plan for every year, read from the TOML files of plans/ and checked when loaded
    planning.py   plans in the store: seeding it from plans/, the catalogue in force, new versions and their changes
    cycle.py      the performance cycle (plans/cycle.toml): checkpoints, deadlines, lights, who acts at each step
    documents/    a unit's 施政計畫 (.docx, .odt, .pdf, .txt) read into a plan draft: what it says, what is proposed,
                  what needs a decision (`python -m metrics plans import-document`, 計畫管理 → 由計畫書匯入)
"""
