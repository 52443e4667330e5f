"""Hand-written file stores: MLflow 2.x layouts and broken files.

2.x-style files that MLflow 3.17.2 still reads are compared with it; files it cannot
read (run_uuid only) or that make it crash (corrupt metric lines, non-mapping YAML)
must be read, or skipped with a warning, without an exception escaping tuiflow.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ["MLFLOW_ALLOW_FILE_STORE"] = "true"
os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")

from tuiflow.entities import ViewType  # noqa: E402
from tuiflow.errors import InvalidArgumentError, StoreError  # noqa: E402
from tuiflow.stores.file import FileStore  # noqa: E402

RUN_A = "a" * 32
RUN_B = "b" * 32
RUN_UUID_ONLY = "c" * 32


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def _run(root: Path, exp: str, run_id: str, meta: str, **files: str) -> Path:
    run = root / exp / run_id
    for sub in ("metrics", "params", "artifacts", "tags"):
        (run / sub).mkdir(parents=True, exist_ok=True)
    _write(run / "meta.yaml", meta)
    for rel, text in files.items():
        _write(run / rel.replace("__", "/"), text)
    return run


def _legacy_store(root: Path) -> None:
    """What MLflow 1.x/2.x left behind: int ids, no creation_time, run_uuid, no run_name."""
    _write(
        root / "0" / "meta.yaml",
        f"artifact_location: {root}/0\nexperiment_id: 0\nlifecycle_stage: active\nname: Default\n",
    )
    _write(
        root / "1" / "meta.yaml",
        f"artifact_location: file://{root}/1\nexperiment_id: 1\nlifecycle_stage: active\n"
        "name: legacy\n",
    )
    _write(root / "1" / "tags" / "mlflow.note.content", "hello\nworld")
    (root / ".trash").mkdir()
    _run(
        root,
        "1",
        RUN_A,
        f"artifact_uri: file://{root}/1/{RUN_A}/artifacts\nend_time: 300\n"
        f"entry_point_name: ''\nexperiment_id: 1\nlifecycle_stage: active\n"
        f"name: ''\nrun_id: {RUN_A}\nrun_uuid: {RUN_A}\nsource_name: ''\nsource_type: 4\n"
        f"source_version: ''\nstart_time: 100\nstatus: 3\ntags: []\nuser_id: alice\n",
        **{
            "tags__mlflow.runName": "from-tag",
            "metrics__m": "100 0.5\n200 0.7\n",
            "metrics__s": "5 1.5 3\n6 2.5 1\n",
            "params__p": "x",
        },
    )
    _run(
        root,
        "1",
        RUN_B,
        f"artifact_uri: file://{root}/1/{RUN_B}/artifacts\nend_time: null\n"
        f"experiment_id: '1'\nrun_id: {RUN_B}\nrun_name: no-status\nstart_time: 50\n"
        "user_id: bob\n",
    )


def test_legacy_store_reads_like_mlflow(tmp_path: Path) -> None:
    from mlflow import MlflowClient

    root = tmp_path / "mlruns"
    _legacy_store(root)
    store = FileStore(root)
    client = MlflowClient(tracking_uri=root.as_uri())
    theirs = client.search_experiments()
    ours = store.search_experiments()
    assert [(e.experiment_id, e.name, e.creation_time, dict(e.tags)) for e in ours] == [
        (e.experiment_id, e.name, e.creation_time, e.tags) for e in theirs
    ]
    theirs_runs = client.search_runs(["1"])
    ours_runs = store.search_runs(["1"])
    assert [r.run_id for r in ours_runs] == [r.info.run_id for r in theirs_runs]
    for o, t in zip(ours_runs, theirs_runs, strict=True):
        assert (o.run_name, o.status, o.lifecycle_stage, o.user_id, o.end_time) == (
            t.info.run_name,
            t.info.status,
            t.info.lifecycle_stage,
            t.info.user_id,
            t.info.end_time,
        )
        assert {k: (m.value, m.step) for k, m in o.metrics.items()} == {
            m.key: (m.value, m.step) for m in t.data._metric_objs
        }
    a = store.get_run(RUN_A)
    assert a.run_name == "from-tag" and a.status == "FINISHED"
    assert a.metrics["m"].value == 0.7 and a.metrics["m"].step == 0  # 2-field lines
    assert a.metrics["s"].value == 1.5  # highest step wins over later timestamp
    b = store.get_run(RUN_B)
    assert b.status == "RUNNING" and b.lifecycle_stage == "active"
    assert store.warnings == []


def test_run_uuid_only_is_read(tmp_path: Path) -> None:
    # MLflow 3.17.2 fails with a TypeError on these; tuiflow reads them.
    root = tmp_path / "mlruns"
    _legacy_store(root)
    _run(
        root,
        "1",
        RUN_UUID_ONLY,
        f"artifact_uri: file://{root}/1/{RUN_UUID_ONLY}/artifacts\nend_time: null\n"
        f"experiment_id: 1\nrun_uuid: {RUN_UUID_ONLY}\nstart_time: 10\nstatus: 4\n"
        "user_id: carol\n",
    )
    store = FileStore(root)
    assert store.get_run(RUN_UUID_ONLY).status == "FAILED"
    assert RUN_UUID_ONLY in [r.run_id for r in store.search_runs(["1"])]


def _broken_store(root: Path) -> None:
    _legacy_store(root)
    _write(root / "2" / "meta.yaml", "")  # empty
    _write(root / "3" / "meta.yaml", "- just\n- a list\n")  # not a mapping
    _write(root / "4" / "meta.yaml", "experiment_id: '5'\nname: wrong id\n")  # mismatch
    _write(root / "6" / "meta.yaml", "experiment_id: '6'\nname: [unclosed\n")  # bad YAML
    (root / "7").mkdir()  # no meta.yaml at all
    (root / "not an id").mkdir()
    _write(root / ".trash" / "8" / "meta.yaml", "")
    run = root / "1"
    _write(run / "emptymeta" / "meta.yaml", "")
    _write(run / "wrongexp" / "meta.yaml", "run_id: wrongexp\nexperiment_id: '2'\n")
    _write(run / "listmeta" / "meta.yaml", "[1, 2]\n")
    _write(run / "mismatch" / "meta.yaml", "run_id: other\nexperiment_id: '1'\n")
    _write(run / "badstatus" / "meta.yaml", "run_id: badstatus\nexperiment_id: '1'\nstatus: 9\n")
    (run / "nometa").mkdir()
    _run(
        root,
        "1",
        "halfwritten",
        "run_id: halfwritten\nexperiment_id: '1'\nstart_time: 1\nuser_id: u\n",
        metrics__loss="1 0.5 0\n2 0.4 1\n3 0.3",
    )
    _run(
        root,
        "1",
        "corrupt",
        "run_id: corrupt\nexperiment_id: '1'\nstart_time: 2\nuser_id: u\n",
        metrics__loss="1 0.5 0\nthis is not a metric line at all\n3 0.3 2\n",
    )


def test_broken_files_are_skipped_with_warnings(tmp_path: Path) -> None:
    root = tmp_path / "mlruns"
    _broken_store(root)
    store = FileStore(root)
    exps = store.search_experiments(view=ViewType.ALL)
    assert sorted(e.experiment_id for e in exps) == ["0", "1"]
    text = "\n".join(store.warnings)
    for needle in ("'2'", "'3'", "'4'", "'6'", "'7'", "not an id", "'8'"):
        assert needle in text, needle
    store.clear_warnings()

    runs = store.search_runs(["1"], view=ViewType.ALL)
    assert sorted(r.run_id for r in runs) == sorted([RUN_A, RUN_B, "halfwritten"])
    text = "\n".join(store.warnings)
    for needle in (
        "emptymeta",
        "wrongexp",
        "listmeta",
        "mismatch",
        "badstatus",
        "nometa",
        "corrupt",
    ):
        assert needle in text, needle
    half = store.get_run("halfwritten")
    assert half.metrics["loss"].value == 0.4  # the unterminated last line is ignored
    assert [m.value for m in store.get_metric_history("halfwritten", "loss")] == [0.5, 0.4]
    assert half.user_id == "u" and half.status == "RUNNING"

    # A filter that reads the corrupt metric skips that run too, never raising.
    assert {r.run_id for r in store.search_runs(["1"], "metrics.loss > 0")} == {"halfwritten"}
    with pytest.raises(StoreError, match="malformed"):
        store.get_run("corrupt")
    with pytest.raises(StoreError, match="malformed"):
        store.get_metric_history("corrupt", "loss")
    with pytest.raises(StoreError, match="invalid state"):
        store.get_run("mismatch")


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads through permission bits")
def test_unreadable_experiment_is_skipped(tmp_path: Path) -> None:
    root = tmp_path / "mlruns"
    _legacy_store(root)
    (root / "1").chmod(0)
    try:
        store = FileStore(root)
        assert [e.experiment_id for e in store.search_experiments()] == ["0"]
        assert store.warnings
        assert len(store.search_runs(["1"])) == 0
    finally:
        (root / "1").chmod(0o755)


def test_unreadable_root(tmp_path: Path) -> None:
    root = tmp_path / "mlruns"
    _legacy_store(root)
    store = FileStore(root)
    os.rename(root, tmp_path / "moved")
    with pytest.raises(StoreError):
        store.search_experiments()
    with pytest.raises(StoreError):
        store.search_runs(["1"])


def test_artifacts_of_remote_and_escaping_paths(tmp_path: Path) -> None:
    root = tmp_path / "mlruns"
    _legacy_store(root)
    _run(
        root,
        "1",
        "remote",
        "run_id: remote\nexperiment_id: '1'\nstart_time: 1\nuser_id: u\n"
        "artifact_uri: s3://bucket/1/remote/artifacts\n",
    )
    store = FileStore(root)
    with pytest.raises(StoreError, match="s3://"):
        store.list_artifacts("remote")
    (root / "1" / RUN_A / "artifacts" / "f.txt").write_text("x")
    assert [f.path for f in store.list_artifacts(RUN_A)] == ["f.txt"]
    with pytest.raises(InvalidArgumentError):
        store.list_artifacts(RUN_A, "../../..")


def test_broken_experiment_and_dataset(tmp_path: Path) -> None:
    root = tmp_path / "mlruns"
    _broken_store(root)
    store = FileStore(root)
    with pytest.raises(StoreError, match="cannot be read"):
        store.get_experiment("4")
    # An input pointing at a dataset that is not there: the input is dropped, with a warning.
    _write(
        root / "1" / RUN_A / "inputs" / "i1" / "meta.yaml",
        "source_type: DATASET\nsource_id: nope\ndestination_type: RUN\n"
        "destination_id: nope\ntags:\n  mlflow.data.context: training\n",
    )
    assert store.get_run(RUN_A).inputs == ()
    assert len(store.search_runs(["1"], "datasets.name = 'x'")) == 0
    assert any("nope" in w for w in store.warnings)
