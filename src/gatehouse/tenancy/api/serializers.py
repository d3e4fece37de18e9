"""API shapes for enterprises, groups, users, roles, tokens and the caller's profile.

Read serializers describe what the API returns; write serializers only validate the form of the
input (types, lengths, ids resolved through the caller's visible querysets). The rules (unique
names, strong passwords, known permissions, tree moves) live in tenancy/services.py, so the API
and the console refuse the same things with the same messages."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from gatehouse.core.api.viewsets import VisiblePrimaryKeyRelatedField
from gatehouse.core.permissions import (
    PLATFORM_APPS,
    STANDARD_ACTIONS,
    all_codenames,
    has_permission,
)
from gatehouse.tenancy.models import ApiToken, Enterprise, Group, Role, User

# --- enterprises --------------------------------------------------------------------------


class EnterpriseSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    # declared, not generated: uniqueness is the service's check (case-insensitive, clear text)
    code = serializers.SlugField(max_length=40, label=_("enterprise code"))

    class Meta:
        model = Enterprise
        fields: tuple[str, ...] = (
            "id",
            "code",
            "name",
            "contact_name",
            "contact_phone",
            "contact_email",
            "address",
            "is_active",
            "created_at",
        )
        read_only_fields = ("id", "created_at")


class EnterpriseCreateSerializer(EnterpriseSerializer):
    admin_username = serializers.CharField(
        max_length=150,
        write_only=True,
        help_text=_("Username of the enterprise administrator created with the enterprise."),
    )

    class Meta(EnterpriseSerializer.Meta):
        fields = (*EnterpriseSerializer.Meta.fields, "admin_username")


class EnterpriseCreatedSerializer(EnterpriseSerializer):
    """The answer to a create: the enterprise and its administrator's one-time password,
    which is shown this once and must be changed at the administrator's first login."""

    admin_id = serializers.IntegerField(read_only=True)
    admin_username = serializers.CharField(read_only=True)
    admin_password = serializers.CharField(
        read_only=True, help_text=_("One-time password, shown only in this response.")
    )

    class Meta(EnterpriseSerializer.Meta):
        fields = (*EnterpriseSerializer.Meta.fields, "admin_id", "admin_username", "admin_password")


# --- groups -------------------------------------------------------------------------------


class GroupSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    depth = serializers.IntegerField(read_only=True, help_text=_("0 for the top group."))

    class Meta:
        model = Group
        fields = ("id", "name", "parent", "path", "depth", "created_at")
        read_only_fields = fields


class GroupWriteSerializer(serializers.Serializer):  # type: ignore[type-arg]
    """Create: name and parent. Change: a new name renames, a new parent moves the group with
    everything below it."""

    name = serializers.CharField(max_length=100)
    # (Field.parent is the serializer in DRF's stubs; declared fields never become attributes)
    parent = VisiblePrimaryKeyRelatedField(  # type: ignore[assignment]
        Group, help_text=_("The group above this one.")
    )


# --- users --------------------------------------------------------------------------------


class UserSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    class Meta:
        model = User
        fields: tuple[str, ...] = (
            "id",
            "username",
            "full_name",
            "email",
            "enterprise",
            "group",
            "is_group_admin",
            "is_active",
            "roles",
            "must_change_password",
            "totp_enabled",
            "date_joined",
            "last_login",
        )
        read_only_fields: tuple[str, ...] = fields


class UserWriteSerializer(serializers.Serializer):  # type: ignore[type-arg]
    username = serializers.CharField(max_length=150)
    full_name = serializers.CharField(max_length=150, required=False, allow_blank=True)
    email = serializers.EmailField(required=False, allow_blank=True)
    group = VisiblePrimaryKeyRelatedField(Group)
    is_group_admin = serializers.BooleanField(
        required=False, help_text=_("Has every permission in its group and below, without roles.")
    )
    is_active = serializers.BooleanField(required=False)
    roles = VisiblePrimaryKeyRelatedField(
        Role, many=True, required=False, help_text=_("A normal user needs at least one role.")
    )


class UserCreateSerializer(UserWriteSerializer):
    password = serializers.CharField(
        required=False,
        allow_blank=True,
        write_only=True,
        style={"input_type": "password"},
        help_text=_(
            "Leave out to generate a one-time password, returned once in the response; the user "
            "must change it at first login."
        ),
    )


class UserCreatedSerializer(UserSerializer):
    one_time_password = serializers.CharField(
        read_only=True,
        allow_null=True,
        help_text=_("The generated password (only when none was given), shown only this once."),
    )

    class Meta(UserSerializer.Meta):
        fields = (*UserSerializer.Meta.fields, "one_time_password")
        read_only_fields = fields


class OneTimePasswordSerializer(serializers.Serializer):  # type: ignore[type-arg]
    one_time_password = serializers.CharField(
        read_only=True,
        help_text=_("Shown only this once; the user must change it at the next login."),
    )


# --- roles --------------------------------------------------------------------------------


class RoleSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    name = serializers.CharField(max_length=100)
    permissions = serializers.ListField(
        child=serializers.CharField(max_length=100),
        required=False,
        help_text=_("Codenames such as “tenancy.view”; see /api/v1/permissions/."),
    )

    class Meta:
        model = Role
        fields = ("id", "name", "description", "permissions", "created_at")
        read_only_fields = ("id", "created_at")


# --- the permission registry --------------------------------------------------------------


class PermissionActionSerializer(serializers.Serializer):  # type: ignore[type-arg]
    action = serializers.CharField()
    codename = serializers.CharField()
    title = serializers.CharField()


class PermissionAreaSerializer(serializers.Serializer):  # type: ignore[type-arg]
    app = serializers.CharField()
    title = serializers.CharField()
    actions = PermissionActionSerializer(many=True)


# --- tokens -------------------------------------------------------------------------------


class TokenSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    is_usable = serializers.BooleanField(read_only=True)

    class Meta:
        model = ApiToken
        fields: tuple[str, ...] = (
            "id",
            "name",
            "prefix",
            "created_at",
            "expires_at",
            "revoked_at",
            "last_used_at",
            "is_usable",
        )
        read_only_fields: tuple[str, ...] = fields


class TokenWriteSerializer(serializers.Serializer):  # type: ignore[type-arg]
    name = serializers.CharField(max_length=100)
    expires_at = serializers.DateTimeField(
        required=False, allow_null=True, help_text=_("Leave out for a token that never expires.")
    )


class TokenCreatedSerializer(TokenSerializer):
    secret = serializers.CharField(
        read_only=True,
        help_text=_("Send as “Authorization: Token <secret>”. Shown only in this response."),
    )

    class Meta(TokenSerializer.Meta):
        fields = (*TokenSerializer.Meta.fields, "secret")
        read_only_fields = fields


# --- the caller ---------------------------------------------------------------------------


class MeEnterpriseSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    class Meta:
        model = Enterprise
        fields = ("id", "code", "name")
        read_only_fields = fields


class MeGroupSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    class Meta:
        model = Group
        fields = ("id", "name", "path")
        read_only_fields = fields


class MeRoleSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    class Meta:
        model = Role
        fields = ("id", "name")
        read_only_fields = fields


def effective_permissions(user: User) -> list[str]:
    """Every codename the user holds right now (platform ones for the super administrator)."""
    candidates = set(all_codenames())
    candidates.update(f"{app}.{action}" for app in PLATFORM_APPS for action in STANDARD_ACTIONS)
    return sorted(code for code in candidates if has_permission(user, code))


class MeSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    enterprise = MeEnterpriseSerializer(read_only=True, allow_null=True)
    group = MeGroupSerializer(read_only=True, allow_null=True)
    roles = MeRoleSerializer(many=True, read_only=True)
    permissions = serializers.SerializerMethodField()

    class Meta:
        model = User
        fields = (
            "id",
            "username",
            "full_name",
            "email",
            "language",
            "enterprise",
            "group",
            "is_superuser",
            "is_group_admin",
            "totp_enabled",
            "roles",
            "permissions",
        )
        read_only_fields = fields

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_permissions(self, user: User) -> list[str]:
        return effective_permissions(user)


def area_data() -> list[dict[str, Any]]:
    """The registry as plain data for PermissionAreaSerializer (titles in the request's
    language)."""
    from gatehouse.core.permissions import areas

    return [
        {
            "app": area.app,
            "title": str(area.title),
            "actions": [
                {"action": action, "codename": f"{area.app}.{action}", "title": str(title)}
                for action, title in area.actions.items()
            ],
        }
        for area in areas()
    ]
