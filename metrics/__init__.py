"""The pure core of the KPI dashboard: the plan as data, exact formulas, evaluation, reading and the store.

Nothing here imports streamlit; the dashboard and `python -m metrics` both drive this package.
"""
