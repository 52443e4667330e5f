"""Start a real `mlflow server` for tests and stop it for sure.

Usage:
    with mlflow_server(tmp_dir) as server:
        MlflowClient(server.url) ...; RestStore(server.url) ...

One worker, 127.0.0.1, a free port, SQLite backend under `tmp_dir`. The server runs in
its own process group so uvicorn's children die with it.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import httpx

STARTUP_TIMEOUT_S = 90.0


@dataclass(frozen=True)
class ServerInfo:
    url: str
    root: Path  # holds mlflow.db, artifacts/ and server.log
    backend_uri: str
    log: Path


def free_port() -> int:
    """A port nothing listens on right now (also handy for dead-server tests)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _command(root: Path, port: int, backend_uri: str, serve_artifacts: bool) -> list[str]:
    cmd = [
        sys.executable, "-m", "mlflow", "server",
        "--backend-store-uri", backend_uri,
        "--host", "127.0.0.1",
        "--port", str(port),
        "--workers", "1",
    ]  # fmt: skip
    if serve_artifacts:
        # Runs get mlflow-artifacts:/ roots; the server proxies listing to this directory.
        cmd += ["--serve-artifacts", "--artifacts-destination", str(root / "mlartifacts")]
    else:
        cmd += ["--no-serve-artifacts", "--default-artifact-root", str(root / "artifacts")]
    return cmd


def _wait_healthy(url: str, proc: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"mlflow server exited with {proc.returncode}:\n{tail(log)}")
        try:
            if httpx.get(f"{url}/health", timeout=2.0).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.25)
    raise RuntimeError(f"mlflow server not healthy after {STARTUP_TIMEOUT_S}s:\n{tail(log)}")


def tail(log: Path, lines: int = 30) -> str:
    try:
        return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def stop_process_group(proc: subprocess.Popen, grace_s: float = 10) -> None:
    """SIGTERM the process group started with start_new_session, SIGKILL after `grace_s`."""
    if proc.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=grace_s)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)


@contextlib.contextmanager
def mlflow_server(
    root: Path,
    *,
    serve_artifacts: bool = False,
    backend_uri: str | None = None,
    app_name: str | None = None,
    static_prefix: str | None = None,
    env: Mapping[str, str] | None = None,
) -> Iterator[ServerInfo]:
    """Run `mlflow server` on a SQLite store in `root` (or `backend_uri`) until exit.

    `app_name` picks a server app (`basic-auth`); `static_prefix` serves everything under
    that path, and `ServerInfo.url` then includes it; `env` adds variables for the server
    only (auth config path, secret key, PYTHONPATH for a custom auth function).
    """
    root.mkdir(parents=True, exist_ok=True)
    backend_uri = backend_uri or f"sqlite:///{root / 'mlflow.db'}"
    port = free_port()
    url = f"http://127.0.0.1:{port}{static_prefix or ''}"
    log = root / "server.log"
    server_env = {**os.environ, "MLFLOW_DISABLE_TELEMETRY": "true", "DO_NOT_TRACK": "true"}
    server_env.pop("MLFLOW_TRACKING_URI", None)
    # The client-side credentials of a test must not leak into the server's own process.
    for name in ("MLFLOW_TRACKING_USERNAME", "MLFLOW_TRACKING_PASSWORD", "MLFLOW_TRACKING_TOKEN"):
        server_env.pop(name, None)
    server_env.update(env or {})
    cmd = _command(root, port, backend_uri, serve_artifacts)
    if app_name:
        cmd += ["--app-name", app_name]
    if static_prefix:
        cmd += ["--static-prefix", static_prefix]
    with log.open("wb") as out:
        proc = subprocess.Popen(
            cmd,
            cwd=root,
            env=server_env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        _wait_healthy(url, proc, log)
        yield ServerInfo(url=url, root=root, backend_uri=backend_uri, log=log)
    finally:
        stop_process_group(proc)
