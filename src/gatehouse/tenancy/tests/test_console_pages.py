"""Console pages for enterprises, groups, users and roles: what each kind of user sees and can
do, tables (page sizes, sorting, search, filters), and clear errors on bad input."""

from __future__ import annotations

import re

import pytest

from gatehouse.core.actors import Actor
from gatehouse.core.scoping import platform_scope, tenant_scope
from gatehouse.tenancy import services
from gatehouse.tenancy.models import Enterprise, Role, User


def test_enterprise_management_is_for_the_super_admin_only(cast, client_for) -> None:  # type: ignore[no-untyped-def]
    admin = client_for("a-admin")
    assert admin.get("/tenancy/enterprises/").status_code == 403
    assert "Enterprise management" not in admin.get("/").content.decode()
    root = client_for("root")
    page = root.get("/tenancy/enterprises/").content.decode()
    assert "Acme" in page
    assert "Bolt" in page
    assert "Enterprise management" in root.get("/").content.decode()


def test_super_admin_creates_enterprise_and_sees_one_time_password(cast, client_for) -> None:  # type: ignore[no-untyped-def]
    root = client_for("root")
    response = root.post(
        "/tenancy/enterprises/add/",
        {"code": "corp", "name": "Corp", "admin_username": "corp-admin", "is_active": "on"},
        follow=True,
    )
    page = response.content.decode()
    match = re.search(r"one-time password (\w+)", page)
    assert match, page
    with platform_scope():
        assert Enterprise.objects.filter(code="corp").exists()
    client = __import__("tests.support").support.login_client("corp-admin", match.group(1))
    assert client.get("/")["Location"] == "/account/password/"


def test_duplicate_enterprise_code_shows_field_error_and_saves_nothing(cast, client_for) -> None:  # type: ignore[no-untyped-def]
    response = client_for("root").post(
        "/tenancy/enterprises/add/", {"code": "acme", "name": "Again", "admin_username": "again"}
    )
    assert response.status_code == 200
    assert "An enterprise with this code already exists." in response.content.decode()
    with platform_scope():
        assert not User.global_objects.filter(username="again").exists()


def test_page_sizes_sorting_search_and_filter(cast, client_for) -> None:  # type: ignore[no-untyped-def]
    admin_actor = Actor.for_user(cast.a_admin)
    with tenant_scope(cast.enterprise_a.pk):
        for n in range(30):
            services.create_user(
                actor=admin_actor,
                group=cast.a_sibling_group,
                username=f"guard-{n:02d}",
                password="Lantern-Orbit-771",
                roles=[cast.a_role],
            )
    client = client_for("a-admin")
    page = client.get("/tenancy/users/?per_page=10").content.decode()
    assert "Showing 1 to 10 of 32 entries" in page
    for size in (15, 20, 25, 50, 100):
        assert f'<option value="{size}"' in page
    assert "Showing 1 to 20 of 32" in client.get("/tenancy/users/?per_page=7").content.decode()
    desc = client.get("/tenancy/users/?per_page=50&sort=-username").content.decode()
    assert desc.index("guard-29") < desc.index("guard-00")
    found = client.get("/tenancy/users/?q=guard-1").content.decode()
    assert "Showing 1 to 10 of 10 entries" in found
    admins = client.get("/tenancy/users/?is_group_admin=true").content.decode()
    assert "Showing 1 to 1 of 1 entries" in admins
    assert "a-admin" in admins
    partial = client.get("/tenancy/users/?per_page=10", HTTP_HX_REQUEST="true").content.decode()
    assert "<html" not in partial
    assert "guard-" in partial


def test_admin_creates_group_role_and_user_through_forms(cast, client_for) -> None:  # type: ignore[no-untyped-def]
    client = client_for("a-admin")
    assert (
        client.post(
            "/tenancy/groups/add/", {"name": "Lobby", "parent": cast.a_admin.group_id}
        ).status_code
        == 302
    )
    response = client.post(
        "/tenancy/roles/add/", {"name": "Door staff", "perm_tenancy": ["tenancy.view"]}
    )
    assert response.status_code == 302
    with tenant_scope(cast.enterprise_a.pk):
        role = Role.objects.get(name="Door staff")
        lobby = cast.a_admin.group.children.get(name="Lobby")
    assert role.permissions == ["tenancy.view"]
    response = client.post(
        "/tenancy/users/add/",
        {"username": "lobby-guard", "group": lobby.pk, "roles": [role.pk], "is_active": "on"},
        follow=True,
    )
    assert "one-time password" in response.content.decode()


def test_user_form_refuses_groups_and_roles_outside_the_subtree(cast, client_for) -> None:  # type: ignore[no-untyped-def]
    with tenant_scope(cast.enterprise_a.pk):
        services.update_role(
            cast.a_role, actor=Actor.system("t"), permissions=["tenancy.view", "tenancy.add"]
        )
    member = client_for("a-member")
    response = member.post(
        "/tenancy/users/add/",
        {
            "username": "sneaky",
            "group": cast.a_sibling_group.pk,
            "roles": [cast.a_role.pk],
            "password": "Lantern-Orbit-771",
            "password_confirm": "Lantern-Orbit-771",
        },
    )
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    b_response = client_for("b-admin").post(
        "/tenancy/users/add/",
        {"username": "sneaky", "group": cast.a_sub_group.pk, "roles": [cast.a_role.pk]},
    )
    assert "Select a valid choice" in b_response.content.decode()
    with platform_scope():
        assert not User.global_objects.filter(username="sneaky").exists()


def test_member_without_change_permission_cannot_edit(cast, client_for) -> None:  # type: ignore[no-untyped-def]
    member = client_for("a-member")
    assert member.get(f"/tenancy/groups/{cast.a_sub_group.pk}/edit/").status_code == 403
    assert member.post(f"/tenancy/users/{cast.a_member.pk}/reset-password/").status_code == 403


@pytest.mark.parametrize(
    "path", ["/tenancy/groups/{pk}/", "/tenancy/groups/{pk}/edit/", "/tenancy/groups/{pk}/delete/"]
)
def test_other_tenant_objects_are_404(cast, client_for, path) -> None:  # type: ignore[no-untyped-def]
    assert client_for("b-admin").get(path.format(pk=cast.a_sub_group.pk)).status_code == 404


def test_admin_resets_password_and_sees_it_once(cast, client_for) -> None:  # type: ignore[no-untyped-def]
    client = client_for("a-admin")
    response = client.post(f"/tenancy/users/{cast.a_member.pk}/reset-password/", follow=True)
    page = response.content.decode()
    assert "shown only now" in page
    again = client.get(f"/tenancy/users/{cast.a_member.pk}/").content.decode()
    assert "shown only now" not in again


def test_delete_group_with_users_shows_reason(cast, client_for) -> None:  # type: ignore[no-untyped-def]
    response = client_for("a-admin").post(f"/tenancy/groups/{cast.a_sub_group.pk}/delete/")
    assert response.status_code == 200
    assert "it still has users" in response.content.decode()


def test_menu_has_no_dead_links(cast, client_for) -> None:  # type: ignore[no-untyped-def]
    for username in ("root", "a-admin", "a-member", "b-admin"):
        client = client_for(username)
        page = client.get("/").content.decode()
        links = set(re.findall(r'class="dropdown-item" href="([^"]+)"', page))
        assert links, username
        for link in links:
            assert client.get(link).status_code == 200, (username, link)


def test_system_settings_is_for_the_super_admin_only(cast, client_for) -> None:  # type: ignore[no-untyped-def]
    assert client_for("a-admin").get("/system/").status_code == 403
    page = client_for("root").get("/system/").content.decode()
    assert "Current server time" in page
    assert "SQLite" in page or "PostgreSQL" in page


def test_the_user_list_group_filter_reads_all_groups(cast, client_for) -> None:  # type: ignore[no-untyped-def]
    page = client_for("a-admin").get("/tenancy/users/").content.decode()
    assert ">All groups</option>" in page
    assert "---------" not in page
