"""Rendering ahead for NavTable: while nothing happens, the texts of the cells a page up
and down and of the last screen, so `pagedown` and `G` only restyle them."""

from __future__ import annotations

import time
from collections.abc import Hashable
from typing import Any

AHEAD_DELAY_S = 0.15  # after a paint, this long before rendering ahead
AHEAD_STEP_S = 0.01
AHEAD_STEP_BUDGET_S = 0.004  # rendering ahead, per step: a key arriving waits this at most


class RenderAhead:
    """NavTable's own drawing (nav_table.py) supplies the frame, the caches and the cells."""

    _frame: dict[Hashable, Any] | None
    _fast: bool
    _ahead_timer: Any
    _visible_columns: Any
    _one_line_row: Any
    _bare_cell: Any
    set_timer: Any
    size: Any
    scroll_y: float
    row_count: int
    ordered_columns: Any

    def render_lines(self, crop: Any) -> Any:
        self._frame = {}
        try:
            lines = super().render_lines(crop)
        finally:
            self._frame = None
        if self._fast and self._ahead_timer is None:
            self._ahead_timer = self.set_timer(AHEAD_DELAY_S, self._render_ahead)
        return lines

    def _render_ahead(self) -> None:
        """While nothing else happens, the texts of the cells a page up or down, and of the
        last screen (`G`), so those keys only restyle them; a few milliseconds per step, so
        a key that arrives meanwhile waits for a step at most."""
        self._ahead_timer = None
        self._frame = {}  # nothing changes during a step: what a frame keeps, it keeps
        try:
            self._render_ahead_step()
        finally:
            self._frame = None

    def _render_ahead_step(self) -> None:
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
        until = time.perf_counter() + AHEAD_STEP_BUDGET_S
        for row_index in wanted:
            row_key = self._one_line_row(row_index)
            if row_key is None:
                continue
            for column_index in columns:
                if column_index >= len(ordered):
                    continue
                column = ordered[column_index]  # a cell rendered already is found at once
                self._bare_cell(row_index, row_key, column_index, column.key,
                                column.get_render_width(self))  # fmt: skip
            if time.perf_counter() > until:
                self._ahead_timer = self.set_timer(AHEAD_STEP_S, self._render_ahead)
                return
