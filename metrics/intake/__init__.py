"""The intake: every uploaded file, from its bytes to the monthly figures it gives, in the order a file goes.

    upload.py        an upload, made once per file: name, bytes, digest, the opened workbook, what was learnt
    selection.py     the files of one selection: each content once (which may be stored: metrics.services.selection)
    safety.py        refusing unsafe or unusable files before any parser sees them (sizes, zip, CSV lines)
    sheet_xml.py     the one scanner of a workbook's XML, used by the safety checks and the readers
    readers.py       the readers (月報範本, 長表, each system export) and how well each recognises a file
    monthly.py       the monthly template and the long table, read whole
    monthly_table.py a monthly table in a sheet: its header, what the cells above it say, the reads of one row
    wide_table.py    the template's layout (one column per month), row by row
    long_table.py    the long table's layout (one figure per row), row by row
    extract.py       a system export's first rows and used columns (metrics.intake.exports aggregates them)
    sheet_stream.py  an export sheet's used columns streamed from its XML
    exports/         each system export (公文清單, 人事名冊, 歲出預算執行表, 政風案件紀錄) to monthly figures
    parsing.py       the values civil servants type: ROC years and dates, month headers, numbers, Big5/CP950 text
    columnar.py      a monthly table read column by column, each distinct cell parsed once
    tidy.py          the tidy frame every reader produces: one row per (year, month, unit, field)
    validation.py    the domain rules every tidy frame satisfies before it is stored
    conflicts.py     files chosen together that give different values for the same month and field
    sources.py       one read per file for the page and the command line, remembered column mappings included

The store receives the figures and the digest (FileDigest), never the bytes.
"""

from metrics.intake.upload import FileDigest, Upload

__all__ = ["FileDigest", "Upload"]
