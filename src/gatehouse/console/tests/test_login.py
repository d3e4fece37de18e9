"""Login details that belong to the console (the rest is in tenancy/tests)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.test import Client
from tests.support import PASSWORD

from gatehouse.tenancy.models import User


def test_a_users_language_applies_from_login_on(cast: Any) -> None:
    User.global_objects.filter(username="a-admin").update(language="fr")
    client = Client(HTTP_HOST="localhost")
    response = client.post("/login/", {"username": "a-admin", "password": PASSWORD})
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "fr"
    assert 'lang="fr"' in client.get("/").content.decode()


def test_without_a_language_no_cookie_is_set(cast: Any) -> None:
    client = Client(HTTP_HOST="localhost")
    response = client.post("/login/", {"username": "a-admin", "password": PASSWORD})
    assert settings.LANGUAGE_COOKIE_NAME not in response.cookies
