"""List a run's artifacts when its artifact root is on this machine.

Mirrors MLflow's `LocalArtifactRepository.list_artifacts`: one level at a time, entries
sorted by path, directories without a size, MLflow's in-flight upload files hidden, and
a listed folder must stay inside the artifact root after symlinks are resolved. Remote
roots (s3://, gs://, mlflow-artifacts:// …) are not read by tuiflow.
"""

from __future__ import annotations

import os
from urllib.parse import unquote, urlsplit

from tuiflow.entities import FileInfo
from tuiflow.errors import InvalidArgumentError, StoreError

_UPLOADING_PREFIX = ".artifact.uploading."


def local_artifact_dir(artifact_uri: str) -> str:
    """The local folder behind `artifact_uri`, or StoreError when it is not local."""
    parts = urlsplit(artifact_uri)
    scheme = parts.scheme.lower()
    if scheme == "file":
        if parts.netloc not in ("", "localhost"):
            raise StoreError(
                f"artifact root {artifact_uri} is on another host",
                "tuiflow lists artifacts only on local paths",
            )
        return unquote(parts.path)
    # A bare path, or a Windows drive letter that urlsplit takes for a scheme.
    if not scheme or (len(scheme) == 1 and artifact_uri[1:3] in (":\\", ":/")):
        return artifact_uri
    raise StoreError(
        f"cannot list artifacts at {artifact_uri}",
        f"'{scheme}://' artifact stores are not read by tuiflow; "
        "use `mlflow artifacts list` or the store's own tools",
    )


def _relative(path: str | None) -> str:
    if not path:
        return ""
    if "\0" in path:
        raise InvalidArgumentError(f"invalid artifact path {path!r}")
    norm = os.path.normpath(path.replace("\\", "/"))
    if norm == ".":
        return ""
    if os.path.isabs(norm) or norm == ".." or norm.startswith("../"):
        raise InvalidArgumentError(f"artifact path {path!r} escapes the run's artifact root")
    return norm


def list_local_artifacts(artifact_uri: str, path: str | None = None) -> list[FileInfo]:
    """Entries directly under `path` (relative to the artifact root), sorted by path.

    A missing root or folder, or a path naming a file, lists nothing, as in MLflow.
    """
    base = local_artifact_dir(artifact_uri)
    rel = _relative(path)
    target = os.path.join(base, rel) if rel else base
    real_base = os.path.realpath(base)
    real_target = os.path.realpath(target)
    if real_target != real_base and not real_target.startswith(real_base.rstrip(os.sep) + os.sep):
        raise InvalidArgumentError(f"artifact path {path!r} escapes the run's artifact root")
    if not os.path.isdir(target):
        return []
    try:
        with os.scandir(target) as it:
            entries = list(it)
    except PermissionError as exc:
        raise StoreError(f"{target}: permission denied", "check the folder's permissions") from exc
    except OSError as exc:
        raise StoreError(f"{target}: cannot list ({exc.strerror or exc})") from exc
    infos: list[FileInfo] = []
    prefix = rel + "/" if rel else ""
    for entry in entries:
        if entry.name.startswith(_UPLOADING_PREFIX):
            continue
        try:
            is_dir = entry.is_dir()
            size = None if is_dir else entry.stat().st_size
        except OSError:
            is_dir, size = False, None  # dangling symlink: show it, without a size
        infos.append(FileInfo(prefix + entry.name, is_dir, size))
    infos.sort(key=lambda f: f.path)
    return infos
