"""Turn a STORE argument (or its absence) into an open Store.

MLflow's own order when nothing is given (`tracking/_tracking_service/utils.py`):
`MLFLOW_TRACKING_URI`, then `./mlruns` if it holds an experiment, then `./mlflow.db`.
Store modules are imported lazily so `tuiflow --help` never pays for SQLAlchemy or httpx.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import unquote, urlsplit

from tuiflow.errors import StoreError

if TYPE_CHECKING:
    from tuiflow.stores.base import Store

SQL_SCHEMES = ("sqlite", "postgresql", "postgres", "mysql", "mssql")
_SQLITE_MAGIC = b"SQLite format 3\x00"
_PASSWORD_IN_URL = re.compile(r"(?P<head>[a-zA-Z][a-zA-Z0-9+.\-]*://[^/@:\s]*:)(?P<pw>[^@/\s]*)@")


def mask_password(text: str) -> str:
    """Replace the password of every `scheme://user:password@host` in `text` with ***."""
    return _PASSWORD_IN_URL.sub(lambda m: f"{m.group('head')}***@", text)


def looks_like_file_store(path: Path) -> bool:
    """True when `path` holds at least one experiment directory (MLflow's own test)."""
    try:
        for child in path.iterdir():
            if child.name.isdigit() and (child / "meta.yaml").is_file():
                return True
    except OSError:
        return False
    return False


def _is_sqlite_file(path: Path) -> bool:
    try:
        with path.open("rb") as fh:
            return fh.read(16) == _SQLITE_MAGIC
    except OSError:
        return False


def resolve(store: str | None, cwd: Path | None = None) -> str:
    """Return the URI tuiflow will open for `store` (MLflow's order when it is None)."""
    cwd = cwd or Path.cwd()
    if store:
        return _resolve_explicit(store, cwd)
    env = os.environ.get("MLFLOW_TRACKING_URI")
    if env:
        return _resolve_explicit(env, cwd)
    mlruns = cwd / "mlruns"
    if looks_like_file_store(mlruns):
        return mlruns.resolve().as_uri()
    db = cwd / "mlflow.db"
    if db.is_file():
        return f"sqlite:///{db.resolve()}"
    raise StoreError(
        "no MLflow store found",
        "tried MLFLOW_TRACKING_URI (unset), ./mlruns (no experiments), ./mlflow.db (missing); "
        "pass a directory, a database URL or http://host:port",
    )


def _resolve_explicit(store: str, cwd: Path) -> str:
    scheme = store.split("://", 1)[0].lower() if "://" in store else ""
    if scheme in ("http", "https"):
        return store.rstrip("/")
    if scheme == "file":
        path = Path(unquote(urlsplit(store).path))
        if not path.is_dir():
            raise StoreError(f"{mask_password(store)}: no such directory")
        return path.resolve().as_uri()
    if scheme.split("+", 1)[0] in SQL_SCHEMES:
        return store
    if scheme:
        raise StoreError(
            f"{mask_password(store)}: unsupported store scheme '{scheme}'",
            "use a directory, file://, sqlite:///, postgresql://, mysql:// or http(s)://",
        )
    path = (cwd / store).expanduser()
    if path.is_dir():
        if looks_like_file_store(path) or (path / ".trash").is_dir() or (path / "models").is_dir():
            return path.resolve().as_uri()
        if looks_like_file_store(path / "mlruns"):
            return (path / "mlruns").resolve().as_uri()
        if (path / "mlflow.db").is_file():
            return f"sqlite:///{(path / 'mlflow.db').resolve()}"
        raise StoreError(
            f"{store}: not an MLflow store",
            "tried it as a file store (no experiment directory with meta.yaml), "
            "as <dir>/mlruns and as <dir>/mlflow.db",
        )
    if path.is_file():
        if _is_sqlite_file(path):
            return f"sqlite:///{path.resolve()}"
        raise StoreError(f"{store}: not an MLflow store", "a file must be an SQLite database")
    raise StoreError(
        f"{store}: no such file or directory",
        "pass an mlruns directory, an SQLite file, a database URL or http(s)://host:port",
    )


def open_store(store: str | None = None, cwd: Path | None = None) -> Store:
    """Resolve `store` and open it. Raises StoreError with a one-line message."""
    uri = resolve(store, cwd)
    scheme = uri.split("://", 1)[0].lower()
    if scheme in ("http", "https"):
        from tuiflow.stores.rest import RestStore

        return RestStore(uri)
    if scheme == "file":
        from tuiflow.stores.file import FileStore

        return FileStore(Path(unquote(urlsplit(uri).path)))
    from tuiflow.stores.sql import SqlStore

    return SqlStore(uri)
