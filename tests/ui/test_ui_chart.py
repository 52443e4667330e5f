"""Metric chart: opened from the runs table (`p`) and from run detail, driven with Pilot.

The chart's plotext text is read back from the screen, so what a person sees (legend with
the run names, tick labels, messages) is what is asserted.
"""

from __future__ import annotations

import io
import math
import random

from rich.console import Console
from uihelp import SAMPLE, choose, plain, run_ui, settle

from tuiflow.entities import Metric
from tuiflow.errors import StoreError
from tuiflow.stores.file import FileStore
from tuiflow.ui import keys
from tuiflow.ui.screens.chart import ChartScreen
from tuiflow.ui.screens.main import MainScreen
from tuiflow.ui.screens.run_detail import RunDetailScreen
from tuiflow.ui.widgets.metric_chart import MetricChart
from tuiflow.ui.widgets.runs_table import RunsTable


def screen_text(app) -> str:
    console = Console(width=app.size.width, file=io.StringIO(), record=True, legacy_windows=False)
    console.print(app.screen._compositor.render_update(full=True))
    return console.export_text()


def chart_message(app) -> str:
    return plain(app.screen.query_one("#chart-message").render())


def empty_message(app) -> str:
    return plain(app.screen.query_one("#chart-empty").render())


def experiment_runs(store, name: str):
    exp = store.get_experiment_by_name(name)
    return store.search_runs([exp.experiment_id]).items


async def cursor_to(pilot, app, run_id: str) -> None:
    table = app.screen.query_one(RunsTable)
    table.focus()
    await pilot.press("g", *["j"] * table.get_row_index(run_id))


def test_chart_for_the_run_under_the_cursor(sample_store):
    runs = experiment_runs(sample_store, "iris_experiment")
    loss = sample_store.get_metric_history(runs[1].run_id, "loss")
    assert len(loss) == 40

    async def body(pilot, app):
        await choose(pilot, app, "iris_experiment")
        await cursor_to(pilot, app, runs[1].run_id)
        await pilot.press("p")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, ChartScreen)
        assert screen.metric == "loss"  # the key with a real history, not a single value
        assert screen.sub_title == "loss · x: step"
        chart = screen.query_one(MetricChart)
        assert [len(s.ys) for s in chart.series] == [40]
        assert chart.series[0].ys == [m.value for m in sorted(loss, key=lambda m: m.step)]
        text = screen_text(app)
        assert runs[1].run_name in text and "step" in text
        assert "1 run · 40 points" in chart_message(app)
        await pilot.press("escape")
        assert isinstance(app.screen, MainScreen)

    run_ui(sample_store, body)


def test_chart_overlays_three_marked_runs_and_switches_metric_axis_log_and_smoothing(
    sample_store,
):
    runs = experiment_runs(sample_store, "iris_experiment")[:3]

    async def body(pilot, app):
        await choose(pilot, app, "iris_experiment")
        await cursor_to(pilot, app, runs[0].run_id)
        for run in runs:
            await cursor_to(pilot, app, run.run_id)
            await pilot.press("space")
        await pilot.press("p")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, ChartScreen)
        chart = screen.query_one(MetricChart)
        assert [s.label for s in chart.series] == [r.run_name for r in runs]
        assert [len(s.ys) for s in chart.series] == [40, 40, 40]
        text = screen_text(app)
        assert all(r.run_name in text for r in runs)  # the legend
        assert "3 runs · 120 points" in chart_message(app)

        await pilot.press("g")  # first key in the list: eval_acc, one value per run
        await settle(pilot)
        assert screen.metric == "eval_acc"
        assert [len(s.ys) for s in chart.series] == [1, 1, 1]
        assert screen.sub_title.startswith("eval_acc · ")
        await pilot.press("j", "j")  # back to loss, now cached
        await settle(pilot)
        assert screen.metric == "loss" and [len(s.ys) for s in chart.series] == [40, 40, 40]

        await pilot.press("x")
        assert screen.sub_title == "loss · x: wall"
        first = [
            m.timestamp / 1000 for m in sample_store.get_metric_history(runs[0].run_id, "loss")
        ]
        assert chart.series[0].xs == sorted(first)
        await pilot.press("x")
        assert screen.sub_title == "loss · x: relative"
        assert all(s.xs[0] == 0 for s in chart.series)
        assert "time since the run's first point" in screen_text(app)
        await pilot.press("x")
        assert screen.sub_title == "loss · x: step"

        await pilot.press("l")
        assert screen.sub_title == "loss · x: step · log-y"
        assert chart.options.log_y and all(y > 0 for s in chart.series for y in s.ys)
        await pilot.press("plus", "plus", "plus")
        assert screen.sub_title == "loss · x: step · EMA 0.6 · log-y"
        assert all(s.smooth_ys and len(s.smooth_ys) == 40 for s in chart.series)
        assert chart.series[0].smooth_ys != chart.series[0].ys
        await pilot.press("minus")
        assert "EMA 0.4" in screen.sub_title
        await pilot.press("minus", "minus", "minus")  # stops at 0: off
        assert screen.sub_title == "loss · x: step · log-y"
        assert all(s.smooth_ys is None for s in chart.series)
        assert "loss · x: step · log-y" in screen_text(app)
        await pilot.press("escape")
        assert isinstance(app.screen, MainScreen)
        assert app.screen.query_one(RunsTable).marked == {r.run_id for r in runs}

    run_ui(sample_store, body)


def test_chart_from_run_detail_preselects_the_metric(sample_store):
    run = next(r for r in experiment_runs(sample_store, "wine_tuning") if "train_acc" in r.metrics)

    async def body(pilot, app):
        app.push_screen(RunDetailScreen(run))
        await settle(pilot)
        await pilot.press("3")
        await settle(pilot)
        metrics = app.screen.query_one("#metrics-table")
        await pilot.press("g", *["j"] * metrics.get_row_index("train_acc"), "enter")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, ChartScreen)
        assert screen.metric == "train_acc" and screen.sub_title == "train_acc · x: step"
        assert [len(s.ys) for s in screen.query_one(MetricChart).series] == [1]
        await pilot.press("escape")
        assert isinstance(app.screen, RunDetailScreen)
        await pilot.press("1", "p")  # from another tab: the run's default metric
        await settle(pilot)
        assert isinstance(app.screen, ChartScreen) and app.screen.metric == "loss"

    run_ui(sample_store, body)


def test_run_without_metrics_shows_a_message(sample_store):
    bare = next(r for r in experiment_runs(sample_store, "wine_tuning") if not r.metrics)

    async def body(pilot, app):
        await choose(pilot, app, "wine_tuning")
        await cursor_to(pilot, app, bare.run_id)
        await pilot.press("p")
        await settle(pilot)
        assert isinstance(app.screen, ChartScreen)
        assert empty_message(app) == f"no metrics logged by {bare.run_name}"
        assert app.screen.query_one("#chart-area").has_class("-empty")
        await pilot.press("x", "l", "plus", "r")  # nothing to draw, nothing breaks
        await settle(pilot)
        assert app.screen.sub_title == "no metric"

    run_ui(sample_store, body)


def test_runs_missing_the_metric_are_named(sample_store):
    wine = experiment_runs(sample_store, "wine_tuning")
    chosen = [next(r for r in wine if not r.metrics), next(r for r in wine if "loss" in r.metrics)]

    async def body(pilot, app):
        app.push_screen(ChartScreen(chosen, metric="loss"))
        await settle(pilot)
        assert f"not logged by {chosen[0].run_name}" in chart_message(app)
        assert len(app.screen.query_one(MetricChart).series) == 1

    run_ui(sample_store, body)


class FailingStore(FileStore):
    def get_metric_history(self, run_id, key):
        raise StoreError("metric file is unreadable", hint="check permissions")


def test_history_errors_are_shown_in_place():
    store = FailingStore(SAMPLE)
    run = experiment_runs(store, "iris_experiment")[0]

    async def body(pilot, app):
        app.push_screen(ChartScreen([run]))
        await settle(pilot)
        assert isinstance(app.screen, ChartScreen)
        assert f"could not load {run.run_name}: metric file is unreadable" in chart_message(app)
        assert empty_message(app) == "could not load histories"

    try:
        run_ui(store, body)
    finally:
        store.close()


class LongHistoryStore(FileStore):
    """The sample store, with one run's `loss` replaced by a long noisy history."""

    points = 100_000
    calls = 0

    def get_metric_history(self, run_id, key):
        LongHistoryStore.calls += 1
        rng = random.Random(5)
        values = [math.exp(-i / 20_000) + rng.random() * 0.1 for i in range(self.points)]
        values[777] = 50.0  # a spike downsampling must keep
        values[3] = math.nan
        return [Metric(key, v, 1_700_000_000_000 + i, i) for i, v in enumerate(values)]


def test_long_history_is_downsampled_to_the_width_and_redrawn_on_resize_and_refresh():
    store = LongHistoryStore(SAMPLE)
    run = experiment_runs(store, "iris_experiment")[0]

    async def body(pilot, app):
        app.push_screen(ChartScreen([run], metric="loss"))
        await settle(pilot)
        chart = app.screen.query_one(MetricChart)
        await pilot.pause()
        width = chart.size.width
        assert 0 < chart.points_drawn <= 2 * width
        assert "1 not drawn (NaN/inf)" in chart_message(app)
        assert "50" in screen_text(app)  # the spike sets the y range
        await pilot.resize_terminal(200, 40)
        await settle(pilot)
        await pilot.pause()
        assert chart.size.width > width
        assert width * 2 < chart.points_drawn <= 2 * chart.size.width
        calls = LongHistoryStore.calls
        app.screen.refresh_histories()  # what watch mode calls
        await settle(pilot)
        assert LongHistoryStore.calls == calls + 1
        assert len(chart.series[0].ys) == LongHistoryStore.points - 1

    try:
        run_ui(store, body, size=(100, 30))
    finally:
        store.close()


def test_chart_over_sqlite_drops_nan_and_counts_it(sqlite_backend):
    store = sqlite_backend.store
    run = store.get_run(sqlite_backend.runs["A"])  # loss: 0.8 then NaN (mlflow-formats §7)

    async def body(pilot, app):
        app.push_screen(ChartScreen([run], metric="loss"))
        await settle(pilot)
        chart = app.screen.query_one(MetricChart)
        assert chart.series[0].ys == [0.8]
        assert "1 not drawn (NaN/inf)" in chart_message(app)
        keys_table = app.screen.query_one("#chart-metrics")
        await pilot.press("g", *["j"] * keys_table.get_row_index("acc"))  # acc: 0.2, 0.9
        await settle(pilot)
        assert app.screen.metric == "acc" and chart.series[0].ys == [0.2, 0.9]

    run_ui(store, body)


def test_chart_keys_are_in_the_help_sections():
    ids = {b.id for _, bindings in keys.SECTIONS for b in bindings}
    assert {"tuiflow.runs.plot", "tuiflow.detail.plot", "tuiflow.chart.x_axis"} <= ids
    assert {"tuiflow.chart.log_y", "tuiflow.chart.smooth_more", "tuiflow.chart.back"} <= ids


class CountingStore(FileStore):
    def __init__(self, root):
        super().__init__(root)
        self.reads: list[tuple[str, str]] = []

    def get_metric_history(self, run_id, key):
        self.reads.append((run_id, key))
        return super().get_metric_history(run_id, key)


def test_refresh_rereads_only_what_changed_and_caches_the_rest():
    store = CountingStore(SAMPLE)
    runs = experiment_runs(store, "iris_experiment")[:3]

    async def body(pilot, app):
        app.push_screen(ChartScreen(runs, metric="loss"))
        await settle(pilot)
        screen = app.screen
        assert sorted(store.reads) == sorted((r.run_id, "loss") for r in runs)
        await pilot.press("g")  # eval_acc
        await settle(pilot)
        await pilot.press(*["j"] * screen.query_one("#chart-metrics").get_row_index("loss"))
        await settle(pilot)
        # Moving down passes f1_macro (read too); loss came back from the cache.
        assert sorted({key for _, key in store.reads}) == ["eval_acc", "f1_macro", "loss"]
        assert len(store.reads) == 9
        store.reads.clear()
        screen.refresh_histories([runs[1]])  # watch mode: one run changed
        await settle(pilot)
        assert store.reads == [(runs[1].run_id, "loss")]
        assert [len(s.ys) for s in screen.query_one(MetricChart).series] == [40, 40, 40]
        store.reads.clear()
        await pilot.press("r")
        await settle(pilot)
        assert sorted(store.reads) == sorted((r.run_id, "loss") for r in runs)

    try:
        run_ui(store, body)
    finally:
        store.close()


def test_no_color_tells_runs_apart_by_marker(sample_store, monkeypatch):
    monkeypatch.setenv("NO_COLOR", "1")
    runs = experiment_runs(sample_store, "iris_experiment")[:2]

    async def body(pilot, app):
        assert app.no_color
        app.push_screen(ChartScreen(runs, metric="loss"))
        await settle(pilot)
        text = screen_text(app)
        assert f"•• {runs[0].run_name}" in text and f"++ {runs[1].run_name}" in text
        assert "⢕" not in text  # no braille: a run's line is made of its own marker

    run_ui(sample_store, body)
