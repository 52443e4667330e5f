"""The Store protocol every backend implements, and what they share.

Backends: `file.py` (./mlruns), `sql.py` (SQLAlchemy Core over MLflow's schema),
`rest.py` (a tracking server). None of them imports Textual or mlflow.

Filters and order_by arrive as MLflow strings; each backend parses them with
`tuiflow.query.parser` (raising `QueryError` with an offset) and runs them where the
data is: Python for files, SQL for databases, the server for REST.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

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
from tuiflow.errors import QueryError

# MLflow's limits (store/tracking/__init__.py, store/model_registry/__init__.py).
SEARCH_MAX_RESULTS_DEFAULT = 1000
SEARCH_MAX_RESULTS_THRESHOLD = 50000
SEARCH_EXPERIMENTS_MAX_RESULTS_DEFAULT = 1000
SEARCH_REGISTERED_MODEL_MAX_RESULTS_DEFAULT = 100
SEARCH_REGISTERED_MODEL_MAX_RESULTS_THRESHOLD = 1000
SEARCH_MODEL_VERSION_MAX_RESULTS_DEFAULT = 10000
SEARCH_MODEL_VERSION_MAX_RESULTS_THRESHOLD = 200000
# Artifact previews read at most this much of a file (tuiflow's own limit, not MLflow's).
ARTIFACT_READ_MAX_BYTES = 1_048_576


@dataclass(frozen=True, slots=True)
class Capabilities:
    """What a backend can do; the UI asks these instead of catching errors."""

    writable: bool = False
    stages: bool = True
    aliases: bool = True
    artifacts: bool = True
    datasets: bool = True
    registry: bool = True
    # False where tuiflow cannot remove for good (a tracking server has no gc endpoint).
    purge: bool = True
    # True where the next page of runs costs about one page of work (SQL, a tracking
    # server's paging); False where it means another scan of every run (the file store).
    cheap_pages: bool = False


@runtime_checkable
class Store(Protocol):
    """Read side of a tracking + registry store."""

    @property
    def display_uri(self) -> str:
        """The store's address with any password masked; safe to print."""
        ...

    @property
    def capabilities(self) -> Capabilities: ...

    def search_experiments(
        self,
        view: ViewType = ViewType.ACTIVE_ONLY,
        filter: str | None = None,
        order_by: Sequence[str] = (),
        max_results: int | None = None,
        page_token: str | None = None,
    ) -> Page[Experiment]: ...

    def get_experiment(self, experiment_id: str) -> Experiment:
        """Active or deleted; `NotFoundError` if there is none."""
        ...

    def get_experiment_by_name(self, name: str) -> Experiment | None: ...

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
        """One page of runs. `on_progress(n)` hears how many runs were examined so far on
        long searches; it may raise `Cancelled` to stop the search."""
        ...

    def get_run(self, run_id: str) -> Run:
        """Active or deleted; `NotFoundError` if there is none."""
        ...

    def get_metric_history(self, run_id: str, key: str) -> list[Metric]: ...

    def list_artifacts(self, run_id: str, path: str | None = None) -> list[FileInfo]: ...

    def read_artifact(
        self, run_id: str, path: str, max_bytes: int = ARTIFACT_READ_MAX_BYTES
    ) -> bytes:
        """The first `max_bytes` bytes of one artifact file (for previews).

        `NotFoundError` for a missing file; `InvalidArgumentError` for a folder or a path
        that leaves the run's artifact root (`../`).
        """
        ...

    def search_registered_models(
        self,
        filter: str | None = None,
        order_by: Sequence[str] = (),
        max_results: int = SEARCH_REGISTERED_MODEL_MAX_RESULTS_DEFAULT,
        page_token: str | None = None,
    ) -> Page[RegisteredModel]: ...

    def get_registered_model(self, name: str) -> RegisteredModel: ...

    def search_model_versions(
        self,
        filter: str | None = None,
        order_by: Sequence[str] = (),
        max_results: int = SEARCH_MODEL_VERSION_MAX_RESULTS_DEFAULT,
        page_token: str | None = None,
    ) -> Page[ModelVersion]: ...

    def get_model_version(self, name: str, version: int | str) -> ModelVersion: ...

    def close(self) -> None: ...


# -- page tokens ---------------------------------------------------------------------------
# File and SQL stores use MLflow's own token format, base64 of {"offset": N}, so tokens
# are interchangeable with MLflow's and a broken one gets MLflow's wording.


def encode_page_token(offset: int) -> str:
    return base64.b64encode(json.dumps({"offset": offset}).encode()).decode()


def decode_page_token(token: str | None) -> int:
    if not token:
        return 0
    try:
        raw = base64.b64decode(token, validate=False)
    except Exception:
        raise QueryError("Invalid page token, could not base64-decode") from None
    try:
        data = json.loads(raw)
    except Exception:
        raise QueryError(f"Invalid page token, decoded value={raw!r}") from None
    offset = data.get("offset") if isinstance(data, dict) else None
    if not isinstance(offset, int) or offset < 0:
        raise QueryError(f"Invalid page token, parsed value={data!r}")
    return offset


def check_max_results(max_results: int, threshold: int, name: str = "max_results") -> None:
    if not isinstance(max_results, int) or max_results <= 0:
        raise QueryError(
            f"Invalid value {max_results} for parameter '{name}' supplied. "
            "It must be a positive integer"
        )
    if max_results > threshold:
        raise QueryError(
            f"Invalid value {max_results} for parameter '{name}' supplied. "
            f"It must be at most {threshold}"
        )


def paginate(items: Sequence, max_results: int, page_token: str | None) -> Page:
    """Slice an already-ordered list into one page, with MLflow's token semantics."""
    start = decode_page_token(page_token)
    end = start + max_results
    chunk = tuple(items[start:end])
    return Page(chunk, encode_page_token(end) if end < len(items) else None)
