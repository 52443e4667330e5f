"""Make untrusted strings inert before they reach a terminal.

Run names, params and tags are whatever someone logged: an ESC sequence in a tag value
must be shown, never executed by the user's terminal. Invisible characters that reorder
or hide text ("Trojan Source", CVE-2021-42574) are spelled out too, so two values that
differ never look the same: `abc\\u202etxt.exe` is not shown as `abcexe.txt`.
"""

from __future__ import annotations

import re

# C0 controls except tab/newline, DEL, and C1 controls (0x80-0x9f, e.g. CSI U+009B).
_CONTROL = "\x00-\x08\x0b-\x1f\x7f-\x9f"
# Invisible format characters that can disguise text:
#   U+061C arabic letter mark, U+180E mongolian vowel separator, U+200B zero width space,
#   U+200E/F LRM/RLM, U+2028/9 line/paragraph separators (line breaks to some renderers),
#   U+202A-E bidi embeddings/overrides, U+2060-4 word joiner and invisible operators,
#   U+2066-9 bidi isolates, U+206A-F deprecated format controls, U+FEFF BOM,
#   U+FFF9-B interlinear annotation.
# Kept on purpose: U+200C ZWNJ and U+200D ZWJ (needed in Persian and Indic words and in
# emoji sequences like 👩‍💻), variation selectors and tag characters (emoji, flags).
_FORMAT = (
    "\u061c\u180e\u200b\u200e\u200f\u2028\u2029\u202a-\u202e"
    "\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb"
)
_UNSAFE = re.compile(f"[{_CONTROL}{_FORMAT}]")


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


def inert(text: str, *, single_line: bool = False) -> str:
    """`text` with control and disguising format characters spelled out as `\\xNN` /
    `\\uNNNN` (and newlines too if asked)."""
    out = _UNSAFE.sub(_escape, text)
    if single_line:
        out = out.replace("\n", "\\n").replace("\t", " ")
    return out
