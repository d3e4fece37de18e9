"""/api/v1/roles/ (enterprise-wide) and /api/v1/permissions/ (the registry)."""

from __future__ import annotations

from typing import Any

from gatehouse.core.actors import Actor
from gatehouse.core.scoping import platform_scope
from gatehouse.core.tests.test_api_conventions import (  # noqa: F401 - fixture
    _fresh_throttle_cache,
    assert_error,
    token_client,
)
from gatehouse.tenancy import services
from gatehouse.tenancy.models import Role

URL = "/api/v1/roles/"


def role_names(response: Any) -> list[str]:
    assert response.status_code == 200, response.content[:500]
    return [r["name"] for r in response.json()["results"]]


def post(client: Any, data: dict[str, Any]) -> Any:
    return client.post(URL, data, content_type="application/json")


def test_roles_are_enterprise_wide(cast) -> None:  # type: ignore[no-untyped-def]
    with platform_scope():
        services.create_role(
            actor=Actor.system("test"),
            enterprise_id=cast.enterprise_a.pk,
            name="Guards",
            permissions=["tenancy.view"],
        )
    assert role_names(token_client(cast.a_admin).get(URL)) == ["A viewers", "Guards"]
    # a member of a sub-group still sees every role of its enterprise
    assert role_names(token_client(cast.a_member).get(URL)) == ["A viewers", "Guards"]
    assert role_names(token_client(cast.b_admin).get(URL)) == ["B viewers"]
    body = token_client(cast.a_member).get(f"{URL}{cast.a_role.pk}/").json()
    assert body == {
        "id": cast.a_role.pk,
        "name": "A viewers",
        "description": "",
        "permissions": ["audit.view", "tenancy.view"],
        "created_at": body["created_at"],
    }


def test_other_enterprise_gets_404(cast) -> None:  # type: ignore[no-untyped-def]
    client = token_client(cast.b_admin)
    detail = f"{URL}{cast.a_role.pk}/"
    assert_error(client.get(detail), 404, "not_found")
    patched = client.patch(detail, {"permissions": []}, content_type="application/json")
    assert_error(patched, 404, "not_found")
    assert_error(client.delete(detail), 404, "not_found")
    with platform_scope():
        assert Role.objects.get(pk=cast.a_role.pk).permissions == ["audit.view", "tenancy.view"]


def test_member_cannot_change_roles(cast) -> None:  # type: ignore[no-untyped-def]
    client = token_client(cast.a_member)
    assert_error(post(client, {"name": "Mine", "permissions": []}), 403, "permission_denied")
    response = client.patch(
        f"{URL}{cast.a_role.pk}/", {"permissions": ["tenancy.add"]}, content_type="application/json"
    )
    assert_error(response, 403, "permission_denied")


def test_create_update_delete(cast) -> None:  # type: ignore[no-untyped-def]
    client = token_client(cast.a_admin)
    response = post(
        client,
        {
            "name": " Door keepers ",
            "description": "Front desk",
            "permissions": ["tenancy.view", "audit.view", "tenancy.view"],
        },
    )
    assert response.status_code == 201, response.content
    role = response.json()
    assert (role["name"], role["description"], role["permissions"]) == (
        "Door keepers",
        "Front desk",
        ["audit.view", "tenancy.view"],
    )
    detail = f"{URL}{role['id']}/"
    response = client.patch(
        detail, {"permissions": ["core.cancel"]}, content_type="application/json"
    )
    assert response.status_code == 200, response.content
    assert response.json()["permissions"] == ["core.cancel"]
    assert client.delete(detail).status_code == 204
    with platform_scope():
        assert not Role.objects.filter(pk=role["id"]).exists()


def test_bad_input_is_refused_and_nothing_is_saved(cast) -> None:  # type: ignore[no-untyped-def]
    client = token_client(cast.a_admin)
    cases: list[tuple[dict[str, Any], dict[str, list[str]]]] = [
        (
            {"name": "X", "permissions": ["tenancy.view", "tenancy.fly"]},
            {"permissions": ["Unknown permissions: tenancy.fly"]},
        ),
        (
            {"name": "X", "permissions": ["platform.view"]},
            {
                "permissions": [
                    "These permissions belong to the platform super administrator and cannot "
                    "be given by a role: platform.view"
                ]
            },
        ),
        (
            {"name": "a VIEWERS", "permissions": []},
            {"name": ["A role with this name already exists."]},
        ),
        (
            {"name": "X", "permissions": "tenancy.view"},
            {"permissions": ['Expected a list of items but got type "str".']},
        ),
        ({"permissions": []}, {"name": ["This field is required."]}),
    ]
    for payload, fields in cases:
        error = assert_error(post(client, payload), 400, "invalid")
        assert error["fields"] == fields, payload
    with platform_scope():
        assert list(
            Role.objects.filter(enterprise=cast.enterprise_a).values_list("name", flat=True)
        ) == ["A viewers"]


def test_role_in_use_cannot_be_deleted(cast) -> None:  # type: ignore[no-untyped-def]
    error = assert_error(
        token_client(cast.a_admin).delete(f"{URL}{cast.a_role.pk}/"), 400, "invalid"
    )
    assert error["message"] == "This role is still given to users; take it away from them first."
    with platform_scope():
        assert Role.objects.filter(pk=cast.a_role.pk).exists()


def test_super_admin_reads_roles_but_creates_none(cast) -> None:  # type: ignore[no-untyped-def]
    client = token_client(cast.superadmin)
    assert role_names(client.get(URL)) == ["A viewers", "B viewers"]
    error = assert_error(post(client, {"name": "Global", "permissions": []}), 400, "invalid")
    assert error["message"] == "Roles belong to an enterprise; log in as its administrator."


# --- the permission registry --------------------------------------------------------------


def test_permission_registry_for_any_user_with_tenancy_view(cast) -> None:  # type: ignore[no-untyped-def]
    response = token_client(cast.a_member).get("/api/v1/permissions/")
    assert response.status_code == 200, response.content
    areas = {area["app"]: area for area in response.json()}
    assert "platform" not in areas
    assert {"tenancy", "audit", "core"} <= set(areas)
    assert areas["tenancy"]["title"] == "Users, groups and roles"
    assert [a["codename"] for a in areas["tenancy"]["actions"]] == [
        "tenancy.view",
        "tenancy.add",
        "tenancy.change",
        "tenancy.delete",
    ]
    assert {"action": "cancel", "codename": "core.cancel", "title": "Cancel"} in areas["core"][
        "actions"
    ]


def test_permission_registry_needs_tenancy_view(cast) -> None:  # type: ignore[no-untyped-def]
    with platform_scope():
        auditors = services.create_role(
            actor=Actor.system("test"),
            enterprise_id=cast.enterprise_a.pk,
            name="Auditors",
            permissions=["audit.view"],
        )
        auditor, _ = services.create_user(
            actor=Actor.system("test"),
            group=cast.a_sub_group,
            username="auditor",
            password="Another-Good-Pass-77",
            roles=[auditors],
        )
    client = token_client(auditor)
    error = assert_error(client.get("/api/v1/permissions/"), 403, "permission_denied")
    assert error["message"] == "You do not have the permission “tenancy.view”."
    assert_error(client.get(URL), 403, "permission_denied")
