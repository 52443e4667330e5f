"""`mlflow gc` on MLflow's SQL schema (`cli/__init__.py` `_gc_tracking_resources`).

Everything is checked before anything is deleted (MLflow stops half-way on the first bad
id, tuiflow skips it and says why); the caller runs `plan` and `execute` in one
transaction and removes artifact folders only after it commits.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from tuiflow.stores.sql_schema import Schema

_CHUNK = 500
# What `_hard_delete_run` bulk-deletes before the run row; other children go by the
# database's own ON DELETE rules, exactly as when MLflow deletes the row.
RUN_CHILDREN = ("metrics", "latest_metrics", "params", "tags")
# Per-experiment aggregates without a foreign key that `_hard_delete_experiment` clears.
ROLLUP_TABLES = (
    "sql_trace_rollup_rebuild_queue",
    "sql_trace_metric_daily_rollups",
    "sql_span_cost_daily_rollups",
    "sql_assessment_daily_rollups",
)


@dataclass
class Plan:
    run_ids: list[str] = field(default_factory=list)
    experiment_ids: list[int] = field(default_factory=list)
    # run id -> (local dir to remove, or None and the reason it is left alone)
    artifacts: dict[str, tuple[str | None, str]] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)


def plan(
    conn: sa.Connection,
    s: Schema,
    older_than_ms: int | None,
    run_ids: Sequence[str] | None,
    experiment_ids: Sequence[str] | None,
) -> Plan:
    """Which runs and experiments `mlflow gc` would remove. Where gc would stop with an
    error (an id not deleted, not old enough, not found), the id is skipped with the
    reason instead, as the file store does; nothing else is touched."""
    from tuiflow.stores.sql_write import artifact_target

    runs, e = s.t("runs"), s.t("experiments")
    threshold = int(time.time() * 1000) - (older_than_ms or 0)
    # SQL `deleted_time <= threshold`: runs deleted with no deleted_time are never old enough.
    old_deleted = set(
        conn.execute(
            sa.select(runs.c.run_uuid).where(
                runs.c.lifecycle_stage == "deleted", s.col("runs", "deleted_time") <= threshold
            )
        ).scalars()
    )
    out = Plan()
    wanted = list(run_ids) if run_ids is not None else sorted(old_deleted)
    exp_ids = _experiments(conn, s, older_than_ms, threshold, experiment_ids, out.skipped)
    if exp_ids:
        wanted += conn.execute(
            sa.select(runs.c.run_uuid)
            .where(runs.c.experiment_id.in_(exp_ids), runs.c.lifecycle_stage == "deleted")
            .order_by(runs.c.run_uuid)
        ).scalars()
    locations = dict(conn.execute(sa.select(e.c.experiment_id, e.c.artifact_location)).all())
    for rid in dict.fromkeys(wanted):
        row = conn.execute(
            sa.select(runs.c.lifecycle_stage, runs.c.artifact_uri, runs.c.experiment_id).where(
                runs.c.run_uuid == rid
            )
        ).first()
        if row is None:
            out.skipped[rid] = "not found"
        elif row.lifecycle_stage != "deleted":
            out.skipped[rid] = "not in `deleted` lifecycle stage"
        elif older_than_ms is not None and rid not in old_deleted:
            out.skipped[rid] = "not older than the required age"
        else:
            out.run_ids.append(rid)
            out.artifacts[rid] = artifact_target(row.artifact_uri, locations.get(row.experiment_id))
    gone = set(out.run_ids)
    for eid in exp_ids:
        # MLflow's ORM cascade would take runs that stay (restored inside a deleted
        # experiment, or skipped above) with the experiment; tuiflow keeps both instead.
        left = [
            r
            for r in conn.execute(
                sa.select(runs.c.run_uuid)
                .where(runs.c.experiment_id == eid)
                .order_by(runs.c.run_uuid)
            ).scalars()
            if r not in gone
        ]
        if left:
            out.skipped[str(eid)] = f"runs not purged: {', '.join(left)}"
        else:
            out.experiment_ids.append(eid)
    return out


def _experiments(
    conn: sa.Connection,
    s: Schema,
    older_than_ms: int | None,
    threshold: int,
    wanted: Sequence[str] | None,
    skipped: dict[str, str],
) -> list[int]:
    e = s.t("experiments")
    ws = s.workspace_clause("experiments")
    if wanted is not None and not wanted:
        # An explicit empty list: runs only. (`mlflow gc` cannot say this; with no
        # --experiment-ids it also purges every deleted experiment, as None does here.)
        return []
    if not wanted:
        q = sa.select(e.c.experiment_id).where(e.c.lifecycle_stage == "deleted", *ws)
        if older_than_ms is not None:
            q = q.where(s.col("experiments", "last_update_time") < threshold)
        return list(conn.execute(q.order_by(e.c.experiment_id)).scalars())
    out: list[int] = []
    cols = (e.c.lifecycle_stage, s.col("experiments", "last_update_time"))
    for raw in dict.fromkeys(str(w) for w in wanted):
        row = None
        if raw.isdigit():
            row = conn.execute(sa.select(*cols).where(e.c.experiment_id == int(raw), *ws)).first()
        if row is None:
            skipped[raw] = "not found"
        elif row[0] != "deleted":
            skipped[raw] = "not deleted"
        elif older_than_ms is not None and (row[1] is None or row[1] >= threshold):
            skipped[raw] = "not older than the required age"
        else:
            out.append(int(raw))
    return out


def execute(conn: sa.Connection, s: Schema, p: Plan) -> None:
    runs = s.t("runs")
    for i in range(0, len(p.run_ids), _CHUNK):
        chunk = p.run_ids[i : i + _CHUNK]
        for name in RUN_CHILDREN:
            if s.has(name):
                t = s.t(name)
                conn.execute(sa.delete(t).where(t.c.run_uuid.in_(chunk)))
        conn.execute(sa.delete(runs).where(runs.c.run_uuid.in_(chunk)))
    if not p.experiment_ids:
        return
    graph = _Graph(conn)
    for eid in p.experiment_ids:
        for name in ROLLUP_TABLES:
            if name in graph.columns:
                t = graph.table(name)
                conn.execute(sa.delete(t).where(t.c.experiment_id == eid))
        exp = graph.table("experiments")
        graph.delete(conn, "experiments", exp.c.experiment_id == eid, ())


class _Graph:
    """Foreign keys of the whole database, to delete an experiment with everything that
    hangs off it, as MLflow's ORM cascades (and the database's own rules) do."""

    def __init__(self, conn: sa.Connection) -> None:
        insp = sa.inspect(conn)
        self.columns = {
            t: [c["name"] for c in cols] for (_, t), cols in insp.get_multi_columns().items()
        }
        self.children: dict[str, list[tuple[str, list[str], list[str], str]]] = defaultdict(list)
        for (_, table), fks in insp.get_multi_foreign_keys().items():
            for fk in fks:
                ondelete = (fk.get("options") or {}).get("ondelete") or ""
                self.children[fk["referred_table"]].append(
                    (table, fk["constrained_columns"], fk["referred_columns"], ondelete.upper())
                )
        self._tables: dict[str, Any] = {}

    def table(self, name: str) -> Any:
        if name not in self._tables:
            self._tables[name] = sa.table(name, *(sa.column(c) for c in self.columns[name]))
        return self._tables[name]

    def delete(self, conn: sa.Connection, name: str, clause: Any, path: tuple[str, ...]) -> None:
        parent = self.table(name)
        for child, ccols, rcols, ondelete in self.children.get(name, ()):
            if child in path or child == name:
                continue
            t = self.table(child)
            sub = sa.select(*(parent.c[c] for c in rcols)).where(clause)
            if len(ccols) == 1:
                where = t.c[ccols[0]].in_(sub)
            else:
                where = sa.tuple_(*(t.c[c] for c in ccols)).in_(sub)
            if ondelete == "SET NULL":
                conn.execute(sa.update(t).where(where).values({c: None for c in ccols}))
            else:
                self.delete(conn, child, where, (*path, name))
        conn.execute(sa.delete(parent).where(clause))
