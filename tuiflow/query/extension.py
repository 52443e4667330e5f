"""tuiflow's filter extension for `search_runs`: OR, NOT and parentheses.

MLflow's own language is a flat AND of comparisons. tuiflow also accepts `OR`, `NOT` and
parentheses around MLflow's comparisons (precedence NOT > AND > OR). A filter MLflow
accepts keeps exactly MLflow's meaning and takes the store's usual path (evaluated by the
file store, pushed down as SQL, sent verbatim to a tracking server); only a filter that
needs the extension is run by tuiflow itself.

Semantics are two-valued, so each extended filter is plain set algebra over what MLflow
returns for its comparisons on the same store:

* `A OR B` matches result(A) ∪ result(B), `A AND B` result(A) ∩ result(B);
* `NOT A` matches every run for which the comparison A does not hold, which includes runs
  that lack the key: `NOT metrics.acc > 0.9` keeps runs without an `acc` metric, and
  runs whose `acc` is NaN, i.e. it is "all runs minus result(A)". To exclude runs
  without the key, say so: `metrics.acc <= 0.9` or `NOT metrics.acc > 0.9 AND
  params.x IS NOT NULL`.
* results come in MLflow's order for the given order_by (default: start_time DESC,
  run_id ASC), exactly as the union would be ordered by MLflow.
"""

from __future__ import annotations

from tuiflow.errors import QueryError
from tuiflow.query.ast import And, Comparison, Node
from tuiflow.query.parser import parse_run_filter

# Canonical entity -> the prefix MLflow's grammar spells it with.
_PREFIX = {
    "metric": "metrics",
    "parameter": "params",
    "tag": "tags",
    "attribute": "attributes",
    "dataset": "datasets",
}


def parse_search_filter(text: str | None) -> tuple[Node, bool]:
    """(tree, plain): `plain` is True when MLflow itself accepts `text`.

    A filter that needs the extension is parsed with it; when even the extension cannot
    read it, its error (which knows about OR, NOT and parentheses) is raised.
    """
    try:
        return parse_run_filter(text), True
    except QueryError:
        pass
    return parse_run_filter(text, extended=True), False


def _quote_key(key: str) -> list[str]:
    return [key, f"`{key}`", f'"{key}"']


def _quote_value(value: str) -> list[str]:
    return [f"'{value}'", f'"{value}"']


def _same(a: Comparison, b: Comparison) -> bool:
    return (a.ident.entity, a.ident.key, a.op, a.value) == (
        b.ident.entity,
        b.ident.key,
        b.op,
        b.value,
    )


def _candidates(c: Comparison) -> list[str]:
    idents = [f"{_PREFIX[c.ident.entity]}.{k}" for k in _quote_key(c.ident.key)]
    value = c.value
    if c.op in ("IS NULL", "IS NOT NULL"):
        values = [""]
    elif isinstance(value, tuple):
        values = ["(" + ", ".join(repr(v) for v in value) + ")"]
    elif isinstance(value, str):
        values = _quote_value(value)
    elif isinstance(value, float):
        values = [repr(value)]
    else:
        values = [str(value)]
    return [f"{i} {c.op} {v}".rstrip() for i in idents for v in values]


def render_comparison(c: Comparison) -> str | None:
    """`c` written in MLflow's syntax, or None when no spelling reads back the same.

    Every candidate spelling is parsed again and kept only if it means exactly `c`, so
    odd keys or values (quotes of both kinds, …) are never sent with another meaning.
    """
    for text in _candidates(c):
        try:
            node = parse_run_filter(text)
        except QueryError:
            continue
        if isinstance(node, And) and len(node.terms) == 1:
            back = node.terms[0]
            if isinstance(back, Comparison) and _same(back, c):
                return text
    return None


def server_part(node: Node) -> str | None:
    """The largest AND-conjunct of `node` that is plain MLflow syntax, as text.

    A tracking server can run it to cut traffic; the whole filter is still evaluated
    locally on what comes back, so leaving a comparison out only costs bandwidth.
    None when no conjunct can be sent (e.g. the top node is an OR or a NOT).
    """
    if not isinstance(node, And):
        return None
    parts = [render_comparison(t) for t in node.terms if isinstance(t, Comparison)]
    sent = [p for p in parts if p is not None]
    return " AND ".join(sent) if sent else None
