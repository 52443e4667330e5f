"""Hostile input in the explorer (issue 5): terminal escapes, bidi tricks, markup, damage.

Stores are written by real MLflow. Names and values go through MlflowClient; keys and
file names MLflow refuses (it allows only `\\w . - / : space` in keys) are written into
the MLflow-written run folders afterwards, as another tool or an attacker could. Every
check is on what is rendered: the screen's segments (what Textual writes to the
terminal) and the SVG screenshot. No raw control, C1 or bidi character may be in them,
and the visible spelling that tuiflow.textsafe gives each one must be, so a value that
vanished fails as surely as one that leaked.
"""

from __future__ import annotations

import asyncio
import html
import json
import os
import random
import re
import subprocess
import sys
from pathlib import Path

import pytest
from rich.text import Text
from textual.widgets import Input
from uihelp import choose, settle

from tuiflow.stores.file import FileStore
from tuiflow.ui.app import TuiflowApp
from tuiflow.ui.commands import screen_commands
from tuiflow.ui.screens.chart import ChartScreen
from tuiflow.ui.screens.compare import CompareScreen
from tuiflow.ui.screens.main import MainScreen
from tuiflow.ui.screens.models import ModelsScreen
from tuiflow.ui.screens.problems import SHOWN_MAX, ProblemsScreen
from tuiflow.ui.screens.run_detail import RunDetailScreen
from tuiflow.ui.widgets.artifact_tree import ArtifactTree
from tuiflow.ui.widgets.experiments_pane import ExperimentsTable
from tuiflow.ui.widgets.runs_table import RunsTable

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "stores"))
from hostile_util import build_base, copy_store, snapshot  # noqa: E402

HOSTILE = {
    "title": "\x1b]0;pwned\x07",
    "clear": "\x1b[2J",
    "red": "\x1b[31mred",
    "osc8": "\x1b]8;;http://evil\x1b\\click\x1b]8;;\x1b\\",
    "c1": "\x9b31m",
    "ctl": "b\x07e\x00l\rt\tz",
    "rlo": "abc\u202etxt.exe",
    "iso": "\u2066\u2067\u2068x\u2069",
    "emb": "\u202a\u202b\u202c\u202dy",
    "markup": "[@click=app.quit]q[/] [red]r[/]",
}
# How each value must look on screen (tuiflow.textsafe.inert; tab becomes a space).
SHOWN = {
    "title": "\\x1b]0;pwned\\x07",
    "clear": "\\x1b[2J",
    "red": "\\x1b[31mred",
    "osc8": "\\x1b]8;;http",
    "c1": "\\x9b31m",
    "ctl": "b\\x07e\\x00l\\x0dt z",
    "rlo": "abc\\u202etxt.exe",
    "iso": "\\u2066\\u2067\\u2068x\\u2069",
    "emb": "\\u202a\\u202b\\u202c\\u202dy",
    "markup": "[@click=app.quit]q[/]",
}
# The artifact file names (`_key`: no NUL, no '/'), as the tree shows them.
ARTIFACT_SHOWN = {
    "osc8": "art \\x1b]8;;http:evil\\x1b\\click",
    "ctl": "art b\\x07el\\x0dt z",
    "rlo": "art abc\\u202etxt.exe",
}
# What a terminal would act on or reorder text by; none may be rendered raw.
RAW = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
SORTLESS = 'both`"quotes'  # a key MLflow's grammar cannot name: the sort is refused
MODEL = "model \x1b]0;pwned\x07 \x9b31m \u202e \x1b[2J"
T0 = 1_600_000_000_000


def _key(label: str, text: str) -> str:
    """A file name carrying `text`: no NUL or '/', which no file name can hold."""
    return f"{label} {text}".replace("\x00", "").replace("/", "")


def _shown_key(label: str) -> str:
    return SHOWN[label].replace("\\x00", "").replace("/", "")  # as `_key` made it


def _write(path: Path, data: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data.encode())


def build_hostile(root: Path) -> dict[str, str]:
    """One experiment and run per hostile value, a "sink" run holding them all as keys and
    values, a hostile artifact file name, and a registered model. Run ids by label."""
    from mlflow import MlflowClient
    from mlflow_data import mlflow_global_uri

    c = MlflowClient(tracking_uri=root.as_uri(), registry_uri=root.as_uri())
    ids: dict[str, str] = {}
    for i, (label, text) in enumerate(HOSTILE.items()):
        exp = c.create_experiment(f"{label} {text}")
        rid = c.create_run(exp, run_name=f"{label} {text}").info.run_id
        ids[label] = rid
        c.log_param(rid, "p", text)
        c.set_tag(rid, "t", text)
        c.log_metric(rid, "m", float(i), timestamp=T0, step=0)
        art = root.parent / _key("art", text)
        art.write_text(text)
        c.log_artifact(rid, str(art))
        c.set_terminated(rid, "FINISHED")
    exp = c.get_experiment_by_name(f"title {HOSTILE['title']}").experiment_id
    sink = c.create_run(exp, run_name="sink").info.run_id
    c.set_terminated(sink, "FINISHED")
    ids["sink"] = sink
    run_dir = root / exp / sink
    for i, text in enumerate(HOSTILE.values()):
        _write(run_dir / "params" / _key("p", text), text)
        _write(run_dir / "tags" / _key("t", text), text)
        _write(run_dir / "metrics" / _key("m", text), f"{T0} {i} 0\n{T0 + 1} {i + 1} 1\n")
    _write(run_dir / "params" / SORTLESS, "v")
    with mlflow_global_uri(root.as_uri()):
        c.create_registered_model(MODEL, description=f"about {HOSTILE['osc8']}")
        c.create_model_version(
            MODEL, f"runs:/{ids['title']}/model", run_id=ids["title"], tags={"t": HOSTILE["red"]}
        )
    return ids


@pytest.fixture(scope="module")
def hostile_root(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    root = tmp_path_factory.mktemp("ui-hostile") / "mlruns"
    return root, build_hostile(root)


# -- what was rendered -----------------------------------------------------------------------


def screen_text(app) -> str:
    """Every segment the screen (toasts included) renders, line by line."""
    strips = app.screen._compositor.render_strips()
    return "\n".join("".join(seg.text for seg in strip) for strip in strips)


def assert_inert(app, *shown: str) -> str:
    """Nothing raw on screen or in the screenshot; each of `shown` is visible."""
    text = screen_text(app)
    assert not RAW.findall(text), sorted(set(RAW.findall(text)))
    svg = html.unescape(app.export_screenshot())
    assert not RAW.findall(svg), sorted(set(RAW.findall(svg)))
    flat = text.replace("\n", "")
    for piece in shown:
        assert piece in text or piece in flat, (piece, text)
    return text


def run_ui(store, body, *, size=(160, 48)) -> None:
    """uihelp.run_ui with toasts drawn (run_test leaves them out by default)."""

    async def main() -> None:
        app = TuiflowApp(store)
        async with app.run_test(size=size, notifications=True) as pilot:
            await settle(pilot)
            await body(pilot, app)
        assert app.return_code in (None, 0), "the app exited with an error"

    asyncio.run(main())


def _notes(app) -> list[str]:
    return [n.message for n in app._notifications]


async def _open_all_runs(pilot, app) -> RunsTable:
    """Mark every hostile experiment and show their runs together."""
    experiments = app.screen.query_one(ExperimentsTable)
    experiments.focus()
    await pilot.press("g")
    for _ in range(experiments.row_count):
        key = experiments.coordinate_to_cell_key(experiments.cursor_coordinate).row_key.value
        if key != "0":  # Default: empty
            await pilot.press("space")
        await pilot.press("j")
    await pilot.press("g", "enter")  # enter on a marked row: all the marked ones
    await settle(pilot)
    return app.screen.query_one(RunsTable)


# -- 1. escapes are inert everywhere --------------------------------------------------------


def test_main_screen_experiments_and_runs_are_inert(hostile_root) -> None:
    root, ids = hostile_root
    store = FileStore(root)

    async def body(pilot, app):
        # The experiments list: every hostile name, spelled out.
        assert_inert(app, *(f"{label} {SHOWN[label]}" for label in HOSTILE if label != "osc8"))
        # One experiment: its name is the runs pane's title (markup must stay text).
        await pilot.press("g", "enter")
        await settle(pilot)
        assert_inert(app, "Runs · markup [@click=app.quit]q[/]")
        table = await _open_all_runs(pilot, app)
        assert len(table.runs) == len(HOSTILE) + 1
        columns = [c.key for c in table.columns_shown]
        for text in HOSTILE.values():
            assert f"m:{_key('m', text)}" in columns and f"p:{_key('p', text)}" in columns
        text = assert_inert(app, "\\x1b]0;pwned", "\\x9b31m", "\\u202e", "params.p")
        assert "m \\x1b]0;pwne" in text  # a hostile metric key as a column label
        # A key MLflow's grammar cannot quote: sorting by it is refused in a notification.
        table.focus()
        table.move_cursor(column=columns.index(f"p:{SORTLESS}"))
        await pilot.press("s")
        await settle(pilot)
        assert any("cannot sort" in n for n in _notes(app)), _notes(app)
        assert_inert(app, 'params.both`"quotes')
        assert isinstance(app.screen, MainScreen) and app.is_running

    run_ui(store, body, size=(420, 60))


def test_run_detail_every_tab_chart_and_artifacts_are_inert(hostile_root) -> None:
    root, ids = hostile_root
    store = FileStore(root)

    async def body(pilot, app):
        app.push_screen(RunDetailScreen(store.get_run(ids["sink"])))
        await settle(pilot)
        assert_inert(app, "sink")
        for tab in ("2", "3", "4"):  # params, metrics, tags: keys and values
            await pilot.press(tab)
            await settle(pilot)
            prefix = {"2": "p", "3": "m", "4": "t"}[tab]
            keys = [f"{prefix} {_shown_key(label)}" for label in HOSTILE if label != "osc8"]
            values = [] if tab == "3" else [SHOWN[label] for label in HOSTILE]
            assert_inert(app, *keys, *values)
        # The chart of a hostile metric key: its title names the key, inert.
        await pilot.press("3")
        metrics = app.screen.query_one("#metrics-table")
        metrics.move_cursor(row=metrics.get_row_index(_key("m", HOSTILE["title"])))
        await pilot.press("p")
        await settle(pilot)
        assert isinstance(app.screen, ChartScreen)
        assert_inert(app, "m \\x1b]0;pwned\\x07")
        await pilot.press("escape", "escape")
        await settle(pilot)
        assert isinstance(app.screen, MainScreen)
        # A run of one label: its name in the title, artifacts named after the value.
        for label in ("osc8", "ctl", "rlo"):
            app.push_screen(RunDetailScreen(store.get_run(ids[label])))
            await settle(pilot)
            assert_inert(app, f"{label} {SHOWN[label]}")
            await pilot.press("5")
            await settle(pilot)
            tree = app.screen.query_one(ArtifactTree)
            await pilot.press("j")  # the file: its preview shows the name and the content
            await settle(pilot)
            assert tree.has_focus
            assert_inert(app, ARTIFACT_SHOWN[label])
            await pilot.press("escape")
            await settle(pilot)
        assert isinstance(app.screen, MainScreen) and app.is_running

    run_ui(store, body, size=(300, 50))


def test_compare_and_models_are_inert(hostile_root) -> None:
    root, ids = hostile_root
    store = FileStore(root)

    async def body(pilot, app):
        table = await _open_all_runs(pilot, app)
        table.focus()
        await pilot.press("g")
        for _ in range(table.row_count):
            await pilot.press("space", "j")
        await pilot.press("c")
        await settle(pilot)
        assert isinstance(app.screen, CompareScreen)
        assert_inert(app, "p \\x1b]0;pwned\\x07", "\\x9b31m", "\\u2066")
        await pilot.press("escape")
        await settle(pilot)
        await pilot.press("m")
        await settle(pilot)
        assert isinstance(app.screen, ModelsScreen)
        assert_inert(app, "model \\x1b]0;pwned\\x07 \\x9b31m \\u202e \\x1b[2J")
        await pilot.press("tab")
        await settle(pilot)
        assert_inert(app, "\\x1b[31mred")  # the version's tag
        assert app.is_running

    run_ui(store, body, size=(420, 60))


def test_filter_error_quoting_a_hostile_key_is_inert(hostile_root) -> None:
    root, _ = hostile_root
    store = FileStore(root)

    async def body(pilot, app):
        await pilot.press("g", "enter")
        await settle(pilot)
        await pilot.press("slash")
        inp = app.screen.query_one("#filter-input", Input)
        # Pasted rather than typed: a key press of ESC is the escape key.
        inp.value = f"`k{HOSTILE['title']}{HOSTILE['rlo']}` = 1"
        await settle(pilot)
        error = app.screen.query_one("#filter-error")
        assert error.display
        # The message under the line; the Input itself echoes what was pasted as it is
        # (Textual's Input renders its value raw; see the report of issue 5).
        shown = "".join(
            seg.text for strip in error.render_lines(error.region.reset_offset) for seg in strip
        )
        assert not RAW.findall(shown), shown
        assert "k\\x1b]0;pwned\\x07abc\\u202etxt" in shown
        assert app.is_running

    run_ui(store, body, size=(200, 40))


def test_json_output_keeps_the_exact_values(hostile_root, tmp_path: Path) -> None:
    """Display only: `--format json` round-trips every raw value and key."""
    root, ids = hostile_root
    env = {k: v for k, v in os.environ.items() if not k.startswith("MLFLOW_TRACKING")}
    r = subprocess.run(
        [sys.executable, "-m", "tuiflow", "runs", str(root), "--format", "json"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={**env, "HOME": str(tmp_path)},
        timeout=120,
        check=False,
    )
    assert r.returncode == 0, r.stderr
    by_id = {d["run_id"]: d for d in json.loads(r.stdout)}
    for label, text in HOSTILE.items():
        run = by_id[ids[label]]
        assert run["run_name"] == f"{label} {text}"
        assert run["params"]["p"] == text and run["tags"]["t"] == text
        assert by_id[ids["sink"]]["params"][_key("p", text)] == text
        assert by_id[ids["sink"]]["metrics"][_key("m", text)] == pytest.approx(
            list(HOSTILE).index(label) + 1
        )


# -- 2 and 3. a damaged store: warned about, listed, browsable ------------------------------

BAD_METRIC = "bad \x1b]0;pwned\x07 \u202e"


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory):
    return build_base(tmp_path_factory.mktemp("ui-damaged-base") / "mlruns")


@pytest.fixture
def damaged(base, tmp_path: Path) -> Path:
    """a2's meta.yaml cut short; b1 with a binary metric file whose name is hostile."""
    root = copy_store(base.root, tmp_path / "mlruns")
    a2 = root / base.exp_ids["alpha"] / base.run_ids["a2"] / "meta.yaml"
    a2.write_text(a2.read_text()[:40])
    b1 = root / base.exp_ids["beta"] / base.run_ids["b1"]
    (b1 / "metrics" / BAD_METRIC).write_bytes(random.Random(3).randbytes(2048))
    return root


def test_damaged_store_warns_lists_problems_and_stays_browsable(base, damaged: Path) -> None:
    before = snapshot(damaged)
    store = FileStore(damaged)

    async def body(pilot, app):
        await choose(pilot, app, "beta")
        table = app.screen.query_one(RunsTable)
        assert {r.run_name for r in table.runs} == {"b2"}
        await choose(pilot, app, "alpha")
        assert {r.run_name for r in table.runs} == {"a1", "a3"}
        problems = store.warnings
        assert len(problems) >= 2, problems
        notes = [n for n in _notes(app) if "problem" in n]
        assert notes and f"{len(problems)} problems reading the store" in notes[-1], notes
        assert "Show problems" in notes[-1]
        # The palette offers the list; it shows the paths, inert.
        listed = {c.description: c for c in screen_commands(app.screen)}
        listed["Show problems"].run()
        await settle(pilot)
        assert isinstance(app.screen, ProblemsScreen)
        problems_table = app.screen.query_one("#problems-table")
        assert problems_table.row_count == len(problems)
        text = assert_inert(app, "bad \\x1b]0;pwned\\x07 \\u202e", base.run_ids["a2"])
        assert "Problems reading the store" in text
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, MainScreen)
        # Browse on: a healthy run's detail, every tab, its chart.
        table.focus()
        await pilot.press("g", "enter")
        await settle(pilot)
        assert isinstance(app.screen, RunDetailScreen)
        assert app.screen.current.run_name in {"a1", "a3"}
        for tab in "12345":
            await pilot.press(tab)
            await settle(pilot)
        await pilot.press("3", "p")
        await settle(pilot)
        assert isinstance(app.screen, ChartScreen)
        await pilot.press("escape", "escape")
        await settle(pilot)
        assert isinstance(app.screen, MainScreen) and app.is_running
        assert not any("internal error" in n.lower() for n in _notes(app)), _notes(app)

    run_ui(store, body, size=(160, 48))
    assert snapshot(damaged) == before


def test_problems_screen_is_bounded(sample_store) -> None:
    many = [f"run {i}: meta.yaml \x1b[2J" for i in range(SHOWN_MAX + 20)]

    async def body(pilot, app):
        app.push_screen(ProblemsScreen(many))
        await settle(pilot)
        table = app.screen.query_one("#problems-table")
        assert table.row_count == SHOWN_MAX + 1
        last = table.get_row_at(SHOWN_MAX)[0]
        assert isinstance(last, Text) and last.plain == "… and 20 more"
        assert_inert(app, "run 0: meta.yaml \\x1b[2J")
        assert not any(c.description == "Show problems" for c in screen_commands(app.screen))

    run_ui(sample_store, body)
