"""Write side of the file store: runs and experiments (`store/tracking/file_store.py`).

Every meta.yaml rewrite is atomic (`yaml_write`) and refused when the file changed between
tuiflow's read and its write. Run meta.yaml is rebuilt with exactly the keys MLflow 3.17.2
writes (`_make_persisted_run_info_dict`) plus `run_uuid` for 2.x readers; `deleted_time`
is written by a delete and dropped by every other rewrite, as in MLflow.

Experiment delete runs in MLflow's order: flip the active runs, rewrite the experiment's
meta.yaml, move the folder to `.trash/`. A crash leaves one of these states, all readable
by MLflow (each step is one atomic rename):
1. some runs deleted, experiment active: deleting it again finishes the job (runs
   flipped by the first attempt keep their deleted_time);
2. experiment meta says deleted but the folder is still in the root: `delete_experiment`
   finishes (moves it, keeping its deletion time), `restore_experiment` undoes it in place.
Restore runs in MLflow's order too (move back, runs, meta); a crash after the move is
state 2 and either call completes it.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Sequence
from typing import Any

from tuiflow.entities import ACTIVE, DELETED, RUN_NAME_TAG, RUN_STATUS_TO_INT
from tuiflow.errors import InvalidArgumentError, NotFoundError, StoreError
from tuiflow.stores import file_tracking as ft
from tuiflow.stores.file_purge import FilePurge
from tuiflow.stores.file_registry_write import FileRegistryWrites
from tuiflow.stores.yaml_write import load_snapshot, overwrite_yaml, snapshot, write_atomic
from tuiflow.stores.yamlio import is_safe_key

DEFAULT_EXPERIMENT_ID = "0"
_SOURCE_TYPE_LOCAL = 4
_RUNNING = RUN_STATUS_TO_INT["RUNNING"]


def now_ms() -> int:
    return int(time.time() * 1000)


def persisted_run_meta(meta: dict[str, Any], run_id: str, experiment_id: str) -> dict[str, Any]:
    """MLflow's `_make_persisted_run_info_dict` after a RunInfo proto round trip."""
    status = meta.get("status")
    if isinstance(status, str):
        status = RUN_STATUS_TO_INT.get(status)
    if not isinstance(status, int) or isinstance(status, bool):
        status = _RUNNING
    end_time = meta.get("end_time") or None  # proto: 0 means "no end time"
    return {
        "artifact_uri": meta.get("artifact_uri") or "",
        "end_time": end_time,
        "entry_point_name": "",
        "experiment_id": experiment_id,
        "lifecycle_stage": meta.get("lifecycle_stage") or ACTIVE,
        "run_id": run_id,
        "run_name": meta.get("run_name") or "",
        "run_uuid": run_id,
        "source_name": "",
        "source_type": _SOURCE_TYPE_LOCAL,
        "source_version": "",
        "start_time": meta.get("start_time"),
        "status": status,
        "tags": [],
        "user_id": meta.get("user_id"),
    }


def _not_active(run_id: str) -> InvalidArgumentError:
    return InvalidArgumentError(f"The run {run_id} must be in 'active' lifecycle_stage.")


class FileWrites(FilePurge, FileRegistryWrites):
    """Mixed into FileStore; uses its `root`, `_locate_run`, `_registry`, `artifact_root`."""

    root: str
    _locate_run: Callable[[str], tuple[str, ft.ExperimentDir]]

    # -- runs --------------------------------------------------------------------------------

    def _read_run_meta(self, run_id: str) -> tuple[str, bytes, dict[str, Any]]:
        run_path, d = self._locate_run(run_id)
        path = os.path.join(run_path, "meta.yaml")
        raw = snapshot(path)
        meta = load_snapshot(path, raw)
        recorded = meta.get("run_id") or meta.get("run_uuid")
        if str(recorded) != str(run_id) or str(meta.get("experiment_id")) != d.experiment_id:
            raise StoreError(f"Run '{run_id}' metadata is in invalid state.", path)
        if meta.get("start_time") is None or meta.get("user_id") is None:
            raise StoreError(f"Run '{run_id}' metadata is in invalid state.", path)
        return path, raw, meta

    def _rewrite_run(
        self, path: str, raw: bytes, meta: dict[str, Any], **changes: Any
    ) -> dict[str, Any]:
        new = persisted_run_meta(
            meta, str(meta.get("run_id") or meta["run_uuid"]), str(meta["experiment_id"])
        )
        new.update(changes)
        if new.get("deleted_time") is None:
            new.pop("deleted_time", None)
        overwrite_yaml(path, new, expected=raw)
        return new

    def _set_lifecycle(self, run_ids: Sequence[str], stage: str, deleted_time: int | None) -> None:
        # Read every run before writing any: an unknown id changes nothing.
        found = [self._read_run_meta(str(r)) for r in run_ids]
        for path, raw, meta in found:
            self._rewrite_run(path, raw, meta, lifecycle_stage=stage, deleted_time=deleted_time)

    def delete_runs(self, run_ids: Sequence[str]) -> None:
        self._set_lifecycle(run_ids, DELETED, now_ms())

    def restore_runs(self, run_ids: Sequence[str]) -> None:
        self._set_lifecycle(run_ids, ACTIVE, None)

    def set_run_status(self, run_id: str, status: str, end_time: int | None) -> None:
        if status not in RUN_STATUS_TO_INT:
            raise InvalidArgumentError(f"unknown run status {status!r}")
        path, raw, meta = self._read_run_meta(run_id)
        if (meta.get("lifecycle_stage") or ACTIVE) != ACTIVE:
            raise _not_active(run_id)
        changes: dict[str, Any] = {"status": RUN_STATUS_TO_INT[status]}
        if end_time:  # MLflow's _copy_with_overrides keeps the old end time for None/0
            changes["end_time"] = int(end_time)
        self._rewrite_run(path, raw, meta, **changes)

    def rename_run(self, run_id: str, name: str) -> None:
        path, raw, meta = self._read_run_meta(run_id)
        if (meta.get("lifecycle_stage") or ACTIVE) != ACTIVE:
            raise _not_active(run_id)
        self._update_run_name(run_id, path, raw, meta, name)

    def _update_run_name(
        self, run_id: str, path: str, raw: bytes, meta: dict[str, Any], name: str
    ) -> None:
        # MLflow's update_run_info: an empty name changes nothing but still rewrites meta.
        if name:
            self._write_tag(os.path.dirname(path), RUN_NAME_TAG, name)
            self._rewrite_run(path, raw, meta, run_name=name)
        else:
            self._rewrite_run(path, raw, meta)

    def _write_tag(self, run_path: str, key: str, value: str) -> None:
        tag_path = os.path.join(run_path, "tags", key)
        os.makedirs(os.path.dirname(tag_path), exist_ok=True)
        write_atomic(tag_path, value.encode("utf-8"), temp_dir=run_path)

    def set_tag(self, run_id: str, key: str, value: str) -> None:
        if not is_safe_key(key):
            raise InvalidArgumentError(f"Invalid tag name: '{key}'")
        path, raw, meta = self._read_run_meta(run_id)
        if (meta.get("lifecycle_stage") or ACTIVE) != ACTIVE:
            raise _not_active(run_id)
        self._write_tag(os.path.dirname(path), key, str(value))
        if key == RUN_NAME_TAG:
            self._update_run_name(run_id, path, raw, meta, str(value))

    def delete_tag(self, run_id: str, key: str) -> None:
        path, _, meta = self._read_run_meta(run_id)
        if (meta.get("lifecycle_stage") or ACTIVE) != ACTIVE:
            raise _not_active(run_id)
        tag_path = os.path.join(os.path.dirname(path), "tags", key)
        if not is_safe_key(key) or not os.path.isfile(tag_path):
            raise NotFoundError(f"No tag with name: {key} in run with id {run_id}")
        os.remove(tag_path)

    # -- experiments -------------------------------------------------------------------------

    def _experiment_meta(self, exp_path: str) -> tuple[str, bytes, dict[str, Any]]:
        path = os.path.join(exp_path, "meta.yaml")
        raw = snapshot(path)
        return path, raw, load_snapshot(path, raw)

    def _rewrite_experiment(
        self, exp_path: str, path: str, raw: bytes, meta: dict[str, Any], **changes: Any
    ) -> None:
        # MLflow writes dict(experiment): its keys plus a stale copy of the tags.
        new = dict(meta)
        new["experiment_id"] = str(meta.get("experiment_id"))
        new["tags"] = ft.read_value_tree(os.path.join(exp_path, "tags"), lambda _m: None)
        new.update(changes)
        overwrite_yaml(path, new, expected=raw)

    def _run_metas(self, exp_path: str) -> list[tuple[str, bytes, dict[str, Any]]]:
        out = []
        for name, run_path in ft.list_run_dirs(exp_path, lambda _m: None):
            meta_path = os.path.join(run_path, "meta.yaml")
            if not os.path.isfile(meta_path):
                continue
            raw = snapshot(meta_path)
            try:
                meta = load_snapshot(meta_path, raw)
            except StoreError:
                continue  # MLflow skips it with a warning too
            if str(meta.get("run_id") or meta.get("run_uuid")) != name:
                continue
            if meta.get("start_time") is None or meta.get("user_id") is None:
                continue
            out.append((meta_path, raw, meta))
        return out

    def delete_experiment(self, experiment_id: str) -> None:
        experiment_id = str(experiment_id)
        if experiment_id == DEFAULT_EXPERIMENT_ID:
            raise InvalidArgumentError(
                f"Cannot delete the default experiment '{DEFAULT_EXPERIMENT_ID}'. "
                "This is an internally reserved experiment."
            )
        d = ft.find_experiment_dir(self.root, experiment_id)
        if d is None or d.in_trash:
            raise NotFoundError(f"Could not find experiment with ID {experiment_id}")
        target = os.path.join(self.root, ft.TRASH, experiment_id)
        if os.path.exists(target):
            raise StoreError(
                f"cannot delete experiment {experiment_id}: {target} already exists",
                "purge or move the old folder in .trash first",
            )
        path, raw, meta = self._experiment_meta(d.path)
        half_done = meta.get("lifecycle_stage") == DELETED
        when = now_ms()
        if half_done and isinstance(meta.get("last_update_time"), int):
            when = meta["last_update_time"]  # finishing an interrupted delete
        for run_meta in self._run_metas(d.path):
            if (run_meta[2].get("lifecycle_stage") or ACTIVE) == ACTIVE:
                self._rewrite_run(*run_meta, lifecycle_stage=DELETED, deleted_time=when)
        if not half_done:
            self._rewrite_experiment(
                d.path, path, raw, meta, lifecycle_stage=DELETED, last_update_time=when
            )
        os.makedirs(os.path.dirname(target), exist_ok=True)
        self._move(d.path, target)

    def _move(self, src: str, dst: str) -> None:
        """One rename: the folder is wholly in one place or the other."""
        try:
            os.rename(src, dst)
        except OSError as exc:
            raise StoreError(f"cannot move {src} to {dst} ({exc.strerror or exc})") from None

    def restore_experiment(self, experiment_id: str) -> None:
        experiment_id = str(experiment_id)
        d = ft.find_experiment_dir(self.root, experiment_id)
        active_path = os.path.join(self.root, experiment_id)
        if d is None:
            raise NotFoundError(f"Could not find deleted experiment with ID {experiment_id}")
        if not d.in_trash:
            # Only an interrupted delete or restore leaves a deleted experiment in the root.
            if self._experiment_meta(d.path)[2].get("lifecycle_stage") != DELETED:
                raise NotFoundError(f"Could not find deleted experiment with ID {experiment_id}")
        else:
            if os.path.exists(active_path):
                raise StoreError(
                    f"Cannot restore experiment with ID {experiment_id}. "
                    "An experiment with same ID already exists."
                )
            self._move(d.path, active_path)
        for run_meta in self._run_metas(active_path):
            if run_meta[2].get("lifecycle_stage") == DELETED:
                self._rewrite_run(*run_meta, lifecycle_stage=ACTIVE, deleted_time=None)
        path, raw, meta = self._experiment_meta(active_path)
        self._rewrite_experiment(
            active_path, path, raw, meta, lifecycle_stage=ACTIVE, last_update_time=now_ms()
        )

    def rename_experiment(self, experiment_id: str, name: str) -> None:
        experiment_id = str(experiment_id)
        if not isinstance(name, str) or not name:
            raise InvalidArgumentError("Invalid experiment name: ''")
        d = ft.find_experiment_dir(self.root, experiment_id)
        if d is None:
            raise NotFoundError(f"Experiment '{experiment_id}' does not exist.")
        for other in ft.list_experiment_dirs(self.root, True, True, lambda _m: None):
            exp = ft.read_experiment(other, lambda _m: None)
            if exp is not None and exp.name == name:
                if exp.lifecycle_stage == DELETED:
                    raise InvalidArgumentError(
                        f"Experiment '{name}' already exists in deleted state. You can restore "
                        "the experiment, or permanently delete the experiment with "
                        "`tuiflow purge` before creating a new one with the same name."
                    )
                raise InvalidArgumentError(f"Experiment '{name}' already exists.")
        path, raw, meta = self._experiment_meta(d.path)
        stage = meta.get("lifecycle_stage")
        if d.in_trash or stage != ACTIVE:
            raise InvalidArgumentError(
                "Cannot rename experiment in non-active lifecycle stage. "
                f"Current stage: {stage or DELETED}"
            )
        self._rewrite_experiment(d.path, path, raw, meta, name=name, last_update_time=now_ms())
