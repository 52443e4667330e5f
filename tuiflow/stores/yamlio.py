"""Low-level readers for MLflow's file store: meta.yaml, raw value files, key trees.

Hot paths (10,000+ runs) live here, so they use `os` and `str` directly rather than
pathlib. `meta.yaml` files written by MLflow are flat `key: scalar` mappings; a small
exact parser handles that shape about ten times faster than libyaml, and anything it
is not sure about goes to `yaml.CSafeLoader` (MLflow's own loader) instead.
"""

from __future__ import annotations

import errno
import functools
import os
import re
import stat
import time
from collections.abc import Callable, Iterator
from typing import Any


@functools.cache
def pyyaml() -> Any:
    """PyYAML, imported on first use: about 15 ms that a warm search, whose every
    meta.yaml comes from the cache, never spends."""
    import yaml

    return yaml


@functools.cache
def safe_loader() -> type:
    yaml = pyyaml()
    # libyaml's loader is what MLflow itself uses when it is available.
    return getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@functools.cache
def _implicit() -> dict[str, list[tuple[str, re.Pattern[str]]]]:
    """PyYAML's own implicit resolvers (bool, int, float, null, timestamp, ...) by first
    character."""
    return pyyaml().resolver.Resolver.yaml_implicit_resolvers


# O_NONBLOCK: a FIFO left in a store must not hang a read (no effect on regular files).
_O_RDONLY = os.O_RDONLY | getattr(os, "O_BINARY", 0) | getattr(os, "O_NONBLOCK", 0)


class MetaError(Exception):
    """A meta.yaml that is missing, empty, unparsable or not a mapping."""


_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_INT = re.compile(r"(?:0|-?[1-9][0-9]*)\Z")
_STR = "tag:yaml.org,2002:str"
_FALLBACK = object()
# Anything YAML treats as a line break (\r, \x85, \u2028, \u2029), a tab, a BOM or a
# non-printable character goes to the real parser.
_UNUSUAL_ASCII = re.compile("[^\n\x20-\x7e]")


@functools.cache
def _unusual() -> re.Pattern[str]:
    # Compiling this class takes ~5 ms, so only text that is not ASCII pays for it.
    return re.compile(
        "[^\n\x20-\x7e\xa0-\u2027\u202a-\ud7ff\ue000-\ufefe\uff00-\ufffd\U00010000-\U0010ffff]"
    )


_INT_TAG = "tag:yaml.org,2002:int"
_NULL_TAG = "tag:yaml.org,2002:null"
_EMPTY_LIST = object()
_EMPTY_MAP = object()
# Lines such as `lifecycle_stage: active` or `status: 3` repeat in every run's meta.yaml;
# remembering how they parse skips most of the work on large stores.
_LINE_CACHE: dict[str, tuple[str, Any]] = {}
_LINE_CACHE_MAX = 4096


def _plain(value: str) -> Any:
    """Resolve one unquoted scalar as PyYAML would, or return _FALLBACK when unsure."""
    if value == "" or value == "~":
        return None
    if value == "[]":
        return _EMPTY_LIST
    if value == "{}":
        return _EMPTY_MAP
    first = value[0]
    if not (first.isalnum() or first in "/_.+"):
        return _FALLBACK  # indicators (' " [ { ! & * | > % @ ` # - ? : ...) need the parser
    if " #" in value or ": " in value or value[-1] == ":":
        return _FALLBACK
    resolvers = _implicit().get(first)
    if resolvers is None:
        return value
    for tag, regexp in resolvers:
        if regexp.match(value):
            if tag == _INT_TAG and _INT.match(value):
                return int(value)
            return None if tag == _NULL_TAG else _FALLBACK
    return value


def _parse_line(line: str) -> tuple[str, Any] | None:
    if line[0] in " -#" or "\t" in line:
        return None
    key, sep, rest = line.partition(": ")
    if not sep:
        if line[-1] != ":":
            return None
        key, rest = line[:-1], ""
    if not _KEY.match(key):
        return None
    rest = rest.strip(" ")
    if rest[:1] == "'":
        # Single-quoted: '' is the only escape; an unterminated quote spans lines.
        if len(rest) < 2 or rest[-1] != "'":
            return None
        inner = rest[1:-1]
        if "'" in inner.replace("''", ""):
            return None
        return key, inner.replace("''", "'")
    value = _plain(rest)
    return None if value is _FALLBACK else (key, value)


def parse_flat_yaml(text: str) -> dict[str, Any] | None:
    """Parse the flat mapping MLflow writes; None when the text needs a real YAML parser."""
    if (_UNUSUAL_ASCII if text.isascii() else _unusual()).search(text):
        return None
    out: dict[str, Any] = {}
    cache = _LINE_CACHE
    for line in text.split("\n"):
        if not line:
            continue
        parsed = cache.get(line)
        if parsed is None:
            parsed = _parse_line(line)
            if parsed is None:
                return None
            if len(line) < 64:
                if len(cache) >= _LINE_CACHE_MAX:
                    cache.clear()  # unique lines (run ids, times) fill it; common ones return
                cache[line] = parsed
        key, value = parsed
        if key in out:
            return None  # duplicate keys: let PyYAML decide
        if value is _EMPTY_LIST:
            value = []
        elif value is _EMPTY_MAP:
            value = {}
        out[key] = value
    return out


def load_yaml_text(text: str) -> Any:
    fast = parse_flat_yaml(text)
    if fast is not None:
        return fast
    return pyyaml().load(text, Loader=safe_loader())  # noqa: S506 - safe loaders only


def read_meta(directory: str, retries: int = 2) -> dict[str, Any]:
    """Read `<directory>/meta.yaml` as a mapping.

    Like MLflow, an empty file is re-read after a short pause because a writer may be
    between truncate and write; it is still an error if it stays empty.
    """
    path = directory + "/meta.yaml"
    for attempt in range(retries + 1):
        try:
            data = read_bytes(path)
        except FileNotFoundError:
            raise MetaError(f"{path}: missing") from None
        except IsADirectoryError:
            raise MetaError(f"{path}: is a directory") from None
        except OSError as exc:
            raise MetaError(f"{path}: {exc.strerror or exc}") from None
        if data.strip():
            break
        if attempt < retries:
            time.sleep(0.02 * (attempt + 1))
    else:
        raise MetaError(f"{path}: empty file")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise MetaError(f"{path}: not UTF-8") from None
    parsed = parse_flat_yaml(text)
    if parsed is None:
        parsed = _parse_or_raise(path, text)
    if not isinstance(parsed, dict):
        raise MetaError(f"{path}: expected a mapping, found {type(parsed).__name__}")
    return parsed


def _parse_or_raise(path: str, text: str) -> Any:
    yaml = pyyaml()
    try:
        return yaml.load(text, Loader=safe_loader())  # noqa: S506 - safe loaders only
    except yaml.YAMLError as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise MetaError(f"{path}: invalid YAML ({first})") from None


_CHUNK = 1 << 16


class TooLarge(Exception):
    """A file longer than the `limit` given to `read_bytes`."""


def read_bytes(path: str, limit: int | None = None) -> bytes:
    """A whole file, through bare `os` calls: about 3x cheaper than `open()` for the tiny
    files a store is made of (one per param, tag and metric).

    With `limit`, a file longer than that raises TooLarge instead of being held whole:
    a 100 MB metric file must be streamed (`iter_chunks`), not loaded.
    """
    fd = os.open(path, _O_RDONLY)
    try:
        return _read_fd(fd, path, limit)
    finally:
        os.close(fd)


def read_bytes_stat(path: str, limit: int | None = None) -> tuple[os.stat_result, bytes | None]:
    """`read_bytes` plus the file's stat, taken on the open file before reading (one path
    lookup, and the stat describes what was read or something older, never newer).
    A file longer than `limit` gives None instead of its bytes; a folder raises
    IsADirectoryError as reading it would."""
    fd = os.open(path, _O_RDONLY)
    try:
        st = os.fstat(fd)
        if stat.S_ISDIR(st.st_mode):
            raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR), path)
        if limit is not None and st.st_size > limit:
            return st, None
        try:
            return st, _read_fd(fd, path, limit)
        except TooLarge:  # grew past `limit` since the stat
            return st, None
    finally:
        os.close(fd)


def _read_fd(fd: int, path: str, limit: int | None) -> bytes:
    data = os.read(fd, _CHUNK)
    if len(data) < _CHUNK:  # a regular file returns short only at its end
        return data
    chunks = [data]
    total = len(data)
    while True:
        chunk = os.read(fd, 1 << 20)
        if not chunk:
            return b"".join(chunks)
        total += len(chunk)
        if limit is not None and total > limit:
            raise TooLarge(path)
        chunks.append(chunk)


def iter_chunks(path: str, size: int) -> Iterator[bytes]:
    """The file's bytes, `size` at a time (memory stays at one chunk however big it is)."""
    fd = os.open(path, _O_RDONLY)
    try:
        while True:
            chunk = os.read(fd, size)
            if not chunk:
                return
            yield chunk
    finally:
        os.close(fd)


def read_text(path: str) -> str:
    """Raw UTF-8 value file (param, tag, alias), without newline translation like MLflow."""
    return read_bytes(path).decode("utf-8")


@functools.lru_cache(maxsize=4096)  # asked for the same few keys once per run per search
def is_safe_key(key: str) -> bool:
    """True for keys MLflow could have written as a relative path (no traversal)."""
    if not key or key.startswith("/") or key.startswith(".."):
        return False
    return os.path.normpath(key) == key and key != "." and "\\" not in key and "\0" not in key


def read_tree(
    base: str, on_error: Callable[[str, OSError], None], max_bytes: int | None = None
) -> dict[str, bytes | None]:
    """Every file under `base`, keyed by its '/'-joined relative path, in `os.walk` order.

    With `max_bytes`, a longer file maps to None (its reader streams it by path); without
    it no value is None.

    MLflow builds its key lists with `os.walk`: files of a folder come before those of its
    subfolders, and a symlinked folder is not entered. Keeping that order keeps dict orders
    identical to MLflow's. Listing with `os.listdir` and finding folders by trying to read
    them saves a stat-like call per entry; folders are rare here.
    """
    out: dict[str, bytes | None] = {}
    stack: list[tuple[str, str]] = [(base, "")]
    while stack:
        path, prefix = stack.pop()
        try:
            names = os.listdir(path)
        except (FileNotFoundError, NotADirectoryError):
            continue
        except OSError as exc:
            on_error(path, exc)
            continue
        subdirs: list[tuple[str, str]] = []
        for name in names:
            full = path + "/" + name
            try:
                out[prefix + name] = read_bytes(full, max_bytes)
            except TooLarge:
                out[prefix + name] = None
            except IsADirectoryError:
                if not os.path.islink(full):
                    subdirs.append((full, prefix + name + "/"))
            except FileNotFoundError:
                continue  # deleted between listing and reading (delete_tag)
            except OSError as exc:
                on_error(full, exc)
        if subdirs:
            # os.walk visits subfolders in listing order; a stack pops the last first.
            subdirs.reverse()
            stack.extend(subdirs)
    return out
