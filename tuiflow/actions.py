"""Every write action, once: the CLI verbs and the explorer's keys both call `Actions`.

What does not depend on the backend lives here: read-only refusal, the store's
`capabilities.writable`, MLflow's validation of stage and alias names (same messages as
`mlflow/utils/validation.py` and `model_version_stages.py`), which runs may be terminated,
and the `plan_*` functions that say exactly what an action WOULD change, computed from the
store's read side, so a confirmation can state counts before anything is written. The
backend does the writing (`tuiflow/stores/writes.py`).
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, cast

from tuiflow.entities import DELETED, STAGES, Experiment, ModelVersion, Run, ViewType
from tuiflow.errors import InvalidArgumentError, NotFoundError, StoreError

if TYPE_CHECKING:
    from tuiflow.stores.base import Store
    from tuiflow.stores.writes import PurgeReport, WritableStore

# MLflow: utils/validation.py and entities/model_registry/model_version_stages.py.
_ALIAS_RE = re.compile(r"^[\w\-]*$")
_VERSION_ALIAS_RE = re.compile(r"^[vV]\d+$")
MAX_ALIAS_LENGTH = 255
ACTIVE_STAGES = ("Staging", "Production")  # DEFAULT_STAGES_FOR_GET_LATEST_VERSIONS
TERMINAL_STATUSES = ("KILLED", "FAILED")
# mlflow gc --older-than (cli/__init__.py): days, hours, minutes, seconds, each optional.
_DURATION_RE = re.compile(
    r"^((?P<days>[\.\d]+?)d)?((?P<hours>[\.\d]+?)h)?((?P<minutes>[\.\d]+?)m)"
    r"?((?P<seconds>[\.\d]+?)s)?$"
)


class ReadOnlyError(InvalidArgumentError):
    """A write asked of a session opened with --read-only (or read_only in the settings)."""


def now_ms() -> int:
    return int(time.time() * 1000)


def canonical_stage(stage: str) -> str:
    """`production` -> `Production`, as MLflow's get_canonical_stage."""
    by_lower = {s.lower(): s for s in STAGES}
    if stage.lower() not in by_lower:
        raise InvalidArgumentError(
            f"Invalid Model Version stage: {stage}. Value must be one of {', '.join(STAGES)}."
        )
    return by_lower[stage.lower()]


def validate_alias(alias: str) -> None:
    """MLflow's _validate_model_alias_name, then _validate_model_alias_name_reserved."""
    if not alias:
        raise InvalidArgumentError("Registered model alias name cannot be empty.")
    if not _ALIAS_RE.match(alias):
        raise InvalidArgumentError(
            f"Invalid alias name: '{alias}'. Names may only contain alphanumerics, "
            "underscores (_), and dashes (-)."
        )
    if len(alias) > MAX_ALIAS_LENGTH:
        raise InvalidArgumentError(
            f"'Registered model alias name' exceeds the maximum length of "
            f"{MAX_ALIAS_LENGTH} characters"
        )
    if alias.lower() == "latest":
        raise InvalidArgumentError("'latest' alias name (case insensitive) is reserved.")
    if _VERSION_ALIAS_RE.match(alias):
        raise InvalidArgumentError(f"Version alias name '{alias}' is reserved.")


def parse_duration(text: str) -> int:
    """`1d2h3m4s` (each part optional, decimals allowed) -> milliseconds, as `mlflow gc`."""
    parts = _DURATION_RE.match(text)
    if parts is None or not text:
        raise InvalidArgumentError(
            f"Could not parse any time information from '{text}'. "
            "Examples of valid strings: '8h', '2d8h5m20s', '2m4s'"
        )
    try:
        params = {name: float(value) for name, value in parts.groupdict().items() if value}
    except ValueError:
        raise InvalidArgumentError(
            f"Could not parse any time information from '{text}'. "
            "Examples of valid strings: '8h', '2d8h5m20s', '2m4s'"
        ) from None
    return int(timedelta(**params).total_seconds() * 1000)


@dataclass(frozen=True, slots=True)
class RunsPlan:
    """Runs an action would touch, and the names of their experiments (for the prompt)."""

    runs: tuple[Run, ...]
    experiments: tuple[str, ...]

    @property
    def run_ids(self) -> tuple[str, ...]:
        return tuple(r.run_id for r in self.runs)


@dataclass(frozen=True, slots=True)
class PurgePlan:
    runs: tuple[Run, ...]
    experiments: tuple[Experiment, ...]
    older_than_ms: int | None

    @property
    def count(self) -> int:
        return len(self.runs) + len(self.experiments)

    @property
    def run_ids(self) -> tuple[str, ...]:
        return tuple(r.run_id for r in self.runs)


def _pages(fetch) -> Iterator:
    token: str | None = None
    while True:
        page = fetch(token)
        yield from page.items
        token = page.next_page_token
        if not token:
            return


def _quoted(name: str) -> str:
    return f'"{name}"' if "'" in name else f"'{name}'"


class Actions:
    """The write actions on one store. `last_deleted` is what `undo` restores."""

    def __init__(self, store: Store, read_only: bool = False) -> None:
        self.store = store
        self.read_only = read_only
        self.last_deleted: tuple[str, ...] = ()

    @property
    def can_write(self) -> bool:
        return not self.read_only and self.store.capabilities.writable

    def writer(self, action: str) -> WritableStore:
        if self.read_only:
            raise ReadOnlyError(f"read-only: refusing to {action}")
        if not self.store.capabilities.writable:
            # A store that knows why (an untested SQL schema) says so on the same line.
            reason = getattr(self.store, "read_only_reason", None)
            raise StoreError(
                f"cannot {action}: this store is read-only for tuiflow ({self.store.display_uri})"
                + (f": {reason}" if reason else "")
            )
        return cast("WritableStore", self.store)

    # -- lookups ----------------------------------------------------------------------------

    def resolve_experiment(self, ref: str) -> Experiment:
        """By name (active or deleted) or by id."""
        exp = self.store.get_experiment_by_name(ref)
        if exp is None:
            for candidate in _pages(
                lambda t: self.store.search_experiments(ViewType.ALL, page_token=t)
            ):
                if candidate.name == ref:
                    return candidate
            try:
                exp = self.store.get_experiment(ref)
            except (NotFoundError, InvalidArgumentError):
                exp = None
        if exp is None:
            raise InvalidArgumentError(f"no experiment named or with id '{ref}'")
        return exp

    def _experiment_names(self, runs: Sequence[Run]) -> tuple[str, ...]:
        names: list[str] = []
        for exp_id in dict.fromkeys(r.experiment_id for r in runs):
            try:
                names.append(self.store.get_experiment(exp_id).name)
            except NotFoundError:
                names.append(exp_id)
        return tuple(names)

    # -- plans ------------------------------------------------------------------------------

    def plan_runs(self, run_ids: Sequence[str]) -> RunsPlan:
        runs = tuple(self.store.get_run(r) for r in dict.fromkeys(run_ids))
        return RunsPlan(runs, self._experiment_names(runs))

    plan_delete_runs = plan_runs
    plan_restore_runs = plan_runs

    def plan_delete_matching(self, experiment_ids: Sequence[str], filter: str | None) -> RunsPlan:
        """Every active run of the experiments that matches `filter` (all pages)."""
        runs = tuple(
            _pages(
                lambda t: self.store.search_runs(
                    list(experiment_ids), filter=filter, page_token=t, max_results=50000
                )
            )
        )
        return RunsPlan(runs, self._experiment_names(runs))

    def plan_transition(
        self, name: str, version: int, stage: str, archive_existing: bool = False
    ) -> tuple[ModelVersion, ...]:
        """The other versions of `name` now in `stage` that archive_existing would archive."""
        target = canonical_stage(stage)
        self._check_archive(stage, target, archive_existing)
        if not archive_existing:
            return ()
        versions = _pages(
            lambda t: self.store.search_model_versions(
                filter=f"name = {_quoted(name)}", page_token=t
            )
        )
        found = [v for v in versions if v.name == name]
        if not any(v.version == int(version) for v in found):
            raise NotFoundError(f"Model Version (name={name}, version={version}) not found")
        return tuple(
            sorted(
                (v for v in found if v.current_stage == target and v.version != int(version)),
                key=lambda v: v.version,
            )
        )

    def plan_purge(
        self, older_than_ms: int | None = None, experiment_ids: Sequence[str] | None = None
    ) -> PurgePlan:
        """What `mlflow gc --older-than` would remove, optionally within some experiments.

        Deleted runs whose deleted_time is at least `older_than_ms` ago, deleted experiments
        last updated before then, and every deleted run of those experiments. A deleted run
        without deleted_time qualifies only when no age is given (the conservative reading
        of the file and SQL stores, which disagree about it).
        """
        if not self.store.capabilities.purge:
            # Say so before listing anything: a tracking server has no gc endpoint.
            raise StoreError(
                f"cannot purge through {self.store.display_uri}: the tracking server's API has "
                "no permanent delete",
                "run `mlflow gc --backend-store-uri <its backend store>` on the server's host",
            )
        now = now_ms()
        exps = list(_pages(lambda t: self.store.search_experiments(ViewType.ALL, page_token=t)))
        if experiment_ids is not None:
            wanted = set(experiment_ids)
            exps = [e for e in exps if e.experiment_id in wanted]
        old_exps = tuple(
            e
            for e in exps
            if e.lifecycle_stage == DELETED
            and (
                older_than_ms is None
                or (e.last_update_time is not None and e.last_update_time < now - older_than_ms)
            )
        )
        old_exp_ids = {e.experiment_id for e in old_exps}
        runs: list[Run] = []
        if exps:
            deleted = _pages(
                lambda t: self.store.search_runs(
                    [e.experiment_id for e in exps],
                    view=ViewType.DELETED_ONLY,
                    page_token=t,
                    max_results=50000,
                )
            )
            for run in deleted:
                if (
                    run.experiment_id in old_exp_ids
                    or older_than_ms is None
                    or (run.deleted_time is not None and now - run.deleted_time >= older_than_ms)
                ):
                    runs.append(run)
        return PurgePlan(tuple(runs), old_exps, older_than_ms)

    # -- runs -------------------------------------------------------------------------------

    def delete_runs(self, run_ids: Sequence[str]) -> None:
        writer = self.writer("delete runs" if len(run_ids) != 1 else "delete a run")
        ids = tuple(dict.fromkeys(run_ids))
        writer.delete_runs(ids)
        self.last_deleted = ids

    def restore_runs(self, run_ids: Sequence[str]) -> None:
        writer = self.writer("restore runs" if len(run_ids) != 1 else "restore a run")
        writer.restore_runs(tuple(dict.fromkeys(run_ids)))

    def undo_delete(self) -> tuple[str, ...]:
        """Restore what the last delete removed; returns those run ids."""
        if not self.last_deleted:
            raise InvalidArgumentError("nothing to undo")
        ids = self.last_deleted
        self.writer("restore runs").restore_runs(ids)
        self.last_deleted = ()
        return ids

    def terminate_run(self, run_id: str, status: str) -> None:
        writer = self.writer("terminate a run")
        wanted = status.upper()
        if wanted not in TERMINAL_STATUSES:
            raise InvalidArgumentError(
                f"cannot set status '{status}': a stuck run can be set to KILLED or FAILED"
            )
        run = self.store.get_run(run_id)
        if run.status != "RUNNING":
            raise InvalidArgumentError(
                f"run {run_id} is {run.status}, not RUNNING; only a RUNNING run can be terminated"
            )
        writer.set_run_status(run_id, wanted, now_ms())

    def rename_run(self, run_id: str, name: str) -> None:
        writer = self.writer("rename a run")
        if not name:
            raise InvalidArgumentError("a run name cannot be empty")
        writer.rename_run(run_id, name)

    def set_tag(self, run_id: str, key: str, value: str) -> None:
        writer = self.writer("set a tag")
        if not key:
            raise InvalidArgumentError("Missing value for required parameter 'key'.")
        writer.set_tag(run_id, key, value)

    def delete_tag(self, run_id: str, key: str) -> None:
        self.writer("delete a tag").delete_tag(run_id, key)

    # -- experiments ------------------------------------------------------------------------

    def delete_experiment(self, experiment_id: str) -> None:
        self.writer("delete an experiment").delete_experiment(experiment_id)

    def restore_experiment(self, experiment_id: str) -> None:
        self.writer("restore an experiment").restore_experiment(experiment_id)

    def rename_experiment(self, experiment_id: str, name: str) -> None:
        writer = self.writer("rename an experiment")
        if not name:
            raise InvalidArgumentError(f"Invalid experiment name: '{name}'")
        writer.rename_experiment(experiment_id, name)

    def purge(self, plan: PurgePlan) -> PurgeReport:
        """Remove exactly what `plan` listed (the store re-checks each is deleted)."""
        writer = self.writer("purge")
        if not plan.count:
            from tuiflow.stores.writes import PurgeReport

            return PurgeReport()
        exp_ids = [e.experiment_id for e in plan.experiments]
        guard: set[str] = set()
        if not exp_ids:
            # The protocol (like `mlflow gc`) reads "no experiment ids" as "every deleted
            # experiment". Name the runs' own experiments instead: the store declines those
            # that are not purgeable, and nothing beyond the plan is removed.
            guard = {r.experiment_id for r in plan.runs}
            exp_ids = sorted(guard)
        report = writer.purge(
            plan.older_than_ms, run_ids=list(plan.run_ids), experiment_ids=exp_ids
        )
        if guard:
            from dataclasses import replace

            skipped = {k: v for k, v in report.skipped.items() if k not in guard}
            report = replace(report, skipped=skipped)
        return report

    # -- registry ---------------------------------------------------------------------------

    @staticmethod
    def _check_archive(stage: str, target: str, archive_existing: bool) -> None:
        if archive_existing and target not in ACTIVE_STAGES:
            raise InvalidArgumentError(
                "Model version transition cannot archive existing model versions because "
                f"'{stage}' is not an Active stage. Valid stages are {list(ACTIVE_STAGES)}"
            )

    def transition(
        self, name: str, version: int, stage: str, archive_existing: bool = False
    ) -> ModelVersion:
        writer = self.writer("transition a model version")
        target = canonical_stage(stage)
        self._check_archive(stage, target, archive_existing)
        return writer.transition_stage(name, int(version), target, archive_existing)

    def set_alias(self, name: str, alias: str, version: int) -> None:
        writer = self.writer("set an alias")
        validate_alias(alias)
        writer.set_alias(name, alias, int(version))

    def delete_alias(self, name: str, alias: str) -> None:
        self.writer("delete an alias").delete_alias(name, alias)
