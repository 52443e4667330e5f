"""MLflow REST JSON (proto3 -> JSON) to tuiflow entities.

Proto JSON omits unset fields, spells enums by name, writes int64 as JSON numbers,
non-finite doubles as the strings "NaN"/"Infinity"/"-Infinity", and model-version
numbers as strings. Each function takes one JSON object as the server sent it.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from tuiflow.entities import (
    ACTIVE,
    RUN_NAME_TAG,
    RUN_STATUS_FROM_INT,
    Dataset,
    DatasetInput,
    Experiment,
    FileInfo,
    Metric,
    ModelVersion,
    RegisteredModel,
    Run,
    new_metric,
    new_run,
)

_NON_FINITE = {"NaN": float("nan"), "Infinity": float("inf"), "-Infinity": float("-inf")}

Json = dict[str, Any]


def to_float(value: Any) -> float:
    if isinstance(value, str) and value in _NON_FINITE:
        return _NON_FINITE[value]
    return float(value)


def _int(value: Any) -> int | None:
    return None if value is None else int(value)


def _tags(items: Iterable[Json] | None) -> dict[str, str]:
    return {t["key"]: t.get("value", "") for t in items or ()}


def experiment(data: Json) -> Experiment:
    return Experiment(
        experiment_id=str(data["experiment_id"]),
        name=data.get("name", ""),
        artifact_location=data.get("artifact_location"),
        lifecycle_stage=data.get("lifecycle_stage", ACTIVE),
        creation_time=_int(data.get("creation_time")),
        last_update_time=_int(data.get("last_update_time")),
        tags=_tags(data.get("tags")),
    )


def metric(data: Json) -> Metric:
    return new_metric(
        key=data["key"],
        value=to_float(data.get("value", 0.0)),
        timestamp=int(data.get("timestamp", 0)),
        step=int(data.get("step", 0)),
        dataset_name=data.get("dataset_name"),
        dataset_digest=data.get("dataset_digest"),
    )


def _status(value: Any) -> str:
    if isinstance(value, int):
        return RUN_STATUS_FROM_INT.get(value, str(value))
    return str(value) if value else "RUNNING"


def _dataset_input(data: Json) -> DatasetInput:
    ds = data.get("dataset") or {}
    return DatasetInput(
        dataset=Dataset(
            name=ds.get("name", ""),
            digest=ds.get("digest", ""),
            source_type=ds.get("source_type"),
            source=ds.get("source"),
            schema=ds.get("schema"),
            profile=ds.get("profile"),
        ),
        tags=_tags(data.get("tags")),
    )


def run(data: Json) -> Run:
    info = data.get("info") or {}
    body = data.get("data") or {}
    tags = _tags(body.get("tags"))
    inputs = data.get("inputs") or {}
    return new_run(
        run_id=info.get("run_id") or info["run_uuid"],
        experiment_id=str(info.get("experiment_id", "")),
        run_name=info.get("run_name") or tags.get(RUN_NAME_TAG, ""),
        user_id=info.get("user_id", ""),
        status=_status(info.get("status")),
        start_time=_int(info.get("start_time")),
        end_time=_int(info.get("end_time")),
        lifecycle_stage=info.get("lifecycle_stage", ACTIVE),
        artifact_uri=info.get("artifact_uri"),
        metrics={m["key"]: metric(m) for m in body.get("metrics") or ()},
        params={p["key"]: p.get("value", "") for p in body.get("params") or ()},
        tags=tags,
        inputs=tuple(_dataset_input(d) for d in inputs.get("dataset_inputs") or ()),
    )


def file_info(data: Json) -> FileInfo:
    is_dir = bool(data.get("is_dir", False))
    size = data.get("file_size")
    return FileInfo(path=data["path"], is_dir=is_dir, file_size=None if is_dir else _int(size))


def model_version(data: Json) -> ModelVersion:
    return ModelVersion(
        name=data["name"],
        version=int(data["version"]),
        creation_timestamp=_int(data.get("creation_timestamp")),
        last_updated_timestamp=_int(data.get("last_updated_timestamp")),
        current_stage=data.get("current_stage") or "None",
        description=data.get("description"),
        source=data.get("source"),
        run_id=data.get("run_id") or None,
        status=data.get("status") or "READY",
        status_message=data.get("status_message"),
        run_link=data.get("run_link") or None,
        user_id=data.get("user_id"),
        storage_location=data.get("storage_location"),
        model_id=data.get("model_id"),
        tags=_tags(data.get("tags")),
        aliases=tuple(data.get("aliases") or ()),
    )


def registered_model(data: Json) -> RegisteredModel:
    return RegisteredModel(
        name=data["name"],
        creation_timestamp=_int(data.get("creation_timestamp")),
        last_updated_timestamp=_int(data.get("last_updated_timestamp")),
        description=data.get("description"),
        tags=_tags(data.get("tags")),
        aliases={a["alias"]: int(a["version"]) for a in data.get("aliases") or ()},
        latest_versions=tuple(model_version(v) for v in data.get("latest_versions") or ()),
    )
