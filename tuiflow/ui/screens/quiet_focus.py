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
`:focus-within` style (a pane, with its tables), in case that changes how a descendant
looks: a rule such as `Pane:focus-within Label`, or a background, colour or text style the
descendants draw with (they keep what they took of them until their styles are updated).
While every `:focus-within` rule sets only its widget's own border and outline, as
tuiflow's panes do, only those widgets are restyled; the widget that gains or loses focus
updates its own styles as it always does.
"""

from __future__ import annotations

from typing import Any
from weakref import WeakKeyDictionary

from textual.css.stylesheet import Stylesheet
from textual.reactive import Reactive
from textual.widget import Widget

# Style names a widget draws itself with, which its descendants do not take from it.
_OWN_BOX = ("border_", "auto_border_", "outline_")
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
    """Whether a `:focus-within` rule can change how a descendant of its widget looks: it
    selects the descendant (`:focus-within` before the selector's last part), or it sets
    anything but the widget's own border and outline. Checked again when the rules change
    (a new screen's or widget's CSS, a theme)."""
    rules = stylesheet.rules
    checked = _REACHES_DOWN.get(stylesheet)
    if checked is not None and checked[0] is rules:
        return checked[1]
    reaches = False
    for rule in rules:
        for selector_set in rule.selector_set:
            *ancestors, last = selector_set.selectors or [None]
            if any("focus-within" in part.pseudo_classes for part in ancestors):
                reaches = True
            elif last is not None and "focus-within" in last.pseudo_classes:
                reaches = reaches or not all(
                    name.startswith(_OWN_BOX) for name in rule.styles.get_rules()
                )
    _REACHES_DOWN[stylesheet] = (rules, reaches)
    return reaches
