"""The one place the UI asks what time it is.

Relative times ("3h ago") depend on now; tests patch `now_ms` so a screen reads the same
on every run. Call it as `clock.now_ms()` (module attribute), never import the function.
"""

from __future__ import annotations

import time


def now_ms() -> int:
    return int(time.time() * 1000)
