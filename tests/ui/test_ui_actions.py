"""Write flows in the explorer, on a copy of sample_mlruns through the real FileStore."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest
from uihelp import SAMPLE, choose, row_keys, run_ui, settle

from tuiflow.stores.file import FileStore
from tuiflow.ui.screens.confirm import ConfirmScreen, TransitionScreen
from tuiflow.ui.screens.models import ModelsScreen
from tuiflow.ui.widgets.nav_table import NavTable
from tuiflow.ui.widgets.runs_pane import RunsPane
from tuiflow.ui.widgets.runs_table import RunsTable

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "cli"))
from test_cli import restore_empty_run_folders  # noqa: E402


@pytest.fixture
def copy_store(tmp_path) -> FileStore:
    dst = tmp_path / "mlruns"
    shutil.copytree(SAMPLE, dst)
    restore_empty_run_folders(dst)
    store = FileStore(dst)
    yield store
    store.close()


def test_delete_marked_runs_view_deleted_restore_and_undo(copy_store):
    async def body(pilot, app):
        await choose(pilot, app, "iris_experiment")
        table = app.screen.query_one(RunsTable)
        table.focus()
        before = row_keys(table)
        await pilot.press("g", "space", "space", "space")
        marked = set(before[:3])
        assert table.marked == marked
        await pilot.press("ctrl+d")
        await settle(pilot)
        modal = app.screen
        assert isinstance(modal, ConfirmScreen)
        assert modal.title_text.startswith("Delete 3 runs in iris_experiment")
        assert len(modal.items) == 3
        await pilot.press("y")
        await settle(pilot)
        assert not marked & set(row_keys(table))
        assert all(copy_store.get_run(r).lifecycle_stage == "deleted" for r in marked)

        # The deleted view shows them; restore one of them with R.
        await pilot.press("V")
        await settle(pilot)
        assert marked <= set(row_keys(table))
        first = row_keys(table)[0]
        await pilot.press("g", "R")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("enter")
        await settle(pilot)
        assert copy_store.get_run(first).lifecycle_stage == "active"

        # u restores what the last delete removed.
        await pilot.press("u")
        await settle(pilot)
        assert all(copy_store.get_run(r).lifecycle_stage == "active" for r in marked)

    run_ui(copy_store, body)


def test_cancel_changes_nothing(copy_store):
    async def body(pilot, app):
        await choose(pilot, app, "iris_experiment")
        table = app.screen.query_one(RunsTable)
        table.focus()
        run = row_keys(table)[0]
        await pilot.press("g", "ctrl+d")
        await settle(pilot)
        await pilot.press("escape")
        await settle(pilot)
        assert copy_store.get_run(run).lifecycle_stage == "active"

    run_ui(copy_store, body)


def test_delete_all_matching_filter_states_count(copy_store):
    async def body(pilot, app):
        await choose(pilot, app, "iris_experiment")
        pane = app.screen.query_one(RunsPane)
        pane.filter_text = "params.penalty = 'l1'"
        expected = {
            r.run_id
            for r in copy_store.search_runs(
                list(pane.experiment_ids), filter=pane.filter_text
            ).items
        }
        app.screen.query_one(RunsTable).focus()
        await pilot.press("D")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmScreen)
        assert f"Delete {len(expected)} run" in app.screen.title_text
        await pilot.press("y")
        await settle(pilot)
        assert all(copy_store.get_run(r).lifecycle_stage == "deleted" for r in expected)

    run_ui(copy_store, body)


def test_transition_to_production_archives_existing(copy_store):
    async def body(pilot, app):
        await pilot.press("m")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, ModelsScreen)
        versions = screen.query_one("#versions-table", NavTable)
        versions.focus()
        versions.move_cursor(row=row_keys(versions).index("3"))
        await pilot.press("P")
        await settle(pilot)
        modal = app.screen
        assert isinstance(modal, TransitionScreen)
        assert [v.version for v in modal.would_archive] == [2]
        await pilot.press("a", "y")
        await settle(pilot)
        assert copy_store.get_model_version("iris_classifier", 3).current_stage == "Production"
        assert copy_store.get_model_version("iris_classifier", 2).current_stage == "Archived"

    run_ui(copy_store, body)


def test_read_only_hides_and_refuses(copy_store):
    async def body(pilot, app):
        await choose(pilot, app, "iris_experiment")
        table = app.screen.query_one(RunsTable)
        table.focus()
        run = row_keys(table)[0]
        assert app.screen.check_action("write_delete", ()) is False
        from tuiflow.ui.commands import screen_commands

        shown = {b.binding.action for b in app.screen.active_bindings.values()}
        assert not any(a.startswith("write_") for a in shown)  # so the footer hides them
        palette = {c.binding_id for c in screen_commands(app.screen)}
        assert not any(i.startswith("tuiflow.write.") for i in palette)
        await pilot.press("g", "ctrl+d")
        await settle(pilot)
        assert not isinstance(app.screen, ConfirmScreen)
        assert copy_store.get_run(run).lifecycle_stage == "active"

    run_ui(copy_store, body, read_only=True)


def test_writable_shows_write_bindings(copy_store):
    async def body(pilot, app):
        from tuiflow.ui.commands import screen_commands

        app.screen.query_one(RunsTable).focus()
        shown = {b.binding.action for b in app.screen.active_bindings.values()}
        assert {"write_delete", "write_undo", "write_terminate"} <= shown
        palette = {c.binding_id for c in screen_commands(app.screen)}
        assert "tuiflow.write.delete" in palette

    run_ui(copy_store, body)
