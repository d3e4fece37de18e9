"""Base classes for tenant-owned models."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar, Self

from django.db import models
from django_scopes import ScopedManager

if TYPE_CHECKING:
    from gatehouse.tenancy.models import User


class TenantQuerySet(models.QuerySet[Any]):
    def visible_to(self, user: User) -> Self:
        """Restrict to what the user may see: its enterprise (already scoped) and, inside it,
        its own group and the groups below it (Smart Pass 6.1.1)."""
        if user.is_superuser:
            return self
        if user.enterprise_id is None or user.group_id is None:
            return self.none()
        qs = self.filter(enterprise_id=user.enterprise_id)
        lookup = self.model.group_path_lookup
        if lookup is None:
            return qs
        return qs.filter(**{f"{lookup}__startswith": user.group_path})


def tenant_manager() -> Any:
    """A manager that raises outside a tenant scope and offers `visible_to(user)`."""
    return ScopedManager(
        _manager_class=models.Manager.from_queryset(TenantQuerySet), enterprise="enterprise"
    )


class TenantModel(models.Model):
    """Owned by one enterprise. Queries outside a tenant scope raise (django-scopes)."""

    enterprise = models.ForeignKey(
        "tenancy.Enterprise", on_delete=models.CASCADE, related_name="+", editable=False
    )
    # Lookup from this model to the `path` of the group it belongs to; None = enterprise-wide.
    group_path_lookup: ClassVar[str | None] = "group__path"

    objects = tenant_manager()

    class Meta:
        abstract = True
