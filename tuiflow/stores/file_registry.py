"""Model registry of an MLflow file store (`store/model_registry/file_store.py`).

Layout: `<root>/models/<name>/{meta.yaml, tags/, aliases/, version-<N>/{meta.yaml, tags/}}`.
An alias is a file whose content is the version number. Deleted versions stay on disk
with stage `Deleted_Internal`; they are never returned.
"""

from __future__ import annotations

import os
from typing import Any

from tuiflow.entities import DELETED_STAGE, STAGES, ModelVersion, RegisteredModel
from tuiflow.stores.file_tracking import Warn, read_value_tree, scan_dirs
from tuiflow.stores.yamlio import MetaError, is_safe_key, read_meta, read_text

REGISTRY_FOLDER = "models"
VERSION_PREFIX = "version-"
PROMPT_TAG = "mlflow.prompt.is_prompt"


def _int_or_none(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value)
    return None


def _str_or_none(value: Any) -> str | None:
    return None if value is None else str(value)


def is_valid_model_name(name: str) -> bool:
    """Names MLflow's file registry accepts (and that cannot escape `models/`)."""
    return bool(name.strip()) and "/" not in name and ":" not in name and is_safe_key(name)


class RegistryReader:
    def __init__(self, root: str, warn: Warn) -> None:
        self.models_dir = os.path.join(root, REGISTRY_FOLDER)
        self._warn = warn

    def model_dirs(self) -> list[tuple[str, str]]:
        return scan_dirs(self.models_dir, self._warn)

    def model_path(self, name: str) -> str | None:
        if not is_valid_model_name(name):
            return None
        path = os.path.join(self.models_dir, name)
        return path if os.path.isfile(os.path.join(path, "meta.yaml")) else None

    def read_aliases(self, model_path: str) -> dict[str, str]:
        """alias -> version text, exactly as stored (MLflow compares the text)."""
        base = os.path.join(model_path, "aliases")
        out: dict[str, str] = {}
        for name, path in _files(base, self._warn):
            try:
                out[name] = read_text(path).strip()
            except (OSError, UnicodeDecodeError) as exc:
                self._warn(f"{base}/{name}: unreadable alias ({exc}); skipped")
        return out

    def read_version(
        self, version_path: str, aliases: dict[str, str], include_deleted: bool = False
    ) -> ModelVersion | None:
        try:
            meta = read_meta(version_path)
        except MetaError as exc:
            self._warn(f"malformed model version: {exc}; skipped")
            return None
        version = _int_or_none(meta.get("version"))
        if version is None or meta.get("name") is None:
            self._warn(f"{version_path}: meta.yaml lacks a name or an integer version; skipped")
            return None
        stage = str(meta.get("current_stage") or "None")
        if stage == DELETED_STAGE and not include_deleted:
            return None
        suffix = os.path.basename(version_path)[len(VERSION_PREFIX) :]
        return ModelVersion(
            name=str(meta["name"]),
            version=version,
            creation_timestamp=_int_or_none(meta.get("creation_timestamp")),
            last_updated_timestamp=_int_or_none(meta.get("last_updated_timestamp")),
            current_stage=stage,
            description=_str_or_none(meta.get("description")),
            source=_str_or_none(meta.get("source")),
            run_id=_str_or_none(meta.get("run_id")),
            status=str(meta.get("status") or "READY"),
            status_message=_str_or_none(meta.get("status_message")),
            run_link=_str_or_none(meta.get("run_link")),
            user_id=_str_or_none(meta.get("user_id")),
            storage_location=_str_or_none(meta.get("storage_location")),
            model_id=_str_or_none(meta.get("model_id")),
            tags=read_value_tree(os.path.join(version_path, "tags"), self._warn),
            aliases=tuple(a for a, v in aliases.items() if v == suffix),
        )

    def versions(self, model_path: str, aliases: dict[str, str] | None = None) -> list:
        """Every live version of one model, in listing order."""
        if aliases is None:
            aliases = self.read_aliases(model_path)
        out: list[ModelVersion] = []
        for name, path in scan_dirs(model_path, self._warn):
            if name.startswith(VERSION_PREFIX):
                mv = self.read_version(path, aliases)
                if mv is not None:
                    out.append(mv)
        return out

    def read_model(self, model_path: str) -> RegisteredModel | None:
        try:
            meta = read_meta(model_path)
        except MetaError as exc:
            self._warn(f"malformed registered model: {exc}; skipped")
            return None
        name = meta.get("name")
        if name is None:
            self._warn(f"{model_path}: meta.yaml has no name; skipped")
            return None
        aliases = self.read_aliases(model_path)
        alias_map: dict[str, int] = {}
        for alias, text in aliases.items():
            if text.isdigit():
                alias_map[alias] = int(text)
            else:
                self._warn(f"model '{name}': alias '{alias}' points at {text!r}; skipped")
        latest: dict[str, ModelVersion] = {}
        for mv in self.versions(model_path, aliases):
            if mv.current_stage in STAGES:
                best = latest.get(mv.current_stage)
                if best is None or best.version < mv.version:
                    latest[mv.current_stage] = mv
        return RegisteredModel(
            name=str(name),
            creation_timestamp=_int_or_none(meta.get("creation_timestamp")),
            last_updated_timestamp=_int_or_none(meta.get("last_updated_timestamp")),
            description=_str_or_none(meta.get("description")),
            tags=read_value_tree(os.path.join(model_path, "tags"), self._warn),
            aliases=alias_map,
            # MLflow iterates a set of stages here (no stable order); use the stage order.
            latest_versions=tuple(latest[s] for s in STAGES if s in latest),
        )

    def all_models(self) -> list[RegisteredModel]:
        out: list[RegisteredModel] = []
        for _, path in self.model_dirs():
            rm = self.read_model(path)
            if rm is not None:
                out.append(rm)
        return out

    def all_versions(self) -> list[ModelVersion]:
        out: list[ModelVersion] = []
        for _, path in self.model_dirs():
            out.extend(self.versions(path))
        return out


def _files(base: str, warn: Warn) -> list[tuple[str, str]]:
    try:
        with os.scandir(base) as it:
            return [(e.name, e.path) for e in it if e.is_file()]
    except FileNotFoundError:
        return []
    except OSError as exc:
        warn(f"{base}: cannot list ({exc.strerror or exc}); skipped")
        return []


def hides_prompts(filter_text: str | None) -> bool:
    """MLflow adds `tag.mlflow.prompt.is_prompt != 'true'` unless the filter names the tag."""
    return PROMPT_TAG not in (filter_text or "")


def is_prompt(tags: dict[str, str] | Any) -> bool:
    return tags.get(PROMPT_TAG) == "true"
