"""The console side of live events: every logged-in page opens the socket; the dashboard has
the "Live events" card that console.js fills (newest first, at most 20)."""

from __future__ import annotations

from typing import Any

import pytest


@pytest.mark.django_db
def test_the_dashboard_has_a_live_event_feed(cast: Any, client_for: Any) -> None:
    page = client_for("a-member").get("/").content.decode()
    assert 'data-realtime-url="/ws/console/"' in page
    assert "data-live-feed" in page
    assert 'data-live-limit="20"' in page
    assert "Events appear here as they happen." in page


@pytest.mark.django_db
def test_an_anonymous_page_opens_no_socket(client: Any) -> None:
    page = client.get("/login/", HTTP_HOST="localhost").content.decode()
    assert "data-realtime-url" not in page
