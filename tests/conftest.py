"""Session fixtures: the same dataset written by real MLflow into every backend.

`backend` is parametrized over a file store, SQLite, PostgreSQL and MariaDB databases
(private servers from tests/db_servers.py) and a live `mlflow server` (over SQLite).
Each yields the tuiflow store and an MlflowClient on the same URI, so a contract test
compares tuiflow with MLflow on identical data. Every store is built at most once per
session, however many tests use it, and only when a test asks for it.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import shutil
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

# Real MLflow refuses file stores without this (mlflow-formats.md §0.1); telemetry would try
# the network.
os.environ["MLFLOW_ALLOW_FILE_STORE"] = "true"
os.environ["MLFLOW_DISABLE_TELEMETRY"] = "true"
os.environ["DO_NOT_TRACK"] = "true"
# MlflowClient retries 5xx answers with backoff for minutes; an oracle must answer at once.
os.environ["MLFLOW_HTTP_REQUEST_MAX_RETRIES"] = "0"
os.environ["MLFLOW_HTTP_REQUEST_TIMEOUT"] = "60"
os.environ.pop("MLFLOW_TRACKING_URI", None)
# The file store's warm cache (tuiflow/stores/file_cache.py) goes to a directory of the
# session, never to the user's ~/.cache; subprocesses inherit it.
_CACHE_DIR = tempfile.mkdtemp(prefix="tuiflow-test-cache-")
os.environ["TUIFLOW_CACHE_DIR"] = _CACHE_DIR
os.environ.pop("TUIFLOW_CACHE", None)
atexit.register(shutil.rmtree, _CACHE_DIR, True)

TESTS_DIR = Path(__file__).parent
if str(TESTS_DIR) not in sys.path:
    sys.path.insert(0, str(TESTS_DIR))

from db_servers import (  # noqa: E402
    DatabaseServer,
    DatabaseUnavailable,
    mariadb_server,
    postgres_server,
)
from stores.server_util import ServerInfo, mlflow_server  # noqa: E402

BACKENDS = ("file", "file-nocache", "sqlite", "postgresql", "mysql", "rest")


@dataclass
class Backend:
    """One populated store, seen through tuiflow (`store`) and MLflow (`client`)."""

    name: str
    uri: str
    store: Any  # tuiflow.stores.base.Store
    client: Any  # mlflow.MlflowClient
    ids: dict[str, Any]
    root: Path

    @property
    def runs(self) -> dict[str, str]:
        return self.ids["runs"]

    @property
    def experiments(self) -> dict[str, str]:
        return self.ids["experiments"]

    def __repr__(self) -> str:  # keeps pytest ids and failure output short
        return f"Backend({self.name})"


@contextlib.contextmanager
def _chdir(path: Path) -> Iterator[None]:
    # The SQL store puts artifacts of experiments without an explicit location under
    # ./mlruns of the current directory; keep them inside the temporary tree.
    old = Path.cwd()
    os.chdir(path)
    try:
        yield
    finally:
        os.chdir(old)


class _PinnedClient:
    """An MlflowClient whose calls run with MLflow's global tracking URI set to its own.

    MLflow's file registry looks logged models up through `MlflowClient()` on the
    *global* URI (model_registry/file_store.py `_get_file_model_version_from_dir`); with
    none set that creates ./mlflow.db in the working directory. Pinning the global URI to
    the store under test for the duration of each call avoids it.
    """

    def __init__(self, client: Any, uri: str) -> None:
        self._client = client
        self._uri = uri

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._client, name)
        if not callable(attr):
            return attr

        def pinned(*args: Any, **kwargs: Any) -> Any:
            import mlflow

            previous = mlflow.get_tracking_uri() if mlflow.is_tracking_uri_set() else None
            mlflow.set_tracking_uri(self._uri)
            try:
                return attr(*args, **kwargs)
            finally:
                mlflow.set_tracking_uri(previous)

        return pinned


def _make_backend(name: str, uri: str, store_uri: str, root: Path) -> Iterator[Backend]:
    from mlflow import MlflowClient
    from mlflow_data import populate  # imports mlflow: only when a backend is built

    from tuiflow.locate import open_store

    with _chdir(root):
        ids = populate(uri)
    client = _PinnedClient(MlflowClient(tracking_uri=uri, registry_uri=uri), uri)
    store = open_store(store_uri)
    try:
        yield Backend(name=name, uri=uri, store=store, client=client, ids=ids, root=root)
    finally:
        store.close()


@pytest.fixture(scope="session")
def file_backend(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Backend]:
    root = tmp_path_factory.mktemp("file_backend")
    mlruns = root / "mlruns"
    yield from _make_backend("file", mlruns.as_uri(), mlruns.as_uri(), root)


@pytest.fixture(scope="session")
def file_nocache_backend(file_backend: Backend) -> Iterator[Backend]:
    """The same file store read without the warm cache, each search spread over forked
    processes as the headless CLI does (results must not differ)."""
    from tuiflow.stores.file import FileStore

    store = FileStore(file_backend.root / "mlruns", cache_dir=None)
    store.use_forked_scans(2, min_runs=1)
    try:
        yield Backend(
            name="file-nocache",
            uri=file_backend.uri,
            store=store,
            client=file_backend.client,
            ids=file_backend.ids,
            root=file_backend.root,
        )
    finally:
        store.close()


@pytest.fixture(scope="session")
def sqlite_backend(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Backend]:
    root = tmp_path_factory.mktemp("sqlite_backend")
    uri = f"sqlite:///{root / 'mlflow.db'}"
    yield from _make_backend("sqlite", uri, uri, root)


def _database_server(start: Any) -> Iterator[DatabaseServer]:
    try:
        with start() as server:
            yield server
    except DatabaseUnavailable as exc:
        pytest.skip(f"no database server: {exc}")


@pytest.fixture(scope="session")
def postgres_db_server() -> Iterator[DatabaseServer]:
    """A private PostgreSQL cluster for the session (or TUIFLOW_TEST_POSTGRES_URL)."""
    yield from _database_server(postgres_server)


@pytest.fixture(scope="session")
def mariadb_db_server() -> Iterator[DatabaseServer]:
    """A private MariaDB server for the session (or TUIFLOW_TEST_MYSQL_URL)."""
    yield from _database_server(mariadb_server)


@pytest.fixture(scope="session")
def postgresql_backend(
    postgres_db_server: DatabaseServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Backend]:
    root = tmp_path_factory.mktemp("postgresql_backend")
    uri = postgres_db_server.create_database()
    yield from _make_backend("postgresql", uri, uri, root)


@pytest.fixture(scope="session")
def mysql_backend(
    mariadb_db_server: DatabaseServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Backend]:
    root = tmp_path_factory.mktemp("mysql_backend")
    uri = mariadb_db_server.create_database()
    yield from _make_backend("mysql", uri, uri, root)


@pytest.fixture(scope="session")
def mlflow_server_info(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerInfo]:
    """The one `mlflow server` of the session (SQLite backend, local artifact root)."""
    with mlflow_server(tmp_path_factory.mktemp("mlflow_server")) as info:
        yield info


@pytest.fixture(scope="session")
def rest_backend(mlflow_server_info: ServerInfo) -> Iterator[Backend]:
    url = mlflow_server_info.url
    yield from _make_backend("rest", url, url, mlflow_server_info.root)


@pytest.fixture(
    scope="session",
    params=[
        pytest.param("file", id="file"),
        pytest.param("file-nocache", id="file-nocache"),
        pytest.param("sqlite", id="sqlite"),
        pytest.param("postgresql", id="postgresql", marks=pytest.mark.postgresql),
        pytest.param("mysql", id="mysql", marks=pytest.mark.mysql),
        pytest.param("rest", id="rest", marks=pytest.mark.server),
    ],
)
def backend(request: pytest.FixtureRequest) -> Backend:
    return request.getfixturevalue(f"{request.param.replace('-', '_')}_backend")
