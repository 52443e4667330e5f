"""Write the contract-test dataset into any MLflow store with REAL MLflow.

The same calls run against a file store, a SQLite database and a live `mlflow server`, so
the three backends hold the same logical data. Every time MLflow would otherwise take
from the clock (run start/end, metric timestamps) is given explicitly, so searches and
orders are deterministic; registry and experiment timestamps cannot be set through the
client and therefore differ per backend (tests compare tuiflow with MLflow on the same
backend, never across backends).

Runs A/B/C are exactly the test data of /work/shared/mlflow-formats.md §7; the rest are
additions that exercise unicode and punctuated keys, NaN/±inf, ties, empty strings,
nested and deleted runs, other experiments and the model registry.
"""

from __future__ import annotations

import contextlib
import math
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mlflow import MlflowClient
from mlflow.entities import Dataset, DatasetInput, InputTag, Metric, Param, RunTag

MAIN = "contract-main"
SECOND = "contract-second"
GONE = "contract-gone"
EMPTY = "contract-empty-实验"

PARENT_TAG = "mlflow.parentRunId"
CONTEXT_TAG = "mlflow.data.context"

NAN = math.nan
INF = math.inf

# metric key -> list of (value, step, timestamp) in the order they are logged.
History = dict[str, list[tuple[float, int, int]]]


@dataclass(frozen=True)
class RunSpec:
    label: str  # key in the ids dict returned by populate()
    experiment: str
    name: str
    start: int
    status: str  # final status; RUNNING leaves the run open
    end: int | None = None
    metrics: History = field(default_factory=dict)
    params: dict[str, str] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)
    datasets: tuple[tuple[str, str, str], ...] = ()  # (name, digest, context)
    parent: str | None = None  # label of the parent run
    deleted: bool = False
    artifacts: bool = False


@contextlib.contextmanager
def mlflow_global_uri(uri: str) -> Iterator[None]:
    """MLflow's global tracking/registry URIs set to `uri` for the block, then restored
    exactly. MLflow's file registry opens a client on the *global* URI while writing and
    reading model versions; unset, that creates ./mlflow.db in the working directory (and
    set_tracking_uri("") would not restore "unset": it means ./mlruns)."""
    import mlflow
    from mlflow.tracking._model_registry import utils as registry_utils
    from mlflow.tracking._tracking_service import utils as tracking_utils

    saved = (tracking_utils._tracking_uri, registry_utils._registry_uri)
    mlflow.set_tracking_uri(uri)
    mlflow.set_registry_uri(uri)
    try:
        yield
    finally:
        tracking_utils._tracking_uri, registry_utils._registry_uri = saved


def _latest(value: float, start: int) -> list[tuple[float, int, int]]:
    return [(value, 0, start + 1)]


RUNS: tuple[RunSpec, ...] = (
    # --- §7 test data, exactly ---
    RunSpec(
        "A", MAIN, "alpha", 1000, "FINISHED", end=1500,
        metrics={
            "acc": [(0.2, 0, 1001), (0.9, 1, 1002)],
            "loss": [(0.8, 0, 1001), (NAN, 1, 1002)],
            "legit name": _latest(1.0, 1000),
            "accuracy.2.0": _latest(5.5, 1000),
            "spacey name": _latest(6.0, 1000),
            "X-Y-Z": _latest(3.0, 1000),
        },
        params={"model": "LinearRegression", "cat dog": "pets", "p.a.r.a.m": "a",
                "lr": "0.01", "m": "L'Hosp"},
        tags={"env": "prod", "version": "commit-hash", "t.a.g": "a"},
        datasets=(("mydata", "abc123", "training"),),
        artifacts=True,
    ),
    RunSpec(
        "B", MAIN, "Beta run", 2000, "FAILED", end=2600,
        metrics={"acc": _latest(0.5, 2000), "loss": _latest(0.3, 2000)},
        params={"model": "RandomForest", "lr": "0.1"},
        tags={"env": "Prod"},
    ),
    RunSpec("C", MAIN, "gamma", 3000, "RUNNING"),
    # --- additions ---
    RunSpec(
        "D", MAIN, "delta", 2000, "FINISHED", end=2500,  # start ties with B
        metrics={
            # a later line with a smaller step: the latest value is the step-5 one
            "acc": [(0.7, 5, 2010), (0.99, 2, 2020), (0.1, 5, 2005)],
            "über": _latest(1.5, 2000),
            "数据": _latest(2.5, 2000),
            "train/acc": _latest(0.8, 2000),
            "a:b": _latest(1.0, 2000),
            "with space": _latest(2.0, 2000),
            "v": _latest(1000.0, 2000),
        },
        params={"über": "ü", "数据": "值", "path/to/p": "x/y", "empty": "", "with space": "s p",
                "a:b": "c", "model": "LinearRegression", "lr": "0.01", "multi": "line1\nline2"},
        tags={"empty_tag": "", "über": "wert", "dir/tag": "y", "env": "staging",
              "a.b.c": "dots", "pct": "50%_off"},
        datasets=(("mydata", "zzz", "eval"), ("other", "digest2", "training")),
    ),
    RunSpec(
        "E", MAIN, "epsilon", 4000, "FINISHED", end=4100,
        metrics={"v": _latest(-INF, 4000), "loss": _latest(2.0, 4000), "acc": _latest(INF, 4000)},
        params={"model": "linearregression"},
        tags={"env": "PROD"},
    ),
    RunSpec(
        "F", MAIN, "zeta", 4000, "KILLED", end=4200,  # start ties with E
        metrics={"v": _latest(NAN, 4000), "acc": _latest(0.0, 4000)},
        datasets=(("mydata", "abc123", "eval"),),
    ),
    RunSpec(
        "G", MAIN, "eta", 5000, "FINISHED", end=5001,
        metrics={"v": _latest(INF, 5000), "acc": _latest(-0.5, 5000)},
        tags={"env": ""},
    ),
    RunSpec("H", MAIN, "theta", 6000, "RUNNING", metrics={"v": _latest(0.0, 6000)}),
    RunSpec(
        "I", MAIN, "iota", 7000, "FINISHED", end=7300,
        metrics={"v": _latest(-1000.0, 7000), "loss": _latest(-1.0, 7000)},
        params={"lr": "1e-3"},
    ),
    RunSpec(
        "J", MAIN, "kappa", 8000, "FINISHED", end=8000,  # no metrics at all
        params={"model": "", "empty": "not empty"}, tags={"only": "tags"},
    ),
    RunSpec(
        "child1", MAIN, "child-1", 9000, "FINISHED", end=9100, parent="D",
        metrics={"acc": _latest(0.33, 9000)},
    ),
    RunSpec(
        "child2", MAIN, "child-2", 9000, "FINISHED", end=9100, parent="D",  # full tie
        metrics={"acc": _latest(0.33, 9000)},
    ),
    RunSpec(
        "doomed", MAIN, "doomed", 2500, "FINISHED", end=2700, deleted=True,
        metrics={"acc": _latest(0.95, 2500), "v": _latest(5.0, 2500)},
        params={"model": "Deleted"}, tags={"env": "prod"},
    ),
    RunSpec("doomed2", MAIN, "doomed-too", 9500, "FAILED", end=9600, deleted=True),
    # --- second experiment: a run sharing A's name ---
    RunSpec(
        "S1", SECOND, "alpha", 1500, "FINISHED", end=1600,
        metrics={"acc": _latest(0.6, 1500)}, params={"model": "LinearRegression"},
        tags={"env": "prod"},
    ),
    RunSpec("S2", SECOND, "s2", 1600, "FINISHED", end=1700, metrics={"acc": _latest(0.2, 1600)}),
    # --- run inside an experiment that gets deleted ---
    RunSpec("GONE", GONE, "gone-run", 100, "FINISHED", end=200,
            metrics={"acc": _latest(0.1, 100)}),
)

EXPERIMENT_TAGS: dict[str, dict[str, str]] = {
    MAIN: {"team": "ml", "nested/tag": "v", "über": "ja", "empty": ""},
    SECOND: {"team": "research"},
    GONE: {"team": "ml"},
    EMPTY: {},
}

ARTIFACT_FILES: dict[str, str] = {
    "notes.md": "# notes\n",
    "model/weights.txt": "0.1 0.2 0.3\n",
    "model/sub/config.json": '{"a": 1}\n',
    "plots/a.png": "not really a png",
}


def _create_run(client: MlflowClient, exp_ids: dict[str, str], spec: RunSpec,
                ids: dict[str, str]) -> str:
    tags: dict[str, Any] = {}
    if spec.parent:
        tags[PARENT_TAG] = ids[spec.parent]
    run = client.create_run(
        exp_ids[spec.experiment], start_time=spec.start, tags=tags, run_name=spec.name
    )
    run_id = run.info.run_id
    metrics = [
        Metric(key, value, ts, step)
        for key, events in spec.metrics.items()
        for value, step, ts in events
    ]
    client.log_batch(
        run_id,
        metrics=metrics,
        params=[Param(k, v) for k, v in spec.params.items()],
        tags=[RunTag(k, v) for k, v in spec.tags.items()],
    )
    if spec.datasets:
        client.log_inputs(
            run_id,
            datasets=[
                DatasetInput(
                    Dataset(name, digest, "code", f'{{"path": "{name}.csv"}}'),
                    tags=[InputTag(CONTEXT_TAG, context)],
                )
                for name, digest, context in spec.datasets
            ],
        )
    if spec.artifacts:
        _log_artifacts(client, run_id)
    if spec.status != "RUNNING":
        client.set_terminated(run_id, status=spec.status, end_time=spec.end)
    if spec.deleted:
        client.delete_run(run_id)
    return run_id


def _log_artifacts(client: MlflowClient, run_id: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        for rel, text in ARTIFACT_FILES.items():
            path = Path(tmp, rel)
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
        client.log_artifacts(run_id, tmp)


def _populate_registry(client: MlflowClient, ids: dict[str, str]) -> None:
    client.create_registered_model(
        "Alpha-Model", tags={"team": "ml", "mlflow.x": "1", "über": "ja"}, description="first"
    )
    versions = [  # (run label, final stage, tag v)
        ("A", "None", "1"),
        ("B", "Staging", "2"),
        ("A", "Production", "3"),
        ("D", "Archived", "4"),
        ("B", "None", "5"),
    ]
    for n, (label, stage, v) in enumerate(versions, start=1):
        client.create_model_version(
            "Alpha-Model", f"s3://bucket/a/{n}", run_id=ids[label], tags={"v": v},
            description=f"version {n}",
        )
        if stage == "Archived":
            client.transition_model_version_stage("Alpha-Model", str(n), "Production")
        if stage != "None":
            client.transition_model_version_stage("Alpha-Model", str(n), stage)
    client.set_registered_model_alias("Alpha-Model", "champion", "3")
    client.set_registered_model_alias("Alpha-Model", "challenger", "2")
    client.set_registered_model_alias("Alpha-Model", "old", "4")
    client.set_registered_model_alias("Alpha-Model", "doomed", "5")
    client.delete_model_version("Alpha-Model", "5")

    client.create_registered_model("beta_model", tags={"team": "research"})
    client.create_model_version("beta_model", "s3://bucket/b/1", run_id=ids["D"])
    client.transition_model_version_stage("beta_model", "1", "Production")
    client.create_model_version(
        "beta_model", "s3://bucket/b/2", run_id=ids["C"], tags={"数据": "值", "empty": ""}
    )
    client.set_registered_model_alias("beta_model", "prod", "1")

    client.create_registered_model("gamma.model")  # no versions, no tags
    client.create_registered_model("模型-unicode", tags={"team": "ml"})
    client.create_model_version("模型-unicode", "s3://bucket/u/1", run_id=ids["S1"])


def populate(tracking_uri: str, registry_uri: str | None = None) -> dict[str, Any]:
    """Write the dataset; return {"runs": label -> run_id, "experiments": name -> id}."""
    client = MlflowClient(tracking_uri=tracking_uri, registry_uri=registry_uri or tracking_uri)
    exp_ids: dict[str, str] = {"Default": "0"}
    for name, tags in EXPERIMENT_TAGS.items():
        exp_ids[name] = client.create_experiment(name, tags=tags or None)
    ids: dict[str, str] = {}
    for spec in RUNS:
        ids[spec.label] = _create_run(client, exp_ids, spec, ids)
    client.delete_experiment(exp_ids[GONE])
    _populate_registry(client, ids)
    return {
        "runs": ids,
        "experiments": exp_ids,
        "artifact_run": ids["A"],
        "uri": tracking_uri,
    }
