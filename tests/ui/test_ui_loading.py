"""A long runs load shows how far it got, and Esc stops the store's scan."""

from __future__ import annotations

import threading
import time

from uihelp import SAMPLE, run_ui, settle, status_text

from tuiflow.stores.file import FileStore
from tuiflow.ui.widgets.experiments_pane import ExperimentsTable
from tuiflow.ui.widgets.runs_pane import RunsPane


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
        assert not pane.loading
        assert "loading" not in status_text(app)
        assert any("cancelled" in str(n.message) for n in app._notifications)
        # The scan stopped at the next progress call instead of reading every run.
        assert store.calls < total_runs
        # And the user can load again.
        await pilot.press("r")
        await settle(pilot, rounds=60)
        assert pane.runs

    run_ui(store, body, settle_first=True)
