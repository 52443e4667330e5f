"""A scatter of any param or metric (x) against a metric (y) over every run in the view.

Opened with `X` on the runs table or `x` on the compare screen. The runs are the ones
the runs table has already loaded, so no store call is made here. Marked runs are drawn
with their own marker and colour; on a wide terminal a table beside the chart names the
run behind each point (enter opens it).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence

from rich.text import Text
from textual import on
from textual.app import App, ComposeResult
from textual.containers import Horizontal
from textual.screen import Screen
from textual.widgets import DataTable, Label, Select, Static

from tuiflow.compare import ScatterData, default_axes, scatter_fields, scatter_points
from tuiflow.entities import Run
from tuiflow.textsafe import inert
from tuiflow.ui import keys
from tuiflow.ui.screens.quiet_focus import QuietFocus
from tuiflow.ui.widgets import cells
from tuiflow.ui.widgets.key_bar import KeyBar
from tuiflow.ui.widgets.nav_table import NavTable
from tuiflow.ui.widgets.scatter_chart import MARKED_MARKER, RUN_MARKER, ScatterChart


def open_scatter(
    app: App, view_runs: Sequence[Run], marked: Collection[str], focus: Sequence[Run] = ()
) -> None:
    """Push the scatter of the view's runs, or say why there is nothing to plot."""
    axes = default_axes(view_runs, focus)
    if axes is None:
        app.notify("No run in this view has a metric to plot.", title="Scatter", severity="warning")
        return
    app.push_screen(ScatterScreen(view_runs, marked, axes))


def _option(field: str) -> tuple[Text, str]:
    return Text(inert(field, single_line=True)), field


class ScatterScreen(QuietFocus, Screen[None]):
    BINDINGS = keys.SCATTER
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (120, "-wide")]

    DEFAULT_CSS = """
    ScatterScreen #scatter-title, ScatterScreen #scatter-info {
        height: 1;
        padding: 0 1;
    }
    ScatterScreen #scatter-title {
        background: $panel;
        text-style: bold;
    }
    ScatterScreen #scatter-info {
        color: $text-muted;
    }
    ScatterScreen #scatter-axes {
        height: 1;
        margin: 1 0 0 0;
    }
    ScatterScreen #scatter-axes Label {
        padding: 0 1;
        text-style: bold;
    }
    ScatterScreen #scatter-axes Select {
        width: 1fr;
    }
    ScatterScreen #scatter-body {
        height: 1fr;
    }
    ScatterScreen #scatter-points {
        width: 48;
        height: 1fr;
        border-left: vkey $panel-lighten-2;
    }
    ScatterScreen.-narrow #scatter-points {
        display: none;
    }
    """

    def __init__(self, runs: Sequence[Run], marked: Collection[str], axes: tuple[str, str]) -> None:
        super().__init__()
        self.runs = list(runs)
        self.marked = frozenset(marked)
        self.x_field, self.y_field = axes
        self.log_x = False
        self.log_y = False
        self.data: ScatterData | None = None

    def compose(self) -> ComposeResult:
        xs, ys = scatter_fields(self.runs)
        marked = sum(r.run_id in self.marked for r in self.runs)
        title = f"Scatter · {len(self.runs)} runs in view · {marked} marked"
        yield Static(Text(title), id="scatter-title")
        with Horizontal(id="scatter-axes"):
            yield Label("x")
            yield Select(
                [_option(f) for f in xs],
                allow_blank=False,
                value=self.x_field,
                id="scatter-x",
                compact=True,
            )
            yield Label("y")
            yield Select(
                [_option(f) for f in ys],
                allow_blank=False,
                value=self.y_field,
                id="scatter-y",
                compact=True,
            )
        with Horizontal(id="scatter-body"):
            yield ScatterChart(id="scatter-chart")
            yield NavTable(id="scatter-points", cursor_type="row")
        yield Static(id="scatter-info")
        yield KeyBar()

    def on_mount(self) -> None:
        table = self.query_one("#scatter-points", NavTable)
        table.add_column("Run", key="run")
        table.add_column("x", key="x")
        table.add_column("y", key="y")
        self._plot()
        self.query_one("#scatter-x", Select).focus()

    @property
    def chart(self) -> ScatterChart:
        return self.query_one(ScatterChart)

    def set_axes(self, x_field: str | None = None, y_field: str | None = None) -> None:
        """Plot other fields; the selects follow, so a test or a command can drive this."""
        if x_field is not None:
            self.query_one("#scatter-x", Select).value = x_field
            self.x_field = x_field
        if y_field is not None:
            self.query_one("#scatter-y", Select).value = y_field
            self.y_field = y_field
        self._plot()

    def _plot(self) -> None:
        data = scatter_points(self.runs, self.x_field, self.y_field)
        self.data = data
        if self.log_x and (data.categorical or any(p.x <= 0 for p in data.points)):
            self.log_x = False
            self.notify("Log x needs numbers above 0 on x.", severity="warning")
        if self.log_y and any(p.y <= 0 for p in data.points):
            self.log_y = False
            self.notify("Log y needs every value above 0.", severity="warning")
        self.chart.show(data, self.marked, self.log_x, self.log_y)
        self._fill_points(data)
        parts = [f"{len(data.points)} points"]
        if data.missing:
            parts.append(f"{data.missing} runs lack x or y")
        if data.categorical:
            parts.append(f"x: {len(data.x_categories or ())} categories")
        parts += [f"log {axis}" for axis, on in (("x", self.log_x), ("y", self.log_y)) if on]
        parts.append(f"{RUN_MARKER} run  {MARKED_MARKER} marked")
        self.query_one("#scatter-info", Static).update(Text(" · ".join(parts)))

    def _fill_points(self, data: ScatterData) -> None:
        table = self.query_one("#scatter-points", NavTable)
        table.clear()
        for point in sorted(data.points, key=lambda p: (-p.y, p.run_name)):
            is_marked = point.run_id in self.marked
            glyph = MARKED_MARKER if is_marked else RUN_MARKER
            name = cells.text(f"{glyph} {point.run_name}", "bold" if is_marked else "")
            table.add_row(
                name,
                cells.text(point.x_text, justify="right"),
                cells.number(point.y),
                key=point.run_id,
            )

    # -- events and actions --------------------------------------------------------------

    @on(Select.Changed)
    def _on_select(self, event: Select.Changed) -> None:
        event.stop()
        value = event.value
        if not isinstance(value, str):
            return
        if event.select.id == "scatter-x" and value != self.x_field:
            self.x_field = value
            self._plot()
        elif event.select.id == "scatter-y" and value != self.y_field:
            self.y_field = value
            self._plot()

    @on(DataTable.RowSelected, "#scatter-points")
    def _on_point_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        run = next((r for r in self.runs if r.run_id == event.row_key.value), None)
        if run is not None:
            from tuiflow.ui.screens.run_detail import RunDetailScreen

            self.app.push_screen(RunDetailScreen(run))

    def action_choose(self, axis: str) -> None:
        select = self.query_one(f"#scatter-{axis}", Select)
        select.focus()
        select.expanded = True

    def action_toggle_log(self, axis: str) -> None:
        if axis == "x":
            self.log_x = not self.log_x
        else:
            self.log_y = not self.log_y
        self._plot()

    def action_back(self) -> None:
        self.dismiss()
