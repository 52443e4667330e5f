"""`c` on the runs table: the marked runs side by side, one column per run.

Rows are params, metrics (latest value) and the user's tags; a row whose values are not
all the same is highlighted. `d` keeps only those rows, `s` puts them first, `x` opens
the scatter over every run of the view. Everything shown comes from runs already
loaded by the runs table, so this screen makes no store calls of its own.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence

from rich.text import Text
from textual import on
from textual.app import App, ComposeResult
from textual.coordinate import Coordinate
from textual.screen import Screen
from textual.widgets import DataTable, Static

from tuiflow import humanize
from tuiflow.compare import (
    CompareRow,
    RowOrder,
    Value,
    compare_rows,
    differences_only,
    sort_rows,
)
from tuiflow.entities import Run
from tuiflow.textsafe import inert
from tuiflow.ui import keys
from tuiflow.ui.screens.quiet_focus import QuietFocus
from tuiflow.ui.widgets import cells
from tuiflow.ui.widgets.key_bar import KeyBar
from tuiflow.ui.widgets.nav_table import NavTable

MISSING = "—"
KEY_COLUMN = "key"
KEY_MAX_WIDTH = 32
RUN_MAX_WIDTH = 18
RUN_MIN_WIDTH = 6
SECTION_TITLES = {"params": "Params", "metrics": "Metrics · latest", "tags": "Tags"}


def open_compare(app: App, view_runs: Sequence[Run], marked: Collection[str]) -> None:
    """Push the compare screen for the marked runs of the view, or say how to mark them."""
    chosen = [r for r in view_runs if r.run_id in marked]
    hidden = len(marked) - len(chosen)
    if len(chosen) < 2:
        app.notify(
            f"Mark at least 2 runs with space to compare them ({len(chosen)} marked).",
            title="Compare",
            severity="warning",
        )
        return
    if hidden > 0:
        app.notify(f"{hidden} marked run(s) not in the current view are left out.", title="Compare")
    app.push_screen(CompareScreen(chosen, view_runs, set(marked)))


def truncate(text: str, width: int) -> str:
    return text if len(text) <= width else text[: max(width - 1, 0)] + "…"


def value_text(value: Value) -> str:
    if value is None:
        return MISSING
    if isinstance(value, float):
        return humanize.number(value)
    return inert(value, single_line=True)


class CompareScreen(QuietFocus, Screen[None]):
    BINDINGS = keys.COMPARE

    DEFAULT_CSS = """
    CompareScreen #compare-title {
        height: 1;
        padding: 0 1;
        background: $panel;
        text-style: bold;
    }
    CompareScreen #compare-hint {
        height: 1;
        padding: 0 1;
        color: $text-muted;
    }
    """

    def __init__(self, runs: Sequence[Run], view_runs: Sequence[Run], marked: set[str]) -> None:
        super().__init__()
        self.runs = list(runs)
        self.view_runs = list(view_runs)
        self.marked = marked
        self.all_rows = compare_rows(self.runs, tags=True)
        self.diff_only = False
        self.order: RowOrder = "key"
        self.show_tags = True
        self.rows: list[CompareRow] = []  # what the table shows, in order

    def compose(self) -> ComposeResult:
        yield Static(id="compare-title")
        yield NavTable(id="compare-table", cursor_type="cell", fixed_columns=1)
        yield Static(id="compare-hint")
        yield KeyBar()

    def on_mount(self) -> None:
        table = self.table
        titles = [len(self._section_title(r.section, len(self.all_rows))) for r in self.all_rows]
        width = max([len(r.key) + 2 for r in self.all_rows] + titles + [12])
        table.add_column(Text("Key", style="bold"), key=KEY_COLUMN, width=min(width, KEY_MAX_WIDTH))
        for i, run in enumerate(self.runs):
            widest = max(
                [len(value_text(row.values[i])) for row in self.all_rows] + [RUN_MIN_WIDTH]
            )
            name = inert(run.run_name or run.run_id, single_line=True)
            width = min(max(widest, len(name)), RUN_MAX_WIDTH)
            table.add_column(Text(truncate(name, width), style="bold"), key=run.run_id, width=width)
        self._fill()
        table.focus()

    @property
    def table(self) -> NavTable:
        return self.query_one("#compare-table", NavTable)

    # -- rendering -----------------------------------------------------------------------

    def _diff_style(self) -> str:
        color = self.app.current_theme.warning or "yellow"
        return f"bold {color}"

    def _fill(self) -> None:
        table = self.table
        keep = self._cursor_row_key()
        keep_column = table.cursor_column
        rows = [r for r in self.all_rows if self.show_tags or r.section != "tags"]
        if self.diff_only:
            rows = differences_only(rows)
        self.rows = sort_rows(rows, self.order)
        table.clear()
        diff_style = self._diff_style()
        blank = [Text("")] * len(self.runs)
        section = None
        for row in self.rows:
            if row.section != section:
                section = row.section
                count = sum(r.section == section for r in self.rows)
                title = self._section_title(section, count)
                table.add_row(Text(title, style="bold underline"), *blank, key=f"section:{section}")
            style = diff_style if row.differs else ""
            key_cell = cells.text(f"  {row.key}", "bold" if row.differs else "")
            table.add_row(key_cell, *(self._cell(v, style) for v in row.values), key=row.id)
        self._describe()
        if table.row_count:
            index = next((i for i, r in enumerate(table.ordered_rows) if r.key.value == keep), 1)
            row = min(index, table.row_count - 1)
            table.cursor_coordinate = Coordinate(row, max(1, min(keep_column, len(self.runs))))

    @staticmethod
    def _section_title(section: str, count: int) -> str:
        return f"{SECTION_TITLES.get(section, section)} ({count})"

    def _cell(self, value: Value, style: str) -> Text:
        justify = "right" if isinstance(value, float) else "left"
        if value is None:
            return Text(MISSING, style=f"{style} dim".strip(), justify="center")
        return Text(
            value_text(value), style=style, justify=justify, no_wrap=True, overflow="ellipsis"
        )

    def _describe(self) -> None:
        visible = [r for r in self.all_rows if self.show_tags or r.section != "tags"]
        differing = sum(r.differs for r in visible)
        parts = [f"Comparing {len(self.runs)} runs", f"{differing} of {len(visible)} keys differ"]
        if self.diff_only:
            parts.append("differences only")
        if self.order == "differs":
            parts.append("differing first")
        self.query_one("#compare-title", Static).update(Text(" · ".join(parts)))
        hint = "highlighted: differs · — not logged · enter opens the run of a column"
        if self.diff_only and not self.rows:
            hint = "no key differs between these runs · d shows every key"
        self.query_one("#compare-hint", Static).update(Text(hint))

    def _cursor_row_key(self) -> str | None:
        table = self.table
        if not table.row_count:
            return None
        return table.ordered_rows[table.cursor_row].key.value

    # -- actions -------------------------------------------------------------------------

    def action_toggle_differences(self) -> None:
        self.diff_only = not self.diff_only
        self._fill()

    def action_toggle_order(self) -> None:
        self.order = "key" if self.order == "differs" else "differs"
        self._fill()

    def action_toggle_tags(self) -> None:
        self.show_tags = not self.show_tags
        self._fill()

    def action_scatter(self) -> None:
        from tuiflow.ui.screens.scatter import open_scatter

        open_scatter(self.app, self.view_runs, self.marked, focus=self.runs)

    def action_open_run(self) -> None:
        self._open(self.table.cursor_column)

    def action_cursor_left(self) -> None:
        self.table.action_cursor_left()

    def action_cursor_right(self) -> None:
        self.table.action_cursor_right()

    def action_back(self) -> None:
        self.dismiss()

    @on(DataTable.CellSelected, "#compare-table")
    def _on_cell_selected(self, event: DataTable.CellSelected) -> None:
        event.stop()
        self._open(event.coordinate.column)

    @on(DataTable.HeaderSelected, "#compare-table")
    def _on_header_selected(self, event: DataTable.HeaderSelected) -> None:
        event.stop()
        self._open(event.column_index)

    def _open(self, column: int) -> None:
        if not 1 <= column <= len(self.runs):
            self.notify("Move to a run's column to open it.", severity="information")
            return
        from tuiflow.ui.screens.run_detail import RunDetailScreen

        self.app.push_screen(RunDetailScreen(self.runs[column - 1]))
