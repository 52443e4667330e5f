"""Real MLflow entities and MLflow's own search functions, as the oracle for query tests.

Nothing here is mocked: the runs are `mlflow.entities.Run` objects and the answers come
from `mlflow.utils.search_utils`, the code MLflow's file store runs.
"""

from __future__ import annotations

import math
import warnings

import pytest

from tuiflow import entities as T

mlflow_entities = pytest.importorskip("mlflow.entities")
search_utils = pytest.importorskip("mlflow.utils.search_utils")

from mlflow.entities import (  # noqa: E402
    Dataset,
    DatasetInput,
    InputTag,
    Metric,
    Param,
    Run,
    RunData,
    RunInfo,
    RunInputs,
    RunTag,
)
from mlflow.utils.search_utils import SearchUtils  # noqa: E402

RUN_A = "a" * 32
RUN_B = "b" * 32
RUN_C = "c" * 32
RUN_D = "d" * 32
RUN_E = "e" * 32


def _run(
    run_id: str,
    name: str,
    status: str,
    start: int,
    end: int | None,
    metrics: dict[str, float | list[tuple[float, int, int]]],
    params: dict[str, str],
    tags: dict[str, str],
    datasets: list[tuple[str, str, str | None]] = (),  # type: ignore[assignment]
    user: str = "alice",
) -> Run:
    info = RunInfo(
        run_id=run_id,
        experiment_id="1",
        user_id=user,
        status=status,
        start_time=start,
        end_time=end,
        lifecycle_stage="active",
        run_name=name,
        artifact_uri=f"file:///tmp/mlruns/1/{run_id}/artifacts",
    )
    metric_list = []
    for key, v in metrics.items():
        history = v if isinstance(v, list) else [(v, 0, 0)]
        metric_list += [Metric(key, val, ts, step) for val, ts, step in history]
    all_tags = {"mlflow.runName": name, **tags}
    data = RunData(
        metrics=metric_list,
        params=[Param(k, v) for k, v in params.items()],
        tags=[RunTag(k, v) for k, v in all_tags.items()],
    )
    inputs = [
        DatasetInput(
            Dataset(dname, digest, "local", "file:///data"),
            [InputTag("mlflow.data.context", ctx)] if ctx is not None else [],
        )
        for dname, digest, ctx in datasets
    ]
    return Run(info, data, RunInputs(dataset_inputs=inputs))


def mlflow_runs() -> list[Run]:
    """The runs of the reference's §7 (A, B, C) plus two with awkward values."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return [
            _run(
                RUN_A,
                "alpha",
                "FINISHED",
                1000,
                1500,
                {
                    "acc": 0.9,
                    "loss": math.nan,
                    "legit name": 1,
                    "accuracy.2.0": 5.5,
                    "spacey name": 6,
                    "X-Y-Z": 3,
                    "a/b": 2.0,
                },
                {
                    "model": "LinearRegression",
                    "cat dog": "pets",
                    "p.a.r.a.m": "a",
                    "lr": "0.01",
                    "m": "L'Hosp",
                    "准确率": "高",
                },
                {"env": "prod", "version": "commit-hash", "t.a.g": "a", "empty": ""},
                [("mydata", "abc123", "training"), ("other", "zzz", None)],
            ),
            _run(
                RUN_B,
                "Beta run",
                "FAILED",
                2000,
                2600,
                # latest value wins: step 2 is later than step 1
                {"acc": [(0.1, 5, 1), (0.5, 1, 2)], "loss": 0.3, "a/b": math.inf},
                {"model": "RandomForest", "lr": "0.1", "multi": "line1\nline2"},
                {"env": "Prod", "env2": "prod\n"},
                [("name1", "digest1", "eval"), ("other", "digest2", "training")],
            ),
            _run(RUN_C, "gamma", "RUNNING", 3000, None, {}, {}, {}),
            _run(
                RUN_D,
                "delta_%",
                "KILLED",
                2000,
                2100,
                {"acc": -math.inf, "loss": -1.0, "准确率": 0.7},
                {"model": "Linear_Model", "lr": ""},
                {"env": "stage", "version": "v%2"},
                user="bob",
            ),
            _run(
                RUN_E,
                "epsilon",
                "SCHEDULED",
                1000,
                None,
                {"acc": 0.9, "loss": math.nan},
                {"model": "linearregression"},
                {"env": "PROD"},
                [("mydata", "abc124", "training")],
            ),
        ]


def to_tuiflow(run: Run) -> T.Run:
    info = run.info
    return T.Run(
        run_id=info.run_id,
        experiment_id=info.experiment_id,
        run_name=info.run_name,
        user_id=info.user_id,
        status=info.status,
        start_time=info.start_time,
        end_time=info.end_time,
        lifecycle_stage=info.lifecycle_stage,
        artifact_uri=info.artifact_uri,
        metrics={k: T.Metric(k, v, 0) for k, v in run.data.metrics.items()},
        params=dict(run.data.params),
        tags=dict(run.data.tags),
        inputs=tuple(
            T.DatasetInput(
                T.Dataset(d.dataset.name, d.dataset.digest), {t.key: t.value for t in d.tags}
            )
            for d in run.inputs.dataset_inputs
        ),
    )


def mlflow_filter(runs: list[Run], text: str) -> list[str]:
    """Run ids MLflow's file store returns; raises when MLflow rejects the filter.

    Every clause is checked against every run first: `SearchUtils.filter` stops at the
    first false clause, which would hide comparator errors MLflow's SQL store reports.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for clause in SearchUtils.parse_search_filter(text):
            for run in runs:
                SearchUtils._does_run_match_clause(run, clause)
        return [r.info.run_id for r in SearchUtils.filter(runs, text)]


def mlflow_sort(runs: list[Run], order_by: list[str]) -> list[str]:
    for item in order_by:
        kind, _, _ = SearchUtils.parse_order_by_for_search_runs(item)
        if kind == "dataset":  # rejected when sorting, even with no runs to sort
            raise ValueError("Invalid order_by entity type 'dataset'")
    return [r.info.run_id for r in SearchUtils.sort(runs, order_by)]


# -- experiments and the model registry ---------------------------------------------------

from mlflow.entities import Experiment, ExperimentTag  # noqa: E402
from mlflow.entities.model_registry import (  # noqa: E402
    ModelVersion,
    ModelVersionTag,
    RegisteredModel,
    RegisteredModelTag,
)
from mlflow.utils.search_utils import (  # noqa: E402
    SearchExperimentsUtils,
    SearchModelUtils,
    SearchModelVersionUtils,
)


def mlflow_experiments() -> list[Experiment]:
    def exp(eid: str, name: str, created: int, updated: int, tags: dict[str, str]) -> Experiment:
        return Experiment(
            eid,
            name,
            f"file:///tmp/{eid}",
            "active",
            [ExperimentTag(k, v) for k, v in tags.items()],
            created,
            updated,
        )

    return [
        exp("0", "Default", 100, 100, {}),
        exp("1", "filt-exp", 200, 900, {"team": "ml", "nested/tag": "v1"}),
        exp("2", "Filt-Exp-2", 200, 300, {"team": "data", "empty": ""}),
        exp("10", "jamie-foo C+", 150, 400, {"team": "ML"}),
        exp("9", "x_y", 300, 300, {"mlflow.note.content": "line\nbreak"}),
    ]


def exp_to_tuiflow(e: Experiment) -> T.Experiment:
    return T.Experiment(
        e.experiment_id,
        e.name,
        e.artifact_location,
        e.lifecycle_stage,
        e.creation_time,
        e.last_update_time,
        dict(e.tags),
    )


def mlflow_registered_models() -> list[RegisteredModel]:
    def rm(name: str, created: int, updated: int, tags: dict[str, str]) -> RegisteredModel:
        return RegisteredModel(
            name, created, updated, tags=[RegisteredModelTag(k, v) for k, v in tags.items()]
        )

    return [
        rm("Alpha-Model", 100, 500, {"team": "ml", "mlflow.x": "1"}),
        rm("beta_model", 200, 300, {"team": "data"}),
        rm("Gamma", 150, 300, {}),
        rm("prompt-1", 50, 50, {"mlflow.prompt.is_prompt": "true"}),
        rm("alpha-model-2", 300, 600, {"team": "ML"}),
    ]


def rm_to_tuiflow(m: RegisteredModel) -> T.RegisteredModel:
    return T.RegisteredModel(
        m.name, m.creation_timestamp, m.last_updated_timestamp, tags=dict(m._tags)
    )


def mlflow_model_versions() -> list[ModelVersion]:
    def mv(
        name: str,
        version: int,
        created: int,
        updated: int,
        stage: str,
        source: str,
        run_id: str,
        tags: dict[str, str],
    ) -> ModelVersion:
        return ModelVersion(
            name,
            version,
            created,
            updated,
            current_stage=stage,
            source=source,
            run_id=run_id,
            tags=[ModelVersionTag(k, v) for k, v in tags.items()],
        )

    return [
        mv("Alpha-Model", 1, 100, 500, "None", "s3://bucket/a/1", RUN_A, {"v": "1"}),
        mv("Alpha-Model", 2, 200, 500, "Production", "s3://bucket/a/2", RUN_B, {"v": "2"}),
        mv("Alpha-Model", 3, 300, 300, "Deleted_Internal", "s3://bucket/a/3", RUN_A, {}),
        mv("beta_model", 1, 150, 700, "Staging", "file:///m/b", RUN_C, {"v": "0"}),
        mv("beta_model", 10, 160, 100, "Archived", "file:///m/b10", RUN_B, {}),
    ]


def mv_to_tuiflow(v: ModelVersion) -> T.ModelVersion:
    return T.ModelVersion(
        v.name,
        int(v.version),
        v.creation_timestamp,
        v.last_updated_timestamp,
        current_stage=v.current_stage,
        source=v.source,
        run_id=v.run_id,
        tags=dict(v.tags),
    )


def mlflow_filter_experiments(exps: list[Experiment], text: str) -> list[str]:
    for clause in SearchExperimentsUtils.parse_search_filter(text):
        for e in exps:
            SearchExperimentsUtils._does_experiment_match_clause(e, clause)
    return [e.experiment_id for e in SearchExperimentsUtils.filter(exps, text)]


def mlflow_filter_registered_models(models: list[RegisteredModel], text: str) -> list[str]:
    for clause in SearchModelUtils.parse_search_filter(text):
        for m in models:
            SearchModelUtils._does_registered_model_match_clauses(m, clause)
    return [m.name for m in SearchModelUtils.filter(models, text)]


def mlflow_filter_model_versions(mvs: list[ModelVersion], text: str) -> list[tuple[str, int]]:
    for clause in SearchModelVersionUtils.parse_search_filter(text):
        for v in mvs:
            SearchModelVersionUtils._does_model_version_match_clauses(v, clause)
    return [(v.name, int(v.version)) for v in SearchModelVersionUtils.filter(mvs, text)]


def mlflow_sort_experiments(exps: list[Experiment], order_by: list[str]) -> list[str]:
    default = ["creation_time DESC", "experiment_id ASC"]
    return [e.experiment_id for e in SearchExperimentsUtils.sort(exps, order_by or default)]


def mlflow_sort_registered_models(models: list[RegisteredModel], order_by: list[str]) -> list[str]:
    return [m.name for m in SearchModelUtils.sort(models, order_by)]


def mlflow_sort_model_versions(mvs: list[ModelVersion], order_by: list[str]) -> list[tuple]:
    default = ["last_updated_timestamp DESC", "name ASC", "version_number DESC"]
    ordered = SearchModelVersionUtils.sort(mvs, order_by or default)
    return [(v.name, int(v.version)) for v in ordered]
