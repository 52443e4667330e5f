"""The filter bar's dropdown: `filter_suggest.suggest` shown with textual-autocomplete.

Items are already filtered and ordered by `suggest`, so the library's fuzzy matching is
bypassed. A completion replaces only the word at the cursor and adds a space after a
finished word (not after `metrics.`), then the next suggestions appear at once when they
are worth it (comparators after a key, values after a comparator).
"""

from __future__ import annotations

from collections.abc import Callable

from textual.widgets import Input
from textual_autocomplete import AutoComplete, DropdownItem, TargetState

from tuiflow.textsafe import inert
from tuiflow.ui.filter_suggest import Completion, Vocabulary, suggest


class FilterAutoComplete(AutoComplete):
    DEFAULT_CSS = """
    FilterAutoComplete {
        max-height: 10;
    }
    """

    def __init__(self, target: Input, vocabulary: Callable[[], Vocabulary]) -> None:
        super().__init__(target, candidates=None, id="filter-complete")
        self._vocabulary = vocabulary
        self._last: tuple[str, int, Completion] | None = None

    def completion(self, state: TargetState) -> Completion:
        cached = self._last
        if cached is not None and cached[:2] == (state.text, state.cursor_position):
            return cached[2]
        found = suggest(state.text, state.cursor_position, self._vocabulary())
        self._last = (state.text, state.cursor_position, found)
        return found

    def get_search_string(self, target_state: TargetState) -> str:
        c = self.completion(target_state)
        return target_state.text[c.start : target_state.cursor_position]

    def get_candidates(self, target_state: TargetState) -> list[DropdownItem]:
        # inert(): keys and values come from the store; shown as plain text only.
        return [
            DropdownItem(inert(item, single_line=True), id=f"s{i}")
            for i, item in enumerate(self.completion(target_state).items)
            if inert(item, single_line=True) == item
        ]

    def get_matches(
        self, target_state: TargetState, candidates: list[DropdownItem], search_string: str
    ) -> list[DropdownItem]:
        return candidates

    def should_show_dropdown(self, search_string: str) -> bool:
        options = self.option_list
        if options.option_count == 0:
            return False
        completion = self.completion(self._get_target_state())
        if not search_string and not completion.eager:
            return False
        if options.option_count == 1:
            only = options.get_option_at_index(0)
            return getattr(only, "value", None) != search_string
        return True

    def apply_completion(self, value: str, state: TargetState) -> None:
        c = self.completion(state)
        tail = state.text[state.cursor_position :]
        glue = "" if value.endswith(".") or tail.startswith(" ") else " "
        head = state.text[: c.start] + value + glue
        target = self.target
        with self.prevent(Input.Changed):
            target.value = head + tail
            target.cursor_position = len(head)

    def post_completion(self) -> None:
        self.refresh_suggestions()

    def refresh_suggestions(self) -> None:
        """Recompute for the current text and cursor; show only if worth it."""
        state = self._get_target_state()
        search = self.get_search_string(state)
        self._rebuild_options(state, search)
        if self.should_show_dropdown(search):
            self.action_show()
        else:
            self.action_hide()

    def dismiss(self) -> None:
        """Hide and forget the options, so Up/Down go back to the filter history."""
        self.option_list.clear_options()
        self.action_hide()
