"""A DataTable with the keys people expect from k9s and lazygit: j/k, g/G, and drawing
that keeps up with big tables.

Textual's DataTable renders a cell through Rich again whenever anything in its cache key
changes: a focus change, any added row (its update counter), and it renders every column
of a row, also those scrolled out of view. At about 0.2 ms a cell, a screen of new rows
or a `tab` into a wide table took 100-250 ms. Here a one-line cell's text is rendered once
per (cell, width) and only its styles are applied again when they change (Rich's own
`Segment.apply_style`, which is what DataTable's `Styled` wrapper does). A cell's text
depends on the cell and its width alone, not on CSS or focus, so it is kept across style
updates (a focus change is one), which make DataTable forget its renders; and a cell that
lies wholly outside the visible columns is a blank of its width, since the line is cropped
to the visible columns afterwards anyway. While nothing happens, the texts of the cells a
page up and down and of the last screen are rendered ahead, so `pagedown` and `G` only
restyle.
"""

from __future__ import annotations

from typing import Any

from rich.padding import Padding
from rich.segment import Segment
from rich.style import Style
from textual.cache import LRUCache
from textual.widgets import DataTable

from tuiflow.ui import keys

BARE_CELLS = 20_000  # rendered cell texts kept; a screen is at most a few thousand
AHEAD_DELAY_S = 0.15  # after a paint, this long before rendering ahead
AHEAD_STEP_S = 0.01
AHEAD_CELLS_PER_STEP = 40  # about 8 ms of Rich rendering
# DataTable internals the shortcuts rely on (Textual 8); without them it draws as it is.
_INTERNALS = (
    "_row_locations", "_column_locations", "_cell_render_cache", "_row_render_cache",
    "_update_count", "_pseudo_class_state", "_show_hover_cursor", "_get_row_renderables",
    "_get_styles_to_render_cell", "_render_line_in_row",
)  # fmt: skip

_Lines = list[list[Segment]]


class NavTable(DataTable[Any]):
    BINDINGS = keys.TABLE

    DEFAULT_CSS = """
    NavTable {
        height: 1fr;
        scrollbar-size-vertical: 1;
    }
    """

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("zebra_stripes", True)
        super().__init__(**kwargs)
        # (row key, column key, width) -> (the formatted cell, its unstyled lines)
        self._bare: LRUCache[tuple[Any, Any, int], tuple[Any, _Lines]] = LRUCache(BARE_CELLS)
        self._span: tuple[int, int] | None = None  # (scroll x, width) the row cache is for
        self._visible: tuple[tuple[Any, ...], frozenset[int]] = ((), frozenset())
        self._shown: frozenset[int] = frozenset()  # _visible_columns() for the row being drawn
        self._fast = all(hasattr(self, name) for name in _INTERNALS)
        self._ahead_timer: Any = None

    def action_first_row(self) -> None:
        if self.row_count:
            self.move_cursor(row=0)

    def action_last_row(self) -> None:
        if self.row_count:
            self.move_cursor(row=self.row_count - 1)

    # -- drawing ---------------------------------------------------------------------------

    def _render_line_in_row(self, row_key: Any, line_no: int, base_style: Style,
                            cursor_location: Any, hover_location: Any) -> Any:  # fmt: skip
        # Rows are cached without the horizontal scroll; off-screen cells are blanks, so a
        # cached row is only good for the span it was drawn for.
        span = (self.scroll_offset.x, self.size.width)
        if self._fast and span != self._span:
            self._row_render_cache.clear()
            self._span = span
        self._shown = self._visible_columns()
        return super()._render_line_in_row(
            row_key, line_no, base_style, cursor_location, hover_location
        )

    def _visible_columns(self) -> frozenset[int]:
        """Indices of the columns any part of which is on screen (fixed ones included)."""
        widths = tuple(c.get_render_width(self) for c in self.ordered_columns)
        key = (self._span, self.fixed_columns, widths)
        if self._visible[0] != key:
            scroll_x, width = self._span or (0, self.size.width)
            fixed_width = sum(widths[: self.fixed_columns])
            left, right = scroll_x + fixed_width, scroll_x + width
            shown: set[int] = set(range(min(self.fixed_columns, len(widths))))
            x = 0
            for i, w in enumerate(widths):
                if x < right and x + w > left:
                    shown.add(i)
                x += w
            self._visible = (key, frozenset(shown))
        return self._visible[1]

    def _render_cell(
        self,
        row_index: int,
        column_index: int,
        base_style: Style,
        width: int,
        cursor: bool = False,
        hover: bool = False,
    ) -> Any:
        if not self._fast or row_index < 0 or column_index < 0:  # header, row labels
            return super()._render_cell(row_index, column_index, base_style, width, cursor, hover)
        row_key = self._one_line_row(row_index)
        if row_key is None:
            return super()._render_cell(row_index, column_index, base_style, width, cursor, hover)
        if column_index not in self._shown:
            return [[Segment(" " * width, base_style)]]  # cropped away: only its width counts
        column_key = self._column_locations.get_key(column_index)
        cache_key = (row_key, column_key, base_style, cursor, hover, self._show_hover_cursor,
                     self._update_count, self._pseudo_class_state)  # fmt: skip
        lines = self._cell_render_cache.get(cache_key)
        if lines is not None:
            return lines
        bare = self._bare_cell(row_index, row_key, column_index, column_key, width)
        component_style, post_style = self._get_styles_to_render_cell(
            False,
            False,
            row_index < self.fixed_rows or column_index < self.fixed_columns,
            hover,
            cursor,
            self.show_cursor,
            self._show_hover_cursor,
            self.cursor_foreground_priority == "css",
            self.cursor_background_priority == "css",
        )
        pre_style = (
            base_style + Style.from_meta({"row": row_index, "column": column_index})
        ) + component_style
        lines = [list(Segment.apply_style(line, pre_style, post_style)) for line in bare]
        self._cell_render_cache[cache_key] = lines
        return lines

    def _one_line_row(self, row_index: int) -> Any:
        """The key of the row at `row_index` if it is one line high (the shortcuts' case),
        else None: taller rows wrap, and DataTable draws them itself."""
        row_key = self._row_locations.get_key(row_index)
        row = self.rows.get(row_key) if row_key is not None else None
        if row is None or row.height != 1 or row.auto_height:
            return None
        return row_key

    def _bare_cell(
        self, row_index: int, row_key: Any, column_index: int, column_key: Any, width: int
    ) -> _Lines:
        """The cell's padded text, without the table's styles (rendered once)."""
        cell = self._get_row_renderables(row_index)[1][column_index]
        bare = self._bare.get((row_key, column_key, width))
        if bare is None or bare[0] is not cell:
            options = self.app.console_options.update_dimensions(width, 1).update(no_wrap=True)
            rendered = self.app.console.render_lines(Padding(cell, (0, self.cell_padding)), options)
            bare = (cell, rendered)
            self._bare[(row_key, column_key, width)] = bare
        return bare[1]

    # -- rendering ahead -------------------------------------------------------------------

    def render_lines(self, crop: Any) -> Any:
        lines = super().render_lines(crop)
        if self._fast and self._ahead_timer is None:
            self._ahead_timer = self.set_timer(AHEAD_DELAY_S, self._render_ahead)
        return lines

    def _render_ahead(self) -> None:
        """While nothing else happens, the texts of the cells a page up or down, and of the
        last screen (`G`), so those keys only restyle them; a few cells per step, so a key
        that arrives meanwhile waits for a step at most."""
        self._ahead_timer = None
        height = self.size.height
        top = round(self.scroll_y)
        rows = self.row_count
        wanted = [  # the screen itself is drawn already: found at once
            *range(top, min(rows, top + 2 * height)),
            *range(max(0, top - height), min(rows, top)),
            *range(max(0, rows - height), rows),
        ]
        columns = sorted(self._visible_columns())
        ordered = self.ordered_columns
        done = 0
        for row_index in wanted:
            row_key = self._one_line_row(row_index)
            if row_key is None:
                continue
            for column_index in columns:
                if column_index >= len(ordered):
                    continue
                column = ordered[column_index]
                width = column.get_render_width(self)
                entry = self._bare.get((row_key, column.key, width))
                if entry is not None:
                    continue
                self._bare_cell(row_index, row_key, column_index, column.key, width)
                done += 1
            if done >= AHEAD_CELLS_PER_STEP:
                self._ahead_timer = self.set_timer(AHEAD_STEP_S, self._render_ahead)
                return
