"""Forked scans (tuiflow/stores/file_forked.py) answer exactly as the serial search.

The contract suite's file store (written by real MLflow) is copied, a few runs are broken
in ways that warn in either phase of a search, and every search is made twice: serially
and spread over forked processes (min_runs=1, so even this small store forks). Runs,
order, page tokens, warnings (and their order) and the warm-cache entries left behind
must all be the same; a child that fails or a live thread makes the search serial.
"""

from __future__ import annotations

import itertools
import marshal
import os
import shutil
import sys
import threading
from pathlib import Path
from typing import Any

import pytest

from tuiflow.entities import ViewType
from tuiflow.stores import file_forked
from tuiflow.stores.file import FileStore

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="forked scans are Linux-only")

SEARCHES: list[tuple[str | None, list[str]]] = [
    (None, []),
    ("metrics.acc > 0.4", []),
    ("metrics.acc > 0.4", ["metrics.acc DESC"]),
    ("params.model = 'LinearRegression'", ["attributes.start_time ASC"]),
    ("tags.env ILIKE 'prod'", ["params.lr DESC", "attributes.run_name"]),
    ("attributes.status != 'RUNNING'", ["metrics.v ASC"]),
    ("datasets.name = 'mydata'", []),
    ("metrics.acc > 0.4 OR tags.env = 'staging'", ["tags.env"]),
    # A metric file named "..x" (hand-made): a folder walk finds it, a read by key refuses.
    ("metrics.acc > 0.4", ["metrics.`..x` DESC"]),
]


@pytest.fixture
def mlruns(file_backend: Any, tmp_path: Path) -> tuple[Path, dict[str, Any]]:
    """A copy of the contract store, with one run of each broken kind."""
    root = tmp_path / "mlruns"
    shutil.copytree(file_backend.root / "mlruns", root, symlinks=True)
    ids = file_backend.ids
    main = root / ids["experiments"]["contract-main"]
    runs = {label: main / rid for label, rid in ids["runs"].items() if (main / rid).is_dir()}
    # Phase 1 (filtered on): a metric line that is not a number.
    (runs["B"] / "metrics" / "acc").write_text("1000 oops 0\n")
    # Phase 2 only (loaded whole): a damaged metric nobody filters on.
    (runs["E"] / "metrics" / "loss").write_text("4000 not-a-number 0\n")
    for label in ("A", "C", "F"):
        (runs[label] / "metrics" / "..x").write_text("1000 0.5 0\n")
    # Scan: a run's meta.yaml that is not YAML.
    (runs["G"] / "meta.yaml").write_text("run_id: [unclosed\n")
    # Page load: the meta.yaml of run A's dataset is not YAML. Runs of both slices use
    # that dataset; its warning is kept once, where the first of them is loaded.
    (input_meta,) = (runs["A"] / "inputs").glob("*/meta.yaml")
    source = input_meta.read_text().split("source_id: ")[1].split()[0]
    (main / "datasets" / source / "meta.yaml").write_text("name: [unclosed\n")
    for label in ("C", "D", "H", "J"):
        shutil.copytree(runs["A"] / "inputs", runs[label] / "inputs", dirs_exist_ok=True)
    return root, ids


def _store(root: Path, cache: Path | None, forked: bool) -> FileStore:
    store = FileStore(root, cache_dir=None if cache is None else str(cache))
    if cache is not None:
        # The copy's files all changed just now (ctime): let them be cached anyway.
        store._reads.cache._racy_after = 2**62  # type: ignore[attr-defined]
    if forked:
        store.use_forked_scans(2, min_runs=1)
    return store


def _all_experiments(store: FileStore) -> list[str]:
    return [e.experiment_id for e in store.search_experiments(ViewType.ALL).items]


def _search_all(store: FileStore) -> list[Any]:
    """Every search of SEARCHES in each view, paged by 3 (page tokens included) and in
    one page with room for every run folder (each process then loads its matches whole as
    it finds them); a forked store must have forked for every one of them."""
    exps = _all_experiments(store)
    out: list[Any] = []
    calls, forked_before = 0, store.forked_searches
    for (filter, order_by), view, page_size in itertools.product(
        SEARCHES, (ViewType.ACTIVE_ONLY, ViewType.ALL), (3, 50_000)
    ):
        store.clear_warnings()
        token = None
        pages = []
        while True:
            page = store.search_runs(exps, filter, order_by, view, page_size, token)
            calls += 1
            pages.append((page.items, page.next_page_token))
            token = page.next_page_token
            if not token:
                break
        out.append((filter, order_by, view, page_size, pages, store.warnings))
    if store.scan_processes > 1:
        assert store.forked_searches - forked_before == calls
    return out


@pytest.mark.parametrize("cached", [False, True], ids=["direct", "cached"])
def test_forked_search_equals_serial(mlruns, tmp_path: Path, cached: bool) -> None:
    root, _ = mlruns
    serial = _store(root, tmp_path / "c1" if cached else None, forked=False)
    forked = _store(root, tmp_path / "c2" if cached else None, forked=True)
    expected = _search_all(serial)
    got = _search_all(forked)
    assert forked.forked_searches > 0 and serial.forked_searches == 0
    # Compared as repr: a NaN metric equals itself only as the same object, and the order
    # of every mapping must match too.
    for want, have in zip(expected, got, strict=True):
        assert repr(have) == repr(want), want[:4]
    # The broken runs warned in both phases and at listing, in the serial order.
    warned = "\n".join(w for case in expected for w in case[5])
    for text in ("oops", "not-a-number", "malformed run", "dataset"):
        assert text in warned
    if cached:  # warm now: the same again, answered from the cache
        again = _store(root, tmp_path / "c2", forked=True)
        assert repr(_search_all(again)) == repr(expected)


def _cache_entries(cache: Path) -> dict[str, str]:
    out = {}
    for f in sorted(cache.rglob("*.marshal")):
        _, _, entries = marshal.loads(f.read_bytes())
        out[f.name] = repr(sorted(entries.items()))  # repr: NaN values compare equal
    return out


def test_children_cache_entries_are_saved(mlruns, tmp_path: Path) -> None:
    """A cold forked search leaves the cache a cold serial search leaves."""
    root, _ = mlruns
    for name, forked in (("serial", False), ("forked", True)):
        store = _store(root, tmp_path / name, forked)
        store.search_runs(_all_experiments(store), "metrics.acc > 0.4", view=ViewType.ALL)
        store.close()
        assert store.forked_searches == (1 if forked else 0)
    serial, forked = _cache_entries(tmp_path / "serial"), _cache_entries(tmp_path / "forked")
    assert serial and forked == serial


def test_a_live_thread_keeps_the_search_serial(mlruns, tmp_path: Path) -> None:
    root, _ = mlruns
    store = _store(root, None, forked=True)
    stop = threading.Event()
    thread = threading.Thread(target=stop.wait)
    thread.start()
    try:
        page = store.search_runs(_all_experiments(store), "metrics.acc > 0.4")
    finally:
        stop.set()
        thread.join()
    assert store.forked_searches == 0
    assert repr(page) == repr(
        _store(root, None, forked=False).search_runs(_all_experiments(store), "metrics.acc > 0.4")
    )
    store.search_runs(_all_experiments(store), "metrics.acc > 0.4")  # the thread is gone
    assert store.forked_searches == 1


@pytest.mark.parametrize(
    "how", ["raises", "dies", "garbles", "dies-loading-page", "dies-loading-whole"]
)
def test_a_failing_child_falls_back_to_serial(
    mlruns, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, how: str
) -> None:
    root, _ = mlruns
    real_child, parent = file_forked._child, os.getpid()

    def broken_child(job, lo, hi, cmd, res) -> None:  # noqa: ANN001
        if how == "raises":
            raise RuntimeError("boom")
        if how == "dies":
            os._exit(3)
        if how == "garbles":
            os.write(res, file_forked._HEADER.pack(5) + b"\xff\xff\xff\xff\xff")
            return
        real_child(job, lo, hi, cmd, res)

    def load_whole(self, *args):  # noqa: ANN001, ANN202 - dies in a child, after its scan
        if os.getpid() != parent:
            os._exit(3)
        return real_load_whole(self, *args)

    real_load_whole = FileStore.load_whole
    monkeypatch.setattr(file_forked, "_child", broken_child)
    monkeypatch.setattr(FileStore, "load_whole", load_whole)
    before_children, before_fds = _children(), os.listdir("/proc/self/fd")
    store = _store(root, tmp_path / "cache", forked=True)
    exps = _all_experiments(store)
    # One run folder short of room for all: no whole mode, so the children load the page's
    # runs after the parent chose them; yet every match is on the page, so each child has
    # some to load (whichever slice the listing order puts them in). With room for all,
    # the children load each match whole during their scan.
    folders = len(store.list_runs(exps)[0])
    size = folders - 1 if how == "dies-loading-page" else 1000
    page = store.search_runs(exps, None, ["metrics.acc DESC"], ViewType.ALL, size)
    assert store.forked_searches == 0
    assert store.scan_processes == 1  # and later searches do not try again
    serial = _store(root, None, forked=False)
    assert repr(page) == repr(
        serial.search_runs(exps, None, ["metrics.acc DESC"], ViewType.ALL, size)
    )
    assert store.warnings == serial.warnings
    assert any("dataset" in w for w in serial.warnings)
    assert _children() == before_children  # no child left behind, not even a zombie
    assert sorted(os.listdir("/proc/self/fd")) == sorted(before_fds)  # no pipe left open


def _children() -> set[str]:
    pid = os.getpid()
    found: set[str] = set()
    for task in Path(f"/proc/{pid}/task").iterdir():
        found.update((task / "children").read_text().split())
    return found


def test_run_encoding_round_trips(file_backend: Any) -> None:
    store = FileStore(file_backend.root / "mlruns", cache_dir=None)
    runs = store.search_runs(_all_experiments(store), view=ViewType.ALL).items
    assert any(r.inputs for r in runs) and any(r.metrics for r in runs)
    for run in runs:
        encoded = marshal.dumps(file_forked.encode_run(run))
        assert repr(file_forked.decode_run(marshal.loads(encoded))) == repr(run)
