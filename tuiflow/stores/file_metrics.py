"""Metric files of the file store: `<run>/metrics/<key>`, one event per line.

Line forms (MLflow `FileStore._get_metric_from_line`): `ts value` (step 0), `ts value step`,
and `ts value step dataset_name dataset_digest`. Reproduced on purpose from MLflow
3.17.2: a 5-field line is read with step 0 (MLflow only parses the step of 3-field
lines), so the latest value and the history match what MLflow itself reports.

The file is appended to without locking, so a reader can see a writer mid-line. Every
line MLflow writes ends with '\\n'; a final line without one is a line being written and
is ignored (MLflow would parse it, or fail on it). Any other bad line is corruption and
raises `MalformedMetricError` with MLflow's wording.
"""

from __future__ import annotations

from tuiflow.entities import Metric
from tuiflow.stores.yamlio import read_bytes

# (timestamp, value, step, dataset_name, dataset_digest)
Event = tuple[int, float, int, "str | None", "str | None"]


class MalformedMetricError(Exception):
    """A metric file MLflow itself could not read."""


def _complete_lines(data: bytes, key: str) -> list[str]:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise MalformedMetricError(f"Metric '{key}' is malformed; not UTF-8 text") from None
    lines = text.split("\n")
    lines.pop()  # '' after a final newline, else the line a writer is still appending
    return lines


def _bad_count(key: str, n: int) -> MalformedMetricError:
    return MalformedMetricError(
        f"Metric '{key}' is malformed; persisted metric data contained {n} fields. "
        "Expected 2, 3, or 5 fields."
    )


def _bad_number(key: str, line: str) -> MalformedMetricError:
    return MalformedMetricError(f"Metric '{key}' is malformed; cannot parse line {line!r}")


def parse_events(data: bytes, key: str) -> list[Event]:
    """Every complete event in file order."""
    out: list[Event] = []
    append = out.append
    for line in _complete_lines(data, key):
        parts = line.strip().split(" ")
        n = len(parts)
        try:
            if n == 3:
                append((int(parts[0]), float(parts[1]), int(parts[2]), None, None))
            elif n == 2:
                append((int(parts[0]), float(parts[1]), 0, None, None))
            elif n == 5:
                append((int(parts[0]), float(parts[1]), 0, parts[3], parts[4]))
            else:
                raise _bad_count(key, n)
        except ValueError:
            raise _bad_number(key, line) from None
    return out


def latest_event(data: bytes, key: str) -> Event | None:
    """The event MLflow reports as the metric's value, or None for a file with no event.

    MLflow takes `max(events, key=(step, timestamp, value))`: the first event whose tuple
    is strictly greater wins, and a NaN value is never greater, so among events with the
    same step and timestamp a NaN is kept only when it comes first. `max()` over the same
    tuples in the same order reproduces that exactly.
    """
    lines = _complete_lines(data, key)
    if not lines:
        return None
    # Fast path: every line is the 3-field form MLflow writes. int()/float() ignore the
    # surrounding whitespace that MLflow strips, so the numbers are the same.
    rows = [line.split(" ") for line in lines]
    try:
        keys = [(int(r[2]), int(r[0]), float(r[1])) for r in rows if len(r) == 3]
    except ValueError:
        keys = []
    if len(keys) == len(rows):
        step, ts, value = max(keys)
        return (ts, value, step, None, None)
    best: Event | None = None
    best_key: tuple[int, int, float] | None = None
    for event in parse_events(data, key):
        k = (event[2], event[0], event[1])
        if best_key is None or k > best_key:
            best_key, best = k, event
    return best


def to_metric(key: str, event: Event) -> Metric:
    ts, value, step, name, digest = event
    return Metric(key, value, ts, step, name, digest)


def read_latest(path: str, key: str) -> Metric | None:
    """Latest value of one metric file; None when the file is absent or has no event."""
    try:
        data = read_bytes(path)
    except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
        return None
    event = latest_event(data, key)
    return None if event is None else to_metric(key, event)


def read_history(path: str, key: str) -> list[Metric]:
    try:
        data = read_bytes(path)
    except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
        return []
    return [to_metric(key, e) for e in parse_events(data, key)]
