"""Left pane: the store's experiments; Enter shows runs, space marks several.

Columns: name, active run count (counted in a worker, filled in as counts arrive),
last update, id. `f` opens a find box that narrows the list by name. The pane is about
30% of the screen (24 columns at 80); the name column takes what is left, and columns
that do not fit scroll.
"""

from __future__ import annotations

from concurrent.futures import Future
from dataclasses import dataclass

from textual import events, on, work
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import DataTable, Input
from textual.worker import get_current_worker

from tuiflow import humanize
from tuiflow.entities import DELETED, Experiment, ViewType
from tuiflow.ui import clock, keys, yielding
from tuiflow.ui.counting import count_runs, short
from tuiflow.ui.messages import ExperimentsChosen, ExperimentsLoaded, LoadFailed
from tuiflow.ui.prefetch import settled
from tuiflow.ui.widgets import cells
from tuiflow.ui.widgets.find_input import FindInput
from tuiflow.ui.widgets.nav_table import NavTable

COUNT_DELAY_MAX_S = 3.0  # counts wait at most this long for the first runs to be shown
VIEW_CYCLE = (ViewType.ACTIVE_ONLY, ViewType.DELETED_ONLY, ViewType.ALL)
VIEW_LABEL = {ViewType.ACTIVE_ONLY: "active", ViewType.DELETED_ONLY: "deleted", ViewType.ALL: "all"}
MARK = "●"
NAME_WIDTH = 15  # before the pane knows its size
PANE_SHARE, PANE_MIN, PANE_MAX = 30, 22, 64  # the pane's width (percent, cells): its CSS
MIN_NAME, MAX_NAME = 8, 32
RUNS_WIDTH, UPDATED_WIDTH, ID_WIDTH = 4, 9, 18


def name_width(inner: int) -> int:
    """What is left for names in a pane `inner` cells wide (each column pads 1+1)."""
    fixed = 1 + (1 + 2) + (RUNS_WIDTH + 2) + 2  # scrollbar, mark, runs, name's padding
    if inner >= 40:
        fixed += UPDATED_WIDTH + 2  # wide enough to keep "Updated" in view too
    return max(MIN_NAME, min(MAX_NAME, inner - fixed))


@dataclass
class RunCount(Message):
    experiment_id: str
    text: str


class ExperimentsTable(NavTable):
    BINDINGS = [*keys.EXPERIMENTS, *keys.EXPERIMENTS_FIND]

    def __init__(self) -> None:
        super().__init__(id="experiments-table", cursor_type="row", zebra_stripes=False)

    def action_toggle_mark(self) -> None:
        pane = self.parent
        if isinstance(pane, ExperimentsPane):
            pane.toggle_mark()

    def action_find(self) -> None:
        pane = self.parent
        if isinstance(pane, ExperimentsPane):
            pane.open_find()


class ExperimentsPane(Vertical):
    DEFAULT_CSS = """
    ExperimentsPane {
        width: 30%;  /* PANE_SHARE, PANE_MIN, PANE_MAX */
        min-width: 22;
        max-width: 64;
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
        self.experiments: list[Experiment] = []  # as loaded
        self.listed: list[Experiment] = []  # those the find box lets through, in rows
        self.find_text = ""
        self.counts: dict[str, str] = {}  # experiment id -> run count as shown
        self.name_width = NAME_WIDTH
        self.marked: list[str] = []  # experiment ids, in marking order
        self.shown_ids: tuple[str, ...] = ()
        self.fetching = False  # not `loading`: Textual's reactive would hide the list

    def compose(self) -> ComposeResult:
        yield FindInput(placeholder="find experiment", id="experiments-find")
        yield ExperimentsTable()

    @property
    def table(self) -> ExperimentsTable:
        return self.query_one(ExperimentsTable)

    def on_mount(self) -> None:
        self._add_columns()  # the first load starts with the screen: see first_load

    def first_load(self) -> tuple[ExperimentsLoaded, tuple[Experiment, ...]] | None:
        """The first load, from what was read ahead (prefetch.py). If that is in, it is
        shown now, and the message the screen would hear is returned, with the experiments
        whose runs to show: posted, they would arrive after the screen's first frame.
        Otherwise a worker takes over the read, and the usual messages follow."""
        self.fetching = True
        self._update_title()
        prefetch = getattr(self.app, "prefetch", None)
        future = prefetch.take_experiments(self.view) if prefetch is not None else None
        if future is None or not settled(future):
            self._fetch(self.view, future)
            return None
        # Rows built now are drawn before the first layout sizes the pane: at the width it
        # will find (else the first resize builds them all again, a frame later).
        pane = min(PANE_MAX, max(PANE_MIN, self.app.size.width * PANE_SHARE // 100))
        width = name_width(pane - 2)  # its border
        if width != self.name_width:
            self.name_width = width
            self.table.clear(columns=True)
            self._add_columns()
        loaded = ExperimentsLoaded(future.result(), self.view)
        return loaded, (self._choose() if self._loaded(loaded) else ())

    def _add_columns(self) -> None:
        table = self.table
        table.add_column(" ", key="mark", width=1)
        table.add_column("Experiment", key="name", width=self.name_width)
        table.add_column("Runs", key="runs", width=RUNS_WIDTH)
        table.add_column("Updated", key="updated", width=UPDATED_WIDTH)
        table.add_column("ID", key="id", width=ID_WIDTH)

    def on_resize(self, event: events.Resize) -> None:
        width = name_width(self.content_size.width)
        if width != self.name_width:
            self.name_width = width
            self._show_rows(rebuild_columns=True)

    def _update_title(self) -> None:
        title = f"Experiments · {VIEW_LABEL[self.view]}"
        if self.find_text:
            title += f" · {len(self.listed)} of {len(self.experiments)}"
        if self.marked:
            title += f" · {len(self.marked)} marked"
        self.border_title = title
        self.border_subtitle = "loading…" if self.fetching else ""

    def reload(self) -> None:
        self.fetching = True
        self._update_title()
        self._fetch(self.view)

    def cycle_view(self) -> None:
        self.view = VIEW_CYCLE[(VIEW_CYCLE.index(self.view) + 1) % len(VIEW_CYCLE)]
        self.reload()

    @work(thread=True, exclusive=True, group="experiments", exit_on_error=False)
    def _fetch(
        self, view: ViewType, read_ahead: Future[tuple[Experiment, ...]] | None = None
    ) -> None:
        worker = get_current_worker()
        store = self.app.store  # type: ignore[attr-defined]
        found: list[Experiment] = []
        token: str | None = None
        try:
            if read_ahead is not None:  # the same read, begun before the screen was up
                found.extend(read_ahead.result())
            else:
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
        if self._loaded(message):
            self._post_chosen(focus_runs=False)

    def _loaded(self, message: ExperimentsLoaded) -> bool:
        """Show the loaded experiments; whether it was the first load (runs to show)."""
        self.fetching = False
        self.experiments = list(message.experiments)
        ids = {e.experiment_id for e in self.experiments}
        self.marked = [i for i in self.marked if i in ids]
        self.counts = {}
        self._show_rows()
        self._update_title()
        self._count_all(tuple(e.experiment_id for e in self.experiments))
        return not self.shown_ids and bool(self.experiments)

    def on_load_failed(self, message: LoadFailed) -> None:
        if message.what == "experiments":
            self.fetching = False
            self._update_title()  # the message bubbles on to the screen, which reports it

    def _show_rows(self, rebuild_columns: bool = False) -> None:
        table = self.table
        keep = self.current_experiment()
        needle = self.find_text.casefold()
        self.listed = [e for e in self.experiments if needle in e.name.casefold()]
        table.clear(columns=rebuild_columns)
        if rebuild_columns:
            self._add_columns()
        now = clock.now_ms()
        for exp in self.listed:
            deleted = exp.lifecycle_stage == DELETED
            table.add_row(
                cells.text(MARK if exp.experiment_id in self.marked else ""),
                cells.text(exp.name, "strike dim" if deleted else ""),
                cells.text(self.counts.get(exp.experiment_id, "…"), "dim", justify="right"),
                cells.text(humanize.relative(exp.last_update_time, now), "dim"),
                cells.text(exp.experiment_id, "dim"),
                key=exp.experiment_id,
            )
        shown = {e.experiment_id for e in self.listed}
        if keep is not None and keep.experiment_id in shown:
            table.move_cursor(row=table.get_row_index(keep.experiment_id), animate=False)

    @work(thread=True, exclusive=True, group="experiment-counts", exit_on_error=False)
    def _count_all(self, experiment_ids: tuple[str, ...]) -> None:
        worker = get_current_worker()
        store = self.app.store  # type: ignore[attr-defined]
        # Counting reads every run's meta.yaml: let the first page of runs go first (the
        # two would share one interpreter lock), or start anyway after a few seconds.
        shown = getattr(self.app, "runs_shown", None)
        if shown is not None:
            shown.wait(COUNT_DELAY_MAX_S)
        for exp_id in experiment_ids:
            try:
                counted = count_runs(store, [exp_id], yielding.cancel_check(worker))
            except Exception:  # a count is a nicety; the runs pane reports real errors
                counted = None
                text = "—"
            else:
                text = short(*counted) if counted is not None else ""
            if worker.is_cancelled:
                return
            self.post_message(RunCount(exp_id, text))

    def on_run_count(self, message: RunCount) -> None:
        message.stop()
        self.counts[message.experiment_id] = message.text
        if message.experiment_id in {e.experiment_id for e in self.listed}:
            text = cells.text(message.text, "dim", justify="right")
            self.table.update_cell(message.experiment_id, "runs", text)

    # -- find box ----------------------------------------------------------------------------

    def open_find(self) -> None:
        box = self.query_one(FindInput)
        box.add_class("-open")
        box.focus()

    def close_find(self) -> None:
        box = self.query_one(FindInput)
        box.remove_class("-open")
        if box.value:
            box.value = ""  # Changed follows, which shows every experiment again
        self.table.focus()

    @on(Input.Changed, "FindInput")
    def _on_find_changed(self, event: Input.Changed) -> None:
        event.stop()
        self.find_text = event.value
        self._show_rows()
        self._update_title()

    @on(Input.Submitted, "FindInput")
    def _on_find_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.table.focus()

    def current_experiment(self) -> Experiment | None:
        table = self.table
        if not self.listed or table.row_count == 0:
            return None
        row = min(table.cursor_row, len(self.listed) - 1)
        return self.listed[row]

    def chosen(self) -> tuple[Experiment, ...]:
        """The marked experiments, or else the one under the cursor."""
        if self.marked:
            by_id = {e.experiment_id: e for e in self.experiments}
            return tuple(by_id[i] for i in self.marked if i in by_id)
        current = self.current_experiment()
        return (current,) if current is not None else ()

    def _choose(self) -> tuple[Experiment, ...]:
        """`chosen()`, remembered as the experiments whose runs are shown."""
        chosen = self.chosen()
        if chosen:
            self.shown_ids = tuple(e.experiment_id for e in chosen)
        return chosen

    def _post_chosen(self, focus_runs: bool) -> None:
        chosen = self._choose()
        if chosen:
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
