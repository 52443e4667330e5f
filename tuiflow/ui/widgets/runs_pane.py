"""Right pane: the filter bar over the runs table, and the workers that fill it.

Runs arrive a page at a time (`search_runs` with `max_results`/`page_token`); the next
page is fetched when the cursor reaches the last loaded row. Filter and sort are pushed
down to the store. Each request carries a generation number so the answer to a request
that a newer one replaced is dropped even if its thread finished anyway. `V` cycles the
runs view (active, deleted, all); watch mode and export live in `RunsLive`.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import DataTable, Static
from textual.worker import get_current_worker

from tuiflow.entities import Experiment, Page, Run, ViewType
from tuiflow.errors import Cancelled, QueryError
from tuiflow.textsafe import inert
from tuiflow.ui import heap, keys, yielding
from tuiflow.ui.columns import order_clause
from tuiflow.ui.counting import count_runs
from tuiflow.ui.history import FilterHistory
from tuiflow.ui.messages import (
    FilterApplied,
    LoadFailed,
    RunChosen,
    RunsCounted,
    RunsLoaded,
    RunsProgress,
    RunsStatus,
)
from tuiflow.ui.prefetch import RunsRequest, settled
from tuiflow.ui.widgets.filter_bar import FilterBar
from tuiflow.ui.widgets.runs_live import RunsLive
from tuiflow.ui.widgets.runs_table import RunsTable, SortRequested

COUNT_CAP = 50_000  # stop counting the unfiltered total past this many runs
LOOKAHEAD_ROWS = 200  # rows before the end of the loaded ones where the next page is fetched
# Where pages are cheap (SQL, a tracking server) they keep coming in behind the first one
# up to this many runs; past it, and on the file store, the next page comes on approach.
STREAM_ROWS = 2_000
FIRST_STREAMED_PAGE = 100
VIEW_CYCLE = (ViewType.ACTIVE_ONLY, ViewType.DELETED_ONLY, ViewType.ALL)
VIEW_LABEL = {ViewType.ACTIVE_ONLY: "", ViewType.DELETED_ONLY: "deleted", ViewType.ALL: "all"}


class RunsPane(RunsLive, Vertical):
    page_size = 500  # runs per search_runs call; tests lower it to exercise paging
    BINDINGS = keys.RUNS_LOAD
    DEFAULT_CSS = """
    RunsPane {
        width: 1fr;
        border: round $panel-lighten-2;
        border-title-color: $text-muted;
    }
    RunsPane:focus-within {
        border: round $accent;
        border-title-color: $text;
    }
    RunsPane #runs-empty {
        height: 1fr;
        content-align: center middle;
        color: $text-muted;
        display: none;
    }
    """

    def __init__(self, history: FilterHistory) -> None:
        super().__init__(id="runs-pane")
        self.history = history
        self.experiments: tuple[Experiment, ...] = ()
        self.filter_text = ""
        self.order_by: tuple[str, ...] = ()
        # What the table shows now; a request the store rejects falls back to it.
        self.good: tuple[str, tuple[str, ...], tuple[str, bool] | None] = ("", (), None)
        self.runs: list[Run] = []
        self.examined: int | None = None  # progress of the load in flight
        self.next_token: str | None = None
        self.generation = 0
        # Not `loading`: that is Textual's reactive, which hides the pane (the table the user
        # is scrolling) behind a spinner for every page.
        self.fetching = False
        self.totals: dict[tuple[str, ...], tuple[int, bool]] = {}
        self.view = ViewType.ACTIVE_ONLY
        self.border_title = "Runs"
        self.init_live()

    def compose(self) -> ComposeResult:
        yield FilterBar(self.history)
        yield RunsTable()
        yield Static("loading…", id="runs-empty")

    def on_mount(self) -> None:
        self._set_empty("no experiment chosen")
        self.start_live()

    @property
    def table(self) -> RunsTable:
        return self.query_one(RunsTable)

    @property
    def experiment_ids(self) -> tuple[str, ...]:
        return tuple(e.experiment_id for e in self.experiments)

    # -- requests ------------------------------------------------------------------------

    def show(self, experiments: tuple[Experiment, ...]) -> None:
        if tuple(e.experiment_id for e in experiments) != self.experiment_ids:
            # Another experiment's runs must not linger while the new ones load.
            self.table.marked.clear()
            self.runs = []
            self.table.set_runs([], {})
        self.experiments = experiments
        self._update_title()
        self.reload()

    def cycle_view(self) -> None:
        self.view = VIEW_CYCLE[(VIEW_CYCLE.index(self.view) + 1) % len(VIEW_CYCLE)]
        self._update_title()
        self.reload(forget_totals=True)
        if not self.experiments:
            self._post_status()

    def _update_title(self) -> None:
        parts = ["Runs"]
        if len(self.experiments) == 1:
            parts.append(inert(self.experiments[0].name, single_line=True))
        if VIEW_LABEL[self.view]:
            parts.append(VIEW_LABEL[self.view])
        # Text, not str: a str border title is parsed as markup ("[@click=app.quit]").
        self.border_title = Text(" · ".join(parts))

    @classmethod
    def first_request(cls, store: object, experiment: Experiment) -> RunsRequest:
        """What a new pane asks for first, shown `experiment` (read ahead: prefetch.py)."""
        size = cls._first_page_size(store, cls.page_size)
        return RunsRequest((experiment.experiment_id,), "", (), ViewType.ACTIVE_ONLY, size)

    def reload(self, forget_totals: bool = False) -> None:
        if forget_totals:
            self.totals.clear()
        if not self.experiments:
            return
        self.generation += 1
        self.fetching = True
        self.examined = None
        self.next_token = None
        prefetch = getattr(self.app, "prefetch", None)
        read_ahead = prefetch.take_runs(self._request()) if prefetch is not None else None
        if read_ahead is not None and settled(read_ahead):
            # Read while the app started: shown now, in the screen's first frame.
            page = read_ahead.result()
            loaded = RunsLoaded(self.generation, page.items, page.next_page_token, append=False)
            self.on_runs_loaded(loaded)
        else:
            self._set_empty("loading…" if not self.runs else None)
            if read_ahead is not None:  # still being read: this request's progress and stop
                prefetch.listen(self._progress_of(self.generation))
            self._post_status()
            self._fetch(self.generation, self.experiment_ids, self.filter_text, self.order_by,
                        None, read_ahead)  # fmt: skip
        if self.filter_text and self.experiment_ids not in self.totals:
            self._count(self.experiment_ids, self.view)

    def _progress_of(self, generation: int) -> Callable[[int], None]:
        """For a read taken over (prefetch.py): its progress shown while it is this pane's
        latest request, and the read stopped once it is not (a newer one, Esc). Attached
        here, in the UI thread: a worker cancelled before it runs would never attach it."""

        def progress(examined: int) -> None:
            if generation != self.generation:
                raise Cancelled()
            self.post_message(RunsProgress(generation, examined))
            yielding.step_aside()

        return progress

    def _request(self) -> RunsRequest:
        """What `reload` asks the store for."""
        size = self._first_page_size(self.app.store, self.page_size)  # type: ignore[attr-defined]
        return RunsRequest(self.experiment_ids, self.filter_text, self.order_by, self.view, size)

    def load_more(self) -> None:
        if self.fetching or not self.next_token:
            return
        self.fetching = True
        self._post_status()
        self._fetch(
            self.generation, self.experiment_ids, self.filter_text, self.order_by, self.next_token
        )

    @work(thread=True, exclusive=True, group="runs", exit_on_error=False)
    def _fetch(
        self,
        generation: int,
        experiment_ids: tuple[str, ...],
        filter_text: str,
        order_by: tuple[str, ...],
        token: str | None,
        read_ahead: Future[Page[Run]] | None = None,
    ) -> None:
        store = self.app.store  # type: ignore[attr-defined]
        worker = get_current_worker()

        def progress(examined: int) -> None:
            # Called from inside the store's scan: the only place a thread can be stopped.
            if worker.is_cancelled:
                raise Cancelled()
            self.post_message(RunsProgress(generation, examined))
            yielding.step_aside()

        try:
            if read_ahead is not None:  # the same search, begun before the screen was up
                page = read_ahead.result()
            else:
                page = store.search_runs(
                    list(experiment_ids),
                    filter=filter_text or None,
                    order_by=list(order_by),
                    view=self.view,
                    max_results=self._page_size(store, token),
                    page_token=token,
                    on_progress=progress,
                )
        except Cancelled:
            return
        except Exception as exc:  # QueryError/StoreError, or a store bug: shown, never fatal
            self.post_message(LoadFailed("runs", exc, generation))
            return
        if not get_current_worker().is_cancelled:
            self.post_message(
                RunsLoaded(generation, tuple(page.items), page.next_page_token, token is not None)
            )

    def _page_size(self, store: object, token: str | None) -> int:
        return self._first_page_size(store, self.page_size) if token is None else self.page_size

    @staticmethod
    def _first_page_size(store: object, page_size: int) -> int:
        """Where pages stream in, the first one is small so it is on screen sooner (a
        server answers 100 runs in a fifth of the time of 500); the rest come in full
        (smaller ones were measured: more work for the UI thread, not less)."""
        if store.capabilities.cheap_pages:  # type: ignore[attr-defined]
            return min(page_size, FIRST_STREAMED_PAGE)
        return page_size

    @work(thread=True, exclusive=True, group="runs-count", exit_on_error=False)
    def _count(self, experiment_ids: tuple[str, ...], view: ViewType) -> None:
        worker = get_current_worker()
        try:
            counted = count_runs(
                self.app.store,  # type: ignore[attr-defined]
                experiment_ids,
                yielding.cancel_check(worker),
                view,
                cap=COUNT_CAP,
                rest_cap=COUNT_CAP,
            )
        except Exception:  # the total is a nicety; the runs themselves report errors
            return
        if counted is not None:
            self.post_message(RunsCounted(experiment_ids, *counted))

    # -- answers -------------------------------------------------------------------------

    def on_runs_loaded(self, message: RunsLoaded) -> None:
        message.stop()
        if message.generation != self.generation:
            return
        self.fetching = False
        self.good = (self.filter_text, self.order_by, self.table.sort)
        self.runs = [*self.runs, *message.runs] if message.append else list(message.runs)
        self.next_token = message.next_page_token
        if not self.filter_text and not message.next_page_token:
            self.totals[self.experiment_ids] = (len(self.runs), True)
        if message.append:
            self.table.extend_runs(self.runs)
        else:
            self.table.set_runs(self.runs, {e.experiment_id: e for e in self.experiments})
        self.query_one(FilterBar).learn(self.runs)  # suggestions follow the loaded runs
        if not self.runs:
            self._set_empty("no runs match the filter" if self.filter_text else "no runs")
        else:
            self._set_empty(None)
        self._post_status()
        heap.settle()
        store = self.app.store  # type: ignore[attr-defined]
        if self.next_token and len(self.runs) < STREAM_ROWS and store.capabilities.cheap_pages:
            self.load_more()

    def on_runs_progress(self, message: RunsProgress) -> None:
        message.stop()
        if message.generation == self.generation and self.fetching:
            self.examined = message.examined
            self._post_status()

    def action_cancel_load(self) -> None:
        """Esc while runs load: stop the store's scan and keep what the table shows."""
        if not self.fetching:
            return
        self.workers.cancel_group(self, "runs")
        self.generation += 1  # an answer already on its way is ignored
        self.fetching = False
        self.examined = None
        self.filter_text, self.order_by, self.table.sort = self.good
        self.query_one(FilterBar).applied = self.filter_text
        if not self.runs:
            self._set_empty("loading cancelled (r reloads)")
        self.app.notify("Loading cancelled", timeout=3)
        self._post_status()

    def on_runs_counted(self, message: RunsCounted) -> None:
        message.stop()
        self.totals[message.experiment_ids] = (message.total, message.complete)
        self._post_status()

    def on_load_failed(self, message: LoadFailed) -> None:
        if message.what != "runs" or message.generation != self.generation:
            return
        self.fetching = False
        if isinstance(message.error, QueryError):
            bar = self.query_one(FilterBar)
            if self.filter_text != self.good[0]:
                message.stop()  # the new filter's fault: shown in place, under it
                bar.show_error(message.error)
            # Keep describing what the table shows: the last filter and sort that worked.
            self.filter_text, self.order_by, self.table.sort = self.good
            bar.applied = self.filter_text
        if not self.runs:
            self._set_empty("could not load runs")
        self._post_status()

    @on(FilterApplied)
    def _on_filter_applied(self, message: FilterApplied) -> None:
        message.stop()
        self.table.focus()
        order = self.order_by
        if message.order_by is not None:  # the line's `order by` replaces a column sort
            order = message.order_by
            self.table.sort = None
        elif self.table.sort is None:  # no column sort: the order came from the line
            order = ()
        if (message.text, order) != (self.filter_text, self.order_by):
            self.filter_text, self.order_by = message.text, order
            self.reload()

    @on(SortRequested)
    def _on_sort(self, message: SortRequested) -> None:
        message.stop()
        clause = order_clause(message.column, message.ascending)
        if clause is None:
            label = inert(message.column.label.strip(), single_line=True) or "this column"
            self.notify(f"MLflow cannot sort runs by {label}", severity="warning", markup=False)
            return
        self.order_by = (clause,)
        self.table.sort = (message.column.key, message.ascending)
        self.query_one(FilterBar).drop_order_by()  # the column sort replaces the line's
        self.reload()

    @on(DataTable.CellSelected, "RunsTable")
    def _on_cell_selected(self, event: DataTable.CellSelected) -> None:
        event.stop()
        run = self.table.current_run()
        if run is not None:
            self.post_message(RunChosen(run))

    @on(DataTable.CellHighlighted, "RunsTable")
    def _on_cell_highlighted(self, event: DataTable.CellHighlighted) -> None:
        # The next page is asked for a few screens before the last row, so scrolling
        # down a long list does not stop to wait for it.
        lookahead = max(1, min(LOOKAHEAD_ROWS, self.page_size // 2))
        if event.coordinate.row >= self.table.row_count - lookahead:
            self.load_more()

    # -- display -------------------------------------------------------------------------

    def _set_empty(self, text: str | None) -> None:
        """The note in place of the runs (`text`), or the runs (None)."""
        # Inline styles on the two widgets, not a class on the pane: a class change
        # restyles every widget in the pane, 5 ms each way, twice before the first frame.
        note = self.query_one("#runs-empty", Static)
        if text is not None:
            note.update(text)
        if note.display == (text is not None):
            return
        note.display = text is not None
        table = self.table
        if text is not None:
            table.styles.height = "auto"  # the header row only, above the note
        elif table.styles.clear_rule("height"):
            table.refresh(layout=True)

    def _post_status(self) -> None:
        self.post_message(self.status())

    def status(self) -> RunsStatus:
        """What the status bar says of the runs."""
        total = self.totals.get(self.experiment_ids)
        return RunsStatus(
            experiments=self.experiments,
            shown=len(self.runs),
            more=self.next_token is not None,
            total=total[0] if total else None,
            total_complete=total[1] if total else False,
            filtered=bool(self.filter_text),
            loading=self.fetching,
            examined=self.examined if self.fetching else None,
            view=self.view,
            watching=self.watch_seconds,
        )
