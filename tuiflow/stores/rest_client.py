"""HTTP layer of the REST store: one httpx.Client, MLflow's auth/TLS env vars, errors.

Everything a person might read (display URL, messages, hints) is free of credentials:
the userinfo is stripped from the base URL before any request is built, and every
message goes through `mask_password` in case a server echoes a URL back.

Reads are retried briefly on connection errors and gateway statuses (a restarting
server or proxy); writes never are, because a write that timed out may have landed.
Each retry is announced to `on_retry` (the CLI prints it, the explorer shows it) so a
slow answer is never a silent hang.

Reads follow redirects within the server's own origin (scheme, host and port) only, so
the Authorization header never travels to another host or over a downgraded scheme; a
redirect elsewhere is an error naming the target. Writes follow no redirect at all.
"""

from __future__ import annotations

import base64
import configparser
import contextlib
import json
import os
import ssl
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, NoReturn
from urllib.parse import unquote, urlsplit, urlunsplit

import httpx

from tuiflow.errors import InvalidArgumentError, NotFoundError, QueryError, StoreError
from tuiflow.locate import mask_password

API_PREFIX = "/api/2.0"
CONNECT_TIMEOUT_S = 5.0
DEFAULT_TIMEOUT_S = 30.0
RETRIES = 3
BACKOFF_S = 0.2
RETRY_STATUSES = frozenset({502, 503, 504})
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
MAX_REDIRECTS = 5
AUTH_HINT = (
    "set MLFLOW_TRACKING_USERNAME and MLFLOW_TRACKING_PASSWORD (basic auth) "
    "or MLFLOW_TRACKING_TOKEN (bearer token)"
)
PERMISSION_HINT = (
    "the user lacks permission for this; ask an MLflow admin, or use other credentials"
)
SAME_SERVER_HINT = (
    "tuiflow follows redirects only within the same server, so credentials stay there; "
    "use the URL it redirects to"
)
TLS_HINT = (
    "set MLFLOW_TRACKING_SERVER_CERT_PATH to the server's CA bundle, "
    "or MLFLOW_TRACKING_INSECURE_TLS=true to skip verification"
)
# A dropped keep-alive or a restarting server; only ever retried for reads.
_RETRY_TRANSPORT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.RemoteProtocolError)
_DUPLICATE_ORDER_BY = "`order_by` contains duplicate fields"
_QUERY_ERROR_CODES = frozenset({"INVALID_PARAMETER_VALUE", "BAD_REQUEST"})
# A write refused for what was asked (a taken name), not for a failing server.
WRITE_ARGUMENT_CODES = frozenset({"RESOURCE_ALREADY_EXISTS"})
_TRUE = frozenset({"true", "1", "yes", "on"})


def _env(name: str) -> str | None:
    value = os.environ.get(name)
    return value if value else None


def _env_flag(name: str) -> bool:
    return (os.environ.get(name) or "").strip().lower() in _TRUE


def _credentials_file() -> tuple[str | None, str | None]:
    """MLflow also reads `[mlflow]` username/password from ~/.mlflow/credentials."""
    path = Path(os.path.expanduser("~/.mlflow/credentials"))
    if not path.is_file():
        return None, None
    parser = configparser.ConfigParser()
    try:
        parser.read(path)
    except (OSError, configparser.Error):
        return None, None
    if "mlflow" not in parser:
        return None, None
    section = parser["mlflow"]
    return section.get("mlflow_tracking_username"), section.get("mlflow_tracking_password")


def split_userinfo(url: str) -> tuple[str, str, str | None, str | None]:
    """Return (base URL without userinfo, display URL, username, password)."""
    bad = StoreError(
        f"{mask_password(url)}: not an http(s) URL of a tracking server",
        "use http://host:port or https://host",
    )
    try:
        parts = urlsplit(url.strip())
        _ = parts.port  # raises ValueError for a non-numeric or out-of-range port
    except ValueError:
        raise bad from None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise bad
    netloc = parts.netloc.rsplit("@", 1)[-1]
    base = urlunsplit((parts.scheme.lower(), netloc, parts.path.rstrip("/"), "", ""))
    username = unquote(parts.username) if parts.username else None
    password = unquote(parts.password) if parts.password is not None else None
    if username and password is not None:
        shown = f"{parts.username}:***@{netloc}"
    elif username:
        shown = f"***@{netloc}"  # a lone userinfo is often a token (https://TOKEN@host)
    else:
        shown = netloc
    display = urlunsplit((parts.scheme.lower(), shown, parts.path.rstrip("/"), "", ""))
    return base, display, username, password


def _authorization(username: str | None, password: str | None) -> str | None:
    """MLflow's precedence: URL userinfo (requests applies it last), env basic, env token."""
    if username is not None:
        raw = f"{username}:{password or ''}".encode()
        return "Basic " + base64.b64encode(raw).decode()
    env_user, env_password = _env("MLFLOW_TRACKING_USERNAME"), _env("MLFLOW_TRACKING_PASSWORD")
    file_user, file_password = _credentials_file()
    user, secret = env_user or file_user, env_password or file_password
    if user and secret:
        return "Basic " + base64.b64encode(f"{user}:{secret}".encode()).decode()
    token = _env("MLFLOW_TRACKING_TOKEN")
    return f"Bearer {token}" if token else None


def _verify() -> ssl.SSLContext | bool:
    insecure = _env_flag("MLFLOW_TRACKING_INSECURE_TLS")
    server_cert = _env("MLFLOW_TRACKING_SERVER_CERT_PATH")
    client_cert = _env("MLFLOW_TRACKING_CLIENT_CERT_PATH")
    if insecure and server_cert:
        raise StoreError(
            "MLFLOW_TRACKING_INSECURE_TLS and MLFLOW_TRACKING_SERVER_CERT_PATH are both set",
            "unset one of them",
        )
    if not (server_cert or client_cert):
        return not insecure
    try:
        if server_cert:
            context = ssl.create_default_context(cafile=server_cert)
        else:
            import certifi  # httpx's own dependency and default CA bundle

            context = ssl.create_default_context(cafile=certifi.where())
        if insecure:
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
        if client_cert:
            context.load_cert_chain(client_cert)
    except (OSError, ssl.SSLError) as exc:
        raise StoreError(f"cannot load TLS certificate: {exc}", TLS_HINT) from None
    return context


def _timeout() -> httpx.Timeout:
    raw = _env("MLFLOW_HTTP_REQUEST_TIMEOUT")
    try:
        total = float(raw) if raw else DEFAULT_TIMEOUT_S
    except ValueError:
        total = DEFAULT_TIMEOUT_S
    return httpx.Timeout(total, connect=min(CONNECT_TIMEOUT_S, total))


def _origin(url: httpx.URL) -> tuple[str, str, int | None]:
    default = {"http": 80, "https": 443}.get(url.scheme)
    return url.scheme, url.host, url.port or default


class RestClient:
    """JSON-over-HTTP calls to an MLflow tracking server's `/api/2.0` endpoints."""

    def __init__(
        self,
        url: str,
        *,
        retries: int = RETRIES,
        backoff_s: float = BACKOFF_S,
        on_retry: Callable[[str], None] | None = None,
    ):
        self.base_url, self.display_url, username, password = split_userinfo(url)
        self._origin = _origin(httpx.URL(self.base_url))
        # Told "<what went wrong>, retrying (n/N)…" before each retry's wait; may be
        # called from any thread the request runs in.
        self.on_retry = on_retry
        headers = {"Accept": "application/json", "User-Agent": "tuiflow"}
        auth = _authorization(username, password)
        if auth:
            headers["Authorization"] = auth
        self._retries = retries
        self._backoff_s = backoff_s
        self._http = httpx.Client(headers=headers, verify=_verify(), timeout=_timeout())

    def close(self) -> None:
        self._http.close()

    def get(
        self, endpoint: str, params: Mapping[str, Any] | None = None, *, query: bool = False
    ) -> dict[str, Any]:
        return self.call("GET", endpoint, params=params, query=query)

    def call(
        self,
        method: str,
        endpoint: str,
        *,
        params: Mapping[str, Any] | None = None,
        body: Mapping[str, Any] | None = None,
        idempotent: bool | None = None,
        query: bool = False,
        argument_codes: frozenset[str] = frozenset(),
    ) -> dict[str, Any]:
        """One RPC. `idempotent` (default: GET only) allows retries; `query` marks a search,
        whose INVALID_PARAMETER_VALUE errors become QueryError; server errors whose code is
        in `argument_codes` become InvalidArgumentError with the server's message."""
        if idempotent is None:
            idempotent = method == "GET"
        url = f"{self.base_url}{API_PREFIX}{endpoint}"
        clean = _clean_params(params) if params else None
        attempts = 1 + (self._retries if idempotent else 0)
        for attempt in range(attempts):
            last = attempt == attempts - 1
            try:
                response = self._send(method, url, clean, body, follow=idempotent)
            except httpx.TransportError as exc:
                error = self._transport_error(exc)
                if not last and isinstance(exc, _RETRY_TRANSPORT) and not _is_tls(exc):
                    self._retry(attempt, error.message)
                    continue
                raise error from None
            if response.status_code in RETRY_STATUSES and not last:
                self._retry(attempt, f"{self.display_url} answered HTTP {response.status_code}")
                continue
            return self._decode(response, query=query, argument_codes=argument_codes)
        raise AssertionError("unreachable: the last attempt returns or raises")

    def write(
        self,
        method: str,
        endpoint: str,
        body: Mapping[str, Any],
        *,
        argument_codes: frozenset[str] = WRITE_ARGUMENT_CODES,
    ) -> dict[str, Any]:
        """One state-changing RPC with a JSON body (DELETE too: MLflow ignores the query
        string there). Never retried: a write that timed out may have landed."""
        return self.call(
            method, endpoint, body=body, idempotent=False, argument_codes=argument_codes
        )

    def download(self, route: str, params: Mapping[str, Any], max_bytes: int) -> bytes:
        """At most `max_bytes` of a raw (non-JSON) response at `route`, streamed so a huge
        artifact is never read whole. `route` is relative to the server root."""
        url = f"{self.base_url}{route}"
        query: dict[str, Any] | None = _clean_params(params)
        try:
            for _ in range(MAX_REDIRECTS + 1):
                with self._http.stream("GET", url, params=query) as response:
                    target = self._redirect_target(response)
                    if target is not None:
                        url, query = target, None  # the Location carries its own query
                        continue
                    if not 200 <= response.status_code < 300:
                        response.read()
                        self._decode(response, query=False)  # raises the server's error
                        raise self._not_mlflow(response)
                    return _read_at_most(response, max_bytes)
        except httpx.TransportError as exc:
            raise self._transport_error(exc) from None
        raise self._too_many_redirects()

    def _send(
        self,
        method: str,
        url: str,
        params: dict[str, Any] | None,
        body: Mapping[str, Any] | None,
        *,
        follow: bool,
    ) -> httpx.Response:
        """One request, following same-origin redirects when `follow` (reads only).

        The method and body are kept on every redirect: MLflow's searches are POSTs, and
        the 301/302-to-GET rewrite of browsers would turn them into empty GETs."""
        for _ in range(MAX_REDIRECTS + 1):
            response = self._http.request(method, url, params=params, json=body)
            target = self._redirect_target(response) if follow else None
            if target is None:
                return response
            url, params = target, None  # the Location carries its own query
        raise self._too_many_redirects()

    def _redirect_target(self, response: httpx.Response) -> str | None:
        """Where a redirect points if it stays on this server; None if not a redirect.
        A redirect to any other origin raises: the request would carry credentials."""
        location = response.headers.get("location")
        if response.status_code not in REDIRECT_STATUSES or not location:
            return None
        try:
            target = response.url.join(location)
        except (httpx.InvalidURL, ValueError):
            raise self._redirect_error(response, SAME_SERVER_HINT) from None
        if _origin(target) != self._origin:
            raise self._redirect_error(response, SAME_SERVER_HINT)
        return str(target)

    def _redirect_error(self, response: httpx.Response, hint: str) -> StoreError:
        location = response.headers.get("location", "")
        with contextlib.suppress(httpx.InvalidURL, ValueError):  # else shown as sent
            location = str(response.url.join(location))
        return StoreError(
            f"{self.display_url} redirects to {_one_line(mask_password(location))} "
            f"(HTTP {response.status_code})",
            hint,
        )

    def _too_many_redirects(self) -> StoreError:
        return StoreError(
            f"{self.display_url} redirected more than {MAX_REDIRECTS} times",
            "check the URL and the proxy in front of the server",
        )

    def _retry(self, attempt: int, why: str) -> None:
        """Announce retry `attempt + 1`, then wait before it (exponential backoff)."""
        if self.on_retry is not None:
            # A display hook must never turn a read into a failure.
            with contextlib.suppress(Exception):
                self.on_retry(f"{why}, retrying ({attempt + 1}/{self._retries})…")
        time.sleep(self._backoff_s * (2**attempt))

    def _transport_error(self, exc: httpx.TransportError) -> StoreError:
        where = self.display_url
        text = mask_password(str(exc)) or type(exc).__name__
        lowered = text.lower()
        if isinstance(exc, httpx.ConnectTimeout):
            return StoreError(f"cannot reach {where}: connect timed out")
        if isinstance(exc, httpx.TimeoutException):
            waited = self._http.timeout.read
            return StoreError(
                f"{where} did not answer within {waited:g}s (read timed out)",
                "the server is stuck or slow; MLFLOW_HTTP_REQUEST_TIMEOUT sets the wait",
            )
        if isinstance(exc, httpx.ConnectError):
            if "wrong version number" in lowered:
                return StoreError(
                    f"cannot reach {where}: TLS handshake failed",
                    "the server speaks plain HTTP? try http:// instead of https://",
                )
            if _is_tls(exc):
                return StoreError(f"cannot reach {where}: TLS error: {_one_line(text)}", TLS_HINT)
            if "refused" in lowered:
                return StoreError(f"cannot reach {where}: connection refused")
            if "name or service" in lowered or "nodename" in lowered or "resolution" in lowered:
                return StoreError(f"cannot reach {where}: unknown host")
            return StoreError(f"cannot reach {where}: {_one_line(text)}")
        return StoreError(f"lost connection to {where}: {_one_line(text)}")

    def _decode(
        self,
        response: httpx.Response,
        *,
        query: bool,
        argument_codes: frozenset[str] = frozenset(),
    ) -> dict[str, Any]:
        status = response.status_code
        payload = _json_object(response)
        if 200 <= status < 300:
            if payload is None:
                if not response.content.strip():
                    return {}
                raise self._not_mlflow(response)
            return payload
        if payload is not None and "error_code" in payload:
            self._raise_api_error(status, payload, query=query, argument_codes=argument_codes)
        if status in (401, 403):
            raise self._auth_error(response)
        if 300 <= status < 400 and response.headers.get("location"):
            # A write (never followed: it could land twice) or an odd 3xx status.
            raise self._redirect_error(response, "use the URL it redirects to")
        if status >= 500:
            raise StoreError(
                f"{self.display_url} answered HTTP {status} {response.reason_phrase}".rstrip(),
                "the server or a proxy in front of it is failing; try again later",
            )
        raise self._not_mlflow(response)

    def _raise_api_error(
        self,
        status: int,
        payload: dict[str, Any],
        *,
        query: bool,
        argument_codes: frozenset[str] = frozenset(),
    ) -> NoReturn:
        code = str(payload.get("error_code"))
        message = _one_line(mask_password(str(payload.get("message") or code)))
        if code == "RESOURCE_DOES_NOT_EXIST":
            raise NotFoundError(message)
        if status == 403 or code == "PERMISSION_DENIED":
            raise StoreError(f"permission denied at {self.display_url}: {message}", PERMISSION_HINT)
        if status == 401 or code == "UNAUTHENTICATED":
            raise StoreError(f"authentication failed at {self.display_url}: {message}", AUTH_HINT)
        if code in _QUERY_ERROR_CODES:
            raise QueryError(message) if query else InvalidArgumentError(message)
        if code in argument_codes:
            raise InvalidArgumentError(message)
        if query and _DUPLICATE_ORDER_BY in message:
            # MLflow's SQL stores raise this without an error code, so it arrives as HTTP 500.
            raise QueryError(message)
        raise StoreError(f"{self.display_url} answered {code} (HTTP {status}): {message}")

    def _auth_error(self, response: httpx.Response) -> StoreError:
        if "invalid host header" in response.text.lower():
            return StoreError(
                f"{self.display_url} refused the Host header (HTTP 403)",
                "start the server with --allowed-hosts including this host name",
            )
        if response.status_code == 403:
            return StoreError(
                f"permission denied at {self.display_url} (HTTP 403)", PERMISSION_HINT
            )
        return StoreError(
            f"authentication failed at {self.display_url}: not authenticated (HTTP 401)",
            AUTH_HINT,
        )

    def _not_mlflow(self, response: httpx.Response) -> StoreError:
        kind = response.headers.get("content-type", "no content type").split(";")[0]
        return StoreError(
            f"{self.display_url} did not answer like an MLflow tracking server "
            f"(HTTP {response.status_code}, {kind})",
            "check the URL: it should be the server root, e.g. http://127.0.0.1:5000",
        )


def _read_at_most(response: httpx.Response, max_bytes: int) -> bytes:
    chunks: list[bytes] = []
    got = 0
    for chunk in response.iter_bytes():
        chunks.append(chunk[: max_bytes - got])
        got += len(chunks[-1])
        if got >= max_bytes:
            break
    return b"".join(chunks)


def _clean_params(params: Mapping[str, Any]) -> dict[str, Any]:
    """Drop unset values and spell bools the way MLflow's GET parser wants them."""
    out: dict[str, Any] = {}
    for key, value in params.items():
        if value is None or (isinstance(value, list | tuple) and not value):
            continue
        if isinstance(value, bool):
            value = "true" if value else "false"
        out[key] = list(value) if isinstance(value, tuple) else value
    return out


def _json_object(response: httpx.Response) -> dict[str, Any] | None:
    try:
        data = json.loads(response.content)
    except ValueError:
        return None
    return data if isinstance(data, dict) else None


def _is_tls(exc: Exception) -> bool:
    """A certificate or handshake failure: retrying cannot help."""
    text = str(exc).lower()
    return "certificate" in text or "ssl" in text or "tls" in text


def _one_line(text: str) -> str:
    return " ".join(text.split())
