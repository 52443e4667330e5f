"""The main screen's first data, read while Textual starts.

From `TuiflowApp()` to the main screen's mount, Textual takes about 100 ms (driver, CSS,
compose, mount), and the panes used to start reading only then: the runs came in a frame
after the first one, 40-80 ms later. Now a thread reads the experiments and the first page
of the first one's runs (what the panes ask for first) from the start. What is in when the
screen mounts is shown before its first frame; what is still being read is handed to the
pane that asks for it, so nothing is read twice. A request that differs (a key pressed
first) drops the read.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import Future, wait
from dataclasses import dataclass

from tuiflow.entities import Experiment, Page, Run, ViewType
from tuiflow.errors import Cancelled
from tuiflow.stores.base import Store
from tuiflow.ui import yielding

VIEW = ViewType.ACTIVE_ONLY  # what both panes show first


@dataclass(frozen=True)
class RunsRequest:
    """The runs pane's first page of a view: what `search_runs` is asked without a token."""

    experiment_ids: tuple[str, ...]
    filter_text: str
    order_by: tuple[str, ...]
    view: ViewType
    max_results: int


class Prefetch:
    """`first_request(experiment)`: what the runs pane asks for first, shown `experiment`."""

    def __init__(self, store: Store, first_request: Callable[[Experiment], RunsRequest]) -> None:
        self._store = store
        self._first_request = first_request
        self._lock = threading.Lock()
        self._experiments: Future[tuple[Experiment, ...]] = Future()
        self._runs: Future[Page[Run]] = Future()
        self._request: RunsRequest | None = None  # known before the experiments are handed out
        self._experiments_taken = False
        self._runs_taken = False
        self._dropped = False
        self._listener: Callable[[int], None] | None = None

    def start(self) -> None:
        threading.Thread(target=self._read, name="tuiflow-prefetch", daemon=True).start()

    def _read(self) -> None:
        try:
            found: list[Experiment] = []
            token: str | None = None
            while True:
                page = self._store.search_experiments(VIEW, page_token=token)
                found.extend(page.items)
                token = page.next_page_token
                if not token:
                    break
        # Not only Exception: whatever ends the read, a pane may be waiting for its future.
        except BaseException as exc:  # the pane reports it as it reports its own reads
            self._runs.set_exception(Cancelled())
            self._experiments.set_exception(exc)
            return
        experiments = tuple(found)
        # The experiments pane shows them in this order, the cursor on the first.
        request = self._first_request(experiments[0]) if experiments else None
        with self._lock:
            self._request = request
        self._experiments.set_result(experiments)
        if request is None or self._dropped:
            self._runs.set_exception(Cancelled())
            return
        try:
            page = self._store.search_runs(
                list(request.experiment_ids),
                filter=request.filter_text or None,
                order_by=list(request.order_by),
                view=request.view,
                max_results=request.max_results,
                on_progress=self._progress,
            )
        except BaseException as exc:
            self._runs.set_exception(exc)
        else:
            self._runs.set_result(page)

    def _progress(self, examined: int) -> None:
        if self._dropped:
            raise Cancelled()
        listener = self._listener
        if listener is not None:
            listener(examined)  # the pane's: shows progress, may raise Cancelled
        else:
            yielding.step_aside()

    def wait(self, budget_s: float) -> None:
        """Give the reads up to `budget_s` to finish: the main screen waits this long for
        them before its first frame. Meanwhile this thread holds the interpreter lock, not
        the reader: Textual starting up (CPU-bound) makes every one of its file reads wait
        for the lock (up to 5 ms each), so ten runs took 70 ms in the background and 3 ms
        here."""
        wait([self._runs], timeout=budget_s)  # the runs are settled last

    def take_experiments(self, view: ViewType) -> Future[tuple[Experiment, ...]] | None:
        """The experiments being read (or read), once, if `view` is what was read."""
        with self._lock:
            if self._experiments_taken or view is not VIEW:
                return None
            self._experiments_taken = True
            return self._experiments

    def take_runs(self, request: RunsRequest) -> Future[Page[Run]] | None:
        """The first page being read (or read), once, if it is what `request` asks for;
        otherwise the read is dropped: nothing will ask for it any more."""
        with self._lock:
            if self._runs_taken:
                return None
            self._runs_taken = True
            if request != self._request:
                self._dropped = True
                return None
            return self._runs

    def listen(self, progress: Callable[[int], None]) -> None:
        """`progress(examined)` from now on, in the reading thread, for the page taken."""
        self._listener = progress


def settled(future: Future[Page[Run]] | Future[tuple[Experiment, ...]] | None) -> bool:
    """Whether `future` holds a result now (a failure is left to the worker to report)."""
    return future is not None and future.done() and future.exception() is None
