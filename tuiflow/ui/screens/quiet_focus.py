"""A focus change repaints only the widgets whose look it changes.

Textual's `Screen.focused` is a reactive that repaints the whole screen whenever focus
moves, so every `tab`, `/` or `escape` re-rendered every widget on screen: about 50 ms of a
`tab` on the 120x40 main screen, for nothing. The widgets whose look depends on focus repaint
themselves anyway, through their `:focus` and `:focus-within` styles and their own focus
handlers (an Input's cursor, the key bar's bindings).
"""

from __future__ import annotations

from textual.reactive import Reactive
from textual.widget import Widget


class QuietFocus:
    """Mixin for a Screen, before it in the bases (Textual takes reactives along the MRO)."""

    focused: Reactive[Widget | None] = Reactive(None, repaint=False)
