"""The write side of the REST store: `WritableStore` over a tracking server's endpoints.

The server applies MLflow's semantics itself (deleted_time, stage archiving, alias
upserts …), so each method is one request shaped like MlflowClient's (../shared/
mlflow-formats.md §5.2). Writes go through `RestClient.write`, which never retries: a
write that timed out may have landed. The server's error message is what the user sees.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from tuiflow.entities import ModelVersion
from tuiflow.errors import InvalidArgumentError, StoreError
from tuiflow.stores import rest_convert as convert
from tuiflow.stores.rest_client import WRITE_ARGUMENT_CODES, RestClient
from tuiflow.stores.writes import PurgeReport

# Stages whose existing versions `archive_existing_versions` may archive (MLflow's
# ACTIVE_STAGES); for any other target the server answers INTERNAL_ERROR (HTTP 500) with
# a message about the request, which is an argument error, not a failing server.
_ARCHIVING_STAGES = frozenset({"staging", "production"})
PURGE_HINT = (
    "run `mlflow gc --backend-store-uri <the server's backend store URI>` on the server's host"
)


class RestWrites:
    """Mixed into `RestStore`, which provides `_client`."""

    _client: RestClient

    # -- runs --------------------------------------------------------------------------------

    def delete_runs(self, run_ids: Sequence[str]) -> None:
        _each(run_ids, "deleted", lambda rid: self._post("/mlflow/runs/delete", run_id=rid))

    def restore_runs(self, run_ids: Sequence[str]) -> None:
        _each(run_ids, "restored", lambda rid: self._post("/mlflow/runs/restore", run_id=rid))

    def set_run_status(self, run_id: str, status: str, end_time: int | None) -> None:
        # An unset end_time is left out, so the server keeps the run's current one.
        self._post("/mlflow/runs/update", run_id=run_id, status=status, end_time=end_time)

    def rename_run(self, run_id: str, name: str) -> None:
        # The server ignores an empty run_name and answers 200; say so instead.
        if not name:
            raise InvalidArgumentError("a run name must not be empty")
        # The server updates run_name and the mlflow.runName tag together.
        self._post("/mlflow/runs/update", run_id=run_id, run_name=name)

    def set_tag(self, run_id: str, key: str, value: str) -> None:
        self._post("/mlflow/runs/set-tag", run_id=run_id, key=key, value=value)

    def delete_tag(self, run_id: str, key: str) -> None:
        self._post("/mlflow/runs/delete-tag", run_id=run_id, key=key)

    # -- experiments -------------------------------------------------------------------------

    def delete_experiment(self, experiment_id: str) -> None:
        self._post("/mlflow/experiments/delete", experiment_id=str(experiment_id))

    def restore_experiment(self, experiment_id: str) -> None:
        self._post("/mlflow/experiments/restore", experiment_id=str(experiment_id))

    def rename_experiment(self, experiment_id: str, name: str) -> None:
        # As with runs, the server treats an empty new_name as "nothing to do".
        if not name:
            raise InvalidArgumentError("an experiment name must not be empty")
        self._post("/mlflow/experiments/update", experiment_id=str(experiment_id), new_name=name)

    # -- permanent removal -------------------------------------------------------------------

    def purge(
        self,
        older_than_ms: int | None = None,
        run_ids: Sequence[str] | None = None,
        experiment_ids: Sequence[str] | None = None,
    ) -> PurgeReport:
        """The REST API has no gc endpoint; `capabilities.purge` is False for this store."""
        raise StoreError(
            f"{self._client.display_url}: a tracking server cannot purge over its REST API",
            PURGE_HINT,
        )

    # -- model registry ----------------------------------------------------------------------

    def transition_stage(
        self, name: str, version: int, stage: str, archive_existing: bool = False
    ) -> ModelVersion:
        codes = WRITE_ARGUMENT_CODES
        if archive_existing and stage.lower() not in _ARCHIVING_STAGES:
            codes = codes | {"INTERNAL_ERROR"}
        body = {
            "name": name,
            "version": str(version),
            "stage": stage,
            "archive_existing_versions": bool(archive_existing),
        }
        data = self._client.write(
            "POST", "/mlflow/model-versions/transition-stage", body, argument_codes=codes
        )
        return convert.model_version(data["model_version"])

    def set_alias(self, name: str, alias: str, version: int) -> None:
        self._post("/mlflow/registered-models/alias", name=name, alias=alias, version=str(version))

    def delete_alias(self, name: str, alias: str) -> None:
        # A JSON body even for DELETE: MLflow's handler ignores the query string there.
        body = {"name": name, "alias": alias}
        self._client.write("DELETE", "/mlflow/registered-models/alias", body)

    # -- helpers -----------------------------------------------------------------------------

    def _post(self, endpoint: str, **fields: Any) -> dict[str, Any]:
        body = {k: v for k, v in fields.items() if v is not None}
        return self._client.write("POST", endpoint, body)


def _each(ids: Sequence[str], done: str, act: Callable[[str], object]) -> None:
    """One request per id (the API has no batch call). On a failure, the error says how
    many were already done, since those are not rolled back."""
    ids = list(dict.fromkeys(ids))  # a repeated id would just be done twice
    for index, item in enumerate(ids):
        try:
            act(item)
        except StoreError as exc:
            if index == 0:
                raise
            raise type(exc)(_progress(exc.message, item, index, len(ids), done), exc.hint) from None
        except InvalidArgumentError as exc:
            if index == 0:
                raise
            raise InvalidArgumentError(_progress(str(exc), item, index, len(ids), done)) from None


def _progress(message: str, item: str, index: int, total: int, done: str) -> str:
    return f"{item}: {message} ({index} of {total} already {done})"
