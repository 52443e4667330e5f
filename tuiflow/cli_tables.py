"""Rich tables for the headless verbs' `--format table`.

Every cell goes through `inert` because values are untrusted, and through `Text` rather
than markup so a `[bold]` inside a tag value stays literal.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

from rich.table import Table
from rich.text import Text

from tuiflow import humanize
from tuiflow.entities import Experiment, Metric, ModelVersion, RegisteredModel, Run
from tuiflow.textsafe import inert

STATUS_STYLE = {
    "FINISHED": "green",
    "RUNNING": "cyan",
    "SCHEDULED": "blue",
    "FAILED": "red",
    "KILLED": "magenta",
}
STAGE_STYLE = {"Production": "green", "Staging": "yellow", "Archived": "dim", "None": ""}


def _cell(value: object, style: str = "") -> Text:
    return Text("" if value is None else inert(str(value), single_line=True), style=style)


def differing_params(runs: Sequence[Run]) -> list[str]:
    """Param keys whose value is not the same in every run (all keys for a single run)."""
    keys = sorted({k for r in runs for k in r.params})
    if len(runs) <= 1:
        return keys
    return [k for k in keys if len({r.params.get(k) for r in runs}) > 1]


def runs_table(runs: Sequence[Run], width: int) -> tuple[Table, int]:
    """Runs with metrics first, then the params that differ; returns (table, hidden columns)."""
    table = Table(show_lines=False, header_style="bold", pad_edge=False, expand=False)
    table.add_column("Run ID", no_wrap=True)
    table.add_column("Name", overflow="ellipsis", max_width=28)
    table.add_column("Status", no_wrap=True)
    table.add_column("Start", no_wrap=True)
    table.add_column("Duration", no_wrap=True, justify="right")
    used = 32 + 20 + 9 + 19 + 9 + 5 * 3
    metric_keys = sorted({k for r in runs for k in r.metrics})
    param_keys = differing_params(runs)
    shown_metrics: list[str] = []
    shown_params: list[str] = []
    for bucket, keys in ((shown_metrics, metric_keys), (shown_params, param_keys)):
        for key in keys:
            need = min(max(len(key), 8), 24) + 3
            if used + need > width:
                break
            bucket.append(key)
            used += need
    for key in shown_metrics:
        table.add_column(inert(key), justify="right", no_wrap=True, max_width=24)
    for key in shown_params:
        table.add_column(inert(f"params.{key}"), no_wrap=True, overflow="ellipsis", max_width=24)
    for r in runs:
        row = [
            _cell(r.run_id),
            _cell(r.run_name),
            _cell(r.status, STATUS_STYLE.get(r.status, "")),
            _cell(humanize.timestamp(r.start_time)),
            _cell(humanize.duration(r.duration_ms)),
        ]
        row += [_metric_cell(r.metrics.get(k)) for k in shown_metrics]
        row += [_cell(r.params.get(k, "")) for k in shown_params]
        table.add_row(*row)
    hidden = len(metric_keys) - len(shown_metrics) + len(param_keys) - len(shown_params)
    return table, hidden


def _metric_cell(metric: Metric | None) -> Text:
    return Text("" if metric is None else humanize.number(metric.value))


def experiments_table(experiments: Sequence[Experiment]) -> Table:
    table = Table(header_style="bold", pad_edge=False)
    table.add_column("ID", no_wrap=True)
    table.add_column("Name", overflow="fold")
    table.add_column("Stage", no_wrap=True)
    table.add_column("Created", no_wrap=True)
    table.add_column("Last update", no_wrap=True)
    table.add_column("Artifact location", overflow="fold")
    for e in experiments:
        table.add_row(
            _cell(e.experiment_id),
            _cell(e.name),
            _cell(e.lifecycle_stage, "red" if e.lifecycle_stage == "deleted" else ""),
            _cell(humanize.timestamp(e.creation_time)),
            _cell(humanize.timestamp(e.last_update_time)),
            _cell(e.artifact_location),
        )
    return table


def models_table(models: Sequence[tuple[RegisteredModel, Sequence[ModelVersion]]]) -> Table:
    table = Table(header_style="bold", pad_edge=False)
    table.add_column("Model", overflow="fold")
    table.add_column("Version", justify="right", no_wrap=True)
    table.add_column("Stage", no_wrap=True)
    table.add_column("Aliases", overflow="fold")
    table.add_column("Run ID", no_wrap=True)
    table.add_column("Updated", no_wrap=True)
    now = int(time.time() * 1000)
    for model, versions in models:
        if not versions:
            table.add_row(_cell(model.name), _cell("-"), _cell(""), _cell(""), _cell(""), _cell(""))
        for i, v in enumerate(versions):
            table.add_row(
                _cell(model.name if i == 0 else ""),
                _cell(v.version),
                _cell(v.current_stage, STAGE_STYLE.get(v.current_stage, "")),
                _cell(", ".join(v.aliases)),
                _cell(v.run_id),
                _cell(humanize.relative(v.last_updated_timestamp, now)),
            )
    return table


def history_table(metrics: Sequence[Metric]) -> Table:
    table = Table(header_style="bold", pad_edge=False)
    table.add_column("Step", justify="right")
    table.add_column("Value", justify="right")
    table.add_column("Timestamp")
    for m in metrics:
        table.add_row(
            _cell(m.step), Text(humanize.number(m.value)), _cell(humanize.timestamp(m.timestamp))
        )
    return table
