"""A one-line find box that narrows a list as you type (the experiments pane's `f`).

Hidden until its pane adds the `-open` class; esc asks the pane to close it.
"""

from __future__ import annotations

from textual.widgets import Input

from tuiflow.ui import keys


class FindInput(Input):
    """The experiments pane's find box: narrows the list by name as you type."""

    BINDINGS = keys.FIND
    DEFAULT_CSS = """
    FindInput {
        border: none;
        height: 1;
        padding: 0 1;
        background: $boost;
        display: none;
    }
    FindInput.-open {
        display: block;
    }
    """

    def action_clear(self) -> None:
        close = getattr(self.parent, "close_find", None)  # the pane that holds the box
        if callable(close):
            close()
