"""Filters and sorts for experiments, registered models and model versions (file store).

Follows `SearchExperimentsUtils`, `SearchModelUtils` and `SearchModelVersionUtils`:

* experiments: tags support IS [NOT] NULL; numeric attributes compare as floats;
  `experiment_id` compares (and sorts) as a string, as in the file store;
* registered models and model versions: the prompt tag `mlflow.prompt.is_prompt` counts as
  'false' when absent (`= 'false'` and `!= 'true'` match models without it); versions in
  stage `Deleted_Internal` never match; `version_number` compares as `int(value)`;
* sorting: one `sorted()` over a tuple key; None sorts last in both directions (MLflow's
  ascending sort would raise on None instead).

Default orders when order_by is empty are the file store's: experiments
`creation_time DESC, experiment_id ASC`; model versions
`last_updated_timestamp DESC, name ASC, version_number DESC`; registered models `name ASC`.
Tie-breakers are appended as MLflow does.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any, TypeVar

from tuiflow.entities import DELETED_STAGE, Experiment, ModelVersion, RegisteredModel
from tuiflow.query.ast import And, Comparison, Node, Not, Or, OrderKey
from tuiflow.query.like import COMPARATORS

PROMPT_TAG = "mlflow.prompt.is_prompt"


T = TypeVar("T")
Predicate = Callable[[T], bool]


def compile_predicate(node: Node, leaf: Callable[[Comparison], Predicate[T]]) -> Predicate[T]:
    """AND / OR / NOT over the predicates `leaf` builds for each comparison."""
    if isinstance(node, Comparison):
        return leaf(node)
    if isinstance(node, Not):
        inner = compile_predicate(node.term, leaf)
        return lambda item: not inner(item)
    terms = [compile_predicate(t, leaf) for t in node.terms]
    if isinstance(node, And):
        return lambda item: all(t(item) for t in terms)
    if isinstance(node, Or):
        return lambda item: any(t(item) for t in terms)
    raise TypeError(f"not a filter node: {node!r}")


class _Sorter:
    """MLflow's `_Sorter`: None after every value, in either direction."""

    __slots__ = ("ascending", "obj")

    def __init__(self, obj: Any, ascending: bool):
        self.obj = obj
        self.ascending = ascending

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Sorter) and other.obj == self.obj

    def __lt__(self, other: _Sorter) -> bool:
        if self.obj is None:
            return False
        if other.obj is None:
            return True
        return self.obj < other.obj if self.ascending else other.obj < self.obj

    __hash__ = None  # type: ignore[assignment]


def _sorted(items: Iterable[Any], order: list[tuple[str, bool]]) -> list[Any]:
    return sorted(items, key=lambda x: tuple(_Sorter(getattr(x, k), a) for k, a in order))


# -- experiments ------------------------------------------------------------------------------


def _experiment_leaf(c: Comparison) -> Callable[[Experiment], bool]:
    key, op, value = c.ident.key, c.op, c.value
    if c.ident.entity == "tag":
        if op == "IS NULL":
            return lambda e: key not in e.tags
        if op == "IS NOT NULL":
            return lambda e: key in e.tags
        cmp = COMPARATORS[op]
        return lambda e: key in e.tags and cmp(e.tags[key], value)
    cmp = COMPARATORS[op]
    if key in ("creation_time", "last_update_time"):
        number = float(value)  # type: ignore[arg-type]

        def numeric(e: Experiment) -> bool:
            lhs = getattr(e, key)
            return lhs is not None and cmp(lhs, number)

        return numeric
    return lambda e: cmp(getattr(e, key), value)


def experiment_matches(node: Node) -> Callable[[Experiment], bool]:
    return compile_predicate(node, _experiment_leaf)


def sort_experiments(
    experiments: Iterable[Experiment], order_keys: Sequence[OrderKey]
) -> list[Experiment]:
    order = [(k.ident.key, k.ascending) for k in order_keys]
    if not order:
        order = [("creation_time", False), ("experiment_id", True)]
    if not any(k == "experiment_id" for k, _ in order):
        order.append(("experiment_id", False))
    return _sorted(experiments, order)


# -- registered models and model versions ----------------------------------------------------


def _registry_leaf(attr_of: Callable[[str], str], numeric: frozenset[str]):
    def leaf(c: Comparison) -> Callable[[Any], bool]:
        entity, key, op = c.ident.entity, c.ident.key, c.op
        value = int(c.value) if key in numeric else c.value  # type: ignore[arg-type]
        cmp = COMPARATORS[op]

        def match(item: Any) -> bool:
            lhs = item.tags.get(key) if entity == "tag" else getattr(item, attr_of(key))
            if key == PROMPT_TAG and lhs is None:
                return (op == "=" and value == "false") or (op == "!=" and value == "true")
            return lhs is not None and cmp(lhs, value)

        return match

    return leaf


_RM_LEAF = _registry_leaf(lambda key: key, frozenset())
_MV_ATTRS = {"source_path": "source", "version_number": "version"}
_MV_LEAF = _registry_leaf(lambda key: _MV_ATTRS.get(key, key), frozenset({"version_number"}))


def registered_model_matches(node: Node) -> Callable[[RegisteredModel], bool]:
    return compile_predicate(node, _RM_LEAF)


def sort_registered_models(
    models: Iterable[RegisteredModel], order_keys: Sequence[OrderKey]
) -> list[RegisteredModel]:
    order = [(k.ident.key, k.ascending) for k in order_keys]
    if not any(k == "name" for k, _ in order):
        order.append(("name", True))
    return _sorted(models, order)


def model_version_matches(node: Node) -> Callable[[ModelVersion], bool]:
    inner = compile_predicate(node, _MV_LEAF)
    return lambda mv: mv.current_stage != DELETED_STAGE and inner(mv)


def sort_model_versions(
    versions: Iterable[ModelVersion], order_keys: Sequence[OrderKey]
) -> list[ModelVersion]:
    order = [(_MV_ATTRS.get(k.ident.key, k.ident.key), k.ascending) for k in order_keys]
    if not order:
        order = [("last_updated_timestamp", False), ("name", True), ("version", False)]
    if not any(k == "name" for k, _ in order):
        order.append(("name", True))
    order.append(("version", False))  # MLflow always appends it
    return _sorted(versions, order)
