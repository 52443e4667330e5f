"""Run detail and help screens, and how the explorer behaves when a store fails or is slow."""

from __future__ import annotations

import threading

from textual.widgets import TabbedContent
from uihelp import SAMPLE, choose, plain, row_keys, run_ui, settle, status_text

from tuiflow import humanize
from tuiflow.errors import QueryError, StoreError
from tuiflow.stores.file import FileStore
from tuiflow.ui import keys
from tuiflow.ui.screens.help import HelpScreen
from tuiflow.ui.screens.main import MainScreen
from tuiflow.ui.screens.run_detail import RunDetailScreen
from tuiflow.ui.widgets.runs_table import RunsTable


def _detail_value(screen: RunDetailScreen, key: str) -> str:
    return plain(screen.query_one("#overview-table").get_row(key)[1])


def test_run_detail_shows_overview_params_metrics_tags_and_goes_back(sample_store):
    iris = sample_store.get_experiment_by_name("iris_experiment")
    first_id = sample_store.search_runs([iris.experiment_id]).items[0].run_id
    run = sample_store.get_run(first_id)
    loss = sample_store.get_metric_history(first_id, "loss")
    assert len(loss) > 1  # a real history, so min/max/steps mean something

    async def body(pilot, app):
        await choose(pilot, app, "iris_experiment")
        await pilot.press("enter")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, RunDetailScreen)
        assert _detail_value(screen, "run_id") == run.run_id
        assert _detail_value(screen, "name") == run.run_name
        assert _detail_value(screen, "user") == run.user_id
        assert _detail_value(screen, "duration") == humanize.duration(run.duration_ms)
        assert _detail_value(screen, "artifact_uri") == run.artifact_uri
        assert (
            _detail_value(screen, "mlflow.source.git.commit")
            == run.tags["mlflow.source.git.commit"]
        )
        assert row_keys(screen.query_one("#params-table")) == sorted(run.params)
        assert row_keys(screen.query_one("#tags-table")) == sorted(run.tags)
        metrics = screen.query_one("#metrics-table")
        assert row_keys(metrics) == sorted(run.metrics)
        assert plain(metrics.get_row("loss")[3]) == "…"  # histories load only when shown
        await pilot.press("3")
        await settle(pilot)
        assert screen.query_one(TabbedContent).active == "metrics"
        row = [plain(c) for c in metrics.get_row("loss")]
        assert row[1] == humanize.number(run.metrics["loss"].value)
        assert row[3] == humanize.number(min(m.value for m in loss))
        assert row[4] == humanize.number(max(m.value for m in loss))
        assert row[5] == str(len(loss))
        await pilot.press("r")  # re-read with get_run: same run, still on the metrics tab
        await settle(pilot)
        assert plain(metrics.get_row("loss")[5]) == str(len(loss))
        await pilot.press("escape")
        assert isinstance(app.screen, MainScreen)
        assert app.screen.query_one(RunsTable).has_focus

    run_ui(sample_store, body)


def test_run_detail_lists_datasets_and_opens_parent_run(sample_store):
    runs = []
    for exp in sample_store.search_experiments().items:
        runs += sample_store.search_runs([exp.experiment_id]).items
    with_inputs = next(r for r in runs if r.inputs)
    child = next(r for r in runs if r.parent_run_id)

    async def body(pilot, app):
        app.push_screen(RunDetailScreen(with_inputs))
        await settle(pilot)
        overview = app.screen.query_one("#overview-table")
        datasets = [k for k in row_keys(overview) if k.startswith("dataset:")]
        assert len(datasets) == len(with_inputs.inputs)
        assert with_inputs.inputs[0].dataset.name in _detail_value(app.screen, datasets[0])
        await pilot.press("escape")
        app.push_screen(RunDetailScreen(child))
        await settle(pilot)
        overview = app.screen.query_one("#overview-table")
        await pilot.press("g", *["j"] * row_keys(overview).index("parent"), "enter")
        await settle(pilot)
        assert isinstance(app.screen, RunDetailScreen)
        assert app.screen.current.run_id == child.parent_run_id
        await pilot.press("escape", "escape")
        assert isinstance(app.screen, MainScreen)

    run_ui(sample_store, body)


def test_help_lists_every_binding_with_its_id(sample_store):
    async def body(pilot, app):
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        table = app.screen.query_one("#help-table")
        ids = {plain(table.get_row_at(i)[2]) for i in range(table.row_count)}
        every = {b.id for _, section in keys.SECTIONS for b in section}
        assert None not in every
        assert every <= ids
        descriptions = {plain(table.get_row_at(i)[1]) for i in range(table.row_count)}
        assert "Sort desc" in descriptions and "Filter" in descriptions
        await pilot.press("escape")
        assert isinstance(app.screen, MainScreen)

    run_ui(sample_store, body)


def test_help_follows_a_user_keymap(sample_store):
    async def body(pilot, app):
        app.set_keymap({"tuiflow.runs.sort_asc": "o"})
        await pilot.press("question_mark")
        table = app.screen.query_one("#help-table")
        rows = [[plain(c) for c in table.get_row_at(i)] for i in range(table.row_count)]
        assert ["o", "Sort asc", "tuiflow.runs.sort_asc"] in rows

    run_ui(sample_store, body)


class BrokenRunsStore(FileStore):
    """The sample store, except that reading runs fails as an unreadable store would."""

    def search_runs(self, *args, **kwargs):
        raise StoreError("cannot read runs", "check the directory permissions")


class SlowRunsStore(FileStore):
    """The sample store, with search_runs held until the test releases it."""

    def __init__(self, root):
        super().__init__(root)
        self.release = threading.Event()

    def search_runs(self, *args, **kwargs):
        self.release.wait(10)
        return super().search_runs(*args, **kwargs)


def test_store_error_is_reported_and_the_app_keeps_running():
    store = BrokenRunsStore(SAMPLE)

    async def body(pilot, app):
        await settle(pilot)
        assert app.is_running
        messages = [n.message for n in app._notifications]
        assert any("cannot read runs" in m for m in messages)
        assert plain(app.screen.query_one("#runs-empty").render()) == "could not load runs"
        await pilot.press("r")  # still responsive
        await settle(pilot)
        assert app.is_running

    run_ui(store, body)


def test_loading_is_shown_while_runs_are_read():
    store = SlowRunsStore(SAMPLE)

    async def body(pilot, app):
        try:
            await pilot.pause(0.3)
            assert "loading…" in status_text(app)
            note = app.screen.query_one("#runs-empty")
            table = app.screen.query_one(RunsTable)
            assert plain(note.render()) == "loading…"
            # The note fills the pane; the table keeps only its header row above it.
            assert note.display and note.region.height > 5
            assert table.region.height == 1
        finally:
            store.release.set()
        await settle(pilot)
        assert "loading" not in status_text(app)
        assert table.row_count > 0
        assert not note.display and note.region.height == 0
        # The table fills the pane below the filter bar again (not just its rows' height).
        pane = app.screen.query_one("#runs-pane")
        assert table.region.bottom == pane.content_region.bottom > table.row_count + 5

    run_ui(store, body, settle_first=False)


class PickyStore(FileStore):
    """The sample store, except that one filter fails when evaluated, as MLflow's can."""

    REJECTED = "tags.team = 'x'"

    def search_runs(self, experiment_ids, filter=None, *args, **kwargs):
        if filter == self.REJECTED:
            raise QueryError("Invalid value for tag 'team'", 12, filter)
        return super().search_runs(experiment_ids, filter, *args, **kwargs)


def test_filter_rejected_by_the_store_is_shown_in_place_and_rolled_back():
    store = PickyStore(SAMPLE)

    async def body(pilot, app):
        await choose(pilot, app, "iris_experiment")
        table = app.screen.query_one(RunsTable)
        before = row_keys(table)
        await pilot.press("slash", *PickyStore.REJECTED, "enter")
        await settle(pilot)
        error = app.screen.query_one("#filter-error")
        assert error.display
        assert plain(error.render()).splitlines()[1] == "Invalid value for tag 'team'"
        assert row_keys(table) == before
        assert f"{len(before)} runs" in status_text(app)  # not "N of M": no filter applies
        assert app.screen.query_one("#runs-pane").filter_text == ""

    run_ui(store, body)


def test_run_detail_lists_child_runs_and_opens_one(sample_store):
    runs = []
    for exp in sample_store.search_experiments().items:
        runs += sample_store.search_runs([exp.experiment_id]).items
    parent_ids = {r.parent_run_id for r in runs if r.parent_run_id}
    parent = next(r for r in runs if r.run_id in parent_ids)
    children = {r.run_id for r in runs if r.parent_run_id == parent.run_id}
    assert len(children) > 1
    childless = next(r for r in runs if r.run_id not in parent_ids)

    async def body(pilot, app):
        app.push_screen(RunDetailScreen(parent))
        await settle(pilot)
        overview = app.screen.query_one("#overview-table")
        listed = {k[len("child:"):] for k in row_keys(overview) if k.startswith("child:")}
        assert listed == children
        first_child = next(k for k in row_keys(overview) if k.startswith("child:"))
        await pilot.press("g", *["j"] * row_keys(overview).index(first_child), "enter")
        await settle(pilot)
        assert isinstance(app.screen, RunDetailScreen)
        assert app.screen.current.run_id == first_child[len("child:"):]
        assert app.screen.current.parent_run_id == parent.run_id
        await pilot.press("escape", "escape")
        app.push_screen(RunDetailScreen(childless))
        await settle(pilot)
        overview = app.screen.query_one("#overview-table")
        assert not [k for k in row_keys(overview) if k.startswith("child:")]

    run_ui(sample_store, body)
