"""A plotext chart of one metric for one or more runs, redrawn to fit its size.

The widget keeps the prepared series (`charts.prepare`: x transform, NaN/log handling,
smoothing) and downsamples them again whenever its size changes, so a 1,000,000-point
history costs a full pass only when the data or the settings change, never per frame.
"""

from __future__ import annotations

from collections.abc import Sequence

from textual.app import RenderResult
from textual_plotext import PlotextPlot

from tuiflow import charts


class MetricChart(PlotextPlot):
    DEFAULT_CSS = """
    MetricChart {
        width: 1fr;
        height: 1fr;
        min-height: 6;
    }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.options = charts.Options()
        self.series: tuple[charts.Series, ...] = ()
        self.histories: tuple[tuple[str, charts.History], ...] = ()
        self.points_drawn = 0
        self._version = 0
        self._drawn_for: tuple[int, int, int, bool] | None = None

    # -- data in -------------------------------------------------------------------------

    def show(
        self,
        histories: Sequence[tuple[str, charts.History]],
        options: charts.Options | None = None,
    ) -> tuple[charts.Series, ...]:
        """Chart `histories` ((legend label, history) per run) with `options`."""
        self.histories = tuple(histories)
        if options is not None:
            self.options = options
        return self._prepare()

    def set_options(self, options: charts.Options) -> tuple[charts.Series, ...]:
        self.options = options
        return self._prepare()

    def clear(self) -> None:
        self.histories = ()
        self._prepare()

    def _prepare(self) -> tuple[charts.Series, ...]:
        self.series = tuple(charts.prepare(label, h, self.options) for label, h in self.histories)
        self._version += 1
        self.refresh()
        return self.series

    @property
    def dropped(self) -> int:
        return sum(s.dropped for s in self.series)

    # -- drawing -------------------------------------------------------------------------

    def render(self) -> RenderResult:
        width, height = self.size
        color = not self.app.no_color
        key = (width, height, self._version, color)
        if key != self._drawn_for and width > 0 and height > 0:
            # A resize re-downsamples to the new width; paints at the same size reuse it.
            self.points_drawn = charts.draw(
                self.plt, self.series, self.options, width, height, color=color
            )
            self._drawn_for = key
        return super().render()
