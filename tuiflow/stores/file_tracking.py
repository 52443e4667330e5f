"""Experiments and runs of an MLflow file store (`store/tracking/file_store.py`).

Reading is lenient where MLflow is strict about things that do not matter to a reader
(missing optional keys, no `metrics/` folder), and it never crashes on one bad
directory: that directory is skipped and a warning is recorded instead.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from tuiflow.entities import (
    ACTIVE,
    DELETED,
    EXPERIMENT_SCALARS,
    RUN_NAME_TAG,
    RUN_STATUS_FROM_INT,
    RUN_STATUS_TO_INT,
    Dataset,
    DatasetInput,
    Experiment,
    Metric,
    Run,
    new_run,
)
from tuiflow.stores.file_metrics import WHOLE_FILE_MAX, latest_event, read_latest, to_metric
from tuiflow.stores.yamlio import MetaError, is_safe_key, read_meta, read_text, read_tree

TRASH = ".trash"
REGISTRY_FOLDER = "models"
# Folders inside an experiment that are not runs (FileStore.RESERVED_EXPERIMENT_FOLDERS).
RESERVED_EXPERIMENT_FOLDERS = frozenset({"tags", "datasets", "traces", "models"})
EXPERIMENT_ID_RE = re.compile(r"[a-zA-Z0-9][\w\-]{0,63}\Z")
RUN_ID_RE = re.compile(r"[a-zA-Z0-9][\w\-]{0,255}\Z")

Warn = Callable[[str], None]


@dataclass(frozen=True, slots=True)
class ExperimentDir:
    experiment_id: str
    path: str
    in_trash: bool


def _int_or_none(value: Any) -> int | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value == value:
        return int(value)
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value)
    return None


def _str_or_none(value: Any) -> str | None:
    return None if value is None else str(value)


def _id_str(value: Any) -> str | None:
    """Ids are strings in 3.x files and ints in legacy ones (MLflow casts them)."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, (int, str)):
        return str(value)
    return None


def scan_dirs(path: str, warn: Warn) -> list[tuple[str, str]]:
    """(name, path) of the sub-folders of `path`, in listing order."""
    try:
        with os.scandir(path) as it:
            entries = list(it)
    except FileNotFoundError:
        return []
    except OSError as exc:
        warn(f"{path}: cannot list ({exc.strerror or exc}); skipped")
        return []
    out: list[tuple[str, str]] = []
    for entry in entries:
        try:
            if entry.is_dir():
                out.append((entry.name, entry.path))
        except OSError:
            continue
    return out


def read_value_tree(base: str, warn: Warn) -> dict[str, str]:
    """`params/`, `tags/` and the like: one file per key, '/' in a key is a sub-folder."""
    values: dict[str, str] = {}
    for key, data in read_tree(base, _tree_error(warn)).items():
        if data is None:  # only with read_tree's max_bytes, not given here
            continue
        try:
            values[key] = data.decode("utf-8")
        except UnicodeDecodeError:
            warn(f"{base}/{key}: not UTF-8 text; skipped")
    return values


def _tree_error(warn: Warn) -> Callable[[str, OSError], None]:
    return lambda path, exc: warn(f"{path}: unreadable ({exc.strerror or exc}); skipped")


def read_values(base: str, keys: Iterable[str], warn: Warn) -> dict[str, str]:
    """Only the named keys of a value tree; missing keys are simply absent."""
    values: dict[str, str] = {}
    for key in keys:
        if not is_safe_key(key):
            continue  # MLflow cannot have written it, and it must not escape `base`
        path = base + "/" + key
        try:
            values[key] = read_text(path)
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
            continue
        except (OSError, UnicodeDecodeError) as exc:
            warn(f"{path}: unreadable ({getattr(exc, 'strerror', None) or exc}); skipped")
    return values


def read_metrics(base: str, keys: Iterable[str] | None, warn: Warn) -> dict[str, Metric]:
    """Latest value per metric key (all keys when `keys` is None).

    Raises MalformedMetricError for a corrupt file; the caller decides what that costs.
    """
    metrics: dict[str, Metric] = {}
    if keys is None:
        for key, data in read_tree(base, _tree_error(warn), WHOLE_FILE_MAX).items():
            if data is None:  # too large to hold: streamed
                metric = latest_or_warn(base + "/" + key, key, warn)
                if metric is not None:
                    metrics[key] = metric
                continue
            event = latest_event(data, key)
            if event is not None:
                metrics[key] = to_metric(key, event)
        return metrics
    for key in keys:
        if not is_safe_key(key):
            continue
        metric = latest_or_warn(base + "/" + key, key, warn)
        if metric is not None:
            metrics[key] = metric
    return metrics


def latest_or_warn(path: str, key: str, warn: Warn) -> Metric | None:
    # Any OSError: permission denied, a symlink to itself (ELOOP), an I/O error.
    try:
        return read_latest(path, key)
    except OSError as exc:
        warn(f"{path}: unreadable ({exc.strerror or exc}); skipped")
        return None


# -- experiments ---------------------------------------------------------------------------


def list_experiment_dirs(root: str, active: bool, deleted: bool, warn: Warn) -> list[ExperimentDir]:
    out: list[ExperimentDir] = []
    seen: set[str] = set()
    if active:
        for name, path in scan_dirs(root, warn):
            # MLflow skips anything ending in ".trash" and the registry folder.
            if name.endswith(TRASH) or name == REGISTRY_FOLDER:
                continue
            out.append(ExperimentDir(name, path, False))
            seen.add(name)
    if deleted:
        for name, path in scan_dirs(os.path.join(root, TRASH), warn):
            if name not in seen:  # an active folder with the same id wins, as in MLflow
                out.append(ExperimentDir(name, path, True))
    return out


def find_experiment_dir(root: str, experiment_id: str) -> ExperimentDir | None:
    if not EXPERIMENT_ID_RE.match(experiment_id) or experiment_id == REGISTRY_FOLDER:
        return None
    path = os.path.join(root, experiment_id)
    if os.path.isdir(path):
        return ExperimentDir(experiment_id, path, False)
    path = os.path.join(root, TRASH, experiment_id)
    if os.path.isdir(path):
        return ExperimentDir(experiment_id, path, True)
    return None


# What `read_experiment` reads from an experiment's meta.yaml (the warm cache keeps these).
EXPERIMENT_META_KEYS = EXPERIMENT_SCALARS


def read_experiment(
    d: ExperimentDir,
    warn: Warn,
    meta_of: Callable[[str], dict[str, Any]] = read_meta,
    tags_of: Callable[[str, Warn], dict[str, str]] = read_value_tree,
) -> Experiment | None:
    """The experiment in `d`, or None (with a warning) when its metadata is unusable.

    `meta_of` and `tags_of` read the folder's meta.yaml and tags (the warm cache's
    readers give the same answers)."""
    if not EXPERIMENT_ID_RE.match(d.experiment_id):
        warn(f"{d.path}: not an experiment id; skipped")
        return None
    try:
        meta = meta_of(d.path)
    except MetaError as exc:
        warn(f"malformed experiment '{d.experiment_id}': {exc}; skipped")
        return None
    meta_id = _id_str(meta.get("experiment_id"))
    if meta_id != d.experiment_id:
        warn(
            f"experiment '{d.experiment_id}': meta.yaml records experiment_id "
            f"{meta.get('experiment_id')!r}; skipped"
        )
        return None
    name = meta.get("name")
    if name is None:
        warn(f"experiment '{d.experiment_id}': meta.yaml has no name; skipped")
        return None
    stage = meta.get("lifecycle_stage")
    if stage not in (ACTIVE, DELETED):
        stage = DELETED if d.in_trash else ACTIVE
    return Experiment(
        experiment_id=d.experiment_id,
        name=str(name),
        artifact_location=_str_or_none(meta.get("artifact_location")),
        lifecycle_stage=stage,
        creation_time=_int_or_none(meta.get("creation_time")),
        last_update_time=_int_or_none(meta.get("last_update_time")),
        tags=tags_of(os.path.join(d.path, "tags"), warn),
    )


# -- runs ----------------------------------------------------------------------------------


def list_run_dirs(exp_path: str, warn: Warn) -> list[tuple[str, str]]:
    return [(n, p) for n, p in scan_dirs(exp_path, warn) if n not in RESERVED_EXPERIMENT_FOLDERS]


def _status(value: Any) -> str | None:
    if value is None:
        return "RUNNING"  # MLflow's default when the key is missing
    if isinstance(value, int) and not isinstance(value, bool):
        return RUN_STATUS_FROM_INT.get(value)
    if isinstance(value, str) and value in RUN_STATUS_TO_INT:
        return value
    return None


def read_run_info(
    run_path: str,
    dir_name: str,
    experiment_id: str,
    warn: Warn,
    fallback: list[bool] | None = None,
) -> Run | None:
    """A Run with attributes only (no metrics, params, tags or inputs), or None.

    `fallback`, when given, gets True appended if the name came from the mlflow.runName
    tag (so the result depends on a second file)."""
    try:
        meta = read_meta(run_path)
    except MetaError as exc:
        warn(f"malformed run '{dir_name}' in experiment '{experiment_id}': {exc}; skipped")
        return None
    run_id = _id_str(meta.get("run_id")) or _id_str(meta.get("run_uuid"))
    if run_id != dir_name:
        warn(
            f"run folder '{dir_name}' in experiment '{experiment_id}': meta.yaml records "
            f"run_id {run_id!r}; skipped"
        )
        return None
    meta_exp = _id_str(meta.get("experiment_id"))
    if meta_exp != experiment_id:
        warn(
            f"run '{dir_name}': wrong experiment ID ({meta.get('experiment_id')!r}) recorded; "
            f"it should be {experiment_id}; skipped"
        )
        return None
    status = _status(meta.get("status"))
    if status is None:
        warn(f"run '{dir_name}': unknown status {meta.get('status')!r}; skipped")
        return None
    stage = meta.get("lifecycle_stage") or ACTIVE
    run_name = meta.get("run_name")
    if not run_name:
        # MLflow falls back to the mlflow.runName tag (runs written before run_name existed)
        if fallback is not None:
            fallback.append(True)
        run_name = read_values(os.path.join(run_path, "tags"), (RUN_NAME_TAG,), warn).get(
            RUN_NAME_TAG, ""
        )
    user_id = meta.get("user_id")
    return new_run(
        run_id=dir_name,
        experiment_id=experiment_id,
        run_name=str(run_name),
        user_id="" if user_id is None else str(user_id),
        status=status,
        start_time=_int_or_none(meta.get("start_time")),
        end_time=_int_or_none(meta.get("end_time")),
        lifecycle_stage=str(stage),
        artifact_uri=_str_or_none(meta.get("artifact_uri")),
        deleted_time=_int_or_none(meta.get("deleted_time")),
    )


def with_data(
    info: Run,
    metrics: dict[str, Metric],
    params: dict[str, str],
    tags: dict[str, str],
    inputs: tuple[DatasetInput, ...],
) -> Run:
    """`info` with run data; a direct constructor call (dataclasses.replace is slow)."""
    return new_run(
        info.run_id,
        info.experiment_id,
        info.run_name,
        info.user_id,
        info.status,
        info.start_time,
        info.end_time,
        info.lifecycle_stage,
        info.artifact_uri,
        metrics,
        params,
        tags,
        inputs,
        info.deleted_time,
    )


class DatasetCache:
    """`<exp>/datasets/<id>/meta.yaml`, read once per search for all runs sharing them.

    A broken dataset's warning is given again for every run that uses it (the store keeps
    one copy of each message). So it is reported where the first of those runs is, in
    whatever order the runs are loaded: a forked search loads them in another order, in
    several processes, and must still report exactly what the serial search does."""

    def __init__(self) -> None:
        self._cache: dict[tuple[str, str], tuple[Dataset | None, str | None]] = {}

    def get(self, exp_path: str, dataset_id: str, warn: Warn) -> Dataset | None:
        key = (exp_path, dataset_id)
        found = self._cache.get(key)
        if found is None:
            found = self._cache[key] = self._load(exp_path, dataset_id)
        dataset, problem = found
        if problem is not None:
            warn(problem)
        return dataset

    def _load(self, exp_path: str, dataset_id: str) -> tuple[Dataset | None, str | None]:
        if not is_safe_key(dataset_id) or "/" in dataset_id:
            return None, None
        try:
            meta = read_meta(os.path.join(exp_path, "datasets", dataset_id), retries=0)
        except MetaError as exc:
            if "missing" in str(exc):
                return None, None
            return None, f"dataset '{dataset_id}': {exc}; skipped"
        return Dataset(
            name=str(meta.get("name", "")),
            digest=str(meta.get("digest", "")),
            source_type=_str_or_none(meta.get("source_type")),
            source=_str_or_none(meta.get("source")),
            schema=_str_or_none(meta.get("schema")),
            profile=_str_or_none(meta.get("profile")),
        ), None


def read_inputs(run_path: str, exp_path: str, cache: DatasetCache, warn: Warn) -> tuple:
    """Dataset inputs of a run, in listing order like MLflow (model inputs are skipped)."""
    out: list[DatasetInput] = []
    for name, path in scan_dirs(os.path.join(run_path, "inputs"), warn):
        try:
            meta = read_meta(path, retries=0)
        except MetaError as exc:
            warn(f"input '{name}': {exc}; skipped")
            continue
        if meta.get("source_type") != "DATASET":
            continue
        dataset_id = _str_or_none(meta.get("source_id"))
        dataset = cache.get(exp_path, dataset_id, warn) if dataset_id else None
        if dataset is None:
            warn(f"dataset '{dataset_id}' used by run in {run_path} not found; skipped")
            continue
        tags = meta.get("tags")
        tags = {str(k): str(v) for k, v in tags.items()} if isinstance(tags, dict) else {}
        out.append(DatasetInput(dataset, tags))
    return tuple(out)
