"""Enterprise, group, user and role services: the rules of Smart Pass chapter 6, and bad input
that is refused with a clear message and changes nothing."""

from __future__ import annotations

import pytest

from gatehouse.audit.models import LogEntry
from gatehouse.core.actors import Actor
from gatehouse.core.errors import PermissionDenied, ServiceError
from gatehouse.core.scoping import platform_scope, tenant_scope
from gatehouse.tenancy import services
from gatehouse.tenancy.models import Enterprise, Group, Role, User


def test_enterprise_gets_root_group_and_administrator(cast) -> None:  # type: ignore[no-untyped-def]
    with platform_scope():
        root = Group.objects.get(enterprise=cast.enterprise_a, parent__isnull=True)
        assert root.name == "Acme"
        assert root.path == f"/{root.pk}/"
        assert cast.a_admin.group == root
        assert cast.a_admin.is_group_admin


def test_only_super_admin_manages_enterprises(cast) -> None:  # type: ignore[no-untyped-def]
    with platform_scope(), pytest.raises(PermissionDenied):
        services.create_enterprise(
            actor=Actor.for_user(cast.a_admin), code="x", name="X", admin_username="x-admin"
        )
    with platform_scope():
        assert not Enterprise.objects.filter(code="x").exists()


def test_duplicate_enterprise_code_and_username_refused(cast) -> None:  # type: ignore[no-untyped-def]
    su = Actor.for_user(cast.superadmin)
    with platform_scope():
        with pytest.raises(ServiceError, match="code already exists"):
            services.create_enterprise(actor=su, code="ACME", name="Dup", admin_username="new")
        with pytest.raises(ServiceError, match="already taken"):
            services.create_enterprise(actor=su, code="new", name="New", admin_username="A-ADMIN")
        assert Enterprise.objects.count() == 2


def test_deleting_an_enterprise_deletes_its_data_only(cast) -> None:  # type: ignore[no-untyped-def]
    with platform_scope():
        services.delete_enterprise(cast.enterprise_a, actor=Actor.for_user(cast.superadmin))
        assert not Group.objects.filter(enterprise_id=cast.enterprise_a.pk).exists()
        assert not User.global_objects.filter(username__in=["a-admin", "a-member"]).exists()
        assert not Role.objects.filter(enterprise_id=cast.enterprise_a.pk).exists()
        assert User.global_objects.filter(username="b-admin").exists()
        assert LogEntry.objects.filter(action="tenancy.enterprise.deleted").exists()


def test_group_tree_create_rename_move_delete(cast) -> None:  # type: ignore[no-untyped-def]
    actor = Actor.for_user(cast.a_admin)
    with tenant_scope(cast.enterprise_a.pk):
        team = services.create_group(actor=actor, parent=cast.a_sub_group, name="Night shift")
        assert team.path == f"{cast.a_sub_group.path}{team.pk}/"
        services.rename_group(team, actor=actor, name="Night team")
        services.move_group(cast.a_sub_group, actor=actor, parent=cast.a_sibling_group)
        team.refresh_from_db()
        moved = Group.objects.get(pk=cast.a_sub_group.pk)
        assert moved.path == f"{cast.a_sibling_group.path}{moved.pk}/"
        assert team.path == f"{moved.path}{team.pk}/"  # the subtree moved along
        with pytest.raises(ServiceError, match="below itself"):
            services.move_group(moved, actor=actor, parent=team)
        with pytest.raises(ServiceError, match="still has sub-groups"):
            services.delete_group(moved, actor=actor)
        services.delete_group(team, actor=actor)
        assert not Group.objects.filter(pk=team.pk).exists()


def test_group_with_users_cannot_be_deleted(cast) -> None:  # type: ignore[no-untyped-def]
    with tenant_scope(cast.enterprise_a.pk), pytest.raises(ServiceError, match="still has users"):
        services.delete_group(cast.a_sub_group, actor=Actor.for_user(cast.a_admin))


def test_sub_group_admin_cannot_act_above_or_beside(cast) -> None:  # type: ignore[no-untyped-def]
    with tenant_scope(cast.enterprise_a.pk):
        sub_admin, _ = services.create_user(
            actor=Actor.for_user(cast.a_admin),
            group=cast.a_sub_group,
            username="branch-admin",
            password="Lantern-Orbit-771",
            is_group_admin=True,
        )
        actor = Actor.for_user(sub_admin)
        with pytest.raises(PermissionDenied):
            services.create_group(actor=actor, parent=cast.a_sibling_group, name="Sneaky")
        with pytest.raises(PermissionDenied):
            services.rename_group(cast.a_admin.group, actor=actor, name="Mine now")
        with pytest.raises(PermissionDenied):
            services.reset_password(cast.a_admin, actor=actor)
        assert not Group.objects.filter(name="Sneaky").exists()


def test_normal_user_needs_a_role_and_strong_password(cast) -> None:  # type: ignore[no-untyped-def]
    actor = Actor.for_user(cast.a_admin)
    with tenant_scope(cast.enterprise_a.pk):
        with pytest.raises(ServiceError, match="at least one role"):
            services.create_user(
                actor=actor, group=cast.a_sub_group, username="norole", password="Fine-Password-1"
            )
        with pytest.raises(ServiceError) as weak:
            services.create_user(
                actor=actor,
                group=cast.a_sub_group,
                username="weak",
                password="123456",
                roles=[cast.a_role],
            )
        assert weak.value.field == "password"
        assert not User.objects.filter(username__in=["norole", "weak"]).exists()


def test_roles_of_another_enterprise_are_refused(cast) -> None:  # type: ignore[no-untyped-def]
    with platform_scope(), pytest.raises(ServiceError, match="another enterprise"):
        services.create_user(
            actor=Actor.for_user(cast.superadmin),
            group=cast.a_sub_group,
            username="mixed",
            password="Fine-Password-1",
            roles=[cast.b_role],
        )


def test_role_permissions_are_validated_and_granted(cast) -> None:  # type: ignore[no-untyped-def]
    actor = Actor.for_user(cast.a_admin)
    with tenant_scope(cast.enterprise_a.pk):
        with pytest.raises(ServiceError, match=r"Unknown permissions: doors\.fly"):
            services.create_role(
                actor=actor,
                enterprise_id=cast.enterprise_a.pk,
                name="Bad",
                permissions=["doors.fly"],
            )
        with pytest.raises(ServiceError, match="platform"):
            services.create_role(
                actor=actor,
                enterprise_id=cast.enterprise_a.pk,
                name="Bad",
                permissions=["platform.view"],
            )
        services.update_role(cast.a_role, actor=actor, permissions=["tenancy.view", "tenancy.add"])
        member = User.objects.get(pk=cast.a_member.pk)
        assert member.has_perm("tenancy.add")
        assert not member.has_perm("tenancy.delete")
        with pytest.raises(ServiceError, match="still given to users"):
            services.delete_role(cast.a_role, actor=actor)


def test_every_write_is_in_the_system_log_with_before_and_after(cast) -> None:  # type: ignore[no-untyped-def]
    actor = Actor(
        kind=Actor.for_user(cast.a_admin).kind,
        label="a-admin",
        user=cast.a_admin,
        address="192.0.2.5",
    )
    with tenant_scope(cast.enterprise_a.pk):
        services.rename_group(cast.a_sibling_group, actor=actor, name="Warehouse")
        entry = LogEntry.objects.filter(action="tenancy.group.changed").latest("sequence")
    assert entry.before == {"name": "Sibling", "parent": cast.a_admin.group_id}
    assert entry.after == {"name": "Warehouse", "parent": cast.a_admin.group_id}
    assert entry.actor_label == "a-admin"
    assert entry.source_address == "192.0.2.5"
    assert entry.result == "success"
    assert entry.enterprise_id == cast.enterprise_a.pk


def test_cannot_lock_yourself_out(cast) -> None:  # type: ignore[no-untyped-def]
    actor = Actor.for_user(cast.a_admin)
    with tenant_scope(cast.enterprise_a.pk):
        with pytest.raises(ServiceError, match="own account"):
            services.update_user(cast.a_admin, actor=actor, is_active=False)
        with pytest.raises(ServiceError, match="own account"):
            services.delete_user(cast.a_admin, actor=actor)


def _manager_with(cast, permissions: list[str]):  # type: ignore[no-untyped-def]
    """A non-administrator at the top group holding exactly `permissions`."""
    system = Actor.system("test")
    role = services.create_role(
        actor=system, enterprise_id=cast.enterprise_a.pk, name="Managers", permissions=permissions
    )
    user, _ = services.create_user(
        actor=system,
        group=cast.a_admin.group,
        username="manager",
        password="Lantern-Orbit-771",
        roles=[role],
    )
    return User.objects.get(pk=user.pk)


def test_nobody_can_promote_themselves_or_others_past_their_own_rights(cast) -> None:  # type: ignore[no-untyped-def]
    with tenant_scope(cast.enterprise_a.pk):
        manager = _manager_with(cast, ["tenancy.view", "tenancy.add", "tenancy.change"])
        actor = Actor.for_user(manager)
        with pytest.raises(ServiceError, match="change your own roles"):
            services.update_user(manager, actor=actor, is_group_admin=True)
        with pytest.raises(PermissionDenied, match="group administrator"):
            services.update_user(cast.a_member, actor=actor, is_group_admin=True)
        with pytest.raises(PermissionDenied, match="group administrator"):
            services.create_user(
                actor=actor,
                group=cast.a_sub_group,
                username="boss2",
                password="Lantern-Orbit-771",
                is_group_admin=True,
            )
        with pytest.raises(PermissionDenied, match=r"do not hold yourself: tenancy\.delete"):
            services.create_role(
                actor=actor,
                enterprise_id=cast.enterprise_a.pk,
                name="Power",
                permissions=["tenancy.delete"],
            )
        power = services.create_role(
            actor=Actor.system("t"),
            enterprise_id=cast.enterprise_a.pk,
            name="Power",
            permissions=["tenancy.delete"],
        )
        with pytest.raises(PermissionDenied, match=r"tenancy\.delete"):
            services.update_user(cast.a_member, actor=actor, roles=[power])
        assert not User.objects.get(pk=cast.a_member.pk).is_group_admin
        assert not User.objects.filter(username="boss2").exists()


def test_sub_group_administrators_cannot_change_enterprise_roles(cast) -> None:  # type: ignore[no-untyped-def]
    with tenant_scope(cast.enterprise_a.pk):
        sub_admin, _ = services.create_user(
            actor=Actor.for_user(cast.a_admin),
            group=cast.a_sub_group,
            username="branch-admin",
            password="Lantern-Orbit-771",
            is_group_admin=True,
        )
        with pytest.raises(PermissionDenied, match="top group"):
            services.update_role(
                cast.a_role, actor=Actor.for_user(sub_admin), permissions=["tenancy.view"]
            )
        assert Role.objects.get(pk=cast.a_role.pk).permissions == ["audit.view", "tenancy.view"]
