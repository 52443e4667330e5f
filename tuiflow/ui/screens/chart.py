"""Metric chart: the metric keys of the chosen runs on the left, the chart on the right.

Histories load with `store.get_metric_history`, one thread worker per run, only for the
metric shown, and stay cached while the screen is open; `x` switches the x axis, `l`
log-y, `+`/`-` EMA smoothing. `refresh_histories()` re-reads them (`r`, watch mode).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, replace
from functools import partial
from typing import Any

from rich.text import Text
from textual import on
from textual.app import App, ComposeResult
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.screen import Screen
from textual.widgets import DataTable, Static
from textual.worker import get_current_worker

from tuiflow import charts
from tuiflow.entities import Run
from tuiflow.textsafe import inert
from tuiflow.ui import keys
from tuiflow.ui.screens.quiet_focus import QuietFocus
from tuiflow.ui.widgets import cells
from tuiflow.ui.widgets.key_bar import KeyBar
from tuiflow.ui.widgets.metric_chart import MetricChart
from tuiflow.ui.widgets.nav_table import NavTable


@dataclass
class ChartHistoryLoaded(Message):
    generation: int
    run_id: str
    key: str
    history: charts.History | None
    error: Exception | None = None


def metric_keys(runs: Sequence[Run]) -> list[str]:
    return sorted({key for run in runs for key in run.metrics})


def default_metric(runs: Sequence[Run]) -> str | None:
    """The key with the longest history by its latest step (a curve, not a single value)."""
    best: dict[str, int] = {}
    for run in runs:
        for key, metric in run.metrics.items():
            best[key] = max(best.get(key, 0), metric.step)
    return min(best, key=lambda k: (-best[k], k)) if best else None


def legend_labels(runs: Sequence[Run]) -> dict[str, str]:
    """Run names for the legend, truncated; a short id tells equal names apart."""
    names = [charts.short_label(r.run_name or r.run_id) for r in runs]
    labels = {}
    for run, name in zip(runs, names, strict=True):
        labels[run.run_id] = name if names.count(name) == 1 else f"{name[:14]} {run.run_id[:5]}"
    return labels


def open_chart(
    app: App, view_runs: Sequence[Run], marked: Collection[str], current: Run | None
) -> None:
    """Chart the marked runs of the view, or the run under the cursor when none is marked."""
    chosen = [r for r in view_runs if r.run_id in marked] or ([current] if current else [])
    if not chosen:
        app.notify("No run to plot", title="Metric chart", severity="warning")
        return
    app.push_screen(ChartScreen(chosen))


class ChartScreen(QuietFocus, Screen[None]):
    BINDINGS = keys.CHART

    DEFAULT_CSS = """
    ChartScreen #chart-title {
        height: 1;
        padding: 0 1;
        background: $panel;
        text-style: bold;
    }
    ChartScreen #chart-metrics {
        width: 28;
        height: 1fr;
        border-right: vkey $panel-lighten-2;
    }
    ChartScreen #chart-area {
        width: 1fr;
        height: 1fr;
    }
    ChartScreen #chart-message {
        height: auto;
        max-height: 4;
        padding: 0 1;
        color: $text-muted;
    }
    ChartScreen #chart-empty {
        height: 1fr;
        content-align: center middle;
        color: $text-muted;
        display: none;
    }
    ChartScreen .-empty #chart-empty {
        display: block;
    }
    ChartScreen .-empty MetricChart {
        display: none;
    }
    """

    def __init__(self, runs: Sequence[Run], metric: str | None = None) -> None:
        super().__init__()
        self.runs = tuple(runs)
        self.metric = metric if metric is not None else default_metric(self.runs)
        self.options = charts.Options()
        self.cache: dict[tuple[str, str], charts.History] = {}
        self.errors: dict[str, str] = {}  # run id -> why its history of `metric` is missing
        self.pending: set[str] = set()
        self.generation = 0

    def compose(self) -> ComposeResult:
        yield Static(id="chart-title")
        with Horizontal():
            yield NavTable(id="chart-metrics", cursor_type="row", zebra_stripes=False)
            with Vertical(id="chart-area"):
                yield Static(id="chart-message")
                yield Static(id="chart-empty")
                yield MetricChart(id="chart")
        yield KeyBar()

    def on_mount(self) -> None:
        table = self.query_one("#chart-metrics", NavTable)
        table.add_column("Metric", key="key")
        table.add_column("Runs", key="runs")
        self._fill_keys()
        table.focus()
        self._load()

    @property
    def chart(self) -> MetricChart:
        return self.query_one(MetricChart)

    # -- the metric list -----------------------------------------------------------------

    def _fill_keys(self) -> None:
        table = self.query_one("#chart-metrics", NavTable)
        wanted = metric_keys(self.runs)
        if [row.key.value for row in table.ordered_rows] != wanted:
            table.clear()
            for key in wanted:
                table.add_row(cells.text(key), "", key=key)
            if self.metric is not None and self.metric in table.rows:
                table.move_cursor(row=table.get_row_index(self.metric))
        for key in wanted:  # how many of the runs logged it
            having = sum(1 for r in self.runs if key in r.metrics)
            table.update_cell(key, "runs", cells.text(f"{having}/{len(self.runs)}", "dim"))

    @on(DataTable.RowHighlighted, "#chart-metrics")
    def _on_metric_highlighted(self, event: DataTable.RowHighlighted) -> None:
        if event.cursor_row != event.data_table.cursor_row:
            return  # superseded (the list was refilled and the cursor moved on)
        key = event.row_key.value
        if key is not None and key != self.metric:
            self.metric = key
            self._load()

    # -- loading -------------------------------------------------------------------------

    def _runs_with_metric(self) -> list[Run]:
        return [r for r in self.runs if self.metric in r.metrics]

    def _load(self, keep_chart: bool = False) -> None:
        """Ask for the histories of the shown metric that are not cached."""
        self.generation += 1
        self.errors = {}
        key = self.metric
        runs = self._runs_with_metric() if key is not None else []
        self.pending = {r.run_id for r in runs if (r.run_id, key) not in self.cache}
        if self.pending and not keep_chart:
            self.chart.clear()  # another metric's lines must not stand in while loading
        for index, run in enumerate(runs):
            if run.run_id in self.pending:
                self.run_worker(
                    partial(self._fetch, self.generation, run.run_id, key),
                    thread=True,
                    exclusive=True,
                    group=f"chart-history-{index}",
                    exit_on_error=False,
                )
        self._redraw()

    def _fetch(self, generation: int, run_id: str, key: str) -> None:
        store = self.app.store  # type: ignore[attr-defined]
        try:
            history = charts.History.from_metrics(store.get_metric_history(run_id, key))
        except Exception as exc:  # NotFoundError, StoreError, a store bug: shown in place
            self.post_message(ChartHistoryLoaded(generation, run_id, key, None, exc))
            return
        if not get_current_worker().is_cancelled:
            self.post_message(ChartHistoryLoaded(generation, run_id, key, history))

    def on_chart_history_loaded(self, message: ChartHistoryLoaded) -> None:
        message.stop()
        current = message.generation == self.generation
        slot = (message.run_id, message.key)
        # A late answer for another metric is still worth keeping, unless it is stale.
        if message.history is not None and (current or slot not in self.cache):
            self.cache[slot] = message.history
        if not current:
            return
        self.pending.discard(message.run_id)
        if message.error is not None:
            self.errors[message.run_id] = inert(str(message.error), single_line=True)
        if not self.pending:
            self._redraw()

    def refresh_histories(self, runs: Sequence[Run] | None = None) -> None:
        """Re-read the histories (`r`; watch mode passes the runs that changed).

        The chart keeps showing the previous data until the new histories arrive.
        """
        stale = {r.run_id for r in self.runs}
        if runs is not None:
            by_id = {r.run_id: r for r in runs}
            stale &= set(by_id)
            self.runs = tuple(by_id.get(r.run_id, r) for r in self.runs)
            self._fill_keys()
        # Every cached metric of a changed run is out of date, not only the one shown.
        self.cache = {slot: h for slot, h in self.cache.items() if slot[0] not in stale}
        self._load(keep_chart=True)

    # -- display -------------------------------------------------------------------------

    def _redraw(self) -> None:
        key = self.metric
        title = charts.settings_text(key, self.options) if key else "no metric"
        self.sub_title = title
        self.query_one("#chart-title", Static).update(cells.text(title))
        area = self.query_one("#chart-area")
        if key is None:
            who = ", ".join(r.run_name or r.run_id for r in self.runs)
            self._set_empty(f"no metrics logged by {inert(who, single_line=True)}")
            self._set_message("")
            return
        runs = self._runs_with_metric()
        if self.pending:
            if not self.chart.series:
                self._set_empty(f"loading… ({len(runs) - len(self.pending)}/{len(runs)} runs)")
            self._set_message(f"loading {len(self.pending)} of {len(runs)} histories…")
            return
        labels = legend_labels(self.runs)
        ready = [
            (labels[r.run_id], self.cache[(r.run_id, key)])
            for r in runs
            if (r.run_id, key) in self.cache
        ]
        series = self.chart.show(ready, self.options)
        shown = sum(len(s.ys) for s in series)
        area.set_class(False, "-empty")
        if not shown:
            self._set_empty("no points to draw" if not self.errors else "could not load histories")
        self._set_message(self._summary(runs, series))

    def _summary(self, runs: Sequence[Run], series: Sequence[charts.Series]) -> Text:
        text = Text(no_wrap=False)
        points = sum(len(s.ys) + s.dropped for s in series)
        text.append(f"{len(series)} run{'s' if len(series) != 1 else ''} · {points:,} points")
        dropped = sum(s.dropped for s in series)
        if dropped:
            why = "NaN/inf or ≤ 0 on log-y" if self.options.log_y else "NaN/inf"
            text.append(f" · {dropped:,} not drawn ({why})", style="yellow")
        if len(series) > charts.MAX_LEGEND:
            text.append(f" · legend shows the first {charts.MAX_LEGEND}")
        missing = [r for r in self.runs if self.metric not in r.metrics]
        if missing:
            names = ", ".join(r.run_name or r.run_id for r in missing)
            text.append(f" · not logged by {inert(names, single_line=True)}")
        names = {r.run_id: r.run_name or r.run_id for r in self.runs}
        for run_id, error in self.errors.items():
            label = inert(names.get(run_id, run_id), single_line=True)
            text.append(f"\ncould not load {label}: {error}", style="bold red")
        return text

    def _set_empty(self, text: str) -> None:
        self.query_one("#chart-area").set_class(True, "-empty")
        self.query_one("#chart-empty", Static).update(cells.text(text))

    def _set_message(self, text: str | Text) -> None:
        shown = text if isinstance(text, Text) else cells.text(text)
        self.query_one("#chart-message", Static).update(shown)

    # -- actions -------------------------------------------------------------------------

    def _set_options(self, **changes: Any) -> None:
        self.options = replace(self.options, **changes)
        self._redraw()

    def action_cycle_x(self) -> None:
        axes = charts.X_AXES
        self._set_options(x_axis=axes[(axes.index(self.options.x_axis) + 1) % len(axes)])

    def action_toggle_log(self) -> None:
        self._set_options(log_y=not self.options.log_y)

    def action_smoothing(self, direction: int) -> None:
        levels = charts.SMOOTHING_LEVELS
        now = min(range(len(levels)), key=lambda i: abs(levels[i] - self.options.smoothing))
        self._set_options(smoothing=levels[max(0, min(len(levels) - 1, now + direction))])

    def action_refresh(self) -> None:
        self.refresh_histories()

    def action_back(self) -> None:
        self.dismiss()
