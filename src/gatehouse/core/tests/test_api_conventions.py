"""The conventions every /api/v1/ endpoint shares: one error body for every failure, token and
session authentication (CSRF only for the session), the one-time-password gate, pagination and
the per-token rate limit."""

from __future__ import annotations

import gc
import string
from datetime import timedelta
from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client, override_settings
from django.utils import timezone
from django.utils.crypto import get_random_string
from django_scopes.state import get_scope

from gatehouse.core.actors import Actor
from gatehouse.core.scoping import platform_scope, tenant_scope
from gatehouse.tenancy import services
from gatehouse.tenancy.models import ApiToken, Group, User

GROUPS = "/api/v1/groups/"


@pytest.fixture(autouse=True)
def _fresh_throttle_cache() -> Any:
    """Throttle counters live in the cache; ids repeat between tests, so start clean."""
    cache.clear()
    yield
    cache.clear()


def make_token(user: Any, **kwargs: Any) -> tuple[ApiToken, str]:
    with platform_scope():
        return services.create_token(user, actor=Actor.system("test"), name="test", **kwargs)


def token_client(user: Any) -> Client:
    _token, secret = make_token(user)
    return Client(HTTP_HOST="localhost", HTTP_AUTHORIZATION=f"Token {secret}")


def assert_error(response: Any, status: int, code: str) -> dict[str, Any]:
    """The standard body: {"error": {"code", "message", "fields"}} and nothing else."""
    assert response.status_code == status, response.content[:500]
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"error"}
    error: dict[str, Any] = body["error"]
    assert set(error) == {"code", "message", "fields"}
    assert error["code"] == code, error
    assert isinstance(error["message"], str)
    assert error["message"]
    assert isinstance(error["fields"], dict)
    return error


# --- error bodies -------------------------------------------------------------------------


def test_400_validation_error_names_the_fields(cast) -> None:  # type: ignore[no-untyped-def]
    response = token_client(cast.a_admin).post(GROUPS, {}, content_type="application/json")
    error = assert_error(response, 400, "invalid")
    assert set(error["fields"]) == {"name", "parent"}
    assert error["fields"]["name"] == ["This field is required."]
    assert error["message"] == (
        "Some fields are not valid: name: This field is required. parent: This field is required."
    )


def test_400_service_refusal_names_the_field(cast) -> None:  # type: ignore[no-untyped-def]
    response = token_client(cast.a_admin).post(
        GROUPS,
        {"name": "branch", "parent": cast.a_admin.group_id},
        content_type="application/json",
    )
    error = assert_error(response, 400, "invalid")
    assert error["message"] == "A group with this name already exists here."
    assert error["fields"] == {"name": ["A group with this name already exists here."]}


def test_400_malformed_json(cast) -> None:  # type: ignore[no-untyped-def]
    response = token_client(cast.a_admin).post(
        GROUPS, '{"name": "x", ', content_type="application/json"
    )
    error = assert_error(response, 400, "parse_error")
    assert "JSON parse error" in error["message"]


def test_400_bad_filter_value(cast) -> None:  # type: ignore[no-untyped-def]
    response = token_client(cast.a_admin).get("/api/v1/users/?group=999999")
    error = assert_error(response, 400, "invalid")
    assert "group" in error["fields"]


def test_401_without_credentials(cast) -> None:  # type: ignore[no-untyped-def]
    response = Client(HTTP_HOST="localhost").get(GROUPS)
    error = assert_error(response, 401, "not_authenticated")
    assert response["WWW-Authenticate"] == "Token"
    assert error["message"] == "Authentication credentials were not provided."


def test_401_unknown_token(cast) -> None:  # type: ignore[no-untyped-def]
    client = Client(HTTP_HOST="localhost", HTTP_AUTHORIZATION="Token gh_deadbeef_nope")
    error = assert_error(client.get(GROUPS), 401, "invalid_token")
    assert error["message"] == "Invalid token."


def test_401_malformed_authorization_header(cast) -> None:  # type: ignore[no-untyped-def]
    client = Client(HTTP_HOST="localhost", HTTP_AUTHORIZATION="Token")
    error = assert_error(client.get(GROUPS), 401, "invalid_token")
    assert "Token <token>" in error["message"]


def test_401_expired_token_says_so(cast) -> None:  # type: ignore[no-untyped-def]
    token, secret = make_token(cast.a_admin, expires_at=timezone.now() + timedelta(days=1))
    ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() - timedelta(hours=1))
    client = Client(HTTP_HOST="localhost", HTTP_AUTHORIZATION=f"Token {secret}")
    error = assert_error(client.get(GROUPS), 401, "invalid_token")
    assert error["message"].startswith("This token expired on ")


def test_401_revoked_token_says_so(cast) -> None:  # type: ignore[no-untyped-def]
    token, secret = make_token(cast.a_admin)
    client = Client(HTTP_HOST="localhost", HTTP_AUTHORIZATION=f"Token {secret}")
    assert client.get(GROUPS).status_code == 200
    with platform_scope():
        services.revoke_token(token, actor=Actor.system("test"))
    error = assert_error(client.get(GROUPS), 401, "invalid_token")
    assert error["message"].startswith("This token was revoked on ")


def test_401_token_of_disabled_user_or_enterprise(cast) -> None:  # type: ignore[no-untyped-def]
    _token, secret = make_token(cast.a_member)
    client = Client(HTTP_HOST="localhost", HTTP_AUTHORIZATION=f"Token {secret}")
    User.global_objects.filter(pk=cast.a_member.pk).update(is_active=False)
    error = assert_error(client.get(GROUPS), 401, "invalid_token")
    assert error["message"] == "The account of this token is disabled."

    admin_client = token_client(cast.a_admin)
    cast.enterprise_a.is_active = False
    cast.enterprise_a.save()
    error = assert_error(admin_client.get(GROUPS), 401, "invalid_token")
    assert error["message"] == "The enterprise of this token is disabled."


def test_wrong_secret_with_a_real_prefix_is_just_invalid(cast) -> None:  # type: ignore[no-untyped-def]
    """Guessing at a known prefix learns nothing about that token (revoked or not)."""
    token, secret = make_token(cast.a_admin)
    with platform_scope():
        services.revoke_token(token, actor=Actor.system("test"))
    forged = secret[:-4] + ("AAAA" if not secret.endswith("AAAA") else "BBBB")
    client = Client(HTTP_HOST="localhost", HTTP_AUTHORIZATION=f"Token {forged}")
    assert assert_error(client.get(GROUPS), 401, "invalid_token")["message"] == "Invalid token."


def test_403_missing_permission_names_it(cast) -> None:  # type: ignore[no-untyped-def]
    response = token_client(cast.a_member).post(
        GROUPS, {"name": "x", "parent": cast.a_sub_group.pk}, content_type="application/json"
    )
    error = assert_error(response, 403, "permission_denied")
    assert error["message"] == "You do not have the permission “tenancy.add”."


def test_403_until_the_one_time_password_is_changed(cast) -> None:  # type: ignore[no-untyped-def]
    User.global_objects.filter(pk=cast.a_admin.pk).update(must_change_password=True)
    client = token_client(cast.a_admin)
    for url in (GROUPS, "/api/v1/me/", "/api/v1/tokens/"):
        error = assert_error(client.get(url), 403, "password_change_required")
        assert "change your one-time password" in error["message"]


def test_404_object_and_unknown_address(cast) -> None:  # type: ignore[no-untyped-def]
    client = token_client(cast.a_admin)
    error = assert_error(client.get(f"{GROUPS}999999/"), 404, "not_found")
    assert error["message"] == "No Group matches the given query."
    error = assert_error(client.get("/api/v1/no-such-thing/"), 404, "not_found")
    assert error["message"] == "There is no API endpoint at this address."
    error = assert_error(client.get("/api/v1/groups"), 404, "not_found")
    assert error["message"].endswith("Did you mean /api/v1/groups/?")
    assert_error(client.get(f"{GROUPS}?page=99"), 404, "not_found")


def test_405_method_not_allowed(cast) -> None:  # type: ignore[no-untyped-def]
    client = token_client(cast.a_admin)
    error = assert_error(client.delete("/api/v1/permissions/"), 405, "method_not_allowed")
    assert error["message"] == 'Method "DELETE" not allowed.'
    assert_error(client.put("/api/v1/me/", {}), 405, "method_not_allowed")


def test_429_is_the_standard_body_with_retry_after(cast, settings) -> None:  # type: ignore[no-untyped-def]
    rest = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"principal": "3/min"}}
    caches = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "api-throttle-test",
        }
    }
    with override_settings(REST_FRAMEWORK=rest, CACHES=caches):
        client = token_client(cast.a_admin)
        other = token_client(cast.a_admin)
        for _ in range(3):
            assert client.get(GROUPS).status_code == 200
        response = client.get(GROUPS)
        error = assert_error(response, 429, "throttled")
        assert "throttled" in error["message"]
        assert 0 < int(response["Retry-After"]) <= 60
        # the budget is per token: another token of the same user is not affected
        assert other.get(GROUPS).status_code == 200
    cache.clear()


# --- tokens and sessions ------------------------------------------------------------------


def test_token_use_updates_last_used_at(cast) -> None:  # type: ignore[no-untyped-def]
    token, secret = make_token(cast.a_admin)
    assert token.last_used_at is None
    client = Client(HTTP_HOST="localhost", HTTP_AUTHORIZATION=f"Token {secret}")
    assert client.get(GROUPS).status_code == 200
    token.refresh_from_db()
    assert token.last_used_at is not None
    assert timezone.now() - token.last_used_at < timedelta(minutes=1)


def test_bearer_keyword_is_accepted(cast) -> None:  # type: ignore[no-untyped-def]
    _token, secret = make_token(cast.a_admin)
    client = Client(HTTP_HOST="localhost", HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert client.get("/api/v1/me/").json()["username"] == "a-admin"


def test_token_requests_need_no_csrf_token(cast) -> None:  # type: ignore[no-untyped-def]
    _token, secret = make_token(cast.a_admin)
    client = Client(
        enforce_csrf_checks=True, HTTP_HOST="localhost", HTTP_AUTHORIZATION=f"Token {secret}"
    )
    response = client.post(
        GROUPS, {"name": "Night", "parent": cast.a_sub_group.pk}, content_type="application/json"
    )
    assert response.status_code == 201, response.content


def test_session_requests_need_csrf_for_unsafe_methods(cast) -> None:  # type: ignore[no-untyped-def]
    client = Client(enforce_csrf_checks=True, HTTP_HOST="localhost")
    client.force_login(cast.a_admin)
    assert client.get(GROUPS).status_code == 200  # safe methods need none

    payload = {"name": "Night", "parent": cast.a_sub_group.pk}
    response = client.post(GROUPS, payload, content_type="application/json")
    error = assert_error(response, 403, "permission_denied")
    assert error["message"].startswith("CSRF Failed")
    with platform_scope():
        assert not Group.objects.filter(name="Night").exists()

    secret = get_random_string(32, string.ascii_letters + string.digits)
    client.cookies["csrftoken"] = secret
    response = client.post(
        GROUPS, payload, content_type="application/json", HTTP_X_CSRFTOKEN=secret
    )
    assert response.status_code == 201, response.content


def test_token_request_leaves_no_scope_behind(cast) -> None:  # type: ignore[no-untyped-def]
    """The token's tenant scope ends with its request (a leaked scope would let unrelated code
    query inside that enterprise, or fail later with a stale one)."""
    before = dict(get_scope())
    responses = [token_client(user).get(GROUPS) for user in (cast.a_admin, cast.superadmin)]
    assert [r.status_code for r in responses] == [200, 200]
    assert dict(get_scope()) == before
    with tenant_scope(cast.enterprise_b.pk):
        inside = dict(get_scope())
        del responses  # the requests go away; nothing of their scopes may come back
        gc.collect()
        assert dict(get_scope()) == inside
        assert Group.objects.count() == 1  # still Bolt's scope: its top group only


# --- pagination ---------------------------------------------------------------------------


def test_pagination_page_and_page_size_up_to_100(cast) -> None:  # type: ignore[no-untyped-def]
    system = Actor.system("test")
    with platform_scope():
        for i in range(102):
            services.create_group(actor=system, parent=cast.a_sub_group, name=f"Team {i:03}")
    client = token_client(cast.a_admin)
    body = client.get(f"{GROUPS}?page_size=10&ordering=name").json()
    assert set(body) == {"count", "next", "previous", "results"}
    assert body["count"] == 105  # Acme, Branch, Sibling and the 102 teams
    assert [g["name"] for g in body["results"][:4]] == ["Acme", "Branch", "Sibling", "Team 000"]
    assert body["previous"] is None
    assert "page=2" in body["next"]
    page11 = client.get(f"{GROUPS}?page_size=10&ordering=name&page=11").json()
    assert [g["name"] for g in page11["results"]] == [f"Team {i:03}" for i in range(97, 102)]
    assert page11["next"] is None
    assert len(client.get(GROUPS).json()["results"]) == 25  # the default page size
    assert len(client.get(f"{GROUPS}?page_size=1000").json()["results"]) == 100  # the cap
