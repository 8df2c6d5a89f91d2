"""Raw system exports in, monthly figures out.

Four kinds of export become the contract's monthly fields, as the same tidy frame the template
reader produces (metrics.evaluation.figures): the 公文管理系統 document log, the personnel roster, the
歲出預算執行 ledger and the office's case log. Only monthly aggregates leave this package; names,
ID numbers, case text and raw rows never reach the frame, the notes or any message.

    result = read_export(data, "公文清單.xlsx")            # detects the source and its columns
    result.frame                                           # year, month, unit, field, value, source_*
    except MappingNeeded as needed: ... read_export(data, name, source=needed.source, mapping={...})
"""

from metrics.intake.exports.api import preview, read_export
from metrics.intake.exports.common import (
    ColumnSpec,
    ExportOptions,
    ExportResult,
    MappingNeeded,
    SourceSpec,
    mapping_signature,
)
from metrics.intake.exports.detect import SOURCES, detect_source

__all__ = [
    "SOURCES",
    "ColumnSpec",
    "ExportOptions",
    "ExportResult",
    "MappingNeeded",
    "SourceSpec",
    "detect_source",
    "mapping_signature",
    "preview",
    "read_export",
]
