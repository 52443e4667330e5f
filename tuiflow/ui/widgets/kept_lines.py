"""Drawn lines of a table, kept while what they are drawn from stays the same.

Textual's DataTable keys a drawn line on its update counter, which every added row bumps
(so every page streamed in), and on its pseudo classes, which a focus change changes:
either drew every line on screen again, about 0.3 ms a line even with every cell's styled
text kept (NavTable). `KeptLines` keeps a data line while its cells (by identity), its
place, the cursor and hover on it, the columns, the crop and the styles it uses stay the
same, so a focus change draws the cursor's line again and a streamed page nothing on
screen. The header and taller or labelled rows are drawn as DataTable draws them.
"""

from __future__ import annotations

import operator
from typing import Any

from rich.style import Style
from textual.strip import Strip

from tuiflow.ui.widgets.generations import Generations

LINES = 1_000  # drawn lines kept (twice that at most), as DataTable keeps 1,000
# DataTable internals this relies on, besides those NavTable's own shortcuts use.
KEPT_LINES_INTERNALS = ("_data", "_get_offsets")


class KeptLines:
    """Mixin for NavTable, before DataTable in its bases. It uses NavTable's `_fast`,
    `_per_frame`, `_widths_and_keys` and `_one_line_row`."""

    def __init__(self, **kwargs: Any) -> None:
        # (row key, line) -> (what else it is made of, the row's cells, the line)
        self._lines: Generations[tuple[Any, int], tuple[Any, tuple[Any, ...], Strip]]
        self._lines = Generations(LINES)
        super().__init__(**kwargs)

    def _render_line(self, y: int, x1: int, x2: int, base_style: Style) -> Strip:
        """DataTable's line, kept for a data row while what it is drawn from stays the same:
        the row's cells and place, the cursor and hover on it, the columns, the crop and the
        table's styles. DataTable keys its lines on its update counter, which every streamed
        page bumps, and on its pseudo classes (focus): each made it draw every line on screen
        again, about 0.3 ms a line, although a focus change restyles the cursor alone."""
        if not self._fast or (self._labelled_row_exists and self.show_row_labels):
            return super()._render_line(y, x1, x2, base_style)
        try:
            row_key, line_no = self._get_offsets(y)
        except LookupError:
            return super()._render_line(y, x1, x2, base_style)
        row_index = self._row_locations.get(row_key)
        data = self._data.get(row_key)
        if row_index is None or data is None or self._one_line_row(row_index) is None:
            return super()._render_line(y, x1, x2, base_style)  # the header, taller rows
        cells = tuple(map(data.get, self._widths_and_keys()[1]))
        made_of = (row_index, x1, x2, base_style, self._per_frame("line", self._line_setting),
                   *self._lit_in_row(row_index))  # fmt: skip
        entry = self._lines.get((row_key, line_no))
        if (
            entry is not None
            and entry[0] == made_of
            and len(entry[1]) == len(cells)
            and all(map(operator.is_, entry[1], cells))
        ):
            return entry[2]
        strip = super()._render_line(y, x1, x2, base_style)
        self._lines[row_key, line_no] = (made_of, cells, strip)
        return strip

    def _lit_in_row(self, row_index: int) -> tuple[Any, ...]:
        """Which of this row's cells the cursor and the hover cursor light (DataTable's
        `_should_highlight`), and the styles they are lit in: a focus change restyles the
        cursor, so only the lines it lights are drawn again."""
        cursor, hover = self.cursor_coordinate, self.hover_coordinate
        cursor_type = self.cursor_type
        if cursor_type == "row":
            lit = (cursor.row == row_index, hover.row == row_index)
        elif cursor_type == "cell":
            lit = (
                cursor.column if cursor.row == row_index else None,
                hover.column if hover.row == row_index else None,
            )
        elif cursor_type == "column":
            lit = (cursor.column, hover.column)
        else:
            return ()
        cursor_lit, hover_lit = (x is not False and x is not None for x in lit)
        return (
            *lit,
            self._per_frame("cursor", self._cursor_styles) if cursor_lit else None,
            self._per_frame("hover", self._hover_style) if hover_lit else None,
        )

    def _cursor_styles(self) -> tuple[Style, ...]:
        names = ("datatable--cursor", "datatable--fixed-cursor")
        return tuple(map(self.get_component_rich_style, names))

    def _hover_style(self) -> Style:
        return self.get_component_rich_style("datatable--hover")

    def _line_setting(self) -> tuple[Any, ...]:
        """All else a data line is drawn from: the columns, the table's settings and the
        styles of the rows (which follow its focus and CSS; Textual keeps them until the
        table's styles are updated, so they cost nothing here)."""
        widths, keys = self._widths_and_keys()
        names = ("datatable--fixed", "datatable--odd-row", "datatable--even-row")
        return (
            tuple(widths), tuple(keys), self.fixed_columns, self.fixed_rows,
            self.zebra_stripes, self.cell_padding, self.cursor_type, self.show_cursor,
            self._show_hover_cursor, self.cursor_foreground_priority,
            self.cursor_background_priority, self._row_label_column_width,
            self.background_colors, tuple(map(self.get_component_rich_style, names)),
        )  # fmt: skip
