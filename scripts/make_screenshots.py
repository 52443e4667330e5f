"""Save the README's screenshots: SVGs written by the explorer itself, into docs/.

Run it from anywhere with the package installed (``pip install -e .``)::

    python scripts/make_screenshots.py   # docs/runs-table.svg, chart.svg, compare.svg

It drives the real app headless over a copy of ``sample_mlruns`` (at a fixed path, since the status
bar shows it), with "now" pinned to the sample's anchor so relative times ("3d ago") and hence
the SVGs only change when the app or the sample does.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import shutil
import sys
import time
import zlib
from datetime import datetime, timezone
from pathlib import Path

from textual.pilot import Pilot
from textual.widgets import Input

from tuiflow.stores.file import FileStore
from tuiflow.ui import clock
from tuiflow.ui.app import TuiflowApp
from tuiflow.ui.screens.chart import ChartScreen
from tuiflow.ui.screens.compare import CompareScreen
from tuiflow.ui.widgets.experiments_pane import ExperimentsTable
from tuiflow.ui.widgets.filter_bar import FilterBar
from tuiflow.ui.widgets.runs_table import RunsTable

REPO = Path(__file__).resolve().parents[1]
SAMPLE = REPO / "sample_mlruns"
DEMO = Path("/tmp/tuiflow-demo/mlruns")  # what the status bar shows
# scripts/make_sample_store.py ANCHOR (not imported: that module patches uuid for MLflow).
ANCHOR_MS = int(datetime(2026, 11, 22, 6, 0, tzinfo=timezone.utc).timestamp() * 1000)
SIZE = (120, 32)
THEME = "textual-dark"
EXPERIMENT = "iris_experiment"
FILTER = "metrics.eval_acc > 0.9 order by metrics.eval_acc DESC"
MARKED_ROWS = (0, 1, 3)  # rows of the filtered table to mark: the chart overlays these runs


async def settle(pilot: Pilot) -> None:
    """Wait until store workers and the loads they trigger are done and drawn."""
    app = pilot.app
    for _ in range(20):
        await app.workers.wait_for_complete()
        await pilot.pause()
        if not any(w.is_running for w in app.workers):
            await pilot.pause()
            if not any(w.is_running for w in app.workers):
                break
    for field in app.screen.query(Input):
        field.cursor_blink = False  # a blinking cursor could be caught half-way
    await pilot.wait_for_scheduled_animations()
    await pilot.pause()


def save(app: TuiflowApp, out: Path, name: str) -> None:
    path = out / name
    svg = app.export_screenshot(title="tuiflow")
    # Rich tags ids and classes with a random number; a fixed one per file keeps the SVG
    # byte-identical between runs (so regenerating only shows real changes in git).
    svg = re.sub(r"\bterminal-\d+-", f"terminal-{zlib.crc32(name.encode())}-", svg)
    path.write_text(svg, encoding="utf-8")
    print(f"wrote {path}")


async def shoot(store: FileStore, out: Path) -> None:
    app = TuiflowApp(store, history_path=None, theme=THEME)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        experiments = app.screen.query_one(ExperimentsTable)
        exp = store.get_experiment_by_name(EXPERIMENT)
        assert exp is not None, f"{EXPERIMENT} is not in {store.display_uri}"
        experiments.focus()
        await pilot.press("g", *["j"] * experiments.get_row_index(exp.experiment_id), "enter")
        await settle(pilot)

        await pilot.press("slash", *FILTER, "enter")
        await settle(pilot)
        bar = app.screen.query_one(FilterBar)
        assert bar.error is None and bar.applied == FILTER, bar.error
        table = app.screen.query_one(RunsTable)
        table.focus()
        for row in MARKED_ROWS:
            table.move_cursor(row=row)
            await pilot.press("space")
        table.move_cursor(row=MARKED_ROWS[-1])
        await settle(pilot)
        save(app, out, "runs-table.svg")

        await pilot.press("p")
        await settle(pilot)
        chart = app.screen
        assert isinstance(chart, ChartScreen) and chart.metric == "loss", chart
        save(app, out, "chart.svg")

        await pilot.press("escape", "c")
        await settle(pilot)
        assert isinstance(app.screen, CompareScreen), app.screen
        save(app, out, "compare.svg")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=REPO / "docs", help="directory for the SVGs")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)

    shutil.rmtree(DEMO, ignore_errors=True)
    shutil.copytree(SAMPLE, DEMO)
    os.environ["TZ"] = "UTC"
    time.tzset()
    clock.now_ms = lambda: ANCHOR_MS  # the UI reads the time only through this
    store = FileStore(DEMO)
    try:
        asyncio.run(shoot(store, args.out))
    finally:
        store.close()
        shutil.rmtree(DEMO.parent, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
