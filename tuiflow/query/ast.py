"""The parsed form of MLflow filter and order_by strings.

Pure data. `parser.py` builds it, `evaluate.py` runs it over entities (file store),
`sql.py` compiles it to SQLAlchemy Core (SQL store), and the REST store sends the
original text after the parser has validated it.

MLflow's own language is a flat AND of comparisons; `And`, `Or` and `Not` nodes exist so
that tuiflow's documented extension (OR, NOT, parentheses) shares the same tree. A filter
that is plain MLflow syntax parses to `And` of `Comparison`s only (`is_mlflow_syntax`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

# Canonical entity names, as MLflow's SearchUtils uses them.
Entity = Literal["metric", "parameter", "tag", "attribute", "dataset"]

# Comparators as MLflow spells them (upper-case keywords).
Comparator = Literal[
    "=", "!=", "<", "<=", ">", ">=", "LIKE", "ILIKE", "IN", "NOT IN", "IS NULL", "IS NOT NULL"
]

Value = str | float | int | tuple[str, ...] | None


@dataclass(frozen=True, slots=True)
class Identifier:
    entity: Entity
    key: str  # canonical key: attribute aliases resolved (created -> start_time)
    offset: int  # character offset in the source text
    text: str = ""  # as written, for messages


@dataclass(frozen=True, slots=True)
class Comparison:
    ident: Identifier
    op: Comparator
    value: Value
    offset: int  # offset of the comparator token
    # LIKE / ILIKE / IN exactly as written ("like"): MLflow's SQL store checks experiment
    # filters' comparators verbatim and refuses lower case. Not part of equality.
    spelled: str = field(default="", compare=False)


@dataclass(frozen=True, slots=True)
class And:
    terms: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class Or:
    terms: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class Not:
    term: Node


Node = Comparison | And | Or | Not


@dataclass(frozen=True, slots=True)
class OrderKey:
    ident: Identifier
    ascending: bool = True


def is_mlflow_syntax(node: Node) -> bool:
    """True when the tree is a flat AND of comparisons, i.e. MLflow can run it itself."""
    if isinstance(node, Comparison):
        return True
    if isinstance(node, And):
        return all(isinstance(t, Comparison) for t in node.terms)
    return False


def comparisons(node: Node) -> list[Comparison]:
    """Every comparison in the tree, in source order."""
    if isinstance(node, Comparison):
        return [node]
    if isinstance(node, Not):
        return comparisons(node.term)
    out: list[Comparison] = []
    for t in node.terms:
        out.extend(comparisons(t))
    return out


MATCH_ALL: And = And(())
