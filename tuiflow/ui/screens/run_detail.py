"""One run: overview, params, metrics (latest, with min/max/steps on demand), tags, artifacts.

The run arrives from the runs table; `r` re-reads it with `get_run`. Metric histories
are read only when the Metrics tab is first shown, one key at a time in a worker.
"""

from __future__ import annotations

from textual import on, work
from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import DataTable, Static, TabbedContent, TabPane
from textual.worker import get_current_worker

from tuiflow import humanize
from tuiflow.entities import Run
from tuiflow.textsafe import inert
from tuiflow.ui import clock, keys
from tuiflow.ui.messages import (
    ChildRunsLoaded,
    LoadFailed,
    MetricHistoryLoaded,
    RunChosen,
    RunLoaded,
)
from tuiflow.ui.screens.quiet_focus import QuietFocus
from tuiflow.ui.widgets import cells
from tuiflow.ui.widgets.artifact_tree import ArtifactsBrowser, ArtifactTree
from tuiflow.ui.widgets.key_bar import KeyBar
from tuiflow.ui.widgets.nav_table import NavTable

SOURCE_TAGS = (
    ("Source", "mlflow.source.name"),
    ("Source type", "mlflow.source.type"),
    ("Git commit", "mlflow.source.git.commit"),
    ("Git branch", "mlflow.source.git.branch"),
    ("Git repo", "mlflow.source.git.repoURL"),
    ("Entry point", "mlflow.project.entryPoint"),
    ("Note", "mlflow.note.content"),
)
PENDING = "…"


def overview_rows(run: Run, now: int) -> list[tuple[str, str, str]]:
    """(row key, field, value) for the overview table."""

    def when(ms: int | None) -> str:
        return f"{humanize.timestamp(ms)} ({humanize.relative(ms, now)})" if ms else ""

    rows = [
        ("run_id", "Run ID", run.run_id),
        ("name", "Name", run.run_name),
        ("experiment", "Experiment ID", run.experiment_id),
        ("status", "Status", run.status),
        ("start", "Start", when(run.start_time)),
        ("end", "End", when(run.end_time)),
        ("duration", "Duration", humanize.duration(run.duration_ms)),
        ("user", "User", run.user_id),
        ("lifecycle", "Lifecycle", run.lifecycle_stage),
        ("artifact_uri", "Artifact URI", run.artifact_uri or ""),
    ]
    if run.parent_run_id:
        rows.append(("parent", "Parent run", f"{run.parent_run_id}  (enter opens it)"))
    rows += [(tag, label, run.tags[tag]) for label, tag in SOURCE_TAGS if tag in run.tags]
    for i, inp in enumerate(run.inputs):
        ds = inp.dataset
        parts = [f"{ds.name} ({ds.digest})"]
        if inp.context:
            parts.append(inp.context)
        if ds.source_type:
            parts.append(ds.source_type)
        rows.append((f"dataset:{i}", "Dataset", " · ".join(parts)))
    return rows


class RunDetailScreen(QuietFocus, Screen[None]):
    BINDINGS = [*keys.DETAIL, *keys.DETAIL_CHART]

    DEFAULT_CSS = """
    RunDetailScreen #detail-title {
        height: 1;
        padding: 0 1;
        background: $panel;
        text-style: bold;
    }
    RunDetailScreen TabbedContent {
        height: 1fr;
    }
    RunDetailScreen ContentSwitcher {
        height: 1fr;
    }
    RunDetailScreen TabPane {
        padding: 0;
        height: 1fr;
    }
    """

    def __init__(self, run: Run) -> None:
        super().__init__()
        self.current = run
        self.histories_requested = False
        self.child_runs: dict[str, Run] = {}

    def compose(self) -> ComposeResult:
        yield Static(id="detail-title")
        with TabbedContent(initial="overview"):
            with TabPane("Overview", id="overview"):
                yield NavTable(id="overview-table", cursor_type="row")
            with TabPane("Params", id="params"):
                yield NavTable(id="params-table", cursor_type="row")
            with TabPane("Metrics", id="metrics"):
                yield NavTable(id="metrics-table", cursor_type="row")
            with TabPane("Tags", id="tags"):
                yield NavTable(id="tags-table", cursor_type="row")
            with TabPane("Artifacts", id="artifacts"):
                yield ArtifactsBrowser(self.current.run_id, id="artifacts-browser")
        yield KeyBar()

    def on_mount(self) -> None:
        self._table("overview").add_columns("Field", "Value")
        self._table("params").add_columns("Param", "Value")
        metrics = self._table("metrics")
        metrics.add_column("Metric", key="key")
        for label in ("Latest", "Step", "Min", "Max", "Steps"):
            metrics.add_column(label, key=label.lower())
        self._table("tags").add_columns("Tag", "Value")
        self._fill()
        self._table("overview").focus()
        self._load_children(self.current)

    def _table(self, name: str) -> NavTable:
        return self.query_one(f"#{name}-table", NavTable)

    def _fill(self) -> None:
        run = self.current
        title = f"{run.run_name or run.run_id}  ·  {run.status}  ·  {run.run_id}"
        self.query_one("#detail-title", Static).update(cells.text(title))
        overview = self._table("overview")
        overview.clear()
        for key, label, value in overview_rows(run, clock.now_ms()):
            style = "bold" if key == "status" else ""
            overview.add_row(cells.text(label, "dim"), cells.text(value, style), key=key)
        params = self._table("params")
        params.clear()
        for key, value in sorted(run.params.items()):
            params.add_row(cells.text(key), cells.text(value), key=key)
        metrics = self._table("metrics")
        metrics.clear()
        for key, metric in sorted(run.metrics.items()):
            pending = cells.text(PENDING, "dim", justify="right")
            metrics.add_row(
                cells.text(key),
                cells.metric(metric),
                cells.number(metric.step),
                pending,
                pending,
                pending,
                key=key,
            )
        tags = self._table("tags")
        tags.clear()
        for key, value in sorted(run.tags.items()):
            tags.add_row(cells.text(key), cells.text(value), key=key)
        for name, count in (("params", run.params), ("metrics", run.metrics), ("tags", run.tags)):
            tab = self.query_one(TabbedContent).get_tab(name)
            tab.label = f"{name.capitalize()} ({len(count)})"  # type: ignore[assignment]

    # -- metric histories, on demand -----------------------------------------------------

    @on(TabbedContent.TabActivated)
    def _on_tab(self, event: TabbedContent.TabActivated) -> None:
        pane = event.pane.id
        if pane == "artifacts":
            self._show_artifacts()
        elif pane:
            self._table(pane).focus()
        if pane == "metrics" and not self.histories_requested and self.current.metrics:
            self.histories_requested = True
            self._load_histories(self.current.run_id, tuple(sorted(self.current.metrics)))

    @work(thread=True, exclusive=True, group="metric-history", exit_on_error=False)
    def _load_histories(self, run_id: str, metric_keys: tuple[str, ...]) -> None:
        worker = get_current_worker()
        store = self.app.store  # type: ignore[attr-defined]
        for key in metric_keys:
            if worker.is_cancelled:
                return
            try:
                history = tuple(store.get_metric_history(run_id, key))
            except Exception as exc:  # shown as a notification; other keys still load
                self.post_message(LoadFailed("history", exc))
                continue
            self.post_message(MetricHistoryLoaded(run_id, key, history))

    def on_metric_history_loaded(self, message: MetricHistoryLoaded) -> None:
        if message.run_id != self.current.run_id or not message.history:
            return
        values = [m.value for m in message.history if m.value == m.value]  # NaN never min/max
        table = self._table("metrics")
        if message.key not in table.rows:
            return
        low = cells.number(min(values) if values else None)
        high = cells.number(max(values) if values else None)
        table.update_cell(message.key, "min", low, update_width=True)
        table.update_cell(message.key, "max", high, update_width=True)
        table.update_cell(message.key, "steps", cells.number(len(message.history)))

    # -- refresh, back, tabs -------------------------------------------------------------

    def action_refresh(self) -> None:
        self._reload(self.current.run_id)

    @work(thread=True, exclusive=True, group="run", exit_on_error=False)
    def _reload(self, run_id: str) -> None:
        try:
            run = self.app.store.get_run(run_id)  # type: ignore[attr-defined]
        except Exception as exc:  # NotFoundError (deleted meanwhile), StoreError, a bug
            self.post_message(LoadFailed("run", exc))
            return
        self.post_message(RunLoaded(run))

    @work(thread=True, exclusive=True, group="children", exit_on_error=False)
    def _load_children(self, run: Run) -> None:
        # Run ids are [A-Za-z0-9_-] (MLflow's _RUN_ID_REGEX), so single quotes are safe.
        query = f"tags.`mlflow.parentRunId` = '{run.run_id}'"
        try:
            page = self.app.store.search_runs(  # type: ignore[attr-defined]
                [run.experiment_id], filter=query, max_results=1000
            )
        except Exception as exc:  # the overview is still useful without its children
            self.post_message(LoadFailed("child runs", exc))
            return
        self.post_message(ChildRunsLoaded(run.run_id, page.items))

    def on_child_runs_loaded(self, message: ChildRunsLoaded) -> None:
        if message.run_id != self.current.run_id:
            return
        self.child_runs = {r.run_id: r for r in message.children}
        overview = self._table("overview")
        for child in message.children:
            label = f"{child.run_name}  {child.status}  {child.run_id}"
            overview.add_row(
                cells.text("Child run", "dim"), cells.text(label), key=f"child:{child.run_id}"
            )

    def on_run_loaded(self, message: RunLoaded) -> None:
        self.current = message.run
        self._fill()
        self._load_children(self.current)
        browser = self.query_one(ArtifactsBrowser)
        if browser.started:  # `r` lists the artifacts again too
            browser.start(self.current.run_id)
        self.histories_requested = False
        if self.query_one(TabbedContent).active == "metrics" and self.current.metrics:
            self.histories_requested = True
            self._load_histories(self.current.run_id, tuple(sorted(self.current.metrics)))

    def on_load_failed(self, message: LoadFailed) -> None:
        self.notify(
            inert(str(message.error), single_line=True),
            title=f"Could not load {message.what}",
            severity="error",
            markup=False,
        )

    @on(DataTable.RowSelected, "#overview-table")
    def _on_overview_selected(self, event: DataTable.RowSelected) -> None:
        key = event.row_key.value or ""
        if key == "parent" and self.current.parent_run_id:
            self._open_parent(self.current.parent_run_id)
        elif key.startswith("child:") and key[6:] in self.child_runs:
            self.app.push_screen(RunDetailScreen(self.child_runs[key[6:]]))

    @work(thread=True, exclusive=True, group="run", exit_on_error=False)
    def _open_parent(self, run_id: str) -> None:
        try:
            run = self.app.store.get_run(run_id)  # type: ignore[attr-defined]
        except Exception as exc:
            self.post_message(LoadFailed("parent run", exc))
            return
        self.post_message(RunChosen(run))

    def on_run_chosen(self, message: RunChosen) -> None:
        message.stop()
        self.app.push_screen(RunDetailScreen(message.run))

    def action_back(self) -> None:
        self.dismiss()

    def action_tab(self, name: str) -> None:
        self.query_one(TabbedContent).active = name

    def _show_artifacts(self) -> None:
        """List the artifacts the first time the tab is shown (widgets/artifact_tree.py)."""
        browser = self.query_one(ArtifactsBrowser)
        if not browser.started:
            browser.start(self.current.run_id)
        self.query_one(ArtifactTree).focus()

    # -- metric chart (tuiflow/ui/screens/chart.py) ---------------------------------------

    @on(DataTable.RowSelected, "#metrics-table")
    def _on_metric_selected(self, event: DataTable.RowSelected) -> None:
        self._plot(event.row_key.value)

    def action_plot(self) -> None:
        """`p`: chart this run, with the metric under the cursor on the Metrics tab."""
        key = None
        metrics = self._table("metrics")
        if self.query_one(TabbedContent).active == "metrics" and metrics.row_count:
            key = metrics.coordinate_to_cell_key(metrics.cursor_coordinate).row_key.value
        self._plot(key)

    def _plot(self, key: str | None) -> None:
        from tuiflow.ui.screens.chart import ChartScreen

        self.app.push_screen(ChartScreen([self.current], metric=key))
