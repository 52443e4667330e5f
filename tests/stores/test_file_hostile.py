"""Hostile file stores (issue 5): copies of a store written by real MLflow, damaged.

For every case the store API and the CLI (a subprocess) must say what is wrong in one
line, keep listing every other experiment and run with MLflow's values, and write
nothing: the tree's bytes, modes and mtimes are the same afterwards. MLflow itself is
run on a throwaway copy of each damaged store, to record where it fails and tuiflow
must not.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path

import pytest
from hostile_util import (
    RUNS,
    T0,
    Base,
    build_base,
    cli,
    copy_store,
    snapshot,
    unprivileged_prefix,
    warning_lines,
)

from tuiflow.entities import ViewType
from tuiflow.errors import StoreError, TuiflowError
from tuiflow.stores.file import FileStore

ALL_RUNS = {n for names in RUNS.values() for n in names}


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Base:
    home = tmp_path_factory.mktemp("hostile-base")
    return build_base(home / "mlruns")


@pytest.fixture
def copy(base: Base, tmp_path: Path) -> Path:
    return copy_store(base.root, tmp_path / "mlruns")


def _run_dir(root: Path, base: Base, run: str) -> Path:
    exp = next(e for e, names in RUNS.items() if run in names)
    return root / base.exp_ids[exp] / base.run_ids[run]


def _exp_dir(root: Path, base: Base, exp: str) -> Path:
    return root / base.exp_ids[exp]


# -- the cases -------------------------------------------------------------------------------

Damage = Callable[[Path, Base], None]


@dataclass
class Case:
    damage: Damage
    warning: str  # text every report of the problem contains
    gone_exps: frozenset[str] = frozenset()
    gone_runs: frozenset[str] = frozenset()  # not listed (or listed only through their exp)
    changed: dict[str, Callable[[object], None]] = field(default_factory=dict)
    mlflow_fails: bool = False  # MlflowClient.search_runs raises on this store


def _meta(kind: str, text: str | bytes) -> Damage:
    def damage(root: Path, base: Base) -> None:
        where = _exp_dir(root, base, "alpha") if kind == "exp" else _run_dir(root, base, "a2")
        data = text.encode() if isinstance(text, str) else text
        (where / "meta.yaml").write_bytes(data)

    return damage


def _truncate(kind: str, cut_in: str) -> Damage:
    """meta.yaml cut in the middle of the line that starts with `cut_in`."""

    def damage(root: Path, base: Base) -> None:
        where = _exp_dir(root, base, "alpha") if kind == "exp" else _run_dir(root, base, "a2")
        p = where / "meta.yaml"
        text = p.read_text()
        start = text.index(cut_in)
        p.write_text(text[: start + len(cut_in) + 5])

    return damage


def _edit_meta(kind: str, key: str, value: str) -> Damage:
    def damage(root: Path, base: Base) -> None:
        where = _exp_dir(root, base, "alpha") if kind == "exp" else _run_dir(root, base, "a2")
        p = where / "meta.yaml"
        lines = [
            f"{key}: {value}" if ln.startswith(f"{key}:") else ln
            for ln in p.read_text().splitlines()
        ]
        p.write_text("\n".join(lines) + "\n")

    return damage


def _remove_dirs(*names: str) -> Damage:
    def damage(root: Path, base: Base) -> None:
        for name in names:
            shutil.rmtree(_run_dir(root, base, "a2") / name)

    return damage


def _write_file(sub: str, data: bytes, append: bool = False) -> Damage:
    def damage(root: Path, base: Base) -> None:
        p = _run_dir(root, base, "a2") / sub
        with open(p, "ab" if append else "wb") as fh:
            fh.write(data)

    return damage


_MARKER = Path(tempfile.gettempdir()) / "tuiflow-hostile-pwned"
_PYTHON_TAG = f"!!python/object/apply:os.system ['touch {_MARKER}']\n"
_ALPHA = frozenset(RUNS["alpha"])
_A2 = frozenset({"a2"})


def _no_data(run: object) -> None:
    assert run.metrics == {} and run.params == {} and run.tags == {}  # type: ignore[attr-defined]
    assert run.run_name == "a2"  # type: ignore[attr-defined]


def _no_lr(run: object) -> None:
    assert "lr" not in run.params and run.params["depth"] == "3"  # type: ignore[attr-defined]


def _nul_lr(run: object) -> None:
    assert run.params["lr"] == "1\x00\x00"  # type: ignore[attr-defined]


def _no_kind_tag(run: object) -> None:
    assert "kind" not in run.tags and run.params["lr"] == "1"  # type: ignore[attr-defined]


CASES = {
    "exp-meta-empty": Case(_meta("exp", ""), "empty file", frozenset({"alpha"}), _ALPHA),
    "exp-meta-truncated": Case(
        _truncate("exp", "experiment_id: '"),
        "invalid YAML",
        frozenset({"alpha"}),
        _ALPHA,
        mlflow_fails=True,
    ),
    "exp-meta-list": Case(
        _meta("exp", "- a\n- b\n"),
        "expected a mapping, found list",
        frozenset({"alpha"}),
        _ALPHA,
        mlflow_fails=True,
    ),
    "exp-meta-scalar": Case(
        _meta("exp", "just text\n"),
        "expected a mapping, found str",
        frozenset({"alpha"}),
        _ALPHA,
        mlflow_fails=True,
    ),
    "exp-meta-python-tag": Case(
        _meta("exp", _PYTHON_TAG), "invalid YAML", frozenset({"alpha"}), _ALPHA, mlflow_fails=True
    ),
    "exp-meta-wrong-id": Case(
        _edit_meta("exp", "experiment_id", "'999'"),
        "records experiment_id '999'",
        frozenset({"alpha"}),
        _ALPHA,
    ),
    "run-meta-empty": Case(_meta("run", b""), "empty file", gone_runs=_A2, mlflow_fails=True),
    "run-meta-truncated": Case(
        _truncate("run", "run_id: "), "records run_id", gone_runs=_A2, mlflow_fails=True
    ),
    "run-meta-list": Case(_meta("run", "[1, 2]\n"), "found list", gone_runs=_A2, mlflow_fails=True),
    "run-meta-python-tag": Case(
        _meta("run", _PYTHON_TAG), "invalid YAML", gone_runs=_A2, mlflow_fails=True
    ),
    "run-meta-wrong-run-id": Case(
        _edit_meta("run", "run_id", "0123456789abcdef0123456789abcdef"),
        "records run_id '0123456789abcdef0123456789abcdef'",
        gone_runs=_A2,
        mlflow_fails=True,
    ),
    "run-meta-wrong-experiment-id": Case(
        _edit_meta("run", "experiment_id", "'999'"),
        "wrong experiment ID ('999')",
        gone_runs=_A2,
    ),
    "run-without-metrics-params-tags": Case(
        _remove_dirs("metrics", "params", "tags"), "", changed={"a2": _no_data}
    ),
    "metric-half-written-line": Case(
        _write_file("metrics/loss", f"{T0 + 9} 0.5".encode(), append=True), ""
    ),
    "metric-half-written-timestamp": Case(
        _write_file("metrics/loss", b"16000000", append=True), "", mlflow_fails=True
    ),
    "metric-non-numeric": Case(
        _write_file("metrics/loss", b"abc 0.5 1\n", append=True),
        "Metric 'loss' is malformed",
        gone_runs=_A2,
        mlflow_fails=True,
    ),
    "metric-binary-garbage": Case(
        _write_file("metrics/acc", random.Random(5).randbytes(4096)),
        "Metric 'acc' is malformed",
        gone_runs=_A2,
        mlflow_fails=True,
    ),
    "metric-nul-bytes": Case(
        _write_file("metrics/acc", f"{T0} 0.5 0\x00\x00\n".encode()),
        "Metric 'acc' is malformed",
        gone_runs=_A2,
        mlflow_fails=True,
    ),
    "param-invalid-utf8": Case(
        _write_file("params/lr", b"\xff\xfe\xfd"),
        "not UTF-8",
        changed={"a2": _no_lr},
        mlflow_fails=True,
    ),
    "param-nul-bytes": Case(_write_file("params/lr", b"1\x00\x00"), "", changed={"a2": _nul_lr}),
    "tag-binary-garbage": Case(
        _write_file("tags/kind", random.Random(7).randbytes(512) + b"\xff"),
        "not UTF-8",
        changed={"a2": _no_kind_tag},
        mlflow_fails=True,
    ),
}


def _expected_runs(case: Case) -> set[str]:
    return ALL_RUNS - case.gone_runs


def _check_store(root: Path, base: Base, case: Case) -> None:
    """Every other experiment and run listed, with MLflow's values; the damage reported."""
    store = FileStore(root)
    names = {e.name for e in store.search_experiments(ViewType.ALL)}
    assert names == {"Default", "alpha", "beta"} - case.gone_exps
    exp_ids = [e.experiment_id for e in store.search_experiments()]
    runs = {r.run_name: r for r in store.search_runs(exp_ids, max_results=1000)}
    assert set(runs) == _expected_runs(case)
    for name, run in runs.items():
        if name in case.changed:
            case.changed[name](run)
            case.changed[name](store.get_run(run.run_id))
            continue
        assert {k: m.value for k, m in run.metrics.items()} == base.metrics[name]
        assert run.params == base.params[name] and run.tags == base.tags[name]
        assert replace(store.get_run(run.run_id), artifact_uri=None) == replace(
            run, artifact_uri=None
        )
        history = store.get_metric_history(run.run_id, "loss")
        assert [(m.timestamp, m.value, m.step) for m in history] == base.loss_history[name]
        assert [f.path for f in store.list_artifacts(run.run_id)] == [f"{name}.txt"]
    for name in case.gone_runs:
        # Reading the damaged run by id gives an answer or a StoreError, nothing else.
        rid = base.run_ids[name]
        for call in (
            lambda rid=rid: store.get_run(rid),
            lambda rid=rid: store.get_metric_history(rid, "loss"),
            lambda rid=rid: store.list_artifacts(rid),
        ):
            try:
                call()
            except TuiflowError as exc:
                assert "\n" not in str(exc)
    if case.warning:
        assert any(case.warning in w for w in store.warnings), store.warnings
    assert len(store.warnings) <= 3, store.warnings  # one problem, not a flood


def _check_cli(root: Path, base: Base, case: Case) -> None:
    cwd = root.parent
    r = cli("experiments", str(root), "--format", "json", cwd=cwd)
    assert r.returncode == 0, r.stderr
    assert {e["name"] for e in json.loads(r.stdout)} == {
        "Default",
        "alpha",
        "beta",
    } - case.gone_exps
    r = cli("runs", str(root), "--format", "json", cwd=cwd)
    assert r.returncode == 0, r.stderr
    listed = {d["run_name"]: d for d in json.loads(r.stdout)}
    assert set(listed) == _expected_runs(case)
    for name in set(listed) - set(case.changed):
        assert listed[name]["metrics"] == base.metrics[name]
        assert listed[name]["params"] == base.params[name]
    if case.warning:
        assert any(case.warning in w for w in warning_lines(r.stderr)), r.stderr
    else:
        assert r.stderr == ""
    r = cli("history", str(root), base.run_ids["b1"], "loss", "--format", "json", cwd=cwd)
    assert r.returncode == 0, r.stderr
    got = [(d["timestamp"], d["value"], d["step"]) for d in json.loads(r.stdout)]
    assert got == base.loss_history["b1"]
    for name in sorted(case.gone_runs)[:1]:
        r = cli("history", str(root), base.run_ids[name], "loss", cwd=cwd)
        assert r.returncode in (0, 1, 2)
        if r.returncode:
            assert len(r.stderr.splitlines()) == 1, r.stderr


def _mlflow_fails(root: Path, tmp: Path) -> bool:
    """Whether MLflow's own search_runs raises on (a throwaway copy of) the store."""
    from mlflow import MlflowClient

    other = tmp / "mlflow-view"
    shutil.copytree(root, other, symlinks=True)
    c = MlflowClient(tracking_uri=other.as_uri())
    try:
        exps = [e.experiment_id for e in c.search_experiments()]
        c.search_runs(exps, max_results=1000)
    except Exception:  # noqa: BLE001 - any failure of MLflow's is what is recorded
        return True
    return False


@pytest.mark.parametrize("name", list(CASES))
def test_damaged_store(name: str, base: Base, copy: Path, tmp_path: Path) -> None:
    case = CASES[name]
    case.damage(copy, base)
    before = snapshot(copy)
    _check_store(copy, base, case)
    _check_cli(copy, base, case)
    assert snapshot(copy) == before
    assert not _MARKER.exists()  # a !!python tag was never executed
    assert _mlflow_fails(copy, tmp_path) is case.mlflow_fails


# -- big files -------------------------------------------------------------------------------


@pytest.fixture
def big_metric(base: Base, copy: Path) -> Iterator[tuple[Path, Path, int]]:
    """a2's `loss` made 100 MB: steps 0..999 in one repeated block, then the latest value."""
    path = _run_dir(copy, base, "a2") / "metrics" / "loss"
    block = b"".join(f"{T0 + s} {s / 1000} {s}\n".encode() for s in range(1000))
    blocks = (100 << 20) // len(block) + 1
    with open(path, "wb") as fh:
        for _ in range(blocks):
            fh.write(block)
        fh.write(f"{T0} 0.25 5000\n".encode())  # the highest step: the latest value
    try:
        yield copy, path, blocks * 1000 + 1
    finally:
        path.unlink(missing_ok=True)  # 100 MB must not outlive the test


def _peak_rss_cli(*args: str, cwd: Path) -> tuple[subprocess.CompletedProcess[str], int]:
    """Run the CLI with a wrapper that prints its peak RSS (KiB) on the last stderr line.

    VmHWM, not getrusage: ru_maxrss of an exec'd child starts at its parent's (pytest's)
    resident size at fork time.
    """
    import sys

    code = (
        "import atexit, sys\n"
        "def peak():\n"
        "    hwm = [ln for ln in open('/proc/self/status') if ln.startswith('VmHWM:')]\n"
        "    sys.stderr.write('tuiflow: maxrss %s\\n' % hwm[0].split()[1])\n"
        "atexit.register(peak)\n"
        "sys.argv = ['tuiflow', *sys.argv[1:]]\n"
        "from tuiflow.cli import main\n"
        "main()\n"
    )
    r = subprocess.run(
        [sys.executable, "-c", code, *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=300,
        check=False,
        env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"},
    )
    assert "Traceback" not in r.stderr, r.stderr
    return r, int(r.stderr.splitlines()[-1].split()[-1])


def test_100mb_metric_file(base: Base, big_metric: tuple[Path, Path, int]) -> None:
    root, path, events = big_metric
    before = snapshot(root)
    rid = base.run_ids["a2"]
    # Listing needs only the latest value: streamed, so memory stays far below the file.
    r, rss_kib = _peak_rss_cli("runs", str(root), "--format", "json", cwd=root.parent)
    assert r.returncode == 0, r.stderr
    runs = {d["run_name"]: d for d in json.loads(r.stdout)}
    assert set(runs) == ALL_RUNS
    assert runs["a2"]["metrics"]["loss"] == 0.25
    # About 40 MB for the interpreter and one 1 MiB block; a whole-file read took 2.6 GB.
    assert rss_kib < 100 * 1024, rss_kib
    r, _ = _peak_rss_cli(
        "runs", str(root), "-f", "metrics.loss = 0.25", "--format", "json", cwd=root.parent
    )
    assert [d["run_name"] for d in json.loads(r.stdout)] == ["a2"]
    # The whole history is the answer to `history`; the chart path downsamples it.
    from tuiflow import charts

    store = FileStore(root)
    history = store.get_metric_history(rid, "loss")
    assert len(history) == events
    assert (history[0].step, history[-1].step, history[-1].value) == (0, 5000, 0.25)
    series = charts.History.from_metrics(history)
    assert len(series) == len(history)
    del history, series
    # (`tuiflow history` prints the same 4.4M points through this call; printing them all
    # took half a minute of the suite, so the CLI is checked on the listing above.)
    assert snapshot(root) == before
    assert os.path.getsize(path) > 100 << 20


def test_10000_metric_keys(base: Base, copy: Path) -> None:
    metrics = _run_dir(copy, base, "a2") / "metrics"
    for i in range(10_000):
        (metrics / f"m{i:05d}").write_bytes(f"{T0} {i} 0\n".encode())
    before = snapshot(copy)
    store = FileStore(copy)
    rid = base.run_ids["a2"]
    run = store.get_run(rid)
    assert len(run.metrics) == 10_002 and run.metrics["m09999"].value == 9999
    exp_ids = [e.experiment_id for e in store.search_experiments()]
    found = store.search_runs(exp_ids, "metrics.m04242 = 4242")
    assert [r.run_id for r in found] == [rid]
    r = cli("runs", str(copy), "-f", "metrics.m04242 >= 0", "--format", "json", cwd=copy.parent)
    assert r.returncode == 0 and [d["run_id"] for d in json.loads(r.stdout)] == [rid]
    assert len(json.loads(r.stdout)[0]["metrics"]) == 10_002
    r = cli("runs", str(copy), cwd=copy.parent)  # the table hides what does not fit
    assert r.returncode == 0 and "more metric/param columns" in r.stdout
    assert len(max(r.stdout.splitlines(), key=len)) <= 200
    assert snapshot(copy) == before


# -- symlink loops ---------------------------------------------------------------------------


def test_symlink_loops_terminate(base: Base, copy: Path) -> None:
    run_dir = _run_dir(copy, base, "a2")
    arts = run_dir / "artifacts"
    (arts / "sub").mkdir()
    os.symlink("..", arts / "sub" / "up")  # artifacts/sub/up -> artifacts
    os.symlink(".", arts / "here")  # artifacts/here -> artifacts
    os.symlink("..", arts / "parent")  # leaves the artifact root
    os.symlink(".", _exp_dir(copy, base, "alpha") / "loop")  # a "run" that is its experiment
    os.symlink("selfloop", run_dir / "metrics" / "selfloop")  # ELOOP on open
    os.symlink("pself", run_dir / "params" / "pself")
    before = snapshot(copy)
    store = FileStore(copy)
    exp_ids = [e.experiment_id for e in store.search_experiments()]
    runs = {r.run_name: r for r in store.search_runs(exp_ids)}
    assert set(runs) == ALL_RUNS
    assert {k: m.value for k, m in runs["a2"].metrics.items()} == base.metrics["a2"]
    assert runs["a2"].params == base.params["a2"]
    text = "\n".join(store.warnings)
    assert "selfloop" in text and "pself" in text and "loop" in text
    rid = base.run_ids["a2"]
    # A filter naming the looping metric reads it by path: a warning, not a crash.
    assert [r.run_id for r in store.search_runs(exp_ids, "metrics.selfloop > 0")] == []
    with pytest.raises(StoreError, match="symbolic links"):
        store.get_metric_history(rid, "selfloop")
    names = [f.path for f in store.list_artifacts(rid)]
    assert names == ["a2.txt", "here", "parent", "sub"]
    assert [f.path for f in store.list_artifacts(rid, "here")] == [
        "here/a2.txt",
        "here/here",
        "here/parent",
        "here/sub",
    ]
    assert [f.path for f in store.list_artifacts(rid, "sub/up/sub")] == ["sub/up/sub/up"]
    with pytest.raises(TuiflowError):
        store.list_artifacts(rid, "parent")
    r = cli("runs", str(copy), "-f", "metrics.selfloop > 0", cwd=copy.parent)
    assert r.returncode == 0 and "0 runs" in r.stdout
    assert any("selfloop" in w for w in warning_lines(r.stderr))
    r = cli("history", str(copy), rid, "selfloop", cwd=copy.parent)
    assert r.returncode == 1 and "symbolic links" in r.stderr
    assert snapshot(copy) == before


# -- permissions -----------------------------------------------------------------------------

_UNPRIVILEGED = unprivileged_prefix()


@pytest.fixture
def shared_copy(base: Base) -> Iterator[Path]:
    """A copy in a folder the unprivileged user can traverse (pytest's tmp is root-only)."""
    top = Path(tempfile.mkdtemp(prefix="tuiflow-hostile-"))
    try:
        top.chmod(0o755)
        yield copy_store(base.root, top / "mlruns")
    finally:
        for dirpath, dirnames, filenames in os.walk(top):
            for n in dirnames + filenames:
                p = os.path.join(dirpath, n)
                if not os.path.islink(p):
                    os.chmod(p, 0o755)
        shutil.rmtree(top)


@pytest.mark.skipif(
    _UNPRIVILEGED is None, reason="neither `runuser -u nobody` nor `setpriv` can drop privileges"
)
def test_unreadable_dirs_and_files(base: Base, shared_copy: Path) -> None:
    """Permission denied, for real: the CLI runs where the kernel enforces the mode bits."""
    assert _UNPRIVILEGED is not None
    who = _UNPRIVILEGED[0]
    root = shared_copy
    beta = _exp_dir(root, base, "beta")
    a2 = _run_dir(root, base, "a2")
    a3 = _run_dir(root, base, "a3")
    beta.chmod(0)  # a whole experiment
    a2.chmod(0)  # a whole run
    (a3 / "metrics" / "acc").chmod(0)  # one metric file
    (a3 / "params").chmod(0)  # one folder of a run
    before = snapshot(root)
    r = cli("experiments", str(root), "--format", "json", cwd=root.parent, prefix=who)
    assert r.returncode == 0
    assert {e["name"] for e in json.loads(r.stdout)} == {"Default", "alpha"}
    assert any("Permission denied" in w for w in warning_lines(r.stderr)), r.stderr
    r = cli("runs", str(root), "--format", "json", cwd=root.parent, prefix=who)
    assert r.returncode == 0, r.stderr
    listed = {d["run_name"]: d for d in json.loads(r.stdout)}
    assert set(listed) == {"a1", "a3"}
    assert listed["a1"]["metrics"] == base.metrics["a1"]
    assert listed["a3"]["metrics"] == {"loss": base.metrics["a3"]["loss"]}
    assert listed["a3"]["params"] == {}
    assert 1 <= len(warning_lines(r.stderr)) <= 6
    r = cli("runs", str(root), "-f", "metrics.acc > 0", cwd=root.parent, prefix=who)
    assert r.returncode == 0 and "1 run\n" in r.stdout  # a1 only: a3's acc is unreadable
    r = cli("history", str(root), base.run_ids["a3"], "acc", cwd=root.parent, prefix=who)
    assert r.returncode == 1 and "Permission denied" in r.stderr
    r = cli("history", str(root), base.run_ids["a2"], "loss", cwd=root.parent, prefix=who)
    assert r.returncode == 1 and len(r.stderr.splitlines()) == 1
    root.chmod(0)  # the store itself: nothing at all can be read
    r = cli("runs", str(root), cwd=root.parent, prefix=who)
    assert r.returncode == 1 and len(r.stderr.splitlines()) == 1
    root.chmod(0o755)
    assert snapshot(root) == before


# -- a read-only filesystem ------------------------------------------------------------------


@pytest.fixture
def readonly_copy(base: Base, tmp_path: Path) -> Iterator[Path]:
    mnt = tmp_path / "ro"
    mnt.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=64m", "tmpfs", str(mnt)],
        capture_output=True,
        check=False,
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.decode().strip()}")
    try:
        root = copy_store(base.root, mnt / "mlruns")
        subprocess.run(["mount", "-o", "remount,ro", str(mnt)], check=True)
        yield root
    finally:
        subprocess.run(["umount", "-l", str(mnt)], check=False)


def test_read_only_filesystem(base: Base, readonly_copy: Path) -> None:
    root = readonly_copy
    before = snapshot(root)
    store = FileStore(root)
    assert store.capabilities.writable is False
    exp_ids = [e.experiment_id for e in store.search_experiments()]
    assert {r.run_name for r in store.search_runs(exp_ids)} == ALL_RUNS
    r = cli("runs", str(root), "--format", "json", cwd=root.parent)
    assert r.returncode == 0 and {d["run_name"] for d in json.loads(r.stdout)} == ALL_RUNS
    assert r.stderr == ""
    rid = base.run_ids["a2"]
    r = cli("delete-run", str(root), rid, "--yes", cwd=root.parent)
    assert r.returncode == 1, r.stdout + r.stderr
    assert len(r.stderr.splitlines()) == 1 and "read-only" in r.stderr.lower(), r.stderr
    r = cli("set-tag", str(root), rid, "k", "v", cwd=root.parent)
    assert r.returncode == 1 and "read-only" in r.stderr.lower(), r.stderr
    assert snapshot(root) == before


# -- unicode, control characters and terminal escapes ----------------------------------------

HOSTILE = {
    "cjk": "学習率 実験",
    "emoji": "🚀🔥 run",
    "rtl": "שלום مرحبا",
    "combining": "e\u0301a\u0308",
    "controls": "tab\there\rcr bell\x07 nul\x00 esc\x1b",
    "osc-title": "\x1b]0;pwned\x07",
    "clear": "\x1b[2J\x1b[31mred",
    "osc8": "\x1b]8;;http://evil.example/\x1b\\click\x1b]8;;\x1b\\",
    "c1-csi": "\x9b31mc1",
}
# Raw bytes a terminal acts on; none may reach it from a value.
_LIVE = ("\x1b]", "\x1b[2J", "\x1b[31m", "\x07", "\x9b", "\x00", "\r")


def _hostile_store(root: Path) -> dict[str, str]:
    """Names and values written by MLflow itself (keys: MLflow allows \\w . - / space)."""
    from mlflow import MlflowClient

    c = MlflowClient(tracking_uri=root.as_uri())
    ids = {}
    for label, text in HOSTILE.items():
        exp = c.create_experiment(f"exp {label} {text}")
        rid = c.create_run(exp, run_name=f"run {text}").info.run_id
        ids[label] = rid
        c.log_param(rid, "p", text)
        c.set_tag(rid, "t", text)
        c.log_metric(rid, "m", 1.0)
    rid = ids["cjk"]
    c.log_param(rid, HOSTILE["cjk"].replace(" ", "_"), "v")  # a unicode key
    c.log_metric(rid, "ключ_метрики", 2.0)
    return ids


def test_unicode_and_escapes_round_trip_and_stay_inert(tmp_path: Path) -> None:
    root = tmp_path / "mlruns"
    ids = _hostile_store(root)
    before = snapshot(root)
    r = cli("runs", str(root), "--format", "json", cwd=tmp_path)
    assert r.returncode == 0 and r.stderr == "", r.stderr
    by_id = {d["run_id"]: d for d in json.loads(r.stdout)}
    for label, text in HOSTILE.items():
        run = by_id[ids[label]]
        assert run["run_name"] == f"run {text}"
        assert run["params"]["p"] == text and run["tags"]["t"] == text
    assert by_id[ids["cjk"]]["metrics"]["ключ_метрики"] == 2.0
    r = cli("experiments", str(root), "--format", "json", cwd=tmp_path)
    names = {e["name"] for e in json.loads(r.stdout)}
    assert {f"exp {k} {v}" for k, v in HOSTILE.items()} <= names
    for verb in ("runs", "experiments"):
        r = cli(verb, str(root), cwd=tmp_path, env={"COLUMNS": "400"})
        assert r.returncode == 0
        for live in _LIVE:
            assert live not in r.stdout, (verb, live)
        assert "\\x1b]0;pwned\\x07" in r.stdout  # shown, spelled out
    assert snapshot(root) == before


def test_escapes_inert_on_a_real_terminal(tmp_path: Path) -> None:
    """Under a pseudo-terminal rich styles its own output; values must still be inert."""
    import fcntl
    import pty
    import struct
    import sys
    import termios

    root = tmp_path / "mlruns"
    _hostile_store(root)
    for verb in ("runs", "experiments"):
        pid, fd = pty.fork()
        if pid == 0:  # the child: exec at once, nothing else
            os.chdir(tmp_path)
            os.environ.pop("NO_COLOR", None)
            os.environ["TERM"] = "xterm-256color"
            os.environ.pop("COLUMNS", None)  # the terminal's own size, set below
            fcntl.ioctl(0, termios.TIOCSWINSZ, struct.pack("HHHH", 50, 400, 0, 0))
            os.execv(sys.executable, [sys.executable, "-m", "tuiflow", verb, str(root)])
        out = b""
        while True:
            try:
                chunk = os.read(fd, 1 << 16)
            except OSError:  # EIO: the child closed the terminal
                break
            if not chunk:
                break
            out += chunk
        _, status = os.waitpid(pid, 0)
        os.close(fd)
        assert os.waitstatus_to_exitcode(status) == 0, out[-500:]
        text = out.decode("utf-8", "replace")
        assert "Traceback" not in text
        assert "\x1b[" in text  # rich did style it: this is the terminal path
        for live in ("\x1b]", "\x1b[2J", "\x07", "\x9b", "\x00"):
            assert live not in text, (verb, live)


def test_everything_at_once_is_listed_with_bounded_warnings(base: Base, copy: Path) -> None:
    """Every damage in one store: still listed, and a few warning lines, not thousands."""
    beta = _exp_dir(copy, base, "beta")
    for i in range(300):  # 300 broken run folders in beta, plus the damage of a2
        (beta / f"broken{i:03d}").mkdir()
        (beta / f"broken{i:03d}" / "meta.yaml").write_text("- not\n- a mapping\n")
    CASES["metric-non-numeric"].damage(copy, base)
    CASES["param-invalid-utf8"].damage(copy, base)
    os.symlink(".", beta / "loop")
    before = snapshot(copy)
    r = cli("runs", str(copy), cwd=copy.parent)
    assert r.returncode == 0 and "4 runs" in r.stdout, r.stderr
    warnings = warning_lines(r.stderr)
    assert len(r.stderr.splitlines()) == len(warnings) == 6, r.stderr
    assert "more problems skipped" in warnings[-1]
    r = cli("runs", str(copy), "--format", "json", cwd=copy.parent)
    assert {d["run_name"] for d in json.loads(r.stdout)} == ALL_RUNS - {"a2"}
    assert snapshot(copy) == before
