"""/api/v1/ for the tenancy app. Reads go through the caller's visible querysets; every write is
a call to tenancy/services.py with the acting user (DESIGN.md rules 1-3)."""

from __future__ import annotations

from typing import Any, ClassVar

from django.db import transaction
from django.db.models import QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import BaseSerializer
from rest_framework.views import APIView

from gatehouse.core.api.viewsets import ApiViewMixin, TenantModelViewSet, input_action
from gatehouse.core.errors import ServiceError
from gatehouse.tenancy import filtersets, services
from gatehouse.tenancy.api import serializers as s
from gatehouse.tenancy.models import ApiToken, Enterprise, Group, Role, User


# The console's FilterSets, minus their `q`: the API searches with `?search=` on every endpoint
# (DRF's SearchFilter over `search_fields`), ordering with `?ordering=`.
class EnterpriseApiFilterSet(filtersets.EnterpriseFilterSet):
    q = None

    class Meta(filtersets.EnterpriseFilterSet.Meta):
        fields = ("is_active",)  # type: ignore[assignment]


class UserApiFilterSet(filtersets.UserFilterSet):
    q = None

    class Meta(filtersets.UserFilterSet.Meta):
        fields = ("group", "is_active", "is_group_admin")  # type: ignore[assignment]


# --- enterprises (platform super administrator only) --------------------------------------


@extend_schema_view(
    create=extend_schema(
        request=s.EnterpriseCreateSerializer,
        responses={201: s.EnterpriseCreatedSerializer},
        description=gettext_lazy(
            "Creates the enterprise, its top group and its administrator. The answer holds the "
            "administrator's one-time password; it is not shown again."
        ),
    )
)
class EnterpriseViewSet(ApiViewMixin, viewsets.ModelViewSet):  # type: ignore[type-arg]
    """Enterprises (tenants); only the platform super administrator sees this."""

    permission_app = "platform"
    queryset = Enterprise.objects.all()
    serializer_class = s.EnterpriseSerializer
    filterset_class = EnterpriseApiFilterSet
    search_fields = filtersets.EnterpriseFilterSet.search_fields
    ordering_fields = ("name", "code", "created_at")
    ordering = ("name",)

    def get_serializer_class(self) -> type[BaseSerializer[Any]]:
        if input_action(self) == "create":
            return s.EnterpriseCreateSerializer
        return s.EnterpriseSerializer

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        admin_username = data.pop("admin_username")
        enterprise, admin, password = services.create_enterprise(
            actor=self.actor, admin_username=admin_username, **data
        )
        out = s.EnterpriseSerializer(enterprise, context=self.get_serializer_context()).data
        out.update(admin_id=admin.pk, admin_username=admin.username, admin_password=password)
        return Response(out, status=status.HTTP_201_CREATED)

    def perform_update(self, serializer: Any) -> None:
        serializer.instance = services.update_enterprise(
            serializer.instance, actor=self.actor, **serializer.validated_data
        )

    def perform_destroy(self, instance: Enterprise) -> None:
        services.delete_enterprise(instance, actor=self.actor)


# --- groups -------------------------------------------------------------------------------


class GroupViewSet(TenantModelViewSet):
    """The group tree: the caller's own group and the groups below it."""

    model = Group
    permission_app = "tenancy"
    serializer_class = s.GroupSerializer
    write_serializer_class = s.GroupWriteSerializer
    search_fields = filtersets.GroupFilterSet.search_fields
    ordering_fields = ("name", "path", "created_at")
    ordering = ("path",)

    def perform_create(self, serializer: Any) -> None:
        data = serializer.validated_data
        serializer.instance = services.create_group(
            actor=self.actor, parent=data["parent"], name=data["name"]
        )

    def perform_update(self, serializer: Any) -> None:
        group: Group = serializer.instance
        data = serializer.validated_data
        with transaction.atomic():  # a refused move also undoes the rename
            if "name" in data and data["name"] != group.name:
                group = services.rename_group(group, actor=self.actor, name=data["name"])
            if "parent" in data and data["parent"].pk != group.parent_id:
                group = services.move_group(group, actor=self.actor, parent=data["parent"])
        serializer.instance = group

    def perform_destroy(self, instance: Group) -> None:
        services.delete_group(instance, actor=self.actor)


# --- users --------------------------------------------------------------------------------


@extend_schema_view(
    create=extend_schema(
        request=s.UserCreateSerializer,
        responses={201: s.UserCreatedSerializer},
        description=gettext_lazy(
            "Without a password, a random one-time password is generated and returned once "
            "in `one_time_password`; the user must change it at first login."
        ),
    ),
)
class UserViewSet(TenantModelViewSet):
    """Users of the caller's group and the groups below it."""

    model = User
    permission_app = "tenancy"
    permission_actions: ClassVar[dict[str, str]] = {"reset_password": "change"}
    serializer_class = s.UserSerializer
    write_serializer_class = s.UserWriteSerializer
    filterset_class = UserApiFilterSet
    search_fields = filtersets.UserFilterSet.search_fields
    ordering_fields = ("username", "full_name", "date_joined", "last_login")
    ordering = ("username",)

    def get_queryset(self) -> QuerySet[User]:
        return super().get_queryset().select_related("group").prefetch_related("roles")

    def get_serializer_class(self) -> type[BaseSerializer[Any]]:
        if input_action(self) == "create":
            return s.UserCreateSerializer
        return super().get_serializer_class()

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        with transaction.atomic():
            user, generated = services.create_user(
                actor=self.actor,
                group=data["group"],
                username=data["username"],
                password=data.get("password") or None,
                is_group_admin=data.get("is_group_admin", False),
                roles=list(data.get("roles", [])),
                full_name=data.get("full_name", ""),
                email=data.get("email", ""),
            )
            if data.get("is_active") is False:
                user = services.update_user(user, actor=self.actor, is_active=False)
        out = s.UserSerializer(user, context=self.get_serializer_context()).data
        out["one_time_password"] = generated
        return Response(out, status=status.HTTP_201_CREATED)

    def perform_update(self, serializer: Any) -> None:
        changes = dict(serializer.validated_data)
        if "roles" in changes:
            changes["roles"] = list(changes["roles"])
        serializer.instance = services.update_user(serializer.instance, actor=self.actor, **changes)

    def perform_destroy(self, instance: User) -> None:
        services.delete_user(instance, actor=self.actor)

    @extend_schema(request=None, responses=s.OneTimePasswordSerializer)
    @action(detail=True, methods=["post"], url_path="reset-password")
    def reset_password(self, request: Request, pk: str | None = None) -> Response:
        """Give the user a new random one-time password, returned once; the user must change
        it at the next login."""
        password = services.reset_password(self.get_object(), actor=self.actor)
        return Response({"one_time_password": password})


# --- roles --------------------------------------------------------------------------------


class RoleViewSet(TenantModelViewSet):
    """Roles are enterprise-wide: every user with `tenancy.view` sees all of its enterprise."""

    model = Role
    permission_app = "tenancy"
    serializer_class = s.RoleSerializer
    search_fields = filtersets.RoleFilterSet.search_fields
    ordering_fields = ("name", "created_at")
    ordering = ("name",)

    def perform_create(self, serializer: Any) -> None:
        enterprise_id = getattr(self.request.user, "enterprise_id", None)
        if enterprise_id is None:
            raise ServiceError(_("Roles belong to an enterprise; log in as its administrator."))
        data = serializer.validated_data
        serializer.instance = services.create_role(
            actor=self.actor,
            enterprise_id=enterprise_id,
            name=data["name"],
            description=data.get("description", ""),
            permissions=data.get("permissions", []),
        )

    def perform_update(self, serializer: Any) -> None:
        serializer.instance = services.update_role(
            serializer.instance, actor=self.actor, **serializer.validated_data
        )

    def perform_destroy(self, instance: Role) -> None:
        services.delete_role(instance, actor=self.actor)


# --- the permission registry --------------------------------------------------------------


class PermissionViewSet(ApiViewMixin, viewsets.GenericViewSet):  # type: ignore[type-arg]
    """Every permission a role can grant, by module (read-only; needs `tenancy.view`)."""

    permission_app = "tenancy"
    serializer_class = s.PermissionAreaSerializer
    pagination_class = None
    filter_backends = ()

    def list(self, request: Request) -> Response:
        return Response(s.PermissionAreaSerializer(s.area_data(), many=True).data)


# --- the caller's own API tokens ----------------------------------------------------------


@extend_schema_view(
    create=extend_schema(
        request=s.TokenWriteSerializer,
        responses={201: s.TokenCreatedSerializer},
        description=gettext_lazy(
            "Creates a personal token for the caller. The answer holds the secret; only a hash "
            "is stored, so it is never shown again. Only a signed-in session can create tokens."
        ),
    ),
    destroy=extend_schema(description=gettext_lazy("Revokes the token; it stops working at once.")),
)
class TokenViewSet(
    ApiViewMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,  # type: ignore[type-arg]
):
    """The caller's own personal API tokens (no registry permission: everyone has their own)."""

    permission_app = None
    serializer_class = s.TokenSerializer
    search_fields = ("name", "prefix")
    ordering_fields = ("created_at", "last_used_at", "expires_at", "name")
    ordering = ("-created_at",)

    def get_queryset(self) -> QuerySet[ApiToken]:
        if getattr(self, "swagger_fake_view", False):
            return ApiToken.objects.none()
        return ApiToken.objects.filter(user=self.request.user)

    def get_serializer_class(self) -> type[BaseSerializer[Any]]:
        if input_action(self) == "create":
            return s.TokenWriteSerializer
        return s.TokenSerializer

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        if isinstance(request.auth, ApiToken):
            # otherwise a token about to expire could mint itself a successor that never does
            raise PermissionDenied(
                _("Tokens can only be created from a signed-in session, not with another token.")
            )
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user: User = request.user  # type: ignore[assignment]
        token, secret = services.create_token(
            user,
            actor=self.actor,
            name=serializer.validated_data["name"],
            expires_at=serializer.validated_data.get("expires_at"),
        )
        out = s.TokenSerializer(token, context=self.get_serializer_context()).data
        out["secret"] = secret
        return Response(out, status=status.HTTP_201_CREATED)

    def perform_destroy(self, instance: ApiToken) -> None:
        services.revoke_token(instance, actor=self.actor)


# --- the caller ---------------------------------------------------------------------------


class MeView(ApiViewMixin, APIView):
    """The caller's profile and the permissions it holds right now."""

    permission_app = None

    @extend_schema(responses=s.MeSerializer, operation_id="me_retrieve")
    def get(self, request: Request) -> Response:
        return Response(s.MeSerializer(request.user).data)
