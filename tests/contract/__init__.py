"""Cross-backend contract tests: tuiflow against real MLflow on the same store.

Helpers shared by the contract modules: walking pages on both sides, asking MLflow as an
oracle (a result or an exception), and turning MLflow and tuiflow entities into plain,
comparable values (NaN becomes a marker because NaN != NaN).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from tuiflow.entities import ViewType

VIEWS: tuple[ViewType, ...] = (ViewType.ACTIVE_ONLY, ViewType.DELETED_ONLY, ViewType.ALL)
NAN_MARK = "<NaN>"


def mlflow_view(view: ViewType) -> int:
    from mlflow.entities import ViewType as MlflowViewType

    return {
        ViewType.ACTIVE_ONLY: MlflowViewType.ACTIVE_ONLY,
        ViewType.DELETED_ONLY: MlflowViewType.DELETED_ONLY,
        ViewType.ALL: MlflowViewType.ALL,
    }[view]


@dataclass(frozen=True)
class Outcome:
    """What MLflow did: a value, or the exception it raised."""

    value: Any = None
    error: BaseException | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


def ask_mlflow(call: Callable[[], Any]) -> Outcome:
    """Run an MLflow call; any exception counts as "MLflow rejects this".

    Not only MlflowException: some inputs crash MLflow's parser with a plain Python error
    (e.g. IS NULL in a registry filter, mlflow-formats.md §6.9), which is a rejection too.
    """
    try:
        return Outcome(value=call())
    except Exception as exc:
        return Outcome(error=exc)


def walk_pages(fetch: Callable[[str | None], Any]) -> list[Any]:
    """Every item of every page; `fetch(token)` returns a Page or an MLflow PagedList."""
    items: list[Any] = []
    token: str | None = None
    for _ in range(10_000):
        page = fetch(token)
        items.extend(page)
        token = getattr(page, "next_page_token", None) or getattr(page, "token", None)
        if not token:
            return items
    raise AssertionError("pagination never ended")


def substitute(text: str, names: Mapping[str, str]) -> str:
    """Replace <LABEL> placeholders with this backend's run ids."""
    for label, value in names.items():
        text = text.replace(f"<{label}>", value)
    return text


def fnum(value: float | None) -> Any:
    if value is None:
        return None
    return NAN_MARK if math.isnan(value) else float(value)


# -- runs -----------------------------------------------------------------------------------


def mlflow_run_dict(run: Any) -> dict[str, Any]:
    info, data = run.info, run.data
    inputs = run.inputs.dataset_inputs if run.inputs else []
    return {
        "run_id": info.run_id,
        "experiment_id": str(info.experiment_id),
        "run_name": info.run_name or "",
        "user_id": info.user_id,
        "status": info.status,
        "start_time": info.start_time,
        "end_time": info.end_time,
        "lifecycle_stage": info.lifecycle_stage,
        "artifact_uri": info.artifact_uri,
        "metrics": {
            m.key: (fnum(m.value), m.step, m.timestamp) for m in data._metric_objs
        },
        "params": dict(data.params),
        "tags": dict(data.tags),
        "inputs": sorted(
            (
                d.dataset.name,
                d.dataset.digest,
                d.dataset.source_type,
                d.dataset.source,
                d.dataset.schema or None,
                d.dataset.profile or None,
                tuple(sorted((t.key, t.value) for t in d.tags)),
            )
            for d in inputs
        ),
    }


def tuiflow_run_dict(run: Any) -> dict[str, Any]:
    return {
        "run_id": run.run_id,
        "experiment_id": run.experiment_id,
        "run_name": run.run_name or "",
        "user_id": run.user_id,
        "status": run.status,
        "start_time": run.start_time,
        "end_time": run.end_time,
        "lifecycle_stage": run.lifecycle_stage,
        "artifact_uri": run.artifact_uri,
        "metrics": {
            key: (fnum(m.value), m.step, m.timestamp) for key, m in run.metrics.items()
        },
        "params": dict(run.params),
        "tags": dict(run.tags),
        "inputs": sorted(
            (
                d.dataset.name,
                d.dataset.digest,
                d.dataset.source_type,
                d.dataset.source,
                d.dataset.schema or None,
                d.dataset.profile or None,
                tuple(sorted(d.tags.items())),
            )
            for d in run.inputs
        ),
    }


def mlflow_run_ids(
    backend: Any,
    experiment_ids: Sequence[str],
    filter: str,
    order_by: Sequence[str],
    view: ViewType,
    page_size: int = 1000,
) -> list[str]:
    def fetch(token: str | None) -> Any:
        return backend.client.search_runs(
            list(experiment_ids),
            filter,
            run_view_type=mlflow_view(view),
            max_results=page_size,
            order_by=list(order_by),
            page_token=token,
        )

    return [r.info.run_id for r in walk_pages(fetch)]


def tuiflow_runs(
    backend: Any,
    experiment_ids: Sequence[str],
    filter: str,
    order_by: Sequence[str],
    view: ViewType,
    page_size: int = 1000,
) -> list[Any]:
    def fetch(token: str | None) -> Any:
        return backend.store.search_runs(
            list(experiment_ids),
            filter=filter,
            order_by=list(order_by),
            view=view,
            max_results=page_size,
            page_token=token,
        )

    return walk_pages(fetch)


def labels_of(backend: Any, run_ids: Sequence[str]) -> list[str]:
    """Run ids back to the readable labels of mlflow_data, for failure messages."""
    by_id = {v: k for k, v in backend.runs.items()}
    return [by_id.get(r, r) for r in run_ids]
