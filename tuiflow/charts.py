"""Metric histories as plottable series: pure, no I/O, no Textual.

A chart is built in two steps so that a resize stays cheap: `prepare` does the work that
depends only on the data and the settings (x transform, sort, dropping what cannot be
drawn, EMA smoothing), `draw` downsamples each prepared series to the plot's width and
puts it on a plotext figure. A 1,000,000-point history draws in a fraction of a second
because at most two points per column reach plotext (benchmarks/bench_chart.py).
"""

from __future__ import annotations

import math
from bisect import bisect_left
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from itertools import accumulate, compress, repeat
from operator import and_, eq, lt, sub, truediv
from typing import Any, Literal

from tuiflow.chart_ticks import log_ticks, x_ticks
from tuiflow.entities import Metric
from tuiflow.textsafe import inert

XAxis = Literal["step", "wall", "relative"]
X_AXES: tuple[XAxis, ...] = ("step", "wall", "relative")
X_LABELS: dict[str, str] = {
    "step": "step",
    "wall": "wall time",
    "relative": "time since the run's first point",
}
SMOOTHING_LEVELS = (0.0, 0.2, 0.4, 0.6, 0.8, 0.9, 0.95, 0.99)
LABEL_WIDTH = 20
MAX_LEGEND = 8
# Okabe-Ito: distinguishable with the common colour-vision deficiencies.
PALETTE = (
    (86, 180, 233),
    (230, 159, 0),
    (0, 158, 115),
    (213, 94, 0),
    (204, 121, 167),
    (240, 228, 66),
    (0, 114, 178),
)
# Without colour the series differ by marker instead.
MARKERS = ("•", "+", "x", "*", "o", "#", "@", "%")


@dataclass(frozen=True, slots=True)
class History:
    """One run's history of one metric, as columns (cheap to build in a worker thread)."""

    steps: list[int]
    timestamps: list[int]
    values: list[float]
    # Whether each x column is already in order: checked once, where the history is built
    # (a worker thread), so switching axes on the event loop skips an O(n) pass.
    steps_sorted: bool = field(init=False)
    timestamps_sorted: bool = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "steps_sorted", self.steps == sorted(self.steps))
        object.__setattr__(self, "timestamps_sorted", self.timestamps == sorted(self.timestamps))

    @classmethod
    def from_metrics(cls, metrics: Iterable[Metric]) -> History:
        ms = metrics if isinstance(metrics, (list, tuple)) else list(metrics)
        return cls([m.step for m in ms], [m.timestamp for m in ms], [m.value for m in ms])

    def __len__(self) -> int:
        return len(self.values)


@dataclass(frozen=True, slots=True)
class Options:
    x_axis: XAxis = "step"
    log_y: bool = False
    smoothing: float = 0.0  # EMA weight, 0 (off) .. 0.99


@dataclass(frozen=True, slots=True)
class Series:
    """A run's points ready to draw: finite, sorted by x, positive on a log scale."""

    label: str
    xs: list[float]
    ys: list[float]
    smooth_xs: list[float] | None  # None when smoothing is off
    smooth_ys: list[float] | None
    dropped: int  # points not drawn: NaN/inf, or <= 0 on a log scale


def settings_text(key: str, options: Options) -> str:
    """`loss · x: step · EMA 0.6 · log-y`: what the chart shows, in one line."""
    parts = [inert(key, single_line=True), f"x: {options.x_axis}"]
    if options.smoothing > 0:
        parts.append(f"EMA {options.smoothing:g}")
    if options.log_y:
        parts.append("log-y")
    return " · ".join(parts)


def short_label(name: str, width: int = LABEL_WIDTH) -> str:
    text = inert(name, single_line=True)
    return text if len(text) <= width else text[: width - 1] + "…"


def x_values(history: History, axis: XAxis) -> list[float]:
    """x of each point (not a copy for steps: callers never modify it); seconds for times."""
    times = history.timestamps
    if axis == "step":
        return history.steps  # type: ignore[return-value]
    if axis == "wall":
        return list(map(truediv, times, repeat(1000)))
    if axis == "relative":
        return list(map(truediv, map(sub, times, repeat(min(times, default=0))), repeat(1000)))
    raise ValueError(f"unknown x axis {axis!r}")


def sort_by_x(
    xs: list[float], ys: list[float], presorted: bool | None = None
) -> tuple[list[float], list[float]]:
    """Sorted by x, stable (equal steps keep the order they were logged in)."""
    if presorted if presorted is not None else xs == sorted(xs):  # timsort: O(n) when sorted
        return xs, ys
    order = sorted(range(len(xs)), key=xs.__getitem__)
    return [xs[i] for i in order], [ys[i] for i in order]


def drop_unplottable(
    xs: list[float], ys: list[float], log_y: bool = False
) -> tuple[list[float], list[float], int]:
    """Drop NaN/inf (and values <= 0 when `log_y`); return what is left and how many went."""
    # sum() is finite only when every value is (a C loop, much faster than testing each).
    total = sum(ys)
    if total - total == 0 and (not log_y or not ys or min(ys) > 0):
        return xs, ys, 0
    # C-level passes (map/compress), not a Python loop: this runs on the event loop.
    if log_y:  # 0 < y < inf; NaN compares False both ways
        mask = list(map(and_, map(lt, repeat(0.0), ys), map(lt, ys, repeat(math.inf))))
    else:  # y - y is NaN (never 0) exactly when y is NaN or ±inf
        mask = list(map(eq, map(sub, ys, ys), repeat(0.0)))
    kept_xs, kept_ys = list(compress(xs, mask)), list(compress(ys, mask))
    return kept_xs, kept_ys, len(ys) - len(kept_ys)


def ema(ys: Sequence[float], weight: float) -> list[float]:
    """Debiased exponential moving average, as TensorBoard and the MLflow UI smooth.

    `weight` 0 returns the values unchanged. Non-finite values pass through and do not
    count (TensorBoard's `numAccum`); a constant series is returned unchanged.
    """
    values = list(ys)
    if weight <= 0 or not values or values.count(values[0]) == len(values):
        return values
    weight = min(weight, 0.999)
    keep = 1 - weight
    total = sum(values)
    if total - total == 0:  # all finite: the same arithmetic, without a Python-level loop
        biased = accumulate(values, lambda last, v: last * weight + keep * v, initial=0.0)
        smoothed = list(biased)[1:]
        # Past this many points 1 - weight**n == 1.0 exactly: nothing left to debias.
        for i in range(min(len(smoothed), int(-17 / math.log10(weight)) + 1)):
            smoothed[i] /= 1 - weight ** (i + 1)
        return smoothed
    out: list[float] = []
    last = 0.0
    accumulated = 0
    for v in values:
        if v - v != 0:
            out.append(v)
            continue
        last = last * weight + keep * v
        accumulated += 1
        # weight**n is below float precision long before this; skip the pow after that.
        out.append(last / (1 - weight**accumulated))
    return out


def downsample(xs: list[float], ys: list[float], width: int) -> tuple[list[float], list[float]]:
    """At most `2 * width` points that keep every bucket's minimum and maximum.

    `xs` must be sorted and `ys` finite. Buckets split the x range evenly (about one per
    column) so each column shows the full vertical extent of its points; the first and last
    points are kept too so the line starts and ends where the data does.
    """
    n = len(xs)
    if n <= 2 * width or width < 1:
        return list(xs), list(ys)
    # Two points per bucket plus the first and last: 2 * (width - 1) + 2 = 2 * width.
    ends = width >= 2
    buckets = width - 1 if ends else 1
    x0, span = xs[0], xs[-1] - xs[0]
    keep: list[int] = [0] if ends else [-1]
    start = 0
    for b in range(1, buckets + 1):
        if b == buckets:
            end = n
        elif span > 0:
            end = bisect_left(xs, x0 + span * b / buckets, start)
        else:  # every x equal: split by position instead
            end = n * b // buckets
        if end <= start:
            continue
        segment = ys[start:end]
        i_lo = segment.index(min(segment))
        i_hi = segment.index(max(segment))
        for i in (i_lo, i_hi) if i_lo < i_hi else (i_hi, i_lo):
            if start + i > keep[-1]:
                keep.append(start + i)
        start = end
    if not ends:
        keep.pop(0)
    elif keep[-1] != n - 1:
        keep.append(n - 1)
    return [xs[i] for i in keep], [ys[i] for i in keep]


def prepare(label: str, history: History, options: Options) -> Series:
    """Everything about a series that does not depend on the plot's size."""
    presorted = history.steps_sorted if options.x_axis == "step" else history.timestamps_sorted
    xs, ys = sort_by_x(x_values(history, options.x_axis), history.values, presorted)
    xs, ys, dropped = drop_unplottable(xs, ys)
    smooth_xs = smooth_ys = None
    if options.smoothing > 0:
        smooth_xs, smooth_ys = xs, ema(ys, options.smoothing)
        if options.log_y:  # smoothing happens on the raw values; the log scale only hides
            smooth_xs, smooth_ys, _ = drop_unplottable(smooth_xs, smooth_ys, True)
    if options.log_y:
        xs, ys, nonpositive = drop_unplottable(xs, ys, True)
        dropped += nonpositive
    return Series(label, xs, ys, smooth_xs, smooth_ys, dropped)


Line = tuple[list[float], list[float]]


def y_range(lines: Sequence[Line], log_y: bool) -> tuple[float, float] | None:
    """Limits with a little air; in log10 units when `log_y` (as plotext's ylim wants)."""
    ys = [y for _, line_ys in lines if line_ys for y in (min(line_ys), max(line_ys))]
    if not ys:
        return None
    lo, hi = min(ys), max(ys)
    if log_y:
        lo, hi = math.log10(lo), math.log10(hi)
    if hi - lo <= 1e-12 * max(1.0, abs(hi)):
        pad = 0.5 if log_y else max(abs(hi) * 0.1, 1.0)
        return lo - pad, hi + pad
    pad = (hi - lo) * 0.05
    return lo - pad, hi + pad


def x_range(lines: Sequence[Line]) -> tuple[float, float] | None:
    """Sorted lines: their first and last x bound the range."""
    ends = [x for xs, _ in lines for x in xs[:1] + xs[-1:]]
    if not ends:
        return None
    lo, hi = min(ends), max(ends)
    return (lo - 1, hi + 1) if hi <= lo else (lo, hi)


def _dim(rgb: tuple[int, int, int]) -> tuple[int, int, int]:
    r, g, b = (int(c * 0.45 + 110 * 0.55) for c in rgb)
    return r, g, b


def draw(
    fig: Any,
    series: Sequence[Series],
    options: Options,
    width: int,
    height: int,
    *,
    color: bool = True,
) -> int:
    """Put `series` on the plotext figure `fig` sized `width` x `height`; return points drawn.

    With colour, lines are braille (2x4 dots per cell) in distinct colours; without, each
    series draws with its own character so the legend still tells them apart. A smoothed
    line goes over its raw values, which stay visible as a dim trace.
    """
    fig.clear_figure()
    fig.plotsize(width, height)
    columns = max(1, width - 8)  # less the y tick labels and the frame
    legend = height >= 8  # plotext drops the legend anyway when it does not fit
    lines: list[tuple[Line, dict[str, Any]]] = []
    visible = [s for s in series if s.ys or s.smooth_ys]
    for i, s in enumerate(visible):
        rgb = PALETTE[i % len(PALETTE)]
        style: dict[str, Any] = {"marker": "braille" if color else MARKERS[i % len(MARKERS)]}
        label = s.label if legend and i < MAX_LEGEND else None
        if s.smooth_ys:
            if color and s.ys:
                raw = downsample(s.xs, s.ys, columns)
                lines.append((raw, {**style, "color": _dim(rgb), "label": None}))
            smooth = downsample(s.smooth_xs or [], s.smooth_ys, columns)
            lines.append((smooth, {**style, "color": rgb if color else None, "label": label}))
        else:
            raw = downsample(s.xs, s.ys, columns)
            lines.append((raw, {**style, "color": rgb if color else None, "label": label}))
    if not lines:
        return 0
    for (xs, ys), style in lines:
        fig.plot(xs, ys, **style)
    # Downsampling keeps every extreme, so the ranges of the lines are those of the data.
    shapes = [line for line, _ in lines]
    if options.log_y:
        fig.yscale("log")
    limits = y_range(shapes, options.log_y)
    if limits:
        fig.ylim(*limits)
        if options.log_y:  # plotext would label evenly spaced logs: 141.25, 25.1, …
            ticks, labels = log_ticks(*limits, max(2, (height - 4) // 3))
            if ticks:
                fig.yticks(ticks, labels)
    span = x_range(shapes)
    if span:
        fig.xlim(*span)
        ticks, labels = x_ticks(span[0], span[1], options.x_axis, max(2, columns // 14))
        if ticks:
            fig.xticks(ticks, labels)
    fig.xlabel(X_LABELS[options.x_axis])
    return sum(len(xs) for (xs, _), _ in lines)
