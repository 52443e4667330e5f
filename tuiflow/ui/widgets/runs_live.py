"""The runs pane's live side: watch mode (`w`) and export (`e`).

A mixin of `RunsPane` (which owns the view: experiments, filter, order, view type and
the loaded runs) so that module stays about loading pages. Both features call the store
in thread workers; their answers come back as messages or notifications.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from textual import work
from textual.timer import Timer
from textual.worker import get_current_worker

from tuiflow.textsafe import inert
from tuiflow.ui import export, watch
from tuiflow.ui.messages import RunsRefreshed, RunsUpdated

if TYPE_CHECKING:
    from tuiflow.ui.widgets.runs_pane import RunsPane

    _Base = RunsPane
else:
    _Base = object


class RunsLive(_Base):
    def init_live(self) -> None:
        self.watch_seconds: float | None = None
        self._watch_timer: Timer | None = None
        self._polling = False

    def start_live(self) -> None:
        start = getattr(self.app, "watch_start", None)
        if start:
            self.set_watch(start)

    def _query(self) -> watch.Query:
        return watch.Query(
            self.experiment_ids, self.filter_text, self.order_by, self.view, self.page_size
        )

    # -- watch mode --------------------------------------------------------------------------

    def toggle_watch(self) -> None:
        if self.watch_seconds is not None:
            self.set_watch(None)
        else:
            self.set_watch(float(getattr(self.app, "watch_interval", watch_default())))

    def set_watch(self, seconds: float | None) -> None:
        if self._watch_timer is not None:
            self._watch_timer.stop()
            self._watch_timer = None
        self.watch_seconds = seconds
        if seconds is not None:
            self._watch_timer = self.set_interval(seconds, self._tick)
        self._post_status()

    def _tick(self) -> None:
        # A poll still running, or a page being loaded, answers this tick already.
        if self._polling or self.fetching or not self.experiments:
            return
        self._polling = True
        self._poll(self.generation, self._query(), tuple(self.runs))

    @work(thread=True, exclusive=True, group="runs-watch", exit_on_error=False)
    def _poll(self, generation: int, query: watch.Query, loaded: tuple) -> None:
        worker = get_current_worker()
        try:
            polled = watch.poll(
                self.app.store,
                query,
                loaded,
                lambda: worker.is_cancelled,  # type: ignore[attr-defined]
            )
        except Exception as exc:  # a server that went away: say so, keep watching
            self.app.call_from_thread(self._poll_failed, exc)
            return
        if polled is None:
            self.app.call_from_thread(setattr, self, "_polling", False)
            return
        self.post_message(
            RunsRefreshed(generation, polled.runs, polled.next_page_token, polled.first_page_only)
        )

    def _poll_failed(self, exc: Exception) -> None:
        self._polling = False
        self.notify(
            inert(str(exc), single_line=True),
            title="Watch: could not refresh runs",
            severity="warning",
            markup=False,
        )

    def on_runs_refreshed(self, message: RunsRefreshed) -> None:
        message.stop()
        self._polling = False
        if message.generation != self.generation or self.fetching:
            return  # the view changed meanwhile; its own load answers
        before = {r.run_id: r for r in self.runs}
        self.runs = list(message.runs)
        if message.first_page_only:
            self.next_token = message.next_page_token
        self.table.update_runs(self.runs)
        self._set_empty(
            None if self.runs else ("no runs match the filter" if self.filter_text else "no runs")
        )
        self._post_status()
        changed = tuple(r.run_id for r in self.runs if before.get(r.run_id) != r)
        if changed:
            self.post_message(RunsUpdated(changed))
            self._refresh_chart(set(changed))

    def _refresh_chart(self, changed: set[str]) -> None:
        """A metric chart on top (screens/chart.py) re-reads its histories if they moved."""
        top = self.app.screen
        refresh = getattr(top, "refresh_histories", None)
        if not callable(refresh):
            return
        charted = {r.run_id for r in getattr(top, "runs", ())}
        if charted & changed:
            refresh([r for r in self.runs if r.run_id in changed])

    # -- export ------------------------------------------------------------------------------

    def export(self) -> None:
        if not self.experiments:
            self.notify("Choose an experiment first", severity="warning")
            return
        names = [e.name for e in self.experiments]
        shown = f"{len(self.runs)}{'+' if self.next_token else ''}"
        count = f"{shown} run{'' if shown == '1' else 's'}"

        def chosen(path: Path | None) -> None:
            if path is not None:
                self._export(path, self._query(), tuple(self.runs), self.next_token)

        self.app.push_screen(export.ExportScreen(export.default_path(names), count), chosen)

    @work(thread=True, exclusive=True, group="runs-export", exit_on_error=False)
    def _export(self, path: Path, query: watch.Query, loaded: tuple, token: str | None) -> None:
        worker = get_current_worker()
        try:
            runs = watch.all_pages(
                self.app.store,
                query,
                loaded,
                token,
                lambda: worker.is_cancelled,  # type: ignore[attr-defined]
            )
            if runs is None:
                return
            written = export.write(path, runs)
        except export.ExportError as exc:
            self.app.call_from_thread(self._say, str(exc), "error")
            return
        except Exception as exc:  # the store failed while fetching the remaining pages
            self.app.call_from_thread(self._say, f"export failed: {exc}", "error")
            return
        noun = "run" if len(runs) == 1 else "runs"
        self.app.call_from_thread(
            self._say, f"Exported {len(runs)} {noun} to {written}", "information"
        )

    def _say(self, text: str, severity: str) -> None:
        self.notify(inert(text, single_line=True), severity=severity, markup=False)  # type: ignore[arg-type]


def watch_default() -> float:
    from tuiflow.config import DEFAULT_WATCH_SECONDS

    return DEFAULT_WATCH_SECONDS
