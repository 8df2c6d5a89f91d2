"""Evaluation: the stored monthly figures measured against the plan.

    figures.py       the as-of-month values of one unit's year, from the tidy frame (metrics.intake.tidy)
    core.py          a plan evaluated as of a month: actual, achievement, status, pace, projection, gap, score
    completeness.py  which months are complete: every field the plan's indicators use has a figure
    trends.py        an evaluation over time: the score month by month, against last month and last year
    county.py        the county view: every unit side by side on the common indicators as of a month
    copies.py        two copies of a store compared: the same rows and the same evaluation everywhere
"""
