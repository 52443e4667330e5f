"""Entities → plain JSON-ready dicts and CSV rows.

Pure and shared: the headless CLI prints these and the UI's export writes the same
shape, so a script that reads `tuiflow runs --format json` reads an exported view too.
"""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Iterable, Sequence
from typing import Any

from tuiflow.entities import Experiment, Metric, ModelVersion, RegisteredModel, Run

RUN_KEYS = (
    "run_id",
    "run_name",
    "experiment_id",
    "status",
    "start_time",
    "end_time",
    "lifecycle_stage",
    "user_id",
    "artifact_uri",
)


def metric_value(value: float) -> float | str:
    """JSON has no NaN or infinity; use the strings MLflow's REST API uses."""
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    return value


def run_to_dict(run: Run) -> dict[str, Any]:
    return {
        "run_id": run.run_id,
        "run_name": run.run_name,
        "experiment_id": run.experiment_id,
        "status": run.status,
        "start_time": run.start_time,
        "end_time": run.end_time,
        "lifecycle_stage": run.lifecycle_stage,
        "user_id": run.user_id,
        "artifact_uri": run.artifact_uri,
        "metrics": {k: metric_value(m.value) for k, m in sorted(run.metrics.items())},
        "params": dict(sorted(run.params.items())),
        "tags": dict(sorted(run.tags.items())),
    }


def experiment_to_dict(exp: Experiment) -> dict[str, Any]:
    return {
        "experiment_id": exp.experiment_id,
        "name": exp.name,
        "artifact_location": exp.artifact_location,
        "lifecycle_stage": exp.lifecycle_stage,
        "creation_time": exp.creation_time,
        "last_update_time": exp.last_update_time,
        "tags": dict(sorted(exp.tags.items())),
    }


def metric_to_dict(metric: Metric) -> dict[str, Any]:
    return {
        "key": metric.key,
        "value": metric_value(metric.value),
        "step": metric.step,
        "timestamp": metric.timestamp,
    }


def model_version_to_dict(mv: ModelVersion) -> dict[str, Any]:
    return {
        "name": mv.name,
        "version": mv.version,
        "current_stage": mv.current_stage,
        "aliases": list(mv.aliases),
        "status": mv.status,
        "run_id": mv.run_id,
        "source": mv.source,
        "description": mv.description,
        "creation_timestamp": mv.creation_timestamp,
        "last_updated_timestamp": mv.last_updated_timestamp,
        "tags": dict(sorted(mv.tags.items())),
    }


def registered_model_to_dict(
    model: RegisteredModel, versions: Sequence[ModelVersion]
) -> dict[str, Any]:
    return {
        "name": model.name,
        "description": model.description,
        "creation_timestamp": model.creation_timestamp,
        "last_updated_timestamp": model.last_updated_timestamp,
        "aliases": dict(sorted(model.aliases.items())),
        "tags": dict(sorted(model.tags.items())),
        "versions": [model_version_to_dict(v) for v in versions],
    }


def dumps(data: Any, pretty: bool = False) -> str:
    # The C encoder is only used without indent; keep machine output on the fast path.
    if pretty:
        return json.dumps(data, ensure_ascii=False, indent=2, allow_nan=False)
    # Entities make trees, never cycles: the cycle check is bookkeeping per container.
    return json.dumps(
        data, ensure_ascii=False, separators=(",", ":"), allow_nan=False, check_circular=False
    )


def runs_to_csv(runs: Sequence[Run]) -> str:
    """MLflow's `search_runs` DataFrame layout: fixed columns, then metrics./params./tags."""
    metric_keys = sorted({k for r in runs for k in r.metrics})
    param_keys = sorted({k for r in runs for k in r.params})
    tag_keys = sorted({k for r in runs for k in r.tags})
    header = [
        *RUN_KEYS,
        *(f"metrics.{k}" for k in metric_keys),
        *(f"params.{k}" for k in param_keys),
        *(f"tags.{k}" for k in tag_keys),
    ]
    rows: list[list[Any]] = []
    for r in runs:
        row: list[Any] = [getattr(r, k) for k in RUN_KEYS]
        row += [_csv_metric(r.metrics.get(k)) for k in metric_keys]
        row += [r.params.get(k, "") for k in param_keys]
        row += [r.tags.get(k, "") for k in tag_keys]
        rows.append(row)
    return to_csv(header, rows)


def _csv_metric(metric: Metric | None) -> Any:
    return "" if metric is None else metric_value(metric.value)


def to_csv(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow(["" if v is None else v for v in row])
    return buf.getvalue()
