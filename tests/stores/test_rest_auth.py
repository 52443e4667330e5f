"""tuiflow against a real authenticated server: `mlflow server --app-name basic-auth`.

One server for the module. Its auth ini points `authorization_function` at
tests/stores/token_auth.py, which takes a fixed bearer token as the admin and hands
everything else to MLflow's own basic auth, so basic credentials, tokens, wrong
passwords and a user without write permission are all checked against the same server.
MlflowClient, logged in as the admin, is the oracle. The secrets are distinctive strings
that must never show up in anything tuiflow prints, shows, exports or logs.
"""

from __future__ import annotations

import base64
import contextlib
import json
import logging
import os
import subprocess
import sys
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import token_auth
from server_util import ServerInfo, mlflow_server

from tuiflow.entities import ViewType
from tuiflow.errors import StoreError
from tuiflow.stores.rest import RestStore

pytestmark = pytest.mark.server

ADMIN, ADMIN_PW = "admin", "Adm1n-Pw-Kq7-tuiflow"
READER, READER_PW = "reader", "R3ader-Pw-Zx4-tuiflow"
WRONG_PW = "Wr0ng-Pw-Jj8-tuiflow"
SECRETS = (ADMIN_PW, READER_PW, WRONG_PW, token_auth.TOKEN)
CREDENTIAL_VARS = ("MLFLOW_TRACKING_USERNAME", "MLFLOW_TRACKING_PASSWORD", "MLFLOW_TRACKING_TOKEN")


def _encoded(user: str, password: str) -> str:
    return base64.b64encode(f"{user}:{password}".encode()).decode()


# Also the Authorization header's own spelling of each secret.
ALL_SECRETS = (
    *SECRETS,
    _encoded(ADMIN, ADMIN_PW),
    _encoded(READER, READER_PW),
    _encoded(ADMIN, WRONG_PW),
)


def assert_no_secret(text: str) -> None:
    for secret in ALL_SECRETS:
        assert secret not in text


@contextlib.contextmanager
def credentials(**values: str) -> Iterator[None]:
    """Exactly these MLFLOW_TRACKING_* variables for the duration (and no others)."""
    saved = {name: os.environ.pop(name, None) for name in CREDENTIAL_VARS}
    os.environ.update({f"MLFLOW_TRACKING_{k.upper()}": v for k, v in values.items()})
    try:
        yield
    finally:
        for name, value in saved.items():
            os.environ.pop(name, None)
            if value is not None:
                os.environ[name] = value


@pytest.fixture(autouse=True)
def _no_credentials_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # tuiflow, like MLflow, also reads ~/.mlflow/credentials; the tests say what is set.
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    for name in CREDENTIAL_VARS:
        monkeypatch.delenv(name, raising=False)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    root = tmp_path_factory.mktemp("auth")
    ini = root / "auth.ini"
    ini.write_text(
        "[mlflow]\n"
        "default_permission = READ\n"
        f"database_uri = sqlite:///{root / 'auth.db'}\n"
        f"admin_username = {ADMIN}\n"
        f"admin_password = {ADMIN_PW}\n"
        "authorization_function = token_auth:authenticate\n"
        # Each basic-auth check is a PBKDF2 hash (slow on purpose); cache good ones.
        "auth_cache_ttl_seconds = 600\n"
    )
    env = {
        "MLFLOW_AUTH_CONFIG_PATH": str(ini),
        "MLFLOW_FLASK_SERVER_SECRET_KEY": "tuiflow-tests-only",
        "PYTHONPATH": str(Path(token_auth.__file__).parent),
    }
    with mlflow_server(root / "server", app_name="basic-auth", env=env) as info:
        with credentials(username=ADMIN, password=ADMIN_PW):
            populated = _populate(info)
        yield {"info": info, **populated}


def _populate(info: ServerInfo) -> dict[str, Any]:
    from mlflow import MlflowClient
    from mlflow.server import get_app_client

    get_app_client("basic-auth", tracking_uri=info.url).create_user(READER, READER_PW)
    client = MlflowClient(info.url)
    exp_id = client.create_experiment("guarded", tags={"team": "ml"})
    runs = []
    for i, model in enumerate(["linear", "tree", "forest"]):
        run = client.create_run(exp_id, run_name=f"r{i}", tags={"env": "prod"})
        client.log_param(run.info.run_id, "model", model)
        for step in range(3):
            client.log_metric(run.info.run_id, "acc", 0.1 * i + 0.01 * step, step=step)
        client.set_terminated(run.info.run_id)
        runs.append(run.info.run_id)
    client.log_text(runs[0], "hello through auth", "notes/hello.txt")
    client.create_registered_model("guarded-model")
    client.create_model_version("guarded-model", "s3://bucket/model", run_id=runs[0])
    return {"url": info.url, "experiment_id": exp_id, "runs": runs}


def _oracle() -> Any:
    from mlflow import MlflowClient

    return MlflowClient


def _run_view(run: Any) -> tuple:
    return (
        run.run_id,
        run.run_name,
        dict(run.params),
        {k: m.value for k, m in run.metrics.items()},
    )


def _mlflow_run_view(run: Any) -> tuple:
    return (run.info.run_id, run.info.run_name, dict(run.data.params), dict(run.data.metrics))


def _read_everything(store: RestStore, server: dict[str, Any]) -> dict[str, Any]:
    """The same reads through tuiflow and through MlflowClient (as the admin)."""
    exp_id, runs = server["experiment_id"], server["runs"]
    with credentials(username=ADMIN, password=ADMIN_PW):
        client = _oracle()(server["url"])
        expected = {
            "experiments": sorted(e.name for e in client.search_experiments()),
            "runs": [
                _mlflow_run_view(r) for r in client.search_runs([exp_id], "params.model != 'x'")
            ],
            "run": _mlflow_run_view(client.get_run(runs[1])),
            "history": [(m.step, m.value) for m in client.get_metric_history(runs[2], "acc")],
            "models": [m.name for m in client.search_registered_models()],
            "versions": [(v.name, int(v.version)) for v in client.search_model_versions()],
            "artifacts": [f.path for f in client.list_artifacts(runs[0], "notes")],
        }
    got = {
        "experiments": sorted(e.name for e in store.search_experiments()),
        "runs": [_run_view(r) for r in store.search_runs([exp_id], "params.model != 'x'")],
        "run": _run_view(store.get_run(runs[1])),
        "history": [(m.step, m.value) for m in store.get_metric_history(runs[2], "acc")],
        "models": [m.name for m in store.search_registered_models()],
        "versions": [(v.name, v.version) for v in store.search_model_versions()],
        "artifacts": [f.path for f in store.list_artifacts(runs[0], "notes")],
    }
    assert got == expected
    assert len(got["runs"]) == 3 and got["versions"] == [("guarded-model", 1)]
    assert store.read_artifact(runs[0], "notes/hello.txt") == b"hello through auth"
    return got


# -- reading and writing with credentials -------------------------------------------------------


def test_basic_auth_from_the_environment_reads_like_mlflow(server: dict[str, Any]) -> None:
    with credentials(username=READER, password=READER_PW), RestStore(server["url"]) as store:
        _read_everything(store, server)


def test_basic_auth_from_the_url_reads_like_mlflow(server: dict[str, Any]) -> None:
    url = server["url"].replace("http://", f"http://{READER}:{READER_PW}@")
    with RestStore(url) as store:
        assert store.display_uri == server["url"].replace("http://", f"http://{READER}:***@")
        _read_everything(store, server)


def test_bearer_token_reads_like_mlflow(server: dict[str, Any]) -> None:
    with credentials(token=token_auth.TOKEN), RestStore(server["url"]) as store:
        _read_everything(store, server)


@pytest.mark.parametrize(
    "creds",
    [
        pytest.param({}, id="none"),
        pytest.param({"token": "not-the-token"}, id="wrong-token"),
        pytest.param({"username": ADMIN, "password": WRONG_PW}, id="wrong-password"),
        pytest.param({"username": "nobody", "password": WRONG_PW}, id="unknown-user"),
    ],
)
def test_refused_without_valid_credentials(server: dict[str, Any], creds: dict[str, str]) -> None:
    with credentials(**creds), RestStore(server["url"]) as store, pytest.raises(StoreError) as exc:
        store.search_experiments(ViewType.ALL)
    text = str(exc.value)
    assert text.startswith(
        f"authentication failed at {server['url']}: not authenticated (HTTP 401)"
    )
    assert "MLFLOW_TRACKING_USERNAME" in text and "MLFLOW_TRACKING_TOKEN" in text
    assert "\n" not in text
    assert_no_secret(text)


def test_admin_writes_and_mlflow_sees_them(server: dict[str, Any]) -> None:
    run_id = server["runs"][2]
    client = None
    with credentials(username=ADMIN, password=ADMIN_PW), RestStore(server["url"]) as store:
        client = _oracle()(server["url"])
        store.delete_runs([run_id])
        assert client.get_run(run_id).info.lifecycle_stage == "deleted"
        store.restore_runs([run_id])
        assert client.get_run(run_id).info.lifecycle_stage == "active"


def test_token_writes(server: dict[str, Any]) -> None:
    run_id = server["runs"][1]
    with credentials(token=token_auth.TOKEN), RestStore(server["url"]) as store:
        store.set_tag(run_id, "checked", "by-token")
    with credentials(username=ADMIN, password=ADMIN_PW):
        assert _oracle()(server["url"]).get_run(run_id).data.tags["checked"] == "by-token"


# -- the CLI: one line, exit 1, no secret ---------------------------------------------------------


def cli(*args: str, **creds: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in CREDENTIAL_VARS}
    env.pop("MLFLOW_TRACKING_URI", None)
    env.update({f"MLFLOW_TRACKING_{k.upper()}": v for k, v in creds.items()})
    env["COLUMNS"] = "200"
    return subprocess.run(
        [sys.executable, "-m", "tuiflow", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        stdin=subprocess.DEVNULL,
    )


def one_line_failure(done: subprocess.CompletedProcess[str]) -> str:
    assert done.returncode == 1, done.stderr
    assert done.stdout == "" and "Traceback" not in done.stderr
    lines = done.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("tuiflow: "), done.stderr
    assert_no_secret(done.stderr)
    return lines[0]


def test_cli_wrong_password_is_one_line(server: dict[str, Any]) -> None:
    done = cli("runs", server["url"], username=ADMIN, password=WRONG_PW)
    line = one_line_failure(done)
    assert line.startswith(f"tuiflow: authentication failed at {server['url']}")
    assert "MLFLOW_TRACKING_USERNAME" in line


def test_cli_wrong_password_in_the_url_is_one_line(server: dict[str, Any]) -> None:
    url = server["url"].replace("http://", f"http://{ADMIN}:{WRONG_PW}@")
    line = one_line_failure(cli("experiments", url, "--format", "json"))
    assert f"{ADMIN}:***@" in line


def test_cli_user_without_permission_gets_403_and_nothing_changes(server: dict[str, Any]) -> None:
    run_id = server["runs"][0]
    done = cli("delete-run", server["url"], run_id, "--yes", username=READER, password=READER_PW)
    line = one_line_failure(done)
    assert line.startswith(f"tuiflow: permission denied at {server['url']} (HTTP 403)")
    with credentials(username=ADMIN, password=ADMIN_PW):
        assert _oracle()(server["url"]).get_run(run_id).info.lifecycle_stage == "active"


@pytest.mark.parametrize("fmt", ["table", "json", "csv"])
def test_cli_output_never_carries_credentials(server: dict[str, Any], fmt: str) -> None:
    url = server["url"].replace("http://", f"http://{READER}:{READER_PW}@")
    done = cli("runs", url, "-e", "guarded", "--format", fmt)
    assert done.returncode == 0, done.stderr
    assert "r0" in done.stdout and "forest" in done.stdout
    assert_no_secret(done.stdout + done.stderr)
    for verb in (["experiments", url], ["models", url], ["history", url, server["runs"][0], "acc"]):
        done = cli(*verb, "--format", fmt)
        assert done.returncode == 0, done.stderr
        assert_no_secret(done.stdout + done.stderr)
    with_token = cli("runs", server["url"], "--format", fmt, token=token_auth.TOKEN)
    assert with_token.returncode == 0 and "forest" in with_token.stdout
    assert_no_secret(with_token.stdout + with_token.stderr)


def test_nothing_is_logged_or_warned_with_a_secret(
    server: dict[str, Any], caplog: pytest.LogCaptureFixture
) -> None:
    url = server["url"].replace("http://", f"http://{READER}:{READER_PW}@")
    caplog.set_level(logging.DEBUG)  # httpx and httpcore log every request at DEBUG
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with RestStore(url) as store:
            _read_everything(store, server)
            with pytest.raises(StoreError):
                store.delete_runs([server["runs"][0]])  # refused: a logged error path too
        with credentials(token=token_auth.TOKEN), RestStore(server["url"]) as store:
            store.search_experiments()
    mine = [r for r in caplog.records if not r.name.startswith(("mlflow", "urllib3"))]
    assert any(r.name.startswith("httpx") for r in mine)  # the capture did see tuiflow's I/O
    assert_no_secret("\n".join(r.getMessage() for r in mine))
    assert_no_secret("\n".join(str(w.message) for w in caught))


# -- the explorer --------------------------------------------------------------------------------


def test_explorer_shows_and_exports_no_credentials(server: dict[str, Any], tmp_path: Path) -> None:
    from textual.widgets import Input
    from ui.uihelp import choose, run_ui, settle

    from tuiflow.ui.export import ExportScreen
    from tuiflow.ui.widgets.runs_table import RunsTable

    url = server["url"].replace("http://", f"http://{READER}:{READER_PW}@")
    store = RestStore(url)
    out = tmp_path / "export.json"

    def screen_text(app: Any) -> str:
        widgets = " ".join(str(w.render()) for w in app.screen.query("*") if w.display)
        notes = " ".join(f"{n.title} {n.message}" for n in app._notifications)
        return f"{app.title} {app.sub_title} {widgets} {notes} {app.export_screenshot()}"

    async def body(pilot: Any, app: Any) -> None:
        await choose(pilot, app, "guarded")
        assert len(app.screen.query_one(RunsTable).runs) == 3
        text = screen_text(app)
        assert f"{READER}:***@" in app.sub_title and "guarded" in text
        assert_no_secret(text)
        await pilot.press("e")
        assert isinstance(app.screen, ExportScreen)
        app.screen.query_one(Input).value = str(out)
        await pilot.press("enter")
        await settle(pilot)
        assert_no_secret(screen_text(app))
        # A refused write (the reader may not delete) is shown, still without the secret.
        app.screen.query_one(RunsTable).focus()
        await pilot.press("ctrl+d")
        await settle(pilot)
        await pilot.press("y")
        await settle(pilot)
        text = screen_text(app)
        assert "permission denied" in text
        assert_no_secret(text)

    try:
        run_ui(store, body, size=(160, 48))
    finally:
        store.close()
    exported = json.loads(out.read_text())
    assert sorted(r["run_name"] for r in exported) == ["r0", "r1", "r2"]
    assert_no_secret(out.read_text())
