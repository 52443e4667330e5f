"""Extended filters (OR, NOT, parentheses) over a tracking server, which only runs MLflow's.

The server is asked for runs page by page, in the caller's order_by, with the filter's
largest plain-MLflow AND-conjunct (if any) to cut traffic; every run that comes back is
then tested with the whole filter locally. The server's order is total (ties end on
run_id), so the runs kept are in exactly the order MLflow would give their union.

Each comparison is evaluated locally with MLflow's file-store semantics, which is what a
SQL-backed server does too, except for LIKE / ILIKE on values with line breaks or
non-ASCII characters (`%` crossing a newline, the database's case folding). For those few
runs the server itself is asked, with the comparison plus `attributes.run_id IN (…)`, so
the result is exactly set algebra over what this server answers.

Pages handed to the caller are tuiflow's own: a token says where the scan of the
server's pages stopped (the server's token for that page, the index of the first run
not yet handed out, the server page size), prefixed so it is never mistaken for a
server token. A page therefore costs only the server pages it needs, not a full scan.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable

from tuiflow.entities import DATASET_CONTEXT_TAG, Page, Run
from tuiflow.errors import QueryError
from tuiflow.query.ast import Comparison, Node, comparisons
from tuiflow.query.evaluate import compile_predicate, run_matches
from tuiflow.query.extension import render_comparison

TOKEN_PREFIX = "tuiflow-ext:"

# fetch(server_filter, server_page_token, server_page_size) -> one page from the server
Fetch = Callable[[str | None, str | None, int], Page[Run]]


def encode_token(server_token: str | None, index: int, page_size: int) -> str:
    raw = json.dumps({"server": server_token, "index": index, "size": page_size})
    return TOKEN_PREFIX + base64.urlsafe_b64encode(raw.encode()).decode()


def decode_token(token: str) -> tuple[str | None, int, int]:
    bad = QueryError(
        "Invalid page token for an extended (OR/NOT) filter: pass back the token the "
        "previous page of the same search returned"
    )
    if not token.startswith(TOKEN_PREFIX):
        raise bad
    try:
        data = json.loads(base64.urlsafe_b64decode(token[len(TOKEN_PREFIX) :]))
        server, index, size = data["server"], data["index"], data["size"]
    except (binascii.Error, ValueError, TypeError, KeyError):
        raise bad from None
    ok = isinstance(index, int) and index >= 0 and isinstance(size, int) and size > 0
    if not ok or not (server is None or isinstance(server, str)):
        raise bad
    return server, index, size


_RESOLVE_CHUNK = 100  # run ids per server question about an unsure LIKE


def _plain(text: str) -> bool:
    return text.isascii() and "\n" not in text and "\r" not in text


def _strings(c: Comparison, run: Run) -> list[str]:
    """The run's values a LIKE / ILIKE comparison looks at."""
    entity, key = c.ident.entity, c.ident.key
    if entity == "parameter":
        value = run.params.get(key)
    elif entity == "tag":
        value = run.tags.get(key)
    elif entity == "attribute":
        value = getattr(run, key, None)
    elif key == "context":
        return [i.tags[DATASET_CONTEXT_TAG] for i in run.inputs if DATASET_CONTEXT_TAG in i.tags]
    else:
        return [str(getattr(i.dataset, key)) for i in run.inputs]
    return [value] if isinstance(value, str) else []


def _unsure(c: Comparison, run: Run) -> bool:
    if c.op not in ("LIKE", "ILIKE"):
        return False
    if not _plain(str(c.value)):
        return True
    return any(not _plain(s) for s in _strings(c, run))


class _Matcher:
    """The filter as a predicate; unsure LIKE answers come from the server."""

    def __init__(self, node: Node, fetch: Fetch) -> None:
        self.fetch = fetch
        self.answers: dict[tuple[Comparison, str], bool] = {}
        self.likes = [
            c
            for c in dict.fromkeys(comparisons(node))
            if c.op in ("LIKE", "ILIKE") and render_comparison(c) is not None
        ]
        self.predicate = compile_predicate(node, self._leaf)

    def _leaf(self, c: Comparison) -> Callable[[Run], bool]:
        local = run_matches(c)
        if c not in self.likes:
            return local
        return lambda run: self.answers.get((c, run.run_id), local(run))

    def prepare(self, runs: tuple[Run, ...]) -> None:
        for c in self.likes:
            unsure = [r.run_id for r in runs if _unsure(c, r)]
            text = render_comparison(c)
            for i in range(0, len(unsure), _RESOLVE_CHUNK):
                chunk = unsure[i : i + _RESOLVE_CHUNK]
                ids = ", ".join(f"'{r}'" for r in chunk)
                page = self.fetch(f"{text} AND attributes.run_id IN ({ids})", None, len(chunk))
                yes = {r.run_id for r in page.items}
                self.answers.update(((c, r), r in yes) for r in chunk)


def search_extended(
    fetch: Fetch,
    node: Node,
    server_filter: str | None,
    max_results: int,
    page_token: str | None,
    page_size: int,
    on_progress: Callable[[int], None] | None = None,
) -> Page[Run]:
    """One page of the runs matching `node`, scanning the server from `page_token`."""
    server_token: str | None = None
    skip = 0
    if page_token:
        server_token, skip, page_size = decode_token(page_token)
    matcher = _Matcher(node, fetch)
    matches = matcher.predicate
    out: list[Run] = []
    fetched = 0
    seen_tokens: set[str | None] = set()
    while True:
        if server_token in seen_tokens:  # a server repeating a token must not hang us
            return Page(tuple(out), None)
        seen_tokens.add(server_token)
        page = fetch(server_filter, server_token, page_size)
        fetched += len(page.items)
        if on_progress is not None:
            on_progress(fetched)
        matcher.prepare(page.items[skip:])
        for i in range(skip, len(page.items)):
            run = page.items[i]
            if not matches(run):
                continue
            if len(out) == max_results:
                return Page(tuple(out), encode_token(server_token, i, page_size))
            out.append(run)
        skip = 0
        if not page.next_page_token:
            return Page(tuple(out), None)
        server_token = page.next_page_token
