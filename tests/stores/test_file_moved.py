"""A file store copied to another path still shows its runs' artifacts."""

from __future__ import annotations

import shutil
from pathlib import Path

from tuiflow.stores.file import FileStore

SAMPLE = Path(__file__).resolve().parents[2] / "sample_mlruns"


def test_moved_store_lists_artifacts_from_its_own_folders(tmp_path, monkeypatch):
    monkeypatch.setenv("MLFLOW_ALLOW_FILE_STORE", "true")
    from mlflow import MlflowClient

    original = tmp_path / "cluster" / "mlruns"
    client = MlflowClient(tracking_uri=original.as_uri())
    exp_id = client.create_experiment("moved")
    run = client.create_run(exp_id)
    (tmp_path / "plots").mkdir()
    (tmp_path / "plots" / "roc.png").write_bytes(b"png")
    client.log_artifacts(run.info.run_id, str(tmp_path / "plots"), "plots")
    client.set_terminated(run.info.run_id)

    moved = tmp_path / "laptop" / "mlruns"
    shutil.move(str(original), str(moved))
    store = FileStore(moved)
    got = store.get_run(run.info.run_id)
    assert str(original) in got.artifact_uri  # the recorded path names the old place
    assert store.artifact_root(run.info.run_id).startswith(str(moved))
    assert [(f.path, f.is_dir) for f in store.list_artifacts(run.info.run_id)] == [("plots", True)]
    assert [f.path for f in store.list_artifacts(run.info.run_id, "plots")] == ["plots/roc.png"]


def test_existing_recorded_root_wins(tmp_path):
    store = FileStore(SAMPLE)
    exp = store.get_experiment_by_name("iris_experiment")
    run = store.search_runs([exp.experiment_id]).items[0]
    if Path(run.artifact_uri.removeprefix("file://")).is_dir():
        assert store.artifact_root(run.run_id) == run.artifact_uri
    else:  # a clone at another path: the store's own folder is used
        assert store.artifact_root(run.run_id).startswith(str(SAMPLE))
