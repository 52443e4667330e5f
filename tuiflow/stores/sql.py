"""SQL store: SQLAlchemy Core over MLflow's EXISTING schema (sqlite, postgresql, mysql).

Never creates tables, never migrates, never touches `alembic_version`. Filters and
order_by are compiled to SQL (`tuiflow.query.sql`) exactly as MLflow's SQL store does;
a page of runs is then completed with one batched IN query per child table (latest
metrics, params, tags, dataset inputs), never one query per run.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from typing import Any, TypeVar

import sqlalchemy as sa

from tuiflow.entities import (
    RUN_NAME_TAG,
    Dataset,
    DatasetInput,
    Experiment,
    FileInfo,
    Metric,
    ModelVersion,
    Page,
    RegisteredModel,
    Run,
    ViewType,
    new_metric,
    new_run,
)
from tuiflow.errors import InvalidArgumentError, NotFoundError, StoreError
from tuiflow.locate import mask_password
from tuiflow.query import parser
from tuiflow.query.extension import parse_search_filter
from tuiflow.query.sql import ExperimentCompiler, RunCompiler
from tuiflow.stores import sql_registry
from tuiflow.stores.base import (
    ARTIFACT_READ_MAX_BYTES,
    SEARCH_EXPERIMENTS_MAX_RESULTS_DEFAULT,
    SEARCH_MAX_RESULTS_DEFAULT,
    SEARCH_MAX_RESULTS_THRESHOLD,
    SEARCH_MODEL_VERSION_MAX_RESULTS_DEFAULT,
    SEARCH_REGISTERED_MODEL_MAX_RESULTS_DEFAULT,
    Capabilities,
    check_max_results,
    decode_page_token,
    encode_page_token,
)
from tuiflow.stores.sql_schema import (
    database_error,
    inspect_schema,
    is_disconnect,
    make_engine,
)
from tuiflow.stores.sql_write import (
    TESTED_SCHEMAS,
    SqlWrites,
    read_alembic_version,
    schema_warning,
)

_CHUNK = 500  # ids per IN list: below every backend's bound-parameter limit
T = TypeVar("T")


def _stages(view: ViewType) -> list[str]:
    return {
        ViewType.ACTIVE_ONLY: ["active"],
        ViewType.DELETED_ONLY: ["deleted"],
        ViewType.ALL: ["active", "deleted"],
    }[ViewType(view)]


def _chunks(items: Sequence[Any]) -> Iterator[Sequence[Any]]:
    for i in range(0, len(items), _CHUNK):
        yield items[i : i + _CHUNK]


def _metric(key: str, value: float, timestamp: int, step: int, is_nan: Any) -> Metric:
    return new_metric(
        key, math.nan if is_nan else float(value), int(timestamp or 0), int(step or 0)
    )


class SqlStore(SqlWrites):
    """MLflow's SQL tracking + registry store; writes come from `SqlWrites`.

    `busy_timeout`: seconds an SQLite read or write waits for another process's lock
    (default $TUIFLOW_SQLITE_BUSY_TIMEOUT, else MLflow's 20 s).
    """

    def __init__(self, url: str, busy_timeout: float | None = None):
        self._url = url
        self._busy_timeout = busy_timeout
        self._engine = make_engine(url, self.display_uri, busy_timeout)
        try:
            self._schema, self._alembic_version = self._read(
                lambda conn: (inspect_schema(conn), read_alembic_version(conn))
            )
        except StoreError:
            self._engine.dispose()
            raise
        if not (self._schema.has("experiments") and self._schema.has("runs")):
            self._engine.dispose()
            raise StoreError(
                f"{self.display_uri}: not an MLflow database (no 'experiments'/'runs' tables)",
                "point tuiflow at a database created by MLflow (e.g. `mlflow server "
                "--backend-store-uri <url>`), or check the database name",
            )

    # -- plumbing ---------------------------------------------------------------------------

    @property
    def display_uri(self) -> str:
        return mask_password(self._url)

    @property
    def capabilities(self) -> Capabilities:
        s = self._schema
        return Capabilities(
            writable=self._alembic_version in TESTED_SCHEMAS,
            aliases=s.has("registered_model_aliases"),
            datasets=s.has("datasets") and s.has("inputs"),
            registry=s.has("registered_models") and s.has("model_versions"),
            cheap_pages=True,
        )

    @property
    def warnings(self) -> list[str]:
        """Why this database is read-only for tuiflow, if it is (an untested schema)."""
        found = self.read_only_reason
        return [found] if found else []

    @property
    def read_only_reason(self) -> str | None:
        return schema_warning(self._alembic_version, self._schema)

    def _error(self, exc: sa.exc.SQLAlchemyError, **how: bool) -> StoreError:
        return database_error(exc, self.display_uri, busy_timeout=self._busy_timeout, **how)

    def _once(self, fn: Callable[[sa.Connection], T]) -> T:
        try:
            conn = self._engine.connect()
        except sa.exc.SQLAlchemyError as e:
            raise self._error(e, connecting=True) from None
        with conn:
            return fn(conn)

    def _read(self, fn: Callable[[sa.Connection], T]) -> T:
        """`fn` on a pooled connection; once more on a fresh one if the server dropped it.

        `pool_pre_ping` already replaces connections that died while idle; this covers one
        that dies between the queries of a single read (a server restart, a killed
        session). Reads only: a write is never repeated (`SqlWrites._begin`).
        """
        try:
            return self._once(fn)
        except sa.exc.SQLAlchemyError as e:
            if not is_disconnect(e):
                raise self._error(e) from None
        try:
            return self._once(fn)
        except sa.exc.SQLAlchemyError as e:
            raise self._error(e) from None

    def close(self) -> None:
        self._engine.dispose()

    # -- experiments ------------------------------------------------------------------------

    def _experiments(self, conn: sa.Connection, rows: Sequence[Any]) -> list[Experiment]:
        tags: dict[int, dict[str, str]] = defaultdict(dict)
        ids = [r.experiment_id for r in rows]
        if ids and self._schema.has("experiment_tags"):
            t = self._schema.t("experiment_tags")
            for chunk in _chunks(ids):
                q = sa.select(t.c.experiment_id, t.c.key, t.c.value).where(
                    t.c.experiment_id.in_(chunk)
                )
                for eid, key, value in conn.execute(q).all():
                    tags[eid][key] = value
        return [
            Experiment(
                experiment_id=str(r.experiment_id),
                name=r.name,
                artifact_location=r.artifact_location,
                lifecycle_stage=r.lifecycle_stage or "active",
                creation_time=r.creation_time,
                last_update_time=r.last_update_time,
                tags=tags.get(r.experiment_id, {}),
            )
            for r in rows
        ]

    def search_experiments(
        self,
        view: ViewType = ViewType.ACTIVE_ONLY,
        filter: str | None = None,
        order_by: Sequence[str] = (),
        max_results: int | None = None,
        page_token: str | None = None,
    ) -> Page[Experiment]:
        if max_results is None:
            max_results = SEARCH_EXPERIMENTS_MAX_RESULTS_DEFAULT
        check_max_results(max_results, SEARCH_MAX_RESULTS_THRESHOLD)
        node = parser.parse_experiment_filter(filter)
        keys = parser.parse_experiment_order_by(list(order_by or ()))
        comp = ExperimentCompiler(self._schema)
        where = comp.where(node)
        terms = comp.order(keys)
        offset = decode_page_token(page_token)
        s = self._schema
        q = (
            sa.select(*s.select_cols("experiments"))
            .where(
                where,
                s.col("experiments", "lifecycle_stage").in_(_stages(view)),
                *s.workspace_clause("experiments"),
            )
            .order_by(*terms)
            .offset(offset)
            .limit(max_results + 1)
        )

        def page(conn: sa.Connection) -> Page[Experiment]:
            rows = conn.execute(q).all()
            token = encode_page_token(offset + max_results) if len(rows) > max_results else None
            return Page(tuple(self._experiments(conn, rows[:max_results])), token)

        return self._read(page)

    def _get_experiments(self, clause: Any) -> list[Experiment]:
        s = self._schema
        q = sa.select(*s.select_cols("experiments")).where(
            clause, *s.workspace_clause("experiments")
        )
        return self._read(lambda conn: self._experiments(conn, conn.execute(q).all()))

    def get_experiment(self, experiment_id: str) -> Experiment:
        try:
            eid = int(experiment_id)
        except (TypeError, ValueError):
            raise NotFoundError(
                f"Invalid experiment ID '{experiment_id}'. Experiment ID must be a valid integer."
            ) from None
        found = self._get_experiments(self._schema.t("experiments").c.experiment_id == eid)
        if not found:
            raise NotFoundError(f"No Experiment with id={eid} exists")
        return found[0]

    def get_experiment_by_name(self, name: str) -> Experiment | None:
        found = self._get_experiments(self._schema.t("experiments").c.name == name)
        return found[0] if found else None

    # -- runs ---------------------------------------------------------------------------------

    def search_runs(
        self,
        experiment_ids: Sequence[str],
        filter: str | None = None,
        order_by: Sequence[str] = (),
        view: ViewType = ViewType.ACTIVE_ONLY,
        max_results: int = SEARCH_MAX_RESULTS_DEFAULT,
        page_token: str | None = None,
        on_progress: Callable[[int], None] | None = None,
    ) -> Page[Run]:
        # One query per page: the database does the examining, so there is no progress to
        # report; `on_progress` is accepted for the protocol.
        del on_progress
        check_max_results(max_results, SEARCH_MAX_RESULTS_THRESHOLD)
        # tuiflow's OR/NOT extension compiles to SQL like MLflow's AND-only filters.
        node, _ = parse_search_filter(filter)
        keys = parser.parse_run_order_by(list(order_by or ()))
        comp = RunCompiler(self._schema)
        joins, terms = comp.order(keys, list(order_by or ()))
        where = comp.where(node)
        offset = decode_page_token(page_token)
        ids = []
        for e in experiment_ids:
            try:
                ids.append(int(e))
            except (TypeError, ValueError):
                raise InvalidArgumentError(
                    f"Invalid experiment ID '{e}'. Experiment ID must be a valid integer."
                ) from None
        runs = self._schema.t("runs")
        source: Any = runs
        for sub, on in joins:
            source = source.outerjoin(sub, on)
        q = (
            sa.select(*self._schema.select_cols("runs"))
            .select_from(source)
            .where(runs.c.experiment_id.in_(ids), runs.c.lifecycle_stage.in_(_stages(view)), where)
            .order_by(*terms)
            .offset(offset)
            .limit(max_results + 1)
        )

        def page(conn: sa.Connection) -> Page[Run]:
            rows = conn.execute(q).all()
            token = encode_page_token(offset + max_results) if len(rows) > max_results else None
            return Page(tuple(self._runs(conn, rows[:max_results])), token)

        return self._read(page)

    def _runs(self, conn: sa.Connection, rows: Sequence[Any]) -> list[Run]:
        ids = [r.run_uuid for r in rows]
        metrics: dict[str, dict[str, Metric]] = defaultdict(dict)
        params: dict[str, dict[str, str]] = defaultdict(dict)
        tags: dict[str, dict[str, str]] = defaultdict(dict)
        s = self._schema
        lm, pt, tt = s.t("latest_metrics"), s.t("params"), s.t("tags")
        for chunk in _chunks(ids):
            if s.has("latest_metrics"):
                q = sa.select(
                    lm.c.run_uuid, lm.c.key, lm.c.value, lm.c.timestamp, lm.c.step, lm.c.is_nan
                ).where(lm.c.run_uuid.in_(chunk))
                for rid, key, value, ts, step, is_nan in conn.execute(q).all():
                    metrics[rid][key] = _metric(key, value, ts, step, is_nan)
            for table, out in ((pt, params), (tt, tags)):
                q = sa.select(table.c.run_uuid, table.c.key, table.c.value).where(
                    table.c.run_uuid.in_(chunk)
                )
                for rid, key, value in conn.execute(q).all():
                    out[rid][key] = value
        inputs = self._inputs(conn, ids)
        return [
            new_run(
                run_id=r.run_uuid,
                experiment_id=str(r.experiment_id),
                # Runs logged by MLflow <= 1.29 have no runs.name; MLflow falls back to the tag.
                run_name=r.name or tags[r.run_uuid].get(RUN_NAME_TAG) or "",
                user_id=r.user_id,
                status=r.status,
                start_time=r.start_time,
                end_time=r.end_time,
                lifecycle_stage=r.lifecycle_stage,
                artifact_uri=r.artifact_uri,
                metrics=metrics.get(r.run_uuid, {}),
                params=params.get(r.run_uuid, {}),
                tags=tags.get(r.run_uuid, {}),
                inputs=tuple(inputs.get(r.run_uuid, ())),
                deleted_time=r.deleted_time,
            )
            for r in rows
        ]

    def _inputs(self, conn: sa.Connection, ids: Sequence[str]) -> dict[str, list[DatasetInput]]:
        """Dataset inputs per run, as MLflow's `_get_run_inputs` (one query per chunk)."""
        s = self._schema
        if not ids or not (s.has("inputs") and s.has("datasets")):
            return {}
        inp, ds = s.t("inputs"), s.t("datasets")
        has_tags = s.has("input_tags")
        cols = [inp.c.destination_id, inp.c.input_uuid, *s.select_cols("datasets")]
        source: Any = inp.join(ds, inp.c.source_id == ds.c.dataset_uuid)
        if has_tags:
            it = s.t("input_tags")
            cols += [it.c.name.label("tag_name"), it.c.value.label("tag_value")]
            source = source.outerjoin(it, it.c.input_uuid == inp.c.input_uuid)
        per_run: dict[str, dict[str, tuple[Dataset, dict[str, str]]]] = defaultdict(dict)
        for chunk in _chunks(ids):
            q = (
                sa.select(*cols)
                .select_from(source)
                .where(inp.c.destination_type == "RUN", inp.c.destination_id.in_(chunk))
            )
            for row in conn.execute(q).all():
                entry = per_run[row.destination_id].get(row.dataset_uuid)
                if entry is None:
                    dataset = Dataset(
                        name=row.name,
                        digest=row.digest,
                        source_type=row.dataset_source_type,
                        source=row.dataset_source,
                        schema=row.dataset_schema,
                        profile=row.dataset_profile,
                    )
                    entry = per_run[row.destination_id][row.dataset_uuid] = (dataset, {})
                if has_tags and row.tag_name is not None:
                    entry[1][row.tag_name] = row.tag_value
        return {
            rid: [DatasetInput(d, tags) for d, tags in by_ds.values()]
            for rid, by_ds in per_run.items()
        }

    def _run_row(self, conn: sa.Connection, run_id: str) -> Any:
        runs = self._schema.t("runs")
        q = sa.select(*self._schema.select_cols("runs")).where(runs.c.run_uuid == run_id)
        row = conn.execute(q).first()
        if row is None:
            raise NotFoundError(f"Run with id={run_id} not found")
        return row

    def get_run(self, run_id: str) -> Run:
        return self._read(lambda conn: self._runs(conn, [self._run_row(conn, run_id)])[0])

    def get_metric_history(self, run_id: str, key: str) -> list[Metric]:
        m = self._schema.t("metrics")
        q = (
            sa.select(m.c.key, m.c.value, m.c.timestamp, m.c.step, m.c.is_nan)
            .where(m.c.run_uuid == run_id, m.c.key == key)
            .order_by(m.c.timestamp, m.c.step, m.c.value)
        )

        def history(conn: sa.Connection) -> list[Metric]:
            self._run_row(conn, run_id)
            return [_metric(*row) for row in conn.execute(q).all()]

        return self._read(history)

    def list_artifacts(self, run_id: str, path: str | None = None) -> list[FileInfo]:
        from tuiflow.stores.local_artifacts import list_local_artifacts

        return list_local_artifacts(self._local_artifact_root(run_id), path)

    def read_artifact(
        self, run_id: str, path: str, max_bytes: int = ARTIFACT_READ_MAX_BYTES
    ) -> bytes:
        from tuiflow.stores.local_artifacts import read_local_artifact

        return read_local_artifact(self._local_artifact_root(run_id), path, max_bytes)

    def _local_artifact_root(self, run_id: str) -> str:
        root = self._read(lambda conn: self._run_row(conn, run_id).artifact_uri)
        if not root:
            raise StoreError(f"run {run_id} has no artifact location")
        scheme = root.split(":", 1)[0].lower() if ":" in root else ""
        # A one-letter "scheme" is a Windows drive (C:\...), i.e. a local path.
        if scheme and scheme != "file" and len(scheme) > 1:
            raise StoreError(
                f"artifacts of run {run_id} are at {mask_password(root)}, which tuiflow cannot "
                "read directly",
                "open the tracking server instead (tuiflow http://host:port) to browse them"
                if scheme == "mlflow-artifacts"
                else "only local and file:// artifact roots can be listed",
            )
        return root

    # -- model registry ---------------------------------------------------------------------

    def search_registered_models(
        self,
        filter: str | None = None,
        order_by: Sequence[str] = (),
        max_results: int = SEARCH_REGISTERED_MODEL_MAX_RESULTS_DEFAULT,
        page_token: str | None = None,
    ) -> Page[RegisteredModel]:
        query = sql_registry.Search("registered_models", filter, order_by, max_results, page_token)
        return self._read(lambda conn: query.run(conn, self._schema))

    def get_registered_model(self, name: str) -> RegisteredModel:
        return self._read(lambda conn: sql_registry.get_model(conn, self._schema, name))

    def search_model_versions(
        self,
        filter: str | None = None,
        order_by: Sequence[str] = (),
        max_results: int = SEARCH_MODEL_VERSION_MAX_RESULTS_DEFAULT,
        page_token: str | None = None,
    ) -> Page[ModelVersion]:
        query = sql_registry.Search("model_versions", filter, order_by, max_results, page_token)
        return self._read(lambda conn: query.run(conn, self._schema))

    def get_model_version(self, name: str, version: int | str) -> ModelVersion:
        return self._read(lambda conn: sql_registry.get_version(conn, self._schema, name, version))
