"""Round x-axis ticks for metric charts: whole steps, clock times, elapsed durations.

plotext's own ticks split the range evenly (step 9.8, 19.5, …); people read 10, 20, 30
and 12:30, 12:45, and "1m 30s" since the run's first point. Pure: no I/O, no plotext.
"""

from __future__ import annotations

import math
from datetime import datetime, timezone, tzinfo

# Tick spacings for time axes, in seconds: round clock intervals up to a week.
TIME_STEPS = (
    1, 2, 5, 10, 15, 30,
    60, 120, 300, 600, 900, 1800,
    3600, 7200, 10800, 21600, 43200,
    86400, 172800, 604800,
)  # fmt: skip


def nice_step(span: float, max_ticks: int) -> float:
    """The smallest 1-2-5 x 10^k spacing that puts at most `max_ticks` ticks on `span`."""
    if span <= 0 or max_ticks < 1:
        return 1.0
    raw = span / max_ticks
    base = 10 ** math.floor(math.log10(raw))
    for mult in (1, 2, 5, 10):
        if base * mult >= raw:
            return base * mult
    return base * 10


def ticks_between(lo: float, hi: float, step: float) -> list[float]:
    first = math.ceil(lo / step - 1e-9)
    last = math.floor(hi / step + 1e-9)
    return [k * step for k in range(first, last + 1)]


def number_label(value: float, step: float) -> str:
    if step >= 1 and float(value).is_integer():
        return f"{int(value):,}".replace(",", "_") if abs(value) >= 100_000 else str(int(value))
    decimals = max(0, -math.floor(math.log10(step))) if step > 0 else 2
    return f"{value:.{decimals}f}"


def time_step(span: float, max_ticks: int) -> float:
    raw = span / max(1, max_ticks)
    for step in TIME_STEPS:
        if step >= raw:
            return float(step)
    return TIME_STEPS[-1] * nice_step(raw / TIME_STEPS[-1], 1)


def duration_label(seconds: float, step: float) -> str:
    """0s, 45s, 1m 30s, 2h, 1d 6h: the coarsest units the tick spacing needs."""
    if step < 1:
        return f"{seconds:.{max(0, -math.floor(math.log10(step)))}f}s"
    sign = "-" if seconds < 0 else ""
    left = int(round(abs(seconds)))
    parts = []
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        amount, left = divmod(left, size)
        if amount:
            parts.append(f"{amount}{unit}")
    return sign + (" ".join(parts[:2]) or "0s")


def clock_label(seconds: float, step: float, several_days: bool, tz: tzinfo | None) -> str:
    when = datetime.fromtimestamp(seconds, tz=timezone.utc).astimezone(tz)
    if step >= 86400:
        return when.strftime("%Y-%m-%d")
    if several_days:
        return when.strftime("%m-%d %H:%M")
    if step >= 60:
        return when.strftime("%H:%M")
    return when.strftime("%H:%M:%S")


def x_ticks(
    lo: float, hi: float, axis: str, max_ticks: int, tz: tzinfo | None = None
) -> tuple[list[float], list[str]]:
    """Tick positions and labels for an x range; `tz` None means the local time zone."""
    span = hi - lo
    if span <= 0:
        return [], []
    if axis == "step":
        step = max(1.0, nice_step(span, max_ticks))
        ticks = ticks_between(lo, hi, step)
        return ticks, [number_label(t, step) for t in ticks]
    # Under a second per tick: plain decimal seconds; otherwise round clock intervals.
    step = nice_step(span, max_ticks) if span < max_ticks else time_step(span, max_ticks)
    if axis == "relative":
        ticks = ticks_between(lo, hi, step)
        return ticks, [duration_label(t, step) for t in ticks]
    if axis == "wall":
        if step < 1:
            ticks = ticks_between(lo, hi, step)
            return ticks, [f"{t % 60:.{max(0, -math.floor(math.log10(step)))}f}s" for t in ticks]
        offset = _utc_offset(lo, tz) if step >= 3600 else 0  # whole hours/days in local time
        ticks = [t - offset for t in ticks_between(lo + offset, hi + offset, step)]
        several_days = _local_date(lo, tz) != _local_date(hi, tz)
        return ticks, [clock_label(t, step, several_days, tz) for t in ticks]
    raise ValueError(f"unknown x axis {axis!r}")


def _utc_offset(seconds: float, tz: tzinfo | None) -> float:
    offset = datetime.fromtimestamp(seconds, tz=timezone.utc).astimezone(tz).utcoffset()
    return offset.total_seconds() if offset else 0.0


def log_ticks(lo: float, hi: float, max_ticks: int) -> tuple[list[float], list[str]]:
    """Ticks for a log axis spanning 10**lo .. 10**hi: decades, or 1-2-5 within one.

    Positions are data values (plotext takes the log of ticks itself on a log scale).
    """
    if hi <= lo or max_ticks < 2:
        return [], []
    first, last = math.ceil(lo - 1e-9), math.floor(hi + 1e-9)
    decades = list(range(first, last + 1))
    if len(decades) >= 2:
        stride = math.ceil(len(decades) / max_ticks)
        values = [10.0**d for d in decades[::stride]]
    else:
        values = [
            m * 10.0**d
            for d in range(math.floor(lo), math.ceil(hi) + 1)
            for m in (1, 2, 5)
            if lo - 1e-9 <= math.log10(m) + d <= hi + 1e-9
        ]
        if len(values) < 2:
            return [], []
        values = values[:: math.ceil(len(values) / max_ticks)]
    return values, [f"{v:g}" for v in values]


def _local_date(seconds: float, tz: tzinfo | None) -> object:
    return datetime.fromtimestamp(seconds, tz=timezone.utc).astimezone(tz).date()
