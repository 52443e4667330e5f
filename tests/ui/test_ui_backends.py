"""The data-loading flows of the explorer on SQLite and on a real `mlflow server`.

The sample-store tests cover the file store; these open the shared populated backends from
tests/conftest.py and check what the screens show against MLflow's own answers.
"""

from __future__ import annotations

import pytest
from mlflow_data import MAIN
from textual.widgets import Input
from uihelp import choose, row_keys, run_ui, settle, status_text

from tuiflow.ui.nesting import nest
from tuiflow.ui.screens.run_detail import RunDetailScreen
from tuiflow.ui.widgets.experiments_pane import ExperimentsTable
from tuiflow.ui.widgets.runs_table import RunsTable


@pytest.fixture(params=["sqlite", pytest.param("rest", marks=pytest.mark.server)])
def loaded(request):
    return request.getfixturevalue(f"{request.param}_backend")


def _mlflow_ids(client, exp_id: str, filter_string: str = "") -> list[str]:
    return [r.info.run_id for r in client.search_runs([exp_id], filter_string, max_results=1000)]


def test_experiments_runs_filter_and_detail(loaded, history_path):
    exp_id = loaded.experiments[MAIN]
    everything = _mlflow_ids(loaded.client, exp_id)
    query = "metrics.acc > 0.6"
    matching = _mlflow_ids(loaded.client, exp_id, query)
    assert 0 < len(matching) < len(everything)

    async def body(pilot, app):
        experiments = app.screen.query_one(ExperimentsTable)
        shown = set(row_keys(experiments))
        assert {e.experiment_id for e in loaded.client.search_experiments()} == shown

        await choose(pilot, app, MAIN)
        table = app.screen.query_one(RunsTable)
        assert sorted(r.run_id for r in table.runs) == sorted(everything)
        assert f"{len(everything)} runs" in status_text(app)

        await pilot.press("slash")
        assert isinstance(app.focused, Input)
        await pilot.press(*query, "enter")
        await settle(pilot)
        assert [r.run_id for r in table.runs] == matching
        assert f"{len(matching)} of {len(everything)} runs" in status_text(app)

        # Open the first matching run: the detail screen shows what MLflow has for it.
        table.focus()
        await pilot.press("g", "enter")
        await settle(pilot)
        assert isinstance(app.screen, RunDetailScreen)
        run = loaded.client.get_run(table.runs[0].run_id)
        text = " ".join(str(w.render()) for w in app.screen.query("*") if w.display)
        assert run.info.run_id in text

    run_ui(loaded.store, body, history_path=history_path, size=(160, 48))


def test_store_side_rejection_is_shown_and_the_view_kept(loaded, history_path):
    exp_id = loaded.experiments[MAIN]
    everything = _mlflow_ids(loaded.client, exp_id)

    async def body(pilot, app):
        await choose(pilot, app, MAIN)
        table = app.screen.query_one(RunsTable)
        before = [r.run_id for r in table.runs]
        await pilot.press("slash")
        # The parser takes duplicate order keys (MLflow's file store does too); MLflow's SQL
        # store, and a server over it, refuse them: the refusal must reach the user.
        await pilot.press(*"metrics.acc > 0 order by metrics.acc, metrics.acc desc", "enter")
        await settle(pilot)
        assert app.is_running
        shown = " ".join(str(n.message) for n in app._notifications)
        bar = " ".join(str(w.render()) for w in app.screen.query("#filter-error"))
        assert "duplicate" in (shown + bar)
        assert [r.run_id for r in table.runs] == before
        assert sorted(before) == sorted(everything)

    run_ui(loaded.store, body, history_path=history_path)


def test_pages_stream_in_behind_the_first_on_sql_and_servers(loaded, history_path, monkeypatch):
    """Where a page is cheap, the rest of the runs come in without a key pressed, in the
    store's order, each page added below the shown rows."""
    from tuiflow.ui.widgets.runs_pane import RunsPane

    monkeypatch.setattr(RunsPane, "page_size", 3)
    exp_id = loaded.experiments[MAIN]
    everything = _mlflow_ids(loaded.client, exp_id)
    assert len(everything) > 6
    assert loaded.store.capabilities.cheap_pages

    async def body(pilot, app):
        await choose(pilot, app, MAIN)
        table = app.screen.query_one(RunsTable)
        assert [r.run_id for r in table.runs] == everything
        # Nothing was pressed: the cursor is still on the run it was on when the first
        # page came (its row moves when a page brings that run's parent).
        first_page_top = nest(table.runs[:3])[0].run.run_id
        assert table.current_run().run_id == first_page_top
        assert row_keys(table) == [row.run.run_id for row in nest(table.runs)]
        assert f"{len(everything)} runs" in status_text(app)

    run_ui(loaded.store, body, history_path=history_path)


def test_the_first_streamed_page_is_small(loaded, history_path, monkeypatch):
    """The first page is on screen sooner: a short one, then full pages, same runs."""
    from tuiflow.ui.widgets import runs_pane

    monkeypatch.setattr(runs_pane.RunsPane, "page_size", 4)
    monkeypatch.setattr(runs_pane, "FIRST_STREAMED_PAGE", 2)
    exp_id = loaded.experiments[MAIN]
    everything = _mlflow_ids(loaded.client, exp_id)
    sizes = []
    search = loaded.store.search_runs

    def spying(experiment_ids, **kwargs):
        if "on_progress" in kwargs:  # the runs pane's loads, not the run counts
            sizes.append((kwargs["page_token"] is None, kwargs["max_results"]))
        return search(experiment_ids, **kwargs)

    monkeypatch.setattr(loaded.store, "search_runs", spying)

    async def body(pilot, app):
        await choose(pilot, app, MAIN)
        table = app.screen.query_one(RunsTable)
        assert [r.run_id for r in table.runs] == everything

    run_ui(loaded.store, body, history_path=history_path)
    # Every load of a view starts with a short page; the pages after it are full.
    assert {size for first, size in sizes if first} == {2}
    assert {size for first, size in sizes if not first} == {4}


def test_pages_stop_streaming_at_the_cap(loaded, history_path, monkeypatch):
    from tuiflow.ui.widgets import runs_pane

    monkeypatch.setattr(runs_pane.RunsPane, "page_size", 3)
    monkeypatch.setattr(runs_pane, "STREAM_ROWS", 6)
    exp_id = loaded.experiments[MAIN]
    everything = _mlflow_ids(loaded.client, exp_id)
    assert len(everything) > 6

    async def body(pilot, app):
        await choose(pilot, app, MAIN)
        table = app.screen.query_one(RunsTable)
        assert [r.run_id for r in table.runs] == everything[:6]
        assert "6+ runs" in status_text(app)

    run_ui(loaded.store, body, history_path=history_path)
