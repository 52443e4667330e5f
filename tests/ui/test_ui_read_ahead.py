"""The first experiments and runs are read while Textual starts (tuiflow/ui/prefetch.py).

Read in time, they are in the screen's first frame; still being read, the panes take the
read over instead of starting another; asked for something else first, it is dropped.
"""

from __future__ import annotations

import asyncio
import threading

import pytest
from uihelp import SAMPLE, choose, row_keys, run_ui, settle, status_text

from tuiflow.entities import ViewType
from tuiflow.errors import Cancelled, StoreError
from tuiflow.stores.file import FileStore
from tuiflow.ui.app import TuiflowApp
from tuiflow.ui.prefetch import Prefetch, RunsRequest
from tuiflow.ui.widgets.experiments_pane import (
    NAME_WIDTH,
    ExperimentsPane,
    ExperimentsTable,
    name_width,
)
from tuiflow.ui.widgets.runs_pane import RunsPane
from tuiflow.ui.widgets.runs_table import RunsTable


class GatedStore(FileStore):
    """The sample store; its first `search_runs` (the read ahead) waits for `gate`."""

    def __init__(self, root) -> None:
        super().__init__(root)
        self.gate = threading.Event()
        self.searched: list[tuple[str, ...]] = []
        self.first_done = threading.Event()  # the first search has ended, one way or another
        self.first_ended: str | None = None  # "returned" or "cancelled"

    def search_runs(self, experiment_ids, *args, **kwargs):
        self.searched.append(tuple(experiment_ids))
        if len(self.searched) > 1:
            return super().search_runs(experiment_ids, *args, **kwargs)
        assert self.gate.wait(30)
        try:
            page = super().search_runs(experiment_ids, *args, **kwargs)
        except Cancelled:
            self.first_ended = "cancelled"
            raise
        else:
            self.first_ended = "returned"
            return page
        finally:
            self.first_done.set()


def run_gated(store: GatedStore, body) -> None:
    """`run_ui` from the app's start; the gate opens and the store closes however it ends."""
    try:
        run_ui(store, body, settle_first=False)
    finally:
        store.gate.set()
        store.close()


def first_page(experiment_id: str) -> RunsRequest:
    return RunsRequest((experiment_id,), "", (), ViewType.ACTIVE_ONLY, 500)


async def experiments_shown(pilot, app) -> None:
    for _ in range(3000):  # a busy machine: the read ahead may miss the screen's first frame
        if app.screen.query_one(ExperimentsTable).row_count:
            return
        await pilot.pause(0.01)
    raise AssertionError("no experiments shown")


def first_experiment(store: FileStore):
    return store.search_experiments(ViewType.ACTIVE_ONLY).items[0]


def test_the_first_frame_shows_the_experiments_and_the_runs(monkeypatch, sample_store):
    monkeypatch.setattr("tuiflow.ui.screens.main.FIRST_FRAME_WAIT_S", 30.0)  # a busy machine
    first_frame: list[tuple[object, ...]] = []

    def shown(app: TuiflowApp) -> tuple[object, ...]:
        experiments = app.screen.query_one(ExperimentsTable)
        names = experiments.columns["name"].width
        runs = app.screen.query_one(RunsTable).row_count
        return experiments.row_count, names, runs, status_text(app)

    async def main() -> None:
        app = TuiflowApp(sample_store)
        draw = app._display

        def display(screen, renderable) -> None:
            if renderable is not None and not first_frame and screen.query(RunsTable):
                first_frame.append(shown(app))
            draw(screen, renderable)

        app._display = display
        async with app.run_test(size=(120, 40)) as pilot:
            await settle(pilot)
            runs = app.screen.query_one(RunsTable)
            # The experiments, their names at the width they keep, the runs and the status
            # bar's word on them: the first frame is the one a user keeps seeing.
            assert first_frame == [shown(app)]
            assert first_frame[0][0] == len(sample_store.search_experiments().items)
            pane = app.screen.query_one(ExperimentsPane)
            assert first_frame[0][1] == name_width(pane.content_size.width) > NAME_WIDTH
            expected = sample_store.search_runs([first_experiment(sample_store).experiment_id])
            assert sorted(row_keys(runs)) == sorted(r.run_id for r in expected.items)

    asyncio.run(main())


def test_a_read_still_running_is_taken_over_not_started_again():
    store = GatedStore(SAMPLE)
    first = first_experiment(store)

    async def body(pilot, app):
        try:
            await experiments_shown(pilot, app)
            runs = app.screen.query_one(RunsTable)
            assert runs.row_count == 0  # the runs were not in: drawn without them
        finally:
            store.gate.set()
        await settle(pilot)
        assert store.searched == [(first.experiment_id,)]  # the read ahead alone
        assert runs.row_count == len(store.search_runs([first.experiment_id]).items) > 0

    run_gated(store, body)


def test_choosing_other_runs_while_it_is_read_stops_the_read_ahead(monkeypatch):
    monkeypatch.setattr("tuiflow.stores.file.PROGRESS_EVERY", 1)
    store = GatedStore(SAMPLE)
    first = first_experiment(store)
    other = next(e for e in store.search_experiments().items if e != first)

    async def body(pilot, app):
        try:
            await experiments_shown(pilot, app)
            await choose(pilot, app, other.name)
            await settle(pilot)
        except BaseException:
            store.gate.set()
            raise
        runs = app.screen.query_one(RunsTable)
        expected = sorted(r.run_id for r in store.search_runs([other.experiment_id]).items)
        assert sorted(row_keys(runs)) == expected
        store.gate.set()  # the read taken over goes on, and stops at its first progress report
        for _ in range(500):
            await pilot.pause(0.01)
            if store.first_done.is_set():
                break
        await settle(pilot)
        assert store.first_ended == "cancelled"
        assert sorted(row_keys(runs)) == expected  # its runs never shown

    run_gated(store, body)


def test_the_read_ahead_is_handed_out_once_and_only_for_what_was_read(sample_store):
    def request(experiment) -> RunsRequest:
        return first_page(experiment.experiment_id)

    prefetch = Prefetch(sample_store, request)
    prefetch.start()
    prefetch.wait(30)
    assert prefetch.take_experiments(ViewType.ALL) is None
    experiments = prefetch.take_experiments(ViewType.ACTIVE_ONLY)
    assert experiments is not None
    assert experiments.result() == sample_store.search_experiments().items
    assert prefetch.take_experiments(ViewType.ACTIVE_ONLY) is None
    first = experiments.result()[0]
    runs = prefetch.take_runs(request(first))
    assert runs is not None
    assert runs.result() == sample_store.search_runs([first.experiment_id], max_results=500)
    assert prefetch.take_runs(request(first)) is None


def test_asking_for_other_runs_first_drops_the_read_ahead(monkeypatch):
    monkeypatch.setattr("tuiflow.stores.file.PROGRESS_EVERY", 1)
    store = GatedStore(SAMPLE)
    iris = store.get_experiment_by_name("iris_experiment")

    prefetch = Prefetch(store, lambda first: first_page(iris.experiment_id))
    prefetch.start()
    try:
        assert prefetch.take_experiments(ViewType.ACTIVE_ONLY).result(30)
        assert prefetch.take_runs(first_page("0")) is None
        store.gate.set()
        prefetch.close(30)
        # Stopped at its first progress report, or dropped before it began.
        assert store.first_ended in ("cancelled", None)
        assert prefetch.take_runs(first_page(iris.experiment_id)) is None  # nothing to hand out
    finally:
        store.gate.set()
        store.close()


def test_a_store_without_experiments_reads_no_runs(tmp_path):
    (tmp_path / ".trash").mkdir()
    store = FileStore(tmp_path)
    prefetch = Prefetch(store, lambda e: pytest.fail("no experiment to ask runs of"))
    prefetch.start()
    prefetch.wait(30)
    assert prefetch.take_experiments(ViewType.ACTIVE_ONLY).result() == ()
    assert prefetch.take_runs(first_page("0")) is None
    store.close()


class BrokenStore(FileStore):
    def search_experiments(self, *args, **kwargs):
        raise StoreError("the disk is gone")


def test_a_failed_read_ahead_is_reported_as_the_pane_would():
    store = BrokenStore(SAMPLE)

    async def body(pilot, app):
        await settle(pilot)
        assert "the disk is gone" in " ".join(str(n.message) for n in app._notifications)
        assert app.screen.query_one(ExperimentsTable).row_count == 0
        assert not app.screen.query_one(RunsPane).experiments

    try:
        run_ui(store, body)
    finally:
        store.close()
