"""Runs side by side, and a scatter of one value against another across runs.

Pure (no Textual, no I/O) so what "differs" means and which points a scatter draws are
tested without an app. A value is a param string, a metric's latest value (float) or a
tag string; `None` means the run does not have the key, which always counts as a
difference from a run that has it. Metrics compare by value, with NaN equal to NaN, so
two runs that both diverged do not light up as different.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

from tuiflow import humanize
from tuiflow.entities import Run

Value = str | float | None
SECTIONS: tuple[str, ...] = ("params", "metrics", "tags")
RowOrder = Literal["key", "differs"]
SYSTEM_TAG_PREFIX = "mlflow."  # MLflow's own tags; the Tags section shows the user's keys


@dataclass(frozen=True, slots=True)
class CompareRow:
    section: str  # one of SECTIONS
    key: str
    values: tuple[Value, ...]  # one per run, in the runs' order
    differs: bool

    @property
    def id(self) -> str:
        return f"{self.section}.{self.key}"


def values_equal(a: Value, b: Value) -> bool:
    if a is None or b is None:
        return a is None and b is None
    if isinstance(a, float) and isinstance(b, float):
        return a == b or (math.isnan(a) and math.isnan(b))
    return a == b


def differs(values: Sequence[Value]) -> bool:
    return any(not values_equal(values[0], v) for v in values[1:])


def key_tags(run: Run) -> dict[str, str]:
    return {k: v for k, v in run.tags.items() if not k.startswith(SYSTEM_TAG_PREFIX)}


def _section(name: str, per_run: list[dict[str, Value]]) -> list[CompareRow]:
    keys = sorted({k for values in per_run for k in values})
    rows = []
    for key in keys:
        values = tuple(values.get(key) for values in per_run)
        rows.append(CompareRow(name, key, values, differs(values)))
    return rows


def compare_rows(runs: Sequence[Run], *, tags: bool = True) -> list[CompareRow]:
    """Params, metrics (latest value) and, if asked, the user's tags: one row per key."""
    rows = _section("params", [dict(r.params) for r in runs])
    metrics: list[dict[str, Value]] = [{k: m.value for k, m in r.metrics.items()} for r in runs]
    rows += _section("metrics", metrics)
    if tags:
        rows += _section("tags", [dict(key_tags(r)) for r in runs])
    return rows


def sort_rows(rows: Iterable[CompareRow], order: RowOrder = "key") -> list[CompareRow]:
    """Sections stay in SECTIONS order; within one, by key, or differing rows first."""

    def sort_key(row: CompareRow) -> tuple:
        rank = SECTIONS.index(row.section) if row.section in SECTIONS else len(SECTIONS)
        first = (not row.differs) if order == "differs" else False
        return (rank, first, row.key.casefold(), row.key)

    return sorted(rows, key=sort_key)


def differences_only(rows: Iterable[CompareRow]) -> list[CompareRow]:
    return [row for row in rows if row.differs]


# -- scatter ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ScatterPoint:
    run_id: str
    run_name: str
    x: float  # the value, or the category's index when x is categorical
    y: float
    x_text: str  # the value as logged (param string) or the metric's value


@dataclass(frozen=True, slots=True)
class ScatterData:
    x_field: str  # "params.<key>" or "metrics.<key>"
    y_field: str  # "metrics.<key>"
    points: tuple[ScatterPoint, ...]
    x_categories: tuple[str, ...] | None  # tick labels at x = 0, 1, ... when categorical
    missing: int  # runs without a drawable x or y (absent, NaN or infinite)

    @property
    def categorical(self) -> bool:
        return self.x_categories is not None


def split_field(field: str) -> tuple[str, str]:
    """`params.C` -> ("params", "C"); the key may itself contain dots."""
    entity, dot, key = field.partition(".")
    if not dot or not key or entity not in ("params", "metrics"):
        raise ValueError(f"expected params.<key> or metrics.<key>, got {field!r}")
    return entity, key


def field_value(run: Run, field: str) -> Value:
    entity, key = split_field(field)
    if entity == "params":
        return run.params.get(key)
    metric = run.metrics.get(key)
    return None if metric is None else metric.value


def scatter_fields(runs: Sequence[Run]) -> tuple[list[str], list[str]]:
    """(x choices, y choices): any param or metric against a metric."""
    metrics = sorted({k for r in runs for k in r.metrics})
    params = sorted({k for r in runs for k in r.params})
    y = [f"metrics.{k}" for k in metrics]
    return [f"params.{k}" for k in params] + y, y


def default_axes(runs: Sequence[Run], focus: Sequence[Run] = ()) -> tuple[str, str] | None:
    """A first plot worth looking at, or None when no run has a metric.

    y: the metric most runs have. x: a param that differs (among `focus`, the compared
    runs, when given), numbers before categories, then the one most runs have with y;
    with no such param, another metric.
    """
    xs, ys = scatter_fields(runs)
    if not ys:
        return None

    def coverage(*fields: str) -> int:
        return sum(all(field_value(r, f) is not None for f in fields) for r in runs)

    y = max(ys, key=lambda f: (coverage(f), -ys.index(f)))
    basis = list(focus) if len(focus) > 1 else list(runs)
    varying = [r.id for r in compare_rows(basis, tags=False) if r.differs and r.section == "params"]
    if varying:
        x = min(
            varying,
            key=lambda f: (
                not _all_numbers(field_value(r, f) for r in runs),
                -coverage(f, y),
                varying.index(f),
            ),
        )
        return x, y
    others = [f for f in xs if f.startswith("metrics.") and f != y]
    return (others[0] if others else xs[0]), y


def _all_numbers(values: Iterable[Value]) -> bool:
    return all(_as_number(str(v)) is not None for v in values if v is not None)


def _as_number(text: str) -> float | None:
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def _finite(value: Value) -> float | None:
    if isinstance(value, float) and math.isfinite(value):
        return value
    return None


def category_order(labels: Iterable[str]) -> list[str]:
    """Numbers by value first ("2" before "12"), then the other labels alphabetically."""

    def key(label: str) -> tuple:
        number = _as_number(label)
        return (0, number, label) if number is not None else (1, 0.0, label)

    return sorted(set(labels), key=key)


def scatter_points(runs: Sequence[Run], x_field: str, y_field: str) -> ScatterData:
    """Points (x, y, run) for every run that has both values.

    A metric x is its latest value. A param x is a number when every value parses as a
    finite number; otherwise each distinct value is a category at x = 0, 1, ... in
    `category_order`.
    """
    if split_field(y_field)[0] != "metrics":
        raise ValueError(f"the y axis must be a metric, got {y_field!r}")
    usable: list[tuple[Run, Value, float]] = []
    missing = 0
    for run in runs:
        x, y = field_value(run, x_field), _finite(field_value(run, y_field))
        if x is None or y is None or (isinstance(x, float) and _finite(x) is None):
            missing += 1
            continue
        usable.append((run, x, y))
    categories: tuple[str, ...] | None = None
    texts = [x for _, x, _ in usable if isinstance(x, str)]
    if texts and any(_as_number(t) is None for t in texts):
        categories = tuple(category_order(texts))
    index = {label: float(i) for i, label in enumerate(categories or ())}
    points = []
    for run, x, y in usable:
        if isinstance(x, str):
            x_pos = index[x] if categories is not None else float(x)
            x_text = x
        else:
            x_pos, x_text = x, humanize.number(x)
        points.append(ScatterPoint(run.run_id, run.run_name or run.run_id, x_pos, y, x_text))
    return ScatterData(x_field, y_field, tuple(points), categories, missing)
