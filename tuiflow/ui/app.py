"""The Textual app: holds the store, the read-only flag and the filter history.

Screens and widgets do the work (screens/, widgets/); this module only wires them.
"""

from __future__ import annotations

from pathlib import Path

from textual.app import App
from textual.screen import Screen

from tuiflow.stores.base import Store
from tuiflow.ui import keys
from tuiflow.ui.history import FilterHistory, default_history_path
from tuiflow.ui.screens.help import HelpScreen
from tuiflow.ui.screens.main import MainScreen


class TuiflowApp(App[None]):
    CSS_PATH = "tuiflow.tcss"
    TITLE = "tuiflow"
    BINDINGS = keys.APP

    def __init__(
        self, store: Store, *, read_only: bool = False, history_path: Path | None = None
    ) -> None:
        super().__init__()
        self.store = store
        self.read_only = read_only
        self.filter_history = FilterHistory(history_path)
        self.sub_title = store.display_uri

    def get_default_screen(self) -> Screen:
        return MainScreen()

    def action_help(self) -> None:
        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen())


def run_app(store: Store, read_only: bool = False) -> None:
    """`tuiflow [STORE]`: explore `store` until the user quits."""
    app = TuiflowApp(store, read_only=read_only, history_path=default_history_path())
    try:
        app.run()
    finally:
        store.close()
