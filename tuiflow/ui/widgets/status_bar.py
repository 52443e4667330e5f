"""One line at the bottom: where we are, what is shown, whether something is loading."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from tuiflow.entities import ViewType
from tuiflow.textsafe import inert
from tuiflow.ui.messages import RunsStatus

SEP = " │ "


def runs_count(status: RunsStatus) -> str:
    """'12 runs', '3 of 12 runs', '500+ runs', '3 of 1000+ runs'."""
    shown = f"{status.shown}{'+' if status.more else ''}"
    noun = "run" if status.shown == 1 and not status.more else "runs"
    if status.filtered and status.total is not None:
        total = f"{status.total}{'' if status.total_complete else '+'}"
        return f"{shown} of {total} runs"
    return f"{shown} {noun}"


def seconds(value: float) -> str:
    """'5s', '0.5s': an interval as people write it."""
    return f"{value:g}s"


class StatusBar(Static):
    DEFAULT_CSS = """
    StatusBar {
        height: 1;
        padding: 0 1;
        background: $panel;
        color: $text;
    }
    """

    def __init__(self, display_uri: str, read_only: bool) -> None:
        super().__init__(id="status-bar")
        self.display_uri = display_uri
        self.read_only = read_only
        self.runs: RunsStatus | None = None
        self.experiments_loading = False

    def on_mount(self) -> None:
        self._render_line()

    def set_runs(self, status: RunsStatus) -> None:
        self.runs = status
        self._render_line()

    def set_experiments_loading(self, loading: bool) -> None:
        self.experiments_loading = loading
        self._render_line()

    def _render_line(self) -> None:
        line = Text(no_wrap=True, overflow="ellipsis")
        line.append(inert(self.display_uri, single_line=True), style="bold")
        if self.read_only:
            line.append(" [read-only]", style="dim")
        status = self.runs
        if status is not None and status.experiments:
            names = [e.name for e in status.experiments]
            where = names[0] if len(names) == 1 else f"{len(names)} experiments"
            line.append(SEP)
            line.append(inert(where, single_line=True))
            line.append(SEP)
            line.append(runs_count(status))
            if status.view is not ViewType.ACTIVE_ONLY:
                line.append(f" ({status.view.value})", style="bold")
        if status is not None and status.watching is not None:
            line.append(SEP)
            line.append(f"watching {seconds(status.watching)}", style="bold")
        if self.experiments_loading or (status is not None and status.loading):
            line.append(SEP)
            line.append("loading…", style="italic")
            if status is not None and status.loading and status.examined:
                line.append(f" {status.examined:,} runs read (esc cancels)", style="italic")
        self.update(line)
