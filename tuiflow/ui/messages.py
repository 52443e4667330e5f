"""Messages the UI's workers and widgets send up: small dataclasses (habit 5).

Workers run in threads and never touch widgets; they post one of these and the widget
that owns the data applies it on the event loop. `generation` lets a widget drop the
answer of a request that a newer one has already replaced.
"""

from __future__ import annotations

from dataclasses import dataclass

from textual.message import Message

from tuiflow.entities import Experiment, Metric, Run, ViewType


@dataclass
class ExperimentsLoaded(Message):
    experiments: tuple[Experiment, ...]
    view: ViewType


@dataclass
class ExperimentsChosen(Message):
    """The experiments whose runs should be shown (the marked ones, or the one selected)."""

    experiments: tuple[Experiment, ...]
    focus_runs: bool = True


@dataclass
class RunsLoaded(Message):
    generation: int
    runs: tuple[Run, ...]
    next_page_token: str | None
    append: bool


@dataclass
class RunsCounted(Message):
    """Total runs of an experiment set without a filter, for "N of M runs"."""

    experiment_ids: tuple[str, ...]
    total: int
    complete: bool  # False when counting stopped at the cap


@dataclass
class LoadFailed(Message):
    what: str  # "experiments", "runs", "run", "history"
    error: Exception
    generation: int = 0


@dataclass
class RunsStatus(Message):
    """What the status bar says about the runs pane."""

    experiments: tuple[Experiment, ...]
    shown: int
    more: bool  # another page exists
    total: int | None  # unfiltered total when a filter is applied and it is known
    total_complete: bool
    filtered: bool
    loading: bool
    view: ViewType = ViewType.ACTIVE_ONLY  # which runs: active, deleted or all
    watching: float | None = None  # watch-mode interval in seconds, None when off
    examined: int | None = None  # runs the store has looked at so far in a long load

    def can_replace(self, message: Message) -> bool:
        # Only the latest state matters; a burst of page loads collapses into one update.
        return isinstance(message, RunsStatus)


@dataclass
class ChildRunsLoaded(Message):
    """The runs whose `mlflow.parentRunId` is `run_id` (for the run detail overview)."""

    run_id: str
    children: tuple[Run, ...]


@dataclass
class RunsProgress(Message):
    """A long runs load has examined `examined` runs so far (from the worker thread)."""

    generation: int
    examined: int

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, RunsProgress) and message.generation == self.generation


@dataclass
class RunChosen(Message):
    run: Run


@dataclass
class FilterApplied(Message):
    text: str
    # From an `order by …` suffix in the filter line; None when the line has none.
    order_by: tuple[str, ...] | None = None


@dataclass
class RunLoaded(Message):
    run: Run


@dataclass
class MetricHistoryLoaded(Message):
    run_id: str
    key: str
    history: tuple[Metric, ...]


@dataclass
class RunsRefreshed(Message):
    """A watch-mode poll's answer (see `tuiflow.ui.watch.poll`)."""

    generation: int
    runs: tuple[Run, ...]
    next_page_token: str | None
    first_page_only: bool


@dataclass
class RunsUpdated(Message):
    """Watch mode changed runs in the table; bubbles from the runs pane to the app.

    A screen on top (a metric chart) does not receive it: the runs pane also calls that
    screen's `refresh_histories()` when it has one.
    """

    run_ids: tuple[str, ...]


@dataclass
class StoreRetrying(Message):
    """The store is retrying a read ("… answered HTTP 503, retrying (1/3)…"); from a thread."""

    text: str
