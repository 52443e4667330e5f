"""A bounded cache for what NavTable keeps per cell and per line, hit thousands of times a
frame: a get or a set is a dict look-up or two.

Textual's LRUCache keeps a linked list in order on every set (about 2 µs in Python), and
keeps the first value set for a key. Here entries live in two generations: new ones go in
the young one; when it is full it becomes the old one and the one before is dropped. An
old entry that is used again moves back into the young one, so what is on screen survives
as in an LRU, and an assignment replaces.
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")

_MISSING: object = object()


class Generations(Generic[K, V]):
    """At most about `2 * size` entries; at least the `size` most recently set or used."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._young: dict[K, V] = {}
        self._old: dict[K, V] = {}

    def get(self, key: K) -> V | None:
        value = self._young.get(key, _MISSING)
        if value is not _MISSING:
            return value  # type: ignore[return-value]
        value = self._old.pop(key, _MISSING)
        if value is _MISSING:
            return None
        self[key] = value  # type: ignore[assignment]
        return value  # type: ignore[return-value]

    def __setitem__(self, key: K, value: V) -> None:
        young = self._young
        young[key] = value
        if len(young) > self._size:
            self._old = young
            self._young = {}

    def discard(self, key: K) -> None:
        self._young.pop(key, None)
        self._old.pop(key, None)

    def clear(self) -> None:
        self._young.clear()
        self._old.clear()

    def __len__(self) -> int:
        return len(self._young) + len(self._old)
