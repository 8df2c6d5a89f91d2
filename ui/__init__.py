"""Streamlit glue shared by the pages: cached loaders, session state, the sidebar and shared widgets.

The pages only lay things out; the arithmetic lives in metrics/.
"""
