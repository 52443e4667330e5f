"""Time drawing a 1,000,000-point metric history as the chart screen does.

    python benchmarks/bench_chart.py [--points 1000000] [--width 200] [--height 50] [--repeat 5]

The timed case is what happens when a history is shown or a setting changes: prepare
the series (x values, sort check, NaN/inf check), downsample it to the plot's width and
build the plotext figure (the text the widget paints). Converting `Metric` objects into
columns happens once per load, in the worker thread; it is reported on its own line, as
are the same case with EMA smoothing and a redraw after a resize (downsample + build
only). The median of `--repeat` runs is printed; the target is under 0.5 s. It is a
report: the exit status is 0 whatever the numbers are.
"""

from __future__ import annotations

import argparse
import math
import random
import statistics
import time
from collections.abc import Callable

from plotext._figure import _figure_class as Figure

from tuiflow import charts
from tuiflow.entities import Metric

TARGET_S = 0.5


def make_history(points: int) -> list[Metric]:
    rng = random.Random(42)
    start = 1_700_000_000_000
    return [
        Metric("loss", math.exp(-i / (points / 5)) + rng.gauss(0, 0.05), start + 10 * i, i)
        for i in range(points)
    ]


def median_seconds(fn: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        began = time.perf_counter()
        fn()
        times.append(time.perf_counter() - began)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=1_000_000)
    parser.add_argument("--width", type=int, default=200)
    parser.add_argument("--height", type=int, default=50)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    metrics = make_history(args.points)
    history = charts.History.from_metrics(metrics)

    def draw(options: charts.Options) -> Callable[[], str]:
        def run() -> str:
            series = charts.prepare("run", history, options)
            fig = Figure()
            charts.draw(fig, [series], options, args.width, args.height)
            return fig.build()

        return run

    prepared = charts.prepare("run", history, charts.Options())

    def redraw() -> str:
        fig = Figure()
        charts.draw(fig, [prepared], charts.Options(), args.width, args.height)
        return fig.build()

    cases = [
        ("prepare + downsample + build", draw(charts.Options()), True),
        ("  same, EMA 0.6", draw(charts.Options(smoothing=0.6)), False),
        ("  same, wall time, log-y", draw(charts.Options("wall", True)), False),
        ("resize: downsample + build", redraw, False),
        ("Metric objects -> columns (worker)", lambda: charts.History.from_metrics(metrics), False),
    ]
    print(f"{args.points:,} points, {args.width}x{args.height} plot, median of {args.repeat}")
    for name, fn, targeted in cases:
        seconds = median_seconds(fn, args.repeat)
        verdict = ""
        if targeted:
            verdict = "  (target < 0.5 s: " + ("met)" if seconds < TARGET_S else "MISSED)")
        print(f"{name:<38} {seconds:7.3f} s{verdict}")


if __name__ == "__main__":
    main()
