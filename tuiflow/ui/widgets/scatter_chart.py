"""A plotext scatter of `ScatterData`: one marker per run, marked runs stand out.

The figure is rebuilt on every render from the data held here, so resizing redraws at
the new size and the theme's colours follow the app's theme.
"""

from __future__ import annotations

from rich.console import RenderableType
from textual.color import Color
from textual_plotext import PlotextPlot

from tuiflow.compare import ScatterData
from tuiflow.textsafe import inert

RUN_MARKER = "•"
MARKED_MARKER = "◆"
TICK_LABEL_WIDTH = 10
MIN_TICK_SPACING = 8  # columns per category label before labels start to be skipped


def _rgb(color: str | None, fallback: tuple[int, int, int]) -> tuple[int, int, int]:
    if not color:
        return fallback
    try:
        return Color.parse(color).rgb
    except Exception:  # a theme colour plotext-unfriendly or unparsable: use the fallback
        return fallback


def _short(label: str) -> str:
    label = inert(label, single_line=True)
    return label if len(label) <= TICK_LABEL_WIDTH else label[: TICK_LABEL_WIDTH - 1] + "…"


class ScatterChart(PlotextPlot):
    DEFAULT_CSS = """
    ScatterChart {
        height: 1fr;
        width: 1fr;
    }
    """

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.data: ScatterData | None = None
        self.marked: frozenset[str] = frozenset()
        self.log_x = False
        self.log_y = False

    def show(
        self, data: ScatterData, marked: frozenset[str], log_x: bool = False, log_y: bool = False
    ) -> None:
        self.data = data
        self.marked = marked
        self.log_x = log_x
        self.log_y = log_y
        self.refresh()

    def series(self) -> tuple[list[tuple[float, float]], list[tuple[float, float]]]:
        """(other runs' points, marked runs' points) as drawn."""
        if self.data is None:
            return [], []
        others = [(p.x, p.y) for p in self.data.points if p.run_id not in self.marked]
        marked = [(p.x, p.y) for p in self.data.points if p.run_id in self.marked]
        return others, marked

    def render(self) -> RenderableType:
        self._draw()
        return super().render()

    def _draw(self) -> None:
        plt = self.plt
        plt.clear_figure()
        data = self.data
        if data is None:
            return
        theme = self.app.current_theme
        others, marked = self.series()
        x_label, y_label = (
            inert(data.x_field, single_line=True),
            inert(data.y_field, single_line=True),
        )
        plt.xlabel(x_label)
        plt.ylabel(y_label)
        if not data.points:
            plt.title(f"no run has both {x_label} and {y_label}")
            return
        plt.title(f"{y_label} vs {x_label}")
        # No plotext legend: it is drawn over the top-left corner, where points hide under
        # it; the screen's info line names the markers instead. Marked runs are drawn
        # last so they stay on top where points coincide.
        for points, marker, color in (
            (others, RUN_MARKER, _rgb(theme.primary, (1, 120, 212))),
            (marked, MARKED_MARKER, _rgb(theme.warning, (255, 166, 43))),
        ):
            if points:
                plt.scatter(
                    [x for x, _ in points], [y for _, y in points], marker=marker, color=color
                )
        if data.x_categories is not None:
            count = len(data.x_categories)
            step = max(1, -(-count * MIN_TICK_SPACING // max(self.size.width - 10, 1)))
            ticks = list(range(0, count, step))
            plt.xticks(ticks, [_short(data.x_categories[i]) for i in ticks])
            plt.xlim(-0.5, count - 0.5)
        if self.log_x and data.x_categories is None:
            plt.xscale("log")
        if self.log_y:
            plt.yscale("log")
