"""Small helpers shared by the Pilot tests (plain functions; pytest-asyncio is not used)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from datetime import datetime, timezone
from pathlib import Path

from textual.pilot import Pilot
from textual.widgets import DataTable
from textual.worker import WorkerCancelled

from tuiflow.ui.app import TuiflowApp
from tuiflow.ui.widgets.experiments_pane import ExperimentsTable
from tuiflow.ui.widgets.status_bar import StatusBar

REPO = Path(__file__).resolve().parents[2]
SAMPLE = REPO / "sample_mlruns"
# scripts/make_sample_store.py ANCHOR: the sample's runs start days before it.
ANCHOR_MS = int(datetime(2026, 11, 22, 6, 0, tzinfo=timezone.utc).timestamp() * 1000)

Body = Callable[[Pilot, TuiflowApp], Awaitable[None]]


def run_ui(
    store,
    body: Body,
    *,
    size=(120, 40),
    history_path: Path | None = None,
    settle_first: bool = True,
    **kw,
) -> None:
    """Run `body(pilot, app)` against a fresh app on `store`; fail if the app crashed."""

    async def main() -> None:
        app = TuiflowApp(store, history_path=history_path, **kw)
        async with app.run_test(size=size) as pilot:
            if settle_first:
                await settle(pilot)
            await body(pilot, app)
        assert app.return_code in (None, 0), "the app exited with an error"

    asyncio.run(main())


async def settle(pilot: Pilot, rounds: int = 20) -> None:
    """Let workers finish and their messages be handled, including follow-up requests."""
    app = pilot.app
    for _ in range(rounds):
        # A worker cancelled by a newer request of its exclusive group ended normally.
        with contextlib.suppress(WorkerCancelled):
            await app.workers.wait_for_complete()
        await pilot.pause()
        if not any(w.is_running for w in app.workers):
            await pilot.pause()
            if not any(w.is_running for w in app.workers):
                return


def row_keys(table: DataTable) -> list[str]:
    return [row.key.value for row in table.ordered_rows]  # type: ignore[misc]


def column_keys(table: DataTable) -> list[str]:
    return [col.key.value for col in table.ordered_columns]  # type: ignore[misc]


def plain(renderable: object) -> str:
    """Text of a widget's render() or a cell, without styles."""
    return getattr(renderable, "plain", str(renderable))


async def choose(pilot: Pilot, app: TuiflowApp, name: str) -> None:
    """Put the experiments cursor on `name` with g/j and press enter, as a user would."""
    table = app.screen.query_one(ExperimentsTable)
    exp = app.store.get_experiment_by_name(name)
    assert exp is not None, name
    table.focus()
    await pilot.press("g", *["j"] * table.get_row_index(exp.experiment_id), "enter")
    await settle(pilot)


def status_text(app: TuiflowApp) -> str:
    return plain(app.screen.query_one(StatusBar).render())
