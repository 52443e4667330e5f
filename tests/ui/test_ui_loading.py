"""A long runs load shows how far it got, and Esc stops the store's scan."""

from __future__ import annotations

import threading
import time

from uihelp import SAMPLE, choose, plain, row_keys, run_ui, settle, status_text

from tuiflow.stores.file import FileStore
from tuiflow.ui.nesting import nest
from tuiflow.ui.widgets.experiments_pane import ExperimentsPane, ExperimentsTable
from tuiflow.ui.widgets.runs_pane import RunsPane
from tuiflow.ui.widgets.runs_table import RunsTable


class SlowScanStore(FileStore):
    """The sample store whose run scan takes a while per run (real scan, slowed down)."""

    def __init__(self, root):
        super().__init__(root)
        self.calls = 0
        self.started = threading.Event()

    def search_runs(self, *args, on_progress=None, **kwargs):
        if on_progress is None:
            return super().search_runs(*args, **kwargs)

        def slow(examined: int) -> None:
            self.calls += 1
            self.started.set()
            time.sleep(0.3)
            on_progress(examined)

        return super().search_runs(*args, on_progress=slow, **kwargs)


def test_progress_is_shown_and_esc_cancels(monkeypatch):
    monkeypatch.setattr("tuiflow.stores.file.PROGRESS_EVERY", 1)
    store = SlowScanStore(SAMPLE)
    exp = store.get_experiment_by_name("iris_experiment")
    runs_dir = SAMPLE / exp.experiment_id
    total_runs = sum(1 for p in runs_dir.iterdir() if (p / "meta.yaml").exists())

    async def body(pilot, app):
        table = app.screen.query_one(ExperimentsTable)
        table.focus()
        store.calls = 0  # the first experiment's runs were loaded at startup
        await pilot.press("g", *["j"] * table.get_row_index(exp.experiment_id), "enter")
        for _ in range(100):  # until the scan has reported at least twice
            await pilot.pause(0.1)
            if "runs read" in status_text(app):
                break
        assert "runs read" in status_text(app)
        assert "loading" in status_text(app)
        await pilot.press("escape")
        await settle(pilot)
        pane = app.screen.query_one(RunsPane)
        assert not pane.fetching
        assert "loading" not in status_text(app)
        assert any("cancelled" in str(n.message) for n in app._notifications)
        # The scan stopped at the next progress call instead of reading every run.
        assert store.calls < total_runs
        # And the user can load again.
        await pilot.press("r")
        await settle(pilot, rounds=60)
        assert pane.runs

    run_ui(store, body, settle_first=True)


def test_the_shown_runs_stay_on_screen_while_the_next_load_runs(monkeypatch):
    """A reload (sort, filter, refresh, next page) keeps the table drawn and scrollable;
    the status line says it is loading. (Textual's own `loading` state would swap the
    pane for a spinner: the panes must not use it.)"""
    monkeypatch.setattr("tuiflow.stores.file.PROGRESS_EVERY", 1)
    store = SlowScanStore(SAMPLE)

    async def body(pilot, app):
        await choose(pilot, app, "iris_experiment")
        pane = app.screen.query_one(RunsPane)
        table = app.screen.query_one(RunsTable)
        shown = row_keys(table)
        assert shown
        table.focus()
        store.started.clear()
        await pilot.press("S")  # sort by the column under the cursor: a reload
        for _ in range(50):
            await pilot.pause(0.05)
            if store.started.is_set():
                break
        assert pane.fetching and "loading" in status_text(app)
        await pilot.pause(0.1)
        assert not pane.loading and not app.screen.query_one(ExperimentsPane).loading
        assert table.region.height > len(shown)  # drawn, with its rows
        assert row_keys(table) == shown
        await pilot.press("j")
        assert table.cursor_row == 1
        await pilot.press("escape")
        await settle(pilot)

    run_ui(store, body)


def _cell_text(table) -> list[list[str]]:
    widths = [c.width for c in table.ordered_columns]
    return [widths, *([plain(c) for c in table.get_row_at(i)] for i in range(table.row_count))]


def test_next_page_comes_before_the_last_row_and_is_added_below(monkeypatch):
    """Scrolling down does not stop at the end of a page: the next one is asked for a
    few rows earlier, and its rows are added below without redrawing the shown ones."""
    monkeypatch.setattr(RunsPane, "page_size", 4)  # looks ahead 2 rows
    store = FileStore(SAMPLE)
    exp = store.get_experiment_by_name("iris_experiment")
    everything = [r.run_id for r in store.search_runs([exp.experiment_id]).items]
    assert len(everything) == 7

    rebuilds = []
    original = RunsTable._rebuild

    def counting(self, *args, **kwargs):
        rebuilds.append(len(self.runs))
        return original(self, *args, **kwargs)

    monkeypatch.setattr(RunsTable, "_rebuild", counting)

    async def body(pilot, app):
        await choose(pilot, app, "iris_experiment")
        table = app.screen.query_one(RunsTable)
        assert row_keys(table) == everything[:4]
        table.focus()
        rebuilds.clear()
        await pilot.press("j")  # row 1 of 4: not yet
        await settle(pilot)
        assert table.row_count == 4
        await pilot.press("j")  # row 2 of 4: two rows before the end
        await settle(pilot)
        assert row_keys(table) == everything
        assert table.cursor_row == 2
        assert rebuilds == []  # added below, not redrawn
        shown = _cell_text(table)
        table.set_runs(table.runs, table.experiments)  # what a full redraw would show
        assert _cell_text(table) == shown

    run_ui(store, body)


def test_a_page_that_changes_the_tree_redraws_the_table(monkeypatch):
    """Children of shown runs in a later page go under their parent (a redraw)."""
    monkeypatch.setattr(RunsPane, "page_size", 4)
    store = FileStore(SAMPLE)
    exp = store.get_experiment_by_name("wine_tuning")
    runs = store.search_runs([exp.experiment_id]).items
    assert any(r.parent_run_id for r in runs[4:])

    async def body(pilot, app):
        await choose(pilot, app, "wine_tuning")
        table = app.screen.query_one(RunsTable)
        table.focus()
        while table.row_count < len(runs):
            await pilot.press("G")
            await settle(pilot)
        assert [r.run_id for r in table.runs] == [r.run_id for r in runs]
        assert row_keys(table) == [row.run.run_id for row in nest(table.runs)]
        shown = _cell_text(table)
        table.set_runs(table.runs, table.experiments)
        assert _cell_text(table) == shown

    run_ui(store, body)


def test_a_page_with_wider_values_widens_its_columns_like_a_redraw():
    import asyncio

    from textual.app import App

    from tuiflow.entities import Run

    def run(i: int, name: str) -> Run:
        return Run(f"r{i:031d}", "1", name, "u", "FINISHED", 1_000 * i, 2_000 * i, "active",
                   None, params={"p": "x" * i})  # fmt: skip

    first = [run(1, "a"), run(2, "b")]
    more = [*first, run(3, "a-much-longer-run-name"), run(9, "c")]

    class Host(App[None]):
        def compose(self):
            yield RunsTable()

    async def main() -> None:
        async with Host().run_test(size=(160, 20)) as pilot:
            table = pilot.app.query_one(RunsTable)
            table.set_runs(first, {})
            narrow = _cell_text(table)[0]
            table.extend_runs(more)
            shown = _cell_text(table)
            assert shown[0] != narrow  # the name and param columns grew
            table.set_runs(more, {})
            assert _cell_text(table) == shown
            # Runs that do not begin with the shown ones are a new view: redrawn whole.
            other = [run(7, "zz"), *first]
            table.extend_runs(other)
            redrawn = _cell_text(table)
            table.set_runs(other, {})
            assert _cell_text(table) == redrawn
            assert [r.run_id for r in table.runs] == [r.run_id for r in other]

    asyncio.run(main())


def test_what_is_loaded_is_kept_out_of_the_collectors_way_and_handed_back():
    """heap.py: loaded runs are frozen (no full collection walks them again); a closed
    screen and the app's end hand everything back so cyclic garbage is still collected."""
    import gc

    from tuiflow.ui.screens.help import HelpScreen

    def tracked(obj: object) -> bool:
        return any(o is obj for o in gc.get_objects())  # permanent generation excluded

    gc.unfreeze()
    seen: dict[str, object] = {}

    async def check(pilot, app):
        table = app.screen.query_one(RunsTable)
        await settle(pilot)
        run = table.runs[0]
        seen["frozen"] = gc.get_freeze_count()
        seen["run tracked while frozen"] = tracked(run)
        app.push_screen(HelpScreen())
        await pilot.pause()
        app.pop_screen()
        await pilot.pause()
        seen["run tracked after a screen closed"] = tracked(run)
        table.focus()
        await pilot.press("r")  # a reload: what it drew is frozen again
        await settle(pilot)
        seen["frozen after a reload"] = gc.get_freeze_count()

    run_ui(FileStore(SAMPLE), check)
    assert seen["frozen"] > 0
    assert seen["run tracked while frozen"] is False
    assert seen["run tracked after a screen closed"] is True
    assert seen["frozen after a reload"] > 0
    assert gc.get_freeze_count() == 0  # the app ended: nothing stays frozen
