"""SQL store writes against MLflow itself, on twin SQLite, PostgreSQL and MariaDB databases.

A template database per dialect is written once by real MLflow (explicit timestamps
everywhere). Each test copies it twice (`a` and `b`, each with its own artifact tree),
performs an action with tuiflow on `a` and with MlflowClient (or `mlflow gc`) on `b`,
then compares both through MlflowClient and row by row. Timestamps MLflow takes from the
clock ("now") are masked after checking they fall inside the test's time window.
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")

from mlflow import MlflowClient  # noqa: E402
from mlflow.entities import Dataset, DatasetInput, InputTag, ViewType  # noqa: E402

from tuiflow.errors import InvalidArgumentError, NotFoundError, StoreError  # noqa: E402,F401
from tuiflow.stores.sql import SqlStore  # noqa: E402
from tuiflow.stores.sql_write import TESTED_SCHEMAS  # noqa: E402
from tuiflow.stores.writes import WritableStore  # noqa: E402

T0 = 1_600_000_000_000  # every explicit timestamp is near this, far from "now"
DAY = 86_400_000
TABLES = (
    "experiments",
    "experiment_tags",
    "runs",
    "tags",
    "params",
    "metrics",
    "latest_metrics",
    "datasets",
    "inputs",
    "input_tags",
    "registered_models",
    "registered_model_tags",
    "model_versions",
    "model_version_tags",
    "registered_model_aliases",
)


DIALECTS = [
    pytest.param("sqlite", id="sqlite"),
    pytest.param("postgresql", id="postgresql", marks=pytest.mark.postgresql),
    pytest.param("mysql", id="mysql", marks=pytest.mark.mysql),
]


_ENGINES: dict[str, sa.Engine] = {}


def _execute(uri: str, statement: str, *args: Any) -> list[tuple[Any, ...]]:
    """One statement with positional `?` parameters, in its own transaction."""
    engine = _ENGINES.get(uri)
    if engine is None:
        # A pooled engine per database: a new server connection per statement is slow.
        engine = _ENGINES[uri] = sa.create_engine(uri)
    if not uri.startswith("sqlite"):
        statement = statement.replace("?", "%s")
    with engine.begin() as conn:
        result = conn.exec_driver_sql(statement, tuple(args))
        return [tuple(r) for r in result] if result.returns_rows else []


def _dispose(uri: str) -> None:
    engine = _ENGINES.pop(uri, None)
    if engine is not None:
        engine.dispose()


def _populate(root: Path, uri: str) -> dict[str, str]:
    c = MlflowClient(tracking_uri=uri, registry_uri=uri)
    ids: dict[str, str] = {}
    art = root / "art"
    for name in ("alpha", "beta", "gamma"):
        ids[name] = c.create_experiment(
            name, artifact_location=str(art / name), tags={"team": name}
        )
    ids["default"] = "0"

    def run(label: str, exp: str, i: int, status: str | None = "FINISHED") -> str:
        r = c.create_run(ids[exp], start_time=T0 + i * 1000, run_name=f"run-{label}")
        rid = r.info.run_id
        ids[label] = rid
        for step in range(3):
            c.log_metric(
                rid, "loss", 1.0 / (step + 1 + i), timestamp=T0 + i * 1000 + step, step=step
            )
        c.log_param(rid, "lr", str(0.1 * i))
        c.set_tag(rid, "k0", f"v{i}")
        c.log_text(rid, f"artifact of {label}", "notes/a.txt")
        if status:
            c.set_terminated(rid, status, end_time=T0 + i * 1000 + 500)
        return rid

    run("r1", "alpha", 1)
    run("r2", "alpha", 2, status=None)  # stuck RUNNING
    run("r3", "alpha", 3)
    run("r4", "alpha", 4, status="FAILED")
    run("r5", "beta", 5)
    run("r6", "beta", 6)
    run("r7", "gamma", 7)
    run("r0", "default", 8)
    ds = Dataset(name="ds", digest="d1", source_type="local", source="/data/x")
    c.log_inputs(ids["r3"], [DatasetInput(ds, [InputTag("mlflow.data.context", "train")])])
    for label in ("r3", "r4", "r6"):
        c.delete_run(ids[label])
    c.delete_experiment(ids["gamma"])
    c.create_registered_model("m", tags={"t": "1"})
    for _ in range(1, 5):
        c.create_model_version("m", f"runs:/{ids['r1']}/model", run_id=ids["r1"])
    c.transition_model_version_stage("m", "1", "Production")
    c.transition_model_version_stage("m", "2", "Production")
    c.transition_model_version_stage("m", "3", "Staging")
    c.set_registered_model_alias("m", "champion", "1")
    c.set_registered_model_alias("m", "challenger", "3")
    c.delete_model_version("m", "4")
    # Fix every clock-taken time far in the past, so "now" values are recognisable and
    # `older_than` has something old to select.
    for statement, args in (
        ("UPDATE experiments SET creation_time = ?, last_update_time = ?", (T0, T0)),
        (
            "UPDATE runs SET deleted_time = ? WHERE run_uuid IN (?, ?, ?)",
            (T0 + 9000, ids["r4"], ids["r6"], ids["r7"]),
        ),
        ("UPDATE runs SET deleted_time = NULL WHERE run_uuid = ?", (ids["r3"],)),
        ("UPDATE registered_models SET creation_time = ?, last_updated_time = ?", (T0, T0)),
        ("UPDATE model_versions SET creation_time = ?, last_updated_time = ?", (T0, T0)),
    ):
        _execute(uri, statement, *args)
    return ids


@dataclass
class Template:
    dialect: str
    root: Path  # artifacts (and the SQLite file)
    uri: str
    ids: dict[str, str]
    server: Any  # db_servers.DatabaseServer, None for SQLite


@pytest.fixture(scope="module", params=DIALECTS)
def template(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Template:
    dialect = request.param
    root = tmp_path_factory.mktemp(f"tpl-{dialect}")
    server = None
    if dialect == "sqlite":
        uri = f"sqlite:///{root / 'mlflow.db'}"
    else:
        server = request.getfixturevalue(
            "postgres_db_server" if dialect == "postgresql" else "mariadb_db_server"
        )
        uri = server.create_database()
    # The Default experiment's artifacts go to ./mlruns: keep them inside the template.
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(root)
        ids = _populate(root, uri)
    _dispose(uri)  # a PostgreSQL template must have no open sessions
    return Template(dialect, root, uri, ids, server)


@dataclass
class Twin:
    root: Path
    uri: str
    dialect: str
    _client: MlflowClient | None = None

    def client(self) -> MlflowClient:
        # One client per twin: MLflow checks the schema each time it opens a database.
        if self._client is None:
            self._client = MlflowClient(tracking_uri=self.uri, registry_uri=self.uri)
        return self._client

    def sql(self, statement: str, *args: Any) -> list[tuple[Any, ...]]:
        return _execute(self.uri, statement, *args)

    def files(self) -> list[str]:
        # art/ holds the named experiments, mlruns/ the Default experiment's artifacts.
        return sorted(str(p.relative_to(self.root)) for p in self.root.rglob("*") if p.is_file())

    def fail_on(self, event: str, table: str) -> None:
        """Make every `event` (UPDATE/DELETE) on `table` fail with 'injected failure'."""
        if self.dialect == "sqlite":
            self.sql(
                f"CREATE TRIGGER boom BEFORE {event} ON {table} "
                "BEGIN SELECT RAISE(ABORT, 'injected failure'); END"
            )
        elif self.dialect == "postgresql":
            self.sql(
                "CREATE FUNCTION boom() RETURNS trigger LANGUAGE plpgsql AS "
                "$$ BEGIN RAISE EXCEPTION 'injected failure'; END $$"
            )
            self.sql(
                f"CREATE TRIGGER boom BEFORE {event} ON {table} "
                "FOR EACH ROW EXECUTE FUNCTION boom()"
            )
        else:
            self.sql(
                f"CREATE TRIGGER boom BEFORE {event} ON {table} FOR EACH ROW "
                "SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'injected failure'"
            )


def _copy(template: Template, dest: Path) -> Twin:
    shutil.copytree(template.root, dest)
    if template.server is None:
        uri = f"sqlite:///{dest / 'mlflow.db'}"
    else:
        uri = template.server.clone_database(template.uri.rsplit("/", 1)[-1])
    t = Twin(dest, uri, template.dialect)
    old, new = str(template.root), str(dest)
    t.sql("UPDATE experiments SET artifact_location = replace(artifact_location, ?, ?)", old, new)
    t.sql("UPDATE runs SET artifact_uri = replace(artifact_uri, ?, ?)", old, new)
    return t


@pytest.fixture
def twins(
    template: Template, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[Twin, Twin, dict[str, str], SqlStore]]:
    monkeypatch.chdir(tmp_path)  # `mlflow gc` and MLflow's defaults write nothing in the repo
    a, b = _copy(template, tmp_path / "a"), _copy(template, tmp_path / "b")
    store = SqlStore(a.uri)
    try:
        yield a, b, template.ids, store
    finally:
        store.close()
        for twin in (a, b):
            _dispose(twin.uri)
            if template.server is not None:
                template.server.drop_database(twin.uri)


class Window:
    def __init__(self) -> None:
        self.start = int(time.time() * 1000) - 1
        self.end: int | None = None

    def close(self) -> None:
        self.end = int(time.time() * 1000) + 1

    def mask(self, value: Any, root: Path) -> Any:
        """Replace now-stamps (asserting they are in the window) and the twin's path."""
        if isinstance(value, dict):
            return {k: self.mask(v, root) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [self.mask(v, root) for v in value]
        if isinstance(value, str):
            return value.replace(str(root), "<root>")
        if isinstance(value, int) and not isinstance(value, bool) and value > T0 + DAY:
            end = self.end or time.time() * 1000
            assert self.start <= value <= end, f"timestamp {value} outside the test window"
            return "NOW"
        return value


def _snapshot(t: Twin, w: Window) -> dict[str, Any]:
    c = t.client()
    exps = c.search_experiments(view_type=ViewType.ALL)
    runs = c.search_runs([e.experiment_id for e in exps], run_view_type=ViewType.ALL)
    out: dict[str, Any] = {
        "experiments": sorted(
            (
                e.experiment_id,
                e.name,
                e.lifecycle_stage,
                e.last_update_time,
                e.creation_time,
                e.artifact_location,
                e.tags,
            )
            for e in exps
        ),
        "runs": sorted((r.to_dictionary() for r in runs), key=lambda d: d["info"]["run_id"]),
        "models": [
            (
                m.name,
                m.last_updated_timestamp,
                m.aliases,
                sorted(
                    (v.version, v.current_stage, v.last_updated_timestamp)
                    for v in c.search_model_versions(f"name = '{m.name}'")
                ),
            )
            for m in c.search_registered_models()
        ],
        "files": t.files(),
    }
    for table in TABLES:
        rows = t.sql(f"SELECT * FROM {table}")
        out[table] = sorted(rows, key=repr)
    return w.mask(out, t.root)


def _compare(a: Twin, b: Twin, w: Window) -> dict[str, Any]:
    w.close()
    sa_, sb = _snapshot(a, w), _snapshot(b, w)
    for key in sb:
        assert sa_[key] == sb[key], key
    return sa_


def _gc(uri: str, *args: str) -> None:
    from click.testing import CliRunner
    from mlflow.cli import gc

    result = CliRunner().invoke(
        gc, ["--backend-store-uri", uri, *args], env={"MLFLOW_TRACKING_URI": uri}
    )
    assert result.exit_code == 0, result.output + repr(result.exception)


def _mlflow_transition_archive(c: MlflowClient, uri: str) -> None:
    if not uri.startswith("postgresql"):
        c.transition_model_version_stage("m", "3", "Production", True)
        return
    # MLflow 3.17.2 cannot do this on PostgreSQL (test_mlflow_archive_existing_fails_on_
    # postgresql); its steps, one by one, are the semantics tuiflow follows there too.
    for v in c.search_model_versions("name = 'm'"):
        if v.current_stage == "Production" and v.version != "3":
            c.transition_model_version_stage("m", v.version, "Archived")
    c.transition_model_version_stage("m", "3", "Production")


ACTIONS: dict[str, tuple[Callable[..., Any], Callable[..., Any]]] = {
    "delete_runs": (
        lambda s, i, u: s.delete_runs([i["r1"], i["r4"]]),  # r4: deleted again, new time
        lambda c, i, u: (c.delete_run(i["r1"]), c.delete_run(i["r4"])),
    ),
    "restore_runs": (
        lambda s, i, u: s.restore_runs([i["r3"], i["r4"], i["r1"]]),
        lambda c, i, u: [c.restore_run(i[k]) for k in ("r3", "r4", "r1")],
    ),
    "terminate_killed": (
        lambda s, i, u: s.set_run_status(i["r2"], "KILLED", T0 + 99),
        lambda c, i, u: c.set_terminated(i["r2"], "KILLED", end_time=T0 + 99),
    ),
    "terminate_failed_now": (
        lambda s, i, u: s.set_run_status(i["r2"], "FAILED", int(time.time() * 1000)),
        lambda c, i, u: c.set_terminated(i["r2"], "FAILED"),
    ),
    "rename_run": (
        lambda s, i, u: s.rename_run(i["r1"], "renamed"),
        lambda c, i, u: c.update_run(i["r1"], name="renamed"),
    ),
    "set_tag_new": (
        lambda s, i, u: s.set_tag(i["r1"], "new.key", "x y"),
        lambda c, i, u: c.set_tag(i["r1"], "new.key", "x y"),
    ),
    "set_tag_existing": (
        lambda s, i, u: s.set_tag(i["r1"], "k0", ""),
        lambda c, i, u: c.set_tag(i["r1"], "k0", ""),
    ),
    "set_tag_run_name": (
        lambda s, i, u: s.set_tag(i["r5"], "mlflow.runName", "via-tag"),
        lambda c, i, u: c.set_tag(i["r5"], "mlflow.runName", "via-tag"),
    ),
    "delete_tag": (
        lambda s, i, u: s.delete_tag(i["r1"], "k0"),
        lambda c, i, u: c.delete_tag(i["r1"], "k0"),
    ),
    "delete_tag_run_name": (
        lambda s, i, u: s.delete_tag(i["r1"], "mlflow.runName"),
        lambda c, i, u: c.delete_tag(i["r1"], "mlflow.runName"),
    ),
    "delete_experiment": (
        lambda s, i, u: s.delete_experiment(i["alpha"]),
        lambda c, i, u: c.delete_experiment(i["alpha"]),
    ),
    "delete_default_experiment": (
        lambda s, i, u: s.delete_experiment("0"),
        lambda c, i, u: c.delete_experiment("0"),
    ),
    "restore_experiment": (
        lambda s, i, u: s.restore_experiment(i["gamma"]),
        lambda c, i, u: c.restore_experiment(i["gamma"]),
    ),
    "rename_experiment": (
        lambda s, i, u: s.rename_experiment(i["beta"], "beta 2 ✓"),
        lambda c, i, u: c.rename_experiment(i["beta"], "beta 2 ✓"),
    ),
    "transition_archive": (
        lambda s, i, u: s.transition_stage("m", 3, "Production", archive_existing=True),
        lambda c, i, u: _mlflow_transition_archive(c, u),
    ),
    "transition_plain": (
        lambda s, i, u: s.transition_stage("m", 1, "Staging"),
        lambda c, i, u: c.transition_model_version_stage("m", "1", "Staging"),
    ),
    "transition_none": (
        lambda s, i, u: s.transition_stage("m", 2, "None"),
        lambda c, i, u: c.transition_model_version_stage("m", "2", "None"),
    ),
    "alias_move": (
        lambda s, i, u: s.set_alias("m", "champion", 2),
        lambda c, i, u: c.set_registered_model_alias("m", "champion", "2"),
    ),
    "alias_new": (
        lambda s, i, u: s.set_alias("m", "prod-2024", 3),
        lambda c, i, u: c.set_registered_model_alias("m", "prod-2024", "3"),
    ),
    "alias_delete": (
        lambda s, i, u: s.delete_alias("m", "challenger"),
        lambda c, i, u: c.delete_registered_model_alias("m", "challenger"),
    ),
    "alias_delete_missing": (
        lambda s, i, u: s.delete_alias("m", "nobody"),
        lambda c, i, u: c.delete_registered_model_alias("m", "nobody"),
    ),
    "purge_all": (
        lambda s, i, u: s.purge(),
        lambda c, i, u: _gc(u),
    ),
    "purge_older_than": (
        # r5 deleted just now: too young, stays; r4/r6 (old) go.
        lambda s, i, u: (s.delete_runs([i["r5"]]), s.purge(older_than_ms=DAY)),
        lambda c, i, u: (c.delete_run(i["r5"]), _gc(u, "--older-than", "1d")),
    ),
    "purge_runs": (
        lambda s, i, u: s.purge(run_ids=[i["r3"], i["r6"]]),
        lambda c, i, u: _gc(u, "--run-ids", f"{i['r3']},{i['r6']}"),
    ),
    "purge_experiment": (
        lambda s, i, u: s.purge(experiment_ids=[i["gamma"]]),
        lambda c, i, u: _gc(u, "--experiment-ids", i["gamma"]),
    ),
    "delete_then_purge_experiment": (
        lambda s, i, u: (s.delete_experiment(i["alpha"]), s.purge(experiment_ids=[i["alpha"]])),
        lambda c, i, u: (c.delete_experiment(i["alpha"]), _gc(u, "--experiment-ids", i["alpha"])),
    ),
    "delete_then_purge_default_experiment": (
        lambda s, i, u: (s.delete_experiment("0"), s.purge()),
        lambda c, i, u: (c.delete_experiment("0"), _gc(u)),
    ),
}


def test_template_is_writable(twins: tuple[Twin, Twin, dict[str, str], SqlStore]) -> None:
    a, _, _, store = twins
    assert store.capabilities.writable
    assert isinstance(store, WritableStore)
    assert a.sql("SELECT version_num FROM alembic_version") == [(min(TESTED_SCHEMAS),)]


NO_OP = {"alias_delete_missing"}  # MLflow: deleting a missing alias changes nothing


@pytest.mark.parametrize("name", list(ACTIONS))
def test_twin(name: str, twins: tuple[Twin, Twin, dict[str, str], SqlStore]) -> None:
    a, b, ids, store = twins
    tui, mlf = ACTIONS[name]
    w = Window()
    before = _snapshot(a, w)
    tui(store, ids, a.uri)
    mlf(b.client(), ids, b.uri)
    after = _compare(a, b, w)
    assert (after == before) == (name in NO_OP)


def _open(t: Twin) -> SqlStore:
    return SqlStore(t.uri)


def test_purge_report(twins: tuple[Twin, Twin, dict[str, str], SqlStore]) -> None:
    a, _, ids, store = twins
    before = a.files()
    report = store.purge()
    assert set(report.runs) == {ids["r4"], ids["r6"], ids["r7"]}  # r3 has no deleted_time
    assert report.experiments == (ids["gamma"],)
    assert sorted(report.artifact_dirs) == sorted(
        str(a.root / "art" / exp / ids[r] / "artifacts")
        for exp, r in (("alpha", "r4"), ("beta", "r6"), ("gamma", "r7"))
    )
    assert report.skipped == {}
    assert len(a.files()) < len(before)
    assert not (a.root / "art" / "alpha" / ids["r4"] / "artifacts").exists()
    assert (a.root / "art" / "alpha" / ids["r4"]).is_dir()  # MLflow removes only artifacts/


def test_purge_skips_artifacts_outside_root_or_remote(
    twins: tuple[Twin, Twin, dict[str, str], SqlStore],
) -> None:
    a, _, ids, _ = twins
    outside = a.root / "elsewhere"
    (outside / "artifacts").mkdir(parents=True)
    a.sql(
        "UPDATE runs SET artifact_uri = ? WHERE run_uuid = ?", str(outside / "artifacts"), ids["r4"]
    )
    a.sql("UPDATE runs SET artifact_uri = 's3://bucket/x' WHERE run_uuid = ?", ids["r6"])
    store = _open(a)
    try:
        report = store.purge(run_ids=[ids["r4"], ids["r6"]], experiment_ids=())
    finally:
        store.close()
    assert set(report.runs) == {ids["r4"], ids["r6"]}
    assert "outside the artifact root" in report.skipped[f"{ids['r4']} artifacts"]
    assert "not on a local path" in report.skipped[f"{ids['r6']} artifacts"]
    assert (outside / "artifacts").is_dir()
    assert a.sql("SELECT count(*) FROM runs WHERE run_uuid IN (?, ?)", ids["r4"], ids["r6"]) == [
        (0,)
    ]


def test_purge_runs_only_with_empty_experiment_list(
    twins: tuple[Twin, Twin, dict[str, str], SqlStore],
) -> None:
    a, _, ids, store = twins
    report = store.purge(run_ids=[ids["r3"]], experiment_ids=[])
    assert report.runs == (ids["r3"],) and report.experiments == ()
    assert a.sql("SELECT lifecycle_stage FROM experiments WHERE experiment_id = ?", ids["gamma"])
    assert a.sql("SELECT count(*) FROM runs WHERE run_uuid = ?", ids["r7"]) == [(1,)]
    assert a.sql("SELECT count(*) FROM metrics WHERE run_uuid = ?", ids["r3"]) == [(0,)]
    # MLflow leaves dataset inputs of a purged run (no foreign key): so does tuiflow.
    assert a.sql("SELECT count(*) FROM inputs WHERE destination_id = ?", ids["r3"]) == [(1,)]


def _rows(t: Twin) -> dict[str, list[Any]]:
    return {table: sorted(t.sql(f"SELECT * FROM {table}"), key=repr) for table in TABLES}


# (call, error type, text in the message) -- MLflow's own refusals on its SQL store.
ERRORS: dict[str, tuple[Callable[[SqlStore, dict[str, str]], Any], type, str]] = {
    "delete_missing_run": (
        lambda s, i: s.delete_runs([i["r1"], "f" * 32]),
        NotFoundError,
        "f" * 32,
    ),
    "restore_missing_run": (lambda s, i: s.restore_runs(["nope"]), NotFoundError, "id=nope"),
    "tag_deleted_run": (
        lambda s, i: s.set_tag(i["r3"], "k", "v"),
        InvalidArgumentError,
        "must be in the 'active' state",
    ),
    "terminate_deleted_run": (
        lambda s, i: s.set_run_status(i["r4"], "KILLED", T0),
        InvalidArgumentError,
        "Current state is deleted",
    ),
    "rename_deleted_run": (lambda s, i: s.rename_run(i["r3"], "x"), InvalidArgumentError, "active"),
    "delete_missing_tag": (
        lambda s, i: s.delete_tag(i["r1"], "absent"),
        NotFoundError,
        "No tag with name: absent",
    ),
    "delete_deleted_experiment": (
        lambda s, i: s.delete_experiment(i["gamma"]),
        NotFoundError,
        "No Experiment with id=3 exists",
    ),
    "restore_active_experiment": (
        lambda s, i: s.restore_experiment(i["alpha"]),
        NotFoundError,
        "No Experiment with id=1",
    ),
    "bad_experiment_id": (lambda s, i: s.delete_experiment("x"), InvalidArgumentError, "'x'"),
    "rename_to_existing": (
        lambda s, i: s.rename_experiment(i["beta"], "gamma"),  # deleted names stay taken
        InvalidArgumentError,
        "Experiment(name=gamma) already exists.",
    ),
    "rename_deleted_experiment": (
        lambda s, i: s.rename_experiment(i["gamma"], "new"),
        InvalidArgumentError,
        "Cannot rename a non-active experiment.",
    ),
    "transition_deleted_version": (
        lambda s, i: s.transition_stage("m", 4, "Staging"),
        NotFoundError,
        "Model Version (name=m, version=4) not found",
    ),
    "transition_archive_to_archived": (
        lambda s, i: s.transition_stage("m", 1, "Archived", archive_existing=True),
        InvalidArgumentError,
        "is not an Active stage",
    ),
    "alias_to_deleted_version": (
        lambda s, i: s.set_alias("m", "x", 4),
        NotFoundError,
        "version=4",
    ),
    "alias_on_missing_model": (
        lambda s, i: s.delete_alias("nope", "x"),
        NotFoundError,
        "Registered Model with name=nope not found",
    ),
}


@pytest.mark.parametrize("name", list(ERRORS))
def test_refusals_change_nothing(
    name: str, twins: tuple[Twin, Twin, dict[str, str], SqlStore]
) -> None:
    a, _, ids, store = twins
    call, error, text = ERRORS[name]
    before = _rows(a)
    with pytest.raises(error) as info:
        call(store, ids)
    assert text in str(info.value)
    assert _rows(a) == before


def test_untested_schema_reads_but_refuses_writes(
    twins: tuple[Twin, Twin, dict[str, str], SqlStore],
) -> None:
    a, _, ids, _ = twins
    a.sql("UPDATE alembic_version SET version_num = 'ffffeeee0000'")
    store = _open(a)
    try:
        assert not store.capabilities.writable
        assert store.get_run(ids["r1"]).run_name == "run-r1"
        assert len(store.search_runs([ids["alpha"]]).items) == 2
        before = _rows(a)
        calls: list[Callable[[], Any]] = [
            lambda: store.delete_runs([ids["r1"]]),
            lambda: store.restore_runs([ids["r3"]]),
            lambda: store.set_run_status(ids["r2"], "KILLED", T0),
            lambda: store.rename_run(ids["r1"], "x"),
            lambda: store.set_tag(ids["r1"], "a", "b"),
            lambda: store.delete_tag(ids["r1"], "k0"),
            lambda: store.delete_experiment(ids["alpha"]),
            lambda: store.restore_experiment(ids["gamma"]),
            lambda: store.rename_experiment(ids["alpha"], "z"),
            lambda: store.purge(),
            lambda: store.transition_stage("m", 1, "Archived"),
            lambda: store.set_alias("m", "a", 1),
            lambda: store.delete_alias("m", "champion"),
        ]
        for call in calls:
            with pytest.raises(StoreError) as info:
                call()
            assert "ffffeeee0000" in str(info.value) and "dc11669786a5" in str(info.value)
        assert _rows(a) == before
    finally:
        store.close()


def test_failure_mid_experiment_delete_rolls_back(
    twins: tuple[Twin, Twin, dict[str, str], SqlStore],
) -> None:
    a, _, ids, store = twins
    # The runs are flipped first; the experiment update then fails.
    a.fail_on("UPDATE", "experiments")
    before = _rows(a)
    with pytest.raises(StoreError, match="injected failure"):
        store.delete_experiment(ids["alpha"])
    assert _rows(a) == before


def test_failure_mid_purge_rolls_back_and_keeps_artifacts(
    twins: tuple[Twin, Twin, dict[str, str], SqlStore],
) -> None:
    a, _, ids, store = twins
    a.fail_on("DELETE", "experiments")
    before, files = _rows(a), a.files()
    with pytest.raises(StoreError, match="injected failure"):
        store.purge()
    assert _rows(a) == before
    assert a.files() == files


def test_failure_mid_transition_rolls_back(
    twins: tuple[Twin, Twin, dict[str, str], SqlStore],
) -> None:
    a, _, ids, store = twins
    # Archiving v1/v2 succeeds, stamping the model fails.
    a.fail_on("UPDATE", "registered_models")
    before = _rows(a)
    with pytest.raises(StoreError, match="injected failure"):
        store.transition_stage("m", 3, "Production", archive_existing=True)
    assert _rows(a) == before


def test_purge_skips_what_gc_would_refuse(
    twins: tuple[Twin, Twin, dict[str, str], SqlStore],
) -> None:
    a, _, ids, store = twins
    before = _rows(a)
    report = store.purge(
        older_than_ms=DAY,
        run_ids=[ids["r1"], ids["r3"], "f" * 32],  # active; no deleted_time; missing
        experiment_ids=[ids["alpha"], "99", "x"],
    )
    assert report.runs == () and report.experiments == () and report.artifact_dirs == ()
    assert report.skipped == {
        ids["r1"]: "not in `deleted` lifecycle stage",
        ids["r3"]: "not older than the required age",
        "f" * 32: "not found",
        ids["alpha"]: "not deleted",
        "99": "not found",
        "x": "not found",
    }
    assert _rows(a) == before


def test_purge_keeps_a_deleted_experiment_holding_a_restored_run(
    twins: tuple[Twin, Twin, dict[str, str], SqlStore],
) -> None:
    a, _, ids, store = twins
    store.restore_runs([ids["r7"]])  # MLflow allows restoring a run of a deleted experiment
    report = store.purge(experiment_ids=[ids["gamma"]])
    assert report.experiments == ()
    assert report.skipped == {ids["gamma"]: f"runs not purged: {ids['r7']}"}
    assert a.sql("SELECT lifecycle_stage FROM runs WHERE run_uuid = ?", ids["r7"]) == [("active",)]
    assert a.sql("SELECT count(*) FROM experiments WHERE experiment_id = ?", ids["gamma"]) == [(1,)]


@pytest.mark.postgresql
@pytest.mark.parametrize("template", ["postgresql"], indirect=True)
def test_mlflow_archive_existing_fails_on_postgresql(
    twins: tuple[Twin, Twin, dict[str, str], SqlStore],
) -> None:
    """A canary: when MLflow fixes `version != '3'` (integer vs varchar) on PostgreSQL,
    `_mlflow_transition_archive` can go back to the one call."""
    from mlflow.exceptions import MlflowException

    _, b, _, _ = twins
    with pytest.raises(MlflowException, match="operator does not exist: integer <> character"):
        b.client().transition_model_version_stage("m", "3", "Production", True)
