"""Model registry: registered models and model versions, stages, aliases, tags.

Oracle: MlflowClient on the same backend. Validity: Y valid everywhere, N rejected
everywhere, FILE valid only on the file store, SQL valid only on SQL-backed stores.
Placeholders <A>, <B>, <D> stand for run ids (labels from tests/mlflow_data.py).
"""

from __future__ import annotations

from typing import Any

import pytest

from contract import ask_mlflow, substitute, walk_pages
from tuiflow.errors import NotFoundError, QueryError

Y, N, FILE, SQL = "Y", "N", "FILE", "SQL"

RM_FILTERS: list[tuple[str, str]] = [
    ("", Y),
    ("name = 'Alpha-Model'", Y),
    ("name = 'alpha-model'", Y),
    ("name LIKE 'Alpha%'", Y),
    ("name ILIKE 'alpha%'", Y),
    ("name != 'beta_model'", Y),
    ("name IN ('Alpha-Model','x')", Y),
    ("name NOT IN ('Alpha-Model')", Y),
    ("name LIKE '%model%'", Y),
    ("name = '模型-unicode'", Y),
    ("name LIKE '%.%'", Y),
    ("tags.team = 'ml'", Y),
    ("tags.`mlflow.x` = '1'", Y),
    ("tags.team LIKE 'm%'", Y),
    ("tags.team != 'ml'", Y),
    ("tags.über = 'ja'", Y),
    ("tags.`mlflow.prompt.is_prompt` = 'true'", Y),
    ("name LIKE 'A%' AND tags.team = 'ml'", Y),
    ("tags.team IS NULL", N),
    ("creation_timestamp > 0", N),
    ("run_id = 'x'", N),
    ("name = 'a' OR name = 'b'", N),
    ("name = Alpha", N),
]

RM_ORDER_BYS: list[tuple[list[str], str]] = [
    ([], Y),
    (["name"], Y),
    (["name DESC"], Y),
    (["last_updated_timestamp"], Y),
    (["last_updated_timestamp DESC", "name"], Y),
    (["timestamp"], SQL),
    (["creation_timestamp"], FILE),
    (["tags.team"], N),
    (["name sideways"], N),
]

MV_FILTERS: list[tuple[str, str]] = [
    ("", Y),
    ("name = 'Alpha-Model'", Y),
    ("name ILIKE 'ALPHA%'", Y),
    ("name != 'Alpha-Model'", Y),
    ("run_id = '<A>'", Y),
    ("run_id IN ('<A>','<B>')", Y),
    ("run_id NOT IN ('<A>')", Y),
    ("run_id = '<B>'", Y),
    ("source_path = 's3://bucket/a/1'", Y),
    ("source_path LIKE 's3://bucket/a/%'", Y),
    ("source_path ILIKE 'S3://BUCKET/%'", Y),
    ("version_number > 1", Y),
    ("version_number = 2", Y),
    ("version_number = 5", Y),
    ("name = 'Alpha-Model' AND version_number <= 2", Y),
    ("tags.v = '2'", Y),
    ("name = 'Alpha-Model' AND tags.v != '0'", Y),
    ("tags.`数据` = '值'", Y),
    ("tags.empty = ''", Y),
    ("tags.v LIKE '%'", Y),
    ("version_number >= 1.5", FILE),
    ("version_number IN ('1')", N),
    ("source_path IN ('x')", N),
    ("current_stage = 'None'", N),
    ("creation_timestamp > 0", N),
    ("run_id > 'a'", N),
    ("tags.v IS NULL", N),
    ("version_number = '2'", Y),
]

MV_ORDER_BYS: list[tuple[list[str], str]] = [
    ([], Y),
    (["name"], Y),
    (["version_number"], Y),
    (["version_number DESC"], Y),
    (["creation_timestamp"], Y),
    (["last_updated_timestamp"], Y),
    (["name DESC", "version_number ASC"], Y),
    (["current_stage"], N),
    (["name upward"], N),
]


def _valid_on(validity: str, backend_name: str) -> bool:
    if validity == FILE:
        return backend_name.startswith("file")
    if validity == SQL:
        return not backend_name.startswith("file")
    return validity == Y


def _check_oracle(backend, oracle, what: str, validity: str) -> None:
    assert oracle.ok == _valid_on(validity, backend.name), (
        f"MLflow on {backend.name}: {what}, catalogue says {validity}: {oracle.error}"
    )


# -- registered models ----------------------------------------------------------------------


def _rm_ours(backend, text: str, order_by: list[str], page_size: int = 100):
    return walk_pages(
        lambda token: backend.store.search_registered_models(
            filter=text, order_by=order_by, max_results=page_size, page_token=token
        )
    )


def _rm_theirs(backend, text: str, order_by: list[str]):
    return walk_pages(
        lambda token: backend.client.search_registered_models(
            filter_string=text, max_results=100, order_by=order_by, page_token=token
        )
    )


@pytest.mark.parametrize(("text", "validity"), RM_FILTERS, ids=[repr(f) for f, _ in RM_FILTERS])
def test_registered_model_filter(backend, text: str, validity: str) -> None:
    oracle = ask_mlflow(lambda: _rm_theirs(backend, text, []))
    _check_oracle(backend, oracle, repr(text), validity)
    if not oracle.ok:
        with pytest.raises(QueryError):
            _rm_ours(backend, text, [])
        return
    assert [m.name for m in _rm_ours(backend, text, [])] == [m.name for m in oracle.value]


@pytest.mark.parametrize(
    ("order_by", "validity"), RM_ORDER_BYS, ids=[repr(o) for o, _ in RM_ORDER_BYS]
)
def test_registered_model_order_by(backend, order_by: list[str], validity: str) -> None:
    oracle = ask_mlflow(lambda: _rm_theirs(backend, "", order_by))
    _check_oracle(backend, oracle, repr(order_by), validity)
    if not oracle.ok:
        with pytest.raises(QueryError):
            _rm_ours(backend, "", order_by)
        return
    assert [m.name for m in _rm_ours(backend, "", order_by)] == [m.name for m in oracle.value]


@pytest.mark.parametrize("page_size", [1, 2])
def test_registered_model_pages(backend, page_size: int) -> None:
    expected = [m.name for m in _rm_theirs(backend, "", [])]
    assert [m.name for m in _rm_ours(backend, "", [], page_size)] == expected


def _mv_dict(v: Any, aliases: bool = True) -> dict[str, Any]:
    d = {
        "name": v.name,
        "version": int(v.version),
        "creation_timestamp": v.creation_timestamp,
        "last_updated_timestamp": v.last_updated_timestamp,
        "current_stage": v.current_stage,
        "description": v.description or None,
        "source": v.source,
        "run_id": v.run_id or None,
        "status": v.status,
        "status_message": v.status_message or None,
        "run_link": v.run_link or None,
        "user_id": v.user_id or None,
        "tags": dict(v.tags),
    }
    if aliases:
        d["aliases"] = sorted(v.aliases)
    return d


def _rm_dict(m: Any) -> dict[str, Any]:
    return {
        "name": m.name,
        "creation_timestamp": m.creation_timestamp,
        "last_updated_timestamp": m.last_updated_timestamp,
        "description": m.description or None,
        "tags": dict(m.tags),
        "aliases": {alias: int(version) for alias, version in dict(m.aliases).items()},
        "latest_versions": sorted((int(v.version), v.current_stage) for v in m.latest_versions),
    }


def test_registered_model_search_content(backend) -> None:
    theirs = _rm_theirs(backend, "", [])
    ours = {m.name: m for m in _rm_ours(backend, "", [])}
    assert set(ours) == {m.name for m in theirs}
    for model in theirs:
        expected, got = _rm_dict(model), _rm_dict(ours[model.name])
        if not expected["aliases"]:  # some MLflow stores leave aliases out of searches
            got.pop("aliases"), expected.pop("aliases")
        assert got == expected, model.name


@pytest.mark.parametrize("name", ["Alpha-Model", "beta_model", "gamma.model", "模型-unicode"])
def test_get_registered_model(backend, name: str) -> None:
    assert _rm_dict(backend.store.get_registered_model(name)) == _rm_dict(
        backend.client.get_registered_model(name)
    )


def test_registered_model_fixture_shape(backend) -> None:
    """The dataset holds what the registry tests rely on (stages, aliases, deletion)."""
    alpha = backend.store.get_registered_model("Alpha-Model")
    assert dict(alpha.aliases) == {"champion": 3, "challenger": 2, "old": 4}
    stages = {v.version: v.current_stage for v in _mv_ours(backend, "name = 'Alpha-Model'", [])}
    assert stages == {1: "None", 2: "Staging", 3: "Production", 4: "Archived"}


def test_get_missing_registered_model(backend) -> None:
    assert not ask_mlflow(lambda: backend.client.get_registered_model("nope")).ok
    with pytest.raises(NotFoundError):
        backend.store.get_registered_model("nope")


# -- model versions ---------------------------------------------------------------------------


def _mv_ours(backend, text: str, order_by: list[str], page_size: int = 10000):
    return walk_pages(
        lambda token: backend.store.search_model_versions(
            filter=text, order_by=order_by, max_results=page_size, page_token=token
        )
    )


def _mv_theirs(backend, text: str, order_by: list[str]):
    return walk_pages(
        lambda token: backend.client.search_model_versions(
            filter_string=text, max_results=10000, order_by=order_by, page_token=token
        )
    )


def _keys(versions) -> list[tuple[str, int]]:
    return [(v.name, int(v.version)) for v in versions]


@pytest.mark.parametrize(("text", "validity"), MV_FILTERS, ids=[repr(f) for f, _ in MV_FILTERS])
def test_model_version_filter(backend, text: str, validity: str) -> None:
    text = substitute(text, backend.runs)
    oracle = ask_mlflow(lambda: _mv_theirs(backend, text, []))
    _check_oracle(backend, oracle, repr(text), validity)
    if not oracle.ok:
        with pytest.raises(QueryError):
            _mv_ours(backend, text, [])
        return
    assert _keys(_mv_ours(backend, text, [])) == _keys(oracle.value)


@pytest.mark.parametrize(
    ("order_by", "validity"), MV_ORDER_BYS, ids=[repr(o) for o, _ in MV_ORDER_BYS]
)
def test_model_version_order_by(backend, order_by: list[str], validity: str) -> None:
    oracle = ask_mlflow(lambda: _mv_theirs(backend, "", order_by))
    _check_oracle(backend, oracle, repr(order_by), validity)
    if not oracle.ok:
        with pytest.raises(QueryError):
            _mv_ours(backend, "", order_by)
        return
    assert _keys(_mv_ours(backend, "", order_by)) == _keys(oracle.value)


@pytest.mark.parametrize("page_size", [1, 3])
def test_model_version_pages(backend, page_size: int) -> None:
    expected = _keys(_mv_theirs(backend, "", []))
    assert _keys(_mv_ours(backend, "", [], page_size)) == expected


def test_model_version_search_content(backend) -> None:
    theirs = _mv_theirs(backend, "", [])
    ours = {(v.name, v.version): v for v in _mv_ours(backend, "", [])}
    assert set(ours) == set(_keys(theirs))
    for version in theirs:
        # the SQL store's search leaves aliases out (mlflow-formats.md §5.3); get has them
        got = _mv_dict(ours[(version.name, int(version.version))], aliases=False)
        assert got == _mv_dict(version, aliases=False), (version.name, version.version)


MODEL_VERSIONS = [("Alpha-Model", n) for n in (1, 2, 3, 4)] + [
    ("beta_model", 1), ("beta_model", 2), ("模型-unicode", 1),
]


@pytest.mark.parametrize(("name", "version"), MODEL_VERSIONS)
def test_get_model_version(backend, name: str, version: int) -> None:
    theirs = backend.client.get_model_version(name, str(version))
    assert _mv_dict(backend.store.get_model_version(name, version)) == _mv_dict(theirs)
    assert _mv_dict(backend.store.get_model_version(name, str(version))) == _mv_dict(theirs)


@pytest.mark.parametrize(("name", "version"), [("Alpha-Model", 5), ("Alpha-Model", 99),
                                               ("nope", 1)])
def test_get_deleted_or_missing_model_version(backend, name: str, version: int) -> None:
    assert not ask_mlflow(lambda: backend.client.get_model_version(name, str(version))).ok
    with pytest.raises(NotFoundError):
        backend.store.get_model_version(name, version)
