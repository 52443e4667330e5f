"""`Store.read_artifact`: the bytes MLflow itself downloads, cut at max_bytes, never outside
the run's artifact root. File store (sample_mlruns and a moved copy), SQLite, and a real
server (one for the module) with both a proxied `mlflow-artifacts:` root and a local root.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from server_util import mlflow_server

from tuiflow.errors import InvalidArgumentError, NotFoundError, StoreError
from tuiflow.stores.file import FileStore
from tuiflow.stores.rest import RestStore

SAMPLE = Path(__file__).resolve().parents[2] / "sample_mlruns"
SAMPLE_RUN = "98daa4bf75594f89b3fb95ee22432045"  # an iris run with the four sample artifacts
SAMPLE_FILES = ("config.yaml", "confusion_matrix.png", "eval/predictions.csv", "report.json")
ESCAPES = ("../meta.yaml", "../../meta.yaml", "eval/../../meta.yaml", "/etc/passwd", "..")


@pytest.fixture(autouse=True)
def _allow_file_store(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MLFLOW_ALLOW_FILE_STORE", "true")


def mlflow_bytes(client, run_id: str, path: str, tmp_path: Path) -> bytes:
    dst = tmp_path / "dl" / path.replace("/", "_")
    dst.mkdir(parents=True, exist_ok=True)
    return Path(client.download_artifacts(run_id, path, str(dst))).read_bytes()


def assert_refuses_escapes(store, run_id: str) -> None:
    for bad in ESCAPES:
        with pytest.raises(InvalidArgumentError):
            store.read_artifact(run_id, bad)
    with pytest.raises(InvalidArgumentError):
        store.read_artifact(run_id, "")


# -- file store -------------------------------------------------------------------------------


def test_file_store_reads_what_mlflow_downloads(tmp_path):
    from mlflow import MlflowClient

    store = FileStore(SAMPLE)
    client = MlflowClient(tracking_uri=SAMPLE.as_uri())
    for path in SAMPLE_FILES:
        got = store.read_artifact(SAMPLE_RUN, path)
        assert got == mlflow_bytes(client, SAMPLE_RUN, path, tmp_path), path
        assert len(got) > 0
    png = store.read_artifact(SAMPLE_RUN, "confusion_matrix.png", max_bytes=8)
    assert png == b"\x89PNG\r\n\x1a\n"
    assert store.read_artifact(SAMPLE_RUN, "report.json", max_bytes=0) == b""


def test_file_store_refuses_escapes_folders_and_missing_files():
    store = FileStore(SAMPLE)
    assert_refuses_escapes(store, SAMPLE_RUN)
    with pytest.raises(InvalidArgumentError, match="folder"):
        store.read_artifact(SAMPLE_RUN, "eval")
    with pytest.raises(NotFoundError):
        store.read_artifact(SAMPLE_RUN, "eval/missing.csv")
    with pytest.raises(NotFoundError):
        store.read_artifact("0" * 32, "report.json")


def test_file_store_refuses_a_symlink_out_of_the_root(tmp_path):
    from mlflow import MlflowClient

    root = tmp_path / "mlruns"
    client = MlflowClient(tracking_uri=root.as_uri())
    run = client.create_run(client.create_experiment("links"))
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "a.txt").write_text("a")
    client.log_artifacts(run.info.run_id, str(tmp_path / "src"))
    secret = tmp_path / "secret.txt"
    secret.write_text("do not read")
    store = FileStore(root)
    art = Path(store.artifact_root(run.info.run_id).removeprefix("file://"))
    (art / "link.txt").symlink_to(secret)
    with pytest.raises(InvalidArgumentError, match="escapes"):
        store.read_artifact(run.info.run_id, "link.txt")
    assert store.read_artifact(run.info.run_id, "a.txt") == b"a"


def test_moved_file_store_reads_from_its_own_folders(tmp_path):
    from mlflow import MlflowClient

    original = tmp_path / "cluster" / "mlruns"
    client = MlflowClient(tracking_uri=original.as_uri())
    run = client.create_run(client.create_experiment("moved"))
    src = tmp_path / "src"
    (src / "eval").mkdir(parents=True)
    (src / "eval" / "scores.csv").write_text("a,b\n1,2\n")
    (src / "blob.bin").write_bytes(bytes(range(256)) * 8)
    client.log_artifacts(run.info.run_id, str(src))
    expected = {p: mlflow_bytes(client, run.info.run_id, p, tmp_path) for p in
                ("eval/scores.csv", "blob.bin")}  # fmt: skip

    moved = tmp_path / "laptop" / "mlruns"
    shutil.move(str(original), str(moved))
    store = FileStore(moved)
    for path, data in expected.items():
        assert store.read_artifact(run.info.run_id, path) == data
    assert store.read_artifact(run.info.run_id, "blob.bin", max_bytes=300) == data[:300]
    assert_refuses_escapes(store, run.info.run_id)


# -- SQLite -----------------------------------------------------------------------------------


def test_sqlite_store_reads_what_mlflow_downloads(sqlite_backend, tmp_path):
    from mlflow_data import ARTIFACT_FILES

    run_id = sqlite_backend.ids["artifact_run"]
    store = sqlite_backend.store
    for path, text in ARTIFACT_FILES.items():
        got = store.read_artifact(run_id, path)
        assert got == text.encode()
        assert got == mlflow_bytes(sqlite_backend.client, run_id, path, tmp_path)
    assert store.read_artifact(run_id, "model/weights.txt", max_bytes=3) == b"0.1"
    assert_refuses_escapes(store, run_id)
    with pytest.raises(InvalidArgumentError):
        store.read_artifact(run_id, "model")
    with pytest.raises(NotFoundError):
        store.read_artifact(run_id, "model/nothing.txt")


# -- a real server ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def server_runs(tmp_path_factory):
    """One `--serve-artifacts` server; one run with a proxied root, one with a local root."""
    from mlflow import MlflowClient

    root = tmp_path_factory.mktemp("read_artifact_server")
    src = root / "src"
    (src / "eval").mkdir(parents=True)
    shutil.copy(SAMPLE / "521045948341442715" / SAMPLE_RUN / "artifacts" / "confusion_matrix.png",
                src / "confusion_matrix.png")  # fmt: skip
    (src / "eval" / "report.json").write_text('{"acc": 0.9, "name": "ünï"}\n')
    (src / "big.bin").write_bytes(bytes(range(256)) * 4096)  # 1 MiB: more than one chunk
    with mlflow_server(root / "server", serve_artifacts=True) as server:
        client = MlflowClient(server.url)
        proxied = client.create_run(client.create_experiment("proxied")).info.run_id
        local_exp = client.create_experiment(
            "local", artifact_location=(root / "local_artifacts").as_uri()
        )
        local = client.create_run(local_exp).info.run_id
        for run_id in (proxied, local):
            client.log_artifacts(run_id, str(src))
        store = RestStore(server.url)
        try:
            yield store, client, {"proxied": proxied, "local": local}
        finally:
            store.close()


@pytest.mark.server
@pytest.mark.parametrize("kind", ["proxied", "local"])
def test_rest_store_reads_what_mlflow_downloads(server_runs, kind, tmp_path):
    store, client, runs = server_runs
    run_id = runs[kind]
    root = store.get_run(run_id).artifact_uri
    assert root.startswith("mlflow-artifacts:" if kind == "proxied" else "file:")
    for path in ("confusion_matrix.png", "eval/report.json", "big.bin"):
        assert store.read_artifact(run_id, path) == mlflow_bytes(client, run_id, path, tmp_path)
    big = mlflow_bytes(client, run_id, "big.bin", tmp_path)
    assert store.read_artifact(run_id, "big.bin", max_bytes=100_000) == big[:100_000]
    assert store.read_artifact(run_id, "big.bin", max_bytes=1) == big[:1]


@pytest.mark.server
@pytest.mark.parametrize("kind", ["proxied", "local"])
def test_rest_store_errors(server_runs, kind):
    store, _, runs = server_runs
    run_id = runs[kind]
    assert_refuses_escapes(store, run_id)
    with pytest.raises(NotFoundError):
        store.read_artifact(run_id, "eval/missing.json")
    with pytest.raises((InvalidArgumentError, StoreError)):
        store.read_artifact(run_id, "eval")
    with pytest.raises(NotFoundError):
        store.read_artifact("f" * 32, "eval/report.json")
