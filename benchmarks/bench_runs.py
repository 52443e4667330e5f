"""Time `tuiflow runs` against MLflow's own `search_runs`, as whole processes.

    python benchmarks/bench_runs.py --store /tmp/bench/mlruns --sqlite /tmp/bench/mlruns.db

Each case starts a fresh process, as a person at a shell would: the tuiflow console script on one
side, and on the other a Python process that imports MLflow, lists the active experiments, pages
through ``MlflowClient.search_runs`` (``max_results=50000``) and writes the runs as JSON in the
shape ``tuiflow runs --format json`` prints. Both write to /dev/null. Every command runs once
untimed first (this warms the page cache, and its output is compared between the two tools), then
``--repeat`` timed times; the table shows the median. On the file store tuiflow is timed twice:
with its warm cache (kept in a temporary TUIFLOW_CACHE_DIR, filled by the untimed run) and cold
(that directory emptied before every run, so each run also pays for writing the cache).
See benchmarks/README.md. It is a report: the exit status is 0 whatever the numbers are; a
failed command shows as such in the table.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

FILTER = "metrics.eval_acc > 0.9"
SPEEDUP_TARGET = 5.0
WARM_TARGET = 30.0  # file store with a warm cache (issue 6)
SERVER_TARGET = 1.0  # through a tracking server: no slower than MLflow's client (issue 6)
HELP_TARGET_S = 0.25

# The MLflow side, run with `python -c`. argv: tracking URI, filter ("" for none).
MLFLOW_SEARCH = r"""
import json, math, sys
from mlflow import MlflowClient

def value(v):
    if math.isnan(v):
        return "NaN"
    if math.isinf(v):
        return "Infinity" if v > 0 else "-Infinity"
    return v

client = MlflowClient(tracking_uri=sys.argv[1])
exp_ids, token = [], None
while True:
    page = client.search_experiments(max_results=1000, page_token=token)
    exp_ids += [e.experiment_id for e in page]
    token = page.token
    if not token:
        break
out, token = [], None
while exp_ids:
    page = client.search_runs(exp_ids, sys.argv[2], max_results=50000, page_token=token)
    for r in page:
        i, d = r.info, r.data
        out.append({
            "run_id": i.run_id, "run_name": i.run_name, "experiment_id": i.experiment_id,
            "status": i.status, "start_time": i.start_time, "end_time": i.end_time,
            "lifecycle_stage": i.lifecycle_stage, "user_id": i.user_id,
            "artifact_uri": i.artifact_uri,
            "metrics": {k: value(v) for k, v in sorted(d.metrics.items())},
            "params": dict(sorted(d.params.items())),
            "tags": dict(sorted(d.tags.items())),
        })
    token = page.token
    if not token:
        break
sys.stdout.write(json.dumps(out, ensure_ascii=False, separators=(",", ":"), allow_nan=False))
"""


@dataclass
class Timing:
    seconds: list[float]
    error: str | None = None
    output: bytes = b""

    @property
    def median(self) -> float | None:
        return statistics.median(self.seconds) if self.seconds and not self.error else None


@contextlib.contextmanager
def tracking_server(db: Path) -> Iterator[str]:
    """The test suite's `mlflow server` (tests/stores/server_util.py: one worker, 127.0.0.1,
    a free port, stopped for sure) over the SQLite twin; yields its URL."""
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
    from stores.server_util import mlflow_server

    with (
        tempfile.TemporaryDirectory(prefix="tuiflow-bench-server-") as root,
        mlflow_server(Path(root), backend_uri=f"sqlite:///{db}") as server,
    ):
        yield server.url


def tuiflow_command() -> list[str]:
    script = Path(sys.executable).with_name("tuiflow")
    return [str(script)] if script.exists() else [sys.executable, "-m", "tuiflow"]


def bench_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MLFLOW_TRACKING")}
    env["MLFLOW_ALLOW_FILE_STORE"] = "true"
    # No telemetry thread or network attempt in the timed MLflow processes.
    env["MLFLOW_DISABLE_TELEMETRY"] = "true"
    env["DO_NOT_TRACK"] = "true"
    # Installed packages run from bytecode: an editable checkout with this set would
    # recompile tuiflow's modules on every start (~45 ms) where no real install does.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def run_timed(
    command: Sequence[str],
    repeat: int,
    env: dict[str, str],
    before: Callable[[], None] | None = None,
) -> Timing:
    """`before` runs ahead of every run, untimed (the cold case empties the cache there)."""
    if before is not None:
        before()
    warm = subprocess.run(command, env=env, capture_output=True, check=False)
    if warm.returncode != 0:
        lines = warm.stderr.decode(errors="replace").strip().splitlines()
        return Timing([], f"exit {warm.returncode}: {lines[-1] if lines else ''}")
    seconds = []
    for _ in range(repeat):
        if before is not None:
            before()
        began = time.perf_counter()
        done = subprocess.run(
            command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False
        )
        seconds.append(time.perf_counter() - began)
        if done.returncode != 0:
            return Timing(seconds, f"exit {done.returncode} on a timed run")
    return Timing(seconds, output=warm.stdout)


def compare(tuiflow_out: bytes, mlflow_out: bytes) -> str:
    try:
        ours, theirs = json.loads(tuiflow_out), json.loads(mlflow_out)
    except ValueError as exc:
        return f"unparsable JSON ({exc})"
    if ours == theirs:
        return f"identical ({len(ours)} runs)"
    ids_ours = [r.get("run_id") for r in ours]
    ids_theirs = [r.get("run_id") for r in theirs]
    if ids_ours != ids_theirs:
        if set(ids_ours) == set(ids_theirs):
            return f"same {len(ours)} runs, different order"
        return f"different runs: tuiflow {len(ours)}, MLflow {len(theirs)}"
    for a, b in zip(ours, theirs, strict=True):
        if a != b:
            keys = sorted(k for k in a.keys() | b.keys() if a.get(k) != b.get(k))
            return f"same runs and order; fields differ: {', '.join(keys)} (run {a['run_id']})"
    return "same runs and order"


def fmt_s(timing: Timing | None) -> str:
    if timing is None:
        return ""
    if timing.error:
        return "failed"
    return f"{timing.median:.3f} ({min(timing.seconds):.3f}–{max(timing.seconds):.3f})"


def version_of(module: str) -> str:
    try:
        from importlib.metadata import version

        return version(module)
    except Exception:  # any failure only means the header line says "?"
        return "?"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="tuiflow vs MLflow search_runs, whole processes")
    parser.add_argument("--store", type=Path, required=True, help="MLflow file store (mlruns)")
    parser.add_argument("--sqlite", type=Path, required=True, help="SQLite twin of the store")
    parser.add_argument("--repeat", type=int, default=3, help="timed runs per command (>=3)")
    parser.add_argument("--filter", default=FILTER)
    parser.add_argument(
        "--server",
        action="store_true",
        help="also time both tools against `mlflow server` running over the SQLite twin",
    )
    parser.add_argument(
        "--cases",
        default="filtered,all,import,help",
        help="comma-separated subset of: filtered, all, import, help",
    )
    args = parser.parse_args(argv)
    repeat = max(3, args.repeat)
    cases = {c.strip() for c in args.cases.split(",") if c.strip()}
    env = bench_env()
    cache_dir = tempfile.mkdtemp(prefix="tuiflow-bench-cache-")
    env["TUIFLOW_CACHE_DIR"] = cache_dir
    env.pop("TUIFLOW_CACHE", None)

    def empty_cache() -> None:
        shutil.rmtree(cache_dir, ignore_errors=True)

    tui = tuiflow_command()
    store, db = args.store.resolve(), args.sqlite.resolve()
    backends = [("file", str(store), store.as_uri()), ("sqlite", str(db), f"sqlite:///{db}")]
    mlflow_py = [sys.executable, "-c", MLFLOW_SEARCH]

    print(
        f"tuiflow {version_of('tuiflow')} · mlflow {version_of('mlflow')} · "
        f"Python {platform.python_version()} · {os.cpu_count()} cores · "
        f"load {os.getloadavg()[0]:.2f} · median of {repeat} (min–max), seconds",
        flush=True,
    )
    with contextlib.ExitStack() as stack:
        if args.server:
            url = stack.enter_context(tracking_server(db))
            backends.append(("tracking server", url, url))
        rows = _search_rows(args, cases, backends, repeat, env, tui, mlflow_py, empty_cache)
    empty_cache()
    if "import" in cases:
        # Context for the ratios: the part of every MLflow row that is only Python importing MLflow.
        timing = run_timed([sys.executable, "-c", "from mlflow import MlflowClient"], repeat, env)
        rows.append(
            ("import MlflowClient only", "", "", fmt_s(timing), "", "", timing.error or "")
        )  # fmt: skip
    if "help" in cases:
        timing = run_timed([*tui, "--help"], repeat, env)
        rows.append(
            ("tuiflow --help", "", fmt_s(timing), "", "", f"≤ {HELP_TARGET_S:g} s",
             "" if timing.error is None else timing.error)
        )  # fmt: skip
    print_table(rows)
    return 0


def _search_rows(
    args: argparse.Namespace,
    cases: set[str],
    backends: list[tuple[str, str, str]],
    repeat: int,
    env: dict[str, str],
    tui: list[str],
    mlflow_py: list[str],
    empty_cache: Callable[[], None],
) -> list[tuple[str, ...]]:
    rows: list[tuple[str, ...]] = []
    for case in ("filtered", "all"):
        if case not in cases:
            continue
        flt = args.filter if case == "filtered" else ""
        for backend, target, uri in backends:
            cmd = [*tui, "runs", target, "--format", "json"] + (["-f", flt] if flt else [])
            theirs = run_timed([*mlflow_py, uri, flt], repeat, env)
            variants = [(backend, None, SPEEDUP_TARGET)]
            if backend == "tracking server":  # the server does the search for both tools
                variants = [(backend, None, SERVER_TARGET)]
            if backend == "file":
                variants = [("file, cold cache", empty_cache, SPEEDUP_TARGET),
                            ("file, warm cache", None, WARM_TARGET)]  # fmt: skip
            label = f"runs -f '{flt}'" if flt else "runs (no filter)"
            for name, before, target_ratio in variants:
                ours = run_timed(cmd, repeat, env, before)
                rows.append(_row(label, name, ours, theirs, target_ratio))
            print(f"  done: {label} on {backend}", file=sys.stderr)
    return rows


def _row(label: str, store: str, ours: Timing, theirs: Timing, target: float) -> tuple[str, ...]:
    if ours.error or theirs.error:
        check = "; ".join(
            f"{who}: {t.error}" for who, t in (("tuiflow", ours), ("MLflow", theirs)) if t.error
        )
    else:
        check = compare(ours.output, theirs.output)
    ratio = f"{theirs.median / ours.median:.1f}×" if ours.median and theirs.median else ""
    return (label, store, fmt_s(ours), fmt_s(theirs), ratio, f"≥ {target:g}×", check)


def print_table(rows: list[tuple[str, ...]]) -> None:
    header = ("case", "store", "tuiflow s", "MLflow s", "MLflow/tuiflow", "target", "output check")
    table: list[Any] = [header, tuple("---" for _ in header), *rows]
    widths = [max(len(str(r[i])) for r in table) for i in range(len(header))]
    for row in table:
        cells = (
            str(c).ljust(w) if c != "---" else "-" * w for c, w in zip(row, widths, strict=True)
        )
        print("| " + " | ".join(cells) + " |")


if __name__ == "__main__":
    sys.exit(main())
