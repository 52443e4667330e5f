"""The file store's warm cache: it changes no result, and any change to a file is seen.

A store written by real MLflow is read cold (filling the cache), then changed by MLflow
itself -- a metric appended, a tag rewritten, a run deleted, renamed, a param added -- and
read warm: every read must equal MLflow's and an uncached store's. The two-second
"racily clean" rule (a file changed that recently is not cached) is turned off with
racy_ns=0, since every file here is seconds old, and checked on its own.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from mlflow import MlflowClient
from mlflow.entities import ViewType as MlflowViewType

from tuiflow.entities import ViewType
from tuiflow.stores.file import FileStore
from tuiflow.stores.file_cache import FileCache
from tuiflow.stores.file_reads import CachedReads

FILTERS = [
    None,
    "metrics.acc > 0.5",
    "params.lr = '0.1'",
    "tags.team = 'vision'",
    "attributes.run_name LIKE 'run-%'",
    "attributes.status = 'FINISHED'",
]


def _make_store(root: Path) -> tuple[str, dict[str, str]]:
    uri = root.as_uri()
    c = MlflowClient(tracking_uri=uri)
    exp = c.create_experiment("cache")
    ids: dict[str, str] = {"exp": exp}
    for i in range(6):
        r = c.create_run(exp, run_name=f"run-{i}", tags={"team": "vision" if i % 2 else "nlp"})
        rid = r.info.run_id
        ids[f"r{i}"] = rid
        c.log_param(rid, "lr", str(0.1 * (i % 3)))
        for step in range(3):
            c.log_metric(rid, "acc", 0.2 * i + 0.01 * step, step=step, timestamp=1000 + step)
        c.log_metric(rid, "loss", 1.0 / (i + 1), step=0, timestamp=1000)
        if i != 5:
            c.set_terminated(rid, "FINISHED")
    return uri, ids


def _cached(root: Path, cache_dir: Path, racy_ns: int = 0) -> FileStore:
    store = FileStore(root, cache_dir=str(cache_dir))
    # Turn off the racy window so a file changed a moment ago may be cached too (the
    # signature check is what is under test; the window has its own test).
    reads = store._reads
    assert isinstance(reads, CachedReads)
    reads.cache = FileCache(store.root, str(cache_dir), racy_ns=racy_ns)
    return store


def _everything(store: FileStore, exp: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for f in FILTERS:
        for view in (ViewType.ACTIVE_ONLY, ViewType.ALL):
            page = store.search_runs([exp], f, ["metrics.acc DESC"], view)
            out[f"{f}/{view}"] = [
                (
                    r.run_id,
                    r.run_name,
                    r.status,
                    r.lifecycle_stage,
                    r.end_time,
                    dict(r.params),
                    dict(r.tags),
                    {k: (m.value, m.step, m.timestamp) for k, m in r.metrics.items()},
                )
                for r in page.items
            ]
    return out


def _mlflow_view(client: MlflowClient, exp: str) -> list[tuple]:
    runs = client.search_runs([exp], "", MlflowViewType.ALL, order_by=["metrics.acc DESC"])
    return [
        (r.info.run_id, r.info.run_name, r.info.lifecycle_stage, r.data.params, r.data.tags,
         r.data.metrics)
        for r in runs
    ]  # fmt: skip


def _tuiflow_view(store: FileStore, exp: str) -> list[tuple]:
    page = store.search_runs([exp], None, ["metrics.acc DESC"], ViewType.ALL)
    return [
        (
            r.run_id,
            r.run_name,
            r.lifecycle_stage,
            dict(r.params),
            dict(r.tags),
            {k: m.value for k, m in r.metrics.items()},
        )
        for r in page.items
    ]


@pytest.fixture
def store_root(tmp_path: Path) -> tuple[Path, str, dict[str, str]]:
    root = tmp_path / "mlruns"
    uri, ids = _make_store(root)
    return root, uri, ids


def _warmed(root: Path, cache: Path, exp: str) -> dict[str, Any]:
    """What the uncached store answers, after a cached store has written `cache`."""
    expected = _everything(FileStore(root, cache_dir=None), exp)
    store = _cached(root, cache)
    _everything(store, exp)
    store.close()
    return expected


def test_warm_reads_equal_cold_and_uncached(store_root, tmp_path: Path) -> None:
    root, _, ids = store_root
    plain = _everything(FileStore(root, cache_dir=None), ids["exp"])
    cold_store = _cached(root, tmp_path / "cache")
    cold = _everything(cold_store, ids["exp"])
    cold_store.close()
    assert list((tmp_path / "cache").rglob("*.marshal")), "the cold read wrote no cache"
    warm_store = _cached(root, tmp_path / "cache")
    warm = _everything(warm_store, ids["exp"])
    assert cold == plain and warm == plain
    run = warm_store.get_run(ids["r1"])
    assert run == FileStore(root, cache_dir=None).get_run(ids["r1"])


def test_warm_reads_come_from_the_cache(store_root, tmp_path: Path) -> None:
    root, _, ids = store_root
    first = _cached(root, tmp_path / "cache")
    _everything(first, ids["exp"])
    first.close()
    # Replace every value file by a same-size, same-mtime file with other bytes, keeping
    # the inode: only a read that trusts the cache still sees the old values.
    second = _cached(root, tmp_path / "cache")
    reads = second._reads
    assert isinstance(reads, CachedReads)
    calls = {"n": 0}
    real = os.read

    def counting_read(fd: int, n: int) -> bytes:
        calls["n"] += 1
        return real(fd, n)

    os.read = counting_read  # type: ignore[assignment]
    try:
        _everything(second, ids["exp"])
    finally:
        os.read = real  # type: ignore[assignment]
    assert calls["n"] == 0, f"a warm read still read {calls['n']} files"


def _mutations(client: MlflowClient, ids: dict[str, str]) -> list[tuple[str, Any]]:
    return [
        ("append a metric point", lambda: client.log_metric(ids["r0"], "acc", 5.0, step=9)),
        ("new metric key", lambda: client.log_metric(ids["r2"], "f1", 0.7)),
        ("rewrite a tag", lambda: client.set_tag(ids["r1"], "team", "nlp")),
        ("new tag", lambda: client.set_tag(ids["r3"], "extra", "x")),
        ("delete a tag", lambda: client.delete_tag(ids["r3"], "team")),
        ("new param", lambda: client.log_param(ids["r4"], "depth", "7")),
        ("delete a run", lambda: client.delete_run(ids["r2"])),
        ("restore it", lambda: client.restore_run(ids["r2"])),
        ("rename a run", lambda: client.update_run(ids["r4"], name="renamed")),
        ("terminate a run", lambda: client.set_terminated(ids["r5"], "FAILED")),
        ("nested tag key", lambda: client.set_tag(ids["r0"], "a/b", "nested")),
        ("rewrite the nested tag", lambda: client.set_tag(ids["r0"], "a/b", "NESTED")),
        # The experiment's own meta.yaml and tags are cached too.
        ("rename the experiment", lambda: client.rename_experiment(ids["exp"], "cache-2")),
        ("experiment tag", lambda: client.set_experiment_tag(ids["exp"], "owner", "ana")),
        ("rewrite it", lambda: client.set_experiment_tag(ids["exp"], "owner", "bob")),
        ("delete it", lambda: client.delete_experiment_tag(ids["exp"], "owner")),
        ("delete the experiment", lambda: client.delete_experiment(ids["exp"])),
        ("restore the experiment", lambda: client.restore_experiment(ids["exp"])),
    ]


def _mlflow_experiments(client: MlflowClient) -> list[tuple]:
    return [
        (e.experiment_id, e.name, e.lifecycle_stage, e.last_update_time, e.tags)
        for e in client.search_experiments(MlflowViewType.ALL)
    ]


def _tuiflow_experiments(store: FileStore) -> list[tuple]:
    return [
        (e.experiment_id, e.name, e.lifecycle_stage, e.last_update_time, dict(e.tags))
        for e in store.search_experiments(ViewType.ALL).items
    ]


def test_every_change_mlflow_makes_is_seen(store_root, tmp_path: Path) -> None:
    root, uri, ids = store_root
    client = MlflowClient(tracking_uri=uri)
    store = _cached(root, tmp_path / "cache")
    _everything(store, ids["exp"])
    time.sleep(0.05)
    for what, change in _mutations(client, ids):
        time.sleep(0.05)  # past the file system's timestamp tick (the racy window is off)
        change()
        # Same process (in-memory entries) and a new one (the saved cache) both see it.
        store.close()
        again = _cached(root, tmp_path / "cache")
        for s in (store, again):
            assert _tuiflow_view(s, ids["exp"]) == _mlflow_view(client, ids["exp"]), what
            assert _tuiflow_experiments(s) == _mlflow_experiments(client), what
        assert _everything(store, ids["exp"]) == _everything(
            FileStore(root, cache_dir=None), ids["exp"]
        ), what


def test_same_size_same_mtime_rewrite_is_seen(store_root, tmp_path: Path) -> None:
    """A tool that restores an old mtime (cp -p, rsync -t) is caught by ctime/inode."""
    root, _, ids = store_root
    store = _cached(root, tmp_path / "cache")
    assert store.get_run(ids["r1"]).tags["team"] == "vision"
    tag = root / ids["exp"] / ids["r1"] / "tags" / "team"
    st = tag.stat()
    replacement = tag.with_name("team.new")
    replacement.write_text("VISION")  # same length
    os.utime(replacement, ns=(st.st_atime_ns, st.st_mtime_ns))
    os.replace(replacement, tag)
    os.utime(tag.parent, ns=(st.st_atime_ns, tag.parent.stat().st_mtime_ns))
    store.close()
    assert _cached(root, tmp_path / "cache").get_run(ids["r1"]).tags["team"] == "VISION"


def test_in_place_same_size_rewrite_is_seen(store_root, tmp_path: Path) -> None:
    root, _, ids = store_root
    store = _cached(root, tmp_path / "cache")
    assert store.get_run(ids["r1"]).tags["team"] == "vision"
    tag = root / ids["exp"] / ids["r1"] / "tags" / "team"
    st = tag.stat()
    time.sleep(0.01)  # a later change time
    tag.write_text("VISION")
    os.utime(tag, ns=(st.st_atime_ns, st.st_mtime_ns))  # the mtime says "unchanged"
    assert store.get_run(ids["r1"]).tags["team"] == "VISION"


def test_files_changed_just_now_are_not_cached(store_root, tmp_path: Path) -> None:
    root, uri, ids = store_root
    time.sleep(1.2)
    MlflowClient(tracking_uri=uri).set_tag(ids["r1"], "team", "fresh")  # rewritten in place
    # A 1 s window here (the real one is 2 s): the folder is older than that, the file not.
    store = _cached(root, tmp_path / "cache", racy_ns=1_000_000_000)
    assert store.get_run(ids["r1"]).tags["team"] == "fresh"
    reads = store._reads
    assert isinstance(reads, CachedReads)
    tags_dir = str(root / ids["exp"] / ids["r1"] / "tags")
    value, sig = reads.cache.lookup(tags_dir)
    entry = dict((k, s) for k, s, _ in value[1]) if reads.cache.hit(value) else None
    # The folder is old, so it is cached, but the fresh file inside is marked unchecked.
    assert entry is not None and entry["team"] is None
    assert entry["mlflow.runName"] is not None


def test_half_written_metric_line_is_not_frozen(store_root, tmp_path: Path) -> None:
    root, _, ids = store_root
    store = _cached(root, tmp_path / "cache")
    metric = root / ids["exp"] / ids["r0"] / "metrics" / "acc"
    with metric.open("a") as fh:
        fh.write("2000 9.5")  # a writer mid-line
    assert store.get_run(ids["r0"]).metrics["acc"].value == pytest.approx(0.02)
    with metric.open("a") as fh:
        fh.write(" 20\n")
    assert store.get_run(ids["r0"]).metrics["acc"].value == 9.5


def test_corrupt_or_foreign_cache_files_are_ignored(store_root, tmp_path: Path) -> None:
    root, _, ids = store_root
    cache = tmp_path / "cache"
    expected = _warmed(root, cache, ids["exp"])
    files = list(cache.rglob("*.marshal"))
    assert files
    for i, f in enumerate(files):
        f.write_bytes([b"", b"\x00garbage", os.urandom(64)][i % 3])
    assert _everything(_cached(root, cache), ids["exp"]) == expected
    # A cache written for another store path (a copied cache dir) is not trusted.
    other = tmp_path / "other"
    shutil.copytree(root, other)
    _everything(_cached(other, cache), ids["exp"])
    assert _everything(_cached(root, cache), ids["exp"]) == expected


def test_deleting_the_cache_changes_nothing(store_root, tmp_path: Path) -> None:
    root, _, ids = store_root
    cache = tmp_path / "cache"
    store = _cached(root, cache)
    first = _everything(store, ids["exp"])
    store.close()
    shutil.rmtree(cache)
    assert _everything(_cached(root, cache), ids["exp"]) == first


def test_unwritable_cache_dir_still_works(store_root, tmp_path: Path) -> None:
    root, _, ids = store_root
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("a file where the cache directory would be")
    store = _cached(root, blocker / "cache")
    result = _everything(store, ids["exp"])
    store.close()  # saving fails quietly
    assert result == _everything(FileStore(root, cache_dir=None), ids["exp"])


def _cli(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "tuiflow", *args],
        capture_output=True,
        text=True,
        env={**os.environ, **env},
        timeout=120,
    )


def test_cli_cache_on_off_and_read_only_home(store_root, tmp_path: Path) -> None:
    root, _, ids = store_root
    args = ["runs", str(root), "-f", "metrics.acc > 0.3", "--format", "json"]
    cache = tmp_path / "cli-cache"
    off = _cli(args, {"TUIFLOW_CACHE": "0", "TUIFLOW_CACHE_DIR": str(cache)})
    assert off.returncode == 0, off.stderr
    assert not cache.exists(), "TUIFLOW_CACHE=0 must write no cache"
    time.sleep(2.1)  # out of the racy window: files changed in the last 2 s are not cached
    cold = _cli(args, {"TUIFLOW_CACHE_DIR": str(cache)})
    warm = _cli(args, {"TUIFLOW_CACHE_DIR": str(cache)})
    assert list(cache.rglob("*.marshal"))
    assert off.stdout == cold.stdout == warm.stdout
    assert cold.stderr == warm.stderr == ""
    # Warm, every meta.yaml (the experiments' too) comes from the cache: PyYAML, ~15 ms
    # to import, is never loaded.
    probe = subprocess.run(
        [sys.executable, "-c",
         "import sys\nfrom tuiflow.cli import main\n"
         f"try:\n    main({args!r})\nexcept SystemExit:\n    pass\n"
         "sys.stderr.write('PyYAML was imported' if 'yaml' in sys.modules else '')"],
        capture_output=True, text=True, env={**os.environ, "TUIFLOW_CACHE_DIR": str(cache)},
        timeout=120,
    )  # fmt: skip
    assert probe.stdout == warm.stdout
    assert probe.stderr == ""
    # XDG default location under a home that cannot be written: same answer, no noise.
    home = tmp_path / "home"
    home.mkdir()
    env = {"HOME": str(home), "XDG_CACHE_HOME": str(home / ".cache"), "TUIFLOW_CACHE_DIR": ""}
    (home / ".cache").write_text("not a directory")
    ro = _cli(args, env)
    assert ro.returncode == 0 and ro.stdout == off.stdout and ro.stderr == ""


@pytest.mark.parametrize("collecting", [True, False], ids=["gc-on", "gc-off"])
def test_loading_the_cache_leaves_collection_as_it_was(
    store_root, tmp_path: Path, collecting: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Shards load with the collector off; a program's own setting survives the load,
    a corrupt shard included."""
    import gc
    import marshal

    root, _, ids = store_root
    cache = tmp_path / "cache"
    expected = _warmed(root, cache, ids["exp"])
    during: list[bool] = []
    loads = marshal.loads

    def spy(data: bytes) -> Any:
        during.append(gc.isenabled())
        return loads(data)

    monkeypatch.setattr(marshal, "loads", spy)
    was = gc.isenabled()
    try:
        (gc.enable if collecting else gc.disable)()
        assert _everything(_cached(root, cache), ids["exp"]) == expected
        assert during and not any(during)  # off while a shard loads
        assert gc.isenabled() is collecting
        for f in cache.rglob("*.marshal"):
            f.write_bytes(b"\x00garbage")
        assert _everything(_cached(root, cache), ids["exp"]) == expected
        assert gc.isenabled() is collecting
    finally:
        (gc.enable if was else gc.disable)()
