"""Make untrusted strings inert before they reach a terminal.

Run names, params and tags are whatever someone logged: an ESC sequence in a tag value
must be shown, never executed by the user's terminal.
"""

from __future__ import annotations

import re

# C0 controls except tab/newline, DEL, and C1 controls (0x80-0x9f, e.g. CSI U+009B).
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def _escape(match: re.Match[str]) -> str:
    return f"\\x{ord(match.group()):02x}"


def inert(text: str, *, single_line: bool = False) -> str:
    """`text` with control characters spelled out as `\\xNN` (and newlines too if asked)."""
    out = _CONTROL.sub(_escape, text)
    if single_line:
        out = out.replace("\n", "\\n").replace("\t", " ")
    return out
