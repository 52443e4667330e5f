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
"""

from __future__ import annotations

import gc


def settle() -> None:
    """Call once a load has been drawn: what is alive now is likely to stay."""
    gc.freeze()


def release() -> None:
    """Call when objects frozen earlier may have become cyclic garbage (a screen closed)."""
    gc.unfreeze()
