"""REST store writes, checked against MLflow itself on twin tracking servers.

Two `mlflow server`s (SQLite backends) get the same data from MlflowClient. Each test does
an action with tuiflow on one twin and with MlflowClient on the other, then reads both
with MlflowClient and compares: ids and clock-set timestamps masked, the latter checked
to fall inside the test's time window. `deleted_time` is not in MLflow's Run entity, so it
is read from each server's database.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
from mlflow import MlflowClient
from mlflow.entities import ViewType as MlflowViewType
from mlflow.exceptions import MlflowException

from tests.stores.server_util import free_port, mlflow_server
from tuiflow.errors import InvalidArgumentError, NotFoundError, StoreError
from tuiflow.stores.rest import RestStore
from tuiflow.stores.writes import WritableStore

pytestmark = pytest.mark.filterwarnings("ignore::FutureWarning")  # stages are deprecated


@dataclass
class Twin:
    url: str
    db: Path
    client: MlflowClient

    def deleted_time(self, run_id: str) -> int | None:
        with sqlite3.connect(self.db) as conn:
            row = conn.execute("SELECT deleted_time FROM runs WHERE run_uuid = ?", (run_id,))
            return row.fetchone()[0]


@pytest.fixture(scope="module")
def twins(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Twin, Twin]]:
    root = tmp_path_factory.mktemp("rest-writes")
    with mlflow_server(root / "tui") as tui, mlflow_server(root / "ref") as ref:
        yield (
            Twin(tui.url, tui.root / "mlflow.db", MlflowClient(tui.url)),
            Twin(ref.url, ref.root / "mlflow.db", MlflowClient(ref.url)),
        )


@pytest.fixture(scope="module")
def store(twins: tuple[Twin, Twin]) -> Iterator[RestStore]:
    with RestStore(twins[0].url) as rest:
        yield rest


# -- building identical data on both twins ----------------------------------------------------

START = 1_700_000_000_000


def build_experiment(client: MlflowClient, name: str) -> tuple[str, dict[str, str]]:
    """An experiment with a finished, a running (stuck) and an already deleted run."""
    exp_id = client.create_experiment(name, tags={"team": "ml"})
    runs: dict[str, str] = {}
    for i, label in enumerate(("finished", "running", "deleted")):
        run = client.create_run(exp_id, start_time=START + i, run_name=label, tags={"k": "v"})
        rid = run.info.run_id
        client.log_metric(rid, "loss", 0.5 + i, timestamp=START + i, step=i)
        client.log_param(rid, "lr", str(i))
        if label != "running":
            client.set_terminated(rid, "FINISHED", end_time=START + 100 + i)
        if label == "deleted":
            client.delete_run(rid)
        runs[label] = rid
    return exp_id, runs


def build_model(client: MlflowClient, name: str) -> None:
    """Versions 1 Production, 2 Staging, 3 Production, 4 None; alias champion -> 1."""
    exp_id, runs = build_experiment(client, f"{name}-runs")
    client.create_registered_model(name)
    for stage in ("Production", "Staging", "Production", "None"):
        mv = client.create_model_version(name, f"s3://bucket/{name}", runs["finished"])
        if stage != "None":
            client.transition_model_version_stage(name, mv.version, stage)
    client.set_registered_model_alias(name, "champion", "1")


def both(twins: tuple[Twin, Twin], build: Callable[[MlflowClient], Any]) -> tuple[Any, Any]:
    return build(twins[0].client), build(twins[1].client)


# -- snapshots with masks -----------------------------------------------------------------


class Window:
    """Start and end of an action, for plausibility checks of now-timestamps."""

    def __enter__(self) -> Window:
        self.start = int(time.time() * 1000) - 1
        return self

    def __exit__(self, *exc: object) -> None:
        self.end = int(time.time() * 1000) + 1

    def holds(self, stamp: int | None) -> bool:
        return stamp is not None and self.start <= stamp <= self.end


def run_state(twin: Twin, run_id: str) -> dict[str, Any]:
    run = twin.client.get_run(run_id)
    info = run.info
    return {
        "name": info.run_name,
        "status": info.status,
        "start_time": info.start_time,
        "end_time": info.end_time,
        "lifecycle_stage": info.lifecycle_stage,
        "metrics": run.data.metrics,
        "params": run.data.params,
        "tags": {k: v for k, v in run.data.tags.items() if k != "mlflow.user"},
        "deleted": twin.deleted_time(run_id) is not None,
    }


def experiment_state(twin: Twin, exp_id: str) -> dict[str, Any]:
    exp = twin.client.get_experiment(exp_id)
    runs = twin.client.search_runs([exp_id], run_view_type=MlflowViewType.ALL)
    return {
        "name": exp.name,
        "lifecycle_stage": exp.lifecycle_stage,
        "tags": exp.tags,
        "runs": {r.info.run_name: run_state(twin, r.info.run_id) for r in runs},
    }


def model_state(twin: Twin, name: str) -> dict[str, Any]:
    model = twin.client.get_registered_model(name)
    versions = {}
    for mv in twin.client.search_model_versions(f"name = '{name}'"):
        full = twin.client.get_model_version(name, mv.version)  # search omits aliases
        versions[int(full.version)] = (full.current_stage, tuple(sorted(full.aliases)))
    return {"aliases": dict(sorted(model.aliases.items())), "versions": versions}


def error_text(call: Callable[[], Any]) -> str:
    """MLflow's own message for a refused call (its REST client prefixes the error code)."""
    with pytest.raises(MlflowException) as exc:
        call()
    message, prefix = exc.value.message, f"{exc.value.error_code}: "
    return message.removeprefix(prefix)


# -- protocol and capabilities -------------------------------------------------------------


def test_is_writable_but_cannot_purge(store: RestStore) -> None:
    assert isinstance(store, WritableStore)
    assert store.capabilities.writable
    assert not store.capabilities.purge


def test_purge_refused_with_gc_hint(store: RestStore) -> None:
    with pytest.raises(StoreError) as exc:
        store.purge(older_than_ms=0)
    text = str(exc.value)
    assert "cannot purge over its REST API" in text and "\n" not in text
    assert exc.value.hint is not None and "mlflow gc --backend-store-uri" in exc.value.hint


# -- runs ----------------------------------------------------------------------------------


def test_delete_runs_matches_mlflow(twins: tuple[Twin, Twin], store: RestStore) -> None:
    (_, tui_runs), (exp_id, ref_runs) = both(twins, lambda c: build_experiment(c, "del-runs"))
    old = twins[0].deleted_time(tui_runs["deleted"])
    picked = ("finished", "deleted")  # deleting a deleted run again resets deleted_time
    with Window() as window:
        store.delete_runs([tui_runs[label] for label in picked])
        for label in picked:
            twins[1].client.delete_run(ref_runs[label])
    assert experiment_state(twins[0], exp_id) == experiment_state(twins[1], exp_id)
    for label in picked:
        assert window.holds(twins[0].deleted_time(tui_runs[label]))
        assert window.holds(twins[1].deleted_time(ref_runs[label]))
    assert twins[0].deleted_time(tui_runs["deleted"]) != old
    assert store.get_run(tui_runs["finished"]).lifecycle_stage == "deleted"


def test_restore_runs_matches_mlflow(twins: tuple[Twin, Twin], store: RestStore) -> None:
    (_, tui_runs), (exp_id, ref_runs) = both(twins, lambda c: build_experiment(c, "restore-runs"))
    store.restore_runs([tui_runs["deleted"]])
    twins[1].client.restore_run(ref_runs["deleted"])
    assert experiment_state(twins[0], exp_id) == experiment_state(twins[1], exp_id)
    assert twins[0].deleted_time(tui_runs["deleted"]) is None


@pytest.mark.parametrize("end_time", [START + 5_000, None])
def test_terminate_stuck_run_matches_mlflow(
    twins: tuple[Twin, Twin], store: RestStore, end_time: int | None
) -> None:
    name = f"stuck-{end_time}"
    (_, tui_runs), (exp_id, ref_runs) = both(twins, lambda c: build_experiment(c, name))
    store.set_run_status(tui_runs["running"], "KILLED", end_time)
    if end_time is None:
        twins[1].client.update_run(ref_runs["running"], status="KILLED")
    else:
        twins[1].client.set_terminated(ref_runs["running"], "KILLED", end_time=end_time)
    state = experiment_state(twins[0], exp_id)
    assert state == experiment_state(twins[1], exp_id)
    assert state["runs"]["running"]["status"] == "KILLED"
    assert state["runs"]["running"]["end_time"] == end_time


def test_rename_run_matches_mlflow(twins: tuple[Twin, Twin], store: RestStore) -> None:
    (_, tui_runs), (exp_id, ref_runs) = both(twins, lambda c: build_experiment(c, "rename-run"))
    store.rename_run(tui_runs["finished"], "better name ✓")
    twins[1].client.update_run(ref_runs["finished"], name="better name ✓")
    state = experiment_state(twins[0], exp_id)
    assert state == experiment_state(twins[1], exp_id)
    renamed = state["runs"]["better name ✓"]
    assert renamed["tags"]["mlflow.runName"] == "better name ✓"
    with pytest.raises(InvalidArgumentError, match="must not be empty"):
        store.rename_run(tui_runs["finished"], "")


def test_set_and_delete_tag_match_mlflow(twins: tuple[Twin, Twin], store: RestStore) -> None:
    (_, tui_runs), (exp_id, ref_runs) = both(twins, lambda c: build_experiment(c, "tags"))
    store.set_tag(tui_runs["finished"], "note", "kept")
    store.set_tag(tui_runs["running"], "k", "changed")
    store.delete_tag(tui_runs["finished"], "k")
    twins[1].client.set_tag(ref_runs["finished"], "note", "kept")
    twins[1].client.set_tag(ref_runs["running"], "k", "changed")
    twins[1].client.delete_tag(ref_runs["finished"], "k")
    state = experiment_state(twins[0], exp_id)
    assert state == experiment_state(twins[1], exp_id)
    assert state["runs"]["finished"]["tags"].get("note") == "kept"
    assert "k" not in state["runs"]["finished"]["tags"]


def test_run_errors_carry_the_server_message(twins: tuple[Twin, Twin], store: RestStore) -> None:
    (_, tui_runs), (_, ref_runs) = both(twins, lambda c: build_experiment(c, "run-errors"))
    missing = "0" * 32
    with pytest.raises(NotFoundError) as exc:
        store.delete_runs([missing])
    assert str(exc.value) == error_text(lambda: twins[1].client.delete_run(missing))
    # A tag on a deleted run: MLflow refuses it; same words.
    with pytest.raises(InvalidArgumentError) as bad:
        store.set_tag(tui_runs["deleted"], "x", "y")
    expected = error_text(lambda: twins[1].client.set_tag(ref_runs["deleted"], "x", "y"))
    assert str(bad.value) == expected.replace(ref_runs["deleted"], tui_runs["deleted"])


def test_partial_delete_says_what_was_done(twins: tuple[Twin, Twin], store: RestStore) -> None:
    (_, tui_runs), _ = both(twins, lambda c: build_experiment(c, "partial"))
    missing = "f" * 32
    with pytest.raises(NotFoundError) as exc:
        store.delete_runs([tui_runs["finished"], missing, tui_runs["running"]])
    text = str(exc.value)
    assert text.startswith(f"{missing}: ") and text.endswith("(1 of 3 already deleted)")
    assert store.get_run(tui_runs["finished"]).lifecycle_stage == "deleted"
    assert store.get_run(tui_runs["running"]).lifecycle_stage == "active"


# -- experiments ---------------------------------------------------------------------------


def test_delete_and_restore_experiment_match_mlflow(
    twins: tuple[Twin, Twin], store: RestStore
) -> None:
    (tui_exp, tui_runs), (ref_exp, ref_runs) = both(twins, lambda c: build_experiment(c, "exp-del"))
    assert tui_exp == ref_exp
    with Window() as window:
        store.delete_experiment(tui_exp)
        twins[1].client.delete_experiment(ref_exp)
    state = experiment_state(twins[0], tui_exp)
    assert state == experiment_state(twins[1], ref_exp)
    assert state["lifecycle_stage"] == "deleted"
    assert all(run["lifecycle_stage"] == "deleted" for run in state["runs"].values())
    for twin, runs, exp_id in ((twins[0], tui_runs, tui_exp), (twins[1], ref_runs, ref_exp)):
        assert window.holds(twin.client.get_experiment(exp_id).last_update_time)
        # On SQL, every run (the already deleted one too) gets deleted_time = now.
        assert all(window.holds(twin.deleted_time(rid)) for rid in runs.values())
    with pytest.raises(NotFoundError) as exc:
        store.delete_experiment(tui_exp)
    assert str(exc.value) == error_text(lambda: twins[1].client.delete_experiment(ref_exp))

    with Window() as window:
        store.restore_experiment(tui_exp)
        twins[1].client.restore_experiment(ref_exp)
    state = experiment_state(twins[0], tui_exp)
    assert state == experiment_state(twins[1], ref_exp)
    assert state["lifecycle_stage"] == "active"
    assert all(run["lifecycle_stage"] == "active" for run in state["runs"].values())
    assert window.holds(twins[0].client.get_experiment(tui_exp).last_update_time)
    assert store.get_experiment(tui_exp).lifecycle_stage == "active"


def test_delete_default_experiment_is_allowed_on_sql(
    twins: tuple[Twin, Twin], store: RestStore
) -> None:
    store.delete_experiment("0")
    twins[1].client.delete_experiment("0")
    try:
        assert experiment_state(twins[0], "0") == experiment_state(twins[1], "0")
        assert store.get_experiment("0").lifecycle_stage == "deleted"
    finally:
        store.restore_experiment("0")
        twins[1].client.restore_experiment("0")
    assert experiment_state(twins[0], "0") == experiment_state(twins[1], "0")


def test_rename_experiment_matches_mlflow(twins: tuple[Twin, Twin], store: RestStore) -> None:
    (tui_exp, _), (ref_exp, _) = both(twins, lambda c: build_experiment(c, "to-rename"))
    both(twins, lambda c: c.create_experiment("taken"))
    with Window() as window:
        store.rename_experiment(tui_exp, "renamed ✓")
        twins[1].client.rename_experiment(ref_exp, "renamed ✓")
    assert experiment_state(twins[0], tui_exp) == experiment_state(twins[1], ref_exp)
    assert store.get_experiment(tui_exp).name == "renamed ✓"
    assert window.holds(twins[0].client.get_experiment(tui_exp).last_update_time)
    with pytest.raises(InvalidArgumentError) as exc:
        store.rename_experiment(tui_exp, "taken")
    # SQLite's own words, with the SQL and a timestamp in them; shown on one line.
    expected = error_text(lambda: twins[1].client.rename_experiment(ref_exp, "taken"))
    unique = "UNIQUE constraint failed: experiments.workspace, experiments.name"
    assert unique in str(exc.value) and unique in expected and "\n" not in str(exc.value)
    with pytest.raises(InvalidArgumentError, match="must not be empty"):
        store.rename_experiment(tui_exp, "")


# -- model registry ------------------------------------------------------------------------


def test_transition_with_archive_existing_matches_mlflow(
    twins: tuple[Twin, Twin], store: RestStore
) -> None:
    both(twins, lambda c: build_model(c, "promote"))
    with Window() as window:
        got = store.transition_stage("promote", 2, "Production", archive_existing=True)
        twins[1].client.transition_model_version_stage(
            "promote", "2", "Production", archive_existing_versions=True
        )
    state = model_state(twins[0], "promote")
    assert state == model_state(twins[1], "promote")
    assert {v: s for v, (s, _) in state["versions"].items()} == {
        1: "Archived",
        2: "Production",
        3: "Archived",
        4: "None",
    }
    assert (got.version, got.current_stage) == (2, "Production")
    assert window.holds(got.last_updated_timestamp)
    # The transitioned version and every archived one share one timestamp, as in MLflow.
    stamps = {twins[0].client.get_model_version("promote", v).last_updated_timestamp for v in "123"}
    assert len(stamps) == 1 and window.holds(stamps.pop())


def test_transition_without_archive_matches_mlflow(
    twins: tuple[Twin, Twin], store: RestStore
) -> None:
    both(twins, lambda c: build_model(c, "plain"))
    got = store.transition_stage("plain", 4, "Staging")
    twins[1].client.transition_model_version_stage("plain", "4", "Staging")
    assert model_state(twins[0], "plain") == model_state(twins[1], "plain")
    assert got == store.get_model_version("plain", 4)


def test_archive_existing_to_inactive_stage_is_argument_error(
    twins: tuple[Twin, Twin], store: RestStore
) -> None:
    both(twins, lambda c: build_model(c, "no-archive"))
    before = model_state(twins[0], "no-archive")
    with pytest.raises(InvalidArgumentError) as exc:
        store.transition_stage("no-archive", 2, "None", archive_existing=True)
    # MlflowClient retries HTTP 500 and then reports only "too many 500 error responses",
    # so the server's own answer is read with one plain request.
    body = {"name": "no-archive", "version": "2", "stage": "None"}
    answer = httpx.post(
        f"{twins[1].url}/api/2.0/mlflow/model-versions/transition-stage",
        json={**body, "archive_existing_versions": True},
    )
    assert answer.status_code == 500 and answer.json()["error_code"] == "INTERNAL_ERROR"
    expected = answer.json()["message"]
    assert str(exc.value) == expected
    assert "cannot archive existing model versions" in expected
    assert model_state(twins[0], "no-archive") == before == model_state(twins[1], "no-archive")


def test_aliases_match_mlflow(twins: tuple[Twin, Twin], store: RestStore) -> None:
    both(twins, lambda c: build_model(c, "aliased"))
    ref = twins[1].client
    steps: list[tuple[Callable[[], None], Callable[[], None]]] = [
        (lambda: store.set_alias("aliased", "candidate", 3),
         lambda: ref.set_registered_model_alias("aliased", "candidate", "3")),
        (lambda: store.set_alias("aliased", "champion", 2),  # moves it
         lambda: ref.set_registered_model_alias("aliased", "champion", "2")),
        (lambda: store.delete_alias("aliased", "candidate"),
         lambda: ref.delete_registered_model_alias("aliased", "candidate")),
        (lambda: store.delete_alias("aliased", "never-set"),  # a no-op, as in MLflow
         lambda: ref.delete_registered_model_alias("aliased", "never-set")),
    ]  # fmt: skip
    for ours, theirs in steps:
        ours()
        theirs()
        assert model_state(twins[0], "aliased") == model_state(twins[1], "aliased")
    assert store.get_registered_model("aliased").aliases == {"champion": 2}


@pytest.mark.parametrize("alias", ["latest", "V3"])
def test_reserved_alias_refused_with_server_message(
    twins: tuple[Twin, Twin], store: RestStore, alias: str
) -> None:
    both(twins, lambda c: build_model(c, f"reserved-{alias}"))
    name = f"reserved-{alias}"
    with pytest.raises(InvalidArgumentError) as exc:
        store.set_alias(name, alias, 1)
    expected = error_text(lambda: twins[1].client.set_registered_model_alias(name, alias, "1"))
    assert str(exc.value) == expected and "reserved" in expected


def test_alias_on_missing_version_is_not_found(twins: tuple[Twin, Twin], store: RestStore) -> None:
    both(twins, lambda c: build_model(c, "short"))
    with pytest.raises(NotFoundError) as exc:
        store.set_alias("short", "x", 99)
    assert str(exc.value) == error_text(
        lambda: twins[1].client.set_registered_model_alias("short", "x", "99")
    )


# -- the HTTP layer: writes are never retried ------------------------------------------------


class _FailOnce(BaseHTTPRequestHandler):
    """Fails the first request (drops the connection or answers 503), then answers `{}`."""

    def _answer(self) -> None:
        server: Any = self.server
        length = int(self.headers.get("Content-Length") or 0)
        server.seen.append((self.command, self.path, self.rfile.read(length)))
        if len(server.seen) == 1 and server.mode == "drop":
            self.close_connection = True
            self.connection.shutdown(2)  # no status line at all
            return
        status, payload = (503, b"busy") if len(server.seen) == 1 else (200, server.ok)
        self.send_response(status)
        self.send_header("Content-Type", "application/json" if status == 200 else "text/plain")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    do_GET = do_POST = do_DELETE = _answer

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture(params=["drop", "503"])
def fail_once(request: pytest.FixtureRequest) -> Iterator[ThreadingHTTPServer]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _FailOnce)
    httpd.seen, httpd.mode = [], request.param  # type: ignore[attr-defined]
    httpd.ok = b'{"run": {"info": {"run_id": "r", "experiment_id": "0"}}}'  # type: ignore[attr-defined]
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield httpd
    httpd.shutdown()
    httpd.server_close()


WRITES: list[Callable[[RestStore], Any]] = [
    lambda s: s.delete_runs(["r"]),
    lambda s: s.restore_runs(["r"]),
    lambda s: s.set_run_status("r", "FAILED", 1),
    lambda s: s.rename_run("r", "n"),
    lambda s: s.set_tag("r", "k", "v"),
    lambda s: s.delete_tag("r", "k"),
    lambda s: s.delete_experiment("1"),
    lambda s: s.restore_experiment("1"),
    lambda s: s.rename_experiment("1", "n"),
    lambda s: s.transition_stage("m", 1, "Staging"),
    lambda s: s.set_alias("m", "a", 1),
    lambda s: s.delete_alias("m", "a"),
]


@pytest.mark.parametrize("write", WRITES)
def test_failed_write_is_not_retried(
    fail_once: ThreadingHTTPServer, write: Callable[[RestStore], Any]
) -> None:
    url = f"http://127.0.0.1:{fail_once.server_address[1]}"
    with RestStore(url) as rest:
        with pytest.raises(StoreError) as exc:
            write(rest)
        text = str(exc.value)
        assert "\n" not in text and url in text
        assert len(fail_once.seen) == 1  # the server would have accepted a second try
        # The same failure on a read is retried, so the count above can tell.
        assert rest.get_run("r").run_id == "r"
    assert len(fail_once.seen) == 2


def test_write_to_dead_server_is_one_line() -> None:
    url = f"http://127.0.0.1:{free_port()}"
    with RestStore(url) as dead, pytest.raises(StoreError) as exc:
        dead.delete_runs(["r"])
    assert str(exc.value) == f"cannot reach {url}: connection refused"


def test_delete_alias_sends_a_json_body(fail_once: ThreadingHTTPServer) -> None:
    url = f"http://127.0.0.1:{fail_once.server_address[1]}"
    fail_once.seen.append(("warm-up", "", b""))  # type: ignore[attr-defined]
    fail_once.ok = b"{}"  # type: ignore[attr-defined]
    with RestStore(url) as rest:
        rest.delete_alias("m", "champion")
    method, path, body = fail_once.seen[-1]  # type: ignore[attr-defined]
    assert (method, path) == ("DELETE", "/api/2.0/mlflow/registered-models/alias")
    assert json.loads(body) == {"name": "m", "alias": "champion"}


def test_purge_plan_is_refused_up_front_on_a_server():
    from tuiflow.actions import Actions
    from tuiflow.errors import StoreError
    from tuiflow.stores.rest import RestStore

    store = RestStore("http://127.0.0.1:9")  # nothing is asked of it: refused before any request
    try:
        with pytest.raises(StoreError, match="mlflow gc"):
            Actions(store).plan_purge()
    finally:
        store.close()
