"""Watch mode (`w`, `--watch SECONDS`): what one poll of the store fetches.

A poll re-reads the view's first page (new runs appear, finished ones change status)
and, for pages loaded beyond it, only the runs still RUNNING: a long view is not
re-read every few seconds. Blocking store calls; the runs pane runs this in a worker.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from tuiflow.entities import Run, ViewType
from tuiflow.errors import NotFoundError
from tuiflow.stores.base import Store

RUNNING = "RUNNING"


@dataclass(frozen=True, slots=True)
class Query:
    experiment_ids: tuple[str, ...]
    filter_text: str
    order_by: tuple[str, ...]
    view: ViewType
    page_size: int

    def page(self, store: Store, token: str | None = None):
        return store.search_runs(
            list(self.experiment_ids),
            filter=self.filter_text or None,
            order_by=list(self.order_by),
            view=self.view,
            max_results=self.page_size,
            page_token=token,
        )


@dataclass(frozen=True, slots=True)
class Polled:
    runs: tuple[Run, ...]
    next_page_token: str | None
    first_page_only: bool  # True: `next_page_token` replaces the pane's


def poll(
    store: Store, query: Query, loaded: Sequence[Run], cancelled: Callable[[], bool]
) -> Polled | None:
    """The view as it is now; None when cancelled midway."""
    page = query.page(store)
    first = list(page.items)
    if len(loaded) <= query.page_size:
        return Polled(tuple(first), page.next_page_token, True)
    seen = {r.run_id for r in first}
    rest: list[Run] = []
    for run in loaded[query.page_size :]:
        if cancelled():
            return None
        if run.run_id in seen:
            continue
        seen.add(run.run_id)
        if run.status == RUNNING:
            try:
                run = store.get_run(run.run_id)
            except NotFoundError:  # purged meanwhile
                continue
        rest.append(run)
    return Polled(tuple(first + rest), None, False)


def all_pages(
    store: Store,
    query: Query,
    loaded: Sequence[Run],
    token: str | None,
    cancelled: Callable[[], bool],
) -> list[Run] | None:
    """The whole view: the pages already loaded, then the rest (for export)."""
    runs = list(loaded)
    while token:
        if cancelled():
            return None
        page = query.page(store, token)
        runs.extend(page.items)
        token = page.next_page_token
    return runs
