"""The main screen on the sample store: experiments, runs, filter, sort, marks, views."""

from __future__ import annotations

from textual.widgets import Input
from uihelp import ANCHOR_MS, choose, column_keys, plain, row_keys, run_ui, settle, status_text

from tuiflow import humanize
from tuiflow.entities import ViewType
from tuiflow.errors import QueryError
from tuiflow.query.parser import parse_run_filter
from tuiflow.ui.screens.main import MainScreen
from tuiflow.ui.screens.quiet_focus import focus_within_reaches_down
from tuiflow.ui.widgets.experiments_pane import ExperimentsPane, ExperimentsTable
from tuiflow.ui.widgets.filter_bar import FilterBar
from tuiflow.ui.widgets.key_bar import KeyBar
from tuiflow.ui.widgets.runs_pane import RunsPane
from tuiflow.ui.widgets.runs_table import RunsTable
from tuiflow.ui.widgets.status_bar import StatusBar


def _exp(store, name):
    exp = store.get_experiment_by_name(name)
    assert exp is not None, name
    return exp


def _run_ids(store, exp_ids, **kw) -> list[str]:
    return [r.run_id for r in store.search_runs(list(exp_ids), **kw).items]


def test_opens_store_and_lists_experiments_and_runs(sample_store):
    iris = _exp(sample_store, "iris_experiment")
    expected = _run_ids(sample_store, [iris.experiment_id])

    async def body(pilot, app):
        assert isinstance(app.screen, MainScreen)
        experiments = app.screen.query_one(ExperimentsTable)
        active = sample_store.search_experiments(ViewType.ACTIVE_ONLY).items
        assert row_keys(experiments) == [e.experiment_id for e in active]
        assert "scratch" not in {e.name for e in active}  # deleted: hidden by default

        await choose(pilot, app, "iris_experiment")
        table = app.screen.query_one(RunsTable)
        assert table.has_focus  # enter moves on to the runs
        assert row_keys(table) == expected
        cols = column_keys(table)
        assert cols[:6] == ["mark", "name", "status", "start", "duration", "user"]
        for metric in ("m:train_acc", "m:eval_acc", "m:loss"):
            assert metric in cols
        # Params that are the same in every run are left out; C differs.
        assert "p:C" in cols
        first = sample_store.get_run(expected[0])
        row = table.get_row(first.run_id)
        assert plain(row[1]) == first.run_name
        assert plain(row[2]) == first.status
        assert plain(row[3]) == humanize.relative(first.start_time, ANCHOR_MS)
        assert plain(row[cols.index("m:eval_acc")]) == humanize.number(
            first.metrics["eval_acc"].value
        )
        status = status_text(app)
        assert sample_store.display_uri in status
        assert "iris_experiment" in status
        assert f"{len(expected)} runs" in status
        assert "loading" not in status

    run_ui(sample_store, body)


def test_filter_shows_only_matching_runs_and_the_count(sample_store, history_path):
    iris = _exp(sample_store, "iris_experiment")
    query = "metrics.eval_acc > 0.9"
    everything = _run_ids(sample_store, [iris.experiment_id])
    matching = _run_ids(sample_store, [iris.experiment_id], filter=query)
    assert 0 < len(matching) < len(everything)  # the sample makes this a real test

    async def body(pilot, app):
        await choose(pilot, app, "iris_experiment")
        await pilot.press("slash")
        assert isinstance(app.focused, Input)
        await pilot.press(*query, "enter")
        await settle(pilot)
        table = app.screen.query_one(RunsTable)
        assert row_keys(table) == matching
        assert table.has_focus
        assert f"{len(matching)} of {len(everything)} runs" in status_text(app)
        # Esc in the filter bar clears it and shows every run again.
        await pilot.press("slash", "escape")
        await settle(pilot)
        assert row_keys(table) == everything
        assert f"{len(everything)} runs" in status_text(app)
        assert app.screen.query_one("#filter-input", Input).value == ""

    run_ui(sample_store, body, history_path=history_path)


def test_bad_filter_shows_error_with_caret_and_does_not_crash(sample_store):
    iris = _exp(sample_store, "iris_experiment")
    everything = _run_ids(sample_store, [iris.experiment_id])
    bad = "metrics.eval_acc >> 0.9"
    try:
        parse_run_filter(bad)
    except QueryError as exc:
        expected = exc
    else:
        raise AssertionError("the parser accepts a filter MLflow rejects")

    async def body(pilot, app):
        await choose(pilot, app, "iris_experiment")
        await pilot.press("slash", *bad)
        await pilot.pause()
        bar = app.screen.query_one(FilterBar)
        error = app.screen.query_one("#filter-error")
        assert bar.has_class("-invalid") and error.display
        lines = plain(error.render()).splitlines()
        assert lines[1] == expected.message
        if expected.offset is not None:
            inp = app.screen.query_one("#filter-input", Input)
            caret_x = error.region.x + lines[0].index("^")
            # the caret sits under the offending character of the input's text
            assert caret_x == inp.content_region.x + expected.offset
        await pilot.press("enter")  # refused: nothing is sent to the store
        await settle(pilot)
        assert app.is_running
        assert row_keys(app.screen.query_one(RunsTable)) == everything
        # Fixing it hides the error.
        inp = app.screen.query_one("#filter-input", Input)
        inp.value = "metrics.eval_acc > 0.9"
        await pilot.pause()
        assert not bar.has_class("-invalid")

    run_ui(sample_store, body)


def test_sort_by_column_under_cursor_pushes_order_by(sample_store):
    iris = _exp(sample_store, "iris_experiment")
    asc = _run_ids(sample_store, [iris.experiment_id], order_by=["metrics.`eval_acc` ASC"])
    desc = _run_ids(sample_store, [iris.experiment_id], order_by=["metrics.`eval_acc` DESC"])
    by_name = _run_ids(sample_store, [iris.experiment_id], order_by=["attributes.run_name ASC"])
    assert asc != desc

    async def body(pilot, app):
        await choose(pilot, app, "iris_experiment")
        table = app.screen.query_one(RunsTable)
        assert table.cursor_column == 1  # the run name
        await pilot.press("s")
        await settle(pilot)
        assert row_keys(table) == by_name
        target = column_keys(table).index("m:eval_acc")
        await pilot.press(*["l"] * (target - table.cursor_column), "s")
        await settle(pilot)
        assert row_keys(table) == asc
        assert table.current_column().key == "m:eval_acc"  # cursor stays on the column
        await pilot.press("S")
        await settle(pilot)
        assert row_keys(table) == desc
        header = plain(table.ordered_columns[target].label)
        assert header.endswith("▼")
        # Duration cannot be sorted by MLflow: a warning, nothing changes.
        await pilot.press(*["h"] * (target - column_keys(table).index("duration")), "s")
        await settle(pilot)
        assert row_keys(table) == desc

    run_ui(sample_store, body)


def test_marked_experiments_show_their_runs_together(sample_store):
    iris = _exp(sample_store, "iris_experiment")
    wine = _exp(sample_store, "wine_tuning")
    both = set(_run_ids(sample_store, [iris.experiment_id, wine.experiment_id]))

    async def body(pilot, app):
        experiments = app.screen.query_one(ExperimentsTable)
        experiments.focus()
        for exp in (iris, wine):
            await pilot.press("g", *["j"] * experiments.get_row_index(exp.experiment_id))
            await pilot.press("space")
            await settle(pilot)
        table = app.screen.query_one(RunsTable)
        assert set(row_keys(table)) == both
        assert "experiment" in column_keys(table)
        assert "2 experiments" in status_text(app)
        assert f"{len(both)} runs" in status_text(app)
        assert plain(experiments.get_row(iris.experiment_id)[0]) == "●"
        # Marking runs shows a marker in the first column.
        table.focus()
        first = row_keys(table)[0]
        await pilot.press("g", "space")
        assert plain(table.get_row(first)[0]) == "●"
        assert table.marked == {first}
        await pilot.press("k", "space")
        assert table.marked == set()

    run_ui(sample_store, body)


def test_view_toggle_cycles_active_deleted_all(sample_store):
    def names(view):
        return [e.experiment_id for e in sample_store.search_experiments(view).items]

    async def body(pilot, app):
        experiments = app.screen.query_one(ExperimentsTable)
        pane = app.screen.query_one("#experiments-pane")
        assert row_keys(experiments) == names(ViewType.ACTIVE_ONLY)
        await pilot.press("v")
        await settle(pilot)
        assert row_keys(experiments) == names(ViewType.DELETED_ONLY)
        assert "deleted" in pane.border_title
        await pilot.press("v")
        await settle(pilot)
        assert row_keys(experiments) == names(ViewType.ALL)
        await pilot.press("v")
        await settle(pilot)
        assert row_keys(experiments) == names(ViewType.ACTIVE_ONLY)

    run_ui(sample_store, body)


def test_filter_history_up_down_and_persisted(sample_store, history_path):
    async def body(pilot, app):
        await choose(pilot, app, "iris_experiment")
        for query in ("metrics.eval_acc > 0.9", "params.solver = 'saga'"):
            await pilot.press("slash")
            app.screen.query_one("#filter-input", Input).value = ""
            await pilot.press(*query, "enter")
            await settle(pilot)
        await pilot.press("slash")
        inp = app.screen.query_one("#filter-input", Input)
        inp.value = ""
        await pilot.press("up")
        assert inp.value == "params.solver = 'saga'"
        await pilot.press("up")
        assert inp.value == "metrics.eval_acc > 0.9"
        await pilot.press("down", "down")
        assert inp.value == ""

    run_ui(sample_store, body, history_path=history_path)
    saved = history_path.read_text().splitlines()
    assert saved == ["metrics.eval_acc > 0.9", "params.solver = 'saga'"]


def test_navigation_keys_and_panes_at_80x24(sample_store):
    async def body(pilot, app):
        await choose(pilot, app, "wine_tuning")
        table = app.screen.query_one(RunsTable)
        assert table.row_count > 2
        await pilot.press("G")
        assert table.cursor_row == table.row_count - 1
        await pilot.press("g", "j", "j", "k")
        assert table.cursor_row == 1
        await pilot.press("tab")
        assert app.screen.query_one(ExperimentsTable).has_focus
        await pilot.press("tab")
        assert table.has_focus
        # Everything fits: status bar and footer on the last two lines.
        status = app.screen.query_one(StatusBar)
        footer = app.screen.query_one(KeyBar)
        assert status.region.y == 22 and status.region.height == 1
        assert footer.region.y == 23
        assert app.read_only is True
        assert "[read-only]" in status_text(app)
        await pilot.press("r")
        await settle(pilot)
        assert table.row_count > 2

    run_ui(sample_store, body, size=(80, 24), read_only=True)


def test_runs_load_page_by_page_when_the_cursor_reaches_the_end(sample_store, monkeypatch):
    from tuiflow.ui.widgets.runs_pane import RunsPane

    monkeypatch.setattr(RunsPane, "page_size", 3)
    wine = _exp(sample_store, "wine_tuning")
    everything = _run_ids(sample_store, [wine.experiment_id])
    assert len(everything) > 6

    async def body(pilot, app):
        await choose(pilot, app, "wine_tuning")
        table = app.screen.query_one(RunsTable)
        assert row_keys(table) == everything[:3]
        assert "3+ runs" in status_text(app)
        await pilot.press("G")
        await settle(pilot)
        assert row_keys(table) == everything[:6]
        assert table.cursor_row == 2  # the cursor stays on the run it was on
        while table.row_count < len(everything):
            await pilot.press("G")
            await settle(pilot)
        # The view in the store's order; rows nest children under their parent.
        assert [r.run_id for r in table.runs] == everything
        assert sorted(row_keys(table)) == sorted(everything)
        assert f"{len(everything)} runs" in status_text(app)
        # A filtered view counts the unfiltered total in the background.
        await pilot.press("slash", *"attributes.status = 'FINISHED'", "enter")
        await settle(pilot)
        finished = _run_ids(sample_store, [wine.experiment_id], filter="status = 'FINISHED'")
        shown = min(3, len(finished))
        more = "+" if len(finished) > 3 else ""
        assert f"{shown}{more} of {len(everything)} runs" in status_text(app)

    run_ui(sample_store, body)


def test_a_focus_change_repaints_only_what_it_changes(sample_store):
    """`tab` between the panes and `/` to the filter send partial updates, not the whole
    screen again (Textual's Screen.focused repaints everything: QuietFocus), and those
    updates do carry what focus changes: the runs table's cursor line, the filter box."""
    from textual._compositor import ChopsUpdate, LayoutUpdate

    async def body(pilot, app):
        updates: list[object] = []
        draw = app._display

        def display(screen, renderable) -> None:
            if renderable is not None:
                updates.append(renderable)
            draw(screen, renderable)

        def lines_sent() -> set[int]:
            sent = {y for u in updates if isinstance(u, ChopsUpdate) for y, _, _ in u.spans}
            updates.clear()
            return sent

        app._display = display
        runs = app.screen.query_one(RunsTable)
        experiments = app.screen.query_one(ExperimentsTable)
        box = app.screen.query_one("#filter-input", Input)
        assert app.focused is experiments and runs.row_count
        # The panes' borders show where focus is; QuietFocus restyles just them (and the
        # tables themselves), as no rule styles a pane's descendants by its focus.
        assert not focus_within_reaches_down(app.stylesheet)
        runs_pane = app.screen.query_one(RunsPane)
        experiments_pane = app.screen.query_one(ExperimentsPane)
        lit, unlit = experiments_pane.styles.border_top[1], runs_pane.styles.border_top[1]
        assert lit != unlit
        await pilot.press("tab")
        await settle(pilot)
        assert app.focused is runs
        assert (runs_pane.styles.border_top[1], experiments_pane.styles.border_top[1]) == (
            lit,
            unlit,
        )
        cursor_y = runs.region.y + 1 + runs.cursor_row - round(runs.scroll_y)  # under the header
        assert not [u for u in updates if isinstance(u, LayoutUpdate)]
        assert cursor_y in lines_sent()
        await pilot.press("slash")
        await settle(pilot)
        assert app.focused is box
        assert not [u for u in updates if isinstance(u, LayoutUpdate)]
        assert box.region.y in lines_sent()
        await pilot.press("escape")
        await settle(pilot)
        assert not [u for u in updates if isinstance(u, LayoutUpdate)]

    run_ui(sample_store, body)
