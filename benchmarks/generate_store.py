"""Write a large MLflow file store (and its SQLite twin) for the benchmarks.

    python benchmarks/generate_store.py --runs 10000 --experiments 5 --out /tmp/bench/mlruns

Going through MLflow's client costs several milliseconds per call, so 10,000 runs would take
many minutes; this script writes the files directly, in exactly the layout MLflow 3.17.2's file
store writes (``mlflow/store/tracking/file_store.py``: ``meta.yaml`` with sorted keys, one file per
param and tag, ``<ts> <value> <step>`` metric lines, empty ``artifacts/``), one process per core.
It then reads a sample of runs back through ``MlflowClient`` and compares them with what it meant
to write, and finally builds ``sqlite:///<OUT>.db`` with ``mlflow migrate-filestore``.

Every run has 6 params, 6 tags (``mlflow.runName``, ``mlflow.user``, ``mlflow.source.name``,
``mlflow.source.type``, ``team``, ``model_family``), and 3 metrics: ``train_acc`` and ``eval_acc``
(one value each) and ``loss`` (a 50-step history). About 3 % of the runs are deleted, 2 % FAILED
and 1 % still RUNNING. Everything derives from ``--seed``, so two generations are identical apart
from the absolute paths in ``artifact_location``/``artifact_uri``.
"""

from __future__ import annotations

import argparse
import math
import multiprocessing
import os
import random
import shutil
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import yaml

try:
    from yaml import CSafeDumper as _Dumper
except ImportError:  # pragma: no cover - pure-Python PyYAML
    from yaml import SafeDumper as _Dumper  # type: ignore[assignment]

ANCHOR_MS = 1_795_305_600_000  # 2026-11-22T00:00:00Z; runs start in the 90 days before it
DAY_MS = 86_400_000
LOSS_STEPS = 50
STATUS_CODES = {"RUNNING": 1, "FINISHED": 3, "FAILED": 4}
USERS = ("alice", "bob", "carol", "dave", "erin")
TEAMS = ("vision", "nlp", "ranking", "research")
FAMILIES = ("linear", "forest", "boosting", "mlp", "transformer")
OPTIMIZERS = ("adam", "sgd", "adamw", "rmsprop")


@dataclass(frozen=True)
class PlannedRun:
    """Everything about one run, derived from (seed, index) alone."""

    run_id: str
    run_name: str
    experiment_id: str
    user: str
    status: str
    start_time: int
    end_time: int | None
    deleted_time: int | None
    params: dict[str, str]
    tags: dict[str, str]
    train_acc: float
    eval_acc: float
    loss: list[tuple[int, float, int]] = field(repr=False)


def experiment_ids(seed: int, count: int) -> list[str]:
    # MLflow's file store uses 18-digit ids without a leading zero (§1.7).
    rng = random.Random(f"{seed}-experiments")
    return [str(rng.randrange(10**17, 10**18)) for _ in range(count)]


def plan_run(seed: int, index: int, exp_ids: list[str]) -> PlannedRun:
    rng = random.Random(f"{seed}-run-{index}")
    run_id = uuid.UUID(int=rng.getrandbits(128), version=4).hex
    experiment_id = exp_ids[index % len(exp_ids)]
    user = rng.choice(USERS)
    start = ANCHOR_MS - rng.randrange(90 * DAY_MS)
    roll = rng.random()
    status = "RUNNING" if roll < 0.01 else "FAILED" if roll < 0.03 else "FINISHED"
    duration = rng.randrange(60_000, 3_600_000)
    end = None if status == "RUNNING" else start + duration
    deleted = start + duration + rng.randrange(DAY_MS) if rng.random() < 0.03 else None
    lr = 10 ** rng.uniform(-5, -1)
    params = {
        "learning_rate": repr(round(lr, 8)),
        "batch_size": str(rng.choice((16, 32, 64, 128, 256))),
        "optimizer": rng.choice(OPTIMIZERS),
        "epochs": str(rng.randrange(5, 101)),
        "dropout": repr(round(rng.uniform(0.0, 0.5), 3)),
        "seed": str(rng.randrange(10_000)),
    }
    family = rng.choice(FAMILIES)
    run_name = f"{family}-{index:05d}"
    tags = {
        "mlflow.runName": run_name,
        "mlflow.user": user,
        "mlflow.source.name": "train.py",
        "mlflow.source.type": "LOCAL",
        "team": rng.choice(TEAMS),
        "model_family": family,
    }
    # eval_acc > 0.9 for roughly a third of the runs, which makes the filtered case a real filter.
    eval_acc = round(min(0.999, max(0.3, rng.gauss(0.86, 0.08))), 6)
    train_acc = round(min(1.0, eval_acc + abs(rng.gauss(0.03, 0.02))), 6)
    final = -math.log(max(eval_acc, 1e-6))
    tau = rng.uniform(5.0, 15.0)
    steps = LOSS_STEPS if status != "RUNNING" else rng.randrange(5, LOSS_STEPS)
    span = max(1, (end or start + duration) - start)
    loss = [
        (
            start + span * (step + 1) // (LOSS_STEPS + 1),
            round(final + (2.3 - final) * math.exp(-step / tau) + rng.gauss(0, 0.01), 6),
            step,
        )
        for step in range(steps)
    ]
    return PlannedRun(
        run_id, run_name, experiment_id, user, status, start, end, deleted,
        params, tags, train_acc, eval_acc, loss,
    )  # fmt: skip


def _dump_yaml(path: Path, data: dict[str, object]) -> None:
    # MLflow's write_yaml: safe dumper, block style, unicode kept, keys sorted.
    text = yaml.dump(data, Dumper=_Dumper, default_flow_style=False, allow_unicode=True)
    path.write_text(text, encoding="utf-8")


def _write_values(folder: Path, values: dict[str, str]) -> None:
    folder.mkdir()
    for key, value in values.items():
        (folder / key).write_text(value, encoding="utf-8")


def write_run(root: Path, run: PlannedRun) -> None:
    run_dir = root / run.experiment_id / run.run_id
    run_dir.mkdir()
    meta: dict[str, object] = {
        "artifact_uri": f"{(root / run.experiment_id).as_uri()}/{run.run_id}/artifacts",
        "end_time": run.end_time,
        "entry_point_name": "",
        "experiment_id": run.experiment_id,
        "lifecycle_stage": "deleted" if run.deleted_time is not None else "active",
        "run_id": run.run_id,
        "run_name": run.run_name,
        "source_name": "",
        "source_type": 4,
        "source_version": "",
        "start_time": run.start_time,
        "status": STATUS_CODES[run.status],
        "tags": [],
        "user_id": run.user,
    }
    # A run MLflow never rewrote has `deleted_time: null`; set_terminated drops the key; delete_run
    # writes the time (§1.3).
    if run.deleted_time is not None:
        meta["deleted_time"] = run.deleted_time
    elif run.status == "RUNNING":
        meta["deleted_time"] = None
    _dump_yaml(run_dir / "meta.yaml", meta)
    (run_dir / "artifacts").mkdir()
    _write_values(run_dir / "params", run.params)
    _write_values(run_dir / "tags", run.tags)
    metrics = run_dir / "metrics"
    metrics.mkdir()
    done = run.end_time or run.start_time
    (metrics / "train_acc").write_text(f"{done} {float(run.train_acc)} 0\n")
    (metrics / "eval_acc").write_text(f"{done} {float(run.eval_acc)} 0\n")
    (metrics / "loss").write_text("".join(f"{ts} {float(v)} {s}\n" for ts, v, s in run.loss))


def write_experiment(root: Path, experiment_id: str, name: str, created: int) -> None:
    folder = root / experiment_id
    folder.mkdir()
    _dump_yaml(
        folder / "meta.yaml",
        {
            "artifact_location": folder.as_uri(),
            "creation_time": created,
            "effective_trace_archival_retention": None,
            "experiment_id": experiment_id,
            "last_update_time": created,
            "lifecycle_stage": "active",
            "name": name,
            "trace_location": None,
            "workspace": "default",
        },
    )
    if experiment_id != "0":
        _write_values(folder / "tags", {"mlflow.note.content": f"Benchmark experiment {name}"})


def _write_chunk(args: tuple[str, int, list[str], int, int]) -> int:
    root, seed, exp_ids, start, stop = args
    for index in range(start, stop):
        write_run(Path(root), plan_run(seed, index, exp_ids))
    return stop - start


def generate(root: Path, runs: int, experiments: int, seed: int, workers: int) -> list[str]:
    root.mkdir(parents=True)
    (root / ".trash").mkdir()
    created = ANCHOR_MS - 91 * DAY_MS
    write_experiment(root, "0", "Default", created)
    exp_ids = experiment_ids(seed, experiments)
    for number, exp_id in enumerate(exp_ids, 1):
        write_experiment(root, exp_id, f"bench-{number}", created + number)
    chunk = max(1, math.ceil(runs / (workers * 8)))
    jobs = [(str(root), seed, exp_ids, i, min(i + chunk, runs)) for i in range(0, runs, chunk)]
    with multiprocessing.Pool(workers) as pool:
        written = sum(pool.imap_unordered(_write_chunk, jobs))
    assert written == runs, (written, runs)
    return exp_ids


def verify(root: Path, seed: int, runs: int, exp_ids: list[str], sample: int) -> None:
    """Read a sample back through real MLflow and compare it with the plan; raise on mismatch."""
    os.environ["MLFLOW_ALLOW_FILE_STORE"] = "true"
    from mlflow import MlflowClient
    from mlflow.entities import ViewType

    client = MlflowClient(tracking_uri=root.as_uri())
    rng = random.Random(seed)
    for index in rng.sample(range(runs), min(sample, runs)):
        plan = plan_run(seed, index, exp_ids)
        got = client.get_run(plan.run_id)
        info = got.info
        expected_stage = "deleted" if plan.deleted_time is not None else "active"
        checks = {
            "status": (info.status, plan.status),
            "start_time": (info.start_time, plan.start_time),
            "end_time": (info.end_time, plan.end_time),
            "lifecycle_stage": (info.lifecycle_stage, expected_stage),
            "run_name": (info.run_name, plan.run_name),
            "user_id": (info.user_id, plan.user),
            "experiment_id": (info.experiment_id, plan.experiment_id),
            "params": (got.data.params, plan.params),
            "tags": (got.data.tags, plan.tags),
            "metrics": (
                got.data.metrics,
                {"train_acc": plan.train_acc, "eval_acc": plan.eval_acc, "loss": plan.loss[-1][1]},
            ),
        }
        history = client.get_metric_history(plan.run_id, "loss")
        checks["loss"] = ([(m.timestamp, m.value, m.step) for m in history], plan.loss)
        for name, (actual, wanted) in checks.items():
            if actual != wanted:
                raise SystemExit(f"run {plan.run_id}: {name} is {actual!r}, planned {wanted!r}")
    # One experiment fully through search_runs: the count must match the plan.
    exp_id = exp_ids[0]
    planned = sum(1 for i in range(runs) if i % len(exp_ids) == 0)
    found, token = 0, None
    while True:
        page = client.search_runs(
            [exp_id], run_view_type=ViewType.ALL, max_results=50_000, page_token=token
        )
        found += len(page)
        token = page.token
        if not token:
            break
    if found != planned:
        raise SystemExit(f"experiment {exp_id}: MLflow lists {found} runs, planned {planned}")
    names = {e.name for e in client.search_experiments()}
    if names != {"Default", *(f"bench-{n}" for n in range(1, len(exp_ids) + 1))}:
        raise SystemExit(f"unexpected experiments {sorted(names)}")


def migrate(root: Path, db: Path) -> None:
    db.unlink(missing_ok=True)
    env = {**os.environ, "MLFLOW_ALLOW_FILE_STORE": "true"}
    command = [
        sys.executable, "-m", "mlflow", "migrate-filestore",
        "--source", str(root), "--target", f"sqlite:///{db}", "--no-progress",
    ]  # fmt: skip
    result = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise SystemExit(f"migrate-filestore failed:\n{result.stdout}\n{result.stderr}")
    print(result.stdout.strip())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Write a benchmark MLflow file store.")
    parser.add_argument("--runs", type=int, default=10_000)
    parser.add_argument("--experiments", type=int, default=5)
    parser.add_argument("--out", type=Path, required=True, help="file store root to create")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--verify", type=int, default=50, metavar="N", help="runs to read back")
    parser.add_argument("--sqlite", type=Path, help="SQLite twin (default: OUT.db)")
    parser.add_argument("--no-sqlite", action="store_true", help="skip migrate-filestore")
    parser.add_argument("--force", action="store_true", help="replace OUT (and the DB)")
    args = parser.parse_args(argv)
    if args.runs < 1 or args.experiments < 1:
        parser.error("--runs and --experiments must be positive")
    root: Path = args.out.resolve()
    db: Path = (args.sqlite or root.with_name(root.name + ".db")).resolve()
    for existing in (root, db) if not args.no_sqlite else (root,):
        if existing.exists() and not args.force:
            parser.error(f"{existing} exists; pass --force to replace it")
    if root.exists():
        shutil.rmtree(root)

    began = time.perf_counter()
    exp_ids = generate(root, args.runs, args.experiments, args.seed, args.workers)
    wrote = time.perf_counter()
    print(
        f"wrote {args.runs} runs in {args.experiments} experiments to {root} "
        f"in {wrote - began:.1f} s ({args.runs / (wrote - began):.0f} runs/s, "
        f"{args.workers} workers)"
    )
    verify(root, args.seed, args.runs, exp_ids, args.verify)
    checked = time.perf_counter()
    print(
        f"verified {min(args.verify, args.runs)} runs with MlflowClient in {checked - wrote:.1f} s"
    )
    if not args.no_sqlite:
        migrate(root, db)
        print(f"migrated to sqlite:///{db} in {time.perf_counter() - checked:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
