"""Permanent removal for the file store: what `mlflow gc` does (`cli/__init__.py`).

Selection follows `_gc_tracking_resources` and the file store's `_get_deleted_runs`:
a deleted run qualifies when its meta.yaml has no `deleted_time` or it is at least
`older_than_ms` old; a deleted experiment (in `.trash/`) when `older_than_ms` is None or
its `last_update_time` is older than that. MLflow stops the whole gc at the first run
that is active or too young; tuiflow skips that run (and its experiment, whose folder
cannot go without it) and says why in `PurgeReport.skipped`.

Order, for crash safety: a run's artifacts outside the store, then the run folder, then
the experiment folder once all its runs are gone. An interrupted purge leaves deleted
runs and experiments MLflow still reads; running the purge again finishes it.

Artifacts: only local roots are removed. The recorded artifact folder goes unless it is
another store's run folder (this store was copied: the run's own `artifacts/` is then
the one removed, with the run folder), or it would contain the store itself.
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Callable, Sequence

from tuiflow.entities import ACTIVE, DELETED
from tuiflow.errors import StoreError
from tuiflow.stores import file_tracking as ft
from tuiflow.stores.local_artifacts import local_artifact_dir
from tuiflow.stores.writes import PurgeReport
from tuiflow.stores.yamlio import MetaError, read_meta


def _inside(path: str, parent: str) -> bool:
    path, parent = os.path.realpath(path), os.path.realpath(parent)
    return path == parent or path.startswith(parent.rstrip(os.sep) + os.sep)


class FilePurge:
    root: str
    _locate_run: Callable[[str], tuple[str, ft.ExperimentDir]]

    def _deleted_runs(self) -> dict[str, tuple[str, int | None]]:
        """run id -> (run folder, deleted_time) of every deleted run, active or trashed."""
        out: dict[str, tuple[str, int | None]] = {}
        for d in ft.list_experiment_dirs(self.root, True, True, lambda _m: None):
            for name, run_path in ft.list_run_dirs(d.path, lambda _m: None):
                try:
                    meta = read_meta(run_path, retries=0)
                except MetaError:
                    continue
                if meta.get("lifecycle_stage") == DELETED and name not in out:
                    deleted = meta.get("deleted_time")
                    out[name] = (run_path, deleted if isinstance(deleted, int) else None)
        return out

    def purge(
        self,
        older_than_ms: int | None = None,
        run_ids: Sequence[str] | None = None,
        experiment_ids: Sequence[str] | None = None,
    ) -> PurgeReport:
        now = int(time.time() * 1000)
        age = older_than_ms or 0
        deleted = self._deleted_runs()
        old_enough = {rid for rid, (_, dt) in deleted.items() if dt is None or now - dt >= age}
        skipped: dict[str, str] = {}
        runs = list(dict.fromkeys(run_ids)) if run_ids is not None else sorted(old_enough)
        experiments = self._purgeable_experiments(now, older_than_ms, experiment_ids, skipped)
        exp_runs: dict[str, list[str]] = {}
        for exp_id, exp_path in experiments:
            names = [n for n, _ in ft.list_run_dirs(exp_path, lambda _m: None)]
            exp_runs[exp_id] = names
            runs.extend(n for n in names if n in deleted and n not in runs)
        gone_runs: list[str] = []
        artifact_dirs: list[str] = []
        for run_id in runs:
            reason = self._run_refusal(run_id, deleted, old_enough, older_than_ms)
            if reason:
                skipped[run_id] = reason
                continue
            run_path = deleted[run_id][0]
            removed = self._remove_artifacts(run_id, run_path, skipped)
            shutil.rmtree(run_path)
            gone_runs.append(run_id)
            artifact_dirs.extend(removed)
        gone_exps: list[str] = []
        for exp_id, exp_path in experiments:
            left = [n for n in exp_runs[exp_id] if n not in gone_runs]
            if left:
                skipped[exp_id] = f"runs not purged: {', '.join(left)}"
                continue
            shutil.rmtree(exp_path)
            gone_exps.append(exp_id)
        return PurgeReport(tuple(gone_runs), tuple(gone_exps), tuple(artifact_dirs), skipped)

    def _run_refusal(
        self,
        run_id: str,
        deleted: dict[str, tuple[str, int | None]],
        old_enough: set[str],
        older_than_ms: int | None,
    ) -> str | None:
        if run_id not in deleted:
            try:
                self._locate_run(run_id)
            except StoreError:
                return "not found"
            return f"not in `{DELETED}` lifecycle stage"
        if older_than_ms and run_id not in old_enough:
            return "not older than the required age"
        return None

    def _purgeable_experiments(
        self,
        now: int,
        older_than_ms: int | None,
        wanted: Sequence[str] | None,
        skipped: dict[str, str],
    ) -> list[tuple[str, str]]:
        threshold = now - (older_than_ms or 0)
        out: list[tuple[str, str]] = []
        trash = ft.list_experiment_dirs(self.root, False, True, lambda _m: None)
        by_id = {d.experiment_id: d for d in trash}
        ids = list(dict.fromkeys(str(i) for i in wanted)) if wanted else list(by_id)
        for exp_id in ids:
            d = by_id.get(exp_id)
            if d is None:
                found = ft.find_experiment_dir(self.root, exp_id)
                skipped[exp_id] = "not found" if found is None else "not deleted"
                continue
            exp = ft.read_experiment(d, lambda _m: None)
            if exp is None or exp.lifecycle_stage == ACTIVE:
                skipped[exp_id] = "not deleted" if exp else "unreadable meta.yaml"
                continue
            updated = exp.last_update_time
            if older_than_ms and (updated is None or updated >= threshold):
                if wanted:
                    skipped[exp_id] = "not older than the required age"
                continue
            out.append((exp_id, d.path))
        return out

    def _remove_artifacts(self, run_id: str, run_path: str, skipped: dict[str, str]) -> list[str]:
        """Remove the run's artifact folder; the paths removed (the run's own `artifacts/`
        goes with the run folder but is reported too)."""
        try:
            meta = read_meta(run_path, retries=0)
        except MetaError:
            return []
        uri = meta.get("artifact_uri")
        own = os.path.join(run_path, "artifacts")
        removed = [own] if os.path.isdir(own) else []
        if not uri:
            return removed
        try:
            recorded = local_artifact_dir(str(uri))
        except StoreError:
            skipped[f"{run_id} artifacts"] = f"not local ({uri}); remove them with their store"
            return removed
        recorded = os.path.abspath(recorded)
        if not os.path.lexists(recorded) or _inside(recorded, run_path):
            return removed
        if _inside(self.root, recorded):
            skipped[f"{run_id} artifacts"] = f"{recorded} contains the store; left alone"
            return removed
        # The recorded folder sits in another store's run folder: this store is a copy, and
        # the copy's own artifacts/ (removed with the run folder) are the ones to go.
        copied = not _inside(recorded, self.root) and os.path.isfile(
            os.path.join(os.path.dirname(recorded.rstrip(os.sep)), "meta.yaml")
        )
        if copied:  # another store's folder for this run: the copy's own artifacts go
            return removed
        if os.path.isdir(recorded) and not os.path.islink(recorded):
            shutil.rmtree(recorded)
        else:
            os.remove(recorded)
        return [recorded, *removed]
