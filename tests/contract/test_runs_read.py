"""get_run, get_metric_history and list_artifacts against MLflow on the same backend."""

from __future__ import annotations

from typing import Any

import pytest
from mlflow_data import RUNS

from contract import ask_mlflow, fnum, mlflow_run_dict, tuiflow_run_dict
from tuiflow.errors import NotFoundError, TuiflowError

LABELS = [spec.label for spec in RUNS]
HISTORIES = [(spec.label, key) for spec in RUNS for key in spec.metrics]


@pytest.mark.parametrize("label", LABELS)
def test_get_run(backend, label: str) -> None:
    run_id = backend.runs[label]
    assert tuiflow_run_dict(backend.store.get_run(run_id)) == mlflow_run_dict(
        backend.client.get_run(run_id)
    )


def test_get_missing_run(backend) -> None:
    missing = "0123456789abcdef0123456789abcdef"
    assert not ask_mlflow(lambda: backend.client.get_run(missing)).ok
    with pytest.raises(NotFoundError):
        backend.store.get_run(missing)


def _history(metrics: Any) -> list[tuple[Any, ...]]:
    return [(m.key, fnum(m.value), m.step, m.timestamp) for m in metrics]


@pytest.mark.parametrize(("label", "key"), HISTORIES)
def test_metric_history(backend, label: str, key: str) -> None:
    run_id = backend.runs[label]
    theirs = _history(backend.client.get_metric_history(run_id, key))
    assert theirs, "the dataset logs this metric"
    assert _history(backend.store.get_metric_history(run_id, key)) == theirs


def test_metric_history_out_of_order_steps(backend) -> None:
    """A later line with a smaller step is kept, and the latest value is the larger step."""
    run_id = backend.runs["D"]
    history = backend.store.get_metric_history(run_id, "acc")
    assert sorted((m.step, m.value) for m in history) == [(2, 0.99), (5, 0.1), (5, 0.7)]
    latest = backend.store.get_run(run_id).metrics["acc"]
    assert (latest.value, latest.step) == (0.7, 5)


def test_metric_history_missing_key(backend) -> None:
    run_id = backend.runs["A"]
    oracle = ask_mlflow(lambda: backend.client.get_metric_history(run_id, "no-such-metric"))
    if oracle.ok:
        assert _history(backend.store.get_metric_history(run_id, "no-such-metric")) == _history(
            oracle.value
        )
    else:
        with pytest.raises(TuiflowError):
            backend.store.get_metric_history(run_id, "no-such-metric")


def _files(infos: Any) -> list[tuple[str, bool, Any]]:
    return sorted(
        (f.path, f.is_dir, None if f.is_dir else f.file_size) for f in infos
    )


@pytest.mark.parametrize(
    "path", [None, "model", "model/sub", "plots", "notes.md", "does-not-exist"]
)
def test_list_artifacts(backend, path: str | None) -> None:
    run_id = backend.ids["artifact_run"]
    theirs = _files(backend.client.list_artifacts(run_id, path))
    if path is None:
        assert [p for p, _, _ in theirs] == ["model", "notes.md", "plots"]
    assert _files(backend.store.list_artifacts(run_id, path)) == theirs


def test_list_artifacts_of_run_without_artifacts(backend) -> None:
    run_id = backend.runs["B"]
    assert _files(backend.client.list_artifacts(run_id)) == []
    assert _files(backend.store.list_artifacts(run_id)) == []
