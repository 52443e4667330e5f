"""A focus change updates only the parts of the screen whose look it changes.

Textual's `Screen.focused` is a reactive that repaints the whole screen whenever focus
moves, so every `tab`, `/` or `escape` sent a full-screen update: the compositor cut every
widget's lines again (from their caches: a few milliseconds) and every cell of the screen
went to the terminal again, over SSH too. The widgets whose look depends on focus repaint
themselves anyway, through their `:focus` and `:focus-within` styles and their own focus
handlers (an Input's cursor, the key bar's bindings), and those parts are all that is sent:
with NavTable's focus tint gone as well, `/` on the main screen at 120x40 sends 20 kB to the
terminal instead of 31, `escape` 15 instead of 25.

Textual also applies the CSS again to every widget under the outermost one with a
`:focus-within` style (a pane, with its tables), in case a rule such as
`Pane:focus-within Label` styles a descendant by its ancestor's focus. While no rule does,
only the widgets with a `:focus-within` style of their own can look different; the widget
that gains or loses focus updates its own styles as it always does.
"""

from __future__ import annotations

from typing import Any
from weakref import WeakKeyDictionary

from textual.css.stylesheet import Stylesheet
from textual.reactive import Reactive
from textual.widget import Widget

# Stylesheet -> (the rules checked, whether any styles a descendant by :focus-within)
_REACHES_DOWN: WeakKeyDictionary[Stylesheet, tuple[list[Any], bool]] = WeakKeyDictionary()


class QuietFocus:
    """Mixin for a Screen, before it in the bases (Textual takes reactives along the MRO)."""

    focused: Reactive[Widget | None] = Reactive(None, repaint=False)

    def _update_focus_styles(
        self, focused: Widget | None = None, blurred: Widget | None = None
    ) -> None:
        stylesheet: Stylesheet = self.app.stylesheet  # type: ignore[attr-defined]
        if focus_within_reaches_down(stylesheet):
            super()._update_focus_styles(focused, blurred)  # type: ignore[misc]
            return
        nodes = {
            node: None
            for changed in (focused, blurred)
            if changed is not None
            for node in changed.ancestors_with_self
            if node._has_focus_within
        }
        if nodes:
            stylesheet.update_nodes(nodes, animate=True)


def focus_within_reaches_down(stylesheet: Stylesheet) -> bool:
    """Whether a rule styles a widget by the `:focus-within` of one of its ancestors (a
    selector with `:focus-within` before its last part). Checked again when the rules
    change (a new screen's or widget's CSS, a theme)."""
    rules = stylesheet.rules
    checked = _REACHES_DOWN.get(stylesheet)
    if checked is not None and checked[0] is rules:
        return checked[1]
    reaches = any(
        "focus-within" in selector.pseudo_classes
        for rule in rules
        for selector_set in rule.selector_set
        for selector in selector_set.selectors[:-1]
    )
    _REACHES_DOWN[stylesheet] = (rules, reaches)
    return reaches
