"""A crash between the steps of an experiment delete or a purge loses nothing active:
MLflow still opens the store and lists the same active runs, and tuiflow can finish."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from file_twins import client_for, populate
from mlflow.entities import ViewType

from tuiflow.stores import file_purge, file_write
from tuiflow.stores.file import FileStore


@pytest.fixture(autouse=True)
def _private_cwd(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # MLflow's registry reader may create ./mlflow.db


class Crash(Exception):
    pass


def _active_runs(root: Path) -> set[str]:
    c = client_for(root)
    exps = [e.experiment_id for e in c.search_experiments(view_type=ViewType.ALL)]
    return {r.info.run_id for r in c.search_runs(exps, run_view_type=ViewType.ACTIVE_ONLY)}


def test_experiment_delete_interrupted_before_move(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "mlruns"
    ids = populate(root)
    alpha = {ids[n] for n in ("r1", "r2", "r3", "r4")}
    before = _active_runs(root)

    def crash(*_a: object) -> None:
        raise Crash

    monkeypatch.setattr(file_write.FileWrites, "_move", crash)
    with pytest.raises(Crash):
        FileStore(root).delete_experiment(ids["alpha"])
    monkeypatch.undo()
    monkeypatch.chdir(tmp_path)
    # Runs and meta flipped, folder still in the root: MLflow reads it as deleted.
    c = client_for(root)
    assert c.get_experiment(ids["alpha"]).lifecycle_stage == "deleted"
    assert _active_runs(root) == before - alpha
    # tuiflow finishes the delete, and restore brings everything back.
    store = FileStore(root)
    store.delete_experiment(ids["alpha"])
    assert (root / ".trash" / ids["alpha"]).is_dir() and not (root / ids["alpha"]).exists()
    store.restore_experiment(ids["alpha"])
    assert _active_runs(root) == before


def test_experiment_delete_interrupted_can_be_undone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "mlruns"
    ids = populate(root)
    before = _active_runs(root)
    monkeypatch.setattr(file_write.FileWrites, "_move", lambda *_a: (_ for _ in ()).throw(Crash))
    with pytest.raises(Crash):
        FileStore(root).delete_experiment(ids["alpha"])
    monkeypatch.undo()
    monkeypatch.chdir(tmp_path)
    FileStore(root).restore_experiment(ids["alpha"])  # in place: it never reached .trash
    assert _active_runs(root) == before
    assert client_for(root).get_experiment(ids["alpha"]).lifecycle_stage == "active"


def test_purge_interrupted_between_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = tmp_path / "mlruns"
    ids = populate(root)
    c = client_for(root)
    c.delete_run(ids["r1"])
    c.delete_experiment(ids["beta"])
    before = _active_runs(root)
    real = shutil.rmtree
    calls: list[str] = []

    def flaky(path: str | os.PathLike[str], *a: object, **kw: object) -> None:
        calls.append(str(path))
        if len(calls) == 2:
            raise Crash
        real(path, *a, **kw)

    monkeypatch.setattr(file_purge.shutil, "rmtree", flaky)
    with pytest.raises(Crash):
        FileStore(root).purge()
    monkeypatch.undo()
    monkeypatch.chdir(tmp_path)
    assert _active_runs(root) == before  # MLflow opens it, nothing active touched
    report = FileStore(root).purge()
    assert len(report.runs) == 2 and report.experiments == (ids["beta"],)
    assert _active_runs(root) == before
    assert not (root / ".trash" / ids["beta"]).exists()
