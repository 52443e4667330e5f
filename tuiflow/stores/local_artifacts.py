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
from tuiflow.errors import InvalidArgumentError, NotFoundError, StoreError

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


def artifact_path(path: str) -> str:
    """`path` normalised to a '/'-separated file path inside the artifact root.

    InvalidArgumentError when it is empty or leaves the root (`../x`, `/etc/passwd`).
    """
    rel = _relative(path)
    if not rel:
        raise InvalidArgumentError("an artifact path naming a file is required")
    return rel.replace(os.sep, "/")


def read_local_artifact(artifact_uri: str, path: str, max_bytes: int) -> bytes:
    """The first `max_bytes` bytes of the file at `path` under the artifact root.

    Same escape protection as listing: `..` and symlinks leading out of the root are
    refused. A missing file is NotFoundError; a folder is InvalidArgumentError.
    """
    if max_bytes < 0:
        raise InvalidArgumentError(f"max_bytes must be >= 0, got {max_bytes}")
    rel = artifact_path(path)
    base = local_artifact_dir(artifact_uri)
    target = os.path.join(base, rel)
    real_base = os.path.realpath(base)
    real_target = os.path.realpath(target)
    if not real_target.startswith(real_base.rstrip(os.sep) + os.sep):
        raise InvalidArgumentError(f"artifact path {path!r} escapes the run's artifact root")
    if os.path.isdir(real_target):
        raise InvalidArgumentError(f"artifact {path!r} is a folder, not a file")
    # A FIFO or device would block or never end; only regular files are read.
    if os.path.exists(real_target) and not os.path.isfile(real_target):
        raise InvalidArgumentError(f"artifact {path!r} is not a regular file")
    try:
        with open(real_target, "rb") as fh:
            return fh.read(max_bytes)
    except FileNotFoundError:
        raise NotFoundError(f"no artifact {path!r} in the run's artifact root") from None
    except PermissionError as exc:
        raise StoreError(f"{target}: permission denied", "check the file's permissions") from exc
    except OSError as exc:
        raise StoreError(f"{target}: cannot read ({exc.strerror or exc})") from exc
