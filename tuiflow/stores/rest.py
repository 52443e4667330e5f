"""Read an MLflow tracking server over its REST API (`mlflow server`).

Filters and order_by strings are validated locally with `tuiflow.query.parser`, so a typo
gets an offset-bearing QueryError before any round trip, and then sent to the server
exactly as written: the server is the authority on what matches and in which order.
Page tokens are the server's own and pass through untouched. The one exception is a run
filter using tuiflow's OR/NOT extension, which a server cannot run: see `rest_extended`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from tuiflow.entities import (
    Experiment,
    FileInfo,
    Metric,
    ModelVersion,
    Page,
    RegisteredModel,
    Run,
    ViewType,
)
from tuiflow.errors import InvalidArgumentError, NotFoundError, QueryError
from tuiflow.stores import rest_convert as convert
from tuiflow.stores.base import (
    ARTIFACT_READ_MAX_BYTES,
    SEARCH_EXPERIMENTS_MAX_RESULTS_DEFAULT,
    SEARCH_MAX_RESULTS_DEFAULT,
    SEARCH_MAX_RESULTS_THRESHOLD,
    SEARCH_MODEL_VERSION_MAX_RESULTS_DEFAULT,
    SEARCH_MODEL_VERSION_MAX_RESULTS_THRESHOLD,
    SEARCH_REGISTERED_MODEL_MAX_RESULTS_DEFAULT,
    SEARCH_REGISTERED_MODEL_MAX_RESULTS_THRESHOLD,
    Capabilities,
    check_max_results,
)
from tuiflow.stores.local_artifacts import artifact_path
from tuiflow.stores.rest_client import RestClient
from tuiflow.stores.rest_write import RestWrites

# Upper bound on pages followed for unpaginated reads (metric history, artifact listing);
# a server that keeps returning the same token must not hang the caller.
_MAX_PAGES = 10_000


def _validate(
    text: str | None,
    order_by: Sequence[str],
    parse_filter: Callable[[str | None], Any],
    parse_order_by: Callable[[Sequence[str]], Any],
) -> None:
    from tuiflow.query.ast import is_mlflow_syntax

    node = parse_filter(text)
    if not is_mlflow_syntax(node):
        raise QueryError(
            "a tracking server only runs MLflow filters: comparisons joined by AND "
            "(no OR, NOT or parentheses)",
            None,
            text,
        )
    parse_order_by(list(order_by))


class RestStore(RestWrites):
    """The `Store` protocol over `mlflow server`'s `/api/2.0/mlflow` endpoints."""

    # Runs per server request when an extended (OR/NOT) filter is evaluated locally.
    extended_page_size = SEARCH_MAX_RESULTS_DEFAULT

    def __init__(self, base_url: str):
        self._client = RestClient(base_url)

    @property
    def display_uri(self) -> str:
        return self._client.display_url

    def set_retry_listener(self, listener: Callable[[str], None] | None) -> None:
        """`listener(text)` hears of each retried read ("… answered HTTP 503, retrying
        (1/3)…"), from whichever thread made the request: the CLI prints it, the explorer
        shows it, so a struggling server is never a silent hang."""
        self._client.on_retry = listener

    @property
    def capabilities(self) -> Capabilities:
        # Writes go through the server's endpoints; permanent removal has none (`mlflow gc`).
        return Capabilities(writable=True, purge=False, cheap_pages=True)

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> RestStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- experiments -----------------------------------------------------------------------

    def search_experiments(
        self,
        view: ViewType = ViewType.ACTIVE_ONLY,
        filter: str | None = None,
        order_by: Sequence[str] = (),
        max_results: int | None = None,
        page_token: str | None = None,
    ) -> Page[Experiment]:
        from tuiflow.query import parser

        if max_results is None:
            max_results = SEARCH_EXPERIMENTS_MAX_RESULTS_DEFAULT
        check_max_results(max_results, SEARCH_MAX_RESULTS_THRESHOLD)
        _validate(
            filter, order_by, parser.parse_experiment_filter, parser.parse_experiment_order_by
        )
        body = {
            "view_type": ViewType(view).proto_name,
            "max_results": max_results,
            "filter": filter or None,
            "order_by": list(order_by),
            "page_token": page_token or None,
        }
        data = self._client.call(
            "POST",
            "/mlflow/experiments/search",
            body=_drop_unset(body),
            idempotent=True,
            query=True,
        )
        items = tuple(convert.experiment(e) for e in data.get("experiments") or ())
        return Page(items, data.get("next_page_token") or None)

    def get_experiment(self, experiment_id: str) -> Experiment:
        try:
            data = self._client.get(
                "/mlflow/experiments/get", {"experiment_id": str(experiment_id)}
            )
        except InvalidArgumentError as exc:
            # A SQL-backed server rejects non-integer ids; for a reader that is "no such".
            raise NotFoundError(exc.args[0]) from None
        return convert.experiment(data["experiment"])

    def get_experiment_by_name(self, name: str) -> Experiment | None:
        try:
            data = self._client.get("/mlflow/experiments/get-by-name", {"experiment_name": name})
        except NotFoundError:
            return None
        return convert.experiment(data["experiment"])

    # -- runs ------------------------------------------------------------------------------

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
        """MLflow filters go to the server verbatim. A filter using tuiflow's OR/NOT
        extension is run locally over the server's pages (`rest_extended`); then
        `on_progress(n)` is told how many runs have been fetched so far in this call."""
        from tuiflow.query import parser
        from tuiflow.query.extension import parse_search_filter, server_part

        check_max_results(max_results, SEARCH_MAX_RESULTS_THRESHOLD)
        node, plain = parse_search_filter(filter)
        parser.parse_run_order_by(list(order_by))
        if not plain:
            from tuiflow.stores.rest_extended import search_extended

            def fetch(server_filter: str | None, token: str | None, size: int) -> Page[Run]:
                return self._search_runs(experiment_ids, server_filter, order_by, view, size, token)

            return search_extended(
                fetch,
                node,
                server_part(node),
                max_results,
                page_token,
                self.extended_page_size,
                on_progress,
            )
        return self._search_runs(experiment_ids, filter, order_by, view, max_results, page_token)

    def _search_runs(
        self,
        experiment_ids: Sequence[str],
        filter: str | None,
        order_by: Sequence[str],
        view: ViewType,
        max_results: int,
        page_token: str | None,
    ) -> Page[Run]:
        body = {
            "experiment_ids": [str(e) for e in experiment_ids],
            "filter": filter or None,
            "run_view_type": ViewType(view).proto_name,
            "max_results": max_results,
            "order_by": list(order_by),
            "page_token": page_token or None,
        }
        data = self._client.call(
            "POST", "/mlflow/runs/search", body=_drop_unset(body), idempotent=True, query=True
        )
        items = tuple(convert.run(r) for r in data.get("runs") or ())
        return Page(items, data.get("next_page_token") or None)

    def get_run(self, run_id: str) -> Run:
        return convert.run(self._client.get("/mlflow/runs/get", {"run_id": run_id})["run"])

    def get_metric_history(self, run_id: str, key: str) -> list[Metric]:
        # Without max_results the server answers unpaginated; follow a token if one appears.
        params: dict[str, Any] = {"run_id": run_id, "metric_key": key}
        out: list[Metric] = []
        for _ in range(_MAX_PAGES):
            data = self._client.get("/mlflow/metrics/get-history", params)
            out.extend(convert.metric(m) for m in data.get("metrics") or ())
            token = data.get("next_page_token")
            if not token or token == params.get("page_token"):
                break
            params = {**params, "page_token": token}
        return out

    def list_artifacts(self, run_id: str, path: str | None = None) -> list[FileInfo]:
        params: dict[str, Any] = {"run_id": run_id, "path": path or None}
        out: list[FileInfo] = []
        for _ in range(_MAX_PAGES):
            data = self._client.get("/mlflow/artifacts/list", params)
            out.extend(convert.file_info(f) for f in data.get("files") or ())
            token = data.get("next_page_token")
            if not token or token == params.get("page_token"):
                break
            params = {**params, "page_token": token}
        return out

    def read_artifact(
        self, run_id: str, path: str, max_bytes: int = ARTIFACT_READ_MAX_BYTES
    ) -> bytes:
        # `/get-artifact` (mlflow/server/handlers.py get_artifact_handler) serves runs with a
        # root the server can read itself and runs with `mlflow-artifacts:` roots alike; the
        # `/api/2.0/mlflow-artifacts/artifacts/<path>` proxy route needs the resolved path.
        rel = artifact_path(path)
        if max_bytes < 0:
            raise InvalidArgumentError(f"max_bytes must be >= 0, got {max_bytes}")
        return self._client.download("/get-artifact", {"path": rel, "run_uuid": run_id}, max_bytes)

    # -- model registry --------------------------------------------------------------------

    def search_registered_models(
        self,
        filter: str | None = None,
        order_by: Sequence[str] = (),
        max_results: int = SEARCH_REGISTERED_MODEL_MAX_RESULTS_DEFAULT,
        page_token: str | None = None,
    ) -> Page[RegisteredModel]:
        from tuiflow.query import parser

        check_max_results(max_results, SEARCH_REGISTERED_MODEL_MAX_RESULTS_THRESHOLD)
        _validate(
            filter,
            order_by,
            parser.parse_registered_model_filter,
            parser.parse_registered_model_order_by,
        )
        params = {
            "filter": filter or None,
            "max_results": max_results,
            "order_by": list(order_by),
            "page_token": page_token or None,
        }
        data = self._client.get("/mlflow/registered-models/search", params, query=True)
        items = tuple(convert.registered_model(m) for m in data.get("registered_models") or ())
        return Page(items, data.get("next_page_token") or None)

    def get_registered_model(self, name: str) -> RegisteredModel:
        data = self._client.get("/mlflow/registered-models/get", {"name": name})
        return convert.registered_model(data["registered_model"])

    def search_model_versions(
        self,
        filter: str | None = None,
        order_by: Sequence[str] = (),
        max_results: int = SEARCH_MODEL_VERSION_MAX_RESULTS_DEFAULT,
        page_token: str | None = None,
    ) -> Page[ModelVersion]:
        from tuiflow.query import parser

        check_max_results(max_results, SEARCH_MODEL_VERSION_MAX_RESULTS_THRESHOLD)
        _validate(
            filter, order_by, parser.parse_model_version_filter, parser.parse_model_version_order_by
        )
        params = {
            "filter": filter or None,
            "max_results": max_results,
            "order_by": list(order_by),
            "page_token": page_token or None,
        }
        data = self._client.get("/mlflow/model-versions/search", params, query=True)
        items = tuple(convert.model_version(v) for v in data.get("model_versions") or ())
        return Page(items, data.get("next_page_token") or None)

    def get_model_version(self, name: str, version: int | str) -> ModelVersion:
        data = self._client.get(
            "/mlflow/model-versions/get", {"name": name, "version": str(version)}
        )
        return convert.model_version(data["model_version"])


def _drop_unset(body: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in body.items() if v is not None and v != []}
