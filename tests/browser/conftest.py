"""Browser test fixtures: a live ASGI server on the test database and Debian's Chromium.

The server is uvicorn serving gatehouse.asgi:application in a background thread of the test
process, so it reads and writes the same test database as the test (PostgreSQL, or SQLite's
shared in-memory database). Tests use `transactional_db` (through `asgi_server`), so what the
server commits is visible to the test and is flushed afterwards.

Chromium is Debian's (/usr/bin/chromium, or GATEHOUSE_CHROMIUM); Playwright never downloads a
browser here. Every page records console errors, uncaught exceptions and Content Security
Policy violations; a test fails on any of them (see `page` and `ConsoleWatch`).
"""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

CHROMIUM = os.environ.get("GATEHOUSE_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
VIEWPORT = {"width": 1280, "height": 800}

# Runs before any page script (the CSP does not apply to Playwright's init scripts) and reports
# every CSP violation to the test through an exposed binding, which survives navigations.
CSP_RECORDER = """
document.addEventListener("securitypolicyviolation", function (e) {
  window.gatehouseReportCsp(e.violatedDirective + " blocked " + (e.blockedURI || "inline")
    + " at " + e.sourceFile + ":" + e.lineNumber);
});
"""


@dataclass
class LiveServer:
    url: str

    def __str__(self) -> str:
        return self.url


def _close_server_connections() -> None:
    from django.db import connections

    connections.close_all()


@pytest.fixture
def asgi_server(transactional_db: None, monkeypatch: pytest.MonkeyPatch) -> Iterator[LiveServer]:
    """uvicorn on 127.0.0.1 (a free port) in a thread, sharing the test database.

    (Not named `live_server`: that is pytest-django's WSGI fixture, which it treats specially.)
    """
    import uvicorn
    from asgiref.sync import sync_to_async
    from django.db import connections

    from gatehouse.asgi import application

    # Django serves each ASGI request in a thread of its own, so a persistent connection is
    # never reused: it stays open until garbage-collected and keeps PostgreSQL from dropping
    # the test database. Close it at the end of each request, as Django advises under ASGI.
    for alias in connections:
        monkeypatch.setitem(connections.settings[alias], "CONN_MAX_AGE", 0)

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(
        application,
        host="127.0.0.1",
        port=port,
        loop="asyncio",
        lifespan="off",
        log_config=None,
        log_level="warning",
        access_log=False,
    )
    server = uvicorn.Server(config)
    loop = asyncio.new_event_loop()
    failure: list[BaseException] = []

    def serve() -> None:
        asyncio.set_event_loop(loop)
        try:
            loop.run_until_complete(server.serve(sockets=[sock]))
        except BaseException as exc:  # reported to the test below
            failure.append(exc)
        finally:
            loop.close()

    thread = threading.Thread(target=serve, name="live-server", daemon=True)
    thread.start()
    for _ in range(200):
        if server.started or failure or not thread.is_alive():
            break
        time.sleep(0.05)
    if not server.started:
        raise RuntimeError(f"the live server did not start: {failure!r}")
    try:
        yield LiveServer(url=f"http://127.0.0.1:{port}")
    finally:
        # Close the database connections the server opened (in asgiref's thread-sensitive
        # executor) so PostgreSQL can flush and later drop the test database.
        asyncio.run_coroutine_threadsafe(sync_to_async(_close_server_connections)(), loop).result(
            timeout=10
        )
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


@pytest.fixture
def browser(transactional_db: None, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """Chromium for one test.

    Playwright's sync API keeps an asyncio loop running in the test thread while it is open;
    Django then refuses ORM calls there (unless DJANGO_ALLOW_ASYNC_UNSAFE) and async_to_sync
    fails (events could not be published). So the browser lives for one test only, opened after
    the database fixtures and closed before the database is flushed, and later tests in the
    same process find a thread without a loop.
    """
    if not shutil.which(CHROMIUM) and not os.path.exists(CHROMIUM):
        pytest.fail(f"Chromium not found at {CHROMIUM} (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@dataclass
class ConsoleWatch:
    """Console errors, page errors and CSP violations seen by one page."""

    errors: list[str] = field(default_factory=list)
    allowed: list[str] = field(default_factory=list)

    def assert_clean(self) -> None:
        unexpected = self.unexpected()
        assert not unexpected, "browser console errors:\n" + "\n".join(unexpected)

    def allow(self, fragment: str) -> None:
        """Accept console errors containing `fragment` (e.g. an expected 400 response)."""
        self.allowed.append(fragment)

    def unexpected(self) -> list[str]:
        return [e for e in self.errors if not any(a in e for a in self.allowed)]


@pytest.fixture
def console_watch() -> ConsoleWatch:
    return ConsoleWatch()


@pytest.fixture
def context(browser: Any, console_watch: ConsoleWatch) -> Iterator[Any]:
    context = browser.new_context(viewport=VIEWPORT, color_scheme="light", locale="en-US")
    context.expose_binding(
        "gatehouseReportCsp",
        lambda _source, text: console_watch.errors.append(f"CSP violation: {text}"),
    )
    context.add_init_script(CSP_RECORDER)
    context.set_default_timeout(10_000)
    yield context
    context.close()


@pytest.fixture
def page(context: Any, console_watch: ConsoleWatch) -> Iterator[Any]:
    """A page that fails the test on any console error, page error or CSP violation."""
    page = context.new_page()

    def on_console(message: Any) -> None:
        if message.type == "error":
            location = message.location or {}
            console_watch.errors.append(f"console: {message.text} ({location.get('url', '')})")

    page.on("console", on_console)
    page.on("pageerror", lambda exc: console_watch.errors.append(f"page error: {exc}"))
    yield page
    page.close()
    console_watch.assert_clean()
