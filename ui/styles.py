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
  [data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"], [data-testid="stHeader"],
  [data-testid="stToolbar"], [data-testid="stDecoration"], [data-testid="stStatusWidget"],
  [data-testid="stBaseButton-secondary"], [data-testid="stBaseButton-primary"], .stButton, .stDownloadButton,
  footer { display: none !important; }
  [data-testid="stMain"], .block-container { padding: 0 !important; margin: 0 !important; max-width: 100% !important; }
  [data-testid="stVerticalBlockBorderWrapper"], .stPlotlyChart { break-inside: avoid; page-break-inside: avoid; }
}
"""


def page_style() -> str:
    return f"<style>{SCREEN}{PRINT}</style>"
