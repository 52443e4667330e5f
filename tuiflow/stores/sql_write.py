"""Write side of the SQL store: MLflow's `SqlAlchemyStore` semantics, one transaction per call.

Writes go only to databases whose `alembic_version` tuiflow was tested against: column
meanings change between MLflow schema revisions, and a write that is wrong for the schema
is worse than none. Reading never depends on this.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import time
from collections.abc import Iterator, Sequence
from typing import Any

import sqlalchemy as sa

from tuiflow.entities import RUN_NAME_TAG, ModelVersion
from tuiflow.errors import InvalidArgumentError, NotFoundError, StoreError
from tuiflow.locate import mask_password
from tuiflow.stores import sql_write_registry as registry
from tuiflow.stores.local_artifacts import local_artifact_dir
from tuiflow.stores.sql_schema import Schema, database_error
from tuiflow.stores.writes import PurgeReport

# Alembic heads whose column semantics these writes were checked against (MLflow 3.17.2).
TESTED_SCHEMAS: frozenset[str] = frozenset({"dc11669786a5"})

_SOURCE_RUN_KEY = "mlflow.assessment.sourceRunId"


def schema_warning(version: str | None, schema: Schema) -> str | None:
    """Why writes are off for this database, naming its schema revision; None if they are on."""
    if version in TESTED_SCHEMAS:
        return None
    tested = ", ".join(sorted(TESTED_SCHEMAS))
    found = f"revision {version}" if version else "without an alembic_version"
    missing = schema.missing()
    if missing:
        shown = ", ".join(missing[:3]) + (
            f" and {len(missing) - 3} more" if len(missing) > 3 else ""
        )
        what = f"older than tuiflow's {tested} (no {shown}; those read as empty)"
    else:
        what = f"not one tuiflow knows (tested: {tested}; a newer MLflow?)"
    return (
        f"database schema {found} is {what}: read-only for tuiflow, writes refused "
        "(`mlflow db upgrade <url>` upgrades an older database)"
    )


def read_alembic_version(conn: sa.Connection) -> str | None:
    if not sa.inspect(conn).has_table("alembic_version"):
        return None
    t = sa.table("alembic_version", sa.column("version_num", sa.String))
    return conn.execute(sa.select(t.c.version_num)).scalar()


def _now() -> int:
    return int(time.time() * 1000)


def _experiment_id(experiment_id: str) -> int:
    try:
        return int(experiment_id)
    except (TypeError, ValueError):
        raise InvalidArgumentError(
            f"Invalid experiment ID '{experiment_id}'. Experiment ID must be a valid integer."
        ) from None


class SqlWrites:
    """Mixed into `SqlStore`; relies on its `_engine`, `_schema` and `_alembic_version`."""

    _engine: sa.Engine
    _schema: Schema
    _alembic_version: str | None
    _busy_timeout: float | None
    display_uri: str  # a property of SqlStore

    # -- plumbing -----------------------------------------------------------------------------

    @property
    def _writable(self) -> bool:
        return self._alembic_version in TESTED_SCHEMAS

    @contextlib.contextmanager
    def _begin(self) -> Iterator[sa.Connection]:
        if not self._writable:
            found = self._alembic_version or "none (no alembic_version table)"
            raise StoreError(
                f"{self.display_uri}: refusing to write: database schema version {found} is not "
                f"one tuiflow was tested against ({', '.join(sorted(TESTED_SCHEMAS))})",
                "reading still works; upgrade with `mlflow db upgrade <database_uri>` "
                "or use an MLflow version matching tuiflow",
            )
        how: dict[str, Any] = {"busy_timeout": self._busy_timeout, "writing": True}
        try:
            conn = self._engine.connect()
        except sa.exc.SQLAlchemyError as e:
            raise database_error(e, self.display_uri, connecting=True, **how) from None
        with conn:
            tx = conn.begin()
            try:
                yield conn
            except BaseException as e:
                # Never retried: a write that failed half-way is rolled back, not repeated.
                with contextlib.suppress(sa.exc.SQLAlchemyError):
                    tx.rollback()
                if isinstance(e, sa.exc.SQLAlchemyError):
                    raise database_error(e, self.display_uri, **how) from None
                raise
            try:
                tx.commit()
            except sa.exc.SQLAlchemyError as e:
                # SQLite keeps a transaction whose COMMIT was busy open: end it here.
                with contextlib.suppress(sa.exc.SQLAlchemyError):
                    tx.rollback()
                raise database_error(e, self.display_uri, committing=True, **how) from None

    def _row_of_run(self, conn: sa.Connection, run_id: str) -> Any:
        runs = self._schema.t("runs")
        row = conn.execute(
            sa.select(*self._schema.select_cols("runs")).where(runs.c.run_uuid == run_id)
        ).first()
        if row is None:
            raise NotFoundError(f"Run with id={run_id} not found")
        return row

    def _active_run(self, conn: sa.Connection, run_id: str) -> Any:
        row = self._row_of_run(conn, run_id)
        if row.lifecycle_stage != "active":
            raise InvalidArgumentError(
                f"The run {run_id} must be in the 'active' state. "
                f"Current state is {row.lifecycle_stage}."
            )
        return row

    def _experiment_row(self, conn: sa.Connection, experiment_id: str, stages: tuple[str, ...]):
        s = self._schema
        e = s.t("experiments")
        eid = _experiment_id(experiment_id)
        row = conn.execute(
            sa.select(*s.select_cols("experiments")).where(
                e.c.experiment_id == eid,
                e.c.lifecycle_stage.in_(stages),
                *s.workspace_clause("experiments"),
            )
        ).first()
        if row is None:
            raise NotFoundError(f"No Experiment with id={eid} exists")
        return row

    def _exists(self, conn: sa.Connection, table: str) -> bool:
        return sa.inspect(conn).has_table(table)

    def _mark_runs(self, conn: sa.Connection, clause: Any, deleted: bool, now: int) -> None:
        runs = self._schema.t("runs")
        values: dict[str, Any] = {"lifecycle_stage": "deleted" if deleted else "active"}
        if self._schema.has("runs", "deleted_time"):
            values["deleted_time"] = now if deleted else None
        if deleted and self._exists(conn, "assessments"):
            # MLflow's _mark_run_deleted also drops assessments whose metadata names the run
            # as their source.
            ids = conn.execute(sa.select(runs.c.run_uuid).where(clause)).scalars().all()
            a = sa.table("assessments", sa.column("assessment_metadata", sa.Text))
            for rid in ids:
                pattern = f'"{_SOURCE_RUN_KEY}": "{rid}"'
                conn.execute(sa.delete(a).where(a.c.assessment_metadata.contains(pattern)))
        conn.execute(sa.update(runs).where(clause).values(**values))

    # -- runs -----------------------------------------------------------------------------------

    def delete_runs(self, run_ids: Sequence[str]) -> None:
        runs = self._schema.t("runs")
        with self._begin() as conn:
            for rid in run_ids:
                self._row_of_run(conn, rid)
            self._mark_runs(conn, runs.c.run_uuid.in_(list(run_ids)), True, _now())

    def restore_runs(self, run_ids: Sequence[str]) -> None:
        runs = self._schema.t("runs")
        with self._begin() as conn:
            for rid in run_ids:
                self._row_of_run(conn, rid)
            self._mark_runs(conn, runs.c.run_uuid.in_(list(run_ids)), False, _now())

    def set_run_status(self, run_id: str, status: str, end_time: int | None) -> None:
        runs = self._schema.t("runs")
        with self._begin() as conn:
            self._active_run(conn, run_id)
            values: dict[str, Any] = {"status": status}
            if end_time is not None:
                values["end_time"] = end_time
            conn.execute(sa.update(runs).where(runs.c.run_uuid == run_id).values(**values))

    def _rename(self, conn: sa.Connection, run_id: str, name: str) -> None:
        runs = self._schema.t("runs")
        conn.execute(sa.update(runs).where(runs.c.run_uuid == run_id).values(name=name))
        self._upsert_tag(conn, run_id, RUN_NAME_TAG, name)

    def _upsert_tag(self, conn: sa.Connection, run_id: str, key: str, value: str) -> None:
        tags = self._schema.t("tags")
        where = (tags.c.run_uuid == run_id, tags.c.key == key)
        if not conn.execute(sa.update(tags).where(*where).values(value=value)).rowcount:
            conn.execute(sa.insert(tags).values(run_uuid=run_id, key=key, value=value))

    def rename_run(self, run_id: str, name: str) -> None:
        with self._begin() as conn:
            self._active_run(conn, run_id)
            # MLflow's update_run_info ignores an empty name.
            if name:
                self._rename(conn, run_id, name)

    def set_tag(self, run_id: str, key: str, value: str) -> None:
        with self._begin() as conn:
            self._active_run(conn, run_id)
            if key == RUN_NAME_TAG and value:
                self._rename(conn, run_id, value)
            elif key != RUN_NAME_TAG:
                self._upsert_tag(conn, run_id, key, value)

    def delete_tag(self, run_id: str, key: str) -> None:
        tags = self._schema.t("tags")
        with self._begin() as conn:
            self._active_run(conn, run_id)
            gone = conn.execute(
                sa.delete(tags).where(tags.c.run_uuid == run_id, tags.c.key == key)
            ).rowcount
            if not gone:
                raise NotFoundError(f"No tag with name: {key} in run with id {run_id}")

    # -- experiments ----------------------------------------------------------------------------

    def _flip_experiment(self, experiment_id: str, deleted: bool) -> None:
        s = self._schema
        e, runs = s.t("experiments"), s.t("runs")
        with self._begin() as conn:
            stage = "active" if deleted else "deleted"
            row = self._experiment_row(conn, experiment_id, (stage,))
            now = _now()
            # Every run of the experiment, whatever its stage, as MLflow's _list_run_infos.
            self._mark_runs(conn, runs.c.experiment_id == row.experiment_id, deleted, now)
            values: dict[str, Any] = {"lifecycle_stage": "deleted" if deleted else "active"}
            if s.has("experiments", "last_update_time"):
                values["last_update_time"] = now
            conn.execute(
                sa.update(e).where(e.c.experiment_id == row.experiment_id).values(**values)
            )

    def delete_experiment(self, experiment_id: str) -> None:
        self._flip_experiment(experiment_id, deleted=True)

    def restore_experiment(self, experiment_id: str) -> None:
        self._flip_experiment(experiment_id, deleted=False)

    def rename_experiment(self, experiment_id: str, name: str) -> None:
        if not name:
            raise InvalidArgumentError(f"Invalid experiment name: '{name}'")
        s = self._schema
        e = s.t("experiments")
        with self._begin() as conn:
            row = self._experiment_row(conn, experiment_id, ("active", "deleted"))
            if row.lifecycle_stage != "active":
                raise InvalidArgumentError("Cannot rename a non-active experiment.")
            clash = conn.execute(
                sa.select(e.c.experiment_id).where(
                    e.c.name == name,
                    e.c.experiment_id != row.experiment_id,
                    *s.workspace_clause("experiments"),
                )
            ).first()
            if clash is not None:
                raise InvalidArgumentError(f"Experiment(name={name}) already exists.")
            values: dict[str, Any] = {"name": name}
            if s.has("experiments", "last_update_time"):
                values["last_update_time"] = _now()
            conn.execute(
                sa.update(e).where(e.c.experiment_id == row.experiment_id).values(**values)
            )

    # -- purge (mlflow gc) ------------------------------------------------------------------------

    def purge(
        self,
        older_than_ms: int | None = None,
        run_ids: Sequence[str] | None = None,
        experiment_ids: Sequence[str] | None = None,
    ) -> PurgeReport:
        from tuiflow.stores import sql_purge

        with self._begin() as conn:
            plan = sql_purge.plan(conn, self._schema, older_than_ms, run_ids, experiment_ids)
            sql_purge.execute(conn, self._schema, plan)
        # Artifacts go only after the rows are gone for good: a rolled-back purge must not
        # have lost files.
        removed, skipped = _remove_artifacts(plan.artifacts)
        skipped = {**plan.skipped, **skipped}
        return PurgeReport(
            runs=tuple(plan.run_ids),
            experiments=tuple(str(e) for e in plan.experiment_ids),
            artifact_dirs=tuple(removed),
            skipped=skipped,
        )

    # -- model registry -------------------------------------------------------------------------

    def transition_stage(
        self, name: str, version: int, stage: str, archive_existing: bool = False
    ) -> ModelVersion:
        with self._begin() as conn:
            return registry.transition_stage(
                conn, self._schema, name, int(version), stage, archive_existing, _now()
            )

    def set_alias(self, name: str, alias: str, version: int) -> None:
        with self._begin() as conn:
            registry.set_alias(conn, self._schema, name, alias, int(version))

    def delete_alias(self, name: str, alias: str) -> None:
        with self._begin() as conn:
            registry.delete_alias(conn, self._schema, name, alias)


def artifact_target(artifact_uri: str | None, root_uri: str | None) -> tuple[str | None, str]:
    """(local dir to remove, "") or (None, reason): the run's artifact dir, only when it is
    local and lies inside its experiment's artifact location."""
    if not artifact_uri:
        return None, "run has no artifact location"
    try:
        target = local_artifact_dir(artifact_uri)
        root = local_artifact_dir(root_uri or "")
    except StoreError:
        return None, f"artifacts not on a local path ({mask_password(artifact_uri)}); not removed"
    if not root:
        return None, "experiment has no local artifact location; artifacts not removed"
    real_t, real_r = os.path.realpath(target), os.path.realpath(root)
    if real_t == real_r or not real_t.startswith(real_r.rstrip(os.sep) + os.sep):
        return None, f"artifact dir {target} is outside the artifact root {root}; not removed"
    return target, ""


def _remove_artifacts(
    targets: dict[str, tuple[str | None, str]],
) -> tuple[list[str], dict[str, str]]:
    removed: list[str] = []
    skipped: dict[str, str] = {}
    for run_id, (path, reason) in targets.items():
        # Keyed like the file store's report: the run itself was purged.
        key = f"{run_id} artifacts"
        if path is None:
            skipped[key] = reason
            continue
        if not os.path.lexists(path):
            continue
        try:
            if os.path.isdir(path) and not os.path.islink(path):
                shutil.rmtree(path)
            else:
                os.remove(path)
            removed.append(path)
        except OSError as e:
            skipped[key] = f"could not remove {path}: {e.strerror or e}"
    return removed, skipped
