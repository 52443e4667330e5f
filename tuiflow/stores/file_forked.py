"""Forked scans: one file-store search spread over the machine's cores.

A warm search of a big file store is Python work for every run: a `stat` per file to
check the warm cache, a lookup, an entity built. Measured on 10,000 runs: about 55,000
stats and half a second of one core, while the other cores idle. Runs are independent, so
the scan splits cleanly:

1. the parent lists the run folders and forks one child per extra core;
2. each process scans a contiguous slice of that list and evaluates the filter there, so
   only the matching runs (with the fields the order_by needs) travel back;
3. the parent sorts and pages the matches, and asks each child for the page's runs of its
   slice, loaded whole; it loads its own slice's share meanwhile.

When the first page is sure to hold every match (the CLI's pages of 50,000 runs), step 3
has nothing to choose: each process loads its matches whole as it finds them and sends
them with its scan's answer, so the parent waits for the slowest child once, not twice.

Results are exactly the serial search's: the same per-run code runs in every process, the
warnings are given in the serial order (slices are contiguous; page loads are reported
in page order), and the children's new warm-cache entries come back to the parent, which
saves them, so a cold forked search warms the cache as a serial one does.

Only where forking is safe and cheap: Linux (fork without exec is the platform's normal
way; macOS and Windows are left serial), a process with no other thread (a lock held by a
thread at the fork would stay held in the child: the Textual app has worker threads and
never forks; the headless CLI has none), and enough runs to pay for the fork. Any failure
in a child -- an exception, a crash, a garbled message -- makes the caller run the
ordinary serial search, so the answer never depends on this path.

Messages cross the pipes as `marshal` data (plain tuples, no code runs on load) with a
length prefix.
"""

from __future__ import annotations

import contextlib
import dataclasses
import gc
import marshal
import operator
import os
import signal
import struct
import sys
import threading
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any

from tuiflow.entities import Dataset, DatasetInput, Metric, Page, Run, new_metric, new_run
from tuiflow.query import evaluate
from tuiflow.stores.base import paginate
from tuiflow.stores.yamlio import is_safe_key

if TYPE_CHECKING:
    from tuiflow.stores.file import FileStore, ScanSpec
    from tuiflow.stores.file_tracking import DatasetCache, ExperimentDir

# Below this many run folders a fork costs more than it saves (a fork of the CLI, with its
# copy-on-write faults, is a few milliseconds; one core scans ~20,000 warm runs a second).
MIN_FORK_RUNS = 1000
MAX_PROCESSES = 4

Item = tuple["ExperimentDir", str, str]  # experiment folder, run folder name, run path

_HEADER = struct.Struct("<Q")
_OK = 1


class ForkFailed(Exception):
    """A child did not deliver; the caller falls back to the serial search."""


def usable_processes() -> int:
    """How many processes a forked scan would use here: 1 means don't fork."""
    if sys.platform != "linux" or not hasattr(os, "fork"):
        return 1
    try:
        cpus = len(os.sched_getaffinity(0))
    except OSError:
        cpus = os.cpu_count() or 1
    return max(1, min(cpus, MAX_PROCESSES))


def can_fork(processes: int, runs: int, min_runs: int) -> bool:
    return (
        processes > 1
        and runs >= max(min_runs, processes)
        and sys.platform == "linux"
        and _single_threaded()
    )


def _single_threaded() -> bool:
    # Python threads only: idle helper threads of C libraries (OpenBLAS, jemalloc, both
    # loaded by MLflow in the tests) install their own fork handlers and take no lock the
    # children need.
    return threading.active_count() == 1


# -- runs as marshal-able tuples ------------------------------------------------------------


# Field lists taken from the entities themselves, so a field added there travels too.
# attrgetter of several names returns their values as one tuple, in C.
_NESTED = ("metrics", "params", "tags", "inputs")
_SCALARS = tuple(f.name for f in dataclasses.fields(Run) if f.name not in _NESTED)
_run_scalars = operator.attrgetter(*_SCALARS)
_metric = operator.attrgetter(*(f.name for f in dataclasses.fields(Metric)))
_dataset = operator.attrgetter(*(f.name for f in dataclasses.fields(Dataset)))


def encode_run(run: Run) -> tuple:
    return (
        _run_scalars(run),
        tuple(map(_metric, run.metrics.values())),
        dict(run.params),
        dict(run.tags),
        tuple((_dataset(i.dataset), dict(i.tags)) for i in run.inputs),
    )


def decode_run(t: tuple) -> Run:
    scalars, metrics, params, tags, inputs = t
    return new_run(
        **dict(zip(_SCALARS, scalars, strict=True)),
        metrics={m[0]: new_metric(*m) for m in metrics},
        params=params,
        tags=tags,
        inputs=tuple(DatasetInput(Dataset(*d), tags) for d, tags in inputs),
    )


# -- pipes ------------------------------------------------------------------------------------


def _send(fd: int, value: Any) -> None:
    data = marshal.dumps(value)
    view = memoryview(_HEADER.pack(len(data)) + data)
    while view:
        written = os.write(fd, view)
        view = view[written:]


def _read_exact(fd: int, size: int) -> bytes:
    chunks: list[bytes] = []
    while size:
        chunk = os.read(fd, min(size, 1 << 20))
        if not chunk:
            raise ForkFailed("a scan worker ended early")
        chunks.append(chunk)
        size -= len(chunk)
    return b"".join(chunks)


def _recv(fd: int) -> Any:
    (size,) = _HEADER.unpack(_read_exact(fd, _HEADER.size))
    try:
        return marshal.loads(_read_exact(fd, size))
    except (EOFError, ValueError, TypeError) as exc:
        raise ForkFailed(f"a scan worker sent a damaged message ({exc})") from None


# -- the search -------------------------------------------------------------------------------


def search(
    store: FileStore,
    items: Sequence[Item],
    notes: dict[int, list[str]],
    spec: ScanSpec,
    keys: list,
    max_results: int,
    page_token: str | None,
    datasets: DatasetCache,
) -> Page[Run] | None:
    """`store.search_runs`'s page, scanned by `store.scan_processes` processes; None when a
    child failed (the store's later searches then stay serial) and the serial search must
    answer."""
    token: list[str | None] = []

    def choose(matched: list[Run]) -> list[Run]:
        page = paginate(evaluate.sort_runs(matched, keys), max_results, page_token)
        token.append(page.next_page_token)
        return list(page.items)

    # More room on the page than run folders: every match is on it, so load as we go. The
    # loaded run is then what is sorted; it holds the scanned values, except for a key the
    # scan refuses to read as a path (`..x`) but a folder walk finds: such keys keep the
    # two phases.
    whole = (
        page_token is None
        and max_results >= len(items)
        and all(k.ident.entity == "attribute" or is_safe_key(k.ident.key) for k in keys)
    )
    job = _Job(store, items, notes, spec, datasets, whole)
    try:
        runs = forked_search(job, store.scan_processes, choose)
    except (ForkFailed, OSError):
        store.scan_processes = 1
        return None
    store.forked_searches += 1
    store.run_reads.save()
    return Page(tuple(runs), token[0])


class _Job:
    """What every process of one search shares (the children inherit it by fork)."""

    __slots__ = ("store", "items", "notes", "spec", "datasets", "whole")

    def __init__(
        self,
        store: FileStore,
        items: Sequence[Item],
        notes: dict[int, list[str]],
        spec: ScanSpec,
        datasets: DatasetCache,
        whole: bool = False,
    ) -> None:
        self.store, self.items, self.notes = store, items, notes
        self.spec, self.datasets = spec, datasets
        # Every match is on the page: load each whole when it is found.
        self.whole = whole


class _Worker:
    __slots__ = ("pid", "lo", "hi", "cmd", "res")

    def __init__(self, pid: int, lo: int, hi: int, cmd: int, res: int) -> None:
        self.pid, self.lo, self.hi, self.cmd, self.res = pid, lo, hi, cmd, res


def _slices(n: int, parts: int) -> list[tuple[int, int]]:
    bounds = [n * k // parts for k in range(parts + 1)]
    return [(bounds[k], bounds[k + 1]) for k in range(parts)]


def forked_search(job: _Job, processes: int, choose: Callable[[list[Run]], list[Run]]) -> list[Run]:
    """The whole runs of `choose(matching runs)`, scanned by `processes` processes.
    `job.notes`: the listing's warnings, keyed by the index of the item they come before.

    `choose` sorts and pages. Raises ForkFailed (or OSError, when a fork or pipe cannot be
    made) and then keeps nothing of the children's work; what `choose` raises propagates."""
    store, items = job.store, job.items
    slices = _slices(len(items), processes)
    workers: list[_Worker] = []
    clean = False
    # After a fork every page written by either process is copied. The collector writes to
    # the header of each object it examines; frozen objects it leaves alone. (Not when the
    # program froze objects itself: unfreeze would hand those back too.)
    freeze = gc.get_freeze_count() == 0
    if freeze:
        gc.freeze()
    try:
        for lo, hi in slices[1:]:
            _fork(job, lo, hi, workers)
        # The parent scans the first slice, so its warnings come first, as in the serial scan.
        lo0, hi0 = slices[0]
        matched = _scan(job, lo0, hi0)
        later_warnings: list[list[str]] = []
        for w in workers:
            found, warned = _result(w)
            with _malformed_is_failure():
                matched.extend(_decode_match(m) for m in found)
            later_warnings.append(warned)
        for warned in later_warnings:
            store.warn_all(warned)
        store.warn_all(job.notes.get(len(items), ()))
        index_of = {id(run): i for i, run, _ in matched}
        own = {i: run for i, run, _ in matched if i < hi0}
        loaded = {i: whole for i, _, whole in matched if whole is not None}
        wanted = [index_of[id(run)] for run in choose([run for _, run, _ in matched])]
        for w in workers:
            _send(w.cmd, [i for i in wanted if w.lo <= i < w.hi and i not in loaded])
        for i in wanted:
            if i < hi0 and i not in loaded:
                loaded[i] = store.load_whole(own[i], items[i], job.datasets)
        fresh: list[Any] = []
        for w in workers:
            full, entries = _result(w)
            with _malformed_is_failure():
                for i, t, warned in full:
                    loaded[i] = (None if t is None else decode_run(t), list(warned))
            fresh.append(entries)
        clean = True
    finally:
        _reap(workers, kill=not clean)
        if freeze:
            gc.unfreeze()
    out: list[Run] = []
    for i in wanted:
        run, warned = loaded[i]
        store.warn_all(warned)  # page loads report in page order, as serially
        if run is not None:
            out.append(run)
    for entries in fresh:
        store.run_reads.merge(entries)
    return out


Loaded = tuple["Run | None", list[str]]  # load_whole's run (None: unreadable) and warnings


def _scan(job: _Job, lo: int, hi: int) -> list[tuple[int, Run, Loaded | None]]:
    """The matching runs of items[lo:hi]: (index, run to sort by, the run loaded whole or
    None when `job.whole` is off). The run loaded whole, when there is one, is also the run
    to sort by: it holds every field the scan read."""
    store, items, notes, spec, datasets = job.store, job.items, job.notes, job.spec, job.datasets
    whole = job.whole
    matched: list[tuple[int, Run, Loaded | None]] = []
    for i in range(lo, hi):
        if notes:
            store.warn_all(notes.get(i, ()))
        run = store.scan_one(items[i], spec, datasets)
        if run is not None and spec.matches(run):
            if whole:
                loaded = store.load_whole(run, items[i], datasets)
                matched.append((i, run if loaded[0] is None else loaded[0], loaded))
            else:
                matched.append((i, run, None))
    return matched


def _encode_match(match: tuple[int, Run, Loaded | None]) -> tuple:
    i, run, loaded = match
    if loaded is None:
        return (i, encode_run(run), None)
    return (i, encode_run(run), (loaded[0] is not None, loaded[1]))


def _decode_match(t: tuple) -> tuple[int, Run, Loaded | None]:
    i, encoded, whole = t
    run = decode_run(encoded)
    if whole is None:
        return (i, run, None)
    return (i, run, (run if whole[0] else None, list(whole[1])))


@contextlib.contextmanager
def _malformed_is_failure() -> Iterator[None]:
    """A child's answer of the wrong shape is a failed child, not a crash."""
    try:
        yield
    except (TypeError, ValueError, KeyError, IndexError) as exc:
        raise ForkFailed(f"a scan worker sent a malformed answer ({exc})") from None


def _fork(job: _Job, lo: int, hi: int, workers: list[_Worker]) -> None:
    """Start a child on items[lo:hi] and add it to `workers`."""
    opened: list[int] = []
    # SIGINT stays blocked until the child is in `workers` (parent) or has its handler
    # (child), so a Ctrl-C cannot leave an untracked child or a child in the parent's code.
    mask = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        try:
            cmd_r, cmd_w = os.pipe()
            opened += (cmd_r, cmd_w)
            res_r, res_w = os.pipe()
            opened += (res_r, res_w)
            pid = os.fork()
        except BaseException:
            for fd in opened:
                with contextlib.suppress(OSError):
                    os.close(fd)
            raise
        if pid == 0:  # the child: never returns
            code = 1
            try:
                if signal.getsignal(signal.SIGINT) is signal.default_int_handler:
                    # Ctrl-C reaches the whole process group: a child just ends.
                    signal.signal(signal.SIGINT, signal.SIG_DFL)
                signal.pthread_sigmask(signal.SIG_SETMASK, mask)
                # A short-lived process: collections would only copy the parent's pages.
                gc.disable()
                for fd in [cmd_w, res_r, *(f for w in workers for f in (w.cmd, w.res))]:
                    os.close(fd)
                _child(job, lo, hi, cmd_r, res_w)
                code = 0
            except BaseException:  # noqa: BLE001 - whatever happened, the parent falls back
                with contextlib.suppress(BaseException):
                    _send(res_w, (0,))
            finally:
                os._exit(code)
        os.close(cmd_r)
        os.close(res_w)
        workers.append(_Worker(pid, lo, hi, cmd_w, res_r))
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, mask)


def _child(job: _Job, lo: int, hi: int, cmd: int, res: int) -> None:
    store = job.store
    store.run_reads.record()
    mark = store.warning_count()
    matched = _scan(job, lo, hi)
    kept = {i: run for i, run, _ in matched}
    found = [_encode_match(m) for m in matched]
    _send(res, (_OK, found, store.warnings_since(mark)))
    full = []
    for i in _recv(cmd):
        run, warned = store.load_whole(kept[i], job.items[i], job.datasets)
        full.append((i, None if run is None else encode_run(run), warned))
    _send(res, (_OK, full, store.run_reads.recorded()))


def _result(w: _Worker) -> tuple[Any, Any]:
    message = _recv(w.res)
    if not (isinstance(message, tuple) and len(message) == 3 and message[0] == _OK):
        raise ForkFailed("a scan worker failed")
    return message[1], message[2]


def _reap(workers: list[_Worker], kill: bool) -> None:
    for w in workers:
        for fd in (w.cmd, w.res):
            with contextlib.suppress(OSError):
                os.close(fd)
        if kill:
            with contextlib.suppress(OSError):
                os.kill(w.pid, signal.SIGKILL)
        with contextlib.suppress(ChildProcessError, OSError):
            os.waitpid(w.pid, 0)
