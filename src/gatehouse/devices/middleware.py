"""Device protocol endpoints live at fixed paths at the host root (`/iclock/...`: devices
cannot add a prefix). They go straight to the driver's URLconf: no session, CSRF, locale or
HTTPS redirect applies to a device, and a device request costs one URL match instead of the
whole console stack. Under ASGI (`gatehouse serve`) `DeviceASGIHandler` takes them; through
WSGI and the test client, `DeviceEndpointMiddleware`, first in the chain.

Under ASGI, Django gives each synchronous request a thread of its own that ends with the
request, and with it the thread's database connection: a device request would pay for a new
connection each time. Device requests run on a pool of long-lived threads instead, each with
its own connection kept open between requests (a device polls every few seconds), and
concurrent uploads share their commits (`groupcommit`)."""

from __future__ import annotations

import asyncio
import functools
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from django.conf import settings
from django.core.handlers.asgi import ASGIHandler
from django.db import DatabaseError, connections
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.urls import Resolver404, resolve

from gatehouse.devices import endpoints

DeviceView = Callable[[HttpRequest], HttpResponseBase]


def _device_view(request: HttpRequest) -> DeviceView | None:
    urlconf = endpoints.urlconf_for(request.path_info)
    if urlconf is None:
        return None
    try:
        match = resolve(request.path_info, urlconf=urlconf)
    except Resolver404:
        return _not_found
    view: DeviceView = match.func
    return view


def _not_found(request: HttpRequest) -> HttpResponseBase:
    return HttpResponse("not found", status=404, content_type="text/plain; charset=utf-8")


def _run(view: DeviceView, request: HttpRequest) -> HttpResponseBase:
    try:
        return view(request)
    except DatabaseError:
        # a broken connection (database restarted): drop it so the next request reconnects;
        # the device gets a 500 and sends the same data again
        for connection in connections.all(initialized_only=True):
            if connection.connection is not None and not connection.is_usable():
                connection.close()
        raise


class DeviceEndpointMiddleware:
    """Device paths that reach the ordinary handler (WSGI, the test client) are answered
    here, first in the chain, without the console's middleware."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        view = _device_view(request)
        if view is None:
            return self.get_response(request)
        return _run(view, request)


@functools.cache
def _executor() -> ThreadPoolExecutor:
    """Threads that live as long as the process, so their database connections do too."""
    return ThreadPoolExecutor(
        max_workers=settings.DEVICE_REQUEST_THREADS, thread_name_prefix="device-request"
    )


class DeviceASGIHandler(ASGIHandler):
    """The ASGI entry for device paths (asgi.py routes them here). Django would run the
    middleware chain in synchronous mode on a thread made for each request, which also means
    a new database connection each time; device views instead run on the long-lived pool."""

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        await self.handle(scope, receive, send)

    async def get_response_async(self, request: HttpRequest) -> HttpResponseBase:
        view = _device_view(request) or _not_found
        loop = asyncio.get_running_loop()
        response = await loop.run_in_executor(_executor(), functools.partial(_run, view, request))
        response._resource_closers.append(request.close)  # type: ignore[attr-defined]
        return response


def is_device_path(path: str) -> bool:
    return endpoints.urlconf_for(path) is not None


def close_pool_connections() -> None:
    """Close the database connections of the device-request threads (each thread's own) and
    stop the threads: for a process that ends, or a test database that must be dropped."""
    if _executor.cache_info().currsize == 0:
        return
    executor = _executor()
    workers = settings.DEVICE_REQUEST_THREADS
    barrier = threading.Barrier(workers)

    def close_in_this_thread() -> None:
        barrier.wait(timeout=30)  # one task per thread: all of them run at once
        connections.close_all()

    for future in [executor.submit(close_in_this_thread) for _ in range(workers)]:
        future.result(timeout=60)
    executor.shutdown(wait=True)
    _executor.cache_clear()
