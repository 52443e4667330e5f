"""Compare (`c` on marked runs) and scatter (`x` there, `X` on the runs table) on the sample."""

from __future__ import annotations

import pytest
from textual.widgets import Select
from uihelp import choose, column_keys, plain, row_keys, run_ui, settle

from tuiflow import humanize
from tuiflow.ui.screens.compare import MISSING, CompareScreen, truncate, value_text
from tuiflow.ui.screens.main import MainScreen
from tuiflow.ui.screens.run_detail import RunDetailScreen
from tuiflow.ui.screens.scatter import ScatterScreen
from tuiflow.ui.widgets.runs_table import RunsTable
from tuiflow.ui.widgets.scatter_chart import ScatterChart


def _iris_runs(store):
    exp = store.get_experiment_by_name("iris_experiment")
    assert exp is not None
    return list(store.search_runs([exp.experiment_id]).items)


async def _mark_and_compare(pilot, app, count: int) -> RunsTable:
    await choose(pilot, app, "iris_experiment")
    table = app.screen.query_one(RunsTable)
    await pilot.press("g", *["space"] * count, "c")
    await settle(pilot)
    return table


def _notes(app) -> list[str]:
    return [n.message for n in app._notifications]


def _screen_text(app) -> str:
    strips = app.screen._compositor.render_strips()
    return "\n".join("".join(seg.text for seg in strip) for strip in strips)


def test_compare_three_marked_runs_highlights_differences(sample_store):
    runs = _iris_runs(sample_store)[:3]  # the table's first rows: the store's default order

    async def body(pilot, app):
        await _mark_and_compare(pilot, app, 3)
        screen = app.screen
        assert isinstance(screen, CompareScreen)
        table = screen.table
        assert column_keys(table) == ["key", *(r.run_id for r in runs)]
        assert table.fixed_columns == 1  # the key column stays when scrolling right
        headers = [plain(c.label) for c in table.ordered_columns[1:]]
        assert headers == [r.run_name for r in runs]
        keys = row_keys(table)
        assert keys[0] == "section:params"
        assert {"section:metrics", "section:tags"} <= set(keys)
        for key in sorted({k for r in runs for k in r.params}):
            cells_ = table.get_row(f"params.{key}")
            assert plain(cells_[0]).strip() == key
            values = [r.params.get(key) for r in runs]
            assert [plain(c) for c in cells_[1:]] == [v or MISSING for v in values]
            differ = len(set(values)) > 1
            assert all(("bold" in str(c.style)) is differ for c in cells_[1:]), key
        for key in sorted({k for r in runs for k in r.metrics}):
            cells_ = table.get_row(f"metrics.{key}")
            assert [plain(c) for c in cells_[1:]] == [
                humanize.number(r.metrics[key].value) for r in runs
            ]
        # Both kinds exist in this sample, so the highlight is tested both ways.
        assert "bold" in str(table.get_row("params.C")[1].style)
        assert "bold" not in str(table.get_row("params.random_state")[1].style)
        assert "bold" not in str(table.get_row("tags.dataset")[1].style)

        before = table.row_count
        await pilot.press("d")
        after = row_keys(table)
        assert len(after) < before
        assert "params.random_state" not in after and "params.C" in after
        data_rows = [k for k in after if not k.startswith("section:")]
        assert all(len({plain(c) for c in table.get_row(k)[1:]}) > 1 for k in data_rows), (
            "only differing rows remain"
        )
        assert "differences only" in plain(screen.query_one("#compare-title").render())
        await pilot.press("d")
        assert table.row_count == before

        await pilot.press("escape")
        assert isinstance(app.screen, MainScreen)

    run_ui(sample_store, body)


def test_scatter_from_compare_plots_c_against_eval_acc(sample_store):
    runs = _iris_runs(sample_store)
    marked = {r.run_id for r in runs[:3]}

    async def body(pilot, app):
        await _mark_and_compare(pilot, app, 3)
        await pilot.press("x")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, ScatterScreen)
        # Choose the axes through the selects, as picking from their lists does.
        screen.query_one("#scatter-x", Select).value = "metrics.loss"
        await pilot.pause()
        assert screen.x_field == "metrics.loss"
        screen.query_one("#scatter-x", Select).value = "params.C"
        screen.query_one("#scatter-y", Select).value = "metrics.eval_acc"
        await pilot.pause()
        chart = screen.query_one(ScatterChart)
        data = chart.data
        assert data is not None and not data.categorical
        assert (data.x_field, data.y_field) == ("params.C", "metrics.eval_acc")
        # Every run of the view, not only the compared ones.
        expected = {(r.run_id, float(r.params["C"]), r.metrics["eval_acc"].value) for r in runs}
        assert {(p.run_id, p.x, p.y) for p in data.points} == expected
        others, highlighted = chart.series()
        assert sorted(highlighted) == sorted(
            (float(r.params["C"]), r.metrics["eval_acc"].value) for r in runs if r.run_id in marked
        )
        assert len(others) == len(runs) - len(marked)
        assert f"{len(runs)} points" in plain(screen.query_one("#scatter-info").render())
        # plotext drew something with the chosen axes' names.
        assert "params.C" in plain(chart.render())
        await pilot.press("escape")
        assert isinstance(app.screen, CompareScreen)

    run_ui(sample_store, body)


def test_compare_needs_two_marked_runs(sample_store):
    async def body(pilot, app):
        await choose(pilot, app, "iris_experiment")
        await pilot.press("c")
        await pilot.pause()
        assert isinstance(app.screen, MainScreen)
        await pilot.press("g", "space", "c")
        await pilot.pause()
        assert isinstance(app.screen, MainScreen)
        notes = _notes(app)
        assert len(notes) == 2
        assert all("Mark at least 2 runs with space" in n for n in notes)
        assert "(1 marked)" in notes[-1]

    run_ui(sample_store, body)


def test_scatter_from_runs_table_keys_and_log_scale(sample_store):
    runs = _iris_runs(sample_store)

    async def body(pilot, app):
        await choose(pilot, app, "iris_experiment")
        await pilot.press("X")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, ScatterScreen)
        assert (screen.x_field, screen.y_field) == ("params.C", "metrics.eval_acc")
        chart = screen.query_one(ScatterChart)
        assert chart.series()[1] == []  # nothing marked
        # `y` opens the y list; down + enter picks the next metric.
        metrics = sorted({k for r in runs for k in r.metrics})
        await pilot.press("y", "down", "enter")
        await pilot.pause()
        assert screen.y_field == f"metrics.{metrics[1]}"
        assert chart.data is not None and chart.data.y_field == screen.y_field
        await pilot.press("l")
        await pilot.pause()
        assert chart.log_x and "log x" in plain(screen.query_one("#scatter-info").render())
        screen.set_axes(x_field="params.solver")
        await pilot.pause()
        data = chart.data
        assert data is not None and data.x_categories == tuple(
            sorted({r.params["solver"] for r in runs})
        )
        assert not chart.log_x  # no log scale over categories
        await pilot.press("escape")
        assert isinstance(app.screen, MainScreen)

    run_ui(sample_store, body)


def test_open_a_compared_run_and_come_back(sample_store):
    runs = _iris_runs(sample_store)[:2]

    async def body(pilot, app):
        await _mark_and_compare(pilot, app, 2)
        await pilot.press("l", "enter")  # the second run's column
        await settle(pilot)
        assert isinstance(app.screen, RunDetailScreen)
        assert app.screen.current.run_id == runs[1].run_id
        await pilot.press("escape")
        assert isinstance(app.screen, CompareScreen)
        await pilot.press("h", "o")
        await settle(pilot)
        assert isinstance(app.screen, RunDetailScreen)
        assert app.screen.current.run_id == runs[0].run_id

    run_ui(sample_store, body)


@pytest.mark.parametrize("size", [(80, 24), (160, 48)])
def test_compare_all_runs_fits_and_keeps_keys_visible(sample_store, size):
    runs = _iris_runs(sample_store)

    async def body(pilot, app):
        await _mark_and_compare(pilot, app, len(runs))
        screen = app.screen
        assert isinstance(screen, CompareScreen)
        table = screen.table
        assert len(table.ordered_columns) == len(runs) + 1
        await pilot.press(*["l"] * len(runs))
        await pilot.pause()
        assert table.cursor_column == len(runs)
        text = _screen_text(app)
        assert "Params (" in text  # the key column did not scroll away
        assert runs[-1].run_name[:10] in text  # the last run's column is in view
        assert "Comparing 7 runs" in text
        await pilot.press("x")
        await settle(pilot)
        text = _screen_text(app)
        assert "params.C" in text and "metrics.eval_acc" in text
        assert isinstance(app.screen, ScatterScreen)
        table_shown = app.screen.query_one("#scatter-points").display
        assert table_shown is (size[0] >= 120)  # the points table only where there is room

    run_ui(sample_store, body, size=size)


def test_cell_text_is_inert_and_headers_truncate():
    assert value_text("\x1b[31mred\nline") == "\\x1b[31mred\\nline"
    assert value_text(None) == MISSING
    assert value_text(0.123456789) == humanize.number(0.123456789)
    assert truncate("newton-cg-big-C", 8) == "newton-…"
    assert truncate("short", 8) == "short"
