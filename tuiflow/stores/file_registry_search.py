"""Model registry reads of an MLflow file store (`store/model_registry/file_store.py`):
searches and look-ups, the read half of `FileStore`'s registry, over file_registry.py's
`RegistryReader`."""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence

from tuiflow.entities import ModelVersion, Page, RegisteredModel
from tuiflow.errors import NotFoundError, QueryError
from tuiflow.query import evaluate, parser
from tuiflow.stores.base import (
    SEARCH_MODEL_VERSION_MAX_RESULTS_DEFAULT,
    SEARCH_MODEL_VERSION_MAX_RESULTS_THRESHOLD,
    SEARCH_REGISTERED_MODEL_MAX_RESULTS_DEFAULT,
    SEARCH_REGISTERED_MODEL_MAX_RESULTS_THRESHOLD,
    check_max_results,
    paginate,
)
from tuiflow.stores.file_registry import RegistryReader, hides_prompts, is_prompt


class FileRegistrySearch:
    """`FileStore`'s registry reads; they use its `RegistryReader` and its root check."""

    _registry: RegistryReader
    _check_root: Callable[[], None]  # FileStore's: the store is still there

    def search_registered_models(
        self,
        filter: str | None = None,
        order_by: Sequence[str] = (),
        max_results: int = SEARCH_REGISTERED_MODEL_MAX_RESULTS_DEFAULT,
        page_token: str | None = None,
    ) -> Page[RegisteredModel]:
        check_max_results(max_results, SEARCH_REGISTERED_MODEL_MAX_RESULTS_THRESHOLD)
        node = parser.parse_registered_model_filter(filter)
        keys = parser.parse_registered_model_order_by(list(order_by or ()))
        for key in keys:
            # The parser takes the SQL store's `timestamp` too; MLflow's file store does not.
            if key.ident.text.strip("`\"'") == "timestamp":
                raise QueryError(
                    "Invalid attribute key 'timestamp' specified. Valid keys are "
                    "'{'last_updated_timestamp', 'creation_timestamp', 'name'}'",
                    key.ident.offset,
                )
        self._check_root()
        models = self._registry.all_models()
        if hides_prompts(filter):
            models = [m for m in models if not is_prompt(m.tags)]
        matches = evaluate.registered_model_matches(node)
        chosen = evaluate.sort_registered_models([m for m in models if matches(m)], keys)
        return paginate(chosen, max_results, page_token)

    def get_registered_model(self, name: str) -> RegisteredModel:
        path = self._registry.model_path(str(name))
        model = self._registry.read_model(path) if path else None
        if model is None:
            raise NotFoundError(f"Registered Model with name={name} not found")
        return model

    def search_model_versions(
        self,
        filter: str | None = None,
        order_by: Sequence[str] = (),
        max_results: int = SEARCH_MODEL_VERSION_MAX_RESULTS_DEFAULT,
        page_token: str | None = None,
    ) -> Page[ModelVersion]:
        check_max_results(max_results, SEARCH_MODEL_VERSION_MAX_RESULTS_THRESHOLD)
        node = parser.parse_model_version_filter(filter)
        keys = parser.parse_model_version_order_by(list(order_by or ()))
        self._check_root()
        versions = self._registry.all_versions()
        if hides_prompts(filter):
            versions = [v for v in versions if not is_prompt(v.tags)]
        matches = evaluate.model_version_matches(node)
        chosen = evaluate.sort_model_versions([v for v in versions if matches(v)], keys)
        return paginate(chosen, max_results, page_token)

    def get_model_version(self, name: str, version: int | str) -> ModelVersion:
        text = str(version).strip()
        path = self._registry.model_path(str(name))
        if path is None:
            raise NotFoundError(f"Registered Model with name={name} not found")
        if text.isdigit():
            version_path = os.path.join(path, f"version-{int(text)}")
            if os.path.isdir(version_path):
                mv = self._registry.read_version(version_path, self._registry.read_aliases(path))
                if mv is not None:
                    return mv
        raise NotFoundError(f"Model Version (name={name}, version={version}) not found")
