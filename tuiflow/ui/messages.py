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

    def can_replace(self, message: Message) -> bool:
        # Only the latest state matters; a burst of page loads collapses into one update.
        return isinstance(message, RunsStatus)


@dataclass
class RunChosen(Message):
    run: Run


@dataclass
class FilterApplied(Message):
    text: str


@dataclass
class RunLoaded(Message):
    run: Run


@dataclass
class MetricHistoryLoaded(Message):
    run_id: str
    key: str
    history: tuple[Metric, ...]
