"""Compile the query AST to SQLAlchemy Core clauses over MLflow's own schema.

Semantics follow MLflow's SQL store (`store/tracking/sqlalchemy_store.py`
`_get_sqlalchemy_filter_clauses`, `_get_orderby_clauses`, the registry's
`_get_search_*_filter_*`). MLflow inner-joins one subquery per metric/param/tag
clause; here each clause is `runs.run_uuid IN (subquery)`, which selects the same rows
for MLflow's AND-only language (those tables hold one row per run and key) and also
composes with tuiflow's OR/NOT extension in two-valued logic: a run lacking the key, or
whose metric is NaN, simply fails the comparison, so NOT of it holds, as in
`evaluate.py`.

`schema` is `tuiflow.stores.sql_schema.Schema`; this module only reads its tables.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.sql.expression import ColumnElement

from tuiflow.errors import QueryError
from tuiflow.query.ast import And, Comparison, Node, Not, Or, OrderKey

if TYPE_CHECKING:
    from tuiflow.stores.sql_schema import Schema

Clause = ColumnElement[Any]

RUN_NAME_TAG = "mlflow.runName"
DATASET_CONTEXT_TAG = "mlflow.data.context"
PROMPT_TAG = "mlflow.prompt.is_prompt"

METRIC_OPS = ("=", "!=", "<", "<=", ">", ">=")
PARAM_OPS = ("=", "!=", "LIKE", "ILIKE", "IS NULL", "IS NOT NULL")
STRING_ATTR_OPS = ("=", "!=", "LIKE", "ILIKE", "IN", "NOT IN")
RUN_ATTR_COLUMNS = {
    "run_id": "run_uuid",
    "run_name": "name",
    "status": "status",
    "user_id": "user_id",
    "artifact_uri": "artifact_uri",
    "start_time": "start_time",
    "end_time": "end_time",
}
RUN_NUMERIC_ATTRS = ("start_time", "end_time")


def _binary(col: Clause) -> Clause:
    return sa.cast(col, sa.types.BINARY())


def compare(dialect: str, op: str, col: Clause, value: Any) -> Clause:
    """MLflow's `get_sql_comparison_func`: case-sensitive everywhere but ILIKE.

    SQLite relies on `PRAGMA case_sensitive_like`; MySQL compares strings case-
    insensitively unless forced to BINARY, which MLflow does after a cheap non-binary
    test so the index still helps.
    """
    string = isinstance(col.type, sa.String)
    if dialect == "mysql" and string and op in ("=", "!=", "LIKE", "IN", "NOT IN"):
        b = _binary(col)
        # Bound as text, not bytes: the BINARY cast would otherwise type the parameter too.
        if op in ("IN", "NOT IN"):
            values = [sa.literal(v, sa.String()) for v in value]
            return b.in_(values) if op == "IN" else ~b.in_(values)
        text = sa.literal(value, sa.String())
        if op == "=":
            return sa.and_(col == value, b == text)
        if op == "!=":
            return sa.or_(col != value, b != text)
        return sa.and_(col.like(value), b.like(text))
    if dialect == "mssql" and string:
        col = col.collate("Latin1_General_CS_AS")
    if op == "LIKE":
        return col.like(value)
    if op == "ILIKE":
        return col.ilike(value)
    if op == "IN":
        return col.in_(list(value))
    if op == "NOT IN":
        return ~col.in_(list(value))
    ops: dict[str, Callable[[Clause, Any], Clause]] = {
        "=": lambda c, v: c == v,
        "!=": lambda c, v: c != v,
        "<": lambda c, v: c < v,
        "<=": lambda c, v: c <= v,
        ">": lambda c, v: c > v,
        ">=": lambda c, v: c >= v,
    }
    if op not in ops:
        raise QueryError(f"Invalid comparator '{op}'")
    return ops[op](col, value)


def _check_op(c: Comparison, allowed: Sequence[str]) -> None:
    if c.op not in allowed:
        raise QueryError(f"Invalid comparator '{c.op}' not one of '{set(allowed)}'", c.offset)


def compile_node(node: Node, leaf: Callable[[Comparison], Clause]) -> Clause:
    """Fold And/Or/Not over `leaf`; an empty And is TRUE."""
    if isinstance(node, Comparison):
        return leaf(node)
    if isinstance(node, Not):
        return sa.not_(compile_node(node.term, leaf))
    parts = [compile_node(t, leaf) for t in node.terms]
    if isinstance(node, And):
        return sa.and_(*parts) if parts else sa.true()
    if isinstance(node, Or):
        return sa.or_(*parts) if parts else sa.false()
    raise TypeError(f"not a filter node: {node!r}")


def duplicate_fields_error(order_by: Sequence[str]) -> QueryError:
    return QueryError(f"`order_by` contains duplicate fields: {list(order_by)}")


# -- runs ------------------------------------------------------------------------------------


class RunCompiler:
    """Filters and order_by of `search_runs`, as MLflow's SQL store builds them."""

    def __init__(self, schema: Schema):
        self.s = schema
        self.d = schema.dialect
        self.runs = schema.t("runs")

    def where(self, node: Node) -> Clause:
        return compile_node(node, self._leaf)

    def _in_runs(self, sub: sa.Select) -> Clause:
        return self.runs.c.run_uuid.in_(sub)

    def _leaf(self, c: Comparison) -> Clause:
        ent, key, op, value = c.ident.entity, c.ident.key, c.op, c.value
        if ent == "attribute":
            numeric = key in RUN_NUMERIC_ATTRS
            _check_op(c, METRIC_OPS if numeric else STRING_ATTR_OPS)
            if key == "run_name":
                # The runs.name column is empty for runs logged by MLflow <= 1.29, so
                # MLflow filters on the tag and sorts on the column.
                tags = self.s.t("tags")
                return self._in_runs(
                    sa.select(tags.c.run_uuid).where(
                        compare(self.d, "=", tags.c.key, RUN_NAME_TAG),
                        compare(self.d, op, tags.c.value, value),
                    )
                )
            if key not in RUN_ATTR_COLUMNS:
                raise QueryError(f"Invalid attribute key '{key}' specified.", c.ident.offset)
            col = self.s.col("runs", RUN_ATTR_COLUMNS[key])
            # IS NOT NULL keeps the clause two-valued so NOT(...) includes NULL rows.
            return sa.and_(col.is_not(None), compare(self.d, op, col, value))
        if ent == "metric":
            _check_op(c, METRIC_OPS)
            lm = self.s.t("latest_metrics")
            try:
                num = float(value)  # type: ignore[arg-type]
            except (TypeError, ValueError, OverflowError):
                raise QueryError(
                    f"Expected numeric value type for metric. Found {value!r}", c.offset
                ) from None
            val = compare(self.d, op, lm.c.value, num)
            # NaN is stored as value=0, is_nan=1: it satisfies only "!=".
            if op == "!=":
                val = sa.or_(val, lm.c.is_nan == sa.true())
            else:
                val = sa.and_(val, lm.c.is_nan == sa.false())
            return self._in_runs(
                sa.select(lm.c.run_uuid).where(compare(self.d, "=", lm.c.key, key), val)
            )
        if ent in ("parameter", "tag"):
            _check_op(c, PARAM_OPS)
            t = self.s.t("params" if ent == "parameter" else "tags")
            if op in ("IS NULL", "IS NOT NULL"):
                present = self._in_runs(sa.select(t.c.run_uuid).where(t.c.key == key))
                return sa.not_(present) if op == "IS NULL" else present
            return self._in_runs(
                sa.select(t.c.run_uuid).where(
                    compare(self.d, "=", t.c.key, key), compare(self.d, op, t.c.value, value)
                )
            )
        if ent == "dataset":
            _check_op(c, STRING_ATTR_OPS)
            return self._dataset(c)
        raise QueryError(f"Invalid search expression type '{ent}'", c.ident.offset)

    def _dataset(self, c: Comparison) -> Clause:
        if not (self.s.has("datasets") and self.s.has("inputs")):
            return sa.false()  # schema predates datasets: no run has any
        ds, inp = self.s.t("datasets"), self.s.t("inputs")
        joined = ds.join(inp, inp.c.source_id == ds.c.dataset_uuid)
        key = c.ident.key
        if key == "context":
            if not self.s.has("input_tags"):
                return sa.false()
            it = self.s.t("input_tags")
            joined = joined.join(
                it,
                sa.and_(
                    it.c.input_uuid == inp.c.input_uuid,
                    it.c.name == DATASET_CONTEXT_TAG,
                    compare(self.d, c.op, it.c.value, c.value),
                ),
            )
            sub = sa.select(inp.c.destination_id).select_from(joined)
        elif key in ("name", "digest"):
            sub = (
                sa.select(inp.c.destination_id)
                .select_from(joined)
                .where(compare(self.d, c.op, ds.c[key], c.value))
            )
        else:
            raise QueryError(f"Invalid dataset key '{key}' specified.", c.ident.offset)
        return self._in_runs(sub)

    def order(
        self, keys: Sequence[OrderKey], order_by: Sequence[str]
    ) -> tuple[list[tuple[Any, Clause]], list[Clause]]:
        """(outer joins, ORDER BY terms) like MLflow's `_get_orderby_clauses`.

        Each key first sorts on a CASE that puts rows with a value before NaN (metrics)
        before missing, in both directions, since MySQL has no NULLS LAST.
        """
        joins: list[tuple[Any, Clause]] = []
        terms: list[Clause] = []
        seen: set[tuple[str, str]] = set()
        for i, k in enumerate(keys, start=1):
            ent, key = k.ident.entity, k.ident.key
            if ent == "attribute":
                if key not in RUN_ATTR_COLUMNS:
                    raise QueryError(f"Invalid attribute key '{key}' specified.", k.ident.offset)
                value = self.s.col("runs", RUN_ATTR_COLUMNS[key])
                case = sa.case((value.is_(None), 1), else_=0)
            elif ent in ("metric", "tag", "parameter"):
                table = {"metric": "latest_metrics", "tag": "tags", "parameter": "params"}[ent]
                t = self.s.t(table)
                sub = sa.select(t).where(t.c.key == key).subquery(f"order_{i}")
                joins.append((sub, sub.c.run_uuid == self.runs.c.run_uuid))
                value = sub.c.value
                if ent == "metric":
                    case = sa.case((sub.c.is_nan == sa.true(), 1), (value.is_(None), 2), else_=0)
                else:
                    case = sa.case((value.is_(None), 1), else_=0)
            else:
                raise QueryError(f"Invalid identifier type '{ent}'", k.ident.offset)
            if (ent, key) in seen:
                raise duplicate_fields_error(order_by)
            seen.add((ent, key))
            terms.append(case)
            terms.append(value.asc() if k.ascending else value.desc())
        if ("attribute", "start_time") not in seen:
            terms.append(self.s.col("runs", "start_time").desc())
        terms.append(self.runs.c.run_uuid.asc())
        return joins, terms


# -- experiments -----------------------------------------------------------------------------

EXPERIMENT_NUMERIC = ("creation_time", "last_update_time")


def _parse_int_id(v: Any) -> int:
    try:
        return int(v)
    except (TypeError, ValueError):
        raise QueryError(
            f"Invalid experiment ID '{v}'. Experiment ID must be a valid integer."
        ) from None


def integer_value(c: Comparison, quote: bool) -> int:
    """SQL MLflow binds numeric attributes as integers and rejects floats."""
    if isinstance(c.value, float) or not isinstance(c.value, (int, str)):
        shown = repr(str(c.value)) if quote else repr(c.value)
        raise QueryError(f"Invalid value for numeric attribute '{c.ident.key}': {shown}", c.offset)
    try:
        return int(c.value)
    except ValueError:
        raise QueryError(
            f"Invalid value for numeric attribute '{c.ident.key}': {c.value!r}", c.offset
        ) from None


class ExperimentCompiler:
    """`_get_search_experiments_filter_clauses` / `_order_by_clauses` of MLflow."""

    def __init__(self, schema: Schema):
        self.s = schema
        self.d = schema.dialect
        self.exp = schema.t("experiments")

    def where(self, node: Node) -> Clause:
        return compile_node(node, self._leaf)

    def _leaf(self, c: Comparison) -> Clause:
        ent, key, op = c.ident.entity, c.ident.key, c.op
        # MLflow checks the comparator as written here (unlike for runs): `like` is refused.
        written = c.spelled or op
        if ent == "attribute":
            if key == "experiment_id":
                if written not in ("=", "!=", "IN", "NOT IN"):
                    raise QueryError(f"Invalid comparator for experiment_id: {written}", c.offset)
                value: Any = (
                    tuple(_parse_int_id(v) for v in c.value)
                    if isinstance(c.value, tuple)
                    else _parse_int_id(c.value)
                )
            elif key in EXPERIMENT_NUMERIC:
                if op not in METRIC_OPS:
                    raise QueryError(f"Invalid comparator for numeric attribute: {op}", c.offset)
                value = integer_value(c, quote=True)
            elif key == "name":
                if written not in ("=", "!=", "LIKE", "ILIKE"):
                    raise QueryError(
                        f"Invalid comparator for string attribute: {written}", c.offset
                    )
                value = c.value
            else:
                raise QueryError(f"Invalid attribute key '{key}' specified.", c.ident.offset)
            col = self.s.col("experiments", key)
            return sa.and_(col.is_not(None), compare(self.d, op, col, value))
        if ent == "tag":
            if not self.s.has("experiment_tags"):
                return sa.true() if op == "IS NULL" else sa.false()
            t = self.s.t("experiment_tags")
            if op in ("IS NULL", "IS NOT NULL"):
                present = self.exp.c.experiment_id.in_(
                    sa.select(t.c.experiment_id).where(t.c.key == key)
                )
                return sa.not_(present) if op == "IS NULL" else present
            if written not in ("=", "!=", "LIKE", "ILIKE"):
                raise QueryError(f"Invalid comparator for tag: {written}", c.offset)
            return self.exp.c.experiment_id.in_(
                sa.select(t.c.experiment_id).where(
                    compare(self.d, "=", t.c.key, key), compare(self.d, op, t.c.value, c.value)
                )
            )
        raise QueryError(f"Invalid token type: {ent}", c.ident.offset)

    def order(self, keys: Sequence[OrderKey]) -> list[Clause]:
        pairs: list[tuple[str, bool]] = []
        for k in keys:
            if k.ident.entity != "attribute":
                raise QueryError(f"Invalid order_by entity: {k.ident.entity}", k.ident.offset)
            pairs.append((k.ident.key, k.ascending))
        if not keys:
            pairs = [("creation_time", False), ("experiment_id", True)]
        if not any(key == "experiment_id" for key, _ in pairs):
            pairs.append(("experiment_id", False))
        out = []
        for key, asc in pairs:
            col = self.s.col("experiments", key)
            out.append(col.asc() if asc else col.desc())
        return out
