"""Nested runs: children (tag `mlflow.parentRunId`) listed under their parent.

Pure, so the tree order is easy to test. Siblings keep the order the store returned
(the user's sort); a child whose parent is not in the view stands at the top level, so
filtering never hides a run. A parent chain that loops (a hand-edited tag) is cut where
it would repeat.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass

from tuiflow.entities import Run

BRANCH, LAST, PIPE, BLANK = "├─ ", "└─ ", "│  ", "   "
OPEN, CLOSED = "▾ ", "▸ "


@dataclass(frozen=True, slots=True)
class Row:
    run: Run
    depth: int
    prefix: str  # tree glyphs drawn before the run name
    children: int  # direct children in the view


def children_of(runs: Sequence[Run]) -> dict[str, list[Run]]:
    """Parent run id -> its children in the view, in view order (only parents in the view)."""
    ids = {r.run_id for r in runs}
    kids: dict[str, list[Run]] = {}
    for run in runs:
        parent = run.parent_run_id
        if parent and parent in ids and parent != run.run_id:
            kids.setdefault(parent, []).append(run)
    return kids


def nest(runs: Sequence[Run], collapsed: Collection[str] = ()) -> list[Row]:
    """The rows to show, parents first and their children (unless collapsed) under them."""
    kids = children_of(runs)
    child_ids = {c.run_id for cs in kids.values() for c in cs}
    rows: list[Row] = []
    placed: set[str] = set()

    def place(run: Run, depth: int, lead: str, last: bool) -> None:
        placed.add(run.run_id)
        own = [c for c in kids.get(run.run_id, ()) if c.run_id not in placed]
        fold = (CLOSED if run.run_id in collapsed else OPEN) if own else ""
        branch = "" if depth == 0 else lead + (LAST if last else BRANCH)
        rows.append(Row(run, depth, branch + fold, len(own)))
        if run.run_id in collapsed:
            placed.update(_descendants(run.run_id, kids))
            return
        below = "" if depth == 0 else lead + (BLANK if last else PIPE)
        for i, child in enumerate(own):
            if child.run_id not in placed:
                place(child, depth + 1, below, i == len(own) - 1)

    for run in runs:
        # Roots: no parent in the view, or part of a loop that no root reaches.
        if run.run_id not in placed and run.run_id not in child_ids:
            place(run, 0, "", True)
    for run in runs:
        if run.run_id not in placed:
            place(run, 0, "", True)
    return rows


def _descendants(run_id: str, kids: dict[str, list[Run]]) -> set[str]:
    out: set[str] = set()
    todo = [run_id]
    while todo:
        for child in kids.get(todo.pop(), ()):
            if child.run_id not in out:
                out.add(child.run_id)
                todo.append(child.run_id)
    return out


def parent_in_view(run: Run, runs: Sequence[Run]) -> str | None:
    parent = run.parent_run_id
    if parent and parent != run.run_id and any(r.run_id == parent for r in runs):
        return parent
    return None
