"""The filter bar on the sample store: suggestions, OR / NOT filters, `order by`."""

from __future__ import annotations

from textual.widgets import Input
from uihelp import choose, column_keys, plain, row_keys, run_ui, settle, status_text

from tuiflow.ui.screens.help import HelpScreen
from tuiflow.ui.widgets.filter_bar import FilterBar
from tuiflow.ui.widgets.filter_complete import FilterAutoComplete
from tuiflow.ui.widgets.runs_table import RunsTable


def _iris(store) -> str:
    exp = store.get_experiment_by_name("iris_experiment")
    assert exp is not None
    return exp.experiment_id


def _ids(store, exp_id: str, **kw) -> list[str]:
    return [r.run_id for r in store.search_runs([exp_id], **kw).items]


def _options(app) -> list[str]:
    complete = app.screen.query_one(FilterAutoComplete)
    if not complete.display:
        return []
    options = complete.option_list
    return [options.get_option_at_index(i).value for i in range(options.option_count)]


def _input(app) -> Input:
    return app.screen.query_one("#filter-input", Input)


def test_suggests_prefixes_then_keys_then_comparators(sample_store):
    async def body(pilot, app):
        await choose(pilot, app, "iris_experiment")
        await pilot.press("slash", *"met")
        await pilot.pause()
        assert _options(app) == ["metrics."]
        await pilot.press("tab")  # accept: the keys of the loaded runs follow at once
        await pilot.pause()
        assert _input(app).value == "metrics."
        keys = _options(app)
        assert "metrics.eval_acc" in keys and "metrics.loss" in keys
        await pilot.press(*"ev")
        await pilot.pause()
        assert _options(app) == ["metrics.eval_acc"]
        await pilot.press("enter")  # enter accepts a suggestion; nothing is applied yet
        await pilot.pause()
        assert _input(app).value == "metrics.eval_acc "
        assert _options(app) == ["=", "!=", "<", "<=", ">", ">="]
        assert isinstance(app.focused, Input)

    run_ui(sample_store, body)


def test_suggests_quoted_values_of_params(sample_store):
    solvers = sorted({r.params["solver"] for r in sample_store.search_runs([_iris(sample_store)])})
    assert len(solvers) > 1

    async def body(pilot, app):
        await choose(pilot, app, "iris_experiment")
        await pilot.press("slash", *"params.solver = ")
        await pilot.pause()
        assert _options(app) == [f"'{s}'" for s in solvers]
        await pilot.press(*"'sa", "tab")
        await pilot.pause()
        assert _input(app).value == "params.solver = 'saga' "
        assert _options(app) == []  # a finished clause: enter applies the filter
        await pilot.press("enter")
        await settle(pilot)
        expected = _ids(sample_store, _iris(sample_store), filter="params.solver = 'saga'")
        assert row_keys(app.screen.query_one(RunsTable)) == expected

    run_ui(sample_store, body)


def test_or_filter_shows_the_union_and_the_count(sample_store):
    exp = _iris(sample_store)
    everything = _ids(sample_store, exp)
    a = set(_ids(sample_store, exp, filter="params.solver = 'saga'"))
    b = set(_ids(sample_store, exp, filter="metrics.eval_acc < 0.9"))
    union = [r for r in everything if r in a | b]
    assert len(a) < len(union) < len(everything)
    text = "params.solver = 'saga' OR metrics.eval_acc < 0.9"

    async def body(pilot, app):
        await choose(pilot, app, "iris_experiment")
        await pilot.press("slash", *text, "enter")
        await settle(pilot)
        assert not app.screen.query_one(FilterBar).has_class("-invalid")
        assert row_keys(app.screen.query_one(RunsTable)) == union
        assert f"{len(union)} of {len(everything)} runs" in status_text(app)
        # NOT is the complement, runs lacking the key included.
        _input(app).value = f"NOT ({text})"
        _input(app).focus()
        await pilot.press("end", "enter")
        await settle(pilot)
        assert row_keys(app.screen.query_one(RunsTable)) == [
            r for r in everything if r not in a | b
        ]

    run_ui(sample_store, body)


def test_order_by_suffix_applies_and_column_sort_replaces_it(sample_store):
    exp = _iris(sample_store)
    flt = "metrics.eval_acc > 0.9"
    by_acc = _ids(sample_store, exp, filter=flt, order_by=["metrics.eval_acc DESC", "params.C"])
    by_name = _ids(sample_store, exp, filter=flt, order_by=["attributes.run_name ASC"])
    default = _ids(sample_store, exp, filter=flt)
    assert by_acc != default and by_name != by_acc

    async def body(pilot, app):
        await choose(pilot, app, "iris_experiment")
        table = app.screen.query_one(RunsTable)
        _input(app).focus()
        _input(app).value = f"{flt} order by metrics.eval_acc desc, params.C"
        await pilot.press("end", "enter")
        await settle(pilot)
        assert row_keys(table) == by_acc
        # `s` on the run-name column sorts by it and drops the line's `order by`.
        assert column_keys(table)[table.cursor_column] == "name"
        await pilot.press("s")
        await settle(pilot)
        assert row_keys(table) == by_name
        assert _input(app).value == flt
        # Re-applying a line without `order by` keeps the column sort.
        _input(app).focus()
        await pilot.press("end", "enter")
        await settle(pilot)
        assert row_keys(table) == by_name

    run_ui(sample_store, body)


def test_removing_order_by_restores_the_default_order(sample_store):
    exp = _iris(sample_store)
    default = _ids(sample_store, exp)
    ordered = _ids(sample_store, exp, order_by=["params.solver", "metrics.loss DESC"])
    assert ordered != default

    async def body(pilot, app):
        await choose(pilot, app, "iris_experiment")
        table = app.screen.query_one(RunsTable)
        _input(app).focus()
        _input(app).value = "order by params.solver, metrics.loss DESC"
        await pilot.press("end", "enter")
        await settle(pilot)
        assert row_keys(table) == ordered
        assert f"{len(default)} runs" in status_text(app)
        await pilot.press("slash", "escape")
        await settle(pilot)
        assert row_keys(table) == default

    run_ui(sample_store, body)


def test_bad_order_by_shows_caret_under_it(sample_store):
    line = "metrics.eval_acc > 0.9 order by metrics.eval_acc dsc"

    async def body(pilot, app):
        await choose(pilot, app, "iris_experiment")
        before = row_keys(app.screen.query_one(RunsTable))
        _input(app).focus()
        _input(app).value = line
        await pilot.pause()
        bar = app.screen.query_one(FilterBar)
        assert bar.has_class("-invalid")
        assert bar.error is not None and "dsc" in bar.error.message
        assert bar.error.offset == line.index("dsc")  # the bad word itself
        caret, _ = plain(app.screen.query_one("#filter-error").render()).splitlines()
        error_x = app.screen.query_one("#filter-error").region.x + caret.index("^")
        assert error_x == _input(app).content_region.x + bar.error.offset
        await pilot.press("end", "enter")
        await settle(pilot)
        assert row_keys(app.screen.query_one(RunsTable)) == before

    run_ui(sample_store, body)


def test_history_up_down_are_not_taken_by_the_dropdown(sample_store, history_path):
    async def body(pilot, app):
        await choose(pilot, app, "iris_experiment")
        for text in ("params.solver = 'saga'", "metrics.loss < 0.1"):
            _input(app).focus()
            _input(app).value = text
            await pilot.press("end", "enter")
            await settle(pilot)
        await pilot.press("slash")
        _input(app).value = ""
        await pilot.press(*"par")
        await pilot.pause()
        assert _options(app) == ["params."]
        await pilot.press("escape")  # hides the dropdown, keeps the text
        assert _input(app).value == "par"
        await pilot.press("up")
        assert _input(app).value == "metrics.loss < 0.1"
        await pilot.press("up")
        assert _input(app).value == "params.solver = 'saga'"
        await pilot.press("down")
        assert _input(app).value == "metrics.loss < 0.1"
        assert _options(app) == []

    run_ui(sample_store, body, history_path=history_path)


def test_help_lists_the_filter_extension(sample_store):
    async def body(pilot, app):
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        table = app.screen.query_one("#help-table")
        first = [plain(table.get_row_at(i)[0]) for i in range(table.row_count)]
        assert "Filter syntax, beyond MLflow" in first
        assert "A OR B" in first and "NOT A" in first

    run_ui(sample_store, body)
