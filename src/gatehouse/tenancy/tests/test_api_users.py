"""/api/v1/users/: who sees whom, creation with one-time passwords, refused input, resets."""

from __future__ import annotations

from typing import Any

from django.test import Client

from gatehouse.core.actors import Actor
from gatehouse.core.scoping import platform_scope
from gatehouse.core.tests.test_api_conventions import (  # noqa: F401 - fixture
    _fresh_throttle_cache,
    assert_error,
    token_client,
)
from gatehouse.tenancy import services
from gatehouse.tenancy.models import User

URL = "/api/v1/users/"
STRONG = "Another-Good-Pass-77"


def usernames(response: Any) -> list[str]:
    assert response.status_code == 200, response.content[:500]
    return [u["username"] for u in response.json()["results"]]


def post(client: Client, url: str, data: dict[str, Any]) -> Any:
    return client.post(url, data, content_type="application/json")


def patch(client: Client, url: str, data: dict[str, Any]) -> Any:
    return client.patch(url, data, content_type="application/json")


def user_exists(username: str) -> bool:
    with platform_scope():
        return User.global_objects.filter(username__iexact=username).exists()


def sibling_user(cast: Any) -> User:
    with platform_scope():
        user, _ = services.create_user(
            actor=Actor.system("test"),
            group=cast.a_sibling_group,
            username="s-member",
            password=STRONG,
            roles=[cast.a_role],
        )
    return user


def test_admin_lists_its_enterprise_users(cast) -> None:  # type: ignore[no-untyped-def]
    response = token_client(cast.a_admin).get(URL)
    assert usernames(response) == ["a-admin", "a-member"]
    member = response.json()["results"][1]
    assert member == {
        "id": cast.a_member.pk,
        "username": "a-member",
        "full_name": "",
        "email": "",
        "enterprise": cast.enterprise_a.pk,
        "group": cast.a_sub_group.pk,
        "is_group_admin": False,
        "is_active": True,
        "roles": [cast.a_role.pk],
        "must_change_password": False,
        "totp_enabled": False,
        "date_joined": member["date_joined"],
        "last_login": None,
    }
    assert "password" not in member


def test_member_sees_only_its_subtree(cast) -> None:  # type: ignore[no-untyped-def]
    other = sibling_user(cast)
    client = token_client(cast.a_member)
    assert usernames(client.get(URL)) == ["a-member"]
    assert_error(client.get(f"{URL}{other.pk}/"), 404, "not_found")
    assert_error(client.get(f"{URL}{cast.a_admin.pk}/"), 404, "not_found")
    assert client.get(f"{URL}{cast.a_member.pk}/").json()["username"] == "a-member"


def test_member_cannot_change_users(cast) -> None:  # type: ignore[no-untyped-def]
    client = token_client(cast.a_member)
    me = f"{URL}{cast.a_member.pk}/"
    payload = {"username": "x", "group": cast.a_sub_group.pk, "roles": [cast.a_role.pk]}
    assert_error(post(client, URL, payload), 403, "permission_denied")
    assert_error(patch(client, me, {"is_group_admin": True}), 403, "permission_denied")
    assert_error(post(client, f"{me}reset-password/", {}), 403, "permission_denied")
    assert_error(client.delete(me), 403, "permission_denied")
    with platform_scope():
        assert not User.global_objects.get(pk=cast.a_member.pk).is_group_admin


def test_other_enterprise_gets_404_and_cannot_use_its_ids(cast) -> None:  # type: ignore[no-untyped-def]
    client = token_client(cast.b_admin)
    assert usernames(client.get(URL)) == ["b-admin"]
    member = f"{URL}{cast.a_member.pk}/"
    assert_error(client.get(member), 404, "not_found")
    assert_error(patch(client, member, {"full_name": "X"}), 404, "not_found")
    assert_error(post(client, f"{member}reset-password/", {}), 404, "not_found")
    assert_error(client.delete(member), 404, "not_found")

    response = post(
        client, URL, {"username": "spy", "group": cast.a_sub_group.pk, "roles": [cast.b_role.pk]}
    )
    error = assert_error(response, 400, "invalid")
    assert error["fields"] == {
        "group": [f'Invalid pk "{cast.a_sub_group.pk}" - object does not exist.']
    }
    response = post(
        client,
        URL,
        {"username": "spy", "group": cast.b_admin.group_id, "roles": [cast.a_role.pk]},
    )
    error = assert_error(response, 400, "invalid")
    assert error["fields"] == {"roles": [f'Invalid pk "{cast.a_role.pk}" - object does not exist.']}
    assert not user_exists("spy")


def test_create_without_password_returns_a_one_time_password_once(cast) -> None:  # type: ignore[no-untyped-def]
    client = token_client(cast.a_admin)
    response = post(
        client,
        URL,
        {
            "username": "new-guard",
            "full_name": "New Guard",
            "email": "guard@example.com",
            "group": cast.a_sibling_group.pk,
            "roles": [cast.a_role.pk],
        },
    )
    assert response.status_code == 201, response.content
    body = response.json()
    password = body["one_time_password"]
    assert len(password) == 16
    assert body["must_change_password"] is True
    assert body["group"] == cast.a_sibling_group.pk
    assert body["roles"] == [cast.a_role.pk]
    assert "one_time_password" not in client.get(f"{URL}{body['id']}/").json()
    with platform_scope():
        user = User.global_objects.get(pk=body["id"])
    assert user.check_password(password)
    assert user.enterprise_id == cast.enterprise_a.pk
    # the new user cannot use the API before choosing its own password
    response = token_client(user).get("/api/v1/groups/")
    assert_error(response, 403, "password_change_required")


def test_create_with_password_and_disabled(cast) -> None:  # type: ignore[no-untyped-def]
    response = post(
        token_client(cast.a_admin),
        URL,
        {
            "username": "night-admin",
            "password": STRONG,
            "group": cast.a_sub_group.pk,
            "is_group_admin": True,
            "is_active": False,
        },
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["one_time_password"] is None
    assert (body["is_group_admin"], body["is_active"], body["must_change_password"]) == (
        True,
        False,
        False,
    )


def test_bad_input_is_refused_and_nothing_is_saved(cast) -> None:  # type: ignore[no-untyped-def]
    client = token_client(cast.a_admin)
    base = {"group": cast.a_sub_group.pk, "roles": [cast.a_role.pk]}
    cases = [
        ({**base, "username": "A-MEMBER"}, {"username": ["This username is already taken."]}),
        ({**base, "username": "root"}, {"username": ["This username is already taken."]}),
        (
            {**base, "username": "weak", "password": "12345"},
            {
                "password": [
                    "This password is too short. It must contain at least 10 characters. "
                    "This password is too common. This password is entirely numeric."
                ]
            },
        ),
        (
            {"username": "no-role", "group": cast.a_sub_group.pk},
            {"roles": ["A normal user needs at least one role."]},
        ),
        (
            {**base, "username": "bad-mail", "email": "nope"},
            {"email": ["Enter a valid email address."]},
        ),
        (
            {**base, "username": "no-group", "group": None},
            {"group": ["This field may not be null."]},
        ),
        (
            {**base, "username": "bad-role", "roles": [999999]},
            {"roles": ['Invalid pk "999999" - object does not exist.']},
        ),
    ]
    for payload, fields in cases:
        error = assert_error(post(client, URL, payload), 400, "invalid")
        assert error["fields"] == fields, payload
    for name in ("weak", "no-role", "bad-mail", "no-group", "bad-role"):
        assert not user_exists(name)
    with platform_scope():
        assert User.global_objects.filter(enterprise=cast.enterprise_a).count() == 2


def test_update_user(cast) -> None:  # type: ignore[no-untyped-def]
    client = token_client(cast.a_admin)
    member = f"{URL}{cast.a_member.pk}/"
    response = patch(client, member, {"full_name": "Alex Member", "group": cast.a_sibling_group.pk})
    assert response.status_code == 200, response.content
    assert (response.json()["full_name"], response.json()["group"]) == (
        "Alex Member",
        cast.a_sibling_group.pk,
    )
    error = assert_error(patch(client, member, {"roles": []}), 400, "invalid")
    assert error["fields"] == {"roles": ["A normal user needs at least one role."]}
    error = assert_error(patch(client, member, {"username": "B-ADMIN"}), 400, "invalid")
    assert error["fields"] == {"username": ["This username is already taken."]}
    with platform_scope():
        user = User.global_objects.get(pk=cast.a_member.pk)
        assert list(user.roles.all()) == [cast.a_role]
        assert user.username == "a-member"

    me = f"{URL}{cast.a_admin.pk}/"
    error = assert_error(patch(client, me, {"is_active": False}), 400, "invalid")
    assert error["message"] == "You cannot disable your own account or change your own roles."


def test_reset_password(cast) -> None:  # type: ignore[no-untyped-def]
    response = post(token_client(cast.a_admin), f"{URL}{cast.a_member.pk}/reset-password/", {})
    assert response.status_code == 200, response.content
    password = response.json()["one_time_password"]
    with platform_scope():
        user = User.global_objects.get(pk=cast.a_member.pk)
    assert user.check_password(password)
    assert user.must_change_password


def test_delete_user(cast) -> None:  # type: ignore[no-untyped-def]
    client = token_client(cast.a_admin)
    error = assert_error(client.delete(f"{URL}{cast.a_admin.pk}/"), 400, "invalid")
    assert error["message"] == "You cannot delete your own account."
    assert client.delete(f"{URL}{cast.a_member.pk}/").status_code == 204
    assert not user_exists("a-member")


def test_filters_search_and_ordering(cast) -> None:  # type: ignore[no-untyped-def]
    sibling_user(cast)
    client = token_client(cast.a_admin)
    assert usernames(client.get(f"{URL}?group={cast.a_sibling_group.pk}")) == ["s-member"]
    assert usernames(client.get(f"{URL}?is_group_admin=true")) == ["a-admin"]
    assert usernames(client.get(f"{URL}?is_group_admin=false")) == ["a-member", "s-member"]
    assert usernames(client.get(f"{URL}?search=MEMBER")) == ["a-member", "s-member"]
    assert usernames(client.get(f"{URL}?ordering=-username")) == ["s-member", "a-member", "a-admin"]
    # a member cannot even filter by a group it cannot see
    member = token_client(cast.a_member)
    response = member.get(f"{URL}?group={cast.a_sibling_group.pk}")
    assert "group" in assert_error(response, 400, "invalid")["fields"]


def test_super_admin_sees_all_users(cast) -> None:  # type: ignore[no-untyped-def]
    response = token_client(cast.superadmin).get(URL)
    assert usernames(response) == ["a-admin", "a-member", "b-admin", "root"]


def test_options_describes_the_input(cast) -> None:  # type: ignore[no-untyped-def]
    client = token_client(cast.a_admin)
    create = client.options(URL).json()["actions"]["POST"]
    assert list(create) == [
        "username",
        "full_name",
        "email",
        "group",
        "is_group_admin",
        "is_active",
        "roles",
        "password",
    ]
    change = client.options(f"{URL}{cast.a_member.pk}/").json()["actions"]["PUT"]
    assert "password" not in change
    assert "date_joined" not in change
    # without the permission to add, OPTIONS describes no input at all
    assert "actions" not in token_client(cast.a_member).options(URL).json()


def test_refused_api_write_is_in_the_system_log_as_a_failure(cast) -> None:  # type: ignore[no-untyped-def]
    from gatehouse.audit.models import LogEntry

    client = token_client(cast.a_admin)
    error = assert_error(patch(client, f"{URL}{cast.a_member.pk}/", {"roles": []}), 400, "invalid")
    assert error["message"] == "A normal user needs at least one role."
    with platform_scope():
        entry = LogEntry.objects.filter(action="tenancy.user.changed", result="failure").get()
    assert entry.message == "A normal user needs at least one role."
    assert entry.actor_label.startswith("a-admin")
    assert entry.enterprise_id == cast.enterprise_a.pk
