"""Background loads step aside while someone is at the keyboard.

Loads run in worker threads, and the interpreter runs one thread at a time: while a scan
holds it, every step of the UI's event loop waits up to the 5 ms switch interval to get it
back, and a key that takes twenty steps waits 100 ms. So the workers' progress and cancel
checks (every few hundred runs) also pause the worker while keys or clicks are arriving,
and the UI gets the interpreter to itself. A held-down key cannot starve a load: a worker
steps aside for at most STEP_ASIDE_MAX_S at a time.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

QUIET_S = 0.25  # input this recent means someone is still at it
STEP_ASIDE_MAX_S = 1.0

_last_input = float("-inf")  # time.monotonic() of the last key or click


def note_input() -> None:
    """The UI thread saw a key or a click."""
    global _last_input
    _last_input = time.monotonic()


def last_input() -> float:
    """time.monotonic() of the last key or click (-inf before the first)."""
    return _last_input


def step_aside() -> None:
    """In a worker, between chunks of work: wait until input has been quiet for QUIET_S,
    or STEP_ASIDE_MAX_S at most."""
    deadline = time.monotonic() + STEP_ASIDE_MAX_S
    while True:
        now = time.monotonic()
        until = min(_last_input + QUIET_S, deadline)
        if now >= until:
            return
        time.sleep(until - now)


def cancel_check(worker: Any) -> Callable[[], bool]:
    """A store's `cancelled()` callback for a Textual worker that also steps aside."""

    def cancelled() -> bool:
        step_aside()
        return bool(worker.is_cancelled)

    return cancelled
