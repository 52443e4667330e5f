"""Parser: the reference's §7 catalogue row by row, error wording and offsets, extensions."""

from __future__ import annotations

import contextlib

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tuiflow.entities import Dataset, DatasetInput, Metric, Run
from tuiflow.errors import QueryError
from tuiflow.query import (
    parse_experiment_filter,
    parse_experiment_order_by,
    parse_model_version_filter,
    parse_model_version_order_by,
    parse_registered_model_filter,
    parse_registered_model_order_by,
    parse_run_filter,
    parse_run_order_by,
)
from tuiflow.query.ast import MATCH_ALL, And, Comparison, Not, Or, is_mlflow_syntax
from tuiflow.query.evaluate import run_matches


def one(text: str, parse=parse_run_filter) -> Comparison:
    node = parse(text)
    assert isinstance(node, And) and len(node.terms) == 1
    term = node.terms[0]
    assert isinstance(term, Comparison)
    return term


def shape(c: Comparison) -> tuple:
    return (c.ident.entity, c.ident.key, c.op, c.value)


def error(text: str, parse=parse_run_filter) -> QueryError:
    with pytest.raises(QueryError) as info:
        parse(text)
    return info.value


# -- §7.1 valid rows: what each one means -----------------------------------------------------

VALID = [
    ("metrics.acc > 0.8", ("metric", "acc", ">", 0.8)),
    ("metric.acc >= 0.94", ("metric", "acc", ">=", 0.94)),
    ("metrics.acc>=0.5", ("metric", "acc", ">=", 0.5)),
    ('metrics."legit name" >= 0.243', ("metric", "legit name", ">=", 0.243)),
    ("metrics.`spacey name` > 5", ("metric", "spacey name", ">", 5)),
    ('metrics."accuracy.2.0" > 5', ("metric", "accuracy.2.0", ">", 5)),
    ('metrics."X-Y-Z" = 3', ("metric", "X-Y-Z", "=", 3)),
    ('metrics."X//Y#$$@&Z" = 3', ("metric", "X//Y#$$@&Z", "=", 3)),
    ("metrics.loss != 1", ("metric", "loss", "!=", 1)),
    ("metrics.loss > -1", ("metric", "loss", ">", -1)),
    ("metrics.acc > 1e-1", ("metric", "acc", ">", 0.1)),
    ("metrics.acc > .5", ("metric", "acc", ">", 0.5)),
    ("metrics.acc > 5.", ("metric", "acc", ">", 5.0)),
    ("`metrics`.acc > 0.6", ("metric", "acc", ">", 0.6)),
    ("metrics.`acc` > 0.6", ("metric", "acc", ">", 0.6)),
    ("params.model = 'LinearRegression'", ("parameter", "model", "=", "LinearRegression")),
    ('params.model = "LinearRegression"', ("parameter", "model", "=", "LinearRegression")),
    ('params."m"!="tf"', ("parameter", "m", "!=", "tf")),
    ("param.model != 'RandomForest'", ("parameter", "model", "!=", "RandomForest")),
    ("parameters.lr = '0.01'", ("parameter", "lr", "=", "0.01")),
    ('params."cat dog" = "pets"', ("parameter", "cat dog", "=", "pets")),
    ("params.`cat dog` = 'pets'", ("parameter", "cat dog", "=", "pets")),
    ("params.'cat dog' = 'pets'", ("parameter", "cat dog", "=", "pets")),
    ('params.m = "L\'Hosp"', ("parameter", "m", "=", "L'Hosp")),
    ("params.m = 'L\\'Hosp'", ("parameter", "m", "=", "L\\'Hosp")),  # no escapes
    ("params.m = 'L''Hosp'", ("parameter", "m", "=", "L''Hosp")),
    ("params.model LIKE 'Linear%'", ("parameter", "model", "LIKE", "Linear%")),
    ("params.model ilike 'linear%'", ("parameter", "model", "ILIKE", "linear%")),
    ("params.lr IS NULL", ("parameter", "lr", "IS NULL", None)),
    ("params.lr is not null", ("parameter", "lr", "IS NOT NULL", None)),
    ("tags.env = 'prod'", ("tag", "env", "=", "prod")),
    ('tags."t.a.g" = "a"', ("tag", "t.a.g", "=", "a")),
    ("tags.`mlflow.runName` = 'alpha'", ("tag", "mlflow.runName", "=", "alpha")),
    ("tags.mlflow.runName = 'alpha'", ("tag", "mlflow.runName", "=", "alpha")),
    ("`tags`.source_name = 'a notebook'", ("tag", "source_name", "=", "a notebook")),
    ("tags.version IS NULL", ("tag", "version", "IS NULL", None)),
    ("attributes.status = 'FINISHED'", ("attribute", "status", "=", "FINISHED")),
    ('run.status = "RUNNING"', ("attribute", "status", "=", "RUNNING")),
    ("attributes.status ILIKE 'fin%'", ("attribute", "status", "ILIKE", "fin%")),
    ("run_name = 'alpha'", ("attribute", "run_name", "=", "alpha")),
    ("attr.run_name = 'alpha'", ("attribute", "run_name", "=", "alpha")),
    ("attributes.`Run name` = 'alpha'", ("attribute", "run_name", "=", "alpha")),
    ("attributes.\"Run Name\" = 'x'", ("attribute", "run_name", "=", "x")),
    ("\"run name\" = 'x'", ("attribute", "run_name", "=", "x")),
    ("attributes.run_id IN ('a', \"b\")", ("attribute", "run_id", "IN", ("a", "b"))),
    ("attributes.run_id NOT IN ('a')", ("attribute", "run_id", "NOT IN", ("a",))),
    ("run_id in ('a',)", ("attribute", "run_id", "IN", ("a",))),
    ("attributes.start_time > 1500", ("attribute", "start_time", ">", 1500)),
    ("attributes.created >= 2000", ("attribute", "start_time", ">=", 2000)),
    ("created < 2000", ("attribute", "start_time", "<", 2000)),
    ("attributes.Created <= 1000", ("attribute", "start_time", "<=", 1000)),
    ("attributes.start_time > 1.5", ("attribute", "start_time", ">", 1.5)),
    ("attributes.end_time > 0", ("attribute", "end_time", ">", 0)),
    ("attribute.artifact_uri = '1/23/4'", ("attribute", "artifact_uri", "=", "1/23/4")),
    ("datasets.name = 'mydata'", ("dataset", "name", "=", "mydata")),
    ("dataset.digest IN ('abc123','zzz')", ("dataset", "digest", "IN", ("abc123", "zzz"))),
    ("datasets.context = 'training'", ("dataset", "context", "=", "training")),
    ("metrics.1abc > 1", ("metric", "1abc", ">", 1)),
    ("params.select = 'x'", ("parameter", "select", "=", "x")),
    ("params.`from` = 'x'", ("parameter", "from", "=", "x")),
    ("tags.my key IS NULL", ("tag", "my key", "IS NULL", None)),  # sqlparse's alias
    ("metrics.准确率 > 0.5", ("metric", "准确率", ">", 0.5)),
    ("metrics.`a/b` > 1", ("metric", "a/b", ">", 1)),
    ('tags.x = "a"."b"', ("tag", "x", "=", 'a"."b')),  # MLflow strips one pair
]


@pytest.mark.parametrize(("text", "expected"), VALID)
def test_valid_filters_mean_what_mlflow_means(text: str, expected: tuple) -> None:
    c = one(text)
    assert shape(c) == expected
    assert type(c.value) is type(expected[3])  # int stays int, float stays float


def test_several_clauses_and_stray_ands() -> None:
    for text in (
        "metrics.acc > 0.5 AND metrics.acc < 0.95",
        "metrics.acc > 0.5 and metrics.acc < 0.95",
        "AND metrics.acc > 0.5 AND AND metrics.acc < 0.95 AND",
        "metrics.acc > 0.5\tAND\nmetrics.acc < 0.95",
        "metrics.acc > 0.5 metrics.acc < 0.95",  # sqlparse needs no AND here
    ):
        node = parse_run_filter(text)
        assert isinstance(node, And) and len(node.terms) == 2, text
        assert is_mlflow_syntax(node)


@pytest.mark.parametrize("text", [None, "", "AND", "AND AND"])
def test_empty_filters_match_everything(text: str | None) -> None:
    assert parse_run_filter(text) == MATCH_ALL


def test_offsets_of_identifier_and_comparator() -> None:
    node = parse_run_filter("metrics.acc > 1 AND  params.lr = 'x'")
    assert isinstance(node, And)
    a, b = node.terms
    assert (a.ident.offset, a.offset) == (0, 12)
    assert (b.ident.offset, b.offset) == (21, 31)
    assert b.ident.text == "params.lr"


# -- §7.1 invalid rows: message and the offending token -----------------------------------------

INVALID = [
    ("metrics.X-Y-Z = 3", "Invalid comparison clause", "-"),
    ("metrics.acc > +0.5", "Invalid clause(s)", "+"),
    ("metrics.acc = '0.9'", "Expected numeric value type for metric. Found '0.9'", "'0.9'"),
    ("metrics.acc IS NULL", "supported for tags and params, not for 'metric' 'acc'", "metrics"),
    ("metrics.acc != metrics.acc", "Found metrics.acc", "metrics.acc"),
    ("metrics.acc == 1", "Invalid comparator '=='", "=="),
    ("metrics.acc <> 1", "Invalid comparator '<>'", "<>"),
    ("params.model NOT LIKE 'x%'", "Invalid comparator 'NOT LIKE'", "NOT LIKE"),
    ("params.lr = 0.01", "Expected a quoted string value for parameter", "0.01"),
    ("params.lr > '0.01'", "Invalid comparator '>'", ">"),
    ("params.model = LR", "either not quoted", "LR"),
    ("params.acc = `LR`", "either not quoted", "`LR`"),
    ("tags.acc = 5", "Expected a quoted string value for tag", "5"),
    ("attributes.status = 1", "Expected a quoted string value for attributes", "1"),
    ("attribute.status = true", "Invalid clause(s)", "true"),
    ("attributes.status IN ('FINISHED','FAILED')", "Only ['run_id'] attributes", "("),
    ("attributes.run_id IN ()", "but got empty list", "("),
    ("run_id IN (1)", "got different type in list: (1,)", "("),
    ("run_id IN ('a', 'b'", "Unclosed '('", "("),
    ("attributes.start_time > '1500'", "numeric attribute: start_time. Found '1500'", "'1500'"),
    ("attributes.start_time LIKE 1234", "Invalid comparator 'LIKE'", "LIKE"),
    ("attributes.end_time IS NULL", "not for 'attribute' 'end_time'", "attributes"),
    ("attributes.lifecycle_stage = 'active'", "Invalid attribute key 'lifecycle_stage'", "a"),
    ("attribute.experiment_id != 1", "Invalid attribute key 'experiment_id'", "a"),
    ("datasets.profile = 'x'", "Invalid dataset key 'profile'", "d"),
    ("dataset.status = 'true'", "Invalid dataset key 'status'", "d"),
    ("metrics.A > 0.1 OR params.B = 'LR'", "Invalid clause(s) in filter string: 'OR'", "OR"),
    ("metrics.A > 0.1 AND (params.B = 'LR')", "Parentheses are not supported", "("),
    ("NOT metrics.A > 0.1", "NOT is not supported", "NOT"),
    ("metric.acc >= 0.94; metrics.rmse < 1", "multiple expression", ";"),
    ("metric.acc >= 0.94;", "Invalid clause(s) in filter string: ';'", ";"),
    ("acc > 0.9", "Invalid attribute key 'acc'", "acc"),
    ("model >= 'LR'", "Invalid attribute key 'model'", "model"),
    ("m.acc >= 0.94", "Invalid entity type 'm'", "m"),
    ("METRICS.acc > 0", "Invalid entity type 'METRICS'", "M"),
    ("`metrics.A > 0.1", "Invalid clause(s)", "`"),
    ("params.acc = 'LR", "Invalid clause(s)", "'"),
    ("1.0 > metrics.acc", "The identifier must come first", "1.0"),
    ("1=1", "The identifier must come first", "1"),
    ("params.from = 'x'", "params.`from`", "from"),
    ("params.in = 'x'", "Quote keys", "in"),
    ("metrics.a > 1 tags.x IS NULL", "Expected AND before this clause", "tags"),
    ("tags.x IS NOT  NULL", "IS NOT NULL with single spaces", "NOT  NULL"),
    ("metrics. acc > 1", "Quote keys", "."),
    ("attributes.run_id = ('a', 'b')", "needs IN or NOT IN", "="),
    ("   ", "Could not be parsed", " "),
    ("metrics.acc >", "needs a value", ">"),
]


@pytest.mark.parametrize(("text", "message", "token"), INVALID)
def test_invalid_filters_say_why_and_where(text: str, message: str, token: str) -> None:
    err = error(text)
    assert message in err.message
    assert err.text == text
    assert err.offset is not None
    assert text[err.offset :].startswith(token), (err.offset, text[err.offset :])
    assert f"(at character {err.offset + 1})" in str(err)


# -- §7.2 order_by ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("item", "expected"),
    [
        ("metrics.loss ASC", ("metric", "loss", True)),
        ("metrics.loss desc", ("metric", "loss", False)),
        ("metrics.acc", ("metric", "acc", True)),
        ("metrics.`Mean Square Error` DESC", ("metric", "Mean Square Error", False)),
        ('metrics."legit name" aSc', ("metric", "legit name", True)),
        ("params.model", ("parameter", "model", True)),
        ("tags.env desc", ("tag", "env", False)),
        ("attributes.run_name", ("attribute", "run_name", True)),
        ("run_name DESC", ("attribute", "run_name", False)),
        ("created", ("attribute", "start_time", True)),
        ("Created DESC", ("attribute", "start_time", False)),
        ("attributes.status", ("attribute", "status", True)),
        ("attributes.end_time", ("attribute", "end_time", True)),
        ("tags.`mlflow.runName`", ("tag", "mlflow.runName", True)),
        ('"metrics".acc DESC', ("metric", "acc", False)),  # shlex unquotes, as in MLflow
    ],
)
def test_run_order_by(item: str, expected: tuple) -> None:
    (key,) = parse_run_order_by([item])
    assert (key.ident.entity, key.ident.key, key.ascending) == expected


def test_run_order_by_keeps_duplicates_and_order() -> None:
    keys = parse_run_order_by(["metrics.acc ASC", "metrics.acc DESC", "params.a"])
    got = [(k.ident.key, k.ascending) for k in keys]
    assert got == [("acc", True), ("acc", False), ("a", True)]
    assert parse_run_order_by([]) == () == parse_run_order_by(None)


@pytest.mark.parametrize(
    ("item", "message"),
    [
        ("metrics.acc dsc", "Invalid ordering key in order_by clause 'metrics.acc dsc'."),
        ("metrics.acc > 1", "Invalid order_by clause 'metrics.acc > 1'. Could not be parsed."),
        ("metrics.A != 1", "Could not be parsed"),
        ("params.my_param ", "Could not be parsed"),
        (" params.my_param", "Could not be parsed"),
        ("metrics.acc ASC NULLS FIRST", "Could not be parsed"),
        ("metrics.acc ASC DESC", "Could not be parsed"),
        ("params.from", "Could not be parsed"),
        ("", "Could not be parsed"),
        ("attributes.experiment_id", "Invalid attribute key 'experiment_id'"),
        ("attributes.lifecycle_stage", "Invalid attribute key 'lifecycle_stage'"),
        ("attributes.`Run name`", "Invalid attribute key 'Run name'"),
        ("datasets.name", "Invalid order_by entity type 'dataset'"),
        ("m.acc", "Invalid entity type 'm'"),
    ],
)
def test_run_order_by_errors(item: str, message: str) -> None:
    with pytest.raises(QueryError) as info:
        parse_run_order_by([item])
    assert message in info.value.message
    assert info.value.text == item


# -- §7.3 experiments ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("name = 'filt-exp'", ("attribute", "name", "=", "filt-exp")),
        ("name LIKE 'filt%'", ("attribute", "name", "LIKE", "filt%")),
        ("attribute.name != 'Default'", ("attribute", "name", "!=", "Default")),
        ("tags.team = 'ml'", ("tag", "team", "=", "ml")),
        ("tag.team != 'ml'", ("tag", "team", "!=", "ml")),
        ("tags.`nested/tag` = 'v'", ("tag", "nested/tag", "=", "v")),
        ("tags.team IS NULL", ("tag", "team", "IS NULL", None)),
        ("tags.team IS NOT NULL", ("tag", "team", "IS NOT NULL", None)),
        ("creation_time > 0", ("attribute", "creation_time", ">", 0)),
        ("last_update_time >= 0", ("attribute", "last_update_time", ">=", 0)),
        ("experiment_id = '0'", ("attribute", "experiment_id", "=", "0")),
        ("experiment_id IN ('0')", ("attribute", "experiment_id", "IN", ("0",))),
        ("creation_time > 1.5", ("attribute", "creation_time", ">", 1.5)),  # file store only
        ("experiment_id LIKE '1%'", ("attribute", "experiment_id", "LIKE", "1%")),  # file only
    ],
)
def test_experiment_filters(text: str, expected: tuple) -> None:
    assert shape(one(text, parse_experiment_filter)) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("experiment_id = 0", "Expected a quoted string value for attributes. Got value 0"),
        ("experiment_id > '0'", "Invalid comparator '>'"),
        ("name IN ('a','b')", "Only ['experiment_id'] attributes support"),
        ("creation_time > '0'", "numeric attribute: creation_time. Found '0'"),
        ("metrics.x > 1", "Invalid entity type 'metrics'. Valid entity types are"),
        ("params.a = 'b'", "Invalid entity type 'params'"),
        ("attr.name = 'b'", "Invalid entity type 'attr'"),
        ("lifecycle_stage = 'active'", "Invalid attribute key 'lifecycle_stage'"),
        ("tags.team > 'a'", "Invalid comparator '>'"),
        ("name = 'a' OR name = 'b'", "'OR'"),
        ("name IS NULL", "only supported for tags, not for attribute 'name'"),
    ],
)
def test_experiment_filter_errors(text: str, message: str) -> None:
    assert message in error(text, parse_experiment_filter).message


def test_experiment_order_by() -> None:
    keys = parse_experiment_order_by(["name DESC", "creation_time", "attribute.experiment_id"])
    assert [(k.ident.key, k.ascending) for k in keys] == [
        ("name", False),
        ("creation_time", True),
        ("experiment_id", True),
    ]
    with pytest.raises(QueryError, match="Invalid order_by entity: tag"):
        parse_experiment_order_by(["tags.team"])
    with pytest.raises(QueryError, match="Invalid attribute key 'lifecycle_stage'"):
        parse_experiment_order_by(["lifecycle_stage"])


# -- §7.4 registered models and model versions --------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("name = 'Alpha-Model'", ("attribute", "name", "=", "Alpha-Model")),
        ("name ILIKE 'alpha%'", ("attribute", "name", "ILIKE", "alpha%")),
        ("name IN ('Alpha-Model','x')", ("attribute", "name", "IN", ("Alpha-Model", "x"))),
        ("name NOT IN ('Alpha-Model')", ("attribute", "name", "NOT IN", ("Alpha-Model",))),
        ("tags.team = 'ml'", ("tag", "team", "=", "ml")),
        ("tags.`mlflow.x` = '1'", ("tag", "mlflow.x", "=", "1")),
        ("tags.team LIKE 'm%'", ("tag", "team", "LIKE", "m%")),
    ],
)
def test_registered_model_filters(text: str, expected: tuple) -> None:
    assert shape(one(text, parse_registered_model_filter)) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("tags.team IS NULL", "not supported in registered model filters"),
        ("creation_timestamp > 0", "Invalid attribute key 'creation_timestamp'"),
        ("run_id = 'x'", "Valid keys are '{'name'}'"),
        ("`name` = 'x'", "Invalid attribute key '`name`'"),  # checked before unquoting
        ("tags.team > 'a'", "Invalid comparator '>'"),
        ("name = 1", "Expected a quoted string value or a list of quoted string values"),
    ],
)
def test_registered_model_filter_errors(text: str, message: str) -> None:
    assert message in error(text, parse_registered_model_filter).message


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("run_id = 'x'", ("attribute", "run_id", "=", "x")),
        ("run_id IN ('a','b')", ("attribute", "run_id", "IN", ("a", "b"))),
        (
            "source_path LIKE 's3://bucket/a/%'",
            ("attribute", "source_path", "LIKE", "s3://bucket/a/%"),
        ),
        ("version_number > 1", ("attribute", "version_number", ">", 1)),
        ("version_number = '2'", ("attribute", "version_number", "=", "2")),
        ("version_number >= 1.5", ("attribute", "version_number", ">=", 1.5)),  # file only
        ("tags.v = '2'", ("tag", "v", "=", "2")),
    ],
)
def test_model_version_filters(text: str, expected: tuple) -> None:
    assert shape(one(text, parse_model_version_filter)) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("version_number IN ('1')", "Only ['name', 'run_id'] attributes support"),
        ("source_path IN ('x')", "Only ['name', 'run_id'] attributes support"),
        ("current_stage = 'None'", "Invalid attribute key 'current_stage'"),
        ("creation_timestamp > 0", "Invalid attribute key 'creation_timestamp'"),
        ("run_id > 'a'", "Invalid comparator '>'"),
        ("tags.v IS NULL", "not supported in model version filters"),
        ("run_id = 1", "attributes support comparison with numeric values"),
        ("version_number = 'abc'", "Invalid value for numeric attribute 'version_number'"),
        ("version_number LIKE '1'", "Invalid comparator 'LIKE'"),
    ],
)
def test_model_version_filter_errors(text: str, message: str) -> None:
    assert message in error(text, parse_model_version_filter).message


def test_registry_order_by() -> None:
    keys = parse_registered_model_order_by(["timestamp DESC", "creation_timestamp", "name"])
    assert [(k.ident.key, k.ascending) for k in keys] == [
        ("last_updated_timestamp", False),
        ("creation_timestamp", True),
        ("name", True),
    ]
    keys = parse_model_version_order_by(["version_number DESC", "last_updated_timestamp"])
    assert [(k.ident.key, k.ascending) for k in keys] == [
        ("version_number", False),
        ("last_updated_timestamp", True),
    ]
    with pytest.raises(QueryError, match="Invalid attribute key 'run_id'"):
        parse_model_version_order_by(["run_id"])
    with pytest.raises(QueryError, match="Invalid order_by entity: tag"):
        parse_registered_model_order_by(["tags.x"])


# -- extended syntax: OR, NOT, parentheses (off by default) ------------------------------------


def test_extension_is_off_by_default() -> None:
    for text in ("params.a = 'x' OR params.b = 'y'", "NOT params.a = 'x'", "(params.a = 'x')"):
        with pytest.raises(QueryError):
            parse_run_filter(text)


def test_extension_precedence_and_shape() -> None:
    node = parse_run_filter(
        "params.a = 'x' OR NOT tags.t = 'y' AND (metrics.m > 1 OR metrics.m < 0)", extended=True
    )
    assert isinstance(node, Or)
    first, second = node.terms
    assert isinstance(first, Comparison) and first.ident.key == "a"
    assert isinstance(second, And)
    negated, group = second.terms
    assert isinstance(negated, Not) and negated.term.ident.key == "t"
    assert isinstance(group, Or) and [c.ident.key for c in group.terms] == ["m", "m"]
    assert not is_mlflow_syntax(node)


def test_extension_keeps_mlflow_syntax_identical() -> None:
    for text in (
        "metrics.acc > 0.5 AND params.model = 'x'",
        "AND tags.x IS NULL AND",
        "run_id NOT IN ('a') AND datasets.name = 'd'",
        "metrics.a > 1 metrics.b > 2",
    ):
        assert parse_run_filter(text, extended=True) == parse_run_filter(text)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("params.a = 'x' OR", "Expected a clause after 'OR'"),
        ("OR params.a = 'x'", "Expected a clause before 'OR'"),
        ("()", "Empty parentheses"),
        ("(params.a = 'x'", "Expected ')'"),
        ("params.a = 'x')", "Invalid clause(s) in filter string: ')'"),
        ("NOT", "Expected a clause after 'NOT'"),
        ("params.a = 'x' (params.b = 'y')", "Expected AND before this clause"),
        ("(" * 200 + "params.a = 'x'" + ")" * 200, "nests too deeply"),
    ],
)
def test_extension_errors(text: str, message: str) -> None:
    with pytest.raises(QueryError) as info:
        parse_run_filter(text, extended=True)
    assert message in info.value.message


def test_extension_not_with_parenthesis_directly_after() -> None:
    node = parse_run_filter("NOT(params.a = 'x') AND(params.b = 'y')", extended=True)
    assert isinstance(node, And)
    assert isinstance(node.terms[0], Not)


# -- robustness -----------------------------------------------------------------------------

SAMPLE_RUNS = [
    Run(
        "r1",
        "1",
        "n",
        "u",
        "FINISHED",
        1,
        None,
        "active",
        None,
        metrics={"acc": Metric("acc", float("nan"), 0)},
        params={"model": "x"},
        tags={"env": "a\nb"},
        inputs=(DatasetInput(Dataset("mydata", "d"), {"mlflow.data.context": "c"}),),
    ),
    Run("r2", "1", "n", "u", "RUNNING", None, None, "active", None),
]
PARSERS = [
    parse_run_filter,
    parse_experiment_filter,
    parse_registered_model_filter,
    parse_model_version_filter,
    lambda t: parse_run_filter(t, extended=True),
]
ORDER_PARSERS = [
    parse_run_order_by,
    parse_experiment_order_by,
    parse_registered_model_order_by,
    parse_model_version_order_by,
]
PIECES = st.sampled_from(
    [
        "metrics",
        "params",
        "tags",
        "attributes",
        "datasets",
        "run_id",
        "name",
        ".",
        "acc",
        "`a b`",
        '"x"',
        "'y'",
        "1",
        "-1",
        ".5",
        "1e3",
        "=",
        "!=",
        ">",
        "LIKE",
        "IN",
        "NOT",
        "IS",
        "NULL",
        "NOT NULL",
        "AND",
        "OR",
        "(",
        ")",
        ",",
        ";",
        "*",
        "[b]",
        "from",
        "ASC",
        "DESC",
        "-",
        "+",
        "'%a%'",
        "\\",
        "'",
        '"',
        "`",
        " ",
        "\t",
        "\n",
        "é",
        "准",
    ]
)


@settings(max_examples=400, deadline=1000, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(st.text(max_size=80), st.lists(PIECES, max_size=14).map("".join)))
def test_random_text_raises_only_query_errors(text: str) -> None:
    for parse in PARSERS:
        try:
            parse(text)
        except QueryError as exc:
            assert exc.offset is None or 0 <= exc.offset <= len(text)
    with contextlib.suppress(QueryError):  # whatever parses also evaluates without error
        pred = run_matches(parse_run_filter(text, extended=True))
        for r in SAMPLE_RUNS:
            pred(r)
    for parse_order in ORDER_PARSERS:
        with contextlib.suppress(QueryError):
            parse_order([text])
