"""Meaning of the raw clauses for each kind of search, with MLflow's checks and wording.

MLflow checks some things while parsing (`SearchUtils._get_identifier`, `_get_value`) and
the rest only while evaluating (which comparator each entity allows, `==`, `<>`, `NOT LIKE`
…). tuiflow does all of it here, at parse time, in MLflow's order: identifier, then value,
then comparator. Identifiers and values are processed with MLflow's own string logic on the
raw text (split on the first dot, strip one pair of quotes, trim one pair of backticks), so
odd spellings mean what they mean to MLflow.

Deliberate differences, all rejections of strings MLflow accepts but can never match or
crashes on: a list after `=`/`!=`/`LIKE` (MLflow compares the string with a tuple), IS NULL
in registered-model and model-version filters (MLflow raises a Python unpack error).
Where the file and SQL stores disagree the superset is accepted and the SQL store rejects:
`creation_time > 1.5`, `version_number >= 1.5`, `experiment_id LIKE '1%'`.
"""

from __future__ import annotations

import ast
import warnings
from collections.abc import Collection
from dataclasses import dataclass, field

from tuiflow.errors import QueryError
from tuiflow.query.ast import Comparison, Entity, Identifier, Value
from tuiflow.query.syntax import Operand, RawClause

NUMERIC_OPS = frozenset({"=", "!=", "<", "<=", ">", ">="})
STRING_OPS = frozenset({"=", "!=", "LIKE", "ILIKE"})
STRING_ATTR_OPS = STRING_OPS | {"IN", "NOT IN"}
NULL_OPS = frozenset({"IS NULL", "IS NOT NULL"})
PARAM_OPS = STRING_OPS | NULL_OPS
LIST_OPS = frozenset({"IN", "NOT IN"})

RUN_ENTITIES: dict[str, Entity] = {
    "metric": "metric",
    "metrics": "metric",
    "parameter": "parameter",
    "parameters": "parameter",
    "param": "parameter",
    "params": "parameter",
    "tag": "tag",
    "tags": "tag",
    "attribute": "attribute",
    "attributes": "attribute",
    "attr": "attribute",
    "run": "attribute",
    "dataset": "dataset",
    "datasets": "dataset",
}
_RUN_ENTITY_NAMES = "['metric', 'parameter', 'tag', 'attribute', 'dataset']"
_MODEL_ENTITIES = ("attribute", "tag", "tags")

RUN_STRING_ATTRS = frozenset({"run_id", "run_name", "status", "user_id", "artifact_uri"})
RUN_NUMERIC_ATTRS = frozenset({"start_time", "end_time", "created", "Created"})
RUN_ALIASES = {"created": "start_time", "Created": "start_time"} | {
    k: "run_name" for k in ("run name", "Run name", "Run Name")
}
RUN_FILTER_ATTRS = RUN_STRING_ATTRS | RUN_NUMERIC_ATTRS | {"run name", "Run name", "Run Name"}
RUN_ORDER_ATTRS = RUN_STRING_ATTRS | RUN_NUMERIC_ATTRS
DATASET_KEYS = frozenset({"name", "digest", "context"})


def show_set(values: Collection[str]) -> str:
    """A set the way MLflow's messages print one (sorted, so messages are stable)."""
    return "{" + ", ".join(repr(v) for v in sorted(values)) + "}"


def _is_quoted(value: str, quote: str) -> bool:
    return len(value) >= 2 and value.startswith(quote) and value.endswith(quote)


def trim_backticks(value: str) -> str:
    return value[1:-1] if _is_quoted(value, "`") else value


def strip_quotes(value: str) -> str:
    return value[1:-1] if _is_quoted(value, "'") or _is_quoted(value, '"') else value


def quoted_string(operand: Operand, text: str) -> str:
    """A value that must be a '…' or "…" string (MLflow's `_strip_quotes(expect=True)`)."""
    v = operand.text
    if _is_quoted(v, "'") or _is_quoted(v, '"'):
        return v[1:-1]
    raise QueryError(
        "Parameter value is either not quoted or unidentified quote types used for string "
        f"value {v}. Use either single or double quotes.",
        operand.start,
        text,
    )


def parse_list(operand: Operand, text: str) -> tuple[str, ...]:
    """A `(…)` list; MLflow reads it as a Python tuple literal, and so does this."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # invalid escapes warn in literal_eval
            parsed = ast.literal_eval(operand.text)
    except (SyntaxError, ValueError, TypeError, MemoryError, RecursionError):
        raise QueryError(
            "While parsing a list in the query, expected a non-empty list of string values, "
            "but got ill-formed list.",
            operand.start,
            text,
        ) from None
    items = parsed if isinstance(parsed, tuple) else (parsed,)
    if not items:
        raise QueryError(
            "While parsing a list in the query, expected a non-empty list of string values, "
            "but got empty list",
            operand.start,
            text,
        )
    if not all(isinstance(x, str) for x in items):
        raise QueryError(
            "While parsing a list in the query, expected string value, punctuation, or "
            f"whitespace, but got different type in list: {items!r}",
            operand.start,
            text,
        )
    return items


def number(operand: Operand) -> int | float:
    """int for integer literals; Python refuses int() past 4300 digits, float() does not."""
    if operand.kind == "int":
        try:
            return int(operand.text)
        except ValueError:
            return float(operand.text)
    return float(operand.text)


def is_string_operand(operand: Operand) -> bool:
    """sqlparse's String.Single token or an Identifier (which covers "…" strings)."""
    return operand.kind in ("string", "ident")


@dataclass
class Checker:
    """One clause's context: raises QueryError at the right offsets."""

    clause: RawClause
    text: str
    ident: Identifier = field(init=False)

    def fail(self, message: str, at: int | None = None) -> QueryError:
        return QueryError(message, self.clause.ident.start if at is None else at, self.text)

    def fail_value(self, message: str) -> QueryError:
        value = self.clause.value
        return self.fail(message, value.start if value is not None else self.clause.op_start)

    def check_op(self, allowed: Collection[str]) -> None:
        op = self.clause.op
        if op not in allowed:
            raise self.fail(
                f"Invalid comparator '{op}' not one of '{show_set(allowed)}'", self.clause.op_start
            )
        value = self.clause.value
        if value is not None and value.kind == "list" and op not in LIST_OPS:
            raise self.fail(
                f"A list of values needs IN or NOT IN, not '{op}'", self.clause.op_start
            )

    def done(self, value: Value) -> Comparison:
        op, at = self.clause.op, self.clause.op_start
        spelled = self.text[at : at + len(op)] if op in ("LIKE", "ILIKE", "IN") else op
        return Comparison(self.ident, op, value, at, spelled)  # type: ignore[arg-type]

    def value_text(self) -> str:
        value = self.clause.value
        return value.text if value is not None else ""

    # Shared value readers ------------------------------------------------------------------

    def string_value(self, entity_word: str) -> str:
        """Params and tags: "Expected a quoted string value for parameter …"."""
        value = self.clause.value
        assert value is not None
        if is_string_operand(value):
            return quoted_string(value, self.text)
        raise self.fail_value(
            f"Expected a quoted string value for {entity_word} (e.g. 'my-value'). "
            f"Got value {value.text}"
        )

    def numeric_value(self, message: str, attribute: str | None = None) -> int | float:
        """A number literal; for a numeric `attribute`, integers must fit int() as in MLflow."""
        value = self.clause.value
        assert value is not None
        if value.kind not in ("int", "float"):
            raise self.fail_value(message)
        out = number(value)
        if attribute is not None and value.kind == "int" and isinstance(out, float):
            raise self.fail_value(f"Invalid value for numeric attribute '{attribute}'")
        return out

    def list_supported(self, key: str, keys: Collection[str]) -> None:
        if key not in keys:
            raise self.fail_value(
                f"Only {sorted(keys)} attributes support comparison with a list of quoted "
                "string values."
            )
