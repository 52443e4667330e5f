"""A DataTable with the keys people expect from k9s and lazygit: j/k, g/G, and drawing
that keeps up with big tables.

Textual's DataTable renders a cell through Rich again whenever anything in its cache key
changes: a focus change, any added row (its update counter), and it renders every column
of a row, also those scrolled out of view. At about 0.2 ms a cell, a screen of new rows
or a `tab` into a wide table took 100-250 ms. Here:

- A one-line cell's text is rendered once per (cell, width) and only its styles are
  applied again when they change (giving each segment the style DataTable's `Styled`
  wrapper gives it). A cell's text depends on the cell and its width
  alone, not on CSS or focus, so it is kept across style updates (a focus change is one),
  which make DataTable forget its renders.
- A plain cell's text (one line of ASCII in one style: nearly all of them) is made
  directly, as Rich would make it (plain_cells.py), in a tenth of the time.
- A cell that lies wholly outside the visible columns, a header cell too, is a blank of
  its width, since the line is cropped to the visible columns afterwards anyway.
- A data row's line is put together as DataTable does it, but with the component styles
  and column widths worked out once per frame instead of once per line, and a styled cell
  is kept while its text, place and styles stay the same: rows streaming in and a focus
  change (no tint here: see DEFAULT_CSS) restyle only the cells they change. A cell's meta
  is added last, once a segment (see _restyle).
- A drawn data line is kept while its cells, place, cursor and styles stay the same
  (kept_lines.py), so a focus change or a streamed page draws again only the lines they
  change; DataTable drew every line on screen again for either.
- While nothing happens, the texts of the cells a page up and down and of the last screen
  are rendered ahead, so `pagedown` and `G` only restyle.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Any, TypeVar

from rich.padding import Padding
from rich.segment import Segment
from rich.style import Style
from textual.color import Color
from textual.widgets import DataTable
from textual.widgets.data_table import ColumnKey, RowKey

from tuiflow.ui import keys
from tuiflow.ui.widgets.generations import Generations
from tuiflow.ui.widgets.kept_lines import KEPT_LINES_INTERNALS, KeptLines
from tuiflow.ui.widgets.plain_cells import plain_cell_lines
from tuiflow.ui.widgets.render_ahead import RenderAhead

_UNKNOWN: Any = object()
BARE_CELLS = 10_000  # rendered cell texts kept (twice that at most); a screen is a few thousand
STYLE_IDS = 4_096  # style pairs numbered before the numbering starts again
# DataTable internals the shortcuts rely on (Textual 8); without them it draws as it is.
_INTERNALS = (
    "_row_locations", "_column_locations", "_cell_render_cache", "_row_render_cache",
    "_update_count", "_pseudo_class_state", "_show_hover_cursor", "_get_row_renderables",
    "_get_styles_to_render_cell", "_render_line_in_row", "_get_row_style", "_labelled_row_exists",
    "_row_label_column_width", *KEPT_LINES_INTERNALS,
)  # fmt: skip

_Lines = list[list[Segment]]
_T = TypeVar("_T")


def _cropped_away(width: int, style: Style) -> _Lines:
    """A one-line cell wholly outside the visible columns: the line is cropped to them
    afterwards, so only its width counts."""
    return [[Segment(" " * width, style)]]

class NavTable(RenderAhead, KeptLines, DataTable[Any]):
    BINDINGS = keys.TABLE

    # Focus shows in the cursor's colour (and, on the main screen, in the pane's border),
    # not in a tint of the whole table (DataTable's default): that changed every cell's
    # style, so a `tab` restyled every visible cell of both tables.
    DEFAULT_CSS = """
    NavTable {
        height: 1fr;
        scrollbar-size-vertical: 1;
        &:focus {
            background-tint: $foreground 0%;
            & > .datatable--header {
                background-tint: $foreground 0%;
            }
        }
    }
    """

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("zebra_stripes", True)
        # Set before DataTable's __init__: it already reads ordered_columns, which uses these.
        self._frame: dict[Hashable, Any] | None = None  # see _per_frame
        # Cells are known by identity (id(cell), checked against the cell kept with the
        # entry, which keeps the id from being reused): ints hash in C, where a row key
        # hashes in Python and a style pair in Python twice, several times a cell.
        # (cell id, place, width, padding, style id, edits) -> (the formatted cell, lines)
        self._styled: Generations[tuple[int, ...], tuple[Any, _Lines]] = Generations(BARE_CELLS)
        self._style_ids: dict[tuple[Style, Style], int] = {}  # see _cell_styles
        self._next_style_id = 0
        super().__init__(**kwargs)
        # (cell id, width, padding, edits) -> (the formatted cell, unstyled lines)
        self._bare: Generations[tuple[int, ...], tuple[Any, _Lines]] = Generations(BARE_CELLS)
        self._metas: Generations[tuple[int, int], Style] = Generations(BARE_CELLS)
        self._edits: dict[tuple[Any, Any], int] = {}  # (row key, column key) -> updates
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
        self._shown = self._per_frame("shown", self._visible_columns)
        row_index = self._row_locations.get(row_key) if self._fast else None
        if row_index is None or (self._labelled_row_exists and self.show_row_labels):
            # The header, row labels: DataTable's own way.
            return super()._render_line_in_row(
                row_key, line_no, base_style, cursor_location, hover_location
            )
        return self._render_data_line(
            row_key, row_index, line_no, base_style, cursor_location, hover_location
        )

    def _render_data_line(self, row_key: Any, row_index: int, line_no: int, base_style: Style,
                          cursor_location: Any, hover_location: Any) -> Any:  # fmt: skip
        """DataTable's `_render_line_in_row` for a data row (Textual 8.2), with what is the
        same for every line of a frame worked out once per frame: DataTable recomputes its
        component styles (a walk up the DOM each) and the widths of all columns per line."""
        cursor_type = self.cursor_type
        show_cursor = self.show_cursor
        cache_key = (row_key, line_no, base_style, cursor_location, hover_location,
                     cursor_type, show_cursor, self._show_hover_cursor, self._update_count,
                     self._pseudo_class_state)  # fmt: skip
        cached = self._row_render_cache.get(cache_key)
        if cached is not None:
            return cached
        widths, column_keys = self._widths_and_keys()
        render_cell = self._render_cell
        if self._one_line_row(row_index) is not None:
            cells = self._get_row_renderables(row_index)[1]
            shown, padding = self._shown, self._padding()
            fixed_count = self._fixed_counts()[1]
            # Each kind of cell's styles in this line, by ints and bools (the frame's look-up
            # hashes a style in Python); both base styles live through the line: ids hold.
            kinds: dict[tuple[int, bool, bool, bool], tuple[tuple[Style, Style], int]] = {}

            def render_cell(row_index: int, column_index: int, base_style: Style, width: int,
                            cursor: bool = False, hover: bool = False) -> Any:  # fmt: skip
                if column_index not in shown:
                    return _cropped_away(width, base_style)
                kind = (id(base_style), column_index < fixed_count, cursor, hover)
                styles = kinds.get(kind)
                if styles is None:
                    styles = kinds[kind] = self._cell_styles(
                        base_style, row_index, column_index, cursor, hover
                    )
                return self._styled_cell(row_index, row_key, column_index,
                                         column_keys[column_index], cells[column_index],
                                         width, styles, padding)  # fmt: skip

        def lit(location: Any, column_index: int) -> bool:  # DataTable._should_highlight
            if cursor_type == "cell":
                return location.row == row_index and location.column == column_index
            if cursor_type == "row":
                return location.row == row_index
            if cursor_type == "column":
                return location.column == column_index
            return False

        fixed_row = []
        fixed_columns = self.fixed_columns
        if fixed_columns:

            def fixed() -> Style:
                return self._component_style("datatable--fixed") + Style.from_meta({"fixed": True})

            fixed_style = self._per_frame("fixed", fixed)
            for column_index in range(min(fixed_columns, len(widths))):
                fixed_row.append(
                    render_cell(row_index, column_index, fixed_style, widths[column_index],
                                cursor=lit(cursor_location, column_index),
                                hover=lit(hover_location, column_index))[line_no]  # fmt: skip
                )

        row_style = self._get_row_style(row_index, base_style)
        scrollable_row = []
        for column_index, width in enumerate(widths):
            scrollable_row.append(
                render_cell(row_index, column_index, row_style, width,
                            cursor=lit(cursor_location, column_index),
                            hover=lit(hover_location, column_index))[line_no]  # fmt: skip
            )

        # The rest of the line, past the last column, in the row's colours.
        table_width = sum(widths[fixed_columns:]) + self._row_label_column_width
        remaining_space = max(0, self.size.width - table_width)
        is_cursor = cursor_type == "row" and row_index == cursor_location.row
        is_hover = cursor_type == "row" and hover_location.row == (row_index or 0)
        extend_style = self._per_frame(
            ("extend", row_style, is_cursor, is_hover, show_cursor),
            lambda: self._extend_style(row_style, is_cursor, is_hover),
        )
        extend_style += Style.from_meta({"row": row_index, "column": 0, "out_of_bounds": True})
        scrollable_row.append([Segment(" " * remaining_space, extend_style)])

        row_pair = (fixed_row, scrollable_row)
        self._row_render_cache[cache_key] = row_pair
        return row_pair

    def _styled_cell(self, row_index: int, row_key: Any, column_index: int, column_key: Any,
                     cell: Any, width: int, styles: tuple[tuple[Style, Style], int],
                     padding: int) -> _Lines:  # fmt: skip
        """`_render_cell` for a visible cell of a one-line row (`styles` from
        _cell_styles), kept while the cell, its place and the styles it is drawn in stay the
        same. DataTable keys its cell cache on its update counter, which every streamed page
        bumps, and on focus, which changes the styles of the cursor's cells alone (NavTable's
        CSS): each made it restyle the whole screen."""
        edits = self._edits.get((row_key, column_key), 0) if self._edits else 0
        key = (id(cell), row_index, column_index, width, padding, styles[1], edits)
        entry = self._styled.get(key)
        if entry is not None and entry[0] is cell:
            return entry[1]
        lines = self._restyle(row_index, row_key, column_index, column_key, width, styles)
        self._styled[key] = (cell, lines)
        return lines

    def _fixed_counts(self) -> tuple[int, int]:
        return self._per_frame("fixed counts", lambda: (self.fixed_rows, self.fixed_columns))

    def _padding(self) -> int:
        """`cell_padding`, a reactive (four attribute checks a read), once per frame."""
        return self._per_frame("padding", lambda: self.cell_padding)

    def _widths_and_keys(self) -> tuple[list[int], list[Any]]:
        """The columns' widths and keys, in screen order, once per frame."""

        def columns() -> tuple[list[int], list[Any]]:
            ordered = self.ordered_columns
            return [c.get_render_width(self) for c in ordered], [c.key for c in ordered]

        return self._per_frame("columns", columns)

    @property
    def ordered_columns(self) -> list[Any]:
        # DataTable builds this list again on every access, several times a line.
        parent = super()
        return self._per_frame("ordered", lambda: parent.ordered_columns)

    @property
    def rich_style(self) -> Style:
        # DataTable asks for it once a line: a walk up the DOM each time.
        parent = super()
        return self._per_frame("rich_style", lambda: parent.rich_style)

    def _extend_style(self, row_style: Style, is_cursor: bool, is_hover: bool) -> Style:
        """The style DataTable gives the space right of the last column (before its meta)."""
        if self.cursor_type == "row":
            extend_style, _ = self._get_styles_to_render_cell(
                False, False, False, is_hover, is_cursor,
                self.show_cursor, self._show_hover_cursor, False, False,
            )  # fmt: skip
            return row_style + extend_style
        if row_style.bgcolor is not None:
            background = self._per_frame("background", lambda: self.background_colors[1])
            faded = Color.from_rich_color(row_style.bgcolor).blend(background, factor=0.25)
            return Style.from_color(color=row_style.color, bgcolor=faded.rich_color)
        return Style.from_color(row_style.color, row_style.bgcolor)

    def _get_row_style(self, row_index: int, base_style: Style) -> Style:
        if not self._fast:
            return super()._get_row_style(row_index, base_style)
        if row_index == -1:
            return self._component_style("datatable--header")
        if row_index < self.fixed_rows:
            return self._component_style("datatable--fixed")
        if self.zebra_stripes:
            odd = row_index % 2
            return self._component_style("datatable--odd-row" if odd else "datatable--even-row")
        return base_style

    def _component_style(self, name: str) -> Style:
        """`get_component_styles(name).rich_style`, once per frame."""
        return self._per_frame(name, lambda: self.get_component_styles(name).rich_style)

    def _per_frame(self, key: Hashable, compute: Callable[[], _T]) -> _T:
        """`compute()`, once while a frame is drawn (or a render-ahead step runs): what it
        depends on cannot change meanwhile. Outside one (a test asking for a line), every
        time."""
        frame = self._frame
        if frame is None:
            return compute()
        if key in frame:
            return frame[key]  # type: ignore[no-any-return]
        value = frame[key] = compute()
        return value

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
        if not self._fast or column_index < 0:  # row labels
            return super()._render_cell(row_index, column_index, base_style, width, cursor, hover)
        if row_index < 0:  # the header: DataTable draws it again on every added row
            if column_index not in self._shown and self.header_height == 1:
                return _cropped_away(width, base_style)
            return super()._render_cell(row_index, column_index, base_style, width, cursor, hover)
        row_key = self._one_line_row(row_index)
        if row_key is None:
            return super()._render_cell(row_index, column_index, base_style, width, cursor, hover)
        if column_index not in self._shown:
            return _cropped_away(width, base_style)
        column_key = self._column_locations.get_key(column_index)
        cache_key = (row_key, column_key, base_style, cursor, hover, self._show_hover_cursor,
                     self._update_count, self._pseudo_class_state)  # fmt: skip
        lines = self._cell_render_cache.get(cache_key)
        if lines is None:
            styles = self._cell_styles(base_style, row_index, column_index, cursor, hover)
            lines = self._restyle(row_index, row_key, column_index, column_key, width, styles)
            self._cell_render_cache[cache_key] = lines
        return lines

    def _cell_styles(self, base_style: Style, row_index: int, column_index: int, cursor: bool,
                     hover: bool) -> tuple[tuple[Style, Style], int]:  # fmt: skip
        """The styles DataTable draws a data cell in, but its meta: (before, after the
        text's own), worked out once per frame for each kind of cell, and a number for the
        pair, the same while the pair is (for cache keys)."""
        fixed_rows, fixed_columns = self._fixed_counts()
        fixed = row_index < fixed_rows or column_index < fixed_columns

        def styles() -> tuple[tuple[Style, Style], int]:
            component_style, post_style = self._get_styles_to_render_cell(
                False,
                False,
                fixed,
                hover,
                cursor,
                self.show_cursor,
                self._show_hover_cursor,
                self.cursor_foreground_priority == "css",
                self.cursor_background_priority == "css",
            )
            pair = (base_style + component_style, post_style)
            style_id = self._style_ids.get(pair)
            if style_id is None:
                if len(self._style_ids) >= STYLE_IDS:  # numbers are not reused: old keys miss
                    self._style_ids.clear()
                style_id = self._style_ids[pair] = self._next_style_id
                self._next_style_id += 1
            return pair, style_id

        return self._per_frame(("cell", base_style, fixed, hover, cursor), styles)

    def _restyle(self, row_index: int, row_key: Any, column_index: int, column_key: Any,
                 width: int, styles: tuple[tuple[Style, Style], int]) -> _Lines:  # fmt: skip
        """The cell's text (rendered once) in `styles` (from _cell_styles), as DataTable
        styles it."""
        bare = self._bare_cell(row_index, row_key, column_index, column_key, width)
        (plain_style, post_style), style_id = styles
        # DataTable gives a segment `row + meta + component + its style + post`, where
        # `plain` is `row + component`. A meta style has no colours, attributes or link, so
        # while the component style (from CSS, which has neither), the segment's style and
        # `post` carry no meta or link, adding the meta last gives the same style, and
        # `plain + its style + post` is then the same for every cell of the frame: one
        # addition a segment instead of three, two of them with a style made for the cell
        # (so never in Rich's addition cache).
        # Neighbours that come out in the same style (the padding and an unstyled text) are
        # one segment, as the line's `simplify` would make them anyway.
        combined = self._per_frame(("combined", style_id), dict)
        meta = self._cell_meta(row_index, column_index)
        lines = []
        for line in bare:
            styled: list[Segment] = []
            last_base: Style | None = None
            for text, style, control in line:
                if control:
                    styled.append(Segment(text, None, control))
                    last_base = None
                    continue
                base = combined.get(style, _UNKNOWN)
                if base is _UNKNOWN:
                    base = combined[style] = self._without_meta(plain_style, style, post_style)
                if base is None:  # meta or a link: the order of the additions matters
                    pre_style = plain_style + meta
                    return [list(Segment.apply_style(ln, pre_style, post_style)) for ln in bare]
                if base is last_base:
                    styled[-1] = Segment(styled[-1].text + text, styled[-1].style)
                else:
                    styled.append(Segment(text, base + meta))
                    last_base = base
            lines.append(styled)
        return lines

    def _cell_meta(self, row_index: int, column_index: int) -> Style:
        """DataTable's meta for the cell at this place (what a click reports), made once."""
        key = (row_index, column_index)
        meta = self._metas.get(key)
        if meta is None:
            meta = self._metas[key] = Style.from_meta({"row": row_index, "column": column_index})
        return meta

    @staticmethod
    def _without_meta(plain_style: Style, style: Style | None, post_style: Style) -> Style | None:
        """`plain_style + style + post_style`, or None if `style` or `post_style` has meta or
        a link (see _restyle)."""
        for part in (style, post_style):
            if part is not None and (part.link or part.meta):
                return None
        return plain_style + style + post_style

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
        key = self._bare_key(cell, row_key, column_key, width)
        bare = self._bare.get(key)
        if bare is None or bare[0] is not cell:
            bare = (cell, self._render_text(cell, width))
            self._bare[key] = bare
        return bare[1]

    def _bare_key(self, cell: Any, row_key: Any, column_key: Any, width: int) -> tuple[int, ...]:
        edits = self._edits.get((row_key, column_key), 0) if self._edits else 0
        return (id(cell), width, self._padding(), edits)

    def update_cell(self, row_key: RowKey | str, column_key: ColumnKey | str, value: Any, *,
                    update_width: bool = False) -> None:  # fmt: skip
        super().update_cell(row_key, column_key, value, update_width=update_width)
        # The caches know a cell by identity, and a cell changed in place and given again
        # is the same object: its edits are counted into their keys, and its line dropped.
        edit = (RowKey(row_key) if isinstance(row_key, str) else row_key,
                ColumnKey(column_key) if isinstance(column_key, str) else column_key)  # fmt: skip
        self._edits[edit] = self._edits.get(edit, 0) + 1
        self._lines.discard((edit[0], 0))

    def clear(self, columns: bool = False) -> NavTable:
        super().clear(columns)
        # With the rows gone, their edit counts go too (they would grow for as long as the
        # table lives), and with them every entry keyed on them.
        self._edits.clear()
        for cache in (self._bare, self._styled, self._lines):
            cache.clear()
        return self

    def _render_text(self, cell: Any, width: int) -> _Lines:
        """What Rich draws for the padded cell in one line of `width` cells."""
        console = self.app.console
        options = self._per_frame(
            "options", lambda: self.app.console_options.update(no_wrap=True)
        )
        lines = plain_cell_lines(cell, width, self._padding(), console, options)
        if lines is None:
            padded = Padding(cell, (0, self.cell_padding))
            lines = console.render_lines(padded, options.update_dimensions(width, 1))
        return lines
