"""A DataTable with the keys people expect from k9s and lazygit: j/k, g/G."""

from __future__ import annotations

from typing import Any

from textual.widgets import DataTable

from tuiflow.ui import keys


class NavTable(DataTable[Any]):
    BINDINGS = keys.TABLE

    DEFAULT_CSS = """
    NavTable {
        height: 1fr;
        scrollbar-size-vertical: 1;
    }
    """

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("zebra_stripes", True)
        super().__init__(**kwargs)

    def action_first_row(self) -> None:
        if self.row_count:
            self.move_cursor(row=0)

    def action_last_row(self) -> None:
        if self.row_count:
            self.move_cursor(row=self.row_count - 1)
