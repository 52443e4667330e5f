"""Image previews without terminal graphics: half-block cells, and when graphics are tried."""

from __future__ import annotations

from PIL import Image
from rich.console import Console

from tuiflow.ui.widgets.terminal_image import HalfBlocks, images_mode


def test_each_cell_shows_two_pixels_top_and_bottom() -> None:
    image = Image.new("RGB", (2, 4))
    colours = {(0, 0): (255, 0, 0), (0, 1): (0, 0, 255), (1, 0): (0, 255, 0), (1, 1): (9, 9, 9)}
    for (x, y), rgb in colours.items():
        image.putpixel((x, y), rgb)
    cells = [s for s in Console(width=10).render(HalfBlocks(image)) if s.text == "▀"]
    assert len(cells) == 4  # 2 columns x 2 rows
    first, second = cells[0].style, cells[1].style
    assert first.color.get_truecolor() == (255, 0, 0)
    assert first.bgcolor.get_truecolor() == (0, 0, 255)
    assert second.color.get_truecolor() == (0, 255, 0)
    assert second.bgcolor.get_truecolor() == (9, 9, 9)


def test_wide_and_tall_images_fit() -> None:
    wide = Image.new("RGB", (1000, 100), (1, 2, 3))
    lines = list(Console(width=50).render_lines(HalfBlocks(wide), pad=False))
    assert max(len(line) for line in lines) == 50 and len(lines) == 2  # 100 px / 1000 * 50 / 2
    tall = Image.new("RGB", (100, 5000), (1, 2, 3))
    lines = list(Console(width=50).render_lines(HalfBlocks(tall, max_rows=20), pad=False))
    assert len(lines) == 20


def test_graphics_only_where_the_terminal_says_so() -> None:
    assert images_mode({"TERM": "xterm-256color"}) == "halfcell"
    assert images_mode({"TERM": "xterm-kitty"}) == "graphics"
    assert images_mode({"TERM_PROGRAM": "WezTerm"}) == "graphics"
    assert images_mode({"KONSOLE_VERSION": "230800"}) == "graphics"
    assert images_mode({"TERM": "xterm-kitty", "TUIFLOW_IMAGES": "halfcell"}) == "halfcell"
    assert images_mode({"TUIFLOW_IMAGES": "graphics"}) == "graphics"
    assert images_mode({"TUIFLOW_IMAGES": "OFF"}) == "off"
