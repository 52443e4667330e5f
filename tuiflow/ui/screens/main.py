"""The main screen: experiments on the left, runs on the right, status and keys below."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.screen import Screen
from textual.widgets import Input

from tuiflow.textsafe import inert
from tuiflow.ui import heap, keys
from tuiflow.ui.messages import (
    ExperimentsChosen,
    ExperimentsLoaded,
    LoadFailed,
    RunChosen,
    RunsStatus,
)
from tuiflow.ui.screens.quiet_focus import QuietFocus
from tuiflow.ui.widgets.experiments_pane import ExperimentsPane, ExperimentsTable
from tuiflow.ui.widgets.key_bar import KeyBar
from tuiflow.ui.widgets.runs_pane import RunsPane
from tuiflow.ui.widgets.runs_table import RunsTable
from tuiflow.ui.widgets.status_bar import StatusBar
from tuiflow.ui.write_flows import MainWriteFlows

FIRST_FRAME_WAIT_S = 0.05  # for the data read ahead (prefetch.py), before the first frame


class MainScreen(QuietFocus, MainWriteFlows, Screen[None]):
    BINDINGS = [*keys.MAIN, *keys.LIVE, *keys.WRITE]

    _resumed = False  # the first resume is the screen's start: what is frozen stays

    def compose(self) -> ComposeResult:
        app = self.app
        with Horizontal(id="panes"):
            yield ExperimentsPane()
            yield RunsPane(app.filter_history)  # type: ignore[attr-defined]
        yield StatusBar(app.store.display_uri, app.read_only)  # type: ignore[attr-defined]
        yield KeyBar()

    def on_mount(self) -> None:
        self.query_one(ExperimentsTable).focus()
        self.query_one(StatusBar).set_experiments_loading(True)
        # Both panes are mounted, the first frame not yet drawn: what was read ahead while
        # the app started is shown in it (the messages would arrive after it), and worth
        # a short wait: the next frame would come 40-80 ms later.
        self.app.prefetch.wait(FIRST_FRAME_WAIT_S)  # type: ignore[attr-defined]
        first = self.query_one(ExperimentsPane).first_load()
        if first is not None:
            loaded, chosen = first
            self.on_experiments_loaded(loaded)
            if chosen:
                self.on_experiments_chosen(ExperimentsChosen(chosen, focus_runs=False))
                self.on_runs_status(self.query_one(RunsPane).status())  # its message: later

    # -- messages from the panes ---------------------------------------------------------

    def on_experiments_loaded(self, message: ExperimentsLoaded) -> None:
        self.query_one(StatusBar).set_experiments_loading(False)
        self.app.check_problems()  # type: ignore[attr-defined]  # a damaged store says so
        heap.settle()  # the app is up: its modules and widgets stay

    def on_screen_resume(self) -> None:
        if self._resumed:  # not the first time: a screen pushed over this one has closed
            heap.release()  # its cycles may go
        self._resumed = True

    def on_experiments_chosen(self, message: ExperimentsChosen) -> None:
        self.query_one(RunsPane).show(message.experiments)
        if message.focus_runs:
            self.query_one(RunsTable).focus()

    def on_runs_status(self, message: RunsStatus) -> None:
        self.query_one(StatusBar).set_runs(message)
        if not message.loading:
            self.app.runs_shown.set()  # type: ignore[attr-defined]
            self.app.check_problems()  # type: ignore[attr-defined]

    def on_run_chosen(self, message: RunChosen) -> None:
        from tuiflow.ui.screens.run_detail import RunDetailScreen

        self.app.push_screen(RunDetailScreen(message.run))

    def on_load_failed(self, message: LoadFailed) -> None:
        if message.what == "experiments":
            self.query_one(StatusBar).set_experiments_loading(False)
        self.notify(
            inert(str(message.error), single_line=True),
            title=f"Could not load {message.what}",
            severity="error",
            markup=False,
        )

    # -- actions -------------------------------------------------------------------------

    def action_focus_filter(self) -> None:
        self.query_one("#filter-input", Input).focus()

    def action_refresh(self) -> None:
        self.query_one(StatusBar).set_experiments_loading(True)
        self.query_one(ExperimentsPane).reload()
        self.query_one(RunsPane).reload(forget_totals=True)

    def action_cycle_view(self) -> None:
        self.query_one(StatusBar).set_experiments_loading(True)
        self.query_one(ExperimentsPane).cycle_view()

    def action_models(self) -> None:
        from tuiflow.ui.screens.models import ModelsScreen

        self.app.push_screen(ModelsScreen())

    def action_toggle_watch(self) -> None:
        self.query_one(RunsPane).toggle_watch()

    def action_cycle_runs_view(self) -> None:
        self.query_one(RunsPane).cycle_view()

    def action_export(self) -> None:
        self.query_one(RunsPane).export()

    def action_switch_pane(self) -> None:
        experiments = self.query_one(ExperimentsTable)
        if experiments.has_focus:
            self.query_one(RunsTable).focus()
        else:
            experiments.focus()
