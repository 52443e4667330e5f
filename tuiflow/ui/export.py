"""Export (`e`): the runs of the current view to a CSV or JSON file.

The JSON is exactly what `tuiflow runs --format json` prints for the same experiments,
filter, order and view, and the CSV is `runs_to_csv`, so scripts read either the same
way. The format comes from the file's extension. The modal only asks for the path; the
runs pane fetches any pages not loaded yet and writes in a worker.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label

from tuiflow import serialize
from tuiflow.entities import Run
from tuiflow.ui import clock, keys
from tuiflow.ui.screens.quiet_focus import QuietFocus

FORMATS = {".json": "json", ".csv": "csv"}
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


class ExportError(ValueError):
    """A path the export cannot write; the message is one line."""


def default_path(experiment_names: Sequence[str], suffix: str = ".csv") -> Path:
    """./tuiflow-export-<experiment>-<timestamp><suffix>, safe on every file system."""
    if len(experiment_names) == 1:
        label = experiment_names[0]
    else:
        label = f"{len(experiment_names)}-experiments"
    label = _UNSAFE.sub("_", label).strip("._-")[:40] or "runs"
    stamp = datetime.fromtimestamp(clock.now_ms() / 1000).strftime("%Y%m%d-%H%M%S")
    return Path(f"tuiflow-export-{label}-{stamp}{suffix}")


def format_of(path: Path) -> str:
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise ExportError(f"{path.name}: the file name must end in .csv or .json")
    return fmt


def render(runs: Sequence[Run], fmt: str) -> str:
    if fmt == "json":
        # The CLI ends its output with a newline; an export compares equal to it.
        return serialize.dumps([serialize.run_to_dict(r) for r in runs]) + "\n"
    return serialize.runs_to_csv(runs)


def write(path: Path, runs: Sequence[Run]) -> Path:
    """Write `runs` to `path` (format from the extension); the absolute path written."""
    fmt = format_of(path)
    target = path.expanduser()
    if target.is_dir():
        raise ExportError(f"{target} is a folder; give a file name ending in .csv or .json")
    text = render(runs, fmt)
    try:
        target.write_text(text, encoding="utf-8", newline="")
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise ExportError(f"cannot write {target}: {reason}") from None
    return target.resolve()


class ExportScreen(QuietFocus, ModalScreen[Path | None]):
    """Asks where to write; answers the path typed, or None on esc."""

    BINDINGS = keys.EXPORT
    DEFAULT_CSS = """
    ExportScreen {
        align: center middle;
    }
    ExportScreen > Vertical {
        width: 80%;
        max-width: 100;
        height: auto;
        border: round $accent;
        background: $surface;
        padding: 0 1;
    }
    ExportScreen Input {
        margin: 1 0 0 0;
    }
    ExportScreen #export-error {
        color: $error;
    }
    ExportScreen Label {
        color: $text-muted;
    }
    """

    def __init__(self, default: Path, count: str) -> None:
        super().__init__()
        self.default = default
        self.count = count

    def compose(self) -> ComposeResult:
        with Vertical() as box:
            box.border_title = f"Export {self.count}"
            yield Input(str(self.default), id="export-path", select_on_focus=False)
            yield Label("", id="export-error", markup=False)
            yield Label("format from the extension: .csv or .json · enter write · esc cancel")

    def on_mount(self) -> None:
        self.query_one(Input).focus()

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        path = Path(event.value.strip())
        if not event.value.strip():
            self.query_one("#export-error", Label).update("give a file name")
            return
        try:
            format_of(path)
        except ExportError as exc:
            self.query_one("#export-error", Label).update(str(exc))
            return
        self.dismiss(path)

    def action_cancel(self) -> None:
        self.dismiss(None)
