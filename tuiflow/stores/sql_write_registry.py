"""Registry writes on MLflow's SQL schema (`store/model_registry/sqlalchemy_store.py`).

Each function runs inside the caller's transaction. Semantics follow MLflow 3.17.2:
a stage transition stamps the version, every version it archives and the registered
model with one shared `now`; alias changes never touch `last_updated_time`.
"""

from __future__ import annotations

import sqlalchemy as sa

from tuiflow.entities import ModelVersion
from tuiflow.errors import InvalidArgumentError, NotFoundError, StoreError
from tuiflow.stores.sql_registry import get_version
from tuiflow.stores.sql_schema import DEFAULT_WORKSPACE, Schema

DELETED_STAGE = "Deleted_Internal"
ARCHIVED = "Archived"
ACTIVE_STAGES = ("Staging", "Production")


def _require_registry(s: Schema, aliases: bool = False) -> None:
    if not (s.has("registered_models") and s.has("model_versions")):
        raise StoreError("this database has no model registry tables")
    if aliases and not s.has("registered_model_aliases"):
        raise StoreError(
            "this database predates registered model aliases (MLflow < 2.3)",
            "upgrade it with `mlflow db upgrade <database_uri>`",
        )


def _version_where(s: Schema, name: str) -> list[sa.ColumnElement[bool]]:
    t = s.t("model_versions")
    return [t.c.name == name, *s.workspace_clause("model_versions")]


def _live_version_exists(conn: sa.Connection, s: Schema, name: str, version: int) -> bool:
    t = s.t("model_versions")
    q = sa.select(sa.func.count()).where(
        *_version_where(s, name), t.c.version == version, t.c.current_stage != DELETED_STAGE
    )
    return bool(conn.execute(q).scalar())


def transition_stage(
    conn: sa.Connection,
    s: Schema,
    name: str,
    version: int,
    stage: str,
    archive_existing: bool,
    now: int,
) -> ModelVersion:
    _require_registry(s)
    if archive_existing and stage not in ACTIVE_STAGES:
        raise InvalidArgumentError(
            "Model version transition cannot archive existing model versions because "
            f"'{stage}' is not an Active stage. Valid stages are {list(ACTIVE_STAGES)}"
        )
    if not _live_version_exists(conn, s, name, version):
        raise NotFoundError(f"Model Version (name={name}, version={version}) not found")
    mv = s.t("model_versions")
    if archive_existing:
        conn.execute(
            sa.update(mv)
            .where(*_version_where(s, name), mv.c.version != version, mv.c.current_stage == stage)
            .values(current_stage=ARCHIVED, last_updated_time=now)
        )
    conn.execute(
        sa.update(mv)
        .where(*_version_where(s, name), mv.c.version == version)
        .values(current_stage=stage, last_updated_time=now)
    )
    rm = s.t("registered_models")
    conn.execute(
        sa.update(rm)
        .where(rm.c.name == name, *s.workspace_clause("registered_models"))
        .values(last_updated_time=now)
    )
    return get_version(conn, s, name, version)


def set_alias(conn: sa.Connection, s: Schema, name: str, alias: str, version: int) -> None:
    _require_registry(s, aliases=True)
    if not _live_version_exists(conn, s, name, version):
        raise NotFoundError(f"Model Version (name={name}, version={version}) not found")
    t = s.t("registered_model_aliases")
    where = [t.c.name == name, t.c.alias == alias, *s.workspace_clause("registered_model_aliases")]
    # MLflow's session.merge: an upsert on the (workspace, name, alias) key.
    updated = conn.execute(sa.update(t).where(*where).values(version=version)).rowcount
    if not updated:
        values: dict[str, object] = {"name": name, "alias": alias, "version": version}
        if s.has("registered_model_aliases", "workspace"):
            values["workspace"] = DEFAULT_WORKSPACE
        conn.execute(sa.insert(t).values(**values))


def delete_alias(conn: sa.Connection, s: Schema, name: str, alias: str) -> None:
    _require_registry(s, aliases=True)
    rm = s.t("registered_models")
    found = conn.execute(
        sa.select(sa.func.count()).where(
            rm.c.name == name, *s.workspace_clause("registered_models")
        )
    ).scalar()
    if not found:
        raise NotFoundError(f"Registered Model with name={name} not found")
    t = s.t("registered_model_aliases")
    # Deleting an alias that does not exist is a no-op in MLflow.
    conn.execute(
        sa.delete(t).where(
            t.c.name == name, t.c.alias == alias, *s.workspace_clause("registered_model_aliases")
        )
    )
