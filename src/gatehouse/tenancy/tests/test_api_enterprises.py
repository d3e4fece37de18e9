"""/api/v1/enterprises/: the platform super administrator's, and nobody else's."""

from __future__ import annotations

from typing import Any

from django.test import Client

from gatehouse.core.scoping import platform_scope
from gatehouse.core.tests.test_api_conventions import (  # noqa: F401 - fixture
    _fresh_throttle_cache,
    assert_error,
    token_client,
)
from gatehouse.tenancy.models import Enterprise, Group, User

URL = "/api/v1/enterprises/"


def codes(response: Any) -> list[str]:
    assert response.status_code == 200, response.content[:500]
    return [e["code"] for e in response.json()["results"]]


def post(client: Client, data: dict[str, Any]) -> Any:
    return client.post(URL, data, content_type="application/json")


def test_only_the_super_admin_sees_enterprises(cast) -> None:  # type: ignore[no-untyped-def]
    for user in (cast.a_admin, cast.a_member, cast.b_admin):
        client = token_client(user)
        error = assert_error(client.get(URL), 403, "permission_denied")
        assert error["message"] == "You do not have the permission “platform.view”."
        assert_error(client.get(f"{URL}{cast.enterprise_a.pk}/"), 403, "permission_denied")
        response = post(client, {"code": "evil", "name": "Evil", "admin_username": "evil"})
        assert_error(response, 403, "permission_denied")
        assert_error(client.delete(f"{URL}{cast.enterprise_b.pk}/"), 403, "permission_denied")
    with platform_scope():
        assert Enterprise.objects.count() == 2


def test_list_filter_search_order(cast) -> None:  # type: ignore[no-untyped-def]
    cast.enterprise_b.is_active = False
    cast.enterprise_b.save()
    client = token_client(cast.superadmin)
    assert codes(client.get(URL)) == ["acme", "bolt"]
    assert codes(client.get(f"{URL}?is_active=false")) == ["bolt"]
    assert codes(client.get(f"{URL}?search=acm")) == ["acme"]
    assert codes(client.get(f"{URL}?ordering=-code")) == ["bolt", "acme"]


def test_create_returns_the_admin_password_once(cast) -> None:  # type: ignore[no-untyped-def]
    client = token_client(cast.superadmin)
    response = post(
        client,
        {
            "code": "cyan",
            "name": "Cyan Corp",
            "contact_email": "ops@cyan.example",
            "admin_username": "c-admin",
        },
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["code"], body["name"], body["is_active"]) == ("cyan", "Cyan Corp", True)
    assert body["admin_username"] == "c-admin"
    password = body["admin_password"]
    assert len(password) == 16
    detail = client.get(f"{URL}{body['id']}/").json()
    assert "admin_password" not in detail
    assert "admin_username" not in detail
    with platform_scope():
        admin = User.global_objects.get(username="c-admin")
        top = Group.objects.get(enterprise_id=body["id"], parent__isnull=True)
    assert admin.pk == body["admin_id"]
    assert admin.check_password(password)
    assert (admin.must_change_password, admin.is_group_admin, admin.group) == (True, True, top)
    assert top.name == "Cyan Corp"


def test_bad_input_is_refused_and_nothing_is_saved(cast) -> None:  # type: ignore[no-untyped-def]
    client = token_client(cast.superadmin)
    cases = [
        (
            {"code": "ACME", "name": "Dup", "admin_username": "dup-admin"},
            {"code": ["An enterprise with this code already exists."]},
        ),
        (
            {"code": "dup", "name": "Dup", "admin_username": "A-Admin"},
            {"admin_username": ["This username is already taken."]},
        ),
        (
            {"code": "not a slug", "name": "Dup", "admin_username": "dup-admin"},
            {
                "code": [
                    'Enter a valid "slug" consisting of letters, numbers, underscores or hyphens.'
                ]
            },
        ),
        ({"code": "dup", "name": "Dup"}, {"admin_username": ["This field is required."]}),
    ]
    for payload, fields in cases:
        error = assert_error(post(client, payload), 400, "invalid")
        assert error["fields"] == fields, payload
    with platform_scope():
        assert Enterprise.objects.count() == 2
        assert not User.global_objects.filter(username="dup-admin").exists()


def test_update_and_delete(cast) -> None:  # type: ignore[no-untyped-def]
    client = token_client(cast.superadmin)
    detail = f"{URL}{cast.enterprise_b.pk}/"
    response = client.patch(
        detail, {"name": "Bolt Ltd", "is_active": False}, content_type="application/json"
    )
    assert response.status_code == 200, response.content
    assert (response.json()["name"], response.json()["is_active"]) == ("Bolt Ltd", False)
    response = client.patch(detail, {"code": "Acme"}, content_type="application/json")
    assert assert_error(response, 400, "invalid")["fields"] == {
        "code": ["An enterprise with this code already exists."]
    }
    assert client.delete(detail).status_code == 204
    with platform_scope():
        assert list(Enterprise.objects.values_list("code", flat=True)) == ["acme"]
        assert not User.global_objects.filter(username="b-admin").exists()
    assert_error(client.get(detail), 404, "not_found")
