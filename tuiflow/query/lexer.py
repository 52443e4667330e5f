"""Tokens of MLflow's filter and order_by language.

MLflow does not have a grammar of its own: it runs the text through `sqlparse` and then
inspects the tokens. Which strings it accepts therefore follows sqlparse's lexer, and the
rules below are sqlparse's own regular expressions (sqlparse 0.5/0.6 `keywords.SQL_REGEX`),
tried in the same order, for every construct the filter language can use. That is what
makes the corner cases agree: `params.from` is rejected (FROM is lexed as a keyword even
after a dot) while `params.select` is accepted; `metrics.1abc` is a key but `metrics.12a`
is not (`.12` lexes as a number); `'it''s'` and `'a\\'b'` are single tokens; `NOT NULL` is
one token whose spelling matters.

Constructs that only make sense in full SQL (comments, placeholders, `$$` literals, `::`
casts, JSON operators, …) all become `OTHER` tokens, which the parser rejects.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum


class Kind(Enum):
    NAME = "name"  # a word that is not a keyword of the filter language
    KEYWORD = "keyword"  # AND, OR, NOT, IS, NULL, IN, … (value is upper-cased)
    NOT_NULL = "not null"  # sqlparse lexes `NOT <ws> NULL` as one token
    ORDER = "order"  # ASC / DESC (optionally with NULLS FIRST|LAST, which is invalid)
    OP = "op"  # a run of <>=~! characters, or LIKE / ILIKE / RLIKE / REGEXP (maybe NOT …)
    INT = "int"
    FLOAT = "float"
    SQ = "single-quoted"
    DQ = "double-quoted"
    BACKTICK = "backtick"
    BRACKET = "bracket"  # [a b]: sqlite's quoted name; sqlparse accepts it in keys
    STAR = "star"
    DOT = "dot"
    LPAREN = "("
    RPAREN = ")"
    COMMA = ","
    SEMI = ";"
    WS = "whitespace"
    OTHER = "other"


@dataclass(frozen=True, slots=True)
class Token:
    kind: Kind
    text: str  # exactly as written
    start: int
    end: int
    # A word directly followed by "(": sqlparse makes it a function name, never a keyword.
    call: bool = False

    @property
    def upper(self) -> str:
        return self.text.upper()


# Keywords the grammar needs to recognise. sqlparse knows ~800 more; a bare word from that
# larger list can only appear where the filter needs a name or a value, and both
# sqlparse's keyword and our name lead to a rejection there (only the wording differs).
# PARAMETER(S) matter too: they are sqlparse keywords, so `parameters.1abc` (where the
# name-before-a-dot rule does not apply because a digit follows the dot) is rejected.
KEYWORDS = frozenset(
    {"AND", "OR", "NOT", "IS", "NULL", "IN", "TRUE", "FALSE", "BETWEEN", "EXISTS", "ESCAPE"}
    | {"PARAMETER", "PARAMETERS"}
)

_F = re.IGNORECASE | re.UNICODE
_LETTER = "A-ZÀ-Ü"  # sqlparse's idea of a letter that may start a name

# (regex, kind) in sqlparse's order. None as kind means "word: keyword or name".
_RULES: list[tuple[re.Pattern[str], Kind | None]] = [
    (re.compile(r"(--|# ).*?(\r\n|\r|\n|$)", _F), Kind.OTHER),  # comments
    (re.compile(r"/\*"), Kind.OTHER),
    (re.compile(r"\s+", _F), Kind.WS),
    (re.compile(r":=|::"), Kind.OTHER),
    (re.compile(r"\*"), Kind.STAR),
    (re.compile(r"`(``|[^`])*`"), Kind.BACKTICK),
    (re.compile(r"´(´´|[^´])*´"), Kind.OTHER),
    (re.compile(r"\?|%(\(\w+\))?s|(?<!\w)[$:?]\w+", _F), Kind.OTHER),  # placeholders
    (re.compile(r"\\\w+", _F), Kind.OTHER),
    (re.compile(r"(CASE|IN|VALUES|USING|FROM|AS)\b", _F), Kind.KEYWORD),
    (re.compile(rf"(@|##|#)[{_LETTER}]\w+", _F), Kind.OTHER),
    (re.compile(rf"[{_LETTER}]\w*(?=\s*\.(?!\d))", _F), Kind.NAME),  # before a dot
    (re.compile(rf"(?<=\.)[{_LETTER}]\w*", _F), Kind.NAME),  # after a dot
    (re.compile(rf"[{_LETTER}]\w*(?=\()", _F), Kind.NAME),  # function name
    (re.compile(r"-?0x[\dA-F]+", _F), Kind.OTHER),
    (re.compile(r"-?\d+(\.\d+)?E-?\d+", _F), Kind.FLOAT),
    (re.compile(rf"(?![_{_LETTER}])-?(\d+(\.\d*)|\.\d+)(?![_{_LETTER}])", _F), Kind.FLOAT),
    (re.compile(rf"(?![_{_LETTER}])-?\d+(?![_{_LETTER}])", _F), Kind.INT),
    (re.compile(r"'(''|\\'|[^'])*'", _F), Kind.SQ),
    (re.compile(r'"(""|\\"|[^"])*"', _F), Kind.DQ),
    (re.compile(r'(""|".*?[^\\]")', _F), Kind.DQ),
    (re.compile(r"(?<![\w\])])(\[[^\]\[]+\])", _F), Kind.BRACKET),
    (re.compile(r"NOT\s+NULL\b", _F), Kind.NOT_NULL),
    (re.compile(r"(ASC|DESC)(\s+NULLS\s+(FIRST|LAST))?\b", _F), Kind.ORDER),
    (re.compile(r"NULLS\s+(FIRST|LAST)\b", _F), Kind.OTHER),
    (re.compile(r"(NOT\s+)?(LIKE|ILIKE|RLIKE)\b", _F), Kind.OP),
    (re.compile(r"(NOT\s+)?(REGEXP)(\s+(BINARY))?\b", _F), Kind.OP),
    (re.compile(r"\w[$#\w]*", _F), None),
    (re.compile(r"\."), Kind.DOT),
    (re.compile(r"\("), Kind.LPAREN),
    (re.compile(r"\)"), Kind.RPAREN),
    (re.compile(r","), Kind.COMMA),
    (re.compile(r";"), Kind.SEMI),
    (re.compile(r"[:\[\]]"), Kind.OTHER),
    (re.compile(r"->>?|#>>?|@>|<@|\?\|?|\?&|-|#-"), Kind.OTHER),
    (re.compile(r"[<>=~!]+"), Kind.OP),
    (re.compile(r"[+/@#%^&|^-]+"), Kind.OTHER),
]


def tokenize(text: str) -> list[Token]:
    """Every token of `text`, whitespace included; never raises."""
    out: list[Token] = []
    pos, n = 0, len(text)
    while pos < n:
        for rx, kind in _RULES:
            m = rx.match(text, pos)
            if m is None or m.end() == pos:
                continue
            word = m.group()
            call = False
            if kind is None:
                kind = Kind.KEYWORD if word.upper() in KEYWORDS else Kind.NAME
            if kind is Kind.NAME:
                call = text.startswith("(", m.end())
            out.append(Token(kind, word, pos, m.end(), call))
            pos = m.end()
            break
        else:
            out.append(Token(Kind.OTHER, text[pos], pos, pos + 1))
            pos += 1
    return out
