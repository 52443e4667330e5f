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
        self._thread = threading.Thread(target=self._read, name="tuiflow-prefetch", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def close(self, timeout_s: float) -> None:
        """Before the store is closed: drop the read and give it `timeout_s` to stop (at
        its next progress report)."""
        self._dropped = True
        if self._thread.is_alive():
            self._thread.join(timeout_s)

    def _read(self) -> None:
        # Whatever ends the read (not only Exception), both futures end with it: a pane may
        # be waiting for either. The pane reports an error as it reports its own reads.
        try:
            self._read_experiments()
            self._read_runs()
        except BaseException as exc:
            for future in (self._experiments, self._runs):
                if not future.done():
                    future.set_exception(exc)
        finally:
            if not self._runs.done():
                self._runs.set_exception(Cancelled())
            self._listener = None  # the pane that took the read over, no longer needed

    def _read_experiments(self) -> None:
        found: list[Experiment] = []
        token: str | None = None
        while True:
            page = self._store.search_experiments(VIEW, page_token=token)
            found.extend(page.items)
            token = page.next_page_token
            if not token:
                break
        experiments = tuple(found)
        # The experiments pane shows them in this order, the cursor on the first.
        request = self._first_request(experiments[0]) if experiments else None
        with self._lock:
            self._request = request
        self._experiments.set_result(experiments)

    def _read_runs(self) -> None:
        request = self._request
        if request is None or self._dropped:
            return
        self._runs.set_result(
            self._store.search_runs(
                list(request.experiment_ids),
                filter=request.filter_text or None,
                order_by=list(request.order_by),
                view=request.view,
                max_results=request.max_results,
                on_progress=self._progress,
            )
        )

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
        them before its first frame. Waiting also lets the reader have the interpreter
        lock: behind Textual's CPU-bound start, every one of its file reads waited for it
        (up to 5 ms each), and ten runs took 70 ms instead of 3."""
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
        """`progress(examined)` from now on, in the reading thread, for the page taken; it
        may raise Cancelled to stop the read."""
        self._listener = progress


def settled(future: Future[Page[Run]] | Future[tuple[Experiment, ...]] | None) -> bool:
    """Whether `future` holds a result now (a failure is left to the worker to report)."""
    return future is not None and future.done() and future.exception() is None
