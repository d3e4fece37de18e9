"""/api/v1/tokens/ (the caller's own tokens) and /api/v1/me/ (the caller's profile)."""

from __future__ import annotations

import string
from datetime import timedelta
from typing import Any

from django.test import Client
from django.utils import timezone
from django.utils.crypto import get_random_string

from gatehouse.core.permissions import all_codenames
from gatehouse.core.scoping import platform_scope
from gatehouse.core.tests.test_api_conventions import (  # noqa: F401 - fixture
    _fresh_throttle_cache,
    assert_error,
    make_token,
    token_client,
)
from gatehouse.tenancy.models import ApiToken

URL = "/api/v1/tokens/"


def session_client(user: Any) -> Client:
    """A signed-in browser session, with CSRF enforced as in production."""
    client = Client(enforce_csrf_checks=True, HTTP_HOST="localhost")
    client.force_login(user)
    secret = get_random_string(32, string.ascii_letters + string.digits)
    client.cookies["csrftoken"] = secret
    client.defaults["HTTP_X_CSRFTOKEN"] = secret
    return client


def test_create_from_session_shows_the_secret_once(cast) -> None:  # type: ignore[no-untyped-def]
    client = session_client(cast.a_member)
    expires = (timezone.now() + timedelta(days=30)).replace(microsecond=0)
    response = client.post(
        URL, {"name": " CI ", "expires_at": expires.isoformat()}, content_type="application/json"
    )
    assert response.status_code == 201, response.content
    body = response.json()
    secret = body["secret"]
    assert secret.startswith(f"gh_{body['prefix']}_")
    assert (body["name"], body["is_usable"], body["revoked_at"]) == ("CI", True, None)
    listed = client.get(URL).json()["results"]
    assert [t["id"] for t in listed] == [body["id"]]
    assert "secret" not in listed[0]
    assert "secret" not in client.get(f"{URL}{body['id']}/").json()
    with platform_scope():
        stored = ApiToken.objects.get(pk=body["id"])
    assert secret not in (stored.key_hash, stored.prefix)
    assert stored.expires_at == expires
    # the secret works, as its owner
    me = Client(HTTP_HOST="localhost", HTTP_AUTHORIZATION=f"Token {secret}").get("/api/v1/me/")
    assert me.json()["username"] == "a-member"


def test_tokens_cannot_create_tokens(cast) -> None:  # type: ignore[no-untyped-def]
    client = token_client(cast.a_admin)
    response = client.post(URL, {"name": "successor"}, content_type="application/json")
    error = assert_error(response, 403, "permission_denied")
    assert "signed-in session" in error["message"]
    with platform_scope():
        assert not ApiToken.objects.filter(name="successor").exists()


def test_bad_token_input(cast) -> None:  # type: ignore[no-untyped-def]
    client = session_client(cast.a_admin)
    past = (timezone.now() - timedelta(days=1)).isoformat()
    cases = [
        ({"name": "  "}, {"name": ["This field may not be blank."]}),
        (
            {"name": "old", "expires_at": past},
            {"expires_at": ["The expiry must be in the future."]},
        ),
        (
            {"name": "x", "expires_at": "tomorrow"},
            {
                "expires_at": [
                    "Datetime has wrong format. Use one of these formats instead: "
                    "YYYY-MM-DDThh:mm[:ss[.uuuuuu]][+HH:MM|-HH:MM|Z]."
                ]
            },
        ),
    ]
    for payload, fields in cases:
        response = client.post(URL, payload, content_type="application/json")
        assert assert_error(response, 400, "invalid")["fields"] == fields, payload
    with platform_scope():
        assert not ApiToken.objects.exists()


def test_only_own_tokens_are_listed_and_revocable(cast) -> None:  # type: ignore[no-untyped-def]
    theirs, _ = make_token(cast.a_member)
    client = token_client(cast.a_admin)  # a-admin is the member's administrator, still no
    listed = client.get(URL).json()["results"]
    assert theirs.pk not in [t["id"] for t in listed]
    assert_error(client.get(f"{URL}{theirs.pk}/"), 404, "not_found")
    assert_error(client.delete(f"{URL}{theirs.pk}/"), 404, "not_found")
    theirs.refresh_from_db()
    assert theirs.revoked_at is None


def test_delete_revokes(cast) -> None:  # type: ignore[no-untyped-def]
    token, secret = make_token(cast.a_admin)
    other = token_client(cast.a_admin)
    assert other.delete(f"{URL}{token.pk}/").status_code == 204
    token.refresh_from_db()
    assert token.revoked_at is not None
    revoked = Client(HTTP_HOST="localhost", HTTP_AUTHORIZATION=f"Token {secret}")
    assert_error(revoked.get("/api/v1/me/"), 401, "invalid_token")
    listed = {t["id"]: t for t in other.get(URL).json()["results"]}
    assert listed[token.pk]["is_usable"] is False
    error = assert_error(other.delete(f"{URL}{token.pk}/"), 400, "invalid")
    assert error["message"] == "This token is already revoked."


def test_a_token_can_revoke_itself(cast) -> None:  # type: ignore[no-untyped-def]
    token, secret = make_token(cast.b_admin)
    client = Client(HTTP_HOST="localhost", HTTP_AUTHORIZATION=f"Token {secret}")
    assert client.delete(f"{URL}{token.pk}/").status_code == 204
    assert_error(client.get(URL), 401, "invalid_token")


def test_tokens_need_no_registry_permission(cast) -> None:  # type: ignore[no-untyped-def]
    response = session_client(cast.b_admin).post(
        URL, {"name": "b"}, content_type="application/json"
    )
    assert response.status_code == 201
    response = session_client(cast.superadmin).post(
        URL, {"name": "root"}, content_type="application/json"
    )
    assert response.status_code == 201
    assert [t["name"] for t in token_client(cast.superadmin).get(URL).json()["results"]] == [
        "test",
        "root",
    ]


# --- me -----------------------------------------------------------------------------------


def test_me_for_a_member(cast) -> None:  # type: ignore[no-untyped-def]
    body = token_client(cast.a_member).get("/api/v1/me/").json()
    assert body == {
        "id": cast.a_member.pk,
        "username": "a-member",
        "full_name": "",
        "email": "",
        "language": "",
        "enterprise": {"id": cast.enterprise_a.pk, "code": "acme", "name": "Acme"},
        "group": {"id": cast.a_sub_group.pk, "name": "Branch", "path": cast.a_sub_group.path},
        "is_superuser": False,
        "is_group_admin": False,
        "totp_enabled": False,
        "roles": [{"id": cast.a_role.pk, "name": "A viewers"}],
        "permissions": ["audit.view", "tenancy.view"],
    }


def test_me_for_admins(cast) -> None:  # type: ignore[no-untyped-def]
    admin = token_client(cast.a_admin).get("/api/v1/me/").json()
    assert admin["is_group_admin"] is True
    assert admin["permissions"] == sorted(all_codenames())
    assert not any(code.startswith("platform.") for code in admin["permissions"])
    root = session_client(cast.superadmin).get("/api/v1/me/").json()
    assert (root["enterprise"], root["group"], root["is_superuser"]) == (None, None, True)
    assert {"platform.view", "platform.add", "tenancy.delete"} <= set(root["permissions"])


def test_me_needs_authentication(cast) -> None:  # type: ignore[no-untyped-def]
    assert_error(Client(HTTP_HOST="localhost").get("/api/v1/me/"), 401, "not_authenticated")
