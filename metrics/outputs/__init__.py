"""Outputs: the evaluation in the words and forms people read, still without streamlit.

    presentation.py  what the dashboard shows: captions, formulas written out, tables, months, scenarios
    charts.py        the Plotly figures, as plain functions of the evaluation
    report.py        the month's official indicator table as an .xlsx workbook, ready to print on A4
    pdf_report.py    the month's report as a PDF, one A4 landscape page per unit and month
    annual/          the unit's year-end 施政績效報告 (of a year or a checkpoint of the cycle): the model, then its .docx and PDF
    template.py      the monthly report workbook (月報) the upload page hands out, optionally pre-filled
    audit_names.py   the audit trail in users' words: internal names put into the names users know
    notes.py         how long a 落後原因 or 改進措施 may be, and how a longer one is shortened where printed
    batches.py       what undoing an upload batch changes back, month by month, in the confirmation's words
"""
