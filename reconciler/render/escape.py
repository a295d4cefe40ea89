"""Making user text safe to show: control and invisible characters become visible escapes.

Its own module, importing nothing but `re`, so the CLI can sanitise every line it prints without loading
the plan model that the renderers in `render.values` need.
"""

from __future__ import annotations

import re

# Characters a manifest string must never put in front of a reader raw: C0 and C1 controls (bar tab and
# newline, which callers split on) and DEL, which drive terminals; and the invisible "format" characters
# (Unicode category Cf) with the line and paragraph separators, among them the bidi controls (U+061C,
# U+200E/F, U+202A-E, U+2066-9) that make text display in another order than it is read, zero-width
# characters and tag characters. A name like "prod\u202e1gnp.exe" must not pass for something else in a
# terminal or a PR comment.
INVISIBLE = re.compile(
    r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u00ad\u0600-\u0605\u061c\u06dd\u070f\u0890\u0891\u08e2\u180e"
    r"\u200b-\u200f\u2028-\u202e\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb\U000110bd\U000110cd"
    r"\U00013430-\U0001343f\U0001bca0-\U0001bca3\U0001d173-\U0001d17a\U000e0001\U000e0020-\U000e007f]"
)


def escape_char(char: str) -> str:
    """`\\x1b`, `\\u202e` or `\\U000e0041`: how an invisible character is shown."""
    code = ord(char)
    if code <= 0xFF:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}"


def sanitize(text: str) -> str:
    """Replace control and invisible characters with visible escapes, so user strings can neither emit
    terminal sequences nor reorder or hide what a reader sees."""
    return INVISIBLE.sub(lambda m: escape_char(m.group()), text)
