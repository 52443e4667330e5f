"""The key bar: the focused widget's key bindings on the bottom line, in one widget.

It shows what Textual's `Footer` shows: one entry per action, in binding order, disabled
keys dimmed, the command palette's key on the right; a click on a key presses it,
hovering a key highlights it and shows its tooltip, and the mouse wheel scrolls keys that do
not fit into view. `Footer` builds a widget per key (31
on the main screen) and composes them again on every focus change. Mounting, styling and
laying them out was most of a `tab` between the tables (about 70 ms with nothing else to
do). This bar draws the same keys as one line of text, so a focus change costs one
repaint.
"""

from __future__ import annotations

from typing import NamedTuple

from rich.style import Style
from rich.text import Text
from textual import events
from textual.widget import Widget


class Key(NamedTuple):
    key: str  # what a click presses
    display: str  # how the key is shown ("⏎", "^p", "space")
    description: str
    enabled: bool
    tooltip: str = ""


class KeyBar(Widget, can_focus=False):
    ALLOW_SELECT = False
    COMPONENT_CLASSES = {
        "key-bar--key",
        "key-bar--description",
        "key-bar--palette",
        "key-bar--hover",
    }
    # Footer's colours (the theme's footer variables), its spacing, its divider.
    DEFAULT_CSS = """
    KeyBar {
        dock: bottom;
        height: 1;
        color: $footer-foreground;
        background: $footer-background;
        .key-bar--key {
            color: $footer-key-foreground;
            background: $footer-key-background;
            text-style: bold;
        }
        .key-bar--description {
            color: $footer-description-foreground;
            background: $footer-description-background;
        }
        .key-bar--palette {
            color: $foreground 20%;
        }
        .key-bar--hover {
            background: $block-hover-background;
        }
        &:hover {
            pointer: pointer;
        }
    }
    """

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        # (first column, last column + 1, key) of each drawn key, for clicks.
        self._spans: list[tuple[int, int, Key]] = []
        self._hover: str | None = None  # the key under the mouse pointer
        self._first = 0  # the first key drawn (the mouse wheel scrolls the keys)
        self._overflows = False  # the last render left keys out on the right

    def on_mount(self) -> None:
        self.screen.bindings_updated_signal.subscribe(self, self._bindings_changed)

    def on_unmount(self) -> None:
        self.screen.bindings_updated_signal.unsubscribe(self)

    def _bindings_changed(self, _screen: object) -> None:
        self._first = 0
        self.refresh()

    def keys(self) -> tuple[list[Key], Key | None]:
        """The keys to show, in order, and the command palette's key (or None)."""
        app = self.app
        active = self.screen.active_bindings
        shown: dict[str, Key] = {}
        for _node, binding, enabled, tooltip in active.values():
            if binding.show and binding.action not in shown:  # one entry per action
                shown[binding.action] = Key(
                    binding.key,
                    app.get_key_display(binding),
                    binding.description,
                    enabled,
                    tooltip or "",
                )
        palette = None
        if app.ENABLE_COMMAND_PALETTE and app.COMMAND_PALETTE_BINDING in active:
            _node, binding, enabled, _tooltip = active[app.COMMAND_PALETTE_BINDING]
            palette = Key(
                binding.key,
                app.get_key_display(binding),
                binding.description,
                enabled,
                binding.tooltip or binding.description,  # as Footer's
            )
            shown.pop(binding.action, None)  # drawn on the right instead
        return list(shown.values()), palette

    def render(self) -> Text:
        keys, palette = self.keys()
        key_style = self.get_component_rich_style("key-bar--key")
        text_style = self.get_component_rich_style("key-bar--description")
        dim = Style(dim=True)
        hover = self.get_component_rich_style("key-bar--hover")

        def extra_for(key: Key) -> Style:
            style = Style() if key.enabled else dim
            return style + hover if key.key == self._hover else style

        self._first = min(self._first, max(0, len(keys) - 1))
        line = Text(no_wrap=True, overflow="crop", end="")
        spans: list[tuple[int, int, Key]] = []  # in cells, as mouse events count
        for key in keys[self._first :]:
            start = line.cell_len
            extra = extra_for(key)
            line.append(f" {key.display} ", key_style + extra)
            line.append(f"{key.description} ", text_style + extra)
            spans.append((start, line.cell_len, key))
        width = self.size.width
        right = Text(no_wrap=True, end="")
        if palette is not None:
            extra = extra_for(palette)
            right.append("▏", self.get_component_rich_style("key-bar--palette"))
            right.append(palette.display, key_style + extra)
            right.append(f" {palette.description}", text_style + extra)
            right.append(" ")
        room = max(0, width - right.cell_len)  # for the keys, left of the palette's
        shown = [span for span in spans if span[1] <= room]
        self._overflows = len(shown) < len(spans)
        spans = shown
        if palette is not None:
            line.truncate(room, pad=True)
            line.append_text(right)
            spans.append((room + 1, room + right.cell_len - 1, palette))
        self._spans = spans
        return line

    def key_at(self, x: int) -> Key | None:
        for start, end, key in self._spans:
            if start <= x < end:
                return key
        return None

    def on_mouse_move(self, event: events.MouseMove) -> None:
        key = self.key_at(event.x)
        hover = None if key is None else key.key
        if hover != self._hover:
            self._hover = hover
            self.tooltip = None if key is None else (key.tooltip or None)
            self.refresh()

    def on_leave(self, _event: events.Leave) -> None:
        if self._hover is not None:
            self._hover = None
            self.tooltip = None
            self.refresh()

    def on_mouse_scroll_down(self, event: events.MouseScrollDown) -> None:
        if self._overflows:  # the keys cut off on the right come into view, one by one
            self._first += 1
            self.refresh()
            event.stop()

    def on_mouse_scroll_up(self, event: events.MouseScrollUp) -> None:
        if self._first:
            self._first -= 1
            self.refresh()
            event.stop()

    def on_mouse_down(self, event: events.MouseDown) -> None:
        key = self.key_at(event.x)
        if key is None:
            return
        if key.enabled:
            self.app.simulate_key(key.key)
        else:
            self.app.bell()
