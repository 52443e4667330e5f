"""`?`: every binding, where it works, what it does, and the id a keymap can rebind."""

from __future__ import annotations

from dataclasses import replace

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Static

from tuiflow.ui import keys
from tuiflow.ui.screens.quiet_focus import QuietFocus
from tuiflow.ui.widgets import cells
from tuiflow.ui.widgets.nav_table import NavTable

# Shown after the bindings: the filter bar's syntax beyond MLflow's (see README).
FILTER_SYNTAX: list[tuple[str, str]] = [
    ("A OR B", "runs matching either (MLflow itself has only AND)"),
    ("NOT A", "runs where A is false, incl. runs without A's key"),
    ("( … )", "group: (params.a = 'x' OR params.a = 'y') AND metrics.acc > 0.9"),
    ("order by k [DESC], …", "suffix that sets the order, e.g. … order by metrics.acc DESC"),
    ("tab / enter", "accept a suggestion (prefixes, keys, comparators, values)"),
]


def key_names(binding: Binding, keymap: dict[str, str]) -> list[str]:
    """The keys a binding answers to, after a user keymap has rebound it by id."""
    spec = keymap.get(binding.id, binding.key) if binding.id else binding.key
    return [k.strip() for k in spec.split(",") if k.strip()]


class HelpScreen(QuietFocus, ModalScreen[None]):
    BINDINGS = keys.HELP

    DEFAULT_CSS = """
    HelpScreen {
        align: center middle;
    }
    HelpScreen > Vertical {
        width: 100%;
        max-width: 110;
        height: 90%;
        border: round $accent;
        background: $surface;
    }
    HelpScreen #help-hint {
        height: 1;
        color: $text-muted;
        padding: 0 1;
    }
    """

    def compose(self) -> ComposeResult:
        with Vertical() as box:
            box.border_title = "Keys"
            yield NavTable(id="help-table", cursor_type="row", zebra_stripes=False)
            yield Static("esc, ? or q closes · ids rebind keys via a keymap", id="help-hint")

    def on_mount(self) -> None:
        table = self.query_one("#help-table", NavTable)
        table.add_columns("Key", "Action", "Binding id")
        keymap = dict(getattr(self.app, "_keymap", {}))
        for section, bindings in keys.SECTIONS:
            table.add_row(Text(section, style="bold underline"), Text(""), Text(""))
            for binding in bindings:
                shown = ", ".join(
                    self.app.get_key_display(replace(binding, key=k))
                    for k in key_names(binding, keymap)
                )
                table.add_row(
                    cells.text(shown, "bold"),
                    cells.text(binding.description),
                    cells.text(binding.id, "dim"),
                )
        table.add_row(
            Text("Filter syntax, beyond MLflow", style="bold underline"), Text(""), Text("")
        )
        for syntax, meaning in FILTER_SYNTAX:
            table.add_row(cells.text(syntax, "bold"), cells.text(meaning), Text(""))
        table.focus()
