"""The write side of a store: what `tuiflow.actions` asks a backend to do.

Each backend implements these with MLflow's exact semantics for that backend
(../shared/mlflow-formats.md §1.11, §2, §3, §4): the file store with atomic YAML rewrites and
directory moves, the SQL store in one transaction per call, the REST store through the
server's endpoints. Validation that does not depend on the backend (stage names, reserved
alias names, read-only mode, confirmation) lives in `tuiflow/actions.py`, not here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

from tuiflow.entities import ModelVersion


@dataclass(frozen=True, slots=True)
class PurgeReport:
    """What a purge removed for good (ids), and what it could not (id -> reason)."""

    runs: tuple[str, ...] = ()
    experiments: tuple[str, ...] = ()
    artifact_dirs: tuple[str, ...] = ()
    skipped: dict[str, str] = field(default_factory=dict)


@runtime_checkable
class WritableStore(Protocol):
    """Implemented by stores whose `capabilities.writable` is True."""

    # -- runs --------------------------------------------------------------------------------
    def delete_runs(self, run_ids: Sequence[str]) -> None:
        """Soft delete: lifecycle_stage=deleted, deleted_time=now (again if already deleted)."""
        ...

    def restore_runs(self, run_ids: Sequence[str]) -> None:
        """lifecycle_stage=active, deleted_time cleared."""
        ...

    def set_run_status(self, run_id: str, status: str, end_time: int | None) -> None:
        """MLflow's update_run / set_terminated: status name and end time (stuck runs)."""
        ...

    def rename_run(self, run_id: str, name: str) -> None:
        """run_name and tag mlflow.runName together, as MLflow does."""
        ...

    def set_tag(self, run_id: str, key: str, value: str) -> None: ...

    def delete_tag(self, run_id: str, key: str) -> None: ...

    # -- experiments -------------------------------------------------------------------------
    def delete_experiment(self, experiment_id: str) -> None:
        """Active runs deleted with it; the file store moves the directory to .trash."""
        ...

    def restore_experiment(self, experiment_id: str) -> None:
        """Every deleted run of the experiment becomes active again (MLflow's semantics)."""
        ...

    def rename_experiment(self, experiment_id: str, name: str) -> None: ...

    # -- permanent removal (mlflow gc) -------------------------------------------------------
    def purge(
        self,
        older_than_ms: int | None = None,
        run_ids: Sequence[str] | None = None,
        experiment_ids: Sequence[str] | None = None,
    ) -> PurgeReport:
        """What `mlflow gc` does: only already-deleted runs/experiments, older than the
        given age (by deleted_time / last_update_time), local artifacts removed with them."""
        ...

    # -- model registry ----------------------------------------------------------------------
    def transition_stage(
        self, name: str, version: int, stage: str, archive_existing: bool = False
    ) -> ModelVersion:
        """`stage` is already canonical (None/Staging/Production/Archived)."""
        ...

    def set_alias(self, name: str, alias: str, version: int) -> None: ...

    def delete_alias(self, name: str, alias: str) -> None: ...
