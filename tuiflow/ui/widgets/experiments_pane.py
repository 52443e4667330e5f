"""Left pane: the store's experiments; Enter shows runs, space marks several."""

from __future__ import annotations

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import DataTable
from textual.worker import get_current_worker

from tuiflow import humanize
from tuiflow.entities import DELETED, Experiment, ViewType
from tuiflow.ui import clock, keys
from tuiflow.ui.messages import ExperimentsChosen, ExperimentsLoaded, LoadFailed
from tuiflow.ui.widgets import cells
from tuiflow.ui.widgets.nav_table import NavTable

VIEW_CYCLE = (ViewType.ACTIVE_ONLY, ViewType.DELETED_ONLY, ViewType.ALL)
VIEW_LABEL = {ViewType.ACTIVE_ONLY: "active", ViewType.DELETED_ONLY: "deleted", ViewType.ALL: "all"}
MARK = "●"
NAME_WIDTH = 15


class ExperimentsTable(NavTable):
    BINDINGS = keys.EXPERIMENTS

    def __init__(self) -> None:
        super().__init__(id="experiments-table", cursor_type="row", zebra_stripes=False)

    def action_toggle_mark(self) -> None:
        pane = self.parent
        if isinstance(pane, ExperimentsPane):
            pane.toggle_mark()


class ExperimentsPane(Vertical):
    DEFAULT_CSS = """
    ExperimentsPane {
        width: 34;
        max-width: 45%;
        border: round $panel-lighten-2;
        border-title-color: $text-muted;
    }
    ExperimentsPane:focus-within {
        border: round $accent;
        border-title-color: $text;
    }
    """

    def __init__(self) -> None:
        super().__init__(id="experiments-pane")
        self.view = ViewType.ACTIVE_ONLY
        self.experiments: list[Experiment] = []
        self.marked: list[str] = []  # experiment ids, in marking order
        self.shown_ids: tuple[str, ...] = ()
        self.loading = False

    def compose(self) -> ComposeResult:
        yield ExperimentsTable()

    @property
    def table(self) -> ExperimentsTable:
        return self.query_one(ExperimentsTable)

    def on_mount(self) -> None:
        table = self.table
        table.add_column(" ", key="mark", width=1)
        table.add_column("Experiment", key="name", width=NAME_WIDTH)
        table.add_column("Updated", key="updated", width=9)
        self.reload()

    def _update_title(self) -> None:
        title = f"Experiments · {VIEW_LABEL[self.view]}"
        if self.marked:
            title += f" · {len(self.marked)} marked"
        self.border_title = title
        self.border_subtitle = "loading…" if self.loading else ""

    def reload(self) -> None:
        self.loading = True
        self._update_title()
        self._fetch(self.view)

    def cycle_view(self) -> None:
        self.view = VIEW_CYCLE[(VIEW_CYCLE.index(self.view) + 1) % len(VIEW_CYCLE)]
        self.reload()

    @work(thread=True, exclusive=True, group="experiments", exit_on_error=False)
    def _fetch(self, view: ViewType) -> None:
        worker = get_current_worker()
        store = self.app.store  # type: ignore[attr-defined]
        found: list[Experiment] = []
        token: str | None = None
        try:
            while True:
                page = store.search_experiments(view, page_token=token)
                found.extend(page.items)
                token = page.next_page_token
                if not token or worker.is_cancelled:
                    break
        except Exception as exc:  # TuiflowError, or a store bug: shown, never fatal
            self.post_message(LoadFailed("experiments", exc))
            return
        if not worker.is_cancelled:
            self.post_message(ExperimentsLoaded(tuple(found), view))

    def on_experiments_loaded(self, message: ExperimentsLoaded) -> None:
        if message.view is not self.view:
            message.stop()
            return
        self.loading = False
        table = self.table
        keep = self.current_experiment()
        self.experiments = list(message.experiments)
        ids = {e.experiment_id for e in self.experiments}
        self.marked = [i for i in self.marked if i in ids]
        table.clear()
        now = clock.now_ms()
        for exp in self.experiments:
            deleted = exp.lifecycle_stage == DELETED
            table.add_row(
                cells.text(MARK if exp.experiment_id in self.marked else ""),
                cells.text(exp.name, "strike dim" if deleted else ""),
                cells.text(humanize.relative(exp.last_update_time, now), "dim"),
                key=exp.experiment_id,
            )
        if keep is not None and keep.experiment_id in ids:
            table.move_cursor(row=table.get_row_index(keep.experiment_id), animate=False)
        self._update_title()
        first_load = not self.shown_ids
        if first_load and self.experiments:
            self._post_chosen(focus_runs=False)

    def on_load_failed(self, message: LoadFailed) -> None:
        if message.what == "experiments":
            self.loading = False
            self._update_title()  # the message bubbles on to the screen, which reports it

    def current_experiment(self) -> Experiment | None:
        table = self.table
        if not self.experiments or table.row_count == 0:
            return None
        row = min(table.cursor_row, len(self.experiments) - 1)
        return self.experiments[row]

    def chosen(self) -> tuple[Experiment, ...]:
        """The marked experiments, or else the one under the cursor."""
        if self.marked:
            by_id = {e.experiment_id: e for e in self.experiments}
            return tuple(by_id[i] for i in self.marked if i in by_id)
        current = self.current_experiment()
        return (current,) if current is not None else ()

    def _post_chosen(self, focus_runs: bool) -> None:
        chosen = self.chosen()
        if chosen:
            self.shown_ids = tuple(e.experiment_id for e in chosen)
            self.post_message(ExperimentsChosen(chosen, focus_runs=focus_runs))

    def toggle_mark(self) -> None:
        current = self.current_experiment()
        if current is None:
            return
        exp_id = current.experiment_id
        if exp_id in self.marked:
            self.marked.remove(exp_id)
        else:
            self.marked.append(exp_id)
        self.table.update_cell(exp_id, "mark", cells.text(MARK if exp_id in self.marked else ""))
        self._update_title()
        self._post_chosen(focus_runs=False)

    @on(DataTable.RowSelected)
    def _on_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        current = self.current_experiment()
        if current is not None and current.experiment_id not in self.marked and self.marked:
            # Enter on an unmarked experiment means "just this one".
            for exp_id in self.marked:
                self.table.update_cell(exp_id, "mark", cells.text(""))
            self.marked.clear()
            self._update_title()
        self._post_chosen(focus_runs=True)
