"""Reads for the tenancy app, always through the user's visible querysets."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from gatehouse.audit.models import LogEntry
from gatehouse.core.permissions import has_permission
from gatehouse.tenancy.models import Enterprise, Group, Role, User


def visible_groups(user: User) -> QuerySet[Group]:
    return Group.objects.visible_to(user).order_by("path")


def group_choices(user: User) -> list[tuple[int, str]]:
    """Groups the user may place things in, indented by depth, in tree order."""
    groups = list(visible_groups(user).select_related("enterprise"))
    base_depth = min((g.depth for g in groups), default=0)
    labels = []
    for group in groups:
        indent = "— " * (group.depth - base_depth)
        prefix = f"{group.enterprise.name}: " if user.is_superuser else ""
        labels.append((group.pk, f"{prefix}{indent}{group.name}"))
    return labels


def visible_roles(user: User) -> QuerySet[Role]:
    return Role.objects.visible_to(user)


def dashboard_counts(user: User) -> list[dict[str, Any]]:
    cards: list[dict[str, Any]] = []
    if user.is_superuser:
        cards.append(
            {
                "label": _("Enterprises"),
                "value": Enterprise.objects.count(),
                "icon": "building",
                "url_name": "tenancy:enterprise_list",
            }
        )
    if has_permission(user, "tenancy.view"):
        cards.extend(
            [
                {
                    "label": _("Groups"),
                    "value": visible_groups(user).count(),
                    "icon": "sitemap",
                    "url_name": "tenancy:group_list",
                },
                {
                    "label": _("Users"),
                    "value": User.objects.visible_to(user).count(),
                    "icon": "users",
                    "url_name": "tenancy:user_list",
                },
                {
                    "label": _("Roles"),
                    "value": visible_roles(user).count(),
                    "icon": "lock-access",
                    "url_name": "tenancy:role_list",
                },
            ]
        )
    return cards


def recent_log_entries(user: User, *, limit: int) -> list[LogEntry]:
    if not has_permission(user, "audit.view"):
        return []
    return list(LogEntry.objects.visible_to(user).order_by("-created_at", "-id")[:limit])
