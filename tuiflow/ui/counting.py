"""How many active runs an experiment has, for the experiments pane's "Runs" column.

A file store answers from the run folders' meta.yaml alone (no metrics or params read).
Other stores page through `search_runs`, which loads whole runs, so counting stops at a
cap: a tracking server is asked for one page only. Blocking; call it from a worker.
"""

from __future__ import annotations

from collections.abc import Callable

from tuiflow.entities import ViewType
from tuiflow.stores.base import Store

PAGE = 1000
CAP = 20_000  # SQL: stop counting past this many runs ("20k+")
REST_CAP = 1000  # a server's runs come whole over HTTP: one page at most


def count_runs(
    store: Store, experiment_id: str, cancelled: Callable[[], bool]
) -> tuple[int, bool] | None:
    """(active runs counted, complete); None when cancelled."""
    from tuiflow.stores.file import FileStore

    if isinstance(store, FileStore):
        return _count_files(store, experiment_id, cancelled)
    from tuiflow.stores.rest import RestStore

    cap = REST_CAP if isinstance(store, RestStore) else CAP
    total, token = 0, None
    while True:
        page = store.search_runs(
            [experiment_id], view=ViewType.ACTIVE_ONLY, max_results=PAGE, page_token=token
        )
        total += len(page.items)
        token = page.next_page_token
        if cancelled():
            return None
        if not token:
            return total, True
        if total >= cap:
            return total, False


def _count_files(
    store, experiment_id: str, cancelled: Callable[[], bool]
) -> tuple[int, bool] | None:
    total = store.count_runs([experiment_id], ViewType.ACTIVE_ONLY, cancelled)
    return None if total is None else (total, True)


def short(count: int, complete: bool) -> str:
    """At most 4 characters: '7', '1234', '12k', '20k+' (never wider)."""
    if not complete:
        return f"{count // 1000}k+" if count >= 1000 else f"{count}+"
    return str(count) if count < 10_000 else f"{count // 1000}k"
