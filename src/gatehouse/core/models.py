"""Base classes for tenant-owned models."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar, Self

from django.db import models
from django_scopes.manager import DisabledQuerySet
from django_scopes.state import get_scope

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from gatehouse.tenancy.models import User

SCOPE_DIMENSION = "enterprise"


class TenantQuerySet(models.QuerySet[Any]):
    def visible_to(self, user: User | AnonymousUser) -> Self:
        """Restrict to what the user may see: its enterprise (already scoped) and, inside it,
        its own group and the groups below it (Smart Pass 6.1.1). Anonymous: nothing."""
        if not user.is_authenticated:
            return self.none()
        if user.is_superuser:
            return self
        if user.enterprise_id is None or user.group_id is None:
            return self.none()
        qs = self.filter(enterprise_id=user.enterprise_id)
        lookup = self.model.group_path_lookup
        if lookup is None:
            return qs
        return qs.filter(**{f"{lookup}__startswith": user.group_path})


_TenantManagerBase = models.Manager.from_queryset(TenantQuerySet)


class TenantManager(_TenantManagerBase):  # type: ignore[type-arg]
    """django-scopes semantics (pretix): outside a tenant scope every query raises; inside one
    it is filtered to that enterprise. Written as a class (not django-scopes' factory) so that
    type checkers and Django's manager machinery see a real manager."""

    def get_queryset(self) -> TenantQuerySet:
        queryset: TenantQuerySet = super().get_queryset()  # type: ignore[assignment]
        current = get_scope()
        if not current.get("_enabled", True):
            return queryset
        if SCOPE_DIMENSION not in current:
            return DisabledQuerySet(  # type: ignore[no-any-return]
                self.model, using=self._db, missing_scopes={SCOPE_DIMENSION}
            )
        value = current[SCOPE_DIMENSION]
        if isinstance(value, list | tuple):
            return queryset.filter(enterprise_id__in=value)
        if value is None:  # tenant_scope() refuses None; treat a stray None as "nothing"
            return queryset.none()
        return queryset.filter(enterprise_id=value)

    def all(self) -> TenantQuerySet:
        queryset = self.get_queryset()
        return queryset if isinstance(queryset, DisabledQuerySet) else queryset.all()


class TenantModel(models.Model):
    """Owned by one enterprise. Queries outside a tenant scope raise (django-scopes)."""

    enterprise = models.ForeignKey(
        "tenancy.Enterprise", on_delete=models.CASCADE, related_name="+", editable=False
    )
    # Lookup from this model to the `path` of the group it belongs to; None = enterprise-wide.
    group_path_lookup: ClassVar[str | None] = "group__path"

    objects = TenantManager()

    class Meta:
        abstract = True
