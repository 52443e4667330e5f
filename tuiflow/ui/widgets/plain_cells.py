"""A table cell's text drawn without Rich's general machinery, for the plain kind of cell.

NavTable draws a cell as Rich draws `Padding(cell, (0, padding))` in one line of `width`
cells. Through Rich that is about 60-110 µs a cell (wrapping, justifying, joining and
splitting lines, each a new Text), so a screen of new rows, the first paint of a page or of
a focus change, took 25-45 ms of it. Nearly every cell tuiflow shows is the plain kind:
one line of printable ASCII in one style (`cells.text`), which Rich turns into at most four
segments; this makes the same segments directly. Any other cell (spans, wide or control
characters, wrapping, centred) returns None and goes through Rich. A test compares the two
on many generated cells.

What Rich does for such a cell (rich 14, `Text.wrap` with no_wrap, `Lines.justify`,
`Text.truncate`, `Text.join`, `Text.render`, `Segment.split_and_crop_lines`):

- "default" justify: the text is cut to the width (ending in "…" with the ellipsis
  overflow), then padded with unstyled spaces by the line;
- "left": cut, then padded with spaces that are part of the text (so in its style);
- "right": trailing spaces stripped, cut, then spaces put in front, in its style;
- the text is one segment in its style (joined lines carry the style as a span, and a span
  of nothing gives no segment); a text with no style is one unstyled segment, even empty;
- the padding on either side is unstyled (`Padding`'s "none").
"""

from __future__ import annotations

from rich.console import Console, ConsoleOptions
from rich.segment import Segment
from rich.style import Style
from rich.text import Text

_NULL = Style.null()
_JUSTIFIED = ("default", "left", "right")


def plain_cell_lines(
    cell: object, width: int, padding: int, console: Console, options: ConsoleOptions
) -> list[list[Segment]] | None:
    """`console.render_lines(Padding(cell, (0, padding)), options.update_dimensions(width,
    1))` for a plain cell; None for any other (the caller asks Rich)."""
    if type(cell) is not Text or cell._spans or cell.end != "\n":
        return None
    plain = cell.plain
    inner = width - 2 * padding
    if inner < 1 or padding < 0 or not (plain.isascii() and plain.isprintable()):
        return None
    no_wrap = cell.no_wrap if cell.no_wrap is not None else options.no_wrap
    justify = cell.justify or options.justify or "default"
    overflow = cell.overflow or options.overflow or "fold"
    if not no_wrap or justify not in _JUSTIFIED or overflow == "ignore":
        return None

    if justify == "right":
        plain = plain.rstrip()
    if len(plain) > inner:
        plain = plain[: inner - 1] + "…" if overflow == "ellipsis" else plain[:inner]
    if justify == "left":
        plain += " " * (inner - len(plain))
    elif justify == "right":
        plain = " " * (inner - len(plain)) + plain

    line: list[Segment] = []
    side = Segment(" " * padding, _NULL) if padding else None
    if side is not None:
        line.append(side)
    style = cell.style
    if style:
        if plain:
            line.append(Segment(plain, console.get_style(style, default=_NULL)))
    else:
        line.append(Segment(plain))
    if len(plain) < inner:
        line.append(Segment(" " * (inner - len(plain)), _NULL))
    if side is not None:
        line.append(side)
    return [line]
