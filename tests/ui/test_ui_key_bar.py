"""The key bar shows what Textual's Footer shows, and a click on a key presses it.

The oracle is a real `Footer` mounted next to the bar on the same screen: after every
focus change both must list the same keys, descriptions and disabled states.
"""

from __future__ import annotations

import asyncio

import pytest
from textual import events
from textual.app import App
from textual.binding import Binding
from textual.widgets import Footer, Input
from textual.widgets._footer import FooterKey

from tests.ui.uihelp import choose, run_ui, settle
from tuiflow.ui.widgets.experiments_pane import ExperimentsTable
from tuiflow.ui.widgets.key_bar import KeyBar
from tuiflow.ui.widgets.runs_table import RunsTable


def _footer_keys(footer: Footer) -> list[tuple[str, str, bool]]:
    return [(k.key_display, k.description, not k._disabled) for k in footer.query(FooterKey)]


def _bar_keys(bar: KeyBar) -> list[tuple[str, str, bool]]:
    keys, palette = bar.keys()
    shown = [(k.display, k.description, k.enabled) for k in keys]
    if palette is not None:
        shown.append((palette.display, palette.description, palette.enabled))
    return shown


async def _same_as_footer(pilot, app) -> None:
    await pilot.pause()
    await pilot.pause()  # the footer recomposes after a refresh
    footer = app.screen.query_one(Footer)
    bar = app.screen.query_one(KeyBar)
    expected = _footer_keys(footer)
    assert expected, "the footer shows no keys"
    assert _bar_keys(bar) == expected, app.focused


@pytest.mark.parametrize("read_only", [False, True])  # read-only: the write keys are hidden
def test_bar_lists_what_the_footer_lists_after_each_focus_change(
    sample_store, monkeypatch, read_only
):
    from tuiflow.ui.screens.main import MainScreen

    compose = MainScreen.compose

    def with_footer(self):  # noqa: ANN001, ANN202 - the oracle, on the same screen
        yield from compose(self)
        yield Footer()

    monkeypatch.setattr(MainScreen, "compose", with_footer)

    async def body(pilot, app):
        assert isinstance(app.focused, ExperimentsTable)
        await _same_as_footer(pilot, app)
        await choose(pilot, app, "wine_tuning")
        assert isinstance(app.focused, RunsTable)
        await _same_as_footer(pilot, app)
        await pilot.press("tab")
        assert isinstance(app.focused, ExperimentsTable)
        await _same_as_footer(pilot, app)
        await pilot.press("tab", "slash")
        assert isinstance(app.focused, Input)
        await _same_as_footer(pilot, app)
        await pilot.press("escape")
        await settle(pilot)
        await _same_as_footer(pilot, app)

    run_ui(sample_store, body, size=(200, 40), read_only=read_only)


def test_bar_draws_keys_and_palette_on_one_line(sample_store):
    async def body(pilot, app):
        await choose(pilot, app, "wine_tuning")
        bar = app.screen.query_one(KeyBar)
        line = bar.render().plain
        assert len(line) == bar.size.width == 120
        keys, palette = bar.keys()
        assert palette is not None and line.rstrip().endswith(palette.description)
        first = keys[0]
        assert line.startswith(f" {first.display} {first.description} ")
        assert "▏" in line

    run_ui(sample_store, body)


def test_clicking_a_key_presses_it(sample_store):
    async def body(pilot, app):
        await choose(pilot, app, "wine_tuning")
        assert isinstance(app.focused, RunsTable)
        bar = app.screen.query_one(KeyBar)
        bar.render()
        span = next(s for s in bar._spans if s[2].key == "slash")
        await pilot.hover(KeyBar, offset=(span[0] + 1, 0))
        await pilot.pause()
        assert bar._hover == "slash"  # highlighted
        assert bar.tooltip == (span[2].tooltip or None)
        await pilot.click(KeyBar, offset=(span[0] + 1, 0))
        await pilot.pause()
        assert isinstance(app.focused, Input), "a click on '/' opens the filter"
        assert bar.key_at(bar.size.width + 5) is None

    run_ui(sample_store, body, size=(200, 40))  # wide enough for '/' to be drawn


class _Demo(App[None]):
    """Bindings of every kind the bar handles: a disabled one, two keys for one action."""

    BINDINGS = [
        Binding("a", "alpha", "Alpha", tooltip="the first"),
        Binding("b", "beta", "Beta"),
        Binding("c", "alpha", "Alpha again"),
        Binding("d", "delta", "Hidden", show=False),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.done: list[str] = []

    def compose(self):  # noqa: ANN201
        yield KeyBar()
        footer = Footer()
        footer.styles.dock = "top"  # not over the bar, which the mouse must reach
        yield footer

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        return None if action == "beta" else True  # None: shown, disabled

    def action_alpha(self) -> None:
        self.done.append("alpha")

    def action_beta(self) -> None:
        self.done.append("beta")


def test_disabled_and_repeated_bindings_as_the_footer_shows_them():
    async def main() -> None:
        app = _Demo()
        async with app.run_test(size=(80, 5)) as pilot:
            await pilot.pause()
            await pilot.pause()
            bar = app.query_one(KeyBar)
            assert _bar_keys(bar) == _footer_keys(app.query_one(Footer))
            keys, _ = bar.keys()
            assert [(k.description, k.enabled) for k in keys] == [
                ("Alpha", True),
                ("Beta", False),
            ]
            bar.render()
            alpha, beta = (s[0] + 1 for s in bar._spans[:2])
            await pilot.hover(KeyBar, offset=(alpha, 0))
            assert bar.tooltip == "the first"
            await pilot.click(KeyBar, offset=(beta, 0))  # disabled: a bell, nothing done
            await pilot.click(KeyBar, offset=(alpha, 0))
            await pilot.pause()
            assert app.done == ["alpha"]

    asyncio.run(main())


def test_the_mouse_wheel_scrolls_keys_that_do_not_fit():
    async def main() -> None:
        app = _Demo()
        async with app.run_test(size=(24, 5)) as pilot:  # room for one key and the palette
            await pilot.pause()
            bar = app.query_one(KeyBar)

            def wheel(kind: type) -> None:
                handler = bar.on_mouse_scroll_down
                if kind is events.MouseScrollUp:
                    handler = bar.on_mouse_scroll_up  # type: ignore[assignment]
                handler(kind(bar, 1, 0, 0, 1, 0, False, False, False))

            assert bar.render().plain.startswith(" a Alpha ")
            assert [k.description for *_, k in bar._spans] == ["Alpha", "palette"]
            wheel(events.MouseScrollDown)
            assert bar.render().plain.startswith(" b Beta ")
            assert [k.description for *_, k in bar._spans] == ["Beta", "palette"]
            assert bar.key_at(2).description == "Beta"
            wheel(events.MouseScrollDown)  # nothing more to the right
            assert bar.render().plain.startswith(" b Beta ")
            wheel(events.MouseScrollUp)
            assert bar.render().plain.startswith(" a Alpha ")
            assert len(bar.render().plain) == 24

    asyncio.run(main())
