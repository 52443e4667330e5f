"""Model registry over MLflow's SQL schema: filters, ordering and entity loading.

Follows `store/model_registry/sqlalchemy_store.py`. One deliberate difference: model
versions carry their `aliases` everywhere (MLflow's SQL store leaves them empty in
`search_model_versions` and in `latest_versions`, filling them only in
`get_model_version`), because an explorer wants to show them in lists.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa

from tuiflow.entities import DELETED_STAGE, ModelVersion, Page, RegisteredModel
from tuiflow.errors import NotFoundError, QueryError
from tuiflow.query import parser
from tuiflow.query.ast import Comparison, Node, OrderKey, comparisons
from tuiflow.query.sql import (
    METRIC_OPS,
    PROMPT_TAG,
    STRING_ATTR_OPS,
    Clause,
    compare,
    compile_node,
    duplicate_fields_error,
    integer_value,
)
from tuiflow.stores.base import (
    SEARCH_MODEL_VERSION_MAX_RESULTS_THRESHOLD,
    SEARCH_REGISTERED_MODEL_MAX_RESULTS_THRESHOLD,
    decode_page_token,
    encode_page_token,
)
from tuiflow.stores.sql_schema import Schema

MV_ATTR_COLUMNS = {
    "name": "name",
    "run_id": "run_id",
    "source_path": "source",
    "version_number": "version",
}
RM_ORDER_COLUMNS = {
    "name": "name",
    "timestamp": "last_updated_time",
    "last_updated_timestamp": "last_updated_time",
}
MV_ORDER_COLUMNS = {
    "name": "name",
    "version_number": "version",
    "creation_timestamp": "creation_time",
    "last_updated_timestamp": "last_updated_time",
}
MV_DEFAULT_ORDER = ("last_updated_timestamp", False), ("name", True), ("version_number", False)
_CHUNK = 500


def is_querying_prompts(node: Node) -> bool:
    """MLflow's `_is_querying_prompt`: the first prompt-tag clause decides."""
    for c in comparisons(node):
        if c.ident.entity != "tag" or c.ident.key != PROMPT_TAG:
            continue
        v = c.value.lower() if isinstance(c.value, str) else ""
        return (c.op == "=" and v == "true") or (c.op == "!=" and v == "false")
    return False


class RegistryCompiler:
    """Filters and order of `search_registered_models` (`registered_models`) and
    `search_model_versions` (`model_versions`), with MLflow's prompt hiding."""

    def __init__(self, schema: Schema, table: str):
        self.s = schema
        self.d = schema.dialect
        self.table = table
        self.rm = table == "registered_models"
        self.main = schema.t(table)
        self.tag_table = "registered_model_tags" if self.rm else "model_version_tags"
        self.prompts = False

    def where(self, node: Node) -> Clause:
        self.prompts = is_querying_prompts(node)
        clause = compile_node(node, self._leaf)
        if not self.prompts and self.s.has(self.tag_table):
            # Not asking for prompts: hide every model (for versions: every version of a
            # model) carrying the prompt tag; the prompt-tag clause itself is dropped.
            t = self.s.t(self.tag_table)
            prompt_names = sa.select(t.c.name).where(
                *self.s.workspace_clause(self.tag_table),
                compare(self.d, "=", t.c.key, PROMPT_TAG),
                compare(self.d, "=", t.c.value, "true"),
            )
            clause = sa.and_(clause, self.main.c.name.not_in(prompt_names))
        return sa.and_(clause, *self.s.workspace_clause(self.table))

    def _leaf(self, c: Comparison) -> Clause:
        ent, key, op = c.ident.entity, c.ident.key, c.op
        if ent == "attribute":
            value: Any = c.value
            if self.rm:
                if key != "name":
                    raise QueryError(f"Invalid attribute name: {key}", c.ident.offset)
                column = "name"
                if op not in STRING_ATTR_OPS:
                    raise QueryError(f"Invalid comparator for attribute: {op}", c.offset)
            else:
                if key not in MV_ATTR_COLUMNS:
                    raise QueryError(f"Invalid attribute name: {key}", c.ident.offset)
                column = MV_ATTR_COLUMNS[key]
                if key == "version_number":
                    if op not in METRIC_OPS:
                        raise QueryError(f"Invalid comparator for attribute {key}: {op}", c.offset)
                    value = integer_value(c, quote=False)
                elif op not in STRING_ATTR_OPS or (
                    op in ("IN", "NOT IN") and key not in ("run_id", "name")
                ):
                    raise QueryError(f"Invalid comparator for attribute: {op}", c.offset)
            col = self.s.col(self.table, column)
            return sa.and_(col.is_not(None), compare(self.d, op, col, value))
        if ent == "tag":
            if op not in ("=", "!=", "LIKE", "ILIKE"):
                raise QueryError(f"Invalid comparator for tag: {op}", c.offset)
            if key == PROMPT_TAG and not self.prompts:
                return sa.true()
            if not self.s.has(self.tag_table):
                return sa.false()
            t = self.s.t(self.tag_table)
            conds = [
                *self.s.workspace_clause(self.tag_table),
                compare(self.d, "=", t.c.key, key),
                compare(self.d, op, t.c.value, c.value),
            ]
            if self.rm:
                return self.main.c.name.in_(sa.select(t.c.name).where(*conds))
            return sa.tuple_(self.main.c.name, self.main.c.version).in_(
                sa.select(t.c.name, t.c.version).where(*conds)
            )
        raise QueryError(f"Invalid token type: {ent}", c.ident.offset)

    def order(self, keys: Sequence[OrderKey], order_by: Sequence[str]) -> list[Clause]:
        columns = RM_ORDER_COLUMNS if self.rm else MV_ORDER_COLUMNS
        pairs = [(k.ident.key, k.ascending, k.ident.offset) for k in keys]
        if not pairs and not self.rm:
            pairs = [(key, asc, None) for key, asc in MV_DEFAULT_ORDER]
        out: list[Clause] = []
        seen: set[str] = set()
        for key, asc, offset in pairs:
            if key not in columns:
                if self.rm:  # MLflow's message, missing space included
                    msg = "specified.Valid keys are '{'timestamp', 'name'}'"
                else:
                    msg = f"specified. Valid keys are {set(MV_ORDER_COLUMNS)}"
                raise QueryError(f"Invalid order by key '{key}' {msg}", offset)
            column = columns[key]
            if column in seen:
                raise duplicate_fields_error(order_by)
            seen.add(column)
            col = self.s.col(self.table, column)
            out.append(col.asc() if asc else col.desc())
        if "name" not in seen:
            out.append(self.main.c.name.asc())
        if not self.rm and "version" not in seen:
            out.append(self.main.c.version.desc())
        return out


# -- loading ---------------------------------------------------------------------------------


def _chunks(items: Sequence[Any]) -> list[Sequence[Any]]:
    return [items[i : i + _CHUNK] for i in range(0, len(items), _CHUNK)]


def _aliases(conn: sa.Connection, s: Schema, names: Sequence[str]) -> dict[str, dict[str, int]]:
    out: dict[str, dict[str, int]] = defaultdict(dict)
    if not s.has("registered_model_aliases") or not names:
        return out
    t = s.t("registered_model_aliases")
    for chunk in _chunks(names):
        q = sa.select(t.c.name, t.c.alias, t.c.version).where(
            t.c.name.in_(chunk), *s.workspace_clause("registered_model_aliases")
        )
        for name, alias, version in conn.execute(q).all():
            out[name][alias] = int(version)
    return out


def load_versions(conn: sa.Connection, s: Schema, rows: Sequence[Any]) -> list[ModelVersion]:
    """Model-version rows -> entities with tags and aliases, in two batched queries."""
    names = sorted({r.name for r in rows})
    tags: dict[tuple[str, int], dict[str, str]] = defaultdict(dict)
    if s.has("model_version_tags") and names:
        t = s.t("model_version_tags")
        wanted = {(r.name, r.version) for r in rows}
        for chunk in _chunks(names):
            q = sa.select(t.c.name, t.c.version, t.c.key, t.c.value).where(
                t.c.name.in_(chunk), *s.workspace_clause("model_version_tags")
            )
            for name, version, key, value in conn.execute(q).all():
                if (name, version) in wanted:
                    tags[(name, version)][key] = value
    aliases = _aliases(conn, s, names)
    out = []
    for r in rows:
        by_version = aliases.get(r.name, {})
        out.append(
            ModelVersion(
                name=r.name,
                version=int(r.version),
                creation_timestamp=r.creation_time,
                last_updated_timestamp=r.last_updated_time,
                current_stage=r.current_stage if r.current_stage is not None else "None",
                description=r.description,
                source=r.source,
                run_id=r.run_id,
                status=r.status or "READY",
                status_message=r.status_message,
                run_link=r.run_link,
                user_id=r.user_id,
                storage_location=r.storage_location,
                tags=tags.get((r.name, r.version), {}),
                aliases=tuple(a for a, v in by_version.items() if v == r.version),
            )
        )
    return out


def _latest_versions(
    conn: sa.Connection, s: Schema, names: Sequence[str]
) -> dict[str, list[ModelVersion]]:
    """Highest non-deleted version per (model, stage), stages in order of first use."""
    if not names or not s.has("model_versions"):
        return {}
    mv = s.t("model_versions")
    rows = []
    for chunk in _chunks(names):
        g = (
            sa.select(
                mv.c.name,
                sa.func.max(mv.c.version).label("top"),
                sa.func.min(mv.c.version).label("first"),
            )
            .where(
                mv.c.name.in_(chunk),
                mv.c.current_stage != DELETED_STAGE,
                *s.workspace_clause("model_versions"),
            )
            .group_by(mv.c.name, mv.c.current_stage)
            .subquery()
        )
        q = (
            sa.select(*s.select_cols("model_versions"))
            .select_from(mv.join(g, sa.and_(mv.c.name == g.c.name, mv.c.version == g.c.top)))
            .where(*s.workspace_clause("model_versions"))
            .order_by(mv.c.name, g.c.first)
        )
        rows.extend(conn.execute(q).all())
    out: dict[str, list[ModelVersion]] = defaultdict(list)
    for v in load_versions(conn, s, rows):
        out[v.name].append(v)
    return out


def load_models(conn: sa.Connection, s: Schema, rows: Sequence[Any]) -> list[RegisteredModel]:
    names = [r.name for r in rows]
    tags: dict[str, dict[str, str]] = defaultdict(dict)
    if s.has("registered_model_tags") and names:
        t = s.t("registered_model_tags")
        for chunk in _chunks(names):
            q = sa.select(t.c.name, t.c.key, t.c.value).where(
                t.c.name.in_(chunk), *s.workspace_clause("registered_model_tags")
            )
            for name, key, value in conn.execute(q).all():
                tags[name][key] = value
    aliases = _aliases(conn, s, names)
    latest = _latest_versions(conn, s, names)
    return [
        RegisteredModel(
            name=r.name,
            creation_timestamp=r.creation_time,
            last_updated_timestamp=r.last_updated_time,
            description=r.description,
            tags=tags.get(r.name, {}),
            aliases=dict(aliases.get(r.name, {})),
            latest_versions=tuple(latest.get(r.name, ())),
        )
        for r in rows
    ]


class Search:
    """One registry search, validated like MLflow's SQL registry before any I/O."""

    def __init__(
        self,
        table: str,
        filter: str | None,
        order_by: Sequence[str] | None,
        max_results: int,
        page_token: str | None,
    ):
        rm = table == "registered_models"
        limit = (
            SEARCH_REGISTERED_MODEL_MAX_RESULTS_THRESHOLD
            if rm
            else SEARCH_MODEL_VERSION_MAX_RESULTS_THRESHOLD
        )
        if not isinstance(max_results, int) or max_results < 1:
            raise QueryError(
                "Invalid value for max_results. It must be a positive integer,"
                f" but got {max_results}"
            )
        if max_results > limit:
            raise QueryError(
                "Invalid value for request parameter max_results. It must be at most "
                f"{limit}, but got value {max_results}"
            )
        self.table, self.max_results = table, max_results
        self.order_by = list(order_by or ())
        if rm:
            self.node = parser.parse_registered_model_filter(filter)
            self.keys = parser.parse_registered_model_order_by(self.order_by)
        else:
            self.node = parser.parse_model_version_filter(filter)
            self.keys = parser.parse_model_version_order_by(self.order_by)
        self.offset = decode_page_token(page_token)

    def run(self, conn: sa.Connection, s: Schema) -> Page:
        """One page (MLflow's limit+1 paging), entities completed in batched queries."""
        table, max_results = self.table, self.max_results
        comp = RegistryCompiler(s, table)
        where = comp.where(self.node)
        terms = comp.order(self.keys, self.order_by)
        if not s.has(table):
            return Page(())
        q = sa.select(*s.select_cols(table)).where(where)
        if table == "model_versions":
            q = q.where(s.col(table, "current_stage") != DELETED_STAGE)
        q = q.order_by(*terms).offset(self.offset).limit(max_results + 1)
        rows = conn.execute(q).all()
        more = len(rows) > max_results
        token = encode_page_token(self.offset + max_results) if more else None
        rows = rows[:max_results]
        if table == "registered_models":
            return Page(tuple(load_models(conn, s, rows)), token)
        return Page(tuple(load_versions(conn, s, rows)), token)


def get_model(conn: sa.Connection, s: Schema, name: str) -> RegisteredModel:
    if s.has("registered_models"):
        t = s.t("registered_models")
        q = sa.select(*s.select_cols("registered_models")).where(
            t.c.name == name, *s.workspace_clause("registered_models")
        )
        rows = conn.execute(q).all()
        if rows:
            return load_models(conn, s, rows)[0]
    raise NotFoundError(f"Registered Model with name={name} not found")


def get_version(conn: sa.Connection, s: Schema, name: str, version: int | str) -> ModelVersion:
    missing = NotFoundError(f"Model Version (name={name}, version={version}) not found")
    try:
        number = int(version)
    except (TypeError, ValueError):
        raise missing from None
    if not s.has("model_versions"):
        raise missing
    t = s.t("model_versions")
    q = sa.select(*s.select_cols("model_versions")).where(
        t.c.name == name,
        t.c.version == number,
        s.col("model_versions", "current_stage") != DELETED_STAGE,
        *s.workspace_clause("model_versions"),
    )
    rows = conn.execute(q).all()
    if not rows:
        raise missing
    return load_versions(conn, s, rows)[0]
