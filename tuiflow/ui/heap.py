"""Garbage-collector pauses kept off the keyboard.

An open store is hundreds of thousands of live objects: the interpreter's own modules,
Textual's, the loaded runs and the table's cells, all alive as long as the view. CPython's
full collection walks every one of them each time: on the 10k-run benchmark store that was
19 pauses of 50-95 ms in three short sessions (1.2 s in all), landing on key presses. So once
something has been loaded and drawn, what is alive is moved out of the collector's sight
(`gc.freeze`) and later collections walk only what came after.

A frozen object that later becomes garbage is still freed by reference counting; only
garbage in reference cycles waits. Runs and cells have no cycles, screens and widgets do:
so when a pushed screen closes, and when the app ends, the frozen objects are handed back
(`gc.unfreeze`) and the next full collection sees them again. Nothing is held for good.

Young collections still walk the 50,000 objects made since the last one (cli_support's
threshold), 15-40 ms each: typing a filter paid one every dozen keys. So a key or a click
also holds automatic collection off until input has been quiet for HOLD_QUIET_S; the
collection it put off then runs at once, between keys. HOLD_MAX_S bounds it, so a key held
down cannot put collection off for good; it is long (a collection forced in the middle of
typing walks all that was made since the hold began: 90 ms at 1 s) because people pause
between words far more often than that.
"""

from __future__ import annotations

import gc
import time

HOLD_QUIET_S = 0.25
HOLD_MAX_S = 5.0

_held_at: float | None = None  # time.monotonic() when hold() turned collection off


def settle() -> None:
    """Call once a load has been drawn: what is alive now is likely to stay."""
    gc.freeze()


def release() -> None:
    """Call when objects frozen earlier may have become cyclic garbage (a screen closed)."""
    gc.unfreeze()


def hold() -> None:
    """Input arrived (UI thread): no automatic collection until `resume_if_quiet` says so."""
    global _held_at
    if _held_at is None and gc.isenabled():
        gc.disable()
        _held_at = time.monotonic()


def resume_if_quiet(last_input: float) -> bool:
    """Collection back on if input (`last_input`, time.monotonic()) has been quiet for
    HOLD_QUIET_S or it has been held HOLD_MAX_S; whether nothing is held any more."""
    global _held_at
    if _held_at is None:
        return True
    now = time.monotonic()
    if now - last_input < HOLD_QUIET_S and now - _held_at < HOLD_MAX_S:
        return False
    resume()
    return True


def resume() -> None:
    """Collection back on, if `hold` turned it off (the app ends)."""
    global _held_at
    if _held_at is not None:
        _held_at = None
        gc.enable()
