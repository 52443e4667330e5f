"""NavTable's drawing shortcuts (nav_table.py) draw exactly what Textual's DataTable draws.

Two tables with the same cells, size and CSS, one a plain DataTable, are compared line by
line, segment by segment (text, style and the row/column meta mouse clicks use), through
focus changes, cursor moves, horizontal scrolls, cell updates and added rows.
"""

from __future__ import annotations

import asyncio
import time

import pytest
from rich.padding import Padding
from rich.style import Style
from rich.text import Text
from textual.app import App, ComposeResult
from textual.coordinate import Coordinate
from textual.widgets import DataTable

from tuiflow.ui.widgets.nav_table import NavTable

WIDTH, HEIGHT = 60, 12
COLUMNS = 18  # as many as _cells makes


def _cells(i: int) -> list[object]:
    return [
        Text("●" if i % 3 == 0 else "", style="bold"),
        Text(f"run-{i}-" + "x" * (i % 25), no_wrap=True, overflow="ellipsis"),
        Text("FINISHED" if i % 2 else "FAILED", style="green" if i % 2 else "red"),
        Text(f"{i * 0.123456:.4g}", justify="right"),
        Text("日本語のパラメータ" if i % 4 == 0 else "lbfgs", style="italic"),
        Text(""),
        f"plain {i}",  # a str cell: DataTable formats it itself
        Text("a\tb" if i % 5 == 0 else "tab-free"),
    ] + [Text(f"m{c}={i * c}", justify="right" if c % 2 else "left") for c in range(8)] + [
        # styles with a link or meta: the order in which styles are added matters for them
        Text(f"run {i}", style=Style(link=f"https://example.com/{i}")),
        Text.from_markup(f"[@click=app.bell]ring {i}[/] [b]now[/]"),
    ]


class Pair(App[None]):
    AUTO_FOCUS = None
    CSS = f"""
    #fast, #plain {{ width: {WIDTH}; height: {HEIGHT}; scrollbar-size-vertical: 1; }}
    Screen.-loud-rows DataTable {{
        & > .datatable--even-row {{ background: $error 30%; }}
        & > .datatable--odd-row {{ background: $warning 30%; }}
    }}
    Screen.-loud-fixed DataTable > .datatable--fixed {{ background: $success 30%; }}
    Screen.-loud-hover DataTable > .datatable--hover {{ background: $primary; }}
    """

    def __init__(self, focus_tint: str | None = None) -> None:
        super().__init__()
        if focus_tint is not None:  # the same focus tint for both (NavTable has none)
            self.stylesheet.add_source(
                f"""
                #fast:focus, #plain:focus {{ background-tint: $foreground {focus_tint}; }}
                #fast:focus > .datatable--header, #plain:focus > .datatable--header {{
                    background-tint: $foreground {focus_tint};
                }}
                """,
                read_from=("focus-tint", ""),
            )

    def compose(self) -> ComposeResult:
        yield NavTable(id="fast", cursor_type="cell", fixed_columns=2)
        yield DataTable(id="plain", cursor_type="cell", fixed_columns=2, zebra_stripes=True)


def _lines(table: DataTable) -> list[list[tuple[str, object]]]:
    return [
        [(seg.text, seg.style) for seg in table.render_line(y)] for y in range(table.size.height)
    ]


@pytest.mark.parametrize("focus_tint", ["0%", "5%"], ids=["no-focus-tint", "datatable-tint"])
def test_the_fast_path_draws_what_datatable_draws(focus_tint):
    async def run() -> None:
        app = Pair(focus_tint)
        async with app.run_test(size=(WIDTH + 4, 2 * HEIGHT + 2)) as pilot:
            fast = app.query_one("#fast", NavTable)
            plain = app.query_one("#plain", DataTable)
            for table in (fast, plain):
                for c in range(COLUMNS):
                    table.add_column(f"col {c}", key=f"c{c}", width=None if c == 1 else 6 + c % 5)
                for i in range(40):
                    table.add_row(*_cells(i), key=f"r{i}")
            await pilot.pause()
            checked = 0

            async def same(what: str) -> None:
                """Both unfocused, then each one focused in turn, then both unfocused again:
                the next change comes with no focus change, which would redraw every line."""
                nonlocal checked
                app.set_focus(None)
                await pilot.pause()
                assert fast.scroll_offset == plain.scroll_offset, what
                assert _lines(fast) == _lines(plain), what
                fast.focus()
                await pilot.pause()
                focused = _lines(fast)
                plain.focus()
                await pilot.pause()
                assert focused == _lines(plain), f"{what}, focused"
                app.set_focus(None)
                await pilot.pause()
                assert _lines(fast) == _lines(plain), f"{what}, unfocused again"
                checked += 1

            await same("first paint")
            for table in (fast, plain):  # on screen, so nothing scrolls: two lines change
                table.move_cursor(row=3, column=2)
            await same("cursor moved on screen")
            for table in (fast, plain):
                table.move_cursor(row=7, column=5)
            await same("cursor moved")
            for x in (5, 23, 40, 1000):
                for table in (fast, plain):
                    table.scroll_to(x=x, animate=False)
                await same(f"scrolled to x={x}")
            for table in (fast, plain):
                table.scroll_to(x=0, y=20, animate=False)
                table.update_cell("r25", "c3", Text("wider value here", justify="right"))
                table.add_row(*_cells(99), key="r99")
            await same("updated, added a row, scrolled down")
            app.set_focus(None)
            await pilot.pause()
            assert _lines(fast) == _lines(plain)  # what is drawn now is kept ...
            for table in (fast, plain):  # ... and rows 4i..4i+3 swap in pairs: the same rows
                # are on screen, each two places from where it was (so in the same stripe),
                # and the meta mouse clicks use must say so
                table.sort("c1", key=lambda cell: int(cell.plain.split("-")[1]) ^ 2)
            await pilot.pause()
            assert _lines(fast) == _lines(plain), "sorted, nothing else changed"
            for table in (fast, plain):
                table.update_cell("r22", "c3", Text("changed", justify="right"))
            await pilot.pause()
            assert _lines(fast) == _lines(plain), "a cell changed, nothing else"
            for table in (fast, plain):  # changed in place and given again: the same object
                cell = table.get_cell("r22", "c3")
                cell.plain = "in place"
                table.update_cell("r22", "c3", cell)
            await pilot.pause()
            assert _lines(fast) == _lines(plain), "a cell changed in place"
            for table in (fast, plain):  # a padding change scrolls the cursor into view
                table.move_cursor(row=25, column=4)
            await pilot.pause()
            assert _lines(fast) == _lines(plain), "cursor moved, on screen"
            for table in (fast, plain):  # less padding, a wider cell: the same render width
                wide = Text("y" * (table.columns["c1"].content_width + 2))
                table.cell_padding = 0
                table.update_cell("r23", "c1", wide, update_width=True)
            await pilot.pause()
            assert _lines(fast) == _lines(plain), "padding changed, widths did not"
            for table in (fast, plain):
                table.cell_padding = 1
            await same("sorted")
            for table in (fast, plain):
                table.cursor_type = "row"
            await same("row cursor")
            for table in (fast, plain):  # the mouse over a row, as a MouseMove leaves it
                table.hover_coordinate = Coordinate(22, 3)
                table._set_hover_cursor(True)
            await same("row cursor, hovered")
            for n, cursor_type in enumerate(("row", "column", "cell", "none")):
                for table in (fast, plain):
                    table.cursor_type = cursor_type
                    table._set_hover_cursor(True)  # a new cursor type hides it
                await same(f"{cursor_type} cursor, hovered")
                for table in (fast, plain):  # each on screen: no scroll, a few cells change
                    table.hover_coordinate = Coordinate(24 + n, 3 + n % 2)
                await same(f"{cursor_type} cursor, hover moved")
                for table in (fast, plain):
                    table.move_cursor(row=21 + n, column=3 - n % 2)
                await same(f"{cursor_type} cursor moved")
            for column in (0, 1):  # the fixed columns: the second move scrolls nothing
                for table in (fast, plain):
                    table.cursor_type = "cell"
                    table.move_cursor(row=22, column=column)
                await same(f"cell cursor moved to column {column}")
            for table in (fast, plain):
                table.hover_coordinate = Coordinate(5, 1)
                table._set_hover_cursor(True)
                table.scroll_to(y=0, animate=False)  # rows 0 and 1 for the fixed rows below
            await same("hovered at the top")
            for part in ("rows", "fixed", "hover"):  # one colour of the table's at a time
                app.screen.add_class(f"-loud-{part}")
                await same(f"CSS changed the colour of: {part}")
            for table in (fast, plain):
                table.zebra_stripes = False
            await same("no stripes")
            for table in (fast, plain):
                table.fixed_rows = 2
            await same("no stripes, fixed rows")
            for table in (fast, plain):
                table.fixed_columns = 0
            await same("no stripes, fixed rows, no fixed columns")
            for table in (fast, plain):  # narrower than the widget: a line ends in blank
                table.clear(columns=True)
                table.zebra_stripes = True
                table.fixed_rows = 0
                for c in range(3):
                    table.add_column(f"col {c}", key=f"c{c}", width=6)
                for i in range(30):
                    table.add_row(*_cells(i)[:3], key=f"r{i}")
                table.move_cursor(row=4, column=1)
                table.hover_coordinate = Coordinate(2, 0)
                table._set_hover_cursor(True)
            for cursor_type in ("row", "cell"):
                for table in (fast, plain):
                    table.cursor_type = cursor_type
                await same(f"{cursor_type} cursor, narrow table")
            assert checked == 34

    asyncio.run(run())


def test_cells_scrolled_out_of_view_are_not_rendered(monkeypatch):
    """The point of the shortcuts (their speed is measured in bench_keys.py): off-screen
    columns are not rendered, a focus change renders no cell text again, and the next
    page's texts are rendered ahead while nothing happens."""

    async def run() -> None:
        app = Pair()
        async with app.run_test(size=(WIDTH + 4, 2 * HEIGHT + 2)) as pilot:
            fast = app.query_one("#fast", NavTable)
            row_of: dict[int, int] = {}  # id(cell text) -> row
            drawn: list[str] = []  # "header" (DataTable's own path) or "row N"
            real = app.console.render_lines
            real_text = fast._render_text

            def counting(renderable, *args, **kwargs):
                if not isinstance(renderable, (Text, Padding)):  # DataTable's own path
                    drawn.append("header")
                return real(renderable, *args, **kwargs)

            def counting_text(cell, width):  # NavTable's path: a cell's text
                drawn.append(f"row {row_of.get(id(cell), '?')}")
                return real_text(cell, width)

            monkeypatch.setattr(app.console, "render_lines", counting)
            monkeypatch.setattr(fast, "_render_text", counting_text)
            for c in range(COLUMNS):
                fast.add_column(f"col {c}", key=f"c{c}", width=8)
            for i in range(40):
                cells = _cells(i)
                row_of.update((id(cell), i) for cell in cells)
                fast.add_row(*cells, key=f"r{i}")
            await pilot.pause()
            rows = HEIGHT - 1  # rows 0-10 on screen
            on_screen = {f"row {i}" for i in range(rows)}
            first = [d for d in drawn if d in on_screen]
            # 11 rows of the 6 columns that fit in 60 cells, not all 18 (a str cell is "row ?").
            assert rows * 4 <= len(first) <= rows * 6
            assert drawn.count("header") <= COLUMNS // 2  # its visible columns alone
            earlier = set(drawn)  # rendering ahead may have begun already on a slow machine
            drawn.clear()
            fast.focus()
            await pilot.pause()
            assert [d for d in drawn if d in on_screen] == []  # the cells' texts were kept
            assert 0 < drawn.count("header") <= COLUMNS // 2  # DataTable's path: the header
            # While nothing happens, the next page's texts are rendered ahead (in steps,
            # by timers: a busy machine takes longer, so wait for it, up to a limit) ...
            ahead = {f"row {i}" for i in range(rows, 2 * rows)}
            deadline = time.monotonic() + 10
            while not ahead <= earlier | set(drawn) and time.monotonic() < deadline:
                await pilot.pause(0.05)
            assert ahead <= earlier | set(drawn)
            # ... so paging down renders none of them.
            drawn.clear()
            await pilot.press("pagedown")
            await pilot.pause()
            assert fast.scroll_y > 0
            assert [d for d in drawn if d in ahead] == []

    asyncio.run(run())


async def _filled_with_cursor(app: Pair, pilot: object) -> NavTable:
    """The NavTable of `app` with 40 rows, its cursor on row 3, drawn."""
    fast = app.query_one("#fast", NavTable)
    for c in range(COLUMNS):
        fast.add_column(f"col {c}", key=f"c{c}", width=8)
    for i in range(40):
        fast.add_row(*_cells(i), key=f"r{i}")
    fast.move_cursor(row=3, column=4)
    await pilot.pause()  # type: ignore[attr-defined]
    return fast


def test_a_focus_change_restyles_only_the_cursor():
    """NavTable has no focus tint, so `tab` changes the cursor's cells alone, and its
    styled cells are kept across the change: only those are styled again."""

    async def run() -> None:
        app = Pair()
        async with app.run_test(size=(WIDTH + 4, 2 * HEIGHT + 2)) as pilot:
            fast = await _filled_with_cursor(app, pilot)
            before = _lines(fast)
            restyled: list[int] = []
            real = fast._restyle

            def counting(row_index, *args):
                restyled.append(row_index)
                return real(row_index, *args)

            fast._restyle = counting  # type: ignore[method-assign]
            fast.focus()
            await pilot.pause()
            after = _lines(fast)
            assert [y for y, line in enumerate(before) if line != after[y]] == [1 + 3]
            assert restyled and set(restyled) == {3}

    asyncio.run(run())


def test_a_line_is_drawn_again_only_when_what_it_shows_changes():
    """DataTable draws every line on screen again after a focus change or any added row
    (its update counter); NavTable draws again only the lines whose cells, cursor or
    styles changed, and keeps a line drawn again like any other."""

    async def run() -> None:
        app = Pair()
        async with app.run_test(size=(WIDTH + 4, 2 * HEIGHT + 2)) as pilot:
            fast = await _filled_with_cursor(app, pilot)
            _lines(fast)
            drawn: list[int | None] = []  # row indices; None for the header
            real = fast._render_line_in_row

            def counting(row_key, *args, **kwargs):
                drawn.append(fast._row_locations.get(row_key))
                return real(row_key, *args, **kwargs)

            fast._render_line_in_row = counting  # type: ignore[method-assign]

            async def rows_drawn_by(change) -> set[int | None]:
                drawn.clear()
                change()
                await pilot.pause()
                _lines(fast)  # every line, as a frame of the whole table would ask for them
                return set(drawn) - {None}

            assert await rows_drawn_by(fast.focus) == {3}
            assert await rows_drawn_by(lambda: fast.add_row(*_cells(40), key="r40")) == set()
            changed = Text("changed", justify="right")
            assert await rows_drawn_by(lambda: fast.update_cell("r5", "c3", changed)) == {5}
            assert await rows_drawn_by(lambda: fast.move_cursor(row=4)) == {3, 4}
            assert await rows_drawn_by(lambda: None) == set()

    asyncio.run(run())


def test_a_cleared_table_forgets_its_edits():
    """Edits are counted per cell for as long as the cell exists: `clear` drops them, and
    what was drawn under them, so a cell edited in place again after a refill is drawn as
    it is now, and the counts do not grow with every row the table ever had."""

    async def run() -> None:
        app = Pair()
        async with app.run_test(size=(WIDTH + 4, 2 * HEIGHT + 2)) as pilot:
            fast = app.query_one("#fast", NavTable)
            plain = app.query_one("#plain", DataTable)
            for table in (fast, plain):
                for c in range(COLUMNS):
                    table.add_column(f"col {c}", key=f"c{c}", width=8)
                for i in range(12):
                    table.add_row(*_cells(i), key=f"r{i}")
            for text in ("edited", "edited again, after a refill"):
                for table in (fast, plain):
                    cell = table.get_cell("r2", "c3")
                    cell.plain = text
                    table.update_cell("r2", "c3", cell)
                await pilot.pause()
                assert _lines(fast) == _lines(plain), text
                for table in (fast, plain):
                    rows = [table.get_row(f"r{i}") for i in range(12)]
                    table.clear()
                    for i, row in enumerate(rows):
                        table.add_row(*row, key=f"r{i}")
                await pilot.pause()
                assert _lines(fast) == _lines(plain), f"{text}, refilled"
                assert fast._edits == {}

    asyncio.run(run())
