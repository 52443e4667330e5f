"""Runs table features on the sample store: nesting, columns, runs view, export, copy,
the command palette, watch mode, keymaps from the settings file, the experiments pane."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

from textual.command import CommandPalette
from textual.widgets import Input, SelectionList
from uihelp import SAMPLE, choose, column_keys, plain, row_keys, run_ui, settle, status_text

from tuiflow import serialize
from tuiflow.config import load_config
from tuiflow.entities import ViewType
from tuiflow.stores.file import FileStore
from tuiflow.ui.commands import screen_commands
from tuiflow.ui.export import ExportScreen
from tuiflow.ui.nesting import nest
from tuiflow.ui.screens.chart import ChartScreen
from tuiflow.ui.screens.columns import ColumnsScreen
from tuiflow.ui.widgets.experiments_pane import ExperimentsPane, ExperimentsTable
from tuiflow.ui.widgets.runs_pane import RunsPane
from tuiflow.ui.widgets.runs_table import RunsTable


def _exp_id(store, name: str) -> str:
    exp = store.get_experiment_by_name(name)
    assert exp is not None, name
    return exp.experiment_id


def _runs(store, name: str, view=ViewType.ACTIVE_ONLY):
    return list(store.search_runs([_exp_id(store, name)], view=view).items)


def _by_name(runs, name: str):
    return next(r for r in runs if r.run_name == name)


def _names(table: RunsTable) -> list[str]:
    return [plain(table.get_row_at(i)[1]) for i in range(table.row_count)]


async def _cursor_to(pilot, table: RunsTable, run_id: str) -> None:
    table.focus()
    await pilot.press("g", *["j"] * table.get_row_index(run_id))


def _notices(app) -> list[str]:
    return [str(n.message) for n in app._notifications]


# -- nested runs -------------------------------------------------------------------------


def test_nested_runs_sit_under_their_parent_and_fold(sample_store):
    runs = _runs(sample_store, "wine_tuning")
    sweep = _by_name(runs, "rf-sweep")
    children = [r.run_id for r in runs if r.parent_run_id == sweep.run_id]
    assert len(children) == 6  # the sample makes this a real test

    async def body(pilot, app):
        await choose(pilot, app, "wine_tuning")
        table = app.screen.query_one(RunsTable)
        keys = row_keys(table)
        at = keys.index(sweep.run_id)
        assert keys[at + 1 : at + 7] == children  # in the store's order, under the parent
        names = _names(table)
        assert names[at] == "▾ rf-sweep"
        assert names[at + 1].startswith("├─ ") and names[at + 6].startswith("└─ ")

        await _cursor_to(pilot, table, children[2])
        await pilot.press("z")  # on a child: folds its parent, cursor goes to the parent
        assert row_keys(table) == [k for k in keys if k not in children]
        assert table.current_run().run_id == sweep.run_id
        assert _names(table)[at] == "▸ rf-sweep +6"
        await pilot.press("z")
        assert row_keys(table) == keys
        await pilot.press("Z")
        assert len(row_keys(table)) == len(keys) - 6
        await pilot.press("Z")
        assert row_keys(table) == keys
        # Marks and the whole view stay whole for compare: folding only hides rows.
        assert [r.run_id for r in table.runs] == [r.run_id for r in runs]

    run_ui(sample_store, body)


def test_children_without_their_parent_in_view_stand_at_top_level(sample_store, history_path):
    async def body(pilot, app):
        await choose(pilot, app, "wine_tuning")
        await pilot.press("slash", *"attributes.run_name LIKE 'rf-n5%'", "enter")
        await settle(pilot)
        names = _names(app.screen.query_one(RunsTable))
        assert sorted(names) == ["rf-n5-d2", "rf-n5-d3", "rf-n5-d4"]

    run_ui(sample_store, body, history_path=history_path)


def test_nest_cuts_parent_loops_and_keeps_every_run(sample_store):
    from dataclasses import replace

    iris = _exp_id(sample_store, "iris_experiment")
    a, b, c, d = sample_store.search_runs([iris], max_results=4).items
    tag = "mlflow.parentRunId"
    a = replace(a, tags={**a.tags, tag: b.run_id})
    b = replace(b, tags={**b.tags, tag: a.run_id})  # a loop
    d = replace(d, tags={**d.tags, tag: c.run_id})  # a grandchild, under c's child below
    c = replace(c, tags={**c.tags, tag: a.run_id})
    rows = nest([a, b, c, d])
    assert sorted(r.run.run_id for r in rows) == sorted(x.run_id for x in (a, b, c, d))
    assert [r.depth for r in rows] == [0, 1, 1, 2]
    assert [r.prefix for r in rows] == ["▾ ", "├─ ", "└─ ▾ ", "   └─ "]
    folded = nest([a, b, c, d], collapsed={c.run_id})
    assert [r.run.run_id for r in folded] == [a.run_id, b.run_id, c.run_id]


# -- column chooser ----------------------------------------------------------------------


def test_column_chooser_hides_and_shows_columns_per_experiment(sample_store):
    async def body(pilot, app):
        await choose(pilot, app, "iris_experiment")
        table = app.screen.query_one(RunsTable)
        assert "m:loss" in column_keys(table)
        await pilot.press("C")
        assert isinstance(app.screen, ColumnsScreen)
        chooser = app.screen.query_one(SelectionList)
        values = [chooser.get_option_at_index(i).value for i in range(chooser.option_count)]
        assert "m:loss" in values and "t:mlflow.user" in values
        assert "m:loss" in chooser.selected and "t:mlflow.user" not in chooser.selected
        chooser.highlighted = values.index("m:loss")
        await pilot.press("space")
        chooser.highlighted = values.index("t:mlflow.user")
        await pilot.press("space", "enter")
        await settle(pilot)
        assert not isinstance(app.screen, ColumnsScreen)
        cols = column_keys(table)
        assert "m:loss" not in cols and "t:mlflow.user" in cols
        assert "m:eval_acc" in cols

        # Another experiment has its own columns; coming back finds the choice again.
        await choose(pilot, app, "wine_tuning")
        assert "m:loss" in column_keys(table)
        await choose(pilot, app, "iris_experiment")
        assert "m:loss" not in column_keys(table)

        await pilot.press("C", "d", "enter")  # back to the defaults
        assert "m:loss" in column_keys(table) and "t:mlflow.user" not in column_keys(table)
        await pilot.press("C", "space", "escape")  # esc changes nothing
        assert "m:loss" in column_keys(table)

    run_ui(sample_store, body)


# -- runs view (active / deleted / all) ----------------------------------------------------


def test_runs_view_toggle_shows_the_deleted_run(sample_store):
    active = [r.run_id for r in _runs(sample_store, "iris_experiment")]
    deleted = [r.run_id for r in _runs(sample_store, "iris_experiment", ViewType.DELETED_ONLY)]
    every = [r.run_id for r in _runs(sample_store, "iris_experiment", ViewType.ALL)]
    smoke = _by_name(_runs(sample_store, "iris_experiment", ViewType.ALL), "smoke-test")
    assert smoke.run_id in deleted and smoke.run_id not in active

    async def body(pilot, app):
        await choose(pilot, app, "iris_experiment")
        table = app.screen.query_one(RunsTable)
        pane = app.screen.query_one(RunsPane)
        assert row_keys(table) == active
        await pilot.press("V")
        await settle(pilot)
        assert row_keys(table) == deleted
        assert "deleted" in pane.border_title
        assert "1 run (deleted)" in status_text(app)
        assert "strike" in str(table.get_row(smoke.run_id)[1].style)
        await pilot.press("V")
        await settle(pilot)
        assert row_keys(table) == every
        assert "(all)" in status_text(app)
        await pilot.press("V")
        await settle(pilot)
        assert row_keys(table) == active
        assert "(" not in status_text(app).split("│")[-1]

    run_ui(sample_store, body)


# -- export and copy ---------------------------------------------------------------------


def _cli_json(*args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "tuiflow", "runs", str(SAMPLE), *args, "--format", "json"],
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout


async def _export_to(pilot, app, path: Path) -> None:
    await pilot.press("e")
    assert isinstance(app.screen, ExportScreen)
    box = app.screen.query_one(Input)
    assert box.value.startswith("tuiflow-export-iris_experiment-") and box.value.endswith(".csv")
    box.value = str(path)
    await pilot.press("enter")
    await settle(pilot)


def test_export_writes_the_view_like_the_cli(sample_store, tmp_path, monkeypatch):
    # The view has more pages than are loaded: export fetches the rest.
    monkeypatch.setattr(RunsPane, "page_size", 3)

    async def body(pilot, app):
        await choose(pilot, app, "iris_experiment")
        await pilot.press("V", "V")  # all runs, the deleted one too
        await settle(pilot)
        out = tmp_path / "view.json"
        await _export_to(pilot, app, out)
        assert out.read_text() == _cli_json("-e", "iris_experiment", "--view", "all")
        assert any(str(out) in n for n in _notices(app))

        csv_out = tmp_path / "view.csv"
        await _export_to(pilot, app, csv_out)
        every = _runs(sample_store, "iris_experiment", ViewType.ALL)
        assert csv_out.read_text() == serialize.runs_to_csv(every)

        await _export_to(pilot, app, tmp_path / "no-such-dir" / "x.json")
        assert any("cannot write" in n and "No such file" in n for n in _notices(app))
        await pilot.press("e")  # a bad extension is refused in place
        app.screen.query_one(Input).value = str(tmp_path / "x.txt")
        await pilot.press("enter")
        assert isinstance(app.screen, ExportScreen)
        await pilot.press("escape")
        assert not isinstance(app.screen, ExportScreen)

    run_ui(sample_store, body)
    assert json.loads(_cli_json("-e", "iris_experiment"))  # the oracle itself is not empty


def test_y_copies_the_run_id(sample_store):
    async def body(pilot, app):
        await choose(pilot, app, "iris_experiment")
        table = app.screen.query_one(RunsTable)
        await pilot.press("j", "y")
        assert app.clipboard == table.current_run().run_id
        assert any(table.current_run().run_id in n for n in _notices(app))

    run_ui(sample_store, body)


def test_refresh_keeps_cursor_and_marks(sample_store):
    async def body(pilot, app):
        await choose(pilot, app, "iris_experiment")
        table = app.screen.query_one(RunsTable)
        await pilot.press("space", "j", "l")
        marked, cursor = set(table.marked), table.cursor_coordinate
        assert marked
        await pilot.press("r")
        await settle(pilot)
        assert table.marked == marked and table.cursor_coordinate == cursor

    run_ui(sample_store, body)


# -- command palette -----------------------------------------------------------------------


def test_palette_lists_the_screens_actions_and_runs_one(sample_store):
    async def body(pilot, app):
        await choose(pilot, app, "iris_experiment")
        listed = {c.description: c for c in screen_commands(app.screen)}
        for description in (
            "Export",
            "Watch",
            "Columns",
            "Sort asc",
            "Filter",
            "Help",
            "Quit",
            "Copy run id",
            "Active/deleted/all runs",
            "Find experiment",
        ):
            assert description in listed, description
        assert listed["Sort asc"].key == "s" and listed["Sort asc"].binding_id == (
            "tuiflow.runs.sort_asc"
        )
        await pilot.press("colon")
        await settle(pilot)
        assert isinstance(app.screen, CommandPalette)
        await pilot.press(*"Columns")
        await pilot.pause(0.3)
        await pilot.press("down", "enter")
        await settle(pilot)
        assert isinstance(app.screen, ColumnsScreen)
        await pilot.press("escape")
        await pilot.press("ctrl+p")
        await settle(pilot)
        assert isinstance(app.screen, CommandPalette)

    run_ui(sample_store, body)


# -- watch mode ----------------------------------------------------------------------------


def _running(store, name: str):
    return next(r for r in _runs(store, name) if r.status == "RUNNING")


def test_watch_picks_up_a_metric_appended_to_a_running_run(tmp_path):
    root = tmp_path / "mlruns"
    shutil.copytree(SAMPLE, root)
    store = FileStore(root)
    run = _running(store, "wine_tuning")
    key = "loss"
    history = store.get_metric_history(run.run_id, key)
    last = max(history, key=lambda m: (m.step, m.timestamp))
    metric_file = root / run.experiment_id / run.run_id / "metrics" / key

    async def body(pilot, app):
        await choose(pilot, app, "wine_tuning")
        table = app.screen.query_one(RunsTable)
        assert "watching 0.2s" in status_text(app)
        assert plain(table.get_row(run.run_id)[column_keys(table).index(f"m:{key}")]) != "0.123"
        await _cursor_to(pilot, table, run.run_id)
        cursor = table.cursor_coordinate
        with metric_file.open("a") as f:
            f.write(f"{last.timestamp + 1000} 0.123 {last.step + 1}\n")
        for _ in range(40):
            await pilot.pause(0.1)
            cell = table.get_row(run.run_id)[column_keys(table).index(f"m:{key}")]
            if plain(cell) == "0.123":
                break
        assert plain(cell) == "0.123"
        assert table.cursor_coordinate == cursor  # updated in place
        await pilot.press("w")
        assert "watching" not in status_text(app)
        await pilot.press("w")
        assert "watching 0.2s" in status_text(app)

        # An open chart of the run follows too.
        app.push_screen(ChartScreen([table.current_run()], key))
        await settle(pilot)
        chart = app.screen
        before = len(chart.cache[(run.run_id, key)].values)
        with metric_file.open("a") as f:
            f.write(f"{last.timestamp + 2000} 0.1 {last.step + 2}\n")
        for _ in range(40):
            await pilot.pause(0.1)
            got = chart.cache.get((run.run_id, key))
            if got is not None and len(got.values) == before + 1:
                break
        assert got is not None and got.values[-1] == 0.1 and len(got.values) == before + 1

    try:
        run_ui(store, body, watch=0.2)
    finally:
        store.close()


def test_watch_on_sqlite_updates_a_running_run(sqlite_backend, tmp_path):
    from mlflow import MlflowClient

    from tuiflow.stores.sql import SqlStore

    db = tmp_path / "twin.db"
    shutil.copy(sqlite_backend.root / "mlflow.db", db)
    uri = f"sqlite:///{db}"
    store = SqlStore(uri)
    run = store.get_run(sqlite_backend.runs["H"])  # RUNNING, logs metric "v"
    assert run.status == "RUNNING"
    exp = store.get_experiment(run.experiment_id)
    expected_count = len(store.search_runs([exp.experiment_id], max_results=1000).items)

    async def body(pilot, app):
        experiments = app.screen.query_one(ExperimentsTable)
        assert plain(experiments.get_row(exp.experiment_id)[2]) == str(expected_count)
        await choose(pilot, app, exp.name)
        table = app.screen.query_one(RunsTable)
        parent = sqlite_backend.runs["D"]
        keys = row_keys(table)
        after_parent = keys[keys.index(parent) + 1 :][:2]
        assert set(after_parent) == {sqlite_backend.runs["child1"], sqlite_backend.runs["child2"]}
        await pilot.press("w")
        MlflowClient(tracking_uri=uri).log_metric(run.run_id, "v", 42.5, step=10_000)
        col = column_keys(table).index("m:v")
        for _ in range(60):
            await pilot.pause(0.1)
            if plain(table.get_row(run.run_id)[col]) == "42.5":
                break
        assert plain(table.get_row(run.run_id)[col]) == "42.5"

    try:
        run_ui(store, body, watch_interval=0.2)
    finally:
        store.close()


# -- settings file: keymap -----------------------------------------------------------------


def test_keymap_from_the_settings_file_rebinds_sort(sample_store, tmp_path):
    path = tmp_path / "config.toml"
    path.write_text('[keymap]\n"tuiflow.runs.sort_asc" = "o"\n')
    config, complaint = load_config(path)
    assert complaint is None

    async def body(pilot, app):
        await choose(pilot, app, "iris_experiment")
        table = app.screen.query_one(RunsTable)
        await pilot.press("s")  # no longer bound
        await settle(pilot)
        assert table.sort is None
        await pilot.press("o")
        await settle(pilot)
        assert table.sort == ("name", True)
        listed = {c.binding_id: c for c in screen_commands(app.screen)}
        assert listed["tuiflow.runs.sort_asc"].key == "o"

    run_ui(sample_store, body, keymap=config.keymap)


# -- experiments pane ----------------------------------------------------------------------


def test_experiments_pane_counts_finds_and_stays_narrow(sample_store):
    counts = {
        e.experiment_id: len(sample_store.search_runs([e.experiment_id]).items)
        for e in sample_store.search_experiments().items
    }

    async def body(pilot, app):
        pane = app.screen.query_one(ExperimentsPane)
        table = app.screen.query_one(ExperimentsTable)
        assert pane.outer_size.width == 24  # of 80
        assert column_keys(table) == ["mark", "name", "runs", "updated", "id"]
        for exp_id, count in counts.items():
            row = table.get_row(exp_id)
            assert plain(row[2]) == str(count) and plain(row[4]) == exp_id
        await pilot.press("f")
        assert isinstance(app.focused, Input)
        await pilot.press(*"IRIS")
        assert row_keys(table) == [_exp_id(sample_store, "iris_experiment")]
        assert "1 of 3" in pane.border_title
        await pilot.press("enter")
        assert app.focused is table
        await pilot.press("enter")  # the found experiment's runs
        await settle(pilot)
        assert "iris_experiment" in status_text(app)
        await pilot.press("tab", "f", "escape")
        assert len(row_keys(table)) == len(counts)

    run_ui(sample_store, body, size=(80, 24))


def test_experiments_pane_grows_with_the_screen(sample_store):
    async def body(pilot, app):
        assert app.screen.query_one(ExperimentsPane).outer_size.width == 48

    run_ui(sample_store, body, size=(160, 48))


# -- pure parts: poll, counts; theme and NO_COLOR ---------------------------------------


def test_poll_rereads_the_first_page_and_only_running_runs_beyond_it(tmp_path):
    from dataclasses import replace

    from tuiflow.ui.watch import Query, all_pages, poll

    store = FileStore(SAMPLE)
    exp_id = _exp_id(store, "wine_tuning")
    query = Query((exp_id,), "", ("attributes.run_name DESC",), ViewType.ACTIVE_ONLY, 3)
    every = list(store.search_runs([exp_id], order_by=["attributes.run_name DESC"]).items)
    running = next(r for r in every if r.status == "RUNNING")
    assert every.index(running) >= 3  # beyond the first page: re-read with get_run
    # What the pane holds: stale copies (no metrics), the running one among them.
    stale = [replace(r, metrics={}) for r in every]
    polled = poll(store, query, stale, lambda: False)
    assert polled is not None and not polled.first_page_only
    assert [r.run_id for r in polled.runs] == [r.run_id for r in every]
    fresh = {r.run_id: r for r in polled.runs}
    assert fresh[running.run_id] == running  # re-read
    assert all(fresh[r.run_id] == r for r in every[:3])  # the first page, re-read
    finished = next(r for r in every[3:] if r.status != "RUNNING" and r.metrics)
    assert fresh[finished.run_id].metrics == {}  # not re-read: it cannot change
    short_view = poll(store, query, stale[:3], lambda: False)
    assert short_view is not None and short_view.first_page_only
    assert short_view.next_page_token is not None
    assert poll(store, query, stale, lambda: True) is None
    page = store.search_runs([exp_id], order_by=["attributes.run_name DESC"], max_results=3)
    whole = all_pages(store, query, page.items, page.next_page_token, lambda: False)
    assert [r.run_id for r in whole] == [r.run_id for r in every]


def test_short_counts_fit_four_cells():
    from tuiflow.ui.counting import short

    assert [short(7, True), short(9999, True), short(12_345, True)] == ["7", "9999", "12k"]
    assert [short(1000, False), short(20_000, False), short(5, False)] == ["1k+", "20k+", "5+"]


def test_theme_is_applied_and_no_color_respected(sample_store, monkeypatch):
    monkeypatch.setenv("NO_COLOR", "1")

    async def body(pilot, app):
        assert app.theme == "nord"
        assert app.no_color

    run_ui(sample_store, body, theme="nord")
