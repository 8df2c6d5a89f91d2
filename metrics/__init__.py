"""The pure core of the KPI dashboard, one folder per step of the data's way, in that order.

    plans/       plans and formulas: what each unit promised and how each indicator is computed
    intake/      every uploaded file, from its bytes to checked monthly figures (templates, long tables, exports)
    store/       the database: every figure, batch, plan version, account and audit row, and its copies
    evaluation/  the figures measured against the plan: achievement, score, completeness, trends, the county
    outputs/     what people read: the dashboard's words, charts, the .xlsx and PDF reports, the template
    services/    the one write layer: the acting account, one permission check, validation and audit
    cli/         `python -m metrics`: the same core from the command line

Beside them, what every layer uses: errors.py (the one exception hierarchy), texts.py (the cleaning rule for every
text entering the store), names.py (file names as stored and shown) and location.py (where the store is, answered
without importing the database layer).

Nothing here imports streamlit; the dashboard and `python -m metrics` both drive this package.
"""
