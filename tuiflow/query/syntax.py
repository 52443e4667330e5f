"""Structure of a filter: clauses, ANDs and (opt-in) OR / NOT / parentheses.

This pass only checks the *shape* of the text and keeps the raw pieces of every clause;
`validate.py` then gives them meaning for one kind of search (runs, experiments, …). The
split mirrors MLflow, which first rejects stray tokens for the whole string and only then
looks at each comparison, so errors come in the same order.

MLflow's shape, as sqlparse + `SearchUtils._process_statement` define it:

* clauses are `ident OP value`, `ident IS [NOT] NULL`, `ident [NOT] IN (list)`;
* `AND`s between, before and after clauses are optional and may repeat: sqlparse groups
  `a > 1 b > 2` into two comparisons and MLflow accepts that. The one exception is a
  clause of the `IS` / `IN` form right after a clause ending in a value or a list, which
  sqlparse swallows as an alias (`metrics.a > 1 tags.x IS NULL` is an error);
* `IS NOT NULL` must be spelled with exactly one space between NOT and NULL;
* before IS / IN, one more name is taken as part of the identifier (sqlparse's alias):
  `tags.my key IS NULL` tests the tag "my key";
* no whitespace around the dots of an identifier (MLflow reads `metrics. acc` as the
  key " acc"; tuiflow rejects it rather than silently matching nothing).

With `extended=True`, `OR`, `NOT <term>` and parentheses are accepted too (precedence
NOT > AND > OR). Every string MLflow accepts parses to the same tree either way.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from tuiflow.errors import QueryError
from tuiflow.query.lexer import Kind, Token, tokenize

OperandKind = Literal["ident", "int", "float", "string", "list", "null"]
Form = Literal["binary", "is", "in"]

_IDENT_START = (Kind.NAME, Kind.BACKTICK, Kind.DQ, Kind.BRACKET)
_IDENT_PART = (Kind.NAME, Kind.BACKTICK, Kind.DQ, Kind.BRACKET, Kind.SQ, Kind.STAR)
_TERMINAL_PART = (Kind.SQ, Kind.STAR)  # sqlparse stops a dotted name after these


@dataclass(frozen=True, slots=True)
class Operand:
    kind: OperandKind
    text: str  # raw text as written (quotes and all)
    start: int


@dataclass(frozen=True, slots=True)
class RawClause:
    ident: Operand
    op: str  # upper-cased, inner whitespace collapsed: "=", "LIKE", "IS NOT NULL", "NOT IN"
    op_start: int
    value: Operand | None
    form: Form


@dataclass(frozen=True, slots=True)
class RawAnd:
    terms: tuple[RawNode, ...]


@dataclass(frozen=True, slots=True)
class RawOr:
    terms: tuple[RawNode, ...]


@dataclass(frozen=True, slots=True)
class RawNot:
    term: RawNode


RawNode = RawClause | RawAnd | RawOr | RawNot


def _invalid(tok: Token, text: str, why: str = "") -> QueryError:
    msg = f"Invalid clause(s) in filter string: '{tok.text}'"
    return QueryError(f"{msg}. {why}" if why else msg, tok.start, text)


class Cursor:
    """Non-whitespace tokens with a flag telling whether whitespace came before each."""

    def __init__(self, text: str, extended: bool = False):
        self.text = text
        self.extended = extended
        self.toks: list[Token] = []
        self.gap: list[bool] = []
        gap = False
        for t in tokenize(text):
            if t.kind is Kind.WS:
                gap = True
                continue
            self.toks.append(t)
            self.gap.append(gap)
            gap = False
        self.i = 0
        self.depth = 0

    def peek(self, k: int = 0) -> Token | None:
        j = self.i + k
        return self.toks[j] if j < len(self.toks) else None

    def gap_before(self, k: int = 0) -> bool:
        j = self.i + k
        return self.gap[j] if j < len(self.gap) else True

    def next(self) -> Token:
        tok = self.toks[self.i]
        self.i += 1
        return tok

    def is_kw(self, tok: Token | None, word: str) -> bool:
        """A keyword of the language. `NOT(` and `AND(` lex as function names in sqlparse,
        so MLflow cannot take them as keywords; the extension can."""
        if tok is None or tok.upper != word:
            return False
        return tok.kind is Kind.KEYWORD or (self.extended and tok.kind is Kind.NAME and tok.call)

    def ident(self) -> Operand:
        """A dotted name: `metrics.acc`, `` `metrics`.`a b` ``, `tags.mlflow.runName`."""
        first = self.peek()
        if first is None or first.kind not in _IDENT_START:
            raise self.unexpected(first, "Expected 'Identifier'")
        self.next()
        end, last = first.end, first
        while last.kind not in _TERMINAL_PART:
            dot = self.peek()
            if dot is None or dot.kind is not Kind.DOT or self.gap_before():
                break
            part = self.peek(1)
            if part is None or self.gap_before(1) or part.kind not in _IDENT_PART:
                bad = part if part is not None and not self.gap_before(1) else dot
                why = (
                    "Quote keys that are SQL keywords or contain spaces or punctuation,"
                    ' e.g. params.`from` or metrics."my key".'
                )
                raise _invalid(bad, self.text, why)
            self.next()
            last = self.next()
            end = last.end
        return Operand("ident", self.text[first.start : end], first.start)

    def paren_list(self) -> Operand:
        """A parenthesised list, kept as raw text (MLflow evaluates it as a Python tuple)."""
        open_ = self.next()
        depth = 1
        while self.peek() is not None:
            tok = self.next()
            if tok.kind is Kind.LPAREN:
                depth += 1
            elif tok.kind is Kind.RPAREN:
                depth -= 1
                if depth == 0:
                    return Operand("list", self.text[open_.start : tok.end], open_.start)
        raise QueryError("Unclosed '(' in filter string", open_.start, self.text)

    def value(self, op: Token) -> Operand:
        tok = self.peek()
        if tok is None:
            raise QueryError(
                f"Invalid clause(s) in filter string: '{op.text}' needs a value after it",
                op.start,
                self.text,
            )
        if tok.kind in (Kind.INT, Kind.FLOAT):
            self.next()
            return Operand("int" if tok.kind is Kind.INT else "float", tok.text, tok.start)
        if tok.kind is Kind.SQ:
            self.next()
            return Operand("string", tok.text, tok.start)
        if tok.kind in _IDENT_START:
            return self.ident()
        if tok.kind is Kind.LPAREN:
            return self.paren_list()
        if tok.kind is Kind.KEYWORD and tok.upper == "NULL":
            self.next()
            return Operand("null", tok.text, tok.start)
        raise _invalid(tok, self.text)

    def unexpected(self, tok: Token | None, what: str) -> QueryError:
        """`what` is "Expected …"; the message names what was found instead."""
        if tok is None:
            return QueryError(
                f"Invalid comparison clause. {what}, found the end of the filter",
                len(self.text),
                self.text,
            )
        if tok.kind is Kind.SEMI:
            return _invalid(tok, self.text)
        found = f"Invalid comparison clause. {what}, found '{tok.text}'"
        if tok.kind is Kind.OTHER and not self.gap[self.toks.index(tok)]:
            found += ". Quote keys that contain punctuation, e.g. metrics.`X-Y`"
        return QueryError(found, tok.start, self.text)

    def alias(self, ident: Operand) -> Operand:
        """sqlparse reads `tags.my key IS NULL` as identifier `tags.my` with alias `key`,
        and MLflow then uses the whole text, so the key is "my key". Only the IS / IN forms
        get there: before a comparator sqlparse groups `key = …` first."""
        tok = self.peek()
        if tok is None or tok.kind not in _IDENT_START or not self.gap_before():
            return ident
        if self.is_kw(tok, "NOT"):
            return ident
        mark = self.i
        try:
            alias = self.ident()
        except QueryError:
            self.i = mark
            return ident
        nxt = self.peek()
        negated_in = self.is_kw(nxt, "NOT") and self.is_kw(self.peek(1), "IN")
        if self.is_kw(nxt, "IS") or self.is_kw(nxt, "IN") or negated_in:
            end = alias.start + len(alias.text)
            return Operand("ident", self.text[ident.start : end], ident.start)
        self.i = mark
        return ident

    def clause(self) -> RawClause:
        ident = self.alias(self.ident())
        tok = self.peek()
        if tok is not None and tok.kind is Kind.OP:
            self.next()
            op = " ".join(tok.text.upper().split())
            return RawClause(ident, op, tok.start, self.value(tok), "binary")
        if self.is_kw(tok, "IS"):
            assert tok is not None
            self.next()
            nxt = self.peek()
            if self.is_kw(nxt, "NULL"):
                self.next()
                return RawClause(ident, "IS NULL", tok.start, None, "is")
            if nxt is not None and nxt.kind is Kind.NOT_NULL:
                if nxt.upper != "NOT NULL":  # MLflow compares the token's text
                    raise _invalid(nxt, self.text, "Write IS NOT NULL with single spaces.")
                self.next()
                return RawClause(ident, "IS NOT NULL", tok.start, None, "is")
            raise _invalid(nxt or tok, self.text, "Expected IS NULL or IS NOT NULL.")
        negated = self.is_kw(tok, "NOT") and self.is_kw(self.peek(1), "IN")
        if self.is_kw(tok, "IN") or negated:
            assert tok is not None
            self.next()
            if negated:
                self.next()
            paren = self.peek()
            if paren is None or paren.kind is not Kind.LPAREN:
                raise _invalid(paren or tok, self.text, "IN needs a parenthesised list.")
            op = "NOT IN" if negated else "IN"
            return RawClause(ident, op, tok.start, self.paren_list(), "in")
        raise self.unexpected(tok, f"Expected a comparator after '{ident.text}'")

    # -- AND / OR / NOT ---------------------------------------------------------------------

    def starts_term(self, tok: Token) -> bool:
        if self.extended and (tok.kind is Kind.LPAREN or self.is_kw(tok, "NOT")):
            return True
        return tok.kind in _IDENT_START

    def term(self) -> RawNode:
        tok = self.peek()
        assert tok is not None
        if self.depth > 100:
            raise QueryError("Filter nests too deeply", tok.start, self.text)
        self.depth += 1
        try:
            return self._term(tok)
        finally:
            self.depth -= 1

    def _term(self, tok: Token) -> RawNode:
        if self.extended and self.is_kw(tok, "NOT"):
            self.next()
            return RawNot(self.term_required(tok))
        if self.extended and tok.kind is Kind.LPAREN:
            self.next()
            inner = self.or_expr()
            close = self.peek()
            if close is None or close.kind is not Kind.RPAREN:
                raise self.unexpected(close, "Expected ')'")
            self.next()
            if isinstance(inner, RawAnd) and not inner.terms:
                raise QueryError("Empty parentheses in filter string", tok.start, self.text)
            return inner
        return self.clause()

    def term_required(self, after: Token) -> RawNode:
        tok = self.peek()
        if tok is None or not self.starts_term(tok):
            raise QueryError(f"Expected a clause after '{after.text}'", after.end, self.text)
        return self.term()

    def and_expr(self) -> RawNode:
        terms: list[RawNode] = []
        joined = True  # an AND (or the start) since the previous term
        while (tok := self.peek()) is not None:
            if self.is_kw(tok, "AND"):
                self.next()
                joined = True
                continue
            if tok.kind is Kind.SEMI:
                raise _invalid(tok, self.text)
            if self.extended and (tok.kind is Kind.RPAREN or self.is_kw(tok, "OR")):
                break
            if not self.starts_term(tok):
                raise _invalid(tok, self.text, _hint(tok, self))
            grouped = tok.kind not in _IDENT_START or self.is_kw(tok, "NOT")
            term = self.term()
            if not joined and (grouped or not _may_follow(terms[-1], term)):
                raise _invalid(tok, self.text, "Expected AND before this clause.")
            terms.append(term)
            joined = False
        return terms[0] if self.extended and len(terms) == 1 else RawAnd(tuple(terms))

    def or_expr(self) -> RawNode:
        start = self.peek()
        terms = [self.and_expr()]
        while self.is_kw(op := self.peek(), "OR"):
            assert op is not None
            self.next()
            nxt = self.and_expr()
            if isinstance(nxt, RawAnd) and not nxt.terms:
                raise QueryError("Expected a clause after 'OR'", op.end, self.text)
            terms.append(nxt)
        if len(terms) > 1 and isinstance(terms[0], RawAnd) and not terms[0].terms:
            assert start is not None
            raise QueryError("Expected a clause before 'OR'", start.start, self.text)
        return terms[0] if len(terms) == 1 else RawOr(tuple(terms))


def _may_follow(prev: RawNode, nxt: RawNode) -> bool:
    """Whether `nxt` may follow `prev` without an AND (see the module docstring)."""
    if not isinstance(prev, RawClause) or not isinstance(nxt, RawClause):
        return False
    return nxt.form == "binary" or prev.form == "is"


def _hint(tok: Token, cur: Cursor) -> str:
    word = tok.upper
    if tok.kind is Kind.LPAREN or tok.kind is Kind.RPAREN:
        return "Parentheses are not supported in MLflow filters."
    if word in ("OR", "NOT") and tok.kind in (Kind.KEYWORD, Kind.NAME):
        return f"{word} is not supported in MLflow filters (only AND)."
    if tok.kind in (Kind.INT, Kind.FLOAT, Kind.SQ):
        return "The identifier must come first, e.g. metrics.acc > 0.9."
    return ""


def check_single_statement(text: str) -> None:
    """MLflow rejects `a; b` (two statements) before anything else."""
    cur = Cursor(text)
    for i, tok in enumerate(cur.toks):
        if tok.kind is Kind.SEMI and i + 1 < len(cur.toks):
            raise QueryError(
                f"Search filter contained multiple expression {text!r}. "
                "Provide AND-ed expression list.",
                tok.start,
                text,
            )


def parse_structure(text: str, extended: bool = False) -> RawNode:
    """The raw tree of `text`; raises QueryError at the first token out of place."""
    check_single_statement(text)
    cur = Cursor(text, extended)
    node = cur.or_expr() if extended else cur.and_expr()
    tok = cur.peek()
    if tok is not None:
        raise _invalid(tok, text, _hint(tok, cur))
    return node
