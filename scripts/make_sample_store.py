"""Write ``sample_mlruns/``: a small but realistic MLflow file store, written by real MLflow.

Run it from the repository root with the test extras installed (``pip install -e .[test]``)::

    python scripts/make_sample_store.py            # writes ./sample_mlruns (refuses if present)
    python scripts/make_sample_store.py --force    # deletes and rewrites it

The store is generated IN PLACE (the committed copy was written at /work/main/sample_mlruns): MLflow
records absolute ``file:///…/sample_mlruns/…`` paths in every ``artifact_location`` and
``artifact_uri``, so a copy of the store elsewhere still points at the original location.

Contents (tracking and registry share the directory, as MLflow does by default):

* ``iris_experiment``: 8 LogisticRegression runs on sklearn's iris (different C, solver, max_iter,
  penalty) with params, ``train_acc``, ``eval_acc``, ``f1_macro``, a 40-step ``loss`` history, tags,
  a confusion-matrix PNG, a JSON report, a YAML config, a CSV of predictions, dataset inputs on one
  run, logged models on four runs; one run is deleted.
* ``wine_tuning``: a parent run with six nested children (random-forest sweep), a FAILED run, a
  KILLED run and a run left RUNNING.
* ``scratch``: an experiment that is deleted (moved to ``.trash``).
* Registry: ``iris_classifier`` with versions in Archived/Production/Staging/None, aliases
  ``champion`` (Production) and ``challenger``, tags and descriptions; ``wine_forest`` with one
  version.

Determinism: numpy/sklearn are seeded, run start/end and metric timestamps come from a fixed clock
(``ANCHOR``), and ``uuid.uuid4`` is replaced by a seeded generator before MLflow is imported, so
run, experiment, dataset and logged-model ids are the same on every generation. Experiment creation
times, registry timestamps and the git-commit tag are whatever MLflow records when the script runs.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import sys
import uuid
import warnings
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

_RNG = random.Random(20261122)


def _seeded_uuid4() -> uuid.UUID:
    return uuid.UUID(int=_RNG.getrandbits(128), version=4)


# Patched before mlflow is imported so that ids (run, experiment, dataset, logged model) are stable
# across regenerations and the committed store only changes when its content does.
uuid.uuid4 = _seeded_uuid4

os.environ["MLFLOW_ALLOW_FILE_STORE"] = "true"
os.environ.setdefault("MPLBACKEND", "Agg")
warnings.filterwarnings("ignore", category=FutureWarning)
warnings.filterwarnings("ignore", category=UserWarning)

import matplotlib  # noqa: E402

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import mlflow  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import sklearn  # noqa: E402
from mlflow import MlflowClient  # noqa: E402
from mlflow.entities import Metric, Param, RunTag  # noqa: E402
from mlflow.models import infer_signature  # noqa: E402
from mlflow.tracking.context.registry import resolve_tags  # noqa: E402
from sklearn.datasets import load_iris, load_wine  # noqa: E402
from sklearn.ensemble import RandomForestClassifier  # noqa: E402
from sklearn.exceptions import ConvergenceWarning  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402
from sklearn.metrics import confusion_matrix, f1_score, log_loss  # noqa: E402
from sklearn.model_selection import train_test_split  # noqa: E402

warnings.filterwarnings("ignore", category=ConvergenceWarning)

REPO = Path(__file__).resolve().parent.parent
ANCHOR = datetime(2026, 11, 22, 6, 0, tzinfo=timezone.utc)
LOSS_STEPS = 40
PIP_REQUIREMENTS = [f"scikit-learn=={sklearn.__version__}"]

# (run name, C, solver, max_iter, penalty, user, days before ANCHOR)
IRIS_CONFIGS: list[tuple[str, float, str, int, str, str, float]] = [
    ("baseline-lbfgs", 1.0, "lbfgs", 100, "l2", "alice", 7.2),
    ("strong-reg", 0.01, "lbfgs", 200, "l2", "alice", 6.9),
    ("medium-reg", 0.1, "lbfgs", 200, "l2", "bob", 6.1),
    ("weak-reg", 10.0, "lbfgs", 500, "l2", "bob", 5.4),
    ("sparse-saga", 1.0, "saga", 1000, "l1", "carol", 4.8),
    ("elasticnet-saga", 0.5, "saga", 300, "elasticnet", "carol", 4.0),
    ("newton-cg-big-C", 100.0, "newton-cg", 100, "l2", "alice", 3.3),
    ("smoke-test", 0.001, "lbfgs", 20, "l2", "bob", 3.1),  # deleted below
]
L1_RATIO = {"l2": 0.0, "l1": 1.0, "elasticnet": 0.5}
REGISTERED_RUNS = ("strong-reg", "baseline-lbfgs", "weak-reg", "sparse-saga")


def ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def new_run(
    client: MlflowClient,
    experiment_id: str,
    name: str,
    start: datetime,
    user: str,
    tags: dict[str, str],
) -> str:
    # resolve_tags adds what the fluent API would (source name/type, git commit); user is ours.
    all_tags = resolve_tags({**tags, "mlflow.user": user})
    run = client.create_run(experiment_id, start_time=ms(start), tags=all_tags, run_name=name)
    return run.info.run_id


def loss_curve(final_loss: float, n_classes: int, seed: int) -> list[float]:
    """A decaying training-loss curve from chance level down to the fitted model's real log loss."""
    rng = np.random.default_rng(seed)
    start = float(np.log(n_classes))
    steps = np.arange(LOSS_STEPS)
    tau = 4.0 + 6.0 * rng.random()
    noise = rng.normal(0.0, 0.01, LOSS_STEPS) * np.exp(-steps / 20)
    curve = final_loss + (start - final_loss) * np.exp(-steps / tau) + noise
    return [round(float(max(v, 1e-4)), 6) for v in curve]


def log_history(
    client: MlflowClient, run_id: str, key: str, values: list[float], start: datetime
) -> None:
    metrics = [
        Metric(key, value, ms(start + timedelta(seconds=3 * (step + 1))), step)
        for step, value in enumerate(values)
    ]
    client.log_batch(run_id, metrics=metrics)


def log_model_first(run_id: str, model: Any, x_train: pd.DataFrame, **kwargs: Any) -> str:
    """Log ``model`` to ``run_id`` before the run has metrics; return the logged model's id.

    Logging a model into a run that already has metrics makes MLflow 3.17.2 re-log the run's step-0
    metrics with the model id, which appends a duplicate line to each run metric file; the file
    store accepts that, but ``mlflow migrate-filestore`` then fails on the SQLite primary key. So
    the model goes first and the metrics are linked to it explicitly (``Metric.model_id``).
    """
    # The fluent API is the only way to log a model to a given run.
    mlflow.start_run(run_id=run_id)
    info = mlflow.sklearn.log_model(
        model,
        name="model",
        input_example=x_train.head(3),
        signature=infer_signature(x_train, model.predict(x_train)),
        pip_requirements=PIP_REQUIREMENTS,
        **kwargs,
    )
    mlflow.end_run()
    return info.model_id


def confusion_png(path: Path, matrix: np.ndarray, labels: list[str], title: str) -> None:
    fig, ax = plt.subplots(figsize=(3.2, 3.0), dpi=72)
    ax.imshow(matrix, cmap="Blues")
    ax.set_xticks(range(len(labels)), labels, fontsize=7)
    ax.set_yticks(range(len(labels)), labels, fontsize=7)
    for (i, j), count in np.ndenumerate(matrix):
        ax.text(j, i, str(count), ha="center", va="center", fontsize=8)
    ax.set_xlabel("predicted", fontsize=8)
    ax.set_ylabel("true", fontsize=8)
    ax.set_title(title, fontsize=8)
    fig.tight_layout()
    fig.savefig(path, metadata={"Software": None})
    plt.close(fig)


def iris_experiment(client: MlflowClient, workdir: Path) -> tuple[str, dict[str, str]]:
    exp_id = client.create_experiment(
        "iris_experiment",
        tags={
            "mlflow.note.content": "Logistic-regression baselines on the iris data set.",
            "project": "flowers",
            "owner": "alice",
        },
    )
    iris = load_iris(as_frame=True)
    frame = iris.frame
    labels = list(iris.target_names)
    train, test = train_test_split(frame, test_size=0.3, random_state=42, stratify=frame["target"])
    x_train, y_train = train.drop(columns="target"), train["target"]
    x_test, y_test = test.drop(columns="target"), test["target"]
    run_ids: dict[str, str] = {}

    for index, (name, c, solver, max_iter, penalty, user, days) in enumerate(IRIS_CONFIGS):
        start = ANCHOR - timedelta(days=days)
        tags = {
            "team": "vision" if user != "carol" else "research",
            "dataset": "iris",
            "model_family": "linear",
            "stage": "baseline" if index < 4 else "exploration",
        }
        run_id = new_run(client, exp_id, name, start, user, tags)
        run_ids[name] = run_id
        model = LogisticRegression(
            C=c,
            solver=solver,
            max_iter=max_iter,
            l1_ratio=L1_RATIO[penalty],
            random_state=0,
        ).fit(x_train, y_train)
        train_acc = float(model.score(x_train, y_train))
        eval_acc = float(model.score(x_test, y_test))
        predicted = model.predict(x_test)
        f1 = float(f1_score(y_test, predicted, average="macro"))
        final_loss = float(log_loss(y_train, model.predict_proba(x_train)))
        params = {
            "C": c,
            "solver": solver,
            "max_iter": max_iter,
            "penalty": penalty,
            "l1_ratio": L1_RATIO[penalty],
            "random_state": 0,
            "test_size": 0.3,
        }
        done = start + timedelta(seconds=3 * (LOSS_STEPS + 2))
        model_id = log_model_first(run_id, model, x_train) if name in REGISTERED_RUNS else None
        client.log_batch(
            run_id,
            metrics=[
                Metric("train_acc", round(train_acc, 6), ms(done), 0, model_id=model_id),
                Metric("eval_acc", round(eval_acc, 6), ms(done), 0, model_id=model_id),
                Metric("f1_macro", round(f1, 6), ms(done), 0, model_id=model_id),
            ],
            params=[Param(k, str(v)) for k, v in params.items()],
        )
        log_history(client, run_id, "loss", loss_curve(final_loss, 3, seed=index), start)

        out = workdir / run_id
        (out / "eval").mkdir(parents=True)
        confusion_png(
            out / "confusion_matrix.png",
            confusion_matrix(y_test, predicted),
            labels,
            f"{name}  eval_acc={eval_acc:.3f}",
        )
        report = {
            "eval_acc": eval_acc,
            "f1_macro": f1,
            "n_train": len(train),
            "n_test": len(test),
            "classes": labels,
            "coef_nonzero": int(np.count_nonzero(model.coef_)),
        }
        (out / "report.json").write_text(json.dumps(report, indent=2) + "\n")
        config = "".join(f"{k}: {v}\n" for k, v in params.items())
        (out / "config.yaml").write_text(f"model: LogisticRegression\n{config}")
        pd.DataFrame(
            {"true": [labels[i] for i in y_test], "predicted": [labels[i] for i in predicted]}
        ).head(20).to_csv(out / "eval" / "predictions.csv", index=False)
        client.log_artifacts(run_id, str(out))

        if name == "baseline-lbfgs":
            # The fluent API is the only way to log a dataset input to a given run.
            mlflow.start_run(run_id=run_id)
            mlflow.log_input(
                mlflow.data.from_pandas(train, name="iris-train", targets="target"),
                context="training",
            )
            mlflow.log_input(
                mlflow.data.from_pandas(test, name="iris-eval", targets="target"), context="eval"
            )
            mlflow.end_run()
        client.set_terminated(run_id, "FINISHED", end_time=ms(done))

    client.delete_run(run_ids["smoke-test"])
    return exp_id, run_ids


def tuning_experiment(client: MlflowClient) -> tuple[str, str]:
    exp_id = client.create_experiment(
        "wine_tuning",
        tags={
            "mlflow.note.content": "Random-forest sweep on the wine data set.",
            "project": "beverages",
        },
    )
    x, y = load_wine(return_X_y=True, as_frame=True)
    x_train, x_test, y_train, y_test = train_test_split(
        x, y, test_size=0.3, random_state=7, stratify=y
    )
    start = ANCHOR - timedelta(days=2, hours=3)
    common = {"team": "research", "dataset": "wine", "model_family": "forest"}
    parent = new_run(client, exp_id, "rf-sweep", start, "carol", {**common, "sweep": "grid"})
    grid = [(n, d) for n in (5, 15) for d in (2, 3, 4)]
    # Fit the whole grid first so the best model can be logged before its run has metrics.
    fitted = [
        RandomForestClassifier(n_estimators=n, max_depth=d, random_state=0).fit(x_train, y_train)
        for n, d in grid
    ]
    scores = [float(model.score(x_test, y_test)) for model in fitted]
    best_index = scores.index(max(scores))
    best_child = ""
    for index, ((n_estimators, max_depth), model) in enumerate(zip(grid, fitted, strict=True)):
        child_start = start + timedelta(minutes=2 + 3 * index)
        child = new_run(
            client,
            exp_id,
            f"rf-n{n_estimators}-d{max_depth}",
            child_start,
            "carol",
            {**common, "mlflow.parentRunId": parent},
        )
        model_id = None
        if index == best_index:
            best_child = child
            # skops writes ~20 kB per tree; a pickle keeps the store small.
            model_id = log_model_first(child, model, x_train, serialization_format="cloudpickle")
        train_acc = float(model.score(x_train, y_train))
        final_loss = float(log_loss(y_train, model.predict_proba(x_train)))
        done = child_start + timedelta(seconds=3 * (LOSS_STEPS + 2))
        client.log_batch(
            child,
            metrics=[
                Metric("train_acc", round(train_acc, 6), ms(done), 0, model_id=model_id),
                Metric("eval_acc", round(scores[index], 6), ms(done), 0, model_id=model_id),
            ],
            params=[
                Param("n_estimators", str(n_estimators)),
                Param("max_depth", str(max_depth)),
                Param("criterion", "gini"),
                Param("random_state", "0"),
            ],
        )
        log_history(client, child, "loss", loss_curve(final_loss, 3, seed=100 + index), child_start)
        client.set_terminated(child, "FINISHED", end_time=ms(done))

    parent_end = start + timedelta(minutes=2 + 3 * len(grid) + 1)
    n_best, d_best = grid[best_index]
    client.log_batch(
        parent,
        metrics=[Metric("best_eval_acc", round(scores[best_index], 6), ms(parent_end), 0)],
        params=[
            Param("grid_size", str(len(grid))),
            Param("search", "grid"),
            Param("best_n_estimators", str(n_best)),
            Param("best_max_depth", str(d_best)),
        ],
        tags=[RunTag("best_run_id", best_child)],
    )
    client.set_terminated(parent, "FINISHED", end_time=ms(parent_end))

    failed_start = ANCHOR - timedelta(days=1, hours=5)
    failed = new_run(client, exp_id, "rf-oom", failed_start, "bob", common)
    client.log_batch(failed, params=[Param("n_estimators", "5000"), Param("max_depth", "None")])
    log_history(client, failed, "loss", loss_curve(0.4, 3, seed=200)[:12], failed_start)
    client.set_tag(failed, "error", "MemoryError: unable to allocate 31.2 GiB")
    client.set_terminated(failed, "FAILED", end_time=ms(failed_start + timedelta(seconds=40)))

    killed_start = ANCHOR - timedelta(hours=20)
    killed = new_run(client, exp_id, "rf-cancelled", killed_start, "alice", common)
    client.log_batch(killed, params=[Param("n_estimators", "200"), Param("max_depth", "8")])
    client.set_terminated(killed, "KILLED", end_time=ms(killed_start + timedelta(seconds=15)))

    running_start = ANCHOR - timedelta(minutes=25)
    running = new_run(
        client, exp_id, "rf-long-sweep", running_start, "carol", {**common, "sweep": "random"}
    )
    client.log_batch(running, params=[Param("n_estimators", "500"), Param("max_depth", "12")])
    log_history(client, running, "loss", loss_curve(0.05, 3, seed=300)[:18], running_start)
    return exp_id, best_child


def scratch_experiment(client: MlflowClient) -> None:
    exp_id = client.create_experiment("scratch", tags={"project": "throwaway"})
    start = ANCHOR - timedelta(days=6)
    run = new_run(client, exp_id, "quick-check", start, "bob", {"dataset": "none"})
    client.log_batch(
        run, metrics=[Metric("eval_acc", 0.5, ms(start), 0)], params=[Param("note", "delete me")]
    )
    client.set_terminated(run, "FINISHED", end_time=ms(start + timedelta(seconds=5)))
    client.delete_experiment(exp_id)


def logged_model_id(client: MlflowClient, run_id: str) -> str:
    outputs = client.get_run(run_id).outputs
    return outputs.model_outputs[0].model_id


def registry(client: MlflowClient, iris_runs: dict[str, str], wine_best: str) -> None:
    client.create_registered_model(
        "iris_classifier",
        tags={"task": "classification", "owner": "alice", "framework": "sklearn"},
        description="Iris species classifier (logistic regression). Promote via the "
        "`champion` alias.",
    )
    # (run, stage, description, version tags)
    plan = [
        ("strong-reg", "Archived", "First baseline; too strongly regularized.", {}),
        (
            "baseline-lbfgs",
            "Production",
            "Default lbfgs baseline.",
            {"validation_status": "approved"},
        ),
        (
            "weak-reg",
            "Staging",
            "Weaker regularization, candidate.",
            {"validation_status": "pending"},
        ),
        ("sparse-saga", "None", None, {"validation_status": "not_started"}),
    ]
    for run_name, stage, description, tags in plan:
        run_id = iris_runs[run_name]
        model_id = logged_model_id(client, run_id)
        version = client.create_model_version(
            "iris_classifier",
            f"models:/{model_id}",
            run_id=run_id,
            tags=tags,
            description=description,
            model_id=model_id,
        )
        if stage != "None":
            client.transition_model_version_stage("iris_classifier", version.version, stage)
    client.set_registered_model_alias("iris_classifier", "champion", "2")
    client.set_registered_model_alias("iris_classifier", "challenger", "3")

    client.create_registered_model("wine_forest", tags={"task": "classification"})
    model_id = logged_model_id(client, wine_best)
    client.create_model_version(
        "wine_forest",
        f"models:/{model_id}",
        run_id=wine_best,
        description="Best run of the rf-sweep.",
        model_id=model_id,
    )


def verify(uri: str) -> None:
    client = MlflowClient(tracking_uri=uri, registry_uri=uri)
    from mlflow.entities import ViewType

    experiments = client.search_experiments(view_type=ViewType.ALL)
    ids = [e.experiment_id for e in experiments]
    runs = client.search_runs(ids, run_view_type=ViewType.ALL, max_results=1000)
    for run in runs:
        client.get_run(run.info.run_id)
    good = client.search_runs(ids, "metrics.eval_acc > 0.9")
    models = client.search_registered_models()
    print(f"experiments: {[(e.name, e.lifecycle_stage) for e in experiments]}")
    print(
        f"runs: {len(runs)} ({sum(r.info.lifecycle_stage == 'deleted' for r in runs)} deleted, "
        f"statuses {sorted({r.info.status for r in runs})}); eval_acc > 0.9: {len(good)}"
    )
    for model in models:
        versions = client.search_model_versions(f"name = '{model.name}'")
        print(
            f"model {model.name}: aliases {model.aliases}, versions "
            f"{sorted((v.version, v.current_stage) for v in versions)}"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=REPO / "sample_mlruns")
    parser.add_argument("--force", action="store_true", help="delete OUT first if it exists")
    args = parser.parse_args(argv)
    out: Path = args.out.resolve()
    if out.exists():
        if not args.force:
            print(f"{out} exists; pass --force to rewrite it", file=sys.stderr)
            return 1
        shutil.rmtree(out)
    np.random.seed(0)
    uri = out.as_uri()
    mlflow.set_tracking_uri(uri)
    mlflow.set_registry_uri(uri)
    client = MlflowClient(tracking_uri=uri, registry_uri=uri)
    workdir = out.parent / f".{out.name}-work"
    shutil.rmtree(workdir, ignore_errors=True)
    try:
        _, iris_runs = iris_experiment(client, workdir)
        _, wine_best = tuning_experiment(client)
        scratch_experiment(client)
        registry(client, iris_runs, wine_best)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    verify(uri)
    return 0


if __name__ == "__main__":
    sys.exit(main())
