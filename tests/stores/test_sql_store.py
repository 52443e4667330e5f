"""SqlStore against SQLite databases written by real MLflow, with MlflowClient as oracle.

SQL-specific: filters and order_by pushed down to SQL must return exactly MLflow's SQL
store ids in MLflow's order (NaN/inf placement, tie-breakers, paging tokens), SQL-only
rejections, entity contents, older schemas, connection errors and batched loading.
"""

from __future__ import annotations

import math
import os
import shutil
import sqlite3
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/ for mlflow_data

import mlflow_data  # noqa: E402
from mlflow import MlflowClient  # noqa: E402
from mlflow.entities import ViewType as MlflowViewType  # noqa: E402
from mlflow.exceptions import MlflowException  # noqa: E402

from tuiflow.entities import ViewType  # noqa: E402
from tuiflow.errors import InvalidArgumentError, NotFoundError, QueryError, StoreError  # noqa: E402
from tuiflow.stores.base import Store  # noqa: E402
from tuiflow.stores.sql import SqlStore  # noqa: E402

VIEWS = [
    (ViewType.ACTIVE_ONLY, MlflowViewType.ACTIVE_ONLY),
    (ViewType.DELETED_ONLY, MlflowViewType.DELETED_ONLY),
    (ViewType.ALL, MlflowViewType.ALL),
]
PROMPT_TAG = "mlflow.prompt.is_prompt"


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """The contract dataset plus SQL-specific extras (prompts, remote artifact roots,
    a dataset logged through the fluent `mlflow.log_input`)."""
    import mlflow
    import pandas as pd

    root = tmp_path_factory.mktemp("sqlstore")
    uri = f"sqlite:///{root / 'mlflow.db'}"
    old = Path.cwd()
    os.chdir(root)
    try:
        ids = mlflow_data.populate(uri)
        client = MlflowClient(tracking_uri=uri, registry_uri=uri)
        mlflow.set_tracking_uri(uri)
        mlflow.set_registry_uri(uri)
        mlflow.genai.register_prompt("my-prompt", "Hello {{name}}", tags={"team": "ml"})
        remote = {}
        for name, loc in (("served", "mlflow-artifacts:/served"), ("s3exp", "s3://bucket/x")):
            eid = client.create_experiment(name, artifact_location=loc)
            remote[name] = client.create_run(eid, start_time=1).info.run_id
        fluent = client.create_experiment("fluent")
        with mlflow.start_run(experiment_id=fluent) as run:
            frame = pd.DataFrame({"x": [1, 2], "y": ["a", "b"]})
            mlflow.log_input(mlflow.data.from_pandas(frame, name="frame"), context="training")
            mlflow.log_metric("m/with slash", 1.5)
        ids.update(remote=remote, fluent_exp=fluent, fluent_run=run.info.run_id)
    finally:
        os.chdir(old)
    store = SqlStore(uri)
    yield {"uri": uri, "root": root, "ids": ids, "client": client, "store": store}
    store.close()


@pytest.fixture(scope="module")
def store(db: dict[str, Any]) -> SqlStore:
    return db["store"]


@pytest.fixture(scope="module")
def client(db: dict[str, Any]) -> MlflowClient:
    return db["client"]


def _exp_ids(db: dict[str, Any]) -> list[str]:
    e = db["ids"]["experiments"]
    return [e[mlflow_data.MAIN], e[mlflow_data.SECOND], e[mlflow_data.GONE]]


def _all_run_ids(fetch: Any) -> list[str]:
    out: list[str] = []
    token = None
    while True:
        items, token = fetch(token)
        out.extend(items)
        if not token:
            return out


def _tuiflow_runs(
    store: SqlStore,
    exp: list[str],
    f: str | None,
    order: list[str],
    view: ViewType,
    page: int = 1000,
) -> list[str]:
    def fetch(token: str | None) -> tuple[list[str], str | None]:
        p = store.search_runs(exp, f, order, view, max_results=page, page_token=token)
        return [r.run_id for r in p], p.next_page_token

    return _all_run_ids(fetch)


def _mlflow_runs(
    client: MlflowClient,
    exp: list[str],
    f: str | None,
    order: list[str],
    view: Any,
    page: int = 1000,
) -> list[str]:
    def fetch(token: str | None) -> tuple[list[str], str | None]:
        p = client.search_runs(exp, f or "", view, page, order or None, token)
        return [r.info.run_id for r in p], p.token

    return _all_run_ids(fetch)


def test_is_a_store(store: SqlStore) -> None:
    assert isinstance(store, Store)
    assert store.capabilities.aliases and store.capabilities.registry
    assert store.display_uri.startswith("sqlite:///")


RUN_FILTERS = [
    None,
    "metrics.acc > 0.8",
    "metric.acc >= 0.94",
    "metrics.acc>=0.5",
    'metrics."legit name" >= 0.243',
    "metrics.`spacey name` > 5",
    'metrics."accuracy.2.0" > 5',
    'metrics."X-Y-Z" = 3',
    "metrics.loss != 1",
    "metrics.loss = 0",
    "metrics.loss > -1",
    "metrics.loss < 100",
    "metrics.v != 0",
    "metrics.v = 0",
    "metrics.v > 1e308",
    "metrics.v < -1e308",
    "metrics.v >= 0",
    "metrics.acc > 1e-1",
    "metrics.acc > .5",
    "metrics.acc > 0.5 AND metrics.acc < 0.95",
    "`metrics`.acc > 0.6",
    "metrics.`train/acc` > 0.5",
    "metrics.`über` = 1.5",
    "metrics.`数据` > 2",
    "params.model = 'LinearRegression'",
    'params.model = "LinearRegression"',
    "param.model != 'RandomForest'",
    "parameters.lr = '0.01'",
    "params.`cat dog` = 'pets'",
    'params.m = "L\'Hosp"',
    "params.model LIKE 'Linear%'",
    "params.model LIKE 'linear%'",
    "params.model ILIKE 'linear%'",
    "params.model LIKE 'R_ndomForest'",
    "params.lr IS NULL",
    "params.lr IS NOT NULL",
    "params.empty = ''",
    "params.`path/to/p` = 'x/y'",
    "params.`über` = 'ü'",
    "params.multi LIKE 'line1%'",
    "tags.env = 'prod'",
    "tags.env != 'prod'",
    "tags.env ILIKE 'PROD'",
    "tags.env LIKE 'P%'",
    'tags."t.a.g" = "a"',
    "tags.`mlflow.runName` = 'alpha'",
    "tags.mlflow.runName = 'alpha'",
    "tags.version IS NULL",
    "tags.empty_tag IS NOT NULL",
    "tags.pct LIKE '50%'",
    "tags.`dir/tag` = 'y'",
    "tags.mlflow.parentRunId IS NOT NULL",
    "attributes.status = 'FINISHED'",
    "attributes.status = 'finished'",
    'run.status = "RUNNING"',
    "attributes.status ILIKE 'fin%'",
    "attributes.status != 'FINISHED'",
    "run_name = 'alpha'",
    "attr.run_name = 'alpha'",
    "attributes.`Run name` = 'alpha'",
    "attributes.run_name LIKE '%a'",
    "attributes.run_name ILIKE 'BETA%'",
    "attributes.start_time > 1500",
    "attributes.created >= 2000",
    "created < 2000",
    "attributes.Created <= 1000",
    "attributes.end_time > 0",
    "attributes.end_time < 2600",
    "attributes.start_time = 4000",
    "attributes.user_id = 'unknown'",
    "attributes.artifact_uri LIKE '%artifacts'",
    "datasets.name = 'mydata'",
    "dataset.digest IN ('abc123','zzz')",
    "datasets.digest NOT IN ('abc123')",
    "datasets.context = 'training'",
    "datasets.context IN ('eval')",
    "datasets.name = 'mydata' AND datasets.context = 'training'",
    "datasets.name = 'name1' AND datasets.digest = 'digest2'",
    "datasets.name LIKE 'my%'",
    "datasets.name != 'mydata'",
    "metrics.acc > 0.5 and params.model = 'LinearRegression'",
    "params.model = 'LinearRegression' AND",
    "metrics.acc > 0.5\tAND\tparams.lr = '0.01'",
    "metrics.acc > 0 AND tags.env LIKE '%rod' AND attributes.status = 'FINISHED'",
]


@pytest.mark.parametrize("flt", RUN_FILTERS)
@pytest.mark.parametrize("view", VIEWS, ids=lambda v: v[0].value)
def test_run_filters_match_mlflow(db: dict[str, Any], flt: str | None, view: Any) -> None:
    exp = _exp_ids(db)
    got = _tuiflow_runs(db["store"], exp, flt, [], view[0])
    want = _mlflow_runs(db["client"], exp, flt, [], view[1])
    assert got == want


def test_run_id_lists(db: dict[str, Any], store: SqlStore, client: MlflowClient) -> None:
    r = db["ids"]["runs"]
    exp = _exp_ids(db)
    for flt in (
        f"attributes.run_id IN ('{r['A']}', \"{r['B']}\")",
        f"attributes.run_id NOT IN ('{r['A']}')",
        f"attributes.run_id = '{r['C']}'",
        f"tags.mlflow.parentRunId = '{r['D']}'",
    ):
        assert _tuiflow_runs(store, exp, flt, [], ViewType.ALL) == _mlflow_runs(
            client, exp, flt, [], MlflowViewType.ALL
        ), flt


RUN_ORDERS = [
    ["metrics.loss ASC"],
    ["metrics.loss DESC"],
    ["metrics.acc"],
    ["metrics.acc DESC"],
    ["metrics.v"],
    ["metrics.v DESC"],
    ["metrics.`legit name` DESC"],
    ["params.model"],
    ["params.model DESC", "metrics.acc ASC"],
    ["tags.env desc"],
    ["tags.env", "start_time ASC"],
    ["attributes.run_name"],
    ["run_name DESC"],
    ["created"],
    ["attributes.start_time DESC"],
    ["attributes.status"],
    ["attributes.end_time"],
    ["attributes.end_time DESC"],
    ["tags.`mlflow.runName`"],
    ["attributes.run_id DESC"],
    ["attributes.user_id", "metrics.acc DESC"],
    ["params.empty DESC"],
]


@pytest.mark.parametrize("order", RUN_ORDERS, ids=lambda o: ",".join(o))
def test_run_order_by_matches_mlflow(db: dict[str, Any], order: list[str]) -> None:
    exp = _exp_ids(db)
    for view in VIEWS:
        got = _tuiflow_runs(db["store"], exp, None, order, view[0])
        assert got == _mlflow_runs(db["client"], exp, None, order, view[1]), view


@pytest.mark.parametrize(
    ("flt", "order"),
    [
        (None, []),
        ("metrics.acc > -10", ["metrics.acc DESC"]),
        ("tags.env IS NOT NULL", ["tags.env", "metrics.v DESC"]),
        ("params.model IS NOT NULL", ["params.model DESC"]),
    ],
)
def test_paging_matches_mlflow_tokens(
    db: dict[str, Any], flt: str | None, order: list[str]
) -> None:
    store, client, exp = db["store"], db["client"], _exp_ids(db)
    token = mtoken = None
    seen = 0
    while True:
        ours = store.search_runs(exp, flt, order, ViewType.ALL, max_results=3, page_token=token)
        theirs = client.search_runs(exp, flt or "", MlflowViewType.ALL, 3, order or None, mtoken)
        assert [r.run_id for r in ours] == [r.info.run_id for r in theirs]
        assert ours.next_page_token == _tok(theirs.token)
        seen += len(ours)
        token, mtoken = ours.next_page_token, theirs.token
        if not token:
            break
    assert seen > 3


def _tok(token: Any) -> str | None:
    """MLflow's SQL store hands out bytes tokens; compare them as text."""
    return token.decode() if isinstance(token, bytes) else token


def _same_float(a: float, b: float) -> bool:
    return (math.isnan(a) and math.isnan(b)) or a == b


def test_get_run_full_contents(db: dict[str, Any], store: SqlStore, client: MlflowClient) -> None:
    run_ids = [*db["ids"]["runs"].values(), db["ids"]["fluent_run"]]
    for run_id in run_ids:
        ours, theirs = store.get_run(run_id), client.get_run(run_id)
        info = theirs.info
        assert (ours.run_id, ours.experiment_id, ours.run_name, ours.user_id, ours.status) == (
            info.run_id,
            info.experiment_id,
            info.run_name,
            info.user_id,
            info.status,
        )
        assert (ours.start_time, ours.end_time, ours.lifecycle_stage, ours.artifact_uri) == (
            info.start_time,
            info.end_time,
            info.lifecycle_stage,
            info.artifact_uri,
        )
        assert ours.params == theirs.data.params
        assert ours.tags == theirs.data.tags
        want_metrics = {m.key: m for m in theirs.data._metric_objs}
        assert set(ours.metrics) == set(want_metrics)
        for key, m in ours.metrics.items():
            w = want_metrics[key]
            assert _same_float(m.value, w.value), key
            assert (m.timestamp, m.step) == (w.timestamp, w.step)

        def inputs(items: Any) -> list[tuple]:
            return sorted(
                (
                    d.dataset.name,
                    d.dataset.digest,
                    d.dataset.source_type,
                    d.dataset.source,
                    d.dataset.schema,
                    d.dataset.profile,
                    tuple(sorted(d.tags.items())),
                )
                for d in items
            )

        want_inputs = [
            type("I", (), {"dataset": i.dataset, "tags": {t.key: t.value for t in i.tags}})
            for i in theirs.inputs.dataset_inputs
        ]
        assert inputs(ours.inputs) == inputs(want_inputs)


def test_nan_and_inf_values(db: dict[str, Any], store: SqlStore) -> None:
    r = db["ids"]["runs"]
    assert math.isnan(store.get_run(r["A"]).metrics["loss"].value)
    assert store.get_run(r["E"]).metrics["acc"].value == 1.7976931348623157e308
    assert store.get_run(r["E"]).metrics["v"].value == -1.7976931348623157e308
    assert store.get_run(r["doomed"]).lifecycle_stage == "deleted"
    assert store.get_run(r["doomed"]).deleted_time is not None
    fluent = store.get_run(db["ids"]["fluent_run"])
    assert fluent.inputs[0].dataset.name == "frame" and fluent.inputs[0].context == "training"
    assert fluent.inputs[0].dataset.schema  # pandas datasets carry a schema


def test_metric_history(db: dict[str, Any], store: SqlStore, client: MlflowClient) -> None:
    r = db["ids"]["runs"]
    for label, key in (("A", "loss"), ("A", "acc"), ("D", "acc"), ("E", "v"), ("B", "nope")):
        ours = store.get_metric_history(r[label], key)
        theirs = client.get_metric_history(r[label], key)
        assert [(m.step, m.timestamp) for m in ours] == [(m.step, m.timestamp) for m in theirs]
        assert all(_same_float(a.value, b.value) for a, b in zip(ours, theirs, strict=True))
    with pytest.raises(NotFoundError):
        store.get_metric_history("0" * 32, "acc")


def test_get_run_missing(store: SqlStore) -> None:
    with pytest.raises(NotFoundError, match="not found"):
        store.get_run("f" * 32)


@pytest.mark.parametrize(
    ("flt", "order", "match"),
    [
        (None, ["metrics.acc ASC", "metrics.acc DESC"], "duplicate fields"),
        (None, ["created", "attributes.start_time DESC"], "duplicate fields"),
        (None, ["datasets.name"], "dataset"),
        ("metrics.acc IS NULL", [], "IS NULL"),
        ("attributes.status IN ('FINISHED')", [], "run_id"),
        ("params.lr > '0.01'", [], "comparator"),
    ],
)
def test_run_rejections_like_mlflow_sql(
    db: dict[str, Any], flt: str | None, order: list[str], match: str
) -> None:
    exp = _exp_ids(db)
    with pytest.raises(MlflowException):
        db["client"].search_runs(exp, flt or "", MlflowViewType.ALL, 10, order)
    with pytest.raises(QueryError, match=match):
        db["store"].search_runs(exp, flt, order, ViewType.ALL, max_results=10)


def test_non_integer_experiment_id_rejected(store: SqlStore, client: MlflowClient) -> None:
    with pytest.raises(MlflowException):
        client.search_runs(["abc"])
    with pytest.raises(InvalidArgumentError, match="must be a valid integer"):
        store.search_runs(["abc"])
    assert len(store.search_runs(["12345"])) == 0


def test_bad_max_results_and_token(store: SqlStore) -> None:
    with pytest.raises(QueryError, match="at most 50000"):
        store.search_runs(["0"], max_results=50001)
    with pytest.raises(QueryError, match="Invalid page token"):
        store.search_runs(["0"], page_token="bm90IGpzb24=")


def test_page_loads_children_in_batches(db: dict[str, Any], store: SqlStore) -> None:
    """Query count does not grow with the page size (no N+1)."""
    import sqlalchemy as sa

    counter = {"n": 0}

    def count(*_a: Any) -> None:
        counter["n"] += 1

    sa.event.listen(store._engine, "before_cursor_execute", count)
    try:
        sizes = {}
        for page in (1, 3, 1000):
            counter["n"] = 0
            p = store.search_runs(_exp_ids(db), None, [], ViewType.ALL, max_results=page)
            sizes[len(p)] = counter["n"]
    finally:
        sa.event.remove(store._engine, "before_cursor_execute", count)
    assert len(set(sizes.values())) == 1, sizes
    assert max(sizes) > 10


EXTENDED = [  # tuiflow's OR/NOT extension, checked by set algebra over MLflow's own answers
    (
        "metrics.acc > 0.5 OR params.model = 'RandomForest'",
        lambda q: q("metrics.acc > 0.5") | q("params.model = 'RandomForest'"),
    ),
    ("NOT metrics.loss > 0", lambda q: q(None) - q("metrics.loss > 0")),
    ("NOT attributes.end_time > 0", lambda q: q(None) - q("attributes.end_time > 0")),
    ("NOT tags.env = 'prod'", lambda q: q(None) - q("tags.env = 'prod'")),
    (
        "(tags.env = 'prod' OR tags.env = 'Prod') AND NOT params.lr IS NULL",
        lambda q: (q("tags.env = 'prod'") | q("tags.env = 'Prod'")) & q("params.lr IS NOT NULL"),
    ),
    (
        "NOT (datasets.context = 'eval' OR run_name LIKE '%a')",
        lambda q: q(None) - q("datasets.context = 'eval'") - q("run_name LIKE '%a'"),
    ),
]


@pytest.mark.parametrize(("text", "expected"), EXTENDED, ids=[t for t, _ in EXTENDED])
def test_extended_syntax_compiles_with_two_valued_logic(
    db: dict[str, Any], text: str, expected: Any
) -> None:
    import sqlalchemy as sa

    from tuiflow.query.parser import parse_run_filter
    from tuiflow.query.sql import RunCompiler

    store, exp = db["store"], _exp_ids(db)
    runs = store._schema.t("runs")
    where = RunCompiler(store._schema).where(parse_run_filter(text, extended=True))
    q = sa.select(runs.c.run_uuid).where(
        runs.c.experiment_id.in_([int(e) for e in exp]), runs.c.lifecycle_stage == "active", where
    )
    with store._engine.connect() as conn:
        got = {row[0] for row in conn.execute(q)}

    def mlflow_ids(flt: str | None) -> set[str]:
        return set(_mlflow_runs(db["client"], exp, flt, [], MlflowViewType.ACTIVE_ONLY))

    assert got == expected(mlflow_ids)


# -- experiments -------------------------------------------------------------------------------

EXPERIMENT_FILTERS = [
    None,
    "name = 'contract-main'",
    "name = 'CONTRACT-MAIN'",
    "name LIKE 'contract%'",
    "name ILIKE 'CONTRACT%'",
    "attribute.name != 'Default'",
    "tags.team = 'ml'",
    "tag.team != 'ml'",
    "tags.`nested/tag` = 'v'",
    "tags.\"nested/tag\" LIKE 'v%'",
    "tags.team IS NULL",
    "tags.team IS NOT NULL",
    "tags.empty = ''",
    "creation_time > 0",
    "last_update_time >= 0",
    "experiment_id = '0'",
    "experiment_id IN ('0', '2')",
    "experiment_id NOT IN ('0')",
    "experiment_id != '0'",
]
EXPERIMENT_ORDERS = [
    [],
    ["name"],
    ["name DESC"],
    ["experiment_id DESC"],
    ["creation_time ASC"],
    ["last_update_time DESC", "name"],
]


@pytest.mark.parametrize("flt", EXPERIMENT_FILTERS)
def test_experiment_filters_match_mlflow(
    store: SqlStore, client: MlflowClient, flt: str | None
) -> None:
    for ours_view, their_view in VIEWS:
        for order in EXPERIMENT_ORDERS:
            ours = store.search_experiments(ours_view, flt, order, max_results=1000)
            theirs = client.search_experiments(their_view, 1000, flt, order or None)
            assert [e.experiment_id for e in ours] == [e.experiment_id for e in theirs], (
                ours_view,
                order,
            )


def test_experiment_contents_and_paging(store: SqlStore, client: MlflowClient) -> None:
    token = mtoken = None
    while True:
        ours = store.search_experiments(ViewType.ALL, None, [], max_results=2, page_token=token)
        theirs = client.search_experiments(MlflowViewType.ALL, 2, None, None, mtoken)
        assert ours.next_page_token == _tok(theirs.token)
        for a, b in zip(ours, theirs, strict=True):
            assert (a.experiment_id, a.name, a.artifact_location, a.lifecycle_stage) == (
                b.experiment_id,
                b.name,
                b.artifact_location,
                b.lifecycle_stage,
            )
            assert (a.creation_time, a.last_update_time, dict(a.tags)) == (
                b.creation_time,
                b.last_update_time,
                b.tags,
            )
        token, mtoken = ours.next_page_token, theirs.token
        if not token:
            break
    gone = store.get_experiment_by_name(mlflow_data.GONE)
    assert gone is not None and gone.lifecycle_stage == "deleted"
    assert store.get_experiment(gone.experiment_id) == gone
    assert store.get_experiment_by_name("no such") is None
    with pytest.raises(NotFoundError):
        store.get_experiment("99999")
    with pytest.raises(NotFoundError):
        store.get_experiment("abc")


@pytest.mark.parametrize(
    ("flt", "match"),
    [
        ("creation_time > 1.5", "Invalid value for numeric attribute 'creation_time': '1.5'"),
        ("experiment_id = 'abc'", "must be a valid integer"),
    ],
)
def test_experiment_sql_only_rejections(
    store: SqlStore, client: MlflowClient, flt: str, match: str
) -> None:
    with pytest.raises(MlflowException, match=match.replace("(", r"\(")):
        client.search_experiments(filter_string=flt)
    with pytest.raises(QueryError, match=match.replace("(", r"\(")):
        store.search_experiments(filter=flt)


# -- model registry -----------------------------------------------------------------------------

RM_FILTERS = [
    None,
    "name = 'Alpha-Model'",
    "name = 'alpha-model'",
    "name LIKE 'Alpha%'",
    "name ILIKE 'alpha%'",
    "name != 'beta_model'",
    "name IN ('Alpha-Model','x')",
    "name NOT IN ('Alpha-Model')",
    "tags.team = 'ml'",
    "tags.`mlflow.x` = '1'",
    "tags.team LIKE 'm%'",
    "tags.team = 'ml' AND name LIKE '%Model'",
    f"tags.`{PROMPT_TAG}` = 'true'",
    f"tags.`{PROMPT_TAG}` = 'false'",
    f"tags.`{PROMPT_TAG}` = 'true' AND tags.team = 'ml'",
]
RM_ORDERS = [
    [],
    ["name DESC"],
    ["timestamp DESC"],
    ["last_updated_timestamp"],
    ["last_updated_timestamp DESC", "name"],
]


@pytest.mark.parametrize("flt", RM_FILTERS)
def test_registered_models_match_mlflow(
    store: SqlStore, client: MlflowClient, flt: str | None
) -> None:
    for order in RM_ORDERS:
        ours = store.search_registered_models(flt, order, max_results=1000)
        theirs = client.search_registered_models(flt, 1000, order or None)
        assert [m.name for m in ours] == [m.name for m in theirs], order
        for a, b in zip(ours, theirs, strict=True):
            assert (a.creation_timestamp, a.last_updated_timestamp, a.description) == (
                b.creation_timestamp,
                b.last_updated_timestamp,
                b.description,
            )
            # MLflow's Python entity hides the prompt tag; its REST JSON (and tuiflow) keep it.
            assert {k: v for k, v in a.tags.items() if k != PROMPT_TAG} == b.tags
            assert dict(a.aliases) == {k: int(v) for k, v in b.aliases.items()}
            assert sorted((v.version, v.current_stage) for v in a.latest_versions) == sorted(
                (int(v.version), v.current_stage) for v in b.latest_versions
            )


MV_FILTERS = [
    None,
    "name = 'Alpha-Model'",
    "name ILIKE 'ALPHA%'",
    "source_path = 's3://bucket/a/1'",
    "source_path LIKE 's3://bucket/a/%'",
    "version_number > 1",
    "version_number = 2",
    "name = 'Alpha-Model' AND version_number <= 2",
    "tags.v = '2'",
    "name = 'Alpha-Model' AND tags.v != '0'",
    "tags.`数据` = '值'",
    "name IN ('beta_model', 'x')",
    f"tags.`{PROMPT_TAG}` = 'true'",
]
MV_ORDERS = [
    [],
    ["name"],
    ["version_number DESC"],
    ["creation_timestamp"],
    ["last_updated_timestamp ASC", "name DESC"],
]


@pytest.mark.parametrize("flt", MV_FILTERS)
def test_model_versions_match_mlflow(
    store: SqlStore, client: MlflowClient, flt: str | None
) -> None:
    for order in MV_ORDERS:
        ours = store.search_model_versions(flt, order)
        theirs = client.search_model_versions(flt, order_by=order or None)
        assert [(v.name, v.version) for v in ours] == [(v.name, int(v.version)) for v in theirs], (
            order
        )
        for a, b in zip(ours, theirs, strict=True):
            assert (a.current_stage, a.source, a.run_id, a.status, a.description) == (
                b.current_stage,
                b.source,
                b.run_id,
                b.status,
                b.description,
            )
            assert (a.creation_timestamp, a.last_updated_timestamp) == (
                b.creation_timestamp,
                b.last_updated_timestamp,
            )
            assert dict(a.tags) == b.tags


def test_model_version_run_id_filters(
    db: dict[str, Any], store: SqlStore, client: MlflowClient
) -> None:
    r = db["ids"]["runs"]
    for flt in (
        f"run_id = '{r['A']}'",
        f"run_id IN ('{r['A']}','{r['B']}')",
        f"run_id NOT IN ('{r['A']}')",
    ):
        assert [(v.name, v.version) for v in store.search_model_versions(flt)] == [
            (v.name, int(v.version)) for v in client.search_model_versions(flt)
        ]


def test_registry_get_and_aliases(store: SqlStore, client: MlflowClient) -> None:
    rm = store.get_registered_model("Alpha-Model")
    assert rm.aliases == {"champion": 3, "challenger": 2, "old": 4}
    assert {v.current_stage: v.version for v in rm.latest_versions} == {
        "None": 1,
        "Staging": 2,
        "Production": 3,
        "Archived": 4,
    }
    for version in ("1", "2", "3", "4"):
        ours = store.get_model_version("Alpha-Model", version)
        theirs = client.get_model_version("Alpha-Model", version)
        assert sorted(ours.aliases) == sorted(theirs.aliases)
        assert dict(ours.tags) == theirs.tags
    # Deliberate difference: searched versions carry their aliases too (MLflow's are empty).
    by_version = {v.version: v for v in store.search_model_versions("name = 'Alpha-Model'")}
    assert by_version[3].aliases == ("champion",)
    with pytest.raises(NotFoundError):
        store.get_model_version("Alpha-Model", "5")  # deleted
    with pytest.raises(NotFoundError):
        store.get_registered_model("nope")
    assert store.get_registered_model("my-prompt").tags[PROMPT_TAG] == "true"


@pytest.mark.parametrize(
    ("kind", "flt", "order", "match"),
    [
        ("mv", "version_number >= 1.5", [], "Invalid value for numeric attribute"),
        ("mv", None, ["name", "name DESC"], "duplicate fields"),
        ("rm", None, ["timestamp", "last_updated_timestamp DESC"], "duplicate fields"),
        ("rm", None, ["creation_timestamp"], "Invalid order by key"),
    ],
)
def test_registry_sql_only_rejections(
    store: SqlStore, client: MlflowClient, kind: str, flt: str | None, order: list[str], match: str
) -> None:
    if kind == "mv":
        with pytest.raises(MlflowException):
            client.search_model_versions(flt, order_by=order or None)
        with pytest.raises(QueryError, match=match):
            store.search_model_versions(flt, order)
    else:
        with pytest.raises(MlflowException):
            client.search_registered_models(flt, order_by=order or None)
        with pytest.raises(QueryError, match=match):
            store.search_registered_models(flt, order)


def test_registry_paging(store: SqlStore, client: MlflowClient) -> None:
    ours = store.search_model_versions(None, [], max_results=2)
    theirs = client.search_model_versions(None, max_results=2)
    assert ours.next_page_token == _tok(theirs.token)
    page2 = store.search_model_versions(None, [], max_results=2, page_token=ours.next_page_token)
    theirs2 = client.search_model_versions(None, max_results=2, page_token=theirs.token)
    assert [(v.name, v.version) for v in page2] == [(v.name, int(v.version)) for v in theirs2]
    rms = store.search_registered_models(max_results=2)
    assert rms.next_page_token == _tok(client.search_registered_models(max_results=2).token)


# -- artifacts, schemas, connections --------------------------------------------------------------


def test_list_artifacts_local_and_remote(
    db: dict[str, Any], store: SqlStore, client: MlflowClient
) -> None:
    run_id = db["ids"]["artifact_run"]
    ours = sorted((f.path, f.is_dir) for f in store.list_artifacts(run_id))
    assert ours == sorted((f.path, f.is_dir) for f in client.list_artifacts(run_id))
    for rid in db["ids"]["remote"].values():
        with pytest.raises(StoreError) as err:
            store.list_artifacts(rid)
        assert err.value.hint


def _copy_db(db: dict[str, Any], tmp_path: Path) -> Path:
    path = tmp_path / "copy.db"
    shutil.copy(db["root"] / "mlflow.db", path)
    return path


def test_older_schema_without_new_columns(db: dict[str, Any], tmp_path: Path) -> None:
    path = _copy_db(db, tmp_path)
    con = sqlite3.connect(path)
    for (name,) in con.execute(
        "SELECT name FROM sqlite_master WHERE type='index' AND tbl_name='experiments' "
        "AND sql IS NOT NULL"
    ).fetchall():
        con.execute(f"DROP INDEX {name}")
    con.execute("ALTER TABLE runs DROP COLUMN deleted_time")
    con.execute("ALTER TABLE experiments DROP COLUMN creation_time")
    con.execute("DROP TABLE registered_model_aliases")
    con.commit()
    con.close()
    store = SqlStore(f"sqlite:///{path}")
    try:
        assert not store.capabilities.aliases
        exps = store.search_experiments(ViewType.ALL)
        assert exps.items and all(e.creation_time is None for e in exps)
        assert store.search_experiments(filter="creation_time > 0").items == ()
        runs = store.search_runs(
            _exp_ids(db), "metrics.acc > 0", ["metrics.acc DESC"], ViewType.ALL
        )
        assert runs.items and all(r.deleted_time is None for r in runs)
        assert store.get_registered_model("Alpha-Model").aliases == {}
    finally:
        store.close()


def test_not_an_mlflow_database(tmp_path: Path) -> None:
    path = tmp_path / "other.db"
    con = sqlite3.connect(path)
    con.execute("CREATE TABLE t (x)")
    con.close()
    with pytest.raises(StoreError, match="not an MLflow database") as err:
        SqlStore(f"sqlite:///{path}")
    assert err.value.hint


def test_missing_file_is_not_created(tmp_path: Path) -> None:
    path = tmp_path / "missing.db"
    with pytest.raises(StoreError, match="no such database file"):
        SqlStore(f"sqlite:///{path}")
    assert not path.exists()


def test_passwords_are_masked(tmp_path: Path) -> None:
    url = "postgresql+psycopg2://user:s3cret@127.0.0.1:1/db"
    try:
        SqlStore(url)
    except StoreError as e:
        assert "s3cret" not in str(e) and "***" in str(e)
    else:  # pragma: no cover - only if a server listened on port 1
        pytest.fail("connection to port 1 succeeded")


def test_missing_driver_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib.util

    real = importlib.util.find_spec
    blocked = {"psycopg2", "psycopg", "MySQLdb", "pymysql"}
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name in blocked else real(name, *a)
    )
    with pytest.raises(StoreError) as err:
        SqlStore("postgresql://u:pw@localhost/db")
    assert "tuiflow[postgres]" in str(err.value) and "pw@" not in str(err.value)
    with pytest.raises(StoreError, match=r"tuiflow\[mysql\]"):
        SqlStore("mysql://u@localhost/db")


def test_connection_failure_is_one_line(tmp_path: Path) -> None:
    path = tmp_path / "garbage.db"
    path.write_bytes(b"this is not sqlite at all" * 100)
    with pytest.raises(StoreError) as err:
        SqlStore(f"sqlite:///{path}")
    assert "\n" not in str(err.value)
