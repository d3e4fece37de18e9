"""The cheapest answer to the most frequent request: a poll (`GET /iclock/getrequest`) from a
known, approved, online device that has nothing to do. Answered at the ASGI level from the
process's device cache and the shared work counter, without building a Django request; any
other case (unknown device, device info to record, last contact to write, work queued) goes
through the full view. A thousand devices polling every few seconds are mostly this."""

from __future__ import annotations

import asyncio
from typing import Any
from urllib.parse import parse_qsl

from asgiref.sync import sync_to_async
from django.utils.http import http_date

from gatehouse.devices import commands, services

IDLE_CACHE_AGE = float(commands.IDLE_RECHECK)
POLL_PATHS = frozenset(f"/iclock/getrequest{suffix}" for suffix in ("", "/", ".aspx", ".aspx/"))


async def answer_idle_poll(scope: Any, send: Any) -> bool:
    """True when the poll was answered here (`OK`, nothing to do)."""
    if scope.get("method") != "GET" or scope.get("path") not in POLL_PATHS:
        return False
    query = {
        key.upper(): value
        for key, value in parse_qsl(scope.get("query_string", b"").decode("latin-1"))
    }
    serial_number = query.get("SN")
    if not serial_number or "INFO" in query:
        return False
    # an idle answer stays right with an old copy: a change to the device (approval, a
    # move, settings, deletion) signals work, which sends the poll to the full view, and
    # that reads the device afresh
    device = services.DEVICE_CACHE.get(serial_number, max_age=IDLE_CACHE_AGE)
    if device is None or device.is_pending or not device.reported_online:
        return False
    _version, idle = await commands.work_state_async(device.pk)
    if not idle:
        return False
    if services.note_idle_contact(device):
        asyncio.get_running_loop().call_later(services.SEEN_TIMES.FLUSH_SECONDS, _flush_seen)
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [
                (b"content-type", b"text/plain; charset=utf-8"),
                (b"content-length", b"2"),
                (b"date", http_date().encode("ascii")),
            ],
        }
    )
    await send({"type": "http.response.body", "body": b"OK"})
    return True


_FLUSHES: set[asyncio.Task[int]] = set()


def _flush_seen() -> None:
    """Write the buffered last-seen times from a thread (kept referenced until done)."""
    task = asyncio.ensure_future(sync_to_async(services.SEEN_TIMES.flush, thread_sensitive=False)())
    _FLUSHES.add(task)
    task.add_done_callback(_FLUSHES.discard)
