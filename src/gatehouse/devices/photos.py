"""Face photos as devices receive them. A sync sends the same photos to every device of a
group at about the same moment, so they are fetched in bulk and kept in a per-process cache:
photos are stored under their content hash and never change, so a cached copy cannot go
stale."""

from __future__ import annotations

from collections.abc import Iterable

from django.core.files.storage import default_storage

from gatehouse.devices.caches import SharedCache
from gatehouse.people.models import Photo

CACHE_BYTES = 64 * 1024 * 1024

CACHE: SharedCache[int, bytes] = SharedCache(CACHE_BYTES, len)


def load_many(photo_ids: Iterable[int]) -> dict[int, bytes]:
    """The photos' bytes by id (call inside the device's tenant scope); one query for those
    not cached. Ids that do not exist (any more) are left out."""
    found, missing = CACHE.get_many(photo_ids)
    if missing:
        for photo_id, name in Photo.objects.filter(pk__in=missing).values_list("pk", "file"):
            with default_storage.open(name, "rb") as handle:
                found[photo_id] = handle.read()
            CACHE.put(photo_id, found[photo_id])
    return found
