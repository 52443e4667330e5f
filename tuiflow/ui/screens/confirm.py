"""Modals for write actions: confirm (saying exactly what changes), prompt, choice.

`ConfirmScreen` states the count, the experiment and the list (truncated), and for
permanent actions requires typing a word (the experiment name or the count) first.
`TransitionScreen` lists the versions "archive existing" would archive and toggles it.
Untrusted names are shown as plain Text, never markup.
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, OptionList, Static

from tuiflow.entities import ModelVersion
from tuiflow.textsafe import inert
from tuiflow.ui import keys
from tuiflow.ui.screens.quiet_focus import QuietFocus

LIST_LIMIT = 12
STAGES_DEPRECATED = (
    "Model stages are deprecated since MLflow 2.9 in favour of aliases (a: set alias)."
)

MODAL_CSS = """
ConfirmScreen, PromptScreen, ChoiceScreen, TransitionScreen { align: center middle; }
#modal-box {
    width: 80%; max-width: 100; height: auto; max-height: 90%;
    border: thick $warning; background: $surface; padding: 1 2;
}
#modal-box Static { height: auto; }
#modal-box OptionList { height: auto; max-height: 10; }
"""


def listing(items: Sequence[str], limit: int = LIST_LIMIT) -> Text:
    text = Text()
    for item in items[:limit]:
        text.append(f"  • {inert(item, single_line=True)}\n")
    if len(items) > limit:
        text.append(f"  … and {len(items) - limit} more\n", style="dim")
    return text


class ConfirmScreen(QuietFocus, ModalScreen[bool]):
    """y/enter confirms, n/escape cancels; with `require`, the typed text must equal it."""

    DEFAULT_CSS = MODAL_CSS
    BINDINGS = keys.CONFIRM

    def __init__(
        self, title: str, items: Sequence[str] = (), note: str = "", require: str | None = None
    ) -> None:
        super().__init__()
        self.title_text, self.items, self.note, self.require = title, list(items), note, require

    def compose(self) -> ComposeResult:
        with Vertical(id="modal-box"):
            yield Static(Text(inert(self.title_text, single_line=True), style="bold"), id="title")
            if self.items:
                yield Static(listing(self.items), id="items")
            if self.note:
                yield Static(Text(self.note, style="dim"))
            if self.require is not None:
                yield Static(Text(f"Type {self.require!r} to confirm, then Enter:"))
                yield Input(id="confirm-input")
            else:
                yield Static(Text("y / Enter: confirm    n / Esc: cancel", style="dim"))

    def on_mount(self) -> None:
        if self.require is not None:
            self.query_one("#confirm-input", Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if event.value == self.require:
            self.dismiss(True)
        else:
            self.notify("That does not match; nothing changed yet.", severity="warning")

    def action_yes(self) -> None:
        if self.require is None:
            self.dismiss(True)

    def action_no(self) -> None:
        self.dismiss(False)


class PromptScreen(QuietFocus, ModalScreen[tuple[str, ...] | None]):
    """One input per label; Enter on the last submits the values, Esc cancels."""

    DEFAULT_CSS = MODAL_CSS
    BINDINGS = keys.PROMPT

    def __init__(self, title: str, labels: Sequence[str], values: Sequence[str] = ()) -> None:
        super().__init__()
        self.title_text, self.labels = title, list(labels)
        self.values = list(values) + [""] * (len(labels) - len(values))

    def compose(self) -> ComposeResult:
        with Vertical(id="modal-box"):
            yield Static(Text(inert(self.title_text, single_line=True), style="bold"))
            for i, (label, value) in enumerate(zip(self.labels, self.values, strict=True)):
                yield Static(Text(label))
                yield Input(value=value, id=f"prompt-{i}")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        inputs = list(self.query(Input))
        index = inputs.index(event.input)
        if index < len(inputs) - 1:
            inputs[index + 1].focus()
            return
        self.dismiss(tuple(i.value for i in inputs))

    def action_cancel(self) -> None:
        self.dismiss(None)


class ChoiceScreen(QuietFocus, ModalScreen[str | None]):
    DEFAULT_CSS = MODAL_CSS
    BINDINGS = keys.PROMPT

    def __init__(self, title: str, options: Sequence[str]) -> None:
        super().__init__()
        self.title_text, self.options = title, list(options)

    def compose(self) -> ComposeResult:
        with Vertical(id="modal-box"):
            yield Static(Text(inert(self.title_text, single_line=True), style="bold"))
            yield OptionList(*self.options, id="choices")

    def on_mount(self) -> None:
        self.query_one(OptionList).focus()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.dismiss(self.options[event.option_index])

    def action_cancel(self) -> None:
        self.dismiss(None)


class TransitionScreen(QuietFocus, ModalScreen[bool | None]):
    """Confirm a stage transition; `a` toggles archive-existing. Dismisses with its value."""

    DEFAULT_CSS = MODAL_CSS
    BINDINGS = [*keys.CONFIRM, *keys.TRANSITION]

    def __init__(
        self, name: str, version: int, stage: str, would_archive: Sequence[ModelVersion]
    ) -> None:
        super().__init__()
        self.model_name, self.version, self.stage = name, version, stage
        self.would_archive = list(would_archive)
        self.archive = False

    def compose(self) -> ComposeResult:
        with Vertical(id="modal-box"):
            yield Static(id="title")
            yield Static(id="archive")
            yield Static(Text("y / Enter: confirm    a: toggle    n / Esc: cancel", style="dim"))
            yield Static(Text(STAGES_DEPRECATED, style="dim"))

    def on_mount(self) -> None:
        self._show()

    def _show(self) -> None:
        title = f"Move {self.model_name} v{self.version} to {self.stage}?"
        self.query_one("#title", Static).update(Text(inert(title, single_line=True), style="bold"))
        text = Text()
        if self.stage not in ("Staging", "Production"):
            text.append("Archive existing: only for Staging and Production.", style="dim")
        else:
            text.append(f"[{'x' if self.archive else ' '}] archive existing versions in ")
            text.append(f"{self.stage}: ")
            if not self.would_archive:
                text.append("none are there", style="dim")
            elif self.archive:
                text.append("these become Archived:\n")
                text.append_text(listing([f"v{v.version}" for v in self.would_archive]))
            else:
                shown = ", ".join(f"v{v.version}" for v in self.would_archive)
                text.append(f"off ({shown} would stay in {self.stage})", style="dim")
        self.query_one("#archive", Static).update(text)

    def action_toggle_archive(self) -> None:
        if self.stage in ("Staging", "Production"):
            self.archive = not self.archive
            self._show()

    def action_yes(self) -> None:
        self.dismiss(self.archive)

    def action_no(self) -> None:
        self.dismiss(None)
