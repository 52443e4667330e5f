"""A focus change updates only the parts of the screen whose look it changes.

Textual's `Screen.focused` is a reactive that repaints the whole screen whenever focus
moves, so every `tab`, `/` or `escape` sent a full-screen update: the compositor cut every
widget's lines again (from their caches: a few milliseconds) and every cell of the screen
went to the terminal again, over SSH too. The widgets whose look depends on focus repaint
themselves anyway, through their `:focus` and `:focus-within` styles and their own focus
handlers (an Input's cursor, the key bar's bindings), and those parts are all that is sent:
with NavTable's focus tint gone as well, `/` on the main screen at 120x40 sends 20 kB to the
terminal instead of 31, `escape` 15 instead of 25.
"""

from __future__ import annotations

from textual.reactive import Reactive
from textual.widget import Widget


class QuietFocus:
    """Mixin for a Screen, before it in the bases (Textual takes reactives along the MRO)."""

    focused: Reactive[Widget | None] = Reactive(None, repaint=False)
