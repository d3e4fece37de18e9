"""The end-to-end tests serve device requests on the server's own thread pool, whose threads
keep database connections open; they are closed after each test so that the test database
can be dropped at the end."""

from __future__ import annotations

from collections.abc import Iterator

import pytest


@pytest.fixture(autouse=True)
def _close_device_pool() -> Iterator[None]:
    yield
    from gatehouse.devices.middleware import close_pool_connections

    close_pool_connections()
