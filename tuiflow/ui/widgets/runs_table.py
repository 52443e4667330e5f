"""The runs table: fixed columns, then metrics (latest), then the params that differ.

It only renders; the runs pane decides what to load. Sorting is asked for with a
`SortRequested` message because it is pushed down to the store as `order_by`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from rich.text import Text
from textual.coordinate import Coordinate
from textual.message import Message

from tuiflow import humanize
from tuiflow.entities import Experiment, Run
from tuiflow.textsafe import inert
from tuiflow.ui import clock, keys
from tuiflow.ui.columns import MARK, Column, run_columns
from tuiflow.ui.widgets import cells
from tuiflow.ui.widgets.nav_table import NavTable

MARK_GLYPH = "●"
MAX_WIDTH = {"name": 28, "user": 12, "experiment": 18}
VALUE_MAX_WIDTH = 16


@dataclass
class SortRequested(Message):
    column: Column
    ascending: bool


class RunsTable(NavTable):
    BINDINGS = keys.RUNS

    def __init__(self) -> None:
        super().__init__(id="runs-table", cursor_type="cell", fixed_columns=2)
        self.runs: list[Run] = []
        self.columns_shown: list[Column] = []
        self.marked: set[str] = set()
        self.sort: tuple[str, bool] | None = None  # (column key, ascending)

    # -- rendering -----------------------------------------------------------------------

    def set_runs(self, runs: Sequence[Run], experiments: Mapping[str, Experiment]) -> None:
        """Replace the rows, keeping the cursor on the same run and column when possible."""
        keep_run = self.current_run()
        keep_col = self.current_column()
        self.runs = list(runs)
        several = len({r.experiment_id for r in self.runs}) > 1 or len(experiments) > 1
        self.columns_shown = run_columns(self.runs, several_experiments=several)
        self.clear(columns=True)
        for col in self.columns_shown:
            self.add_column(self._label(col), key=col.key, width=self._width(col))
        now = clock.now_ms()
        for run in self.runs:
            self.add_row(*self._cells(run, experiments, now), key=run.run_id)
        row = 0
        if keep_run is not None:
            row = next((i for i, r in enumerate(self.runs) if r.run_id == keep_run.run_id), 0)
        col = 1  # the run name, not the mark column
        if keep_col is not None and keep_run is not None:
            keys_ = [c.key for c in self.columns_shown]
            col = keys_.index(keep_col.key) if keep_col.key in keys_ else col
        if self.runs:
            self.cursor_coordinate = Coordinate(row, min(col, len(self.columns_shown) - 1))

    def _label(self, col: Column) -> Text:
        label = Text(inert(col.label, single_line=True), no_wrap=True, overflow="ellipsis")
        if self.sort is not None and self.sort[0] == col.key:
            label.append(" ▲" if self.sort[1] else " ▼", style="bold")
        if col.numeric:
            label.justify = "right"
        return label

    def _width(self, col: Column) -> int:
        if col.key == MARK:
            return 1
        if col.key in ("status", "start", "duration"):
            return {"status": 9, "start": 9, "duration": 8}[col.key]
        cap = MAX_WIDTH.get(col.key, VALUE_MAX_WIDTH)
        widest = len(col.label) + 2  # room for the sort arrow
        for run in self.runs:
            widest = max(widest, len(self._plain(col, run)))
            if widest >= cap:
                return cap
        return widest

    def _plain(self, col: Column, run: Run) -> str:
        if col.key == "name":
            return run.run_name or run.run_id
        if col.key == "user":
            return run.user_id
        if col.key.startswith("m:"):
            metric = run.metrics.get(col.key[2:])
            return "" if metric is None else humanize.number(metric.value)
        if col.key.startswith("p:"):
            return run.params.get(col.key[2:], "")
        return ""

    def _cells(self, run: Run, experiments: Mapping[str, Experiment], now: int) -> list[Text]:
        out: list[Text] = []
        for col in self.columns_shown:
            key = col.key
            if key == MARK:
                out.append(cells.text(MARK_GLYPH if run.run_id in self.marked else "", "bold"))
            elif key == "name":
                out.append(cells.text(run.run_name or run.run_id))
            elif key == "status":
                out.append(cells.status(run.status))
            elif key == "start":
                out.append(cells.text(humanize.relative(run.start_time, now)))
            elif key == "duration":
                out.append(cells.text(humanize.duration(run.duration_ms), justify="right"))
            elif key == "user":
                out.append(cells.text(run.user_id))
            elif key == "experiment":
                exp = experiments.get(run.experiment_id)
                out.append(cells.text(exp.name if exp else run.experiment_id))
            elif key.startswith("m:"):
                out.append(cells.metric(run.metrics.get(key[2:])))
            else:
                out.append(cells.text(run.params.get(key[2:], "")))
        return out

    # -- what is under the cursor ----------------------------------------------------------

    def current_run(self) -> Run | None:
        if not self.runs or self.row_count == 0:
            return None
        return self.runs[min(self.cursor_row, len(self.runs) - 1)]

    def current_column(self) -> Column | None:
        if not self.columns_shown:
            return None
        return self.columns_shown[min(self.cursor_column, len(self.columns_shown) - 1)]

    # -- actions -------------------------------------------------------------------------

    def action_toggle_mark(self) -> None:
        run = self.current_run()
        if run is None:
            return
        self.marked ^= {run.run_id}
        glyph = MARK_GLYPH if run.run_id in self.marked else ""
        self.update_cell(run.run_id, MARK, cells.text(glyph, "bold"))
        if self.cursor_row < self.row_count - 1:
            self.move_cursor(row=self.cursor_row + 1)

    def action_sort(self, ascending: bool) -> None:
        column = self.current_column()
        if column is not None:
            self.post_message(SortRequested(column, ascending))
