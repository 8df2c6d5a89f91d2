"""What a reader sees of Markdown that ui.widgets.escape_markdown escaped: the backslash escapes resolved, the invisible
word joiners (which keep bare addresses from becoming links) dropped. Page tests
compare that with the text they expect, as a person would read it."""

from __future__ import annotations

import re
import string

ESCAPE = re.compile("\\\\([" + re.escape(string.punctuation) + "])")
WORD_JOINER = "\u2060"


def seen(markdown: object) -> str:
    return ESCAPE.sub(r"\1", str(markdown)).replace(WORD_JOINER, "")
