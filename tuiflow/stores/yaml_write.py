"""Atomic writes for MLflow's file store: meta.yaml rewrites and small value files.

The YAML is dumped exactly as MLflow's `utils/yaml_utils.py` does (safe dumper, block
style, sorted keys, `allow_unicode`), so a file tuiflow rewrote is byte-identical to one
MLflow would have written from the same mapping. Unlike MLflow, the temp file lives in the
*same* directory (os.replace is only atomic within one file system) and is flushed to disk
before the rename: a reader, MLflow included, sees either the old file or the new one,
never a truncated one.

Optimistic concurrency: a writer passes the bytes it read; if the file changed since,
the write is refused. The check and the rename are two steps, so a writer racing in
between is not caught; that window is microseconds, against the seconds a person spends
between seeing a run and confirming an action.
"""

from __future__ import annotations

import os
import stat
from typing import Any

from tuiflow.errors import StoreError
from tuiflow.stores.yamlio import pyyaml, read_bytes, safe_loader

# Temp files start with a dot and end in ".tmp": no MLflow reader takes them for a run,
# an experiment, a tag or an alias (they are files, and never inside tags/ or aliases/).
TEMP_PREFIX = ".tuiflow-"
TEMP_SUFFIX = ".tmp"


def dump_yaml(data: dict[str, Any]) -> str:
    yaml = pyyaml()
    # The C dumper is what MLflow uses when libyaml is there; the output is the same.
    dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
    return yaml.dump(
        data, default_flow_style=False, allow_unicode=True, sort_keys=True, Dumper=dumper
    )


def snapshot(path: str) -> bytes:
    """The bytes a later `overwrite_yaml(..., expected=)` compares against."""
    try:
        return read_bytes(path)
    except FileNotFoundError:
        raise StoreError(f"{path}: missing", "someone removed it; refresh and retry") from None
    except OSError as exc:
        raise StoreError(f"{path}: cannot read ({exc.strerror or exc})") from None


def load_snapshot(path: str, data: bytes) -> dict[str, Any]:
    yaml = pyyaml()
    try:
        parsed = yaml.load(data.decode("utf-8"), Loader=safe_loader())  # noqa: S506
    except (UnicodeDecodeError, yaml.YAMLError):
        raise StoreError(f"{path}: not valid YAML", "tuiflow does not rewrite it") from None
    if not isinstance(parsed, dict):
        raise StoreError(f"{path}: not a mapping", "tuiflow does not rewrite it")
    return parsed


def overwrite_yaml(path: str, data: dict[str, Any], expected: bytes | None = None) -> None:
    """Replace `path` with `data` as YAML; refuse when it no longer holds `expected`."""
    write_atomic(path, dump_yaml(data).encode("utf-8"), expected=expected, must_exist=True)


def write_atomic(
    path: str,
    content: bytes,
    expected: bytes | None = None,
    must_exist: bool = False,
    temp_dir: str | None = None,
) -> None:
    """Write `content` to `path` through a temp file and os.replace.

    `temp_dir` must be on the same file system as `path`; it defaults to path's folder
    (value files pass their run folder, so a crash never leaves a stray file in tags/).
    The mode of an existing file is kept; a new file gets the mode MLflow's plain
    `open()` would give it (0o666 minus the umask).
    """
    try:
        mode: int | None = stat.S_IMODE(os.stat(path).st_mode)
    except FileNotFoundError:
        if must_exist:
            raise StoreError(f"{path}: missing", "someone removed it; refresh and retry") from None
        mode = None
    if expected is not None and snapshot(path) != expected:
        raise StoreError(
            f"{path} changed since tuiflow read it",
            "someone else wrote it; refresh and retry",
        )
    if mode is None:
        umask = os.umask(0)
        os.umask(umask)
        mode = 0o666 & ~umask
    import tempfile  # writes only: a read-only command never loads it

    fd, tmp = tempfile.mkstemp(
        prefix=TEMP_PREFIX, suffix=TEMP_SUFFIX, dir=temp_dir or os.path.dirname(path)
    )
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(content)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except OSError as exc:
        raise StoreError(f"{path}: cannot write ({exc.strerror or exc})") from None
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)
