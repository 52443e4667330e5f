"""`FileStore`: read an MLflow file store (./mlruns) without MLflow.

Searches read only what they need. `search_runs` lists run folders and their meta.yaml,
loads just the metric/param/tag files that the filter and order_by name (from
`required_fields`), filters and sorts, cuts the page, and only then loads everything of
the runs on that page. (A thread pool for the page load was measured and did not help:
the work is GIL-bound parsing as much as I/O. Processes do help: a single-threaded caller,
the headless CLI, can have the scan spread over forked processes, file_forked.py.)

Bad data never stops a search: a folder with unusable metadata is skipped and described
in `warnings`. Where tuiflow differs from MLflow 3.17.2, it is on data MLflow cannot read:
* a corrupt metric line makes MLflow fail the whole `search_runs`; tuiflow skips that
  run with a warning, and `get_run` / `get_metric_history` raise StoreError (as MLflow);
* a final metric line without its newline (a writer mid-append) is ignored;
* a run folder whose meta.yaml names another run_id is skipped (MLflow would read the
  other run's files); meta.yaml with only the legacy `run_uuid` is read (MLflow crashes);
* a run folder lacking `metrics/`, `params/` or `artifacts/` is still found by `get_run`;
* experiment ids given twice to `search_runs` list their runs once.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from tuiflow.entities import (
    Experiment,
    FileInfo,
    Metric,
    Page,
    Run,
    ViewType,
)
from tuiflow.errors import NotFoundError, StoreError
from tuiflow.query import evaluate, parser
from tuiflow.query.extension import parse_search_filter
from tuiflow.stores import file_forked
from tuiflow.stores import file_tracking as ft
from tuiflow.stores.base import (
    ARTIFACT_READ_MAX_BYTES,
    SEARCH_EXPERIMENTS_MAX_RESULTS_DEFAULT,
    SEARCH_MAX_RESULTS_DEFAULT,
    SEARCH_MAX_RESULTS_THRESHOLD,
    Capabilities,
    check_max_results,
    paginate,
)
from tuiflow.stores.file_cache import FileCache, default_directory
from tuiflow.stores.file_metrics import MalformedMetricError, read_history
from tuiflow.stores.file_reads import CachedReads, DirectReads, RunReads
from tuiflow.stores.file_registry import RegistryReader
from tuiflow.stores.file_registry_search import FileRegistrySearch
from tuiflow.stores.file_write import FileWrites
from tuiflow.stores.local_artifacts import (
    list_local_artifacts,
    local_artifact_dir,
    read_local_artifact,
)
from tuiflow.stores.yamlio import is_safe_key

# How often a long run scan tells its caller how far it got (and lets it cancel).
PROGRESS_EVERY = 500

_MAX_WARNINGS = 1000
DEFAULT_CACHE = object()  # FileStore's cache_dir when the caller does not choose


@dataclass(frozen=True, slots=True)
class ScanSpec:
    """What a run scan keeps: runs in `view`, with the fields in `need`, that `matches`."""

    view: ViewType
    need: evaluate.RunFields
    matches: Callable[[Run], bool]


class FileStore(FileWrites, FileRegistrySearch):
    """Read side of an MLflow file store rooted at `root` (tracking and registry)."""

    def __init__(self, root: Path | str, cache_dir: str | None | object = DEFAULT_CACHE) -> None:
        """`cache_dir`: where the warm cache lives (file_cache.py); None turns it off. By
        default $TUIFLOW_CACHE_DIR or the user's cache directory, off with TUIFLOW_CACHE=0."""
        self.root = os.path.abspath(os.fspath(root))
        directory = default_directory() if cache_dir is DEFAULT_CACHE else cache_dir
        self._reads: RunReads = (
            DirectReads()
            if directory is None
            else CachedReads(FileCache(self.root, os.fspath(directory)))  # type: ignore[arg-type]
        )
        self._warnings: dict[str, None] = {}
        self._held: list[str] | None = None  # load_whole's warnings, held back
        self._lock = threading.Lock()
        # The headless CLI turns this up (`use_forked_scans`); the UI has threads and never forks.
        self.scan_processes = 1
        self.fork_min_runs = file_forked.MIN_FORK_RUNS
        self.forked_searches = 0  # how many searches were answered by forked scans
        self._registry = RegistryReader(self.root, self._warn)
        self._check_root()

    # -- housekeeping ----------------------------------------------------------------------

    @property
    def display_uri(self) -> str:
        return self.root

    @property
    def capabilities(self) -> Capabilities:
        return Capabilities(
            writable=os.access(self.root, os.W_OK),
            stages=True,
            aliases=True,
            artifacts=True,
            datasets=True,
            registry=True,
        )

    @property
    def warnings(self) -> list[str]:
        """What was skipped and why, oldest first (deduplicated, capped)."""
        with self._lock:
            return list(self._warnings)

    def warn_all(self, messages: list[str]) -> None:
        for message in messages:
            self._warn(message)

    def warning_count(self) -> int:
        with self._lock:
            return len(self._warnings)

    def warnings_since(self, count: int) -> list[str]:
        with self._lock:
            return list(self._warnings)[count:]

    @property
    def run_reads(self) -> RunReads:
        """The per-run reads, cached or direct (forked scans hand cache entries over)."""
        return self._reads

    def clear_warnings(self) -> None:
        with self._lock:
            self._warnings.clear()

    def _warn(self, message: str) -> None:
        if self._held is not None:
            self._held.append(message)
            return
        with self._lock:
            if len(self._warnings) < _MAX_WARNINGS:
                self._warnings[message] = None

    def _check_root(self) -> None:
        if not os.path.isdir(self.root):
            raise StoreError(
                f"{self.root}: no such directory", "pass the path of an mlruns directory"
            )
        try:
            with os.scandir(self.root) as it:
                next(it, None)
        except OSError as exc:
            raise StoreError(
                f"{self.root}: cannot read ({exc.strerror or exc})",
                "check the directory's permissions",
            ) from None

    def use_forked_scans(self, processes: int | None = None, min_runs: int | None = None) -> None:
        """Let searches spread over `processes` forked processes (default: the usable
        cores) when at least `min_runs` run folders are scanned. For single-threaded
        callers; with other threads alive a search stays serial anyway."""
        self.scan_processes = file_forked.usable_processes() if processes is None else processes
        if min_runs is not None:
            self.fork_min_runs = min_runs

    def close(self) -> None:
        """Nothing is held open between calls; what the cache learned is saved."""
        self._reads.save()

    # -- experiments -----------------------------------------------------------------------

    def search_experiments(
        self,
        view: ViewType = ViewType.ACTIVE_ONLY,
        filter: str | None = None,
        order_by: Sequence[str] = (),
        max_results: int | None = None,
        page_token: str | None = None,
    ) -> Page[Experiment]:
        if max_results is None:
            max_results = SEARCH_EXPERIMENTS_MAX_RESULTS_DEFAULT
        check_max_results(max_results, SEARCH_MAX_RESULTS_THRESHOLD)
        node = parser.parse_experiment_filter(filter)
        keys = parser.parse_experiment_order_by(list(order_by or ()))
        view = ViewType(view)
        experiments = self._all_experiments(view)
        matches = evaluate.experiment_matches(node)
        chosen = evaluate.sort_experiments([e for e in experiments if matches(e)], keys)
        return paginate(chosen, max_results, page_token)

    def _all_experiments(self, view: ViewType) -> list[Experiment]:
        self._check_root()
        dirs = ft.list_experiment_dirs(
            self.root,
            active=view in (ViewType.ACTIVE_ONLY, ViewType.ALL),
            deleted=view in (ViewType.DELETED_ONLY, ViewType.ALL),
            warn=self._warn,
        )
        out = []
        for d in dirs:
            exp = self._reads.experiment(d, self._warn)
            if exp is not None:
                out.append(exp)
        self._reads.save()
        return out

    def get_experiment(self, experiment_id: str) -> Experiment:
        experiment_id = str(experiment_id)
        d = ft.find_experiment_dir(self.root, experiment_id)
        if d is None:
            raise NotFoundError(f"Could not find experiment with ID {experiment_id}")
        messages: list[str] = []
        exp = self._reads.experiment(d, messages.append)
        for m in messages:
            self._warn(m)
        if exp is None:
            raise StoreError(f"experiment '{experiment_id}' cannot be read", "; ".join(messages))
        return exp

    def get_experiment_by_name(self, name: str) -> Experiment | None:
        for exp in self._all_experiments(ViewType.ALL):
            if exp.name == name:
                return exp
        return None

    # -- runs ------------------------------------------------------------------------------

    def search_runs(
        self,
        experiment_ids: Sequence[str],
        filter: str | None = None,
        order_by: Sequence[str] = (),
        view: ViewType = ViewType.ACTIVE_ONLY,
        max_results: int = SEARCH_MAX_RESULTS_DEFAULT,
        page_token: str | None = None,
        on_progress: Callable[[int], None] | None = None,
    ) -> Page[Run]:
        check_max_results(max_results, SEARCH_MAX_RESULTS_THRESHOLD)
        # MLflow's filters and tuiflow's OR/NOT extension both run through the evaluator.
        node, _ = parse_search_filter(filter)
        keys = parser.parse_run_order_by(list(order_by or ()))
        spec = ScanSpec(
            ViewType(view), evaluate.required_fields(node, keys), evaluate.run_matches(node)
        )
        self._check_root()
        items, notes = self.list_runs(experiment_ids)
        datasets = ft.DatasetCache()
        if on_progress is None and file_forked.can_fork(
            self.scan_processes, len(items), self.fork_min_runs
        ):
            forked = file_forked.search(
                self, items, notes, spec, keys, max_results, page_token, datasets
            )
            if forked is not None:
                return forked
        candidates: list[tuple[Run, str, str]] = []  # run, run folder, experiment folder
        for i, item in enumerate(items):
            if on_progress is not None and (i + 1) % PROGRESS_EVERY == 0:
                on_progress(i + 1)
            if notes:
                self.warn_all(notes.get(i, ()))
            run = self.scan_one(item, spec, datasets)
            if run is not None:
                candidates.append((run, item[2], item[0].path))
        self.warn_all(notes.get(len(items), ()))
        where = {id(r): (p, e) for r, p, e in candidates}
        ordered = evaluate.sort_runs([r for r, _, _ in candidates if spec.matches(r)], keys)
        page = paginate(ordered, max_results, page_token)
        jobs = [(run, *where[id(run)]) for run in page.items]
        # A thread pool here was measured: no gain (the work is GIL-bound parsing).
        full = [self._load_one(job, datasets) for job in jobs]
        self._reads.save()
        return Page(tuple(r for r in full if r is not None), page.next_page_token)

    def list_runs(
        self, experiment_ids: Sequence[str]
    ) -> tuple[list[tuple[ft.ExperimentDir, str, str]], dict[int, list[str]]]:
        """The run folders of the experiments, and the listing's warnings keyed by the index
        of the run they come before (so a scan gives them where a folder-by-folder walk
        would, however the list is split)."""
        items: list[tuple[ft.ExperimentDir, str, str]] = []
        notes: dict[int, list[str]] = {}

        def note(message: str) -> None:
            notes.setdefault(len(items), []).append(message)

        for exp_dir in self._experiment_dirs(experiment_ids):
            for name, run_path in ft.list_run_dirs(exp_dir.path, note):
                items.append((exp_dir, name, run_path))
        return items, notes

    def scan_one(
        self, item: tuple[ft.ExperimentDir, str, str], spec: ScanSpec, datasets: ft.DatasetCache
    ) -> Run | None:
        """A run folder's attributes plus the fields the search needs; None when it is
        unreadable (warned) or outside the view."""
        exp_dir, name, run_path = item
        info = self._reads.run_info(run_path, name, exp_dir.experiment_id, self._warn)
        if info is None or not spec.view.includes(info.lifecycle_stage):
            return None
        try:
            return self._with_fields(info, run_path, exp_dir.path, spec.need, datasets)
        except MalformedMetricError as exc:
            self._warn(f"run '{name}': {exc}; skipped")
            return None

    def load_whole(
        self, run: Run, item: tuple[ft.ExperimentDir, str, str], datasets: ft.DatasetCache
    ) -> tuple[Run | None, list[str]]:
        """`run` loaded whole, with the warnings that gave, held back (not recorded)."""
        held: list[str] = []
        self._held = held
        try:
            return self._load_one((run, item[2], item[0].path), datasets), held
        finally:
            self._held = None

    def count_runs(
        self,
        experiment_ids: Sequence[str],
        view: ViewType = ViewType.ACTIVE_ONLY,
        cancelled: Callable[[], bool] | None = None,
    ) -> int | None:
        """How many runs `search_runs` would list with no filter: from meta.yaml alone
        (through the cache), not whole runs. None when `cancelled()` says stop."""
        view = ViewType(view)

        def quiet(_message: str) -> None:  # broken runs are reported when listed
            return None

        total = 0
        for exp_dir in self._experiment_dirs(experiment_ids):
            for i, (name, run_path) in enumerate(ft.list_run_dirs(exp_dir.path, quiet)):
                if cancelled is not None and i % 500 == 0 and cancelled():
                    return None
                info = self._reads.run_info(run_path, name, exp_dir.experiment_id, quiet)
                if info is not None and view.includes(info.lifecycle_stage):
                    total += 1
        self._reads.save()
        return total

    def _load_one(self, job: tuple[Run, str, str], datasets: ft.DatasetCache) -> Run | None:
        run, run_path, exp_path = job
        try:
            return self._load_full(run, run_path, exp_path, datasets)
        except MalformedMetricError as exc:
            self._warn(f"run '{run.run_id}': {exc}; skipped")
            return None

    def _experiment_dirs(self, experiment_ids: Sequence[str]) -> list[ft.ExperimentDir]:
        out: list[ft.ExperimentDir] = []
        seen: set[str] = set()
        for raw in experiment_ids:
            exp_id = str(raw)
            if exp_id in seen:
                continue
            seen.add(exp_id)
            d = ft.find_experiment_dir(self.root, exp_id)
            if d is not None:  # unknown ids find nothing, as in MLflow's file store
                out.append(d)
        return out

    def _with_fields(
        self,
        info: Run,
        run_path: str,
        exp_path: str,
        need: evaluate.RunFields,
        datasets: ft.DatasetCache,
    ) -> Run:
        """`info` plus only the values the filter and order_by look at."""
        # `+ "/"`, not os.path.join: once per scanned run, and run_path never ends in "/".
        metrics = params = tags = None
        if need.metrics or need.all_metrics:
            keys = None if need.all_metrics else need.metrics
            metrics = self._reads.metrics(run_path + "/metrics", keys, self._warn)
        if need.all_params:
            params = self._reads.value_tree(run_path + "/params", self._warn, write_once=True)
        elif need.params:
            params = self._reads.values(run_path + "/params", need.params, self._warn)
        if need.all_tags:
            tags = self._reads.value_tree(run_path + "/tags", self._warn)
        elif need.tags:
            tags = self._reads.values(run_path + "/tags", need.tags, self._warn)
        inputs = None
        if need.datasets:
            inputs = ft.read_inputs(run_path, exp_path, datasets, self._warn)
        if metrics is None and params is None and tags is None and inputs is None:
            return info
        return ft.with_data(info, metrics or {}, params or {}, tags or {}, inputs or ())

    def _load_full(self, info: Run, run_path: str, exp_path: str, datasets: ft.DatasetCache) -> Run:
        warn = self._warn
        return ft.with_data(
            info,
            self._reads.metrics(run_path + "/metrics", None, warn),
            self._reads.value_tree(run_path + "/params", warn, write_once=True),
            self._reads.value_tree(run_path + "/tags", warn),
            ft.read_inputs(run_path, exp_path, datasets, warn),
        )

    def _locate_run(self, run_id: str) -> tuple[str, ft.ExperimentDir]:
        run_id = str(run_id)
        if ft.RUN_ID_RE.match(run_id):
            self._check_root()
            for d in ft.list_experiment_dirs(self.root, True, True, self._warn):
                run_path = os.path.join(d.path, run_id)
                if os.path.isfile(os.path.join(run_path, "meta.yaml")):
                    return run_path, d
        raise NotFoundError(f"Run '{run_id}' not found")

    def _run_info(self, run_id: str) -> tuple[Run, str, ft.ExperimentDir]:
        run_path, d = self._locate_run(run_id)
        messages: list[str] = []
        info = self._reads.run_info(run_path, str(run_id), d.experiment_id, messages.append)
        for m in messages:
            self._warn(m)
        if info is None:
            raise StoreError(f"Run '{run_id}' metadata is in invalid state.", "; ".join(messages))
        return info, run_path, d

    def get_run(self, run_id: str) -> Run:
        info, run_path, d = self._run_info(run_id)
        try:
            return self._load_full(info, run_path, d.path, ft.DatasetCache())
        except MalformedMetricError as exc:
            raise StoreError(f"run '{run_id}': {exc}", os.path.join(run_path, "metrics")) from None

    def get_metric_history(self, run_id: str, key: str) -> list[Metric]:
        _, run_path, _ = self._run_info(run_id)
        if not is_safe_key(key):
            return []
        path = os.path.join(run_path, "metrics", key)
        try:
            return read_history(path, key)
        except MalformedMetricError as exc:
            raise StoreError(f"run '{run_id}': {exc}", path) from None
        except PermissionError as exc:
            raise StoreError(f"{path}: {exc.strerror}", "check the file's permissions") from None
        except OSError as exc:  # a symlink loop (ELOOP), an I/O error
            raise StoreError(f"{path}: cannot read ({exc.strerror or exc})") from None

    def list_artifacts(self, run_id: str, path: str | None = None) -> list[FileInfo]:
        return list_local_artifacts(self.artifact_root(run_id), path)

    def read_artifact(
        self, run_id: str, path: str, max_bytes: int = ARTIFACT_READ_MAX_BYTES
    ) -> bytes:
        return read_local_artifact(self.artifact_root(run_id), path, max_bytes)

    def artifact_root(self, run_id: str) -> str:
        """Where the run's artifacts are on this machine.

        `artifact_uri` is an absolute path written where the store was created. A store
        copied elsewhere (rsync from a cluster, a cloned repo) keeps the old path, so when it
        does not exist and the run's own `artifacts/` folder does, that folder is used.
        """
        info, run_path, _ = self._run_info(run_id)
        if not info.artifact_uri:
            raise StoreError(f"run '{run_id}' has no artifact location")
        try:
            recorded = local_artifact_dir(info.artifact_uri)
        except StoreError:
            return info.artifact_uri
        local = os.path.join(run_path, "artifacts")
        if not os.path.isdir(recorded) and os.path.isdir(local):
            return local
        return info.artifact_uri
