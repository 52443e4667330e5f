"""Low-level readers of the file store, checked against MLflow's own code and PyYAML.

The fast meta.yaml parser must agree with `yaml.safe_load` on everything it accepts;
metric files must give MLflow's latest value (its own `_get_metric_from_file` is the
oracle); artifact listings must match MLflow's `LocalArtifactRepository`.
"""

from __future__ import annotations

import math
import os
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from tuiflow.errors import InvalidArgumentError, StoreError
from tuiflow.stores.file_metrics import (
    MalformedMetricError,
    latest_event,
    parse_events,
    read_history,
    read_latest,
)
from tuiflow.stores.local_artifacts import list_local_artifacts
from tuiflow.stores.yamlio import (
    MetaError,
    is_safe_key,
    load_yaml_text,
    parse_flat_yaml,
    read_meta,
    read_tree,
)

os.environ.setdefault("MLFLOW_ALLOW_FILE_STORE", "true")

# -- meta.yaml -------------------------------------------------------------------------------

RUN_META = """artifact_uri: file:///tmp/m/1/abc/artifacts
deleted_time: null
end_time: 1795328121083
entry_point_name: ''
experiment_id: '836380298326875492'
lifecycle_stage: active
run_id: 2be0858a48ed4556965cf4c25a05c80f
run_name: my run
source_name: ''
source_type: 4
source_version: ''
start_time: 1795328121071
status: 3
tags: []
user_id: unknown
"""


def test_fast_parser_reads_mlflow_run_meta_like_pyyaml() -> None:
    fast = parse_flat_yaml(RUN_META)
    assert fast is not None
    assert fast == yaml.safe_load(RUN_META)


@pytest.mark.parametrize(
    "text",
    [
        "name: yes\n",  # YAML 1.1 bool
        "name: 0123\n",  # octal
        "name: 1.5\n",
        "name: 2001-12-14\n",  # timestamp
        "name: a #comment\n",
        "tags:\n  a: b\n",
        "name: 'multi\n  line'\n",
        'name: "dq\\n"\n',
        "---\nname: x\n",
        "name: [a, b]\n",
        "name: &anchor x\n",
        "name: .inf\n",
        "name: ~\n",
        # Line breaks, tabs and BOMs only the real parser handles, in ASCII text and not.
        "name: a\tb\n",
        "name: a\rb: c\n",
        "name: a\x7f\n",
        "name: é\x85b: c\n",
        "name: é\u2028b: c\n",
        "\ufeffname: é\n",
        "name: é\x01\n",
    ],
)
def test_fast_parser_defers_or_agrees(text: str) -> None:
    fast = parse_flat_yaml(text)
    if any(c in text for c in "\t\r\x7f\x85\u2028\ufeff\x01"):
        assert fast is None
    if fast is not None:
        assert fast == yaml.safe_load(text)
    # MLflow's loader: libyaml's where installed, which accepts a tab inside a scalar.
    mlflow_loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

    def mlflow_load(t: str) -> object:
        return yaml.load(t, Loader=mlflow_loader)  # noqa: S506 - a safe loader

    assert _outcome(load_yaml_text, text) == _outcome(mlflow_load, text)


def _outcome(load, text: str) -> object:
    try:
        return load(text)
    except yaml.YAMLError:
        return "error"


_scalars = st.one_of(
    st.none(),
    st.integers(min_value=-(2**63), max_value=2**63),
    st.text(max_size=40),
    st.sampled_from(["yes", "No", "null", "~", "1e3", "0x1F", "1_000", "a: b", "#x", "-", "'q'"]),
)


@settings(max_examples=400, deadline=None)
@given(st.dictionaries(st.from_regex(r"[a-z_]{1,12}", fullmatch=True), _scalars, max_size=8))
def test_fast_parser_never_disagrees_with_pyyaml(data: dict) -> None:
    for width in (80, 10_000):
        text = yaml.safe_dump(data, default_flow_style=False, allow_unicode=True, width=width)
        fast = parse_flat_yaml(text)
        if fast is not None:
            assert fast == yaml.safe_load(text)


def test_read_meta_errors(tmp_path: Path) -> None:
    with pytest.raises(MetaError, match="missing"):
        read_meta(str(tmp_path))
    (tmp_path / "meta.yaml").write_text("")
    with pytest.raises(MetaError, match="empty"):
        read_meta(str(tmp_path), retries=0)
    (tmp_path / "meta.yaml").write_text("- a\n- b\n")
    with pytest.raises(MetaError, match="mapping"):
        read_meta(str(tmp_path))
    (tmp_path / "meta.yaml").write_text("a: [unclosed\n")
    with pytest.raises(MetaError, match="invalid YAML"):
        read_meta(str(tmp_path))


def test_read_tree_matches_os_walk_order(tmp_path: Path) -> None:
    for key in ["b", "a/x", "a/y/z", "c d", "über", "a/b", "m.n"]:
        p = tmp_path / key
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text("v")
    expected = []
    for root, _, files in os.walk(tmp_path):
        expected += [os.path.relpath(os.path.join(root, f), tmp_path) for f in files]
    (tmp_path / "linked").symlink_to(tmp_path / "a")  # os.walk does not enter it
    errors: list[str] = []
    tree = read_tree(str(tmp_path), lambda p, e: errors.append(p))
    assert list(tree) == expected
    assert tree["a/y/z"] == b"v"
    assert read_tree(str(tmp_path / "missing"), lambda p, e: errors.append(p)) == {}
    assert errors == []


@pytest.mark.parametrize(
    ("key", "safe"),
    [
        ("a/b", True),
        ("a b", True),
        ("a..b", True),
        ("../x", False),
        ("/x", False),
        ("a//b", False),
        ("a/./b", False),
        (".", False),
        ("", False),
        ("a/", False),
    ],
)
def test_is_safe_key(key: str, safe: bool) -> None:
    assert is_safe_key(key) is safe


# -- metric files ----------------------------------------------------------------------------


def _mlflow_latest(tmp_path: Path, lines: list[str]):
    from mlflow.store.tracking.file_store import FileStore as MlflowFileStore

    (tmp_path / "m").write_text("".join(lines))
    return MlflowFileStore._get_metric_from_file(str(tmp_path), "m", "r", "0")


def _same_float(a: float, b: float) -> bool:
    return (math.isnan(a) and math.isnan(b)) or a == b


_values = st.one_of(
    st.sampled_from([float("nan"), float("inf"), float("-inf"), 0.0, -0.0, 1.0, 0.5]),
    st.floats(allow_nan=True, allow_infinity=True, width=64),
)
_events = st.lists(
    st.tuples(st.integers(0, 3), _values, st.integers(-1, 3), st.booleans()),
    min_size=1,
    max_size=12,
)


@settings(max_examples=300, deadline=None)
@given(_events)
def test_latest_value_is_mlflows(tmp_path_factory, events) -> None:
    tmp_path = tmp_path_factory.mktemp("metric")
    lines = []
    for ts, value, step, with_dataset in events:
        # The same text MLflow's _log_run_metric writes.
        if with_dataset:
            lines.append(f"{ts} {value} {step} ds d1g\n")
        else:
            lines.append(f"{ts} {value} {step}\n")
    expected = _mlflow_latest(tmp_path, lines)
    got = latest_event("".join(lines).encode(), "m")
    assert got is not None
    ts, value, step, name, digest = got
    assert (ts, step, name, digest) == (
        expected.timestamp,
        expected.step,
        expected.dataset_name,
        expected.dataset_digest,
    )
    assert _same_float(value, expected.value)


def test_metric_line_forms_and_literals() -> None:
    data = b"10 0.5\n11 nan 1\n12 inf 2 train abc\n13 -inf 3\n14 1e-05 4\n"
    events = parse_events(data, "k")
    assert [(e[0], e[2], e[3]) for e in events] == [
        (10, 0, None),
        (11, 1, None),
        (12, 0, "train"),  # MLflow reads 5-field lines with step 0
        (13, 3, None),
        (14, 4, None),
    ]
    assert math.isnan(events[1][1]) and events[2][1] == math.inf and events[3][1] == -math.inf
    assert latest_event(data, "k")[:3] == (14, 1e-05, 4)


def test_half_written_last_line_is_ignored(tmp_path: Path) -> None:
    path = tmp_path / "loss"
    path.write_bytes(b"1 0.5 0\n2 0.4 1\n3 0.")
    assert [m.value for m in read_history(str(path), "loss")] == [0.5, 0.4]
    assert read_latest(str(path), "loss").step == 1
    path.write_bytes(b"1 0.5")  # the first line is still being written
    assert read_latest(str(path), "loss") is None
    assert read_history(str(path), "loss") == []
    path.write_bytes(b"")
    assert read_latest(str(path), "loss") is None


@pytest.mark.parametrize("middle", ["1 2 3 4\n", "abc 0.5 1\n", "\n", "1  0.5 2\n"])
def test_malformed_middle_line_raises(middle: str) -> None:
    data = ("1 0.5 0\n" + middle + "3 0.1 2\n").encode()
    with pytest.raises(MalformedMetricError, match="Metric 'k' is malformed"):
        latest_event(data, "k")
    with pytest.raises(MalformedMetricError):
        parse_events(data, "k")


def test_missing_metric_file(tmp_path: Path) -> None:
    assert read_latest(str(tmp_path / "nope"), "nope") is None
    assert read_history(str(tmp_path / "nope"), "nope") == []
    assert read_latest(str(tmp_path), "dir") is None  # a key that is a folder (prefix key)


# -- artifacts -------------------------------------------------------------------------------


def _make_artifacts(root: Path) -> None:
    (root / "model" / "sub").mkdir(parents=True)
    (root / "model" / "MLmodel").write_text("flavors: {}\n")
    (root / "model" / "sub" / "w.bin").write_bytes(b"\0" * 7)
    (root / "notes.txt").write_text("hello")
    (root / "data dir").mkdir()
    (root / ".artifact.uploading.tmp").write_text("partial")


def test_local_artifacts_match_mlflow(tmp_path: Path) -> None:
    from mlflow.store.artifact.local_artifact_repo import LocalArtifactRepository

    root = tmp_path / "artifacts"
    _make_artifacts(root)
    repo = LocalArtifactRepository(root.as_uri())
    for path in (None, "model", "model/sub", "model/", "notes.txt", "missing"):
        expected = [(f.path, f.is_dir, f.file_size) for f in repo.list_artifacts(path)]
        for uri in (root.as_uri(), str(root)):
            got = [(f.path, f.is_dir, f.file_size) for f in list_local_artifacts(uri, path)]
            assert got == expected, (path, uri)


def test_local_artifacts_refuse_escape_and_remote(tmp_path: Path) -> None:
    root = tmp_path / "artifacts"
    _make_artifacts(root)
    (tmp_path / "secret").mkdir()
    (root / "link").symlink_to(tmp_path / "secret")
    for bad in ("../", "../secret", "/etc", "model/../../secret", "link"):
        with pytest.raises(InvalidArgumentError):
            list_local_artifacts(root.as_uri(), bad)
    with pytest.raises(StoreError, match="s3://"):
        list_local_artifacts("s3://bucket/path", None)
    assert list_local_artifacts((tmp_path / "none").as_uri(), None) == []
