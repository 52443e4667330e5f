"""filter_suggest / filter_line: what the filter bar offers at the cursor, its `order by`."""

from __future__ import annotations

import pytest

from tuiflow.entities import Dataset, DatasetInput, Metric, Run
from tuiflow.query.parser import parse_run_filter
from tuiflow.ui.filter_line import check_filter_line, split_order_by
from tuiflow.ui.filter_suggest import PREFIXES, Vocabulary, quote_key, suggest, vocabulary


def _run(run_id: str, **kw) -> Run:
    base = dict(
        run_id=run_id,
        experiment_id="1",
        run_name=f"name-{run_id}",
        user_id="ann",
        status="FINISHED",
        start_time=1,
        end_time=2,
        lifecycle_stage="active",
        artifact_uri="file:///a",
    )
    return Run(**(base | kw))


RUNS = [
    _run(
        "a",
        metrics={"eval_acc": Metric("eval_acc", 0.9, 1, 0), "my loss": Metric("my loss", 1, 1, 0)},
        params={"solver": "lbfgs", "C": "1.0", "from": "x"},
        tags={"team": "ml", "mlflow.user": "ann"},
        inputs=(
            DatasetInput(Dataset("iris", "d1", "code", "{}"), {"mlflow.data.context": "eval"}),
        ),
    ),
    _run(
        "b",
        status="FAILED",
        metrics={"train-acc": Metric("train-acc", 0.5, 1, 0)},
        params={"solver": "saga", "note": "it's"},
        tags={"team": "research"},
    ),
]
VOCAB = vocabulary(RUNS)


def at_end(text: str, vocab: Vocabulary = VOCAB):
    return suggest(text, len(text), vocab)


def test_vocabulary_collects_keys_and_values() -> None:
    assert VOCAB.metrics == ("eval_acc", "my loss", "train-acc")
    assert VOCAB.params == ("C", "from", "note", "solver")
    assert VOCAB.values[("parameter", "solver")] == ("lbfgs", "saga")
    assert VOCAB.values[("attribute", "status")] == ("FAILED", "FINISHED")
    assert VOCAB.values[("dataset", "context")] == ("eval",)


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("met", ("metrics.",)),
        ("p", ("params.",)),
        ("", PREFIXES),
        ("TA", ("tags.",)),
        ("at", ("attributes.", "datasets.")),  # prefix matches first, then substrings
    ],
)
def test_entity_prefixes(typed: str, expected: tuple[str, ...]) -> None:
    c = at_end(typed)
    assert c.items[: len(expected)] == expected
    assert c.start == 0


def test_empty_line_is_not_eager_but_after_and_it_is() -> None:
    assert not at_end("").eager
    c = at_end("metrics.eval_acc > 1 AND ")
    assert c.eager and c.items[:5] == PREFIXES


def test_keys_are_quoted_when_the_grammar_needs_it() -> None:
    c = at_end("metrics.")
    assert c.items == ("metrics.eval_acc", "metrics.`my loss`", "metrics.`train-acc`")
    assert at_end("params.").items == ("params.C", "params.`from`", "params.note", "params.solver")
    # every suggested key reads back as itself
    for item in at_end("params.").items + at_end("metrics.").items:
        probe = "= 0" if item.startswith("metrics") else "= 'x'"
        ident = parse_run_filter(f"{item} {probe}").terms[0].ident
        assert ident.key in VOCAB.params + VOCAB.metrics


def test_keys_match_by_prefix_then_substring_and_ignore_an_opening_quote() -> None:
    assert at_end("metrics.acc").items == ("metrics.eval_acc", "metrics.`train-acc`")
    assert at_end("metrics.`my").items == ("metrics.`my loss`",)
    assert at_end("tags.mlflow.").items == ("tags.mlflow.user",)
    assert at_end("attributes.st").items == ("attributes.status", "attributes.start_time")
    assert at_end("datasets.").items == ("datasets.name", "datasets.digest", "datasets.context")


def test_key_that_cannot_be_quoted_is_left_out() -> None:
    vocab = Vocabulary(params=("ok", 'a`b"c'))
    assert quote_key("params", 'a`b"c') is None
    assert at_end("params.", vocab).items == ("params.ok",)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("metrics.eval_acc ", ("=", "!=", "<", "<=", ">", ">=")),
        ("params.solver ", ("=", "!=", "LIKE", "ILIKE", "IS NULL", "IS NOT NULL")),
        ("params.solver l", ("like",)),
        ("attributes.status ", ("=", "!=", "LIKE", "ILIKE", "IN", "NOT IN")),
        ("created ", ("=", "!=", "<", "<=", ">", ">=")),
        ("metrics.eval_acc >", (">", ">=")),
        ("tags.team IS ", ("NULL", "NOT NULL")),
    ],
)
def test_comparators_per_entity(text: str, expected: tuple[str, ...]) -> None:
    c = at_end(text)
    assert c.items == expected and c.eager


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("params.solver = ", ("'lbfgs'", "'saga'")),
        ("params.solver != 'sa", ("'saga'",)),
        ("params.note = ", ('"it\'s"',)),
        ("tags.team LIKE ", ("'ml'", "'research'")),
        ("status = ", ("'FAILED'", "'FINISHED'")),
        ("attributes.status = 'fin", ("'FINISHED'",)),
        ("datasets.context = ", ("'eval'",)),
        ("metrics.eval_acc > ", ()),
        ("attributes.status IN ", ()),
    ],
)
def test_values_from_the_loaded_runs(text: str, expected: tuple[str, ...]) -> None:
    c = at_end(text)
    assert c.items == expected
    if expected:
        assert c.eager and text[c.start :] in ("", text[text.rfind(" ") + 1 :])


def test_after_a_clause_keywords_only_when_typed() -> None:
    assert at_end("params.solver = 'saga' ").items == ()
    assert at_end("params.solver = 'saga' o").items == ("or", "order by")
    assert at_end("metrics.eval_acc > 0.9 AN").items == ("AND",)
    assert at_end("tags.team IS NULL O").items == ("OR", "ORDER BY")
    assert not at_end("params.solver = 'saga' o").eager


def test_not_and_parentheses_lead_to_identifiers() -> None:
    assert at_end("NOT ").items == PREFIXES
    assert at_end("(metrics.eval_acc > 1 OR (pa").items[0] == "params."
    assert at_end("n").items[-1:] == ("not",)


def test_order_by_part() -> None:
    text = "metrics.eval_acc > 0.9 order by met"
    c = at_end(text)
    assert c.items == ("metrics.",) and c.start == text.index("met", 30)
    assert at_end("order by metrics.eval_acc d").items == ("desc",)
    assert at_end("order by metrics.eval_acc DESC, par").items == ("params.",)
    assert "datasets." not in at_end("order by ").items


def test_cursor_in_the_middle() -> None:
    text = "metrics. > 1"
    c = suggest(text, len("metrics."), VOCAB)
    assert c.start == 0 and "metrics.eval_acc" in c.items


def test_split_order_by() -> None:
    line = split_order_by("metrics.a > 1 ORDER  BY metrics.a DESC , params.`x, y`")
    assert line.filter == "metrics.a > 1"
    assert line.order_by == ("metrics.a DESC", "params.`x, y`")
    text = "metrics.a > 1 ORDER  BY metrics.a DESC , params.`x, y`"
    assert [text[o:].startswith(i) for i, o in zip(line.order_by, line.offsets, strict=True)]
    assert split_order_by("params.order = 'order by x'").order_start is None
    assert split_order_by("tags.order IS NULL").order_start is None
    assert split_order_by("order by run_name").filter == ""
    assert split_order_by("a").order_by == ()


@pytest.mark.parametrize(
    ("line", "bad"),
    [
        ("metrics.a > 1 order by metrics.a dsc", "dsc"),
        ("metrics.a > 1 order by", "order"),
        ("metrics.a > 1 order by metrics.a, ", None),
        ("metrics.a >> 1 order by metrics.a", ">>"),
        ("metrics.a > 1 OR (params.b = 'x' order by metrics.a", " order"),  # end of filter
        ("metrics.a > 1 order by datasets.name", "datasets.name"),
    ],
)
def test_check_filter_line_errors_point_into_the_line(line: str, bad: str | None) -> None:
    _, error = check_filter_line(line)
    assert error is not None
    assert error.offset == (line.index(bad) if bad is not None else len(line))


@pytest.mark.parametrize(
    "line",
    [
        "",
        "metrics.a > 1",
        "metrics.a > 1 OR NOT (params.b = 'x')",
        "metrics.a > 1 order by metrics.a DESC, params.b",
        "order by attributes.start_time",
    ],
)
def test_check_filter_line_accepts(line: str) -> None:
    assert check_filter_line(line)[1] is None
