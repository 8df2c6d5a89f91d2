"""Widgets shared by pages whose choice must survive switching pages (widget state is dropped
when its page is not rendered, so the choice is also kept under a key of our own)."""

from __future__ import annotations

import re
import string
from collections.abc import Callable, Sequence
from typing import Any

import streamlit as st

from metrics.errors import KpiError, Problem
from metrics.texts import visible

INDICATOR_TABLE_HEIGHT = 35 * 14 + 3  # a header and the 13 indicators, without scrolling
FLASH_KEY = "flash_messages"

MARKDOWN_SPECIALS = frozenset(string.punctuation)
WORD_JOINER = "\u2060"
# GitHub-flavoured Markdown turns bare addresses into links after escapes are resolved, so a backslash cannot
# stop it; an invisible word joiner inside "http://", "www." and "@" does.
AUTOLINK_START = re.compile(r"(?i)https?(?=:)|www(?=\.)|@")


def escape_markdown(text: object) -> str:
    """`text` (typed by a user or read from a file) as Markdown that Streamlit shows literally: every ASCII
    punctuation mark backslash-escaped (links, images, HTML, emphasis, LaTeX `$`, `:red[…]` and `:material/…:`
    directives), bare addresses kept from becoming links, and line breaks kept. None is ''."""
    if text is None:
        return ""
    # A control or bidirectional character stored before the cleaning rule is shown as \u001b, never obeyed.
    joined = AUTOLINK_START.sub(lambda match: match.group(0) + WORD_JOINER, visible(str(text)))
    escaped = "".join(f"\\{character}" if character in MARKDOWN_SPECIALS else character for character in joined)
    return escaped.replace("\r\n", "\n").replace("\n", "  \n")


def flash(kind: str, text: str) -> None:
    """A message shown once at the top of the next run (after a callback or a rerun)."""
    st.session_state.setdefault(FLASH_KEY, []).append((kind, text))


def show_flash() -> None:
    for kind, text in st.session_state.pop(FLASH_KEY, []):
        getattr(st, kind)(text)


def _remember(widget_key: str, own_key: str) -> None:
    st.session_state[own_key] = st.session_state[widget_key]


def remembered_selectbox(label: str, options: Sequence[Any], key: str, *, default: Any,
                         format_func: Callable[[Any], str] = str, sidebar_help: str | None = None) -> Any:
    """A selectbox that keeps the user's choice across pages and otherwise follows `default`
    (e.g. the latest reported month, which moves when a new month is uploaded)."""
    own_key = f"{key}_chosen"
    chosen = st.session_state.get(own_key)
    st.session_state[key] = chosen if chosen in options else default
    return st.selectbox(label, options, key=key, format_func=format_func, help=sidebar_help,
                        on_change=_remember, args=(key, own_key))


def show_problems(file_name: str, problems: Sequence[Problem], *, limit: int = 50) -> None:
    """A file's problems as one error box: where, what, and how to fix it."""
    lines = [f"- {escape_markdown(problem)}" for problem in problems[:limit]]
    if len(problems) > limit:
        lines.append(f"- …另有 {len(problems) - limit:,} 項問題未列出")
    st.error(f"**{escape_markdown(file_name)}**：有 {len(problems):,} 項問題，請修正後重新上傳。\n\n" + "\n".join(lines))


CONFIRMATION_KEY = "pending_confirmation"


def ask_confirmation(kind: str, subject: object) -> None:
    """Open a confirmation dialog on this and every following run until it is answered or dismissed (a dialog
    opened only by a button's click would lose the answer: the click is gone on the run the answer makes)."""
    st.session_state[CONFIRMATION_KEY] = (kind, subject)


def pending_confirmation(kind: str) -> object | None:
    pending = st.session_state.get(CONFIRMATION_KEY)
    return pending[1] if isinstance(pending, tuple) and pending[0] == kind else None


def settle_confirmation() -> None:
    """The question answered, cancelled or dismissed: the dialog stays closed."""
    st.session_state.pop(CONFIRMATION_KEY, None)


def confirmation_buttons(label: str, confirm_key: str, cancel_key: str, act: Callable[[], str | None], *,
                         describe: Callable[[KpiError], str] = escape_markdown) -> None:
    """The two buttons of a confirmation dialog: either answer closes it. `act` makes the change and returns the
    message to show (None: it said so itself); a KpiError it raises is shown instead."""
    confirm, cancel = st.columns(2)
    if confirm.button(label, type="primary", key=confirm_key):
        settle_confirmation()
        try:
            message = act()
        except KpiError as error:
            flash("error", describe(error))
        else:
            if message:
                flash("success", message)
        st.rerun()
    if cancel.button("取消", key=cancel_key):
        settle_confirmation()
        st.rerun()
