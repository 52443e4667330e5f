"""The filter bar's line: a filter, optionally followed by `order by key [ASC|DESC], …`.

`split_order_by(text)` cuts the suffix off (aware of quotes, so `params.x = 'order by'`
stays a filter), so the filter bar can set `order_by` from the same line;
`check_filter_line` validates both parts with offsets into the whole line.
"""

from __future__ import annotations

from dataclasses import dataclass

from tuiflow.errors import QueryError
from tuiflow.query.lexer import Kind, tokenize
from tuiflow.query.parser import parse_run_order_by


@dataclass(frozen=True)
class FilterLine:
    filter: str  # the text before `order by` (the whole text when there is none)
    order_by: tuple[str, ...] = ()
    offsets: tuple[int, ...] = ()  # where each order_by item starts in the line
    order_start: int | None = None  # just after `order by`; None when absent
    keyword_at: int | None = None  # where `order` starts


def split_order_by(text: str) -> FilterLine:
    """Cut `… order by a DESC, b` into the filter and the order_by items (quote-aware)."""
    toks = [t for t in tokenize(text) if t.kind is not Kind.WS]
    for i, tok in enumerate(toks[:-1]):
        nxt = toks[i + 1]
        if tok.upper != "ORDER" or nxt.upper != "BY" or tok.kind is not Kind.NAME:
            continue
        if (i and toks[i - 1].kind is Kind.DOT) or nxt.end < len(text) and (text[nxt.end] == "."):
            continue
        body_start = nxt.end
        items: list[str] = []
        offsets: list[int] = []
        piece_start = body_start
        for t in [t for t in toks[i + 2 :] if t.kind is Kind.COMMA] + [None]:
            end = t.start if t is not None else len(text)
            piece = text[piece_start:end]
            items.append(piece.strip())
            offsets.append(piece_start + len(piece) - len(piece.lstrip()))
            piece_start = end + 1
        return FilterLine(
            text[: tok.start].rstrip(), tuple(items), tuple(offsets), body_start, tok.start
        )
    return FilterLine(text)


def check_filter_line(text: str) -> tuple[FilterLine, QueryError | None]:
    """The split line and the first error in it, with offsets into the whole line."""
    from tuiflow.query.extension import parse_search_filter

    line = split_order_by(text)
    try:
        parse_search_filter(line.filter)
    except QueryError as exc:
        return line, QueryError(exc.message, exc.offset, text)
    if line.order_start is not None:
        for i, (item, at) in enumerate(zip(line.order_by, line.offsets, strict=True)):
            if not item:
                after = "','" if i else "'order by'"
                at = at if i else line.keyword_at or 0
                return line, QueryError(f"Expected an order_by key after {after}", at, text)
            try:
                parse_run_order_by([item])
            except QueryError as exc:
                return line, QueryError(exc.message, at + (exc.offset or 0), text)
    return line, None
