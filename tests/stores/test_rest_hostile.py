"""Tracking servers that misbehave in ways a real `mlflow server` cannot be made to.

A scripted ThreadingHTTPServer on 127.0.0.1 plays the part: a server that dies between
two pages, one that never answers, 5xx pages from a proxy, HTML instead of JSON,
redirects (same server and elsewhere) and gateway errors that heal. For each: the store
raises one clear line, the CLI exits 1 with that line and no traceback (and prints no
partial result), and the explorer keeps what it showed.
"""

from __future__ import annotations

import json
import os
import pty
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from tuiflow.errors import StoreError
from tuiflow.stores.rest import RestStore

TOKEN = "hostile-Bearer-Secret-9f3"
EXPERIMENT = {"experiment_id": "1", "name": "hostile"}


@dataclass
class Seen:
    method: str
    path: str  # with the query string
    headers: dict[str, str]
    body: bytes

    @property
    def route(self) -> str:
        return urlsplit(self.path).path

    @property
    def json(self) -> Any:
        return json.loads(self.body) if self.body else None


# (status, body, extra headers); None drops the connection without an answer.
Reply = tuple[int, str, dict[str, str]] | None


class _Handler(BaseHTTPRequestHandler):
    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        seen = Seen(self.command, self.path, dict(self.headers), self.rfile.read(length))
        fake: Fake = self.server.fake  # type: ignore[attr-defined]
        fake.seen.append(seen)
        reply = fake.reply(seen)
        if reply is None:
            self.close_connection = True
            return
        status, body, headers = reply
        payload = body.encode()
        self.send_response(status)
        kind = "application/json" if body[:1] in "{[" and body else "text/html; charset=utf-8"
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(payload)))
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(payload)

    do_GET = do_POST = do_DELETE = do_PATCH = _answer

    def log_message(self, *args: Any) -> None:
        pass


class Fake:
    """One scripted server; `reply(seen)` decides each answer."""

    def __init__(self) -> None:
        self.seen: list[Seen] = []
        self.reply: Callable[[Seen], Reply] = lambda seen: (404, "<html>nope</html>", {})
        self.release = threading.Event()  # frees handlers that hang on purpose
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self.httpd.fake = self  # type: ignore[attr-defined]
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self._thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self._thread.start()

    def die(self) -> None:
        """Stop listening: from now on every connection is refused. Callable from a handler
        (serve_forever runs in another thread)."""
        self.httpd.shutdown()
        self.httpd.server_close()

    def close(self) -> None:
        self.release.set()
        self.die()
        self._thread.join(timeout=10)


@pytest.fixture()
def fakes() -> Iterator[Callable[[], Fake]]:
    made: list[Fake] = []

    def make() -> Fake:
        made.append(Fake())
        return made[-1]

    yield make
    for fake in made:
        fake.close()


@pytest.fixture()
def fake(fakes: Callable[[], Fake]) -> Fake:
    return fakes()


def ok(payload: dict[str, Any]) -> Reply:
    return 200, json.dumps(payload), {}


def run_json(i: int) -> dict[str, Any]:
    info = {
        "run_id": f"{i:032x}",
        "experiment_id": "1",
        "run_name": f"run-{i}",
        "status": "FINISHED",
        "start_time": 1_700_000_000_000 + i,
        "lifecycle_stage": "active",
    }
    data = {"metrics": [{"key": "acc", "value": i / 10, "timestamp": 1, "step": 0}]}
    return {"info": info, "data": data}


def paged_server(
    fake: Fake, total: int, on_second_page: Callable[[], Reply], cap: int = 1000
) -> None:
    """An experiment with `total` runs, answered `max_results` (at most `cap`) at a time;
    the second page's answer is scripted. (The explorer's run counter asks for 1000 at
    once and so never reaches it.)"""

    def reply(seen: Seen) -> Reply:
        if seen.route.endswith("/experiments/search"):
            return ok({"experiments": [EXPERIMENT]})
        if seen.route.endswith("/experiments/get-by-name"):
            return ok({"experiment": EXPERIMENT})
        if seen.route.endswith("/experiments/get"):
            return ok({"experiment": EXPERIMENT})
        if seen.route.endswith("/runs/search"):
            if (seen.json or {}).get("page_token") == "p2":
                return on_second_page()
            size = min((seen.json or {}).get("max_results", 1000), cap)
            runs = [run_json(i) for i in range(min(size, total))]
            return ok({"runs": runs, "next_page_token": "p2"} if size < total else {"runs": runs})
        return 404, "<html>nope</html>", {}

    fake.reply = reply


def dying(fake: Fake) -> Callable[[], Reply]:
    """The server process goes away while answering: the connection drops, then nothing
    listens on the port any more."""

    def answer() -> Reply:
        fake.die()
        return None

    return answer


def cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    full = {**os.environ, **(env or {})}
    full.pop("MLFLOW_TRACKING_URI", None)
    return subprocess.run(
        [sys.executable, "-m", "tuiflow", *args],
        capture_output=True,
        text=True,
        env=full,
        timeout=120,
        stdin=subprocess.DEVNULL,
    )


def one_line_failure(done: subprocess.CompletedProcess[str], code: int = 1) -> str:
    """The CLI failed with exactly one `tuiflow: …` line on stderr and no output."""
    assert done.returncode == code, done.stderr
    assert done.stdout == ""
    assert "Traceback" not in done.stderr
    lines = done.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("tuiflow: "), done.stderr
    return lines[0]


# -- dies mid-pagination -------------------------------------------------------------------


def test_server_dying_between_pages_is_an_error_not_a_short_result(fake: Fake) -> None:
    paged_server(fake, 5, dying(fake))
    heard: list[str] = []
    with RestStore(fake.url) as store:
        store.set_retry_listener(heard.append)
        first = store.search_runs(["1"], max_results=3)
        assert [r.run_name for r in first] == ["run-0", "run-1", "run-2"]
        with pytest.raises(StoreError) as exc:
            store.search_runs(["1"], max_results=3, page_token=first.next_page_token)
    assert str(exc.value) == f"cannot reach {fake.url}: connection refused"
    # The dropped answer and two refused connects were retried, each one announced.
    assert [h.rsplit(",", 1)[1] for h in heard] == [
        " retrying (1/3)…",
        " retrying (2/3)…",
        " retrying (3/3)…",
    ]
    assert heard[0].startswith(f"lost connection to {fake.url}")
    assert heard[1] == f"cannot reach {fake.url}: connection refused, retrying (2/3)…"


def test_cli_prints_nothing_when_the_server_dies_mid_listing(fake: Fake) -> None:
    paged_server(fake, 5, dying(fake), cap=3)  # a server that answers 3 runs a page
    done = cli("runs", fake.url, "--format", "json")
    line = one_line_failure(done)
    assert line == f"tuiflow: cannot reach {fake.url}: connection refused"


def test_explorer_keeps_the_rows_it_has_when_the_next_page_fails(fake: Fake, monkeypatch) -> None:
    from ui.uihelp import settle, status_text

    from tuiflow.ui.widgets.runs_pane import RunsPane
    from tuiflow.ui.widgets.runs_table import RunsTable

    monkeypatch.setattr(RunsPane, "page_size", 3)
    paged_server(fake, 5, dying(fake))
    store = RestStore(fake.url)

    async def body(pilot, app) -> None:
        # The only experiment opens by itself, and a server's pages stream in behind the
        # first one: the second page finds the server gone.
        await settle(pilot, rounds=60)
        table = app.screen.query_one(RunsTable)
        assert [r.run_name for r in table.runs] == ["run-0", "run-1", "run-2"]
        assert "3+ runs" in status_text(app)
        table.focus()
        await pilot.press("G")  # the last row asks again: still gone, still the same rows
        await settle(pilot)
        assert [r.run_name for r in table.runs] == ["run-0", "run-1", "run-2"]
        notes = [(n.title, n.message) for n in app._notifications]
        assert ("Could not load runs", f"cannot reach {fake.url}: connection refused") in notes
        retries = [m for t, m in notes if t == "Server not answering"]
        assert any(m.endswith("retrying (1/3)…") for m in retries), notes
        assert "loading" not in status_text(app)
        assert app.is_running

    from ui.uihelp import run_ui

    try:
        run_ui(store, body)
    finally:
        store.close()


# -- a server that never answers -------------------------------------------------------------


def _hang(fake: Fake) -> None:
    def reply(seen: Seen) -> Reply:
        fake.release.wait(timeout=60)
        return None

    fake.reply = reply


def test_read_timeout_is_one_line_and_not_retried(fake: Fake, monkeypatch) -> None:
    _hang(fake)
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_TIMEOUT", "0.5")
    with RestStore(fake.url) as store, pytest.raises(StoreError) as exc:
        store.get_run("r")
    assert str(exc.value).startswith(f"{fake.url} did not answer within 0.5s (read timed out)")
    assert "MLFLOW_HTTP_REQUEST_TIMEOUT" in (exc.value.hint or "")
    # A read that timed out waited the full timeout already; retrying would multiply it.
    assert len(fake.seen) == 1


def test_cli_read_timeout(fake: Fake) -> None:
    _hang(fake)
    done = cli("experiments", fake.url, env={"MLFLOW_HTTP_REQUEST_TIMEOUT": "0.5"})
    assert "did not answer within 0.5s" in one_line_failure(done)


# -- error pages -------------------------------------------------------------------------------

HTML_500 = "<html><body><h1>Internal Server Error</h1><pre>Traceback (most recent call last):\n  File x</pre></body></html>"  # noqa: E501

ERROR_PAGES = [
    pytest.param(
        (500, '{"error_code": "INTERNAL_ERROR", "message": "database is\\nlocked"}', {}),
        "answered INTERNAL_ERROR (HTTP 500): database is locked",
        id="500-json",
    ),
    pytest.param((500, HTML_500, {}), "answered HTTP 500 Internal Server Error", id="500-html"),
    pytest.param(
        (200, "<html><body>Welcome to nginx!</body></html>", {}),
        "did not answer like an MLflow tracking server (HTTP 200, text/html)",
        id="200-html",
    ),
    pytest.param((200, "{not json", {}), "did not answer like an MLflow", id="200-broken-json"),
    pytest.param((200, "[1, 2]", {}), "did not answer like an MLflow", id="200-json-list"),
    pytest.param(
        (503, "<html>busy</html>", {}), "answered HTTP 503 Service Unavailable", id="503-forever"
    ),
    pytest.param((401, "You are not authenticated.", {}), "authentication failed", id="401"),
    pytest.param((403, "Permission denied", {}), "permission denied at", id="403"),
]


@pytest.mark.parametrize(("answer", "expected"), ERROR_PAGES)
def test_error_pages_are_one_line_at_the_cli(fake: Fake, answer: Reply, expected: str) -> None:
    fake.reply = lambda seen: answer
    done = cli("runs", fake.url, "--format", "json")
    line = one_line_failure(done)
    assert expected in line
    assert "Traceback" not in line and "<html>" not in line


def test_500_is_not_retried_but_503_is(fake: Fake) -> None:
    fake.reply = lambda seen: (500, "<html>boom</html>", {})
    with RestStore(fake.url) as store, pytest.raises(StoreError, match="HTTP 500"):
        store.get_run("r")
    assert len(fake.seen) == 1  # a broken server stays broken: no point asking again
    fake.seen.clear()
    fake.reply = lambda seen: (503, "<html>busy</html>", {})
    with RestStore(fake.url) as store, pytest.raises(StoreError, match="HTTP 503"):
        store.get_run("r")
    assert len(fake.seen) == 4  # the first try and three retries


# -- retries and their notices -----------------------------------------------------------------


def _healing(fake: Fake, failures: list[int]) -> None:
    """Gateway errors first, then the experiment list."""

    def reply(seen: Seen) -> Reply:
        if failures:
            return failures.pop(0), "<html>gateway</html>", {}
        return ok({"experiments": [EXPERIMENT]})

    fake.reply = reply


def test_retried_reads_are_announced(fake: Fake) -> None:
    _healing(fake, [503, 502, 504])
    heard: list[str] = []
    with RestStore(fake.url) as store:
        store.set_retry_listener(heard.append)
        assert [e.name for e in store.search_experiments()] == ["hostile"]
    assert heard == [
        f"{fake.url} answered HTTP 503, retrying (1/3)…",
        f"{fake.url} answered HTTP 502, retrying (2/3)…",
        f"{fake.url} answered HTTP 504, retrying (3/3)…",
    ]
    # Every attempt repeated the same search (method and body).
    assert {(s.method, s.body) for s in fake.seen} == {(fake.seen[0].method, fake.seen[0].body)}


def test_a_failing_listener_does_not_fail_the_read(fake: Fake) -> None:
    _healing(fake, [503])

    def broken(text: str) -> None:
        raise RuntimeError("display gone")

    with RestStore(fake.url) as store:
        store.set_retry_listener(broken)
        assert [e.name for e in store.search_experiments()] == ["hostile"]


def test_writes_are_neither_retried_nor_announced(fake: Fake) -> None:
    fake.reply = lambda seen: (503, "<html>busy</html>", {})
    heard: list[str] = []
    with RestStore(fake.url) as store:
        store.set_retry_listener(heard.append)
        with pytest.raises(StoreError, match="HTTP 503"):
            store.delete_runs(["0" * 32])
    assert len(fake.seen) == 1 and heard == []


def _cli_on_a_terminal(*args: str) -> tuple[int, str, str]:
    """Run the CLI with stderr on a pseudo-terminal (as in a shell): (code, stdout, stderr)."""
    master, slave = pty.openpty()
    env = {**os.environ, "COLUMNS": "200", "NO_COLOR": "1"}
    env.pop("MLFLOW_TRACKING_URI", None)
    with subprocess.Popen(
        [sys.executable, "-m", "tuiflow", *args],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=slave,
        env=env,
        text=True,
    ) as proc:
        os.close(slave)
        stdout, _ = proc.communicate(timeout=120)
    chunks = []
    while True:
        try:
            chunk = os.read(master, 4096)
        except OSError:  # EIO: the child side is closed and everything was read
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(master)
    return proc.returncode, stdout, b"".join(chunks).decode().replace("\r\n", "\n")


def test_cli_on_a_terminal_says_it_is_retrying(fake: Fake) -> None:
    _healing(fake, [503, 502])
    code, stdout, stderr = _cli_on_a_terminal("experiments", fake.url, "--format", "json")
    assert code == 0
    assert [e["name"] for e in json.loads(stdout)] == ["hostile"]
    assert stderr.splitlines() == [
        f"tuiflow: {fake.url} answered HTTP 503, retrying (1/3)…",
        f"tuiflow: {fake.url} answered HTTP 502, retrying (2/3)…",
    ]


def test_cli_in_a_script_stays_quiet_while_retrying(fake: Fake) -> None:
    _healing(fake, [503, 502])
    done = cli("experiments", fake.url, "--format", "json")
    assert done.returncode == 0 and done.stderr == ""
    assert [e["name"] for e in json.loads(done.stdout)] == ["hostile"]


def test_explorer_shows_the_retry_while_it_happens(fake: Fake) -> None:
    from ui.uihelp import run_ui

    from tuiflow.ui.widgets.experiments_pane import ExperimentsTable

    _healing(fake, [503])
    store = RestStore(fake.url)

    async def body(pilot, app) -> None:
        assert app.screen.query_one(ExperimentsTable).row_count == 1
        notes = [(n.title, n.message) for n in app._notifications]
        assert ("Server not answering", f"{fake.url} answered HTTP 503, retrying (1/3)…") in notes

    try:
        run_ui(store, body)
    finally:
        store.close()


# -- redirects ---------------------------------------------------------------------------------


def _moved(fake: Fake, status: int, target_base: str, old: str = "/old") -> None:
    """Everything under `old` redirects to the same path under `target_base`; the real API
    answers under /new."""
    run = run_json(1)

    def reply(seen: Seen) -> Reply:
        if seen.path.startswith(old + "/"):
            return status, "", {"Location": target_base + seen.path[len(old) :]}
        route = seen.route.removeprefix("/new")
        if route == "/api/2.0/mlflow/experiments/search":
            return ok({"experiments": [EXPERIMENT]})
        if route == "/api/2.0/mlflow/runs/get":
            assert parse_qs(urlsplit(seen.path).query)["run_id"] == [run["info"]["run_id"]]
            return ok({"run": run})
        if route == "/get-artifact":
            return 200, "artifact bytes", {}
        if route == "/api/2.0/mlflow/runs/delete":
            return ok({})
        return 404, "<html>nope</html>", {}

    fake.reply = reply


@pytest.mark.parametrize("status", [301, 302, 307, 308])
def test_reads_follow_redirects_on_the_same_server(fake: Fake, status: int, monkeypatch) -> None:
    monkeypatch.setenv("MLFLOW_TRACKING_TOKEN", TOKEN)
    _moved(fake, status, "/new")  # a relative Location, as proxies send
    run_id = run_json(1)["info"]["run_id"]
    with RestStore(fake.url + "/old") as store:
        assert [e.name for e in store.search_experiments()] == ["hostile"]
        assert store.get_run(run_id).run_name == "run-1"
        assert store.read_artifact(run_id, "a.txt") == b"artifact bytes"
    followed = [s for s in fake.seen if s.path.startswith("/new/")]
    assert len(followed) == 3
    # A search is a POST: the redirect kept the method and the body (not a bodyless GET).
    search = next(s for s in followed if s.route.endswith("/experiments/search"))
    assert search.method == "POST" and search.json["view_type"] == "ACTIVE_ONLY"
    # Same server: the credentials went along, as they would without the redirect.
    assert all(s.headers.get("Authorization") == f"Bearer {TOKEN}" for s in followed)


def test_redirect_to_another_server_is_refused_without_sending_credentials(
    fakes: Callable[[], Fake], monkeypatch
) -> None:
    monkeypatch.setenv("MLFLOW_TRACKING_TOKEN", TOKEN)
    here, elsewhere = fakes(), fakes()
    _moved(elsewhere, 302, "/new")
    _moved(here, 307, elsewhere.url + "/new")
    with RestStore(here.url + "/old") as store:
        with pytest.raises(StoreError) as exc:
            store.search_experiments()
        with pytest.raises(StoreError):
            store.read_artifact(run_json(1)["info"]["run_id"], "a.txt")
    assert str(exc.value).startswith(
        f"{here.url}/old redirects to {elsewhere.url}/new/api/2.0/mlflow/experiments/search "
        "(HTTP 307)"
    )
    assert "same server" in (exc.value.hint or "")
    assert elsewhere.seen == []  # not a single request, so no Authorization header either
    assert "\n" not in str(exc.value)


def test_cli_redirect_elsewhere_with_password_in_url(fakes: Callable[[], Fake]) -> None:
    here, elsewhere = fakes(), fakes()
    _moved(here, 301, f"http://user:Leak-Me-77@127.0.0.1:{elsewhere.httpd.server_address[1]}")
    port = here.httpd.server_address[1]
    done = cli("experiments", f"http://alice:Pw-Secret-31@127.0.0.1:{port}/old")
    line = one_line_failure(done)
    assert "redirects to" in line
    assert "Pw-Secret-31" not in line and "Leak-Me-77" not in line
    assert elsewhere.seen == []


def test_writes_do_not_follow_redirects(fake: Fake) -> None:
    _moved(fake, 307, "/new")
    with RestStore(fake.url + "/old") as store, pytest.raises(StoreError) as exc:
        store.delete_runs([run_json(1)["info"]["run_id"]])
    assert f"redirects to {fake.url}/new/api/2.0/mlflow/runs/delete (HTTP 307)" in str(exc.value)
    assert [s.path for s in fake.seen] == ["/old/api/2.0/mlflow/runs/delete"]


def test_redirect_loop_ends(fake: Fake) -> None:
    fake.reply = lambda seen: (302, "", {"Location": seen.path})
    with RestStore(fake.url) as store, pytest.raises(StoreError, match="redirected more than 5"):
        store.get_run("r")
    assert len(fake.seen) == 6
