"""Read an `MLmodel` file (MLflow's model metadata, YAML) into labelled sections.

Pure. Field names follow `mlflow/models/model.py` (`Model.to_dict`); the signature's
inputs/outputs/params are JSON strings inside the YAML (`mlflow/models/signature.py`).
"""

from __future__ import annotations

import json
from typing import Any

Rows = tuple[tuple[str, str], ...]

_MODEL_FIELDS = (
    ("Run ID", "run_id"),
    ("Model ID", "model_id"),
    ("Model UUID", "model_uuid"),
    ("Artifact path", "artifact_path"),
    ("Created (UTC)", "utc_time_created"),
    ("MLflow version", "mlflow_version"),
    ("Databricks runtime", "databricks_runtime"),
)


def mlmodel_sections(text: str) -> tuple[tuple[tuple[str, Rows], ...], str | None]:
    """(sections, None), or ((), reason) when `text` is not an MLmodel document."""
    import yaml

    try:
        doc = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        return (), f"invalid YAML: {str(exc).splitlines()[0]}"
    if not isinstance(doc, dict) or not isinstance(doc.get("flavors"), dict):
        return (), "no flavors"
    model: list[tuple[str, str]] = [
        (label, _scalar(doc[key])) for label, key in _MODEL_FIELDS if doc.get(key) is not None
    ]
    size = doc.get("model_size_bytes")
    if isinstance(size, int) and not isinstance(size, bool):
        model.append(("Model size", _size(size)))
    sections: list[tuple[str, Rows]] = [("Model", tuple(model))]
    sections.append(("Flavors", tuple(_flavor(n, f) for n, f in doc["flavors"].items())))
    signature = doc.get("signature")
    if isinstance(signature, dict):
        for part, title in (("inputs", "Inputs"), ("outputs", "Outputs"), ("params", "Params")):
            rows = _schema(signature.get(part), params=part == "params")
            if rows:
                sections.append((f"Signature {title.lower()}", rows))
    else:
        sections.append(("Signature", (("", "none recorded"),)))
    example = doc.get("saved_input_example_info")
    if isinstance(example, dict) and example.get("artifact_path"):
        kind = example.get("type")
        text_ = _scalar(example["artifact_path"]) + (f" ({_scalar(kind)})" if kind else "")
        sections.append(("Input example", (("File", text_),)))
    return tuple(sections), None


def _flavor(name: Any, conf: Any) -> tuple[str, str]:
    if not isinstance(conf, dict):
        return _scalar(name), _scalar(conf)
    parts = [
        f"{k}={_scalar(v)}"
        for k, v in conf.items()
        if v is not None and not isinstance(v, dict | list)
    ]
    return _scalar(name), " · ".join(parts)


def _schema(raw: Any, *, params: bool) -> Rows:
    if raw is None:
        return ()
    try:
        items = json.loads(raw) if isinstance(raw, str) else raw
    except ValueError:
        return (("(unreadable)", _scalar(raw)),)
    if not isinstance(items, list):
        return (("(unreadable)", _scalar(raw)),)
    rows = []
    for i, item in enumerate(items):
        if not isinstance(item, dict):
            rows.append((f"#{i}", _scalar(item)))
            continue
        name = _scalar(item.get("name")) if item.get("name") is not None else f"#{i}"
        rows.append((name, _spec(item, params)))
    return tuple(rows)


def _spec(item: dict[str, Any], params: bool) -> str:
    kind = item.get("type")
    if kind == "tensor" and isinstance(item.get("tensor-spec"), dict):
        spec = item["tensor-spec"]
        text = f"tensor {_scalar(spec.get('dtype'))} {_scalar(spec.get('shape'))}"
    elif kind in ("array", "object", "map"):
        text = (
            _scalar(kind)
            + " "
            + json.dumps(
                {k: v for k, v in item.items() if k not in ("name", "type", "required")},
                ensure_ascii=False,
            )
        )
    else:
        text = _scalar(kind)
    if params:
        if item.get("shape") is not None:
            text += f" shape {_scalar(item['shape'])}"
        if "default" in item:
            text += f" default {json.dumps(item['default'], ensure_ascii=False)}"
    elif item.get("required") is False:
        text += " (optional)"
    return text


def _scalar(value: Any) -> str:
    if isinstance(value, list):
        return "[" + ", ".join(_scalar(v) for v in value) + "]"
    return "" if value is None else str(value)


def _size(n: int) -> str:
    for unit in ("B", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return f"{n} B" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024  # type: ignore[assignment]
    return f"{n} B"
