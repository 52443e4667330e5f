"""A server behind a path: `mlflow server --static-prefix /mlflow --serve-artifacts`.

MLflow 3.17.2 moves every route under the prefix (`/mlflow/api/2.0/mlflow/...`,
`/mlflow/get-artifact`, `/mlflow/health`), and MlflowClient takes the prefixed URL as its
tracking URI. tuiflow is given the same URL and must read the same runs, and list and
preview artifacts, which here also go through the server's artifact proxy.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from mlflow.entities import ViewType as MlflowViewType
from server_util import mlflow_server

from tuiflow.entities import ViewType
from tuiflow.errors import StoreError
from tuiflow.stores.rest import RestStore

pytestmark = pytest.mark.server

PREFIX = "/mlflow"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    from mlflow import MlflowClient

    root = tmp_path_factory.mktemp("prefix")
    with mlflow_server(root / "server", static_prefix=PREFIX, serve_artifacts=True) as info:
        assert info.url.endswith(PREFIX)
        client = MlflowClient(info.url)
        exp_id = client.create_experiment("behind-a-path")
        runs = []
        for i in range(4):
            run = client.create_run(exp_id, run_name=f"p{i}")
            client.log_metric(run.info.run_id, "acc", i / 4)
            client.log_param(run.info.run_id, "i", str(i))
            runs.append(run.info.run_id)
        src = root / "src"
        (src / "eval").mkdir(parents=True)
        (src / "eval" / "report.json").write_text('{"acc": 0.75}')
        (src / "model.txt").write_text("weights " * 100)
        client.log_artifacts(runs[0], str(src))
        yield {"url": info.url, "root": info.root, "client": client, "exp": exp_id, "runs": runs}


@pytest.fixture(scope="module")
def store(server: dict[str, Any]) -> Iterator[RestStore]:
    with RestStore(server["url"]) as rest:
        yield rest


def test_the_api_lives_under_the_prefix_only(server: dict[str, Any]) -> None:
    # What tuiflow relies on: nothing answers at the bare root, everything under the prefix.
    root = server["url"].removesuffix(PREFIX)
    body = {"max_results": 1}
    assert httpx.post(f"{root}/api/2.0/mlflow/experiments/search", json=body).status_code == 404
    assert httpx.post(f"{server['url']}/api/2.0/mlflow/experiments/search", json=body).is_success


@pytest.mark.parametrize(
    ("text", "order"),
    [(None, []), ("metrics.acc >= 0.5", ["metrics.acc DESC"]), ("params.i = '2'", [])],
)
def test_search_runs_matches_mlflow(
    server: dict[str, Any], store: RestStore, text: str | None, order: list[str]
) -> None:
    expected = server["client"].search_runs([server["exp"]], text or "", order_by=order)
    got = store.search_runs([server["exp"]], text, order)
    assert [(r.run_id, r.run_name, r.metrics["acc"].value) for r in got] == [
        (r.info.run_id, r.info.run_name, r.data.metrics["acc"]) for r in expected
    ]
    assert got.items


def test_paging_and_experiments_match_mlflow(server: dict[str, Any], store: RestStore) -> None:
    client = server["client"]
    first = store.search_runs([server["exp"]], max_results=3)
    theirs = client.search_runs([server["exp"]], max_results=3)
    assert [r.run_id for r in first] == [r.info.run_id for r in theirs]
    assert first.next_page_token == theirs.token
    rest = store.search_runs([server["exp"]], max_results=3, page_token=first.next_page_token)
    assert len(first.items) + len(rest.items) == 4
    assert [e.experiment_id for e in store.search_experiments(ViewType.ALL)] == [
        e.experiment_id for e in client.search_experiments(MlflowViewType.ALL)
    ]
    assert store.get_run(server["runs"][1]).params == {"i": "1"}


def test_artifacts_are_listed_and_previewed_through_the_proxy(
    server: dict[str, Any], store: RestStore
) -> None:
    client, run_id = server["client"], server["runs"][0]
    assert store.get_run(run_id).artifact_uri.startswith("mlflow-artifacts:")
    for path in (None, "eval"):
        assert [(f.path, f.is_dir, f.file_size) for f in store.list_artifacts(run_id, path)] == [
            (f.path, f.is_dir, f.file_size) for f in client.list_artifacts(run_id, path)
        ]
    assert json.loads(store.read_artifact(run_id, "eval/report.json")) == {"acc": 0.75}
    assert store.read_artifact(run_id, "model.txt", max_bytes=16) == b"weights weights "
    # The bytes live under the server's --artifacts-destination, not where the client is.
    assert list((server["root"] / "mlartifacts").rglob("report.json"))
    with pytest.raises(StoreError):
        store.read_artifact(run_id, "eval/missing.json")


def test_without_the_prefix_tuiflow_says_it_is_not_a_tracking_server(
    server: dict[str, Any],
) -> None:
    with RestStore(server["url"].removesuffix(PREFIX)) as bare, pytest.raises(StoreError) as exc:
        bare.search_experiments()
    assert "did not answer like an MLflow tracking server (HTTP 404" in str(exc.value)


def test_cli_reads_through_the_prefix(server: dict[str, Any]) -> None:
    env = {**os.environ}
    env.pop("MLFLOW_TRACKING_URI", None)
    done = subprocess.run(
        [sys.executable, "-m", "tuiflow", "runs", server["url"], "-e", "behind-a-path"]
        + ["--format", "json"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        stdin=subprocess.DEVNULL,
    )
    assert done.returncode == 0, done.stderr
    assert sorted(r["run_name"] for r in json.loads(done.stdout)) == ["p0", "p1", "p2", "p3"]


def test_url_with_trailing_slash_works(server: dict[str, Any]) -> None:
    with RestStore(server["url"] + "/") as rest:
        assert rest.display_uri == server["url"]
        assert len(rest.search_runs([server["exp"]]).items) == 4
