"""How many active runs an experiment has, for the experiments pane's "Runs" column.

A file store answers from the run folders' meta.yaml alone (no metrics or params read,
`FileStore.count_runs`). Other stores page through `search_runs`, which loads whole runs,
so counting stops at a cap: a tracking server is asked for one page only. Blocking; call it
from a worker.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from tuiflow.entities import ViewType
from tuiflow.stores.base import Store

PAGE = 1000
CAP = 20_000  # SQL: stop counting past this many runs ("20k+")
REST_CAP = 1000  # a server's runs come whole over HTTP: one page at most


def count_runs(
    store: Store,
    experiment_ids: Sequence[str],
    cancelled: Callable[[], bool],
    view: ViewType = ViewType.ACTIVE_ONLY,
    cap: int = CAP,
    rest_cap: int = REST_CAP,
) -> tuple[int, bool] | None:
    """(runs counted, complete); None when cancelled.

    A store that can count cheaply (the file store, from meta.yaml) is asked to; others are
    paged through, up to `cap` runs (`rest_cap` for a tracking server)."""
    counter = getattr(store, "count_runs", None)
    if counter is not None:
        total = counter(list(experiment_ids), view, cancelled)
        return None if total is None else (total, True)
    from tuiflow.stores.rest import RestStore

    limit = rest_cap if isinstance(store, RestStore) else cap
    total, token = 0, None
    while True:
        page = store.search_runs(
            list(experiment_ids), view=view, max_results=PAGE, page_token=token
        )
        total += len(page.items)
        token = page.next_page_token
        if cancelled():
            return None
        if not token:
            return total, True
        if total >= limit:
            return total, False


def short(count: int, complete: bool) -> str:
    """At most 4 characters: '7', '1234', '12k', '20k+' (never wider)."""
    if not complete:
        return f"{count // 1000}k+" if count >= 1000 else f"{count}+"
    return str(count) if count < 10_000 else f"{count // 1000}k"
