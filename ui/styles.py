"""The pages' style sheet: what the screen hides or changes in Streamlit's own widgets, and what printing keeps.

Two parts so they can change apart: SCREEN for every screen size (phones included), PRINT for @media print."""

from __future__ import annotations

SCREEN = """
/* Streamlit's own English hints; the pages say the same in Chinese where it matters. */
[data-testid="InputInstructions"], [data-testid="stFileUploaderDropzoneInstructions"] { display: none !important; }
/* The uploader's button says "Upload" and has no option for its words: the text is drawn in Chinese instead
   (ui/screen.py also replaces the word itself, for screen readers; this holds before that script runs). */
[data-testid="stFileUploaderDropzone"] button [data-testid="stMarkdownContainer"] p { font-size: 0; }
[data-testid="stFileUploaderDropzone"] button [data-testid="stMarkdownContainer"] p::after {
  content: "選擇檔案"; font-size: 0.875rem;
}
"""

PRINT = """
@media print {
  @page { size: A4 landscape; margin: 8mm; }
  /* controls and navigation: nothing to do on paper (nor 報表匯出's year-end report section: its own files print) */
  [data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"], [data-testid="stHeader"],
  [data-testid="stToolbar"], [data-testid="stDecoration"], [data-testid="stStatusWidget"],
  [data-testid="stBaseButton-secondary"], [data-testid="stBaseButton-primary"], .stButton, .stDownloadButton,
  [data-testid="stPageLink"], [data-testid="stCheckbox"], [data-testid="stElementToolbar"],
  .st-key-annual_report, footer { display: none !important; }
  [data-testid="stMain"], .block-container { padding: 0 !important; margin: 0 !important; max-width: 100% !important; }
  /* Streamlit prints columns one under another, each a full page wide: keep them side by side */
  [data-testid="stHorizontalBlock"] { display: flex !important; flex-direction: row !important;
    flex-wrap: nowrap !important; gap: 0.5rem !important; }
  [data-testid="stColumn"] { min-width: 0 !important; }
  /* the overview (its gauges keyed overview_gauge_…), laid out for the screen, at a bit under half size: the 13
     gauges with their lines on two pages; a goal's box is never cut in two */
  .block-container:has([class*="st-key-overview_gauge_"]) { zoom: 0.45; padding-right: 2.5rem !important; }
  .block-container:has([class*="st-key-overview_gauge_"]) [data-testid="stCaptionContainer"] {
    font-size: 0.95rem !important; line-height: 1.25 !important; }
  .block-container:has([class*="st-key-overview_gauge_"]) h4 { padding: 0 0 0.2rem 0 !important; }
  [data-testid="stVerticalBlock"] { gap: 0.4rem !important; }
  [data-testid="stVerticalBlock"]:has(> [data-testid="stElementContainer"] .stPlotlyChart) {
    break-inside: avoid; page-break-inside: avoid; }
  /* the report table: wrapped, smaller, its header row repeated on each page, no row cut in two */
  h1 { font-size: 1.4rem !important; padding: 0 0 0.3rem 0 !important; }
  .kpi-report { font-size: 7.5pt !important; }
  .kpi-report thead { display: table-header-group; }
  .kpi-report tr { break-inside: avoid; page-break-inside: avoid; }
}
"""


def page_style() -> str:
    return f"<style>{SCREEN}{PRINT}</style>"
