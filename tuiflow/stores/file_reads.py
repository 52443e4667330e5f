"""The file store's per-run reads, direct or through the warm cache (`file_cache.py`).

`DirectReads` is the plain path (file_tracking's functions). `CachedReads` gives the same
answers from parsed values kept per file, each checked against the file's signature
before it is used; whatever it cannot vouch for (a miss, a changed file, a file that
produced a warning) it reads exactly as `DirectReads` does. Anything that warned is never
cached, so its warning is given again on the next read, as without a cache.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from typing import Any, Protocol

from tuiflow.entities import Experiment, Metric, Run, new_run
from tuiflow.stores import file_tracking as ft
from tuiflow.stores.file_cache import MISSING, FileCache, Sig, sig_of, stat_sig
from tuiflow.stores.file_metrics import WHOLE_FILE_MAX, latest_event, to_metric
from tuiflow.stores.yamlio import TooLarge, is_safe_key, read_bytes, read_bytes_stat

Warn = ft.Warn


class RunReads(Protocol):
    def experiment(self, d: ft.ExperimentDir, warn: Warn) -> Experiment | None: ...

    def run_info(self, run_path: str, name: str, experiment_id: str, warn: Warn) -> Run | None: ...

    def metrics(self, base: str, keys: Iterable[str] | None, warn: Warn) -> dict[str, Metric]: ...

    def values(self, base: str, keys: Iterable[str], warn: Warn) -> dict[str, str]: ...

    def value_tree(self, base: str, warn: Warn) -> dict[str, str]: ...

    def save(self) -> None: ...

    def record(self) -> None: ...

    def recorded(self) -> dict: ...

    def merge(self, entries: dict) -> None: ...


class DirectReads:
    """Every read goes to the files."""

    def experiment(self, d: ft.ExperimentDir, warn: Warn) -> Experiment | None:
        return ft.read_experiment(d, warn)

    def run_info(self, run_path: str, name: str, experiment_id: str, warn: Warn) -> Run | None:
        return ft.read_run_info(run_path, name, experiment_id, warn)

    def metrics(self, base: str, keys: Iterable[str] | None, warn: Warn) -> dict[str, Metric]:
        return ft.read_metrics(base, keys, warn)

    def values(self, base: str, keys: Iterable[str], warn: Warn) -> dict[str, str]:
        return ft.read_values(base, keys, warn)

    def value_tree(self, base: str, warn: Warn, write_once: bool = False) -> dict[str, str]:
        return ft.read_value_tree(base, warn)

    def save(self) -> None:
        """Nothing to keep."""

    def record(self) -> None:
        """Nothing is cached, so nothing to hand over."""

    def recorded(self) -> dict:
        return {}

    def merge(self, entries: dict) -> None:
        """Nothing is cached."""


class _Counting:
    """A warn callable that remembers whether it was called."""

    __slots__ = ("warn", "called")

    def __init__(self, warn: Warn) -> None:
        self.warn = warn
        self.called = False

    def __call__(self, message: str) -> None:
        self.called = True
        self.warn(message)


# A tree entry: (signatures of its sub-folders, ((key, file signature, value), ...)).
_Tree = tuple[tuple[tuple[str, Sig], ...], tuple[tuple[str, "Sig | None", Any], ...]]


class CachedReads:
    """The same reads, answered from `cache` whenever the files are unchanged."""

    def __init__(self, cache: FileCache) -> None:
        self.cache = cache

    def save(self) -> None:
        self.cache.save()

    def record(self) -> None:
        self.cache.record()

    def recorded(self) -> dict:
        return self.cache.recorded()

    def merge(self, entries: dict) -> None:
        self.cache.merge(entries)

    # -- meta.yaml -------------------------------------------------------------------------

    def experiment(self, d: ft.ExperimentDir, warn: Warn) -> Experiment | None:
        return ft.read_experiment(d, warn, self._experiment_meta, self.value_tree)

    def _experiment_meta(self, directory: str) -> dict[str, Any]:
        """The keys `read_experiment` uses from a meta.yaml (MetaError as read_meta).

        Cached too, so that a warm search parses no YAML at all (and never imports PyYAML).
        """
        path = directory + "/meta.yaml"
        value, sig = self.cache.lookup(path)
        if isinstance(value, tuple) and len(value) == len(ft.EXPERIMENT_META_KEYS):
            return dict(zip(ft.EXPERIMENT_META_KEYS, value, strict=True))
        # A miss, or an entry of another shape (never written so): read the file.
        meta = ft.read_meta(directory)
        fields = tuple(meta.get(k) for k in ft.EXPERIMENT_META_KEYS)
        # Only what marshal keeps exactly (a YAML timestamp would be a datetime).
        if all(v is None or type(v) in (str, int, float, bool) for v in fields):
            self.cache.store(path, sig, fields)
        return meta

    def run_info(self, run_path: str, name: str, experiment_id: str, warn: Warn) -> Run | None:
        path = run_path + "/meta.yaml"
        value, sig = self.cache.lookup(path)
        if value is not MISSING:
            return new_run(name, experiment_id, *value[:7], deleted_time=value[7])
        counting = _Counting(warn)
        fallback: list[bool] = []
        info = ft.read_run_info(run_path, name, experiment_id, counting, fallback)
        # A name taken from the mlflow.runName tag depends on another file: not cached.
        if info is not None and not counting.called and not fallback:
            self.cache.store(
                path,
                sig,
                (
                    info.run_name,
                    info.user_id,
                    info.status,
                    info.start_time,
                    info.end_time,
                    info.lifecycle_stage,
                    info.artifact_uri,
                    info.deleted_time,
                ),
            )
        return info

    # -- single files ----------------------------------------------------------------------

    def metrics(self, base: str, keys: Iterable[str] | None, warn: Warn) -> dict[str, Metric]:
        if keys is None:
            return self._metric_tree(base, warn)
        out: dict[str, Metric] = {}
        for key in keys:
            if not is_safe_key(key):
                continue
            path = base + "/" + key
            value, sig = self.cache.lookup(path)
            if value is MISSING:
                counting = _Counting(warn)
                metric = ft.latest_or_warn(path, key, counting)  # may raise Malformed…
                value = None if metric is None else _event(metric)
                if not counting.called:
                    self.cache.store(path, sig, value)
            if value is not None:
                out[key] = to_metric(key, value)
        return out

    def values(self, base: str, keys: Iterable[str], warn: Warn) -> dict[str, str]:
        out: dict[str, str] = {}
        for key in keys:
            if not is_safe_key(key):
                continue
            path = base + "/" + key
            value, sig = self.cache.lookup(path)
            if value is MISSING:
                if sig is None:
                    continue  # absent: as read_values, nothing to say
                counting = _Counting(warn)
                got = ft.read_values(base, (key,), counting)
                if key not in got:
                    continue
                value = got[key]
                if not counting.called:
                    self.cache.store(path, sig, value)
            out[key] = value
        return out

    # -- whole folders (every param, tag or metric of a run) -------------------------------

    def value_tree(self, base: str, warn: Warn, write_once: bool = False) -> dict[str, str]:
        """`write_once`: the folder's files are never rewritten (params: MLflow refuses to
        change a logged param), so the folder's own signature vouches for them. A file
        still being written when cached was racy and is re-checked."""
        return self._tree(base, warn, None, _decode, write_once)

    def _metric_tree(self, base: str, warn: Warn) -> dict[str, Metric]:
        raw = self._tree(base, warn, WHOLE_FILE_MAX, _latest)
        return {k: to_metric(k, v) for k, v in raw.items() if v is not None}

    def _tree(
        self, base: str, warn: Warn, max_bytes: int | None, parse: Any, write_once: bool = False
    ) -> dict[str, Any]:
        """{key: parse(key, path, bytes or None)} over `base` in read_tree's order."""
        cached, sig = self.cache.lookup(base)
        if sig is None:
            return {}  # no folder: nothing logged
        if cached is not MISSING and all(stat_sig(base + "/" + d) == s for d, s in cached[0]):
            fresh = self._revalidate(base, cached, warn, max_bytes, parse, write_once)
            if fresh is not None:
                return fresh
        counting = _Counting(warn)
        subdirs, files = _walk(base, counting, max_bytes, parse)
        if not counting.called:
            racy = self.cache.racy
            entry = (
                tuple(subdirs),
                tuple((k, None if racy(s) else s, v) for k, s, v in files),
            )
            self.cache.store(base, sig, entry)
        return {k: v for k, _, v in files}

    def _revalidate(
        self,
        base: str,
        cached: _Tree,
        warn: Warn,
        max_bytes: int | None,
        parse: Any,
        write_once: bool,
    ) -> dict[str, Any] | None:
        """The cached tree with changed files re-read; None when it must be walked again."""
        out: dict[str, Any] = {}
        changed = False
        files = list(cached[1])
        prefix = base + "/"
        for i, (key, sig, value) in enumerate(files):
            if write_once and sig is not None:
                out[key] = value
                continue
            path = prefix + key
            try:
                st = os.stat(path)  # stat_sig inline: once per file of every loaded run
            except (OSError, ValueError):
                return None  # gone without the folder changing: a fresh walk decides
            now = (st.st_mtime_ns, st.st_ctime_ns, st.st_size, st.st_ino)
            if now == sig:
                out[key] = value
                continue
            counting = _Counting(warn)
            value = _read_one(path, key, counting, max_bytes, parse)
            if value is MISSING:
                continue
            if counting.called:
                return None  # let the walk report it, uncached
            out[key] = value
            files[i] = (key, None if self.cache.racy(now) else now, value)
            changed = True
        if changed:
            self.cache.replace(base, (cached[0], tuple(files)))
        return out


def _event(metric: Metric) -> tuple[Any, ...]:
    return (metric.timestamp, metric.value, metric.step, metric.dataset_name,
            metric.dataset_digest)  # fmt: skip


def _decode(key: str, path: str, data: bytes | None, warn: Warn) -> Any:
    try:
        return data.decode("utf-8") if data is not None else MISSING
    except UnicodeDecodeError:
        warn(f"{path}: not UTF-8 text; skipped")
        return MISSING


def _latest(key: str, path: str, data: bytes | None, warn: Warn) -> Any:
    if data is None:  # too large to hold: streamed
        metric = ft.latest_or_warn(path, key, warn)
        return None if metric is None else _event(metric)
    return latest_event(data, key)


def _read_one(path: str, key: str, warn: Warn, max_bytes: int | None, parse: Any) -> Any:
    try:
        data: bytes | None = read_bytes(path, max_bytes)
    except TooLarge:
        data = None
    except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
        return MISSING
    except OSError as exc:
        warn(f"{path}: unreadable ({exc.strerror or exc}); skipped")
        return MISSING
    return parse(key, path, data, warn)


def _walk(
    base: str, warn: Warn, max_bytes: int | None, parse: Any
) -> tuple[list[tuple[str, Sig]], list[tuple[str, Sig, Any]]]:
    """yamlio.read_tree's walk and order, with each file's signature taken before it is
    read, and each sub-folder's signature (its listing is part of what is cached)."""
    files: list[tuple[str, Sig, Any]] = []
    subdir_sigs: list[tuple[str, Sig]] = []
    stack: list[tuple[str, str]] = [(base, "")]
    while stack:
        path, prefix = stack.pop()
        if prefix:
            sig = stat_sig(path)
            if sig is None:
                continue
            subdir_sigs.append((prefix.rstrip("/"), sig))
        try:
            names = os.listdir(path)
        except (FileNotFoundError, NotADirectoryError):
            continue
        except OSError as exc:
            warn(f"{path}: unreadable ({exc.strerror or exc}); skipped")
            continue
        subdirs: list[tuple[str, str]] = []
        for name in names:
            full = path + "/" + name
            key = prefix + name
            try:
                st, data = read_bytes_stat(full, max_bytes)
            except IsADirectoryError:
                if not os.path.islink(full):
                    subdirs.append((full, key + "/"))
                continue
            except (FileNotFoundError, NotADirectoryError):
                continue  # deleted between listing and reading (delete_tag)
            except OSError as exc:
                warn(f"{full}: unreadable ({exc.strerror or exc}); skipped")
                continue
            value = parse(key, full, data, warn)
            if value is MISSING:
                continue
            files.append((key, sig_of(st), value))
        if subdirs:
            subdirs.reverse()  # os.walk visits subfolders in listing order
            stack.extend(subdirs)
    return subdir_sigs, files
