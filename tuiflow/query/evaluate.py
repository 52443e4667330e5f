"""Run a parsed filter and order_by over runs in Python, as MLflow's file store does.

Semantics are those of `SearchUtils._does_run_match_clause` and `SearchUtils.sort`:

* metrics compare their latest value as floats; NaN satisfies only `!=`;
* a run without the metric, param or tag never matches a comparison, `!=` included;
  IS NULL / IS NOT NULL test presence (a tag with value '' is present);
* `attributes.end_time` (or any attribute) that is None never matches;
* `attributes.run_name` is `Run.run_name`;
* each `datasets.*` clause is satisfied when any one input matches, so two clauses may be
  satisfied by two different inputs; `datasets.context` looks at inputs with a context tag;
* LIKE / ILIKE: see `like.py`.

Experiments, registered models and model versions are in `evaluate_models.py` and are
re-exported here.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from tuiflow.entities import DATASET_CONTEXT_TAG, RUN_NAME_TAG, Run
from tuiflow.query.ast import Comparison, Identifier, Node, OrderKey, comparisons
from tuiflow.query.evaluate_models import (
    Predicate,
    compile_predicate,
    experiment_matches,
    model_version_matches,
    registered_model_matches,
    sort_experiments,
    sort_model_versions,
    sort_registered_models,
)
from tuiflow.query.like import COMPARATORS

__all__ = [
    "RunFields",
    "compile_predicate",
    "experiment_matches",
    "model_version_matches",
    "registered_model_matches",
    "required_fields",
    "run_matches",
    "sort_experiments",
    "sort_model_versions",
    "sort_registered_models",
    "sort_runs",
]


def run_matches(node: Node) -> Predicate[Run]:
    """A predicate telling whether a run satisfies the filter."""
    return compile_predicate(node, _run_leaf)


def _keyed(key: str, op: str, value: Any, values: Callable[[Run], Mapping[str, Any]]):
    if op == "IS NULL":
        return lambda run: key not in values(run)
    if op == "IS NOT NULL":
        return lambda run: key in values(run)
    cmp = COMPARATORS[op]

    def match(run: Run) -> bool:
        lhs = values(run).get(key)
        return lhs is not None and cmp(lhs, value)

    return match


def _run_leaf(c: Comparison) -> Predicate[Run]:
    entity, key, op, value = c.ident.entity, c.ident.key, c.op, c.value
    if entity == "metric":
        number = float(value)  # type: ignore[arg-type]
        cmp = COMPARATORS[op]

        def metric(run: Run) -> bool:
            m = run.metrics.get(key)
            return m is not None and cmp(m.value, number)

        return metric
    if entity == "parameter":
        return _keyed(key, op, value, lambda run: run.params)
    if entity == "tag":
        return _keyed(key, op, value, lambda run: run.tags)
    cmp = COMPARATORS[op]
    if entity == "attribute":

        def attribute(run: Run) -> bool:
            lhs = getattr(run, key)
            return lhs is not None and cmp(lhs, value)

        return attribute
    if key == "context":
        return lambda run: any(
            cmp(i.tags[DATASET_CONTEXT_TAG], value)
            for i in run.inputs
            if DATASET_CONTEXT_TAG in i.tags
        )
    return lambda run: any(cmp(getattr(i.dataset, key), value) for i in run.inputs)


# -- sorting ------------------------------------------------------------------------------------


def _sort_value(value: Any, ascending: bool) -> tuple[bool, Any]:
    """MLflow's `_get_value_for_sort`: values first, then NaN, then None, either direction."""
    is_none = value is None
    is_nan = isinstance(value, float) and math.isnan(value)
    fill = math.inf if ascending else -math.inf
    if is_none:
        value = fill
    elif is_nan:
        value = -fill
    flagged = is_none or is_nan
    return (flagged, value) if ascending else (not flagged, value)


def _run_value(run: Run, ident: Identifier) -> Any:
    if ident.entity == "metric":
        m = run.metrics.get(ident.key)
        return None if m is None else m.value
    if ident.entity == "parameter":
        return run.params.get(ident.key)
    if ident.entity == "tag":
        return run.tags.get(ident.key)
    return getattr(run, ident.key)


def sort_runs(runs: Iterable[Run], order_keys: Sequence[OrderKey]) -> list[Run]:
    """MLflow's `SearchUtils.sort`: start_time DESC, run_id ASC, then each order key applied
    as a stable sort from the last to the first. Params and tags sort as strings."""
    out = sorted(runs, key=lambda r: (r.start_time is None, -(r.start_time or 0), r.run_id))
    for k in reversed(order_keys):
        out = sorted(
            out,
            key=lambda r, k=k: _sort_value(_run_value(r, k.ident), k.ascending),
            reverse=not k.ascending,
        )
    return out


# -- what a store must load -----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RunFields:
    """The run data a filter and order_by look at, so a store can read only that.

    The `all_*` flags are for constructs that need every key of a kind; none of MLflow's
    syntax does, so they are False for every filter the parser produces today.
    """

    metrics: frozenset[str] = frozenset()
    params: frozenset[str] = frozenset()
    tags: frozenset[str] = frozenset()
    datasets: bool = False
    all_metrics: bool = False
    all_params: bool = False
    all_tags: bool = False


def required_fields(node: Node, order_keys: Sequence[OrderKey] = ()) -> RunFields:
    idents = [c.ident for c in comparisons(node)] + [k.ident for k in order_keys]
    metrics: set[str] = set()
    params: set[str] = set()
    tags: set[str] = set()
    datasets = False
    for ident in idents:
        if ident.entity == "metric":
            metrics.add(ident.key)
        elif ident.entity == "parameter":
            params.add(ident.key)
        elif ident.entity == "tag":
            tags.add(ident.key)
        elif ident.entity == "dataset":
            datasets = True
        elif ident.key == "run_name":
            # MLflow's file store falls back to this tag when meta.yaml has no run_name.
            tags.add(RUN_NAME_TAG)
    return RunFields(frozenset(metrics), frozenset(params), frozenset(tags), datasets)
