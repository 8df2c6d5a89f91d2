"""The dashboard in a real browser: Streamlit served on a free port, Debian's Chromium driven by Playwright."""
