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

from collections.abc import Iterator

from tuiflow.entities import Metric, new_metric
from tuiflow.stores.yamlio import TooLarge, iter_chunks, read_bytes

# (timestamp, value, step, dataset_name, dataset_digest)
Event = tuple[int, float, int, "str | None", "str | None"]
_Key = tuple[int, int, float]

# Files up to this size are read whole (nearly all of them); longer ones are streamed a
# block at a time so memory stays at one block, not at several copies of a 100 MB file.
WHOLE_FILE_MAX = 1 << 20
_BLOCK = 1 << 20


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


def _line_blocks(path: str, key: str) -> Iterator[bytes]:
    """The file as blocks of whole lines, each ending in '\\n'; the unterminated tail
    (a writer mid-append) is dropped. A '\\n' byte never occurs inside a UTF-8 sequence,
    so every block decodes on its own."""
    carry = b""
    for chunk in iter_chunks(path, _BLOCK):
        data = carry + chunk if carry else chunk
        cut = data.rfind(b"\n") + 1
        carry = data[cut:]
        if len(carry) > _BLOCK:  # no metric line is megabytes long: garbage, not a writer
            raise MalformedMetricError(f"Metric '{key}' is malformed; a line of over 1 MiB")
        if cut:
            yield data[:cut]


def _bad_count(key: str, n: int) -> MalformedMetricError:
    return MalformedMetricError(
        f"Metric '{key}' is malformed; persisted metric data contained {n} fields. "
        "Expected 2, 3, or 5 fields."
    )


def _bad_number(key: str, line: str) -> MalformedMetricError:
    shown = line if len(line) <= 80 else line[:80] + "…"
    return MalformedMetricError(f"Metric '{key}' is malformed; cannot parse line {shown!r}")


def _parse_lines(lines: list[str], key: str) -> list[Event]:
    out: list[Event] = []
    append = out.append
    for line in lines:
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


def parse_events(data: bytes, key: str) -> list[Event]:
    """Every complete event in file order."""
    return _parse_lines(_complete_lines(data, key), key)


def _latest_of_lines(
    lines: list[str], key: str, best: tuple[_Key, Event] | None
) -> tuple[_Key, Event] | None:
    """`best` carried on over `lines` (see `latest_event` for the order)."""
    if not lines:
        return best
    # Fast path: every line is the 3-field form MLflow writes. int()/float() ignore the
    # surrounding whitespace that MLflow strips, so the numbers are the same.
    rows = [line.split(" ") for line in lines]
    try:
        keys = [(int(r[2]), int(r[0]), float(r[1])) for r in rows if len(r) == 3]
    except ValueError:
        keys = []
    if len(keys) == len(rows):
        if best is not None:
            keys.insert(0, best[0])  # an earlier block's winner is "first" here
        top = max(keys)
        if best is not None and top is best[0]:
            return best
        step, ts, value = top
        return top, (ts, value, step, None, None)
    for event in _parse_lines(lines, key):
        k = (event[2], event[0], event[1])
        if best is None or k > best[0]:
            best = (k, event)
    return best


def latest_event(data: bytes, key: str) -> Event | None:
    """The event MLflow reports as the metric's value, or None for a file with no event.

    MLflow takes `max(events, key=(step, timestamp, value))`: the first event whose tuple
    is strictly greater wins, and a NaN value is never greater, so among events with the
    same step and timestamp a NaN is kept only when it comes first. `max()` over the same
    tuples in the same order reproduces that exactly.
    """
    best = _latest_of_lines(_complete_lines(data, key), key, None)
    return None if best is None else best[1]


def to_metric(key: str, event: Event) -> Metric:
    ts, value, step, name, digest = event
    return new_metric(key, value, ts, step, name, digest)


def latest_of_file(path: str, key: str) -> Metric | None:
    """Latest value of a metric file of any size, streamed; None when it has no event."""
    best: tuple[_Key, Event] | None = None
    for block in _line_blocks(path, key):
        best = _latest_of_lines(_complete_lines(block, key), key, best)
    return None if best is None else to_metric(key, best[1])


def read_latest(path: str, key: str) -> Metric | None:
    """Latest value of one metric file; None when the file is absent or has no event."""
    try:
        data = read_bytes(path, WHOLE_FILE_MAX)
    except TooLarge:
        return latest_of_file(path, key)
    except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
        return None
    event = latest_event(data, key)
    return None if event is None else to_metric(key, event)


def read_history(path: str, key: str) -> list[Metric]:
    """Every complete event of one metric file, in file order (streamed when large)."""
    try:
        data = read_bytes(path, WHOLE_FILE_MAX)
    except TooLarge:
        out: list[Metric] = []
        for block in _line_blocks(path, key):
            out.extend(to_metric(key, e) for e in parse_events(block, key))
        return out
    except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
        return []
    return [to_metric(key, e) for e in parse_events(data, key)]
