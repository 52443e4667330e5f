"""Parse MLflow filter and order_by strings into the tree of `tuiflow.query.ast`.

Hand-written (no sqlparse), but it accepts what MLflow 3.x accepts and rejects what it
rejects, with MLflow's wording and the offset of the offending token. Checks MLflow only
makes while evaluating a search (comparator per entity, `==`, `<>`, `NOT LIKE`, IS NULL on
metrics …) are made here, at parse time. See `syntax.py` for the shape of a filter,
`grammars.py` for the meaning of identifiers and values per kind of search, and
`validate.py` for the few deliberate differences.

Where MLflow's file and SQL stores disagree, the superset is accepted and the SQL store
rejects the rest: `creation_time > 1.5` and `version_number >= 1.5` (file store only),
`experiment_id LIKE …` (file store only), duplicate order_by keys (file store only), and
both `timestamp` (SQL) and `creation_timestamp` (file) as registered-model order keys.

`extended=True` also accepts OR, NOT and parentheses (tuiflow's extension; `ast.Not` is a
plain boolean negation, so `NOT params.a = 'x'` includes runs without `a`).
"""

from __future__ import annotations

import shlex
from collections.abc import Callable, Sequence

from tuiflow.errors import QueryError
from tuiflow.query import grammars
from tuiflow.query.ast import MATCH_ALL, And, Comparison, Identifier, Node, Not, Or, OrderKey
from tuiflow.query.lexer import Kind
from tuiflow.query.syntax import (
    _IDENT_START,
    Cursor,
    RawAnd,
    RawClause,
    RawNode,
    RawNot,
    parse_structure,
)

Leaf = Callable[[RawClause, str], Comparison]
OrderIdent = Callable[[str, int, str], Identifier]


def _convert(raw: RawNode, leaf: Leaf, text: str) -> Node:
    if isinstance(raw, RawClause):
        return leaf(raw, text)
    if isinstance(raw, RawNot):
        return Not(_convert(raw.term, leaf, text))
    terms = tuple(_convert(t, leaf, text) for t in raw.terms)
    return And(terms) if isinstance(raw, RawAnd) else Or(terms)


def _parse_filter(text: str | None, leaf: Leaf, extended: bool) -> Node:
    if not text:
        return MATCH_ALL
    if text.isspace():  # sqlparse finds no statement at all, and MLflow says so
        raise QueryError(f"Invalid filter '{text}'. Could not be parsed.", 0, text)
    node = _convert(parse_structure(text, extended), leaf, text)
    return And((node,)) if isinstance(node, Comparison) else node


def parse_run_filter(text: str | None, *, extended: bool = False) -> Node:
    """A `search_runs` filter. None or "" match everything."""
    return _parse_filter(text, grammars.run_comparison, extended)


def parse_experiment_filter(text: str | None, *, extended: bool = False) -> Node:
    return _parse_filter(text, grammars.experiment_comparison, extended)


def parse_registered_model_filter(text: str | None, *, extended: bool = False) -> Node:
    return _parse_filter(text, grammars.registered_model_comparison, extended)


def parse_model_version_filter(text: str | None, *, extended: bool = False) -> Node:
    return _parse_filter(text, grammars.model_version_comparison, extended)


# -- order_by ---------------------------------------------------------------------------------


def split_order_item(item: str) -> tuple[str, int, bool]:
    """(identifier text, its offset, ascending) of one order_by entry.

    MLflow (`SearchUtils._parse_order_by_string`) needs sqlparse to see exactly one
    identifier, optionally followed by ASC/DESC or by another name, with no whitespace
    around it; then it splits the text with `shlex` (backticks read as double quotes).
    """
    bad = QueryError(f"Invalid order_by clause '{item}'. Could not be parsed.", 0, item)
    cur = Cursor(item)
    if not cur.toks or cur.gap_before(0) or cur.toks[-1].end != len(item):
        raise bad
    try:
        ident = cur.ident()
    except QueryError:
        raise bad from None
    tok = cur.peek()
    if tok is None:
        return item.strip(), ident.start, True
    if not cur.gap_before():
        raise QueryError(bad.message, tok.start, item)
    if tok.kind is Kind.ORDER:
        cur.next()
    elif tok.kind in _IDENT_START:
        cur.ident()  # sqlparse takes a following name as an alias
    else:
        raise QueryError(bad.message, tok.start, item)
    if cur.peek() is not None:
        raise QueryError(bad.message, cur.toks[cur.i].start, item)
    try:
        parts = shlex.split(item.replace("`", '"'))
    except ValueError:
        raise bad from None
    if len(parts) > 2:
        raise QueryError(bad.message, tok.start, item)
    if len(parts) < 2:
        return item.strip(), ident.start, True
    direction = parts[1].lower()
    if direction not in ("asc", "desc"):
        raise QueryError(f"Invalid ordering key in order_by clause '{item}'.", tok.start, item)
    return parts[0].strip(), ident.start, direction == "asc"


def _parse_order_by(items: Sequence[str] | None, make: OrderIdent) -> tuple[OrderKey, ...]:
    keys: list[OrderKey] = []
    for item in items or ():
        ident_text, at, ascending = split_order_item(item)
        keys.append(OrderKey(make(ident_text, at, item), ascending))
    return tuple(keys)


def parse_run_order_by(items: Sequence[str] | None) -> tuple[OrderKey, ...]:
    """`search_runs` order_by entries. Duplicates are allowed (the file store allows them)."""
    return _parse_order_by(items, grammars.run_order_ident)


def parse_experiment_order_by(items: Sequence[str] | None) -> tuple[OrderKey, ...]:
    return _parse_order_by(items, grammars.experiment_order_ident)


def parse_registered_model_order_by(items: Sequence[str] | None) -> tuple[OrderKey, ...]:
    """Keys: name, creation_timestamp (file store), last_updated_timestamp, and timestamp
    (SQL store), which becomes last_updated_timestamp."""
    return _parse_order_by(items, grammars.registered_model_order_ident)


def parse_model_version_order_by(items: Sequence[str] | None) -> tuple[OrderKey, ...]:
    return _parse_order_by(items, grammars.model_version_order_ident)
