"""/api/v1/groups/: the tree as each cast member sees it, and changes through the services."""

from __future__ import annotations

from typing import Any

from gatehouse.audit.models import LogEntry
from gatehouse.core.scoping import platform_scope
from gatehouse.core.tests.test_api_conventions import (  # noqa: F401 - fixture
    _fresh_throttle_cache,
    assert_error,
    token_client,
)
from gatehouse.tenancy.models import Group

URL = "/api/v1/groups/"


def names(response: Any) -> list[str]:
    assert response.status_code == 200, response.content[:500]
    return [g["name"] for g in response.json()["results"]]


def group(name: str) -> Group:
    with platform_scope():
        found: Group = Group.objects.get(name=name)
    return found


def test_admin_sees_its_enterprise_tree(cast) -> None:  # type: ignore[no-untyped-def]
    response = token_client(cast.a_admin).get(URL)
    assert names(response) == ["Acme", "Branch", "Sibling"]  # tree order (path)
    top = response.json()["results"][0]
    assert top == {
        "id": cast.a_admin.group_id,
        "name": "Acme",
        "parent": None,
        "path": f"/{cast.a_admin.group_id}/",
        "depth": 0,
        "created_at": top["created_at"],
    }


def test_member_sees_only_its_subtree(cast) -> None:  # type: ignore[no-untyped-def]
    client = token_client(cast.a_member)
    assert names(client.get(URL)) == ["Branch"]
    assert_error(client.get(f"{URL}{cast.a_sibling_group.pk}/"), 404, "not_found")
    assert_error(client.get(f"{URL}{cast.a_admin.group_id}/"), 404, "not_found")
    assert client.get(f"{URL}{cast.a_sub_group.pk}/").json()["name"] == "Branch"


def test_member_cannot_change_groups(cast) -> None:  # type: ignore[no-untyped-def]
    client = token_client(cast.a_member)
    detail = f"{URL}{cast.a_sub_group.pk}/"
    payload = {"name": "Mine", "parent": cast.a_sub_group.pk}
    assert_error(
        client.post(URL, payload, content_type="application/json"), 403, "permission_denied"
    )
    response = client.patch(detail, {"name": "Renamed"}, content_type="application/json")
    assert_error(response, 403, "permission_denied")
    assert_error(client.delete(detail), 403, "permission_denied")
    assert group("Branch").name == "Branch"


def test_other_enterprise_gets_404_and_cannot_use_its_ids(cast) -> None:  # type: ignore[no-untyped-def]
    client = token_client(cast.b_admin)
    assert names(client.get(URL)) == ["Bolt"]
    detail = f"{URL}{cast.a_sub_group.pk}/"
    assert_error(client.get(detail), 404, "not_found")
    response = client.patch(detail, {"name": "Hijacked"}, content_type="application/json")
    assert_error(response, 404, "not_found")
    assert_error(client.delete(detail), 404, "not_found")

    response = client.post(
        URL, {"name": "Inside A", "parent": cast.a_sub_group.pk}, content_type="application/json"
    )
    error = assert_error(response, 400, "invalid")
    assert error["fields"] == {
        "parent": [f'Invalid pk "{cast.a_sub_group.pk}" - object does not exist.']
    }
    # moving its own group under A's is refused the same way
    with platform_scope():
        bolt_top = Group.objects.get(name="Bolt")
    child = client.post(
        URL, {"name": "Team", "parent": bolt_top.pk}, content_type="application/json"
    )
    assert child.status_code == 201
    response = client.patch(
        f"{URL}{child.json()['id']}/",
        {"parent": cast.a_sub_group.pk},
        content_type="application/json",
    )
    assert "parent" in assert_error(response, 400, "invalid")["fields"]
    with platform_scope():
        assert not Group.objects.filter(name__in=["Hijacked", "Inside A"]).exists()
        assert Group.objects.get(name="Team").parent_id == bolt_top.pk


def test_super_admin_sees_every_enterprise(cast) -> None:  # type: ignore[no-untyped-def]
    response = token_client(cast.superadmin).get(f"{URL}?ordering=name")
    assert names(response) == ["Acme", "Bolt", "Branch", "Sibling"]


def test_create_rename_move_delete(cast) -> None:  # type: ignore[no-untyped-def]
    client = token_client(cast.a_admin)
    response = client.post(
        URL,
        {"name": "  Night shift ", "parent": cast.a_sub_group.pk},
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    created = response.json()
    assert created["name"] == "Night shift"
    assert created["parent"] == cast.a_sub_group.pk
    assert created["path"] == f"{cast.a_sub_group.path}{created['id']}/"
    assert created["depth"] == 2
    detail = f"{URL}{created['id']}/"

    response = client.patch(detail, {"name": "Night team"}, content_type="application/json")
    assert response.status_code == 200, response.content
    assert response.json()["name"] == "Night team"

    response = client.patch(
        detail, {"parent": cast.a_sibling_group.pk}, content_type="application/json"
    )
    assert response.status_code == 200, response.content
    assert response.json()["parent"] == cast.a_sibling_group.pk
    assert response.json()["path"] == f"{cast.a_sibling_group.path}{created['id']}/"

    # PUT: both at once
    response = client.put(
        detail, {"name": "Nights", "parent": cast.a_sub_group.pk}, content_type="application/json"
    )
    assert response.status_code == 200, response.content
    assert (response.json()["name"], response.json()["parent"]) == ("Nights", cast.a_sub_group.pk)

    assert client.delete(detail).status_code == 204
    with platform_scope():
        assert not Group.objects.filter(pk=created["id"]).exists()
        actions = list(
            LogEntry.objects.filter(object_id=str(created["id"]))
            .order_by("sequence")
            .values_list("action", "actor_kind")
        )
    assert [a for a, _ in actions] == [
        "tenancy.group.created",
        "tenancy.group.changed",
        "tenancy.group.moved",
        "tenancy.group.changed",
        "tenancy.group.moved",
        "tenancy.group.deleted",
    ]
    assert {kind for _, kind in actions} == {"token"}


def test_bad_moves_and_deletes_are_refused_and_change_nothing(cast) -> None:  # type: ignore[no-untyped-def]
    client = token_client(cast.a_admin)
    child = client.post(
        URL, {"name": "Child", "parent": cast.a_sub_group.pk}, content_type="application/json"
    ).json()
    branch = f"{URL}{cast.a_sub_group.pk}/"

    response = client.patch(branch, {"parent": child["id"]}, content_type="application/json")
    error = assert_error(response, 400, "invalid")
    assert error["fields"] == {"parent": ["A group cannot be moved below itself."]}

    # a rename in the same request is undone with the refused move
    response = client.patch(
        branch, {"name": "Renamed", "parent": cast.a_sub_group.pk}, content_type="application/json"
    )
    assert_error(response, 400, "invalid")
    response = client.patch(
        branch, {"name": "Renamed", "parent": child["id"]}, content_type="application/json"
    )
    assert_error(response, 400, "invalid")
    assert group("Branch").path == cast.a_sub_group.path

    error = assert_error(client.delete(branch), 400, "invalid")
    assert error["message"] == "Only an empty group can be deleted: it still has sub-groups."
    assert client.delete(f"{URL}{child['id']}/").status_code == 204
    error = assert_error(client.delete(branch), 400, "invalid")
    assert error["message"] == "Only an empty group can be deleted: it still has users."
    error = assert_error(client.delete(f"{URL}{cast.a_admin.group_id}/"), 400, "invalid")
    assert error["message"] == "The enterprise's top group cannot be deleted."
    assert group("Branch").name == "Branch"


def test_blank_and_duplicate_names_are_refused(cast) -> None:  # type: ignore[no-untyped-def]
    client = token_client(cast.a_admin)
    for name, message in (
        ("", "This field may not be blank."),
        ("x" * 101, "Ensure this field has no more than 100 characters."),
        ("SIBLING", "A group with this name already exists here."),
    ):
        response = client.post(
            URL, {"name": name, "parent": cast.a_admin.group_id}, content_type="application/json"
        )
        assert assert_error(response, 400, "invalid")["fields"] == {"name": [message]}
    with platform_scope():
        assert Group.objects.filter(enterprise=cast.enterprise_a).count() == 3


def test_search_and_ordering(cast) -> None:  # type: ignore[no-untyped-def]
    client = token_client(cast.a_admin)
    assert names(client.get(f"{URL}?search=sib")) == ["Sibling"]
    assert names(client.get(f"{URL}?ordering=-name")) == ["Sibling", "Branch", "Acme"]
