"""QuietFocus: a focus change restyles the widgets with a `:focus-within` style, and their
descendants only when a rule styles a descendant by an ancestor's `:focus-within`."""

from __future__ import annotations

import asyncio

import pytest
from textual.app import App, ComposeResult
from textual.containers import Vertical
from textual.css.stylesheet import Stylesheet
from textual.screen import Screen
from textual.widgets import Input, Label

from tuiflow.ui.screens.quiet_focus import QuietFocus, focus_within_reaches_down


class Pane(Vertical):
    DEFAULT_CSS = """
    Pane { border: round blue; height: 6; background: blue; color: white; }
    Pane:focus-within { border: round red; }
    """


class Panes(QuietFocus, Screen[None]):
    def compose(self) -> ComposeResult:
        with Pane(id="left"):
            yield Input(id="a")
            yield Label("note", id="note")
        with Pane(id="right"):
            yield Input(id="b")


class PanesApp(App[None]):
    AUTO_FOCUS = None

    def __init__(self, extra_css: str = "") -> None:
        super().__init__()
        self.extra_css = extra_css

    def on_mount(self) -> None:
        if self.extra_css:
            self.stylesheet.add_source(self.extra_css, read_from=("extra", ""))
        self.push_screen(Panes())


def drawn_colours(widget: Label) -> str:
    """The colours of the first cell of `widget` on the screen as drawn."""
    region = widget.region
    strip = widget.screen._compositor.render_strips()[region.y]
    x = 0
    for segment in strip:
        if x + segment.cell_length > region.x:
            colour, background = segment.style.color, segment.style.bgcolor
            return f"{colour.triplet.hex} on {background.triplet.hex}".upper()
        x += segment.cell_length
    raise AssertionError("not on screen")


CASES = {
    "own-border": "",
    "descendant-rule": "Pane:focus-within Label { color: red; }",
    # the Label is drawn in the pane's colours
    "inherited-style": "Pane:focus-within { background: red; color: yellow; }",
}


@pytest.mark.parametrize("case", list(CASES))
def test_focus_within_follows_focus(case, monkeypatch):
    extra = CASES[case]
    reaching = bool(extra)

    async def run() -> None:
        app = PanesApp(extra)
        async with app.run_test() as pilot:
            await pilot.pause()
            updated: list[str] = []
            real = Stylesheet.update_nodes

            def counting(self, nodes, animate=False):
                nodes = list(nodes)
                updated.extend(getattr(node, "id", None) or type(node).__name__ for node in nodes)
                return real(self, nodes, animate=animate)

            monkeypatch.setattr(Stylesheet, "update_nodes", counting)
            left, right = app.screen.query_one("#left"), app.screen.query_one("#right")
            note = app.screen.query_one("#note", Label)
            assert focus_within_reaches_down(app.stylesheet) is reaching

            def colours() -> tuple[str, str, str, str]:
                return (
                    left.styles.border_top[1].hex,
                    right.styles.border_top[1].hex,
                    note.styles.color.hex,
                    drawn_colours(note),
                )

            plain = colours()
            app.screen.query_one("#a", Input).focus()
            await pilot.pause()
            on_left = colours()
            assert on_left[:2] == ("#FF0000", plain[1]) and plain[0] != "#FF0000"
            assert (on_left[2] == "#FF0000") is (case == "descendant-rule")
            assert (on_left[3] == "#FFFF00 ON #FF0000") is (case == "inherited-style")
            assert ("note" in updated) is reaching  # its styles were worked out again
            updated.clear()
            app.screen.query_one("#b", Input).focus()
            await pilot.pause()
            on_right = colours()
            assert on_right == (plain[0], "#FF0000", plain[2], plain[3])
            assert {"left", "right"} <= set(updated)
            assert ("note" in updated) is reaching
            app.set_focus(None)
            await pilot.pause()
            assert colours() == plain

    asyncio.run(run())


def test_a_new_rule_is_seen():
    async def run() -> None:
        app = PanesApp()
        async with app.run_test() as pilot:
            await pilot.pause()
            assert not focus_within_reaches_down(app.stylesheet)
            rule = "Pane:focus-within Input { color: red; }"
            app.stylesheet.add_source(rule, read_from=("x", ""))
            assert focus_within_reaches_down(app.stylesheet)

    asyncio.run(run())
