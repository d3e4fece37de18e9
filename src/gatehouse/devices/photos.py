"""Face photos as devices receive them. A sync sends the same photos to every device of a
group, so the bytes are kept in a small per-process cache: photos are stored under their
content hash and never change, so a cached copy cannot go stale."""

from __future__ import annotations

import threading
from collections import OrderedDict

from django.core.files.storage import default_storage

from gatehouse.people.models import Photo

CACHE_BYTES = 64 * 1024 * 1024


class _PhotoCache:
    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._lock = threading.Lock()
        self._entries: OrderedDict[int, bytes] = OrderedDict()
        self._size = 0

    def get(self, photo_id: int) -> bytes | None:
        with self._lock:
            data = self._entries.get(photo_id)
            if data is not None:
                self._entries.move_to_end(photo_id)
            return data

    def put(self, photo_id: int, data: bytes) -> None:
        with self._lock:
            if photo_id in self._entries or len(data) > self.limit:
                return
            self._entries[photo_id] = data
            self._size += len(data)
            while self._size > self.limit:
                _old, evicted = self._entries.popitem(last=False)
                self._size -= len(evicted)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._size = 0


CACHE = _PhotoCache(CACHE_BYTES)


def load(photo_id: int) -> bytes:
    """The photo's bytes (call inside the device's tenant scope)."""
    data = CACHE.get(photo_id)
    if data is None:
        photo = Photo.objects.get(pk=photo_id)
        with default_storage.open(photo.file.name, "rb") as handle:
            data = handle.read()
        CACHE.put(photo_id, data)
    return data
