"""The runs table: fixed columns, then metrics (latest), then the params that differ.

It only renders; the runs pane decides what to load. Sorting is asked for with a
`SortRequested` message because it is pushed down to the store as `order_by`. Nested
runs are drawn under their parent (`z` folds one, `Z` all); `C` chooses the metric,
param and tag columns, remembered per set of experiments for the session.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from rich.text import Text
from textual.coordinate import Coordinate
from textual.message import Message

from tuiflow import humanize
from tuiflow.entities import DELETED, Experiment, Run
from tuiflow.textsafe import inert
from tuiflow.ui import clock, keys
from tuiflow.ui.columns import MARK, Column, chosen_columns, optional_columns
from tuiflow.ui.nesting import Row, children_of, nest, parent_in_view
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
    BINDINGS = [*keys.RUNS, *keys.RUNS_VIEW]

    def __init__(self) -> None:
        super().__init__(id="runs-table", cursor_type="cell", fixed_columns=2)
        self.runs: list[Run] = []  # the view, in the store's order (compare/scatter use it)
        self.tree_rows: list[Row] = []  # what is drawn: nested, folded parents' children left out
        self.experiments: dict[str, Experiment] = {}
        self.columns_shown: list[Column] = []
        self.marked: set[str] = set()
        self.sort: tuple[str, bool] | None = None  # (column key, ascending)
        self.collapsed: set[str] = set()  # parent run ids
        # Column chooser answers, per set of experiments: column key -> shown.
        self.choices: dict[tuple[str, ...], dict[str, bool]] = {}

    @property
    def view_key(self) -> tuple[str, ...]:
        return tuple(sorted(self.experiments)) or tuple(
            sorted({r.experiment_id for r in self.runs})
        )

    # -- rendering -----------------------------------------------------------------------

    def set_runs(self, runs: Sequence[Run], experiments: Mapping[str, Experiment]) -> None:
        """Replace the rows, keeping the cursor on the same run and column when possible."""
        self.runs = list(runs)
        self.experiments = dict(experiments)
        self._rebuild()

    def extend_runs(self, runs: Sequence[Run]) -> None:
        """`runs` are the shown ones and the next page after them: the new rows go below
        the shown ones, which stay as they are, when they only extend the tree. Otherwise
        (a child of a shown run, a param that now differs and makes a column) the table
        is rebuilt, as `set_runs` would."""
        before, self.runs = self.runs, list(runs)
        if len(before) > len(self.runs) or any(
            a is not b for a, b in zip(before, self.runs, strict=False)
        ):
            self._rebuild()  # not the shown runs and more: a new view
            return
        shown = len(self.tree_rows)
        if any(r.parent_run_id for r in self.runs):
            rows = nest(self.runs, self.collapsed)
            tree_changed = len(rows) < shown or any(
                old.run is not new.run or old.prefix != new.prefix or old.children != new.children
                for old, new in zip(self.tree_rows, rows, strict=False)
            )
        else:  # no nesting anywhere (most stores): the tree is the list, as nest() makes it
            rows = [*self.tree_rows, *(Row(r, 0, "", 0) for r in self.runs[len(before) :])]
            tree_changed = False
        if (
            tree_changed
            or [c.key for c in self._columns()] != [c.key for c in self.columns_shown]
            # a wider value than the column was sized for: the rebuild widens it
            or any(
                self._width(col, rows[shown:]) > self.columns[col.key].width
                for col in self.columns_shown
            )
        ):
            self._rebuild()
            return
        now = clock.now_ms()
        for row in rows[shown:]:
            self.add_row(*self._cells(row, now), key=row.run.run_id)
        self.tree_rows = rows

    def update_runs(self, runs: Sequence[Run]) -> bool:
        """New values for the view; rows change in place when no run or column came or went.

        Returns True when the update was done in place (no rebuild, no cursor move).
        """
        old_ids = [row.run.run_id for row in self.tree_rows]
        old_cols = [c.key for c in self.columns_shown]
        self.runs = list(runs)
        rows = nest(self.runs, self.collapsed)
        columns = self._columns()
        if [r.run.run_id for r in rows] != old_ids or [c.key for c in columns] != old_cols:
            self._rebuild()
            return False
        now = clock.now_ms()
        for old, new in zip(self.tree_rows, rows, strict=True):
            if old.run == new.run and old.prefix == new.prefix:
                continue
            for col, cell in zip(self.columns_shown, self._cells(new, now), strict=True):
                self.update_cell(new.run.run_id, col.key, cell)
        self.tree_rows = rows
        return True

    def _columns(self) -> list[Column]:
        several = len({r.experiment_id for r in self.runs}) > 1 or len(self.experiments) > 1
        choice = self.choices.get(self.view_key, {})
        return chosen_columns(self.runs, choice, several_experiments=several)

    def _rebuild(self, focus_run: str | None = None) -> None:
        keep_run = self.current_run()
        keep_col = self.current_column()
        self.columns_shown = self._columns()
        self.tree_rows = nest(self.runs, self.collapsed)
        self.clear(columns=True)
        for col in self.columns_shown:
            self.add_column(self._label(col), key=col.key, width=self._width(col))
        now = clock.now_ms()
        for row in self.tree_rows:
            self.add_row(*self._cells(row, now), key=row.run.run_id)
        target = focus_run or (keep_run.run_id if keep_run is not None else None)
        col = 1  # the run name, not the mark column
        if keep_col is not None and keep_run is not None:
            keys_ = [c.key for c in self.columns_shown]
            col = keys_.index(keep_col.key) if keep_col.key in keys_ else col
        if self.tree_rows:
            self.cursor_coordinate = Coordinate(
                self._visible_row(target), min(col, len(self.columns_shown) - 1)
            )

    def _visible_row(self, run_id: str | None) -> int:
        """The row of `run_id`, or of its nearest shown ancestor when a fold hides it."""
        by_id = {r.run_id: r for r in self.runs}
        index = {row.run.run_id: i for i, row in enumerate(self.tree_rows)}
        seen: set[str] = set()
        while run_id is not None and run_id not in index and run_id not in seen:
            seen.add(run_id)
            run = by_id.get(run_id)
            run_id = parent_in_view(run, self.runs) if run is not None else None
        return index.get(run_id, 0) if run_id is not None else 0

    def _label(self, col: Column) -> Text:
        label = Text(inert(col.label, single_line=True), no_wrap=True, overflow="ellipsis")
        if self.sort is not None and self.sort[0] == col.key:
            label.append(" ▲" if self.sort[1] else " ▼", style="bold")
        if col.numeric:
            label.justify = "right"
        return label

    def _width(self, col: Column, rows: Sequence[Row] | None = None) -> int:
        if col.key == MARK:
            return 1
        if col.key in ("status", "start", "duration"):
            return {"status": 9, "start": 9, "duration": 8}[col.key]
        cap = MAX_WIDTH.get(col.key, VALUE_MAX_WIDTH)
        widest = len(col.label) + 2  # room for the sort arrow
        for row in self.tree_rows if rows is None else rows:
            widest = max(widest, len(self._plain(col, row)))
            if widest >= cap:
                return cap
        return widest

    def _run_label(self, row: Row) -> str:
        name = row.prefix + (row.run.run_name or row.run.run_id)
        if row.run.run_id in self.collapsed and row.children:
            name += f" +{row.children}"
        return name

    def _plain(self, col: Column, row: Row) -> str:
        run = row.run
        if col.key == "name":
            return self._run_label(row)
        if col.key == "user":
            return run.user_id
        if col.key.startswith("m:"):
            metric = run.metrics.get(col.key[2:])
            return "" if metric is None else humanize.number(metric.value)
        if col.key.startswith("p:"):
            return run.params.get(col.key[2:], "")
        if col.key.startswith("t:"):
            return run.tags.get(col.key[2:], "")
        return ""

    def _cells(self, row: Row, now: int) -> list[Text]:
        run = row.run
        out: list[Text] = []
        for col in self.columns_shown:
            key = col.key
            if key == MARK:
                out.append(cells.text(MARK_GLYPH if run.run_id in self.marked else "", "bold"))
            elif key == "name":
                name = cells.text(
                    self._run_label(row), "strike dim" if run.lifecycle_stage == DELETED else ""
                )
                name.stylize("dim", 0, len(row.prefix))
                out.append(name)
            elif key == "status":
                out.append(cells.status(run.status))
            elif key == "start":
                out.append(cells.text(humanize.relative(run.start_time, now)))
            elif key == "duration":
                out.append(cells.text(humanize.duration(run.duration_ms), justify="right"))
            elif key == "user":
                out.append(cells.text(run.user_id))
            elif key == "experiment":
                exp = self.experiments.get(run.experiment_id)
                out.append(cells.text(exp.name if exp else run.experiment_id))
            elif key.startswith("m:"):
                out.append(cells.metric(run.metrics.get(key[2:])))
            elif key.startswith("t:"):
                out.append(cells.text(run.tags.get(key[2:], "")))
            else:
                out.append(cells.text(run.params.get(key[2:], "")))
        return out

    # -- what is under the cursor ----------------------------------------------------------

    def current_run(self) -> Run | None:
        if not self.tree_rows or self.row_count == 0:
            return None
        return self.tree_rows[min(self.cursor_row, len(self.tree_rows) - 1)].run

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

    def action_toggle_fold(self) -> None:
        """Fold or unfold the parent under the cursor; on a child, fold its parent."""
        run = self.current_run()
        if run is None:
            return
        if run.run_id in children_of(self.runs):
            self.collapsed ^= {run.run_id}
            self._rebuild(focus_run=run.run_id)
        elif (parent := parent_in_view(run, self.runs)) is not None:
            self.collapsed.add(parent)
            self._rebuild(focus_run=parent)

    def action_fold_all(self) -> None:
        """Fold every parent, or unfold them all when all are folded already."""
        parents = set(children_of(self.runs))
        self.collapsed = set() if parents <= self.collapsed else self.collapsed | parents
        self._rebuild()

    def action_choose_columns(self) -> None:
        from tuiflow.ui.screens.columns import ColumnsScreen

        if not self.runs:
            self.notify("No runs to choose columns from", severity="warning")
            return
        key = self.view_key
        options = optional_columns(self.runs)
        current = self.choices.get(key, {})
        shown = [(col, current.get(col.key, default)) for col, default in options]

        def chosen(answer: dict[str, bool] | None) -> None:
            if answer is not None:
                self.choices[key] = answer
                self._rebuild()

        self.app.push_screen(ColumnsScreen(shown, options), chosen)

    def action_copy_id(self) -> None:
        run = self.current_run()
        if run is None:
            return
        self.app.copy_to_clipboard(run.run_id)
        self.notify(f"Copied run id {run.run_id}", markup=False)

    def action_compare(self) -> None:
        from tuiflow.ui.screens.compare import open_compare

        open_compare(self.app, self.runs, self.marked)

    def action_scatter(self) -> None:
        from tuiflow.ui.screens.scatter import open_scatter

        open_scatter(self.app, self.runs, self.marked)

    def action_plot(self) -> None:
        from tuiflow.ui.screens.chart import open_chart

        open_chart(self.app, self.runs, self.marked, self.current_run())
