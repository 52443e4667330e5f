"""File store writes, each compared with MLflow doing the same on a twin store."""

from __future__ import annotations

import os
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from file_twins import client_for, populate, run_dirs, view
from mlflow import MlflowClient
from mlflow.cli import _gc_tracking_resources
from mlflow.store.tracking.file_store import FileStore as MlflowFileStore

from tuiflow.errors import InvalidArgumentError, NotFoundError, StoreError
from tuiflow.stores.file import FileStore
from tuiflow.stores.writes import WritableStore
from tuiflow.stores.yaml_write import overwrite_yaml, snapshot

Action = Callable[[Any, dict[str, str]], Any]


@pytest.fixture(autouse=True)
def _private_cwd(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # MLflow's file registry builds a default MlflowClient() when reading a version (to find
    # its logged model), which creates ./mlflow.db: keep that out of the repository.
    monkeypatch.chdir(tmp_path)


def _now() -> int:
    return int(time.time() * 1000)


def twin(
    tmp_path: Path,
    ours: Action,
    theirs: Action,
    prepare: Callable[[MlflowClient, dict[str, str]], None] | None = None,
) -> tuple[dict, dict, Path, Path]:
    """Populate two stores, let tuiflow act on one and MLflow on the other, return views."""
    roots = (tmp_path / "a" / "mlruns", tmp_path / "b" / "mlruns")
    all_ids = []
    for root in roots:
        root.parent.mkdir(parents=True)
        ids = populate(root)
        if prepare is not None:
            prepare(client_for(root), ids)
        all_ids.append(ids)
    time.sleep(0.01)
    start = _now()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ours(FileStore(roots[0]), all_ids[0])
        theirs(client_for(roots[1]), all_ids[1])
    window = (start, _now())
    return view(roots[0], window), view(roots[1], window), roots[0], roots[1]


def assert_twins(tmp_path: Path, ours: Action, theirs: Action, prepare=None) -> dict:
    a, b, _, _ = twin(tmp_path, ours, theirs, prepare)
    assert a == b
    return a


def test_file_store_is_writable(tmp_path: Path) -> None:
    root = tmp_path / "mlruns"
    root.mkdir()
    (root / "0").mkdir()
    store = FileStore(root)
    assert isinstance(store, WritableStore)
    assert store.capabilities.writable is True
    os.chmod(root, 0o555)
    try:
        assert FileStore(root).capabilities.writable is (os.geteuid() == 0)
    finally:
        os.chmod(root, 0o755)


def test_delete_runs(tmp_path: Path) -> None:
    got = assert_twins(
        tmp_path,
        lambda s, ids: s.delete_runs([ids["r1"], ids["r2"]]),
        lambda c, ids: [c.delete_run(ids["r1"]), c.delete_run(ids["r2"])],
    )
    assert got["run:r1"][2] == "deleted" and got["run:r1"][4] == "NOW"
    assert got["run:r3"][4] == "absent"  # set_terminated's rewrite dropped it: untouched


def test_delete_runs_unknown_id_changes_nothing(tmp_path: Path) -> None:
    root = tmp_path / "mlruns"
    ids = populate(root)
    with pytest.raises(NotFoundError):
        FileStore(root).delete_runs([ids["r1"], "0123456789abcdef"])
    assert client_for(root).get_run(ids["r1"]).info.lifecycle_stage == "active"


def test_restore_runs(tmp_path: Path) -> None:
    got = assert_twins(
        tmp_path,
        lambda s, ids: s.restore_runs([ids["r1"], ids["b1"]]),
        lambda c, ids: [c.restore_run(ids["r1"]), c.restore_run(ids["b1"])],
        prepare=lambda c, ids: [c.delete_run(ids["r1"]), c.delete_run(ids["b1"])],
    )
    assert got["run:r1"][2] == "active" and got["run:r1"][4] == "absent"


def test_delete_again_resets_deleted_time(tmp_path: Path) -> None:
    got = assert_twins(
        tmp_path,
        lambda s, ids: s.delete_runs([ids["r1"]]),
        lambda c, ids: c.delete_run(ids["r1"]),
        prepare=lambda c, ids: c.delete_run(ids["r1"]),
    )
    assert got["run:r1"][4] == "NOW"


def test_set_run_status(tmp_path: Path) -> None:
    end = _now() + 5
    got = assert_twins(
        tmp_path,
        lambda s, ids: s.set_run_status(ids["r4"], "KILLED", end),
        lambda c, ids: c.set_terminated(ids["r4"], "KILLED", end),
    )
    assert got["run:r4"][1] == "KILLED"
    assert got["run:r4"][4] == "absent"  # any non-delete rewrite drops deleted_time


def test_set_run_status_without_end_time_keeps_it(tmp_path: Path) -> None:
    assert_twins(
        tmp_path,
        lambda s, ids: s.set_run_status(ids["r1"], "FAILED", None),
        lambda c, ids: c.update_run(ids["r1"], status="FAILED"),
    )


def test_rename_run(tmp_path: Path) -> None:
    got = assert_twins(
        tmp_path,
        lambda s, ids: s.rename_run(ids["r2"], "renamed"),
        lambda c, ids: c.update_run(ids["r2"], name="renamed"),
    )
    assert got["run:renamed"][5]["mlflow.runName"] == "renamed"


def test_set_tag_and_run_name_tag(tmp_path: Path) -> None:
    def ours(s: FileStore, ids: dict[str, str]) -> None:
        s.set_tag(ids["r1"], "note", "hello\nwörld")
        s.set_tag(ids["r1"], "a/b", "nested")
        s.set_tag(ids["r2"], "mlflow.runName", "via-tag")

    def theirs(c: MlflowClient, ids: dict[str, str]) -> None:
        c.set_tag(ids["r1"], "note", "hello\nwörld")
        c.set_tag(ids["r1"], "a/b", "nested")
        c.set_tag(ids["r2"], "mlflow.runName", "via-tag")

    got = assert_twins(tmp_path, ours, theirs)
    assert got["run:r1"][5]["note"] == "hello\nwörld"
    assert "run:via-tag" in got


def test_delete_tag(tmp_path: Path) -> None:
    assert_twins(
        tmp_path,
        lambda s, ids: s.delete_tag(ids["r1"], "kind"),
        lambda c, ids: c.delete_tag(ids["r1"], "kind"),
    )


def test_run_writes_refused_on_deleted_run_and_missing_tag(tmp_path: Path) -> None:
    root = tmp_path / "mlruns"
    ids = populate(root)
    store = FileStore(root)
    with pytest.raises(NotFoundError, match="No tag with name: nope"):
        store.delete_tag(ids["r1"], "nope")
    store.delete_runs([ids["r1"]])
    for call in (
        lambda: store.set_tag(ids["r1"], "k", "v"),
        lambda: store.rename_run(ids["r1"], "x"),
        lambda: store.set_run_status(ids["r1"], "KILLED", 1),
        lambda: store.delete_tag(ids["r1"], "kind"),
    ):
        with pytest.raises(InvalidArgumentError, match="must be in 'active'"):
            call()
    with pytest.raises(InvalidArgumentError):
        store.set_tag(ids["r2"], "../escape", "v")


def test_delete_experiment(tmp_path: Path) -> None:
    got = assert_twins(
        tmp_path,
        lambda s, ids: s.delete_experiment(ids["alpha"]),
        lambda c, ids: c.delete_experiment(ids["alpha"]),
        prepare=lambda c, ids: c.delete_run(ids["r3"]),
    )
    assert got["exp:alpha"][0] == "deleted" and got["exp:alpha"][3] is True
    assert got["run:r1"][4] == "NOW" and got["run:r3"][4] == "OLD"


def test_default_experiment_refused(tmp_path: Path) -> None:
    root = tmp_path / "mlruns"
    populate(root)
    with pytest.raises(InvalidArgumentError, match="Cannot delete the default experiment '0'"):
        FileStore(root).delete_experiment("0")
    with pytest.raises(NotFoundError):
        FileStore(root).delete_experiment("424242")


def test_restore_experiment_restores_every_deleted_run(tmp_path: Path) -> None:
    def prepare(c: MlflowClient, ids: dict[str, str]) -> None:
        c.delete_run(ids["r3"])
        c.delete_experiment(ids["alpha"])

    got = assert_twins(
        tmp_path,
        lambda s, ids: s.restore_experiment(ids["alpha"]),
        lambda c, ids: c.restore_experiment(ids["alpha"]),
        prepare=prepare,
    )
    assert got["exp:alpha"][:1] == ("active",) and got["exp:alpha"][3] is False
    assert got["run:r3"][2] == "active"


def test_rename_experiment(tmp_path: Path) -> None:
    got = assert_twins(
        tmp_path,
        lambda s, ids: s.rename_experiment(ids["beta"], "gamma"),
        lambda c, ids: c.rename_experiment(ids["beta"], "gamma"),
    )
    assert got["exp:gamma"][2] == "NOW"


def test_rename_experiment_refusals(tmp_path: Path) -> None:
    root = tmp_path / "mlruns"
    ids = populate(root)
    store = FileStore(root)
    with pytest.raises(InvalidArgumentError, match="already exists"):
        store.rename_experiment(ids["beta"], "alpha")
    store.delete_experiment(ids["alpha"])
    with pytest.raises(InvalidArgumentError, match="deleted state"):
        store.rename_experiment(ids["beta"], "alpha")
    with pytest.raises(InvalidArgumentError, match="non-active"):
        store.rename_experiment(ids["alpha"], "other")


def _gc(c: MlflowClient, older_than: str | None = None, delta: int = 0, **kw: Any) -> None:
    store = MlflowFileStore(c.tracking_uri[len("file://") :])
    _gc_tracking_resources(
        store, kw.get("run_ids"), kw.get("experiment_ids"), None, older_than, delta, False, True
    )


def _prepare_purge(c: MlflowClient, ids: dict[str, str]) -> None:
    c.delete_run(ids["r2"])
    c.delete_experiment(ids["beta"])


def test_purge_everything_deleted(tmp_path: Path) -> None:
    a, b, root_a, root_b = twin(
        tmp_path, lambda s, ids: s.purge(), lambda c, ids: _gc(c), prepare=_prepare_purge
    )
    assert a == b
    assert "run:r2" not in a and "exp:beta" not in a and "run:r1" in a
    assert len(run_dirs(root_a)) == len(run_dirs(root_b)) == 3
    assert not (root_a / ".trash").exists() or not any((root_a / ".trash").iterdir())


def test_purge_report_and_artifacts_of_custom_location(tmp_path: Path) -> None:
    root = tmp_path / "mlruns"
    ids = populate(root)
    c = client_for(root)
    outside = tmp_path / "elsewhere"
    exp = c.create_experiment("custom", artifact_location=str(outside))
    run = c.create_run(exp, run_name="c1")
    c.log_text(run.info.run_id, "x", "f.txt")
    c.set_terminated(run.info.run_id)
    c.delete_run(run.info.run_id)
    c.delete_run(ids["r2"])
    store = FileStore(root)
    report = store.purge()
    assert set(report.runs) == {ids["r2"], run.info.run_id}
    assert not (outside / run.info.run_id / "artifacts").exists() and outside.exists()
    assert str(outside / run.info.run_id / "artifacts") in report.artifact_dirs
    assert report.skipped == {}
    assert store.purge().runs == ()  # nothing deleted is left


def test_purge_older_than(tmp_path: Path) -> None:
    root = tmp_path / "mlruns"
    ids = populate(root)
    c = client_for(root)
    c.delete_run(ids["r1"])
    c.delete_run(ids["r2"])
    # A run deleted by an old MLflow has no deleted_time: gc always takes it.
    meta = root / ids["alpha"] / ids["r2"] / "meta.yaml"
    lines = meta.read_text().splitlines(True)
    meta.write_text("".join(x for x in lines if "deleted_time" not in x))
    c.delete_experiment(ids["beta"])
    store = FileStore(root)
    report = store.purge(older_than_ms=3_600_000)
    assert report.runs == (ids["r2"],) and report.experiments == ()
    report = store.purge(older_than_ms=3_600_000, run_ids=[ids["r1"], ids["r3"]])
    assert report.runs == ()
    assert report.skipped == {
        ids["r1"]: "not older than the required age",
        ids["r3"]: "not in `deleted` lifecycle stage",
    }
    report = store.purge(older_than_ms=3_600_000, experiment_ids=[ids["beta"]])
    assert report.experiments == () and report.skipped[ids["beta"]].startswith("not older")


def test_purge_moved_store_removes_its_own_artifacts_only(tmp_path: Path) -> None:
    original = tmp_path / "orig" / "mlruns"
    ids = populate(original)
    client_for(original).delete_run(ids["r1"])
    moved = tmp_path / "copy" / "mlruns"
    import shutil

    shutil.copytree(original, moved)
    report = FileStore(moved).purge()
    assert report.runs == (ids["r1"],)
    assert not (moved / ids["alpha"] / ids["r1"]).exists()
    assert (original / ids["alpha"] / ids["r1"] / "artifacts").is_dir()


def test_transition_with_archive_existing(tmp_path: Path) -> None:
    got = assert_twins(
        tmp_path,
        lambda s, ids: s.transition_stage("m", 3, "Production", archive_existing=True),
        lambda c, ids: c.transition_model_version_stage("m", "3", "Production", True),
    )
    assert got["mv:m/1"][:2] == ("Archived", "NOW") and got["mv:m/3"][:2] == ("Production", "NOW")
    assert got["mv:m/2"][:2] == ("Staging", "OLD") and got["model:m"][0] == "NOW"


def test_transition_returns_version_and_refuses(tmp_path: Path) -> None:
    root = tmp_path / "mlruns"
    populate(root)
    store = FileStore(root)
    mv = store.transition_stage("m", 2, "Archived")
    assert mv.current_stage == "Archived" and mv.version == 2
    with pytest.raises(InvalidArgumentError, match="not an Active stage"):
        store.transition_stage("m", 2, "None", archive_existing=True)
    with pytest.raises(NotFoundError):
        store.transition_stage("m", 9, "Staging")
    with pytest.raises(NotFoundError):
        store.transition_stage("nope", 1, "Staging")


def test_set_and_move_alias(tmp_path: Path) -> None:
    got = assert_twins(
        tmp_path,
        lambda s, ids: [s.set_alias("m", "champ", 2), s.set_alias("m", "next", 3)],
        lambda c, ids: [
            c.set_registered_model_alias("m", "champ", "2"),
            c.set_registered_model_alias("m", "next", "3"),
        ],
    )
    assert got["model:m"][:2] == ("NOW", {"champ": "2", "next": "3"})


def test_delete_alias(tmp_path: Path) -> None:
    got = assert_twins(
        tmp_path,
        lambda s, ids: [s.delete_alias("m", "champ"), s.delete_alias("m", "missing")],
        lambda c, ids: [
            c.delete_registered_model_alias("m", "champ"),
            c.delete_registered_model_alias("m", "missing"),
        ],
    )
    assert got["model:m"][:2] == ("NOW", {})


def test_alias_refusals(tmp_path: Path) -> None:
    root = tmp_path / "mlruns"
    populate(root)
    store = FileStore(root)
    with pytest.raises(NotFoundError):
        store.set_alias("m", "x", 7)
    with pytest.raises(InvalidArgumentError):
        store.set_alias("m", "../x", 1)
    assert not (root / "models" / "m" / "aliases" / "x").exists()


def test_overwrite_yaml_keeps_mode_and_refuses_changed_file(tmp_path: Path) -> None:
    path = tmp_path / "meta.yaml"
    path.write_text("a: 1\n")
    os.chmod(path, 0o640)
    seen = snapshot(str(path))
    overwrite_yaml(str(path), {"b": "0", "a": "ü"}, expected=seen)
    assert path.read_text(encoding="utf-8") == "a: ü\nb: '0'\n"
    assert (path.stat().st_mode & 0o777) == 0o640
    with pytest.raises(StoreError, match="changed since tuiflow read it"):
        overwrite_yaml(str(path), {"c": 1}, expected=seen)
    assert path.read_text(encoding="utf-8") == "a: ü\nb: '0'\n"
    assert sorted(os.listdir(tmp_path)) == ["meta.yaml"]  # no temp file left
