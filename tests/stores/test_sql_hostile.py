"""Hostile SQL databases: old and new schemas, non-MLflow files, locks, dropped connections.

Every database here is our own: a template per dialect written once by real MLflow 3.17.2
(whose own answers are recorded as the oracle), then cloned per test. Each case checks
three things: the store API raises StoreError (or warns) with a clear message, the CLI in a
subprocess prints one line and exits 1 without a traceback, and nothing was written.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import socket
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")

from db_servers import DatabaseServer, DatabaseUnavailable, postgres_server  # noqa: E402
from stores.hostile_util import cli, warning_lines  # noqa: E402
from stores.server_util import free_port  # noqa: E402

from tuiflow.errors import StoreError  # noqa: E402
from tuiflow.stores.sql import SqlStore  # noqa: E402

T0 = 1_600_000_000_000
OLD_REVISION = "c8d9e0f1a2b3"  # MLflow's schema just before the workspace columns
NEW_REVISION = "ffffeeee0000"  # no MLflow has it: a database from the future
FILTER = "metrics.loss < 0.6 and params.lr != '0'"
ORDER = ["metrics.loss DESC"]
SQLITE_PG = [
    pytest.param("sqlite", id="sqlite"),
    pytest.param("postgresql", id="postgresql", marks=pytest.mark.postgresql),
]
SERVERS = [
    pytest.param("postgresql", id="postgresql", marks=pytest.mark.postgresql),
    pytest.param("mysql", id="mysql", marks=pytest.mark.mysql),
]
TABLES = ("experiments", "runs", "tags", "params", "latest_metrics", "model_versions")


# -- a template per dialect, written and read by MLflow --------------------------------------


@dataclass
class Template:
    dialect: str
    uri: str
    server: DatabaseServer | None
    ids: dict[str, str]
    oracle: dict[str, Any]  # what MLflow 3.17.2 answered on it


def _populate(uri: str) -> dict[str, str]:
    from mlflow import MlflowClient
    from mlflow.entities import Metric, Param, RunTag

    c = MlflowClient(tracking_uri=uri, registry_uri=uri)
    ids = {"alpha": c.create_experiment("alpha", tags={"team": "a"})}
    ids["beta"] = c.create_experiment("beta")
    for i in range(6):
        exp = ids["alpha"] if i < 5 else ids["beta"]
        rid = c.create_run(exp, run_name=f"r{i}", start_time=T0 + i).info.run_id
        ids[f"r{i}"] = rid
        losses = [Metric("loss", 1.0 / (i + s + 1), T0 + s, s) for s in range(3)]
        c.log_batch(rid, metrics=losses, params=[Param("lr", str(i))], tags=[RunTag("k", "v")])
        c.set_terminated(rid, "FINISHED", end_time=T0 + 100 + i)
    c.delete_run(ids["r4"])
    c.create_registered_model("m", tags={"t": "1"})
    for _ in range(2):
        c.create_model_version("m", f"runs:/{ids['r0']}/model", run_id=ids["r0"])
    c.transition_model_version_stage("m", "1", "Production")
    c.set_registered_model_alias("m", "champion", "2")
    return ids


def _mlflow_view(uri: str, ids: dict[str, str]) -> dict[str, Any]:
    from mlflow import MlflowClient

    c = MlflowClient(tracking_uri=uri, registry_uri=uri)
    runs = c.search_runs([ids["alpha"], ids["beta"]], FILTER, order_by=ORDER)
    every = c.search_runs([ids["alpha"], ids["beta"]], order_by=["attributes.start_time ASC"])
    return {
        "runs": [(r.info.run_id, r.data.metrics, r.data.params, r.data.tags) for r in runs],
        "all_ids": [r.info.run_id for r in every],
        "experiments": sorted((e.experiment_id, e.name, e.tags) for e in c.search_experiments()),
        "versions": sorted(
            (str(v.version), v.current_stage, v.run_id) for v in c.search_model_versions("name='m'")
        ),
        "aliases": {k: str(v) for k, v in c.get_registered_model("m").aliases.items()},
    }


def _server(request: pytest.FixtureRequest, dialect: str) -> DatabaseServer | None:
    if dialect == "sqlite":
        return None
    name = "postgres_db_server" if dialect == "postgresql" else "mariadb_db_server"
    return request.getfixturevalue(name)


@pytest.fixture(scope="module")
def templates(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Callable[[str], Template]]:
    made: dict[str, Template] = {}

    def get(dialect: str) -> Template:
        if dialect not in made:
            root = tmp_path_factory.mktemp(f"hostile-{dialect}")
            server = _server(request, dialect)
            uri = f"sqlite:///{root / 'mlflow.db'}" if server is None else server.create_database()
            with pytest.MonkeyPatch.context() as mp:
                mp.chdir(root)  # the Default experiment's artifacts go to ./mlruns
                ids = _populate(uri)
                oracle = _mlflow_view(uri, ids)
            _dispose_mlflow_engines()  # a PostgreSQL template must have no open sessions
            made[dialect] = Template(dialect, uri, server, ids, oracle)
        return made[dialect]

    yield get


def _dispose_mlflow_engines() -> None:
    from mlflow.tracking._tracking_service import utils

    for store in list(getattr(utils._tracking_store_registry, "_store_cache", {}).values()):
        with contextlib.suppress(Exception):
            store.engine.dispose()


@pytest.fixture
def clone(
    templates: Callable[[str], Template], tmp_path: Path
) -> Iterator[Callable[[str], tuple[str, Template]]]:
    """A private copy of the dialect's template: (url, template)."""
    made: list[tuple[str, Template]] = []

    def make(dialect: str) -> tuple[str, Template]:
        tpl = templates(dialect)
        if tpl.server is None:
            path = tmp_path / f"copy{len(made)}.db"
            shutil.copy(tpl.uri.removeprefix("sqlite:///"), path)
            uri = f"sqlite:///{path}"
        else:
            uri = tpl.server.clone_database(tpl.uri.rsplit("/", 1)[-1])
        made.append((uri, tpl))
        return uri, tpl

    yield make
    for uri, tpl in made:
        if tpl.server is not None:
            tpl.server.drop_database(uri)


def _sql(uri: str, *statements: str) -> list[tuple[Any, ...]]:
    engine = sa.create_engine(uri)
    try:
        with engine.begin() as conn:
            result: list[tuple[Any, ...]] = []
            for statement in statements:
                r = conn.exec_driver_sql(statement)
                result = [tuple(row) for row in r] if r.returns_rows else []
            return result
    finally:
        engine.dispose()


def _rows(uri: str) -> dict[str, list[str]]:
    """Every row of the tables a write would touch, plus the schema revision."""
    out = {t: sorted(map(repr, _sql(uri, f"SELECT * FROM {t}"))) for t in TABLES}
    out["alembic_version"] = [repr(r) for r in _sql(uri, "SELECT * FROM alembic_version")]
    return out


def _ours(store: SqlStore, ids: dict[str, str]) -> dict[str, Any]:
    exps = [ids["alpha"], ids["beta"]]
    runs = store.search_runs(exps, FILTER, ORDER).items
    every = store.search_runs(exps, order_by=["attributes.start_time ASC"]).items
    return {
        "runs": [
            (r.run_id, {k: m.value for k, m in r.metrics.items()}, r.params, r.tags) for r in runs
        ],
        "all_ids": [r.run_id for r in every],
        "experiments": sorted(
            (e.experiment_id, e.name, e.tags) for e in store.search_experiments().items
        ),
        "versions": sorted(
            (str(v.version), v.current_stage, v.run_id)
            for v in store.search_model_versions("name='m'").items
        ),
        "aliases": {k: str(v) for k, v in store.get_registered_model("m").aliases.items()},
    }


def _write_calls(store: SqlStore, ids: dict[str, str]) -> list[Callable[[], Any]]:
    return [
        lambda: store.delete_runs([ids["r0"]]),
        lambda: store.restore_runs([ids["r4"]]),
        lambda: store.set_run_status(ids["r1"], "KILLED", T0),
        lambda: store.rename_run(ids["r0"], "x"),
        lambda: store.set_tag(ids["r0"], "a", "b"),
        lambda: store.delete_tag(ids["r0"], "k"),
        lambda: store.delete_experiment(ids["alpha"]),
        lambda: store.rename_experiment(ids["alpha"], "z"),
        lambda: store.purge(),
        lambda: store.transition_stage("m", 1, "Archived"),
        lambda: store.set_alias("m", "a", 1),
        lambda: store.delete_alias("m", "champion"),
    ]


def _cli_json(uri: str, cwd: Path, *args: str) -> tuple[Any, list[str]]:
    r = cli(*args, uri, "--format", "json", cwd=cwd)
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout), warning_lines(r.stderr)


def _one_line_failure(r: subprocess.CompletedProcess[str], *needles: str) -> str:
    assert r.returncode == 1, (r.returncode, r.stdout, r.stderr)
    lines = r.stderr.splitlines()
    assert len(lines) == 1, r.stderr
    for needle in needles:
        assert needle in lines[0], lines[0]
    return lines[0]


# -- 1, 2: schemas tuiflow was not tested against ------------------------------------------------


def _downgrade(uri: str, revision: str) -> None:
    """MLflow's own alembic migrations, run backwards (a real older schema, not a mock)."""
    from alembic import command
    from mlflow.store.db.utils import _get_alembic_config

    engine = sa.create_engine(uri)
    try:
        with engine.begin() as conn:
            config = _get_alembic_config(uri)
            config.attributes["connection"] = conn
            command.downgrade(config, revision)
    finally:
        engine.dispose()


def _assert_read_only(uri: str, tpl: Template, tmp_path: Path, revision: str, kind: str) -> None:
    before = _rows(uri)
    store = SqlStore(uri)
    try:
        assert not store.capabilities.writable
        (warning,) = store.warnings
        assert revision in warning and kind in warning and "writes refused" in warning
        assert _ours(store, tpl.ids) == tpl.oracle
        for call in _write_calls(store, tpl.ids):
            with pytest.raises(StoreError, match=f"refusing to write.*{revision}"):
                call()
        # Reading still works after the refusals.
        assert store.get_run(tpl.ids["r1"]).run_name == "r1"
    finally:
        store.close()
    found, warnings = _cli_json(uri, tmp_path, "runs", "-f", FILTER, "-o", ORDER[0])
    assert [r["run_id"] for r in found] == [r[0] for r in tpl.oracle["runs"]]
    assert len(warnings) == 1 and revision in warnings[0] and kind in warnings[0]
    models, warnings = _cli_json(uri, tmp_path, "models")
    assert [m["name"] for m in models] == ["m"] and len(warnings) == 1
    exps, _ = _cli_json(uri, tmp_path, "experiments")
    assert sorted(e["name"] for e in exps) == ["Default", "alpha", "beta"]
    r = cli("delete-run", "--store", uri, tpl.ids["r0"], "--yes", cwd=tmp_path)
    _one_line_failure(r, "read-only")
    assert revision in r.stderr  # the one line says why
    assert _rows(uri) == before


@pytest.mark.parametrize("dialect", SQLITE_PG)
def test_older_schema_reads_with_warning_and_refuses_writes(
    dialect: str, clone: Callable[[str], tuple[str, Template]], tmp_path: Path
) -> None:
    uri, tpl = clone(dialect)
    _downgrade(uri, OLD_REVISION)
    assert _sql(uri, "SELECT version_num FROM alembic_version") == [(OLD_REVISION,)]
    # The downgrade really removed columns tuiflow reads when they exist.
    store = SqlStore(uri)
    assert not store._schema.has("experiments", "workspace")
    store.close()
    _assert_read_only(uri, tpl, tmp_path, OLD_REVISION, "older")


@pytest.mark.parametrize("dialect", SQLITE_PG)
def test_newer_schema_reads_with_warning_and_refuses_writes(
    dialect: str, clone: Callable[[str], tuple[str, Template]], tmp_path: Path
) -> None:
    uri, tpl = clone(dialect)
    _sql(
        uri,
        f"UPDATE alembic_version SET version_num = '{NEW_REVISION}'",
        "ALTER TABLE runs ADD COLUMN future_flag INTEGER DEFAULT 7 NOT NULL",
        "ALTER TABLE experiments ADD COLUMN future_owner VARCHAR(50)",
        "CREATE TABLE future_things (id INTEGER PRIMARY KEY, run_uuid VARCHAR(32))",
    )
    _assert_read_only(uri, tpl, tmp_path, NEW_REVISION, "newer")


OLD_MLFLOW_ENV = "TUIFLOW_TEST_OLD_MLFLOW_PYTHON"
OLD_WRITER = """
import json, sys
from mlflow import MlflowClient
from mlflow.entities import Metric, Param, RunTag
uri = sys.argv[1]
c = MlflowClient(tracking_uri=uri, registry_uri=uri)
e = c.create_experiment("alpha", tags={"team": "a"})
for i in range(5):
    rid = c.create_run(e, run_name=f"r{i}", start_time=1600000000000 + i).info.run_id
    c.log_batch(rid, metrics=[Metric("loss", 1 / (i + s + 1), 1600000000000 + s, s)
                              for s in range(3)],
                params=[Param("lr", str(i))], tags=[RunTag("k", "v")])
    c.set_terminated(rid, "FINISHED", end_time=1600000000100 + i)
c.create_registered_model("m")
c.create_model_version("m", "runs:/x/model", run_id=rid)
c.set_registered_model_alias("m", "champion", "1")
runs = c.search_runs([e], "metrics.loss < 0.6", order_by=["metrics.loss DESC"])
print(json.dumps({
    "experiment": e,
    "runs": [[r.info.run_id, r.data.metrics, r.data.params, r.data.tags] for r in runs],
    "aliases": {k: str(v) for k, v in c.get_registered_model("m").aliases.items()},
}))
"""


@pytest.mark.parametrize("dialect", SQLITE_PG)
def test_database_written_by_an_older_mlflow(
    dialect: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    """Optional: $TUIFLOW_TEST_OLD_MLFLOW_PYTHON is a Python with e.g. mlflow==2.9.2 (and
    psycopg2), which writes the database and answers as the oracle."""
    python = os.environ.get(OLD_MLFLOW_ENV)
    if not python:
        pytest.skip(f"{OLD_MLFLOW_ENV} not set (a Python with an older MLflow)")
    server = _server(request, dialect)
    if server is None:
        uri = f"sqlite:///{tmp_path / 'old.db'}"
        old_uri = uri
    else:
        uri = server.create_database()
        old_uri = uri.replace("+psycopg:", "+psycopg2:")
    try:
        done = subprocess.run(
            [python, "-c", OLD_WRITER, old_uri],
            capture_output=True,
            text=True,
            cwd=tmp_path,
            timeout=300,
            check=True,
            env={**os.environ, "PYTHONPATH": ""},
        )
        oracle = json.loads(done.stdout.strip().splitlines()[-1])
        (revision,) = _sql(uri, "SELECT version_num FROM alembic_version")[0]
        before = _rows(uri)
        store = SqlStore(uri)
        try:
            assert revision in store.warnings[0] and "older" in store.warnings[0]
            runs = store.search_runs([oracle["experiment"]], "metrics.loss < 0.6", ORDER).items
            ours = [
                [r.run_id, {k: m.value for k, m in r.metrics.items()}, r.params, r.tags]
                for r in runs
            ]
            assert ours == oracle["runs"]
            aliases = store.get_registered_model("m").aliases
            assert {k: str(v) for k, v in aliases.items()} == oracle["aliases"]
            with pytest.raises(StoreError, match=revision):
                store.delete_runs([oracle["runs"][0][0]])
        finally:
            store.close()
        assert _rows(uri) == before
    finally:
        if server is not None:
            server.drop_database(uri)


# -- 3: not an MLflow database -------------------------------------------------------------------


def _digest(path: Path) -> tuple[str, int]:
    return hashlib.sha1(path.read_bytes()).hexdigest(), path.stat().st_mtime_ns


NOT_MLFLOW = {
    "empty_file_path": (lambda p: p.write_bytes(b""), False, "not an MLflow"),
    "empty_file_url": (lambda p: p.write_bytes(b""), True, "not an MLflow database"),
    "other_tables_path": (lambda p: _other_tables(p), False, "not an MLflow database"),
    "text_file_path": (lambda p: p.write_text("hello\n" * 500), False, "not an MLflow store"),
    "text_file_url": (lambda p: p.write_text("hello\n" * 500), True, "not an MLflow database"),
}


def _other_tables(path: Path) -> None:
    import sqlite3

    con = sqlite3.connect(path)
    con.execute("CREATE TABLE invoices (id INTEGER PRIMARY KEY, total REAL)")
    con.execute("INSERT INTO invoices (total) VALUES (1.5)")
    con.commit()
    con.close()


@pytest.mark.parametrize("case", list(NOT_MLFLOW))
def test_not_an_mlflow_sqlite_file(case: str, tmp_path: Path) -> None:
    make, as_url, needle = NOT_MLFLOW[case]
    path = tmp_path / "x.db"
    make(path)
    before = _digest(path)
    target = f"sqlite:///{path}" if as_url else str(path)
    with pytest.raises(StoreError, match=needle):
        from tuiflow.locate import open_store

        open_store(target)
    _one_line_failure(cli("runs", target, cwd=tmp_path), needle)
    assert _digest(path) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["x.db"]  # no journal, no WAL


@pytest.mark.postgresql
def test_not_an_mlflow_postgresql_database(
    postgres_db_server: DatabaseServer, tmp_path: Path
) -> None:
    uri = postgres_db_server.create_database()
    try:
        with pytest.raises(StoreError, match="not an MLflow database") as err:
            SqlStore(uri)
        assert err.value.hint
        _one_line_failure(cli("experiments", uri, cwd=tmp_path), "not an MLflow database")
        tables = "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'"
        assert _sql(uri, tables) == [(0,)]
    finally:
        postgres_db_server.drop_database(uri)


# -- 4: a locked SQLite file ----------------------------------------------------------------------

LOCKER = """
import sqlite3, sys
con = sqlite3.connect(sys.argv[1], isolation_level=None)
con.execute(sys.argv[2])
if len(sys.argv) > 3:
    con.execute(sys.argv[3]).fetchall()
print("locked", flush=True)
sys.stdin.readline()
con.execute("ROLLBACK")
print("released", flush=True)
"""


@contextlib.contextmanager
def _locked(path: Path, *statements: str) -> Iterator[None]:
    """Another process holds an SQLite lock on `path` until the block ends."""
    proc = subprocess.Popen(
        [sys.executable, "-c", LOCKER, str(path), *statements],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "locked"
        yield
    finally:
        if proc.poll() is None and proc.stdin is not None:
            proc.stdin.write("\n")
            proc.stdin.flush()
        proc.wait(timeout=30)


def _sqlite_clone(clone: Callable[[str], tuple[str, Template]]) -> tuple[str, Path, Template]:
    uri, tpl = clone("sqlite")
    return uri, Path(uri.removeprefix("sqlite:///")), tpl


def test_locked_sqlite_read_fails_after_busy_timeout_then_recovers(
    clone: Callable[[str], tuple[str, Template]], tmp_path: Path
) -> None:
    uri, path, tpl = _sqlite_clone(clone)
    store = SqlStore(uri, busy_timeout=0.2)
    try:
        with _locked(path, "BEGIN EXCLUSIVE"):
            with pytest.raises(StoreError, match="database is locked") as err:
                store.search_runs([tpl.ids["alpha"]])
            assert "TUIFLOW_SQLITE_BUSY_TIMEOUT" in str(err.value.hint)
            r = cli("runs", uri, cwd=tmp_path, env={"TUIFLOW_SQLITE_BUSY_TIMEOUT": "0.2"})
            _one_line_failure(r, "database is locked", "waited 0.2s")
        assert _ours(store, tpl.ids) == tpl.oracle
    finally:
        store.close()


def test_locked_sqlite_read_waits_for_a_short_lock(
    clone: Callable[[str], tuple[str, Template]],
) -> None:
    uri, path, tpl = _sqlite_clone(clone)
    store = SqlStore(uri, busy_timeout=60)
    try:
        with _locked(path, "BEGIN EXCLUSIVE"):
            result: list[Any] = []
            reader = threading.Thread(target=lambda: result.append(_ours(store, tpl.ids)))
            reader.start()
            reader.join(0.3)
            assert reader.is_alive()  # waiting on the lock, not failing
        reader.join(60)
        assert result == [tpl.oracle]
    finally:
        store.close()


@pytest.mark.parametrize(
    "lock",
    [
        pytest.param(("BEGIN EXCLUSIVE",), id="exclusive"),
        # A reader mid-transaction: the UPDATEs succeed, the COMMIT cannot.
        pytest.param(("BEGIN", "SELECT * FROM runs"), id="reader-blocks-commit"),
    ],
)
def test_locked_sqlite_write_fails_whole_then_works(
    lock: tuple[str, ...], clone: Callable[[str], tuple[str, Template]], tmp_path: Path
) -> None:
    uri, path, tpl = _sqlite_clone(clone)
    store = SqlStore(uri, busy_timeout=0.2)
    rid = tpl.ids["r0"]
    try:
        before = _rows(uri)
        with _locked(path, *lock):
            with pytest.raises(StoreError, match=r"database is locked.*nothing written"):
                store.delete_runs([rid, tpl.ids["r1"]])
            r = cli(
                "delete-run",
                "--store",
                uri,
                rid,
                "--yes",
                cwd=tmp_path,
                env={"TUIFLOW_SQLITE_BUSY_TIMEOUT": "0.2"},
            )
            _one_line_failure(r, "database is locked")
        assert _rows(uri) == before
        store.delete_runs([rid])
        assert store.get_run(rid).lifecycle_stage == "deleted"
    finally:
        store.close()


def test_busy_timeout_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    from tuiflow.stores.sql_schema import busy_timeout_s

    monkeypatch.delenv("TUIFLOW_SQLITE_BUSY_TIMEOUT", raising=False)
    assert busy_timeout_s() == 20.0  # MLflow's PRAGMA busy_timeout = 20000
    monkeypatch.setenv("TUIFLOW_SQLITE_BUSY_TIMEOUT", "1.5")
    assert busy_timeout_s() == 1.5 and busy_timeout_s(3) == 3
    monkeypatch.setenv("TUIFLOW_SQLITE_BUSY_TIMEOUT", "soon")
    assert busy_timeout_s() == 20.0


# -- 5: dropped connections and dead servers ----------------------------------------------------


def _kill_sessions(tpl: Template, uri: str) -> None:
    """End every server session on database `uri` (the admin connection is elsewhere)."""
    assert tpl.server is not None
    name = uri.rsplit("/", 1)[-1]
    engine = sa.create_engine(tpl.server.admin_url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            if tpl.dialect == "postgresql":
                conn.exec_driver_sql(
                    "SELECT pg_terminate_backend(pid, 10000) FROM pg_stat_activity "
                    "WHERE datname = %s AND pid <> pg_backend_pid()",
                    (name,),
                )
                return
            list_ids = "SELECT id FROM information_schema.processlist WHERE db = %s"
            for (pid,) in conn.exec_driver_sql(list_ids, (name,)).fetchall():
                with contextlib.suppress(sa.exc.DBAPIError):
                    conn.exec_driver_sql(f"KILL {int(pid)}")
            for _ in range(200):  # KILL is asynchronous in MariaDB
                if not conn.exec_driver_sql(list_ids, (name,)).fetchall():
                    return
                threading.Event().wait(0.05)
            raise AssertionError("sessions survived KILL")
    finally:
        engine.dispose()


@pytest.mark.parametrize("dialect", SERVERS)
def test_connection_killed_between_pages(
    dialect: str, clone: Callable[[str], tuple[str, Template]]
) -> None:
    uri, tpl = clone(dialect)
    store = SqlStore(uri)
    exps = [tpl.ids["alpha"], tpl.ids["beta"]]
    order = ["attributes.start_time ASC"]
    try:
        first = store.search_runs(exps, order_by=order, max_results=2)
        _kill_sessions(tpl, uri)
        second = store.search_runs(
            exps, order_by=order, max_results=2, page_token=first.next_page_token
        )
        got = [r.run_id for r in (*first.items, *second.items)]
        assert got == tpl.oracle["all_ids"][:4]
        assert _ours(store, tpl.ids) == tpl.oracle
    finally:
        store.close()


@pytest.mark.parametrize("dialect", SERVERS)
def test_connection_killed_inside_a_read_is_retried_once(
    dialect: str, clone: Callable[[str], tuple[str, Template]]
) -> None:
    uri, tpl = clone(dialect)
    store = SqlStore(uri)
    kills = {"left": 1}

    def kill_before_child_query(conn: Any, cursor: Any, statement: str, *rest: Any) -> None:
        # The page's first query has run; the server session dies before the params query.
        if kills["left"] and "FROM params" in statement:
            kills["left"] -= 1
            _kill_sessions(tpl, uri)

    sa.event.listen(store._engine, "before_cursor_execute", kill_before_child_query)
    try:
        assert _ours(store, tpl.ids) == tpl.oracle
        assert kills["left"] == 0
    finally:
        store.close()


@pytest.mark.parametrize("dialect", SERVERS)
@pytest.mark.parametrize("when", ["before-update", "before-commit"])
def test_connection_killed_inside_a_write_applies_nothing(
    dialect: str, when: str, clone: Callable[[str], tuple[str, Template]]
) -> None:
    uri, tpl = clone(dialect)
    store = SqlStore(uri)
    kills = {"left": 1}

    def kill(*_args: Any) -> None:
        if kills["left"]:
            kills["left"] -= 1
            _kill_sessions(tpl, uri)

    if when == "before-update":

        def on_execute(conn: Any, cursor: Any, statement: str, *rest: Any) -> None:
            if statement.lstrip().upper().startswith("UPDATE"):
                kill()

        sa.event.listen(store._engine, "before_cursor_execute", on_execute)
        expected = r"connection to the database was lost \(nothing written\)"
    else:
        sa.event.listen(store._engine, "commit", kill)
        expected = "connection to the database was lost during COMMIT"
    rids = [tpl.ids["r0"], tpl.ids["r1"]]
    try:
        before = _rows(uri)
        with pytest.raises(StoreError, match=expected) as err:
            store.delete_runs(rids)
        assert err.value.hint and "Traceback" not in str(err.value)
        assert kills["left"] == 0
        assert _rows(uri) == before  # the server rolled the transaction back
        store.delete_runs(rids)  # the same store works again, and is not retried twice
        assert {store.get_run(r).lifecycle_stage for r in rids} == {"deleted"}
    finally:
        store.close()


@contextlib.contextmanager
def _silent_listener() -> Iterator[int]:
    """A port that accepts TCP connections and never says a word (a hung server)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    sock.listen(16)
    try:
        yield sock.getsockname()[1]
    finally:
        sock.close()


@pytest.mark.parametrize("scheme", ["postgresql+psycopg", "mysql+pymysql"])
def test_server_that_never_answers_times_out(scheme: str, tmp_path: Path) -> None:
    with _silent_listener() as port:
        uri = f"{scheme}://u:hunter2@127.0.0.1:{port}/db"
        # The subprocess timeout is only a safety net: the connect timeout ends it.
        r = cli("runs", uri, cwd=tmp_path, env={"TUIFLOW_DB_CONNECT_TIMEOUT": "2"}, timeout=60)
    line = _one_line_failure(r, "cannot connect to the database")
    assert "hunter2" not in line and "***" in line


# -- 5, 6: a second private PostgreSQL, with a password, then stopped ---------------------------


@pytest.mark.postgresql
def test_postgres_password_unknown_database_and_stopped_server(tmp_path: Path) -> None:
    if os.environ.get("TUIFLOW_TEST_POSTGRES_URL"):
        pytest.skip("needs a private server it can reconfigure and stop")
    try:
        ctx = postgres_server()
        server = ctx.__enter__()
    except DatabaseUnavailable as exc:
        pytest.skip(f"no database server: {exc}")
    stopped = False
    try:
        uri = server.create_database("mlflowdb")
        with pytest.MonkeyPatch.context() as mp:
            mp.chdir(tmp_path)
            from mlflow import MlflowClient

            MlflowClient(tracking_uri=uri).search_experiments()  # MLflow creates its schema
        _dispose_mlflow_engines()
        admin = sa.create_engine(server.admin_url + "/postgres", isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.exec_driver_sql("CREATE ROLE pwuser LOGIN PASSWORD 'right-pw' SUPERUSER")
            hba = Path(conn.exec_driver_sql("SHOW hba_file").scalar())
            # Only this role needs a password; the rest of the cluster stays trust.
            hba.write_text("host all pwuser 127.0.0.1/32 scram-sha-256\n" + hba.read_text())
            conn.exec_driver_sql("SELECT pg_reload_conf()")
        admin.dispose()
        host = server.admin_url.split("@", 1)[1]
        good = f"postgresql+psycopg://pwuser:right-pw@{host}/mlflowdb"
        SqlStore(good).close()  # the password is the only difference
        bad = f"postgresql+psycopg://pwuser:Wrong-Secret@{host}/mlflowdb"
        with pytest.raises(StoreError, match="password authentication failed") as err:
            SqlStore(bad)
        assert "Wrong-Secret" not in str(err.value)
        line = _one_line_failure(cli("runs", bad, cwd=tmp_path), "cannot connect", "password")
        assert "Wrong-Secret" not in line and "pwuser:***@" in line
        nodb = f"postgresql+psycopg://pwuser:right-pw@{host}/no_such_db"
        line = _one_line_failure(cli("experiments", nodb, cwd=tmp_path), "no_such_db")
        assert "does not exist" in line and "right-pw" not in line

        store = SqlStore(uri)
        assert store.search_experiments().items
        ctx.__exit__(None, None, None)
        stopped = True
        with pytest.raises(StoreError, match="cannot connect to the database") as err:
            store.search_experiments()
        assert err.value.hint
        with pytest.raises(StoreError, match="cannot connect to the database"):
            store.delete_experiment("0")
        store.close()
        _one_line_failure(cli("runs", uri, cwd=tmp_path), "cannot connect to the database")
    finally:
        if not stopped:
            ctx.__exit__(None, None, None)


@pytest.mark.mysql
def test_mariadb_wrong_password_and_unknown_database(
    mariadb_db_server: DatabaseServer, tmp_path: Path
) -> None:
    admin = sa.create_engine(mariadb_db_server.admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql("CREATE USER IF NOT EXISTS 'pwuser'@'%%' IDENTIFIED BY 'right-pw'")
    admin.dispose()
    host = mariadb_db_server.admin_url.split("@", 1)[1]
    bad = f"mysql+pymysql://pwuser:Wrong-Secret@{host}/x"
    line = _one_line_failure(cli("runs", bad, cwd=tmp_path), "cannot connect", "Access denied")
    assert "Wrong-Secret" not in line and "pwuser:***@" in line
    nodb = f"mysql+pymysql://root@{host}/no_such_db"
    _one_line_failure(cli("runs", nodb, cwd=tmp_path), "cannot connect", "no_such_db")
    dead = f"mysql+pymysql://root@127.0.0.1:{free_port()}/x"
    _one_line_failure(cli("runs", dead, cwd=tmp_path), "cannot connect to the database")
