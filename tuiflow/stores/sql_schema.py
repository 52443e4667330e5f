"""MLflow's SQL schema as lightweight SQLAlchemy Core table clauses, built from what exists.

tuiflow never creates or migrates an MLflow database, and databases written by older
MLflow versions lack columns and tables that 3.x has (`runs.deleted_time`,
`experiments.creation_time`, `workspace`, `registered_model_aliases`, datasets …).
One inspector pass records what is there; `Schema.col` returns a typed NULL for a
missing column so queries keep their shape on any schema version.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.sql.expression import ColumnElement, TableClause

from tuiflow.errors import StoreError
from tuiflow.locate import mask_password

_S = sa.String
_I = sa.BigInteger
_F = sa.Float

# table -> (column -> type). Only the columns tuiflow reads; types matter for MySQL's
# case-sensitive comparisons (strings) and for result processing.
SPEC: dict[str, dict[str, Any]] = {
    "experiments": {
        "experiment_id": sa.Integer,
        "name": _S,
        "artifact_location": _S,
        "lifecycle_stage": _S,
        "creation_time": _I,
        "last_update_time": _I,
        "workspace": _S,
    },
    "experiment_tags": {"key": _S, "value": _S, "experiment_id": sa.Integer},
    "runs": {
        "run_uuid": _S,
        "name": _S,
        "user_id": _S,
        "status": _S,
        "start_time": _I,
        "end_time": _I,
        "deleted_time": _I,
        "lifecycle_stage": _S,
        "artifact_uri": _S,
        "experiment_id": sa.Integer,
    },
    "tags": {"key": _S, "value": _S, "run_uuid": _S},
    "params": {"key": _S, "value": _S, "run_uuid": _S},
    "metrics": {
        "key": _S,
        "value": _F,
        "timestamp": _I,
        "step": _I,
        "is_nan": sa.Boolean,
        "run_uuid": _S,
    },
    "latest_metrics": {
        "key": _S,
        "value": _F,
        "timestamp": _I,
        "step": _I,
        "is_nan": sa.Boolean,
        "run_uuid": _S,
    },
    "datasets": {
        "dataset_uuid": _S,
        "experiment_id": sa.Integer,
        "name": _S,
        "digest": _S,
        "dataset_source_type": _S,
        "dataset_source": _S,
        "dataset_schema": _S,
        "dataset_profile": _S,
    },
    "inputs": {
        "input_uuid": _S,
        "source_type": _S,
        "source_id": _S,
        "destination_type": _S,
        "destination_id": _S,
    },
    "input_tags": {"input_uuid": _S, "name": _S, "value": _S},
    "registered_models": {
        "name": _S,
        "creation_time": _I,
        "last_updated_time": _I,
        "description": _S,
        "workspace": _S,
    },
    "registered_model_tags": {"key": _S, "value": _S, "name": _S, "workspace": _S},
    "model_versions": {
        "name": _S,
        "version": sa.Integer,
        "creation_time": _I,
        "last_updated_time": _I,
        "description": _S,
        "user_id": _S,
        "current_stage": _S,
        "source": _S,
        "run_id": _S,
        "status": _S,
        "status_message": _S,
        "run_link": _S,
        "storage_location": _S,
        "workspace": _S,
    },
    "model_version_tags": {
        "key": _S,
        "value": _S,
        "name": _S,
        "version": sa.Integer,
        "workspace": _S,
    },
    "registered_model_aliases": {
        "alias": _S,
        "version": sa.Integer,
        "name": _S,
        "workspace": _S,
    },
}

DEFAULT_WORKSPACE = "default"


@dataclass
class Schema:
    """The MLflow tables and columns present in one database."""

    dialect: str
    columns: dict[str, frozenset[str]]
    tables: dict[str, TableClause] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for name, cols in self.columns.items():
            spec = SPEC[name]
            self.tables[name] = sa.table(name, *(sa.column(c, spec[c]) for c in spec if c in cols))

    def has(self, table: str, column: str | None = None) -> bool:
        if table not in self.columns:
            return False
        return column is None or column in self.columns[table]

    def t(self, table: str) -> TableClause:
        return self.tables[table]

    def col(self, table: str, column: str) -> ColumnElement[Any]:
        """The column, or a NULL of its type when this schema version lacks it."""
        if self.has(table, column):
            return self.tables[table].c[column]
        return sa.cast(sa.null(), SPEC[table][column])

    def select_cols(self, table: str) -> list[ColumnElement[Any]]:
        """Every known column of `table`, NULL-filled where missing, labelled by name."""
        return [self.col(table, c).label(c) for c in SPEC[table]]

    def missing(self) -> list[str]:
        """`table` or `table.column` tuiflow reads that this database lacks (older MLflow)."""
        out: list[str] = []
        for table, spec in SPEC.items():
            if table not in self.columns:
                out.append(table)
            else:
                out += [f"{table}.{c}" for c in spec if c not in self.columns[table]]
        return out

    def workspace_clause(self, table: str) -> list[ColumnElement[bool]]:
        """`workspace = 'default'` where the column exists (single-tenant MLflow)."""
        if self.has(table, "workspace"):
            return [self.tables[table].c.workspace == DEFAULT_WORKSPACE]
        return []


def inspect_schema(conn: sa.Connection) -> Schema:
    """Read the table and column names once (one multi-table inspector pass)."""
    insp = sa.inspect(conn)
    present = set(insp.get_table_names()) & set(SPEC)
    columns: dict[str, frozenset[str]] = {}
    if present:
        multi = insp.get_multi_columns(filter_names=sorted(present))
        for (_schema, table), cols in multi.items():
            columns[table] = frozenset(c["name"] for c in cols)
    return Schema(dialect=conn.dialect.name, columns=columns)


# -- engine ----------------------------------------------------------------------------------

# backend -> (drivers tried in order when the URL names none, pip extra to suggest)
_DRIVERS: dict[str, tuple[tuple[tuple[str, str], ...], str]] = {
    "postgresql": (
        (("psycopg2", "psycopg2"), ("psycopg", "psycopg")),
        "pip install 'tuiflow[postgres]'",
    ),
    "mysql": ((("mysqldb", "MySQLdb"), ("pymysql", "pymysql")), "pip install 'tuiflow[mysql]'"),
    "mssql": ((("pyodbc", "pyodbc"),), "pip install pyodbc"),
}


def _importable(module: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(module) is not None


# MLflow's own SQLite busy timeout (store/db/utils.py): wait for a writer this long.
SQLITE_BUSY_TIMEOUT_S = 20.0
# Seconds to wait for a database server to accept a connection (pymysql's default).
CONNECT_TIMEOUT_S = 10
BUSY_TIMEOUT_ENV = "TUIFLOW_SQLITE_BUSY_TIMEOUT"
CONNECT_TIMEOUT_ENV = "TUIFLOW_DB_CONNECT_TIMEOUT"


def _seconds_from_env(name: str, default: float) -> float:
    import os

    raw = os.environ.get(name, "").strip()
    try:
        value = float(raw) if raw else default
    except ValueError:
        value = default
    return value if value >= 0 and value == value else default


def busy_timeout_s(override: float | None = None) -> float:
    """The SQLite busy timeout: the argument, else $TUIFLOW_SQLITE_BUSY_TIMEOUT, else MLflow's."""
    if override is not None:
        return max(0.0, override)
    return _seconds_from_env(BUSY_TIMEOUT_ENV, SQLITE_BUSY_TIMEOUT_S)


def _sqlite_pragmas(busy_ms: int) -> Any:
    def on_connect(dbapi_conn: Any, _record: Any) -> None:
        # MLflow's own session settings (store/db/utils.py): cascades, waiting on a writer
        # instead of failing, and case-sensitive LIKE as its filters require.
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA foreign_keys = ON")
        cur.execute(f"PRAGMA busy_timeout = {int(busy_ms)}")
        cur.execute("PRAGMA case_sensitive_like = true")
        cur.close()

    return on_connect


def _unbound_reads(dbapi_conn: Any, _record: Any) -> None:
    # A long query is not a hung server: no read timeout once connected (pymysql's default).
    if hasattr(dbapi_conn, "_read_timeout"):
        dbapi_conn._read_timeout = None


def make_engine(url: str, display: str, busy_timeout: float | None = None) -> sa.Engine:
    """An engine for `url`, or StoreError naming the missing driver or file.

    Like MLflow's: `pool_pre_ping` so a connection the server dropped while idle is
    replaced on checkout. Unlike MLflow's: a connect timeout for network databases, so a
    host that never answers fails in seconds instead of hanging the explorer.
    """
    from pathlib import Path

    from sqlalchemy.engine import make_url

    try:
        u = make_url(url)
    except Exception:
        raise StoreError(f"{display}: not a valid database URL") from None
    backend = u.get_backend_name()
    if backend == "postgres":
        backend = "postgresql"
        u = u.set(drivername="postgresql" + u.drivername[len("postgres") :])
    drivers, hint = _DRIVERS.get(backend, ((), ""))
    if "+" not in u.drivername and drivers:
        for name, module in drivers:
            if _importable(module):
                u = u.set(drivername=f"{backend}+{name}")
                break
        else:
            raise StoreError(f"{display}: no database driver for {backend} is installed", hint)
    if backend == "sqlite":
        db = u.database or ""
        if db and db != ":memory:" and not db.startswith("file:") and not Path(db).is_file():
            # SQLite would silently create an empty file; MLflow DBs are never made here.
            raise StoreError(f"{display}: no such database file", "check the path")
    connect_args: dict[str, Any] = {}
    if backend in ("postgresql", "mysql") and "connect_timeout" not in u.query:
        # libpq and pymysql take whole seconds; libpq treats anything below 2 as 2.
        timeout = _seconds_from_env(CONNECT_TIMEOUT_ENV, CONNECT_TIMEOUT_S)
        connect_args["connect_timeout"] = max(1, round(timeout))
        if u.get_driver_name() == "pymysql":
            # pymysql's connect_timeout covers only the TCP connect; the handshake reads
            # with read_timeout. Bound it too, then lift it (_unbound_reads) for queries.
            connect_args["read_timeout"] = connect_args["connect_timeout"]
    try:
        engine = sa.create_engine(u, pool_pre_ping=True, connect_args=connect_args)
    except (ImportError, sa.exc.NoSuchModuleError) as e:
        raise StoreError(
            f"{display}: database driver not available ({type(e).__name__}: {e})".splitlines()[0],
            hint or None,
        ) from None
    except sa.exc.ArgumentError as e:
        raise StoreError(f"{display}: invalid database URL ({e})".splitlines()[0]) from None
    if "read_timeout" in connect_args:
        sa.event.listen(engine, "connect", _unbound_reads)
    if backend == "sqlite":
        busy_ms = int(busy_timeout_s(busy_timeout) * 1000)
        sa.event.listen(engine, "connect", _sqlite_pragmas(busy_ms))
    return engine


# -- errors ----------------------------------------------------------------------------------


def _first_line(exc: BaseException) -> str:
    orig = getattr(exc, "orig", None) or exc
    return (str(orig).strip().splitlines() or [type(orig).__name__])[0]


def is_disconnect(exc: BaseException) -> bool:
    """True when SQLAlchemy saw the server drop the connection (the pool discarded it)."""
    return isinstance(exc, sa.exc.DBAPIError) and bool(exc.connection_invalidated)


def database_error(
    exc: sa.exc.SQLAlchemyError,
    display: str,
    *,
    connecting: bool = False,
    writing: bool = False,
    committing: bool = False,
    busy_timeout: float | None = None,
) -> StoreError:
    """One StoreError line (and a hint) for a driver error; never the driver's traceback.

    `connecting`: raised while opening a connection; `writing`: inside a write
    transaction (rolled back); `committing`: by the COMMIT itself.
    """
    first = mask_password(_first_line(exc))
    lowered = first.lower()
    unwritten = " (nothing written)" if writing and not committing else ""
    if "file is not a database" in lowered:
        return StoreError(
            f"{display}: not an MLflow database (the file is not an SQLite database)",
            "point tuiflow at the mlflow.db file MLflow created",
        )
    if "database is locked" in lowered or "database table is locked" in lowered:
        return StoreError(
            f"{display}: database is locked by another process"
            + (" (nothing written)" if writing else ""),
            f"tuiflow waited {busy_timeout_s(busy_timeout):g}s; try again when the other "
            f"writer is done, or set {BUSY_TIMEOUT_ENV}=SECONDS to wait longer",
        )
    if connecting:
        return StoreError(
            f"{display}: cannot connect to the database: {first}",
            "check that the server is running and the host, port, user, password and "
            "database name in the URL",
        )
    if is_disconnect(exc):
        if committing:
            return StoreError(
                f"{display}: the connection to the database was lost during COMMIT: {first}",
                "the server rolls back a transaction it did not commit, but the commit may "
                "have reached it first; reload to see whether the change was applied",
            )
        return StoreError(
            f"{display}: the connection to the database was lost{unwritten}: {first}",
            "try again; tuiflow reconnects on the next request",
        )
    return StoreError(f"{display}: database error{unwritten}: {first}")
