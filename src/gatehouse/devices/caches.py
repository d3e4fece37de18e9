"""Per-process caches of immutable things many devices ask for at once: photo bytes (stored
under their content hash), the records of a shared sync batch, and their rendered wire text.
What they hold never changes under its key, so a cached copy cannot go stale; the bound is
in bytes so that a sync of large photos cannot grow the process without limit."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Hashable, Iterable
from typing import Any, Generic, TypeVar

import cachetools

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")

_ALL: list[SharedCache[Any, Any]] = []


class SharedCache(Generic[K, V]):
    """A least-recently-used cache bounded by the summed `size` of its values, safe to use
    from the device request threads."""

    def __init__(self, limit: int, size: Callable[[V], int]) -> None:
        self._lock = threading.Lock()
        self._entries: cachetools.LRUCache[K, V] = cachetools.LRUCache(limit, getsizeof=size)
        _ALL.append(self)

    def get_many(self, keys: Iterable[K]) -> tuple[dict[K, V], list[K]]:
        """(the cached values by key, the keys that were not cached)."""
        found: dict[K, V] = {}
        missing: list[K] = []
        with self._lock:
            for key in keys:
                value = self._entries.get(key)
                if value is None:
                    missing.append(key)
                else:
                    found[key] = value
        return found, missing

    def get(self, key: K) -> V | None:
        with self._lock:
            return self._entries.get(key)

    def put(self, key: K, value: V) -> None:
        # a value larger than the whole cache is not kept
        with self._lock, contextlib.suppress(ValueError):
            self._entries[key] = value

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


def clear_all() -> None:
    """Empty every cache (tests: ids repeat when a test database rolls back)."""
    for cache in _ALL:
        cache.clear()
