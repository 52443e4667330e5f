"""Headless write verbs, as a subprocess on copies of sample_mlruns, checked with MlflowClient."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from test_cli import SAMPLE, restore_empty_run_folders

IRIS = "521045948341442715"
SCRATCH = "273894148362621127"


def run_cli(*args: str, stdin=subprocess.DEVNULL) -> tuple[int, str, str]:
    proc = subprocess.run(
        [sys.executable, "-m", "tuiflow", *args],
        capture_output=True,
        text=True,
        stdin=stdin,
        env={**os.environ, "COLUMNS": "200", "XDG_CONFIG_HOME": "/nonexistent-tuiflow"},
        timeout=120,
    )
    return proc.returncode, proc.stdout, proc.stderr


@pytest.fixture
def store(tmp_path, monkeypatch) -> Path:
    dst = tmp_path / "mlruns"
    shutil.copytree(SAMPLE, dst)
    restore_empty_run_folders(dst)
    # MLflow's file registry opens a client on the global tracking URI while reading
    # versions; unset, that creates ./mlruns in the working directory.
    monkeypatch.setenv("MLFLOW_TRACKING_URI", dst.as_uri())
    return dst


def client(store: Path):
    os.environ["MLFLOW_ALLOW_FILE_STORE"] = "true"
    from mlflow import MlflowClient

    return MlflowClient(tracking_uri=store.as_uri(), registry_uri=store.as_uri())


def active_runs(store: Path, exp_id: str = IRIS) -> list:
    return client(store).search_runs([exp_id], max_results=1000)


def test_delete_one_run_and_restore(store):
    run = active_runs(store)[0]
    code, out, err = run_cli("delete-run", str(store), run.info.run_id)
    assert (code, err) == (0, ""), err
    assert "deleted 1 run" in out
    assert client(store).get_run(run.info.run_id).info.lifecycle_stage == "deleted"
    code, out, err = run_cli("restore-run", "--store", str(store), run.info.run_id)
    assert code == 0, err
    assert client(store).get_run(run.info.run_id).info.lifecycle_stage == "active"


def test_several_runs_need_yes_without_a_terminal(store):
    ids = [r.info.run_id for r in active_runs(store)[:3]]
    code, out, err = run_cli("delete-run", str(store), *ids)
    assert code == 2
    assert err.strip().count("\n") == 0 and "pass --yes" in err
    assert len(active_runs(store)) >= 3 and all(
        client(store).get_run(i).info.lifecycle_stage == "active" for i in ids
    )
    code, out, err = run_cli("delete-run", str(store), *ids, "--yes")
    assert code == 0, err
    assert all(client(store).get_run(i).info.lifecycle_stage == "deleted" for i in ids)


def test_read_only_refuses_with_one_line(store):
    run = active_runs(store)[0]
    for args in (
        ["delete-run", str(store), run.info.run_id],
        ["set-tag", str(store), run.info.run_id, "k", "v"],
        ["transition", str(store), "iris_classifier", "3", "Production"],
        ["purge", str(store), "--yes"],
    ):
        code, out, err = run_cli(*args, "--read-only")
        assert code == 2, args
        assert err.startswith("tuiflow: read-only: refusing to ") and err.count("\n") == 1
    assert client(store).get_run(run.info.run_id).info.lifecycle_stage == "active"


def test_set_tag_delete_tag_rename_run(store):
    run_id = active_runs(store)[0].info.run_id
    assert run_cli("set-tag", str(store), run_id, "team", "blue")[0] == 0
    assert client(store).get_run(run_id).data.tags["team"] == "blue"
    assert run_cli("delete-tag", str(store), run_id, "team")[0] == 0
    assert "team" not in client(store).get_run(run_id).data.tags
    assert run_cli("rename-run", str(store), run_id, "renamed")[0] == 0
    got = client(store).get_run(run_id)
    assert got.info.run_name == "renamed" and got.data.tags["mlflow.runName"] == "renamed"


def test_experiment_delete_restore_rename(store):
    code, _, err = run_cli("delete-experiment", str(store), "wine_tuning")
    assert code == 2 and "pass --yes" in err
    code, _, err = run_cli("delete-experiment", str(store), "wine_tuning", "--yes")
    assert code == 0, err
    exp = client(store).get_experiment_by_name("wine_tuning")
    assert exp.lifecycle_stage == "deleted"
    code, _, err = run_cli("restore-experiment", str(store), exp.experiment_id, "--yes")
    assert code == 0, err
    code, _, err = run_cli("rename-experiment", str(store), "wine_tuning", "wine2")
    assert code == 0, err
    assert client(store).get_experiment(exp.experiment_id).name == "wine2"


def test_default_experiment_refused(store):
    code, _, err = run_cli("delete-experiment", str(store), "0", "--yes")
    assert code != 0 and "default experiment" in err


def test_transition_with_archive_existing(store):
    code, out, err = run_cli(
        "transition", str(store), "iris_classifier", "3", "production", "--archive-existing"
    )
    assert code == 2 and "pass --yes" in err
    code, out, err = run_cli(
        "transition",
        str(store),
        "iris_classifier",
        "3",
        "production",
        "--archive-existing",
        "--yes",
    )
    assert code == 0, err
    assert "archived v2" in out
    c = client(store)
    assert c.get_model_version("iris_classifier", "3").current_stage == "Production"
    assert c.get_model_version("iris_classifier", "2").current_stage == "Archived"


def test_transition_bad_stage_message(store):
    code, _, err = run_cli("transition", str(store), "iris_classifier", "3", "prod")
    assert code == 2
    assert "Invalid Model Version stage: prod. Value must be one of None, Staging, " in err


def test_alias_set_move_delete_and_reserved(store):
    assert run_cli("alias", str(store), "iris_classifier", "best", "4")[0] == 0
    c = client(store)
    assert c.get_model_version_by_alias("iris_classifier", "best").version in (4, "4")
    assert run_cli("alias", str(store), "iris_classifier", "best", "1")[0] == 0
    assert c.get_model_version_by_alias("iris_classifier", "best").version in (1, "1")
    assert run_cli("alias", str(store), "iris_classifier", "best", "--delete")[0] == 0
    assert "best" not in c.get_registered_model("iris_classifier").aliases
    code, _, err = run_cli("alias", str(store), "iris_classifier", "Latest", "1")
    assert code == 2 and "'latest' alias name (case insensitive) is reserved." in err


def test_terminate_only_running(store):
    from mlflow.entities import ViewType

    c = client(store)
    exps = [e.experiment_id for e in c.search_experiments(view_type=ViewType.ALL)]
    runs = c.search_runs(exps, run_view_type=ViewType.ALL)
    finished = next(r.info for r in runs if r.info.status == "FINISHED")
    code, _, err = run_cli("terminate-run", str(store), finished.run_id, "--status", "KILLED")
    assert code == 2 and "not RUNNING" in err
    running = next(r.info for r in runs if r.info.status == "RUNNING")
    code, _, err = run_cli("terminate-run", str(store), running.run_id, "--status", "FINISHED")
    assert code == 2 and "KILLED or FAILED" in err
    code, _, err = run_cli("terminate-run", str(store), running.run_id, "--status", "failed")
    assert code == 0, err
    got = c.get_run(running.run_id).info
    assert got.status == "FAILED" and got.end_time is not None


def test_purge_needs_yes_then_removes_deleted(store):
    code, _, err = run_cli("purge", str(store))
    assert code == 2 and "pass --yes" in err
    assert (store / ".trash" / SCRATCH).exists()
    code, out, err = run_cli("purge", str(store), "--older-than", "36500d", "--yes")
    assert (code, out.strip()) == (0, "nothing to purge")
    code, out, err = run_cli("purge", str(store), "--yes")
    assert code == 0, err
    assert not (store / ".trash" / SCRATCH).exists()
    from mlflow.entities import ViewType

    c = client(store)
    exps = [e.experiment_id for e in c.search_experiments(view_type=ViewType.ALL)]
    assert c.search_runs(exps, run_view_type=ViewType.DELETED_ONLY) == []


def test_bad_duration(store):
    code, _, err = run_cli("purge", str(store), "--older-than", "3w", "--yes")
    assert code == 2 and "Could not parse any time information from '3w'" in err
