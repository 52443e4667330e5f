"""Compare rows and scatter points (tuiflow.compare), on the sample store and edge cases."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tuiflow.compare import (
    SECTIONS,
    CompareRow,
    category_order,
    compare_rows,
    default_axes,
    differences_only,
    differs,
    scatter_fields,
    scatter_points,
    sort_rows,
    split_field,
    values_equal,
)
from tuiflow.entities import Metric, Run
from tuiflow.stores.file import FileStore

SAMPLE = Path(__file__).resolve().parents[2] / "sample_mlruns"
NAN = float("nan")


@pytest.fixture(scope="module")
def sample() -> FileStore:
    store = FileStore(SAMPLE)
    yield store
    store.close()


def _runs(store: FileStore, name: str) -> list[Run]:
    exp = store.get_experiment_by_name(name)
    assert exp is not None
    return list(store.search_runs([exp.experiment_id]).items)


def _run(run_id: str, params=None, metrics=None, tags=None, name: str = "") -> Run:
    return Run(
        run_id=run_id,
        experiment_id="0",
        run_name=name or run_id,
        user_id="u",
        status="FINISHED",
        start_time=1,
        end_time=2,
        lifecycle_stage="active",
        artifact_uri=None,
        metrics={k: Metric(k, v, 0) for k, v in (metrics or {}).items()},
        params=dict(params or {}),
        tags=dict(tags or {}),
    )


# -- compare rows -------------------------------------------------------------------------


def test_rows_of_sample_runs_match_their_values(sample):
    runs = _runs(sample, "iris_experiment")[:3]
    rows = compare_rows(runs)
    by_id = {row.id: row for row in rows}
    params = sorted({k for r in runs for k in r.params})
    metrics = sorted({k for r in runs for k in r.metrics})
    tags = sorted({k for r in runs for k in r.tags if not k.startswith("mlflow.")})
    assert [r.id for r in rows] == (
        [f"params.{k}" for k in params]
        + [f"metrics.{k}" for k in metrics]
        + [f"tags.{k}" for k in tags]
    )
    for key in params:
        values = tuple(r.params.get(key) for r in runs)
        assert by_id[f"params.{key}"].values == values
        assert by_id[f"params.{key}"].differs == (len(set(values)) > 1)
    for key in metrics:
        assert by_id[f"metrics.{key}"].values == tuple(r.metrics[key].value for r in runs)
    # The sample has both kinds, so the flag is really tested both ways.
    assert by_id["params.C"].differs and not by_id["params.random_state"].differs
    assert "tags.mlflow.runName" not in by_id
    assert [r.id for r in compare_rows(runs, tags=False)] == [
        r.id for r in rows if r.section != "tags"
    ]


def test_missing_versus_present_differs_and_missing_everywhere_cannot_happen():
    a = _run("a", params={"lr": "0.1", "only_a": "x"}, metrics={"acc": 0.5})
    b = _run("b", params={"lr": "0.1"}, metrics={"acc": 0.5, "loss": 1.0})
    rows = {r.id: r for r in compare_rows([a, b])}
    assert rows["params.only_a"].values == ("x", None)
    assert rows["params.only_a"].differs
    assert rows["metrics.loss"].values == (None, 1.0)
    assert rows["metrics.loss"].differs
    assert not rows["params.lr"].differs
    assert not rows["metrics.acc"].differs


def test_metrics_compare_by_value_with_nan_equal_to_nan():
    a = _run("a", metrics={"loss": NAN, "acc": 1.0, "z": 0.0})
    b = _run("b", metrics={"loss": NAN, "acc": 1, "z": -0.0})
    c = _run("c", metrics={"loss": 0.3, "acc": 1.0, "z": 0.0})
    rows = {r.id: r for r in compare_rows([a, b])}
    assert not rows["metrics.loss"].differs
    assert not rows["metrics.acc"].differs
    assert not rows["metrics.z"].differs
    assert {r.id: r.differs for r in compare_rows([a, c])}["metrics.loss"]


def test_params_compare_as_logged_strings():
    rows = {r.id: r for r in compare_rows([_run("a", {"C": "1"}), _run("b", {"C": "1.0"})])}
    assert rows["params.C"].differs  # MLflow params are strings: "1" is not "1.0"


@pytest.mark.parametrize(
    ("a", "b", "equal"),
    [
        (None, None, True),
        (None, "x", False),
        (0.5, None, False),
        (NAN, NAN, True),
        (NAN, 1.0, False),
        ("a", "a", True),
        ("1", 1.0, False),
        (math.inf, math.inf, True),
    ],
)
def test_values_equal(a, b, equal):
    assert values_equal(a, b) is equal
    assert values_equal(b, a) is equal


@given(st.lists(st.one_of(st.none(), st.floats(), st.sampled_from("abc")), min_size=1))
def test_differs_is_more_than_one_distinct_value(values):
    def norm(v):
        if isinstance(v, float) and math.isnan(v):
            return ("nan",)
        if isinstance(v, float):
            return ("f", v)
        return ("v", v)

    assert differs(values) == (len({norm(v) for v in values}) > 1)


def test_sort_keeps_sections_and_can_put_differences_first():
    rows = [
        CompareRow("metrics", "b", (1.0, 1.0), False),
        CompareRow("params", "Z", ("1", "2"), True),
        CompareRow("params", "a", ("1", "1"), False),
        CompareRow("metrics", "a", (1.0, 2.0), True),
        CompareRow("tags", "t", ("x", None), True),
        CompareRow("params", "b", ("1", "1"), False),
    ]
    by_key = [r.id for r in sort_rows(rows)]
    assert by_key == ["params.a", "params.b", "params.Z", "metrics.a", "metrics.b", "tags.t"]
    first = [r.id for r in sort_rows(rows, "differs")]
    assert first == ["params.Z", "params.a", "params.b", "metrics.a", "metrics.b", "tags.t"]
    assert [r.section for r in sort_rows(rows, "differs")] == sorted(
        (r.section for r in rows), key=SECTIONS.index
    )


def test_differences_only_drops_equal_rows(sample):
    runs = _runs(sample, "iris_experiment")[:3]
    rows = compare_rows(runs)
    kept = differences_only(rows)
    assert 0 < len(kept) < len(rows)
    assert all(r.differs for r in kept)
    assert [r.id for r in kept] == [r.id for r in rows if r.differs]


# -- scatter ------------------------------------------------------------------------------


def test_numeric_param_against_metric_on_sample(sample):
    runs = _runs(sample, "iris_experiment")
    data = scatter_points(runs, "params.C", "metrics.eval_acc")
    assert not data.categorical and data.missing == 0
    expected = {(r.run_id, float(r.params["C"]), r.metrics["eval_acc"].value) for r in runs}
    assert {(p.run_id, p.x, p.y) for p in data.points} == expected
    assert {p.x_text for p in data.points} == {r.params["C"] for r in runs}


def test_param_with_a_word_becomes_categories_in_numeric_then_text_order(sample):
    runs = _runs(sample, "wine_tuning")
    data = scatter_points(runs, "params.max_depth", "metrics.loss")
    assert data.categorical
    with_both = [r for r in runs if "max_depth" in r.params and "loss" in r.metrics]
    labels = {r.params["max_depth"] for r in with_both}
    assert "None" in labels  # the sample's OOM run: the reason this axis is categorical
    assert data.x_categories == tuple(category_order(labels))
    assert data.x_categories[-1] == "None"
    assert data.missing == len(runs) - len(with_both)
    for point in data.points:
        run = next(r for r in runs if r.run_id == point.run_id)
        assert data.x_categories[int(point.x)] == run.params["max_depth"] == point.x_text
        assert point.y == run.metrics["loss"].value


def test_category_order():
    assert category_order(["12", "b", "2", "a", "2", "1e1"]) == ["2", "1e1", "12", "a", "b"]


def test_metric_x_and_undrawable_values_are_counted_as_missing():
    runs = [
        _run("a", metrics={"x": 1.0, "y": 2.0}),
        _run("b", metrics={"x": NAN, "y": 2.0}),
        _run("c", metrics={"x": 1.0, "y": math.inf}),
        _run("d", metrics={"y": 3.0}),
        _run("e", metrics={"x": 4.0, "y": 5.0}),
    ]
    data = scatter_points(runs, "metrics.x", "metrics.y")
    assert [(p.run_id, p.x, p.y) for p in data.points] == [("a", 1.0, 2.0), ("e", 4.0, 5.0)]
    assert data.missing == 3 and not data.categorical


def test_nan_param_text_makes_the_axis_categorical():
    runs = [_run("a", {"p": "nan"}, {"y": 1.0}), _run("b", {"p": "2"}, {"y": 2.0})]
    assert scatter_points(runs, "params.p", "metrics.y").x_categories == ("2", "nan")


def test_fields_and_errors():
    assert split_field("params.a.b") == ("params", "a.b")
    for bad in ("tags.x", "params.", "metrics", "attributes.status"):
        with pytest.raises(ValueError):
            split_field(bad)
    with pytest.raises(ValueError):
        scatter_points([], "metrics.a", "params.b")
    runs = [_run("a", {"p": "1"}, {"m": 1.0}), _run("b", {"q": "x"}, {"n": 2.0})]
    assert scatter_fields(runs) == (
        ["params.p", "params.q", "metrics.m", "metrics.n"],
        ["metrics.m", "metrics.n"],
    )


def test_default_axes(sample):
    assert default_axes(_runs(sample, "iris_experiment")) == ("params.C", "metrics.eval_acc")
    wine = _runs(sample, "wine_tuning")
    x, y = default_axes(wine)
    # The most common metric, and a numeric param that varies, present with it.
    assert y == "metrics.loss"
    assert x.startswith("params.") and not scatter_points(wine, x, y).categorical
    assert default_axes([_run("a", {"p": "1"})]) is None
    only_metrics = [_run("a", metrics={"m": 1.0, "n": 2.0}), _run("b", metrics={"m": 3.0})]
    assert default_axes(only_metrics) == ("metrics.n", "metrics.m")
