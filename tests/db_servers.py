"""Throwaway PostgreSQL and MariaDB servers for the tests, started and stopped for sure.

Usage:
    with postgres_server() as server:   # or mariadb_server()
        url = server.create_database("mlflow")  # a SQLAlchemy URL MLflow and tuiflow open

Each server is a private cluster in a fresh temporary directory, on 127.0.0.1 and a free
port, in its own process group, killed when the block exits. The binaries come from the
distribution's packages (`.ci/run` installs them); `DatabaseUnavailable` says why when
they are missing.
Servers refuse to run as root, so under root the cluster runs as the packages' service
user (`postgres`, `mysql`).

TUIFLOW_TEST_POSTGRES_URL / TUIFLOW_TEST_MYSQL_URL point the tests at an existing server
instead (a superuser URL without a database; each session creates its own databases).
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import subprocess
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from stores.server_util import free_port, stop_process_group, tail

STARTUP_TIMEOUT_S = 60.0


class DatabaseUnavailable(RuntimeError):
    """No server of this kind can be started here (the reason is the message)."""


@dataclass
class DatabaseServer:
    kind: str  # "postgresql" | "mysql"
    admin_url: str  # SQLAlchemy URL of the server, no database
    _created: list[str] = field(default_factory=list)

    def create_database(self, name: str | None = None) -> str:
        """A new empty database; returns its SQLAlchemy URL."""
        import sqlalchemy as sa

        name = name or f"t_{uuid.uuid4().hex[:12]}"
        engine = sa.create_engine(self.admin_url, isolation_level="AUTOCOMMIT")
        try:
            with engine.connect() as conn:
                if self.kind == "postgresql":
                    conn.exec_driver_sql(f'CREATE DATABASE "{name}" ENCODING \'UTF8\'')
                else:
                    # The server's default collation compares case-insensitively, as most
                    # MySQL deployments do: the hard case for MLflow's case-sensitive filters.
                    conn.exec_driver_sql(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4")
        finally:
            engine.dispose()
        self._created.append(name)
        return f"{self.admin_url.rstrip('/')}/{name}"

    def clone_database(self, source: str, name: str | None = None) -> str:
        """A copy of database `source` (schema and rows); returns its URL."""
        import sqlalchemy as sa

        name = name or f"t_{uuid.uuid4().hex[:12]}"
        engine = sa.create_engine(self.admin_url, isolation_level="AUTOCOMMIT")
        try:
            with engine.connect() as conn:
                if self.kind == "postgresql":
                    # A template must have no other sessions (MLflow keeps a pool open).
                    _terminate_sessions(conn, source)
                    conn.exec_driver_sql(f'CREATE DATABASE "{name}" TEMPLATE "{source}"')
                else:
                    _copy_mysql_database(conn, source, name)
        finally:
            engine.dispose()
        self._created.append(name)
        return f"{self.admin_url.rstrip('/')}/{name}"

    def drop_database(self, url: str) -> None:
        """Drop a database made here, closing whatever sessions still use it."""
        import sqlalchemy as sa

        name = url.rsplit("/", 1)[-1]
        engine = sa.create_engine(self.admin_url, isolation_level="AUTOCOMMIT")
        try:
            with engine.connect() as conn:
                if self.kind == "postgresql":
                    _terminate_sessions(conn, name)
                    conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}"')
                else:
                    rows = conn.exec_driver_sql(
                        "SELECT id FROM information_schema.processlist WHERE db = %s", (name,)
                    ).fetchall()
                    for (pid,) in rows:
                        with contextlib.suppress(sa.exc.DBAPIError):
                            conn.exec_driver_sql(f"KILL {int(pid)}")
                    conn.exec_driver_sql(f"DROP DATABASE IF EXISTS `{name}`")
        finally:
            engine.dispose()


def _terminate_sessions(conn: object, database: str) -> None:
    conn.exec_driver_sql(  # type: ignore[attr-defined]
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
        "WHERE datname = %s AND pid <> pg_backend_pid()",
        (database,),
    )


def _copy_mysql_database(conn: object, source: str, name: str) -> None:
    run = conn.exec_driver_sql  # type: ignore[attr-defined]
    run(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4")
    tables = [
        row[0]
        for row in run(
            "SELECT table_name FROM information_schema.tables "
            "WHERE table_schema = %s AND table_type = 'BASE TABLE'",
            (source,),
        )
    ]
    # SHOW CREATE TABLE, not CREATE TABLE … LIKE, which drops the foreign keys.
    run("SET FOREIGN_KEY_CHECKS = 0")
    # Else the Default experiment's id 0 becomes the next AUTO_INCREMENT value.
    run("SET SESSION sql_mode = CONCAT(@@sql_mode, ',NO_AUTO_VALUE_ON_ZERO')")
    try:
        for table in tables:
            ddl = run(f"SHOW CREATE TABLE `{source}`.`{table}`").fetchone()[1]
            run(f"USE `{name}`")
            run(ddl)
            run(f"INSERT INTO `{name}`.`{table}` SELECT * FROM `{source}`.`{table}`")
    finally:
        run("SET FOREIGN_KEY_CHECKS = 1")


def _find_binary(name: str, patterns: tuple[str, ...]) -> str | None:
    found = shutil.which(name)
    if found:
        return found
    for pattern in patterns:
        hits = sorted(glob.glob(pattern))
        if hits:
            return hits[-1]
    return None


def _service_user(name: str) -> Callable[[], None] | None:
    """preexec_fn that drops to `name` when running as root (servers refuse root)."""
    if os.geteuid() != 0:
        return None
    try:
        entry = pwd.getpwnam(name)
    except KeyError:
        raise DatabaseUnavailable(f"running as root and there is no '{name}' user") from None

    def drop() -> None:
        os.setgid(entry.pw_gid)
        os.initgroups(name, entry.pw_gid)
        os.setuid(entry.pw_uid)

    return drop


def _give_to(path: Path, user: str) -> None:
    if os.geteuid() == 0:
        entry = pwd.getpwnam(user)
        for p in (path, *path.rglob("*")):
            os.chown(p, entry.pw_uid, entry.pw_gid)


def _wait_connectable(url: str, proc: subprocess.Popen, log: Path) -> None:
    import sqlalchemy as sa

    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    last: Exception | None = None
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise DatabaseUnavailable(f"server exited with {proc.returncode}: {tail(log)}")
        engine = sa.create_engine(url)
        try:
            with engine.connect() as conn:
                conn.exec_driver_sql("SELECT 1")
            return
        except Exception as exc:  # noqa: BLE001 - any failure means "not up yet"
            last = exc
        finally:
            engine.dispose()
        time.sleep(0.25)
    raise DatabaseUnavailable(f"server not ready after {STARTUP_TIMEOUT_S}s: {last}")


def _run(cmd: list[str], log: Path, preexec: Callable[[], None] | None) -> None:
    with log.open("ab") as out:
        done = subprocess.run(
            cmd, stdout=out, stderr=subprocess.STDOUT, preexec_fn=preexec, check=False
        )
    if done.returncode != 0:
        raise DatabaseUnavailable(f"{Path(cmd[0]).name} failed: {tail(log)}")


@contextlib.contextmanager
def _service_dir(prefix: str) -> Iterator[Path]:
    """A fresh directory the service user can reach (pytest's tmp dirs are 0700 root's)."""
    path = Path(tempfile.mkdtemp(prefix=prefix))
    path.chmod(0o755)
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


@contextlib.contextmanager
def postgres_server() -> Iterator[DatabaseServer]:
    external = os.environ.get("TUIFLOW_TEST_POSTGRES_URL")
    if external:
        yield DatabaseServer("postgresql", external)
        return
    initdb = _find_binary("initdb", ("/usr/lib/postgresql/*/bin/initdb",))
    postgres = _find_binary("postgres", ("/usr/lib/postgresql/*/bin/postgres",))
    if not initdb or not postgres:
        raise DatabaseUnavailable("PostgreSQL server binaries (initdb, postgres) not found")
    preexec = _service_user("postgres")
    with _service_dir("tuiflow-postgres-") as root:
        yield from _run_postgres(root, initdb, postgres, preexec)


def _run_postgres(
    root: Path, initdb: str, postgres: str, preexec: Callable[[], None] | None
) -> Iterator[DatabaseServer]:
    data, sockets, log = root / "data", root / "sock", root / "postgres.log"
    sockets.mkdir(exist_ok=True)
    _give_to(root, "postgres")
    _run(
        [initdb, "-D", str(data), "-U", "postgres", "--auth=trust", "-E", "UTF8",
         "--locale=C.UTF-8", "--no-sync"],
        log, preexec,
    )  # fmt: skip
    port = free_port()
    admin = f"postgresql+psycopg://postgres@127.0.0.1:{port}"
    yield from _serve(
        [postgres, "-D", str(data), "-h", "127.0.0.1", "-p", str(port),
         "-k", str(sockets), "-c", "fsync=off", "-c", "synchronous_commit=off",
         "-c", "full_page_writes=off", "-c", "max_connections=200"],
        log, preexec, DatabaseServer("postgresql", admin), probe=f"{admin}/postgres",
    )  # fmt: skip


@contextlib.contextmanager
def mariadb_server() -> Iterator[DatabaseServer]:
    external = os.environ.get("TUIFLOW_TEST_MYSQL_URL")
    if external:
        yield DatabaseServer("mysql", external)
        return
    install = _find_binary("mariadb-install-db", ("/usr/bin/mysql_install_db",))
    server = _find_binary("mariadbd", ("/usr/sbin/mariadbd", "/usr/sbin/mysqld"))
    if not install or not server:
        raise DatabaseUnavailable("MariaDB binaries (mariadb-install-db, mariadbd) not found")
    preexec = _service_user("mysql")
    with _service_dir("tuiflow-mariadb-") as root:
        yield from _run_mariadb(root, install, server, preexec)


def _run_mariadb(
    root: Path, install: str, server: str, preexec: Callable[[], None] | None
) -> Iterator[DatabaseServer]:
    data, log = root / "data", root / "mariadb.log"
    socket_path = root / "mysqld.sock"
    _give_to(root, "mysql")
    _run(
        [install, "--no-defaults", f"--datadir={data}", "--auth-root-authentication-method=normal",
         "--skip-test-db"],
        log, preexec,
    )  # fmt: skip
    port = free_port()
    admin = f"mysql+pymysql://root@127.0.0.1:{port}"
    yield from _serve(
        [server, "--no-defaults", f"--datadir={data}", "--bind-address=127.0.0.1",
         f"--port={port}", f"--socket={socket_path}", f"--pid-file={root / 'mariadb.pid'}",
         "--skip-log-bin", "--innodb-flush-log-at-trx-commit=0", "--skip-name-resolve",
         "--max-connections=200"],
        log, preexec, DatabaseServer("mysql", admin), probe=admin,
    )  # fmt: skip


def _serve(
    command: list[str],
    log: Path,
    preexec: Callable[[], None] | None,
    server: DatabaseServer,
    probe: str,
) -> Iterator[DatabaseServer]:
    """Run `command` in its own process group until the caller is done with `server`."""
    with log.open("ab") as out:
        proc = subprocess.Popen(
            command, stdout=out, stderr=subprocess.STDOUT, preexec_fn=preexec,
            start_new_session=True,
        )  # fmt: skip
    try:
        _wait_connectable(probe, proc, log)
        yield server
    finally:
        stop_process_group(proc, grace_s=20)
