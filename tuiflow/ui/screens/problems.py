"""What the store skipped while reading (damaged files, unreadable folders), read-only.

The file store collects one line per problem in `store.warnings`; the CLI prints the
first few on stderr. Here the app says how many there are in a notification and this
modal lists them (bounded: a broken store can hold thousands), from the command palette.
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Static

from tuiflow.textsafe import inert
from tuiflow.ui import keys
from tuiflow.ui.screens.quiet_focus import QuietFocus
from tuiflow.ui.widgets.nav_table import NavTable

SHOWN_MAX = 500


def store_problems(store: object) -> list[str]:
    """The store's read warnings, oldest first; stores that keep none have none."""
    return list(getattr(store, "warnings", ()) or ())


def problems_notice(count: int) -> str:
    noun = "problem" if count == 1 else "problems"
    # Not always damage: an untested SQL schema is one too (read, but writes refused).
    return f"{count} {noun} reading the store (ctrl+p → Show problems)"


class ProblemsScreen(QuietFocus, ModalScreen[None]):
    BINDINGS = keys.PROBLEMS

    DEFAULT_CSS = """
    ProblemsScreen {
        align: center middle;
    }
    ProblemsScreen > Vertical {
        width: 90%;
        height: 80%;
        border: round $warning;
        background: $surface;
    }
    ProblemsScreen #problems-hint {
        height: 1;
        color: $text-muted;
        padding: 0 1;
    }
    """

    def __init__(self, problems: Sequence[str]) -> None:
        super().__init__()
        self.problems = list(problems)

    def compose(self) -> ComposeResult:
        with Vertical() as box:
            box.border_title = Text(f"Problems reading the store · {len(self.problems)}")
            yield NavTable(id="problems-table", cursor_type="row", show_header=False)
            yield Static(
                "these were skipped; everything else is shown · esc closes", id="problems-hint"
            )

    def on_mount(self) -> None:
        table = self.query_one("#problems-table", NavTable)
        table.add_column("Problem", key="problem")
        for problem in self.problems[:SHOWN_MAX]:
            # Paths and names quoted from a damaged store: one inert line each, never markup.
            table.add_row(Text(inert(problem, single_line=True), no_wrap=True))
        if not self.problems:
            table.add_row(Text("No problems so far.", style="dim"))
        elif len(self.problems) > SHOWN_MAX:
            more = len(self.problems) - SHOWN_MAX
            table.add_row(Text(f"… and {more} more", style="dim"))
        table.focus()
