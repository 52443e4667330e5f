"""Experiments: search (filters, order_by, view types), get by id and by name.

Oracle: MlflowClient on the same backend. Validity column as in test_search_runs:
Y valid everywhere, N rejected everywhere, FILE valid only on the file store.
Placeholders <MAIN>, <SECOND>, <GONE>, <EMPTY> stand for this backend's experiment ids.
"""

from __future__ import annotations

from typing import Any

import pytest
from mlflow_data import EMPTY, EXPERIMENT_TAGS, GONE, MAIN, SECOND

from contract import VIEWS, ask_mlflow, mlflow_view, substitute, walk_pages
from tuiflow.entities import ViewType
from tuiflow.errors import NotFoundError, QueryError, TuiflowError

Y, N, FILE = "Y", "N", "FILE"

FILTERS: list[tuple[str, str]] = [
    ("", Y),
    ("name = 'contract-main'", Y),
    ("name = 'CONTRACT-MAIN'", Y),
    ("name LIKE 'contract%'", Y),
    ("name ILIKE 'CONTRACT%'", Y),
    ("attribute.name != 'Default'", Y),
    ('name LIKE "jamie-foo C+%"', Y),
    ("name = 'contract-empty-实验'", Y),
    ("name LIKE '%实验'", Y),
    ("name LIKE 'contract-_o%'", Y),
    ("tags.team = 'ml'", Y),
    ("tag.team != 'ml'", Y),
    ("tags.`nested/tag` = 'v'", Y),
    ("tags.\"nested/tag\" LIKE 'v%'", Y),
    ("tags.team IS NULL", Y),
    ("tags.team IS NOT NULL", Y),
    ("tags.team ILIKE 'ML'", Y),
    ("tags.über = 'ja'", Y),
    ("tags.empty = ''", Y),
    ("tags.empty IS NOT NULL", Y),
    ("creation_time > 0", Y),
    ("last_update_time >= 0", Y),
    ("creation_time < 0", Y),
    ("experiment_id = '0'", Y),
    ("experiment_id IN ('0')", Y),
    ("experiment_id != '0'", Y),
    ("experiment_id IN ('<MAIN>', '<GONE>')", Y),
    ("experiment_id NOT IN ('<MAIN>')", Y),
    ("name LIKE 'contract%' AND tags.team = 'ml'", Y),
    ("experiment_id = 0", N),
    ("experiment_id > '0'", N),
    ("name IN ('a','b')", N),
    ("creation_time > '0'", N),
    ("creation_time > 1.5", FILE),
    ("metrics.x > 1", N),
    ("params.a = 'b'", N),
    ("lifecycle_stage = 'active'", N),
    ("tags.team > 'a'", N),
    ("name = 'a' OR name = 'b'", N),
    ("name IS NULL", N),
    ("name = contract", N),
]

ORDER_BYS: list[tuple[list[str], str]] = [
    ([], Y),
    (["name"], Y),
    (["name DESC"], Y),
    (["experiment_id"], Y),
    (["experiment_id DESC"], Y),
    (["creation_time"], Y),
    (["creation_time DESC", "name"], Y),
    (["last_update_time DESC"], Y),
    (["attribute.name"], Y),
    (["tags.team"], N),
    (["name dsc"], N),
    (["lifecycle_stage"], N),
]

LABELS = {"MAIN": MAIN, "SECOND": SECOND, "GONE": GONE, "EMPTY": EMPTY}


def _valid_on(validity: str, backend_name: str) -> bool:
    return validity == Y or (validity == FILE and backend_name.startswith("file"))


def _label_map(backend) -> dict[str, str]:
    return {label: backend.experiments[name] for label, name in LABELS.items()}


def _ours(backend, view: ViewType, text: str, order_by: list[str], page_size: int = 1000):
    def fetch(token: str | None) -> Any:
        return backend.store.search_experiments(
            view=view, filter=text, order_by=order_by, max_results=page_size, page_token=token
        )

    return walk_pages(fetch)


def _theirs(backend, view: ViewType, text: str, order_by: list[str]):
    def fetch(token: str | None) -> Any:
        return backend.client.search_experiments(
            view_type=mlflow_view(view), max_results=1000, filter_string=text,
            order_by=order_by, page_token=token,
        )

    return walk_pages(fetch)


def _names(experiments) -> list[str]:
    return [e.name for e in experiments]


def _compare(backend, text: str, order_by: list[str], view: ViewType, validity: str) -> None:
    text = substitute(text, _label_map(backend))
    oracle = ask_mlflow(lambda: _theirs(backend, view, text, order_by))
    assert oracle.ok == _valid_on(validity, backend.name), (
        f"MLflow on {backend.name}: {text!r} / {order_by}, catalogue says {validity}: "
        f"{oracle.error}"
    )
    if not oracle.ok:
        with pytest.raises(QueryError):
            _ours(backend, view, text, order_by)
        return
    assert _names(_ours(backend, view, text, order_by)) == _names(oracle.value)


@pytest.mark.parametrize("view", VIEWS, ids=lambda v: v.proto_name)
@pytest.mark.parametrize(("text", "validity"), FILTERS, ids=[repr(f) for f, _ in FILTERS])
def test_experiment_filter(backend, text: str, validity: str, view: ViewType) -> None:
    _compare(backend, text, [], view, validity)


@pytest.mark.parametrize("view", VIEWS, ids=lambda v: v.proto_name)
@pytest.mark.parametrize(("order_by", "validity"), ORDER_BYS, ids=[repr(o) for o, _ in ORDER_BYS])
def test_experiment_order_by(backend, order_by: list[str], validity: str, view: ViewType) -> None:
    _compare(backend, "", order_by, view, validity)


@pytest.mark.parametrize("page_size", [1, 2])
def test_experiment_pages(backend, page_size: int) -> None:
    expected = _names(_theirs(backend, ViewType.ALL, "", []))
    assert _names(_ours(backend, ViewType.ALL, "", [], page_size=page_size)) == expected


def _exp_dict(e: Any) -> dict[str, Any]:
    return {
        "experiment_id": str(e.experiment_id),
        "name": e.name,
        "artifact_location": e.artifact_location,
        "lifecycle_stage": e.lifecycle_stage,
        "creation_time": e.creation_time,
        "last_update_time": e.last_update_time,
        "tags": dict(e.tags),
    }


def test_experiment_content(backend) -> None:
    theirs = _theirs(backend, ViewType.ALL, "", [])
    ours = {e.experiment_id: e for e in _ours(backend, ViewType.ALL, "", [])}
    assert set(ours) == {e.experiment_id for e in theirs}
    for exp in theirs:
        assert _exp_dict(ours[exp.experiment_id]) == _exp_dict(exp)
    # the dataset really has the tags we think it has (guards the fixture itself)
    main = ours[backend.experiments[MAIN]]
    assert dict(main.tags) == EXPERIMENT_TAGS[MAIN]


@pytest.mark.parametrize("name", ["Default", MAIN, SECOND, GONE, EMPTY])
def test_get_experiment(backend, name: str) -> None:
    exp_id = backend.experiments[name]
    assert _exp_dict(backend.store.get_experiment(exp_id)) == _exp_dict(
        backend.client.get_experiment(exp_id)
    )


@pytest.mark.parametrize("name", ["Default", MAIN, SECOND, GONE, EMPTY, "no-such-experiment"])
def test_get_experiment_by_name(backend, name: str) -> None:
    theirs = backend.client.get_experiment_by_name(name)
    ours = backend.store.get_experiment_by_name(name)
    if theirs is None:
        assert ours is None
    else:
        assert _exp_dict(ours) == _exp_dict(theirs)


def test_get_missing_experiment(backend) -> None:
    missing = "987654321"
    assert not ask_mlflow(lambda: backend.client.get_experiment(missing)).ok
    with pytest.raises(NotFoundError):
        backend.store.get_experiment(missing)


def test_get_malformed_experiment_id(backend) -> None:
    # The SQL store rejects non-integer ids; the file store simply finds nothing.
    assert not ask_mlflow(lambda: backend.client.get_experiment("not-an-id")).ok
    with pytest.raises(TuiflowError):
        backend.store.get_experiment("not-an-id")
