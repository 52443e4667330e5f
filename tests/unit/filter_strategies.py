"""Hypothesis strategies for filter and order_by strings (tests/unit/test_filter_fuzz.py).

Two families:

* hostile text: arbitrary unicode, and "token soup" mixing the pieces of the filter
  language (entity prefixes, quotes, backticks, numbers, comparators, keywords, parens,
  odd whitespace, unterminated quotes) so that random strings get deep into the parsers
  instead of failing at the first character;
* grammar-built filters over the contract dataset of tests/mlflow_data.py: comparisons on
  keys the store has and keys it lacks, with values on, next to and far from the stored
  ones. Most are valid; the few invalid ones are welcome (MLflow is the oracle either way).
  Run ids appear as <LABEL> placeholders, filled in per backend by `contract.substitute`.
"""

from __future__ import annotations

import getpass

from hypothesis import strategies as st

# -- hostile text -------------------------------------------------------------------------

# Characters that trip up lexers: case-folding oddities (ı ſ K ß İ fold to ASCII letters
# under re.IGNORECASE or str.upper), every kind of whitespace str.isspace() and `\s` know,
# line separators str.splitlines() splits on, zero-width and combining marks, NUL.
ODD_CHARS = "ıſKßİÀÜéü准确率\u00a0\u2028\u2029\u0085\u000b\u000c\u001c\u3000\u200b\u0301\x00\t\r\n"

# fmt: off
TOKENS = [
    # entities and keys
    "metrics", "metric", "`metrics`", '"tags"', "params", "param", "parameters", "tags",
    "tag", "attributes", "attribute", "attr", "run", "datasets", "dataset", "METRICS",
    "acc", "loss", "model", "env", "status", "run_id", "run_name", "start_time", "end_time",
    "created", "Created", "user_id", "artifact_uri", "lifecycle_stage", "experiment_id",
    "name", "digest", "context", "creation_time", "last_update_time", "version_number",
    "source_path", "run_id", "timestamp", "mlflow", "runName", "from", "select", "in", "as",
    "x", "é", "准确率", "ıs", "ſelect", "Run name",
    # punctuation, including SQL-only constructs sqlparse knows
    ".", ".", ".", "`", '"', "'", "(", ")", ",", ";", "*", "[", "]", "-", "+", "/", "\\",
    "%", "_", "$", "#", "@", ":", "--", "# ", "/*", "*/", "$$", "::", "?", "%s", "->>",
    # numbers
    "0", "1", "-1", "0.5", ".5", "5.", "1e3", "1E-3", "-1e308", "1e309", "0x1F",
    "99999999999999999999999", "1" * 5000, "nan", "inf", "Infinity",
    # comparators and keywords
    "=", "!=", "<", "<=", ">", ">=", "==", "<>", "!", "LIKE", "like", "ILIKE", "NOT LIKE",
    "RLIKE", "REGEXP", "IN", "NOT IN", "not in", "IS", "is", "NULL", "null", "IS NULL",
    "IS NOT NULL", "NOT NULL", "NOT  NULL", "AND", "and", "OR", "or", "NOT", "not", "ASC",
    "DESC", "desc", "NULLS FIRST", "TRUE", "BETWEEN", "JOIN", "ESCAPE",
    # strings and quoted names, some unterminated
    "'prod'", '"prod"', "'%a%'", "'a_b'", "''", "'it''s'", "'a\\'b'", "'FINISHED'",
    "'unterminated", '"unterminated', "`acc`", "`a b`", "`a``b`", "`unterminated", "[a b]",
    "('a', 'b')", "()", "('a',)", "(1)",
]

# fmt: on

SEPARATORS = ["", " ", " ", " ", "  ", "\t", "\n", "\r\n", "\u00a0", "\u2028", "\u3000"]

any_text = st.text(max_size=200)
odd_text = st.text(alphabet=st.sampled_from(list(ODD_CHARS) + list(".`'\"()=<>!;,% ")), max_size=60)

token_soup = st.lists(
    st.tuples(st.one_of(st.sampled_from(TOKENS), odd_text), st.sampled_from(SEPARATORS)),
    max_size=14,
).map(lambda parts: "".join(tok + sep for tok, sep in parts))


@st.composite
def mutated(draw: st.DrawFn, base: st.SearchStrategy[str]) -> str:
    """A string from `base` with a few edits: cut, duplicate, or insert a token."""
    text = draw(base)
    for _ in range(draw(st.integers(0, 3))):
        i = draw(st.integers(0, len(text)))
        j = draw(st.integers(i, min(len(text), i + 8)))
        edit = draw(st.sampled_from(["cut", "dup", "insert"]))
        if edit == "cut":
            text = text[:i] + text[j:]
        elif edit == "dup":
            text = text[:j] + text[i:j] + text[j:]
        else:
            text = text[:i] + draw(st.sampled_from(TOKENS + SEPARATORS)) + text[i:]
    return text


# -- quoting ------------------------------------------------------------------------------


def _plain_word(key: str) -> bool:
    return key.isidentifier() and key.isascii() and key.lower() not in ("from", "in", "as")


@st.composite
def quoted_key(draw: st.DrawFn, key: str) -> str:
    """`key` as MLflow lets you write it after `entity.`: bare, `backticked` or "quoted"."""
    options = ["`", '"']
    if _plain_word(key) or all(_plain_word(p) for p in key.split(".")):
        options += ["", "", ""]
    quote = draw(st.sampled_from(options))
    return f"{quote}{key}{quote}" if quote == '"' or quote == "`" else key


@st.composite
def quoted_value(draw: st.DrawFn, value: str) -> str:
    """A string literal holding `value`, in whichever quotes it can be written with."""
    options = [q for q in ("'", '"') if q not in value]
    if not options:
        return "'" + value.replace("'", "''") + "'"
    quote = draw(st.sampled_from(options))
    return f"{quote}{value}{quote}"


@st.composite
def pattern_of(draw: st.DrawFn, values: list[str]) -> str:
    """A LIKE pattern derived from a stored value: wildcards swapped in, case changed."""
    value = draw(st.sampled_from(values))
    chars = list(value)
    for _ in range(draw(st.integers(0, 3))):
        if not chars:
            break
        i = draw(st.integers(0, len(chars) - 1))
        chars[i] = draw(st.sampled_from(["_", "%", "%%", "\\_", "\\%", chars[i].swapcase()]))
    pattern = "".join(chars)
    if draw(st.booleans()):
        pattern = draw(st.sampled_from(["%", ""])) + pattern + draw(st.sampled_from(["%", ""]))
    return pattern


@st.composite
def string_operand(draw: st.DrawFn, values: list[str]) -> tuple[str, str]:
    """(comparator, literal) for a string key: equality, LIKE patterns, case variants."""
    op = draw(st.sampled_from(["=", "=", "!=", "LIKE", "ILIKE", "like", "ilike"]))
    if op.upper() in ("LIKE", "ILIKE"):
        value = draw(pattern_of(values))
    else:
        value = draw(st.sampled_from(values))
        if draw(st.integers(0, 4)) == 0:
            value = draw(st.sampled_from([value.upper(), value.lower(), value.swapcase()]))
    return op, draw(quoted_value(value))


@st.composite
def in_list(draw: st.DrawFn, values: list[str]) -> str:
    items = draw(st.lists(st.sampled_from(values), min_size=1, max_size=4))
    spelled = [draw(quoted_value(v)) for v in items]
    trailing = draw(st.sampled_from(["", "", ","]))
    return "(" + draw(st.sampled_from([", ", ","])).join(spelled) + trailing + ")"


# -- numbers ------------------------------------------------------------------------------

MAX_DOUBLE = "1.7976931348623157e308"


def _spell(x: float) -> str:
    """A literal MLflow reads as `x`: `1e-05`-style exponents, never `e+`."""
    text = repr(x)
    return text.replace("e+", "e")


@st.composite
def number_near(draw: st.DrawFn, stored: list[float]) -> str:
    """A numeric literal on, next to or far from a stored value, or an extreme."""
    kind = draw(st.integers(0, 9))
    if kind == 0:
        return draw(
            st.sampled_from(
                [
                    MAX_DOUBLE,
                    "-" + MAX_DOUBLE,
                    "1e308",
                    "-1e308",
                    "1e309",
                    "-1e309",
                    "1e-320",
                    "-0.0",
                    "0",
                    "-0",
                    ".5",
                    "5.",
                ]
            )
        )
    if kind == 1:
        return _spell(draw(st.floats(allow_nan=False, allow_infinity=False)))
    if kind == 2:
        return str(draw(st.integers(-(10**20), 10**20)))
    base = draw(st.sampled_from(stored))
    delta = draw(st.sampled_from([0.0, 0.0, 0.0, 1e-9, -1e-9, 0.5, -0.5, 1.0, -1.0]))
    value = base + delta
    if value == int(value) and abs(value) < 1e15 and draw(st.booleans()):
        return str(int(value))
    if draw(st.integers(0, 3)) == 0:
        return f"{value:e}".replace("e+", "e")
    return _spell(value)


# -- runs (the contract dataset) ----------------------------------------------------------

# fmt: off
METRIC_KEYS = ["acc", "loss", "legit name", "accuracy.2.0", "spacey name", "X-Y-Z", "über",
               "数据", "train/acc", "a:b", "with space", "v", "nope", "Acc"]
METRIC_VALUES = [0.2, 0.9, 0.8, 1.0, 5.5, 6.0, 3.0, 0.5, 0.3, 0.7, 0.99, 0.1, 1.5, 2.5, 2.0,
                 1000.0, -1000.0, -0.5, 0.0, -1.0, 0.33, 0.95, 5.0, 0.6]
PARAMS = {
    "model": ["LinearRegression", "RandomForest", "linearregression", "Deleted", ""],
    "lr": ["0.01", "0.1", "1e-3"],
    "cat dog": ["pets"],
    "p.a.r.a.m": ["a"],
    "m": ["L'Hosp"],
    "über": ["ü"],
    "数据": ["值"],
    "path/to/p": ["x/y"],
    "empty": ["", "not empty"],
    "with space": ["s p"],
    "a:b": ["c"],
    "multi": ["line1\nline2", "line1"],
    "nope": ["x", ""],
}
TAGS = {
    "env": ["prod", "Prod", "PROD", "staging", ""],
    "version": ["commit-hash"],
    "t.a.g": ["a"],
    "empty_tag": [""],
    "über": ["wert"],
    "dir/tag": ["y"],
    "a.b.c": ["dots"],
    "pct": ["50%_off", "50"],
    "only": ["tags"],
    "mlflow.runName": ["alpha", "Beta run", "child-1"],
    "mlflow.user": [getpass.getuser()],
    "nope": ["x"],
}
RUN_NAMES = ["alpha", "Beta run", "gamma", "delta", "epsilon", "zeta", "eta", "theta", "iota",
             "kappa", "child-1", "child-2", "doomed", "doomed-too", "s2", "gone-run", "nope"]
STATUSES = ["FINISHED", "FAILED", "RUNNING", "KILLED", "SCHEDULED", "finished", "Running"]
RUN_LABELS = ["A", "B", "C", "D", "E", "F", "G", "H", "I", "J", "child1", "child2", "doomed",
              "doomed2", "S1", "S2", "GONE"]
TIMES = [100.0, 200.0, 1000.0, 1500.0, 2000.0, 2500.0, 2600.0, 4000.0, 4100.0, 5000.0,
         6000.0, 7000.0, 8000.0, 9000.0, 9100.0, 9500.0, 9600.0, 0.0]
DATASETS = {
    "name": ["mydata", "other", "nope"],
    "digest": ["abc123", "zzz", "digest2"],
    "context": ["training", "eval"],
}

# fmt: on


def _prefix(*spellings: str) -> st.SearchStrategy[str]:
    return st.sampled_from(list(spellings))


@st.composite
def metric_clause(draw: st.DrawFn) -> str:
    entity = draw(_prefix("metrics.", "metric.", "`metrics`.", '"metrics".'))
    key = draw(quoted_key(draw(st.sampled_from(METRIC_KEYS))))
    op = draw(st.sampled_from(["=", "!=", "<", "<=", ">", ">="]))
    return f"{entity}{key} {op} {draw(number_near(METRIC_VALUES))}"


@st.composite
def _keyed_string_clause(
    draw: st.DrawFn, prefixes: list[str], table: dict[str, list[str]], nullable: bool
) -> str:
    entity = draw(st.sampled_from(prefixes))
    name = draw(st.sampled_from(list(table)))
    key = draw(quoted_key(name))
    if nullable and draw(st.integers(0, 5)) == 0:
        return f"{entity}{key} {draw(st.sampled_from(['IS NULL', 'IS NOT NULL', 'is null']))}"
    op, literal = draw(string_operand(table[name]))
    return f"{entity}{key} {op} {literal}"


def param_clause() -> st.SearchStrategy[str]:
    return _keyed_string_clause(["params.", "param.", "parameters."], PARAMS, True)


def tag_clause() -> st.SearchStrategy[str]:
    return _keyed_string_clause(["tags.", "tag.", "`tags`."], TAGS, True)


def dataset_clause() -> st.SearchStrategy[str]:
    return st.one_of(
        _keyed_string_clause(["datasets.", "dataset."], DATASETS, False),
        st.builds(
            lambda e, k, op, lst: f"{e}{k} {op} {lst}",
            _prefix("datasets.", "dataset."),
            st.sampled_from(list(DATASETS)),
            st.sampled_from(["IN", "NOT IN", "in", "not in"]),
            st.sampled_from(list(DATASETS)).flatmap(lambda k: in_list(DATASETS[k])),
        ),
    )


_ATTR = ("", "attributes.", "attribute.", "attr.", "run.")


@st.composite
def attribute_clause(draw: st.DrawFn) -> str:
    entity = draw(st.sampled_from(_ATTR))
    kind = draw(st.sampled_from(["name", "status", "user", "uri", "id", "ids", "time"]))
    if kind == "time":
        key = draw(st.sampled_from(["start_time", "end_time", "created", "Created"]))
        op = draw(st.sampled_from(["=", "!=", "<", "<=", ">", ">="]))
        return f"{entity}{key} {op} {draw(number_near(TIMES))}"
    if kind == "ids":
        op = draw(st.sampled_from(["IN", "NOT IN"]))
        labels = draw(st.lists(st.sampled_from(RUN_LABELS), min_size=1, max_size=4))
        return f"{entity}run_id {op} (" + ", ".join(f"'<{lb}>'" for lb in labels) + ")"
    if kind == "id":
        op = draw(st.sampled_from(["=", "!="]))
        return f"{entity}run_id {op} '<{draw(st.sampled_from(RUN_LABELS))}>'"
    key, values = {
        "name": (draw(st.sampled_from(["run_name", "`Run name`", '"Run Name"'])), RUN_NAMES),
        "status": ("status", STATUSES),
        "user": ("user_id", [getpass.getuser(), "unknown", getpass.getuser().upper()]),
        "uri": ("artifact_uri", ["%artifacts", "%/artifacts", "file:%", "x"]),
    }[kind]
    op, literal = draw(string_operand(values))
    return f"{entity}{key} {op} {literal}"


def run_clause() -> st.SearchStrategy[str]:
    return st.one_of(
        metric_clause(), param_clause(), tag_clause(), attribute_clause(), dataset_clause()
    )


def _and(clause: st.SearchStrategy[str], max_size: int = 3) -> st.SearchStrategy[str]:
    joiner = st.sampled_from([" AND ", " and ", "  AND\n"])
    return st.tuples(clause, st.lists(st.tuples(joiner, clause), max_size=max_size - 1)).map(
        lambda t: t[0] + "".join(j + c for j, c in t[1])
    )


run_filter = st.one_of(st.just(""), _and(run_clause()))

RUN_ORDER_KEYS = [
    "metrics.acc",
    "metrics.v",
    "metrics.loss",
    "metrics.`legit name`",
    "metric.nope",
    "params.model",
    "params.lr",
    "params.empty",
    "tags.env",
    "tags.nope",
    "attributes.start_time",
    "start_time",
    "created",
    "end_time",
    "run_name",
    "attributes.status",
    "run_id",
    "user_id",
    "artifact_uri",
]
_DIRECTION = st.sampled_from(["", "", " ASC", " DESC", " asc", " desc"])


def _order_by(keys: list[str]) -> st.SearchStrategy[list[str]]:
    item = st.builds(lambda k, d: k + d, st.sampled_from(keys), _DIRECTION)
    return st.lists(item, max_size=3)


run_order_item = st.builds(lambda k, d: k + d, st.sampled_from(RUN_ORDER_KEYS), _DIRECTION)
run_order_by = _order_by(RUN_ORDER_KEYS)


# -- experiments and the registry ----------------------------------------------------------

EXPERIMENT_NAMES = [
    "Default",
    "contract-main",
    "contract-second",
    "contract-gone",
    "contract-empty-实验",
    "nope",
]
EXPERIMENT_TAGS = {
    "team": ["ml", "research", "ML"],
    "nested/tag": ["v"],
    "über": ["ja"],
    "empty": [""],
    "nope": ["x"],
}


@st.composite
def experiment_clause(draw: st.DrawFn, times: list[float], ids: list[str]) -> str:
    """`times` and `ids` come from the store itself (MLflow sets them from the clock)."""
    kind = draw(st.sampled_from(["name", "tag", "time", "id", "ids"]))
    if kind == "tag":
        return draw(_keyed_string_clause(["tags.", "tag."], EXPERIMENT_TAGS, True))
    if kind == "time":
        key = draw(st.sampled_from(["creation_time", "last_update_time"]))
        op = draw(st.sampled_from(["=", "!=", "<", "<=", ">", ">="]))
        return f"{key} {op} {draw(number_near(times))}"
    if kind == "ids":
        op = draw(st.sampled_from(["IN", "NOT IN"]))
        return f"experiment_id {op} {draw(in_list(ids))}"
    if kind == "id":
        op = draw(st.sampled_from(["=", "!="]))
        return f"experiment_id {op} {draw(quoted_value(draw(st.sampled_from(ids))))}"
    entity = draw(st.sampled_from(["", "attribute."]))
    op, literal = draw(string_operand(EXPERIMENT_NAMES))
    return f"{entity}name {op} {literal}"


def experiment_filter(times: list[float], ids: list[str]) -> st.SearchStrategy[str]:
    return st.one_of(st.just(""), _and(experiment_clause(times, ids)))


experiment_order_by = _order_by(
    ["name", "experiment_id", "creation_time", "last_update_time", "attribute.name"]
)

MODEL_NAMES = ["Alpha-Model", "beta_model", "gamma.model", "模型-unicode", "nope"]
MODEL_TAGS = {"team": ["ml", "research"], "mlflow.x": ["1"], "über": ["ja"], "nope": ["x"]}


@st.composite
def registered_model_clause(draw: st.DrawFn) -> str:
    if draw(st.booleans()):
        entity = draw(st.sampled_from(["tags.", "tag."]))
        name = draw(st.sampled_from(list(MODEL_TAGS)))
        op, literal = draw(string_operand(MODEL_TAGS[name]))
        return f"{entity}{draw(quoted_key(name))} {op} {literal}"
    if draw(st.integers(0, 3)) == 0:
        return f"name {draw(st.sampled_from(['IN', 'NOT IN']))} {draw(in_list(MODEL_NAMES))}"
    op, literal = draw(string_operand(MODEL_NAMES))
    return f"{draw(st.sampled_from(['', 'attribute.']))}name {op} {literal}"


registered_model_filter = st.one_of(st.just(""), _and(registered_model_clause(), 2))
registered_model_order_by = _order_by(["name", "last_updated_timestamp", "timestamp"])

MV_TAGS = {"v": ["1", "2", "3", "4"], "数据": ["值"], "empty": [""], "nope": ["x"]}
SOURCES = [f"s3://bucket/a/{n}" for n in range(1, 6)] + ["s3://bucket/b/1", "s3://bucket/u/1"]


@st.composite
def model_version_clause(draw: st.DrawFn) -> str:
    kind = draw(st.sampled_from(["name", "tag", "version", "run", "source"]))
    if kind == "tag":
        name = draw(st.sampled_from(list(MV_TAGS)))
        op, literal = draw(string_operand(MV_TAGS[name]))
        return f"tags.{draw(quoted_key(name))} {op} {literal}"
    if kind == "version":
        op = draw(st.sampled_from(["=", "!=", "<", "<=", ">", ">="]))
        return f"version_number {op} {draw(st.sampled_from(['0', '1', '2', '3', '5', '10']))}"
    if kind == "run":
        labels = draw(
            st.lists(st.sampled_from(["A", "B", "C", "D", "S1", "E"]), min_size=1, max_size=3)
        )
        if len(labels) == 1 and draw(st.booleans()):
            return f"run_id {draw(st.sampled_from(['=', '!=']))} '<{labels[0]}>'"
        op = draw(st.sampled_from(["IN", "NOT IN"]))
        return f"run_id {op} (" + ", ".join(f"'<{lb}>'" for lb in labels) + ")"
    if kind == "source":
        op, literal = draw(string_operand(SOURCES))
        return f"source_path {op} {literal}"
    op, literal = draw(string_operand(MODEL_NAMES))
    return f"name {op} {literal}"


model_version_filter = st.one_of(st.just(""), _and(model_version_clause(), 2))
