"""plain_cells draws exactly what Rich draws for a padded table cell, or declines."""

from __future__ import annotations

import random

from rich.console import Console
from rich.padding import Padding
from rich.style import Style
from rich.text import Text

from tuiflow.ui.widgets import cells
from tuiflow.ui.widgets.plain_cells import plain_cell_lines

STYLES = ["", "green", "bold", "red on blue", "none", Style(), Style(italic=True), "dim"]
JUSTIFY = [None, "default", "left", "right", "center", "full"]
OVERFLOW = [None, "ellipsis", "crop", "fold", "ignore"]


def _rich(console: Console, cell: object, width: int, padding: int, options) -> list:
    lines = console.render_lines(Padding(cell, (0, padding)), options.update_dimensions(width, 1))
    return _shape(lines)


def _shape(lines: list) -> list:
    # Segment equality alone would take a None style for a null one: compare the types too.
    return [[(s.text, s.style, type(s.style), s.control) for s in line] for line in lines]


def test_generated_cells_draw_as_rich_draws_them():
    console = Console(width=200, color_system="truecolor", force_terminal=True)
    rnd = random.Random(7)
    alphabet = "ab xyz.-_0123456789 ,"
    fast = declined = 0
    for _ in range(8000):
        plain = "".join(rnd.choice(alphabet) for _ in range(rnd.choice([0, 0, 1, 3, 8, 15, 30])))
        if rnd.random() < 0.2:
            plain = " " * rnd.randint(0, 3) + plain + " " * rnd.randint(0, 3)
        if rnd.random() < 0.05:
            plain += rnd.choice(["日本", "\t", "é", "\x1b", "…"])  # not plain: declined
        cell = Text(
            plain,
            style=rnd.choice(STYLES),
            justify=rnd.choice(JUSTIFY),  # type: ignore[arg-type]
            no_wrap=rnd.choice([True, True, None, False]),
            overflow=rnd.choice(OVERFLOW),  # type: ignore[arg-type]
        )
        if rnd.random() < 0.05:
            cell.stylize("bold", 0, 1)  # spans: declined
        width, padding = rnd.randint(1, 25), rnd.choice([0, 1, 1, 2])
        options = console.options.update(no_wrap=rnd.choice([True, True, False]))
        got = plain_cell_lines(cell, width, padding, console, options)
        if got is None:
            declined += 1
            continue
        fast += 1
        assert _shape(got) == _rich(console, cell, width, padding, options), (
            repr(plain), cell.style, cell.justify, cell.no_wrap, cell.overflow, width, padding
        )  # fmt: skip
    assert fast > 2000 and declined > 2000  # both ways were taken, many times


def test_the_cells_tuiflow_shows_take_the_short_way():
    console = Console(width=200, color_system="truecolor", force_terminal=True)
    options = console.options.update(no_wrap=True)
    shown = [
        cells.text("lbfgs"),
        cells.text("a-run-name-longer-than-its-column"),
        cells.status("FINISHED"),
        cells.number(0.912345),
        cells.number(None),
        cells.text(None),
        cells.text("●", "bold"),  # not ASCII: Rich draws it
    ]
    drawn = [plain_cell_lines(cell, 12, 1, console, options) for cell in shown]
    assert [d is not None for d in drawn] == [True] * 6 + [False]
    for cell, lines in zip(shown, drawn, strict=True):
        if lines is not None:
            assert _shape(lines) == _rich(console, cell, 12, 1, options)
