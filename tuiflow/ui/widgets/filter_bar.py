"""The filter bar: MLflow filter syntax, checked as you type, applied on Enter.

A bad filter shows the parser's message with a caret under the offending token and is
never sent to the store. Up/Down walk the filter history; Esc clears the filter.
tuiflow's OR / NOT / parentheses are accepted, and an `order by key [ASC|DESC], …` suffix
sets the runs' order (see `filter_suggest`). A dropdown suggests prefixes, keys,
comparators and values from the loaded runs (`filter_complete`).
"""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Input, Label, Static

from tuiflow.entities import Run
from tuiflow.errors import QueryError
from tuiflow.textsafe import inert
from tuiflow.ui import keys
from tuiflow.ui.filter_line import check_filter_line, split_order_by
from tuiflow.ui.filter_suggest import Vocabulary, vocabulary
from tuiflow.ui.history import FilterHistory
from tuiflow.ui.messages import FilterApplied
from tuiflow.ui.widgets.filter_complete import FilterAutoComplete

PLACEHOLDER = "metrics.eval_acc > 0.9 and params.C = '1.0'  (OR, NOT, ( ), order by …)"


def check(text: str) -> QueryError | None:
    """The QueryError the filter line would raise (filter, then `order by`), or None."""
    return check_filter_line(text)[1]


class FilterBar(Vertical):
    BINDINGS = keys.FILTER

    DEFAULT_CSS = """
    FilterBar {
        height: auto;
    }
    FilterBar > Horizontal {
        height: 1;
    }
    FilterBar Label {
        width: auto;
        color: $text-muted;
        padding: 0 0 0 1;
    }
    FilterBar Input {
        border: none;
        height: 1;
        padding: 0 1;
        width: 1fr;
        background: $boost;
    }
    FilterBar Input:focus {
        border: none;
        background: $surface-lighten-1;
    }
    FilterBar #filter-error {
        height: auto;
        color: $error;
        display: none;
    }
    FilterBar.-invalid #filter-error {
        display: block;
    }
    """

    def __init__(self, history: FilterHistory) -> None:
        super().__init__(id="filter-bar")
        self.history = history
        self.applied = ""
        self.error: QueryError | None = None
        self._vocabulary: Vocabulary | None = Vocabulary()
        self._learned: list[Run] = []

    def compose(self) -> ComposeResult:
        with Horizontal():
            yield Label("filter")
            yield Input(placeholder=PLACEHOLDER, id="filter-input", select_on_focus=False)
        yield Static(id="filter-error")

    def on_mount(self) -> None:
        self.mount(FilterAutoComplete(self.input, lambda: self.vocabulary))

    def learn(self, runs: list[Run]) -> None:
        """Suggest the keys and values of these runs (the ones loaded now).

        Worked out when first asked for, not per page: with tens of thousands of runs
        loaded, reading them all again for every page would hold up the keyboard."""
        self._learned = runs
        self._vocabulary = None

    @property
    def vocabulary(self) -> Vocabulary:
        if self._vocabulary is None:
            self._vocabulary = vocabulary(self._learned)
        return self._vocabulary

    @property
    def input(self) -> Input:
        return self.query_one("#filter-input", Input)

    @on(Input.Changed, "#filter-input")
    def _on_changed(self, event: Input.Changed) -> None:
        event.stop()
        self.show_error(check(event.value))

    @on(Input.Submitted, "#filter-input")
    def _on_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        text = event.value.strip()
        error = check(text)
        self.show_error(error)
        if error is not None:
            self.app.bell()
            return
        self.history.add(text)
        self.applied = text
        line = split_order_by(text)
        order = line.order_by if line.order_start is not None else None
        self.post_message(FilterApplied(line.filter, order))

    def drop_order_by(self) -> None:
        """Remove an `order by` suffix from the line (a column sort replaced it)."""
        line = split_order_by(self.input.value)
        if line.order_start is not None:
            self.input.value = line.filter
        self.applied = split_order_by(self.applied).filter

    def action_clear(self) -> None:
        self.input.value = ""
        self.show_error(None)
        self.history.reset()
        self.applied = ""
        # Posted even when no filter was applied: the pane moves focus back to the table.
        self.post_message(FilterApplied(""))

    def action_history(self, direction: int) -> None:
        text = self.history.previous() if direction < 0 else self.history.next()
        if text is not None:
            complete = self.query_one(FilterAutoComplete)
            with complete.prevent(Input.Changed):
                self.input.value = text
                self.input.cursor_position = len(text)
            self.show_error(check(text))
            complete.dismiss()  # Up/Down keep walking the history, not a dropdown

    def show_error(self, error: QueryError | None) -> None:
        """Show `error` under the input, with a caret at its offset; None hides it."""
        self.error = error
        self.set_class(error is not None, "-invalid")
        if error is None:
            self.query_one("#filter-error", Static).update("")
            return
        message = Text(inert(error.message, single_line=True))
        if error.offset is None:
            self.query_one("#filter-error", Static).update(message)
            return
        inp = self.input
        # Column of the offending character: where the input's text starts, minus how far
        # the input has scrolled horizontally.
        column = inp.content_region.x - self.region.x + error.offset - inp.scroll_offset.x
        caret = Text(" " * max(column, 0) + "^", style="bold")
        self.query_one("#filter-error", Static).update(Text("\n").join([caret, message]))
