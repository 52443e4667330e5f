"""The column chooser (`C`): switch metric, param and tag columns of the runs table on/off.

A modal over the main screen. Space toggles, enter applies, esc leaves everything as it
was, `d` goes back to the defaults (metrics, and the params that differ).
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Label, SelectionList
from textual.widgets.selection_list import Selection

from tuiflow.textsafe import inert
from tuiflow.ui import keys
from tuiflow.ui.columns import Column
from tuiflow.ui.screens.quiet_focus import QuietFocus

KIND = {"m": "metric", "p": "param", "t": "tag"}


def _prompt(col: Column) -> Text:
    kind = KIND.get(col.key[:1], "")
    out = Text(no_wrap=True, overflow="ellipsis")
    out.append(f"{kind:<7}", style="dim")
    out.append(inert(col.key[2:], single_line=True))
    return out


class ColumnsScreen(QuietFocus, ModalScreen[dict[str, bool] | None]):
    """Answers {column key: shown} for every optional column, or None when cancelled."""

    BINDINGS = keys.COLUMNS
    DEFAULT_CSS = """
    ColumnsScreen {
        align: center middle;
    }
    ColumnsScreen > Vertical {
        width: 60;
        max-width: 90%;
        height: auto;
        max-height: 80%;
        border: round $accent;
        background: $surface;
        padding: 0 1;
    }
    ColumnsScreen SelectionList {
        height: auto;
        max-height: 30;
        border: none;
    }
    ColumnsScreen Label {
        color: $text-muted;
    }
    """

    def __init__(
        self, shown: Sequence[tuple[Column, bool]], defaults: Sequence[tuple[Column, bool]]
    ) -> None:
        super().__init__()
        self.shown = list(shown)
        self.defaults = {col.key: on for col, on in defaults}

    def compose(self) -> ComposeResult:
        with Vertical() as box:
            box.border_title = "Columns"
            yield SelectionList[str](
                *(Selection(_prompt(col), col.key, on) for col, on in self.shown),
                id="columns-list",
            )
            yield Label("space toggle · enter apply · d defaults · esc cancel")

    @property
    def selection(self) -> SelectionList[str]:
        return self.query_one("#columns-list", SelectionList)

    def on_mount(self) -> None:
        self.selection.focus()

    def answer(self) -> dict[str, bool]:
        selected = set(self.selection.selected)
        return {col.key: col.key in selected for col, _ in self.shown}

    def action_apply(self) -> None:
        self.dismiss(self.answer())

    def action_cancel(self) -> None:
        self.dismiss(None)

    def action_defaults(self) -> None:
        selection = self.selection
        for col, _ in self.shown:
            if self.defaults.get(col.key, False):
                selection.select(col.key)
            else:
                selection.deselect(col.key)
