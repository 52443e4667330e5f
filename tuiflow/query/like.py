"""Comparators as MLflow's file store applies them (`SearchUtils.get_comparison_func`).

LIKE is MLflow's regex translation, copied exactly: the pattern is `re.escape`d, `%`
becomes `.*` and `_` becomes `.`, and `^` / `$` anchor it unless the pattern starts / ends
with `%`. There is no escape character. Matching uses `re.match` without DOTALL, so `%`
does not cross a newline and `$` also matches before a final newline, just like MLflow.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable
from functools import lru_cache
from typing import Any


@lru_cache(maxsize=256)
def like_regex(pattern: str, ignore_case: bool = False) -> re.Pattern[str]:
    regex = re.escape(pattern).replace("%", ".*").replace("_", ".")
    if not pattern.startswith("%"):
        regex = "^" + regex
    if not pattern.endswith("%"):
        regex = regex + "$"
    return re.compile(regex, re.IGNORECASE if ignore_case else 0)


def like(string: str, pattern: str) -> bool:
    return like_regex(pattern).match(string) is not None


def ilike(string: str, pattern: str) -> bool:
    return like_regex(pattern, True).match(string) is not None


COMPARATORS: dict[str, Callable[[Any, Any], bool]] = {
    ">": operator.gt,
    ">=": operator.ge,
    "=": operator.eq,
    "!=": operator.ne,
    "<=": operator.le,
    "<": operator.lt,
    "LIKE": like,
    "ILIKE": ilike,
    "IN": lambda x, y: x in y,
    "NOT IN": lambda x, y: x not in y,
}
