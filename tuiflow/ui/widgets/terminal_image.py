"""How the artifact preview draws an image: terminal graphics, or half-block cells.

textual-image draws real pixels (Sixel, the Kitty protocol) but must ask the terminal what
it supports when it is imported, before Textual owns stdin: up to three queries with
0.1 s timeouts each, plus importing NumPy, on every start, and a tty that reports 0
columns made it divide by zero. So it is imported only where graphics are likely (the
terminal says who it is: Kitty, WezTerm, iTerm2, foot, Ghostty, Konsole, mlterm, contour)
or asked for with TUIFLOW_IMAGES=graphics. Everywhere else, and when the probe fails,
images are drawn with "▀" cells: each cell shows two pixels (foreground above, background
below), which is what textual-image itself falls back to on such terminals.

TUIFLOW_IMAGES: auto (default) | graphics | halfcell | off.
"""

from __future__ import annotations

import os
from typing import Any

from rich.console import Console, ConsoleOptions, RenderResult
from rich.segment import Segment
from rich.style import Style
from textual.widgets import Static

_GRAPHICS_TERMS = ("kitty", "foot", "mlterm", "contour", "wezterm", "ghostty")
_GRAPHICS_PROGRAMS = ("wezterm", "iterm.app", "ghostty", "mintty", "konsole")
_GRAPHICS_ENV = ("KITTY_WINDOW_ID", "WEZTERM_PANE", "KONSOLE_VERSION", "GHOSTTY_RESOURCES_DIR")


def images_mode(environ: os._Environ[str] | dict[str, str] = os.environ) -> str:
    """'graphics', 'halfcell' or 'off', from TUIFLOW_IMAGES and what the terminal says."""
    asked = environ.get("TUIFLOW_IMAGES", "auto").strip().lower()
    if asked in ("graphics", "halfcell", "off"):
        return asked
    term = environ.get("TERM", "").lower()
    program = environ.get("TERM_PROGRAM", "").lower()
    if (
        any(t in term for t in _GRAPHICS_TERMS)
        or program in _GRAPHICS_PROGRAMS
        or any(environ.get(name) for name in _GRAPHICS_ENV)
    ):
        return "graphics"
    return "halfcell"


def _load_graphics() -> Any:
    if images_mode() != "graphics":
        return None
    try:
        from textual_image.widget import Image
    except Exception:  # noqa: BLE001 - its terminal probe fails on odd ttys (0 columns)
        return None
    return Image


# Decided once, when the app is imported (before Textual takes the terminal).
GRAPHICS_WIDGET = _load_graphics()


class HalfBlocks:
    """A Rich renderable: a PIL image as "▀" cells, as wide as it may be (≤ its pixels)."""

    def __init__(self, image: Any, max_rows: int = 60) -> None:
        self.image = image.convert("RGB")
        self.max_rows = max_rows

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        width = max(1, min(options.max_width, self.image.width))
        rows = max(1, round(self.image.height * width / self.image.width / 2))
        if rows > self.max_rows:  # too tall: scale down to fit the rows instead
            rows = self.max_rows
            width = max(1, min(width, round(self.image.width * rows * 2 / self.image.height)))
        small = self.image.resize((width, rows * 2))
        pixels = small.load()
        for y in range(rows):
            for x in range(width):
                top, bottom = pixels[x, 2 * y], pixels[x, 2 * y + 1]
                yield Segment("▀", Style(color=_rgb(top), bgcolor=_rgb(bottom)))
            yield Segment.line()


def _rgb(pixel: tuple[int, int, int]) -> str:
    return f"rgb({pixel[0]},{pixel[1]},{pixel[2]})"


def image_widget(image: Any) -> Any:
    """The widget that shows `image` here: terminal graphics, half blocks, or a note."""
    from rich.text import Text

    if images_mode() == "off":
        return Static(Text("(image previews are off: TUIFLOW_IMAGES=off)", style="dim"))
    if GRAPHICS_WIDGET is not None:
        return GRAPHICS_WIDGET(image)
    return Static(HalfBlocks(image), classes="half-blocks")
