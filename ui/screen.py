"""What the page does in the browser where Streamlit offers no option: Chinese for Streamlit's own English words
(the tables' toolbar tooltips, the uploader's button, hidden accessibility labels), and on a narrow screen a tap
on a sidebar link closes the sidebar, which otherwise keeps covering the page it opened (the sidebar's own page
list does this, our links, which keep the period in the URL, do not)."""

from __future__ import annotations

import json

import streamlit as st

# Streamlit's words, each as the whole text of a label, tooltip or placeholder.
CHINESE: dict[str, str] = {
    "Download as CSV": "下載 CSV 檔",
    "Show/hide columns": "顯示／隱藏欄位",
    "Search": "搜尋",
    "Fullscreen": "全螢幕",
    "Close fullscreen": "結束全螢幕",
    "Close": "關閉",
    "Upload": "選擇檔案",
    "Browse files": "選擇檔案",
    "Add files": "加入檔案",
    "file upload": "選擇檔案",
    "Skip to main content": "跳至主要內容",
    "Choose an option": "請選擇",
    "Open": "展開",
}
NARROW = "(max-width: 767.98px)"  # below Streamlit's medium breakpoint the sidebar lies over the page

SCRIPT = """
(() => {
  if (window.kpiScreen) return;  // one per browser tab: the page switches without reloading
  window.kpiScreen = true;
  const chinese = new Map(Object.entries(%(chinese)s));  // a Map: no "constructor" inherited from Object
  const attributes = ["aria-label", "placeholder", "title"];
  const translate = (node) => {
    if (node.nodeType === Node.TEXT_NODE) {
      const text = node.nodeValue.trim();
      if (chinese.has(text)) node.nodeValue = chinese.get(text);
      return;
    }
    if (node.nodeType !== Node.ELEMENT_NODE) return;
    for (const element of [node, ...node.querySelectorAll("*")]) {
      for (const name of attributes) {
        const value = element.getAttribute(name);
        if (value && chinese.has(value)) element.setAttribute(name, chinese.get(value));
      }
      for (const child of element.childNodes) {
        if (child.nodeType === Node.TEXT_NODE) translate(child);
      }
    }
  };
  new MutationObserver((records) => {
    for (const record of records) {
      if (record.type === "childList") record.addedNodes.forEach(translate);
      else translate(record.target);  // changed text, or a changed label of this element
    }
  }).observe(document.body, {subtree: true, childList: true, characterData: true, attributes: true,
                             attributeFilter: attributes});
  translate(document.body);
  document.addEventListener("click", (event) => {
    const link = event.target.closest('[data-testid="stSidebar"] a[href]');
    if (!link || !window.matchMedia("%(narrow)s").matches) return;
    const close = document.querySelector('[data-testid="stSidebarCollapseButton"] button');
    if (close) close.click();
  });
})();
"""


def install() -> None:
    """Once per run (it is kept out of the layout); the script itself starts only once per browser tab."""
    script = SCRIPT % {"chinese": json.dumps(CHINESE, ensure_ascii=False), "narrow": NARROW}
    st.html(f"<script>{script}</script>", unsafe_allow_javascript=True)
