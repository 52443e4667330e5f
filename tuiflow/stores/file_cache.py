"""A warm cache for the file store: what tuiflow parsed out of each file last time.

A file store is tens of thousands of tiny files (a meta.yaml, one file per param, tag and
metric per run), and reading and parsing them is most of a search. Their parsed values
are kept between processes, keyed by path relative to the store, and trusted only while
the file's signature -- modification time, change time, size and inode, from one `stat`
-- is the one recorded. So an appended metric line, a rewritten tag, a run deleted and
restored, a file replaced by rename, all re-read the file. A directory's signature covers
which files it holds (its mtime changes when an entry is added, removed or renamed).

"Racily clean" files (git's term) are not cached: a file changed within the last two
seconds might change again within the same timestamp tick without its size changing.

The cache is an accelerator only: it never answers for a file it cannot stat, a lost or
corrupt cache file is an empty cache, and a cache directory that cannot be written (a
read-only home) just means no cache. One file per experiment folder for its runs, so a
store of many experiments loads only the parts it reads, and one small file shared by the
experiments' own meta.yaml and tags (listing experiments loads no run's entries). Values
are plain tuples, strings and numbers, stored with `marshal` (no code runs on load, unlike
pickle).
"""

from __future__ import annotations

import contextlib
import gc
import marshal
import os
import threading
import time
import zlib
from typing import Any

FORMAT = 1
RACY_NS = 2_000_000_000

Sig = tuple[int, int, int, int]

_MISSING = object()
# No experiment folder can be named this: folder names hold no "/".
EXPERIMENTS_SHARD = "/experiments"


def sig_of(st: os.stat_result) -> Sig:
    return (st.st_mtime_ns, st.st_ctime_ns, st.st_size, st.st_ino)


def stat_sig(path: str) -> Sig | None:
    """The signature of `path` (following symlinks), or None when it cannot be stat'ed."""
    try:
        return sig_of(os.stat(path))
    except (OSError, ValueError):
        return None


class _Shard:
    """The cached entries of one experiment folder's runs (or of every experiment's own
    files): relative path -> (sig, value)."""

    __slots__ = ("entries", "dirty", "file")

    def __init__(self, file: str | None, entries: dict[str, tuple[Sig, Any]]) -> None:
        self.file = file
        self.entries = entries
        self.dirty = False


class FileCache:
    """Parsed values of a store's files, persisted under `directory` (or memory only)."""

    def __init__(self, root: str, directory: str | None, racy_ns: int = RACY_NS) -> None:
        self.root = root.rstrip("/")
        self._prefix = self.root + "/"
        self._dir: str | None = None
        if directory is not None:
            # A name per store, not a secret: two stores sharing a name would only evict
            # each other's entries (every cache file records its store's root, checked on
            # load). zlib, not hashlib: importing OpenSSL costs a warm search 3 ms.
            raw = os.fsencode(self.root)
            digest = f"{zlib.crc32(raw):08x}{zlib.adler32(raw):08x}"
            self._dir = os.path.join(directory, f"filestore-{digest}")
        self._shards: dict[str, _Shard] = {}
        self._lock = threading.Lock()
        self._racy_after = time.time_ns() - racy_ns
        self._recorded: dict[str, dict[str, tuple[Sig, Any]]] | None = None

    # -- lookups ---------------------------------------------------------------------------

    def _split(self, path: str) -> tuple[str, str] | None:
        """(experiment folder, path inside it) for a path under the store root."""
        if not path.startswith(self._prefix):
            return None
        rel = path[len(self._prefix) :]
        head, sep, tail = rel.partition("/")
        if head == ".trash" and sep:
            head2, sep2, tail2 = tail.partition("/")
            if not sep2:
                return None
            head, tail = f".trash/{head2}", tail2
        elif not sep:
            return None
        if "/" not in tail:
            # The experiment's own meta.yaml and tags folder: all experiments share one
            # small shard, so listing experiments loads none of their (large) run shards.
            return EXPERIMENTS_SHARD, f"{head}/{tail}"
        return head, tail

    def _shard(self, name: str) -> _Shard:
        shard = self._shards.get(name)
        if shard is None:
            with self._lock:
                shard = self._shards.get(name)
                if shard is None:
                    shard = self._shards[name] = self._load(name)
        return shard

    def lookup(self, path: str) -> tuple[Any, Sig | None]:
        """(cached value or MISSING, the file's current signature or None)."""
        # The warm search's hot path (tens of thousands of calls): stat_sig, _split and
        # _shard written out inline.
        try:
            st = os.stat(path)
        except (OSError, ValueError):
            return _MISSING, None
        sig = (st.st_mtime_ns, st.st_ctime_ns, st.st_size, st.st_ino)
        if not path.startswith(self._prefix):
            return _MISSING, sig
        head, sep, tail = path[len(self._prefix) :].partition("/")
        if not sep:
            return _MISSING, sig
        if head == ".trash" or "/" not in tail:
            where = self._split(path)
            if where is None:
                return _MISSING, sig
            head, tail = where
        shard = self._shards.get(head) or self._shard(head)
        entry = shard.entries.get(tail)
        if entry is not None and entry[0] == sig:
            return entry[1], sig
        return _MISSING, sig

    def racy(self, sig: Sig | None) -> bool:
        """True when a file with this signature may change unnoticed (changed just now)."""
        return sig is None or max(sig[0], sig[1]) >= self._racy_after

    def store(self, path: str, sig: Sig | None, value: Any) -> None:
        """Remember `value` for `path` as of `sig` (taken before the file was read)."""
        where = self._split(path)
        if where is None or sig is None or self.racy(sig):
            return
        self._put(where, sig, value)

    def replace(self, path: str, value: Any) -> None:
        """A new value for a cached entry whose own signature still holds."""
        where = self._split(path)
        if where is None:
            return
        entry = self._shard(where[0]).entries.get(where[1])
        if entry is not None:
            self._put(where, entry[0], value)

    def _put(self, where: tuple[str, str], sig: Sig, value: Any) -> None:
        shard = self._shard(where[0])
        shard.entries[where[1]] = (sig, value)
        shard.dirty = True
        if self._recorded is not None:
            self._recorded.setdefault(where[0], {})[where[1]] = (sig, value)

    # -- entries made in another process (a forked scan's children) ------------------------

    def record(self) -> None:
        """From now on, remember every new entry, for `recorded`."""
        self._recorded = {}

    def recorded(self) -> dict[str, dict[str, tuple[Sig, Any]]]:
        """The entries made since `record`: {experiment folder: {path: (sig, value)}}."""
        return self._recorded or {}

    def merge(self, entries: dict[str, dict[str, tuple[Sig, Any]]]) -> None:
        """Take another process's `recorded` entries (they are saved with the rest)."""
        for name, fresh in entries.items():
            if fresh:
                shard = self._shard(name)
                shard.entries.update(fresh)
                shard.dirty = True

    @staticmethod
    def hit(value: Any) -> bool:
        return value is not _MISSING

    # -- persistence -----------------------------------------------------------------------

    def _file(self, name: str) -> str | None:
        if self._dir is None:
            return None
        return os.path.join(self._dir, name.replace("/", "__") + ".marshal")

    def _load(self, name: str) -> _Shard:
        file = self._file(name)
        entries: dict[str, tuple[Sig, Any]] = {}
        if file is not None:
            try:
                with open(file, "rb") as fh:
                    # loads(read()), not load(fh): load reads a file object piecemeal,
                    # measured 30x slower on a 1.5 MB shard.
                    data = _loads_uncollected(fh.read())
                if (
                    isinstance(data, tuple)
                    and len(data) == 3
                    and data[0] == FORMAT
                    and data[1] == self.root
                    and isinstance(data[2], dict)
                ):
                    entries = data[2]
            except Exception:  # noqa: BLE001 - a missing or damaged cache is an empty one
                entries = {}
        return _Shard(file, entries)

    def save(self) -> None:
        """Write the changed shards (atomically); failures leave the cache as it was."""
        with self._lock:
            shards = [s for s in self._shards.values() if s.dirty and s.file]
        if not shards:
            return
        import tempfile  # only when something changed: not on a warm search

        for shard in shards:
            assert shard.file is not None
            try:
                os.makedirs(os.path.dirname(shard.file), mode=0o700, exist_ok=True)
                fd, tmp = tempfile.mkstemp(dir=os.path.dirname(shard.file), suffix=".tmp")
            except OSError:
                return  # a read-only or full cache directory: no cache, nothing else
            try:
                with os.fdopen(fd, "wb") as fh:
                    marshal.dump((FORMAT, self.root, shard.entries), fh)
                os.replace(tmp, shard.file)
                shard.dirty = False
            except (OSError, ValueError):
                with contextlib.suppress(OSError):
                    os.unlink(tmp)


MISSING = _MISSING


def _loads_uncollected(data: bytes) -> Any:
    """marshal.loads with the collector off: a 1.5 MB shard is ~60,000 new tuples, and
    collections triggered by them (which can find no cycle: marshal data has none) made a
    load 1.7x slower, 55 against 32 ms for three shards."""
    # Turned back on only if it was on: a program that keeps collection off (the UI holds
    # it off while keys arrive) keeps it off.
    was_on = gc.isenabled()
    gc.disable()
    try:
        return marshal.loads(data)
    finally:
        if was_on:
            gc.enable()


def default_directory() -> str | None:
    """Where caches live: $TUIFLOW_CACHE_DIR, else the user's cache dir; None when the
    cache is off (TUIFLOW_CACHE=0/off/false/no)."""
    if os.environ.get("TUIFLOW_CACHE", "").strip().lower() in ("0", "off", "false", "no"):
        return None
    explicit = os.environ.get("TUIFLOW_CACHE_DIR")
    if explicit:
        return explicit
    from platformdirs import user_cache_dir

    return user_cache_dir("tuiflow", appauthor=False)
