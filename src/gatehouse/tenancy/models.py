"""Enterprises (tenants), the group tree, users, roles and API tokens (Smart Pass chapter 6)."""

from __future__ import annotations

from typing import Any, ClassVar

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from gatehouse.core.models import TenantManager, TenantModel
from gatehouse.core.trees import TreeDepth


class Enterprise(models.Model):
    """A tenant. Only the platform super administrator creates, edits and deletes these."""

    code = models.SlugField(_("enterprise code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=120)
    contact_name = models.CharField(_("contact person"), max_length=120, blank=True)
    contact_phone = models.CharField(_("contact phone"), max_length=40, blank=True)
    contact_email = models.EmailField(_("contact e-mail"), blank=True)
    address = models.CharField(_("address"), max_length=255, blank=True)
    is_active = models.BooleanField(_("enabled"), default=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)

    class Meta:
        ordering = ["name"]
        verbose_name = _("enterprise")
        verbose_name_plural = _("enterprises")

    def __str__(self) -> str:
        return self.name


class Group(TreeDepth, TenantModel):
    """A node of an enterprise's group tree. `path` ("/1/4/9/") makes subtree queries one
    indexed prefix match; services keep it in step when a group moves."""

    name = models.CharField(_("group name"), max_length=100)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent group"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
    )
    path = models.CharField(max_length=500, db_index=True, editable=False, default="")
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)

    group_path_lookup: ClassVar[str | None] = "path"

    class Meta:
        ordering = ["path"]
        verbose_name = _("group")
        verbose_name_plural = _("groups")
        constraints = [
            models.UniqueConstraint(
                fields=["enterprise", "parent", "name"], name="tenancy_group_unique_name"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Role(TenantModel):
    """A named set of `<app>.<action>` permissions, private to its enterprise."""

    name = models.CharField(_("role name"), max_length=100)
    description = models.CharField(_("description"), max_length=255, blank=True)
    permissions = models.JSONField(_("permissions"), default=list, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)

    group_path_lookup: ClassVar[str | None] = None

    class Meta:
        ordering = ["name"]
        verbose_name = _("role")
        verbose_name_plural = _("roles")
        constraints = [
            models.UniqueConstraint(fields=["enterprise", "name"], name="tenancy_role_unique_name"),
        ]

    def __str__(self) -> str:
        return self.name


class GlobalUserManager(BaseUserManager["User"]):
    """Unscoped access for authentication and platform code only."""

    def get_by_natural_key(self, username: str | None) -> User:
        return self.get(username__iexact=username)


class User(AbstractBaseUser):
    """A console/API login. Enterprise users belong to a group; the platform super administrator
    belongs to no enterprise. Usernames are unique across the platform so that the login form
    needs no enterprise field."""

    username = models.CharField(_("username"), max_length=150, unique=True)
    full_name = models.CharField(_("full name"), max_length=150, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    enterprise = models.ForeignKey(
        Enterprise,
        verbose_name=_("enterprise"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="users",
        editable=False,
    )
    group = models.ForeignKey(
        Group,
        verbose_name=_("group"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="users",
    )
    is_group_admin = models.BooleanField(
        _("group administrator"),
        default=False,
        help_text=_("Has every permission inside its group and the groups below, without a role."),
    )
    is_superuser = models.BooleanField(_("platform super administrator"), default=False)
    is_active = models.BooleanField(_("enabled"), default=True)
    roles = models.ManyToManyField(Role, verbose_name=_("roles"), blank=True, related_name="users")
    must_change_password = models.BooleanField(default=False)
    totp_secret = models.CharField(max_length=64, blank=True)
    totp_enabled = models.BooleanField(_("two-factor login"), default=False)
    language = models.CharField(_("language"), max_length=10, blank=True)
    date_joined = models.DateTimeField(_("created"), default=timezone.now, editable=False)

    USERNAME_FIELD = "username"
    REQUIRED_FIELDS: ClassVar[list[str]] = []
    group_path_lookup: ClassVar[str | None] = "group__path"

    objects = TenantManager()
    global_objects = GlobalUserManager()

    class Meta:
        ordering = ["username"]
        verbose_name = _("user")
        verbose_name_plural = _("users")
        base_manager_name = "global_objects"
        constraints = [
            models.UniqueConstraint(Lower("username"), name="tenancy_user_unique_username_ci"),
        ]

    def __str__(self) -> str:
        return self.username

    @property
    def is_staff(self) -> bool:
        return False

    @property
    def group_path(self) -> str:
        return self.group.path if self.group is not None else ""

    def granted_permissions(self) -> set[str]:
        cached: set[str] | None = getattr(self, "_granted_permissions", None)
        if cached is None:
            cached = set()
            for codes in self.roles.through.objects.filter(user_id=self.pk).values_list(
                "role__permissions", flat=True
            ):
                cached.update(codes or [])
            self._granted_permissions = cached
        return cached

    def has_perm(self, perm: str, obj: Any = None) -> bool:
        from gatehouse.core.permissions import has_permission

        return has_permission(self, perm)


class ApiToken(models.Model):
    """A personal API token. Only a SHA-256 of the secret is stored; the secret is shown once."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("name"), max_length=100)
    prefix = models.CharField(max_length=16, unique=True, editable=False)
    key_hash = models.CharField(max_length=64, editable=False)
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)
    expires_at = models.DateTimeField(_("expires"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True, editable=False)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_usable(self) -> bool:
        if self.revoked_at is not None:
            return False
        return self.expires_at is None or self.expires_at > timezone.now()


class LoginFailure(models.Model):
    """Failed logins per account and address; enough of them lock that pair for a while."""

    username = models.CharField(max_length=150)
    address = models.CharField(max_length=64)
    failures = models.PositiveIntegerField(default=0)
    last_failure_at = models.DateTimeField(default=timezone.now)
    locked_until = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["username", "address"], name="tenancy_login_failure"),
        ]

    def __str__(self) -> str:
        return f"{self.username}@{self.address}"
