"""Which columns the runs table shows, and how each one sorts in MLflow's order_by.

Pure (no Textual) so the mapping from a column to an `order_by` clause is easy to test.
Sorting is pushed down to the store: a column whose values MLflow cannot order by
(duration, experiment, the mark column) has `order_by = None`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from tuiflow.cli_tables import differing_params
from tuiflow.entities import Run

MARK = "mark"


@dataclass(frozen=True, slots=True)
class Column:
    key: str  # DataTable column key: "name", "m:<metric>", "p:<param>"
    label: str
    order_by: str | None  # MLflow identifier, e.g. "attributes.start_time"
    numeric: bool = False


FIXED = (
    Column(MARK, " ", None),
    Column("name", "Run", "attributes.run_name"),
    Column("status", "Status", "attributes.status"),
    Column("start", "Start", "attributes.start_time"),
    Column("duration", "Duration", None, numeric=True),
    Column("user", "User", "attributes.user_id"),
)
EXPERIMENT = Column("experiment", "Experiment", None)


def quote_key(key: str) -> str | None:
    """A key quoted for MLflow's grammar; None when it holds both ` and " (unsayable)."""
    if "`" not in key:
        return f"`{key}`"
    if '"' not in key:
        return f'"{key}"'
    return None


def metric_column(key: str) -> Column:
    quoted = quote_key(key)
    return Column(f"m:{key}", key, f"metrics.{quoted}" if quoted else None, numeric=True)


def param_column(key: str) -> Column:
    quoted = quote_key(key)
    return Column(f"p:{key}", f"params.{key}", f"params.{quoted}" if quoted else None)


def run_columns(runs: Sequence[Run], *, several_experiments: bool = False) -> list[Column]:
    """Fixed columns, then every metric (latest value), then the params that differ."""
    columns = list(FIXED)
    if several_experiments:
        columns.insert(2, EXPERIMENT)
    columns += [metric_column(k) for k in sorted({k for r in runs for k in r.metrics})]
    columns += [param_column(k) for k in differing_params(runs)]
    return columns


def order_clause(column: Column, ascending: bool) -> str | None:
    if column.order_by is None:
        return None
    return f"{column.order_by} {'ASC' if ascending else 'DESC'}"


# -- the column chooser's model (`C`): defaults plus the user's per-view choices ------------


def tag_column(key: str) -> Column:
    quoted = quote_key(key)
    return Column(f"t:{key}", f"tags.{key}", f"tags.{quoted}" if quoted else None)


def optional_columns(runs: Sequence[Run]) -> list[tuple[Column, bool]]:
    """Every metric, param and tag column the runs could show, with whether it shows by default.

    Defaults are what `run_columns` shows: all metrics and the params that differ; tags
    are off (MLflow's own `mlflow.*` tags would crowd the table).
    """
    differing = set(differing_params(runs))
    out = [(metric_column(k), True) for k in sorted({k for r in runs for k in r.metrics})]
    out += [(param_column(k), k in differing) for k in sorted({k for r in runs for k in r.params})]
    out += [(tag_column(k), False) for k in sorted({k for r in runs for k in r.tags})]
    return out


def chosen_columns(
    runs: Sequence[Run], choice: dict[str, bool], *, several_experiments: bool = False
) -> list[Column]:
    """`run_columns`, with columns the user switched on or off (by key) honoured."""
    columns = list(FIXED)
    if several_experiments:
        columns.insert(2, EXPERIMENT)
    for col, default in optional_columns(runs):
        if choice.get(col.key, default):
            columns.append(col)
    return columns
