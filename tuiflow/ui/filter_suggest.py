"""What the filter bar suggests as you type, and its `order by` suffix. Pure: no Textual.

`suggest(text, cursor, vocabulary)` looks at the text before the cursor and offers, in
turn: entity prefixes (`metrics.` …), the keys present in the loaded runs (quoted when
MLflow's grammar needs it), comparators valid for that entity, values of params, tags and
a few attributes from the loaded runs (quoted), then AND / OR / `order by`.

The `order by` suffix of the line is cut off by `filter_line.split_order_by`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache

from tuiflow.entities import DATASET_CONTEXT_TAG, Run
from tuiflow.errors import QueryError
from tuiflow.query.lexer import Kind, tokenize
from tuiflow.query.parser import parse_run_filter
from tuiflow.query.validate import RUN_ENTITIES, strip_quotes, trim_backticks
from tuiflow.ui.filter_line import split_order_by

PREFIXES = ("metrics.", "params.", "tags.", "attributes.", "datasets.")
ATTRIBUTES = ("run_name", "status", "start_time", "end_time", "user_id", "run_id", "artifact_uri")
DATASET_KEYS = ("name", "digest", "context")
NUMERIC_OPS = ("=", "!=", "<", "<=", ">", ">=")
OPS = {
    "metric": NUMERIC_OPS,
    "parameter": ("=", "!=", "LIKE", "ILIKE", "IS NULL", "IS NOT NULL"),
    "tag": ("=", "!=", "LIKE", "ILIKE", "IS NULL", "IS NOT NULL"),
    "attribute": ("=", "!=", "LIKE", "ILIKE", "IN", "NOT IN"),
    "dataset": ("=", "!=", "LIKE", "ILIKE", "IN", "NOT IN"),
}
NUMERIC_ATTRIBUTES = frozenset({"start_time", "end_time", "created", "Created"})
MAX_ITEMS = 50


@dataclass(frozen=True)
class Vocabulary:
    """Keys and values of the loaded runs."""

    metrics: tuple[str, ...] = ()
    params: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    values: Mapping[tuple[str, str], tuple[str, ...]] = field(default_factory=dict)


def vocabulary(runs: Iterable[Run]) -> Vocabulary:
    metrics: set[str] = set()
    params: set[str] = set()
    tags: set[str] = set()
    values: dict[tuple[str, str], set[str]] = {}

    def add(entity: str, key: str, value: str | None) -> None:
        if value is not None:
            values.setdefault((entity, key), set()).add(value)

    for run in runs:
        metrics.update(run.metrics)
        params.update(run.params)
        tags.update(run.tags)
        for k, v in run.params.items():
            add("parameter", k, v)
        for k, v in run.tags.items():
            add("tag", k, v)
        for key in ("status", "run_name", "user_id"):
            add("attribute", key, getattr(run, key) or None)
        for inp in run.inputs:
            add("dataset", "name", inp.dataset.name)
            add("dataset", "digest", inp.dataset.digest)
            add("dataset", "context", inp.tags.get(DATASET_CONTEXT_TAG))
    return Vocabulary(
        tuple(sorted(metrics)),
        tuple(sorted(params)),
        tuple(sorted(tags)),
        {k: tuple(sorted(v)) for k, v in values.items()},
    )


@dataclass(frozen=True)
class Completion:
    start: int  # the items replace text[start:cursor]
    items: tuple[str, ...] = ()
    eager: bool = False  # worth showing before anything of the item is typed


# -- quoting -----------------------------------------------------------------------------


@lru_cache(maxsize=4096)
def quote_key(prefix: str, key: str) -> str | None:
    """`prefix.key` spelled so MLflow reads exactly `key` (None if it cannot be)."""
    for spelled in (key, f"`{key}`", f'"{key}"'):
        for probe in ("= 0", "= 'x'"):  # numbers for metrics and times, strings elsewhere
            try:
                node = parse_run_filter(f"{prefix}.{spelled} {probe}")
            except QueryError:
                continue
            if node.terms[0].ident.key == key:  # type: ignore[union-attr]
                return f"{prefix}.{spelled}"
    return None


def quote_value(value: str) -> str | None:
    if "'" not in value:
        return f"'{value}'"
    if '"' not in value:
        return f'"{value}"'
    return None


# -- where the cursor is -----------------------------------------------------------------

_WORD = re.compile(r"[\w.`\"']*$")
_OP_CHARS = re.compile(r"[<>=!]*$")
_KEYWORDS = ("AND", "OR", "NOT")


def _open_quote(text: str) -> int | None:
    """Where an unclosed quote starts in `text`, if one does."""
    quote, at = None, None
    for i, ch in enumerate(text):
        if quote is None and ch in "'\"`":
            quote, at = ch, i
        elif ch == quote:
            quote = None
    return at if quote is not None else None


def _partial_start(before: str) -> int:
    at = _open_quote(before)
    if at is not None:
        # a quoted key after `entity.` belongs with its prefix
        m = re.search(r"[\w]+\.$", before[:at])
        return m.start() if m else at
    ops = _OP_CHARS.search(before)
    if ops and ops.start() < len(before):
        return ops.start()
    m = _WORD.search(before)
    return m.start() if m else len(before)


def _identifier(text: str) -> tuple[str, str] | None:
    """(entity, key) of an identifier as written, or None if it is not one."""
    entity_raw, key = text.split(".", 1) if "." in text else ("attribute", text)
    entity = RUN_ENTITIES.get(trim_backticks(entity_raw))
    if entity is None:
        return None
    return entity, trim_backticks(strip_quotes(key))


def _matching(items: Iterable[str], typed: str, anywhere: bool = True) -> tuple[str, ...]:
    """Items starting with `typed` (any case) first, then (if `anywhere`) containing it."""
    low = typed.lower()
    items = list(dict.fromkeys(items))
    first = [i for i in items if i.lower().startswith(low)]
    rest = [i for i in items if anywhere and low in i.lower() and i not in first]
    return tuple((first + rest)[:MAX_ITEMS])


def _words(words: Iterable[str], typed: str) -> tuple[str, ...]:
    """Keywords and comparators: by prefix, in the case the user types."""
    return _matching(_case(words, typed), typed, anywhere=False)


def _case(words: Iterable[str], typed: str) -> list[str]:
    return [w.lower() for w in words] if typed and typed.islower() else list(words)


# -- suggestions -------------------------------------------------------------------------


def _keys(entity: str, vocab: Vocabulary) -> tuple[str, ...]:
    return {
        "metric": vocab.metrics,
        "parameter": vocab.params,
        "tag": vocab.tags,
        "attribute": ATTRIBUTES,
        "dataset": DATASET_KEYS,
    }[entity]


def _identifiers(partial: str, vocab: Vocabulary, order: bool) -> tuple[str, ...]:
    if "." not in partial:
        prefixes = [p for p in PREFIXES if not (order and p == "datasets.")]
        return _matching(prefixes, partial)
    prefix, typed = partial.split(".", 1)
    entity = RUN_ENTITIES.get(trim_backticks(prefix))
    if entity is None or (order and entity == "dataset"):
        return ()
    spelled = [quote_key(prefix, k) for k in _keys(entity, vocab)]
    typed = typed.lstrip("`\"'")
    keyed = [(s, s.split(".", 1)[1].strip('`"')) for s in spelled if s is not None]
    wanted = set(_matching([k for _, k in keyed], typed))
    return tuple(s for s, k in keyed if k in wanted)[:MAX_ITEMS]


def _values(ident: tuple[str, str], op: str, partial: str, vocab: Vocabulary) -> tuple[str, ...]:
    if op not in ("=", "!=", "LIKE", "ILIKE"):
        return ()
    entity, key = ident
    values = vocab.values.get((entity, key), ())
    quoted = [q for q in (quote_value(v) for v in values) if q is not None]
    typed = partial.lstrip("'\"")
    return tuple(q for q in quoted if typed.lower() in q[1:-1].lower())[:MAX_ITEMS]


def _clause_ident(toks: list, before: str, op_index: int) -> tuple[str, str] | None:
    """The identifier in front of the comparator token at `op_index`."""
    j = op_index
    while j > 0 and toks[j - 1].kind in (
        Kind.NAME,
        Kind.BACKTICK,
        Kind.DQ,
        Kind.DOT,
        Kind.SQ,
        Kind.BRACKET,
    ):
        if toks[j - 1].kind is not Kind.DOT and j < op_index and toks[j].kind is not Kind.DOT:
            break  # two names in a row: the first belongs to something earlier
        j -= 1
    if j == op_index:
        return None
    return _identifier(before[toks[j].start : toks[op_index - 1].end])


def _order_suggest(before: str, start: int, partial: str, vocab: Vocabulary) -> Completion:
    rest = before[:start].rstrip()
    if rest.lower().endswith(("by", ",")) or not rest:
        return Completion(start, _identifiers(partial, vocab, order=True), eager=True)
    if partial:
        return Completion(start, _words(("ASC", "DESC"), partial))
    return Completion(start)


def suggest(text: str, cursor: int, vocab: Vocabulary) -> Completion:
    """What fits at `cursor`; the UI replaces text[start:cursor] with one of the items."""
    before = text[:cursor]
    start = _partial_start(before)
    partial = before[start:]
    split = split_order_by(before)
    if split.order_start is not None and start >= split.order_start:
        base = split.order_start
        found = _order_suggest(before[base:], start - base, partial, vocab)
        return Completion(found.start + base, found.items, found.eager)
    toks = [t for t in tokenize(before[:start]) if t.kind is not Kind.WS]
    last = toks[-1] if toks else None
    after_word = last is None or last.kind is Kind.LPAREN or last.upper in _KEYWORDS
    if last is not None and last.upper == "IS":
        return Completion(start, _words(("NULL", "NOT NULL"), partial), True)
    if after_word:
        items = _identifiers(partial, vocab, order=False)
        if last is None or last.upper != "NOT":
            items += _words(("NOT",), partial) if partial else ()
        return Completion(start, items, eager=last is not None)
    if last.kind is Kind.OP or last.upper == "IN":
        ident = _clause_ident(toks, before, len(toks) - 1)
        if ident is None:
            return Completion(start)
        return Completion(
            start, _values(ident, " ".join(last.upper.split()), partial, vocab), eager=True
        )
    if not before[start - 1 : start].isspace() and start > 0:
        return Completion(start)
    ident = _clause_ident(toks + [None], before, len(toks))  # type: ignore[list-item]
    previous = toks[-2] if len(toks) > 1 else None
    clause_done = previous is not None and (previous.kind is Kind.OP or previous.upper == "IS")
    if ident is not None and not clause_done and last.kind not in (Kind.SQ, Kind.INT, Kind.FLOAT):
        entity, key = ident
        ops = NUMERIC_OPS if key in NUMERIC_ATTRIBUTES else OPS[entity]
        return Completion(start, _words(ops, partial), eager=True)
    if not partial:
        return Completion(start)
    return Completion(start, _words(("AND", "OR", "ORDER BY"), partial))
