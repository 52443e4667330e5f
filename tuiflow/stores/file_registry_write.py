"""Write side of the file registry (`store/model_registry/file_store.py`).

Stage transitions archive the other versions first, then move the target, then bump the
registered model, all with one timestamp (MLflow's order and values). Alias changes bump
the model's `last_updated_timestamp` (the file store does; SQL does not). The model's
meta.yaml carries a stale `aliases` map that MLflow refreshes on every rewrite; so does
tuiflow. Alias files are written through a temp file in the model folder, so an
interrupted write never leaves a half-written or stray alias.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Callable
from typing import Any

from tuiflow.entities import DELETED_STAGE, ModelVersion
from tuiflow.errors import InvalidArgumentError, NotFoundError
from tuiflow.stores.file_registry import VERSION_PREFIX, RegistryReader
from tuiflow.stores.yaml_write import load_snapshot, overwrite_yaml, snapshot, write_atomic

ACTIVE_STAGES = ("Staging", "Production")
_ALIAS_RE = re.compile(r"[\w\-]{1,255}\Z")


class FileRegistryWrites:
    _registry: RegistryReader
    get_model_version: Callable[[str, int | str], ModelVersion]  # FileStore's reader

    def _model_path(self, name: str) -> str:
        path = self._registry.model_path(str(name))
        if path is None:
            raise NotFoundError(f"Registered Model with name={name} not found")
        return path

    def _live_version_meta(self, name: str, version: int) -> tuple[str, bytes, dict[str, Any]]:
        model_path = self._model_path(name)
        path = os.path.join(model_path, f"{VERSION_PREFIX}{int(version)}", "meta.yaml")
        if os.path.isfile(path):
            raw = snapshot(path)
            meta = load_snapshot(path, raw)
            if meta.get("current_stage") != DELETED_STAGE:
                return path, raw, meta
        raise NotFoundError(f"Model Version (name={name}, version={version}) not found")

    @staticmethod
    def _write_version(path: str, raw: bytes, meta: dict[str, Any], **changes: Any) -> None:
        new = dict(meta)
        new.pop("aliases", None)  # 2.x wrote `aliases: []`; 3.x derives them from aliases/
        new.update(changes)
        overwrite_yaml(path, new, expected=raw)

    def _bump_model(self, name: str, when: int) -> None:
        model_path = self._model_path(name)
        path = os.path.join(model_path, "meta.yaml")
        raw = snapshot(path)
        new = dict(load_snapshot(path, raw))
        new["aliases"] = dict(self._registry.read_aliases(model_path))
        new["last_updated_timestamp"] = when
        overwrite_yaml(path, new, expected=raw)

    def transition_stage(
        self, name: str, version: int, stage: str, archive_existing: bool = False
    ) -> ModelVersion:
        if archive_existing and stage not in ACTIVE_STAGES:
            raise InvalidArgumentError(
                "Model version transition cannot archive existing model versions because "
                f"'{stage}' is not an Active stage. Valid stages are {list(ACTIVE_STAGES)}"
            )
        version = int(version)
        target = self._live_version_meta(name, version)
        when = int(time.time() * 1000)
        if archive_existing:
            model_path = self._model_path(name)
            for entry in sorted(os.listdir(model_path)):
                meta_path = os.path.join(model_path, entry, "meta.yaml")
                if not entry.startswith(VERSION_PREFIX) or not os.path.isfile(meta_path):
                    continue
                raw = snapshot(meta_path)
                meta = load_snapshot(meta_path, raw)
                if meta.get("version") != version and meta.get("current_stage") == stage:
                    self._write_version(
                        meta_path, raw, meta, current_stage="Archived", last_updated_timestamp=when
                    )
        self._write_version(*target, current_stage=stage, last_updated_timestamp=when)
        self._bump_model(name, when)
        return self.get_model_version(name, version)

    def _alias_path(self, name: str, alias: str) -> tuple[str, str]:
        if not isinstance(alias, str) or not _ALIAS_RE.match(alias):
            raise InvalidArgumentError(
                f"Invalid alias name: '{alias}'. Names may only contain alphanumerics, "
                "underscores (_), and dashes (-), and be at most 255 characters"
            )
        model_path = self._model_path(name)
        return model_path, os.path.join(model_path, "aliases", alias)

    def set_alias(self, name: str, alias: str, version: int) -> None:
        model_path, alias_path = self._alias_path(name, alias)
        self._live_version_meta(name, int(version))
        os.makedirs(os.path.dirname(alias_path), exist_ok=True)
        write_atomic(alias_path, str(int(version)).encode("utf-8"), temp_dir=model_path)
        self._bump_model(name, int(time.time() * 1000))

    def delete_alias(self, name: str, alias: str) -> None:
        _, alias_path = self._alias_path(name, alias)
        if os.path.isfile(alias_path):  # a missing alias is a no-op, as in MLflow
            os.remove(alias_path)
            self._bump_model(name, int(time.time() * 1000))
