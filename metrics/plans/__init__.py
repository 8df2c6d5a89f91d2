"""Plans and formulas: what each unit promised and how each indicator is computed, before any figure arrives.

    formulas.py   the rules a plan may name: formulas, gap rules, multi-year scoring, and how numbers are written
    kinds.py      every kind of indicator, one registered object each, and the two directions a target points
    plan.py       what a plan is: goals, indicators, the monthly fields that feed them, the checks that make one valid
    catalogue.py  every unit's plan for every year, read from the TOML files of plans/ and checked when loaded
    toml_reading.py  TOML read with the line of every key, so that each problem names its file, key and line
    toml_writing.py  a plan written back to TOML, self-contained (the stored version of a plan)
    plan_checks.py   a plan made in the app checked against the catalogue of today
    planning.py   plans in the store: the catalogue in force, new versions and their changes (seeding: services)
    cycle.py      the performance cycle (plans/cycle.toml): checkpoints, deadlines, lights, who acts at each step
    documents/    a unit's 施政計畫 (.docx, .odt, .pdf, .txt) read into a plan draft: what it says, what is proposed,
                  what needs a decision (`python -m metrics plans import-document`, 計畫管理 → 由計畫書匯入)
"""
