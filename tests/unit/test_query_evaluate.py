"""Evaluator: MLflow file-store semantics of filters and sorts over tuiflow entities."""

from __future__ import annotations

import math

import pytest

from tuiflow.entities import (
    Dataset,
    DatasetInput,
    Experiment,
    Metric,
    ModelVersion,
    RegisteredModel,
    Run,
)
from tuiflow.query.evaluate import (
    RunFields,
    experiment_matches,
    model_version_matches,
    registered_model_matches,
    required_fields,
    run_matches,
    sort_experiments,
    sort_model_versions,
    sort_registered_models,
    sort_runs,
)
from tuiflow.query.like import like
from tuiflow.query.parser import (
    parse_experiment_filter,
    parse_experiment_order_by,
    parse_model_version_filter,
    parse_model_version_order_by,
    parse_registered_model_filter,
    parse_registered_model_order_by,
    parse_run_filter,
    parse_run_order_by,
)


def run(
    run_id: str,
    *,
    start: int | None = 1000,
    end: int | None = 2000,
    metrics: dict[str, float] | None = None,
    params: dict[str, str] | None = None,
    tags: dict[str, str] | None = None,
    inputs: tuple[DatasetInput, ...] = (),
    name: str | None = None,
    status: str = "FINISHED",
) -> Run:
    return Run(
        run_id=run_id,
        experiment_id="1",
        run_name=name or run_id,
        user_id="u",
        status=status,
        start_time=start,
        end_time=end,
        lifecycle_stage="active",
        artifact_uri=None,
        metrics={k: Metric(k, v, 0) for k, v in (metrics or {}).items()},
        params=params or {},
        tags=tags or {},
        inputs=inputs,
    )


def ds(name: str, digest: str, context: str | None = None) -> DatasetInput:
    tags = {"mlflow.data.context": context} if context is not None else {}
    return DatasetInput(Dataset(name, digest), tags)


def ids(text: str, runs: list[Run], extended: bool = False) -> list[str]:
    pred = run_matches(parse_run_filter(text, extended=extended))
    return [r.run_id for r in runs if pred(r)]


VALUES = {
    "nan": math.nan,
    "inf": math.inf,
    "-inf": -math.inf,
    "m1000": -1000.0,
    "zero": 0.0,
    "p1000": 1000.0,
}
NUMERIC_RUNS = [run(k, metrics={"m": v}) for k, v in VALUES.items()] + [run("none")]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("metrics.m = 0", ["zero"]),
        ("metrics.m != 0", ["nan", "inf", "-inf", "m1000", "p1000"]),  # NaN only matches !=
        ("metrics.m > -1e308", ["inf", "m1000", "zero", "p1000"]),
        ("metrics.m >= -1000", ["inf", "m1000", "zero", "p1000"]),
        ("metrics.m < 0", ["-inf", "m1000"]),
        ("metrics.m <= 1e400", ["inf", "-inf", "m1000", "zero", "p1000"]),  # 1e400 is inf
        ("metrics.m = 1000", ["p1000"]),
        ("metrics.m > 1e308", ["inf"]),
    ],
)
def test_metric_comparisons_nan_inf_missing(text: str, expected: list[str]) -> None:
    assert ids(text, NUMERIC_RUNS) == expected


def test_missing_keys_never_match_not_even_not_equal() -> None:
    runs = [run("has", params={"p": "a"}, tags={"t": ""}), run("lacks")]
    assert ids("params.p != 'b'", runs) == ["has"]
    assert ids("tags.t != 'x'", runs) == ["has"]
    assert ids("metrics.m != 1", runs) == []
    assert ids("params.p IS NULL", runs) == ["lacks"]
    assert ids("tags.t IS NOT NULL", runs) == ["has"]  # '' is present


def test_awkward_keys() -> None:
    r = run(
        "r",
        metrics={"a/b": 1.0, "spacey name": 2.0, "acc.2.0": 3.0, "准确率": 0.9},
        params={"cat dog": "pets", "p.a.r.a.m": "x"},
        tags={"mlflow.runName": "r", "nested/tag": "v"},
    )
    for text in (
        "metrics.`a/b` = 1",
        'metrics."spacey name" = 2',
        "metrics.`acc.2.0` = 3",
        "metrics.准确率 > 0.5",
        "params.'cat dog' = 'pets'",
        'params."p.a.r.a.m" = "x"',
        "tags.mlflow.runName = 'r'",
        "tags.\"nested/tag\" LIKE 'v%'",
    ):
        assert ids(text, [r]) == ["r"], text


def test_case_sensitivity_and_like() -> None:
    runs = [run("a", params={"m": "LinearRegression"}), run("b", params={"m": "linearregression"})]
    assert ids("params.m = 'linearregression'", runs) == ["b"]
    assert ids("params.m LIKE 'Linear%'", runs) == ["a"]
    assert ids("params.m ILIKE 'LINEAR%'", runs) == ["a", "b"]
    assert ids("params.m LIKE '_inear%'", runs) == ["a", "b"]
    assert ids("params.m LIKE 'Linear'", runs) == []  # anchored
    assert ids("params.m LIKE '%Regression'", runs) == ["a"]


def test_like_matches_mlflow_regex_translation() -> None:
    assert like("a.b", "a.b") and not like("axb", "a.b")  # regex metacharacters are literal
    assert like("C+", "C+") and like("jamie-foo C+x", "jamie-foo C+%")
    assert like("a%b", "a%b") and like("axyzb", "a%b")  # no escape for % …
    assert like("a_b", "a\\_b") is False  # … and a backslash is a literal backslash
    assert like("a\\xb", "a\\_b")
    # no DOTALL: % does not cross a newline, but $ matches before a final newline
    assert not like("line1\nline2", "line1%line2")
    assert like("prod\n", "prod")
    assert like("line1\nline2", "line1%")


def test_attributes() -> None:
    runs = [
        run("a", start=1000, end=1500, name="alpha", status="FINISHED"),
        run("b", start=2000, end=None, name="Beta run", status="RUNNING"),
    ]
    assert ids("attributes.end_time > 0", runs) == ["a"]  # no end time never matches
    assert ids("attributes.end_time != 0", runs) == ["a"]
    assert ids("created >= 2000", runs) == ["b"]
    assert ids("attributes.start_time > 1500.5", runs) == ["b"]
    assert ids("attributes.status = 'finished'", runs) == []
    assert ids("attributes.`Run name` = 'Beta run'", runs) == ["b"]
    assert ids("run_name LIKE '%a'", runs) == ["a"]
    assert ids("attributes.run_id NOT IN ('a')", runs) == ["b"]


def test_each_dataset_clause_may_match_a_different_input() -> None:
    r = run("r", inputs=(ds("name1", "digest1", "train"), ds("name2", "digest2")))
    assert ids("datasets.name = 'name1' AND datasets.digest = 'digest2'", [r]) == ["r"]
    assert ids("datasets.context = 'train'", [r]) == ["r"]
    assert ids("datasets.context != 'train'", [r]) == []  # inputs without context don't count
    assert ids("datasets.name != 'name1'", [r]) == ["r"]  # name2 differs
    assert ids("datasets.digest NOT IN ('digest1', 'digest2')", [r]) == []
    assert ids("datasets.name = 'x'", [run("none")]) == []


def test_extended_or_and_not() -> None:
    runs = [run("a", params={"p": "x"}), run("b", params={"p": "y"}), run("c")]
    assert ids("params.p = 'x' OR params.p = 'y'", runs, extended=True) == ["a", "b"]
    # NOT is plain negation: runs without the param are included
    assert ids("NOT params.p = 'x'", runs, extended=True) == ["b", "c"]
    assert ids("NOT (params.p = 'x' OR params.p IS NULL)", runs, extended=True) == ["b"]


# -- sorting ------------------------------------------------------------------------------------


def test_default_order_is_start_time_desc_then_run_id() -> None:
    runs = [run("b", start=1), run("a", start=1), run("c", start=5), run("z", start=None)]
    assert [r.run_id for r in sort_runs(runs, ())] == ["c", "a", "b", "z"]


def test_nan_then_missing_last_in_both_directions() -> None:
    asc = sort_runs(NUMERIC_RUNS, parse_run_order_by(["metrics.m ASC"]))
    desc = sort_runs(NUMERIC_RUNS, parse_run_order_by(["metrics.m DESC"]))
    assert [r.run_id for r in asc] == ["-inf", "m1000", "zero", "p1000", "inf", "nan", "none"]
    assert [r.run_id for r in desc] == ["inf", "p1000", "zero", "m1000", "-inf", "nan", "none"]


def test_params_sort_as_strings_and_ties_keep_default_order() -> None:
    runs = [
        run("a", start=1, params={"n": "10"}),
        run("b", start=2, params={"n": "9"}),
        run("c", start=3, params={"n": "10"}),
        run("d", start=4),
    ]
    keys = parse_run_order_by(["params.n"])
    assert [r.run_id for r in sort_runs(runs, keys)] == ["c", "a", "b", "d"]
    keys = parse_run_order_by(["params.n DESC", "attributes.start_time ASC"])
    assert [r.run_id for r in sort_runs(runs, keys)] == ["b", "a", "c", "d"]


def test_required_fields() -> None:
    node = parse_run_filter(
        "metrics.acc > 1 AND params.p = 'x' AND tags.t IS NULL AND datasets.name = 'd'"
    )
    need = required_fields(node, parse_run_order_by(["metrics.loss", "run_name"]))
    assert need == RunFields(
        metrics=frozenset({"acc", "loss"}),
        params=frozenset({"p"}),
        tags=frozenset({"t", "mlflow.runName"}),
        datasets=True,
    )
    assert required_fields(parse_run_filter(None)) == RunFields()
    assert not (need.all_metrics or need.all_params or need.all_tags)


# -- experiments and the registry ----------------------------------------------------------------


def exp(eid: str, name: str, created: int | None, tags: dict[str, str] | None = None) -> Experiment:
    return Experiment(
        eid, name, None, creation_time=created, last_update_time=created, tags=tags or {}
    )


EXPS = [
    exp("0", "Default", 100),
    exp("10", "b", 200, {"team": "ml"}),
    exp("9", "c", 200),
    exp("5", "d", None),
]


def test_experiment_filter_and_sort() -> None:
    def match(text: str) -> list[str]:
        pred = experiment_matches(parse_experiment_filter(text))
        return [e.experiment_id for e in EXPS if pred(e)]

    assert match("tags.team IS NULL") == ["0", "9", "5"]
    assert match("creation_time >= 150") == ["10", "9"]  # None never matches
    assert match("experiment_id IN ('0', '5')") == ["0", "5"]
    assert match("name LIKE 'D%'") == ["0"]
    default = [e.experiment_id for e in sort_experiments(EXPS, ())]
    assert default == ["10", "9", "0", "5"]  # creation_time DESC, then id as string ASC
    by_id = sort_experiments(EXPS, parse_experiment_order_by(["experiment_id"]))
    assert [e.experiment_id for e in by_id] == ["0", "10", "5", "9"]  # string order
    by_time = sort_experiments(EXPS, parse_experiment_order_by(["creation_time"]))
    assert [e.experiment_id for e in by_time] == ["0", "9", "10", "5"]  # tie: id DESC


def mv(name: str, version: int, updated: int, stage: str = "None", **kw) -> ModelVersion:
    return ModelVersion(name, version, 0, updated, current_stage=stage, **kw)


def test_model_versions() -> None:
    versions = [
        mv("a", 1, 5, source="s3://x/1", run_id="r1", tags={"v": "1"}),
        mv("a", 2, 5, source="s3://x/2"),
        mv("a", 3, 9, stage="Deleted_Internal"),
        mv("b", 10, 1, tags={"mlflow.prompt.is_prompt": "true"}),
    ]

    def match(text: str | None) -> list[tuple[str, int]]:
        pred = model_version_matches(parse_model_version_filter(text))
        return [(v.name, v.version) for v in versions if pred(v)]

    assert match(None) == [("a", 1), ("a", 2), ("b", 10)]  # deleted versions never match
    assert match("version_number >= 1.5") == [("a", 1), ("a", 2), ("b", 10)]  # int(1.5) = 1
    assert match("version_number > 1.5") == [("a", 2), ("b", 10)]
    assert match("version_number = '2'") == [("a", 2)]
    assert match("source_path LIKE 's3://x/%'") == [("a", 1), ("a", 2)]
    assert match("run_id = 'r1'") == [("a", 1)]
    assert match("tags.`mlflow.prompt.is_prompt` != 'true'") == [("a", 1), ("a", 2)]
    assert match("tags.v != '2'") == [("a", 1)]
    ordered = sort_model_versions(versions, ())
    assert [(v.name, v.version) for v in ordered] == [("a", 3), ("a", 2), ("a", 1), ("b", 10)]
    ordered = sort_model_versions(versions, parse_model_version_order_by(["version_number"]))
    assert [v.version for v in ordered] == [1, 2, 3, 10]


def test_registered_models() -> None:
    models = [
        RegisteredModel("beta", 2, 20, tags={"team": "ml"}),
        RegisteredModel("Alpha", 1, 20),
        RegisteredModel("p", 3, None, tags={"mlflow.prompt.is_prompt": "true"}),
    ]

    def match(text: str) -> list[str]:
        pred = registered_model_matches(parse_registered_model_filter(text))
        return [m.name for m in models if pred(m)]

    assert match("tags.`mlflow.prompt.is_prompt` = 'false'") == ["beta", "Alpha"]
    assert match("tags.`mlflow.prompt.is_prompt` = 'true'") == ["p"]
    assert match("name IN ('Alpha', 'p')") == ["Alpha", "p"]
    assert match("tags.team != 'x'") == ["beta"]
    assert [m.name for m in sort_registered_models(models, ())] == ["Alpha", "beta", "p"]
    keys = parse_registered_model_order_by(["timestamp DESC"])
    assert [m.name for m in sort_registered_models(models, keys)] == ["Alpha", "beta", "p"]
