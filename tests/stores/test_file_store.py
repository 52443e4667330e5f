"""FileStore against real MLflow on stores MLflow itself wrote.

One module-scoped store covers the awkward data (NaN/inf, out-of-order steps, keys with
'/', spaces and unicode, multi-line params, datasets, deleted runs and experiments, a
registry with stages, aliases, a deleted version and a prompt); every read is compared
with `MlflowClient` on the same directory. File-level oddities (2.x files, broken files)
are in `test_file_legacy.py`.
"""

from __future__ import annotations

import math
import os
from pathlib import Path
from typing import Any

import pytest

os.environ["MLFLOW_ALLOW_FILE_STORE"] = "true"
os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")

from tuiflow.entities import ViewType  # noqa: E402
from tuiflow.errors import NotFoundError, QueryError, StoreError  # noqa: E402
from tuiflow.stores.file import FileStore  # noqa: E402

NAN = float("nan")
INF = float("inf")


def _populate(root: Path) -> dict[str, Any]:
    import mlflow
    import pandas as pd
    from mlflow import MlflowClient
    from mlflow.entities import DatasetInput, InputTag

    uri = root.as_uri()
    c = MlflowClient(tracking_uri=uri, registry_uri=uri)
    ids: dict[str, Any] = {}
    alpha = c.create_experiment("alpha", tags={"team/sub": "x", "note": "über 数据"})
    beta = c.create_experiment("beta")
    gone = c.create_experiment("gone")
    ids["exp"] = {"alpha": alpha, "beta": beta, "gone": gone}

    r1 = c.create_run(alpha, run_name="first", start_time=1000, tags={"env": "prod"}).info.run_id
    c.log_metric(r1, "acc", 0.5, timestamp=10, step=5)
    c.log_metric(r1, "acc", 0.9, timestamp=20, step=2)  # later but lower step: not latest
    c.log_metric(r1, "loss", 1.0, timestamp=10, step=1)
    c.log_metric(r1, "loss", NAN, timestamp=11, step=3)
    c.log_metric(r1, "tie", NAN, timestamp=7, step=1)  # same (step, ts): the first one wins
    c.log_metric(r1, "tie", 5.0, timestamp=7, step=1)
    c.log_metric(r1, "big", INF, timestamp=5, step=0)
    c.log_metric(r1, "a/b", 2.0, timestamp=5, step=0)
    c.log_metric(r1, "with space", -INF, timestamp=5, step=0)
    c.log_metric(r1, "über", 3.0, timestamp=5, step=0)
    c.log_param(r1, "lr", "0.01")
    c.log_param(r1, "p/multi", "line1\nline2\n")
    c.log_param(r1, "数据", "值")
    c.set_tag(r1, "t/nested/deep", "v")
    c.set_tag(r1, "empty", "")
    df = pd.DataFrame({"x": [1, 2, 3], "y": [0.1, 0.2, 0.3]})
    ds = mlflow.data.from_pandas(df, name="mydata")._to_mlflow_entity()
    c.log_inputs(r1, datasets=[DatasetInput(ds, [InputTag("mlflow.data.context", "training")])])
    c.log_metric(
        r1, "eval", 0.7, timestamp=30, step=9, dataset_name="mydata", dataset_digest=ds.digest
    )  # 5-field line
    c.set_terminated(r1, "FINISHED", end_time=5000)

    r2 = c.create_run(alpha, run_name="Beta run", start_time=2000).info.run_id
    c.log_metric(r2, "acc", 0.7, timestamp=1, step=0)
    c.log_metric(r2, "loss", 0.3, timestamp=1, step=0)
    c.log_param(r2, "lr", "0.1")
    c.set_tag(r2, "env", "Prod")
    c.set_terminated(r2, "FAILED", end_time=3000)

    r3 = c.create_run(alpha, run_name="gamma", start_time=2000).info.run_id  # same start as r2
    r4 = c.create_run(alpha, run_name="deleted one", start_time=500).info.run_id
    c.log_metric(r4, "acc", 0.99)
    c.delete_run(r4)

    b1 = c.create_run(beta, run_name="in beta", start_time=1500).info.run_id
    c.log_metric(b1, "acc", 0.6)
    g1 = c.create_run(gone, run_name="in gone", start_time=1200).info.run_id
    c.delete_experiment(gone)
    ids["runs"] = {"r1": r1, "r2": r2, "r3": r3, "r4": r4, "b1": b1, "g1": g1}

    c.create_registered_model("m1", tags={"k": "v", "a/b": "c"}, description="first model")
    for i in range(4):
        c.create_model_version("m1", f"runs:/{r1}/model", run_id=r1, tags={"i": str(i)})
    c.transition_model_version_stage("m1", "1", "Production")
    c.transition_model_version_stage("m1", "2", "Staging")
    c.transition_model_version_stage("m1", "4", "Production")
    c.set_registered_model_alias("m1", "champion", "2")
    c.set_registered_model_alias("m1", "other", "1")
    c.delete_model_version("m1", "3")
    c.create_registered_model("m2")
    c.create_model_version("m2", "s3://bucket/m2", tags={"x": "y"})
    c.create_registered_model("empty_model")
    mlflow.genai.register_prompt(name="prompt1", template="Hi {{x}}")
    return ids


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory):
    import mlflow
    from mlflow import MlflowClient

    root = tmp_path_factory.mktemp("filestore") / "mlruns"
    # MLflow's registry file store builds `MlflowClient()` on the global tracking URI when
    # it reads a version, and prompts only have a fluent API: point both here (else MLflow
    # creates ./mlflow.db), and put them back afterwards.
    mlflow.set_tracking_uri(root.as_uri())
    mlflow.set_registry_uri(root.as_uri())
    try:
        ids = _populate(root)
        client = MlflowClient(tracking_uri=root.as_uri(), registry_uri=root.as_uri())
        yield FileStore(root), client, ids, root
    finally:
        mlflow.set_tracking_uri(None)
        mlflow.set_registry_uri(None)
        os.environ.pop("MLFLOW_TRACKING_URI", None)
        os.environ.pop("MLFLOW_REGISTRY_URI", None)


def _metric_tuple(m) -> tuple:
    value = "nan" if math.isnan(m.value) else m.value
    return (m.key, value, m.timestamp, m.step)


def assert_same_run(ours, theirs) -> None:
    info = theirs.info
    assert ours.run_id == info.run_id
    assert ours.experiment_id == info.experiment_id
    assert ours.run_name == info.run_name
    assert ours.user_id == info.user_id
    assert ours.status == info.status
    assert ours.start_time == info.start_time
    assert ours.end_time == info.end_time
    assert ours.lifecycle_stage == info.lifecycle_stage
    assert ours.artifact_uri == info.artifact_uri
    assert {k: _metric_tuple(m) for k, m in ours.metrics.items()} == {
        m.key: _metric_tuple(m) for m in theirs.data._metric_objs
    }
    assert list(ours.metrics) == [m.key for m in theirs.data._metric_objs]  # MLflow's order
    assert dict(ours.params) == theirs.data.params
    assert dict(ours.tags) == theirs.data.tags
    got = [
        (
            i.dataset.name,
            i.dataset.digest,
            i.dataset.source_type,
            i.dataset.source,
            i.dataset.schema,
            i.dataset.profile,
            dict(i.tags),
        )
        for i in ours.inputs
    ]
    want = [
        (
            i.dataset.name,
            i.dataset.digest,
            i.dataset.source_type,
            i.dataset.source,
            i.dataset.schema,
            i.dataset.profile,
            {t.key: t.value for t in i.tags},
        )
        for i in theirs.inputs.dataset_inputs
    ]
    assert got == want


# -- experiments -----------------------------------------------------------------------------


@pytest.mark.parametrize("view", list(ViewType))
def test_search_experiments_matches_mlflow(world, view: ViewType) -> None:
    from mlflow.entities import ViewType as MlflowViewType

    store, client, _, _ = world
    theirs = client.search_experiments(view_type=getattr(MlflowViewType, view.proto_name))
    ours = store.search_experiments(view=view)
    assert [e.experiment_id for e in ours] == [e.experiment_id for e in theirs]
    for o, t in zip(ours, theirs, strict=True):
        assert (o.name, o.artifact_location, o.lifecycle_stage) == (
            t.name,
            t.artifact_location,
            t.lifecycle_stage,
        )
        assert (o.creation_time, o.last_update_time) == (t.creation_time, t.last_update_time)
        assert dict(o.tags) == t.tags


@pytest.mark.parametrize(
    ("filter", "order_by"),
    [
        ("name LIKE 'a%'", []),
        ("tags.`team/sub` = 'x'", []),
        ("tags.note ILIKE '%ÜBER%'", []),
        (None, ["name ASC"]),
        (None, ["experiment_id DESC"]),
        ("creation_time > 0", ["last_update_time DESC"]),
    ],
)
def test_experiment_filters_match_mlflow(world, filter, order_by) -> None:
    from mlflow.entities import ViewType as MlflowViewType

    store, client, _, _ = world
    theirs = client.search_experiments(
        view_type=MlflowViewType.ALL, filter_string=filter, order_by=order_by
    )
    ours = store.search_experiments(view=ViewType.ALL, filter=filter, order_by=order_by)
    assert [e.experiment_id for e in ours] == [e.experiment_id for e in theirs]


def test_experiment_paging_matches_mlflow(world) -> None:
    from mlflow.entities import ViewType as MlflowViewType

    store, client, _, _ = world
    token = None
    while True:
        theirs = client.search_experiments(MlflowViewType.ALL, max_results=2, page_token=token)
        assert theirs
        ours = store.search_experiments(ViewType.ALL, max_results=2, page_token=token)
        assert [e.experiment_id for e in ours] == [e.experiment_id for e in theirs]
        assert ours.next_page_token == _text(theirs.token)
        token = ours.next_page_token
        if not token:
            break


def _text(token) -> str | None:
    return token.decode() if isinstance(token, bytes) else token


def test_get_experiment(world) -> None:
    store, client, ids, _ = world
    for exp_id in ids["exp"].values():
        assert store.get_experiment(exp_id).name == client.get_experiment(exp_id).name
    assert store.get_experiment(ids["exp"]["gone"]).lifecycle_stage == "deleted"
    assert store.get_experiment_by_name("gone").experiment_id == ids["exp"]["gone"]
    assert store.get_experiment_by_name("nope") is None
    for bad in ("123456", "../etc", "models", ".trash"):
        with pytest.raises(NotFoundError):
            store.get_experiment(bad)


# -- runs ------------------------------------------------------------------------------------


def test_get_run_matches_mlflow(world) -> None:
    store, client, ids, _ = world
    for run_id in ids["runs"].values():  # includes a deleted run and one in a deleted exp
        assert_same_run(store.get_run(run_id), client.get_run(run_id))
    r1 = store.get_run(ids["runs"]["r1"])
    assert r1.metrics["acc"].value == 0.5 and r1.metrics["acc"].step == 5
    assert math.isnan(r1.metrics["loss"].value)
    assert math.isnan(r1.metrics["tie"].value)
    assert r1.metrics["eval"].dataset_name == "mydata"
    assert r1.params["p/multi"] == "line1\nline2\n"
    assert r1.tags["empty"] == ""
    assert r1.inputs[0].context == "training"


def test_get_run_missing(world) -> None:
    store, _, _, _ = world
    for bad in ("0" * 32, "../../etc", "", "a/b"):
        with pytest.raises(NotFoundError):
            store.get_run(bad)


def test_metric_history_in_file_order(world) -> None:
    store, client, ids, _ = world
    r1 = ids["runs"]["r1"]
    for key in ("acc", "loss", "tie", "a/b", "über", "eval"):
        theirs = client.get_metric_history(r1, key)
        ours = store.get_metric_history(r1, key)
        assert [_metric_tuple(m) for m in ours] == [_metric_tuple(m) for m in theirs]
    assert store.get_metric_history(r1, "nope") == []
    assert store.get_metric_history(r1, "../meta.yaml") == []


RUN_QUERIES: list[tuple[str | None, list[str]]] = [
    (None, []),
    ("metrics.acc > 0.55", []),
    ("metrics.loss != 1", []),
    ("metrics.tie = 5", []),
    ("metrics.`a/b` = 2", []),
    ("metrics.`with space` < 0", []),
    ("metrics.über = 3", []),
    ("metrics.big > 1e308", []),
    ("params.lr = '0.1'", []),
    ("params.`p/multi` LIKE 'line1%'", []),
    ("params.`数据` = '值'", []),
    ("tags.env ILIKE 'prod'", []),
    ("tags.`t/nested/deep` = 'v'", []),
    ("tags.empty IS NOT NULL", []),
    ("attributes.run_name = 'first'", []),
    ("attributes.status = 'FAILED'", []),
    ("datasets.name = 'mydata'", []),
    ("datasets.context = 'training'", []),
    ("metrics.eval >= 0.7", []),
    (None, ["metrics.acc DESC"]),
    (None, ["metrics.loss ASC"]),
    (None, ["params.lr DESC", "attributes.run_name"]),
    (None, ["tags.env"]),
    ("metrics.acc > 0", ["metrics.tie DESC"]),
    (None, ["attributes.start_time ASC"]),
]


@pytest.mark.parametrize("view", list(ViewType))
@pytest.mark.parametrize(("filter", "order_by"), RUN_QUERIES)
def test_search_runs_matches_mlflow(world, filter, order_by, view: ViewType) -> None:
    from mlflow.entities import ViewType as MlflowViewType

    store, client, ids, _ = world
    exps = list(ids["exp"].values())
    theirs = client.search_runs(
        exps, filter, getattr(MlflowViewType, view.proto_name), order_by=order_by
    )
    ours = store.search_runs(exps, filter, order_by, view)
    assert [r.run_id for r in ours] == [r.info.run_id for r in theirs]
    for o, t in zip(ours, theirs, strict=True):
        assert_same_run(o, t)  # page runs carry every value, not just the filtered ones


def test_search_runs_paging_matches_mlflow(world) -> None:
    from mlflow.entities import ViewType as MlflowViewType

    store, client, ids, _ = world
    exps = list(ids["exp"].values())
    token = None
    pages = 0
    while True:
        theirs = client.search_runs(exps, "", MlflowViewType.ALL, 2, ["metrics.acc"], token)
        ours = store.search_runs(exps, "", ["metrics.acc"], ViewType.ALL, 2, token)
        assert [r.run_id for r in ours] == [r.info.run_id for r in theirs]
        assert ours.next_page_token == _text(theirs.token)
        pages += 1
        token = ours.next_page_token
        if not token:
            break
    assert pages == 3  # six runs, deleted ones included


def test_search_runs_unknown_and_repeated_experiments(world) -> None:
    store, _, ids, _ = world
    assert len(store.search_runs(["999", "../x"])) == 0
    alpha = ids["exp"]["alpha"]
    assert len(store.search_runs([alpha, alpha])) == len(store.search_runs([alpha]))


def test_search_runs_bad_arguments(world) -> None:
    store, _, ids, _ = world
    with pytest.raises(QueryError):
        store.search_runs([ids["exp"]["alpha"]], "metrics.acc >")
    with pytest.raises(QueryError):
        store.search_runs([ids["exp"]["alpha"]], max_results=0)
    with pytest.raises(QueryError):
        store.search_runs([ids["exp"]["alpha"]], max_results=50001)
    with pytest.raises(QueryError):
        store.search_runs([ids["exp"]["alpha"]], page_token="not a token")


def test_list_artifacts(world, tmp_path: Path) -> None:
    store, client, ids, _ = world
    r2 = ids["runs"]["r2"]
    src = tmp_path / "model"
    (src / "inner").mkdir(parents=True)
    (src / "MLmodel").write_text("x")
    (src / "inner" / "w.bin").write_bytes(b"123")
    client.log_artifacts(r2, str(src), "model")
    for path in (None, "model", "model/inner", "nope"):
        theirs = [(f.path, f.is_dir, f.file_size) for f in client.list_artifacts(r2, path)]
        ours = [(f.path, f.is_dir, f.file_size) for f in store.list_artifacts(r2, path)]
        assert ours == theirs


# -- registry --------------------------------------------------------------------------------


def _mv_tuple(mv) -> tuple:
    return (
        mv.name,
        int(mv.version),
        mv.current_stage,
        mv.source,
        mv.run_id,
        mv.description,
        mv.creation_timestamp,
        mv.last_updated_timestamp,
        dict(mv.tags),
        sorted(mv.aliases),
        mv.status,
    )


@pytest.mark.parametrize(
    ("filter", "order_by"),
    [
        (None, []),
        ("name LIKE 'm%'", []),
        ("tags.k = 'v'", []),
        ("tags.`mlflow.prompt.is_prompt` = 'true'", []),
        ("tags.`mlflow.prompt.is_prompt` = 'false'", []),
        (None, ["name DESC"]),
        (None, ["last_updated_timestamp DESC"]),
    ],
)
def test_search_registered_models_matches_mlflow(world, filter, order_by) -> None:
    store, client, _, _ = world
    theirs = client.search_registered_models(filter, order_by=order_by)
    ours = store.search_registered_models(filter, order_by)
    assert [m.name for m in ours] == [m.name for m in theirs]
    for o, t in zip(ours, theirs, strict=True):
        assert (o.description, o.creation_timestamp, o.last_updated_timestamp) == (
            t.description,
            t.creation_timestamp,
            t.last_updated_timestamp,
        )
        assert dict(o.tags) == t._tags  # `.tags` hides the reserved prompt tag; tuiflow does not
        assert dict(o.aliases) == {a: int(v) for a, v in t.aliases.items()}
        assert sorted(_mv_tuple(v) for v in o.latest_versions) == sorted(
            _mv_tuple(v) for v in t.latest_versions
        )


@pytest.mark.parametrize(
    ("filter", "order_by"),
    [
        (None, []),
        ("name = 'm1'", []),
        ("version_number > 1", []),
        ("tags.i = '2'", []),
        ("source_path LIKE 's3://%'", []),
        ("tags.`mlflow.prompt.is_prompt` = 'true'", []),
        (None, ["version_number ASC"]),
        (None, ["creation_timestamp DESC"]),
    ],
)
def test_search_model_versions_matches_mlflow(world, filter, order_by) -> None:
    store, client, _, _ = world
    theirs = client.search_model_versions(filter, order_by=order_by)
    ours = store.search_model_versions(filter, order_by)
    assert [_mv_tuple(v) for v in ours] == [_mv_tuple(v) for v in theirs]


def test_get_model_and_versions(world) -> None:
    store, client, _, _ = world
    m1 = store.get_registered_model("m1")
    assert m1.aliases == {"champion": 2, "other": 1}
    assert {v.current_stage: v.version for v in m1.latest_versions} == {
        "Production": 4,
        "Staging": 2,
    }
    for version in ("1", "2", "4"):
        assert _mv_tuple(store.get_model_version("m1", version)) == _mv_tuple(
            client.get_model_version("m1", version)
        )
    assert store.get_model_version("m1", 2).aliases == ("champion",)
    with pytest.raises(NotFoundError):
        store.get_model_version("m1", 3)  # deleted
    for name, version in (("m1", "x"), ("m1", 99), ("nope", 1), ("../m1", 1)):
        with pytest.raises(NotFoundError):
            store.get_model_version(name, version)
    for name in ("nope", "../models", "a/b", ""):
        with pytest.raises(NotFoundError):
            store.get_registered_model(name)


def test_capabilities_and_missing_root(world, tmp_path: Path) -> None:
    store, _, _, root = world
    caps = store.capabilities
    assert caps.stages and caps.aliases and caps.artifacts and caps.datasets and caps.registry
    assert store.display_uri == str(root)
    with pytest.raises(StoreError, match="no such directory"):
        FileStore(tmp_path / "missing")
    (tmp_path / "file").write_text("x")
    with pytest.raises(StoreError):
        FileStore(tmp_path / "file")
