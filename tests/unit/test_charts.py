"""tuiflow.charts and tuiflow.chart_ticks: downsampling, smoothing, axes, figures (pure)."""

from __future__ import annotations

import math
import random
import subprocess
import sys
from datetime import timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from plotext import uncolorize
from plotext._figure import _figure_class as Figure

from tuiflow import charts
from tuiflow.chart_ticks import duration_label, log_ticks, nice_step, x_ticks
from tuiflow.entities import Metric

NAN, INF = math.nan, math.inf


def tensorboard_ema(values: list[float], weight: float) -> list[float]:
    """TensorBoard's `resampleSmoothing` (vz_line_chart2), transcribed line by line."""
    last = 0.0 if values else NAN
    num_accum = 0
    is_constant = all(v == values[0] for v in values)
    out = []
    for v in values:
        if is_constant or not math.isfinite(v):
            out.append(v)
        else:
            last = last * weight + (1 - weight) * v
            num_accum += 1
            debias = 1 - weight**num_accum if weight != 1 else 1
            out.append(last / debias)
    return out


def same(a: list[float], b: list[float]) -> bool:
    return len(a) == len(b) and all(
        (math.isnan(x) and math.isnan(y)) or x == pytest.approx(y, rel=1e-12, abs=1e-12)
        for x, y in zip(a, b, strict=True)
    )


# -- downsampling -------------------------------------------------------------------------


def noisy(n: int, seed: int = 1) -> tuple[list[float], list[float]]:
    rng = random.Random(seed)
    return [float(i) for i in range(n)], [math.sin(i / 500) + rng.gauss(0, 0.3) for i in range(n)]


@pytest.mark.parametrize("width", [1, 2, 3, 10, 80, 200])
def test_downsample_keeps_extremes_ends_and_order_within_twice_the_width(width):
    xs, ys = noisy(50_000)
    xs[1234], ys[1234] = xs[1234], 99.0  # a spike must survive
    ys[40_000] = -99.0
    dx, dy = charts.downsample(xs, ys, width)
    assert len(dx) == len(dy) <= 2 * width
    assert max(dy) == 99.0 and min(dy) == -99.0
    assert dx == sorted(dx) and len(set(dx)) == len(dx)  # strictly increasing: no repeats
    assert all(ys[int(x)] == y for x, y in zip(dx, dy, strict=True))  # real points only
    if width >= 2:
        assert (dx[0], dx[-1]) == (xs[0], xs[-1])


def test_downsample_keeps_each_columns_extremes():
    xs, ys = noisy(10_000, seed=7)
    width = 50
    dx, dy = charts.downsample(xs, ys, width)
    buckets = width - 1
    span = xs[-1] - xs[0]
    for b in range(buckets):
        lo, hi = xs[0] + span * b / buckets, xs[0] + span * (b + 1) / buckets
        inside = [y for x, y in zip(xs, ys, strict=True) if lo <= x < hi or (b == buckets - 1)]
        inside = [y for x, y in zip(xs, ys, strict=True) if lo <= x < hi] or inside
        kept = [y for x, y in zip(dx, dy, strict=True) if lo <= x < hi]
        assert min(inside) in kept and max(inside) in kept


def test_downsample_leaves_short_series_alone_and_handles_equal_x():
    assert charts.downsample([1.0, 2.0, 3.0], [3.0, 1.0, 2.0], 2) == (
        [1.0, 2.0, 3.0],
        [3.0, 1.0, 2.0],
    )
    xs = [5.0] * 1000
    ys = [float(i % 17) for i in range(1000)]
    dx, dy = charts.downsample(xs, ys, 10)
    assert len(dx) <= 20 and min(dy) == 0 and max(dy) == 16


def test_downsample_uneven_x_buckets_by_position_on_the_axis():
    # Most points crowd the start (wall time with a long pause): the far point survives.
    xs = [float(i) for i in range(10_000)] + [1_000_000.0]
    ys = [1.0] * 10_000 + [5.0]
    dx, dy = charts.downsample(xs, ys, 20)
    assert dx[-1] == 1_000_000.0 and dy[-1] == 5.0 and len(dx) <= 40


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.floats(-1e6, 1e6, allow_nan=False), min_size=1, max_size=400),
    st.integers(1, 60),
)
def test_downsample_properties(values, width):
    xs = sorted(float(i // 3) for i in range(len(values)))  # repeated x values too
    dx, dy = charts.downsample(xs, values, width)
    assert len(dx) <= max(2 * width, len(values) if len(values) <= 2 * width else 0)
    assert dx == sorted(dx)
    assert min(dy) == min(values) and max(dy) == max(values)


# -- NaN / inf / log ----------------------------------------------------------------------


def test_drop_unplottable_counts_nan_inf_and_nonpositive_on_log():
    xs = [0.0, 1.0, 2.0, 3.0, 4.0, 5.0]
    ys = [1.0, NAN, INF, -INF, 0.0, -2.0]
    assert charts.drop_unplottable(xs, ys) == ([0.0, 4.0, 5.0], [1.0, 0.0, -2.0], 3)
    assert charts.drop_unplottable(xs, ys, log_y=True) == ([0.0], [1.0], 5)
    clean = ([0.0, 1.0], [0.5, 2.0])
    assert charts.drop_unplottable(*clean) == (*clean, 0)
    assert charts.drop_unplottable([], []) == ([], [], 0)
    # finite values whose sum overflows take the slow path and are all kept
    assert charts.drop_unplottable([0.0, 1.0], [1e308, 1e308])[2] == 0


def test_prepare_sorts_by_x_drops_nan_and_counts_log_drops():
    history = charts.History(
        steps=[2, 0, 1, 3, 4],
        timestamps=[1300, 1000, 1100, 1400, 1500],
        values=[0.5, 1.0, NAN, -1.0, 0.25],
    )
    s = charts.prepare("run", history, charts.Options())
    assert (s.xs, s.ys, s.dropped) == ([0, 2, 3, 4], [1.0, 0.5, -1.0, 0.25], 1)
    s = charts.prepare("run", history, charts.Options(log_y=True))
    assert (s.xs, s.ys, s.dropped) == ([0, 2, 4], [1.0, 0.5, 0.25], 2)
    s = charts.prepare("run", history, charts.Options(x_axis="relative"))
    assert s.xs == [0.0, 0.3, 0.4, 0.5]
    s = charts.prepare("run", history, charts.Options(x_axis="wall"))
    assert s.xs == [1.0, 1.3, 1.4, 1.5]


def test_prepare_keeps_equal_steps_in_logged_order():
    history = charts.History([1, 0, 1], [3, 1, 2], [10.0, 0.0, 11.0])
    assert charts.prepare("r", history, charts.Options()).ys == [0.0, 10.0, 11.0]


def test_history_from_metrics():
    metrics = [Metric("loss", 0.5, 1000, 0), Metric("loss", 0.25, 2000, 1)]
    h = charts.History.from_metrics(metrics)
    assert (h.steps, h.timestamps, h.values, len(h)) == ([0, 1], [1000, 2000], [0.5, 0.25], 2)


# -- EMA ----------------------------------------------------------------------------------


@pytest.mark.parametrize("weight", [0.0, 0.2, 0.6, 0.9, 0.99])
def test_ema_matches_tensorboard(weight):
    rng = random.Random(3)
    values = [rng.uniform(-5, 5) for _ in range(500)]
    values[10], values[20], values[30] = NAN, INF, -INF
    expected = values if weight == 0 else tensorboard_ema(values, weight)
    assert same(charts.ema(values, weight), expected)


def test_ema_first_point_is_unbiased_and_constant_series_unchanged():
    assert charts.ema([4.0, 4.0, 4.0], 0.9) == [4.0, 4.0, 4.0]
    smoothed = charts.ema([10.0, 0.0], 0.6)
    assert smoothed[0] == pytest.approx(10.0)  # debiasing: no pull towards 0
    assert smoothed[1] == pytest.approx((0.6 * 0.4 * 10) / (1 - 0.36))
    assert charts.ema([], 0.5) == []


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.floats(-1e3, 1e3, allow_nan=False), min_size=1, max_size=60),
    st.sampled_from(charts.SMOOTHING_LEVELS[1:]),
)
def test_ema_property_matches_reference_and_stays_in_range(values, weight):
    out = charts.ema(values, weight)
    assert same(out, tensorboard_ema(values, weight))
    assert all(min(values) - 1e-6 <= y <= max(values) + 1e-6 for y in out)


def test_prepare_smooths_raw_values_then_hides_nonpositive_on_log():
    history = charts.History([0, 1, 2, 3], [0, 1, 2, 3], [4.0, -1.0, 2.0, 1.0])
    s = charts.prepare("r", history, charts.Options(log_y=True, smoothing=0.6))
    smooth = tensorboard_ema([4.0, -1.0, 2.0, 1.0], 0.6)
    assert s.smooth_ys == [y for y in smooth if y > 0]
    assert s.ys == [4.0, 2.0, 1.0] and s.dropped == 1


# -- axes, ranges, labels -----------------------------------------------------------------


def test_step_ticks_are_round_integers():
    ticks, labels = x_ticks(0, 39, "step", 5)
    assert ticks == [0, 10, 20, 30] and labels == ["0", "10", "20", "30"]
    ticks, _ = x_ticks(0, 3, "step", 10)
    assert ticks == [0, 1, 2, 3]  # never fractional steps
    assert nice_step(1000, 4) == 500


def test_relative_ticks_are_durations():
    ticks, labels = x_ticks(0, 3600, "relative", 5)
    assert ticks == [0, 900, 1800, 2700, 3600]
    assert labels == ["0s", "15m", "30m", "45m", "1h"]
    assert duration_label(5400, 60) == "1h 30m"
    _, labels = x_ticks(0, 2, "relative", 4)
    assert labels == ["0.0s", "0.5s", "1.0s", "1.5s", "2.0s"]


def test_wall_ticks_are_clock_times():
    start = 1_700_000_000  # 2023-11-14 22:13:20 UTC
    ticks, labels = x_ticks(start, start + 3600, "wall", 5, tz=timezone.utc)
    assert labels == ["22:15", "22:30", "22:45", "23:00"]
    assert all(start <= t <= start + 3600 for t in ticks)
    _, labels = x_ticks(start, start + 5 * 86400, "wall", 4, tz=timezone.utc)
    assert labels[0] == "2023-11-15"
    _, labels = x_ticks(start, start + 20, "wall", 4, tz=timezone.utc)
    assert labels[:2] == ["22:13:20", "22:13:25"]


def test_y_range_has_air_and_handles_flat_and_log():
    lo, hi = charts.y_range([([0.0, 1.0], [0.0, 10.0])], log_y=False)
    assert lo < 0 < 10 < hi
    assert charts.y_range([([0.0], [3.0])], log_y=False) == (2.0, 4.0)
    lo, hi = charts.y_range([([0.0, 1.0], [0.01, 100.0])], log_y=True)
    assert lo < -2 and hi > 2  # log10 units, as plotext's ylim wants on a log scale
    assert charts.y_range([], log_y=False) is None


def test_settings_text_and_labels():
    assert charts.settings_text("loss", charts.Options()) == "loss · x: step"
    text = charts.settings_text("loss", charts.Options("relative", True, 0.6))
    assert text == "loss · x: relative · EMA 0.6 · log-y"
    assert charts.short_label("a" * 30) == "a" * 19 + "…"
    assert charts.short_label("evil\x1b[31m") == "evil\\x1b[31m"


# -- figures ------------------------------------------------------------------------------


def series(label: str, values: list[float], options: charts.Options | None = None):
    n = len(values)
    history = charts.History(list(range(n)), [1000 * i for i in range(n)], values)
    return charts.prepare(label, history, options or charts.Options())


def test_draw_shows_legend_ticks_and_caps_points_at_twice_the_columns():
    xs, ys = noisy(100_000)
    s = charts.prepare(
        "long-run", charts.History([int(x) for x in xs], [0] * len(xs), ys), charts.Options()
    )
    other = series("short", [1.0, 0.5, 0.25])
    fig = Figure()
    drawn = charts.draw(fig, [s, other], charts.Options(), 100, 25)
    assert drawn <= 2 * 92 + 3
    text = uncolorize(fig.build())
    assert "long-run" in text and "short" in text and "step" in text
    assert "50000" in text or "40000" in text  # round step ticks


def test_draw_without_colour_gives_each_series_its_own_marker():
    opts = charts.Options(smoothing=0.6)
    fig = Figure()
    charts.draw(
        fig, [series("a", [1.0, 2.0, 3.0]), series("b", [3.0, 2.0, 1.0])], opts, 60, 15, color=False
    )
    text = fig.build()
    assert "•• a" in uncolorize(text) and "++ b" in uncolorize(text)
    assert "38;2;86;180;233" not in text  # not the palette: the terminal's NO_COLOR look


def test_draw_nothing_and_log_y():
    fig = Figure()
    assert charts.draw(fig, [series("nan", [NAN, NAN])], charts.Options(), 60, 15) == 0
    opts = charts.Options(log_y=True)
    assert charts.draw(fig, [series("r", [100.0, 10.0, 1.0, 0.1], opts)], opts, 60, 15) == 4
    assert {"0.1┤", "10┤"} <= set(uncolorize(fig.build()).split())


def test_log_ticks_are_decades_or_one_two_five():
    assert log_ticks(-1.2, 2.1, 10) == ([0.1, 1.0, 10.0, 100.0], ["0.1", "1", "10", "100"])
    assert log_ticks(-6.5, 6.5, 3)[0] == [1e-6, 1e-1, 1e4]
    assert log_ticks(math.log10(0.19), math.log10(0.6), 5)[1] == ["0.2", "0.5"]
    assert log_ticks(1.0, 1.0, 5) == ([], [])


def test_chart_modules_load_neither_textual_nor_mlflow():
    probe = (
        "import sys, tuiflow.charts, tuiflow.chart_ticks; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('textual', 'mlflow')))"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_wall_ticks_name_the_day_when_the_range_crosses_midnight():
    late = 1_700_000_000 + 1800  # 22:43:20 UTC
    _, labels = x_ticks(late, late + 4 * 3600, "wall", 5, tz=timezone.utc)
    assert labels[0] == "11-14 23:00" and labels[-1].startswith("11-15 ")
