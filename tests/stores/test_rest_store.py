"""RestStore against a real `mlflow server`, with MlflowClient on the same server as oracle.

Uses the session's one server (conftest `rest_backend`; a start costs seconds), populated once
with the shared contract dataset; every test compares tuiflow with MLflow's own client.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import mlflow_data  # tests/ is on sys.path (conftest)
import pytest
from mlflow import MlflowClient
from mlflow.entities import ViewType as MlflowViewType
from stores.server_util import free_port

from tuiflow.entities import ViewType
from tuiflow.errors import NotFoundError, QueryError, StoreError
from tuiflow.stores.base import Store
from tuiflow.stores.rest import RestStore
from tuiflow.stores.rest_client import RestClient

pytestmark = pytest.mark.server

VIEWS = [
    (ViewType.ACTIVE_ONLY, MlflowViewType.ACTIVE_ONLY),
    (ViewType.DELETED_ONLY, MlflowViewType.DELETED_ONLY),
    (ViewType.ALL, MlflowViewType.ALL),
]


@pytest.fixture(scope="module")
def server(rest_backend: Any) -> dict[str, Any]:
    """The session's one `mlflow server` (conftest), populated with tests/mlflow_data.py."""
    return {**rest_backend.ids, "url": rest_backend.uri}


@pytest.fixture(scope="module")
def client(rest_backend: Any) -> MlflowClient:
    return rest_backend.client


@pytest.fixture(scope="module")
def store(server: dict[str, Any]) -> Iterator[RestStore]:
    rest = RestStore(server["url"])
    yield rest
    rest.close()


@pytest.fixture(scope="module")
def main_ids(server: dict[str, Any]) -> list[str]:
    exps = server["experiments"]
    return [exps[mlflow_data.MAIN], exps[mlflow_data.SECOND], exps[mlflow_data.GONE]]


# -- normalisation: both sides to plain comparable data ------------------------------------


def _num(value: float) -> Any:
    return "nan" if math.isnan(value) else value


def mlflow_run(run: Any) -> dict[str, Any]:
    info, data = run.info, run.data
    return {
        "id": info.run_id,
        "experiment_id": info.experiment_id,
        "name": info.run_name,
        "user": info.user_id,
        "status": info.status,
        "start": info.start_time,
        "end": info.end_time,
        "stage": info.lifecycle_stage,
        "artifact_uri": info.artifact_uri,
        "metrics": {m.key: (_num(m.value), m.timestamp, m.step) for m in data._metric_objs},
        "params": dict(data.params),
        "tags": dict(data.tags),
        "inputs": [
            (
                d.dataset.name,
                d.dataset.digest,
                d.dataset.source_type,
                d.dataset.source,
                d.dataset.schema or None,
                d.dataset.profile or None,
                {t.key: t.value for t in d.tags},
            )
            for d in (run.inputs.dataset_inputs if run.inputs else [])
        ],
    }


def tuiflow_run(run: Any) -> dict[str, Any]:
    return {
        "id": run.run_id,
        "experiment_id": run.experiment_id,
        "name": run.run_name,
        "user": run.user_id,
        "status": run.status,
        "start": run.start_time,
        "end": run.end_time,
        "stage": run.lifecycle_stage,
        "artifact_uri": run.artifact_uri,
        "metrics": {k: (_num(m.value), m.timestamp, m.step) for k, m in run.metrics.items()},
        "params": dict(run.params),
        "tags": dict(run.tags),
        "inputs": [
            (
                d.dataset.name,
                d.dataset.digest,
                d.dataset.source_type,
                d.dataset.source,
                d.dataset.schema,
                d.dataset.profile,
                dict(d.tags),
            )
            for d in run.inputs
        ],
    }


def experiment_fields(exp: Any) -> tuple:
    """The fields compared, read the same way from MLflow's and tuiflow's entities."""
    return (
        exp.experiment_id,
        exp.name,
        exp.artifact_location,
        exp.lifecycle_stage,
        exp.creation_time,
        exp.last_update_time,
        dict(exp.tags),
    )


def mlflow_version(mv: Any) -> tuple:
    return (
        mv.name,
        int(mv.version),
        mv.creation_timestamp,
        mv.last_updated_timestamp,
        mv.current_stage,
        mv.description or None,
        mv.source,
        mv.run_id or None,
        mv.status,
        mv.user_id or None,
        dict(mv.tags),
        tuple(mv.aliases),
    )


def tuiflow_version(mv: Any) -> tuple:
    return (
        mv.name,
        mv.version,
        mv.creation_timestamp,
        mv.last_updated_timestamp,
        mv.current_stage,
        mv.description or None,
        mv.source,
        mv.run_id,
        mv.status,
        mv.user_id or None,
        dict(mv.tags),
        mv.aliases,
    )


def mlflow_model(rm: Any) -> tuple:
    return (
        rm.name,
        rm.creation_timestamp,
        rm.last_updated_timestamp,
        rm.description or None,
        dict(rm.tags),
        {a: int(v) for a, v in rm.aliases.items()},
        [mlflow_version(v) for v in rm.latest_versions or ()],
    )


def tuiflow_model(rm: Any) -> tuple:
    return (
        rm.name,
        rm.creation_timestamp,
        rm.last_updated_timestamp,
        rm.description or None,
        dict(rm.tags),
        dict(rm.aliases),
        [tuiflow_version(v) for v in rm.latest_versions],
    )


def all_pages(fetch: Callable[[str | None], Any], token_of: Callable[[Any], str | None]) -> list:
    """Follow page tokens to the end; returns [(items, token), ...] per page."""
    pages, token = [], None
    for _ in range(100):
        page = fetch(token)
        token = token_of(page) or None  # MlflowClient gives "" on the last registry page
        pages.append((list(page), token))
        if not token:
            return pages
    raise AssertionError("pagination did not terminate")


# -- protocol and basics ------------------------------------------------------------------


def test_implements_store_protocol(store: RestStore, server: dict[str, Any]) -> None:
    assert isinstance(store, Store)
    assert store.display_uri == server["url"]
    # Writes are covered in test_rest_writes.py; gc has no REST endpoint.
    assert store.capabilities.writable and not store.capabilities.purge


# -- runs ------------------------------------------------------------------------------------

RUN_FILTERS = [
    None,
    "",
    "metrics.acc > 0.5",
    "metrics.loss != 1",
    "metrics.acc >= 0.33 AND metrics.acc <= 0.9",
    "metrics.`spacey name` = 6",
    'metrics."legit name" = 1',
    "params.model = 'LinearRegression'",
    "params.model LIKE '%Regression'",
    "params.model ILIKE 'linear%'",
    "params.lr IS NULL",
    "params.`with space` IS NOT NULL",
    'params.m = "L\'Hosp"',
    "tags.env = 'prod'",
    "tags.env ILIKE 'prod'",
    "tags.env != 'prod'",
    "tags.`über` = 'wert'",
    "attributes.status = 'FINISHED'",
    "status != 'RUNNING'",
    "attributes.run_name = 'alpha'",
    "`Run name` LIKE '%a'",
    "attributes.start_time >= 2000 AND attributes.end_time < 5000",
    "created < 3000",
    "datasets.name = 'mydata'",
    "datasets.digest IN ('abc123', 'digest2')",
    "datasets.context = 'eval'",
    "metrics.v < 0",
    "metrics.acc = 0.33 and tags.`mlflow.runName` LIKE 'child%'",
]

RUN_ORDERS = [
    [],
    ["metrics.acc DESC"],
    ["metrics.v ASC"],
    ["metrics.v DESC"],
    ["params.model"],
    ["params.lr DESC", "attributes.run_name"],
    ["attributes.run_name DESC"],
    ["tags.env ASC", "start_time ASC"],
    ["metrics.`spacey name`"],
    ["attributes.end_time"],
    ["created aSc"],
]


@pytest.mark.parametrize("text", RUN_FILTERS)
def test_search_runs_filters_match_mlflow(
    store: RestStore, client: MlflowClient, main_ids: list[str], text: str | None
) -> None:
    expected = client.search_runs(main_ids, text or "", MlflowViewType.ALL, 1000)
    got = store.search_runs(main_ids, text, view=ViewType.ALL)
    assert [tuiflow_run(r) for r in got] == [mlflow_run(r) for r in expected]
    assert got.next_page_token is None


@pytest.mark.parametrize("order_by", RUN_ORDERS, ids=lambda o: ",".join(o) or "default")
@pytest.mark.parametrize("views", VIEWS, ids=lambda v: v[0].name)
def test_search_runs_order_and_views_match_mlflow(
    store: RestStore, client: MlflowClient, main_ids: list[str], order_by: list[str], views: tuple
) -> None:
    ours, theirs = views
    expected = client.search_runs(main_ids, "", theirs, 1000, order_by)
    got = store.search_runs(main_ids, None, order_by, view=ours)
    assert [r.run_id for r in got] == [r.info.run_id for r in expected]
    assert [tuiflow_run(r) for r in got] == [mlflow_run(r) for r in expected]


def test_search_runs_run_id_in_list(
    store: RestStore, client: MlflowClient, server: dict[str, Any], main_ids: list[str]
) -> None:
    runs = server["runs"]
    text = f"attributes.run_id IN ('{runs['A']}', '{runs['doomed']}', '{runs['S2']}')"
    got = store.search_runs(main_ids, text, view=ViewType.ACTIVE_ONLY)
    expected = client.search_runs(main_ids, text)
    assert [r.run_id for r in got] == [r.info.run_id for r in expected]
    assert {r.run_id for r in got} == {runs["A"], runs["S2"]}


@pytest.mark.parametrize("size", [1, 3, 7])
def test_search_runs_pagination_matches_mlflow(
    store: RestStore, client: MlflowClient, main_ids: list[str], size: int
) -> None:
    order = ["metrics.acc DESC"]
    ours = all_pages(
        lambda t: store.search_runs(main_ids, "", order, ViewType.ALL, size, t),
        lambda p: p.next_page_token,
    )
    theirs = all_pages(
        lambda t: client.search_runs(main_ids, "", MlflowViewType.ALL, size, order, t),
        lambda p: p.token,
    )
    assert [([r.run_id for r in items], tok) for items, tok in ours] == [
        ([r.info.run_id for r in items], tok) for items, tok in theirs
    ]
    assert len(ours) > 1
    assert all(len(items) <= size for items, _ in ours)


def test_search_runs_unknown_experiment_is_empty(store: RestStore) -> None:
    assert list(store.search_runs(["123456"])) == []


def test_get_run_matches_mlflow(
    store: RestStore, client: MlflowClient, server: dict[str, Any]
) -> None:
    for label in ("A", "D", "E", "F", "C", "doomed", "GONE"):
        run_id = server["runs"][label]
        assert tuiflow_run(store.get_run(run_id)) == mlflow_run(client.get_run(run_id))
    run_a = store.get_run(server["runs"]["A"])
    assert math.isnan(run_a.metrics["loss"].value)
    assert run_a.inputs[0].context == "training"
    assert store.get_run(server["runs"]["E"]).metrics["v"].value < -1e300  # -inf, SQL-clamped


def test_get_run_missing_is_not_found(store: RestStore) -> None:
    with pytest.raises(NotFoundError, match="not found"):
        store.get_run("0" * 32)


@pytest.mark.parametrize("key", ["acc", "loss", "v", "über", "with space", "missing"])
def test_metric_history_matches_mlflow(
    store: RestStore, client: MlflowClient, server: dict[str, Any], key: str
) -> None:
    for label in ("A", "D", "F"):
        run_id = server["runs"][label]
        expected = [
            (_num(m.value), m.timestamp, m.step) for m in client.get_metric_history(run_id, key)
        ]
        got = [(_num(m.value), m.timestamp, m.step) for m in store.get_metric_history(run_id, key)]
        assert got == expected


@pytest.mark.parametrize("path", [None, "model", "model/sub", "plots", "nothing-here"])
def test_list_artifacts_matches_mlflow(
    store: RestStore, client: MlflowClient, server: dict[str, Any], path: str | None
) -> None:
    run_id = server["artifact_run"]
    expected = [(f.path, f.is_dir, f.file_size) for f in client.list_artifacts(run_id, path)]
    got = [(f.path, f.is_dir, f.file_size) for f in store.list_artifacts(run_id, path)]
    assert got == expected
    if path in (None, "model"):
        assert got


def test_list_artifacts_of_run_without_artifacts(store: RestStore, server: dict[str, Any]) -> None:
    assert store.list_artifacts(server["runs"]["B"]) == []


# -- experiments ------------------------------------------------------------------------------

EXPERIMENT_FILTERS = [
    None,
    "name = 'contract-main'",
    "name LIKE 'contract-%'",
    "name ILIKE '%MAIN%'",
    "tags.team = 'ml'",
    "tags.`nested/tag` IS NOT NULL",
    "attribute.experiment_id IN ('0', '1')",
    "creation_time > 0",
]
EXPERIMENT_ORDERS = [[], ["name ASC"], ["name DESC"], ["experiment_id DESC"], ["creation_time"]]


@pytest.mark.parametrize("text", EXPERIMENT_FILTERS)
@pytest.mark.parametrize("views", VIEWS, ids=lambda v: v[0].name)
def test_search_experiments_filters_match_mlflow(
    store: RestStore, client: MlflowClient, text: str | None, views: tuple
) -> None:
    ours, theirs = views
    expected = client.search_experiments(theirs, 1000, text)
    got = store.search_experiments(ours, text)
    assert [experiment_fields(e) for e in got] == [experiment_fields(e) for e in expected]


@pytest.mark.parametrize("order_by", EXPERIMENT_ORDERS, ids=lambda o: ",".join(o) or "default")
def test_search_experiments_order_and_pages_match_mlflow(
    store: RestStore, client: MlflowClient, order_by: list[str]
) -> None:
    ours = all_pages(
        lambda t: store.search_experiments(ViewType.ALL, None, order_by, 2, t),
        lambda p: p.next_page_token,
    )
    theirs = all_pages(
        lambda t: client.search_experiments(MlflowViewType.ALL, 2, None, order_by, t),
        lambda p: p.token,
    )
    assert [([e.experiment_id for e in items], tok) for items, tok in ours] == [
        ([e.experiment_id for e in items], tok) for items, tok in theirs
    ]


def test_get_experiment_and_by_name(
    store: RestStore, client: MlflowClient, server: dict[str, Any]
) -> None:
    for name, exp_id in server["experiments"].items():
        assert experiment_fields(store.get_experiment(exp_id)) == experiment_fields(
            client.get_experiment(exp_id)
        )
        by_name = store.get_experiment_by_name(name)
        assert by_name is not None and by_name.experiment_id == exp_id
    assert store.get_experiment(server["experiments"][mlflow_data.GONE]).lifecycle_stage == (
        "deleted"
    )
    assert store.get_experiment_by_name("no such experiment") is None
    with pytest.raises(NotFoundError):
        store.get_experiment("987654")
    with pytest.raises(NotFoundError):
        store.get_experiment("not-a-number")


# -- model registry ------------------------------------------------------------------------

MODEL_FILTERS = [
    None,
    "name = 'Alpha-Model'",
    "name LIKE '%model%'",
    "name ILIKE '%MODEL%'",
    "tags.team = 'ml'",
    "name IN ('beta_model', 'gamma.model')",
]
MODEL_ORDERS = [[], ["name DESC"], ["last_updated_timestamp DESC"]]


@pytest.mark.parametrize("text", MODEL_FILTERS)
@pytest.mark.parametrize("order_by", MODEL_ORDERS, ids=lambda o: ",".join(o) or "default")
def test_search_registered_models_match_mlflow(
    store: RestStore, client: MlflowClient, text: str | None, order_by: list[str]
) -> None:
    expected = client.search_registered_models(text, 100, order_by)
    got = store.search_registered_models(text, order_by)
    assert [tuiflow_model(m) for m in got] == [mlflow_model(m) for m in expected]


def test_registered_model_aliases_and_latest_versions(store: RestStore) -> None:
    model = store.get_registered_model("Alpha-Model")
    assert model.aliases == {"champion": 3, "challenger": 2, "old": 4}
    assert {v.current_stage: v.version for v in model.latest_versions} == {
        "None": 1,
        "Staging": 2,
        "Production": 3,
        "Archived": 4,
    }
    assert model.tags["über"] == "ja"


def test_search_registered_models_pagination(store: RestStore, client: MlflowClient) -> None:
    ours = all_pages(
        lambda t: store.search_registered_models(None, (), 1, t), lambda p: p.next_page_token
    )
    theirs = all_pages(
        lambda t: client.search_registered_models(None, 1, None, t), lambda p: p.token
    )
    assert [([m.name for m in items], tok) for items, tok in ours] == [
        ([m.name for m in items], tok) for items, tok in theirs
    ]
    assert len(ours) == 4


MV_FILTERS = [
    None,
    "name = 'Alpha-Model'",
    "name LIKE '%model%'",
    "version_number > 1",
    "tags.v = '3'",
    "source_path LIKE 's3://bucket/a/%'",
    "name != 'Alpha-Model'",
]
MV_ORDERS = [
    [],
    ["version_number ASC"],
    ["name DESC", "version_number"],
    ["creation_timestamp DESC"],
]


@pytest.mark.parametrize("text", MV_FILTERS)
@pytest.mark.parametrize("order_by", MV_ORDERS, ids=lambda o: ",".join(o) or "default")
def test_search_model_versions_match_mlflow(
    store: RestStore, client: MlflowClient, text: str | None, order_by: list[str]
) -> None:
    expected = client.search_model_versions(text, 10000, order_by)
    got = store.search_model_versions(text, order_by)
    assert [tuiflow_version(v) for v in got] == [mlflow_version(v) for v in expected]


def test_search_model_versions_pagination(
    store: RestStore, client: MlflowClient, server: dict[str, Any]
) -> None:
    run_a = server["runs"]["A"]
    text = f"run_id IN ('{run_a}', '{server['runs']['B']}')"
    ours = all_pages(
        lambda t: store.search_model_versions(text, ["version_number"], 2, t),
        lambda p: p.next_page_token,
    )
    theirs = all_pages(
        lambda t: client.search_model_versions(text, 2, ["version_number"], t),
        lambda p: p.token,
    )
    assert [([v.version for v in items], tok) for items, tok in ours] == [
        ([int(v.version) for v in items], tok) for items, tok in theirs
    ]


def test_get_model_version_matches_mlflow(store: RestStore, client: MlflowClient) -> None:
    for name, version in [("Alpha-Model", 3), ("Alpha-Model", 2), ("beta_model", "1")]:
        got = store.get_model_version(name, version)
        assert tuiflow_version(got) == mlflow_version(client.get_model_version(name, str(version)))
    assert store.get_model_version("Alpha-Model", 3).aliases == ("champion",)
    with pytest.raises(NotFoundError):
        store.get_model_version("Alpha-Model", 5)  # deleted
    with pytest.raises(NotFoundError):
        store.get_registered_model("no-such-model")


# -- errors -----------------------------------------------------------------------------------


def _one_line_store_error(exc: pytest.ExceptionInfo) -> str:
    text = str(exc.value)
    assert "\n" not in text
    assert "Traceback" not in text
    return text


def test_dead_server_is_one_line_store_error() -> None:
    url = f"http://127.0.0.1:{free_port()}"
    with RestStore(url) as dead, pytest.raises(StoreError) as exc:
        dead.get_experiment("0")
    text = _one_line_store_error(exc)
    assert text == f"cannot reach {url}: connection refused"


def test_credentials_never_shown() -> None:
    port = free_port()
    with RestStore(f"http://alice:s3cret@127.0.0.1:{port}/") as dead:
        assert dead.display_uri == f"http://alice:***@127.0.0.1:{port}"
        with pytest.raises(StoreError) as exc:
            dead.get_experiment("0")
    assert "s3cret" not in _one_line_store_error(exc)
    with RestStore(f"https://tok3n@127.0.0.1:{port}") as dead:
        assert "tok3n" not in dead.display_uri


def test_html_instead_of_json_is_store_error(server: dict[str, Any]) -> None:
    with RestStore(server["url"] + "/not-mlflow") as wrong, pytest.raises(StoreError) as exc:
        wrong.get_run("x")
    text = _one_line_store_error(exc)
    assert "did not answer like an MLflow tracking server" in text
    assert "text/html" in text


def test_not_an_http_url_is_store_error() -> None:
    with pytest.raises(StoreError, match="not an http"):
        RestStore("ftp://127.0.0.1:21")


@pytest.mark.parametrize(
    "call",
    [
        lambda s: s.search_runs(["0"], "metrics.acc >"),
        lambda s: s.search_runs(["0"], "params.lr = 0.01"),
        lambda s: s.search_runs(["0"], "metrics.acc > 1 OR (metrics.acc < 0"),
        lambda s: s.search_runs(["0"], None, ["metrics.acc DOWN"]),
        lambda s: s.search_runs(["0"], max_results=50001),
        lambda s: s.search_runs(["0"], max_results=0),
        lambda s: s.search_experiments(filter="metrics.acc > 1"),
        lambda s: s.search_registered_models(max_results=1001),
        lambda s: s.search_registered_models("name = unquoted"),
        lambda s: s.search_model_versions("current_stage = 'Production'"),
        lambda s: s.search_model_versions(max_results=200001),
    ],
)
def test_bad_query_fails_locally_without_request(call: Callable[[RestStore], Any]) -> None:
    # Nothing listens on this port: a QueryError proves no request was made.
    with RestStore(f"http://127.0.0.1:{free_port()}") as dead, pytest.raises(QueryError):
        call(dead)


def test_bad_filter_has_offset() -> None:
    with RestStore(f"http://127.0.0.1:{free_port()}") as dead, pytest.raises(QueryError) as exc:
        dead.search_runs(["0"], "metrics.acc > 1 AND params.lr = 0.01")
    assert exc.value.offset is not None and exc.value.offset > 0


def test_server_side_query_error_keeps_server_message(store: RestStore, main_ids: list) -> None:
    with pytest.raises(QueryError, match="Invalid page token"):
        store.search_runs(main_ids, page_token="garbage!")


# -- HTTP layer against a plain HTTP server (what proxies and gateways do, not MLflow) ------


class _Scripted(BaseHTTPRequestHandler):
    """Answers each request with the next (status, body) of the server's script."""

    def _answer(self) -> None:
        self.server.seen.append((self.command, self.path))  # type: ignore[attr-defined]
        status, body = self.server.script.pop(0)  # type: ignore[attr-defined]
        payload = body.encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json" if body[:1] == "{" else "text/html")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    do_GET = do_POST = _answer

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture()
def scripted() -> Iterator[ThreadingHTTPServer]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Scripted)
    httpd.script, httpd.seen = [], []  # type: ignore[attr-defined]
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield httpd
    httpd.shutdown()
    httpd.server_close()


def _url(httpd: ThreadingHTTPServer) -> str:
    return f"http://127.0.0.1:{httpd.server_address[1]}"


def test_reads_retry_gateway_errors(scripted: ThreadingHTTPServer) -> None:
    exp = '{"experiment": {"experiment_id": "7", "name": "x"}}'
    scripted.script += [(503, "<html>busy</html>"), (502, "bad gateway"), (200, exp)]
    with RestStore(_url(scripted)) as rest:
        assert rest.get_experiment("7").name == "x"
    assert len(scripted.seen) == 3


def test_writes_are_never_retried(scripted: ThreadingHTTPServer) -> None:
    scripted.script += [(503, "<html>busy</html>"), (200, "{}")]
    client = RestClient(_url(scripted))
    with pytest.raises(StoreError, match="HTTP 503"):
        client.call("POST", "/mlflow/runs/delete", body={"run_id": "r"})
    client.close()
    assert len(scripted.seen) == 1


def test_unauthorized_names_the_env_vars(scripted: ThreadingHTTPServer) -> None:
    scripted.script += [(401, "You are not authenticated.")]
    with RestStore(_url(scripted)) as rest, pytest.raises(StoreError) as exc:
        rest.get_run("r")
    text = _one_line_store_error(exc)
    assert text.startswith(f"authentication failed at {_url(scripted)}")
    assert "MLFLOW_TRACKING_TOKEN" in text and "MLFLOW_TRACKING_USERNAME" in text


def test_json_error_codes_map_to_errors(scripted: ThreadingHTTPServer) -> None:
    scripted.script += [
        (500, '{"error_code": "INTERNAL_ERROR", "message": "db\\nlocked"}'),
        (200, "not json at all"),
    ]
    with RestStore(_url(scripted)) as rest:
        with pytest.raises(StoreError) as exc:
            rest.get_run("r")
        assert _one_line_store_error(exc).endswith("INTERNAL_ERROR (HTTP 500): db locked")
        with pytest.raises(StoreError, match="did not answer like an MLflow"):
            rest.get_run("r")


def test_https_to_plain_http_server_says_so(scripted: ThreadingHTTPServer) -> None:
    url = _url(scripted).replace("http://", "https://")
    with RestStore(url) as rest, pytest.raises(StoreError) as exc:
        rest.get_run("r")
    assert _one_line_store_error(exc).startswith(f"cannot reach {url}: TLS handshake failed")
    assert "http://" in (exc.value.hint or "")


@pytest.mark.parametrize(
    "call",
    [
        lambda s, ids: s.search_runs(ids, None, ["params.model", "params.model DESC"]),
        lambda s, ids: s.search_registered_models(None, ["name", "name DESC"]),
        lambda s, ids: s.search_model_versions(None, ["name", "name DESC"]),
    ],
)
def test_duplicate_order_by_rejected_by_sql_server_is_query_error(
    store: RestStore, main_ids: list[str], call: Callable[[RestStore, list[str]], Any]
) -> None:
    # The SQL-backed server answers INTERNAL_ERROR/HTTP 500 here; it is still a query error.
    with pytest.raises(QueryError, match="duplicate fields"):
        call(store, main_ids)
