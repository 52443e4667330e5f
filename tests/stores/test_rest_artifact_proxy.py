"""Artifact listing through a server that proxies artifacts (`--serve-artifacts`)."""

from __future__ import annotations

from pathlib import Path

import pytest
from server_util import mlflow_server

from tuiflow.stores.rest import RestStore

pytestmark = pytest.mark.server


@pytest.fixture(scope="module")
def proxied(tmp_path_factory):
    root = tmp_path_factory.mktemp("proxy")
    with mlflow_server(root, serve_artifacts=True) as server:
        yield server, root


def test_listing_goes_through_the_proxy(proxied, tmp_path):
    from mlflow import MlflowClient

    server, root = proxied
    client = MlflowClient(server.url)
    exp_id = client.create_experiment("proxied")
    run = client.create_run(exp_id)
    src = tmp_path / "out"
    (src / "eval").mkdir(parents=True)
    (src / "eval" / "report.json").write_text('{"acc": 0.9}')
    (src / "model.txt").write_text("weights")
    client.log_artifacts(run.info.run_id, str(src))

    store = RestStore(server.url)
    try:
        got = store.get_run(run.info.run_id)
        assert got.artifact_uri.startswith("mlflow-artifacts:")
        top = store.list_artifacts(run.info.run_id)
        expected = client.list_artifacts(run.info.run_id)
        assert [(f.path, f.is_dir, f.file_size) for f in top] == [
            (f.path, f.is_dir, f.file_size) for f in expected
        ]
        assert [f.path for f in store.list_artifacts(run.info.run_id, "eval")] == [
            "eval/report.json"
        ]
        # The bytes live under the server's --artifacts-destination, not on the client side.
        assert list((root / "mlartifacts").rglob("report.json"))
    finally:
        store.close()


def test_preview_goes_through_the_proxy(proxied, tmp_path):
    from mlflow import MlflowClient

    server, root = proxied
    client = MlflowClient(server.url)
    run = client.create_run(client.create_experiment("proxied-preview"))
    run_id = run.info.run_id
    blob = bytes(range(256)) * 40  # binary, larger than one network chunk
    (tmp_path / "blob.bin").write_bytes(blob)
    client.log_artifact(run_id, str(tmp_path / "blob.bin"), "deep/er")
    client.log_text(run_id, "ünïcode ✓", "notes.txt")

    with RestStore(server.url) as store:
        assert store.read_artifact(run_id, "deep/er/blob.bin") == blob
        assert store.read_artifact(run_id, "deep/er/blob.bin", max_bytes=300) == blob[:300]
        assert store.read_artifact(run_id, "notes.txt").decode() == "ünïcode ✓"
        # What MLflow itself downloads through the same proxy.
        fetched = client.download_artifacts(run_id, "deep/er/blob.bin", str(tmp_path / "dl"))
        assert store.read_artifact(run_id, "deep/er/blob.bin") == Path(fetched).read_bytes()
    assert list((root / "mlartifacts").rglob("blob.bin"))
