"""Snapshot tests of the explorer's screens at 80×24 and 160×48 (pytest-textual-snapshot).

Regenerate after a deliberate change with
`pytest tests/ui/test_snapshots.py --snapshot-update` and look at the SVGs in
`__snapshots__/test_snapshots/` before committing them.

Everything a screen shows must be the same on every machine and every run:
- the sample store is copied to a fixed absolute path (the status bar shows it),
- "now" is the sample's anchor (`fixed_clock` in conftest.py) and absolute times are UTC,
- no user config, an empty filter history in a temporary file, a fixed theme, no NO_COLOR,
- store calls run in workers: every screen waits until they and their follow-ups are done,
- input cursors do not blink (a blink would flip on a 0.5 s timer).
The artifacts tab is left out: the sample's artifact URIs name the machine that wrote it,
and image previews depend on what the terminal reports about its graphics support.
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.widgets import Input
from uihelp import SAMPLE, choose, settle

from tuiflow.stores.file import FileStore
from tuiflow.ui.app import TuiflowApp
from tuiflow.ui.screens.chart import ChartScreen
from tuiflow.ui.screens.compare import CompareScreen
from tuiflow.ui.screens.help import HelpScreen
from tuiflow.ui.screens.models import ModelsScreen
from tuiflow.ui.screens.run_detail import RunDetailScreen
from tuiflow.ui.widgets.filter_bar import FilterBar

# Shown in the status bar, so it has to be the same path everywhere (not pytest's tmp_path).
SNAPSHOT_ROOT = Path("/tmp/tuiflow-snapshots")
SNAPSHOT_SAMPLE = SNAPSHOT_ROOT / "sample_mlruns"
THEME = "textual-dark"
SIZES = pytest.mark.parametrize("size", [(80, 24), (160, 48)], ids=["80x24", "160x48"])

Steps = Callable[[Pilot], Awaitable[None]]


@pytest.fixture(scope="session")
def snapshot_sample() -> Iterator[Path]:
    """A fresh copy of sample_mlruns at SNAPSHOT_SAMPLE for this session."""
    SNAPSHOT_ROOT.mkdir(parents=True, exist_ok=True)
    staging = SNAPSHOT_ROOT / f".staging-{os.getpid()}"
    shutil.rmtree(staging, ignore_errors=True)
    shutil.copytree(SAMPLE, staging)
    shutil.rmtree(SNAPSHOT_SAMPLE, ignore_errors=True)
    staging.rename(SNAPSHOT_SAMPLE)
    yield SNAPSHOT_SAMPLE
    shutil.rmtree(SNAPSHOT_SAMPLE, ignore_errors=True)


@pytest.fixture(autouse=True)
def quiet_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    monkeypatch.setenv("TUIFLOW_CONFIG", str(tmp_path / "no-such-config.toml"))
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setenv("TZ", "UTC")  # absolute times (humanize.timestamp) use the local zone
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


@pytest.fixture
def make_app(snapshot_sample: Path, tmp_path: Path) -> Iterator[Callable[[], TuiflowApp]]:
    stores: list[FileStore] = []

    def make() -> TuiflowApp:
        store = FileStore(snapshot_sample)
        stores.append(store)
        return TuiflowApp(store, history_path=tmp_path / "filter_history", theme=THEME)

    yield make
    for store in stores:
        store.close()


def steady(steps: Steps | None = None) -> Callable[[Pilot], Awaitable[None]]:
    """`run_before` for snap_compare: load, do `steps`, then let the screen come to rest."""

    async def run_before(pilot: Pilot) -> None:
        await settle(pilot)
        if steps is not None:
            await steps(pilot)
            await settle(pilot)
        for screen in pilot.app.screen_stack:
            for field in screen.query(Input):
                field.cursor_blink = False  # also leaves the cursor visible
        await pilot.wait_for_scheduled_animations()
        await settle(pilot)

    return run_before


async def _iris(pilot: Pilot) -> None:
    await choose(pilot, pilot.app, "iris_experiment")  # type: ignore[arg-type]


async def _type_filter(pilot: Pilot, text: str) -> None:
    await _iris(pilot)
    await pilot.press("slash", *text)
    await settle(pilot)


@SIZES
def test_main_screen(snap_compare, make_app, size):
    """Experiments on the left, the runs of iris_experiment on the right."""
    assert snap_compare(make_app(), terminal_size=size, run_before=steady(_iris))


@SIZES
def test_main_screen_filtered(snap_compare, make_app, size):
    """The filter `metrics.eval_acc > 0.9` applied: fewer rows, 'N of M runs'."""

    async def steps(pilot: Pilot) -> None:
        await _type_filter(pilot, "metrics.eval_acc > 0.9")
        await pilot.press("enter")
        await settle(pilot)
        bar = pilot.app.screen.query_one(FilterBar)
        assert bar.applied == "metrics.eval_acc > 0.9" and bar.error is None

    assert snap_compare(make_app(), terminal_size=size, run_before=steady(steps))


@SIZES
def test_bad_filter_shows_caret(snap_compare, make_app, size):
    """A filter MLflow rejects: the message, with a caret under the offending token."""

    async def steps(pilot: Pilot) -> None:
        await _type_filter(pilot, "metrics.eval_acc > 0.9 and params.C >")
        await pilot.press("enter")  # refused: stays in the bar with the error
        await settle(pilot)
        assert pilot.app.screen.query_one(FilterBar).error is not None

    assert snap_compare(make_app(), terminal_size=size, run_before=steady(steps))


async def _open_first_run(pilot: Pilot) -> None:
    await _iris(pilot)
    await pilot.press("g", "enter")
    await settle(pilot)
    assert isinstance(pilot.app.screen, RunDetailScreen)


@SIZES
def test_run_detail_overview(snap_compare, make_app, size):
    assert snap_compare(make_app(), terminal_size=size, run_before=steady(_open_first_run))


@SIZES
def test_run_detail_metrics(snap_compare, make_app, size):
    async def steps(pilot: Pilot) -> None:
        await _open_first_run(pilot)
        await pilot.press("3")

    assert snap_compare(make_app(), terminal_size=size, run_before=steady(steps))


@SIZES
def test_chart_of_loss_for_one_run(snap_compare, make_app, size):
    async def steps(pilot: Pilot) -> None:
        await _iris(pilot)
        await pilot.press("g", "p")
        await settle(pilot)
        screen = pilot.app.screen
        assert isinstance(screen, ChartScreen) and screen.metric == "loss"

    assert snap_compare(make_app(), terminal_size=size, run_before=steady(steps))


@SIZES
def test_compare_three_marked_runs(snap_compare, make_app, size):
    async def steps(pilot: Pilot) -> None:
        await _iris(pilot)
        await pilot.press("g", "space", "space", "space", "c")  # space marks and moves down
        await settle(pilot)
        assert isinstance(pilot.app.screen, CompareScreen)

    assert snap_compare(make_app(), terminal_size=size, run_before=steady(steps))


@SIZES
def test_models_view(snap_compare, make_app, size):
    async def steps(pilot: Pilot) -> None:
        await pilot.press("m")
        await settle(pilot)
        assert isinstance(pilot.app.screen, ModelsScreen)

    assert snap_compare(make_app(), terminal_size=size, run_before=steady(steps))


@SIZES
def test_help_screen(snap_compare, make_app, size):
    async def steps(pilot: Pilot) -> None:
        await pilot.press("question_mark")
        await settle(pilot)
        assert isinstance(pilot.app.screen, HelpScreen)

    assert snap_compare(make_app(), terminal_size=size, run_before=steady(steps))

