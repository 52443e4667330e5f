"""Helpers for the hostile-store tests: a store written by real MLflow, copies of it to
damage, a byte-and-mtime snapshot to prove nothing was written, and the CLI in a
subprocess (optionally as an unprivileged user)."""

from __future__ import annotations

import hashlib
import os
import pwd
import shutil
import stat
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

RUNS = {"alpha": ("a1", "a2", "a3"), "beta": ("b1", "b2")}
T0 = 1_600_000_000_000


@dataclass
class Base:
    """The pristine store and what MLflow itself reads from it."""

    root: Path
    exp_ids: dict[str, str]  # name -> id
    run_ids: dict[str, str]  # run name -> id
    metrics: dict[str, dict[str, float]]  # run name -> latest values
    params: dict[str, dict[str, str]]
    tags: dict[str, dict[str, str]]
    loss_history: dict[str, list[tuple[int, float, int]]]  # run name -> (ts, value, step)


def build_base(root: Path) -> Base:
    """Two experiments and five runs written by MlflowClient; MLflow's own view of them."""
    from mlflow import MlflowClient
    from mlflow.entities import Metric, Param

    c = MlflowClient(tracking_uri=root.as_uri(), registry_uri=root.as_uri())
    exp_ids: dict[str, str] = {}
    run_ids: dict[str, str] = {}
    for exp_name, names in RUNS.items():
        exp_ids[exp_name] = c.create_experiment(exp_name, tags={"team": exp_name})
        for i, name in enumerate(names):
            rid = c.create_run(exp_ids[exp_name], run_name=name, tags={"kind": "base"}).info.run_id
            run_ids[name] = rid
            losses = [Metric("loss", 1.0 / (i + s + 1), T0 + s, s) for s in range(5)]
            c.log_batch(
                rid,
                metrics=[*losses, Metric("acc", 0.5 + i / 10, T0, 0)],
                params=[Param("lr", str(i)), Param("depth", "3")],
            )
            art = root.parent / f"{name}.txt"
            art.write_text(name)
            c.log_artifact(rid, str(art))
            c.set_terminated(rid, "FINISHED")
    metrics, params, tags, history = {}, {}, {}, {}
    for name, rid in run_ids.items():
        run = c.get_run(rid)
        metrics[name] = dict(run.data.metrics)
        params[name] = dict(run.data.params)
        tags[name] = dict(run.data.tags)
        history[name] = [(m.timestamp, m.value, m.step) for m in c.get_metric_history(rid, "loss")]
    return Base(root, exp_ids, run_ids, metrics, params, tags, history)


def copy_store(base: Path, dest: Path) -> Path:
    """A copy whose meta.yaml files point at the copy's own artifact folders."""
    shutil.copytree(base, dest, symlinks=True)
    old, new = str(base), str(dest)
    for dirpath, _, files in os.walk(dest):
        if "meta.yaml" in files:
            p = Path(dirpath, "meta.yaml")
            p.write_text(p.read_text().replace(old, new))
    return dest


def snapshot(root: Path) -> dict[str, tuple[Any, ...]]:
    """Mode, mtime, size and content hash of everything under `root` (links not followed)."""
    out: dict[str, tuple[Any, ...]] = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in [".", *dirnames, *filenames]:
            path = os.path.join(dirpath, name)
            st = os.lstat(path)
            content: str | None = None
            if stat.S_ISREG(st.st_mode):
                h = hashlib.sha1()
                with open(path, "rb") as fh:
                    for chunk in iter(lambda fh=fh: fh.read(1 << 20), b""):
                        h.update(chunk)
                content = h.hexdigest()
            elif stat.S_ISLNK(st.st_mode):
                content = os.readlink(path)
            rel = os.path.relpath(path, root)
            out[rel] = (st.st_mode, st.st_mtime_ns, st.st_size, content)
    return out


def unprivileged_prefix() -> tuple[list[str], str] | None:
    """A command prefix under which the kernel applies permission bits, and what it is.

    `nobody` when that user can start this interpreter; otherwise (a venv whose Python
    lives under /root, mode 0700) root with the capabilities that bypass permission bits
    (CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH) dropped from its bounding set, so chmod 000
    denies it just as it denies any user. None when neither is possible.
    """
    runuser, setpriv = shutil.which("runuser"), shutil.which("setpriv")
    try:
        pwd.getpwnam("nobody")
        has_nobody = True
    except KeyError:
        has_nobody = False
    candidates: list[tuple[list[str], str]] = []
    if runuser and has_nobody:
        candidates.append(([runuser, "-u", "nobody", "--"], "user nobody"))
    if setpriv:
        drop = "-dac_override,-dac_read_search"
        candidates.append(([setpriv, f"--bounding-set={drop}", "--"], "root without DAC caps"))
    probe = (
        "import os, sys\ntry:\n    os.listdir(sys.argv[1])\n"
        "except PermissionError:\n    sys.exit(0)\nsys.exit(3)"
    )
    locked = tempfile.mkdtemp()
    os.chmod(locked, 0)
    try:
        for prefix, label in candidates:
            r = subprocess.run(
                [*prefix, sys.executable, "-c", probe, locked],
                capture_output=True,
                check=False,
                cwd="/",
            )
            if r.returncode == 0:
                return prefix, label
    finally:
        os.rmdir(locked)
    return None


def cli(
    *args: str,
    cwd: Path,
    prefix: list[str] | None = None,
    timeout: float = 300,
    env: dict[str, str] | None = None,
) -> subprocess.CompletedProcess[str]:
    """`tuiflow ARGS` in a fresh interpreter; a traceback on stderr fails the test."""
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("MLFLOW_TRACKING")}
    full_env.update(PYTHONDONTWRITEBYTECODE="1", HOME=str(cwd), NO_COLOR="1")
    full_env.pop("TUIFLOW_DEBUG", None)
    full_env.update(env or {})
    r = subprocess.run(
        [*(prefix or []), sys.executable, "-m", "tuiflow", *args],
        capture_output=True,
        text=True,
        errors="surrogateescape",
        cwd=cwd,
        env=full_env,
        timeout=timeout,
        check=False,
    )
    assert "Traceback" not in r.stderr, r.stderr
    for line in r.stderr.splitlines():
        assert line.startswith("tuiflow: "), r.stderr
    return r


def warning_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.startswith("tuiflow: warning: ")]
