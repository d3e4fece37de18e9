"""Helpers shared by tests (importable as `tests.support`; conftest modules shadow each other)."""

from __future__ import annotations

from django.test import Client

PASSWORD = "Correct-Horse-42"


def login_client(username: str, password: str = PASSWORD) -> Client:
    client = Client(HTTP_HOST="localhost")
    response = client.post("/login/", {"username": username, "password": password})
    assert response.status_code == 302, response.content[:500]
    return client
