"""The headless verbs, checked against real MLflow reading the same store."""

from __future__ import annotations

import json
import math
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tuiflow.cli import main

REPO = Path(__file__).resolve().parents[2]
SAMPLE = REPO / "sample_mlruns"


def run_cli(*args: str, cwd: Path | None = None) -> tuple[int, str, str]:
    """Run `tuiflow ARGS` in a subprocess: exit code, stdout, stderr."""
    proc = subprocess.run(
        [sys.executable, "-m", "tuiflow", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env={**os.environ, "COLUMNS": "200"},
        timeout=120,
    )
    return proc.returncode, proc.stdout, proc.stderr


def call(capsys, *args: str) -> tuple[int, str, str]:
    """Run the CLI in-process (fast): exit code, stdout, stderr."""
    with pytest.raises(SystemExit) as info:
        main(list(args))
    out = capsys.readouterr()
    return info.value.code, out.out, out.err


def restore_empty_run_folders(root: Path) -> None:
    """Recreate the empty metrics/params/artifacts folders a git checkout drops.

    MLflow's `get_run` refuses a run without them (tuiflow does not), so the oracle needs
    the store exactly as MLflow wrote it.
    """
    for meta in root.glob("*/*/meta.yaml"):
        run_dir = meta.parent
        if run_dir.parent.name in (".trash", "models") or run_dir.name in (
            "tags", "datasets", "models", "traces"
        ):
            continue
        for sub in ("metrics", "params", "artifacts"):
            (run_dir / sub).mkdir(exist_ok=True)


@pytest.fixture(scope="module")
def store(tmp_path_factory) -> Path:
    dst = tmp_path_factory.mktemp("cli") / "mlruns"
    shutil.copytree(SAMPLE, dst)
    restore_empty_run_folders(dst)
    return dst


@pytest.fixture(scope="module")
def client(store):
    os.environ["MLFLOW_ALLOW_FILE_STORE"] = "true"
    import mlflow
    from mlflow import MlflowClient

    # MLflow's file registry opens a client on the *global* URI while reading versions;
    # unset, that would create ./mlflow.db in the working directory.
    from mlflow.tracking._model_registry import utils as registry_utils
    from mlflow.tracking._tracking_service import utils as tracking_utils

    # Restore MLflow's globals exactly: set_tracking_uri("") would mean ./mlruns.
    saved = (tracking_utils._tracking_uri, registry_utils._registry_uri)
    mlflow.set_tracking_uri(store.as_uri())
    mlflow.set_registry_uri(store.as_uri())
    yield MlflowClient(tracking_uri=store.as_uri(), registry_uri=store.as_uri())
    tracking_utils._tracking_uri, registry_utils._registry_uri = saved


def _mlflow_runs(client, filter_string: str = "", order_by=None, view=None):
    from mlflow.entities import ViewType

    view = view or ViewType.ACTIVE_ONLY
    exp_ids = [e.experiment_id for e in client.search_experiments()]
    runs, token = [], None
    while True:
        page = client.search_runs(
            exp_ids, filter_string, run_view_type=view, max_results=1000,
            order_by=order_by, page_token=token,
        )
        runs.extend(page)
        token = page.token
        if not token:
            return runs


def _expected_json(run) -> dict:
    def val(v: float):
        if math.isnan(v):
            return "NaN"
        if math.isinf(v):
            return "Infinity" if v > 0 else "-Infinity"
        return v

    return {
        "run_id": run.info.run_id,
        "run_name": run.info.run_name,
        "experiment_id": run.info.experiment_id,
        "status": run.info.status,
        "start_time": run.info.start_time,
        "end_time": run.info.end_time,
        "lifecycle_stage": run.info.lifecycle_stage,
        "user_id": run.info.user_id,
        "artifact_uri": run.info.artifact_uri,
        "metrics": {k: val(v) for k, v in run.data.metrics.items()},
        "params": dict(run.data.params),
        "tags": dict(run.data.tags),
    }


@pytest.mark.parametrize(
    "filter_string,order_by",
    [
        ("", None),
        ("metrics.eval_acc > 0.9", None),
        ("params.solver = 'lbfgs'", ["metrics.eval_acc DESC"]),
        ("attributes.status != 'FINISHED'", None),
        ("tags.mlflow.runName LIKE '%'", ["params.C ASC", "attributes.run_name"]),
    ],
)
def test_runs_json_equals_mlflow(capsys, store, client, filter_string, order_by):
    args = ["runs", str(store), "--format", "json"]
    if filter_string:
        args += ["-f", filter_string]
    for o in order_by or []:
        args += ["-o", o]
    code, out, err = call(capsys, *args)
    assert code == 0, err
    got = json.loads(out)
    expected = [_expected_json(r) for r in _mlflow_runs(client, filter_string, order_by)]
    assert got == expected
    assert all(list(row) == list(expected[0]) for row in got) if got else True


def test_runs_json_has_exactly_the_documented_keys(capsys, store):
    code, out, _ = call(capsys, "runs", str(store), "--format", "json")
    assert code == 0
    rows = json.loads(out)
    assert rows, "sample store has active runs"
    assert list(rows[0]) == [
        "run_id", "run_name", "experiment_id", "status", "start_time", "end_time",
        "lifecycle_stage", "user_id", "artifact_uri", "metrics", "params", "tags",
    ]


def test_filtered_subset_is_strict(capsys, store, client):
    code, out, _ = call(capsys, "runs", str(store), "-f", "metrics.eval_acc > 0.9",
                        "--format", "json")
    assert code == 0
    ids = [r["run_id"] for r in json.loads(out)]
    all_ids = [r.info.run_id for r in _mlflow_runs(client)]
    assert 0 < len(ids) < len(all_ids)


def test_experiment_by_name_and_id(capsys, store, client):
    exp = client.get_experiment_by_name("iris_experiment")
    by_name = call(capsys, "runs", str(store), "-e", "iris_experiment", "--format", "json")
    by_id = call(capsys, "runs", str(store), "-e", exp.experiment_id, "--format", "json")
    assert by_name[0] == by_id[0] == 0
    assert json.loads(by_name[1]) == json.loads(by_id[1])
    assert {r["experiment_id"] for r in json.loads(by_name[1])} == {exp.experiment_id}


def test_unknown_experiment_is_an_argument_error(capsys, store):
    code, out, err = call(capsys, "runs", str(store), "-e", "no-such-experiment")
    assert code == 2
    assert out == ""
    assert err.count("\n") == 1 and "no-such-experiment" in err


def test_deleted_view_lists_deleted_runs(capsys, store, client):
    from mlflow.entities import ViewType

    code, out, _ = call(capsys, "runs", str(store), "--view", "deleted", "--format", "json")
    assert code == 0
    got = [r["run_id"] for r in json.loads(out)]
    assert got == [r.info.run_id for r in _mlflow_runs(client, view=ViewType.DELETED_ONLY)]
    assert got, "sample store has a deleted run"


@pytest.mark.parametrize(
    "bad",
    ["metrics.eval_acc > 'x'", "metrics.a > 1 OR (params.b = 'c'", "params.solver = lbfgs",
     "foo.bar = 1", "metrics.`acc > 1"],
)
def test_bad_filter_exits_2_with_one_line(bad, store):
    code, out, err = run_cli("runs", str(store), "-f", bad)
    assert code == 2
    assert out == ""
    assert len(err.strip().splitlines()) == 1, err
    assert "Traceback" not in err


def test_bad_order_by_exits_2(capsys, store):
    code, _, err = call(capsys, "runs", str(store), "-o", "metrics.acc dsc")
    assert code == 2
    assert "order_by" in err


def test_unreadable_store_exits_1_with_hint(tmp_path):
    code, out, err = run_cli("runs", str(tmp_path / "missing"))
    assert code == 1 and out == ""
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    empty = tmp_path / "empty"
    empty.mkdir()
    code, _, err = run_cli("experiments", str(empty))
    assert code == 1 and "not an MLflow store" in err


def test_password_is_masked_in_errors():
    code, _, err = run_cli("runs", "postgresql://alice:s3cr3t@127.0.0.1:1/mlflow")
    assert code == 1
    assert "s3cr3t" not in err and "***" in err
    assert "Traceback" not in err


def test_default_store_is_mlruns_in_cwd(tmp_path, store):
    shutil.copytree(store, tmp_path / "mlruns")
    env_free = {k: v for k, v in os.environ.items() if k != "MLFLOW_TRACKING_URI"}
    proc = subprocess.run(
        [sys.executable, "-m", "tuiflow", "experiments", "--format", "json"],
        capture_output=True, text=True, cwd=tmp_path, env=env_free, timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    assert "iris_experiment" in {e["name"] for e in json.loads(proc.stdout)}


def test_experiments_views(capsys, store, client):
    from mlflow.entities import ViewType

    for view, mlflow_view in (("active", ViewType.ACTIVE_ONLY), ("deleted", ViewType.DELETED_ONLY),
                              ("all", ViewType.ALL)):
        code, out, _ = call(capsys, "experiments", str(store), "--view", view, "--format", "json")
        assert code == 0
        got = [e["experiment_id"] for e in json.loads(out)]
        expected = [e.experiment_id for e in client.search_experiments(view_type=mlflow_view)]
        assert got == expected, view
    code, out, _ = call(capsys, "experiments", str(store), "--view", "deleted", "--format", "json")
    assert json.loads(out), "sample store has a deleted experiment"


def test_experiments_csv_matches_mlflow(capsys, store, client):
    import csv
    import io

    code, out, _ = call(capsys, "experiments", str(store), "--format", "csv")
    assert code == 0
    rows = list(csv.reader(io.StringIO(out)))
    assert rows[0] == ["experiment_id", "name", "artifact_location", "lifecycle_stage",
                       "creation_time", "last_update_time"]  # fmt: skip
    expected = [
        [e.experiment_id, e.name, e.artifact_location, e.lifecycle_stage,
         str(e.creation_time), str(e.last_update_time)]  # fmt: skip
        for e in client.search_experiments()
    ]
    assert rows[1:] == expected


def test_history_matches_mlflow(capsys, store, client):
    run = next(r for r in _mlflow_runs(client) if "loss" in r.data.metrics)
    code, out, _ = call(capsys, "history", str(store), run.info.run_id, "loss", "--format", "json")
    assert code == 0
    got = [(p["step"], p["value"], p["timestamp"]) for p in json.loads(out)]
    expected = [(m.step, m.value, m.timestamp)
                for m in client.get_metric_history(run.info.run_id, "loss")]
    assert got == expected and len(got) > 1


def test_history_of_unknown_run_exits_1(capsys, store):
    code, _, err = call(capsys, "history", str(store), "0" * 32, "loss")
    assert code == 1 and "0" * 32 in err


def test_models_lists_stages_and_aliases(capsys, store, client):
    code, out, _ = call(capsys, "models", str(store), "--format", "json")
    assert code == 0
    models = {m["name"]: m for m in json.loads(out)}
    for rm in client.search_registered_models():
        got = models[rm.name]
        versions = client.search_model_versions(f"name = '{rm.name}'")
        assert {v["version"]: v["current_stage"] for v in got["versions"]} == {
            int(v.version): v.current_stage for v in versions
        }
        assert got["aliases"] == {a: int(v) for a, v in rm.aliases.items()}
    stages = {v["current_stage"] for m in models.values() for v in m["versions"]}
    assert {"Staging", "Production", "Archived", "None"} <= stages


@pytest.mark.parametrize("fmt", ["table", "csv"])
def test_other_formats_render(capsys, store, fmt):
    code, out, _ = call(capsys, "runs", str(store), "--format", fmt)
    assert code == 0
    if fmt == "csv":
        header = out.splitlines()[0].split(",")
        assert header[:3] == ["run_id", "run_name", "experiment_id"]
        assert "metrics.eval_acc" in header
    else:
        assert "runs" in out.splitlines()[-1]


def test_help_does_not_load_heavy_modules():
    code = (
        "import sys; from tuiflow.cli import main\n"
        "try:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
        "heavy = [m for m in ('textual', 'sqlalchemy', 'httpx', 'mlflow', 'yaml') "
        "if m in sys.modules]\n"
        "print('HEAVY=' + ','.join(heavy))"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.stdout.strip().splitlines()[-1] == "HEAVY="


def test_a_verb_runs_in_an_app_of_its_own_that_reads_as_the_whole_one():
    """`main` builds only the verb it runs; its help, usage and errors are unchanged."""
    from typer.testing import CliRunner

    from tuiflow.cli import _app_for, _name, app, subcommands

    assert _app_for(["--help"]) is app and _app_for(["--version"]) is app
    runner = CliRunner()
    for verb in sorted(subcommands()):
        one = _app_for([verb, "--help"])
        assert one.registered_commands == [c for c in app.registered_commands if _name(c) == verb]
        for tail in (["--help"], ["--no-such-option"]):
            whole = runner.invoke(app, [verb, *tail], prog_name="tuiflow")
            alone = runner.invoke(one, [verb, *tail], prog_name="tuiflow")
            assert (alone.exit_code, alone.output) == (whole.exit_code, whole.output), verb
            assert verb in alone.output
    assert {_name(c) for c in app.registered_commands} == subcommands()  # app kept whole
