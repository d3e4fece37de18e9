"""Chapter 6.1.1: a user sees its own group and the groups below, never above or beside."""

from __future__ import annotations

from gatehouse.core.scoping import tenant_scope
from gatehouse.tenancy.models import Group, User


def test_member_sees_own_subtree_only(cast) -> None:  # type: ignore[no-untyped-def]
    with tenant_scope(cast.enterprise_a.pk):
        names = set(Group.objects.visible_to(cast.a_member).values_list("name", flat=True))
    assert names == {"Branch"}


def test_admin_sees_whole_enterprise_but_not_other(cast) -> None:  # type: ignore[no-untyped-def]
    with tenant_scope(cast.enterprise_a.pk):
        names = set(Group.objects.visible_to(cast.a_admin).values_list("name", flat=True))
        users = set(User.objects.visible_to(cast.a_admin).values_list("username", flat=True))
    assert names == {"Acme", "Branch", "Sibling"}
    assert users == {"a-admin", "a-member"}


def test_console_group_list_hides_parent_and_other_tenant(cast, client_for) -> None:  # type: ignore[no-untyped-def]
    page = client_for("a-member").get("/tenancy/groups/").content.decode()
    assert "Branch" in page
    assert "Sibling" not in page
    assert "Bolt" not in page
